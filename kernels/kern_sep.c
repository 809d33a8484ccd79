/* Separable pair operator (see include/agape/kernels.h, "separable pair operator").
 *
 * Pure numerics: no MPI, no I/O, no OpenMP regions (the caller threads over panels and modes).
 * The loops run over the NP = 8 interpolation nodes in the innermost position, one vector
 * register of doubles, so that each state costs nfun vector multiply-adds. */
#include "agape/kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#define NP KERN_CI_NP

void kern_sep_partial(int nfun, int m, const double *phi, const double *L, const double *v, double *part)
{
  memset(part, 0, sizeof(double) * (size_t)nfun * NP);
  for (int s = 0; s < m; s++) {
    double w[NP];
    for (int q = 0; q < NP; q++) w[q] = L[(size_t)s * NP + q] * v[s];
    const double *ph = phi + (size_t)s * nfun;
    for (int r = 0; r < nfun; r++) {
      const double f = ph[r];
      double *pr = part + (size_t)r * NP;
      #pragma omp simd
      for (int q = 0; q < NP; q++) pr[q] += f * w[q];
    }
  }
}

void kern_sep_rows(int nfun, int m, const double *phi, const double *L, const double *Q, int64_t ldq, double *y)
{
  for (int s = 0; s < m; s++) {
    double acc[NP] = {0};
    const double *ph = phi + (size_t)s * nfun;
    for (int r = 0; r < nfun; r++) {
      const double f = ph[r], *qr = Q + (size_t)r * (size_t)ldq;
      #pragma omp simd
      for (int q = 0; q < NP; q++) acc[q] += f * qr[q];
    }
    double t = 0;
    for (int q = 0; q < NP; q++) t += L[(size_t)s * NP + q] * acc[q];
    y[s] = t;
  }
}

int kern_sep_mode(int nn, const double *T, int i0, int i1, int nfun, const double *B,
                  int nent, const int *r, const int *rp, const double *coef, double *Q)
{
  const int ni = i1 - i0;
  if (ni <= 0 || nent <= 0) return 0;
  /* the distinct column functions of the mode, in order of first appearance */
  int *slot = malloc(sizeof(int) * (size_t)nfun), *list = malloc(sizeof(int) * (size_t)nent);
  if (!slot || !list) { free(slot); free(list); return -1; }
  for (int f = 0; f < nfun; f++) slot[f] = -1;
  int kb = 0;
  for (int e = 0; e < nent; e++) if (slot[rp[e]] < 0) { slot[rp[e]] = kb; list[kb++] = rp[e]; }
  double *G = malloc(sizeof(double) * (size_t)kb * nn), *C = malloc(sizeof(double) * (size_t)kb * NP);
  if (!G || !C) { free(slot); free(list); free(G); free(C); return -1; }
  for (int k = 0; k < kb; k++) memcpy(G + (size_t)k * nn, B + (size_t)list[k] * nn, sizeof(double) * nn);
  /* one panel of NP row nodes per product, so that every value comes from a product of the
   * same shape whatever range [i0, i1) a rank asks for: the same bits on every rank */
  for (int p0 = i0; p0 < i1; p0 += NP) {
    /* C[k][i - p0] = sum_j G[k][j] T[i][j] */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kb, NP, nn, 1.0, G, nn,
                T + (size_t)p0 * nn, nn, 0.0, C, NP);
    for (int e = 0; e < nent; e++) {
      const double *c = C + (size_t)slot[rp[e]] * NP;
      double *q = Q + (size_t)r[e] * nn + p0;
      const double a = coef[e];
      for (int i = 0; i < NP; i++) q[i] += a * c[i];
    }
  }
  free(slot); free(list); free(G); free(C);
  return 0;
}
