/* Static RPA screening on a set of reciprocal-lattice vectors G (docs/theory.md §5.3-5.6):
 * orbital form factors, chi0_{GG'}(q) from the orbital-resolved chi of chi0.h, the bare
 * Coulomb interaction and the screened W_{GG'}(q).  Node-local numerics (kernels/rpa.c):
 * no MPI, no I/O; the distributed inversion lives in src/.
 *
 * Units: lengths in Angstrom, wave vectors in 1/Angstrom, energies in eV.
 *   v(Q)        = 4 pi e^2 / |Q|^2, e^2 = 14.399645 eV Angstrom           (eV Angstrom^3)
 *   chi0_{GG'}  per volume                                                 (1/(eV Angstrom^3))
 *   W_{GG'}     = [eps^-1]_{GG'} v(q+G'),  eps = 1 - v chi0                (eV Angstrom^3)
 * The pair interaction between Bloch states is (1/Omega_cell) sum M* W M (eV; docs/theory.md §5.6). */
#ifndef AGAPE_RPA_H
#define AGAPE_RPA_H
#include <complex.h>

#define RPA_E2 14.399645 /* e^2 / (4 pi eps0), eV Angstrom */

/* Form factors rho_ab(Q) = int phi_a(r) phi_b(r) e^{iQ.r} d^3r of the model's three t2-like
 * cluster orbitals a = 0, 1, 2 ~ yz, zx, xy, each a normalised Gaussian d-type function
 * (yz) exp(-r^2 / (2 sigma^2)) of radius sigma (Angstrom):
 *   rho_aa(Q) = (1 - s Q_b^2/2)(1 - s Q_c^2/2) e^{-s Q^2/4}          ({a,b,c} = {x,y,z}, s = sigma^2)
 *   rho_ab(Q) = -(s/2) Q_a Q_b (1 - s Q_c^2/2) e^{-s Q^2/4}           (a != b)
 * Real, symmetric, even in Q; rho_ab(0) = delta_ab.  rho[a*3 + b]. */
void rpa_formfactor_t2(double sigma, const double Q[3], double rho[9]);

/* chi0_{GG'}(q) = (1/Omega) sum_{abcd} chi_{cb,ad}(q) rho_ad(q+G) rho_bc(q+G') for real
 * even form factors (chi of chi0.h, per cell, 1/eV).
 *   chi_q [in] norb^4 values of one q;  rho [in] ng x norb^2 form factors at q+G
 *   omega_cell [in] Angstrom^3;  out [out] ng x ng, row-major */
void rpa_chi0_GG(int norb, const double complex *chi_q, int ng, const double *rho, double omega_cell,
                 double complex *out);

/* The screened interaction for one q without distribution (reference for the ScaLAPACK path
 * and small G sets): W = (1 - v chi0)^-1 v, with v = diag(vG).
 *   chi [in] ng x ng chi0_{GG'};  vG [in] ng bare v(q+G);  W [out] ng x ng.
 * Returns 0, or the LAPACK info (singular eps). */
int rpa_screen_serial(int ng, const double complex *chi, const double *vG, double complex *W);

/* Average of the Thomas-Fermi screened interaction 4 pi e^2 / (q^2 + k_TF^2) over the
 * parallelepiped of q-space around Gamma that one point of a regular n1 x n2 x n3 grid
 * represents (b [in] 3 reciprocal vectors, 1/Angstrom, row b[i*3 + x]); the q = 0 head of W
 * without 1/q^2 (docs/theory.md §5.5).  k_TF^2 = 4 pi e^2 (2 N(0)) / Omega (N(0) per spin, 1/eV). */
double rpa_w_head_tf(double ktf2, const double b[9], int n1, int n2, int n3);

/* The W(xi, xi') table from its sums: the means of an ne x ne table of sums wsum and counts
 * wcnt over energy-bin pairs (w has the unit of wsum: eV for W); a bin pair without counts takes the
 * mean of the nearest pair with counts (Euclidean distance in bin units, the first in row-major
 * order on a tie). w [out] ne*ne, row-major. Returns 0, or -1 when every pair is empty. */
int rpa_w_table_fill(int ne, const double *wsum, const double *wcnt, double *w);

#endif
