/* Monte-Carlo states of EPW data (src/material/source_epw.c, src/sampling/sampling.c) on the
 * repository's MgB2 tiny fixture: N(0) and lambda of the Monte-Carlo sample against the same
 * integrals of the same interpolated bands and couplings on uniform k grids.
 *
 *   N(0)   = int dk sum_n delta(xi_n(k))                           (per spin, 1/eV)
 *   lambda = (2/N(0)) int dk dk' sum_nm delta delta' sum_nu g^2_nu(k, k') / omega_nu
 * (the pairs beyond the data's reach, with no mesh corner inside EPW's window, carrying the
 * average of the others, as in the run) with the Gaussian delta of [sampling] fs_smearing_meV (here 200 meV, which a uniform grid
 * resolves). The reference is the midpoint rule on G^3 cells (G = 12 and 16); its error is
 * taken as the difference between the two. The Monte-Carlo values come from 4 seeds; their
 * standard error is the spread of the seeds / 2. Pass: |mean - ref16| <= 4 se + |ref16 - ref12|,
 * both for N(0) and for lambda. Also: every state lies inside EPW's window, the weights are
 * positive, and the states are the same bits on a second draw. */
#include "../check.h"
#include "agape/material.h"
#include "agape/sampling.h"
#include "agape/assembly.h"
#include "agape/units.h"

#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif

#define SIGMA 0.2 /* eV */
#ifndef GA
#define GA 12
#define GB 18
#endif

static double gauss(double x)
{
  return fabs(x) < 6 * SIGMA ? exp(-0.5 * x * x / (SIGMA * SIGMA)) / (sqrt(2 * AGAPE_PI) * SIGMA) : 0.0;
}

