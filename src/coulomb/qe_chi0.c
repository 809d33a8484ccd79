/* chi0_GG'(q) of a Quantum ESPRESSO ground state (see include/agape/qe_chi0.h). */
#include "agape/qe_chi0.h"
#include <cblas.h>
#include "agape/chi0_pw.h"
#include "agape/pairdens.h"
#include "agape/rpa.h"
#include "agape/coulomb.h"
#include "agape/units.h"
#include "agape/symmetry.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QE_CHI0_KB 4 /* k points per block: the unit of work of a rank */

int agape_qe_smearing_kind(const agape_qe_save *s)
{
  if (strcmp(s->occupations, "smearing") || !(s->degauss > 0)) return -1;
  if (!strcmp(s->smearing, "gaussian")) return SMEAR_GAUSS;
  if (!strcmp(s->smearing, "mp")) return SMEAR_MP;
  if (!strcmp(s->smearing, "mv")) return SMEAR_MV;
  if (!strcmp(s->smearing, "fd")) return SMEAR_FD;
  return -1;
}

/* crystal coordinates of k point ik in units of the grid: n_i = nk_i (a_i . xk)/alat */
static int grid_point(const agape_qe_save *s, int ik, int *n)
{
  for (int i = 0; i < 3; i++) {
    double c = 0;
    for (int d = 0; d < 3; d++) c += s->at[3 * i + d] * s->xk[3 * ik + d];
    c = c / s->alat * s->mp[i];
    double r = nearbyint(c);
    if (fabs(c - r) > 1e-6) return -1;
    n[i] = (int)r;
  }
  return 0;
}

void agape_qe_chi0_destroy(agape_qe_chi0 *c)
{
  free(c->gl);
  free(c->qg);
  free(c->chi);
  memset(c, 0, sizeof *c);
}

/* The checks of a folder the RPA can sum over (a metal with smearing, the full unshifted
 * grid) and its grid map: pt[3*ik] the grid coordinates of k point ik, of[grid index] the k
 * point there (both malloc'd). */
static agape_err qe_grid(const agape_qe_save *s, int **pof, int **ppt)
{
  *pof = *ppt = NULL;
  const int *nk = s->mp;
  const long nkt = (long)nk[0] * nk[1] * nk[2];
  if (agape_qe_smearing_kind(s) < 0)
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s: occupations '%s' smearing '%s': the static RPA here needs a metal computed with "
                       "smearing (gaussian, mp, mv or fd)",
                       s->dir, s->occupations, s->smearing);
  if (nkt < 1 || nk[3] || nk[4] || nk[5] || nkt != s->nks)
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s: %d k points, not the full unshifted %d x %d x %d grid the RPA sums over: run the nscf "
                       "with nosym = .true. and noinv = .true. on an unshifted automatic grid",
                       s->dir, s->nks, nk[0], nk[1], nk[2]);
  /* every grid point once */
  int *of = malloc(sizeof(int) * (size_t)nkt), *pt = malloc(sizeof(int) * 3 * (size_t)nkt);
  if (!of || !pt) {
    free(of);
    free(pt);
    return AGAPE_ERR_NOMEM;
  }
  for (long x = 0; x < nkt; x++) of[x] = -1;
  agape_err err = AGAPE_OK;
  for (int ik = 0; ik < s->nks && !err; ik++) {
    long x;
    if (grid_point(s, ik, pt + 3 * ik) || of[x = agape_mesh_index(pt + 3 * ik, nk)] >= 0)
      err = agape_error(AGAPE_ERR_FORMAT, "%s: k point %d is not a point of the %d x %d x %d grid, or twice there",
                        s->dir, ik + 1, nk[0], nk[1], nk[2]);
    else
      of[x] = ik;
  }
  if (err) {
    free(of);
    free(pt);
    return err;
  }
  *pof = of;
  *ppt = pt;
  return AGAPE_OK;
}

/* k + q on the grid: the k point jk and the fold g0 with k + q = k_jk + g0 */
static int qe_kq(const agape_qe_save *s, const int *of, const int *pt, int ik, const int *iq, int *g0)
{
  int kq[3];
  for (int d = 0; d < 3; d++) kq[d] = pt[3 * ik + d] + iq[d];
  const int jk = of[agape_mesh_index(kq, s->mp)];
  for (int d = 0; d < 3; d++) g0[d] = (kq[d] - pt[3 * jk + d]) / s->mp[d];
  return jk;
}

