/* Test of the output stage (src/output/output.c): agape_histogram numerics, and results.h5 /
 * gap_histogram.dat written from a synthetic agape_results and read back with the HDF5 C
 * API (shapes, units, exact round trip, histogram moments), atomic writing (no temporary
 * left) and failure on an unwritable path. Prints one line per check and "N passed, M failed". */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/output.h"
#include "agape/version.h"
#include <hdf5.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef AGAPE_TEST_LOCAL_ERROR
/* Stand-in for src/core/error.c when this file is compiled by hand without the core library. */
agape_err agape_error(agape_err e, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("agape: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return e;
}
#endif

/* ---- synthetic results ---------------------------------------------------------------- */

typedef struct {
  agape_params p;
  agape_results r;
  double *xi, *w, *k, *fsw, *delta, *z, *dfs, *temps, *tcT, *tcR, *om, *a2f;
  int *band, *conv, *iters;
} synth;

static const char *DECK = "# synthetic deck for test_output\n[material]\nsource = model\nname = CsB12 ; two-gap toy\n"
                          "[temperatures]\nlist = 0 5 10 20\n[output]\nfile = results.h5\n";

/* Deterministic pseudo-random number in [0, 1) from an index (splitmix64 finaliser). */
static double urand(uint64_t i)
{
  uint64_t z = i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E5Bull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

/* A two-gap toy: 80% k states on three bands (band 0 large gap ~7 meV, bands 1,2 ~4 meV),
 * 20% energy-grid states (k NaN, band -1); states far from E_F have zero FS weight and an
 * absurd gap (100 meV) that must not enter the histogram. */
static void synth_make(synth *s, int64_t n, int with_tc)
{
  memset(s, 0, sizeof *s);
  agape_params *p = &s->p;
  snprintf(p->name, sizeof p->name, "CsB12");
  p->histogram_bins = 40;
  p->plot = 0;
  snprintf(p->deck_path, sizeof p->deck_path, "inputs/synthetic.in");
  p->deck_text = (char *)DECK;

  const int nt = 4, nm = 5;
  static const double T[4] = {0.0, 5.0, 10.0, 20.0};
  const double tc = 25.0;
  s->xi = malloc(n * sizeof(double));
  s->w = malloc(n * sizeof(double));
  s->fsw = malloc(n * sizeof(double));
  s->k = malloc(3 * n * sizeof(double));
  s->band = malloc(n * sizeof(int));
  s->delta = malloc(nt * n * sizeof(double));
  s->z = malloc(nt * n * sizeof(double));
  s->dfs = malloc(nt * sizeof(double));
  s->temps = malloc(nt * sizeof(double));
  s->conv = malloc(nt * sizeof(int));
  s->iters = malloc(nt * sizeof(int));
  s->tcT = malloc(6 * sizeof(double));
  s->tcR = malloc(6 * sizeof(double));
  s->om = malloc(nm * sizeof(double));
  s->a2f = malloc(nm * sizeof(double));
  int64_t nk = (n * 4) / 5;
  for (int64_t i = 0; i < n; i++) {
    double u = urand((uint64_t)i);
    s->xi[i] = (u - 0.5) * 0.2; /* eV */
    s->w[i] = 1.0 / (double)n;
    s->fsw[i] = fabs(s->xi[i]) < 0.08 ? s->w[i] * exp(-s->xi[i] * s->xi[i] / 2e-3) / 0.0447 : 0.0;
    if (i < nk) {
      for (int c = 0; c < 3; c++) s->k[3 * i + c] = urand((uint64_t)(n + 3 * i + c)) - 0.5;
      s->band[i] = (int)(i % 3);
    } else {
      for (int c = 0; c < 3; c++) s->k[3 * i + c] = NAN;
      s->band[i] = -1;
    }
  }
  for (int it = 0; it < nt; it++) {
    s->temps[it] = T[it];
    double f = sqrt(1.0 - (T[it] / tc) * (T[it] / tc));
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
      double v = urand((uint64_t)(7 * n + i)) * 2.0 - 1.0;
      double d0 = (s->band[i] == 0) ? 7.0 + 0.5 * v : 4.0 + 0.8 * v;
      double d = s->fsw[i] > 0 ? f * d0 : 100.0;
      s->delta[it * n + i] = d;
      s->z[it * n + i] = 1.5 + 0.1 * v;
      num += s->fsw[i] * d;
      den += s->fsw[i];
    }
    s->dfs[it] = num / den;
    s->conv[it] = 1;
    s->iters[it] = 20 + it;
  }
  for (int j = 0; j < 6; j++) {
    s->tcT[j] = 20.0 + j;
    s->tcR[j] = 1.3 - 0.06 * j;
  }
  for (int m = 0; m < nm; m++) {
    s->om[m] = 20.0 + 15.0 * m;
    s->a2f[m] = 0.1 * (m + 1);
  }

  agape_results *r = &s->r;
  r->n = n;
  r->xi = s->xi;
  r->w = s->w;
  r->fs_weight = s->fsw;
  r->k = with_tc ? s->k : NULL;
  r->band = with_tc ? s->band : NULL;
  r->ntemps = nt;
  r->temps = s->temps;
  r->delta = s->delta;
  r->z = s->z;
  r->delta_fs_avg = s->dfs;
  r->converged = s->conv;
  r->iterations = s->iters;
  r->tc = with_tc ? tc : NAN;
  r->gap_ratio = with_tc ? 2.0 * s->dfs[0] / (0.08617333262 * tc) : NAN;
  r->tc_gap_T = 0.0;
  r->ntc = with_tc ? 6 : 0;
  r->tc_hist_T = s->tcT;
  r->tc_hist_rho = s->tcR;
  r->dos0 = 0.9;
  r->lambda = 1.5;
  r->omega_log_meV = 45.0;
  r->nmodes = nm;
  r->omega_meV = s->om;
  r->a2f = s->a2f;
  r->mu = 0.55;
  r->tc_mcmillan_mustar01 = 38.0;
  r->params = p;
  r->nranks = 4;
  r->nthreads = 2;
  r->wall_seconds = 12.5;
}

static void synth_free(synth *s)
{
  free(s->xi);
  free(s->w);
  free(s->fsw);
  free(s->k);
  free(s->band);
  free(s->delta);
  free(s->z);
  free(s->dfs);
  free(s->temps);
  free(s->conv);
  free(s->iters);
  free(s->tcT);
  free(s->tcR);
  free(s->om);
  free(s->a2f);
}

/* ---- HDF5 read-back helpers ------------------------------------------------------------- */

/* Read the string attribute name of obj into out (cap); returns 0 or -1. */
static int read_attr_str(hid_t obj, const char *name, char *out, size_t cap)
{
  int rc = -1;
  hid_t a = -1, ft = -1, mt = -1;
  if (H5Aexists(obj, name) <= 0) return -1;
  if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0) goto done;
  if ((ft = H5Aget_type(a)) < 0 || H5Tget_class(ft) != H5T_STRING) goto done;
  if (H5Tis_variable_str(ft) > 0) {
    char *v = NULL;
    mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft));
    if (H5Aread(a, mt, &v) < 0) goto done;
    snprintf(out, cap, "%s", v ? v : "");
    H5free_memory(v);
  } else {
    size_t sz = H5Tget_size(ft);
    char *buf = calloc(sz + 1, 1);
    mt = H5Tcopy(ft);
    if (H5Aread(a, mt, buf) < 0) {
      free(buf);
      goto done;
    }
    snprintf(out, cap, "%s", buf);
    free(buf);
  }
  rc = 0;
