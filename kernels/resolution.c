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

int agape_fs_gap_trend(int64_t n, const double *w, const double *xi, const double *delta, double *at_ef, double *bias,
                       double *bias_se)
{
  *at_ef = *bias = *bias_se = NAN;
  double W = 0, X = 0, D = 0;
  int64_t used = 0;
  for (int64_t s = 0; s < n; s++) {
    if (!(w[s] > 0)) continue;
    W += w[s], X += w[s] * xi[s] * xi[s], D += w[s] * delta[s], used++;
  }
  if (used < 3 || !(W > 0) || !(X > 0)) return -1;
  X /= W, D /= W; /* <xi^2>_w (sigma^2 for Gaussian weights) and the Fermi-surface average */
  /* the fit's weights: w times exp(-3 xi^2 / 2 sigma^2), a Gaussian of half the width */
  double V = 0, Xv = 0, Dv = 0;
  for (int64_t s = 0; s < n; s++) {
    if (!(w[s] > 0)) continue;
    const double x = xi[s] * xi[s], v = w[s] * exp(-1.5 * x / X);
    V += v, Xv += v * x, Dv += v * delta[s];
  }
  if (!(V > 0)) return -1;
  Xv /= V, Dv /= V;
  double sxx = 0, sxd = 0;
  for (int64_t s = 0; s < n; s++) {
    if (!(w[s] > 0)) continue;
    const double x = xi[s] * xi[s], v = w[s] * exp(-1.5 * x / X), u = x - Xv;
    sxx += v * u * u, sxd += v * u * (delta[s] - Dv);
  }
  if (!(sxx > 0)) return -1;
  const double b = sxd / sxx, a = Dv - b * Xv;
  if (!(a != 0)) return -1;
  /* a = sum_s v_s h_s delta_s with h_s = 1/V - Xv u_s / sxx; for sampling weights its
   * variance is sum_s (v_s h_s r_s)^2, r the residuals of the fit */
  double var = 0;
  for (int64_t s = 0; s < n; s++) {
    if (!(w[s] > 0)) continue;
    const double x = xi[s] * xi[s], v = w[s] * exp(-1.5 * x / X), h = 1 / V - Xv * (x - Xv) / sxx;
    const double r = delta[s] - a - b * x;
    var += (v * h * r) * (v * h * r);
  }
  *at_ef = a;
  *bias = (D - a) / a;
  *bias_se = fabs(D) / (a * a) * sqrt(var);
  return 0;
}
