#!/usr/bin/env python3
"""AGAPE performance model (docs/performance.md): time per phase as a function of the number
of states N and of cores P, with constants measured on this machine.

    benchmarks/perfmodel.py check LOG [LOG ...]   model vs measured phase times of agape logs
    benchmarks/perfmodel.py predict [N ...]       predicted times on 128 ... 4096 cores

A log is the standard output of `agape run` (it holds N, ranks x threads, the ρ(T)
evaluations, the SPG kernel updates, the iterations, the phase-times line, the number of
operator products and which phonon operator ran: the stored kernel or the separable one)."""
import math
import re
import sys

# ---- constants measured on the 2-core test machine (benchmarks/RESULTS.md) ---------------
M = 12                 # phonon modes of the XB12 model
C_K = 2.19e-9          # core-s per (pair x mode), SPG K rebuild, interpolated, with the couplings
                       #   (50,000 states: 33 s per rebuild on 2 cores)
C_KZ = 3.99e-9         # core-s per (pair x mode), K + Z build (60 s on 2 cores)
C_ROW_K = 34e-6        # s per own row and K build: ~400 column-energy nodes x 12 modes of exact
C_ROW_KZ = 71e-6       #   closed forms at 1.4e8 (K) / 1.3e8 (Z) evals/s (bench_kernels)
C_VEC = 5.0e-8         # s per state and iteration, replicated on every rank (bench_matvec)
C_COUP = 4e-10         # core-s per (pair x mode), Fermi-surface couplings (6,000 states)
T_SAMPLING = 0.4       # s, replicated (50,000 states)
T_OUTPUT = 0.8         # s, rank 0 (HDF5 + histograms + PNG)
NB = 64                # block size of the block-cyclic kernel
B_CORE_HERE = 22.4e9   # B/s per core reached by the matvec here (50,000 states, 2 ranks)
N_ARNOLDI = 48         # matrix-vector products per ρ(T) (two restarts of Krylov dimension 24)

# ---- the separable operator (kernel_eval = separable; docs/performance.md) ---------------
NFUN = 380             # functions of a state (378 of the model + 2 for the energy grid)
NNODE = 350            # interpolation nodes (300-400 from 35 K down to 5 K)
KCOLS = 1500           # sum over the modes of the distinct column functions of its entries
# measured on one core, 50,090 states, 242 products in 13.6 s (perf: 62 % of the run in the
# chunk and row loops, 11 % in dgemm), benchmarks/RESULTS.md
C_SEP = 2.2e-9         # core-s per (state x function) and product, column sums + rows
C_MID = 4.1e-11        # core-s per (node^2 x column) and product (dgemm of the node tables)
C_SEPVEC = 1.2e-7      # s per state and product, replicated (Arnoldi/Anderson vectors, layout)
T_TABLES = 0.083       # s per temperature: node tables of K and Z and the Z product
T_OUTPUT_SEP = 1.3     # s, rank 0, 50,000 states (HDF5, histograms, FermiSurfer files)
CHUNK = 256            # states per chunk

# ---- an HPC node (assumed; replace with the target's figures) ----------------------------
CORES_PER_NODE = 128   # LUMI-C, Karolina, Vega, MeluXina, Deucalion: 2 x 64-core EPYC
B_NODE = 0.8 * 350e9   # B/s: 80 % (the matvec's fraction of triad here) of ~350 GB/s STREAM
ALPHA = 2e-6           # s, network latency
BETA = 12.5e9          # B/s, network bandwidth per node (half of a 200 Gb/s link)


def grid(p):
    """nprow x npcol of agape_par_init: npcol the largest divisor <= sqrt(p)."""
    pc = int(math.isqrt(p))
    while pc > 1 and p % pc:
        pc -= 1
    return p // pc, pc


def imbalance(n, nprow, npcol):
    """largest over mean local block of the block-cyclic layout (whole blocks of NB)."""
    nbl = math.ceil(n / NB)
    fr = math.ceil(nbl / nprow) / (nbl / nprow)
    fc = math.ceil(nbl / npcol) / (nbl / npcol)
    return fr * fc