done:
  if (mt >= 0) H5Tclose(mt);
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return rc;
}

/* Read a scalar variable-length string dataset into a malloc'd string (caller frees). */
static char *read_str_dset(hid_t file, const char *path)
{
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return NULL;
  hid_t mt = H5Tcopy(H5T_C_S1);
  H5Tset_size(mt, H5T_VARIABLE);
  H5Tset_cset(mt, H5T_CSET_UTF8);
  char *v = NULL, *out = NULL;
  if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0 && v) {
    out = strdup(v);
    H5free_memory(v);
  }
  H5Tclose(mt);
  H5Dclose(d);
  return out;
}

typedef enum { K_F64, K_I32, K_STR } kind;

/* Check that dataset path exists with rank and dims, class and units; if data != NULL,
 * compare its contents bit for bit. */
static void check_dset(hid_t file, const char *path, int rank, hsize_t d0, hsize_t d1, kind kd, const char *units,
                       const void *data)
{
  int ok_exist = H5Lexists(file, path, H5P_DEFAULT) > 0;
  if (!ok_exist) {
    check(0, "%s exists", path);
    return;
  }
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  hid_t ty = H5Dget_type(d);
  int r = H5Sget_simple_extent_ndims(sp);
  hsize_t dims[2] = {0, 0};
  if (r > 0 && r <= 2) H5Sget_simple_extent_dims(sp, dims, NULL);
  int shape_ok = r == rank && (rank < 1 || dims[0] == d0) && (rank < 2 || dims[1] == d1);
  H5T_class_t cl = H5Tget_class(ty);
  int class_ok = (kd == K_F64 && cl == H5T_FLOAT && H5Tget_size(ty) == 8) || (kd == K_I32 && cl == H5T_INTEGER) ||
    (kd == K_STR && cl == H5T_STRING);
  char u[64] = "", desc[512] = "";
  int units_ok = read_attr_str(d, "units", u, sizeof u) == 0 && strcmp(u, units) == 0;
  int desc_ok = read_attr_str(d, "description", desc, sizeof desc) == 0 && desc[0];
  check(shape_ok && class_ok, "%s: rank %d shape (%llu, %llu), %s", path, r, (unsigned long long)dims[0],
        (unsigned long long)dims[1],
        kd == K_F64     ? "float64"
          : kd == K_I32 ? "int"
                        : "string");
  check(units_ok && desc_ok, "%s: units \"%s\" (want \"%s\"), description present", path, u, units);
  if (data && shape_ok && class_ok && kd != K_STR) {
    size_t cnt = 1;
    for (int i = 0; i < rank; i++) cnt *= dims[i];
    size_t el = kd == K_F64 ? sizeof(double) : sizeof(int);
    void *buf = malloc(cnt * el + 1);
    herr_t e = H5Dread(d, kd == K_F64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    check(e >= 0 && memcmp(buf, data, cnt * el) == 0, "%s: %zu values round-trip bit for bit", path, cnt);
    free(buf);
  }
  H5Tclose(ty);
  H5Sclose(sp);
  H5Dclose(d);
}

/* ---- file-system helpers -------------------------------------------------------------- */

/* Number of entries of dir whose name contains needle (NULL: all entries but . and ..). */
static int count_entries(const char *dir, const char *needle)
{
  DIR *d = opendir(dir);
  if (!d) return -1;
  int c = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (!needle || strstr(e->d_name, needle)) c++;
  }
  closedir(d);
  return c;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* agape_histogram on its own: normalisation, mean, range and the single-value case. */
static void test_histogram(const synth *s)
{
  const agape_results *r = &s->r;
  int nb = s->p.histogram_bins;
  double *c = malloc(nb * sizeof(double)), *d = malloc(nb * sizeof(double));
  for (int it = 0; it < r->ntemps; it++) {
    const double *dl = r->delta + (size_t)it * r->n;
    agape_histogram(r->n, dl, r->fs_weight, nb, c, d);
    double h = c[1] - c[0], integ = 0, mean = 0, wm = 0, ws = 0, lo = INFINITY, hi = -INFINITY;
    for (int b = 0; b < nb; b++) {
      integ += d[b] * h;
      mean += c[b] * d[b] * h;
    }
    for (int64_t i = 0; i < r->n; i++)
      if (r->fs_weight[i] > 0) {
        wm += r->fs_weight[i] * dl[i];
        ws += r->fs_weight[i];
        if (dl[i] < lo) lo = dl[i];
        if (dl[i] > hi) hi = dl[i];
      }
    wm /= ws;
    /* rounding: nb terms of size <= 1 */
    double tol_int = 4.0 * nb * DBL_EPSILON;
    check(fabs(integ - 1.0) <= tol_int, "histogram T=%g K: integral %.17g = 1 within %.1e", r->temps[it], integ,
          tol_int);
    /* each value sits within h/2 of its bin centre, so the means differ by at most h/2 */
    double tol_mean = 0.5 * h * (1.0 + 1e-9);
    check(fabs(mean - wm) <= tol_mean,
          "histogram T=%g K: mean %.6f meV vs weighted mean %.6f meV within h/2 = %.4f meV", r->temps[it], mean, wm,
          tol_mean);
    double tol_edge = 1e-9 * hi;
    check(fabs(c[0] - lo) <= tol_edge && fabs(c[nb - 1] - hi) <= tol_edge,
          "histogram T=%g K: first/last centres at min/max of FS gaps (%.4f, %.4f meV), "
          "zero-weight gaps excluded",
          r->temps[it], lo, hi);
  }
  /* single value: centred, total width 0.1 meV, all weight in one bin */
  double one[3] = {3.0, 3.0, 3.0}, w[3] = {1.0, 2.0, 0.0};
  agape_histogram(3, one, w, 4, c, d);
  double h = c[1] - c[0];
  int nz = 0;
  for (int b = 0; b < 4; b++) nz += d[b] != 0.0;
  check(fabs(0.5 * (c[0] + c[3]) - 3.0) <= 8 * DBL_EPSILON * 3.0 && fabs(4 * h - 0.1) <= 64 * DBL_EPSILON && nz == 1,
        "histogram of a single value: centred on it, range 0.1 meV, one non-empty bin");
  free(c);
  free(d);
}

/* Read the written file back and check every dataset. */
static void test_readback(const char *file, const synth *s, int full)
{
  const agape_results *r = &s->r;
  hsize_t n = (hsize_t)r->n, nt = (hsize_t)r->ntemps;
  hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  check(f >= 0, "open %s", file);
  if (f < 0) return;

  /* root attributes */
  int fv = -1;
  if (H5Aexists(f, "format_version") > 0) {
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT, &fv);
    H5Aclose(a);
  }
  char prog[64] = "", ver[64] = "";
  read_attr_str(f, "program", prog, sizeof prog);
  read_attr_str(f, "version", ver, sizeof ver);
  check(fv == AGAPE_FORMAT_VERSION && !strcmp(prog, "AGAPE") && !strcmp(ver, AGAPE_VERSION_STRING),
        "root attributes: format_version=%d program=%s version=%s", fv, prog, ver);

  /* /run */
  check_dset(f, "/run/deck", 0, 0, 0, K_STR, "1", NULL);
  char *deck = read_str_dset(f, "/run/deck");
  check(deck && !strcmp(deck, s->p.deck_text), "/run/deck equals the deck text");
  free(deck);
  check_dset(f, "/run/deck_path", 0, 0, 0, K_STR, "1", NULL);
  check_dset(f, "/run/version", 0, 0, 0, K_STR, "1", NULL);
  check_dset(f, "/run/git_hash", 0, 0, 0, K_STR, "1", NULL);
  check_dset(f, "/run/ranks", 0, 0, 0, K_I32, "1", &r->nranks);
  check_dset(f, "/run/threads", 0, 0, 0, K_I32, "1", &r->nthreads);
  check_dset(f, "/run/wall_seconds", 0, 0, 0, K_F64, "s", &r->wall_seconds);
  check_dset(f, "/run/date", 0, 0, 0, K_STR, "1", NULL);
  char *date = read_str_dset(f, "/run/date");
  check(date && strlen(date) == 20 && date[4] == '-' && date[10] == 'T' && date[19] == 'Z',
        "/run/date is ISO 8601 UTC (%s)", date ? date : "missing");
  free(date);

  /* Tc */
  check_dset(f, "/tc", 0, 0, 0, K_F64, "K", &r->tc);
  check_dset(f, "/gap_ratio", 0, 0, 0, K_F64, "1", &r->gap_ratio);
  check_dset(f, "/gap_ratio_T", 0, 0, 0, K_F64, "K", &r->tc_gap_T);
  if (r->ntc > 0) {
    check_dset(f, "/tc_search/T", 1, r->ntc, 0, K_F64, "K", r->tc_hist_T);
    check_dset(f, "/tc_search/rho", 1, r->ntc, 0, K_F64, "1", r->tc_hist_rho);
  } else {
    check(H5Lexists(f, "/tc_search", H5P_DEFAULT) == 0, "/tc_search omitted when ntc = 0");
  }

  /* gaps */
  check_dset(f, "/temperatures", 1, nt, 0, K_F64, "K", r->temps);
  check_dset(f, "/gap/delta", 2, nt, n, K_F64, "meV", r->delta);
  check_dset(f, "/gap/z", 2, nt, n, K_F64, "1", r->z);
  check_dset(f, "/gap/delta_fs_avg", 1, nt, 0, K_F64, "meV", r->delta_fs_avg);
  check_dset(f, "/gap/converged", 1, nt, 0, K_I32, "1", r->converged);
  check_dset(f, "/gap/iterations", 1, nt, 0, K_I32, "1", r->iterations);
  if (n > 4096) {
    hid_t d = H5Dopen2(f, "/gap/delta", H5P_DEFAULT), pl = H5Dget_create_plist(d);
    check(H5Pget_layout(pl) == H5D_CHUNKED, "/gap/delta is chunked (compressed) for n = %llu", (unsigned long long)n);
    H5Pclose(pl);
    H5Dclose(d);
  }

  /* histograms */
  int nb = s->p.histogram_bins;
  double *c = malloc(nb * sizeof(double)), *dd = malloc(nb * sizeof(double));
  for (int it = 0; it < r->ntemps; it++) {
    char g[128], path[192];
    snprintf(g, sizeof g, "/gap/histogram/T_%.2f", r->temps[it]);
    agape_histogram(r->n, r->delta + (size_t)it * r->n, r->fs_weight, nb, c, dd);
    snprintf(path, sizeof path, "%s/centres", g);
    check_dset(f, path, 1, nb, 0, K_F64, "meV", c);
    snprintf(path, sizeof path, "%s/density", g);
    check_dset(f, path, 1, nb, 0, K_F64, "1/meV", dd);
    double T = -1;
    if (H5Lexists(f, g, H5P_DEFAULT) > 0) {
      hid_t gg = H5Gopen2(f, g, H5P_DEFAULT);
      if (H5Aexists(gg, "temperature") > 0) {
        hid_t a = H5Aopen(gg, "temperature", H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_DOUBLE, &T);
        H5Aclose(a);
      }
      H5Gclose(gg);
    }
    check(T == r->temps[it], "%s: attribute temperature = %g K", g, T);
  }
  free(c);
  free(dd);

  /* states */
  check_dset(f, "/states/xi", 1, n, 0, K_F64, "eV", r->xi);
  check_dset(f, "/states/weight", 1, n, 0, K_F64, "1", r->w);
  check_dset(f, "/states/fs_weight", 1, n, 0, K_F64, "1/eV", r->fs_weight);
  if (full) {
    check_dset(f, "/states/k", 2, n, 3, K_F64, "1", r->k);
    check_dset(f, "/states/band", 1, n, 0, K_I32, "1", r->band);
  } else {
    check(H5Lexists(f, "/states/k", H5P_DEFAULT) == 0 && H5Lexists(f, "/states/band", H5P_DEFAULT) == 0,
          "/states/k and /states/band omitted when NULL");
  }

  /* coupling */
  check_dset(f, "/coupling/lambda", 0, 0, 0, K_F64, "1", &r->lambda);
  check_dset(f, "/coupling/omega_log", 0, 0, 0, K_F64, "meV", &r->omega_log_meV);
  check_dset(f, "/coupling/dos0", 0, 0, 0, K_F64, "1/eV", &r->dos0);
  check_dset(f, "/coupling/omega", 1, r->nmodes, 0, K_F64, "meV", r->omega_meV);
  check_dset(f, "/coupling/a2f_weight", 1, r->nmodes, 0, K_F64, "meV", r->a2f);
  check_dset(f, "/coupling/tc_mcmillan_mustar_0.1", 0, 0, 0, K_F64, "K", &r->tc_mcmillan_mustar01);
  check_dset(f, "/coulomb/mu", 0, 0, 0, K_F64, "1", &r->mu);
  H5Fclose(f);
}

