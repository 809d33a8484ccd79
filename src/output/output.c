/* Output stage (see include/agape/output.h): results.h5, the gap-histogram text export
 * and the histogram PNG. Last stage of the data flow (deck -> material -> sampling ->
 * coulomb -> assembly -> solve -> output). Runs on rank 0 only with the default sec2
 * HDF5 driver and makes no MPI call. Every file is written under a temporary name in its
 * final folder and renamed on success, so a file is either complete or absent.
 *
 * Layout of results.h5 (docs/formats.md): every dataset carries string attributes
 * `units` ("1" = dimensionless) and `description`; arrays are row-major (C order). */
#define _POSIX_C_SOURCE 200809L
#include "agape/output.h"
#include "agape/files.h"
#include "agape/units.h"
#include "agape/stop.h"
#include "agape/version.h"
#include "agape/h5mem.h"
#include "agape/checkpoint.h"
#include "agape/resolution.h"
#include <hdf5.h>
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define OUT_SCRIPT_NAME      "agape-plot-histograms"
#define OUT_HIST_TXT         "gap_histogram.dat"
#define OUT_HIST_PNG         "gap_histogram.png"
#define OUT_PYTHON           "/usr/bin/python3"
#define OUT_CHUNK_MIN        4096      /* compress n-sized datasets above this length */
#define OUT_CHUNK_ELEMS      (1 << 16) /* elements per chunk along the state axis (512 KiB) */
#define OUT_SINGLE_WIDTH_MEV 0.1       /* histogram range when all gaps are equal, meV */

/* ======================================================================================
 * Histogram (pure numerics)
 * ====================================================================================== */

/* Fermi-surface gap histogram (documented in output.h).
 *   n        [in]  number of states
 *   delta    [in]  n gaps, meV (non-finite values are ignored)
 *   fsw      [in]  n Fermi-surface weights, 1/eV (only the ratios matter; <= 0 is ignored)
 *   nbins    [in]  number of bins (nothing is done for nbins < 1)
 *   centres  [out] nbins bin centres, meV
 *   density  [out] nbins densities, 1/meV, with sum(density) * bin_width = 1
 * If no state has positive weight the density is zero everywhere (range as for one value
 * at 0 meV). A bin holds values in [lo + i h, lo + (i+1) h); the maximum lands in the last. */
void agape_histogram(int64_t n, const double *delta, const double *fsw, int nbins, double *centres, double *density)
{
  if (nbins < 1) return;
  double dmin = INFINITY, dmax = -INFINITY, wsum = 0.0;
  for (int64_t s = 0; s < n; s++) {
    if (!(fsw[s] > 0.0) || !isfinite(delta[s])) continue;
    if (delta[s] < dmin) dmin = delta[s];
    if (delta[s] > dmax) dmax = delta[s];
    wsum += fsw[s];
  }
  if (!(wsum > 0.0)) { dmin = dmax = 0.0; }

  /* [dmin, dmax] widened by half a bin on each side: nbins h = (dmax - dmin) + h */
  double lo, h;
  if (dmax > dmin && nbins > 1) {
    h = (dmax - dmin) / (double)(nbins - 1);
    lo = dmin - 0.5 * h;
  } else if (dmax > dmin) { /* one bin covering the whole range */
    h = dmax - dmin;
    lo = dmin;
  } else {
    h = OUT_SINGLE_WIDTH_MEV / (double)nbins;
    lo = dmin - 0.5 * OUT_SINGLE_WIDTH_MEV;
  }
  for (int b = 0; b < nbins; b++) {
    centres[b] = lo + ((double)b + 0.5) * h;
    density[b] = 0.0;
  }
  if (!(wsum > 0.0)) return;
  for (int64_t s = 0; s < n; s++) {
    if (!(fsw[s] > 0.0) || !isfinite(delta[s])) continue;
    int64_t b = (int64_t)floor((delta[s] - lo) / h);
    if (b < 0) b = 0;
    if (b >= nbins) b = nbins - 1;
    density[b] += fsw[s];
  }
  double norm = 1.0 / (wsum * h);
  for (int b = 0; b < nbins; b++) density[b] *= norm;
}

/* ======================================================================================
 * Small file-system helpers (the shared ones: files.h)
 * ====================================================================================== */

/* mkdir -p: create dir and its missing parents (mode 0777 & ~umask).
 * Returns 0, or -1 with errno set (ENOTDIR when a component is a regular file). */
static int out_mkdir_p(const char *dir)
{
  char buf[AGAPE_PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  size_t len = strlen(buf);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
      struct stat st;
      if (stat(buf, &st) != 0) return -1;
      if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
      }
      *p = saved;
      if (saved == '\0') break;
    }
  }
  return 0;
}

/* Join folder and file name into out (cap bytes). Returns 0, -1 if too long. */
static int out_join(char *out, size_t cap, const char *dir, const char *name)
{
  int len = snprintf(out, cap, "%s/%s", dir, name);
  return (len < 0 || (size_t)len >= cap) ? -1 : 0;
}

/* ======================================================================================
 * HDF5 helpers. Each returns 0 on success, -1 on failure; on failure ctx->what names the
 * object that failed. Every handle opened in a helper is closed at its single label.
 * ====================================================================================== */

typedef struct {
  char what[256]; /* the HDF5 object being written when a failure happened */
} out_ctx;

