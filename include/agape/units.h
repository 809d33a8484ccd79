/* Physical constants and unit conversions used across AGAPE (physics.md §0).
 * Internal energy unit: eV. Temperatures: K. Gaps in output files: meV. */
#ifndef AGAPE_UNITS_H
#define AGAPE_UNITS_H
#define AGAPE_PI    3.14159265358979323846
#define AGAPE_K_B   8.617333262e-5  /* Boltzmann constant, eV/K */
#define AGAPE_RY_EV 13.605693122994 /* 1 Ry in eV */
#define AGAPE_MEV   1e-3            /* 1 meV in eV */
#endif
