/* The run driver (see include/agape/driver.h). Reads top to bottom as the data flow. */
#include "agape/driver.h"
#include "agape/eliashberg.h"
#include "agape/epw.h"
#include "agape/deck.h"
#include "agape/material.h"
#include "agape/sampling.h"
#include "agape/coulomb.h"
#include "agape/assembly.h"
#include "agape/solve.h"
#include "agape/output.h"
#include "agape/frmsf.h"
#include "agape/checkpoint.h"
#include "agape/stop.h"
#include "agape/version.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "agape/units.h"

#define KBLOCK 64 /* block size of the block-cyclic kernel layout */

typedef struct {
  const agape_par *par;
  const agape_params *p;
  const agape_states *st;
  const agape_material *m;
  const agape_dist *d;
  float *K;
  double *z;
  double coul;
  double *xcol;              /* [n] scratch column energies (SPG) */
  int interp;                /* column-interpolated kernels (kernels.h) */
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
    err = agape_sep_set_T(c->sep, T, (kern_functional)c->p->functional, gammas(c->p), extra);
    if (!err && with_z) err = agape_sep_z(c->sep, c->z);
  } else
    err = agape_assembly_build(c->par, c->d, c->st, c->m, T, (kern_functional)c->p->functional, gammas(c->p), xcol,
                               c->interp, c->K, with_z ? c->z : NULL);
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

/* Tc: rho(Tc) = 1, bracketed then Illinois regula falsi on ln rho versus ln T. */
static agape_err tc_search(run_ctx *c, double Tguess, double *v, double *tc, int *nh, double *hT, double *hr)
{
  double Ta = Tguess, ra, Tb, rb;
  agape_err err;
  *nh = 0;
#define EVAL(T, r)                                                                                                     \
  do {                                                                                                                 \
    if ((err = rho_at(c, (T), v, &(r)))) return err;                                                                   \
    if (*nh < 64) {                                                                                                    \
      hT[*nh] = (T);                                                                                                   \
      hr[*nh] = (r);                                                                                                   \
      (*nh)++;                                                                                                         \
    }                                                                                                                  \
  } while (0)
  EVAL(Ta, ra);
  /* bracket by secant steps in (ln T, ln rho): rho ~ T^-s near Tc with s = d ln rho / d ln T
   * of order lambda_eff (start s = 0.5, then the measured slope), each step clamped to a
   * factor 4 and at least 1 % */
  Tb = Ta;
  rb = ra;
  double slope = 0.5;
  int k = 0;
  while ((rb > 1) == (ra > 1) && k++ < 30) {
    if (k > 1) {
      double sl = -log(rb / ra) / log(Tb / Ta);
      if (sl > 0.05 && sl < 20) slope = sl;
      Ta = Tb;
      ra = rb;
    }
    double f = pow(ra, 1.0 / slope);
    if (ra > 1)
      f = fmin(fmax(f, 1.01), 4.0);
    else
      f = fmax(fmin(f, 0.99), 0.25);
    Tb = Ta * f;
    if (Tb < 1e-3) {
      *tc = 0;
      return AGAPE_OK;
    }
    EVAL(Tb, rb);
  }
  if ((ra > 1) == (rb > 1)) {
    *tc = NAN;
    return agape_error(AGAPE_ERR_NUMERIC,
                       "Tc could not be bracketed: the leading eigenvalue of the linearised gap "
                       "equation is %.6g at %.4g K and %.6g at %.4g K (it must cross 1). If it stays below 1 "
                       "as T falls, the sample is not superconducting; with EPW data, a value that no longer changes "
                       "with T means no state lies within k_B T of E_F (too coarse a k mesh near the Fermi level)",
                       ra, Ta, rb, Tb);
  }
  if (Ta > Tb) {
    double t = Ta;
    Ta = Tb;
    Tb = t;
    t = ra;
    ra = rb;
    rb = t;
  }
  /* u = ln T, f = ln rho; f decreases with u */
  double ua = log(Ta), fa = log(ra), ub = log(Tb), fb = log(rb);
  int side = 0;
  for (int it = 0; it < 60 && fabs(ub - ua) > c->p->tc_tol; it++) {
    double u = (ua * fb - ub * fa) / (fb - fa), r;
    double T = exp(u);
    EVAL(T, r);
    double f = log(r);
    /* |u - u_c| ~ |f| / slope: stop once that is a tenth of the tolerance */
    if (fabs(f) <= 0.1 * c->p->tc_tol * fabs((fb - fa) / (ub - ua))) {
      ua = ub = u;
      break;
    }
    if ((f > 0) == (fa > 0)) {
      ua = u;
      fa = f;
      if (side == -1) fb /= 2;
      side = -1;
    } else {
      ub = u;
      fb = f;
      if (side == 1) fa /= 2;
      side = 1;
    }
  }
#undef EVAL
  *tc = exp(0.5 * (ua + ub));
  return AGAPE_OK;
}

