/* kern_tab.c - optimised per-temperature tables of the SCDFT phonon pair kernels.
 *
 * Place in the data flow: kernels/ layer; assembly builds one table per temperature
 * (kern_tab_create), then calls kern_K_row / kern_Z_row from its own OpenMP loop over rows;
 * tests/unit/test_kernels.c checks every value against the reference twins of kern_ref.c.
 *
 * Formulation: the same exact rewrite as kern_ref.c (read its header first).  In short, with
 * x = beta|xi|, y = beta|xi'|, z = beta Omega, w = gamma2 z, a1 = z - x, a2 = z + x,
 * p = a1^2, q = a2^2, Y = y^2, Z = z^2, W = w^2 and the Stieltjes functions
 * H(v) = tanh(u/2)/u, G(v) = u tanh(u/2) (u = sqrt v), every kernel is
 *
 *     value = pref * [ c1 Q(p) + c2 Q(q) + c3 Q(p,q) ]   (+ ex G[p,q,Y] for SPG's 𝒵^{∂I})
 *
 * with divided differences (DDs)  Q(p) = H[p,Y] (LMG K), H[p,W,Y] (SPG K), G[p,p,Y] (Z),
 * Q(p,q) = H[p,q,Y], H[p,q,W,Y], G[p,p,q,Y] + G[p,q,q,Y];  pref = 1/H(Y) for K, and c1..c3, ex
 * depend on the row and the mode only (small-x form for x < KT_XS, direct form otherwise,
 * c3 = 0; kern_ref.c explains why both forms are needed).
 *
 * Precomputed in create (O(n nmodes); all transcendental work happens here):
 *   per column state:  y, Y, H(Y), G(Y), m(y) = 1 - tanh(y/2), 1/Y, 1/H(Y) = y/t_y, and KT_NC
 *                      scaled Taylor coefficients of H and G about Y (used by the fix-up only);
 *   per mode:          z, Z, w, W, H(W), m(w), 1/t_z, n(z);
 *   per row state:     x, x/t_x, t_x, f(x), sech^2(x/2);
 *   per row x mode:    p, q, H(p), H(q), m(|a1|), m(a2) (tanh((z -+ x)/2) enters here), and
 *                      every DD among the nodes owned by the row and the mode: H[p,q]
 *                      (+ H[p,W], H[q,W], H[p,q,W] for SPG), G(p), G(q), G'(p), G'(q), G[p,q],
 *                      G[p,p,q], G[p,q,q]: 14 doubles per row and mode (17 for SPG).
 * Per pair and mode the row functions add the column node Y to these DDs: arithmetic only,
 * three reciprocals at most, in `omp simd` loops over blocks of KT_BLK columns whose column data
 * are gathered once per block and reused for all modes; no OpenMP region inside.
 *
 * Accuracy and the removable singularities (node coincidences: Y = p, Y = q, Y = W, p = q,
 * p = W, q = W and the repeated nodes of G):
 *   - x -> 0, y -> 0 need no branch: the 1/t_x and 1/t_y factors were removed exactly.
 *   - Row/mode groups (create): a DD is split over its widest pair; a group of nodes whose
 *     spread is below KT_TG (v_min + pi^2) (pi^2: distance to the nearest pole of H and G) is
 *     summed as a Taylor series about the best of the centres Z, W (per mode), X (per row,
 *     computed on first use) or else about its midpoint (coefficients computed on the spot);
 *     G[p,p] = G'(p) analytically.  Loss
 *     <= eps/KT_TG^2 ~ 1e-13 for the order-2 groups.
 *   - Pairs, first level (kt_first): F[r,Y] is formed from the exact factors (y - u)(y + u) of
 *     Y - r and the u-space DD of tanh, G[r,Y] = (T(y) + u T[u,y])/(y + u) (no cancellation;
 *     the rounding of T[u,y] is damped by m ~ 2 exp(-u)), H[r,Y] from Leibniz' rule
 *     H[L,S] = (G[L,S] - H(S))/L when max(Y,r) >= 4 and as the plain quotient below.  This
 *     removes the resonance amplification from the first level almost entirely for u >> 1.
 *   - Pairs, higher levels: each Newton step dividing by Y - r loses a factor
 *     e_r = (min(Y,r) + pi^2)/|Y - r|; where two orderings are possible the loop takes the one
 *     with the smaller estimated loss.  The loop estimates the total amplification of every
 *     chain it used; above KT_LAMBDA (K) or KT_LAMBDA_Z (Z) the pair goes to a scalar fix-up:
 *     nodes with e_r > KT_ENEAR are summed as a Taylor series about Y (a-priori truncated
 *     below 1e-17), the others are added by Newton's recursion (at most KT_ENEAR^3 = 64).
 *     Exact coincidences (e.g. an exactly resonant xi - xi' = Omega) are flagged (infinite or
 *     NaN estimate) and come out finite and accurate.
 *   - Net: <= ~5e-13 relative to the reference twins everywhere, including on and next to the
 *     singular sets (test_kernels.c checks 1e-12).  Fix-ups are rare: on a log energy grid at
 *     beta = 300/eV, ~0.1% of K pairs, ~1.4% of Z pairs (mostly small-x rows near y = z).
 *
 * beta == INFINITY: the T = 0 closed forms, per pair one division.
 * Limits: |beta xi| and beta Omega below ~1e150 (their squares must not overflow).
 */
#include "agape/kernels.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KT_NC       40     /* Taylor coefficients per centre (orders 0..39) */
#define KT_M        64     /* contour points for the coefficients */
#define KT_XS       1.0    /* small-x / direct form switch (dimensionless x) */
#define KT_TG       0.05   /* create-time cluster threshold (spread / (v_min + pi^2)) */
#define KT_RHO      0.05   /* accept a precomputed centre if max|v - c|/(c + pi^2) <= KT_RHO */
#define KT_ENEAR    4.0    /* fix-up: nodes r with e_r > KT_ENEAR are expanded about Y */
#define KT_LAMBDA   1000.0 /* fix-up trigger on the estimated error amplification (K) */
#define KT_LAMBDA_Z 100.0  /* the same for Z (its small-x combination cancels up to ~9x) */
#define KT_BLK      256    /* columns per block of the row loops (flag buffer on the stack) */

static const double KT_PI = 3.14159265358979323846;
static const double KT_PI2 = 9.86960440108935861883;

enum { FN_H = 0, FN_G = 1 };

/* max that propagates a NaN in its first argument (an amplification estimate is NaN only at
 * an exact coincidence, 0 * inf, where the pair must go to the fix-up). */
static inline double kt_max(double a, double b) { return (a > b || a != a) ? a : b; }
static inline double kt_min(double a, double b) { return a < b ? a : b; }

