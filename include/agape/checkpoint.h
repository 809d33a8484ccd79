/* Checkpoints: the state of a run between two safe points, in HDF5, so that
 * `agape run DECK --restart` continues where a run was stopped and ends with the same
 * numbers as an uninterrupted run (bitwise on the same ranks x threads).
 *
 * Two layers. The generic one (agape_ckpt_write_items / agape_ckpt_read_items) writes and
 * reads a list of named arrays with the deck's fingerprint, atomically (temporary name,
 * fsync, rename; the previous file kept as .prev), rank 0 writing and reading and
 * broadcasting; agape_ckpt_find picks the newest complete file and refuses another deck's.
 * Each method describes its own state with it: SCDFT below (agape_ckpt), Migdal-Eliashberg
 * in src/eliashberg/eliashberg.c.
 *
 * What SCDFT saves (all replicated, written by rank 0):
 *   - a fingerprint of the deck (every key that changes the numbers; not [output]);
 *   - the journal of the linearised gap equation: every (T, rho(T)) evaluated so far in
 *     order and the eigenvector after the last one (the Tc search is replayed from it);
 *   - the finished temperatures: Delta_s, Z_s, <Delta>_FS, convergence, iterations;
 *   - inside the next temperature, the SPG kernel update about to start: its input gap,
 *     the outer Anderson history, Z_s, the last change and the iterations so far.
 * Sampling, couplings and the Coulomb step are recomputed on restart (they are
 * deterministic and cheap beside the kernel work).
 *
 * Files: <output stem>.checkpoint.h5 and the one before it, <...>.checkpoint.h5.prev.
 * Each is written under a temporary name, synced and renamed, so either is complete. */
#ifndef AGAPE_CHECKPOINT_H
#define AGAPE_CHECKPOINT_H
#include <stdint.h>
#include "agape/parallel.h"
#include "agape/anderson.h"

#define AGAPE_CKPT_MAXJ 128 /* journal entries kept (a longer Tc search replays a prefix) */

typedef struct {
  int64_t n;  /* states */
  int ntemps; /* temperatures of the deck */
  /* linearised gap equation journal */
  int nj;                     /* entries */
  double jT[AGAPE_CKPT_MAXJ]; /* K */
  double jr[AGAPE_CKPT_MAXJ]; /* rho(T), dimensionless */
  double *v;                  /* [n] eigenvector after entry nj-1 */
  /* finished temperatures 0..ndone-1 (deck order, lowest first) */
  int ndone;
  double *delta, *z; /* [ntemps * n] eV, dimensionless; first ndone rows used */
  double *dfs;       /* [ntemps] <Delta>_FS, eV */
  int *conv, *iters; /* [ntemps] */
  /* temperature ndone in progress: the SPG kernel update `outer` is about to start */
  int outer;         /* -1: nothing in progress */
  double change;     /* last outer change, relative to max|Delta| */
  int iters_done;    /* fixed-point iterations of this temperature so far */
  double *din;       /* [n] input gap of update `outer`, eV */
  double *zcur;      /* [n] Z_s of this temperature (outer > 0) */
  anderson_mix *mix; /* outer Anderson state (depth as created by the driver) */
} agape_ckpt;

/* What a solver needs to checkpoint its run (filled by the driver). */
typedef struct {
  const char *path;        /* [in] checkpoint file (agape_ckpt_path of the results file) */
  const char *fingerprint; /* [in] the deck's fingerprint (agape_params_fingerprint) */
  const char *resume;      /* [in] the checkpoint to continue from (agape_ckpt_find's `used`), or NULL:
                              start from the beginning */
  const char *deck_path;   /* [in] the deck, for the "continue with" line */
  const char *output;      /* [in] the --output argument, or NULL */
} agape_ckpt_run;

/* One named array of a checkpoint: rows x cols elements (cols = 0: a 1-D array of rows),
 * doubles or ints. Zero elements are allowed (the dataset is then empty). */
typedef enum { AGAPE_CKPT_F64 = 0, AGAPE_CKPT_I32 = 1 } agape_ckpt_type;
typedef struct {
  const char *name;     /* dataset name */
  agape_ckpt_type type; /* element type (double, int) */
  int64_t rows, cols;   /* shape */
  void *data;           /* [rows * max(cols, 1)] write: in; read: out (caller's memory) */
} agape_ckpt_item;

/* Write the items to path atomically (rank 0 only; other ranks return AGAPE_OK at once):
 * the file gets the fingerprint, the reason (e.g. "timer", "temperature", "SIGTERM"), the
 * time, then the items, then the marker of a complete file. */
agape_err agape_ckpt_write_items(const agape_par *par, const char *path, const char *fingerprint, const char *reason,
                                 int nitems, const agape_ckpt_item *items);

/* Read the items from the checkpoint used (from agape_ckpt_find) on rank 0 and broadcast
 * them. Each item must be in the file with exactly its number of elements; otherwise
 * AGAPE_ERR_FORMAT naming the file and the item (on every rank). Collective. */
agape_err agape_ckpt_read_items(const agape_par *par, const char *used, int nitems, const agape_ckpt_item *items);

/* Checkpoint file of a results file: "<results without .h5>.checkpoint.h5".
 * Returns 0, -1 if it does not fit in cap. */
int agape_ckpt_path(const char *results, char *out, size_t cap);

/* Write SCDFT's state c to path atomically (agape_ckpt_write_items).
 *   fingerprint [in] deck fingerprint (agape_params_fingerprint);  reason [in] e.g. "timer" */
agape_err agape_ckpt_write(const agape_par *par, const char *path, const char *fingerprint, const char *reason,
                           const agape_ckpt *c);

/* Find the newest complete checkpoint: path, else path.prev. Collective.
 *   found [out] 0: none (start from the beginning), 1: used [out] is the file to read.
 * A checkpoint made from another deck (fingerprint differs) is an error that names the
 * first key that differs. */
agape_err agape_ckpt_find(const agape_par *par, const char *path, const char *fingerprint, int *found, char *used,
                          size_t cap);

/* Read the checkpoint used into c (arrays allocated by the caller for c->n and c->ntemps,
 * c->mix created with the driver's depth) on rank 0 and broadcast it. Collective.
 * The file's n, ntemps and Anderson depth must equal c's. */
agape_err agape_ckpt_read(const agape_par *par, const char *used, agape_ckpt *c);

#endif
