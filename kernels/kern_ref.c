/* kern_ref.c - reference twins of the SCDFT phonon pair kernels (docs/theory.md §3.1-3.6).
 *
 * Place in the data flow: kernels/ layer, below assembly. These scalar long-double functions
 * are the fixed yardstick against which the optimised per-temperature tables (kern_tab.c) are
 * tested; production code calls kern_tab_*, never these.
 *
 * ---------------------------------------------------------------------------------------------
 * Formulation (an exact rewrite of the forms of docs/theory.md §3.1-3.3; derivation summarised here, checked in
 * tests/unit/test_kernels.c against the Matsubara sums, the printed closed forms and limits).
 *
 * Dimensionless variables x = beta|xi|, y = beta|xi'|, z = beta*Omega, w = gamma2*z, and
 *   a1 = z - x,  a2 = z + x,   p = a1^2,  q = a2^2,  X = x^2,  Y = y^2,  Z = z^2,  W = w^2.
 * With T(u) = tanh(u/2) = 1 - 2 f(u) every Fermi-function divided difference of the printed
 * forms is a divided difference (DD) of T; T is odd, and for nodes that come in pairs +-y the DD
 * collapses to a DD in the squared variable v = u^2 of the two even functions
 *
 *     H(v) = tanh(u/2)/u  = sum_m 4/(v + w_m^2),          G(v) = v H(v) = u tanh(u/2),
 *
 * (w_m = (2m+1)pi: H is a Stieltjes function and G = sum_m 4v/(v + w_m^2); both are analytic
 * except for poles at v = -w_m^2 <= -pi^2, and their DDs of order k >= 1 have fixed signs),
 * e.g.  T[a, y, -y] = a H[a^2, Y],  T[a, +-y, +-w] = a H[a^2, Y, W],
 *       sum_{+-} T[a, +-y] = 2 G[a^2, Y],  sum_{+-} T[a, a, +-y] = 4 a G[a^2, a^2, Y].
 * Every kernel then has the form  prefactor * E  with, for an odd function Q(a) = a K(a^2),
 *
 *   E = [w+ Q(a2) - w- Q(a1)] / t_x                       ("direct" form, x >= x_s)
 *     = ix itz (K(p)+K(q))/2 + 2 Z ix itz K[p,q] + (a1 K(p) + a2 K(q))/2   ("small-x" form)
 *
 * where w- = f(x) + n(z), w+ = f(-x) + n(z), ix = x/t_x = 1/H(X), itz = 1/t_z.  The two forms
 * are algebraically identical.  The small-x form removes the 1/t_x singularity exactly (no
 * x -> 0 limit switch is needed); the direct form avoids the cancellation 1 - 1/(t_x t_z) of the
 * small-x form for x, z >> 1 (loss ~ z^3 at x = z without it).  The switch point is x_s = 2 here
 * (1 in the optimised table), where both forms lose less than a factor ~10.
 *
 *   K^LMG  = beta  * 2/H(Y)                    * E[ K = H[., Y] ]
 *   K^SPG  = beta  * (-2 g1 g2^2 Z)/H(Y)       * E[ K = H[., Y, W] ]
 *   Z^J    = beta^2 * 2                        * E[ K = G[., ., Y] ],  K[p,q] = G[p,p,q,Y]+G[p,q,q,Y]
 *   Z^dI   = Z^J + beta^2 * ix (1 - t_x^2) z G[p, q, Y]
 *
 * The factor 1/t_y has become 1/H(Y) = y/t_y (finite at y = 0): the ξ'->0 singularity is
 * removed exactly as well.
 *
 * Singular sets.  All remaining removable singularities are coincidences of DD nodes:
 *   p = q  (x = 0, or z = 0),  Y = p  (x + y = z  or  x = y + z),  Y = q  (y = x + z),
 *   Y = W  (y = gamma2 z),  p = W  (x = (1+gamma2) z),  q = W  (x = (gamma2-1) z),
 *   and repeated nodes by construction (G[p,p,Y]), plus their intersections (x = 0 and y = z ...).
 * They are all handled by one rule inside the DD evaluator ref_dd(): nodes are sorted, a DD is
 * split over its widest pair, and a group of nodes whose spread is below THETA (v_min + pi^2)
 * (pi^2 = distance of the nearest pole) is evaluated as a Taylor series of H or G about the
 * group's midpoint, with Taylor coefficients from a Cauchy contour integral (trapezoid rule on
 * the circle of radius (c + pi^2)/3, 40 points, complex long double).  This is not a limit
 * switch but a convergent expansion: ratio <= THETA/2 = 0.05, so the 21 terms kept for an
 * order-3 DD truncate at 0.05^21 * C(24,3) < 1e-24; coefficient aliasing is 3^-40.  Recursion
 * errors compound over the levels of a DD (a level whose spread is s loses a factor R/s), so
 * one threshold for all orders bounds the loss by eps_ld/THETA^3 ~ 1e-16.  A repeated node of
 * order 1 in G uses the analytic G'(v) = H/2 + sech^2(u/2)/4.  The result is accurate to ~1e-16
 * relative everywhere, including exactly on every singular set, before the cast to double.
 *
 * Overflow: only tanh, expm1 and exp(-u) of non-negative u are evaluated; n(z) = 1/expm1(z).
 * beta == INFINITY selects the T = 0 closed forms of docs/theory.md §3.4.
 */
