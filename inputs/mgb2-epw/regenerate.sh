#!/usr/bin/env bash
# Regenerate MgB2 electron-phonon data (EPW's MgB2.ephmat/ + selecq.fmt) for AGAPE
# from Debian 12 packages alone: quantum-espresso 6.7 (pw.x, ph.x, epw.x = EPW 5.3),
# quantum-espresso-data (pseudopotentials), wannier90, openmpi-bin.
# Inputs are the files next to this script (tiny/*.in, k12q3/*.in); see README.md.
set -euo pipefail

PREFIX=MgB2
CASE=tiny
WORKDIR=   # default: mgb2-epw-run beside this script, where the decks look for it
NP=2
NICE=10
FORCE=0
SETUP_ONLY=0

usage() {
    cat <<'EOF'
usage: regenerate.sh [--case tiny|k12q3] [--workdir DIR] [--np N] [--nice LEVEL] [--force] [--setup-only] [--help]

Runs the Quantum ESPRESSO 6.7 / EPW 5.3 chain for MgB2 and writes EPW's Eliashberg files
(DIR/CASE/MgB2.ephmat/ and DIR/CASE/selecq.fmt) that AGAPE reads with
  [material] source = epw,  epw_dir = DIR/CASE/MgB2.ephmat

  --case tiny    scf 6^3 k -> ph 3^3 q -> collect -> scf 3^3 k -> nscf 3^3 k -> epw1
                 (fine 6^3 k / 6^3 q, fsthick 20 eV; a few minutes on 2 cores)   [default]
  --case k12q3   scf 12^3 k -> ph 3^3 q -> collect -> nscf 6^3 k -> epw1
                 (fine 24^3 k / 12^3 q, fsthick 0.4 eV; much longer: a reference
                 run took ph 592 s + epw1 200 s on 2 cores)
  --workdir DIR  where to run (default mgb2-epw-run beside this script, where the decks look); pseudopotentials go to DIR/pp/,
                 the run itself to DIR/CASE/
  --np N         MPI ranks, each program runs as 'mpirun -np N <code>.x -npool N' (default 2)
  --nice LEVEL   run the heavy programs under 'nice -n LEVEL' (default 10; 0 = no nice)
  --force        delete an existing DIR/CASE/ first (otherwise the script refuses to reuse it:
                 a stale restart.fmt would make EPW skip the q loop)
  --setup-only   only check/install the software and write pseudopotentials + inputs into
                 DIR/CASE/; print the commands of the steps without running them
  --help         this text

If pw.x, ph.x, epw.x or mpirun are missing, installs (as root)
  apt-get update && apt-get install -y quantum-espresso quantum-espresso-data wannier90 openmpi-bin
Each step's output is DIR/CASE/<step>.out (stderr in <step>.err); wall times go to DIR/CASE/timings.txt.
EOF
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/qe-chain.sh
source "$SCRIPT_DIR/../lib/qe-chain.sh"
QE_LOG=regenerate
die() { qe_die "$@"; }
log() { qe_log "$@"; }

qe_args "$@"
set -- ${QE_REST[@]+"${QE_REST[@]}"}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --case)    [[ $# -ge 2 ]] || die "--case needs a value"; CASE=$2; shift 2 ;;
        --case=*)  CASE=${1#*=}; shift ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

case "$CASE" in tiny|k12q3) ;; *) die "--case must be tiny or k12q3 (got '$CASE')" ;; esac

WORKDIR=${WORKDIR:-$SCRIPT_DIR/mgb2-epw-run}
INPUT_DIR=$SCRIPT_DIR/$CASE
[[ -d "$INPUT_DIR" ]] || die "input folder $INPUT_DIR not found"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export LC_ALL=C   # "." decimal point for $EPOCHREALTIME and awk

# ---------------------------------------------------------------- 1. software
qe_software

# ---------------------------------------------------------------- 2. work dir + pseudopotentials
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
RUNDIR=$WORKDIR/$CASE
PPDIR=$WORKDIR/pp          # the inputs say pseudo_dir = '../pp/'
if [[ -e "$RUNDIR" ]] && [[ -n "$(ls -A "$RUNDIR" 2>/dev/null)" ]]; then
    if [[ $FORCE -eq 1 ]]; then
        log "--force: removing old $RUNDIR"
        rm -rf -- "$RUNDIR"
    else
        die "$RUNDIR exists and is not empty; remove it, pick another --workdir, or pass --force"
    fi
fi
mkdir -p "$RUNDIR" "$PPDIR"

# prefer the copies shipped with the EPW MgB2 example
for upf in Mg.pz-n-vbc.UPF B.pz-vbc.UPF; do qe_pseudo "$PPDIR" "$upf" EPW/mgb2; done

