/* The point group of a crystal (see include/agape/symmetry.h). */
#include "agape/symmetry.h"
#include <spglib.h>
#include <stdlib.h>
#include <string.h>

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
