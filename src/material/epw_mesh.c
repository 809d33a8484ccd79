/* EPW data on its full meshes (see include/agape/epw_mesh.h). */
#define _POSIX_C_SOURCE 200809L
#include "agape/epw_mesh.h"
#include "agape/files.h"
#include "agape/deck.h"
#include "agape/symmetry.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- crystal.fmt -------------------------------------------------------------------------- */

/* crystal.fmt as EPW writes it (list-directed): nat / nmodes / nelec (first three lines), then
 * at(3,3) bg(3,3) omega alat tau(3,nat) amass(:) ityp(nat) noncolin [w_centers ...].
 * The number of amass values differs between versions: the species are the nat integers
 * before the logical noncolin. */
static agape_err crystal_parse(FILE *f, agape_crystal *c)
{
  char line[4096];
  const char *p = c->path;
  if (!fgets(line, sizeof line, f) || sscanf(line, "%d", &c->nat) != 1 || c->nat < 1 || c->nat > 10000)
    return agape_error(AGAPE_ERR_FORMAT, "%s: line 1: expected the number of atoms", p);
  c->nelec = -1;
  for (int i = 0; i < 2; i++)
    if (!fgets(line, sizeof line, f)) return agape_error(AGAPE_ERR_FORMAT, "%s: ends before the lattice", p);
  if (sscanf(line, "%lf", &c->nelec) != 1 || !(c->nelec > 0)) c->nelec = -1; /* line 3: nelec [nbndskip] */
  for (int i = 0; i < 9; i++)
    if (fscanf(f, "%lf", &c->at[i]) != 1) return agape_error(AGAPE_ERR_FORMAT, "%s: expected 9 numbers of at", p);
  for (int i = 0; i < 9; i++)
    if (fscanf(f, "%lf", &c->bg[i]) != 1) return agape_error(AGAPE_ERR_FORMAT, "%s: expected 9 numbers of bg", p);
  double omega;
  if (fscanf(f, "%lf %lf", &omega, &c->alat) != 2 || !(c->alat > 0))
    return agape_error(AGAPE_ERR_FORMAT, "%s: expected the cell volume and alat after bg", p);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double d =
        c->at[3 * i] * c->bg[3 * j] + c->at[3 * i + 1] * c->bg[3 * j + 1] + c->at[3 * i + 2] * c->bg[3 * j + 2];
      if (!isfinite(d) || fabs(d - (i == j)) > 1e-6)
        return agape_error(AGAPE_ERR_FORMAT, "%s: at and bg are not reciprocal (a%d . b%d = %g)", p, i + 1, j + 1, d);
    }
  c->frac = malloc(sizeof(double) * 3 * c->nat);
  c->ityp = malloc(sizeof(int) * c->nat);
  double *tau = malloc(sizeof(double) * 3 * c->nat);
  /* the tokens after tau up to the logical noncolin */
  int cap = c->nat + 64, nt = 0;
  char **tok = calloc(cap, sizeof(char *));
  agape_err err = (c->frac && c->ityp && tau && tok) ? AGAPE_OK : AGAPE_ERR_NOMEM;
  for (int i = 0; i < 3 * c->nat && !err; i++)
    if (fscanf(f, "%lf", &tau[i]) != 1) err = agape_error(AGAPE_ERR_FORMAT, "%s: expected %d positions", p, c->nat);
  char w[256];
  int found = 0;
  while (!err && !found && fscanf(f, "%255s", w) == 1) {
    if (!strcmp(w, "F") || !strcmp(w, "T") || !strcasecmp(w, ".false.") || !strcasecmp(w, ".true.")) {
      found = 1;
      if (w[0] == 'T' || !strcasecmp(w, ".true."))
        err = agape_error(AGAPE_ERR_FORMAT, "%s: noncollinear data (noncolin = T) are not supported", p);
      break;
    }
    if (nt == cap) {
      free(tok[0]); /* only the last nat + masses are needed: drop the oldest */
      memmove(tok, tok + 1, sizeof(char *) * (cap - 1));
      nt--;
    }
    tok[nt++] = strdup(w);
  }
  if (!err && (!found || nt < c->nat + 1))
    err = agape_error(AGAPE_ERR_FORMAT, "%s: expected masses, %d species indices and noncolin after the positions", p,
                      c->nat);
  for (int i = 0; i < c->nat && !err; i++) {
    char *end;
    long v = strtol(tok[nt - c->nat + i], &end, 10);
    if (*end || v < 1 || v > nt - c->nat)
      err = agape_error(AGAPE_ERR_FORMAT, "%s: species index %d of atom %d is not one of the %d masses", p, (int)v,
                        i + 1, nt - c->nat);
    else
      c->ityp[i] = (int)v;
  }
  for (int a = 0; a < c->nat && !err; a++) /* crystal coordinates x_j = tau . b_j */
    for (int j = 0; j < 3; j++)
      c->frac[3 * a + j] =
        tau[3 * a] * c->bg[3 * j] + tau[3 * a + 1] * c->bg[3 * j + 1] + tau[3 * a + 2] * c->bg[3 * j + 2];
  for (int i = 0; i < nt; i++) free(tok[i]);
  free(tok);
  free(tau);
  return err;
}

