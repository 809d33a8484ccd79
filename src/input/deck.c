/* Input deck: parse and validate the INI deck into agape_params. First stage of the data
 * flow (deck -> material -> sampling -> coulomb -> assembly -> solve -> output). Rank 0
 * calls agape_deck_read; the driver broadcasts the result. No MPI here.
 *
 * libinih does the tokenising. Its handler does not receive line numbers in the Debian
 * build (INI_HANDLER_LINENO 0), so the deck is read into memory and fed to inih through
 * our own reader (ini_parse_stream), which counts lines and classifies each one exactly as
 * inih does (comment, continuation, section header, key line, syntax error). All state
 * lives in one parse context (deck_ctx) passed as inih's user pointer; nothing is global.
 *
 * Every key is described once in the table deck_keys (section, name, type, field offset,
 * bounds, unit). The parser, the "expected ..." part of error messages and
 * agape_params_print are all driven by that table; docs/input.md documents it.
 *
 * Errors are collected (all of them, sorted by line) and printed as
 *   agape: error: DECK:LINE: [section] key: what is wrong (expected ...)
 * or, for a key that is missing, "agape: error: DECK: [section] key: missing ...". */
#define _XOPEN_SOURCE 700 /* realpath, strcasecmp (POSIX.1-2008 with XSI) */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <ini.h>

#include "agape/deck.h"
#include "agape/error.h"
#include "agape/kernels.h"
#include "agape/units.h"

/* ---- the key table ---------------------------------------------------------------- */

typedef enum {
  SEC_MATERIAL,
  SEC_COULOMB,
  SEC_SOLVER,
  SEC_TEMPERATURES,
  SEC_SAMPLING,
  SEC_OUTPUT,
  SEC_COUNT
} deck_section;

static const char *const deck_section_names[SEC_COUNT] = {"material",     "coulomb",  "solver",
                                                          "temperatures", "sampling", "output"};

typedef enum {
  KT_REAL,   /* double, strict strtod, finite, within [lo, hi] (open ends optional) */
  KT_INT,    /* int, strict strtoll base 10, within [lo, hi] */
  KT_INT64,  /* int64_t, strict strtoll base 10, within [lo, hi] */
  KT_UINT64, /* uint64_t, decimal or 0x-hexadecimal, no sign */
  KT_BOOL,   /* int 0/1 from yes|no|true|false|1|0 */
  KT_ENUM,   /* int (or enum) from a case-insensitive name list */
  KT_NAME,   /* char[size] holding the canonical spelling of a name-list entry */
  KT_PATH,   /* char[size] holding a path */
  KT_TEMPS   /* the temperature list: ntemps + temps[], K */
} deck_type;

typedef struct {
  deck_section sec;
  const char *key; /* key name as documented (matched case-insensitively) */
  deck_type type;
  size_t off;               /* offsetof(agape_params, field) */
  size_t size;              /* KT_NAME/KT_PATH: capacity of the char array */
  double lo, hi;            /* numeric bounds; -HUGE_VAL / HUGE_VAL = unbounded */
  int lo_open, hi_open;     /* 1: the bound itself is excluded */
  const char *const *names; /* KT_ENUM/KT_NAME: NULL-terminated list of spellings */
  const int *vals;          /* KT_ENUM: value stored for names[i] */
  const char *unit;         /* printed after the value ("" = none) */
} deck_key;

static const char *const deck_src_names[] = {"model", "a2f", "epw", NULL};
static const int deck_src_vals[] = {MAT_MODEL, MAT_A2F, MAT_EPW};
static const char *const deck_model_names[] = {"CsB12", "LaB12", "bcs", NULL};
static const char *const deck_coul_names[] = {"none", "mu", "rpa", "file", NULL};
static const int deck_coul_vals[] = {COUL_NONE, COUL_MU, COUL_RPA, COUL_FILE};
static const char *const deck_method_names[] = {"scdft", "eliashberg", NULL};
static const int deck_method_vals[] = {SOLVER_SCDFT, SOLVER_ELIASHBERG};
static const char *const deck_aniso_names[] = {"iso", "aniso", NULL};
static const int deck_aniso_vals[] = {ELI_ISO, ELI_ANISO};
static const char *const deck_ztail_names[] = {"exact", "epw", NULL};
static const int deck_ztail_vals[] = {ELI_ZTAIL_EXACT, ELI_ZTAIL_EPW};
static const char *const deck_states_names[] = {"auto", "montecarlo", "window", NULL};
static const int deck_states_vals[] = {STATES_AUTO, STATES_MONTECARLO, STATES_WINDOW};
static const char *const deck_func_names[] = {"spg", "lmg", NULL};
static const int deck_func_vals[] = {KERN_SPG, KERN_LMG};
static const char *const deck_keval_names[] = {"auto", "exact", "interpolate", "separable", NULL};
static const int deck_keval_vals[] = {KEVAL_AUTO, KEVAL_EXACT, KEVAL_INTERP, KEVAL_SEPARABLE};

_Static_assert(sizeof(agape_mat_source) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(agape_coul_mode) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(agape_solver_method) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(agape_kernel_eval) == sizeof(int), "enum fields are stored as int");

#define F(field) offsetof(agape_params, field)
#define NOLO     (-HUGE_VAL)
#define NOHI     HUGE_VAL
/* REAL(section, key, field, lo, lo_open, hi, hi_open, unit) */
#define REAL(s, k, f, lo, lo_o, hi, hi_o, u)                                                                           \
  {                                                                                                                    \
    s, k, KT_REAL, F(f), 0, lo, hi, lo_o, hi_o, NULL, NULL, u                                                          \
  }
#define INT(s, k, f, lo, hi, u)                                                                                        \
  {                                                                                                                    \
    s, k, KT_INT, F(f), 0, lo, hi, 0, 0, NULL, NULL, u                                                                 \
  }
#define INT64(s, k, f, lo, hi, u)                                                                                      \
  {                                                                                                                    \
    s, k, KT_INT64, F(f), 0, lo, hi, 0, 0, NULL, NULL, u                                                               \
  }
#define ENUM(s, k, f, names, vals)                                                                                     \
  {                                                                                                                    \
    s, k, KT_ENUM, F(f), 0, NOLO, NOHI, 0, 0, names, vals, ""                                                          \
  }
#define BOOL(s, k, f)                                                                                                  \
  {                                                                                                                    \
    s, k, KT_BOOL, F(f), 0, NOLO, NOHI, 0, 0, NULL, NULL, ""                                                           \
  }
#define PATH(s, k, f)                                                                                                  \
  {                                                                                                                    \
    s, k, KT_PATH, F(f), sizeof(((agape_params *)0)->f), NOLO, NOHI, 0, 0, NULL, NULL, ""                              \
  }