/* Variable-length UTF-8 string type (caller closes), or a negative id. */
static hid_t out_str_type(void)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* String attribute name = value on obj (value NULL is stored as ""). */
static int out_attr_str(out_ctx *ctx, hid_t obj, const char *name, const char *value)
{
  int rc = -1;
  hid_t type = -1, space = -1, attr = -1;
  const char *v = value ? value : "";
  snprintf(ctx->what, sizeof ctx->what, "attribute %s", name);
  if ((type = out_str_type()) < 0) goto done;
  if ((space = H5Screate(H5S_SCALAR)) < 0) goto done;
  if ((attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0) goto done;
  if (H5Awrite(attr, type, &v) < 0) goto done;
  rc = 0;
done:
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  return rc;
}

/* Scalar numeric attribute name on obj: memtype/filetype e.g. H5T_NATIVE_INT/H5T_STD_I32LE. */
static int out_attr_num(out_ctx *ctx, hid_t obj, const char *name, hid_t memtype, hid_t filetype, const void *value)
{
  int rc = -1;
  hid_t space = -1, attr = -1;
  snprintf(ctx->what, sizeof ctx->what, "attribute %s", name);
  if ((space = H5Screate(H5S_SCALAR)) < 0) goto done;
  if ((attr = H5Acreate2(obj, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT)) < 0) goto done;
  if (H5Awrite(attr, memtype, value) < 0) goto done;
  rc = 0;
done:
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  return rc;
}

/* Numeric dataset loc/name with attributes units and description.
 *   memtype, filetype [in] HDF5 types of data in memory and in the file
 *   rank, dims        [in] shape (rank 0 = scalar); data row-major; data may be NULL
 *                          only when the shape holds no element
 * Datasets whose first or second extent exceeds OUT_CHUNK_MIN are chunked along that
 * axis and compressed (shuffle + deflate) when the deflate filter is available. */
static int out_dset(out_ctx *ctx, hid_t loc, const char *name, hid_t memtype, hid_t filetype, int rank,
                    const hsize_t *dims, const void *data, const char *units, const char *description)
{
  int rc = -1;
  hid_t space = -1, dcpl = -1, dset = -1;
  hsize_t total = 1;
  for (int d = 0; d < rank; d++) total *= dims[d];
  if (total > 0 && !data) {
    snprintf(ctx->what, sizeof ctx->what, "dataset %s (no data given)", name);
    return -1;
  }
  snprintf(ctx->what, sizeof ctx->what, "dataset %s", name);
  space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
  if (space < 0) goto done;
  if ((dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0) goto done;
  int big = -1; /* the axis along which the dataset is large */
  for (int d = 0; d < rank && d < 2; d++)
    if (dims[d] > OUT_CHUNK_MIN) big = d;
  if (big >= 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    hsize_t chunk[H5S_MAX_RANK];
    for (int d = 0; d < rank; d++) chunk[d] = d == big ? 0 : (d < big ? 1 : dims[d]);
    hsize_t rest = 1;
    for (int d = big + 1; d < rank; d++) rest *= dims[d];
    hsize_t along = OUT_CHUNK_ELEMS / (rest ? rest : 1);
    if (along < 1) along = 1;
    chunk[big] = dims[big] < along ? dims[big] : along;
    if (H5Pset_chunk(dcpl, rank, chunk) < 0) goto done;
    if (H5Pset_shuffle(dcpl) < 0) goto done;
    if (H5Pset_deflate(dcpl, 4) < 0) goto done;
  }
  if ((dset = H5Dcreate2(loc, name, filetype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) goto done;
  if (total > 0 && H5Dwrite(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) goto done;
  if (out_attr_str(ctx, dset, "units", units) < 0) goto done;
  if (out_attr_str(ctx, dset, "description", description) < 0) goto done;
  rc = 0;
done:
  if (rc != 0 && strncmp(ctx->what, "attribute", 9) == 0) {
    char attr[sizeof ctx->what];
    snprintf(attr, sizeof attr, "%s", ctx->what);
    snprintf(ctx->what, sizeof ctx->what, "%.120s of dataset %.120s", attr, name);
  }
  if (dset >= 0) H5Dclose(dset);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return rc;
}

/* Shorthands: double / int datasets of rank 0, 1 or 2. */
static int out_f64(out_ctx *ctx, hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data,
                   const char *units, const char *description)
{
  return out_dset(ctx, loc, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rank, dims, data, units, description);
}
static int out_i32(out_ctx *ctx, hid_t loc, const char *name, int rank, const hsize_t *dims, const int *data,
                   const char *units, const char *description)
{
  return out_dset(ctx, loc, name, H5T_NATIVE_INT, H5T_STD_I32LE, rank, dims, data, units, description);
}
static int out_scalar(out_ctx *ctx, hid_t loc, const char *name, double value, const char *units,
                      const char *description)
{
  return out_f64(ctx, loc, name, 0, NULL, &value, units, description);
}

/* Scalar string dataset loc/name (value NULL is stored as ""). */
static int out_str_dset(out_ctx *ctx, hid_t loc, const char *name, const char *value, const char *units,
                        const char *description)
{
  int rc = -1;
  hid_t type = -1, space = -1, dset = -1;
  const char *v = value ? value : "";
  snprintf(ctx->what, sizeof ctx->what, "dataset %s", name);
  if ((type = out_str_type()) < 0) goto done;
  if ((space = H5Screate(H5S_SCALAR)) < 0) goto done;
  if ((dset = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) goto done;
  if (H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0) goto done;
  if (out_attr_str(ctx, dset, "units", units) < 0) goto done;
  if (out_attr_str(ctx, dset, "description", description) < 0) goto done;
  rc = 0;
done:
  if (dset >= 0) H5Dclose(dset);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  return rc;
}

/* New group loc/name with a description attribute; returns its id (caller closes) or -1. */
static hid_t out_group(out_ctx *ctx, hid_t loc, const char *name, const char *description)
{
  snprintf(ctx->what, sizeof ctx->what, "group %s", name);
  hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return -1;
  if (out_attr_str(ctx, g, "description", description) < 0) {
    H5Gclose(g);
    return -1;
  }
  return g;
}

/* ======================================================================================
 * results.h5
 * ====================================================================================== */

/* Name of the histogram group of temperature index it: "T_%.2f", with "_<it>" appended if
 * an earlier temperature already produced the same name. */
static void out_hist_name(hid_t hist_group, const double *temps, int it, char *name, size_t cap)
{
  snprintf(name, cap, "T_%.2f", temps[it]);
  if (H5Lexists(hist_group, name, H5P_DEFAULT) > 0) {
    size_t len = strlen(name);
    snprintf(name + len, cap - len, "_%d", it);
  }
}

/* /run: the deck, the build and the run environment. Returns 0 or -1 (ctx names the failing object). */
static int out_h5_run(out_ctx *ctx, hid_t file, const agape_results *r)
{
  int rc = -1;
  hid_t g = -1;
  char text[256];
  const agape_params *p = r->params;
  /* --- /run: provenance -------------------------------------------------------------- */
  if ((g = out_group(ctx, file, "run", "provenance: input deck, build and run environment")) < 0) goto done;
  if (out_str_dset(ctx, g, "deck", p->deck_text, "1", "full text of the input deck") < 0) goto done;
  if (out_str_dset(ctx, g, "deck_path", p->deck_path, "1", "path of the input deck as given") < 0) goto done;
  if (out_str_dset(ctx, g, "material", r->material ? r->material : "", "1",
                   "the material: the built-in model's name, bcs, a2f, or the EPW prefix") < 0)
    goto done;
  if (out_str_dset(ctx, g, "version", AGAPE_VERSION_STRING, "1", "AGAPE version") < 0) goto done;
  if (out_str_dset(ctx, g, "git_hash", AGAPE_GIT_HASH, "1", "git commit of the build") < 0) goto done;
  if (out_i32(ctx, g, "ranks", 0, NULL, &r->nranks, "1", "MPI ranks") < 0) goto done;
  if (out_i32(ctx, g, "threads", 0, NULL, &r->nthreads, "1", "OpenMP threads per rank") < 0) goto done;
  if (out_scalar(ctx, g, "wall_seconds", r->wall_seconds, "s", "wall time of the run up to output") < 0) goto done;
  {
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
      snprintf(text, sizeof text, "unknown");
  }
  if (out_str_dset(ctx, g, "date", text, "1", "time of writing, ISO 8601 UTC") < 0) goto done;
  H5Gclose(g);
  g = -1;

  rc = 0;
done:
  if (g >= 0) H5Gclose(g);
  return rc;
}

/* Tc, the gap ratio and the history of the Tc search. Returns 0 or -1 (ctx names the failing object). */
static int out_h5_tc(out_ctx *ctx, hid_t file, const agape_results *r)
{
  int rc = -1;
  hid_t g = -1;
  hsize_t d1[1];
  /* --- Tc ------------------------------------------------------------------------------ */
  const char *status = r->tc_status ? r->tc_status : isnan(r->tc) ? "not_searched" : "found";
  if (out_scalar(ctx, file, "tc", r->tc, "K",
                 "critical temperature (leading eigenvalue of the linearised gap equation = 1); 0 when that "
                 "eigenvalue stays below 1 down to the search's floor (/tc_status none); NaN when not bracketed or "
                 "not searched") < 0)
    goto done;
  {
    hid_t d = H5Dopen2(file, "tc", H5P_DEFAULT);
    int bad = d < 0 || out_attr_num(ctx, d, "resolved", H5T_NATIVE_INT, H5T_STD_I32LE, &r->tc_resolved) < 0;
    if (d >= 0) H5Dclose(d);
    if (bad) goto done;
  }
  if (out_str_dset(ctx, file, "tc_status", status, "1",
                   "outcome of the Tc search: found; none (not superconducting above /tc_search/T_floor, /tc = 0); "
                   "no_bracket (the eigenvalue stays above 1 up to /tc_search/T_ceil, /tc = NaN, exit status 4); "
                   "not_searched (tc_search = no)") < 0)
    goto done;
  if (out_scalar(ctx, file, "gap_ratio", r->gap_ratio, "1",
                 "2 Delta_FS(gap_ratio_T) / (k_B Tc); NaN when unavailable") < 0)
    goto done;
  if (out_scalar(ctx, file, "gap_ratio_T", r->tc_gap_T, "K", "temperature whose Fermi-surface gap entered gap_ratio") <
      0)
    goto done;
  if (r->ntc > 0) {
    if ((g = out_group(ctx, file, "tc_search", "history of the Tc search")) < 0) goto done;
    d1[0] = (hsize_t)r->ntc;
    if (out_f64(ctx, g, "T", 1, d1, r->tc_hist_T, "K", "temperatures visited by the Tc search") < 0) goto done;
    if (out_f64(ctx, g, "rho", 1, d1, r->tc_hist_rho, "1", "leading eigenvalue of the linearised gap operator at T") <
        0)
      goto done;
    if (r->tc_hist_resolved &&
        out_i32(ctx, g, "resolved", 1, d1, r->tc_hist_resolved, "1",
                "1 if the states with k resolve the thermal window at T (docs/theory.md 4.7)") < 0)
      goto done;
    if (out_scalar(ctx, g, "T_floor", r->tc_floor, "K", "lowest temperature the search steps down to") < 0) goto done;
    if (out_scalar(ctx, g, "T_ceil", r->tc_ceil, "K", "highest temperature the search steps up to") < 0) goto done;
    if (out_str_dset(ctx, g, "message", r->tc_message, "1",
                     "what the search found when it found no Tc (empty when found)") < 0)
      goto done;
    H5Gclose(g);
    g = -1;
  }

  rc = 0;
done:
  if (g >= 0) H5Gclose(g);
  return rc;
}

/* /temperatures and /gap: the gaps, Z, Fermi-surface averages, convergence, the Eliashberg
 * Matsubara data and the gap histograms (hc, hd: ntemps x nbins centres, meV, and densities, 1/meV). Returns 0 or -1 (ctx names the failing object). */
static int out_h5_gap(out_ctx *ctx, hid_t file, const agape_results *r, int nbins, const double *hc, const double *hd)
{
  int rc = -1;
  hid_t g = -1, gh = -1, gt = -1;
  hsize_t n = (hsize_t)r->n, nt = (hsize_t)r->ntemps;
  hsize_t d1[1], d2[2];
  char text[256];
  /* --- temperatures and gaps ----------------------------------------------------------- */
  d1[0] = nt;
  if (out_f64(ctx, file, "temperatures", 1, d1, r->temps, "K", "temperatures of the gap solutions (0 = T -> 0 limit)") <
      0)
    goto done;
  if ((g = out_group(ctx, file, "gap", "gap-equation solutions, one row per temperature")) < 0) goto done;
  d2[0] = nt;
  d2[1] = n;
  if (out_f64(ctx, g, "delta", 2, d2, r->delta, "meV",
              "gap Delta_s, ntemps x n (rows follow /temperatures, columns /states)") < 0)
    goto done;
  if (out_f64(ctx, g, "z", 2, d2, r->z, "1", "renormalisation Z_s, ntemps x n") < 0) goto done;
  if (out_f64(ctx, g, "delta_fs_avg", 1, d1, r->delta_fs_avg, "meV",
              "Fermi-surface average of Delta_s (weights /states/fs_weight)") < 0)
    goto done;
  if (r->delta_ef &&
      (out_f64(ctx, g, "delta_ef", 1, d1, r->delta_ef, "meV",
               "the gap at E_F: a + b xi^2 fitted to Delta_s with the weights /states/fs_weight, at xi = 0 (NaN: "
               "no fit)") < 0 ||
       out_f64(ctx, g, "fs_bias", 1, d1, r->fs_bias, "1",
               "(delta_fs_avg - delta_ef) / delta_ef: how far the Fermi-surface average lies from the gap at E_F "
               "because the gap changes within fs_smearing_meV") < 0 ||
       out_f64(ctx, g, "fs_bias_se", 1, d1, r->fs_bias_se, "1",
               "standard error of fs_bias (from the fit's residuals)") < 0))
    goto done;
  if (out_i32(ctx, g, "converged", 1, d1, r->converged, "1", "1 if the solution converged") < 0) goto done;
  if (out_i32(ctx, g, "iterations", 1, d1, r->iterations, "1", "fixed-point iterations used") < 0) goto done;
  if (r->resolved &&
      out_i32(ctx, g, "resolved", 1, d1, r->resolved, "1",
              "1 if the states with k resolve the thermal window of the gap equation at the "
              "temperature (a state with k within its half width; docs/theory.md 4.7), or nothing to "
              "resolve") < 0)
    goto done;
  if (r->eliashberg && r->nw_max > 0) {
    hsize_t dm[2] = {nt, (hsize_t)r->nw_max};
    if (out_f64(ctx, g, "delta_matsubara", 2, dm, r->delta_matsubara, "meV",
                "Migdal-Eliashberg: Fermi-surface average Delta(i omega_n), omega_n = (2n+1) pi k_B T, "
                "ntemps x nw_max, NaN beyond matsubara_count") < 0)
      goto done;
    if (out_f64(ctx, g, "z_matsubara", 2, dm, r->z_matsubara, "1",
                "Migdal-Eliashberg: Fermi-surface average Z(i omega_n), ntemps x nw_max") < 0)
      goto done;
    if (out_i32(ctx, g, "matsubara_count", 1, d1, r->nw, "1",
                "positive Matsubara frequencies below wscut at each temperature") < 0)
      goto done;
    if (out_scalar(ctx, g, "mustar", r->mustar, "1", "Morel-Anderson mu* at the cut-off wscut") < 0) goto done;
    if (out_scalar(ctx, g, "wscut", r->wscut_meV, "meV", "Matsubara cut-off") < 0) goto done;
  }
  if ((gh = out_group(ctx, g, "histogram", "distribution of Delta_s on the Fermi surface, one group per temperature")) <
      0)
    goto done;
  if (out_attr_num(ctx, gh, "bins", H5T_NATIVE_INT, H5T_STD_I32LE, &nbins) < 0) goto done;
  for (int it = 0; it < r->ntemps; it++) {
    char name[64];
    out_hist_name(gh, r->temps, it, name, sizeof name);
    snprintf(text, sizeof text, "Fermi-surface gap histogram at T = %.6g K (temperature index %d)", r->temps[it], it);
    if ((gt = out_group(ctx, gh, name, text)) < 0) goto done;
    if (out_attr_num(ctx, gt, "temperature", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &r->temps[it]) < 0) goto done;
    if (out_attr_str(ctx, gt, "temperature_units", "K") < 0) goto done;
    if (out_attr_num(ctx, gt, "index", H5T_NATIVE_INT, H5T_STD_I32LE, &it) < 0) goto done;
    d1[0] = (hsize_t)nbins;
    if (out_f64(ctx, gt, "centres", 1, d1, hc + (size_t)it * nbins, "meV", "bin centres of Delta") < 0) goto done;
    if (out_f64(ctx, gt, "density", 1, d1, hd + (size_t)it * nbins, "1/meV",
                "Fermi-surface weighted density of Delta, integrates to 1") < 0)
      goto done;
    H5Gclose(gt);
    gt = -1;
  }
  H5Gclose(gh);
  gh = -1;
  H5Gclose(g);
  g = -1;

  rc = 0;
done:
  if (gt >= 0) H5Gclose(gt);
  if (gh >= 0) H5Gclose(gh);
  if (g >= 0) H5Gclose(g);
  return rc;
}

/* /states: energies, weights, Fermi-surface weights, k and bands. Returns 0 or -1 (ctx names the failing object). */
static int out_h5_states(out_ctx *ctx, hid_t file, const agape_results *r)
{
  int rc = -1;
  hid_t g = -1;
  hsize_t n = (hsize_t)r->n;
  hsize_t d1[1], d2[2];
  /* --- states -------------------------------------------------------------------------- */
  if ((g = out_group(ctx, file, "states", "sampled electronic states s = 0..n-1")) < 0) goto done;
  d1[0] = n;
  if (out_f64(ctx, g, "xi", 1, d1, r->xi, "eV", "energy from the Fermi level") < 0) goto done;
  if (out_f64(ctx, g, "weight", 1, d1, r->w, "1",
              "integration weight (sum_s w_s F(xi_s) ~ per-cell Brillouin-zone average)") < 0)
    goto done;
  if (out_f64(ctx, g, "fs_weight", 1, d1, r->fs_weight, "1/eV", "Fermi-surface weight w_s delta_sigma(xi_s)") < 0)
    goto done;
  if (r->k) {
    d2[0] = n;
    d2[1] = 3;
    if (out_f64(ctx, g, "k", 2, d2, r->k, "1", "k point, n x 3 crystal coordinates; NaN rows for energy-grid states") <
        0)
      goto done;
  }
  if (r->band) {
    if (out_i32(ctx, g, "band", 1, d1, r->band, "1", "band index; -1 for energy-grid states") < 0) goto done;
    if (out_scalar(ctx, g, "xi_nearest", r->xi_nearest, "eV",
                   "min |xi| over the states with k: the resolution energy of /gap/resolved") < 0)
      goto done;
  }
  H5Gclose(g);
  g = -1;

  rc = 0;
done:
  if (g >= 0) H5Gclose(g);
  return rc;
}

/* /coupling: lambda, omega_log, N(0), the alpha^2F nodes and curve. Returns 0 or -1 (ctx names the failing object). */
static int out_h5_coupling(out_ctx *ctx, hid_t file, const agape_results *r)
{
  int rc = -1;
  hid_t g = -1;
  hsize_t nt = (hsize_t)r->ntemps;
  hsize_t d1[1];
  /* --- coupling and Coulomb ------------------------------------------------------------ */
  if ((g = out_group(ctx, file, "coupling", "electron-phonon coupling summary")) < 0) goto done;
  if (out_scalar(ctx, g, "lambda", r->lambda, "1", "electron-phonon coupling constant") < 0) goto done;
  if (out_scalar(ctx, g, "omega_log", r->omega_log_meV, "meV", "logarithmic average phonon frequency") < 0) goto done;
  if (out_scalar(ctx, g, "dos0", r->dos0, "1/eV", "N(0): density of states at E_F per spin per cell") < 0) goto done;
  if (r->source_dos0 > 0 &&
      (out_scalar(ctx, g, "source_dos0", r->source_dos0, "1/eV",
                  "the material source's own N(E_F) per spin per cell (EPW's), beside dos0 of the states") < 0 ||
       out_scalar(ctx, g, "source_lambda", r->source_lambda, "1",
                  "the material source's own lambda (EPW's alpha^2F, below), beside lambda of the states") < 0 ||
       out_scalar(ctx, g, "unreached", r->unreached, "1",
                  "share of the Fermi-surface pair weight sum fsw fsw' / N(0)^2 where the source's data end (no "
                  "mesh corner inside its window): those pairs carry the average coupling of the others") < 0))
    goto done;
  d1[0] = (hsize_t)(r->nmodes > 0 ? r->nmodes : 0);
  if (out_f64(ctx, g, "omega", 1, d1, r->omega_meV, "meV", "phonon mode frequencies") < 0) goto done;
  if (out_f64(ctx, g, "a2f_weight", 1, d1, r->a2f, "meV",
              "integral of alpha^2F(omega) d omega over each mode (lambda = 2 sum a2f_weight/omega)") < 0)
    goto done;
  if (out_scalar(ctx, g, "tc_mcmillan_mustar_0.1", r->tc_mcmillan_mustar01, "K",
                 "McMillan-Allen-Dynes Tc (f1 f2 = 1) at mu* = 0.1") < 0)
    goto done;
  if (r->eliashberg) {
    if (out_scalar(ctx, g, "omega_2", r->omega_2_meV, "meV", "[(2/lambda) int alpha^2F(omega) omega d omega]^(1/2)") <
        0)
      goto done;
    if (out_scalar(ctx, g, "tc_allen_dynes", r->tc_allen_dynes, "K",
                   "Allen-Dynes Tc with f1 f2 at the run's mu* (/gap/mustar)") < 0)
      goto done;
    if (out_scalar(ctx, g, "tc_mcmillan", r->tc_mcmillan_mustar, "K",
                   "the same with f1 = f2 = 1 (the estimate EPW prints)") < 0)
      goto done;
  }
  if (r->ncurve > 0) {
    double *wax = malloc(sizeof(double) * 2 * (size_t)r->ncurve), *lw = wax + r->ncurve;
    if (!wax) goto done;
    double acc = 0;
    for (int i = 0; i < r->ncurve; i++) {
      wax[i] = (i + 1) * r->curve_dw_meV;
      acc += 2 * r->curve_a2f[i] / wax[i] * r->curve_dw_meV;
      lw[i] = acc;
    }
    d1[0] = (hsize_t)r->ncurve;
    int bad = out_f64(ctx, g, "a2f_omega", 1, d1, wax, "meV", "frequency axis of a2f, phdos and lambda_omega") < 0 ||
      out_f64(ctx, g, "a2f", 1, d1, r->curve_a2f, "1",
              "Eliashberg function alpha^2F(omega), Gaussian lines of width degaussq") < 0 ||
      out_f64(ctx, g, "lambda_omega", 1, d1, lw, "1", "lambda(omega) = 2 int_0^omega alpha^2F/omega'") < 0 ||
      out_f64(ctx, g, "phdos", 1, d1, r->curve_phdos, "1/meV",
              "phonon density of states per cell (all modes of the selected q)") < 0;
    free(wax);
    if (bad) goto done;
    d1[0] = nt;
  }
  H5Gclose(g);
  g = -1;
  rc = 0;
done:
  if (g >= 0) H5Gclose(g);
  return rc;
}

/* /coulomb: mu and the RPA data. Returns 0 or -1 (ctx names the failing object). */
static int out_h5_coulomb(out_ctx *ctx, hid_t file, const agape_results *r)
{
  int rc = -1;
  hid_t g = -1;
  if (r->eliashberg && !r->coulomb) return 0; /* Eliashberg with a given mu* (/gap/mustar): no Coulomb kernel */
  if ((g = out_group(ctx, file, "coulomb", "Coulomb interaction")) < 0) goto done;
  if (out_scalar(ctx, g, "mu", r->mu, "1", "mu = N(0) W (0 when Coulomb is off)") < 0) goto done;
  if (r->coulomb && r->coulomb->mode == COUL_RPA) {
    const agape_coulomb *c = r->coulomb;
    if (out_scalar(ctx, g, "w_fs", c->w_fs, "eV",
                   "RPA: Fermi-surface average <W> of the screened interaction (the constant W of the gap equation)") <
          0 ||
        out_scalar(ctx, g, "w_bare_fs", c->w_bare_fs, "eV", "RPA: the same average of the bare Coulomb interaction") <
          0 ||
        out_scalar(ctx, g, "dos0_grid", c->dos0_grid, "states/eV/spin/cell",
                   "RPA: N(0) of the regular grid with the Gaussian delta (mu = dos0_grid * w_fs)") < 0 ||
        out_scalar(ctx, g, "k_tf", sqrt(c->ktf2), "1/Angstrom", "RPA: Thomas-Fermi wave vector of the q = 0 head") <
          0 ||
        out_scalar(ctx, g, "kgrid", c->nk, "1", "RPA: k- and q-grid points per direction") < 0 ||
        out_scalar(ctx, g, "ng_max", c->ng_max, "1", "RPA: largest number of G vectors (local fields) at one q") < 0 ||
        out_scalar(ctx, g, "seconds", c->seconds, "s", "RPA: wall time of the Coulomb stage") < 0)
      goto done;
    if (c->wq && /* the model's cross-check on the sample (not formed from Quantum ESPRESSO states) */
        (out_scalar(ctx, g, "w_fs_sample", c->w_fs_sample, "eV",
                    "RPA: <W_kk'>_FS over pairs of Monte-Carlo states (W(q) at the nearest grid q; a cross-check)") <
           0 ||
         out_scalar(ctx, g, "mu_sample", c->mu_sample, "1", "RPA: N(0) of the sample times w_fs_sample") < 0))
      goto done;
    hsize_t de[2] = {(hsize_t)c->ne, (hsize_t)c->ne};
    if (out_f64(ctx, g, "xi_axis", 1, de, c->xi_axis, "eV",
                "RPA: energies of W(xi, xi') (bin centres over the bands of the grid), from E_F") < 0 ||
        out_f64(ctx, g, "w_xi", 2, de, c->w_xi, "eV",
                "RPA: energy-resolved W(xi, xi') = average of W_{kn,k'n'} over grid pairs in the two energy bins; "
                "the gap equation interpolates it linearly, flat beyond the axis") < 0 ||
        out_f64(ctx, g, "dos_xi", 1, de, c->dos_xi, "states/eV/spin/cell",
                "RPA: density of states of the bands of the grid, per bin") < 0)
      goto done;
  }
  H5Gclose(g);
  g = -1;

  rc = 0;
done:
  if (g >= 0) H5Gclose(g);
  return rc;
}

/* Write the whole results file to path (a temporary name; the caller renames it).
 *   r        [in] results (rank 0, replicated O(n) data)
 *   nbins    [in] histogram bins
 *   hc, hd   [in] ntemps x nbins histogram centres (meV) and densities (1/meV)
 *   ctx      [out] names the failing object on failure
 * Returns 0 or -1. */
static int out_write_h5(const char *path, const agape_results *r, int nbins, const double *hc, const double *hd,
                        out_ctx *ctx)
{
  int rc = -1, iv;
  hid_t file = -1;

  snprintf(ctx->what, sizeof ctx->what, "file creation (in memory)");
  if ((file = agape_h5mem_create(path)) < 0) goto done;

  /* --- root attributes --------------------------------------------------------------- */
  iv = AGAPE_FORMAT_VERSION;
  if (out_attr_num(ctx, file, "format_version", H5T_NATIVE_INT, H5T_STD_I32LE, &iv) < 0) goto done;
  if (out_attr_str(ctx, file, "program", "AGAPE") < 0) goto done;
  if (out_attr_str(ctx, file, "version", AGAPE_VERSION_STRING) < 0) goto done;
  if (out_attr_str(ctx, file, "description",
                   "AGAPE results: anisotropic SCDFT gap equation (Delta_s, Z_s per state and "
                   "temperature), Tc and coupling summary") < 0)
    goto done;
  if (out_h5_run(ctx, file, r) < 0 || out_h5_tc(ctx, file, r) < 0 || out_h5_gap(ctx, file, r, nbins, hc, hd) < 0 ||
      out_h5_states(ctx, file, r) < 0 || out_h5_coupling(ctx, file, r) < 0 || out_h5_coulomb(ctx, file, r) < 0)
    goto done;

  rc = agape_h5mem_write(file, path, ctx->what, sizeof ctx->what);
  file = -1;
done:
  if (file >= 0) H5Fclose(file);
  return rc;
}

/* ======================================================================================
 * Text export
 * ====================================================================================== */

/* Write the gnuplot-index histogram file to tmp (caller renames).
 *   src [in] path of the results file (for the header); hc, hd as in out_write_h5.
 * Returns 0 or -1 (errno set). */
static int out_write_txt(const char *tmp, const char *src, const agape_results *r, int nbins, const double *hc,
                         const double *hd)
{
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  fprintf(f, "# AGAPE %s: gap distribution on the Fermi surface (results: %s)\n", AGAPE_VERSION_STRING, src);
  if (r->material && r->material[0]) fprintf(f, "# material: %s\n", r->material);
  if (isfinite(r->tc)) fprintf(f, "# Tc = %.6g K\n", r->tc);
  fprintf(f, "# %d temperatures [K]:", r->ntemps);
  for (int it = 0; it < r->ntemps; it++) fprintf(f, " %.6g", r->temps[it]);
  fprintf(f,
          "\n# %d bins per temperature; density is weighted by the Fermi-surface weight and "
          "integrates to 1 over Delta\n",
          nbins);
  fprintf(f,
          "# one block per temperature, blocks separated by two blank lines "
          "(gnuplot: plot '" OUT_HIST_TXT "' index i using 2:3)\n");
  fprintf(f, "# columns: T [K]   Delta [meV]   density [1/meV]\n");
  for (int it = 0; it < r->ntemps; it++) {
    if (it > 0) fputs("\n\n", f);
    fprintf(f, "# index %d: T = %.6g K\n", it, r->temps[it]);
    for (int b = 0; b < nbins; b++)
      fprintf(f, "%.6f %.10e %.10e\n", r->temps[it], hc[(size_t)it * nbins + b], hd[(size_t)it * nbins + b]);
  }
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  return bad ? -1 : 0;
}

/* EPW-style text files beside the results, one per temperature, so that existing scripts
 * keep working: <prefix>.imag_aniso_gap0_TTT.TT (two columns: T + rho(Delta)/max rho, Delta
 * in meV, over the histogram bins) for the anisotropic solver, <prefix>.imag_iso_TTT.TT
 * (omega_n in eV, Z, Delta in eV) for the isotropic one. Each is written under a temporary
 * name and renamed. */
static agape_err out_write_epw_text(const agape_results *r, const char *dir, int nbins, const double *hc,
                                    const double *hd)
{
  int aniso = r->params->anisotropy == ELI_ANISO;
  for (int it = 0; it < r->ntemps; it++) {
    char name[AGAPE_PATH_MAX + 64], path[2 * AGAPE_PATH_MAX + 80], tmp[2 * AGAPE_PATH_MAX + 120];
    snprintf(name, sizeof name, "%s.%s_%06.2f", r->epw_prefix, aniso ? "imag_aniso_gap0" : "imag_iso", r->temps[it]);
    if (out_join(path, sizeof path, dir, name) != 0 || agape_path_tmpname(tmp, sizeof tmp, path) != 0)
      return agape_error(AGAPE_ERR_IO, "cannot write %s/%s: path too long", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f) return agape_error(AGAPE_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    if (aniso) {
      const double *d = hd + (size_t)it * nbins, *c = hc + (size_t)it * nbins;
      double mx = 0;
      for (int b = 0; b < nbins; b++)
        if (d[b] > mx) mx = d[b];
      fprintf(f, "# T [K] + rho(Delta)/max rho   Delta_nk(i omega_0) [meV]\n");
      for (int b = 0; b < nbins; b++) fprintf(f, "%20.10E%20.10E\n", r->temps[it] + (mx > 0 ? d[b] / mx : 0), c[b]);
    } else {
      fprintf(f, "# w [eV]   Z(i w)   Delta(i w) [eV]\n");
      double piT = AGAPE_PI * AGAPE_K_B * r->temps[it];
      for (int n = 0; n < r->nw[it]; n++)
        fprintf(f, "%20.10E%20.10E%20.10E\n", piT * (2 * n + 1), r->z_matsubara[(size_t)it * r->nw_max + n],
                1e-3 * r->delta_matsubara[(size_t)it * r->nw_max + n]);
    }
    agape_err err = agape_text_commit(f, tmp, path);
    if (err) return err;
  }
  printf("agape: wrote %d EPW-style %s files to %s\n", r->ntemps, aniso ? "imag_aniso_gap0" : "imag_iso", dir);
  return AGAPE_OK;
}

/* ======================================================================================
 * PNG via the Python script
 * ====================================================================================== */

/* Locate a plot script (name: agape-plot-histograms or agape-plot-coulomb):
 * $AGAPE_PLOT_SCRIPT for the histograms, else relative to the folder of /proc/self/exe:
 * ../scripts/ (build folder inside the repository), ./ or ../bin/ (installed), else
 * AGAPE_SOURCE_DIR/scripts/ when that macro is defined at compile time.
 *   out, cap [out] path found
 * Returns 0 and fills out, or -1. */
static int out_find_script(const char *name, char *out, size_t cap)
{
  const char *env = strcmp(name, OUT_SCRIPT_NAME) == 0 ? getenv("AGAPE_PLOT_SCRIPT") : NULL;
  if (env && env[0]) {
    if (access(env, R_OK) == 0 && snprintf(out, cap, "%s", env) < (int)cap) return 0;
    fprintf(stderr, "agape: warning: AGAPE_PLOT_SCRIPT=%s is not readable; looking elsewhere\n", env);
  }
  char exe[AGAPE_PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return -1;
  exe[len] = '\0';
  char dir[AGAPE_PATH_MAX];
  (void)agape_path_dirname(exe, dir, sizeof dir);
  static const char *const rel[] = {"../scripts/", "", "../bin/"};
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    int l = snprintf(out, cap, "%s/%s%s", dir, rel[i], name);
    if (l > 0 && (size_t)l < cap && access(out, R_OK) == 0) return 0;
  }
#ifdef AGAPE_SOURCE_DIR /* optional compile definition: out-of-tree build folders */
  int l = snprintf(out, cap, "%s/scripts/%s", AGAPE_SOURCE_DIR, name);
  if (l > 0 && (size_t)l < cap && access(out, R_OK) == 0) return 0;
#endif
  return -1;
}

/* Run python3 script results -o png and wait. Returns the script's exit status, or -1 when
 * it could not be started / was killed. */
static int out_run_plot(const char *script, const char *results, const char *png)
{
  char *argv[] = {(char *)OUT_PYTHON, (char *)script, (char *)results, (char *)"-o", (char *)png, NULL};
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  if (posix_spawn(&pid, OUT_PYTHON, NULL, NULL, argv, environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Make the PNG beside the results with the script name; problems are warnings only.
 * what [in] words for the progress line ("gap histogram plot"). */
static void out_plot(const char *name, const char *what, const char *results, const char *png)
{
  char script[AGAPE_PATH_MAX];
  if (out_find_script(name, script, sizeof script) != 0) {
    fprintf(stderr, "agape: warning: no plot made: %s not found (run scripts/%s %s -o %s)\n", name, name, results, png);
    return;
  }
  if (access(OUT_PYTHON, X_OK) != 0) {
    fprintf(stderr,
            "agape: warning: no plot made: " OUT_PYTHON " not found; install python3 "
            "with h5py, numpy and matplotlib (Debian: python3-h5py python3-matplotlib) and "
            "run: " OUT_PYTHON " '%s' '%s' -o '%s'\n",
            script, results, png);
    return;
  }
  int st = out_run_plot(script, results, png);
  if (st != 0) {
    fprintf(stderr,
            "agape: warning: no plot made (plot script exit status %d); the results are "
            "complete. Make sure python3 has h5py, numpy and matplotlib (Debian: "
            "python3-h5py python3-matplotlib), then run: " OUT_PYTHON " '%s' '%s' -o '%s'\n",
            st, script, results, png);
    return;
  }
  printf("agape: wrote %s to %s\n", what, png);
}

/* ======================================================================================
 * Driver
 * ====================================================================================== */

/* Check that the arrays the header requires are present. Returns NULL or the missing name. */
static const char *out_missing(const agape_results *r)
{
  if (!r->params) return "params";
  if (r->n < 0 || r->ntemps < 0 || r->nmodes < 0 || r->ntc < 0) return "non-negative sizes";
  if (r->n > 0 && (!r->xi || !r->w || !r->fs_weight)) return "states (xi, w, fs_weight)";
  if (r->ntemps > 0 && (!r->temps || !r->delta_fs_avg || !r->converged || !r->iterations)) return "temperature arrays";
  if (r->ntemps > 0 && r->n > 0 && (!r->delta || !r->z)) return "delta/z";
  if (r->ntc > 0 && (!r->tc_hist_T || !r->tc_hist_rho)) return "Tc history";
  if (r->nmodes > 0 && (!r->omega_meV || !r->a2f)) return "modes";
  return NULL;
}

/* Write results.h5, gap_histogram.dat and (params->plot) gap_histogram.png.
 *   r [in] results on rank 0; r->params->output_file names the results file; its folder
 *          is created when missing and receives the other two files.
 * Returns AGAPE_OK, AGAPE_ERR_IO (message names the path; no partial file is left),
 * AGAPE_ERR_NOMEM or AGAPE_ERR_INTERNAL (missing arrays). A failing plot is a warning. */
/* Remove "<stem>...tmp.<pid>" files in dir left by a writer that was killed (pid not a
 * live process here): stem is the results file's name without ".h5", or the histogram's. */
/* Remove this run's own leftovers in dir: temporaries <name>.tmp.<host>.<pid> of its output
 * files (the results file, its checkpoint, the histogram files, the FermiSurfer files)
 * written on this host by a process that no longer exists. A temporary of another output
 * name, of another host (a job on another node of a shared file system) or of a live process
 * is left alone. */
static void out_remove_stale(const char *dir, const char *path)
{
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char ckpath[AGAPE_PATH_MAX + 32], host[64];
  if (agape_ckpt_path(path, ckpath, sizeof ckpath) != 0) return;
  const char *ckbase = strrchr(ckpath, '/') ? strrchr(ckpath, '/') + 1 : ckpath; /* its checkpoint (and .prev) */
  agape_path_host(host, sizeof host);
  DIR *dd = opendir(dir);
  if (!dd) return;
  struct dirent *e;
  while ((e = readdir(dd))) {
    const char *t = strstr(e->d_name, ".tmp.");
    if (!t) continue;
    size_t pl = (size_t)(t - e->d_name);
    char prefix[AGAPE_PATH_MAX + 16];
    if (pl >= sizeof prefix) continue;
    memcpy(prefix, e->d_name, pl);
    prefix[pl] = '\0';
    int own = !strcmp(prefix, base) || !strncmp(prefix, ckbase, strlen(ckbase)) || !strcmp(prefix, OUT_HIST_TXT) ||
      !strcmp(prefix, OUT_HIST_PNG) || (!strncmp(prefix, "gap_T", 5) && pl > 6 && !strcmp(prefix + pl - 6, ".frmsf"));
    const char *hp = t + 5, *dot = strrchr(hp, '.');
    if (!own || !dot || (size_t)(dot - hp) != strlen(host) || strncmp(hp, host, strlen(host)) != 0) continue;
    char *end;
    long pid = strtol(dot + 1, &end, 10);
    if (*end != '\0' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char full[AGAPE_PATH_MAX + 256];
    snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
    if (unlink(full) == 0) printf("agape: removed %s (left by a killed run of this deck on this host)\n", full);
  }
  closedir(dd);
}

/* Create dir, the folder of the results file path (mkdir -p), or report why not. */
static agape_err out_make_dir(const char *path, const char *dir)
{
  if (out_mkdir_p(dir) != 0)
    return agape_error(AGAPE_ERR_IO, "cannot write %s: cannot create folder %s: %s", path, dir, strerror(errno));
  return AGAPE_OK;
}

const char *agape_tc_status_name(tcs_status s)
{
  switch (s) {
  case TCS_FOUND: return "found";
  case TCS_NONE: return "none";
  case TCS_NO_BRACKET: return "no_bracket";
  default: return "not_searched";
  }
}

int agape_resolution_check(int rank, const char *what, double T, double xi_near, double delta)
{
  const double kT = agape_kT(T);
  const int ok = agape_window_resolved(xi_near, kT, delta);
  if (!ok && rank == 0) {
    char gap[64] = "";
    if (fabs(delta) > 0) snprintf(gap, sizeof gap, ", Delta_FS = %.4g meV", fabs(delta) * 1e3);
    agape_warning("under-resolved at T = %g K (%s): the state with k nearest E_F is %.4g meV away, outside the "
                  "thermal window of the gap equation (half width %.4g meV; k_B T = %.4g meV%s)",
                  T, what, xi_near * 1e3, agape_thermal_window(kT, delta) * 1e3, kT * 1e3, gap);
    fflush(stderr);
  }
  return ok;
}

void agape_tc_outcome_not_searched(agape_tc_outcome *out)
{
  *out = (agape_tc_outcome){.status = TCS_NOT_SEARCHED, .tc = NAN, .T_floor = NAN, .T_ceil = NAN, .resolved = 1};
}

void agape_tc_outcome_set(agape_tc_outcome *out, int rank, const tcs_opts *o, const tcs_result *r, double xi_near)
{
  out->status = r->status;
  out->tc = r->tc;
  out->T_floor = o->T_floor;
  out->T_ceil = o->T_ceil;
  snprintf(out->msg, sizeof out->msg, "%s", r->msg);
  /* the temperature that decided the status */
  const double Td = r->status == TCS_FOUND ? r->tc : r->status == TCS_NONE ? r->T_lo : r->T_hi;
  out->resolved = agape_window_resolved(xi_near, agape_kT(Td), 0);
  if (rank != 0) return;
  const double w = agape_thermal_window(agape_kT(Td), 0) * 1e3;
  char why[256] = "";
  if (!out->resolved)
    snprintf(why, sizeof why,
             " Under-resolved: the state with k nearest E_F is %.4g meV away, outside the thermal window there "
             "(half width %.4g meV), so the verdict may come from the sampling (too few states near E_F), not the "
             "material.",
             xi_near * 1e3, w);
  if (r->status == TCS_NONE) {
    printf("agape: Tc search: %s; /tc = 0 (status none), the deck's temperatures are solved as usual.%s\n", r->msg,
           why);
    fflush(stdout);
  } else if (r->status == TCS_NO_BRACKET) {
    fflush(stdout);
    agape_warning("Tc search: %s; /tc = NaN (status no_bracket), the deck's temperatures are solved as usual and "
                  "the exit status is 4.%s",
                  r->msg, why);
  } else if (!out->resolved) {
    fflush(stdout);
    agape_warning("Tc = %.4g K is under-resolved: the state with k nearest E_F is %.4g meV away, outside the "
                  "thermal window at Tc (half width %.4g meV, k_B Tc = %.4g meV); /tc has resolved = 0",
                  r->tc, xi_near * 1e3, w, agape_kT(r->tc) * 1e3);
  }
  fflush(stderr);
}

void agape_results_set_tc(agape_results *r, int rank, const agape_params *p, const agape_tc_outcome *tc,
                          const double *dfs_meV, int nh, const double *hT, const double *hr, const int *hres)
{
  r->tc = tc->tc;
  r->tc_status = agape_tc_status_name(tc->status);
  r->tc_message = tc->msg;
  r->tc_floor = tc->T_floor;
  r->tc_ceil = tc->T_ceil;
  r->tc_resolved = tc->resolved;
  r->tc_hist_resolved = hres;
  r->ntc = nh;
  r->tc_hist_T = hT;
  r->tc_hist_rho = hr;
  const double tcv = tc->tc;
  r->gap_ratio = r->tc_gap_T = NAN;
  r->ntemps = p->ntemps;
  r->temps = p->temps;
  r->delta_fs_avg = dfs_meV;
  if (p->ntemps > 0 && tcv > 0 && isfinite(tcv) && dfs_meV[0] > 0) {
    r->gap_ratio = 2 * (dfs_meV[0] * 1e-3) / (AGAPE_K_B * tcv);
    r->tc_gap_T = p->temps[0];
    if (rank == 0) printf("agape: gap ratio 2 Delta(%.2f K) / k_B Tc = %.4f\n", r->tc_gap_T, r->gap_ratio);
  }
}

void agape_results_set_lines(agape_results *r, int nmodes, const double *omega_eV, const double *a2f_eV, double *om_meV,
                             double *aw_meV, double dos0, double lambda, double omega_log_eV)
{
  for (int b = 0; b < nmodes; b++) {
    om_meV[b] = omega_eV[b] * 1e3;
    aw_meV[b] = a2f_eV[b] * 1e3;
  }
  r->nmodes = nmodes;
  r->omega_meV = om_meV;
  r->a2f = aw_meV;
  r->dos0 = dos0;
  r->lambda = lambda;
  r->omega_log_meV = omega_log_eV * 1e3;
}

void agape_results_set_curve(agape_results *r, int ncurve, double dw_eV, const double *a2f, const double *phdos_eV,
                             double *phd_meV)
{
  r->ncurve = phd_meV ? ncurve : 0;
  r->curve_dw_meV = dw_eV * 1e3;
  r->curve_a2f = a2f;
  r->curve_phdos = phd_meV;
  if (phd_meV)
    for (int i = 0; i < ncurve; i++) phd_meV[i] = phdos_eV[i] * 1e-3; /* 1/eV -> 1/meV */
}

agape_err agape_output_agree(const agape_par *par, agape_err err)
{
  err = agape_par_agree(par, err);
  if (!err && par->rank == 0 && agape_stop_pending())
    printf("agape: %s received while the results were written: they are complete\n", agape_stop_signame());
  return err;
}

void agape_results_set_run(agape_results *r, const agape_params *p, int nranks, int nthreads, double wall_seconds)
{
  r->params = p;
  r->nranks = nranks;
  r->nthreads = nthreads;
  r->wall_seconds = wall_seconds;
}

/* 1 if the files a and b exist and are the same file (device and inode). */
static int out_same_file(const char *a, const char *b)
{
  struct stat sa, sb;
  return a[0] && b[0] && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* 1 if the file path exists and lies in the folder dir (an input folder of the run). */
static int out_inside(const char *path, const char *dir)
{
  char d[AGAPE_PATH_MAX];
  struct stat sp, sd;
  if (!dir[0] || stat(path, &sp) != 0 || stat(dir, &sd) != 0 || !S_ISDIR(sd.st_mode)) return 0;
  if (agape_path_dirname(path, d, sizeof d) != 0) return 0;
  return out_same_file(d, dir);
}

agape_err agape_output_prepare(const agape_params *p)
{
  const char *path = p->output_file;
  char dir[AGAPE_PATH_MAX];
  if (!path[0]) return agape_error(AGAPE_ERR_IO, "output: empty output file name");
  struct stat so;
  if (lstat(path, &so) == 0 && !S_ISREG(so.st_mode))
    return agape_error(AGAPE_ERR_DECK,
                       "[output] file = %s: exists and is not a regular file (a directory, link, device or FIFO); "
                       "AGAPE replaces only its own results files",
                       path);
  const char *inputs[] = {p->deck_path, p->a2f_file, p->w_file};
  const char *what[] = {"the input deck", "[material] a2f_file", "[coulomb] w_file"};
  for (int i = 0; i < 3; i++)
    if (out_same_file(path, inputs[i]))
      return agape_error(AGAPE_ERR_DECK, "[output] file = %s: is %s of this run; it would be replaced by the results",
                         path, what[i]);
  if (p->source == MAT_EPW && out_inside(path, p->epw_dir))
    return agape_error(AGAPE_ERR_DECK,
                       "[output] file = %s: lies in the EPW folder [material] epw_dir = %s; write the "
                       "results elsewhere",
                       path, p->epw_dir);
  (void)agape_path_dirname(path, dir, sizeof dir);
  agape_err err = out_make_dir(path, dir);
  if (err) return err;
  if (access(dir, W_OK | X_OK) != 0)
    return agape_error(AGAPE_ERR_IO, "cannot write %s: folder %s is not writable: %s", path, dir, strerror(errno));
  out_remove_stale(dir, path);
  return AGAPE_OK;
}

agape_err agape_output_write(const agape_results *r)
{
  agape_err err = AGAPE_OK;
  double *hc = NULL, *hd = NULL;
  char dir[AGAPE_PATH_MAX], tmp[AGAPE_PATH_MAX + 32], txt[AGAPE_PATH_MAX + 32];
  char txt_tmp[AGAPE_PATH_MAX + 64], png[AGAPE_PATH_MAX + 32];
  int tmp_made = 0, txt_tmp_made = 0;
  H5E_auto2_t old_func = NULL;
  void *old_data = NULL;
  int h5e_saved = 0;

  const char *missing = out_missing(r);
  if (missing) return agape_error(AGAPE_ERR_INTERNAL, "output: results lack %s", missing);
  const agape_params *p = r->params;
  const char *path = p->output_file;
  if (!path[0]) return agape_error(AGAPE_ERR_IO, "output: empty output file name");

  (void)agape_path_dirname(path, dir, sizeof dir);
  if (agape_path_tmpname(tmp, sizeof tmp, path) != 0 || out_join(txt, sizeof txt, dir, OUT_HIST_TXT) != 0 ||
      agape_path_tmpname(txt_tmp, sizeof txt_tmp, txt) != 0 || out_join(png, sizeof png, dir, OUT_HIST_PNG) != 0)
    return agape_error(AGAPE_ERR_IO, "cannot write %s: path too long", path);
  if ((err = out_make_dir(path, dir))) /* again: the folder may have gone during the run */
    return err;

  /* histograms first (pure): one row of nbins per temperature */
  int nbins = p->histogram_bins > 0 ? p->histogram_bins : 60;
  size_t nh = (size_t)(r->ntemps > 0 ? r->ntemps : 0) * (size_t)nbins;
  hc = malloc((nh ? nh : 1) * sizeof *hc);
  hd = malloc((nh ? nh : 1) * sizeof *hd);
  if (!hc || !hd) {
    err = agape_error(AGAPE_ERR_NOMEM, "output: histogram buffers");
    goto done;
  }
  for (int it = 0; it < r->ntemps; it++)
    agape_histogram(r->n, r->delta + (size_t)it * (size_t)r->n, r->fs_weight, nbins, hc + (size_t)it * nbins,
                    hd + (size_t)it * nbins);

  /* results.h5: HDF5's own error stack is silenced; the message below names the object */
  if (H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data) >= 0) {
    h5e_saved = 1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  }
  out_ctx ctx = {{0}};
  tmp_made = 1;
  if (out_write_h5(tmp, r, nbins, hc, hd, &ctx) != 0) {
    err = agape_error(AGAPE_ERR_IO, "cannot write %s (temporary %s): failed at %s", path, tmp, ctx.what);
    goto done;
  }
  agape_stop_fault("output"); /* fault injection: the file is written, not renamed */
  if (rename(tmp, path) != 0) {
    err = agape_error(AGAPE_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    goto done;
  }
  tmp_made = 0;
  printf("agape: wrote results to %s\n", path);

  /* gap_histogram.dat */
  txt_tmp_made = 1;
  if (out_write_txt(txt_tmp, path, r, nbins, hc, hd) != 0) {
    err = agape_error(AGAPE_ERR_IO, "cannot write %s (temporary %s): %s", txt, txt_tmp, strerror(errno));
    goto done;
  }
  if (rename(txt_tmp, txt) != 0) {
    err = agape_error(AGAPE_ERR_IO, "cannot rename %s to %s: %s", txt_tmp, txt, strerror(errno));
    goto done;
  }
  txt_tmp_made = 0;
  printf("agape: wrote gap histograms to %s\n", txt);

  if (r->eliashberg && r->epw_prefix) {
    if ((err = out_write_epw_text(r, dir, nbins, hc, hd))) goto done;
  }

  if (p->plot) out_plot(OUT_SCRIPT_NAME, "gap histogram plot", path, png);
  if (p->plot && r->coulomb && r->coulomb->mode == COUL_RPA) {
    char cpng[AGAPE_PATH_MAX];
    if (out_join(cpng, sizeof cpng, dir, "coulomb_w.png") == 0)
      out_plot("agape-plot-coulomb", "Coulomb W(xi, xi) and DOS plot", path, cpng);
  }

done:
  if (h5e_saved) H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
  if (tmp_made) remove(tmp);
  if (txt_tmp_made) remove(txt_tmp);
  free(hc);
  free(hd);
  fflush(stdout);
  return err;
}