/* Row x mode record layout (doubles); SPG appends three fields. */
enum {
  RM_P,
  RM_Q,
  RM_HP,
  RM_HQ,
  RM_HPQ,
  RM_GP,
  RM_GQ,
  RM_GPP,
  RM_GQQ,
  RM_GPQ,
  RM_GPPQ,
  RM_GPQQ,
  RM_MP,
  RM_MQ, /* m = 1 - tanh(u/2) at u = |z - x|, z + x */
  RM_NLMG,
  RM_HPW = RM_NLMG,
  RM_HQW,
  RM_HPQW,
  RM_NSPG
};

struct kern_tab {
  kern_functional fun;
  double beta;  /* 1/eV; INFINITY selects T = 0 */
  int zero_t;   /* beta == INFINITY */
  int64_t n;    /* size of the row index space (global row indices are < n) */
  int64_t ncol; /* number of column energies */
  int nmodes;
  kern_spg_gammas g;
  /* columns, n entries each (T = 0: only cabs) */
  double *cabs;      /* |xi_col|, eV (T = 0) */
  double *cy, *cY;   /* y = beta |xi_col|, Y = y^2 */
  double *cHY, *cGY; /* H(Y), G(Y) */
  double *cmY;       /* m(y) = 1 - tanh(y/2) */
  double *ciYv;      /* 1/Y (inf for Y = 0) */
  double *ciy;       /* 1/H(Y) = y / tanh(y/2) */
  double *ccH, *ccG; /* n * KT_NC scaled Taylor coefficients c_j (Y + pi^2)^j of H, G about Y */
  /* modes, nmodes entries each */
  double *om;         /* Omega, eV */
  double *mz, *mZ;    /* z = beta Omega, z^2 */
  double *mw, *mW;    /* w = gamma2 z, W = w^2 */
  double *mHW, *mmw;  /* H(W), m(w) */
  double *mitz, *mnz; /* 1/tanh(z/2), n(z) = 1/expm1(z) */
  /* rows: slot s for global row i (slot == NULL: s = i) */
  int64_t nrows;
  int32_t *slot;
  double *rabs;                         /* |xi_row|, eV */
  double *rx, *rix, *rtx, *rfx, *rsech; /* x, x/t_x, t_x, f(x), sech^2(x/2) */
  int stride;                           /* RM_NLMG or RM_NSPG */
  double *rm;                           /* nrows * nmodes * stride */
};

/* ---- scalar special functions (create time) ------------------------------------------ */

/* H(u^2) = tanh(u/2)/u, u >= 0. */
static double kt_H_u(double u)
{
  if (u < 1e-4) {
    double v = u * u;
    return 0.5 + v * (-1.0 / 24 + v * (1.0 / 240));
  }
  return tanh(0.5 * u) / u;
}

/* m(u) = 1 - tanh(u/2) = 2/(1 + e^u), u >= 0, to full relative accuracy. */
static double kt_m(double u)
{
  double e = exp(-u);
  return 2.0 * e / (1.0 + e);
}