/* the wavefunctions of k point ik and of jk (0-based); on an error neither is held */
static agape_err qe_wfc_pair(const agape_qe_save *s, int ik, int jk, agape_qe_wfc *wk, agape_qe_wfc *wq)
{
  agape_err err = agape_qe_wfc_read(s, ik + 1, wk);
  if (!err && (err = agape_qe_wfc_read(s, jk + 1, wq))) agape_qe_wfc_destroy(wk);
  return err;
}

/* chi0's partial of k block bk (QE_CHI0_KB k points, summed in k order) into part [ng*ng]:
 * the pair densities of every pair of the nb bands, then those with a weight. rho, scr
 * [nb*nb*ng] and wt [nb*nb]: scratch. */
static agape_err chi0_block(const agape_qe_save *s, const int *of, const int *pt, const int iq[3],
                            const agape_qe_chi0 *c, int nb, int kind, double band_cut, int64_t bk, double complex *rho,
                            double complex *scr, double *wt, double complex *part)
{
  const size_t ng = (size_t)c->ng;
  const double sig = s->degauss;
  agape_err err = AGAPE_OK;
  for (int ik = (int)(bk * QE_CHI0_KB); ik < s->nks && ik < (bk + 1) * QE_CHI0_KB && !err; ik++) {
    int g0[3];
    const int jk = qe_kq(s, of, pt, ik, iq, g0); /* k + q = k' + g0 */
    agape_qe_wfc wk, wq;
    if ((err = qe_wfc_pair(s, ik, jk, &wk, &wq))) break;
    /* every pair (n of k, m of k' continued to k + q), then those with a weight, in (m, n)
     * order */
    if (nb > 0 && pd_rho_block(wk.npw, wk.mill, nb, wk.evc, wq.npw, wq.mill, nb, wq.evc, g0, c->ng, c->gl, rho))
      err = AGAPE_ERR_NOMEM;
    int np = 0;
    for (int m = 0; m < nb && !err; m++) {
      const double em = s->eig[(size_t)jk * s->nbnd + m], fm = chi0pw_occ(kind, (s->ef - em) / sig);
      for (int n = 0; n < nb; n++) {
        const double en = s->eig[(size_t)ik * s->nbnd + n], fn = chi0pw_occ(kind, (s->ef - en) / sig);
        /* states above the cut are left out by energy, not by band index, so that a
         * degenerate multiplet is either in or out at every k (the crystal's symmetry) */
        if (en - s->ef > band_cut || em - s->ef > band_cut) continue;
        const double f = chi0pw_weight(kind, sig, s->ef, en, fn, em, fm);
        if (f == 0) continue;
        const size_t p = (size_t)n + (size_t)m * nb;
        if (p != (size_t)np) memcpy(rho + (size_t)np * ng, rho + p * ng, sizeof(double complex) * ng);
        wt[np++] = f;
      }
    }
    if (!err) chi0pw_accumulate(c->ng, np, wt, rho, scr, part);
    agape_qe_wfc_destroy(&wk);
    agape_qe_wfc_destroy(&wq);
  }
  return err;
}

