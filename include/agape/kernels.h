/* SCDFT pair kernels (docs/theory.md §3): node-local numerics, no MPI, no I/O.
 *
 * Conventions (stated once for all of kernels/):
 *   - energies xi, xi', Omega share one unit (AGAPE uses eV); beta = 1/(k_B T) in 1/unit.
 *   - beta = INFINITY selects the T = 0 closed forms.
 *   - kernels are even in xi and xi'; only |xi| enters. 1/tanh factors are those of
 *     docs/theory.md §3 (the gap equation multiplies by tanh(beta E'/2)/E' separately).
 *   - Phonon kernels 𝒦 (K) are negative (attractive); the Z kernels 𝒵 are negative,
 *     and Z_s = - sum_{s'} w_{s'} sum_nu |g|^2 𝒵.
 *
 * Two layers:
 *   1. Reference twins (kref_*): scalar, straightforward, from (beta, xi, xi', Omega).
 *      They never change; tests compare the optimised layer against them.
 *   2. Optimised tables (kern_tab_*): everything that depends on one energy or one mode at
 *      a given temperature (tanh values, Fermi factors, ...) is precomputed once, O(n*nmodes),
 *      so that a pair evaluation is arithmetic only. Row functions evaluate one row i against
 *      a list of columns j, summing over modes with per-pair mode weights a[b][c].
 */
#ifndef AGAPE_KERNELS_H
#define AGAPE_KERNELS_H
#include <stdint.h>

typedef enum { KERN_LMG = 0, KERN_SPG = 1 } kern_functional;

/* SPG constants gamma1, gamma2, gamma3 (docs/theory.md §3.3); defaults 1.33, 3.8, 1.33. */
typedef struct {
  double g1, g2, g3;
} kern_spg_gammas;

/* ---- reference twins -------------------------------------------------------------- */
double kref_lmg_K(double beta, double xi, double xip, double omega); /* 𝒦^LMG, 1/energy */
double kref_lmg_Z(double beta, double xi, double xip, double omega); /* 𝒵^LMG (J form), 1/energy^2 */
double kref_spg_K(double beta, double xi, double xip, double omega, kern_spg_gammas g); /* 𝒦^SPG */
double kref_spg_Z(double beta, double xi, double xip, double omega);                    /* 𝒵^{∂I}, 1/energy^2 */

/* Brute-force Matsubara double sums (docs/theory.md §3.7) truncated at |n|,|n'| <= nmax,
 * for tests only (finite beta).  The truncated set is the symmetric one, n = -nmax .. nmax-1,
 * i.e. the 2 nmax fermionic frequencies with |omega_n| < 2 pi nmax / beta; the relative
 * truncation error falls as nmax^-3 (test_kernels.c estimates it from two nmax). */
double kmats_lmg_K(double beta, double xi, double xip, double omega, int nmax);
double kmats_spg_K(double beta, double xi, double xip, double omega, kern_spg_gammas g, int nmax);
double kmats_dI_Z(double beta, double xi, double xip, double omega, int nmax);

/* ---- optimised tables -------------------------------------------------------------- */
typedef struct kern_tab kern_tab;

/* Build the per-temperature table.
 *   functional  [in] KERN_LMG or KERN_SPG (selects both K and Z forms)
 *   beta        [in] 1/(k_B T), 1/eV; INFINITY for T = 0
 *   n           [in] number of states (global)
 *   xi_row      [in] n energies used when the state is the row (first) argument, eV
 *   xi_col      [in] n energies used when the state is the column (second) argument, eV
 *                    (equal to xi_row except for SPG's nonlinear E^gamma, docs/theory.md §3.3)
 *   nmodes      [in] number of phonon frequencies
 *   omega       [in] nmodes frequencies, eV (> 0)
 *   gam         [in] SPG constants (ignored for LMG)
 *   out         [out] the table; free with kern_tab_destroy
 * Returns 0 on success, -1 on allocation failure (or invalid arguments, see below). */
int kern_tab_create(kern_functional functional, double beta, int64_t n, const double *xi_row, const double *xi_col,
                    int nmodes, const double *omega, kern_spg_gammas gam, kern_tab **out);
void kern_tab_destroy(kern_tab **t);

