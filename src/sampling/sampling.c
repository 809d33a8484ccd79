/* Sampling stage (see include/agape/sampling.h). */
#include "agape/sampling.h"
#include "agape/quadrature.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <Random123/philox.h>
#include "agape/units.h"

void agape_rng_uniform4(uint64_t seed, uint64_t i, double u[4])
{
  philox4x64_ctr_t c = {{i, 0x41474150u /* "AGAP" */, 0, 0}};
  philox4x64_key_t k = {{seed, 0x5343444654ull}};
  philox4x64_ctr_t r = philox4x64(c, k);
  for (int j = 0; j < 4; j++) u[j] = (double)(r.v[j] >> 11) * 0x1.0p-53;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int agape_log_grid(double a, double b, double x0, double r, int order, int nbreak, const double *breaks, int cap,
                   double *x, double *wt)
{
  int ne = 0, ecap = 4096;
  double edges[4096];
  edges[ne++] = a;
  edges[ne++] = b;
  for (double e = x0; e < b && ne < ecap - nbreak - 1; e *= r)
    if (e > a) edges[ne++] = e;
  for (int i = 0; i < nbreak; i++)
    if (breaks[i] > a && breaks[i] < b) edges[ne++] = breaks[i];
  qsort(edges, ne, sizeof(double), cmp_double);
  double gx[64], gw[64];
  agape_gauss_legendre(order, gx, gw);
  int n = 0;
  for (int p = 0; p + 1 < ne; p++) {
    double lo = edges[p], hi = edges[p + 1];
    if (hi - lo <= 1e-14 * (hi > 1 ? hi : 1)) continue; /* coincident edges */
    for (int q = 0; q < order; q++) {
      if (n >= cap) return -1;
      x[n] = 0.5 * (lo + hi) + 0.5 * (hi - lo) * gx[q];
      wt[n] = 0.5 * (hi - lo) * gw[q];
      n++;
    }
  }
  return n;
}

/* ---- Monte-Carlo part: joint (band, cell) table on a uniform grid ---------------------- */
#define MC_CELLS 64 /* cells per reciprocal axis of the selection grid */
#define MC_CELLS_WIN                                                                                                   \
  128 /* the same for a source with a window (interpolated data: steep bands
                            cross a cell over tens of meV; finer cells put more states near E_F) */

typedef struct {
  int nb;        /* bands */
  int ncpa;      /* cells per axis */
  int64_t ncell; /* ncpa^3 */
  double *cdf;   /* [nb*ncell] cumulative probabilities (last = 1) */
  double *prob;  /* [nb*ncell] probabilities */
} mc_table;

/* Density over (band, cell): alpha uniform floor + (1-alpha) 1/(|xi_center| + eps0),
 * normalised over the whole table. With a window W (m->mc_window > 0): 1/(d + eps0) with d
 * the smallest |xi| of the band at the cell's centre and corners (0 if it changes sign there),
 * and only where those values reach into (-W, W); the floor keeps every cell possible, so the
 * draw stays unbiased where the bands bend inside a cell. */
static agape_err mc_table_build(const agape_material *m, double alpha, double eps0, mc_table *t)
{
  int nb = m->nbands;
  if (nb < 1 || nb > 64) return agape_error(AGAPE_ERR_INTERNAL, "Monte-Carlo sampling: %d bands (1..64)", nb);
  const int G = m->mc_window > 0 ? MC_CELLS_WIN : MC_CELLS;
  int64_t nc = (int64_t)G * G * G, tot = nb * nc;
  t->ncpa = G;
  t->nb = nb;
  t->ncell = nc;
  t->cdf = malloc(sizeof(double) * tot);
  t->prob = malloc(sizeof(double) * tot);
  if (!t->cdf || !t->prob) return AGAPE_ERR_NOMEM;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < nc; c++) {
    double k[3] = {((c / (G * G)) + 0.5) / G, (((c / G) % G) + 0.5) / G, ((c % G) + 0.5) / G};
    double xi[64], lo[64], hi[64];
    m->bands(m, k, xi);
    for (int b = 0; b < nb; b++) lo[b] = hi[b] = xi[b];
    if (m->mc_window > 0)
      for (int v = 0; v < 8; v++) {
        double kv[3], xv[64];
        for (int d = 0; d < 3; d++) kv[d] = k[d] + (((v >> d) & 1) - 0.5) / G;
        m->bands(m, kv, xv);
        for (int b = 0; b < nb; b++) lo[b] = fmin(lo[b], xv[b]), hi[b] = fmax(hi[b], xv[b]);
      }
    for (int b = 0; b < nb; b++) {
      if (!(m->mc_window > 0)) {
        t->prob[b * nc + c] = 1.0 / (fabs(xi[b]) + eps0);
        continue;
      }
      /* the cell's distance from E_F: 0 where the band crosses it inside the cell (a steep
       * band may cross a cell whose centre lies far from E_F: its states would get large
       * weights and the estimate a large variance) */
      int reach = lo[b] < m->mc_window && hi[b] > -m->mc_window;
      double dist = lo[b] <= 0 && hi[b] >= 0 ? 0.0 : fmin(fabs(lo[b]), fabs(hi[b]));
      t->prob[b * nc + c] = reach ? 1.0 / (dist + eps0) : 0.0;
    }
  }
  /* the normalisation in a fixed serial order: the table (and so every sampled state) is
   * the same bits for any thread count */
  double hsum = 0;
  for (int64_t c = 0; c < nc; c++)
    for (int b = 0; b < nb; b++) hsum += t->prob[b * nc + c];
  /* serial cumulative sum: fixed order, identical everywhere */
  double acc = 0;
  for (int64_t i = 0; i < tot; i++) {
    t->prob[i] = alpha / (double)tot + (1 - alpha) * t->prob[i] / hsum;
    acc += t->prob[i];
    t->cdf[i] = acc;
  }
  for (int64_t i = 0; i < tot; i++) t->cdf[i] /= acc, t->prob[i] /= acc;
  t->cdf[tot - 1] = 1.0;
  return AGAPE_OK;
}

