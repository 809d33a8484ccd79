/* The check harness of every C test of AGAPE. Include it first (it sets the POSIX level the
 * temporary-folder helpers need). Every check prints one line, PASS or FAIL, and is counted;
 * check_summary() prints "N passed, M failed[, K skipped]" and returns the exit status.
 *
 *   check(ok, fmt, ...)                      a condition
 *   check_int(got, want, fmt, ...)           an exact integer (both printed)
 *   check_rel(got, want, rtol, fmt, ...)     |got - want| <= rtol |want|: both values, the
 *                                            relative error and the tolerance are printed
 *   check_abs(got, want, atol, fmt, ...)     |got - want| <= atol: likewise, absolute
 *   check_le(err, bound, fmt, ...)           an error measure against its bound: err <= bound
 *   check_skip(fmt, ...)                     a part not run (a SKIP line, counted)
 *   check_summary()                          the totals; 0 when nothing failed
 *   check_quiet(q)                           count without printing (MPI ranks other than 0)
 *   check_tmpdir(name)                       a fresh folder $TMPDIR/agape-NAME-XXXXXX, removed with
 *                                            everything in it when the program exits (kept, and
 *                                            its path printed, when AGAPE_KEEP_TMP=1)
 * All return the outcome (1 pass, 0 fail) except check_summary and check_tmpdir. */
#ifndef AGAPE_TEST_CHECK_H
#define AGAPE_TEST_CHECK_H
#if !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700
#endif
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_npass_ = 0, check_nfail_ = 0, check_nskip_ = 0, check_quiet_ = 0;

__attribute__((unused)) static void check_quiet(int q) { check_quiet_ = q; }

/* one counted line: "PASS: what[: detail]" */
static int check_line_(int ok, const char *detail, const char *fmt, va_list ap)
{
  if (ok)
    check_npass_++;
  else
    check_nfail_++;
  if (check_quiet_) return ok;
  printf("%s: ", ok ? "PASS" : "FAIL");
  vprintf(fmt, ap);
  if (detail && *detail) printf(": %s", detail);
  printf("\n");
  fflush(stdout);
  return ok;
}

__attribute__((format(printf, 2, 3), unused)) static int check(int ok, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  check_line_(ok, NULL, fmt, ap);
  va_end(ap);
  return ok;
}

__attribute__((format(printf, 3, 4), unused)) static int check_int(long long got, long long want, const char *fmt, ...)
{
  char d[128];
  snprintf(d, sizeof d, "%lld (want %lld)", got, want);
  va_list ap;
  va_start(ap, fmt);
  int ok = check_line_(got == want, d, fmt, ap);
  va_end(ap);
  return ok;
}

__attribute__((format(printf, 4, 5), unused)) static int check_rel(double got, double want, double rtol,
                                                                   const char *fmt, ...)
{
  double err = fabs(got - want) / fabs(want);
  int ok = fabs(got - want) <= rtol * fabs(want); /* false for NaN */
  char d[192];
  snprintf(d, sizeof d, "%.12g vs %.12g, relative error %.2e (tolerance %.2e)", got, want, err, rtol);
  va_list ap;
  va_start(ap, fmt);
  check_line_(ok, d, fmt, ap);
  va_end(ap);
  return ok;
}

__attribute__((format(printf, 4, 5), unused)) static int check_abs(double got, double want, double atol,
                                                                   const char *fmt, ...)
{
  double err = fabs(got - want);
  int ok = err <= atol;
  char d[224];
  snprintf(d, sizeof d, "%.12g vs %.12g, error %.2e, relative %.2e (tolerance %.2e)", got, want, err,
           want != 0 ? err / fabs(want) : err, atol);
  va_list ap;
  va_start(ap, fmt);
  check_line_(ok, d, fmt, ap);
  va_end(ap);
  return ok;
}

__attribute__((format(printf, 3, 4), unused)) static int check_le(double err, double bound, const char *fmt, ...)
{
  char d[128];
  snprintf(d, sizeof d, "%.3e <= %.3e", err, bound);
  va_list ap;
  va_start(ap, fmt);
  int ok = check_line_(err <= bound, d, fmt, ap);
  va_end(ap);
  return ok;
}

__attribute__((format(printf, 1, 2), unused)) static void check_skip(const char *fmt, ...)
{
  check_nskip_++;
  if (check_quiet_) return;
  va_list ap;
  va_start(ap, fmt);
  printf("SKIP: ");
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
}

__attribute__((unused)) static int check_summary(void)
{
  if (!check_quiet_) {
    if (check_nskip_)
      printf("%d passed, %d failed, %d skipped\n", check_npass_, check_nfail_, check_nskip_);
    else
      printf("%d passed, %d failed\n", check_npass_, check_nfail_);
    fflush(stdout);
  }
  return check_nfail_ ? 1 : 0;
}

/* ---- the test's temporary folder ------------------------------------------------------ */
static char check_tmp_[256]; /* short: Open MPI's socket paths under it must fit */

/* remove path and, if it is a folder, everything below it (symbolic links not followed) */
static void check_rm_rf_(const char *path)
{
  struct stat sb;
  if (lstat(path, &sb) != 0) return;
  if (S_ISDIR(sb.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char sub[4096];
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      check_rm_rf_(sub);
    }
    if (d) closedir(d);
    rmdir(path);
  } else
    unlink(path);
}

static void check_tmp_cleanup_(void)
{
  if (!check_tmp_[0]) return;
  const char *keep = getenv("AGAPE_KEEP_TMP");
  if (keep && !strcmp(keep, "1"))
    printf("AGAPE_KEEP_TMP=1: the temporary folder %s is kept\n", check_tmp_);
  else
    check_rm_rf_(check_tmp_);
  check_tmp_[0] = '\0';
}

/* A fresh folder under $TMPDIR (else /tmp), removed at exit. Exits with status 2 when it
 * cannot be made. One a program; a second call returns the same folder. */
__attribute__((unused)) static const char *check_tmpdir(const char *name)
{
  if (check_tmp_[0]) return check_tmp_;
  const char *base = getenv("TMPDIR");
  int len = snprintf(check_tmp_, sizeof check_tmp_, "%s/agape-%s-XXXXXX", base && *base ? base : "/tmp", name);
  if (len < 0 || len >= (int)sizeof check_tmp_ || !mkdtemp(check_tmp_)) {
    perror(check_tmp_);
    exit(2);
  }
  atexit(check_tmp_cleanup_);
  return check_tmp_;
}

#endif
