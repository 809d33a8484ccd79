/* Coulomb stage (see include/agape/coulomb.h). */
#include "agape/coulomb.h"
#include "agape/quadrature.h"
#include "agape/qe_chi0.h"
#include "agape/chi0.h"
#include "agape/rpa.h"
#include "agape/units.h"
#include <hdf5.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
                   const int *lwork, int *info, size_t, size_t);

#define NO  3 /* orbitals per cell the RPA here handles (the XB12 model's t2 orbitals) */
#define NO4 (NO * NO * NO * NO)
#define NE  AGAPE_COUL_NE /* energy bins of W(xi, xi') */

/* Eigenvalues w[3] (eV from E_F, ascending) and eigenvectors of the material's tight-binding
 * H(k): H[b*3 + a] = component a of eigenvector b. Returns the LAPACK info. */
static int orbital_eigen(const agape_material *mod, const double k[3], double w[NO], double H[9])
{
  double work[64];
  int three = NO, lw = 64, info = 0;
  mod->hamiltonian(mod, k, H);
  dsyev_("V", "U", &three, H, &three, w, work, &lw, &info, 1, 1); /* symmetric: layout-free */
  return info;
}

/* Bands and eigenvectors of the model on the n^3 grid: e[k*3 + b] (eV from E_F),
 * U[(k*3 + a)*3 + b] (real, stored complex for chi0.h). */
static agape_err grid_bands(const agape_material *mod, int n, double *e, double complex *U)
{
  const int64_t nk = (int64_t)n * n * n;
  for (int64_t k = 0; k < nk; k++) {
    double kv[3] = {(double)(k / (n * n)) / n, (double)(k / n % n) / n, (double)(k % n) / n};
    double H[9], w[NO];
    if (orbital_eigen(mod, kv, w, H))
      return agape_error(AGAPE_ERR_NUMERIC, "RPA: dsyev failed at k-point %lld", (long long)k);
    for (int b = 0; b < NO; b++) {
      e[k * NO + b] = w[b];
      for (int a = 0; a < NO; a++) U[(k * NO + a) * NO + b] = H[b * NO + a]; /* column b = vector b */
    }
  }
  return AGAPE_OK;
}

/* Read one float64 dataset of rank `rank` from an open file; dims [out].  Returns a malloc'd
 * array or NULL (message printed, naming file and dataset). */
static double *w_read(hid_t f, const char *path, const char *name, int rank, hsize_t *dims)
{
  if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
    agape_error(AGAPE_ERR_IO, "%s: no dataset /%s (expected /xi: energies in eV, /w: W(xi, xi') in eV)", path, name);
    return NULL;
  }
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = d >= 0 ? H5Dget_space(d) : -1;
  double *x = NULL;
  if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank) {
    H5Sget_simple_extent_dims(sp, dims, NULL);
    hsize_t tot = 1;
    for (int i = 0; i < rank; i++) tot *= dims[i];
    x = tot > 0 ? malloc(sizeof(double) * tot) : NULL;
    if (x && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) {
      free(x);
      x = NULL;
    }
  }
  if (!x) agape_error(AGAPE_ERR_IO, "%s: /%s: cannot read a %d-dimensional float64 array", path, name, rank);
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  return x;
}

