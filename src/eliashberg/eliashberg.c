/* Eliashberg stage (see include/agape/eliashberg.h; equations in physics.md §3 and
 * include/agape/eliash.h). */
#include "agape/eliashberg.h"
#include "agape/eliash.h"
#include "agape/epw.h"
#include "agape/solve.h"
#include "agape/arnoldi.h"
#include "agape/anderson.h"
#include "agape/output.h"
#include "agape/frmsf.h"
#include "agape/units.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cblas.h>

#define ELI_GEMM_BYTES (64u << 20) /* scratch of one block of kernel products */

typedef struct {
  const agape_par *par;
  const agape_params *p;
  const agape_material *m;
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
} eli_ctx;

static agape_err eli_alloc(double **p, size_t n)
{
  free(*p);
  *p = malloc(sizeof(double) * (n ? n : 1));
  return *p ? AGAPE_OK : AGAPE_ERR_NOMEM;
}

/* ---- setup ----------------------------------------------------------------------------- */

/* mu* weights of the own rows: EPW's sum over q and k+q bands of wq w0g(m, k+q)/N_F. */
static agape_err eli_aniso_setup(eli_ctx *c)
{
  const agape_epw *e = c->m->epw;
  agape_par_rows(c->par, c->ns, c->par->rank, &c->lo, &c->hi);
  c->mloc = c->hi - c->lo;
  c->M = calloc((size_t)(c->mloc * c->ns) + 1, sizeof(double));
  if (!c->M) return AGAPE_ERR_NOMEM;
  double wq = 1.0 / e->nqtotf;
  for (int64_t li = 0; li < c->mloc; li++) {
    int s = (int)(c->lo + li), k = e->s_k[s];
    for (int iq = 0; iq < e->totq; iq++) {
      int kq = e->ixkqf[(size_t)k * e->totq + iq];
      if (kq < 0) continue;
      for (int b = 0; b < e->nbndfst; b++) {
        int t = e->s_of[(size_t)kq * e->nbndfst + b];
        if (t >= 0) c->M[li * c->ns + t] += wq * e->s_w0g[t] / e->dosef;
      }
    }
  }
  return AGAPE_OK;
}

