#!/usr/bin/env bash
# AGAPE benchmarks (not tests): prints the figures and appends them, with the machine
# description, to benchmarks/results/<date>-<host>.txt. Run from the repository after
# `scripts/agape-setup build`.
#   benchmarks/run.sh            kernels + matvec + the default CsB12 run (long)
#   benchmarks/run.sh quick      kernels + matvec only
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
mkdir -p benchmarks/results
out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s).txt
ncpu=$(nproc)
{
  echo "# AGAPE benchmarks $(date -u +%FT%TZ), git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "## machine"
  lscpu | grep -E "Model name|^CPU\(s\)|Thread|Flags" | sed 's/Flags:.*\(avx512f\).*/Flags: ... avx512f .../'
  free -g | head -2
  echo "## pair kernels (1 thread)"
  OMP_NUM_THREADS=1 build/agape_bench_kernels
  echo "## gap iteration: distributed matvec vs STREAM triad"
  for N in 20000 40000; do
    OMP_NUM_THREADS=1 mpirun --oversubscribe -np "$ncpu" build/agape_bench_matvec $N
    OMP_NUM_THREADS=$ncpu mpirun -np 1 --bind-to none build/agape_bench_matvec $N
  done
  if [ "${1:-full}" != quick ]; then
    echo "## default CsB12 run (inputs/CsB12.in), $ncpu ranks x 1 thread"
    /usr/bin/time -v -o /tmp/agape-time.txt env OMP_NUM_THREADS=1 mpirun --oversubscribe -np "$ncpu" \
      build/agape run inputs/CsB12.in | grep -E "^agape: (Tc =|T = |gap ratio|done|N\(0\)|McMillan|[0-9]+ states)"
    grep -E "Elapsed|Maximum resident" /tmp/agape-time.txt
    echo "(peak memory above is the largest single process; multiply by the rank count for the node)"
  fi
} 2>&1 | tee "$out"
echo "benchmarks: written to $out"
