/* Static chi0 on a regular k-grid: direct double sum and the imaginary-time FFT route
 * (see include/agape/chi0.h).  No MPI, no I/O. */
#include "agape/chi0.h"
#include "agape/quadrature.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAU_ORDER 10  /* Gauss-Legendre points per tau panel */
#define TAU_RATIO 2.0 /* geometric growth of the tau panels */

int chi0_tau_grid(double beta, double emax, int nmax, double *tau, double *w)
{
  if (!(beta > 0) || isinf(beta) || !(emax > 0) || !tau || !w) return -1;
  double gx[TAU_ORDER], gw[TAU_ORDER];
  agape_gauss_legendre(TAU_ORDER, gx, gw);
  const double half = 0.5 * beta;
  double edges[200];
  int ne = 0;
  edges[ne++] = 0;
  for (double e = 1e-3 / emax; e < half && ne < 198; e *= TAU_RATIO) edges[ne++] = e;
  edges[ne++] = half;
  int n = 0;
  for (int p = 0; p + 1 < ne; p++) {
    double a = edges[p], b = edges[p + 1], m = 0.5 * (a + b), h = 0.5 * (b - a);
    for (int q = 0; q < TAU_ORDER; q++) {
      if (n + 2 > nmax) return -1;
      tau[n] = m + h * gx[q];
      w[n] = h * gw[q];
      n++;
    }
  }
  for (int i = 0, n0 = n; i < n0; i++) {
    tau[n] = beta - tau[i];
    w[n] = w[i];
    n++;
  } /* mirror */
  return n;
}

/* Fermi function and the Lindhard ratio [f(a) - f(b)]/(a - b) (f'(a) as b -> a). */
static double fermi(double beta, double e)
{
  return e > 0 ? exp(-beta * e) / (1 + exp(-beta * e)) : 1 / (1 + exp(beta * e));
}
static double lindhard_ratio(double beta, double a, double b)
{
  double fa = fermi(beta, a), fb = fermi(beta, b), d = a - b;
  if (fabs(d) * beta < 1e-6) {
    double m = 0.5 * (a + b), fm = fermi(beta, m);
    return -beta * fm * (1 - fm); /* error O((beta d)^2) < 1e-12 */
  }
  return (fa - fb) / d;
}

int64_t chi0_grid_add(int n1, int n2, int n3, int64_t k, int64_t q)
{
  int k1 = (int)(k / ((int64_t)n2 * n3)), k2 = (int)(k / n3 % n2), k3 = (int)(k % n3);
  int q1 = (int)(q / ((int64_t)n2 * n3)), q2 = (int)(q / n3 % n2), q3 = (int)(q % n3);
  return ((int64_t)((k1 + q1) % n1) * n2 + (k2 + q2) % n2) * n3 + (k3 + q3) % n3;
}

int chi0_direct(const chi0_bands *m, double beta, double complex *chi)
{
  const int64_t nk = (int64_t)m->n1 * m->n2 * m->n3;
  const int no = m->U ? m->norb : 1, nb = m->U ? m->nband : 1, no4 = no * no * no * no;
  memset(chi, 0, sizeof(double complex) * (size_t)nk * no4);
  for (int64_t q = 0; q < nk; q++) {
    double complex *cq = chi + (size_t)q * no4;
    for (int64_t k = 0; k < nk; k++) {
      const int64_t kq = chi0_grid_add(m->n1, m->n2, m->n3, k, q);
      for (int n = 0; n < nb; n++)
        for (int mm = 0; mm < nb; mm++) {
          double L = lindhard_ratio(beta, m->e[k * nb + n], m->e[kq * nb + mm]) * 2.0 / (double)nk;
          if (!m->U) {
            cq[0] += L;
            continue;
          }
          for (int a = 0; a < no; a++)
            for (int b = 0; b < no; b++)
              for (int c = 0; c < no; c++)
                for (int d = 0; d < no; d++) {
                  double complex v = m->U[(k * no + a) * nb + n] * conj(m->U[(k * no + c) * nb + n]) *
                    m->U[(kq * no + d) * nb + mm] * conj(m->U[(kq * no + b) * nb + mm]);
                  cq[((a * no + b) * no + c) * no + d] += L * v;
                }
        }
    }
  }
  return 0;
}

