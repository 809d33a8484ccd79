"""scripts/agape-plot-a2f on real runs: the isotropic Eliashberg deck of the Pb fixture
(tests/data/pb-epw/eliashberg-iso.in, the alpha^2F curve with lambda(omega) and the phonon DOS)
and an alpha^2F-file run made from that curve (mode lines only, no curve).

Checked: the PNG is written and is a real picture; the lambda the script prints is
/coupling/lambda; the lambda it recomputes from the curve (2 int alpha^2F/omega) or the lines
(2 sum a2f_weight/omega) agrees with it within 1 %; /coupling/lambda of the Pb run is the
lambda EPW printed (tests/data/pb-epw/reference.txt); a file whose curve disagrees with its
lambda, or that lacks a dataset, is refused with a message naming the file and the dataset,
and no PNG is written."""
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
from agapetest import args, Checks, ENV, run, read, rel, test_data, workdir

a = args()
c = Checks()
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.normpath(os.path.join(HERE, "..", "..", "scripts", "agape-plot-a2f"))
DECK = test_data("pb-epw", "eliashberg-iso.in")


def reference(key):
    """A number of tests/data/pb-epw/reference.txt (what EPW printed)."""
    with open(test_data("pb-epw", "reference.txt")) as f:
        for line in f:
            m = re.match(r"\s*([A-Za-z0-9_]+)\s*=\s*([^#\s]+)", line)
            if m and m.group(1) == key:
                return float(m.group(2))
    raise KeyError(key)


def plot(results, png, *extra):
    """Run the script with this interpreter (/usr/bin/python3); returns (rc, stdout, stderr)."""
    p = subprocess.run([sys.executable, SCRIPT, results, "-o", png, *extra], capture_output=True,
                       text=True, timeout=120)
    print("  $ agape-plot-a2f %s -o %s %s -> %d" % (results, png, " ".join(extra), p.returncode))
    for line in (p.stdout + p.stderr).strip().splitlines():
        print("    " + line)
    return p.returncode, p.stdout, p.stderr


def printed(stdout, label):
    m = re.search(r"^%s = ([-+0-9.eE]+)" % re.escape(label), stdout, re.MULTILINE)
    return float(m.group(1)) if m else None


def picture_ok(png, what):
    """The PNG exists, has the PNG signature, a real size, and is not blank."""
    if not c.check(os.path.isfile(png), f"{what}: {os.path.basename(png)} written"):
        return
    with open(png, "rb") as f:
        sig = f.read(8)
    size = os.path.getsize(png)
    import matplotlib.image as mpimg
    img = mpimg.imread(png)
    rgb = img[..., :3]
    inked = float(np.mean(np.any(rgb < 0.9, axis=-1)))
    colours = len(np.unique((rgb.reshape(-1, 3) * 255).astype(np.uint8), axis=0))
    c.check(sig == b"\x89PNG\r\n\x1a\n" and size > 20000 and img.shape[0] >= 500 and img.shape[1] >= 800
            and inked > 0.03 and colours > 50,
            f"{what}: a real picture ({size} bytes, {img.shape[1]} x {img.shape[0]} px, "
            f"{100 * inked:.1f} % of the pixels drawn, {colours} colours)")


def lambda_checks(stdout, stored, what):
    lam = printed(stdout, "lambda")
    lam_re = printed(stdout, "lambda recomputed")
    c.check(lam is not None and abs(lam - stored) <= 5e-8 * max(1.0, abs(stored)),
            f"{what}: printed lambda {lam} = /coupling/lambda {stored:.10f} (7 decimals)")
    c.check(lam_re is not None and rel(lam_re, stored) < 1e-2,
            f"{what}: recomputed lambda {lam_re} within 1 % of /coupling/lambda "
            f"(relative {rel(lam_re, stored) if lam_re is not None else float('nan'):.1e})")


# ---- 0. --help -----------------------------------------------------------------------------
p = subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True, text=True, timeout=60)
c.check(p.returncode == 0 and "usage: agape-plot-a2f" in p.stdout and "--output" in p.stdout,
        "--help prints the usage and exits 0")
p = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, timeout=60)
c.check(p.returncode == 2, f"no arguments: usage error, exit 2 ({p.returncode})")

# ---- 1. Pb fixture, isotropic Eliashberg: the curve ---------------------------------------
wd = workdir("a2f")
cmd = [a.mpiexec, "--oversubscribe", "-np", "1", a.agape, "run", DECK]
p = subprocess.run(cmd, cwd=wd, env=dict(ENV, OMP_NUM_THREADS="1"), capture_output=True, text=True,
                   timeout=300)
