/* Stop requests: SIGTERM and SIGUSR1 (a batch system's time limit, `scancel`, `sbatch
 * --signal`) ask AGAPE to write a checkpoint and exit. The handler only sets a flag; the
 * run looks at it at safe points (every gap iteration, every Arnoldi product, every kernel
 * row, after sampling and Coulomb) and agrees on it collectively, so every rank stops at
 * the same point. Fault injection for tests: AGAPE_FAULT="SITE:COUNT[:RANK[:SIGNAL]]"
 * raises SIGNAL (TERM, USR1 or KILL; default TERM) on rank RANK (default every rank) the
 * COUNT-th time (from 1) the run passes SITE (one of agape_stop_fault's sites). */
#ifndef AGAPE_STOP_H
#define AGAPE_STOP_H
#include "agape/parallel.h"

/* Install the SIGTERM and SIGUSR1 handlers (once, after MPI is up). */
void agape_stop_install(int rank);
/* This rank has received a stop signal (async-signal-safe flag; cheap, no communication). */
int agape_stop_pending(void);
/* Name of the stop signal ("SIGTERM", "SIGUSR1"; after agape_stop_agreed, the one agreed by
 * all ranks, else this rank's own) or "" if none. */
const char *agape_stop_signame(void);
/* Collective: 1 on every rank if any rank has received a stop signal, else 0. */
int agape_stop_agreed(const agape_par *par);
/* Fault-injection site (see above): sampling, coulomb, kernel_row, eigen, iteration,
 * temperature, output. Thread-safe; a no-op unless AGAPE_FAULT names this site. */
void agape_stop_fault(const char *site);

#endif
