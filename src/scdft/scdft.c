/* The SCDFT pipeline (see include/agape/scdft.h): sampling -> coupling -> Coulomb -> Tc ->
 * gaps -> results, with checkpoints at every safe point. */
#include "agape/scdft.h"
#include "agape/sampling.h"
#include "agape/coulomb.h"
#include "agape/assembly.h"
#include "agape/sepop.h"
#include "agape/solve.h"
#include "agape/anderson.h"
#include "agape/tcsearch.h"
#include "agape/resolution.h"
#include "agape/formulas.h"
#include "agape/output.h"
#include "agape/checkpoint.h"
#include "agape/stop.h"
#include "agape/units.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SPG kernel updates whose change has not halved for this many updates, at or below this
 * relative level, have reached the round-off of the float-stored kernel (docs/design.md) */
#define SPG_STALL_UPDATES 8
#define SPG_STALL_MAX     1e-5

#define KBLOCK 64 /* block size of the block-cyclic kernel layout */

typedef struct {
  const agape_par *par;
  const agape_params *p;
  const agape_states *st;
  const agape_material *m;
  const agape_coupling *cp; /* the sample's Fermi-surface coupling */
  const agape_dist *d;
  float *K;
  double *z;
  double coul;
  double *xcol;              /* [n] scratch column energies (SPG) */
  int interp;                /* column-interpolated kernels (kernels.h) */
  int use_sep;               /* the separable operator (made by scdft_couple) instead of K */
  agape_sep *sep;            /* the separable phonon operator (sepop.h) instead of K, or NULL */
  const agape_coulomb *ctab; /* mode rpa: energy-resolved W(xi, xi'), else NULL */
  double t0;
  double t_build, t_solve; /* accumulated wall time of kernel builds and of solves, s */
  int64_t nprod;           /* operator products (Arnoldi and fixed-point iterations) */
  /* checkpoints (checkpoint.h): ck is the run's state at its last safe point, its arrays
   * are the driver's own; on a restart it is first read from the file and replayed */
  const char *ckpath;       /* checkpoint file */
  const char *fingerprint;  /* of the deck */
  double ck_every, ck_last; /* timer interval (0: none) and time of the last checkpoint, s */
  agape_ckpt ck;
  int jpos; /* next journal entry to replay */
  /* the pipeline's own data, in the order they are made */
  const agape_run_info *ri;
  agape_states sts;
  agape_dist dist;
  agape_coupling cpl;
  agape_coulomb cls;
  double mu;                /* the Coulomb mu reported */
  double tc, guess, tc_mcm; /* K */
  agape_tc_outcome tco;     /* the Tc search's outcome */
  double xi_near;           /* eV: the states' resolution energy (resolution.h; NaN: no states with k) */
  int nh;                   /* Tc search history: (T, rho, resolved) */
  double hT[64], hr[64];
  int hres[64];
  int *res;                                  /* [ntemps] the thermal window resolved at each temperature */
  double *v, *delta, *zall, *dfs, *vj, *din; /* [n] eigenvector; [ntemps*n] gaps, Z; [ntemps]; [n] scratch */
  int *conv, *iters;
  anderson_mix outer_mix;
  double t_sampling, t_coupling; /* phase times, s */
} run_ctx;

#define R0 if (c->par->rank == 0)

static kern_spg_gammas gammas(const agape_params *p) { return (kern_spg_gammas){p->gamma1, p->gamma2, p->gamma3}; }

/* The gap operator on the current K and Z, with the run's Coulomb kernel (the constant coul,
 * or the energy-resolved table of mode rpa/file). On error nothing is left allocated. */
static agape_err op_create(const run_ctx *c, agape_op *op)
{
  agape_err err = agape_op_init(op, c->par, c->d, c->st->n, c->K, c->z, c->coul);
  op->sep = c->sep;
  if (!err && c->ctab) err = agape_op_set_coulomb_table(op, c->ctab->ne, c->ctab->xi_axis, c->ctab->w_xi, c->st->xi);
  if (err) agape_op_free(op);
  return err;
}

/* Write the checkpoint of c->ck (rank 0). reason: "timer", "temperature", a signal name. */
static agape_err ckpt_save(run_ctx *c, const char *reason)
{
  agape_err err = agape_ckpt_write(c->par, c->ckpath, c->fingerprint, reason, &c->ck);
  c->ck_last = agape_par_wtime();
  return err;
}

/* A safe point: the timer checkpoint if it is due (rank 0 alone; a failed write is a
 * warning, the run goes on). */
static void ckpt_tick(run_ctx *c)
{
  if (c->par->rank != 0 || !(c->ck_every > 0) || agape_par_wtime() - c->ck_last < c->ck_every) return;
  if (ckpt_save(c, "timer")) fprintf(stderr, "agape: warning: the timer checkpoint failed; the run goes on\n");
}

