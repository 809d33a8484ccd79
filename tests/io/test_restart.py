"""Checkpoint and restart (docs/output.md, "Checkpoints"): a run stopped at any moment and
continued with `agape run DECK --restart` ends with the numbers of the uninterrupted run.

The stop is a real signal: AGAPE_FAULT raises SIGTERM/SIGUSR1/SIGKILL inside the process at
a chosen site (so that the moment is exact), and one case sends SIGTERM to mpirun from
outside when the first temperature is done. Each continued run is compared to
the uninterrupted one on the same 2 ranks x 1 thread, where AGAPE is deterministic, so the
gaps must agree to round-off: the bound 1e-12 relative (the restart replays the same
floating-point operations; any lost or re-done state shows at the 1e-3..1e-9 level of the
solver tolerances). Restarting on another rank count is compared within the rank-count
tolerance of tests/mpi/test_ranks.py (1e-10).

After every interrupted run, results.h5 is either absent or a complete file (never
truncated). Also: a checkpoint of another deck is refused with a message naming the key;
an incomplete newest checkpoint falls back to the one before it; --restart without a
checkpoint starts from the beginning; timer checkpoints survive SIGKILL."""
import os
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
from agapetest import args, Checks, ENV, sanitizer_report, workdir

a = args()
c = Checks()

DECK = """[material]
source = model
name = CsB12
[coulomb]
mode = mu
mu = 0.55
[solver]
functional = spg
tol = {tol}
[temperatures]
list = {temps}
tc_search = yes
[sampling]
npoints = 800
seed = 3
[output]
file = out/results.h5
plot = no
checkpoint_interval_s = {every}
"""


def make(tol="1e-8", every="600", temps="5 20 30"):
    d = workdir("restart")
    with open(os.path.join(d, "deck.in"), "w") as f:
        f.write(DECK.format(tol=tol, every=every, temps=temps))
    return d


def cmd(ranks, restart):
    return ([a.mpiexec, "--oversubscribe", "-np", str(ranks), a.agape, "run", "deck.in"]
            + (["--restart"] if restart else []))


def go(d, restart=False, fault=None, ranks=2):
    env = dict(ENV, OMP_NUM_THREADS="1")
    if fault:
        env["AGAPE_FAULT"] = fault
    p = subprocess.run(cmd(ranks, restart), cwd=d, env=env, capture_output=True, text=True, timeout=300)
    sanitizer_report(p.stderr, f"{' '.join(cmd(ranks, restart))} ({fault or 'no fault'})")
    return p.returncode, p.stdout, p.stderr


def results(d):
    """(delta, tc) of d/out/results.h5, or None if absent."""
    path = os.path.join(d, "out", "results.h5")
    if not os.path.exists(path):
        return None
    with h5py.File(path, "r") as f:
        return f["gap/delta"][()], float(f["tc"][()])


def intact(d, what):
    """results.h5 absent (with a complete checkpoint), or a complete file with every gap of the deck."""
    path = os.path.join(d, "out", "results.h5")
    if not os.path.exists(path):
        # absent is right only with a complete checkpoint to continue from
        ck = None
        for name in ("results.checkpoint.h5", "results.checkpoint.h5.prev"):
            try:
                with h5py.File(os.path.join(d, "out", name), "r") as f:
                    flag = f.attrs.get("complete")   # written last (src/output/checkpoint.c)
                    if (flag.decode() if isinstance(flag, bytes) else flag) == "yes":
                        ck = name
                        break
            except Exception:  # absent, or truncated: does not open
                pass
        return c.check(ck is not None, f"{what}: no results.h5 (absent, not truncated), a complete checkpoint {ck}")
    try:
        with h5py.File(path, "r") as f:
            ok = f["gap/delta"].shape[1] == REF[0].shape[1] and f["gap/delta"].shape[0] in (3, 6)
    except Exception as e:  # a truncated file does not open
        ok = False
        print(e)
    return c.check(ok, f"{what}: results.h5 is complete")


