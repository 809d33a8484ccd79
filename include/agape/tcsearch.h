/* Tc search: the temperature where the leading eigenvalue rho(T) of a linearised gap
 * equation crosses 1 (rho > 1 below Tc, rho < 1 above). Pure node-local numerics
 * (kernels/tcsearch.c), no MPI, no I/O; shared by SCDFT and Eliashberg. rho(T) comes as a
 * callback, which may be collective: every rank runs the same search on the same values.
 *
 * Algorithm (docs/design.md, "Tc"):
 *  1. bracket: from T_guess, secant steps in (ln T, ln rho), since rho ~ T^-s near Tc
 *     (s = 0.5 at first, then the slope measured between the last two points when it lies
 *     in (0.05, 20)); a step is clamped to a factor in [1.01, 4] upwards (rho > 1) or
 *     [1/4, 0.99] downwards, for 30 steps; after them, or when rho no longer changes with T
 *     (|measured slope| < 1e-3) or is not positive, steps of the full factor 4 (1/4), so that
 *     the search always ends at a crossing, at T_floor (TCS_NONE) or at T_ceil (at most 90 steps);
 *     T_guess is moved into [T_floor, T_ceil], a step past T_floor (T_ceil) is cut to it, and
 *     rho < 1 at T_floor (rho > 1 at T_ceil) ends the search;
 *  2. Illinois regula falsi on ln rho versus ln T until the bracket is narrower than tol in
 *     ln T, or until |ln rho| at the newest point is below 0.1 tol times the bracket's
 *     slope (that point is then Tc); at most 60 steps. Tc = the bracket's geometric mean.
 * A search that brackets Tc within the 30 secant steps while rho keeps changing with T makes
 * the same sequence of evaluations as the driver's search before this module. */
#ifndef AGAPE_TCSEARCH_H
#define AGAPE_TCSEARCH_H
#include "agape/error.h"

/* rho [out] = leading eigenvalue (dimensionless) at T [in] (K). Any code but AGAPE_OK ends
 * the search and is returned by tcs_search. */
typedef agape_err (*tcs_rho_fn)(void *ctx, double T, double *rho);

typedef enum {
  TCS_FOUND = 0,       /* tc is the crossing, to tol */
  TCS_NONE = 1,        /* rho < 1 at every temperature tried down to T_floor: not superconducting
                          above T_floor, tc = 0 */
  TCS_NO_BRACKET = 2,  /* no crossing found (rho above 1 up to T_ceil, or 90 steps without a
                          crossing in an unbounded range): tc = NaN; msg says why */
  TCS_NOT_SEARCHED = 3 /* set by the callers when the deck asks for no search (tc = NaN) */
} tcs_status;

/* The range of both pipelines' searches (docs/design.md, "Tc"): down to TCS_T_FLOOR_K, or to
 * where the linearised equation would need more than TCS_MATSUBARA_MAX positive Matsubara
 * frequencies below wscut if that is higher (Eliashberg; SCDFT has no Matsubara axis), so that
 * one evaluation costs at most about a second (the isotropic eigenproblem is dense in the
 * frequencies); up to TCS_T_CEIL_K. */
#define TCS_T_FLOOR_K     1e-3
#define TCS_T_CEIL_K      5000.0
#define TCS_MATSUBARA_MAX 2000

typedef struct {
  double T_guess; /* K, the first temperature evaluated (> 0; moved into [T_floor, T_ceil]) */
  double tol;     /* width of the final bracket in ln T (the deck's tc_tol) */
  double T_floor; /* K: the lowest temperature evaluated; rho < 1 there ends the search with TCS_NONE */
  double T_ceil;  /* K: the highest; rho > 1 there ends it with TCS_NO_BRACKET (INFINITY: none) */
} tcs_opts;

typedef struct {
  tcs_status status;
  double tc;         /* K (above) */
  int neval;         /* evaluations made */
  int nh;            /* evaluations recorded in T, rho (the first cap of them) */
  double T_lo, T_hi; /* K: the lowest and highest temperature evaluated (NaN: none) */
  double *T;         /* [cap] caller's array: the temperatures evaluated, in order, K */
  double *rho;       /* [cap] caller's array: rho at each */
  int cap;           /* length of T and rho */
  char msg[512];     /* TCS_NONE / TCS_NO_BRACKET: one sentence for the user ("" when found) */
} tcs_result;

/* Run the search. r->T, r->rho, r->cap are the caller's (cap may be 0); the rest is set.
 * Returns AGAPE_OK (whatever the status), AGAPE_ERR_INTERNAL for bad options, or the
 * callback's error. */
agape_err tcs_search(const tcs_opts *o, tcs_rho_fn rho, void *ctx, tcs_result *r);

#endif