agape_err agape_qe_chi0_compute(const agape_par *par, const agape_qe_save *s, const int iq[3], double gmax,
                                double band_cut, agape_qe_chi0 *c)
{
  memset(c, 0, sizeof *c);
  const int *nk = s->mp;
  const long nkt = (long)nk[0] * nk[1] * nk[2];
  const int kind = agape_qe_smearing_kind(s);
  int *of, *pt;
  agape_err err = qe_grid(s, &of, &pt);
  if (err) return err;
  /* the G vectors (Miller indices) with |q + G| <= gmax */
  const double tpiba = 2 * AGAPE_PI / s->alat;
  for (int d = 0; d < 3; d++) {
    c->iq[d] = iq[d];
    c->q[d] = 0;
    for (int i = 0; i < 3; i++) c->q[d] += (double)iq[i] / nk[i] * s->bg[3 * i + d] * tpiba;
  }
  int lim[3];
  for (int i = 0; i < 3; i++) { /* |m_i| <= (gmax + |q|) |a_i| / 2 pi */
    double an =
      sqrt(s->at[3 * i] * s->at[3 * i] + s->at[3 * i + 1] * s->at[3 * i + 1] + s->at[3 * i + 2] * s->at[3 * i + 2]);
    double qn = sqrt(c->q[0] * c->q[0] + c->q[1] * c->q[1] + c->q[2] * c->q[2]);
    lim[i] = (int)ceil((gmax + qn) * an / (2 * AGAPE_PI)) + 1;
  }
  const long box = (long)(2 * lim[0] + 1) * (2 * lim[1] + 1) * (2 * lim[2] + 1);
  c->gl = malloc(sizeof(int) * 3 * (size_t)box);
  c->qg = malloc(sizeof(double) * (size_t)box);
  if (!err && (!c->gl || !c->qg)) err = AGAPE_ERR_NOMEM;
  for (int a = -lim[0]; a <= lim[0] && !err; a++)
    for (int b = -lim[1]; b <= lim[1]; b++)
      for (int l = -lim[2]; l <= lim[2]; l++) {
        double v[3], n2 = 0;
        for (int d = 0; d < 3; d++) {
          v[d] = c->q[d] + (a * s->bg[d] + b * s->bg[3 + d] + l * s->bg[6 + d]) * tpiba;
          n2 += v[d] * v[d];
        }
        if (n2 > gmax * gmax) continue;
        c->gl[3 * c->ng] = a, c->gl[3 * c->ng + 1] = b, c->gl[3 * c->ng + 2] = l;
        c->qg[c->ng++] = sqrt(n2);
      }
  if (!err && c->ng < 1) err = agape_error(AGAPE_ERR_DECK, "%s: no G vector with |q + G| <= %g bohr^-1", s->dir, gmax);
  /* the bands below E_F + band_cut somewhere */
  int nb = 0;
  for (int b = 0; b < s->nbnd; b++)
    for (int ik = 0; ik < s->nks; ik++)
      if (s->eig[(size_t)ik * s->nbnd + b] <= s->ef + band_cut) nb = b + 1;
  c->nbands = nb;
  /* the k points in fixed blocks of QE_CHI0_KB, each summed in k order into its own partial
   * matrix by the rank that owns it; the partials of all blocks are then added in block order
   * on every rank: the same bits for any rank count */
  const size_t ng = (size_t)c->ng;
  const int64_t nblk = (s->nks + QE_CHI0_KB - 1) / QE_CHI0_KB;
  int64_t blo = 0, bhi = nblk;
  if (par) agape_par_rows(par, nblk, par->rank, &blo, &bhi);
  double complex *part = err ? NULL : calloc((size_t)nblk * ng * ng, sizeof(double complex));
  if (!err && !part) err = AGAPE_ERR_NOMEM;
  /* the blocks of this rank over its threads: each block's partial is its own, so the result
   * does not depend on the thread count (BLAS runs single-threaded inside the region) */
  if (!err)
#pragma omp parallel
  {
    const size_t npair = (size_t)nb * nb;
    double complex *rho = malloc(sizeof(double complex) * (npair ? npair : 1) * ng);
    double complex *scr = malloc(sizeof(double complex) * (npair ? npair : 1) * ng);
    double *wt = malloc(sizeof(double) * (npair ? npair : 1));
    agape_err terr = (!rho || !scr || !wt) ? AGAPE_ERR_NOMEM : AGAPE_OK;
#pragma omp for schedule(dynamic)
    for (int64_t bk = blo; bk < bhi; bk++)
      if (!terr) terr = chi0_block(s, of, pt, iq, c, nb, kind, band_cut, bk, rho, scr, wt, part + (size_t)bk * ng * ng);
#pragma omp critical(qe_chi0_err)
    if (terr && !err) err = terr;
    free(rho);
    free(scr);
    free(wt);
  }
  if (par) err = agape_par_agree(par, err);
  if (!err && par) agape_par_allgather_rows(par, (double *)part, nblk, (int64_t)(2 * ng * ng));
  c->chi = err ? NULL : calloc(ng * ng, sizeof(double complex));
  if (!err && !c->chi) err = AGAPE_ERR_NOMEM;
  if (!err) {
    const double norm = 2.0 / ((double)nkt * s->omega);
    for (int64_t bk = 0; bk < nblk; bk++)
      for (size_t x = 0; x < ng * ng; x++) c->chi[x] += part[(size_t)bk * ng * ng + x];
    for (size_t x = 0; x < ng * ng; x++) c->chi[x] *= norm;
  }
  free(part);
  free(of);
  free(pt);
  if (err) agape_qe_chi0_destroy(c);
  return err;
}

