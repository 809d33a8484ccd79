/* Crystals and their point groups (see include/agape/symmetry.h). */
#include "agape/symmetry.h"
#include <math.h>
#include <spglib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void agape_crystal_destroy(agape_crystal *c)
{
  free(c->frac);
  free(c->ityp);
  memset(c, 0, sizeof *c);
}

static double det3(const double *m)
{
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/* |sum_j (d_j - round(d_j)) A_j| (bohr): the length of a crystal-coordinate difference d
 * taken to its nearest periodic image, for the cell rows A (bohr) */
static double image_length(const double d[3], const double *A)
{
  double r[3] = {0, 0, 0};
  for (int j = 0; j < 3; j++) {
    const double u = d[j] - nearbyint(d[j]);
    for (int x = 0; x < 3; x++) r[x] += u * A[3 * j + x];
  }
  return sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
}

/* how many atoms share atom i's species, for every atom, sorted: the species' sizes
 * whatever their numbering */
static int cmp_int(const void *x, const void *y)
{
  return (*(const int *)x > *(const int *)y) - (*(const int *)x < *(const int *)y);
}
static void species_sizes(const agape_crystal *c, int *size)
{
  for (int i = 0; i < c->nat; i++) {
    size[i] = 0;
    for (int j = 0; j < c->nat; j++) size[i] += c->ityp[j] == c->ityp[i];
  }
  qsort(size, (size_t)c->nat, sizeof(int), cmp_int);
}

/* Try the translation that carries atom j0 of b (positions xb, in a's crystal coordinates) onto
 * atom 0 of a: every atom of b must land within tol (bohr) of a distinct atom of a, with a
 * one-to-one map of the species numberings. Returns the atoms matched before the first miss
 * (nat: all); *worst the largest distance matched, *miss the first atom missed and *dmiss its
 * distance to the nearest unused atom of a. */
static int try_translation(const agape_crystal *a, const agape_crystal *b, const double *xb, const double *A, int j0,
                           double tol, int *used, int *a2b, int *b2a, int ntyp, double *worst, int *miss, double *dmiss)
{
  double t[3];
  for (int x = 0; x < 3; x++) t[x] = a->frac[x] - xb[3 * j0 + x];
  memset(used, 0, sizeof(int) * (size_t)a->nat);
  memset(a2b, 0, sizeof(int) * (size_t)(ntyp + 1));
  memset(b2a, 0, sizeof(int) * (size_t)(ntyp + 1));
  *worst = 0;
  for (int j = 0; j < b->nat; j++) {
    int best = -1;
    double dbest = INFINITY;
    for (int i = 0; i < a->nat; i++) {
      if (used[i]) continue;
      double d[3];
      for (int x = 0; x < 3; x++) d[x] = xb[3 * j + x] + t[x] - a->frac[3 * i + x];
      const double l = image_length(d, A);
      if (l < dbest) dbest = l, best = i;
    }
    const int ta = best >= 0 ? a->ityp[best] : 0, tb = b->ityp[j];
    const int species_ok = best >= 0 && (b2a[tb] == 0 ? a2b[ta] == 0 : b2a[tb] == ta);
    if (!(dbest <= tol) || !species_ok) {
      *miss = j, *dmiss = dbest;
      return j;
    }
    b2a[tb] = ta, a2b[ta] = tb, used[best] = 1;
    if (dbest > *worst) *worst = dbest;
  }
  return b->nat;
}

agape_err agape_crystal_match(const agape_crystal *a, const agape_crystal *b, char *note, size_t nnote)
{
  double A[9], B[9];
  for (int i = 0; i < 9; i++) A[i] = a->at[i] * a->alat, B[i] = b->at[i] * b->alat;
  const double va = fabs(det3(A)), vb = fabs(det3(B));
  if (!(va > 0) || !(fabs(va - vb) <= 1e-3 * va))
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s and %s do not describe the same crystal: cell volumes %.4f and %.4f bohr^3 (tolerance "
                       "0.1 %%)",
                       a->path, b->path, va, vb);
  if (a->nat != b->nat)
    return agape_error(AGAPE_ERR_FORMAT, "%s and %s do not describe the same crystal: %d and %d atoms", a->path,
                       b->path, a->nat, b->nat);
  const int nat = a->nat;
  int ntyp = 0;
  for (int i = 0; i < nat; i++) {
    if (a->ityp[i] > ntyp) ntyp = a->ityp[i];
    if (b->ityp[i] > ntyp) ntyp = b->ityp[i];
  }
  int *sa = malloc(sizeof(int) * nat), *sb = malloc(sizeof(int) * nat), *used = malloc(sizeof(int) * nat);
  int *a2b = malloc(sizeof(int) * (ntyp + 1)), *b2a = malloc(sizeof(int) * (ntyp + 1));
  double *xb = malloc(sizeof(double) * 3 * nat);
  agape_err err = (sa && sb && used && a2b && b2a && xb) ? AGAPE_OK : AGAPE_ERR_NOMEM;
  if (!err) {
    species_sizes(a, sa);
    species_sizes(b, sb);
    if (memcmp(sa, sb, sizeof(int) * nat))
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s and %s do not describe the same crystal: the %d atoms fall into species of different sizes",
                        a->path, b->path, nat);
  }
  /* b's lattice vectors in a's: B = M A; M integer and unimodular for the same lattice */
  double Ainv[9], M[9];
  int R[9], same = 0;
  if (!err) {
    const double d = det3(A);
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) { /* inverse by cofactors: Ainv[j][i] = C_ij / d */
        const int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
        Ainv[3 * j + i] = (A[3 * i1 + j1] * A[3 * i2 + j2] - A[3 * i1 + j2] * A[3 * i2 + j1]) / d;
      }
    double off = 0;
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        M[3 * i + j] = B[3 * i] * Ainv[j] + B[3 * i + 1] * Ainv[3 + j] + B[3 * i + 2] * Ainv[6 + j];
        R[3 * i + j] = (int)nearbyint(M[3 * i + j]);
        off = fmax(off, fabs(M[3 * i + j] - R[3 * i + j]));
      }
    const int detR =
      R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
    same = off <= 1e-3 && (detR == 1 || detR == -1);
  }
  char nel[160] = "";
  if (!err && a->nelec >= 0 && b->nelec >= 0 && fabs(a->nelec - b->nelec) > 1e-6)
    snprintf(nel, sizeof nel, "; NOTE: %g valence electrons in the first, %g in the second (other pseudopotentials?)",
             a->nelec, b->nelec);
  if (!err && !same)
    snprintf(note, nnote,
             "%s and %s: cell volume %.4f bohr^3, %d atoms and the species' sizes agree; the lattice vectors are not "
             "integer recombinations of each other (another orientation), so the positions were not compared%s",
             a->path, b->path, va, nat, nel);
  if (!err && same) {
    /* r = sum_i xb_i B_i = sum_i xb_i sum_j R_ij A_j: xa_j = sum_i xb_i R_ij */
    for (int s = 0; s < nat; s++)
      for (int j = 0; j < 3; j++)
        xb[3 * s + j] = b->frac[3 * s] * R[j] + b->frac[3 * s + 1] * R[3 + j] + b->frac[3 * s + 2] * R[6 + j];
    const double tol = 1e-3 * cbrt(va);
    int best = -1, miss = 0;
    double worst = 0, dmiss = INFINITY;
    for (int j0 = 0; j0 < nat && best < nat; j0++) {
      int m = 0;
      double w = 0, dm = INFINITY;
      const int got = try_translation(a, b, xb, A, j0, tol, used, a2b, b2a, ntyp, &w, &m, &dm);
      if (got > best) best = got, worst = w, miss = m, dmiss = dm;
    }
    char why[96];
    if (dmiss <= tol)
      snprintf(why, sizeof why, "lands on an atom of another species");
    else
      snprintf(why, sizeof why, "stays %.3g bohr from the nearest free atom of the first", dmiss);
    if (best < nat)
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s and %s do not describe the same crystal: no translation carries the atoms of the second "
                        "onto those of the first (atom %d of the second, at crystal coordinates %.6f %.6f %.6f, %s; "
                        "tolerance %.2g bohr)",
                        a->path, b->path, miss + 1, b->frac[3 * miss], b->frac[3 * miss + 1], b->frac[3 * miss + 2],
                        why, tol);
    else
      snprintf(note, nnote, "%s and %s describe the same crystal: %d atoms matched within %.2g bohr (tolerance %.2g)%s",
               a->path, b->path, nat, worst, tol, nel);
  }
  free(sa);
  free(sb);
  free(used);
  free(a2b);
  free(b2a);
  free(xb);
  return err;
}

