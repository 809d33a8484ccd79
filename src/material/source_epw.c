/* Material source "epw": the electron-phonon data EPW writes for its Eliashberg solver
 * (epw.h reads them). Offers EPW's Fermi-window states as they are (irreducible k, band;
 * weight wkfs/2, EPW's Gaussian delta), their pair couplings on frequency nodes that keep the
 * weight and lambda of every phonon (SCDFT), the same couplings in EPW's own sparse form with
 * the mu* phase space (anisotropic Eliashberg), EPW's printed alpha^2F, and FermiSurfer files
 * on EPW's full fine grid with the reciprocal vectors of crystal.fmt (read once, here). */
#define _POSIX_C_SOURCE 200809L
#include "agape/material.h"
#include "sources.h"
#include "agape/epw.h"
#include "agape/epw_mesh.h"
#include "agape/eliash.h"
#include "agape/frmsf.h"
#include "agape/units.h"
#include "agape/formulas.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the source's data (m->data) */
typedef struct {
  agape_epw e;              /* the files, on every rank */
  char dir[AGAPE_PATH_MAX]; /* the .ephmat folder */
  int have_bvec;            /* crystal.fmt found and consistent */
  double bvec[9];           /* its bg (rows b1 b2 b3, 2 pi/alat) */
  /* SCDFT: every phonon (q, mode) split between its two neighbouring frequency nodes so that
   * its weight and its weight/omega are kept; [totq*nmodes] lower node (-1: no coupling) and
   * that node's share */
  int *ph_node;
  double *ph_share;
  agape_fs_pairs pairs; /* anisotropic Eliashberg: the states and couplings as EPW has them */
  double *k;            /* [ns*3] crystal coordinates of the window states */
  /* Monte-Carlo states ([sampling] states = montecarlo): the data on the full meshes */
  int mc;
  agape_epw_mesh mesh;
  double node_lo, node_h; /* frequency nodes omega_b = node_lo + b node_h, eV */
} epw_src;

#define SRC(m) ((epw_src *)(m)->data)

/* The node split of a phonon of frequency w (eV) inside the nodes' range: returns the lower
 * node b and sets *f, its share, so that f on omega_b and 1 - f on omega_b+1 keep both the
 * weight and weight/omega */
static int epw_node_split(const agape_material *m, const epw_src *d, double w, double *f)
{
  const int nb = m->nmodes;
  *f = 1.0;
  if (nb == 1) return 0;
  int b = (int)((w - d->node_lo) / d->node_h);
  if (b > nb - 2) b = nb - 2;
  if (b < 0) b = 0;
  *f = fmin(1.0, fmax(0.0, (1 / w - 1 / m->omega[b + 1]) / (1 / m->omega[b] - 1 / m->omega[b + 1])));
  return b;
}

static agape_err epw_nodes(const agape_epw *e, int nb, agape_material *m, epw_src *d)
{
  const int nph = e->totq * e->nmodes;
  double lo = INFINITY, hi = 0;
  for (int q = 0; q < nph; q++)
    if (e->wf[q] > e->eps_acustic) {
      lo = fmin(lo, e->wf[q]);
      hi = fmax(hi, e->wf[q]);
    }
  if (!(hi >= lo)) return agape_error(AGAPE_ERR_FORMAT, "EPW data: no phonon above eps_acustic");
  if (hi - lo <= 1e-9 * hi) nb = 1; /* a single frequency */
  const double h = nb > 1 ? (hi - lo) / (nb - 1) : 0;
  free(m->omega);
  free(m->a2f_w);
  m->omega = malloc(sizeof(double) * nb);
  m->a2f_w = calloc(nb, sizeof(double));
  d->ph_node = malloc(sizeof(int) * (nph ? nph : 1));
  d->ph_share = malloc(sizeof(double) * (nph ? nph : 1));
  if (!m->omega || !m->a2f_w || !d->ph_node || !d->ph_share) return AGAPE_ERR_NOMEM;
  m->nmodes = nb;
  for (int b = 0; b < nb; b++) m->omega[b] = b + 1 < nb ? lo + b * h : hi;
  d->node_lo = lo;
  d->node_h = h;
  for (int q = 0; q < nph; q++) {
    double w = e->wf[q];
    if (!(w > e->eps_acustic)) {
      d->ph_node[q] = -1;
      d->ph_share[q] = 0;
      continue;
    }
    d->ph_node[q] = epw_node_split(m, d, w, &d->ph_share[q]);
  }
  m->grid_lo = -e->fsthick; /* the energy grid carries the rest */
  m->grid_hi = e->fsthick;
  return AGAPE_OK;
}