/* The stars of the grid's q points under the crystal's point group with time reversal
 * (symmetry.h; the operations that map the grid onto itself, a subgroup): mult[q] = the size
 * of q's star when q is the first point of it, else 0. A q and its images give the same
 * Fermi-surface sums and table (the k sums run over the whole grid, which the operation maps
 * onto itself, and rho^H W rho is invariant), so one q per star, weighted, is enough.
 * all: every q stands for itself. *nop: the operations used. */
static agape_err qe_qstars(const agape_qe_save *s, int all, int *mult, int *nop)
{
  const int *nk = s->mp, nq = nk[0] * nk[1] * nk[2];
  int op[AGAPE_MAXOPS][9], n = 1;
  memset(op[0], 0, sizeof op[0]);
  op[0][0] = op[0][4] = op[0][8] = 1;
  if (!all) {
    agape_crystal c;
    if (agape_qe_save_crystal(s, &c)) return AGAPE_ERR_NOMEM;
    int all_ops[AGAPE_MAXOPS][9];
    const int m = agape_point_group(s->at, c.nat, c.frac, c.ityp, AGAPE_MAXOPS, all_ops);
    agape_crystal_destroy(&c);
    if (m == -2) return AGAPE_ERR_NOMEM;
    /* keep those that map the grid onto itself (each unit step of the grid to a grid point) */
    for (int o = 1; o < m; o++) {
      int ok = 1;
      for (int j = 0; j < 3; j++) ok &= agape_mesh_apply(all_ops[o], (const int[3]){j == 0, j == 1, j == 2}, nk) >= 0;
      if (ok) memcpy(op[n++], all_ops[o], sizeof op[0]);
    }
  }
  *nop = n;
  for (int q = 0; q < nq; q++) mult[q] = -1;
  for (int q = 0; q < nq; q++) {
    if (mult[q] >= 0) continue;
    int iq[3];
    agape_mesh_coords(q, nk, iq);
    int size = 0;
    for (int o = 0; o < n; o++) {
      const int64_t x = agape_mesh_apply(op[o], iq, nk);
      if (mult[x] < 0) mult[x] = 0, size++;
    }
    mult[q] = size;
  }
  return AGAPE_OK;
}

/* Gaussian Fermi-surface weight of energy e (eV) */
static double fs_d(double e, double ef, double sigma)
{
  const double x = (e - ef) / sigma;
  return fabs(x) < 6 ? exp(-0.5 * x * x) / (sqrt(2 * AGAPE_PI) * sigma) : 0.0;
}

void agape_qe_mu_destroy(agape_qe_mu *r)
{
  free(r->xi);
  free(r->w);
  free(r->cnt);
  free(r->dos);
  memset(r, 0, sizeof *r);
}

/* one (q, k-block) partial: FS sums of W and v, then the table's sums and counts */
#define MU_NACC 2

/* what one k block of the Fermi-surface sums and the table needs at one q */
typedef struct {
  const agape_qe_save *s;
  const int *of, *pt, *iq, *gl;
  int ng;
  const double complex *W; /* [ng*ng] W(q), eV bohr^3 */
  const double *v;         /* [ng] bare v(q + G), the head averaged over the q cell */
  double sigma, band_cut;  /* eV */
  int ne;                  /* table bins */
  double xlo, de;          /* the table's first edge and bin width, eV from E_F */
} mu_ctx;

/* the partial of k block bk at one q: acc[0] += sum d d W, acc[1] += sum d d v, then the
 * table's sums and counts (acc + MU_NACC, ne*ne each). rho, tw: [nb*nb*ng] scratch. */
