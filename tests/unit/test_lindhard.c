/* The static RPA of the homogeneous electron gas through AGAPE's whole plane-wave path
 * (src/material/qe_save.c reading, kernels/pairdens.c pair densities, kernels/chi0_pw.c and
 * src/coulomb/qe_chi0.c chi0, chi0pw_screen W) against the Lindhard function.
 *
 * The test writes a Quantum ESPRESSO save folder of free electrons: a simple cubic cell with one
 * electron at Al's density (r_s = 2.07 bohr, a = r_s (4 pi/3)^(1/3)), the full unshifted 6^3
 * grid, and at each k the nbnd plane waves of lowest |k + G| as its bands (one coefficient 1
 * each, e = |k + G|^2/2), Gaussian smearing sigma around the free-electron E_F = k_F^2/2.
 *
 * Reference. chi0 is linear in the occupations, and Gaussian occupations are
 * f(e) = int dmu' g(mu' - mu) theta(mu' - e) with g the normalised Gaussian of width sigma, so
 * the smeared gas's response is the zero-temperature Lindhard function averaged over the
 * chemical potential:
 *   chi_s(Q) = int dmu' g(mu' - mu) chi_L(Q; k_F' = sqrt(2 mu')),
 *   chi_L(Q; k_F) = -(k_F/pi^2) [1/2 + (1 - x^2)/(4x) ln|(1 + x)/(1 - x)|],  x = Q/(2 k_F)
 * (both spins, Hartree atomic units), computed here by quadrature over mu' (2e5 points).
 * The gas has no local fields: chi0_GG'(q) is diagonal with chi_s(|q + G|) on the diagonal,
 * and W_GG = 1/(v^-1 - chi_s).
 *
 * Three checks, so that the k sampling and the code are told apart:
 *  (a) the code's chi0_GG(q) equals the same Adler-Wiser sum formed here directly: summed over
 *      the grid and the bands, the k sum runs over the lattice of p = (b/N) n (n integer, every
 *      |p| with a non-negligible weight is among the bands: nbnd covers |k + G| up to
 *      k_occ + gmax, k_occ where f < 1e-16), so chi_N(Q) = (2/(N^3 Omega)) sum_p F(p, p + Q)
 *      with F = (f(p) - f(p+Q))/(e(p) - e(p+Q)) (-g(e) for equal energies); this checks the
 *      reading, the pair densities, the folding of k + q and the weights: to 1e-10 (round-off of
 *      ~1e5 terms);
 *  (b) the same lattice sum on a 12^3 grid equals the smeared Lindhard function to 1e-8: the
 *      lattice sum converges to the integral faster than any power of 1/N (Poisson's formula;
 *      the Gaussian occupations make F smooth), which validates the reference;
 *  (c) on the test's 6^3 grid the code is within 1e-4 of the smeared Lindhard function: the
 *      sampling error of 6^3 (7.6e-5 at q = 0, less at larger |q + G|), a consequence of (a) and
 *      (b) printed for the record.
 * The gas has no local fields: off-diagonal elements must vanish to 1e-12 of the largest (each
 * pair density has one G), and W_GG = 1/(v^-1 - chi_GG) follows Lindhard likewise.  */
#include "../check.h"
#include "agape/qe_save.h"
#include "agape/qe_chi0.h"
#include "agape/chi0_pw.h"
#include <complex.h>
#include <stdint.h>

#define NK    6
#define RS    2.07
#define GMAX  2.0  /* bohr^-1 */
#define SFRAC 0.45 /* sigma / k_F^2 */
#define PI    3.14159265358979323846

/* Lindhard's static function, both spins, atomic units */
static double lindhard(double Q, double kf)
{
  if (kf <= 0) return 0;
  const double x = Q / (2 * kf);
  double L;
  if (x < 1e-6)
    L = 1 - x * x / 3;
  else if (fabs(x - 1) < 1e-12)
    L = 0.5;
  else
    L = 0.5 + (1 - x * x) / (4 * x) * log(fabs((1 + x) / (1 - x)));
  return -kf / (PI * PI) * L;
}

/* the Gaussian-smeared gas: the mu' average of Lindhard (trapezoid, 2e5 points over +-9 sigma) */
static double lindhard_smeared(double Q, double mu, double sg)
{
  const int n = 200000;
  const double a = mu - 9 * sg, b = mu + 9 * sg, h = (b - a) / n;
  double s = 0;
  for (int i = 0; i <= n; i++) {
    const double m = a + i * h, u = (m - mu) / sg;
    const double w = (i == 0 || i == n) ? 0.5 : 1.0;
    s += w * exp(-u * u) / (sg * sqrt(PI)) * (m > 0 ? lindhard(Q, sqrt(2 * m)) : 0.0);
  }
  return s * h;
}

