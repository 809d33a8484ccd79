/* The static Kohn-Sham response chi0_GG'(q) of a plane-wave ground state (Adler-Wiser form)
 * and the occupation functions it needs. Pure kernels: arrays in, arrays out; no MPI, no I/O.
 *
 *   chi0_GG'(q) = (2 / (N_k Omega)) sum_k sum_nm  F_nm(k, q)  rho_nm(G)^* rho_nm(G')
 *   F_nm = (f_nk - f_mk+q) / (e_nk - e_mk+q),   or  -delta_sigma(e_nk - E_F)  when the two
 *          energies coincide (|e_n - e_m| < CHI0PW_DEGENERATE: intraband at q = 0, degeneracies),
 * with rho_nm(G) = <nk| e^{-i(q+G).r} |mk+q> (pairdens.h), the factor 2 for the two spins, N_k
 * k points, Omega the cell volume. Units: energies in eV, chi0 in 1/(eV bohr^3). */
#ifndef AGAPE_CHI0_PW_H
#define AGAPE_CHI0_PW_H
#include <complex.h>

#define CHI0PW_DEGENERATE 1e-9 /* eV: closer energies take the derivative of f */

/* Occupation functions of Quantum ESPRESSO's smearings, x = (E_F - e)/sigma:
 * kind 0 Gaussian, 1 Methfessel-Paxton (first order), 2 Marzari-Vanderbilt (cold),
 * 3 Fermi-Dirac. occ(x) in [0, 1] (MP and MV slightly outside it in the tails) and its
 * derivative delta(x) = d occ/dx (integral 1). */
enum { SMEAR_GAUSS = 0, SMEAR_MP = 1, SMEAR_MV = 2, SMEAR_FD = 3 };
double chi0pw_occ(int kind, double x);
double chi0pw_delta(int kind, double x);

/* The weight F_nm (1/eV) of a pair of states with energies en, em (eV) and occupations fn, fm,
 * smearing kind and width sigma (eV) around ef (eV). */
double chi0pw_weight(int kind, double sigma, double ef, double en, double fn, double em, double fm);

/* chi += sum_p w[p] conj(rho_p(G)) rho_p(G') over np pair densities rho[p*ng + G] (ng G
 * vectors): chi [ng*ng] row-major (G, G'); scr: ng*np complex scratch. */
void chi0pw_accumulate(int ng, int np, const double *w, const double complex *rho, double complex *scr,
                       double complex *chi);

/* The static RPA screened interaction of a metal, W = (v^-1 - chi0)^-1 (eV bohr^3), from
 * chi0 [ng*ng] (1/(eV bohr^3), Hermitian, negative semi-definite) and |q + G| qg[ng]
 * (bohr^-1), with v(q + G) = 4 pi e^2 / |q + G|^2 (e^2 = 27.211386245988 eV bohr) and
 * v^-1 = 0 where |q + G| = 0 (the q -> 0 limit of a metal: W = (1 - v chi0)^-1 v with v -> inf
 * on the head). v^-1 - chi0 is Hermitian positive definite for a metal (-chi0_00 > 0), and
 * is inverted by Cholesky (LAPACK zpotrf, zpotri). W [out, ng*ng] row-major. Returns 0, or
 * the LAPACK info (> 0: not positive definite, e.g. an insulator at q = 0). */
int chi0pw_screen(int ng, const double complex *chi0, const double *qg, double complex *W);

#endif