static const deck_key deck_keys[] = {
  ENUM(SEC_MATERIAL, "source", source, deck_src_names, deck_src_vals),
  {SEC_MATERIAL, "name", KT_NAME, F(name), sizeof(((agape_params *)0)->name), NOLO, NOHI, 0, 0, deck_model_names, NULL,
   ""},
  PATH(SEC_MATERIAL, "a2f_file", a2f_file),
  REAL(SEC_MATERIAL, "dos_per_eV_spin", dos_per_eV_spin, 0, 1, NOHI, 0, "states/eV/spin/cell"),
  INT(SEC_MATERIAL, "a2f_bins", a2f_bins, 4, 100000, ""),
  PATH(SEC_MATERIAL, "epw_dir", epw_dir),
  REAL(SEC_MATERIAL, "eps_acustic_cm", eps_acustic_cm, NOLO, 0, NOHI, 0, "1/cm"),
  REAL(SEC_MATERIAL, "degaussq_meV", degaussq_meV, 0, 1, NOHI, 0, "meV"),
  INT(SEC_MATERIAL, "nqstep", nqstep, 10, 1000000, "points"),
  REAL(SEC_MATERIAL, "bcs_nv", bcs_nv, 0, 1, NOHI, 0, ""),
  REAL(SEC_MATERIAL, "bcs_omega_D_meV", bcs_omega_D_meV, 0, 1, NOHI, 0, "meV"),

  ENUM(SEC_COULOMB, "mode", coulomb, deck_coul_names, deck_coul_vals),
  REAL(SEC_COULOMB, "mu", mu, 0, 0, NOHI, 0, ""),
  INT(SEC_COULOMB, "rpa_kgrid", rpa_kgrid, 2, 64, "points per direction"),
  REAL(SEC_COULOMB, "rpa_gcut_invA", rpa_gcut_invA, 0, 1, NOHI, 0, "1/Angstrom"),
  BOOL(SEC_COULOMB, "rpa_local_fields", rpa_local_fields),
  REAL(SEC_COULOMB, "rpa_temperature_K", rpa_temperature_K, 0, 1, NOHI, 0, "K"),
  REAL(SEC_COULOMB, "rpa_smearing_meV", rpa_smearing_meV, 0, 1, NOHI, 0, "meV"),
  REAL(SEC_COULOMB, "orbital_radius_A", orbital_radius_A, 0, 1, NOHI, 0, "Angstrom"),
  PATH(SEC_COULOMB, "w_file", w_file),
  PATH(SEC_COULOMB, "qe_save", qe_save),
  REAL(SEC_COULOMB, "rpa_gmax_bohr", rpa_gmax_bohr, 0, 1, NOHI, 0, "1/bohr"),
  REAL(SEC_COULOMB, "rpa_band_cutoff_eV", rpa_band_cutoff_eV, 0, 1, NOHI, 0, "eV"),

  ENUM(SEC_SOLVER, "method", method, deck_method_names, deck_method_vals),
  ENUM(SEC_SOLVER, "functional", functional, deck_func_names, deck_func_vals),
  REAL(SEC_SOLVER, "gamma1", gamma1, 0, 1, NOHI, 0, ""),
  REAL(SEC_SOLVER, "gamma2", gamma2, 0, 1, NOHI, 0, ""),
  REAL(SEC_SOLVER, "gamma3", gamma3, 0, 1, NOHI, 0, ""),
  REAL(SEC_SOLVER, "tol", tol, 1e-14, 0, 1, 1, "(relative)"), /* below 1e-14: under double round-off */
  INT(SEC_SOLVER, "max_iter", max_iter, 1, INT_MAX, "iterations"),
  REAL(SEC_SOLVER, "mixing", mixing, 0, 1, 1, 0, ""),
  INT(SEC_SOLVER, "anderson_depth", anderson_depth, 0, 50, ""),
  REAL(SEC_SOLVER, "tc_tol", tc_tol, 0, 1, NOHI, 0, "(relative)"),
  ENUM(SEC_SOLVER, "kernel_eval", kernel_eval, deck_keval_names, deck_keval_vals),
  ENUM(SEC_SOLVER, "anisotropy", anisotropy, deck_aniso_names, deck_aniso_vals),
  ENUM(SEC_SOLVER, "z_tail", z_tail, deck_ztail_names, deck_ztail_vals),
  REAL(SEC_SOLVER, "mustar", mustar, 0, 0, NOHI, 0, ""),
  REAL(SEC_SOLVER, "wscut_meV", wscut_meV, 0, 1, 1e5, 0, "meV"),

  {SEC_TEMPERATURES, "list", KT_TEMPS, F(temps), 0, 0, NOHI, 0, 0, NULL, NULL, "K"},
  BOOL(SEC_TEMPERATURES, "tc_search", tc_search),

  ENUM(SEC_SAMPLING, "states", states, deck_states_names, deck_states_vals),
  INT64(SEC_SAMPLING, "npoints", npoints, 1, NOHI, "states"),
  {SEC_SAMPLING, "seed", KT_UINT64, F(seed), 0, NOLO, NOHI, 0, 0, NULL, NULL, ""},
  REAL(SEC_SAMPLING, "energy_window_eV", energy_window_eV, 0, 1, 1000, 0, "eV"),
  REAL(SEC_SAMPLING, "grid_min_meV", grid_min_meV, 0, 1, NOHI, 0, "meV"),
  REAL(SEC_SAMPLING, "grid_ratio", grid_ratio, 1, 1, NOHI, 0, ""),
  INT(SEC_SAMPLING, "grid_order", grid_order, 1, 16, "points/panel"),
  REAL(SEC_SAMPLING, "mc_floor", mc_floor, 0, 1, 1, 0, ""),
  REAL(SEC_SAMPLING, "mc_eps_meV", mc_eps_meV, 0, 1, NOHI, 0, "meV"),
  REAL(SEC_SAMPLING, "fs_smearing_meV", fs_smearing_meV, 0, 1, NOHI, 0, "meV"),

  PATH(SEC_OUTPUT, "file", output_file),
  INT(SEC_OUTPUT, "histogram_bins", histogram_bins, 2, 100000, ""),
  BOOL(SEC_OUTPUT, "plot", plot),
  REAL(SEC_OUTPUT, "checkpoint_interval_s", checkpoint_interval_s, 0, 0, NOHI, 0, "s"),
};
#define DECK_NKEYS (sizeof deck_keys / sizeof deck_keys[0])

#undef F
#undef REAL
#undef INT
#undef INT64
#undef ENUM
#undef BOOL
#undef PATH

/* ---- parse context ---------------------------------------------------------------- */

#define DECK_MAX_MSGS 32 /* errors kept for printing; further ones are only counted */
#define DECK_MSG_LEN  512

typedef struct {
  int line;                /* 0 for deck-wide problems (missing keys): printed last */
  int seq;                 /* order of detection, to keep the sort stable */
  char text[DECK_MSG_LEN]; /* "[section] key: what is wrong (expected ...)" */
} deck_msg;

typedef struct {
  const char *path;     /* deck path as given */
  agape_params *p;      /* output */
  const char *text;     /* whole deck, NUL-terminated */
  size_t len, pos;      /* text length; reader position */
  int lineno;           /* physical line last handed to inih, 1-based */
  int line_cont;        /* that line is a continuation of the previous key's value */
  int prev_key;         /* mirrors inih's prev_name: a key was seen since the last [section] */
  int seen[DECK_NKEYS]; /* line where each key was given, 0 if not given */
  int nerr;             /* errors found */
  deck_msg msgs[DECK_MAX_MSGS];
} deck_ctx;

/* Record one error.
 *   c    [in,out] parse context
 *   line [in] deck line (1-based), or 0 for a deck-wide problem
 *   fmt  [in] printf-style message, starting with "[section] key: ..." */
static void deck_err(deck_ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void deck_err(deck_ctx *c, int line, const char *fmt, ...)
{
  if (c->nerr < DECK_MAX_MSGS) {
    deck_msg *m = &c->msgs[c->nerr];
    m->line = line;
    m->seq = c->nerr;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof m->text, fmt, ap);
    va_end(ap);
  }
  c->nerr++;
}