/* The phonon part at temperature T: K (xcol: SPG's column energies, or NULL) and, if
 * with_z, Z; with the separable operator its node tables and Z (extra: how far column
 * energies may lie beyond max|xi|, eV). Adds the time to c->t_build. */
static agape_err kernels_at(run_ctx *c, double T, const double *xcol, int with_z, double extra)
{
  double tb = agape_par_wtime();
  agape_err err;
  if (c->sep) {
    err = agape_sep_set_T(c->sep, T, c->p->functional, gammas(c->p), extra);
    if (!err && with_z) err = agape_sep_z(c->sep, c->z);
  } else
    err = agape_assembly_build(c->par, c->d, c->st, c->m, c->cp, T, c->p->functional, gammas(c->p), xcol, c->interp,
                               c->K, with_z ? c->z : NULL);
  c->t_build += agape_par_wtime() - tb;
  return err;
}

/* Leading eigenvalue rho(T) of the linearised gap operator; v warm start / eigenvector.
 * Every evaluation goes to the journal of c->ck; on a restart the journal is replayed. */
static agape_err rho_at(run_ctx *c, double T, double *v, double *rho)
{
  agape_ckpt *ck = &c->ck;
  if (c->jpos < ck->nj && fabs(ck->jT[c->jpos] - T) > 1e-9 * T) {
    /* another rank count sums in another order: beyond round-off the journal does not
     * apply from here on, and the rest is recomputed */
    R0 printf("agape: checkpoint journal entry %d is at T = %.12g K, this run asks for %.12g K: "
              "recomputing from there\n",
              c->jpos, ck->jT[c->jpos], T);
    ck->nj = c->jpos;
  }
  if (c->jpos < ck->nj) { /* replay from the checkpoint */
    *rho = ck->jr[c->jpos++];
    if (c->jpos == ck->nj) memcpy(v, ck->v, sizeof(double) * c->st->n);
    R0 printf("agape: linearised gap equation  T = %10.4f K  rho = %.8f  (from the checkpoint)\n", T, *rho),
      fflush(stdout);
    return AGAPE_OK;
  }
  agape_err err = kernels_at(c, T, NULL, 1, 0.0);
  if (err) return err;
  double ts = agape_par_wtime();
  agape_op op;
  if ((err = op_create(c, &op))) return err;
  double *cf = malloc(sizeof(double) * c->st->n);
  if (!cf) {
    agape_op_free(&op);
    return AGAPE_ERR_NOMEM;
  }
  agape_linear_factor(c->st, T, cf);
  err = agape_leading_eigen(&op, cf, 1e-9, v, rho);
  c->nprod += op.napply;
  free(cf);
  agape_op_free(&op);
  c->t_solve += agape_par_wtime() - ts;
  if (err) return err;
  R0 printf("agape: linearised gap equation  T = %10.4f K  rho = %.8f  (%.1f s)\n", T, *rho, agape_par_wtime() - c->t0),
    fflush(stdout);
  if (ck->nj < AGAPE_CKPT_MAXJ) {
    ck->jT[ck->nj] = T;
    ck->jr[ck->nj] = *rho;
    ck->nj++;
    memcpy(ck->v, v, sizeof(double) * c->st->n);
    c->jpos = ck->nj;
  }
  ckpt_tick(c);
  return AGAPE_OK;
}

/* rho(T) for the shared Tc search (tcsearch.h), with the eigenvector v as warm start. */
typedef struct {
  run_ctx *c;
  double *v;
} tc_cb;
static agape_err tc_rho(void *ctx, double T, double *rho)
{
  tc_cb *b = ctx;
  agape_err err = rho_at(b->c, T, b->v, rho);
  if (!err) agape_resolution_check(b->c->par->rank, "Tc search", T, b->c->xi_near, 0);
  return err;
}


/* One temperature: build Z and K, solve; for SPG repeat the kernel build with
 * E^gamma of the current gap until the gap stops changing. Each kernel update starts at a
 * safe point whose state (input gap, outer Anderson history, Z, change, iterations) is
 * c->ck's; resume continues from the one c->ck holds. */
