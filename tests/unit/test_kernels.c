/* test_kernels.c - unit tests of the SCDFT pair kernels (kernels/kern_ref.c, kern_mats.c,
 * kern_tab.c) against docs/theory.md §3.1-3.4 and §10.3.
 *
 * Place in the data flow: ctest label "unit"; exercises kernels/ only (no MPI, no files).
 * Prints one line per check and a final "N passed, M failed"; exit status 1 on any failure.
 *
 * Independent yardsticks used here (all written in this file, long double):
 *   - the printed closed forms: 𝒦^LMG tanh form (docs/theory.md §3.1), the I form of docs/theory.md §3.1, the J~ form and the
 *     SCTK closed form of 𝒵^LMG (docs/theory.md §3.2), the s1 s2 s3 J2 form of 𝒦^SPG (docs/theory.md §3.3), and 𝒵^{∂I} as the
 *     numerical xi-derivative of the printed I form;
 *   - the printed removable-singularity limits of docs/theory.md §3.1 and docs/theory.md §3.2;
 *   - the Matsubara double sums of kern_mats.c, with a Richardson tail estimate.
 * Tolerances are derived in the comment of each section.
 */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/kernels.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef long double ldbl;


static double rel(double a, double b) { return fabs(a - b) / fabs(b); }

/* ---- independent long-double evaluators of the printed formulas ---------------------- */

static ldbl T_l(ldbl u) { return tanhl(0.5L * u); }
static ldbl f_l(ldbl b, ldbl e) /* Fermi, relative-accurate */
{
  ldbl u = b * e;
  return u > 0 ? expl(-u) / (1 + expl(-u)) : 1 / (1 + expl(u));
}
static ldbl n_l(ldbl b, ldbl w) { return 1 / expm1l(b * w); } /* Bose */

/* 𝒦^LMG, tanh closed form of docs/theory.md §3.1 (general branch; bad on the singular lines). */
static ldbl lmgK_printed(ldbl b, ldbl xi, ldbl xip, ldbl om)
{
  ldbl x = b * fabsl(xi), y = b * fabsl(xip), z = b * om, tx = T_l(x), ty = T_l(y), tz = T_l(z);
  return b / (2 * tx * ty * tz) *
    (-((1 + tx * ty) * tz + tx + ty) / (x + y + z) + ((1 - tx * ty) * tz + tx - ty) / (x - y + z) +
     ((1 - tx * ty) * tz - tx + ty) / (-x + y + z) - ((1 + tx * ty) * tz - tx - ty) / (-x - y + z));
}

/* The same with the replacements of docs/theory.md §3.1 on the lines x - y + z = 0 (or y - x + z = 0 by
 * symmetry) and x + y - z = 0. */
static ldbl lmgK_line(ldbl b, ldbl xi, ldbl xip, ldbl om, int line)
{
  ldbl x = b * fabsl(xi), y = b * fabsl(xip), z = b * om;
  if (line == 2) {
    ldbl s = x;
    x = y;
    y = s;
  } /* x = y + z: swap */
  ldbl tx = T_l(x), ty = T_l(y), tz = T_l(z);
  ldbl t1 = -((1 + tx * ty) * tz + tx + ty) / (x + y + z);
  ldbl t2 = ((1 - tx * ty) * tz + tx - ty) / (x - y + z);
  ldbl t3 = ((1 - tx * ty) * tz - tx + ty) / (-x + y + z);
  ldbl t4 = -((1 + tx * ty) * tz - tx - ty) / (-x - y + z);
  if (line == 1 || line == 2) t2 = 0.5L * (1 + tx) * (1 - ty) * (1 + tz);
  if (line == 3) t4 = -0.5L * (1 - tx) * (1 - ty) * (1 + tz);
  return b / (2 * tx * ty * tz) * (t1 + t2 + t3 + t4);
}

/* docs/theory.md §3.1 limits of 𝒦~ at x = 0 (times beta). */
static ldbl lmgK_x0(ldbl b, ldbl xip, ldbl om)
{
  ldbl y = b * fabsl(xip), z = b * om, ty = T_l(y), tz = T_l(z);
  if (y == 0) return b * (-2 * (4 * (2 / z - 1 / tz) / z + 1) / z);
  return b *
    ((-(1 + ty * tz - 2 * (tz + ty) / (y + z)) / (y + z) + (1 - ty * tz - 2 * (tz - ty) / (z - y)) / (z - y)) /
     (ty * tz));
}
static ldbl lmgK_x0_yz(ldbl b, ldbl om)
{
  ldbl z = b * om, tz = T_l(z);
  return b * (-(1 + tz * tz - 2 * tz / z) / (2 * z * tz * tz));
}

/* printed I(xi, xi', Omega) of docs/theory.md §3.1, direct (moderate beta*energies only); *mag receives the
 * sum of the moduli of its four terms (its rounding error is a few eps_ld times that). */
static ldbl I_terms(ldbl b, ldbl xi, ldbl xip, ldbl om, ldbl *mag)
{
  ldbl p = f_l(b, xi) * f_l(b, xip) * n_l(b, om), d1 = xi - xip - om, d2 = xi - xip + om;
  ldbl t[4] = {p * expl(b * xi) / d1, -p * expl(b * (xip + om)) / d1, -p * expl(b * xip) / d2,
               p * expl(b * (xi + om)) / d2};
  if (mag) *mag = fabsl(t[0]) + fabsl(t[1]) + fabsl(t[2]) + fabsl(t[3]);
  return (t[0] + t[1]) + (t[2] + t[3]);
}
static ldbl I_printed(ldbl b, ldbl xi, ldbl xip, ldbl om) { return I_terms(b, xi, xip, om, NULL); }

/* 𝒦^LMG from the I form; *relerr receives its rounding bound 8 eps_ld sum|terms|/|result|. */
static ldbl lmgK_from_I(ldbl b, ldbl xi, ldbl xip, ldbl om, double *relerr)
{
  ldbl m1, m2, d = I_terms(b, xi, xip, om, &m1) - I_terms(b, xi, -xip, om, &m2);
  *relerr = (double)(8 * LDBL_EPSILON * (m1 + m2) / fabsl(d));
  return 2 / (T_l(b * xi) * T_l(b * xip)) * d;
}

/* 𝒵^LMG from the printed J~ form of docs/theory.md §3.2 (LMG Eqs. 79-81 with the minus), direct. */
static ldbl Jt_printed(ldbl b, ldbl xi, ldbl xip, ldbl om)
{
  ldbl a = xi - om, e = xi - xip - om;
  return -(f_l(b, xi) + n_l(b, om)) / e * ((f_l(b, xip) - f_l(b, a)) / e - b * f_l(b, a) * f_l(b, -a));
}
static ldbl lmgZ_printedJ(ldbl b, ldbl xi, ldbl xip, ldbl om)
{
  ldbl J1 = Jt_printed(b, xi, xip, om) - Jt_printed(b, xi, xip, -om);
  ldbl J2 = Jt_printed(b, xi, -xip, om) - Jt_printed(b, xi, -xip, -om);
  return (J1 + J2) / T_l(b * xi);
}

/* 𝒵^LMG, SCTK closed form of docs/theory.md §3.2 (general branch). */
static ldbl lmgZ_sctk(ldbl b, ldbl xi, ldbl xip, ldbl om)
{
  ldbl x = b * fabsl(xi), y = b * fabsl(xip), z = b * om, tx = T_l(x), ty = T_l(y), tz = T_l(z);
  ldbl tpx = T_l(z + x), tmx = T_l(z - x);
  ldbl pp = 1 / (x + y + z), pm = 1 / (x - y + z), mp = 1 / (-x + y + z), mm = 1 / (-x - y + z);
  return b * b / (4 * tx * tz) *
    (-(tx * tz + 1) * (0.5L * (tpx * tpx - 1) + (tpx + ty) * pp) * pp -
     (tx * tz + 1) * (0.5L * (tpx * tpx - 1) + (tpx - ty) * pm) * pm -
     (tx * tz - 1) * (0.5L * (tmx * tmx - 1) + (tmx + ty) * mp) * mp -
     (tx * tz - 1) * (0.5L * (tmx * tmx - 1) + (tmx - ty) * mm) * mm);
}

