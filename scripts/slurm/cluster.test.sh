#!/usr/bin/env bash
# Checks scripts/slurm/cluster.sh and the Slurm behaviour the experiment runner relies on, with real
# jobs on a real one-node cluster (see README.md, "Facts for the experiment runner").
# Needs root and the Debian packages (scripts/slurm/install.sh). Takes about a minute.
# Uses its own state directory (VOXNAS_SLURM_DIR, default /tmp/voxnas-slurm-test) and stops the
# cluster at the end. Prints one line "N passed, N failed"; exits 1 if anything failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER=$HERE/cluster.sh
export VOXNAS_SLURM_DIR=${VOXNAS_SLURM_DIR:-/tmp/voxnas-slurm-test}
export SLURM_CONF=$VOXNAS_SLURM_DIR/etc/slurm.conf
PATH=$PATH:/usr/sbin:/sbin

PASS=0
FAIL=0
T0=$SECONDS
ok() {
  PASS=$((PASS + 1))
  echo "ok   [$((SECONDS - T0))s] $1"
}
bad() {
  FAIL=$((FAIL + 1))
  echo "FAIL [$((SECONDS - T0))s] $1${2:+: $2}"
}
check() { # check NAME CMD...: pass when CMD succeeds
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name" "${DETAIL:-}"; fi
  DETAIL=
}
finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
  exit $?
}

TMP=$(mktemp -d /tmp/voxnas-slurm-test-work.XXXXXX)
chmod 755 "$TMP"
RUN="$TMP/run dir with spaces"
mkdir -p "$RUN"
cleanup() {
  "$CLUSTER" stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- helpers -----------------------------------------------------------------------------------
# field JOB KEY: KEY's value in the first line of `scontrol show job -o JOB` (values without spaces)
field() { scontrol show job -o "$1" 2>/dev/null | head -n1 | grep -oE "(^| )$2=[^ ]*" | head -n1 | sed "s/^ *$2=//"; }
# states JOB: every JobState of JOB (one per array task), sorted and joined with commas
states() { scontrol show job -o "$1" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | sed 's/JobState=//' | sort | paste -sd, -; }
# wait_until SECONDS CMD...: poll CMD every 0.5 s
wait_until() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 2; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  return 1
}
state_is() { [ "$(states "$1")" = "$2" ]; }
script() { # script NAME BODY: write an executable batch script into $TMP
  printf '#!/bin/bash\n%s\n' "$2" >"$TMP/$1"
  chmod +x "$TMP/$1"
}

# --- refusals ------------------------------------------------------------------------------------
cp "$CLUSTER" "$TMP/cluster-copy.sh"
chmod 755 "$TMP/cluster-copy.sh"
out=$(runuser -u nobody -- /bin/bash "$TMP/cluster-copy.sh" start 2>&1)
rc=$?
check "not root: start exits 2 with one line ($out)" test "$rc" -eq 2 -a "$(printf '%s\n' "$out" | wc -l)" -eq 1
mkdir -p "$TMP/fakebin"
ln -s "$(command -v id)" "$TMP/fakebin/id"
out=$(PATH=$TMP/fakebin /bin/bash "$CLUSTER" start 2>&1)
rc=$?
check "packages missing: start exits 2 with one line naming apt-get ($out)" \
  test "$rc" -eq 2 -a "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a -n "$(grep -o 'apt-get install' <<<"$out")"

