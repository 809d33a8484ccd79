/* Unit tests of the static response chi0 (include/agape/chi0.h).
 *   1. The tau quadrature integrates G_a(tau) G_b(-tau) to the Lindhard ratio
 *      [f(a) - f(b)]/(a - b), computed here independently in long double.
 *   2. The FFT route equals the direct double sum (one-band cubic tight binding, and a
 *      3-orbital model with k-dependent eigenvectors), to round-off times the number of terms.
 *   3. The Lindhard function F and the electron-gas mu_TF, mu_RPA against docs/theory.md §10.4. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/chi0.h"
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const double KB = 8.617333262e-5; /* eV/K */

/* f(a) - f(b) over a - b in long double (f'(a) when equal); for a, b < 0 through
 * 1 - f = 1/(1 + e^{-beta x}), which is small and accurate there (f ~ 1 cancels) */
static long double ratio_l(long double beta, long double a, long double b)
{
  long double fa = 1 / (1 + expl(beta * a)), fb = 1 / (1 + expl(beta * b));
  long double ga = 1 / (1 + expl(-beta * a)), gb = 1 / (1 + expl(-beta * b));
  if (a == b) return -beta * fa * ga;
  return (a < 0 && b < 0) ? (gb - ga) / (a - b) : (fa - fb) / (a - b);
}

static void test_tau(void)
{
  const double Ts[] = {5, 50, 1000}, emax = 6;
  const double es[] = {-6, -1, -0.1, -0.01, -1e-3, -1e-5, 0, 1e-5, 1e-3, 0.01, 0.1, 1, 6};
  static double tau[2000], w[2000];
  for (int it = 0; it < 3; it++) {
    const double beta = 1 / (KB * Ts[it]);
    int n = chi0_tau_grid(beta, emax, 2000, tau, w);
    double worst = 0;
    for (int i = 0; i < 13; i++)
      for (int j = 0; j < 13; j++) {
        const double a = es[i], b = es[j];
        double s = 0;
        for (int q = 0; q < n; q++) {
          /* the bounded forms, written out independently of kernels/chi0.c */
          double ga =
            a >= 0 ? -exp(-a * tau[q]) / (1 + exp(-beta * a)) : -exp(a * (beta - tau[q])) / (1 + exp(beta * a));
          double gb = b >= 0 ? exp(-b * (beta - tau[q])) / (1 + exp(-beta * b)) : exp(b * tau[q]) / (1 + exp(beta * b));
          s += w[q] * ga * gb;
        }
        long double ex = ratio_l(beta, a, b);
        /* relative to the ratio, or to beta/4 (the largest ratio) for exponentially small ones */
        double err = fabs(s - (double)ex) / fmax(fabs((double)ex), 1e-12 * beta / 4);
        if (err > worst) worst = err;
      }
    check(n > 0 && worst <= 1e-10,
          "tau quadrature T = %g K (%d points): worst relative error %.1e over 169 (a, b) pairs", Ts[it], n, worst);
  }
  check(chi0_tau_grid(INFINITY, 1, 100, tau, w) == -1 && chi0_tau_grid(10, 1, 10, tau, w) == -1,
        "chi0_tau_grid rejects T = 0 and a too small output array");
}

/* zheev from LAPACK (OpenBLAS) */
extern void zheev_(const char *jobz, const char *uplo, const int *n, double complex *a, const int *lda, double *w,
                   double complex *work, const int *lwork, double *rwork, int *info, size_t, size_t);

