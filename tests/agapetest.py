"""Shared helpers for AGAPE's Python tests: run the agape executable on a deck in a
temporary folder, read results.h5, and count checks. Uses /usr/bin/python3 (h5py).

Temporaries: importing this module makes the test's one temporary folder, TMP (the folder
the ctest wrapper tests/with_tmpdir.sh made for the test, $AGAPE_TEST_TMPDIR, else a new
$TMPDIR/agape-<script>-XXXXXXXX), and points TMPDIR, tempfile and every child process (mpirun
and its session folder too) at it. workdir() makes folders inside it. A folder this module
made is removed at exit, also after a failure, an exception or SIGTERM; with AGAPE_KEEP_TMP=1
it is kept and its path printed."""
import argparse
import atexit
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import h5py
import numpy as np

KEEP_TMP = os.environ.get("AGAPE_KEEP_TMP") == "1"


def _make_tmp():
    given = os.environ.get("AGAPE_TEST_TMPDIR")
    if given and os.path.isdir(given):
        return given, False            # the ctest wrapper's folder: it removes it
    name = os.path.splitext(os.path.basename(sys.argv[0] or "test"))[0]
    return tempfile.mkdtemp(prefix=f"agape-{name}-"), True


TMP, _OWN_TMP = _make_tmp()
os.environ["TMPDIR"] = TMP
tempfile.tempdir = TMP


def _remove_tmp():
    if not _OWN_TMP:
        return
    if KEEP_TMP:
        print(f"AGAPE_KEEP_TMP=1: the temporary folder {TMP} is kept", flush=True)
    else:
        shutil.rmtree(TMP, ignore_errors=True)


atexit.register(_remove_tmp)
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # atexit runs


def workdir(prefix="run"):
    """A new folder inside the test's temporary folder."""
    return tempfile.mkdtemp(prefix=f"{prefix}-", dir=TMP)


ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OPENBLAS_NUM_THREADS="1", OMPI_MCA_rmaps_base_oversubscribe="1")


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--agape", required=True)
    p.add_argument("--mpiexec", default="mpiexec")
    return p.parse_args()


# sanitizer reports seen in the stderr of the runs (asan-ubsan preset): each fails the test,
# also in a run that was meant to fail (a bad deck), where the exit status alone would hide it
SANITIZER = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:")
_sanitizer_reports = []


def sanitizer_report(stderr, what):
    """Record (and print) a sanitizer report in a run's stderr; True when there was one."""
    m = SANITIZER.search(stderr or "")
    if m:
        _sanitizer_reports.append(what)
        print(f"sanitizer report in {what}:\n{stderr[max(0, m.start() - 200):m.start() + 3000]}", flush=True)
    return m is not None


class Checks:
    """Counts checks; prints one line per check and the closing 'N passed, M failed'."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        print(("PASS " if ok else "FAIL ") + what, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def close(self):
        self.check(not _sanitizer_reports, f"no sanitizer report in the runs' stderr ({len(_sanitizer_reports)})")
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def run(a, deck_text, ranks=1, threads=1, workdir=None, name="deck.in", expect_ok=True, timeout=900):
    """Write deck_text to workdir/name and run agape on it; returns (returncode, stdout, stderr)."""
    workdir = workdir or tempfile.mkdtemp(prefix="run-", dir=TMP)
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(deck_text)
    env = dict(ENV, OMP_NUM_THREADS=str(threads))
    if not expect_ok:
        # a run expected to fail: when the first rank exits non-zero, Open MPI's mpirun sends
        # the others SIGTERM and waits odls_base_sigkill_timeout (1 s) before SIGKILL, about
        # 2 s a run; AGAPE's ranks agree on an error and exit together, so nothing is lost
        env["OMPI_MCA_odls_base_sigkill_timeout"] = "0"
    cmd = [a.mpiexec, "--oversubscribe", "-np", str(ranks)]
    if threads > 1:
        cmd += ["--map-by", f"slot:PE={threads}"] if ranks * threads <= os.cpu_count() else ["--bind-to", "none"]
    cmd += [a.agape, "run", path]
    p = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    sanitizer_report(p.stderr, " ".join(cmd))
    if expect_ok and p.returncode != 0:
        print(p.stdout[-4000:])
        print(p.stderr[-4000:])
    return p.returncode, p.stdout, p.stderr


def read(path):
    """Read results.h5 into a dict of numpy arrays / scalars (datasets only)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def reference(folder, key):
    """A number of tests/data/FOLDER/reference.txt (what EPW printed), by its key."""
    with open(test_data(folder, "reference.txt")) as f:
        for line in f:
            name, _, value = line.split("#")[0].partition("=")
            if value and name.strip() == key:
                return float(value)
    raise KeyError(f"{key} in tests/data/{folder}/reference.txt")