/* mode file: rank 0 reads and checks w_file, every rank gets the table (sum with zeros). */
static agape_err w_file_load(const agape_par *par, const char *path, agape_coulomb *c)
{
  int64_t ne = 0;
  double *xi = NULL, *w = NULL;
  agape_err err = AGAPE_OK;
  if (par->rank == 0) {
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) err = agape_error(AGAPE_ERR_IO, "%s: cannot open as HDF5 ([coulomb] w_file)", path);
    hsize_t d1[1] = {0}, d2[2] = {0, 0};
    if (!err && !(xi = w_read(f, path, "xi", 1, d1))) err = AGAPE_ERR_IO;
    if (!err && !(w = w_read(f, path, "w", 2, d2))) err = AGAPE_ERR_IO;
    if (!err && (d1[0] < 2 || d1[0] > 4096 || d2[0] != d1[0] || d2[1] != d1[0]))
      err = agape_error(AGAPE_ERR_IO,
                        "%s: /xi has %llu energies and /w is %llu x %llu (expected 2..4096 "
                        "energies and a square /w of the same size)",
                        path, (unsigned long long)d1[0], (unsigned long long)d2[0], (unsigned long long)d2[1]);
    if (!err) {
      ne = (int64_t)d1[0];
      for (int64_t i = 0; i < ne && !err; i++)
        if (!isfinite(xi[i]) || (i > 0 && !(xi[i] > xi[i - 1])))
          err = agape_error(AGAPE_ERR_IO, "%s: /xi[%lld] = %g: the energies must be finite and increasing (eV)", path,
                            (long long)i, xi[i]);
      for (int64_t q = 0; q < ne * ne && !err; q++)
        if (!isfinite(w[q]) || fabs(w[q]) > AGAPE_W_MAX_EV)
          err = agape_error(AGAPE_ERR_IO,
                            "%s: /w(%lld, %lld) = %g eV: a screened Coulomb interaction between states lies within "
                            "+-%g eV (is the unit eV?)",
                            path, (long long)(q / ne), (long long)(q % ne), w[q], AGAPE_W_MAX_EV);
    }
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, of, od);
  }
  if ((err = agape_par_agree(par, err))) {
    free(xi);
    free(w);
    return err;
  }
  double nd = (double)ne;
  agape_par_sum(par, &nd, 1);
  ne = (int64_t)nd;
  if (par->rank != 0) {
    xi = calloc((size_t)ne, sizeof(double));
    w = calloc((size_t)(ne * ne), sizeof(double));
  }
  if ((err = agape_par_agree(par, (!xi || !w) ? AGAPE_ERR_NOMEM : AGAPE_OK))) {
    free(xi);
    free(w);
    return err;
  }
  agape_par_sum(par, xi, ne);
  agape_par_sum(par, w, ne * ne);
  c->ne = (int)ne;
  c->xi_axis = xi;
  c->w_xi = w;
  return AGAPE_OK;
}

/* W(0, 0) from the table by bilinear interpolation */
static double w_at00(const agape_coulomb *c)
{
  double t;
  const int i = agape_axis_locate(c->ne, c->xi_axis, 0.0, &t);
  const double *w = c->w_xi;
  const int n = c->ne;
  return (1 - t) * (1 - t) * w[i * n + i] + t * (1 - t) * (w[i * n + i + 1] + w[(i + 1) * n + i]) +
    t * t * w[(i + 1) * n + i + 1];
}

void agape_coulomb_destroy(agape_coulomb *c)
{
  free(c->xi_axis);
  free(c->w_xi);
  free(c->dos_xi);
  free(c->wq);
  c->xi_axis = c->w_xi = c->dos_xi = c->wq = NULL;
  c->ne = 0;
}

/* The static RPA of a material with tight-binding orbitals on an n^3 grid: the shared data
 * of its steps (rpa_grid -> rpa_w_of_q and rpa_pairs for every q -> rpa_table). */
typedef struct {
  const agape_par *par;
  const agape_params *p;
  int n;               /* grid points per axis */
  int64_t nk;          /* n^3 */
  double omega, bl;    /* cell volume, A^3; reciprocal lattice constant 2 pi/a, 1/A */
  double *e, *d;       /* [nk*NO] band energies (eV from E_F), Gaussian delta (1/eV) */
  double complex *U;   /* [nk*NO*NO] eigenvectors (grid_bands) */
  double complex *chi; /* [nk*NO4] chi0 in the orbital basis per q */
  double n0;           /* N(0) of the grid, states/eV/spin/cell */
  double elo, de;      /* energy bins of the W(xi, xi') table: lower edge and width, eV */
  double t0;           /* start, s */
  /* per-q work (rpa_w_of_q), sized for the G sphere */
  int M, gcap;
  int *G, *idx;
  double *Q, *rho, *vG, *RW;
  double complex *cg, *A, *W;
  double head, head_bare; /* W and v of G = 0 at q = 0 (Thomas-Fermi and bare, cell averages) */
} rpa_ctx;

static int rpa_ebin(const rpa_ctx *r, double x) { return (int)fmin(NE - 1, floor((x - r->elo) / r->de)); }

