/* Tc search (see include/agape/tcsearch.h). */
#include "agape/tcsearch.h"
#include <math.h>
#include <stdio.h>

#define TCS_SECANT_STEPS 30   /* bracket steps with the secant factor */
#define TCS_MAX_STEPS    90   /* then full steps (factor 4) up to this many in all */
#define TCS_FROZEN       1e-3 /* |d ln rho / d ln T| below it: rho no longer changes with T */

/* one evaluation, recorded */
static agape_err eval(tcs_rho_fn rho, void *ctx, tcs_result *r, double T, double *out)
{
  agape_err err = rho(ctx, T, out);
  if (err) return err;
  r->neval++;
  if (!(T >= r->T_lo)) r->T_lo = T; /* NaN at first */
  if (!(T <= r->T_hi)) r->T_hi = T;
  if (r->nh < r->cap) {
    r->T[r->nh] = T;
    r->rho[r->nh] = *out;
    r->nh++;
  }
  return AGAPE_OK;
}

agape_err tcs_search(const tcs_opts *o, tcs_rho_fn rho, void *ctx, tcs_result *r)
{
  r->status = TCS_NO_BRACKET;
  r->tc = NAN;
  r->neval = r->nh = 0;
  r->T_lo = r->T_hi = NAN;
  r->msg[0] = '\0';
  if (!(o->T_guess > 0) || !(o->tol > 0) || !rho) return AGAPE_ERR_INTERNAL;
  /* the first temperature inside [T_floor, T_ceil] */
  double Ta = fmin(fmax(o->T_guess, o->T_floor), o->T_ceil), ra, Tb, rb;
  agape_err err;
  if ((err = eval(rho, ctx, r, Ta, &ra))) return err;
  /* bracket by secant steps in (ln T, ln rho): rho ~ T^-s near Tc with s = d ln rho / d ln T
   * of order lambda_eff (start s = 0.5, then the measured slope), each step clamped to a
   * factor 4 and at least 1 %. After TCS_SECANT_STEPS such steps, and whenever rho no longer
   * changes with T (a sample whose states do not resolve the thermal window at low T: the
   * secant would creep by 1 % steps) or is not positive, full steps of a factor 4 carry the
   * search to a crossing, the floor or the ceiling. The searches that found a bracket in 30
   * secant steps before these full steps existed are unchanged. */
  Tb = Ta;
  rb = ra;
  double slope = 0.5;
  int k = 0;
  while ((rb > 1) == (ra > 1) && k++ < TCS_MAX_STEPS) {
    int full = k > TCS_SECANT_STEPS;
    if (k > 1) {
      double sl = -log(rb / ra) / log(Tb / Ta);
      if (sl > 0.05 && sl < 20) slope = sl;
      if (fabs(sl) < TCS_FROZEN) full = 1;
      Ta = Tb;
      ra = rb;
    }
    if (!(ra > 0)) full = 1;
    double f = pow(ra, 1.0 / slope);
    if (ra > 1)
      f = full ? 4.0 : fmin(fmax(f, 1.01), 4.0);
    else
      f = full ? 0.25 : fmax(fmin(f, 0.99), 0.25);
    Tb = Ta * f;
    /* a step past the floor (ceiling) goes to it; from there, the search ends */
    if (Tb < o->T_floor && Ta > o->T_floor) Tb = o->T_floor;
    if (Tb > o->T_ceil && Ta < o->T_ceil) Tb = o->T_ceil;
    if (Tb < o->T_floor) {
      r->status = TCS_NONE;
      r->tc = 0;
      snprintf(r->msg, sizeof r->msg,
               "the leading eigenvalue of the linearised gap equation stays below 1 at every temperature tried, "
               "from %.4g K down to the floor T_floor = %.4g K (rho = %.6g there): not superconducting above %.4g K",
               r->T_hi, Ta, ra, Ta);
      return AGAPE_OK;
    }
    if (Tb > o->T_ceil) {
      snprintf(r->msg, sizeof r->msg,
               "Tc could not be bracketed: the leading eigenvalue of the linearised gap equation stays above 1 at "
               "every temperature tried, from %.4g K up to the ceiling T_ceil = %.4g K (rho = %.6g there): Tc is "
               "above the range searched",
               r->T_lo, Ta, ra);
      return AGAPE_OK;
    }
    if ((err = eval(rho, ctx, r, Tb, &rb))) return err;
  }
  if ((ra > 1) == (rb > 1)) {
    snprintf(r->msg, sizeof r->msg,
             "Tc could not be bracketed: the leading eigenvalue of the linearised gap equation is %.6g at %.4g K "
             "and %.6g at %.4g K after %d steps (it must cross 1)",
             ra, Ta, rb, Tb, TCS_MAX_STEPS);
    return AGAPE_OK;
  }
  if (Ta > Tb) {
    double t = Ta;
    Ta = Tb;
    Tb = t;
    t = ra;
    ra = rb;
    rb = t;
  }
  /* u = ln T, f = ln rho; f decreases with u */
  double ua = log(Ta), fa = log(ra), ub = log(Tb), fb = log(rb);
  int side = 0;
  for (int it = 0; it < 60 && fabs(ub - ua) > o->tol; it++) {
    double u = (ua * fb - ub * fa) / (fb - fa), rr;
    double T = exp(u);
    if ((err = eval(rho, ctx, r, T, &rr))) return err;
    double f = log(rr);
    /* |u - u_c| ~ |f| / slope: stop once that is a tenth of the tolerance */
    if (fabs(f) <= 0.1 * o->tol * fabs((fb - fa) / (ub - ua))) {
      ua = ub = u;
      break;
    }
    if ((f > 0) == (fa > 0)) {
      ua = u;
      fa = f;
      if (side == -1) fb /= 2;
      side = -1;
    } else {
      ub = u;
      fb = f;
      if (side == 1) fa /= 2;
      side = 1;
    }
  }
  r->tc = exp(0.5 * (ua + ub));
  r->status = TCS_FOUND;
  return AGAPE_OK;
}