/* qsort order of messages: by line, deck-wide messages (line 0) last, then by detection. */
static int deck_msg_cmp(const void *a, const void *b)
{
  const deck_msg *x = a, *y = b;
  long lx = x->line ? x->line : LONG_MAX, ly = y->line ? y->line : LONG_MAX;
  if (lx != ly) return lx < ly ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Print the collected errors with agape_error, sorted by line.
 *   c [in,out] parse context (messages are sorted in place) */
static void deck_flush_errors(deck_ctx *c)
{
  int n = c->nerr < DECK_MAX_MSGS ? c->nerr : DECK_MAX_MSGS;
  qsort(c->msgs, (size_t)n, sizeof c->msgs[0], deck_msg_cmp);
  for (int i = 0; i < n; i++) {
    if (c->msgs[i].line > 0)
      agape_error(AGAPE_ERR_DECK, "%s:%d: %s", c->path, c->msgs[i].line, c->msgs[i].text);
    else
      agape_error(AGAPE_ERR_DECK, "%s: %s", c->path, c->msgs[i].text);
  }
  if (c->nerr > n) agape_error(AGAPE_ERR_DECK, "%s: %d more error(s) not shown", c->path, c->nerr - n);
}

/* ---- small helpers ---------------------------------------------------------------- */

/* Copy s into out (capacity n), quoted and shortened to keep messages on one line. */
static const char *deck_quote(const char *s, char *out, size_t n)
{
  size_t len = strlen(s);
  if (len + 3 <= n && len <= 60)
    snprintf(out, n, "\"%s\"", s);
  else
    snprintf(out, n, "\"%.40s...\"", s);
  return out;
}

/* Format a number for messages and the parameter echo: shortest of %.15g / %.17g that
 * reads back to the same double. */
static const char *deck_fmt_real(double x, char *out, size_t n)
{
  snprintf(out, n, "%.15g", x);
  if (strtod(out, NULL) != x) snprintf(out, n, "%.17g", x);
  return out;
}

/* Describe the values a key accepts, for the "(expected ...)" part of messages.
 *   k [in] the key;  out [out] text of capacity n.  Returns out. */
static const char *deck_expect(const deck_key *k, char *out, size_t n)
{
  char a[40], b[40];
  size_t used = 0;
  switch (k->type) {
  case KT_REAL:
    if (isfinite(k->lo) && isfinite(k->hi))
      snprintf(out, n, "a real number in %c%s, %s%c", k->lo_open ? '(' : '[', deck_fmt_real(k->lo, a, sizeof a),
               deck_fmt_real(k->hi, b, sizeof b), k->hi_open ? ')' : ']');
    else if (isfinite(k->lo))
      snprintf(out, n, "a real number %s %s", k->lo_open ? ">" : ">=", deck_fmt_real(k->lo, a, sizeof a));
    else
      snprintf(out, n, "a real number");
    break;
  case KT_INT:
  case KT_INT64:
    if (isfinite(k->hi) && k->hi < (double)INT_MAX)
      snprintf(out, n, "an integer in %.0f..%.0f", k->lo, k->hi);
    else
      snprintf(out, n, "an integer >= %.0f", k->lo);
    break;
  case KT_UINT64: snprintf(out, n, "an unsigned 64-bit integer, decimal or 0x-hexadecimal"); break;
  case KT_BOOL: snprintf(out, n, "yes, no, true, false, 1 or 0"); break;
  case KT_ENUM:
  case KT_NAME:
    used = (size_t)snprintf(out, n, "one of:");
    for (int i = 0; k->names[i] && used < n; i++)
      used += (size_t)snprintf(out + used, n - used, "%s %s", i ? "," : "", k->names[i]);
    break;
  case KT_PATH: snprintf(out, n, "a file path of at most %zu characters", k->size - 1); break;
  case KT_TEMPS:
    snprintf(out, n, "temperatures in K, each >= 0, separated by spaces or commas, at most %d", AGAPE_MAX_TEMPS);
    break;
  }
  return out;
}

/* Strict real number: the whole string, finite, no overflow or underflow.
 *   v [in] text;  x [out] value.  Returns NULL on success, else what is wrong. */
static const char *deck_parse_real(const char *v, double *x)
{
  if (*v == '\0') return "empty value";
  if (isspace((unsigned char)*v)) return "is not a number";
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (end == v) return "is not a number";
  if (*end != '\0') return "is not a number (characters after the number)";
  if (errno == ERANGE) return fabs(d) > 1 ? "overflows a double" : "underflows a double";
  if (!isfinite(d)) return "is not a finite number";
  *x = d;
  return NULL;
}

/* Strict signed decimal integer.  v [in] text;  x [out] value.  Returns NULL or what is wrong. */
static const char *deck_parse_int(const char *v, long long *x)
{
  if (*v == '\0') return "empty value";
  if (!(isdigit((unsigned char)*v) || *v == '-' || *v == '+')) return "is not an integer";
  char *end;
  errno = 0;
  long long i = strtoll(v, &end, 10);
  if (end == v || *end != '\0') return "is not an integer";
  if (errno == ERANGE) return "is out of the range of a 64-bit integer";
  *x = i;
  return NULL;
}

/* Strict unsigned 64-bit integer, decimal or with a 0x prefix; no sign.
 *   v [in] text;  x [out] value.  Returns NULL or what is wrong. */
static const char *deck_parse_u64(const char *v, uint64_t *x)
{
  if (*v == '\0') return "empty value";
  if (!isdigit((unsigned char)*v)) return "is not an unsigned integer";
  int base = (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? 16 : 10;
  const char *digits = base == 16 ? v + 2 : v;
  if (!isxdigit((unsigned char)*digits)) return "is not an unsigned integer";
  char *end;
  errno = 0;
  unsigned long long u = strtoull(digits, &end, base);
  if (*end != '\0') return "is not an unsigned integer";
  if (errno == ERANGE) return "is out of the range of a 64-bit unsigned integer";
  *x = (uint64_t)u;
  return NULL;
}

/* Is x inside the key's bounds? */
static int deck_in_bounds(const deck_key *k, double x)
{
  if (k->lo_open ? !(x > k->lo) : !(x >= k->lo)) return 0;
  if (k->hi_open ? !(x < k->hi) : !(x <= k->hi)) return 0;
  return 1;
}

/* Trimmed copy of s[0..n) into out (capacity cap). */
static void deck_trim_copy(const char *s, size_t n, char *out, size_t cap)
{
  while (n > 0 && isspace((unsigned char)*s)) {
    s++;
    n--;
  }
  while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
  if (n >= cap) n = cap - 1;
  memcpy(out, s, n);
  out[n] = '\0';
}

/* Section index of a name (trimmed, case-insensitive), or -1. */
static int deck_find_section(const char *name)
{
  char t[64];
  deck_trim_copy(name, strlen(name), t, sizeof t);
  for (int s = 0; s < SEC_COUNT; s++)
    if (strcasecmp(t, deck_section_names[s]) == 0) return s;
  return -1;
}

/* Index of key `name` in section sec within deck_keys, or -1. */
static int deck_find_key(int sec, const char *name)
{
  for (size_t i = 0; i < DECK_NKEYS; i++)
    if ((int)deck_keys[i].sec == sec && strcasecmp(deck_keys[i].key, name) == 0) return (int)i;
  return -1;
}

/* List the keys of a section ("a, b, c") into out (capacity n). */
static const char *deck_key_list(int sec, char *out, size_t n)
{
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < DECK_NKEYS && used < n; i++)
    if ((int)deck_keys[i].sec == sec)
      used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "", deck_keys[i].key);
  return out;
}

/* ---- value parsing ---------------------------------------------------------------- */

/* Append the temperatures in v (separated by whitespace and/or single commas) to p.
 *   c [in,out] context;  k [in] the list key;  v [in] value text (one line of the list) */
