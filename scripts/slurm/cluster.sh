#!/usr/bin/env bash
# One-node Slurm cluster on this machine, for tests and users.
#
#   scripts/slurm/cluster.sh start    start munged, slurmctld and slurmd; wait until the node is idle
#   scripts/slurm/cluster.sh stop     cancel all jobs, stop the daemons this script started
#   scripts/slurm/cluster.sh status   print whether the cluster is up (exit 0 up, 1 down)
#   scripts/slurm/cluster.sh env      print `export SLURM_CONF=...` (use: eval "$(cluster.sh env)")
#
# Everything lives under a state directory, default /tmp/voxnas-slurm (override: VOXNAS_SLURM_DIR):
#   etc/slurm.conf   generated config (the client tools find it through SLURM_CONF)
#   munge/           private munged socket, pid file and log
#   state/ spool/    slurmctld StateSaveLocation, slurmd SlurmdSpoolDir
#   run/ log/        pid files and daemon logs
# Nothing is written to /etc except /etc/munge/munge.key when it is missing.
# Other settings: VOXNAS_SLURM_START_TIMEOUT (seconds, default 60),
#                 VOXNAS_SLURM_CRED_EXPIRE (seconds a requeued job waits, default 10, minimum 5).
# See scripts/slurm/README.md.
set -euo pipefail

PROG=cluster.sh
PATH=$PATH:/usr/sbin:/sbin
D=${VOXNAS_SLURM_DIR:-/tmp/voxnas-slurm}
START_TIMEOUT=${VOXNAS_SLURM_START_TIMEOUT:-60}
CRED_EXPIRE=${VOXNAS_SLURM_CRED_EXPIRE:-10}
PKGS="slurmd slurmctld slurm-client munge"
APT_HINT="apt-get install -y $PKGS (or scripts/slurm/install.sh)"

refuse() { # one line, exit 2
  echo "$PROG: $*" >&2
  exit 2
}

case "$D" in
  /*) ;;
  *) refuse "VOXNAS_SLURM_DIR must be an absolute path (got '$D')" ;;
esac
case "$D" in
  *[[:space:]]*) refuse "VOXNAS_SLURM_DIR must not contain whitespace (slurm.conf paths cannot): '$D'" ;;
esac
D=${D%/}
[[ $START_TIMEOUT =~ ^[0-9]+$ ]] || refuse "VOXNAS_SLURM_START_TIMEOUT must be a number of seconds (got '$START_TIMEOUT')"
[[ $CRED_EXPIRE =~ ^[0-9]+$ ]] && [ "$CRED_EXPIRE" -ge 5 ] ||
  refuse "VOXNAS_SLURM_CRED_EXPIRE must be a number of seconds >= 5 (Slurm rejects less; got '$CRED_EXPIRE')"

CONF=$D/etc/slurm.conf
MUNGE_DIR=$D/munge
MUNGE_SOCKET=$MUNGE_DIR/munge.socket.2
MUNGE_PID=$MUNGE_DIR/munged.pid
MUNGE_LOG=$MUNGE_DIR/munged.log
MUNGE_KEY=/etc/munge/munge.key
CTLD_PID=$D/run/slurmctld.pid
SLURMD_PID=$D/run/slurmd.pid
CTLD_LOG=$D/log/slurmctld.log
SLURMD_LOG=$D/log/slurmd.log
LOGS="$CTLD_LOG $SLURMD_LOG $MUNGE_LOG"

NODE=${HOSTNAME%%.*} # slurmd's node name: the short host name

require_packages() {
  local missing=() c
  for c in munged munge slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    refuse "slurm/munge packages missing (no ${missing[*]}): run $APT_HINT"
  fi
}

require_root() {
  [ "$(id -u)" -eq 0 ] || refuse "must run as root (slurmd/slurmctld run as root, munged as user munge); try: sudo $0 ${1:-}"
}

# pid_of FILE COMM: print the pid in FILE if that process is alive (not a zombie) and named COMM.
pid_of() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc '0-9' 2>/dev/null <"$1" || true)
  [ -n "$pid" ] && alive "$pid" "$2" || return 1
  echo "$pid"
}

clients() { SLURM_CONF=$CONF "$@"; }

ctld_up() { clients scontrol ping 2>/dev/null | grep -q 'is UP'; }

node_state() { clients sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n1; }

node_ready() {
  case "$(node_state)" in
    idle | mixed | allocated | completing) return 0 ;;
    *) return 1 ;;
  esac
}

is_up() {
  [ -f "$CONF" ] &&
    pid_of "$MUNGE_PID" munged >/dev/null &&
    pid_of "$CTLD_PID" slurmctld >/dev/null &&
    pid_of "$SLURMD_PID" slurmd >/dev/null &&
    ctld_up && node_ready
}

# Slurm daemons on this machine that were not started from this state directory.
foreign_daemons() {
  local f pid ours=" $(pid_of "$CTLD_PID" slurmctld || true) $(pid_of "$SLURMD_PID" slurmd || true) "
  for f in $(grep -lxE 'slurmctld|slurmd' /proc/[0-9]*/comm 2>/dev/null || true); do
    pid=${f#/proc/}
    pid=${pid%/comm}
    case "$ours" in *" $pid "*) continue ;; esac
    alive "$pid" "$(cat "$f" 2>/dev/null)" || continue
    echo "pid $pid: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | sed 's/ *$//')"
  done
}

