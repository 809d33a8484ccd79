/* The run driver: deck -> material -> sampling -> coulomb -> assembly -> solve -> output,
 * in that order, for `agape run DECK`. */
#ifndef AGAPE_DRIVER_H
#define AGAPE_DRIVER_H
#include "agape/parallel.h"

/* Exit status of `agape run` stopped by SIGTERM/SIGUSR1 after writing its checkpoint. */
#define AGAPE_EXIT_STOPPED 3
/* Exit status of `agape run` that finished, but with a temperature that did not converge. */
#define AGAPE_EXIT_UNCONVERGED 4

/* Run the deck at path. Collective; returns the same code on every rank (AGAPE_STOPPED
 * after a stop request and its checkpoint).
 *   output  [in] results file replacing the deck's [output] file (NULL: the deck's), e.g. a
 *                folder per batch job
 *   restart [in] 1: continue from the newest checkpoint of the results file (checkpoint.h),
 *                or from the beginning if there is none */
agape_err agape_run(const agape_par *par, const char *deck_path, const char *output, int restart);

#endif