def model(n, p, counts, b_core=None, threads=1):
    """Phase times (s) on p cores (p / threads ranks). counts: n_rho, n_kz, n_k, n_it."""
    ranks = max(1, p // threads)
    nprow, npcol = grid(ranks)
    imb = imbalance(n, nprow, npcol)
    pairs = float(n) * n * M
    build = (counts["n_kz"] * C_KZ + counts["n_k"] * C_K) * pairs / p * imb
    rows = math.ceil(n / NB / nprow) * NB / threads          # own rows per thread
    build += rows * (counts["n_kz"] * C_ROW_KZ + counts["n_k"] * C_ROW_K)
    n_mv = counts["n_rho"] * N_ARNOLDI + counts["n_it"]
    if b_core is None:       # on nodes: memory bandwidth per node
        nodes = max(1, p / CORES_PER_NODE)
        t_mem = 4.0 * n * n * imb / (nodes * B_NODE)
    else:
        t_mem = 4.0 * n * n * imb / (p * b_core)
    t_comm = 0.0 if ranks == 1 else 2 * ALPHA * math.log2(ranks) + 4 * 8.0 * n / BETA
    solve = n_mv * (t_mem + t_comm + C_VEC * n)
    coup = C_COUP * pairs / p
    return {"sampling": T_SAMPLING, "couplings": coup, "kernel_build": build, "solve": solve,
            "output": T_OUTPUT,
            "total": T_SAMPLING + coup + build + solve + T_OUTPUT}


def model_sep(n, p, counts, threads=1, here=True):
    """Phase times (s) of the separable operator on p cores. counts: n_rho, n_kz, n_prod."""
    ranks = max(1, p // threads)
    t_loops = C_SEP * n * NFUN / p
    t_mid = C_MID * NNODE * NNODE * KCOLS / min(p, NNODE // 8)   # row-node ranges of whole panels
    gather = 8.0 * NFUN * 8 * (n / CHUNK + NNODE / 8)           # bytes of chunk sums per product
    t_comm = 0.0 if ranks == 1 else (2 * ALPHA * math.log2(ranks) + (gather + 2 * 8.0 * n) / (1e12 if here else BETA))
    solve = counts["n_prod"] * (t_loops + t_mid + t_comm + C_SEPVEC * n)
    build = counts["n_kz"] * T_TABLES
    return {"sampling": T_SAMPLING, "couplings": 0.0, "kernel_build": build, "solve": solve,
            "output": T_OUTPUT_SEP, "total": T_SAMPLING + build + solve + T_OUTPUT_SEP}


def parse(log):
    txt = open(log).read()
    n = int(re.search(r"agape: (\d+) states", txt).group(1))
    m = re.search(r"(\d+) rank\(s\) x (\d+) thread", txt)
    ranks, threads = int(m.group(1)), int(m.group(2))
    n_rho = len(re.findall(r"linearised gap equation  T", txt))
    n_upd = len(re.findall(r"SPG kernel update \d+:", txt))
    n_t = len(re.findall(r"converged after", txt))
    n_it = sum(int(x) for x in re.findall(r"converged after (\d+) iterations", txt))
    ph = re.search(r"phase times \(s\): sampling ([\d.]+)\s+couplings\+coulomb ([\d.]+)\s+kernel_build ([\d.]+)"
                   r"\s+solve ([\d.]+)\s+output ([\d.]+)\s+total ([\d.]+)", txt)
    meas = dict(zip(["sampling", "couplings", "kernel_build", "solve", "output", "total"],
                    map(float, ph.groups()))) if ph else {}
    counts = {"n_rho": n_rho, "n_kz": n_rho + n_t, "n_k": max(0, n_upd - n_t), "n_it": n_it}
    pr = re.search(r"agape: (\d+) operator products .*phonon operator: (\w+)", txt)
    counts["n_prod"] = int(pr.group(1)) if pr else 0
    counts["sep"] = bool(pr) and pr.group(2) == "separable"
    return n, ranks, threads, counts, meas


def check(logs):
    print(f"{'log':34s} {'N':>6s} {'RxT':>5s}  {'phase':13s} {'model (s)':>10s} {'measured (s)':>13s} {'ratio':>6s}")
    for log in logs:
        n, r, t, counts, meas = parse(log)
        mod = (model_sep(n, r * t, counts, threads=t) if counts["sep"]
               else model(n, r * t, counts, b_core=B_CORE_HERE, threads=t))
        for k in ("kernel_build", "solve", "total"):
            if k in meas:
                print(f"{log[-34:]:34s} {n:6d} {r}x{t:<3d}  {k:13s} {mod[k]:10.2f} {meas[k]:13.2f} "
                      f"{mod[k] / meas[k]:6.2f}")
        print(f"{'':34s} counts: {counts}")


def predict_sep(ns):
    # the CsB12 50,000-state deck with the separable operator: 6 rho(T), 8 temperatures
    # (14 table builds) and ~400 products (benchmarks/RESULTS.md)
    base = {"n_rho": 6, "n_kz": 14, "n_prod": 400}
    print(f"separable operator; nodes of {CORES_PER_NODE} cores, network {ALPHA * 1e6:.0f} us / "
          f"{BETA / 1e9:.1f} GB/s; 1 thread per rank")
    print(f"{'N':>7s} {'cores':>6s} {'solve (s)':>10s} {'total (s)':>10s} {'eff. vs 128':>11s}")
    for n in ns:
        ref = None
        for p in (128, 256, 512, 1024, 2048, 4096):
            m = model_sep(n, p, base, here=False)
            ref = ref or m["total"] * 128
            print(f"{n:7d} {p:6d} {m['solve']:10.2f} {m['total']:10.2f} {ref / (m['total'] * p):10.0%}")


def predict(ns):
    # the CsB12 50,000-state deck: 6 rho(T), 8 temperatures, ~6.5 SPG updates and ~28
    # iterations per temperature (benchmarks/RESULTS.md)
    base = {"n_rho": 6, "n_kz": 14, "n_k": 44, "n_it": 230}
    print(f"nodes of {CORES_PER_NODE} cores, {B_NODE / 1e9:.0f} GB/s per node for the matvec, "
          f"network {ALPHA * 1e6:.0f} us / {BETA / 1e9:.1f} GB/s; 1 thread per rank")
    print(f"{'N':>7s} {'cores':>6s} {'grid':>9s} {'build (s)':>10s} {'solve (s)':>10s} {'total (s)':>10s} "
          f"{'eff. vs 128':>11s} {'K per rank':>11s}")
    for n in ns:
        ref = None
        for p in (128, 256, 512, 1024, 2048, 4096):
            m = model(n, p, base)
            ref = ref or m["total"] * 128
            nr, nc = grid(p)
            print(f"{n:7d} {p:6d} {nr:4d} x {nc:<3d} {m['kernel_build']:10.2f} {m['solve']:10.2f} "
                  f"{m['total']:10.2f} {ref / (m['total'] * p):10.0%} {4.0 * n * n / p / 1e6:8.1f} MB")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "predict":
        predict([int(x) for x in sys.argv[2:]] or [50000, 200000])
        print()
        predict_sep([int(x) for x in sys.argv[2:]] or [50000, 200000, 1000000])
    else:
        print(__doc__)
        sys.exit(2)
