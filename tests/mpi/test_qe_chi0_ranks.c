/* chi0_GG'(q) of the Quantum ESPRESSO fixture tests/data/al-qe/al-full.save computed over the
 * ranks (src/coulomb/qe_chi0.c: k points in fixed blocks, blocks added in order) against the
 * same computation on one rank, run on 1, 2 and 4 ranks by ctest (label mpi): the same bits
 * for any rank count, at three q of the 3^3 grid (q = 0, a point on an axis, a general one).
 * Then W = (v^-1 - chi0)^-1 inverted with ScaLAPACK on the process grid (agape_par_zinv)
 * against the serial Cholesky inverse (chi0pw_screen): within 1e-12 of the largest element
 * (two factorisations of a well-conditioned Hermitian matrix differ by round-off). And
 * mu = N(0) <W>_FS over the ranks: the one-rank value bit for bit. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/parallel.h"
#include "agape/qe_chi0.h"
#include "agape/chi0_pw.h"

#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  check_quiet(par.rank != 0); /* every rank checks its copy; rank 0 prints */
  agape_qe_save s;
  agape_err err = agape_qe_save_read(AGAPE_TEST_DATA "/al-qe/al-full.save", &s);
  if (!check(agape_par_agree(&par, err) == AGAPE_OK, "every rank reads al-full.save")) {
    agape_par_finalize(&par);
    return check_summary();
  }
  const int qs[3][3] = {{0, 0, 0}, {1, 0, 0}, {1, 2, 1}};
  for (int t = 0; t < 3; t++) {
    agape_qe_chi0 a, b;
    agape_err e1 = agape_qe_chi0_compute(&par, &s, qs[t], 2.0, 1000.0, &a);
    agape_err e2 = agape_qe_chi0_compute(NULL, &s, qs[t], 2.0, 1000.0, &b);
    if (!check(e1 == AGAPE_OK && e2 == AGAPE_OK, "q = (%d %d %d)/3: chi0 on %d rank(s) and on one", qs[t][0], qs[t][1],
               qs[t][2], par.size))
      continue;
    const int n = a.ng;
    check(n == b.ng && !memcmp(a.chi, b.chi, sizeof(double complex) * n * n),
          "q = (%d %d %d)/3: chi0 (%d G) on %d rank(s) is the one-rank result bit for bit", qs[t][0], qs[t][1],
          qs[t][2], n, par.size);
    double complex *W = malloc(sizeof(double complex) * n * n), *A = malloc(sizeof(double complex) * n * n);
    int info = chi0pw_screen(n, b.chi, b.qg, W);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        A[i * n + j] =
          -b.chi[i * n + j] + (i == j && b.qg[i] > 0 ? b.qg[i] * b.qg[i] / (4 * M_PI * AGAPE_HARTREE_EV) : 0.0);
    agape_err ez = agape_par_zinv(&par, n, A);
    double d = 0, mx = 0;
    for (int i = 0; i < n * n; i++) mx = fmax(mx, cabs(W[i])), d = fmax(d, cabs(A[i] - W[i]));
    check(info == 0 && ez == AGAPE_OK, "q = (%d %d %d)/3: W serial (Cholesky) and on the %d x %d grid (ScaLAPACK)",
          qs[t][0], qs[t][1], qs[t][2], par.nprow, par.npcol);
    check_le(d, 1e-12 * mx, "q = (%d %d %d)/3: max |W_scalapack - W_serial| <= 1e-12 max |W| (%.3f eV bohr^3)",
             qs[t][0], qs[t][1], qs[t][2], mx);
    free(W);
    free(A);
    agape_qe_chi0_destroy(&a);
    agape_qe_chi0_destroy(&b);
  }
  /* mu over the ranks against one rank */
  agape_qe_mu m1, mn;
  agape_err e1 = agape_qe_mu_compute(&par, &s, 2.0, 1000.0, 0.3, 24, 0, &mn);
  agape_err e2 = agape_qe_mu_compute(NULL, &s, 2.0, 1000.0, 0.3, 24, 0, &m1);
  check(e1 == AGAPE_OK && e2 == AGAPE_OK && !memcmp(&m1.mu, &mn.mu, sizeof m1.mu) &&
          !memcmp(&m1.w_fs, &mn.w_fs, sizeof m1.w_fs),
        "mu = %.12f on %d rank(s) is the one-rank value bit for bit (%.12f)", mn.mu, par.size, m1.mu);
  check(e1 == AGAPE_OK && e2 == AGAPE_OK && mn.ne == 24 && !memcmp(m1.w, mn.w, sizeof(double) * 24 * 24),
        "W(xi, xi') (24 x 24 bins) on %d rank(s) is the one-rank table bit for bit", par.size);
  agape_qe_mu_destroy(&m1);
  agape_qe_mu_destroy(&mn);
  agape_qe_save_destroy(&s);
  agape_par_finalize(&par);
  return check_summary(); /* mpirun fails when any rank does */
}
