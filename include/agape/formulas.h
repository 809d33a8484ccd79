/* Small formulas shared by the SCDFT and Eliashberg paths (docs/theory.md; the SPG
 * functional: Sanna, Pellegrini, Gross, PRL 125, 057001 (2020)). Header only. */
#ifndef AGAPE_FORMULAS_H
#define AGAPE_FORMULAS_H
#include <math.h>

/* SPG's quasiparticle energy of the phonon term, E^gamma = sqrt(xi^2 + gamma3 Delta^2).
 *   xi [in] state energy, eV;  gamma3 [in] SPG constant, dimensionless;  delta [in] gap, eV.
 * Returns eV. */
static inline double agape_spg_egamma(double xi, double gamma3, double delta)
{
  return sqrt(xi * xi + gamma3 * delta * delta);
}

/* Electron-phonon coupling of a line spectrum, lambda = 2 sum_b a2f_w[b] / omega[b]
 * (summed in index order).
 *   n [in] lines;  omega [in, n] frequencies, eV;  a2f_w [in, n] the integral of alpha^2F
 *   over each line, eV. Returns lambda (dimensionless). */
static inline double agape_lambda_lines(int n, const double *omega, const double *a2f_w)
{
  double l = 0;
  for (int b = 0; b < n; b++) l += 2 * a2f_w[b] / omega[b];
  return l;
}

#endif
