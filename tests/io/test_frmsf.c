/* FermiSurfer files of the gap (src/output/frmsf.c).
 *
 *   test_frmsf epw    EPW data: the repository's fixtures (tests/data: MgB2 tiny cut to 2 eV, Pb),
 *                     and with "epw-shared" the uncut MgB2 sets of the shared data folder (tiny,
 *                     k12q3; exit 77, skipped, naming the folder when absent). Every state gets
 *                     its own gap (s + 1 meV, exact in the file's 10 digits) and the file is read
 *                     back: the header (grid = EPW's fine k mesh, switch 1, bands, reciprocal
 *                     vectors = crystal.fmt's bg), nbnd x nk1 nk2 nk3 energies and values and
 *                     nothing more; the entries with energy inside the window number the window
 *                     states of the full grid, sum over irreducible k of (star size x window
 *                     bands), star sizes counted from ikmap and checked against EPW's weights
 *                     (star/N = w_k/2); every such entry carries the xi and the gap of the state
 *                     of its irreducible representative and band, every other entry gap 0.
 *                     Without crystal.fmt (a folder of the test's own): the identity, flagged.
 *   test_frmsf        XB12 model (CsB12, the 6,000 Monte-Carlo states of inputs/CsB12.in):
 *                     the interpolation onto the 32^3 grid of a gap known analytically,
 *                     f(k, n) = 1 + 0.3 n + 0.5 cos(2 pi kx) cos(2 pi ky) + 0.25 sin(2 pi kz) meV,
 *                     evaluated at each entry's foot point on the Fermi surface (checked: xi = 0
 *                     there, within two grid spacings of the grid point).
 *                     The coefficients sum to 1 and reproduce linear functions (sum c u = 0) where
 *                     the linear fit is used; at every entry the error is within the Taylor bound
 *                     G |sum c u| + (M/2) sum |c| |u|^2 (G, M: bounds of |grad f| and of the
 *                     Hessian's norm; u: displacement of a state from the grid point); the rms
 *                     error is below one step of a 64-colour scale over the spread of f; with four
 *                     times the states (24,000) the rms error falls by more than 2 (second order,
 *                     h^2 ~ N^(-2/3): 0.40; a first-order rule, the weighted mean: 0.63); and the
 *                     file written by agape_frmsf_write_model reads back with these values. */
#include "check.h" /* first: it sets the POSIX level */
#include "agape/frmsf.h"
#include "agape/epw.h"
#include "agape/epw_mesh.h"
#include "agape/material.h"
#include "agape/sampling.h"
#include "agape/parallel.h"
#include "agape/units.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AGAPE_SHARED_DATA
#define AGAPE_SHARED_DATA "../shared/data"
#endif
#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif

/* A FermiSurfer file read back. */
typedef struct {
  int nk[3], shift, nbnd;
  double b[9];
  int64_t n; /* nbnd * nk1 * nk2 * nk3 */
  double *eig, *val;
  int extra; /* tokens after the values (must be 0) */
} fs_file;

static int read_frmsf(const char *path, fs_file *f)
{
  memset(f, 0, sizeof *f);
  FILE *in = fopen(path, "r");
  if (!in) return -1;
  int ok = fscanf(in, "%d %d %d %d %d", &f->nk[0], &f->nk[1], &f->nk[2], &f->shift, &f->nbnd) == 5;
  for (int i = 0; i < 9 && ok; i++) ok = fscanf(in, "%lf", &f->b[i]) == 1;
  if (ok) {
    f->n = (int64_t)f->nbnd * f->nk[0] * f->nk[1] * f->nk[2];
    f->eig = malloc(sizeof(double) * (size_t)f->n);
    f->val = malloc(sizeof(double) * (size_t)f->n);
    ok = f->eig && f->val;
  }
  for (int64_t i = 0; i < f->n && ok; i++) ok = fscanf(in, "%lf", &f->eig[i]) == 1;
  for (int64_t i = 0; i < f->n && ok; i++) ok = fscanf(in, "%lf", &f->val[i]) == 1;
  char tok[64];
  while (ok && fscanf(in, "%63s", tok) == 1) f->extra++;
  fclose(in);
  return ok ? 0 : -1;
}

