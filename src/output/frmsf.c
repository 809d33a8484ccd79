/* FermiSurfer files of the gap (see include/agape/frmsf.h for the format, the two sources and
 * the interpolation of the model path). Output stage, rank 0, no MPI; OpenMP in the
 * interpolation only. */
#define _POSIX_C_SOURCE 200809L
#include "agape/frmsf.h"
#include "agape/units.h"
#include "agape/output.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS_NAME_FMT "gap_T%06.2fK.frmsf" /* file name of temperature T (K) */

/* ======================================================================================
 * Grid and file
 * ====================================================================================== */

static int64_t fs_npts(const agape_frmsf_grid *g) { return (int64_t)g->nk[0] * g->nk[1] * g->nk[2]; }

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

/* Allocate eig and val (zeroed) of a grid whose nk and nbnd are set. */
static agape_err fs_grid_alloc(agape_frmsf_grid *g)
{
  size_t n = (size_t)fs_npts(g) * (size_t)g->nbnd;
  g->eig = calloc(n ? n : 1, sizeof(double));
  g->val = calloc(n ? n : 1, sizeof(double));
  if (!g->eig || !g->val) {
    agape_frmsf_grid_free(g);
    return agape_error(AGAPE_ERR_NOMEM, "FermiSurfer grid: %zu entries", n);
  }
  return AGAPE_OK;
}

static void fs_identity(double *b)
{
  for (int i = 0; i < 9; i++) b[i] = (i % 4 == 0) ? 1.0 : 0.0;
}