static void deck_parse_temps(deck_ctx *c, const deck_key *k, const char *v)
{
  agape_params *p = c->p;
  char ex[200], q[80], tok[64];
  const char *s = v;
  int need_item = 0; /* a comma was just read: an item must follow */
  if (*s == '\0') {
    deck_err(c, c->lineno, "[temperatures] list: empty value (expected %s)", deck_expect(k, ex, sizeof ex));
    return;
  }
  for (;;) {
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') break;
    if (*s == ',') {
      if (need_item || s == v) {
        deck_err(c, c->lineno, "[temperatures] list: empty entry between commas in %s (expected %s)",
                 deck_quote(v, q, sizeof q), deck_expect(k, ex, sizeof ex));
        return;
      }
      need_item = 1;
      s++;
      continue;
    }
    const char *t0 = s;
    while (*s && *s != ',' && !isspace((unsigned char)*s)) s++;
    size_t n = (size_t)(s - t0);
    if (n >= sizeof tok) n = sizeof tok - 1;
    memcpy(tok, t0, n);
    tok[n] = '\0';
    need_item = 0;
    double T;
    const char *why = deck_parse_real(tok, &T);
    if (why) {
      deck_err(c, c->lineno, "[temperatures] list: %s %s (expected %s)", deck_quote(tok, q, sizeof q), why,
               deck_expect(k, ex, sizeof ex));
      return;
    }
    if (T < 0) {
      deck_err(c, c->lineno, "[temperatures] list: temperature %s K is negative (expected %s)", tok,
               deck_expect(k, ex, sizeof ex));
      return;
    }
    if (p->ntemps >= AGAPE_MAX_TEMPS) {
      deck_err(c, c->lineno, "[temperatures] list: more than %d temperatures (expected %s)", AGAPE_MAX_TEMPS,
               deck_expect(k, ex, sizeof ex));
      return;
    }
    p->temps[p->ntemps++] = T;
  }
  if (need_item)
    deck_err(c, c->lineno, "[temperatures] list: trailing comma in %s (expected %s)", deck_quote(v, q, sizeof q),
             deck_expect(k, ex, sizeof ex));
}

/* Parse one value into its field of c->p, reporting a bad value at the current line.
 *   c [in,out] context;  k [in] the key;  v [in] value text as inih trimmed it */
static void deck_set_value(deck_ctx *c, const deck_key *k, const char *v)
{
  char *base = (char *)c->p;
  const char *sec = deck_section_names[k->sec];
  char ex[200], q[80];
  const char *why = NULL;

  switch (k->type) {
  case KT_REAL: {
    double x;
    why = deck_parse_real(v, &x);
    if (!why && !deck_in_bounds(k, x)) why = "is out of range";
    if (!why) memcpy(base + k->off, &x, sizeof x);
    break;
  }
  case KT_INT:
  case KT_INT64: {
    long long i;
    why = deck_parse_int(v, &i);
    if (!why && !deck_in_bounds(k, (double)i)) why = "is out of range";
    if (!why && k->type == KT_INT && (i < INT_MIN || i > INT_MAX)) why = "is out of range";
    if (!why) {
      if (k->type == KT_INT) {
        int j = (int)i;
        memcpy(base + k->off, &j, sizeof j);
      } else {
        int64_t j = (int64_t)i;
        memcpy(base + k->off, &j, sizeof j);
      }
    }
    break;
  }
  case KT_UINT64: {
    uint64_t u;
    why = deck_parse_u64(v, &u);
    if (!why) memcpy(base + k->off, &u, sizeof u);
    break;
  }
  case KT_BOOL: {
    static const char *const yes[] = {"yes", "true", "1"}, *const no[] = {"no", "false", "0"};
    int b = -1;
    for (int i = 0; i < 3; i++) {
      if (strcasecmp(v, yes[i]) == 0) b = 1;
      if (strcasecmp(v, no[i]) == 0) b = 0;
    }
    if (*v == '\0')
      why = "empty value";
    else if (b < 0)
      why = "is not a boolean";
    else
      memcpy(base + k->off, &b, sizeof b);
    break;
  }
  case KT_ENUM:
  case KT_NAME: {
    int found = -1;
    for (int i = 0; k->names[i]; i++)
      if (strcasecmp(v, k->names[i]) == 0) found = i;
    if (*v == '\0')
      why = "empty value";
    else if (found < 0)
      why = "is not an allowed value";
    else if (k->type == KT_ENUM)
      memcpy(base + k->off, &k->vals[found], sizeof(int));
    else
      snprintf(base + k->off, k->size, "%s", k->names[found]);
    break;
  }
  case KT_PATH:
    if (*v == '\0')
      why = "empty value";
    else if (strlen(v) >= k->size)
      why = "is too long";
    else
      memcpy(base + k->off, v, strlen(v) + 1);
    break;
  case KT_TEMPS: deck_parse_temps(c, k, v); return;
  }
  if (why == NULL) return;
  if (strcmp(why, "empty value") == 0)
    deck_err(c, c->lineno, "[%s] %s: empty value (expected %s)", sec, k->key, deck_expect(k, ex, sizeof ex));
  else
    deck_err(c, c->lineno, "[%s] %s: %s %s (expected %s)", sec, k->key, deck_quote(v, q, sizeof q), why,
             deck_expect(k, ex, sizeof ex));
}

/* ---- inih callbacks ---------------------------------------------------------------- */

/* inih's scan for a closing character or an inline comment (";" after whitespace),
 * reproduced so that the reader classifies lines exactly as inih will. */
static const char *deck_find_chars_or_comment(const char *s, const char *chars)
{
  int was_space = 0;
  while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
    was_space = isspace((unsigned char)*s);
    s++;
  }
  return s;
}

/* Classify the line just read (as inih will) and report what inih reports without
 * telling the handler: unknown section headers and syntax errors.
 *   c [in,out] context;  buf [in] the line */
static void deck_classify_line(deck_ctx *c, const char *buf)
{
  const char *line = buf;
  if (c->lineno == 1 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
      (unsigned char)line[2] == 0xBF)
    line += 3; /* UTF-8 byte-order mark, skipped by inih */
  const char *t = line;
  while (*t && isspace((unsigned char)*t)) t++;
  c->line_cont = 0;
  if (*t == '\0' || *t == ';' || *t == '#') return; /* blank line or comment */
  if (c->prev_key && t > line) {                    /* indented: continues the value */
    c->line_cont = 1;
    return;
  }
  if (*t == '[') {
    const char *e = deck_find_chars_or_comment(t + 1, "]");
    if (*e != ']') {
      deck_err(c, c->lineno, "section header without a closing ']' (expected [name])");
      return;
    }
    c->prev_key = 0;
    char name[64], ex[160];
    deck_trim_copy(t + 1, (size_t)(e - t - 1), name, sizeof name);
    const char *after = e + 1;
    while (*after && isspace((unsigned char)*after)) after++;
    if (*after && *after != ';' && *after != '#')
      deck_err(c, c->lineno, "[%s]: text after the section header (put each 'key = value' on a line of its own)", name);
    if (deck_find_section(name) < 0) {
      size_t used = 0;
      for (int s = 0; s < SEC_COUNT; s++)
        used += (size_t)snprintf(ex + used, sizeof ex - used, "%s[%s]", s ? ", " : "", deck_section_names[s]);
      deck_err(c, c->lineno, "[%s]: unknown section (expected one of %s)", name, ex);
    }
    return;
  }
  const char *e = deck_find_chars_or_comment(t, "=:");
  if (*e != '=' && *e != ':') deck_err(c, c->lineno, "not a 'key = value' line, a [section] header or a comment");
}

