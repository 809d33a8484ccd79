/* The run driver: deck -> material -> sampling -> coulomb -> assembly -> solve -> output,
 * in that order, for `agape run DECK`. */
#ifndef AGAPE_DRIVER_H
#define AGAPE_DRIVER_H
#include "agape/parallel.h"

/* Run the deck at path. Collective; returns the same code on every rank.
 * output [in] results file replacing the deck's [output] file (NULL: the deck's), e.g. a
 * folder per batch job. */
agape_err agape_run(const agape_par *par, const char *deck_path, const char *output);

#endif
