/* EPW data on its full meshes, for states at any k: part of the material stage
 * (deck -> material -> ...), used by the EPW source for Monte-Carlo states
 * ([sampling] states = montecarlo, docs/epw.md, docs/theory.md §6.7).
 *
 * EPW writes its fine-grid eigenvalues and couplings only for the irreducible k points of
 * the Fermi shell (mp_mesh_k), and its couplings g^2_{nm,nu}(k, q) for those k and every
 * selected q of the full fine q mesh. This module
 *  - reads the crystal of crystal.fmt (lattice, positions, species) and finds its point
 *    group with spglib; the operations on reciprocal crystal coordinates are M = W^T of the
 *    real-space rotations W, and -M (time reversal);
 *  - unfolds the irreducible points onto the full k mesh: for every full-mesh point that
 *    ikmap assigns to a representative k_r, the first operation (in a fixed order) with
 *    M k_r = k (mod 1); a point no operation reaches is an error (the crystal does not
 *    belong to the data, or its symmetry was not found);
 *  - holds the band energies on the full mesh (EPW's where known, a smooth continuation
 *    beyond the Fermi shell elsewhere, agape_epw_full_bands) and interpolates them
 *    trilinearly;
 *  - interpolates the couplings of a pair of states (k, n), (k', m) trilinearly in k on the
 *    k mesh and in q = k' - k on the q mesh, using g^2(M k_r, d) = g^2(k_r, M^-1 d) and
 *    only the corner pairs where both bands are inside EPW's window (their weights
 *    renormalised); the phonon frequencies omega_nu(q) likewise on the q mesh.
 * Node-local: no MPI, no I/O beyond crystal.fmt. */
#ifndef AGAPE_EPW_MESH_H
#define AGAPE_EPW_MESH_H
#include "agape/symmetry.h"
#include <stdint.h>
#include "agape/error.h"
#include "agape/epw.h"

#define AGAPE_EPW_MAXOPS     AGAPE_MAXOPS /* 48 point operations and time reversal */
#define AGAPE_EPW_OUT_MARGIN 1.001        /* continued energies: |xi| >= this x fsthick */
#define AGAPE_EPW_SWEEPS     500          /* smoothing sweeps of the continuation */

/* EPW's band energies xi = e - E_F (eV) on the full fine k mesh, band-major: xi[b * nkt + k]
 * for the nbndfst bands of egnv and the nkt points of the mesh in ikmap's order (the caller's
 * array). A point of the Fermi shell (ikmap names a representative) carries egnv's energies
 * of its representative, every band, inside EPW's window or not. EPW writes nothing for the
 * other points; each band there gets the discrete harmonic continuation of the shell's
 * energies (started from the nearest shell point, breadth-first over the periodic mesh with
 * 6 neighbours, then up to AGAPE_EPW_SWEEPS Gauss-Seidel sweeps with the shell values fixed),
 * moved to at least AGAPE_EPW_OUT_MARGIN x fsthick from E_F with its sign: such a point is
 * known to lie outside the window, and the continuation keeps the bands smooth for
 * interpolation and drawing. Without any shell point every energy is 2 x that margin. */
agape_err agape_epw_full_bands(const agape_epw *e, double *xi);


/* Find crystal.fmt beside the .ephmat folder dir (EPW's run folder), else inside it, and read
 * it (destroy with agape_crystal_destroy). Returns AGAPE_OK, AGAPE_ERR_IO when there is none
 * (no message; c->path the last place looked), or AGAPE_ERR_FORMAT with a message that names
 * the file and what is wrong. */
agape_err agape_epw_crystal_read(const char *dir, agape_crystal *c);

typedef struct {
  int nk[3];
  int64_t nkt; /* full fine k mesh (k fastest, as ikmap) */
  int nq[3];
  int64_t nqt;                  /* full fine q mesh */
  int nb, nm;                   /* bands of egnv, phonon modes */
  double window;                /* EPW's fsthick, eV */
  int nop;                      /* operations on reciprocal crystal coordinates */
  int op[AGAPE_EPW_MAXOPS][9];  /* M (row-major), k' = M k */
  int inv[AGAPE_EPW_MAXOPS][9]; /* M^-1 */
  int32_t *k_rep;               /* [nkt] Fermi-shell index of the point's representative, -1 outside */
  int32_t *k_op;                /* [nkt] operation with k = M k_rep (mod 1), -1 outside */
  double *xi;                   /* [nkt*nb] e - E_F on the full mesh, eV (point-major) */
  int32_t *q_sel;               /* [nqt] selected-q index of each full q point, -1 if not selected */
  int32_t *q_img;               /* [nop*nqt] full q index of M^-1 d */
  double *q_om;                 /* [nqt*nm] phonon frequencies, eV (0 where not selected) */
  int64_t *qptr;                /* [ns*(totq+1)] couplings of window state s at selected q iq: entries
                     qptr[s*(totq+1)+iq] .. qptr[s*(totq+1)+iq+1]-1 of its CSR row */
} agape_epw_mesh;

/* Build the mesh data of e with the crystal c (its symmetry, checked against ikmap and both
 * meshes). Errors name crystal.fmt and the first point or operation that fails. */
agape_err agape_epw_mesh_create(const agape_epw *e, const agape_crystal *c, agape_epw_mesh *g);
void agape_epw_mesh_destroy(agape_epw_mesh *g);

/* xi[nb] (eV) of every band at k (crystal coordinates), trilinear on the full k mesh */
void agape_epw_mesh_bands(const agape_epw_mesh *g, const double k[3], double *xi);

/* doubles of a row table (agape_epw_mesh_row) */
size_t agape_epw_mesh_row_size(const agape_epw_mesh *g);

/* The couplings of state (k, band) towards every q-mesh point d and band m, trilinear in k:
 * row[((d*nb + m)*(nm+1) + nu] = sum_c w_c a_c g^2_nu (Ry^2, as EPW stores it) and
 * row[(d*nb + m)*(nm+1) + nm] = sum_c w_c a_c, over the 8 k-mesh corners c (weights w_c), where
 * a_c = 1 if band at c and band m at c + d are both in EPW's window, else 0. */
void agape_epw_mesh_row(const agape_epw_mesh *g, const agape_epw *e, const double k[3], int band, double *row);

/* g2[nm] (Ry^2) and omega[nm] (eV) between the row state at kr (its table row) and the
 * state (kc, band m): trilinear in q = kc - kr over the q-mesh corners d,
 * g2 = sum_d w_d row_d,nu / sum_d w_d a_d (0 if no corner pair is in the window), omega =
 * the selected corners' frequencies, their weights renormalised. Returns the corner weight
 * sum_d w_d a_d (0: no coupling). */
double agape_epw_mesh_pair(const agape_epw_mesh *g, const double *row, const double kr[3], const double kc[3], int m,
                           double *g2, double *omega);

#endif
