#!/usr/bin/env bash
# AGAPE's Migdal-Eliashberg solver side by side with epw.x on the same EPW data: the same
# <prefix>.ephmat folder, temperatures, mu*, wscut, eps_acustic and convergence threshold, NP MPI
# ranks each (epw.x with npool = NP, which must be the pool count that wrote the folder).
# Prints, per mode (aniso, iso), the wall time, the CPU time and the peak resident memory summed
# over the ranks (/usr/bin/time -v on every rank), and per temperature the Fermi-surface average
# of Delta(i omega_0) from both programs; appends it all, with the machine description, to
# benchmarks/results/<date>-<host>-epw.txt.
#
#   benchmarks/epw_compare.sh [DATA_DIR]
#
# DATA_DIR (or $AGAPE_EPW_DATA): an EPW run folder holding <prefix>.ephmat/, selecq.fmt,
#   crystal.fmt, restart.fmt and epw_eli_template.in (an epw.x input for the Eliashberg step with
#   the placeholders @MODE@ and @TEMPS@); default ../shared/data/mgb2-epw/k12q3 beside the
#   repository. mu*, wscut, eps_acustic, degaussq and nqstep are read from the template.
# Environment:
#   AGAPE_BIN  the agape binary (default build-native/agape: the preset "native" of
#              CMakePresets.json, -march=native, configured and built here when unset)
#   EPW_BIN    epw.x (default: the one on PATH)
#   TEMPS      temperature list in K of the anisotropic runs (default "10 15 20 25 30")
#   TEMPS_ISO  the same for the isotropic runs (default "5 10 15"): epw.x 5.3 stops with an error
#              (mix_broyden: factorization) at a temperature above the isotropic Tc (about 15.3 K
#              for the k12q3 data), so the list must stay below it
#   CONV       convergence threshold of both programs (default 1e-4): EPW's conv_thr_iaxis and
#              AGAPE's [solver] tol (the two norms differ, see benchmarks/RESULTS.md)
#   MODES      "aniso iso" (default) or one of them
#   NP         MPI ranks of each program (default 2)
#   WORKDIR    where the run folders go (default: a new folder under /tmp); kept after the run
#   TABLE_ONLY =1: run nothing, only tabulate the run folders already in WORKDIR
# Both programs solve the imaginary-axis equations only: no Pade continuation in epw.x
# (lpade = .false.), no Tc search and no PNG plot in AGAPE.
# Skips (exit 0) with a message when epw.x, the data folder or its template is missing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-${AGAPE_EPW_DATA:-$repo/../shared/data/mgb2-epw/k12q3}}
agape=${AGAPE_BIN:-$repo/build-native/agape}
epw=${EPW_BIN:-$(command -v epw.x || true)}
temps_aniso=${TEMPS:-10 15 20 25 30}
temps_iso=${TEMPS_ISO:-5 10 15}
conv=${CONV:-1e-4}
modes=${MODES:-aniso iso}
np=${NP:-2}

skip() { echo "epw_compare: skipped: $*"; exit 0; }
[ -n "$epw" ] && [ -x "$epw" ] || skip "epw.x not found (install Debian's quantum-espresso or set EPW_BIN)"
[ -d "$data" ] || skip "no EPW data folder $data (give it as the argument or in AGAPE_EPW_DATA)"
data=$(cd "$data" && pwd)
tmpl=$data/epw_eli_template.in
[ -f "$tmpl" ] || skip "$data has no epw_eli_template.in"
for f in selecq.fmt crystal.fmt restart.fmt; do [ -f "$data/$f" ] || skip "$data has no $f"; done
if [ -z "${AGAPE_BIN:-}" ]; then   # the tuned build, as the other benchmarks
  (cd "$repo" && cmake --preset native > /dev/null && cmake --build --preset native -j"$(nproc)" > /dev/null)
fi
[ -x "$agape" ] || { echo "epw_compare: no agape binary at $agape (set AGAPE_BIN)" >&2; exit 1; }
agape=$(cd "$(dirname "$agape")" && pwd)/$(basename "$agape")
[ -x /usr/bin/time ] || { echo "epw_compare: /usr/bin/time is needed (Debian package time)" >&2; exit 1; }

