/* AGAPE error codes and messages. Every fallible function returns an agape_err;
 * results come back through out-pointers. Errors seen by some ranks are agreed
 * collectively (agape_par_agree in parallel.h) before any rank branches on them. */
#ifndef AGAPE_ERROR_H
#define AGAPE_ERROR_H

typedef enum {
  AGAPE_OK = 0,
  AGAPE_UNCONVERGED,  /* finished and wrote every result, but some temperature did not converge
                           within max_iter (results.h5 /gap/converged marks it), or the Tc search
                           could not bracket Tc (/tc_status = no_bracket) */
  AGAPE_STOPPED,      /* stopped on request (SIGTERM/SIGUSR1) after writing a checkpoint;
                           below the errors, so that agreement prefers a real error */
  AGAPE_ERR_USAGE,    /* bad command line */
  AGAPE_ERR_DECK,     /* bad input deck: unknown key, bad value, missing key */
  AGAPE_ERR_IO,       /* a file could not be opened, read or written */
  AGAPE_ERR_FORMAT,   /* a data file has the wrong shape or content */
  AGAPE_ERR_NOMEM,    /* allocation failed */
  AGAPE_ERR_NUMERIC,  /* NaN, divergence, no convergence where it is required */
  AGAPE_ERR_MPI,      /* an MPI/BLACS call failed */
  AGAPE_ERR_INTERNAL, /* a bug: an invariant did not hold */
  AGAPE_ERR_COUNT
} agape_err;

/* Short description of an error code (static storage). */
const char *agape_strerror(agape_err e);

/* Print "agape: error: <message>" to stderr (printf-style); returns e for chaining. */
agape_err agape_error(agape_err e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "agape: warning: <message>" to stderr (printf-style). */
void agape_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