/* sech^2(u/2) = 1 - tanh^2(u/2), u >= 0, without cancellation. */
static double kt_sech2(double u)
{
  double e = exp(-u);
  return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

/* Scaled Taylor coefficients c_j R^j (R = c + pi^2, the radius of convergence; c_j the j-th
 * Taylor coefficient) of H and G about c >= 0, orders 0..KT_NC-1, from the Cauchy integral on
 * |zeta - c| = R/2 (trapezoid rule, KT_M points; aliasing 2^-64, rounding ~eps 2^j relative in
 * order j).  The scaling keeps every stored number O(F) for any c.  Either output may be NULL. */
static void kt_coeffs(double c, double *cH, double *cG)
{
  const double R = c + KT_PI2, r = 0.5 * R;
  double cs[KT_M], sn[KT_M], aH[KT_NC], aG[KT_NC];
  for (int k = 0; k <= KT_M / 4; k++) {
    cs[k] = cos(2 * KT_PI * k / KT_M);
    sn[k] = sin(2 * KT_PI * k / KT_M);
  }
  for (int k = KT_M / 4 + 1; k < KT_M; k++) { /* exact quarter-turn rotations */
    cs[k] = -sn[k - KT_M / 4];
    sn[k] = cs[k - KT_M / 4];
  }
  for (int j = 0; j < KT_NC; j++) aH[j] = aG[j] = 0;
  for (int k = 0; k <= KT_M / 2; k++) { /* F(conj zeta) = conj F(zeta): half the circle */
    double complex zeta = c + r * (cs[k] + I * sn[k]);
    double complex s = csqrt(zeta), Hc, Gc;
    if (cabs(s) < 1e-4) {
      Hc = 0.5 + zeta * (-1.0 / 24 + zeta * (1.0 / 240));
      Gc = zeta * Hc;
    } else {
      double complex t = ctanh(0.5 * s);
      double s2 = creal(s) * creal(s) + cimag(s) * cimag(s); /* |s| >= 1e-4: no scaling needed */
      Hc = t * conj(s) / s2;
      Gc = s * t;
    }
    double wk = (k == 0 || k == KT_M / 2) ? 1.0 : 2.0;
    for (int j = 0; j < KT_NC; j++) {
      int m = (j * k) % KT_M;
      aH[j] += wk * (creal(Hc) * cs[m] + cimag(Hc) * sn[m]);
      aG[j] += wk * (creal(Gc) * cs[m] + cimag(Gc) * sn[m]);
    }
  }
  double sj = 1.0 / KT_M; /* (R/r)^j / M = 2^j / M */
  for (int j = 0; j < KT_NC; j++) {
    if (cH) cH[j] = aH[j] * sj;
    if (cG) cG[j] = aG[j] * sj;
    sj *= R / r;
  }
}

/* R^-k sum_m co[k+m] h_m(d[0..nd-1]/R) : DD of order k over the nodes c + d[i] (and, when
 * nd = k, the centre itself), from the scaled Taylor coefficients co[] about c (R = c + pi^2);
 * h_m are the complete homogeneous symmetric polynomials. */
static double kt_taylor(const double *co, int k, int nd, const double *d, double R)
{
  double h[KT_NC];
  int mmax = KT_NC - 1 - k;
  h[0] = 1;
  for (int m = 1; m <= mmax; m++) h[m] = 0;
  for (int i = 0; i < nd; i++) {
    const double di = d[i] / R;
    for (int m = 1; m <= mmax; m++) h[m] += di * h[m - 1];
  }
  double s = 0;
  for (int m = mmax; m >= 0; m--) s += co[k + m] * h[m];
  for (int i = 0; i < k; i++) s /= R;
  return s;
}

/* ---- create-time robust DDs over the row/mode groups ---------------------------------- */

/* Taylor coefficients of H and G about the row node X = x^2, computed on first use and then
 * shared by all modes of the row (groups p ~ q ~ X occur for beta Omega << beta |xi|). */
typedef struct {
  double c;
  int done;
  double coH[KT_NC], coG[KT_NC];
} kt_lazy;

/* Candidate expansion centre: precomputed coefficients co, or lazy ones (co == NULL). */
typedef struct {
  double c;
  const double *co;
  kt_lazy *lazy;
} kt_centre;

/* DD of F over sorted nodes v[lo..hi] with values F[], derivatives dF[] (G only, for a
 * repeated pair).  Widest-pair split; Taylor for groups narrower than KT_TG (v + pi^2). */
static double kt_dd_rec(int fn, const double *v, const double *F, const double *dF, int lo, int hi,
                        const kt_centre *cand, int ncand)
{
  if (lo == hi) return F[lo];
  double s = v[hi] - v[lo];
  if (s > KT_TG * (v[lo] + KT_PI2))
    return (kt_dd_rec(fn, v, F, dF, lo + 1, hi, cand, ncand) - kt_dd_rec(fn, v, F, dF, lo, hi - 1, cand, ncand)) / s;
  if (s == 0 && hi == lo + 1 && fn == FN_G) return dF[lo];
  int best = -1;
  double rbest = KT_RHO;
  for (int k = 0; k < ncand; k++) {
    double c = cand[k].c;
    double rr = kt_max(fabs(v[lo] - c), fabs(v[hi] - c)) / (c + KT_PI2);
    if (rr <= rbest) {
      rbest = rr;
      best = k;
    }
  }
  double co[KT_NC], d[4], c;
  const double *cp;
  if (best >= 0 && !cand[best].co) { /* lazy centre: compute on first use */
    kt_lazy *lz = cand[best].lazy;
    if (!lz->done) {
      kt_coeffs(lz->c, lz->coH, lz->coG);
      lz->done = 1;
    }
    c = lz->c;
    cp = (fn == FN_H) ? lz->coH : lz->coG;
  } else if (best >= 0) {
    c = cand[best].c;
    cp = cand[best].co;
  } else { /* no precomputed centre close enough: midpoint */
    c = 0.5 * (v[lo] + v[hi]);
    if (fn == FN_H)
      kt_coeffs(c, co, NULL);
    else
      kt_coeffs(c, NULL, co);
    cp = co;
  }
  for (int i = lo; i <= hi; i++) d[i - lo] = v[i] - c;
  return kt_taylor(cp, hi - lo, hi - lo + 1, d, c + KT_PI2);
}

/* DD of F over nn <= 4 nodes (unsorted) with values and derivatives. */
static double kt_dd(int fn, int nn, const double *v0, const double *F0, const double *dF0, const kt_centre *cand,
                    int ncand)
{
  double v[4], F[4], dF[4];
  for (int i = 0; i < nn; i++) {
    int k = i;
    while (k > 0 && v[k - 1] > v0[i]) {
      v[k] = v[k - 1];
      F[k] = F[k - 1];
      dF[k] = dF[k - 1];
      k--;
    }
    v[k] = v0[i];
    F[k] = F0[i];
    dF[k] = dF0 ? dF0[i] : 0;
  }
  return kt_dd_rec(fn, v, F, dF, 0, nn - 1, cand, ncand);
}

/* Fill the record of row slot s and mode b; lz holds the row's lazy centre X. */
static void kt_fill_record(const kern_tab *t, int64_t s, int b, const double *cZH, const double *cZG, const double *cWH,
                           kt_lazy *lz, double *rec)
{
  const double x = t->rx[s], z = t->mz[b];
  const double a1 = z - x, a2 = z + x, u1 = fabs(a1);
  const double p = a1 * a1, q = a2 * a2;
  const double t1 = tanh(0.5 * u1), t2 = tanh(0.5 * a2);
  const double Hp = u1 < 1e-4 ? kt_H_u(u1) : t1 / u1, Hq = a2 < 1e-4 ? kt_H_u(a2) : t2 / a2;
  const double Gp = u1 * t1, Gq = a2 * t2;
  const double Gpp = 0.5 * Hp + 0.25 * kt_sech2(u1), Gqq = 0.5 * Hq + 0.25 * kt_sech2(a2);
  kt_centre cH[3] = {{t->mZ[b], cZH, NULL}, {lz->c, NULL, lz}, {t->mW[b], cWH, NULL}};
  kt_centre cG[2] = {{t->mZ[b], cZG, NULL}, {lz->c, NULL, lz}};
  const int nch = (t->fun == KERN_SPG) ? 3 : 2;

  rec[RM_P] = p;
  rec[RM_Q] = q;
  rec[RM_HP] = Hp;
  rec[RM_HQ] = Hq;
  rec[RM_GP] = Gp;
  rec[RM_GQ] = Gq;
  rec[RM_GPP] = Gpp;
  rec[RM_GQQ] = Gqq;
  rec[RM_MP] = kt_m(u1);
  rec[RM_MQ] = kt_m(a2);
  {
    double v[2] = {p, q}, F[2] = {Hp, Hq};
    rec[RM_HPQ] = kt_dd(FN_H, 2, v, F, NULL, cH, nch);
  }
  {
    double v[3] = {p, q, q}, F[3] = {Gp, Gq, Gq}, dF[3] = {Gpp, Gqq, Gqq};
    rec[RM_GPQ] = kt_dd(FN_G, 2, v, F, dF, cG, 2);
    rec[RM_GPQQ] = kt_dd(FN_G, 3, v, F, dF, cG, 2);
    double v2[3] = {p, p, q}, F2[3] = {Gp, Gp, Gq}, dF2[3] = {Gpp, Gpp, Gqq};
    rec[RM_GPPQ] = kt_dd(FN_G, 3, v2, F2, dF2, cG, 2);
  }
  if (t->fun == KERN_SPG) {
    const double W = t->mW[b], HW = t->mHW[b];
    double v[3] = {p, q, W}, F[3] = {Hp, Hq, HW};
    double vp[2] = {p, W}, Fp[2] = {Hp, HW}, vq[2] = {q, W}, Fq[2] = {Hq, HW};
    rec[RM_HPW] = kt_dd(FN_H, 2, vp, Fp, NULL, cH, 3);
    rec[RM_HQW] = kt_dd(FN_H, 2, vq, Fq, NULL, cH, 3);
    rec[RM_HPQW] = kt_dd(FN_H, 3, v, F, NULL, cH, 3);
  }
}

/* ---- create / destroy -------------------------------------------------------------------- */

void kern_tab_destroy(kern_tab **tp)
{
  if (!tp || !*tp) return;
  kern_tab *t = *tp;
  free(t->cabs);
  free(t->cy);
  free(t->cY);
  free(t->cHY);
  free(t->cGY);
  free(t->cmY);
  free(t->ciYv);
  free(t->ciy);
  free(t->ccH);
  free(t->ccG);
  free(t->om);
  free(t->mz);
  free(t->mZ);
  free(t->mw);
  free(t->mW);
  free(t->mHW);
  free(t->mmw);
  free(t->mitz);
  free(t->mnz);
  free(t->slot);
  free(t->rabs);
  free(t->rx);
  free(t->rix);
  free(t->rtx);
  free(t->rfx);
  free(t->rsech);
  free(t->rm);
  free(t);
  *tp = NULL;
}

static double *kt_alloc(size_t n) { return malloc((n ? n : 1) * sizeof(double)); }

/* The finite-temperature tables of t (per column, per mode, per row, per row x mode) from its
 * base data; columns xi_col[ncol] (eV), frequencies omega[nmodes] (eV). Returns 0, or -1 when
 * out of memory (t is then left for the caller to destroy). */
static int kt_fill_tables(kern_tab *t, const double *xi_col, const double *omega)
{
  const kern_functional functional = t->fun;
  const double beta = t->beta;
  const kern_spg_gammas gam = t->g;
  const int64_t ncol = t->ncol, nrows = t->nrows;
  const int nmodes = t->nmodes;
  const size_t nn = (size_t)ncol, nm = (size_t)nmodes, nr = (size_t)nrows;
  int ok;

  t->cy = kt_alloc(nn);
  t->cY = kt_alloc(nn);
  t->cHY = kt_alloc(nn);
  t->cGY = kt_alloc(nn);
  t->cmY = kt_alloc(nn);
  t->ciYv = kt_alloc(nn);
  t->ciy = kt_alloc(nn);
  t->ccH = kt_alloc(nn * KT_NC);
  t->ccG = kt_alloc(nn * KT_NC);
  t->mz = kt_alloc(nm);
  t->mZ = kt_alloc(nm);
  t->mw = kt_alloc(nm);
  t->mW = kt_alloc(nm);
  t->mHW = kt_alloc(nm);
  t->mmw = kt_alloc(nm);
  t->mitz = kt_alloc(nm);
  t->mnz = kt_alloc(nm);
  t->rx = kt_alloc(nr);
  t->rix = kt_alloc(nr);
  t->rtx = kt_alloc(nr);
  t->rfx = kt_alloc(nr);
  t->rsech = kt_alloc(nr);
  t->rm = kt_alloc(nr * nm * (size_t)t->stride);
  double *cZH = kt_alloc(nm * KT_NC), *cZG = kt_alloc(nm * KT_NC), *cWH = kt_alloc(nm * KT_NC);
  ok = t->cy && t->cY && t->cHY && t->cGY && t->cmY && t->ciYv && t->ciy && t->ccH && t->ccG && t->mz && t->mZ &&
    t->mw && t->mW && t->mHW && t->mmw && t->mitz && t->mnz && t->rx && t->rix && t->rtx && t->rfx && t->rsech &&
    t->rm && cZH && cZG && cWH;
  if (!ok) {
    free(cZH);
    free(cZG);
    free(cWH);
    return -1;
  }

  /* per mode */
  for (int b = 0; b < nmodes; b++) {
    double z = beta * omega[b], w = gam.g2 * z;
    t->mz[b] = z;
    t->mZ[b] = z * z;
    t->mw[b] = w;
    t->mW[b] = w * w;
    t->mHW[b] = kt_H_u(w);
    t->mmw[b] = kt_m(w);
    t->mitz[b] = 1.0 / tanh(0.5 * z);
    t->mnz[b] = 1.0 / expm1(z); /* 0 once expm1 overflows */
    kt_coeffs(t->mZ[b], cZH + (size_t)b * KT_NC, cZG + (size_t)b * KT_NC);
    if (functional == KERN_SPG) kt_coeffs(t->mW[b], cWH + (size_t)b * KT_NC, NULL);
  }
/* per column state: independent entries, any thread may own any k */
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < ncol; k++) {
    double y = beta * fabs(xi_col[k]), Y = y * y, H = kt_H_u(y);
    t->cy[k] = y;
    t->cY[k] = Y;
    t->cHY[k] = H;
    t->cGY[k] = y * tanh(0.5 * y);
    t->cmY[k] = kt_m(y);
    t->ciYv[k] = 1.0 / Y;
    t->ciy[k] = 1.0 / H;
    kt_coeffs(Y, t->ccH + (size_t)k * KT_NC, t->ccG + (size_t)k * KT_NC);
  }
  /* per row state */
  for (int64_t s = 0; s < nrows; s++) {
    double x = beta * t->rabs[s], e = exp(-x);
    t->rx[s] = x;
    t->rix[s] = 1.0 / kt_H_u(x);
    t->rtx[s] = tanh(0.5 * x);
    t->rfx[s] = e / (1.0 + e);
    t->rsech[s] = kt_sech2(x);
  }
/* per row x mode: each record written by exactly one iteration; the lazy centre is private
   * to the iteration that owns the row */
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t s = 0; s < nrows; s++) {
    kt_lazy lz;
    lz.c = t->rx[s] * t->rx[s];
    lz.done = 0;
    for (int b = 0; b < nmodes; b++)
      kt_fill_record(t, s, b, cZH + (size_t)b * KT_NC, cZG + (size_t)b * KT_NC, cWH + (size_t)b * KT_NC, &lz,
                     t->rm + ((size_t)s * nm + (size_t)b) * (size_t)t->stride);
  }
  free(cZH);
  free(cZG);
  free(cWH);
  return 0;
}

