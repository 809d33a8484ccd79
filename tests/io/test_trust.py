"""Nothing AGAPE prints or writes is silently wrong, nothing it touches is destroyed, every failure
says what and where. One case per finding of the bad-input and fault campaign; each asserts the
behaviour that was wrong before (a crash, a hang, exit 0 with a wrong number, a file destroyed)
and runs on 1 and 2 ranks where the ranks could disagree."""
import os, shutil, signal, stat, subprocess, time
import numpy as np
import h5py
from agapetest import args, Checks, run, test_data, workdir, ENV, sanitizer_report, BCS_DECK

a = args()
c = Checks()

BCS = BCS_DECK
PB = test_data("pb-epw", "pb.ephmat")


def refused(what, text, needles, ranks=(1, 2), extra=None, rc_expected=None):
    """The deck is refused: non-zero exit on every rank count, a message with every needle, no
    results file, no hang."""
    for r in ranks:
        wd = workdir("trust")
        if extra:
            extra(wd)
        try:
            rc, out, err = run(a, text, ranks=r, workdir=wd, expect_ok=False, timeout=120)
        except subprocess.TimeoutExpired:
            c.check(False, f"{what} ({r} rank(s)): no hang")
            continue
        msg = out + err
        ok = rc != 0 and (rc_expected is None or rc == rc_expected) and all(n in msg for n in needles) \
            and not os.path.exists(os.path.join(wd, "results.h5"))
        c.check(ok, f"{what} ({r} rank(s)): exit {rc}, message names {needles}")
        if not ok:
            print(msg[-1500:])
        shutil.rmtree(wd, ignore_errors=True)


# ---- crashes and hangs ------------------------------------------------------------------
refused("npoints = 2^62", BCS.replace("name = bcs", "name = CsB12").replace("[sampling]",
        "[sampling]\nnpoints = 4611686018427387904"), ["npoints", "GB"])
refused("npoints = 1e12", BCS.replace("name = bcs", "name = CsB12").replace("[sampling]",
        "[sampling]\nnpoints = 1000000000000"), ["npoints", "GB"])
refused("a2f_bins = 2147483647", BCS.replace("name = bcs", "name = bcs\na2f_bins = 2147483647"), ["a2f_bins"])
refused("energy_window_eV = 1e300", BCS.replace("energy_window_eV = 0.1", "energy_window_eV = 1e300"),
        ["energy_window_eV"])
refused("histogram_bins = 2e9", BCS.replace("plot = no", "plot = no\nhistogram_bins = 2000000000"),
        ["histogram_bins"])

# a deck that is a FIFO with no writer: refused at once, not a hang
wd = workdir("fifo")
fifo = os.path.join(wd, "deck.in")
os.mkfifo(fifo)
t0 = time.time()
try:
    p = subprocess.run([a.agape, "run", fifo], cwd=wd, env=ENV, capture_output=True, text=True, timeout=30)
    sanitizer_report(p.stderr, "agape run FIFO")
    c.check(p.returncode != 0 and "not a regular file" in p.stderr and time.time() - t0 < 30,
            f"a FIFO deck: refused at once (exit {p.returncode}, {time.time() - t0:.1f} s)")
except subprocess.TimeoutExpired:
    c.check(False, "a FIFO deck: no hang")
shutil.rmtree(wd, ignore_errors=True)

# a full disk while results.h5 and the checkpoints are written: the reason in the message, exit
# 1 on every rank, no crash at MPI_Finalize, nothing half-written (needs a small tmpfs: as root)
full = workdir("full")
mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", full], capture_output=True).returncode == 0
if not mounted:
    print("SKIP a full disk: cannot mount a small tmpfs here (not root?)")
else:
    try:
        wd = workdir("fullrun")
        deck = BCS.replace("name = bcs", "name = CsB12").replace("energy_window_eV = 0.1", "npoints = 3000") \
                  .replace("file = results.h5", f"file = {full}/results.h5")
        rc, out, err = run(a, deck, ranks=2, workdir=wd, expect_ok=False, timeout=300)
        left = [f for f in os.listdir(full) if ".tmp." in f]
        c.check(rc == 1 and "No space left on device" in err and "Segmentation" not in out + err
                and "signal" not in (out + err).lower() and not left,
                f"a full disk: exit {rc}, 'No space left on device' named, no crash, no temporaries left ({left})")
    finally:
        subprocess.run(["umount", full])

