/* Built-in XB12 superatomic-crystal model (CsB12, LaB12): a three-orbital tight-binding
 * manifold of B12 "t2-like" molecular orbitals on the simple-cubic lattice, a remote-band
 * background DOS, twelve fixed-frequency phonon modes and a k-, k'- and orbital-dependent
 * |g|^2. Part of the "material" stage of the data flow:
 *   deck -> material (this file, via material.c) -> sampling -> coulomb -> assembly -> solve.
 * Pure functions: no MPI, no I/O, no globals. Conventions and units: model_xb12.h;
 * formulas, parameters and calibration: docs/model_xb12.md. */
#include "agape/model_xb12.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XB12_NORB     3   /* orbitals = bands of the tight-binding manifold */
#define XB12_NMODES   12  /* fixed phonon frequencies */
#define XB12_NFEAT    9   /* per-state features: cos(2 pi k_i), sin(2 pi k_i), u_a */
#define XB12_SEP_M    8   /* DFT grid per axis of the q-forms' Fourier coefficients (> 2 x 3) */
#define XB12_SEP_MAXQ 171 /* wave vectors n in the half space of {-3..3}^3 */
#define XB12_SEP_NORB 6   /* orbital products u0^2, u1^2, u2^2, u0 u1, u0 u2, u1 u2 */
#define XB12_BLK      64  /* columns per block inside xb12_g2_row */
#ifndef XB12_EF_GRID
#define XB12_EF_GRID 64 /* k-grid (per axis) of the tetrahedron Fermi-level search */
#endif
#define TWO_PI 6.283185307179586476925
#define PI_    3.141592653589793238463

/* q-dependence ("dispersion") classes of the coupling weights, y = (1/6) sum_i (1 - cos 2 pi q_i) */
enum {
  QF_CONST = 0, /* 1: local (intra-B12) molecular modes, dispersionless            */
  QF_AC0,       /* y (1-y)^2: lowest acoustic slice (small |q|)                   */
  QF_AC1,       /* 2 y^2 (1-y): middle acoustic slice                             */
  QF_AC2,       /* y^3: zone-boundary acoustic slice                              */
  QF_RATTLE,    /* sum_i sin^2(pi q_i) prod_{j!=i} cos^2(pi q_j): guest atom at (1/2,1/2,1/2) */
  QF_ZB,        /* y: zone-boundary weighted (librations)                         */
  QF_ZC,        /* 1 - y/2: zone-centre weighted (inter-B12 optical)              */
  QF_COUNT
};
/* orbital channels, x_a = u_a u'_a, S1 = sum x_a, S2 = sum x_a^2 */
enum {
  OF_A = 0, /* S1^2: totally symmetric (on-site energy shift of all orbitals)  */
  OF_E,     /* S2 - S1^2/3: E-type Jahn-Teller (orbital splitting)             */
  OF_T,     /* sum_{a<b} (u_a u'_b + u_b u'_a)^2: T-type (orbital mixing)      */
  OF_COUNT
};

struct xb12_model {
  char name[8];   /* "CsB12" or "LaB12" */
  double a_lat;   /* lattice constant, Angstrom (schematic) */
  double filling; /* electrons per cell in the manifold, both spins */
  /* tight-binding parameters, eV */
  double e0;      /* on-site energy of the t2-like orbitals */
  double t_pi;    /* nearest neighbour, in the orbital's plane */
  double t_delta; /* nearest neighbour, along the orbital's normal */
  double t_nn;    /* next-nearest neighbour, in the orbital's plane (intra-orbital) */
  double t_nnz;   /* next-nearest neighbour, out of plane (intra-orbital) */
  double t_mix;   /* next-nearest neighbour inter-orbital mixing */
  double ef;      /* Fermi level on the tight-binding energy scale, eV */
  double lo, hi;  /* manifold range, eV from E_F */
  double n0;      /* tetrahedron N(0), states/eV/spin/cell */
  /* background DOS: two blocks of remote bands, below and above the manifold */
  double bg_gap[2]; /* [0] below: lo - onset, [1] above: onset - hi, eV */
  double bg_len[2]; /* width of each remote block, eV */
  double bg_rise;   /* square-root onset/taper width, eV */
  double bg_nst[2]; /* states per spin per cell in each block */
  double bg_d[2];   /* plateau DOS, states/eV/spin/cell (derived from bg_nst) */
  /* phonons and coupling */
  int nmodes;
  double omega[XB12_NMODES]; /* eV */
  double gcoef[XB12_NMODES]; /* coupling prefactor G_nu, eV^2 */
  int qf[XB12_NMODES];       /* QF_* */
  int of[XB12_NMODES];       /* OF_* */
  /* separable form of the couplings (xb12_sep_*), built at creation */
  int sep_ntrig;                /* trigonometric functions: 1 (constant) + 2 per wave vector */
  int sep_nq[XB12_SEP_MAXQ][3]; /* the wave vectors n of the cos/sin pairs (half space) */
  int sep_nent;                 /* entries (mode, r, r', coef) */
  int *sep_mode, *sep_r, *sep_rp;
  double *sep_coef;
};

/* ---- mode table (shared by both materials) ------------------------------------------ */
static const double mode_omega_meV[XB12_NMODES] = {6, 12, 18, 15, 28, 40, 55, 70, 85, 100, 115, 130};
static const int mode_qf[XB12_NMODES] = {QF_AC0, QF_AC1,   QF_AC2,   QF_RATTLE, QF_ZB,    QF_ZC,
                                         QF_ZB,  QF_CONST, QF_CONST, QF_CONST,  QF_CONST, QF_CONST};
static const int mode_of[XB12_NMODES] = {OF_A, OF_A, OF_A, OF_A, OF_T, OF_A, OF_E, OF_T, OF_E, OF_A, OF_T, OF_E};
static const char *const mode_names[XB12_NMODES] = {
  "acoustic (small q)", "acoustic (mid q)",    "acoustic (zone boundary)", "guest rattler",
  "B12 libration",      "inter-B12 optical",   "inter-B12 bond bending",   "intra-B12 T (low)",
  "intra-B12 E (low)",  "intra-B12 breathing", "intra-B12 T (high)",       "intra-B12 E (high)"};

