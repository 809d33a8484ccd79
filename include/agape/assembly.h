/* Assembly stage: each rank builds ITS block of the phonon kernel K^ph_{ss'}(T) (float,
 * block-cyclic, see parallel.h) and its share of Z_s(T), from the pair kernels of
 * kernels/ and the material's couplings. Also the Fermi-surface coupling (alpha^2F mode
 * weights, lambda, omega_log) of the sampled states. Data flow:
 * ... -> sampling -> coulomb -> assembly -> solve -> output.
 *
 * Pair couplings A_{ss'b} (eV^2): model |g^b_{ss'}|^2 when both states are Monte-Carlo
 * states; for EPW data, the window states' couplings sum_{q: rep(k+q) = k'} w_q g2 / w_s'
 * split onto the frequency nodes b (material.h); the Fermi-surface average a2f_w[b]/N(0)
 * when either is an energy-grid state (physics.md §1.6, constant-|g|^2 approximation away
 * from the sampled manifold).
 * The static Coulomb kernel of mode "mu" is the constant mu/N(0) over the whole energy
 * window; it is rank one and is applied by the solver, not stored. */
#ifndef AGAPE_ASSEMBLY_H
#define AGAPE_ASSEMBLY_H
#include "agape/parallel.h"
#include "agape/material.h"
#include "agape/sampling.h"
#include "agape/kernels.h"

/* For MATK_MODEL: Fermi-surface alpha^2F mode weights (m->a2f_w), N(0), lambda and
 * omega_log from the sampled Monte-Carlo states (Gaussian delta of the sampling stage),
 * summed through the model's separable couplings in O(N) by every rank.
 * For MATK_EPW (SCDFT): the same from the window states' couplings (EPW's delta), summed
 * by every rank in one fixed order. Collective. */
agape_err agape_assembly_couplings(const agape_par *par, const agape_dist *d, const agape_states *st,
                                   agape_material *m);

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
                               const agape_material *m, double T, kern_functional fun, kern_spg_gammas gam,
                               const double *xi_col, int interp, float *K, double *z);

#endif
