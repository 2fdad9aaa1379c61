#!/usr/bin/env bash
# The volunteer API under load: a real blinkd on free loopback ports with a
# temporary state folder, filled with review subjects by a simulated night
# from blink-sim, then bench/api_load's virtual volunteers against it. Prints
# api_load's figures and blinkd's CPU use during the run; blinkd is always
# stopped at the end. Builds nothing.
#
#   bash bench/api_load.sh BUILD_DIR [api_load options...]
#   bash bench/api_load.sh build-load --volunteers 200 --seconds 30 --think-ms 0
#
# BUILD_DIR holds daemon/blinkd, tools/blink-sim and bench/api_load.
# BLINK_LOAD_SIM="..." replaces blink-sim's arguments (seed, fields, ...);
# BLINK_LOAD_MIN_SUBJECTS (default 500) is the fewest review subjects to run with;
# BLINK_LOAD_KEEP=1 keeps the temporary folder (config, logs, database).
# Figures are only comparable on the same machine: the generator and blinkd
# share its cores (both CPU uses are printed).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [api_load options...]" >&2; exit 2; }
bin=$(cd "$1" && pwd)
shift
blinkd=$bin/daemon/blinkd
sim=$bin/tools/blink-sim
load=$bin/bench/api_load
for b in "$blinkd" "$sim" "$load"; do
  [ -x "$b" ] || { echo "api_load.sh: $b is not built" >&2; exit 1; }
done
# Two fields, a reference and 6 epochs each of 1024^2 with 4x the transients:
# with the routing below, about 600 subjects (candidates, fakes, artefacts).
read -r -a sim_args <<<"${BLINK_LOAD_SIM:---seed 11 --fields 2 --epochs 6 --size 1024 --transient-density 4}"
min_subjects=${BLINK_LOAD_MIN_SUBJECTS:-500}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/blink-load.XXXXXX")
daemon_pid=""
cleanup() {
  local rc=$?
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$tmp/blinkd.log" ]; then
    echo "---- last lines of blinkd's log ($tmp/blinkd.log) ----" >&2
    tail -n 20 "$tmp/blinkd.log" >&2 || true
  fi
  if [ "${BLINK_LOAD_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "api_load.sh: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "api_load.sh: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ingest=$(free_port); alerts=$(free_port); http=$(free_port); metrics=$(free_port)
base=http://127.0.0.1:$http

# Nearly every candidate goes to review (alert only at 0.999, nothing
# archived), and no subject retires for lack of votes while the load runs.
# Every virtual volunteer comes from 127.0.0.1, so the request rate limits
# are set far above the load (the limiter still runs, and is measured, but
# never refuses) and sign-ups are not limited (their burst is 5). Logging at "warning": one info line per vote would measure the log.
cat >"$tmp/blink.toml" <<EOF
[ingest]
endpoint = "tcp://127.0.0.1:$ingest"
[alerts]
endpoint = "tcp://127.0.0.1:$alerts"
[http]
listen = "127.0.0.1:$http"
rate_limit_per_address = 1000000.0
rate_limit_per_volunteer = 1000000.0
signups_per_address_per_hour = 0.0
[metrics]
listen = "127.0.0.1:$metrics"
[state]
dir = "$tmp/state"
[routing]
alert_threshold = 0.999
archive_threshold = 0.0
[review]
max_votes = 1000
[log]
level = "warning"
EOF

"$blinkd" --config "$tmp/blink.toml" >"$tmp/blinkd.log" 2>&1 &
daemon_pid=$!

get() { curl -sf --max-time 5 "$base$1" 2>/dev/null || true; }
# json EXPRESSION: EXPRESSION (Python, the JSON from stdin as `j`), printed.
json() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

for _ in $(seq 1 300); do
  [ -n "$(get /readyz)" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || die "blinkd exited during start-up"
  sleep 0.1
done
[ -n "$(get /readyz)" ] || die "blinkd was not ready within 30 s"

echo "api_load.sh: streaming blink-sim ${sim_args[*]}" >&2
t0=$(date +%s)
"$sim" "${sim_args[@]}" --endpoint "tcp://127.0.0.1:$ingest" --quiet >"$tmp/sim.log" 2>&1 ||
  die "blink-sim failed: $(tail -n 5 "$tmp/sim.log")"
# Idle: everything blink-sim sent is received, processed or rejected, and nothing waits.
idle='j["exposures"]["received"] > 0 and j["exposures"]["processed"] + j["exposures"]["rejected"] >= j["exposures"]["received"] and j["queue_depth"] == 0 and j["in_flight"] == 0'
for _ in $(seq 1 3600); do
  [ "$(get /api/v1/status | json "$idle" 2>/dev/null)" = True ] && break
  kill -0 "$daemon_pid" 2>/dev/null || die "blinkd exited while processing"
  sleep 0.2
done
[ "$(get /api/v1/status | json "$idle" 2>/dev/null)" = True ] ||
  die "blinkd did not finish processing within 12 minutes: $(get /api/v1/status)"
status=$(get /api/v1/status)
subjects=$(sqlite3 "$tmp/state/blink.db" \
  "SELECT COUNT(*) || ' subjects (' || SUM(training) || ' training)' FROM subjects WHERE state = 'open'" 2>/dev/null ||
  echo "?")
echo "api_load.sh: processed in $(( $(date +%s) - t0 )) s: $(echo "$status" | json 'j["exposures"]') ; open: $subjects" >&2
n_subjects=${subjects%% *}
[ "$n_subjects" = "?" ] || [ "$n_subjects" -ge "$min_subjects" ] ||
  die "only $n_subjects review subjects (want $min_subjects): raise BLINK_LOAD_SIM's --epochs or --transient-density"

# blinkd's CPU seconds (user + system) so far, from /proc.
cpu_of_blinkd() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$daemon_pid/stat"
}
cpu0=$(cpu_of_blinkd); w0=$(date +%s.%N)
"$load" --url "$base" "$@"
cpu1=$(cpu_of_blinkd); w1=$(date +%s.%N)
awk -v c0="$cpu0" -v c1="$cpu1" -v w0="$w0" -v w1="$w1" -v n="$(nproc)" 'BEGIN {
  printf "blinkd CPU during sign-up and run: %.1f s over %.1f s wall = %.0f%% of %d cores\n",
         c1 - c0, w1 - w0, 100 * (c1 - c0) / ((w1 - w0) * n), n }'
echo "review subjects at the start: $subjects; blinkd's open file descriptors now: $(ls /proc/$daemon_pid/fd | wc -l)"