static void rpa_free(rpa_ctx *r)
{
  free(r->e);
  free(r->d);
  free(r->U);
  free(r->chi);
  free(r->G);
  free(r->idx);
  free(r->Q);
  free(r->rho);
  free(r->vG);
  free(r->RW);
  free(r->cg);
  free(r->A);
  free(r->W);
}

/* The bands of the grid, their Fermi-surface weights and N(0), chi0(q) for all q (the
 * imaginary times split over the ranks, then summed), and the work arrays of one q. */
static agape_err rpa_grid(rpa_ctx *r, const agape_material *m, agape_coulomb *c)
{
  const agape_par *par = r->par;
  const agape_params *p = r->p;
  const int n = r->n;
  const int64_t nk = r->nk;
  const double beta = agape_beta(p->rpa_temperature_K);
  const double sig = p->rpa_smearing_meV * 1e-3;
  r->e = malloc(sizeof(double) * (size_t)nk * NO);
  r->d = malloc(sizeof(double) * (size_t)nk * NO);
  r->U = malloc(sizeof(double complex) * (size_t)nk * NO * NO);
  r->chi = calloc((size_t)nk * NO4, sizeof(double complex));
  double *tau = malloc(sizeof(double) * 4000), *tw = malloc(sizeof(double) * 4000);
  agape_err err = (!r->e || !r->d || !r->U || !r->chi || !tau || !tw) ? AGAPE_ERR_NOMEM : AGAPE_OK;
  if (!err) err = grid_bands(m, n, r->e, r->U);
  if ((err = agape_par_agree(par, err))) goto done;

  /* Fermi-surface weights and N(0) of the grid */
  double emax = 0, n0 = 0, dmax = 0;
  for (int64_t s = 0; s < nk * NO; s++) {
    emax = fmax(emax, fabs(r->e[s]));
    r->d[s] = exp(-0.5 * r->e[s] * r->e[s] / (sig * sig)) / (sig * sqrt(2 * AGAPE_PI));
    n0 += r->d[s];
    dmax = fmax(dmax, r->d[s]);
  }
  n0 /= (double)nk;
  r->n0 = c->dos0_grid = n0;
  c->ktf2 = 4 * AGAPE_PI * RPA_E2 * 2 * n0 / r->omega;

  /* chi0(q) for all q: the tau points are split over the ranks, then summed */
  int ntau = chi0_tau_grid(beta, emax * 1.01, 4000, tau, tw);
  if (ntau < 0) err = agape_error(AGAPE_ERR_NUMERIC, "RPA: imaginary-time grid too large");
  if (!err) {
    int it0 = (int)((int64_t)ntau * par->rank / par->size), it1 = (int)((int64_t)ntau * (par->rank + 1) / par->size);
    if (chi0_fft(&(chi0_bands){n, n, n, NO, NO, r->e, r->U}, beta, ntau, tau, tw, it0, it1, r->chi) != 0)
      err = AGAPE_ERR_NOMEM;
  }
  if ((err = agape_par_agree(par, err))) goto done;
  agape_par_sum(par, (double *)r->chi, 2 * nk * NO4);
  if (par->rank == 0)
    printf("agape: RPA chi0 on %d^3 k-points, %d imaginary times, T = %g K (%.1f s)\n", n, ntau, p->rpa_temperature_K,
           agape_par_wtime() - r->t0),
      fflush(stdout);

  /* G sphere bound and per-q work arrays */
  r->M = (int)ceil(p->rpa_gcut_invA / r->bl) + 1;
  const int gcap = r->gcap = (2 * r->M + 1) * (2 * r->M + 1) * (2 * r->M + 1);
  r->G = malloc(sizeof(int) * 3 * (size_t)gcap);
  r->Q = malloc(sizeof(double) * 3 * (size_t)gcap);
  r->rho = malloc(sizeof(double) * 9 * (size_t)gcap);
  r->vG = malloc(sizeof(double) * (size_t)gcap);
  r->cg = malloc(sizeof(double complex) * (size_t)gcap * gcap);
  r->A = malloc(sizeof(double complex) * (size_t)gcap * gcap);
  r->W = malloc(sizeof(double complex) * (size_t)gcap * gcap);
  r->RW = malloc(sizeof(double) * 9 * (size_t)gcap);
  r->idx = malloc(sizeof(int) * (size_t)gcap);
  if (!r->G || !r->Q || !r->rho || !r->vG || !r->cg || !r->A || !r->W || !r->RW || !r->idx) err = AGAPE_ERR_NOMEM;
  const double bmat[9] = {r->bl, 0, 0, 0, r->bl, 0, 0, 0, r->bl};
  r->head = err ? 0 : rpa_w_head_tf(c->ktf2, bmat, n, n, n);
  r->head_bare = err ? 0 : rpa_w_head_tf(0.0, bmat, n, n, n);
  /* energy-resolved W(xi, xi'): NE bins over the grid's band range */
  double elo = INFINITY, ehi = -INFINITY;
  for (int64_t s2 = 0; s2 < nk * NO; s2++) {
    elo = fmin(elo, r->e[s2]);
    ehi = fmax(ehi, r->e[s2]);
  }
  r->elo = elo;
  r->de = (ehi - elo) / NE * (1 + 1e-12);
done:
  free(tau);
  free(tw);
  return agape_par_agree(par, err);
}