static agape_err gap_at(run_ctx *c, double T, double *delta, int *iters, int *conv, double *zout, int resume)
{
  const agape_params *p = c->p;
  const int64_t n = c->st->n;
  agape_ckpt *ck = &c->ck;
  /* the square well is a kernel, not a functional: E' = E, no kernel update; the separable
   * operator takes E^gamma of the current gap in every product: no kernel update either */
  const int spg_fun = p->functional == KERN_SPG && !c->m->fixed_kernel;
  const int spg = spg_fun && !c->sep;
  agape_err err = AGAPE_OK;
  double *prev = ck->din, *r = malloc(sizeof(double) * n);
  /* SPG: the kernel-update map G (Delta_in -> gap solved with K(E^gamma(Delta_in))) contracts
   * by ~0.2 per update; Anderson mixing on G makes that superlinear (about half the kernel
   * builds).  Each inner solve only needs to be accurate to a small fraction of the current
   * outer change, and to tol at the end. */
  anderson_mix *outer_mix = ck->mix;
  if (!r) return AGAPE_ERR_NOMEM;
  *iters = 0;
  *conv = 0;
  double change = 0.1;    /* last outer change, relative to max|Delta| */
  double best = INFINITY; /* smallest outer change so far (halved at least once per step) */
  int since_best = 0;     /* updates since best last fell by half */
  int outer0 = 0;
  if (resume) {
    outer0 = ck->outer;
    change = ck->change;
    *iters = ck->iters_done;
    memcpy(delta, ck->din, sizeof(double) * n);
    R0 printf("agape:   T = %8.3f K  continuing at SPG kernel update %d (from the checkpoint)\n", T, outer0 + 1);
  } else {
    anderson_reset(outer_mix);
  }
  for (int outer = outer0; outer < (spg ? 50 : 1); outer++) {
    /* safe point */
    if (prev != delta) memcpy(prev, delta, sizeof(double) * n);
    ck->outer = outer;
    ck->change = change;
    ck->iters_done = *iters;
    ckpt_tick(c);
    const double *xc = NULL;
    if (spg) {
      for (int64_t s = 0; s < n; s++) c->xcol[s] = agape_spg_egamma(c->st->xi[s], p->gamma3, delta[s]);
      xc = c->xcol;
    }
    const double tb0 = c->t_build; /* kernels_at adds its time to c->t_build */
    double extra = 0;
    if (spg_fun && c->sep) { /* SPG's E^gamma may exceed |xi| by sqrt(gamma3) |Delta| */
      for (int64_t s = 0; s < n; s++) extra = fmax(extra, fabs(delta[s]));
      extra = fmax(1.0, 4 * sqrt(p->gamma3) * extra);
    }
    if ((err = kernels_at(c, T, xc, outer == 0, extra))) break;
    const double tb = c->t_build - tb0;
    double ts = agape_par_wtime();
    agape_op op;
    if ((err = op_create(c, &op))) break;
    double tol_in = spg ? fmax(p->tol, 1e-3 * change) : p->tol;
    agape_gap_opts o = {T, spg_fun ? KERN_SPG : KERN_LMG, p->gamma3, tol_in, p->mixing, p->max_iter, p->anderson_depth,
                        1};
    int it = 0;
    double res;
    err = agape_gap_solve(&op, c->st, &o, delta, &it, conv, &res);
    c->nprod += op.napply;
    agape_op_free(&op);
    if (err) break;
    *iters += it;
    if (!*conv) break;
    double dm = 0, mx = 0;
    for (int64_t s = 0; s < n; s++) {
      r[s] = delta[s] - prev[s];
      dm = fmax(dm, fabs(r[s]));
      mx = fmax(mx, fabs(delta[s]));
    }
    ts = agape_par_wtime() - ts;
    c->t_solve += ts;
    change = mx > 0 ? dm / mx : 0;
    if (spg)
      R0 printf("agape:   T = %8.3f K  SPG kernel update %d: max change %.3e of max|Delta|  (kernel %.1f s, %d "
                "iterations %.1f s)\n",
                T, outer + 1, change, tb, it, ts);
    if (!spg || mx == 0 || (dm <= 10 * p->tol * mx && tol_in <= p->tol)) break;
    /* a change that has stopped falling at a level far below any physical relevance is the
     * round-off of the float-stored kernel (amplified near Tc): accepted, and said */
    if (change < best * 0.5) {
      best = change;
      since_best = 0;
    } else if (++since_best >= SPG_STALL_UPDATES && best <= SPG_STALL_MAX && tol_in <= fmax(p->tol, 1e-3 * best)) {
      R0 printf("agape:   T = %8.3f K  SPG kernel updates stalled at %.1e of max|Delta| (asked: %.1e): the "
                "round-off of the float-stored kernel; accepted\n",
                T, best, 10 * p->tol);
      break;
    }
    if (outer == 49) {
      *conv = 0;
      break;
    }
    /* next input: Anderson extrapolation of the kernel-update map from (prev, r) */
    memcpy(delta, prev, sizeof(double) * n);
    anderson_step(outer_mix, delta, r, 1.0);
  }
  if (!err) {
    memcpy(zout, c->z, sizeof(double) * n);
    ck->outer = -1;
  }
  free(r);
  return err;
}


