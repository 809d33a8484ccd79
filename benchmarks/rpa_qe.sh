#!/usr/bin/env bash
# The W stage on Quantum ESPRESSO save folders (not a test): [coulomb] mode = rpa with qe_save,
# run by agape on a tiny a2f material (an Einstein alpha^2F, one temperature, no Tc search), so
# that the run's time is the RPA's. For each save folder: the wall time of the W stage
# (/coulomb/seconds) on 1 rank and on 2 ranks, the 1 -> 2 core efficiency, the core time per
# (k, q) pair computed, the peak resident memory (GNU time, summed over ranks), and mu with
# N(0) of the material script's states; then mu against |G|max and the band cut-off on the
# first folder. Appends to benchmarks/results/<date>-<host>-rpa-qe.txt.
#   benchmarks/rpa_qe.sh                   the save folders of inputs/al/run.sh and inputs/mgb2/run.sh
#   SAVES="a.save:0.1728 b.save:0.35" benchmarks/rpa_qe.sh     other folders, each with its N(0)
#   CONV=no                                skip the convergence runs
#   KGRIDS="4 6 8 10"                      the k grids of the Al convergence (pw.x nscf from the
#                                          scf of inputs/al/run.sh, made here; "" to skip)
#   ALRUN=DIR                              that script's work folder (default inputs/al/al-run)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
root=$(pwd)
SAVES=${SAVES:-"$root/inputs/al/al-run/al/w/al.save:0.1728 $root/inputs/mgb2/mgb2-run/k12q3/w/MgB2.save:0.3525"}
CONV=${CONV:-yes}
KGRIDS=${KGRIDS-"4 6 8 10"}
cmake --preset native > /dev/null
cmake --build --preset native -j"$(nproc)" > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p benchmarks/results
out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)-rpa-qe.txt
printf "0 0\n29.99 0\n30 5\n30.01 0\n40 0\n" > "$work/ein.dat"

# run SAVE N0 RANKS GMAX CUT -> "seconds mu nq nk ng peak_GB"
run() {
    local d; d=$(mktemp -d -p "$work")
    cp "$work/ein.dat" "$d/"
    cat > "$d/deck.in" <<DECK
[material]
source = a2f
a2f_file = ein.dat
dos_per_eV_spin = $2
[coulomb]
mode = rpa
qe_save = $1
rpa_gmax_bohr = $4
rpa_band_cutoff_eV = $5
[solver]
method = scdft
functional = lmg
[temperatures]
list = 5
tc_search = no
[output]
file = results.h5
plot = no
DECK
    (cd "$d" && /usr/bin/time -f "%M" -o rss mpirun --oversubscribe -np "$3" "$root/build-native/agape" run deck.in > run.log 2>&1) ||
        { echo "run failed: $d/run.log" >&2; tail -5 "$d/run.log" >&2; return 1; }
    # GNU time reports mpirun's own peak; the ranks' peaks are in the log's memory lines if any:
    # sum the ranks with ps while running would be more exact; here rank memory is estimated as
    # ranks x the largest child (mpirun's children are reported by %M as the largest one)
    local rss; rss=$(cat "$d/rss")
    /usr/bin/python3 - "$d" "$3" "$rss" <<'PY'
import sys, h5py, re
d, ranks, rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
f = h5py.File(d + "/results.h5", "r")
c = f["coulomb"]
log = open(d + "/run.log").read()
nq = int(re.search(r"RPA on (\d+) of the (\d+) q-points", log).group(1))
nk = int(re.search(r"RPA from .*?: (\d+) k points", log).group(1))
print(f"{c['seconds'][()]:.2f} {c['mu'][()]:.5f} {nq} {nk} {int(c['ng_max'][()])} {ranks * rss / 1e6:.2f}")
PY
}

