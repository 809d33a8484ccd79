/* Solve stage (see include/agape/solve.h). The only N^2 work is the local matrix-vector
 * product; everything O(N) is replicated and done in a fixed order, so every rank takes
 * the same decisions. */
#include "agape/solve.h"
#include "agape/quadrature.h"
#include "agape/stop.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "agape/units.h"
#include "agape/formulas.h"
#include "agape/arnoldi.h"


agape_err agape_op_init(agape_op *op, const agape_par *par, const agape_dist *d, int64_t n, const float *K,
                        const double *z, double coul)
{
  memset(op, 0, sizeof *op);
  op->par = par;
  op->d = d;
  op->n = n;
  op->K = K;
  op->z = z;
  op->coul = coul;
  op->work = malloc(sizeof(double) * (size_t)(n + d->nloc + 1));
  return op->work ? AGAPE_OK : AGAPE_ERR_NOMEM;
}

void agape_op_free(agape_op *op)
{
  free(op->work);
  free(op->cidx);
  free(op->cwt);
  free(op->cv);
  op->work = NULL;
  op->cidx = NULL;
  op->cwt = NULL;
  op->cv = NULL;
}

agape_err agape_op_set_coulomb_table(agape_op *op, int ne, const double *axis, const double *wtab, const double *xi)
{
  if (ne < 2) return AGAPE_ERR_INTERNAL;
  op->cidx = malloc(sizeof(int32_t) * (size_t)op->n);
  op->cwt = malloc(sizeof(double) * (size_t)op->n);
  op->cv = malloc(sizeof(double) * 2 * (size_t)ne);
  if (!op->cidx || !op->cwt || !op->cv) return AGAPE_ERR_NOMEM;
  /* any increasing axis: the interval of each state by bisection */
  for (int64_t s = 0; s < op->n; s++) {
    double t;
    op->cidx[s] = agape_axis_locate(ne, axis, xi[s], &t);
    op->cwt[s] = t;
  }
  op->ne = ne;
  op->wtab = wtab;
  return AGAPE_OK;
}

static void op_apply_K(agape_op *op, const double *cph, const double *x, double *y);
static void coulomb_and_z(agape_op *op, const double *cel, const double *x, double *y);

void agape_op_apply(agape_op *op, const double *cph, const double *cel, const double *x, double *y)
{
  const int64_t n = op->n;
  op->napply++;
  if (op->sep) {
    /* the separable operator: y = K^ph (cph x) over all states, replicated */
    double *u = op->work;
    for (int64_t j = 0; j < n; j++) u[j] = cph[j] * x[j];
    agape_err e = agape_sep_apply(op->sep, AGAPE_SEP_K, op->ucol, u, y);
    if (e) {
      if (!op->err) op->err = e;
      for (int64_t s = 0; s < n; s++) y[s] = NAN;
      return;
    }
  } else
    op_apply_K(op, cph, x, y);
  coulomb_and_z(op, cel, x, y);
}

/* y = K^ph (cph x) with the stored local block of K (replicated after the sum) */
static void op_apply_K(agape_op *op, const double *cph, const double *x, double *y)
{
  const agape_dist *d = op->d;
  const int64_t n = op->n, nloc = d->nloc;
  double *u = op->work + n; /* local columns of cph * x */
  for (int64_t lc = 0; lc < nloc; lc++) {
    int64_t j = d->gcol[lc];
    u[lc] = cph[j] * x[j];
  }
  memset(y, 0, sizeof(double) * n);
  const float *K = op->K;
  /* owner computes: each thread owns whole blocks of 4 local rows. Four rows at a time keep
   * four streams of K in flight (one stream alone does not saturate a core's memory path)
   * and load each u once for four rows; every row is summed the same way whatever the
   * thread count. */
  const int64_t nb4 = d->mloc / 4;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nb4; b++) {
    const int64_t li = 4 * b;
    const float *r0 = K + li * nloc, *r1 = r0 + nloc, *r2 = r1 + nloc, *r3 = r2 + nloc;
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
    for (int64_t lc = 0; lc < nloc; lc++) {
      const double uc = u[lc];
      a0 += (double)r0[lc] * uc;
      a1 += (double)r1[lc] * uc;
      a2 += (double)r2[lc] * uc;
      a3 += (double)r3[lc] * uc;
    }
    y[d->grow[li]] = a0;
    y[d->grow[li + 1]] = a1;
    y[d->grow[li + 2]] = a2;
    y[d->grow[li + 3]] = a3;
  }
  for (int64_t li = 4 * nb4; li < d->mloc; li++) {
    const float *row = K + li * nloc;
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t lc = 0; lc < nloc; lc++) acc += (double)row[lc] * u[lc];
    y[d->grow[li]] = acc;
  }
  agape_par_sum(op->par, y, n);
}

/* y = -1/2 (y + Coulomb term) / (1 + Z) */
static void coulomb_and_z(agape_op *op, const double *cel, const double *x, double *y)
{
  const int64_t n = op->n;
  if (op->ne > 0) {
    /* energy-resolved Coulomb: v = H^T (cel x), u = W v, y += H u */
    const int ne = op->ne;
    double *v = op->cv, *u = op->cv + ne;
    memset(v, 0, sizeof(double) * ne);
    for (int64_t j = 0; j < n; j++) {
      double c = cel[j] * x[j], t = op->cwt[j];
      v[op->cidx[j]] += (1 - t) * c;
      v[op->cidx[j] + 1] += t * c;
    }
    for (int p = 0; p < ne; p++) {
      double a = 0;
      for (int q = 0; q < ne; q++) a += op->wtab[p * ne + q] * v[q];
      u[p] = a;
    }
    for (int64_t s = 0; s < n; s++) {
      double t = op->cwt[s], ce = (1 - t) * u[op->cidx[s]] + t * u[op->cidx[s] + 1];
      y[s] = -0.5 * (y[s] + ce) / (1 + op->z[s]);
    }
    return;
  }
  double ce = 0;
  if (op->coul != 0)
    for (int64_t j = 0; j < n; j++) ce += cel[j] * x[j];
  for (int64_t s = 0; s < n; s++) y[s] = -0.5 * (y[s] + op->coul * ce) / (1 + op->z[s]);
}

