/* Assembly stage (see include/agape/assembly.h). Threads split the local rows (owner
 * computes: each thread writes only its own rows of K and its own Z partial sums), so
 * the result does not depend on the thread count. */
#include "agape/assembly.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "agape/units.h"
#include <omp.h>
#include "agape/stop.h"
#include "agape/epw.h"

#define CH 256 /* columns per chunk */

/* EPW data: add the coupling c of phonon ph (eV^2) to the frequency-node row r (nmodes) on its
 * two nodes (material.h); a phonon without coupling adds nothing. */
static void epw_node_add(const agape_material *m, int32_t ph, double c, double *r)
{
  int b = m->ph_node[ph];
  if (b < 0) return;
  double f = m->ph_share[ph];
  r[b] += c * f;
  if (b + 1 < m->nmodes) r[b + 1] += c * (1 - f);
}

/* EPW data: add sign x the couplings of row state i to the dense row erow (n_mc x nmodes):
 * K_ss' = sum over the phonons (q, nu) with rep(k+q) = s' of w_q |g|^2 / w_s' (eV^2) on the
 * two frequency nodes of each phonon (material.h), so that sum_s' w_s' K_ss' is EPW's sum
 * over q with weight w_q. sign = 0 clears the entries instead. */
static void epw_row(const agape_material *m, int64_t i, double *erow, int sign)
{
  const agape_epw *e = m->epw;
  const int nm = m->nmodes;
  const double wq = AGAPE_EPW_G2_EV2 / e->nqtotf;
  for (int64_t x = e->row_ptr[i]; x < e->row_ptr[i + 1]; x++) {
    double *r = erow + (size_t)e->col[x] * nm;
    int b = m->ph_node[e->ph[x]];
    if (!sign) {
      if (b >= 0) {
        r[b] = 0;
        if (b + 1 < nm) r[b + 1] = 0;
      }
    } else
      epw_node_add(m, e->ph[x], wq * e->g2[x] / e->s_wk[e->col[x]], r);
  }
}

/* Fill the coupling array A (nmodes x nc, lda = CH) for row i and columns j[0..nc);
 * tmp is scratch of nmodes x CH doubles; erow: EPW data, the row filled by epw_row. */
static void pair_couplings(const agape_states *st, const agape_material *m, int64_t i, int nc, const int64_t *j,
                           double *A, double *tmp, const double *erow)
{
  int c0 = 0;
  if (i < st->n_mc) {
    while (c0 < nc && j[c0] < st->n_mc) c0++; /* columns are increasing */
    if (c0 > 0 && erow) {
      const int nm = m->nmodes;
      for (int c = 0; c < c0; c++)
        for (int b = 0; b < nm; b++) A[(size_t)b * CH + c] = erow[(size_t)j[c] * nm + b];
    } else if (c0 > 0) {
      xb12_g2_row(m->model, st->feat, i, c0, j, tmp);
      for (int b = 0; b < m->nmodes; b++) memcpy(A + (size_t)b * CH, tmp + (size_t)b * c0, sizeof(double) * c0);
    }
  }
  for (int b = 0; b < m->nmodes; b++) {
    double a = m->a2f_w[b] / m->dos0;
    for (int c = c0; c < nc; c++) A[(size_t)b * CH + c] = a;
  }
}

/* EPW data: the Fermi-surface node weights of the sample, a_b = (1/N(0)) sum_ss' fsw_s fsw_s'
 * K_ss'b with the pair couplings of epw_row. Every rank sums all rows in one fixed order
 * (O(couplings)), so the weights are the same bits for any rank and thread count. */
static void epw_fs_weights(const agape_states *st, agape_material *m)
{
  const agape_epw *e = m->epw;
  const int nm = m->nmodes;
  const double wq = AGAPE_EPW_G2_EV2 / e->nqtotf;
  for (int b = 0; b < nm; b++) m->a2f_w[b] = 0;
  for (int64_t i = 0; i < st->n_mc; i++)
    for (int64_t x = e->row_ptr[i]; x < e->row_ptr[i + 1]; x++) {
      int32_t j = e->col[x];
      epw_node_add(m, e->ph[x], st->fsw[i] * st->fsw[j] * wq * e->g2[x] / e->s_wk[j], m->a2f_w);
    }
}

