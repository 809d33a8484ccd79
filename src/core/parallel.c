/* MPI and BLACS wrappers (see include/agape/parallel.h). Every MPI call of AGAPE's
 * driver-level code goes through this file. */
#include "agape/parallel.h"
#include <unistd.h>
#include <complex.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <omp.h>
#include <fftw3.h>

/* BLACS / ScaLAPACK prototypes (Debian ships no C header). */
extern void Cblacs_pinfo(int *mypnum, int *nprocs);
extern void Cblacs_get(int icontxt, int what, int *val);
extern void Cblacs_gridinit(int *icontxt, const char *order, int nprow, int npcol);
extern void Cblacs_gridinfo(int icontxt, int *nprow, int *npcol, int *myrow, int *mycol);
extern void Cblacs_gridexit(int icontxt);
extern void Cblacs_exit(int notdone);
extern int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
extern void openblas_set_num_threads(int n);
extern void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
                      const int *icsrc, const int *ictxt, const int *lld, int *info);
extern void pzgetrf_(const int *m, const int *n, double complex *a, const int *ia, const int *ja, const int *desca,
                     int *ipiv, int *info);
extern void pzgetri_(const int *n, double complex *a, const int *ia, const int *ja, const int *desca, const int *ipiv,
                     double complex *work, const int *lwork, int *iwork, const int *liwork, int *info);

agape_err agape_par_init(int *argc, char ***argv, agape_par *par)
{
  memset(par, 0, sizeof *par);
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return AGAPE_ERR_MPI;
  par->comm = MPI_COMM_WORLD;
  MPI_Comm_rank(par->comm, &par->rank);
  MPI_Comm_size(par->comm, &par->size);
  par->nthreads = omp_get_max_threads();
  /* AGAPE's own loops are threaded; its BLAS/LAPACK calls are small and must not spawn
   * a second set of threads that fights OpenMP */
  openblas_set_num_threads(1);
  /* the OpenMP build of OpenBLAS implements that with omp_set_num_threads(1), which would
   * also make every parallel region of AGAPE single-threaded: restore the team size */
  omp_set_num_threads(par->nthreads);
  /* FFTW (the RPA's chi0) uses the rank's OpenMP threads (libfftw3_omp) */
  if (fftw_init_threads()) fftw_plan_with_nthreads(par->nthreads);
  /* grid: the largest divisor of size not above sqrt(size) gives npcol, so that nprow >= npcol:
   * each rank tabulates the kernel rows it owns (assembly), and that work divides by nprow */
  int pc = (int)floor(sqrt((double)par->size));
  while (pc > 1 && par->size % pc) pc--;
  par->npcol = pc;
  par->nprow = par->size / pc;
  int me, np;
  Cblacs_pinfo(&me, &np);
  Cblacs_get(-1, 0, &par->ictxt);
  Cblacs_gridinit(&par->ictxt, "Row", par->nprow, par->npcol);
  int nr, nc;
  Cblacs_gridinfo(par->ictxt, &nr, &nc, &par->myrow, &par->mycol);
  return AGAPE_OK;
}

void agape_par_finalize(agape_par *par)
{
  Cblacs_gridexit(par->ictxt);
  Cblacs_exit(1);
  MPI_Finalize();
}

void agape_par_abort(const agape_par *par, int code) { MPI_Abort(par->comm, code); }

agape_err agape_par_agree(const agape_par *par, agape_err local)
{
  int l = (int)local, g = 0;
  MPI_Allreduce(&l, &g, 1, MPI_INT, MPI_MAX, par->comm);
  return (agape_err)g;
}

void agape_par_sum(const agape_par *par, double *x, int64_t n)
{
  if (par->size == 1) return;
  /* reduce to rank 0 then broadcast: the replicated result is bitwise identical on
   * every rank (an allreduce does not promise that). Chunked for int counts. */
  const int64_t chunk = 1 << 26;
  for (int64_t o = 0; o < n; o += chunk) {
    int c = (int)((n - o) < chunk ? (n - o) : chunk);
    if (par->rank == 0)
      MPI_Reduce(MPI_IN_PLACE, x + o, c, MPI_DOUBLE, MPI_SUM, 0, par->comm);
    else
      MPI_Reduce(x + o, NULL, c, MPI_DOUBLE, MPI_SUM, 0, par->comm);
    MPI_Bcast(x + o, c, MPI_DOUBLE, 0, par->comm);
  }
}

void agape_par_bcast(const agape_par *par, void *buf, size_t bytes)
{
  if (par->size == 1) return;
  const size_t chunk = (size_t)1 << 30;
  for (size_t o = 0; o < bytes; o += chunk) {
    int c = (int)((bytes - o) < chunk ? (bytes - o) : chunk);
    MPI_Bcast((char *)buf + o, c, MPI_BYTE, 0, par->comm);
  }
}

double agape_par_max(const agape_par *par, double x)
{
  double g;
  MPI_Allreduce(&x, &g, 1, MPI_DOUBLE, MPI_MAX, par->comm);
  return g;
}

double agape_par_min(const agape_par *par, double x)
{
  double g;
  MPI_Allreduce(&x, &g, 1, MPI_DOUBLE, MPI_MIN, par->comm);
  return g;
}

double agape_node_memory(void)
{
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (double)pages * (double)size : 0.0;
}

double agape_par_wtime(void) { return MPI_Wtime(); }
void agape_par_barrier(const agape_par *par) { MPI_Barrier(par->comm); }

