/* Pair densities of plane-wave Bloch states (kernels/pairdens.c) on the Quantum ESPRESSO
 * fixture tests/data/al-qe (fcc Al, 8 bands, read by src/material/qe_save.c):
 *  1. rho_nm(G = 0) = delta_nm at the same k (the bands are orthonormal), to 1e-12;
 *  2. the real-space route (both states on QE's own dense FFT grid, 12^3 here, their product
 *     transformed) equals the G-space sum for every pair of the 8 bands, at the same k and
 *     between two k points, at the 125 G with Miller indices |m_i| <= 2: QE's dense grid
 *     (ecutrho = 4 ecutwfc) holds every difference of two wavefunction G vectors, so the product
 *     has no alias and the two routes differ by round-off only (bound 1e-12, the values are
 *     O(1));
 *  3. rho_mn(-G) = conj(rho_nm(G)) at the same k, to 1e-12;
 *  4. the matrix-product route (pd_rho_block: all band pairs of two k points at once, one zgemm
 *     per G) equals the G-space sum for every pair, at the same k and between the two k points,
 *     and with a shift g0 = (1, 0, -1) (k' = k + q - g0): bound 1e-12;
 *  5. a shift g0 that takes the coefficients off the grid is refused.
 * The time of both routes per pair is printed (not asserted: benchmarks/ records timings). */
#include "../check.h"
#include "agape/qe_save.h"
#include "agape/pairdens.h"
#include <time.h>

