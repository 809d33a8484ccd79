/* Material stage (see include/agape/material.h): the table of material sources, the calls
 * every stage makes through the interface, and the alpha^2F helpers the sources share. */
#include "agape/material.h"
#include "sources.h"
#include "agape/units.h"
#include "agape/qe_save.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <math.h>
#include <errno.h>
#include <ctype.h>

/* The alpha^2F file formats people have, told apart by the header lines before the data. */
typedef enum {
  A2F_PLAIN = 0, /* two columns: omega in meV, alpha^2F (AGAPE's own) */
  A2F_QE,        /* Quantum ESPRESSO a2F.dos<N>: omega in Ry, alpha^2F total, then per mode */
  A2F_EPW,       /* EPW prefix.a2f: omega in meV, alpha^2F for several phonon smearings, then lambda(omega) */
  A2F_EPW_ISO    /* EPW prefix.a2f_iso: omega in meV, alpha^2F (then per mode in newer versions) */
} a2f_format;

static const char *const a2f_format_names[] = {
  "two columns (omega in meV, alpha^2F)",
  "Quantum ESPRESSO a2F.dos (omega in Ry, converted to meV; column 2, the total alpha^2F)",
  "EPW .a2f (omega in meV; column 2, alpha^2F of the first phonon smearing)",
  "EPW .a2f_iso (omega in meV; column 2, alpha^2F)"};

/* The format of a header line (lowercase copy in low), or -1 if it tells nothing; sets
 * *foreign when it names a frequency unit AGAPE does not read. */
static int a2f_header_format(const char *line, int *foreign)
{
  char low[512];
  size_t n = 0;
  for (; line[n] && n < sizeof low - 1; n++) low[n] = (char)tolower((unsigned char)line[n]);
  low[n] = '\0';
  if (strstr(low, "rydberg") || strstr(low, "[ry]") || strstr(low, "(ry)")) return A2F_QE;
  if (strstr(low, "w[mev]") && strstr(low, "smearing")) return A2F_EPW;
  if (strstr(low, "w[mev]")) return A2F_EPW_ISO;
  if (strstr(low, "thz") || strstr(low, "cm-1") || strstr(low, "cm^-1") || strstr(low, "[ev]") || strstr(low, "(ev)") ||
      strstr(low, "hartree") || strstr(low, "kelvin"))
    *foreign = 1;
  return -1;
}

