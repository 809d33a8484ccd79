/* Migdal-Eliashberg numerics on the imaginary axis (docs/theory.md §8): pure node-local
 * functions (kernels/eliash.c), arrays in and arrays out, no MPI, no I/O.
 *
 * Conventions. Energies in eV, temperatures as k_B T in eV. Positive Matsubara frequencies
 * omega_n = (2n+1) pi T, n = 0..N-1, with N = nsiw(wscut, T) as EPW counts them. A phonon
 * spectrum is a list of nph frequencies om[p] (eV) with weights a[p] = the integral of
 * alpha^2F over that line (eV), so that lambda = 2 sum_p a[p]/om[p]. The coupling at the
 * bosonic frequency 2 pi T d is
 *     lambda(d) = sum_p 2 a[p] om[p] / (om[p]^2 + (2 pi T d)^2),   d = 0, 1, ...
 * Only n >= 0 is kept (the gap is even in omega_n): the kernels are K+- = lambda(n-n') +- lambda(n+n'+1).
 * The sum over n' of K- for the "1" in omega'/sqrt(omega'^2 + Delta'^2) is taken to infinity
 * exactly: sum_{n'>=0} K-(n,n') = lambda(0) + 2 sum_{k=1..n} lambda(k), so Z is not truncated
 * at the cut-off (EPW truncates it). */
#ifndef AGAPE_ELIASH_H
#define AGAPE_ELIASH_H
#include "agape/error.h"

/* EPW's count of positive Matsubara frequencies below wscut: int(0.5 (wscut/(pi T) - 1)) + 1.
 * wscut, T: eV. */
int eli_nsiw(double wscut, double T);

/* lambda(d) for d = 0..nd-1 at temperature T (eV) from the spectrum (om, a). */
void eli_lambda_d(int nph, const double *om, const double *a, double T, int nd, double *lam);

/* sum_{n'>=0} K-(n, n') for n = 0..n-1: lambda(0) + 2 sum_{k=1..n} lambda(k). lam has >= n
 * entries; out [n]. */
void eli_normal_sum(int n, const double *lam, double *out);
/* The same sum cut at the n frequencies below the cutoff, as epw.x forms Z:
 * out[i] = sum_{j<n} [lambda(|i-j|) - lambda(i+j+1)]. lam has >= 2n entries; out [n]. */
void eli_normal_sum_cut(int n, const double *lam, double *out);

/* One evaluation of the isotropic Eliashberg map (docs/theory.md §8.1):
 *   Z_n     = 1 + [nsum_n - sum_{n'} K-(n,n') (1 - w'/sqrt(w'^2 + D'^2))] / (2n+1)
 *   D_n     = (pi T / Z_n) sum_{n'} [K+(n,n') - 2 mustar] D'/sqrt(w'^2 + D'^2)
 *   n [in] frequencies; lam [in] lambda(0..2n-1); nsum [in] eli_normal_sum; T [in] eV;
 *   delta [in] D_n (eV); dout [out] new D_n (eV); z [out] Z_n (NULL: not returned). */
void eli_iso_map(int n, const double *lam, const double *nsum, double mustar, double T, const double *delta,
                 double *dout, double *z);

/* Leading eigenvalue rho of the linearised isotropic equation (Delta -> 0):
 *   rho Z0_n Delta_n = sum_{n'} [K+(n,n') - 2 mustar] Delta_{n'} / (2n'+1),
 * solved in the symmetric form p B p with p_n = 1/sqrt((2n+1) Z0_n). Tc is where rho = 1.
 * vec [out, n] the eigenvector Delta_n (NULL: not returned), normalised to max 1.
 * AGAPE_ERR_NOMEM / AGAPE_ERR_NUMERIC on failure. */
agape_err eli_iso_rho(int n, const double *lam, const double *nsum, double mustar, double *rho, double *vec);

/* alpha^2F on the grid w[0..nw) (eV) from the spectrum, each line a Gaussian of width sigma
 * (eV): exp(-((w - om)/sigma)^2)/(sqrt(pi) sigma) (EPW's a2F with degaussq). out [nw], 1/1. */
void eli_a2f_gauss(int nph, const double *om, const double *a, double sigma, int nw, const double *w, double *out);

/* Moments of alpha^2F tabulated on the uniform grid w_i = i dw, i = 1..nw (EPW's sums):
 * lambda = 2 sum a2f/w dw, omega_log = exp[(2/lambda) sum a2f ln(w)/w dw],
 * omega_2 = [(2/lambda) sum a2f w dw]^(1/2) (unit of w). */
void eli_a2f_moments(int nw, double dw, const double *a2f, double *lambda, double *omega_log, double *omega_2);

/* Allen-Dynes Tc with the strong-coupling and shape factors f1 f2 (docs/theory.md §8.7);
 * omega_log and omega_2 in K give K. 0 when the exponent's denominator is <= 0. */
double eli_tc_allen_dynes(double lambda, double omega_log, double omega_2, double mustar);

#endif
