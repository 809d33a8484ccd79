/* Input deck: INI sections and keys -> agape_params. First stage of the data flow
 * (deck -> material -> sampling -> coulomb -> assembly -> solve -> output).
 * Rank 0 reads and validates; the driver broadcasts the result. Every key is documented
 * in docs/input.md with its unit. Unknown sections/keys and bad values are errors that
 * name the file, the line and the key. */
#ifndef AGAPE_DECK_H
#define AGAPE_DECK_H
#include <stdint.h>
#include <stdio.h>
#include "agape/error.h"
#include "agape/parallel.h"
#include "agape/kernels.h"

#define AGAPE_PATH_MAX      1024
#define AGAPE_MAX_TEMPS     256
#define AGAPE_MAX_MATSUBARA 100000 /* positive Matsubara frequencies of one Eliashberg temperature */

typedef enum { MAT_MODEL = 0, MAT_A2F = 1, MAT_EPW = 2 } agape_mat_source;
typedef enum { COUL_NONE = 0, COUL_MU = 1, COUL_RPA = 2, COUL_FILE = 3 } agape_coul_mode;
typedef enum { SOLVER_SCDFT = 0, SOLVER_ELIASHBERG = 1 } agape_solver_method;
typedef enum { ELI_ISO = 0, ELI_ANISO = 1 } agape_anisotropy; /* [solver] anisotropy */
/* [solver] z_tail: the normal-state part of Z summed over every Matsubara frequency (exact)
 * or, as epw.x does, only over those below wscut (epw) */
typedef enum { ELI_ZTAIL_EXACT = 0, ELI_ZTAIL_EPW = 1 } agape_ztail;
/* [sampling] states of an EPW source: Monte-Carlo states of its interpolated bands, or EPW's
 * own window states as they are; auto: montecarlo for method = scdft, window for eliashberg
 * (resolved when the deck is read, so the parameters never hold auto afterwards) */
typedef enum { STATES_AUTO = 0, STATES_MONTECARLO = 1, STATES_WINDOW = 2 } agape_states_kind;

/* How the pair kernels are evaluated (kernels.h): exact closed forms for every pair, or
 * exact on a column-energy grid and interpolated per pair; auto interpolates from
 * AGAPE_INTERP_MIN_STATES states up (a rule on the global N, so every rank count agrees). */
typedef enum { KEVAL_AUTO = 0, KEVAL_EXACT = 1, KEVAL_INTERP = 2, KEVAL_SEPARABLE = 3 } agape_kernel_eval;
#define AGAPE_INTERP_MIN_STATES 4000

