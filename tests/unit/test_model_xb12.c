/* Unit tests of the built-in XB12 model (src/model_xb12.c): filling and Fermi level,
 * cubic symmetry and periodicity of bands and |g|^2, k<->k' symmetry, the optimised pair
 * coupling xb12_g2_row against its reference twin xb12_g2_ref and against an independent
 * evaluation written here, background DOS, and the calibration (lambda, rattler fraction,
 * McMillan Tc) on the documented test grid. Prints one line per check and a final
 * "N passed, M failed"; returns non-zero on failure. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/model_xb12.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586476925
#define EPS    2.220446049250313e-16

/* deterministic xorshift uniform in [0, 1) */
static double urand(unsigned long long *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (double)(*s >> 11) * 0x1.0p-53;
}

/* the 48 operations of O_h on crystal coordinates: permutation p, then signs */
static void cubic_op(int op, const double k[3], double out[3])
{
  static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  int p = op / 8, sg = op % 8;
  for (int a = 0; a < 3; a++) out[a] = ((sg >> a) & 1 ? -1.0 : 1.0) * k[perm[p][a]];
}

/* Independent |g|^2 written from the formulas of docs/model_xb12.md (not sharing code with
 * the model): q-forms from sin/cos of pi q, orbital channels from projectors. */
static void g2_doc(const double *u, const double *v, const double k[3], const double kp[3], double F[7], double M[3])
{
  double sq[3], cq2[3], y = 0;
  for (int a = 0; a < 3; a++) {
    sq[a] = sin(0.5 * TWO_PI * (kp[a] - k[a]));
    sq[a] *= sq[a];
    cq2[a] = 1.0 - sq[a];
    y += 2.0 * sq[a] / 6.0; /* (1 - cos 2 pi q)/6 = sin^2(pi q)/3 */
  }
  F[0] = 1;
  F[1] = y * (1 - y) * (1 - y);
  F[2] = 2 * y * y * (1 - y);
  F[3] = y * y * y;
  F[4] = sq[0] * cq2[1] * cq2[2] + sq[1] * cq2[0] * cq2[2] + sq[2] * cq2[0] * cq2[1];
  F[5] = y;
  F[6] = 1 - y / 2;
  /* A: |<u|v>|^2; E: sum over the two E partners (1,-1,0)/sqrt2, (1,1,-2)/sqrt6 of
   * (sum_a e_a u_a v_a)^2; T: sum over the 3 off-diagonal partners */
  double ov = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  double e1 = (u[0] * v[0] - u[1] * v[1]) / sqrt(2.0);
  double e2 = (u[0] * v[0] + u[1] * v[1] - 2 * u[2] * v[2]) / sqrt(6.0);
  M[0] = ov * ov;
  M[1] = e1 * e1 + e2 * e2;
  M[2] = 0;
  for (int a = 0; a < 3; a++)
    for (int b = a + 1; b < 3; b++) M[2] += (u[a] * v[b] + u[b] * v[a]) * (u[a] * v[b] + u[b] * v[a]);
}

static double tc_mcm(double lam, double wlog_K, double mu)
{
  return wlog_K / 1.2 * exp(-1.04 * (1.0 + lam) / (lam - mu * (1.0 + 0.62 * lam)));
}

/* electrons per cell (both spins) with xi < shift on a shifted (midpoint) n^3 grid */
static double count_electrons(const xb12_model *m, int n, double shift)
{
  int64_t cnt = 0;
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++)
      for (int c = 0; c < n; c++) {
        double k[3] = {(a + 0.5) / n, (b + 0.5) / n, (c + 0.5) / n}, xi[16];
        xb12_bands(m, k, xi);
        for (int q = 0; q < xb12_nbands(m); q++) cnt += xi[q] < shift;
      }
  return 2.0 * (double)cnt / ((double)n * n * n);
}

