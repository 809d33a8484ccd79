"""Checkpoint and restart of the Migdal-Eliashberg solver ([solver] method = eliashberg;
docs/output.md, "Checkpoints"), on the Pb fixture (tests/data/pb-epw), isotropic and
anisotropic, 2 ranks x 1 thread: a run stopped at a safe point and continued with
`agape run DECK --restart` ends with the numbers of the uninterrupted run, bit for bit.

The stop is a real signal raised inside the process by AGAPE_FAULT at a chosen site: during
the Tc search (an evaluation, and for aniso an Arnoldi product inside a later evaluation,
so that the journal is replayed and the warm-start eigenvector restored), inside the
fixed-point iteration of a temperature (the iterate, its start and the Anderson history are
restored; SIGUSR1 on one rank too), and between two temperatures. Also: SIGKILL with a
checkpoint at every safe point (the timer), a signal during the output (the run completes
it and exits 0), and a checkpoint of another deck is refused naming the key.

Equality is exact (np.array_equal on every gap, Z, Matsubara average and the Tc search):
the restart must replay the same floating-point operations; any state lost or re-done shows
at the 1e-8 level of the solver tolerance."""
import os
import shutil
import tempfile

import h5py
import numpy as np
import subprocess

from agapetest import args, Checks, ENV, test_data

a = args()
c = Checks()

DECK = """[material]
source = epw
epw_dir = {epw}
eps_acustic_cm = 2
degaussq_meV = 0.05
nqstep = 500
[solver]
method = eliashberg
anisotropy = {aniso}
mustar = {mustar}
wscut_meV = 100
[temperatures]
list = 2 5 8
tc_search = yes
[output]
file = out/results.h5
plot = no
checkpoint_interval_s = {every}
"""
KEYS = ["gap/delta", "gap/z", "gap/delta_matsubara", "gap/z_matsubara", "gap/iterations", "tc", "tc_search/T",
        "tc_search/rho"]


def make(aniso, every="600", mustar="0.1"):
    d = tempfile.mkdtemp(prefix="agape-eli-restart-")
    with open(os.path.join(d, "deck.in"), "w") as f:
        f.write(DECK.format(epw=test_data("pb-epw", "pb.ephmat"), aniso=aniso, every=every, mustar=mustar))
    return d


def go(d, restart=False, fault=None):
    env = dict(ENV, OMP_NUM_THREADS="1")
    if fault:
        env["AGAPE_FAULT"] = fault
    cmd = [a.mpiexec, "--oversubscribe", "-np", "2", a.agape, "run", "deck.in"] + (["--restart"] if restart else [])
    p = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def results(d):
    path = os.path.join(d, "out", "results.h5")
    if not os.path.exists(path):
        return None
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in KEYS}


def same(d, ref, what):
    r = results(d)
    if r is None:
        return c.check(False, f"{what}: no results after the restart")
    diff = [k for k in KEYS if not np.array_equal(np.asarray(r[k]), np.asarray(ref[k]), equal_nan=True)]
    return c.check(not diff, f"{what}: results bitwise equal to the uninterrupted run" +
                   (f" (differ: {', '.join(diff)})" if diff else ""))


for aniso in ("iso", "aniso"):
    base = make(aniso)
    rc, out, err = go(base)
    REF = results(base)
    ok = c.check(rc == 0 and REF is not None and float(REF["tc"]) > 0,
                 f"{aniso}: uninterrupted run: exit {rc}, Tc = {float(REF['tc']) if REF else 0:.6f} K")
    c.check("agape: phase times (s): material" in out and "tc_search" in out, f"{aniso}: the phase-times line")
    c.check(not os.path.exists(os.path.join(base, "out", "results.checkpoint.h5")) and "removed its checkpoint" in out,
            f"{aniso}: a complete run removes its checkpoint (nothing is left to continue)")
    if not ok:
        print(out[-3000:], err[-3000:])
        continue
    # (fault, what, expected text in the restart's checkpoint line or output)
    # iso: the site 'eigen' is passed once per Tc-search evaluation; aniso: also at every
    # Arnoldi product (24 or more per evaluation), so 60 is inside a later evaluation
    moments = [("eigen:3", "Tc search, third evaluation", "from the checkpoint") if aniso == "iso" else
               ("eigen:60", "Arnoldi product inside a later Tc-search evaluation", "from the checkpoint"),
               ("iteration:14", "fixed-point iteration of the second temperature", "in progress at iteration"),
               ("iteration:5:1:USR1", "fixed-point iteration, SIGUSR1 on rank 1", "in progress at iteration"),
               ("temperature:1", "between the first and the second temperature", "1 of 3 temperatures done")]
    for fault, what, expect in moments:
        d = make(aniso)
        rc, out, err = go(d, fault=fault)
        sig = "SIGUSR1" if "USR1" in fault else "SIGTERM"
        c.check(rc == 3 and f"{sig} received: stopped at a safe point and wrote checkpoint" in out
                and "continue with: agape run deck.in --restart" in out,
                f"{aniso}, {what}: exit {rc} (3) with the checkpoint message")
        c.check(results(d) is None, f"{aniso}, {what}: no results.h5 yet")
        rc2, out2, err2 = go(d, restart=True)
        line = [l for l in out2.splitlines() if l.startswith("agape: checkpoint:")]
        print("   ", line[0] if line else "(no checkpoint line)")
        c.check(rc2 == 0 and expect in out2, f"{aniso}, {what}: --restart exit {rc2}, '{expect}'")
        same(d, REF, f"{aniso}, {what}")
        shutil.rmtree(d)

    # a checkpoint at every safe point, then SIGKILL inside an iteration
    d = make(aniso, every="1e-9")
    rc, out, err = go(d, fault="iteration:20:0:KILL")
    ck = os.path.join(d, "out", "results.checkpoint.h5")
    reason = ""
    if os.path.exists(ck):
        with h5py.File(ck, "r") as f:
            reason = f.attrs["reason"]
            reason = reason.decode() if isinstance(reason, bytes) else reason
    c.check(rc != 0 and reason in ("timer", "temperature"),
            f"{aniso}, SIGKILL with timer checkpoints: exit {rc}, newest checkpoint by '{reason}'")
    rc2, out2, err2 = go(d, restart=True)
    c.check(rc2 == 0 and "in progress at iteration" in out2, f"{aniso}, SIGKILL: --restart exit {rc2}")
    same(d, REF, f"{aniso}, SIGKILL, continued from a timer checkpoint")  # [output] keys do not change the numbers
    shutil.rmtree(d)

    # SIGTERM during the output: completed, exit 0
    d = make(aniso)
    rc, out, err = go(d, fault="output:1:0")
    c.check(rc == 0 and "received while the results were written" in out, f"{aniso}, SIGTERM in the output: exit {rc} (0)")
    same(d, REF, f"{aniso}, SIGTERM in the output (no restart needed)")
    shutil.rmtree(d)

    # a checkpoint of another deck is refused
    d = make(aniso)
    go(d, fault="iteration:5")
    with open(os.path.join(d, "deck.in")) as f:
        txt = f.read()
    with open(os.path.join(d, "deck.in"), "w") as f:
        f.write(txt.replace("mustar = 0.1", "mustar = 0.12"))
    rc, out, err = go(d, restart=True)
    c.check(rc == 1 and "different deck" in err and "solver.mustar" in err,
            f"{aniso}: a checkpoint of another deck is refused: exit {rc}: "
            f"{err.strip().splitlines()[0] if err.strip() else ''}")
    shutil.rmtree(d)
    shutil.rmtree(base)
c.close()
