/* The static Kohn-Sham response of a plane-wave ground state (see include/agape/chi0_pw.h).
 * No MPI, no I/O. */
#include "agape/chi0_pw.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

/* LAPACK (Fortran; hidden string lengths last) */
extern void zpotrf_(const char *uplo, const int *n, double complex *a, const int *lda, int *info, size_t);
extern void zpotri_(const char *uplo, const int *n, double complex *a, const int *lda, int *info, size_t);

#define E2_EV_BOHR 27.211386245988 /* e^2 in eV bohr (one Hartree bohr) */
#define SQRT_PI    1.7724538509055160273
#define SQRT2      1.4142135623730950488
#define SQRT1_2    0.70710678118654752440

double chi0pw_occ(int kind, double x)
{
  switch (kind) {
  case SMEAR_MP: return 0.5 * erfc(-x) + x * exp(-fmin(200.0, x * x)) / (2 * SQRT_PI);
  case SMEAR_MV: {
    const double xp = x - SQRT1_2;
    return 0.5 * erf(xp) + exp(-fmin(200.0, xp * xp)) / (SQRT_PI * SQRT2) + 0.5;
  }
  case SMEAR_FD: return x > 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
  default: return 0.5 * erfc(-x);
  }
}

double chi0pw_delta(int kind, double x)
{
  switch (kind) {
  case SMEAR_MP: return exp(-fmin(200.0, x * x)) / SQRT_PI * (1.5 - x * x);
  case SMEAR_MV: {
    const double xp = x - SQRT1_2;
    return exp(-fmin(200.0, xp * xp)) / SQRT_PI * (2 - SQRT2 * x);
  }
  case SMEAR_FD: {
    const double a = fabs(x);
    return exp(-a) / ((1 + exp(-a)) * (1 + exp(-a)));
  }
  default: return exp(-fmin(200.0, x * x)) / SQRT_PI;
  }
}

double chi0pw_weight(int kind, double sigma, double ef, double en, double fn, double em, double fm)
{
  if (fabs(en - em) < CHI0PW_DEGENERATE) return -chi0pw_delta(kind, (ef - 0.5 * (en + em)) / sigma) / sigma;
  return (fn - fm) / (en - em);
}

void chi0pw_accumulate(int ng, int np, const double *w, const double complex *rho, double complex *scr,
                       double complex *chi)
{
  if (np < 1 || ng < 1) return;
  /* scr = diag(w) rho (np x ng); chi += rho^H scr, i.e. chi[G][G'] += sum_p conj(rho_pG) w_p rho_pG' */
  for (int p = 0; p < np; p++)
    for (int g = 0; g < ng; g++) scr[(size_t)p * ng + g] = w[p] * rho[(size_t)p * ng + g];
  const double complex one = 1.0;
  cblas_zgemm(CblasRowMajor, CblasConjTrans, CblasNoTrans, ng, ng, np, &one, rho, ng, scr, ng, &one, chi, ng);
}

int chi0pw_screen(int ng, const double complex *chi0, const double *qg, double complex *W)
{
  /* M = v^-1 - chi0 (row-major = the transpose in Fortran order; M is Hermitian, so the
   * Fortran routines see conj(M), whose inverse is conj(M^-1): the same transposition back) */
  for (int i = 0; i < ng; i++)
    for (int j = 0; j < ng; j++) {
      double complex m = -chi0[(size_t)i * ng + j];
      if (i == j && qg[i] > 0) m += qg[i] * qg[i] / (4 * 3.14159265358979323846 * E2_EV_BOHR);
      W[(size_t)i * ng + j] = m;
    }
  int info = 0;
  zpotrf_("L", &ng, W, &ng, &info, 1);
  if (!info) zpotri_("L", &ng, W, &ng, &info, 1);
  if (info) return info;
  /* zpotri fills the Fortran lower triangle, which is the row-major upper one (j >= i) and
   * holds (M^-1)_ij there: complete the Hermitian matrix below it */
  for (int i = 0; i < ng; i++)
    for (int j = 0; j < i; j++) W[(size_t)i * ng + j] = conj(W[(size_t)j * ng + i]);
  return 0;
}
