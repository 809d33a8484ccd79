/* Eliashberg stage: [solver] method = eliashberg. Imaginary-axis Migdal-Eliashberg equations
 * (docs/eliashberg.md) on the material's electron-phonon data, in place of the SCDFT stages:
 *   deck -> material -> [sampling -> couplings] -> eliashberg (Tc from the linearised
 *        equation, gaps per temperature) -> output.
 * The Fermi-surface data (material.h agape_fs_data) are the material's own, or with
 * [sampling] states = montecarlo those of a Monte-Carlo sample of its bands, the same sample
 * and couplings as SCDFT's (assembly.h agape_assembly_fs_sample).
 * anisotropy = iso: the Fermi-surface averaged equations on the phonon lines (alpha^2F from
 *   a file, EPW's couplings averaged over the Fermi surface, or the sample's); replicated.
 * anisotropy = aniso: the equations of Margine and Giustino (PRB 87 024505) on the
 *   Fermi-surface states (EPW's window states with EPW's weights, or the sample's); the rows
 *   (states) are split over the ranks, the kernel lambda_{ss'}(omega_j) is built per
 *   temperature from the (state, line) couplings, and the frequency convolution runs as
 *   dense matrix products (BLAS).
 * Tc: the shared search (tcsearch.h) on the leading eigenvalue of the linearised equation
 * (iso: LAPACK dsyevr; aniso: the shared Arnoldi, arnoldi.h). Gaps: the shared Anderson
 * mixing (anderson.h). Checkpoints as for SCDFT (checkpoint.h, docs/output.md): the Tc
 * search's journal, the finished temperatures and the fixed-point iteration in progress. */
#ifndef AGAPE_ELIASHBERG_H
#define AGAPE_ELIASHBERG_H
#include "agape/parallel.h"
#include "agape/material.h"
#include "agape/checkpoint.h"

/* Run the Eliashberg solver for the deck p on material m and write the results.
 *   ck [in] checkpoint file, deck fingerprint, the checkpoint to continue from (NULL
 *      resume: from the beginning), deck path and --output for the "continue with" line;
 *      ck = NULL: no checkpoints are written
 *   t0 [in] wall time at the start of the run (agape_par_wtime), s
 * Safe points: every Tc-search evaluation and Arnoldi product, every fixed-point iteration;
 * a checkpoint after each temperature, every [output] checkpoint_interval_s, and on
 * SIGTERM/SIGUSR1 (then AGAPE_STOPPED is returned, the checkpoint written and the
 * "continue with" line printed). Collective. */
agape_err agape_eliashberg_run(const agape_par *par, const agape_params *p, const agape_material *m,
                               const agape_ckpt_run *ck, double t0);
#endif