/* the Adler-Wiser sum of the gas on the lattice of spacing b/n (|p| < kcut), 1/(eV bohr^3) */
static double lattice_sum(int n, double b, double omega, double kcut, const double Q[3], double mu, double sg)
{
  const double h = b / n;
  const int M = (int)ceil(kcut / h) + 1;
  double s = 0;
  for (int i = -M; i <= M; i++)
    for (int j = -M; j <= M; j++)
      for (int l = -M; l <= M; l++) {
        const double p[3] = {h * i, h * j, h * l};
        const double p2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
        if (p2 >= kcut * kcut) continue;
        const double q2 = (p[0] + Q[0]) * (p[0] + Q[0]) + (p[1] + Q[1]) * (p[1] + Q[1]) + (p[2] + Q[2]) * (p[2] + Q[2]);
        const double e1 = 0.5 * p2, e2 = 0.5 * q2; /* Ha */
        const double f1 = 0.5 * erfc((e1 - mu) / sg), f2 = 0.5 * erfc((e2 - mu) / sg);
        if (fabs(e1 - e2) * AGAPE_HARTREE_EV < 1e-9) {
          const double u = (0.5 * (e1 + e2) - mu) / sg;
          s -= exp(-u * u) / (sg * sqrt(PI));
        } else
          s += (f1 - f2) / (e1 - e2);
      }
  return 2 * s / ((double)n * n * n * omega) / AGAPE_HARTREE_EV;
}

typedef struct {
  int m[3];
  double p2; /* |k + G|^2, bohr^-2 */
} pw_t;

static int pw_cmp(const void *x, const void *y)
{
  const pw_t *a = x, *b = y;
  if (a->p2 != b->p2) return a->p2 < b->p2 ? -1 : 1;
  return memcmp(a->m, b->m, sizeof a->m);
}

/* every plane wave k + G of the box |m_i| <= M (k in units of b = 2 pi/a) into list; the count */
static int pw_box(const double k[3], int M, double b, pw_t *list)
{
  int c = 0;
  for (int i = -M; i <= M; i++)
    for (int j = -M; j <= M; j++)
      for (int l = -M; l <= M; l++) {
        const double p[3] = {b * (k[0] + i), b * (k[1] + j), b * (k[2] + l)};
        list[c].m[0] = i, list[c].m[1] = j, list[c].m[2] = l;
        list[c++].p2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
      }
  return c;
}

/* one Fortran sequential record */
static void frec(FILE *f, const void *buf, int32_t len)
{
  fwrite(&len, 4, 1, f);
  fwrite(buf, 1, (size_t)len, f);
  fwrite(&len, 4, 1, f);
}

