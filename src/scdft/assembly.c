/* Assembly stage (see include/agape/assembly.h). Threads split the local rows (owner
 * computes: each thread writes only its own rows of K and its own Z partial sums), so
 * the result does not depend on the thread count. */
#include "agape/assembly.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "agape/units.h"
#include "agape/formulas.h"
#include <omp.h>
#include "agape/stop.h"

#define CH 256 /* columns per chunk */

/* Fill the coupling array A (nmodes x nc, lda = CH) for row i and columns j[0..nc): the
 * source's pair couplings between states with k, the Fermi-surface average a2f_w/N(0) of the
 * sample when either state is on the energy grid or the source's data do not reach the pair
 * (NaN from the source); tmp: nmodes x CH scratch; scratch: the source's row scratch
 * (prepared by pair_row). */
static void pair_couplings(const agape_states *st, const agape_material *m, const agape_coupling *cp, int64_t i, int nc,
                           const int64_t *j, double *A, double *tmp, const double *scratch)
{
  int c0 = 0;
  if (i < st->n_mc && m->pair_couplings) {
    while (c0 < nc && j[c0] < st->n_mc) c0++; /* columns are increasing */
    if (c0 > 0) m->pair_couplings(m, st->feat, i, c0, j, A, CH, tmp, scratch);
    for (int c = 0; c < c0; c++)
      if (isnan(A[c]))
        for (int b = 0; b < cp->nmodes; b++) A[(size_t)b * CH + c] = cp->a2f_w[b] / cp->dos0;
  }
  for (int b = 0; b < cp->nmodes; b++) {
    double a = cp->a2f_w[b] / cp->dos0;
    for (int c = c0; c < nc; c++) A[(size_t)b * CH + c] = a;
  }
}

void agape_coupling_destroy(agape_coupling *cp)
{
  free(cp->a2f_w);
  memset(cp, 0, sizeof *cp);
}

agape_err agape_assembly_couplings(const agape_par *par, const agape_states *st, const agape_material *m,
                                   agape_coupling *cp)
{
  memset(cp, 0, sizeof *cp);
  const int nm = m->nmodes;
  cp->nmodes = nm;
  cp->omega = m->omega;
  cp->a2f_w = calloc(nm > 0 ? nm : 1, sizeof(double));
  agape_err err = cp->a2f_w ? AGAPE_OK : AGAPE_ERR_NOMEM;
  if (!err && !m->fs_weights) { /* the source's own Fermi-surface spectrum */
    for (int b = 0; b < nm; b++) cp->a2f_w[b] = m->a2f_w[b];
    cp->dos0 = m->dos0;
    cp->lambda = m->lambda;
    cp->omega_log = m->omega_log;
    return agape_par_agree(par, err);
  }
  /* the sample's: a_b = (1/N(0)) sum_ss' fsw_s fsw_s' A_ss'b, N(0) of the sample */
  double unr = 0;
  if (!err) err = m->fs_weights(m, st->n_mc, st->feat, st->fsw, cp->a2f_w, &unr);
  if ((err = agape_par_agree(par, err))) return err;
  cp->dos0 = st->dos0;
  /* the pairs the data do not reach carry the average of those they do */
  cp->unreached = unr / (cp->dos0 * cp->dos0);
  if (!(cp->unreached < 1)) {
    if (par->rank == 0)
      agape_error(AGAPE_ERR_NUMERIC, "the %s data reach none of the sample's Fermi-surface pairs", m->name);
    return AGAPE_ERR_NUMERIC;
  }
  double lg = 0;
  for (int b = 0; b < nm; b++) {
    cp->a2f_w[b] = cp->a2f_w[b] / (cp->dos0 * (1 - cp->unreached));
    lg += 2 * cp->a2f_w[b] / m->omega[b] * log(m->omega[b]);
  }
  cp->lambda = agape_lambda_lines(nm, m->omega, cp->a2f_w);
  cp->omega_log = cp->lambda > 0 ? exp(lg / cp->lambda) : 0;
  return AGAPE_OK;
}

/* N(0) of the states and the source's own N(E_F): a larger relative difference is warned */
#define AGAPE_DOS_AGREE 0.05
/* a larger share of the Fermi-surface pair weight beyond the data's reach is warned */
#define AGAPE_UNREACHED_WARN 0.01

