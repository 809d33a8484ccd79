/* Unit test of the deck stage (src/input/deck.c) and the error helpers (src/core/error.c).
 * Writes decks into a fresh temporary folder (mkdtemp), parses them with agape_deck_read and
 * checks the values, the defaults, and that every kind of bad deck returns AGAPE_ERR_DECK
 * with a message naming the deck, the right line and the key (stderr is captured through
 * dup2). Prints one line per check and "N passed, M failed"; exit status 1 on failure. */
#include "check.h" /* first: it sets the POSIX level */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agape/deck.h"
#include "agape/error.h"
#include "agape/kernels.h"

/* Test state, passed to every helper (no globals). */
typedef struct {
  char dir[256];   /* the test's temporary folder (tests/check.h: removed at exit) */
  char cwd[4096];  /* working directory at start */
  char err[16384]; /* stderr of the last captured call */
} tstate;

/* Write `len` bytes of text to dir/name (creating it); returns the full path (static per call
 * site is avoided: the caller gives the buffer).
 *   t [in,out] state;  name [in] file name inside the folder;  out [out] full path */
static void write_bytes(tstate *t, const char *name, const char *text, size_t len, char *out, size_t n)
{
  snprintf(out, n, "%s/%s", t->dir, name);
  FILE *f = fopen(out, "wb");
  if (f == NULL) {
    perror(out);
    exit(2);
  }
  fwrite(text, 1, len, f);
  fclose(f);
}

static void write_file(tstate *t, const char *name, const char *text, char *out, size_t n)
{
  write_bytes(t, name, text, strlen(text), out, n);
}

/* Run agape_deck_read(path) with stderr captured into t->err.
 *   t [in,out] state;  path [in] deck;  p [out] parameters.  Returns the error code. */
static agape_err read_captured(tstate *t, const char *path, agape_params *p)
{
  char cap[600];
  snprintf(cap, sizeof cap, "%s/stderr.txt", t->dir);
  fflush(stderr);
  int saved = dup(2);
  int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (saved < 0 || fd < 0) {
    perror("capture");
    exit(2);
  }
  dup2(fd, 2);
  close(fd);
  agape_err e = agape_deck_read(path, p);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  FILE *f = fopen(cap, "r");
  size_t n = f ? fread(t->err, 1, sizeof t->err - 1, f) : 0;
  t->err[n] = '\0';
  if (f) fclose(f);
  unlink(cap);
  return e;
}

/* Number of lines of s that start with "agape: error: ". */
static int count_errors(const char *s)
{
  int n = 0;
  for (const char *q = s; (q = strstr(q, "agape: error: ")) != NULL; q++)
    if (q == s || q[-1] == '\n') n++;
  return n;
}

/* Write `text` as deck `name`, expect AGAPE_ERR_DECK and a message that contains
 * "DECK:LINE: " (or "DECK: " when line == 0) followed on the same line by `key` and by
 * `detail` (if not NULL).
 *   what [in] description printed with the check */
static void expect_bad(tstate *t, const char *what, const char *name, const char *text, int line, const char *key,
                       const char *detail)
{
  char path[600], loc[700];
  write_file(t, name, text, path, sizeof path);
  agape_params p;
  agape_err e = read_captured(t, path, &p);
  if (line > 0)
    snprintf(loc, sizeof loc, "agape: error: %s:%d: ", path, line);
  else
    snprintf(loc, sizeof loc, "agape: error: %s: ", path);
  const char *m = strstr(t->err, loc);
  int ok = e == AGAPE_ERR_DECK && m != NULL;
  if (ok) {
    const char *eol = strchr(m, '\n');
    size_t L = eol ? (size_t)(eol - m) : strlen(m);
    char msg[2048];
    if (L >= sizeof msg) L = sizeof msg - 1;
    memcpy(msg, m, L);
    msg[L] = '\0';
    ok = strstr(msg, key) != NULL && (detail == NULL || strstr(msg, detail) != NULL);
  }
  ok = ok && p.deck_text == NULL;
  check(ok, "%s: AGAPE_ERR_DECK at line %d naming '%s'%s%s", what, line, key, detail ? " and " : "",
        detail ? detail : "");
  if (!ok) fprintf(stdout, "       rc=%d stderr: %s", (int)e, t->err);
}

/* ---- the checks ------------------------------------------------------------------- */