/* N(0) and lambda on the uniform G^3 midpoint grid of the interpolated data */
static void uniform(const agape_material *m, int G, double *n0, double *lam)
{
  *n0 = *lam = 0;
  const int nb = m->nbands;
  int64_t ns = 0, cap = (int64_t)G * G * G * nb;
  double *k = malloc(sizeof(double) * 3 * cap), *f = malloc(sizeof(double) * cap),
         *feat = malloc(sizeof(double) * 4 * cap);
  for (int64_t c = 0; c < (int64_t)G * G * G; c++) {
    double kk[3] = {((c / (G * G)) + 0.5) / G, (((c / G) % G) + 0.5) / G, ((c % G) + 0.5) / G}, xi[64];
    m->bands(m, kk, xi);
    for (int b = 0; b < nb; b++) {
      if (!(fabs(xi[b]) < m->mc_window) || gauss(xi[b]) == 0) continue;
      memcpy(k + 3 * ns, kk, sizeof kk);
      f[ns] = gauss(xi[b]) / ((double)G * G * G);
      m->features(m, kk, b, feat + 4 * ns);
      *n0 += f[ns];
      ns++;
    }
  }
  /* lambda through the source's node couplings (they keep g^2/omega of every phonon); pairs
   * beyond the data's reach (NaN) take the average of the others, as in the sample's lambda
   * (material.h): lambda = 2 N(0) sum' f f' A/omega / sum' f f' over the reached pairs */
  const int nm = m->nmodes;
  double *row = malloc(sizeof(double) * m->pair_scratch(m, ns)), *A = malloc(sizeof(double) * nm * 256);
  double *tmp = malloc(sizeof(double) * nm * 256);
  int64_t *j = malloc(sizeof(int64_t) * 256);
  double sum = 0, reached = 0;
  for (int64_t i = 0; i < ns; i++) {
    m->pair_row(m, feat, i, row, 1);
    for (int64_t c0 = 0; c0 < ns; c0 += 256) {
      int nc = (int)(ns - c0 < 256 ? ns - c0 : 256);
      for (int c = 0; c < nc; c++) j[c] = c0 + c;
      m->pair_couplings(m, feat, i, nc, j, A, 256, tmp, row);
      for (int c = 0; c < nc; c++) {
        if (isnan(A[c])) continue;
        reached += f[i] * f[c0 + c];
        for (int b = 0; b < nm; b++) sum += f[i] * f[c0 + c] * A[b * 256 + c] / m->omega[b];
      }
    }
    m->pair_row(m, feat, i, row, 0);
  }
  *lam = 2 * sum * *n0 / reached;
  free(k);
  free(f);
  free(feat);
  free(row);
  free(A);
  free(tmp);
  free(j);
}

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  check_quiet(par.rank != 0);
  agape_params p;
  agape_params_defaults(&p);
  p.source = MAT_EPW;
  p.method = SOLVER_SCDFT;
  p.states = STATES_MONTECARLO;
  p.npoints = 3000;
  p.fs_smearing_meV = SIGMA * 1e3;
  snprintf(p.epw_dir, sizeof p.epw_dir, "%s/mgb2-tiny-epw/MgB2.ephmat", AGAPE_TEST_DATA);
  agape_material m;
  if (!check(agape_material_create(&par, &p, 0.0, &m) == AGAPE_OK, "material: EPW MgB2 tiny, Monte-Carlo form")) {
    agape_par_finalize(&par);
    return check_summary();
  }
  double n0[4], lam[4], mn0 = 0, mlam = 0;
  for (int seed = 0; seed < 4; seed++) {
    p.seed = 11 + seed;
    agape_states st, st2;
    agape_coupling cp;
    if (!check(agape_states_create(&p, &m, &st) == AGAPE_OK && agape_assembly_couplings(&par, &st, &m, &cp) == AGAPE_OK,
               "seed %d: states and couplings", (int)p.seed))
      break;
    int inside = 1, pos = 1;
    for (int64_t i = 0; i < st.n_mc; i++) {
      inside &= fabs(st.xi[i]) < m.mc_window;
      pos &= st.w[i] > 0;
    }
    check(inside && pos, "seed %d: %lld states inside the window +-%g eV, weights > 0 (%lld draws)", (int)p.seed,
          (long long)st.n_mc, m.mc_window, (long long)st.n_draws);
    if (seed == 0 && check(agape_states_create(&p, &m, &st2) == AGAPE_OK, "a second draw")) {
      check(!memcmp(st.xi, st2.xi, sizeof(double) * st.n) && !memcmp(st.w, st2.w, sizeof(double) * st.n) &&
              !memcmp(st.k, st2.k, sizeof(double) * 3 * st.n_mc),
            "the second draw is the same bits");
      agape_states_destroy(&st2);
    }
    n0[seed] = cp.dos0;
    lam[seed] = cp.lambda;
    mn0 += n0[seed] / 4;
    mlam += lam[seed] / 4;
    if (par.rank == 0) printf("seed %d: N(0) = %.6f /eV  lambda = %.6f\n", (int)p.seed, n0[seed], lam[seed]);
    agape_coupling_destroy(&cp);
    agape_states_destroy(&st);
  }
  double sn = 0, sl = 0;
  for (int s = 0; s < 4; s++) sn += (n0[s] - mn0) * (n0[s] - mn0), sl += (lam[s] - mlam) * (lam[s] - mlam);
  double se_n = sqrt(sn / 3) / 2, se_l = sqrt(sl / 3) / 2;
  double r12n, r12l, r16n, r16l;
  uniform(&m, GA, &r12n, &r12l);
  uniform(&m, GB, &r16n, &r16l);
  if (par.rank == 0)
    printf("uniform grids: N(0) = %.6f (%d^3) %.6f (%d^3); lambda = %.6f, %.6f\n"
           "Monte-Carlo mean of 4 seeds: N(0) = %.6f +- %.6f, lambda = %.6f +- %.6f\n",
           r12n, GA, r16n, GB, r12l, r16l, mn0, se_n, mlam, se_l);
  check_le(fabs(mn0 - r16n), 4 * se_n + fabs(r16n - r12n), "N(0): Monte-Carlo against the uniform grid (1/eV)");
  check_le(fabs(mlam - r16l), 4 * se_l + fabs(r16l - r12l), "lambda: Monte-Carlo against the uniform grid");
  check(se_n < 0.05 * mn0 && se_l < 0.05 * mlam, "the seeds agree to 5 %% (a sample that resolves the window)");
  agape_material_destroy(&m);
  agape_par_finalize(&par);
  return check_summary();
}
