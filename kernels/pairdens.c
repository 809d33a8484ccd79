/* Pair densities of plane-wave Bloch states (see include/agape/pairdens.h). No MPI, no I/O. */
#include "agape/pairdens.h"
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

void pd_rho_direct(int npw_n, const int *mill_n, const double complex *cn, int npw_m, const int *mill_m,
                   const double complex *cm, const int *g0, int ng, const int *gl, double complex *rho)
{
  /* a box lookup of state m's coefficients by Miller index */
  int lo[3], hi[3];
  for (int d = 0; d < 3; d++) lo[d] = hi[d] = npw_m > 0 ? mill_m[d] : 0;
  for (int i = 0; i < npw_m; i++)
    for (int d = 0; d < 3; d++) {
      if (mill_m[3 * i + d] < lo[d]) lo[d] = mill_m[3 * i + d];
      if (mill_m[3 * i + d] > hi[d]) hi[d] = mill_m[3 * i + d];
    }
  const long e0 = hi[0] - lo[0] + 1, e1 = hi[1] - lo[1] + 1, e2 = hi[2] - lo[2] + 1;
  int *at = malloc(sizeof(int) * (size_t)(e0 * e1 * e2));
  if (!at) {
    for (int i = 0; i < ng; i++) rho[i] = NAN;
    return;
  }
  for (long x = 0; x < e0 * e1 * e2; x++) at[x] = -1;
  for (int i = 0; i < npw_m; i++)
    at[((mill_m[3 * i] - lo[0]) * e1 + (mill_m[3 * i + 1] - lo[1])) * e2 + (mill_m[3 * i + 2] - lo[2])] = i;
  for (int i = 0; i < ng; i++) {
    double complex r = 0;
    for (int a = 0; a < npw_n; a++) {
      int m[3];
      for (int d = 0; d < 3; d++) m[d] = mill_n[3 * a + d] + gl[3 * i + d] + (g0 ? g0[d] : 0);
      if (m[0] < lo[0] || m[0] > hi[0] || m[1] < lo[1] || m[1] > hi[1] || m[2] < lo[2] || m[2] > hi[2]) continue;
      int b = at[((m[0] - lo[0]) * e1 + (m[1] - lo[1])) * e2 + (m[2] - lo[2])];
      if (b >= 0) r += conj(cn[a]) * cm[b];
    }
    rho[i] = r;
  }
  free(at);
}