/* As kern_tab_create, but the per-row data (the O(nrows * nmodes) part, 14 doubles per row and
 * mode for LMG, 17 for SPG) is built only for the global rows rows[0..nrows-1]; the row
 * functions may then be called only for those rows (others give zeros).  Columns are always
 * all n states (87 doubles each, mostly Taylor coefficients for near-singular pairs).
 * rows == NULL means all rows (nrows is then ignored).
 * Returns 0 on success, -1 on allocation failure or invalid arguments (beta <= 0, an
 * omega <= 0, a row index outside [0, n)). */
int kern_tab_create_rows(kern_functional functional, double beta, int64_t n, const double *xi_row, const double *xi_col,
                         int nmodes, const double *omega, kern_spg_gammas gam, int64_t nrows, const int64_t *rows,
                         kern_tab **out);

/* As kern_tab_create_rows with separate row and column spaces: rows are global indices into
 * xi_row[0..n), columns are the ncol energies xi_col[0..ncol) (for example the nodes of a
 * kern_cgrid).  kern_tab_create_rows(..., n, xi_row, xi_col, ...) is this with ncol = n. */
int kern_tab_create_rc(kern_functional functional, double beta, int64_t n, const double *xi_row, int64_t ncol,
                       const double *xi_col, int nmodes, const double *omega, kern_spg_gammas gam, int64_t nrows,
                       const int64_t *rows, kern_tab **out);

/* The row functions only read the table: several threads may call them concurrently on the
 * same table (the caller threads over rows; no OpenMP region is opened inside).  Per pair
 * they do arithmetic only; results agree with the reference twins to ~5e-13 relative.
 *
 * Phonon kernel row:  out[c] = sum_b a[b*lda + c] * 𝒦(xi_row[i], xi_col[j[c]], omega[b])
 *   i    [in] global row index;  nc [in] number of columns;  j [in] nc global column indices
 *   a    [in] nmodes x nc mode weights (|g|^2, eV^2), mode-major with leading dimension lda
 *   out  [out] nc values, eV (|g|^2 x 1/energy) */
void kern_K_row(const kern_tab *t, int64_t i, int nc, const int64_t *j, const double *a, int lda, double *out);

/* Z row sum:  returns sum_c wcol[c] * sum_b a[b*lda + c] * 𝒵(xi_row[i], xi_col[j[c]], omega[b])
 * (dimensionless after the weights; Z_s is minus the sum over all columns). */
double kern_Z_row(const kern_tab *t, int64_t i, int nc, const int64_t *j, const double *a, int lda, const double *wcol);

/* Per-mode rows (unit weights): out[b*ldo + c] = 𝒦 or 𝒵 (xi_row[i], xi_col[j[c]], omega[b]),
 * b = 0..nmodes-1, c = 0..nc-1 (1/eV and 1/eV^2).  Used to tabulate a row on the nodes of a
 * column grid. */
void kern_K_row_modes(const kern_tab *t, int64_t i, int nc, const int64_t *j, double *out, int64_t ldo);
void kern_Z_row_modes(const kern_tab *t, int64_t i, int nc, const int64_t *j, double *out, int64_t ldo);

/* ---- column interpolation (kernels/kern_interp.c) -----------------------------------------
 * For one row and one temperature a kernel is an analytic function of the column energy
 * |xi'| with singularities only on the imaginary axis (T > 0) or at |xi'| <= -Omega_min
 * (T = 0).  A row is therefore tabulated once on the nodes of a panel grid (Chebyshev points,
 * KERN_CI_NP per panel: a first panel [0, a0], a0 = min(pi k_B T, Omega_min)/4, then geometric
 * panels of ratio 1.25 up to umax) with the exact row functions above, and each pair is one
 * KERN_CI_NP-point Lagrange interpolation per mode: a handful of multiply-adds instead of the
 * full closed form.  Measured error against the exact tables: see test_kernels.c (below 1e-10
 * relative, far below the float storage of K, 6e-8). */
#define KERN_CI_NP 8
typedef struct kern_cgrid kern_cgrid;

/* beta [in] 1/eV (INFINITY for T = 0); omega_min [in] lowest mode frequency, eV (> 0);
 * umax [in] largest |column energy| to cover, eV.  Returns 0, or -1 on bad arguments/memory. */
