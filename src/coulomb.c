/* Coulomb stage (see include/agape/coulomb.h). */
#include "agape/coulomb.h"
#include "agape/chi0.h"
#include "agape/rpa.h"
#include "agape/model_xb12.h"
#include "agape/units.h"
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                   double *w, double *work, const int *lwork, int *info, size_t, size_t);

#define NO 3                      /* t2 orbitals of the model */
#define NO4 (NO * NO * NO * NO)

/* Bands and eigenvectors of the model on the n^3 grid: e[k*3 + b] (eV from E_F),
 * U[(k*3 + a)*3 + b] (real, stored complex for chi0.h). */
static agape_err grid_bands(const xb12_model *mod, int n, double *e, double complex *U)
{
  const int64_t nk = (int64_t)n * n * n;
  for (int64_t k = 0; k < nk; k++) {
    double kv[3] = {(double)(k / (n * n)) / n, (double)(k / n % n) / n, (double)(k % n) / n};
    double H[9], w[NO], work[64];
    xb12_hamiltonian(mod, kv, H);
    int three = NO, lw = 64, info = 0;
    dsyev_("V", "U", &three, H, &three, w, work, &lw, &info, 1, 1);   /* symmetric: layout-free */
    if (info) return agape_error(AGAPE_ERR_NUMERIC, "RPA: dsyev failed at k-point %lld", (long long)k);
    for (int b = 0; b < NO; b++) {
      e[k * NO + b] = w[b];
      for (int a = 0; a < NO; a++) U[(k * NO + a) * NO + b] = H[b * NO + a];   /* column b = vector b */
    }
  }
  return AGAPE_OK;
}

/* k + q on the grid */
static int64_t grid_add(int n, int64_t k, int64_t q)
{
  int k1 = (int)(k / (n * n)), k2 = (int)(k / n % n), k3 = (int)(k % n);
  int q1 = (int)(q / (n * n)), q2 = (int)(q / n % n), q3 = (int)(q % n);
  return ((int64_t)((k1 + q1) % n) * n + (k2 + q2) % n) * n + (k3 + q3) % n;
}

