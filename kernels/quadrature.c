/* Gauss-Legendre quadrature (see include/agape/quadrature.h). No MPI, no I/O. */
#include "agape/quadrature.h"

#include <math.h>

void agape_gauss_legendre(int n, double *x, double *w)
{
  const double pi = 3.14159265358979323846;
  for (int i = 0; i < n; i++) {
    double z = cos(pi * (i + 0.75) / (n + 0.5)), pp = 0;
    for (int it = 0; it < 100; it++) {
      double p1 = 1, p2 = 0;
      for (int j = 1; j <= n; j++) {
        double p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = n * (z * p1 - p2) / (z * z - 1);
      double dz = p1 / pp;
      z -= dz;
      if (fabs(dz) < 1e-16) break;
    }
    x[i] = -z;
    w[i] = 2 / ((1 - z * z) * pp * pp);
  }
}

int agape_axis_locate(int n, const double *axis, double x, double *t)
{
  if (x <= axis[0]) {
    *t = 0;
    return 0;
  }
  if (x >= axis[n - 1]) {
    *t = 1;
    return n - 2;
  }
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (axis[mid] <= x)
      lo = mid;
    else
      hi = mid;
  }
  *t = (x - axis[lo]) / (axis[lo + 1] - axis[lo]);
  return lo;
}
