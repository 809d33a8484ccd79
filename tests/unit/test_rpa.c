/* Unit tests of kernels/rpa.c (include/agape/rpa.h).
 *   1. Form factors against a direct 3-D quadrature of phi_a phi_b e^{iQ.r}.
 *   2. chi0_GG' assembled from the orbital chi (chi0_fft) against the double sum over bands
 *      with the plane-wave matrix elements written out (the index pairing of the vertex).
 *   3. The serial screened interaction solves (1 - v chi) W = v.
 *   4. The Thomas-Fermi head average: its large-k_TF limit and a brute-force average. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/rpa.h"
#include "agape/chi0.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const double PI = 3.14159265358979323846;

/* phi_a(r) = N (product of the two coordinates other than a) exp(-r^2/(2 s^2)) */
static double phi(int a, double sigma, const double r[3])
{
  const double N = sqrt(4 / (pow(PI, 1.5) * pow(sigma, 7)));
  return N * r[(a + 1) % 3] * r[(a + 2) % 3] * exp(-(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]) / (2 * sigma * sigma));
}

static void test_formfactor(void)
{
  const double sigma = 1.3, Qs[3][3] = {{0, 0, 0}, {0.7, -0.4, 1.1}, {1.9, 0.3, 0.0}};
  const int n = 64;
  const double L = 8 * sigma, h = 2 * L / n; /* midpoint rule on [-L, L]^3: Gaussian tails < 1e-12 */
  double worst = 0;
  for (int iq = 0; iq < 3; iq++) {
    double ana[9], num[9] = {0};
    rpa_formfactor_t2(sigma, Qs[iq], ana);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        for (int k = 0; k < n; k++) {
          double r[3] = {-L + (i + 0.5) * h, -L + (j + 0.5) * h, -L + (k + 0.5) * h};
          double c = cos(Qs[iq][0] * r[0] + Qs[iq][1] * r[1] + Qs[iq][2] * r[2]) * h * h * h;
          double p[3] = {phi(0, sigma, r), phi(1, sigma, r), phi(2, sigma, r)};
          for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) num[a * 3 + b] += p[a] * p[b] * c;
        }
    for (int q = 0; q < 9; q++) worst = fmax(worst, fabs(num[q] - ana[q]));
  }
  /* the midpoint rule on a Gaussian is spectrally accurate: h = sigma/4 gives ~1e-10 */
  check(worst <= 1e-8, "t2 Gaussian form factors vs 64^3 quadrature at 3 Q: worst |difference| %.1e", worst);
}

extern void zheev_(const char *jobz, const char *uplo, const int *n, double complex *a, const int *lda, double *w,
                   double complex *work, const int *lwork, double *rwork, int *info, size_t, size_t);