# ---- silent wrong numbers ------------------------------------------------------------------
ELI = open(test_data("pb-epw", "eliashberg-iso.in")).read().replace("epw_dir = pb.ephmat", f"epw_dir = {PB}")
ELI = "\n".join(l.split(";")[0] if l.startswith("file") else l for l in ELI.splitlines()) + "\n"
refused("Eliashberg at T = 0", ELI.replace("list = 1 2 3 4 5 6 7 8 9", "list = 0"), ["Matsubara", "no T = 0"])
refused("Eliashberg at T = 1e-9 K", ELI.replace("list = 1 2 3 4 5 6 7 8 9", "list = 1e-9 2"),
        ["Matsubara", "1e-09"])
refused("wscut_meV = 1e300", ELI.replace("wscut_meV = 100", "wscut_meV = 1e300"), ["wscut_meV"])

# alpha^2F files: the formats people have, and what is refused
A2F = BCS.replace("source = model\nname = bcs", "source = a2f\na2f_file = a2f.dat\ndos_per_eV_spin = 1")
omega = np.linspace(1, 40, 80)
shape = 0.5 * np.exp(-((omega - 20) / 6) ** 2)
lam_ref = 2 * np.trapz(shape / omega, omega)


def a2f_run(body, name="a2f.dat"):
    wd = workdir("a2f")
    with open(os.path.join(wd, name), "w") as f:
        f.write(body)
    rc, out, err = run(a, A2F.replace("a2f.dat", name), workdir=wd, expect_ok=False, timeout=120)
    lam = None
    if rc == 0:
        with h5py.File(os.path.join(wd, "results.h5"), "r") as f:
            lam = float(f["coupling/lambda"][()])
    shutil.rmtree(wd, ignore_errors=True)
    return rc, out + err, lam


plain = "".join(f"{w:.6f} {s:.8f}\n" for w, s in zip(omega, shape))
rc, msg, lam = a2f_run(plain)
c.check(rc == 0 and lam is not None and abs(lam - lam_ref) < 1e-6 * lam_ref,
        f"two-column alpha^2F (meV): lambda {lam} = trapezoid {lam_ref:.6f}")
RY_MEV = 13.605693122994e3
qe = ("# Eliashberg function a2F (per both spin)\n#  frequencies in Rydberg  \n"
      "# DOS normalized to E in Rydberg: a2F_total, a2F(mode) \n" +
      "".join(f"{w / RY_MEV:.12e} {s:.8e} {0.5 * s:.8e} {0.5 * s:.8e}\n" for w, s in zip(omega, shape)))
rc, msg, lam = a2f_run(qe, "a2F.dos1")
c.check(rc == 0 and "Quantum ESPRESSO" in msg and abs(lam - lam_ref) < 1e-6 * lam_ref,
        f"QE a2F.dos (Ry): recognised, lambda {lam} = {lam_ref:.6f} (not 1/{RY_MEV:.0f} of it)")
epw = (" w[meV] a2f and integrated 2*a2f/w for   2 smearing values\n" +
       "".join(f"{w:12.7f} {s:11.7f} {0.9 * s:11.7f} {0:11.7f} {0:11.7f}\n" for w, s in zip(omega, shape)) +
       " Integrated el-ph coupling\n  #  0.1 0.1\n")
rc, msg, lam = a2f_run(epw, "x.a2f")
c.check(rc == 0 and "EPW .a2f" in msg and abs(lam - lam_ref) < 1e-5 * lam_ref,
        f"EPW .a2f (several smearings): column 2 read, lambda {lam}")