/* ---- pair couplings on the frequency nodes (SCDFT) ------------------------------------ */

/* add the coupling c of phonon ph (eV^2) to the node row r (nmodes) on its two nodes; a
 * phonon without coupling adds nothing */
static void epw_node_add(const agape_material *m, const epw_src *d, int32_t ph, double c, double *r)
{
  int b = d->ph_node[ph];
  if (b < 0) return;
  double f = d->ph_share[ph];
  r[b] += c * f;
  if (b + 1 < m->nmodes) r[b + 1] += c * (1 - f);
}

static size_t epw_pair_scratch(const agape_material *m, int64_t n_st)
{
  return (size_t)(n_st > 0 ? n_st : 1) * m->nmodes;
}

/* begin: scatter the couplings of row state i into the dense row erow (n_st x nmodes):
 * K_ss' = sum over the phonons (q, nu) with rep(k+q) = s' of w_q |g|^2 / w_s' (eV^2) on the
 * two frequency nodes of each phonon, so that sum_s' w_s' K_ss' is EPW's sum over q with weight
 * w_q. end: clear those entries again. */
static void epw_pair_row(const agape_material *m, const double *feat, int64_t i, double *erow, int begin)
{
  (void)feat;
  const epw_src *d = SRC(m);
  const agape_epw *e = &d->e;
  const int nm = m->nmodes;
  const double wq = AGAPE_EPW_G2_EV2 / e->nqtotf;
  for (int64_t x = e->row_ptr[i]; x < e->row_ptr[i + 1]; x++) {
    double *r = erow + (size_t)e->col[x] * nm;
    int b = d->ph_node[e->ph[x]];
    if (!begin) {
      if (b >= 0) {
        r[b] = 0;
        if (b + 1 < nm) r[b + 1] = 0;
      }
    } else
      epw_node_add(m, d, e->ph[x], wq * e->g2[x] / e->s_wk[e->col[x]], r);
  }
}

static void epw_pair_couplings(const agape_material *m, const double *feat, int64_t i, int nc, const int64_t *j,
                               double *A, int lda, double *tmp, const double *erow)
{
  (void)feat;
  (void)i;
  (void)tmp;
  const int nm = m->nmodes;
  for (int c = 0; c < nc; c++)
    for (int b = 0; b < nm; b++) A[(size_t)b * lda + c] = erow[(size_t)j[c] * nm + b];
}

/* acc_b = sum_ss' fsw_s fsw_s' K_ss'b with the couplings of epw_pair_row, every row in one
 * fixed order (O(couplings)): the same bits on every rank and thread count */
static agape_err epw_fs_weights(const agape_material *m, int64_t n_st, const double *feat, const double *fsw,
                                double *acc, double *unreached)
{
  *unreached = 0;
  (void)feat;
  const epw_src *d = SRC(m);
  const agape_epw *e = &d->e;
  const double wq = AGAPE_EPW_G2_EV2 / e->nqtotf;
  for (int b = 0; b < m->nmodes; b++) acc[b] = 0;
  for (int64_t i = 0; i < n_st; i++)
    for (int64_t x = e->row_ptr[i]; x < e->row_ptr[i + 1]; x++) {
      int32_t j = e->col[x];
      epw_node_add(m, d, e->ph[x], fsw[i] * fsw[j] * wq * e->g2[x] / e->s_wk[j], acc);
    }
  return AGAPE_OK;
}

/* ---- the window states ------------------------------------------------------------------ */

static int64_t epw_own_count(const agape_material *m) { return SRC(m)->e.ns; }

static void epw_own_states(const agape_material *m, double *xi, double *w, double *k, int *band, double *fsd)
{
  const agape_epw *e = &SRC(m)->e;
  for (int64_t i = 0; i < e->ns; i++) {
    xi[i] = e->s_xi[i] != 0 ? e->s_xi[i] : 1e-12;
    w[i] = e->s_wk[i];
    memcpy(k + 3 * i, SRC(m)->k + 3 * i, sizeof(double) * 3);
    band[i] = e->s_band[i];
    fsd[i] = e->s_w0g[i]; /* EPW's own delta (degaussw) */
  }
}

/* mu* phase space of state s: EPW's sum over q and k+q bands of wq w0g(m, k+q)/N_F */
static void epw_mustar_row(const agape_material *m, int s, double *row)
{
  const agape_epw *e = &SRC(m)->e;
  double wq = 1.0 / e->nqtotf;
  int k = e->s_k[s];
  for (int iq = 0; iq < e->totq; iq++) {
    int kq = e->ixkqf[(size_t)k * e->totq + iq];
    if (kq < 0) continue;
    for (int b = 0; b < e->nbndfst; b++) {
      int t = e->s_of[(size_t)kq * e->nbndfst + b];
      if (t >= 0) row[t] += wq * e->s_w0g[t] / e->dosef;
    }
  }
}