/* docs/theory.md §3.2 limits of 𝒵^LMG (times beta^2): x -> 0; x -> 0 with y = z; y -> 0. */
static ldbl lmgZ_x0(ldbl b, ldbl xip, ldbl om)
{
  ldbl y = b * fabsl(xip), z = b * om, ty = T_l(y), tz = T_l(z), pp = 1 / (y + z), pm = 1 / (z - y);
  return b * b *
    ((0.25L * (tz * tz - 1) + (-1 + 0.5L * (tz - ty) * tz + 2 * (tz + ty) * pp) * pp / tz) * pp +
     (0.25L * (tz * tz - 1) + (-1 + 0.5L * (tz + ty) * tz + 2 * (tz - ty) * pm) * pm / tz) * pm);
}
static ldbl lmgZ_x0_yz(ldbl b, ldbl om)
{
  ldbl z = b * om, tz = T_l(z);
  return b * b * 0.125L *
    (((tz * tz - 1) + 2 * (2 * tz / z - 1) / (z * tz)) / z - (2 - 3 * tz * tz) * (1 - tz * tz) / (3 * tz));
}
static ldbl lmgZ_y0(ldbl b, ldbl xi, ldbl om)
{
  ldbl x = b * fabsl(xi), z = b * om, tx = T_l(x), tz = T_l(z), tpx = T_l(z + x), tmx = T_l(z - x);
  ldbl pp = 1 / (x + z), mm = 1 / (z - x);
  return b * b *
    (-(tx * tz + 1) * (0.5L * (tpx * tpx - 1) + tpx * pp) * pp -
     (tx * tz - 1) * (0.5L * (tmx * tmx - 1) + tmx * mm) * mm) /
    (2 * tx * tz);
}

/* Second divided difference of f (Fermi) over three nodes, stable for coinciding nodes
 * (gap below 1e-13 relative: f' or f''/2 at the coincidence). */
static ldbl fdd1(ldbl b, ldbl a, ldbl c)
{
  if (fabsl(a - c) <= 1e-13L * (1 + fabsl(a) + fabsl(c))) {
    ldbl t = tanhl(0.5L * b * a);
    return -0.25L * b * (1 - t * t);
  }
  return (f_l(b, a) - f_l(b, c)) / (a - c);
}
static ldbl fdd2(ldbl b, ldbl a, ldbl c, ldbl d)
{
  ldbl v[3] = {a, c, d};
  for (int i = 0; i < 3; i++)
    for (int k = i + 1; k < 3; k++)
      if (v[k] < v[i]) {
        ldbl s = v[i];
        v[i] = v[k];
        v[k] = s;
      }
  if (fabsl(v[2] - v[0]) <= 1e-13L * (1 + fabsl(v[0]) + fabsl(v[2]))) {
    ldbl t = tanhl(0.5L * b * v[1]);
    return 0.125L * b * b * t * (1 - t * t); /* f''/2 */
  }
  return (fdd1(b, v[1], v[2]) - fdd1(b, v[0], v[1])) / (v[2] - v[0]);
}

/* 𝒦^SPG, printed s1 s2 s3 J2 form of docs/theory.md §3.3. */
static ldbl spgK_printed(ldbl b, ldbl xi, ldbl xip, ldbl om, ldbl g1, ldbl g2)
{
  ldbl s = 0;
  for (int s1 = -1; s1 <= 1; s1 += 2)
    for (int s2 = -1; s2 <= 1; s2 += 2)
      for (int s3 = -1; s3 <= 1; s3 += 2) {
        ldbl nn = (s2 > 0) ? n_l(b, om) : -1 - n_l(b, om);
        s += s1 * s2 * s3 * (f_l(b, xi) + nn) * fdd2(b, xi - s2 * om, s1 * xip, s3 * g2 * om);
      }
  return g1 * g2 * om / (T_l(b * xi) * T_l(b * xip)) * s;
}

/* 𝒵^{∂I} = (1/t_xi) d/dxi [I(xi,xi') + I(xi,-xi')], derivative by Richardson-extrapolated
 * central differences (error O(h^6) with h = 1e-3/beta; rounding ~eps_ld/(beta h)). */
static ldbl sumI(ldbl b, ldbl xi, ldbl xip, ldbl om) { return I_printed(b, xi, xip, om) + I_printed(b, xi, -xip, om); }
static ldbl spgZ_printed(ldbl b, ldbl xi, ldbl xip, ldbl om)
{
  ldbl h = 1e-3L / b, D[2];
  for (int k = 0; k < 2; k++, h *= 0.5L)
    D[k] = (8 * (sumI(b, xi + h, xip, om) - sumI(b, xi - h, xip, om)) -
            (sumI(b, xi + 2 * h, xip, om) - sumI(b, xi - 2 * h, xip, om))) /
      (12 * h);
  return ((64 * D[1] - D[0]) / 63) / T_l(b * xi);
}

/* ---- 1. closed forms against the Matsubara sums ----------------------------------------- */

/* The sums converge as nmax^-3 (summand ~ w^-4 after the inner sum), so with
 * S1 = S(1500), S2 = S(3000): tail(S2) ~ (S2 - S1)/7 and S_inf ~ S2 + (S2 - S1)/7.  Checks:
 * observed order (S(750)-S(1500))/(S(1500)-S(3000)) = 8 +- 1; tail(S2) < 1e-9 relative, so
 * the sum itself is a 1e-8 yardstick; |closed - S2| <= 1e-8 (the brief's criterion); and
 * |closed - S_inf| <= 1e-10 (the residual after Richardson is O(nmax^-4) ~ tail/nmax, far
 * below; 1e-10 leaves room for the summation rounding). */
