/* The static Kohn-Sham response chi0_GG'(q) of a Quantum ESPRESSO ground state on the save
 * folder's full, uniform k grid (kernels/chi0_pw.c for the formula, kernels/pairdens.c for the
 * pair densities; docs/qe.md). Part of the Coulomb stage. The k points are split over the
 * ranks in fixed blocks, each block summed in k order and the blocks added in block order on
 * every rank, so the result is the same bits for any rank count; the wavefunctions of a k
 * point and of its k + q are read when it is summed.
 *
 * The folder must hold every point of its Monkhorst-Pack grid (pw.x nscf with nosym = .true.
 * and noinv = .true.), unshifted; q is a point of the same grid, so that k + q is one of the
 * k points up to a reciprocal vector. Occupations and the intraband derivative use the run's
 * smearing (kind, width) around its Fermi energy. */
#ifndef AGAPE_QE_CHI0_H
#define AGAPE_QE_CHI0_H
#include <complex.h>
#include "agape/qe_save.h"
#include "agape/parallel.h"

typedef struct {
  int iq[3];           /* q = sum_i iq_i/nk_i b_i */
  double q[3];         /* cartesian, bohr^-1 */
  int ng;              /* G vectors with |q + G| <= gmax */
  int *gl;             /* [ng*3] their Miller indices */
  double *qg;          /* [ng] |q + G|, bohr^-1 */
  int nbands;          /* bands summed (those below E_F + band_cut at some k) */
  double complex *chi; /* [ng*ng] chi0_GG'(q), 1/(eV bohr^3), row-major */
} agape_qe_chi0;

/* chi0 at q = iq of the folder's grid, with |q + G| <= gmax (bohr^-1) and the bands that lie
 * below E_F + band_cut (eV) somewhere; replicated on every rank. par NULL: this rank alone;
 * else collective (errors agreed; every rank must hold the same s). Errors name the folder and
 * say what is missing. */
agape_err agape_qe_chi0_compute(const agape_par *par, const agape_qe_save *s, const int iq[3], double gmax,
                                double band_cut, agape_qe_chi0 *c);
void agape_qe_chi0_destroy(agape_qe_chi0 *c);

/* mu = N(0) <W>_FS of the folder's grid and the energy-resolved W(xi, xi') (docs/theory.md
 * §5.6 with plane-wave pair densities):
 *   W_ss' = (1/Omega) sum_GG' rho_nn'(k, q, G)^* W_GG'(q) rho_nn'(k, q, G'),   k' = k + q,
 *   <W>_FS = sum_{k, q, n, n'} d_s d_s' Re W_ss' / (N_k^2 N(0)^2),   N(0) = (1/N_k) sum_s d_s,
 * with d the Gaussian of width sigma (eV) around E_F (states within 6 sigma), over every q of
 * the grid; W(q) from chi0 (|q + G| <= gmax, bands below E_F + band_cut) by chi0pw_screen.
 * <v>_FS is the same average of the bare 4 pi e^2/|q + G|^2, its q + G = 0 term averaged over
 * the q-cell around Gamma (rpa_w_head_tf with k_TF = 0). With ne > 0 also the table
 * W(xi_i, xi_j): the mean of Re W_ss' over the pairs of states below E_F + band_cut with xi_s in
 * bin i and xi_s' in bin j of ne equal bins over their energies (an empty bin pair takes the
 * nearest filled one, as the model's table), and the DOS per bin. The (q, k-block) partial
 * sums are added in one fixed order: the same bits for any rank count. The q sum runs over one
 * q per star of the crystal's point group with time reversal (spglib on the XML's cell and
 * atoms), weighted by the star's size; all_q: over every q of the grid (equal up to how well
 * pw.x converged the symmetry-related k points, which it computed separately). Collective as
 * agape_qe_chi0_compute. */
typedef struct {
  double mu;        /* N(0) <W>_FS */
  double w_fs;      /* <W>_FS, eV */
  double w_bare_fs; /* <v>_FS, eV */
  double dos0;      /* N(0), states/eV/spin/cell */
  int nq;           /* q points computed (one per star; all of the grid with all_q) */
  int ng_max;       /* the largest G basis of one q */
  int ne;           /* table bins (0: no table) */
  double *xi;       /* [ne] bin centres, eV from E_F */
  double *w;        /* [ne*ne] W(xi_i, xi_j), eV, row-major */
  double *cnt;      /* [ne*ne] pairs per bin pair (before the empty ones were filled) */
  double *dos;      /* [ne] DOS of the grid per bin, states/eV/spin/cell */
} agape_qe_mu;
agape_err agape_qe_mu_compute(const agape_par *par, const agape_qe_save *s, double gmax, double band_cut, double sigma,
                              int ne, int all_q, agape_qe_mu *r);
void agape_qe_mu_destroy(agape_qe_mu *r);

/* The smearing kind (chi0_pw.h SMEAR_*) of the folder's run, or -1 (no smearing: an
 * insulator or fixed occupations, which the RPA here does not handle yet) */
int agape_qe_smearing_kind(const agape_qe_save *s);

#endif