static void test_error_helpers(tstate *t)
{
  int distinct = 1;
  for (int i = 0; i < AGAPE_ERR_COUNT; i++) {
    const char *s = agape_strerror((agape_err)i);
    if (s == NULL || s[0] == '\0' || strcmp(s, "unknown error") == 0) distinct = 0;
    for (int j = 0; j < i; j++)
      if (strcmp(s, agape_strerror((agape_err)j)) == 0) distinct = 0;
  }
  check(distinct, "agape_strerror: a distinct message for every code");
  check(strcmp(agape_strerror(AGAPE_ERR_COUNT), "unknown error") == 0 &&
          strcmp(agape_strerror((agape_err)-1), "unknown error") == 0,
        "agape_strerror: out-of-range codes give \"unknown error\"");

  char cap[600];
  snprintf(cap, sizeof cap, "%s/stderr.txt", t->dir);
  fflush(stderr);
  int saved = dup(2), fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(fd, 2);
  close(fd);
  agape_err e = agape_error(AGAPE_ERR_IO, "file %s: %d", "x.h5", 42);
  dup2(saved, 2);
  close(saved);
  FILE *f = fopen(cap, "r");
  char buf[256] = {0};
  if (f) {
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
  }
  unlink(cap);
  check(e == AGAPE_ERR_IO && strcmp(buf, "agape: error: file x.h5: 42\n") == 0,
        "agape_error: returns its code and prints \"agape: error: <message>\\n\"");
}

static void test_defaults(tstate *t)
{
  agape_params p;
  memset(&p, 0xAB, sizeof p);
  agape_params_defaults(&p);
  int ok = p.source == MAT_MODEL && strcmp(p.name, "CsB12") == 0 && p.a2f_file[0] == '\0' && p.dos_per_eV_spin == 1.0 &&
    p.a2f_bins == 64 && p.bcs_nv == 0.3 && p.bcs_omega_D_meV == 10.0 && p.coulomb == COUL_NONE && p.mu == 0.0 &&
    p.method == SOLVER_SCDFT && p.functional == KERN_SPG && p.gamma1 == 1.33 && p.gamma2 == 3.8 && p.gamma3 == 1.33 &&
    p.tol == 1e-8 && p.max_iter == 500 && p.mixing == 0.5 && p.anderson_depth == 8 && p.tc_tol == 1e-5 &&
    p.kernel_eval == KEVAL_AUTO && p.ntemps == 0 && p.tc_search == 1 && p.npoints == 50000 && p.seed == 1 &&
    p.energy_window_eV == 5.0 && p.grid_min_meV == 0.01 && p.grid_ratio == 1.4 && p.grid_order == 6 &&
    p.mc_floor == 0.1 && p.mc_eps_meV == 5.0 && p.fs_smearing_meV == 10.0 && strcmp(p.output_file, "results.h5") == 0 &&
    p.histogram_bins == 60 && p.plot == 1 && p.deck_text == NULL;
  check(ok, "agape_params_defaults: every documented default");

  char path[600];
  const char *text = "; only comments\n# and blank lines\n\n";
  write_file(t, "empty.ini", text, path, sizeof path);
  agape_params q;
  agape_err e = read_captured(t, path, &q);
  agape_params_defaults(&p);
  /* a deck without any key would run every default (the 50,000-state CsB12 job): refused */
  check(e == AGAPE_ERR_DECK && strstr(t->err, "no 'key = value' line") && q.deck_text == NULL,
        "a deck of comments only is refused: %s", t->err);
  agape_params_free(&q);
  check(q.deck_text == NULL, "agape_params_free clears deck_text");
}