res = os.path.join(wd, "pb-iso", "results.h5")
if not c.check(p.returncode == 0 and os.path.isfile(res), f"agape run {DECK}: exits 0, writes pb-iso/results.h5"):
    print(p.stdout[-3000:], p.stderr[-3000:])
    c.close()
r = read(res)
lam_pb = float(r["coupling/lambda"])
c.check(abs(lam_pb - reference("lambda")) < 5e-8,
        f"Pb: /coupling/lambda {lam_pb:.7f} = EPW's {reference('lambda'):.7f} (reference.txt)")
png = os.path.join(wd, "a2f.png")
rc, out, err = plot(res, png)
c.check(rc == 0, f"Pb: the script exits 0 ({rc})")
picture_ok(png, "Pb")
lambda_checks(out, lam_pb, "Pb")
c.check("alpha^2F curve, 500 points" in out and "no phonon DOS" not in out,
        "Pb: the curve of 500 points is used, with the phonon DOS panel")
for key, label in (("coupling/omega_log", "omega_log"), ("coupling/omega_2", "omega_2"),
                   ("coupling/tc_allen_dynes", "Tc Allen-Dynes"), ("tc", "Tc")):
    v = printed(out, label)
    c.check(v is not None and rel(v, float(r[key])) < 1e-5, f"Pb: printed {label} {v} = /{key} {float(r[key]):.6g}")

# ---- 2. a curve that disagrees with its lambda, and missing datasets: refused -----------------
for what, edit, needles in (
        ("alpha^2F scaled by 1.03", lambda f: f["coupling/a2f"].write_direct(f["coupling/a2f"][()] * 1.03),
         ["/coupling/lambda", "/coupling/a2f", "differs"]),
        ("no /coupling/a2f", lambda f: f.__delitem__("coupling/a2f"), ["/coupling/a2f", "missing"]),
        ("no /coupling/lambda", lambda f: f.__delitem__("coupling/lambda"), ["/coupling/lambda", "missing"]),
        ("no /coupling at all", lambda f: f.__delitem__("coupling"), ["/coupling", "missing"])):
    bad = os.path.join(wd, "bad.h5")
    shutil.copy(res, bad)
    with h5py.File(bad, "r+") as f:
        edit(f)
    bpng = os.path.join(wd, "bad.png")
    rc, out, err = plot(bad, bpng)
    c.check(rc == 1 and "bad.h5" in err and all(n in err for n in needles) and not os.path.exists(bpng),
            f"{what}: refused (exit {rc}), the message names the file and {needles}, no PNG")

# ---- 3. alpha^2F-file run: mode lines, no curve ------------------------------------------------
np.savetxt(os.path.join(wd, "pb.a2f"), np.c_[np.r_[0.0, r["coupling/a2f_omega"]], np.r_[0.0, r["coupling/a2f"]]],
           header="omega (meV)  alpha^2F, the Pb fixture's curve")
deck = """[material]
source = a2f
a2f_file = pb.a2f
a2f_bins = 200
[solver]
method = eliashberg
anisotropy = iso
mustar = 0.1
wscut_meV = 100
[temperatures]
tc_search = no
list = 2
[output]
file = lines/results.h5
plot = no
"""
rc, out, err = run(a, deck, workdir=wd, name="lines.in")
lres = os.path.join(wd, "lines", "results.h5")
if c.check(rc == 0 and os.path.isfile(lres), "alpha^2F-file run: exits 0"):
    lam_l = float(read(lres)["coupling/lambda"])
    c.check(rel(lam_l, lam_pb) < 1e-3, f"alpha^2F-file run: lambda {lam_l:.7f} = the curve's {lam_pb:.7f} (0.1 %)")
    lpng = os.path.join(wd, "lines.png")
    rc, out, err = plot(lres, lpng)
    c.check(rc == 0 and "no alpha^2F curve" in out and "mode lines" in out,
            f"alpha^2F-file run: the script draws the mode lines (exit {rc})")
    picture_ok(lpng, "alpha^2F-file run")
    lambda_checks(out, lam_l, "alpha^2F-file run")
    with h5py.File(lres, "r+") as f:              # lines that disagree with lambda are refused too
        f["coupling/a2f_weight"].write_direct(f["coupling/a2f_weight"][()] * 0.95)
    rc, out, err = plot(lres, os.path.join(wd, "lines-bad.png"))
    c.check(rc == 1 and "/coupling/lambda" in err and "a2f_weight" in err,
            f"alpha^2F-file run, weights scaled by 0.95: refused (exit {rc})")
shutil.rmtree(wd, ignore_errors=True)
c.close()