int agape_point_group(const double lattice[9], int nat, const double *frac, const int *ityp, int maxop, int (*op)[9])
{
  double lat[3][3], (*pos)[3] = malloc(sizeof(double[3]) * (size_t)(nat > 0 ? nat : 1));
  const int cap = 48 * (nat > 0 ? nat : 1) + 48;
  int(*rot)[3][3] = malloc(sizeof(int[3][3]) * (size_t)cap);
  double(*tr)[3] = malloc(sizeof(double[3]) * (size_t)cap);
  int *typ = malloc(sizeof(int) * (size_t)(nat > 0 ? nat : 1));
  int nop = -2;
  if (pos && rot && tr && typ) {
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) lat[i][j] = lattice[3 * j + i]; /* spglib: columns a_j */
    for (int a = 0; a < nat; a++) {
      for (int j = 0; j < 3; j++) pos[a][j] = frac[3 * a + j];
      typ[a] = ityp[a];
    }
    const int n = spg_get_symmetry(rot, tr, cap, lat, pos, typ, nat, 1e-4);
    nop = 0;
    for (int sign = 1; sign >= -1 && nop >= 0; sign -= 2)
      for (int o = 0; o < n; o++) {
        int m[9];
        for (int i = 0; i < 3; i++)
          for (int j = 0; j < 3; j++) m[3 * i + j] = sign * rot[o][j][i];
        int dup = 0;
        for (int q = 0; q < nop && !dup; q++) dup = !memcmp(op[q], m, sizeof m);
        if (dup) continue;
        if (nop == maxop) {
          nop = -1;
          break;
        }
        memcpy(op[nop++], m, sizeof m);
      }
  }
  free(pos);
  free(rot);
  free(tr);
  free(typ);
  return nop;
}

int64_t agape_mesh_index(const int x[3], const int n[3])
{
  int64_t idx = 0;
  for (int d = 0; d < 3; d++) {
    int v = x[d] % n[d];
    idx = idx * n[d] + (v < 0 ? v + n[d] : v);
  }
  return idx;
}

void agape_mesh_coords(int64_t idx, const int n[3], int y[3])
{
  y[2] = (int)(idx % n[2]);
  y[1] = (int)((idx / n[2]) % n[1]);
  y[0] = (int)(idx / ((int64_t)n[1] * n[2]));
}

int64_t agape_mesh_apply(const int M[9], const int y[3], const int n[3])
{
  int x[3];
  for (int i = 0; i < 3; i++) {
    /* (M y)_i in units of 1/n_i: sum_j M_ij y_j n_i / n_j must be an integer */
    int64_t num = 0;
    int64_t den = (int64_t)n[0] * n[1] * n[2];
    for (int j = 0; j < 3; j++) num += (int64_t)M[3 * i + j] * y[j] * (den / n[j]) * n[i];
    if (num % den) return -1;
    x[i] = (int)(num / den);
  }
  return agape_mesh_index(x, n);
}
