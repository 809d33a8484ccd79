/* Built-in XB12 superatomic-crystal model (CsB12, LaB12): tight-binding bands near E_F,
 * fixed-frequency phonon modes and k-dependent |g|^2. Part of the "material" stage:
 * deck -> material -> sampling. Pure functions: no MPI, no I/O.
 *
 * Conventions: k in crystal (reduced) coordinates of the simple-cubic Brillouin zone,
 * any real value (periodic with period 1 in each component); energies in eV measured
 * from the model's Fermi level; DOS per spin per cell per eV; |g|^2 in eV^2, normalised
 * so that sums over states are per-cell averages (docs/theory.md §1):
 *   lambda = (2/N(0)) sum_{s,s'} sum_nu |g^nu_{ss'}|^2 / omega_nu delta(xi_s) delta(xi_s').
 */
#ifndef AGAPE_MODEL_XB12_H
#define AGAPE_MODEL_XB12_H
#include <stdint.h>

typedef struct xb12_model xb12_model;

/* name: "CsB12" or "LaB12" (case-insensitive). Returns 0, or -1 for an unknown name or
 * allocation failure. The Fermi level is fixed by the model's band filling at creation. */
int xb12_create(const char *name, xb12_model **out);
void xb12_destroy(xb12_model **m);

const char *xb12_name(const xb12_model *m);
int xb12_nbands(const xb12_model *m); /* tight-binding bands sampled by Monte Carlo */
/* xi[nbands] = band energies at k, eV from E_F */
void xb12_bands(const xb12_model *m, const double k[3], double *xi);
/* [lo, hi]: energy range of the tight-binding manifold, eV from E_F (lo < 0 < hi) */
void xb12_band_range(const xb12_model *m, double *lo, double *hi);
/* DOS of the remote bands (not in the tight-binding manifold), states/eV/spin/cell.
 * Zero inside [lo, hi]; these energies are represented on AGAPE's isotropic energy grid. */
double xb12_background_dos(const xb12_model *m, double xi);
/* Lattice constant, Angstrom (for documentation and output). */
double xb12_lattice_A(const xb12_model *m);

int xb12_nmodes(const xb12_model *m);          /* fixed phonon frequencies ("modes") */
const double *xb12_omega(const xb12_model *m); /* nmodes frequencies, eV */

/* Per-state features, computed once per sampled state, so that the pair coupling is
 * arithmetic only (no transcendental functions per pair). */
int xb12_nfeat(const xb12_model *m);
void xb12_features(const xb12_model *m, const double k[3], int band, double *feat);

/* Pair couplings for row i against columns j[0..nc):
 *   feat [in] N x nfeat features of all states, row-major (state-major)
 *   g2   [out] nmodes x nc, mode-major with leading dimension nc: |g^nu_{i,j[c]}|^2, eV^2 */
void xb12_g2_row(const xb12_model *m, const double *feat, int64_t i, int nc, const int64_t *j, double *g2);

/* Separable form of the pair couplings, exact up to round-off (for operators that never form
 * the N x N kernel):
 *   |g^b_{ss'}|^2 = sum over the entries e with mode[e] = b of coef[e] phi_{r[e]}(s) phi_{rp[e]}(s')
 * with xb12_sep_nfun functions phi_r of one state (products of cos/sin 2 pi n.k, |n_i| <= 3,
 * and of two orbital components u_a u_b), from its features. coef in eV^2. */
int xb12_sep_nfun(const xb12_model *m);
int xb12_sep_nent(const xb12_model *m);
/* mode, r, rp [out] nent indices; coef [out] nent coefficients, eV^2 */
void xb12_sep_entries(const xb12_model *m, int *mode, int *r, int *rp, double *coef);
/* phi [out] the nfun functions of the state with features feat (xb12_features) */
void xb12_sep_phi(const xb12_model *m, const double *feat, double *phi);

/* Independent check of the model's coupling on a uniform k-grid (ngrid^3 points per band,
 * Gaussian delta of width sigma eV). Returns N(0) (per spin, 1/eV) and fills
 * a2f[nmodes] = spectral weight of each mode, int over the mode's delta of alpha^2F(omega)
 * d omega (eV), so lambda = 2 sum_b a2f[b]/omega[b]. Cost O(ngrid^6): for small grids. */
double xb12_a2f_grid(const xb12_model *m, int ngrid, double sigma, double *a2f);

/* ---- additions (documentation, tests, cross-checks) ---------------------------------- */

/* Electrons per cell (both spins) in the tight-binding manifold: 5 (CsB12), 1 (LaB12). */
double xb12_filling(const xb12_model *m);
/* Fermi level on the tight-binding energy scale (eV), from the filling at creation. */
double xb12_fermi_level(const xb12_model *m);
/* N(0) of the manifold from linear tetrahedra at creation, states/eV/spin/cell. */
double xb12_dos0(const xb12_model *m);
/* Orbital-basis Hamiltonian H[9] (row-major 3x3, eV from E_F); orbital a = 0,1,2 is the
 * t2-like orbital normal to axis a (yz, zx, xy). Its eigenvalues are xb12_bands. */
void xb12_hamiltonian(const xb12_model *m, const double k[3], double *H);
/* [emin, emax]: energies (eV from E_F) outside which xb12_background_dos is zero. */
void xb12_background_range(const xb12_model *m, double *emin, double *emax);
/* Short description of mode b (static storage). */
const char *xb12_mode_name(const xb12_model *m, int b);
/* Calibrated coupling prefactor G_b of mode b, eV^2 (docs/model_xb12.md). */
double xb12_mode_prefactor(const xb12_model *m, int b);
/* Reference twin of xb12_g2_row: |g^nu|^2 (eV^2, g2[nmodes]) between state (k, n) and
 * state (kp, np), evaluated directly from the k-points (slow; for tests). */
void xb12_g2_ref(const xb12_model *m, const double k[3], int n, const double kp[3], int np, double *g2);

#endif
