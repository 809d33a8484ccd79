/* kern_mats.c - brute-force Matsubara double sums of the SCDFT pair kernels (docs/theory.md §3.7).
 *
 * Place in the data flow: test-only yardstick in kernels/; tests/unit/test_kernels.c checks
 * the closed forms (kern_ref.c) against these sums.  Not used by the solver.
 *
 * With omega_n = (2n+1) pi / beta (fermionic), the three sums are
 *   𝒦^LMG = -(8 W xi xi')/(beta^2 t t') S1,  S1 = sum 1/[(wn^2+xi^2)(wm^2+xi'^2)((wn-wm)^2+W^2)]
 *   𝒦^SPG = -(8 g1 g2^2 W^3 xi xi')/(beta^2 t t') S2,
 *           S2 = sum 1/[(wn^2+xi^2)(wm^2+xi'^2)(wm^2+g2^2 W^2)((wn-wm)^2+W^2)]
 *   𝒵^dI  = -(8 W xi)/(beta^2 t) S3,  S3 = sum wn wm/[(wn^2+xi^2)^2 (wm^2+xi'^2)((wn-wm)^2+W^2)]
 * (W = Omega, t = tanh(beta xi/2), t' = tanh(beta xi'/2)), over the symmetric truncated set
 * n, m = -nmax .. nmax-1.  Since wn - wm = 2 (n-m) pi/beta, the boson factor depends on n-m only
 * and is tabulated once; every factor depending on one index is tabulated too, so the double sum
 * is O(nmax^2) multiply-adds, accumulated in long double.  The relative truncation error falls
 * as nmax^-3 (the summand decays as wn^-4 once the inner sum is done).
 */
#include "agape/kernels.h"

#include <math.h>
#include <stdlib.h>

enum { MS_LMG = 0, MS_SPG = 1, MS_DIZ = 2 };

/* xi / tanh(beta xi / 2), even in xi, 2/beta at xi = 0. */
static long double ms_xot(long double beta, long double xi)
{
  long double h = 0.5L * beta * xi;
  if (fabsl(h) < 1e-6L) return (2.0L / beta) * (1.0L + h * h / 3.0L);
  return xi / tanhl(h);
}

/* The bare double sum S1, S2 or S3 (see the file comment); NAN on bad input or no memory. */
static long double ms_sum(int kind, long double beta, long double xi, long double xip, long double om, long double g2,
                          int nmax)
{
  if (nmax < 1 || !(beta > 0) || !isfinite(beta) || !(om > 0)) return NAN;
  const int N = 2 * nmax; /* frequencies n = -nmax .. nmax-1 */
  const long double pib = 3.141592653589793238462643383279502884L / beta;
  long double *wn = malloc(sizeof(long double) * (size_t)N);
  long double *fa = malloc(sizeof(long double) * (size_t)N);          /* row factor */
  long double *fb = malloc(sizeof(long double) * (size_t)N);          /* column factor */
  long double *D = malloc(sizeof(long double) * (size_t)(2 * N - 1)); /* boson factor */
  long double total = NAN;
  if (!wn || !fa || !fb || !D) goto done;
  for (int k = 0; k < N; k++) {
    long double w = (2 * (k - nmax) + 1) * pib;
    wn[k] = w;
    long double a = 1.0L / (w * w + xi * xi), b = 1.0L / (w * w + xip * xip);
    if (kind == MS_LMG) {
      fa[k] = a;
      fb[k] = b;
    } else if (kind == MS_SPG) {
      fa[k] = a;
      fb[k] = b / (w * w + g2 * g2 * om * om);
    } else {
      fa[k] = w * a * a;
      fb[k] = w * b;
    }
  }
  for (int d = -(N - 1); d <= N - 1; d++) {
    long double nu = 2 * d * pib;
    D[d + N - 1] = 1.0L / (nu * nu + om * om);
  }
  total = 0;
  for (int n = 0; n < N; n++) {
    long double inner = 0;
    const long double *Dn = D + (N - 1) + n; /* Dn[-m] = D(n - m) */
    for (int m = 0; m < N; m++) inner += fb[m] * Dn[-m];
    total += fa[n] * inner;
  }
done:
  free(wn);
  free(fa);
  free(fb);
  free(D);
  return total;
}

/* 𝒦^LMG by the Matsubara double sum.  beta [in] finite, 1/energy; xi, xip [in] energies;
 * omega [in] > 0; nmax [in] frequencies per sign.  Returns 1/energy. */
double kmats_lmg_K(double beta, double xi, double xip, double omega, int nmax)
{
  long double b = beta, S = ms_sum(MS_LMG, b, xi, xip, omega, 0, nmax);
  return (double)(-8.0L * omega * ms_xot(b, xi) * ms_xot(b, xip) / (b * b) * S);
}

/* 𝒦^SPG by the Matsubara double sum; g = (gamma1, gamma2, gamma3), gamma3 unused. */
double kmats_spg_K(double beta, double xi, double xip, double omega, kern_spg_gammas g, int nmax)
{
  long double b = beta, W = omega, S = ms_sum(MS_SPG, b, xi, xip, omega, g.g2, nmax);
  return (double)(-8.0L * g.g1 * (long double)g.g2 * g.g2 * W * W * W * ms_xot(b, xi) * ms_xot(b, xip) / (b * b) * S);
}

/* 𝒵^{∂I} by the direct Matsubara double sum (docs/theory.md §3.3).  Returns 1/energy^2. */
double kmats_dI_Z(double beta, double xi, double xip, double omega, int nmax)
{
  long double b = beta, S = ms_sum(MS_DIZ, b, xi, xip, omega, 0, nmax);
  return (double)(-8.0L * omega * ms_xot(b, xi) / (b * b) * S);
}