/* Calibrated prefactors G_nu (eV^2), see docs/model_xb12.md ("Calibration"): chosen so that
 * xb12_a2f_grid on ngrid 64 at sigma 0.02 and 0.04 eV, extrapolated to sigma -> 0, gives the
 * target lambda_nu of each mode (output of `benchmarks/xb12_calibrate <name> calib 64 0.02`). */
static const double gcoef_cs[XB12_NMODES] = {1.623944e-03, 3.005997e-03, 6.735111e-03, 1.614647e-03,
                                             2.326398e-03, 4.591014e-03, 2.259600e-02, 4.509788e-03,
                                             1.739490e-02, 1.440100e-02, 8.280578e-03, 2.660396e-02};
static const double gcoef_la[XB12_NMODES] = {2.185793e-03, 3.123148e-03, 4.628310e-03, 4.347314e-03,
                                             1.410602e-03, 1.849121e-03, 5.410094e-03, 9.133234e-04,
                                             2.911218e-03, 1.957121e-03, 1.125345e-03, 3.180322e-03};

/* ---- linear algebra ------------------------------------------------------------------ */

/* Eigen-decomposition of a real symmetric 3x3 matrix by cyclic Jacobi rotations.
 *   A [in]  row-major 3x3 (only read)
 *   w [out] eigenvalues, ascending
 *   V [out] row-major 3x3, column n = eigenvector of w[n] (may be NULL) */
static void eig3(const double A[9], double w[3], double V[9])
{
  double a[3][3], v[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) a[r][c] = A[3 * r + c];
  for (int sweep = 0; sweep < 30; sweep++) {
    double off = fabs(a[0][1]) + fabs(a[0][2]) + fabs(a[1][2]);
    double dia = fabs(a[0][0]) + fabs(a[1][1]) + fabs(a[2][2]);
    if (off <= 1e-300 || off < 1e-17 * dia) break;
    for (int p = 0; p < 2; p++)
      for (int q = p + 1; q < 3; q++) {
        if (a[p][q] == 0.0) continue;
        double th = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
        double t = (th >= 0 ? 1.0 : -1.0) / (fabs(th) + sqrt(th * th + 1.0));
        double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
        for (int r = 0; r < 3; r++) { /* A <- A J */
          double arp = a[r][p], arq = a[r][q];
          a[r][p] = c * arp - s * arq;
          a[r][q] = s * arp + c * arq;
        }
        for (int r = 0; r < 3; r++) { /* A <- J^T A */
          double apr = a[p][r], aqr = a[q][r];
          a[p][r] = c * apr - s * aqr;
          a[q][r] = s * apr + c * aqr;
        }
        a[p][q] = a[q][p] = 0.0;
        for (int r = 0; r < 3; r++) { /* V <- V J */
          double vrp = v[r][p], vrq = v[r][q];
          v[r][p] = c * vrp - s * vrq;
          v[r][q] = s * vrp + c * vrq;
        }
      }
  }
  int idx[3] = {0, 1, 2};
  for (int i = 0; i < 2; i++) /* sort ascending (stable, 3 elements) */
    for (int j = 0; j < 2 - i; j++)
      if (a[idx[j]][idx[j]] > a[idx[j + 1]][idx[j + 1]]) {
        int t = idx[j];
        idx[j] = idx[j + 1];
        idx[j + 1] = t;
      }
  for (int n = 0; n < 3; n++) {
    w[n] = a[idx[n]][idx[n]];
    if (V)
      for (int r = 0; r < 3; r++) V[3 * r + n] = v[r][idx[n]];
  }
}

/* Tight-binding Hamiltonian from precomputed c_i = cos(2 pi k_i), s_i = sin(2 pi k_i),
 * on the model's absolute energy scale (E_F not subtracted). Orbital a (0 = yz, 1 = zx,
 * 2 = xy) is the one normal to axis a. H row-major 3x3, eV. */
static void ham_cs(const xb12_model *m, const double c[3], const double s[3], double H[9])
{
  for (int a = 0; a < 3; a++) {
    int i = (a + 1) % 3, j = (a + 2) % 3; /* the two in-plane axes of orbital a */
    H[4 * a] = m->e0 - 2.0 * m->t_pi * (c[i] + c[j]) - 2.0 * m->t_delta * c[a] - 4.0 * m->t_nn * c[i] * c[j] -
      4.0 * m->t_nnz * c[a] * (c[i] + c[j]);
  }
  for (int a = 0; a < 3; a++)
    for (int b = a + 1; b < 3; b++) H[3 * a + b] = H[3 * b + a] = -4.0 * m->t_mix * s[a] * s[b];
}

/* c[i] = cos(2 pi k_i), s[i] = sin(2 pi k_i) for k in crystal coordinates (any real). */
static void trig_k(const double k[3], double c[3], double s[3])
{
  for (int i = 0; i < 3; i++) {
    double x = k[i] - floor(k[i]); /* period 1: reduce first so that k and k+G agree bitwise */
    c[i] = cos(TWO_PI * x);
    s[i] = sin(TWO_PI * x);
  }
}

/* Absolute band energies (ascending) at k, eV. */
static void bands_abs(const xb12_model *m, const double k[3], double e[3])
{
  double c[3], s[3], H[9];
  trig_k(k, c, s);
  ham_cs(m, c, s, H);
  eig3(H, e, NULL);
}

/* ---- Fermi level: linear tetrahedra on a uniform grid + bisection --------------------- */

/* Fraction of a tetrahedron (sorted corner energies e[0..3]) below energy x (Bloechl). */
static double tetra_frac(const double e[4], double x)
{
  if (x <= e[0]) return 0.0;
  if (x >= e[3]) return 1.0;
  double e21 = e[1] - e[0], e31 = e[2] - e[0], e41 = e[3] - e[0];
  double e32 = e[2] - e[1], e42 = e[3] - e[1], e43 = e[3] - e[2];
  if (x < e[1]) {
    double d = x - e[0];
    return d * d * d / (e21 * e31 * e41);
  }
  if (x < e[2]) {
    double d = x - e[1];
    return (e21 * e21 + 3.0 * e21 * d + 3.0 * d * d - (e31 + e42) / (e32 * e42) * d * d * d) / (e31 * e41);
  }
  double d = e[3] - x;
  return 1.0 - d * d * d / (e41 * e42 * e43);
}