/* Parse gap_histogram.dat: blocks separated by blank lines, 3 columns, values as computed. */
static void test_text(const char *path, const synth *s)
{
  const agape_results *r = &s->r;
  int nb = s->p.histogram_bins;
  FILE *f = fopen(path, "r");
  check(f != NULL, "%s exists", path);
  if (!f) return;
  double *c = malloc(nb * sizeof(double)), *d = malloc(nb * sizeof(double));
  char line[512];
  int block = 0, row = 0, rows_total = 0, prev_blank = 0, header = 0, bad = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') {
      if (rows_total == 0) header++;
      continue;
    }
    if (line[0] == '\n') {
      prev_blank = 1;
      continue;
    }
    if (prev_blank || rows_total == 0) {
      if (rows_total > 0) {
        if (row != nb) bad++;
        block++;
      }
      row = 0;
      prev_blank = 0;
      if (block < r->ntemps) agape_histogram(r->n, r->delta + (size_t)block * r->n, r->fs_weight, nb, c, d);
    }
    double T, x, y;
    if (sscanf(line, "%lf %lf %lf", &T, &x, &y) != 3 || block >= r->ntemps || row >= nb) {
      bad++;
      continue;
    }
    /* %.10e keeps 11 significant digits */
    if (fabs(T - r->temps[block]) > 1e-6 || fabs(x - c[row]) > 1e-10 * fabs(c[row]) ||
        fabs(y - d[row]) > 1e-10 * fabs(d[row]))
      bad++;
    row++;
    rows_total++;
  }
  if (rows_total > 0) {
    if (row != nb) bad++;
    block++;
  }
  fclose(f);
  check(header >= 3 && block == r->ntemps && rows_total == r->ntemps * nb && bad == 0,
        "%s: %d header lines, %d blocks of %d rows (T, Delta, density) matching the histograms", path, header, block,
        nb);
  free(c);
  free(d);
}