agape_err agape_epw_crystal_read(const char *dir, agape_crystal *c)
{
  memset(c, 0, sizeof *c);
  if (!dir || !dir[0]) return AGAPE_ERR_IO;
  char d[AGAPE_PATH_MAX];
  if (snprintf(d, sizeof d, "%s", dir) >= (int)sizeof d) return AGAPE_ERR_IO;
  size_t len = strlen(d);
  while (len > 1 && d[len - 1] == '/') d[--len] = '\0';
  char parent[AGAPE_PATH_MAX];
  FILE *f = NULL;
  if (agape_path_dirname(d, parent, sizeof parent) == 0) {
    snprintf(c->path, sizeof c->path, "%s/crystal.fmt", parent);
    f = fopen(c->path, "r");
  }
  if (!f) {
    snprintf(c->path, sizeof c->path, "%s/crystal.fmt", d);
    f = fopen(c->path, "r");
  }
  if (!f) return AGAPE_ERR_IO;
  agape_err err = crystal_parse(f, c);
  fclose(f);
  if (err) {
    char keep[sizeof c->path];
    memcpy(keep, c->path, sizeof keep);
    agape_crystal_destroy(c);
    memcpy(c->path, keep, sizeof keep);
  }
  return err;
}

/* ---- symmetry ----------------------------------------------------------------------------- */

static void mat_inverse(const int *m, int *r) /* integer inverse of a unimodular matrix */
{
  int det =
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  r[0] = (m[4] * m[8] - m[5] * m[7]) * det;
  r[1] = (m[2] * m[7] - m[1] * m[8]) * det;
  r[2] = (m[1] * m[5] - m[2] * m[4]) * det;
  r[3] = (m[5] * m[6] - m[3] * m[8]) * det;
  r[4] = (m[0] * m[8] - m[2] * m[6]) * det;
  r[5] = (m[2] * m[3] - m[0] * m[5]) * det;
  r[6] = (m[3] * m[7] - m[4] * m[6]) * det;
  r[7] = (m[1] * m[6] - m[0] * m[7]) * det;
  r[8] = (m[0] * m[4] - m[1] * m[3]) * det; /* det = +-1: dividing is multiplying */
}

/* The point group of the crystal on reciprocal crystal coordinates (symmetry.h), with the
 * inverse of every operation. */
