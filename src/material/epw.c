/* EPW electron-phonon data reader and writer (see include/agape/epw.h and
 * docs/epw.md for the layout of every file). */
#include "agape/epw.h"
#include "agape/units.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <sys/stat.h>

#define EPW_CM_PER_EV 8065.543937 /* 1 eV in cm^-1 (CODATA 2018) */

/* ---- one file of the folder, read item by item --------------------------------------- */
typedef struct {
  FILE *f;
  char path[AGAPE_EPW_PATH];
  agape_epw_format fmt;
  int64_t size; /* bytes */
  int64_t rec;  /* items read so far (for messages) */
} rfile;

static agape_err rf_open(rfile *r, const char *path, agape_epw_format fmt)
{
  memset(r, 0, sizeof *r);
  snprintf(r->path, sizeof r->path, "%s", path);
  r->fmt = fmt;
  r->f = fopen(path, "rb");
  if (!r->f) return agape_error(AGAPE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(r->f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(r->f);
    r->f = NULL;
    return agape_error(AGAPE_ERR_IO, "%s: not a regular file", path);
  }
  r->size = sb.st_size;
  setvbuf(r->f, NULL, _IOFBF, 1 << 20);
  return AGAPE_OK;
}

static void rf_close(rfile *r)
{
  if (r->f) fclose(r->f);
  r->f = NULL;
}

/* Read one item of nbytes (one Fortran record in the sequential container). */
static agape_err rf_item(rfile *r, void *buf, size_t nbytes, const char *what)
{
  r->rec++;
  if (r->fmt == AGAPE_EPW_SEQUENTIAL) {
    int32_t m0 = 0, m1 = 0;
    if (fread(&m0, 4, 1, r->f) != 1) goto short_read;
    if (m0 != (int32_t)nbytes)
      return agape_error(AGAPE_ERR_FORMAT,
                         "%s: record %lld (%s) has %d bytes, expected %zu "
                         "(not an EPW file of this layout, or damaged)",
                         r->path, (long long)r->rec, what, m0, nbytes);
    if (fread(buf, 1, nbytes, r->f) != nbytes || fread(&m1, 4, 1, r->f) != 1) goto short_read;
    if (m1 != m0)
      return agape_error(AGAPE_ERR_FORMAT,
                         "%s: record %lld (%s): end marker %d differs from start "
                         "marker %d (damaged file)",
                         r->path, (long long)r->rec, what, m1, m0);
    return AGAPE_OK;
  }
  if (fread(buf, 1, nbytes, r->f) != nbytes) goto short_read;
  return AGAPE_OK;
short_read:
  return agape_error(AGAPE_ERR_FORMAT, "%s: file ends inside item %lld (%s): truncated", r->path, (long long)r->rec,
                     what);
}

/* Read n consecutive one-double items (n records of 8 bytes, or n doubles). */
static agape_err rf_doubles(rfile *r, int64_t n, double *out, const char *what)
{
  if (r->fmt == AGAPE_EPW_STREAM) {
    if ((int64_t)fread(out, 8, (size_t)n, r->f) != n)
      return agape_error(AGAPE_ERR_FORMAT, "%s: file ends inside the %s values: truncated", r->path, what);
    r->rec += n;
    return AGAPE_OK;
  }
  enum { CH = 4096 };
  unsigned char buf[CH * 16];
  for (int64_t o = 0; o < n; o += CH) {
    int64_t c = n - o < CH ? n - o : CH;
    if ((int64_t)fread(buf, 16, (size_t)c, r->f) != c)
      return agape_error(AGAPE_ERR_FORMAT, "%s: file ends inside the %s records: truncated", r->path, what);
    for (int64_t i = 0; i < c; i++) {
      int32_t m0, m1;
      memcpy(&m0, buf + 16 * i, 4);
      memcpy(&m1, buf + 16 * i + 12, 4);
      if (m0 != 8 || m1 != 8)
        return agape_error(AGAPE_ERR_FORMAT,
                           "%s: record %lld (%s) is not one 8-byte value "
                           "(markers %d, %d): damaged file",
                           r->path, (long long)(r->rec + o + i + 1), what, m0, m1);
      memcpy(out + o + i, buf + 16 * i + 4, 8);
    }
  }
  r->rec += n;
  return AGAPE_OK;
}

/* Bytes a sequence of items occupies on disk: nitems items of total payload bytes. */
static int64_t on_disk(agape_epw_format fmt, int64_t nitems, int64_t payload)
{
  return payload + (fmt == AGAPE_EPW_SEQUENTIAL ? 8 * nitems : 0);
}

static agape_err check_size(const rfile *r, int64_t expect, const char *why)
{
  if (r->size == expect) return AGAPE_OK;
  return agape_error(AGAPE_ERR_FORMAT, "%s: %lld bytes, expected %lld for %s (%s)", r->path, (long long)r->size,
                     (long long)expect, why,
                     r->size < expect ? "truncated" : "extra bytes: not written by EPW with this header");
}

static uint32_t bswap32(uint32_t x) { return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24); }

/* Tell the container of egnv from its first bytes: a sequential file starts with the
 * record markers 20 (5 int32) and, 24 bytes on, 20 and 44 (int32 + 5 float64). */