/* Sort four corner energies ascending (insertion sort). */
static void sort4(double e[4])
{
  for (int i = 1; i < 4; i++) {
    double x = e[i];
    int j = i - 1;
    while (j >= 0 && e[j] > x) {
      e[j + 1] = e[j];
      j--;
    }
    e[j + 1] = x;
  }
}

/* The six tetrahedra of a cube sharing the main diagonal 0-7 (corner bit 0 = x, 1 = y, 2 = z). */
static const int tet6[6][4] = {{0, 1, 3, 7}, {0, 1, 5, 7}, {0, 2, 3, 7}, {0, 2, 6, 7}, {0, 4, 5, 7}, {0, 4, 6, 7}};

/* Tetrahedron Fermi level on one Gamma-centred n^3 grid (n even): bisection of the
 * tetrahedron electron count per spin, target = filling/2.
 *   ef [out] Fermi level, eV (tight-binding scale);  n0 [out] N(E_F), states/eV/spin/cell
 *   emin, emax [out] band extrema on the grid points.  Returns 0, or -1 (allocation). */
static int fermi_on_grid(const xb12_model *m, int n, double *ef, double *n0, double *emin, double *emax)
{
  const int h = n / 2;
  const int64_t nf = (int64_t)(h + 1) * (h + 1) * (h + 1);
  const double ntet = 6.0 * n * n * n;    /* tetrahedra per band */
  const double target = 0.5 * m->filling; /* electrons per spin per cell */
  /* bands are even in each k_i: tabulate on the folded octant m_i in [0, h] */
  double *E = malloc(sizeof(double) * XB12_NORB * nf);
  if (!E) return -1;
  double lo = 1e300, hi = -1e300;
  for (int64_t p = 0; p < nf; p++) {
    double k[3] = {(double)(p / ((h + 1) * (h + 1))) / n, (double)((p / (h + 1)) % (h + 1)) / n,
                   (double)(p % (h + 1)) / n};
    bands_abs(m, k, E + XB12_NORB * p);
    if (E[XB12_NORB * p] < lo) lo = E[XB12_NORB * p];
    if (E[XB12_NORB * p + XB12_NORB - 1] > hi) hi = E[XB12_NORB * p + XB12_NORB - 1];
  }
  *emin = lo;
  *emax = hi;
  int fold[2 * XB12_EF_GRID + 2];
  for (int i = 0; i <= n; i++) fold[i] = i <= h ? i : n - i;
  /* bracket: tetrahedra whose energy range overlaps [a, b] are kept in a list, those
   * entirely below a are counted; the bracket starts at +-5% of the band width around
   * the point-count estimate and doubles until it contains the tetrahedron E_F */
  double a = lo, b = hi;
  for (int it = 0; it < 20; it++) {
    double x = 0.5 * (a + b);
    int64_t cnt = 0;
    for (int i0 = 0; i0 < n; i0++)
      for (int i1 = 0; i1 < n; i1++)
        for (int i2 = 0; i2 < n; i2++) {
          const double *e = E + XB12_NORB * (((int64_t)fold[i0] * (h + 1) + fold[i1]) * (h + 1) + fold[i2]);
          for (int bnd = 0; bnd < XB12_NORB; bnd++) cnt += e[bnd] < x;
        }
    if ((double)cnt / ((double)n * n * n) < target)
      a = x;
    else
      b = x;
  }
  const double mid = 0.5 * (a + b);
  int64_t cap = 1 << 16;
  double *part = malloc(sizeof(double) * 4 * cap);
  int ok = -1;
  for (double width = 0.05 * (hi - lo); part && ok != 0 && width < 4.0 * (hi - lo); width *= 2.0) {
    const double bl = mid - width, bh = mid + width;
    int64_t np = 0, nbelow = 0;
    for (int i0 = 0; i0 < n && part; i0++)
      for (int i1 = 0; i1 < n && part; i1++)
        for (int i2 = 0; i2 < n && part; i2++) {
          const double *cn[8];
          for (int v = 0; v < 8; v++)
            cn[v] = E +
              XB12_NORB *
                (((int64_t)fold[i0 + (v & 1)] * (h + 1) + fold[i1 + ((v >> 1) & 1)]) * (h + 1) +
                 fold[i2 + ((v >> 2) & 1)]);
          for (int tt = 0; tt < 6; tt++)
            for (int bnd = 0; bnd < XB12_NORB; bnd++) {
              double e[4] = {cn[tet6[tt][0]][bnd], cn[tet6[tt][1]][bnd], cn[tet6[tt][2]][bnd], cn[tet6[tt][3]][bnd]};
              sort4(e);
              if (e[3] <= bl) {
                nbelow++;
                continue;
              }
              if (e[0] >= bh) continue;
              if (np == cap) {
                double *t = realloc(part, sizeof(double) * 8 * cap);
                if (!t) {
                  free(part);
                  part = NULL;
                  break;
                }
                part = t;
                cap *= 2;
              }
              memcpy(part + 4 * np++, e, sizeof e);
            }
        }
    if (!part) break;
#define COUNT(x, out)                                                                                                  \
  do {                                                                                                                 \
    double acc_ = 0.0;                                                                                                 \
    for (int64_t q_ = 0; q_ < np; q_++) acc_ += tetra_frac(part + 4 * q_, (x));                                        \
    (out) = ((double)nbelow + acc_) / ntet;                                                                            \
  } while (0)
    double cl, ch;
    COUNT(bl, cl);
    COUNT(bh, ch);
    if (!(cl < target && ch > target)) continue;
    double xl = bl, xh = bh;
    for (int it = 0; it < 200 && xh - xl > 1e-13; it++) {
      double x = 0.5 * (xl + xh), cx;
      COUNT(x, cx);
      if (cx < target)
        xl = x;
      else
        xh = x;
    }
    *ef = 0.5 * (xl + xh);
    const double dh = 1e-4; /* N(0): central difference of the (piecewise-cubic) count */
    double cp, cm;
    COUNT(*ef + dh, cp);
    COUNT(*ef - dh, cm);
    *n0 = (cp - cm) / (2.0 * dh);
    ok = 0;
#undef COUNT
  }
  free(part);
  free(E);
  return ok;
}

