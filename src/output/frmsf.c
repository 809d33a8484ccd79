/* FermiSurfer files of the gap (see include/agape/frmsf.h for the format, the two sources and
 * the interpolation of the model path). Output stage, rank 0, no MPI; OpenMP in the
 * interpolation only. */
#define _POSIX_C_SOURCE 200809L
#include "agape/frmsf.h"
#include "agape/units.h"
#include "agape/files.h"
#include "agape/deck.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS_NAME_FMT "gap_T%06.2fK.frmsf" /* file name of temperature T (K) */

/* ======================================================================================
 * Grid and file
 * ====================================================================================== */

int64_t agape_frmsf_npts(const agape_frmsf_grid *g) { return (int64_t)g->nk[0] * g->nk[1] * g->nk[2]; }

void agape_frmsf_grid_free(agape_frmsf_grid *g)
{
  if (!g) return;
  free(g->eig);
  free(g->val);
  g->eig = g->val = NULL;
}

void agape_frmsf_stencil_free(agape_frmsf_stencil *s)
{
  if (!s) return;
  free(s->at);
  free(s->idx);
  free(s->coef);
  free(s->h);
  free(s->kf);
  memset(s, 0, sizeof *s);
}

agape_err agape_frmsf_grid_alloc(agape_frmsf_grid *g)
{
  size_t n = (size_t)agape_frmsf_npts(g) * (size_t)g->nbnd;
  g->eig = calloc(n ? n : 1, sizeof(double));
  g->val = calloc(n ? n : 1, sizeof(double));
  if (!g->eig || !g->val) {
    agape_frmsf_grid_free(g);
    return agape_error(AGAPE_ERR_NOMEM, "FermiSurfer grid: %zu entries", n);
  }
  return AGAPE_OK;
}

