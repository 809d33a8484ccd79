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

die() { echo "regenerate.sh: ERROR: $*" >&2; exit 1; }
log() { echo "[regenerate $(date +%H:%M:%S)] $*"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --case)    [[ $# -ge 2 ]] || die "--case needs a value"; CASE=$2; shift 2 ;;
        --case=*)  CASE=${1#*=}; shift ;;
        --workdir) [[ $# -ge 2 ]] || die "--workdir needs a value"; WORKDIR=$2; shift 2 ;;
        --workdir=*) WORKDIR=${1#*=}; shift ;;
        --np)      [[ $# -ge 2 ]] || die "--np needs a value"; NP=$2; shift 2 ;;
        --np=*)    NP=${1#*=}; shift ;;
        --nice)    [[ $# -ge 2 ]] || die "--nice needs a value"; NICE=$2; shift 2 ;;
        --nice=*)  NICE=${1#*=}; shift ;;
        --force)   FORCE=1; shift ;;
        --setup-only) SETUP_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

case "$CASE" in tiny|k12q3) ;; *) die "--case must be tiny or k12q3 (got '$CASE')" ;; esac
[[ "$NP" =~ ^[1-9][0-9]*$ ]] || die "--np must be a positive integer (got '$NP')"
[[ "$NICE" =~ ^[0-9]+$ ]] || die "--nice must be a non-negative integer (got '$NICE')"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKDIR=${WORKDIR:-$SCRIPT_DIR/mgb2-epw-run}
INPUT_DIR=$SCRIPT_DIR/$CASE
[[ -d "$INPUT_DIR" ]] || die "input folder $INPUT_DIR not found"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export LC_ALL=C   # "." decimal point for $EPOCHREALTIME and awk

# ---------------------------------------------------------------- 1. software
DEB_PKGS=(quantum-espresso quantum-espresso-data wannier90 openmpi-bin)
missing=()
for exe in pw.x ph.x epw.x mpirun; do
    command -v "$exe" >/dev/null 2>&1 || missing+=("$exe")
done
if ! dpkg -s quantum-espresso-data >/dev/null 2>&1; then missing+=("quantum-espresso-data (pseudopotentials)"); fi
if [[ ${#missing[@]} -gt 0 ]]; then
    log "missing: ${missing[*]} -> installing Debian packages: ${DEB_PKGS[*]}"
    [[ $(id -u) -eq 0 ]] || die "need root to install: apt-get update && apt-get install -y ${DEB_PKGS[*]}"
    apt-get update || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${DEB_PKGS[@]}" || die "apt-get install ${DEB_PKGS[*]} failed"
    for exe in pw.x ph.x epw.x mpirun; do
        command -v "$exe" >/dev/null 2>&1 || die "$exe still not found after installing ${DEB_PKGS[*]}"
    done
fi
log "pw.x=$(command -v pw.x) ph.x=$(command -v ph.x) epw.x=$(command -v epw.x) mpirun=$(command -v mpirun)"
log "quantum-espresso $(dpkg-query -W -f='${Version}' quantum-espresso 2>/dev/null || echo '?'), $(mpirun --version 2>/dev/null | head -n1)"

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

for upf in Mg.pz-n-vbc.UPF B.pz-vbc.UPF; do
    # prefer the copy shipped with the EPW MgB2 example, fall back to any copy in the package
    src=$(dpkg -L quantum-espresso-data | grep -E "/${upf//./\\.}(\\.gz)?\$" | grep -i 'EPW/mgb2' | head -n1 || true)
    [[ -n "$src" ]] || src=$(dpkg -L quantum-espresso-data | grep -E "/${upf//./\\.}(\\.gz)?\$" | head -n1 || true)
    [[ -n "$src" && -f "$src" ]] || die "pseudopotential $upf not found in 'dpkg -L quantum-espresso-data'"
    case "$src" in
        *.gz) gzip -dc "$src" > "$PPDIR/$upf" ;;
        *)    cp "$src" "$PPDIR/$upf" ;;
    esac
    [[ -s "$PPDIR/$upf" ]] || die "could not copy $src to $PPDIR/$upf"
    log "pseudopotential $PPDIR/$upf  (from $src)"
done

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
NCORES=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || echo 1)   # nproc honours OMP_NUM_THREADS
MPI=(mpirun -np "$NP")
[[ $NP -le $NCORES ]] || MPI+=(--oversubscribe)
NICE_CMD=()
[[ $NICE -eq 0 ]] || NICE_CMD=(nice -n "$NICE")

T_START=$EPOCHREALTIME
STEP_NO=0
N_STEPS=0

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# run_code LABEL LOGBASE SUCCESS_REGEX POOLS EXE INPUT
#   runs: nice mpirun -np NP EXE [-npool POOLS] -input INPUT > LOGBASE.out 2> LOGBASE.err
run_code() {
    local label=$1 base=$2 ok_re=$3 pools=$4 exe=$5 input=$6
    local cmd=("${NICE_CMD[@]}" "${MPI[@]}" "$exe")
    [[ -z "$pools" ]] || cmd+=(-npool "$pools")
    cmd+=(-input "$input")
    STEP_NO=$((STEP_NO + 1))
    log "step $STEP_NO/$N_STEPS $label: ${cmd[*]} > $base.out"
    if [[ $SETUP_ONLY -eq 1 ]]; then return 0; fi
    local t0=$EPOCHREALTIME rc=0
    "${cmd[@]}" > "$base.out" 2> "$base.err" || rc=$?
    local dt; dt=$(elapsed "$t0" "$EPOCHREALTIME")
    printf "%-12s rc=%d wall_s=%s  cmd: %s\n" "$label" "$rc" "$dt" "${cmd[*]}" >> timings.txt
    if [[ $rc -ne 0 ]]; then
        tail -n 15 "$base.out" >&2 || true
        [[ ! -f CRASH ]] || { echo "--- CRASH:" >&2; tail -n 15 CRASH >&2; }
        die "step '$label' failed (exit code $rc after ${dt} s); see $RUNDIR/$base.out and $RUNDIR/$base.err"
    fi
    if ! grep -Eq "$ok_re" "$base.out"; then
        tail -n 15 "$base.out" >&2 || true
        die "step '$label' did not finish normally (no '$ok_re' in the output); see $RUNDIR/$base.out and $RUNDIR/$base.err"
    fi
    log "step $STEP_NO/$N_STEPS $label done: wall ${dt} s"
}

# The standard EPW pp.py, in bash: copy ph.x results into save/ with EPW's names
#   PREFIX.dyn<i>                     -> save/PREFIX.dyn_q<i>
#   _ph0/PREFIX.dvscf1 (q 1)          -> save/PREFIX.dvscf_q1
#   _ph0/PREFIX.q_<i>/PREFIX.dvscf1   -> save/PREFIX.dvscf_q<i>
#   _ph0/PREFIX.phsave/               -> save/PREFIX.phsave/
# The number of irreducible q points is line 2 of PREFIX.dyn0.
collect_ph() {
    STEP_NO=$((STEP_NO + 1))
    log "step $STEP_NO/$N_STEPS collect: ph.x output -> save/ (EPW pp.py equivalent) > collect.out"
    if [[ $SETUP_ONLY -eq 1 ]]; then return 0; fi
    local t0=$EPOCHREALTIME
    (
        [[ -f $PREFIX.dyn0 ]] || { echo "missing $PREFIX.dyn0"; exit 1; }
        nq=$(sed -n 2p "$PREFIX.dyn0" | tr -d '[:space:]')
        [[ "$nq" =~ ^[1-9][0-9]*$ ]] || { echo "cannot read the number of irreducible q from line 2 of $PREFIX.dyn0"; exit 1; }
        echo "irreducible q points: $nq"
        [[ -d _ph0/$PREFIX.phsave ]] || { echo "missing _ph0/$PREFIX.phsave"; exit 1; }
        rm -rf save && mkdir save || exit 1
        cp -r "_ph0/$PREFIX.phsave" save/ || exit 1
        echo "_ph0/$PREFIX.phsave -> save/$PREFIX.phsave"
        for ((iq = 1; iq <= nq; iq++)); do
            [[ -f $PREFIX.dyn$iq ]] || { echo "missing $PREFIX.dyn$iq"; exit 1; }
            cp "$PREFIX.dyn$iq" "save/$PREFIX.dyn_q$iq" || exit 1
            echo "$PREFIX.dyn$iq -> save/$PREFIX.dyn_q$iq"
            if [[ $iq -eq 1 ]]; then src=_ph0/$PREFIX.dvscf1; else src=_ph0/$PREFIX.q_$iq/$PREFIX.dvscf1; fi
            [[ -s $src ]] || { echo "missing $src"; exit 1; }
            cp "$src" "save/$PREFIX.dvscf_q$iq" || exit 1
            echo "$src -> save/$PREFIX.dvscf_q$iq"
            # like pp.py: drop the per-q wavefunctions (not needed any more)
            if [[ $iq -gt 1 ]]; then rm -f "_ph0/$PREFIX.q_$iq/"*wfc*; fi
        done
    ) > collect.out 2>&1 || die "step 'collect' failed; see $RUNDIR/collect.out"
    local dt; dt=$(elapsed "$t0" "$EPOCHREALTIME")
    printf "%-12s rc=%d wall_s=%s  cmd: %s\n" "collect" 0 "$dt" "collect_ph (pp.py equivalent)" >> timings.txt
    log "step $STEP_NO/$N_STEPS collect done: wall ${dt} s ($(ls save | wc -l) entries in save/)"
}

PW_OK='JOB DONE'
EPW_OK='Total program execution'
case "$CASE" in
    tiny)
        # the reference chain (ph.x runs without -npool,
        # i.e. plane-wave parallelisation over the NP ranks; kept identical here)
        N_STEPS=6
        run_code pw_scf     scf      "$PW_OK"  "$NP" pw.x  scf.in
        run_code ph         ph       "$PW_OK"  ""    ph.x  ph.in
        collect_ph
        run_code pw_scf_epw scf_epw  "$PW_OK"  "$NP" pw.x  scf_epw.in
        run_code pw_nscf    nscf_epw "$PW_OK"  "$NP" pw.x  nscf_epw.in
        run_code epw1       epw1     "$EPW_OK" "$NP" epw.x epw1.in
        ;;
    k12q3)
        # the reference chain of the k12q3 case
        N_STEPS=5
        run_code pw_scf     scf      "$PW_OK"  "$NP" pw.x  scf.in
        run_code ph         ph       "$PW_OK"  "$NP" ph.x  ph.in
        collect_ph
        run_code pw_nscf    nscf     "$PW_OK"  "$NP" pw.x  nscf.in
        run_code epw1       epw1     "$EPW_OK" "$NP" epw.x epw1.in
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
