"""Migdal-Eliashberg on Monte-Carlo states of EPW data ([sampling] states = montecarlo): both
theories on one sample.

Synthetic EPW files (agapetest.write_epw_triangle): one band with a flat DOS, reproduced
exactly by the interpolation, one phonon Omega = 50 meV at every q and one |g|^2 for every
(k, q), lambda = 1.

1. Every pair of states carries the same coupling, so the sample's lambda times
   N(E_F)/N(0)_sample is 1 to round-off and no pair lies beyond the data.
2. With a constant coupling the anisotropic equations are the isotropic ones: every row of
   lambda_ss'(i nu) sums to sum_t wk_t fsd_t 2 |g|^2 Omega/(Omega^2 + nu^2) = 2 N(0) |g|^2 ... =
   the isotropic lambda(i nu) of the sample's alpha^2F, and the mu* rows are the Fermi-surface
   weights, so mu* acts on the Fermi-surface average. On the same sample the anisotropic Tc
   equals the isotropic one and every state's Delta(i omega_0) equals the isotropic Delta to
   the solvers' tolerances (1e-7 relative: tc_tol 1e-9 and tol 1e-10 leave room for the
   Arnoldi and Anderson end points). A wrong column weight, delta or mu* row breaks it.
3. The isotropic run on the sample equals the a2f path on an Einstein alpha^2F with the
   sample's lambda (a peak 0.02 meV wide: its own error is ~(0.01/50)^2), to 1e-6 in Tc.
4. A q mesh of nkf/2 gives the same Tc and gaps (1e-9): the coupling interpolation between
   meshes, not a class structure of the k mesh, decides.
5. 1, 2 and 4 ranks and 2 threads: the same Tc and gaps to 1e-10.
6. The reduced Pb fixture (tests/data/pb-epw: 24^3 k, 12^3 q, where anisotropic Eliashberg on
   EPW's window states splits the k mesh into 8 classes and gives a Tc 31 % above the
   isotropic one): on Monte-Carlo states the anisotropic Tc lies within 5 % of the isotropic
   Tc of the same sample. Pb is a weakly anisotropic metal: the Tc gain of anisotropy is of
   second order in the spread of the state-resolved lambda (here about 10 %, Monte-Carlo
   noise of ~400 columns per row included), i.e. a few percent at most. The run also reports
   the share of Fermi-surface pairs that EPW's thin window leaves without data (a steep band
   on a 24^3 mesh with fsthick 0.4 eV), warns, and gives every state near E_F a positive
   gap (without the average coupling those pairs had none and their states a negative gap)."""
import os
import numpy as np
from agapetest import args, Checks, run, read, rel, workdir, write_epw_triangle, test_data

a = args()
c = Checks()
A, OMEGA, LAM, EF = 0.5, 0.05, 1.0, 5.0   # eV, eV, -, eV


def deck(material, aniso, extra, temps="10", tc_tol=1e-9):
    return f"""[material]
{material}
[solver]
method = eliashberg
anisotropy = {aniso}
mustar = 0.1
tol = 1e-10
max_iter = 500
tc_tol = {tc_tol}
[sampling]
{extra}
[temperatures]
list = {temps}
tc_search = yes
[output]
file = results.h5
plot = no
"""


def folder(nq, name):
    """a run folder beside the data of q mesh nq^3"""
    d = os.path.join(wd, f"q{nq}", name)
    os.makedirs(d)
    for f in ("tri.ephmat", "crystal.fmt"):
        os.symlink(os.path.join(wd, f"q{nq}", f), os.path.join(d, f))
    return d


wd = workdir("eli-epw-mc")
for nq in (8, 4):
    N0 = write_epw_triangle(os.path.join(wd, f"q{nq}", "tri.ephmat"), 8, nq, A, EF, OMEGA, LAM)
MAT = "source = epw\nepw_dir = tri.ephmat"
MC = "states = montecarlo\nnpoints = 500\nseed = 3"
res = {}
for nq, aniso in ((8, "iso"), (8, "aniso"), (4, "aniso")):
    d = folder(nq, aniso)
    rc, so, se = run(a, deck(MAT, aniso, MC), ranks=2, workdir=d)
    if c.check(rc == 0, f"q mesh {nq}^3, anisotropy = {aniso}: run"):
        res[(nq, aniso)] = read(os.path.join(d, "results.h5"))

# 1. constant coupling
for key, r in res.items():
    lam, dos = float(r["coupling/lambda"]), float(r["coupling/dos0"])
    c.check(abs(lam * N0 / dos - 1) < 1e-10 and float(r["coupling/unreached"]) == 0,
            f"{key}: lambda x N(E_F)/N(0)_sample = {lam * N0 / dos:.12f} (1), unreached "
            f"{float(r['coupling/unreached'])} (0)")