static void free_frmsf(fs_file *f)
{
  free(f->eig);
  free(f->val);
}

/* ---- EPW ----------------------------------------------------------------------------- */

typedef struct {
  const char *dir; /* relative to tests/data (fixture) or to the shared folder */
  int fixture;
  double eps_cm;
  double b[9]; /* bg of crystal.fmt (2 pi/alat), to 1e-9; the identity without crystal.fmt */
} epw_set;

static const epw_set sets[] = {
  {"mgb2-tiny-epw/MgB2.ephmat",
   1,
   5,
   {1.0000000000000344, 0.57735026918960486, 0, 0, 1.1547005383792097, 0, 0, 0, 0.87560352172681510}},
  {"pb-epw/pb.ephmat", 1, 2, {-1, -1, 1, 1, 1, 1, -1, 1, -1}}, /* fcc: bg of its crystal.fmt */
  {"mgb2-epw/tiny/MgB2.ephmat",
   0,
   5,
   {1.0000000000000344, 0.57735026918960486, 0, 0, 1.1547005383792097, 0, 0, 0, 0.87560352172681510}},
  {"mgb2-epw/k12q3/MgB2.ephmat",
   0,
   2,
   {1.0000000000000344, 0.57735026918960486, 0, 0, 1.1547005383792097, 0, 0, 0, 0.87560352172681510}},
};
#define NSETS ((int)(sizeof sets / sizeof sets[0]))

