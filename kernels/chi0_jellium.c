/* Electron-gas reference formulas for the RPA tests (see include/agape/chi0.h), Hartree
 * atomic units.  No MPI, no I/O. */
#include "agape/chi0.h"

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
  static const double gx[8] = {0.0950125098376374, 0.2816035507792589, 0.4580167776572274,
                               0.6178762444026438, 0.7554044083550030, 0.8656312023878318,
                               0.9445750230732326, 0.9894009349916499};
  static const double gw[8] = {0.1894506104550685, 0.1826034150449236, 0.1691565193950025,
                               0.1495959888165767, 0.1246289712555339, 0.0951585116824928,
                               0.0622535239386479, 0.0271524594117541};
  const double kf = kf_of(rs), ktf2 = 4 * kf / JL_PI;
  double sum = 0, a = 0, b = 0.5;
  for (int p = 0; p < 41; p++) {
    double m = 0.5 * (a + b), h = 0.5 * (b - a);
    for (int q = 0; q < 16; q++) {
      double x = m + h * (q < 8 ? -gx[7 - q] : gx[q - 8]), wq = h * (q < 8 ? gw[7 - q] : gw[q - 8]);
      sum += wq * x / (4 * kf * kf * x * x + ktf2 * F(x, ctx));
    }
    a = b; b = 1 - 0.5 * (1 - b);
  }
  return 4 * kf / JL_PI * sum;
}