agape_err agape_frmsf_write(const char *path, const agape_frmsf_grid *g)
{
  char tmp[AGAPE_PATH_MAX + 96];
  if (agape_path_tmpname(tmp, sizeof tmp, path) != 0)
    return agape_error(AGAPE_ERR_IO, "cannot write %s: path too long", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return agape_error(AGAPE_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  int64_t n = fs_npts(g) * g->nbnd;
  fprintf(f, "%d %d %d\n1\n%d\n", g->nk[0], g->nk[1], g->nk[2], g->nbnd);
  for (int r = 0; r < 3; r++) fprintf(f, "%.10e %.10e %.10e\n", g->bvec[3 * r], g->bvec[3 * r + 1], g->bvec[3 * r + 2]);
  for (int64_t i = 0; i < n; i++) fprintf(f, "%.9e\n", g->eig[i]);
  for (int64_t i = 0; i < n; i++) fprintf(f, "%.9e\n", g->val[i]);
  return agape_text_commit(f, tmp, path);
}

/* "gap_T<first>K.frmsf .. gap_T<last>K.frmsf" (or the one name) into out, for messages. */
static void fs_names(int ntemps, const double *temps, char *out, size_t cap)
{
  int len = snprintf(out, cap, FS_NAME_FMT, temps[0]);
  if (ntemps > 1 && len > 0 && (size_t)len < cap) snprintf(out + len, cap - len, " .. " FS_NAME_FMT, temps[ntemps - 1]);
}

/* One file per temperature in the folder of results_path; fill(it) sets g->val first. */
typedef void (*fs_fill_fn)(void *ctx, int it, agape_frmsf_grid *g);

static agape_err fs_write_temps(const char *results_path, agape_frmsf_grid *g, int ntemps, const double *temps,
                                fs_fill_fn fill, void *ctx, char *dir, size_t cap)
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
 * EPW grid
 * ====================================================================================== */

/* EPW's crystal.fmt (list-directed text: nat / nmodes / nelec [nbndskip] / at(3,3) / bg(3,3)
 * / ...): bg into b (b1, b2, b3 as rows, units 2 pi/alat). Accepted only if at . bg^T = 1
 * to 1e-6. Returns 0, or -1 (absent or not understood). */
static int fs_read_crystal(const char *path, double *b)
{
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[4096];
  int ok = 1;
  for (int i = 0; i < 3 && ok; i++) ok = fgets(line, sizeof line, f) != NULL;
  double at[9], bg[9];
  for (int i = 0; i < 9 && ok; i++) ok = fscanf(f, "%lf", &at[i]) == 1;
  for (int i = 0; i < 9 && ok; i++) ok = fscanf(f, "%lf", &bg[i]) == 1;
  fclose(f);
  if (!ok) return -1;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double d = at[3 * i] * bg[3 * j] + at[3 * i + 1] * bg[3 * j + 1] + at[3 * i + 2] * bg[3 * j + 2];
      if (!isfinite(d) || fabs(d - (i == j)) > 1e-6) return -1;
    }
  memcpy(b, bg, sizeof bg);
  return 0;
}

/* bvec from crystal.fmt beside the folder dir (EPW's run folder), else inside it. */
static int fs_epw_bvec(const char *dir, double *b)
{
  if (!dir || !dir[0]) return -1;
  char d[AGAPE_PATH_MAX], path[AGAPE_PATH_MAX + 32];
  if (snprintf(d, sizeof d, "%s", dir) >= (int)sizeof d) return -1;
  size_t len = strlen(d);
  while (len > 1 && d[len - 1] == '/') d[--len] = '\0';
  char parent[AGAPE_PATH_MAX];
  if (agape_path_dirname(d, parent, sizeof parent) == 0) {
    snprintf(path, sizeof path, "%s/crystal.fmt", parent);
    if (fs_read_crystal(path, b) == 0) return 0;
  }
  snprintf(path, sizeof path, "%s/crystal.fmt", d);
  return fs_read_crystal(path, b);
}

agape_err agape_frmsf_epw_grid(const agape_epw *e, const char *epw_dir, agape_frmsf_grid *g)
{
  memset(g, 0, sizeof *g);
  for (int d = 0; d < 3; d++) g->nk[d] = e->nkf[d];
  g->nbnd = e->nbndfst;
  g->bvec_from_file = fs_epw_bvec(epw_dir, g->bvec) == 0;
  if (!g->bvec_from_file) fs_identity(g->bvec);
  agape_err err = fs_grid_alloc(g);
  if (err) return err;
  const int nb = e->nbndfst;
  const int64_t full = fs_npts(g);
  const double out = AGAPE_FRMSF_OUT_MARGIN * e->fsthick;
  const int n1 = g->nk[0], n2 = g->nk[1], n3 = g->nk[2];

  /* Fermi-shell points: every band's energy from egnv (window bands: xi of the state) */
  for (int64_t q = 0; q < full; q++) {
    int ik = e->ixkff[q] - 1;
    if (ik < 0) continue;
    for (int b = 0; b < nb; b++) {
      int s = e->s_of[(size_t)ik * nb + b];
      g->eig[(size_t)b * full + q] = s >= 0 ? e->s_xi[s] : e->ekfs[(size_t)ik * nb + b] - e->ef;
    }
  }
  if (e->nkfs == 0) {
    for (size_t i = 0; i < (size_t)full * nb; i++) g->eig[i] = 2 * out;
    return AGAPE_OK;
  }
  /* points outside the shell: start from the nearest shell point (breadth-first from all
   * shell points at once over the periodic grid, 6 neighbours, in index order), then smooth
   * towards the discrete harmonic continuation of the known energies (Gauss-Seidel sweeps in
   * index order over the outside points, the shell values fixed) */
  int64_t *src = malloc(sizeof(int64_t) * (size_t)full), *queue = malloc(sizeof(int64_t) * (size_t)full);
  int64_t *nbr = malloc(sizeof(int64_t) * 6 * (size_t)full);
  if (!src || !queue || !nbr) {
    free(src);
    free(queue);
    free(nbr);
    agape_frmsf_grid_free(g);
    return agape_error(AGAPE_ERR_NOMEM, "FermiSurfer grid: %lld points", (long long)full);
  }
  for (int64_t q = 0; q < full; q++) {
    int i = (int)(q / ((int64_t)n2 * n3)), j = (int)((q / n3) % n2), l = (int)(q % n3);
    int64_t *r = nbr + 6 * q;
    r[0] = ((int64_t)((i + 1) % n1) * n2 + j) * n3 + l;
    r[1] = ((int64_t)((i + n1 - 1) % n1) * n2 + j) * n3 + l;
    r[2] = ((int64_t)i * n2 + (j + 1) % n2) * n3 + l;
    r[3] = ((int64_t)i * n2 + (j + n2 - 1) % n2) * n3 + l;
    r[4] = ((int64_t)i * n2 + j) * n3 + (l + 1) % n3;
    r[5] = ((int64_t)i * n2 + j) * n3 + (l + n3 - 1) % n3;
  }
  int64_t head = 0, tail = 0, nout = 0;
  for (int64_t q = 0; q < full; q++) {
    src[q] = e->ixkff[q] > 0 ? q : -1;
    if (src[q] >= 0) queue[tail++] = q;
  }
  while (head < tail) {
    int64_t q = queue[head++];
    for (int t = 0; t < 6; t++) {
      int64_t r = nbr[6 * q + t];
      if (src[r] < 0) {
        src[r] = src[q];
        queue[tail++] = r;
      }
    }
  }
  for (int64_t q = 0; q < full; q++) { /* the outside points, in index order */
    if (e->ixkff[q] > 0) continue;
    queue[nout++] = q;
    for (int b = 0; b < nb; b++) g->eig[(size_t)b * full + q] = g->eig[(size_t)b * full + src[q]];
  }
  for (int b = 0; b < nb; b++) {
    double *x = g->eig + (size_t)b * full;
    for (int sweep = 0; sweep < AGAPE_FRMSF_SWEEPS; sweep++) {
      double change = 0;
      for (int64_t o = 0; o < nout; o++) {
        int64_t q = queue[o], *r = nbr + 6 * q;
        double v = (x[r[0]] + x[r[1]] + x[r[2]] + x[r[3]] + x[r[4]] + x[r[5]]) / 6;
        change = fmax(change, fabs(v - x[q]));
        x[q] = v;
      }
      if (change < 1e-6 * e->fsthick) break;
    }
    for (int64_t o = 0; o < nout; o++) { /* safely outside the window, keeping the sign */
      int64_t q = queue[o];
      if (fabs(x[q]) < out) x[q] = x[q] < 0 ? -out : out;
    }
    for (int64_t q = 0; q < full; q++) { /* shell bands outside the window likewise */
      int ik = e->ixkff[q] - 1;
      if (ik >= 0 && e->s_of[(size_t)ik * nb + b] < 0 && fabs(x[q]) < out) x[q] = x[q] < 0 ? -out : out;
    }
  }
  free(src);
  free(queue);
  free(nbr);
  return AGAPE_OK;
}

void agape_frmsf_epw_values(const agape_epw *e, const double *delta_meV, agape_frmsf_grid *g)
{
  const int nb = e->nbndfst;
  const int64_t full = fs_npts(g);
  for (int64_t q = 0; q < full; q++) {
    int ik = e->ixkff[q] - 1;
    for (int b = 0; b < nb; b++) {
      int s = ik >= 0 ? e->s_of[(size_t)ik * nb + b] : -1;
      g->val[(size_t)b * full + q] = s >= 0 ? delta_meV[s] : 0.0;
    }
  }
}

typedef struct {
  const agape_epw *e;
  const double *delta;
  int64_t ld;
} fs_epw_ctx;

static void fs_epw_fill(void *ctx, int it, agape_frmsf_grid *g)
{
  fs_epw_ctx *c = ctx;
  agape_frmsf_epw_values(c->e, c->delta + (size_t)it * c->ld, g);
}

agape_err agape_frmsf_write_epw(const char *results_path, const char *epw_dir, const agape_epw *e, int ntemps,
                                const double *temps, const double *delta_meV, int64_t ld)
{
  if (ntemps < 1) return AGAPE_OK;
  agape_frmsf_grid g;
  agape_err err = agape_frmsf_epw_grid(e, epw_dir, &g);
  if (err) return err;
  fs_epw_ctx c = {e, delta_meV, ld};
  char dir[AGAPE_PATH_MAX];
  err = fs_write_temps(results_path, &g, ntemps, temps, fs_epw_fill, &c, dir, sizeof dir);
  if (!err) {
    char names[128];
    fs_names(ntemps, temps, names, sizeof names);
    printf("agape: wrote %d FermiSurfer file(s) %s to %s (EPW grid %d x %d x %d, %d band(s), gap Delta_nk in meV)\n",
           ntemps, names, dir, g.nk[0], g.nk[1], g.nk[2], g.nbnd);
    if (!g.bvec_from_file)
      printf("agape: note: no crystal.fmt beside %s: the FermiSurfer files carry the identity as reciprocal "
             "vectors (the Brillouin zone is drawn as a cube)\n",
             epw_dir ? epw_dir : "the EPW folder");
  }
  agape_frmsf_grid_free(&g);
  fflush(stdout);
  return err;
}

/* ======================================================================================
 * Model grid and its interpolation
 * ====================================================================================== */

agape_err agape_frmsf_model_grid(const xb12_model *m, int n, agape_frmsf_grid *g)
{
  memset(g, 0, sizeof *g);
  g->nk[0] = g->nk[1] = g->nk[2] = n;
  g->nbnd = xb12_nbands(m);
  if (n < 1 || g->nbnd < 1 || g->nbnd > 64)
    return agape_error(AGAPE_ERR_INTERNAL, "FermiSurfer model grid: %d points, %d bands", n, g->nbnd);
  double b = 2.0 * AGAPE_PI / xb12_lattice_A(m); /* 1/Angstrom */
  fs_identity(g->bvec);
  for (int i = 0; i < 9; i++) g->bvec[i] *= b;
  agape_err err = fs_grid_alloc(g);
  if (err) return err;
  const int64_t full = fs_npts(g);
  const int nb = g->nbnd;
/* owner computes: each point writes only its own entries */
#pragma omp parallel for schedule(static)
  for (int64_t q = 0; q < full; q++) {
    double k[3] = {(double)(q / ((int64_t)n * n)) / n, (double)((q / n) % n) / n, (double)(q % n) / n};
    double xi[64];
    xb12_bands(m, k, xi);
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
  const int64_t full = fs_npts(g);
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
  memset(g->val, 0, sizeof(double) * (size_t)fs_npts(g) * g->nbnd);
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

static void fs_xb12_bands(const void *ctx, const double k[3], double *xi) { xb12_bands(ctx, k, xi); }

agape_err agape_frmsf_write_model(const char *results_path, const xb12_model *m, int64_t n_mc, const double *k,
                                  const int *band, const double *xi, double sigma, int ntemps, const double *temps,
                                  const double *delta_meV, int64_t ld)
{
  if (ntemps < 1 || n_mc < 1) return AGAPE_OK;
  agape_frmsf_grid g;
  agape_frmsf_stencil s;
  agape_err err = agape_frmsf_model_grid(m, AGAPE_FRMSF_MODEL_GRID, &g);
  if (err) return err;
  if ((err = agape_frmsf_stencil_create(&g, n_mc, k, band, xi, sigma, fs_xb12_bands, m, &s))) {
    agape_frmsf_grid_free(&g);
    return err;
  }
  double hmax = 0;
  for (int64_t p = 0; p < s.npts; p++) hmax = fmax(hmax, s.h[p]);
  fs_model_ctx c = {&s, delta_meV, ld};
  char dir[AGAPE_PATH_MAX];
  err = fs_write_temps(results_path, &g, ntemps, temps, fs_model_fill, &c, dir, sizeof dir);
  char names[128];
  fs_names(ntemps, temps, names, sizeof names);
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

agape_err agape_frmsf_write_states(const agape_params *p, const agape_material *m, const agape_states *st,
                                   const double *delta_meV)
{
  if (m->kind == MATK_EPW && m->epw) {
    if (st->n < m->epw->ns)
      return agape_error(AGAPE_ERR_INTERNAL, "FermiSurfer files: %lld states, fewer than the %d EPW states",
                         (long long)st->n, m->epw->ns);
    return agape_frmsf_write_epw(p->output_file, p->epw_dir, m->epw, p->ntemps, p->temps, delta_meV, st->n);
  }
  if (m->kind == MATK_MODEL && m->model && st->n_mc > 0 && st->k && st->band)
    return agape_frmsf_write_model(p->output_file, m->model, st->n_mc, st->k, st->band, st->xi,
                                   p->fs_smearing_meV * 1e-3, p->ntemps, p->temps, delta_meV, st->n);
  return AGAPE_OK;
}
