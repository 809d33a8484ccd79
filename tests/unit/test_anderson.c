/* Anderson mixing (kernels/anderson.c) on the linear fixed point x = G(x) = A x + b, A a
 * nonsymmetric contraction with spectral radius 0.95 (slow for plain mixing: 0.975 per step
 * with mixing 0.5):
 *   1. Anderson (depth 8, mixing 0.5) converges to the exact fixed point x* (b = x* - A x*);
 *   2. it needs far fewer iterations than plain mixing (depth 0) with the same mixing;
 *   3. reset forgets the history (the next step equals a plain mixing step);
 *   4. the heap pair create/destroy works and destroy clears the pointer. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/anderson.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 60

static double A[N * N], b[N], xs[N];

static void G(const double *x, double *y)
{
  for (int i = 0; i < N; i++) {
    double s = b[i];
    for (int j = 0; j < N; j++) s += A[i * N + j] * x[j];
    y[i] = s;
  }
}

/* iterations to max|G(x) - x| <= tol from x = 0 (max_it + 1 if never); x [out] */
static int solve(int depth, double mixing, double tol, int max_it, double *x)
{
  anderson_mix a;
  if (anderson_init(&a, N, depth)) return -1;
  double g[N], r[N];
  memset(x, 0, sizeof(double) * N);
  int it;
  for (it = 1; it <= max_it; it++) {
    G(x, g);
    double rm = 0;
    for (int i = 0; i < N; i++) rm = fmax(rm, fabs(r[i] = g[i] - x[i]));
    if (rm <= tol) break;
    anderson_step(&a, x, r, mixing);
  }
  anderson_release(&a);
  return it;
}

int main(void)
{
  /* A: upper bidiagonal; the diagonal (the eigenvalues) has five slow modes 0.91..0.95 and
   * the rest in [0, 0.3], as a gap equation's map has a few slow directions; a
   * superdiagonal of amplitude 0.1 makes it nonsymmetric */
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) A[i * N + j] = j == i + 1 ? 0.1 * sin(1.0 + i + 2.0 * j) : 0;
    A[i * N + i] = i < 5 ? 0.95 - 0.01 * i : 0.3 * (double)i / (N - 1);
    xs[i] = cos(0.3 * i) + 0.1 * i;
  }
  double ax[N];
  for (int i = 0; i < N; i++) {
    double s = 0;
    for (int j = 0; j < N; j++) s += A[i * N + j] * xs[j];
    ax[i] = s;
    b[i] = xs[i] - ax[i];
  }
  double x[N];
  const double tol = 1e-10;
  int na = solve(8, 0.5, tol, 2000, x);
  double err = 0;
  for (int i = 0; i < N; i++) err = fmax(err, fabs(x[i] - xs[i]));
  check(na > 0 && na <= 2000, "Anderson depth 8 converges: %d iterations", na);
  check(err < 1e-7, "... to the exact fixed point: max |x - x*| = %.2e (< 1e-7)", err);
  int np = solve(0, 0.5, tol, 5000, x);
  check(np > 0 && na * 4 < np, "plain mixing needs %d iterations, more than 4 x the %d of Anderson", np, na);

  /* reset: the next step is plain mixing x + m r */
  anderson_mix *a = anderson_create(N, 4);
  check(a != NULL, "anderson_create");
  if (a) {
    double y[N], r[N], y2[N];
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < N; i++) {
        y[i] = sin(i + k);
        r[i] = cos(2 * i + k);
      }
      anderson_step(a, y, r, 0.5);
    }
    anderson_reset(a);
    double dmax = 0;
    for (int i = 0; i < N; i++) {
      y[i] = sin(i);
      r[i] = cos(3 * i);
      y2[i] = y[i] + 0.5 * r[i];
    }
    anderson_step(a, y, r, 0.5);
    for (int i = 0; i < N; i++) dmax = fmax(dmax, fabs(y[i] - y2[i]));
    check(dmax == 0, "after reset the step is plain mixing (max diff %.1e)", dmax);
    anderson_destroy(&a);
    check(a == NULL, "anderson_destroy clears the pointer");
  }
  return check_summary();
}