static agape_err mesh_ops(const agape_crystal *c, agape_epw_mesh *g)
{
  double lattice[9];
  for (int i = 0; i < 9; i++) lattice[i] = c->alat * c->at[i]; /* rows a_i, bohr */
  int n = agape_point_group(lattice, c->nat, c->frac, c->ityp, AGAPE_EPW_MAXOPS, g->op);
  if (n == -2) return AGAPE_ERR_NOMEM;
  if (n == -1) return agape_error(AGAPE_ERR_FORMAT, "%s: more than %d point operations", c->path, AGAPE_EPW_MAXOPS);
  if (n == 0) return agape_error(AGAPE_ERR_FORMAT, "%s: no symmetry operation found for this crystal", c->path);
  g->nop = n;
  for (int o = 0; o < n; o++) mat_inverse(g->op[o], g->inv[o]);
  return AGAPE_OK;
}

/* every full-mesh point with a representative: its operation; both meshes mapped onto
 * themselves by every operation */
static agape_err mesh_unfold(const agape_epw *e, const agape_crystal *c, agape_epw_mesh *g)
{
  int yr[3], y[3];
  for (int o = 0; o < g->nop; o++)
    for (int64_t d = 0; d < g->nqt; d++) {
      agape_mesh_coords(d, g->nq, y);
      int64_t im = agape_mesh_apply(g->inv[o], y, g->nq);
      if (im < 0 || agape_mesh_apply(g->op[o], y, g->nk) < 0)
        return agape_error(AGAPE_ERR_FORMAT,
                           "%s: symmetry operation %d of the crystal does not map EPW's %d x %d x %d q mesh (or its "
                           "%d x %d x %d k mesh) onto itself: the crystal does not belong to these data",
                           c->path, o + 1, g->nq[0], g->nq[1], g->nq[2], g->nk[0], g->nk[1], g->nk[2]);
      g->q_img[(size_t)o * g->nqt + d] = (int32_t)im;
    }
  for (int64_t k = 0; k < g->nkt; k++) {
    int r = e->ixkff[k] - 1;
    g->k_rep[k] = r;
    g->k_op[k] = -1;
    if (r < 0) continue;
    for (int d = 0; d < 3; d++) {
      double v = e->xkfs[3 * r + d] * g->nk[d];
      yr[d] = (int)nearbyint(v);
    }
    for (int o = 0; o < g->nop && g->k_op[k] < 0; o++)
      if (agape_mesh_apply(g->op[o], yr, g->nk) == k) g->k_op[k] = o;
    if (g->k_op[k] < 0) {
      agape_mesh_coords(k, g->nk, y);
      return agape_error(AGAPE_ERR_FORMAT,
                         "%s: none of the crystal's %d operations (with time reversal) maps EPW's irreducible point "
                         "%d (%.6f %.6f %.6f) to the full-mesh point (%d/%d %d/%d %d/%d) that ikmap assigns to it: "
                         "the crystal does not belong to these data",
                         c->path, g->nop, r + 1, e->xkfs[3 * r], e->xkfs[3 * r + 1], e->xkfs[3 * r + 2], y[0], g->nk[0],
                         y[1], g->nk[1], y[2], g->nk[2]);
    }
  }
  return AGAPE_OK;
}

/* ---- the mesh data ------------------------------------------------------------------------ */

void agape_epw_mesh_destroy(agape_epw_mesh *g)
{
  free(g->k_rep);
  free(g->k_op);
  free(g->xi);
  free(g->q_sel);
  free(g->q_img);
  free(g->q_om);
  free(g->qptr);
  memset(g, 0, sizeof *g);
}