/* Sampling, the process grid and the arrays of the run; on a restart the checkpoint's state. */
static agape_err scdft_setup(run_ctx *c)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const agape_material *m = c->m;
  agape_stop_fault("sampling");
  agape_err err = agape_states_check(p, m, par->rank);
  if (!err) err = agape_states_create(p, m, &c->sts);
  if ((err = agape_par_agree(par, err))) return err;
  const agape_states *st = c->st = &c->sts;
  c->xi_near = agape_xi_nearest(st->n_mc, st->xi);
  if (par->rank == 0) {
    printf("agape: %lld states (%lld Monte-Carlo, %lld energy grid), window +-%.3g eV (%.1f s)\n", (long long)st->n,
           (long long)st->n_mc, (long long)(st->n - st->n_mc), p->energy_window_eV, agape_par_wtime() - c->t0);
    if (st->n_draws > st->n_mc)
      printf("agape: %lld of %lld Monte-Carlo draws lie inside the %s data's window +-%.3g eV (the others are not "
             "kept)\n",
             (long long)st->n_mc, (long long)st->n_draws, c->m->name, c->m->mc_window);
  }
  c->t_sampling = agape_par_wtime() - c->t0; /* deck, material and sampling */
  /* the phonon operator: the separable form where the couplings have one (the N x N kernel
   * is then never formed), else the stored kernel block */
  const int use_sep = p->kernel_eval == KEVAL_SEPARABLE ||
    (p->kernel_eval == KEVAL_AUTO && agape_sep_available(m) && st->n >= AGAPE_INTERP_MIN_STATES);
  if (use_sep && !agape_sep_available(m)) {
    if (par->rank == 0)
      agape_error(AGAPE_ERR_DECK,
                  "%s: [solver] kernel_eval = separable: the couplings of %s have no separable form; "
                  "use interpolate or exact",
                  c->ri->deck_path, m->name);
    err = AGAPE_ERR_DECK;
  }
  c->interp = p->kernel_eval == KEVAL_INTERP || (p->kernel_eval == KEVAL_AUTO && st->n >= AGAPE_INTERP_MIN_STATES);
  c->use_sep = use_sep;
  if (!err) err = agape_dist_create(par, st->n, KBLOCK, &c->dist);
  c->d = &c->dist;
  if (!err) {
    const size_t n = (size_t)st->n, nt = p->ntemps ? (size_t)p->ntemps : 1;
    const agape_dist *d = c->d;
    double gb = use_sep ? 0.0 : (double)d->mloc * d->nloc * 4 / 1e9;
    if (par->rank == 0 && !use_sep)
      printf("agape: kernel block %lld x %lld per rank (%.3f GB float)\n", (long long)d->mloc, (long long)d->nloc, gb);
    c->K = use_sep ? NULL : malloc(sizeof(float) * (size_t)(d->mloc * d->nloc > 0 ? d->mloc * d->nloc : 1));
    c->z = malloc(sizeof(double) * n);
    c->xcol = malloc(sizeof(double) * n);
    c->v = malloc(sizeof(double) * n);
    c->delta = calloc(n * nt, sizeof(double));
    c->zall = calloc(n * nt, sizeof(double));
    c->dfs = calloc(nt, sizeof(double));
    c->conv = calloc(nt, sizeof(int));
    c->iters = calloc(nt, sizeof(int));
    c->res = calloc(nt, sizeof(int));
    c->vj = malloc(sizeof(double) * n);
    c->din = malloc(sizeof(double) * n);
    if ((!c->K && !use_sep) || !c->z || !c->xcol || !c->v || !c->delta || !c->zall || !c->dfs || !c->conv ||
        !c->iters || !c->res || !c->vj || !c->din || anderson_init(&c->outer_mix, st->n, 4))
      err = agape_error(AGAPE_ERR_NOMEM, "cannot allocate the kernel block (%.3f GB)", gb);
  }
  if ((err = agape_par_agree(par, err))) return err;

  /* the run's state for checkpoints, read from the checkpoint on a restart */
  c->ckpath = c->ri->ckpath;
  c->fingerprint = c->ri->fingerprint;
  c->ck_every = p->checkpoint_interval_s;
  c->ck_last = agape_par_wtime();
  c->ck = (agape_ckpt){.n = st->n,
                       .ntemps = p->ntemps,
                       .v = c->vj,
                       .delta = c->delta,
                       .z = c->zall,
                       .dfs = c->dfs,
                       .conv = c->conv,
                       .iters = c->iters,
                       .outer = -1,
                       .din = c->din,
                       .zcur = c->z,
                       .mix = &c->outer_mix};
  if (c->ri->ckfound) {
    if ((err = agape_ckpt_read(par, c->ri->ckused, &c->ck))) return err;
    if (par->rank == 0) {
      printf("agape: checkpoint: %d linearised-equation evaluations, %d of %d temperatures done", c->ck.nj, c->ck.ndone,
             p->ntemps);
      if (c->ck.outer >= 0)
        printf(", T = %g K in progress at kernel update %d", p->temps[c->ck.ndone], c->ck.outer + 1);
      printf("\n");
      fflush(stdout);
    }
  }
  return agape_stop_agreed(par) ? AGAPE_STOPPED : AGAPE_OK;
}