for what, body, needle in [
        ("a THz header", "# omega [THz] a2F\n" + plain, "frequency unit"),
        ("trailing text on a line", plain.replace("\n", " junk\n", 1), "unexpected text"),
        ("three columns without a header", "".join(f"{w} {s} 1\n" for w, s in zip(omega, shape)), "3 columns"),
        ("alpha^2F at omega = 1e-300 meV", "1e-300 0.1\n" + plain, "1e-300")]:
    rc, msg, lam = a2f_run(body)
    c.check(rc != 0 and needle in msg, f"alpha^2F file with {what}: refused ({needle})")

# an absurd W file
wd = workdir("w")
with h5py.File(os.path.join(wd, "w.h5"), "w") as f:
    f["xi"] = np.linspace(-1, 1, 5)
    f["w"] = np.full((5, 5), 1e300)
rc, out, err = run(a, BCS.replace("name = bcs", "name = CsB12").replace("[temperatures]",
                   "[coulomb]\nmode = file\nw_file = w.h5\n[temperatures]").replace("[sampling]",
                   "[sampling]\nnpoints = 200"), workdir=wd, expect_ok=False, timeout=120)
c.check(rc != 0 and "/w(" in err and "eV" in err, f"W = 1e300 eV refused: exit {rc}")
shutil.rmtree(wd, ignore_errors=True)

# max_iter exhausted: every result written, exit 4, the temperature marked
wd = workdir("iter")
rc, out, err = run(a, BCS.replace("[temperatures]", "[solver]\nmax_iter = 1\n[temperatures]"), ranks=2, workdir=wd,
                   expect_ok=False, timeout=120)
conv = None
if os.path.exists(os.path.join(wd, "results.h5")):
    with h5py.File(os.path.join(wd, "results.h5"), "r") as f:
        conv = np.asarray(f["gap/converged"][()])
c.check(rc == 4 and conv is not None and not conv.all() and "NOT converged" in out,
        f"max_iter exhausted: exit {rc} (4), results written with /gap/converged = {conv}")
shutil.rmtree(wd, ignore_errors=True)

# a tolerance at the bottom of its range (SPG kernel updates on the float-stored kernel, LaB12,
# 600 states): the run converges, or its updates stall at the kernel's round-off and it says
# so and accepts the gap there, instead of running out of updates (exit 4); either way the gap
# equals the default-tol gap to 1e-5. A tolerance below double round-off is refused.
SPG = """[material]
source = model
name = LaB12
[coulomb]
mode = mu
mu = 0.1
[solver]
functional = spg
kernel_eval = exact
tol = TOL
[sampling]
npoints = 600
[temperatures]
list = 3
tc_search = no
[output]
file = results.h5
plot = no
"""
gaps = {}
for tol in ("1e-8", "1e-14"):
    wd = workdir("floor" + tol)
    rc, out, err = run(a, SPG.replace("TOL", tol), ranks=2, workdir=wd, expect_ok=False, timeout=300)
    if os.path.exists(os.path.join(wd, "results.h5")):
        with h5py.File(os.path.join(wd, "results.h5"), "r") as f:
            gaps[tol] = (rc, np.asarray(f["gap/delta"][0]), int(f["gap/converged"][0]), "stalled at" in out)
    shutil.rmtree(wd, ignore_errors=True)
if c.check(len(gaps) == 2, "LaB12 SPG, stored kernel, tol 1e-8 and 1e-14: both runs wrote results"):
    (r8, g8, c8, s8), (r14, g14, c14, s14) = gaps["1e-8"], gaps["1e-14"]
    dg = np.max(np.abs(g14 - g8)) / np.max(np.abs(g8))
    c.check(r8 == 0 and c8 == 1 and not s8, f"tol 1e-8: converged without a stall (exit {r8})")
    c.check(r14 == 0 and c14 == 1 and dg < 1e-5,
            f"tol 1e-14: converged{' at the stall, which is said' if s14 else ''} (exit {r14}), gap within "
            f"{dg:.1e} of the tol 1e-8 gap")
refused("tol = 1e-17", SPG.replace("TOL", "1e-17"), ["[solver] tol", "1e-14"])

# keys that do not apply, a key on the section line, an empty deck
wd = workdir("keys")
rc, out, err = run(a, BCS.replace("[temperatures]", "[coulomb]\nmode = none\nmu = 0.3\n[solver]\nmustar = 0.1\n"
                                  "[temperatures]"), workdir=wd, timeout=120)