static void test_chi0_GG(void)
{
  const int n1 = 4, n2 = 4, n3 = 4, nk = 64, no = 3, ng = 7;
  const double alat = 5.0, omega = alat * alat * alat, sigma = 1.2, beta = 1 / (8.617333262e-5 * 500);
  static double e[64 * 3];
  static double complex U[64 * 9];
  for (int k = 0; k < nk; k++) {
    int k1 = k / 16, k2 = k / 4 % 4, k3 = k % 4;
    double c[3] = {cos(2 * PI * k1 / n1), cos(2 * PI * k2 / n2), cos(2 * PI * k3 / n3)};
    double s[3] = {sin(2 * PI * k1 / n1), sin(2 * PI * k2 / n2), sin(2 * PI * k3 / n3)};
    double complex H[9];
    for (int a = 0; a < 3; a++) H[a * 3 + a] = -0.5 * (c[(a + 1) % 3] + c[(a + 2) % 3]) - 0.1 * c[a] + 0.2;
    for (int a = 0; a < 3; a++)
      for (int b = a + 1; b < 3; b++) {
        H[a * 3 + b] = 0.2 * s[a] * s[b];
        H[b * 3 + a] = H[a * 3 + b];
      }
    int n = 3, lw = 20, info;
    double complex wk[20];
    double rw[9];
    zheev_("V", "U", &n, H, &n, e + k * 3, wk, &lw, rw, &info, 1, 1);
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) U[(k * 3 + a) * 3 + b] = H[b * 3 + a];
  }
  chi0_bands m = {n1, n2, n3, no, 3, e, U};
  static double tau[2000], w[2000];
  static double complex chi[64 * 81];
  int nt = chi0_tau_grid(beta, 3, 2000, tau, w);
  memset(chi, 0, sizeof chi);
  chi0_fft(&m, beta, nt, tau, w, 0, nt, chi);
  const int Gs[7][3] = {{0, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 0, 1}, {1, 1, 0}, {-1, 0, 1}, {2, 0, 0}};
  const int iq = 1 * 16 + 2 * 4 + 3, q[3] = {1, 2, 3}; /* q = (1/4, 2/4, 3/4) */
  double rho[7 * 9], worst = 0, mx = 0;
  double Q[7][3];
  for (int G = 0; G < ng; G++) {
    for (int x = 0; x < 3; x++) Q[G][x] = 2 * PI / alat * ((double)q[x] / 4 + Gs[G][x]);
    rpa_formfactor_t2(sigma, Q[G], rho + G * 9);
  }
  double complex out[49], ref[49] = {0};
  rpa_chi0_GG(no, chi + (size_t)iq * 81, ng, rho, omega, out);
  /* reference: (2/(N Omega)) sum_k sum_nm L M_G M*_G', M_G = <nk|e^{-iQ_G r}|m,k+q>
   *            = sum_{ad} U*_an(k) U_dm(k+q) rho_ad(Q_G)  (rho even in Q) */
  for (int k = 0; k < nk; k++) {
    int k1 = k / 16, k2 = k / 4 % 4, k3 = k % 4;
    int kq = ((k1 + q[0]) % 4) * 16 + ((k2 + q[1]) % 4) * 4 + (k3 + q[2]) % 4;
    for (int n = 0; n < 3; n++)
      for (int mm = 0; mm < 3; mm++) {
        double ea = e[k * 3 + n], eb = e[kq * 3 + mm];
        double fa = 1 / (1 + exp(beta * ea)), fb = 1 / (1 + exp(beta * eb));
        double L = fabs(ea - eb) < 1e-12 ? -beta * fa * (1 - fa) : (fa - fb) / (ea - eb);
        double complex M[7];
        for (int G = 0; G < ng; G++) {
          M[G] = 0;
          for (int a = 0; a < 3; a++)
            for (int d = 0; d < 3; d++)
              M[G] += conj(U[(k * 3 + a) * 3 + n]) * U[(kq * 3 + d) * 3 + mm] * rho[G * 9 + a * 3 + d];
        }
        for (int G = 0; G < ng; G++)
          for (int H = 0; H < ng; H++) ref[G * ng + H] += 2.0 / (nk * omega) * L * M[G] * conj(M[H]);
      }
  }
  for (int i = 0; i < 49; i++) mx = fmax(mx, cabs(ref[i]));
  for (int i = 0; i < 49; i++) worst = fmax(worst, cabs(out[i] - ref[i]) / mx);
  check(
    worst <= 1e-10 && creal(ref[0]) < 0,
    "chi0_GG' (7 G, q = (1/4,1/2,3/4)) from the orbital chi vs the band double sum: worst %.1e of max %.3e /(eV A^3)",
    worst, mx);

  /* 3. W solves (1 - v chi) W = v */
  double vG[7];
  for (int G = 0; G < ng; G++) vG[G] = 4 * PI * RPA_E2 / (Q[G][0] * Q[G][0] + Q[G][1] * Q[G][1] + Q[G][2] * Q[G][2]);
  double complex W[49];
  int info = rpa_screen_serial(ng, out, vG, W);
  double res = 0, vmax = 0;
  for (int i = 0; i < ng; i++) {
    vmax = fmax(vmax, vG[i]);
    for (int j = 0; j < ng; j++) {
      double complex s = W[i * ng + j];
      for (int l = 0; l < ng; l++) s -= vG[i] * out[i * ng + l] * W[l * ng + j];
      res = fmax(res, cabs(s - (i == j ? vG[i] : 0)));
    }
  }
  check(info == 0 && res <= 1e-12 * vmax && creal(W[0]) < vG[0] && creal(W[0]) > 0,
        "rpa_screen_serial: |(1 - v chi) W - v| = %.1e (v_00 = %.2f, W_00 = %.2f eV A^3: screened)", res, vG[0],
        creal(W[0]));
}

static void test_head(void)
{
  const double a = 5.0, b[9] = {2 * PI / a, 0, 0, 0, 2 * PI / a, 0, 0, 0, 2 * PI / a};
  /* large k_TF: 4 pi e^2 / k_TF^2 (1 - <q^2>/k_TF^2 + ...) */
  double k2 = 1e4, h = rpa_w_head_tf(k2, b, 8, 8, 8), lim = 4 * PI * RPA_E2 / k2;
  check(fabs(h / lim - 1) <= 1e-4, "TF head average, k_TF^2 = 1e4 /A^2: %.6e vs 4 pi e^2/k_TF^2 = %.6e", h, lim);
  /* moderate k_TF against a brute-force midpoint average over the cell (even point count:
   * the singular point q = 0 is never sampled; smooth integrand since k_TF^2 > 0) */
  k2 = 0.05;
  h = rpa_w_head_tf(k2, b, 8, 8, 8);
  const int n = 160;
  double s = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      for (int k = 0; k < n; k++) {
        double t[3] = {(i + 0.5) / n - 0.5, (j + 0.5) / n - 0.5, (k + 0.5) / n - 0.5};
        double q2 = 0;
        for (int x = 0; x < 3; x++) q2 += pow(t[x] * b[x * 3 + x] / 8, 2);
        s += 1 / (q2 + k2);
      }
  s *= 4 * PI * RPA_E2 / ((double)n * n * n);
  check(fabs(h / s - 1) <= 1e-4,
        "TF head average, k_TF^2 = 0.05 /A^2, 8^3 grid of a = 5 A: %.6e vs 160^3 midpoint %.6e", h, s);
}

int main(void)
{
  test_formfactor();
  test_chi0_GG();
  test_head();
  return check_summary();
}
