/* Material stage (see include/agape/material.h): the built-in XB12 model, isotropic
 * alpha^2F files and the square-well model. */
#include "agape/material.h"
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
  if (!w || !a) { err = AGAPE_ERR_NOMEM; goto done; }
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0' || *s == '#') continue;
    char *e1, *e2;
    double x = strtod(s, &e1);
    if (e1 == s) {               /* a text line: header before the data or footer after it */
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
      if (!w2 || !a2) { err = AGAPE_ERR_NOMEM; goto done; }
    }
    w[n] = x; a[n] = y; n++;
    seen_data = 1;
  }
  if (n < 2) err = agape_error(AGAPE_ERR_FORMAT, "%s: fewer than two data lines", path);
done:
  fclose(f);
  if (err) { free(w); free(a); return err; }
  *npts = n; *omega_meV = w; *a2f = a;
  return AGAPE_OK;
}

/* Integrals of piecewise-linear a2f: I0 = int a2f/omega, I1 = int a2f ln(omega)/omega,
 * by the trapezoid rule on the data points; a point at omega = 0 contributes 0. */
void agape_a2f_moments(int npts, const double *omega, const double *a2f,
                       double *lambda, double *omega_log)
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

/* Rebin piecewise-linear alpha^2F (meV) into nb uniform bins on [0, omega_max]:
 * each bin keeps int a2f (weight) and int a2f/omega (lambda share); its frequency is
 * their ratio, so lambda and int a2f are preserved exactly (up to the sub-quadrature). */
static agape_err rebin_a2f(int npts, const double *w, const double *a, int nb,
                           agape_material *m)
{
  double wmax = w[npts - 1];
  double *A = calloc(nb, sizeof(double)), *L = calloc(nb, sizeof(double));
  if (!A || !L) { free(A); free(L); return AGAPE_ERR_NOMEM; }
  const int nsub = 64;   /* midpoint sub-intervals per data segment */
  for (int i = 0; i + 1 < npts; i++) {
    double h = (w[i + 1] - w[i]) / nsub;
    for (int k = 0; k < nsub; k++) {
      double x = w[i] + (k + 0.5) * h;
      double y = a[i] + (a[i + 1] - a[i]) * (x - w[i]) / (w[i + 1] - w[i]);
      int b = (int)(x / wmax * nb);
      if (b >= nb) b = nb - 1;
      A[b] += y * h;
      L[b] += y / x * h;
    }
  }
  m->nmodes = 0;
  m->omega = malloc(sizeof(double) * nb);
  m->a2f_w = malloc(sizeof(double) * nb);
  if (!m->omega || !m->a2f_w) { free(A); free(L); return AGAPE_ERR_NOMEM; }
  for (int b = 0; b < nb; b++) {
    if (A[b] <= 0 || L[b] <= 0) continue;
    m->omega[m->nmodes] = A[b] / L[b] * 1e-3;   /* meV -> eV */
    m->a2f_w[m->nmodes] = A[b] * 1e-3;          /* int alpha^2F d(omega): meV -> eV */
    m->nmodes++;
  }
  free(A); free(L);
  return m->nmodes > 0 ? AGAPE_OK : agape_error(AGAPE_ERR_FORMAT, "alpha^2F is zero everywhere");
}

agape_err agape_material_create(const agape_params *p, agape_material *m)
{
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", p->name);
  if (p->source == MAT_A2F) {
    m->kind = MATK_ISO;
    snprintf(m->name, sizeof m->name, "a2f");
    int n = 0;
    double *w = NULL, *a = NULL;
    agape_err err = agape_a2f_read(p->a2f_file, &n, &w, &a);
    if (err) return err;
    double lam, wlog;
    agape_a2f_moments(n, w, a, &lam, &wlog);
    m->lambda = lam;
    m->omega_log = wlog * 1e-3;
    m->dos0 = p->dos_per_eV_spin;
    err = rebin_a2f(n, w, a, p->a2f_bins, m);
    free(w); free(a);
    return err;
  }
  if (strcasecmp(p->name, "bcs") == 0) {
    m->kind = MATK_SQUARE_WELL;
    snprintf(m->name, sizeof m->name, "bcs");
    m->dos0 = 1.0;
    m->sw_omega_D = p->bcs_omega_D_meV * 1e-3;
    m->sw_v = p->bcs_nv / m->dos0;
    m->lambda = p->bcs_nv;
    return AGAPE_OK;
  }
  m->kind = MATK_MODEL;
  if (xb12_create(p->name, &m->model) != 0)
    return agape_error(AGAPE_ERR_DECK, "unknown model name '%s' (expected CsB12, LaB12 or bcs)", p->name);
  snprintf(m->name, sizeof m->name, "%s", xb12_name(m->model));
  m->nmodes = xb12_nmodes(m->model);
  m->omega = malloc(sizeof(double) * m->nmodes);
  m->a2f_w = calloc(m->nmodes, sizeof(double));
  if (!m->omega || !m->a2f_w) return AGAPE_ERR_NOMEM;
  memcpy(m->omega, xb12_omega(m->model), sizeof(double) * m->nmodes);
  xb12_band_range(m->model, &m->grid_lo, &m->grid_hi);
  return AGAPE_OK;
}

double agape_material_grid_dos(const agape_material *m, double xi)
{
  if (m->kind == MATK_MODEL) return xb12_background_dos(m->model, xi);
  return m->dos0;
}

void agape_material_destroy(agape_material *m)
{
  if (m->model) xb12_destroy(&m->model);
  free(m->omega);
  free(m->a2f_w);
  m->omega = m->a2f_w = NULL;
}
