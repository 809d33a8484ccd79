/* Separable phonon operator (see include/agape/sepop.h). */
#include "agape/sepop.h"
#include "agape/units.h"
#include "agape/stop.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NP   KERN_CI_NP
#define CHK  AGAPE_SEP_CHUNK
#define QBLK (8 * NP) /* row nodes per product of kern_sep_mode */

/* States sorted by interpolation panel and cut into chunks (one panel each). */
typedef struct {
  int32_t *off;    /* [n] first node of each state's panel */
  double *L;       /* [n * NP] Lagrange weights */
  int64_t *ord;    /* [n] states by panel, by index within a panel */
  int64_t nch;     /* chunks */
  int64_t *cbeg;   /* [nch + 1] chunk starts in ord */
  int32_t *cpan;   /* [nch] panel of each chunk */
  int64_t *rstart; /* [size + 1] chunk range of each rank */
  int64_t chcap;   /* capacity of cbeg (- 1) and cpan */
} sep_layout;

struct agape_sep {
  const agape_par *par;
  const agape_states *st;
  const agape_material *m;
  int nm;        /* modes */
  int nfm, nfun; /* model functions; all functions (+ 1_mc and 1) */
  int nent;
  int *emode, *er, *erp, *mstart; /* entries sorted by mode; mstart [nm + 1] */
  double *ecoef;                  /* eV^2 */
  double xmax;                    /* max |xi|, eV */
  /* per temperature */
  kern_cgrid *cg;
  int nn;
  double *TK, *TZ;     /* [nm][nn][nn] node tables, 1/eV and 1/eV^2 */
  sep_layout row, col; /* rows (|xi|) and the columns of the last product with u != NULL */
  int64_t chcap;       /* chunk capacity of part */
  double *part;        /* [chcap][nfun][NP] chunk sums */
  double *B, *Q;       /* [nfun][nn] */
  double *Qb;          /* [nm][nfun][nn] per-mode parts of Q */
  double *phi;         /* [n][nfun] the functions of every state (NULL: computed per chunk) */
};

/* separable: a source without pair couplings (every pair on the energy grid) or one whose
 * couplings have a separable form; a fixed kernel has none */
int agape_sep_available(const agape_material *m)
{
  return !m->fixed_kernel && (!m->pair_couplings || m->sep_phi != NULL);
}

static void layout_free(sep_layout *l)
{
  free(l->off);
  free(l->L);
  free(l->ord);
  free(l->cbeg);
  free(l->cpan);
  free(l->rstart);
  memset(l, 0, sizeof *l);
}

void agape_sep_destroy(agape_sep **sp)
{
  if (!sp || !*sp) return;
  agape_sep *s = *sp;
  free(s->emode);
  free(s->er);
  free(s->erp);
  free(s->mstart);
  free(s->ecoef);
  kern_cgrid_destroy(&s->cg);
  free(s->TK);
  free(s->TZ);
  layout_free(&s->row);
  layout_free(&s->col);
  free(s->part);
  free(s->B);
  free(s->Q);
  free(s->Qb);
  free(s->phi);
  free(s);
  *sp = NULL;
}

/* phi [m x nfun] of the states idx[0..m) */
static void fill_phi(const agape_sep *s, int m, const int64_t *idx, double *phi)
{
  const agape_states *st = s->st;
  for (int k = 0; k < m; k++) {
    const int64_t i = idx[k];
    double *ph = phi + (size_t)k * s->nfun;
    const int mc = i < st->n_mc;
    if (s->nfm > 0) {
      if (mc)
        s->m->sep_phi(s->m, st->feat + (size_t)i * st->nfeat, ph);
      else
        memset(ph, 0, sizeof(double) * s->nfm);
    }
    ph[s->nfm] = mc;
    ph[s->nfm + 1] = 1.0;
  }
}

