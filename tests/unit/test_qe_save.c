/* The Quantum ESPRESSO save-folder reader (src/material/qe_save.c) on the repository's fixture
 * tests/data/al-qe (fcc Al, norm-conserving, 12 Ry, 4^3 k, 8 bands; made by its make.sh with
 * Debian's pw.x 6.7):
 *  1. what the XML gives equals what pw.x printed in scf.out: the lattice parameter, cell
 *     volume, electrons, bands, cut-off, symmetry count, FFT grid, every k point with its
 *     weight and plane-wave count, every eigenvalue and the Fermi energy, each to half a unit
 *     of the last digit pw.x prints;
 *  2. the wavefunctions: every band normalised, sum |c|^2 = 1, and the bands of a k point
 *     orthogonal, to 1e-10 (pw.x converged to 1e-12 Ry; orthonormality is kept by its
 *     diagonalisation to round-off); every plane wave inside the cut-off, |k + G|^2 <= ecutwfc
 *     (Ry, bohr^-2), and no plane wave of the sphere missing (the count equals npw);
 *  3. damaged or foreign folders are refused: a truncated wfc file, a wfc file of another k
 *     point, an XML without nks, not XML at all, a spin-polarised run, an ultrasoft run, a
 *     folder without data-file-schema.xml. */
#include "../check.h"
#include "agape/qe_save.h"

#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif
#define FIX AGAPE_TEST_DATA "/al-qe"
/* half a unit of the last printed digit d, widened by the round-off of the decimal itself */
#define HALF(d) (0.5 * (d) * (1 + 1e-9))

/* the text after the first occurrence of key in buf, or NULL */
static const char *after(const char *buf, const char *key)
{
  const char *p = strstr(buf, key);
  return p ? p + strlen(key) : NULL;
}

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  if (b) b[n] = '\0';
  if (len) *len = (size_t)n;
  fclose(f);
  return b;
}

static void spill(const char *path, const char *buf, size_t len)
{
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(buf, 1, len, f);
    fclose(f);
  }
}

/* a copy of the fixture's al.save in dir/name; returns the path (static buffer) */
static const char *copy_save(const char *dir, const char *name)
{
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  mkdir(path, 0700);
  const char *files[] = {"data-file-schema.xml",
                         "wfc1.dat",
                         "wfc2.dat",
                         "wfc3.dat",
                         "wfc4.dat",
                         "wfc5.dat",
                         "wfc6.dat",
                         "wfc7.dat",
                         "wfc8.dat"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char src[1024], dst[1100];
    snprintf(src, sizeof src, FIX "/al.save/%s", files[i]);
    snprintf(dst, sizeof dst, "%s/%s", path, files[i]);
    size_t n;
    char *b = slurp(src, &n);
    if (b) spill(dst, b, n);
    free(b);
  }
  return path;
}

/* replace the first occurrence of from by to in the file */
static void edit(const char *file, const char *from, const char *to)
{
  size_t n;
  char *b = slurp(file, &n);
  if (!b) return;
  char *p = strstr(b, from);
  if (p) {
    FILE *f = fopen(file, "wb");
    fwrite(b, 1, (size_t)(p - b), f);
    fputs(to, f);
    fputs(p + strlen(from), f);
    fclose(f);
  }
  free(b);
}

