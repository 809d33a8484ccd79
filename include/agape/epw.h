/* EPW electron-phonon data: the files EPW writes for its Eliashberg solver
 * (<outdir>/<prefix>.ephmat/: egnv, freq, ikmap, ephmat1..ephmatP; selecq.fmt beside the
 * folder). Part of the material stage (deck -> material -> ...), for [material] source = epw.
 *
 * Two containers are read and told apart from the bytes alone:
 *   EPW 5.3-5.7  Fortran sequential unformatted: every record framed by int32 byte counts;
 *   EPW >= 5.8   stream access: the same items with no record markers.
 * Little-endian int32 / float64 as gfortran writes them on x86-64 and ARM; a byte-swapped
 * file is recognised and refused. Every size is checked against the file's size before it
 * is read, so a truncated, padded or foreign file is an error that names the file.
 *
 * The states are EPW's Fermi-shell states (irreducible k, band) with |e - E_F| < fsthick,
 * in file order (k, then band). The couplings are kept as EPW's list of (k, q, mode, band,
 * band') values, grouped by the row state s = (k, n) in CSR form; each entry points at its
 * column state s' = (rep(k+q), m) and at its phonon (q, mode). Energies in eV (the files are
 * in Ry; the Ry values are kept too, so that a folder written back is the same bytes), the DOS
 * per spin in states/eV/cell, exactly as EPW's reader converts them. Entries of modes with omega <= eps_acustic are dropped as EPW drops them. */
#ifndef AGAPE_EPW_H
#define AGAPE_EPW_H
#include <stdint.h>
#include "agape/error.h"
#include "agape/units.h"
#include "agape/parallel.h"
#include "agape/frmsf.h"

#define AGAPE_EPW_G2_EV2 (AGAPE_RY_EV * AGAPE_RY_EV) /* Ry^2 -> eV^2 */
/* Plausibility bounds of EPW data: N(E_F) per spin (states/eV/cell) and the coupling |g|^2
 * (Ry^2; EPW stores |g|^2/(2 omega); real couplings are below 1e-2 Ry^2, about 2 eV^2) */
#define AGAPE_EPW_DOS_MAX    1000.0
#define AGAPE_EPW_G2_MAX_RY2 1.0
#define AGAPE_EPW_PATH       1100 /* room for a deck path (AGAPE_PATH_MAX) plus a file name */

typedef enum { AGAPE_EPW_SEQUENTIAL = 0, AGAPE_EPW_STREAM = 1 } agape_epw_format;