/* Fermi level, N(0) and manifold range at creation. E_F and N(0) are Richardson-
 * extrapolated from tetrahedron grids n/2 and n (the tetrahedron error is O(1/n^2)).
 * Deterministic: no random numbers, serial fixed-order sums. Returns 0 or -1. */
static int find_fermi(xb12_model *m)
{
  const int n = XB12_EF_GRID;
  double ef1, ef2, d1, d2, lo, hi;
  if (fermi_on_grid(m, n / 2, &ef1, &d1, &lo, &hi) != 0) return -1;
  if (fermi_on_grid(m, n, &ef2, &d2, &lo, &hi) != 0) return -1;
  m->ef = ef2 + (ef2 - ef1) / 3.0;
  m->n0 = d2 + (d2 - d1) / 3.0;
  /* manifold range: grid extremum, polished by a compass search in k */
  for (int side = 0; side < 2; side++) {
    const int bnd = side == 0 ? 0 : XB12_NORB - 1;
    const double sg = side == 0 ? 1.0 : -1.0; /* minimise sg * e */
    const int hg = n / 2;
    double best = 1e300, kb[3] = {0, 0, 0};
    for (int i0 = 0; i0 <= hg; i0++)
      for (int i1 = 0; i1 <= hg; i1++)
        for (int i2 = 0; i2 <= hg; i2++) {
          double k[3] = {(double)i0 / n, (double)i1 / n, (double)i2 / n}, e[3];
          bands_abs(m, k, e);
          if (sg * e[bnd] < best) {
            best = sg * e[bnd];
            memcpy(kb, k, sizeof kb);
          }
        }
    for (double step = 1.0 / n; step > 1e-9; step *= 0.5) {
      int improved = 1;
      while (improved) {
        improved = 0;
        for (int d = 0; d < 6; d++) {
          double k[3] = {kb[0], kb[1], kb[2]}, e[3];
          k[d / 2] += (d & 1) ? -step : step;
          bands_abs(m, k, e);
          if (sg * e[bnd] < best - 1e-15) {
            best = sg * e[bnd];
            memcpy(kb, k, sizeof kb);
            improved = 1;
          }
        }
      }
    }
    if (side == 0)
      m->lo = best - m->ef;
    else
      m->hi = -best - m->ef;
  }
  return 0;
}

/* ---- creation ----------------------------------------------------------------------- */

/* ASCII case-insensitive string equality (strcasecmp is not ISO C). */
static int same_name(const char *a, const char *b)
{
  for (; *a && *b; a++, b++) {
    int x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y) return 0;
  }
  return *a == *b;
}

/* ---- separable form of the couplings -------------------------------------------------
 * |g^b_{ss'}|^2 = G_b QF_b(q) OF_b(u, u') with q_i = cos 2 pi (k'_i - k_i) (xb12_g2_row).
 * QF_b is a polynomial of degree <= 3 in each q_i, hence a trigonometric polynomial in
 * k' - k with wave vectors n in {-3..3}^3, and even: QF = sum_n a_n cos 2 pi n.(k' - k)
 * = sum_n a_n [C_n(k) C_n(k') + S_n(k) S_n(k')], C_n = cos 2 pi n.k, S_n = sin 2 pi n.k.
 * The a_n are the DFT of QF on an 8^3 grid of k' - k (exact: 8 > 2 x 3, no aliasing).
 * OF_b is a bilinear form in the orbital products p = (u0^2, u1^2, u2^2, u0u1, u0u2, u1u2):
 * OF = p(u)^T M_b p(u').  Together: |g|^2 = sum over (trig function t, i, j) of
 * G_b c_t M_b,ij phi_{t,i}(s) phi_{t,j}(s') with phi_{t,i} = t(k) p_i(u). */

/* the q-form of type t at q_i = cos 2 pi (k'_i - k_i); the formulas of xb12_g2_row */
static double qf_eval(int t, double q0, double q1, double q2)
{
  const double y = (3.0 - q0 - q1 - q2) * (1.0 / 6.0), ym = 1.0 - y;
  switch (t) {
  case QF_CONST: return 1.0;
  case QF_AC0: return y * ym * ym;
  case QF_AC1: return 2.0 * y * y * ym;
  case QF_AC2: return y * y * y;
  case QF_RATTLE: {
    const double h0 = 0.5 - 0.5 * q0, h1 = 0.5 - 0.5 * q1, h2 = 0.5 - 0.5 * q2;
    const double p0 = 0.5 + 0.5 * q0, p1 = 0.5 + 0.5 * q1, p2 = 0.5 + 0.5 * q2;
    return h0 * p1 * p2 + h1 * p0 * p2 + h2 * p0 * p1;
  }
  case QF_ZB: return y;
  default: return 1.0 - 0.5 * y; /* QF_ZC */
  }
}

/* M_b of the orbital channel o (row-major 6 x 6) */
static void of_matrix(int o, double M[36])
{
  memset(M, 0, sizeof(double) * 36);
  for (int i = 0; i < 6; i++) {
    if (o == OF_A)
      M[i * 6 + i] = i < 3 ? 1.0 : 2.0;
    else if (o == OF_E)
      M[i * 6 + i] = i < 3 ? 2.0 / 3.0 : -2.0 / 3.0;
    else if (i >= 3)
      M[i * 6 + i] = 2.0; /* OF_T */
  }
  if (o == OF_T)
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++)
        if (a != b) M[a * 6 + b] = 1.0;
}

