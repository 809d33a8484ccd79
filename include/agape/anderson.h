/* Anderson (type II) acceleration of a fixed point x = G(x): pure node-local numerics
 * (kernels/anderson.c), no MPI, no I/O. Used by the SCDFT gap equation (solve.c, and the
 * SPG kernel updates of the driver) and by the Eliashberg equations (eliashberg.c).
 *
 * With the residual r_k = G(x_k) - x_k, one step is
 *     x_{k+1} = x_k + m r_k - sum_h gamma_h (dX_h + m dR_h),   gamma = argmin |r_k - dR gamma|
 * over the last `depth` differences dX_h, dR_h of iterates and residuals (m: the mixing;
 * depth 0 is plain linear mixing x + m r). The least-squares problem is solved by normal
 * equations with a 1e-12 relative Tikhonov shift. O(n depth) per step, in a fixed order:
 * every MPI rank that holds the same replicated vectors computes the same bits.
 *
 * The state is public so that checkpoints can save and restore it (checkpoint.h): the
 * previous iterate and residual (xo, ro; valid when have = 1) and two ring buffers of
 * differences (dX, dR: depth rows of n, hist of them valid, head the next row written). */
#ifndef AGAPE_ANDERSON_H
#define AGAPE_ANDERSON_H
#include <stdint.h>

#define ANDERSON_MAX_DEPTH 64

typedef struct {
  int64_t n;                   /* vector length */
  int depth, hist, head, have; /* history length, valid rows, next row, xo/ro valid */
  double *xo, *ro;             /* [n] previous iterate and residual */
  double *dX, *dR;             /* [n * (depth + 1)] difference histories (ring buffers of depth rows) */
} anderson_mix;

/* In-place pair, for a state embedded in a caller's struct.
 *   a [out] the state;  n [in] vector length;  depth [in] history length, clamped to 0..64.
 * Returns 0, or -1 when out of memory (a is then released). */
int anderson_init(anderson_mix *a, int64_t n, int depth);
/* Free a's arrays (safe on a zeroed or released state). */
void anderson_release(anderson_mix *a);

/* Heap pair: a new state (NULL when out of memory) and its destruction (*a set to NULL). */
anderson_mix *anderson_create(int64_t n, int depth);
void anderson_destroy(anderson_mix **a);

/* Forget the history (the next step is a plain mixing step). */
void anderson_reset(anderson_mix *a);

/* One step.  x [in] x_k, [out] x_{k+1};  r [in] r_k = G(x_k) - x_k (same unit as x);
 * mixing [in] m, dimensionless, in (0, 1]. */
void anderson_step(anderson_mix *a, double *x, const double *r, double mixing);

#endif