static void test_full_deck(tstate *t)
{
  char a2f[600], path[600];
  write_file(t, "MgB2.a2f", "# w(meV) a2F\n1 0.1\n2 0.2\n", a2f, sizeof a2f);
  const char *deck = "; a full deck exercising every key\n" /* 1 */
                     "[material]\n"                         /* 2 */
                     "source = A2F\n"                       /* 3 */
                     "a2f_file = MgB2.a2f\n"                /* 4 */
                     "dos_per_eV_spin = 0.75\n"             /* 5 */
                     "a2f_bins = 32\n"                      /* 6 */
                     "name = lab12\n"                       /* 7 */
                     "bcs_nv = 0.25\n"                      /* 8 */
                     "bcs_omega_D_meV = 12.5\n"             /* 9 */
                     "\n"
                     "[coulomb]\n"
                     "mode = MU\n"
                     "mu = 0.12   ; inline comment\n"
                     "\n"
                     "[ Solver ]\n"
                     "method = SCDFT\n"
                     "functional = LMG\n"
                     "gamma1 = 1.3\n"
                     "gamma2 = 3.88\n"
                     "gamma3 = 1.2\n"
                     "tol = 1e-10\n"
                     "max_iter = 123\n"
                     "mixing = 1\n"
                     "anderson_depth = 0\n"
                     "TC_TOL = 2.5e-4\n"
                     "kernel_eval = interpolate\n"
                     "\n"
                     "[temperatures]\n"
                     "list = 1, 2.5 ,5 10\n"
                     "   20,40   ; continued on an indented line\n"
                     "tc_search = No\n"
                     "\n"
                     "[sampling]\n"
                     "npoints = 123456789012\n"
                     "seed = 18446744073709551615\n"
                     "energy_window_eV = 2\n"
                     "grid_min_meV = 0.001\n"
                     "grid_ratio = 1.25\n"
                     "grid_order = 16\n"
                     "mc_floor = 1\n"
                     "mc_eps_meV = 3\n"
                     "fs_smearing_meV = 7.5\n"
                     "\n"
                     "[output]\n"
                     "file = out/run1.h5\n"
                     "histogram_bins = 2\n"
                     "plot = FALSE\n";
  write_file(t, "full.ini", deck, path, sizeof path);
  agape_params p;
  agape_err e = read_captured(t, path, &p);
  /* every key is accepted; those this run (source = a2f, method = scdft) does not use are
   * reported as warnings, each with its line, and no error */
  check(e == AGAPE_OK && !strstr(t->err, "error") && strstr(t->err, "full.ini:7: [material] name does not apply") &&
          strstr(t->err, "full.ini:8: [material] bcs_nv does not apply") &&
          strstr(t->err, "[sampling] npoints does not apply") && strstr(t->err, "(it needs source = model"),
        "full deck parses; the keys that do not apply are warned with their line: %.300s", t->err);
  if (e != AGAPE_OK) {
    printf("       stderr: %s", t->err);
    return;
  }

  char *real = realpath(a2f, NULL);
  check(p.source == MAT_A2F && strcmp(p.name, "LaB12") == 0, "[material] source, name (canonical case)");
  check(real && strcmp(p.a2f_file, real) == 0, "[material] a2f_file resolved to the absolute path %s", p.a2f_file);
  free(real);
  check(p.dos_per_eV_spin == 0.75 && p.a2f_bins == 32 && p.bcs_nv == 0.25 && p.bcs_omega_D_meV == 12.5,
        "[material] numbers");
  check(p.coulomb == COUL_MU && p.mu == 0.12, "[coulomb] mode = mu, mu (inline comment stripped)");
  check(p.method == SOLVER_SCDFT && p.functional == KERN_LMG && p.gamma1 == 1.3 && p.gamma2 == 3.88 &&
          p.gamma3 == 1.2 && p.tol == 1e-10 && p.max_iter == 123 && p.mixing == 1.0 && p.anderson_depth == 0 &&
          p.tc_tol == 2.5e-4 && p.kernel_eval == KEVAL_INTERP,
        "[solver] every key (section and key names case-insensitive)");
  const double T[] = {1, 2.5, 5, 10, 20, 40};
  int tok = p.ntemps == 6;
  for (int i = 0; tok && i < 6; i++) tok = p.temps[i] == T[i];
  check(tok && p.tc_search == 0, "[temperatures] list with commas, spaces and a continuation line; tc_search = No");
  check(p.npoints == 123456789012LL && p.seed == UINT64_MAX && p.energy_window_eV == 2.0 && p.grid_min_meV == 0.001 &&
          p.grid_ratio == 1.25 && p.grid_order == 16 && p.mc_floor == 1.0 && p.mc_eps_meV == 3.0 &&
          p.fs_smearing_meV == 7.5,
        "[sampling] every key (64-bit npoints and seed)");
  check(strcmp(p.output_file, "out/run1.h5") == 0 && p.histogram_bins == 2 && p.plot == 0,
        "[output] file kept as given (relative to the working directory), histogram_bins, plot");
  check(p.deck_text && strcmp(p.deck_text, deck) == 0 && strcmp(p.deck_path, path) == 0,
        "deck_text holds the whole file, deck_path the path as given");

  /* the parameter echo */
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  agape_params_print(&p, m);
  fclose(m);
  int col = -1, aligned = 1, lines = 0;
  for (char *s = buf; s && *s;) {
    char *eol = strchr(s, '\n');
    char *eq = strstr(s, " = ");
    if (!eol || !eq || eq > eol || strncmp(s, "  ", 2) != 0) {
      aligned = 0;
      break;
    }
    if (col < 0) col = (int)(eq - s);
    if ((int)(eq - s) != col) aligned = 0;
    lines++;
    s = eol + 1;
  }
  /* only the keys of this run: the a2f source with SCDFT shows a2f_file and the energy grid,
   * not the model's name, the square well or the Monte-Carlo keys */
  check(aligned && lines > 20 && strstr(buf, "material.a2f_file") && strstr(buf, "sampling.grid_order") &&
          !strstr(buf, "material.name") && !strstr(buf, "material.bcs_nv") && !strstr(buf, "sampling.npoints") &&
          !strstr(buf, "sampling.seed") && !strstr(buf, "solver.mustar"),
        "agape_params_print: %d lines, all '=' aligned, only the keys of this run", lines);
  check(strstr(buf, "  sampling.energy_window_eV") && strstr(buf, "= 2 eV\n") &&
          strstr(buf, "= 1 2.5 5 10 20 40 K\n") && strstr(buf, "= 0.001 meV\n") && strstr(buf, "solver.functional") &&
          strstr(buf, "= lmg\n") && strstr(buf, "= 0.75 states/eV/spin/cell\n"),
        "agape_params_print: values with units");
  free(buf);

  /* the checkpoint fingerprint: every key but [output]; a change of a number-changing key
   * changes it, a change of an [output] key does not */
  char *f0 = agape_params_fingerprint(&p);
  agape_params q = p;
  q.tol *= 2;
  char *f1 = agape_params_fingerprint(&q);
  q = p;
  q.histogram_bins += 1;
  q.checkpoint_interval_s = 1;
  snprintf(q.output_file, sizeof q.output_file, "x/y.h5");
  char *f2 = agape_params_fingerprint(&q);
  q = p;
  q.temps[q.ntemps - 1] += 1;
  char *f3 = agape_params_fingerprint(&q);
  check(f0 && f1 && f2 && f3 && strcmp(f0, f1) != 0 && strcmp(f0, f2) == 0 && strcmp(f0, f3) != 0 &&
          strstr(f0, "solver.tol = ") && strstr(f0, "temperatures.list = ") && !strstr(f0, "output."),
        "agape_params_fingerprint: changes with [solver] tol and the temperatures, not with [output]");
  free(f0);
  free(f1);
  free(f2);
  free(f3);
  agape_params_free(&p);
}