static agape_err epw_write_frmsf(const agape_material *m, const char *results_path, int64_t n, const double *k,
                                 const int *band, const double *xi, double sigma, int ntemps, const double *temps,
                                 const double *delta_meV, int64_t ld)
{
  (void)k;
  (void)band;
  (void)xi;
  (void)sigma;
  const epw_src *d = SRC(m);
  if (n < d->e.ns)
    return agape_error(AGAPE_ERR_INTERNAL, "FermiSurfer files: %lld states, fewer than the %d EPW states", (long long)n,
                       d->e.ns);
  return agape_epw_frmsf_write(results_path, &d->e, d->have_bvec ? d->bvec : NULL, d->dir, ntemps, temps, delta_meV,
                               ld);
}

/* ---- Monte-Carlo states: bands and couplings interpolated from EPW's meshes ------------- */

#define EPW_MC_NFEAT    4   /* a state's features: k (3 crystal coordinates) and its band */
#define EPW_MC_MAXMODES 768 /* phonon modes (3 x 256 atoms) */

static void epw_mc_bands(const agape_material *m, const double k[3], double *xi)
{
  agape_epw_mesh_bands(&SRC(m)->mesh, k, xi);
}

static void epw_mc_bands_ctx(const void *ctx, const double k[3], double *xi) { agape_epw_mesh_bands(ctx, k, xi); }

static void epw_mc_features(const agape_material *m, const double k[3], int band, double *feat)
{
  (void)m;
  feat[0] = k[0], feat[1] = k[1], feat[2] = k[2], feat[3] = band;
}

static size_t epw_mc_scratch(const agape_material *m, int64_t n_st)
{
  (void)n_st;
  return agape_epw_mesh_row_size(&SRC(m)->mesh);
}

/* begin: the row state's couplings towards every q-mesh point (epw_mesh.h); end: nothing */
static void epw_mc_row(const agape_material *m, const double *feat, int64_t i, double *row, int begin)
{
  if (!begin) return;
  const double *f = feat + (size_t)i * EPW_MC_NFEAT;
  agape_epw_mesh_row(&SRC(m)->mesh, &SRC(m)->e, f, (int)f[3], row);
}

/* add a coupling c (eV^2) of a phonon of frequency w (eV) to the node column r (stride lda):
 * between its two neighbouring nodes so that c and c/w are kept; below the first node (or
 * above the last) on that node with c w_b / w, which keeps c/w (lambda) */
static void epw_mc_node_add(const agape_material *m, const epw_src *d, double w, double c, double *r, int lda)
{
  const int nb = m->nmodes;
  if (nb == 1 || w <= m->omega[0] || w >= m->omega[nb - 1]) {
    int b = nb == 1 || w <= m->omega[0] ? 0 : nb - 1;
    r[(size_t)b * lda] += c * m->omega[b] / w;
    return;
  }
  double f;
  int b = epw_node_split(m, d, w, &f);
  r[(size_t)b * lda] += c * f;
  r[(size_t)(b + 1) * lda] += c * (1 - f);
}

/* one pair: its couplings added on the nodes (column c of A, stride lda; zero on entry); NaN
 * on every node when no corner pair of the pair lies inside EPW's window (material.h) */
static void epw_mc_pair(const agape_material *m, const epw_src *d, const double *fi, const double *fj,
                        const double *row, double *A, int lda)
{
  double g2[EPW_MC_MAXMODES], om[EPW_MC_MAXMODES];
  if (!(agape_epw_mesh_pair(&d->mesh, row, fi, fj, (int)fj[3], g2, om) > 0)) {
    for (int b = 0; b < m->nmodes; b++) A[(size_t)b * lda] = NAN;
    return;
  }
  for (int nu = 0; nu < d->mesh.nm; nu++)
    if (om[nu] > d->e.eps_acustic && g2[nu] > 0) epw_mc_node_add(m, d, om[nu], g2[nu] * AGAPE_EPW_G2_EV2, A, lda);
}

static void epw_mc_couplings(const agape_material *m, const double *feat, int64_t i, int nc, const int64_t *j,
                             double *A, int lda, double *tmp, const double *row)
{
  (void)tmp;
  const epw_src *d = SRC(m);
  const double *fi = feat + (size_t)i * EPW_MC_NFEAT;
  for (int c = 0; c < nc; c++) {
    for (int b = 0; b < m->nmodes; b++) A[(size_t)b * lda + c] = 0;
    epw_mc_pair(m, d, fi, feat + (size_t)j[c] * EPW_MC_NFEAT, row, A + c, lda);
  }
}

