/* The Coulomb pseudopotential of an energy-resolved W (see include/agape/mustar.h). */
#include "agape/mustar.h"
#include "agape/quadrature.h"
#include <math.h>
#include <stdlib.h>

/* LAPACK (Fortran) */
extern void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b, const int *ldb,
                   int *info);

#define MS_ORDER  8  /* Gauss-Legendre points per panel */
#define MS_PANELS 24 /* panels in ln|x| on each side */

/* bilinear W(x, y) between the table's points, flat beyond (the gap equation's rule) */
static double ms_w(int ne, const double *xi, const double *w, double x, double y)
{
  double s, t;
  const int i = agape_axis_locate(ne, xi, x, &s), j = agape_axis_locate(ne, xi, y, &t);
  const double *a = w + (size_t)i * ne + j;
  return (1 - s) * ((1 - t) * a[0] + t * a[1]) + s * ((1 - t) * a[ne] + t * a[ne + 1]);
}

/* the DOS of the bin that holds x: bins end half way between neighbouring points */
static double ms_dos(int ne, const double *xi, const double *dos, double x)
{
  double t;
  const int i = agape_axis_locate(ne, xi, x, &t);
  return dos[t < 0.5 ? i : i + 1];
}

double coul_mustar(int ne, const double *xi, const double *w, const double *dos, double n0, double wc)
{
  if (ne < 2 || !(wc > 0)) return NAN;
  const double lo = xi[0] - 0.5 * (xi[1] - xi[0]), hi = xi[ne - 1] + 0.5 * (xi[ne - 1] - xi[ne - 2]);
  if (!(lo < -wc && hi > wc)) return NAN;
  double gx[MS_ORDER], gw[MS_ORDER];
  agape_gauss_legendre(MS_ORDER, gx, gw);
  const int m = 2 * MS_PANELS * MS_ORDER;
  double *x = malloc(sizeof(double) * m), *c = malloc(sizeof(double) * m);
  double *A = malloc(sizeof(double) * (size_t)m * m), *u = malloc(sizeof(double) * m);
  int *piv = malloc(sizeof(int) * m);
  double res = NAN;
  if (x && c && A && u && piv) {
    /* nodes in ln|x| on [ln wc, ln edge] for each side: dx/|x| = d ln|x|, so the weight of
     * node x is w_gl (panel half width in ln|x|) / 2 (the 1/2 of 1/(2|x|)) times N(x) */
    int k = 0;
    for (int side = 0; side < 2; side++) {
      const double e = side ? hi : -lo, a = log(wc), b = log(e), dl = (b - a) / MS_PANELS;
      for (int p = 0; p < MS_PANELS; p++)
        for (int q = 0; q < MS_ORDER; q++, k++) {
          const double l = a + (p + 0.5) * dl + 0.5 * dl * gx[q];
          x[k] = side ? exp(l) : -exp(l);
          c[k] = 0.5 * dl * gw[q] * 0.5 * ms_dos(ne, xi, dos, x[k]);
        }
    }
    /* (1 + K) u = W(., 0), K_ij = W(x_i, x_j) c_j (column-major for LAPACK) */
    for (int i = 0; i < m; i++) {
      u[i] = ms_w(ne, xi, w, x[i], 0.0);
      for (int j = 0; j < m; j++) A[(size_t)j * m + i] = (i == j) + ms_w(ne, xi, w, x[i], x[j]) * c[j];
    }
    int nrhs = 1, info = 0;
    dgesv_(&m, &nrhs, A, &m, piv, u, &m, &info);
    if (!info) {
      double s = ms_w(ne, xi, w, 0.0, 0.0);
      for (int j = 0; j < m; j++) s -= ms_w(ne, xi, w, 0.0, x[j]) * c[j] * u[j];
      res = n0 * s;
    }
  }
  free(x);
  free(c);
  free(A);
  free(u);
  free(piv);
  return res;
}
