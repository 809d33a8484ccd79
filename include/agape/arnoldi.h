/* Leading eigenvalue (largest real part) of a real linear operator by restarted Arnoldi:
 * pure node-local numerics (kernels/arnoldi.c), no MPI, no I/O. Used by the SCDFT Tc
 * search (solve.c) and the anisotropic Eliashberg Tc search (eliashberg.c).
 *
 * The operator comes as a callback y = A x. The vectors are replicated: under MPI every
 * rank calls arnoldi_leading with the same start vector and its callback returns the same
 * y on every rank (a callback may do MPI reductions to get there), so every rank computes
 * the same bits and takes the same branches.
 *
 * Method: Krylov dimension m, classical Gram-Schmidt applied twice, LAPACK dgeev on the
 * m x m Hessenberg matrix, restart from the Ritz vector of the eigenvalue with the largest
 * real part until |h_{m+1,m} y_m| / |y| <= tol |theta| (or the Krylov space is invariant). */
#ifndef AGAPE_ARNOLDI_H
#define AGAPE_ARNOLDI_H
#include <stdint.h>
#include "agape/error.h"

/* The operator: y [out, n] = A x [in, n]. Returns AGAPE_OK, or any other code to stop
 * the iteration at once (arnoldi_leading returns that code, e.g. AGAPE_STOPPED). */
typedef agape_err (*arnoldi_apply_fn)(void *ctx, const double *x, double *y);

typedef struct arnoldi_ws arnoldi_ws;

/* Workspace for vectors of length n and Krylov dimension m (>= 2): (m + 1) n + O(m^2)
 * doubles. NULL when out of memory. */
arnoldi_ws *arnoldi_create(int64_t n, int m);
void arnoldi_destroy(arnoldi_ws **w); /* *w set to NULL */

/* Leading eigenpair of A.
 *   apply, ctx  [in] the operator (above)
 *   tol         [in] relative residual of the eigenpair (dimensionless)
 *   max_restart [in] restarts before AGAPE_ERR_NUMERIC (the last Ritz pair is still returned)
 *   v           [in] start vector (any; a zero vector is replaced by all ones; a previous
 *               eigenvector is best), [out] the eigenvector, unit 2-norm, sign such that its
 *               sum is >= 0
 *   rho         [out] the eigenvalue (real part)
 * Returns AGAPE_OK, AGAPE_ERR_NUMERIC (dgeev failed, or no convergence), or the callback's
 * code (v and rho then untouched). */
agape_err arnoldi_leading(arnoldi_ws *w, arnoldi_apply_fn apply, void *ctx, double tol, int max_restart, double *v,
                          double *rho);

#endif