#include "agape/kernels.h"

#include <complex.h>
#include <math.h>

typedef long double ldbl;

#define REF_THETA 0.1L /* cluster threshold: group spread / (v_min + pi^2) */
#define REF_NC    24   /* Taylor coefficients per cluster centre */
#define REF_M     40   /* contour points (radius (c + pi^2)/3: aliasing 3^-40 ~ 1e-19) */
#define REF_XS    2.0L /* small-x / direct switch (dimensionless x) */

static const ldbl PI_L = 3.141592653589793238462643383279502884L;
static const ldbl PI2_L = 9.869604401089358618834490999876151135L;

enum { FN_H = 0, FN_G = 1 };

/* H(u^2) = tanh(u/2)/u for u >= 0 (series below 1e-4, error < 1e-36). */
static ldbl ref_H_u(ldbl u)
{
  if (u < 1e-4L) {
    ldbl v = u * u;
    return 0.5L + v * (-1.0L / 24 + v * (1.0L / 240 - v * (17.0L / 40320)));
  }
  return tanhl(0.5L * u) / u;
}

/* G(u^2) = u tanh(u/2) for u >= 0. */
static ldbl ref_G_u(ldbl u) { return u * tanhl(0.5L * u); }

/* sech^2(u/2) = 1 - tanh^2(u/2) without cancellation, u >= 0. */
static ldbl ref_sech2(ldbl u)
{
  ldbl e = expl(-u);
  return 4.0L * e / ((1.0L + e) * (1.0L + e));
}

/* dG/dv at v = u^2:  G' = H/2 + sech^2(u/2)/4  (both terms positive). */
static ldbl ref_Gp_u(ldbl u) { return 0.5L * ref_H_u(u) + 0.25L * ref_sech2(u); }

/* Taylor coefficients out[j] = F^(j)(c)/j!, j < nc, of F = H or G about c >= 0, by the
 * trapezoid rule for the Cauchy integral on |zeta - c| = (c + pi^2)/3 (rounding ~eps 3^j
 * relative in order j, harmless since order j is weighted by (THETA/2)^(j-k)). */
static void ref_coeffs(int fn, ldbl c, int nc, ldbl *out)
{
  const ldbl R = c + PI2_L, r = R / 3;
  ldbl cs[REF_M], sn[REF_M], acc[REF_NC];
  const ldbl c1 = cosl(2 * PI_L / REF_M), s1 = sinl(2 * PI_L / REF_M);
  cs[0] = 1;
  sn[0] = 0;
  for (int k = 1; k < REF_M; k++) { /* roots of unity by rotation: error ~k eps_ld */
    cs[k] = cs[k - 1] * c1 - sn[k - 1] * s1;
    sn[k] = sn[k - 1] * c1 + cs[k - 1] * s1;
  }
  for (int j = 0; j < nc; j++) acc[j] = 0;
  for (int k = 0; k <= REF_M / 2; k++) { /* F(conj zeta) = conj F(zeta): half the circle */
    const ldbl wk = (k == 0 || k == REF_M / 2) ? 1 : 2;
    long double complex zeta = c + r * (cs[k] + I * sn[k]);
    long double complex s = csqrtl(zeta), F;
    if (cabsl(s) < 1e-4L) { /* F analytic at 0: series in zeta */
      long double complex h = 0.5L + zeta * (-1.0L / 24 + zeta * (1.0L / 240));
      F = (fn == FN_H) ? h : zeta * h;
    } else {
      long double complex t = ctanhl(0.5L * s);
      F = (fn == FN_H) ? t / s : s * t;
    }
    for (int j = 0; j < nc; j++) {
      int m = (j * k) % REF_M; /* e^{-i j theta_k} */
      acc[j] += wk * (creall(F) * cs[m] + cimagl(F) * sn[m]);
    }
  }
  ldbl rj = 1;
  for (int j = 0; j < nc; j++) {
    out[j] = acc[j] / (REF_M * rj);
    rj *= r;
  }
}