static void test_paths(tstate *t)
{
  /* deck given by a relative path from another working directory: the a2f path is
   * resolved against the deck's folder, not the working directory */
  char sub[600], data[600], a2f[700], path[700];
  snprintf(sub, sizeof sub, "%s/sub", t->dir);
  snprintf(data, sizeof data, "%s/sub/data", t->dir);
  mkdir(sub, 0700);
  mkdir(data, 0700);
  write_file(t, "sub/data/x.a2f", "1 0.5\n", a2f, sizeof a2f);
  write_file(t, "sub/deck.ini", "[material]\nsource = a2f\na2f_file = data/x.a2f\n", path, sizeof path);
  if (chdir(t->dir) != 0) {
    perror("chdir");
    exit(2);
  }
  agape_params p;
  agape_err e = read_captured(t, "sub/deck.ini", &p);
  if (chdir(t->cwd) != 0) {
    perror("chdir");
    exit(2);
  }
  char *real = realpath(a2f, NULL);
  check(e == AGAPE_OK && real && strcmp(p.a2f_file, real) == 0 && strcmp(p.deck_path, "sub/deck.ini") == 0,
        "relative deck path: a2f_file resolved against the deck's folder");
  free(real);
  agape_params_free(&p);

  /* absolute a2f path */
  char deck[1600], path2[700];
  snprintf(deck, sizeof deck, "[material]\nsource = a2f\na2f_file = %s\n", a2f);
  write_file(t, "abs.ini", deck, path2, sizeof path2);
  e = read_captured(t, path2, &p);
  check(e == AGAPE_OK, "absolute a2f_file accepted");
  agape_params_free(&p);

  /* missing deck */
  char missing[700];
  snprintf(missing, sizeof missing, "%s/no-such-deck.ini", t->dir);
  e = read_captured(t, missing, &p);
  char want[900];
  snprintf(want, sizeof want, "agape: error: %s: cannot open input deck: %s", missing, strerror(ENOENT));
  check(e == AGAPE_ERR_IO && strstr(t->err, want) != NULL, "missing deck: AGAPE_ERR_IO with the path and strerror");
  e = read_captured(t, t->dir, &p);
  check(e == AGAPE_ERR_IO && strstr(t->err, t->dir) != NULL, "a folder as deck: AGAPE_ERR_IO naming it");
}

