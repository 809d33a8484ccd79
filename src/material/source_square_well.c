/* Material source "bcs": the square-well kernel K = -V for |xi|, |xi'| < omega_D (N(0) = 1,
 * V = bcs_nv), Z = 0, no phonons and no functional (docs/theory.md §2.4). Its exact Tc is
 * 1.134 omega_D exp(-1/N(0)V) / k_B in the weak-coupling limit, the search's first estimate. */
#include "agape/material.h"
#include "sources.h"
#include "agape/units.h"
#include <math.h>
#include <stdio.h>

static double sw_tc_estimate(const agape_material *m, double lambda, double omega_log, double mustar)
{
  (void)omega_log;
  (void)mustar;
  return 1.134 * m->fixed_cut / AGAPE_K_B * exp(-1 / lambda);
}

agape_err agape_source_square_well_create(const agape_par *par, const agape_params *p, double t0, agape_material *m)
{
  (void)par;
  (void)t0;
  snprintf(m->name, sizeof m->name, "bcs");
  m->dos0 = 1.0;
  m->fixed_kernel = 1;
  m->fixed_cut = p->bcs_omega_D_meV * 1e-3;
  m->fixed_v = -(p->bcs_nv / m->dos0);
  m->lambda = p->bcs_nv;
  m->nbreak = 1;
  m->breaks[0] = m->fixed_cut; /* a panel edge of the energy grid at omega_D */
  m->tc_estimate = sw_tc_estimate;
  return AGAPE_OK;
}