static int sep_build(xb12_model *m)
{
  enum { MG = XB12_SEP_M };
  double cs[MG];
  for (int j = 0; j < MG; j++) cs[j] = cos(TWO_PI * j / MG);
  /* Fourier coefficients a[t][n] of every q-form, n in {-3..3}^3 (index (n0+3)*49+(n1+3)*7+n2+3) */
  double a[QF_COUNT][343];
  double amax[QF_COUNT] = {0};
  for (int t = 0; t < QF_COUNT; t++)
    for (int x = 0; x < 343; x++) {
      const int n0 = x / 49 - 3, n1 = (x / 7) % 7 - 3, n2 = x % 7 - 3;
      double s = 0;
      for (int j0 = 0; j0 < MG; j0++)
        for (int j1 = 0; j1 < MG; j1++)
          for (int j2 = 0; j2 < MG; j2++) {
            int ph = ((n0 * j0 + n1 * j1 + n2 * j2) % MG + MG) % MG;
            s += qf_eval(t, cs[j0], cs[j1], cs[j2]) * cs[ph];
          }
      a[t][x] = s / (MG * MG * MG);
      amax[t] = fmax(amax[t], fabs(a[t][x]));
    }
  /* keep the wave vectors some used q-form needs; n = 0 is the constant (t = 0) */
  int used[343] = {0};
  for (int b = 0; b < m->nmodes; b++)
    for (int x = 0; x < 343; x++)
      if (fabs(a[m->qf[b]][x]) > 1e-14 * amax[m->qf[b]]) used[x] = 1;
  int tix[343]; /* trig function of the C part of n (S part: + 1), -1 unused */
  int nq = 0;
  for (int x = 0; x < 343; x++) tix[x] = -1;
  tix[171] = 0;                   /* n = 0 */
  for (int x = 172; x < 343; x++) /* the half space: n > 0 lexicographically */
    if (used[x] || used[342 - x]) {
      if (nq >= XB12_SEP_MAXQ) return -1;
      m->sep_nq[nq][0] = x / 49 - 3;
      m->sep_nq[nq][1] = (x / 7) % 7 - 3;
      m->sep_nq[nq][2] = x % 7 - 3;
      tix[x] = 1 + 2 * nq;
      nq++;
    }
  m->sep_ntrig = 1 + 2 * nq;
  /* entries: mode b, trig function t (C and S both with coefficient 2 a_n; constant a_0) */
  const int cap = m->nmodes * m->sep_ntrig * 36;
  m->sep_mode = malloc(sizeof(int) * cap);
  m->sep_r = malloc(sizeof(int) * cap);
  m->sep_rp = malloc(sizeof(int) * cap);
  m->sep_coef = malloc(sizeof(double) * cap);
  if (!m->sep_mode || !m->sep_r || !m->sep_rp || !m->sep_coef) return -1;
  int ne = 0;
  for (int b = 0; b < m->nmodes; b++) {
    double M[36];
    of_matrix(m->of[b], M);
    const int t = m->qf[b];
    for (int x = 171; x < 343; x++) {
      if (!(fabs(a[t][x]) > 1e-14 * amax[t])) continue;
      const int nt = x == 171 ? 1 : 2;
      const double cn = (x == 171 ? 1.0 : 2.0) * a[t][x] * m->gcoef[b];
      for (int h = 0; h < nt; h++) {
        const int tf = tix[x] + h;
        for (int i = 0; i < 6; i++)
          for (int j = 0; j < 6; j++) {
            if (M[i * 6 + j] == 0) continue;
            m->sep_mode[ne] = b;
            m->sep_r[ne] = tf * XB12_SEP_NORB + i;
            m->sep_rp[ne] = tf * XB12_SEP_NORB + j;
            m->sep_coef[ne] = cn * M[i * 6 + j];
            ne++;
          }
      }
    }
  }
  m->sep_nent = ne;
  return 0;
}

int xb12_sep_nfun(const xb12_model *m) { return m->sep_ntrig * XB12_SEP_NORB; }
int xb12_sep_nent(const xb12_model *m) { return m->sep_nent; }

void xb12_sep_entries(const xb12_model *m, int *mode, int *r, int *rp, double *coef)
{
  memcpy(mode, m->sep_mode, sizeof(int) * m->sep_nent);
  memcpy(r, m->sep_r, sizeof(int) * m->sep_nent);
  memcpy(rp, m->sep_rp, sizeof(int) * m->sep_nent);
  memcpy(coef, m->sep_coef, sizeof(double) * m->sep_nent);
}

void xb12_sep_phi(const xb12_model *m, const double *feat, double *phi)
{
  /* z_i^p = exp(2 pi i p k_i), p = 0..3, from (cos, sin) of the features */
  double zr[3][4], zi[3][4];
  for (int i = 0; i < 3; i++) {
    zr[i][0] = 1;
    zi[i][0] = 0;
    for (int p = 1; p < 4; p++) {
      zr[i][p] = zr[i][p - 1] * feat[i] - zi[i][p - 1] * feat[3 + i];
      zi[i][p] = zr[i][p - 1] * feat[3 + i] + zi[i][p - 1] * feat[i];
    }
  }
  const double u0 = feat[6], u1 = feat[7], u2 = feat[8];
  const double p[XB12_SEP_NORB] = {u0 * u0, u1 * u1, u2 * u2, u0 * u1, u0 * u2, u1 * u2};
  for (int i = 0; i < XB12_SEP_NORB; i++) phi[i] = p[i];
  for (int q = 0; q < (m->sep_ntrig - 1) / 2; q++) {
    double re = 1, im = 0;
    for (int i = 0; i < 3; i++) {
      const int n = m->sep_nq[q][i], an = n < 0 ? -n : n;
      const double xr = zr[i][an], xi = n < 0 ? -zi[i][an] : zi[i][an];
      const double t = re * xr - im * xi;
      im = re * xi + im * xr;
      re = t;
    }
    double *pc = phi + (size_t)(1 + 2 * q) * XB12_SEP_NORB, *ps = pc + XB12_SEP_NORB;
    for (int i = 0; i < XB12_SEP_NORB; i++) {
      pc[i] = re * p[i];
      ps[i] = im * p[i];
    }
  }
}

