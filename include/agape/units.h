/* Physical constants and unit conversions used across AGAPE (docs/theory.md).
 * Internal energy unit: eV. Temperatures: K. Gaps in output files: meV. */
#ifndef AGAPE_UNITS_H
#define AGAPE_UNITS_H
#include <math.h>
#define AGAPE_PI    3.14159265358979323846
#define AGAPE_K_B   8.617333262e-5  /* Boltzmann constant, eV/K */
#define AGAPE_RY_EV 13.605693122994 /* 1 Ry in eV */
#define AGAPE_MEV   1e-3            /* 1 meV in eV */

/* k_B T in eV of a temperature T in K. */
static inline double agape_kT(double T) { return AGAPE_K_B * T; }
/* beta = 1/(k_B T) in 1/eV of T in K; T <= 0 gives INFINITY (the T = 0 limit). */
static inline double agape_beta(double T) { return T > 0 ? 1.0 / (AGAPE_K_B * T) : INFINITY; }
#endif