static void test_accepted_variants(tstate *t)
{
  char path[600];
  agape_params p;
  const char crlf[] = "\xEF\xBB\xBF[solver]\r\nfunctional = Spg\r\ntol: 1e-6\r\n"
                      "[temperatures]\r\nlist = 0\r\ntc_search = 1\r\n[output]\r\nplot = true\r\n";
  write_file(t, "crlf.ini", crlf, path, sizeof path);
  agape_err e = read_captured(t, path, &p);
  check(e == AGAPE_OK && p.functional == KERN_SPG && p.tol == 1e-6 && p.ntemps == 1 && p.temps[0] == 0.0 &&
          p.tc_search == 1 && p.plot == 1,
        "BOM, CRLF line ends, 'key: value', T = 0, booleans 1/true");
  agape_params_free(&p);

  /* exactly AGAPE_MAX_TEMPS temperatures over continuation lines */
  char deck[8192];
  size_t n = (size_t)snprintf(deck, sizeof deck, "[temperatures]\nlist =");
  for (int i = 0; i < AGAPE_MAX_TEMPS; i++)
    n += (size_t)snprintf(deck + n, sizeof deck - n, "%s%d", (i % 16 == 15) ? "\n  " : " ", i + 1);
  snprintf(deck + n, sizeof deck - n, "\n");
  write_file(t, "maxtemps.ini", deck, path, sizeof path);
  e = read_captured(t, path, &p);
  check(e == AGAPE_OK && p.ntemps == AGAPE_MAX_TEMPS && p.temps[AGAPE_MAX_TEMPS - 1] == AGAPE_MAX_TEMPS,
        "%d temperatures over continuation lines", AGAPE_MAX_TEMPS);
  agape_params_free(&p);

  /* seed in hexadecimal */
  write_file(t, "hexseed.ini", "[sampling]\nseed = 0xDEADbeef\n", path, sizeof path);
  e = read_captured(t, path, &p);
  check(e == AGAPE_OK && p.seed == 0xDEADBEEFu, "seed in hexadecimal");
  agape_params_free(&p);
}

