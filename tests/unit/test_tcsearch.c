/* Tc search (kernels/tcsearch.c) on model curves rho(T):
 *   1. rho = (T0/T)^s (power law, s = 0.3 and 2), guesses below and above T0: Tc within
 *      tc_tol of T0 in ln T;
 *   2. rho = 1/(1 + a ln(T/T0)) (a BCS-like logarithm, a = 0.25): Tc within tc_tol;
 *   3. rho < 1 at every T: status TCS_NONE, Tc = 0, a message naming the floor, the last
 *      temperature tried the floor itself: 0.3 (1 + T/100)^-1; a curve that
 *      creeps (0.95 (T/T0)^0.01: the secant's 1 % steps alone end 30 steps later far above
 *      the floor, which was TCS_NO_BRACKET before the full steps); and a curve frozen below 1
 *      (0.9 at every T, as SCDFT's rho of states farther than a few k_B T from E_F) in few
 *      evaluations;
 *      A step past the floor goes to the floor (a Tc between them is found), a guess below
 *      the floor starts at it, a step past the ceiling goes to it;
 *   4. rho > 1 at every T: TCS_NO_BRACKET, Tc NaN and a message, with and without a
 *      ceiling (the ceiling ends it before 30 steps; without one, 90 steps);
 *   5. the history records every evaluation in order (up to the caller's capacity), and a
 *      callback error (AGAPE_STOPPED) ends the search and is returned;
 *   6. the same temperatures, bit for bit, as ref_search: the driver's search as it was
 *      before the module (src/app/driver.c, tc_search), kept here as a reference twin, on
 *      every curve of 1 and 2 and a steep one (s = 8), so that SCDFT's Tc stays the same; on
 *      the curve of 3 below 1 everywhere, the same temperatures and then the floor itself. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/tcsearch.h"
#include <math.h>
#include <string.h>

typedef struct {
  int kind;
  double T0, s, a;
  int calls, stop_at;
  double lastT[256];
} curve;

static agape_err rho_of(void *ctx, double T, double *rho)
{
  curve *c = ctx;
  if (c->stop_at > 0 && c->calls >= c->stop_at) return AGAPE_STOPPED;
  if (c->calls < 256) c->lastT[c->calls] = T;
  c->calls++;
  switch (c->kind) {
  case 0: *rho = pow(c->T0 / T, c->s); break;
  case 1: {
    double den = 1 + c->a * log(T / c->T0);
    *rho = den > 1e-3 ? 1 / den : 1e3; /* the pole below T0 exp(-1/a): large */
    break;
  }
  case 2: *rho = 0.3 / (1 + T / 100); break;
  case 4: *rho = c->a * pow(T / c->T0, c->s); break;
  case 5: *rho = c->a; break;
  default: *rho = 2.0; break;
  }
  return AGAPE_OK;
}

/* The driver's Tc search before tcsearch.c, verbatim but for the evaluation (into hT) and
 * the floor (1e-3 K): the reference twin of tcs_search. Returns the evaluations made. */