# --- start / status / env ----------------------------------------------------------------------
out=$("$CLUSTER" start 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
  bad "start" "exit $rc: $out"
  finish
fi
ok "start ($out)"
check "sinfo shows the node idle" test "$(sinfo -h -o '%T' | head -n1)" = idle
out=$("$CLUSTER" start 2>&1)
check "start again leaves the running cluster alone ($out)" grep -q 'already running' <<<"$out"
check "status exits 0 and says up" bash -c '"$1" status | grep -q "^up:"' _ "$CLUSTER"
check "env prints export SLURM_CONF=$SLURM_CONF" test "$("$CLUSTER" env)" = "export SLURM_CONF=$SLURM_CONF"
if [ ! -e /etc/slurm/slurm.conf ]; then
  check "clients find the cluster through SLURM_CONF only (no /etc/slurm/slurm.conf)" \
    bash -c '! env -u SLURM_CONF sinfo >/dev/null 2>&1'
fi
for knob in 'JobRequeue=1' 'MinJobAge=3600' 'SchedulerParameters=sched_interval=2' 'cred_expire=10' \
  'SelectTypeParameters=CR_Core_Memory' 'PartitionName=debug .*Default=YES MaxTime=INFINITE'; do
  check "slurm.conf has $knob" grep -qE "$knob" "$SLURM_CONF"
done

# --- arrays, afterok, output paths with spaces ---------------------------------------------------
script ok.sh 'echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID job $SLURM_JOB_ID"; sleep 2; touch "$1/done_$SLURM_ARRAY_TASK_ID"'
script after.sh 'ls "$1" | grep -c "^done_" > "$1/after_saw"; echo "SLURM_CONF=$SLURM_CONF"'
A=$(sbatch --parsable --array=0-2 --output="$RUN/%A_%a.log" "$TMP/ok.sh" "$RUN")
B=$(sbatch --parsable --dependency=afterok:"$A" --output="$RUN/after_%j.log" "$TMP/after.sh" "$RUN")
check "sbatch --parsable prints a bare job id for an array ($A)" grep -qE '^[0-9]+$' <<<"$A"
check "dependent job is PENDING with Reason=Dependency while the array runs" \
  test "$(squeue -h -j "$B" -o '%T %r')" = "PENDING Dependency"

script fail1.sh 'echo "task $SLURM_ARRAY_TASK_ID"; sleep 1; [ "$SLURM_ARRAY_TASK_ID" != 1 ]'
script never.sh 'echo ran > "$1"'
F=$(sbatch --parsable --array=0-2 --output="$RUN/%A_%a.log" "$TMP/fail1.sh")
G=$(sbatch --parsable --dependency=afterok:"$F" --output=/dev/null "$TMP/never.sh" "$RUN/G_ran")
H=$(sbatch --parsable --dependency=afterok:"$F" --kill-on-invalid-dep=yes --output=/dev/null "$TMP/never.sh" "$RUN/H_ran")

if wait_until 60 state_is "$A" COMPLETED,COMPLETED,COMPLETED; then
  ok "array 0-2: scontrol show job -o $A lists 3 tasks, all COMPLETED"
else
  bad "array 0-2 completes" "states: $(states "$A")"
fi
check "array wrote 3 logs into a path with spaces (%A_%a)" \
  test -s "$RUN/${A}_0.log" -a -s "$RUN/${A}_1.log" -a -s "$RUN/${A}_2.log"
check "array task log content" grep -q "^task 1 of $A job " "$RUN/${A}_1.log"
if wait_until 30 state_is "$B" COMPLETED; then
  check "afterok:<array id> waited for all 3 tasks" test "$(cat "$RUN/after_saw" 2>/dev/null)" = 3
else
  bad "afterok dependent completes" "state $(states "$B")"
fi
check "job environment has SLURM_CONF" grep -q "^SLURM_CONF=$SLURM_CONF$" "$RUN/after_$B.log"

if wait_until 60 state_is "$F" COMPLETED,COMPLETED,FAILED; then
  ok "failing array task: states COMPLETED,COMPLETED,FAILED"
else
  bad "failing array task" "states: $(states "$F")"
fi
check "failed task has ExitCode=1:0 Reason=NonZeroExitCode" \
  test "$(scontrol show job -o "${F}_1" | grep -oE 'Reason=[^ ]+|ExitCode=[^ ]+' | paste -sd' ' -)" = "Reason=NonZeroExitCode ExitCode=1:0"
if wait_until 20 state_is "$H" CANCELLED; then
  check "--kill-on-invalid-dep=yes dependent: CANCELLED, Reason=DependencyNeverSatisfied, never ran" \
    test "$(field "$H" Reason)" = DependencyNeverSatisfied -a ! -e "$RUN/H_ran"
else
  bad "--kill-on-invalid-dep=yes dependent is cancelled" "state $(states "$H")"
fi
sleep 3
check "dependent without --kill-on-invalid-dep stays PENDING (DependencyNeverSatisfied), never runs" \
  test "$(squeue -h -j "$G" -o '%T %r')" = "PENDING DependencyNeverSatisfied" -a ! -e "$RUN/G_ran"
scancel "$G"
wait_until 10 state_is "$G" CANCELLED
check "scancel of a pending job: CANCELLED" test "$(states "$G")" = CANCELLED

# --- requeue -------------------------------------------------------------------------------------
script rq.sh 'echo "start restart=${SLURM_RESTART_COUNT:-unset}"
trap "echo got SIGTERM; exit 143" TERM
sleep 300 & wait'
R=$(sbatch --parsable --requeue --open-mode=append --output="$RUN/rq_%j.log" "$TMP/rq.sh")
S=$(sbatch --parsable --requeue --output="$RUN/rq_%j.log" "$TMP/rq.sh")
wait_until 30 state_is "$R" RUNNING && wait_until 30 state_is "$S" RUNNING
check "requeue jobs are RUNNING" test "$(states "$R")/$(states "$S")" = RUNNING/RUNNING
sleep 1
t=$SECONDS
scontrol requeue "$R" && scontrol requeue "$S"
check "scontrol requeue exits 0" test $? -eq 0
sleep 0.5
st=$(squeue -h -j "$R" -o '%T %r')
case "$st" in
  "PENDING BeginTime" | COMPLETING* | REQUEUE*) ok "requeued job right after requeue: $st" ;;
  *) bad "requeued job right after requeue" "$st" ;;