lock() {
  mkdir -p "$D"
  exec 9>"$D/.lock"
  flock -w 180 9 || { echo "$PROG: another start/stop holds $D/.lock" >&2; exit 1; }
}

# alive PID COMM: PID is a live (not zombie) process named COMM.
alive() {
  local st
  [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
  st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$st" ] && [ "$st" != Z ]
}

# kill_pidfile FILE COMM [SECONDS]: SIGTERM, wait for the process (not the file: daemons remove
# their pid file before they finish exiting), SIGKILL if still there; then remove FILE.
kill_pidfile() {
  local file=$1 comm=$2 wait=${3:-10} pid i
  if pid=$(pid_of "$file" "$comm"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do
      alive "$pid" "$comm" || break
      sleep 0.1
    done
    if alive "$pid" "$comm"; then
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 20; i++)); do
        alive "$pid" "$comm" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$file"
}

# Processes of this cluster that outlive slurmd: slurmstepd (started by our slurmd, which carries
# VOXNAS_SLURM_CLUSTER in its environment) and job processes (SLURM_CONF=$CONF and SLURM_JOB_ID).
leftover_pids() {
  local f pid mine=" " a=$$
  while [ -n "$a" ] && [ "$a" -gt 1 ]; do # never this script or its ancestors
    mine+="$a "
    a=$(awk '{print $4}' "/proc/$a/stat" 2>/dev/null || true)
  done
  {
    grep -lzxF "VOXNAS_SLURM_CLUSTER=$D" /proc/[0-9]*/environ 2>/dev/null || true
    for f in $(grep -lzxF "SLURM_CONF=$CONF" /proc/[0-9]*/environ 2>/dev/null || true); do
      if grep -qz '^SLURM_JOB_ID=' "$f" 2>/dev/null; then echo "$f"; fi
    done
  } | while read -r f; do
    pid=${f#/proc/}
    pid=${pid%/environ}
    case "$mine" in *" $pid "*) continue ;; esac
    echo "$pid"
  done
}

