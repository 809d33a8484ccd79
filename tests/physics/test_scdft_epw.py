"""SCDFT ([solver] method = scdft) on EPW data ([material] source = epw), on EPW's own window
states ([sampling] states = window; Monte-Carlo states: test_scdft_epw_mc.py).

1. Constant coupling, flat DOS: EPW files written here from scratch (one band on a 10^3 k
   mesh with no symmetry, every q of the same 10^3 mesh selected, one phonon frequency
   Omega for every q, one |g|^2 for every (k, q), and the band energies the midpoints of a
   uniform grid over the Fermi window, so that the DOS is flat). Every pair kernel is then
   |g|^2 K(xi, xi', Omega): the problem is the isotropic one of an Einstein alpha^2F with the
   same lambda = 2 N(0) |g|^2 / Omega on a flat DOS, which the a2f path solves on its own
   energy grid. The two Tc must agree. What differs is the quadrature: the midpoint rule
   over the window states (spacing h = 0.5 meV = 0.17 k_B Tc) against Gauss-Legendre
   panels. The integrand is smooth through E_F and the midpoint rule's Euler-Maclaurin
   error is the end term h^2 f'/24 at the window edges +-W = +-5 Omega, where f is a ~1/xi^2
   tail: about 1e-7 of Tc, the size of the Tc search's own tolerance (tc_tol 1e-7). Bound:
   1e-5 relative (measured: 4e-8). LMG with mu = 0.1 (through the energy grid outside the
   window too) and SPG with mu = 0. The gaps of the window states (|xi| < 0.1 eV) against
   the a2f path's gap linearly interpolated at their energies: the interpolation between
   the a2f path's nodes costs ~(node spacing)^2 Delta''/8, a few 1e-4 of the gap near the
   phonon energy; bound 1e-3 of the largest gap.
2. 1 and 2 ranks, 1 and 2 threads give the same gaps (flat data, LMG, mu = 0.1).
3. The couplings of real EPW data (EPW's tiny MgB2 set, k and q 6^3, cut to the states within
   2 eV of E_F: tests/data/mgb2-tiny-epw): the Fermi-surface
   lambda of the window states (the kernel's own couplings averaged over the Fermi surface)
   times N(0)_sample / N(E_F)_EPW must equal the summed lambda EPW printed, to 1e-7 (EPW
   prints 8 digits: half a unit of the last one is 6e-8 of 0.87).
4. Data with a coarser fine q mesh than k mesh (the Pb set) are refused for SCDFT with a
   message naming the folder, and nothing is written.
Parts 1 and 2 need nothing outside the repository, parts 3 and 4 use the repository's fixtures
(tests/data/mgb2-tiny-epw, with EPW's numbers in its reference.txt, and tests/data/pb-epw)."""
import os
import numpy as np
from agapetest import args, Checks, run, read, rel, reference, test_data, workdir, write_epw_one_band

a = args()
c = Checks()


def write_flat_epw(folder, n=10, W=0.25, omega=0.05, lam=1.0, ef=5.0, degaussw=0.02):
    """A single-band EPW 5.3 folder (sequential files) with a flat DOS and constant coupling."""
    N = n ** 3
    n0 = 1.0 / (2 * W)                      # states/eV/spin: one state per spin over 2W
    g2 = lam * omega / (2 * n0)             # eV^2
    xi = -W + (np.arange(N) + 0.5) * 2 * W / N
    perm = (np.arange(N) * 7919) % N        # a fixed bijection k -> energy
    write_epw_one_band(folder, n, n, ef + xi[perm], ef, n0, degaussw, W, omega, g2, npool=2)
    return n0


def deck(material, functional, mu, temps, extra=""):
    coul = f"mode = mu\nmu = {mu}" if mu > 0 else "mode = none"
    return f"""[material]
{material}
[coulomb]
{coul}
[solver]
method = scdft
functional = {functional}
tol = 1e-10
max_iter = 2000
tc_tol = 1e-7
{extra}
[sampling]
states = window
[temperatures]
list = {temps}
tc_search = yes
[output]
file = results.h5
plot = no
"""