/* inih reader: hands inih the next line of the in-memory deck and counts lines.
 *   buf [out] line buffer of inih;  num [in] its capacity;  stream [in,out] the deck_ctx
 * Returns buf, or NULL at the end of the deck. A line too long for inih's buffer is
 * reported and replaced by an empty line, so that inih never splits it. */
static char *deck_reader(char *buf, int num, void *stream)
{
  deck_ctx *c = stream;
  if (c->pos >= c->len || num < 2) return NULL;
  const char *s = c->text + c->pos;
  size_t rest = c->len - c->pos;
  const char *nl = memchr(s, '\n', rest);
  size_t n = nl ? (size_t)(nl - s) + 1 : rest; /* bytes of this line, newline included */
  c->pos += n;
  c->lineno++;
  if (n > (size_t)num - 1) {
    deck_err(c, c->lineno,
             "line longer than %d characters (split a long [temperatures] list "
             "over indented continuation lines)",
             num - 2);
    c->line_cont = 0;
    buf[0] = '\n';
    buf[1] = '\0';
    return buf;
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  deck_classify_line(c, buf);
  return buf;
}

/* inih handler: one "key = value" (or continuation) line.
 *   user [in,out] the deck_ctx;  section, name, value [in] as parsed by inih
 * Always returns 1: errors are collected in the context, not reported through inih. */
static int deck_handler(void *user, const char *section, const char *name, const char *value)
{
  deck_ctx *c = user;
  char ex[400], q[80];
  c->prev_key = 1;
  int sec = deck_find_section(section);
  if (sec < 0) {
    if (section[0] == '\0' && !c->line_cont)
      deck_err(c, c->lineno, "%s: key outside any section (expected a [section] header first)", name);
    return 1; /* unknown section: reported once at its header */
  }
  int ki = deck_find_key(sec, name);
  if (c->line_cont) {
    if (ki < 0) return 1; /* continuation of an unknown key: already reported */
    /* inih 55 keeps inline comments on continuation lines (later versions strip them):
     * strip them here with the same rule, a ';' after whitespace */
    char cont[1024];
    snprintf(cont, sizeof cont, "%s", value);
    char *cut = (char *)deck_find_chars_or_comment(cont, "");
    *cut = '\0';
    for (size_t n = strlen(cont); n > 0 && isspace((unsigned char)cont[n - 1]); n--) cont[n - 1] = '\0';
    value = cont;
    if (deck_keys[ki].type == KT_TEMPS)
      deck_parse_temps(c, &deck_keys[ki], value);
    else
      deck_err(c, c->lineno,
               "[%s] %s: value continues on an indented line %s (only "
               "[temperatures] list may span several lines)",
               deck_section_names[sec], deck_keys[ki].key, deck_quote(value, q, sizeof q));
    return 1;
  }
  if (ki < 0) {
    deck_err(c, c->lineno, "[%s] %s: unknown key (expected one of: %s)", deck_section_names[sec], name,
             deck_key_list(sec, ex, sizeof ex));
    return 1;
  }
  const deck_key *k = &deck_keys[ki];
  if (c->seen[ki]) {
    deck_err(c, c->lineno, "[%s] %s: duplicate key (first given on line %d)", deck_section_names[sec], k->key,
             c->seen[ki]);
    return 1;
  }
  c->seen[ki] = c->lineno;
  deck_set_value(c, k, value);
  return 1;
}

/* ---- checks across keys ------------------------------------------------------------ */

/* 1 if key is one of the n names of list */
static int deck_in_list(const char *key, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!strcmp(key, list[i])) return 1;
  return 0;
}

/* Whether key k takes part in the run the deck describes (p: the parsed values); why: the
 * condition it needs, for the message when it is given but does not apply. Keys that always
 * apply return 1. */
static int deck_applies(const deck_key *k, const agape_params *p, const char **why)
{
  const char *key = k->key;
  const int scdft = p->method == SOLVER_SCDFT, eli = p->method == SOLVER_ELIASHBERG;
  const int model = p->source == MAT_MODEL, bcs = model && strcasecmp(p->name, "bcs") == 0;
  static const char *const sw[] = {"bcs_nv", "bcs_omega_D_meV"};
  static const char *const mc[] = {"npoints", "seed", "mc_floor", "mc_eps_meV", "fs_smearing_meV"};
  static const char *const grid[] = {"energy_window_eV", "grid_min_meV", "grid_ratio", "grid_order"};
  static const char *const rpa[] = {"rpa_kgrid",         "rpa_gcut_invA",    "rpa_local_fields",
                                    "rpa_temperature_K", "rpa_smearing_meV", "orbital_radius_A"};
#define IS(list) deck_in_list(key, list, sizeof list / sizeof list[0])
  *why = "";
  switch (k->sec) {
  case SEC_MATERIAL:
    if (!strcmp(key, "name")) return *why = "source = model", model;
    if (!strcmp(key, "a2f_file") || !strcmp(key, "dos_per_eV_spin")) return *why = "source = a2f", p->source == MAT_A2F;
    if (!strcmp(key, "a2f_bins"))
      return *why = "source = a2f, or source = epw with method = scdft or states = montecarlo",
             p->source == MAT_A2F || (p->source == MAT_EPW && (scdft || p->states == STATES_MONTECARLO));
    if (!strcmp(key, "epw_dir") || !strcmp(key, "eps_acustic_cm") || !strcmp(key, "degaussq_meV") ||
        !strcmp(key, "nqstep"))
      return *why = "source = epw", p->source == MAT_EPW;
    if (IS(sw)) return *why = "source = model with name = bcs", bcs;
    return 1;
  case SEC_COULOMB:
    if (!scdft && !(p->coulomb == COUL_RPA || p->coulomb == COUL_FILE))
      return *why = "method = scdft, or Eliashberg with mode = rpa or file (else it takes [solver] mustar)", 0;
    if (!strcmp(key, "mu")) return *why = "mode = mu", p->coulomb == COUL_MU;
    if (!strcmp(key, "qe_save") || !strcmp(key, "rpa_smearing_meV")) return *why = "mode = rpa", p->coulomb == COUL_RPA;
    if (!strcmp(key, "rpa_gmax_bohr") || !strcmp(key, "rpa_band_cutoff_eV"))
      return *why = "mode = rpa with qe_save", p->coulomb == COUL_RPA && p->qe_save[0];
    if (IS(rpa))
      return *why = "mode = rpa without qe_save (the built-in model)", p->coulomb == COUL_RPA && !p->qe_save[0];
    if (!strcmp(key, "w_file")) return *why = "mode = file", p->coulomb == COUL_FILE;
    return 1;
  case SEC_SOLVER:
    if (!strcmp(key, "functional") || !strcmp(key, "kernel_eval")) return *why = "method = scdft", scdft;
    if (!strncmp(key, "gamma", 5))
      return *why = "method = scdft with functional = spg", scdft && p->functional == KERN_SPG;
    if (!strcmp(key, "anisotropy") || !strcmp(key, "mustar") || !strcmp(key, "wscut_meV") || !strcmp(key, "z_tail"))
      return *why = "method = eliashberg", eli;
    return 1;
  case SEC_SAMPLING:
    if (!strcmp(key, "states")) return *why = "source = epw", p->source == MAT_EPW;
    if (IS(mc))
      return *why = "Monte-Carlo states (method = scdft with source = model and CsB12 or LaB12, or source = epw "
                    "with states = montecarlo)",
             (scdft && model && !bcs) || (p->source == MAT_EPW && p->states == STATES_MONTECARLO);
    if (IS(grid)) return *why = "method = scdft", scdft;
    return 1;
  default: return 1;
  }
#undef IS
}


