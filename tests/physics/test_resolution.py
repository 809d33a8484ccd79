"""Under-resolution: a temperature where no state with k lies inside the thermal window of the
gap equation is reported (docs/output.md, "Under-resolution"; docs/theory.md 4.7).

The window is the half width at half maximum of chi(xi) = tanh(E/2k_BT)/E, E = sqrt(xi^2 +
Delta^2), computed here on its own by bisection: 3.830 k_BT for Delta = 0, sqrt(3) Delta at
T = 0. A temperature is resolved when min |xi| over the states with k lies inside it.

1. SCDFT on the repository's MgB2 tiny EPW set (6^3 k; the window state nearest E_F is 28 meV
   away, so every temperature below 85 K is under-resolved), LMG, mu = 0, temperatures 5 and
   100 K: one warning per under-resolved temperature (each Tc-search evaluation, Tc, 5 K) naming
   T, the nearest |xi| and k_B T in meV, none for 100 K; /gap/resolved = [0, 1];
   /tc_search/resolved and the resolved attribute of /tc as the window says;
   /states/xi_nearest = min |xi| of the window states; the half width the 5 K line prints equals
   the one computed here with that temperature's Delta_FS.
2. Well resolved, no warning and every flag 1: the built-in CsB12 model on 600 Monte-Carlo
   states (LMG, mu = 0.1; T = 0 and 5 K: at T = 0 the window is sqrt(3) Delta_FS); the square
   well (no states with k: nothing to resolve); Eliashberg on the MgB2 tiny states, whose
   Fermi-surface equations take xi only through delta(xi) (the criterion does not apply:
   flags 1, /states/xi_nearest NaN).
3. The gap's trend across the Fermi-surface width (docs/output.md, "Fermi-surface width"): MgB2
   tiny with 1,000 Monte-Carlo states and fs_smearing_meV = 60, wider than the scale on which the
   gap falls off: one warning at 5 K naming fs_smearing_meV; /gap/delta_ef, the fit's gap at
   E_F, lies closer than /gap/delta_fs_avg to the mean gap of the states within 3 meV of E_F,
   computed here from /gap/delta; /gap/fs_bias = (delta_fs_avg - delta_ef)/delta_ef."""
import math
import os
import re
import numpy as np
from agapetest import args, Checks, run, read, test_data, workdir

a = args()
c = Checks()
K_B = 8.617333262e-5  # eV/K


def window(T, delta):
    """Half width at half maximum (eV) of tanh(E/2kT)/E, E = sqrt(xi^2 + delta^2)."""
    kT, d = K_B * T, abs(delta)
    chi = (lambda E: math.tanh(E / (2 * kT)) / E) if kT > 0 else (lambda E: 1 / E)
    if d == 0:
        lo, hi = 1e-9 * kT, 20 * kT
        half = 1 / (4 * kT)
    else:
        lo, hi = d, 100 * (d + kT)
        half = chi(d) / 2
    for _ in range(200):
        m = 0.5 * (lo + hi)
        lo, hi = (m, hi) if chi(m) > half else (lo, m)
    E = 0.5 * (lo + hi)
    return math.sqrt(max(E * E - d * d, 0))


def attr(path, name, key):
    import h5py
    with h5py.File(path, "r") as f:
        return f[name].attrs.get(key)


c.check(abs(window(1.0, 0) / (K_B * 1.0) - 3.8300161) < 1e-6 and abs(window(0, 0.01) - math.sqrt(3) * 0.01) < 1e-12,
        f"the window: {window(1.0, 0) / K_B:.7f} k_BT at Delta = 0, sqrt(3) Delta at T = 0")

# ---- 1. MgB2 tiny, SCDFT -------------------------------------------------------------------
wd = workdir("tiny")
os.symlink(test_data("mgb2-tiny-epw", "MgB2.ephmat"), os.path.join(wd, "MgB2.ephmat"))
rc, out, err = run(a, """[material]
source = epw
epw_dir = MgB2.ephmat
[solver]
method = scdft
functional = lmg
[sampling]
states = window
[temperatures]
list = 5 100
[output]
file = results.h5
plot = no
""", workdir=wd)
path = os.path.join(wd, "results.h5")
if c.check(rc == 0 and os.path.exists(path), f"MgB2 tiny, SCDFT: exit {rc}, results written"):
    r = read(path)
    band, xi = r["states/band"], r["states/xi"]
    near = float(np.min(np.abs(xi[band >= 0])))
    got = float(r.get("states/xi_nearest", math.nan))
    c.check(got == near and abs(near - 0.02806) < 1e-4,
            f"/states/xi_nearest = {got * 1e3:.4f} meV = min |xi| of the window states ({near * 1e3:.4f})")
    d5 = r["gap/delta_fs_avg"][0] * 1e-3
    want = [int(near < window(T, d * 1e-3)) for T, d in zip(r["temperatures"], r["gap/delta_fs_avg"])]
    got = list(r.get("gap/resolved", []))
    c.check(got == want == [0, 1], f"/gap/resolved = {got} (window: {want})")
    T = r["tc_search/T"]
    want = [int(near < window(t, 0)) for t in T]
    tc = float(r["tc"])
    got = list(r.get("tc_search/resolved", []))
    c.check(got == want and attr(path, "tc", "resolved") == int(near < window(tc, 0)) == 0,
            f"/tc_search/resolved = {got} at {len(T)} temperatures (window: {want}); Tc = {tc:.3f} K "
            f"resolved = {attr(path, 'tc', 'resolved')}")
    lines = [l for l in err.splitlines() if "under-resolved at T" in l]
    n_bad = sum(1 for w in want if not w) + 1            # the search's evaluations and 5 K
    g5 = [l for l in lines if "T = 5 K (gap)" in l]
    c.check(len(lines) == n_bad and len(g5) == 1 and not any("T = 100 K" in l for l in lines),
            f"one warning per under-resolved temperature ({len(lines)}, want {n_bad}), none at 100 K")
    m = re.search(r"is ([0-9.]+) meV away.*half width ([0-9.]+) meV; k_B T = ([0-9.]+) meV", g5[0] if g5 else "")
    ok = m and abs(float(m.group(1)) - near * 1e3) < 0.01 and abs(float(m.group(3)) - K_B * 5e3) < 1e-4 \
        and abs(float(m.group(2)) / (window(5, d5) * 1e3) - 1) < 1e-3
    c.check(bool(ok), f"the 5 K line names |xi| = {m.group(1) if m else '?'} meV, half width "
            f"{m.group(2) if m else '?'} meV (here {window(5, d5) * 1e3:.4f} with Delta_FS = {d5 * 1e3:.3f} meV), "
            f"k_B T = {m.group(3) if m else '?'} meV")
    c.check(sum("Tc = " in l and "is under-resolved" in l for l in err.splitlines()) == 1,
            "one warning that Tc is under-resolved")

