"""SLURM: bring up a private cluster (tests/slurm/cluster.sh: munge + slurmctld + slurmd, as
root), submit the generic jobscript jobscripts/agape.sbatch with a small deck (2 ranks x 1
thread, srun --mpi=pmix), wait, and check: the job COMPLETED, its agape-<jobid>/results.h5
exists and holds the same gaps as the same deck run directly with mpirun (<= 1e-10), and the
strong-scaling chain job writes one table row per layout. Then a job that is cut before its
time limit: agape.sbatch with --time=1 and --signal=USR1@50 on a deck that needs longer;
AGAPE checkpoints and exits 3, the job requeues itself and continues with --restart (once
or more), and its gaps and Tc equal the same deck run uninterrupted with mpirun on the same
2 ranks (<= 1e-12: the restart replays the same operations). The cluster is taken down by PID.
Skipped (exit 77) when not root or when slurm-wlm / munge are not installed."""
import os, re, shutil, subprocess, sys, time
import numpy as np
from agapetest import args, Checks, run, read, workdir, TMP

a = args()
here = os.path.dirname(os.path.abspath(__file__))
src = os.path.dirname(os.path.dirname(here))
need = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "srun"]
missing = [p for p in need if shutil.which(p) is None and not os.path.exists("/usr/sbin/" + p)]
if os.geteuid() != 0 or missing:
    why = "not root" if os.geteuid() != 0 else "missing " + " ".join(missing) + " (Debian: slurm-wlm munge)"
    print(f"SKIP: cannot run a private Slurm cluster here: {why}")
    sys.exit(77)

c = Checks()
deck = """[material]
source = model
name = CsB12
[coulomb]
mode = mu
mu = 0.55
[solver]
functional = lmg
[temperatures]
list = 5
tc_search = yes
[sampling]
npoints = 600
seed = 11
[output]
file = direct/results.h5
plot = no
"""
work = workdir("slurm")
for f in (TMP, work):          # munged wants every folder above its socket world-executable
    os.chmod(f, 0o755)
sdir = os.path.join(work, "cluster")
env = dict(os.environ, SLURM_CONF=os.path.join(sdir, "slurm.conf"), AGAPE=a.agape, AGAPE_HOME=src,
           PATH=os.environ.get("PATH", "") + ":/usr/sbin")
for k in list(env):
    if k.startswith("SLURM_") and k != "SLURM_CONF":
        del env[k]
