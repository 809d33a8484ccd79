/* The PASS/FAIL recorder shared by the C unit tests: check(ok, fmt, ...) prints one line
 * and counts it; check_summary() prints the totals and returns the exit status. */
#ifndef AGAPE_TEST_CHECK_H
#define AGAPE_TEST_CHECK_H
#include <stdarg.h>
#include <stdio.h>

static int n_pass = 0, n_fail = 0;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  printf("%s: ", ok ? "PASS" : "FAIL");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  if (ok)
    n_pass++;
  else
    n_fail++;
}

static int check_summary(void)
{
  printf("%d passed, %d failed\n", n_pass, n_fail);
  return n_fail ? 1 : 0;
}

#endif
