#!/usr/bin/env bash
# Time and memory of the RPA step ([coulomb] mode = rpa) versus the k-grid, CsB12 model,
# all cores as MPI ranks. Prints a table and the fitted exponent t ~ N_k^p, and writes both,
# with the machine description, to benchmarks/results/<date>-<host>-rpa.txt.
#   benchmarks/rpa_scaling.sh [GRID ...]      (default: 8 12 16 24)
set -euo pipefail
cd "$(dirname "$0")/.."
ncpu=$(nproc)     # before OMP_NUM_THREADS=1, which nproc honours
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
grids=("$@"); [ ${#grids[@]} -eq 0 ] && grids=(8 12 16 24)
# the tuned build these figures are about: CMakePresets.json "native" (-march=native), in build-native/
cmake --preset native > /dev/null
cmake --build --preset native -j"$(nproc)" > /dev/null
mkdir -p benchmarks/results
out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)-rpa.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT   # also when a run fails
{
  echo "# AGAPE RPA scaling $(date -u +%FT%TZ), git $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $ncpu ranks"
  lscpu | grep -E "Model name|^CPU\(s\)"
  echo "grid  N_k     G_max  RPA_seconds  mu       peak_MB_per_rank"
  for g in "${grids[@]}"; do
    cat > "$work/d$g.in" <<DECK
[material]
source = model
name = CsB12
[coulomb]
mode = rpa
rpa_kgrid = $g
[solver]
functional = lmg
[temperatures]
tc_search = yes
[sampling]
npoints = 200
[output]
file = $work/r$g/results.h5
plot = no
DECK
    /usr/bin/time -f "%M" -o "$work/t$g" mpirun --oversubscribe -np "$ncpu" build-native/agape run "$work/d$g.in" > "$work/log$g" 2>&1
    /usr/bin/python3 - "$work/r$g/results.h5" "$g" "$(cat "$work/t$g")" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")["coulomb"]
g = int(sys.argv[2])
print(f"{g:4d}  {g**3:6d}  {int(f['ng_max'][()]):5d}  {float(f['seconds'][()]):11.2f}  {float(f['mu'][()]):.4f}   {int(sys.argv[3]) / 1024:.0f}")
PY
  done
} | tee "$out"
/usr/bin/python3 - "$out" <<'PY' | tee -a "$out"
import sys, math
rows = [l.split() for l in open(sys.argv[1]) if l[:1] == " " or l[:1].isdigit()]
pts = [(math.log(int(r[1])), math.log(float(r[3]))) for r in rows if len(r) >= 4 and float(r[3]) > 0]
if len(pts) >= 2:
    n = len(pts); mx = sum(p[0] for p in pts) / n; my = sum(p[1] for p in pts) / n
    p = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    print(f"fitted exponent: RPA time ~ N_k^{p:.2f} over grids {', '.join(str(round(math.exp(x) ** (1/3))) for x, _ in pts)}")
PY
rm -rf "$work"
echo "benchmarks: written to $out"
