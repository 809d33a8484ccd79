#!/usr/bin/env bash
# Strong-scaling harness: run one deck for a list of ranks x threads layouts and write, with the
# machine description, a CSV of the phase times (sampling, couplings+coulomb, kernel build,
# solve, output, total) and a PNG of speed-up and parallel efficiency per phase against the
# first layout.  On a workstation it launches with mpirun; inside a Slurm allocation
# (SLURM_JOB_ID set) with srun.
#   benchmarks/scaling.sh DECK [LAYOUT ...]        (default layouts: 1x1 2x1 1x2)
# Output: benchmarks/results/<date>-<host>-scaling.{csv,png}
set -euo pipefail
cd "$(dirname "$0")/.."
deck=${1:?usage: benchmarks/scaling.sh DECK [RxT ...]}; shift
layouts=("$@"); [ ${#layouts[@]} -eq 0 ] && layouts=(1x1 2x1 1x2)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMP_PLACES=cores OMP_PROC_BIND=close
# the tuned build these figures are about: CMakePresets.json "native" (-march=native), in build-native/
cmake --preset native > /dev/null
cmake --build --preset native -j"$(nproc)" > /dev/null
mkdir -p benchmarks/results
base=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)-scaling
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT   # also when a run fails
{
  echo "# AGAPE strong scaling $(date -u +%FT%TZ), git $(git rev-parse --short HEAD 2>/dev/null || echo unknown), deck $deck"
  echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(nproc) CPUs"
  echo "layout,ranks,threads,cores,sampling_s,coupling_s,kernel_build_s,solve_s,output_s,total_s"
} > "$base.csv"
for L in "${layouts[@]}"; do
  R=${L%x*}; T=${L#*x}
  if [ -n "${SLURM_JOB_ID:-}" ]; then
    OMP_NUM_THREADS=$T srun --mpi=pmix --ntasks="$R" --cpus-per-task="$T" --cpu-bind=cores \
      build-native/agape run "$deck" --output "$work/$L/results.h5" > "$work/$L.log" 2>&1
  else
    OMP_NUM_THREADS=$T mpirun --oversubscribe -np "$R" --map-by "slot:PE=$T" --bind-to core \
      -x OMP_NUM_THREADS -x OMP_PLACES -x OMP_PROC_BIND -x OPENBLAS_NUM_THREADS \
      build-native/agape run "$deck" --output "$work/$L/results.h5" > "$work/$L.log" 2>&1
  fi
  line=$(grep '^agape: phase times' "$work/$L.log")
  vals=$(echo "$line" | sed 's/.*sampling \([0-9.]*\)  couplings+coulomb \([0-9.]*\)  kernel_build \([0-9.]*\)  solve \([0-9.]*\)  output \([0-9.]*\)  total \([0-9.]*\).*/\1,\2,\3,\4,\5,\6/')
  echo "$L,$R,$T,$((R * T)),$vals" | tee -a "$base.csv"
done
/usr/bin/python3 - "$base.csv" "$base.png" <<'PY'
import sys, csv
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
phases = ["kernel_build_s", "solve_s", "sampling_s", "coupling_s", "total_s"]
ref = rows[0]
fig, ax = plt.subplots(1, 2, figsize=(10, 4))
labels = [r["layout"] for r in rows]
x = range(len(rows))
for ph in phases:
    sp = [float(ref[ph]) / max(float(r[ph]), 1e-9) for r in rows]
    eff = [s * int(ref["cores"]) / int(r["cores"]) for s, r in zip(sp, rows)]
    ax[0].plot(x, sp, "o-", label=ph[:-2])
    ax[1].plot(x, eff, "o-", label=ph[:-2])
for a, t in zip(ax, ("speed-up vs " + ref["layout"], "parallel efficiency")):
    a.set_xticks(list(x)); a.set_xticklabels([f"{l}\n({r['cores']} cores)" for l, r in zip(labels, rows)])
    a.set_title(t); a.grid(alpha=0.3)
ax[0].legend(fontsize=8)
ax[1].axhline(0.9, color="0.5", ls=":", lw=1)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=120)
for r in rows[1:]:
    sp = float(ref["total_s"]) / float(r["total_s"])
    print(f"{r['layout']}: total speed-up {sp:.2f}, efficiency {sp * int(ref['cores']) / int(r['cores']):.0%}")
PY
rm -rf "$work"
echo "scaling: $base.csv $base.png"