int xb12_create(const char *name, xb12_model **out)
{
  *out = NULL;
  if (!name) return -1;
  int la;
  if (same_name(name, "CsB12"))
    la = 0;
  else if (same_name(name, "LaB12"))
    la = 1;
  else
    return -1;
  xb12_model *m = calloc(1, sizeof *m);
  if (!m) return -1;
  if (!la) {
    /* CsB12: hole-doped valence manifold (5 of 6 electrons per cell), gap above */
    strcpy(m->name, "CsB12");
    m->a_lat = 5.3;
    m->filling = 5.0;
    m->e0 = 0.0;
    m->t_pi = -0.12;
    m->t_delta = -0.03;
    m->t_nn = -0.02;
    m->t_nnz = 0.0;
    m->t_mix = 0.04;
    m->bg_gap[0] = 0.3;
    m->bg_len[0] = 12.0;
    m->bg_nst[0] = 16.0; /* lower valence bands */
    m->bg_gap[1] = 1.5;
    m->bg_len[1] = 8.0;
    m->bg_nst[1] = 8.0; /* conduction bands   */
    memcpy(m->gcoef, gcoef_cs, sizeof m->gcoef);
  } else {
    /* LaB12: electron-doped conduction manifold (1 electron per cell), gap below */
    strcpy(m->name, "LaB12");
    m->a_lat = 5.2;
    m->filling = 1.0;
    m->e0 = 0.0;
    m->t_pi = 0.11;
    m->t_delta = 0.05;
    m->t_nn = -0.015;
    m->t_nnz = 0.01;
    m->t_mix = 0.05;
    m->bg_gap[0] = 1.5;
    m->bg_len[0] = 12.0;
    m->bg_nst[0] = 19.0; /* valence bands       */
    m->bg_gap[1] = 0.3;
    m->bg_len[1] = 8.0;
    m->bg_nst[1] = 10.0; /* La 5d + higher B12 */
    memcpy(m->gcoef, gcoef_la, sizeof m->gcoef);
  }
  m->bg_rise = 0.5;
  for (int s = 0; s < 2; s++) m->bg_d[s] = m->bg_nst[s] / (m->bg_len[s] - 2.0 * m->bg_rise / 3.0);
  m->nmodes = XB12_NMODES;
  for (int b = 0; b < XB12_NMODES; b++) {
    m->omega[b] = 1e-3 * mode_omega_meV[b];
    m->qf[b] = mode_qf[b];
    m->of[b] = mode_of[b];
  }
  if (find_fermi(m) != 0 || sep_build(m) != 0) {
    xb12_destroy(&m);
    return -1;
  }
  *out = m;
  return 0;
}

void xb12_destroy(xb12_model **m)
{
  if (!m || !*m) return;
  free((*m)->sep_mode);
  free((*m)->sep_r);
  free((*m)->sep_rp);
  free((*m)->sep_coef);
  free(*m);
  *m = NULL;
}

/* ---- simple queries ------------------------------------------------------------------ */

const char *xb12_name(const xb12_model *m) { return m->name; }
int xb12_nbands(const xb12_model *m)
{
  (void)m;
  return XB12_NORB;
}
double xb12_lattice_A(const xb12_model *m) { return m->a_lat; }
int xb12_nmodes(const xb12_model *m) { return m->nmodes; }
const double *xb12_omega(const xb12_model *m) { return m->omega; }
int xb12_nfeat(const xb12_model *m)
{
  (void)m;
  return XB12_NFEAT;
}
double xb12_filling(const xb12_model *m) { return m->filling; }
double xb12_fermi_level(const xb12_model *m) { return m->ef; }
double xb12_dos0(const xb12_model *m) { return m->n0; }

const char *xb12_mode_name(const xb12_model *m, int b) { return (b >= 0 && b < m->nmodes) ? mode_names[b] : ""; }

double xb12_mode_prefactor(const xb12_model *m, int b) { return (b >= 0 && b < m->nmodes) ? m->gcoef[b] : 0.0; }

void xb12_band_range(const xb12_model *m, double *lo, double *hi)
{
  *lo = m->lo;
  *hi = m->hi;
}

void xb12_hamiltonian(const xb12_model *m, const double k[3], double *H)
{
  double c[3], s[3];
  trig_k(k, c, s);
  ham_cs(m, c, s, H);
  for (int a = 0; a < 3; a++) H[4 * a] -= m->ef;
}

void xb12_bands(const xb12_model *m, const double k[3], double *xi)
{
  double e[3];
  bands_abs(m, k, e);
  for (int n = 0; n < XB12_NORB; n++) xi[n] = e[n] - m->ef;
}

/* ---- background DOS ------------------------------------------------------------------ */

/* Shape of one remote block: 0 outside [0, L]; sqrt(x/w) onset, plateau 1, sqrt((L-x)/w)
 * taper; x = distance from the block's inner edge, eV. Integral = L - 2w/3. */
static double block_shape(double x, double L, double w)
{
  if (x <= 0.0 || x >= L) return 0.0;
  if (x < w) return sqrt(x / w);
  if (x > L - w) return sqrt((L - x) / w);
  return 1.0;
}

double xb12_background_dos(const xb12_model *m, double xi)
{
  if (xi < m->lo) return m->bg_d[0] * block_shape(m->lo - m->bg_gap[0] - xi, m->bg_len[0], m->bg_rise);
  if (xi > m->hi) return m->bg_d[1] * block_shape(xi - m->hi - m->bg_gap[1], m->bg_len[1], m->bg_rise);
  return 0.0;
}

void xb12_background_range(const xb12_model *m, double *emin, double *emax)
{
  *emin = m->lo - m->bg_gap[0] - m->bg_len[0];
  *emax = m->hi + m->bg_gap[1] + m->bg_len[1];
}

/* ---- features and couplings ---------------------------------------------------------- */

void xb12_features(const xb12_model *m, const double k[3], int band, double *feat)
{
  double c[3], s[3], H[9], w[3], V[9];
  trig_k(k, c, s);
  ham_cs(m, c, s, H);
  eig3(H, w, V);
  for (int i = 0; i < 3; i++) {
    feat[i] = c[i];
    feat[3 + i] = s[i];
    feat[6 + i] = V[3 * i + band];
  }
}

