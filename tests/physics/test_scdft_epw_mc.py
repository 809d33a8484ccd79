"""SCDFT on Monte-Carlo states of EPW data ([sampling] states = montecarlo).

EPW files written here from scratch: one band xi(k) = A (|2 k_x - 1| - 1/2) on an 8^3 k mesh
(a triangle wave in k_x, so its DOS is flat, 1/A per spin over [-A/2, A/2], and trilinear
interpolation reproduces it exactly: its kinks lie on mesh planes), every k its own
representative, the window just wider than the band, one phonon Omega = 50 meV at every q and
one |g|^2 for every (k, q) with lambda = 2 N(0) |g|^2 / Omega = 1. A simple cubic crystal.fmt.

1. Interpolating a constant coupling gives that constant for every pair: the sample's lambda
   times N(E_F) / N(0)_sample must be 1 to round-off (1e-10).
2. The same data with the q mesh halved (nqf = nkf/2 = 4) give the same result: Tc and the
   gaps equal to 1e-9 of the 8^3 run with the same seed (the interpolated coupling is the
   same constant; only round-off differs).
3. The problem is then the isotropic one of an Einstein alpha^2F on a flat DOS, which the a2f
   path solves on its Gauss-Legendre grid (test_scdft_epw.py, part 1, shows that path
   agrees with a uniform sampling of the window to 4e-8). What the Monte-Carlo states add
   is a random quadrature of the window: three seeds give Tc_s, their standard error
   se = std/sqrt(3) measures it, and |mean - Tc_a2f| must be below 4 se + 1e-5 Tc_a2f (the
   a2f path's own bound).
4. The Monte-Carlo states lie inside the window and their weights sum to the window's share
   of the band (here all of it: 1 within the Monte-Carlo error, 4 se of the seeds).
5. With symmetry: the same band and couplings written as EPW writes a crystal with symmetry,
   only the irreducible k (a tetragonal crystal, 4-fold axis along x, which keeps the band:
   16 operations, 75 of the 512 points), unfolded by the operations spglib finds in its
   crystal.fmt. The interpolated data are the same numbers, so the states must be the same
   bits and Tc and the gaps the same to 1e-12 as the run on the full mesh (q mesh 4^3, seed 1).
6. 1, 2 and 4 ranks and 2 threads draw the same states, bit for bit, and give the same Tc and
   gaps to 1e-10 (600 states, the halved q mesh; a 2 x 2 process grid adds the stored kernel's
   column blocks in another order, so round-off may differ there)."""
import os
import numpy as np
from agapetest import args, Checks, run, read, rel, workdir, write_epw_triangle

a = args()
c = Checks()
A, OMEGA, LAM, EF = 0.5, 0.05, 1.0, 5.0   # eV, eV, -, eV
N0 = 1.0 / A                                # states/eV/spin


def write_epw(folder, nk, nq, symmetric=False):
    """The triangle-wave band on an nk^3 k mesh, couplings on an nq^3 q mesh (EPW 5.3 files),
    and its crystal.fmt beside the folder."""
    write_epw_triangle(folder, nk, nq, A, EF, OMEGA, LAM, symmetric=symmetric)


def deck(material, temps, extra=""):
    return f"""[material]
{material}
[coulomb]
mode = mu
mu = 0.1
[solver]
method = scdft
functional = lmg
tol = 1e-10
max_iter = 2000
tc_tol = 1e-7
[sampling]
{extra}
[temperatures]
list = {temps}
tc_search = yes
[output]
file = results.h5
plot = no
"""


wd = workdir("scdft-epw-mc")
res = {}
for nq in (8, 4):
    write_epw(os.path.join(wd, f"q{nq}", "tri.ephmat"), 8, nq)
write_epw(os.path.join(wd, "sym", "tri.ephmat"), 8, 4, symmetric=True)
seeds = (1, 2, 3)
logs = {}
for nq, seed in [(8, s) for s in seeds] + [(4, 1), ("sym", 1)]:
    src = os.path.join(wd, f"q{nq}" if nq != "sym" else "sym")
    d = os.path.join(src, f"s{seed}")
    os.makedirs(d)
    os.symlink(os.path.join(src, "tri.ephmat"), os.path.join(d, "tri.ephmat"))
    os.symlink(os.path.join(src, "crystal.fmt"), os.path.join(d, "crystal.fmt"))
    rc, so, se = run(a, deck("source = epw\nepw_dir = tri.ephmat", "20",
                             f"states = montecarlo\nnpoints = 3000\nseed = {seed}"), ranks=2, workdir=d)
    if c.check(rc == 0, f"q mesh {nq}^3, seed {seed}: run"):
        res[(nq, seed)] = read(os.path.join(d, "results.h5"))
        logs[(nq, seed)] = so

# 1. constant coupling
for key, r in res.items():
    lam, dos = float(r["coupling/lambda"]), float(r["coupling/dos0"])
    c.check(abs(lam * N0 / dos - 1) < 1e-10,
            f"q {key[0]}^3 seed {key[1]}: lambda x N(E_F)/N(0)_sample = {lam * N0 / dos:.12f} (1: every pair "
            f"carries the constant |g|^2)")
