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

void kern_sep_partial(int nfun, int m, const double *phi, const int64_t *idx, const double *L, const double *v,
                      double *part)
{
  memset(part, 0, sizeof(double) * (size_t)nfun * NP);
  int s = 0;
  /* four states at a time: each load and store of a row of part serves four multiply-adds */
  for (; s + 4 <= m; s += 4) {
    double w0[NP], w1[NP], w2[NP], w3[NP];
    for (int q = 0; q < NP; q++) {
      w0[q] = L[(size_t)s * NP + q] * v[s];
      w1[q] = L[(size_t)(s + 1) * NP + q] * v[s + 1];
      w2[q] = L[(size_t)(s + 2) * NP + q] * v[s + 2];
      w3[q] = L[(size_t)(s + 3) * NP + q] * v[s + 3];
    }
    const double *p0 = phi + (size_t)(idx ? idx[s] : s) * nfun, *p1 = phi + (size_t)(idx ? idx[s + 1] : s + 1) * nfun;
    const double *p2 = phi + (size_t)(idx ? idx[s + 2] : s + 2) * nfun,
                 *p3 = phi + (size_t)(idx ? idx[s + 3] : s + 3) * nfun;
    for (int r = 0; r < nfun; r++) {
      const double f0 = p0[r], f1 = p1[r], f2 = p2[r], f3 = p3[r];
      double *pr = part + (size_t)r * NP;
#pragma omp simd
      for (int q = 0; q < NP; q++) pr[q] += f0 * w0[q] + f1 * w1[q] + f2 * w2[q] + f3 * w3[q];
    }
  }
  for (; s < m; s++) {
    double w[NP];
    for (int q = 0; q < NP; q++) w[q] = L[(size_t)s * NP + q] * v[s];
    const double *ph = phi + (size_t)(idx ? idx[s] : s) * nfun;
    for (int r = 0; r < nfun; r++) {
      const double f = ph[r];
      double *pr = part + (size_t)r * NP;
#pragma omp simd
      for (int q = 0; q < NP; q++) pr[q] += f * w[q];
    }
  }
}

void kern_sep_rows(int nfun, int m, const double *phi, const int64_t *idx, const double *L, const double *Q,
                   int64_t ldq, double *y)
{
  int s = 0;
  /* four rows at a time: each row of Q is loaded once for four states */
  for (; s + 4 <= m; s += 4) {
    double a0[NP] = {0}, a1[NP] = {0}, a2[NP] = {0}, a3[NP] = {0};
    const double *p0 = phi + (size_t)(idx ? idx[s] : s) * nfun, *p1 = phi + (size_t)(idx ? idx[s + 1] : s + 1) * nfun;
    const double *p2 = phi + (size_t)(idx ? idx[s + 2] : s + 2) * nfun,
                 *p3 = phi + (size_t)(idx ? idx[s + 3] : s + 3) * nfun;
    for (int r = 0; r < nfun; r++) {
      const double f0 = p0[r], f1 = p1[r], f2 = p2[r], f3 = p3[r], *qr = Q + (size_t)r * (size_t)ldq;
#pragma omp simd
      for (int q = 0; q < NP; q++) {
        a0[q] += f0 * qr[q];
        a1[q] += f1 * qr[q];
        a2[q] += f2 * qr[q];
        a3[q] += f3 * qr[q];
      }
    }
    double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int q = 0; q < NP; q++) {
      t0 += L[(size_t)s * NP + q] * a0[q];
      t1 += L[(size_t)(s + 1) * NP + q] * a1[q];
      t2 += L[(size_t)(s + 2) * NP + q] * a2[q];
      t3 += L[(size_t)(s + 3) * NP + q] * a3[q];
    }
    y[s] = t0;
    y[s + 1] = t1;
    y[s + 2] = t2;
    y[s + 3] = t3;
  }
  for (; s < m; s++) {
    double acc[NP] = {0};
    const double *ph = phi + (size_t)(idx ? idx[s] : s) * nfun;
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

int kern_sep_mode(int nn, const double *T, int i0, int i1, int blk, int nfun, const double *B, int nent, const int *r,
                  const int *rp, const double *coef, double *Q)
{
  const int ni = i1 - i0;
  if (ni <= 0 || nent <= 0) return 0;
  /* the distinct column functions of the mode, in order of first appearance */
  int *slot = malloc(sizeof(int) * (size_t)nfun), *list = malloc(sizeof(int) * (size_t)nent);
  if (!slot || !list) {
    free(slot);
    free(list);
    return -1;
  }
  for (int f = 0; f < nfun; f++) slot[f] = -1;
  int kb = 0;
  for (int e = 0; e < nent; e++)
    if (slot[rp[e]] < 0) {
      slot[rp[e]] = kb;
      list[kb++] = rp[e];
    }
  double *G = malloc(sizeof(double) * (size_t)kb * nn), *C = malloc(sizeof(double) * (size_t)kb * blk);
  if (!G || !C) {
    free(slot);
    free(list);
    free(G);
    free(C);
    return -1;
  }
  for (int k = 0; k < kb; k++) memcpy(G + (size_t)k * nn, B + (size_t)list[k] * nn, sizeof(double) * nn);
  /* one block of blk row nodes per product */
  for (int p0 = i0; p0 < i1; p0 += blk) {
    const int nb = i1 - p0 < blk ? i1 - p0 : blk;
    /* C[k][i - p0] = sum_j G[k][j] T[i][j] */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kb, nb, nn, 1.0, G, nn, T + (size_t)p0 * nn, nn, 0.0, C, nb);
    for (int e = 0; e < nent; e++) {
      const double *c = C + (size_t)slot[rp[e]] * nb;
      double *q = Q + (size_t)r[e] * nn + p0;
      const double a = coef[e];
      for (int i = 0; i < nb; i++) q[i] += a * c[i];
    }
  }
  free(slot);
  free(list);
  free(G);
  free(C);
  return 0;
}
