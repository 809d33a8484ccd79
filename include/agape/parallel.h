/* MPI and BLACS wrappers: the only module (with assembly/solve's reductions through
 * these wrappers) that calls MPI directly. Owns the process grid and the 2-D
 * block-cyclic distribution of the N x N kernel matrix.
 *
 * Distribution: global states 0..N-1; the kernel K (N x N) is split into nb x nb blocks
 * dealt cyclically over a nprow x npcol BLACS grid (ScaLAPACK convention). A rank owns
 * mloc rows and nloc columns; grow[l]/gcol[l] map local to global indices. The local
 * block is stored row-major (K_loc[li*nloc + lc]), i.e. the column-major local block of
 * K^T in ScaLAPACK terms. Vectors of length N are replicated on every rank. */
#ifndef AGAPE_PARALLEL_H
#define AGAPE_PARALLEL_H
#include <stdint.h>
#include <stddef.h>
#include <mpi.h>
#include "agape/error.h"

typedef struct {
  MPI_Comm comm; /* all ranks of the run */
  int rank, size;
  int nthreads;     /* OpenMP threads per rank */
  int ictxt;        /* BLACS context of the process grid */
  int nprow, npcol; /* process grid shape */
  int myrow, mycol; /* this rank's grid coordinates */
} agape_par;

typedef struct {
  int64_t n;          /* global dimension */
  int nb;             /* block size */
  int64_t mloc, nloc; /* local rows and columns */
  int64_t *grow;      /* [mloc] global row of each local row */
  int64_t *gcol;      /* [nloc] global column of each local column */
  int desc[9];        /* ScaLAPACK descriptor of K; the local block is row-major, so pass it to
                         PBLAS as the transposed operand */
} agape_dist;

/* MPI_Init_thread (FUNNELED) and the BLACS grid (as square as the rank count allows). */
agape_err agape_par_init(int *argc, char ***argv, agape_par *par);
/* Tear down BLACS and MPI. */
void agape_par_finalize(agape_par *par);
/* Abort every rank (last resort, after collective agreement is impossible). */
void agape_par_abort(const agape_par *par, int code);

/* Physical memory of this node, bytes (0 if unknown): the bound for sizes computed from input. */
double agape_node_memory(void);

/* Collective error agreement: returns the largest error code seen on any rank. */
agape_err agape_par_agree(const agape_par *par, agape_err local);
/* Sum a replicated vector over ranks, result identical on every rank (reduce + bcast). */
void agape_par_sum(const agape_par *par, double *x, int64_t n);
/* Broadcast bytes bytes of buf from rank 0 (any size). */
void agape_par_bcast(const agape_par *par, void *buf, size_t bytes);
/* Contiguous row blocks: rank r owns rows [lo, hi) of n (n r / P .. n (r+1) / P). */
void agape_par_rows(const agape_par *par, int64_t n, int rank, int64_t *lo, int64_t *hi);
/* x is n rows of width doubles; each rank has filled its own row block (agape_par_rows);
 * afterwards every rank holds all rows. Collective. */
void agape_par_allgather_rows(const agape_par *par, double *x, int64_t n, int64_t width);
/* As agape_par_allgather_rows with the row blocks given: rank r has filled rows
 * [start[r], start[r+1]) (start: size + 1 increasing entries). */
void agape_par_allgather_blocks(const agape_par *par, double *x, const int64_t *start, int64_t width);
/* Max / min of a scalar over ranks. */
double agape_par_max(const agape_par *par, double x);
double agape_par_min(const agape_par *par, double x);
double agape_par_wtime(void);
void agape_par_barrier(const agape_par *par);

/* Invert the replicated n x n complex matrix A (row-major) in place with ScaLAPACK
 * (pzgetrf + pzgetri, block size 16) on par's process grid; the result is replicated and
 * identical on every rank. AGAPE_ERR_NUMERIC if A is singular. Collective. */
agape_err agape_par_zinv(const agape_par *par, int n, _Complex double *A);

/* Block-cyclic distribution of an n x n matrix with block size nb on par's grid. */
agape_err agape_dist_create(const agape_par *par, int64_t n, int nb, agape_dist *d);
void agape_dist_destroy(agape_dist *d);

#endif
