/* Material stage: what the electrons and phonons are. Second stage of the data flow
 * (deck -> material -> sampling -> ...). Three kinds:
 *   MATK_MODEL        built-in XB12 model: anisotropic bands and |g|^2 (model_xb12.h);
 *   MATK_ISO          isotropic alpha^2F(omega) from a file, flat DOS N(0);
 *   MATK_SQUARE_WELL  the constant-kernel ("bcs") model K = -V for |xi|,|xi'| < omega_D;
 *   MATK_EPW          electron-phonon data from EPW (epw.h): its Fermi-window states and
 *                     couplings; the phonon lines are EPW's (q, mode) frequencies with their
 *                     Fermi-surface weights (the unsmeared alpha^2F).
 * Phonon spectra are represented by nmodes fixed frequencies omega[b] with spectral
 * weights a2f_w[b] = int over mode b of alpha^2F(omega) d omega (eV), so that
 * lambda = 2 sum_b a2f_w[b]/omega[b]. Energies in eV unless a name says otherwise. */
#ifndef AGAPE_MATERIAL_H
#define AGAPE_MATERIAL_H
#include "agape/error.h"
#include "agape/deck.h"
#include "agape/model_xb12.h"

typedef enum { MATK_MODEL = 0, MATK_ISO = 1, MATK_SQUARE_WELL = 2, MATK_EPW = 3 } agape_mat_kind;

typedef struct {
  agape_mat_kind kind;
  char name[64];
  xb12_model *model; /* MATK_MODEL only */
  int nmodes;
  double *omega;           /* [nmodes] eV */
  double *a2f_w;           /* [nmodes] Fermi-surface spectral weights, eV (MATK_MODEL:
                           filled from the sampled states by the assembly stage) */
  double dos0;             /* N(0), states/eV/spin/cell (MATK_MODEL: from the sample) */
  double lambda;           /* 2 int alpha^2F/omega (MATK_ISO: from the raw file data) */
  double omega_log;        /* eV (MATK_ISO: from the raw file data) */
  double sw_v;             /* square well: V = N(0)V / N(0), eV */
  double sw_omega_D;       /* square well cut-off, eV */
  struct agape_epw_s *epw; /* MATK_EPW: the data (every rank) */
  /* alpha^2F as EPW prints it (MATK_EPW; Gaussian lines of width degaussq on w_i = i dw,
   * i = 1..ncurve, dw = 1.1 max omega / nqstep): eV grid, alpha^2F, phonon DOS (1/eV) */
  int ncurve;
  double curve_dw;
  double *curve_a2f, *curve_phdos;
  double omega_2;          /* eV: [(2/lambda) int alpha^2F omega]^(1/2) (MATK_EPW, MATK_ISO) */
  double lambda_lines;     /* 2 sum a2f_w/omega of the unsmeared lines */
  double grid_lo, grid_hi; /* isotropic energy-grid states cover [-E, grid_lo] and
                              [grid_hi, E]; grid_lo = grid_hi = 0 for MATK_ISO/SQUARE_WELL */
  /* MATK_EPW for SCDFT: the phonon lines are replaced by nmodes frequency nodes omega[b]
   * (uniform from the lowest to the highest coupled frequency); every phonon (q, mode) is
   * split between its two neighbouring nodes so that both its weight and its weight/omega
   * are kept (the coupling lambda of every pair of states is exact; physics.md §1.6).
   * [totq*nmodes]: the lower node of each phonon (-1: no coupling) and that node's share. */
  int *ph_node;
  double *ph_share;
} agape_material;

/* Build the material from the deck (reads the a2f file; rank 0 or every rank). */
agape_err agape_material_create(const agape_params *p, agape_material *m);
void agape_material_destroy(agape_material *m);

/* For source = epw: read EPW's folder on rank 0, broadcast it, and fill the phonon lines,
 * N(0), lambda, omega_log, omega_2 and the alpha^2F curve on every rank; for method = scdft
 * the lines are then split onto p->a2f_bins frequency nodes (ph_node, ph_share) and the
 * energy grid starts at the Fermi window's edges. Collective. */
#include "agape/parallel.h"
agape_err agape_material_load_epw(const agape_par *par, const agape_params *p, agape_material *m);

/* DOS carried by the isotropic energy grid at energy xi (states/eV/spin/cell). */
double agape_material_grid_dos(const agape_material *m, double xi);

/* Read a two-column alpha^2F file (omega in meV, alpha^2F); '#' lines, blank lines and
 * non-numeric header/footer lines are skipped. Returns arrays (malloc'd) in meV. */
agape_err agape_a2f_read(const char *path, int *npts, double **omega_meV, double **a2f);

/* lambda = 2 int a2f/omega and omega_log = exp[(2/lambda) int ln(omega) a2f/omega]
 * of piecewise-linear data (trapezoid rule); omega_log in the unit of omega. */
void agape_a2f_moments(int npts, const double *omega, const double *a2f, double *lambda, double *omega_log);

/* McMillan-Allen-Dynes Tc with f1 = f2 = 1 (physics.md §3.4); omega_log in K gives K. */
double agape_tc_mcmillan(double lambda, double omega_log, double mustar);

#endif
