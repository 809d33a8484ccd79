/* Migdal-Eliashberg numerics on the imaginary axis (see include/agape/eliash.h). */
#include "agape/eliash.h"
#include "agape/units.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (Fortran; hidden string lengths last) */
extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
                    const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m,
                    double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork,
                    const int *liwork, int *info, size_t, size_t, size_t);

int eli_nsiw(double wscut, double T) { return (int)(0.5 * (wscut / (AGAPE_PI * T) - 1.0)) + 1; }

void eli_normal_sum_cut(int n, const double *lam, double *out)
{
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < n; j++) s += lam[abs(i - j)] - lam[i + j + 1];
    out[i] = s;
  }
}

void eli_lambda_d(int nph, const double *om, const double *a, double T, int nd, double *lam)
{
  for (int d = 0; d < nd; d++) {
    double wd = 2 * AGAPE_PI * T * d, w2 = wd * wd, s = 0;
    for (int p = 0; p < nph; p++) s += 2 * a[p] * om[p] / (om[p] * om[p] + w2);
    lam[d] = s;
  }
}

void eli_normal_sum(int n, const double *lam, double *out)
{
  double s = lam[0];
  for (int i = 0; i < n; i++) {
    if (i > 0) s += 2 * lam[i];
    out[i] = s;
  }
}

void eli_iso_map(int n, const double *lam, const double *nsum, double mustar, double T, const double *delta,
                 double *dout, double *z)
{
  double *f = malloc(sizeof(double) * 2 * (size_t)n), *g = f + n;
  double piT = AGAPE_PI * T, fsum = 0;
  for (int j = 0; j < n; j++) {
    double w = piT * (2 * j + 1), r = sqrt(w * w + delta[j] * delta[j]);
    f[j] = delta[j] / r;
    g[j] = delta[j] * delta[j] / (r * (r + w)); /* 1 - w/r without cancellation */
    fsum += f[j];
  }
  for (int i = 0; i < n; i++) {
    double zs = 0, ps = 0;
    for (int j = 0; j < n; j++) {
      double lm = lam[abs(i - j)], lp = lam[i + j + 1];
      zs += (lm - lp) * g[j];
      ps += (lm + lp) * f[j];
    }
    double zi = 1 + (nsum[i] - zs) / (2 * i + 1);
    dout[i] = piT * (ps - 2 * mustar * fsum) / zi;
    if (z) z[i] = zi;
  }
  free(f);
}

agape_err eli_iso_rho(int n, const double *lam, const double *nsum, double mustar, double *rho, double *vec)
{
  double *A = malloc(sizeof(double) * (size_t)n * n), *p = malloc(sizeof(double) * n);
  double *zv = malloc(sizeof(double) * n);
  int *isuppz = malloc(sizeof(int) * 2 * (size_t)n);
  if (!A || !p || !zv || !isuppz) {
    free(A);
    free(p);
    free(zv);
    free(isuppz);
    return AGAPE_ERR_NOMEM;
  }
  for (int i = 0; i < n; i++) p[i] = 1 / sqrt((2 * i + 1) * (1 + nsum[i] / (2 * i + 1)));
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) A[(size_t)j * n + i] = p[i] * (lam[abs(i - j)] + lam[i + j + 1] - 2 * mustar) * p[j];
  int il = n, iu = n, m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
  double vl = 0, vu = 0, abstol = 0, wq = 0, w[1];
  dsyevr_("V", "I", "U", &n, A, &n, &vl, &vu, &il, &iu, &abstol, &m, w, zv, &n, isuppz, &wq, &lwork, &iwq, &liwork,
          &info, 1, 1, 1);
  lwork = (int)wq;
  liwork = iwq;
  double *work = malloc(sizeof(double) * (size_t)(lwork > 1 ? lwork : 1));
  int *iwork = malloc(sizeof(int) * (size_t)(liwork > 1 ? liwork : 1));
  agape_err err = AGAPE_OK;
  if (!work || !iwork)
    err = AGAPE_ERR_NOMEM;
  else {
    dsyevr_("V", "I", "U", &n, A, &n, &vl, &vu, &il, &iu, &abstol, &m, w, zv, &n, isuppz, work, &lwork, iwork, &liwork,
            &info, 1, 1, 1);
    if (info != 0 || m != 1) err = AGAPE_ERR_NUMERIC;
  }
  if (!err) {
    *rho = w[0];
    if (vec) {
      /* A = Z0^-1 B C (C = diag(1/(2n+1))) = T^-1 S T with T = (Z0 C)^(1/2) = diag(1/(p_n (2n+1))),
       * so the eigenvector of A is T^-1 y: Delta_n = p_n (2n+1) y_n */
      double mx = 0;
      for (int i = 0; i < n; i++) {
        vec[i] = zv[i] * p[i] * (2 * i + 1);
        if (fabs(vec[i]) > fabs(mx)) mx = vec[i];
      }
      for (int i = 0; i < n; i++) vec[i] /= mx;
    }
  }
  free(A);
  free(p);
  free(zv);
  free(isuppz);
  free(work);
  free(iwork);
  return err;
}

void eli_a2f_gauss(int nph, const double *om, const double *a, double sigma, int nw, const double *w, double *out)
{
  memset(out, 0, sizeof(double) * nw);
  if (nw < 1) return;
  double dw = nw > 1 ? w[1] - w[0] : 1, c = 1 / (sqrt(AGAPE_PI) * sigma);
  for (int p = 0; p < nph; p++) {
    if (a[p] == 0) continue;
    /* only grid points within 7 sigma contribute above 1e-21 relative */
    int lo = (int)floor((om[p] - 7 * sigma - w[0]) / dw), hi = (int)ceil((om[p] + 7 * sigma - w[0]) / dw);
    if (lo < 0) lo = 0;
    if (hi > nw - 1) hi = nw - 1;
    for (int i = lo; i <= hi; i++) {
      double x = (w[i] - om[p]) / sigma;
      out[i] += a[p] * c * exp(-x * x);
    }
  }
}

void eli_a2f_moments(int nw, double dw, const double *a2f, double *lambda, double *omega_log, double *omega_2)
{
  double l = 0, lg = 0, w2 = 0;
  for (int i = 0; i < nw; i++) {
    double w = (i + 1) * dw;
    l += a2f[i] / w;
    lg += a2f[i] * log(w) / w;
    w2 += a2f[i] * w;
  }
  l *= 2 * dw;
  *lambda = l;
  *omega_log = l > 0 ? exp(2 * dw * lg / l) : 0;
  *omega_2 = l > 0 ? sqrt(2 * dw * w2 / l) : 0;
}

double eli_tc_allen_dynes(double lambda, double omega_log, double omega_2, double mustar)
{
  double den = lambda - mustar * (1 + 0.62 * lambda);
  if (!(den > 0) || !(omega_log > 0)) return 0;
  double L1 = 2.46 * (1 + 3.8 * mustar);
  double r = omega_2 / omega_log;
  double L2 = 1.82 * (1 + 6.3 * mustar) * r;
  double f1 = cbrt(1 + pow(lambda / L1, 1.5));
  double f2 = 1 + (r - 1) * lambda * lambda / (lambda * lambda + L2 * L2);
  return f1 * f2 * omega_log / 1.2 * exp(-1.04 * (1 + lambda) / den);
}
