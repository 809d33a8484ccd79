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
  double unreached;    /* share of the Fermi-surface pair weight sum_ss' fsw_s fsw_s' / N(0)^2
                          that the source's data do not reach (those pairs take the average) */
} agape_coupling;

/* The Fermi-surface coupling: for a source with fs_weights, the node weights, N(0), lambda and
 * omega_log of the sampled states (their Fermi-surface weights fsw), summed by every rank in
 * one fixed order; otherwise the source's own spectrum, N(0), lambda and omega_log.
 * Collective. Free with agape_coupling_destroy. */
agape_err agape_assembly_couplings(const agape_par *par, const agape_states *st, const agape_material *m,
                                   agape_coupling *cp);
void agape_coupling_destroy(agape_coupling *cp);

/* Rank 0 prints the sample's N(0) and lambda beside the source's own and warns when the two
 * N(0) differ by more than AGAPE_DOS_AGREE (sources whose couplings come from the sample). */
void agape_assembly_report(const agape_par *par, const agape_states *st, const agape_material *m,
                           const agape_coupling *cp);

/* The sample's Fermi-surface spectrum in the Eliashberg stage's form (no states): the nodes,
 * cp's weights, N(0), lambda, omega_log, and omega_2 = [(2/lambda) sum a2f_w omega]^(1/2). */
void agape_assembly_fs_spectrum(const agape_coupling *cp, agape_fs_data *fs);

/* The Fermi-surface states of a Monte-Carlo sample with their pair couplings, in the form the
 * Eliashberg equations read (material.h: agape_fs_pairs, agape_fs_data):
 *  - the states with a Fermi-surface weight (fsw != 0), with wk = w (1/(N p)) and
 *    fsd = fsw / w (the sample's delta, of width fs_width eV);
 *  - each own row (agape_par_rows over these states) holds every state as a column with its
 *    couplings A_ss'b (eV^2) on the material's nodes (lines = nodes, col_wk = 1), the zero
 *    ones left out; the other ranks' rows are empty;
 *  - the spectrum is the sample's (cp), omega_2 from its nodes; the mu* phase space uniform.
 * Collective (errors agreed). Free with agape_fs_sample_destroy. */
typedef struct {
  agape_fs_pairs pairs;
  agape_fs_data fs;
  double *xi, *wk, *fsd, *k; /* [ns], [ns], [ns], [3 ns] */
  int *band;                 /* [ns] */
  int64_t *row_ptr;          /* [ns + 1] */
  int32_t *col, *line;       /* [nnz] */
  double *g2;                /* [nnz] eV^2 */
} agape_fs_sample;
agape_err agape_assembly_fs_sample(const agape_par *par, const agape_states *st, const agape_material *m,
                                   const agape_coupling *cp, double fs_width, agape_fs_sample *fss);
void agape_fs_sample_destroy(agape_fs_sample *fss);

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
