#!/usr/bin/python3
"""Summary of a material script's runs (inputs/al/run.sh, inputs/mgb2/run.sh):
    summary.py EPW1_OUT TIMINGS RESULTS.h5 [RESULTS.h5 ...]
prints, per AGAPE run, the method, N(0) and lambda of the states beside EPW's, mu = N(0)<W>_FS
from the wavefunctions, mu* (Eliashberg), Tc and the gaps at the lowest temperature (the
states within omega_log/10 of E_F; two families by a two-means split of |Delta|), and
the wall times of every step; writes fig7b.png beside the first results file's folder: the DOS
of the save folder's grid with the diagonal W(xi, xi) (the seed paper's Fig. 7b)."""
import os
import re
import sys

import h5py
import numpy as np


def epw_value(path, key):
    """the last number printed after 'key =' in EPW's output (Fortran D exponents allowed)"""
    val = None
    with open(path) as f:
        for line in f:
            if key in line:
                val = float(line.split("=")[1].split()[0].replace("D", "E").replace("d", "e"))
    return val


def gap_families(f):
    """|Delta| (meV) at the lowest temperature of the states within omega_log/10 of E_F (all
    states of an isotropic run), where the gap has not yet fallen off on the phonon scale: the
    two means of a two-means split, equal when there is one family (the means closer than three
    spreads)"""
    gap = np.abs(f["gap/delta"][0])
    if "states/band" in f:
        width = 1e-4 * float(f["coupling/omega_log"][()])  # eV: omega_log/10, omega_log in meV
        m = (f["states/band"][:] >= 0) & (np.abs(f["states/xi"][:]) < width)
        g = np.sort(gap[m])
    else:
        g = np.sort(gap)
    if g.size == 0:
        return float("nan"), float("nan")
    lo, hi = g[0], g[-1]
    a, b = g, g
    for _ in range(50):
        cut = 0.5 * (lo + hi)
        a, b = g[g <= cut], g[g > cut]
        if a.size == 0 or b.size == 0:
            return float(np.mean(g)), float(np.mean(g))
        lo, hi = a.mean(), b.mean()
    if hi - lo < 3 * max(a.std(), b.std(), 1e-12):
        return float(np.mean(g)), float(np.mean(g))
    return float(lo), float(hi)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    epw_out, timings, results = sys.argv[1], sys.argv[2], sys.argv[3:]
    lam_epw = epw_value(epw_out, "Electron-phonon coupling strength =")
    dos_epw = epw_value(epw_out, "DOS(states/spin/eV/Unit Cell) =")
    print(f"EPW (epw1.out): N(E_F) = {dos_epw:.4f} states/eV/spin/cell, lambda = {lam_epw:.4f}")
    print(f"{'run':<12} {'N(0)':>7} {'lambda':>7} {'mu':>7} {'mu*':>7} {'Tc_K':>8} {'T_K':>6} "
          f"{'D1_meV':>8} {'D2_meV':>8} {'2D/kTc':>7}  status")
    for path in results:
        name = os.path.basename(os.path.dirname(os.path.abspath(path)))
        if not os.path.exists(path):
            print(f"{name:<12} (no {path})")
            continue
        with h5py.File(path, "r") as f:
            tc = float(f["tc"][()])
            mu = float(f["coulomb/mu"][()]) if "coulomb/mu" in f else float("nan")
            ms = float(f["gap/mustar"][()]) if "gap/mustar" in f else float("nan")
            n0 = float(f["coupling/dos0"][()]) if "coupling/dos0" in f else float("nan")
            lam = float(f["coupling/lambda"][()]) if "coupling/lambda" in f else float("nan")
            T = float(f["temperatures"][0])
            d1, d2 = gap_families(f)
            status = f["tc_status"][()].decode() if "tc_status" in f else ""
            # 2 Delta / k_B Tc of the larger family (meV and K)
            ratio = 2 * d2 * 1e-3 / (8.617333262e-5 * tc) if tc > 0 else float("nan")
            print(f"{name:<12} {n0:7.4f} {lam:7.4f} {mu:7.4f} {ms:7.4f} {tc:8.3f} {T:6.2f} {d1:8.3f} {d2:8.3f} "
                  f"{ratio:7.2f}  {status}")
    print("wall times (s):")
    with open(timings) as f:
        for line in f:
            m = re.match(r"(\S+)\s+(?:rc=\d+ )?(?:total_)?wall_s=([\d.]+)", line)
            if m:
                label = {"ALLDONE": "total"}.get(m.group(1), m.group(1))
                print(f"  {label:<18} {float(m.group(2)):8.1f}")
    # Fig. 7b: the DOS with the diagonal W(xi, xi)
    with h5py.File(results[0], "r") as f:
        if "coulomb/w_xi" not in f:
            return
        xi, dos, w = f["coulomb/xi_axis"][:], f["coulomb/dos_xi"][:], f["coulomb/w_xi"][:]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xi, dos, "k-", label="DOS (states/eV/spin/cell)")
    ax.set_xlabel("xi = E - E_F (eV)")
    ax.set_ylabel("DOS (states/eV/spin/cell)")
    ax2 = ax.twinx()
    ax2.plot(xi, np.diag(w), "r.-", label="W(xi, xi) (eV)")
    ax2.set_ylabel("W(xi, xi) (eV)", color="r")
    ax.set_title("DOS and diagonal RPA W(xi, xi) of the save folder's grid")
    out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(results[0]))), "fig7b.png")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"Fig. 7b (DOS and W(xi, xi)): {out}")


if __name__ == "__main__":
    main()
