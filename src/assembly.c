/* Assembly stage (see include/agape/assembly.h). Threads split the local rows (owner
 * computes: each thread writes only its own rows of K and its own Z partial sums), so
 * the result does not depend on the thread count. */
#include "agape/assembly.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "agape/units.h"
#include <omp.h>

#define CH 256                   /* columns per chunk */

/* Fill the coupling array A (nmodes x nc, lda = CH) for row i and columns j[0..nc);
 * tmp is scratch of nmodes x CH doubles. */
static void pair_couplings(const agape_states *st, const agape_material *m, int64_t i,
                           int nc, const int64_t *j, double *A, double *tmp)
{
  int c0 = 0;
  if (i < st->n_mc) {
    while (c0 < nc && j[c0] < st->n_mc) c0++;      /* columns are increasing */
    if (c0 > 0) {
      xb12_g2_row(m->model, st->feat, i, c0, j, tmp);
      for (int b = 0; b < m->nmodes; b++)
        memcpy(A + (size_t)b * CH, tmp + (size_t)b * c0, sizeof(double) * c0);
    }
  }
  for (int b = 0; b < m->nmodes; b++) {
    double a = m->a2f_w[b] / m->dos0;
    for (int c = c0; c < nc; c++) A[(size_t)b * CH + c] = a;
  }
}