static agape_err detect_format(const char *path, agape_epw_format *fmt)
{
  FILE *f = fopen(path, "rb");
  if (!f) return agape_error(AGAPE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  int32_t h[8] = {0};
  size_t got = fread(h, 4, 8, f);
  fclose(f);
  if (got == 0) return agape_error(AGAPE_ERR_FORMAT, "%s: empty file", path);
  if (got == 8 && h[0] == 20 && h[6] == 20 && h[7] == 44) {
    *fmt = AGAPE_EPW_SEQUENTIAL;
    return AGAPE_OK;
  }
  if (got == 8 && bswap32((uint32_t)h[0]) == 20 && bswap32((uint32_t)h[6]) == 20)
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s: big-endian (byte-swapped) Fortran records; AGAPE reads "
                       "the little-endian files gfortran writes on x86-64 and ARM (convert the folder, "
                       "or rerun EPW on a little-endian machine)",
                       path);
  if (got < 5)
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s: %zu bytes: truncated (an egnv file starts with "
                       "five integers)",
                       path, got * 4);
  /* stream: nkftot, nkf1..3, nkfs as plain int32 */
  /* the mesh sizes are bounded before their product is formed (no int64 overflow) */
  int ok = h[1] > 0 && h[2] > 0 && h[3] > 0 && h[0] > 0 && h[4] >= 0 && h[4] <= h[0] && h[1] < 100000 &&
    h[2] < 100000 && h[3] < 100000 && (int64_t)h[0] <= (int64_t)h[1] * h[2] * h[3];
  if (ok) {
    *fmt = AGAPE_EPW_STREAM;
    return AGAPE_OK;
  }
  int sw = 1;
  for (int i = 0; i < 5; i++) h[i] = (int32_t)bswap32((uint32_t)h[i]);
  sw = h[1] > 0 && h[2] > 0 && h[3] > 0 && h[0] > 0 && h[4] >= 0 && h[4] <= h[0] && h[1] < 100000 && h[2] < 100000 &&
    h[3] < 100000 && (int64_t)h[0] <= (int64_t)h[1] * h[2] * h[3];
  if (sw)
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s: big-endian (byte-swapped) stream file; AGAPE reads "
                       "little-endian files",
                       path);
  return agape_error(AGAPE_ERR_FORMAT,
                     "%s: not an EPW egnv file (neither Fortran records nor a stream "
                     "with a valid k-mesh header)",
                     path);
}

/* Full-grid index of crystal coordinates x on an n[0] x n[1] x n[2] mesh (last index fastest),
 * or -1 if x is not on the mesh within 1e-5. */
static int64_t grid_index(const double x[3], const int n[3])
{
  int64_t idx = 0;
  for (int d = 0; d < 3; d++) {
    double v = x[d] * n[d];
    double r = nearbyint(v);
    if (fabs(v - r) > 1e-5) return -1;
    int64_t i = (int64_t)r % n[d];
    if (i < 0) i += n[d];
    idx = idx * n[d] + i;
  }
  return idx;
}

static int path_exists(const char *p)
{
  struct stat sb;
  return stat(p, &sb) == 0;
}

void agape_epw_destroy(agape_epw *e)
{
  free(e->pool_nk);
  free(e->wkfs);
  free(e->xkfs);
  free(e->ekfs);
  free(e->ixkff);
  free(e->iqsel);
  free(e->xqf);
  free(e->wf);
  free(e->s_k);
  free(e->s_band);
  free(e->s_xi);
  free(e->s_wk);
  free(e->s_w0g);
  free(e->row_ptr);
  free(e->col);
  free(e->ph);
  free(e->g2);
  free(e->ixkqf);
  free(e->ekfs_ry);
  free(e->wf_ry);
  free(e->s_of);
  free(e->ibz_fs);
  memset(e, 0, sizeof *e);
}

/* ---- egnv ---------------------------------------------------------------------------- */
static agape_err read_egnv(const char *dir, agape_epw *e)
{
  char path[AGAPE_EPW_PATH];
  snprintf(path, sizeof path, "%s/egnv", dir);
  agape_err err = detect_format(path, &e->format);
  if (err) return err;
  rfile r;
  if ((err = rf_open(&r, path, e->format))) return err;
  int32_t h[5];
  unsigned char b2[44];
  if ((err = rf_item(&r, h, sizeof h, "nkftot nkf1 nkf2 nkf3 nkfs"))) goto done;
  if ((err = rf_item(&r, b2, sizeof b2, "nbndfst ef ef0 dosef degaussw fsthick"))) goto done;
  e->nkftot = h[0];
  e->nkf[0] = h[1];
  e->nkf[1] = h[2];
  e->nkf[2] = h[3];
  e->nkfs = h[4];
  int32_t nb;
  double v[5];
  memcpy(&nb, b2, 4);
  memcpy(v, b2 + 4, 40);
  e->nbndfst = nb;
  int64_t full = (int64_t)e->nkf[0] * e->nkf[1] * e->nkf[2];
  if (e->nkf[0] <= 0 || e->nkf[1] <= 0 || e->nkf[2] <= 0 || full > (int64_t)1 << 31 || e->nkftot <= 0 ||
      e->nkftot > full || e->nkfs <= 0 || e->nkfs > e->nkftot || nb <= 0 || nb > 100000) {
    err = agape_error(AGAPE_ERR_FORMAT,
                      "%s: implausible header: nkftot %d, mesh %d x %d x %d, nkfs %d, "
                      "nbndfst %d",
                      path, e->nkftot, e->nkf[0], e->nkf[1], e->nkf[2], e->nkfs, nb);
    goto done;
  }
  if (!(v[2] > 0) || !(v[3] > 0) || !(v[4] > 0) || !isfinite(v[0]) || !isfinite(v[1])) {
    err = agape_error(AGAPE_ERR_FORMAT,
                      "%s: implausible values: ef %g, ef0 %g, dosef %g, degaussw %g, "
                      "fsthick %g Ry",
                      path, v[0], v[1], v[2], v[3], v[4]);
    goto done;
  }
  int stream = e->format == AGAPE_EPW_STREAM;
  /* sequential (EPW 5.3-5.7): the nkfs Fermi-shell k points, one record each plus one record
   * per band; stream (EPW >= 5.8): every one of the nkftot k points with its running index
   * and Fermi-shell index, then its bands */
  int64_t nlist = stream ? e->nkftot : e->nkfs;
  int64_t expect = stream ? 64 + nlist * (40 + 8 * (int64_t)nb)
                          : on_disk(e->format, 2, 20 + 44) + nlist * on_disk(e->format, 1 + nb, 32 + 8 * (int64_t)nb);
  char why[160];
  snprintf(why, sizeof why, "%lld k points of %d bands", (long long)nlist, nb);
  if ((err = check_size(&r, expect, why))) goto done;
  e->ef_ry = v[1];
  e->dosef_ry = v[2];
  e->degaussw_ry = v[3];
  e->fsthick_ry = v[4];
  e->ef = v[1] * AGAPE_RY_EV; /* ef0: the reference of the window and the gaps */
  e->dosef = v[2] / AGAPE_RY_EV;
  e->degaussw = v[3] * AGAPE_RY_EV;
  e->fsthick = v[4] * AGAPE_RY_EV;
  if (!(e->dosef > 0 && e->dosef <= AGAPE_EPW_DOS_MAX)) {
    err = agape_error(AGAPE_ERR_FORMAT,
                      "%s: N(E_F) = %g states/eV/spin/cell (dosef in the header): a material's density of states at "
                      "E_F lies in (0, %g]",
                      path, e->dosef, AGAPE_EPW_DOS_MAX);
    goto done;
  }
  e->wkfs = malloc(sizeof(double) * e->nkfs);
  e->xkfs = malloc(sizeof(double) * 3 * e->nkfs);
  e->ekfs = malloc(sizeof(double) * (size_t)e->nkfs * nb);
  e->ekfs_ry = malloc(sizeof(double) * (size_t)e->nkfs * nb);
  double *eb = malloc(sizeof(double) * nb);
  if (stream) e->ibz_fs = malloc(sizeof(int32_t) * (size_t)e->nkftot);
  if (!e->wkfs || !e->xkfs || !e->ekfs || !e->ekfs_ry || !eb || (stream && !e->ibz_fs)) {
    free(eb);
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  int nfs = 0;
  for (int64_t i = 0; i < nlist; i++) {
    unsigned char it[40];
    double wx[4];
    int32_t idx[2] = {(int32_t)i + 1, nfs + 1};
    if ((err = rf_item(&r, it, stream ? 40 : 32, stream ? "wk xk(1:3) ik ikfs" : "wkfs xkfs(1:3)"))) break;
    memcpy(wx, it, 32);
    if (stream) memcpy(idx, it + 32, 8);
    if ((err = rf_doubles(&r, nb, eb, "eigenvalues"))) break;
    if (!(wx[0] > 0) || wx[0] > 2.0 + 1e-9) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s: k point %lld has weight %g (EPW's weights are in (0, 2])", path,
                        (long long)i + 1, wx[0]);
      break;
    }
    if (idx[0] != i + 1 || (idx[1] != 0 && idx[1] != nfs + 1)) {
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s: k entry %lld carries indices %d, %d; expected %lld and 0 or %d "
                        "(damaged, or not an EPW >= 5.8 egnv file)",
                        path, (long long)i + 1, idx[0], idx[1], (long long)i + 1, nfs + 1);
      break;
    }
    if (stream) e->ibz_fs[i] = idx[1];
    if (idx[1] == 0) continue;
    e->wkfs[nfs] = wx[0];
    for (int d = 0; d < 3; d++) e->xkfs[3 * nfs + d] = wx[1 + d];
    for (int b = 0; b < nb; b++) {
      e->ekfs_ry[(size_t)nfs * nb + b] = eb[b];
      e->ekfs[(size_t)nfs * nb + b] = eb[b] * AGAPE_RY_EV;
    }
    nfs++;
  }
  free(eb);
  if (!err && nfs != e->nkfs)
    err = agape_error(AGAPE_ERR_FORMAT,
                      "%s: %d k points are marked as in the Fermi shell, the header says "
                      "nkfs = %d",
                      path, nfs, e->nkfs);
