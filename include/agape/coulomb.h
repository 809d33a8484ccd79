/* Coulomb stage (deck -> material -> sampling -> coulomb -> assembly -> solve -> output):
 * the static screened Coulomb interaction entering the gap equation.
 *
 *   mode = mu   mu = N(0) W given in the deck; W constant over the whole energy window.
 *   mode = rpa  mu computed from the built-in model's own bands (docs/theory.md §5.3-5.6):
 *     1. bands and orbital eigenvectors on a regular n^3 k-grid (rpa_kgrid);
 *     2. the orbital-resolved chi0(q) by the imaginary-time FFT route (chi0.h) at the
 *        electronic temperature rpa_temperature_K, tau points split over the ranks;
 *     3. for every q of the grid, chi0_{GG'}(q) on the sphere |q+G| <= rpa_gcut_invA with the
 *        Gaussian t2 cluster-orbital form factors (rpa.h, radius orbital_radius_A), eps =
 *        1 - v chi0 and W = eps^-1 v inverted with ScaLAPACK on the process grid; at q = 0 the
 *        head is the Thomas-Fermi W averaged over the q-cell around Gamma and the wings are 0;
 *     4. mu = N(0) <W_{kn,k'n'}>_FS, the double Fermi-surface average over pairs of grid
 *        states (Gaussian delta of width rpa_smearing_meV), with
 *        W_{kn,k'n'} = (1/Omega) sum_GG' M_G^* W_GG'(k'-k) M_G', M_G = <kn|e^{-i(q+G)r}|k'n'>.
 *     5. the energy-resolved W(xi, xi') (bins over the bands), used by the gap equation.
 *   mode = rpa with qe_save: steps 1-5 from the Kohn-Sham states of a Quantum ESPRESSO save
 *     folder instead (qe_save.h, qe_chi0.h): its own full k grid, bands to E_F +
 *     rpa_band_cutoff_eV, |q + G| <= rpa_gmax_bohr, the run's smearing; W = (v^-1 - chi0)^-1
 *     with the metallic q -> 0 head; no cross-check on the sample (wq NULL).
 *   mode = file W(xi, xi') read from w_file (HDF5: /xi, eV, increasing; /w, eV, n x n), as
 *     written by another code; mu = N(0) W(0, 0) with the sample's N(0).
 * Collective: every rank gets the same numbers. */
#ifndef AGAPE_COULOMB_H
#define AGAPE_COULOMB_H
#include "agape/parallel.h"
#include "agape/material.h"
#include "agape/sampling.h"

#define AGAPE_COUL_NE 48

#define AGAPE_W_MAX_EV 1000.0 /* plausibility bound of |W(xi, xi')| read from a file, eV */

typedef struct {
  int mode;  /* agape_coul_mode */
  double mu; /* N(0) W, dimensionless (mode mu: the deck's value) */
  /* mode rpa: */
  int nk;           /* grid points per direction */
  int ng_max;       /* largest G set over q */
  double dos0_grid; /* N(0) of the grid with the Gaussian delta, states/eV/spin/cell */
  double w_fs;      /* <W>_FS, eV */
  double w_bare_fs; /* the same average of the bare v (no screening), eV */
  double ktf2;      /* Thomas-Fermi k_TF^2, 1/Angstrom^2 */
  double seconds;   /* wall time of the RPA step */
  /* mode rpa: energy-resolved W(xi, xi') = average of W_{kn,k'n'} over the grid pairs with
   * e_kn in bin i and e_k'n' in bin j (AGAPE_COUL_NE equal bins over the grid's band range);
   * the gap equation interpolates it linearly between bin centres, flat beyond them */
  /* mode file: the same table read from w_file (any increasing axis; dos_xi NULL) */
  int ne;
  double *xi_axis;    /* [ne] energies, eV from E_F, increasing */
  double *w_xi;       /* [ne * ne] eV, row-major */
  double *dos_xi;     /* [ne] DOS of the grid per bin, states/eV/spin/cell (mode rpa) */
  double w00;         /* mode file: W(0, 0) interpolated from the table, eV */
  double *wq;         /* mode rpa: [nk^3 * 81] W contracted into orbital pairs per grid q, eV */
  double w_fs_sample; /* mode rpa: <W_kk'>_FS over the Monte-Carlo Fermi-surface pairs, eV */
  double mu_sample;   /* N(0) of the sample times w_fs_sample */
} agape_coulomb;

/* dos0: N(0) of the sample, states/eV/spin/cell (mu = N(0) W(0,0) of mode file) */
agape_err agape_coulomb_create(const agape_par *par, const agape_params *p, const agape_material *m, double dos0,
                               agape_coulomb *c);
void agape_coulomb_destroy(agape_coulomb *c);
/* mode rpa: W_kk' for pairs of sampled (Monte-Carlo) states on the Fermi surface, from the
 * per-q orbital contraction at the grid q nearest to k' - k, and its Fermi-surface average
 * (a cross-check of the grid's mu; the gap equation uses W(xi, xi')). Collective. */
agape_err agape_coulomb_sample(const agape_par *par, const agape_material *m, const agape_states *st, agape_coulomb *c);

#endif
