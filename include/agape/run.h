/* What the driver hands to a method pipeline (SCDFT, Eliashberg): the broadcast deck and the
 * run's bookkeeping, fixed during the prolog (src/app/driver.c). Every field is the same on
 * every rank. */
#ifndef AGAPE_RUN_H
#define AGAPE_RUN_H
#include "agape/deck.h"

typedef struct {
  const agape_params *p;            /* the deck (temperatures ascending) */
  const char *deck_path;            /* as given on the command line */
  const char *output;               /* --output, or NULL */
  double t0;                        /* start of the run, s (agape_par_wtime) */
  const char *fingerprint;          /* of the deck: a checkpoint of another deck is refused */
  char ckpath[AGAPE_PATH_MAX + 32]; /* the run's checkpoint file */
  int ckfound;                      /* --restart found a checkpoint of this deck ... */
  char ckused[AGAPE_PATH_MAX + 40]; /* ... in this file (the checkpoint or its .prev) */
} agape_run_info;

#endif
