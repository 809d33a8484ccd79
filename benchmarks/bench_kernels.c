/* Pair-kernel throughput: evaluations per second per core of the optimised row kernels
 * (kern_K_row, kern_Z_row), of the column-interpolated rows (kern_ci_K_row, kern_ci_Z_row,
 * including the per-row tabulation on the grid nodes, amortised over a 4096-column row as in
 * the solver's build) against the scalar reference twins (kref_*), single thread.
 * Prints a table and one "RESULT key value" line per figure for benchmarks/run.sh. */
#include "agape/kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void)
{
  const int64_t n = 4096;
  const int nm = 8, nc = 256;
  double *xi = malloc(sizeof(double) * n), om[8], *a = malloc(sizeof(double) * nm * nc), out[256], w[256];
  int64_t j[256];
  srand(3);
  for (int64_t i = 0; i < n; i++) xi[i] = (rand() / (double)RAND_MAX - 0.5) * 0.4 + 1e-7;
  for (int b = 0; b < nm; b++) om[b] = 0.005 + 0.016 * b;
  for (int q = 0; q < nm * nc; q++) a[q] = 1e-4;
  for (int c = 0; c < nc; c++) w[c] = 1.0 / n;
  const double beta = 1.0 / (8.617333262e-5 * 20.0);
  kern_spg_gammas g = {1.33, 3.8, 1.33};
  const char *names[2] = {"LMG", "SPG"};
  for (int f = 0; f < 2; f++) {
    kern_tab *t;
    if (kern_tab_create((kern_functional)f, beta, n, xi, xi, nm, om, g, &t)) return 1;
    double sink = 0, t0 = now();
    long evals = 0;
    for (int64_t i = 0; now() - t0 < 1.0; i = (i + 1) % n) {
      for (int c = 0; c < nc; c++) j[c] = (i * 7 + c * 13) % n;
      kern_K_row(t, i, nc, j, a, nc, out);
      sink += out[0];
      evals += (long)nc * nm;
    }
    double tk = now() - t0;
    t0 = now();
    long zevals = 0;
    for (int64_t i = 0; now() - t0 < 1.0; i = (i + 1) % n) {
      for (int c = 0; c < nc; c++) j[c] = (i * 7 + c * 13) % n;
      sink += kern_Z_row(t, i, nc, j, a, nc, w);
      zevals += (long)nc * nm;
    }
    double tz = now() - t0;
    t0 = now();
    long revals = 0;
    for (int64_t i = 0; now() - t0 < 1.0; i = (i + 1) % n) {
      for (int c = 0; c < 64; c++) {
        int64_t jj = (i * 7 + c * 13) % n;
        for (int b = 0; b < nm; b++)
          sink += f == 0 ? kref_lmg_K(beta, xi[i], xi[jj], om[b]) : kref_spg_K(beta, xi[i], xi[jj], om[b], g);
        revals += nm;
      }
    }
    double tr = now() - t0;
    /* interpolated: tabulate the row on the grid nodes, then whole rows of n columns */
    kern_cgrid *cg;
    kern_tab *tn;
    if (kern_cgrid_create(beta, om[0], 0.21, &cg)) return 1;
    const int nn = kern_cgrid_nnodes(cg);
    if (kern_tab_create_rc((kern_functional)f, beta, n, xi, nn, kern_cgrid_nodes(cg), nm, om, g, n, NULL, &tn))
      return 1;
    int32_t *off = malloc(sizeof(int32_t) * n);
    double *L = malloc(sizeof(double) * n * KERN_CI_NP), *TK = aligned_alloc(64, sizeof(double) * nm * nn);
    double *TZ = aligned_alloc(64, sizeof(double) * nm * nn), *ab = malloc(sizeof(double) * nm * n),
           *ob = malloc(sizeof(double) * n);
    double *wb = malloc(sizeof(double) * n);
    int64_t *jn = malloc(sizeof(int64_t) * (nn > n ? nn : n));
    for (int64_t q = 0; q < (nn > n ? nn : n); q++) jn[q] = q;
    for (int64_t q = 0; q < nm * n; q++) ab[q] = 1e-4;
    for (int64_t q = 0; q < n; q++) wb[q] = 1.0 / n;
    if (kern_cgrid_locate(cg, n, xi, off, L)) return 1;
    t0 = now();
    long ievals = 0;
    for (int64_t i = 0; now() - t0 < 1.0; i = (i + 1) % n) {
      kern_K_row_modes(tn, i, nn, jn, TK, nn);
      kern_ci_K_row(nm, TK, nn, off, L, (int)n, jn, ab, (int)n, ob);
      sink += ob[0];
      ievals += (long)n * nm;
    }
    double ti = now() - t0;
    t0 = now();
    long izevals = 0;
    for (int64_t i = 0; now() - t0 < 1.0; i = (i + 1) % n) {
      kern_Z_row_modes(tn, i, nn, jn, TZ, nn);
      sink += kern_ci_Z_row(nm, TZ, nn, off, L, (int)n, jn, ab, (int)n, wb);
      izevals += (long)n * nm;
    }
    double tiz = now() - t0;
    printf("%s  K interpolated %.3e evals/s   Z interpolated %.3e evals/s  (%d nodes)\n", names[f], ievals / ti,
           izevals / tiz, nn);
    printf("RESULT %s_K_interp_evals_per_s %.4e\nRESULT %s_Z_interp_evals_per_s %.4e\n", names[f], ievals / ti,
           names[f], izevals / tiz);
    free(off);
    free(L);
    free(TK);
    free(TZ);
    free(ab);
    free(ob);
    free(wb);
    free(jn);
    kern_tab_destroy(&tn);
    kern_cgrid_destroy(&cg);
    kern_tab_destroy(&t);
    printf(
      "%s  K optimised %.3e evals/s   Z optimised %.3e evals/s   K reference %.3e evals/s   speed-up %.1fx  (%g)\n",
      names[f], evals / tk, zevals / tz, revals / tr, (evals / tk) / (revals / tr), sink * 0);
    printf("RESULT %s_K_opt_evals_per_s %.4e\nRESULT %s_Z_opt_evals_per_s %.4e\nRESULT %s_K_ref_evals_per_s %.4e\n",
           names[f], evals / tk, names[f], zevals / tz, names[f], revals / tr);
  }
  free(xi);
  free(a);
  return 0;
}