/* acc_b = sum_ss' fsw_s fsw_s' A_ss'b over the pairs of states with a Fermi-surface weight
 * that EPW's data reach, *unreached the pair weight of the others: each row summed by one
 * thread in column order, the rows added in order (the same bits for any thread count;
 * every rank computes the same) */
static agape_err epw_mc_fs_weights(const agape_material *m, int64_t n_st, const double *feat, const double *fsw,
                                   double *acc, double *unreached)
{
  const epw_src *d = SRC(m);
  const int nb = m->nmodes;
  int64_t nf = 0;
  int64_t *fs = malloc(sizeof(int64_t) * (size_t)(n_st > 0 ? n_st : 1));
  double *racc = fs ? malloc(sizeof(double) * (size_t)(n_st > 0 ? n_st : 1) * (nb + 1)) : NULL;
  if (!racc) {
    free(fs);
    return AGAPE_ERR_NOMEM;
  }
  for (int64_t i = 0; i < n_st; i++)
    if (fsw[i] != 0) fs[nf++] = i;
  const size_t rs = agape_epw_mesh_row_size(&d->mesh);
  int fail = 0;
#pragma omp parallel reduction(| : fail)
  {
    double *row = malloc(sizeof(double) * rs), *col = malloc(sizeof(double) * nb);
    if (!row || !col)
      fail = 1;
    else {
#pragma omp for schedule(dynamic, 4)
      for (int64_t a = 0; a < nf; a++) {
        const int64_t i = fs[a];
        const double *fi = feat + (size_t)i * EPW_MC_NFEAT;
        agape_epw_mesh_row(&d->mesh, &d->e, fi, (int)fi[3], row);
        double *r = racc + (size_t)a * (nb + 1); /* nb node sums, then the unreached weight */
        for (int b = 0; b <= nb; b++) r[b] = 0;
        for (int64_t c = 0; c < nf; c++) {
          for (int b = 0; b < nb; b++) col[b] = 0;
          epw_mc_pair(m, d, fi, feat + (size_t)fs[c] * EPW_MC_NFEAT, row, col, 1);
          if (isnan(col[0]))
            r[nb] += fsw[fs[c]];
          else
            for (int b = 0; b < nb; b++) r[b] += fsw[fs[c]] * col[b];
        }
        for (int b = 0; b <= nb; b++) r[b] *= fsw[i];
      }
    }
    free(row);
    free(col);
  }
  for (int b = 0; b < nb; b++) acc[b] = 0;
  *unreached = 0;
  for (int64_t a = 0; a < nf && !fail; a++) {
    for (int b = 0; b < nb; b++) acc[b] += racc[(size_t)a * (nb + 1) + b];
    *unreached += racc[(size_t)a * (nb + 1) + nb];
  }
  free(fs);
  free(racc);
  return fail ? AGAPE_ERR_NOMEM : AGAPE_OK;
}

