"""The same CsB12 deck on 1, 2 and 4 ranks (oversubscribed) and 1 and 2 threads:
the sampled states must be bitwise identical (counter-based RNG keyed by the global state
index) and the gaps equal to 1e-10 relative (only the order of floating-point sums over
ranks/threads differs, a ~1e-15 effect amplified at most by the solver's conditioning)."""
import os, tempfile
import numpy as np
from agapetest import args, Checks, run, read

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
res = {}
for ranks, threads in runs:
    wd = tempfile.mkdtemp(prefix="agape-mpi-")
    rc, out, err = run(a, deck, ranks=ranks, threads=threads, workdir=wd)
    if c.check(rc == 0, f"{ranks} rank(s) x {threads} thread(s): exits 0"):
        res[(ranks, threads)] = read(os.path.join(wd, "results.h5"))
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
