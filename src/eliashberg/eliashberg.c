/* Eliashberg stage (see include/agape/eliashberg.h; equations in docs/eliashberg.md and
 * include/agape/eliash.h). */
#include "agape/eliashberg.h"
#include "agape/eliash.h"
#include "agape/arnoldi.h"
#include "agape/anderson.h"
#include "agape/tcsearch.h"
#include "agape/resolution.h"
#include "agape/checkpoint.h"
#include "agape/stop.h"
#include "agape/output.h"
#include "agape/units.h"
#include "agape/formulas.h"
#include "agape/assembly.h"
#include "agape/sampling.h"
#include "agape/coulomb.h"
#include "agape/mustar.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cblas.h>

#define ELI_GEMM_BYTES  (64u << 20) /* scratch of one block of kernel products */
#define ELI_CKPT_FORMAT 1           /* version of the Eliashberg checkpoint items */
#define ELI_HIST_CAP    128         /* Tc-search evaluations recorded */

/* The run's state at its last safe point, for checkpoints (checkpoint.h). Arrays of the
 * finished temperatures are the run's own; the step in progress points at eli_solve's. */
typedef struct {
  const agape_ckpt_run *run; /* NULL: no checkpoint files */
  double every, last;        /* timer interval (0: none) and time of the last write, s */
  /* Tc search journal: every (T, rho) so far; jv: the eigenvector after entry nj-1 (aniso) */
  int nj, jpos;
  double jT[AGAPE_CKPT_MAXJ], jr[AGAPE_CKPT_MAXJ]; /* K, 1 */
  double *jv;                                      /* [ns * jvN] */
  int jvN;
  /* finished temperatures 0..ndone-1 (deck order) and the last one's full solution */
  int ntemps, nwmax, ndone;
  double *delta, *zz, *dm, *zm, *dfs; /* [ntemps ns], [ntemps ns], [ntemps nwmax] x 2, [ntemps] */
  int *conv, *iters, *nw;             /* [ntemps] */
  double *prev;                       /* [ns pN] Delta(i omega_n) of temperature ndone-1, eV */
  int pN;
  double pT; /* K */
  /* temperature ndone in progress: fixed-point iteration `it` about to start (-1: none) */
  int it, N, retried;
  double *x, *d0;    /* [ns N] current iterate and the start of the temperature, eV */
  anderson_mix *mix; /* its mixing state */
  /* read from a checkpoint, for eli_solve to continue from (owned) */
  double *rx, *rd0;
  anderson_mix rmix;
} eli_ck;

typedef struct {
  const agape_par *par;
  const agape_params *p;
  const agape_material *m;
  const agape_fs_data *fs; /* the Fermi-surface spectrum, states and couplings */
  agape_fs_data own;       /* the material's own (agape_fs_data_of_material) */
  agape_fs_data sample;    /* iso on Monte-Carlo states: the sample's spectrum */
  double unreached;        /* Monte-Carlo states: agape_coupling's unreached */
  agape_coulomb cls;       /* [coulomb] mode = rpa or file: the W(xi, xi') that mu* comes from */
  int aniso;
  int ns;               /* states: EPW window states (aniso, or iso on EPW data), else 1 */
  int64_t lo, hi, mloc; /* own rows [lo, hi) (aniso) */
  double mustar;
  /* aniso, independent of T */
  double *M; /* [mloc * ns] mu* weights: sum over q with rep(k+q) = k' of wq w0g'/N_F */
  /* per temperature */
  double T;     /* k_B T, eV */
  int N;        /* positive Matsubara frequencies */
  double *L;    /* aniso: [2N][mloc][ns] lambda_{ss'}(d) with EPW's weight wq w0g'/N_F */
  double *nsum; /* aniso: [mloc * N]; iso: [N] normal-state sums of K- */
  double *lam;  /* iso: [2N] lambda(d) */
  double *zlin; /* [ns * N] Z of the normal state (linearised equation) */
  double *work; /* scratch */
  size_t work_len;
  double t_build, t_lin, t_solve; /* phase times: kernels at T, linearised solves, gaps, s */
  eli_ck ck;
} eli_ctx;

static agape_err eli_alloc(double **p, size_t n)
{
  free(*p);
  *p = malloc(sizeof(double) * (n ? n : 1));
  return *p ? AGAPE_OK : AGAPE_ERR_NOMEM;
}

/* ---- setup ----------------------------------------------------------------------------- */

/* mu* weights of the own rows: the source's mu* phase space (material.h mustar_row; EPW's
 * sum over q and k+q bands of wq w0g'/N_F), else the Fermi-surface weights wk fsd / N(0) of
 * the states (every row the same: Monte-Carlo states). */
static agape_err eli_aniso_setup(eli_ctx *c)
{
  const agape_fs_data *fs = c->fs;
  const agape_fs_pairs *e = fs->pairs;
  agape_par_rows(c->par, c->ns, c->par->rank, &c->lo, &c->hi);
  c->mloc = c->hi - c->lo;
  c->M = calloc((size_t)(c->mloc * c->ns) + 1, sizeof(double));
  if (!c->M) return AGAPE_ERR_NOMEM;
  double n0 = 0;
  for (int t = 0; t < c->ns && !fs->mustar_row; t++) n0 += e->wk[t] * e->fsd[t];
  for (int64_t li = 0; li < c->mloc; li++) {
    double *row = c->M + li * c->ns;
    if (fs->mustar_row)
      fs->mustar_row(fs->mu_m, (int)(c->lo + li), row);
    else
      for (int t = 0; t < c->ns; t++) row[t] = e->wk[t] * e->fsd[t] / n0;
  }
  return AGAPE_OK;
}

/* The normal-state sums of Z, out[n] (n < N), from lambda(d) (d < 2N): to infinity exactly,
 * or cut at the N frequencies below wscut as epw.x does ([solver] z_tail). */
static void eli_nsum(const eli_ctx *c, int N, const double *lam, double *out)
{
  if (c->p->z_tail == ELI_ZTAIL_EPW)
    eli_normal_sum_cut(N, lam, out);
  else
    eli_normal_sum(N, lam, out);
}