agape_err agape_a2f_read(const char *path, int *npts, double **omega_meV, double **a2f, const char **format)
{
  FILE *f = fopen(path, "r");
  if (!f) return agape_error(AGAPE_ERR_IO, "%s: cannot open alpha^2F file: %s", path, strerror(errno));
  int cap = 256, n = 0, lineno = 0, seen_data = 0, ended = 0, fmt = A2F_PLAIN, foreign = 0;
  double *w = malloc(sizeof(double) * cap), *a = malloc(sizeof(double) * cap);
  char line[4096];
  agape_err err = AGAPE_OK;
  if (!w || !a) {
    err = AGAPE_ERR_NOMEM;
    goto done;
  }
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') continue;
    if (*s == '#') {
      if (!seen_data) {
        int h = a2f_header_format(s, &foreign);
        if (h >= 0) fmt = h;
      }
      continue;
    }
    char *e1, *e2;
    double x = strtod(s, &e1);
    if (e1 == s) { /* a text line: header before the data or footer after it */
      if (!seen_data) {
        int h = a2f_header_format(s, &foreign);
        if (h >= 0) fmt = h;
      } else
        ended = 1;
      continue;
    }
    if (!seen_data && foreign && fmt == A2F_PLAIN) {
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s: the header names a frequency unit AGAPE does not read; expected omega in meV "
                        "(two columns), a Quantum ESPRESSO a2F.dos file (Ry) or an EPW .a2f/.a2f_iso file",
                        path);
      goto done;
    }
    double y = strtod(e1, &e2);
    if (e2 == e1 || !isfinite(x) || !isfinite(y)) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: expected numbers (omega, alpha^2F)", path, lineno);
      goto done;
    }
    /* the rest of the line: more numbers only where the format has more columns */
    char *r = e2;
    int extra = 0;
    for (;;) {
      while (isspace((unsigned char)*r)) r++;
      if (*r == '\0' || *r == '#') break;
      char *e3;
      (void)strtod(r, &e3);
      if (e3 == r) {
        int len = (int)strcspn(r, "\r\n");
        err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: unexpected text after the numbers: \"%.*s\"", path, lineno,
                          len < 40 ? len : 40, r);
        goto done;
      }
      r = e3;
      extra++;
    }
    if (extra > 0 && fmt == A2F_PLAIN) {
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s:%d: %d columns, expected 2 (omega in meV, alpha^2F); a file with more columns is read "
                        "only when its header says what they are (Quantum ESPRESSO a2F.dos, EPW .a2f)",
                        path, lineno, 2 + extra);
      goto done;
    }
    if (ended) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: data after a text line inside the table", path, lineno);
      goto done;
    }
    if (fmt == A2F_QE) x *= AGAPE_RY_EV * 1e3; /* Ry -> meV */
    if (x < 0 || y < 0) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: omega and alpha^2F must be >= 0 (got %g %g)", path, lineno, x, y);
      goto done;
    }
    if (y > 0 && (x < AGAPE_A2F_OMEGA_MIN_MEV || x > AGAPE_A2F_OMEGA_MAX_MEV)) {
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s:%d: alpha^2F = %g at omega = %g meV: phonon frequencies lie between %g and %g meV "
                        "(is the unit right?)",
                        path, lineno, y, x, AGAPE_A2F_OMEGA_MIN_MEV, AGAPE_A2F_OMEGA_MAX_MEV);
      goto done;
    }
    if (n > 0 && x <= w[n - 1]) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: omega must increase (%g after %g)", path, lineno, x, w[n - 1]);
      goto done;
    }
    if (n == cap) {
      cap *= 2;
      double *w2 = realloc(w, sizeof(double) * cap), *a2 = realloc(a, sizeof(double) * cap);
      if (w2) w = w2;
      if (a2) a = a2;
      if (!w2 || !a2) {
        err = AGAPE_ERR_NOMEM;
        goto done;
      }
    }
    w[n] = x;
    a[n] = y;
    n++;
    seen_data = 1;
  }
  if (n < 2) err = agape_error(AGAPE_ERR_FORMAT, "%s: fewer than two data lines", path);
done:
  fclose(f);
  if (err) {
    free(w);
    free(a);
    return err;
  }
  *npts = n;
  *omega_meV = w;
  *a2f = a;
  if (format) *format = a2f_format_names[fmt];
  return AGAPE_OK;
}

/* Integrals of piecewise-linear a2f: I0 = int a2f/omega, I1 = int a2f ln(omega)/omega,
 * by the trapezoid rule on the data points; a point at omega = 0 contributes 0. */
void agape_a2f_moments(int npts, const double *omega, const double *a2f, double *lambda, double *omega_log)
{
  double i0 = 0, i1 = 0;
  for (int i = 0; i + 1 < npts; i++) {
    double h = omega[i + 1] - omega[i];
    double f0 = omega[i] > 0 ? a2f[i] / omega[i] : 0, f1 = a2f[i + 1] / omega[i + 1];
    double g0 = omega[i] > 0 ? f0 * log(omega[i]) : 0, g1 = f1 * log(omega[i + 1]);
    i0 += 0.5 * h * (f0 + f1);
    i1 += 0.5 * h * (g0 + g1);
  }
  *lambda = 2 * i0;
  *omega_log = i0 > 0 ? exp(i1 / i0) : 0;
}

