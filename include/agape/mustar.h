/* The Coulomb pseudopotential mu* of an energy-resolved screened interaction W(xi, xi') at a
 * cut-off energy w_c (docs/theory.md §5.8): the Morel-Anderson renormalisation done on the
 * table itself. Pure kernel: arrays in, a number out; no MPI, no I/O.
 *
 *   u(x) = W(x, 0) - int_{|x'| > w_c} W(x, x') N(x') u(x') / (2 |x'|) dx'      (x, x' over the table)
 *   mu*  = N0 [W(0, 0) - int_{|x'| > w_c} W(0, x') N(x') u(x') / (2 |x'|) dx']
 *
 * (the repulsion between states outside +-w_c summed into an effective one inside it). W is
 * bilinear between the table's points xi[] and flat beyond them, N(x) is the DOS of the bin that
 * holds x (bins around the points, ending half way between neighbours and half a spacing beyond
 * the outer points), and the integral runs over the bins' range. For a constant W and N on [-E, E] it gives mu / (1 + mu ln(E/w_c)), mu = N W. */
#ifndef AGAPE_MUSTAR_H
#define AGAPE_MUSTAR_H

/* mu* at w_c (eV) of the table xi[ne] (eV, increasing, any spacing as a W file's), w[ne*ne] (eV,
 * row-major), dos[ne] (states/eV/spin/cell) with N0 (states/eV/spin/cell) at E_F. Returns
 * NAN when the linear system is singular or w_c lies outside the table. */
double coul_mustar(int ne, const double *xi, const double *w, const double *dos, double n0, double wc);

#endif
