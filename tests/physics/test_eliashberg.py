"""Migdal-Eliashberg solver ([solver] method = eliashberg) against limits it must reach.

1. Einstein alpha^2F, mu* = 0: Tc from the linearised equation approaches the Allen-Dynes
   strong-coupling limit k_B Tc = 0.1827 sqrt(lambda) Omega from below as lambda grows
   (docs/theory.md §8.7: within a few % only at lambda >~ 10). Checked: r(10) < r(30) < 1 and
   r(10) > 0.95.
2. Linearised/nonlinear pair: the nonlinear gap vanishes as Delta^2 ~ (Tc - T). A quadratic
   fit of Delta_0^2 at T = Tc (1 - eps), eps = 0.004, 0.008, 0.016, extrapolated to
   Delta^2 = 0, must land on the linearised Tc. The fit's own error is O(eps^3) ~ 1e-6 Tc and
   the gaps are converged to 1e-12; the bound 1e-4 Tc leaves room for the Matsubara count
   changing between the temperatures.
3. Anisotropic with all couplings equal: a copy of EPW's tiny MgB2 folder (the repository's
   cut, tests/data/mgb2-tiny-epw) with one phonon
   frequency and one |g|^2 for every (k, q, mode, band, band'), and N(E_F) set to the
   Fermi-surface weight of its states, makes every row of the anisotropic kernel the
   isotropic one; the anisotropic gaps must equal the isotropic gap at every Matsubara
   frequency and state (round-off: 1e-10 relative), and the two Tc agree to 2e-6, twice the
   Tc search's tolerance in ln T (tc_tol = 1e-6).
4. 1, 2 and 4 ranks give the same anisotropic gaps on the Pb data (1e-12 relative).
Parts 3 and 4 run on the repository's fixtures (tests/data/mgb2-tiny-epw, tests/data/pb-epw)."""
import math, os, shutil, struct
import numpy as np
from agapetest import args, Checks, run, read, rel, test_data, workdir

a = args()
c = Checks()
K_B = 8.617333262e-5
RY = 13.605693122994


def einstein(wd, lam, omega=50.0, h=0.1):
    w = np.array([0.0, omega - h, omega, omega + h, 60.0])
    f = np.array([0, 0, 1.0, 0, 0]) * lam * omega / (2 * h)
    np.savetxt(os.path.join(wd, f"ein{lam:g}.dat"), np.c_[w, f])


def deck_a2f(name, temps="", tc="yes", wscut=20000, tol=1e-12):
    return f"""[material]
source = a2f
a2f_file = {name}
a2f_bins = 600
[solver]
method = eliashberg
anisotropy = iso
mustar = 0
wscut_meV = {wscut}
tol = {tol}
max_iter = 5000
tc_tol = 1e-9
[temperatures]
tc_search = {tc}
{temps}
[output]
file = results.h5
plot = no
"""


# ---- 1. strong-coupling limit -------------------------------------------------------------
ratios = {}
for lam in (10, 30):
    wd = workdir("eli")
    einstein(wd, lam)
    rc, out, err = run(a, deck_a2f(f"ein{lam}.dat"), workdir=wd)
    if c.check(rc == 0, f"Einstein lambda = {lam}: agape exits 0"):
        r = read(os.path.join(wd, "results.h5"))
        limit = 0.1827 * math.sqrt(lam) * 50e-3 / K_B
        ratios[lam] = float(r["tc"]) / limit
        print(f"  lambda {lam}: Tc = {float(r['tc']):.4f} K, strong-coupling limit {limit:.4f} K, ratio {ratios[lam]:.5f}")
if len(ratios) == 2:
    c.check(0.95 < ratios[10] < ratios[30] < 1.0,
            f"Tc / 0.1827 sqrt(lambda) Omega rises to 1 from below: {ratios[10]:.4f} (lambda 10) < {ratios[30]:.4f} (30) < 1")

# ---- 2. linearised / nonlinear pair ---------------------------------------------------------
wd = workdir("eli")
einstein(wd, 2)
rc, out, err = run(a, deck_a2f("ein2.dat"), workdir=wd)
if c.check(rc == 0, "Einstein lambda = 2: Tc search exits 0"):
    tc = float(read(os.path.join(wd, "results.h5"))["tc"])
    eps = np.array([0.004, 0.008, 0.016])
    T = tc * (1 - eps)
    rc, out, err = run(a, deck_a2f("ein2.dat", temps="list = " + " ".join(f"{t:.10f}" for t in T), tc="no"), workdir=wd)
    if c.check(rc == 0, "Einstein lambda = 2: gaps just below Tc exit 0"):
        r = read(os.path.join(wd, "results.h5"))
        d0 = r["gap/delta_matsubara"][:, 0]
        conv = r["gap/converged"]
        T = r["temperatures"]                  # ascending, as the results list them
        c.check(bool(np.all(conv == 1)) and bool(np.all(d0 > 0)), f"three converged nonzero gaps: {d0} meV")
        x = tc - T
        p = np.polyfit(x, d0 ** 2, 2)          # Delta^2 = p0 x^2 + p1 x + p2
        roots = np.roots(p)
        x0 = roots[np.argmin(abs(roots))].real
        T0 = tc - x0
        c.check(abs(T0 - tc) / tc < 1e-4,
                f"Delta^2 -> 0 at T = {T0:.6f} K, linearised Tc = {tc:.6f} K (relative {abs(T0 - tc) / tc:.2e} < 1e-4)")
        # continuation from far below Tc: the gap at 0.996 Tc started from the 0.3 Tc gap (25
        # times larger) must be the same solution (both converged to 1e-12)
        hi = T[np.argmax(T)]
        rc, out, err = run(a, deck_a2f("ein2.dat", temps=f"list = {0.3 * tc:.10f} {hi:.10f}", tc="no"), workdir=wd)
        if c.check(rc == 0, "Einstein lambda = 2: 0.3 Tc then 0.996 Tc exits 0"):
            w = read(os.path.join(wd, "results.h5"))["gap/delta_matsubara"][:, 0]
            ref = d0[np.argmax(T)]
            c.check(abs(w[1] - ref) < 1e-6 * ref,
                    f"gap at 0.996 Tc continued from 0.3 Tc ({w[0]:.4f} meV): {w[1]:.8f} meV, direct {ref:.8f} meV")