static void test_matsubara(void)
{
  printf("# 1. closed forms vs Matsubara double sums (beta = 10, Omega = 1 unless stated)\n");
  const kern_spg_gammas g = {1.33, 3.8, 1.33}, g388 = {1.33, 3.88, 1.33};
  struct {
    double b, xi, xip, om;
    double pK, pS, pZ;
  } P[] = {
    {10, 0.3, 0.5, 1, -1.074623211, -1.384131502, -0.440263082},
    {10, 0.05, 1.7, 1, -0.685091213, -0.842326294, -0.248363971},
    {3, 0.7, -0.2, 0.4, NAN, NAN, NAN},
    {7, -0.3, 0.9, 0.25, NAN, NAN, NAN},
    {10, 0.0, 0.0, 1, NAN, NAN, NAN},    /* xi = xi' = 0 */
    {8, 0.75, 0.5, 0.25, NAN, NAN, NAN}, /* exactly resonant xi - xi' = Omega */
  };
  for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
    for (int k = 0; k < 4; k++) {
      double S[3], cf;
      const char *name;
      for (int m = 0; m < 3; m++) {
        int N = 750 << m;
        S[m] = k == 0 ? kmats_lmg_K(P[i].b, P[i].xi, P[i].xip, P[i].om, N)
          : k == 1    ? kmats_spg_K(P[i].b, P[i].xi, P[i].xip, P[i].om, g, N)
          : k == 2    ? kmats_spg_K(P[i].b, P[i].xi, P[i].xip, P[i].om, g388, N)
                      : kmats_dI_Z(P[i].b, P[i].xi, P[i].xip, P[i].om, N);
      }
      cf = k == 0 ? kref_lmg_K(P[i].b, P[i].xi, P[i].xip, P[i].om)
        : k == 1  ? kref_spg_K(P[i].b, P[i].xi, P[i].xip, P[i].om, g)
        : k == 2  ? kref_spg_K(P[i].b, P[i].xi, P[i].xip, P[i].om, g388)
                  : kref_spg_Z(P[i].b, P[i].xi, P[i].xip, P[i].om);
      name = k == 0 ? "K^LMG" : k == 1 ? "K^SPG(g2=3.8)" : k == 2 ? "K^SPG(g2=3.88)" : "Z^dI";
      double order = (S[0] - S[1]) / (S[1] - S[2]);
      double tail = fabs(S[2] - S[1]) / 7 / fabs(S[2]);
      double Sinf = S[2] + (S[2] - S[1]) / 7;
      double e_raw = rel(cf, S[2]), e_rich = rel(cf, Sinf);
      check(fabs(order - 8) < 1 && tail < 1e-9 && e_raw <= 1e-8 && e_rich <= 1e-10,
            "%-14s beta=%g (%g,%g,%g): closed %.12f, sum(3000) rel diff %.2e, Richardson %.2e "
            "(tail %.1e, order ratio %.2f)",
            name, P[i].b, P[i].xi, P[i].xip, P[i].om, cf, e_raw, e_rich, tail, order);
      /* docs/theory.md §10.3 printed values, 9 decimals: |diff| <= half a unit of the last digit */
      double pv = k == 0 ? P[i].pK : k == 1 ? P[i].pS : k == 3 ? P[i].pZ : NAN;
      if (!isnan(pv))
        check(fabs(cf - pv) <= 0.5e-9 + 1e-15, "%-14s (%g,%g): %.10f matches docs/theory.md §10.3 %.9f", name, P[i].xi,
              P[i].xip, cf, pv);
    }
  }
}

/* ---- 2. LMG Z (J form) ------------------------------------------------------------------ */

/* At moderate beta and energies away from the singular lines the printed forms lose at most
 * ~eps_ld / (distance ~0.1) ~ 1e-18; the kernels are double: tolerance 1e-13 (a few ulps of
 * a double result with some headroom).  T -> 0: at beta = 200 the finite-T corrections are
 * e^{-x} ~ e^{-60}, so the value must equal -1/(|xi|+|xi'|+Omega)^2 to rounding (1e-13). */
static void test_lmgZ(void)
{
  printf("# 2. printed forms (LMG Z: J~ and SCTK forms; LMG K: I and tanh forms), T -> 0, Z(0)/lambda\n");
  struct {
    double b, xi, xip, om;
  } P[] = {
    {10, 0.3, 0.5, 1},    {10, 0.05, 1.7, 1},   {3, 0.7, 0.2, 0.4},
    {7, -0.3, 0.9, 0.25}, {2, 1.3, -0.45, 0.6}, {5, 0.02, 0.03, 0.5},
  };
  for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
    double z = kref_lmg_Z(P[i].b, P[i].xi, P[i].xip, P[i].om);
    double zj = (double)lmgZ_printedJ(P[i].b, P[i].xi, P[i].xip, P[i].om);
    double zs = (double)lmgZ_sctk(P[i].b, P[i].xi, P[i].xip, P[i].om);
    check(rel(z, zj) <= 1e-13 && rel(z, zs) <= 1e-13 && z < 0,
          "Z^LMG beta=%g (%g,%g,%g) = %.15f: vs printed J~ %.1e, vs SCTK closed form %.1e", P[i].b, P[i].xi, P[i].xip,
          P[i].om, z, rel(z, zj), rel(z, zs));
    double k = kref_lmg_K(P[i].b, P[i].xi, P[i].xip, P[i].om);
    double ierr;
    double ki = (double)lmgK_from_I(P[i].b, P[i].xi, P[i].xip, P[i].om, &ierr);
    double kt = (double)lmgK_printed(P[i].b, P[i].xi, P[i].xip, P[i].om);
    check(rel(k, ki) <= 1e-13 + ierr && rel(k, kt) <= 1e-13,
          "K^LMG beta=%g (%g,%g,%g) = %.15f: vs printed I form %.1e (its rounding bound %.0e), "
          "vs tanh closed form %.1e",
          P[i].b, P[i].xi, P[i].xip, P[i].om, k, rel(k, ki), ierr, rel(k, kt));
  }
  double z0 = kref_lmg_Z(200, 0.3, 0.7, 0.5), lim = -1 / (1.5 * 1.5);
  check(rel(z0, lim) <= 1e-13, "Z^LMG beta=200 (0.3,0.7,0.5) = %.15f vs T=0 limit %.15f (rel %.1e)", z0, lim,
        rel(z0, lim));
  double zinf = kref_lmg_Z(INFINITY, -0.3, 0.7, 0.5);
  check(zinf == lim || rel(zinf, lim) <= 2 * DBL_EPSILON, "Z^LMG beta=INFINITY branch = %.17g = -1/(1.5)^2", zinf);
  double prev = INFINITY;
  int mono = 1;
  for (double b = 10; b <= 160; b *= 2) {
    double d = fabs(kref_lmg_Z(b, 0.3, 0.7, 0.5) - lim);
    if (!(d < prev)) mono = 0;
    prev = d;
  }
  check(mono, "Z^LMG(beta) approaches the T=0 value monotonically for beta = 10..160");

  /* Z(xi -> 0)/lambda for an Einstein mode and constant N: Z = -Omega int_0^inf dxi' 𝒵.
   * Simpson on xi' = Omega t/(1-t), 4000 intervals (the integrand varies on t ~ 1/(beta
   * Omega) >= 0.025 = 100 intervals: Simpson error ~1e-8).  docs/theory.md §3.3: J form ~0.8-0.95 lambda,
   * dI form ~1.8-1.9 lambda at beta Omega = 10-40 (approximate statements, checked loosely
   * against the ranges 0.8-0.96 and 1.8-1.96; the exact values are printed). */
  for (int dI = 0; dI < 2; dI++)
    for (double bz = 10; bz <= 40; bz *= 2) {
      const int M = 4000;
      ldbl s = 0;
      for (int i = 0; i <= M; i++) {
        ldbl t = (ldbl)i / M, g;
        if (i == M)
          g = -1; /* limit of 𝒵 * jacobian: -1/Omega */
        else {
          ldbl xp = t / (1 - t), jac = 1 / ((1 - t) * (1 - t));
          g = jac * (dI ? kref_spg_Z(bz, 1e-9, (double)xp, 1) : kref_lmg_Z(bz, 1e-9, (double)xp, 1));
        }
        s += (i == 0 || i == M ? 1 : (i % 2 ? 4 : 2)) * g;
      }
      double zl = (double)(-s / (3.0L * M));
      int ok = dI ? (zl > 1.8 && zl < 1.96) : (zl > 0.8 && zl < 0.96);
      check(ok, "Z(xi->0)/lambda, %s form, beta*Omega = %g: %.5f", dI ? "dI" : "J ", bz, zl);
    }
}

/* ---- 3. T -> 0 limits -------------------------------------------------------------------- */

