#!/usr/bin/env bash
# Aluminium from Debian packages alone, end to end: Quantum ESPRESSO 6.7 (pw.x scf, ph.x DFPT,
# EPW 5.3 for the couplings, pw.x nscf with the empty bands for W), then AGAPE's parameter-free
# SCDFT (SPG and LMG) and Eliashberg with the ab-initio Coulomb kernel. See README.md.
set -euo pipefail

WORKDIR=
NP=2
NICE=0
FORCE=0
SETUP_ONLY=0

usage() {
    cat <<'USAGE'
usage: run.sh [--workdir DIR] [--np N] [--nice LEVEL] [--force] [--setup-only] [--help]

Runs in DIR/al/ (default DIR: al-run beside this script):
  pw_scf    scf.in      12^3 k, 15 Ry, Marzari-Vanderbilt 0.05 Ry
  ph        ph.in       DFPT on a 4^3 q grid (8 irreducible q)
  collect               ph.x output -> save/ for EPW
  pw_nscf   nscf.in     the 8^3 coarse grid for EPW's Wannier functions (12 bands)
  epw1      epw1.in     4 sp3 Wannier functions; fine 24^3 k / 12^3 q; fsthick 1.5 eV
  pw_nscf_w nscf-w.in   W's states: the full 8^3 grid, nosym, 26 bands (E_F + 58 eV), in DIR/al/w/
then AGAPE (2 ranks) in DIR/<deck>/: scdft-spg.in, scdft-lmg.in, eliashberg.in, and prints a
table of lambda, mu, Tc and the gaps.
  --workdir DIR  where to run (default al-run beside this script)
  --np N         MPI ranks of every program (default 2)
  --nice LEVEL   run the programs under 'nice -n LEVEL' (default 0)
  --force        delete an existing DIR/al/ first (otherwise the script refuses to reuse it:
                 a stale restart.fmt would make EPW skip its q loop)
  --setup-only   write pseudopotentials and inputs, list the commands, run nothing
  --help         this text
Installs quantum-espresso quantum-espresso-data wannier90 openmpi-bin (apt-get, as root) if
pw.x, ph.x, epw.x or mpirun are missing; needs AGAPE built (scripts/agape-setup build).
USAGE
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/qe-chain.sh
source "$SCRIPT_DIR/../lib/qe-chain.sh"
QE_LOG=al

qe_args "$@"
[[ ${#QE_REST[@]} -eq 0 ]] || { usage >&2; qe_die "unknown argument: ${QE_REST[0]}"; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 LC_ALL=C

qe_software
qe_find_agape "$SCRIPT_DIR"
WORKDIR=${WORKDIR:-$SCRIPT_DIR/al-run}
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
RUNDIR=$WORKDIR/al
if [[ -e "$RUNDIR" ]] && [[ -n "$(ls -A "$RUNDIR" 2>/dev/null)" ]]; then
    [[ $FORCE -eq 1 ]] || qe_die "$RUNDIR exists and is not empty; remove it, pick another --workdir, or pass --force"
    qe_log "--force: removing old $RUNDIR"
    rm -rf -- "$RUNDIR"
fi
mkdir -p "$RUNDIR" "$WORKDIR/pp"
qe_pseudo "$WORKDIR/pp" Al.pz-vbc.UPF
for f in scf.in ph.in nscf.in epw1.in nscf-w.in; do cp "$SCRIPT_DIR/$f" "$RUNDIR/$f"; done
: > "$RUNDIR/timings.txt"

QE_STEP=0
QE_NSTEPS=9
T0=$EPOCHREALTIME
PW_OK='JOB DONE'
qe_run pw_scf    scf    "$PW_OK" "$NP" pw.x  scf.in
qe_run ph        ph     "$PW_OK" "$NP" ph.x  ph.in
qe_collect_ph al
qe_run pw_nscf   nscf   "$PW_OK" "$NP" pw.x  nscf.in
qe_run epw1      epw1   'Total program execution' "$NP" epw.x epw1.in
qe_prepare_w al
qe_run pw_nscf_w nscf-w "$PW_OK" "$NP" pw.x  nscf-w.in
qe_agape "$SCRIPT_DIR/scdft-spg.in"  scdft-spg
qe_agape "$SCRIPT_DIR/scdft-lmg.in"  scdft-lmg
qe_agape "$SCRIPT_DIR/eliashberg.in" eliashberg
if [[ $SETUP_ONLY -eq 1 ]]; then
    qe_log "--setup-only: inputs and pseudopotentials are in $RUNDIR and $WORKDIR/pp; nothing was run"
    exit 0
fi
echo "ALLDONE total_wall_s=$(qe_elapsed "$T0" "$EPOCHREALTIME")" >> "$RUNDIR/timings.txt"
"$SCRIPT_DIR/../lib/summary.py" "$RUNDIR/epw1.out" "$RUNDIR/timings.txt" \
    "$WORKDIR/scdft-spg/results.h5" "$WORKDIR/scdft-lmg/results.h5" "$WORKDIR/eliashberg/results.h5"
