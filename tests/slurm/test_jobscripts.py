"""Static checks of jobscripts/ (no Slurm needed): every script passes `bash -n`, sources
agape-launch.sh, and each site script fills whole nodes: ntasks-per-node x cpus-per-task equals
the cores per node stated in its header, and it names an account and a partition. The
generic and site scripts ask for the checkpoint warning (--signal=USR1@SECONDS, with enough
lead for a kernel build) and --requeue, and the launcher continues with --restart and
requeues on exit 3 (tested under Slurm in test_slurm.py)."""
import glob, os, re, subprocess
from agapetest import Checks

c = Checks()
src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
js = os.path.join(src, "jobscripts")
scripts = sorted(glob.glob(os.path.join(js, "*.sbatch")) + glob.glob(os.path.join(js, "sites", "*.sbatch")))
c.check(len(glob.glob(os.path.join(js, "sites", "*.sbatch"))) >= 8, "at least 8 site scripts")
for s in scripts + [os.path.join(js, "agape-launch.sh")]:
    r = subprocess.run(["bash", "-n", s], capture_output=True, text=True)
    c.check(r.returncode == 0, f"bash -n {os.path.relpath(s, src)}")
for s in glob.glob(os.path.join(js, "sites", "*.sbatch")):
    t = open(s).read()
    name = os.path.basename(s)
    cores = re.search(r"(\d+) cores per node", t)
    tpn = re.search(r"^#SBATCH --ntasks-per-node=(\d+)", t, re.M)
    cpt = re.search(r"^#SBATCH --cpus-per-task=(\d+)", t, re.M)
    ok = cores and tpn and cpt and int(tpn.group(1)) * int(cpt.group(1)) == int(cores.group(1))
    c.check(bool(ok), f"{name}: ranks x threads = {tpn.group(1) if tpn else '?'} x {cpt.group(1) if cpt else '?'} fills the "
            f"{cores.group(1) if cores else '?'} cores per node")
    c.check(re.search(r"^#SBATCH --account=\S+", t, re.M) is not None and re.search(r"^#SBATCH --partition=\S+", t, re.M) is not None
            and "agape-launch.sh" in t, f"{name}: account and partition lines, sources agape-launch.sh")
for s in [os.path.join(js, "agape.sbatch")] + glob.glob(os.path.join(js, "sites", "*.sbatch")):
    t = open(s).read()
    sig = re.search(r"^#SBATCH --signal=USR1@(\d+)", t, re.M)
    c.check(sig is not None and int(sig.group(1)) >= 120 and re.search(r"^#SBATCH --requeue", t, re.M) is not None,
            f"{os.path.basename(s)}: --signal=USR1@{sig.group(1) if sig else '?'} (>= 120 s) and --requeue")
lt = open(os.path.join(js, "agape-launch.sh")).read()
c.check("--restart" in lt and "scontrol requeue" in lt and "-eq 3" in lt,
        "agape-launch.sh: runs with --restart, requeues on exit status 3")
c.close()