/* The sample's Fermi-surface coupling, the Coulomb kernel and the separable operator. */
static agape_err scdft_couple(run_ctx *c)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const agape_material *m = c->m;
  const agape_states *st = c->st;
  agape_err err;
  if ((err = agape_assembly_couplings(par, st, m, &c->cpl))) return err;
  c->cp = &c->cpl;
  agape_assembly_report(par, st, m, &c->cpl);
  agape_stop_fault("coulomb");
  if ((err = agape_coulomb_create(par, p, m, c->cpl.dos0, &c->cls))) return err;
  if ((err = agape_coulomb_sample(par, m, st, &c->cls))) return err;
  if (agape_stop_agreed(par)) return AGAPE_STOPPED;
  c->mu = c->cls.mu;
  /* the Coulomb kernel: constant W = mu/N(0) of the sample for mode mu; the energy-resolved
   * W(xi, xi') of the RPA step for mode rpa (its mu is quoted with the grid's N(0)) */
  const int ctable = p->coulomb == COUL_RPA || p->coulomb == COUL_FILE;
  c->coul = ctable ? 0.0 : c->mu / c->cpl.dos0;
  c->ctab = ctable ? &c->cls : NULL;
  if (c->use_sep) {
    if ((err = agape_sep_create(par, st, m, &c->cpl, &c->sep))) return err;
    if (par->rank == 0)
      printf("agape: separable phonon operator: %d functions of a state, no N x N kernel (kernel_eval = %s)\n",
             agape_sep_nfun(c->sep), p->kernel_eval == KEVAL_SEPARABLE ? "separable" : "auto");
  }
  c->t_coupling = agape_par_wtime() - c->t0 - c->t_sampling; /* couplings and Coulomb */
  double wlog_K = c->cpl.omega_log / AGAPE_K_B;
  c->tc_mcm = agape_tc_mcmillan(c->cpl.lambda, wlog_K, 0.1);
  if (par->rank == 0) {
    printf("agape: N(0) = %.6g states/eV/spin/cell   lambda = %.4f   omega_log = %.3f meV   mu = %.4f\n", c->cpl.dos0,
           c->cpl.lambda, c->cpl.omega_log * 1e3, c->mu);
    if (!m->fixed_kernel)
      printf("agape: McMillan-Allen-Dynes Tc (f1 f2 = 1): %.2f K at mu* = 0.10, %.2f K at mu* = 0.13\n", c->tc_mcm,
             agape_tc_mcmillan(c->cpl.lambda, wlog_K, 0.13));
    fflush(stdout);
  }
  return AGAPE_OK;
}

/* Tc from the linearised equation, from a first estimate: the source's own (BCS for the
 * square well), else McMillan with the Morel-Anderson mu*. */
static agape_err scdft_tc(run_ctx *c)
{
  const agape_params *p = c->p;
  const agape_states *st = c->st;
  const double wlog_K = c->cpl.omega_log / AGAPE_K_B;
  c->tc = NAN;
  c->nh = 0;
  agape_tc_outcome_not_searched(&c->tco);
  for (int64_t s = 0; s < st->n; s++) c->v[s] = st->fsw[s] > 0 ? 1.0 : 0.1;
  if (c->m->tc_estimate)
    c->guess = c->m->tc_estimate(c->m, c->cpl.lambda, c->cpl.omega_log, 0.0);
  else {
    double mustar = c->mu / (1 + c->mu * log(p->energy_window_eV / c->cpl.omega_log));
    c->guess = agape_tc_mcmillan(c->cpl.lambda, wlog_K, mustar);
    if (!(c->guess > 0.5)) c->guess = 0.5 + 0.01 * wlog_K;
  }
  if (!p->tc_search) return AGAPE_OK;
  tc_cb cb = {c, c->v};
  tcs_opts to = {.T_guess = c->guess, .tol = p->tc_tol, .T_floor = TCS_T_FLOOR_K, .T_ceil = TCS_T_CEIL_K};
  tcs_result tr = {.T = c->hT, .rho = c->hr, .cap = 64};
  agape_err err = tcs_search(&to, tc_rho, &cb, &tr);
  c->tc = tr.tc;
  c->nh = tr.nh;
  if (err) return err;
  /* every rank has the same history: the same outcome, said once (rank 0); a search that
   * found no Tc is not an error, the temperatures are solved as usual */
  for (int i = 0; i < c->nh; i++) c->hres[i] = agape_window_resolved(c->xi_near, agape_kT(c->hT[i]), 0);
  if (tr.status == TCS_FOUND && c->par->rank == 0)
    printf("agape: Tc = %.4f K (linearised gap equation, rho(Tc) = 1)\n", c->tc), fflush(stdout);
  agape_tc_outcome_set(&c->tco, c->par->rank, &to, &tr, c->xi_near);
  return AGAPE_OK;
}