# a value of the Fortran namelist in the template (first number or quoted word after "key =")
nml() {
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*'\{0,1\}\([^',! ]*\).*/\1/Ip" "$tmpl" | head -n 1 | sed 's/[dD]/e/'
}
prefix=$(nml prefix)
[ -d "$data/$prefix.ephmat" ] || skip "$data has no $prefix.ephmat folder"
muc=$(nml muc); muc=${muc:-0}
wscut=$(nml wscut); wscut=${wscut:-0.1}                  # eV
eps_ac=$(nml eps_acustic); eps_ac=${eps_ac:-5}           # cm^-1
degaussq=$(nml degaussq); degaussq=${degaussq:-0.05}     # meV
nqstep=$(nml nqstep); nqstep=${nqstep:-500}
wscut_meV=$(awk -v w="$wscut" 'BEGIN { printf "%.10g", w * 1000 }')

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
work=${WORKDIR:-$(mktemp -d /tmp/agape-epw-compare.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
mkdir -p "$repo/benchmarks/results"
out=$repo/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)-epw.txt

# every rank runs under /usr/bin/time -v, writing time.<rank>.txt in its folder
cat > "$work/rank_time.sh" <<'EOF'
#!/bin/sh
exec /usr/bin/time -v -o "time.${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}.txt" "$@"
EOF
chmod +x "$work/rank_time.sh"

# run_timed DIR LOG CMD...: run CMD on NP ranks in DIR; writes DIR/wall_s
run_timed() {
  local dir=$1 log=$2; shift 2
  rm -f "$dir"/time.*.txt
  local t0 t1 rc=0
  cut -d' ' -f1 /proc/loadavg > "$dir/load_before"
  t0=$(date +%s.%N)
  ( cd "$dir" && mpirun -np "$np" "$work/rank_time.sh" "$@" > "$log" 2> "${log%.*}.err" ) || rc=$?
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' > "$dir/wall_s"
  cut -d' ' -f1 /proc/loadavg > "$dir/load_after"
  return $rc
}

for mode in $modes; do
  [ "${TABLE_ONLY:-0}" = 1 ] && break
  case $mode in
    aniso) epwmode="laniso      = .true."; temps=$temps_aniso ;;
    iso)   epwmode="liso        = .true."; temps=$temps_iso ;;
    *) echo "epw_compare: unknown mode $mode (aniso or iso)" >&2; exit 2 ;;
  esac
  # epw.x: its run folder with the files the Eliashberg step reads
  d=$work/epw-$mode
  rm -rf "$d"; mkdir -p "$d"
  for f in "$prefix.ephmat" selecq.fmt crystal.fmt restart.fmt; do ln -s "$data/$f" "$d/$f"; done
  sed -e "s/@MODE@/$epwmode/" -e "s/@TEMPS@/$temps/" \
      -e 's/^\([[:space:]]*lpade[[:space:]]*=[[:space:]]*\)[.a-zA-Z]*/\1.false./' \
      -e 's/^\([[:space:]]*lacon[[:space:]]*=[[:space:]]*\)[.a-zA-Z]*/\1.false./' \
      -e 's/^\([[:space:]]*limag[[:space:]]*=[[:space:]]*\)[.a-zA-Z]*/\1.true./' \
      -e "s/^\([[:space:]]*conv_thr_iaxis[[:space:]]*=[[:space:]]*\)[0-9.eEdD+-]*/\1$conv/" \
      "$tmpl" > "$d/epw.in"
  grep -q conv_thr_iaxis "$d/epw.in" || sed -i "s/^\([[:space:]]*limag[[:space:]]*=.*\)$/\1\n  conv_thr_iaxis = $conv/" "$d/epw.in"
  echo "epw_compare: $mode: epw.x in $d"
  rc=0; run_timed "$d" "$d/epw.out" "$epw" -npool "$np" -input epw.in || rc=$?
  if [ $rc -ne 0 ]; then
    # EPW 5.3 may abort while freeing memory after it has written everything (seen on the Pb
    # data: "corrupted size vs. prev_size"); accept the run when it printed its final timing
    if grep -q "Total program execution" "$d/epw.out"; then
      echo "epw_compare: note: epw.x exited with status $rc after finishing ($(grep -m1 -E 'corrupted|SIG[A-Z]+' "$d/epw.err" || echo 'see epw.err'))" | tee "$d/exit_note"
    else
      echo "epw_compare: epw.x failed with status $rc (see $d/epw.out, $d/epw.err)" >&2; exit 1
    fi
  fi

  # AGAPE: the same data and parameters
  a=$work/agape-$mode
  rm -rf "$a"; mkdir -p "$a"
  cat > "$a/deck.in" <<EOF
; generated by benchmarks/epw_compare.sh from $tmpl
[material]
source = epw
epw_dir = $data/$prefix.ephmat
eps_acustic_cm = $eps_ac
degaussq_meV = $degaussq
nqstep = $nqstep

[solver]
method = eliashberg
anisotropy = $mode
mustar = $muc
wscut_meV = $wscut_meV
tol = $conv

[temperatures]
list = $temps
tc_search = no

