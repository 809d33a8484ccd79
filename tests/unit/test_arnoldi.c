/* Restarted Arnoldi (kernels/arnoldi.c) against LAPACK dgeev on the whole matrix:
 *   1. a nonsymmetric matrix with positive entries (Perron: its leading eigenvalue is real
 *      and simple): eigenvalue to 1e-10 relative, eigenvector residual |A v - rho v| small,
 *      unit norm and non-negative sum;
 *   2. a nonsymmetric matrix whose eigenvalue of largest real part (2.5) is not the largest
 *      in modulus (-4): the largest real part is found;
 *   3. a callback error stops the iteration and is returned (AGAPE_STOPPED).
 * Vector length 300, Krylov dimension 24 as the solvers use it. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/arnoldi.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda, double *wr,
                   double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr, double *work, const int *lwork,
                   int *info, size_t, size_t);

#define N 300

typedef struct {
  const double *M; /* row-major N x N */
  int calls, stop_at;
} op_ctx;

static agape_err apply(void *ctx, const double *x, double *y)
{
  op_ctx *o = ctx;
  if (o->stop_at > 0 && o->calls >= o->stop_at) return AGAPE_STOPPED;
  o->calls++;
  for (int i = 0; i < N; i++) {
    double s = 0;
    for (int j = 0; j < N; j++) s += o->M[(size_t)i * N + j] * x[j];
    y[i] = s;
  }
  return AGAPE_OK;
}

/* the eigenvalue of largest real part of M by dgeev (real part; *im its imaginary part) */
static double lapack_leading(const double *M, double *im)
{
  double *Ac = malloc(sizeof(double) * N * N), wr[N], wi[N], dummy;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) Ac[(size_t)j * N + i] = M[(size_t)i * N + j];
  int n = N, one = 1, lw = 8 * N, info = 0;
  double *wk = malloc(sizeof(double) * lw);
  dgeev_("N", "N", &n, Ac, &n, wr, wi, &dummy, &one, &dummy, &one, wk, &lw, &info, 1, 1);
  int best = 0;
  for (int i = 1; i < N; i++)
    if (wr[i] > wr[best]) best = i;
  *im = wi[best];
  free(Ac);
  free(wk);
  return info == 0 ? wr[best] : NAN;
}

static unsigned long long rng = 88172645463325252ull;
static double urand(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (rng >> 11) * (1.0 / 9007199254740992.0);
}

int main(void)
{
  double *M = malloc(sizeof(double) * N * N), v[N], y[N];
  arnoldi_ws *w = arnoldi_create(N, 24);
  check(w != NULL, "arnoldi_create");
  if (!w) return check_summary();

  /* 1. positive nonsymmetric */
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) M[(size_t)i * N + j] = urand() * (1 + 0.5 * sin(0.1 * i - 0.03 * j)) / N;
  double im, ref = lapack_leading(M, &im), rho = 0;
  op_ctx o = {M, 0, 0};
  for (int i = 0; i < N; i++) v[i] = 1;
  agape_err err = arnoldi_leading(w, apply, &o, 1e-12, 200, v, &rho);
  check(err == AGAPE_OK && fabs(rho - ref) <= 1e-10 * fabs(ref),
        "positive matrix: rho = %.15g, dgeev %.15g (imaginary part %.1e), %d products", rho, ref, im, o.calls);
  apply(&o, v, y);
  double res = 0, nrm = 0, sum = 0;
  for (int i = 0; i < N; i++) {
    res += (y[i] - rho * v[i]) * (y[i] - rho * v[i]);
    nrm += v[i] * v[i];
    sum += v[i];
  }
  check(sqrt(res) <= 1e-9 * fabs(rho) && fabs(nrm - 1) < 1e-12 && sum >= 0,
        "eigenvector: |A v - rho v| = %.2e, |v|^2 - 1 = %.1e, sum %.3g >= 0", sqrt(res), nrm - 1, sum);

  /* 2. largest real part, not largest modulus: D = diag(-4, 2.5, 2.4, ..., spread in
   * [-1, 2.3]) made nonsymmetric by a similarity with a unit upper-triangular S:
   * M = S D S^-1 (S^-1 by back substitution, columns of the identity) */
  double *S = calloc((size_t)N * N, sizeof(double)), *Si = calloc((size_t)N * N, sizeof(double)), d[N];
  for (int i = 0; i < N; i++) {
    d[i] = i == 0 ? -4.0 : i == 1 ? 2.5 : -1.0 + 3.3 * urand();
    S[(size_t)i * N + i] = 1;
    for (int j = i + 1; j < N && j < i + 4; j++) S[(size_t)i * N + j] = 0.3 * (urand() - 0.5);
  }
  for (int c = 0; c < N; c++) /* solve S x = e_c, x is column c of S^-1 */
    for (int i = N - 1; i >= 0; i--) {
      double s = i == c ? 1.0 : 0.0;
      for (int j = i + 1; j < N; j++) s -= S[(size_t)i * N + j] * Si[(size_t)j * N + c];
      Si[(size_t)i * N + c] = s;
    }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int k = i; k < N && k < i + 4; k++) s += S[(size_t)i * N + k] * d[k] * Si[(size_t)k * N + j];
      M[(size_t)i * N + j] = s;
    }
  ref = lapack_leading(M, &im);
  o = (op_ctx){M, 0, 0};
  for (int i = 0; i < N; i++) v[i] = 1 + 0.1 * sin(i);
  err = arnoldi_leading(w, apply, &o, 1e-12, 500, v, &rho);
  check(err == AGAPE_OK && fabs(rho - 2.5) <= 1e-9 && fabs(ref - 2.5) <= 1e-9,
        "largest real part 2.5 beside |-4|: rho = %.15g, dgeev %.15g, %d products", rho, ref, o.calls);

  /* 3. a callback error stops the iteration */
  o = (op_ctx){M, 0, 5};
  for (int i = 0; i < N; i++) v[i] = 1 + 0.1 * sin(i);
  double keep = -7;
  err = arnoldi_leading(w, apply, &o, 1e-12, 200, v, &keep);
  check(err == AGAPE_STOPPED && o.calls == 5 && keep == -7, "a callback's AGAPE_STOPPED after %d products is returned",
        o.calls);

  arnoldi_destroy(&w);
  check(w == NULL && arnoldi_create(0, 24) == NULL && arnoldi_create(10, 1) == NULL,
        "arnoldi_destroy clears the pointer; bad sizes give NULL");
  free(M);
  free(S);
  free(Si);
  return check_summary();
}
