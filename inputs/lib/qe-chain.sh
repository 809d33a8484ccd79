# Shared steps of AGAPE's material scripts (inputs/*/): the Debian Quantum ESPRESSO 6.7 chain
# pw.x -> ph.x -> EPW, run step by step with a progress line and a wall time per step.
# Sourced, not run. The sourcing script sets, before calling these functions:
#   RUNDIR      the folder the steps run in (each step's output is RUNDIR/<step>.out, .err)
#   NP          MPI ranks per program;  NICE  nice level of the heavy programs (0: none)
#   SETUP_ONLY  1: print the commands, run nothing
#   QE_LOG      the name in progress lines (e.g. "al")
# and the steps append "<label> rc=<code> wall_s=<seconds>  cmd: ..." to RUNDIR/timings.txt.

qe_log() { echo "[$QE_LOG $(date +%H:%M:%S)] $*"; }

# qe_args "$@": the options every script takes -- --workdir DIR, --np N, --nice LEVEL, --force,
# --setup-only, --help (calls the script's usage) -- into WORKDIR, NP, NICE, FORCE, SETUP_ONLY
# (set their defaults first), checked; any other argument goes to QE_REST for the script.
qe_args() {
    QE_REST=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --workdir) [[ $# -ge 2 ]] || qe_die "--workdir needs a value"; WORKDIR=$2; shift 2 ;;
            --workdir=*) WORKDIR=${1#*=}; shift ;;
            --np)      [[ $# -ge 2 ]] || qe_die "--np needs a value"; NP=$2; shift 2 ;;
            --np=*)    NP=${1#*=}; shift ;;
            --nice)    [[ $# -ge 2 ]] || qe_die "--nice needs a value"; NICE=$2; shift 2 ;;
            --nice=*)  NICE=${1#*=}; shift ;;
            --force)   FORCE=1; shift ;;
            --setup-only) SETUP_ONLY=1; shift ;;
            -h|--help) usage; exit 0 ;;
            *) QE_REST+=("$1"); shift ;;
        esac
    done
    [[ "$NP" =~ ^[1-9][0-9]*$ ]] || qe_die "--np must be a positive integer (got '$NP')"
    [[ "$NICE" =~ ^[0-9]+$ ]] || qe_die "--nice must be a non-negative integer (got '$NICE')"
}
qe_die() { echo "$QE_LOG: ERROR: $*" >&2; exit 1; }
qe_elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Install the Debian packages when a program is missing (root only): quantum-espresso (pw.x,
# ph.x, epw.x), quantum-espresso-data (pseudopotentials), wannier90, openmpi-bin, and
# python3-h5py, python3-matplotlib for the summary when /usr/bin/python3 lacks them.
qe_software() {
    local pkgs=(quantum-espresso quantum-espresso-data wannier90 openmpi-bin) missing=() exe
    for exe in pw.x ph.x epw.x mpirun; do
        command -v "$exe" >/dev/null 2>&1 || missing+=("$exe")
    done
    dpkg -s quantum-espresso-data >/dev/null 2>&1 || missing+=("quantum-espresso-data (pseudopotentials)")
    # the summary of the material scripts (summary.py) reads results.h5 and draws a PNG
    if ! /usr/bin/python3 -c "import h5py, numpy, matplotlib" >/dev/null 2>&1; then
        missing+=("python3-h5py python3-matplotlib (the summary)")
        pkgs+=(python3-h5py python3-numpy python3-matplotlib)
    fi
    if [[ ${#missing[@]} -gt 0 ]]; then
        qe_log "missing: ${missing[*]} -> installing Debian packages: ${pkgs[*]}"
        [[ $(id -u) -eq 0 ]] || qe_die "need root to install: apt-get update && apt-get install -y ${pkgs[*]}"
        apt-get update || qe_die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" || qe_die "apt-get install ${pkgs[*]} failed"
        for exe in pw.x ph.x epw.x mpirun; do
            command -v "$exe" >/dev/null 2>&1 || qe_die "$exe still not found after installing ${pkgs[*]}"
        done
    fi
    qe_log "pw.x=$(command -v pw.x) ph.x=$(command -v ph.x) epw.x=$(command -v epw.x) mpirun=$(command -v mpirun)"
    qe_log "quantum-espresso $(dpkg-query -W -f='${Version}' quantum-espresso 2>/dev/null || echo '?'), $(mpirun --version 2>/dev/null | head -n1)"
}

# qe_pseudo PPDIR NAME [HINT]: copy (gunzip) pseudopotential NAME from quantum-espresso-data
# into PPDIR, preferring a copy whose path contains HINT (e.g. the EPW example it comes with).
qe_pseudo() {
    local ppdir=$1 upf=$2 hint=${3:-} src=""
    local re="/${upf//./\\.}(\\.gz)?\$"
    [[ -z "$hint" ]] || src=$(dpkg -L quantum-espresso-data | grep -E "$re" | grep -i "$hint" | head -n1 || true)
    [[ -n "$src" ]] || src=$(dpkg -L quantum-espresso-data | grep -E "$re" | head -n1 || true)
    [[ -n "$src" && -f "$src" ]] || qe_die "pseudopotential $upf not found in 'dpkg -L quantum-espresso-data'"
    case "$src" in
        *.gz) gzip -dc "$src" > "$ppdir/$upf" ;;
        *)    cp "$src" "$ppdir/$upf" ;;
    esac
    [[ -s "$ppdir/$upf" ]] || qe_die "could not copy $src to $ppdir/$upf"
    qe_log "pseudopotential $ppdir/$upf  (from $src)"
}

# qe_run LABEL LOGBASE SUCCESS_REGEX POOLS EXE INPUT: in RUNDIR,
#   [nice] mpirun -np NP EXE [-npool POOLS] -input INPUT > LOGBASE.out 2> LOGBASE.err
# stops the script, naming the step and its files, on a non-zero exit or a missing SUCCESS_REGEX.
qe_run() {
    local label=$1 base=$2 ok_re=$3 pools=$4 exe=$5 input=$6
    local cmd=() ncores
    [[ $NICE -eq 0 ]] || cmd+=(nice -n "$NICE")
    ncores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || echo 1)
    cmd+=(mpirun -np "$NP")
    [[ $NP -le $ncores ]] || cmd+=(--oversubscribe)
    cmd+=("$exe")
    [[ -z "$pools" ]] || cmd+=(-npool "$pools")
    cmd+=(-input "$input")
    QE_STEP=$((QE_STEP + 1))
    qe_log "step $QE_STEP/$QE_NSTEPS $label: ${cmd[*]} > $base.out"
    [[ $SETUP_ONLY -eq 1 ]] && return 0
    local t0=$EPOCHREALTIME rc=0
    (cd "$RUNDIR" && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "${cmd[@]}" > "$base.out" 2> "$base.err") || rc=$?
    local dt; dt=$(qe_elapsed "$t0" "$EPOCHREALTIME")
    printf "%-12s rc=%d wall_s=%s  cmd: %s\n" "$label" "$rc" "$dt" "${cmd[*]}" >> "$RUNDIR/timings.txt"
    if [[ $rc -ne 0 ]]; then
        tail -n 15 "$RUNDIR/$base.out" >&2 || true
        [[ ! -f "$RUNDIR/CRASH" ]] || { echo "--- CRASH:" >&2; tail -n 15 "$RUNDIR/CRASH" >&2; }
        qe_die "step '$label' failed (exit code $rc after ${dt} s); see $RUNDIR/$base.out and $RUNDIR/$base.err"
    fi
    if ! grep -Eq "$ok_re" "$RUNDIR/$base.out"; then
        tail -n 15 "$RUNDIR/$base.out" >&2 || true
        qe_die "step '$label' did not finish normally (no '$ok_re' in the output); see $RUNDIR/$base.out and $RUNDIR/$base.err"
    fi
    qe_log "step $QE_STEP/$QE_NSTEPS $label done: wall ${dt} s"
}

# qe_collect_ph PREFIX: EPW's pp.py in bash, in RUNDIR: copy ph.x's results into save/ with
# EPW's names (PREFIX.dyn<i> -> save/PREFIX.dyn_q<i>; _ph0/PREFIX.dvscf1 and
# _ph0/PREFIX.q_<i>/PREFIX.dvscf1 -> save/PREFIX.dvscf_q<i>; _ph0/PREFIX.phsave -> save/),
# the number of irreducible q read from line 2 of PREFIX.dyn0.
qe_collect_ph() {
    local prefix=$1
    QE_STEP=$((QE_STEP + 1))
    qe_log "step $QE_STEP/$QE_NSTEPS collect: ph.x output -> save/ (EPW pp.py equivalent) > collect.out"
    [[ $SETUP_ONLY -eq 1 ]] && return 0
    local t0=$EPOCHREALTIME
    (
        cd "$RUNDIR" || exit 1
        [[ -f $prefix.dyn0 ]] || { echo "missing $prefix.dyn0"; exit 1; }
        nq=$(sed -n 2p "$prefix.dyn0" | tr -d '[:space:]')
        [[ "$nq" =~ ^[1-9][0-9]*$ ]] || { echo "cannot read the number of irreducible q from line 2 of $prefix.dyn0"; exit 1; }
        echo "irreducible q points: $nq"
        [[ -d _ph0/$prefix.phsave ]] || { echo "missing _ph0/$prefix.phsave"; exit 1; }
        rm -rf save && mkdir save || exit 1
        cp -r "_ph0/$prefix.phsave" save/ || exit 1
        for ((iq = 1; iq <= nq; iq++)); do
            [[ -f $prefix.dyn$iq ]] || { echo "missing $prefix.dyn$iq"; exit 1; }
            cp "$prefix.dyn$iq" "save/$prefix.dyn_q$iq" || exit 1
            if [[ $iq -eq 1 ]]; then src=_ph0/$prefix.dvscf1; else src=_ph0/$prefix.q_$iq/$prefix.dvscf1; fi
            [[ -s $src ]] || { echo "missing $src"; exit 1; }
            cp "$src" "save/$prefix.dvscf_q$iq" || exit 1
            echo "$prefix.dyn$iq, $src -> save/"
            # like pp.py: drop the per-q wavefunctions (not needed any more)
            if [[ $iq -gt 1 ]]; then rm -f "_ph0/$prefix.q_$iq/"*wfc*; fi
        done
    ) > "$RUNDIR/collect.out" 2>&1 || qe_die "step 'collect' failed; see $RUNDIR/collect.out"
    local dt; dt=$(qe_elapsed "$t0" "$EPOCHREALTIME")
    printf "%-12s rc=%d wall_s=%s  cmd: %s\n" "collect" 0 "$dt" "qe_collect_ph (pp.py equivalent)" >> "$RUNDIR/timings.txt"
    qe_log "step $QE_STEP/$QE_NSTEPS collect done: wall ${dt} s"
}

# qe_prepare_w PREFIX: a fresh outdir RUNDIR/w/ holding the scf's charge density and XML (the
# nscf for W reads them and writes its own wavefunctions there, leaving EPW's save folder alone).
qe_prepare_w() {
    local prefix=$1
    [[ $SETUP_ONLY -eq 1 ]] && return 0
    [[ -f "$RUNDIR/$prefix.save/charge-density.dat" ]] || qe_die "$RUNDIR/$prefix.save/charge-density.dat missing: run the scf first"
    rm -rf "$RUNDIR/w" && mkdir -p "$RUNDIR/w/$prefix.save" || qe_die "cannot make $RUNDIR/w/"
    cp "$RUNDIR/$prefix.save/charge-density.dat" "$RUNDIR/$prefix.save/data-file-schema.xml" "$RUNDIR/w/$prefix.save/" ||
        qe_die "cannot copy the scf's charge density into $RUNDIR/w/"
}

# qe_agape DECK NAME: AGAPE (AGAPE_BIN, NP ranks) on a copy of DECK in WORKDIR/NAME/ whose
# paths "@RUN@/" point into WORKDIR; its log is WORKDIR/NAME/agape.log
qe_agape() {
    local deck=$1 name=$2 dir=$WORKDIR/$2
    QE_STEP=$((QE_STEP + 1))
    qe_log "step $QE_STEP/$QE_NSTEPS agape $name: mpirun -np $NP agape run $dir/deck.in > $dir/agape.log"
    [[ $SETUP_ONLY -eq 1 ]] && return 0
    mkdir -p "$dir" || qe_die "cannot make $dir"
    sed "s|@RUN@/|$WORKDIR/|g" "$deck" > "$dir/deck.in" || qe_die "cannot write $dir/deck.in"
    local t0=$EPOCHREALTIME rc=0
    (cd "$dir" && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 mpirun -np "$NP" "$AGAPE_BIN" run deck.in > agape.log 2>&1) || rc=$?
    local dt; dt=$(qe_elapsed "$t0" "$EPOCHREALTIME")
    printf "%-12s rc=%d wall_s=%s  cmd: %s\n" "agape-$name" "$rc" "$dt" "mpirun -np $NP agape run $dir/deck.in" >> "$RUNDIR/timings.txt"
    [[ $rc -eq 0 ]] || { tail -n 15 "$dir/agape.log" >&2; qe_die "agape on $dir/deck.in failed (exit $rc); see $dir/agape.log"; }
    qe_log "step $QE_STEP/$QE_NSTEPS agape $name done: wall ${dt} s; $(grep -E '^agape: Tc = ' "$dir/agape.log" | tail -n1 | sed 's/^agape: //')"
}

# qe_find_agape SCRIPT_DIR: AGAPE_BIN = agape on PATH, else the repository's build/agape
qe_find_agape() {
    AGAPE_BIN=$(command -v agape || true)
    [[ -n "$AGAPE_BIN" ]] || AGAPE_BIN=$(cd "$1/../.." && pwd)/build/agape
    [[ -x "$AGAPE_BIN" ]] || qe_die "no agape on PATH and no $AGAPE_BIN: build AGAPE first: scripts/agape-setup build"
    qe_log "agape=$AGAPE_BIN"
}
