/* Gap-iteration cost: seconds per distributed matrix-vector product of an N x N float
 * kernel (the whole work of one fixed-point iteration) against N^2 * 4 B / bandwidth,
 * with the STREAM triad bandwidth measured in the same run.
 * Usage: mpirun -np P agape_bench_matvec N. Prints "RESULT key value" lines. */
#include "agape/parallel.h"
#include "agape/solve.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

static double triad_gbs(const agape_par *par)
{
  const size_t n = 1 << 25;   /* 3 arrays x 256 MiB per rank */
  double *a = malloc(n * 8), *b = malloc(n * 8), *c = malloc(n * 8);
  #pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
  double best = 1e30;
  for (int r = 0; r < 5; r++) {
    agape_par_barrier(par);
    double t0 = agape_par_wtime();
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) a[i] = b[i] + 3.0 * c[i];
    agape_par_barrier(par);
    double t = agape_par_wtime() - t0;
    if (t < best) best = t;
  }
  double gbs = 3.0 * n * 8 * par->size / best / 1e9;
  free(a); free(b); free(c);
  return gbs;
}

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  int64_t n = argc > 1 ? atoll(argv[1]) : 20000;
  agape_dist d;
  if (agape_dist_create(&par, n, 64, &d)) return 1;
  float *K = malloc(sizeof(float) * d.mloc * d.nloc);
  for (int64_t q = 0; q < d.mloc * d.nloc; q++) K[q] = -1e-3f * (float)((q % 97) + 1);
  double *z = calloc(n, 8), *x = malloc(8 * n), *y = malloc(8 * n), *c = malloc(8 * n);
  for (int64_t s = 0; s < n; s++) { x[s] = 1e-3; c[s] = 1.0 / n; }
  agape_op op;
  agape_op_init(&op, &par, &d, n, K, z, 0.0);
  agape_op_apply(&op, c, c, x, y);   /* warm-up */
  int reps = 10;
  agape_par_barrier(&par);
  double t0 = agape_par_wtime();
  for (int r = 0; r < reps; r++) agape_op_apply(&op, c, c, x, y);
  double t = (agape_par_wtime() - t0) / reps;
  double bw = triad_gbs(&par);
  double ideal = (double)n * n * 4 / (bw * 1e9);
  if (par.rank == 0) {
    printf("N = %lld, %d rank(s) x %d thread(s): %.4f s per matvec; N^2*4B/triad = %.4f s (triad %.1f GB/s): %.0f %% of STREAM\n",
           (long long)n, par.size, par.nthreads, t, ideal, bw, 100 * ideal / t);
    printf("RESULT matvec_N %lld\nRESULT matvec_s %.5f\nRESULT triad_GBs %.2f\nRESULT matvec_fraction_of_stream %.3f\n",
           (long long)n, t, bw, ideal / t);
  }
  agape_op_free(&op);
  free(K); free(z); free(x); free(y); free(c);
  agape_dist_destroy(&d);
  agape_par_finalize(&par);
  return 0;
}