int main(void)
{
  agape_qe_save s;
  agape_err err = agape_qe_save_read(FIX "/al.save", &s);
  if (!check(err == AGAPE_OK, "read " FIX "/al.save")) return check_summary();
  char *out = slurp(FIX "/scf.out", NULL);
  if (!check(out != NULL, "pw.x output " FIX "/scf.out")) return check_summary();

  /* 1. against pw.x's output */
  const double ry = AGAPE_HARTREE_EV / 2;
  check_abs(s.alat, strtod(after(out, "lattice parameter (alat)  ="), NULL), HALF(1e-4), "alat (bohr)");
  check_abs(s.omega, strtod(after(out, "unit-cell volume          ="), NULL), HALF(1e-4), "cell volume (bohr^3)");
  check_abs(s.nelec, strtod(after(out, "number of electrons       ="), NULL), HALF(1e-2), "electrons");
  check_int(s.nbnd, atoi(after(out, "number of Kohn-Sham states=")), "bands");
  check_abs(s.ecutwfc / ry, strtod(after(out, "kinetic-energy cutoff     ="), NULL), HALF(1e-4), "ecutwfc (Ry)");
  {
    const char *q = strstr(out, " Sym. Ops.");
    while (q && q > out && (q[-1] == ' ' || (q[-1] >= '0' && q[-1] <= '9'))) q--;
    check_int(s.nsym, q ? atoi(q) : -1, "symmetry operations");
  }
  {
    const char *p = after(out, "FFT dimensions: (");
    int n1 = 0, n2 = 0, n3 = 0;
    sscanf(p, "%d,%d,%d", &n1, &n2, &n3);
    check(s.nr[0] == n1 && s.nr[1] == n2 && s.nr[2] == n3, "FFT grid %d %d %d (pw.x: %d %d %d)", s.nr[0], s.nr[1],
          s.nr[2], n1, n2, n3);
  }
  check_int(s.nks, atoi(after(out, "number of k points=")), "k points");
  double dk = 0, dw = 0, wsum = 0;
  const char *p = out;
  for (int ik = 0; ik < s.nks; ik++) {
    char key[32];
    snprintf(key, sizeof key, "k(%5d) = (", ik + 1);
    p = after(p, key);
    if (!p) break;
    double x[3], w;
    sscanf(p, "%lf %lf %lf), wk = %lf", &x[0], &x[1], &x[2], &w);
    for (int d = 0; d < 3; d++) dk = fmax(dk, fabs(x[d] - s.xk[3 * ik + d]));
    dw = fmax(dw, fabs(w - s.wk[ik]));
    wsum += s.wk[ik];
  }
  check(p != NULL && dk <= HALF(1e-7) && dw <= HALF(1e-7),
        "k points and weights as pw.x printed them (within %.1e, %.1e)", dk, dw);
  check_abs(wsum, 2.0, 1e-12, "weights sum to 2 (spin included)");
  /* the bands: "k = ... (   65 PWs)   bands (ev):" then nbnd numbers */
  double de = 0;
  int npw_ok = 1;
  p = after(out, "End of self-consistent calculation");
  for (int ik = 0; ik < s.nks && p; ik++) {
    p = strstr(p, "k =");
    const char *q = p ? strchr(p, '(') : NULL;
    if (!q) {
      p = NULL;
      break;
    }
    npw_ok &= atoi(q + 1) == s.npw[ik];
    p = after(q, "bands (ev):");
    for (int b = 0; b < s.nbnd && p; b++) {
      char *end;
      double e = strtod(p, &end);
      de = fmax(de, fabs(e - s.eig[ik * s.nbnd + b]));
      p = end;
    }
  }
  check(p != NULL && npw_ok, "plane waves per k point as pw.x printed them");
  check_le(de, HALF(1e-4), "every eigenvalue as pw.x printed it (eV, 4 decimals)");
  check_abs(s.ef, strtod(after(out, "the Fermi energy is"), NULL), HALF(1e-4), "Fermi energy (eV)");
  check(!strcmp(s.occupations, "smearing") && !strcmp(s.smearing, "mv") && fabs(s.degauss / ry - 0.05) < 1e-12,
        "smearing: %s %s %.4f Ry", s.occupations, s.smearing, s.degauss / ry);

  /* 2. the wavefunctions */
  double dn = 0, doff = 0, kout = 0;
  int nmiss = 0;
  for (int ik = 1; ik <= s.nks; ik++) {
    agape_qe_wfc w;
    if (!check(agape_qe_wfc_read(&s, ik, &w) == AGAPE_OK, "read wfc%d.dat", ik)) continue;
    for (int a = 0; a < w.nbnd; a++)
      for (int b = a; b < w.nbnd; b++) {
        double complex o = 0;
        for (int g = 0; g < w.npw; g++) o += conj(w.evc[(size_t)a * w.npw + g]) * w.evc[(size_t)b * w.npw + g];
        if (a == b)
          dn = fmax(dn, fabs(creal(o) - 1));
        else
          doff = fmax(doff, cabs(o));
      }
    /* |k + G|^2 (bohr^-2) against ecutwfc (Ry): inside, and the sphere complete */
    const double ecut = s.ecutwfc / ry;
    int inside = 0, lim = 8;
    for (int i = -lim; i <= lim; i++)
      for (int j = -lim; j <= lim; j++)
        for (int l = -lim; l <= lim; l++) {
          double v[3], q2 = 0;
          for (int d = 0; d < 3; d++) v[d] = w.xk[d] + i * w.b[d] + j * w.b[3 + d] + l * w.b[6 + d];
          for (int d = 0; d < 3; d++) q2 += v[d] * v[d];
          inside += q2 <= ecut;
        }
    for (int g = 0; g < w.npw; g++) {
      double v[3], q2 = 0;
      for (int d = 0; d < 3; d++)
        v[d] = w.xk[d] + w.mill[3 * g] * w.b[d] + w.mill[3 * g + 1] * w.b[3 + d] + w.mill[3 * g + 2] * w.b[6 + d];
      for (int d = 0; d < 3; d++) q2 += v[d] * v[d];
      kout = fmax(kout, q2 - ecut);
    }
    nmiss += inside - w.npw;
    agape_qe_wfc_destroy(&w);
  }
  check_le(dn, 1e-10, "every band normalised: max |sum |c|^2 - 1|");
  check_le(doff, 1e-10, "the bands of each k point orthogonal: max |<n|m>|");
  check_le(kout, 1e-9, "every plane wave inside the cut-off: max |k+G|^2 - ecutwfc (Ry)");
  check_int(nmiss, 0, "no plane wave of the cut-off sphere missing (sphere count - npw, all k)");

  /* 3. damaged and foreign folders */
  const char *tmp = check_tmpdir("qe-save");
  agape_qe_save t;
  agape_qe_wfc w;
  char f[1200];
  {
    const char *d = copy_save(tmp, "trunc.save");
    snprintf(f, sizeof f, "%s/wfc3.dat", d);
    size_t n;
    char *b = slurp(f, &n);
    spill(f, b, n - 100);
    free(b);
    check(agape_qe_save_read(d, &t) == AGAPE_OK && agape_qe_wfc_read(&t, 3, &w) == AGAPE_ERR_FORMAT,
          "a truncated wfc3.dat is refused");
    agape_qe_save_destroy(&t);
  }
  {
    const char *d = copy_save(tmp, "swap.save");
    char g[1200];
    snprintf(f, sizeof f, "%s/wfc1.dat", d);
    snprintf(g, sizeof g, FIX "/al.save/wfc2.dat");
    size_t n;
    char *b = slurp(g, &n);
    spill(f, b, n);
    free(b);
    check(agape_qe_save_read(d, &t) == AGAPE_OK && agape_qe_wfc_read(&t, 1, &w) == AGAPE_ERR_FORMAT,
          "the wfc file of another k point is refused");
    agape_qe_save_destroy(&t);
  }
  {
    const char *d = copy_save(tmp, "nonks.save");
    snprintf(f, sizeof f, "%s/data-file-schema.xml", d);
    edit(f, "<nks>8</nks>", "");
    check(agape_qe_save_read(d, &t) == AGAPE_ERR_FORMAT, "an XML without <nks> is refused");
  }
  {
    const char *d = copy_save(tmp, "notxml.save");
    snprintf(f, sizeof f, "%s/data-file-schema.xml", d);
    spill(f, "CRYSTAL\n 1 0 0\n", 15);
    check(agape_qe_save_read(d, &t) == AGAPE_ERR_FORMAT, "a data-file-schema.xml that is not XML is refused");
  }
  {
    const char *d = copy_save(tmp, "lsda.save");
    snprintf(f, sizeof f, "%s/data-file-schema.xml", d);
    edit(f, "<magnetization>\n      <lsda>false</lsda>", "<magnetization>\n      <lsda>true</lsda>");
    check(agape_qe_save_read(d, &t) == AGAPE_ERR_FORMAT, "a spin-polarised run is refused");
  }
  {
    const char *d = copy_save(tmp, "uspp.save");
    snprintf(f, sizeof f, "%s/data-file-schema.xml", d);
    edit(f, "<uspp>false</uspp>", "<uspp>true</uspp>");
    check(agape_qe_save_read(d, &t) == AGAPE_ERR_FORMAT, "an ultrasoft run is refused");
  }
  check(agape_qe_save_read(tmp, &t) == AGAPE_ERR_IO, "a folder without data-file-schema.xml is refused");
  free(out);
  agape_qe_save_destroy(&s);
  return check_summary();
}