/* Kernels at temperature T (K): Matsubara count, lambda(d), normal sums, Z of the normal state. */
static agape_err eli_at_T(eli_ctx *c, double TK)
{
  c->T = agape_kT(TK);
  c->N = eli_nsiw(c->p->wscut_meV * 1e-3, c->T);
  if (c->N < 1) c->N = 1;
  int N = c->N;
  agape_err err;
  if (!c->aniso) {
    if ((err = eli_alloc(&c->lam, 2 * (size_t)N)) || (err = eli_alloc(&c->nsum, N)) || (err = eli_alloc(&c->zlin, N)))
      return err;
    eli_lambda_d(c->fs->nmodes, c->fs->omega, c->fs->a2f_w, c->T, 2 * N, c->lam);
    eli_nsum(c, N, c->lam, c->nsum);
    for (int n = 0; n < N; n++) c->zlin[n] = 1 + c->nsum[n] / (2 * n + 1);
    return AGAPE_OK;
  }
  const agape_fs_pairs *e = c->fs->pairs;
  size_t ld = (size_t)c->mloc * c->ns;
  if ((err = eli_alloc(&c->L, 2 * (size_t)N * ld)) || (err = eli_alloc(&c->nsum, (size_t)c->mloc * N)) ||
      (err = eli_alloc(&c->zlin, (size_t)c->ns * N)))
    return err;
  memset(c->L, 0, sizeof(double) * 2 * (size_t)N * ld);
  /* the cut sums need lambda(d) up to d = 2N - 1, the exact ones up to N - 1 */
  const int nd = c->p->z_tail == ELI_ZTAIL_EPW ? 2 * N : N;
  double *wd2 = malloc(sizeof(double) * 2 * N), wq = e->wq;
  double *rsum = malloc(sizeof(double) * (size_t)nd * (size_t)(c->mloc > 0 ? c->mloc : 1));
  if (!wd2 || !rsum) {
    free(wd2);
    free(rsum);
    return AGAPE_ERR_NOMEM;
  }
  for (int d = 0; d < 2 * N; d++) wd2[d] = pow(2 * AGAPE_PI * c->T * d, 2);
/* lambda_{ss'}(d) = sum over the row's entries with column s' of 2 wq w0g' g2 om/(om^2 + w_d^2)
 * (wk[s'] in place of wq for states that are one column each: col_wk) */
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t li = 0; li < c->mloc; li++) {
    int s = (int)(c->lo + li);
    for (int64_t j = e->row_ptr[s]; j < e->row_ptr[s + 1]; j++) {
      int t = e->col[j];
      double om = e->omega_line[e->line[j]], cw = e->col_wk ? e->wk[t] : wq;
      double cj = 2 * cw * e->fsd[t] * e->g2[j] * e->g2_unit * om;
      double *Lp = c->L + (size_t)li * c->ns + t;
      for (int d = 0; d < 2 * N; d++) Lp[(size_t)d * ld] += cj / (om * om + wd2[d]);
    }
    /* normal sums of the row: those of its lambda summed over the columns s' */
    double *rs = rsum + (size_t)li * nd;
    for (int d = 0; d < nd; d++) {
      double r = 0;
      const double *Lr = c->L + (size_t)d * ld + (size_t)li * c->ns;
      for (int t = 0; t < c->ns; t++) r += Lr[t];
      rs[d] = r;
    }
    eli_nsum(c, N, rs, c->nsum + (size_t)li * N);
  }
  free(wd2);
  free(rsum);
  for (int64_t li = 0; li < c->mloc; li++)
    for (int n = 0; n < N; n++) c->zlin[(size_t)(c->lo + li) * N + n] = 1 + c->nsum[(size_t)li * N + n] / (2 * n + 1);
  agape_par_allgather_rows(c->par, c->zlin, c->ns, N);
  return AGAPE_OK;
}

/* ---- the anisotropic convolution ------------------------------------------------------- */

/* For the own rows: phi[li][n] = sum_{s'n'} K+_{ss'}(n,n') F[s'][n'] and, when G is given,
 * zs[li][n] = sum_{s'n'} K-_{ss'}(n,n') G[s'][n']. F, G: ns x N replicated (row-major).
 * Dense products L_d (mloc x ns) x [F | G] (ns x N or 2N), d = 0..2N-1, in blocks of d. */
static agape_err eli_aniso_conv(eli_ctx *c, const double *F, const double *G, double *phi, double *zs)
{
  int N = c->N, ns = c->ns, w = G ? 2 * N : N;
  int64_t mloc = c->mloc;
  size_t ld = (size_t)mloc * ns;
  memset(phi, 0, sizeof(double) * (size_t)mloc * N);
  if (zs) memset(zs, 0, sizeof(double) * (size_t)mloc * N);
  if (mloc == 0) return AGAPE_OK;
  double *FG = malloc(sizeof(double) * (size_t)ns * w);
  if (!FG) return AGAPE_ERR_NOMEM;
  for (int t = 0; t < ns; t++) {
    memcpy(FG + (size_t)t * w, F + (size_t)t * N, sizeof(double) * N);
    if (G) memcpy(FG + (size_t)t * w + N, G + (size_t)t * N, sizeof(double) * N);
  }
  int chunk = (int)(ELI_GEMM_BYTES / (sizeof(double) * (size_t)mloc * w));
  if (chunk < 1) chunk = 1;
  if (chunk > 2 * N) chunk = 2 * N;
  size_t need = (size_t)chunk * mloc * w;
  if (c->work_len < need) {
    free(c->work);
    c->work = malloc(sizeof(double) * need);
    c->work_len = c->work ? need : 0;
    if (!c->work) {
      free(FG);
      return AGAPE_ERR_NOMEM;
    }
  }
  for (int d0 = 0; d0 < 2 * N; d0 += chunk) {
    int nd = 2 * N - d0 < chunk ? 2 * N - d0 : chunk;
    /* (nd mloc) x ns times ns x w */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nd * (int)mloc, w, ns, 1.0, c->L + (size_t)d0 * ld, ns, FG,
                w, 0.0, c->work, w);
#pragma omp parallel for schedule(static)
    for (int64_t li = 0; li < mloc; li++)
      for (int dd = 0; dd < nd; dd++) {
        int d = d0 + dd;
        const double *gr = c->work + ((size_t)dd * mloc + li) * w;
        double *ph = phi + (size_t)li * N, *zr = zs ? zs + (size_t)li * N : NULL;
        for (int np = 0; np < N; np++) {
          /* lambda(|n - n'|): n = n' + d and n = n' - d */
          int n = np + d;
          if (n < N) {
            ph[n] += gr[np];
            if (zr) zr[n] += gr[N + np];
          }
          if (d > 0 && (n = np - d) >= 0) {
            ph[n] += gr[np];
            if (zr) zr[n] += gr[N + np];
          }
          /* lambda(n + n' + 1): n = d - 1 - n' */
          n = d - 1 - np;
          if (n >= 0 && n < N) {
            ph[n] += gr[np];
            if (zr) zr[n] -= gr[N + np];
          }
        }
      }
  }
  free(FG);
  return AGAPE_OK;
}

/* The mu* term of each own row: mu[li] = sum_s' M_ss' sum_n' F[s'][n'] (F: ns x N, replicated),
 * with the per-state sums over n' formed once. mu [out, mloc]. */
static agape_err eli_mu_rows(const eli_ctx *c, const double *F, double *mu)
{
  int N = c->N, ns = c->ns;
  double *fs = malloc(sizeof(double) * (ns ? ns : 1));
  if (!fs) return AGAPE_ERR_NOMEM;
  for (int t = 0; t < ns; t++) {
    double a = 0;
    for (int n = 0; n < N; n++) a += F[(size_t)t * N + n];
    fs[t] = a;
  }
  for (int64_t li = 0; li < c->mloc; li++) {
    double a = 0;
    for (int t = 0; t < ns; t++) a += c->M[li * ns + t] * fs[t];
    mu[li] = a;
  }
  free(fs);
  return AGAPE_OK;
}

/* ---- one map of the nonlinear equations ------------------------------------------------ */

/* x [in] Delta (ns x N, eV, replicated); y [out] new Delta; z [out] Z (ns x N). Collective. */
static agape_err eli_map(eli_ctx *c, const double *x, double *y, double *z)
{
  int N = c->N, ns = c->ns;
  double piT = AGAPE_PI * c->T;
  if (!c->aniso) {
    eli_iso_map(N, c->lam, c->nsum, c->mustar, c->T, x, y, z);
    for (int s = 1; s < ns; s++) {
      memcpy(y + (size_t)s * N, y, sizeof(double) * N);
      memcpy(z + (size_t)s * N, z, sizeof(double) * N);
    }
    return AGAPE_OK;
  }
  size_t tot = (size_t)ns * N;
  double *f = malloc(sizeof(double) * 2 * tot), *g = f + tot;
  double *phi = malloc(sizeof(double) * 2 * ((size_t)c->mloc * N + 1)), *zs = phi + (size_t)c->mloc * N + 1;
  if (!f || !phi) {
    free(f);
    free(phi);
    return AGAPE_ERR_NOMEM;
  }
  for (int s = 0; s < ns; s++)
    for (int n = 0; n < N; n++) {
      double w = piT * (2 * n + 1), D = x[(size_t)s * N + n], r = sqrt(w * w + D * D);
      f[(size_t)s * N + n] = D / r;
      g[(size_t)s * N + n] = D * D / (r * (r + w));
    }
  double *mu = malloc(sizeof(double) * ((size_t)c->mloc + 1));
  agape_err err = mu ? eli_aniso_conv(c, f, g, phi, zs) : AGAPE_ERR_NOMEM;
  if (!err) err = eli_mu_rows(c, f, mu);
  if (!err) {
    for (int64_t li = 0; li < c->mloc; li++) {
      int s = (int)(c->lo + li);
      for (int n = 0; n < N; n++) {
        double zz = 1 + (c->nsum[(size_t)li * N + n] - zs[(size_t)li * N + n]) / (2 * n + 1);
        z[(size_t)s * N + n] = zz;
        y[(size_t)s * N + n] = piT * (phi[(size_t)li * N + n] - 2 * c->mustar * mu[li]) / zz;
      }
    }
    agape_par_allgather_rows(c->par, y, ns, N);
    agape_par_allgather_rows(c->par, z, ns, N);
  }
  free(f);
  free(phi);
  free(mu);
  return err;
}

