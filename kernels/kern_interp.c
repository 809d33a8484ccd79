/* Column-energy interpolation of the pair kernels (see include/agape/kernels.h, "column
 * interpolation").
 *
 * Why it is exact to well below the float storage of K: at T > 0 every kernel of kernels.h
 * is, as a function of the column energy xi', analytic everywhere except on the imaginary
 * axis (its Matsubara forms are sums of 1/(omega_n'^2 + xi'^2) times xi'/t_xi'; the real-axis
 * "singularities" of the closed forms are removable).  At T = 0 the closed forms are rational
 * in u = |xi'| with poles at u <= -Omega_min.  On a panel [a, r a] the nearest singularity
 * therefore lies at least a away from the left end, i.e. at normalised distance
 * (r + 1)/(r - 1) from the panel centre, and Chebyshev interpolation with NP nodes converges
 * like rho^-NP with rho = d + sqrt(d^2 - 1) (d = 9, rho = 17.9 for r = 1.25).  The first panel
 * [0, a0] has a0 = CI_C0 min(pi k_B T, Omega_min): the singularities +-i pi k_B T (T > 0) and
 * -Omega_min (T = 0) then sit at |z| >= 8 in panel units.  tests/unit/test_kernels.c measures
 * the error against the exact tables over T = 0 ... 300 K, both functionals, K and Z.
 *
 * Pure numerics: no MPI, no I/O, no OpenMP regions (callers thread over rows). */
#include "agape/kernels.h"

#include <math.h>
#include <stdlib.h>

#define CI_RATIO 1.25 /* panel ratio r of the geometric panels */
#define CI_C0    0.25 /* first panel edge a0 = CI_C0 min(pi k_B T, Omega_min) */

struct kern_cgrid {
  int npanel;
  double a0, lr; /* first edge (eV); log(CI_RATIO) */
  double *edge;  /* npanel + 1 panel edges, eV: 0, a0, a0 r, a0 r^2, ... */
  double *node;  /* npanel * KERN_CI_NP nodes, eV */
};

static const double CI_PI = 3.14159265358979323846;

void kern_cgrid_destroy(kern_cgrid **gp)
{
  if (!gp || !*gp) return;
  free((*gp)->edge);
  free((*gp)->node);
  free(*gp);
  *gp = NULL;
}

int kern_cgrid_create(double beta, double omega_min, double umax, kern_cgrid **out)
{
  if (!out) return -1;
  *out = NULL;
  if (!(beta > 0) || !(omega_min > 0) || !(umax >= 0) || isinf(omega_min) || isinf(umax)) return -1;
  double a0 = omega_min;
  if (!isinf(beta) && CI_PI / beta < a0) a0 = CI_PI / beta;
  a0 *= CI_C0;
  const double lr = log(CI_RATIO);
  int np = 1;
  if (umax > a0) np = 2 + (int)floor(log(umax / a0) / lr);
  if (np > 100000) return -1;
  kern_cgrid *g = calloc(1, sizeof *g);
  if (!g) return -1;
  g->npanel = np;
  g->a0 = a0;
  g->lr = lr;
  g->edge = malloc(sizeof(double) * (size_t)(np + 1));
  g->node = malloc(sizeof(double) * (size_t)np * KERN_CI_NP);
  if (!g->edge || !g->node) {
    kern_cgrid_destroy(&g);
    return -1;
  }
  g->edge[0] = 0;
  for (int k = 1; k <= np; k++) g->edge[k] = a0 * exp((k - 1) * lr);
  for (int k = 0; k < np; k++) {
    double mid = 0.5 * (g->edge[k] + g->edge[k + 1]), half = 0.5 * (g->edge[k + 1] - g->edge[k]);
    for (int q = 0; q < KERN_CI_NP; q++)
      g->node[k * KERN_CI_NP + q] = mid + half * cos((2 * q + 1) * CI_PI / (2 * KERN_CI_NP));
  }
  *out = g;
  return 0;
}

int kern_cgrid_nnodes(const kern_cgrid *g) { return g->npanel * KERN_CI_NP; }
const double *kern_cgrid_nodes(const kern_cgrid *g) { return g->node; }
double kern_cgrid_umax(const kern_cgrid *g) { return g->edge[g->npanel]; }

