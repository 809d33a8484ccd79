/* mu* of an energy-resolved W (kernels/mustar.c) against the Morel-Anderson formula, which is
 * the exact solution for a constant W and DOS (docs/theory.md §5.8; the quadrature in ln|x| is
 * exact to round-off for these integrands):
 *  1. W = 1 eV, N = 0.5/eV on bins covering [-5, 5] eV: mu* = mu / (1 + mu ln(5/w_c)), mu = 0.5,
 *     at w_c = 0.1 and 0.02 eV, to 1e-12;
 *  2. an asymmetric range [-3, 7] eV: mu* = mu / (1 + (mu/2)(ln(3/w_c) + ln(7/w_c))), to 1e-12;
 *  3. N0 enters as a factor only: mu* scales with it;
 *  4. w_c outside the table gives NAN;
 *  5. an unevenly spaced axis (W files may have one) with constant W and N: Morel-Anderson over
 *     the range that ends half a spacing beyond the outer points, to 1e-12. */
#include "../check.h"
#include "agape/mustar.h"

static void table(int ne, double lo, double hi, double W, double N, double *xi, double *w, double *dos)
{
  const double h = (hi - lo) / ne;
  for (int i = 0; i < ne; i++) {
    xi[i] = lo + (i + 0.5) * h;
    dos[i] = N;
    for (int j = 0; j < ne; j++) w[i * ne + j] = W;
  }
}

int main(void)
{
  enum { NE = 48 };
  double xi[NE], w[NE * NE], dos[NE];
  table(NE, -5, 5, 1.0, 0.5, xi, w, dos);
  for (int t = 0; t < 2; t++) {
    const double wc = t ? 0.02 : 0.1, mu = 0.5, want = mu / (1 + mu * log(5 / wc));
    check_rel(coul_mustar(NE, xi, w, dos, 0.5, wc), want, 1e-12,
              "constant W and N on [-5, 5] eV, w_c = %g eV: Morel-Anderson mu*", wc);
  }
  table(NE, -3, 7, 1.0, 0.5, xi, w, dos);
  {
    const double wc = 0.05, mu = 0.5, want = mu / (1 + 0.5 * mu * (log(3 / wc) + log(7 / wc)));
    check_rel(coul_mustar(NE, xi, w, dos, 0.5, wc), want, 1e-12, "asymmetric range [-3, 7] eV, w_c = %g eV", wc);
    check_rel(coul_mustar(NE, xi, w, dos, 1.0, wc), 2 * want, 1e-12, "N0 twice: mu* twice");
  }
  check(isnan(coul_mustar(NE, xi, w, dos, 0.5, 4.0)), "w_c beyond the table's range: NAN");
  /* 5. an unevenly spaced axis (a W file's may be): points -4, -1, -0.5, 0, 0.3, 2, 6; the range
   * ends half a spacing beyond the outer points, at -5.5 and 8 */
  {
    double ax[7] = {-4, -1, -0.5, 0, 0.3, 2, 6}, wu[49], du[7];
    for (int i = 0; i < 49; i++) wu[i] = 1.0;
    for (int i = 0; i < 7; i++) du[i] = 0.5;
    const double wc = 0.1, mu = 0.5, want = mu / (1 + 0.5 * mu * (log(5.5 / wc) + log(8 / wc)));
    check_rel(coul_mustar(7, ax, wu, du, 0.5, wc), want, 1e-12, "an unevenly spaced axis, range [-5.5, 8] eV");
  }
  return check_summary();
}