static agape_err epw_mc_write_frmsf(const agape_material *m, const char *results_path, int64_t n, const double *k,
                                    const int *band, const double *xi, double sigma, int ntemps, const double *temps,
                                    const double *delta_meV, int64_t ld)
{
  const epw_src *d = SRC(m);
  static const double unit[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  int ng = 2 * d->mesh.nk[0];
  for (int a = 1; a < 3; a++) ng = ng > 2 * d->mesh.nk[a] ? ng : 2 * d->mesh.nk[a];
  if (ng < AGAPE_FRMSF_MODEL_GRID) ng = AGAPE_FRMSF_MODEL_GRID;
  return agape_frmsf_write_bands(results_path, ng, d->mesh.nb, d->have_bvec ? d->bvec : unit, epw_mc_bands_ctx,
                                 &d->mesh, n, k, band, xi, sigma, ntemps, temps, delta_meV, ld);
}

/* EPW's crystal.fmt (read by rank 0, broadcast) into m->crystal; none: nat = 0, or an error
 * when need (Monte-Carlo states unfold EPW's irreducible k with its symmetry). Collective. */
static agape_err epw_crystal(const agape_par *par, const agape_params *p, int need, agape_material *m)
{
  agape_crystal *cr = &m->crystal;
  agape_err err = AGAPE_OK;
  int32_t nat = 0;
  if (par->rank == 0) {
    err = agape_epw_crystal_read(p->epw_dir, cr);
    if (err == AGAPE_ERR_IO && need)
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s: no crystal.fmt beside or inside the folder: Monte-Carlo states need the crystal's "
                        "symmetry to unfold EPW's irreducible k points (EPW writes crystal.fmt in its run folder; or "
                        "[sampling] states = window)",
                        p->epw_dir);
    else if (err == AGAPE_ERR_IO)
      err = AGAPE_OK;
    nat = err ? 0 : cr->nat;
  }
  if ((err = agape_par_agree(par, err))) return err;
  agape_par_bcast(par, &nat, sizeof nat);
  if (nat == 0) return AGAPE_OK;
  if (par->rank != 0) {
    cr->nat = nat;
    cr->frac = malloc(sizeof(double) * 3 * nat);
    cr->ityp = malloc(sizeof(int) * nat);
    if (!cr->frac || !cr->ityp) err = AGAPE_ERR_NOMEM;
  }
  if ((err = agape_par_agree(par, err))) return err;
  agape_par_bcast(par, &cr->alat, sizeof cr->alat);
  agape_par_bcast(par, &cr->nelec, sizeof cr->nelec);
  agape_par_bcast(par, cr->at, sizeof cr->at);
  agape_par_bcast(par, cr->bg, sizeof cr->bg);
  agape_par_bcast(par, cr->frac, sizeof(double) * 3 * nat);
  agape_par_bcast(par, cr->ityp, sizeof(int) * nat);
  agape_par_bcast(par, cr->path, sizeof cr->path);
  return AGAPE_OK;
}

/* The Monte-Carlo form of the source: the meshes on the crystal of crystal.fmt (every rank
 * builds the same), and the members the sampling and assembly call. */
static agape_err epw_mc_setup(const agape_par *par, const agape_params *p, agape_material *m, epw_src *d)
{
  const agape_crystal *cr = &m->crystal;
  agape_err err = AGAPE_OK;
  if (d->e.nmodes > EPW_MC_MAXMODES)
    err = agape_error(AGAPE_ERR_FORMAT, "%s: %d phonon modes, more than %d", p->epw_dir, d->e.nmodes, EPW_MC_MAXMODES);
  /* rank 0 builds the meshes first (its errors are the messages), then the others, which
   * build the same from the same data */
  if (!err && par->rank == 0) err = agape_epw_mesh_create(&d->e, cr, &d->mesh);
  if (!(err = agape_par_agree(par, err)) && par->rank != 0) err = agape_epw_mesh_create(&d->e, cr, &d->mesh);
  err = agape_par_agree(par, err);
  if (!err && par->rank == 0) {
    printf("agape: %s: %d symmetry operations (with time reversal) unfold EPW's %d irreducible Fermi-shell k onto the "
           "%d x %d x %d mesh\n",
           cr->path, d->mesh.nop, d->e.nkfs, d->mesh.nk[0], d->mesh.nk[1], d->mesh.nk[2]);
    fflush(stdout);
  }
  if (err) return err;
  d->mc = 1;
  m->nbands = d->mesh.nb;
  m->bands = epw_mc_bands;
  m->mc_window = d->e.fsthick;
  m->nfeat = EPW_MC_NFEAT;
  m->features = epw_mc_features;
  m->pair_scratch = epw_mc_scratch;
  m->pair_row = epw_mc_row;
  m->pair_couplings = epw_mc_couplings;
  m->fs_weights = epw_mc_fs_weights;
  m->write_frmsf = epw_mc_write_frmsf;
  return AGAPE_OK;
}

static void epw_destroy(agape_material *m)
{
  epw_src *d = m->data;
  if (!d) return;
  agape_epw_destroy(&d->e);
  agape_epw_mesh_destroy(&d->mesh);
  free(d->ph_node);
  free(d->ph_share);
  free(d->k);
  free(d);
  m->data = NULL;
}

/* The phonon lines of the EPW data as EPW's Eliashberg solver sees them: the Fermi-surface
 * weight of every (q, mode), a = (1/N_F) sum wk w0g wq w0g' g2, the unsmeared lines' lambda,
 * and EPW's printed alpha^2F and phonon DOS (Gaussian lines of width degaussq on w_i = i dw,
 * dw = 1.1 max omega / nqstep) with their moments. */