static int ref_search(curve *c, double Tguess, double tc_tol, double *tc, double *hT)
{
  double Ta = Tguess, ra, Tb, rb;
  int nh = 0;
#define EVAL(T, r)                                                                                                     \
  do {                                                                                                                 \
    rho_of(c, (T), &(r));                                                                                              \
    hT[nh++] = (T);                                                                                                    \
  } while (0)
  EVAL(Ta, ra);
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
    if (Tb < 1e-3) {
      *tc = 0;
      return nh;
    }
    EVAL(Tb, rb);
  }
  if ((ra > 1) == (rb > 1)) {
    *tc = NAN;
    return nh;
  }
  if (Ta > Tb) {
    double t = Ta;
    Ta = Tb;
    Tb = t;
    t = ra;
    ra = rb;
    rb = t;
  }
  double ua = log(Ta), fa = log(ra), ub = log(Tb), fb = log(rb);
  int side = 0;
  for (int it = 0; it < 60 && fabs(ub - ua) > tc_tol; it++) {
    double u = (ua * fb - ub * fa) / (fb - fa), r;
    double T = exp(u);
    EVAL(T, r);
    double f = log(r);
    if (fabs(f) <= 0.1 * tc_tol * fabs((fb - fa) / (ub - ua))) {
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
#undef EVAL
  *tc = exp(0.5 * (ua + ub));
  return nh;
}

int main(void)
{
  const double tol = 1e-6;
  double hT[64], hr[64];
  /* 1, 2 */
  struct {
    int kind;
    double T0, s, a, guess;
  } cases[] = {{0, 7.3, 0.3, 0, 1.0},
               {0, 7.3, 0.3, 0, 300.0},
               {0, 41.0, 2.0, 0, 3.0},
               {1, 12.5, 0, 0.25, 2.0},
               {1, 12.5, 0, 0.25, 80.0}};
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    curve c = {.kind = cases[i].kind, .T0 = cases[i].T0, .s = cases[i].s, .a = cases[i].a};
    tcs_opts o = {.T_guess = cases[i].guess, .tol = tol, .T_floor = 1e-3, .T_ceil = INFINITY};
    tcs_result r = {.T = hT, .rho = hr, .cap = 64};
    agape_err err = tcs_search(&o, rho_of, &c, &r);
    double dev = fabs(log(r.tc / c.T0));
    int hist_ok = r.neval == c.calls && r.nh == (r.neval < 64 ? r.neval : 64);
    for (int k = 0; k < r.nh; k++) hist_ok &= hT[k] == c.lastT[k];
    check(err == AGAPE_OK && r.status == TCS_FOUND && dev <= tol && hist_ok,
          "%s T0 = %g, guess %g: Tc = %.9g, |ln(Tc/T0)| = %.1e (<= %g), %d evaluations recorded in order",
          c.kind ? "1/(1 + a ln(T/T0))" : "(T0/T)^s", c.T0, cases[i].guess, r.tc, dev, tol, r.neval);
  }
  /* 3 */
  {
    struct {
      curve c;
      int maxeval;
      const char *what;
    } none[] = {{{.kind = 2}, 64, "0.3 / (1 + T/100)"},
                {{.kind = 4, .T0 = 5, .s = 0.01, .a = 0.95}, 64, "creeping 0.95 (T/5)^0.01"},
                {{.kind = 5, .a = 0.9}, 12, "frozen 0.9"}};
    for (unsigned i = 0; i < sizeof none / sizeof none[0]; i++) {
      curve c = none[i].c;
      tcs_opts o = {.T_guess = 5, .tol = tol, .T_floor = 1e-3, .T_ceil = INFINITY};
      tcs_result r = {.T = hT, .rho = hr, .cap = 64};
      agape_err err = tcs_search(&o, rho_of, &c, &r);
      check(err == AGAPE_OK && r.status == TCS_NONE && r.tc == 0 && strstr(r.msg, "floor T_floor = 0.001 K") &&
              r.T_lo == hT[r.nh - 1] && r.T_lo == 1e-3 && r.T_hi == 5 && r.neval <= none[i].maxeval,
            "%s < 1 everywhere: TCS_NONE, Tc = 0 after %d evaluations (<= %d), lowest %.3g K: %s", none[i].what,
            r.neval, none[i].maxeval, r.T_lo, r.msg);
    }
  }
  /* 3b: the range's edges */
  {
    curve c = {.kind = 0, .T0 = 1.3e-3, .s = 2};
    tcs_opts o = {.T_guess = 3.5e-3, .tol = tol, .T_floor = 1e-3, .T_ceil = INFINITY};
    tcs_result r = {.T = hT, .rho = hr, .cap = 64};
    agape_err err = tcs_search(&o, rho_of, &c, &r);
    check(err == AGAPE_OK && r.status == TCS_FOUND && fabs(log(r.tc / c.T0)) <= tol && hT[1] == 1e-3,
          "a step past the floor goes to the floor: Tc = %.6g K (T0 = 1.3e-3) found between it and the guess", r.tc);
    c = (curve){.kind = 0, .T0 = 7.3, .s = 0.3};
    o = (tcs_opts){.T_guess = 0.5, .tol = tol, .T_floor = 2, .T_ceil = 6};
    err = tcs_search(&o, rho_of, &c, &r);
    check(err == AGAPE_OK && r.status == TCS_NO_BRACKET && hT[0] == 2 && r.T_lo == 2 && r.T_hi == 6,
          "a guess below the floor starts at the floor (%.3g K), a step past the ceiling goes to it (%.3g K)", hT[0],
          r.T_hi);
  }
  /* 4 */
  {
    curve c = {.kind = 3};
    tcs_opts o = {.T_guess = 5, .tol = tol, .T_floor = 1e-3, .T_ceil = INFINITY};
    tcs_result r = {.T = hT, .rho = hr, .cap = 64};
    agape_err err = tcs_search(&o, rho_of, &c, &r);
    check(err == AGAPE_OK && r.status == TCS_NO_BRACKET && isnan(r.tc) && r.neval == 91 &&
            strstr(r.msg, "could not be bracketed"),
          "rho > 1 everywhere: TCS_NO_BRACKET after %d evaluations: %s", r.neval, r.msg);
    c = (curve){.kind = 3};
    o.T_ceil = 5000;
    err = tcs_search(&o, rho_of, &c, &r);
    check(err == AGAPE_OK && r.status == TCS_NO_BRACKET && isnan(r.tc) && r.neval < 10 && hT[r.nh - 1] == 5000 &&
            strstr(r.msg, "above the range"),
          "... with a ceiling of 5000 K: %d evaluations, highest %.4g K: %s", r.neval, hT[r.nh - 1], r.msg);
  }
  /* 5 */
  {
    curve c = {.kind = 0, .T0 = 7.3, .s = 0.3, .stop_at = 3};
    tcs_opts o = {.T_guess = 1, .tol = tol, .T_floor = 1e-3, .T_ceil = INFINITY};
    double sT[2], sr[2];
    tcs_result r = {.T = sT, .rho = sr, .cap = 2};
    agape_err err = tcs_search(&o, rho_of, &c, &r);
    check(err == AGAPE_STOPPED && r.neval == 3 && r.nh == 2 && sT[0] == 1,
          "a callback error ends the search and is returned; a capacity of 2 records 2 of %d", r.neval);
    o.tol = 0;
    check(tcs_search(&o, rho_of, &c, &r) == AGAPE_ERR_INTERNAL, "tol = 0 is refused");
  }
  /* 6 */
  {
    struct {
      int kind;
      double T0, s, a, guess, tol;
    } tw[] = {{0, 7.3, 0.3, 0, 1.0, 1e-5},   {0, 7.3, 0.3, 0, 300.0, 1e-5},  {0, 41.0, 2.0, 0, 3.0, 1e-6},
              {1, 12.5, 0, 0.25, 2.0, 1e-5}, {1, 12.5, 0, 0.25, 80.0, 1e-9}, {0, 3.3, 8.0, 0, 0.7, 1e-5},
              {2, 0, 0, 0, 5.0, 1e-5}};
    for (unsigned i = 0; i < sizeof tw / sizeof tw[0]; i++) {
      curve c1 = {.kind = tw[i].kind, .T0 = tw[i].T0, .s = tw[i].s, .a = tw[i].a}, c2 = c1;
      double rT[128], tc_ref;
      int nref = ref_search(&c1, tw[i].guess, tw[i].tol, &tc_ref, rT);
      tcs_opts o = {.T_guess = tw[i].guess, .tol = tw[i].tol, .T_floor = 1e-3, .T_ceil = INFINITY};
      double mT[128], mr[128];
      tcs_result r = {.T = mT, .rho = mr, .cap = 128};
      tcs_search(&o, rho_of, &c2, &r);
      /* a curve below 1 everywhere: the driver's search stopped before the floor, this one
       * evaluates the floor itself last */
      const int extra = tw[i].kind == 2;
      int same = r.neval == nref + extra && memcmp(&r.tc, &tc_ref, sizeof tc_ref) == 0;
      for (int k = 0; same && k < nref; k++) same = memcmp(&mT[k], &rT[k], sizeof(double)) == 0;
      if (same && extra) same = mT[nref] == 1e-3;
      check(same, "curve %u: the same %d temperatures%s and Tc = %.12g as the driver's search (%d, %.12g)", i, nref,
            extra ? " (then the floor)" : "", r.tc, nref, tc_ref);
    }
  }
  return check_summary();
}