int kern_tab_create_rc(kern_functional functional, double beta, int64_t n, const double *xi_row, int64_t ncol,
                       const double *xi_col, int nmodes, const double *omega, kern_spg_gammas gam, int64_t nrows,
                       const int64_t *rows, kern_tab **out)
{
  if (!out) return -1;
  *out = NULL;
  if (n < 0 || ncol < 0 || nmodes < 0 || !(beta > 0) || (n > 0 && !xi_row) || (ncol > 0 && !xi_col) ||
      (nmodes > 0 && !omega) || (functional != KERN_LMG && functional != KERN_SPG))
    return -1;
  for (int b = 0; b < nmodes; b++)
    if (!(omega[b] > 0) || isinf(omega[b])) return -1;
  if (functional == KERN_SPG && !(gam.g2 > 0)) return -1;
  if (!rows) nrows = n;
  if (nrows < 0 || nrows > n || nrows > INT32_MAX) return -1;

  kern_tab *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->fun = functional;
  t->beta = beta;
  t->zero_t = isinf(beta) != 0;
  t->n = n;
  t->ncol = ncol;
  t->nmodes = nmodes;
  t->g = gam;
  t->nrows = nrows;
  t->stride = (functional == KERN_SPG) ? RM_NSPG : RM_NLMG;
  const size_t nn = (size_t)ncol, nm = (size_t)nmodes, nr = (size_t)nrows;
  int ok = 1;

  t->om = kt_alloc(nm);
  t->rabs = kt_alloc(nr);
  t->cabs = kt_alloc(nn);
  ok = t->om && t->rabs && t->cabs;
  if (ok && rows) {
    t->slot = malloc(((size_t)n ? (size_t)n : 1) * sizeof(int32_t));
    ok = t->slot != NULL;
    if (ok) {
      for (int64_t k = 0; k < n; k++) t->slot[k] = -1;
      for (int64_t s = 0; s < nrows; s++) {
        if (rows[s] < 0 || rows[s] >= n) {
          ok = 0;
          break;
        }
        t->slot[rows[s]] = (int32_t)s;
      }
    }
  }
  if (!ok) {
    kern_tab_destroy(&t);
    return -1;
  }
  for (int b = 0; b < nmodes; b++) t->om[b] = omega[b];
  for (int64_t s = 0; s < nrows; s++) t->rabs[s] = fabs(xi_row[rows ? rows[s] : s]);
  for (int64_t k = 0; k < ncol; k++) t->cabs[k] = fabs(xi_col[k]);
  if (t->zero_t) {
    *out = t;
    return 0;
  }
  if (kt_fill_tables(t, xi_col, omega) != 0) {
    kern_tab_destroy(&t);
    return -1;
  }
  *out = t;
  return 0;
}