void agape_linear_factor(const agape_states *st, double T, double *c)
{
  const double beta = agape_beta(T);
  for (int64_t s = 0; s < st->n; s++) {
    double a = fabs(st->xi[s]);
    c[s] = st->w[s] * (isinf(beta) ? 1.0 : tanh(0.5 * beta * a)) / a;
  }
}

typedef struct {
  agape_op *op;
  const double *c;
} lin_ctx;
/* the linearised operator, after the stop safe point of each product */
static agape_err lin_apply(void *ctx, const double *x, double *y)
{
  lin_ctx *l = ctx;
  agape_stop_fault("eigen");
  if (agape_stop_agreed(l->op->par)) return AGAPE_STOPPED;
  agape_op_apply(l->op, l->c, l->c, x, y);
  return AGAPE_OK;
}

agape_err agape_leading_eigen(agape_op *op, const double *c, double tol, double *v, double *rho)
{
  lin_ctx l = {op, c};
  op->ucol = NULL;
  arnoldi_ws *w = arnoldi_create(op->n, 24);
  if (!w) return AGAPE_ERR_NOMEM;
  agape_err err = arnoldi_leading(w, lin_apply, &l, tol, 200, v, rho);
  arnoldi_destroy(&w);
  return op->err ? op->err : err;
}

agape_err agape_gap_solve(agape_op *op, const agape_states *st, const agape_gap_opts *o, double *delta, int *iterations,
                          int *converged, double *residual)
{
  const int64_t n = op->n;
  const double beta = agape_beta(o->T);
  double *cph = malloc(sizeof(double) * n), *cel = malloc(sizeof(double) * n);
  double *g = malloc(sizeof(double) * n), *r = malloc(sizeof(double) * n);
  /* SPG with the separable operator: the kernel's column energies E^gamma follow the gap */
  const int spg = o->functional == KERN_SPG;
  double *eg = op->sep && spg ? malloc(sizeof(double) * n) : NULL;
  op->ucol = eg;
  anderson_mix and;
  agape_err err = anderson_init(&and, n, o->depth) ? AGAPE_ERR_NOMEM : AGAPE_OK;
  if (!err && (!cph || !cel || !g || !r || (op->sep && spg && !eg))) err = AGAPE_ERR_NOMEM;
  if (err) goto done;
  double start = 0;
  for (int64_t s = 0; s < n; s++) start = fmax(start, fabs(delta[s]));
  *converged = 0;
  *residual = INFINITY;
  int it;
  double t0 = agape_par_wtime();
  for (it = 1; it <= o->max_iter; it++) {
    agape_stop_fault("iteration");
    if (agape_stop_agreed(op->par)) {
      err = AGAPE_STOPPED;
      break;
    }
    for (int64_t s = 0; s < n; s++) {
      double x = st->xi[s], D = delta[s];
      double E = sqrt(x * x + D * D);
      double Eg = spg ? agape_spg_egamma(x, o->gamma3, D) : E;
      cel[s] = st->w[s] * (isinf(beta) ? 1.0 : tanh(0.5 * beta * E)) / E;
      cph[s] = spg ? st->w[s] * (isinf(beta) ? 1.0 : tanh(0.5 * beta * Eg)) / Eg : cel[s];
      if (eg) eg[s] = Eg;
    }
    agape_op_apply(op, cph, cel, delta, g);
    if (op->err) {
      err = op->err;
      break;
    }
    double gmax = 0, rmax = 0;
    for (int64_t s = 0; s < n; s++) {
      r[s] = g[s] - delta[s];
      gmax = fmax(gmax, fabs(g[s]));
      rmax = fmax(rmax, fabs(r[s]));
    }
    if (!isfinite(gmax)) {
      err = AGAPE_ERR_NUMERIC;
      break;
    }
    *residual = gmax > 0 ? rmax / gmax : 0;
    if (o->verbose && op->par->rank == 0 && (it == 1 || it % 10 == 0))
      printf("agape:   T = %8.3f K  iter %4d  max|Delta| = %.6e meV  residual = %.3e  (%.1f s)\n", o->T, it, gmax * 1e3,
             *residual, agape_par_wtime() - t0),
        fflush(stdout);
    if (gmax <= 1e-10 * start) { /* collapsed: normal state */
      memset(delta, 0, sizeof(double) * n);
      *converged = 1;
      *residual = 0;
      break;
    }
    if (*residual <= o->tol) {
      memcpy(delta, g, sizeof(double) * n);
      *converged = 1;
      break;
    }
    anderson_step(&and, delta, r, o->mixing); /* Anderson (type II) update */
  }
  *iterations = it > o->max_iter ? o->max_iter : it;
done:
  anderson_release(&and);
  op->ucol = NULL;
  free(cph);
  free(cel);
  free(g);
  free(r);
  free(eg);
  return err;
}
