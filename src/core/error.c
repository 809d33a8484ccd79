/* Error codes and messages: the message table behind agape_strerror and the one printer
 * of user-facing errors (agape_error). Used by every stage of the data flow, from the
 * deck onwards; no MPI here (collective agreement is parallel.c's job). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agape/error.h"

/* Short descriptions, indexed by agape_err; keep in the order of the enum. */
static const char *const agape_err_messages[AGAPE_ERR_COUNT] = {
  [AGAPE_OK] = "success",
  [AGAPE_UNCONVERGED] = "finished and wrote every result, but something did not converge: a temperature "
                        "(/gap/converged = 0 in results.h5) or the Tc search (/tc_status = no_bracket)",
  [AGAPE_STOPPED] = "stopped by a signal (checkpoint written; continue with --restart)",
  [AGAPE_ERR_USAGE] = "bad command line",
  [AGAPE_ERR_DECK] = "bad input deck",
  [AGAPE_ERR_IO] = "input/output error",
  [AGAPE_ERR_FORMAT] = "a data file cannot be used (see the message above)",
  [AGAPE_ERR_NOMEM] = "out of memory",
  [AGAPE_ERR_NUMERIC] = "numerical failure",
  [AGAPE_ERR_MPI] = "MPI or BLACS failure",
  [AGAPE_ERR_INTERNAL] = "internal error (a bug in AGAPE)",
};

/* Short description of an error code.
 *   e [in] any value; codes outside the enum give "unknown error".
 * Returns a string in static storage. */
const char *agape_strerror(agape_err e)
{
  if ((int)e < 0 || e >= AGAPE_ERR_COUNT || agape_err_messages[e] == NULL) return "unknown error";
  return agape_err_messages[e];
}

/* Print "agape: error: <message>\n" to stderr. The line is formatted first and written
 * with one call, so that lines from several ranks sharing a terminal do not interleave.
 *   e   [in] the error code, returned unchanged so that callers can write
 *            `return agape_error(AGAPE_ERR_IO, "...", ...);`
 *   fmt [in] printf-style format of the message (no trailing newline needed). */
/* "agape: <kind>: <message>\n" to stderr in one write. */
static void say(const char *prefix, const char *fmt, va_list ap)
{
  char line[2048];
  size_t np = strlen(prefix);
  memcpy(line, prefix, np);
  int n = vsnprintf(line + np, sizeof line - np - 1, fmt, ap);
  if (n < 0) {
    fprintf(stderr, "%s(unprintable message)\n", prefix);
    return;
  }
  size_t len = np + (size_t)n;
  if (len > sizeof line - 2) { /* truncated: mark it */
    len = sizeof line - 2;
    memcpy(line + len - 3, "...", 3);
  }
  if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
  line[len] = '\0';
  fputs(line, stderr);
  fflush(stderr);
}

agape_err agape_error(agape_err e, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  say("agape: error: ", fmt, ap);
  va_end(ap);
  return e;
}

void agape_warning(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  say("agape: warning: ", fmt, ap);
  va_end(ap);
}
