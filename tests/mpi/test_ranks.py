"""The same CsB12 deck on 1, 2 and 4 ranks (oversubscribed) and 1 and 2 threads:
the sampled states must be bitwise identical (counter-based RNG keyed by the global state
index) and the gaps equal to 1e-10 relative (only the order of floating-point sums over
ranks/threads differs, a ~1e-15 effect amplified at most by the solver's conditioning).
The same holds with the column-interpolated kernels (kernel_eval = interpolate), and those
agree with the exact kernels to 1e-7: the interpolation error is <= 1e-9 (K) and 1e-8 (Z)
per pair (test_kernels), amplified by at most ~1/(1 - rho_J) ~ 10 at T <= Tc/2, and the
solver's own tolerance (1e-12) does not contribute.
The separable operator (kernel_eval = separable; LMG, and SPG whose column energies follow
the gap in every product) gives the same bits for every rank and thread count (its sums
are cut into chunks that do not depend on either), and agrees with the stored-kernel path
to 1e-7 (float storage of K, 6e-8 per element, amplified as above; the operator's own
interpolation error is ~1e-10, test_sepop)."""
import os
import numpy as np
from agapetest import args, Checks, run, read, workdir

a = args()
c = Checks()
deck = """[material]
source = model
name = CsB12
[coulomb]
mode = mu
mu = 0.55
[solver]
functional = lmg
tol = 1e-12
[temperatures]
list = 5 20
tc_search = no
[sampling]
npoints = 1500
seed = 7
[output]
file = results.h5
plot = no
"""
runs = [(1, 1), (2, 1), (4, 1), (1, 2), (2, 2)]
res, resi = {}, {}
for ranks, threads in runs:
    wd = workdir("mpi")
    rc, out, err = run(a, deck, ranks=ranks, threads=threads, workdir=wd)
    if c.check(rc == 0, f"{ranks} rank(s) x {threads} thread(s): exits 0"):
        res[(ranks, threads)] = read(os.path.join(wd, "results.h5"))
ideck = deck.replace("tol = 1e-12\n", "tol = 1e-12\nkernel_eval = interpolate\n")
for ranks, threads in [(1, 1), (2, 2)]:
    wd = workdir("mpi")
    rc, out, err = run(a, ideck, ranks=ranks, threads=threads, workdir=wd)
    if c.check(rc == 0, f"interpolated kernels, {ranks} rank(s) x {threads} thread(s): exits 0"):
        resi[(ranks, threads)] = read(os.path.join(wd, "results.h5"))
if (1, 1) in resi and (2, 2) in resi:
    d, d0 = resi[(2, 2)]["gap/delta"], resi[(1, 1)]["gap/delta"]
    err = np.max(np.abs(d - d0)) / np.max(np.abs(d0))
    c.check(err <= 1e-10, f"interpolated kernels 2x2 vs 1x1: max |dDelta|/max|Delta| = {err:.2e} <= 1e-10")
    if (1, 1) in res:
        de = res[(1, 1)]["gap/delta"]
        err = np.max(np.abs(d0 - de)) / np.max(np.abs(de))
        c.check(err <= 1e-7, f"interpolated vs exact kernels (1x1): max |dDelta|/max|Delta| = {err:.2e} <= 1e-7")
# separable operator: LMG on 1, 2, 4 ranks and 2 x 2; SPG on 1 x 1 and 2 x 2, against the
# stored-kernel paths (exact LMG above; interpolated SPG with its kernel updates)
sdeck = deck.replace("tol = 1e-12\n", "tol = 1e-12\nkernel_eval = separable\n")
pdeck = sdeck.replace("functional = lmg", "functional = spg")
# the SPG kernel updates of a stored (float) kernel stop changing at about 5e-10 of max|Delta|
# (rebuilds differ by the float rounding of K): their tol is 1e-9 (updates to 1e-8), which keeps
# the stored-kernel SPG gap within 1e-8 of converged, well inside the 1e-7 comparison below;
# with 1e-12 the run rightly ends NOT converged (exit 4)
qdeck = ideck.replace("functional = lmg", "functional = spg").replace("tol = 1e-12", "tol = 1e-9")
ress = {}
for name, dk, layouts in (("LMG separable", sdeck, [(1, 1), (2, 1), (4, 1), (2, 2)]),
                          ("SPG separable", pdeck, [(1, 1), (2, 2)]), ("SPG interpolated", qdeck, [(1, 1)])):
    for ranks, threads in layouts:
        wd = workdir("mpi")
        rc, out, err = run(a, dk, ranks=ranks, threads=threads, workdir=wd)
        if c.check(rc == 0, f"{name}, {ranks} rank(s) x {threads} thread(s): exits 0"):
            ress[(name, ranks, threads)] = read(os.path.join(wd, "results.h5"))
for name, layouts in (("LMG separable", [(2, 1), (4, 1), (2, 2)]), ("SPG separable", [(2, 2)])):
    r0 = ress.get((name, 1, 1))
    for ranks, threads in layouts:
        r = ress.get((name, ranks, threads))
        if r0 is not None and r is not None:
            c.check(np.array_equal(r["gap/delta"], r0["gap/delta"]) and np.max(np.abs(r0["gap/delta"])) > 0,
                    f"{name} {ranks}x{threads}: gaps bitwise equal to 1x1")
for name, other in (("LMG separable", res.get((1, 1))), ("SPG separable", ress.get(("SPG interpolated", 1, 1)))):
    r = ress.get((name, 1, 1))
    if r is not None and other is not None:
        d, d0 = r["gap/delta"], other["gap/delta"]
        err = np.max(np.abs(d - d0)) / np.max(np.abs(d0))
        c.check(err <= 1e-7, f"{name} vs stored kernel (1x1): max |dDelta|/max|Delta| = {err:.2e} <= 1e-7")
ref = res.get((1, 1))
if ref is not None:
    for key, r in res.items():
        if key == (1, 1):
            continue
        same = all(np.array_equal(r[f"states/{q}"], ref[f"states/{q}"], equal_nan=True)
                   for q in ("xi", "weight", "k", "band"))
        c.check(same, f"{key[0]}x{key[1]}: sampled states bitwise identical to 1x1")
        d, d0 = r["gap/delta"], ref["gap/delta"]
        err = np.max(np.abs(d - d0)) / np.max(np.abs(d0))
        c.check(err <= 1e-10, f"{key[0]}x{key[1]}: max |dDelta|/max|Delta| = {err:.2e} <= 1e-10")
        c.check(np.max(np.abs(d0)) > 0, "the reference gap is finite (the comparison is not vacuous)")
c.close()