static int64_t mc_table_pick(const mc_table *t, double u)
{
  int64_t lo = 0, hi = t->nb * t->ncell - 1;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (t->cdf[mid] > u)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* The first nmc states: Monte-Carlo draws of the source's bands (k, band, xi, weight 1/(N p)
 * and the source's features); draw i from the generator keyed by (seed, i): the same bits for
 * any thread count. With a window (m->mc_window > 0) the draws are stratified along the
 * table (draw i picks from the i-th of nmc equal slices of its cumulative distribution, which
 * fixes the share of every band and region of the zone up to one state) and only the draws
 * inside the window are kept, in draw order: st->n_mc becomes their number and
 * st->n_draws = nmc. Each draw is still distributed with density p, so sum_i w_i f_i with
 * w = 1/(nmc p) estimates the integral of f over the window (docs/theory.md §6.7). */
static agape_err mc_draw(const agape_params *p, const agape_material *m, int64_t nmc, agape_states *st)
{
  st->nfeat = m->nfeat;
  st->feat = st->nfeat ? malloc(sizeof(double) * (size_t)nmc * st->nfeat) : NULL;
  if (st->nfeat && !st->feat) return AGAPE_ERR_NOMEM;
  mc_table tab = {0};
  char *keep = malloc((size_t)(nmc > 0 ? nmc : 1));
  agape_err err = keep ? mc_table_build(m, p->mc_floor, p->mc_eps_meV * 1e-3, &tab) : AGAPE_ERR_NOMEM;
  const double W = m->mc_window;
  const int strat = W > 0;
  if (!err) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nmc; i++) {
      double u[4], xi[64], *k = st->k + 3 * i;
      agape_rng_uniform4(p->seed, (uint64_t)i, u);
      int64_t e = mc_table_pick(&tab, strat ? ((double)i + u[0]) / (double)nmc : u[0]);
      int b = (int)(e / tab.ncell);
      int64_t c = e % tab.ncell;
      const int G = tab.ncpa;
      k[0] = ((c / (G * G)) + u[1]) / G;
      k[1] = (((c / G) % G) + u[2]) / G;
      k[2] = ((c % G) + u[3]) / G;
      m->bands(m, k, xi);
      keep[i] = !strat || fabs(xi[b]) < W;
      st->xi[i] = xi[b] != 0 ? xi[b] : 1e-12;
      st->band[i] = b;
      st->w[i] = tab.prob[e]; /* for now: the cell's probability */
      if (st->nfeat) m->features(m, k, b, st->feat + i * st->nfeat);
    }
    /* weights 1/(N p) with the draw's density p = prob/vcell; the kept draws in order */
    const double vcell = 1.0 / (double)tab.ncell;
    int64_t n = 0;
    for (int64_t i = 0; i < nmc; i++) {
      if (!keep[i]) continue;
      st->xi[n] = st->xi[i];
      st->band[n] = st->band[i];
      st->w[n] = vcell / ((double)nmc * st->w[i]);
      memmove(st->k + 3 * n, st->k + 3 * i, sizeof(double) * 3);
      if (st->nfeat) memmove(st->feat + n * st->nfeat, st->feat + i * st->nfeat, sizeof(double) * st->nfeat);
      n++;
    }
    st->n_mc = n;
    st->n_draws = nmc;
    if (n == 0)
      err =
        agape_error(AGAPE_ERR_FORMAT, "material %s: none of %lld draws found a state of its bands within %g eV of E_F",
                    m->name, (long long)nmc, W);
  }
  free(keep);
  free(tab.cdf);
  free(tab.prob);
  return err;
}

