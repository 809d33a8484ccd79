/* A Quantum ESPRESSO save folder (outdir/prefix.save): the ground state and Kohn-Sham
 * wavefunctions that the ab-initio Coulomb kernel is built from ([coulomb] mode = rpa on real
 * materials, docs/qe.md). Part of the material stage; node-local (no MPI): the caller reads on
 * one rank or on each.
 *
 * Read:
 *  - data-file-schema.xml (QE's qes-1.0 schema, through libxml2): the cell, the atoms, the
 *    symmetry operations, the plane-wave cut-offs and FFT grid, the k points with their
 *    weights, eigenvalues and occupations, the Fermi energy, the smearing, and the flags of
 *    what AGAPE does not handle (spin polarisation, non-collinear spins, ultrasoft or PAW
 *    pseudopotentials, gamma-only storage), which are refused with the file and the reason;
 *  - wfc<ik>.dat (Fortran unformatted sequential, as pw.x 6.x and 7.x write it without HDF5):
 *    record 1: ik, xk(3), ispin, gamma_only, scalef; record 2: ngw, igwx, npol, nbnd;
 *    record 3: b1, b2, b3 (bohr^-1); record 4: Miller indices mill(3, igwx); then nbnd records
 *    of igwx*npol complex coefficients. Every record's length is checked against these counts
 *    and against the XML before anything is used.
 * Units (AGAPE's): energies in eV from the XML's Hartree (27.211386245988 eV, QE's value),
 * lengths in bohr, k in cartesian units of 2 pi/alat (as QE stores them). */
#ifndef AGAPE_QE_SAVE_H
#define AGAPE_QE_SAVE_H
#include <complex.h>
#include "agape/error.h"
#include "agape/symmetry.h"

#define AGAPE_HARTREE_EV 27.211386245988 /* QE 6.7 (CODATA 2018) */
#define AGAPE_BOHR_A     0.529177210903  /* bohr in Angstrom, QE 6.7 (CODATA 2018) */

typedef struct {
  char dir[1024];       /* the folder read */
  double alat;          /* bohr */
  double at[9];         /* rows a1 a2 a3, bohr */
  double bg[9];         /* rows b1 b2 b3, units 2 pi/alat (at . bg^T = alat) */
  double omega;         /* cell volume, bohr^3 */
  int nat, nsp;         /* atoms, species */
  double *tau;          /* [nat*3] cartesian positions, bohr */
  int *ityp;            /* [nat] species, 1-based in the order the atoms name them */
  int nsym;             /* crystal symmetry operations */
  int (*sym)[9];        /* [nsym] rotations in crystal coordinates of the direct lattice (row-major) */
  double ecutwfc;       /* eV */
  double ecutrho;       /* eV */
  int nr[3];            /* dense FFT grid */
  int nbnd;             /* bands per k */
  double nelec;         /* valence electrons per cell */
  int nks;              /* k points (irreducible unless the run used nosym/noinv) */
  int mp[6];            /* Monkhorst-Pack nk1 nk2 nk3 k1 k2 k3 (all 0: the k points were listed) */
  double *xk;           /* [nks*3] cartesian, 2 pi/alat */
  double *wk;           /* [nks] weights (sum 2: the spin is included) */
  int *npw;             /* [nks] plane waves */
  double *eig;          /* [nks*nbnd] eV */
  double *occ;          /* [nks*nbnd] occupations 0..1 */
  double ef;            /* Fermi energy, eV (NaN for an insulator without one) */
  char occupations[32]; /* smearing, fixed, tetrahedra, ... */
  char smearing[32];    /* gaussian, mv, mp, fd ("" without smearing) */
  double degauss;       /* eV (0 without smearing) */
} agape_qe_save;

/* The crystal of the folder (symmetry.h): the cell in units of alat, the positions in crystal
 * coordinates, the species, nelec, path the XML. Destroy with agape_crystal_destroy. */
agape_err agape_qe_save_crystal(const agape_qe_save *s, agape_crystal *c);

/* One k point's wavefunctions (wfc<ik>.dat) */
typedef struct {
  int ik;              /* 1-based, as in the file name */
  double xk[3];        /* cartesian, bohr^-1 (as the file stores it) */
  int npw, nbnd;       /* plane waves, bands */
  double b[9];         /* rows b1 b2 b3, bohr^-1 */
  int *mill;           /* [npw*3] Miller indices: G = sum_i mill_i b_i */
  double complex *evc; /* [nbnd*npw] coefficients, band-major */
} agape_qe_wfc;

/* Read the folder dir (the prefix.save folder). Errors name the file, the element or record
 * and what is wrong. */
agape_err agape_qe_save_read(const char *dir, agape_qe_save *s);
void agape_qe_save_destroy(agape_qe_save *s);

/* Read wfc<ik>.dat (ik 1-based) of the folder s was read from, checked against s. */
agape_err agape_qe_wfc_read(const agape_qe_save *s, int ik, agape_qe_wfc *w);
void agape_qe_wfc_destroy(agape_qe_wfc *w);

#endif
