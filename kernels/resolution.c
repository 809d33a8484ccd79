/* The thermal window of the gap equation and whether the states resolve it (see
 * include/agape/resolution.h). */
#include "agape/resolution.h"
#include <math.h>

/* tanh(E/2kT)/E for E > 0 (1/E at kT = 0) */
static double chi(double E, double kT) { return kT > 0 ? tanh(E / (2 * kT)) / E : 1 / E; }

double agape_thermal_window(double kT, double delta)
{
  const double d = fabs(delta);
  if (!(kT > 0) && !(d > 0)) return 0;
  if (!(d > 0)) return AGAPE_WINDOW_KT * kT;
  if (!(kT > 0)) return sqrt(3.0) * d;
  /* E_half with chi(E_half) = chi(delta)/2: chi decreases with E and chi <= 1/E, so E_half
   * lies in [delta, 2/chi(delta)]; bisection to 1e-15 relative (about 50 steps) */
  const double half = 0.5 * chi(d, kT);
  double lo = d, hi = 1 / half;
  for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    double m = 0.5 * (lo + hi);
    if (chi(m, kT) > half)
      lo = m;
    else
      hi = m;
  }
  const double E = 0.5 * (lo + hi);
  return sqrt(fmax(E * E - d * d, 0));
}

double agape_xi_nearest(int64_t n, const double *xi)
{
  if (n <= 0) return NAN;
  double m = INFINITY;
  for (int64_t s = 0; s < n; s++) m = fmin(m, fabs(xi[s]));
  return m;
}

int agape_window_resolved(double xi_near, double kT, double delta)
{
  if (isnan(xi_near)) return 1;
  return xi_near < agape_thermal_window(kT, delta);
}