{
  echo "# benchmarks/rpa_qe.sh $(date -u +%FT%TZ), git $(git rev-parse --short HEAD)"
  echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(env -u OMP_NUM_THREADS nproc) cores, $(free -g | awk '/Mem/ {print $2}') GB; native preset, 1 thread per rank"
  echo "# W stage at |G| <= 3 bohr^-1, bands to E_F + 50 eV; peak = ranks x the largest process's peak RSS"
  printf "%-50s %5s %8s %8s %6s %6s %5s %10s %8s\n" save ranks W_s mu q_irr k ng_max us_core/kq peak_GB
} | tee "$out"
for entry in $SAVES; do
    save=${entry%%:*} n0=${entry##*:}
    [[ -f "$save/data-file-schema.xml" ]] || { echo "no $save (run the material script first)" | tee -a "$out"; continue; }
    t1=
    for ranks in 1 2; do
        read -r sec mu nq nk ng peak < <(run "$save" "$n0" "$ranks" 3.0 50)
        [[ $ranks -eq 1 ]] && t1=$sec
        per=$(awk -v s="$sec" -v r="$ranks" -v q="$nq" -v k="$nk" 'BEGIN { printf "%.0f", 1e6 * s * r / (q * k) }')
        printf "%-50s %5d %8.1f %8.5f %6d %6d %5d %10s %8s\n" "$save" "$ranks" "$sec" "$mu" "$nq" "$nk" "$ng" "$per" "$peak" | tee -a "$out"
    done
    awk -v a="$t1" -v b="$sec" 'BEGIN { printf "#   1 -> 2 cores: speed-up %.2f, efficiency %.0f %%\n", a / b, 50 * a / b }' | tee -a "$out"
done
if [[ $CONV == yes ]]; then
    first=${SAVES%% *}
    save=${first%%:*} n0=${first##*:}
    echo "# convergence of mu on $save (2 ranks): |G|max (bands to E_F + 50 eV), then the band cut-off (|G| <= 3)" | tee -a "$out"
    for g in 1.0 2.0 3.0 4.0; do
        read -r sec mu nq nk ng peak < <(run "$save" "$n0" 2 "$g" 50)
        echo "gmax_bohr $g  ng_max $ng  mu $mu  W_s $sec" | tee -a "$out"
    done
    for cut in 10 20 30 50; do
        read -r sec mu nq nk ng peak < <(run "$save" "$n0" 2 3.0 "$cut")
        echo "band_cut_eV $cut  mu $mu  W_s $sec" | tee -a "$out"
    done
fi
# mu of Al against the k grid: nscf runs (nosym, 26 bands) from the Al scf, here in $work
alwork=${ALRUN:-$root/inputs/al/al-run}   # the work folder of inputs/al/run.sh
alrun=$alwork/al
if [[ -n "$KGRIDS" && -f "$alrun/al.save/charge-density.dat" ]]; then
    echo "# convergence of mu of Al in the k grid of the nscf (2 ranks, |G| <= 3, bands to E_F + 50 eV)" | tee -a "$out"
    for n in $KGRIDS; do
        d=$work/al-k$n
        mkdir -p "$d/w/al.save"
        cp "$alrun/al.save/charge-density.dat" "$alrun/al.save/data-file-schema.xml" "$d/w/al.save/"
        sed -e "s|pseudo_dir = '../pp/'|pseudo_dir = '$alwork/pp/'|" -e "s/ 8 8 8 0 0 0/ $n $n $n 0 0 0/" \
            "$root/inputs/al/nscf-w.in" > "$d/nscf-w.in"
        t0=$(date +%s.%N)
        (cd "$d" && mpirun -np 2 pw.x -npool 2 -input nscf-w.in > nscf-w.out 2>&1) || { echo "pw.x failed in $d" | tee -a "$out"; continue; }
        t1=$(date +%s.%N)
        read -r sec mu nq nk ng peak < <(run "$d/w/al.save" 0.1728 2 3.0 50)
        echo "kgrid $n^3  q_irr $nq  mu $mu  W_s $sec  pw.x_nscf_s $(echo "$t1 - $t0" | bc)" | tee -a "$out"
    done
fi
echo "# written to $out"
