/* Output stage: results.h5 (self-describing HDF5), gap histograms as text, and the
 * histogram PNG. Last stage of the data flow. Called on rank 0 only, with replicated
 * O(N) data; never writes N^2 data. Files are written to a temporary name and renamed,
 * so a results file is either complete or absent. */
#ifndef AGAPE_OUTPUT_H
#define AGAPE_OUTPUT_H
#include <stdint.h>
#include <stdio.h>
#include "agape/error.h"
#include "agape/deck.h"
#include "agape/coulomb.h"
#include "agape/tcsearch.h"

typedef struct {
  /* states (length n) */
  int64_t n;
  const double *xi;        /* eV from E_F */
  const double *w;         /* integration weights, dimensionless (sum_s w_s F_s ~ per-cell BZ average) */
  const double *k;         /* n x 3 crystal coordinates, NaN rows for energy-grid states; NULL if isotropic */
  const int *band;         /* band index, -1 for energy-grid states; NULL if isotropic */
  const double *fs_weight; /* w_s * delta_sigma(xi_s), 1/eV: weight of each state on the Fermi surface */

  /* temperatures and gaps */
  int ntemps;
  const double *temps;        /* K */
  const double *delta;        /* ntemps x n, meV */
  const double *z;            /* ntemps x n, dimensionless (Z_s) */
  const double *delta_fs_avg; /* ntemps, meV */
  const double *delta_ef;     /* ntemps, meV: the gap at E_F from the fit of agape_fs_gap_trend
                                 (resolution.h), NaN where it cannot be made; NULL: not made */
  const double *fs_bias;      /* ntemps: (delta_fs_avg - delta_ef)/delta_ef, and its standard */
  const double *fs_bias_se;   /* error (with delta_ef) */
  const int *converged;       /* ntemps flags */
  const int *iterations;      /* ntemps */
  const int *resolved;        /* ntemps: 1 if the states resolve the thermal window (resolution.h), or NULL */
  double xi_nearest;          /* eV: min |xi| of the states with k (NaN: none) */

  /* Tc */
  double tc;                   /* K: Tc (status found), 0 (none), NaN (no_bracket, not searched) */
  const char *tc_status;       /* "found", "none", "no_bracket", "not_searched" (NULL: "found" when
                                  tc is a number, else "not_searched") */
  const char *tc_message;      /* the search's sentence when it found no Tc (NULL or "": none) */
  double tc_floor, tc_ceil;    /* K: the range of the search (with the history) */
  int tc_resolved;             /* 1: the states resolve the thermal window at the temperature that
                                  decided the status (resolution.h) */
  const int *tc_hist_resolved; /* [ntc] the same at each evaluation, or NULL */
  double gap_ratio;            /* 2 Delta(T_min) / (k_B Tc), NaN when unavailable */
  double tc_gap_T;             /* the temperature (K) whose gap entered gap_ratio */
  int ntc;                     /* Tc-search history length */
  const double *tc_hist_T;     /* K */
  const double *tc_hist_rho;   /* leading eigenvalue of the linearised operator at tc_hist_T */

  /* coupling and Coulomb */
  double dos0;          /* N(0), states/eV/spin/cell */
  double lambda;        /* dimensionless */
  double source_dos0;   /* the source's own N(E_F) and lambda when the states' differ from */
  double source_lambda; /* them (EPW data with Monte-Carlo states), else 0 */
  double unreached;     /* with source_dos0: share of the Fermi-surface pair weight beyond the data */
  double omega_log_meV; /* meV */
  int nmodes;
  const double *omega_meV;      /* nmodes mode frequencies, meV */
  const double *a2f;            /* nmodes spectral weights int alpha^2F d omega over each mode, meV */
  double mu;                    /* N(0) W, dimensionless */
  const agape_coulomb *coulomb; /* the Coulomb stage (mode rpa: its grid numbers), or NULL */
  double tc_mcmillan_mustar01;  /* McMillan-Allen-Dynes Tc (f1 f2 = 1) at mu* = 0.1, K */

  /* Migdal-Eliashberg (method = eliashberg; zero/NULL otherwise) */
  int eliashberg;                /* 1: delta/z above are Delta_s(i omega_0), Z_s(i omega_0) */
  int nw_max;                    /* columns of the Matsubara arrays */
  const int *nw;                 /* ntemps: positive Matsubara frequencies used at each T */
  const double *delta_matsubara; /* ntemps x nw_max: Fermi-surface average Delta(i omega_n), meV
                                    (NaN beyond nw[it]) */
  const double *z_matsubara;     /* ntemps x nw_max: the same for Z(i omega_n) */
  double mustar;                 /* mu* of the run */
  double wscut_meV;              /* Matsubara cut-off, meV */
  const char *epw_prefix;        /* prefix of the EPW-style text files (NULL: none written) */
  /* alpha^2F as a curve (source = epw): w_i = i dw, i = 1..ncurve */
  int ncurve;
  double curve_dw_meV;
  const double *curve_a2f;   /* ncurve, dimensionless */
  const double *curve_phdos; /* ncurve, phonon DOS 1/meV (per cell, all modes) */
  double omega_2_meV;        /* [(2/lambda) int alpha^2F omega]^(1/2), meV (NaN: unknown) */
  double tc_allen_dynes;     /* Allen-Dynes Tc with f1 f2 at mu* = mustar, K (NaN: not computed) */
  double tc_mcmillan_mustar; /* the same with f1 = f2 = 1 (EPW's printed estimate), K */
  /* provenance */
  const agape_params *params;
  const char *material; /* the material's name (CsB12, bcs, a2f, the EPW prefix) */
  int nranks, nthreads;
  double wall_seconds;
} agape_results;

