#!/bin/sh
# Run one test in its own temporary folder and remove the folder afterwards, whatever the
# test's outcome (also on SIGTERM or SIGINT):
#   tests/with_tmpdir.sh NAME COMMAND [ARGS...]
# The folder is $TMPDIR/agape-NAME.XXXXXX (TMPDIR unset: /tmp). The test sees it as TMPDIR
# (so mpirun's session folders, mkdtemp and Python's tempfile land in it) and as
# AGAPE_TEST_TMPDIR (tests/agapetest.py works in it directly); Open MPI's shared-memory
# segments (vader_segment.*, in /dev/shm by default) go there too, so that a rank the test
# kills on purpose leaves none behind. With AGAPE_KEEP_TMP=1 it is kept and its path
# printed. The exit status is the test's.
name=${1:?usage: with_tmpdir.sh NAME COMMAND [ARGS...]}
shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/agape-$name.XXXXXX") || exit 2
cleanup() {
  if [ "${AGAPE_KEEP_TMP:-}" = 1 ]; then
    echo "AGAPE_KEEP_TMP=1: the temporaries of $name are kept in $dir"
  else
    rm -rf "$dir"
  fi
}
TMPDIR=$dir AGAPE_TEST_TMPDIR=$dir OMPI_MCA_btl_vader_backing_directory=$dir
export TMPDIR AGAPE_TEST_TMPDIR OMPI_MCA_btl_vader_backing_directory
"$@" &
pid=$!
# (a background job of a non-interactive shell ignores SIGINT: pass both on as SIGTERM)
trap 'kill -TERM $pid 2>/dev/null; wait $pid; cleanup; exit 143' TERM
trap 'kill -TERM $pid 2>/dev/null; wait $pid; cleanup; exit 130' INT
wait $pid
rc=$?
cleanup
exit $rc
