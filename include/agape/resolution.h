/* Whether the states with k resolve the thermal window of the SCDFT gap equation at a
 * temperature (docs/theory.md §4.7). Pure node-local numerics (kernels/resolution.c), no MPI,
 * no I/O; the one criterion of the run's under-resolution warnings and of results.h5's
 * /gap/resolved, /tc_search/resolved and the resolved attribute of /tc.
 *
 * The gap equation weighs a state by chi(xi) = tanh(E/2k_BT)/E, E = sqrt(xi^2 + Delta^2): a
 * peak at E_F whose half width at half maximum is the thermal window w(T, Delta)
 * (w = 3.830 k_BT for Delta = 0, sqrt(3) Delta at T = 0). A state with |xi| >= 3.830 k_BT has
 * tanh(|xi|/2k_BT) >= 0.9575: its weight is within 4.3 % of its T = 0 value. If no state with
 * k lies inside the window, those states do not see the temperature: rho(T) and the gap's
 * Fermi-surface structure at T are not resolved (rho(T) freezes as T falls). */
#ifndef AGAPE_RESOLUTION_H
#define AGAPE_RESOLUTION_H
#include <stdint.h>

#define AGAPE_WINDOW_KT 3.8300160963090746 /* x with tanh(x/2)/x = 1/4: w(T, 0) / k_BT */

/* Half width at half maximum of chi(xi) = tanh(E/2kT)/E, E = sqrt(xi^2 + delta^2), in eV, for
 * kT >= 0 and delta (eV; its magnitude is used): 3.830 kT when delta = 0, sqrt(3) |delta| when
 * kT = 0, 0 when both are 0. */
double agape_thermal_window(double kT, double delta);

/* The resolution energy of a set of states: min_s |xi_s| over xi[0..n-1] (eV); NaN when n <= 0
 * (no states with k: nothing to resolve). */
double agape_xi_nearest(int64_t n, const double *xi);

/* 1 when the states resolve the window at kT (eV) and delta (eV): xi_near < w(kT, delta), or
 * xi_near is NaN (the criterion does not apply); 0 otherwise. */
int agape_window_resolved(double xi_near, double kT, double delta);

/* The gap's trend across the Fermi-surface width. The Fermi-surface average of a gap,
 * D = sum_s w_s delta_s / sum_s w_s with weights w_s = w delta(xi_s) of width sigma, differs from
 * the gap at E_F when the gap changes within sigma (it falls off on the phonon scale). With
 * sigma^2 = <xi^2>_w (exact for Gaussian weights), a weighted least-squares fit
 * delta_s = a + b xi_s^2 with the narrower weights w_s exp(-3 xi_s^2 / 2 sigma^2) (a Gaussian of
 * width sigma/2: local enough that the quadratic holds where the gap falls off, wide enough to
 * keep a quarter of the states' weight) gives the gap at E_F, *at_ef = a (delta's unit), the
 * relative bias of the average, *bias = (D - a)/a, and its standard error *bias_se from the
 * fit's residuals (the intercept's variance for sampling weights). An estimate: when the gap
 * falls off within sigma/2 the fit, too, averages over it and the bias is underestimated.
 * Returns 0, or -1 (all three NaN) with fewer than 3 weighted states, no spread in xi, or
 * a = 0. */
int agape_fs_gap_trend(int64_t n, const double *w, const double *xi, const double *delta, double *at_ef, double *bias,
                       double *bias_se);

#endif