/* W_GG'(q) of grid q iq on the sphere |q+G| <= rpa_gcut_invA (eps = 1 - v chi0 inverted with
 * local fields through ScaLAPACK, or its diagonal), contracted into the orbital basis:
 * Wh, Vh [81] = (1/Omega) sum_GG' rho_ad(q+G) Re W_GG' rho_a'd'(q+G') and the same for v.
 * Collective (the inversion). *ng_out: G vectors. */
static agape_err rpa_w_of_q(rpa_ctx *r, int64_t iq, double *Wh, double *Vh, int *ng_out)
{
  const agape_params *p = r->p;
  const int n = r->n, M = r->M;
  const double bl = r->bl, sigma = p->orbital_radius_A;
  int *G = r->G, *idx = r->idx;
  double *Q = r->Q, *rho = r->rho, *vG = r->vG, *RW = r->RW;
  double complex *cg = r->cg, *A = r->A, *W = r->W;
  /* q in [-1/2, 1/2) of the grid, crystal coordinates */
  double qf[3] = {(double)(iq / (n * n)) / n, (double)(iq / n % n) / n, (double)(iq % n) / n};
  for (int x = 0; x < 3; x++)
    if (qf[x] >= 0.5) qf[x] -= 1;
  int ng = 0, g0 = -1;
  for (int a = -M; a <= M; a++)
    for (int b = -M; b <= M; b++)
      for (int cc = -M; cc <= M; cc++) {
        double qq[3] = {bl * (qf[0] + a), bl * (qf[1] + b), bl * (qf[2] + cc)};
        double q2 = qq[0] * qq[0] + qq[1] * qq[1] + qq[2] * qq[2];
        if (q2 > p->rpa_gcut_invA * p->rpa_gcut_invA) continue;
        G[3 * ng] = a;
        G[3 * ng + 1] = b;
        G[3 * ng + 2] = cc;
        for (int x = 0; x < 3; x++) Q[3 * ng + x] = qq[x];
        rpa_formfactor_t2(sigma, qq, rho + 9 * ng);
        vG[ng] = q2 > 0 ? 4 * AGAPE_PI * RPA_E2 / q2 : 0;
        if (q2 == 0) g0 = ng;
        ng++;
      }
  *ng_out = ng;
  rpa_chi0_GG(NO, r->chi + (size_t)iq * NO4, ng, rho, r->omega, cg);
  /* eps = 1 - v chi0 (rows and columns of G = 0 at q = 0 excluded: head and wings apart) */
  int nb = 0;
  for (int i = 0; i < ng; i++)
    if (i != g0) idx[nb++] = i;
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < nb; j++) A[(size_t)i * nb + j] = (i == j) - vG[idx[i]] * cg[(size_t)idx[i] * ng + idx[j]];
  for (int i = 0; i < ng * ng; i++) W[i] = 0;
  if (p->rpa_local_fields) {
    agape_err err;
    if (nb > 0 && (err = agape_par_zinv(r->par, nb, A))) return err;
    for (int i = 0; i < nb; i++)
      for (int j = 0; j < nb; j++) W[(size_t)idx[i] * ng + idx[j]] = A[(size_t)i * nb + j] * vG[idx[j]];
  } else { /* no local fields: eps diagonal in G */
    for (int i = 0; i < nb; i++) W[(size_t)idx[i] * ng + idx[i]] = vG[idx[i]] / A[(size_t)i * nb + i];
  }
  if (g0 >= 0) W[(size_t)g0 * ng + g0] = r->head;
  /* W between Bloch states, contracted into the orbital basis once per q:
   *   W_{k b1, k+q b2} = p^T What p,  p_(ad) = U_a,b1(k) U_d,b2(k+q)  (real eigenvectors),
   *   What_(ad),(a'd') = (1/Omega) sum_GG' rho_ad(q+G) Re W_GG' rho_a'd'(q+G')
   * (M_G = <k b1|e^{-i(q+G)r}|k+q b2> = sum_ad p_(ad) rho_ad(q+G)); the same for the bare v */
  for (int g = 0; g < ng; g++) /* RW = Re W rho (ng x 9) */
    for (int j = 0; j < 9; j++) {
      double t = 0;
      for (int h = 0; h < ng; h++) t += creal(W[(size_t)g * ng + h]) * rho[9 * h + j];
      RW[9 * g + j] = t;
    }
  for (int i = 0; i < 9; i++)
    for (int j = 0; j < 9; j++) {
      double sw = 0, sv = 0;
      for (int g = 0; g < ng; g++) {
        sw += rho[9 * g + i] * RW[9 * g + j];
        sv += rho[9 * g + i] * rho[9 * g + j] * (g == g0 ? r->head_bare : vG[g]);
      }
      Wh[i * 9 + j] = sw / r->omega;
      Vh[i * 9 + j] = sv / r->omega;
    }
  return AGAPE_OK;
}