static void test_fft_vs_direct(void)
{
  const double pi = 3.14159265358979323846;
  /* one band: e = -2t(cos 2pi k1 + cos 2pi k2 + cos 2pi k3) - mu on 6 x 5 x 4 */
  {
    const int n1 = 6, n2 = 5, n3 = 4, nk = n1 * n2 * n3;
    double e[120];
    for (int k = 0; k < nk; k++) {
      int k1 = k / (n2 * n3), k2 = k / n3 % n2, k3 = k % n3;
      e[k] = -2 * 0.5 * (cos(2 * pi * k1 / n1) + cos(2 * pi * k2 / n2) + cos(2 * pi * k3 / n3)) - 0.3;
    }
    chi0_bands m = {n1, n2, n3, 1, 1, e, NULL};
    for (int it = 0; it < 2; it++) {
      const double T = it ? 3000 : 100, beta = 1 / (KB * T);
      static double tau[2000], w[2000];
      static double complex cd[120], cf[120];
      int nt = chi0_tau_grid(beta, 3.5, 2000, tau, w);
      memset(cf, 0, sizeof cf);
      int rc = chi0_direct(&m, beta, cd) | chi0_fft(&m, beta, nt, tau, w, 0, nt / 3, cf) |
        chi0_fft(&m, beta, nt, tau, w, nt / 3, nt, cf);
      double worst = 0, mx = 0, im = 0;
      for (int q = 0; q < nk; q++) {
        mx = fmax(mx, cabs(cd[q]));
        im = fmax(im, fabs(cimag(cf[q])));
      }
      for (int q = 0; q < nk; q++) worst = fmax(worst, cabs(cf[q] - cd[q]) / mx);
      check(
        rc == 0 && worst <= 1e-9 && creal(cd[0]) < 0 && im <= 1e-12 * mx,
        "one band 6x5x4, T = %g K: FFT (tau split in two parts) vs direct, worst %.1e of max|chi| = %.4f /eV; Im %.0e",
        T, worst, mx, im);
    }
  }
  /* three orbitals: H(k) = onsite + hoppings with k-dependent complex off-diagonals */
  {
    const int n1 = 4, n2 = 4, n3 = 3, nk = n1 * n2 * n3, no = 3;
    static double e[48 * 3];
    static double complex U[48 * 9];
    int ok = 1;
    for (int k = 0; k < nk; k++) {
      int k1 = k / (n2 * n3), k2 = k / n3 % n2, k3 = k % n3;
      double c[3] = {cos(2 * pi * k1 / n1), cos(2 * pi * k2 / n2), cos(2 * pi * k3 / n3)};
      double s[3] = {sin(2 * pi * k1 / n1), sin(2 * pi * k2 / n2), sin(2 * pi * k3 / n3)};
      double complex H[9];
      for (int a = 0; a < 3; a++) H[a * 3 + a] = -0.8 * c[a] - 0.2 * c[(a + 1) % 3] + 0.1 * a - 0.2;
      H[0 * 3 + 1] = 0.3 * s[0] * s[1] + 0.1 * I * s[2];
      H[1 * 3 + 0] = conj(H[0 * 3 + 1]);
      H[0 * 3 + 2] = 0.25 * s[0] * s[2] - 0.05 * I * s[1];
      H[2 * 3 + 0] = conj(H[0 * 3 + 2]);
      H[1 * 3 + 2] = 0.2 * s[1] * s[2] + 0.07 * I;
      H[2 * 3 + 1] = conj(H[1 * 3 + 2]);
      int n = 3, lw = 20, info;
      double complex work[20];
      double rw[9];
      zheev_("V", "U", &n, H, &n, e + k * 3, work, &lw, rw, &info, 1, 1); /* column-major: H[n*3 + a] = U_an */
      ok &= info == 0;
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) U[(k * no + a) * 3 + b] = H[b * 3 + a];
    }
    chi0_bands m = {n1, n2, n3, no, 3, e, U};
    const double beta = 1 / (KB * 300);
    static double tau[2000], w[2000];
    static double complex cd[48 * 81], cf[48 * 81];
    int nt = chi0_tau_grid(beta, 3, 2000, tau, w);
    memset(cf, 0, sizeof cf);
    int rc = chi0_direct(&m, beta, cd) | chi0_fft(&m, beta, nt, tau, w, 0, nt, cf);
    double worst = 0, mx = 0;
    for (int q = 0; q < nk * 81; q++) mx = fmax(mx, cabs(cd[q]));
    for (int q = 0; q < nk * 81; q++) worst = fmax(worst, cabs(cf[q] - cd[q]) / mx);
    /* density-density sum over a = c, b = d is the physical chi (rho = identity): real, < 0 at q = 0 */
    double complex d0 = 0;
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) d0 += cd[((a * 3 + b) * 3 + a) * 3 + b];
    check(ok && rc == 0 && worst <= 1e-9 && creal(d0) < 0 && fabs(cimag(d0)) <= 1e-12,
          "3 orbitals 4x4x3, T = 300 K: FFT vs direct over all 81 orbital blocks, worst %.1e of max %.4f /eV", worst,
          mx);
  }
}

static double F_analytic(double x, void *ctx)
{
  (void)ctx;
  return chi0_lindhard_F(x);
}

/* Independent finite-T Lindhard function of free electrons (Hartree units, m = 1, k_F = 1,
 * both spins): chi(q, T) = -(1/(pi^2 q)) int_0^inf dk k f(k^2/2 - 1/2) ln|(2k+q)/(2k-q)|,
 * Gauss-Legendre on panels graded geometrically towards the log singularity at k = q/2. */