double agape_tc_mcmillan(double lambda, double omega_log, double mustar)
{
  double den = lambda - mustar * (1 + 0.62 * lambda);
  if (den <= 0) return 0;
  return omega_log / 1.2 * exp(-1.04 * (1 + lambda) / den);
}

/* The material sources. A deck selects the first entry whose source matches [material]
 * source and whose name (if any) matches [material] name. A new source: one file
 * source_<name>.c with its create function (sources.h) and one line here. */
static const struct {
  agape_mat_source source; /* [material] source */
  const char *name;        /* [material] name, or NULL for any */
  agape_err (*create)(const agape_par *par, const agape_params *p, double t0, agape_material *m);
} agape_sources[] = {
  {MAT_EPW, NULL, agape_source_epw_create},            /* EPW's .ephmat folder */
  {MAT_A2F, NULL, agape_source_a2f_create},            /* an isotropic alpha^2F file */
  {MAT_MODEL, "bcs", agape_source_square_well_create}, /* the square-well kernel */
  {MAT_MODEL, NULL, agape_source_model_create},        /* the built-in XB12 models */
};

/* the save folder's DOS at xi (linear in the table; 0 outside it) */
static double material_bg_dos(const agape_material *m, double xi)
{
  const double t = (xi - m->bg_x0) / m->bg_dx;
  if (!(t >= 0) || t >= m->nbg - 1) return 0.0;
  const int i = (int)t;
  return m->bg_dos[i] + (t - i) * (m->bg_dos[i + 1] - m->bg_dos[i]);
}

/* [coulomb] mode = rpa with qe_save: the save folder must describe the crystal of the source's
 * data (agape_crystal_match, when the source states one), and, for a source with its own
 * states in a window, the energy grid beyond that window carries the DOS of the save folder's
 * ground state (the bands W is made of) instead of a flat N(0), out to
 * E_F + rpa_band_cutoff_eV and down to the band bottom, so the gap equation's Coulomb
 * renormalisation runs over the same bands as W's. Rank 0 reads the folder's XML; the table
 * is broadcast. Collective. */
static agape_err material_qe_save(const agape_par *par, const agape_params *p, agape_material *m)
{
  if (p->coulomb != COUL_RPA || !p->qe_save[0]) return AGAPE_OK;
  const int beyond = m->grid_hi > m->grid_lo;
  agape_err err = AGAPE_OK;
  double head[4] = {0, 0, 0, 0}; /* nbg, x0, dx, the band bottom (eV from E_F) */
  double *tab = NULL;
  if (par->rank == 0) {
    agape_qe_save s;
    err = agape_qe_save_read(p->qe_save, &s);
    if (!err && m->crystal.nat > 0) {
      agape_crystal c;
      char note[3000];
      if (!(err = agape_qe_save_crystal(&s, &c))) err = agape_crystal_match(&m->crystal, &c, note, sizeof note);
      if (!err) printf("agape: crystal check: %s\n", note);
      agape_crystal_destroy(&c);
    } else if (!err)
      printf("agape: crystal check: the %s data state no crystal; %s is taken to describe the same one\n", m->name,
             p->qe_save);
    if (!err && beyond && !(s.degauss > 0 && isfinite(s.ef)))
      err =
        agape_error(AGAPE_ERR_FORMAT,
                    "%s: no Fermi energy or smearing width: the RPA needs a metal computed with smearing", p->qe_save);
    if (!err && beyond) {
      const size_t nx = (size_t)s.nks * s.nbnd;
      double emin = INFINITY;
      for (size_t x = 0; x < nx; x++) emin = fmin(emin, s.eig[x] - s.ef);
      const double sg = s.degauss, x0 = emin - 5 * sg, dx = sg / 8, x1 = p->rpa_band_cutoff_eV + 5 * sg;
      const int n = (int)ceil((x1 - x0) / dx) + 1;
      tab = calloc((size_t)n, sizeof(double));
      if (!tab) err = AGAPE_ERR_NOMEM;
      for (int k = 0; k < s.nks && !err; k++) /* weights sum to 2: per spin, wk/2 */
        for (int b = 0; b < s.nbnd; b++) {
          const double e = s.eig[(size_t)k * s.nbnd + b] - s.ef;
          const int lo = (int)fmax(0, floor((e - 6 * sg - x0) / dx)),
                    hi = (int)fmin(n - 1, ceil((e + 6 * sg - x0) / dx));
          for (int i = lo; i <= hi; i++) {
            const double u = (x0 + i * dx - e) / sg;
            tab[i] += 0.5 * s.wk[k] * exp(-0.5 * u * u) / (sg * sqrt(2 * AGAPE_PI));
          }
        }
      head[0] = n, head[1] = x0, head[2] = dx, head[3] = emin;
    }
    agape_qe_save_destroy(&s);
  }
  fflush(stdout);
  if ((err = agape_par_agree(par, err)) || !beyond) {
    free(tab);
    return err;
  }
  agape_par_bcast(par, head, sizeof head);
  m->nbg = (int)head[0];
  m->bg_x0 = head[1];
  m->bg_dx = head[2];
  if (par->rank != 0) tab = malloc(sizeof(double) * (size_t)m->nbg);
  if ((err = agape_par_agree(par, tab ? AGAPE_OK : AGAPE_ERR_NOMEM))) {
    free(tab);
    m->nbg = 0;
    return err;
  }
  agape_par_bcast(par, tab, sizeof(double) * (size_t)m->nbg);
  m->bg_dos = tab;
  if (par->rank == 0)
    printf("agape: energy grid beyond the states' window [%.3g, %.3g] eV: the DOS of %s (band bottom %.2f eV; "
           "N(E_F) there %.4f, the states' source %.4f states/eV/spin/cell)\n",
           m->grid_lo, m->grid_hi, p->qe_save, head[3], material_bg_dos(m, 0.0), m->dos0),
      fflush(stdout);
  return AGAPE_OK;
}