/* Resolve a file (or, for want_dir, a folder) against the deck's folder, make it absolute and
 * check that it is a readable regular file (a folder); on success field holds the absolute path.
 *   c [in,out] context;  line [in] line of the key;  what [in] "[section] key" */
static void deck_resolve_any(deck_ctx *c, int line, const char *what, char *field, size_t cap, int want_dir);
static void deck_resolve_path(deck_ctx *c, int line, const char *what, char *field, size_t cap)
{
  deck_resolve_any(c, line, what, field, cap, 0);
}
static void deck_resolve_any(deck_ctx *c, int line, const char *what, char *field, size_t cap, int want_dir)
{
  char joined[2 * AGAPE_PATH_MAX], q[80];
  const char *given = field;
  if (given[0] == '/') {
    snprintf(joined, sizeof joined, "%s", given);
  } else {
    const char *slash = strrchr(c->path, '/'); /* the deck's folder ends there */
    if (slash == NULL)
      snprintf(joined, sizeof joined, "%s", given);
    else
      snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - c->path), c->path, given);
  }
  char *abs = realpath(joined, NULL);
  if (abs == NULL) {
    deck_err(c, line,
             "%s: cannot open %s (resolved as %s): %s (expected an "
             "existing readable file; relative paths are relative to the deck's folder)",
             what, deck_quote(given, q, sizeof q), joined, strerror(errno));
    return;
  }
  struct stat st;
  FILE *f = NULL;
  if (want_dir) {
    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode))
      deck_err(c, line, "%s: %s is not a folder (expected EPW's <prefix>.ephmat folder)", what, abs);
    else if (strlen(abs) >= cap)
      deck_err(c, line, "%s: resolved path %s is longer than %d characters", what, abs, (int)cap - 1);
    else
      memcpy(field, abs, strlen(abs) + 1);
  } else if (stat(abs, &st) != 0 || !S_ISREG(st.st_mode)) {
    deck_err(c, line,
             "%s: %s is not a regular file (expected an existing "
             "readable file)",
             what, abs);
  } else if ((f = fopen(abs, "r")) == NULL) {
    deck_err(c, line,
             "%s: cannot read %s: %s (expected an existing readable "
             "file)",
             what, abs, strerror(errno));
  } else if (strlen(abs) >= cap) {
    deck_err(c, line, "%s: resolved path %s is longer than %d characters", what, abs, (int)cap - 1);
  } else {
    memcpy(field, abs, strlen(abs) + 1);
  }
  if (f) fclose(f);
  free(abs);
}

/* Checks that involve several keys, run after the whole deck was read: required keys
 * (a2f_file for source = a2f, mu for mode = mu), the a2f file, the temperature plan, and
 * the consistency of the energy grid. Keys given with a bad value count as given, so a
 * bad value is not reported a second time as a missing key.
 *   c [in,out] context */
static void deck_check(deck_ctx *c)
{
  agape_params *p = c->p;
  char ex[200];
  int k_a2f = deck_find_key(SEC_MATERIAL, "a2f_file");
  int k_epw = deck_find_key(SEC_MATERIAL, "epw_dir");
  int k_mu = deck_find_key(SEC_COULOMB, "mu");
  int k_list = deck_find_key(SEC_TEMPERATURES, "list");
  if (p->states == STATES_AUTO)
    p->states = p->source == MAT_EPW && p->method == SOLVER_SCDFT ? STATES_MONTECARLO : STATES_WINDOW;
  int k_gmin = deck_find_key(SEC_SAMPLING, "grid_min_meV");
  int k_win = deck_find_key(SEC_SAMPLING, "energy_window_eV");

  if (p->source == MAT_A2F) {
    if (!c->seen[k_a2f])
      deck_err(c, 0,
               "[material] a2f_file: missing; required when source = a2f (expected "
               "a2f_file = PATH, relative to the deck's folder or absolute)");
    else if (p->a2f_file[0] != '\0')
      deck_resolve_path(c, c->seen[k_a2f], "[material] a2f_file", p->a2f_file, sizeof p->a2f_file);
  }
  if (p->source == MAT_EPW) {
    if (!c->seen[k_epw])
      deck_err(c, 0,
               "[material] epw_dir: missing; required when source = epw (expected "
               "epw_dir = PATH of EPW's <prefix>.ephmat folder, relative to the deck's folder or absolute)");
    else if (p->epw_dir[0] != '\0')
      deck_resolve_any(c, c->seen[k_epw], "[material] epw_dir", p->epw_dir, sizeof p->epw_dir, 1);
  }
  if (p->method == SOLVER_ELIASHBERG && p->source == MAT_MODEL)
    deck_err(c, c->seen[deck_find_key(SEC_SOLVER, "method")],
             "[solver] method: eliashberg needs electron-phonon data (expected source = epw or a2f in "
             "[material], or method = scdft for the built-in model)");
  if (p->method == SOLVER_ELIASHBERG && p->anisotropy == ELI_ANISO && p->source != MAT_EPW)
    deck_err(c, c->seen[deck_find_key(SEC_SOLVER, "anisotropy")],
             "[solver] anisotropy: aniso needs state-resolved couplings (expected source = epw, or "
             "anisotropy = iso)");
  if (p->method == SOLVER_ELIASHBERG && p->coulomb == COUL_MU)
    deck_err(c, c->seen[deck_find_key(SEC_COULOMB, "mode")],
             "[coulomb] mode: the Eliashberg solver takes a given Coulomb repulsion as [solver] mustar "
             "(expected mode = none with mustar, or rpa / file for mu* from an energy-resolved W)");
  if (p->method == SOLVER_ELIASHBERG && (p->coulomb == COUL_RPA || p->coulomb == COUL_FILE) &&
      c->seen[deck_find_key(SEC_SOLVER, "mustar")])
    deck_err(c, c->seen[deck_find_key(SEC_SOLVER, "mustar")],
             "[solver] mustar: given together with [coulomb] mode = %s, which computes mu* from W(xi, xi') (expected "
             "one of the two)",
             p->coulomb == COUL_RPA ? "rpa" : "file");
  if (p->coulomb == COUL_MU && !c->seen[k_mu])
    deck_err(c, 0, "[coulomb] mu: missing; required when mode = mu (expected %s)",
             deck_expect(&deck_keys[k_mu], ex, sizeof ex));
  {
    int k_wf = deck_find_key(SEC_COULOMB, "w_file");
    if (p->coulomb == COUL_FILE && !c->seen[k_wf])
      deck_err(c, 0,
               "[coulomb] w_file: missing; required when mode = file (expected w_file = PATH "
               "of an HDF5 file with /xi and /w in eV, relative to the deck's folder or absolute)");
    else if (p->coulomb == COUL_FILE && p->w_file[0] != '\0')
      deck_resolve_path(c, c->seen[k_wf], "[coulomb] w_file", p->w_file, sizeof p->w_file);
  }
  {
    int k_qe = deck_find_key(SEC_COULOMB, "qe_save");
    if (p->coulomb == COUL_RPA && p->qe_save[0] != '\0') {
      deck_resolve_any(c, c->seen[k_qe], "[coulomb] qe_save", p->qe_save, sizeof p->qe_save, 1);
      /* not given: the Fermi-surface average takes the save folder's own smearing width */
      if (!c->seen[deck_find_key(SEC_COULOMB, "rpa_smearing_meV")]) p->rpa_smearing_meV = 0;
      /* not given, on data with states of its own: the energy grid reaches W's band cut-off */
      if (p->source == MAT_EPW && !c->seen[deck_find_key(SEC_SAMPLING, "energy_window_eV")])
        p->energy_window_eV = p->rpa_band_cutoff_eV;
    } else if (p->coulomb == COUL_RPA && p->source != MAT_MODEL)
      deck_err(c, c->seen[deck_find_key(SEC_COULOMB, "mode")],
               "[coulomb] mode: rpa needs Kohn-Sham states: the built-in model's orbitals (source = model), or a "
               "Quantum ESPRESSO save folder (expected qe_save = PATH of outdir/prefix.save from a pw.x nscf on "
               "the full grid, relative to the deck's folder or absolute)");
  }
  if (!c->seen[k_list] && !p->tc_search)
    deck_err(c, 0,
             "[temperatures] list: missing; with tc_search = no there is nothing to do "
             "(expected a temperature list, or tc_search = yes)");
  /* Eliashberg on the imaginary axis: (2n+1) pi k_B T <= wscut, so T -> 0 needs ever more
   * frequencies; every temperature must be positive and its count within AGAPE_MAX_MATSUBARA */
  if (p->method == SOLVER_ELIASHBERG)
    for (int i = 0; i < p->ntemps; i++) {
      double nw = 0.5 * (p->wscut_meV * 1e-3 / (AGAPE_PI * AGAPE_K_B * p->temps[i]) - 1.0) + 1;
      if (p->temps[i] > 0 && nw <= AGAPE_MAX_MATSUBARA) continue;
      char a[40], b[40];
      double tmin = p->wscut_meV * 1e-3 / (AGAPE_PI * AGAPE_K_B * (2.0 * AGAPE_MAX_MATSUBARA - 1));
      deck_err(c, c->seen[k_list],
               "[temperatures] list: T = %s K with [solver] wscut_meV = %s needs %.3g Matsubara frequencies; "
               "Eliashberg on the imaginary axis has no T = 0 (expected T >= %.3g K, at most %d frequencies)",
               deck_fmt_real(p->temps[i], a, sizeof a), deck_fmt_real(p->wscut_meV, b, sizeof b),
               p->temps[i] > 0 ? nw : INFINITY, tmin, AGAPE_MAX_MATSUBARA);
      break;
    }
  if (p->grid_min_meV * 1e-3 >= p->energy_window_eV) {
    int line = c->seen[k_gmin] ? c->seen[k_gmin] : c->seen[k_win];
    char a[40], b[40];
    deck_err(c, line,
             "[sampling] grid_min_meV: %s meV is not below energy_window_eV = %s eV "
             "(expected grid_min_meV < 1000 * energy_window_eV)",
             deck_fmt_real(p->grid_min_meV, a, sizeof a), deck_fmt_real(p->energy_window_eV, b, sizeof b));
  }
}

