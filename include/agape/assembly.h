/* Assembly stage: each rank builds ITS block of the phonon kernel K^ph_{ss'}(T) (float,
 * block-cyclic, see parallel.h) and its share of Z_s(T), from the pair kernels of kernels/
 * and the material's couplings (material.h). Also the Fermi-surface coupling of the sampled
 * states (alpha^2F node weights, N(0), lambda, omega_log), returned as an agape_coupling.
 * Data flow: ... -> sampling -> coulomb -> assembly -> solve -> output.
 *
 * Pair couplings A_{ss'b} (eV^2): the source's pair couplings when both states carry k
 * (model |g^b_{ss'}|^2; EPW's window-state couplings on frequency nodes); the Fermi-surface
 * average a2f_w[b]/N(0) when either is an energy-grid state (docs/theory.md §6.5,
 * constant-|g|^2 approximation away from the sampled manifold). A source with a fixed kernel
 * (the square well) gives K directly and Z = 0.
 * The static Coulomb kernel of mode "mu" is the constant mu/N(0) over the whole energy
 * window; it is rank one and is applied by the solver, not stored. */
#ifndef AGAPE_ASSEMBLY_H
#define AGAPE_ASSEMBLY_H
#include "agape/parallel.h"
#include "agape/material.h"
#include "agape/sampling.h"
#include "agape/kernels.h"

/* The Fermi-surface coupling of a sample: what the assembly stage computes once and every
 * later stage reads (never written back into the material). */
typedef struct {
  int nmodes;          /* frequency nodes (the material's) */
  const double *omega; /* [nmodes] eV (borrowed from the material) */
  double *a2f_w;       /* [nmodes] Fermi-surface spectral weights, eV */
  double dos0;         /* N(0), states/eV/spin/cell */
  double lambda;       /* 2 sum a2f_w/omega (the source's own lambda when it gives the weights) */
  double omega_log;    /* eV */
} agape_coupling;

/* The Fermi-surface coupling: for a source with fs_weights, the node weights, N(0), lambda and
 * omega_log of the sampled states (their Fermi-surface weights fsw), summed by every rank in
 * one fixed order; otherwise the source's own spectrum, N(0), lambda and omega_log.
 * Collective. Free with agape_coupling_destroy. */
agape_err agape_assembly_couplings(const agape_par *par, const agape_states *st, const agape_material *m,
                                   agape_coupling *cp);
void agape_coupling_destroy(agape_coupling *cp);

/* Build the local block of K^ph(T) and/or Z(T). Collective when z != NULL.
 *   T       [in] temperature, K (0: zero-temperature kernels)
 *   fun     [in] functional; gam [in] SPG constants
 *   xi_col  [in] n column energies (eV) for the kernel's second argument, or NULL for xi
 *               (SPG nonlinear: E^gamma_{s'} = sqrt(xi^2 + gamma3 Delta^2))
 *   K       [out] mloc x nloc local block, row-major, eV (NULL: not built)
 *   interp  [in] 0: closed-form kernel for every pair; 1: each own row tabulated exactly on a
 *               column-energy grid and interpolated per pair (kernels.h, column interpolation;
 *               error below 1e-10 (K) / 1e-8 (Z) relative, under the float storage of K)
 *   K       [out] mloc x nloc local block, row-major, eV (NULL: not built)
 *   z       [out] n replicated Z_s, dimensionless (NULL: not built; always with xi columns) */
agape_err agape_assembly_build(const agape_par *par, const agape_dist *d, const agape_states *st,
                               const agape_material *m, const agape_coupling *cp, double T, kern_functional fun,
                               kern_spg_gammas gam, const double *xi_col, int interp, float *K, double *z);

#endif