# ---- 1. constant coupling, flat DOS: EPW path against the a2f path ----------------------
wd = workdir("scdft-epw")
n0 = write_flat_epw(os.path.join(wd, "flat.ephmat"))
h = 0.01                                     # meV, half-width of the Einstein line
w = np.array([0.0, 50.0 - h, 50.0, 50.0 + h, 60.0])
np.savetxt(os.path.join(wd, "ein.dat"), np.c_[w, np.array([0, 0, 1.0, 0, 0]) * 1.0 * 50.0 / (2 * h)])
for functional, mu in (("lmg", 0.1), ("spg", 0.0)):
    out = {}
    for src, mat in (("epw", "source = epw\nepw_dir = flat.ephmat"),
                     ("a2f", f"source = a2f\na2f_file = ein.dat\ndos_per_eV_spin = {n0}")):
        d = os.path.join(wd, f"{functional}-{src}")
        os.makedirs(d)
        os.symlink(os.path.join(wd, "flat.ephmat"), os.path.join(d, "flat.ephmat"))
        os.symlink(os.path.join(wd, "ein.dat"), os.path.join(d, "ein.dat"))
        rc, so, se = run(a, deck(mat, functional, mu, "20"), ranks=2, workdir=d)
        if not c.check(rc == 0, f"{functional} {src}: run"):
            continue
        out[src] = read(os.path.join(d, "results.h5"))
    if len(out) < 2:
        continue
    te, ta = float(out["epw"]["tc"]), float(out["a2f"]["tc"])
    c.check(rel(te, ta) < 1e-5, f"{functional} mu={mu}: Tc on the EPW states {te:.7f} K, a2f path {ta:.7f} K "
            f"(rel {rel(te, ta):.2e} < 1e-5)")
    r = out["epw"]
    nmc = int(np.sum(r["states/band"] >= 0))
    xe, de = r["states/xi"][:nmc], r["gap/delta"][0][:nmc]
    xa, da = out["a2f"]["states/xi"], out["a2f"]["gap/delta"][0]
    o = np.argsort(xa)
    near = np.abs(xe) < 0.1
    ref = np.interp(xe[near], xa[o], da[o])
    err = np.max(np.abs(de[near] - ref)) / np.max(np.abs(ref))
    c.check(err < 1e-3, f"{functional}: gaps of the window states |xi| < 0.1 eV against the a2f path's gap at "
            f"their energies, max difference {err:.2e} of the largest gap (< 1e-3)")

# ---- 2. ranks and threads: the flat data again -----------------------------------------
gaps = {}
for ranks, threads in ((1, 1), (2, 1), (1, 2)):
    d = os.path.join(wd, f"r{ranks}t{threads}")
    os.makedirs(d)
    os.symlink(os.path.join(wd, "flat.ephmat"), os.path.join(d, "flat.ephmat"))
    rc, so, se = run(a, deck("source = epw\nepw_dir = flat.ephmat", "lmg", 0.1, "10, 30"),
                     ranks=ranks, threads=threads, workdir=d)
    if c.check(rc == 0, f"flat data on {ranks} rank(s) x {threads} thread(s): run"):
        gaps[(ranks, threads)] = read(os.path.join(d, "results.h5"))["gap/delta"]
if (1, 1) in gaps:
    for key, g in gaps.items():
        if key != (1, 1):
            dd = np.max(np.abs(g - gaps[(1, 1)])) / np.max(np.abs(gaps[(1, 1)]))
            c.check(dd < 1e-12, f"{key[0]} rank(s) x {key[1]} thread(s): gaps equal 1 x 1 ({dd:.1e})")

# ---- 3. real data: the couplings of EPW's tiny MgB2 set (the repository's cut) ----------
summed = reference("mgb2-tiny-epw", "lambda_summed")       # MgB2.a2f of EPW's run
nf = reference("mgb2-tiny-epw", "dos_states_spin_eV")       # epw1.out of EPW's run
d = os.path.join(wd, "tiny")
os.makedirs(d)
os.symlink(test_data("mgb2-tiny-epw", "MgB2.ephmat"), os.path.join(d, "MgB2.ephmat"))
rc, so, se = run(a, deck("source = epw\nepw_dir = MgB2.ephmat", "lmg", 0.0, "10"), ranks=2, workdir=d)
if c.check(rc == 0, "MgB2 tiny: run exits 0"):
    r = read(os.path.join(d, "results.h5"))
    lam, dos = float(r["coupling/lambda"]), float(r["coupling/dos0"])
    c.check(rel(lam * dos / nf, summed) < 1e-7,
            f"MgB2 tiny: lambda of the kernel's couplings x N(0)/N(E_F) = {lam * dos / nf:.7f}, "
            f"EPW's summed lambda {summed:.7f}")
    c.check(float(r["tc"]) > 0 and np.all(r["gap/converged"] == 1),
            f"MgB2 tiny: Tc = {float(r['tc']):.3f} K (LMG, mu = 0), gap converged")

# ---- 4. a coarser q mesh than k mesh is refused -------------------------------------------
pb = test_data("pb-epw")
d = os.path.join(wd, "pb")
os.makedirs(d)
os.symlink(os.path.join(pb, "pb.ephmat"), os.path.join(d, "pb.ephmat"))
rc, so, se = run(a, deck("source = epw\nepw_dir = pb.ephmat\neps_acustic_cm = 2", "lmg", 0.1, "2"),
                 ranks=2, workdir=d, expect_ok=False)
c.check(rc != 0 and "fine q mesh equal to its fine k" in se and "pb.ephmat" in se
        and not os.path.exists(os.path.join(d, "results.h5")),
        "Pb (k 24^3, q 12^3): SCDFT refused with a message naming the folder, nothing written")
c.close()