# ---- 3. anisotropic with equal couplings ----------------------------------------------------
def records(buf):
    """Offsets and lengths of the Fortran records of a sequential file."""
    out, o = [], 0
    while o < len(buf):
        n = struct.unpack_from("<i", buf, o)[0]
        out.append((o + 4, n))
        o += n + 8
    return out


def equal_coupling_copy(src, dst, omega_ry=0.004, g2_ry=3e-5):
    shutil.copytree(src, dst)
    # egnv: N(E_F) := sum over window states of (w_k / 2) w0g
    b = bytearray(open(os.path.join(dst, "egnv"), "rb").read())
    rec = records(b)
    nkftot, n1, n2, n3, nkfs = struct.unpack_from("<5i", b, rec[0][0])
    nb = struct.unpack_from("<i", b, rec[1][0])[0]
    ef, ef0, dos, sig, fst = struct.unpack_from("<5d", b, rec[1][0] + 4)
    W, i = 0.0, 2
    for k in range(nkfs):
        wk = struct.unpack_from("<d", b, rec[i][0])[0]
        for j in range(nb):
            e = struct.unpack_from("<d", b, rec[i + 1 + j][0])[0]
            if abs(e - ef0) < fst:
                x = (e - ef0) * RY / (sig * RY)
                W += 0.5 * wk * math.exp(-x * x) / (math.sqrt(math.pi) * sig * RY)
        i += 1 + nb
    struct.pack_into("<d", b, rec[1][0] + 4 + 16, W * RY)     # states/Ry
    open(os.path.join(dst, "egnv"), "wb").write(b)
    # freq: one frequency; ephmat: one |g|^2
    for name, val in (("freq", omega_ry),) + tuple((f, g2_ry) for f in os.listdir(dst) if f.startswith("ephmat")):
        b = bytearray(open(os.path.join(dst, name), "rb").read())
        for o, n in records(b)[1:]:
            if n == 8:
                struct.pack_into("<d", b, o, val)
        open(os.path.join(dst, name), "wb").write(b)


tiny = test_data("mgb2-tiny-epw", "MgB2.ephmat")   # the repository's fixture, always present
wd = workdir("eli")
equal_coupling_copy(tiny, os.path.join(wd, "MgB2.ephmat"))
res = {}
for mode, ranks in (("iso", 1), ("aniso", 2)):
    deck = f"""[material]
source = epw
epw_dir = MgB2.ephmat
[solver]
method = eliashberg
anisotropy = {mode}
mustar = 0.1
wscut_meV = 300
tol = 1e-13
tc_tol = 1e-6
[temperatures]
list = 10 20
[output]
file = {mode}/results.h5
plot = no
"""
    rc, out, err = run(a, deck, ranks=ranks, workdir=wd, name=f"{mode}.in")
    if c.check(rc == 0, f"equal couplings, {mode} on {ranks} rank(s): exits 0"):
        res[mode] = read(os.path.join(wd, mode, "results.h5"))
if len(res) == 2:
    ri, ra = res["iso"], res["aniso"]
    c.check(rel(float(ra["tc"]), float(ri["tc"])) < 2e-6,
            f"Tc aniso {float(ra['tc']):.7f} K = iso {float(ri['tc']):.7f} K")
    dd = np.nanmax(abs(ra["gap/delta_matsubara"] - ri["gap/delta_matsubara"])) / np.nanmax(abs(ri["gap/delta_matsubara"]))
    c.check(dd < 1e-10, f"Fermi-surface Delta(i omega_n) aniso = iso at every n and T (max relative {dd:.1e})")
    ds = np.max(abs(ra["gap/delta"] - ri["gap/delta"])) / np.max(abs(ri["gap/delta"]))
    c.check(ds < 1e-10, f"every state's Delta(i omega_0) equals the isotropic gap (max relative {ds:.1e})")



# ---- 4. ranks (Pb fixture) -----------------------------------------------------------------
pb = test_data("pb-epw", "pb.ephmat")        # the repository's fixture, always present
wd = workdir("eli")
gaps = {}
for ranks in (1, 2, 4):
    deck = f"""[material]
source = epw
epw_dir = {pb}
eps_acustic_cm = 2
[solver]
method = eliashberg
anisotropy = aniso
mustar = 0.1
wscut_meV = 100
tol = 1e-12
[temperatures]
tc_search = no
list = 2 5
[output]
file = r{ranks}/results.h5
plot = no
"""
    rc, out, err = run(a, deck, ranks=ranks, workdir=wd, name=f"pb{ranks}.in")
    if c.check(rc == 0, f"Pb aniso on {ranks} rank(s): exits 0"):
        gaps[ranks] = read(os.path.join(wd, f"r{ranks}", "results.h5"))["gap/delta"]
if len(gaps) == 3:
    for ranks in (2, 4):
        d = np.max(abs(gaps[ranks] - gaps[1])) / np.max(abs(gaps[1]))
        c.check(d < 1e-12, f"Pb: {ranks} ranks give the 1-rank gaps (max relative {d:.1e} < 1e-12); "
                f"Delta range {gaps[1][0].min():.4f}..{gaps[1][0].max():.4f} meV at 2 K")
c.close()
