/* Solve stage: the SCDFT gap equation (docs/theory.md) on the distributed kernel.
 *
 *   Delta_s = -1/(1+Z_s) * 1/2 * [ sum_{s'} K^ph_{ss'} cph_{s'} Delta_{s'}
 *                                  + (mu/N(0)) sum_{s'} cel_{s'} Delta_{s'} ]
 * with column factors cph = w tanh(beta E^ph/2)/E^ph and cel = w tanh(beta E/2)/E
 * (E = sqrt(xi^2 + Delta^2); E^ph = E for LMG and sqrt(xi^2 + gamma3 Delta^2) for SPG).
 * Linearised (Delta -> 0): cph = cel = w tanh(beta|xi|/2)/|xi|, and Tc is where the
 * leading eigenvalue rho(T) of that operator crosses 1 (docs/theory.md).
 * Vectors are replicated on every rank and identical bitwise on all of them. */
#ifndef AGAPE_SOLVE_H
#define AGAPE_SOLVE_H
#include "agape/parallel.h"
#include "agape/sampling.h"
#include "agape/sepop.h"
#include "agape/kernels.h"
#include "agape/anderson.h"

typedef struct {
  const agape_par *par;
  const agape_dist *d;
  int64_t n;
  const float *K;  /* local block of K^ph, eV */
  const double *z; /* [n] Z_s */
  double coul;     /* mu / N(0), eV (rank-one static Coulomb kernel) */
  double *work;    /* [n + nloc] scratch */
  /* energy-resolved Coulomb kernel W(xi_s, xi_s') (replaces coul when ne > 0): linear
   * interpolation between ne energies, W = sum_pp' h_p(xi_s) wtab_pp' h_p'(xi_s') */
  int ne;
  const double *wtab; /* [ne * ne] eV */
  int32_t *cidx;      /* [n] lower node of each state */
  double *cwt;        /* [n] weight of the upper node */
  double *cv;         /* [2 ne] scratch */
  /* separable phonon operator (sepop.h) instead of the stored K, when set; ucol: the column
   * energies of its next product (NULL: |xi|; SPG: E^gamma of the current gap) */
  struct agape_sep *sep;
  const double *ucol;
  agape_err err;  /* first error of a product (the product is then NaN) */
  int64_t napply; /* products so far */
} agape_op;

agape_err agape_op_init(agape_op *op, const agape_par *par, const agape_dist *d, int64_t n, const float *K,
                        const double *z, double coul);
void agape_op_free(agape_op *op);
/* Use the energy-resolved Coulomb kernel wtab (ne x ne, eV) on the increasing energies
 * axis[0..ne) (eV) instead of the constant coul; states beyond the axis take the end values.
 * xi [in] n state energies, eV. */
agape_err agape_op_set_coulomb_table(agape_op *op, int ne, const double *axis, const double *wtab, const double *xi);

/* y = operator(x) with the column factors cph, cel (see above). Collective. */
void agape_op_apply(agape_op *op, const double *cph, const double *cel, const double *x, double *y);

/* Linearised column factor w tanh(beta|xi|/2)/|xi| (T in K; T = 0: w/|xi|). */
void agape_linear_factor(const agape_states *st, double T, double *c);

/* Leading (largest real part) eigenvalue of the linearised operator by restarted Arnoldi
 * (arnoldi.h: Krylov dimension 24, at most 200 restarts); a stop request (stop.h) is looked
 * at before every product.
 *   c    [in] the column factor (agape_linear_factor)
 *   v    [in/out] start vector (any nonzero; a previous eigenvector is best), eigenvector out
 *   rho  [out] eigenvalue;  tol [in] relative residual. Collective. */
agape_err agape_leading_eigen(agape_op *op, const double *c, double tol, double *v, double *rho);

typedef struct {
  double T; /* K */
  kern_functional functional;
  double gamma3;
  double tol, mixing;
  int max_iter, depth;
  int verbose; /* progress lines on rank 0 */
} agape_gap_opts;

/* Nonlinear fixed point with Anderson mixing at one temperature; delta [in/out] (eV).
 * Converged when max_s |F(Delta)_s - Delta_s| <= tol * max_s |F(Delta)_s|, or when the gap
 * collapses to the normal state (max |Delta| below 1e-10 of its start). Collective. */
agape_err agape_gap_solve(agape_op *op, const agape_states *st, const agape_gap_opts *o, double *delta, int *iterations,
                          int *converged, double *residual);

#endif