agape_err agape_epw_full_bands(const agape_epw *e, double *xi)
{
  const int nb = e->nbndfst;
  const int64_t full = (int64_t)e->nkf[0] * e->nkf[1] * e->nkf[2];
  const double out = AGAPE_EPW_OUT_MARGIN * e->fsthick;

  /* Fermi-shell points: every band's energy from egnv */
  for (int64_t q = 0; q < full; q++) {
    int ik = e->ixkff[q] - 1;
    if (ik < 0) continue;
    for (int b = 0; b < nb; b++) xi[(size_t)b * full + q] = e->ekfs[(size_t)ik * nb + b] - e->ef;
  }
  if (e->nkfs == 0) {
    for (size_t i = 0; i < (size_t)full * nb; i++) xi[i] = 2 * out;
    return AGAPE_OK;
  }
  /* points outside the shell: start from the nearest shell point (breadth-first from all
   * shell points at once over the periodic grid, 6 neighbours, in index order), then smooth
   * towards the discrete harmonic continuation of the known energies (Gauss-Seidel sweeps in
   * index order over the outside points, the shell values fixed) */
  int64_t *src = malloc(sizeof(int64_t) * (size_t)full), *queue = malloc(sizeof(int64_t) * (size_t)full);
  int64_t *nbr = malloc(sizeof(int64_t) * 6 * (size_t)full);
  if (!src || !queue || !nbr) {
    free(src);
    free(queue);
    free(nbr);
    return agape_error(AGAPE_ERR_NOMEM, "EPW band energies on the full mesh: %lld points", (long long)full);
  }
  for (int64_t q = 0; q < full; q++) { /* +1, -1 along each axis in turn */
    int y[3];
    agape_mesh_coords(q, e->nkf, y);
    for (int t = 0; t < 6; t++) {
      int x[3] = {y[0], y[1], y[2]};
      x[t / 2] += t % 2 ? -1 : 1;
      nbr[6 * q + t] = agape_mesh_index(x, e->nkf);
    }
  }
  int64_t head = 0, tail = 0, nout = 0;
  for (int64_t q = 0; q < full; q++) {
    src[q] = e->ixkff[q] > 0 ? q : -1;
    if (src[q] >= 0) queue[tail++] = q;
  }
  while (head < tail) {
    int64_t q = queue[head++];
    for (int t = 0; t < 6; t++) {
      int64_t r = nbr[6 * q + t];
      if (src[r] < 0) {
        src[r] = src[q];
        queue[tail++] = r;
      }
    }
  }
  for (int64_t q = 0; q < full; q++) { /* the outside points, in index order */
    if (e->ixkff[q] > 0) continue;
    queue[nout++] = q;
    for (int b = 0; b < nb; b++) xi[(size_t)b * full + q] = xi[(size_t)b * full + src[q]];
  }
  for (int b = 0; b < nb; b++) {
    double *x = xi + (size_t)b * full;
    for (int sweep = 0; sweep < AGAPE_EPW_SWEEPS; sweep++) {
      double change = 0;
      for (int64_t o = 0; o < nout; o++) {
        int64_t q = queue[o], *r = nbr + 6 * q;
        double v = (x[r[0]] + x[r[1]] + x[r[2]] + x[r[3]] + x[r[4]] + x[r[5]]) / 6;
        change = fmax(change, fabs(v - x[q]));
        x[q] = v;
      }
      if (change < 1e-6 * e->fsthick) break;
    }
    for (int64_t o = 0; o < nout; o++) { /* safely outside the window, keeping the sign */
      int64_t q = queue[o];
      if (fabs(x[q]) < out) x[q] = x[q] < 0 ? -out : out;
    }
  }
  free(src);
  free(queue);
  free(nbr);
  return AGAPE_OK;
}

/* band energies on the full mesh, point-major (agape_epw_full_bands is band-major) */
static agape_err mesh_energies(const agape_epw *e, agape_epw_mesh *g)
{
  double *x = malloc(sizeof(double) * (size_t)g->nkt * g->nb);
  if (!x) return agape_error(AGAPE_ERR_NOMEM, "EPW band energies on the full mesh: %lld points", (long long)g->nkt);
  agape_err err = agape_epw_full_bands(e, x);
  for (int64_t k = 0; k < g->nkt && !err; k++)
    for (int b = 0; b < g->nb; b++) g->xi[(size_t)k * g->nb + b] = x[(size_t)b * g->nkt + k];
  free(x);
  return err;
}

