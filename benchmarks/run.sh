#!/usr/bin/env bash
# AGAPE benchmarks (not tests): prints the figures and appends them, with the machine
# description, to benchmarks/results/<date>-<host>.txt. Run from the repository (with the
# packages of `scripts/agape-setup build` installed); it configures and builds the tuned
# build, the preset "native" (-march=native), into build-native/ and measures that.
#   benchmarks/run.sh              kernels + matvec + the default CsB12 run (inputs/CsB12.in)
#   benchmarks/run.sh quick        kernels + matvec only
#   benchmarks/run.sh production   the 50,000-state CsB12 run only (benchmarks/decks/CsB12-50k.in):
#                                  wall time, and peak memory summed over the ranks
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# the tuned build these figures are about: CMakePresets.json "native" (-march=native), in build-native/
cmake --preset native > /dev/null
cmake --build --preset native -j"$(nproc)" > /dev/null
work=$(mktemp -d)              # this run's scratch files, removed at exit
trap 'rm -rf "$work"' EXIT
mkdir -p benchmarks/results
out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s).txt
ncpu=$(nproc)

# run DECK on all cores; print the physics lines, the wall time and the peak of the summed
# resident memory of the agape processes (sampled every second)
run_deck() {
  local deck=$1 peak=$work/peak
  echo 0 > "$peak"
  ( m=0; while sleep 1; do
      s=$(ps -C agape -o rss= | awk '{t += $1} END {print t + 0}')
      [ "$s" -gt "$m" ] && m=$s && echo "$m" > "$peak"
    done ) &
  local mon=$!
  /usr/bin/time -v -o "$work/time.txt" env OMP_NUM_THREADS=1 mpirun --oversubscribe -np "$ncpu" \
    build-native/agape run "$deck" | tee "$work/run.log" | grep -E "^agape: (Tc =|T = |gap ratio|done|N\(0\)|McMillan|[0-9]+ states|kernel block|separable|phase times|[0-9]+ operator products)"
  kill "$mon" 2>/dev/null || true
  grep -E "Elapsed" "$work/time.txt"
  echo "peak resident memory summed over the $ncpu ranks: $(awk '{printf "%.2f GB", $1 / 1048576}' "$peak") (sampled every 1 s)"
  rm -f "$peak"
}

if [ "${1:-full}" = production ]; then
  {
    echo "# AGAPE production benchmark $(date -u +%FT%TZ), git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "## machine"
    lscpu | grep -E "Model name|^CPU\(s\)|Thread" ; free -g | head -2
    echo "## CsB12, 50,000 Monte-Carlo states (benchmarks/decks/CsB12-50k.in), $ncpu ranks x 1 thread"
    run_deck benchmarks/decks/CsB12-50k.in
  } 2>&1 | tee "$out"
  echo "benchmarks: written to $out"
  exit 0
fi
{
  echo "# AGAPE benchmarks $(date -u +%FT%TZ), git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "## machine"
  lscpu | grep -E "Model name|^CPU\(s\)|Thread|Flags" | sed 's/Flags:.*\(avx512f\).*/Flags: ... avx512f .../'
  free -g | head -2
  echo "## pair kernels (1 thread)"
  OMP_NUM_THREADS=1 build-native/agape_bench_kernels
  echo "## gap iteration: distributed matvec vs STREAM triad"
  for N in 20000 50000; do
    OMP_NUM_THREADS=1 mpirun --oversubscribe -np "$ncpu" build-native/agape_bench_matvec $N
    OMP_NUM_THREADS=$ncpu mpirun -np 1 --bind-to none build-native/agape_bench_matvec $N
  done
  if [ "${1:-full}" != quick ]; then
    echo "## default CsB12 run (inputs/CsB12.in), $ncpu ranks x 1 thread"
    run_deck inputs/CsB12.in
  fi
} 2>&1 | tee "$out"
echo "benchmarks: written to $out"