void xb12_g2_row(const xb12_model *m, const double *feat, int64_t i, int nc, const int64_t *j, double *g2)
{
  const double *fi = feat + (size_t)i * XB12_NFEAT;
  const double ci0 = fi[0], ci1 = fi[1], ci2 = fi[2], si0 = fi[3], si1 = fi[4], si2 = fi[5];
  const double u0 = fi[6], u1 = fi[7], u2 = fi[8];
  const int nm = m->nmodes;
  double qf[QF_COUNT][XB12_BLK], of[OF_COUNT][XB12_BLK];
  for (int c0 = 0; c0 < nc; c0 += XB12_BLK) {
    const int nb = nc - c0 < XB12_BLK ? nc - c0 : XB12_BLK;
    const int64_t *jj = j + c0;
    /* transpose the block's column features to structure-of-arrays (plain scalar loads
     * are cheaper than 9 hardware gathers per vector of pairs) */
    double fb[XB12_NFEAT][XB12_BLK];
    for (int c = 0; c < nb; c++) {
      const double *fj = feat + (size_t)jj[c] * XB12_NFEAT;
      for (int f = 0; f < XB12_NFEAT; f++) fb[f][c] = fj[f];
    }
/* pair quantities: arithmetic only; cos(2 pi q_i) = c_i c'_i + s_i s'_i */
#pragma omp simd
    for (int c = 0; c < nb; c++) {
      double q0 = ci0 * fb[0][c] + si0 * fb[3][c];
      double q1 = ci1 * fb[1][c] + si1 * fb[4][c];
      double q2 = ci2 * fb[2][c] + si2 * fb[5][c];
      q0 = q0 > 1.0 ? 1.0 : (q0 < -1.0 ? -1.0 : q0); /* |cos| <= 1 exactly, so that */
      q1 = q1 > 1.0 ? 1.0 : (q1 < -1.0 ? -1.0 : q1); /* every q-form is >= 0        */
      q2 = q2 > 1.0 ? 1.0 : (q2 < -1.0 ? -1.0 : q2);
      const double y = (3.0 - q0 - q1 - q2) * (1.0 / 6.0);
      const double ym = 1.0 - y;
      const double h0 = 0.5 - 0.5 * q0, h1 = 0.5 - 0.5 * q1, h2 = 0.5 - 0.5 * q2;
      const double p0 = 0.5 + 0.5 * q0, p1 = 0.5 + 0.5 * q1, p2 = 0.5 + 0.5 * q2;
      qf[QF_CONST][c] = 1.0;
      qf[QF_AC0][c] = y * ym * ym;
      qf[QF_AC1][c] = 2.0 * y * y * ym;
      qf[QF_AC2][c] = y * y * y;
      qf[QF_RATTLE][c] = h0 * p1 * p2 + h1 * p0 * p2 + h2 * p0 * p1;
      qf[QF_ZB][c] = y;
      qf[QF_ZC][c] = 1.0 - 0.5 * y;
      const double v0 = fb[6][c], v1 = fb[7][c], v2 = fb[8][c];
      const double x0 = u0 * v0, x1 = u1 * v1, x2 = u2 * v2;
      const double s1 = x0 + x1 + x2, s2 = x0 * x0 + x1 * x1 + x2 * x2;
      const double t01 = u0 * v1 + u1 * v0, t02 = u0 * v2 + u2 * v0, t12 = u1 * v2 + u2 * v1;
      of[OF_A][c] = s1 * s1;
      const double me = s2 - s1 * s1 * (1.0 / 3.0);
      of[OF_E][c] = me > 0.0 ? me : 0.0; /* >= 0 exactly; clamps rounding (vmaxpd, not fmax) */
      of[OF_T][c] = t01 * t01 + t02 * t02 + t12 * t12;
    }
    for (int b = 0; b < nm; b++) {
      const double G = m->gcoef[b];
      const double *restrict qa = qf[m->qf[b]], *restrict oa = of[m->of[b]];
      double *restrict out = g2 + (size_t)b * nc + c0;
#pragma omp simd
      for (int c = 0; c < nb; c++) out[c] = G * qa[c] * oa[c];
    }
  }
}

/* Reference twin of xb12_g2_row: straightforward evaluation from the two k-points and band
 * indices (trigonometric functions of q = k' - k directly, fresh diagonalisations).
 *   k, n   [in] first state (crystal coords, band index)
 *   kp, np [in] second state
 *   g2     [out] nmodes values, eV^2 */
void xb12_g2_ref(const xb12_model *m, const double k[3], int n, const double kp[3], int np, double *g2)
{
  double H[9], w[3], V[9], Vp[9], u[3], v[3], cq[3], c[3], s[3];
  trig_k(k, c, s);    /* the same matrices as xb12_features, so that the eigenvectors */
  ham_cs(m, c, s, H); /* agree bitwise and the comparison tests the pair arithmetic   */
  eig3(H, w, V);
  trig_k(kp, c, s);
  ham_cs(m, c, s, H);
  eig3(H, w, Vp);
  for (int a = 0; a < 3; a++) {
    u[a] = V[3 * a + n];
    v[a] = Vp[3 * a + np];
    cq[a] = cos(TWO_PI * (kp[a] - k[a]));
  }
  double y = 0.0;
  for (int a = 0; a < 3; a++) y += (1.0 - cq[a]) / 6.0;
  double F[QF_COUNT], M[OF_COUNT];
  F[QF_CONST] = 1.0;
  F[QF_AC0] = y * (1 - y) * (1 - y);
  F[QF_AC1] = 2 * y * y * (1 - y);
  F[QF_AC2] = y * y * y;
  F[QF_RATTLE] = 0.0;
  for (int a = 0; a < 3; a++) { /* sin^2(pi q_a) prod_{b != a} cos^2(pi q_b) */
    double t = pow(sin(PI_ * (kp[a] - k[a])), 2);
    for (int b = 0; b < 3; b++)
      if (b != a) t *= pow(cos(PI_ * (kp[b] - k[b])), 2);
    F[QF_RATTLE] += t;
  }
  F[QF_ZB] = y;
  F[QF_ZC] = 1 - y / 2;
  double ov = 0.0, diag2 = 0.0, offd = 0.0;
  for (int a = 0; a < 3; a++) {
    ov += u[a] * v[a];
    diag2 += u[a] * v[a] * u[a] * v[a];
    for (int b = a + 1; b < 3; b++) offd += pow(u[a] * v[b] + u[b] * v[a], 2);
  }
  M[OF_A] = ov * ov;
  M[OF_E] = fmax(diag2 - ov * ov / 3, 0.0);
  M[OF_T] = offd;
  for (int b = 0; b < m->nmodes; b++) g2[b] = m->gcoef[b] * F[m->qf[b]] * M[m->of[b]];
}

/* ---- uniform-grid alpha^2F ----------------------------------------------------------- */

/* Grid point p of the Gamma-centred n^3 grid -> crystal coordinates. */
static void grid_k(int64_t p, int n, double k[3])
{
  k[0] = (double)(p / ((int64_t)n * n)) / n;
  k[1] = (double)((p / n) % n) / n;
  k[2] = (double)(p % n) / n;
}