/* the sets of one kind (fixture 1: under tests/data; 0: under the shared folder base) */
static int run_epw(const char *base, int fixture, const char *tmp)
{
  for (size_t r = 0; r < sizeof sets / sizeof sets[0]; r++) {
    if (sets[r].fixture != fixture) continue;
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/%s", base, sets[r].dir);
    agape_epw e;
    if (agape_epw_read(dir, sets[r].eps_cm, &e) != AGAPE_OK) {
      check(0, "%s: read", sets[r].dir);
      continue;
    }
    const int nb = e.nbndfst;
    const int64_t full = (int64_t)e.nkf[0] * e.nkf[1] * e.nkf[2];
    double *delta = malloc(sizeof(double) * 2 * (size_t)e.ns);
    for (int s = 0; s < e.ns; s++) {
      delta[s] = s + 1;
      delta[e.ns + s] = -(s + 1) * 0.5;
    }
    double temps[2] = {1.5, 12};
    char res[2100];
    snprintf(res, sizeof res, "%s/set%zu/results.h5", tmp, r);
    char sub[2100];
    snprintf(sub, sizeof sub, "%s/set%zu", tmp, r);
    mkdir(sub, 0777);
    agape_crystal cr;
    int hb = agape_epw_crystal_read(dir, &cr) == AGAPE_OK;
    agape_err err = agape_epw_frmsf_write(res, &e, hb ? cr.bg : NULL, dir, 2, temps, delta, e.ns);
    agape_crystal_destroy(&cr);
    check(err == AGAPE_OK, "%s: agape_epw_frmsf_write", sets[r].dir);

    /* star sizes from ikmap, against EPW's weights */
    int64_t *star = calloc((size_t)e.nkfs, sizeof(int64_t)), inwin = 0;
    for (int64_t q = 0; q < full; q++)
      if (e.ixkff[q] > 0) star[e.ixkff[q] - 1]++;
    double werr = 0;
    for (int ik = 0; ik < e.nkfs; ik++) {
      werr = fmax(werr, fabs((double)star[ik] / full - 0.5 * e.wkfs[ik]));
      for (int b = 0; b < nb; b++)
        if (e.s_of[(size_t)ik * nb + b] >= 0) inwin += star[ik];
    }
    check(werr < 1e-12, "%s: star sizes from ikmap = N w_k/2 of egnv (max |star/N - w_k/2| = %.1e)", sets[r].dir, werr);

    for (int it = 0; it < 2; it++) {
      char path[2200];
      snprintf(path, sizeof path, "%s/gap_T%06.2fK.frmsf", sub, temps[it]);
      fs_file f;
      int rd = read_frmsf(path, &f);
      check(rd == 0 && f.extra == 0, "%s: %s parses: header + %lld energies + %lld values, %d tokens more", sets[r].dir,
            strrchr(path, '/') + 1, (long long)f.n, (long long)f.n, f.extra);
      if (rd) continue;
      check(f.nk[0] == e.nkf[0] && f.nk[1] == e.nkf[1] && f.nk[2] == e.nkf[2] && f.shift == 1 && f.nbnd == nb,
            "%s: header %d %d %d / switch %d / %d bands (EPW: %d %d %d, Gamma-centred, %d bands)", sets[r].dir, f.nk[0],
            f.nk[1], f.nk[2], f.shift, f.nbnd, e.nkf[0], e.nkf[1], e.nkf[2], nb);
      double berr = 0;
      for (int i = 0; i < 9; i++) berr = fmax(berr, fabs(f.b[i] - sets[r].b[i]));
      check(berr < 1e-9, "%s: reciprocal vectors = bg of crystal.fmt (max difference %.1e)", sets[r].dir, berr);
      /* entries inside the window, and the exact mapping */
      int64_t cnt = 0, badmap = 0, badxi = 0, badzero = 0;
      const double *d = delta + (size_t)it * e.ns;
      for (int b = 0; b < nb; b++)
        for (int64_t q = 0; q < full; q++) {
          int64_t i = (int64_t)b * full + q;
          int ik = e.ixkff[q] - 1, s = ik >= 0 ? e.s_of[(size_t)ik * nb + b] : -1;
          int in = fabs(f.eig[i]) < 1.0005 * e.fsthick;
          cnt += in;
          if (in != (s >= 0)) badmap++;
          if (s >= 0) {
            if (f.val[i] != d[s]) badmap++;
            if (fabs(f.eig[i] - e.s_xi[s]) > 1e-9 * fmax(fabs(e.s_xi[s]), 1e-3)) badxi++;
          } else if (f.val[i] != 0)
            badzero++;
        }
      check(cnt == inwin,
            "%s T = %g K: %lld entries in the window = %lld window states on the full grid "
            "(sum of star sizes x window bands; %d irreducible states)",
            sets[r].dir, temps[it], (long long)cnt, (long long)inwin, e.ns);
      check(badmap == 0 && badzero == 0,
            "%s T = %g K: every window entry carries the gap of its state "
            "(%lld wrong), every other entry 0 (%lld wrong)",
            sets[r].dir, temps[it], (long long)badmap, (long long)badzero);
      check(badxi == 0, "%s T = %g K: every window entry carries xi of its state (%lld wrong)", sets[r].dir, temps[it],
            (long long)badxi);
      /* where the surface lies: sign changes of xi between grid neighbours, and how many of
       * them touch a point outside the Fermi shell (energies continued, not data; reported) */
      if (it == 0) {
        int64_t edges = 0, outer = 0;
        for (int b = 0; b < nb; b++)
          for (int64_t q = 0; q < full; q++) {
            int i0 = (int)(q / ((int64_t)e.nkf[1] * e.nkf[2])), j0 = (int)((q / e.nkf[2]) % e.nkf[1]),
                l0 = (int)(q % e.nkf[2]);
            int64_t nbr[3] = {((int64_t)((i0 + 1) % e.nkf[0]) * e.nkf[1] + j0) * e.nkf[2] + l0,
                              ((int64_t)i0 * e.nkf[1] + (j0 + 1) % e.nkf[1]) * e.nkf[2] + l0,
                              ((int64_t)i0 * e.nkf[1] + j0) * e.nkf[2] + (l0 + 1) % e.nkf[2]};
            for (int t = 0; t < 3; t++)
              if ((f.eig[(size_t)b * full + q] < 0) != (f.eig[(size_t)b * full + nbr[t]] < 0)) {
                edges++;
                if (e.ixkff[q] == 0 || e.ixkff[nbr[t]] == 0) outer++;
              }
          }
        printf("  %s: %lld grid edges cross xi = 0, %lld of them touch a point outside the Fermi shell\n", sets[r].dir,
               (long long)edges, (long long)outer);
        check(edges > outer, "%s: the zero surface crosses grid edges between Fermi-shell points", sets[r].dir);
      }
      free_frmsf(&f);
    }
    char leftover[2200];
    snprintf(leftover, sizeof leftover, "%s/gap_T%06.2fK.frmsf.tmp.%ld", sub, temps[0], (long)getpid());
    check(access(leftover, F_OK) != 0, "%s: no temporary file left", sets[r].dir);
    free(star);
    free(delta);
    agape_epw_destroy(&e);
  }
  /* a folder without crystal.fmt (the test's temporary folder): the identity, and a note */
  if (fixture) {
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/%s", base, sets[1].dir);
    agape_epw e;
    if (agape_epw_read(dir, 2, &e) == AGAPE_OK) {
      agape_frmsf_grid g;
      agape_crystal cr;
      int hb = agape_epw_crystal_read(tmp, &cr) == AGAPE_OK;
      check(!hb && agape_epw_frmsf_grid(&e, hb ? cr.bg : NULL, &g) == AGAPE_OK && !g.bvec_from_file && g.bvec[0] == 1 &&
              g.bvec[4] == 1 && g.bvec[8] == 1 && g.bvec[1] == 0,
            "no crystal.fmt: identity reciprocal vectors, flagged");
      agape_frmsf_grid_free(&g);
      agape_epw_destroy(&e);
    }
  }
  return 0;
}