done:
  rf_close(&r);
  return err;
}

/* ---- ikmap --------------------------------------------------------------------------- */
static agape_err read_ikmap(const char *dir, agape_epw *e)
{
  char path[AGAPE_EPW_PATH];
  snprintf(path, sizeof path, "%s/ikmap", dir);
  rfile r;
  agape_err err = rf_open(&r, path, e->format);
  if (err) return err;
  int64_t full = (int64_t)e->nkf[0] * e->nkf[1] * e->nkf[2];
  int stream = e->format == AGAPE_EPW_STREAM;
  char why[160];
  snprintf(why, sizeof why, "the %d x %d x %d k mesh of egnv%s", e->nkf[0], e->nkf[1], e->nkf[2],
           stream ? " (two maps: Fermi-shell index and irreducible index)" : "");
  if ((err = check_size(&r, stream ? 8 * full : on_disk(e->format, 1, 4 * full), why))) goto done;
  e->ixkff = malloc(sizeof(int) * full);
  int32_t *ibz = stream ? malloc(sizeof(int32_t) * full) : NULL;
  if (!e->ixkff || (stream && !ibz)) {
    free(ibz);
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  if (!(err = rf_item(&r, e->ixkff, 4 * (size_t)full, "ixkff")) && stream)
    err = rf_item(&r, ibz, 4 * (size_t)full, "bztoibz");
  for (int64_t i = 0; i < full && stream && !err; i++)
    if (ibz[i] < 1 || ibz[i] > e->nkftot || e->ibz_fs[ibz[i] - 1] != e->ixkff[i])
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s: full-grid k point %lld: irreducible index %d and Fermi-shell "
                        "index %d disagree with egnv",
                        path, (long long)i + 1, ibz[i], e->ixkff[i]);
  free(ibz);
  if (err) goto done;
  for (int64_t i = 0; i < full; i++)
    if (e->ixkff[i] < 0 || e->ixkff[i] > e->nkfs) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s: entry %lld is %d, outside 0..nkfs = %d", path, (long long)i + 1,
                        e->ixkff[i], e->nkfs);
      goto done;
    }
  /* every Fermi-shell k point must map to itself */
  for (int ik = 0; ik < e->nkfs; ik++) {
    int64_t g = grid_index(e->xkfs + 3 * ik, e->nkf);
    if (g < 0 || e->ixkff[g] != ik + 1) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s: Fermi-shell k point %d of egnv (%.6f %.6f %.6f) is %s", path, ik + 1,
                        e->xkfs[3 * ik], e->xkfs[3 * ik + 1], e->xkfs[3 * ik + 2],
                        g < 0 ? "not on the k mesh" : "not mapped to itself: egnv and ikmap do not belong together");
      goto done;
    }
  }
done:
  rf_close(&r);
  return err;
}

/* ---- freq (+ selecq.fmt) ------------------------------------------------------------- */
/* selecq.fmt: totq, nqtotf, then totq increasing 1-based full-grid q indices. Returns the
 * 0-based indices (malloc'd) in *sel. */