def same(d, what, tol=1e-12, ref=None):
    ref = ref or REF
    r = results(d)
    if r is None:
        return c.check(False, f"{what}: no results after the restart")
    dd = np.max(np.abs(r[0] - ref[0])) / np.max(np.abs(ref[0]))
    dt = abs(r[1] - ref[1]) / ref[1]
    return c.check(dd <= tol and dt <= tol, f"{what}: max |dDelta|/max|Delta| = {dd:.2e}, "
                                           f"|dTc|/Tc = {dt:.2e} (<= {tol:g})")


# ---- the uninterrupted run ----------------------------------------------------------------
base = make()
rc, out, err = go(base)
REF = results(base)
c.check(rc == 0 and REF is not None, f"uninterrupted run: exit {rc}, Tc = {REF[1] if REF else 0:.4f} K")
c.check(not os.path.exists(os.path.join(base, "out", "results.checkpoint.h5")) and
        "removed its checkpoint" in out, "a complete run removes its checkpoint (nothing is left to continue)")

# ---- SIGTERM / SIGUSR1 at chosen moments -------------------------------------------------
# (site:count[:rank[:signal]]): sampling, Coulomb, the Arnoldi of the Tc search, the kernel
# build (one rank only), the gap iteration inside an SPG kernel update, between two
# temperatures, and SIGUSR1 on one rank during an iteration
moments = [("sampling:1", "sampling"),
           ("coulomb:1", "Coulomb step"),
           ("eigen:30", "Tc search (Arnoldi)"),
           ("kernel_row:200:1", "kernel build, rank 1 only"),
           ("iteration:70", "gap iteration"),
           ("iteration:45:1:USR1", "gap iteration, SIGUSR1 on rank 1"),
           ("temperature:2", "between temperatures")]
mid = []
for fault, what in moments:
    d = make()
    rc, out, err = go(d, fault=fault)
    sig = "SIGUSR1" if "USR1" in fault else "SIGTERM"
    c.check(rc == 3 and f"{sig} received: stopped at a safe point and wrote checkpoint" in out,
            f"{what}: exit {rc} (3) with the checkpoint message")
    intact(d, what)
    rc2, out2, err2 = go(d, restart=True)
    line = [l for l in out2.splitlines() if l.startswith("agape: checkpoint:")]
    print("   ", line[0] if line else "(no checkpoint line)")
    if line and "in progress at kernel update" in line[0] and "update 1" not in line[0]:
        mid.append(what)
    c.check(rc2 == 0, f"{what}: --restart exit {rc2}")
    same(d, what)
    shutil.rmtree(d)
c.check(len(mid) > 0, f"a restart continued inside a temperature after SPG kernel updates ({mid})")

# SIGTERM while the results are written: the run completes them and exits 0
d = make()
rc, out, err = go(d, fault="output:1:0")
c.check(rc == 0 and "received while the results were written" in out, f"output, SIGTERM: exit {rc} (0)")
same(d, "output, SIGTERM (no restart needed)")
# SIGKILL while the results are written, over a complete older file: it stays intact
rc, out, err = go(d, fault="output:1:0:KILL")
c.check(rc != 0, f"output, SIGKILL over an older results.h5: exit {rc} (non-zero)")
same(d, "output, SIGKILL: the older results.h5 is untouched")
shutil.rmtree(d)
# SIGKILL during the first output: no results.h5; the restart writes it
d = make()
rc, out, err = go(d, fault="output:1:0:KILL")
c.check(rc != 0 and results(d) is None, f"output, SIGKILL: exit {rc}, no results.h5")
rc2, out2, err2 = go(d, restart=True)
c.check(rc2 == 0 and "left by a killed run" in out2, "the restart removes the killed writer's temporary file")
same(d, "output, SIGKILL then --restart")
shutil.rmtree(d)

# ---- SIGTERM from outside, through mpirun -------------------------------------------------
# six temperatures, so that the run is still going when mpirun has forwarded the signal
six = "5 10 15 20 25 30"
d6 = make(temps=six)
go(d6)
ref6 = results(d6)
shutil.rmtree(d6)
d = make(temps=six)
env = dict(ENV, OMP_NUM_THREADS="1")
p = subprocess.Popen(cmd(2, False), cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     text=True)
# the trigger is the checkpoint of the first temperature (a file appears at once; mpirun's
# forwarded stdout lags): the run still has five temperatures to go
first = os.path.join(d, "out", "results.checkpoint.h5")
t0 = time.time()
while not os.path.exists(first) and p.poll() is None and time.time() - t0 < 120:
    time.sleep(0.002)