/* Kernels at temperature T (K): Matsubara count, lambda(d), normal sums, Z of the normal state. */
static agape_err eli_at_T(eli_ctx *c, double TK)
{
  c->T = AGAPE_K_B * TK;
  c->N = eli_nsiw(c->p->wscut_meV * 1e-3, c->T);
  if (c->N < 1) c->N = 1;
  int N = c->N;
  agape_err err;
  if (!c->aniso) {
    if ((err = eli_alloc(&c->lam, 2 * (size_t)N)) || (err = eli_alloc(&c->nsum, N)) || (err = eli_alloc(&c->zlin, N)))
      return err;
    eli_lambda_d(c->m->nmodes, c->m->omega, c->m->a2f_w, c->T, 2 * N, c->lam);
    eli_normal_sum(N, c->lam, c->nsum);
    for (int n = 0; n < N; n++) c->zlin[n] = 1 + c->nsum[n] / (2 * n + 1);
    return AGAPE_OK;
  }
  const agape_epw *e = c->m->epw;
  size_t ld = (size_t)c->mloc * c->ns;
  if ((err = eli_alloc(&c->L, 2 * (size_t)N * ld)) || (err = eli_alloc(&c->nsum, (size_t)c->mloc * N)) ||
      (err = eli_alloc(&c->zlin, (size_t)c->ns * N)))
    return err;
  memset(c->L, 0, sizeof(double) * 2 * (size_t)N * ld);
  double *wd2 = malloc(sizeof(double) * 2 * N), wq = 1.0 / e->nqtotf;
  if (!wd2) return AGAPE_ERR_NOMEM;
  for (int d = 0; d < 2 * N; d++) wd2[d] = pow(2 * AGAPE_PI * c->T * d, 2);
/* lambda_{ss'}(d) = sum over the row's entries with column s' of 2 wq w0g' g2 om/(om^2 + w_d^2) */
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t li = 0; li < c->mloc; li++) {
    int s = (int)(c->lo + li);
    for (int64_t j = e->row_ptr[s]; j < e->row_ptr[s + 1]; j++) {
      int t = e->col[j];
      double om = e->wf[e->ph[j]], cj = 2 * wq * e->s_w0g[t] * e->g2[j] * AGAPE_EPW_G2_EV2 * om;
      double *Lp = c->L + (size_t)li * c->ns + t;
      for (int d = 0; d < 2 * N; d++) Lp[(size_t)d * ld] += cj / (om * om + wd2[d]);
    }
    /* normal sums: sum_s' [lambda(0) + 2 sum_{k=1..n} lambda(k)] */
    double acc = 0;
    for (int n = 0; n < N; n++) {
      double rs = 0;
      const double *Lr = c->L + (size_t)n * ld + (size_t)li * c->ns;
      for (int t = 0; t < c->ns; t++) rs += Lr[t];
      acc += n == 0 ? rs : 2 * rs;
      c->nsum[(size_t)li * N + n] = acc;
    }
  }
  free(wd2);
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
 * previous call (ns x *vN, malloc'd; NULL at first), carried over to the frequency count of T.
 * Collective. */
static agape_err eli_rho(eli_ctx *c, double TK, double **v, int *vN, double *rho)
{
  agape_err err = eli_at_T(c, TK);
  if ((err = agape_par_agree(c->par, err))) return err;
  if (!c->aniso) return eli_iso_rho(c->N, c->lam, c->nsum, c->mustar, rho, NULL);
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
  free(*v);
  *v = nv;
  *vN = N;
  return agape_par_agree(c->par, err);
}

/* Tc where rho(T) = 1: bracket from the guess by factors of 1.5, then bisection in log T
 * to the relative tolerance tc_tol. Records the history. Collective. */
static agape_err eli_tc(eli_ctx *c, double guess, double **v, int *vN, double *tc, int *nh, double *hT, double *hr,
                        int hcap)
{
  double lo = NAN, hi = NAN, T = guess > 0.05 ? guess : 1.0, rho;
  agape_err err;
  *nh = 0;
  for (int it = 0; it < 60; it++) {
    if ((err = eli_rho(c, T, v, vN, &rho))) return err;
    if (*nh < hcap) {
      hT[*nh] = T;
      hr[*nh] = rho;
      (*nh)++;
    }
    if (c->par->rank == 0) {
      printf("agape: Tc search: T = %10.5f K  rho = %.8f  (%d Matsubara frequencies)\n", T, rho, c->N);
      fflush(stdout);
    }
    if (rho >= 1)
      lo = T;
    else
      hi = T;
    if (isfinite(lo) && isfinite(hi)) break;
    T = rho >= 1 ? T * 1.5 : T / 1.5;
    /* below ~0.05 K the frequency count (and the anisotropic kernel's memory) explodes */
    if (T < 0.05 || T > 5000 || eli_nsiw(c->p->wscut_meV * 1e-3, AGAPE_K_B * T) > 20000) break;
  }
  if (!isfinite(lo) || !isfinite(hi)) {
    *tc = isfinite(lo) ? INFINITY : 0;
    if (c->par->rank == 0)
      printf("agape: Tc search: no crossing of rho = 1 between %.3g K and 5000 K (Tc %s)\n", T,
             isfinite(lo) ? "above the range" : "below the range: no superconductivity");
    return AGAPE_OK;
  }
  while (hi - lo > c->p->tc_tol * lo) {
    T = sqrt(lo * hi);
    if ((err = eli_rho(c, T, v, vN, &rho))) return err;
    if (*nh < hcap) {
      hT[*nh] = T;
      hr[*nh] = rho;
      (*nh)++;
    }
    if (rho >= 1)
      lo = T;
    else
      hi = T;
  }
  *tc = sqrt(lo * hi);
  if (c->par->rank == 0) {
    printf("agape: Tc = %.5f K (linearised Eliashberg equation, %d evaluations)\n", *tc, *nh);
    fflush(stdout);
  }
  return AGAPE_OK;
}

/* ---- the nonlinear solution at one temperature ---------------------------------------- */

/* delta [in/out] ns x N at c's temperature (eV); z [out]; tc: the linearised Tc (K), NAN if
 * not searched. Anderson mixing, converged when max |F(D) - D| <= tol max |F(D)|; a gap that
 * falls below 1e-10 of its start twice (the second time from a smaller start) is the normal
 * state. Collective (every rank iterates the same replicated vectors). */
static agape_err eli_solve(eli_ctx *c, double tc, double *delta, double *z, int *iters, int *conv)
{
  size_t tot = (size_t)c->ns * c->N;
  double *y = malloc(sizeof(double) * tot), *r = malloc(sizeof(double) * tot);
  double *d0 = malloc(sizeof(double) * tot);
  agape_anderson a = {0};
  agape_err err = (!y || !r || !d0) ? AGAPE_ERR_NOMEM : agape_anderson_init(&a, (int64_t)tot, c->p->anderson_depth);
  double start = 0;
  for (size_t i = 0; i < tot && d0; i++) start = fmax(start, fabs(d0[i] = delta[i]));
  const double TK = c->T / AGAPE_K_B;
  int retried = 0;
  *conv = 0;
  int it;
  for (it = 1; it <= c->p->max_iter && !err; it++) {
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
      agape_anderson_free(&a);
      if ((err = agape_anderson_init(&a, (int64_t)tot, c->p->anderson_depth))) break;
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
    agape_anderson_step(&a, delta, r, c->p->mixing);
  }
  *iters = it > c->p->max_iter ? c->p->max_iter : it;
  agape_anderson_free(&a);
  free(y);
  free(r);
  free(d0);
  return err;
}

/* ---- driver ---------------------------------------------------------------------------- */

static double fs_avg(const eli_ctx *c, const double *x, int N, int n)
{
  if (!c->m->epw) return x[n];
  const agape_epw *e = c->m->epw;
  double s = 0, w = 0;
  for (int t = 0; t < c->ns; t++) {
    double wt = e->s_wk[t] * e->s_w0g[t];
    s += wt * x[(size_t)t * N + n];
    w += wt;
  }
  return s / w;
}

agape_err agape_eliashberg_run(const agape_par *par, const agape_params *p, const agape_material *m, double t0)
{
  eli_ctx c = {.par = par, .p = p, .m = m, .aniso = p->anisotropy == ELI_ANISO, .mustar = p->mustar};
  c.ns = m->epw ? m->epw->ns : 1;
  agape_err err = AGAPE_OK;
  if (c.aniso) err = eli_aniso_setup(&c);
  if ((err = agape_par_agree(par, err))) return err;

  double wlogK = m->omega_log / AGAPE_K_B, w2K = m->omega_2 / AGAPE_K_B;
  double tc_ad = eli_tc_allen_dynes(m->lambda, wlogK, w2K, p->mustar);
  double tc_mcm = agape_tc_mcmillan(m->lambda, wlogK, p->mustar);
  if (par->rank == 0) {
    printf("agape: Migdal-Eliashberg, %s, %d state(s), mu* = %g, wscut = %g meV\n",
           c.aniso ? "anisotropic" : "isotropic", c.ns, p->mustar, p->wscut_meV);
    printf("agape: N(0) = %.6g states/eV/spin/cell   lambda = %.7f   omega_log = %.6f meV   omega_2 = %.6f meV\n",
           m->dos0, m->lambda, m->omega_log * 1e3, m->omega_2 * 1e3);
    if (m->epw) printf("agape: lambda of the unsmeared lines = %.7f\n", m->lambda_lines);
    printf("agape: Allen-Dynes Tc = %.4f K (f1 f2), %.4f K (f1 = f2 = 1) at mu* = %g\n", tc_ad, tc_mcm, p->mustar);
    fflush(stdout);
  }

  /* Tc */
  double tc = NAN, hT[128], hr[128];
  int nh = 0, vN = 0;
  double *v = NULL;
  if (p->tc_search) {
    err = eli_tc(&c, tc_ad > 0 ? tc_ad : tc_mcm, &v, &vN, &tc, &nh, hT, hr, 128);
    if (err) goto done;
  }

  /* gaps */
  int nt = p->ntemps;
  int nwmax = 1;
  for (int it = 0; it < nt; it++) {
    int N = eli_nsiw(p->wscut_meV * 1e-3, AGAPE_K_B * p->temps[it]);
    if (N > nwmax) nwmax = N;
  }
  double *delta = calloc((size_t)c.ns * (nt ? nt : 1), sizeof(double));
  double *zz = calloc((size_t)c.ns * (nt ? nt : 1), sizeof(double));
  double *dm = malloc(sizeof(double) * (size_t)nwmax * (nt ? nt : 1));
  double *zm = malloc(sizeof(double) * (size_t)nwmax * (nt ? nt : 1));
  double *dfs = calloc(nt ? nt : 1, sizeof(double));
  int *conv = calloc(nt ? nt : 1, sizeof(int)), *iters = calloc(nt ? nt : 1, sizeof(int)),
      *nw = calloc(nt ? nt : 1, sizeof(int));
  double *cur = malloc(sizeof(double) * (size_t)c.ns * nwmax), *zc = malloc(sizeof(double) * (size_t)c.ns * nwmax);
  double *prev = malloc(sizeof(double) * (size_t)c.ns * nwmax);
  if (!delta || !zz || !dm || !zm || !dfs || !conv || !iters || !nw || !cur || !zc || !prev) err = AGAPE_ERR_NOMEM;
  if ((err = agape_par_agree(par, err))) goto done_t;
  for (size_t q = 0; q < (size_t)nwmax * (nt ? nt : 1); q++) dm[q] = zm[q] = NAN;
  int pN = 0;
  double pT = 0;
  for (int it = 0; it < nt && !err; it++) {
    double TK = p->temps[it];
    if ((err = agape_par_agree(par, eli_at_T(&c, TK)))) break;
    int N = c.N;
    /* start: the previous temperature's solution on this frequency axis, else a guess */
    double pmax = 0;
    for (size_t q = 0; q < (size_t)c.ns * pN; q++) pmax = fmax(pmax, fabs(prev[q]));
    for (int s = 0; s < c.ns; s++)
      for (int n = 0; n < N; n++) {
        double w = AGAPE_PI * c.T * (2 * n + 1);
        if (pmax > 0) {
          double x = (w / (AGAPE_PI * AGAPE_K_B * pT) - 1) / 2; /* index on the previous axis */
          int i0 = (int)floor(x);
          if (i0 < 0) i0 = 0;
          if (i0 > pN - 2) i0 = pN - 2 > 0 ? pN - 2 : 0;
          double f = pN > 1 ? x - i0 : 0;
          if (f < 0) f = 0;
          if (f > 1) f = 1;
          const double *pr = prev + (size_t)s * pN;
          cur[(size_t)s * N + n] = pN > 1 ? (1 - f) * pr[i0] + f * pr[i0 + 1] : pr[0];
        } else {
          double g0 = 1.764 * AGAPE_K_B * (isfinite(tc) && tc > 0 ? tc : (tc_ad > 0 ? tc_ad : 1.0));
          cur[(size_t)s * N + n] = g0 / (1 + pow(w / (2 * m->omega_log), 2));
        }
      }
    if (isfinite(tc) && TK >= tc) {
      /* above the linearised Tc the only solution is the normal state: Delta = 0, Z of it */
      memset(cur, 0, sizeof(double) * (size_t)c.ns * N);
      err = agape_par_agree(par, eli_map(&c, cur, prev, zc));
      iters[it] = 0;
      conv[it] = 1;
    } else
      err = eli_solve(&c, tc, cur, zc, &iters[it], &conv[it]);
    if (err) break;
    nw[it] = N;
    for (int s = 0; s < c.ns; s++) {
      delta[(size_t)it * c.ns + s] = cur[(size_t)s * N] * 1e3;
      zz[(size_t)it * c.ns + s] = zc[(size_t)s * N];
    }
    for (int n = 0; n < N; n++) {
      dm[(size_t)it * nwmax + n] = fs_avg(&c, cur, N, n) * 1e3;
      zm[(size_t)it * nwmax + n] = fs_avg(&c, zc, N, n);
    }
    dfs[it] = dm[(size_t)it * nwmax];
    memcpy(prev, cur, sizeof(double) * (size_t)c.ns * N);
    pN = N;
    pT = TK;
    if (par->rank == 0) {
      double lo = INFINITY, hi = -INFINITY;
      for (int s = 0; s < c.ns; s++) {
        if (m->epw && m->epw->s_w0g[s] * m->epw->degaussw < 1e-3) continue; /* far from E_F */
        lo = fmin(lo, delta[(size_t)it * c.ns + s]);
        hi = fmax(hi, delta[(size_t)it * c.ns + s]);
      }
      printf("agape: T = %.4f K  %d Matsubara frequencies  Delta_FS(i omega_0) = %.6f meV", TK, N, dfs[it]);
      if (c.aniso) printf(" (%.4f .. %.4f near E_F)", lo, hi);
      printf("  Z_FS = %.6f  %s after %d iterations  (%.1f s)\n", zm[(size_t)it * nwmax],
             conv[it] ? "converged" : "NOT converged", iters[it], agape_par_wtime() - t0);
      fflush(stdout);
    }
  }
  if ((err = agape_par_agree(par, err))) goto done_t;

  /* output (rank 0) */
  double ratio = NAN, rT = NAN;
  if (nt > 0 && tc > 0 && isfinite(tc) && dfs[0] > 0) {
    ratio = 2 * dfs[0] * 1e-3 / (AGAPE_K_B * tc);
    rT = p->temps[0];
    if (par->rank == 0) printf("agape: gap ratio 2 Delta(%.2f K) / k_B Tc = %.4f\n", rT, ratio);
  }
  if (par->rank == 0) {
    const agape_epw *e = m->epw;
    int n = c.ns;
    double *xi = calloc(n, sizeof(double)), *w = malloc(sizeof(double) * n), *fsw = malloc(sizeof(double) * n);
    double *kk = e ? malloc(sizeof(double) * 3 * n) : NULL;
    double *om = malloc(sizeof(double) * (m->nmodes ? m->nmodes : 1)),
           *aw = malloc(sizeof(double) * (m->nmodes ? m->nmodes : 1));
    char prefix[AGAPE_PATH_MAX] = "";
    if (!xi || !w || !fsw || (e && !kk) || !om || !aw)
      err = AGAPE_ERR_NOMEM;
    else {
      for (int s = 0; s < n; s++) {
        if (e) {
          xi[s] = e->s_xi[s];
          w[s] = e->s_wk[s];
          fsw[s] = e->s_wk[s] * e->s_w0g[s];
          memcpy(kk + 3 * s, e->xkfs + 3 * e->s_k[s], 24);
        } else {
          w[s] = 1;
          fsw[s] = 1;
        }
      }
      for (int b = 0; b < m->nmodes; b++) {
        om[b] = m->omega[b] * 1e3;
        aw[b] = m->a2f_w[b] * 1e3;
      }
      /* EPW prefix: the folder name without .ephmat; else the material name */
      if (e) {
        const char *base = strrchr(p->epw_dir, '/');
        base = base ? base + 1 : p->epw_dir;
        snprintf(prefix, sizeof prefix, "%s", base);
        char *dot = strstr(prefix, ".ephmat");
        if (dot) *dot = '\0';
      } else
        snprintf(prefix, sizeof prefix, "%s", m->name);
      double *curve = NULL, *phd = NULL;
      if (m->ncurve > 0) {
        curve = m->curve_a2f;
        phd = malloc(sizeof(double) * m->ncurve);
        if (phd)
          for (int i = 0; i < m->ncurve; i++) phd[i] = m->curve_phdos[i] * 1e-3; /* 1/eV -> 1/meV */
      }
      agape_results r = {.n = n,
                         .xi = xi,
                         .w = w,
                         .k = kk,
                         .band = e ? e->s_band : NULL,
                         .fs_weight = fsw,
                         .ntemps = nt,
                         .temps = p->temps,
                         .delta = delta,
                         .z = zz,
                         .delta_fs_avg = dfs,
                         .converged = conv,
                         .iterations = iters,
                         .tc = p->tc_search ? tc : NAN,
                         .gap_ratio = ratio,
                         .tc_gap_T = rT,
                         .ntc = nh,
                         .tc_hist_T = hT,
                         .tc_hist_rho = hr,
                         .dos0 = m->dos0,
                         .lambda = m->lambda,
                         .omega_log_meV = m->omega_log * 1e3,
                         .nmodes = m->nmodes,
                         .omega_meV = om,
                         .a2f = aw,
                         .mu = 0,
                         .coulomb = NULL,
                         .tc_mcmillan_mustar01 = agape_tc_mcmillan(m->lambda, wlogK, 0.1),
                         .eliashberg = 1,
                         .nw_max = nwmax,
                         .nw = nw,
                         .delta_matsubara = dm,
                         .z_matsubara = zm,
                         .mustar = p->mustar,
                         .wscut_meV = p->wscut_meV,
                         .epw_prefix = prefix,
                         .ncurve = phd ? m->ncurve : 0,
                         .curve_dw_meV = m->curve_dw * 1e3,
                         .curve_a2f = curve,
                         .curve_phdos = phd,
                         .omega_2_meV = m->omega_2 * 1e3,
                         .tc_allen_dynes = tc_ad,
                         .tc_mcmillan_mustar = tc_mcm,
                         .params = p,
                         .nranks = par->size,
                         .nthreads = par->nthreads,
                         .wall_seconds = agape_par_wtime() - t0};
      err = agape_output_write(&r);
      if (!err && e && c.aniso) /* gap_T*.frmsf: Delta_nk(i omega_0) on the Fermi surface */
        err = agape_frmsf_write_epw(p->output_file, p->epw_dir, e, nt, p->temps, delta, c.ns);
      free(phd);
    }
    free(xi);
    free(w);
    free(fsw);
    free(kk);
    free(om);
    free(aw);
  }
  err = agape_par_agree(par, err);
  if (!err && par->rank == 0) printf("agape: done in %.1f s\n", agape_par_wtime() - t0);
done_t:
  free(delta);
  free(zz);
  free(dm);
  free(zm);
  free(dfs);
  free(conv);
  free(iters);
  free(nw);
  free(cur);
  free(zc);
  free(prev);
done:
  free(v);
  free(c.M);
  free(c.L);
  free(c.nsum);
  free(c.lam);
  free(c.zlin);
  free(c.work);
  return err;
}