esac
if wait_until 40 bash -c 'grep -q "restart=1" "$1" && grep -q "restart=1" "$2"' _ "$RUN/rq_$R.log" "$RUN/rq_$S.log"; then
  ok "requeued jobs restarted after $((SECONDS - t)) s with SLURM_RESTART_COUNT=1"
else
  bad "requeued jobs restart within 40 s" "states $(states "$R") $(states "$S")"
fi
check "scontrol show job: JobState=RUNNING Restarts=1" test "$(field "$R" JobState) $(field "$R" Restarts)" = "RUNNING 1"
check "--open-mode=append keeps the first run (SLURM_RESTART_COUNT unset, SIGTERM, Slurm's requeue line)" \
  bash -c 'grep -q "restart=unset" "$1" && grep -q "got SIGTERM" "$1" && grep -q "DUE TO JOB REQUEUE" "$1"' _ "$RUN/rq_$R.log"
check "default open mode truncates the output on restart" \
  bash -c '! grep -q "restart=unset" "$1" && grep -q "restart=1" "$1"' _ "$RUN/rq_$S.log"
scancel "$R" "$S"

script long.sh 'sleep 300'
N=$(sbatch --parsable --no-requeue --output=/dev/null "$TMP/long.sh")
wait_until 30 state_is "$N" RUNNING
out=$(scontrol requeue "$N" 2>&1)
rc=$?
check "scontrol requeue of a --no-requeue job fails ($out)" test "$rc" -ne 0
scancel "$N"

# --- exit codes, states, formats -----------------------------------------------------------------
script exit3.sh 'exit 3'
script res.sh 'echo "cpus=$SLURM_CPUS_PER_TASK mem=$SLURM_MEM_PER_NODE partition=$SLURM_JOB_PARTITION"'
X=$(sbatch --parsable --output=/dev/null "$TMP/exit3.sh")
P=$(sbatch --parsable --partition=debug --cpus-per-task=2 --mem=512M --time=0:05:00 \
  --output="$RUN/res.log" "$TMP/res.sh")
E=$(env -i PATH=/usr/bin:/bin SLURM_CONF="$SLURM_CONF" sbatch --parsable --export=NONE \
  --output="$RUN/env_none.log" --wrap 'env | sort')
wait_until 30 state_is "$N" CANCELLED
check "scancel of a running job: CANCELLED ExitCode=0:15" test "$(field "$N" JobState) $(field "$N" ExitCode)" = "CANCELLED 0:15"
wait_until 30 state_is "$X" FAILED
check "exit 3: FAILED ExitCode=3:0" test "$(field "$X" JobState) $(field "$X" ExitCode)" = "FAILED 3:0"
wait_until 30 state_is "$P" COMPLETED
check "--partition/--cpus-per-task/--mem/--time honoured" grep -q '^cpus=2 mem=512 partition=debug$' "$RUN/res.log"
wait_until 30 state_is "$E" COMPLETED
check "--export=NONE: the job still gets SLURM_CONF" grep -q "^SLURM_CONF=$SLURM_CONF$" "$RUN/env_none.log"
out=$(sbatch --parsable --mem=100000G --wrap true 2>&1)
check "--mem above RealMemory is refused at submit ($(tail -n1 <<<"$out"))" grep -q 'Requested node configuration is not available' <<<"$out"
check "squeue -h -o '%i %T' omits finished jobs" test -z "$(squeue -h -j "$X" -o '%i %T')"
check "squeue -h -t all shows finished jobs" test "$(squeue -h -t all -j "$X" -o '%i %T')" = "$X FAILED"
check "squeue -h -t all -j <array> shows tasks as <id>_<task>" \
  test "$(squeue -h -t all -j "$F" -o '%i %T' | sort | paste -sd, -)" = "${F}_0 COMPLETED,${F}_1 FAILED,${F}_2 COMPLETED"