static double lindhard_T(double q, double kT)
{
  static const double gx[8] = {0.0950125098376374, 0.2816035507792589, 0.4580167776572274, 0.6178762444026438,
                               0.7554044083550030, 0.8656312023878318, 0.9445750230732326, 0.9894009349916499};
  static const double gw[8] = {0.1894506104550685, 0.1826034150449236, 0.1691565193950025, 0.1495959888165767,
                               0.1246289712555339, 0.0951585116824928, 0.0622535239386479, 0.0271524594117541};
  const double kmax = sqrt(1 + 2 * 60 * kT), c = 0.5 * q;
  double edges[200];
  int ne = 0;
  /* [0, c): panels c - c 2^-j ; (c, kmax]: c + (kmax - c) 2^-j, plus uniform panels of width
   * kT / 2 around the Fermi surface so that f is resolved */
  if (c < kmax) {
    for (int j = 0; j <= 40; j++) edges[ne++] = c - c * ldexp(1, -j); /* the last sliver: < 1e-11 */
    edges[ne++] = c;
    for (int j = 40; j >= 0; j--) edges[ne++] = c + (kmax - c) * ldexp(1, -j);
  } else { /* the log point lies beyond the support */
    edges[ne++] = 0;
    edges[ne++] = kmax;
  }
  const double flo = sqrt(fmax(0, 1 - 2 * 40 * kT)), fhi = sqrt(1 + 2 * 40 * kT);
  double sum = 0;
  for (int pnl = 0; pnl + 1 < ne; pnl++) {
    double a = edges[pnl], b = edges[pnl + 1];
    if (!(b > a)) continue;
    /* resolve the Fermi function only where it changes: |k - k_F| within 40 kT */
    double ov = fmin(b, fhi) - fmax(a, flo);
    int sub = ov > 0 ? 2 + (int)ceil(ov / (0.25 * kT)) : 2;
    for (int u = 0; u < sub; u++) {
      double lo = a + (b - a) * u / sub, hi = a + (b - a) * (u + 1) / sub, m = 0.5 * (lo + hi), h = 0.5 * (hi - lo);
      for (int g = 0; g < 16; g++) {
        double k = m + h * (g < 8 ? -gx[7 - g] : gx[g - 8]), w = h * (g < 8 ? gw[7 - g] : gw[g - 8]);
        if (fabs(2 * k - q) < 1e-13 * q) continue; /* a node rounded onto the log point: weight < 1e-13 */
        double e = 0.5 * k * k - 0.5, f = e > 0 ? exp(-e / kT) / (1 + exp(-e / kT)) : 1 / (1 + exp(e / kT));
        sum += w * k * f * log(fabs((2 * k + q) / (2 * k - q)));
      }
    }
  }
  return -sum / (3.14159265358979323846 * 3.14159265358979323846 * q);
}

/* F(x) from the numerical integral at k_BT = 2e-4 E_F */
static double F_numeric(double x, void *ctx)
{
  (void)ctx;
  if (x <= 0) return 1.0;
  return -lindhard_T(2 * x, 1e-4) * 3.14159265358979323846 * 3.14159265358979323846;
}

/* The static Lindhard function through AGAPE's FFT route: free electrons (k_F = 1) on a
 * 64^3 periodic grid of spacing h = 1/8 spanning k in [-4, 4)^3, at kT = 0.08 Ha = 0.16 E_F,
 * against the independent finite-T integral above.  Error budget:
 * the periodic trapezoid rule on an integrand analytic in a strip of half-width pi kT/v_F
 * converges like exp(-2 pi (pi kT)/h) = 2e-7; states within a few kT of the Fermi surface
 * plus q <= 2 k_F stay inside the box (no wrap-around); tau quadrature 1e-12.  Tolerance 1e-4
 * relative.  Then the T -> 0 integral against F(x) of docs/theory.md §10.4 (F(2) included). */