/* All pairs (k b1, k+q b2) of this rank's k at grid q iq: the Fermi-surface sums acc[2] (W and
 * v with the Gaussian delta) and the energy-resolved sums wsum, wcnt [NE*NE]. */
static void rpa_pairs(const rpa_ctx *r, int64_t iq, const double *Wh, const double *Vh, double *acc, double *wsum,
                      double *wcnt)
{
  const int n = r->n;
  const double *e = r->e, *d = r->d;
  const double complex *U = r->U;
  for (int64_t k = r->par->rank; k < r->nk; k += r->par->size) {
    const int64_t kq = chi0_grid_add(n, n, n, k, iq);
    for (int b1 = 0; b1 < NO; b1++)
      for (int b2 = 0; b2 < NO; b2++) {
        double pv[9];
        for (int a = 0; a < NO; a++)
          for (int dd = 0; dd < NO; dd++)
            pv[a * NO + dd] = creal(U[(k * NO + a) * NO + b1]) * creal(U[(kq * NO + dd) * NO + b2]);
        double wq = 0, vq = 0;
        for (int i = 0; i < 9; i++) {
          double tw = 0, tv = 0;
          for (int j = 0; j < 9; j++) {
            tw += Wh[i * 9 + j] * pv[j];
            tv += Vh[i * 9 + j] * pv[j];
          }
          wq += pv[i] * tw;
          vq += pv[i] * tv;
        }
        const double dd2 = d[k * NO + b1] * d[kq * NO + b2];
        acc[0] += dd2 * wq;
        acc[1] += dd2 * vq;
        const int i1 = rpa_ebin(r, e[k * NO + b1]), i2 = rpa_ebin(r, e[kq * NO + b2]);
        wsum[(size_t)i1 * NE + i2] += wq;
        wcnt[(size_t)i1 * NE + i2] += 1;
      }
  }
}

/* The W(xi, xi') table (bin averages; a bin pair without grid pairs takes the nearest filled
 * one in energy), the grid's DOS per bin and mu = N(0) <W>_FS, from the summed sums. */