static void test_bad_decks(tstate *t)
{
  expect_bad(t, "unknown section", "b_section.ini", "[material]\nsource = model\n[solvr]\ntol = 1e-6\n", 3, "[solvr]",
             "unknown section");
  expect_bad(t, "unknown key", "b_key.ini", "[solver]\ntol = 1e-6\ntolerance = 3\n", 3, "[solver] tolerance",
             "unknown key");
  expect_bad(t, "duplicate key", "b_dup.ini", "[solver]\ntol = 1e-6\nmax_iter = 3\ntol = 1e-7\n", 4, "[solver] tol",
             "duplicate key (first given on line 2)");
  expect_bad(t, "duplicate key in a repeated section", "b_dup2.ini",
             "[output]\nplot = no\n[solver]\ntol = 1e-6\n[output]\nplot = yes\n", 6, "[output] plot", "duplicate");
  expect_bad(t, "bad number 1.5x", "b_num.ini", "[solver]\n\ntol = 1.5x\n", 3, "[solver] tol",
             "\"1.5x\" is not a number");
  expect_bad(t, "empty value", "b_empty.ini", "[sampling]\nnpoints =\n", 2, "[sampling] npoints", "empty value");
  expect_bad(t, "NaN", "b_nan.ini", "[sampling]\nmc_eps_meV = NaN\n", 2, "[sampling] mc_eps_meV",
             "not a finite number");
  expect_bad(t, "inf", "b_inf.ini", "[sampling]\nenergy_window_eV = inf\n", 2, "[sampling] energy_window_eV",
             "not a finite");
  expect_bad(t, "overflow", "b_ovf.ini", "[solver]\ntc_tol = 1e999\n", 2, "[solver] tc_tol", "overflows");
  expect_bad(t, "integer overflow", "b_iovf.ini", "[sampling]\nnpoints = 99999999999999999999\n", 2,
             "[sampling] npoints", "out of the range");
  expect_bad(t, "int field above INT_MAX", "b_intmax.ini", "[solver]\nmax_iter = 3000000000\n", 2, "[solver] max_iter",
             "out of range");
  expect_bad(t, "non-integer for an integer key", "b_int.ini", "[solver]\nmax_iter = 1.5\n", 2, "[solver] max_iter",
             "not an integer");
  expect_bad(t, "value above range (open bound)", "b_range.ini", "[solver]\ntol = 1\n", 2, "[solver] tol",
             "expected a real number in [1e-14, 1)");
  expect_bad(t, "value below range (closed bound)", "b_range2.ini", "[solver]\ntol = 1e-15\n", 2, "[solver] tol",
             "expected a real number in [1e-14, 1)");
  expect_bad(t, "integer out of range", "b_order.ini", "[sampling]\ngrid_order = 17\n", 2, "[sampling] grid_order",
             "an integer in 1..16");
  expect_bad(t, "anderson_depth out of range", "b_depth.ini", "[solver]\nanderson_depth = -1\n", 2,
             "[solver] anderson_depth", "0..50");
  expect_bad(t, "mode = rpa without the model's orbitals or a save folder", "b_rpa.ini",
             "[material]\nsource = a2f\na2f_file = /dev/null\n[coulomb]\nmode = rpa\n", 5, "[coulomb] mode",
             "rpa needs Kohn-Sham states");
  expect_bad(t, "qe_save that does not exist", "b_qes.ini",
             "[material]\nsource = a2f\na2f_file = /dev/null\n[coulomb]\nmode = rpa\nqe_save = /nonexistent/al.save\n",
             6, "[coulomb] qe_save", "/nonexistent/al.save");
  expect_bad(t, "rpa_kgrid out of range", "b_rpak.ini", "[coulomb]\nmode = rpa\nrpa_kgrid = 1\n", 3,
             "[coulomb] rpa_kgrid", "2..64");
  expect_bad(t, "kernel_eval unknown choice", "b_keval.ini", "[solver]\nkernel_eval = fast\n", 2,
             "[solver] kernel_eval", "auto, exact, interpolate");
  expect_bad(t, "negative seed", "b_seed.ini", "[sampling]\nseed = -1\n", 2, "[sampling] seed", "unsigned");
  expect_bad(t, "negative temperature", "b_negT.ini", "[temperatures]\nlist = 10 -5 20\n", 2, "[temperatures] list",
             "-5");
  expect_bad(t, "NaN temperature", "b_nanT.ini", "[temperatures]\nlist = 10, nan\n", 2, "[temperatures] list",
             "\"nan\"");
  expect_bad(t, "trailing comma in list", "b_comma.ini", "[temperatures]\nlist = 10, 20,\n", 2, "[temperatures] list",
             "trailing comma");
  expect_bad(t, "bad temperature on a continuation line", "b_contT.ini", "[temperatures]\nlist = 10 20\n  30 4O\n", 3,
             "[temperatures] list", "\"4O\"");
  expect_bad(t, "bad enum", "b_enum.ini", "[solver]\nfunctional = pbe\n", 2, "[solver] functional", "one of: spg, lmg");
  expect_bad(t, "bad model name", "b_name.ini", "[material]\nname = MgB2\n", 2, "[material] name", "CsB12");
  expect_bad(t, "bad boolean", "b_bool.ini", "[output]\nplot = maybe\n", 2, "[output] plot", "not a boolean");
  expect_bad(t, "missing a2f file", "b_a2f.ini", "[material]\nsource = a2f\n\na2f_file = nothere.dat\n", 4,
             "[material] a2f_file", "nothere.dat");
  expect_bad(t, "a2f file is a folder", "b_a2fdir.ini", "[material]\nsource = a2f\na2f_file = .\n", 3,
             "[material] a2f_file", "not a regular file");
  expect_bad(t, "source = a2f without a2f_file", "b_a2fmiss.ini", "[material]\nsource = a2f\n", 0,
             "[material] a2f_file", "missing");
  expect_bad(t, "mode = mu without mu", "b_mu.ini", "[coulomb]\nmode = mu\n", 0, "[coulomb] mu", "missing");
  expect_bad(t, "no temperatures and tc_search = no", "b_notemps.ini", "[temperatures]\ntc_search = no\n", 0,
             "[temperatures] list", "tc_search = yes");
  expect_bad(t, "key before any section", "b_nosec.ini", "tol = 1e-6\n[solver]\n", 1, "tol", "outside any section");
  expect_bad(t, "line without '='", "b_syntax.ini", "[solver]\ntol 1e-6\n", 2, "not a 'key = value' line", NULL);
  expect_bad(t, "section header without ']'", "b_bracket.ini", "[solver\ntol = 1e-6\n", 1, "closing ']'", NULL);
  expect_bad(t, "indented continuation of a scalar key", "b_cont.ini", "[solver]\ntol = 1e-6\n   2\n", 3,
             "[solver] tol", "indented line");
  expect_bad(t, "grid_min not below the energy window", "b_grid.ini",
             "[sampling]\nenergy_window_eV = 0.001\ngrid_min_meV = 2\n", 3, "[sampling] grid_min_meV",
             "energy_window_eV");

  char longline[400];
  int n = snprintf(longline, sizeof longline, "[temperatures]\nlist =");
  for (int i = 0; i < 60; i++) n += snprintf(longline + n, sizeof longline - (size_t)n, " %d", 100 + i);
  snprintf(longline + n, sizeof longline - (size_t)n, "\n");
  expect_bad(t, "line too long for inih", "b_long.ini", longline, 2, "longer than", "continuation");

  char many[4096];
  n = snprintf(many, sizeof many, "[temperatures]\nlist =");
  for (int i = 0; i <= AGAPE_MAX_TEMPS; i++)
    n += snprintf(many + n, sizeof many - (size_t)n, "%s%d", (i % 20 == 19) ? "\n " : " ", i);
  snprintf(many + n, sizeof many - (size_t)n, "\n");
  expect_bad(t, "more than AGAPE_MAX_TEMPS temperatures", "b_many.ini", many, 14, "[temperatures] list",
             "more than 256");

  const char nul[] = "[solver]\ntol = 1e-6\x00\n";
  char path[600];
  write_bytes(t, "b_nul.ini", nul, sizeof nul - 1, path, sizeof path);
  agape_params p;
  agape_err e = read_captured(t, path, &p);
  check(e == AGAPE_ERR_DECK && strstr(t->err, ":2: contains a NUL byte"),
        "a NUL byte (binary file): AGAPE_ERR_DECK at its line");

  /* several problems: all reported, sorted by line, missing keys last */
  write_file(t, "b_multi.ini", "[coulomb]\nmode = mu\n[solver]\nmixing = 0\nfoo = 1\n[sampling]\nnpoints = x\n", path,
             sizeof path);
  e = read_captured(t, path, &p);
  const char *l4 = strstr(t->err, ":4: [solver] mixing");
  const char *l5 = strstr(t->err, ":5: [solver] foo");
  const char *l7 = strstr(t->err, ":7: [sampling] npoints");
  const char *mu = strstr(t->err, ": [coulomb] mu: missing");
  int ok =
    check(e == AGAPE_ERR_DECK && count_errors(t->err) == 4 && l4 && l5 && l7 && mu && l4 < l5 && l5 < l7 && l7 < mu,
          "four problems in one deck: four messages sorted by line, missing key last");
  if (!ok) printf("       stderr: %s", t->err);
}

int main(void)
{
  tstate *t = calloc(1, sizeof *t);
  if (t == NULL) return 2;
  if (getcwd(t->cwd, sizeof t->cwd) == NULL) {
    perror("getcwd");
    return 2;
  }
  snprintf(t->dir, sizeof t->dir, "%s", check_tmpdir("deck"));

  test_error_helpers(t);
  test_defaults(t);
  test_full_deck(t);
  test_paths(t);
  test_accepted_variants(t);
  test_bad_decks(t);

  int rc = check_summary();
  free(t);
  return rc;
}