static agape_err epw_lines(const agape_params *p, const agape_epw *e, agape_material *m)
{
  /* the lines: Fermi-surface weight of every (q, mode), a = (1/N_F) sum wk w0g wq w0g' g2 */
  int nph = e->totq * e->nmodes;
  m->omega = malloc(sizeof(double) * (nph ? nph : 1));
  m->a2f_w = calloc(nph ? nph : 1, sizeof(double));
  if (!m->omega || !m->a2f_w) return AGAPE_ERR_NOMEM;
  double wq = 1.0 / e->nqtotf;
  for (int s = 0; s < e->ns; s++) {
    double ws = e->s_wk[s] * e->s_w0g[s] * wq * AGAPE_EPW_G2_EV2 / e->dosef;
    for (int64_t j = e->row_ptr[s]; j < e->row_ptr[s + 1]; j++)
      m->a2f_w[e->ph[j]] += ws * e->s_w0g[e->col[j]] * e->g2[j];
  }
  m->nmodes = 0;
  double wmax = 0;
  for (int q = 0; q < nph; q++)
    if (e->wf[q] > wmax) wmax = e->wf[q];
  for (int q = 0; q < nph; q++) {
    if (!(m->a2f_w[q] > 0) || !(e->wf[q] > e->eps_acustic)) continue;
    m->omega[m->nmodes] = e->wf[q];
    m->a2f_w[m->nmodes] = m->a2f_w[q];
    m->nmodes++;
  }
  if (m->nmodes == 0)
    return agape_error(AGAPE_ERR_FORMAT, "%s: no electron-phonon coupling in the Fermi window", p->epw_dir);
  m->lambda_lines = agape_lambda_lines(m->nmodes, m->omega, m->a2f_w);
  m->dos0 = e->dosef;
  /* EPW's printed alpha^2F: w_i = i dw, dw = 1.1 max omega / nqstep, Gaussian lines */
  m->ncurve = p->nqstep;
  m->curve_dw = 1.1 * wmax / p->nqstep;
  double *w = malloc(sizeof(double) * m->ncurve), *one = malloc(sizeof(double) * (nph ? nph : 1));
  m->curve_a2f = malloc(sizeof(double) * m->ncurve);
  m->curve_phdos = malloc(sizeof(double) * m->ncurve);
  if (!w || !one || !m->curve_a2f || !m->curve_phdos) {
    free(w);
    free(one);
    return AGAPE_ERR_NOMEM;
  }
  for (int i = 0; i < m->ncurve; i++) w[i] = (i + 1) * m->curve_dw;
  double sq = p->degaussq_meV * 1e-3;
  eli_a2f_gauss(m->nmodes, m->omega, m->a2f_w, sq, m->ncurve, w, m->curve_a2f);
  for (int q = 0; q < nph; q++) one[q] = wq;
  eli_a2f_gauss(nph, e->wf, one, sq, m->ncurve, w, m->curve_phdos);
  free(w);
  free(one);
  eli_a2f_moments(m->ncurve, m->curve_dw, m->curve_a2f, &m->lambda, &m->omega_log, &m->omega_2);
  return AGAPE_OK;
}

