/* The check that two data sets describe the same crystal (agape_crystal_match, symmetry.c),
 * which a run with [coulomb] qe_save makes between the save folder and the phonon data.
 *  1. Real files in their own units: Al's save folder (tests/data/al-qe, bohr, cartesian
 *     positions) against a crystal.fmt that this test writes the way EPW does (units of
 *     alat, QE's ibrav = 2 vectors for celldm(1) = 7.5 of the fixture's scf.in): the same
 *     crystal, matched to round-off. MgB2's crystal.fmt (tests/data/mgb2-tiny-epw) against
 *     itself, and against Al's save folder: refused (another cell).
 *  2. Descriptions of one crystal that must be accepted: the atoms all shifted by one
 *     translation; the species numbered the other way round; the lattice described by other
 *     vectors (a1 + a2, a2, a3, positions transformed with it); the whole crystal rotated by
 *     30 degrees (accepted on the volume, atoms and species only, and the note says the
 *     positions were not compared); the cell 1e-4 larger in volume (below the 1e-3 tolerance);
 *     a different electron count (noted, not refused).
 *  3. Other crystals, refused: the volume 3e-3 larger; an atom displaced by twice the position
 *     tolerance (1e-3 of the cube root of the volume), while half of it is accepted; Mg and a B
 *     swapped (the same species' sizes, no translation maps one onto the other); an atom
 *     fewer; a species split in two. */
#include "../check.h"
#include "agape/epw_mesh.h"
#include "agape/qe_save.h"
#include "agape/symmetry.h"

#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif

static agape_crystal copy(const agape_crystal *c)
{
  agape_crystal r = *c;
  r.frac = malloc(sizeof(double) * 3 * c->nat);
  r.ityp = malloc(sizeof(int) * c->nat);
  memcpy(r.frac, c->frac, sizeof(double) * 3 * c->nat);
  memcpy(r.ityp, c->ityp, sizeof(int) * c->nat);
  snprintf(r.path, sizeof r.path, "variant");
  return r;
}

static int match(const agape_crystal *a, const agape_crystal *b, char *note, size_t n)
{
  note[0] = '\0';
  return agape_crystal_match(a, b, note, n) == AGAPE_OK;
}