up = subprocess.run([os.path.join(here, "cluster.sh"), "up", sdir], env=env, capture_output=True, text=True)
try:
    if not c.check(up.returncode == 0, "private cluster up (munged, slurmctld, slurmd; node idle)"):
        print(up.stdout, up.stderr)
    else:
        with open(os.path.join(work, "deck.in"), "w") as f:
            f.write(deck)
        t0 = time.time()
        sb = subprocess.run(["sbatch", "--wait", "--parsable", "--ntasks-per-node=2", "--cpus-per-task=1",
                             "--time=00:10:00", os.path.join(src, "jobscripts", "agape.sbatch"), "deck.in"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=900)
        jid = sb.stdout.strip().split(";")[0]
        c.check(sb.returncode == 0 and jid.isdigit(), f"sbatch --wait jobscripts/agape.sbatch: job {jid}, exit {sb.returncode} ({time.time() - t0:.0f} s)")
        info = subprocess.run(["scontrol", "show", "job", jid], env=env, capture_output=True, text=True).stdout
        st = re.search(r"JobState=(\S+)", info)
        c.check(st is not None and st.group(1) == "COMPLETED", f"job state {st.group(1) if st else '?'} (COMPLETED expected)")
        res = os.path.join(work, f"agape-{jid}", "results.h5")
        log = os.path.join(work, f"agape-{jid}.log")
        if not c.check(os.path.exists(res), f"results in the job's folder agape-{jid}/"):
            print(open(log).read()[-3000:] if os.path.exists(log) else "(no log)")
        else:
            r = read(res)
            c.check(int(r.get("run/ranks", -1)) == 2, "the job ran on 2 ranks (/run/ranks)")
            rc, out, err = run(a, deck, ranks=2, workdir=work)
            if c.check(rc == 0, "the same deck with mpirun outside Slurm: exits 0"):
                d0 = read(os.path.join(work, "direct", "results.h5"))["gap/delta"]
                e = np.max(np.abs(r["gap/delta"] - d0)) / np.max(np.abs(d0))
                c.check(e <= 1e-10 and np.max(np.abs(d0)) > 0, f"gaps equal to the direct run: {e:.1e} <= 1e-10")
        # strong-scaling chain job, two layouts
        sb = subprocess.run(["sbatch", "--wait", "--parsable", "--time=00:10:00",
                             os.path.join(src, "jobscripts", "strong-scaling.sbatch"), "deck.in"],
                            cwd=work, env=dict(env, LAYOUTS="1x1 2x1"), capture_output=True, text=True, timeout=900)
        jid2 = sb.stdout.strip().split(";")[0]
        tab = os.path.join(work, f"agape-{jid2}-scaling.txt")
        rows = [l.split() for l in open(tab) if not l.startswith("#")] if os.path.exists(tab) else []
        c.check(sb.returncode == 0 and len(rows) == 2 and all(len(r) == 4 and float(r[3]) > 0 for r in rows),
                f"strong-scaling chain job {jid2}: {len(rows)} layouts timed ({', '.join(r[0] + ' ' + r[3] + ' s' for r in rows if len(r) == 4)})")
        # a job cut by its time limit after a checkpoint, then resumed (requeued)
        # (the stored-kernel path, kernel_eval = interpolate: the separable operator would
        # finish this deck in seconds, before the time limit could cut it)
        long_deck = deck.replace("functional = lmg", "functional = spg\nkernel_eval = interpolate").replace(
            "list = 5", "list = 5 10 15 20 25 30 35 38").replace("npoints = 600", "npoints = 7000").replace(
            "file = direct/results.h5", "file = long/results.h5")
        ldir = os.path.join(work, "cut")
        os.makedirs(ldir)
        os.chmod(ldir, 0o755)
        with open(os.path.join(ldir, "long.in"), "w") as f:
            f.write(long_deck)
        t0 = time.time()
        sb = subprocess.run(["sbatch", "--parsable", "--ntasks-per-node=2", "--cpus-per-task=1", "--time=1",
                             "--signal=USR1@50", os.path.join(src, "jobscripts", "agape.sbatch"), "long.in"],
                            cwd=ldir, env=env, capture_output=True, text=True)
        jid3 = sb.stdout.strip().split(";")[0]
        state, restarts, held = "?", 0, None
        while time.time() - t0 < 900:
            info = subprocess.run(["scontrol", "show", "job", jid3], env=env, capture_output=True, text=True).stdout
            m1, m2 = re.search(r"JobState=(\S+)", info), re.search(r"Restarts=(\d+)", info)
            state, restarts = (m1.group(1) if m1 else "?"), (int(m2.group(1)) if m2 else 0)
            if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
                break
            if state == "PENDING" and "Reason=BeginTime" in info:
                # a requeued job waits ~2 min before it may start again; no need here, but a
                # credential created in the second of the requeue counts as revoked: wait 3 s
                held = held or time.time()
                if time.time() - held > 3:
                    subprocess.run(["scontrol", "update", f"jobid={jid3}", "StartTime=now"], env=env,
                                   capture_output=True)
                    held = None
            time.sleep(1)
        log3 = open(os.path.join(ldir, f"agape-{jid3}.log")).read() if os.path.exists(os.path.join(ldir, f"agape-{jid3}.log")) else ""
        c.check(state == "COMPLETED" and restarts >= 1 and "checkpoint written, job requeued" in log3
                and "agape: restart from" in log3,
                f"job {jid3} (--time=1, --signal=USR1@50): stopped with a checkpoint, requeued {restarts} time(s), "
                f"{state} ({time.time() - t0:.0f} s)")
        if not os.path.exists(os.path.join(ldir, f"agape-{jid3}", "results.h5")):
            print(log3[-3000:])
        rc, out, err = run(a, long_deck, ranks=2, workdir=ldir, name="long.in")
        res3 = os.path.join(ldir, f"agape-{jid3}", "results.h5")
        if c.check(rc == 0 and os.path.exists(res3), "the same deck uninterrupted with mpirun, and the job's results"):
            r3, d3 = read(res3), read(os.path.join(ldir, "long", "results.h5"))
            e = np.max(np.abs(r3["gap/delta"] - d3["gap/delta"])) / np.max(np.abs(d3["gap/delta"]))
            et = abs(r3["tc"] - d3["tc"]) / d3["tc"]
            c.check(e <= 1e-12 and et <= 1e-12 and r3["gap/delta"].shape == (8, d3["gap/delta"].shape[1]),
                    f"resumed job = uninterrupted run: max |dDelta|/max|Delta| = {e:.1e}, |dTc|/Tc = {et:.1e} (<= 1e-12)")
finally:
    down = subprocess.run([os.path.join(here, "cluster.sh"), "down", sdir], env=env, capture_output=True, text=True)
    c.check(down.returncode == 0 and not os.path.exists(os.path.join(sdir, "pids")), "cluster taken down by PID")
c.close()