/* ---- checkpoints ------------------------------------------------------------------------ */

/* The state of c->ck as checkpoint items (at most 24); head [16] and pT [1] are storage for
 * the scalars. */
static int eli_ck_items(const eli_ctx *c, int *head, double *pT, agape_ckpt_item *it)
{
  const eli_ck *k = &c->ck;
  const int64_t ns = c->ns, nd = k->ndone, step = (int64_t)ns * k->N;
  const anderson_mix *a = k->it >= 0 ? k->mix : NULL;
  /* format, states, temperatures, max frequencies, journal entries, eigenvector frequencies,
   * temperatures done, previous frequencies, iteration in progress (-1: none) and its
   * frequencies, retried, Anderson depth, history, head, have, anisotropic */
  int h[16] = {ELI_CKPT_FORMAT, c->ns,           k->ntemps,       k->nwmax, k->nj,      k->jvN,
               k->ndone,        k->pN,           k->it,           k->N,     k->retried, c->p->anderson_depth,
               a ? a->hist : 0, a ? a->head : 0, a ? a->have : 0, c->aniso};
  memcpy(head, h, sizeof h);
  *pT = k->pT;
  int n = 0;
  it[n++] = (agape_ckpt_item){"eli_header", AGAPE_CKPT_I32, 16, 0, head};
  it[n++] = (agape_ckpt_item){"eli_prev_T", AGAPE_CKPT_F64, 1, 0, pT};
  it[n++] = (agape_ckpt_item){"journal_T", AGAPE_CKPT_F64, k->nj, 0, (void *)k->jT};
  it[n++] = (agape_ckpt_item){"journal_rho", AGAPE_CKPT_F64, k->nj, 0, (void *)k->jr};
  if (k->jvN > 0) it[n++] = (agape_ckpt_item){"v", AGAPE_CKPT_F64, ns * k->jvN, 0, k->jv};
  it[n++] = (agape_ckpt_item){"delta", AGAPE_CKPT_F64, nd, ns, k->delta};
  it[n++] = (agape_ckpt_item){"z", AGAPE_CKPT_F64, nd, ns, k->zz};
  it[n++] = (agape_ckpt_item){"delta_matsubara", AGAPE_CKPT_F64, nd, k->nwmax, k->dm};
  it[n++] = (agape_ckpt_item){"z_matsubara", AGAPE_CKPT_F64, nd, k->nwmax, k->zm};
  it[n++] = (agape_ckpt_item){"delta_fs", AGAPE_CKPT_F64, nd, 0, k->dfs};
  it[n++] = (agape_ckpt_item){"converged", AGAPE_CKPT_I32, nd, 0, k->conv};
  it[n++] = (agape_ckpt_item){"iterations", AGAPE_CKPT_I32, nd, 0, k->iters};
  it[n++] = (agape_ckpt_item){"matsubara_count", AGAPE_CKPT_I32, nd, 0, k->nw};
  if (k->pN > 0) it[n++] = (agape_ckpt_item){"prev", AGAPE_CKPT_F64, ns * k->pN, 0, k->prev};
  if (a) {
    it[n++] = (agape_ckpt_item){"step_delta", AGAPE_CKPT_F64, step, 0, k->x};
    it[n++] = (agape_ckpt_item){"step_start", AGAPE_CKPT_F64, step, 0, k->d0};
    if (a->have) {
      it[n++] = (agape_ckpt_item){"mix_xo", AGAPE_CKPT_F64, step, 0, a->xo};
      it[n++] = (agape_ckpt_item){"mix_ro", AGAPE_CKPT_F64, step, 0, a->ro};
    }
    if (a->hist > 0) {
      it[n++] = (agape_ckpt_item){"mix_dX", AGAPE_CKPT_F64, a->depth, step, a->dX};
      it[n++] = (agape_ckpt_item){"mix_dR", AGAPE_CKPT_F64, a->depth, step, a->dR};
    }
  }
  return n;
}

/* Write the checkpoint of the last safe point (rank 0 writes). reason: "timer",
 * "temperature" or a signal name. */
static agape_err eli_ck_write(eli_ctx *c, const char *reason)
{
  if (!c->ck.run) return AGAPE_OK;
  int head[16];
  double pT;
  agape_ckpt_item it[24];
  int n = eli_ck_items(c, head, &pT, it);
  agape_err err = agape_ckpt_write_items(c->par, c->ck.run->path, c->ck.run->fingerprint, reason, n, it);
  c->ck.last = agape_par_wtime();
  return err;
}

/* A safe point: the fault-injection site, then the ranks agree on a stop request (the
 * checkpoint of this point is then written and AGAPE_STOPPED returned); else the timer
 * checkpoint if it is due (rank 0 alone; a failed write is a warning). Collective. */
static agape_err eli_safe_point(eli_ctx *c, const char *site)
{
  agape_stop_fault(site);
  if (agape_stop_agreed(c->par)) {
    agape_err err = agape_par_agree(c->par, eli_ck_write(c, agape_stop_signame()));
    return err ? err : AGAPE_STOPPED;
  }
  if (c->par->rank == 0 && c->ck.run && c->ck.every > 0 && agape_par_wtime() - c->ck.last >= c->ck.every &&
      eli_ck_write(c, "timer"))
    fprintf(stderr, "agape: warning: the timer checkpoint failed; the run goes on\n");
  return AGAPE_OK;
}

/* Read the checkpoint c->ck.run->resume into c->ck (its arrays allocated for this run):
 * the header first, then the items it announces. Collective. */
static agape_err eli_ck_read(eli_ctx *c)
{
  eli_ck *k = &c->ck;
  const char *used = k->run->resume;
  int head[16] = {0};
  double pT = 0;
  agape_ckpt_item h[2] = {{"eli_header", AGAPE_CKPT_I32, 16, 0, head}, {"eli_prev_T", AGAPE_CKPT_F64, 1, 0, &pT}};
  agape_err err = agape_ckpt_read_items(c->par, used, 2, h);
  if (err) return err;
  const char *bad = NULL;
  if (head[0] != ELI_CKPT_FORMAT)
    bad = "has another format version (or is not an Eliashberg checkpoint)";
  else if (head[1] != c->ns || head[2] != k->ntemps || head[3] != k->nwmax || head[11] != c->p->anderson_depth ||
           head[15] != c->aniso)
    bad = "has other dimensions (states, temperatures, frequencies) than this run";
  else if (head[4] < 0 || head[4] > AGAPE_CKPT_MAXJ || head[5] < 0 || head[6] < 0 || head[6] > k->ntemps ||
           head[7] < 0 || head[7] > k->nwmax || head[8] < -1 || head[9] < 0 || head[12] < 0 || head[12] > head[11] ||
           head[13] < 0 || (head[11] > 0 && head[13] >= head[11]))
    bad = "has a bad header";
  if (bad) return c->par->rank == 0 ? agape_error(AGAPE_ERR_FORMAT, "checkpoint %s %s", used, bad) : AGAPE_ERR_FORMAT;
  k->nj = head[4];
  k->jvN = head[5];
  k->ndone = head[6];
  k->pN = head[7];
  k->it = head[8];
  k->N = head[9];
  k->retried = head[10];
  k->pT = pT;
  const size_t step = (size_t)c->ns * k->N;
  if (k->jvN > 0 && !(k->jv = malloc(sizeof(double) * (size_t)c->ns * k->jvN))) return AGAPE_ERR_NOMEM;
  if (k->it >= 0) {
    k->rx = malloc(sizeof(double) * (step ? step : 1));
    k->rd0 = malloc(sizeof(double) * (step ? step : 1));
    if (!k->rx || !k->rd0 || anderson_init(&k->rmix, (int64_t)step, c->p->anderson_depth)) return AGAPE_ERR_NOMEM;
    k->rmix.hist = head[12];
    k->rmix.head = head[13];
    k->rmix.have = head[14];
    k->x = k->rx;
    k->d0 = k->rd0;
    k->mix = &k->rmix;
  }
  int h2[16];
  double p2;
  agape_ckpt_item it[24], rest[24];
  int n = eli_ck_items(c, h2, &p2, it), nr = 0;
  for (int i = 0; i < n; i++)
    if (strcmp(it[i].name, "eli_header") && strcmp(it[i].name, "eli_prev_T")) rest[nr++] = it[i];
  return agape_ckpt_read_items(c->par, used, nr, rest);
}

