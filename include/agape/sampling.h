/* Sampling stage: the set of electronic states s the gap equation is solved on.
 * Third stage of the data flow (deck -> material -> sampling -> ...).
 *
 * States 0..n_mc-1 carry k: the material source's own states when it offers them (EPW's
 * Fermi-window states as they are: irreducible k, band, weight wkfs/2 and EPW's Gaussian
 * delta), else Monte-Carlo k-points of the source's bands, drawn with a density concentrated
 * near E_F with a uniform floor (docs/theory.md §6.1). States n_mc..n-1 are the isotropic
 * energy grid (composite Gauss-Legendre on logarithmic panels) that carries the DOS outside
 * the states with k (all states for a source without bands or states).
 * Every state is computed from (seed, global index) with a counter-based generator
 * (Philox4x64), so the states are bitwise identical for any rank and thread count. */
#ifndef AGAPE_SAMPLING_H
#define AGAPE_SAMPLING_H
#include <stdint.h>
#include "agape/error.h"
#include "agape/deck.h"
#include "agape/material.h"

typedef struct {
  int64_t n;    /* all states */
  int64_t n_mc; /* Monte-Carlo (or EPW window) states (first n_mc) */
  double *xi;   /* [n] eV from E_F (never exactly 0) */
  double *w;    /* [n] weights: sum_s w_s F_s approximates sum_n int d^3k/V_BZ F (per spin) */
  double *k;    /* [n*3] crystal coordinates (NaN for grid states); NULL if n_mc == 0 */
  int *band;    /* [n] band index, -1 for grid states; NULL if n_mc == 0 */
  double *feat; /* [n_mc*nfeat] the source's per-state features of the MC states (NULL if none) */
  int nfeat;
  double *fsw;     /* [n] Fermi-surface weight w_s delta(xi_s), 1/eV */
  double dos0;     /* sum_s fsw_s: N(0) seen by the sample, states/eV/spin/cell */
  int64_t n_draws; /* Monte-Carlo draws made ([sampling] npoints; more than n_mc when some fell
                      outside the source's window), 0 for a source's own states */
} agape_states;

/* Whether the states of the deck fit in this node's memory (each rank holds all of them),
 * before anything is allocated: AGAPE_ERR_DECK with a message on rank 0 naming the key and
 * the bytes needed, else AGAPE_OK. Every rank returns the same. */
agape_err agape_states_check(const agape_params *p, const agape_material *m, int rank);

agape_err agape_states_create(const agape_params *p, const agape_material *m, agape_states *st);
void agape_states_destroy(agape_states *st);

/* Composite Gauss-Legendre nodes/weights on [a, b] (0 <= a < b) with panel edges at
 * 0, x0, x0 r, x0 r^2, ... and at the given breakpoints; order points per panel.
 * Returns the number of nodes written to x/wt (capacity cap), or -1 if cap is too small. */
int agape_log_grid(double a, double b, double x0, double r, int order, int nbreak, const double *breaks, int cap,
                   double *x, double *wt);

/* The i-th 4-tuple of uniform [0,1) numbers of the stream keyed by seed (Philox4x64-10). */
void agape_rng_uniform4(uint64_t seed, uint64_t i, double u[4]);

#endif