agape_err agape_assembly_couplings(const agape_par *par, const agape_dist *d,
                                   const agape_states *st, agape_material *m)
{
  if (m->kind != MATK_MODEL) return AGAPE_OK;
  const int nm = m->nmodes;
  /* per-row partial sums, added in row order afterwards: the result does not depend on the
   * thread count or on which thread ran which row */
  double *acc = calloc(nm, sizeof(double)), *racc = calloc((size_t)(d->mloc > 0 ? d->mloc : 1) * nm, sizeof(double));
  if (!acc || !racc) { free(acc); free(racc); return AGAPE_ERR_NOMEM; }
  #pragma omp parallel
  {
    double *g2 = malloc(sizeof(double) * nm * CH);
    int64_t jb[CH];
    double fb[CH];
    #pragma omp for schedule(dynamic, 4)
    for (int64_t li = 0; li < d->mloc; li++) {
      int64_t i = d->grow[li];
      if (i >= st->n_mc || st->fsw[i] == 0) continue;   /* Fermi-surface pairs only */
      double *loc = racc + (size_t)li * nm;
      int nc = 0;
      for (int64_t lc = 0; lc <= d->nloc; lc++) {
        if (lc < d->nloc) {
          int64_t j = d->gcol[lc];
          if (j < st->n_mc && st->fsw[j] > 0) { jb[nc] = j; fb[nc] = st->fsw[j]; nc++; }
        }
        if (nc == CH || (lc == d->nloc && nc > 0)) {
          xb12_g2_row(m->model, st->feat, i, nc, jb, g2);
          for (int b = 0; b < nm; b++) {
            double sacc = 0;
            for (int c = 0; c < nc; c++) sacc += g2[b * nc + c] * fb[c];
            loc[b] += sacc * st->fsw[i];
          }
          nc = 0;
        }
      }
    }
    free(g2);
  }
  for (int64_t li = 0; li < d->mloc; li++)
    for (int b = 0; b < nm; b++) acc[b] += racc[(size_t)li * nm + b];
  free(racc);
  agape_par_sum(par, acc, nm);
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

/* The interpolated build (interp = 1 of agape_assembly_build): per own row, the kernels on
 * the nodes of a column-energy grid (exact row functions), then per pair one Lagrange
 * interpolation per mode. */
static agape_err build_interp(const agape_par *par, const agape_dist *d, const agape_states *st,
                              const agape_material *m, double beta, kern_functional fun,
                              kern_spg_gammas gam, const double *xi_col, float *K, double *z)
{
  const int64_t n = st->n;
  const int nm = m->nmodes;
  const double *xk = xi_col ? xi_col : st->xi;
  double umax = 0, omin = INFINITY;
  for (int64_t s = 0; s < n; s++) umax = fmax(umax, fmax(fabs(st->xi[s]), fabs(xk[s])));
  for (int b = 0; b < nm; b++) omin = fmin(omin, m->omega[b]);
  kern_cgrid *cg = NULL;
  kern_tab *tn = NULL;
  int32_t *offk = malloc(sizeof(int32_t) * (size_t)n), *offz = NULL;
  double *Lk = malloc(sizeof(double) * (size_t)n * KERN_CI_NP), *Lz = NULL;
  agape_err err = AGAPE_OK;
  if (!offk || !Lk || kern_cgrid_create(beta, omin, umax, &cg) != 0) { err = AGAPE_ERR_NOMEM; goto done; }
  const int nn = kern_cgrid_nnodes(cg);
  if (kern_cgrid_locate(cg, n, xk, offk, Lk) != 0) { err = agape_error(AGAPE_ERR_NUMERIC, "column energy outside the interpolation grid"); goto done; }
  if (z) {
    if (xk == st->xi) { offz = offk; Lz = Lk; }
    else {
      offz = malloc(sizeof(int32_t) * (size_t)n);
      Lz = malloc(sizeof(double) * (size_t)n * KERN_CI_NP);
      if (!offz || !Lz) { err = AGAPE_ERR_NOMEM; goto done; }
      (void)kern_cgrid_locate(cg, n, st->xi, offz, Lz);
    }
  }
  if (kern_tab_create_rc(fun, beta, n, st->xi, nn, kern_cgrid_nodes(cg), nm, m->omega, gam,
                         d->mloc, d->grow, &tn) != 0) { err = AGAPE_ERR_NOMEM; goto done; }
  int fail = 0;
  #pragma omp parallel reduction(|:fail)
  {
    double *A = malloc(sizeof(double) * (size_t)nm * CH);
    double *tmp = malloc(sizeof(double) * (size_t)nm * CH);
    double *out = malloc(sizeof(double) * CH), *wc = malloc(sizeof(double) * CH);
    /* 64-byte aligned: every panel of KERN_CI_NP = 8 nodes is one cache line */
    const size_t tb = ((sizeof(double) * (size_t)nm * nn + 63) / 64) * 64;
    double *TK = aligned_alloc(64, tb), *TZ = aligned_alloc(64, tb);
    int64_t *jn = malloc(sizeof(int64_t) * (size_t)nn);
    if (!A || !tmp || !out || !wc || !TK || !TZ || !jn) fail = 1;
    else {
      for (int q = 0; q < nn; q++) jn[q] = q;
      #pragma omp for schedule(dynamic, 2)
      for (int64_t li = 0; li < d->mloc; li++) {
        int64_t i = d->grow[li];
        if (K) kern_K_row_modes(tn, i, nn, jn, TK, nn);
        if (z) kern_Z_row_modes(tn, i, nn, jn, TZ, nn);
        double zi = 0;
        for (int64_t lc0 = 0; lc0 < d->nloc; lc0 += CH) {
          int nc = (int)((d->nloc - lc0) < CH ? (d->nloc - lc0) : CH);
          const int64_t *j = d->gcol + lc0;
          pair_couplings(st, m, i, nc, j, A, tmp);
          if (K) {
            kern_ci_K_row(nm, TK, nn, offk, Lk, nc, j, A, CH, out);
            float *row = K + li * d->nloc + lc0;
            for (int c = 0; c < nc; c++) row[c] = (float)out[c];
          }
          if (z) {
            for (int c = 0; c < nc; c++) wc[c] = st->w[j[c]];
            zi -= kern_ci_Z_row(nm, TZ, nn, offz, Lz, nc, j, A, CH, wc);
          }
        }
        if (z) z[i] = zi;
      }
    }
    free(A); free(tmp); free(out); free(wc); free(TK); free(TZ); free(jn);
  }
  if (fail) err = AGAPE_ERR_NOMEM;
done:
  if (offz != offk) { free(offz); free(Lz); }
  free(offk); free(Lk);
  kern_tab_destroy(&tn);
  kern_cgrid_destroy(&cg);
  err = agape_par_agree(par, err);
  if (!err && z) agape_par_sum(par, z, n);
  return err;
}

agape_err agape_assembly_build(const agape_par *par, const agape_dist *d,
                               const agape_states *st, const agape_material *m,
                               double T, kern_functional fun, kern_spg_gammas gam,
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
    return AGAPE_OK;   /* Z = 0 */
  }

  const double beta = T > 0 ? 1.0 / (AGAPE_K_B * T) : INFINITY;
  if (interp && m->nmodes > 0) return build_interp(par, d, st, m, beta, fun, gam, xi_col, K, z);
  kern_tab *tk = NULL, *tz = NULL;
  agape_err err = AGAPE_OK;
  /* per-row table data only for this rank's rows */
  if (K && kern_tab_create_rows(fun, beta, n, st->xi, xi_col ? xi_col : st->xi, m->nmodes, m->omega,
                                gam, d->mloc, d->grow, &tk) != 0) { err = AGAPE_ERR_NOMEM; goto done; }
  if (z) {
    if (K && !xi_col) tz = tk;
    else if (kern_tab_create_rows(fun, beta, n, st->xi, st->xi, m->nmodes, m->omega, gam,
                                  d->mloc, d->grow, &tz) != 0) {
      err = AGAPE_ERR_NOMEM; goto done;
    }
  }
  int fail = 0;
  #pragma omp parallel reduction(|:fail)
  {
    double *A = malloc(sizeof(double) * (size_t)m->nmodes * CH);
    double *tmp = malloc(sizeof(double) * (size_t)m->nmodes * CH);
    double *out = malloc(sizeof(double) * CH), *wc = malloc(sizeof(double) * CH);
    if (!A || !tmp || !out || !wc) fail = 1;
    else {
      #pragma omp for schedule(dynamic, 2)
      for (int64_t li = 0; li < d->mloc; li++) {
        int64_t i = d->grow[li];
        double zi = 0;
        for (int64_t lc0 = 0; lc0 < d->nloc; lc0 += CH) {
          int nc = (int)((d->nloc - lc0) < CH ? (d->nloc - lc0) : CH);
          const int64_t *j = d->gcol + lc0;
          pair_couplings(st, m, i, nc, j, A, tmp);
          if (K) {
            kern_K_row(tk, i, nc, j, A, CH, out);
            float *row = K + li * d->nloc + lc0;
            for (int c = 0; c < nc; c++) row[c] = (float)out[c];
          }
          if (z) {
            for (int c = 0; c < nc; c++) wc[c] = st->w[j[c]];
            zi -= kern_Z_row(tz, i, nc, j, A, CH, wc);
          }
        }
        if (z) z[i] = zi;
      }
    }
    free(A); free(tmp); free(out); free(wc);
  }
  if (fail) err = AGAPE_ERR_NOMEM;
done:
  if (tz && tz != tk) kern_tab_destroy(&tz);
  if (tk) kern_tab_destroy(&tk);
  err = agape_par_agree(par, err);
  if (!err && z) agape_par_sum(par, z, n);
  return err;
}
