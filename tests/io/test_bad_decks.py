"""Bad input decks: a clear message naming file, line and key, a non-zero exit on every
rank (run on 2 ranks; the subprocess timeout catches a hang), and no results file."""
import os, shutil
from agapetest import args, Checks, run, test_data, workdir, BCS_DECK

a = args()
c = Checks()
GOOD = BCS_DECK
cases = [
    ("unknown key", GOOD.replace("name = bcs", "name = bcs\ncolour = blue"), ["colour", ":4:"]),
    ("bad number", GOOD.replace("energy_window_eV = 0.1", "energy_window_eV = 0.1x"), ["energy_window_eV", ":8:"]),
    ("negative temperature", GOOD.replace("list = 1 2", "list = 1 -2"), ["list", "-2"]),
    ("missing a2f file", GOOD.replace("source = model\nname = bcs", "source = a2f\na2f_file = nowhere.dat"), ["nowhere.dat"]),
    ("unknown section", GOOD + "[magic]\nx = 1\n", ["magic"]),
    ("bad enum", GOOD.replace("[temperatures]", "[solver]\nfunctional = xyz\n[temperatures]"), ["functional", "xyz"]),
    ("eliashberg on the model", GOOD.replace("[temperatures]", "[solver]\nmethod = eliashberg\n[temperatures]"),
     ["method", "eliashberg needs"]),
    ("epw without epw_dir", GOOD.replace("source = model\nname = bcs", "source = epw"), ["epw_dir", "missing"]),
    ("epw_dir not a folder", GOOD.replace("source = model\nname = bcs", "source = epw\nepw_dir = deck.in"),
     ["epw_dir", "not a folder"]),
    ("aniso without EPW data", GOOD.replace("source = model\nname = bcs", "source = a2f\na2f_file = deck.in")
     .replace("[temperatures]", "[solver]\nmethod = eliashberg\nanisotropy = aniso\n[temperatures]"),
     ["anisotropy", "aniso needs"]),
]
for what, text, needles in cases:
    wd = workdir("bad")
    try:
        rc, out, err = run(a, text, ranks=2, workdir=wd, expect_ok=False, timeout=120)
    except Exception as e:  # timeout = hang
        c.check(False, f"{what}: agape returned ({e})")
        continue
    c.check(rc != 0, f"{what}: non-zero exit ({rc})")
    c.check(all(n in err for n in needles), f"{what}: message names {needles}: {err.strip().splitlines()[0] if err.strip() else '(empty)'}")
    c.check("deck.in" in err, f"{what}: message names the deck file")
    c.check(not any(f.startswith("results") for f in os.listdir(wd)), f"{what}: no results file left")
# damaged EPW data (copies of the Pb fixture): the error names the file, every rank exits
# non-zero, nothing is written
pb = test_data("pb-epw", "pb.ephmat")
for what, name, keep in (("truncated ephmat1", "ephmat1", 1000), ("empty egnv", "egnv", 0)):
    wd = workdir("bad")
    shutil.copytree(pb, os.path.join(wd, "pb.ephmat"))
    with open(os.path.join(pb, name), "rb") as f:
        data = f.read()[:keep]
    with open(os.path.join(wd, "pb.ephmat", name), "wb") as f:
        f.write(data)
    deck = GOOD.replace("source = model\nname = bcs", "source = epw\nepw_dir = pb.ephmat").replace(
        "[temperatures]", "[solver]\nmethod = eliashberg\n[temperatures]")
    try:
        rc, out, err = run(a, deck, ranks=2, workdir=wd, expect_ok=False, timeout=120)
    except Exception as e:
        c.check(False, f"{what}: agape returned ({e})")
        continue
    c.check(rc != 0, f"{what}: non-zero exit ({rc})")
    c.check(os.path.join("pb.ephmat", name) in err, f"{what}: the message names the file: "
            f"{err.strip().splitlines()[-1] if err.strip() else '(empty)'}")
    c.check(not any(f.startswith("results") for f in os.listdir(wd)), f"{what}: no results file left")
# missing deck
wd = workdir("bad")
import subprocess
from agapetest import ENV, sanitizer_report
p = subprocess.run([a.mpiexec, "--oversubscribe", "-np", "2", a.agape, "run", os.path.join(wd, "absent.in")],
                   env=ENV, capture_output=True, text=True, timeout=120)
sanitizer_report(p.stderr, "agape run absent.in")
c.check(p.returncode != 0 and "absent.in" in p.stderr, f"missing deck: non-zero exit and named ({p.stderr.strip()[:120]})")
# CLI
p = subprocess.run([a.agape, "--help"], env=ENV, capture_output=True, text=True)
sanitizer_report(p.stderr, "agape " + "--help")
c.check(p.returncode == 0 and "agape run DECK" in p.stdout, "--help prints usage")
p = subprocess.run([a.agape, "--version"], env=ENV, capture_output=True, text=True)
sanitizer_report(p.stderr, "agape " + "--version")
c.check(p.returncode == 0 and p.stdout.startswith("agape "), f"--version: {p.stdout.strip()}")
p = subprocess.run([a.agape, "frobnicate"], env=ENV, capture_output=True, text=True)
sanitizer_report(p.stderr, "agape " + "frobnicate")
c.check(p.returncode != 0, "unknown command exits non-zero")
c.close()