agape_err agape_coulomb_create(const agape_par *par, const agape_params *p, const agape_material *m,
                               agape_coulomb *c)
{
  memset(c, 0, sizeof *c);
  c->mode = p->coulomb;
  c->mu = p->coulomb == COUL_MU ? p->mu : 0.0;
  if (p->coulomb != COUL_RPA) return AGAPE_OK;
  if (m->kind != MATK_MODEL || !m->model)
    return agape_error(AGAPE_ERR_DECK, "[coulomb] mode = rpa needs the CsB12 or LaB12 model (its orbitals)");

  const double t0 = agape_par_wtime();
  const int n = p->rpa_kgrid;
  const int64_t nk = (int64_t)n * n * n;
  const double alat = xb12_lattice_A(m->model), omega = alat * alat * alat, bl = 2 * AGAPE_PI / alat;
  const double beta = 1.0 / (AGAPE_K_B * p->rpa_temperature_K);
  const double sig = p->rpa_smearing_meV * 1e-3, sigma = p->orbital_radius_A;
  c->nk = n;

  double *e = malloc(sizeof(double) * (size_t)nk * NO), *d = malloc(sizeof(double) * (size_t)nk * NO);
  double complex *U = malloc(sizeof(double complex) * (size_t)nk * NO * NO);
  double complex *chi = calloc((size_t)nk * NO4, sizeof(double complex));
  double *tau = malloc(sizeof(double) * 4000), *tw = malloc(sizeof(double) * 4000);
  agape_err err = (!e || !d || !U || !chi || !tau || !tw) ? AGAPE_ERR_NOMEM : AGAPE_OK;
  if (!err) err = grid_bands(m->model, n, e, U);
  if ((err = agape_par_agree(par, err))) goto done;

  /* Fermi-surface weights and N(0) of the grid */
  double emax = 0, n0 = 0, dmax = 0;
  for (int64_t s = 0; s < nk * NO; s++) {
    emax = fmax(emax, fabs(e[s]));
    d[s] = exp(-0.5 * e[s] * e[s] / (sig * sig)) / (sig * sqrt(2 * AGAPE_PI));
    n0 += d[s];
    dmax = fmax(dmax, d[s]);
  }
  n0 /= (double)nk;
  c->dos0_grid = n0;
  c->ktf2 = 4 * AGAPE_PI * RPA_E2 * 2 * n0 / omega;

  /* chi0(q) for all q: the tau points are split over the ranks, then summed */
  int ntau = chi0_tau_grid(beta, emax * 1.01, 4000, tau, tw);
  if (ntau < 0) err = agape_error(AGAPE_ERR_NUMERIC, "RPA: imaginary-time grid too large");
  if (!err) {
    int it0 = (int)((int64_t)ntau * par->rank / par->size), it1 = (int)((int64_t)ntau * (par->rank + 1) / par->size);
    if (chi0_fft(&(chi0_bands){n, n, n, NO, NO, e, U}, beta, ntau, tau, tw, it0, it1, chi) != 0) err = AGAPE_ERR_NOMEM;
  }
  if ((err = agape_par_agree(par, err))) goto done;
  agape_par_sum(par, (double *)chi, 2 * nk * NO4);
  if (par->rank == 0)
    printf("agape: RPA chi0 on %d^3 k-points, %d imaginary times, T = %g K (%.1f s)\n", n, ntau,
           p->rpa_temperature_K, agape_par_wtime() - t0), fflush(stdout);

  /* G sphere bound and per-q work arrays */
  const int M = (int)ceil(p->rpa_gcut_invA / bl) + 1;
  const int gcap = (2 * M + 1) * (2 * M + 1) * (2 * M + 1);
  int *G = malloc(sizeof(int) * 3 * (size_t)gcap);
  double *Q = malloc(sizeof(double) * 3 * (size_t)gcap), *rho = malloc(sizeof(double) * 9 * (size_t)gcap);
  double *vG = malloc(sizeof(double) * (size_t)gcap);
  double complex *cg = malloc(sizeof(double complex) * (size_t)gcap * gcap);
  double complex *A = malloc(sizeof(double complex) * (size_t)gcap * gcap);
  double complex *W = malloc(sizeof(double complex) * (size_t)gcap * gcap);
  double complex *Mv = malloc(sizeof(double complex) * (size_t)gcap);
  int *idx = malloc(sizeof(int) * (size_t)gcap);
  if (!G || !Q || !rho || !vG || !cg || !A || !W || !Mv || !idx) err = AGAPE_ERR_NOMEM;
  const double bmat[9] = {bl, 0, 0, 0, bl, 0, 0, 0, bl};
  const double head = err ? 0 : rpa_w_head_tf(c->ktf2, bmat, n, n, n);
  const double head_bare = err ? 0 : rpa_w_head_tf(0.0, bmat, n, n, n);
  double acc[2] = {0, 0};            /* sum d d W, sum d d v over this rank's k */
  for (int64_t iq = 0; iq < nk && !err; iq++) {
    /* q in [-1/2, 1/2) of the grid, crystal coordinates */
    double qf[3] = {(double)(iq / (n * n)) / n, (double)(iq / n % n) / n, (double)(iq % n) / n};
    for (int x = 0; x < 3; x++) if (qf[x] >= 0.5) qf[x] -= 1;
    int ng = 0, g0 = -1;
    for (int a = -M; a <= M; a++)
      for (int b = -M; b <= M; b++)
        for (int cc = -M; cc <= M; cc++) {
          double qq[3] = {bl * (qf[0] + a), bl * (qf[1] + b), bl * (qf[2] + cc)};
          double q2 = qq[0] * qq[0] + qq[1] * qq[1] + qq[2] * qq[2];
          if (q2 > p->rpa_gcut_invA * p->rpa_gcut_invA) continue;
          G[3 * ng] = a; G[3 * ng + 1] = b; G[3 * ng + 2] = cc;
          for (int x = 0; x < 3; x++) Q[3 * ng + x] = qq[x];
          rpa_formfactor_t2(sigma, qq, rho + 9 * ng);
          vG[ng] = q2 > 0 ? 4 * AGAPE_PI * RPA_E2 / q2 : 0;
          if (q2 == 0) g0 = ng;
          ng++;
        }
    if (ng > c->ng_max) c->ng_max = ng;
    rpa_chi0_GG(NO, chi + (size_t)iq * NO4, ng, rho, omega, cg);
    /* eps = 1 - v chi0 (rows and columns of G = 0 at q = 0 excluded: head and wings apart) */
    int nb = 0;
    for (int i = 0; i < ng; i++) if (i != g0) idx[nb++] = i;
    for (int i = 0; i < nb; i++)
      for (int j = 0; j < nb; j++)
        A[(size_t)i * nb + j] = (i == j) - vG[idx[i]] * cg[(size_t)idx[i] * ng + idx[j]];
    if (nb > 0 && (err = agape_par_zinv(par, nb, A))) break;
    for (int i = 0; i < ng * ng; i++) W[i] = 0;
    for (int i = 0; i < nb; i++)
      for (int j = 0; j < nb; j++) W[(size_t)idx[i] * ng + idx[j]] = A[(size_t)i * nb + j] * vG[idx[j]];
    if (g0 >= 0) W[(size_t)g0 * ng + g0] = head;
    /* Fermi-surface pairs (k n, k+q n') of this rank's k */
    for (int64_t k = par->rank; k < nk; k += par->size) {
      const int64_t kq = grid_add(n, k, iq);
      for (int b1 = 0; b1 < NO; b1++) {
        const double d1 = d[k * NO + b1];
        if (d1 < 1e-10 * dmax) continue;
        for (int b2 = 0; b2 < NO; b2++) {
          const double d2 = d[kq * NO + b2];
          if (d2 < 1e-10 * dmax) continue;
          /* M_G = <k b1| e^{-i(q+G)r} |k+q b2> = sum_ad U_a,b1(k) U_d,b2(k+q) rho_ad(q+G) */
          double ua[NO], ud[NO];
          for (int a = 0; a < NO; a++) { ua[a] = creal(U[(k * NO + a) * NO + b1]); ud[a] = creal(U[(kq * NO + a) * NO + b2]); }
          for (int g = 0; g < ng; g++) {
            double s = 0;
            for (int a = 0; a < NO; a++) for (int dd = 0; dd < NO; dd++) s += ua[a] * ud[dd] * rho[9 * g + a * NO + dd];
            Mv[g] = s;
          }
          double complex wq = 0;
          double vq = 0;
          for (int g = 0; g < ng; g++) {
            double complex s = 0;
            for (int h = 0; h < ng; h++) s += W[(size_t)g * ng + h] * conj(Mv[h]);
            wq += Mv[g] * s;
            vq += creal(Mv[g] * conj(Mv[g])) * (g == g0 ? head_bare : vG[g]);
          }
          acc[0] += d1 * d2 * creal(wq) / omega;
          acc[1] += d1 * d2 * vq / omega;
        }
      }
    }
    if (par->rank == 0 && (iq + 1) % (nk / 8 > 0 ? nk / 8 : 1) == 0)
      printf("agape: RPA W(q) at %lld of %lld q-points (%d G vectors)  (%.1f s)\n", (long long)iq + 1, (long long)nk,
             ng, agape_par_wtime() - t0), fflush(stdout);
  }
  err = agape_par_agree(par, err);
  if (!err) {
    agape_par_sum(par, acc, 2);
    const double norm = (double)nk * (double)nk * n0 * n0;
    c->w_fs = acc[0] / norm;
    c->w_bare_fs = acc[1] / norm;
    c->mu = n0 * c->w_fs;
    c->seconds = agape_par_wtime() - t0;
    if (par->rank == 0)
      printf("agape: RPA mu = N(0) <W>_FS = %.4f  (N(0) = %.4f /eV/spin/cell on the grid, <W>_FS = %.4f eV, "
             "bare <v>_FS = %.3f eV, k_TF = %.3f /A, up to %d G; %.1f s)\n",
             c->mu, n0, c->w_fs, c->w_bare_fs, sqrt(c->ktf2), c->ng_max, c->seconds), fflush(stdout);
  }
  free(Q); free(rho); free(vG); free(cg); free(A); free(W); free(Mv); free(idx); free(G);
done:
  free(e); free(d); free(U); free(chi); free(tau); free(tw);
  return err;
}
