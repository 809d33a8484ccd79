/* FermiSurfer files (.frmsf): the superconducting gap painted on the Fermi surface, one file
 * per temperature, gap_T<TTT.TT>K.frmsf beside results.h5. Part of the output stage
 * (... -> solve -> output); rank 0 only, no MPI.
 *
 * The format (FermiSurfer's documentation, "Input file"), text, one number or vector a line:
 *   nk1 nk2 nk3                  grid points along b1, b2, b3
 *   1                            grid switch 1: k_ijl = (i/nk1) b1 + (j/nk2) b2 + (l/nk3) b3,
 *                                i = 0..nk1-1 etc. (Gamma-centred, unshifted)
 *   nbnd
 *   b1, b2, b3                   reciprocal lattice vectors, Cartesian, any unit
 *   nbnd*nk1*nk2*nk3 energies    band slowest, then i, j, and l fastest
 *   nbnd*nk1*nk2*nk3 values      the same order
 * FermiSurfer draws the zero isosurface of the energies of each band and colours it by the
 * values, interpolated linearly between grid points. AGAPE writes xi = e - E_F (eV) and the
 * gap in meV: Delta_s(i omega_0) of the Eliashberg solver, Delta_s of SCDFT.
 *
 * Grid layout in memory (agape_frmsf_grid): the file's order, index
 *   ((b * nk1 + i) * nk2 + j) * nk3 + l,
 * which for EPW data is EPW's full-grid index (ikmap, k fastest) plus b * nk1 nk2 nk3.
 *
 * Sources:
 *  EPW data   the fine k grid of egnv. A grid point takes the bands of its irreducible
 *             representative (ikmap): each window state (|xi| < fsthick) carries its xi and its
 *             own gap, exactly; a band outside the window carries its energy, written at least
 *             0.1% outside the window, and gap 0; a point whose representative is outside the
 *             Fermi shell has no energies in the files: each band gets the continuation of
 *             the material stage (agape_epw_full_bands, epw_mesh.h), outside the window with
 *             its sign, and gap 0. Reciprocal vectors: EPW's bg from
 *             crystal.fmt (units 2 pi/alat) beside the .ephmat folder (or inside it), else the
 *             identity, with a note.
 *  XB12 model a regular simple-cubic grid of AGAPE_FRMSF_MODEL_GRID^3 points, energies from
 *             xb12_bands; b_i = (2 pi/a) e_i in 1/Angstrom. A grid point next to the Fermi
 *             surface (some neighbour of the 3x3x3 block around it, same band, has xi of the
 *             other sign) carries the gap on the Fermi surface next to it, at its foot point kf
 *             (Newton steps along the band's gradient to xi = 0), because SCDFT's Delta_s also
 *             varies with xi_s and FermiSurfer blends the two grid values on either side of the
 *             surface. The gap at kf is a local linear regression (LOESS) over the K =
 *             AGAPE_FRMSF_NEIGHBOURS nearest Monte-Carlo states of the same band (crystal
 *             coordinates, nearest periodic image) among those on the Fermi surface as AGAPE's
 *             Fermi-surface averages and histograms define it (|xi_s| < 6 sigma, sigma =
 *             [sampling] fs_smearing_meV), with tricube weights of bandwidth h = 1.1 x the
 *             distance of the K-th state times exp(-(xi_s/sigma)^2): it reproduces any gap linear in k
 *             exactly, so its error is O(h^2 |d2 Delta/dk2|). Where the linear fit would
 *             amplify (sum of |coefficients| > AGAPE_FRMSF_MAX_LEBESGUE) the weighted mean of
 *             the same states is used. Other grid points get gap 0.
 * The interpolation is linear in the gaps: its coefficients (agape_frmsf_stencil) are found
 * once and applied at every temperature. */
#ifndef AGAPE_FRMSF_H
#define AGAPE_FRMSF_H
#include <stdint.h>
#include <stddef.h>
#include "agape/error.h"

#define AGAPE_FRMSF_MODEL_GRID   32  /* grid points per axis for the XB12 model */
#define AGAPE_FRMSF_NEIGHBOURS   24  /* Monte-Carlo states per interpolated grid point */
#define AGAPE_FRMSF_MAX_LEBESGUE 3.0 /* largest sum |coefficients| accepted for the linear fit */

typedef struct {
  int nk[3];          /* grid points along b1, b2, b3 */
  int nbnd;           /* bands */
  double bvec[9];     /* b1, b2, b3 (rows), Cartesian, any unit (see above) */
  int bvec_from_file; /* EPW: 1 if bvec is crystal.fmt's bg, 0 if the identity */
  double *eig;        /* [nbnd*nk1*nk2*nk3] xi = e - E_F, eV (layout above) */
  double *val;        /* [nbnd*nk1*nk2*nk3] value painted on the surface, meV */
} agape_frmsf_grid;