#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void)
{
  agape_qe_save s;
  if (!check(agape_qe_save_read(AGAPE_TEST_DATA "/al-qe/al.save", &s) == AGAPE_OK, "read the fixture"))
    return check_summary();
  agape_qe_wfc w1, w2;
  if (!check(agape_qe_wfc_read(&s, 1, &w1) == AGAPE_OK && agape_qe_wfc_read(&s, 2, &w2) == AGAPE_OK,
             "read wfc1.dat and wfc2.dat"))
    return check_summary();
  int gl[125 * 3], ng = 0, g_of_minus[125];
  for (int i = -2; i <= 2; i++)
    for (int j = -2; j <= 2; j++)
      for (int l = -2; l <= 2; l++) gl[3 * ng] = i, gl[3 * ng + 1] = j, gl[3 * ng + 2] = l, ng++;
  for (int a = 0; a < ng; a++) g_of_minus[a] = ng - 1 - a; /* the list is symmetric: -G at the mirror index */
  const int nb = s.nbnd;
  pd_grid *g = pd_create(s.nr);
  const size_t np = (size_t)s.nr[0] * s.nr[1] * s.nr[2];
  double complex *u1 = malloc(sizeof(double complex) * np * nb), *u2 = malloc(sizeof(double complex) * np * nb);
  double complex *rf = malloc(sizeof(double complex) * ng), *rd = malloc(sizeof(double complex) * ng);
  double complex *same = malloc(sizeof(double complex) * (size_t)nb * nb * ng);
  if (!check(g && u1 && u2 && rf && rd && same, "grid %d x %d x %d and arrays", s.nr[0], s.nr[1], s.nr[2]))
    return check_summary();
  int ok = 1;
  for (int b = 0; b < nb; b++) {
    ok &= pd_real(g, w1.npw, w1.mill, NULL, w1.evc + (size_t)b * w1.npw, u1 + b * np) == 0;
    ok &= pd_real(g, w2.npw, w2.mill, NULL, w2.evc + (size_t)b * w2.npw, u2 + b * np) == 0;
  }
  check(ok, "every band of k points 1 and 2 fits QE's dense grid");
  double d0 = 0, dfd = 0, dh = 0, tf = 0, td = 0;
  int npairs = 0;
  for (int pass = 0; pass < 2; pass++) { /* the same k (1, 1), then two k points (1, 2) */
    const agape_qe_wfc *wm = pass ? &w2 : &w1;
    const double complex *um = pass ? u2 : u1;
    for (int n = 0; n < nb; n++)
      for (int m = 0; m < nb; m++) {
        double t0 = now();
        pd_rho(g, u1 + n * np, um + m * np, ng, gl, rf);
        double t1 = now();
        pd_rho_direct(w1.npw, w1.mill, w1.evc + (size_t)n * w1.npw, wm->npw, wm->mill, wm->evc + (size_t)m * wm->npw,
                      NULL, ng, gl, rd);
        double t2 = now();
        tf += t1 - t0, td += t2 - t1, npairs++;
        for (int a = 0; a < ng; a++) dfd = fmax(dfd, cabs(rf[a] - rd[a]));
        if (!pass) {
          d0 = fmax(d0, cabs(rd[ng / 2] - (n == m))); /* G = 0 is the middle of the list */
          memcpy(same + ((size_t)n * nb + m) * ng, rf, sizeof(double complex) * ng);
        }
      }
  }
  for (int n = 0; n < nb; n++)
    for (int m = 0; m < nb; m++)
      for (int a = 0; a < ng; a++)
        dh =
          fmax(dh, cabs(same[((size_t)m * nb + n) * ng + g_of_minus[a]] - conj(same[((size_t)n * nb + m) * ng + a])));
  check_le(d0, 1e-12, "rho_nm(G = 0) = delta_nm at the same k: max error");
  check_le(dfd, 1e-12, "FFT route = G-space sum, %d pairs x %d G (same k and two k points): max |difference|", npairs,
           ng);
  check_le(dh, 1e-12, "rho_mn(-G) = conj(rho_nm(G)) at the same k: max error");
  printf("time per pair (%d G): FFT route %.2f us (grid %zu points), G-space sum %.2f us (%d plane waves)\n", ng,
         1e6 * tf / npairs, np, 1e6 * td / npairs, w1.npw);
  /* 4. all pairs at once by matrix products, plain and with a shift g0 */
  {
    double complex *rb = malloc(sizeof(double complex) * (size_t)nb * nb * ng);
    double db = 0, tb = 0;
    int nblock = 0;
    const int shift[3] = {1, 0, -1};
    for (int pass = 0; pass < 3 && rb; pass++) {
      const agape_qe_wfc *wm = pass ? &w2 : &w1;
      const int *g0 = pass == 2 ? shift : NULL;
      double t0 = now();
      int rc = pd_rho_block(w1.npw, w1.mill, nb, w1.evc, wm->npw, wm->mill, nb, wm->evc, g0, ng, gl, rb);
      tb += now() - t0, nblock++;
      db = rc ? INFINITY : db;
      for (int n = 0; n < nb && !rc; n++)
        for (int m = 0; m < nb; m++) {
          pd_rho_direct(w1.npw, w1.mill, w1.evc + (size_t)n * w1.npw, wm->npw, wm->mill, wm->evc + (size_t)m * wm->npw,
                        g0, ng, gl, rd);
          for (int a = 0; a < ng; a++) db = fmax(db, cabs(rb[((size_t)n + (size_t)m * nb) * ng + a] - rd[a]));
        }
    }
    check(rb != NULL, "memory for the block route");
    check_le(db, 1e-12, "matrix-product route = G-space sum, all %d x %d pairs (same k, two k points, g0 = (1 0 -1))",
             nb, nb);
    printf("time per pair (%d G): matrix-product route %.2f us (%d x %d pairs at once)\n", ng,
           1e6 * tb / (nblock * nb * nb), nb, nb);
    free(rb);
  }
  int far[3] = {s.nr[0], 0, 0};
  check(pd_real(g, w1.npw, w1.mill, far, w1.evc, u1) == -1, "a shift that leaves the grid is refused");
  free(u1);
  free(u2);
  free(rf);
  free(rd);
  free(same);
  pd_destroy(&g);
  agape_qe_wfc_destroy(&w1);
  agape_qe_wfc_destroy(&w2);
  agape_qe_save_destroy(&s);
  return check_summary();
}
