/* Material stage: what the electrons and phonons are. Second stage of the data flow
 * (deck -> material -> sampling -> coulomb -> scdft | eliashberg -> output).
 *
 * agape_material is an interface: a struct of data plus function pointers that each material
 * source fills (src/material/source_*.c, listed in one table in src/material/material.c).
 * The stages call only these members; none of them knows which source it is talking to.
 * A member that a source does not offer is NULL (or 0), and a stage that needs it refuses the
 * run with a message that names what is missing. Adding a source: docs/extending.md.
 *
 * Conventions (docs/theory.md §1): energies in eV from E_F, k in crystal coordinates [0,1),
 * N(0) in states/eV/spin/cell, pair couplings |g|^2 in eV^2. The phonon spectrum is given on
 * nmodes frequencies omega[b] ("nodes"): pair couplings are resolved on them, and the
 * Fermi-surface spectral weights a2f_w[b] = int over node b of alpha^2F(omega) d omega (eV)
 * give lambda = 2 sum_b a2f_w[b]/omega[b] (agape_lambda_lines, formulas.h). */
#ifndef AGAPE_MATERIAL_H
#define AGAPE_MATERIAL_H
#include <stdint.h>
#include "agape/error.h"
#include "agape/deck.h"
#include "agape/parallel.h"
#include "agape/symmetry.h"

typedef struct agape_material agape_material;

/* A source's Fermi-surface states with their state-resolved couplings, in the source's own
 * sparse representation (anisotropic Eliashberg reads them; EPW data offer them). Every
 * pointer is borrowed from the source and lives as long as the material. */
typedef struct {
  int ns;                   /* states */
  const double *xi;         /* [ns] eV from E_F */
  const double *wk;         /* [ns] Brillouin-zone weight per spin (sum over all states of a band: 1) */
  const double *fsd;        /* [ns] Fermi-surface delta of the state, delta(xi) of width fs_width, 1/eV */
  const double *k;          /* [ns*3] crystal coordinates */
  const int *band;          /* [ns] band index */
  double fs_width;          /* width of the delta in fsd, eV */
  const int64_t *row_ptr;   /* [ns+1] CSR rows of the couplings */
  const int32_t *col;       /* [nnz] column state s' */
  const int32_t *line;      /* [nnz] phonon line (into omega_line) */
  const double *g2;         /* [nnz] |g|^2 in the source's unit: times g2_unit gives eV^2 */
  double g2_unit;           /* eV^2 per unit of g2 */
  double wq;                /* weight of one phonon wave vector (1 / number of q points) */
  const double *omega_line; /* [nlines] phonon frequency of each line, eV */
  /* the weight of an entry's column state s' in the sums over k': 0: wq (one entry per q of
   * the full q mesh: EPW); 1: wk[s'] (every state is one column of each row: Monte-Carlo
   * states, whose weights are 1/(N p)) */
  int col_wk;
} agape_fs_pairs;

/* What the Eliashberg equations see of the electron-phonon problem: the Fermi-surface
 * spectrum on lines and, for anisotropic runs, the states with their couplings. Either the
 * material's own (agape_fs_data_of_material) or a Monte-Carlo sample's (assembly.h). All
 * pointers are borrowed. */
typedef struct {
  int nmodes;                  /* phonon lines (frequency nodes) */
  const double *omega;         /* [nmodes] eV */
  const double *a2f_w;         /* [nmodes] Fermi-surface spectral weights, eV */
  double dos0;                 /* N(E_F) the couplings are normalised with, states/eV/spin/cell */
  double lambda;               /* 2 sum a2f_w/omega */
  double omega_log;            /* eV */
  double omega_2;              /* eV (0: not known) */
  double lambda_lines;         /* lambda of the unsmeared lines (0: not known) */
  const agape_fs_pairs *pairs; /* NULL: isotropic only */
  /* mu* phase space of state s (material.h mustar_row, called with mu_m); NULL: uniform over
   * the Fermi surface, row[t] += wk[t] fsd[t] / sum_t' wk[t'] fsd[t'] */
  const agape_material *mu_m;
  void (*mustar_row)(const agape_material *m, int s, double *row);
} agape_fs_data;

struct agape_material {
  char name[64];               /* for logs, file headers and plot titles (CsB12, a2f, bcs, the EPW prefix) */
  char prefix[AGAPE_PATH_MAX]; /* stem of the EPW-style text files (the EPW prefix, else the name) */

