"""[coulomb] mode = rpa with qe_save: the gap equation's W(xi, xi') and mu from the Kohn-Sham states
of a Quantum ESPRESSO save folder (tests/data/al-qe/al-full.save: fcc Al, the full 3^3 grid).
The phonons are an Einstein alpha^2F on a flat DOS (source = a2f): the test is about the data
flow from the wavefunctions to the gap equation, not about Al.

1. The run computes mu, <W>_FS, <v>_FS and the table into /coulomb (mu > 0, <W>_FS < <v>_FS:
   screening lowers the interaction), with a symmetric W(xi, xi').
2. The same deck with mode = file and the run's own table written as a W file gives the same
   gaps to 1e-12 and the same Tc within the Tc search's tolerance (tc_tol = 1e-9, relative):
   the gap equation uses the table exactly as it uses any W(xi, xi'). The two searches start
   from different guesses (mu = N(0)<W>_FS here, N(0)W(0,0) from a file), so their roots agree
   to tc_tol, not to round-off.
3. 1 and 2 ranks, and 1 and 2 threads, give the same mu, table, Tc and gaps bit for bit (the
   k blocks of a rank are spread over its threads, each into its own partial, and LAPACK's
   factorisation of W runs on one thread: OpenBLAS's threaded one rounds differently for each
   thread count, which this check caught).
4. mode = rpa lowers Tc against mode = none (the Coulomb repulsion).
5. A save folder with irreducible k only (al.save, the scf) is refused with the nscf settings
   that fix it, a model-only key (rpa_kgrid) is warned as not applying, and a Fermi-surface
   width with no state of the grid inside it is refused with the width it needs (it gave
   mu = nan and went on).
6. Eliashberg (isotropic) with mode = rpa takes mu* from the same W(xi, xi') by the Morel-Anderson
   renormalisation on the table onto wscut: 0 < mu* < mu, and a run with that mu* given as
   [solver] mustar gives the same Tc to 1e-12.
7. Eliashberg with mode = file and a constant W on a flat DOS: mu* is Morel-Anderson's
   mu / (1 + (mu/2)(ln(E_-/w_c) + ln(E_+/w_c))), mu = N(0) W, E_+- the table's edges, to 1e-10.
   Giving mustar as well is refused.
8. A save folder of another crystal than the phonon data's (MgB2's EPW data, Al's save folder)
   is refused before any W is computed, on every rank, naming both files, with no results file
   (the comparison itself: tests/unit/test_crystal.c).
9. A truncated wfc file in the middle of the grid (wfc14.dat cut in half), which only the rank
   that sums that k point reads, stops every rank with one message naming the file, a non-zero
   exit and no results file (the reader's own checks: tests/unit/test_qe_save.c)."""
import os
import shutil
import h5py
import numpy as np
from agapetest import args, Checks, run, read, rel, workdir, test_data

a = args()
c = Checks()
FULL = test_data("al-qe", "al-full.save")


def deck(coulomb, extra=""):
    return f"""[material]
source = a2f
a2f_file = ein.dat
dos_per_eV_spin = 0.3
[coulomb]
{coulomb}
[solver]
method = scdft
functional = lmg
tol = 1e-10
tc_tol = 1e-9
[temperatures]
list = 5
tc_search = yes
[output]
file = results.h5
plot = no
{extra}"""


RPA = f"mode = rpa\nqe_save = {FULL}\nrpa_gmax_bohr = 2.0\nrpa_smearing_meV = 300"
res = {}
for name, cou, ranks, threads in (("rpa1", RPA, 1, 1), ("rpa2", RPA, 2, 1), ("rpa1t2", RPA, 1, 2),
                                  ("none", "mode = none", 2, 1)):
    d = workdir(name)
    h = 0.01
    w = np.array([0.0, 50.0 - h, 50.0, 50.0 + h, 60.0])
    np.savetxt(os.path.join(d, "ein.dat"), np.c_[w, np.array([0, 0, 1.0, 0, 0]) * 50.0 / (2 * h)])
    rc, so, se = run(a, deck(cou), ranks=ranks, threads=threads, workdir=d)
    if c.check(rc == 0, f"{name}: run"):
        res[name] = read(os.path.join(d, "results.h5"))
        res[name + "_dir"] = d