agape_err agape_assembly_couplings(const agape_par *par, const agape_dist *d, const agape_states *st, agape_material *m)
{
  if (m->kind == MATK_EPW && m->ph_node) {
    epw_fs_weights(st, m);
    m->dos0 = st->dos0;
    double lam = 0, lg = 0;
    for (int b = 0; b < m->nmodes; b++) {
      m->a2f_w[b] /= m->dos0;
      lam += 2 * m->a2f_w[b] / m->omega[b];
      lg += 2 * m->a2f_w[b] / m->omega[b] * log(m->omega[b]);
    }
    m->lambda = lam;
    m->omega_log = lam > 0 ? exp(lg / lam) : 0;
    return AGAPE_OK;
  }
  if (m->kind != MATK_MODEL) return AGAPE_OK;
  const int nm = m->nmodes;
  /* sum_ss' fsw_s fsw_s' |g^b_ss'|^2 over the Monte-Carlo states, through the model's separable
   * form (xb12_sep_*): = sum_e coef_e S_r S_r' with S_r = sum_s fsw_s phi_r(s), O(N nfun)
   * instead of O(N_FS^2). Blocks of FSB states are summed by threads and then in block order,
   * and every rank does the whole sum: the same bits for any rank and thread count. */
  enum { FSB = 512 };
  const int nfun = xb12_sep_nfun(m->model), nent = xb12_sep_nent(m->model);
  const int64_t nblk = (st->n_mc + FSB - 1) / FSB;
  double *acc = calloc(nm, sizeof(double)), *S = calloc(nfun, sizeof(double));
  double *part = calloc((size_t)(nblk > 0 ? nblk : 1) * nfun, sizeof(double)), *cf = malloc(sizeof(double) * nent);
  int *emode = malloc(sizeof(int) * nent), *er = malloc(sizeof(int) * nent), *erp = malloc(sizeof(int) * nent);
  int fail = !acc || !S || !part || !cf || !emode || !er || !erp;
  if (!fail) {
    xb12_sep_entries(m->model, emode, er, erp, cf);
#pragma omp parallel reduction(| : fail)
    {
      double *phi = malloc(sizeof(double) * nfun);
      if (!phi)
        fail = 1;
      else {
#pragma omp for schedule(dynamic, 1)
        for (int64_t k = 0; k < nblk; k++) {
          double *pk = part + (size_t)k * nfun;
          for (int64_t i = k * FSB; i < (k + 1) * FSB && i < st->n_mc; i++) {
            if (st->fsw[i] == 0) continue;
            xb12_sep_phi(m->model, st->feat + (size_t)i * st->nfeat, phi);
            for (int r = 0; r < nfun; r++) pk[r] += st->fsw[i] * phi[r];
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
  if ((fail = agape_par_agree(par, fail ? AGAPE_ERR_NOMEM : AGAPE_OK))) {
    free(acc);
    return AGAPE_ERR_NOMEM;
  }
  m->dos0 = st->dos0;
  double lam = 0, lg = 0;
  for (int b = 0; b < nm; b++) {
    m->a2f_w[b] = acc[b] / m->dos0;
    lam += 2 * m->a2f_w[b] / m->omega[b];
    lg += 2 * m->a2f_w[b] / m->omega[b] * log(m->omega[b]);
  }
  m->lambda = lam;
  m->omega_log = lam > 0 ? exp(lg / lam) : 0;
  free(acc);
  return AGAPE_OK;
}

/* How the pair kernels of one build are evaluated: either the closed forms through tables
 * over all columns (tk for K, tz for Z), or (interp) each own row tabulated on the nodes of a
 * column-energy grid (tn) and interpolated per pair with the column data offk/Lk, offz/Lz
 * (kernels.h, column interpolation). */
typedef struct {
  int interp;
  kern_tab *tk, *tz;    /* exact: K and Z tables (tz may equal tk) */
  kern_cgrid *cg;       /* interp: the column-energy grid */
  kern_tab *tn;         /* interp: own rows against the grid nodes */
  int nn;               /* interp: number of nodes */
  int32_t *offk, *offz; /* interp: [n] node offsets of K and Z columns (offz may equal offk) */
  double *Lk, *Lz;      /* interp: [n * KERN_CI_NP] Lagrange weights */
} build_eval;

static void build_eval_free(build_eval *e)
{
  if (e->tz && e->tz != e->tk) kern_tab_destroy(&e->tz);
  kern_tab_destroy(&e->tk);
  if (e->offz != e->offk) {
    free(e->offz);
    free(e->Lz);
  }
  free(e->offk);
  free(e->Lk);
  kern_tab_destroy(&e->tn);
  kern_cgrid_destroy(&e->cg);
}

/* Set up e for one build. xk: column energies of K (xi or E^gamma); Z always uses xi. */
static agape_err build_eval_init(build_eval *e, int interp, const agape_dist *d, const agape_states *st,
                                 const agape_material *m, double beta, kern_functional fun, kern_spg_gammas gam,
                                 const double *xk, int want_K, int want_z)
{
  const int64_t n = st->n;
  const int nm = m->nmodes;
  memset(e, 0, sizeof *e);
  e->interp = interp;
  if (!interp) {
    /* per-row table data only for this rank's rows */
    if (want_K && kern_tab_create_rows(fun, beta, n, st->xi, xk, nm, m->omega, gam, d->mloc, d->grow, &e->tk) != 0)
      return AGAPE_ERR_NOMEM;
    if (want_z) {
      if (want_K && xk == st->xi)
        e->tz = e->tk;
      else if (kern_tab_create_rows(fun, beta, n, st->xi, st->xi, nm, m->omega, gam, d->mloc, d->grow, &e->tz) != 0)
        return AGAPE_ERR_NOMEM;
    }
    return AGAPE_OK;
  }
  double umax = 0, omin = INFINITY;
  for (int64_t s = 0; s < n; s++) umax = fmax(umax, fmax(fabs(st->xi[s]), fabs(xk[s])));
  for (int b = 0; b < nm; b++) omin = fmin(omin, m->omega[b]);
  e->offk = malloc(sizeof(int32_t) * (size_t)n);
  e->Lk = malloc(sizeof(double) * (size_t)n * KERN_CI_NP);
  if (!e->offk || !e->Lk || kern_cgrid_create(beta, omin, umax, &e->cg) != 0) return AGAPE_ERR_NOMEM;
  e->nn = kern_cgrid_nnodes(e->cg);
  if (kern_cgrid_locate(e->cg, n, xk, e->offk, e->Lk) != 0)
    return agape_error(AGAPE_ERR_NUMERIC, "column energy outside the interpolation grid");
  e->offz = e->offk;
  e->Lz = e->Lk;
  if (want_z && xk != st->xi) {
    e->offz = malloc(sizeof(int32_t) * (size_t)n);
    e->Lz = malloc(sizeof(double) * (size_t)n * KERN_CI_NP);
    if (!e->offz || !e->Lz) return AGAPE_ERR_NOMEM;
    (void)kern_cgrid_locate(e->cg, n, st->xi, e->offz, e->Lz);
  }
  if (kern_tab_create_rc(fun, beta, n, st->xi, e->nn, kern_cgrid_nodes(e->cg), nm, m->omega, gam, d->mloc, d->grow,
                         &e->tn) != 0)
    return AGAPE_ERR_NOMEM;
  return AGAPE_OK;
}

agape_err agape_assembly_build(const agape_par *par, const agape_dist *d, const agape_states *st,
                               const agape_material *m, double T, kern_functional fun, kern_spg_gammas gam,
                               const double *xi_col, int interp, float *K, double *z)
{
  const int64_t n = st->n;
  if (z) memset(z, 0, sizeof(double) * n);

  if (m->kind == MATK_SQUARE_WELL) {
    if (K) {
#pragma omp parallel for schedule(static)
      for (int64_t li = 0; li < d->mloc; li++) {
        int64_t i = d->grow[li];
        int in_i = fabs(st->xi[i]) < m->sw_omega_D;
        for (int64_t lc = 0; lc < d->nloc; lc++) {
          int64_t j = d->gcol[lc];
          K[li * d->nloc + lc] = (in_i && fabs(st->xi[j]) < m->sw_omega_D) ? (float)(-m->sw_v) : 0.0f;
        }
      }
    }
    return AGAPE_OK; /* Z = 0 */
  }

  const double beta = T > 0 ? 1.0 / (AGAPE_K_B * T) : INFINITY;
  const int nm = m->nmodes;
  const double *xk = xi_col ? xi_col : st->xi;
  build_eval e;
  agape_err err = build_eval_init(&e, interp && nm > 0, d, st, m, beta, fun, gam, xk, K != NULL, z != NULL);
  const int nn = e.nn;
  int fail = 0;
#pragma omp parallel reduction(| : fail) if (!err)
  {
    double *A = malloc(sizeof(double) * (size_t)nm * CH);
    double *tmp = malloc(sizeof(double) * (size_t)nm * CH);
    double *out = malloc(sizeof(double) * CH), *wc = malloc(sizeof(double) * CH);
    /* EPW data: this thread's dense coupling row, cleared again after each row */
    double *erow = m->kind == MATK_EPW ? calloc((size_t)(st->n_mc > 0 ? st->n_mc : 1) * nm, sizeof(double)) : NULL;
    /* interp: the row on the grid nodes, 64-byte aligned so that every panel of
     * KERN_CI_NP = 8 nodes is one cache line */
    const size_t tb = ((sizeof(double) * (size_t)nm * nn + 63) / 64) * 64;
    double *TK = e.interp ? aligned_alloc(64, tb) : NULL, *TZ = e.interp ? aligned_alloc(64, tb) : NULL;
    int64_t *jn = e.interp ? malloc(sizeof(int64_t) * (size_t)nn) : NULL;
    if (err || !A || !tmp || !out || !wc || (e.interp && (!TK || !TZ || !jn)) || (m->kind == MATK_EPW && !erow))
      fail = !err;
    else {
      for (int q = 0; q < nn; q++) jn[q] = q;
#pragma omp for schedule(dynamic, 2)
      for (int64_t li = 0; li < d->mloc; li++) {
        agape_stop_fault("kernel_row");
        if (agape_stop_pending()) continue; /* a stop request: the build is abandoned */
        int64_t i = d->grow[li];
        if (e.interp && K) kern_K_row_modes(e.tn, i, nn, jn, TK, nn);
        if (e.interp && z) kern_Z_row_modes(e.tn, i, nn, jn, TZ, nn);
        double zi = 0;
        const double *er = erow && i < st->n_mc ? erow : NULL;
        if (er) epw_row(m, i, erow, 1);
        for (int64_t lc0 = 0; lc0 < d->nloc; lc0 += CH) {
          int nc = (int)((d->nloc - lc0) < CH ? (d->nloc - lc0) : CH);
          const int64_t *j = d->gcol + lc0;
          pair_couplings(st, m, i, nc, j, A, tmp, er);
          if (K) {
            if (e.interp)
              kern_ci_K_row(nm, TK, nn, e.offk, e.Lk, nc, j, A, CH, out);
            else
              kern_K_row(e.tk, i, nc, j, A, CH, out);
            float *row = K + li * d->nloc + lc0;
            for (int c = 0; c < nc; c++) row[c] = (float)out[c];
          }
          if (z) {
            for (int c = 0; c < nc; c++) wc[c] = st->w[j[c]];
            zi -= e.interp ? kern_ci_Z_row(nm, TZ, nn, e.offz, e.Lz, nc, j, A, CH, wc)
                           : kern_Z_row(e.tz, i, nc, j, A, CH, wc);
          }
        }
        if (z) z[i] = zi;
        if (er) epw_row(m, i, erow, 0);
      }
    }
    free(A);
    free(tmp);
    free(out);
    free(wc);
    free(TK);
    free(TZ);
    free(jn);
    free(erow);
  }
  if (fail) err = AGAPE_ERR_NOMEM;
  build_eval_free(&e);
  err = agape_par_agree(par, err);
  if (!err && agape_stop_agreed(par)) err = AGAPE_STOPPED; /* every rank skipped or finished */
  if (!err && z) agape_par_sum(par, z, n);
  return err;
}