/* ---- linearised equation and Tc -------------------------------------------------------- */

typedef struct {
  eli_ctx *c;
  agape_err err;
} lin_ctx;

/* y_s(n) = (1/Z0_s(n)) sum_{s'n'} [K+ - 2 mu* M]_{ss'} x_{s'}(n') / (2n'+1) */
static agape_err eli_lin_apply(void *ctx, const double *x, double *y)
{
  lin_ctx *l = ctx;
  eli_ctx *c = l->c;
  agape_err serr = eli_safe_point(c, "eigen"); /* a safe point before every product */
  if (serr) return serr;
  int N = c->N, ns = c->ns;
  double *F = malloc(sizeof(double) * (size_t)ns * N), *phi = malloc(sizeof(double) * ((size_t)c->mloc * N + 1));
  if (!F || !phi) {
    free(F);
    free(phi);
    l->err = AGAPE_ERR_NOMEM;
    memset(y, 0, sizeof(double) * ns * N);
    return AGAPE_OK;
  }
  for (int s = 0; s < ns; s++)
    for (int n = 0; n < N; n++) F[(size_t)s * N + n] = x[(size_t)s * N + n] / (2 * n + 1);
  double *mu = malloc(sizeof(double) * ((size_t)c->mloc + 1));
  agape_err err = mu ? eli_aniso_conv(c, F, NULL, phi, NULL) : AGAPE_ERR_NOMEM;
  if (!err) err = eli_mu_rows(c, F, mu);
  if (err) l->err = err;
  memset(y, 0, sizeof(double) * (size_t)ns * N);
  for (int64_t li = 0; li < c->mloc && !err; li++) {
    int s = (int)(c->lo + li);
    for (int n = 0; n < N; n++)
      y[(size_t)s * N + n] = (phi[(size_t)li * N + n] - 2 * c->mustar * mu[li]) / c->zlin[(size_t)s * N + n];
  }
  agape_par_allgather_rows(c->par, y, ns, N);
  free(F);
  free(phi);
  free(mu);
  return AGAPE_OK;
}

/* Leading eigenvalue of the linearised equation at T (K). *v: in/out eigenvector of the
 * previous call (ns x *vN, malloc'd; NULL at first), carried over to the frequency count of T
 * (kept as it was on an error). Collective. */
static agape_err eli_rho(eli_ctx *c, double TK, double **v, int *vN, double *rho)
{
  double t = agape_par_wtime();
  agape_err err = eli_at_T(c, TK);
  c->t_build += agape_par_wtime() - t;
  if ((err = agape_par_agree(c->par, err))) return err;
  t = agape_par_wtime();
  if (!c->aniso) {
    err = eli_iso_rho(c->N, c->lam, c->nsum, c->mustar, rho, NULL);
    c->t_lin += agape_par_wtime() - t;
    return err;
  }
  /* carry the previous eigenvector over to the new frequency count */
  int N = c->N, ns = c->ns;
  double *nv = malloc(sizeof(double) * (size_t)ns * N);
  if (!nv) return AGAPE_ERR_NOMEM;
  for (int s = 0; s < ns; s++)
    for (int n = 0; n < N; n++)
      nv[(size_t)s * N + n] = *vN > 0 ? (*v)[(size_t)s * *vN + (n < *vN ? n : *vN - 1)] : 1.0 / (2 * n + 1);
  lin_ctx l = {c, AGAPE_OK};
  arnoldi_ws *w = arnoldi_create((int64_t)ns * N, 24);
  err = w ? arnoldi_leading(w, eli_lin_apply, &l, 1e-10, 200, nv, rho) : AGAPE_ERR_NOMEM;
  arnoldi_destroy(&w);
  if (!err) err = l.err;
  if (err) {
    free(nv);
  } else {
    free(*v);
    *v = nv;
    *vN = N;
  }
  c->t_lin += agape_par_wtime() - t;
  return agape_par_agree(c->par, err);
}

typedef struct {
  eli_ctx *c;
  double **v;
  int *vN;
} tc_cb;

/* rho(T) for the Tc search (tcsearch.h): replayed from the checkpoint's journal while it
 * lasts, else computed at a safe point and added to the journal. */
static agape_err eli_tc_rho(void *ctx, double TK, double *rho)
{
  tc_cb *b = ctx;
  eli_ctx *c = b->c;
  eli_ck *k = &c->ck;
  if (k->jpos < k->nj && fabs(k->jT[k->jpos] - TK) > 1e-9 * TK) {
    /* another rank count sums in another order: beyond round-off the journal does not
     * apply from here on, and the rest is recomputed */
    if (c->par->rank == 0)
      printf(
        "agape: checkpoint journal entry %d is at T = %.12g K, this run asks for %.12g K: recomputing from there\n",
        k->jpos, k->jT[k->jpos], TK);
    k->nj = k->jpos;
  }
  if (k->jpos < k->nj) { /* replay */
    *rho = k->jr[k->jpos++];
    if (k->jpos == k->nj && k->jvN > 0) {
      double *nv = malloc(sizeof(double) * (size_t)c->ns * k->jvN);
      if (!nv) return AGAPE_ERR_NOMEM;
      memcpy(nv, k->jv, sizeof(double) * (size_t)c->ns * k->jvN);
      free(*b->v);
      *b->v = nv;
      *b->vN = k->jvN;
    }
    if (c->par->rank == 0) {
      printf("agape: Tc search: T = %10.5f K  rho = %.8f  (from the checkpoint)\n", TK, *rho);
      fflush(stdout);
    }
    return AGAPE_OK;
  }
  agape_err err = eli_safe_point(c, "eigen");
  if (!err) err = eli_rho(c, TK, b->v, b->vN, rho);
  if (err) return err;
  if (c->par->rank == 0) {
    printf("agape: Tc search: T = %10.5f K  rho = %.8f  (%d Matsubara frequencies)\n", TK, *rho, c->N);
    fflush(stdout);
  }
  if (k->nj < AGAPE_CKPT_MAXJ) {
    if (*b->vN > 0) {
      double *nv = realloc(k->jv, sizeof(double) * (size_t)c->ns * *b->vN);
      if (!nv) return AGAPE_ERR_NOMEM;
      k->jv = nv;
      memcpy(k->jv, *b->v, sizeof(double) * (size_t)c->ns * *b->vN);
      k->jvN = *b->vN;
    }
    k->jT[k->nj] = TK;
    k->jr[k->nj] = *rho;
    k->nj++;
    k->jpos = k->nj;
  }
  return AGAPE_OK;
}

