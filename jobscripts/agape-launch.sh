# AGAPE launch logic for SLURM batch scripts: sourced (not run) by agape.sbatch and by the
# site scripts in sites/, after their #SBATCH lines and module loads.
#
# Inputs (environment):
#   DECK      input deck (required; or the first argument of the batch script)
#   AGAPE     the agape executable (default: agape on PATH, else $AGAPE_HOME/build/agape)
#   OUTROOT   where the per-job output folder is made (default: $SLURM_SUBMIT_DIR)
#   LAUNCHER  srun (default) or mpirun
#   AGAPE_OUTDIR  output folder (default $OUTROOT/agape-<jobid>); give an earlier job's folder
#             to continue its checkpoint in a new job
#   AGAPE_REQUEUE yes (default): when AGAPE stops on the --signal warning (exit 3, checkpoint
#             written), requeue the job; it continues with --restart in the same folder
# Result: $OUTROOT/agape-<jobid>/ with results.h5, the histograms, the deck copy and the log,
# and results.checkpoint.h5 (+ .prev) to continue from.
set -euo pipefail
DECK=${DECK:-${1:-}}
[ -n "$DECK" ] || { echo "agape job: no deck: sbatch SCRIPT DECK (or export DECK=...)" >&2; exit 2; }
[ -r "$DECK" ] || { echo "agape job: cannot read deck $DECK" >&2; exit 2; }
if [ -z "${AGAPE:-}" ]; then
  if command -v agape > /dev/null; then AGAPE=$(command -v agape)
  else AGAPE=${AGAPE_HOME:-$SLURM_SUBMIT_DIR}/build/agape; fi
fi
[ -x "$AGAPE" ] || { echo "agape job: executable $AGAPE not found (set AGAPE or AGAPE_HOME)" >&2; exit 2; }

# one OpenMP thread per allocated CPU of the task, pinned to cores; BLAS single-threaded
# (AGAPE's own loops are threaded and its BLAS calls are small)
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PLACES=cores OMP_PROC_BIND=close
export OPENBLAS_NUM_THREADS=1

OUTDIR=${AGAPE_OUTDIR:-${OUTROOT:-$SLURM_SUBMIT_DIR}/agape-$SLURM_JOB_ID}
mkdir -p "$OUTDIR"
cp "$DECK" "$OUTDIR/"
echo "agape job $SLURM_JOB_ID (start ${SLURM_RESTART_COUNT:-0}): $SLURM_NTASKS rank(s) x $OMP_NUM_THREADS thread(s)"\
     "on $SLURM_JOB_NUM_NODES node(s), deck $DECK, output $OUTDIR, $(date -u +%FT%TZ)"
# --restart continues from $OUTDIR's checkpoint if there is one (a requeued job, or
# AGAPE_OUTDIR of an earlier job), else starts from the beginning
set +e
case ${LAUNCHER:-srun} in
  srun)
    # srun does not inherit --cpus-per-task from the batch step (Slurm >= 22.05): pass it
    srun --mpi=pmix --cpus-per-task="$OMP_NUM_THREADS" --cpu-bind=cores \
         "$AGAPE" run "$DECK" --output "$OUTDIR/results.h5" --restart ;;
  mpirun)
    mpirun -np "$SLURM_NTASKS" --map-by "slot:PE=$OMP_NUM_THREADS" --bind-to core \
           -x OMP_NUM_THREADS -x OMP_PLACES -x OMP_PROC_BIND -x OPENBLAS_NUM_THREADS \
           "$AGAPE" run "$DECK" --output "$OUTDIR/results.h5" --restart ;;
  *) echo "agape job: LAUNCHER must be srun or mpirun" >&2; exit 2 ;;
esac
rc=$?
set -e
if [ $rc -eq 3 ]; then
  # stopped on SIGUSR1/SIGTERM after writing its checkpoint
  if [ "${AGAPE_REQUEUE:-yes}" = yes ] && scontrol requeue "$SLURM_JOB_ID"; then
    echo "agape job $SLURM_JOB_ID: checkpoint written, job requeued $(date -u +%FT%TZ)"
  else
    echo "agape job $SLURM_JOB_ID: checkpoint written; continue with"\
         "AGAPE_OUTDIR=$OUTDIR sbatch ... $DECK"
  fi
  exit 0
fi
if [ $rc -eq 4 ]; then
  # finished and wrote every result, but some temperature did not converge within max_iter
  # or the Tc search could not bracket Tc
  echo "agape job $SLURM_JOB_ID: done $(date -u +%FT%TZ), but something did not converge"\
       "(/gap/converged, /tc_status in $OUTDIR); results in $OUTDIR" >&2
  exit 4
fi
[ $rc -eq 0 ] || { echo "agape job $SLURM_JOB_ID: agape failed (exit $rc), see the log" >&2; exit $rc; }
echo "agape job $SLURM_JOB_ID: done $(date -u +%FT%TZ); results in $OUTDIR"