if "rpa1" in res:
    r = res["rpa1"]
    mu, wfs, vfs, W = float(r["coulomb/mu"]), float(r["coulomb/w_fs"]), float(r["coulomb/w_bare_fs"]), r["coulomb/w_xi"]
    c.check(mu > 0 and 0 < wfs < vfs, f"mu = {mu:.6f}, <W>_FS = {wfs:.4f} eV < <v>_FS = {vfs:.3f} eV")
    asym = np.max(np.abs(W - W.T)) / np.max(np.abs(W))
    c.check(asym < 1e-12, f"W(xi, xi') symmetric ({W.shape[0]} bins): {asym:.1e}")
    # 2. the same table through mode = file
    d = workdir("file")
    with h5py.File(os.path.join(d, "w.h5"), "w") as f:
        f["xi"] = r["coulomb/xi_axis"]
        f["w"] = W
    np.savetxt(os.path.join(d, "ein.dat"), np.loadtxt(os.path.join(res["rpa1_dir"], "ein.dat")))
    rc, so, se = run(a, deck("mode = file\nw_file = w.h5"), ranks=1, workdir=d)
    if c.check(rc == 0, "mode = file with the run's own table: run"):
        rf = read(os.path.join(d, "results.h5"))
        dt = rel(float(rf["tc"]), float(r["tc"]))
        dg = np.max(np.abs(rf["gap/delta"] - r["gap/delta"])) / np.max(np.abs(r["gap/delta"]))
        c.check(dt < 1e-9 and dg < 1e-12, f"the same Tc ({float(r['tc']):.8f} K, {dt:.1e}) and gaps ({dg:.1e})")
for other, what in (("rpa2", "1 and 2 ranks"), ("rpa1t2", "1 and 2 threads")):
    if "rpa1" in res and other in res:
        r1, r2 = res["rpa1"], res[other]
        same = (float(r1["coulomb/mu"]) == float(r2["coulomb/mu"])
                and np.array_equal(r1["coulomb/w_xi"], r2["coulomb/w_xi"])
                and float(r1["tc"]) == float(r2["tc"]) and np.array_equal(r1["gap/delta"], r2["gap/delta"]))
        c.check(same, f"{what}: mu, W(xi, xi'), Tc and gaps bit for bit")
if "rpa1" in res and "none" in res:
    c.check(float(res["rpa1"]["tc"]) < float(res["none"]["tc"]),
            f"Tc with the RPA Coulomb {float(res['rpa1']['tc']):.4f} K < {float(res['none']['tc']):.4f} K without")
# 5. bad input
d = workdir("irr")
np.savetxt(os.path.join(d, "ein.dat"), np.c_[[0.0, 49.99, 50.0, 50.01, 60.0], [0, 0, 2500.0, 0, 0]])
rc, so, se = run(a, deck(f"mode = rpa\nqe_save = {test_data('al-qe', 'al.save')}\nrpa_kgrid = 4"), ranks=2,
                 workdir=d, expect_ok=False)
c.check(rc != 0 and "nosym" in se and "al.save" in se,
        "a save folder with irreducible k only is refused, naming it and the nscf settings")
c.check("rpa_kgrid does not apply" in se, "rpa_kgrid with qe_save is warned as not applying")
# a Fermi-surface width that leaves no state of the 3^3 grid within 6 sigma of E_F (the nearest
# is tens of meV away) is refused with the width needed, on every rank, with no results file
d = workdir("narrow")
np.savetxt(os.path.join(d, "ein.dat"), np.c_[[0.0, 49.99, 50.0, 50.01, 60.0], [0, 0, 2500.0, 0, 0]])
rc, so, se = run(a, deck(f"mode = rpa\nqe_save = {FULL}\nrpa_gmax_bohr = 2.0\nrpa_smearing_meV = 0.1"), ranks=2,
                 workdir=d, expect_ok=False)
c.check(rc != 0 and "rpa_smearing_meV above" in se and not os.path.exists(os.path.join(d, "results.h5")),
        "an empty Fermi-surface average (rpa_smearing_meV = 0.1) is refused with the width it needs")