/* Tc where rho(T) = 1 by the shared search (tcsearch.h) from the guess (K); the history
 * goes to hT, hr, hres (cap entries, *nh of them used), the outcome to out (said once on rank
 * 0). The range is both pipelines' (tcsearch.h): down to 1 mK, or to where the Matsubara count
 * would pass 2,000 if that is higher; up to 5000 K. No crossing is no error: status none
 * (Tc = 0) or no_bracket (Tc = NaN). The states' energies enter these Fermi-surface equations
 * only through delta(xi) (docs/theory.md 8.4), never through a thermal factor: the thermal
 * window has nothing to resolve (resolution NaN, every flag 1). Collective. */
static agape_err eli_tc(eli_ctx *c, double guess, double **v, int *vN, double *tc, int *nh, double *hT, double *hr,
                        int *hres, int hcap, agape_tc_outcome *out)
{
  tc_cb cb = {c, v, vN};
  const double wscut = c->p->wscut_meV * 1e-3;
  tcs_opts o = {.T_guess = guess > 0.05 ? guess : 1.0,
                .tol = c->p->tc_tol,
                .T_floor = fmax(TCS_T_FLOOR_K, wscut / (AGAPE_PI * (2 * TCS_MATSUBARA_MAX + 1)) / AGAPE_K_B),
                .T_ceil = TCS_T_CEIL_K};
  tcs_result r = {.T = hT, .rho = hr, .cap = hcap};
  agape_err err = tcs_search(&o, eli_tc_rho, &cb, &r);
  *nh = r.nh;
  *tc = r.tc;
  if (err) return err;
  for (int i = 0; i < r.nh; i++) hres[i] = agape_window_resolved(NAN, agape_kT(hT[i]), 0);
  if (r.status == TCS_FOUND && c->par->rank == 0) {
    printf("agape: Tc = %.5f K (linearised Eliashberg equation, %d evaluations)\n", *tc, r.neval);
    fflush(stdout);
  }
  agape_tc_outcome_set(out, c->par->rank, &o, &r, NAN);
  return AGAPE_OK;
}

/* ---- the nonlinear solution at one temperature ---------------------------------------- */

/* delta [in/out] ns x N at c's temperature (eV); z [out]; tc: the linearised Tc (K), NAN if
 * not searched. Anderson mixing, converged when max |F(D) - D| <= tol max |F(D)|; a gap that
 * falls below 1e-10 of its start twice (the second time from a smaller start) is the normal
 * state. resume: continue the iteration read from a checkpoint (c->ck.rx, rd0, rmix, it,
 * retried) instead of starting from delta. Every iteration starts at a safe point whose
 * state (iterate, start, mixing history, count) is c->ck's. Collective (every rank iterates
 * the same replicated vectors). */
static agape_err eli_solve(eli_ctx *c, double tc, double *delta, double *z, int *iters, int *conv, int resume)
{
  size_t tot = (size_t)c->ns * c->N;
  double *y = malloc(sizeof(double) * tot), *r = malloc(sizeof(double) * tot);
  double *d0 = malloc(sizeof(double) * tot);
  anderson_mix a = {0};
  agape_err err =
    (!y || !r || !d0 || anderson_init(&a, (int64_t)tot, c->p->anderson_depth)) ? AGAPE_ERR_NOMEM : AGAPE_OK;
  eli_ck *k = &c->ck;
  int it0 = 1, retried = 0;
  if (!err && resume) {
    memcpy(delta, k->rx, sizeof(double) * tot);
    memcpy(d0, k->rd0, sizeof(double) * tot);
    memcpy(a.xo, k->rmix.xo, sizeof(double) * tot);
    memcpy(a.ro, k->rmix.ro, sizeof(double) * tot);
    memcpy(a.dX, k->rmix.dX, sizeof(double) * tot * a.depth);
    memcpy(a.dR, k->rmix.dR, sizeof(double) * tot * a.depth);
    a.hist = k->rmix.hist;
    a.head = k->rmix.head;
    a.have = k->rmix.have;
    it0 = k->it;
    retried = k->retried;
  } else if (!err)
    memcpy(d0, delta, sizeof(double) * tot);
  double start = 0;
  for (size_t i = 0; i < tot && !err; i++) start = fmax(start, fabs(d0[i]));
  const double TK = c->T / AGAPE_K_B;
  *conv = 0;
  int it;
  for (it = it0; it <= c->p->max_iter && !err; it++) {
    /* safe point: the state is (delta, d0, a, it, retried) */
    k->it = it;
    k->N = c->N;
    k->retried = retried;
    k->x = delta;
    k->d0 = d0;
    k->mix = &a;
    if ((err = eli_safe_point(c, "iteration"))) break;
    if ((err = agape_par_agree(c->par, eli_map(c, delta, y, z)))) break;
    double dm = 0, ym = 0;
    for (size_t i = 0; i < tot; i++) {
      r[i] = y[i] - delta[i];
      dm = fmax(dm, fabs(r[i]));
      ym = fmax(ym, fabs(y[i]));
    }
    if (!isfinite(dm)) {
      err = agape_error(AGAPE_ERR_NUMERIC, "Eliashberg iteration diverged at T = %g K", c->T / AGAPE_K_B);
      break;
    }
    if (ym <= 1e-10 * start && !retried) {
      /* fallen onto the normal state: near Tc the mixing can overshoot from a start far
       * larger than the gap. Start again once from the start scaled as the mean-field gap,
       * sqrt(1 - T/Tc) (0.3 without a Tc search), with a fresh mixing history; a second
       * fall is the normal state */
      retried = 1;
      double f = isfinite(tc) && TK < tc ? sqrt(1 - TK / tc) : 0.3;
      for (size_t i = 0; i < tot; i++) delta[i] = d0[i] * f;
      anderson_reset(&a);
      continue;
    }
    if (ym <= 1e-10 * start) { /* normal state */
      memset(delta, 0, sizeof(double) * tot);
      if ((err = agape_par_agree(c->par, eli_map(c, delta, y, z)))) break;
      *conv = 1;
      break;
    }
    if (dm <= c->p->tol * ym) {
      memcpy(delta, y, sizeof(double) * tot);
      *conv = 1;
      break;
    }
    anderson_step(&a, delta, r, c->p->mixing);
  }
  *iters = it > c->p->max_iter ? c->p->max_iter : it;
  k->it = -1;
  k->mix = NULL;
  anderson_release(&a);
  free(y);
  free(r);
  free(d0);
  return err;
}

/* ---- driver ---------------------------------------------------------------------------- */

/* The Fermi-surface data the equations run on (c->fs, c->ns): the material's own, or with
 * [sampling] states = montecarlo those of a Monte-Carlo sample of its bands (sampling ->
 * couplings -> the sample's Fermi-surface states and their pair couplings, assembly.h), the
 * same sample and couplings SCDFT uses with the same deck keys. Collective. */