static agape_err read_selecq(const char *path, int nqtotf_freq, int *totq, int **sel)
{
  FILE *f = fopen(path, "r");
  if (!f) return agape_error(AGAPE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  agape_err err = AGAPE_OK;
  int nq, nqtotf;
  *sel = NULL;
  if (fscanf(f, "%d", &nq) != 1 || fscanf(f, "%d", &nqtotf) != 1) {
    err = agape_error(AGAPE_ERR_FORMAT, "%s: expected totq and nqtotf on the first two lines", path);
    goto done;
  }
  if (nqtotf != nqtotf_freq || nq < 1 || nq > nqtotf) {
    err = agape_error(AGAPE_ERR_FORMAT,
                      "%s: %d of %d q points, but the q mesh of freq has %d points: the "
                      "files are from different runs",
                      path, nq, nqtotf, nqtotf_freq);
    goto done;
  }
  if (!(*sel = malloc(sizeof(int) * nq))) {
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  for (int i = 0; i < nq; i++) {
    int iq;
    if (fscanf(f, "%d", &iq) != 1) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s: %d q indices expected, found %d (truncated)", path, nq, i);
      goto done;
    }
    if (iq < 1 || iq > nqtotf || (i > 0 && iq - 1 <= (*sel)[i - 1])) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s: q index %d (entry %d) is outside 1..%d or not increasing", path, iq,
                        i + 1, nqtotf);
      goto done;
    }
    (*sel)[i] = iq - 1;
  }
  *totq = nq;
done:
  fclose(f);
  if (err) {
    free(*sel);
    *sel = NULL;
  }
  return err;
}

/* freq lists the selected q (EPW 5.3-5.8) or every q of the mesh (EPW >= 5.9); the selected
 * ones are those of selecq.fmt (beside the folder, or inside it) or, without it, the listed ones. */