/* Interpolation coefficients of the model path: value[at[p]] = sum_j coef[p*K+j] delta[idx[p*K+j]]. */
typedef struct {
  int64_t npts;  /* grid entries that get a value (next to the Fermi surface) */
  int K;         /* states per entry */
  int64_t *at;   /* [npts] index into the grid arrays */
  int64_t *idx;  /* [npts*K] state indices (0-based, < n of the states given) */
  double *coef;  /* [npts*K] coefficients, sum 1 per entry */
  double *h;     /* [npts] bandwidth, crystal units (1 = a reciprocal vector) */
  double *kf;    /* [npts*3] where the fit is evaluated: the entry's foot point on the
                         Fermi surface, crystal coordinates in [0,1) */
  int64_t nmean; /* entries that fell back to the weighted mean */
  int64_t nfoot; /* entries evaluated at the grid point (no foot point found) */
} agape_frmsf_stencil;

void agape_frmsf_grid_free(agape_frmsf_grid *g);
void agape_frmsf_stencil_free(agape_frmsf_stencil *s);

/* Write g as a FermiSurfer file at path, under a temporary name in the same folder, renamed
 * when complete (the file is complete or absent). Energies and values with 10 significant
 * digits. Serial. */
agape_err agape_frmsf_write(const char *path, const agape_frmsf_grid *g);

/* grid points of g (nk1 nk2 nk3) */
int64_t agape_frmsf_npts(const agape_frmsf_grid *g);
/* Allocate eig and val (zeroed) of a grid whose nk and nbnd are set. */
agape_err agape_frmsf_grid_alloc(agape_frmsf_grid *g);

/* One file per temperature, gap_T<TTT.TT>K.frmsf in the folder of results_path (written into
 * dir[cap]); fill(ctx, it, g) sets g->val of temperature it before each file. */
typedef void (*agape_frmsf_fill_fn)(void *ctx, int it, agape_frmsf_grid *g);
agape_err agape_frmsf_write_temps(const char *results_path, agape_frmsf_grid *g, int ntemps, const double *temps,
                                  agape_frmsf_fill_fn fill, void *ctx, char *dir, size_t cap);
/* "gap_T<first>K.frmsf .. gap_T<last>K.frmsf" (or the one name) into out, for messages. */
void agape_frmsf_names(int ntemps, const double *temps, char *out, size_t cap);

/* Band energies xi[nbnd] (eV from E_F) at k (crystal coordinates), e.g. xb12_bands. */
typedef void (*agape_frmsf_bands_fn)(const void *ctx, const double k[3], double *xi);

/* Grid of n^3 points with the energies bands(ctx, k) at k = (i/n, j/n, l/n) of nbnd bands,
 * reciprocal vectors bvec (rows), values 0. */
agape_err agape_frmsf_bands_grid(int n, int nbnd, const double bvec[9], agape_frmsf_bands_fn bands, const void *ctx,
                                 agape_frmsf_grid *g);

/* Interpolation coefficients from n states (k[n*3] crystal coordinates, band[n]; states with
 * band < 0 or >= g->nbnd are ignored; with energies xi[n] (eV), only the states with
 * |xi| < 6 sigma, weighted by exp(-(xi/sigma)^2)) onto the grid entries of g next to the
 * Fermi surface,
 * each evaluated at its foot point on the Fermi surface of its band (Newton steps of bands
 * along the gradient; bands NULL: at the grid point). Deterministic for any thread count
 * (each entry is computed on its own).
 *   bands, ctx [in] the band energies of the grid (ctx is passed through) or NULL */
agape_err agape_frmsf_stencil_create(const agape_frmsf_grid *g, int64_t n, const double *k, const int *band,
                                     const double *xi, double sigma, agape_frmsf_bands_fn bands, const void *ctx,
                                     agape_frmsf_stencil *s);
/* g->val = 0, then the interpolated value of delta (per state, meV) at every stencil entry. */
void agape_frmsf_stencil_apply(const agape_frmsf_stencil *s, const double *delta, agape_frmsf_grid *g);

/* The files of a run from n_mc states with k of a source with bands: the grid of
 * agape_frmsf_bands_grid (ngrid^3 points), each entry next to the Fermi surface interpolated
 * from the states k[n_mc*3], band[n_mc], xi[n_mc] (eV) by the stencil above (sigma: the
 * Fermi-surface width, eV); delta_meV + it*ld is temperature it's gap of the states (its first
 * n_mc entries). Prints what it wrote. Rank 0. */
agape_err agape_frmsf_write_bands(const char *results_path, int ngrid, int nbnd, const double bvec[9],
                                  agape_frmsf_bands_fn bands, const void *ctx, int64_t n_mc, const double *k,
                                  const int *band, const double *xi, double sigma, int ntemps, const double *temps,
                                  const double *delta_meV, int64_t ld);

#endif
