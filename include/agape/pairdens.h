/* Pair densities of plane-wave Bloch states, the building block of the static RPA on
 * Kohn-Sham wavefunctions (docs/qe.md). Pure kernels: arrays in, arrays out; no MPI, no I/O.
 *
 * Conventions: psi_nk(r) = Omega^-1/2 sum_G c_nk(G) e^{i(k+G).r} with sum_G |c|^2 = 1 (Quantum
 * ESPRESSO's), G = m1 b1 + m2 b2 + m3 b3 by Miller indices m. For k' = k + q - g0 (k + q folded
 * back by the reciprocal vector g0, Miller indices),
 *   rho_nm(G) = <psi_nk| e^{-i(q+G).r} |psi_mk'>  (the Bloch factor of k' continued to k + q)
 *             = sum_G1 conj(c_nk(G1)) c_mk'(G1 + G + g0),
 * so rho_nn(0) = 1 at q = 0. Two routes: pd_rho (both states on a real-space FFT grid, their
 * product transformed; exact for every G with no alias, i.e. when the grid holds G plus the
 * spread of both states' Miller indices) and its twin pd_rho_direct (the G-space sum). */
#ifndef AGAPE_PAIRDENS_H
#define AGAPE_PAIRDENS_H
#include <complex.h>

typedef struct pd_grid pd_grid;

/* An FFT grid nr[3] with its plans and scratch; NULL when out of memory. */
pd_grid *pd_create(const int nr[3]);
void pd_destroy(pd_grid **g);

/* u[j] = sum_G c(G) e^{2 pi i (m - g0).j / nr} on the grid (row-major, nr[2] fastest) from the
 * npw coefficients c at Miller indices mill[3*npw]: the Bloch factor of the state at
 * k' = k + q - g0 continued to k + q (g0 NULL: 0). Returns 0, or -1 when a shifted index does
 * not fit the grid (|m - g0| >= nr/2 on an axis). */
int pd_real(pd_grid *g, int npw, const int *mill, const int *g0, const double complex *c, double complex *u);

/* rho[i] = pair density at the Miller indices gl[3*i] (i < ng) of the two states given on the
 * grid by pd_real: un (state n, conjugated) and um (state m, with its g0). */
void pd_rho(pd_grid *g, const double complex *un, const double complex *um, int ng, const int *gl, double complex *rho);

/* The same from the coefficients (the G-space sum), O(ng npw_n). */
void pd_rho_direct(int npw_n, const int *mill_n, const double complex *cn, int npw_m, const int *mill_m,
                   const double complex *cm, const int *g0, int ng, const int *gl, double complex *rho);

/* All pair densities of nbn states of k and nbm states of k' at once by the G-space sum, as
 * one matrix product per G (BLAS zgemm): cn[b*npw_n + i] and cm[b*npw_m + i] are the
 * coefficients of band b (as pw.x stores them), and
 *   rho[(n + m*nbn)*ng + i] = rho_nm(gl_i),   n < nbn, m < nbm,
 * the same numbers as pd_rho_direct, in O(ng npw_n nbn nbm) operations at BLAS speed: for the
 * hundreds of band pairs of a (k, q) this is faster than an FFT per pair (docs/qe.md, measured).
 * Returns 0, or -1 when out of memory. */
int pd_rho_block(int npw_n, const int *mill_n, int nbn, const double complex *cn, int npw_m, const int *mill_m, int nbm,
                 const double complex *cm, const int *g0, int ng, const int *gl, double complex *rho);

#endif