# ---------------------------------------------------------------- 3. inputs
case "$CASE" in
    tiny)  INPUTS=(scf.in ph.in scf_epw.in nscf_epw.in epw1.in) ;;
    k12q3) INPUTS=(scf.in ph.in nscf.in epw1.in) ;;
esac
for f in "${INPUTS[@]}"; do
    [[ -f "$INPUT_DIR/$f" ]] || die "input $INPUT_DIR/$f missing"
    cp "$INPUT_DIR/$f" "$RUNDIR/$f"
done
log "case $CASE: inputs ${INPUTS[*]} copied to $RUNDIR"

# ---------------------------------------------------------------- 4. steps
cd "$RUNDIR"
: > timings.txt
T_START=$EPOCHREALTIME
QE_STEP=0
QE_NSTEPS=0
elapsed() { qe_elapsed "$@"; }

PW_OK='JOB DONE'
EPW_OK='Total program execution'
case "$CASE" in
    tiny)
        # the reference chain (ph.x runs without -npool,
        # i.e. plane-wave parallelisation over the NP ranks; kept identical here)
        QE_NSTEPS=6
        qe_run pw_scf     scf      "$PW_OK"  "$NP" pw.x  scf.in
        qe_run ph         ph       "$PW_OK"  ""    ph.x  ph.in
        qe_collect_ph "$PREFIX"
        qe_run pw_scf_epw scf_epw  "$PW_OK"  "$NP" pw.x  scf_epw.in
        qe_run pw_nscf    nscf_epw "$PW_OK"  "$NP" pw.x  nscf_epw.in
        qe_run epw1       epw1     "$EPW_OK" "$NP" epw.x epw1.in
        ;;
    k12q3)
        # the reference chain of the k12q3 case
        QE_NSTEPS=5
        qe_run pw_scf     scf      "$PW_OK"  "$NP" pw.x  scf.in
        qe_run ph         ph       "$PW_OK"  "$NP" ph.x  ph.in
        qe_collect_ph "$PREFIX"
        qe_run pw_nscf    nscf     "$PW_OK"  "$NP" pw.x  nscf.in
        qe_run epw1       epw1     "$EPW_OK" "$NP" epw.x epw1.in
        ;;
esac
if [[ $SETUP_ONLY -eq 1 ]]; then
    rm -f timings.txt
    log "--setup-only: inputs and pseudopotentials are in $RUNDIR and $PPDIR; nothing was run"
    exit 0
fi
echo "ALLDONE total_wall_s=$(elapsed "$T_START" "$EPOCHREALTIME")" >> timings.txt

# ---------------------------------------------------------------- 5. checks + summary
EPH=$RUNDIR/$PREFIX.ephmat
grep -q 'Finish writing .ephmat files' epw1.out || die "step 'epw1': epw1.out has no 'Finish writing .ephmat files'; see $RUNDIR/epw1.out"
for f in egnv freq ikmap ephmat1; do
    [[ -s $EPH/$f ]] || die "step 'epw1': $EPH/$f missing or empty; see $RUNDIR/epw1.out"
done
[[ -s $RUNDIR/selecq.fmt ]] || die "step 'epw1': $RUNDIR/selecq.fmt missing; see $RUNDIR/epw1.out"

# last value printed after 'KEY =' (EPW prints Fortran D exponents in places)
val() { { grep -F "$1" epw1.out || true; } | tail -n1 | awk -F'=' '{ split($2, a, " "); v = a[1]; sub(/[dD]/, "E", v); print v }'; }
EF=$(val 'Fermi level (eV) =')
DOS=$(val 'DOS(states/spin/eV/Unit Cell) =')
LAMBDA=$(val 'Electron-phonon coupling strength =')
WLOG=$(val 'Estimated w_log in Allen-Dynes Tc =')
TC=$(val 'Estimated Allen-Dynes Tc =')

echo
echo "================ MgB2 EPW data ($CASE) done ================"
echo "timings (wall s), also in $RUNDIR/timings.txt:"
awk '/rc=/ { sub("wall_s=", "", $3); printf "  %-12s %8s s\n", $1, $3 } /ALLDONE/ { sub("total_wall_s=", "", $2); printf "  %-12s %8s s\n", "total", $2 }' timings.txt
echo "EPW Eliashberg folder : $EPH/"
ls -l "$EPH" | awk 'NR > 1 { printf "    %-10s %12d bytes\n", $9, $5 }'
echo "selecq.fmt            : $RUNDIR/selecq.fmt"
echo "epw1 output           : $RUNDIR/epw1.out"
echo "from epw1.out:"
echo "  Fermi level E_F (fine grid)     = $EF eV"
echo "  N(E_F)                          = $DOS states/spin/eV/cell"
echo "  lambda                          = $LAMBDA"
echo "  omega_log                       = $WLOG meV"
echo "  Allen-Dynes Tc (EPW, mu*=0.16)  = $TC K"
echo "AGAPE deck:  [material] source = epw ; epw_dir = $EPH"