# 6. Eliashberg with mode = rpa
EDECK = """[material]
source = a2f
a2f_file = ein.dat
dos_per_eV_spin = 0.3
[coulomb]
{cou}
[solver]
method = eliashberg
anisotropy = iso
wscut_meV = 500
{mustar}
tc_tol = 1e-10
[temperatures]
list = 5
tc_search = yes
[output]
file = results.h5
plot = no
"""
EIN = np.c_[[0.0, 49.99, 50.0, 50.01, 60.0], [0, 0, 2500.0, 0, 0]]
d = workdir("eli-rpa")
np.savetxt(os.path.join(d, "ein.dat"), EIN)
rc, so, se = run(a, EDECK.format(cou=RPA, mustar=""), ranks=2, workdir=d)
if c.check(rc == 0, "Eliashberg with mode = rpa: run"):
    r = read(os.path.join(d, "results.h5"))
    ms, mu = float(r["gap/mustar"]), float(r["coulomb/mu"])
    c.check(0 < ms < mu, f"mu* = {ms:.6f} at wscut 500 meV from mu = {mu:.6f}")
    d2 = workdir("eli-given")
    np.savetxt(os.path.join(d2, "ein.dat"), EIN)
    rc, so, se = run(a, EDECK.format(cou="mode = none", mustar=f"mustar = {ms!r}"), ranks=2, workdir=d2)
    if c.check(rc == 0, "Eliashberg with that mu* given: run"):
        t1, t2 = float(r["tc"]), float(read(os.path.join(d2, "results.h5"))["tc"])
        c.check(rel(t1, t2) < 1e-12, f"the same Tc: {t1:.10f} K and {t2:.10f} K")
# 7. mode = file, constant W, flat DOS
d = workdir("eli-file")
np.savetxt(os.path.join(d, "ein.dat"), EIN)
xi = np.linspace(-3, 7, 41)  # bin centres 0.25 apart: edges -3.125 and 7.125
with h5py.File(os.path.join(d, "w.h5"), "w") as f:
    f["xi"] = xi
    f["w"] = np.full((41, 41), 0.8)
rc, so, se = run(a, EDECK.format(cou="mode = file\nw_file = w.h5", mustar=""), ranks=1, workdir=d)
if c.check(rc == 0, "Eliashberg with mode = file: run"):
    ms = float(read(os.path.join(d, "results.h5"))["gap/mustar"])
    mu, wc, em, ep = 0.3 * 0.8, 0.5, 3.125, 7.125
    want = mu / (1 + 0.5 * mu * (np.log(em / wc) + np.log(ep / wc)))
    c.check(rel(ms, want) < 1e-10, f"constant W: mu* = {ms:.10f}, Morel-Anderson {want:.10f}")
rc, so, se = run(a, EDECK.format(cou="mode = file\nw_file = w.h5", mustar="mustar = 0.1"), ranks=1, workdir=d,
                 expect_ok=False)
c.check(rc != 0 and "mustar" in se, "mustar together with mode = file is refused")
# 8. another crystal
d = workdir("other-crystal")
rc, so, se = run(a, f"""[material]
source = epw
epw_dir = {test_data('mgb2-tiny-epw', 'MgB2.ephmat')}
[coulomb]
mode = rpa
qe_save = {FULL}
[solver]
method = scdft
functional = lmg
[sampling]
npoints = 500
[temperatures]
list = 5
[output]
file = results.h5
plot = no
""", ranks=2, workdir=d, expect_ok=False)
c.check(rc != 0 and "do not describe the same crystal" in se and "crystal.fmt" in se and "al-full.save" in se
        and "RPA from" not in so and not os.path.exists(os.path.join(d, "results.h5")),
        "MgB2's EPW data with Al's save folder: refused, naming both files, before the W stage")
# 9. a truncated wavefunction file, read by one rank
d = workdir("cut-wfc")
cut = os.path.join(d, "al-full.save")
shutil.copytree(FULL, cut)
wfc = os.path.join(cut, "wfc14.dat")
with open(wfc, "r+b") as f:
    f.truncate(os.path.getsize(wfc) // 2)
np.savetxt(os.path.join(d, "ein.dat"), EIN)
rc, so, se = run(a, deck(f"mode = rpa\nqe_save = {cut}\nrpa_gmax_bohr = 2.0\nrpa_smearing_meV = 300"), ranks=2,
                 workdir=d, expect_ok=False, timeout=300)
c.check(rc != 0 and "wfc14.dat" in se and not os.path.exists(os.path.join(d, "results.h5")),
        f"a truncated wfc14.dat: every rank stops (exit {rc}), the message names the file, no results file")
c.close()