agape_err agape_source_epw_create(const agape_par *par, const agape_params *p, double t0, agape_material *m)
{
  snprintf(m->name, sizeof m->name, "epw");
  if (par->rank == 0) {
    printf("agape: reading EPW data %s\n", p->epw_dir);
    fflush(stdout);
  }
  epw_src *d = calloc(1, sizeof *d);
  agape_err err = d ? AGAPE_OK : AGAPE_ERR_NOMEM;
  if (!err && par->rank == 0) err = agape_epw_read(p->epw_dir, p->eps_acustic_cm, &d->e);
  if ((err = agape_par_agree(par, err))) {
    free(d);
    return err;
  }
  if ((err = agape_epw_bcast(par, &d->e))) {
    free(d);
    return err;
  }
  m->data = d;
  m->destroy = epw_destroy;
  if ((err = epw_crystal(par, p, p->states == STATES_MONTECARLO, m))) return err;
  d->have_bvec = m->crystal.nat > 0;
  memcpy(d->bvec, m->crystal.bg, sizeof d->bvec);
  snprintf(d->dir, sizeof d->dir, "%s", p->epw_dir);
  /* the EPW prefix: the folder name without .ephmat */
  {
    const char *base = strrchr(p->epw_dir, '/');
    base = base ? base + 1 : p->epw_dir;
    snprintf(m->prefix, sizeof m->prefix, "%s", base);
    char *dot = strstr(m->prefix, ".ephmat");
    if (dot) *dot = '\0';
  }
  const agape_epw *e = &d->e;
  if (par->rank == 0) {
    printf("agape: EPW %s files: %d pool file(s); k mesh %d x %d x %d, %d irreducible k in the Fermi shell, "
           "%d bands; q mesh %d x %d x %d, %d q selected, %d modes\n",
           e->format == AGAPE_EPW_STREAM ? "stream (>= 5.8)" : "sequential (5.3-5.7)", e->npool, e->nkf[0], e->nkf[1],
           e->nkf[2], e->nkfs, e->nbndfst, e->nqf[0], e->nqf[1], e->nqf[2], e->totq, e->nmodes);
    printf("agape: E_F = %.6f eV, N(E_F) = %.6f states/spin/eV/cell, window +-%g eV, smearing %g eV: %d states, "
           "%lld couplings (%.1f s)\n",
           e->ef, e->dosef, e->fsthick, e->degaussw, e->ns, (long long)e->nnz, agape_par_wtime() - t0);
    fflush(stdout);
  }
  const int mc = p->states == STATES_MONTECARLO;
  const int coarse_q = e->nqf[0] != e->nkf[0] || e->nqf[1] != e->nkf[1] || e->nqf[2] != e->nkf[2];
  /* classes of the k mesh that k + q of a q-mesh point keeps apart */
  const int nclass = (e->nkf[0] / (e->nqf[0] ? e->nqf[0] : 1)) * (e->nkf[1] / (e->nqf[1] ? e->nqf[1] : 1)) *
    (e->nkf[2] / (e->nqf[2] ? e->nqf[2] : 1));
  if (p->method == SOLVER_ELIASHBERG && p->anisotropy == ELI_ANISO && !mc && coarse_q && par->rank == 0)
    /* the same class structure as for SCDFT (below): the gaps of the classes of the k mesh
     * are tied together only through EPW's smearing of the Fermi surface */
    agape_warning("%s: EPW's fine q mesh (%d x %d x %d) is coarser than its fine k mesh (%d x %d x %d): on these "
                  "window states each k couples only to the k + q of its own class of the k mesh (%d classes), "
                  "so the anisotropic gaps can split into class families that are not physical (a two-gap "
                  "structure and a higher Tc than anisotropy = iso on the same data). Use [sampling] states = "
                  "montecarlo (couplings interpolated between the meshes), compare with anisotropy = iso, or use "
                  "data with nqf1..3 = nkf1..3 (docs/epw.md)",
                  p->epw_dir, e->nqf[0], e->nqf[1], e->nqf[2], e->nkf[0], e->nkf[1], e->nkf[2], nclass);
  if (p->method == SOLVER_SCDFT && !mc && coarse_q) {
    /* with a coarser q mesh, k couples only to the k + q of its own class of the k mesh: the
     * classes are independent but for the Coulomb term, which is lowest when their gaps
     * alternate in sign; the FS-only Eliashberg equations (with their smearing) are spared.
     * Every rank sees it; rank 0 says it. */
    if (par->rank != 0) return AGAPE_ERR_FORMAT;
    return agape_error(
      AGAPE_ERR_FORMAT,
      "%s: [solver] method = scdft needs EPW's fine q mesh equal to its fine k "
      "mesh for EPW's window states (here k %d x %d x %d, q %d x %d x %d): with a coarser q mesh the k "
      "points couple only within %d classes (expected [sampling] states = montecarlo, which "
      "interpolates the couplings, or nqf1..3 = nkf1..3 in the EPW run)",
      p->epw_dir, e->nkf[0], e->nkf[1], e->nkf[2], e->nqf[0], e->nqf[1], e->nqf[2], nclass);
  }
  if ((err = epw_lines(p, e, m))) return err;
  /* the states and their couplings, for both theories */
  d->k = malloc(sizeof(double) * 3 * (size_t)(e->ns > 0 ? e->ns : 1));
  if (!d->k) return AGAPE_ERR_NOMEM;
  for (int s = 0; s < e->ns; s++) memcpy(d->k + 3 * s, e->xkfs + 3 * e->s_k[s], sizeof(double) * 3);
  m->own_count = epw_own_count;
  m->own_states = epw_own_states;
  m->write_frmsf = epw_write_frmsf;
  d->pairs = (agape_fs_pairs){.ns = e->ns,
                              .xi = e->s_xi,
                              .wk = e->s_wk,
                              .fsd = e->s_w0g,
                              .k = d->k,
                              .band = e->s_band,
                              .fs_width = e->degaussw,
                              .row_ptr = e->row_ptr,
                              .col = e->col,
                              .line = e->ph,
                              .g2 = e->g2,
                              .g2_unit = AGAPE_EPW_G2_EV2,
                              .wq = 1.0 / e->nqtotf,
                              .omega_line = e->wf};
  m->pairs = &d->pairs;
  m->mustar_row = epw_mustar_row;
  if (p->method != SOLVER_SCDFT && !mc) return AGAPE_OK;
  /* the couplings on frequency nodes; for SCDFT the energy grid carries the rest of the window */
  if ((err = epw_nodes(e, p->a2f_bins, m, d))) return err;
  if (mc) { /* Monte-Carlo states of the interpolated bands instead of the window states (both
             * theories: the Eliashberg stage takes its states and couplings from the sample) */
    m->own_count = NULL;
    m->own_states = NULL;
    m->pairs = NULL;
    m->mustar_row = NULL;
    return epw_mc_setup(par, p, m, d);
  }
  m->pair_scratch = epw_pair_scratch;
  m->pair_row = epw_pair_row;
  m->pair_couplings = epw_pair_couplings;
  m->fs_weights = epw_fs_weights;
  return AGAPE_OK;
}