agape_err agape_sep_create(const agape_par *par, const agape_states *st, const agape_material *m,
                           const agape_coupling *cp, agape_sep **out)
{
  *out = NULL;
  if (!agape_sep_available(m)) return agape_error(AGAPE_ERR_INTERNAL, "no separable form of these couplings");
  agape_sep *s = calloc(1, sizeof *s);
  if (!s) return AGAPE_ERR_NOMEM;
  s->par = par;
  s->st = st;
  s->m = m;
  s->nm = m->nmodes;
  const int model = m->sep_phi != NULL && st->n_mc > 0;
  s->nfm = model ? m->sep_nfun : 0;
  s->nfun = s->nfm + 2;
  const int nem = model ? m->sep_nent : 0;
  const int cap = nem + 2 * s->nm;
  int *mo = malloc(sizeof(int) * cap), *r = malloc(sizeof(int) * cap), *rp = malloc(sizeof(int) * cap);
  double *cf = malloc(sizeof(double) * cap);
  s->emode = malloc(sizeof(int) * cap);
  s->er = malloc(sizeof(int) * cap);
  s->erp = malloc(sizeof(int) * cap);
  s->ecoef = malloc(sizeof(double) * cap);
  s->mstart = calloc(s->nm + 1, sizeof(int));
  agape_err err = AGAPE_OK;
  if (!mo || !r || !rp || !cf || !s->emode || !s->er || !s->erp || !s->ecoef || !s->mstart) err = AGAPE_ERR_NOMEM;
  if (!err) {
    if (model) m->sep_entries(m, mo, r, rp, cf);
    /* a_b = 1_mc 1_mc' (|g|^2 - c_b) + c_b, c_b = a2f_w[b] / N(0) */
    int ne = nem;
    for (int b = 0; b < s->nm; b++) {
      const double c = cp->a2f_w[b] / cp->dos0;
      if (model) {
        mo[ne] = b;
        r[ne] = rp[ne] = s->nfm;
        cf[ne] = -c;
        ne++;
      }
      mo[ne] = b;
      r[ne] = rp[ne] = s->nfm + 1;
      cf[ne] = c;
      ne++;
    }
    /* sorted by mode, stable */
    int k = 0;
    for (int b = 0; b < s->nm; b++) {
      s->mstart[b] = k;
      for (int e = 0; e < ne; e++)
        if (mo[e] == b) {
          s->emode[k] = b;
          s->er[k] = r[e];
          s->erp[k] = rp[e];
          s->ecoef[k] = cf[e];
          k++;
        }
    }
    s->mstart[s->nm] = k;
    s->nent = k;
    for (int64_t i = 0; i < st->n; i++) s->xmax = fmax(s->xmax, fabs(st->xi[i]));
  }
  /* the functions of every state, kept when they fit the budget (the same choice on every
   * rank: it depends on n only); otherwise each product computes them per chunk */
  if (!err && (double)st->n * s->nfun * sizeof(double) <= AGAPE_SEP_PHI_BYTES) {
    s->phi = malloc(sizeof(double) * (size_t)st->n * s->nfun);
    if (s->phi) {
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < (st->n + 255) / 256; b++) {
        int64_t idx[256];
        const int mm = (int)(st->n - b * 256 < 256 ? st->n - b * 256 : 256);
        for (int k = 0; k < mm; k++) idx[k] = b * 256 + k;
        fill_phi(s, mm, idx, s->phi + (size_t)b * 256 * s->nfun);
      }
    }
  }
  free(mo);
  free(r);
  free(rp);
  free(cf);
  if ((err = agape_par_agree(par, err))) {
    agape_sep_destroy(&s);
    return err;
  }
  *out = s;
  return AGAPE_OK;
}

int agape_sep_nnodes(const agape_sep *s) { return s->nn; }
int agape_sep_nfun(const agape_sep *s) { return s->nfun; }

/* Panels, order and chunks of the n energies u (|u| is used). Returns the number of energies
 * outside the grid (or NaN), -1 when out of memory. Identical on every rank. */
