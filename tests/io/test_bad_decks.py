"""Bad input decks: a clear message naming file, line and key, a non-zero exit on every
rank (run on 2 ranks; the subprocess timeout catches a hang), and no results file."""
import os, tempfile
from agapetest import args, Checks, run

a = args()
c = Checks()
GOOD = """[material]
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
cases = [
    ("unknown key", GOOD.replace("name = bcs", "name = bcs\ncolour = blue"), ["colour", ":4:"]),
    ("bad number", GOOD.replace("energy_window_eV = 0.1", "energy_window_eV = 0.1x"), ["energy_window_eV", ":8:"]),
    ("negative temperature", GOOD.replace("list = 1 2", "list = 1 -2"), ["list", "-2"]),
    ("missing a2f file", GOOD.replace("source = model\nname = bcs", "source = a2f\na2f_file = nowhere.dat"), ["nowhere.dat"]),
    ("unknown section", GOOD + "[magic]\nx = 1\n", ["magic"]),
    ("bad enum", GOOD.replace("[temperatures]", "[solver]\nfunctional = xyz\n[temperatures]"), ["functional", "xyz"]),
]
for what, text, needles in cases:
    wd = tempfile.mkdtemp(prefix="agape-bad-")
    try:
        rc, out, err = run(a, text, ranks=2, workdir=wd, expect_ok=False, timeout=120)
    except Exception as e:  # timeout = hang
        c.check(False, f"{what}: agape returned ({e})")
        continue
    c.check(rc != 0, f"{what}: non-zero exit ({rc})")
    c.check(all(n in err for n in needles), f"{what}: message names {needles}: {err.strip().splitlines()[0] if err.strip() else '(empty)'}")
    c.check("deck.in" in err, f"{what}: message names the deck file")
    c.check(not any(f.startswith("results") for f in os.listdir(wd)), f"{what}: no results file left")
# missing deck
wd = tempfile.mkdtemp(prefix="agape-bad-")
import subprocess
from agapetest import ENV
p = subprocess.run([a.mpiexec, "--oversubscribe", "-np", "2", a.agape, "run", os.path.join(wd, "absent.in")],
                   env=ENV, capture_output=True, text=True, timeout=120)
c.check(p.returncode != 0 and "absent.in" in p.stderr, f"missing deck: non-zero exit and named ({p.stderr.strip()[:120]})")
# CLI
p = subprocess.run([a.agape, "--help"], capture_output=True, text=True)
c.check(p.returncode == 0 and "agape run DECK" in p.stdout, "--help prints usage")
p = subprocess.run([a.agape, "--version"], capture_output=True, text=True)
c.check(p.returncode == 0 and p.stdout.startswith("agape "), f"--version: {p.stdout.strip()}")
p = subprocess.run([a.agape, "frobnicate"], capture_output=True, text=True)
c.check(p.returncode != 0, "unknown command exits non-zero")
c.close()