int main(void)
{
  char note[4096], dir[2048];
  /* 1. Al: the save folder against a crystal.fmt written as EPW writes it */
  agape_qe_save s;
  agape_crystal al_xml = {0}, al_fmt = {0}, mgb2 = {0};
  snprintf(dir, sizeof dir, "%s/al-qe/al-full.save", AGAPE_TEST_DATA);
  if (check(agape_qe_save_read(dir, &s) == AGAPE_OK, "Al save folder read")) {
    check(agape_qe_save_crystal(&s, &al_xml) == AGAPE_OK, "its crystal");
    agape_qe_save_destroy(&s);
  }
  const char *tmp = check_tmpdir("crystal");
  char path[2200];
  snprintf(path, sizeof path, "%s/crystal.fmt", tmp);
  FILE *f = fopen(path, "w");
  /* nat, nmodes, nelec; at and bg (units alat, 2 pi/alat: QE's ibrav = 2); omega (a^3/4),
   * alat; tau (alat); amass; ityp; noncolin */
  fprintf(f,
          "1\n3\n3.0\n-0.5 0.0 0.5 0.0 0.5 0.5 -0.5 0.5 0.0\n-1.0 -1.0 1.0 1.0 1.0 1.0 -1.0 1.0 -1.0\n"
          "105.46875\n7.5\n0.0 0.0 0.0\n49177.0\n1\nF\n");
  fclose(f);
  check(agape_epw_crystal_read(tmp, &al_fmt) == AGAPE_OK, "Al crystal.fmt (EPW's layout, units of alat) read");
  if (al_xml.nat && al_fmt.nat) {
    check(match(&al_fmt, &al_xml, note, sizeof note) && strstr(note, "same crystal"),
          "Al: crystal.fmt and the save folder's XML describe the same crystal (%s)", note);
    check(!strstr(note, "NOTE"), "Al: the same electron count (3) in both");
  }
  snprintf(dir, sizeof dir, "%s/mgb2-tiny-epw/MgB2.ephmat", AGAPE_TEST_DATA);
  if (check(agape_epw_crystal_read(dir, &mgb2) == AGAPE_OK && mgb2.nat == 3, "MgB2 crystal.fmt read (3 atoms)")) {
    check(match(&mgb2, &mgb2, note, sizeof note) && strstr(note, "within 0 bohr"), "MgB2 against itself: %s", note);
    if (al_xml.nat)
      check(!match(&mgb2, &al_xml, note, sizeof note), "MgB2's crystal.fmt against Al's save folder: refused");

    /* 2. the same crystal, described otherwise */
    const double V = 195.58710277124717, tol = 1e-3 * cbrt(V);
    agape_crystal v = copy(&mgb2);
    for (int a = 0; a < v.nat; a++)
      for (int j = 0; j < 3; j++) v.frac[3 * a + j] += 0.1 * (j + 1);
    check(match(&mgb2, &v, note, sizeof note), "all atoms shifted by (0.1, 0.2, 0.3): accepted (%s)", note);
    agape_crystal_destroy(&v);

    v = copy(&mgb2);
    for (int a = 0; a < v.nat; a++) v.ityp[a] = 3 - v.ityp[a];
    check(match(&mgb2, &v, note, sizeof note), "the species numbered the other way round: accepted");
    agape_crystal_destroy(&v);

    v = copy(&mgb2); /* a1' = a1 + a2: r = x1 a1 + x2 a2 + x3 a3 = x1 a1' + (x2 - x1) a2 + x3 a3 */
    for (int x = 0; x < 3; x++) v.at[x] = mgb2.at[x] + mgb2.at[3 + x];
    for (int a = 0; a < v.nat; a++) v.frac[3 * a + 1] = mgb2.frac[3 * a + 1] - mgb2.frac[3 * a];
    check(match(&mgb2, &v, note, sizeof note) && strstr(note, "same crystal"),
          "lattice vectors (a1 + a2, a2, a3), positions transformed: the atoms matched (%s)", note);
    agape_crystal_destroy(&v);

    v = copy(&mgb2);
    const double c30 = cos(M_PI / 6), s30 = sin(M_PI / 6);
    for (int i = 0; i < 3; i++) {
      const double x = mgb2.at[3 * i], y = mgb2.at[3 * i + 1];
      v.at[3 * i] = c30 * x - s30 * y, v.at[3 * i + 1] = s30 * x + c30 * y;
    }
    check(match(&mgb2, &v, note, sizeof note) && strstr(note, "not compared"),
          "the crystal rotated by 30 degrees: accepted on the invariants, positions not compared (%s)", note);
    agape_crystal_destroy(&v);

    v = copy(&mgb2);
    v.alat *= cbrt(1 + 1e-4);
    check(match(&mgb2, &v, note, sizeof note), "volume 1e-4 larger: accepted (tolerance 1e-3)");
    v.alat = mgb2.alat * cbrt(1 + 3e-3);
    check(!match(&mgb2, &v, note, sizeof note), "volume 3e-3 larger: refused");
    agape_crystal_destroy(&v);

    v = copy(&mgb2);
    v.nelec = mgb2.nelec + 2;
    check(match(&mgb2, &v, note, sizeof note) && strstr(note, "NOTE"),
          "another electron count: accepted, and noted (%s)", note);
    agape_crystal_destroy(&v);

    /* 3. other crystals: an atom displaced along c (a3 = (0, 0, c/a) in alat) */
    const double c_bohr = mgb2.at[8] * mgb2.alat;
    v = copy(&mgb2);
    v.frac[3 * 1 + 2] += 0.5 * tol / c_bohr;
    check(match(&mgb2, &v, note, sizeof note), "a B atom moved by half the tolerance (%.2g bohr): accepted (%s)",
          0.5 * tol, note);
    v.frac[3 * 1 + 2] = mgb2.frac[3 * 1 + 2] + 2 * tol / c_bohr;
    check(!match(&mgb2, &v, note, sizeof note), "a B atom moved by twice the tolerance (%.2g bohr): refused", 2 * tol);
    agape_crystal_destroy(&v);

    v = copy(&mgb2);
    v.ityp[0] = mgb2.ityp[1], v.ityp[1] = mgb2.ityp[0];
    check(!match(&mgb2, &v, note, sizeof note), "Mg and a B swapped: refused");
    agape_crystal_destroy(&v);

    v = copy(&mgb2);
    v.nat = 2;
    check(!match(&mgb2, &v, note, sizeof note), "an atom fewer: refused");
    v.nat = 3;
    v.ityp[2] = 3;
    check(!match(&mgb2, &v, note, sizeof note), "the two B atoms as two species: refused");
    agape_crystal_destroy(&v);
  }
  agape_crystal_destroy(&al_xml);
  agape_crystal_destroy(&al_fmt);
  agape_crystal_destroy(&mgb2);
  return check_summary();
}