typedef struct agape_epw_s {
  agape_epw_format format;
  int npool;    /* ephmat files of the writing run */
  int *pool_nk; /* [npool] Fermi-shell k points of each file (contiguous, in order) */
  /* electrons (egnv, ikmap) */
  int nkftot, nkf[3]; /* fine k mesh (nkftot: irreducible points of it) */
  int nkfs;           /* irreducible k points in the Fermi shell */
  int nbndfst;        /* bands per k in egnv */
  double ef;          /* Fermi level of the fine grid, eV */
  double dosef;       /* N(E_F) per spin, states/eV/cell */
  double degaussw;    /* electron Gaussian width, eV */
  double fsthick;     /* Fermi window half-width, eV */
  double *wkfs;       /* [nkfs] k weights, sum 2 over all irreducible k (spin included) */
  double *xkfs;       /* [nkfs*3] crystal coordinates in [0,1) */
  double *ekfs;       /* [nkfs*nbndfst] eigenvalues, eV */
  int *ixkff;         /* [nkf0*nkf1*nkf2] 1-based Fermi-shell index of each full-grid
                               k point's representative, 0 outside the shell (k fastest) */
  /* phonons (freq, selecq.fmt) */
  int nqtotf, nqf[3]; /* fine q mesh */
  int nmodes;
  int totq;           /* selected q points (those with couplings in the window) */
  int *iqsel;         /* [totq] 0-based full-grid index of each selected q */
  double *xqf;        /* [totq*3] crystal coordinates */
  double *wf;         /* [totq*nmodes] phonon frequencies, eV */
  double eps_acustic; /* modes at or below this frequency carry no coupling, eV */
  /* window states */
  int ns;
  int *s_k;      /* [ns] Fermi-shell k index (0-based) */
  int *s_band;   /* [ns] band index within egnv's bands (0-based) */
  double *s_xi;  /* [ns] e - E_F, eV */
  double *s_wk;  /* [ns] BZ weight per spin = wkfs/2 (sum over all k and bands of
                               a band's states -> 1 per band) */
  double *s_w0g; /* [ns] Gaussian delta(xi) of width degaussw, 1/eV */
  /* couplings, CSR by row state; entries of row s are row_ptr[s] .. row_ptr[s+1]-1 */
  int64_t nnz;
  int64_t *row_ptr; /* [ns+1] */
  int32_t *col;     /* [nnz] column state s' */
  int32_t *ph;      /* [nnz] phonon index iq*nmodes + mode (into wf) */
  double *g2;       /* [nnz] |g|^2 as EPW stores it (including 1/(2 omega)), in the
                               file's unit Ry^2: multiply by AGAPE_EPW_G2_EV2 for eV^2 */
  /* k+q structure (independent of the modes): for each row k and selected q, the
   * Fermi-shell index of rep(k+q), -1 outside the shell; [nkfs*totq] */
  int32_t *ixkqf;
  /* as read (the window test is made in the files' unit, as EPW's writer makes it) */
  double ef_ry, fsthick_ry, dosef_ry, degaussw_ry;
  double *ekfs_ry; /* [nkfs*nbndfst] Ry */
  double *wf_ry;   /* [totq*nmodes] Ry */
  int32_t *s_of;   /* [nkfs*nbndfst] window state of (k, band), -1 outside */
  int32_t *ibz_fs; /* stream files: [nkftot] Fermi-shell index (1-based, 0 outside) of
                               each irreducible k of egnv; NULL otherwise (reader only) */
} agape_epw;

/* Read the folder dir (path to prefix.ephmat). selecq.fmt, when present beside the folder
 * or inside it, is cross-checked with the q points of freq. eps_acustic_cm: EPW's
 * eps_acustic, cm^-1. Serial (rank 0); errors name the file and what is wrong. */
agape_err agape_epw_read(const char *dir, double eps_acustic_cm, agape_epw *e);
void agape_epw_destroy(agape_epw *e);

/* Write the data of e as an EPW folder in the given container (tests and conversions):
 * dir/egnv, ikmap, freq, ephmat1..npool (ephmat for one pool), selecq.fmt inside the folder,
 * and for the stream container npool. freq lists the selected q (the EPW 5.3-5.8 listing).
 * The values of dropped acoustic entries are written as 0. In the stream container, where
 * egnv lists every irreducible k, the k points outside the Fermi shell (which e does not hold)
 * become one placeholder entry with their total weight, so nkftot reads back as nkfs + 1.
 * A sequential folder written from a sequential one read with nothing dropped is the same
 * bytes. Serial. */
agape_err agape_epw_write(const char *dir, const agape_epw *e, agape_epw_format fmt);

/* FermiSurfer files on EPW's full fine grid (frmsf.h for the format and the treatment of the
 * points and bands outside the Fermi window). bvec: crystal.fmt's bg (rows; read by
 * agape_epw_crystal_read, epw_mesh.h), or NULL for the identity (with a note naming epw_dir);
 * delta_meV + it*ld: the window states' gaps of temperature it (its first e->ns entries).
 * Rank 0. */
agape_err agape_epw_frmsf_grid(const agape_epw *e, const double *bvec, agape_frmsf_grid *g);
void agape_epw_frmsf_values(const agape_epw *e, const double *delta_meV, agape_frmsf_grid *g);
agape_err agape_epw_frmsf_write(const char *results_path, const agape_epw *e, const double *bvec, const char *epw_dir,
                                int ntemps, const double *temps, const double *delta_meV, int64_t ld);

/* Broadcast e from rank 0 to every rank (struct and arrays; the other ranks' e is
 * filled). Collective over par (parallel.h). */
agape_err agape_epw_bcast(const agape_par *par, agape_epw *e);
#endif