int main(void)
{
  const double a = RS * cbrt(4 * PI / 3), b = 2 * PI / a;
  const double kf = cbrt(9 * PI / 4) / RS, mu = 0.5 * kf * kf, sg = SFRAC * kf * kf;
  /* bands: every |k + G| below k_occ + gmax, k_occ where the occupation is below 1e-16 */
  const double kocc = sqrt(2 * (mu + 5.9 * sg)), kneed = kocc + GMAX;
  const int M = (int)ceil(kneed / b) + 2;
  pw_t *all = malloc(sizeof(pw_t) * (size_t)(2 * M + 1) * (2 * M + 1) * (2 * M + 1));
  int nbnd = 0;
  for (int ik = 0; ik < NK * NK * NK; ik++) {
    const double k[3] = {(double)(ik / (NK * NK)) / NK, (double)((ik / NK) % NK) / NK, (double)(ik % NK) / NK};
    const int nall = pw_box(k, M, b, all);
    int c = 0;
    for (int n = 0; n < nall; n++) c += all[n].p2 < kneed * kneed;
    if (c > nbnd) nbnd = c;
  }
  printf("free-electron gas: a = %.4f bohr, k_F = %.4f bohr^-1, E_F = %.4f Ha, sigma = %.4f Ha, %d^3 k, %d bands "
         "(|k + G| up to at least %.3f bohr^-1)\n",
         a, kf, mu, sg, NK, nbnd, kneed);

  /* the save folder */
  const char *dir = check_tmpdir("lindhard");
  char path[1200];
  snprintf(path, sizeof path, "%s/gas.save", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/gas.save/data-file-schema.xml", dir);
  FILE *x = fopen(path, "w");
  fprintf(x,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qes:espresso "
          "xmlns:qes=\"http://www.quantum-espresso.org/ns/qes/qes-1.0\">\n<output>\n");
  fprintf(x, "<algorithmic_info><uspp>false</uspp><paw>false</paw></algorithmic_info>\n");
  fprintf(x, "<atomic_species ntyp=\"1\"><species name=\"X\"/></atomic_species>\n");
  fprintf(x,
          "<atomic_structure nat=\"1\" alat=\"%.15e\"><atomic_positions><atom name=\"X\" index=\"1\">0 0 "
          "0</atom></atomic_positions>\n<cell><a1>%.15e 0 0</a1><a2>0 %.15e 0</a2><a3>0 0 %.15e</a3></cell>"
          "</atomic_structure>\n",
          a, a, a, a);
  fprintf(x,
          "<symmetries><nsym>1</nsym><nrot>1</nrot><symmetry><rotation rank=\"2\" dims=\"3 3\">1 0 0 0 1 0 0 0 "
          "1</rotation></symmetry></symmetries>\n");
  fprintf(x,
          "<basis_set><gamma_only>false</gamma_only><ecutwfc>%.6e</ecutwfc><ecutrho>%.6e</ecutrho>"
          "<fft_grid nr1=\"16\" nr2=\"16\" nr3=\"16\"></fft_grid><reciprocal_lattice><b1>1 0 0</b1><b2>0 1 "
          "0</b2><b3>0 0 1</b3></reciprocal_lattice></basis_set>\n",
          0.5 * (kneed + 2 * b) * (kneed + 2 * b), 2.0 * (kneed + 2 * b) * (kneed + 2 * b));
  fprintf(x, "<magnetization><lsda>false</lsda><noncolin>false</noncolin></magnetization>\n");
  fprintf(x,
          "<band_structure><lsda>false</lsda><nbnd>%d</nbnd><nelec>1</nelec><fermi_energy>%.15e</fermi_energy>"
          "<starting_k_points><monkhorst_pack nk1=\"%d\" nk2=\"%d\" nk3=\"%d\" k1=\"0\" k2=\"0\" "
          "k3=\"0\">Monkhorst-Pack</monkhorst_pack></starting_k_points><nks>%d</nks>"
          "<occupations_kind>smearing</occupations_kind><smearing degauss=\"%.15e\">gaussian</smearing>\n",
          nbnd, mu, NK, NK, NK, NK * NK * NK, sg);
  pw_t *list = malloc(sizeof(pw_t) * (size_t)(2 * M + 1) * (2 * M + 1) * (2 * M + 1));
  double complex *evc = calloc((size_t)nbnd * nbnd, sizeof(double complex));
  int *mill = malloc(sizeof(int) * 3 * (size_t)nbnd);
  int ok = list && evc && mill && all;
  for (int ik = 0; ik < NK * NK * NK && ok; ik++) {
    const double k[3] = {(double)(ik / (NK * NK)) / NK, (double)((ik / NK) % NK) / NK, (double)(ik % NK) / NK};
    const int c = pw_box(k, M, b, list);
    qsort(list, (size_t)c, sizeof *list, pw_cmp);
    ok &= list[nbnd - 1].p2 < (M - 1) * b * (M - 1) * b; /* the box held every band */
    fprintf(x, "<ks_energies><k_point weight=\"%.15e\">%.15e %.15e %.15e</k_point><npw>%d</npw>", 2.0 / (NK * NK * NK),
            k[0], k[1], k[2], nbnd);
    fprintf(x, "<eigenvalues size=\"%d\">", nbnd);
    for (int n = 0; n < nbnd; n++) fprintf(x, " %.15e", 0.5 * list[n].p2);
    fprintf(x, "</eigenvalues><occupations size=\"%d\">", nbnd);
    for (int n = 0; n < nbnd; n++) fprintf(x, " %.15e", chi0pw_occ(SMEAR_GAUSS, (mu - 0.5 * list[n].p2) / sg));
    fprintf(x, "</occupations></ks_energies>\n");
    /* wfc<ik>.dat: header records, b1..b3, Miller indices, one unit vector per band */
    snprintf(path, sizeof path, "%s/gas.save/wfc%d.dat", dir, ik + 1);
    FILE *w = fopen(path, "wb");
    unsigned char r1[44];
    int32_t i1 = ik + 1, spin = 1, gam = 0, r2[4] = {nbnd, nbnd, 1, nbnd};
    double xk[3] = {b * k[0], b * k[1], b * k[2]}, scalef = 1, bv[9] = {b, 0, 0, 0, b, 0, 0, 0, b};
    memcpy(r1, &i1, 4), memcpy(r1 + 4, xk, 24), memcpy(r1 + 28, &spin, 4), memcpy(r1 + 32, &gam, 4);
    memcpy(r1 + 36, &scalef, 8);
    frec(w, r1, 44);
    frec(w, r2, 16);
    frec(w, bv, 72);
    for (int n = 0; n < nbnd; n++)
      for (int d = 0; d < 3; d++) mill[3 * n + d] = list[n].m[d];
    frec(w, mill, (int32_t)(12 * nbnd));
    for (int n = 0; n < nbnd; n++) {
      memset(evc, 0, sizeof(double complex) * (size_t)nbnd);
      evc[n] = 1.0;
      frec(w, evc, (int32_t)(16 * nbnd));
    }
    ok &= fclose(w) == 0;
  }
  fprintf(x, "</band_structure>\n</output>\n</qes:espresso>\n");
  ok &= fclose(x) == 0;
  check(ok, "wrote the free-electron save folder");
  snprintf(path, sizeof path, "%s/gas.save", dir);
  agape_qe_save s;
  if (!check(agape_qe_save_read(path, &s) == AGAPE_OK, "AGAPE reads it")) return check_summary();

  /* chi0 and W at q on the grid: q = 0 (compressibility), along an axis, a face and a body
   * diagonal, with |q + G| <= gmax reaching past 2 k_F */
  const int qs[5][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {2, 1, 1}, {3, 3, 3}};
  double emax = 0, wmax = 0, offd = 0, xmax = 0, ea = 0, eb = 0, wl = 0;
  int nel = 0;
  for (int iq = 0; iq < 5; iq++) {
    agape_qe_chi0 c;
    if (!check(agape_qe_chi0_compute(NULL, &s, qs[iq], GMAX, 1e4, &c) == AGAPE_OK, "chi0 at q = (%d %d %d)/%d",
               qs[iq][0], qs[iq][1], qs[iq][2], NK))
      continue;
    double complex *W = malloc(sizeof(double complex) * (size_t)c.ng * c.ng);
    const int rc = chi0pw_screen(c.ng, c.chi, c.qg, W);
    double big = 0;
    for (int g = 0; g < c.ng * c.ng; g++) big = fmax(big, cabs(c.chi[g]));
    for (int g = 0; g < c.ng; g++) {
      for (int h = 0; h < c.ng; h++)
        if (h != g) offd = fmax(offd, cabs(c.chi[(size_t)g * c.ng + h]) / big);
      const double ref = lindhard_smeared(c.qg[g], mu, sg) / AGAPE_HARTREE_EV; /* 1/(eV bohr^3) */
      const double got = creal(c.chi[(size_t)g * c.ng + g]);
      double Q[3];
      for (int d = 0; d < 3; d++) Q[d] = c.q[d] + b * c.gl[3 * g + d];
      const double l6 = lattice_sum(NK, b, a * a * a, kocc + GMAX + b, Q, mu, sg);
      const double l12 = lattice_sum(2 * NK, b, a * a * a, kocc + GMAX + b, Q, mu, sg);
      ea = fmax(ea, fabs(got - l6) / fabs(l6));
      eb = fmax(eb, fabs(l12 - ref) / fabs(ref));
      emax = fmax(emax, fabs(got - ref) / fabs(ref));
      if (getenv("LINDHARD_VERBOSE"))
        printf("  q %d |q+G|/2kF %.4f chi0 %.10e lattice %.10e ref %.10e\n", iq, c.qg[g] / (2 * kf), got, l6, ref);
      xmax = fmax(xmax, c.qg[g] / (2 * kf));
      if (!rc && c.qg[g] > 0) {
        const double vinv = c.qg[g] * c.qg[g] / (4 * PI * AGAPE_HARTREE_EV);
        const double wref = 1 / (vinv - got), wgot = creal(W[(size_t)g * c.ng + g]);
        wmax = fmax(wmax, fabs(wgot - wref) / fabs(wref));
        wl = fmax(wl, fabs(wgot - 1 / (vinv - ref)) / fabs(1 / (vinv - ref)));
      }
      nel++;
    }
    check(rc == 0, "W = (v^-1 - chi0)^-1 at q = (%d %d %d)/%d (%d G)", qs[iq][0], qs[iq][1], qs[iq][2], NK, c.ng);
    free(W);
    agape_qe_chi0_destroy(&c);
  }
  check_le(ea, 1e-10, "(a) chi0_GG(q) = the direct lattice sum on the same 6^3 grid (%d elements): max relative error",
           nel);
  check_le(eb, 1e-8, "(b) the lattice sum on 12^3 = the smeared Lindhard function: max relative error");
  check_le(emax, 1e-4,
           "(c) chi0_GG(q) on 6^3 = the smeared Lindhard function at |q + G| (|q + G|/2k_F up to %.2f): "
           "max relative error",
           xmax);
  check_le(offd, 1e-12, "no local fields in the gas: max |chi0_GG'| (G != G') / max |chi0|");
  check_le(wmax, 1e-12, "W_GG = 1/(v^-1 - chi0_GG) (q + G != 0): max relative error");
  check_le(wl, 1e-4, "W_GG = 1/(v^-1 - chi_Lindhard) on 6^3: max relative error");
  agape_qe_save_destroy(&s);
  free(all);
  free(list);
  free(evc);
  free(mill);
  return check_summary();
}