static double fs_average(const agape_states *st, const double *delta)
{
  double a = 0, b = 0;
  for (int64_t s = 0; s < st->n; s++) {
    a += st->fsw[s] * delta[s];
    b += st->fsw[s];
  }
  return b > 0 ? a / b : 0;
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
  const int spg_fun = p->functional == KERN_SPG && c->m->kind != MATK_SQUARE_WELL;
  const int spg = spg_fun && !c->sep;
  agape_err err = AGAPE_OK;
  double *prev = ck->din, *r = malloc(sizeof(double) * n);
  /* SPG: the kernel-update map G (Delta_in -> gap solved with K(E^gamma(Delta_in))) contracts
   * by ~0.2 per update; Anderson mixing on G makes that superlinear (about half the kernel
   * builds).  Each inner solve only needs to be accurate to a small fraction of the current
   * outer change, and to tol at the end. */
  agape_anderson *outer_mix = ck->mix;
  if (!r) return AGAPE_ERR_NOMEM;
  *iters = 0;
  *conv = 0;
  double change = 0.1; /* last outer change, relative to max|Delta| */
  int outer0 = 0;
  if (resume) {
    outer0 = ck->outer;
    change = ck->change;
    *iters = ck->iters_done;
    memcpy(delta, ck->din, sizeof(double) * n);
    R0 printf("agape:   T = %8.3f K  continuing at SPG kernel update %d (from the checkpoint)\n", T, outer0 + 1);
  } else {
    agape_anderson_reset(outer_mix);
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
      for (int64_t s = 0; s < n; s++) c->xcol[s] = sqrt(c->st->xi[s] * c->st->xi[s] + p->gamma3 * delta[s] * delta[s]);
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
    if (outer == 49) {
      *conv = 0;
      break;
    }
    /* next input: Anderson extrapolation of the kernel-update map from (prev, r) */
    memcpy(delta, prev, sizeof(double) * n);
    agape_anderson_step(outer_mix, delta, r, 1.0);
  }
  if (!err) {
    memcpy(zout, c->z, sizeof(double) * n);
    ck->outer = -1;
  }
  free(r);
  return err;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

agape_err agape_run(const agape_par *par, const char *deck_path, const char *output, int restart)
{
  double t0 = agape_par_wtime();
  agape_params p;
  agape_params_defaults(&p);
  agape_err err = AGAPE_OK;
  if (par->rank == 0) err = agape_deck_read(deck_path, &p);
  if ((err = agape_par_agree(par, err))) {
    agape_params_free(&p);
    return err;
  }
  if ((err = agape_par_bcast_params(par, &p))) return err;
  if (output) {
    if (strlen(output) >= sizeof p.output_file || output[0] == '\0') {
      if (par->rank == 0)
        agape_error(AGAPE_ERR_USAGE, "--output: empty or longer than %d characters", (int)sizeof p.output_file - 1);
      agape_params_free(&p);
      return AGAPE_ERR_USAGE;
    }
    snprintf(p.output_file, sizeof p.output_file, "%s", output);
  }
  qsort(p.temps, p.ntemps, sizeof(double), cmp_double);
  /* checkpoint file and the deck's fingerprint; with --restart, the checkpoint to continue
   * from (a checkpoint of another deck is an error here, before any work) */
  char ckpath[AGAPE_PATH_MAX + 32], ckused[AGAPE_PATH_MAX + 40] = "";
  char *fingerprint = agape_params_fingerprint(&p);
  int ckfound = 0;
  if (!fingerprint)
    err = AGAPE_ERR_NOMEM;
  else if (agape_ckpt_path(p.output_file, ckpath, sizeof ckpath) != 0)
    err = agape_error(AGAPE_ERR_DECK, "[output] file: %s is too long for its checkpoint name", p.output_file);
  if (!err && par->rank == 0) err = agape_output_prepare(p.output_file);
  if (!err && restart) err = agape_ckpt_find(par, ckpath, fingerprint, &ckfound, ckused, sizeof ckused);
  if ((err = agape_par_agree(par, err))) {
    free(fingerprint);
    agape_params_free(&p);
    return err;
  }
  if (par->rank == 0) {
    printf("AGAPE %s (%s): %d rank(s) x %d thread(s), process grid %d x %d\n", AGAPE_VERSION_STRING, AGAPE_GIT_HASH,
           par->size, par->nthreads, par->nprow, par->npcol);
    printf("agape: deck %s\n", deck_path);
    agape_params_print(&p, stdout);
    if (p.method == SOLVER_SCDFT) {
      printf("agape: checkpoints to %s", ckpath);
      if (p.checkpoint_interval_s > 0) printf(" every %g s,", p.checkpoint_interval_s);
      printf(" after each temperature and on SIGTERM/SIGUSR1\n");
    } else
      printf("agape: no checkpoints for method = eliashberg: a stopped run starts again\n");
    if (restart)
      printf(ckfound ? "agape: restart from %s\n" : "agape: restart: no checkpoint %s%s; starting from the beginning\n",
             ckfound ? ckused : ckpath, ckfound ? "" : " (nor .prev)");
    fflush(stdout);
  }

  /* material */
  agape_material m;
  err = agape_material_create(&p, &m);
  if ((err = agape_par_agree(par, err))) {
    agape_material_destroy(&m);
    agape_params_free(&p);
    free(fingerprint);
    return err;
  }
  if (m.kind == MATK_EPW) {
    if (par->rank == 0) {
      printf("agape: reading EPW data %s\n", p.epw_dir);
      fflush(stdout);
    }
    err = agape_material_load_epw(par, &p, &m);
    if (!err && par->rank == 0) {
      const agape_epw *e = m.epw;
      printf("agape: EPW %s files: %d pool file(s); k mesh %d x %d x %d, %d irreducible k in the Fermi shell, "
             "%d bands; q mesh %d x %d x %d, %d q selected, %d modes\n",
             e->format == AGAPE_EPW_STREAM ? "stream (>= 5.8)" : "sequential (5.3-5.7)", e->npool, e->nkf[0], e->nkf[1],
             e->nkf[2], e->nkfs, e->nbndfst, e->nqf[0], e->nqf[1], e->nqf[2], e->totq, e->nmodes);
      printf("agape: E_F = %.6f eV, N(E_F) = %.6f states/spin/eV/cell, window +-%g eV, smearing %g eV: %d states, "
             "%lld couplings (%.1f s)\n",
             e->ef, e->dosef, e->fsthick, e->degaussw, e->ns, (long long)e->nnz, agape_par_wtime() - t0);
      fflush(stdout);
    }
    if ((err = agape_par_agree(par, err))) {
      agape_material_destroy(&m);
      agape_params_free(&p);
      free(fingerprint);
      return err;
    }
  }
  if (p.method == SOLVER_ELIASHBERG) {
    err = agape_eliashberg_run(par, &p, &m,
                               &(agape_ckpt_run){ckpath, fingerprint, ckfound ? ckused : NULL, deck_path, output}, t0);
    agape_material_destroy(&m);
    agape_params_free(&p);
    free(fingerprint);
    return err;
  }

  /* sampling */
  agape_states st;
  agape_stop_fault("sampling");
  err = agape_states_create(&p, &m, &st);
  if ((err = agape_par_agree(par, err))) {
    agape_material_destroy(&m);
    agape_params_free(&p);
    free(fingerprint);
    return err;
  }
  if (par->rank == 0)
    printf("agape: %lld states (%lld Monte-Carlo, %lld energy grid), window +-%.3g eV (%.1f s)\n", (long long)st.n,
           (long long)st.n_mc, (long long)(st.n - st.n_mc), p.energy_window_eV, agape_par_wtime() - t0);

  const double t_sampling = agape_par_wtime() - t0; /* deck, material and sampling */
  agape_dist d = {0};
  agape_coulomb coul = {0};
  float *K = NULL;
  double *z = NULL, *xcol = NULL, *delta = NULL, *zall = NULL, *dfs = NULL, *v = NULL;
  double *vj = NULL, *din = NULL;
  int *conv = NULL, *iters = NULL;
  agape_anderson outer_mix = {0};
  run_ctx c = {0};
  /* the phonon operator: the separable form where the couplings have one (the N x N kernel
   * is then never formed), else the stored kernel block */
  const int use_sep = p.kernel_eval == KEVAL_SEPARABLE ||
    (p.kernel_eval == KEVAL_AUTO && agape_sep_available(&m) && st.n >= AGAPE_INTERP_MIN_STATES);
  if (use_sep && !agape_sep_available(&m)) {
    if (par->rank == 0)
      agape_error(AGAPE_ERR_DECK,
                  "%s: [solver] kernel_eval = separable: the couplings of %s have no separable form; "
                  "use interpolate or exact",
                  deck_path, m.kind == MATK_EPW ? "EPW data" : "the square well (bcs)");
    err = AGAPE_ERR_DECK;
  }
  if (!err) err = agape_dist_create(par, st.n, KBLOCK, &d);
  if (!err) {
    double gb = use_sep ? 0.0 : (double)d.mloc * d.nloc * 4 / 1e9;
    if (par->rank == 0 && !use_sep)
      printf("agape: kernel block %lld x %lld per rank (%.3f GB float)\n", (long long)d.mloc, (long long)d.nloc, gb);
    K = use_sep ? NULL : malloc(sizeof(float) * (size_t)(d.mloc * d.nloc > 0 ? d.mloc * d.nloc : 1));
    z = malloc(sizeof(double) * st.n);
    xcol = malloc(sizeof(double) * st.n);
    v = malloc(sizeof(double) * st.n);
    delta = calloc((size_t)st.n * (p.ntemps ? p.ntemps : 1), sizeof(double));
    zall = calloc((size_t)st.n * (p.ntemps ? p.ntemps : 1), sizeof(double));
    dfs = calloc(p.ntemps ? p.ntemps : 1, sizeof(double));
    conv = calloc(p.ntemps ? p.ntemps : 1, sizeof(int));
    iters = calloc(p.ntemps ? p.ntemps : 1, sizeof(int));
    vj = malloc(sizeof(double) * st.n);
    din = malloc(sizeof(double) * st.n);
    if ((!K && !use_sep) || !z || !xcol || !v || !delta || !zall || !dfs || !conv || !iters || !vj || !din ||
        agape_anderson_init(&outer_mix, st.n, 4))
      err = agape_error(AGAPE_ERR_NOMEM, "cannot allocate the kernel block (%.3f GB)", gb);
  }
  if ((err = agape_par_agree(par, err))) goto done;

  /* the run's state for checkpoints, read from the checkpoint on a restart */
  c.par = par;
  c.ckpath = ckpath;
  c.fingerprint = fingerprint;
  c.ck_every = p.checkpoint_interval_s;
  c.ck_last = agape_par_wtime();
  c.ck = (agape_ckpt){.n = st.n,
                      .ntemps = p.ntemps,
                      .v = vj,
                      .delta = delta,
                      .z = zall,
                      .dfs = dfs,
                      .conv = conv,
                      .iters = iters,
                      .outer = -1,
                      .din = din,
                      .zcur = z,
                      .mix = &outer_mix};
  if (ckfound) {
    if ((err = agape_ckpt_read(par, ckused, &c.ck))) goto done;
    if (par->rank == 0) {
      printf("agape: checkpoint: %d linearised-equation evaluations, %d of %d temperatures done", c.ck.nj, c.ck.ndone,
             p.ntemps);
      if (c.ck.outer >= 0) printf(", T = %g K in progress at kernel update %d", p.temps[c.ck.ndone], c.ck.outer + 1);
      printf("\n");
      fflush(stdout);
    }
  }
  if (agape_stop_agreed(par)) {
    err = AGAPE_STOPPED;
    goto done;
  }

  /* coupling of the sample and Coulomb */
  if ((err = agape_assembly_couplings(par, &d, &st, &m))) goto done;
  if (m.kind == MATK_EPW && par->rank == 0) {
    printf("agape: EPW couplings on %d frequency nodes %.3f-%.3f meV (lambda of every pair kept); "
           "N(0) of the window states %.6f (EPW: %.6f) states/eV/spin/cell\n",
           m.nmodes, m.omega[0] * 1e3, m.omega[m.nmodes - 1] * 1e3, st.dos0, m.epw->dosef);
    fflush(stdout);
  }
  agape_stop_fault("coulomb");
  if ((err = agape_coulomb_create(par, &p, &m, &coul))) goto done;
  if ((err = agape_coulomb_sample(par, &m, &st, &coul))) goto done;
  if (agape_stop_agreed(par)) {
    err = AGAPE_STOPPED;
    goto done;
  }
  double mu = coul.mu;
  /* the Coulomb kernel: constant W = mu/N(0) of the sample for mode mu; the energy-resolved
   * W(xi, xi') of the RPA step for mode rpa (its mu is quoted with the grid's N(0)) */
  const int ctable = p.coulomb == COUL_RPA || p.coulomb == COUL_FILE;
  double wcoul = ctable ? 0.0 : mu / m.dos0;
  int interp = p.kernel_eval == KEVAL_INTERP || (p.kernel_eval == KEVAL_AUTO && st.n >= AGAPE_INTERP_MIN_STATES);
  c.par = par;
  c.p = &p;
  c.st = &st;
  c.m = &m;
  c.d = &d;
  c.K = K;
  c.z = z;
  c.coul = wcoul;
  c.xcol = xcol;
  c.interp = interp;
  c.ctab = ctable ? &coul : NULL;
  c.t0 = t0;
  if (use_sep) {
    if ((err = agape_sep_create(par, &st, &m, &c.sep))) goto done;
    if (par->rank == 0)
      printf("agape: separable phonon operator: %d functions of a state, no N x N kernel (kernel_eval = %s)\n",
             agape_sep_nfun(c.sep), p.kernel_eval == KEVAL_SEPARABLE ? "separable" : "auto");
  }
  const double t_coupling = agape_par_wtime() - t0 - t_sampling; /* couplings and Coulomb */
  double wlog_K = m.omega_log / AGAPE_K_B;
  double tc_mcm = agape_tc_mcmillan(m.lambda, wlog_K, 0.1);
  if (par->rank == 0) {
    printf("agape: N(0) = %.6g states/eV/spin/cell   lambda = %.4f   omega_log = %.3f meV   mu = %.4f\n", m.dos0,
           m.lambda, m.omega_log * 1e3, mu);
    if (m.kind != MATK_SQUARE_WELL)
      printf("agape: McMillan-Allen-Dynes Tc (f1 f2 = 1): %.2f K at mu* = 0.10, %.2f K at mu* = 0.13\n", tc_mcm,
             agape_tc_mcmillan(m.lambda, wlog_K, 0.13));
    fflush(stdout);
  }

  /* Tc */
  double tc = NAN;
  int nh = 0;
  double hT[64], hr[64];
  for (int64_t s = 0; s < st.n; s++) v[s] = st.fsw[s] > 0 ? 1.0 : 0.1;
  /* a Tc estimate: BCS for the square well, McMillan with Morel-Anderson mu* otherwise */
  double guess;
  if (m.kind == MATK_SQUARE_WELL)
    guess = 1.134 * m.sw_omega_D / AGAPE_K_B * exp(-1 / m.lambda);
  else {
    double mustar = mu / (1 + mu * log(p.energy_window_eV / m.omega_log));
    guess = agape_tc_mcmillan(m.lambda, wlog_K, mustar);
    if (!(guess > 0.5)) guess = 0.5 + 0.01 * wlog_K;
  }
  if (p.tc_search) {
    if ((err = tc_search(&c, guess, v, &tc, &nh, hT, hr))) goto done;
    if (par->rank == 0) printf("agape: Tc = %.4f K (linearised gap equation, rho(Tc) = 1)\n", tc), fflush(stdout);
  }

  /* gaps at each temperature, lowest first, continuing from the previous solution */
  double *cur = malloc(sizeof(double) * st.n), *g0 = malloc(sizeof(double) * st.n);
  if (!cur || !g0) {
    free(cur);
    free(g0);
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  const int it0 = c.ck.ndone; /* 0, or the temperatures a checkpoint has done */
  /* start: the leading eigenvector of the linearised equation (it has the right shape,
   * including the sign change of Delta at high energy that the Coulomb term causes);
   * without a Tc search it is computed at the first temperature */
  /* amplitude of the start: the BCS gap of Tc (or of its estimate). Anderson mixing is a
   * secant method: started at a small amplitude, where the residual is nearly linear, it
   * converges to the trivial root Delta = 0 even below Tc. */
  double scale = 1.764 * AGAPE_K_B * (tc > 0 ? tc : guess);
  if (!(p.tc_search && tc > 0) && p.ntemps > 0) {
    double rho0;
    if ((err = rho_at(&c, p.temps[0], v, &rho0))) {
      free(cur);
      free(g0);
      goto done;
    }
  }
  for (int64_t s = 0; s < st.n; s++) cur[s] = v[s];
  double a0 = fs_average(&st, cur);
  for (int64_t s = 0; s < st.n; s++) g0[s] = cur[s] *= scale / a0;
  if (it0 > 0) memcpy(cur, delta + (size_t)(it0 - 1) * st.n, sizeof(double) * st.n);
  double tloop = agape_par_wtime();
  for (int it = it0; it < p.ntemps && !err; it++) {
    double T = p.temps[it];
    if (par->rank == 0) {
      double el = agape_par_wtime() - tloop;
      if (it > it0)
        printf("agape: gap at T = %.4f K (%d of %d), about %.0f s left\n", T, it + 1, p.ntemps,
               el / (it - it0) * (p.ntemps - it));
      else
        printf("agape: gap at T = %.4f K (%d of %d)\n", T, it + 1, p.ntemps);
      fflush(stdout);
    }
    double mx = 0;
    for (int64_t s = 0; s < st.n; s++) mx = fmax(mx, fabs(cur[s]));
    if (mx == 0) /* the previous temperature was normal: restart from the guess */
      memcpy(cur, g0, sizeof(double) * st.n);
    /* the first temperature continues the checkpoint's kernel update if it holds one */
    err = gap_at(&c, T, cur, &iters[it], &conv[it], zall + (size_t)it * st.n, it == it0 && c.ck.outer >= 0);
    if (err) break;
    memcpy(delta + (size_t)it * st.n, cur, sizeof(double) * st.n);
    dfs[it] = fs_average(&st, cur);
    c.ck.ndone = it + 1;
    agape_stop_fault("temperature");
    if (ckpt_save(&c, "temperature") && par->rank == 0)
      fprintf(stderr, "agape: warning: the checkpoint after T = %g K failed; the run goes on\n", T);
    if (par->rank == 0) {
      printf("agape: T = %.4f K  Delta_FS = %.6f meV  %s after %d iterations  (%.1f s)\n", T, dfs[it] * 1e3,
             conv[it] ? "converged" : "NOT converged", iters[it], agape_par_wtime() - t0);
      fflush(stdout);
    }
  }
  free(cur);
  free(g0);
  if ((err = agape_par_agree(par, err))) goto done;

  /* gap ratio from the lowest temperature */
  double ratio = NAN, rT = NAN;
  if (p.ntemps > 0 && tc > 0 && dfs[0] > 0) {
    ratio = 2 * dfs[0] / (AGAPE_K_B * tc);
    rT = p.temps[0];
    if (par->rank == 0) printf("agape: gap ratio 2 Delta(%.2f K) / k_B Tc = %.4f\n", rT, ratio);
  }

  /* output (rank 0), in meV */
  const double r_wall = agape_par_wtime() - t0;
  if (par->rank == 0) {
    int64_t tot = (int64_t)st.n * p.ntemps;
    for (int64_t q = 0; q < tot; q++) delta[q] *= 1e3;
    double *dfs_meV = malloc(sizeof(double) * (p.ntemps ? p.ntemps : 1));
    double *om = malloc(sizeof(double) * (m.nmodes ? m.nmodes : 1));
    double *aw = malloc(sizeof(double) * (m.nmodes ? m.nmodes : 1));
    for (int it = 0; it < p.ntemps; it++) dfs_meV[it] = dfs[it] * 1e3;
    for (int b = 0; b < m.nmodes; b++) {
      om[b] = m.omega[b] * 1e3;
      aw[b] = m.a2f_w[b] * 1e3;
    }
    agape_results r = {.n = st.n,
                       .xi = st.xi,
                       .w = st.w,
                       .k = st.k,
                       .band = st.band,
                       .fs_weight = st.fsw,
                       .ntemps = p.ntemps,
                       .temps = p.temps,
                       .delta = delta,
                       .z = zall,
                       .delta_fs_avg = dfs_meV,
                       .converged = conv,
                       .iterations = iters,
                       .tc = tc,
                       .gap_ratio = ratio,
                       .tc_gap_T = rT,
                       .ntc = nh,
                       .tc_hist_T = hT,
                       .tc_hist_rho = hr,
                       .dos0 = m.dos0,
                       .lambda = m.lambda,
                       .omega_log_meV = m.omega_log * 1e3,
                       .nmodes = m.nmodes,
                       .omega_meV = om,
                       .a2f = aw,
                       .mu = mu,
                       .coulomb = &coul,
                       .tc_mcmillan_mustar01 = tc_mcm,
                       .params = &p,
                       .nranks = par->size,
                       .nthreads = par->nthreads,
                       .wall_seconds = r_wall};
    err = agape_output_write(&r);
    if (!err) err = agape_frmsf_write_states(&p, &m, &st, delta); /* gap_T*.frmsf (delta in meV) */
    free(dfs_meV);
    free(om);
    free(aw);
  }
  err = agape_par_agree(par, err);
  if (!err && par->rank == 0 && agape_stop_pending())
    printf("agape: %s received while the results were written: they are complete\n", agape_stop_signame());
  if (!err && par->rank == 0) {
    double total = agape_par_wtime() - t0;
    printf("agape: phase times (s): sampling %.3f  couplings+coulomb %.3f  kernel_build %.3f  solve %.3f  "
           "output %.3f  total %.3f\n",
           t_sampling, t_coupling, c.t_build, c.t_solve, total - r_wall, total);
    printf("agape: %lld operator products (%.2f ms each); phonon operator: %s\n", (long long)c.nprod,
           c.nprod > 0 ? 1e3 * c.t_solve / c.nprod : 0.0, c.sep ? "separable" : "stored kernel");
    printf("agape: done in %.1f s\n", total);
  }
done:
  if (err == AGAPE_STOPPED) {
    /* every rank agreed to stop at a safe point: c.ck is that point's state */
    agape_err werr = agape_par_agree(par, ckpt_save(&c, agape_stop_signame()));
    if (werr)
      err = werr;
    else if (par->rank == 0) {
      printf("agape: %s received: stopped at a safe point and wrote checkpoint %s\n"
             "agape: continue with: agape run %s --restart%s%s\n",
             agape_stop_signame(), ckpath, deck_path, output ? " --output " : "", output ? output : "");
      fflush(stdout);
    }
  }
  free(fingerprint);
  free(vj);
  free(din);
  agape_anderson_free(&outer_mix);
  agape_sep_destroy(&c.sep);
  free(K);
  free(z);
  free(xcol);
  free(v);
  free(delta);
  free(zall);
  free(dfs);
  free(conv);
  free(iters);
  agape_dist_destroy(&d);
  agape_states_destroy(&st);
  agape_coulomb_destroy(&coul);
  agape_material_destroy(&m);
  agape_params_free(&p);
  return err;
}