/* ---- public API -------------------------------------------------------------------- */

/* Fill p with the documented defaults (no allocation; deck_text = NULL).
 *   p [out] parameters */
void agape_params_defaults(agape_params *p)
{
  memset(p, 0, sizeof *p);
  p->source = MAT_MODEL;
  snprintf(p->name, sizeof p->name, "%s", "CsB12");
  p->dos_per_eV_spin = 1.0;
  p->a2f_bins = 64;
  p->eps_acustic_cm = 5.0;
  p->degaussq_meV = 0.05;
  p->nqstep = 500;
  p->bcs_nv = 0.3;
  p->bcs_omega_D_meV = 10.0;

  p->coulomb = COUL_NONE;
  p->mu = 0.0;
  p->rpa_kgrid = 12;
  p->rpa_gcut_invA = 3.0;
  p->rpa_local_fields = 1;
  p->rpa_temperature_K = 1000.0;
  p->rpa_smearing_meV = 50.0;
  p->orbital_radius_A = 1.2;
  p->rpa_gmax_bohr = 3.0;
  p->rpa_band_cutoff_eV = 50.0;

  p->method = SOLVER_SCDFT;
  p->functional = KERN_SPG;
  p->gamma1 = 1.33;
  p->gamma2 = 3.8;
  p->gamma3 = 1.33;
  p->tol = 1e-8;
  p->max_iter = 500;
  p->mixing = 0.5;
  p->anderson_depth = 8;
  p->tc_tol = 1e-5;
  p->anisotropy = ELI_ANISO;
  p->mustar = 0.1;
  p->wscut_meV = 500.0;

  p->ntemps = 0;
  p->tc_search = 1;

  p->states = STATES_AUTO;
  p->npoints = 50000;
  p->seed = 1;
  p->energy_window_eV = 5.0;
  p->grid_min_meV = 0.01;
  p->grid_ratio = 1.4;
  p->grid_order = 6;
  p->mc_floor = 0.1;
  p->mc_eps_meV = 5.0;
  p->fs_smearing_meV = 10.0;

  snprintf(p->output_file, sizeof p->output_file, "%s", "results.h5");
  p->histogram_bins = 60;
  p->checkpoint_interval_s = 600;
  p->plot = 1;

  p->deck_text = NULL;
}

/* Read the whole file at path into a NUL-terminated malloc'd buffer.
 *   path [in];  text [out] buffer;  len [out] bytes (without the NUL)
 * Returns AGAPE_OK, AGAPE_ERR_IO (message printed) or AGAPE_ERR_NOMEM. */
#define DECK_MAX_BYTES (1 << 20) /* an input deck is a few kB; a larger file is not one */