int chi0_fft(const chi0_bands *m, double beta, int ntau, const double *tau, const double *w, int it0, int it1,
             double complex *chi)
{
  const int64_t nk = (int64_t)m->n1 * m->n2 * m->n3;
  const int no = m->U ? m->norb : 1, nb = m->U ? m->nband : 1, no2 = no * no;
  if (it0 < 0 || it1 > ntau || it0 > it1) return -1;
  fftw_complex *Gp = fftw_alloc_complex((size_t)nk * no2), *Gm = fftw_alloc_complex((size_t)nk * no2);
  fftw_complex *P = fftw_alloc_complex((size_t)nk);
  double *gp = malloc(sizeof(double) * (size_t)nb), *gm = malloc(sizeof(double) * (size_t)nb);
  int rc = -1;
  fftw_plan pp = NULL, pm = NULL, pq = NULL;
  if (!Gp || !Gm || !P || !gp || !gm) goto done;
  int dims[3] = {m->n1, m->n2, m->n3};
  /* k -> R (e^{+ikR}) for G, k -> -R (e^{-ikR}) for G^-, R -> q (e^{+iqR}) for the product */
  pp = fftw_plan_many_dft(3, dims, no2, Gp, NULL, 1, (int)nk, Gp, NULL, 1, (int)nk, FFTW_BACKWARD, FFTW_ESTIMATE);
  pm = fftw_plan_many_dft(3, dims, no2, Gm, NULL, 1, (int)nk, Gm, NULL, 1, (int)nk, FFTW_FORWARD, FFTW_ESTIMATE);
  pq = fftw_plan_dft_3d(m->n1, m->n2, m->n3, P, P, FFTW_BACKWARD, FFTW_ESTIMATE);
  if (!pp || !pm || !pq) goto done;
  const double inv = 1.0 / (double)nk;
  for (int it = it0; it < it1; it++) {
    const double t = tau[it];
    for (int64_t k = 0; k < nk; k++) {
      for (int n = 0; n < nb; n++) {
        const double e = m->e[k * nb + n];
        /* G_k(tau) = -e^{-e tau}(1 - f), G_k(-tau) = e^{e tau} f, both written bounded */
        if (e >= 0) {
          const double d = 1 + exp(-beta * e);
          gp[n] = -exp(-e * t) / d;
          gm[n] = exp(-e * (beta - t)) / d;
        } else {
          const double d = 1 + exp(beta * e);
          gp[n] = -exp(e * (beta - t)) / d;
          gm[n] = exp(e * t) / d;
        }
      }
      for (int a = 0; a < no; a++)
        for (int b = 0; b < no; b++) {
          double complex sp = 0, sm = 0;
          if (!m->U) {
            sp = gp[0];
            sm = gm[0];
          } else
            for (int n = 0; n < nb; n++) {
              double complex u = m->U[(k * no + a) * nb + n] * conj(m->U[(k * no + b) * nb + n]);
              sp += u * gp[n];
              sm += u * gm[n];
            }
          ((double complex *)Gp)[(size_t)(a * no + b) * nk + k] = sp * inv;
          ((double complex *)Gm)[(size_t)(a * no + b) * nk + k] = sm * inv;
        }
    }
    fftw_execute(pp);
    fftw_execute(pm);
    const double wt = 2.0 * w[it];
    for (int a = 0; a < no; a++)
      for (int b = 0; b < no; b++)
        for (int c = 0; c < no; c++)
          for (int d = 0; d < no; d++) {
            const double complex *ga = (double complex *)Gp + (size_t)(a * no + c) * nk;
            const double complex *gb = (double complex *)Gm + (size_t)(d * no + b) * nk;
            double complex *pr = (double complex *)P;
            for (int64_t r = 0; r < nk; r++) pr[r] = ga[r] * gb[r];
            fftw_execute(pq);
            const int idx = ((a * no + b) * no + c) * no + d;
            for (int64_t q = 0; q < nk; q++) chi[(size_t)q * no2 * no2 + idx] += wt * pr[q];
          }
  }
  rc = 0;
done:
  if (pp) fftw_destroy_plan(pp);
  if (pm) fftw_destroy_plan(pm);
  if (pq) fftw_destroy_plan(pq);
  fftw_free(Gp);
  fftw_free(Gm);
  fftw_free(P);
  free(gp);
  free(gm);
  return rc;
}