static agape_err read_freq(const char *dir, agape_epw *e)
{
  char path[AGAPE_EPW_PATH];
  snprintf(path, sizeof path, "%s/freq", dir);
  rfile r;
  agape_err err = rf_open(&r, path, e->format);
  if (err) return err;
  int32_t h[5];
  int nl = 0, *lidx = NULL, *sel = NULL;
  double *lx = NULL, *lw = NULL;
  if (r.size == 0) {
    err = agape_error(AGAPE_ERR_FORMAT, "%s: empty file", path);
    goto done;
  }
  if ((err = rf_item(&r, h, sizeof h, "nqtotf nqf1 nqf2 nqf3 nmodes"))) goto done;
  e->nqtotf = h[0];
  e->nqf[0] = h[1];
  e->nqf[1] = h[2];
  e->nqf[2] = h[3];
  e->nmodes = h[4];
  if (h[1] <= 0 || h[2] <= 0 || h[3] <= 0 || (int64_t)h[1] * h[2] * h[3] != h[0] || h[4] <= 0 || h[4] > 3000) {
    err = agape_error(AGAPE_ERR_FORMAT, "%s: implausible header: nqtotf %d, mesh %d x %d x %d, nmodes %d", path, h[0],
                      h[1], h[2], h[3], h[4]);
    goto done;
  }
  int nm = e->nmodes;
  int64_t head = on_disk(e->format, 1, 20), per = on_disk(e->format, 1 + nm, 24 + 8 * (int64_t)nm);
  if (r.size < head + per || (r.size - head) % per != 0 || (r.size - head) / per > e->nqtotf) {
    err = agape_error(AGAPE_ERR_FORMAT,
                      "%s: %lld bytes is not a whole number (1..%d) of q points of %lld bytes "
                      "with %d modes after the header: truncated or damaged",
                      path, (long long)r.size, e->nqtotf, (long long)per, nm);
    goto done;
  }
  nl = (int)((r.size - head) / per);
  lidx = malloc(sizeof(int) * nl);
  lx = malloc(sizeof(double) * 3 * nl);
  lw = malloc(sizeof(double) * (size_t)nl * nm);
  if (!lidx || !lx || !lw) {
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  for (int iq = 0; iq < nl; iq++) {
    if ((err = rf_item(&r, lx + 3 * iq, 24, "xqf(1:3)"))) goto done;
    double *w = lw + (size_t)iq * nm;
    if ((err = rf_doubles(&r, nm, w, "wf"))) goto done;
    int64_t g = grid_index(lx + 3 * iq, e->nqf);
    if (g < 0 || (iq > 0 && g <= lidx[iq - 1])) {
      err =
        agape_error(AGAPE_ERR_FORMAT, "%s: q point %d (%.6f %.6f %.6f) is %s", path, iq + 1, lx[3 * iq], lx[3 * iq + 1],
                    lx[3 * iq + 2], g < 0 ? "not on the q mesh" : "out of the ascending grid order EPW writes");
      goto done;
    }
    lidx[iq] = (int)g;
    for (int m = 0; m < nm; m++) {
      if (!isfinite(w[m])) {
        err = agape_error(AGAPE_ERR_FORMAT, "%s: q point %d mode %d frequency is not a number", path, iq + 1, m + 1);
        goto done;
      }
    }
  }
  /* the selected q */
  char sq[AGAPE_EPW_PATH];
  snprintf(sq, sizeof sq, "%s/../selecq.fmt", dir);
  if (!path_exists(sq)) {
    snprintf(sq, sizeof sq, "%s/selecq.fmt", dir);
    if (!path_exists(sq)) sq[0] = '\0';
  }
  if (sq[0]) {
    if ((err = read_selecq(sq, e->nqtotf, &e->totq, &sel))) goto done;
  } else {
    e->totq = nl;
    if (nl < e->nqtotf)
      fprintf(stderr,
              "agape: note: %s: no selecq.fmt beside the folder; the %d q points listed in freq "
              "are taken as EPW's selected q\n",
              dir, nl);
  }
  e->iqsel = malloc(sizeof(int) * e->totq);
  e->xqf = malloc(sizeof(double) * 3 * e->totq);
  e->wf = malloc(sizeof(double) * (size_t)e->totq * nm);
  e->wf_ry = malloc(sizeof(double) * (size_t)e->totq * nm);
  if (!e->iqsel || !e->xqf || !e->wf || !e->wf_ry) {
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  int j = 0;
  for (int iq = 0; iq < e->totq; iq++) {
    int g = sel ? sel[iq] : lidx[iq];
    while (j < nl && lidx[j] < g) j++;
    if (j == nl || lidx[j] != g) {
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s: selected q point %d (%s) is not in %s: the files are from "
                        "different runs",
                        path, g + 1, sq, path);
      goto done;
    }
    e->iqsel[iq] = g;
    memcpy(e->xqf + 3 * iq, lx + 3 * j, 24);
    memcpy(e->wf_ry + (size_t)iq * nm, lw + (size_t)j * nm, sizeof(double) * nm);
    for (int m = 0; m < nm; m++) e->wf[(size_t)iq * nm + m] = e->wf_ry[(size_t)iq * nm + m] * AGAPE_RY_EV;
  }
done:
  rf_close(&r);
  free(lidx);
  free(lx);
  free(lw);
  free(sel);
  return err;
}

/* ---- window states, k+q map ---------------------------------------------------------- */
static int in_window(const agape_epw *e, int ik, int b)
{
  return fabs(e->ekfs_ry[(size_t)ik * e->nbndfst + b] - e->ef_ry) < e->fsthick_ry;
}

static agape_err build_states(agape_epw *e, const char *dir)
{
  int nb = e->nbndfst;
  e->s_of = malloc(sizeof(int32_t) * (size_t)e->nkfs * nb);
  if (!e->s_of) return AGAPE_ERR_NOMEM;
  int ns = 0;
  for (int ik = 0; ik < e->nkfs; ik++) {
    int c = 0;
    for (int b = 0; b < nb; b++) {
      int in = in_window(e, ik, b);
      e->s_of[(size_t)ik * nb + b] = in ? ns++ : -1;
      c += in;
    }
    if (c == 0)
      return agape_error(AGAPE_ERR_FORMAT,
                         "%s/egnv: k point %d has no band within fsthick = %g eV of "
                         "E_F, yet it is listed in the Fermi shell",
                         dir, ik + 1, e->fsthick);
  }
  e->ns = ns;
  e->s_k = malloc(sizeof(int) * ns);
  e->s_band = malloc(sizeof(int) * ns);
  e->s_xi = malloc(sizeof(double) * ns);
  e->s_wk = malloc(sizeof(double) * ns);
  e->s_w0g = malloc(sizeof(double) * ns);
  if (!e->s_k || !e->s_band || !e->s_xi || !e->s_wk || !e->s_w0g) return AGAPE_ERR_NOMEM;
  double sg = e->degaussw;
  for (int ik = 0; ik < e->nkfs; ik++)
    for (int b = 0; b < nb; b++) {
      int s = e->s_of[(size_t)ik * nb + b];
      if (s < 0) continue;
      e->s_k[s] = ik;
      e->s_band[s] = b;
      e->s_xi[s] = e->ekfs[(size_t)ik * nb + b] - e->ef;
      e->s_wk[s] = 0.5 * e->wkfs[ik];
      double x = e->s_xi[s] / sg;
      e->s_w0g[s] = exp(-x * x) / (sqrt(AGAPE_PI) * sg);
    }
  e->ixkqf = malloc(sizeof(int32_t) * (size_t)e->nkfs * e->totq);
  if (!e->ixkqf) return AGAPE_ERR_NOMEM;
  for (int ik = 0; ik < e->nkfs; ik++)
    for (int iq = 0; iq < e->totq; iq++) {
      double x[3];
      for (int d = 0; d < 3; d++) x[d] = e->xkfs[3 * ik + d] + e->xqf[3 * iq + d];
      int64_t g = grid_index(x, e->nkf);
      if (g < 0)
        return agape_error(AGAPE_ERR_FORMAT,
                           "%s: k + q of k point %d (egnv) and q point %d (freq) is not on "
                           "the %d x %d x %d k mesh: the q mesh must divide the k mesh",
                           dir, ik + 1, iq + 1, e->nkf[0], e->nkf[1], e->nkf[2]);
      e->ixkqf[(size_t)ik * e->totq + iq] = e->ixkff[g] - 1;
    }
  return AGAPE_OK;
}

static int nwin(const agape_epw *e, int ik)
{
  int c = 0;
  for (int b = 0; b < e->nbndfst; b++) c += e->s_of[(size_t)ik * e->nbndfst + b] >= 0;
  return c;
}

/* g2 values a pool's file holds for its k points k0 .. k0+nk-1 */
static int64_t pool_values(const agape_epw *e, int k0, int nk)
{
  int64_t n = 0;
  for (int iq = 0; iq < e->totq; iq++)
    for (int ik = k0; ik < k0 + nk; ik++) {
      int kq = e->ixkqf[(size_t)ik * e->totq + iq];
      if (kq >= 0) n += (int64_t)e->nmodes * nwin(e, ik) * nwin(e, kq);
    }
  return n;
}

/* ---- ephmat files -------------------------------------------------------------------- */
static void pool_path(const char *dir, int npool_single, int p, char *path, size_t cap)
{
  if (npool_single)
    snprintf(path, cap, "%s/ephmat", dir);
  else
    snprintf(path, cap, "%s/ephmat%d", dir, p + 1);
}

/* The ephmat files of the folder: how many (*np; *single: one file named ephmat), the npool
 * file of EPW >= 5.8, and each file's header (pool id, k count: e->pool_nk), which must add
 * up to nkfs. */
static agape_err ephmat_pools(const char *dir, agape_epw *e, int *single_out)
{
  char path[AGAPE_EPW_PATH];
  int single = 0, np = 0;
  snprintf(path, sizeof path, "%s/ephmat1", dir);
  if (!path_exists(path)) {
    snprintf(path, sizeof path, "%s/ephmat", dir);
    if (!path_exists(path)) return agape_error(AGAPE_ERR_IO, "%s: no ephmat1 (or ephmat) file in the folder", dir);
    single = 1;
    np = 1;
  } else {
    for (np = 1; np < 100000; np++) {
      snprintf(path, sizeof path, "%s/ephmat%d", dir, np + 1);
      if (!path_exists(path)) break;
    }
  }
  /* EPW >= 5.8 records the writer's pool count in the file npool */
  snprintf(path, sizeof path, "%s/npool", dir);
  if (e->format == AGAPE_EPW_STREAM && path_exists(path)) {
    rfile r;
    int32_t npf = 0;
    agape_err err = rf_open(&r, path, AGAPE_EPW_STREAM);
    if (!err) err = check_size(&r, 4, "one integer");
    if (!err) err = rf_item(&r, &npf, 4, "npool");
    rf_close(&r);
    if (err) return err;
    if (npf != np)
      return agape_error(AGAPE_ERR_FORMAT, "%s: says %d pools, but the folder has %d ephmat files", path, npf, np);
  }
  e->npool = np;
  e->pool_nk = calloc(np, sizeof(int));
  if (!e->pool_nk) return AGAPE_ERR_NOMEM;
  /* headers: pool id and k count; the k counts must add up to nkfs */
  int ksum = 0;
  agape_err err = AGAPE_OK;
  for (int p = 0; p < np; p++) {
    pool_path(dir, single, p, path, sizeof path);
    rfile r;
    if ((err = rf_open(&r, path, e->format))) return err;
    int32_t h[2];
    if (r.size == 0)
      err = agape_error(AGAPE_ERR_FORMAT, "%s: empty file", path);
    else
      err = rf_item(&r, h, sizeof h, "pool_id fermicount");
    rf_close(&r);
    if (err) return err;
    if (h[0] != p + 1 || h[1] < 0 || ksum + h[1] > e->nkfs)
      return agape_error(AGAPE_ERR_FORMAT,
                         "%s: header says pool %d with %d k points; expected pool %d and "
                         "at most %d k points (nkfs = %d in egnv)",
                         path, h[0], h[1], p + 1, e->nkfs - ksum, e->nkfs);
    e->pool_nk[p] = h[1];
    ksum += h[1];
  }
  if (ksum != e->nkfs)
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s: the %d ephmat files hold %d k points, egnv lists nkfs = %d "
                       "(an ephmat file is missing?)",
                       dir, np, ksum, e->nkfs);
  *single_out = single;
  return AGAPE_OK;
}

