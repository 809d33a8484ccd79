/* The separable phonon operator (src/scdft/sepop.c, kernels/kern_sep.c) against a direct O(N^2)
 * sum with the exact closed-form kernels (kern_tab, no interpolation) and the model's pair
 * couplings (xb12_g2_row, not its separable form), on a CsB12 sample of 1,500 Monte-Carlo
 * states plus the isotropic energy grid:
 *   y_s = sum_s' a(s, s') 𝒦(xi_s, u_s') v_s'   (LMG and SPG; u = |xi| and SPG's E^gamma)
 *   Z_s = -sum_s' w_s' a(s, s') 𝒵(xi_s, xi_s')
 * at T = 0, 2, 40 and 300 K.  The operator interpolates each kernel in both energies with the
 * Chebyshev panels of kern_interp.c, each exact to 2e-10 (𝒦) and 2e-9 (𝒵) relative
 * (test_kernels); the pair sum then differs from the exact one by at most that error (twice,
 * rows and columns) of sum_s' |a 𝒦 v|.  Tolerances: 1e-9 (𝒦) and 1e-8 (𝒵) of that scale.
 * Also: bitwise equal results for 1 and 2 threads and, run on several ranks, equal to what each
 * rank computes alone. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/sepop.h"
#include "agape/assembly.h"
#include "agape/units.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mpi.h>

/* the direct sum for row i: sum_j a(i, j) kern(xi_i, u_j) v_j and the sum of |terms| */
static void direct_row(const agape_states *st, const agape_material *m, const agape_coupling *cp, kern_tab *t, int zker,
                       int64_t i, const double *v, double *y, double *scale)
{
  const int64_t n = st->n;
  const int nm = m->nmodes;
  double *a = malloc(sizeof(double) * nm * n), *g2 = malloc(sizeof(double) * nm * n), *out = malloc(sizeof(double) * n);
  int64_t *j = malloc(sizeof(int64_t) * n);
  for (int64_t c = 0; c < n; c++) j[c] = c;
  double *tmp = malloc(sizeof(double) * nm * n);
  if (i < st->n_mc) m->pair_couplings(m, st->feat, i, (int)st->n_mc, j, g2, (int)st->n_mc, tmp, NULL);
  free(tmp);
  for (int b = 0; b < nm; b++)
    for (int64_t c = 0; c < n; c++)
      a[b * n + c] = (i < st->n_mc && c < st->n_mc) ? g2[b * st->n_mc + c] : cp->a2f_w[b] / cp->dos0;
  double acc = 0, sc = 0;
  if (!zker) {
    kern_K_row(t, i, (int)n, j, a, (int)n, out);
    for (int64_t c = 0; c < n; c++) {
      acc += out[c] * v[c];
      sc += fabs(out[c] * v[c]);
    }
  } else {
    for (int64_t c = 0; c < n; c++) { /* one column at a time: |term| for the scale */
      double one = 1, ab[64];
      for (int b = 0; b < nm; b++) ab[b] = a[b * n + c];
      double term = kern_Z_row(t, i, 1, j + c, ab, 1, &one) * v[c];
      acc += term;
      sc += fabs(term);
    }
  }
  *y = acc;
  *scale = sc;
  free(a);
  free(g2);
  free(out);
  free(j);
}

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  agape_params p;
  agape_params_defaults(&p);
  p.source = MAT_MODEL;
  snprintf(p.name, sizeof p.name, "CsB12");
  p.npoints = 1500;
  agape_material m;
  agape_states st;
  agape_dist d;
  agape_coupling cp;
  if (agape_material_create(&par, &p, 0.0, &m) || agape_states_create(&p, &m, &st) ||
      agape_dist_create(&par, st.n, 64, &d) || agape_assembly_couplings(&par, &st, &m, &cp)) {
    printf("FAIL: setup\n");
    return 1;
  }
  const int64_t n = st.n;
  double *v = malloc(sizeof(double) * n), *u = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
  double *y2 = malloc(sizeof(double) * n), *dl = malloc(sizeof(double) * n);
  for (int64_t s = 0; s < n; s++) {
    v[s] = st.w[s] * (0.3 + cos(0.7 * s)) / (fabs(st.xi[s]) + 0.01);        /* a column factor x a gap */
    dl[s] = 0.008 * (1 + 0.3 * sin(1.3 * s)) / (1 + fabs(st.xi[s]) / 0.05); /* a gap, eV */
  }
  agape_sep *sp = NULL;
  agape_err ec = agape_sep_create(&par, &st, &m, &cp, &sp);
  check(ec == AGAPE_OK, "separable operator created: %d functions, %lld states", sp ? agape_sep_nfun(sp) : 0,
        (long long)n);
  /* with several ranks: each rank also computes alone (a one-rank copy of the layout) */
  agape_par solo = par;
  solo.comm = MPI_COMM_SELF;
  solo.rank = 0;
  solo.size = 1;
  agape_sep *s1 = NULL;
  if (par.size > 1 && agape_sep_create(&solo, &st, &m, &cp, &s1)) check(0, "one-rank copy created");
  /* the Fermi-surface weights of agape_assembly_couplings (separable O(N) sum) against the
   * direct pair sum with xb12_g2_row over all Fermi-surface pairs; both sum positive terms,
   * so round-off stays near n eps relative: tolerance 1e-12 */
  {
    const int nm = m.nmodes;
    double dir[64] = {0}, worst = 0;
    double *g2 = malloc(sizeof(double) * nm * st.n_mc), *tmp = malloc(sizeof(double) * nm * st.n_mc);
    int64_t *jj = malloc(sizeof(int64_t) * st.n_mc);
    for (int64_t c = 0; c < st.n_mc; c++) jj[c] = c;
    for (int64_t i = 0; i < st.n_mc; i++) {
      if (st.fsw[i] == 0) continue;
      m.pair_couplings(&m, st.feat, i, (int)st.n_mc, jj, g2, (int)st.n_mc, tmp, NULL);
      for (int b = 0; b < nm; b++)
        for (int64_t c = 0; c < st.n_mc; c++) dir[b] += st.fsw[i] * st.fsw[c] * g2[b * st.n_mc + c];
    }
    for (int b = 0; b < nm; b++) worst = fmax(worst, fabs(cp.a2f_w[b] - dir[b] / cp.dos0) / (dir[b] / cp.dos0));
    check(worst <= 1e-12, "Fermi-surface mode weights: separable sum vs direct pair sum, max rel diff %.1e (tol 1e-12)",
          worst);
    free(g2);
    free(tmp);
    free(jj);
  }
  const kern_spg_gammas gam = {1.33, 3.8, 1.33};
  const double temps[4] = {0, 2, 40, 300};
  const int nrow = 40; /* direct sums on every (n/40)-th row */
  for (int fun = 0; fun < 2; fun++)
    for (int it = 0; it < 4; it++) {
      const double T = temps[it], beta = T > 0 ? 1 / (AGAPE_K_B * T) : INFINITY;
      for (int64_t s = 0; s < n; s++) u[s] = fun ? sqrt(st.xi[s] * st.xi[s] + gam.g3 * dl[s] * dl[s]) : fabs(st.xi[s]);
      if (agape_sep_set_T(sp, T, (kern_functional)fun, gam, 0.1)) {
        check(0, "set_T");
        continue;
      }
      kern_tab *tk = NULL, *tz = NULL;
      kern_tab_create((kern_functional)fun, beta, n, st.xi, u, m.nmodes, m.omega, gam, &tk);
      kern_tab_create((kern_functional)fun, beta, n, st.xi, st.xi, m.nmodes, m.omega, gam, &tz);
      for (int zk = 0; zk < 2; zk++) {
        agape_err e1 = zk ? agape_sep_z(sp, y) : agape_sep_apply(sp, AGAPE_SEP_K, fun ? u : NULL, v, y);
        omp_set_num_threads(1);
        agape_err e2 = zk ? agape_sep_z(sp, y2) : agape_sep_apply(sp, AGAPE_SEP_K, fun ? u : NULL, v, y2);
        omp_set_num_threads(par.nthreads);
        int same = !e1 && !e2 && memcmp(y, y2, sizeof(double) * n) == 0;
        if (s1) {
          agape_err e3 = agape_sep_set_T(s1, T, (kern_functional)fun, gam, 0.1);
          if (!e3) e3 = zk ? agape_sep_z(s1, y2) : agape_sep_apply(s1, AGAPE_SEP_K, fun ? u : NULL, v, y2);
          int sr = !e3 && memcmp(y, y2, sizeof(double) * n) == 0;
          check(sr, "%s %s T = %g K: %d ranks and 1 rank bitwise equal", fun ? "SPG" : "LMG", zk ? "Z" : "K", T,
                par.size);
        }
        double worst = 0;
        for (int64_t i = 0; i < n; i += n / nrow) {
          double ref, sc;
          direct_row(&st, &m, &cp, zk ? tz : tk, zk, i, zk ? st.w : v, &ref, &sc);
          if (zk) ref = -ref;
          worst = fmax(worst, fabs(y[i] - ref) / sc);
        }
        const double tol = zk ? 1e-8 : 1e-9;
        check(worst <= tol && !e1,
              "%s %s T = %g K: separable vs direct exact sum, max |diff| / sum|terms| = %.2e (tol %.0e)",
              fun ? "SPG" : "LMG", zk ? "Z" : "K", T, worst, tol);
        check(same, "%s %s T = %g K: %d and 1 threads bitwise equal", fun ? "SPG" : "LMG", zk ? "Z" : "K", T,
              par.nthreads);
      }
      kern_tab_destroy(&tk);
      kern_tab_destroy(&tz);
    }
  /* a column energy beyond the grid is an error on every rank, not a wrong number */
  u[n / 2] = 1e6;
  check(agape_sep_apply(sp, AGAPE_SEP_K, u, v, y) == AGAPE_ERR_NUMERIC, "column energy beyond the grid refused");
  agape_sep_destroy(&sp);
  agape_sep_destroy(&s1);
  free(v);
  free(u);
  free(y);
  free(y2);
  free(dl);
  agape_dist_destroy(&d);
  agape_states_destroy(&st);
  agape_coupling_destroy(&cp);
  agape_material_destroy(&m);
  int rc = check_summary();
  if (par.size > 1) {
    int any = rc;
    MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, par.comm);
    rc = any;
  }
  agape_par_finalize(&par);
  return rc;
}