static void test_model(const char *name, double filling, double lam_target, double ratt_target, double tc_lo,
                       double tc_hi)
{
  char what[128];
  const int is_cs = strcmp(name, "CsB12") == 0;
  xb12_model *m = NULL;
  int rc = xb12_create(name, &m);
  snprintf(what, sizeof what, "%s: create", name);
  check(rc == 0 && m != NULL, "%s: xb12_create returns %d", what, rc);
  if (!m) return;
  const int nb = xb12_nbands(m), nm = xb12_nmodes(m), nf = xb12_nfeat(m);
  double lo, hi;
  xb12_band_range(m, &lo, &hi);
  const double W = hi - lo;

  /* ---- filling: independent point count on a fine shifted grid. The count error of an
   * n^3 midpoint grid is ~1e-3 electrons at n = 80 (measured: see docs); a shift of E_F by
   * 10 meV changes the count by 2 N(0) 0.01 ~ 0.04, so the test separates the two. */
  double n0 = xb12_dos0(m);
  double cnt = count_electrons(m, 80, 0.0);
  snprintf(what, sizeof what, "%s: electrons below E_F = filling", name);
  check(fabs(cnt - filling) < 4e-3 && fabs(xb12_filling(m) - filling) < 1e-14, "%s: count %.5f target %.1f", what, cnt,
        filling);
  double cp = count_electrons(m, 80, 0.01), cm = count_electrons(m, 80, -0.01);
  snprintf(what, sizeof what, "%s: count(+-10 meV) brackets filling, slope = 2 N(0)", name);
  check(cm < filling && cp > filling && fabs((cp - cm) / 0.04 - n0) < 0.05 * n0, "%s: dN/dE/2 %.4f, N(0) tetra %.4f",
        what, (cp - cm) / 0.04, n0);
  snprintf(what, sizeof what, "%s: band range contains E_F", name);
  check(lo < 0 && hi > 0 && W > 0.8 && W < 1.6, "%s: lo %.4f hi %.4f", what, lo, hi);

  /* ---- determinism of the creation */
  xb12_model *m2 = NULL;
  xb12_create(name, &m2);
  snprintf(what, sizeof what, "%s: E_F bitwise reproducible", name);
  check(m2 && xb12_fermi_level(m2) == xb12_fermi_level(m), "%s: %.15f %.15f", what, xb12_fermi_level(m),
        m2 ? xb12_fermi_level(m2) : NAN);
  xb12_destroy(&m2);
  snprintf(what, sizeof what, "%s: destroy sets NULL", name);
  check(m2 == NULL, "%s", what);

  unsigned long long seed = 0x9E3779B97F4A7C15ull;
  /* ---- bands: range, cubic symmetry, periodicity, Hamiltonian, features */
  double err_sym = 0, err_per = 0, err_ham = 0, outside = 0;
  for (int t = 0; t < 2000; t++) {
    double k[3] = {urand(&seed) - 0.5, urand(&seed) - 0.5, urand(&seed) - 0.5}, xi[16], xr[16];
    xb12_bands(m, k, xi);
    for (int q = 0; q < nb; q++) {
      if (xi[q] < lo - 1e-12) outside = fmax(outside, lo - xi[q]);
      if (xi[q] > hi + 1e-12) outside = fmax(outside, xi[q] - hi);
    }
    for (int op = 1; op < 48; op++) {
      double kr[3];
      cubic_op(op, k, kr);
      xb12_bands(m, kr, xr);
      for (int q = 0; q < nb; q++) err_sym = fmax(err_sym, fabs(xr[q] - xi[q]));
    }
    double kg[3] = {k[0] + 3, k[1] - 2, k[2] + 1};
    xb12_bands(m, kg, xr);
    for (int q = 0; q < nb; q++) err_per = fmax(err_per, fabs(xr[q] - xi[q]));
    double H[9], f[32];
    xb12_hamiltonian(m, k, H);
    for (int q = 0; q < nb; q++) {
      xb12_features(m, k, q, f);
      const double *u = f + 6;
      double nrm = u[0] * u[0] + u[1] * u[1] + u[2] * u[2];
      err_ham = fmax(err_ham, fabs(nrm - 1));
      for (int a = 0; a < 3; a++) {
        double hu = H[3 * a] * u[0] + H[3 * a + 1] * u[1] + H[3 * a + 2] * u[2];
        err_ham = fmax(err_ham, fabs(hu - xi[q] * u[a]));
        err_ham = fmax(err_ham, fabs(f[a] - cos(TWO_PI * k[a])) + fabs(f[3 + a] - sin(TWO_PI * k[a])));
      }
    }
  }
  const double etol = 64 * EPS * W; /* a few roundings of O(W) sums */
  snprintf(what, sizeof what, "%s: bands within [lo, hi]", name);
  check(outside == 0, "%s: max excess %.2e eV", what, outside);
  snprintf(what, sizeof what, "%s: bands invariant under the 48 cubic operations", name);
  check(err_sym < etol, "%s: max dev %.2e eV, tol %.1e", what, err_sym, etol);
  snprintf(what, sizeof what, "%s: bands periodic (k + G)", name);
  check(err_per < etol, "%s: max dev %.2e eV, tol %.1e", what, err_per, etol);
  snprintf(what, sizeof what, "%s: H u = xi u, |u| = 1, cos/sin features", name);
  check(err_ham < etol, "%s: max residual %.2e, tol %.1e", what, err_ham, etol);

  /* ---- couplings: symmetry, periodicity, twin and independent evaluation */
  enum { NS = 240 };
  double(*ks)[3] = malloc(sizeof(double[3]) * NS);
  int *bs = malloc(sizeof(int) * NS);
  double *feat = malloc(sizeof(double) * NS * nf);
  double *g2 = malloc(sizeof(double) * nm * NS), *g2t = malloc(sizeof(double) * nm * NS);
  int64_t *jall = malloc(sizeof(int64_t) * NS);
  for (int s = 0; s < NS; s++) {
    /* states near the Fermi surface (like the solver's) and some far from it */
    for (;;) {
      for (int a = 0; a < 3; a++) ks[s][a] = urand(&seed);
      bs[s] = (int)(urand(&seed) * nb);
      double xi[16];
      xb12_bands(m, ks[s], xi);
      if (fabs(xi[bs[s]]) < 0.1 || s % 4 == 0) break;
    }
    xb12_features(m, ks[s], bs[s], feat + (size_t)s * nf);
    jall[s] = NS - 1 - s; /* reversed order: arbitrary index lists */
  }
  double gmax = 0, err_twin = 0, err_doc = 0, err_sw = 0, err_csym = 0, err_cper = 0, gmin = 0;
  for (int i = 0; i < NS; i++) {
    xb12_g2_row(m, feat, i, NS, jall, g2);
    for (int c = 0; c < NS; c++) {
      int jj = (int)jall[c];
      double ref[16], refr[16];
      xb12_g2_ref(m, ks[i], bs[i], ks[jj], bs[jj], ref);
      for (int b = 0; b < nm; b++) {
        double v = g2[(size_t)b * NS + c];
        gmax = fmax(gmax, fabs(ref[b]));
        gmin = fmin(gmin, v);
        err_twin = fmax(err_twin, fabs(v - ref[b]));
      }
      if (c % 7 == 0) { /* cubic symmetry on a subset of pairs, all 48 operations */
        for (int op = 1; op < 48; op++) {
          double kr[3], kpr[3];
          cubic_op(op, ks[i], kr);
          cubic_op(op, ks[jj], kpr);
          xb12_g2_ref(m, kr, bs[i], kpr, bs[jj], refr);
          for (int b = 0; b < nm; b++) err_csym = fmax(err_csym, fabs(refr[b] - ref[b]));
        }
        double kg[3] = {ks[i][0] - 1, ks[i][1] + 2, ks[i][2] + 5}, kpg[3] = {ks[jj][0] + 1, ks[jj][1], ks[jj][2] - 3};
        xb12_g2_ref(m, kg, bs[i], kpg, bs[jj], refr);
        for (int b = 0; b < nm; b++) err_cper = fmax(err_cper, fabs(refr[b] - ref[b]));
      }
    }
    /* transpose check: row i, column j against row j, column i */
    for (int c = 0; c < NS; c++) {
      int jj = (int)jall[c];
      int64_t one = i;
      xb12_g2_row(m, feat, jj, 1, &one, g2t);
      for (int b = 0; b < nm; b++) err_sw = fmax(err_sw, fabs(g2t[b] - g2[(size_t)b * NS + c]));
    }
  }
  /* independent evaluation from the documented formulas (docs/model_xb12.md, mode table):
   * q-form and orbital channel of each mode as documented; G_nu by least squares over
   * all pairs; the residual must be at rounding level */
  static const int doc_q[12] = {1, 2, 3, 4, 5, 6, 5, 0, 0, 0, 0, 0};
  static const int doc_o[12] = {0, 0, 0, 0, 2, 0, 1, 2, 1, 0, 2, 1};
  double sfm[16] = {0}, sff[16] = {0};
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < NS; i++)
      for (int jj = 0; jj < NS; jj += 3) {
        double F[7], M[3], ref[16];
        g2_doc(feat + (size_t)i * nf + 6, feat + (size_t)jj * nf + 6, ks[i], ks[jj], F, M);
        xb12_g2_ref(m, ks[i], bs[i], ks[jj], bs[jj], ref);
        for (int b = 0; b < nm && b < 12; b++) {
          double fm = F[doc_q[b]] * M[doc_o[b]];
          if (pass == 0) {
            sfm[b] += fm * ref[b];
            sff[b] += fm * fm;
          } else
            err_doc = fmax(err_doc, fabs(sfm[b] / sff[b] * fm - ref[b]));
        }
      }
  /* |g|^2 is a product of a few O(1) sums of products: 64 roundings of gmax. The checks
   * that compare eigenvectors from different matrices (cubic images, k + G, the
   * independent formulas) allow 1e3 x more for eigenvector conditioning. */
  const double gtol = 64 * EPS * gmax;
  snprintf(what, sizeof what, "%s: |g|^2 >= 0", name);
  check(gmin >= 0, "%s: min %.2e eV^2", what, gmin);
  snprintf(what, sizeof what, "%s: g2_row == reference twin xb12_g2_ref", name);
  check(err_twin < gtol, "%s: max dev %.2e eV^2, tol %.1e", what, err_twin, gtol);
  snprintf(what, sizeof what, "%s: twin == independent formulas (docs)", name);
  check(err_doc < 1e3 * gtol, "%s: max dev %.2e eV^2, tol %.1e", what, err_doc, 1e3 * gtol);
  snprintf(what, sizeof what, "%s: g2 symmetric under (k,n) <-> (k',n')", name);
  check(err_sw < gtol, "%s: max dev %.2e eV^2, tol %.1e", what, err_sw, gtol);
  snprintf(what, sizeof what, "%s: g2 invariant under the 48 cubic operations", name);
  check(err_csym < 1e3 * gtol, "%s: max dev %.2e eV^2, tol %.1e", what, err_csym, 1e3 * gtol);
  snprintf(what, sizeof what, "%s: g2 periodic in k and k'", name);
  check(err_cper < 1e3 * gtol, "%s: max dev %.2e eV^2, tol %.1e", what, err_cper, 1e3 * gtol);
  /* separable form (xb12_sep_*): sum over its entries against g2_row, every pair. A pair
   * sums at most nent terms of size <= gmax: round-off below nent eps gmax. */
  {
    const int nfun = xb12_sep_nfun(m), nent = xb12_sep_nent(m);
    int *emode = malloc(sizeof(int) * nent), *er = malloc(sizeof(int) * nent), *erp = malloc(sizeof(int) * nent);
    double *ecoef = malloc(sizeof(double) * nent), *phi = malloc(sizeof(double) * (size_t)NS * nfun);
    xb12_sep_entries(m, emode, er, erp, ecoef);
    for (int s = 0; s < NS; s++) xb12_sep_phi(m, feat + (size_t)s * nf, phi + (size_t)s * nfun);
    double err_sep = 0, sg[16];
    for (int i = 0; i < NS; i++) {
      xb12_g2_row(m, feat, i, NS, jall, g2);
      for (int c = 0; c < NS; c++) {
        const double *pi = phi + (size_t)i * nfun, *pj = phi + (size_t)jall[c] * nfun;
        for (int b = 0; b < nm; b++) sg[b] = 0;
        for (int e = 0; e < nent; e++) sg[emode[e]] += ecoef[e] * pi[er[e]] * pj[erp[e]];
        for (int b = 0; b < nm; b++) err_sep = fmax(err_sep, fabs(sg[b] - g2[(size_t)b * NS + c]));
      }
    }
    snprintf(what, sizeof what, "%s: separable form (%d functions, %d entries) == g2_row", name, nfun, nent);
    check(err_sep < nent * EPS * gmax, "%s: max dev %.2e eV^2, tol %.1e", what, err_sep, nent * EPS * gmax);
    free(emode);
    free(er);
    free(erp);
    free(ecoef);
    free(phi);
  }
  /* the acoustic modes must vanish at q = 0 (intra-state pair) */
  xb12_g2_row(m, feat, 5, 1, (const int64_t[]){5}, g2);
  snprintf(what, sizeof what, "%s: acoustic coupling vanishes at q = 0", name);
  check(fabs(g2[0]) + fabs(g2[1]) + fabs(g2[2]) + fabs(g2[3]) < gtol, "%s: %.2e (tol %.1e)", what,
        fabs(g2[0]) + fabs(g2[1]) + fabs(g2[2]) + fabs(g2[3]), gtol);
  free(ks);
  free(bs);
  free(feat);
  free(g2);
  free(g2t);
  free(jall);

  /* ---- background DOS */
  double bmin, bmax;
  xb12_background_range(m, &bmin, &bmax);
  double inside = 0, nbelow = 0, nabove = 0, gapsum_lo = 0, gapsum_hi = 0;
  for (double x = lo; x <= hi; x += W / 1000) inside += fabs(xb12_background_dos(m, x));
  const double dx = 1e-4;
  for (double x = bmin - 1; x < lo; x += dx) nbelow += xb12_background_dos(m, x + 0.5 * dx) * dx;
  for (double x = hi; x < bmax + 1; x += dx) nabove += xb12_background_dos(m, x + 0.5 * dx) * dx;
  for (double x = lo - 0.25; x < lo; x += 0.001) gapsum_lo += xb12_background_dos(m, x);
  for (double x = hi; x < hi + 0.25; x += 0.001) gapsum_hi += xb12_background_dos(m, x);
  snprintf(what, sizeof what, "%s: background DOS zero inside the manifold", name);
  check(inside == 0 && gapsum_lo == 0 && gapsum_hi == 0, "%s: %.2e %.2e", what, inside, gapsum_lo + gapsum_hi);
  /* remote states per spin: B12^(q-) valence below (16 for Cs, 19 for La) */
  double expect_below = is_cs ? 16.0 : 19.0;
  snprintf(what, sizeof what, "%s: remote valence states per spin", name);
  check(fabs(nbelow - expect_below) < 1e-3, "%s: %.4f (expect %.0f)", what, nbelow, expect_below);
  /* the gap of the closed B12 shell: above E_F for CsB12, below for LaB12 */
  int gap_ok;
  if (is_cs)
    gap_ok = xb12_background_dos(m, hi + 1.4) == 0 && xb12_background_dos(m, hi + 3.0) > 0.5;
  else
    gap_ok = xb12_background_dos(m, lo - 1.4) == 0 && xb12_background_dos(m, lo - 3.0) > 0.5;
  snprintf(what, sizeof what, "%s: closed-shell gap >= 1.4 eV on the expected side", name);
  check(gap_ok, "%s: states above %.3f below %.3f", what, nabove, nbelow);

  /* ---- calibration on the documented test grid: ngrid 36 at sigma 0.03 and 0.06 eV,
   * extrapolated to sigma -> 0 like the calibration itself (ngrid 64, sigma 0.02/0.04).
   * docs/model_xb12.md lists the residual of this grid: < 0.05% in lambda, < 0.1% in N(0).
   * Tolerances: 0.5% for lambda and N(0) (ten times the grid residual; a 2% change of the
   * rattler or of any of the three strongest modes' prefactor fails), 0.005 for the rattler
   * fraction. */
  double a1[16], a2[16];
  double n01 = xb12_a2f_grid(m, 36, 0.03, a1);
  double n02 = xb12_a2f_grid(m, 36, 0.06, a2);
  const double *om = xb12_omega(m);
  double lam = 0, lg = 0, lam1 = 0, lr = 0;
  for (int b = 0; b < nm; b++) {
    double l = (4 * 2 * a1[b] / om[b] - 2 * a2[b] / om[b]) / 3;
    lam += l;
    lg += l * log(om[b]);
    lam1 += 2 * a1[b] / om[b];
    if (b == 3) lr = l;
  }
  double n0g = (4 * n01 - n02) / 3;
  /* the grid evaluation must not depend on the thread count (owner-computes rows, serial
   * final sum): one thread against the default */
  {
    double b1[16], b2[16];
    int nt = omp_get_max_threads();
    double d1 = xb12_a2f_grid(m, 20, 0.06, b1);
    omp_set_num_threads(nt > 1 ? 1 : 2);
    double d2 = xb12_a2f_grid(m, 20, 0.06, b2);
    omp_set_num_threads(nt);
    int same = d1 == d2;
    for (int b = 0; b < nm; b++) same = same && b1[b] == b2[b];
    snprintf(what, sizeof what, "%s: a2f_grid bitwise independent of thread count", name);
    check(same, "%s: N0 %.15f vs %.15f", what, d1, d2);
  }
  double wlog_K = exp(lg / lam) * 1e3 * 11.604518;
  double ratt = lr / lam;
  snprintf(what, sizeof what, "%s: N(0) grid (sigma -> 0) vs tetrahedra", name);
  check(fabs(n0g - n0) < 0.005 * n0, "%s: %.5f vs %.5f", what, n0g, n0);
  snprintf(what, sizeof what, "%s: lambda (sigma -> 0) within 0.5%% of target", name);
  check(fabs(lam - lam_target) < 0.005 * lam_target, "%s: %.5f target %.2f", what, lam, lam_target);
  snprintf(what, sizeof what, "%s: lambda at sigma 0.03 eV within 2%% of target", name);
  check(fabs(lam1 - lam_target) < 0.02 * lam_target, "%s: %.5f target %.2f", what, lam1, lam_target);
  snprintf(what, sizeof what, "%s: rattler fraction of lambda", name);
  check(fabs(ratt - ratt_target) < 0.005, "%s: %.4f target %.3f", what, ratt, ratt_target);
  double tc = tc_mcm(lam, wlog_K, 0.10);
  snprintf(what, sizeof what, "%s: McMillan Tc(mu*=0.1) in the paper's range", name);
  check(tc > tc_lo && tc < tc_hi, "%s: %.2f K (omega_log %.1f K)", what, tc, wlog_K);
  xb12_destroy(&m);
}

int main(void)
{
  xb12_model *m = NULL;
  check(xb12_create("NbSe2", &m) == -1 && m == NULL, "unknown model name rejected");
  check(xb12_create("csb12", &m) == 0 && m && strcmp(xb12_name(m), "CsB12") == 0, "model name is case-insensitive");
  xb12_destroy(&m);
  test_model("CsB12", 5.0, 1.5, 0.04, 70.0, 90.0);
  test_model("LaB12", 1.0, 0.7, 0.25, 8.0, 12.0);
  return check_summary();
}