/* Pass 1: the CSR row pointers of the couplings (entries per row state; acoustic modes
 * dropped), e->row_ptr and e->nnz. */
static agape_err ephmat_rows(agape_epw *e)
{
  /* pass 1: entries per row (acoustic modes dropped) */
  e->row_ptr = calloc((size_t)e->ns + 1, sizeof(int64_t));
  if (!e->row_ptr) return AGAPE_ERR_NOMEM;
  int nb = e->nbndfst, nm = e->nmodes;
  for (int iq = 0; iq < e->totq; iq++) {
    int live = 0;
    for (int m = 0; m < nm; m++) live += e->wf[(size_t)iq * nm + m] > e->eps_acustic;
    for (int ik = 0; ik < e->nkfs; ik++) {
      int kq = e->ixkqf[(size_t)ik * e->totq + iq];
      if (kq < 0) continue;
      int nkq = nwin(e, kq);
      for (int b = 0; b < nb; b++) {
        int s = e->s_of[(size_t)ik * nb + b];
        if (s >= 0) e->row_ptr[s + 1] += (int64_t)live * nkq;
      }
    }
  }
  for (int s = 0; s < e->ns; s++) e->row_ptr[s + 1] += e->row_ptr[s];
  e->nnz = e->row_ptr[e->ns];
  return AGAPE_OK;
}

/* Pass 2: the coupling values of every pool file into e->col, e->ph, e->g2 (checked finite
 * and >= 0; acoustic modes dropped). */
static agape_err ephmat_values(const char *dir, int single, agape_epw *e)
{
  char path[AGAPE_EPW_PATH];
  const int np = e->npool, nb = e->nbndfst, nm = e->nmodes;
  agape_err err = AGAPE_OK;
  e->col = malloc(sizeof(int32_t) * (size_t)(e->nnz ? e->nnz : 1));
  e->ph = malloc(sizeof(int32_t) * (size_t)(e->nnz ? e->nnz : 1));
  e->g2 = malloc(sizeof(double) * (size_t)(e->nnz ? e->nnz : 1));
  int64_t *cur = malloc(sizeof(int64_t) * (size_t)(e->ns ? e->ns : 1));
  double *buf = malloc(sizeof(double) * (size_t)nm * nb * nb);
  if (!e->col || !e->ph || !e->g2 || !cur || !buf) {
    free(cur);
    free(buf);
    return AGAPE_ERR_NOMEM;
  }
  memcpy(cur, e->row_ptr, sizeof(int64_t) * e->ns);
  /* pass 2: the values */
  int k0 = 0;
  for (int p = 0; p < np && !err; p++) {
    pool_path(dir, single, p, path, sizeof path);
    rfile r;
    if ((err = rf_open(&r, path, e->format))) break;
    int64_t nval = pool_values(e, k0, e->pool_nk[p]);
    char why[200];
    snprintf(why, sizeof why,
             "%lld coupling values (k points %d..%d of egnv, the q points of freq, "
             "%d modes)",
             (long long)nval, k0 + 1, k0 + e->pool_nk[p], nm);
    int32_t h[2];
    if (!(err = check_size(&r, on_disk(e->format, 1 + nval, 8 + 8 * nval), why)))
      err = rf_item(&r, h, sizeof h, "pool_id fermicount");
    for (int iq = 0; iq < e->totq && !err; iq++)
      for (int ik = k0; ik < k0 + e->pool_nk[p] && !err; ik++) {
        int kq = e->ixkqf[(size_t)ik * e->totq + iq];
        if (kq < 0) continue;
        int na = nwin(e, ik), nkq = nwin(e, kq);
        int64_t cnt = (int64_t)nm * na * nkq;
        if ((err = rf_doubles(&r, cnt, buf, "g2"))) break;
        int64_t v = 0;
        for (int m = 0; m < nm; m++) {
          double w = e->wf[(size_t)iq * nm + m];
          for (int b = 0; b < nb; b++) {
            int s = e->s_of[(size_t)ik * nb + b];
            if (s < 0) continue;
            for (int c = 0; c < nb; c++) {
              int t = e->s_of[(size_t)kq * nb + c];
              if (t < 0) continue;
              double g = buf[v++];
              if (!(g >= 0) || !isfinite(g)) {
                err = agape_error(AGAPE_ERR_FORMAT,
                                  "%s: coupling of q point %d, k point %d, mode %d is %g "
                                  "(|g|^2 must be finite and >= 0)",
                                  path, iq + 1, ik + 1, m + 1, g);
                break;
              }
              /* EPW stores |g|^2 / (2 omega) (Ry): the coupling itself, 2 omega times it, is bounded */
              if (w > e->eps_acustic && g * 2 * (w / AGAPE_RY_EV) > AGAPE_EPW_G2_MAX_RY2) {
                err = agape_error(AGAPE_ERR_FORMAT,
                                  "%s: coupling of q point %d, k point %d, mode %d: |g|^2 = %g Ry^2 (the stored %g "
                                  "times 2 omega); electron-phonon couplings lie below %g Ry^2",
                                  path, iq + 1, ik + 1, m + 1, g * 2 * (w / AGAPE_RY_EV), g, AGAPE_EPW_G2_MAX_RY2);
                break;
              }
              if (w > e->eps_acustic) {
                int64_t j = cur[s]++;
                e->col[j] = t;
                e->ph[j] = iq * nm + m;
                e->g2[j] = g;
              }
            }
            if (err) break;
          }
          if (err) break;
        }
      }
    rf_close(&r);
    k0 += e->pool_nk[p];
  }
  free(cur);
  free(buf);
  return err;
}

