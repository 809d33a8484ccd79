/* EPW data on the full meshes (src/material/epw_mesh.c), on the repository's fixtures:
 * MgB2 tiny (6^3 k = 6^3 q, hexagonal) and Pb (24^3 k, 12^3 q, fcc).
 *  1. crystal.fmt: atoms, species; the point groups (D6h: 24 operations, Oh: 48).
 *  2. Unfolding, checked against EPW's own maps, which the construction does not use: for
 *     every full-mesh k = M k_r and every q-mesh point d, the representative that ikmap gives
 *     to k + d must be the one EPW's k+q table gives to k_r + M^-1 d (the same star). A wrong
 *     operation, or a crystal that does not belong to the data, breaks this.
 *  3. Interpolation reproduces the data at mesh points: band energies, and the couplings of
 *     an irreducible point towards a selected q (every band pair and mode) equal EPW's
 *     entries; the frequencies equal freq's.
 *  4. A crystal whose symmetry does not fit the data (one atom moved) and damaged crystal.fmt
 *     files are refused with a message. */
#include "../check.h"
#include "agape/epw_mesh.h"

#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif

/* 2: representatives of k + d via ikmap and via the operation and EPW's k+q table */
static int64_t star_mismatches(const agape_epw *e, const agape_epw_mesh *g, int64_t *checked)
{
  int64_t bad = 0;
  *checked = 0;
  for (int64_t k = 0; k < g->nkt; k++) {
    if (g->k_rep[k] < 0) continue;
    int y[3] = {(int)(k / ((int64_t)g->nk[1] * g->nk[2])), (int)((k / g->nk[2]) % g->nk[1]), (int)(k % g->nk[2])};
    for (int64_t d = 0; d < g->nqt; d++) {
      int iq = g->q_sel[g->q_img[(size_t)g->k_op[k] * g->nqt + d]];
      if (iq < 0) continue;
      int z[3] = {(int)(d / ((int64_t)g->nq[1] * g->nq[2])), (int)((d / g->nq[2]) % g->nq[1]), (int)(d % g->nq[2])};
      int64_t kd = 0;
      for (int a = 0; a < 3; a++) kd = kd * g->nk[a] + (y[a] + z[a] * (g->nk[a] / g->nq[a])) % g->nk[a];
      int via_ikmap = e->ixkff[kd] - 1, via_op = e->ixkqf[(size_t)g->k_rep[k] * e->totq + iq];
      bad += via_ikmap != via_op;
      (*checked)++;
    }
  }
  return bad;
}

/* 3: interpolation at mesh points */
static void at_mesh_points(const char *name, const agape_epw *e, const agape_epw_mesh *g)
{
  double xi[64], maxe = 0;
  for (int r = 0; r < e->nkfs; r++) {
    agape_epw_mesh_bands(g, e->xkfs + 3 * r, xi);
    for (int b = 0; b < g->nb; b++) maxe = fmax(maxe, fabs(xi[b] - (e->ekfs[(size_t)r * g->nb + b] - e->ef)));
  }
  check_le(maxe, 1e-12, "%s: bands at the irreducible points equal egnv's (max |diff| eV)", name);
  /* couplings of every window state of the first irreducible points towards every selected q */
  double *row = malloc(sizeof(double) * agape_epw_mesh_row_size(g));
  double g2[768], om[768], maxg = 0, maxw = 0, gsum = 0;
  int64_t npairs = 0;
  for (int s = 0; s < e->ns && s < 12; s++) {
    const int r = e->s_k[s], n = e->s_band[s];
    const double *kr = e->xkfs + 3 * r;
    agape_epw_mesh_row(g, e, kr, n, row);
    for (int64_t x = e->row_ptr[s]; x < e->row_ptr[s + 1]; x++) {
      const int iq = e->ph[x] / g->nm, nu = e->ph[x] % g->nm, t = e->col[x];
      double kc[3];
      for (int a = 0; a < 3; a++) kc[a] = kr[a] + e->xqf[3 * iq + a];
      double wsum = agape_epw_mesh_pair(g, row, kr, kc, e->s_band[t], g2, om);
      /* one stored entry per (q, mode, band') */
      maxg = fmax(maxg, fabs(g2[nu] - e->g2[x]));
      gsum = fmax(gsum, e->g2[x]);
      maxw = fmax(maxw, fabs(om[nu] - e->wf[(size_t)iq * g->nm + nu]));
      if (fabs(wsum - 1) > 1e-12) maxg = INFINITY;
      npairs++;
    }
  }
  free(row);
  check(npairs > 0, "%s: %lld stored couplings compared", name, (long long)npairs);
  check_le(maxg, 1e-12 * gsum, "%s: couplings at mesh points equal EPW's entries (max |diff| Ry^2)", name);
  check_le(maxw, 1e-15, "%s: frequencies at mesh points equal freq's (max |diff| eV)", name);
}