static agape_err mu_block(const mu_ctx *x, int64_t bk, double complex *rho, double complex *tw, double *acc)
{
  const agape_qe_save *s = x->s;
  const int nb = s->nbnd, ng = x->ng, ne = x->ne;
  const double sigma = x->sigma, band_cut = x->band_cut, xlo = x->xlo, de = x->de;
  const double complex *W = x->W;
  const double *v = x->v;
  double *wsum = acc + MU_NACC, *wcnt = wsum + (size_t)ne * ne;
  agape_err err = AGAPE_OK;
  for (int ik = (int)(bk * QE_CHI0_KB); ik < s->nks && ik < (bk + 1) * QE_CHI0_KB && !err; ik++) {
    int g0[3];
    const int jk = qe_kq(s, x->of, x->pt, ik, x->iq, g0);
    /* the states this pair of k points needs: Fermi-surface ones, and all below the cut
     * for the table; bands up to the last needed one of each k point */
    int nbk = 0, nbq = 0;
    for (int b = 0; b < nb; b++) {
      const double ek = s->eig[(size_t)ik * nb + b], eq = s->eig[(size_t)jk * nb + b];
      if (fs_d(ek, s->ef, sigma) > 0 || (ne > 0 && ek - s->ef <= band_cut)) nbk = b + 1;
      if (fs_d(eq, s->ef, sigma) > 0 || (ne > 0 && eq - s->ef <= band_cut)) nbq = b + 1;
    }
    if (!nbk || !nbq) continue;
    agape_qe_wfc wk, wq;
    if ((err = qe_wfc_pair(s, ik, jk, &wk, &wq))) break;
    /* the pair densities of all those pairs, and W applied to each: tw = W rho (rho as
     * an ng x (nbk nbq) column-major matrix; W row-major is its transpose there) */
    const int npr = nbk * nbq;
    if (pd_rho_block(wk.npw, wk.mill, nbk, wk.evc, wq.npw, wq.mill, nbq, wq.evc, g0, ng, x->gl, rho))
      err = AGAPE_ERR_NOMEM;
    else {
      const double complex one = 1.0, zero = 0.0;
      cblas_zgemm(CblasColMajor, CblasTrans, CblasNoTrans, ng, npr, ng, &one, W, ng, rho, ng, &zero, tw, ng);
    }
    for (int m = 0; m < nbq && !err; m++) {
      const double em = s->eig[(size_t)jk * nb + m], dm = fs_d(em, s->ef, sigma);
      const int tm = ne > 0 && em - s->ef <= band_cut;
      if (dm == 0 && !tm) continue;
      for (int n = 0; n < nbk; n++) {
        const double en = s->eig[(size_t)ik * nb + n], dn = fs_d(en, s->ef, sigma);
        const int tn = ne > 0 && en - s->ef <= band_cut;
        if (!(dn > 0 && dm > 0) && !(tn && tm)) continue;
        /* Re rho^H W rho / Omega and the same with the bare v */
        const double complex *rp = rho + ((size_t)n + (size_t)m * nbk) * ng,
                             *t = tw + ((size_t)n + (size_t)m * nbk) * ng;
        double w = 0, vb = 0;
        for (int g = 0; g < ng; g++) {
          w += creal(conj(rp[g]) * t[g]);
          vb += v[g] * creal(conj(rp[g]) * rp[g]);
        }
        w /= s->omega;
        vb /= s->omega;
        acc[0] += dn * dm * w;
        acc[1] += dn * dm * vb;
        if (tn && tm) {
          const int i = (int)((en - s->ef - xlo) / de), j = (int)((em - s->ef - xlo) / de);
          wsum[(size_t)i * ne + j] += w;
          wcnt[(size_t)i * ne + j] += 1;
        }
      }
    }
    agape_qe_wfc_destroy(&wk);
    agape_qe_wfc_destroy(&wq);
  }
  return err;
}

