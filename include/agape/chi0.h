/* Static independent-particle response chi0 of a tight-binding model on a regular k-grid
 * (docs/theory.md §5.3), and the electron-gas formulas the RPA tests compare with.  Node-local
 * numerics (kernels/chi0.c, kernels/chi0_jellium.c): no MPI, no I/O.
 *
 * Orbital-resolved response, spin factor 2, per cell (no 1/Omega_cell):
 *
 *   chi_{ab,cd}(q) = (2/N_k) sum_k sum_{n,m} U_an(k) U*_cn(k) U_dm(k+q) U*_bm(k+q)
 *                    [f(e_nk) - f(e_m,k+q)] / (e_nk - e_m,k+q)            (1/eV)
 *
 * so that a density vertex with on-site orbital form factors rho_ab(Q) gives
 * chi0_{GG'}(q) = (1/Omega_cell) sum_{abcd} rho_ab(q+G)^* chi_{ab,cd}(q) rho_cd(q+G')
 * (for one band and rho = 1: chi(q) = (2/N_k) sum_k [f(e_k) - f(e_k+q)]/(e_k - e_k+q)).
 *
 * Two routes:
 *   - chi0_direct: the double sum above, O(N_k^2 norb^4 nband^2), reference for small grids;
 *   - chi0_fft: the imaginary-time route (Rojas-Godby-Needs):
 *       chi_{ab,cd}(q) = 2 int_0^beta dtau sum_R e^{iqR} G_ac(R,tau) G^-_db(-R,tau),
 *       G_ab(k,tau) = -sum_n U_an e^{-e tau}(1-f) U*_bn,  G^-_ab(k,tau) = sum_n U_an e^{e tau} f U*_bn,
 *     O(N_tau norb^4 N_k log N_k), with FFTW3 (deterministic FFTW_ESTIMATE plans; threads if the
 *     caller enabled fftw_plan_with_nthreads).
 * Energies e are measured from the chemical potential, in eV; beta = 1/(k_B T) in 1/eV
 * (finite: the tau route needs T > 0). */
#ifndef AGAPE_CHI0_H
#define AGAPE_CHI0_H
#include <stdint.h>
#include <complex.h>

/* A model on an n1 x n2 x n3 grid (k index (i1*n2 + i2)*n3 + i3, k = (i1/n1, i2/n2, i3/n3)).
 *   e  [nk * nband] band energies, eV (from the chemical potential)
 *   U  [nk * norb * nband] eigenvectors, U[(k*norb + a)*nband + n]; NULL means norb = nband = 1
 *      and U = 1 (one band, no orbital structure) */
typedef struct {
  int n1, n2, n3;
  int norb, nband;
  const double *e;
  const double complex *U;
} chi0_bands;

/* Index of k + q on an n1 x n2 x n3 grid (periodic), for grid indices k and q. */
int64_t chi0_grid_add(int n1, int n2, int n3, int64_t k, int64_t q);

/* Imaginary-time quadrature for int_0^beta of products of e^{-|e| tau} and e^{-|e|(beta-tau)}
 * with |e| <= emax: Gauss-Legendre panels geometric in tau from tau0 = 1e-3/emax up to beta/2,
 * mirrored onto [beta/2, beta].  Returns the number of points (<= nmax), or -1.
 *   tau [out] points (1/eV), w [out] weights (1/eV). */
int chi0_tau_grid(double beta, double emax, int nmax, double *tau, double *w);

/* Reference double sum; chi [out] nk * norb^4 complex values, chi[(q*norb^4) + ((a*norb+b)*norb+c)*norb+d]. */
int chi0_direct(const chi0_bands *m, double beta, double complex *chi);

/* Imaginary-time FFT route: accumulates the tau points tau[it0 .. it1) into chi (same layout;
 * the caller zeroes chi first and may split the tau range over processes and add).
 * Returns 0, or -1 on allocation/plan failure. */
int chi0_fft(const chi0_bands *m, double beta, int ntau, const double *tau, const double *w, int it0, int it1,
             double complex *chi);

/* ---- electron gas (Hartree atomic units: energies in Ha, lengths in bohr) ----------------- */
double chi0_lindhard_F(double x); /* F(x) = 1/2 + (1 - x^2)/(4x) ln|(1+x)/(1-x)|, F(0) = 1 */
/* Thomas-Fermi and static-RPA mu = N(0)<W>_FS of the electron gas at density parameter rs;
 * F is the static Lindhard function used inside the RPA integral (chi0_lindhard_F for the
 * analytic one; a test may pass a numerically computed one). */
double chi0_jellium_mu_tf(double rs);
double chi0_jellium_mu_rpa(double rs, double (*F)(double x, void *ctx), void *ctx);

#endif
