/* Small formulas shared by the SCDFT and Eliashberg paths (docs/theory.md; the SPG
 * functional: Sanna, Pellegrini, Gross, PRL 125, 057001 (2020)). Header only. */
#ifndef AGAPE_FORMULAS_H
#define AGAPE_FORMULAS_H
#include <math.h>
#include <stdint.h>

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

/* Fermi-surface average of x over n states, sum_s w_s x_s / sum_s w_s with the Fermi-surface
 * weight w_s = wa_s wb_s (wb NULL: 1), x_s = x[s * stride] (summed in index order). Both
 * theories average with it (SCDFT: wa = w delta(xi); Eliashberg: wa = w_k, wb = delta).
 * Returns 0 when the weights add up to 0. */
static inline double agape_fs_average(int64_t n, const double *wa, const double *wb, const double *x, int64_t stride)
{
  double a = 0, b = 0;
  for (int64_t s = 0; s < n; s++) {
    const double w = wb ? wa[s] * wb[s] : wa[s];
    a += w * x[s * stride];
    b += w;
  }
  return b > 0 ? a / b : 0;
}

/* 1 if all n values of x are finite (no NaN, no Inf). */
static inline int agape_all_finite(int64_t n, const double *x)
{
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

#endif
