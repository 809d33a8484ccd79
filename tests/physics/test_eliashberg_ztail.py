"""[solver] z_tail for isotropic Migdal-Eliashberg on the imaginary axis, against an independent
solution of the same equations written here (numpy, plain fixed-point iteration):

  lambda(d) = sum_b 2 a_b w_b / (w_b^2 + (2 pi T d)^2)      (the run's own phonon lines,
                                                              /coupling/omega and a2f_weight)
  Z_n  = 1 + 1/(2n+1) [ sum_{n'<N} K-(n,n') w_n'/R_n' + tail_n ]
  D_n  = pi T / Z_n sum_{n'<N} [K+(n,n') - 2 mu*] D_n'/R_n'
  K+-(n,n') = lambda(n-n') +- lambda(n+n'+1),  R = sqrt(w^2 + D^2)

z_tail = epw: tail_n = 0 (epw.x's sums stop at wscut); z_tail = exact: tail_n is the rest of
sum_{n'>=0} K-(n,n') = lambda(0) + 2 sum_{k=1..n} lambda(k) (an identity: the sum telescopes).
Both modes must agree with the reference to the solver tolerance; and they must differ from
each other by more than that (the tail is a real effect, a few percent in Z at these T)."""
import os, shutil
import numpy as np
import h5py
from agapetest import args, Checks, run, workdir

a = args()
c = Checks()
K_B = 8.617333262e-5  # eV/K

# a two-peak alpha^2F (meV): lambda about 1, written as a plain two-column file
w = np.linspace(0.5, 80, 400)
a2f = 0.55 * np.exp(-((w - 20) / 4) ** 2) + 0.35 * np.exp(-((w - 55) / 6) ** 2)
TEMPS = [1.5, 3.0]
MUSTAR, WSCUT = 0.12, 300.0


def reference(omega, aw, T, mustar, wscut, tail):
    """Independent solution; omega, aw in eV, T in K, wscut in eV. Returns Delta_0 (eV), Z_0."""
    t = K_B * T
    N = int(0.5 * (wscut / (np.pi * t) - 1.0)) + 1
    d = np.arange(2 * N)
    lam = (2 * aw[None, :] * omega[None, :] / (omega[None, :] ** 2 + (2 * np.pi * t * d[:, None]) ** 2)).sum(1)
    n = np.arange(N)
    wn = np.pi * t * (2 * n + 1)
    Km = lam[np.abs(n[:, None] - n[None, :])] - lam[n[:, None] + n[None, :] + 1]
    Kp = lam[np.abs(n[:, None] - n[None, :])] + lam[n[:, None] + n[None, :] + 1]
    if tail:
        full = np.cumsum(np.concatenate(([lam[0]], 2 * lam[1:N])))   # lambda(0) + 2 sum_{k<=n} lambda(k)
        extra = full - Km.sum(1)                                      # what the cut sum leaves out
    else:
        extra = np.zeros(N)
    D = np.full(N, 1e-3)
    for it in range(20000):
        R = np.sqrt(wn ** 2 + D ** 2)
        Z = 1 + (Km @ (wn / R) + extra) / (2 * n + 1)
        Dn = np.pi * t / Z * ((Kp - 2 * mustar) @ (D / R))
        if np.max(np.abs(Dn - D)) <= 1e-13 * np.max(np.abs(Dn)):
            D = Dn
            break
        D = 0.5 * D + 0.5 * Dn
    R = np.sqrt(wn ** 2 + D ** 2)
    Z = 1 + (Km @ (wn / R) + extra) / (2 * n + 1)
    return D[0], Z[0]


res = {}
for mode in ("exact", "epw"):
    wd = workdir("ztail")
    with open(os.path.join(wd, "a2f.dat"), "w") as f:
        f.write("".join(f"{x:.6f} {y:.10f}\n" for x, y in zip(w, a2f)))
    deck = f"""[material]
source = a2f
a2f_file = a2f.dat
dos_per_eV_spin = 1
[solver]
method = eliashberg
anisotropy = iso
mustar = {MUSTAR}
wscut_meV = {WSCUT}
tol = 1e-12
z_tail = {mode}
[temperatures]
list = {" ".join(str(x) for x in TEMPS)}
tc_search = no
[output]
file = results.h5
plot = no
"""
    rc, out, err = run(a, deck, workdir=wd, timeout=300)
    ok = rc == 0 and os.path.exists(os.path.join(wd, "results.h5"))
    c.check(ok, f"z_tail = {mode}: the run finishes (exit {rc})")
    if not ok:
        continue
    with h5py.File(os.path.join(wd, "results.h5"), "r") as f:
        om = np.asarray(f["coupling/omega"][()]) * 1e-3
        aw = np.asarray(f["coupling/a2f_weight"][()]) * 1e-3
        dm = np.asarray(f["gap/delta_matsubara"][()])
        zm = np.asarray(f["gap/z_matsubara"][()])
    res[mode] = (dm[:, 0], zm[:, 0])
    for i, T in enumerate(TEMPS):
        D0, Z0 = reference(om, aw, T, MUSTAR, WSCUT * 1e-3, mode == "exact")
        # both solve the same equations to 1e-12 relative: agreement to 1e-9 (iteration
        # order and summation order differ)
        eD = abs(dm[i, 0] * 1e-3 - D0) / abs(D0)
        eZ = abs(zm[i, 0] - Z0) / Z0
        c.check(eD < 1e-9 and eZ < 1e-9,
                f"z_tail = {mode}, T = {T} K: Delta(i w0) = {dm[i, 0]:.9f} meV (reference {D0 * 1e3:.9f}, "
                f"rel. {eD:.1e}), Z = {zm[i, 0]:.9f} ({Z0:.9f}, {eZ:.1e}); tolerance 1e-9")
    shutil.rmtree(wd, ignore_errors=True)

if len(res) == 2:
    dz = np.abs(res["exact"][1] - res["epw"][1]) / res["epw"][1]
    c.check(np.all(dz > 1e-4), f"the Z tail is a real difference: Z(exact) vs Z(epw) differ by {dz} (> 1e-4)")
c.close()