# 2. halved q mesh
if (8, 1) in res and (4, 1) in res:
    t8, t4 = float(res[(8, 1)]["tc"]), float(res[(4, 1)]["tc"])
    g8, g4 = res[(8, 1)]["gap/delta"], res[(4, 1)]["gap/delta"]
    dg = np.max(np.abs(g8 - g4)) / np.max(np.abs(g8))
    c.check(rel(t4, t8) < 1e-9 and dg < 1e-9,
            f"nqf = nkf/2: Tc {t4:.10f} K against {t8:.10f} K, gaps within {dg:.1e} of the largest")
# 3. against the a2f path
h = 0.01
w = np.array([0.0, 50.0 - h, 50.0, 50.0 + h, 60.0])
d = os.path.join(wd, "a2f")
os.makedirs(d)
np.savetxt(os.path.join(d, "ein.dat"), np.c_[w, np.array([0, 0, 1.0, 0, 0]) * LAM * 50.0 / (2 * h)])
rc, so, se = run(a, deck(f"source = a2f\na2f_file = ein.dat\ndos_per_eV_spin = {N0}", "20"), ranks=2, workdir=d)
tcs = [float(res[(8, s)]["tc"]) for s in seeds if (8, s) in res]
if c.check(rc == 0 and len(tcs) == 3, "a2f path: run"):
    ta = float(read(os.path.join(d, "results.h5"))["tc"])
    mean, sem = np.mean(tcs), np.std(tcs, ddof=1) / np.sqrt(3)
    c.check(abs(mean - ta) <= 4 * sem + 1e-5 * ta,
            f"Monte-Carlo Tc {mean:.5f} +- {sem:.5f} K (3 seeds: {', '.join(f'{t:.5f}' for t in tcs)}) against "
            f"the a2f path's {ta:.5f} K: difference {abs(mean - ta):.5f} <= 4 se + 1e-5 Tc")
# 4. the states
wsum = []
for s in seeds:
    if (8, s) in res:
        r = res[(8, s)]
        band = r["states/band"]
        xi, wt = r["states/xi"][band >= 0], r["states/weight"][band >= 0]
        c.check(np.all(np.abs(xi) < A / 2 + 1e-6) and np.all(wt > 0),
                f"seed {s}: {len(xi)} states inside the window, weights > 0")
        wsum.append(np.sum(wt))
if len(wsum) == 3:
    se_w = np.std(wsum, ddof=1) / np.sqrt(3)
    c.check(abs(np.mean(wsum) - 1) <= 4 * se_w + 1e-12,
            f"the weights sum to {np.mean(wsum):.5f} +- {se_w:.5f} (the whole band lies in the window: 1)")
# 5. with symmetry
if ("sym", 1) in res and (4, 1) in res:
    rs, r4 = res[("sym", 1)], res[(4, 1)]
    same = all(np.array_equal(rs[f"states/{x}"], r4[f"states/{x}"], equal_nan=True) for x in ("k", "weight", "xi"))
    dg = np.max(np.abs(rs["gap/delta"] - r4["gap/delta"])) / np.max(np.abs(r4["gap/delta"]))
    dt = rel(float(rs["tc"]), float(r4["tc"]))
    c.check("16 symmetry operations" in logs[("sym", 1)] and "75 irreducible" in logs[("sym", 1)],
            "the tetragonal crystal: 16 operations unfold 75 irreducible k (log)")
    c.check(same and dt <= 1e-12 and dg <= 1e-12,
            f"irreducible k unfolded by symmetry: the states of the full-mesh run bit for bit ({same}), Tc within "
            f"{dt:.1e}, gaps within {dg:.1e}")
# 6. ranks and threads
out = {}
for ranks, threads in ((1, 1), (2, 1), (4, 1), (1, 2)):
    d = os.path.join(wd, "q4", f"r{ranks}t{threads}")
    os.makedirs(d)
    os.symlink(os.path.join(wd, "q4", "tri.ephmat"), os.path.join(d, "tri.ephmat"))
    os.symlink(os.path.join(wd, "q4", "crystal.fmt"), os.path.join(d, "crystal.fmt"))
    rc, so, se = run(a, deck("source = epw\nepw_dir = tri.ephmat", "20", "states = montecarlo\nnpoints = 600"),
                     ranks=ranks, threads=threads, workdir=d)
    if c.check(rc == 0, f"{ranks} rank(s) x {threads} thread(s): run"):
        out[(ranks, threads)] = read(os.path.join(d, "results.h5"))
if (1, 1) in out:
    r0 = out[(1, 1)]
    for key, r in out.items():
        if key != (1, 1):
            same = (np.array_equal(r["states/k"], r0["states/k"], equal_nan=True)
                    and np.array_equal(r["states/weight"], r0["states/weight"]))
            dg = np.max(np.abs(r["gap/delta"] - r0["gap/delta"])) / np.max(np.abs(r0["gap/delta"]))
            dt = rel(float(r["tc"]), float(r0["tc"]))
            c.check(same and dg <= 1e-10 and dt <= 1e-10,
                    f"{key[0]} rank(s) x {key[1]} thread(s): the states of 1 x 1 bit for bit (%s), Tc within "
                    f"{dt:.1e}, gaps within {dg:.1e} of the largest" % same)
c.close()
