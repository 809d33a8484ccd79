/* Material source "model": the built-in XB12 superatomic-crystal models CsB12 and LaB12
 * (model_xb12.h, docs/model_xb12.md): tight-binding bands sampled by Monte Carlo, pair
 * couplings |g_b(k, k')|^2 on fixed phonon frequencies with their exact separable form, the
 * remote-band DOS carried by the energy grid, and the t2 orbitals for the RPA. */
#include "agape/material.h"
#include "sources.h"
#include "agape/model_xb12.h"
#include "agape/frmsf.h"
#include "agape/units.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL(m) ((const xb12_model *)(m)->data)

static void model_bands(const agape_material *m, const double k[3], double *xi) { xb12_bands(MODEL(m), k, xi); }
static double model_grid_dos(const agape_material *m, double xi) { return xb12_background_dos(MODEL(m), xi); }
static void model_features(const agape_material *m, const double k[3], int band, double *feat)
{
  xb12_features(MODEL(m), k, band, feat);
}
static void model_hamiltonian(const agape_material *m, const double k[3], double *H)
{
  xb12_hamiltonian(MODEL(m), k, H);
}
static void model_sep_entries(const agape_material *m, int *mode, int *r, int *rp, double *coef)
{
  xb12_sep_entries(MODEL(m), mode, r, rp, coef);
}
static void model_sep_phi(const agape_material *m, const double *feat, double *phi)
{
  xb12_sep_phi(MODEL(m), feat, phi);
}

static void model_pair_couplings(const agape_material *m, const double *feat, int64_t i, int nc, const int64_t *j,
                                 double *A, int lda, double *tmp, const double *scratch)
{
  (void)scratch;
  xb12_g2_row(MODEL(m), feat, i, nc, j, tmp);
  for (int b = 0; b < m->nmodes; b++) memcpy(A + (size_t)b * lda, tmp + (size_t)b * nc, sizeof(double) * nc);
}

/* sum_ss' fsw_s fsw_s' |g^b_ss'|^2 through the separable form: = sum_e coef_e S_r S_r' with
 * S_r = sum_s fsw_s phi_r(s), O(N nfun) instead of O(N_FS^2). Blocks of FSB states are summed by
 * threads and then in block order, and every rank does the whole sum: the same bits for any
 * rank and thread count. */
static agape_err model_fs_weights(const agape_material *m, int64_t n_st, const double *feat, const double *fsw,
                                  double *acc, double *unreached)
{
  *unreached = 0;
  enum { FSB = 512 };
  const xb12_model *mod = MODEL(m);
  const int nfun = xb12_sep_nfun(mod), nent = xb12_sep_nent(mod), nfeat = m->nfeat;
  const int64_t nblk = (n_st + FSB - 1) / FSB;
  double *S = calloc(nfun, sizeof(double));
  double *part = calloc((size_t)(nblk > 0 ? nblk : 1) * nfun, sizeof(double)), *cf = malloc(sizeof(double) * nent);
  int *emode = malloc(sizeof(int) * nent), *er = malloc(sizeof(int) * nent), *erp = malloc(sizeof(int) * nent);
  int fail = !S || !part || !cf || !emode || !er || !erp;
  for (int b = 0; b < m->nmodes; b++) acc[b] = 0;
  if (!fail) {
    xb12_sep_entries(mod, emode, er, erp, cf);
#pragma omp parallel reduction(| : fail)
    {
      double *phi = malloc(sizeof(double) * nfun);
      if (!phi)
        fail = 1;
      else {
#pragma omp for schedule(dynamic, 1)
        for (int64_t k = 0; k < nblk; k++) {
          double *pk = part + (size_t)k * nfun;
          for (int64_t i = k * FSB; i < (k + 1) * FSB && i < n_st; i++) {
            if (fsw[i] == 0) continue;
            xb12_sep_phi(mod, feat + (size_t)i * nfeat, phi);
            for (int r = 0; r < nfun; r++) pk[r] += fsw[i] * phi[r];
          }
        }
      }
      free(phi);
    }
    for (int64_t k = 0; k < nblk; k++)
      for (int r = 0; r < nfun; r++) S[r] += part[(size_t)k * nfun + r];
    for (int e = 0; e < nent; e++) acc[emode[e]] += cf[e] * S[er[e]] * S[erp[e]];
  }
  free(S);
  free(part);
  free(cf);
  free(emode);
  free(er);
  free(erp);
  return fail ? AGAPE_ERR_NOMEM : AGAPE_OK;
}

/* gap_T*.frmsf on a regular grid of the model's bands (frmsf.h) */
static void model_frmsf_bands(const void *ctx, const double k[3], double *xi) { xb12_bands(ctx, k, xi); }
static agape_err model_write_frmsf(const agape_material *m, const char *results_path, int64_t n, const double *k,
                                   const int *band, const double *xi, double sigma, int ntemps, const double *temps,
                                   const double *delta_meV, int64_t ld)
{
  if (n < 1 || !k || !band) return AGAPE_OK;
  const xb12_model *mod = MODEL(m);
  double bvec[9] = {0}, b = 2.0 * AGAPE_PI / xb12_lattice_A(mod); /* 1/Angstrom */
  for (int d = 0; d < 3; d++) bvec[4 * d] = b;
  return agape_frmsf_write_bands(results_path, AGAPE_FRMSF_MODEL_GRID, xb12_nbands(mod), bvec, model_frmsf_bands, mod,
                                 n, k, band, xi, sigma, ntemps, temps, delta_meV, ld);
}

static void model_destroy(agape_material *m)
{
  xb12_model *mod = m->data;
  if (mod) xb12_destroy(&mod);
  m->data = NULL;
}

agape_err agape_source_model_create(const agape_par *par, const agape_params *p, double t0, agape_material *m)
{
  (void)par;
  (void)t0;
  xb12_model *mod = NULL;
  if (xb12_create(p->name, &mod) != 0)
    return agape_error(AGAPE_ERR_DECK, "unknown model name '%s' (expected CsB12, LaB12 or bcs)", p->name);
  m->data = mod;
  m->destroy = model_destroy;
  snprintf(m->name, sizeof m->name, "%s", xb12_name(mod));
  m->nmodes = xb12_nmodes(mod);
  m->omega = malloc(sizeof(double) * m->nmodes);
  m->a2f_w = calloc(m->nmodes, sizeof(double));
  if (!m->omega || !m->a2f_w) return AGAPE_ERR_NOMEM;
  memcpy(m->omega, xb12_omega(mod), sizeof(double) * m->nmodes);
  xb12_band_range(mod, &m->grid_lo, &m->grid_hi);
  m->grid_dos = model_grid_dos;
  m->nbands = xb12_nbands(mod);
  m->bands = model_bands;
  m->nfeat = xb12_nfeat(mod);
  m->features = model_features;
  m->pair_couplings = model_pair_couplings;
  m->fs_weights = model_fs_weights;
  m->sep_nfun = xb12_sep_nfun(mod);
  m->sep_nent = xb12_sep_nent(mod);
  m->sep_entries = model_sep_entries;
  m->sep_phi = model_sep_phi;
  m->norb = 3;
  m->lattice_A = xb12_lattice_A(mod);
  m->hamiltonian = model_hamiltonian;
  m->write_frmsf = model_write_frmsf;
  return AGAPE_OK;
}