int kern_tab_create_rows(kern_functional functional, double beta, int64_t n, const double *xi_row, const double *xi_col,
                         int nmodes, const double *omega, kern_spg_gammas gam, int64_t nrows, const int64_t *rows,
                         kern_tab **out)
{
  return kern_tab_create_rc(functional, beta, n, xi_row, n, xi_col, nmodes, omega, gam, nrows, rows, out);
}

int kern_tab_create(kern_functional functional, double beta, int64_t n, const double *xi_row, const double *xi_col,
                    int nmodes, const double *omega, kern_spg_gammas gam, kern_tab **out)
{
  return kern_tab_create_rows(functional, beta, n, xi_row, xi_col, nmodes, omega, gam, n, NULL, out);
}

/* ---- per-pair evaluation ------------------------------------------------------------------ */

/* Row slot of global row i, or -1 if the table was built without it. */
static int64_t kt_slot(const kern_tab *t, int64_t i)
{
  if (i < 0 || i >= t->n) return -1;
  return t->slot ? t->slot[i] : i;
}

/* Row/mode coefficients of value = c1 Q(p) + c2 Q(q) + c3 Q(p,q) (before the column factor),
 * pref: 2 beta (LMG K), -2 g1 g2^2 Z beta (SPG K), 2 beta^2 (Z). */
static void kt_coef(const kern_tab *t, int64_t s, int b, double pref, double *c1, double *c2, double *c3)
{
  const double x = t->rx[s], z = t->mz[b], a1 = z - x, a2 = z + x;
  if (x < KT_XS) {
    double ip = t->rix[s] * t->mitz[b];
    *c1 = pref * 0.5 * (ip + a1);
    *c2 = pref * 0.5 * (ip + a2);
    *c3 = pref * 2.0 * t->mZ[b] * ip;
  } else {
    double fx = t->rfx[s], nz = t->mnz[b], tx = t->rtx[s];
    *c1 = -pref * (fx + nz) * a1 / tx;
    *c2 = pref * ((1.0 - fx) + nz) * a2 / tx;
    *c3 = 0;
  }
}

/* Error-amplification factor max(1, (min(Y,r) + pi^2) |1/(Y - r)|) of one v-space Newton step
 * (inf for an exact coincidence). */
static inline double kt_amp(double Y, double r, double rinv)
{
  double e = ((Y < r ? Y : r) + KT_PI2) * fabs(rinv);
  return e > 1.0 ? e : 1.0;
}
#define KT_AMP(Y, r, rinv) kt_amp(Y, r, rinv)


/* First-level DDs of one row/mode node r = u^2 against the column node Y = y^2.
 * The node difference is taken as (y - u)(y + u) (exact factors), and
 *   G[r,Y] = (T(y) + u T[u,y]) / (y + u),  T[u,y] = (m(u) - m(y))/(y - u) >= 0, m = 1 - T,
 * a sum of non-negative terms: accurate to ~eps (1 + (1+u) m/|y-u|) however close y is to u,
 * the error of the T[u,y] part being damped by m ~ 2 exp(-u).  H follows from Leibniz'
 * rule for G = v H:  H[L,S] = (G[L,S] - H(S)) / L  (L = max(Y,r) >= 4: the subtraction loses
 * at most a factor ~3); below that the plain v-space quotient is used (amplification e). */
typedef struct {
  double r;  /* 1/(Y - r) */
  double e;  /* v-space amplification of a Newton step dividing by (Y - r) */
  double G1; /* G[r,Y] */
  double aG; /* its error amplification */
  double H1; /* H[r,Y] */
  double aH; /* its error amplification */
} kt_first_t;

static inline kt_first_t kt_first(double y, double Y, double HY, double mY, double iYv, double u, double v, double Hr,
                                  double mr, double ivr)
{
  kt_first_t f;
  const double d = y - u, sm = y + u, r = 1.0 / (d * sm);
  const double id = r * sm, is = r * d;
  const double TD = (mr - mY) * id;
  const double au = 1.0 + (1.0 + u) * kt_max(mr, mY) * fabs(id);
  const int big = kt_max(Y, v) >= 4.0;
  f.r = r;
  f.e = kt_amp(Y, v, r);
  f.G1 = ((1.0 - mY) + u * TD) * is;
  f.aG = au;
  f.H1 = big ? (f.G1 - (Y < v ? HY : Hr)) * kt_min(iYv, ivr) : (HY - Hr) * r;
  f.aH = big ? 3.0 * au : f.e;
  return f;
}

/* Scalar fix-up: DD of F over S u {Y}, S a subset (bit mask) of the group nodes r[] whose
 * own DDs are sdd[mask]; nodes with amplification e_r > KT_ENEAR (mask near; then
 * |r - Y| < (Y + pi^2)/KT_ENEAR) are summed as a Taylor series about Y (ratio <= 1/4, KT_NC
 * terms: truncation 0.25^36 C(39,3) < 1e-17), the others are added by Newton's recursion
 * (at most three steps of amplification <= KT_ENEAR each). */
typedef struct {
  double Y, FY;
  const double *co;  /* Taylor coefficients about Y */
  const double *r;   /* group nodes */
  const double *sdd; /* DDs over subsets of the group nodes, by mask */
  unsigned near;
  unsigned have; /* cache of Taylor sums by subset mask */
  double cache[16];
} kt_fix;

/* Terms needed after the leading one so that the a-priori tail bound
 * sum_{m>M} C(m+nd-1, nd-1) rho^m (valid because |c_{k+m}| <= |c_k| / (Y + pi^2)^m for the
 * Stieltjes functions H and G) is below 1e-17; rows: nd = 1..4 offsets, columns: rho <= 1/4,
 * 1/8, 1/16, 1/32, 1/64, 1/256, 1/4096, 1/65536. */