static void test_zero_T(void)
{
  printf("# 3. T -> 0 limits\n");
  const kern_spg_gammas g388 = {1.33, 3.88, 1.33}, g = {1.33, 3.8, 1.33};
  double k = kref_lmg_K(60, 0.3, 0.7, 0.5), k0 = kref_lmg_K(INFINITY, 0.3, 0.7, 0.5);
  check(fabs(k - (-1.33333332)) <= 0.5e-8 && rel(k0, -2 / 1.5) <= 2 * DBL_EPSILON,
        "K^LMG beta=60 (0.3,0.7,0.5) = %.10f (docs/theory.md §10.3: -1.33333332); T=0 branch %.10f = -2/1.5", k, k0);
  double s = kref_spg_K(60, 0.3, 0.7, 0.5, g388), s0 = kref_spg_K(INFINITY, 0.3, 0.7, 0.5, g388);
  double W = 0.5, g1 = 1.33, g2 = 3.88, a = 0.3, bb = 0.7;
  double sf = -2 * g1 * g2 * W * (a + bb + (1 + g2) * W) / ((a + bb + W) * (bb + g2 * W) * (a + (1 + g2) * W));
  check(fabs(s - (-1.63604805)) <= 0.5e-8 && fabs(s0 - (-1.63604807)) <= 0.5e-8 && rel(s0, sf) <= 4 * DBL_EPSILON,
        "K^SPG(g2=3.88) beta=60 = %.10f (docs/theory.md §10.3: -1.63604805); T=0 branch %.10f (-1.63604807)", s, s0);
  check(rel(kref_spg_K(INFINITY, 0, 0, 0.5, g), -2 * 1.33 / 0.5) <= 4 * DBL_EPSILON &&
          rel(kref_spg_K(INFINITY, 0, 0, 0.5, g), 1.33 * kref_lmg_K(INFINITY, 0, 0, 0.5)) <= 4 * DBL_EPSILON,
        "K^SPG(T=0, xi=xi'=0) = -2 g1/Omega = g1 K^LMG");
  double zs = kref_spg_Z(INFINITY, 0.3, -0.7, 0.5);
  check(rel(zs, -1 / 2.25) <= 2 * DBL_EPSILON, "Z^dI T=0 branch = -1/(|xi|+|xi'|+Omega)^2");
  /* convergence of the finite-T kernels to the T=0 branches: at beta = 400 and all energies
   * >= 0.1 the corrections are below e^{-40} relative, the remaining difference is rounding
   * (tolerance 1e-13) */
  const double pts[][3] = {{0.3, 0.7, 0.5}, {0.1, 0.12, 0.2}, {0.45, 0.2, 0.25}, {1.1, 0.35, 0.75}};
  for (int i = 0; i < 4; i++) {
    double x = pts[i][0], y = pts[i][1], o = pts[i][2];
    double e1 = rel(kref_lmg_K(400, x, y, o), kref_lmg_K(INFINITY, x, y, o));
    double e2 = rel(kref_spg_K(400, x, y, o, g), kref_spg_K(INFINITY, x, y, o, g));
    double e3 = rel(kref_lmg_Z(400, x, y, o), kref_lmg_Z(INFINITY, x, y, o));
    double e4 = rel(kref_spg_Z(400, x, y, o), kref_spg_Z(INFINITY, x, y, o));
    check(e1 <= 1e-13 && e2 <= 1e-13 && e3 <= 1e-13 && e4 <= 1e-13,
          "beta=400 vs T=0 branch at (%g,%g,%g): K^LMG %.1e K^SPG %.1e Z^LMG %.1e Z^dI %.1e", x, y, o, e1, e2, e3, e4);
  }
}

/* ---- 4. removable singularities ------------------------------------------------------------ */

/* For each singular line, with a distance parameter d (relative), evaluate the reference at
 * d = 0 (exactly on the line, within one rounding of the inputs) and at d = 1e-2 .. 1e-6:
 *  (a) the value on the line is finite and equals an independent yardstick: the printed limit
 *      formula (docs/theory.md) where there is one (tolerance 1e-12: exact formulas, evaluated in
 *      long double), else the Richardson-extrapolated Matsubara sum (tolerance 1e-10, docs/theory.md §3.7);
 *  (b) continuity: |K(d) - K(0)| <= 2 s d + 1e-13 |K(0)| with the slope s measured at
 *      d = 1e-2, i.e. convergence at least linear down to rounding;
 *  (c) K(d) agrees with the printed general formula in long double, which loses ~eps_ld/d^m
 *      near the line (m = number of small factors that cancel: 1 for a simple pole or a 1/t_x,
 *      2 for the double poles of the SCTK form of 𝒵^LMG or for x, y -> 0 together, 3 where
 *      both meet): tolerance 1e-12 + 1e-17/d^m; for 𝒵^{∂I} the yardstick is a numerical
 *      derivative of the I form (rounding ~eps_ld x its ~1e2 internal cancellation / (beta h)
 *      ~ 1e-14, amplified by 1/t_x ~ 1/d on the line x -> 0): + 1e-12 + 1e-14/d there;
 *  (d) the optimised table gives the same values (tolerance 1e-12, section 5). */
typedef double (*kfun)(double, double, double, double);
static const kern_spg_gammas G_SPG = {1.33, 3.8, 1.33};
static double spgK38(double b, double x, double y, double o) { return kref_spg_K(b, x, y, o, G_SPG); }

enum { Y_NONE, Y_MATS, Y_KX0, Y_KX0Y0, Y_KX0YZ, Y_KLINE1, Y_KLINE2, Y_KLINE3, Y_ZX0, Y_ZX0YZ, Y_ZY0 };

static double tab_value(int fun, int isZ, double b, double xi, double xip, double om)
{
  kern_tab *t = NULL;
  double xr[1] = {xi}, xc[1] = {xip}, one[1] = {1}, out[1] = {NAN};
  int64_t j0[1] = {0};
  if (kern_tab_create((kern_functional)fun, b, 1, xr, xc, 1, &om, G_SPG, &t) != 0) return NAN;
  if (isZ)
    out[0] = kern_Z_row(t, 0, 1, j0, one, 1, one);
  else
    kern_K_row(t, 0, 1, j0, one, 1, out);
  kern_tab_destroy(&t);
  return out[0];
}