/* Fermi-surface weights fsw = w delta(xi) and N(0) = sum fsw: the source's own delta for its
 * own states (in fsw on entry), a truncated Gaussian of width fs_smearing_meV for
 * Monte-Carlo states, and for a sample without states with k a box of width 2 x0 around E_F
 * (the innermost grid panel), which gives N(0) exactly. */
static agape_err fs_weights(const agape_params *p, int own, agape_states *st)
{
  const double x0 = p->grid_min_meV * 1e-3, sig = p->fs_smearing_meV * 1e-3;
  const int64_t nmc = st->n_mc;
  double dsum = 0;
  for (int64_t i = 0; i < st->n; i++) {
    double f;
    if (own && i < nmc)
      f = st->fsw[i]; /* the source's own delta */
    else if (i < nmc)
      f = fabs(st->xi[i]) < 6 * sig /* truncated at 6 sigma (1.5e-8 of the peak) */
        ? exp(-0.5 * st->xi[i] * st->xi[i] / (sig * sig)) / (sqrt(2 * AGAPE_PI) * sig)
        : 0.0;
    else if (nmc == 0)
      f = fabs(st->xi[i]) < x0 ? 1.0 / (2 * x0) : 0.0;
    else
      f = 0.0;
    st->fsw[i] = st->w[i] * f;
    dsum += st->fsw[i];
  }
  st->dos0 = dsum;
  return dsum > 0 ? AGAPE_OK : agape_error(AGAPE_ERR_NUMERIC, "no states at the Fermi level (N(0) = 0)");
}

agape_err agape_states_check(const agape_params *p, const agape_material *m, int rank)
{
  const int64_t nmc = m->own_states ? m->own_count(m) : m->bands ? p->npoints : 0;
  /* xi, w, fsw of every state; k, band and the source's features of the states with k; the
   * energy grid is a few thousand states at most (agape_log_grid's capacity) */
  const double per_state = 3 * 8.0, per_mc = 3 * 8.0 + 4.0 + 8.0 * m->nfeat;
  const double need = ((double)nmc + 40000) * per_state + (double)nmc * per_mc, have = agape_node_memory();
  if (!(have > 0) || need <= 0.5 * have) return AGAPE_OK;
  if (rank == 0 && m->own_states)
    agape_error(AGAPE_ERR_DECK, "material %s: its %lld states need %.3g GB, more than half of this node's %.3g GB",
                m->name, (long long)nmc, need / 1e9, have / 1e9);
  else if (rank == 0)
    agape_error(AGAPE_ERR_DECK,
                "[sampling] npoints = %lld: the states alone need %.3g GB, more than half of this node's %.3g GB of "
                "memory (each rank holds every state); lower npoints",
                (long long)nmc, need / 1e9, have / 1e9);
  return AGAPE_ERR_DECK;
}

