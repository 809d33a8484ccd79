/* The static Kohn-Sham response chi0_GG'(q) of a Quantum ESPRESSO ground state
 * (src/coulomb/qe_chi0.c, kernels/chi0_pw.c) on the fixture tests/data/al-qe/al-full.save
 * (fcc Al, the full 3^3 grid from pw.x nscf with nosym and noinv, 12 bands, Gaussian smearing
 * 0.05 Ry; made by its make.sh):
 *  1. the occupation functions of QE's four smearings: delta = d occ/dx (central differences,
 *     1e-7), integral of delta = 1 and occ from 0 to 1 (1e-10);
 *  2. the compressibility sum rule at q = 0: with the intraband limit, the head is
 *     chi0_00(0) = -2 N(E_F)/Omega (2: both spins; N(E_F) per spin and cell from the same
 *     Gaussian), N(E_F) computed here independently from the XML's eigenvalues: to 1e-10;
 *  3. at every q of the grid (27): chi0 Hermitian and negative semi-definite (the static
 *     response lowers the energy: diagonal <= 0, x^H chi0 x <= 0 for 20 random x; Gaussian
 *     occupations fall monotonically, so every pair weight is <= 0), to 1e-12 of the largest
 *     element; and time reversal, chi0_-G,-G'(-q) = chi0_GG'(q)^* (psi_-k = psi_k^*), which
 *     holds here only as well as pw.x converged the wavefunctions of k and -k, computed
 *     separately (nosym, noinv): their eigenvalues agree to ~1e-12 eV (printed), and an
 *     eigenvalue error e leaves an eigenvector error of order sqrt(e / band gap) ~ 1e-6 of the
 *     states, so the bound is 1e-6 of the largest element;
 *  4. the screened interaction W = (v^-1 - chi0)^-1: with G = 0 alone at q = 0 it is the
 *     Thomas-Fermi limit Omega / (2 N(E_F)) (1e-12); with local fields (|G| <= 2 bohr^-1) its
 *     head is larger (the Schur complement of a positive definite body adds to -chi0_00's
 *     inverse); at every q, (v^-1 - chi0) W = 1 and, where v is finite, the Dyson equation
 *     W = v + v chi0 W hold to 1e-10 relative (both fail if the inverse's two triangles are
 *     mismatched); its diagonal is positive;
 *  5. mu = N(0) <W>_FS (src/coulomb/qe_chi0.c) with only the G of smallest |q + G| at each q
 *     (gmax 0.85 bohr^-1: the smallest |q + G| of the 27 q is at most 0.79, the second
 *     smallest at least 0.93) against the same sum formed here independently: k + q found from the
 *     k points' crystal coordinates, the pair densities by the G-space sum (pd_rho_direct)
 *     instead of the FFT route, W = 1/(v^-1 - chi0) by hand: to 1e-12. With local fields
 *     (|q + G| <= 2 bohr^-1) mu is printed and must be positive;
 *  6. the table W(xi, xi') over the 12 bands: the pair (s, s') at q and (s', s) at -q are both
 *     in the sum and Re W_s's = Re W_ss' by time reversal, so the counts are symmetric exactly
 *     and the table to 1e-12 of its largest entry; every pair of states is counted once
 *     (27 x 27 x 12 x 12 pairs), and the DOS per bin integrates to the 12 bands;
 *  7. one q per star of the point group (the default): fewer q than the grid's 27, every pair
 *     still counted once (the stars' weights add up), and mu and the table equal the sum over
 *     every q up to how well pw.x converged the wavefunctions of symmetry-related k points, which
 *     it computed separately (nosym): their eigenvalues agree to ~1e-12 eV, which leaves
 *     eigenvector errors of order sqrt(1e-12 eV / band spacing) ~ 1e-6, so the bound is 1e-5. */
#include "../check.h"
#include "agape/qe_chi0.h"
#include "agape/chi0_pw.h"
#include "agape/pairdens.h"

#ifndef AGAPE_TEST_DATA
#define AGAPE_TEST_DATA "tests/data"
#endif

#define GMAX 2.0    /* bohr^-1 */
#define BCUT 1000.0 /* eV: every band */