static agape_err rpa_table(const rpa_ctx *r, const double *acc, const double *wsum, const double *wcnt,
                           agape_coulomb *c)
{
  c->ne = NE;
  c->xi_axis = malloc(sizeof(double) * NE);
  c->dos_xi = malloc(sizeof(double) * NE);
  c->w_xi = malloc(sizeof(double) * NE * NE);
  if (!c->xi_axis || !c->dos_xi || !c->w_xi) {
    c->ne = 0;
    return AGAPE_ERR_NOMEM;
  }
  for (int i = 0; i < NE; i++) {
    c->xi_axis[i] = r->elo + (i + 0.5) * r->de;
    c->dos_xi[i] = 0;
  }
  for (int64_t s2 = 0; s2 < r->nk * NO; s2++) c->dos_xi[rpa_ebin(r, r->e[s2])] += 1.0 / ((double)r->nk * r->de);
  if (rpa_w_table_fill(NE, wsum, wcnt, c->w_xi))
    return agape_error(AGAPE_ERR_NUMERIC, "RPA: no pair of grid states in the W(xi, xi') table");
  const double norm = (double)r->nk * (double)r->nk * r->n0 * r->n0;
  c->w_fs = acc[0] / norm;
  c->w_bare_fs = acc[1] / norm;
  c->mu = r->n0 * c->w_fs;
  c->seconds = agape_par_wtime() - r->t0;
  if (r->par->rank == 0)
    printf("agape: RPA mu = N(0) <W>_FS = %.4f  (N(0) = %.4f /eV/spin/cell on the grid, <W>_FS = %.4f eV, "
           "bare <v>_FS = %.3f eV, k_TF = %.3f /A, up to %d G; %.1f s)\n",
           c->mu, r->n0, c->w_fs, c->w_bare_fs, sqrt(c->ktf2), c->ng_max, c->seconds),
      fflush(stdout);
  return AGAPE_OK;
}

/* mode rpa with qe_save: mu, <W>_FS, <v>_FS and the W(xi, xi') table from the Kohn-Sham states
 * of a Quantum ESPRESSO save folder (qe_chi0.h); every rank reads the folder. Collective. */
static agape_err rpa_create_qe(const agape_par *par, const agape_params *p, double dos0, agape_coulomb *c)
{
  const double t0 = agape_par_wtime();
  agape_qe_save s;
  agape_err err = agape_qe_save_read(p->qe_save, &s);
  if ((err = agape_par_agree(par, err))) {
    agape_qe_save_destroy(&s);
    return err;
  }
  if (par->rank == 0)
    printf("agape: RPA from %s: %d k points (%d x %d x %d), %d bands, E_F = %.4f eV, %s smearing %.4f eV; |q+G| <= %g "
           "bohr^-1, bands to E_F + %g eV\n",
           p->qe_save, s.nks, s.mp[0], s.mp[1], s.mp[2], s.nbnd, s.ef, s.smearing, s.degauss, p->rpa_gmax_bohr,
           p->rpa_band_cutoff_eV),
      fflush(stdout);
  /* the bands must reach the cut-off at every k, or the states missing there break the
   * crystal's symmetry and leave the sums short */
  double top = INFINITY;
  for (int ik = 0; ik < s.nks; ik++) top = fmin(top, s.eig[(size_t)ik * s.nbnd + s.nbnd - 1] - s.ef);
  if (par->rank == 0 && top < p->rpa_band_cutoff_eV)
    agape_warning("%s: the %d bands of the nscf reach only E_F + %.1f eV at some k, below rpa_band_cutoff_eV = %g: "
                  "the states between are missing there (and the sums lose the crystal's symmetry); raise nbnd in "
                  "the nscf or lower rpa_band_cutoff_eV",
                  p->qe_save, s.nbnd, top, p->rpa_band_cutoff_eV);
  /* the Fermi-surface width: the deck's, else the width pw.x smeared this grid with */
  const double sigma = p->rpa_smearing_meV > 0 ? p->rpa_smearing_meV * 1e-3 : s.degauss;
  agape_qe_mu r;
  err = agape_qe_mu_compute(par, &s, p->rpa_gmax_bohr, p->rpa_band_cutoff_eV, sigma, NE, 0, &r);
  if (!err) {
    c->nk = s.mp[0];
    c->ng_max = r.ng_max;
    c->dos0_grid = r.dos0;
    c->w_fs = r.w_fs;
    c->w_bare_fs = r.w_bare_fs;
    /* mu with the N(0) every solver uses (the states'), <W>_FS from the grid */
    c->mu = dos0 > 0 ? dos0 * r.w_fs : r.mu;
    /* k_TF^2 = 4 pi e^2 2 N(0) / Omega, 1/Angstrom^2 */
    const double omegaA = s.omega * AGAPE_BOHR_A * AGAPE_BOHR_A * AGAPE_BOHR_A;
    c->ktf2 = 4 * AGAPE_PI * RPA_E2 * 2 * r.dos0 / omegaA;
    c->ne = r.ne;
    c->xi_axis = r.xi;
    c->w_xi = r.w;
    c->dos_xi = r.dos;
    free(r.cnt);
    c->seconds = agape_par_wtime() - t0;
    if (par->rank == 0)
      printf("agape: RPA mu = N(0) <W>_FS = %.4f with N(0) = %.4f /eV/spin/cell of the states (%.4f on the RPA grid, "
             "Gaussian %.0f meV: mu %.4f there); <W>_FS = %.4f eV, bare <v>_FS = %.3f eV, k_TF = %.3f /A, up to %d "
             "G; %.1f s\n",
             c->mu, dos0, r.dos0, sigma * 1e3, r.mu, c->w_fs, c->w_bare_fs, sqrt(c->ktf2), c->ng_max, c->seconds),
        fflush(stdout);
  }
  agape_qe_save_destroy(&s);
  return err;
}

