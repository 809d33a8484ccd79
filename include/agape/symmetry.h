/* The point group of a crystal on reciprocal crystal coordinates, shared by the EPW meshes
 * (epw_mesh.c: unfolding EPW's irreducible k) and the RPA on a save folder (qe_chi0.c: the
 * irreducible q of its grid). The operations come from spglib (Debian libsymspg-dev). */
#ifndef AGAPE_SYMMETRY_H
#define AGAPE_SYMMETRY_H
#include <stdint.h>

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