int main(void)
{
  /* 1. the smearing functions */
  const char *names[4] = {"Gaussian", "Methfessel-Paxton", "Marzari-Vanderbilt", "Fermi-Dirac"};
  for (int kind = 0; kind < 4; kind++) {
    double dd = 0, integ = 0, h = 1e-4;
    for (double x = -40; x <= 40; x += 1e-3) integ += 1e-3 * chi0pw_delta(kind, x);
    for (double x = -4; x <= 4; x += 0.37) {
      double num = (chi0pw_occ(kind, x + h) - chi0pw_occ(kind, x - h)) / (2 * h);
      dd = fmax(dd, fabs(num - chi0pw_delta(kind, x)));
    }
    check(dd < 1e-7 && fabs(integ - 1) < 1e-10 && fabs(chi0pw_occ(kind, 40) - 1) < 1e-10 &&
            fabs(chi0pw_occ(kind, -40)) < 1e-10,
          "%s: delta = d occ/dx (%.1e), integral of delta %.12f, occ(-40) %.1e, occ(40) - 1 %.1e", names[kind], dd,
          integ, chi0pw_occ(kind, -40), chi0pw_occ(kind, 40) - 1);
  }

  agape_qe_save s;
  if (!check(agape_qe_save_read(AGAPE_TEST_DATA "/al-qe/al-full.save", &s) == AGAPE_OK, "read al-full.save"))
    return check_summary();
  check(s.nks == 27 && s.mp[0] == 3 && agape_qe_smearing_kind(&s) == SMEAR_GAUSS,
        "the full 3^3 grid (%d k points) with Gaussian smearing", s.nks);

  /* 2. q = 0 */
  agape_qe_chi0 c0;
  int z[3] = {0, 0, 0};
  if (!check(agape_qe_chi0_compute(NULL, &s, z, GMAX, BCUT, &c0) == AGAPE_OK, "chi0 at q = 0")) return check_summary();
  double n0 = 0;
  for (int ik = 0; ik < s.nks; ik++)
    for (int b = 0; b < s.nbnd; b++) {
      double x = (s.ef - s.eig[ik * s.nbnd + b]) / s.degauss;
      n0 += exp(-x * x) / (sqrt(M_PI) * s.degauss) / s.nks;
    }
  int g0 = -1;
  for (int g = 0; g < c0.ng; g++)
    if (!c0.gl[3 * g] && !c0.gl[3 * g + 1] && !c0.gl[3 * g + 2]) g0 = g;
  check(g0 >= 0, "G = 0 is in the list (%d G vectors with |G| <= %g bohr^-1, %d bands)", c0.ng, GMAX, c0.nbands);
  if (g0 >= 0)
    check_rel(creal(c0.chi[(size_t)g0 * c0.ng + g0]), -2 * n0 / s.omega, 1e-10,
              "chi0_00(q = 0) = -2 N(E_F)/Omega, N(E_F) = %.6f states/eV/spin/cell", n0);

  /* 3. every q of the grid */
  agape_qe_chi0 all[27];
  double herm = 0, pos = 0, tr = 0, big = 0;
  int nq = 0, ok = 1;
  unsigned seed = 12345;
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      for (int l = 0; l < 3; l++) {
        int iq[3] = {a, b, l};
        agape_qe_chi0 *c = &all[nq++];
        if (agape_qe_chi0_compute(NULL, &s, iq, GMAX, BCUT, c)) {
          ok = 0;
          continue;
        }
        const int n = c->ng;
        for (int i = 0; i < n * n; i++) big = fmax(big, cabs(c->chi[i]));
        for (int i = 0; i < n; i++) {
          pos = fmax(pos, creal(c->chi[i * n + i]));
          for (int j = 0; j < n; j++) herm = fmax(herm, cabs(c->chi[i * n + j] - conj(c->chi[j * n + i])));
        }
        for (int t = 0; t < 20; t++) {
          double complex x[512], e = 0;
          for (int i = 0; i < n && i < 512; i++) {
            seed = seed * 1103515245u + 12345u;
            double re = (seed >> 8) / 16777216.0 - 0.5;
            seed = seed * 1103515245u + 12345u;
            x[i] = re + I * ((seed >> 8) / 16777216.0 - 0.5);
          }
          for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) e += conj(x[i]) * c->chi[i * n + j] * x[j];
          pos = fmax(pos, creal(e));
        }
      }
  check(ok, "chi0 at the 27 q of the grid");
  /* time reversal: -q is iq' = (3 - iq) mod 3 */
  for (int x = 0; x < 27 && ok; x++) {
    const agape_qe_chi0 *c = &all[x];
    int mq[3] = {(3 - c->iq[0]) % 3, (3 - c->iq[1]) % 3, (3 - c->iq[2]) % 3};
    const agape_qe_chi0 *d = &all[(mq[0] * 3 + mq[1]) * 3 + mq[2]];
    /* -q + G' with G' = -G - (the fold of -q back to the grid) */
    int shift[3];
    for (int i = 0; i < 3; i++) shift[i] = (mq[i] + c->iq[i]) / 3; /* -q = mq/3 - shift */
    int *mir = malloc(sizeof(int) * c->ng);
    for (int g = 0; g < c->ng; g++) {
      mir[g] = -1;
      for (int h2 = 0; h2 < d->ng; h2++)
        if (d->gl[3 * h2] == -c->gl[3 * g] - shift[0] && d->gl[3 * h2 + 1] == -c->gl[3 * g + 1] - shift[1] &&
            d->gl[3 * h2 + 2] == -c->gl[3 * g + 2] - shift[2])
          mir[g] = h2;
      if (mir[g] < 0) ok = 0;
    }
    for (int g = 0; g < c->ng && ok; g++)
      for (int h2 = 0; h2 < c->ng; h2++)
        tr = fmax(tr, cabs(conj(c->chi[g * c->ng + h2]) - d->chi[mir[g] * d->ng + mir[h2]]));
    free(mir);
  }
  check(ok, "every q + G has its partner -q - G in the list of -q");
  check_le(herm / big, 1e-12, "chi0 Hermitian at every q: max |chi - chi^H| / max |chi|");
  check_le(pos / big, 1e-12, "chi0 negative semi-definite: max of its diagonal and of x^H chi x, / max |chi|");
  /* eigenvalues of k and -k */
  double dek = 0;
  for (int i = 0; i < s.nks; i++)
    for (int j = 0; j < s.nks; j++) {
      double sk = 0;
      for (int dd = 0; dd < 3; dd++) sk += fabs(s.xk[3 * i + dd] + s.xk[3 * j + dd]);
      if (sk > 1e-9) continue; /* j = -i exactly (the grid's own -k) */
      for (int bb = 0; bb < s.nbnd; bb++) dek = fmax(dek, fabs(s.eig[i * s.nbnd + bb] - s.eig[j * s.nbnd + bb]));
    }
  printf("pw.x's eigenvalues of k and -k (both in the grid) differ by at most %.2e eV\n", dek);
  check_le(tr / big, 1e-6, "time reversal chi0_-G-G'(-q) = chi0_GG'(q)^*: max difference / max |chi|");
  printf("largest |chi0| %.6e 1/(eV bohr^3); head at q = 0 %.6e\n", big, g0 >= 0 ? creal(c0.chi[g0 * c0.ng + g0]) : 0);
  /* 4. W */
  {
    agape_qe_chi0 t;
    if (check(agape_qe_chi0_compute(NULL, &s, z, 0.1, BCUT, &t) == AGAPE_OK && t.ng == 1,
              "chi0 at q = 0 with G = 0 only")) {
      double complex w1;
      check(chi0pw_screen(1, t.chi, t.qg, &w1) == 0, "W of the head alone");
      check_rel(creal(w1), s.omega / (2 * n0), 1e-12,
                "W_00(q -> 0), G = 0 only: the Thomas-Fermi Omega / (2 N(E_F)) (eV bohr^3)");
      agape_qe_chi0_destroy(&t);
    }
  }
  double dy = 0, inv = 0, wbig = 0, head_lf = 0;
  int wpos = 1, wok = 1;
  for (int x = 0; x < nq && ok; x++) {
    const agape_qe_chi0 *c = &all[x];
    const int n = c->ng;
    double complex *W = malloc(sizeof(double complex) * n * n);
    if (chi0pw_screen(n, c->chi, c->qg, W)) {
      wok = 0;
      free(W);
      continue;
    }
    double mw = 0;
    for (int i = 0; i < n * n; i++) mw = fmax(mw, cabs(W[i]));
    wbig = fmax(wbig, mw);
    for (int i = 0; i < n; i++) {
      wpos &= creal(W[i * n + i]) > 0;
      if (x == 0 && c->qg[i] == 0) head_lf = creal(W[i * n + i]);
      for (int j = 0; j < n; j++) {
        /* (v^-1 - chi0) W = 1 */
        double complex r = 0;
        for (int l = 0; l < n; l++) {
          double complex m = -c->chi[i * n + l];
          if (l == i && c->qg[i] > 0) m += c->qg[i] * c->qg[i] / (4 * M_PI * AGAPE_HARTREE_EV);
          r += m * W[l * n + j];
        }
        inv = fmax(inv, cabs(r - (i == j)));
        /* W = v + v chi0 W where every v is finite */
        if (c->qg[i] > 0) {
          double vi = 4 * M_PI * AGAPE_HARTREE_EV / (c->qg[i] * c->qg[i]);
          double complex cw = 0;
          for (int l = 0; l < n; l++) cw += c->chi[i * n + l] * W[l * n + j];
          dy = fmax(dy, cabs(W[i * n + j] - (i == j ? vi : 0) - vi * cw) / mw);
        }
      }
    }
    free(W);
  }
  check(wok && wpos, "W at every q: positive definite (Cholesky) with a positive diagonal");
  check_le(inv, 1e-10, "(v^-1 - chi0) W = 1: max |residual|");
  check_le(dy, 1e-10, "W = v + v chi0 W (rows with finite v): max |residual| / max |W|");
  check(head_lf >= s.omega / (2 * n0), "W_00(q -> 0) with local fields %.6f >= Thomas-Fermi %.6f eV bohr^3", head_lf,
        s.omega / (2 * n0));
  for (int x = 0; x < nq; x++) agape_qe_chi0_destroy(&all[x]);

  /* 5. mu (6. the table, computed with it below) */
  const double sg = 0.3; /* eV */
  agape_qe_mu m1, m2;
  agape_err em1 = agape_qe_mu_compute(NULL, &s, 0.85, BCUT, sg, 0, 1, &m1);
  if (check(em1 == AGAPE_OK && m1.ng_max == 1, "mu with one G per q (largest basis %d)", m1.ng_max)) {
    int ck[27][3];
    for (int ik = 0; ik < s.nks; ik++)
      for (int i = 0; i < 3; i++) {
        double cc = 0;
        for (int dd = 0; dd < 3; dd++) cc += s.at[3 * i + dd] * s.xk[3 * ik + dd];
        ck[ik][i] = (int)lround(cc / s.alat * 3);
      }
    double nn = 0, acc = 0;
    for (int ik = 0; ik < s.nks; ik++)
      for (int b = 0; b < s.nbnd; b++) {
        double x = (s.eig[ik * s.nbnd + b] - s.ef) / sg;
        nn += fabs(x) < 6 ? exp(-0.5 * x * x) / (sqrt(2 * M_PI) * sg) / s.nks : 0;
      }
    for (int a = 0; a < 27; a++) {
      int iq[3] = {a / 9, (a / 3) % 3, a % 3};
      agape_qe_chi0 c;
      if (agape_qe_chi0_compute(NULL, &s, iq, 0.85, BCUT, &c)) break;
      double vinv = c.qg[0] > 0 ? c.qg[0] * c.qg[0] / (4 * M_PI * AGAPE_HARTREE_EV) : 0;
      double w00 = 1 / (vinv - creal(c.chi[0]));
      for (int ik = 0; ik < s.nks; ik++) {
        int jk = -1, f0[3];
        for (int j = 0; j < s.nks && jk < 0; j++) {
          int same = 1;
          for (int i = 0; i < 3; i++) same &= ((ck[ik][i] + iq[i] - ck[j][i]) % 3 + 3) % 3 == 0;
          if (same) jk = j;
        }
        for (int i = 0; i < 3; i++) f0[i] = (ck[ik][i] + iq[i] - ck[jk][i]) / 3;
        agape_qe_wfc wk, wq;
        agape_qe_wfc_read(&s, ik + 1, &wk);
        agape_qe_wfc_read(&s, jk + 1, &wq);
        for (int n = 0; n < s.nbnd; n++)
          for (int mm = 0; mm < s.nbnd; mm++) {
            double xn = (s.eig[ik * s.nbnd + n] - s.ef) / sg, xm = (s.eig[jk * s.nbnd + mm] - s.ef) / sg;
            if (fabs(xn) >= 6 || fabs(xm) >= 6) continue;
            double dn = exp(-0.5 * xn * xn) / (sqrt(2 * M_PI) * sg), dm = exp(-0.5 * xm * xm) / (sqrt(2 * M_PI) * sg);
            double complex r;
            pd_rho_direct(wk.npw, wk.mill, wk.evc + (size_t)n * wk.npw, wq.npw, wq.mill, wq.evc + (size_t)mm * wq.npw,
                          f0, 1, c.gl, &r);
            acc += dn * dm * w00 * creal(conj(r) * r) / s.omega;
          }
        agape_qe_wfc_destroy(&wk);
        agape_qe_wfc_destroy(&wq);
      }
      agape_qe_chi0_destroy(&c);
    }
    double mu_t = acc / ((double)s.nks * s.nks * nn);
    check_rel(m1.mu, mu_t, 1e-12, "mu, one G per q: the module against an independent sum (N(0) %.6f, sigma %.2f eV)",
              m1.dos0, sg);
  }
  agape_err em2 = agape_qe_mu_compute(NULL, &s, GMAX, BCUT, sg, 24, 1, &m2);
  if (check(em2 == AGAPE_OK, "mu with local fields"))
    check(m2.mu > 0,
          "mu with local fields (|q + G| <= %g bohr^-1, up to %d G) = %.6f > 0; <W>_FS = %.4f eV "
          "(one G per q: mu = %.6f)",
          GMAX, m2.ng_max, m2.mu, m2.w_fs, m1.mu);
  /* 6. the table */
  if (em2 == AGAPE_OK && check(m2.ne == 24, "the W(xi, xi') table has 24 x 24 bins")) {
    double asym = 0, wmax = 0, csum = 0, dsum = 0;
    int csym = 1;
    for (int i = 0; i < 24; i++) {
      dsum += m2.dos[i] * (m2.xi[1] - m2.xi[0]);
      for (int j = 0; j < 24; j++) {
        wmax = fmax(wmax, fabs(m2.w[i * 24 + j]));
        asym = fmax(asym, fabs(m2.w[i * 24 + j] - m2.w[j * 24 + i]));
        csym &= m2.cnt[i * 24 + j] == m2.cnt[j * 24 + i];
        csum += m2.cnt[i * 24 + j];
      }
    }
    check(csym, "the pair counts of the table are symmetric");
    check_le(asym / wmax, 1e-12, "W(xi, xi') = W(xi', xi): max |difference| / max |W| (%.4f eV)", wmax);
    check_abs(csum, 27.0 * 27 * 12 * 12, 0, "every pair of states counted once");
    check_rel(dsum, 12.0, 1e-12, "the DOS per bin integrates to the 12 bands");
    int i0 = 0;
    for (int i = 0; i < 24; i++)
      if (fabs(m2.xi[i]) < fabs(m2.xi[i0])) i0 = i;
    printf("W(xi, xi') in the bin at %.3f eV: %.4f eV (bins %.3f .. %.3f eV)\n", m2.xi[i0], m2.w[i0 * 24 + i0],
           m2.xi[0], m2.xi[23]);
  }
  /* 7. one q per star */
  /* a cut below the lowest energy of band 12, so that every state under it is in the folder
   * at every k (a cut above it would split degenerate multiplets differently at k points a
   * symmetry relates) */
  double top = INFINITY, csum_all = 0;
  for (int ik = 0; ik < s.nks; ik++) top = fmin(top, s.eig[(size_t)ik * s.nbnd + s.nbnd - 1] - s.ef);
  const double cut = top - 0.05;
  for (int ik = 0; ik < s.nks; ik++)
    for (int b = 0; b < s.nbnd; b++) csum_all += s.eig[(size_t)ik * s.nbnd + b] - s.ef <= cut;
  agape_qe_mu m3, m4;
  agape_err em3 = agape_qe_mu_compute(NULL, &s, GMAX, cut, sg, 24, 0, &m3);
  agape_err em4 = agape_qe_mu_compute(NULL, &s, GMAX, cut, sg, 24, 1, &m4);
  if (check(em3 == AGAPE_OK && em4 == AGAPE_OK, "mu over one q per star and over every q (cut %.3f eV)", cut)) {
    double dw = 0, wmax = 0, csum = 0;
    for (int x = 0; x < 24 * 24; x++) {
      dw = fmax(dw, fabs(m3.w[x] - m4.w[x]));
      wmax = fmax(wmax, fabs(m4.w[x]));
      csum += m3.cnt[x];
    }
    check(m3.nq < 27, "%d q computed of the grid's 27", m3.nq);
    check_abs(csum, csum_all * csum_all, 0,
              "every pair of states below the cut counted once through the stars' weights");
    check_rel(m3.mu, m4.mu, 1e-5, "mu over the stars = mu over every q");
    check_le(dw / wmax, 1e-5, "the table over the stars = over every q: max |difference| / max |W|");
    agape_qe_mu_destroy(&m3);
    agape_qe_mu_destroy(&m4);
  }
  agape_qe_mu_destroy(&m1);
  agape_qe_mu_destroy(&m2);
  agape_qe_chi0_destroy(&c0);
  agape_qe_save_destroy(&s);
  return check_summary();
}