/* The gap at each temperature, lowest first, each from the previous solution. */
static agape_err scdft_gaps(run_ctx *c)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const agape_states *st = c->st;
  agape_err err = AGAPE_OK;
  double *cur = malloc(sizeof(double) * st->n), *g0 = malloc(sizeof(double) * st->n);
  if (!cur || !g0) {
    free(cur);
    free(g0);
    return AGAPE_ERR_NOMEM;
  }
  const int it0 = c->ck.ndone; /* 0, or the temperatures a checkpoint has done */
  /* start: the leading eigenvector of the linearised equation (it has the right shape,
   * including the sign change of Delta at high energy that the Coulomb term causes);
   * without a Tc search it is computed at the first temperature */
  /* amplitude of the start: the BCS gap of Tc (or of its estimate). Anderson mixing is a
   * secant method: started at a small amplitude, where the residual is nearly linear, it
   * converges to the trivial root Delta = 0 even below Tc. */
  double scale = 1.764 * AGAPE_K_B * (c->tc > 0 ? c->tc : c->guess);
  if (!(p->tc_search && c->tc > 0) && p->ntemps > 0) {
    double rho0;
    if ((err = rho_at(c, p->temps[0], c->v, &rho0))) {
      free(cur);
      free(g0);
      return err;
    }
  }
  for (int64_t s = 0; s < st->n; s++) cur[s] = c->v[s];
  double a0 = agape_fs_average(st->n, st->fsw, NULL, cur, 1);
  for (int64_t s = 0; s < st->n; s++) g0[s] = cur[s] *= scale / a0;
  if (it0 > 0) memcpy(cur, c->delta + (size_t)(it0 - 1) * st->n, sizeof(double) * st->n);
  for (int it = 0; it < it0; it++) /* done before the checkpoint (and said there) */
    c->res[it] = agape_window_resolved(c->xi_near, agape_kT(p->temps[it]), c->dfs[it]);
  double tloop = agape_par_wtime();
  for (int it = it0; it < p->ntemps && !err; it++) {
    double T = p->temps[it];
    if (par->rank == 0) {
      double el = agape_par_wtime() - tloop;
      if (it > it0)
        printf("agape: gap at T = %.4f K (%d of %d), about %.0f s left\n", T, it + 1, p->ntemps,
               el / (it - it0) * (p->ntemps - it));
      else
        printf("agape: gap at T = %.4f K (%d of %d)\n", T, it + 1, p->ntemps);
      fflush(stdout);
    }
    double mx = 0;
    for (int64_t s = 0; s < st->n; s++) mx = fmax(mx, fabs(cur[s]));
    if (mx == 0) /* the previous temperature was normal: restart from the guess */
      memcpy(cur, g0, sizeof(double) * st->n);
    /* the first temperature continues the checkpoint's kernel update if it holds one */
    err = gap_at(c, T, cur, &c->iters[it], &c->conv[it], c->zall + (size_t)it * st->n, it == it0 && c->ck.outer >= 0);
    if (err) break;
    if (!agape_all_finite(st->n, cur) || !agape_all_finite(st->n, c->zall + (size_t)it * st->n)) {
      if (par->rank == 0)
        agape_error(AGAPE_ERR_NUMERIC,
                    "SCDFT gap at T = %g K: the solution is not a number (NaN or Inf) after %d "
                    "iterations; nothing of it is written",
                    T, c->iters[it]);
      err = AGAPE_ERR_NUMERIC;
      break;
    }
    /* the sign convention: Delta and -Delta solve the same equation; the one whose
     * Fermi-surface average is positive is reported */
    if (agape_fs_average(st->n, st->fsw, NULL, cur, 1) < 0)
      for (int64_t s = 0; s < st->n; s++) cur[s] = -cur[s];
    memcpy(c->delta + (size_t)it * st->n, cur, sizeof(double) * st->n);
    c->dfs[it] = agape_fs_average(st->n, st->fsw, NULL, cur, 1);
    c->res[it] = agape_resolution_check(par->rank, "gap", T, c->xi_near, c->dfs[it]);
    c->ck.ndone = it + 1;
    agape_stop_fault("temperature");
    if (ckpt_save(c, "temperature") && par->rank == 0)
      fprintf(stderr, "agape: warning: the checkpoint after T = %g K failed; the run goes on\n", T);
    if (par->rank == 0) {
      printf("agape: T = %.4f K  Delta_FS = %.6f meV  %s after %d iterations  (%.1f s)\n", T, c->dfs[it] * 1e3,
             c->conv[it] ? "converged" : "NOT converged", c->iters[it], agape_par_wtime() - c->t0);
      fflush(stdout);
    }
  }
  free(cur);
  free(g0);
  return agape_par_agree(par, err);
}