static agape_err eli_sample(eli_ctx *c, agape_states *st, agape_coupling *cp, agape_fs_sample *fss)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const agape_material *m = c->m;
  agape_fs_data_of_material(m, &c->own);
  c->fs = &c->own;
  c->ns = m->pairs ? m->pairs->ns : 1;
  if (p->states != STATES_MONTECARLO) return AGAPE_OK;
  if (!m->bands || !m->fs_weights || !m->pair_couplings) {
    if (par->rank == 0)
      agape_error(AGAPE_ERR_DECK,
                  "[sampling] states = montecarlo: material %s has no bands and pair couplings to "
                  "sample",
                  m->name);
    return AGAPE_ERR_DECK;
  }
  const double t0 = agape_par_wtime();
  agape_err err = agape_states_check(p, m, par->rank);
  if (!err) err = agape_states_create(p, m, st);
  if ((err = agape_par_agree(par, err))) return err;
  int64_t nfs = 0;
  for (int64_t i = 0; i < st->n_mc; i++) nfs += st->fsw[i] != 0;
  if (par->rank == 0) {
    printf("agape: %lld of %lld Monte-Carlo draws lie inside the %s data's window +-%.3g eV; %lld of them within "
           "6 x %g meV of E_F (the Fermi-surface states)\n",
           (long long)st->n_mc, (long long)st->n_draws, m->name, m->mc_window, (long long)nfs, p->fs_smearing_meV);
    fflush(stdout);
  }
  if ((err = agape_assembly_couplings(par, st, m, cp))) return err;
  agape_assembly_report(par, st, m, cp);
  c->unreached = cp->unreached;
  if (!c->aniso) {
    agape_assembly_fs_spectrum(cp, &c->sample);
    c->fs = &c->sample;
    return AGAPE_OK;
  }
  /* lambda_ss'(i omega_d) of every own row at the lowest temperature: 2N x ns x ns doubles */
  const double Tlow = p->ntemps > 0 ? p->temps[0] : 1.0;
  const double need = 2.0 * eli_nsiw(p->wscut_meV * 1e-3, agape_kT(Tlow)) * (double)nfs * (double)nfs * 8,
               have = agape_node_memory();
  if (have > 0 && need > 0.5 * have) {
    if (par->rank == 0)
      agape_error(AGAPE_ERR_DECK,
                  "anisotropic Eliashberg on %lld Fermi-surface states needs %.3g GB for lambda_ss'(i omega) at T = %g "
                  "K, more than half of this node's %.3g GB: lower [sampling] npoints or fs_smearing_meV, or raise "
                  "the lowest temperature",
                  (long long)nfs, need / 1e9, Tlow, have / 1e9);
    return AGAPE_ERR_DECK;
  }
  if ((err = agape_assembly_fs_sample(par, st, m, cp, p->fs_smearing_meV * 1e-3, fss))) return err;
  c->fs = &fss->fs;
  c->ns = fss->pairs.ns;
  if (par->rank == 0) {
    printf("agape: pair couplings of the %d Fermi-surface states on %d nodes (%.1f s)\n", c->ns, m->nmodes,
           agape_par_wtime() - t0);
    fflush(stdout);
  }
  return AGAPE_OK;
}

/* Fermi-surface average of x[t*N + n] over the states t (iso without states: x[n]). */
static double fs_avg(const eli_ctx *c, const double *x, int N, int n)
{
  const agape_fs_pairs *e = c->fs->pairs;
  return e ? agape_fs_average(c->ns, e->wk, e->fsd, x + n, N) : x[n];
}

/* The run of the Eliashberg pipeline: its arrays (the finished temperatures are also the
 * checkpoint's), estimates and phase times. */
typedef struct {
  double t0, t_material, t_setup;       /* start, s; phase times, s */
  double tc, tc_ad, tc_mcm, wlogK, w2K; /* K */
  agape_tc_outcome tco;                 /* the Tc search's outcome */
  int nh, vN;                           /* Tc search history; eigenvector length */
  double hT[ELI_HIST_CAP], hr[ELI_HIST_CAP];
  int hres[ELI_HIST_CAP];
  double *v;                          /* the linearised equation's eigenvector */
  int nt, nwmax;                      /* temperatures; most Matsubara frequencies */
  double *delta, *zz, *dm, *zm, *dfs; /* [nt*ns] gaps (meV), Z; [nt*nwmax] FS averages; [nt] */
  int *conv, *iters, *nw;             /* [nt] */
  int *res;                           /* [nt] the thermal window resolved (always: see eli_tc) */
  double *cur, *zc, *prev;            /* [ns*nwmax] the current and previous solutions */
} eli_run;

/* The mu* weights, the estimates, the run's arrays and, on a restart, the checkpoint. */
static agape_err eli_run_setup(eli_ctx *c, eli_run *R)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const double t0 = R->t0;
  c->ck.every = p->checkpoint_interval_s;
  c->ck.last = agape_par_wtime();
  c->ck.it = -1;
  agape_err err = AGAPE_OK;
  if (c->aniso) err = eli_aniso_setup(c);
  if ((err = agape_par_agree(par, err))) return err;
  R->t_setup = agape_par_wtime() - t0 - R->t_material; /* the mu* weights of the own rows */

  const agape_fs_data *fs = c->fs;
  /* mu* from an energy-resolved W ([coulomb] mode = rpa or file): Morel-Anderson on the table,
   * onto the Matsubara cut-off (mustar.h, docs/theory.md §5.8) */
  if (p->coulomb == COUL_RPA || p->coulomb == COUL_FILE) {
    if ((err = agape_coulomb_create(par, p, c->m, fs->dos0, &c->cls))) return err;
    const agape_coulomb *w = &c->cls;
    double *flat = NULL;
    const double n0 = w->dos0_grid > 0 ? w->dos0_grid : fs->dos0;
    if (!w->dos_xi && (flat = malloc(sizeof(double) * w->ne)))
      for (int i = 0; i < w->ne; i++) flat[i] = fs->dos0; /* a W file has no DOS: the sample's N(0) */
    c->mustar = coul_mustar(w->ne, w->xi_axis, w->w_xi, w->dos_xi ? w->dos_xi : flat, n0, p->wscut_meV * 1e-3);
    free(flat);
    if (!isfinite(c->mustar)) {
      if (par->rank == 0)
        agape_error(AGAPE_ERR_NUMERIC,
                    "mu* from W(xi, xi'): the cut-off wscut_meV = %g meV lies outside the table (%.4g .. %.4g eV) or "
                    "the renormalisation failed",
                    p->wscut_meV, w->xi_axis[0], w->xi_axis[w->ne - 1]);
      return AGAPE_ERR_NUMERIC;
    }
    if (par->rank == 0)
      printf("agape: mu* = %.5f at wscut = %g meV from the %s W(xi, xi') (mu = N(0) W = %.5f; Morel-Anderson "
             "renormalisation on the table)\n",
             c->mustar, p->wscut_meV, p->coulomb == COUL_RPA ? "RPA" : "file's", w->mu);
  }
  R->wlogK = fs->omega_log / AGAPE_K_B;
  R->w2K = fs->omega_2 / AGAPE_K_B;
  R->tc_ad = eli_tc_allen_dynes(fs->lambda, R->wlogK, R->w2K, c->mustar);
  R->tc_mcm = agape_tc_mcmillan(fs->lambda, R->wlogK, c->mustar);
  if (par->rank == 0) {
    printf("agape: Migdal-Eliashberg, %s, %d state(s), mu* = %g, wscut = %g meV\n",
           c->aniso ? "anisotropic" : "isotropic", c->ns, c->mustar, p->wscut_meV);
    printf("agape: N(0) = %.6g states/eV/spin/cell   lambda = %.7f   omega_log = %.6f meV   omega_2 = %.6f meV\n",
           fs->dos0, fs->lambda, fs->omega_log * 1e3, fs->omega_2 * 1e3);
    if (fs->pairs && fs == &c->own) printf("agape: lambda of the unsmeared lines = %.7f\n", fs->lambda_lines);
    printf("agape: Allen-Dynes Tc = %.4f K (f1 f2), %.4f K (f1 = f2 = 1) at mu* = %g\n", R->tc_ad, R->tc_mcm,
           c->mustar);
    fflush(stdout);
  }

  R->tc = NAN;
  agape_tc_outcome_not_searched(&R->tco);

  /* the run's arrays (the finished temperatures are also the checkpoint's) */
  R->nt = p->ntemps;
  R->nwmax = 1;
  for (int it = 0; it < R->nt; it++) {
    int N = eli_nsiw(p->wscut_meV * 1e-3, agape_kT(p->temps[it]));
    if (N > R->nwmax) R->nwmax = N;
  }
  R->delta = calloc((size_t)c->ns * (R->nt ? R->nt : 1), sizeof(double));
  R->zz = calloc((size_t)c->ns * (R->nt ? R->nt : 1), sizeof(double));
  R->dm = malloc(sizeof(double) * (size_t)R->nwmax * (R->nt ? R->nt : 1));
  R->zm = malloc(sizeof(double) * (size_t)R->nwmax * (R->nt ? R->nt : 1));
  R->dfs = calloc(R->nt ? R->nt : 1, sizeof(double));
  R->conv = calloc(R->nt ? R->nt : 1, sizeof(int));
  R->iters = calloc(R->nt ? R->nt : 1, sizeof(int));
  R->nw = calloc(R->nt ? R->nt : 1, sizeof(int));
  R->res = calloc(R->nt ? R->nt : 1, sizeof(int));
  R->cur = malloc(sizeof(double) * (size_t)c->ns * R->nwmax);
  R->zc = malloc(sizeof(double) * (size_t)c->ns * R->nwmax);
  R->prev = malloc(sizeof(double) * (size_t)c->ns * R->nwmax);
  if (!R->delta || !R->zz || !R->dm || !R->zm || !R->dfs || !R->conv || !R->iters || !R->nw || !R->res || !R->cur ||
      !R->zc || !R->prev)
    err = AGAPE_ERR_NOMEM;
  if ((err = agape_par_agree(par, err))) return err;
  for (size_t q = 0; q < (size_t)R->nwmax * (R->nt ? R->nt : 1); q++) R->dm[q] = R->zm[q] = NAN;
  c->ck.ntemps = R->nt;
  c->ck.nwmax = R->nwmax;
  c->ck.delta = R->delta;
  c->ck.zz = R->zz;
  c->ck.dm = R->dm;
  c->ck.zm = R->zm;
  c->ck.dfs = R->dfs;
  c->ck.conv = R->conv;
  c->ck.iters = R->iters;
  c->ck.nw = R->nw;
  c->ck.prev = R->prev;
  if (par->rank == 0 && c->ck.run) {
    printf("agape: checkpoints to %s", c->ck.run->path);
    if (c->ck.every > 0) printf(" every %g s,", c->ck.every);
    printf(" after each temperature and on SIGTERM/SIGUSR1\n");
    fflush(stdout);
  }
  if (c->ck.run && c->ck.run->resume) {
    if ((err = eli_ck_read(c))) return err;
    if (par->rank == 0) {
      printf("agape: checkpoint: %d Tc-search evaluations, %d of %d temperatures done", c->ck.nj, c->ck.ndone, R->nt);
      if (c->ck.it >= 0) printf(", T = %g K in progress at iteration %d", p->temps[c->ck.ndone], c->ck.it);
      printf("\n");
      fflush(stdout);
    }
  }

  return AGAPE_OK;
}

