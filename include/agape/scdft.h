/* The SCDFT pipeline: the Kohn-Sham gap equation of density functional theory for
 * superconductors on the states of the sampling stage. One of the two method pipelines the
 * driver dispatches to (the other: eliashberg.h). Data flow inside it:
 *   sampling (states) -> assembly couplings (N(0), alpha^2F nodes, lambda) -> Coulomb ->
 *   Tc (linearised equation) -> the gap at each temperature -> results.h5 and files.
 * Checkpoints at every safe point (checkpoint.h); a restart continues bit for bit. */
#ifndef AGAPE_SCDFT_H
#define AGAPE_SCDFT_H
#include "agape/parallel.h"
#include "agape/material.h"
#include "agape/run.h"

/* Run SCDFT for material m. Collective; returns the same code on every rank (AGAPE_STOPPED
 * after a stop request, with its checkpoint written). */
agape_err agape_scdft_run(const agape_par *par, const agape_run_info *ri, const agape_material *m);

#endif