static void singular_line(const char *name, int kind /*0 LMG K,1 SPG K,2 LMG Z,3 dI Z*/, double b, double om,
                          double base, int line, int yard, int m)
{
  static const kfun F[4] = {kref_lmg_K, spgK38, kref_lmg_Z, kref_spg_Z};
  /* line geometry: returns (xi, xip) at relative distance d */
  double dist[6] = {0, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6}, K[6], xi[6], xip[6];
  for (int i = 0; i < 6; i++) {
    double d = dist[i], g2 = G_SPG.g2;
    switch (line) {
    case 0:
      xi[i] = d * om;
      xip[i] = base;
      break; /* x -> 0 */
    case 1:
      xi[i] = base;
      xip[i] = d * om;
      break; /* y -> 0 */
    case 2:
      xi[i] = d * om;
      xip[i] = d * om * 0.7;
      break; /* x, y -> 0 */
    case 3:
      xi[i] = base;
      xip[i] = (base + om) * (1 + d);
      break; /* y = x + z */
    case 4:
      xi[i] = base;
      xip[i] = (om - base) * (1 + d);
      break; /* x + y = z */
    case 5:
      xi[i] = (base + om) * (1 + d);
      xip[i] = base;
      break; /* x = y + z */
    case 6:
      xi[i] = d * om;
      xip[i] = om * (1 + 0.6 * d);
      break; /* x -> 0, y = z */
    case 7:
      xi[i] = base;
      xip[i] = g2 * om * (1 + d);
      break; /* y = g2 z */
    case 8:
      xi[i] = (g2 + 1) * om * (1 + d);
      xip[i] = base;
      break; /* x = (g2+1) z */
    default:
      xi[i] = (g2 - 1) * om * (1 + d);
      xip[i] = base;
      break; /* x = (g2-1) z */
    }
    K[i] = F[kind](b, xi[i], xip[i], om);
  }
  /* (a) value on the line vs an independent yardstick */
  double yv = NAN, ytol = 1e-12;
  switch (yard) {
  case Y_MATS: {
    double S1, S2;
    if (kind == 0) {
      S1 = kmats_lmg_K(b, xi[0], xip[0], om, 1500);
      S2 = kmats_lmg_K(b, xi[0], xip[0], om, 3000);
    } else if (kind == 1) {
      S1 = kmats_spg_K(b, xi[0], xip[0], om, G_SPG, 1500);
      S2 = kmats_spg_K(b, xi[0], xip[0], om, G_SPG, 3000);
    } else {
      S1 = kmats_dI_Z(b, xi[0], xip[0], om, 1500);
      S2 = kmats_dI_Z(b, xi[0], xip[0], om, 3000);
    }
    yv = S2 + (S2 - S1) / 7;
    ytol = 1e-10;
    break;
  }
  case Y_KX0: yv = (double)lmgK_x0(b, xip[0], om); break;
  case Y_KX0Y0: yv = (double)lmgK_x0(b, 0, om); break;
  case Y_KX0YZ: yv = (double)lmgK_x0_yz(b, om); break;
  case Y_KLINE1: yv = (double)lmgK_line(b, xi[0], xip[0], om, 1); break;
  case Y_KLINE2: yv = (double)lmgK_line(b, xi[0], xip[0], om, 2); break;
  case Y_KLINE3: yv = (double)lmgK_line(b, xi[0], xip[0], om, 3); break;
  case Y_ZX0: yv = (double)lmgZ_x0(b, xip[0], om); break;
  case Y_ZX0YZ: yv = (double)lmgZ_x0_yz(b, om); break;
  case Y_ZY0: yv = (double)lmgZ_y0(b, xi[0], om); break;
  default: break;
  }
  const char *kn[4] = {"K^LMG", "K^SPG", "Z^LMG", "Z^dI "};
  if (!isnan(yv))
    check(isfinite(K[0]) && rel(K[0], yv) <= ytol, "%s %-22s on the line: %.15f vs %s %.15f (rel %.1e)", kn[kind], name,
          K[0], yard == Y_MATS ? "Matsubara" : "printed limit", yv, rel(K[0], yv));
  else
    check(isfinite(K[0]), "%s %-22s on the line: finite, %.15f", kn[kind], name, K[0]);
  /* (b) continuity */
  double sl = fabs(K[1] - K[0]) / dist[1];
  int cont = 1;
  for (int i = 1; i < 6; i++)
    if (!(fabs(K[i] - K[0]) <= 2 * sl * dist[i] + 1e-13 * fabs(K[0]))) cont = 0;
  check(cont, "%s %-22s continuity: |K(d)-K(0)|/|K(0)| = %.1e %.1e %.1e %.1e %.1e (d = 1e-2..1e-6)", kn[kind], name,
        rel(K[1], K[0]), rel(K[2], K[0]), rel(K[3], K[0]), rel(K[4], K[0]), rel(K[5], K[0]));
  /* (c) printed general formula near the line */
  double worst = 0, wtol = 1e-12 + 1e-17 / pow(dist[1], m);
  for (int i = 1; i < 6; i++) {
    ldbl pv = kind == 0 ? lmgK_printed(b, xi[i], xip[i], om)
      : kind == 1       ? spgK_printed(b, xi[i], xip[i], om, G_SPG.g1, G_SPG.g2)
      : kind == 2       ? lmgZ_sctk(b, xi[i], xip[i], om)
                        : spgZ_printed(b, xi[i], xip[i], om);
    double e = rel(K[i], (double)pv), tol = 1e-12 + 1e-17 / pow(dist[i], m);
    if (kind == 3) tol += 1e-12 + (line == 0 ? 1e-14 / dist[i] : 0);
    if (!(e / tol <= worst / wtol)) {
      worst = e;
      wtol = tol;
    }
  }
  check(worst <= wtol, "%s %-22s vs printed general formula at d = 1e-2..1e-6: worst %.1e (tol %.1e)", kn[kind], name,
        worst, wtol);
  /* (d) table */
  double tw = 0;
  for (int i = 0; i < 6; i++) {
    double tv = tab_value(kind == 1 || kind == 3, kind >= 2, b, xi[i], xip[i], om);
    double e = rel(tv, K[i]);
    if (!(e <= tw)) tw = e;
  }
  check(tw <= 1e-12, "%s %-22s table vs reference on and near the line: worst %.1e", kn[kind], name, tw);
}