/* mode rpa: the static RPA W of the material's orbitals (coulomb.h). Collective. */
static agape_err rpa_create(const agape_par *par, const agape_params *p, const agape_material *m, double dos0,
                            agape_coulomb *c)
{
  if (p->qe_save[0]) return rpa_create_qe(par, p, dos0, c);
  if (!m->hamiltonian || m->norb != NO)
    return agape_error(AGAPE_ERR_DECK,
                       "[coulomb] mode = rpa: material %s has no tight-binding orbitals (it needs the "
                       "%d orbitals per cell of the CsB12 or LaB12 model)",
                       m->name, NO);
  rpa_ctx r = {.par = par, .p = p, .n = p->rpa_kgrid, .t0 = agape_par_wtime()};
  r.nk = (int64_t)r.n * r.n * r.n;
  const double alat = m->lattice_A;
  r.omega = alat * alat * alat;
  r.bl = 2 * AGAPE_PI / alat;
  c->nk = r.n;
  agape_err err = rpa_grid(&r, m, c);
  double acc[2] = {0, 0}; /* sum d d W, sum d d v over this rank's k */
  double *wsum = calloc((size_t)NE * NE, sizeof(double)), *wcnt = calloc((size_t)NE * NE, sizeof(double));
  c->wq = malloc(sizeof(double) * 81 * (size_t)r.nk);
  if (!err && (!c->wq || !wsum || !wcnt)) err = AGAPE_ERR_NOMEM;
  for (int64_t iq = 0; iq < r.nk && !err; iq++) {
    double Wh[81], Vh[81];
    int ng = 0;
    if ((err = rpa_w_of_q(&r, iq, Wh, Vh, &ng))) break;
    if (ng > c->ng_max) c->ng_max = ng;
    memcpy(c->wq + (size_t)iq * 81, Wh, sizeof Wh);
    rpa_pairs(&r, iq, Wh, Vh, acc, wsum, wcnt);
    if (par->rank == 0 && (iq + 1) % (r.nk / 8 > 0 ? r.nk / 8 : 1) == 0)
      printf("agape: RPA W(q) at %lld of %lld q-points (%d G vectors)  (%.1f s)\n", (long long)iq + 1, (long long)r.nk,
             ng, agape_par_wtime() - r.t0),
        fflush(stdout);
  }
  err = agape_par_agree(par, err);
  if (!err) {
    agape_par_sum(par, acc, 2);
    agape_par_sum(par, wsum, (int64_t)NE * NE);
    agape_par_sum(par, wcnt, (int64_t)NE * NE);
    err = rpa_table(&r, acc, wsum, wcnt, c);
  }
  free(wsum);
  free(wcnt);
  rpa_free(&r);
  return agape_par_agree(par, err);
}

