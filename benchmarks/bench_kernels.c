/* Pair-kernel throughput: evaluations per second per core of the optimised row kernels
 * (kern_K_row, kern_Z_row) against the scalar reference twins (kref_*), single thread.
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
    kern_tab_destroy(&t);
    printf("%s  K optimised %.3e evals/s   Z optimised %.3e evals/s   K reference %.3e evals/s   speed-up %.1fx  (%g)\n",
           names[f], evals / tk, zevals / tz, revals / tr, (evals / tk) / (revals / tr), sink * 0);
    printf("RESULT %s_K_opt_evals_per_s %.4e\nRESULT %s_Z_opt_evals_per_s %.4e\nRESULT %s_K_ref_evals_per_s %.4e\n",
           names[f], evals / tk, names[f], zevals / tz, names[f], revals / tr);
  }
  free(xi); free(a);
  return 0;
}