# ---- 2. well resolved ----------------------------------------------------------------------
cases = {
    "CsB12 600 states": """[material]
source = model
name = CsB12
[coulomb]
mode = mu
mu = 0.1
[solver]
functional = lmg
[sampling]
npoints = 600
[temperatures]
list = 0 5
""",
    "square well": """[material]
source = model
name = bcs
[sampling]
energy_window_eV = 0.1
[temperatures]
list = 0 1
""",
    "Eliashberg, MgB2 tiny": f"""[material]
source = epw
epw_dir = {test_data("mgb2-tiny-epw", "MgB2.ephmat")}
[solver]
method = eliashberg
anisotropy = aniso
[temperatures]
list = 5
tc_search = no
""",
}
for what, text in cases.items():
    wd = workdir("ok")
    rc, out, err = run(a, text + "[output]\nfile = results.h5\nplot = no\n", workdir=wd)
    path = os.path.join(wd, "results.h5")
    if not c.check(rc == 0 and os.path.exists(path), f"{what}: exit {rc}, results written"):
        continue
    r = read(path)
    flags = list(r.get("gap/resolved", [None])) + list(r.get("tc_search/resolved", [])) + [attr(path, "tc", "resolved")]
    c.check("under-resolved" not in out + err and all(f == 1 for f in flags),
            f"{what}: no warning, every flag 1 ({len(flags)}); Delta_FS = {r['gap/delta_fs_avg']} meV")
    if what.startswith("CsB12"):
        near = float(r.get("states/xi_nearest", math.nan))
        c.check(r["gap/delta_fs_avg"][0] > 0 and near < window(0, r["gap/delta_fs_avg"][0] * 1e-3)
                and near < window(5, 0), f"{what}: nearest |xi| {near * 1e3:.4f} meV inside the windows")
    if what.startswith("square"):
        c.check("states/xi_nearest" not in r, f"{what}: no /states/xi_nearest (no states with k)")
    if what.startswith("Eliashberg"):
        c.check("states/xi_nearest" in r and math.isnan(float(r["states/xi_nearest"])),
                f"{what}: /states/xi_nearest NaN (criterion not applied)")

# ---- 3. the gap's trend across a Fermi-surface width that is too wide ------------------------
wd = workdir("wide")
rc, out, err = run(a, f"""[material]
source = epw
epw_dir = {test_data("mgb2-tiny-epw", "MgB2.ephmat")}
[coulomb]
mode = mu
mu = 0.1
[solver]
method = scdft
functional = lmg
[sampling]
npoints = 1000
fs_smearing_meV = 60
[temperatures]
list = 5
tc_search = no
[output]
file = results.h5
plot = no
""", ranks=2, workdir=wd)
path = os.path.join(wd, "results.h5")
if c.check(rc == 0 and os.path.exists(path), f"fs_smearing_meV = 60: exit {rc}, results written"):
    r = read(path)
    xi, band, gap = r["states/xi"], r["states/band"], r["gap/delta"][0]
    m = (band >= 0) & (np.abs(xi) < 0.003)
    near = float(np.mean(gap[m]))
    fs, ef, bias = float(r["gap/delta_fs_avg"][0]), float(r["gap/delta_ef"][0]), float(r["gap/fs_bias"][0])
    lines = [l for l in err.splitlines() if "changes within the Fermi-surface width" in l]
    c.check(len(lines) == 1 and "T = 5 K" in lines[0] and "fs_smearing_meV = 60" in lines[0],
            f"one warning at 5 K naming fs_smearing_meV ({len(lines)})")
    c.check(abs(ef - near) < abs(fs - near) and m.sum() >= 10,
            f"delta_ef {ef:.4f} meV nearer than delta_fs_avg {fs:.4f} meV to the {m.sum()} states within 3 meV "
            f"of E_F ({near:.4f} meV)")
    c.check(abs(bias - (fs - ef) / ef) < 1e-12, f"/gap/fs_bias = {bias:.4f} = (delta_fs_avg - delta_ef)/delta_ef")
c.close()