[output]
file = $a/out/results.h5
plot = no
EOF
  echo "epw_compare: $mode: agape in $a"
  run_timed "$a" "$a/agape.out" "$agape" run deck.in ||
    { echo "epw_compare: agape failed (see $a/agape.out, $a/agape.err)" >&2; exit 1; }
done

# ---- the table ------------------------------------------------------------------------------
{
  echo "# AGAPE vs epw.x (Eliashberg, imaginary axis) $(date -u +%FT%TZ), $(grep -m1 -o 'AGAPE [^:]*' "$work"/agape-*/agape.out | head -n 1 | sed 's/.*AGAPE/AGAPE/')"
  [ "${TABLE_ONLY:-0}" = 1 ] && echo "(TABLE_ONLY: tabulated from the run folders already in $work, not run now)"
  echo "## machine"
  lscpu | grep -E "Model name|^CPU\(s\)|Thread"
  free -g | head -2
  echo "## programs and data"
  echo "epw.x: $epw, $(grep -m1 -o 'Program EPW v[.0-9]*' "$work"/epw-*/epw.out | head -n 1 | sed 's/.*Program/Program/'), $(dpkg-query -W -f='${Package} ${Version}' quantum-espresso 2>/dev/null || true)"
  echo "agape: $agape"
  echo "data: $data ($prefix.ephmat), mu* = $muc, wscut = $wscut eV, eps_acustic = $eps_ac cm^-1, degaussq = $degaussq meV"
  echo "temperatures: aniso $temps_aniso K, iso $temps_iso K; threshold $conv (epw.x conv_thr_iaxis, agape [solver] tol); $np MPI ranks x 1 thread each"
  echo "commands (in each run folder under $work):"
  echo "  mpirun -np $np rank_time.sh $epw -npool $np -input epw.in"
  echo "  mpirun -np $np rank_time.sh $agape run deck.in"
  /usr/bin/python3 - "$work" "$prefix" "$modes" <<'PY'
import sys, os, re, glob
import numpy as np
import h5py

work, prefix, modes = sys.argv[1], sys.argv[2], sys.argv[3].split()

def usage(d):
    """wall (outer mpirun), CPU and peak RSS summed over the ranks' /usr/bin/time -v files"""
    wall = float(open(os.path.join(d, "wall_s")).read())
    rss = cpu = 0.0
    files = sorted(glob.glob(os.path.join(d, "time.*.txt")))
    for f in files:
        t = open(f).read()
        rss += float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) * 1024
        cpu += float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1))
        cpu += float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
    load = "/".join(open(os.path.join(d, f)).read().strip() if os.path.exists(os.path.join(d, f)) else "-"
                    for f in ("load_before", "load_after"))
    return wall, cpu, rss, len(files), load

def epw_blocks(path):
    """per temperature of epw.out: T, nsiw, last printed FS Delta(iw_0) (meV) and Z, iterations"""
    res, cur = [], None
    for line in open(path):
        m = re.match(r"\s*temp\(\s*\d+\)\s*=\s*([\d.]+)\s*K", line)
        if m:
            cur = {"T": float(m.group(1)), "it": None, "d": None, "z": None, "N": None}
            res.append(cur)
            continue
        if cur is None:
            continue
        m = re.search(r"nsiw\(\s*\d+\)\s*=\s*(\d+)", line)
        if m:
            cur["N"] = int(m.group(1))
        f = line.split()
        if len(f) == 4 and re.fullmatch(r"\d+", f[0]):
            try:
                cur["z"], cur["d"] = float(f[2]), float(f[3])
            except ValueError:
                pass
        m = re.search(r"Convergence was (not )?reached in nsiter =\s*(\d+)", line)
        if m:
            cur["it"] = int(m.group(2)) if not m.group(1) else -int(m.group(2))
    return res

def table(path):
    """the numeric rows of an EPW text file (its header line may or may not start with #)"""
    out = []
    for line in open(path):
        f = line.split()
        try:
            out.append([float(x) for x in f])
        except ValueError:
            continue
    return np.array(out)

