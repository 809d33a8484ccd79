/* The thermal window of the gap equation (kernels/resolution.c, docs/theory.md 4.7):
 *   1. w(T, 0) = 3.8300161 k_BT (tanh(x/2)/x = 1/4) and w(0, Delta) = sqrt(3) |Delta|;
 *   2. in between (k_BT and Delta each from 1e-6 to 1 eV): chi(w) = chi(0)/2 for
 *      chi(xi) = tanh(E/2k_BT)/E, E = sqrt(xi^2 + Delta^2), to 1e-12, and w never falls as T
 *      or |Delta| grows;
 *   3. the resolution energy is min |xi| (NaN without states), and a temperature is resolved
 *      exactly when the nearest state lies inside the window (NaN: nothing to resolve);
 *   4. the gap's trend across the Fermi-surface width (agape_fs_gap_trend), on states evenly
 *      spaced in xi with Gaussian weights of width sigma:
 *      a. a gap that is exactly a + b xi^2: the gap at E_F is a, the bias is (D - a)/a with D
 *         the weighted average formed here, the standard error 0 (no residuals), to 1e-12;
 *      b. a Lorentzian gap Delta0 / (1 + y), y = xi^2/w^2 = 1 - y + y^2 - y^3 + y^4 ...: the fit's
 *         weights are a Gaussian of width s = sigma/2, on which a + b xi^2 fitted to xi^4, xi^6
 *         and xi^8 has the intercepts -3 s^4, -30 s^6 and -315 s^8 (Gaussian moments
 *         <xi^2n> = (2n-1)!! s^2n). So the gap at E_F comes out
 *         Delta0 (1 - 3 (s/w)^4 + 30 (s/w)^6 - 315 (s/w)^8 ...). Checked at sigma/w = 0.1 and
 *         0.2 against the first two terms, to twice the third's share, 210 (s/w)^4 of the
 *         first (1.3e-3 and 2.1e-2); and the bias against (D - a)/a;
 *      c. fewer than 3 weighted states: -1 and NaN. */
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
  /* 4 */
  enum { N = 4001 };
  static double xs[N], ws[N], ds[N];
  for (int pass = 0; pass < 3; pass++) {
    const double sig = pass == 0 ? 0.01 : pass == 1 ? 0.005 : 0.01, om = 0.05, a0 = 0.002, b0 = -0.3;
    double W = 0, D = 0;
    for (int i = 0; i < N; i++) {
      xs[i] = (i - N / 2) * (12 * sig / (N - 1)); /* +-6 sigma */
      ws[i] = exp(-0.5 * xs[i] * xs[i] / (sig * sig));
      ds[i] = pass == 0 ? a0 + b0 * xs[i] * xs[i] : a0 * om * om / (om * om + xs[i] * xs[i]);
      W += ws[i], D += ws[i] * ds[i];
    }
    D /= W;
    double a, bias, se;
    const int rc = agape_fs_gap_trend(N, ws, xs, ds, &a, &bias, &se);
    if (pass == 0) {
      check(rc == 0, "a + b xi^2: fitted");
      check_rel(a, a0, 1e-12, "a + b xi^2: the gap at E_F is a");
      check_rel(bias, (D - a0) / a0, 1e-10, "a + b xi^2: the bias is (D - a)/a (D = %.6g meV)", D * 1e3);
      check_le(se, 1e-12, "a + b xi^2: no residuals, no standard error");
    } else {
      const double y = (sig / 2) * (sig / 2) / (om * om), want = -3 * y * y + 30 * y * y * y;
      check(rc == 0, "Lorentzian, sigma/w = %g: fitted", sig / om);
      check_rel(a / a0 - 1, want, 210 * y * y,
                "Lorentzian, sigma/w = %g: gap at E_F / Delta0 - 1 against -3 (s/w)^4 + 30 (s/w)^6", sig / om);
      check_rel(bias, (D - a) / a, 1e-12, "Lorentzian, sigma/w = %g: the bias %.4g is (D - a)/a", sig / om, bias);
    }
  }
  double a, bias, se;
  check(agape_fs_gap_trend(2, ws, xs, ds, &a, &bias, &se) == -1 && isnan(a) && isnan(bias) && isnan(se),
        "two states: no fit, NaN");
  return check_summary();
}
