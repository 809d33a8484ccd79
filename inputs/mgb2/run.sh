#!/usr/bin/env bash
# MgB2 from Debian packages alone, end to end: the k12q3 EPW chain of ../mgb2-epw/regenerate.sh
# (pw.x scf 12^3 k, ph.x 3^3 q, EPW fine 24^3 k / 12^3 q), pw.x nscf with the empty bands for W,
# then AGAPE's parameter-free SCDFT (SPG and LMG) and anisotropic Eliashberg with the ab-initio
# Coulomb kernel. See README.md.
set -euo pipefail

WORKDIR=
NP=2
NICE=0
FORCE=0
REUSE=0
SETUP_ONLY=0

usage() {
    cat <<'USAGE'
usage: run.sh [--workdir DIR] [--np N] [--nice LEVEL] [--force] [--reuse-epw] [--setup-only] [--help]

  1-5  ../mgb2-epw/regenerate.sh --case k12q3 --workdir DIR: scf, ph, collect, nscf, epw1
       in DIR/k12q3/ (skipped with --reuse-epw when DIR/k12q3/MgB2.ephmat is there)
  6    pw_nscf_w nscf-w.in: W's states, the full 6^3 grid, nosym, 44 bands (E_F + 50 eV at
       every k), in DIR/k12q3/w/
  7-9  AGAPE (NP ranks) in DIR/<deck>/: scdft-spg.in, scdft-lmg.in, eliashberg.in
then a table of lambda, mu, Tc and the two gap families.
  --workdir DIR  where to run (default mgb2-run beside this script)
  --np N         MPI ranks of every program (default 2)
  --nice LEVEL   run the programs under 'nice -n LEVEL' (default 0)
  --force        delete an existing DIR/k12q3/ first
  --reuse-epw    keep DIR/k12q3/ from an earlier run and start at step 6
  --setup-only   list the commands, run nothing
  --help         this text
Installs quantum-espresso quantum-espresso-data wannier90 openmpi-bin (apt-get, as root) if
pw.x, ph.x, epw.x or mpirun are missing; needs AGAPE built (scripts/agape-setup build).
USAGE
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/qe-chain.sh
source "$SCRIPT_DIR/../lib/qe-chain.sh"
QE_LOG=mgb2

qe_args "$@"
for arg in ${QE_REST[@]+"${QE_REST[@]}"}; do
    case "$arg" in
        --reuse-epw) REUSE=1 ;;
        *) usage >&2; qe_die "unknown argument: $arg" ;;
    esac
done
[[ $FORCE -eq 0 || $REUSE -eq 0 ]] || qe_die "--force and --reuse-epw contradict each other"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 LC_ALL=C

qe_software
qe_find_agape "$SCRIPT_DIR"
WORKDIR=${WORKDIR:-$SCRIPT_DIR/mgb2-run}
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
RUNDIR=$WORKDIR/k12q3
: "${QE_STEP:=0}"
QE_STEP=5
QE_NSTEPS=9
if [[ $REUSE -eq 1 ]]; then
    [[ -d "$RUNDIR/MgB2.ephmat" && -f "$RUNDIR/MgB2.save/charge-density.dat" ]] ||
        qe_die "--reuse-epw: no $RUNDIR/MgB2.ephmat or scf save folder from an earlier run"
    qe_log "steps 1-5: reusing $RUNDIR (EPW data and the scf's save folder)"
else
    args=(--case k12q3 --workdir "$WORKDIR" --np "$NP" --nice "$NICE")
    [[ $FORCE -eq 0 ]] || args+=(--force)
    [[ $SETUP_ONLY -eq 0 ]] || args+=(--setup-only)
    qe_log "steps 1-5: $SCRIPT_DIR/../mgb2-epw/regenerate.sh ${args[*]}"
    "$SCRIPT_DIR/../mgb2-epw/regenerate.sh" "${args[@]}" || qe_die "the EPW chain failed (above)"
fi
T0=$EPOCHREALTIME   # steps 6-9 (regenerate.sh times steps 1-5)
[[ $SETUP_ONLY -eq 1 ]] || cp "$SCRIPT_DIR/nscf-w.in" "$RUNDIR/nscf-w.in"
qe_prepare_w MgB2
qe_run pw_nscf_w nscf-w 'JOB DONE' "$NP" pw.x nscf-w.in
qe_agape "$SCRIPT_DIR/scdft-spg.in"  scdft-spg
qe_agape "$SCRIPT_DIR/scdft-lmg.in"  scdft-lmg
qe_agape "$SCRIPT_DIR/eliashberg.in" eliashberg
if [[ $SETUP_ONLY -eq 1 ]]; then
    qe_log "--setup-only: nothing was run"
    exit 0
fi
# the chain's own total (steps 1-5) becomes one line; the total covers every step
chain=$(awk -F'total_wall_s=' '/^ALLDONE/ { v = $2 } END { print v + 0 }' "$RUNDIR/timings.txt")
sed -i 's/^ALLDONE total_wall_s=/steps_1-5 wall_s=/' "$RUNDIR/timings.txt"
echo "ALLDONE total_wall_s=$(awk -v a="$chain" -v b="$(qe_elapsed "$T0" "$EPOCHREALTIME")" 'BEGIN { printf "%.1f", a + b }')" >> "$RUNDIR/timings.txt"
"$SCRIPT_DIR/../lib/summary.py" "$RUNDIR/epw1.out" "$RUNDIR/timings.txt" \
    "$WORKDIR/scdft-spg/results.h5" "$WORKDIR/scdft-lmg/results.h5" "$WORKDIR/eliashberg/results.h5"