  /* --- the source's own phonon spectrum and Fermi-surface moments ---------------------- */
  int nmodes;          /* frequency nodes */
  double *omega;       /* [nmodes] eV */
  double *a2f_w;       /* [nmodes] Fermi-surface spectral weights of the source, eV (all 0
                          when they come from the sampled states: fs_weights below) */
  double dos0;         /* N(E_F) of the source, states/eV/spin/cell (0: from the sample) */
  double lambda;       /* lambda of the source's alpha^2F */
  double omega_log;    /* eV */
  double omega_2;      /* eV: [(2/lambda) int alpha^2F omega]^(1/2) (0: not known) */
  double lambda_lines; /* 2 sum a2f_w/omega of the unsmeared lines (EPW data) */
  int ncurve;          /* alpha^2F as the source prints it on w_i = i curve_dw, i = 1..ncurve */
  double curve_dw;     /* eV */
  double *curve_a2f;   /* [ncurve] */
  double *curve_phdos; /* [ncurve] phonon DOS, 1/eV */

  /* the crystal the source's data state (EPW: crystal.fmt), the same on every rank; nat = 0
   * when the source does not state one. [coulomb] qe_save is checked against it. */
  agape_crystal crystal;

  /* --- the isotropic energy grid ------------------------------------------------------- */
  double grid_lo, grid_hi; /* the grid covers [-E, grid_lo] and [grid_hi, E] (0, 0: all of it) */
  int nbreak;              /* extra panel edges of the grid */
  double breaks[2];        /* eV (> 0, mirrored to negative energies) */
  /* DOS carried by the energy grid at xi, states/eV/spin/cell; NULL: the flat dos0 */
  double (*grid_dos)(const agape_material *m, double xi);
  /* the band structure beyond the source's own states (optional; [coulomb] qe_save with a
   * source that has them): the DOS of the Quantum ESPRESSO ground state whose W the run uses,
   * Gaussian-smeared with pw.x's width, tabulated at bg_x0 + i bg_dx (eV from E_F, i < nbg;
   * zero outside). It replaces grid_dos outside [grid_lo, grid_hi], and the energy grid stops
   * at the band bottom bg_x0. */
  int nbg;
  double bg_x0, bg_dx;
  double *bg_dos; /* [nbg] states/eV/spin/cell */

  /* --- bands (optional): Monte-Carlo sampling draws states from them ------------------- */
  int nbands;
  /* xi[nbands] (eV from E_F) at k (crystal coordinates) */
  void (*bands)(const agape_material *m, const double k[3], double *xi);
  /* > 0: Monte-Carlo states only with |xi| < mc_window (eV; the data end there, the energy
   * grid carries the rest); 0: every state the bands hold */
  double mc_window;

  /* --- the source's own states (optional; instead of Monte-Carlo states) -------------- */
  /* how many; then xi (eV, never exactly 0), weight per spin, k[3*i], band and the
   * Fermi-surface delta (1/eV) of each */
  int64_t (*own_count)(const agape_material *m);
  void (*own_states)(const agape_material *m, double *xi, double *w, double *k, int *band, double *fsd);

  /* --- pair couplings between states with k (Monte-Carlo or own states) -------------- */
  int nfeat; /* per-state data the couplings need (0: none) */
  /* feat[nfeat] of the state (k, band) */
  void (*features)(const agape_material *m, const double k[3], int band, double *feat);
  /* per-thread scratch the couplings of one row need, in doubles (n_st: states with k) */
  size_t (*pair_scratch)(const agape_material *m, int64_t n_st);
  /* prepare (begin = 1) and release (begin = 0) the scratch for row state i; feat: [n_st*nfeat]
   * the states' features */
  void (*pair_row)(const agape_material *m, const double *feat, int64_t i, double *scratch, int begin);
  /* A[b*lda + c] (eV^2) = |g_b|^2 between row state i and the states j[0..nc) (increasing,
   * all with k), on the nodes b; feat: [n_st*nfeat] the states' features; tmp: nmodes*nc
   * doubles. A pair the source's data do not reach (EPW: no mesh corner inside its window)
   * is NaN on every node: the assembly gives it the sample's Fermi-surface average. */
  void (*pair_couplings)(const agape_material *m, const double *feat, int64_t i, int nc, const int64_t *j, double *A,
                         int lda, double *tmp, const double *scratch);
  /* Fermi-surface node weights of a sample: acc[b] = sum_ss' fsw_s fsw_s' A_ss'b over the
   * pairs of the n_st states with k that the data reach (eV^2/eV^2 ...), and *unreached =
   * sum_ss' fsw_s fsw_s' over the pairs they do not (NaN couplings; 0 for most sources).
   * The same bits on every rank and thread count. NULL: the source's a2f_w are used. */
  agape_err (*fs_weights)(const agape_material *m, int64_t n_st, const double *feat, const double *fsw, double *acc,
                          double *unreached);