/* The Fermi-surface average against the gap at E_F at every temperature (agape_fs_gap_trend:
 * delta_ef in meV, the relative bias of the average and its standard error; NaN where no fit
 * can be made), and one warning (rank 0) when the average is biased by more than 2 % and by
 * more than three standard errors: the gap ratio and the histograms' Fermi-surface numbers
 * would then not be the gap at E_F. */
static void fs_trend(const run_ctx *c, double *def, double *bias, double *se)
{
  const agape_params *p = c->p;
  const agape_states *st = c->st;
  int nbad = 0, first = -1;
  for (int it = 0; it < p->ntemps; it++) {
    agape_fs_gap_trend(st->n, st->fsw, st->xi, c->delta + (size_t)it * st->n, &def[it], &bias[it], &se[it]);
    def[it] *= 1e3;
    if (c->dfs[it] > 0 && fabs(bias[it]) > 0.02 && fabs(bias[it]) > 3 * se[it]) {
      nbad++;
      if (first < 0) first = it;
    }
  }
  if (c->par->rank != 0 || nbad == 0) return;
  const int it = first;
  char width[160];
  if (c->m->own_states)
    snprintf(width, sizeof width, "the source's own Fermi-surface delta");
  else
    snprintf(width, sizeof width, "fs_smearing_meV = %g; about %.2g meV would bring it to 1 %%", p->fs_smearing_meV,
             p->fs_smearing_meV * sqrt(0.01 / fabs(bias[it])));
  fflush(stdout);
  agape_warning("T = %g K: the gap changes within the Fermi-surface width (%s): Delta_FS = %.4g meV lies %.1f %% "
                "(+- %.1f %%) %s the gap at E_F, %.4g meV (a + b xi^2 fitted to the states' gaps); %d of %d "
                "temperatures are so biased. The gap ratio and /gap/delta_fs_avg are Fermi-surface averages; "
                "/gap/delta_ef and /gap/fs_bias hold the fit",
                p->temps[it], width, c->dfs[it] * 1e3, 100 * fabs(bias[it]), 100 * se[it],
                bias[it] < 0 ? "below" : "above", def[it], nbad, p->ntemps);
  fflush(stderr);
}