typedef struct {
  /* [material] */
  agape_mat_source source;
  char name[64];                 /* model name: CsB12 | LaB12 | bcs */
  char a2f_file[AGAPE_PATH_MAX]; /* a2f: absolute path (the deck's value, resolved against the
                                    deck's folder if relative; checked readable by agape_deck_read) */
  double dos_per_eV_spin;        /* a2f: flat N(0), states/eV/spin/cell (default 1) */
  int a2f_bins;                  /* a2f: frequency bins after rebinning (default 64) */
  char epw_dir[AGAPE_PATH_MAX];  /* epw: EPW's <prefix>.ephmat folder, absolute (resolved like a2f_file) */
  double eps_acustic_cm;         /* epw: modes at or below this frequency carry no coupling, 1/cm
                                      (EPW's eps_acustic; default 5 as in EPW <= 5.9) */
  double degaussq_meV;           /* epw: Gaussian width of the printed alpha^2F, meV (default 0.05) */
  int nqstep;                    /* epw: points of the alpha^2F grid up to 1.1 max omega (default 500) */
  double bcs_nv;                 /* bcs: N(0)V, dimensionless (default 0.3) */
  double bcs_omega_D_meV;        /* bcs: cut-off of the square well, meV (default 10) */

  /* [coulomb] */
  agape_coul_mode coulomb;      /* none | mu | rpa | file (default none) */
  double mu;                    /* mu = N(0) W, dimensionless (default 0) */
  int rpa_kgrid;                /* rpa: k- and q-grid points per direction (default 12) */
  int rpa_local_fields;         /* rpa: yes = full eps_GG' inverted; no = eps diagonal in G (default yes) */
  double rpa_gcut_invA;         /* rpa: |q+G| cut-off of the local-field G sphere, 1/Angstrom (default 3) */
  double rpa_temperature_K;     /* rpa: electronic temperature of chi0 on the grid, K (default 1000) */
  double rpa_smearing_meV;      /* rpa: Gaussian delta of the Fermi-surface average, meV (default 50; with qe_save
                                 * 0 = the save folder's own smearing width) */
  char w_file[AGAPE_PATH_MAX];  /* file: HDF5 with /xi (eV) and /w (eV), resolved like a2f_file */
  double orbital_radius_A;      /* rpa: radius sigma of the model's Gaussian cluster orbitals, Angstrom (default 1.2) */
  char qe_save[AGAPE_PATH_MAX]; /* rpa: a Quantum ESPRESSO save folder (prefix.save) whose Kohn-Sham states make W
                                   instead of the model's orbitals (resolved like epw_dir; "" none) */
  double rpa_gmax_bohr;         /* rpa with qe_save: |q+G| cut-off of the local fields, bohr^-1 (default 3) */
  double rpa_band_cutoff_eV;    /* rpa with qe_save: bands up to E_F + this screen, eV (default 50) */

  /* [solver] */
  agape_solver_method method;    /* scdft | eliashberg (default scdft) */
  kern_functional functional;    /* lmg | spg (default spg) */
  double gamma1, gamma2, gamma3; /* SPG constants (1.33, 3.8, 1.33) */
  double tol;                    /* max |dDelta| / max|Delta| at convergence (default 1e-8) */
  int max_iter;                  /* per temperature (default 500) */
  double mixing;                 /* Anderson mixing parameter (default 0.5) */
  int anderson_depth;            /* Anderson history length (default 8) */
  double tc_tol;                 /* relative tolerance of Tc (default 1e-5) */
  int kernel_eval;               /* agape_kernel_eval: auto | exact | interpolate | separable (default auto) */

  agape_anisotropy anisotropy; /* eliashberg: iso (Fermi-surface averaged) | aniso (default aniso) */
  agape_ztail z_tail;          /* eliashberg: exact (default) | epw (truncated at wscut, as epw.x) */
  double mustar;               /* eliashberg: Morel-Anderson mu* at the cut-off wscut (default 0.1) */
  double wscut_meV;            /* eliashberg: Matsubara cut-off, meV (default 500) */

  /* [temperatures] */
  int ntemps;
  double temps[AGAPE_MAX_TEMPS]; /* K (>= 0; 0 means the T = 0 limit) */
  int tc_search;                 /* yes | no (default yes) */

  /* [sampling] */
  agape_states_kind states; /* source = epw: montecarlo | window (default: montecarlo for scdft) */
  int64_t npoints;          /* Monte-Carlo states (default 50000) */
  uint64_t seed;            /* default 1 */
  double energy_window_eV;  /* states and energy grid span [-E, E] around E_F (default 5) */
  double grid_min_meV;      /* smallest |xi| of the isotropic energy grid, meV (default 0.01) */
  double grid_ratio;        /* panel growth ratio of the log energy grid (default 1.4) */
  int grid_order;           /* Gauss-Legendre points per panel (default 6) */
  double mc_floor;          /* uniform fraction alpha of the MC density (default 0.1) */
  double mc_eps_meV;        /* epsilon_0 of the MC density 1/(|xi|+eps0), meV (default 5) */
  double fs_smearing_meV;   /* Gaussian width of delta(xi) for Fermi-surface averages, meV (default 10) */

  /* [output] */
  char output_file[AGAPE_PATH_MAX]; /* results file (default results.h5) */
  int histogram_bins;               /* gap histogram bins (default 60) */
  int plot;                         /* yes | no: make the PNG (default yes) */
  double checkpoint_interval_s;     /* checkpoint at the first safe point after this many seconds
                                      since the last one; 0: only at finished temperatures and
                                      on SIGTERM/SIGUSR1 (default 600) */

  /* provenance */
  char deck_path[AGAPE_PATH_MAX];
  char *deck_text; /* whole deck text (malloc'd; NULL if none) */
} agape_params;

/* Fill p with defaults (no allocation). */
void agape_params_defaults(agape_params *p);

/* Parse and validate the deck at path into p (defaults first). On error prints
 * "path:line: key: message" to stderr and returns AGAPE_ERR_DECK or AGAPE_ERR_IO.
 * Relative file paths in the deck are resolved against the deck's folder. */
agape_err agape_deck_read(const char *path, agape_params *p);

/* Broadcast the parameters (including the deck text) from rank 0 to every rank. Collective;
 * an allocation failure on any rank is agreed (every rank returns it). */
agape_err agape_params_bcast(const agape_par *par, agape_params *p);

/* Free what agape_deck_read allocated (deck_text). */
void agape_params_free(agape_params *p);

/* Print every parameter with its unit, one per line, to f (rank 0 at start-up). */
void agape_params_print(const agape_params *p, FILE *f);
/* "section.key = value" lines of every key but [output] (malloc'd; NULL: out of memory):
 * two decks with the same fingerprint give the same numbers. */
char *agape_params_fingerprint(const agape_params *p);

#endif
