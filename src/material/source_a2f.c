/* Material source "a2f": an isotropic alpha^2F(omega) file with a flat DOS N(0) (the deck's
 * dos_per_eV_spin). The spectrum is rebinned onto a2f_bins frequency nodes that keep both the
 * weight and lambda of every bin; there are no states with k: every state of the gap
 * equation is on the isotropic energy grid. */
#include "agape/material.h"
#include "sources.h"
#include "agape/formulas.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

agape_err agape_source_a2f_create(const agape_par *par, const agape_params *p, double t0, agape_material *m)
{
  (void)t0;
  snprintf(m->name, sizeof m->name, "a2f");
  int n = 0;
  double *w = NULL, *a = NULL;
  const char *fmt = NULL;
  agape_err err = agape_a2f_read(p->a2f_file, &n, &w, &a, &fmt);
  if (err) return err;
  if (par->rank == 0) printf("agape: alpha^2F file %s: %d points, %s\n", p->a2f_file, n, fmt), fflush(stdout);
  double lam, wlog;
  agape_a2f_moments(n, w, a, &lam, &wlog);
  if (!(lam <= AGAPE_A2F_LAMBDA_MAX)) {
    free(w);
    free(a);
    return agape_error(AGAPE_ERR_FORMAT, "%s: lambda = 2 int alpha^2F/omega = %g: not a material's (at most %g)",
                       p->a2f_file, lam, AGAPE_A2F_LAMBDA_MAX);
  }
  m->lambda = lam;
  m->omega_log = wlog * 1e-3;
  m->dos0 = p->dos_per_eV_spin;
  err = rebin_a2f(n, w, a, p->a2f_bins, m);
  free(w);
  free(a);
  if (!err) { /* omega_2 and the lines' lambda from the rebinned lines */
    double l = agape_lambda_lines(m->nmodes, m->omega, m->a2f_w), s2 = 0;
    for (int b = 0; b < m->nmodes; b++) s2 += 2 * m->a2f_w[b] * m->omega[b];
    m->lambda_lines = l;
    m->omega_2 = l > 0 ? sqrt(s2 / l) : 0;
  }
  return err;
}