/* ---- XB12 model ---------------------------------------------------------------------- */

#define TWO_PI (2.0 * AGAPE_PI)
#define SIGMA  0.010 /* the default [sampling] fs_smearing_meV, eV */
static double f_ana(const double *k, int b)
{
  return 1 + 0.3 * b + 0.5 * cos(TWO_PI * k[0]) * cos(TWO_PI * k[1]) + 0.25 * sin(TWO_PI * k[2]);
}

static const agape_par *test_par; /* MPI_COMM_WORLD (the material stage is collective) */
static void bands_cb(const void *ctx, const double k[3], double *xi)
{
  const agape_material *m = ctx;
  m->bands(m, k, xi);
}

static int run_model(const char *tmp, int64_t npoints, int write_file, double *rms_out)
{
  agape_params p;
  agape_params_defaults(&p);
  p.source = MAT_MODEL;
  snprintf(p.name, sizeof p.name, "CsB12");
  p.npoints = npoints;
  p.seed = 1;
  p.energy_window_eV = 5;
  agape_material m;
  agape_states st;
  if (agape_material_create(test_par, &p, 0.0, &m) != AGAPE_OK || agape_states_create(&p, &m, &st) != AGAPE_OK) {
    check(0, "CsB12: material and %lld Monte-Carlo states", (long long)npoints);
    return 0;
  }
  agape_frmsf_grid g;
  agape_frmsf_stencil s;
  double bvec[9] = {0};
  for (int d = 0; d < 3; d++) bvec[4 * d] = TWO_PI / m.lattice_A;
  int ok = agape_frmsf_bands_grid(AGAPE_FRMSF_MODEL_GRID, m.nbands, bvec, bands_cb, &m, &g) == AGAPE_OK &&
    agape_frmsf_stencil_create(&g, st.n_mc, st.k, st.band, st.xi, SIGMA, bands_cb, &m, &s) == AGAPE_OK;
  check(ok, "CsB12, %lld states: grid %d^3 and interpolation coefficients", (long long)npoints, AGAPE_FRMSF_MODEL_GRID);
  if (!ok) return 0;
  double *delta = malloc(sizeof(double) * (size_t)st.n);
  for (int64_t i = 0; i < st.n; i++) delta[i] = i < st.n_mc ? f_ana(st.k + 3 * i, st.band[i]) : 1e9;
  agape_frmsf_stencil_apply(&s, delta, &g);

  /* f is compared at the foot points, where the fit is evaluated.
   * G >= |grad f| = 2 pi |(0.5 s c', 0.5 c s', 0.25 c'')|; M >= Hessian 2-norm: the (x, y)
   * block of 0.5 cos cos has norm <= 0.5 (2 pi)^2 and the z entry 0.25 (2 pi)^2 */
  const double G = TWO_PI * sqrt(0.25 + 0.25 + 0.0625), M = 0.5 * TWO_PI * TWO_PI;
  const int64_t full = (int64_t)g.nk[0] * g.nk[1] * g.nk[2];
  const int n = g.nk[0];
  double sum_err = 0, max_err = 0, max_ratio = 0, csum_err = 0, repro = 0, flo = INFINITY, fhi = -INFINITY, hmax = 0;
  int64_t over = 0, lin = 0, badfoot = 0;
  double xfmax = 0, dfmax = 0;
  for (int64_t p2 = 0; p2 < s.npts; p2++) {
    int b = (int)(s.at[p2] / full);
    int64_t q = s.at[p2] % full;
    double k0[3] = {(double)(q / ((int64_t)n * n)) / n, (double)((q / n) % n) / n, (double)(q % n) / n};
    const double *kq = s.kf + 3 * p2; /* the foot point on the Fermi surface */
    double xi[16], df2 = 0;
    m.bands(&m, kq, xi);
    for (int d = 0; d < 3; d++) {
      double t = kq[d] - k0[d];
      t -= nearbyint(t);
      df2 += t * t;
    }
    xfmax = fmax(xfmax, fabs(xi[b]));
    dfmax = fmax(dfmax, sqrt(df2) * n);
    if (!(fabs(xi[b]) < 1e-6) || sqrt(df2) * n > 2) badfoot++;
    double fx = f_ana(kq, b), cs = 0, cu[3] = {0, 0, 0}, quad = 0;
    for (int j = 0; j < s.K; j++) {
      double c = s.coef[(size_t)p2 * s.K + j];
      const double *ks = st.k + 3 * s.idx[(size_t)p2 * s.K + j];
      double u[3], u2 = 0;
      for (int d = 0; d < 3; d++) {
        u[d] = ks[d] - kq[d];
        u[d] -= nearbyint(u[d]);
        u2 += u[d] * u[d];
        cu[d] += c * u[d];
      }
      if (c != 0 && st.band[s.idx[(size_t)p2 * s.K + j]] != b) over++; /* a state of another band */
      cs += c;
      quad += fabs(c) * u2;
    }
    double cun = sqrt(cu[0] * cu[0] + cu[1] * cu[1] + cu[2] * cu[2]);
    if (cun < 1e-12 * (s.h[p2] > 0 ? s.h[p2] : 1)) {
      lin++;
      repro = fmax(repro, cun / (s.h[p2] > 0 ? s.h[p2] : 1));
    }
    csum_err = fmax(csum_err, fabs(cs - 1));
    double err = fabs(g.val[s.at[p2]] - fx);
    double bound = G * cun + 0.5 * M * quad + 1e-12;
    max_ratio = fmax(max_ratio, err / bound);
    max_err = fmax(max_err, err);
    sum_err += err * err;
    flo = fmin(flo, fx);
    fhi = fmax(fhi, fx);
    hmax = fmax(hmax, s.h[p2]);
  }
  double rms = sqrt(sum_err / (s.npts ? s.npts : 1)), spread = fhi - flo;
  printf("  CsB12, %lld states: %lld grid entries next to the Fermi surface; %lld by the local linear fit, %lld by the "
         "weighted "
         "mean; bandwidth <= %.4f; error max %.2e, rms %.2e; spread of f %.3f\n",
         (long long)npoints, (long long)s.npts, (long long)(s.npts - s.nmean), (long long)s.nmean, hmax, max_err, rms,
         spread);
  check(s.npts > 1000, "CsB12: %lld entries next to the Fermi surface", (long long)s.npts);
  check(badfoot == (int64_t)s.nfoot,
        "CsB12: every foot point lies on the Fermi surface of its band (max |xi| %.1e eV) "
        "within two grid spacings of its grid point (max %.2f); %lld at the grid point itself",
        xfmax, dfmax, (long long)s.nfoot);
  check(over == 0, "CsB12: coefficients only on states of the entry's band (%lld not)", (long long)over);
  check(csum_err < 1e-12, "CsB12: coefficients sum to 1 (max deviation %.1e)", csum_err);
  check(lin == s.npts - s.nmean, "CsB12: the %lld linear-fit entries reproduce linear functions (|sum c u|/h <= %.1e)",
        (long long)lin, repro);
  check(max_ratio <= 1,
        "CsB12: error within the Taylor bound G|sum c u| + M/2 sum|c||u|^2 at every entry "
        "(largest error/bound %.3f)",
        max_ratio);
  check(rms < spread / 64,
        "CsB12: rms error %.2e below one step (1/64) of a 64-colour scale over the spread %.3f "
        "of f",
        rms, spread);

  *rms_out = rms;
  /* the file of the model's write_frmsf */
  if (write_file) {
    char res[2100], path[2200];
    snprintf(res, sizeof res, "%s/model/results.h5", tmp);
    snprintf(path, sizeof path, "%s/model", tmp);
    mkdir(path, 0777);
    double T = 12;
    agape_err err = m.write_frmsf(&m, res, st.n_mc, st.k, st.band, st.xi, SIGMA, 1, &T, delta, st.n);
    snprintf(path, sizeof path, "%s/model/gap_T012.00K.frmsf", tmp);
    fs_file f;
    int rd = err == AGAPE_OK ? read_frmsf(path, &f) : -1;
    check(rd == 0 && f.extra == 0 && f.nk[0] == n && f.nk[1] == n && f.nk[2] == n && f.shift == 1 && f.nbnd == m.nbands,
          "CsB12: gap_T012.00K.frmsf parses: %d^3 grid, switch 1, %d bands", n, m.nbands);
    if (rd == 0) {
      double bmax = 0, dmax = 0, ba = TWO_PI / m.lattice_A;
      for (int i = 0; i < 9; i++) bmax = fmax(bmax, fabs(f.b[i] - (i % 4 == 0 ? ba : 0)));
      for (int64_t i = 0; i < f.n; i++) /* relative; an entry 0 must read back as 0 */
        dmax = fmax(dmax, g.val[i] == 0 ? fabs(f.val[i]) : fabs(f.val[i] - g.val[i]) / fabs(g.val[i]));
      double emax = 0;
      for (int64_t i = 0; i < f.n; i++) emax = fmax(emax, fabs(f.eig[i] - g.eig[i]) / fmax(fabs(g.eig[i]), 1e-6));
      check(bmax < 1e-9 * ba && dmax < 1e-9 && emax < 1e-9,
            "CsB12: the file holds b = 2 pi/a, the grid energies "
            "and the interpolated gaps (relative differences %.1e, %.1e, %.1e)",
            bmax / ba, emax, dmax);
      free_frmsf(&f);
    }
  }
  free(delta);
  agape_frmsf_stencil_free(&s);
  agape_frmsf_grid_free(&g);
  agape_states_destroy(&st);
  agape_material_destroy(&m);
  agape_params_free(&p);
  return 0;
}