static void test_singular(void)
{
  printf("# 4. removable singularities (beta = 10, Omega = 0.3: z = 3)\n");
  const double b = 10, om = 0.3;
  /* LMG K */
  singular_line("x->0", 0, b, om, 0.37, 0, Y_KX0, 1);
  singular_line("y->0", 0, b, om, 0.37, 1, Y_MATS, 1);
  singular_line("x,y->0", 0, b, om, 0, 2, Y_KX0Y0, 2);
  singular_line("x-y+z=0", 0, b, om, 0.13, 3, Y_KLINE1, 1);
  singular_line("x+y-z=0", 0, b, om, 0.13, 4, Y_KLINE3, 1);
  singular_line("x=y+z", 0, b, om, 0.13, 5, Y_KLINE2, 1);
  singular_line("x->0,y=z", 0, b, om, 0, 6, Y_KX0YZ, 2);
  /* LMG Z */
  singular_line("x->0", 2, b, om, 0.37, 0, Y_ZX0, 1);
  singular_line("y->0", 2, b, om, 0.13, 1, Y_ZY0, 1);
  singular_line("x,y->0", 2, b, om, 0, 2, Y_NONE, 1);
  singular_line("x-y+z=0", 2, b, om, 0.13, 3, Y_NONE, 2);
  singular_line("x+y-z=0", 2, b, om, 0.13, 4, Y_NONE, 2);
  singular_line("x=y+z", 2, b, om, 0.13, 5, Y_NONE, 2);
  singular_line("x->0,y=z", 2, b, om, 0, 6, Y_ZX0YZ, 3);
  /* SPG K */
  singular_line("|xi'|=g2 Omega", 1, b, om, 0.13, 7, Y_MATS, 1);
  singular_line("xi-Omega=xi'", 1, b, om, 0.13, 5, Y_MATS, 1);
  singular_line("xi-Omega=-xi'", 1, b, om, 0.13, 4, Y_MATS, 1);
  singular_line("|xi|=(g2+1)Omega", 1, b, om, 0.21, 8, Y_MATS, 1);
  singular_line("|xi|=(g2-1)Omega", 1, b, om, 0.21, 9, Y_MATS, 1);
  singular_line("x->0", 1, b, om, 0.37, 0, Y_MATS, 1);
  singular_line("y->0", 1, b, om, 0.37, 1, Y_MATS, 1);
  /* Z dI */
  singular_line("xi-Omega=xi'", 3, b, om, 0.13, 5, Y_MATS, 1);
  singular_line("xi-Omega=-xi'", 3, b, om, 0.13, 4, Y_MATS, 1);
  singular_line("y=x+z", 3, b, om, 0.13, 3, Y_MATS, 1);
  singular_line("x->0", 3, b, om, 0.37, 0, Y_MATS, 1);

  /* Exactly representable resonances (binary-exact inputs: the nodes coincide exactly). */
  const struct {
    double b, xi, xip, om;
    const char *what;
  } R[] = {
    {8, 0.75, 0.5, 0.25, "xi - xi' = Omega"},
    {8, 0.125, 0.125, 0.25, "xi + xi' = Omega"},
    {8, 0.25, 0.5, 0.25, "xi' = xi + Omega"},
    {8, 0, 0.25, 0.25, "xi = 0, xi' = Omega"},
  };
  const kern_spg_gammas g4 = {1.25, 4.0, 1.25};
  for (int i = 0; i < 4; i++) {
    double k = kref_lmg_K(R[i].b, R[i].xi, R[i].xip, R[i].om);
    double kt = tab_value(0, 0, R[i].b, R[i].xi, R[i].xip, R[i].om);
    double S1 = kmats_lmg_K(R[i].b, R[i].xi, R[i].xip, R[i].om, 1500);
    double S2 = kmats_lmg_K(R[i].b, R[i].xi, R[i].xip, R[i].om, 3000);
    double z = kref_spg_Z(R[i].b, R[i].xi, R[i].xip, R[i].om);
    double Z1 = kmats_dI_Z(R[i].b, R[i].xi, R[i].xip, R[i].om, 1500);
    double Z2 = kmats_dI_Z(R[i].b, R[i].xi, R[i].xip, R[i].om, 3000);
    double zl = kref_lmg_Z(R[i].b, R[i].xi, R[i].xip, R[i].om);
    double zlt = tab_value(0, 1, R[i].b, R[i].xi, R[i].xip, R[i].om);
    double zn = kref_lmg_Z(R[i].b, R[i].xi, R[i].xip * (1 + 1e-7), R[i].om);
    check(isfinite(k) && isfinite(z) && isfinite(zl) && rel(k, S2 + (S2 - S1) / 7) <= 1e-10 &&
            rel(z, Z2 + (Z2 - Z1) / 7) <= 1e-10 && rel(kt, k) <= 1e-12 && rel(zlt, zl) <= 1e-12 && rel(zl, zn) <= 1e-6,
          "exact resonance %s: K^LMG %.15f (Matsubara %.1e, table %.1e), Z^dI %.15f (Matsubara %.1e), "
          "Z^LMG %.15f (table %.1e)",
          R[i].what, k, rel(k, S2 + (S2 - S1) / 7), rel(kt, k), z, rel(z, Z2 + (Z2 - Z1) / 7), zl, rel(zlt, zl));
  }
  /* SPG with gamma2 = 4: y = 4z, x = 5z, x = 3z exactly */
  const double RS[3][2] = {{0.125, 1.0}, {1.25, 0.125}, {0.75, 0.125}};
  for (int i = 0; i < 3; i++) {
    double k = kref_spg_K(8, RS[i][0], RS[i][1], 0.25, g4);
    double S1 = kmats_spg_K(8, RS[i][0], RS[i][1], 0.25, g4, 1500),
           S2 = kmats_spg_K(8, RS[i][0], RS[i][1], 0.25, g4, 3000);
    kern_tab *t = NULL;
    double xr[1] = {RS[i][0]}, xc[1] = {RS[i][1]}, one[1] = {1}, om1 = 0.25, out[1] = {NAN};
    int64_t j0[1] = {0};
    if (kern_tab_create(KERN_SPG, 8, 1, xr, xc, 1, &om1, g4, &t) == 0) {
      kern_K_row(t, 0, 1, j0, one, 1, out);
      kern_tab_destroy(&t);
    }
    check(isfinite(k) && rel(k, S2 + (S2 - S1) / 7) <= 1e-10 && rel(out[0], k) <= 1e-12,
          "exact SPG coincidence (g2 = 4) xi=%g xi'=%g Omega=0.25: %.15f (Matsubara %.1e, table %.1e)", RS[i][0],
          RS[i][1], k, rel(k, S2 + (S2 - S1) / 7), rel(out[0], k));
  }
}

/* ---- 5. optimised table vs reference ------------------------------------------------------ */

