/* Static RPA screening on a G set (see include/agape/rpa.h).  No MPI, no I/O. */
#include "agape/rpa.h"
#include "agape/quadrature.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void zgesv_(const int *n, const int *nrhs, double complex *a, const int *lda, int *ipiv, double complex *b,
                   const int *ldb, int *info);

void rpa_formfactor_t2(double sigma, const double Q[3], double rho[9])
{
  const double s = sigma * sigma, q2 = Q[0] * Q[0] + Q[1] * Q[1] + Q[2] * Q[2];
  const double g = exp(-0.25 * s * q2);
  double h[3]; /* 1 - s Q_i^2 / 2 */
  for (int i = 0; i < 3; i++) h[i] = 1 - 0.5 * s * Q[i] * Q[i];
  /* orbital a is normal to axis a: yz (a = 0), zx (1), xy (2) */
  for (int a = 0; a < 3; a++) {
    rho[a * 3 + a] = h[(a + 1) % 3] * h[(a + 2) % 3] * g;
    for (int b = a + 1; b < 3; b++) {
      const int c = 3 - a - b; /* the axis both orbitals contain: yz.zx = x y z^2 */
      rho[a * 3 + b] = rho[b * 3 + a] = -0.5 * s * Q[a] * Q[b] * h[c] * g;
    }
  }
}

void rpa_chi0_GG(int norb, const double complex *chi_q, int ng, const double *rho, double omega_cell,
                 double complex *out)
{
  const int n2 = norb * norb;
  /* X[(a,d),(b,c)] = chi_{cb,ad}, then out = R X R^T / Omega with R[G][(a,d)] = rho_ad(q+G) */
  double complex *X = malloc(sizeof(double complex) * (size_t)n2 * n2);
  double complex *RX = malloc(sizeof(double complex) * (size_t)ng * n2);
  if (!X || !RX) {
    free(X);
    free(RX);
    memset(out, 0, sizeof(double complex) * (size_t)ng * ng);
    return;
  }
  for (int a = 0; a < norb; a++)
    for (int d = 0; d < norb; d++)
      for (int b = 0; b < norb; b++)
        for (int c = 0; c < norb; c++)
          X[(a * norb + d) * n2 + b * norb + c] = chi_q[((c * norb + b) * norb + a) * norb + d];
  for (int G = 0; G < ng; G++)
    for (int j = 0; j < n2; j++) {
      double complex s = 0;
      for (int i = 0; i < n2; i++) s += rho[(size_t)G * n2 + i] * X[i * n2 + j];
      RX[(size_t)G * n2 + j] = s;
    }
  for (int G = 0; G < ng; G++)
    for (int H = 0; H < ng; H++) {
      double complex s = 0;
      for (int j = 0; j < n2; j++) s += RX[(size_t)G * n2 + j] * rho[(size_t)H * n2 + j];
      out[(size_t)G * ng + H] = s / omega_cell;
    }
  free(X);
  free(RX);
}

int rpa_screen_serial(int ng, const double complex *chi, const double *vG, double complex *W)
{
  double complex *A = malloc(sizeof(double complex) * (size_t)ng * ng);
  int *ipiv = malloc(sizeof(int) * (size_t)(ng > 0 ? ng : 1));
  if (!A || !ipiv) {
    free(A);
    free(ipiv);
    return -1;
  }
  /* column-major A = 1 - diag(v) chi, right-hand side diag(v) */
  for (int i = 0; i < ng; i++)
    for (int j = 0; j < ng; j++) {
      A[(size_t)j * ng + i] = (i == j) - vG[i] * chi[(size_t)i * ng + j];
      W[(size_t)j * ng + i] = (i == j) ? vG[i] : 0;
    }
  int info = 0;
  zgesv_(&ng, &ng, A, &ng, ipiv, W, &ng, &info);
  /* back to row-major */
  for (int i = 0; i < ng; i++)
    for (int j = i + 1; j < ng; j++) {
      double complex t = W[(size_t)i * ng + j];
      W[(size_t)i * ng + j] = W[(size_t)j * ng + i];
      W[(size_t)j * ng + i] = t;
    }
  free(A);
  free(ipiv);
  return info;
}

double rpa_w_head_tf(double ktf2, const double b[9], int n1, int n2, int n3)
{
  double x[16], w[16]; /* Gauss-Legendre on [0, 1] */
  agape_gauss_legendre(16, x, w);
  for (int i = 0; i < 16; i++) {
    x[i] = 0.5 * (1 + x[i]);
    w[i] *= 0.5;
  }
  const double inv[3] = {1.0 / n1, 1.0 / n2, 1.0 / n3};
  /* t in [-1/2, 1/2]^3 (unit volume): 8 octants, each a cube [0, 1/2]^3 with the singular
   * point at the corner, split into 3 pyramids t = s (1, u, v) (and permutations) whose
   * Jacobian s^2 cancels the 1/q^2 of the integrand */
  double sum = 0;
  for (int oct = 0; oct < 8; oct++) {
    const double sg[3] = {(oct & 1) ? -1.0 : 1.0, (oct & 2) ? -1.0 : 1.0, (oct & 4) ? -1.0 : 1.0};
    for (int pyr = 0; pyr < 3; pyr++)
      for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
          for (int k = 0; k < 16; k++) {
            double s = 0.5 * x[i], u = x[j], v = x[k], t[3];
            t[pyr] = s;
            t[(pyr + 1) % 3] = s * u;
            t[(pyr + 2) % 3] = s * v;
            double q[3] = {0, 0, 0};
            for (int d = 0; d < 3; d++)
              for (int c = 0; c < 3; c++) q[c] += sg[d] * t[d] * inv[d] * b[d * 3 + c];
            const double q2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
            /* s^2 / (q^2 + k^2) with q^2 = s^2 a: finite as s -> 0 */
            const double a = q2 / (s * s);
            sum += 0.5 * w[i] * w[j] * w[k] / (a + ktf2 / (s * s));
          }
  }
  return 4 * 3.14159265358979323846 * RPA_E2 * sum;
}

int rpa_w_table_fill(int ne, const double *wsum, const double *wcnt, double *w)
{
  int any = 0;
  for (int x = 0; x < ne * ne; x++) any |= wcnt[x] > 0;
  if (!any) return -1;
  for (int i = 0; i < ne; i++)
    for (int j = 0; j < ne; j++) {
      int bi = i, bj = j;
      double best = INFINITY;
      if (wcnt[(size_t)i * ne + j] == 0)
        for (int i2 = 0; i2 < ne; i2++)
          for (int j2 = 0; j2 < ne; j2++)
            if (wcnt[(size_t)i2 * ne + j2] > 0) {
              double dist = (double)(i2 - i) * (i2 - i) + (double)(j2 - j) * (j2 - j);
              if (dist < best) best = dist, bi = i2, bj = j2;
            }
      w[(size_t)i * ne + j] = wsum[(size_t)bi * ne + bj] / wcnt[(size_t)bi * ne + bj];
    }
  return 0;
}
