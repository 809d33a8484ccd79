/* ScaLAPACK inversion (agape_par_zinv) against a serial LAPACK inverse, run on 1, 2 and 4
 * ranks by ctest (label mpi).  The matrices are dielectric-like: 1 - v chi with a Hermitian
 * negative chi and a decaying v, sizes that do and do not fill the 16 x 16 blocks. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/parallel.h"
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void zgesv_(const int *n, const int *nrhs, double complex *a, const int *lda, int *ipiv, double complex *b,
                   const int *ldb, int *info);

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  check_quiet(par.rank != 0); /* every rank checks its copy; rank 0 prints */
  const int sizes[3] = {1, 37, 70};
  for (int t = 0; t < 3; t++) {
    const int n = sizes[t];
    double complex *A = malloc(sizeof(double complex) * n * n), *B = malloc(sizeof(double complex) * n * n);
    double complex *Ac = malloc(sizeof(double complex) * n * n), *X = malloc(sizeof(double complex) * n * n);
    int *ipiv = malloc(sizeof(int) * n);
    /* deterministic content, the same on every rank */
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double complex chi = -(0.3 / (1 + abs(i - j))) * cexp(I * 0.1 * (i - j)) - (i == j) * 0.5;
        double v = 2.0 / (1 + 0.2 * i);
        A[i * n + j] = (i == j) - v * chi;
      }
    memcpy(B, A, sizeof(double complex) * n * n);
    /* serial reference: solve A X = I (column-major copy) */
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        Ac[j * n + i] = A[i * n + j];
        X[j * n + i] = (i == j);
      }
    int info = 0;
    zgesv_(&n, &n, Ac, &n, ipiv, X, &n, &info);
    agape_err err = agape_par_zinv(&par, n, B);
    double worst = 0, mx = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        mx = fmax(mx, cabs(X[j * n + i]));
        worst = fmax(worst, cabs(B[i * n + j] - X[j * n + i]));
      }
    check(info == 0 && err == AGAPE_OK, "n = %d: LAPACK zgesv info %d, agape_par_zinv %d", n, info, (int)err);
    check_le(worst, 1e-13 * mx,
             "n = %d on %d rank(s) (%d x %d grid): max |inv_scalapack - inv_lapack| <= 1e-13 max|inv| (%.3f)", n,
             par.size, par.nprow, par.npcol, mx);
    free(A);
    free(B);
    free(Ac);
    free(X);
    free(ipiv);
  }
  /* a singular matrix is reported, on every rank, without a hang */
  double complex Z[4] = {1, 2, 2, 4};
  agape_err err = agape_par_zinv(&par, 2, Z);
  check_int(err, AGAPE_ERR_NUMERIC, "a singular matrix gives AGAPE_ERR_NUMERIC on every rank");
  agape_par_finalize(&par);
  return check_summary(); /* mpirun fails when any rank does */
}