static int64_t layout_build(const agape_sep *s, const double *u, sep_layout *l)
{
  const int64_t n = s->st->n;
  const int npan = s->nn / NP;
  if (!l->off) {
    l->off = malloc(sizeof(int32_t) * (size_t)n);
    l->L = malloc(sizeof(double) * (size_t)n * NP);
    l->ord = malloc(sizeof(int64_t) * (size_t)n);
    l->rstart = malloc(sizeof(int64_t) * (size_t)(s->par->size + 1));
    if (!l->off || !l->L || !l->ord || !l->rstart) return -1;
  }
  if (l->chcap < n / CHK + npan + 1) { /* at most n/CHK + one partial chunk per panel */
    free(l->cbeg);
    free(l->cpan);
    l->chcap = n / CHK + npan + 1;
    l->cbeg = malloc(sizeof(int64_t) * (size_t)(l->chcap + 1));
    l->cpan = malloc(sizeof(int32_t) * (size_t)l->chcap);
    if (!l->cbeg || !l->cpan) {
      l->chcap = 0;
      return -1;
    }
  }
  int64_t bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (int64_t b = 0; b < (n + 4095) / 4096; b++) {
    const int64_t lo = b * 4096, cnt = n - lo < 4096 ? n - lo : 4096;
    bad += kern_cgrid_locate(s->cg, cnt, u + lo, l->off + lo, l->L + (size_t)lo * NP);
  }
  int64_t *cnt = calloc((size_t)npan + 1, sizeof(int64_t));
  if (!cnt) return -1;
  for (int64_t i = 0; i < n; i++) cnt[l->off[i] / NP + 1]++;
  l->nch = 0;
  for (int p = 0; p < npan; p++) { /* chunks of panel p: its states in index order */
    for (int64_t c = 0; c < cnt[p + 1]; c += CHK) {
      l->cbeg[l->nch] = cnt[p] + c; /* cnt[p] is the prefix sum here */
      l->cpan[l->nch] = p;
      l->nch++;
    }
    cnt[p + 1] += cnt[p];
  }
  l->cbeg[l->nch] = n;
  int64_t *pos = malloc(sizeof(int64_t) * (size_t)npan);
  if (!pos) {
    free(cnt);
    return -1;
  }
  for (int p = 0; p < npan; p++) pos[p] = cnt[p];
  for (int64_t i = 0; i < n; i++) l->ord[pos[l->off[i] / NP]++] = i;
  free(pos);
  free(cnt);
  /* rank r takes the chunks that start in its share [r n/P, (r+1) n/P) of the sorted states */
  const int P = s->par->size;
  int64_t c = 0;
  for (int r = 0; r <= P; r++) {
    while (c < l->nch && l->cbeg[c] * P < (int64_t)r * n) c++;
    l->rstart[r] = r == P ? l->nch : c;
  }
  return bad;
}

agape_err agape_sep_set_T(agape_sep *s, double T, kern_functional fun, kern_spg_gammas gam, double umax_extra)
{
  const agape_material *m = s->m;
  const int nm = s->nm;
  const double beta = agape_beta(T);
  double omin = INFINITY;
  for (int b = 0; b < nm; b++) omin = fmin(omin, m->omega[b]);
  kern_cgrid_destroy(&s->cg);
  free(s->TK);
  free(s->TZ);
  s->TK = s->TZ = NULL;
  agape_err err = AGAPE_OK;
  kern_tab *tab = NULL;
  /* columns may lie beyond max|xi| by the SPG shift; 5 % and 0.1 eV more for safety */
  const double umax = 1.05 * (s->xmax + fmax(umax_extra, 0.0)) + 0.1;
  if (kern_cgrid_create(beta, omin, umax, &s->cg) != 0) err = AGAPE_ERR_NOMEM;
  int nn = 0;
  if (!err) {
    nn = s->nn = kern_cgrid_nnodes(s->cg);
    const double *nodes = kern_cgrid_nodes(s->cg);
    s->TK = malloc(sizeof(double) * (size_t)nm * nn * nn);
    s->TZ = malloc(sizeof(double) * (size_t)nm * nn * nn);
    if (!s->TK || !s->TZ || kern_tab_create_rc(fun, beta, nn, nodes, nn, nodes, nm, m->omega, gam, nn, NULL, &tab) != 0)
      err = AGAPE_ERR_NOMEM;
  }
  if (!err) {
    int fail = 0;
#pragma omp parallel reduction(| : fail)
    {
      double *tmp = malloc(sizeof(double) * (size_t)nm * nn);
      int64_t *jn = malloc(sizeof(int64_t) * (size_t)nn);
      if (!tmp || !jn)
        fail = 1;
      else {
        for (int j = 0; j < nn; j++) jn[j] = j;
#pragma omp for schedule(dynamic, 4)
        for (int i = 0; i < nn; i++) {
          kern_K_row_modes(tab, i, nn, jn, tmp, nn);
          for (int b = 0; b < nm; b++)
            memcpy(s->TK + ((size_t)b * nn + i) * nn, tmp + (size_t)b * nn, sizeof(double) * nn);
          kern_Z_row_modes(tab, i, nn, jn, tmp, nn);
          for (int b = 0; b < nm; b++)
            memcpy(s->TZ + ((size_t)b * nn + i) * nn, tmp + (size_t)b * nn, sizeof(double) * nn);
        }
      }
      free(tmp);
      free(jn);
    }
    if (fail) err = AGAPE_ERR_NOMEM;
  }
  kern_tab_destroy(&tab);
  /* rows: |xi| on this grid; work arrays for this node count */
  if (!err) {
    double *ax = malloc(sizeof(double) * (size_t)s->st->n);
    int64_t bad = ax ? 0 : -1;
    if (ax) {
      for (int64_t i = 0; i < s->st->n; i++) ax[i] = fabs(s->st->xi[i]);
      bad = layout_build(s, ax, &s->row);
      free(ax);
    }
    if (bad < 0)
      err = AGAPE_ERR_NOMEM;
    else if (bad > 0)
      err =
        agape_error(AGAPE_ERR_NUMERIC, "separable kernel: %lld state energies beyond the node grid", (long long)bad);
  }
  if (!err) {
    free(s->B);
    free(s->Q);
    free(s->Qb);
    free(s->part);
    s->chcap = s->st->n / CHK + nn / NP + 1;
    s->B = malloc(sizeof(double) * (size_t)s->nfun * nn);
    s->Q = malloc(sizeof(double) * (size_t)s->nfun * nn);
    s->Qb = malloc(sizeof(double) * (size_t)nm * s->nfun * nn);
    s->part = malloc(sizeof(double) * (size_t)s->chcap * s->nfun * NP);
    if (!s->B || !s->Q || !s->Qb || !s->part) err = AGAPE_ERR_NOMEM;
  }
  return agape_par_agree(s->par, err);
}