static agape_err read_ephmat(const char *dir, agape_epw *e)
{
  int single = 0;
  agape_err err = ephmat_pools(dir, e, &single);
  if (!err) err = ephmat_rows(e);
  if (!err) err = ephmat_values(dir, single, e);
  return err;
}

agape_err agape_epw_read(const char *dir, double eps_acustic_cm, agape_epw *e)
{
  memset(e, 0, sizeof *e);
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return agape_error(AGAPE_ERR_IO, "%s: not a folder (expected EPW's <prefix>.ephmat folder)", dir);
  if (strlen(dir) > AGAPE_EPW_PATH - 32) return agape_error(AGAPE_ERR_IO, "%s: path too long", dir);
  e->eps_acustic = eps_acustic_cm / EPW_CM_PER_EV;
  agape_err err;
  if ((err = read_egnv(dir, e)) || (err = read_ikmap(dir, e)) || (err = read_freq(dir, e)) ||
      (err = build_states(e, dir)) || (err = read_ephmat(dir, e))) {
    agape_epw_destroy(e);
    return err;
  }
  free(e->ibz_fs);
  e->ibz_fs = NULL;
  return AGAPE_OK;
}

/* ---- writer (tests and conversions) -------------------------------------------------- */
typedef struct {
  FILE *f;
  agape_epw_format fmt;
  int bad;
} wfile;

static void wf_item(wfile *w, const void *buf, size_t nbytes)
{
  int32_t m = (int32_t)nbytes;
  if (w->fmt == AGAPE_EPW_SEQUENTIAL && fwrite(&m, 4, 1, w->f) != 1) w->bad = 1;
  if (fwrite(buf, 1, nbytes, w->f) != nbytes) w->bad = 1;
  if (w->fmt == AGAPE_EPW_SEQUENTIAL && fwrite(&m, 4, 1, w->f) != 1) w->bad = 1;
}

