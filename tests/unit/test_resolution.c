/* The thermal window of the gap equation (kernels/resolution.c, docs/theory.md 4.7):
 *   1. w(T, 0) = 3.8300161 k_BT (tanh(x/2)/x = 1/4) and w(0, Delta) = sqrt(3) |Delta|;
 *   2. in between (k_BT and Delta each from 1e-6 to 1 eV): chi(w) = chi(0)/2 for
 *      chi(xi) = tanh(E/2k_BT)/E, E = sqrt(xi^2 + Delta^2), to 1e-12, and w never falls as T
 *      or |Delta| grows;
 *   3. the resolution energy is min |xi| (NaN without states), and a temperature is resolved
 *      exactly when the nearest state lies inside the window (NaN: nothing to resolve). */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/resolution.h"
#include <math.h>

static double chi(double xi, double kT, double d)
{
  double E = sqrt(xi * xi + d * d);
  return kT > 0 ? tanh(E / (2 * kT)) / E : 1 / E;
}

int main(void)
{
  /* 1 */
  const double x = AGAPE_WINDOW_KT;
  check_rel(tanh(x / 2) / x, 0.25, 1e-15, "tanh(x/2)/x = 1/4 at x = %.10f", x);
  check_rel(agape_thermal_window(0.01, 0) / 0.01, 3.8300160963, 1e-10, "w(T, 0) = 3.8300161 k_BT");
  check_rel(agape_thermal_window(0, -0.002), sqrt(3) * 0.002, 1e-15, "w(0, Delta) = sqrt(3) |Delta|");
  check(agape_thermal_window(0, 0) == 0, "w(0, 0) = 0");
  /* 2 */
  double worst = 0;
  int mono = 1;
  for (int i = -3; i <= 3; i++)
    for (int j = -3; j <= 3; j++) {
      double kT = 1e-3 * pow(10, i / 1.0), d = 1e-3 * pow(10, j / 1.0), w = agape_thermal_window(kT, d);
      double peak = d > 0 ? tanh(d / (2 * kT)) / d : 1 / (2 * kT);
      worst = fmax(worst, fabs(chi(w, kT, d) / (0.5 * peak) - 1));
      mono &= agape_thermal_window(1.1 * kT, d) >= w && agape_thermal_window(kT, 1.1 * d) >= w;
    }
  check_le(worst, 1e-12, "chi(w) = chi(0)/2 for k_BT, Delta in [1e-6, 1] eV (worst relative error)");
  check(mono, "w does not fall as T or |Delta| grows");
  /* 3 */
  const double xi[] = {0.3, -0.0021, 0.004, -0.5};
  check(agape_xi_nearest(4, xi) == 0.0021 && isnan(agape_xi_nearest(0, xi)), "nearest |xi| = 0.0021 eV; NaN for none");
  const double kT = 0.0021 / AGAPE_WINDOW_KT; /* the window's edge at the nearest state */
  check(agape_window_resolved(0.0021, 1.001 * kT, 0) == 1 && agape_window_resolved(0.0021, 0.999 * kT, 0) == 0 &&
          agape_window_resolved(0.0021, 0, 0.0021) == 1 && agape_window_resolved(0.0021, 0, 0.0012) == 0 &&
          agape_window_resolved(NAN, 0, 0) == 1,
        "resolved inside the window, not outside it (T and T = 0 with a gap); NaN: nothing to resolve");
  return check_summary();
}
