/* Scale of the isotropic phonon kernel: for an alpha^2F input, the assembled kernel at
 * T = 0 between the two states nearest E_F must satisfy -N(0) K^ph(0,0) = lambda
 * (docs/theory.md §2.3: K^LMG -> -2/(|xi|+|xi'|+Omega), so -N(0)K = 2 sum a2f_b/omega_b).
 * The states nearest E_F sit at |xi| < grid_min = 1e-5 eV, so the exact value differs
 * from lambda by < 2|xi|/omega_min ~ 1e-3 for omega_min ~ 10 meV... the bound used below
 * is computed from the actual states. Also Z(xi -> 0) at T = 0 equals lambda for the LMG
 * J form with a flat DOS extending far beyond the phonon scale (docs/theory.md §2.3), to the
 * accuracy of the finite window: 1 - Z/lambda ~ omega/E. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/deck.h"
#include "agape/material.h"
#include "agape/sampling.h"
#include "agape/assembly.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  const char *dir = check_tmpdir("iso-scale");
  char a2f[512], deck[512];
  snprintf(a2f, sizeof a2f, "%s/a2f.dat", dir);
  snprintf(deck, sizeof deck, "%s/deck.in", dir);
  FILE *f = fopen(a2f, "w");
  /* a smooth spectrum on [5, 40] meV */
  for (int i = 0; i <= 700; i++) {
    double w = 5 + 35.0 * i / 700;
    fprintf(f, "%.8f %.10e\n", w, 0.05 * sin(3.14159265358979323846 * (w - 5) / 35));
  }
  fclose(f);
  f = fopen(deck, "w");
  fprintf(f,
          "[material]\nsource = a2f\na2f_file = a2f.dat\ndos_per_eV_spin = 0.7\n"
          "[solver]\nfunctional = lmg\n[temperatures]\nlist = 0\ntc_search = no\n"
          "[sampling]\nenergy_window_eV = 20\n");
  fclose(f);
  agape_params p;
  agape_params_defaults(&p);
  if (agape_deck_read(deck, &p)) return 1;
  agape_material m;
  agape_states st;
  agape_dist d;
  if (agape_material_create(&par, &p, 0.0, &m) || agape_states_create(&p, &m, &st) ||
      agape_dist_create(&par, st.n, 64, &d))
    return 1;
  float *K = malloc(sizeof(float) * d.mloc * d.nloc);
  double *z = malloc(sizeof(double) * st.n);
  kern_spg_gammas g = {1.33, 3.8, 1.33};
  agape_coupling cp;
  if (agape_assembly_couplings(&par, &st, &m, &cp)) return 1;
  if (agape_assembly_build(&par, &d, &st, &m, &cp, 0.0, KERN_LMG, g, NULL, 0, K, z)) return 1;
  /* state nearest E_F */
  int64_t i0 = 0;
  for (int64_t s = 0; s < st.n; s++)
    if (fabs(st.xi[s]) < fabs(st.xi[i0])) i0 = s;
  double lam2 = 0, wmin = 1e9;
  for (int b = 0; b < m.nmodes; b++) {
    lam2 += 2 * m.a2f_w[b] / (m.omega[b] + 2 * fabs(st.xi[i0]));
    wmin = fmin(wmin, m.omega[b]);
  }
  double kk = -m.dos0 * K[i0 * d.nloc + i0]; /* 1 rank: local = global */
  /* exact for these states is lam2; float storage: 6e-8 relative */
  check_rel(kk, lam2, 1e-6, "-N(0) K^ph(xi0, xi0) at T = 0 (float storage)");
  check_rel(lam2, m.lambda, 4 * fabs(st.xi[i0]) / wmin + 1e-4,
            "... which is lambda up to 2|xi0|/omega and the rebinning");
  /* Z(0) -> lambda * (1 - O(omega/E)); with E = 20 eV and omega <= 40 meV: 1e-2 bound */
  check_rel(z[i0], m.lambda, 1e-2, "Z(xi -> 0) at T = 0 equals lambda (LMG J form)");
  free(K);
  free(z);
  agape_dist_destroy(&d);
  agape_states_destroy(&st);
  agape_coupling_destroy(&cp);
  agape_material_destroy(&m);
  agape_params_free(&p);
  agape_par_finalize(&par);
  return check_summary();
}