/* ---- FermiSurfer files on EPW's full fine grid (frmsf.h for the format) ---------------- */

agape_err agape_epw_frmsf_grid(const agape_epw *e, const double *bvec, agape_frmsf_grid *g)
{
  memset(g, 0, sizeof *g);
  for (int d = 0; d < 3; d++) g->nk[d] = e->nkf[d];
  g->nbnd = e->nbndfst;
  g->bvec_from_file = bvec != NULL;
  for (int i = 0; i < 9; i++) g->bvec[i] = bvec ? bvec[i] : (i % 4 == 0) ? 1.0 : 0.0;
  agape_err err = agape_frmsf_grid_alloc(g);
  if (!err) err = agape_epw_full_bands(e, g->eig);
  if (err) {
    agape_frmsf_grid_free(g);
    return err;
  }
  /* a Fermi-shell band outside EPW's window is drawn outside it too, with its sign */
  const int nb = e->nbndfst;
  const int64_t full = agape_frmsf_npts(g);
  const double out = AGAPE_EPW_OUT_MARGIN * e->fsthick;
  for (int b = 0; b < nb; b++) {
    double *x = g->eig + (size_t)b * full;
    for (int64_t q = 0; q < full; q++) {
      int ik = e->ixkff[q] - 1;
      if (ik >= 0 && e->s_of[(size_t)ik * nb + b] < 0 && fabs(x[q]) < out) x[q] = x[q] < 0 ? -out : out;
    }
  }
  return AGAPE_OK;
}

void agape_epw_frmsf_values(const agape_epw *e, const double *delta_meV, agape_frmsf_grid *g)
{
  const int nb = e->nbndfst;
  const int64_t full = agape_frmsf_npts(g);
  for (int64_t q = 0; q < full; q++) {
    int ik = e->ixkff[q] - 1;
    for (int b = 0; b < nb; b++) {
      int s = ik >= 0 ? e->s_of[(size_t)ik * nb + b] : -1;
      g->val[(size_t)b * full + q] = s >= 0 ? delta_meV[s] : 0.0;
    }
  }
}

typedef struct {
  const agape_epw *e;
  const double *delta;
  int64_t ld;
} fs_epw_ctx;

static void fs_epw_fill(void *ctx, int it, agape_frmsf_grid *g)
{
  fs_epw_ctx *c = ctx;
  agape_epw_frmsf_values(c->e, c->delta + (size_t)it * c->ld, g);
}

agape_err agape_epw_frmsf_write(const char *results_path, const agape_epw *e, const double *bvec, const char *epw_dir,
                                int ntemps, const double *temps, const double *delta_meV, int64_t ld)
{
  if (ntemps < 1) return AGAPE_OK;
  agape_frmsf_grid g;
  agape_err err = agape_epw_frmsf_grid(e, bvec, &g);
  if (err) return err;
  fs_epw_ctx c = {e, delta_meV, ld};
  char dir[AGAPE_PATH_MAX];
  err = agape_frmsf_write_temps(results_path, &g, ntemps, temps, fs_epw_fill, &c, dir, sizeof dir);
  if (!err) {
    char names[128];
    agape_frmsf_names(ntemps, temps, names, sizeof names);
    printf("agape: wrote %d FermiSurfer file(s) %s to %s (EPW grid %d x %d x %d, %d band(s), gap Delta_nk in meV)\n",
           ntemps, names, dir, g.nk[0], g.nk[1], g.nk[2], g.nbnd);
    if (!g.bvec_from_file)
      printf("agape: note: no crystal.fmt beside %s: the FermiSurfer files carry the identity as reciprocal "
             "vectors (the Brillouin zone is drawn as a cube)\n",
             epw_dir ? epw_dir : "the EPW folder");
  }
  agape_frmsf_grid_free(&g);
  fflush(stdout);
  return err;
}