p.send_signal(signal.SIGTERM)
rest = p.communicate(timeout=120)[0]
sanitizer_report(rest, "SIGTERM to mpirun")
c.check(p.returncode != 0 and "received: stopped at a safe point" in rest,
        f"SIGTERM to mpirun after the first temperature: exit {p.returncode}, checkpoint written")
intact(d, "SIGTERM to mpirun")
rc2, out2, err2 = go(d, restart=True)
c.check(rc2 == 0, f"SIGTERM to mpirun: --restart exit {rc2}")
same(d, "SIGTERM to mpirun", ref=ref6)
# continue the same checkpoint on 1 rank: equal within the rank-count tolerance
shutil.rmtree(os.path.join(d, "out"))
d1 = make()
rc, out, err = go(d1, fault="iteration:70")
rc2, out2, err2 = go(d1, restart=True, ranks=1)
c.check(rc == 3 and rc2 == 0, f"stopped on 2 ranks, continued on 1: exit {rc}, {rc2}")
same(d1, "stopped on 2 ranks, continued on 1", tol=1e-10)
shutil.rmtree(d); shutil.rmtree(d1)

# ---- timer checkpoints and SIGKILL --------------------------------------------------------
d = make(every="1e-9")        # a checkpoint at every safe point
rc, out, err = go(d, fault="iteration:90:0:KILL")
ck = os.path.join(d, "out", "results.checkpoint.h5")
reason = ""
if os.path.exists(ck):
    with h5py.File(ck, "r") as f:
        reason = f.attrs["reason"]
        reason = reason.decode() if isinstance(reason, bytes) else reason
c.check(rc != 0 and reason in ("timer", "temperature"), f"SIGKILL with timer checkpoints: exit {rc}, newest checkpoint by '{reason}'")
intact(d, "SIGKILL")
rc2, out2, err2 = go(d, restart=True)
c.check(rc2 == 0, f"SIGKILL: --restart exit {rc2}")
same(d, "SIGKILL, continued from a timer checkpoint")
shutil.rmtree(d)

# ---- refusals and fall-backs --------------------------------------------------------------
d = make()
go(d, fault="iteration:70")
with open(os.path.join(d, "deck.in")) as f:
    txt = f.read()
with open(os.path.join(d, "deck.in"), "w") as f:
    f.write(txt.replace("tol = 1e-8", "tol = 1e-9"))
rc, out, err = go(d, restart=True)
c.check(rc == 1 and "different deck" in err and "solver.tol" in err and "results.checkpoint.h5" in err,
        f"a checkpoint of another deck is refused: exit {rc}: {err.strip().splitlines()[0] if err.strip() else ''}")
c.check(results(d) is None, "... and nothing is written")
# an [output] change is not a different deck
with open(os.path.join(d, "deck.in"), "w") as f:
    f.write(txt.replace("plot = no", "plot = no\nhistogram_bins = 30"))
rc, out, err = go(d, restart=True)
c.check(rc == 0, f"an [output] key may change between stop and restart: exit {rc}")
same(d, "restart with another [output] histogram_bins")
shutil.rmtree(d)

d = make()
go(d, fault="iteration:50")
ck = os.path.join(d, "out", "results.checkpoint.h5")
with open(ck, "r+b") as f:        # the newest checkpoint is damaged
    f.truncate(os.path.getsize(ck) // 2)
rc, out, err = go(d, restart=True)
c.check(rc == 0 and "not a complete checkpoint" in err and "results.checkpoint.h5.prev" in out,
        f"a damaged newest checkpoint: warning, the one before it is used (exit {rc})")
same(d, "restart from .prev")
shutil.rmtree(d)

d = make()
rc, out, err = go(d, restart=True)
c.check(rc == 0 and "no checkpoint" in out, f"--restart without a checkpoint starts from the beginning (exit {rc})")
same(d, "--restart without a checkpoint")
shutil.rmtree(d)
shutil.rmtree(base)
c.close()
