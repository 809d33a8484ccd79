"""[coulomb] mode = file: W(xi, xi') from an HDF5 file (/xi in eV, increasing; /w in eV).
  1. A constant W0 in the file gives the same Tc and gaps as mode = mu with mu = N(0) W0
     (the table path and the rank-one path are the same operator; agreement to 1e-9, the
     solver tolerance being 1e-12 here).
  2. A non-uniform axis is accepted; W(0,0) and mu = N(0) W(0,0) are reported.
  3. Bad files (missing /w, non-increasing /xi, not HDF5, absent) give a clear message that
     names the file, and exit != 0 on every rank, with no results file left behind."""
import os
import numpy as np
import h5py
from agapetest import args, Checks, run, read, workdir

a = args()
c = Checks()
base = """[material]
source = model
name = CsB12
[coulomb]
{coul}
[solver]
functional = lmg
tol = 1e-12
[temperatures]
list = 5
tc_search = yes
[sampling]
npoints = 800
seed = 5
[output]
file = results.h5
plot = no
"""


def wfile(path, xi, w):
    with h5py.File(path, "w") as f:
        f["xi"] = np.asarray(xi, dtype=float)
        f["w"] = np.asarray(w, dtype=float)


W0 = 0.25
wd = workdir("wfile")
xi = np.array([-5.0, -1.0, -0.2, -0.01, 0.0, 0.03, 0.5, 2.0, 5.0])     # non-uniform
wfile(os.path.join(wd, "w.h5"), xi, np.full((xi.size, xi.size), W0))
rc, out, err = run(a, base.format(coul="mode = file\nw_file = w.h5"), ranks=2, workdir=wd)
r1 = read(os.path.join(wd, "results.h5")) if c.check(rc == 0, "mode = file (constant W, non-uniform axis): exits 0") else None
if r1 is not None:
    mu = float(r1["coulomb/mu"])
    c.check("W(xi, xi') from" in out and "W(0,0) = 0.25" in out, "the table and W(0,0) are reported")
    wd2 = workdir("wfile")
    rc2, out2, _ = run(a, base.format(coul=f"mode = mu\nmu = {mu!r}"), ranks=2, workdir=wd2)
    if c.check(rc2 == 0, f"mode = mu with mu = N(0) W0 = {mu:.6f}: exits 0"):
        r2 = read(os.path.join(wd2, "results.h5"))
        t1, t2 = float(r1["tc"]), float(r2["tc"])
        c.check(abs(t1 - t2) <= 1e-9 * t2, f"Tc from the file {t1:.10f} K = Tc with mode = mu {t2:.10f} K")
        d1, d2 = r1["gap/delta"], r2["gap/delta"]
        e = np.max(np.abs(d1 - d2)) / np.max(np.abs(d2))
        c.check(e <= 1e-9 and np.max(np.abs(d2)) > 0, f"gaps at 5 K agree: max |dDelta|/max|Delta| = {e:.1e}")

bad = [("no /w", lambda p: h5py.File(p, "w").create_dataset("xi", data=[0.0, 1.0]), "no dataset /w"),
       ("xi not increasing", lambda p: wfile(p, [0.0, 1.0, 0.5], np.zeros((3, 3))), "must be finite and increasing"),
       ("w not square", lambda p: wfile(p, [0.0, 1.0], np.zeros((2, 3))), "square /w"),
       ("not HDF5", lambda p: open(p, "w").write("not hdf5\n"), "cannot open as HDF5")]
for what, make, msg in bad:
    wd = workdir("wfile-bad")
    p = os.path.join(wd, "w.h5")
    o = make(p)
    if hasattr(o, "file"):
        o.file.close()
    rc, out, err = run(a, base.format(coul="mode = file\nw_file = w.h5"), ranks=2, workdir=wd, expect_ok=False)
    c.check(rc != 0 and msg in err and p in err and not os.path.exists(os.path.join(wd, "results.h5")),
            f"bad w_file ({what}): exit {rc}, message names the file and says '{msg}', no results.h5")
wd = workdir("wfile-bad")
rc, out, err = run(a, base.format(coul="mode = file\nw_file = absent.h5"), ranks=2, workdir=wd, expect_ok=False)
c.check(rc != 0 and "[coulomb] w_file" in err and "absent.h5" in err, f"absent w_file: exit {rc}, deck error names the key and the file")
c.close()