static void one_set(const char *name, const char *dir, int nop_want)
{
  agape_epw e;
  agape_crystal c;
  agape_epw_mesh g;
  if (!check(agape_epw_read(dir, 5.0, &e) == AGAPE_OK, "%s: EPW data read", name)) return;
  if (!check(agape_epw_crystal_read(dir, &c) == AGAPE_OK, "%s: crystal.fmt read (%s)", name, c.path)) {
    agape_epw_destroy(&e);
    return;
  }
  if (check(agape_epw_mesh_create(&e, &c, &g) == AGAPE_OK, "%s: meshes built", name)) {
    check_int(g.nop, nop_want, "%s: point operations with time reversal", name);
    int64_t checked, bad = star_mismatches(&e, &g, &checked);
    check(checked > 0, "%s: %lld (k, q) pairs checked against ikmap and EPW's k+q table", name, (long long)checked);
    check_int(bad, 0, "%s: pairs whose representative differs", name);
    at_mesh_points(name, &e, &g);
    agape_epw_mesh_destroy(&g);
  }
  /* 4: one atom moved off its site: the symmetry no longer fits the data */
  if (c.nat > 1) {
    c.frac[3] += 0.013;
    c.frac[4] -= 0.007;
    check(agape_epw_mesh_create(&e, &c, &g) != AGAPE_OK, "%s: a crystal with an atom moved is refused", name);
  }
  agape_crystal_destroy(&c);
  agape_epw_destroy(&e);
}

/* damaged crystal.fmt files beside a folder of the temporary directory */
static void damaged(void)
{
  const char *tmp = check_tmpdir("epw-mesh");
  char src[1100], dir[1100], path[1100];
  snprintf(src, sizeof src, "%s/mgb2-tiny-epw/crystal.fmt", AGAPE_TEST_DATA);
  snprintf(dir, sizeof dir, "%s/MgB2.ephmat", tmp);
  snprintf(path, sizeof path, "%s/crystal.fmt", tmp);
  FILE *in = fopen(src, "r");
  char buf[8192];
  size_t n = in ? fread(buf, 1, sizeof buf - 1, in) : 0;
  if (in) fclose(in);
  buf[n] = '\0';
  agape_crystal c;
  check(agape_epw_crystal_read(dir, &c) == AGAPE_ERR_IO, "no crystal.fmt: reported as absent");
  struct {
    const char *what;
    size_t keep;
  } cut[] = {{"cut in the lattice", 120}, {"cut before the species", n * 3 / 5}};
  for (int i = 0; i < 2; i++) {
    FILE *f = fopen(path, "w");
    fwrite(buf, 1, cut[i].keep, f);
    fclose(f);
    check(agape_epw_crystal_read(dir, &c) == AGAPE_ERR_FORMAT, "crystal.fmt %s: refused", cut[i].what);
  }
  FILE *f = fopen(path, "w"); /* at and bg that are not reciprocal */
  fprintf(f, "1\n3\n4.0\n1 0 0 0 1 0 0 0 1\n2 0 0 0 1 0 0 0 1\n1.0 5.0\n0 0 0\n10 0 0\n1\nF\n");
  fclose(f);
  check(agape_epw_crystal_read(dir, &c) == AGAPE_ERR_FORMAT, "crystal.fmt with at, bg not reciprocal: refused");
  f = fopen(path, "w"); /* a valid simple cubic crystal */
  fprintf(f, "1\n3\n4.0\n1 0 0 0 1 0 0 0 1\n1 0 0 0 1 0 0 0 1\n1.0 5.0\n0 0 0\n10 0 0\n1\nF\n");
  fclose(f);
  if (check(agape_epw_crystal_read(dir, &c) == AGAPE_OK, "a minimal simple cubic crystal.fmt: read")) {
    check_int(c.nat, 1, "its atoms");
    agape_crystal_destroy(&c);
  }
}

int main(void)
{
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/mgb2-tiny-epw/MgB2.ephmat", AGAPE_TEST_DATA);
  one_set("MgB2 tiny", dir, 24);
  snprintf(dir, sizeof dir, "%s/pb-epw/pb.ephmat", AGAPE_TEST_DATA);
  one_set("Pb", dir, 48);
  damaged();
  return check_summary();
}