int main(int argc, char **argv)
{
  agape_par par;
  if (agape_par_init(&argc, &argv, &par)) return 1;
  test_par = &par;
  if (argc > 1 && strcmp(argv[1], "epw-shared") == 0) {
    char shared[1024];
    const char *env = getenv("AGAPE_SHARED_DATA"); /* override of the folder beside the checkout */
    snprintf(shared, sizeof shared, "%s", env && env[0] ? env : AGAPE_SHARED_DATA);
    for (int r = 0; r < NSETS; r++) {
      char probe[2200];
      snprintf(probe, sizeof probe, "%s/%s/egnv", shared, sets[r].dir);
      if (!sets[r].fixture && access(probe, R_OK) != 0) {
        printf("SKIPPED: the shared EPW data set %s/%s is absent (set AGAPE_SHARED_DATA to the shared data folder)\n",
               shared, sets[r].dir);
        agape_par_finalize(&par);
        return 77;
      }
    }
    run_epw(shared, 0, check_tmpdir("frmsf"));
  } else if (argc > 1 && strcmp(argv[1], "epw") == 0) {
    run_epw(AGAPE_TEST_DATA, 1, check_tmpdir("frmsf"));
  } else {
    const char *tmp = check_tmpdir("frmsf");
    double r1 = NAN, r4 = NAN;
    run_model(tmp, 6000, 1, &r1); /* the states of inputs/CsB12.in */
    run_model(tmp, 24000, 0, &r4);
    check(r4 < 0.5 * r1, "CsB12: four times the states, rms error %.2e -> %.2e (ratio %.2f < 0.5)", r1, r4, r4 / r1);
  }
  int rc = check_summary();
  agape_par_finalize(&par);
  return rc;
}