c.check(rc == 0 and "[coulomb] mu does not apply" in err and "[solver] mustar does not apply" in err
        and "coulomb.mu " not in out, "keys that do not apply: warned, and not echoed")
shutil.rmtree(wd, ignore_errors=True)
refused("a key on the section line", BCS.replace("[material]\n", "[material] name = LaB12\n"),
        ["text after the section header", ":1:"])
refused("an empty deck", "", ["no 'key = value' line"])
refused("a deck of carriage returns", "\r\r\r\n", ["no 'key = value' line"])

# the sign convention: the Fermi-surface average of the reported gap is positive
wd = workdir("sign")
rc, out, err = run(a, BCS, ranks=2, workdir=wd, timeout=120)
with h5py.File(os.path.join(wd, "results.h5"), "r") as f:
    dfs = np.asarray(f["gap/delta_fs_avg"][()])
c.check(rc == 0 and np.all(dfs > 0), f"the reported gaps have a positive Fermi-surface average: {dfs}")
shutil.rmtree(wd, ignore_errors=True)

# ---- things destroyed ----------------------------------------------------------------------
refused("[output] file = the deck", BCS.replace("file = results.h5", "file = deck.in"), ["input deck"])


def a2f_here(wd):
    with open(os.path.join(wd, "a2f.dat"), "w") as f:
        f.write(plain)


refused("[output] file = the a2f input", A2F.replace("file = results.h5", "file = a2f.dat"), ["a2f_file"],
        extra=a2f_here)
# a character device of the test's own (a copy of /dev/null, never the system's: a broken
# build must not be able to replace it), or a FIFO where mknod is not allowed


def device_here(wd):
    dev = os.path.join(wd, "null")
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        os.mkfifo(dev)


for r in (1, 2):
    wd = workdir("dev")
    device_here(wd)
    rc, out, err = run(a, BCS.replace("file = results.h5", "file = null"), ranks=r, workdir=wd, expect_ok=False,
                       timeout=120)
    mode = os.lstat(os.path.join(wd, "null")).st_mode
    c.check(rc != 0 and "not a regular file" in err and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)),
            f"[output] file = a device ({r} rank(s)): refused (exit {rc}), the device is still one")
    shutil.rmtree(wd, ignore_errors=True)

# start-up clean-up: another run's temporaries stay, this run's own (dead, this host) go
wd = workdir("stale")
host = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in os.uname().nodename)
dead = 4194303  # above the default pid_max: no such process
other = os.path.join(wd, f"results_sweep2.h5.tmp.{dead}")
other_host = os.path.join(wd, f"results.h5.tmp.elsewhere.{dead}")
own = os.path.join(wd, f"results.h5.tmp.{host}.{dead}")
for pth in (other, other_host, own):
    open(pth, "w").close()
rc, out, err = run(a, BCS, workdir=wd, timeout=120)
c.check(rc == 0 and os.path.exists(other) and os.path.exists(other_host) and not os.path.exists(own),
        "start-up clean-up removes only this deck's own temporaries of this host")
c.check(not os.path.exists(os.path.join(wd, "results.checkpoint.h5")),
        "a complete run removes its checkpoint")
shutil.rmtree(wd, ignore_errors=True)

# ---- messages and files ----------------------------------------------------------------------
wd = workdir("name")
rc, out, err = run(a, ELI.replace("[output]", "[output]\nplot = no"), workdir=wd, timeout=300)
hist = os.path.join(wd, "pb-iso", "gap_histogram.dat")
head = open(hist).read(400) if os.path.exists(hist) else ""
res = os.path.join(wd, "pb-iso", "results.h5")
has_coul = True
if os.path.exists(res):
    with h5py.File(res, "r") as f:
        has_coul = "coulomb" in f
c.check(rc == 0 and "# material: pb" in head and not has_coul,
        "Eliashberg on EPW data: histogram file names the EPW prefix; no /coulomb group")
shutil.rmtree(wd, ignore_errors=True)

c.close()