agape_err agape_material_create(const agape_par *par, const agape_params *p, double t0, agape_material *m)
{
  memset(m, 0, sizeof *m);
  for (size_t i = 0; i < sizeof agape_sources / sizeof agape_sources[0]; i++) {
    if (agape_sources[i].source != p->source) continue;
    if (agape_sources[i].name && strcasecmp(agape_sources[i].name, p->name) != 0) continue;
    agape_err err = agape_sources[i].create(par, p, t0, m);
    if (!m->prefix[0]) snprintf(m->prefix, sizeof m->prefix, "%s", m->name);
    if ((err = agape_par_agree(par, err))) return err;
    return material_qe_save(par, p, m);
  }
  return agape_par_agree(par, agape_error(AGAPE_ERR_DECK, "[material] source: no material source for this deck"));
}

void agape_material_destroy(agape_material *m)
{
  if (m->destroy) m->destroy(m);
  free(m->omega);
  free(m->a2f_w);
  free(m->curve_a2f);
  free(m->curve_phdos);
  free(m->bg_dos);
  agape_crystal_destroy(&m->crystal);
  memset(m, 0, sizeof *m);
}

void agape_fs_data_of_material(const agape_material *m, agape_fs_data *fs)
{
  *fs = (agape_fs_data){.nmodes = m->nmodes,
                        .omega = m->omega,
                        .a2f_w = m->a2f_w,
                        .dos0 = m->dos0,
                        .lambda = m->lambda,
                        .omega_log = m->omega_log,
                        .omega_2 = m->omega_2,
                        .lambda_lines = m->lambda_lines,
                        .pairs = m->pairs,
                        .mu_m = m,
                        .mustar_row = m->mustar_row};
}

double agape_material_grid_dos(const agape_material *m, double xi)
{
  if (m->nbg && (xi < m->grid_lo || xi > m->grid_hi)) return material_bg_dos(m, xi);
  return m->grid_dos ? m->grid_dos(m, xi) : m->dos0;
}