def test_data(*parts):
    """A path inside the repository's test fixtures, tests/data (always present)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", *parts)


def rel(a, b):
    return abs(a - b) / abs(b)


RY_EV = 13.605693122994  # EPW's Rydberg in eV (QE 6.7)

# a valid deck that runs in a second (the square well at 1 and 2 K): the base of the
# bad-input tests, which change one thing in it
BCS_DECK = """[material]
source = model
name = bcs
[temperatures]
list = 1 2
tc_search = no
[sampling]
energy_window_eV = 0.1
[output]
file = results.h5
plot = no
"""


def write_epw_one_band(folder, nk, nq, ek, ef, dosef, degaussw, fsthick, omega, g2, npool=1, ops=None):
    """Write an EPW 5.3 folder (sequential Fortran records) of one band on the nk^3 k mesh: band
    energies ek[nk^3] (eV, full mesh, k fastest), Fermi level ef, N(E_F) dosef (1/eV/spin),
    smearing degaussw and window fsthick (eV); one phonon of frequency omega (eV) at every point
    of the nq^3 q mesh, all selected; one |g|^2 g2 (eV^2, as EPW stores it) for every (k, q);
    the k points split into npool files. ops: None (every k its own representative, weight
    2/nk^3), else integer 3x3 matrices acting on the mesh indices (a point group; ek must be
    invariant): the irreducible points (the smallest full index of each orbit) are written,
    each with weight 2 x orbit size/nk^3, and ikmap maps every point onto its orbit's."""
    def record(f, payload):
        n = np.array([len(payload)], "<i4").tobytes()
        f.write(n + payload + n)
    os.makedirs(folder, exist_ok=True)
    N, Q = nk ** 3, nq ** 3
    idx, iq = np.arange(N), np.arange(Q)
    ik = np.c_[idx // (nk * nk), (idx // nk) % nk, idx % nk]
    ck = ik / nk
    cq = np.c_[iq // (nq * nq), (iq // nq) % nq, iq % nq] / nq
    rep = idx.copy()   # the smallest full index of each point's orbit
    for m in (ops if ops is not None else []):
        im = (ik @ np.asarray(m).T) % nk
        rep = np.minimum(rep, im[:, 0] * nk * nk + im[:, 1] * nk + im[:, 2])
    irr, ikmap, mult = np.unique(rep, return_inverse=True, return_counts=True)
    NI = len(irr)
    with open(os.path.join(folder, "egnv"), "wb") as f:
        record(f, np.array([NI, nk, nk, nk, NI], "<i4").tobytes())
        record(f, np.array([1], "<i4").tobytes() +
               np.array([ef / RY_EV, ef / RY_EV, dosef * RY_EV, degaussw / RY_EV, fsthick / RY_EV], "<f8").tobytes())
        for r, m in zip(irr, mult):
            record(f, np.r_[2.0 * m / N, ck[r]].astype("<f8").tobytes())
            record(f, np.array([ek[r] / RY_EV], "<f8").tobytes())
    with open(os.path.join(folder, "ikmap"), "wb") as f:
        record(f, (ikmap + 1).astype("<i4").tobytes())
    with open(os.path.join(folder, "freq"), "wb") as f:
        record(f, np.array([Q, nq, nq, nq, 1], "<i4").tobytes())
        for q in range(Q):
            record(f, cq[q].astype("<f8").tobytes())
            record(f, np.array([omega / RY_EV], "<f8").tobytes())
    with open(os.path.join(folder, "selecq.fmt"), "w") as f:
        f.write(f"{Q}\n{Q}\n" + "".join(f"{q + 1}\n" for q in range(Q)))
    # for each q, each k of the pool: one g2 record
    rec = np.zeros(1, dtype=[("a", "<i4"), ("g", "<f8"), ("b", "<i4")])
    rec["a"] = rec["b"] = 8
    rec["g"] = g2 / RY_EV ** 2
    bounds = [NI * p // npool for p in range(npool + 1)]
    for p in range(npool):
        nkp = bounds[p + 1] - bounds[p]
        with open(os.path.join(folder, f"ephmat{p + 1}"), "wb") as f:
            record(f, np.array([p + 1, nkp], "<i4").tobytes())
            np.tile(rec, Q * nkp).tofile(f)


def write_epw_triangle(folder, nk, nq, width, ef, omega, lam, degaussw=0.02, symmetric=False):
    """EPW files of one band xi(k) = width (|2 k_x - 1| - 1/2) on the nk^3 k mesh (a triangle wave
    in k_x: a flat DOS 1/width per spin over [-width/2, width/2], reproduced exactly by trilinear
    interpolation since its kinks lie on mesh planes), the window just wider than the band, one
    phonon omega (eV) at every q of the nq^3 mesh and one |g|^2 for every (k, q) with
    lambda = 2 N(0) |g|^2 / omega = lam, and a crystal.fmt beside the folder: simple cubic with
    every k its own representative, or (symmetric) tetragonal with its 4-fold axis along x
    (c = 1.3 a, point group 4/mmm, 16 operations, which keep the band) and only the
    irreducible k written. Returns N(E_F) (states/eV/spin)."""
    idx = np.arange(nk ** 3)
    xi = width * (np.abs(2 * (idx // (nk * nk)) / nk - 1) - 0.5)
    n0 = 1.0 / width
    ops = None
    if symmetric:   # x -> +-x, and the 8 signed permutations of (y, z)
        ops = [np.array([[sx, 0, 0], [0, a, b], [0, c, d]]) for sx in (1, -1)
               for (a, b, c, d) in ((1, 0, 0, 1), (-1, 0, 0, 1), (1, 0, 0, -1), (-1, 0, 0, -1),
                                    (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, -1, 0), (0, -1, -1, 0))]
    write_epw_one_band(folder, nk, nq, ef + xi, ef, n0, degaussw, width / 2 + 1e-6, omega, lam * omega / (2 * n0),
                       ops=ops)
    c = 1.3 if symmetric else 1.0
    with open(os.path.join(os.path.dirname(folder), "crystal.fmt"), "w") as f:
        f.write(f"1\n3\n1.0\n{c!r} 0 0 0 1 0 0 0 1\n{1 / c!r} 0 0 0 1 0 0 0 1\n{c!r} 8.0\n0 0 0\n"
                "100 0 0 0 0 0 0 0 0 0\n1\nF\n")
    return n0