/* The outcome of a Tc search as both pipelines report it (docs/output.md, "Tc status"). */
typedef struct {
  tcs_status status;
  double tc;              /* K: the crossing (found), 0 (none), NaN (no_bracket, not searched) */
  double T_floor, T_ceil; /* K: the search's range */
  int resolved;           /* 1: the states resolve the thermal window at the temperature that decided
                             the status: Tc (found), the lowest temperature tried (none), the highest
                             (no_bracket); 1 when not searched */
  char msg[512];          /* the search's sentence ("" when found or not searched) */
} agape_tc_outcome;

/* The name of a status in results.h5's /tc_status. */
const char *agape_tc_status_name(tcs_status s);

/* The outcome of a search r with options o (every rank has the same r and gets the same
 * outcome), said once on rank 0: status none on stdout ("agape: Tc search: <r->msg>; /tc = 0
 * (status none), ..."), no_bracket as a warning on stderr, and a found Tc the states do not
 * resolve as a warning (the found Tc itself is the pipeline's line). xi_near: the resolution energy (eV, NaN: the criterion
 * does not apply; resolution.h). */
void agape_tc_outcome_set(agape_tc_outcome *out, int rank, const tcs_opts *o, const tcs_result *r, double xi_near);
/* The outcome of a run without a search (tc_search = no). */
void agape_tc_outcome_not_searched(agape_tc_outcome *out);

/* Whether the states with k resolve the thermal window at T (K) with Fermi-surface gap delta
 * (eV): agape_window_resolved(xi_near, k_B T, delta) (resolution.h). When they do not, rank 0
 * prints one warning naming what (the Tc search, the gap), T, the nearest |xi| and k_B T in
 * meV. Returns the flag (1 resolved, 0 not). */
int agape_resolution_check(int rank, const char *what, double T, double xi_near, double delta);

/* The results every method reports the same way, set in one place:
 *   tc (its outcome: status, message, range, resolved), the Tc search history (with each
 *   evaluation's resolved flag, hres, or NULL) and the gap ratio 2 Delta_FS(T_min) / (k_B Tc)
 *   from the lowest temperature (NaN when Tc or that gap is not positive; the ratio is
 *   printed on rank 0);
 *   the phonon lines in meV (omega_eV, a2f_eV of nmodes into om_meV, aw_meV, the caller's
 *   arrays) with N(0) (states/eV/spin/cell), lambda and omega_log (eV);
 *   the run: parameters, ranks, threads and wall time (s).
 * dfs_meV: [ntemps] Fermi-surface gaps (meV) of p->temps (ascending). */
void agape_results_set_tc(agape_results *r, int rank, const agape_params *p, const agape_tc_outcome *tc,
                          const double *dfs_meV, int nh, const double *hT, const double *hr, const int *hres);
void agape_results_set_lines(agape_results *r, int nmodes, const double *omega_eV, const double *a2f_eV, double *om_meV,
                             double *aw_meV, double dos0, double lambda, double omega_log_eV);
/* The source's alpha^2F curve (EPW data) on w_i = i dw_eV, i = 1..ncurve: a2f as it is, the
 * phonon DOS (1/eV) converted into phd_meV[ncurve] (1/meV, the caller's array; NULL: no curve
 * is written). */
void agape_results_set_curve(agape_results *r, int ncurve, double dw_eV, const double *a2f, const double *phdos_eV,
                             double *phd_meV);
/* After rank 0 wrote a run's results: err agreed over the ranks and, when a stop request
 * arrived meanwhile, the note that the results are complete (the run is not stopped).
 * Collective. */
agape_err agape_output_agree(const agape_par *par, agape_err err);

void agape_results_set_run(agape_results *r, const agape_params *p, int nranks, int nthreads, double wall_seconds);

/* Write results.h5 (params->output_file), the histogram text files and, when
 * params->plot, the PNG, in the folder of the results file. Prints the paths written. */
agape_err agape_output_write(const agape_results *r);

/* Check the results file p->output_file before any work: it must not exist as anything but a
 * regular file, must not be an input of the run (the deck, the alpha^2F file, the W file, a
 * file in the EPW folder), and its folder is created (mkdir -p) and must be writable; this
 * run's own leftovers there are removed. Rank 0. */
agape_err agape_output_prepare(const agape_params *p);

/* Gap histogram on the Fermi surface (pure numerics, used by output and tests):
 *   n, delta[n] (meV), fsw[n] (Fermi-surface weights >= 0), nbins
 *   centres[nbins] (meV), density[nbins] (1/meV, integrates to 1 over the bins).
 * The bin range is [min, max] of delta over states with fsw > 0, widened by half a bin;
 * for a single value it is centred on it with width 0.1 meV. */
void agape_histogram(int64_t n, const double *delta, const double *fsw, int nbins, double *centres, double *density);

#endif
