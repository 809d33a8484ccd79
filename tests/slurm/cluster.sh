#!/bin/bash
# A private single-node Slurm cluster for the tests (munged + slurmctld + slurmd as root),
# everything (key, sockets, config, state, logs) under DIR; nothing outside it is touched.
#   tests/slurm/cluster.sh up DIR      start; prints the SLURM_CONF to export
#   tests/slurm/cluster.sh down DIR    stop the daemons by the PIDs saved in DIR/pids
set -euo pipefail
cmd=${1:?up|down}; D=${2:?directory}
host=$(hostname -s)
case $cmd in
up)
  mkdir -p "$D"/{munge,ctld,d,log,tmp}
  chmod 755 "$D/munge"                       # munged wants a world-executable socket folder
  : > "$D/pids"
  [ -s "$D/munge/key" ] || mungekey --create --keyfile="$D/munge/key" > /dev/null
  chmod 600 "$D/munge/key"
  sock=$D/munge/socket
  munged --socket="$sock" --key-file="$D/munge/key" --pid-file="$D/munge/pid" \
         --log-file="$D/log/munged.log" --seed-file="$D/munge/seed"
  for i in $(seq 50); do [ -S "$sock" ] && [ -s "$D/munge/pid" ] && break; sleep 0.1; done
  echo "munged $(cat "$D/munge/pid")" >> "$D/pids"
  # two free TCP ports (unless given): another cluster on the machine (a second test suite, a
  # site's own Slurm) keeps its 6817/6818
  free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'; }
  SLURMCTLD_PORT=${SLURMCTLD_PORT:-$(free_port)}
  SLURMD_PORT=${SLURMD_PORT:-$(free_port)}
  while [ "$SLURMD_PORT" = "$SLURMCTLD_PORT" ]; do SLURMD_PORT=$(free_port); done
  cat > "$D/slurm.conf" <<CONF
ClusterName=agapetest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$SLURMCTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$D/ctld
SlurmdSpoolDir=$D/d
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
PlugStackConfig=$D/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
TmpFS=$D/tmp
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.log
MinJobAge=3600
$(slurmd -C | head -1) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  : > "$D/plugstack.conf"
  export SLURM_CONF=$D/slurm.conf
  slurmctld -f "$SLURM_CONF"
  for i in $(seq 100); do scontrol ping 2>/dev/null | grep -q "is UP" && break; sleep 0.1; done
  scontrol ping | grep -q "is UP" || { echo "slurmctld did not start: $D/log/slurmctld.log" >&2; exit 1; }
  echo "slurmctld $(cat "$D/slurmctld.pid")" >> "$D/pids"
  slurmd -f "$SLURM_CONF"
  for i in $(seq 50); do [ -s "$D/slurmd.pid" ] && break; sleep 0.1; done
  echo "slurmd $(cat "$D/slurmd.pid")" >> "$D/pids"
  st=
  for i in $(seq 300); do st=$(sinfo -h -n "$host" -o %T 2>/dev/null || true); [ "$st" = idle ] && break; sleep 0.1; done
  [ "$st" = idle ] || { echo "node state '$st': $D/log/slurmd.log" >&2; exit 1; }
  echo "SLURM_CONF=$SLURM_CONF"
  ;;
down)
  [ -f "$D/pids" ] || exit 0
  export SLURM_CONF=$D/slurm.conf
  jobs=$(squeue -h -o %i 2>/dev/null || true)
  [ -z "$jobs" ] || { scancel $jobs 2>/dev/null || true; sleep 1; }
  for name in slurmd slurmctld munged; do
    pid=$(awk -v n=$name '$1 == n {print $2}' "$D/pids")
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null && [ "$(ps -p "$pid" -o comm=)" = "$name" ]; then
      kill "$pid"
      for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
  done
  rm -f "$D/pids"
  ;;
*) echo "usage: cluster.sh up|down DIR" >&2; exit 2 ;;
esac
