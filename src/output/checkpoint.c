/* Checkpoint files (see include/agape/checkpoint.h): rank 0 writes and reads them with
 * serial HDF5; the state is broadcast with agape_par_bcast. */
#define _POSIX_C_SOURCE 200809L
#include "agape/checkpoint.h"
#include "agape/version.h"
#include "agape/h5mem.h"
#include "agape/files.h"
#include "agape/deck.h"
#include <hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

static int ck_write_file(const char *tmp, const char *fingerprint, const char *reason, int nitems,
                         const agape_ckpt_item *items, char *why, size_t cap)
{
  hid_t f = agape_h5mem_create(tmp);
  snprintf(why, cap, "HDF5 file in memory");
  if (f < 0) return -1;
  char when[64];
  time_t now = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
  int rc = 0;
  rc |= ck_put_str(f, "program", "AGAPE checkpoint (internal format; continue with agape run DECK --restart)");
  rc |= ck_put_str(f, "version", AGAPE_VERSION_STRING);
  rc |= ck_put_str(f, "fingerprint", fingerprint);
  rc |= ck_put_str(f, "reason", reason);
  rc |= ck_put_str(f, "written", when);
  for (int i = 0; i < nitems; i++) {
    const agape_ckpt_item *it = &items[i];
    rc |= ck_put(f, it->name, it->type == AGAPE_CKPT_I32 ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, it->cols > 0 ? 2 : 1,
                 (hsize_t)it->rows, (hsize_t)it->cols, it->data);
  }
  /* the marker that the file is complete, last */
  rc |= ck_put_str(f, "complete", "yes");
  if (rc) {
    H5Fclose(f);
    return -1;
  }
  return agape_h5mem_write(f, tmp, why, cap); /* fsync'd: on disk before the rename makes it the checkpoint */
}