agape_err agape_states_create(const agape_params *p, const agape_material *m, agape_states *st)
{
  memset(st, 0, sizeof *st);
  agape_err err = AGAPE_OK;
  const double E = p->energy_window_eV;
  const double x0 = p->grid_min_meV * 1e-3;

  /* energy grid: [-E, lo] and [hi, E] (lo = hi = 0 for isotropic inputs) */
  double lo = m->grid_lo, hi = m->grid_hi;
  double breaks[4];
  int nbreak = 0;
  for (int i = 0; i < m->nbreak && i < 2; i++) breaks[nbreak++] = m->breaks[i];
  int cap = 20000;
  double *gx = malloc(sizeof(double) * cap), *gw = malloc(sizeof(double) * cap);
  double *nx = malloc(sizeof(double) * cap), *nw = malloc(sizeof(double) * cap);
  if (!gx || !gw || !nx || !nw) {
    err = AGAPE_ERR_NOMEM;
    goto fail;
  }
  int npos = 0, nneg = 0;
  if (hi < E) npos = agape_log_grid(hi, E, x0, p->grid_ratio, p->grid_order, nbreak, breaks, cap, gx, gw);
  /* below the band bottom of a known band structure there are no states */
  const double En = m->nbg ? fmin(E, -m->bg_x0) : E;
  if (-lo < En) nneg = agape_log_grid(-lo, En, x0, p->grid_ratio, p->grid_order, nbreak, breaks, cap, nx, nw);
  if (npos < 0 || nneg < 0) {
    err = agape_error(AGAPE_ERR_DECK, "energy grid too large: raise grid_min_meV or grid_ratio");
    goto fail;
  }

  /* the source's own states, else Monte-Carlo states of its bands, else none */
  const int own = m->own_states != NULL;
  int64_t nmc = own ? m->own_count(m) : m->bands ? p->npoints : 0;

  st->n_mc = nmc;
  st->n = nmc + npos + nneg;
  int64_t n = st->n;
  st->xi = malloc(sizeof(double) * n);
  st->w = malloc(sizeof(double) * n);
  st->fsw = malloc(sizeof(double) * n);
  if (!st->xi || !st->w || !st->fsw) {
    err = AGAPE_ERR_NOMEM;
    goto fail;
  }

  if (nmc > 0) {
    st->k = malloc(sizeof(double) * 3 * n);
    st->band = malloc(sizeof(int) * n);
    if (!st->k || !st->band) {
      err = AGAPE_ERR_NOMEM;
      goto fail;
    }
  }
  if (own) { /* the source's states as they are (their Fermi-surface delta in fsw for now) */
    m->own_states(m, st->xi, st->w, st->k, st->band, st->fsw);
  } else if (nmc > 0) {
    if ((err = mc_draw(p, m, nmc, st))) goto fail;
    nmc = st->n_mc; /* the draws inside the source's window */
    st->n = n = nmc + npos + nneg;
  }
  for (int i = 0; i < npos; i++) {
    st->xi[nmc + i] = gx[i];
    st->w[nmc + i] = gw[i] * agape_material_grid_dos(m, gx[i]);
  }
  for (int i = 0; i < nneg; i++) {
    st->xi[nmc + npos + i] = -nx[i];
    st->w[nmc + npos + i] = nw[i] * agape_material_grid_dos(m, -nx[i]);
  }
  if (st->k)
    for (int64_t i = nmc; i < n; i++) {
      st->k[3 * i] = st->k[3 * i + 1] = st->k[3 * i + 2] = NAN;
      st->band[i] = -1;
    }

  if ((err = fs_weights(p, own, st))) goto fail;
  free(gx);
  free(gw);
  free(nx);
  free(nw);
  return AGAPE_OK;
fail:
  free(gx);
  free(gw);
  free(nx);
  free(nw);
  agape_states_destroy(st);
  return err ? err : AGAPE_ERR_INTERNAL;
}

void agape_states_destroy(agape_states *st)
{
  free(st->xi);
  free(st->w);
  free(st->k);
  free(st->band);
  free(st->feat);
  free(st->fsw);
  memset(st, 0, sizeof *st);
}
