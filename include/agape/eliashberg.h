/* Eliashberg stage: [solver] method = eliashberg. Imaginary-axis Migdal-Eliashberg equations
 * (physics.md §3) on the material's electron-phonon data, in place of the SCDFT stages:
 *   deck -> material -> eliashberg (Tc from the linearised equation, gaps per temperature)
 *        -> output.
 * anisotropy = iso: the Fermi-surface averaged equations on the material's phonon lines
 *   (alpha^2F from a file, or EPW's couplings averaged over the Fermi surface); replicated.
 * anisotropy = aniso: the equations of Margine and Giustino (PRB 87 024505) on EPW's
 *   Fermi-window states, with EPW's weights; the rows (states) are split over the ranks,
 *   the kernel lambda_{ss'}(omega_j) is built per temperature from EPW's (k, q, mode)
 *   couplings, and the frequency convolution runs as dense matrix products (BLAS). */
#ifndef AGAPE_ELIASHBERG_H
#define AGAPE_ELIASHBERG_H
#include "agape/parallel.h"
#include "agape/material.h"

/* Run the Eliashberg solver for the deck p on material m and write the results.
 * t0 [in] wall time at the start of the run (agape_par_wtime). Collective. */
agape_err agape_eliashberg_run(const agape_par *par, const agape_params *p, const agape_material *m, double t0);
#endif