agape_err agape_frmsf_write(const char *path, const agape_frmsf_grid *g)
{
  char tmp[AGAPE_PATH_MAX + 96];
  if (agape_path_tmpname(tmp, sizeof tmp, path) != 0)
    return agape_error(AGAPE_ERR_IO, "cannot write %s: path too long", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return agape_error(AGAPE_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  int64_t n = agape_frmsf_npts(g) * g->nbnd;
  fprintf(f, "%d %d %d\n1\n%d\n", g->nk[0], g->nk[1], g->nk[2], g->nbnd);
  for (int r = 0; r < 3; r++) fprintf(f, "%.10e %.10e %.10e\n", g->bvec[3 * r], g->bvec[3 * r + 1], g->bvec[3 * r + 2]);
  for (int64_t i = 0; i < n; i++) fprintf(f, "%.9e\n", g->eig[i]);
  for (int64_t i = 0; i < n; i++) fprintf(f, "%.9e\n", g->val[i]);
  return agape_text_commit(f, tmp, path);
}

void agape_frmsf_names(int ntemps, const double *temps, char *out, size_t cap)
{
  int len = snprintf(out, cap, FS_NAME_FMT, temps[0]);
  if (ntemps > 1 && len > 0 && (size_t)len < cap) snprintf(out + len, cap - len, " .. " FS_NAME_FMT, temps[ntemps - 1]);
}

agape_err agape_frmsf_write_temps(const char *results_path, agape_frmsf_grid *g, int ntemps, const double *temps,
                                  agape_frmsf_fill_fn fill, void *ctx, char *dir, size_t cap)
{
  if (agape_path_dirname(results_path, dir, cap) != 0)
    return agape_error(AGAPE_ERR_IO, "cannot write FermiSurfer files beside %s: path too long", results_path);
  for (int it = 0; it < ntemps; it++) {
    char path[AGAPE_PATH_MAX + 64];
    int len = snprintf(path, sizeof path, "%s/" FS_NAME_FMT, dir, temps[it]);
    if (len < 0 || (size_t)len >= sizeof path)
      return agape_error(AGAPE_ERR_IO, "cannot write FermiSurfer files in %s: path too long", dir);
    fill(ctx, it, g);
    agape_err err = agape_frmsf_write(path, g);
    if (err) return err;
  }
  return AGAPE_OK;
}

/* ======================================================================================
 * Model grid and its interpolation
 * ====================================================================================== */

agape_err agape_frmsf_bands_grid(int n, int nbnd, const double bvec[9], agape_frmsf_bands_fn bands, const void *ctx,
                                 agape_frmsf_grid *g)
{
  memset(g, 0, sizeof *g);
  g->nk[0] = g->nk[1] = g->nk[2] = n;
  g->nbnd = nbnd;
  if (n < 1 || g->nbnd < 1 || g->nbnd > 64)
    return agape_error(AGAPE_ERR_INTERNAL, "FermiSurfer grid: %d points, %d bands", n, g->nbnd);
  memcpy(g->bvec, bvec, sizeof g->bvec);
  agape_err err = agape_frmsf_grid_alloc(g);
  if (err) return err;
  const int64_t full = agape_frmsf_npts(g);
  const int nb = g->nbnd;
/* owner computes: each point writes only its own entries */
#pragma omp parallel for schedule(static)
  for (int64_t q = 0; q < full; q++) {
    double k[3] = {(double)(q / ((int64_t)n * n)) / n, (double)((q / n) % n) / n, (double)(q % n) / n};
    double xi[64];
    bands(ctx, k, xi);
    for (int b2 = 0; b2 < nb; b2++) g->eig[(size_t)b2 * full + q] = xi[b2];
  }
  return AGAPE_OK;
}

/* Monte-Carlo states of one band in cells of a uniform nc^3 grid over [0,1)^3 (CSR). */
typedef struct {
  int nc;
  int64_t n;
  int64_t *start; /* [nc^3 + 1] */
  int64_t *item;  /* [n] state indices, by cell */
  double *x;      /* [n*3] folded coordinates, same order as item */
  double *ew;     /* [n] energy weights exp(-(xi/sigma)^2) (1 without energies) */
} fs_cells;

static double fs_fold(double x)
{
  double y = x - floor(x);
  return y >= 1.0 ? 0.0 : y;
}
/* Does grid point q (of the n1 x n2 x n3 grid, energies e of one band) lie next to the Fermi
 * surface: xi = 0 there, or some point of the 3x3x3 block around it (periodic) has xi of the
 * other sign? */
static int fs_near_surface(const double *e, int64_t q, int n1, int n2, int n3)
{
  if (e[q] == 0) return 1;
  int i = (int)(q / ((int64_t)n2 * n3)), j = (int)((q / n3) % n2), l = (int)(q % n3);
  for (int dx = -1; dx <= 1; dx++)
    for (int dy = -1; dy <= 1; dy++)
      for (int dz = -1; dz <= 1; dz++) {
        int64_t r = ((int64_t)((i + dx + n1) % n1) * n2 + (j + dy + n2) % n2) * n3 + (l + dz + n3) % n3;
        if ((e[r] < 0) != (e[q] < 0)) return 1;
      }
  return 0;
}

static int fs_cell_of(double x, int nc)
{
  int c = (int)(x * nc);
  return c >= nc ? nc - 1 : c;
}

/* State s is used for band b: its band, finite k, and |xi_s| < 6 sigma when xi is given. */
static int fs_use(int64_t s, const double *k, const int *band, const double *xi, double sigma, int b)
{
  return band[s] == b && isfinite(k[3 * s] + k[3 * s + 1] + k[3 * s + 2]) && (!xi || fabs(xi[s]) < 6 * sigma);
}

static agape_err fs_cells_build(int64_t n, const double *k, const int *band, const double *xi, double sigma, int b,
                                fs_cells *c)
{
  memset(c, 0, sizeof *c);
  for (int64_t s = 0; s < n; s++)
    if (fs_use(s, k, band, xi, sigma, b)) c->n++;
  int nc = (int)cbrt((double)c->n / 2.0);
  c->nc = nc < 1 ? 1 : nc > 128 ? 128 : nc;
  int64_t ncell = (int64_t)c->nc * c->nc * c->nc;
  c->start = calloc((size_t)ncell + 1, sizeof(int64_t));
  c->item = malloc(sizeof(int64_t) * (size_t)(c->n ? c->n : 1));
  c->x = malloc(sizeof(double) * 3 * (size_t)(c->n ? c->n : 1));
  c->ew = malloc(sizeof(double) * (size_t)(c->n ? c->n : 1));
  int64_t *cell = malloc(sizeof(int64_t) * (size_t)(c->n ? c->n : 1));
  if (!c->start || !c->item || !c->x || !c->ew || !cell) {
    free(cell);
    return AGAPE_ERR_NOMEM;
  }
  int64_t m = 0;
  for (int64_t s = 0; s < n; s++) {
    if (!fs_use(s, k, band, xi, sigma, b)) continue;
    int64_t id = 0;
    for (int d = 0; d < 3; d++) id = id * c->nc + fs_cell_of(fs_fold(k[3 * s + d]), c->nc);
    cell[m++] = id;
    c->start[id + 1]++;
  }
  for (int64_t i = 0; i < ncell; i++) c->start[i + 1] += c->start[i];
  int64_t *fill = malloc(sizeof(int64_t) * (size_t)ncell);
  if (!fill) {
    free(cell);
    return AGAPE_ERR_NOMEM;
  }
  memcpy(fill, c->start, sizeof(int64_t) * (size_t)ncell);
  m = 0;
  for (int64_t s = 0; s < n; s++) { /* in state order within each cell */
    if (!fs_use(s, k, band, xi, sigma, b)) continue;
    int64_t p = fill[cell[m++]]++;
    c->item[p] = s;
    for (int d = 0; d < 3; d++) c->x[3 * p + d] = fs_fold(k[3 * s + d]);
    c->ew[p] = xi ? exp(-(xi[s] / sigma) * (xi[s] / sigma)) : 1.0;
  }
  free(fill);
  free(cell);
  return AGAPE_OK;
}

static void fs_cells_free(fs_cells *c)
{
  free(c->start);
  free(c->item);
  free(c->x);
  free(c->ew);
  memset(c, 0, sizeof *c);
}

/* Displacement x - q to the nearest periodic image, and its squared length. */
static double fs_disp(const double *x, const double *q, double *u)
{
  double r2 = 0;
  for (int d = 0; d < 3; d++) {
    double t = x[d] - q[d];
    t -= nearbyint(t);
    u[d] = t;
    r2 += t * t;
  }
  return r2;
}

/* Keep the K smallest (r2, state) pairs, ordered by r2 then state index (a unique order, so
 * the set does not depend on the visiting order). */
typedef struct {
  int K, cnt;
  double *r2;
  int64_t *p;
  int64_t *s;
} fs_best;

static void fs_best_offer(fs_best *b, double r2, int64_t p, int64_t s)
{
  if (b->cnt == b->K && (r2 > b->r2[b->K - 1] || (r2 == b->r2[b->K - 1] && s >= b->s[b->K - 1]))) return;
  int i = b->cnt < b->K ? b->cnt++ : b->K - 1;
  while (i > 0 && (b->r2[i - 1] > r2 || (b->r2[i - 1] == r2 && b->s[i - 1] > s))) {
    b->r2[i] = b->r2[i - 1];
    b->p[i] = b->p[i - 1];
    b->s[i] = b->s[i - 1];
    i--;
  }
  b->r2[i] = r2;
  b->p[i] = p;
  b->s[i] = s;
}

/* The K nearest states of c to q (exact): shells of cells of growing Chebyshev radius r
 * until the K-th distance is below r cell widths (no state of a farther shell can be
 * closer); all states when the shells would wrap around the box. */
static void fs_knn(const fs_cells *c, const double *q, fs_best *b)
{
  b->cnt = 0;
  int nc = c->nc, qc[3];
  for (int d = 0; d < 3; d++) qc[d] = fs_cell_of(q[d], nc);
  double w = 1.0 / nc, u[3];
  for (int r = 0; 2 * r + 1 <= nc; r++) {
    for (int dx = -r; dx <= r; dx++)
      for (int dy = -r; dy <= r; dy++)
        for (int dz = -r; dz <= r; dz++) {
          if (abs(dx) != r && abs(dy) != r && abs(dz) != r) continue; /* inner shells done */
          int64_t id =
            (((int64_t)((qc[0] + dx + nc) % nc) * nc) + (qc[1] + dy + nc) % nc) * nc + (qc[2] + dz + nc) % nc;
          for (int64_t p = c->start[id]; p < c->start[id + 1]; p++)
            fs_best_offer(b, fs_disp(c->x + 3 * p, q, u), p, c->item[p]);
        }
    if (b->cnt == b->K && sqrt(b->r2[b->K - 1]) < r * w) return;
  }
  b->cnt = 0;
  for (int64_t p = 0; p < c->n; p++) fs_best_offer(b, fs_disp(c->x + 3 * p, q, u), p, c->item[p]);
}

/* Solve the 4x4 symmetric positive definite A a = e1 by Cholesky. Returns 0, or -1 when a
 * pivot falls below 1e-12 of the largest diagonal entry (singular for the purpose). */
static int fs_solve4(double A[4][4], double a[4])
{
  double L[4][4] = {{0}}, dmax = 0;
  for (int i = 0; i < 4; i++) dmax = fmax(dmax, A[i][i]);
  for (int j = 0; j < 4; j++) {
    double s = A[j][j];
    for (int k = 0; k < j; k++) s -= L[j][k] * L[j][k];
    if (!(s > 1e-12 * dmax)) return -1;
    L[j][j] = sqrt(s);
    for (int i = j + 1; i < 4; i++) {
      double t = A[i][j];
      for (int k = 0; k < j; k++) t -= L[i][k] * L[j][k];
      L[i][j] = t / L[j][j];
    }
  }
  double y[4];
  for (int i = 0; i < 4; i++) {
    double t = (i == 0);
    for (int k = 0; k < i; k++) t -= L[i][k] * y[k];
    y[i] = t / L[i][i];
  }
  for (int i = 3; i >= 0; i--) {
    double t = y[i];
    for (int k = i + 1; k < 4; k++) t -= L[k][i] * a[k];
    a[i] = t / L[i][i];
  }
  return 0;
}

/* Coefficients of one grid point q from its K nearest states (b->cnt of them, ordered):
 * local linear fit with tricube weights (bandwidth *h = 1.1 x the largest distance), or the
 * weighted mean when the fit is singular or amplifies. Returns 1 if the mean was used. */
static int fs_loess(const fs_cells *c, const double *q, const fs_best *b, double *coef, double *h)
{
  int K = b->cnt;
  double dmax = sqrt(b->r2[K - 1]);
  if (!(dmax > 0)) { /* every state sits on the grid point */
    for (int j = 0; j < K; j++) coef[j] = 1.0 / K;
    *h = 0;
    return 1;
  }
  double H = 1.1 * dmax, A[4][4] = {{0}}, x[4], wsum = 0, w[AGAPE_FRMSF_NEIGHBOURS], U[AGAPE_FRMSF_NEIGHBOURS][3];
  *h = H;
  for (int j = 0; j < K; j++) {
    fs_disp(c->x + 3 * b->p[j], q, U[j]);
    double t = sqrt(b->r2[j]) / H, v = 1 - t * t * t;
    w[j] = v * v * v * c->ew[b->p[j]];
    wsum += w[j];
    x[0] = 1;
    for (int d = 0; d < 3; d++) x[d + 1] = U[j][d] / H;
    for (int r = 0; r < 4; r++)
      for (int s = 0; s < 4; s++) A[r][s] += w[j] * x[r] * x[s];
  }
  double a[4];
  if (fs_solve4(A, a) == 0) {
    double leb = 0;
    for (int j = 0; j < K; j++) {
      coef[j] = w[j] * (a[0] + (a[1] * U[j][0] + a[2] * U[j][1] + a[3] * U[j][2]) / H);
      leb += fabs(coef[j]);
    }
    if (leb <= AGAPE_FRMSF_MAX_LEBESGUE) return 0;
  }
  for (int j = 0; j < K; j++) coef[j] = wsum > 0 ? w[j] / wsum : 1.0 / K;
  return 1;
}

/* Foot point kf of grid point k0 on the zero surface of band b: Newton steps along the
 * gradient (central differences), kf = k - xi grad xi / |grad xi|^2. Returns 0, or -1 (kf = k0)
 * when it does not converge to |xi| < 1e-7 eV within 8 steps or strays farther than two grid
 * spacings (flat band, crossing bands). */
static int fs_foot(agape_frmsf_bands_fn bands, const void *ctx, int b, const double *k0, double spacing, double *kf)
{
  double k[3] = {k0[0], k0[1], k0[2]}, xi[64], dk = 1e-5;
  memcpy(kf, k0, sizeof k);
  for (int it = 0; it < 8; it++) {
    bands(ctx, k, xi);
    double x = xi[b];
    if (fabs(x) < 1e-7) {
      double d2 = 0;
      for (int d = 0; d < 3; d++) {
        double t = k[d] - k0[d];
        d2 += t * t;
      }
      if (d2 > 4 * spacing * spacing) return -1;
      memcpy(kf, k, sizeof k);
      return 0;
    }
    double gr[3], g2 = 0;
    for (int d = 0; d < 3; d++) {
      double kp[3] = {k[0], k[1], k[2]}, km[3] = {k[0], k[1], k[2]}, xp, xm;
      kp[d] += dk;
      km[d] -= dk;
      bands(ctx, kp, xi);
      xp = xi[b];
      bands(ctx, km, xi);
      xm = xi[b];
      gr[d] = (xp - xm) / (2 * dk);
      g2 += gr[d] * gr[d];
    }
    if (!(g2 > 0)) return -1;
    for (int d = 0; d < 3; d++) k[d] -= x * gr[d] / g2;
  }
  return -1;
}

agape_err agape_frmsf_stencil_create(const agape_frmsf_grid *g, int64_t n, const double *k, const int *band,
                                     const double *xi, double sigma, agape_frmsf_bands_fn bands, const void *ctx,
                                     agape_frmsf_stencil *s)
{
  memset(s, 0, sizeof *s);
  const int K = AGAPE_FRMSF_NEIGHBOURS, nb = g->nbnd;
  const int n1 = g->nk[0], n2 = g->nk[1], n3 = g->nk[2];
  const int64_t full = agape_frmsf_npts(g);
  agape_err err = AGAPE_OK;
  fs_cells *cells = calloc((size_t)nb, sizeof(fs_cells));
  if (!cells) return AGAPE_ERR_NOMEM;
  for (int b = 0; b < nb && !err; b++) err = fs_cells_build(n, k, band, xi, sigma, b, &cells[b]);
  if (err) goto done;

  /* entries next to the Fermi surface: xi = 0, or a neighbour of the 3x3x3 block (same
   * band, periodic) with xi of the other sign; only bands with states */
  int64_t cnt = 0;
  for (int b = 0; b < nb; b++) {
    if (cells[b].n == 0) continue;
    for (int64_t q = 0; q < full; q++)
      if (fs_near_surface(g->eig + (size_t)b * full, q, n1, n2, n3)) cnt++;
  }
  s->K = K;
  s->at = malloc(sizeof(int64_t) * (size_t)(cnt ? cnt : 1));
  s->idx = malloc(sizeof(int64_t) * (size_t)(cnt ? cnt : 1) * K);
  s->coef = malloc(sizeof(double) * (size_t)(cnt ? cnt : 1) * K);
  s->h = malloc(sizeof(double) * (size_t)(cnt ? cnt : 1));
  s->kf = malloc(sizeof(double) * 3 * (size_t)(cnt ? cnt : 1));
  if (!s->at || !s->idx || !s->coef || !s->h || !s->kf) {
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  int64_t m = 0;
  for (int b = 0; b < nb; b++) { /* the same test, now recording the entries in grid order */
    if (cells[b].n == 0) continue;
    const double *e = g->eig + (size_t)b * full;
    for (int64_t q = 0; q < full; q++) {
      if (fs_near_surface(e, q, n1, n2, n3)) s->at[m++] = (int64_t)b * full + q;
    }
  }
  s->npts = m;

  /* owner computes: entry p writes only its own slots of idx, coef and h; the mean count
   * is a reduction */
  int64_t nmean = 0, nfail = 0, nfoot = 0;
  const double spacing = 1.0 / fmin(n1, fmin(n2, n3));
#pragma omp parallel reduction(+ : nmean, nfail, nfoot)
  {
    double r2[AGAPE_FRMSF_NEIGHBOURS];
    int64_t pp[AGAPE_FRMSF_NEIGHBOURS], ss[AGAPE_FRMSF_NEIGHBOURS];
    fs_best best = {K, 0, r2, pp, ss};
#pragma omp for schedule(dynamic, 64)
    for (int64_t p = 0; p < m; p++) {
      int b = (int)(s->at[p] / full);
      int64_t q = s->at[p] % full;
      const fs_cells *c = &cells[b];
      double k0[3] = {(double)(q / ((int64_t)n2 * n3)) / n1, (double)((q / n3) % n2) / n2, (double)(q % n3) / n3};
      double *kq = s->kf + 3 * p;
      if (!bands || fs_foot(bands, ctx, b, k0, spacing, kq) != 0) {
        memcpy(kq, k0, sizeof k0);
        nfoot += bands != NULL;
      }
      for (int d = 0; d < 3; d++) kq[d] = fs_fold(kq[d]);
      best.K = c->n < K ? (int)c->n : K;
      fs_knn(c, kq, &best);
      if (best.cnt < 1) {
        nfail++;
        continue;
      }
      nmean += fs_loess(c, kq, &best, s->coef + (size_t)p * K, &s->h[p]);
      for (int j = 0; j < K; j++) {
        if (j < best.cnt)
          s->idx[(size_t)p * K + j] = best.s[j];
        else {
          s->idx[(size_t)p * K + j] = best.s[0];
          s->coef[(size_t)p * K + j] = 0;
        }
      }
    }
  }
  s->nmean = nmean;
  s->nfoot = nfoot;
  if (nfail)
    err =
      agape_error(AGAPE_ERR_INTERNAL, "FermiSurfer interpolation: %lld grid points without states", (long long)nfail);
done:
  for (int b = 0; b < nb; b++) fs_cells_free(&cells[b]);
  free(cells);
  if (err) agape_frmsf_stencil_free(s);
  if (err == AGAPE_ERR_NOMEM) agape_error(err, "FermiSurfer interpolation: out of memory");
  return err;
}

void agape_frmsf_stencil_apply(const agape_frmsf_stencil *s, const double *delta, agape_frmsf_grid *g)
{
  memset(g->val, 0, sizeof(double) * (size_t)agape_frmsf_npts(g) * g->nbnd);
  for (int64_t p = 0; p < s->npts; p++) {
    double v = 0;
    for (int j = 0; j < s->K; j++) v += s->coef[(size_t)p * s->K + j] * delta[s->idx[(size_t)p * s->K + j]];
    g->val[s->at[p]] = v;
  }
}

typedef struct {
  const agape_frmsf_stencil *s;
  const double *delta;
  int64_t ld;
} fs_model_ctx;

static void fs_model_fill(void *ctx, int it, agape_frmsf_grid *g)
{
  fs_model_ctx *c = ctx;
  agape_frmsf_stencil_apply(c->s, c->delta + (size_t)it * c->ld, g);
}

agape_err agape_frmsf_write_bands(const char *results_path, int ngrid, int nbnd, const double bvec[9],
                                  agape_frmsf_bands_fn bands, const void *ctx, int64_t n_mc, const double *k,
                                  const int *band, const double *xi, double sigma, int ntemps, const double *temps,
                                  const double *delta_meV, int64_t ld)
{
  if (ntemps < 1 || n_mc < 1) return AGAPE_OK;
  agape_frmsf_grid g;
  agape_frmsf_stencil s;
  agape_err err = agape_frmsf_bands_grid(ngrid, nbnd, bvec, bands, ctx, &g);
  if (err) return err;
  if ((err = agape_frmsf_stencil_create(&g, n_mc, k, band, xi, sigma, bands, ctx, &s))) {
    agape_frmsf_grid_free(&g);
    return err;
  }
  double hmax = 0;
  for (int64_t p = 0; p < s.npts; p++) hmax = fmax(hmax, s.h[p]);
  fs_model_ctx c = {&s, delta_meV, ld};
  char dir[AGAPE_PATH_MAX];
  err = agape_frmsf_write_temps(results_path, &g, ntemps, temps, fs_model_fill, &c, dir, sizeof dir);
  char names[128];
  agape_frmsf_names(ntemps, temps, names, sizeof names);
  if (!err)
    printf("agape: wrote %d FermiSurfer file(s) %s to %s (grid %d^3, %d bands; gap Delta_s in "
           "meV at %lld grid points next to the Fermi surface, local linear fit over %d Monte-Carlo states, "
           "bandwidth <= %.3f of a reciprocal vector; %lld by the weighted mean, %lld at the grid point itself)\n",
           ntemps, names, dir, g.nk[0], g.nbnd, (long long)s.npts, s.K, hmax, (long long)s.nmean, (long long)s.nfoot);
  agape_frmsf_stencil_free(&s);
  agape_frmsf_grid_free(&g);
  fflush(stdout);
  return err;
}