if command -v python3 >/dev/null; then
  out=$(squeue --json | python3 -c '
import json, sys
jobs = {j["job_id"]: j for j in json.load(sys.stdin)["jobs"]}
x = jobs[int(sys.argv[1])]
print(x["job_state"], x["exit_code"], x["state_reason"])' "$X" 2>&1)
  check "squeue --json lists finished jobs; exit_code is the raw wait status ($out)" test "$out" = "FAILED 768 NonZeroExitCode"
fi
out=$(scontrol show job -o 999999 2>&1)
rc=$?
check "unknown job id: scontrol exits non-zero ($out)" test "$rc" -ne 0 -a -n "$(grep -o 'Invalid job id' <<<"$out")"

# --- stale daemons, stop -------------------------------------------------------------------------
L=$(sbatch --parsable --output=/dev/null "$TMP/long.sh")
wait_until 30 state_is "$L" RUNNING
# slurmctld saves job state at most every 5 s after a change; a job started after the last save is
# lost in a crash. Wait for a save after the job's start (or 7 s).
start=$(date -d "$(field "$L" StartTime)" +%s)
saved() {
  [ "$(stat -c %Y "$VOXNAS_SLURM_DIR/state/job_state" 2>/dev/null || echo 0)" -gt "$start" ] ||
    [ "$(date +%s)" -ge $((start + 7)) ]
}
wait_until 30 saved
kill -9 "$(cat "$VOXNAS_SLURM_DIR/run/slurmctld.pid")"
sleep 1
"$CLUSTER" status >/dev/null 2>&1
check "status exits 1 after slurmctld died" test $? -eq 1
out=$("$CLUSTER" start 2>&1)
check "start recovers from a dead slurmctld ($out)" bash -c '"$1" status | grep -q "^up:"' _ "$CLUSTER"
check "job records survive a slurmctld restart" test "$(states "$X")" = FAILED
DETAIL="state $(states "$L")"
check "a running job survives a slurmctld crash and restart" test "$(states "$L")" = RUNNING
kill -9 "$(cat "$VOXNAS_SLURM_DIR/run/slurmd.pid")" "$(cat "$VOXNAS_SLURM_DIR/munge/munged.pid")"
sleep 1
out=$("$CLUSTER" start 2>&1)
check "start recovers from dead slurmd and munged ($out)" bash -c '"$1" status | grep -q "^up:"' _ "$CLUSTER"
DETAIL="state $(states "$L")"
check "the running job survives that too" test "$(states "$L")" = RUNNING

pids="$(cat "$VOXNAS_SLURM_DIR/munge/munged.pid" "$VOXNAS_SLURM_DIR/run/slurmctld.pid" "$VOXNAS_SLURM_DIR/run/slurmd.pid" 2>/dev/null | tr '\n' ' ')"
out=$("$CLUSTER" stop 2>&1)
check "stop exits 0 ($out)" test $? -eq 0
live=""
for p in $pids; do
  st=$(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null)
  if [ -n "$st" ] && [ "$st" != Z ]; then live+=" $p($(cat "/proc/$p/comm" 2>/dev/null) $st)"; fi
done
DETAIL="still alive:$live"
check "stop leaves no daemon running (were: $pids)" test -z "$live"
left=$(grep -lzxF "VOXNAS_SLURM_CLUSTER=$VOXNAS_SLURM_DIR" /proc/[0-9]*/environ 2>/dev/null | wc -l)
check "stop leaves no slurmstepd or job process" test "$left" -eq 0 -a -z "$(grep -lzxF "SLURM_JOB_ID=$L" /proc/[0-9]*/environ 2>/dev/null)"
"$CLUSTER" status >/dev/null 2>&1
check "status exits 1 after stop" test $? -eq 1

echo "(took $((SECONDS - T0)) s)"
finish
