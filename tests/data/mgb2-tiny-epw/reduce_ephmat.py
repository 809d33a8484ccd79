#!/usr/bin/python3
"""Cut an EPW 5.3 Eliashberg folder (<prefix>.ephmat: egnv, ikmap, freq, ephmat1..P) down to
a narrower Fermi window, writing a folder of the same layout that EPW itself would have
written with the smaller fsthick: the window bands only (ibndmin..ibndmax recomputed), the
Fermi-shell k points that keep a window band (renumbered; ikmap points to the new numbers
or 0), every pool's fermicount, and only the |g|^2 records of window pairs, in EPW's order.
E_F, N(E_F), degaussw, the weights, the q points and the frequencies are copied unchanged.

A pair (n k, m k+q) dropped here has |e - E_F| >= fsthick for one of its states, so its
Gaussian weight in every Fermi-surface sum is at most exp(-(fsthick/degaussw)^2) of the
largest: with fsthick = 1 eV and degaussw = 0.1 eV that is exp(-100), and the cut folder
gives EPW's lambda, omega_log and alpha^2F to every printed digit.

usage: reduce_ephmat.py SRC.ephmat DST.ephmat FSTHICK_EV
The layout is EPW/src/io_eliashberg.f90 of QE 6.7 (write_ephmat, read_ephmat)."""
import os
import struct
import sys

RY = 13.605693122994  # eV per Ry, QE 6.7


def records(path):
    """The payloads of a Fortran sequential file (int32 marker, payload, int32 marker)."""
    b = open(path, "rb").read()
    out, o = [], 0
    while o < len(b):
        n = struct.unpack_from("<i", b, o)[0]
        if struct.unpack_from("<i", b, o + 4 + n)[0] != n:
            sys.exit(f"{path}: bad record marker at byte {o}")
        out.append(b[o + 4:o + 4 + n])
        o += 8 + n
    return out


def write(path, payloads):
    with open(path, "wb") as f:
        for p in payloads:
            m = struct.pack("<i", len(p))
            f.write(m + p + m)


def main(src, dst, fst_ev):
    # egnv
    eg = records(os.path.join(src, "egnv"))
    nkftot, nk1, nk2, nk3, nkfs = struct.unpack("<5i", eg[0])
    nbnd = struct.unpack_from("<i", eg[1])[0]
    ef, ef0, dosef, degaussw, fsthick = struct.unpack_from("<5d", eg[1], 4)
    fst = fst_ev / RY
    if fst >= fsthick:
        sys.exit(f"the new fsthick {fst_ev} eV is not below the folder's {fsthick * RY} eV")
    wk, ek = [], []
    for k in range(nkfs):
        base = 2 + k * (1 + nbnd)
        wk.append(eg[base])
        ek.append([struct.unpack("<d", eg[base + 1 + b])[0] for b in range(nbnd)])
    # the window bands of each k, as EPW's readers select them: |e - ef0| < fsthick
    win_old = [[b for b in range(nbnd) if abs(ek[k][b] - ef0) < fsthick] for k in range(nkfs)]
    win_new = [[b for b in range(nbnd) if abs(ek[k][b] - ef0) < fst] for k in range(nkfs)]
    keep = [k for k in range(nkfs) if win_new[k]]
    bands = sorted({b for k in keep for b in win_new[k]})
    bmin, bmax = bands[0], bands[-1]
    new_of = {k: i + 1 for i, k in enumerate(keep)}  # 1-based Fermi-shell numbers
    # ikmap
    ikmap = struct.unpack(f"<{nk1 * nk2 * nk3}i", records(os.path.join(src, "ikmap"))[0])
    ikmap_new = [new_of.get(i - 1, 0) if i > 0 else 0 for i in ikmap]
    # freq and selected q
    fr = records(os.path.join(src, "freq"))
    nqtotf, nq1, nq2, nq3, nmodes = struct.unpack("<5i", fr[0])
    totq = (len(fr) - 1) // (1 + nmodes)
    xq = [struct.unpack("<3d", fr[1 + q * (1 + nmodes)]) for q in range(totq)]

    def full_index(x, n):
        i = [round(x[d] * n[d]) % n[d] for d in range(3)]
        for d in range(3):
            if abs(x[d] * n[d] - round(x[d] * n[d])) > 1e-5:
                sys.exit("a k+q off the fine grid")
        return (i[0] * n[1] + i[1]) * n[2] + i[2]

    xk = [struct.unpack("<4d", wk[k])[1:] for k in range(nkfs)]
    nk = (nk1, nk2, nk3)
    kq = [[ikmap[full_index([xk[k][d] + xq[q][d] for d in range(3)], nk)] - 1 for q in range(totq)]
          for k in range(nkfs)]  # -1: outside the old shell
    # ephmat files: pool P holds the contiguous Fermi-shell k after those of the pools before it
    pools = sorted(int(f[6:]) for f in os.listdir(src) if f.startswith("ephmat"))
    os.makedirs(dst, exist_ok=True)
    first = 0
    kept_g2 = total_g2 = 0
    for P in pools:
        er = records(os.path.join(src, f"ephmat{P}"))
        pid, cnt = struct.unpack("<2i", er[0])
        ks = range(first, first + cnt)
        out, o = [], 1
        for q in range(totq):
            for k in ks:
                j = kq[k][q]
                if j < 0:
                    continue
                for nu in range(nmodes):
                    for b in win_old[k]:
                        for b2 in win_old[j]:
                            if b in win_new[k] and b2 in win_new[j]:
                                out.append(er[o])
                            o += 1
        if o != len(er):
            sys.exit(f"ephmat{P}: {len(er) - o} records not accounted for")
        total_g2 += o - 1
        kept_g2 += len(out)
        write(os.path.join(dst, f"ephmat{P}"),
              [struct.pack("<2i", pid, sum(1 for k in ks if win_new[k]))] + out)
        first += cnt
    # egnv of the cut folder
    rec = [struct.pack("<5i", nkftot, nk1, nk2, nk3, len(keep)),
           struct.pack("<i5d", bmax - bmin + 1, ef, ef0, dosef, degaussw, fst)]
    for k in keep:
        rec.append(wk[k])
        rec += [struct.pack("<d", ek[k][b]) for b in range(bmin, bmax + 1)]
    write(os.path.join(dst, "egnv"), rec)
    write(os.path.join(dst, "ikmap"), [struct.pack(f"<{len(ikmap_new)}i", *ikmap_new)])
    write(os.path.join(dst, "freq"), fr)
    print(f"fsthick {fsthick * RY:.4g} -> {fst_ev} eV: {nkfs} -> {len(keep)} Fermi-shell k, "
          f"bands {bmin + 1}..{bmax + 1} of {nbnd}, {sum(len(w) for w in win_old)} -> "
          f"{sum(len(win_new[k]) for k in keep)} states, {total_g2} -> {kept_g2} |g|^2 records")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
