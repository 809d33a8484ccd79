/* Crystals: the cell and atoms a data set states, the check that two data sets state the same
 * crystal, and the point group on reciprocal crystal coordinates, shared by the EPW meshes
 * (epw_mesh.c: unfolding EPW's irreducible k) and the RPA on a save folder (qe_chi0.c: the
 * irreducible q of its grid). The operations come from spglib (Debian libsymspg-dev).
 * Node-local: no MPI, no I/O. */
#ifndef AGAPE_SYMMETRY_H
#define AGAPE_SYMMETRY_H
#include <stddef.h>
#include <stdint.h>
#include "agape/error.h"

/* A crystal as one data set states it (EPW's crystal.fmt, a save folder's XML) */
typedef struct {
  int nat;         /* atoms (0: the crystal is not known) */
  double alat;     /* bohr */
  double at[9];    /* rows a1 a2 a3, units alat */
  double bg[9];    /* rows b1 b2 b3, units 2 pi / alat (at . bg^T = 1) */
  double *frac;    /* [nat*3] positions in crystal coordinates */
  int *ityp;       /* [nat] species, 1-based, in the data set's own numbering */
  double nelec;    /* valence electrons per cell (< 0: not stated) */
  char path[1100]; /* the file it was read from */
} agape_crystal;

void agape_crystal_destroy(agape_crystal *c);

/* Do a and b state the same crystal? Compared: the cell volume (to 1e-3, relative), the number
 * of atoms and of atoms of each species (the species' numbering may differ), and, when each
 * lattice is an integer unimodular recombination of the other's vectors (to 1e-3), the atoms:
 * one common translation must carry every atom of b onto an atom of a of the same species (a
 * consistent one-to-one map of the numberings) within 1e-3 of the cube root of the volume.
 * Lattices that are not recombinations of each other (a rotated or differently oriented
 * description) are compared by the invariants only, and note says so. A different nelec
 * (other pseudopotentials or excluded bands) is reported in note, not refused.
 * Returns AGAPE_OK (note: one line on what was compared, with the largest distance found) or
 * AGAPE_ERR_FORMAT with a message that names both files and the first difference. */
agape_err agape_crystal_match(const agape_crystal *a, const agape_crystal *b, char *note, size_t nnote);

#define AGAPE_MAXOPS 96 /* 48 rotations and their time-reversed partners */

/* The operations M = W^T of every distinct rotation W of the crystal (spglib, tolerance 1e-4
 * bohr), acting on reciprocal crystal coordinates (k' = M k), then -M (time reversal), without
 * repeats, identity first. lattice: rows a1 a2 a3 in bohr; frac[nat*3]: positions in crystal
 * coordinates; ityp[nat]: species (any integers). Returns the number of operations (<= maxop),
 * 0 when spglib finds none, -1 when there are more than maxop, -2 when out of memory. */
int agape_point_group(const double lattice[9], int nat, const double *frac, const int *ityp, int maxop, int (*op)[9]);

/* Periodic meshes n[3] of crystal coordinates (points y/n, y integer), the last axis fastest. */
/* the index of the integer point x (any integers, taken modulo n) */
int64_t agape_mesh_index(const int x[3], const int n[3]);
/* the integer point (0 <= y_i < n_i) of index idx */
void agape_mesh_coords(int64_t idx, const int n[3], int y[3]);
/* M y/n for the operation M on reciprocal crystal coordinates: the index of the mesh point it
 * lands on, or -1 when it is not a point of the mesh */
int64_t agape_mesh_apply(const int M[9], const int y[3], const int n[3]);

#endif