stop_daemons() {
  local i ids left active
  # Cancel all jobs while all three daemons still run, so slurmd kills the jobs' processes.
  if pid_of "$MUNGE_PID" munged >/dev/null && pid_of "$CTLD_PID" slurmctld >/dev/null &&
    pid_of "$SLURMD_PID" slurmd >/dev/null && ctld_up; then
    ids=$(clients squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')
    if [ -n "${ids// /}" ]; then
      # shellcheck disable=SC2086
      clients scancel $ids 2>/dev/null || true
      # Jobs get SIGTERM, then SIGKILL after KillWait (30 s); wait for them while slurmd still runs.
      for ((i = 0; i < 40; i++)); do
        active=$(clients squeue -h -t RUNNING,COMPLETING,CONFIGURING,SUSPENDED -o '%A' 2>/dev/null) || break
        [ -z "$active" ] && break
        sleep 1
      done
    fi
  fi
  kill_pidfile "$SLURMD_PID" slurmd 10
  kill_pidfile "$CTLD_PID" slurmctld 10
  kill_pidfile "$MUNGE_PID" munged 10
  left=$(leftover_pids | tr '\n' ' ')
  if [ -n "${left// /}" ]; then
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      [ -z "$(leftover_pids)" ] && break
      sleep 0.1
    done
  fi
}

# write_conf FILE: generate slurm.conf into FILE.
write_conf() {
  local out=$1 mem_kib mem_mib margin real_mem topo="" hw ctld_host node_addr=""
  mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  mem_mib=$((mem_kib / 1024))
  # Leave a margin: slurmd drains a node whose detected memory is below RealMemory.
  margin=$((mem_mib / 50 > 512 ? mem_mib / 50 : 512))
  real_mem=$((mem_mib - margin))
  [ "$real_mem" -ge 256 ] || real_mem=$((mem_mib / 2))
  local cpus
  cpus=$(nproc)
  # Use slurmd's detected socket/core/thread layout when it agrees with nproc.
  hw=$(slurmd -C 2>/dev/null | head -n1 || true)
  if [[ $hw =~ CPUs=([0-9]+)\ Boards=([0-9]+)\ SocketsPerBoard=([0-9]+)\ CoresPerSocket=([0-9]+)\ ThreadsPerCore=([0-9]+) ]] &&
    [ "${BASH_REMATCH[1]}" = "$cpus" ]; then
    topo=" Boards=${BASH_REMATCH[2]} SocketsPerBoard=${BASH_REMATCH[3]} CoresPerSocket=${BASH_REMATCH[4]} ThreadsPerCore=${BASH_REMATCH[5]}"
  fi
  ctld_host=$NODE
  if ! getent hosts "$NODE" >/dev/null 2>&1; then
    ctld_host="$NODE(127.0.0.1)"
    node_addr=" NodeAddr=127.0.0.1"
  fi
  cat >"$out" <<EOF
# Generated by scripts/slurm/cluster.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Regenerated on every start.
# One-node test cluster; see scripts/slurm/README.md for why each line is here.
ClusterName=voxnas
SlurmctldHost=$ctld_host
SlurmUser=root
SlurmdUser=root

# Authentication through a private munged (socket in the state directory). cred_expire is also
# how long a requeued job waits before it may start again (Slurm default 120 s; minimum 5).
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=$CRED_EXPIRE

# No cgroups: processes are tracked through /proc, tasks are not bound.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none

# Cores and memory are both consumable; a job without --mem gets DefMemPerCPU per CPU
# (without it a job would take the whole node's memory and jobs would run one at a time).
# Memory is used for scheduling only, not enforced.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024

# Batch jobs may be requeued (scontrol requeue) unless submitted with --no-requeue.
JobRequeue=1
# Keep finished jobs visible to scontrol show job for an hour (default 300 s).
MinJobAge=3600
# Main scheduling loop every 2 s (default 60 s) so a requeued job restarts soon after its
# BeginTime (now + cred_expire + 1) passes.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
# A node that was DOWN (e.g. after an unclean stop) returns to service when slurmd registers.
ReturnToService=2
MailProg=/bin/true

# No accounting: sacct does not work; use squeue and scontrol show job.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none

StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG

NodeName=$NODE${node_addr} CPUs=$cpus${topo} RealMemory=$real_mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

ensure_munge_key() {
  if [ ! -s "$MUNGE_KEY" ]; then
    mkdir -p "$(dirname "$MUNGE_KEY")"
    chown munge:munge "$(dirname "$MUNGE_KEY")"
    chmod 700 "$(dirname "$MUNGE_KEY")"
    (umask 077 && dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none)
  fi
  chown munge:munge "$MUNGE_KEY"
  chmod 400 "$MUNGE_KEY"
}

fail_start() {
  echo "$PROG: $1; logs: $LOGS" >&2
  stop_daemons >/dev/null 2>&1 || true
  exit 1
}

# wait_daemon SECONDS PIDFILE COMM CMD...: poll CMD (every 0.2 s, for SECONDS of wall time) while
# the daemon COMM is alive; fail early when it has died (it gets 3 s to write its pid file).
wait_daemon() {
  local secs=$1 file=$2 comm=$3 start=$SECONDS
  shift 3
  while [ $((SECONDS - start)) -lt "$secs" ]; do
    "$@" && return 0
    if [ $((SECONDS - start)) -ge 3 ] && ! pid_of "$file" "$comm" >/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

munge_ok() { munge -S "$MUNGE_SOCKET" -n 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; }

cmd_start() {
  require_root start
  require_packages
  lock
  if is_up; then
    echo "$PROG: already running (node $NODE $(node_state)); $(cmd_env)"
    return 0
  fi

  mkdir -p "$D"/{etc,state,spool,run,log}
  chmod 755 "$D" "$D/etc" "$D/run" "$D/log"
  chmod 700 "$D/state" "$D/spool"
  mkdir -p "$MUNGE_DIR"
  chown munge:munge "$MUNGE_DIR"
  chmod 755 "$MUNGE_DIR" # munged requires the socket directory to be searchable by all
  write_conf "$CONF.new"

  # Leftovers of an earlier start. If the config is unchanged, keep the daemons that still work
  # (a crashed slurmctld is restarted without killing running jobs); otherwise stop everything.
  if [ -f "$CONF" ] && cmp -s <(grep -v '^# Generated' "$CONF") <(grep -v '^# Generated' "$CONF.new"); then
    if pid_of "$MUNGE_PID" munged >/dev/null && ! munge_ok; then kill_pidfile "$MUNGE_PID" munged; fi
    if pid_of "$CTLD_PID" slurmctld >/dev/null && munge_ok && ! ctld_up; then
      kill_pidfile "$CTLD_PID" slurmctld
    fi
  else
    stop_daemons >/dev/null 2>&1 || true
  fi
  local foreign
  foreign=$(foreign_daemons | sed 's/$/; /' | tr -d '\n')
  if [ -n "${foreign// /}" ]; then
    rm -f "$CONF.new"
    refuse "other Slurm daemons are running (${foreign%; }); stop them first (another VOXNAS_SLURM_DIR's cluster.sh stop, or the system's slurm)"
  fi
  mv "$CONF.new" "$CONF"
  ensure_munge_key

  local envs=(env "VOXNAS_SLURM_CLUSTER=$D" "SLURM_CONF=$CONF")
  # Daemons must not hold the caller's stdout/stderr (a $(cluster.sh start) would never return)
  # nor the lock on fd 9.
  if ! pid_of "$MUNGE_PID" munged >/dev/null; then
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    "${envs[@]}" runuser -u munge -- "$(command -v munged)" --socket="$MUNGE_SOCKET" --pid-file="$MUNGE_PID" \
      --log-file="$MUNGE_LOG" --seed-file="$MUNGE_DIR/munged.seed" --key-file="$MUNGE_KEY" \
      </dev/null >>"$D/log/daemons.out" 2>&1 9>&- || fail_start "munged did not start"
  fi
  wait_daemon 10 "$MUNGE_PID" munged munge_ok || fail_start "munged does not answer on $MUNGE_SOCKET"

  if ! pid_of "$CTLD_PID" slurmctld >/dev/null; then
    "${envs[@]}" setsid slurmctld -f "$CONF" </dev/null >>"$D/log/daemons.out" 2>&1 9>&- ||
      fail_start "slurmctld did not start"
  fi
  wait_daemon 20 "$CTLD_PID" slurmctld ctld_up || fail_start "slurmctld does not answer scontrol ping"

  if ! pid_of "$SLURMD_PID" slurmd >/dev/null; then
    "${envs[@]}" setsid slurmd -f "$CONF" </dev/null >>"$D/log/daemons.out" 2>&1 9>&- ||
      fail_start "slurmd did not start"
  fi

  local t0=$SECONDS resumed=0 st=""
  while [ $((SECONDS - t0)) -lt "$START_TIMEOUT" ]; do
    st=$(node_state || true)
    case "$st" in
      idle | mixed | allocated | completing) break ;;
      down | drained | draining | drain | down\* | drained\* | fail)
        if [ "$resumed" -eq 0 ] && pid_of "$SLURMD_PID" slurmd >/dev/null; then
          clients scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
          resumed=1
        fi
        ;;
    esac
    if [ $((SECONDS - t0)) -ge 3 ] && ! pid_of "$SLURMD_PID" slurmd >/dev/null; then
      fail_start "slurmd exited (sinfo state: '${st:-none}')"
    fi
    sleep 0.2
  done
  case "$st" in
    idle | mixed | allocated | completing) ;;
    *) fail_start "node $NODE not idle after ${START_TIMEOUT}s (sinfo state: '${st:-none}')" ;;
  esac
  echo "$PROG: started (node $NODE $st, partition debug); $(cmd_env)"
}

cmd_stop() {
  require_root stop
  require_packages
  if [ ! -d "$D/run" ] && [ ! -d "$MUNGE_DIR" ]; then
    echo "$PROG: not running (no state in $D)"
    return 0
  fi
  lock
  stop_daemons
  echo "$PROG: stopped (state and logs kept in $D)"
}

cmd_status() {
  require_packages
  if is_up; then
    echo "up: node $NODE $(node_state), partition debug, SLURM_CONF=$CONF"
    return 0
  fi
  local line="down:" p name st=""
  for p in "munged:$MUNGE_PID" "slurmctld:$CTLD_PID" "slurmd:$SLURMD_PID"; do
    name=${p%%:*}
    if pid_of "${p#*:}" "$name" >/dev/null; then line+=" $name running,"; else line+=" $name not running,"; fi
  done
  if pid_of "$CTLD_PID" slurmctld >/dev/null; then st=$(node_state || true); fi
  echo "$line node state '${st:-unknown}' (state dir $D)"
  return 1
}

cmd_env() { echo "export SLURM_CONF=$CONF"; }

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    echo "usage: $PROG start|stop|status|env   (state dir: \$VOXNAS_SLURM_DIR, default /tmp/voxnas-slurm)" >&2
    exit 2
    ;;
esac