/* The gap ratio, results.h5 and the files beside it (rank 0), the phase times. */
static agape_err scdft_write(run_ctx *c)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const agape_states *st = c->st;
  const agape_material *m = c->m;
  agape_err err = AGAPE_OK;
  /* the results in meV: the gap ratio from the lowest temperature, the lines, the run */
  const int nm = c->cpl.nmodes;
  double *dfs_meV = malloc(sizeof(double) * (p->ntemps ? p->ntemps : 1));
  double *om = malloc(sizeof(double) * (nm ? nm : 1)), *aw = malloc(sizeof(double) * (nm ? nm : 1));
  if (!dfs_meV || !om || !aw) err = AGAPE_ERR_NOMEM;
  agape_results r = {.n = st->n,
                     .xi = st->xi,
                     .w = st->w,
                     .k = st->k,
                     .band = st->band,
                     .fs_weight = st->fsw,
                     .delta = c->delta,
                     .z = c->zall,
                     .converged = c->conv,
                     .iterations = c->iters,
                     .resolved = c->res,
                     .xi_nearest = c->xi_near,
                     .mu = c->mu,
                     .coulomb = &c->cls,
                     .tc_mcmillan_mustar01 = c->tc_mcm,
                     .material = m->prefix};
  double *trend = malloc(sizeof(double) * 3 * (p->ntemps ? p->ntemps : 1)); /* delta_ef (meV), bias, its s.e. */
  if (!trend) err = AGAPE_ERR_NOMEM;
  if (!err) {
    for (int it = 0; it < p->ntemps; it++) dfs_meV[it] = c->dfs[it] * 1e3;
    fs_trend(c, trend, trend + p->ntemps, trend + 2 * p->ntemps);
    r.delta_ef = trend;
    r.fs_bias = trend + p->ntemps;
    r.fs_bias_se = trend + 2 * p->ntemps;
    agape_results_set_tc(&r, par->rank, p, &c->tco, dfs_meV, c->nh, c->hT, c->hr, c->hres);
    agape_results_set_lines(&r, nm, c->cpl.omega, c->cpl.a2f_w, om, aw, c->cpl.dos0, c->cpl.lambda, c->cpl.omega_log);
  }
  /* a source with its own N(E_F) and alpha^2F beside the states' (EPW data, Monte-Carlo states) */
  double *phd = NULL;
  if (!err && m->fs_weights && m->dos0 > 0 && m->lambda > 0) {
    r.source_dos0 = m->dos0;
    r.source_lambda = m->lambda;
    r.unreached = c->cpl.unreached;
    phd = m->ncurve > 0 ? malloc(sizeof(double) * m->ncurve) : NULL;
    agape_results_set_curve(&r, m->ncurve, m->curve_dw, m->curve_a2f, m->curve_phdos, phd);
  }
  const double r_wall = agape_par_wtime() - c->t0;
  agape_results_set_run(&r, p, par->size, par->nthreads, r_wall);
  if (par->rank == 0 && !err) { /* output (rank 0), gaps in meV */
    int64_t tot = (int64_t)st->n * p->ntemps;
    for (int64_t q = 0; q < tot; q++) c->delta[q] *= 1e3;
    err = agape_output_write(&r);
    if (!err && m->write_frmsf) /* gap_T*.frmsf of the states with k (delta in meV) */
      err = m->write_frmsf(m, p->output_file, st->n_mc, st->k, st->band, st->xi, p->fs_smearing_meV * 1e-3, p->ntemps,
                           p->temps, c->delta, st->n);
  }
  free(dfs_meV);
  free(trend);
  free(om);
  free(aw);
  free(phd);
  err = agape_output_agree(par, err);
  if (!err && par->rank == 0) {
    double total = agape_par_wtime() - c->t0;
    printf("agape: phase times (s): sampling %.3f  couplings+coulomb %.3f  kernel_build %.3f  solve %.3f  "
           "output %.3f  total %.3f\n",
           c->t_sampling, c->t_coupling, c->t_build, c->t_solve, total - r_wall, total);
    printf("agape: %lld operator products (%.2f ms each); phonon operator: %s\n", (long long)c->nprod,
           c->nprod > 0 ? 1e3 * c->t_solve / c->nprod : 0.0, c->sep ? "separable" : "stored kernel");
    printf("agape: done in %.1f s\n", total);
  }
  return err;
}

agape_err agape_scdft_run(const agape_par *par, const agape_run_info *ri, const agape_material *m)
{
  run_ctx c = {.par = par, .p = ri->p, .m = m, .ri = ri, .t0 = ri->t0};
  agape_err err = scdft_setup(&c);
  if (!err) err = scdft_couple(&c);
  if (!err) err = scdft_tc(&c);
  if (!err) err = scdft_gaps(&c);
  if (!err) err = scdft_write(&c);
  for (int it = 0; !err && it < c.p->ntemps; it++)
    if (!c.conv[it]) err = AGAPE_UNCONVERGED; /* everything is written; the exit status says so */
  if (!err && c.tco.status == TCS_NO_BRACKET) err = AGAPE_UNCONVERGED; /* likewise a Tc not bracketed */
  if (err == AGAPE_STOPPED && c.delta) {
    /* every rank agreed to stop at a safe point: c.ck is that point's state */
    agape_err werr = agape_par_agree(par, ckpt_save(&c, agape_stop_signame()));
    if (werr)
      err = werr;
    else if (par->rank == 0) {
      printf("agape: %s received: stopped at a safe point and wrote checkpoint %s\n"
             "agape: continue with: agape run %s --restart%s%s\n",
             agape_stop_signame(), ri->ckpath, ri->deck_path, ri->output ? " --output " : "",
             ri->output ? ri->output : "");
      fflush(stdout);
    }
  }
  free(c.vj);
  free(c.din);
  anderson_release(&c.outer_mix);
  agape_sep_destroy(&c.sep);
  free(c.K);
  free(c.z);
  free(c.xcol);
  free(c.v);
  free(c.delta);
  free(c.zall);
  free(c.dfs);
  free(c.conv);
  free(c.iters);
  free(c.res);
  agape_dist_destroy(&c.dist);
  agape_states_destroy(&c.sts);
  agape_coulomb_destroy(&c.cls);
  agape_coupling_destroy(&c.cpl);
  return err;
}
