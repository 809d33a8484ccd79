/* Gap-iteration cost: seconds per distributed matrix-vector product of an N x N float
 * kernel (the whole work of one fixed-point iteration) against N^2 * 4 B / bandwidth,
 * with the STREAM triad bandwidth measured in the same run.
 * Also the replicated O(N) work of one iteration that does not divide over ranks: the
 * column factors (sqrt, tanh) and one Anderson step of depth 8 with a full history.
 * Usage: mpirun -np P agape_bench_matvec N. Prints "RESULT key value" lines. */
#include "agape/parallel.h"
#include "agape/solve.h"
#include "agape/anderson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <math.h>

/* One STREAM triad pass over arrays of n doubles per rank; returns GB/s summed over ranks
 * (24 B per element, the STREAM convention). */
static double triad_once(const agape_par *par, size_t n, double *a, const double *b, const double *c)
{
  agape_par_barrier(par);
  double t0 = agape_par_wtime();
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) a[i] = b[i] + 3.0 * c[i];
  agape_par_barrier(par);
  double t = agape_par_wtime() - t0;
  return 3.0 * n * 8 * par->size / t / 1e9;
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
  for (int64_t s = 0; s < n; s++) {
    x[s] = 1e-3;
    c[s] = 1.0 / n;
  }
  agape_op op;
  agape_op_init(&op, &par, &d, n, K, z, 0.0);
  agape_op_apply(&op, c, c, x, y); /* warm-up */
  /* the machine is shared: triad passes and matvecs alternate, best of each, so that both
   * see the same conditions */
  const size_t tn = 1 << 25; /* 3 arrays x 256 MiB per rank */
  double *ta = malloc(tn * 8), *tb = malloc(tn * 8), *tc = malloc(tn * 8);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < tn; i++) {
    ta[i] = 0;
    tb[i] = 1;
    tc[i] = 2;
  }
  double t = 1e30, bw = 0;
  for (int round = 0; round < 8; round++) {
    double g = triad_once(&par, tn, ta, tb, tc);
    if (g > bw) bw = g;
    agape_par_barrier(&par);
    double t0 = agape_par_wtime();
    agape_op_apply(&op, c, c, x, y);
    double tm = agape_par_max(&par, agape_par_wtime() - t0);
    if (tm < t) t = tm;
  }
  free(ta);
  free(tb);
  free(tc);
  /* replicated vector work of one iteration (as in agape_gap_solve) */
  anderson_mix an;
  anderson_init(&an, n, 8);
  double *r = malloc(8 * n), *xi = malloc(8 * n);
  for (int64_t s = 0; s < n; s++) {
    xi[s] = 1e-3 * (double)(s % 1000 - 500);
    r[s] = 1e-6 * (double)(s % 7);
  }
  for (int h = 0; h < 10; h++) {
    x[0] += 1e-9;
    r[1] += 1e-9 * h;
    anderson_step(&an, x, r, 0.5);
  }
  double tv0 = agape_par_wtime();
  const int vreps = 20;
  for (int rep = 0; rep < vreps; rep++) {
    for (int64_t s = 0; s < n; s++) {
      double E = sqrt(xi[s] * xi[s] + x[s] * x[s]);
      c[s] = tanh(0.5 * E / 1.7e-3) / E;
      y[s] = c[s] * 0.5 + x[s];
    }
    r[rep % n] += 1e-12;
    anderson_step(&an, x, r, 0.5);
  }
  double tvec = (agape_par_wtime() - tv0) / vreps;
  anderson_release(&an);
  free(r);
  free(xi);
  double ideal = (double)n * n * 4 / (bw * 1e9);
  if (par.rank == 0) {
    printf("N = %lld, %d rank(s) x %d thread(s): %.4f s per matvec; N^2*4B/triad = %.4f s (triad %.1f GB/s): %.0f %% "
           "of STREAM\n",
           (long long)n, par.size, par.nthreads, t, ideal, bw, 100 * ideal / t);
    printf("RESULT matvec_N %lld\nRESULT matvec_s %.5f\nRESULT triad_GBs %.2f\nRESULT matvec_fraction_of_stream %.3f\n",
           (long long)n, t, bw, ideal / t);
    printf("replicated vector work per iteration (factors + Anderson depth 8): %.5f s = %.3g s per state\n"
           "RESULT vector_s %.6f\n",
           tvec, tvec / n, tvec);
  }
  agape_op_free(&op);
  free(K);
  free(z);
  free(x);
  free(y);
  free(c);
  agape_dist_destroy(&d);
  agape_par_finalize(&par);
  return 0;
}