# 2. anisotropic = isotropic for a constant coupling
if (8, "iso") in res and (8, "aniso") in res:
    ri, ra = res[(8, "iso")], res[(8, "aniso")]
    ti, ta = float(ri["tc"]), float(ra["tc"])
    gi, ga = float(ri["gap/delta"][0][0]), ra["gap/delta"][0]
    dg = np.max(np.abs(ga / gi - 1))
    c.check(rel(ta, ti) < 1e-7 and dg < 1e-7 and len(ga) > 100,
            f"constant coupling: anisotropic Tc {ta:.9f} K against isotropic {ti:.9f} K ({rel(ta, ti):.1e}); "
            f"the {len(ga)} states' gaps within {dg:.1e} of the isotropic {gi:.6f} meV")
    # 3. the isotropic run is the Eliashberg solution of the sample's alpha^2F
    lam = float(ri["coupling/lambda"])
    h = 0.01
    w = np.array([0.0, 50.0 - h, 50.0, 50.0 + h, 60.0])
    d = os.path.join(wd, "a2f")
    os.makedirs(d)
    np.savetxt(os.path.join(d, "ein.dat"), np.c_[w, np.array([0, 0, 1.0, 0, 0]) * lam * 50.0 / (2 * h)])
    rc, so, se = run(a, deck(f"source = a2f\na2f_file = ein.dat\ndos_per_eV_spin = {N0}", "iso", ""), workdir=d)
    if c.check(rc == 0, "a2f path: run"):
        t2 = float(read(os.path.join(d, "results.h5"))["tc"])
        c.check(rel(ti, t2) < 1e-6,
                f"isotropic on the sample {ti:.7f} K against the a2f path with the sample's lambda = {lam:.6f}: "
                f"{t2:.7f} K ({rel(ti, t2):.1e})")
# 4. halved q mesh
if (8, "aniso") in res and (4, "aniso") in res:
    r8, r4 = res[(8, "aniso")], res[(4, "aniso")]
    dg = np.max(np.abs(r8["gap/delta"] - r4["gap/delta"])) / np.max(np.abs(r8["gap/delta"]))
    c.check(rel(float(r4["tc"]), float(r8["tc"])) < 1e-9 and dg < 1e-9,
            f"nqf = nkf/2: anisotropic Tc {float(r4['tc']):.10f} K against {float(r8['tc']):.10f} K, gaps within "
            f"{dg:.1e}")
# 5. ranks and threads
out = {}
for ranks, threads in ((1, 1), (2, 1), (4, 1), (1, 2)):
    d = folder(4, f"r{ranks}t{threads}")
    rc, so, se = run(a, deck(MAT, "aniso", "states = montecarlo\nnpoints = 300"), ranks=ranks, threads=threads,
                     workdir=d)
    if c.check(rc == 0, f"{ranks} rank(s) x {threads} thread(s): run"):
        out[(ranks, threads)] = read(os.path.join(d, "results.h5"))
if (1, 1) in out:
    r0 = out[(1, 1)]
    for key, r in out.items():
        if key != (1, 1):
            dg = np.max(np.abs(r["gap/delta"] - r0["gap/delta"])) / np.max(np.abs(r0["gap/delta"]))
            dt = rel(float(r["tc"]), float(r0["tc"]))
            c.check(np.array_equal(r["states/k"], r0["states/k"]) and dg <= 1e-10 and dt <= 1e-10,
                    f"{key[0]} rank(s) x {key[1]} thread(s): the states of 1 x 1, Tc within {dt:.1e}, gaps within "
                    f"{dg:.1e}")
# 6. Pb: no class artefact
pb = test_data("pb-epw", "pb.ephmat")
pbr = {}
for aniso in ("iso", "aniso"):
    d = os.path.join(wd, f"pb-{aniso}")
    os.makedirs(d)
    rc, so, se = run(a, deck(f"source = epw\nepw_dir = {pb}\neps_acustic_cm = 2\na2f_bins = 24", aniso,
                             "states = montecarlo\nnpoints = 800", temps="2", tc_tol=1e-6), ranks=2, workdir=d)
    if c.check(rc == 0, f"Pb, anisotropy = {aniso}: run"):
        pbr[aniso] = (read(os.path.join(d, "results.h5")), se)
if len(pbr) == 2:
    ri, ra = pbr["iso"][0], pbr["aniso"][0]
    ti, ta = float(ri["tc"]), float(ra["tc"])
    c.check(abs(ta / ti - 1) < 0.05,
            f"Pb on Monte-Carlo states: anisotropic Tc {ta:.3f} K, isotropic {ti:.3f} K on the same sample "
            f"({100 * (ta / ti - 1):+.1f} %, within 5 %)")
    un = float(ra["coupling/unreached"])
    c.check(un > 0.01 and "beyond the reach" in pbr["aniso"][1],
            f"Pb: {100 * un:.1f} % of the Fermi-surface pair weight beyond EPW's window is reported and warned")
    xi, g = ra["states/xi"], ra["gap/delta"][0]
    near = np.abs(xi) < 0.01
    c.check(np.all(g[near] > 0),
            f"Pb: every state within 10 meV of E_F has a positive gap ({g[near].min():.3f} .. {g[near].max():.3f} meV)")
c.close()