static const unsigned char KT_TERMS[4][8] = {{28, 18, 14, 11, 9, 7, 4, 3},
                                             {30, 20, 15, 12, 9, 7, 4, 3},
                                             {33, 21, 15, 12, 10, 7, 5, 3},
                                             {34, 22, 16, 13, 10, 7, 5, 3}};

/* Taylor sum of kt_taylor with a depth chosen from the actual expansion ratio. */
static double kt_taylor_adapt(const double *co, int k, int nd, const double *d, double R)
{
  static const double lim[8] = {0.25, 0.125, 0.0625, 0.03125, 0.015625, 1.0 / 256, 1.0 / 4096, 1.0 / 65536};
  double rho = 0, h[KT_NC], dr[4];
  for (int i = 0; i < nd; i++) {
    dr[i] = d[i] / R;
    rho = kt_max(rho, fabs(dr[i]));
  }
  int col = 0;
  while (col < 7 && rho <= lim[col + 1]) col++;
  int mmax = nd ? KT_TERMS[nd - 1][col] : 0;
  if (mmax > KT_NC - 1 - k) mmax = KT_NC - 1 - k;
  h[0] = 1;
  for (int m = 1; m <= mmax; m++) h[m] = 0;
  for (int i = 0; i < nd; i++)
    for (int m = 1; m <= mmax; m++) h[m] += dr[i] * h[m - 1];
  double sum = 0;
  for (int m = mmax; m >= 0; m--) sum += co[k + m] * h[m];
  for (int i = 0; i < k; i++) sum /= R;
  return sum;
}

static double kt_fix_dd(kt_fix *f, unsigned S)
{
  if (!S) return f->FY;
  unsigned F = S & ~f->near;
  if (!F) {
    if (f->have & (1u << S)) return f->cache[S];
    double d[4];
    int k = 0;
    for (int i = 0; i < 4; i++)
      if (S & (1u << i)) d[k++] = f->r[i] - f->Y;
    f->cache[S] = kt_taylor_adapt(f->co, k, k, d, f->Y + KT_PI2);
    f->have |= 1u << S;
    return f->cache[S];
  }
  int i = 0;
  while (!(F & (1u << i))) i++;
  return (kt_fix_dd(f, S & ~(1u << i)) - f->sdd[S]) / (f->Y - f->r[i]);
}

static unsigned kt_near_mask(double Y, const double *r, int m)
{
  unsigned near = 0;
  for (int i = 0; i < m; i++)
    if (KT_AMP(Y, r[i], 1.0 / (Y - r[i])) > KT_ENEAR) near |= 1u << i;
  return near;
}

/* Fixed-up value of the H family (K kernels) for one pair: c1 Q(p) + c2 Q(q) + c3 Q(p,q). */
static double kt_fix_K(const kern_tab *t, const double *rec, int b, int64_t jj, double c1, double c2, double c3)
{
  double r[4] = {rec[RM_P], rec[RM_Q], 0, 0}, sdd[16] = {0};
  const double Y = t->cY[jj];
  sdd[1] = rec[RM_HP];
  sdd[2] = rec[RM_HQ];
  sdd[3] = rec[RM_HPQ];
  unsigned Sp = 1u, Sq = 2u, Spq = 3u;
  int m = 2;
  if (t->fun == KERN_SPG) {
    r[2] = t->mW[b];
    m = 3;
    sdd[4] = t->mHW[b];
    sdd[5] = rec[RM_HPW];
    sdd[6] = rec[RM_HQW];
    sdd[7] = rec[RM_HPQW];
    Sp = 5u;
    Sq = 6u;
    Spq = 7u;
  }
  kt_fix f = {Y, t->cHY[jj], t->ccH + (size_t)jj * KT_NC, r, sdd, kt_near_mask(Y, r, m), 0, {0}};
  double v = c1 * kt_fix_dd(&f, Sp) + c2 * kt_fix_dd(&f, Sq);
  if (c3 != 0) v += c3 * kt_fix_dd(&f, Spq);
  return v;
}

/* Fixed-up value of the G family (Z kernels): nodes p, p, q, q (bits 0,1 = p; 2,3 = q). */
static double kt_fix_Z(const kern_tab *t, const double *rec, int64_t jj, double c1, double c2, double c3, double ex)
{
  double r[4] = {rec[RM_P], rec[RM_P], rec[RM_Q], rec[RM_Q]}, sdd[16] = {0};
  const double Y = t->cY[jj];
  sdd[1] = sdd[2] = rec[RM_GP];
  sdd[4] = sdd[8] = rec[RM_GQ];
  sdd[3] = rec[RM_GPP];
  sdd[12] = rec[RM_GQQ];
  sdd[5] = sdd[6] = sdd[9] = sdd[10] = rec[RM_GPQ];
  sdd[7] = sdd[11] = rec[RM_GPPQ];
  sdd[13] = sdd[14] = rec[RM_GPQQ];
  kt_fix f = {Y, t->cGY[jj], t->ccG + (size_t)jj * KT_NC, r, sdd, kt_near_mask(Y, r, 4), 0, {0}};
  double v = c1 * kt_fix_dd(&f, 3u) + c2 * kt_fix_dd(&f, 12u);
  if (c3 != 0) v += c3 * (kt_fix_dd(&f, 7u) + kt_fix_dd(&f, 13u));
  if (ex != 0) v += ex * kt_fix_dd(&f, 5u);
  return v;
}

/* Body of kern_K_row (PM = 0: out[c] = sum_b a[b][c] K_b) and kern_K_row_modes (PM = 1:
 * out[b*ldo + c] = K_b, unit weights, a unused); PM is a literal so each caller gets its own
 * specialised copy. */
