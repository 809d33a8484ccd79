/* Pair densities of plane-wave Bloch states (see include/agape/pairdens.h). No MPI, no I/O. */
#include "agape/pairdens.h"
#include <cblas.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pd_grid {
  int nr[3];
  size_t n;        /* nr[0] nr[1] nr[2] */
  fftw_complex *w; /* scratch: the product */
  fftw_plan fwd;   /* the product to G (FFTW_FORWARD: e^{-i G r}) */
  fftw_plan bwd;   /* coefficients to r (FFTW_BACKWARD: e^{+i G r}), on u */
  fftw_complex *u; /* pd_real's plan target */
};

pd_grid *pd_create(const int nr[3])
{
  pd_grid *g = calloc(1, sizeof *g);
  if (!g || nr[0] < 1 || nr[1] < 1 || nr[2] < 1) {
    free(g);
    return NULL;
  }
  memcpy(g->nr, nr, sizeof g->nr);
  g->n = (size_t)nr[0] * nr[1] * nr[2];
  g->w = fftw_alloc_complex(g->n);
  g->u = fftw_alloc_complex(g->n);
  if (g->w && g->u) {
    g->fwd = fftw_plan_dft_3d(nr[0], nr[1], nr[2], g->w, g->w, FFTW_FORWARD, FFTW_ESTIMATE);
    g->bwd = fftw_plan_dft_3d(nr[0], nr[1], nr[2], g->u, g->u, FFTW_BACKWARD, FFTW_ESTIMATE);
  }
  if (!g->fwd || !g->bwd) pd_destroy(&g);
  return g;
}

void pd_destroy(pd_grid **pg)
{
  pd_grid *g = *pg;
  if (!g) return;
  if (g->fwd) fftw_destroy_plan(g->fwd);
  if (g->bwd) fftw_destroy_plan(g->bwd);
  fftw_free(g->w);
  fftw_free(g->u);
  free(g);
  *pg = NULL;
}

/* grid index of Miller indices m (periodic), or -1 if an index does not fit (|m| >= n/2 with
 * room for the sign: the grid holds -n/2 < m < n/2, and m = -n/2 for even n) */
static long pd_index(const int *nr, const int *m)
{
  long idx = 0;
  for (int d = 0; d < 3; d++) {
    int n = nr[d], v = m[d];
    if (2 * v >= n || 2 * v < -n) return -1;
    idx = idx * n + (v < 0 ? v + n : v);
  }
  return idx;
}

int pd_real(pd_grid *g, int npw, const int *mill, const int *g0, const double complex *c, double complex *u)
{
  memset(g->u, 0, sizeof(fftw_complex) * g->n);
  for (int i = 0; i < npw; i++) {
    int m[3];
    for (int d = 0; d < 3; d++) m[d] = mill[3 * i + d] - (g0 ? g0[d] : 0);
    long j = pd_index(g->nr, m);
    if (j < 0) return -1;
    memcpy(&g->u[j], &c[i], sizeof(fftw_complex));
  }
  fftw_execute(g->bwd);
  memcpy(u, g->u, sizeof(fftw_complex) * g->n);
  return 0;
}

void pd_rho(pd_grid *g, const double complex *un, const double complex *um, int ng, const int *gl, double complex *rho)
{
  double complex *w = (double complex *)g->w;
  for (size_t j = 0; j < g->n; j++) w[j] = conj(un[j]) * um[j];
  fftw_execute(g->fwd);
  const double s = 1.0 / (double)g->n;
  for (int i = 0; i < ng; i++) {
    long j = pd_index(g->nr, gl + 3 * i);
    rho[i] = j < 0 ? 0 : w[j] * s;
  }
}

/* a box lookup table of Miller indices: at[box(m)] = the position of m in mill, or -1 */
typedef struct {
  int lo[3], e[3];
  int *at;
} pd_box;