rows = []
for mode in modes:
    ed, ad = os.path.join(work, "epw-" + mode), os.path.join(work, "agape-" + mode)
    ew, ec, er, en, el = usage(ed)
    if os.path.exists(os.path.join(ed, "exit_note")):
        print("\n" + open(os.path.join(ed, "exit_note")).read().strip())
    aw, ac, ar, an, al = usage(ad)
    eb = epw_blocks(os.path.join(ed, "epw.out"))
    h = h5py.File(os.path.join(ad, "out", "results.h5"), "r")
    temps = h["temperatures"][()]
    dlt = np.atleast_2d(h["gap/delta"][()])
    its = h["gap/iterations"][()]
    afs = h["gap/delta_fs_avg"][()]
    w = h["states/fs_weight"][()] if "states/fs_weight" in h else np.ones(dlt.shape[1])
    xi = h["states/xi"][()] if "states/xi" in h else None
    print(f"\n## {mode}: wall, CPU and peak memory ({en} + {an} ranks)")
    print("| program | wall (s) | CPU, all ranks (s) | peak RSS summed over ranks (MB) | machine load (1 min) before/after |")
    print("|---|---|---|---|---|")
    print(f"| epw.x | {ew:.1f} | {ec:.1f} | {er / 1e6:.0f} | {el} |")
    print(f"| agape | {aw:.1f} | {ac:.1f} | {ar / 1e6:.0f} | {al} |")
    print(f"| ratio epw/agape | **{ew / aw:.1f}x** | {ec / max(ac, 1e-9):.1f}x | {er / ar:.2f}x | |")
    print(f"\n## {mode}: Delta(i omega_0) per temperature")
    if mode == "aniso":
        print("<D>: sum_s w_s D_s / sum_s w_s over the window states, w_s = w_k delta(xi_s) (AGAPE's /states/fs_weight), "
              "applied to both programs' per-state D_s(i omega_0) (epw.x: %s.imag_aniso_TTT.TT)." % prefix)
        print("epw printed: the value epw.x prints at its last iteration (its own FS average, <phi>/<Z>).")
        print("| T (K) | N_iw | iterations epw / agape | epw printed (meV) | <D> epw (meV) | <D> agape (meV) | agape - epw | per-state (agape - epw)/epw: median, min, max |")
        print("|---|---|---|---|---|---|---|---|")
    else:
        print("| T (K) | N_iw | iterations epw / agape | Delta epw (meV) | Delta agape (meV) | agape - epw | Z epw | Z agape |")
        print("|---|---|---|---|---|---|---|---|")
    for i, T in enumerate(temps):
        b = next((x for x in eb if abs(x["T"] - T) < 1e-6), None)
        tag = "%06.2f" % T
        if mode == "aniso":
            f = os.path.join(ed, f"{prefix}.imag_aniso_{tag}")
            de = None
            if os.path.exists(f):
                e = table(f)[: dlt.shape[1]]
                if xi is not None and np.max(np.abs(e[:, 1] - xi)) > 1e-6:
                    print(f"(T = {T}: the states of {os.path.basename(f)} do not match AGAPE's)")
                else:
                    de = e[:, 3] * 1e3
            da = dlt[i]
            avg_a = np.sum(w * da) / np.sum(w)
            if de is not None:
                avg_e = np.sum(w * de) / np.sum(w)
                m = w > 1e-3 * w.max()
                r = (da[m] - de[m]) / np.where(np.abs(de[m]) > 0, de[m], np.nan)
                rs = f"{np.nanmedian(r):+.2%}, {np.nanmin(r):+.2%}, {np.nanmax(r):+.2%}"
                diff = f"{(avg_a - avg_e) / avg_e:+.2%}" if avg_e != 0 else "-"
                se = f"{avg_e:.4f}"
            else:
                rs, diff, se = "-", "-", "-"
            pe = f"{b['d']:.4f}" if b and b["d"] is not None else "-"
            ie = (str(b["it"]) if b["it"] > 0 else f"{-b['it']} (not converged)") if b and b["it"] else "-"
            N = b["N"] if b and b["N"] else "-"
            print(f"| {T:g} | {N} | {ie} / {its[i]} | {pe} | {se} | {avg_a:.4f} | {diff} | {rs} |")
        else:
            f = os.path.join(ed, f"{prefix}.imag_iso_{tag}")
            de = ze = None
            if os.path.exists(f):
                e = table(f)
                ze, de = e[0, 1], e[0, 2] * 1e3
            za = h["gap/z"][()].reshape(len(temps), -1)[i, 0]
            da = afs[i]
            diff = f"{(da - de) / de:+.2%}" if de else "-"
            ie = (str(b["it"]) if b["it"] > 0 else f"{-b['it']} (not converged)") if b and b["it"] else "-"
            N = b["N"] if b and b["N"] else "-"
            print(f"| {T:g} | {N} | {ie} / {its[i]} | {de if de is None else f'{de:.4f}'} | {da:.4f} | {diff} | "
                  f"{ze if ze is None else f'{ze:.4f}'} | {za:.4f} |")
    rows.append((mode, ew / aw))
print()
for mode, s in rows:
    print(f"speed-up (wall, epw.x / agape), {mode}: {s:.1f}x; goal >= 5x: {'met' if s >= 5 else 'NOT met'}")
PY
  echo "run folders: $work"
} 2>&1 | tee "$out"
echo "epw_compare: written to $out"