static agape_err deck_slurp(const char *path, char **text, size_t *len)
{
  /* opened without blocking (a FIFO without a writer would wait forever), then refused
   * unless it is a regular file of a deck's size */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return agape_error(AGAPE_ERR_IO, "%s: cannot open input deck: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return agape_error(AGAPE_ERR_IO,
                       "%s: not a regular file (a directory, FIFO or device); expected the input deck, "
                       "a text file",
                       path);
  }
  if (sb.st_size > DECK_MAX_BYTES) {
    close(fd);
    return agape_error(AGAPE_ERR_IO, "%s: %lld bytes, more than an input deck holds (at most %d)", path,
                       (long long)sb.st_size, DECK_MAX_BYTES);
  }
  FILE *f = fdopen(fd, "rb");
  if (f == NULL) {
    close(fd);
    return agape_error(AGAPE_ERR_IO, "%s: cannot open input deck: %s", path, strerror(errno));
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  agape_err err = AGAPE_OK;
  if (buf == NULL) {
    err = agape_error(AGAPE_ERR_NOMEM, "%s: out of memory", path);
    goto done;
  }
  for (;;) {
    if (cap - n < 2) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        err = agape_error(AGAPE_ERR_NOMEM, "%s: out of memory", path);
        goto done;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) err = agape_error(AGAPE_ERR_IO, "%s: cannot read input deck: %s", path, strerror(errno));
done:
  fclose(f);
  if (err != AGAPE_OK) {
    free(buf);
    return err;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return AGAPE_OK;
}

/* Parse and validate the deck at path into p (defaults first), see deck.h.
 *   path [in] deck path (relative to the working directory or absolute)
 *   p    [out] parameters; p->deck_text is malloc'd on success, NULL on error
 * Returns AGAPE_OK; AGAPE_ERR_IO (deck missing or unreadable); AGAPE_ERR_DECK (all problems
 * printed, one per line, sorted by line); AGAPE_ERR_NOMEM. */
agape_err agape_deck_read(const char *path, agape_params *p)
{
  agape_params_defaults(p);
  if (strlen(path) >= sizeof p->deck_path)
    return agape_error(AGAPE_ERR_IO, "%.80s...: deck path longer than %d characters", path, AGAPE_PATH_MAX - 1);
  snprintf(p->deck_path, sizeof p->deck_path, "%s", path);

  char *text = NULL;
  size_t len = 0;
  agape_err err = deck_slurp(path, &text, &len);
  if (err != AGAPE_OK) return err;

  deck_ctx *c = calloc(1, sizeof *c);
  if (c == NULL) {
    free(text);
    return agape_error(AGAPE_ERR_NOMEM, "%s: out of memory", path);
  }
  c->path = path;
  c->p = p;
  c->text = text;
  c->len = len;

  const char *nul = memchr(text, '\0', len);
  if (nul != NULL) {
    int line = 1;
    for (const char *s = text; s < nul; s++) line += *s == '\n';
    deck_err(c, line, "contains a NUL byte (expected a text file)");
  } else {
    int rc = ini_parse_stream(deck_reader, c, deck_handler, c);
    if (rc == -2) {
      err = agape_error(AGAPE_ERR_NOMEM, "%s: out of memory while parsing", path);
      goto done;
    }
    if (rc != 0 && c->nerr == 0) /* inih saw a problem our reader did not: report it */
      deck_err(c, rc > 0 ? rc : 0, "cannot parse this line");
    deck_check(c);
    int nkeys = 0;
    for (size_t i = 0; i < DECK_NKEYS; i++) nkeys += c->seen[i] != 0;
    if (nkeys == 0 && c->nerr == 0)
      deck_err(c, 0,
               "no 'key = value' line: an empty deck would run every default (expected at least "
               "[material] source)");
    for (size_t i = 0; i < DECK_NKEYS && c->nerr == 0; i++) {
      const char *why;
      if (c->seen[i] && !deck_applies(&deck_keys[i], p, &why))
        agape_warning("%s:%d: [%s] %s does not apply to this run (it needs %s): ignored", path, c->seen[i],
                      deck_section_names[deck_keys[i].sec], deck_keys[i].key, why);
    }
  }

  if (c->nerr > 0) {
    deck_flush_errors(c);
    err = AGAPE_ERR_DECK;
  }
done:
  free(c);
  if (err != AGAPE_OK) {
    free(text);
    p->deck_text = NULL;
    return err;
  }
  p->deck_text = text;
  return AGAPE_OK;
}

/* Free what agape_deck_read allocated.  p [in,out] parameters (NULL allowed). */
void agape_params_free(agape_params *p)
{
  if (p == NULL) return;
  free(p->deck_text);
  p->deck_text = NULL;
}

/* Format the value of key k in p into out (capacity n). */
static const char *deck_format_value(const deck_key *k, const agape_params *p, char *out, size_t n)
{
  const char *base = (const char *)p;
  switch (k->type) {
  case KT_REAL: {
    double x;
    memcpy(&x, base + k->off, sizeof x);
    return deck_fmt_real(x, out, n);
  }
  case KT_INT: {
    int i;
    memcpy(&i, base + k->off, sizeof i);
    snprintf(out, n, "%d", i);
    return out;
  }
  case KT_INT64: {
    int64_t i;
    memcpy(&i, base + k->off, sizeof i);
    snprintf(out, n, "%" PRId64, i);
    return out;
  }
  case KT_UINT64: {
    uint64_t u;
    memcpy(&u, base + k->off, sizeof u);
    snprintf(out, n, "%" PRIu64, u);
    return out;
  }
  case KT_BOOL: {
    int b;
    memcpy(&b, base + k->off, sizeof b);
    snprintf(out, n, "%s", b ? "yes" : "no");
    return out;
  }
  case KT_ENUM: {
    int v;
    memcpy(&v, base + k->off, sizeof v);
    snprintf(out, n, "(invalid: %d)", v);
    for (int i = 0; k->names[i]; i++)
      if (k->vals[i] == v) snprintf(out, n, "%s", k->names[i]);
    return out;
  }
  case KT_NAME:
  case KT_PATH: snprintf(out, n, "%s", base[k->off] ? base + k->off : "(none)"); return out;
  case KT_TEMPS: {
    size_t used = 0;
    char num[40];
    out[0] = '\0';
    if (p->ntemps == 0) snprintf(out, n, "(none)");
    for (int i = 0; i < p->ntemps && used < n; i++)
      used += (size_t)snprintf(out + used, n - used, "%s%s", i ? " " : "", deck_fmt_real(p->temps[i], num, sizeof num));
    return out;
  }
  }
  return out;
}

/* Print every parameter, one per line with its unit, names aligned:
 *   "  sampling.energy_window_eV = 5 eV"
 *   p [in] parameters;  f [in,out] stream (rank 0, at start-up) */
void agape_params_print(const agape_params *p, FILE *f)
{
  int width = (int)strlen("deck");
  for (size_t i = 0; i < DECK_NKEYS; i++) {
    int w = (int)(strlen(deck_section_names[deck_keys[i].sec]) + 1 + strlen(deck_keys[i].key));
    if (w > width) width = w;
  }
  fprintf(f, "  %-*s = %s\n", width, "deck", p->deck_path[0] ? p->deck_path : "(none)");
  char name[128];
  char *val = malloc(AGAPE_MAX_TEMPS * 26 + AGAPE_PATH_MAX);
  char small[AGAPE_PATH_MAX + 64];
  size_t cap = val ? (size_t)AGAPE_MAX_TEMPS * 26 + AGAPE_PATH_MAX : sizeof small;
  char *buf = val ? val : small; /* a long temperature list is shortened if malloc fails */
  for (size_t i = 0; i < DECK_NKEYS; i++) {
    const deck_key *k = &deck_keys[i];
    const char *why;
    if (!deck_applies(k, p, &why)) continue; /* only the keys of this run */
    snprintf(name, sizeof name, "%s.%s", deck_section_names[k->sec], k->key);
    deck_format_value(k, p, buf, cap);
    int has_unit = k->unit[0] != '\0' && strcmp(buf, "(none)") != 0;
    fprintf(f, "  %-*s = %s%s%s\n", width, name, buf, has_unit ? " " : "", has_unit ? k->unit : "");
  }
  free(val);
}

/* The deck's fingerprint for checkpoints: "section.key = value" lines of every key that can
 * change the numbers (all but [output]), in table order.
 *   p [in] parameters.  Returns a malloc'd string (caller frees), NULL if out of memory. */
char *agape_params_fingerprint(const agape_params *p)
{
  size_t cap = (size_t)AGAPE_MAX_TEMPS * 26 + AGAPE_PATH_MAX + 128, used = 0, total = 0;
  for (size_t i = 0; i < DECK_NKEYS; i++) total += cap;
  char *out = malloc(total), *val = malloc(cap);
  if (!out || !val) {
    free(out);
    free(val);
    return NULL;
  }
  out[0] = '\0';
  for (size_t i = 0; i < DECK_NKEYS; i++) {
    const deck_key *k = &deck_keys[i];
    if (k->sec == SEC_OUTPUT) continue;
    deck_format_value(k, p, val, cap);
    used += (size_t)snprintf(out + used, total - used, "%s.%s = %s\n", deck_section_names[k->sec], k->key, val);
  }
  free(val);
  return out;
}

agape_err agape_params_bcast(const agape_par *par, agape_params *p)
{
  char *text = p->deck_text;
  long len = (par->rank == 0 && text) ? (long)strlen(text) : -1;
  agape_par_bcast(par, p, sizeof *p);
  agape_par_bcast(par, &len, sizeof len);
  agape_err err = AGAPE_OK;
  if (par->rank != 0) {
    p->deck_text = NULL;
    if (len >= 0 && !(p->deck_text = malloc((size_t)len + 1))) err = AGAPE_ERR_NOMEM;
  } else
    p->deck_text = text;
  if ((err = agape_par_agree(par, err))) return err;
  if (len >= 0) agape_par_bcast(par, p->deck_text, (size_t)len + 1);
  return AGAPE_OK;
}
