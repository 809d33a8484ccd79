/* Material stage (see include/agape/material.h): the built-in XB12 model, isotropic
 * alpha^2F files and the square-well model. */
#include "agape/material.h"
#include "agape/epw.h"
#include "agape/eliash.h"
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

/* Rebin piecewise-linear alpha^2F (meV) into nb uniform bins on [0, omega_max]:
 * each bin keeps int a2f (weight) and int a2f/omega (lambda share); its frequency is
 * their ratio, so lambda and int a2f are preserved exactly (up to the sub-quadrature). */
static agape_err rebin_a2f(int npts, const double *w, const double *a, int nb, agape_material *m)
{
  double wmax = w[npts - 1];
  double *A = calloc(nb, sizeof(double)), *L = calloc(nb, sizeof(double));
  if (!A || !L) {
    free(A);
    free(L);
    return AGAPE_ERR_NOMEM;
  }
  const int nsub = 64; /* midpoint sub-intervals per data segment */
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
  if (!m->omega || !m->a2f_w) {
    free(A);
    free(L);
    return AGAPE_ERR_NOMEM;
  }
  for (int b = 0; b < nb; b++) {
    if (A[b] <= 0 || L[b] <= 0) continue;
    m->omega[m->nmodes] = A[b] / L[b] * 1e-3; /* meV -> eV */
    m->a2f_w[m->nmodes] = A[b] * 1e-3;        /* int alpha^2F d(omega): meV -> eV */
    m->nmodes++;
  }
  free(A);
  free(L);
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
    free(w);
    free(a);
    if (!err) { /* omega_2 and the lines' lambda from the rebinned lines */
      double l = 0, s2 = 0;
      for (int b = 0; b < m->nmodes; b++) {
        l += 2 * m->a2f_w[b] / m->omega[b];
        s2 += 2 * m->a2f_w[b] * m->omega[b];
      }
      m->lambda_lines = l;
      m->omega_2 = l > 0 ? sqrt(s2 / l) : 0;
    }
    return err;
  }
  if (p->source == MAT_EPW) { /* filled by agape_material_load_epw */
    m->kind = MATK_EPW;
    snprintf(m->name, sizeof m->name, "epw");
    return AGAPE_OK;
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

/* SCDFT on EPW data: replace the lines by nb uniform frequency nodes from the lowest to the
 * highest coupled phonon frequency. Phonon ph (frequency w between nodes w_b <= w <= w_b+1)
 * puts the share f = (1/w - 1/w_b+1)/(1/w_b - 1/w_b+1) of its weight on node b and 1 - f on
 * node b+1, which keeps both its weight and its weight/w (lambda). The nodes' Fermi-surface
 * weights a2f_w are left at 0: the assembly stage sums them from the window states' couplings
 * (agape_assembly_couplings). */
static agape_err epw_nodes(const agape_epw *e, int nb, agape_material *m)
{
  const int nph = e->totq * e->nmodes;
  double lo = INFINITY, hi = 0;
  for (int q = 0; q < nph; q++)
    if (e->wf[q] > e->eps_acustic) {
      lo = fmin(lo, e->wf[q]);
      hi = fmax(hi, e->wf[q]);
    }
  if (!(hi >= lo)) return agape_error(AGAPE_ERR_FORMAT, "EPW data: no phonon above eps_acustic");
  if (hi - lo <= 1e-9 * hi) nb = 1; /* a single frequency */
  const double h = nb > 1 ? (hi - lo) / (nb - 1) : 0;
  free(m->omega);
  free(m->a2f_w);
  m->omega = malloc(sizeof(double) * nb);
  m->a2f_w = calloc(nb, sizeof(double));
  m->ph_node = malloc(sizeof(int) * (nph ? nph : 1));
  m->ph_share = malloc(sizeof(double) * (nph ? nph : 1));
  if (!m->omega || !m->a2f_w || !m->ph_node || !m->ph_share) return AGAPE_ERR_NOMEM;
  m->nmodes = nb;
  for (int b = 0; b < nb; b++) m->omega[b] = b + 1 < nb ? lo + b * h : hi;
  for (int q = 0; q < nph; q++) {
    double w = e->wf[q];
    if (!(w > e->eps_acustic)) {
      m->ph_node[q] = -1;
      m->ph_share[q] = 0;
      continue;
    }
    int b = nb > 1 ? (int)((w - lo) / h) : 0;
    if (b > nb - 2) b = nb > 1 ? nb - 2 : 0;
    double f = 1.0;
    if (nb > 1) {
      f = (1 / w - 1 / m->omega[b + 1]) / (1 / m->omega[b] - 1 / m->omega[b + 1]);
      f = fmin(1.0, fmax(0.0, f));
    }
    m->ph_node[q] = b;
    m->ph_share[q] = f;
  }
  m->grid_lo = -e->fsthick; /* the energy grid carries the rest */
  m->grid_hi = e->fsthick;
  return AGAPE_OK;
}

agape_err agape_material_load_epw(const agape_par *par, const agape_params *p, agape_material *m)
{
  agape_epw *e = calloc(1, sizeof *e);
  agape_err err = e ? AGAPE_OK : AGAPE_ERR_NOMEM;
  if (!err && par->rank == 0) err = agape_epw_read(p->epw_dir, p->eps_acustic_cm, e);
  if ((err = agape_par_agree(par, err))) {
    free(e);
    return err;
  }
  if ((err = agape_epw_bcast(par, e))) {
    free(e);
    return err;
  }
  m->epw = e;
  if (p->method == SOLVER_SCDFT && (e->nqf[0] != e->nkf[0] || e->nqf[1] != e->nkf[1] || e->nqf[2] != e->nkf[2]))
    /* with a coarser q mesh, k couples only to the k + q of its own class of the k mesh: the
     * classes are independent but for the Coulomb term, which is lowest when their gaps
     * alternate in sign; the FS-only Eliashberg equations (with their smearing) are spared */
    return agape_error(AGAPE_ERR_DECK,
                       "%s: [solver] method = scdft needs EPW's fine q mesh equal to its fine k "
                       "mesh (here k %d x %d x %d, q %d x %d x %d): with a coarser q mesh the k points couple only "
                       "within %d classes (expected nqf1..3 = nkf1..3 in the EPW run, or method = eliashberg)",
                       p->epw_dir, e->nkf[0], e->nkf[1], e->nkf[2], e->nqf[0], e->nqf[1], e->nqf[2],
                       (e->nkf[0] / (e->nqf[0] ? e->nqf[0] : 1)) * (e->nkf[1] / (e->nqf[1] ? e->nqf[1] : 1)) *
                         (e->nkf[2] / (e->nqf[2] ? e->nqf[2] : 1)));
  /* the lines: Fermi-surface weight of every (q, mode), a = (1/N_F) sum wk w0g wq w0g' g2 */
  int nph = e->totq * e->nmodes;
  m->omega = malloc(sizeof(double) * (nph ? nph : 1));
  m->a2f_w = calloc(nph ? nph : 1, sizeof(double));
  if (!m->omega || !m->a2f_w) return AGAPE_ERR_NOMEM;
  double wq = 1.0 / e->nqtotf;
  for (int s = 0; s < e->ns; s++) {
    double ws = e->s_wk[s] * e->s_w0g[s] * wq * AGAPE_EPW_G2_EV2 / e->dosef;
    for (int64_t j = e->row_ptr[s]; j < e->row_ptr[s + 1]; j++)
      m->a2f_w[e->ph[j]] += ws * e->s_w0g[e->col[j]] * e->g2[j];
  }
  m->nmodes = 0;
  m->lambda_lines = 0;
  double wmax = 0;
  for (int q = 0; q < nph; q++)
    if (e->wf[q] > wmax) wmax = e->wf[q];
  for (int q = 0; q < nph; q++) {
    if (!(m->a2f_w[q] > 0) || !(e->wf[q] > e->eps_acustic)) continue;
    m->omega[m->nmodes] = e->wf[q];
    m->a2f_w[m->nmodes] = m->a2f_w[q];
    m->lambda_lines += 2 * m->a2f_w[q] / e->wf[q];
    m->nmodes++;
  }
  if (m->nmodes == 0)
    return agape_error(AGAPE_ERR_FORMAT, "%s: no electron-phonon coupling in the Fermi window", p->epw_dir);
  m->dos0 = e->dosef;
  /* EPW's printed alpha^2F: w_i = i dw, dw = 1.1 max omega / nqstep, Gaussian lines */
  m->ncurve = p->nqstep;
  m->curve_dw = 1.1 * wmax / p->nqstep;
  double *w = malloc(sizeof(double) * m->ncurve), *one = malloc(sizeof(double) * (nph ? nph : 1));
  m->curve_a2f = malloc(sizeof(double) * m->ncurve);
  m->curve_phdos = malloc(sizeof(double) * m->ncurve);
  if (!w || !one || !m->curve_a2f || !m->curve_phdos) {
    free(w);
    free(one);
    return AGAPE_ERR_NOMEM;
  }
  for (int i = 0; i < m->ncurve; i++) w[i] = (i + 1) * m->curve_dw;
  double sq = p->degaussq_meV * 1e-3;
  eli_a2f_gauss(m->nmodes, m->omega, m->a2f_w, sq, m->ncurve, w, m->curve_a2f);
  for (int q = 0; q < nph; q++) one[q] = wq;
  eli_a2f_gauss(nph, e->wf, one, sq, m->ncurve, w, m->curve_phdos);
  free(w);
  free(one);
  eli_a2f_moments(m->ncurve, m->curve_dw, m->curve_a2f, &m->lambda, &m->omega_log, &m->omega_2);
  return p->method == SOLVER_SCDFT ? epw_nodes(e, p->a2f_bins, m) : AGAPE_OK;
}

void agape_material_destroy(agape_material *m)
{
  if (m->epw) {
    agape_epw_destroy(m->epw);
    free(m->epw);
    m->epw = NULL;
  }
  free(m->curve_a2f);
  free(m->curve_phdos);
  m->curve_a2f = m->curve_phdos = NULL;
  if (m->model) xb12_destroy(&m->model);
  free(m->omega);
  free(m->a2f_w);
  m->omega = m->a2f_w = NULL;
  free(m->ph_node);
  free(m->ph_share);
  m->ph_node = NULL;
  m->ph_share = NULL;
}
