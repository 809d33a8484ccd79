/* Electron-gas reference formulas for the RPA tests (see include/agape/chi0.h), Hartree
 * atomic units.  No MPI, no I/O. */
#include "agape/chi0.h"
#include "agape/quadrature.h"

#include <math.h>

static const double JL_PI = 3.14159265358979323846;

double chi0_lindhard_F(double x)
{
  x = fabs(x);
  if (x == 0) return 1.0;
  if (x == 1) return 0.5;
  /* ln|(1+x)/(1-x)| without cancellation for small x */
  double l = x < 0.5 ? log1p(x) - log1p(-x) : log(fabs((1 + x) / (1 - x)));
  return 0.5 + (1 - x * x) / (4 * x) * l;
}

static double kf_of(double rs) { return cbrt(9 * JL_PI / 4) / rs; }

double chi0_jellium_mu_tf(double rs)
{
  double kf = kf_of(rs), ktf2 = 4 * kf / JL_PI;
  return ktf2 / (8 * kf * kf) * log1p(4 * kf * kf / ktf2);
}

/* mu_RPA = (1/(pi kF)) int_0^{2kF} q dq / (q^2 + kTF^2 F(q/2kF))
 *        = (4 kF / pi) int_0^1 x dx / (4 kF^2 x^2 + kTF^2 F(x)):
 * Gauss-Legendre (16 points) on panels [0, 1/2], [1/2, 3/4], ... 1 - 2^-40, because F has a
 * (1 - x) ln(1 - x) term at x = 1; the last sliver is below 1e-12 of the integral. */
double chi0_jellium_mu_rpa(double rs, double (*F)(double x, void *ctx), void *ctx)
{
  double gx[16], gw[16];
  agape_gauss_legendre(16, gx, gw);
  const double kf = kf_of(rs), ktf2 = 4 * kf / JL_PI;
  double sum = 0, a = 0, b = 0.5;
  for (int p = 0; p < 41; p++) {
    double m = 0.5 * (a + b), h = 0.5 * (b - a);
    for (int q = 0; q < 16; q++) {
      double x = m + h * gx[q], wq = h * gw[q];
      sum += wq * x / (4 * kf * kf * x * x + ktf2 * F(x, ctx));
    }
    a = b;
    b = 1 - 0.5 * (1 - b);
  }
  return 4 * kf / JL_PI * sum;
}