int kern_cgrid_create(double beta, double omega_min, double umax, kern_cgrid **out);
void kern_cgrid_destroy(kern_cgrid **g);
int kern_cgrid_nnodes(const kern_cgrid *g);          /* nodes (= panels x KERN_CI_NP) */
const double *kern_cgrid_nodes(const kern_cgrid *g); /* node energies, eV */
double kern_cgrid_umax(const kern_cgrid *g);         /* upper edge of the grid, eV */

/* Interpolation data of n column energies u (|u| is used): node offset off[k] of the panel
 * holding |u[k]| and its KERN_CI_NP Lagrange weights L[k*KERN_CI_NP + q].  Returns how many
 * |u[k]| lie outside the grid (or are NaN); those are extrapolated from the last panel. */
int64_t kern_cgrid_locate(const kern_cgrid *g, int64_t n, const double *u, int32_t *off, double *L);

/* Interpolated K row: out[c] = sum_b a[b*lda + c] sum_q L[j_c][q] tab[b*ldt + off[j_c] + q]
 * with tab the row tabulated by kern_K_row_modes on the grid nodes (ldt >= nnodes). */
void kern_ci_K_row(int nmodes, const double *tab, int64_t ldt, const int32_t *off, const double *L, int nc,
                   const int64_t *j, const double *a, int lda, double *out);
/* Interpolated Z row sum: sum_c wcol[c] (same interpolated value from a kern_Z_row_modes table). */
double kern_ci_Z_row(int nmodes, const double *tab, int64_t ldt, const int32_t *off, const double *L, int nc,
                     const int64_t *j, const double *a, int lda, const double *wcol);

/* ---- separable pair operator (kernels/kern_sep.c) -----------------------------------------
 * For couplings that are finite sums of products, a_b(s, s') = sum over the entries e of mode b
 * of coef_e phi_{r_e}(s) phi_{rp_e}(s'), and a kernel interpolated on one kern_cgrid in both
 * energies (rows |xi_s|, columns |u_s'|; node tables T_b(i, j) = kern(node_i, node_j, omega_b)),
 *   y_s = sum_s' sum_b a_b(s, s') kern(xi_s, u_s', omega_b) v_s'
 *       = sum_r phi_r(s) sum_q Lrow_q(s) Q[r][p(s) NP + q],
 *   Q[r][i] = sum_{e: r_e = r} coef_e sum_j T_b(i, j) B[rp_e][j],
 *   B[r][j] = sum_{s'} phi_r(s') Lcol_j(s') v_s'
 * (Lcol_j: the Lagrange weight of node j for the state's column energy, zero outside its
 * panel). Work O(N nfun NP) for B and y, and O(nnodes^2) per column function and mode for Q,
 * instead of O(N^2 nmodes): the N x N kernel is never formed. NP = KERN_CI_NP. */

/* part[r NP + q] = sum_{s < m} phi[k_s nfun + r] L[s NP + q] v[s]   (overwrites part, nfun x NP):
 * the contribution of m states of one column panel to B; k_s = idx[s] (idx NULL: k_s = s). */
void kern_sep_partial(int nfun, int m, const double *phi, const int64_t *idx, const double *L, const double *v,
                      double *part);

/* y[s] = sum_r phi[k_s nfun + r] sum_q L[s NP + q] Q[r ldq + q], s < m: m rows of one row panel,
 * Q pointing at that panel's first node (Q + p NP of the nfun x ldq array); k_s as above. */
void kern_sep_rows(int nfun, int m, const double *phi, const int64_t *idx, const double *L, const double *Q,
                   int64_t ldq, double *y);

/* One mode's part of Q for the row nodes i0 <= i < i1:
 *   Q[r nn + i] += coef_e sum_j T[i nn + j] B[rp_e nn + j] over the nent entries e (r_e = r).
 * T: nn x nn node table of the mode (row-major); B, Q: nfun x nn.  One dgemm per block of blk
 * row nodes from i0 (the last one shorter if i1 says so): callers that need the same bits
 * from different ranges use blocks on a fixed grid.  Returns 0, or -1 when out of memory.
 * Single-threaded; deterministic. */
int kern_sep_mode(int nn, const double *T, int i0, int i1, int blk, int nfun, const double *B, int nent, const int *r,
                  const int *rp, const double *coef, double *Q);

#endif
