/* The energy-resolved Coulomb term of the gap operator (agape_op_set_coulomb_table):
 *   1. a constant table W gives the same operator as the rank-one constant kernel coul = W;
 *   2. a table linear in the energies, W(xi, xi') = a + b (xi + xi'), which linear
 *      interpolation reproduces exactly inside the axis, equals the direct O(N^2) sum
 *      sum_s' W(xi_s, xi_s') cel_s' x_s'; states beyond the axis take the end values.
 * K = 0 and Z = 0.3 here, so only the Coulomb term is tested. One MPI rank (singleton). */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/solve.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  const int64_t n = 500;
  const int ne = 12;
  agape_dist d;
  if (agape_dist_create(&par, n, 64, &d)) return 1;
  float *K = calloc((size_t)(d.mloc * d.nloc), sizeof(float));
  double *z = malloc(sizeof(double) * n), *xi = malloc(sizeof(double) * n), *c = malloc(sizeof(double) * n);
  double *x = malloc(sizeof(double) * n), *y1 = malloc(sizeof(double) * n), *y2 = malloc(sizeof(double) * n);
  double axis[12], tab[144];
  for (int64_t s = 0; s < n; s++) {
    xi[s] = -1.3 + 2.6 * (double)s / (n - 1); /* beyond the axis [-1, 1] at both ends */
    z[s] = 0.3;
    c[s] = 0.01 * (1 + 0.5 * sin(0.1 * s));
    x[s] = cos(0.37 * s);
  }
  for (int p = 0; p < ne; p++) axis[p] = -1 + 2.0 * p / (ne - 1);
  /* 1. constant */
  const double W0 = 0.27;
  for (int q = 0; q < ne * ne; q++) tab[q] = W0;
  agape_op a, b;
  agape_op_init(&a, &par, &d, n, K, z, W0);
  agape_op_init(&b, &par, &d, n, K, z, 0.0);
  agape_err err = agape_op_set_coulomb_table(&b, ne, axis, tab, xi);
  agape_op_apply(&a, c, c, x, y1);
  agape_op_apply(&b, c, c, x, y2);
  double worst = 0, mx = 0;
  for (int64_t s = 0; s < n; s++) {
    worst = fmax(worst, fabs(y1[s] - y2[s]));
    mx = fmax(mx, fabs(y1[s]));
  }
  check(err == AGAPE_OK && mx > 0, "constant table accepted, a non-zero result (max %.3e)", mx);
  check_le(worst, 1e-14 * mx, "constant table = rank-one constant kernel: max |difference| <= 1e-14 max |y|");
  agape_op_free(&b);
  /* 2. linear in the energies */
  const double A = 0.2, B = -0.05;
  for (int p = 0; p < ne; p++)
    for (int q = 0; q < ne; q++) tab[p * ne + q] = A + B * (axis[p] + axis[q]);
  agape_op_init(&b, &par, &d, n, K, z, 0.0);
  err = agape_op_set_coulomb_table(&b, ne, axis, tab, xi);
  agape_op_apply(&b, c, c, x, y2);
  worst = 0;
  mx = 0;
  for (int64_t s = 0; s < n; s++) {
    double e1 = fmin(1, fmax(-1, xi[s])), acc = 0;
    for (int64_t t = 0; t < n; t++) {
      double e2 = fmin(1, fmax(-1, xi[t]));
      acc += (A + B * (e1 + e2)) * c[t] * x[t];
    }
    double ref = -0.5 * acc / (1 + z[s]);
    worst = fmax(worst, fabs(y2[s] - ref));
    mx = fmax(mx, fabs(ref));
  }
  check(err == AGAPE_OK && mx > 0, "linear table accepted, a non-zero reference (max %.3e)", mx);
  check_le(worst, 1e-13 * mx,
           "linear table vs the direct double sum (flat beyond the axis): max |difference| <= 1e-13 max |ref|");
  agape_op_free(&a);
  agape_op_free(&b);
  agape_dist_destroy(&d);
  free(K);
  free(z);
  free(xi);
  free(c);
  free(x);
  free(y1);
  free(y2);
  agape_par_finalize(&par);
  return check_summary();
}
