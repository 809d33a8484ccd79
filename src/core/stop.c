/* Stop requests by signal, and the fault-injection hook of the restart tests
 * (see include/agape/stop.h). No MPI here beyond agape_par_max. */
#define _POSIX_C_SOURCE 200809L
#include "agape/stop.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_flag = 0; /* 0, or the first stop signal received */
static int stop_agreed_sig = 0;             /* the signal agreed by agape_stop_agreed */
static int stop_rank = 0;

static void stop_handler(int sig)
{
  if (!stop_flag) stop_flag = sig;
}

/* AGAPE_FAULT, parsed once at install: site, count (0: no fault), rank (-1: all), signal */
static struct {
  char site[32];
  long count;
  int rank, sig;
  long seen;
} fault;

static void fault_parse(void)
{
  const char *e = getenv("AGAPE_FAULT");
  fault.count = 0;
  if (!e || !*e) return;
  char sig[16] = "TERM";
  fault.rank = -1;
  int n = sscanf(e, "%31[^:]:%ld:%d:%15s", fault.site, &fault.count, &fault.rank, sig);
  if (n < 2 || fault.count < 1) {
    fprintf(stderr, "agape: warning: AGAPE_FAULT=%s ignored (expected SITE:COUNT[:RANK[:SIGNAL]])\n", e);
    fault.count = 0;
    return;
  }
  fault.sig = !strcmp(sig, "KILL") ? SIGKILL : !strcmp(sig, "USR1") ? SIGUSR1 : SIGTERM;
}

void agape_stop_install(int rank)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = stop_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* a signal must not fail a read or write */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  stop_rank = rank;
  fault_parse();
}

int agape_stop_pending(void) { return stop_flag != 0; }

const char *agape_stop_signame(void)
{
  int s = stop_agreed_sig ? stop_agreed_sig : stop_flag;
  return s == SIGTERM ? "SIGTERM" : s == SIGUSR1 ? "SIGUSR1" : "";
}

int agape_stop_agreed(const agape_par *par)
{
  int s = (int)agape_par_max(par, (double)stop_flag);
  if (s && !stop_agreed_sig) stop_agreed_sig = s;
  return s != 0;
}

void agape_stop_fault(const char *site)
{
  if (fault.count == 0 || strcmp(site, fault.site) != 0) return;
  if (fault.rank >= 0 && fault.rank != stop_rank) return;
  long k;
#pragma omp atomic capture
  k = ++fault.seen;
  if (k == fault.count) raise(fault.sig);
}
