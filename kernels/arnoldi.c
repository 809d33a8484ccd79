/* Restarted Arnoldi for the leading eigenvalue (see include/agape/arnoldi.h). */
#include "agape/arnoldi.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda, double *wr,
                   double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr, double *work, const int *lwork,
                   int *info, size_t, size_t);

struct arnoldi_ws {
  int64_t n;
  int m;
  double *V;  /* [(m + 1) n] Krylov basis */
  double *H;  /* [(m + 1) m] Hessenberg matrix, row-major */
  double *Hc; /* [m m] its column-major copy for dgeev */
  double *wr, *wi, *vr, *wk;
};

static double dot(int64_t n, const double *a, const double *b)
{
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

arnoldi_ws *arnoldi_create(int64_t n, int m)
{
  if (n < 1 || m < 2) return NULL;
  arnoldi_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->n = n;
  w->m = m;
  w->V = malloc(sizeof(double) * (size_t)n * (m + 1));
  w->H = calloc((size_t)(m + 1) * m, sizeof(double));
  w->Hc = malloc(sizeof(double) * m * m);
  w->wr = malloc(sizeof(double) * m);
  w->wi = malloc(sizeof(double) * m);
  w->vr = malloc(sizeof(double) * m * m);
  w->wk = malloc(sizeof(double) * 8 * m);
  if (!w->V || !w->H || !w->Hc || !w->wr || !w->wi || !w->vr || !w->wk) arnoldi_destroy(&w);
  return w;
}

void arnoldi_destroy(arnoldi_ws **w)
{
  if (!*w) return;
  free((*w)->V);
  free((*w)->H);
  free((*w)->Hc);
  free((*w)->wr);
  free((*w)->wi);
  free((*w)->vr);
  free((*w)->wk);
  free(*w);
  *w = NULL;
}

agape_err arnoldi_leading(arnoldi_ws *ws, arnoldi_apply_fn apply, void *ctx, double tol, int max_restart, double *v,
                          double *rho)
{
  const int64_t n = ws->n;
  const int m = ws->m;
  double *V = ws->V, *H = ws->H, *Hc = ws->Hc, *wr = ws->wr, *wi = ws->wi, *vr = ws->vr, *wk = ws->wk;
  agape_err err = AGAPE_OK;
  double nv = sqrt(dot(n, v, v));
  if (!(nv > 0)) {
    for (int64_t i = 0; i < n; i++) v[i] = 1;
    nv = sqrt((double)n);
  }
  double theta = 0;
  for (int restart = 0; restart < max_restart; restart++) {
    for (int64_t i = 0; i < n; i++) V[i] = v[i] / nv;
    memset(H, 0, sizeof(double) * (m + 1) * m);
    int k = m;
    for (int j = 0; j < m; j++) {
      double *w = V + (size_t)(j + 1) * n;
      if ((err = apply(ctx, V + (size_t)j * n, w))) return err;
      for (int pass = 0; pass < 2; pass++) /* classical Gram-Schmidt, twice */
        for (int i = 0; i <= j; i++) {
          double h = dot(n, V + (size_t)i * n, w);
          H[i * m + j] += h;
          for (int64_t q = 0; q < n; q++) w[q] -= h * V[(size_t)i * n + q];
        }
      double hn = sqrt(dot(n, w, w));
      H[(j + 1) * m + j] = hn;
      if (hn < 1e-14 * fabs(H[j * m + j]) || hn == 0) {
        k = j + 1;
        break;
      }
      for (int64_t q = 0; q < n; q++) w[q] /= hn;
    }
    /* eigenpairs of the k x k Hessenberg matrix (column-major copy for LAPACK) */
    for (int i = 0; i < k; i++)
      for (int j = 0; j < k; j++) Hc[j * k + i] = H[i * m + j];
    int kk = k, one = 1, lw = 8 * m, info = 0;
    double dummy;
    dgeev_("N", "V", &kk, Hc, &kk, wr, wi, &dummy, &one, vr, &kk, wk, &lw, &info, 1, 1);
    if (info != 0) return AGAPE_ERR_NUMERIC;
    int best = 0;
    for (int i = 1; i < k; i++)
      if (wr[i] > wr[best]) best = i;
    theta = wr[best];
    double *y = vr + (size_t)best * k; /* real part of the eigenvector */
    for (int64_t q = 0; q < n; q++) {
      double s = 0;
      for (int i = 0; i < k; i++) s += V[(size_t)i * n + q] * y[i];
      v[q] = s;
    }
    nv = sqrt(dot(n, v, v));
    double ny = sqrt(dot(k, y, y));
    double res = (k < m) ? 0 : fabs(H[m * m + (m - 1)] * y[k - 1]) / ny;
    if (res <= tol * fabs(theta) || k < m) break;
    if (restart == max_restart - 1) err = AGAPE_ERR_NUMERIC;
  }
  /* sign convention: positive sum (Fermi-surface side of the vector) */
  double s = 0;
  for (int64_t q = 0; q < n; q++) s += v[q];
  for (int64_t q = 0; q < n; q++) v[q] = (s < 0 ? -v[q] : v[q]) / nv;
  *rho = theta;
  return err;
}