int main(void)
{
  const char *root = check_tmpdir("output");
  char dir[512], file[600], txt[600], png[600];

  /* 1: full results, 1000 states */
  synth s;
  synth_make(&s, 1000, 1);
  test_histogram(&s);
  snprintf(dir, sizeof dir, "%s/run1", root);
  snprintf(file, sizeof file, "%s/results.h5", dir);
  snprintf(s.p.output_file, sizeof s.p.output_file, "%s", file);
  agape_err e = agape_output_write(&s.r);
  check(e == AGAPE_OK, "agape_output_write to a new folder returns AGAPE_OK (got %d)", (int)e);
  snprintf(txt, sizeof txt, "%s/gap_histogram.dat", dir);
  snprintf(png, sizeof png, "%s/gap_histogram.png", dir);
  test_readback(file, &s, 1);
  test_text(txt, &s);
  check(count_entries(dir, ".tmp") == 0 && access(png, F_OK) != 0, "no temporary left behind, no PNG with plot = no");
  synth_free(&s);

  /* 2: large n (chunked), no Tc search, isotropic (k, band NULL), nested missing folders */
  synth_make(&s, 6000, 0);
  snprintf(dir, sizeof dir, "%s/a/b/c", root);
  snprintf(file, sizeof file, "%s/res.h5", dir);
  snprintf(s.p.output_file, sizeof s.p.output_file, "%s", file);
  e = agape_output_write(&s.r);
  check(e == AGAPE_OK, "agape_output_write creating a/b/c returns AGAPE_OK (got %d)", (int)e);
  test_readback(file, &s, 0);
  check(count_entries(dir, ".tmp") == 0 && count_entries(dir, NULL) == 2,
        "a/b/c holds exactly res.h5 and gap_histogram.dat");

  /* 3: a path under a regular file -> AGAPE_ERR_IO, nothing created */
  snprintf(dir, sizeof dir, "%s/blocked", root);
  mkdir(dir, 0700);
  char blocker[600];
  snprintf(blocker, sizeof blocker, "%s/plainfile", dir);
  FILE *bf = fopen(blocker, "w");
  if (bf) fclose(bf);
  snprintf(s.p.output_file, sizeof s.p.output_file, "%s/sub/results.h5", blocker);
  fprintf(stderr, "(the next error message is expected)\n");
  e = agape_output_write(&s.r);
  struct stat st;
  check(e == AGAPE_ERR_IO && count_entries(dir, NULL) == 1 && stat(blocker, &st) == 0 && S_ISREG(st.st_mode) &&
          st.st_size == 0,
        "path under a regular file: AGAPE_ERR_IO (got %d), no file left", (int)e);

  /* 4: rename onto an existing folder fails after the HDF5 write -> temporary removed */
  snprintf(file, sizeof file, "%s/isadir", dir);
  mkdir(file, 0700);
  snprintf(s.p.output_file, sizeof s.p.output_file, "%s", file);
  fprintf(stderr, "(the next error message is expected)\n");
  e = agape_output_write(&s.r);
  check(e == AGAPE_ERR_IO && count_entries(dir, ".tmp") == 0 && count_entries(dir, NULL) == 2,
        "results path is a folder: AGAPE_ERR_IO (got %d), temporary removed", (int)e);
  synth_free(&s);

  return check_summary();
}