static void test_free_electrons(void)
{
  const int n = 64;
  const double h = 0.125, kT = 0.08, beta = 1 / kT;
  const int64_t nk = (int64_t)n * n * n;
  double *e = malloc(sizeof(double) * nk);
  double complex *chi = calloc((size_t)nk, sizeof(double complex));
  static double tau[4000], w[4000];
  double emax = 0;
  for (int64_t k = 0; k < nk; k++) {
    int i[3] = {(int)(k / (n * n)), (int)(k / n % n), (int)(k % n)};
    double k2 = 0;
    for (int x = 0; x < 3; x++) {
      double kx = (i[x] < n / 2 ? i[x] : i[x] - n) * h;
      k2 += kx * kx;
    }
    e[k] = 0.5 * k2 - 0.5;
    emax = fmax(emax, fabs(e[k]));
  }
  chi0_bands m = {n, n, n, 1, 1, e, NULL};
  int nt = chi0_tau_grid(beta, emax * 1.001, 4000, tau, w);
  int rc = nt > 0 ? chi0_fft(&m, beta, nt, tau, w, 0, nt, chi) : -1;
  const double scale = pow(n * h, 3) / pow(2 * 3.14159265358979323846, 3);   /* grid sum -> integral */
  const double ntot = 1 / (3.14159265358979323846 * 3.14159265358979323846); /* k_F/pi^2 */
  double worst = 0;
  const int js[4] = {4, 8, 12, 16}; /* q = 0.5, 1, 1.5, 2 k_F along x */
  for (int t = 0; t < 4 && rc == 0; t++) {
    double q = js[t] * h, got = creal(chi[(int64_t)js[t] * n * n]) * scale, ref = lindhard_T(q, kT);
    worst = fmax(worst, fabs(got / ref - 1));
    printf("      q = %.2f k_F: grid chi/N_tot = %.7f, finite-T Lindhard %.7f, T = 0 F = %.7f\n", q, -got / ntot,
           -ref / ntot, chi0_lindhard_F(q / 2));
  }
  check(rc == 0 && worst <= 1e-4,
        "free electrons on a 64^3 grid (FFT route, %d tau points) vs the finite-T "
        "Lindhard integral at k_BT = 0.16 E_F: worst relative %.1e",
        nt, worst);
  double wF = 0;
  const double xs[3] = {0.5, 1.0, 2.0}, Fs[3] = {0.911980, 0.5, 0.088020};
  for (int t = 0; t < 3; t++) wF = fmax(wF, fabs(-lindhard_T(2 * xs[t], 1e-4) / ntot - Fs[t]));
  check(wF <= 2e-5, "finite-T Lindhard integral at k_BT = 2e-4 E_F vs F(0.5), F(1), F(2) of docs/theory.md: worst %.1e",
        wF);
  /* the electron-gas mu_RPA again, now with the numerically integrated Lindhard function
   * (k_F = 1 units: F depends on x = q/2k_F only) instead of the closed form */
  const double rpa[5] = {0.1677, 0.2453, 0.2975, 0.3363, 0.3667};
  double wmu = 0;
  for (int i = 0; i < 5; i++) wmu = fmax(wmu, fabs(chi0_jellium_mu_rpa(i + 1, F_numeric, NULL) / rpa[i] - 1));
  check(wmu <= 0.01,
        "electron-gas mu_RPA (r_s = 1..5) with the numerical Lindhard integral: worst %.1e relative to the "
        "docs/theory.md §10.4 table (1 %%)",
        wmu);
  free(e);
  free(chi);
}

static void test_electron_gas(void)
{
  check(fabs(chi0_lindhard_F(0.5) - 0.911980) <= 5e-7 && chi0_lindhard_F(1) == 0.5 &&
          fabs(chi0_lindhard_F(2) - 0.088020) <= 5e-7 && chi0_lindhard_F(0) == 1 &&
          fabs(chi0_lindhard_F(1e-9) - 1) <= 1e-15,
        "Lindhard F(0.5) = %.6f, F(1) = %.6f, F(2) = %.6f (docs/theory.md §10.4: 0.911980, 0.5, 0.088020)",
        chi0_lindhard_F(0.5), chi0_lindhard_F(1), chi0_lindhard_F(2));
  const double tf[5] = {0.1617, 0.2305, 0.2741, 0.3049, 0.3280}, rpa[5] = {0.1677, 0.2453, 0.2975, 0.3363, 0.3667};
  for (int i = 0; i < 5; i++) {
    double rs = i + 1, mt = chi0_jellium_mu_tf(rs), mr = chi0_jellium_mu_rpa(rs, F_analytic, NULL);
    /* the table has 4 decimals: agreement to half a unit of the last digit */
    check(fabs(mt - tf[i]) <= 0.5e-4 && fabs(mr - rpa[i]) <= 0.5e-4,
          "electron gas r_s = %g: mu_TF = %.5f (table %.4f), mu_RPA = %.5f (table %.4f)", rs, mt, tf[i], mr, rpa[i]);
  }
}

int main(void)
{
  test_tau();
  test_fft_vs_direct();
  test_electron_gas();
  test_free_electrons();
  return check_summary();
}
