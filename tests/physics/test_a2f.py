"""lambda and omega_log of an isotropic alpha^2F file: AGAPE's values against integrals
done here in closed form. alpha^2F(w) = c w^2 (wm - w) on [0, wm]:
lambda = 2 int a2F/w = c wm^3 / 3 and omega_log = wm exp(-5/6).
AGAPE integrates the tabulated points with the trapezoid rule: for 2001 points the error
is O(h^2) ~ (h/wm)^2 = 2.5e-7 relative (plus h^2 ln h for the log moment): 1e-5 is safe."""
import math, os
import numpy as np
from agapetest import args, Checks, run, read, rel, workdir

a = args()
c = Checks()
wd = workdir("a2f")
wm, cc = 30.0, 1.5 / (30.0 ** 3 / 3)     # meV; lambda = 1.5
w = np.linspace(0, wm, 2001)
with open(os.path.join(wd, "a2f.dat"), "w") as f:
    f.write("# omega (meV)  alpha^2F\n")
    for x in w:
        f.write(f"{x:.10f} {cc * x * x * (wm - x):.12e}\n")
deck = """[material]
source = a2f
a2f_file = a2f.dat
dos_per_eV_spin = 0.5
[coulomb]
mode = mu
mu = 0.1
[solver]
functional = lmg
[temperatures]
tc_search = yes
[output]
file = results.h5
plot = no
"""
rc, out, err = run(a, deck, workdir=wd)
if c.check(rc == 0, "agape run on an alpha^2F file exits 0"):
    r = read(os.path.join(wd, "results.h5"))
    lam, wlog = float(r["coupling/lambda"]), float(r["coupling/omega_log"])
    c.check(rel(lam, 1.5) < 1e-5, f"lambda = {lam:.8f} vs 1.5 (closed form)")
    c.check(rel(wlog, wm * math.exp(-5 / 6)) < 1e-5, f"omega_log = {wlog:.8f} meV vs {wm*math.exp(-5/6):.8f} meV")
    c.check(abs(float(r["coulomb/mu"]) - 0.1) < 1e-15, "mu stored")
    tc = float(r["tc"])
    c.check(math.isfinite(tc) and tc > 0, f"finite Tc = {tc:.3f} K")
c.close()
