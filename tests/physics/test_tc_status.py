"""What the Tc search says when it finds no Tc, for method = scdft and method = eliashberg on the
same isotropic alpha^2F input (docs/output.md, "Tc status").

1. No superconductivity: an Einstein alpha^2F (lambda = 0.1 at 20 meV) with a strong repulsion
   (SCDFT mu = 0.5, Eliashberg mu* = 0.5), on 2 ranks. The run exits 0; /tc = 0 and
   /tc_status = none; the search ends at its floor, /tc_search/T_floor (1 mK for SCDFT; for
   Eliashberg the temperature of 2,000 Matsubara frequencies below wscut, 0.4616 K at 500 meV),
   with rho < 1 at every temperature it tried, the floor itself last; the deck's temperatures
   are solved and written (zero gaps, converged); rank 0 says it exactly once, naming the
   floor, and nothing is an error. Before, SCDFT could stop with an error and no results.h5
   when rho crept below 1 (no bracket after 30 steps), and wrote Tc = 0 with no status and no
   message otherwise.
2. Tc above the range: lambda = 900 at 900 meV, where rho > 1 up to the ceiling of 5000 K. The
   run exits 4 (results written, something did not converge); /tc = NaN and /tc_status =
   no_bracket, the last temperature tried is the ceiling with rho > 1 there; the deck's
   temperature is solved and written (SCDFT with SPG: LMG's Anderson iteration falls onto the
   trivial root Delta = 0 from this start at lambda = 900, with or without a Tc search); one
   warning names the ceiling."""
import math
import os
import subprocess
import numpy as np
from agapetest import args, Checks, run, read, workdir

a = args()
c = Checks()
K_B = 8.617333262e-5


def einstein(path, lam, omega, h, top):
    w = np.array([0.0, omega - h, omega, omega + h, top])
    f = np.array([0, 0, 1.0, 0, 0]) * lam * omega / (2 * h)
    np.savetxt(path, np.c_[w, f])


def deck(method, repulsion, temps, functional="lmg"):
    if method == "scdft":
        solver = f"method = scdft\nfunctional = {functional}"
        coul = f"[coulomb]\nmode = mu\nmu = {repulsion}\n" if repulsion > 0 else ""
    else:
        solver = f"method = eliashberg\nanisotropy = iso\nmustar = {repulsion}"
        coul = ""
    return f"""[material]
source = a2f
a2f_file = ein.dat
{coul}[solver]
{solver}
[temperatures]
list = {temps}
tc_search = yes
[output]
file = results.h5
plot = no
"""


def run_bounded(*pos, **kw):
    """run() with a time limit (each run takes seconds): (None, "", why) when it is exceeded."""
    try:
        return run(*pos, timeout=120, **kw)
    except subprocess.TimeoutExpired:
        return None, "", "did not finish within 120 s"


def text(r, key):
    v = r.get(key, b"(missing)")
    return v.decode() if isinstance(v, bytes) else str(v)


def num(r, key):
    return float(r.get(key, math.nan))


# ---- 1. no superconductivity ---------------------------------------------------------------
floors = {"scdft": 1e-3, "eliashberg": 0.5 / (math.pi * 4001 * K_B)}
for method in ("scdft", "eliashberg"):
    wd = workdir(f"none-{method}")
    einstein(os.path.join(wd, "ein.dat"), 0.1, 20.0, 0.1, 60.0)
    rc, out, err = run_bounded(a, deck(method, 0.5, "1 2"), ranks=2, workdir=wd)
    lines = [l for l in (out + err).splitlines() if "status none" in l]
    c.check(rc == 0 and "error" not in err, f"{method}, rho < 1 everywhere: exit {rc} (0), no error" + ("" if rc == 0 else f": {err[-300:]}"))
    c.check(len(lines) == 1 and f"floor T_floor = {floors[method]:.4g} K" in lines[0]
            and "not superconducting above" in lines[0],
            f"{method}: exactly one message, naming the floor ({len(lines)}): {lines[0] if lines else ''}")
    path = os.path.join(wd, "results.h5")
    if not c.check(os.path.exists(path), f"{method}: results.h5 written"):
        continue
    r = read(path)
    T, rho = r["tc_search/T"], r["tc_search/rho"]
    c.check(float(r["tc"]) == 0 and text(r, "tc_status") == "none", f"{method}: /tc = {float(r['tc'])}, "
            f"/tc_status = {text(r, 'tc_status')} (0, none)")
    c.check(abs(num(r, "tc_search/T_floor") - floors[method]) <= 1e-12 * floors[method] and T[-1] == num(r, "tc_search/T_floor")
            and np.all(rho < 1) and T.min() == T[-1],
            f"{method}: rho < 1 at all {len(T)} temperatures tried, from {T[0]:.4g} K down to the floor "
            f"{T[-1]:.4g} K (max rho {rho.max():.4f})")
    c.check("not superconducting above" in text(r, "tc_search/message"), f"{method}: /tc_search/message says it")
    c.check(list(r["temperatures"]) == [1.0, 2.0] and np.all(r["gap/delta_fs_avg"] == 0) and np.all(r["gap/delta"] == 0)
            and np.all(r["gap/converged"] == 1),
            f"{method}: the deck's temperatures solved: Delta_FS = {r['gap/delta_fs_avg']} meV, converged "
            f"{r['gap/converged']}")

# ---- 2. Tc above the range -----------------------------------------------------------------
for method in ("scdft", "eliashberg"):
    wd = workdir(f"above-{method}")
    einstein(os.path.join(wd, "ein.dat"), 900, 900.0, 0.5, 950.0)
    rc, out, err = run_bounded(a, deck(method, 0, "100", "spg"), workdir=wd, expect_ok=False)
    lines = [l for l in (out + err).splitlines() if "status no_bracket" in l]
    c.check(rc == 4 and len(lines) == 1 and "ceiling T_ceil = 5000 K" in lines[0] and "error" not in err,
            f"{method}, rho > 1 up to 5000 K: exit {rc} (4), one warning naming the ceiling ({len(lines)})")
    path = os.path.join(wd, "results.h5")
    if not c.check(os.path.exists(path), f"{method}: results.h5 written"):
        continue
    r = read(path)
    T, rho = r["tc_search/T"], r["tc_search/rho"]
    c.check(math.isnan(float(r["tc"])) and text(r, "tc_status") == "no_bracket" and T[-1] == 5000
            and num(r, "tc_search/T_ceil") == 5000 and np.all(rho > 1),
            f"{method}: /tc = NaN, no_bracket, rho > 1 at all {len(T)} temperatures tried up to {T[-1]:g} K")
    c.check(r["gap/converged"][0] == 1 and r["gap/delta_fs_avg"][0] > 0,
            f"{method}: the deck's temperature solved: Delta_FS(100 K) = {r['gap/delta_fs_avg'][0]:.3f} meV")
c.close()