/* The gap at each temperature, from the first one a checkpoint has not done. */
static agape_err eli_run_temps(eli_ctx *c, eli_run *R)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const double t0 = R->t0;
  agape_err err = AGAPE_OK;
  /* gaps, from the first temperature a checkpoint has not done */
  const int it0 = c->ck.ndone;
  for (int it = 0; it < R->nt; it++) /* see eli_tc: nothing to resolve */
    R->res[it] = agape_resolution_check(par->rank, "gap", p->temps[it], NAN, 0);
  int pN = c->ck.pN;
  double pT = c->ck.pT;
  for (int it = it0; it < R->nt && !err; it++) {
    double TK = p->temps[it];
    double tb = agape_par_wtime();
    err = agape_par_agree(par, eli_at_T(c, TK));
    c->t_build += agape_par_wtime() - tb;
    if (err) break;
    int N = c->N;
    /* start: the previous temperature's solution on this frequency axis, else a guess */
    double pmax = 0;
    for (size_t q = 0; q < (size_t)c->ns * pN; q++) pmax = fmax(pmax, fabs(R->prev[q]));
    for (int s = 0; s < c->ns; s++)
      for (int n = 0; n < N; n++) {
        double w = AGAPE_PI * c->T * (2 * n + 1);
        if (pmax > 0) {
          double x = (w / (AGAPE_PI * AGAPE_K_B * pT) - 1) / 2; /* index on the previous axis */
          int i0 = (int)floor(x);
          if (i0 < 0) i0 = 0;
          if (i0 > pN - 2) i0 = pN - 2 > 0 ? pN - 2 : 0;
          double f = pN > 1 ? x - i0 : 0;
          if (f < 0) f = 0;
          if (f > 1) f = 1;
          const double *pr = R->prev + (size_t)s * pN;
          R->cur[(size_t)s * N + n] = pN > 1 ? (1 - f) * pr[i0] + f * pr[i0 + 1] : pr[0];
        } else {
          double g0 = 1.764 * AGAPE_K_B * (isfinite(R->tc) && R->tc > 0 ? R->tc : (R->tc_ad > 0 ? R->tc_ad : 1.0));
          R->cur[(size_t)s * N + n] = g0 / (1 + pow(w / (2 * c->fs->omega_log), 2));
        }
      }
    double ts = agape_par_wtime();
    if (isfinite(R->tc) && TK >= R->tc) {
      /* above the linearised Tc the only solution is the normal state: Delta = 0, Z of it */
      memset(R->cur, 0, sizeof(double) * (size_t)c->ns * N);
      err = agape_par_agree(par, eli_map(c, R->cur, R->prev, R->zc));
      R->iters[it] = 0;
      R->conv[it] = 1;
    } else /* the first temperature continues the checkpoint's iteration if it holds one */
      err = eli_solve(c, R->tc, R->cur, R->zc, &R->iters[it], &R->conv[it], it == it0 && c->ck.rx != NULL);
    c->t_solve += agape_par_wtime() - ts;
    if (err) break;
    if (!agape_all_finite((int64_t)c->ns * N, R->cur) || !agape_all_finite((int64_t)c->ns * N, R->zc)) {
      if (par->rank == 0)
        agape_error(AGAPE_ERR_NUMERIC,
                    "Eliashberg at T = %g K: Delta or Z is not a number (NaN or Inf) after %d "
                    "iterations; nothing of it is written",
                    TK, R->iters[it]);
      err = AGAPE_ERR_NUMERIC;
      break;
    }
    /* the sign convention: Delta and -Delta solve the same equations; the one whose
     * Fermi-surface average at the first Matsubara frequency is positive is reported */
    if (fs_avg(c, R->cur, N, 0) < 0)
      for (size_t q = 0; q < (size_t)c->ns * N; q++) R->cur[q] = -R->cur[q];
    R->nw[it] = N;
    for (int s = 0; s < c->ns; s++) {
      R->delta[(size_t)it * c->ns + s] = R->cur[(size_t)s * N] * 1e3;
      R->zz[(size_t)it * c->ns + s] = R->zc[(size_t)s * N];
    }
    for (int n = 0; n < N; n++) {
      R->dm[(size_t)it * R->nwmax + n] = fs_avg(c, R->cur, N, n) * 1e3;
      R->zm[(size_t)it * R->nwmax + n] = fs_avg(c, R->zc, N, n);
    }
    R->dfs[it] = R->dm[(size_t)it * R->nwmax];
    memcpy(R->prev, R->cur, sizeof(double) * (size_t)c->ns * N);
    pN = N;
    pT = TK;
    /* a finished temperature: its checkpoint */
    c->ck.ndone = it + 1;
    c->ck.pN = pN;
    c->ck.pT = pT;
    agape_stop_fault("temperature");
    if (eli_ck_write(c, "temperature") && par->rank == 0)
      fprintf(stderr, "agape: warning: the checkpoint after T = %g K failed; the run goes on\n", TK);
    if (par->rank == 0) {
      double lo = INFINITY, hi = -INFINITY;
      for (int s = 0; s < c->ns; s++) {
        const agape_fs_pairs *e = c->fs->pairs;
        if (e && e->fsd[s] * e->fs_width < 1e-3) continue; /* far from E_F */
        lo = fmin(lo, R->delta[(size_t)it * c->ns + s]);
        hi = fmax(hi, R->delta[(size_t)it * c->ns + s]);
      }
      printf("agape: T = %.4f K  %d Matsubara frequencies  Delta_FS(i omega_0) = %.6f meV", TK, N, R->dfs[it]);
      if (c->aniso) printf(" (%.4f .. %.4f near E_F)", lo, hi);
      printf("  Z_FS = %.6f  %s after %d iterations  (%.1f s)\n", R->zm[(size_t)it * R->nwmax],
             R->conv[it] ? "converged" : "NOT converged", R->iters[it], agape_par_wtime() - t0);
      fflush(stdout);
    }
  }

  return agape_par_agree(par, err);
}