void agape_assembly_report(const agape_par *par, const agape_states *st, const agape_material *m,
                           const agape_coupling *cp)
{
  if (!m->fs_weights || !(m->dos0 > 0) || m->nmodes < 1 || par->rank != 0) return;
  printf("agape: %s couplings on %d frequency nodes %.3f-%.3f meV (lambda of every pair kept); "
         "N(0) of the states %.6f (%s: %.6f) states/eV/spin/cell\n",
         m->name, m->nmodes, m->omega[0] * 1e3, m->omega[m->nmodes - 1] * 1e3, st->dos0, m->name, m->dos0);
  if (m->lambda > 0) printf("agape: lambda of the states %.4f (%s: %.4f)\n", cp->lambda, m->name, m->lambda);
  if (cp->unreached > 0)
    printf("agape: %.3g %% of the Fermi-surface pair weight lies where the %s data end (no mesh corner inside its "
           "window): those pairs take the average coupling of the others\n",
           100 * cp->unreached, m->name);
  if (cp->unreached > AGAPE_UNREACHED_WARN)
    agape_warning("%.1f %% of the Fermi-surface pairs are beyond the reach of the %s data and carry the average "
                  "coupling: the anisotropy of the gap is not resolved there (a steep band on a coarse k mesh with "
                  "a thin window; a wider window (EPW's fsthick) covers them; docs/epw.md)",
                  100 * cp->unreached, m->name);
  /* every solver of this run uses the states' N(0) and lambda; a source whose own N(E_F)
   * differs says so (a coarse grid with a wide smearing, or states that miss E_F) */
  if (fabs(st->dos0 - m->dos0) > AGAPE_DOS_AGREE * m->dos0)
    agape_warning("N(0) of the states, %.6f states/eV/spin/cell, differs from the %s data's own N(E_F), %.6f, by "
                  "%.1f %%: the run uses the states' value (N(0), lambda, mu = N(0) W); see docs/epw.md, "
                  "\"One normalisation\"",
                  st->dos0, m->name, m->dos0, 100 * (st->dos0 / m->dos0 - 1));
  fflush(stdout);
}

void agape_assembly_fs_spectrum(const agape_coupling *cp, agape_fs_data *fs)
{
  double w2 = 0;
  for (int b = 0; b < cp->nmodes; b++) w2 += cp->a2f_w[b] * cp->omega[b];
  *fs = (agape_fs_data){.nmodes = cp->nmodes,
                        .omega = cp->omega,
                        .a2f_w = cp->a2f_w,
                        .dos0 = cp->dos0,
                        .lambda = cp->lambda,
                        .omega_log = cp->omega_log,
                        .omega_2 = cp->lambda > 0 ? sqrt(2 * w2 / cp->lambda) : 0,
                        .lambda_lines = cp->lambda};
}

void agape_fs_sample_destroy(agape_fs_sample *f)
{
  free(f->xi);
  free(f->wk);
  free(f->fsd);
  free(f->k);
  free(f->band);
  free(f->row_ptr);
  free(f->col);
  free(f->line);
  free(f->g2);
  memset(f, 0, sizeof *f);
}

/* one row's nonzero couplings (column, node, eV^2), owned by the thread that built it */
typedef struct {
  int64_t n;
  int32_t *col, *line;
  double *g2;
} fs_row;

/* append one entry to R (capacity *cap, doubled when full); nonzero when out of memory */
static int fs_row_push(fs_row *R, size_t *cap, int32_t col, int32_t line, double g2)
{
  if ((size_t)R->n == *cap) {
    size_t nc = *cap ? 2 * *cap : 1024;
    int32_t *c = realloc(R->col, sizeof(int32_t) * nc);
    if (c) R->col = c;
    int32_t *l = c ? realloc(R->line, sizeof(int32_t) * nc) : NULL;
    if (l) R->line = l;
    double *g = l ? realloc(R->g2, sizeof(double) * nc) : NULL;
    if (!g) return 1;
    R->g2 = g;
    *cap = nc;
  }
  R->col[R->n] = col;
  R->line[R->n] = line;
  R->g2[R->n] = g2;
  R->n++;
  return 0;
}

