/* Tc search (see include/agape/tcsearch.h). */
#include "agape/tcsearch.h"
#include <math.h>
#include <stdio.h>

/* one evaluation, recorded */
static agape_err eval(tcs_rho_fn rho, void *ctx, tcs_result *r, double T, double *out)
{
  agape_err err = rho(ctx, T, out);
  if (err) return err;
  r->neval++;
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
  r->msg[0] = '\0';
  if (!(o->T_guess > 0) || !(o->tol > 0) || !rho) return AGAPE_ERR_INTERNAL;
  double Ta = o->T_guess, ra, Tb, rb;
  agape_err err;
  if ((err = eval(rho, ctx, r, Ta, &ra))) return err;
  /* bracket by secant steps in (ln T, ln rho): rho ~ T^-s near Tc with s = d ln rho / d ln T
   * of order lambda_eff (start s = 0.5, then the measured slope), each step clamped to a
   * factor 4 and at least 1 % */
  Tb = Ta;
  rb = ra;
  double slope = 0.5;
  int k = 0;
  while ((rb > 1) == (ra > 1) && k++ < 30) {
    if (k > 1) {
      double sl = -log(rb / ra) / log(Tb / Ta);
      if (sl > 0.05 && sl < 20) slope = sl;
      Ta = Tb;
      ra = rb;
    }
    double f = pow(ra, 1.0 / slope);
    if (ra > 1)
      f = fmin(fmax(f, 1.01), 4.0);
    else
      f = fmax(fmin(f, 0.99), 0.25);
    Tb = Ta * f;
    if (Tb < o->T_floor) {
      r->status = TCS_NONE;
      r->tc = 0;
      snprintf(r->msg, sizeof r->msg,
               "the leading eigenvalue of the linearised gap equation stays below 1 down to %.4g K "
               "(%.6g there): not superconducting above %.4g K, Tc = 0",
               Ta, ra, o->T_floor);
      return AGAPE_OK;
    }
    if (Tb > o->T_ceil) {
      snprintf(r->msg, sizeof r->msg,
               "Tc could not be bracketed: the leading eigenvalue of the linearised gap equation is still "
               "%.6g at %.4g K, and the search stops at %.4g K (Tc above the range)",
               ra, Ta, o->T_ceil);
      return AGAPE_OK;
    }
    if ((err = eval(rho, ctx, r, Tb, &rb))) return err;
  }
  if ((ra > 1) == (rb > 1)) {
    snprintf(r->msg, sizeof r->msg,
             "Tc could not be bracketed: the leading eigenvalue of the linearised gap "
             "equation is %.6g at %.4g K and %.6g at %.4g K (it must cross 1). If it stays below 1 "
             "as T falls, the sample is not superconducting; with EPW data, a value that no longer changes "
             "with T means no state lies within k_B T of E_F (too coarse a k mesh near the Fermi level)",
             ra, Ta, rb, Tb);
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