/* results.h5 and the files beside it (rank 0), the phase times. */
static agape_err eli_run_write(eli_ctx *c, eli_run *R)
{
  const agape_par *par = c->par;
  const agape_params *p = c->p;
  const agape_material *m = c->m;
  const double t0 = R->t0;
  agape_err err = AGAPE_OK;
  /* output (rank 0) */
  const double r_wall = agape_par_wtime() - t0;
  agape_results res = {.eliashberg = 1, .material = m->prefix};
  agape_results_set_tc(&res, par->rank, p, &R->tco, R->dfs, R->nh, R->hT, R->hr, R->hres);
  if (par->rank == 0) {
    const agape_fs_data *fs = c->fs;
    const agape_fs_pairs *e = fs->pairs;
    int n = c->ns;
    double *xi = calloc(n, sizeof(double)), *w = malloc(sizeof(double) * n), *fsw = malloc(sizeof(double) * n);
    double *kk = e ? malloc(sizeof(double) * 3 * n) : NULL;
    double *om = malloc(sizeof(double) * (fs->nmodes ? fs->nmodes : 1)),
           *aw = malloc(sizeof(double) * (fs->nmodes ? fs->nmodes : 1));
    char prefix[AGAPE_PATH_MAX] = "";
    if (!xi || !w || !fsw || (e && !kk) || !om || !aw)
      err = AGAPE_ERR_NOMEM;
    else {
      for (int s = 0; s < n; s++) {
        if (e) {
          xi[s] = e->xi[s];
          w[s] = e->wk[s];
          fsw[s] = e->wk[s] * e->fsd[s];
          memcpy(kk + 3 * s, e->k + 3 * s, 24);
        } else {
          w[s] = 1;
          fsw[s] = 1;
        }
      }
      agape_results_set_lines(&res, fs->nmodes, fs->omega, fs->a2f_w, om, aw, fs->dos0, fs->lambda, fs->omega_log);
      if (fs != &c->own) { /* the source's own N(E_F) and lambda beside the sample's */
        res.source_dos0 = m->dos0;
        res.source_lambda = m->lambda;
        res.unreached = c->unreached;
      }
      agape_results_set_run(&res, p, par->size, par->nthreads, agape_par_wtime() - t0);
      /* the stem of the EPW-style files: the EPW prefix, else the material name */
      snprintf(prefix, sizeof prefix, "%s", m->prefix);
      double *phd = m->ncurve > 0 ? malloc(sizeof(double) * m->ncurve) : NULL;
      agape_results_set_curve(&res, m->ncurve, m->curve_dw, m->curve_a2f, m->curve_phdos, phd);
      res.n = n;
      res.xi = xi;
      res.w = w;
      res.k = kk;
      res.band = e ? e->band : NULL;
      res.fs_weight = fsw;
      res.delta = R->delta;
      res.z = R->zz;
      res.converged = R->conv;
      res.iterations = R->iters;
      res.resolved = R->res;
      res.xi_nearest = NAN; /* see eli_tc */
      res.tc_mcmillan_mustar01 = agape_tc_mcmillan(fs->lambda, R->wlogK, 0.1);
      res.nw_max = R->nwmax;
      res.nw = R->nw;
      res.delta_matsubara = R->dm;
      res.z_matsubara = R->zm;
      res.mustar = c->mustar;
      res.coulomb = c->cls.mode ? &c->cls : NULL;
      res.mu = c->cls.mode ? c->cls.mu : 0;
      res.wscut_meV = p->wscut_meV;
      res.epw_prefix = prefix;
      res.omega_2_meV = fs->omega_2 * 1e3;
      res.tc_allen_dynes = R->tc_ad;
      res.tc_mcmillan_mustar = R->tc_mcm;
      err = agape_output_write(&res);
      if (!err && e && c->aniso && m->write_frmsf) /* gap_T*.frmsf: Delta_nk(i omega_0) on the Fermi surface */
        err =
          m->write_frmsf(m, p->output_file, c->ns, e->k, e->band, e->xi, e->fs_width, R->nt, p->temps, R->delta, c->ns);
      free(phd);
    }
    free(xi);
    free(w);
    free(fsw);
    free(kk);
    free(om);
    free(aw);
  }
  err = agape_output_agree(par, err);
  if (!err && par->rank == 0) {
    double total = agape_par_wtime() - t0;
    printf("agape: phase times (s): material %.3f  setup %.3f  kernel_build %.3f  tc_search %.3f  solve %.3f  "
           "output %.3f  total %.3f\n",
           R->t_material, R->t_setup, c->t_build, c->t_lin, c->t_solve, total - r_wall, total);
    printf("agape: done in %.1f s\n", total);
  }
  return err;
}

agape_err agape_eliashberg_run(const agape_par *par, const agape_params *p, const agape_material *m,
                               const agape_ckpt_run *ckr, double t0)
{
  eli_ctx cc = {.par = par, .p = p, .m = m, .aniso = p->anisotropy == ELI_ANISO, .mustar = p->mustar}, *c = &cc;
  eli_run run = {.t0 = t0, .t_material = agape_par_wtime() - t0}, *R = &run; /* t_material: deck and material */
  c->ck.run = ckr && ckr->path && ckr->fingerprint ? ckr : NULL;
  agape_states st = {0};
  agape_coupling cp = {0};
  agape_fs_sample fss = {0};
  agape_err err = eli_sample(c, &st, &cp, &fss);
  R->t_material = agape_par_wtime() - t0; /* deck, material and, on Monte-Carlo states, the sample */
  if (!err) err = eli_run_setup(c, R);
  if (!err && p->tc_search) /* Tc */
    err = eli_tc(c, R->tc_ad > 0 ? R->tc_ad : R->tc_mcm, &R->v, &R->vN, &R->tc, &R->nh, R->hT, R->hr, R->hres,
                 ELI_HIST_CAP, &R->tco);
  if (!err) err = eli_run_temps(c, R);
  if (!err) err = eli_run_write(c, R);
  for (int it = 0; !err && it < R->nt; it++)
    if (!R->conv[it]) err = AGAPE_UNCONVERGED; /* everything is written; the exit status says so */
  if (!err && R->tco.status == TCS_NO_BRACKET) err = AGAPE_UNCONVERGED; /* likewise a Tc not bracketed */
  if (err == AGAPE_STOPPED && par->rank == 0 && c->ck.run) {
    /* every rank agreed to stop at a safe point and its checkpoint is written */
    const agape_ckpt_run *k = c->ck.run;
    printf("agape: %s received: stopped at a safe point and wrote checkpoint %s\n"
           "agape: continue with: agape run %s --restart%s%s\n",
           agape_stop_signame(), k->path, k->deck_path ? k->deck_path : "DECK", k->output ? " --output " : "",
           k->output ? k->output : "");
    fflush(stdout);
  }
  free(R->delta);
  free(R->zz);
  free(R->dm);
  free(R->zm);
  free(R->dfs);
  free(R->conv);
  free(R->iters);
  free(R->nw);
  free(R->res);
  free(R->cur);
  free(R->zc);
  free(R->prev);
  free(R->v);
  free(c->ck.jv);
  free(c->ck.rx);
  free(c->ck.rd0);
  anderson_release(&c->ck.rmix);
  free(c->M);
  free(c->L);
  free(c->nsum);
  free(c->lam);
  free(c->zlin);
  free(c->work);
  agape_coulomb_destroy(&c->cls);
  agape_fs_sample_destroy(&fss);
  agape_coupling_destroy(&cp);
  agape_states_destroy(&st);
  return err;
}