agape_err agape_dist_create(const agape_par *par, int64_t n, int nb, agape_dist *d)
{
  memset(d, 0, sizeof *d);
  if (n > 2147483647LL) return AGAPE_ERR_INTERNAL;
  d->n = n;
  d->nb = nb;
  int ni = (int)n, zero = 0;
  d->mloc = numroc_(&ni, &nb, &par->myrow, &zero, &par->nprow);
  d->nloc = numroc_(&ni, &nb, &par->mycol, &zero, &par->npcol);
  d->grow = malloc(sizeof(int64_t) * (size_t)(d->mloc > 0 ? d->mloc : 1));
  d->gcol = malloc(sizeof(int64_t) * (size_t)(d->nloc > 0 ? d->nloc : 1));
  if (!d->grow || !d->gcol) {
    agape_dist_destroy(d);
    return AGAPE_ERR_NOMEM;
  }
  for (int64_t l = 0; l < d->mloc; l++)
    d->grow[l] = (l / nb) * (int64_t)nb * par->nprow + (int64_t)par->myrow * nb + l % nb;
  for (int64_t l = 0; l < d->nloc; l++)
    d->gcol[l] = (l / nb) * (int64_t)nb * par->npcol + (int64_t)par->mycol * nb + l % nb;
  /* ScaLAPACK descriptor of K (local storage is row-major: see parallel.h) */
  int lld = (int)(d->mloc > 1 ? d->mloc : 1), info = 0;
  descinit_(d->desc, &ni, &ni, &nb, &nb, &zero, &zero, &par->ictxt, &lld, &info);
  return info == 0 ? AGAPE_OK : AGAPE_ERR_MPI;
}

void agape_dist_destroy(agape_dist *d)
{
  free(d->grow);
  free(d->gcol);
  d->grow = d->gcol = NULL;
}

agape_err agape_par_zinv(const agape_par *par, int n, double complex *A)
{
  const int nb = 16, zero = 0, one = 1;
  int mloc = numroc_(&n, &nb, &par->myrow, &zero, &par->nprow);
  int nloc = numroc_(&n, &nb, &par->mycol, &zero, &par->npcol);
  int lld = mloc > 1 ? mloc : 1, info = 0, desc[9];
  descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &par->ictxt, &lld, &info);
  double complex *loc = malloc(sizeof(double complex) * (size_t)lld * (nloc > 0 ? nloc : 1));
  int *ipiv = malloc(sizeof(int) * (size_t)(mloc + nb));
  agape_err err = (info || !loc || !ipiv) ? AGAPE_ERR_NOMEM : AGAPE_OK;
  if ((err = agape_par_agree(par, err))) {
    free(loc);
    free(ipiv);
    return err;
  }
  /* local block, column-major: global (i, j) of local (li, lj) */
#define GLOB(l, p, np) (((l) / nb) * nb * (np) + (p)*nb + (l) % nb)
  for (int lj = 0; lj < nloc; lj++)
    for (int li = 0; li < mloc; li++)
      loc[(size_t)lj * lld + li] = A[(size_t)GLOB(li, par->myrow, par->nprow) * n + GLOB(lj, par->mycol, par->npcol)];
  pzgetrf_(&n, &n, loc, &one, &one, desc, ipiv, &info);
  if (info == 0) {
    int lwork = -1, liwork = -1, iq = 0;
    double complex wq = 0;
    pzgetri_(&n, loc, &one, &one, desc, ipiv, &wq, &lwork, &iq, &liwork, &info);
    lwork = (int)creal(wq) + 1;
    liwork = iq + 1;
    double complex *work = malloc(sizeof(double complex) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (work && iwork)
      pzgetri_(&n, loc, &one, &one, desc, ipiv, work, &lwork, iwork, &liwork, &info);
    else
      info = -1000;
    free(work);
    free(iwork);
  }
  /* every rank sees the same info (ScaLAPACK returns it on all ranks of the grid) */
  err = agape_par_agree(par, info == -1000 ? AGAPE_ERR_NOMEM : info != 0 ? AGAPE_ERR_NUMERIC : AGAPE_OK);
  if (!err) {
    /* gather: each entry is owned by one rank, the sum of zeros and it is exact */
    memset(A, 0, sizeof(double complex) * (size_t)n * n);
    for (int lj = 0; lj < nloc; lj++)
      for (int li = 0; li < mloc; li++)
        A[(size_t)GLOB(li, par->myrow, par->nprow) * n + GLOB(lj, par->mycol, par->npcol)] = loc[(size_t)lj * lld + li];
    agape_par_sum(par, (double *)A, 2 * (int64_t)n * n);
  }
#undef GLOB
  free(loc);
  free(ipiv);
  return err;
}

void agape_par_allgather_rows(const agape_par *par, double *x, int64_t n, int64_t width)
{
  if (par->size == 1) return;
  int *cnt = malloc(sizeof(int) * 2 * par->size), *dsp = cnt + par->size;
  for (int r = 0; r < par->size; r++) {
    int64_t lo, hi;
    agape_par_rows(par, n, r, &lo, &hi);
    cnt[r] = (int)((hi - lo) * width);
    dsp[r] = (int)(lo * width);
  }
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, cnt, dsp, MPI_DOUBLE, par->comm);
  free(cnt);
}

void agape_par_allgather_blocks(const agape_par *par, double *x, const int64_t *start, int64_t width)
{
  if (par->size == 1) return;
  int *cnt = malloc(sizeof(int) * 2 * par->size), *dsp = cnt + par->size;
  for (int r = 0; r < par->size; r++) {
    cnt[r] = (int)((start[r + 1] - start[r]) * width);
    dsp[r] = (int)(start[r] * width);
  }
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, cnt, dsp, MPI_DOUBLE, par->comm);
  free(cnt);
}

void agape_par_rows(const agape_par *par, int64_t n, int rank, int64_t *lo, int64_t *hi)
{
  *lo = n * rank / par->size;
  *hi = n * (rank + 1) / par->size;
}
