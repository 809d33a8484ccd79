/* Calibration and convergence driver for the built-in XB12 model (model_xb12.c): evaluates
 * alpha^2F mode weights and N(0) with xb12_a2f_grid on uniform k-grids and prints lambda,
 * omega_log, the rattler fraction and McMillan-Allen-Dynes Tc (f1 = f2 = 1), plus the
 * coupling prefactors G_nu that would hit the target lambda_nu of each mode. Not part of
 * the solver's data flow; a developer tool (see docs/model_xb12.md, "Calibration").
 *
 * Build (from the repository root):
 *   gcc -O3 -march=native -std=c17 -fopenmp -Iinclude src/model_xb12.c \
 *       benchmarks/xb12_calibrate.c -lm -o xb12_calibrate
 * Run:
 *   ./xb12_calibrate CsB12 96 0.02          one grid, full table
 *   ./xb12_calibrate LaB12 scan             convergence scan over (ngrid, sigma)
 *   ./xb12_calibrate CsB12 time             cost of xb12_g2_row per pair and mode
 *   ./xb12_calibrate CsB12 calib 64 0.02    new prefactors G_nu from lambda_nu at sigma and
 *                                            2 sigma, extrapolated to sigma -> 0 (error ~ sigma^2) */
#include "agape/model_xb12.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KB_MEV_K 11.604518 /* K per meV */

/* Target lambda_nu per mode (same order as the model's mode table); sums 1.5 / 0.7. */
static const double target_cs[12] = {0.04, 0.06, 0.06, 0.06, 0.10, 0.12, 0.15, 0.17, 0.18, 0.19, 0.19, 0.18};
static const double target_la[12] = {0.06, 0.075, 0.06, 0.175, 0.07, 0.055, 0.045, 0.04, 0.035, 0.03, 0.03, 0.025};
#define RATTLER 3 /* index of the guest-atom mode */

static double tc_mcm(double lam, double wlog_K, double mu)
{
  double den = lam - mu * (1.0 + 0.62 * lam);
  return den > 0 ? wlog_K / 1.2 * exp(-1.04 * (1.0 + lam) / den) : 0.0;
}

/* One evaluation; prints a table if verbose. Returns lambda. */
static double run(const xb12_model *m, int ng, double sig, int verbose)
{
  const int nm = xb12_nmodes(m);
  const double *om = xb12_omega(m);
  const double *tg = strcmp(xb12_name(m), "CsB12") == 0 ? target_cs : target_la;
  double a2f[16], t0 = omp_get_wtime();
  double n0 = xb12_a2f_grid(m, ng, sig, a2f);
  double dt = omp_get_wtime() - t0;
  double lam = 0, lg = 0, w2 = 0;
  for (int b = 0; b < nm; b++) {
    double l = 2 * a2f[b] / om[b];
    lam += l;
    lg += l * log(om[b]);
    w2 += 2 * a2f[b] * om[b];
  }
  double wlog = exp(lg / lam) * 1e3, wlog_K = wlog * KB_MEV_K;
  if (verbose) {
    printf("%s ngrid %d sigma %.4f eV: N(0) grid %.5f (tetrahedra %.5f) /eV/spin/cell, %.1f s\n", xb12_name(m), ng, sig,
           n0, xb12_dos0(m), dt);
    printf("  mode  omega/meV  a2f_w       lambda_nu  target   G_nu(now)->G_nu(target)  name\n");
    for (int b = 0; b < nm; b++) {
      double l = 2 * a2f[b] / om[b];
      printf("  %2d   %6.1f    %.6f   %.5f    %.4f   (rel %+.4f)  G -> x%.6f  %s\n", b, om[b] * 1e3, a2f[b], l, tg[b],
             l / tg[b] - 1, tg[b] / l, xb12_mode_name(m, b));
    }
    printf("  lambda %.5f  omega_log %.3f meV (%.1f K)  omega2 %.3f meV  rattler fraction %.4f\n", lam, wlog, wlog_K,
           sqrt(w2 / lam) * 1e3, 2 * a2f[RATTLER] / om[RATTLER] / lam);
    printf("  McMillan-Allen-Dynes (f1=f2=1): Tc(mu*=0.10) = %.2f K, Tc(mu*=0.13) = %.2f K\n",
           tc_mcm(lam, wlog_K, 0.10), tc_mcm(lam, wlog_K, 0.13));
  } else {
    printf("  ngrid %3d sigma %.3f  N0 %.5f  lambda %.5f  wlog %.3f meV  ratt %.4f  "
           "Tc(0.10) %.2f K  Tc(0.13) %.2f K  %.1f s\n",
           ng, sig, n0, lam, wlog, 2 * a2f[RATTLER] / om[RATTLER] / lam, tc_mcm(lam, wlog_K, 0.10),
           tc_mcm(lam, wlog_K, 0.13), dt);
  }
  fflush(stdout);
  return lam;
}

/* Calibration: lambda_nu(sigma -> 0) = [4 lambda_nu(sigma) - lambda_nu(2 sigma)]/3 (the
 * Gaussian-smearing error is even in sigma); G_nu(new) = G_nu target_nu / lambda_nu(0). */
