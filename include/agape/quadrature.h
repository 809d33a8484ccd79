/* Gauss-Legendre quadrature, shared by the energy grid (sampling), the imaginary-time grid of
 * chi0 and the RPA/electron-gas integrals. Node-local numerics (kernels/quadrature.c). */
#ifndef AGAPE_QUADRATURE_H
#define AGAPE_QUADRATURE_H

/* Nodes x[0..n) (ascending) and weights w of the n-point rule on [-1, 1] (Newton on P_n),
 * accurate to rounding for n <= 64. */
void agape_gauss_legendre(int n, double *x, double *w);

/* The interval of x on an increasing axis[n] (n >= 2) for linear interpolation, flat beyond
 * its ends: returns i (0 .. n-2) and sets *t in [0, 1] with x = axis[i] + t (axis[i+1] - axis[i])
 * inside; below axis[0] i = 0, t = 0, above axis[n-1] i = n - 2, t = 1. Bisection. */
int agape_axis_locate(int n, const double *axis, double x, double *t);

#endif