#define KT_W(abb, c) (PM ? 1.0 : (abb)[c])
static inline __attribute__((always_inline)) void kt_K_row(const kern_tab *t, int64_t i, int nc, const int64_t *j,
                                                           const double *a, int lda, double *out, int64_t ldo,
                                                           const int PM)
{
  for (int b = 0; b < (PM ? t->nmodes : 1); b++)
    for (int c = 0; c < nc; c++) out[(size_t)b * (size_t)ldo + c] = 0;
  const int64_t s = kt_slot(t, i);
  if (s < 0 || nc <= 0) return;

  if (t->zero_t) {
    const double ax = t->rabs[s], g1 = t->g.g1, g2 = t->g.g2;
    for (int b = 0; b < t->nmodes; b++) {
      const double W = t->om[b], *ab = PM ? NULL : a + (size_t)b * (size_t)lda;
      double *o = PM ? out + (size_t)b * (size_t)ldo : out;
      if (t->fun == KERN_LMG) {
#pragma omp simd
        for (int c = 0; c < nc; c++) o[c] += KT_W(ab, c) * (-2.0 / (ax + t->cabs[j[c]] + W));
      } else {
#pragma omp simd
        for (int c = 0; c < nc; c++) {
          double ay = t->cabs[j[c]];
          o[c] += KT_W(ab, c) *
            (-2.0 * g1 * g2 * W * (ax + ay + (1 + g2) * W) / ((ax + ay + W) * (ay + g2 * W) * (ax + (1 + g2) * W)));
        }
      }
    }
    return;
  }

  const double x = t->rx[s];
  const int small = x < KT_XS, spg = (t->fun == KERN_SPG);
  /* Column blocks outer, modes inner: the column data are gathered once per block into
   * contiguous stack arrays and reused for every mode. */
  for (int c0 = 0; c0 < nc; c0 += KT_BLK) {
    const int cn = (nc - c0) < KT_BLK ? (nc - c0) : KT_BLK;
    const int64_t *jb = j + c0;
    double ly[KT_BLK], lY[KT_BLK], lHY[KT_BLK], lmY[KT_BLK], liYv[KT_BLK], liy[KT_BLK];
    unsigned char flag[KT_BLK];
    for (int c = 0; c < cn; c++) {
      const int64_t jj = jb[c];
      ly[c] = t->cy[jj];
      lY[c] = t->cY[jj];
      lHY[c] = t->cHY[jj];
      lmY[c] = t->cmY[jj];
      liYv[c] = t->ciYv[jj];
      liy[c] = t->ciy[jj];
    }
    for (int b = 0; b < t->nmodes; b++) {
      const double *rec = t->rm + ((size_t)s * (size_t)t->nmodes + (size_t)b) * (size_t)t->stride;
      const double *abb = PM ? NULL : a + (size_t)b * (size_t)lda + c0;
      double *ob = (PM ? out + (size_t)b * (size_t)ldo : out) + c0;
      const double z = t->mz[b], up = fabs(z - x), uq = z + x;
      const double p = rec[RM_P], q = rec[RM_Q], ipv = 1.0 / p, iqv = 1.0 / q;
      const double Hp = rec[RM_HP], Hq = rec[RM_HQ], Hpq = rec[RM_HPQ];
      const double mp = rec[RM_MP], mq = rec[RM_MQ];
      const double pref = spg ? -2.0 * t->g.g1 * t->g.g2 * t->g.g2 * t->mZ[b] * t->beta : 2.0 * t->beta;
      double c1, c2, c3;
      kt_coef(t, s, b, pref, &c1, &c2, &c3);
      if (!small) c3 = 0;
      int nbad = 0;
      if (!spg) {
/* LMG: value = iy [c1 H[p,Y] + c2 H[q,Y] + c3 H[p,q,Y]] */
#pragma omp simd reduction(+ : nbad)
        for (int c = 0; c < cn; c++) {
          const double y = ly[c], Y = lY[c], HY = lHY[c], mY = lmY[c], iYv = liYv[c];
          const kt_first_t P = kt_first(y, Y, HY, mY, iYv, up, p, Hp, mp, ipv);
          const kt_first_t Q = kt_first(y, Y, HY, mY, iYv, uq, q, Hq, mq, iqv);
          const double A = Q.aH * P.e, B = P.aH * Q.e; /* two Newton orders for H[p,q,Y] */
          const double Hpqy = A <= B ? (Q.H1 - Hpq) * P.r : (P.H1 - Hpq) * Q.r;
          const double v = c1 * P.H1 + c2 * Q.H1 + (small ? c3 * Hpqy : 0.0);
          const double amp = kt_max(kt_max(P.aH, Q.aH), small ? kt_min(A, B) : 1.0);
          const int bad = !(amp <= KT_LAMBDA);
          flag[c] = (unsigned char)bad;
          ob[c] += bad ? 0.0 : KT_W(abb, c) * liy[c] * v;
          nbad += bad;
        }
      } else {
        /* SPG: value = iy [c1 H[p,W,Y] + c2 H[q,W,Y] + c3 H[p,q,W,Y]]; W = (gamma2 z)^2 */
        const double w = t->mw[b], W = t->mW[b], HW = t->mHW[b], mw = t->mmw[b], iWv = 1.0 / W;
        const double HpW = rec[RM_HPW], HqW = rec[RM_HQW], HpqW = rec[RM_HPQW];
#pragma omp simd reduction(+ : nbad)
        for (int c = 0; c < cn; c++) {
          const double y = ly[c], Y = lY[c], HY = lHY[c], mY = lmY[c], iYv = liYv[c];
          const kt_first_t P = kt_first(y, Y, HY, mY, iYv, up, p, Hp, mp, ipv);
          const kt_first_t Q = kt_first(y, Y, HY, mY, iYv, uq, q, Hq, mq, iqv);
          const kt_first_t V = kt_first(y, Y, HY, mY, iYv, w, W, HW, mw, iWv);
          const double A1 = V.aH * P.e, B1 = P.aH * V.e;
          const double Hpwy = A1 <= B1 ? (V.H1 - HpW) * P.r : (P.H1 - HpW) * V.r;
          const double apw = kt_min(A1, B1);
          const double A2 = V.aH * Q.e, B2 = Q.aH * V.e;
          const double Hqwy = A2 <= B2 ? (V.H1 - HqW) * Q.r : (Q.H1 - HqW) * V.r;
          const double aqw = kt_min(A2, B2);
          const double A3 = aqw * P.e, B3 = apw * Q.e;
          const double Hpqwy = A3 <= B3 ? (Hqwy - HpqW) * P.r : (Hpwy - HpqW) * Q.r;
          const double v = c1 * Hpwy + c2 * Hqwy + (small ? c3 * Hpqwy : 0.0);
          const double amp = kt_max(kt_max(apw, aqw), small ? kt_min(A3, B3) : 1.0);
          const int bad = !(amp <= KT_LAMBDA);
          flag[c] = (unsigned char)bad;
          ob[c] += bad ? 0.0 : KT_W(abb, c) * liy[c] * v;
          nbad += bad;
        }
      }
      if (nbad)
        for (int c = 0; c < cn; c++)
          if (flag[c]) ob[c] += KT_W(abb, c) * liy[c] * kt_fix_K(t, rec, b, jb[c], c1, c2, c3);
    }
  }
}

void kern_K_row(const kern_tab *t, int64_t i, int nc, const int64_t *j, const double *a, int lda, double *out)
{
  kt_K_row(t, i, nc, j, a, lda, out, 0, 0);
}

void kern_K_row_modes(const kern_tab *t, int64_t i, int nc, const int64_t *j, double *out, int64_t ldo)
{
  kt_K_row(t, i, nc, j, NULL, 0, out, ldo, 1);
}