int64_t kern_cgrid_locate(const kern_cgrid *g, int64_t n, const double *u, int32_t *off, double *L)
{
  int64_t bad = 0;
  double sw[KERN_CI_NP]; /* barycentric weights of the Chebyshev nodes (up to a factor) */
  for (int q = 0; q < KERN_CI_NP; q++) sw[q] = ((q & 1) ? -1.0 : 1.0) * sin((2 * q + 1) * CI_PI / (2 * KERN_CI_NP));
  for (int64_t k = 0; k < n; k++) {
    const double v = fabs(u[k]);
    int p;
    if (v < g->a0)
      p = 0;
    else {
      p = 1 + (int)floor(log(v / g->a0) / g->lr);
      if (p >= g->npanel) p = g->npanel - 1;
      while (p > 0 && v < g->edge[p]) p--; /* rounding of the log */
      while (p < g->npanel - 1 && v >= g->edge[p + 1]) p++;
    }
    if (!(v <= g->edge[g->npanel])) bad++; /* outside the grid (or NaN) */
    off[k] = p * KERN_CI_NP;
    double *l = L + (size_t)k * KERN_CI_NP, s = 0;
    const double *x = g->node + (size_t)p * KERN_CI_NP;
    int hit = -1;
    for (int q = 0; q < KERN_CI_NP; q++) {
      double d = v - x[q];
      if (d == 0) {
        hit = q;
        break;
      }
      double w = sw[q] / d;
      l[q] = w;
      s += w;
    }
    for (int q = 0; q < KERN_CI_NP; q++) l[q] = hit >= 0 ? (q == hit) : l[q] / s;
  }
  return bad;
}

/* Interpolated values of nc columns into val[c] (unweighted by wcol).  Four columns at a time:
 * four independent accumulator chains hide the latency of the mode loop's multiply-adds. */
static void ci_row(int nmodes, const double *tab, int64_t ldt, const int32_t *off, const double *L, int nc,
                   const int64_t *j, const double *a, int lda, double *val)
{
  const int NP = KERN_CI_NP;
  int c = 0;
  for (; c + 4 <= nc; c += 4) {
    const double *t0 = tab + off[j[c]], *t1 = tab + off[j[c + 1]];
    const double *t2 = tab + off[j[c + 2]], *t3 = tab + off[j[c + 3]];
    double v0[KERN_CI_NP] = {0}, v1[KERN_CI_NP] = {0}, v2[KERN_CI_NP] = {0}, v3[KERN_CI_NP] = {0};
    for (int b = 0; b < nmodes; b++) {
      const double *ab = a + (size_t)b * (size_t)lda + c;
      const size_t o = (size_t)b * (size_t)ldt;
      const double a0 = ab[0], a1 = ab[1], a2 = ab[2], a3 = ab[3];
#pragma omp simd
      for (int q = 0; q < NP; q++) {
        v0[q] += a0 * t0[o + q];
        v1[q] += a1 * t1[o + q];
        v2[q] += a2 * t2[o + q];
        v3[q] += a3 * t3[o + q];
      }
    }
    const double *l0 = L + (size_t)j[c] * NP, *l1 = L + (size_t)j[c + 1] * NP;
    const double *l2 = L + (size_t)j[c + 2] * NP, *l3 = L + (size_t)j[c + 3] * NP;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int q = 0; q < NP; q++) {
      s0 += l0[q] * v0[q];
      s1 += l1[q] * v1[q];
      s2 += l2[q] * v2[q];
      s3 += l3[q] * v3[q];
    }
    val[c] = s0;
    val[c + 1] = s1;
    val[c + 2] = s2;
    val[c + 3] = s3;
  }
  for (; c < nc; c++) {
    const double *tb = tab + off[j[c]], *l = L + (size_t)j[c] * NP;
    double v[KERN_CI_NP] = {0};
    for (int b = 0; b < nmodes; b++) {
      const double ab = a[(size_t)b * (size_t)lda + c], *tt = tb + (size_t)b * (size_t)ldt;
#pragma omp simd
      for (int q = 0; q < NP; q++) v[q] += ab * tt[q];
    }
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int q = 0; q < NP; q++) s += l[q] * v[q];
    val[c] = s;
  }
}

void kern_ci_K_row(int nmodes, const double *tab, int64_t ldt, const int32_t *off, const double *L, int nc,
                   const int64_t *j, const double *a, int lda, double *out)
{
  ci_row(nmodes, tab, ldt, off, L, nc, j, a, lda, out);
}

double kern_ci_Z_row(int nmodes, const double *tab, int64_t ldt, const int32_t *off, const double *L, int nc,
                     const int64_t *j, const double *a, int lda, const double *wcol)
{
  double sum = 0, val[256];
  for (int c0 = 0; c0 < nc; c0 += 256) {
    const int cn = nc - c0 < 256 ? nc - c0 : 256;
    ci_row(nmodes, tab, ldt, off, L, cn, j + c0, a + c0, lda, val);
    for (int c = 0; c < cn; c++) sum += wcol[c0 + c] * val[c];
  }
  return sum;
}