agape_err agape_qe_mu_compute(const agape_par *par, const agape_qe_save *s, double gmax, double band_cut, double sigma,
                              int ne, int all_q, agape_qe_mu *r)
{
  memset(r, 0, sizeof *r);
  const double t0 = agape_par_wtime();
  if (!(sigma > 0)) return agape_error(AGAPE_ERR_DECK, "mu of %s: the Fermi-surface width must be > 0", s->dir);
  if (ne < 0 || ne > 1000) return agape_error(AGAPE_ERR_INTERNAL, "mu of %s: %d table bins", s->dir, ne);
  int *of, *pt;
  agape_err err = qe_grid(s, &of, &pt);
  if (err) return err;
  const int *nk = s->mp, nq = nk[0] * nk[1] * nk[2], nb = s->nbnd;
  const int64_t nblk = (s->nks + QE_CHI0_KB - 1) / QE_CHI0_KB;
  int64_t blo = 0, bhi = nblk;
  if (par) agape_par_rows(par, nblk, par->rank, &blo, &bhi);
  /* N(0); the states of the table (below E_F + band_cut) and its bins */
  double n0 = 0, xlo = INFINITY, xhi = -INFINITY;
  for (int ik = 0; ik < s->nks; ik++)
    for (int b = 0; b < nb; b++) {
      const double x = s->eig[(size_t)ik * nb + b] - s->ef;
      n0 += fs_d(x + s->ef, s->ef, sigma) / s->nks;
      if (x <= band_cut) xlo = fmin(xlo, x), xhi = fmax(xhi, x);
    }
  if (!(n0 > 0)) {
    /* no state within 6 sigma of E_F: say how wide the average must be on this grid */
    double gap = INFINITY;
    for (size_t x = 0; x < (size_t)s->nks * nb; x++) gap = fmin(gap, fabs(s->eig[x] - s->ef));
    free(of);
    free(pt);
    return agape_error(AGAPE_ERR_DECK,
                       "mu of %s: no Kohn-Sham state of the %d x %d x %d grid lies within 6 x %.0f meV of E_F (the "
                       "nearest is %.0f meV away): the Fermi-surface average is empty; set [coulomb] "
                       "rpa_smearing_meV above %.0f (or leave it out: the folder's own smearing), or use a denser grid",
                       s->dir, nk[0], nk[1], nk[2], sigma * 1e3, gap * 1e3, gap * 1e3 / 3);
  }
  const double de = ne > 0 ? (xhi - xlo) / ne * (1 + 1e-12) : 1;
  const size_t width = MU_NACC + 2 * (size_t)ne * ne; /* doubles of one partial */
  double *part = calloc((size_t)nblk * width, sizeof(double)), *tot = calloc(width, sizeof(double));
  int *mult = malloc(sizeof(int) * (size_t)nq), nop = 1, nirr = 0, done = 0;
  if (!mult) err = AGAPE_ERR_NOMEM;
  if (!err) err = qe_qstars(s, all_q, mult, &nop);
  for (int q = 0; q < nq && !err; q++) nirr += mult[q] > 0;
  if (!err && par && par->rank == 0)
    printf("agape: RPA on %d of the %d q-points of the grid (one per star of the %d operations that keep it)\n", nirr,
           nq, nop),
      fflush(stdout);
  const size_t np_max = (size_t)nb * nb;
  if (!part || !tot) err = AGAPE_ERR_NOMEM;
  /* the bare head at q = 0: 4 pi e^2/q^2 averaged over the q-cell around Gamma (eV bohr^3) */
  double bA[9];
  for (int x = 0; x < 9; x++) bA[x] = s->bg[x] * 2 * AGAPE_PI / s->alat / AGAPE_BOHR_A;
  const double vhead0 = rpa_w_head_tf(0.0, bA, nk[0], nk[1], nk[2]) / (AGAPE_BOHR_A * AGAPE_BOHR_A * AGAPE_BOHR_A);
  for (int q = 0; q < nq && !err; q++) {
    if (!mult[q]) continue;
    int iq[3];
    agape_mesh_coords(q, nk, iq);
    agape_qe_chi0 c;
    if ((err = agape_qe_chi0_compute(par, s, iq, gmax, band_cut, &c))) break;
    const int ng = c.ng;
    if (ng > r->ng_max) r->ng_max = ng;
    double complex *W = malloc(sizeof(double complex) * ng * ng);
    double *v = malloc(sizeof(double) * ng);
    int info = 0;
    if (W && v) {
      /* inside a parallel region, so that OpenBLAS's LAPACK runs on one thread: its threaded
       * factorisation rounds differently for each thread count */
#pragma omp parallel
#pragma omp single
      info = chi0pw_screen(ng, c.chi, c.qg, W);
    }
    if (!W || !v)
      err = AGAPE_ERR_NOMEM;
    else if (info)
      err = agape_error(AGAPE_ERR_NUMERIC, "mu of %s: v^-1 - chi0 is not positive definite at q = (%d %d %d)", s->dir,
                        iq[0], iq[1], iq[2]);
    for (int g = 0; !err && g < ng; g++)
      v[g] = c.qg[g] > 0 ? 4 * AGAPE_PI * AGAPE_HARTREE_EV / (c.qg[g] * c.qg[g]) : vhead0;
    memset(part, 0, sizeof(double) * (size_t)nblk * width);
    /* the blocks of this rank over its threads, each into its own partial (BLAS runs
     * single-threaded inside the region): the same bits for any thread count */
    const mu_ctx mc = {s, of, pt, iq, c.gl, ng, W, v, sigma, band_cut, ne, xlo, de};
    if (!err)
#pragma omp parallel
    {
      double complex *rho = malloc(sizeof(double complex) * np_max * ng);
      double complex *tw = malloc(sizeof(double complex) * np_max * ng);
      agape_err terr = (!rho || !tw) ? AGAPE_ERR_NOMEM : AGAPE_OK;
#pragma omp for schedule(dynamic)
      for (int64_t bk = blo; bk < bhi; bk++)
        if (!terr) terr = mu_block(&mc, bk, rho, tw, part + (size_t)bk * width);
#pragma omp critical(qe_mu_err)
      if (terr && !err) err = terr;
      free(rho);
      free(tw);
    }
    free(W);
    free(v);
    const int nbands = c.nbands;
    agape_qe_chi0_destroy(&c);
    if (par) err = agape_par_agree(par, err);
    if (!err && par) agape_par_allgather_rows(par, part, nblk, (int64_t)width);
    for (int64_t bk = 0; bk < nblk && !err; bk++)
      for (size_t x = 0; x < width; x++) tot[x] += mult[q] * part[(size_t)bk * width + x];
    done++;
    if (!err && par && par->rank == 0 && done % (nirr / 8 > 0 ? nirr / 8 : 1) == 0)
      printf("agape: RPA W(q) at %d of %d q-points (%d G vectors, %d bands)  (%.1f s)\n", done, nirr, ng, nbands,
             agape_par_wtime() - t0),
        fflush(stdout);
  }
  if (!err) {
    const double norm = (double)s->nks * s->nks * n0 * n0;
    r->dos0 = n0;
    r->nq = nirr;
    r->w_fs = tot[0] / norm;
    r->w_bare_fs = tot[1] / norm;
    r->mu = n0 * r->w_fs;
  }
  if (!err && ne > 0) {
    r->ne = ne;
    r->xi = malloc(sizeof(double) * ne);
    r->dos = calloc(ne, sizeof(double));
    r->w = malloc(sizeof(double) * ne * ne);
    r->cnt = malloc(sizeof(double) * ne * ne);
    if (!r->xi || !r->dos || !r->w || !r->cnt)
      err = AGAPE_ERR_NOMEM;
    else {
      for (int i = 0; i < ne; i++) r->xi[i] = xlo + (i + 0.5) * de;
      for (int ik = 0; ik < s->nks; ik++)
        for (int b = 0; b < nb; b++) {
          const double x = s->eig[(size_t)ik * nb + b] - s->ef;
          if (x <= band_cut) r->dos[(int)((x - xlo) / de)] += 1.0 / ((double)s->nks * de);
        }
      /* W(xi, xi') = W(xi', xi) (time reversal): exact in a sum over every q, and up to the
       * convergence of symmetry-related k points over one q per star, so made exact here */
      double *ws = tot + MU_NACC, *wc = ws + (size_t)ne * ne;
      for (int i = 0; i < ne; i++)
        for (int j = 0; j < i; j++) {
          const double a = ws[(size_t)i * ne + j] + ws[(size_t)j * ne + i],
                       b = wc[(size_t)i * ne + j] + wc[(size_t)j * ne + i];
          ws[(size_t)i * ne + j] = ws[(size_t)j * ne + i] = 0.5 * a;
          wc[(size_t)i * ne + j] = wc[(size_t)j * ne + i] = 0.5 * b;
        }
      memcpy(r->cnt, wc, sizeof(double) * ne * ne);
      if (rpa_w_table_fill(ne, tot + MU_NACC, r->cnt, r->w))
        err = agape_error(AGAPE_ERR_NUMERIC, "mu of %s: no pair of states below E_F + %g eV", s->dir, band_cut);
    }
  }
  if (err) agape_qe_mu_destroy(r);
  free(part);
  free(tot);
  free(mult);
  free(of);
  free(pt);
  return err;
}