/* Body of kern_Z_row (PM = 0: returns sum_c wcol[c] sum_b a[b][c] Z_b) and kern_Z_row_modes
 * (PM = 1: out[b*ldo + c] = Z_b, unit weights, a and wcol unused). */
static inline __attribute__((always_inline)) double kt_Z_row(const kern_tab *t, int64_t i, int nc, const int64_t *j,
                                                             const double *a, int lda, const double *wcol, double *out,
                                                             int64_t ldo, const int PM)
{
  const int64_t s = kt_slot(t, i);
  if (PM)
    for (int b = 0; b < t->nmodes; b++)
      for (int c = 0; c < nc; c++) out[(size_t)b * (size_t)ldo + c] = 0;
  if (s < 0 || nc <= 0) return 0;
  double sum = 0;

  if (t->zero_t) {
    const double ax = t->rabs[s];
    for (int b = 0; b < t->nmodes; b++) {
      const double W = t->om[b], *ab = PM ? NULL : a + (size_t)b * (size_t)lda;
      if (PM) {
        double *o = out + (size_t)b * (size_t)ldo;
#pragma omp simd
        for (int c = 0; c < nc; c++) {
          double d = ax + t->cabs[j[c]] + W;
          o[c] = -1.0 / (d * d);
        }
      } else {
#pragma omp simd reduction(+ : sum)
        for (int c = 0; c < nc; c++) {
          double d = ax + t->cabs[j[c]] + W;
          sum += wcol[c] * ab[c] * (-1.0 / (d * d));
        }
      }
    }
    return sum;
  }

  const double x = t->rx[s];
  const int small = x < KT_XS, dI = (t->fun == KERN_SPG);
  const double b2 = t->beta * t->beta;
  for (int c0 = 0; c0 < nc; c0 += KT_BLK) { /* column blocks outer, as in kern_K_row */
    const int cn = (nc - c0) < KT_BLK ? (nc - c0) : KT_BLK;
    const int64_t *jb = j + c0;
    const double *wb = PM ? NULL : wcol + c0;
    double ly[KT_BLK], lY[KT_BLK], lHY[KT_BLK], lmY[KT_BLK], liYv[KT_BLK], val[KT_BLK];
    unsigned char flag[KT_BLK];
    for (int c = 0; c < cn; c++) {
      const int64_t jj = jb[c];
      ly[c] = t->cy[jj];
      lY[c] = t->cY[jj];
      lHY[c] = t->cHY[jj];
      lmY[c] = t->cmY[jj];
      liYv[c] = t->ciYv[jj];
    }
    for (int b = 0; b < t->nmodes; b++) {
      const double *rec = t->rm + ((size_t)s * (size_t)t->nmodes + (size_t)b) * (size_t)t->stride;
      const double *abb = PM ? NULL : a + (size_t)b * (size_t)lda + c0;
      const double z = t->mz[b], up = fabs(z - x), uq = z + x;
      const double p = rec[RM_P], q = rec[RM_Q], ipv = 1.0 / p, iqv = 1.0 / q;
      const double Hp = rec[RM_HP], Hq = rec[RM_HQ], mp = rec[RM_MP], mq = rec[RM_MQ];
      const double Gpp = rec[RM_GPP], Gqq = rec[RM_GQQ], Gpq = rec[RM_GPQ];
      const double Gppq = rec[RM_GPPQ], Gpqq = rec[RM_GPQQ];
      double c1, c2, c3;
      kt_coef(t, s, b, 2.0 * b2, &c1, &c2, &c3);
      if (!small) c3 = 0;
      /* dI form: + beta^2 (x/t_x) sech^2(x/2) z G[p,q,Y] */
      const double ex = dI ? b2 * t->rix[s] * t->rsech[s] * z : 0.0;
      int nbad = 0;
/* value = c1 G[p,p,Y] + c2 G[q,q,Y] + c3 (G[p,p,q,Y] + G[p,q,q,Y]) + ex G[p,q,Y] */
#pragma omp simd reduction(+ : nbad)
      for (int c = 0; c < cn; c++) {
        const double y = ly[c], Y = lY[c], HY = lHY[c], mY = lmY[c], iYv = liYv[c];
        const kt_first_t P = kt_first(y, Y, HY, mY, iYv, up, p, Hp, mp, ipv);
        const kt_first_t Q = kt_first(y, Y, HY, mY, iYv, uq, q, Hq, mq, iqv);
        const double Lp = (P.G1 - Gpp) * P.r, aLp = P.aG * P.e;
        const double Lq = (Q.G1 - Gqq) * Q.r, aLq = Q.aG * Q.e;
        const double A = Q.aG * P.e, B = P.aG * Q.e;
        const double Gpqy = A <= B ? (Q.G1 - Gpq) * P.r : (P.G1 - Gpq) * Q.r;
        const double apq = kt_min(A, B);
        const double A4 = apq * P.e, B4 = aLp * Q.e;
        const double Gppqy = A4 <= B4 ? (Gpqy - Gppq) * P.r : (Lp - Gppq) * Q.r;
        const double A5 = aLq * P.e, B5 = apq * Q.e;
        const double Gpqqy = A5 <= B5 ? (Lq - Gpqq) * P.r : (Gpqy - Gpqq) * Q.r;
        const double v = c1 * Lp + c2 * Lq + (small ? c3 * (Gppqy + Gpqqy) : 0.0) + (dI ? ex * Gpqy : 0.0);
        double amp = kt_max(aLp, aLq);
        if (dI) amp = kt_max(amp, apq);
        if (small) amp = kt_max(amp, kt_max(kt_min(A4, B4), kt_min(A5, B5)));
        const int bad = !(amp <= KT_LAMBDA_Z);
        flag[c] = (unsigned char)bad;
        val[c] = bad ? 0.0 : (PM ? v : wb[c] * abb[c] * v);
        nbad += bad;
      }
      if (nbad)
        for (int c = 0; c < cn; c++)
          if (flag[c]) val[c] = (PM ? 1.0 : wb[c] * abb[c]) * kt_fix_Z(t, rec, jb[c], c1, c2, c3, ex);
      if (PM)
        memcpy(out + (size_t)b * (size_t)ldo + c0, val, sizeof(double) * (size_t)cn);
      else
        for (int c = 0; c < cn; c++) sum += val[c];
    }
  }
  return sum;
}

double kern_Z_row(const kern_tab *t, int64_t i, int nc, const int64_t *j, const double *a, int lda, const double *wcol)
{
  return kt_Z_row(t, i, nc, j, a, lda, wcol, NULL, 0, 0);
}

void kern_Z_row_modes(const kern_tab *t, int64_t i, int nc, const int64_t *j, double *out, int64_t ldo)
{
  (void)kt_Z_row(t, i, nc, j, NULL, 0, NULL, out, ldo, 1);
}