agape_err agape_assembly_fs_sample(const agape_par *par, const agape_states *st, const agape_material *m,
                                   const agape_coupling *cp, double fs_width, agape_fs_sample *f)
{
  memset(f, 0, sizeof *f);
  const int nm = m->nmodes;
  agape_err err = AGAPE_OK;
  int64_t ns = 0;
  for (int64_t i = 0; i < st->n_mc; i++) ns += st->fsw[i] != 0;
  if (!m->pair_couplings || ns < 1 || ns > INT32_MAX)
    err = agape_error(AGAPE_ERR_INTERNAL, "Fermi-surface states of the sample: %lld states, couplings %s",
                      (long long)ns, m->pair_couplings ? "given" : "missing");
  int64_t *idx = err ? NULL : malloc(sizeof(int64_t) * (size_t)ns);
  f->xi = malloc(sizeof(double) * (size_t)(ns + 1));
  f->wk = malloc(sizeof(double) * (size_t)(ns + 1));
  f->fsd = malloc(sizeof(double) * (size_t)(ns + 1));
  f->k = malloc(sizeof(double) * 3 * (size_t)(ns + 1));
  f->band = malloc(sizeof(int) * (size_t)(ns + 1));
  f->row_ptr = calloc((size_t)ns + 1, sizeof(int64_t));
  if (!err && (!idx || !f->xi || !f->wk || !f->fsd || !f->k || !f->band || !f->row_ptr)) err = AGAPE_ERR_NOMEM;
  int64_t lo = 0, hi = 0;
  fs_row *rows = NULL;
  if (!err) {
    int64_t a = 0;
    for (int64_t i = 0; i < st->n_mc; i++)
      if (st->fsw[i] != 0) {
        idx[a] = i;
        f->xi[a] = st->xi[i];
        f->wk[a] = st->w[i];
        f->fsd[a] = st->fsw[i] / st->w[i];
        memcpy(f->k + 3 * a, st->k + 3 * i, sizeof(double) * 3);
        f->band[a] = st->band[i];
        a++;
      }
    agape_par_rows(par, ns, par->rank, &lo, &hi);
    rows = calloc((size_t)(hi - lo) + 1, sizeof(fs_row));
    if (!rows) err = AGAPE_ERR_NOMEM;
  }
  int fail = 0;
#pragma omp parallel reduction(| : fail) if (!err)
  {
    const size_t nscr = m->pair_scratch ? m->pair_scratch(m, st->n_mc) : 0;
    double *scr = nscr ? calloc(nscr, sizeof(double)) : NULL;
    double *A = malloc(sizeof(double) * (size_t)nm * CH), *tmp = malloc(sizeof(double) * (size_t)nm * CH);
    if (err || !A || !tmp || (nscr && !scr))
      fail = !err;
    else {
#pragma omp for schedule(dynamic, 1)
      for (int64_t r = lo; r < hi; r++) {
        fs_row *R = rows + (r - lo);
        const int64_t i = idx[r];
        size_t cap = 0;
        if (fail) continue;
        if (scr) m->pair_row(m, st->feat, i, scr, 1);
        for (int64_t c0 = 0; c0 < ns && !fail; c0 += CH) {
          const int nc = (int)(ns - c0 < CH ? ns - c0 : CH);
          pair_couplings(st, m, cp, i, nc, idx + c0, A, tmp, scr);
          for (int c = 0; c < nc; c++)
            for (int b = 0; b < nm; b++) {
              const double g = A[(size_t)b * CH + c];
              if (g == 0) continue;
              if (fs_row_push(R, &cap, (int32_t)(c0 + c), b, g)) {
                fail = 1;
                break;
              }
            }
        }
        if (scr) m->pair_row(m, st->feat, i, scr, 0);
      }
    }
    free(scr);
    free(A);
    free(tmp);
  }
  if (fail) err = AGAPE_ERR_NOMEM;
  if (!err) { /* the rows in order: CSR */
    for (int64_t r = 0; r < ns; r++) f->row_ptr[r + 1] = f->row_ptr[r] + (r >= lo && r < hi ? rows[r - lo].n : 0);
    const int64_t nnz = f->row_ptr[ns];
    f->col = malloc(sizeof(int32_t) * (size_t)(nnz + 1));
    f->line = malloc(sizeof(int32_t) * (size_t)(nnz + 1));
    f->g2 = malloc(sizeof(double) * (size_t)(nnz + 1));
    if (!f->col || !f->line || !f->g2)
      err = AGAPE_ERR_NOMEM;
    else
      for (int64_t r = lo; r < hi; r++) {
        const fs_row *R = rows + (r - lo);
        memcpy(f->col + f->row_ptr[r], R->col, sizeof(int32_t) * (size_t)R->n);
        memcpy(f->line + f->row_ptr[r], R->line, sizeof(int32_t) * (size_t)R->n);
        memcpy(f->g2 + f->row_ptr[r], R->g2, sizeof(double) * (size_t)R->n);
      }
  }
  for (int64_t r = lo; rows && r < hi; r++) {
    free(rows[r - lo].col);
    free(rows[r - lo].line);
    free(rows[r - lo].g2);
  }
  free(rows);
  free(idx);
  if ((err = agape_par_agree(par, err))) {
    agape_fs_sample_destroy(f);
    return err;
  }
  f->pairs = (agape_fs_pairs){.ns = (int)ns,
                              .xi = f->xi,
                              .wk = f->wk,
                              .fsd = f->fsd,
                              .k = f->k,
                              .band = f->band,
                              .fs_width = fs_width,
                              .row_ptr = f->row_ptr,
                              .col = f->col,
                              .line = f->line,
                              .g2 = f->g2,
                              .g2_unit = 1.0,
                              .wq = 1.0,
                              .omega_line = m->omega,
                              .col_wk = 1};
  agape_assembly_fs_spectrum(cp, &f->fs);
  f->fs.pairs = &f->pairs;
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
                               const agape_material *m, const agape_coupling *cp, double T, kern_functional fun,
                               kern_spg_gammas gam, const double *xi_col, int interp, float *K, double *z)
{
  const int64_t n = st->n;
  if (z) memset(z, 0, sizeof(double) * n);

  if (m->fixed_kernel) { /* the source's own kernel: fixed_v inside the cut-off, Z = 0 */
    if (K) {
#pragma omp parallel for schedule(static)
      for (int64_t li = 0; li < d->mloc; li++) {
        int64_t i = d->grow[li];
        int in_i = fabs(st->xi[i]) < m->fixed_cut;
        for (int64_t lc = 0; lc < d->nloc; lc++) {
          int64_t j = d->gcol[lc];
          K[li * d->nloc + lc] = (in_i && fabs(st->xi[j]) < m->fixed_cut) ? (float)m->fixed_v : 0.0f;
        }
      }
    }
    return AGAPE_OK; /* Z = 0 */
  }

  const double beta = agape_beta(T);
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
    /* the source's per-thread row scratch (EPW: a dense coupling row, cleared after each row) */
    const size_t nscr = m->pair_scratch ? m->pair_scratch(m, st->n_mc) : 0;
    double *erow = nscr ? calloc(nscr, sizeof(double)) : NULL;
    /* interp: the row on the grid nodes, 64-byte aligned so that every panel of
     * KERN_CI_NP = 8 nodes is one cache line */
    const size_t tb = ((sizeof(double) * (size_t)nm * nn + 63) / 64) * 64;
    double *TK = e.interp ? aligned_alloc(64, tb) : NULL, *TZ = e.interp ? aligned_alloc(64, tb) : NULL;
    int64_t *jn = e.interp ? malloc(sizeof(int64_t) * (size_t)nn) : NULL;
    if (err || !A || !tmp || !out || !wc || (e.interp && (!TK || !TZ || !jn)) || (nscr && !erow))
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
        if (er) m->pair_row(m, st->feat, i, erow, 1);
        for (int64_t lc0 = 0; lc0 < d->nloc; lc0 += CH) {
          int nc = (int)((d->nloc - lc0) < CH ? (d->nloc - lc0) : CH);
          const int64_t *j = d->gcol + lc0;
          pair_couplings(st, m, cp, i, nc, j, A, tmp, er);
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
        if (er) m->pair_row(m, st->feat, i, erow, 0);
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