/* DD of F over the sorted nodes v[0..k] (k+1 nodes) by a Taylor series about their midpoint. */
static ldbl ref_taylor_dd(int fn, const ldbl *v, int k)
{
  ldbl c = 0.5L * (v[0] + v[k]), co[REF_NC], h[REF_NC];
  ref_coeffs(fn, c, REF_NC, co);
  int mmax = REF_NC - 1 - k;
  ldbl d = v[0] - c;
  h[0] = 1;
  for (int m = 1; m <= mmax; m++) h[m] = h[m - 1] * d; /* complete homogeneous h_m */
  for (int i = 1; i <= k; i++) {
    d = v[i] - c;
    for (int m = 1; m <= mmax; m++) h[m] += d * h[m - 1];
  }
  ldbl s = 0;
  for (int m = mmax; m >= 0; m--) s += co[k + m] * h[m];
  return s;
}

/* DD F[v[lo..hi]] over sorted nodes with values F[] (and G' where a node is repeated). */
static ldbl ref_dd_rec(int fn, const ldbl *v, const ldbl *F, const ldbl *dF, int lo, int hi)
{
  if (lo == hi) return F[lo];
  ldbl s = v[hi] - v[lo];
  if (s <= REF_THETA * (v[lo] + PI2_L)) {
    if (s == 0 && hi == lo + 1 && fn == FN_G) return dF[lo];
    return ref_taylor_dd(fn, v + lo, hi - lo);
  }
  return (ref_dd_rec(fn, v, F, dF, lo + 1, hi) - ref_dd_rec(fn, v, F, dF, lo, hi - 1)) / s;
}

/* DD of F = H or G over nn <= 4 nodes given as u = sqrt(v) >= 0 (any order, repeats allowed). */
static ldbl ref_dd(int fn, int nn, const ldbl *u)
{
  ldbl v[4], uu[4], F[4], dF[4];
  for (int i = 0; i < nn; i++) { /* insertion sort by u */
    int k = i;
    while (k > 0 && uu[k - 1] > u[i]) {
      uu[k] = uu[k - 1];
      k--;
    }
    uu[k] = u[i];
  }
  for (int i = 0; i < nn; i++) {
    v[i] = uu[i] * uu[i];
    F[i] = (fn == FN_H) ? ref_H_u(uu[i]) : ref_G_u(uu[i]);
    dF[i] = (fn == FN_G) ? ref_Gp_u(uu[i]) : 0;
  }
  return ref_dd_rec(fn, v, F, dF, 0, nn - 1);
}

typedef enum { RK_LMG_K, RK_SPG_K, RK_LMG_Z, RK_SPG_Z } ref_kind;

/* Finite-temperature kernel in the dimensionless form above; result in physical units. */
static ldbl ref_eval(ref_kind kind, ldbl beta, ldbl xi, ldbl xip, ldbl om, kern_spg_gammas g)
{
  const ldbl x = beta * fabsl(xi), y = beta * fabsl(xip), z = beta * om;
  const ldbl g1 = g.g1, g2 = g.g2, w = g2 * z, Z = z * z;
  const ldbl a1 = z - x, a2 = z + x, u1 = fabsl(a1);
  const int small = x < REF_XS;
  ldbl Qp, Qq, Qpq = 0, pref;

  switch (kind) {
  case RK_LMG_K: {
    ldbl n1[2] = {u1, y}, n2[2] = {a2, y}, n3[3] = {u1, a2, y};
    Qp = ref_dd(FN_H, 2, n1);
    Qq = ref_dd(FN_H, 2, n2);
    if (small) Qpq = ref_dd(FN_H, 3, n3);
    pref = beta * 2 / ref_H_u(y);
    break;
  }
  case RK_SPG_K: {
    ldbl n1[3] = {u1, y, w}, n2[3] = {a2, y, w}, n3[4] = {u1, a2, y, w};
    Qp = ref_dd(FN_H, 3, n1);
    Qq = ref_dd(FN_H, 3, n2);
    if (small) Qpq = ref_dd(FN_H, 4, n3);
    pref = beta * (-2 * g1 * g2 * g2 * Z) / ref_H_u(y);
    break;
  }
  default: { /* Z, J form and dI form share the J part */
    ldbl n1[3] = {u1, u1, y}, n2[3] = {a2, a2, y};
    ldbl n3[4] = {u1, u1, a2, y}, n4[4] = {u1, a2, a2, y};
    Qp = ref_dd(FN_G, 3, n1);
    Qq = ref_dd(FN_G, 3, n2);
    if (small) Qpq = ref_dd(FN_G, 4, n3) + ref_dd(FN_G, 4, n4);
    pref = beta * beta * 2;
    break;
  }
  }

  ldbl E;
  if (small) {
    ldbl ip = 1 / (ref_H_u(x) * tanhl(0.5L * z)); /* ix * itz */
    E = ip * 0.5L * (Qp + Qq) + 2 * Z * ip * Qpq + 0.5L * (a1 * Qp + a2 * Qq);
  } else {
    ldbl ex = expl(-x), fx = ex / (1 + ex), nz = 1 / expm1l(z);
    ldbl wm = fx + nz, wp = (1 - fx) + nz, tx = tanhl(0.5L * x);
    E = (wp * a2 * Qq - wm * a1 * Qp) / tx;
  }
  ldbl res = pref * E;

  if (kind == RK_SPG_Z) { /* d/dxi of f(xi): the extra term of the dI form */
    ldbl n5[3] = {u1, a2, y};
    res += beta * beta * (ref_sech2(x) / ref_H_u(x)) * z * ref_dd(FN_G, 3, n5);
  }
  return res;
}