agape_err agape_epw_mesh_create(const agape_epw *e, const agape_crystal *c, agape_epw_mesh *g)
{
  memset(g, 0, sizeof *g);
  for (int d = 0; d < 3; d++) g->nk[d] = e->nkf[d], g->nq[d] = e->nqf[d];
  g->nkt = (int64_t)g->nk[0] * g->nk[1] * g->nk[2];
  g->nqt = (int64_t)g->nq[0] * g->nq[1] * g->nq[2];
  g->nb = e->nbndfst;
  g->nm = e->nmodes;
  g->window = e->fsthick;
  for (int d = 0; d < 3; d++)
    if (g->nq[d] < 1 || g->nk[d] % g->nq[d])
      return agape_error(AGAPE_ERR_FORMAT, "EPW data: the q mesh %d x %d x %d does not divide the k mesh %d x %d x %d",
                         g->nq[0], g->nq[1], g->nq[2], g->nk[0], g->nk[1], g->nk[2]);
  agape_err err = mesh_ops(c, g);
  if (err) return err;
  g->k_rep = malloc(sizeof(int32_t) * g->nkt);
  g->k_op = malloc(sizeof(int32_t) * g->nkt);
  g->xi = malloc(sizeof(double) * g->nkt * g->nb);
  g->q_sel = malloc(sizeof(int32_t) * g->nqt);
  g->q_img = malloc(sizeof(int32_t) * g->nqt * g->nop);
  g->q_om = calloc((size_t)g->nqt * g->nm, sizeof(double));
  g->qptr = malloc(sizeof(int64_t) * ((size_t)e->ns * (e->totq + 1) + 1));
  if (!g->k_rep || !g->k_op || !g->xi || !g->q_sel || !g->q_img || !g->q_om || !g->qptr) {
    agape_epw_mesh_destroy(g);
    return AGAPE_ERR_NOMEM;
  }
  for (int64_t d = 0; d < g->nqt; d++) g->q_sel[d] = -1;
  for (int iq = 0; iq < e->totq; iq++) {
    g->q_sel[e->iqsel[iq]] = iq;
    for (int nu = 0; nu < g->nm; nu++) g->q_om[(size_t)e->iqsel[iq] * g->nm + nu] = e->wf[(size_t)iq * g->nm + nu];
  }
  /* each row's couplings grouped by selected q (the reader stores them q by q) */
  const int tq = e->totq;
  for (int s = 0; s < e->ns; s++) {
    int64_t *qp = g->qptr + (size_t)s * (tq + 1), x = e->row_ptr[s];
    for (int iq = 0; iq < tq; iq++) {
      qp[iq] = x;
      while (x < e->row_ptr[s + 1] && e->ph[x] / g->nm == iq) x++;
    }
    qp[tq] = x;
    if (x != e->row_ptr[s + 1]) {
      agape_epw_mesh_destroy(g);
      return agape_error(AGAPE_ERR_INTERNAL, "EPW couplings of state %d are not in q order", s);
    }
  }
  if ((err = mesh_unfold(e, c, g)) || (err = mesh_energies(e, g))) agape_epw_mesh_destroy(g);
  return err;
}

/* ---- interpolation ------------------------------------------------------------------------ */

/* the 8 corners of the mesh cell around x (crystal coordinates) and their trilinear weights */
static void cell_corners(const int *n, const double *x, int64_t *idx, double *w)
{
  int ia[3][2]; /* lower and upper index on each axis (periodic) */
  double t[3];
  for (int d = 0; d < 3; d++) {
    double u = x[d] * n[d];
    double f = floor(u);
    t[d] = u - f;
    int64_t v = (int64_t)f % n[d];
    ia[d][0] = (int)(v < 0 ? v + n[d] : v);
    ia[d][1] = ia[d][0] + 1 == n[d] ? 0 : ia[d][0] + 1;
  }
  const int64_t s1 = n[2], s0 = (int64_t)n[1] * n[2];
  for (int c = 0; c < 8; c++) {
    const int b0 = c >> 2 & 1, b1 = c >> 1 & 1, b2 = c & 1;
    idx[c] = ia[0][b0] * s0 + ia[1][b1] * s1 + ia[2][b2];
    w[c] = (b0 ? t[0] : 1 - t[0]) * (b1 ? t[1] : 1 - t[1]) * (b2 ? t[2] : 1 - t[2]);
  }
}

