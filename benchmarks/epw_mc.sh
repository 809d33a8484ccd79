#!/usr/bin/env bash
# Monte-Carlo SCDFT on EPW data (not a test): MgB2 k12q3 (24^3 k, 12^3 q) from the shared data
# folder, SPG, mu = 0.2, for several state counts and seeds. Prints, per run, Tc, the two gap
# families at the lowest temperature (sigma and pi: a two-means split of the gaps of the
# states within 20 meV of E_F), lambda, N(0), the wall time and the peak resident memory summed
# over the ranks, and appends them with the machine description to
# benchmarks/results/<date>-<host>-epw-mc.txt. Builds the preset "native" into build-native/.
#   benchmarks/epw_mc.sh                      N = 5000 10000, seeds 1 2 3, T = 5 K after the Tc search
#   NS="2000 5000" SEEDS="1 2" TEMPS="5 10 15 20 25 30 35 40" benchmarks/epw_mc.sh
#   EPW_DIR=PATH/MgB2.ephmat                  other data (crystal.fmt beside the folder)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
NS=${NS:-"5000 10000"}
SEEDS=${SEEDS:-"1 2 3"}
TEMPS=${TEMPS:-"5"}
MU=${MU:-0.2}
EPW_DIR=${EPW_DIR:-$(cd .. && pwd)/shared/data/mgb2-epw/k12q3/MgB2.ephmat}
[ -d "$EPW_DIR" ] || { echo "epw_mc.sh: no EPW folder $EPW_DIR (set EPW_DIR)" >&2; exit 2; }
cmake --preset native > /dev/null
cmake --build --preset native -j"$(nproc)" > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p benchmarks/results
out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)-epw-mc.txt
ncpu=$(nproc)
{
  echo "# benchmarks/epw_mc.sh $(date -u +%FT%TZ), git $(git rev-parse --short HEAD)"
  echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g'), $ncpu cores, $(free -g | awk '/Mem/ {print $2}') GB"
  echo "# data $EPW_DIR; SPG, mu = $MU, a2f_bins 24, T = $TEMPS K after the Tc search; $ncpu ranks x 1 thread"
  printf "%8s %5s %10s %9s %9s %8s %9s %9s %9s\n" N seed Tc_K Dsig_meV Dpi_meV lambda N0 wall_s peak_GB
} | tee "$out"
for n in $NS; do
  for seed in $SEEDS; do
    d=$work/n$n-s$seed
    mkdir -p "$d"
    cat > "$d/deck.in" <<EOF
[material]
source = epw
epw_dir = $EPW_DIR
eps_acustic_cm = 2
a2f_bins = 24
[coulomb]
mode = mu
mu = $MU
[solver]
method = scdft
functional = spg
[sampling]
states = montecarlo
npoints = $n
seed = $seed
[temperatures]
list = $TEMPS
tc_search = yes
[output]
file = results.h5
plot = no
EOF
    echo 0 > "$d/peak"
    ( m=0; while sleep 1; do
        s=$(ps -C agape -o rss= | awk '{t += $1} END {print t + 0}')
        [ "$s" -gt "$m" ] && m=$s && echo "$m" > "$d/peak"
      done ) &
    mon=$!
    t0=$(date +%s.%N)
    (cd "$d" && OMP_NUM_THREADS=1 mpirun --oversubscribe -np "$ncpu" "$OLDPWD/build-native/agape" run deck.in > run.log 2>&1) || true
    t1=$(date +%s.%N)
    kill "$mon" 2>/dev/null || true
    /usr/bin/python3 - "$d" "$n" "$seed" "$(echo "$t1 - $t0" | bc)" "$(cat "$d/peak")" <<'PY' | tee -a "$out"
import sys, h5py, numpy as np
d, n, seed, wall, peak = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
try:
    f = h5py.File(d + "/results.h5", "r")
except OSError:
    print(f"{n:8d} {seed:5d}   run failed: see {d}/run.log"); sys.exit(0)
band, xi, w = f["states/band"][:], f["states/xi"][:], f["states/fs_weight"][:]
gap = f["gap/delta"][0]
m = (band >= 0) & (np.abs(xi) < 0.02)
g = np.sort(np.abs(gap[m]))
# two-means split: the threshold that minimises the within-class variance
best, cut = np.inf, 0
for i in range(1, len(g)):
    v = np.var(g[:i]) * i + np.var(g[i:]) * (len(g) - i)
    if v < best:
        best, cut = v, i
print(f"{n:8d} {seed:5d} {float(f['tc'][()]):10.4f} {np.mean(g[cut:]):9.4f} {np.mean(g[:cut]):9.4f} "
      f"{float(f['coupling/lambda'][()]):8.4f} {float(f['coupling/dos0'][()]):9.5f} {wall:9.1f} {peak / 1048576:9.2f}")
PY
  done
done
echo "wrote $out"
