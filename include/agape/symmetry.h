/* The point group of a crystal on reciprocal crystal coordinates, shared by the EPW meshes
 * (epw_mesh.c: unfolding EPW's irreducible k) and the RPA on a save folder (qe_chi0.c: the
 * irreducible q of its grid). The operations come from spglib (Debian libsymspg-dev). */
#ifndef AGAPE_SYMMETRY_H
#define AGAPE_SYMMETRY_H

#define AGAPE_MAXOPS 96 /* 48 rotations and their time-reversed partners */

/* The operations M = W^T of every distinct rotation W of the crystal (spglib, tolerance 1e-4
 * bohr), acting on reciprocal crystal coordinates (k' = M k), then -M (time reversal), without
 * repeats, identity first. lattice: rows a1 a2 a3 in bohr; frac[nat*3]: positions in crystal
 * coordinates; ityp[nat]: species (any integers). Returns the number of operations (<= maxop),
 * 0 when spglib finds none, -1 when there are more than maxop, -2 when out of memory. */
int agape_point_group(const double lattice[9], int nat, const double *frac, const int *ityp, int maxop, int (*op)[9]);

#endif