void agape_epw_mesh_bands(const agape_epw_mesh *g, const double k[3], double *xi)
{
  int64_t idx[8];
  double w[8];
  cell_corners(g->nk, k, idx, w);
  for (int b = 0; b < g->nb; b++) {
    double v = 0;
    for (int c = 0; c < 8; c++) v += w[c] * g->xi[(size_t)idx[c] * g->nb + b];
    xi[b] = v;
  }
}

size_t agape_epw_mesh_row_size(const agape_epw_mesh *g) { return (size_t)g->nqt * g->nb * (g->nm + 1); }

void agape_epw_mesh_row(const agape_epw_mesh *g, const agape_epw *e, const double k[3], int band, double *row)
{
  const int nb = g->nb, nm = g->nm, tq = e->totq, ld = nm + 1;
  memset(row, 0, sizeof(double) * agape_epw_mesh_row_size(g));
  int64_t idx[8];
  double w[8];
  cell_corners(g->nk, k, idx, w);
  for (int c = 0; c < 8; c++) {
    const int r = g->k_rep[idx[c]];
    if (r < 0 || !(w[c] > 0)) continue;
    const int sr = e->s_of[(size_t)r * nb + band]; /* the row band at this corner, in the window? */
    if (sr < 0) continue;
    const int32_t *img = g->q_img + (size_t)g->k_op[idx[c]] * g->nqt;
    const int64_t *qp = g->qptr + (size_t)sr * (tq + 1);
    for (int64_t d = 0; d < g->nqt; d++) {
      const int iq = g->q_sel[img[d]]; /* g^2(M k_r, d) = g^2(k_r, M^-1 d) */
      if (iq < 0) continue;
      const int kq = e->ixkqf[(size_t)r * tq + iq];
      if (kq < 0) continue;
      double *rd = row + (size_t)d * nb * ld;
      for (int m = 0; m < nb; m++)
        if (e->s_of[(size_t)kq * nb + m] >= 0) rd[(size_t)m * ld + nm] += w[c];
      for (int64_t x = qp[iq]; x < qp[iq + 1]; x++)
        rd[(size_t)e->s_band[e->col[x]] * ld + e->ph[x] % nm] += w[c] * e->g2[x];
    }
  }
}

double agape_epw_mesh_pair(const agape_epw_mesh *g, const double *row, const double kr[3], const double kc[3], int m,
                           double *g2, double *omega)
{
  const int nb = g->nb, nm = g->nm, ld = nm + 1;
  const double q[3] = {kc[0] - kr[0], kc[1] - kr[1], kc[2] - kr[2]};
  int64_t idx[8];
  double w[8];
  cell_corners(g->nq, q, idx, w);
  double den = 0, wsel = 0;
  for (int nu = 0; nu < nm; nu++) g2[nu] = omega[nu] = 0;
  for (int c = 0; c < 8; c++) {
    if (!(w[c] > 0)) continue;
    const int64_t d = idx[c];
    const double *rd = row + ((size_t)d * nb + m) * ld;
    den += w[c] * rd[nm];
    for (int nu = 0; nu < nm; nu++) g2[nu] += w[c] * rd[nu];
    if (g->q_sel[d] >= 0) {
      const double *od = g->q_om + (size_t)d * nm;
      wsel += w[c];
      for (int nu = 0; nu < nm; nu++) omega[nu] += w[c] * od[nu];
    }
  }
  if (!(den > 0) || !(wsel > 0)) {
    for (int nu = 0; nu < nm; nu++) g2[nu] = omega[nu] = 0;
    return 0;
  }
  const double rden = 1 / den, rsel = 1 / wsel;
  for (int nu = 0; nu < nm; nu++) {
    g2[nu] *= rden;
    omega[nu] *= rsel;
  }
  return den;
}
