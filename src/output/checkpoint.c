/* Checkpoint files (see include/agape/checkpoint.h): rank 0 writes and reads them with
 * serial HDF5; the state is broadcast with agape_par_bcast. */
#define _POSIX_C_SOURCE 200809L
#include "agape/checkpoint.h"
#include "agape/version.h"
#include <hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CKPT_FORMAT 1

int agape_ckpt_path(const char *results, char *out, size_t cap)
{
  size_t len = strlen(results);
  if (len > 3 && strcmp(results + len - 3, ".h5") == 0) len -= 3;
  int w = snprintf(out, cap, "%.*s.checkpoint.h5", (int)len, results);
  return (w < 0 || (size_t)w >= cap) ? -1 : 0;
}

/* ---- writing ------------------------------------------------------------------------ */

/* dataset name (1-D or 2-D) from memory of type mt; 0 or -1 */
static int ck_put(hid_t f, const char *name, hid_t mt, int rank, hsize_t d0, hsize_t d1, const void *x)
{
  hsize_t dims[2] = {d0, d1};
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  if (sp < 0) return -1;
  hid_t ft = mt == H5T_NATIVE_INT ? H5T_STD_I32LE : H5T_IEEE_F64LE;
  hid_t d = H5Dcreate2(f, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = -1;
  if (d >= 0) {
    rc = (d0 * (rank > 1 ? d1 : 1) == 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0) ? 0 : -1;
    H5Dclose(d);
  }
  H5Sclose(sp);
  return rc;
}

static int ck_put_str(hid_t f, const char *name, const char *v)
{
  hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a = -1;
  int rc = -1;
  if (t >= 0 && sp >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 &&
      (a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0 && H5Awrite(a, t, &v) >= 0)
    rc = 0;
  if (a >= 0) H5Aclose(a);
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  return rc;
}

static int ck_write_file(const char *tmp, const char *fingerprint, const char *reason, const agape_ckpt *c)
{
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return -1;
  const hsize_t n = (hsize_t)c->n;
  const agape_anderson *a = c->mix;
  int head[8] = {CKPT_FORMAT, c->ntemps, c->nj, c->ndone, c->outer, c->iters_done, a ? a->depth : 0, 0};
  int mixs[3] = {a ? a->hist : 0, a ? a->head : 0, a ? a->have : 0};
  int64_t nn = c->n;
  char when[64];
  time_t now = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
  int rc = 0;
  rc |= ck_put_str(f, "program", "AGAPE checkpoint (internal format; continue with agape run DECK --restart)");
  rc |= ck_put_str(f, "version", AGAPE_VERSION_STRING);
  rc |= ck_put_str(f, "fingerprint", fingerprint);
  rc |= ck_put_str(f, "reason", reason);
  rc |= ck_put_str(f, "written", when);
  rc |= ck_put(f, "header", H5T_NATIVE_INT, 1, 8, 0, head);
  rc |= ck_put(f, "n", H5T_NATIVE_DOUBLE, 1, 1, 0, &(double){(double)nn});
  rc |= ck_put(f, "journal_T", H5T_NATIVE_DOUBLE, 1, (hsize_t)c->nj, 0, c->jT);
  rc |= ck_put(f, "journal_rho", H5T_NATIVE_DOUBLE, 1, (hsize_t)c->nj, 0, c->jr);
  if (c->nj > 0) rc |= ck_put(f, "v", H5T_NATIVE_DOUBLE, 1, n, 0, c->v);
  hsize_t nd = (hsize_t)c->ndone;
  rc |= ck_put(f, "delta", H5T_NATIVE_DOUBLE, 2, nd, n, c->delta);
  rc |= ck_put(f, "z", H5T_NATIVE_DOUBLE, 2, nd, n, c->z);
  rc |= ck_put(f, "delta_fs", H5T_NATIVE_DOUBLE, 1, nd, 0, c->dfs);
  rc |= ck_put(f, "converged", H5T_NATIVE_INT, 1, nd, 0, c->conv);
  rc |= ck_put(f, "iterations", H5T_NATIVE_INT, 1, nd, 0, c->iters);
  if (c->outer >= 0) {
    rc |= ck_put(f, "step_change", H5T_NATIVE_DOUBLE, 1, 1, 0, &c->change);
    rc |= ck_put(f, "step_delta_in", H5T_NATIVE_DOUBLE, 1, n, 0, c->din);
    if (c->outer > 0) rc |= ck_put(f, "step_z", H5T_NATIVE_DOUBLE, 1, n, 0, c->zcur);
    rc |= ck_put(f, "mix_state", H5T_NATIVE_INT, 1, 3, 0, mixs);
    if (a->have) {
      rc |= ck_put(f, "mix_xo", H5T_NATIVE_DOUBLE, 1, n, 0, a->xo);
      rc |= ck_put(f, "mix_ro", H5T_NATIVE_DOUBLE, 1, n, 0, a->ro);
    }
    if (a->hist > 0) {
      rc |= ck_put(f, "mix_dX", H5T_NATIVE_DOUBLE, 2, (hsize_t)a->depth, n, a->dX);
      rc |= ck_put(f, "mix_dR", H5T_NATIVE_DOUBLE, 2, (hsize_t)a->depth, n, a->dR);
    }
  }
  /* the marker that the file is complete, last */
  rc |= ck_put_str(f, "complete", "yes");
  if (H5Fclose(f) < 0) rc = -1;
  if (rc) return -1;
  /* on disk before the rename makes it the checkpoint */
  int fd = open(tmp, O_RDONLY);
  if (fd < 0) return -1;
  rc = fsync(fd);
  close(fd);
  return rc == 0 ? 0 : -1;
}

agape_err agape_ckpt_write(const agape_par *par, const char *path, const char *fingerprint, const char *reason,
                           const agape_ckpt *c)
{
  if (par->rank != 0) return AGAPE_OK;
  char tmp[AGAPE_PATH_MAX + 32], prev[AGAPE_PATH_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  snprintf(prev, sizeof prev, "%s.prev", path);
  H5E_auto2_t of;
  void *od;
  H5Eget_auto2(H5E_DEFAULT, &of, &od);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int wrc = ck_write_file(tmp, fingerprint, reason, c);
  H5Eset_auto2(H5E_DEFAULT, of, od);
  if (wrc != 0) {
    unlink(tmp);
    return agape_error(AGAPE_ERR_IO, "checkpoint %s: cannot write %s (disk full or folder not writable?)", path, tmp);
  }
  if (rename(path, prev) != 0 && errno != ENOENT) {
    unlink(tmp);
    return agape_error(AGAPE_ERR_IO, "checkpoint %s: cannot rename it to %s: %s", path, prev, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    unlink(tmp);
    return agape_error(AGAPE_ERR_IO, "checkpoint %s: cannot rename %s to it: %s", path, tmp, strerror(errno));
  }
  return AGAPE_OK;
}

/* ---- reading ------------------------------------------------------------------------ */

/* string attribute name of f into malloc'd *out; 0 or -1 */
static int ck_get_str(hid_t f, const char *name, char **out)
{
  *out = NULL;
  if (H5Aexists(f, name) <= 0) return -1;
  hid_t a = H5Aopen(f, name, H5P_DEFAULT), t = H5Tcopy(H5T_C_S1);
  int rc = -1;
  char *v = NULL;
  if (a >= 0 && t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Aread(a, t, &v) >= 0 && v) {
    *out = strdup(v);
    rc = *out ? 0 : -1;
    H5free_memory(v);
  }
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  return rc;
}

/* dataset name with exactly count elements into x (type mt); 0 or -1 */
static int ck_get(hid_t f, const char *name, hid_t mt, hsize_t count, void *x)
{
  if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return -1;
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d);
  int rc = -1;
  if (sp >= 0 && H5Sget_simple_extent_npoints(sp) == (hssize_t)count)
    rc = (count == 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0) ? 0 : -1;
  if (sp >= 0) H5Sclose(sp);
  H5Dclose(d);
  return rc;
}

/* Open path if it is a complete checkpoint (errors silenced); -1 otherwise. */
static hid_t ck_open(const char *path)
{
  if (access(path, R_OK) != 0) return -1;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  char *c = NULL;
  if (ck_get_str(f, "complete", &c) != 0 || strcmp(c, "yes") != 0) {
    free(c);
    H5Fclose(f);
    return -1;
  }
  free(c);
  return f;
}

/* first line where the fingerprints a (file) and b (deck) differ, into out */
static void ck_first_diff(const char *a, const char *b, char *out, size_t cap)
{
  while (*a || *b) {
    size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
    if (la != lb || strncmp(a, b, la) != 0) {
      snprintf(out, cap, "the checkpoint has '%.*s', the deck '%.*s'", (int)la, a, (int)lb, b);
      return;
    }
    a += la + (a[la] == '\n');
    b += lb + (b[lb] == '\n');
  }
  snprintf(out, cap, "(no line differs)");
}

agape_err agape_ckpt_find(const agape_par *par, const char *path, const char *fingerprint, int *found, char *used,
                          size_t cap)
{
  agape_err err = AGAPE_OK;
  *found = 0;
  if (par->rank == 0) {
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char cand[2][AGAPE_PATH_MAX + 8];
    snprintf(cand[0], sizeof cand[0], "%s", path);
    snprintf(cand[1], sizeof cand[1], "%s.prev", path);
    for (int i = 0; i < 2 && !*found && !err; i++) {
      hid_t f = ck_open(cand[i]);
      if (f < 0) {
        if (access(cand[i], F_OK) == 0)
          fprintf(stderr, "agape: warning: %s is not a complete checkpoint; trying the one before it\n", cand[i]);
        continue;
      }
      char *fp = NULL;
      if (ck_get_str(f, "fingerprint", &fp) != 0) {
        err = agape_error(AGAPE_ERR_FORMAT, "checkpoint %s: no fingerprint attribute", cand[i]);
      } else if (strcmp(fp, fingerprint) != 0) {
        char why[600];
        ck_first_diff(fp, fingerprint, why, sizeof why);
        err = agape_error(AGAPE_ERR_DECK,
                          "checkpoint %s was made from a different deck: %s. Restore that "
                          "deck, or run without --restart to start again",
                          cand[i], why);
      } else {
        *found = 1;
        snprintf(used, cap, "%s", cand[i]);
      }
      free(fp);
      H5Fclose(f);
    }
    H5Eset_auto2(H5E_DEFAULT, of, od);
  }
  err = agape_par_agree(par, err);
  agape_par_bcast(par, found, sizeof *found);
  if (*found) agape_par_bcast(par, used, cap);
  return err;
}

agape_err agape_ckpt_read(const agape_par *par, const char *used, agape_ckpt *c)
{
  agape_err err = AGAPE_OK;
  const hsize_t n = (hsize_t)c->n;
  agape_anderson *a = c->mix;
  int head[8] = {0}, mixs[3] = {0};
  if (par->rank == 0) {
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = ck_open(used);
    const char *bad = NULL;
    double nf = 0;
    if (f < 0)
      bad = "cannot be opened";
    else if (ck_get(f, "header", H5T_NATIVE_INT, 8, head) || ck_get(f, "n", H5T_NATIVE_DOUBLE, 1, &nf))
      bad = "has no header";
    else if (head[0] != CKPT_FORMAT)
      bad = "has another format version";
    else if ((int64_t)nf != c->n || head[1] != c->ntemps || head[6] != a->depth)
      bad = "has other dimensions (states, temperatures) than this run";
    else {
      c->nj = head[2];
      c->ndone = head[3];
      c->outer = head[4];
      c->iters_done = head[5];
      hsize_t nd = (hsize_t)c->ndone;
      if (c->nj < 0 || c->nj > AGAPE_CKPT_MAXJ || c->ndone < 0 || c->ndone > c->ntemps ||
          ck_get(f, "journal_T", H5T_NATIVE_DOUBLE, (hsize_t)c->nj, c->jT) ||
          ck_get(f, "journal_rho", H5T_NATIVE_DOUBLE, (hsize_t)c->nj, c->jr) ||
          (c->nj > 0 && ck_get(f, "v", H5T_NATIVE_DOUBLE, n, c->v)) ||
          ck_get(f, "delta", H5T_NATIVE_DOUBLE, nd * n, c->delta) || ck_get(f, "z", H5T_NATIVE_DOUBLE, nd * n, c->z) ||
          ck_get(f, "delta_fs", H5T_NATIVE_DOUBLE, nd, c->dfs) || ck_get(f, "converged", H5T_NATIVE_INT, nd, c->conv) ||
          ck_get(f, "iterations", H5T_NATIVE_INT, nd, c->iters))
        bad = "misses the journal or the finished temperatures";
      else if (c->outer >= 0 &&
               (ck_get(f, "step_change", H5T_NATIVE_DOUBLE, 1, &c->change) ||
                ck_get(f, "step_delta_in", H5T_NATIVE_DOUBLE, n, c->din) ||
                (c->outer > 0 && ck_get(f, "step_z", H5T_NATIVE_DOUBLE, n, c->zcur)) ||
                ck_get(f, "mix_state", H5T_NATIVE_INT, 3, mixs) || mixs[0] < 0 || mixs[0] > a->depth || mixs[1] < 0 ||
                mixs[1] >= (a->depth > 0 ? a->depth : 1) ||
                (mixs[2] &&
                 (ck_get(f, "mix_xo", H5T_NATIVE_DOUBLE, n, a->xo) ||
                  ck_get(f, "mix_ro", H5T_NATIVE_DOUBLE, n, a->ro))) ||
                (mixs[0] > 0 &&
                 (ck_get(f, "mix_dX", H5T_NATIVE_DOUBLE, (hsize_t)a->depth * n, a->dX) ||
                  ck_get(f, "mix_dR", H5T_NATIVE_DOUBLE, (hsize_t)a->depth * n, a->dR)))))
        bad = "misses the state of the temperature in progress";
    }
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, of, od);
    if (bad) err = agape_error(AGAPE_ERR_FORMAT, "checkpoint %s %s", used, bad);
    a->hist = mixs[0];
    a->head = mixs[1];
    a->have = mixs[2];
  }
  if ((err = agape_par_agree(par, err))) return err;
  /* everything to every rank */
  int sc[4] = {c->nj, c->ndone, c->outer, c->iters_done};
  int ms[3] = {a->hist, a->head, a->have};
  agape_par_bcast(par, sc, sizeof sc);
  agape_par_bcast(par, ms, sizeof ms);
  c->nj = sc[0];
  c->ndone = sc[1];
  c->outer = sc[2];
  c->iters_done = sc[3];
  a->hist = ms[0];
  a->head = ms[1];
  a->have = ms[2];
  agape_par_bcast(par, c->jT, sizeof c->jT);
  agape_par_bcast(par, c->jr, sizeof c->jr);
  agape_par_bcast(par, &c->change, sizeof c->change);
  if (c->nj > 0) agape_par_bcast(par, c->v, sizeof(double) * n);
  size_t nd = (size_t)c->ndone;
  agape_par_bcast(par, c->delta, sizeof(double) * nd * n);
  agape_par_bcast(par, c->z, sizeof(double) * nd * n);
  agape_par_bcast(par, c->dfs, sizeof(double) * nd);
  agape_par_bcast(par, c->conv, sizeof(int) * nd);
  agape_par_bcast(par, c->iters, sizeof(int) * nd);
  if (c->outer >= 0) {
    agape_par_bcast(par, c->din, sizeof(double) * n);
    if (c->outer > 0) agape_par_bcast(par, c->zcur, sizeof(double) * n);
    if (a->have) {
      agape_par_bcast(par, a->xo, sizeof(double) * n);
      agape_par_bcast(par, a->ro, sizeof(double) * n);
    }
    if (a->hist > 0) {
      agape_par_bcast(par, a->dX, sizeof(double) * a->depth * n);
      agape_par_bcast(par, a->dR, sizeof(double) * a->depth * n);
    }
  }
  return AGAPE_OK;
}