/* Sanity of the arguments shared by the four twins: NaN for Omega <= 0 or beta <= 0. */
static int ref_bad(double beta, double xi, double xip, double omega)
{
  return !(omega > 0) || !(beta > 0) || isnan(xi) || isnan(xip) || isinf(omega);
}

/* T = 0 limit shared by both Z forms (J and ∂I): -1/(|xi|+|xi'|+Omega)^2, 1/energy^2. */
static double ref_z_t0(double xi, double xip, double omega)
{
  ldbl s = (ldbl)fabs(xi) + fabs(xip) + omega;
  return (double)(-1.0L / (s * s));
}

/* 𝒦^LMG(beta; xi, xi', Omega), 1/energy.  beta [in] 1/energy (INFINITY: T = 0);
 * xi, xip [in] energies (only |xi|, |xi'| enter); omega [in] phonon energy > 0. */
double kref_lmg_K(double beta, double xi, double xip, double omega)
{
  if (ref_bad(beta, xi, xip, omega)) return NAN;
  if (isinf(beta)) return (double)(-2.0L / ((ldbl)fabs(xi) + fabs(xip) + omega));
  kern_spg_gammas g = {0, 0, 0};
  return (double)ref_eval(RK_LMG_K, beta, xi, xip, omega, g);
}

/* 𝒵^LMG (J form, LMG Eqs. 79-81 with the minus of docs/theory.md §3.2), 1/energy^2, negative;
 * arguments as kref_lmg_K.  T = 0: -1/(|xi|+|xi'|+Omega)^2. */
double kref_lmg_Z(double beta, double xi, double xip, double omega)
{
  if (ref_bad(beta, xi, xip, omega)) return NAN;
  if (isinf(beta)) return ref_z_t0(xi, xip, omega);
  kern_spg_gammas g = {0, 0, 0};
  return (double)ref_eval(RK_LMG_Z, beta, xi, xip, omega, g);
}

/* 𝒦^SPG (linearised in the k' gap, docs/theory.md §3.3), 1/energy; g = (gamma1, gamma2, gamma3),
 * gamma3 unused here (it enters through the caller's xi' = E^gamma).  T = 0: the SCTK form
 * -2 g1 g2 W (|xi|+|xi'|+(1+g2)W) / [(|xi|+|xi'|+W)(|xi'|+g2 W)(|xi|+(1+g2)W)], W = Omega. */
double kref_spg_K(double beta, double xi, double xip, double omega, kern_spg_gammas g)
{
  if (ref_bad(beta, xi, xip, omega)) return NAN;
  if (isinf(beta)) {
    ldbl a = fabs(xi), b = fabs(xip), W = omega, g1 = g.g1, g2 = g.g2;
    return (double)(-2 * g1 * g2 * W * (a + b + (1 + g2) * W) / ((a + b + W) * (b + g2 * W) * (a + (1 + g2) * W)));
  }
  return (double)ref_eval(RK_SPG_K, beta, xi, xip, omega, g);
}

/* 𝒵^{∂I} (LMG Eq. 78, used by SPG), 1/energy^2, negative.  T = 0: -1/(|xi|+|xi'|+Omega)^2,
 * valid for xi != 0 (the extra peak of width k_B T at xi = 0 collapses onto the excluded
 * point xi = 0). */
double kref_spg_Z(double beta, double xi, double xip, double omega)
{
  if (ref_bad(beta, xi, xip, omega)) return NAN;
  if (isinf(beta)) return ref_z_t0(xi, xip, omega);
  kern_spg_gammas g = {0, 0, 0};
  return (double)ref_eval(RK_SPG_Z, beta, xi, xip, omega, g);
}