static uint64_t rng_state;
static double urand(void)
{
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

/* Tolerance 1e-12 relative: the table adds one node to precomputed DDs by Newton's recursion
 * and sends a pair to the Taylor fix-up once the estimated rounding amplification exceeds
 * 1000 (K) or 100 (Z), which bounds its error by ~10 eps * that factor; the reference is
 * accurate to ~1e-16.  Each row is checked as the mode-summed out[c] (K) and the
 * weighted row sum (Z) against the same sums of reference values. */
static void table_case(int fun, double beta, int nstate, int nmodes, int distinct_cols, int sing)
{
  double *xr = malloc(sizeof(double) * nstate), *xc = malloc(sizeof(double) * nstate);
  double *om = malloc(sizeof(double) * nmodes), *A = malloc(sizeof(double) * nstate * nmodes);
  double *out = malloc(sizeof(double) * nstate), *w = malloc(sizeof(double) * nstate);
  int64_t *j = malloc(sizeof(int64_t) * nstate);
  const double g2 = G_SPG.g2;
  for (int b = 0; b < nmodes; b++) om[b] = pow(10, -2.3 + 2.5 * urand());
  for (int k = 0; k < nstate; k++) {
    double x = pow(10, -9 + 9.7 * urand());
    if (sing) { /* put states on and near the singular sets of some mode */
      double O = om[(int)(urand() * nmodes)], d = (urand() < 0.5 ? 1 : -1) * pow(10, -15 + 14 * urand());
      int mode = (int)(urand() * 6);
      if (mode == 1)
        x = O * (1 + d);
      else if (mode == 2)
        x = (1 + g2) * O * (1 + d);
      else if (mode == 3)
        x = (g2 - 1) * O * (1 + d);
      else if (mode == 4)
        x = fabs(d) * O;
      else if (mode == 5)
        x = 0;
    }
    xr[k] = urand() < 0.5 ? -x : x;
  }
  for (int k = 0; k < nstate; k++) {
    double y = fabs(xr[k]);
    if (distinct_cols) y = sqrt(y * y + 1.33 * pow(10, -6 + 4 * urand())); /* E^gamma-like */
    if (sing && urand() < 0.6) {
      double O = om[(int)(urand() * nmodes)], x = fabs(xr[(int)(urand() * nstate)]);
      double d = (urand() < 0.5 ? 1 : -1) * pow(10, -15 + 14 * urand());
      int mode = (int)(urand() * 5);
      y = mode == 0 ? fabs(x - O) * (1 + d)
        : mode == 1 ? (x + O) * (1 + d)
        : mode == 2 ? g2 * O * (1 + d)
        : mode == 3 ? fabs(x - O)
                    : fabs(d) * O;
    }
    xc[k] = y;
  }
  for (int i = 0; i < nstate * nmodes; i++) A[i] = 0.2 + urand();
  for (int k = 0; k < nstate; k++) {
    j[k] = nstate - 1 - k;
    w[k] = 0.5 + urand();
  }

  kern_tab *t = NULL;
  int rc = kern_tab_create((kern_functional)fun, beta, nstate, xr, xc, nmodes, om, G_SPG, &t);
  double wK = 0, wZ = 0;
  for (int i = 0; rc == 0 && i < nstate; i++) {
    kern_K_row(t, i, nstate, j, A, nstate, out);
    double zrow = kern_Z_row(t, i, nstate, j, A, nstate, w), zref = 0;
    for (int c = 0; c < nstate; c++) {
      double kref = 0;
      for (int b = 0; b < nmodes; b++) {
        double a = A[b * nstate + c], col = xc[j[c]];
        kref +=
          a * (fun == KERN_LMG ? kref_lmg_K(beta, xr[i], col, om[b]) : kref_spg_K(beta, xr[i], col, om[b], G_SPG));
        zref +=
          w[c] * a * (fun == KERN_LMG ? kref_lmg_Z(beta, xr[i], col, om[b]) : kref_spg_Z(beta, xr[i], col, om[b]));
      }
      double e = rel(out[c], kref);
      if (!(e <= wK)) wK = e;
    }
    double e = rel(zrow, zref);
    if (!(e <= wZ)) wZ = e;
  }
  kern_tab_destroy(&t);
  check(rc == 0 && t == NULL && wK <= 1e-12 && wZ <= 1e-12,
        "table vs reference %s beta=%-8g %d states x %d modes%s%s: K worst %.1e, Z row worst %.1e",
        fun == KERN_LMG ? "LMG" : "SPG", beta, nstate, nmodes, distinct_cols ? ", xi_col != xi_row" : "",
        sing ? ", on/near singular sets" : "", wK, wZ);
  free(xr);
  free(xc);
  free(om);
  free(A);
  free(out);
  free(w);
  free(j);
}

static void test_table(void)
{
  printf("# 5. optimised table vs reference twins\n");
  const double betas[] = {0.5, 5, 40, 300, 3000, INFINITY};
  rng_state = 12345;
  for (int fun = 0; fun < 2; fun++)
    for (int bi = 0; bi < 6; bi++) {
      table_case(fun, betas[bi], 48, 3, 0, 0);
      table_case(fun, betas[bi], 48, 3, 1, 1);
    }
  /* row subsets: rows built only for a subset; other rows give zeros */
  {
    const int n = 40, nm = 3;
    double xi[40], om[3] = {0.02, 0.05, 0.08}, A[120], out[40], outf[40];
    int64_t j[40], rows[3] = {5, 17, 33};
    for (int k = 0; k < n; k++) {
      xi[k] = (k - 20) * 0.013 + 0.001;
      j[k] = k;
    }
    for (int k = 0; k < n * nm; k++) A[k] = 1.0 + 0.01 * k;
    kern_tab *full = NULL, *sub = NULL;
    int rc = kern_tab_create(KERN_SPG, 100, n, xi, xi, nm, om, G_SPG, &full) |
      kern_tab_create_rows(KERN_SPG, 100, n, xi, xi, nm, om, G_SPG, 3, rows, &sub);
    int same = rc == 0;
    for (int r = 0; same && r < 3; r++) {
      kern_K_row(full, rows[r], n, j, A, n, outf);
      kern_K_row(sub, rows[r], n, j, A, n, out);
      same = memcmp(out, outf, sizeof out) == 0 &&
        kern_Z_row(full, rows[r], n, j, A, n, A) == kern_Z_row(sub, rows[r], n, j, A, n, A);
    }
    kern_K_row(sub, 6, n, j, A, n, out);
    int zeros = 1;
    for (int c = 0; c < n; c++)
      if (out[c] != 0) zeros = 0;
    check(same && zeros && kern_Z_row(sub, 6, n, j, A, n, A) == 0,
          "kern_tab_create_rows: subset rows bit-identical to the full table, other rows zero");
    kern_tab_destroy(&full);
    kern_tab_destroy(&sub);
    check(full == NULL && sub == NULL, "kern_tab_destroy sets the pointer to NULL");
  }
  /* results independent of the number of OpenMP threads used by kern_tab_create */
  {
    const int n = 64, nm = 3;
    double xi[64], om[3] = {0.01, 0.04, 0.09}, A[192], o1[64], o2[64];
    int64_t j[64];
    for (int k = 0; k < n; k++) {
      xi[k] = (k % 2 ? 1 : -1) * 1e-5 * pow(1.2, k);
      j[k] = k;
    }
    for (int k = 0; k < n * nm; k++) A[k] = 1;
    int same = 1, nt0 = omp_get_max_threads();
    for (int fun = 0; fun < 2; fun++) {
      kern_tab *t1 = NULL, *t2 = NULL;
      omp_set_num_threads(1);
      int rc = kern_tab_create((kern_functional)fun, 300, n, xi, xi, nm, om, G_SPG, &t1);
      omp_set_num_threads(nt0 > 1 ? nt0 : 2);
      rc |= kern_tab_create((kern_functional)fun, 300, n, xi, xi, nm, om, G_SPG, &t2);
      for (int i = 0; rc == 0 && i < n; i++) {
        kern_K_row(t1, i, n, j, A, n, o1);
        kern_K_row(t2, i, n, j, A, n, o2);
        if (memcmp(o1, o2, sizeof o1) || kern_Z_row(t1, i, n, j, A, n, A) != kern_Z_row(t2, i, n, j, A, n, A)) same = 0;
      }
      if (rc) same = 0;
      kern_tab_destroy(&t1);
      kern_tab_destroy(&t2);
    }
    omp_set_num_threads(nt0);
    check(same, "tables built with 1 and %d OpenMP threads give bit-identical rows", nt0 > 1 ? nt0 : 2);
  }
  {
    double xi[2] = {0.1, 0.2}, om[1] = {-0.1};
    kern_tab *t = NULL;
    check(kern_tab_create(KERN_LMG, 10, 2, xi, xi, 1, om, G_SPG, &t) == -1 && t == NULL &&
            kern_tab_create(KERN_LMG, -1, 2, xi, xi, 1, om + 0, G_SPG, &t) == -1,
          "kern_tab_create rejects omega <= 0 and beta <= 0");
  }
}

/* ---- 6. symmetry and sign ------------------------------------------------------------------- */

static void test_symmetry(void)
{
  printf("# 6. symmetry and sign\n");
  rng_state = 777;
  double sym = 0, spgasym = 0;
  int neg = 1, even = 1;
  for (int it = 0; it < 300; it++) {
    double b = pow(10, -0.5 + 3 * urand()), x = pow(10, -4 + 4 * urand()), y = pow(10, -4 + 4 * urand());
    double o = pow(10, -2 + 2 * urand());
    double k1 = kref_lmg_K(b, x, y, o), k2 = kref_lmg_K(b, y, x, o);
    double s1 = kref_spg_K(b, x, y, o, G_SPG), s2 = kref_spg_K(b, y, x, o, G_SPG);
    double z1 = kref_lmg_Z(b, x, y, o), z2 = kref_spg_Z(b, x, y, o);
    sym = fmax(sym, rel(k2, k1));
    spgasym = fmax(spgasym, rel(s2, s1));
    if (!(k1 < 0 && s1 < 0 && z1 < 0 && z2 < 0)) neg = 0;
    if (kref_lmg_K(b, -x, y, o) != k1 || kref_lmg_K(b, x, -y, o) != k1 || kref_spg_K(b, -x, -y, o, G_SPG) != s1 ||
        kref_lmg_Z(b, -x, y, o) != z1 || kref_spg_Z(b, x, -y, o) != z2)
      even = 0;
  }
  /* the closed form is symmetric only up to rounding: 1e-14 */
  check(sym <= 1e-14, "K^LMG symmetric under xi <-> xi' (worst rel %.1e over 300 random points)", sym);
  check(spgasym > 1e-2, "K^SPG not symmetric under xi <-> xi' (largest rel difference %.2f)", spgasym);
  check(neg, "K^LMG, K^SPG, Z^LMG, Z^dI negative at 300 random points");
  check(even, "kernels even in xi and in xi' (bit-identical)");
  /* the table is symmetric for LMG with xi_col = xi_row to its accuracy (2e-12) */
  {
    const int n = 50;
    double xi[50], om[2] = {0.03, 0.07}, A[100], K[50][50];
    int64_t j[50];
    for (int k = 0; k < n; k++) {
      xi[k] = (k % 2 ? 1 : -1) * 1e-4 * pow(1.25, k);
      j[k] = k;
    }
    for (int k = 0; k < 2 * n; k++) A[k] = 1;
    kern_tab *t = NULL;
    double worst = 0;
    int negt = 1;
    if (kern_tab_create(KERN_LMG, 200, n, xi, xi, 2, om, G_SPG, &t) == 0) {
      for (int i = 0; i < n; i++) kern_K_row(t, i, n, j, A, n, K[i]);
      for (int i = 0; i < n; i++)
        for (int c = 0; c < n; c++) {
          worst = fmax(worst, rel(K[c][i], K[i][c]));
          if (!(K[i][c] < 0)) negt = 0;
        }
      kern_tab_destroy(&t);
    }
    check(worst <= 2e-12 && negt, "table K^LMG matrix symmetric (worst rel %.1e) and negative", worst);
  }
}


/* Column interpolation (kernels/kern_interp.c).  The tolerance: K is stored in float (relative
 * rounding 6e-8), so the interpolation must stay well below that; the analyticity argument in
 * kern_interp.c predicts ~rho^-8 ~ 1e-10 for K (double poles of Z: ~1e-9).  Checked with 1e-9
 * (K) and 1e-8 (Z) against the exact tables, which are themselves within 5e-13 of the twins. */
static void test_interp(void)
{
  /* 1. Lagrange weights reproduce a degree-7 polynomial on every panel (independent of kernels) */
  {
    kern_cgrid *g = NULL;
    int rc = kern_cgrid_create(1.0 / (8.617333262e-5 * 10), 0.002, 5.0, &g);
    double worst = 0;
    if (rc == 0) {
      const int nn = kern_cgrid_nnodes(g);
      const double *x = kern_cgrid_nodes(g);
      double u[400];
      int32_t off[400];
      double L[400 * KERN_CI_NP];
      for (int k = 0; k < 400; k++) u[k] = 5.0 * pow((k + 0.5) / 400.0, 5) * (k % 2 ? -1 : 1);
      u[0] = 0;
      u[1] = x[3];
      u[2] = 5.0;
      check(kern_cgrid_locate(g, 400, u, off, L) == 0, "kern_cgrid_locate: every |u| <= 5 eV inside a grid of %d nodes",
            nn);
      for (int k = 0; k < 400; k++) {
        const double *xn = x + off[k];
        /* p(v) = prod (v - c_m) over 7 points of the panel's own span: degree 7 */
        double lo = xn[KERN_CI_NP - 1], hi = xn[0], v = fabs(u[k]), pv = 1, pi = 0, sc = 1;
        for (int m = 0; m < 7; m++) {
          double cm = lo + (hi - lo) * m / 6.5;
          pv *= v - cm;
          sc *= hi - lo;
        }
        for (int q = 0; q < KERN_CI_NP; q++) {
          double pq = 1;
          for (int m = 0; m < 7; m++) pq *= xn[q] - (lo + (hi - lo) * m / 6.5);
          pi += L[(size_t)k * KERN_CI_NP + q] * pq;
        }
        worst = fmax(worst, fabs(pi - pv) / sc);
      }
      double big = 7.0;
      check(kern_cgrid_locate(g, 1, &big, off, L) == 1, "kern_cgrid_locate counts |u| beyond the grid");
    }
    check(rc == 0 && worst <= 1e-13, "Chebyshev panel weights reproduce degree-7 polynomials: worst %.1e (scaled)",
          worst);
    kern_cgrid_destroy(&g);
    check(g == NULL && kern_cgrid_create(-1, 0.01, 1, &g) == -1 && kern_cgrid_create(1, 0, 1, &g) == -1,
          "kern_cgrid_create rejects beta <= 0 and omega_min <= 0");
  }
  /* 2. interpolated kernels against the exact tables */
  const double kB = 8.617333262e-5, Ts[] = {0, 0.3, 5, 40, 300};
  const double om[4] = {0.0005, 0.015, 0.06, 0.13};
  enum { NR = 60, NC = 700, NM = 4 };
  static double xr[NR], xc[NC], ek[NM * NC], ez[NM * NC], A[NM * NC], ik[NC], tk[NM * 2000], tz[NM * 2000];
  static int64_t j[2000];
  static int32_t off[NC];
  static double L[NC * KERN_CI_NP];
  for (int k = 0; k < 2000; k++) j[k] = k;
  rng_state = 99;
  for (int i = 0; i < NR; i++) xr[i] = (i % 2 ? -1 : 1) * 5.0 * pow(urand(), 6);
  for (int c = 0; c < NC; c++) xc[c] = (c % 3 ? 1 : -1) * 5.0 * pow(urand(), 6);
  xr[0] = 0;
  xc[0] = 0;
  xc[1] = 5.0;
  for (int b = 0; b < 2; b++) {
    xc[2 + b] = fabs(xr[3]) + om[b + 1];
    xc[4 + b] = fabs(fabs(xr[5]) - om[b + 2]);
  }
  for (int fun = 0; fun < 2; fun++)
    for (int it = 0; it < 5; it++) {
      const double beta = Ts[it] > 0 ? 1 / (kB * Ts[it]) : INFINITY;
      kern_cgrid *g = NULL;
      kern_tab *te = NULL, *tn = NULL;
      int rc = kern_cgrid_create(beta, om[0], 5.0, &g);
      int nn = rc == 0 ? kern_cgrid_nnodes(g) : 0;
      rc |= nn > 2000;
      if (!rc)
        rc = kern_tab_create_rc((kern_functional)fun, beta, NR, xr, NC, xc, NM, om, G_SPG, NR, NULL, &te) |
          kern_tab_create_rc((kern_functional)fun, beta, NR, xr, nn, kern_cgrid_nodes(g), NM, om, G_SPG, NR, NULL, &tn);
      double wK = 0, wZ = 0, wS = 0;
      if (!rc) {
        (void)kern_cgrid_locate(g, NC, xc, off, L);
        for (int i = 0; i < NR; i++) {
          kern_K_row_modes(tn, i, nn, j, tk, nn);
          kern_Z_row_modes(tn, i, nn, j, tz, nn);
          kern_K_row_modes(te, i, NC, j, ek, NC);
          kern_Z_row_modes(te, i, NC, j, ez, NC);
          for (int b = 0; b < NM; b++) { /* one mode at a time: unit weights */
            for (int q = 0; q < NM * NC; q++) A[q] = (q / NC == b);
            kern_ci_K_row(NM, tk, nn, off, L, NC, j, A, NC, ik);
            for (int c = 0; c < NC; c++) {
              wK = fmax(wK, rel(ik[c], ek[b * NC + c]));
              double zc = kern_ci_Z_row(NM, tz, nn, off, L, 1, j + c, A + c, NC, &(double){1.0});
              wZ = fmax(wZ, rel(zc, ez[b * NC + c]));
            }
          }
          /* weighted sums over all modes and columns agree with the exact kern_Z_row */
          double w[NC];
          for (int c = 0; c < NC; c++) w[c] = 0.5 + urand();
          for (int q = 0; q < NM * NC; q++) A[q] = urand();
          double zi = kern_ci_Z_row(NM, tz, nn, off, L, NC, j, A, NC, w), ze = kern_Z_row(te, i, NC, j, A, NC, w);
          wS = fmax(wS, rel(zi, ze));
        }
      }
      check(!rc && wK <= 1e-9 && wZ <= 1e-8 && wS <= 1e-8,
            "column interpolation %s T = %5.1f K (%d nodes): K worst %.1e, Z worst %.1e, weighted Z row %.1e",
            fun ? "SPG" : "LMG", Ts[it], nn, wK, wZ, wS);
      kern_tab_destroy(&te);
      kern_tab_destroy(&tn);
      kern_cgrid_destroy(&g);
    }
}

int main(void)
{
  test_matsubara();
  test_lmgZ();
  test_zero_T();
  test_singular();
  test_table();
  test_symmetry();
  test_interp();
  return check_summary();
}