/* Chunk c of layout l: its states idx[0..m) (returns m), their Lagrange weights into Lb, and
 * the rows of their functions for the kern_sep_* loops: (*ph, *pidx) = the kept functions
 * and idx, or the functions computed into scratch and NULL. */
static int chunk_load(const agape_sep *s, const sep_layout *l, int64_t c, double *scratch, double *Lb,
                      const int64_t **idx, const double **ph, const int64_t **pidx)
{
  const int m = (int)(l->cbeg[c + 1] - l->cbeg[c]);
  *idx = l->ord + l->cbeg[c];
  for (int k = 0; k < m; k++) memcpy(Lb + (size_t)k * NP, l->L + (size_t)(*idx)[k] * NP, sizeof(double) * NP);
  if (s->phi) {
    *ph = s->phi;
    *pidx = *idx;
  } else {
    fill_phi(s, m, *idx, scratch);
    *ph = scratch;
    *pidx = NULL;
  }
  return m;
}

agape_err agape_sep_apply(agape_sep *s, agape_sep_kernel which, const double *u, const double *v, double *y)
{
  const agape_par *par = s->par;
  const int64_t n = s->st->n;
  const int nn = s->nn, nfun = s->nfun, nm = s->nm;
  agape_err err = AGAPE_OK;
  sep_layout *cl = &s->row;
  if (u) {
    int64_t bad = layout_build(s, u, &s->col);
    if (bad < 0)
      err = AGAPE_ERR_NOMEM;
    else if (bad > 0)
      err = agape_error(AGAPE_ERR_NUMERIC,
                        "separable kernel: %lld column energies beyond the node grid "
                        "(a gap of more than %.3g eV?)",
                        (long long)bad, kern_cgrid_umax(s->cg) - s->xmax);
    cl = &s->col;
  }
  if ((err = agape_par_agree(par, err))) return err; /* every rank has the same u: the same answer */
  const size_t pw = (size_t)nfun * NP;
  int fail = 0;
/* 1. chunk sums of this rank's columns */
#pragma omp parallel reduction(| : fail)
  {
    double *phi = malloc(sizeof(double) * (size_t)CHK * nfun), *Lb = malloc(sizeof(double) * CHK * NP);
    double *vb = malloc(sizeof(double) * CHK);
    if (!phi || !Lb || !vb)
      fail = 1;
    else {
#pragma omp for schedule(dynamic, 1)
      for (int64_t c = cl->rstart[par->rank]; c < cl->rstart[par->rank + 1]; c++) {
        const int64_t *idx, *pidx;
        const double *ph;
        const int mm = chunk_load(s, cl, c, phi, Lb, &idx, &ph, &pidx);
        for (int k = 0; k < mm; k++) vb[k] = v[idx[k]];
        kern_sep_partial(nfun, mm, ph, pidx, Lb, vb, s->part + (size_t)c * pw);
      }
    }
    free(phi);
    free(Lb);
    free(vb);
  }
  if ((err = agape_par_agree(par, fail ? AGAPE_ERR_NOMEM : AGAPE_OK))) return err;
  agape_par_allgather_blocks(par, s->part, cl->rstart, (int64_t)pw);
/* 2. B: the chunk sums of each panel, in chunk order */
#pragma omp parallel for schedule(static)
  for (int r = 0; r < nfun; r++) {
    double *br = s->B + (size_t)r * nn;
    memset(br, 0, sizeof(double) * nn);
    for (int64_t c = 0; c < cl->nch; c++) {
      const double *pc = s->part + (size_t)c * pw + (size_t)r * NP;
      double *bp = br + (size_t)cl->cpan[c] * NP;
      for (int q = 0; q < NP; q++) bp[q] += pc[q];
    }
  }
  /* 3. Q on the row nodes of this rank's rows, one mode per thread, summed in mode order */
  const sep_layout *rl = &s->row;
  const int64_t r0 = rl->rstart[par->rank], r1 = rl->rstart[par->rank + 1];
  memset(y, 0, sizeof(double) * (size_t)n);
  if (r1 > r0) {
    /* the row nodes of this rank's rows, widened to whole blocks of QBLK nodes: each block is
     * one product of the same shape on every rank (the same bits whatever the rank count) */
    const int i0 = (rl->cpan[r0] * NP) / QBLK * QBLK;
    const int iend = ((rl->cpan[r1 - 1] + 1) * NP + QBLK - 1) / QBLK * QBLK;
    const int i1 = iend < nn ? iend : nn;
    const double *T = which == AGAPE_SEP_K ? s->TK : s->TZ;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : fail)
    for (int b = 0; b < nm; b++) {
      double *qb = s->Qb + (size_t)b * nfun * nn;
      for (int r = 0; r < nfun; r++) memset(qb + (size_t)r * nn + i0, 0, sizeof(double) * (size_t)(i1 - i0));
      const int e0 = s->mstart[b], ne = s->mstart[b + 1] - e0;
      if (kern_sep_mode(nn, T + (size_t)b * nn * nn, i0, i1, QBLK, nfun, s->B, ne, s->er + e0, s->erp + e0,
                        s->ecoef + e0, qb) != 0)
        fail = 1;
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < nfun; r++) {
      double *q = s->Q + (size_t)r * nn;
      for (int i = i0; i < i1; i++) {
        double a = 0;
        for (int b = 0; b < nm; b++) a += s->Qb[((size_t)b * nfun + r) * nn + i];
        q[i] = a;
      }
    }
/* 4. this rank's rows */
#pragma omp parallel reduction(| : fail)
    {
      double *phi = malloc(sizeof(double) * (size_t)CHK * nfun), *Lb = malloc(sizeof(double) * CHK * NP);
      double *yb = malloc(sizeof(double) * CHK);
      if (!phi || !Lb || !yb)
        fail = 1;
      else {
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = r0; c < r1; c++) {
          const int64_t *idx, *pidx;
          const double *ph;
          const int mm = chunk_load(s, rl, c, phi, Lb, &idx, &ph, &pidx);
          kern_sep_rows(nfun, mm, ph, pidx, Lb, s->Q + (size_t)rl->cpan[c] * NP, nn, yb);
          for (int k = 0; k < mm; k++) y[idx[k]] = yb[k];
        }
      }
      free(phi);
      free(Lb);
      free(yb);
    }
  }
  if ((err = agape_par_agree(par, fail ? AGAPE_ERR_NOMEM : AGAPE_OK))) return err;
  agape_par_sum(par, y, n); /* each entry is one rank's value plus zeros */
  return AGAPE_OK;
}

agape_err agape_sep_z(agape_sep *s, double *z)
{
  agape_err err = agape_sep_apply(s, AGAPE_SEP_Z, NULL, s->st->w, z);
  if (!err)
    for (int64_t i = 0; i < s->st->n; i++) z[i] = -z[i];
  return err;
}
