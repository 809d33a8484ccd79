/* Anderson (type II) mixing (see include/agape/anderson.h). */
#include "agape/anderson.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double dot(int64_t n, const double *a, const double *b)
{
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* Solve the small least-squares problem min |r - dR g| by normal equations (m <= 64). */
static void anderson_coeffs(int64_t n, int m, const double *dR, const double *r, double *g)
{
  double A[ANDERSON_MAX_DEPTH * ANDERSON_MAX_DEPTH], b[ANDERSON_MAX_DEPTH];
  for (int i = 0; i < m; i++) {
    b[i] = dot(n, dR + (size_t)i * n, r);
    for (int j = 0; j <= i; j++) A[i * m + j] = A[j * m + i] = dot(n, dR + (size_t)i * n, dR + (size_t)j * n);
  }
  double tr = 0;
  for (int i = 0; i < m; i++) tr += A[i * m + i];
  for (int i = 0; i < m; i++) A[i * m + i] += 1e-12 * tr / m;
  /* Gaussian elimination with partial pivoting */
  for (int c = 0; c < m; c++) {
    int p = c;
    for (int r2 = c + 1; r2 < m; r2++)
      if (fabs(A[r2 * m + c]) > fabs(A[p * m + c])) p = r2;
    if (p != c) {
      for (int q = 0; q < m; q++) {
        double t = A[c * m + q];
        A[c * m + q] = A[p * m + q];
        A[p * m + q] = t;
      }
      double t = b[c];
      b[c] = b[p];
      b[p] = t;
    }
    for (int r2 = c + 1; r2 < m; r2++) {
      double f = A[r2 * m + c] / A[c * m + c];
      for (int q = c; q < m; q++) A[r2 * m + q] -= f * A[c * m + q];
      b[r2] -= f * b[c];
    }
  }
  for (int c = m - 1; c >= 0; c--) {
    double s = b[c];
    for (int q = c + 1; q < m; q++) s -= A[c * m + q] * g[q];
    g[c] = s / A[c * m + c];
  }
}

int anderson_init(anderson_mix *a, int64_t n, int depth)
{
  memset(a, 0, sizeof *a);
  a->n = n;
  a->depth = depth > 0 ? (depth < ANDERSON_MAX_DEPTH ? depth : ANDERSON_MAX_DEPTH) : 0;
  a->xo = malloc(sizeof(double) * (size_t)n);
  a->ro = malloc(sizeof(double) * (size_t)n);
  a->dX = malloc(sizeof(double) * (size_t)n * (a->depth + 1));
  a->dR = malloc(sizeof(double) * (size_t)n * (a->depth + 1));
  if (!a->xo || !a->ro || !a->dX || !a->dR) {
    anderson_release(a);
    return -1;
  }
  return 0;
}

void anderson_release(anderson_mix *a)
{
  free(a->xo);
  free(a->ro);
  free(a->dX);
  free(a->dR);
  a->xo = a->ro = a->dX = a->dR = NULL;
}

anderson_mix *anderson_create(int64_t n, int depth)
{
  anderson_mix *a = malloc(sizeof *a);
  if (a && anderson_init(a, n, depth) != 0) {
    free(a);
    a = NULL;
  }
  return a;
}

void anderson_destroy(anderson_mix **a)
{
  if (!*a) return;
  anderson_release(*a);
  free(*a);
  *a = NULL;
}

void anderson_reset(anderson_mix *a)
{
  a->hist = 0;
  a->head = 0;
  a->have = 0;
}

void anderson_step(anderson_mix *a, double *x, const double *r, double mixing)
{
  const int64_t n = a->n;
  const int M = a->depth;
  if (a->have && M > 0) {
    double *dx = a->dX + (size_t)a->head * n, *dr = a->dR + (size_t)a->head * n;
    for (int64_t s = 0; s < n; s++) {
      dx[s] = x[s] - a->xo[s];
      dr[s] = r[s] - a->ro[s];
    }
    a->head = (a->head + 1) % M;
    if (a->hist < M) a->hist++;
  }
  memcpy(a->xo, x, sizeof(double) * n);
  memcpy(a->ro, r, sizeof(double) * n);
  a->have = 1;
  double gam[ANDERSON_MAX_DEPTH] = {0};
  if (a->hist > 0) anderson_coeffs(n, a->hist, a->dR, r, gam);
  for (int64_t s = 0; s < n; s++) {
    double v = x[s] + mixing * r[s];
    for (int h = 0; h < a->hist; h++) v -= gam[h] * (a->dX[(size_t)h * n + s] + mixing * a->dR[(size_t)h * n + s]);
    x[s] = v;
  }
}