agape_err agape_coulomb_create(const agape_par *par, const agape_params *p, const agape_material *m, double dos0,
                               agape_coulomb *c)
{
  memset(c, 0, sizeof *c);
  c->mode = p->coulomb;
  c->mu = p->coulomb == COUL_MU ? p->mu : 0.0;
  if (p->coulomb == COUL_FILE) {
    agape_err err = w_file_load(par, p->w_file, c);
    if (!err) {
      c->w00 = w_at00(c);
      c->mu = dos0 * c->w00;
      if (par->rank == 0)
        printf("agape: W(xi, xi') from %s: %d energies %.4g .. %.4g eV, W(0,0) = %.5g eV, mu = N(0) W(0,0) = %.4f\n",
               p->w_file, c->ne, c->xi_axis[0], c->xi_axis[c->ne - 1], c->w00, c->mu),
          fflush(stdout);
    }
    return err;
  }
  if (p->coulomb != COUL_RPA) return AGAPE_OK;
  return rpa_create(par, p, m, dos0, c);
}

agape_err agape_coulomb_sample(const agape_par *par, const agape_material *m, const agape_states *st, agape_coulomb *c)
{
  if (c->mode != COUL_RPA || !c->wq || st->n_mc == 0) return AGAPE_OK;
  const double t0 = agape_par_wtime();
  const int n = c->nk;
  /* Fermi-surface Monte-Carlo states and their orbital vectors (real eigenvectors of H(k)) */
  int64_t nf = 0;
  for (int64_t s = 0; s < st->n_mc; s++)
    if (st->fsw[s] > 0) nf++;
  int64_t *id = malloc(sizeof(int64_t) * (size_t)(nf ? nf : 1));
  double *u = malloc(sizeof(double) * 3 * (size_t)(nf ? nf : 1));
  agape_err err = (!id || !u) ? AGAPE_ERR_NOMEM : AGAPE_OK;
  for (int64_t s = 0, f = 0; s < st->n_mc && !err; s++) {
    if (!(st->fsw[s] > 0)) continue;
    double H[9], w[NO];
    if (orbital_eigen(m, st->k + 3 * s, w, H)) {
      err = AGAPE_ERR_NUMERIC;
      break;
    }
    for (int a = 0; a < NO; a++) u[3 * f + a] = H[st->band[s] * NO + a];
    id[f++] = s;
  }
  if ((err = agape_par_agree(par, err))) {
    free(id);
    free(u);
    return err;
  }
  /* sum over ordered pairs (rows split over ranks): W_ss' = p^T What(q) p at the grid q
   * nearest to k_s' - k_s, p_(ad) = u_a(s) u_d(s') */
  double acc[2] = {0, 0};
  for (int64_t i = par->rank; i < nf; i += par->size) {
    const int64_t s = id[i];
    for (int64_t j = 0; j < nf; j++) {
      const int64_t t = id[j];
      int iq[3];
      for (int x = 0; x < 3; x++) {
        long v = lround((st->k[3 * t + x] - st->k[3 * s + x]) * n) % n;
        iq[x] = (int)(v < 0 ? v + n : v);
      }
      const double *Wh = c->wq + (size_t)(((int64_t)iq[0] * n + iq[1]) * n + iq[2]) * 81;
      double pv[9], wp = 0;
      for (int a = 0; a < NO; a++)
        for (int d = 0; d < NO; d++) pv[a * NO + d] = u[3 * i + a] * u[3 * j + d];
      for (int r = 0; r < 9; r++) {
        double tw = 0;
        for (int q = 0; q < 9; q++) tw += Wh[r * 9 + q] * pv[q];
        wp += pv[r] * tw;
      }
      acc[0] += st->fsw[s] * st->fsw[t] * wp;
    }
  }
  agape_par_sum(par, acc, 2);
  const double n0 = st->dos0;
  c->w_fs_sample = n0 > 0 ? acc[0] / (n0 * n0) : 0;
  c->mu_sample = n0 * c->w_fs_sample;
  if (par->rank == 0)
    printf("agape: RPA check on the sample: <W_kk'>_FS over %lld x %lld Monte-Carlo pairs = %.4f eV, "
           "mu = N(0) <W> = %.4f (grid: %.4f)  (%.1f s)\n",
           (long long)nf, (long long)nf, c->w_fs_sample, c->mu_sample, c->mu, agape_par_wtime() - t0),
      fflush(stdout);
  free(id);
  free(u);
  return AGAPE_OK;
}