/* Uniform-grid alpha^2F (see model_xb12.h). Double sum over grid states within 6 sigma of
 * E_F, reduced by cubic symmetry: rows run over the irreducible wedge (m0 >= m1 >= m2 after
 * folding m -> min(m, n-m)) with their O_h multiplicities, columns over the full grid; this
 * is exact because |g|^2(Rk, Rk') = |g|^2(k, k') for all 48 operations R (tested).
 * Returns N(0), or 0 (and a2f = 0) for bad arguments or failed allocation. */
double xb12_a2f_grid(const xb12_model *m, int ngrid, double sigma, double *a2f)
{
  const int n = ngrid, h = n / 2, nm = m->nmodes, CB = 1024; /* CB: columns per call */
  for (int b = 0; b < nm; b++) a2f[b] = 0.0;
  if (n < 1 || !(sigma > 0.0)) return 0.0;
  const int64_t nk = (int64_t)n * n * n, ns = nk * XB12_NORB;
  const int64_t nf = (int64_t)(h + 1) * (h + 1) * (h + 1);
  const double cut = 6.0 * sigma;
  const double gnorm = 1.0 / (sqrt(TWO_PI) * sigma * (double)nk);
  double n0 = 0.0;
  int failed = 0;
  int *mult = calloc(nf, sizeof(int));
  int64_t *col_of = malloc(sizeof(int64_t) * ns);
  double *xi = malloc(sizeof(double) * ns);
  double *feat = NULL, *wcol = NULL, *roww = NULL, *part = NULL;
  int64_t *jidx = NULL, *rowc = NULL;
  if (!mult || !col_of || !xi) goto cleanup;
  /* O_h multiplicity of each wedge point */
  for (int64_t p = 0; p < nk; p++) {
    int f[3] = {(int)(p / ((int64_t)n * n)), (int)((p / n) % n), (int)(p % n)};
    for (int a = 0; a < 3; a++) f[a] = f[a] <= n - f[a] ? f[a] : n - f[a];
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2 - a; b++)
        if (f[b] < f[b + 1]) {
          int t = f[b];
          f[b] = f[b + 1];
          f[b + 1] = t;
        }
    mult[((int64_t)f[0] * (h + 1) + f[1]) * (h + 1) + f[2]]++;
  }
/* columns: all grid states within 6 sigma of E_F (serial numbering: fixed order) */
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < nk; p++) {
    double k[3];
    grid_k(p, n, k);
    xb12_bands(m, k, xi + XB12_NORB * p);
  }
  int64_t ncol = 0;
  for (int64_t s = 0; s < ns; s++) col_of[s] = fabs(xi[s]) < cut ? ncol++ : -1;
  const int64_t nca = ncol > 0 ? ncol : 1;
  feat = malloc(sizeof(double) * XB12_NFEAT * nca);
  wcol = malloc(sizeof(double) * nca);
  jidx = malloc(sizeof(int64_t) * nca);
  if (!feat || !wcol || !jidx) goto cleanup;
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < ns; s++) {
    int64_t c = col_of[s];
    if (c < 0) continue;
    double k[3];
    grid_k(s / XB12_NORB, n, k);
    xb12_features(m, k, (int)(s % XB12_NORB), feat + XB12_NFEAT * c);
    wcol[c] = gnorm * exp(-0.5 * xi[s] * xi[s] / (sigma * sigma)); /* delta(xi)/N_k */
    jidx[c] = c;
  }
  for (int64_t c = 0; c < ncol; c++) n0 += wcol[c];
  /* rows: wedge states with weight multiplicity x delta(xi)/N_k */
  int64_t nr = 0;
  for (int64_t r = 0; r < nf; r++) nr += mult[r] ? XB12_NORB : 0;
  rowc = malloc(sizeof(int64_t) * (nr > 0 ? nr : 1));
  roww = malloc(sizeof(double) * (nr > 0 ? nr : 1));
  if (!rowc || !roww) goto cleanup;
  nr = 0;
  for (int64_t r = 0; r < nf; r++) {
    if (!mult[r]) continue;
    int64_t f0 = r / ((h + 1) * (h + 1)), f1 = (r / (h + 1)) % (h + 1), f2 = r % (h + 1);
    int64_t p = (f0 * n + f1) * n + f2;
    for (int bnd = 0; bnd < XB12_NORB; bnd++) {
      int64_t c = col_of[XB12_NORB * p + bnd];
      if (c < 0) continue;
      rowc[nr] = c;
      roww[nr] = mult[r] * wcol[c];
      nr++;
    }
  }
  part = calloc((size_t)(nr > 0 ? nr : 1) * nm, sizeof(double));
  if (!part) goto cleanup;
/* Each row's partial sums part[r] are written only by the thread that owns row r; the
   * final sum runs serially in row order, so the result does not depend on the thread
   * count or schedule. */
#pragma omp parallel
  {
    double *g2 = malloc(sizeof(double) * nm * CB);
    if (!g2) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t r = 0; r < nr; r++) {
      if (!g2) continue;
      for (int64_t c0 = 0; c0 < ncol; c0 += CB) {
        int nb = (int)(ncol - c0 < CB ? ncol - c0 : CB);
        xb12_g2_row(m, feat, rowc[r], nb, jidx + c0, g2);
        for (int b = 0; b < nm; b++) {
          double acc = 0.0;
#pragma omp simd reduction(+ : acc)
          for (int c = 0; c < nb; c++) acc += g2[(size_t)b * nb + c] * wcol[c0 + c];
          part[(size_t)r * nm + b] += acc;
        }
      }
    }
    free(g2);
  }
  if (failed || !(n0 > 0.0)) goto cleanup;
  for (int64_t r = 0; r < nr; r++)
    for (int b = 0; b < nm; b++) a2f[b] += roww[r] * part[(size_t)r * nm + b];
  for (int b = 0; b < nm; b++) a2f[b] /= n0;
cleanup:
  if (!part || failed) { /* any failure: report nothing */
    n0 = 0.0;
    for (int b = 0; b < nm; b++) a2f[b] = 0.0;
  }
  free(part);
  free(rowc);
  free(roww);
  free(jidx);
  free(wcol);
  free(feat);
  free(xi);
  free(col_of);
  free(mult);
  return n0;
}
