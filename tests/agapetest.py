"""Shared helpers for AGAPE's Python tests: run the agape executable on a deck in a
temporary folder, read results.h5, and count checks. Uses /usr/bin/python3 (h5py)."""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OPENBLAS_NUM_THREADS="1", OMPI_MCA_rmaps_base_oversubscribe="1")


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--agape", required=True)
    p.add_argument("--mpiexec", default="mpiexec")
    return p.parse_args()


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
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def run(a, deck_text, ranks=1, threads=1, workdir=None, name="deck.in", expect_ok=True, timeout=900):
    """Write deck_text to workdir/name and run agape on it; returns (returncode, stdout, stderr)."""
    workdir = workdir or tempfile.mkdtemp(prefix="agape-test-")
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(deck_text)
    env = dict(ENV, OMP_NUM_THREADS=str(threads))
    cmd = [a.mpiexec, "--oversubscribe", "-np", str(ranks)]
    if threads > 1:
        cmd += ["--map-by", f"slot:PE={threads}"] if ranks * threads <= os.cpu_count() else ["--bind-to", "none"]
    cmd += [a.agape, "run", path]
    p = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
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


def shared_data():
    """The shared EPW data folder: $AGAPE_SHARED_DATA, else ../shared/data beside the checkout."""
    return os.environ.get("AGAPE_SHARED_DATA") or os.path.normpath(
        os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))


def test_data(*parts):
    """A path inside the repository's test fixtures, tests/data (always present)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", *parts)


def rel(a, b):
    return abs(a - b) / abs(b)