static void calibrate(const xb12_model *m, int ng, double sig)
{
  const int nm = xb12_nmodes(m);
  const double *om = xb12_omega(m);
  const double *tg = strcmp(xb12_name(m), "CsB12") == 0 ? target_cs : target_la;
  double a1[16], a2[16];
  xb12_a2f_grid(m, ng, sig, a1);
  xb12_a2f_grid(m, ng, 2 * sig, a2);
  printf("calibration %s: ngrid %d, sigma %.4f and %.4f eV, extrapolated to sigma -> 0\n", xb12_name(m), ng, sig,
         2 * sig);
  double lam = 0, lg = 0;
  for (int b = 0; b < nm; b++) {
    double l0 = (4 * 2 * a1[b] / om[b] - 2 * a2[b] / om[b]) / 3;
    lam += l0;
    lg += l0 * log(om[b]);
    printf("  %2d  lambda_nu(sigma) %.6f  (2 sigma) %.6f  (->0) %.6f  target %.4f\n", b, 2 * a1[b] / om[b],
           2 * a2[b] / om[b], l0, tg[b]);
  }
  double wlog_K = exp(lg / lam) * 1e3 * KB_MEV_K;
  printf("  extrapolated: lambda %.5f  omega_log %.3f meV  Tc(0.10) %.2f K  Tc(0.13) %.2f K\n", lam, wlog_K / KB_MEV_K,
         tc_mcm(lam, wlog_K, 0.10), tc_mcm(lam, wlog_K, 0.13));
  printf("static const double gcoef_%s[XB12_NMODES] = {", strcmp(xb12_name(m), "CsB12") == 0 ? "cs" : "la");
  for (int b = 0; b < nm; b++) {
    double l0 = (4 * 2 * a1[b] / om[b] - 2 * a2[b] / om[b]) / 3;
    printf("%.6e%s", xb12_mode_prefactor(m, b) * tg[b] / l0, b + 1 < nm ? ", " : "};\n");
  }
}

/* Cost of xb12_g2_row: rows against 256-column chunks of random states. */
static void timing(const xb12_model *m)
{
  const int N = 20000, nc = 256, nm = xb12_nmodes(m), nf = xb12_nfeat(m);
  double *feat = malloc(sizeof(double) * N * nf), *g2 = malloc(sizeof(double) * nm * nc);
  int64_t *j = malloc(sizeof(int64_t) * N);
  unsigned long long s = 88172645463325252ull;
  for (int i = 0; i < N; i++) {
    double k[3];
    for (int a = 0; a < 3; a++) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      k[a] = (s >> 11) * 0x1.0p-53;
    }
    xb12_features(m, k, i % xb12_nbands(m), feat + (size_t)i * nf);
    j[i] = getenv("XB12_CONTIG") ? i : (int64_t)((i * 7919LL) % N); /* scattered (default) or contiguous columns */
  }
  double sum = 0, t0 = omp_get_wtime();
  const int nrow = 4000;
  for (int i = 0; i < nrow; i++)
    for (int c0 = 0; c0 + nc <= N; c0 += nc) {
      xb12_g2_row(m, feat, i, nc, j + c0, g2);
      sum += g2[(i % nm) * nc];
    }
  double dt = omp_get_wtime() - t0, pairs = (double)nrow * (N / nc) * nc;
  printf("%s xb12_g2_row: %.3f ns per pair, %.3f ns per pair per mode (1 thread, checksum %.3e)\n", xb12_name(m),
         dt / pairs * 1e9, dt / pairs / nm * 1e9, sum);
  free(feat);
  free(g2);
  free(j);
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s CsB12|LaB12 NGRID SIGMA_eV | scan | time\n", argv[0]);
    return 2;
  }
  xb12_model *m;
  if (xb12_create(argv[1], &m) != 0) {
    fprintf(stderr, "unknown model %s\n", argv[1]);
    return 2;
  }
  double lo, hi;
  xb12_band_range(m, &lo, &hi);
  printf("%s: E_F = %.6f eV (tight-binding scale), manifold [%.4f, %.4f] eV from E_F, "
         "N(0) tetra = %.5f /eV/spin/cell\n",
         xb12_name(m), xb12_fermi_level(m), lo, hi, xb12_dos0(m));
  if (strcmp(argv[2], "scan") == 0) {
    const int grids[] = {32, 32, 36, 48, 48, 64, 64, 64, 96, 96};
    const double sigs[] = {0.06, 0.04, 0.03, 0.04, 0.03, 0.04, 0.03, 0.02, 0.02, 0.015};
    for (int g = 0; g < (int)(sizeof grids / sizeof grids[0]); g++) run(m, grids[g], sigs[g], 0);
  } else if (strcmp(argv[2], "calib") == 0) {
    calibrate(m, argc > 3 ? atoi(argv[3]) : 64, argc > 4 ? atof(argv[4]) : 0.02);
  } else if (strcmp(argv[2], "time") == 0) {
    timing(m);
  } else {
    run(m, atoi(argv[2]), argc > 3 ? atof(argv[3]) : 0.02, 1);
  }
  xb12_destroy(&m);
  return 0;
}
