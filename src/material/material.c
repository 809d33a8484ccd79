/* Material stage (see include/agape/material.h): the table of material sources, the calls
 * every stage makes through the interface, and the alpha^2F helpers the sources share. */
#include "agape/material.h"
#include "sources.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <math.h>
#include <errno.h>
#include <ctype.h>

agape_err agape_a2f_read(const char *path, int *npts, double **omega_meV, double **a2f)
{
  FILE *f = fopen(path, "r");
  if (!f) return agape_error(AGAPE_ERR_IO, "%s: cannot open alpha^2F file: %s", path, strerror(errno));
  int cap = 256, n = 0, lineno = 0, seen_data = 0, ended = 0;
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
    if (*s == '\0' || *s == '#') continue;
    char *e1, *e2;
    double x = strtod(s, &e1);
    if (e1 == s) { /* a text line: header before the data or footer after it */
      if (seen_data) ended = 1;
      continue;
    }
    double y = strtod(e1, &e2);
    if (e2 == e1 || !isfinite(x) || !isfinite(y)) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: expected two numbers (omega in meV, alpha^2F)", path, lineno);
      goto done;
    }
    if (ended) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: data after a text line inside the table", path, lineno);
      goto done;
    }
    if (x < 0 || y < 0) {
      err = agape_error(AGAPE_ERR_FORMAT, "%s:%d: omega and alpha^2F must be >= 0 (got %g %g)", path, lineno, x, y);
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

agape_err agape_material_create(const agape_par *par, const agape_params *p, double t0, agape_material *m)
{
  memset(m, 0, sizeof *m);
  for (size_t i = 0; i < sizeof agape_sources / sizeof agape_sources[0]; i++) {
    if (agape_sources[i].source != p->source) continue;
    if (agape_sources[i].name && strcasecmp(agape_sources[i].name, p->name) != 0) continue;
    agape_err err = agape_sources[i].create(par, p, t0, m);
    if (!m->prefix[0]) snprintf(m->prefix, sizeof m->prefix, "%s", m->name);
    return agape_par_agree(par, err);
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
  memset(m, 0, sizeof *m);
}

double agape_material_grid_dos(const agape_material *m, double xi)
{
  return m->grid_dos ? m->grid_dos(m, xi) : m->dos0;
}
