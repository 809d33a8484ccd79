/* Gauss-Legendre quadrature, shared by the energy grid (sampling), the imaginary-time grid of
 * chi0 and the RPA/electron-gas integrals. Node-local numerics (kernels/quadrature.c). */
#ifndef AGAPE_QUADRATURE_H
#define AGAPE_QUADRATURE_H

/* Nodes x[0..n) (ascending) and weights w of the n-point rule on [-1, 1] (Newton on P_n),
 * accurate to rounding for n <= 64. */
void agape_gauss_legendre(int n, double *x, double *w);

#endif