static agape_err wf_open(wfile *w, const char *dir, const char *name, agape_epw_format fmt, char *path)
{
  snprintf(path, AGAPE_EPW_PATH, "%s/%s", dir, name);
  w->fmt = fmt;
  w->bad = 0;
  w->f = fopen(path, "wb");
  if (!w->f) return agape_error(AGAPE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  return AGAPE_OK;
}

static agape_err wf_close(wfile *w, const char *path)
{
  int bad = w->bad | (fclose(w->f) != 0);
  return bad ? agape_error(AGAPE_ERR_IO, "%s: write failed", path) : AGAPE_OK;
}

/* The ephmat files of e in the container fmt: the entries of each row come back in the order
 * they were read, dropped acoustic entries as 0. */
static agape_err write_ephmat(const char *dir, const agape_epw *e, agape_epw_format fmt)
{
  char path[AGAPE_EPW_PATH];
  wfile w;
  agape_err err = AGAPE_OK;
  const int nb = e->nbndfst, nm = e->nmodes;
  int64_t *cur = malloc(sizeof(int64_t) * (size_t)(e->ns ? e->ns : 1));
  if (!cur) return AGAPE_ERR_NOMEM;
  memcpy(cur, e->row_ptr, sizeof(int64_t) * e->ns);
  int k0 = 0;
  for (int p = 0; p < e->npool; p++) {
    char name[32];
    if (e->npool == 1)
      snprintf(name, sizeof name, "ephmat");
    else
      snprintf(name, sizeof name, "ephmat%d", p + 1);
    if ((err = wf_open(&w, dir, name, fmt, path))) break;
    int32_t hp[2] = {p + 1, e->pool_nk[p]};
    wf_item(&w, hp, sizeof hp);
    for (int iq = 0; iq < e->totq; iq++)
      for (int ik = k0; ik < k0 + e->pool_nk[p]; ik++) {
        int kq = e->ixkqf[(size_t)ik * e->totq + iq];
        if (kq < 0) continue;
        for (int m = 0; m < nm; m++)
          for (int b = 0; b < nb; b++) {
            int s = e->s_of[(size_t)ik * nb + b];
            if (s < 0) continue;
            for (int c = 0; c < nb; c++) {
              if (e->s_of[(size_t)kq * nb + c] < 0) continue;
              double g = 0;
              if (e->wf[(size_t)iq * nm + m] > e->eps_acustic) g = e->g2[cur[s]++];
              wf_item(&w, &g, 8);
            }
          }
      }
    if ((err = wf_close(&w, path))) break;
    k0 += e->pool_nk[p];
  }
  free(cur);
  return err;
}

agape_err agape_epw_write(const char *dir, const agape_epw *e, agape_epw_format fmt)
{
  char path[AGAPE_EPW_PATH];
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return agape_error(AGAPE_ERR_IO, "%s: cannot create folder: %s", dir, strerror(errno));
  wfile w;
  agape_err err;
  int nb = e->nbndfst, nm = e->nmodes;
  int stream = fmt == AGAPE_EPW_STREAM;
  int64_t full = (int64_t)e->nkf[0] * e->nkf[1] * e->nkf[2];
  /* EPW >= 5.8 lists every irreducible k in egnv; e holds only the Fermi-shell ones, so the
   * k points outside the shell are written as one placeholder entry (their total weight,
   * bands far from E_F) that ikmap's irreducible map points them to */
  int64_t out0 = -1;
  for (int64_t i = 0; i < full && out0 < 0; i++)
    if (e->ixkff[i] == 0) out0 = i;
  double wout = 2.0;
  for (int ik = 0; ik < e->nkfs; ik++) wout -= e->wkfs[ik];
  int nkftot = stream ? e->nkfs + (out0 >= 0) : e->nkftot;
  /* egnv */
  if ((err = wf_open(&w, dir, "egnv", fmt, path))) return err;
  int32_t h[5] = {nkftot, e->nkf[0], e->nkf[1], e->nkf[2], e->nkfs};
  wf_item(&w, h, sizeof h);
  unsigned char b2[44];
  int32_t nbi = nb;
  double v[5] = {e->ef_ry, e->ef_ry, e->dosef_ry, e->degaussw_ry, e->fsthick_ry};
  memcpy(b2, &nbi, 4);
  memcpy(b2 + 4, v, 40);
  wf_item(&w, b2, sizeof b2);
  for (int ik = 0; ik < (stream ? nkftot : e->nkfs); ik++) {
    unsigned char it[40];
    double wx[4];
    int32_t idx[2] = {ik + 1, ik < e->nkfs ? ik + 1 : 0};
    if (ik < e->nkfs) {
      wx[0] = e->wkfs[ik];
      memcpy(wx + 1, e->xkfs + 3 * ik, 24);
    } else { /* the placeholder */
      wx[0] = wout > 0 ? wout : 1e-12;
      int64_t i = out0;
      int c = (int)(i % e->nkf[2]), b0 = (int)((i / e->nkf[2]) % e->nkf[1]),
          a0 = (int)(i / ((int64_t)e->nkf[1] * e->nkf[2]));
      wx[1] = (double)a0 / e->nkf[0];
      wx[2] = (double)b0 / e->nkf[1];
      wx[3] = (double)c / e->nkf[2];
    }
    memcpy(it, wx, 32);
    memcpy(it + 32, idx, 8);
    wf_item(&w, it, stream ? 40 : 32);
    for (int b = 0; b < nb; b++) {
      double eb = ik < e->nkfs ? e->ekfs_ry[(size_t)ik * nb + b] : e->ef_ry + 10 * e->fsthick_ry;
      wf_item(&w, &eb, 8);
    }
  }
  if ((err = wf_close(&w, path))) return err;
  /* ikmap */
  if ((err = wf_open(&w, dir, "ikmap", fmt, path))) return err;
  if (!stream)
    wf_item(&w, e->ixkff, 4 * (size_t)full);
  else {
    int32_t *ibz = malloc(sizeof(int32_t) * full);
    if (!ibz) {
      fclose(w.f);
      return AGAPE_ERR_NOMEM;
    }
    for (int64_t i = 0; i < full; i++) ibz[i] = e->ixkff[i] > 0 ? e->ixkff[i] : e->nkfs + 1;
    if (fwrite(e->ixkff, 4, (size_t)full, w.f) != (size_t)full || fwrite(ibz, 4, (size_t)full, w.f) != (size_t)full)
      w.bad = 1;
    free(ibz);
  }
  if ((err = wf_close(&w, path))) return err;
  /* freq: the selected q (the EPW 5.3-5.8 listing) */
  if ((err = wf_open(&w, dir, "freq", fmt, path))) return err;
  int32_t hq[5] = {e->nqtotf, e->nqf[0], e->nqf[1], e->nqf[2], nm};
  wf_item(&w, hq, sizeof hq);
  for (int iq = 0; iq < e->totq; iq++) {
    wf_item(&w, e->xqf + 3 * iq, 24);
    for (int m = 0; m < nm; m++) { wf_item(&w, e->wf_ry + (size_t)iq * nm + m, 8); }
  }
  if ((err = wf_close(&w, path))) return err;
  if (stream) {
    if ((err = wf_open(&w, dir, "npool", fmt, path))) return err;
    int32_t np = e->npool;
    wf_item(&w, &np, 4);
    if ((err = wf_close(&w, path))) return err;
  }
  /* selecq.fmt (inside the folder, where the reader also looks) */
  snprintf(path, sizeof path, "%s/selecq.fmt", dir);
  FILE *f = fopen(path, "w");
  if (!f) return agape_error(AGAPE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  fprintf(f, "%d\n%d\n", e->totq, e->nqtotf);
  for (int iq = 0; iq < e->totq; iq++) fprintf(f, "%d\n", e->iqsel[iq] + 1);
  if (fclose(f) != 0) return agape_error(AGAPE_ERR_IO, "%s: write failed", path);
  return write_ephmat(dir, e, fmt);
}

/* ---- broadcast ----------------------------------------------------------------------- */
agape_err agape_epw_bcast(const agape_par *par, agape_epw *e)
{
  if (par->size == 1) return AGAPE_OK;
  agape_par_bcast(par, e, sizeof *e);
  int64_t full = (int64_t)e->nkf[0] * e->nkf[1] * e->nkf[2], kb = (int64_t)e->nkfs * e->nbndfst;
  struct {
    void **p;
    size_t bytes;
  } a[] = {
    {(void **)&e->pool_nk, sizeof(int) * e->npool},
    {(void **)&e->wkfs, sizeof(double) * e->nkfs},
    {(void **)&e->xkfs, sizeof(double) * 3 * e->nkfs},
    {(void **)&e->ekfs, sizeof(double) * kb},
    {(void **)&e->ekfs_ry, sizeof(double) * kb},
    {(void **)&e->ixkff, sizeof(int) * full},
    {(void **)&e->iqsel, sizeof(int) * e->totq},
    {(void **)&e->xqf, sizeof(double) * 3 * e->totq},
    {(void **)&e->wf, sizeof(double) * e->totq * e->nmodes},
    {(void **)&e->wf_ry, sizeof(double) * e->totq * e->nmodes},
    {(void **)&e->s_of, sizeof(int32_t) * kb},
    {(void **)&e->s_k, sizeof(int) * e->ns},
    {(void **)&e->s_band, sizeof(int) * e->ns},
    {(void **)&e->s_xi, sizeof(double) * e->ns},
    {(void **)&e->s_wk, sizeof(double) * e->ns},
    {(void **)&e->s_w0g, sizeof(double) * e->ns},
    {(void **)&e->row_ptr, sizeof(int64_t) * (e->ns + 1)},
    {(void **)&e->col, sizeof(int32_t) * e->nnz},
    {(void **)&e->ph, sizeof(int32_t) * e->nnz},
    {(void **)&e->g2, sizeof(double) * e->nnz},
    {(void **)&e->ixkqf, sizeof(int32_t) * e->nkfs * e->totq},
  };
  int na = (int)(sizeof a / sizeof a[0]);
  agape_err err = AGAPE_OK;
  if (par->rank != 0)
    for (int i = 0; i < na; i++) {
      *a[i].p = malloc(a[i].bytes ? a[i].bytes : 1);
      if (!*a[i].p) err = AGAPE_ERR_NOMEM;
    }
  if ((err = agape_par_agree(par, err))) {
    if (par->rank != 0) agape_epw_destroy(e);
    return err;
  }
  for (int i = 0; i < na; i++) agape_par_bcast(par, *a[i].p, a[i].bytes);
  return AGAPE_OK;
}