agape_err agape_ckpt_write_items(const agape_par *par, const char *path, const char *fingerprint, const char *reason,
                                 int nitems, const agape_ckpt_item *items)
{
  if (par->rank != 0) return AGAPE_OK;
  char tmp[AGAPE_PATH_MAX + 128], prev[AGAPE_PATH_MAX + 8];
  char why[256];
  if (agape_path_tmpname(tmp, sizeof tmp, path) != 0)
    return agape_error(AGAPE_ERR_IO, "checkpoint %s: path too long for its temporary name", path);
  snprintf(prev, sizeof prev, "%s.prev", path);
  H5E_auto2_t of;
  void *od;
  H5Eget_auto2(H5E_DEFAULT, &of, &od);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int wrc = ck_write_file(tmp, fingerprint, reason, nitems, items, why, sizeof why);
  H5Eset_auto2(H5E_DEFAULT, of, od);
  if (wrc != 0) {
    unlink(tmp);
    return agape_error(AGAPE_ERR_IO, "checkpoint %s: cannot write %s: %s", path, tmp, why);
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

/* SCDFT's state as items (docs/output.md); the item list is at most 24 long */
static int scdft_items(const agape_ckpt *c, int *head, int *mixs, double *nn, agape_ckpt_item *it)
{
  const int64_t n = c->n;
  const anderson_mix *a = c->mix;
  const int64_t nd = c->ndone;
  int k = 0;
  int h[8] = {CKPT_FORMAT, c->ntemps, c->nj, c->ndone, c->outer, c->iters_done, a ? a->depth : 0, 0};
  memcpy(head, h, sizeof h);
  mixs[0] = a ? a->hist : 0;
  mixs[1] = a ? a->head : 0;
  mixs[2] = a ? a->have : 0;
  *nn = (double)n;
  it[k++] = (agape_ckpt_item){"header", AGAPE_CKPT_I32, 8, 0, head};
  it[k++] = (agape_ckpt_item){"n", AGAPE_CKPT_F64, 1, 0, nn};
  it[k++] = (agape_ckpt_item){"journal_T", AGAPE_CKPT_F64, c->nj, 0, (void *)c->jT};
  it[k++] = (agape_ckpt_item){"journal_rho", AGAPE_CKPT_F64, c->nj, 0, (void *)c->jr};
  if (c->nj > 0) it[k++] = (agape_ckpt_item){"v", AGAPE_CKPT_F64, n, 0, c->v};
  it[k++] = (agape_ckpt_item){"delta", AGAPE_CKPT_F64, nd, n, c->delta};
  it[k++] = (agape_ckpt_item){"z", AGAPE_CKPT_F64, nd, n, c->z};
  it[k++] = (agape_ckpt_item){"delta_fs", AGAPE_CKPT_F64, nd, 0, c->dfs};
  it[k++] = (agape_ckpt_item){"converged", AGAPE_CKPT_I32, nd, 0, c->conv};
  it[k++] = (agape_ckpt_item){"iterations", AGAPE_CKPT_I32, nd, 0, c->iters};
  if (c->outer >= 0) {
    it[k++] = (agape_ckpt_item){"step_change", AGAPE_CKPT_F64, 1, 0, (void *)&c->change};
    it[k++] = (agape_ckpt_item){"step_delta_in", AGAPE_CKPT_F64, n, 0, c->din};
    if (c->outer > 0) it[k++] = (agape_ckpt_item){"step_z", AGAPE_CKPT_F64, n, 0, c->zcur};
    it[k++] = (agape_ckpt_item){"mix_state", AGAPE_CKPT_I32, 3, 0, mixs};
    if (a->have) {
      it[k++] = (agape_ckpt_item){"mix_xo", AGAPE_CKPT_F64, n, 0, a->xo};
      it[k++] = (agape_ckpt_item){"mix_ro", AGAPE_CKPT_F64, n, 0, a->ro};
    }
    if (a->hist > 0) {
      it[k++] = (agape_ckpt_item){"mix_dX", AGAPE_CKPT_F64, a->depth, n, a->dX};
      it[k++] = (agape_ckpt_item){"mix_dR", AGAPE_CKPT_F64, a->depth, n, a->dR};
    }
  }
  return k;
}

agape_err agape_ckpt_write(const agape_par *par, const char *path, const char *fingerprint, const char *reason,
                           const agape_ckpt *c)
{
  if (par->rank != 0) return AGAPE_OK;
  int head[8], mixs[3];
  double nn;
  agape_ckpt_item it[24];
  int k = scdft_items(c, head, mixs, &nn, it);
  return agape_ckpt_write_items(par, path, fingerprint, reason, k, it);
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

agape_err agape_ckpt_read_items(const agape_par *par, const char *used, int nitems, const agape_ckpt_item *items)
{
  agape_err err = AGAPE_OK;
  if (par->rank == 0) {
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = ck_open(used);
    if (f < 0) err = agape_error(AGAPE_ERR_FORMAT, "checkpoint %s cannot be opened", used);
    for (int i = 0; i < nitems && !err; i++) {
      const agape_ckpt_item *it = &items[i];
      hsize_t count = (hsize_t)it->rows * (hsize_t)(it->cols > 0 ? it->cols : 1);
      if (ck_get(f, it->name, it->type == AGAPE_CKPT_I32 ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, count, it->data))
        err = agape_error(AGAPE_ERR_FORMAT, "checkpoint %s: '%s' is missing or has another size than this run's (%llu)",
                          used, it->name, (unsigned long long)count);
      /* the finished results it holds must be numbers: a checkpoint that recorded NaN or Inf
       * gaps (a failed solve) is not continued from */
      else if (it->type == AGAPE_CKPT_F64 &&
               (!strcmp(it->name, "delta") || !strcmp(it->name, "z") || !strcmp(it->name, "delta_fs")))
        for (hsize_t q = 0; q < count && !err; q++)
          if (!isfinite(((const double *)it->data)[q]))
            err = agape_error(AGAPE_ERR_FORMAT,
                              "checkpoint %s: '%s' holds a value that is not a number (NaN or Inf); "
                              "remove it to start again",
                              used, it->name);
    }
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, of, od);
  }
  if ((err = agape_par_agree(par, err))) return err;
  for (int i = 0; i < nitems; i++) {
    const agape_ckpt_item *it = &items[i];
    size_t count = (size_t)it->rows * (size_t)(it->cols > 0 ? it->cols : 1);
    agape_par_bcast(par, it->data, count * (it->type == AGAPE_CKPT_I32 ? sizeof(int) : sizeof(double)));
  }
  return AGAPE_OK;
}

/* SCDFT: the header first, then what it says is there */
agape_err agape_ckpt_read(const agape_par *par, const char *used, agape_ckpt *c)
{
  anderson_mix *a = c->mix;
  int head[8] = {0}, mixs[3] = {0};
  double nf = 0;
  agape_ckpt_item h[2] = {{"header", AGAPE_CKPT_I32, 8, 0, head}, {"n", AGAPE_CKPT_F64, 1, 0, &nf}};
  agape_err err = agape_ckpt_read_items(par, used, 2, h);
  if (err) return err;
  const char *bad = NULL;
  if (head[0] != CKPT_FORMAT)
    bad = "has another format version";
  else if ((int64_t)nf != c->n || head[1] != c->ntemps || head[6] != a->depth)
    bad = "has other dimensions (states, temperatures) than this run";
  else if (head[2] < 0 || head[2] > AGAPE_CKPT_MAXJ || head[3] < 0 || head[3] > c->ntemps)
    bad = "has a bad header";
  if (bad) return par->rank == 0 ? agape_error(AGAPE_ERR_FORMAT, "checkpoint %s %s", used, bad) : AGAPE_ERR_FORMAT;
  c->nj = head[2];
  c->ndone = head[3];
  c->outer = head[4];
  c->iters_done = head[5];
  /* the mixing state first (it sizes the mixing items), then everything */
  if (c->outer >= 0) {
    agape_ckpt_item ms = {"mix_state", AGAPE_CKPT_I32, 3, 0, mixs};
    if ((err = agape_ckpt_read_items(par, used, 1, &ms))) return err;
    if (mixs[0] < 0 || mixs[0] > a->depth || mixs[1] < 0 || mixs[1] >= (a->depth > 0 ? a->depth : 1))
      return par->rank == 0 ? agape_error(AGAPE_ERR_FORMAT, "checkpoint %s has a bad mixing state", used)
                            : AGAPE_ERR_FORMAT;
    a->hist = mixs[0];
    a->head = mixs[1];
    a->have = mixs[2];
  }
  int head2[8], mixs2[3];
  double nn;
  agape_ckpt_item it[24];
  int k = scdft_items(c, head2, mixs2, &nn, it);
  /* header, n and mix_state are read; the rest */
  agape_ckpt_item rest[24];
  int nr = 0;
  for (int i = 0; i < k; i++)
    if (strcmp(it[i].name, "header") && strcmp(it[i].name, "n") && strcmp(it[i].name, "mix_state")) rest[nr++] = it[i];
  return agape_ckpt_read_items(par, used, nr, rest);
}