  /* --- separable form of the pair couplings (optional) ---------------------------------- */
  /* A_ss'b = sum_{e: mode b} coef_e phi_r(s) phi_r'(s') over sep_nfun functions phi of a state */
  int sep_nfun, sep_nent;
  void (*sep_entries)(const agape_material *m, int *mode, int *r, int *rp, double *coef);
  void (*sep_phi)(const agape_material *m, const double *feat, double *phi);

  /* --- a fixed pair kernel instead of phonons (optional; the square well) ------------- */
  /* K_ss' = fixed_v when |xi_s|, |xi_s'| < fixed_cut, else 0 (eV); Z = 0; no functional */
  int fixed_kernel;
  double fixed_v, fixed_cut;

  /* --- a first Tc estimate for the search (K) from lambda, omega_log (eV) and mu* ------ */
  double (*tc_estimate)(const agape_material *m, double lambda, double omega_log, double mustar);

  /* --- tight-binding orbitals for the RPA (optional) ----------------------------------- */
  int norb;         /* orbitals per cell (0: none) */
  double lattice_A; /* simple-cubic lattice constant, Angstrom */
  void (*hamiltonian)(const agape_material *m, const double k[3], double *H); /* [norb*norb], eV */

  /* --- state-resolved Fermi-surface data for anisotropic Eliashberg (optional) --------- */
  const agape_fs_pairs *pairs;
  /* row[t] += sum over q with rep(k_s + q) = k_t of wq fsd[t] / dos (the mu* phase space of s) */
  void (*mustar_row)(const agape_material *m, int s, double *row);

  /* --- FermiSurfer files of the gap (optional); rank 0 ---------------------------------- */
  /* gap_T*.frmsf beside results_path: the n states with k (k[n*3], band[n], xi[n] eV; sigma:
   * Fermi-surface width, eV), delta_meV + it*ld the gaps of temperature it */
  agape_err (*write_frmsf)(const agape_material *m, const char *results_path, int64_t n, const double *k,
                           const int *band, const double *xi, double sigma, int ntemps, const double *temps,
                           const double *delta_meV, int64_t ld);

  /* --- the source's data and its destructor -------------------------------------------- */
  void *data;
  void (*destroy)(agape_material *m);
};

/* Build the material the deck asks for (the table of sources in material.c). Collective:
 * a source that reads files reads them on rank 0 and broadcasts them; errors agreed.
 * Prints what it read (rank 0). t0: start of the run (agape_par_wtime), for the log. */
agape_err agape_material_create(const agape_par *par, const agape_params *p, double t0, agape_material *m);
void agape_material_destroy(agape_material *m);

/* The material's own Fermi-surface data for the Eliashberg equations: its lines and
 * moments, its window states and couplings (m->pairs, may be NULL) and its mu* rows. */
void agape_fs_data_of_material(const agape_material *m, agape_fs_data *fs);

/* DOS carried by the isotropic energy grid at energy xi (states/eV/spin/cell). */
double agape_material_grid_dos(const agape_material *m, double xi);

/* Plausibility bounds of alpha^2F data: a nonzero alpha^2F only between these frequencies
 * (meV), and lambda at most AGAPE_A2F_LAMBDA_MAX (a narrow peak may be tall: alpha^2F itself
 * is not bounded) */
#define AGAPE_A2F_OMEGA_MIN_MEV 1e-3
#define AGAPE_A2F_OMEGA_MAX_MEV 1000.0
#define AGAPE_A2F_LAMBDA_MAX    1000.0

/* Read an alpha^2F file: two columns (omega in meV, alpha^2F), or a format its header names:
 * Quantum ESPRESSO's a2F.dos<N> (omega in Ry, total alpha^2F in column 2), EPW's prefix.a2f
 * (column 2: the first phonon smearing) or prefix.a2f_iso. '#' lines, blank lines and
 * non-numeric header/footer lines are skipped; a header naming another frequency unit, extra
 * columns in a two-column file, text after the numbers and implausible values are refused
 * with the file and line. Returns arrays (malloc'd) in meV and, if format is not NULL, a
 * description of the format read. */
agape_err agape_a2f_read(const char *path, int *npts, double **omega_meV, double **a2f, const char **format);

/* lambda = 2 int a2f/omega and omega_log = exp[(2/lambda) int ln(omega) a2f/omega]
 * of piecewise-linear data (trapezoid rule); omega_log in the unit of omega. */
void agape_a2f_moments(int npts, const double *omega, const double *a2f, double *lambda, double *omega_log);

/* McMillan-Allen-Dynes Tc with f1 = f2 = 1 (docs/theory.md §8.7); omega_log in K gives K. */
double agape_tc_mcmillan(double lambda, double omega_log, double mustar);

#endif
