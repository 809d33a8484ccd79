/* Separable phonon operator: the assembly stage's alternative to the N x N kernel for materials
 * whose pair couplings are finite sums of products (the built-in XB12 model, isotropic
 * alpha^2F). Applies
 *   y_s = sum_s' sum_b a_b(s, s') kern(xi_s, u_s', omega_b) v_s'
 * for kern = 𝒦 (phonon kernel, column energies u = |xi| or SPG's E^gamma) or 𝒵 (Z), in
 * O(N nfun) + O(nnodes^2 nfun) per product instead of O(N^2) (kernels.h, "separable pair
 * operator"); no N x N array is formed, and SPG's dependence of the kernel on the gap costs
 * nothing extra: the column energies are an argument of every product.
 *
 * Couplings: a_b(s, s') = |g^b_ss'|^2 from the model (xb12_sep_*) when both states are
 * Monte-Carlo states, else the isotropic a2f_w[b]/N(0) (as the assembly stage's pair
 * couplings), written as  1_mc(s) 1_mc(s') (|g|^2 - c_b) + c_b  with two extra functions.
 *
 * Parallel layout: states are sorted by interpolation panel and cut into chunks of at most
 * AGAPE_SEP_CHUNK states of one panel; each rank takes a contiguous run of chunks (columns and
 * rows alike). Chunk sums are gathered and added in chunk order, so every product is the same
 * bits for any rank and thread count. Energies in eV; T in K. */
#ifndef AGAPE_SEPOP_H
#define AGAPE_SEPOP_H
#include "agape/parallel.h"
#include "agape/sampling.h"
#include "agape/material.h"
#include "agape/assembly.h"
#include "agape/kernels.h"

#define AGAPE_SEP_CHUNK 256
/* The functions of all states are computed once and kept when they take at most this many
 * bytes per rank (N x nfun x 8 B; 151 MB for the built-in model at N = 50,000), else
 * recomputed for each chunk of every product. */
#define AGAPE_SEP_PHI_BYTES 2e9

typedef struct agape_sep agape_sep;
typedef enum { AGAPE_SEP_K = 0, AGAPE_SEP_Z = 1 } agape_sep_kernel;

/* Whether m's couplings have a separable form (a source with sep_phi, or without pair
 * couplings; never a fixed kernel). */
int agape_sep_available(const agape_material *m);

/* The temperature-independent part: coupling entries and per-state data; cp: the sample's
 * Fermi-surface coupling (agape_assembly_couplings), for the energy-grid states. Collective only in its error agreement. */
agape_err agape_sep_create(const agape_par *par, const agape_states *st, const agape_material *m,
                           const agape_coupling *cp, agape_sep **out);
void agape_sep_destroy(agape_sep **s);

/* Tabulate 𝒦 and 𝒵 of functional fun at temperature T (K) on the node grid. umax_extra: how
 * far beyond max|xi| column energies may lie (SPG: sqrt(gamma3) max|Delta|), eV. */
agape_err agape_sep_set_T(agape_sep *s, double T, kern_functional fun, kern_spg_gammas gam, double umax_extra);

/* y [out, n] = the product above with v [in, n]; u [in, n] column energies or NULL for |xi|.
 * Collective; y is replicated on every rank. Returns AGAPE_ERR_NUMERIC (on every rank) if a
 * column energy lies beyond the grid of agape_sep_set_T. */
agape_err agape_sep_apply(agape_sep *s, agape_sep_kernel which, const double *u, const double *v, double *y);

/* Z_s = -sum_s' w_s' sum_b a_b 𝒵(xi_s, xi_s', omega_b) into z [n]. Collective. */
agape_err agape_sep_z(agape_sep *s, double *z);

/* Node count of the current grid and column functions (for the log). */
int agape_sep_nnodes(const agape_sep *s);
int agape_sep_nfun(const agape_sep *s);

#endif