static int pd_box_make(int npw, const int *mill, pd_box *b)
{
  for (int d = 0; d < 3; d++) {
    int lo = npw > 0 ? mill[d] : 0, hi = lo;
    for (int i = 0; i < npw; i++) {
      if (mill[3 * i + d] < lo) lo = mill[3 * i + d];
      if (mill[3 * i + d] > hi) hi = mill[3 * i + d];
    }
    b->lo[d] = lo;
    b->e[d] = hi - lo + 1;
  }
  const size_t n = (size_t)b->e[0] * b->e[1] * b->e[2];
  b->at = malloc(sizeof(int) * n);
  if (!b->at) return -1;
  for (size_t x = 0; x < n; x++) b->at[x] = -1;
  for (int i = 0; i < npw; i++)
    b->at[((size_t)(mill[3 * i] - b->lo[0]) * b->e[1] + (mill[3 * i + 1] - b->lo[1])) * b->e[2] +
          (mill[3 * i + 2] - b->lo[2])] = i;
  return 0;
}

static int pd_box_find(const pd_box *b, const int m[3])
{
  for (int d = 0; d < 3; d++)
    if (m[d] < b->lo[d] || m[d] >= b->lo[d] + b->e[d]) return -1;
  return b->at[((size_t)(m[0] - b->lo[0]) * b->e[1] + (m[1] - b->lo[1])) * b->e[2] + (m[2] - b->lo[2])];
}

void pd_rho_direct(int npw_n, const int *mill_n, const double complex *cn, int npw_m, const int *mill_m,
                   const double complex *cm, const int *g0, int ng, const int *gl, double complex *rho)
{
  pd_box box;
  if (pd_box_make(npw_m, mill_m, &box)) {
    for (int i = 0; i < ng; i++) rho[i] = NAN;
    return;
  }
  for (int i = 0; i < ng; i++) {
    double complex r = 0;
    for (int a = 0; a < npw_n; a++) {
      int m[3];
      for (int d = 0; d < 3; d++) m[d] = mill_n[3 * a + d] + gl[3 * i + d] + (g0 ? g0[d] : 0);
      const int b = pd_box_find(&box, m);
      if (b >= 0) r += conj(cn[a]) * cm[b];
    }
    rho[i] = r;
  }
  free(box.at);
}

int pd_rho_block(int npw_n, const int *mill_n, int nbn, const double complex *cn, int npw_m, const int *mill_m, int nbm,
                 const double complex *cm, const int *g0, int ng, const int *gl, double complex *rho)
{
  if (nbn < 1 || nbm < 1 || ng < 1) return 0;
  pd_box box;
  if (pd_box_make(npw_m, mill_m, &box)) return -1;
  int *idx = malloc(sizeof(int) * (size_t)(npw_n > 0 ? npw_n : 1));
  double complex *sh = malloc(sizeof(double complex) * (size_t)(npw_n > 0 ? npw_n : 1) * nbm);
  double complex *t = malloc(sizeof(double complex) * (size_t)nbn * nbm);
  if (!idx || !sh || !t) {
    free(box.at);
    free(idx);
    free(sh);
    free(t);
    return -1;
  }
  const double complex one = 1.0, zero = 0.0;
  for (int g = 0; g < ng; g++) {
    /* the states of k' gathered onto k's plane waves G1: sh[m][i] = c_m(G1_i + G + g0) */
    for (int i = 0; i < npw_n; i++) {
      int m[3];
      for (int d = 0; d < 3; d++) m[d] = mill_n[3 * i + d] + gl[3 * g + d] + (g0 ? g0[d] : 0);
      idx[i] = pd_box_find(&box, m);
    }
    for (int b = 0; b < nbm; b++)
      for (int i = 0; i < npw_n; i++) sh[(size_t)b * npw_n + i] = idx[i] >= 0 ? cm[(size_t)b * npw_m + idx[i]] : 0.0;
    /* t[n + nbn m] = sum_i conj(cn[n][i]) sh[m][i] (column-major nbn x nbm) */
    if (npw_n > 0)
      cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, nbn, nbm, npw_n, &one, cn, npw_n, sh, npw_n, &zero, t,
                  nbn);
    else
      memset(t, 0, sizeof(double complex) * (size_t)nbn * nbm);
    for (size_t p = 0; p < (size_t)nbn * nbm; p++) rho[p * ng + g] = t[p];
  }
  free(box.at);
  free(idx);
  free(sh);
  free(t);
  return 0;
}
