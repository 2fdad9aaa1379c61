#!/usr/bin/env bash
# Blink's main job on its embedded defaults: build, start blinkd, stream a
# simulated survey night into it, print a one-screen summary, and keep the
# daemon running (page and metrics live) until Ctrl-C.
#
#   bash tools/demo.sh                 # 2 fields x 4 epochs of 2048x2048
#   BLINK_DEMO_EXIT=1 bash tools/demo.sh   # stop after the summary
#   BLINK_DEMO_ARGS="--fields 1 --epochs 2 --size 1024" bash tools/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash tools/install-deps.sh
echo "== building (Release) =="
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc)" --target blinkd blink-sim 2>&1 | grep -E "error|warning|Built target" || true

state=./blink-state
# A previous demo's state would make every simulated exposure a duplicate.
if [ -f "$state/.blink-demo" ]; then
  echo "== removing the previous demo's state in $state =="
  rm -rf "$state"
elif [ -d "$state" ]; then
  echo "demo: $state exists and was not made by this demo; move it away first" >&2
  exit 1
fi
mkdir -p "$state" && touch "$state/.blink-demo"

log="$state/blinkd.log"
echo "== starting blinkd on its defaults (log: $log) =="
build-release/daemon/blinkd >"$log" 2>&1 &
daemon=$!
cleanup() { kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
for _ in $(seq 1 100); do
  curl -sf http://127.0.0.1:8080/readyz >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || { echo "blinkd exited:"; cat "$log"; exit 1; }
  sleep 0.2
done
curl -sf http://127.0.0.1:8080/readyz >/dev/null || { echo "blinkd did not become ready"; cat "$log"; exit 1; }

args=${BLINK_DEMO_ARGS:---fields 2 --epochs 4 --size 2048}
echo "== streaming a simulated night: blink-sim --seed 1 $args =="
start=$(date +%s.%N)
# shellcheck disable=SC2086
build-release/tools/blink-sim --seed 1 $args --truth "$state/truth.csv"

metric() {  # metric NAME [LABEL-FILTER]: sum of matching samples
  curl -sf http://127.0.0.1:9464/metrics | awk -v m="$1" -v f="${2:-}" \
    'index($0, m) == 1 && (substr($0, length(m)+1, 1) == "{" || substr($0, length(m)+1, 1) == " ") && index($0, f) { s += $NF } END { printf "%g", s + 0 }'
}
echo "== waiting for blinkd to finish the night =="
received=$(metric blink_exposures_received_total)
for _ in $(seq 1 600); do
  done_n=$(( $(metric blink_exposures_processed_total | cut -d. -f1) + $(metric blink_exposures_rejected_total | cut -d. -f1) ))
  [ "$done_n" -ge "${received%.*}" ] && break
  sleep 0.5
  received=$(metric blink_exposures_received_total)
done
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

echo
echo "================ Blink demo summary ================"
printf "exposures received   %s (processed %s, rejected %s)\n" "$(metric blink_exposures_received_total)" \
  "$(metric blink_exposures_processed_total)" "$(metric blink_exposures_rejected_total)"
printf "candidates           alert %s   review %s   rejected %s\n" "$(metric blink_candidates_total route=\"alert\")" \
  "$(metric blink_candidates_total route=\"review\")" "$(metric blink_candidates_total route=\"rejected\")"
echo "mean time per stage (s):"
curl -sf http://127.0.0.1:9464/metrics | awk '
  /^blink_stage_duration_seconds_sum/ { match($0, /stage="[^"]*"/); st = substr($0, RSTART+7, RLENGTH-8); sum[st] = $NF }
  /^blink_stage_duration_seconds_count/ { match($0, /stage="[^"]*"/); st = substr($0, RSTART+7, RLENGTH-8); cnt[st] = $NF }
  END { for (s in sum) if (cnt[s] > 0) printf "  %-14s %.3f\n", s, sum[s] / cnt[s] }' | sort
printf "wall time for the night  %s s\n" "$elapsed"
echo "truth of what was injected: $state/truth.csv"
printf "injected fakes       %s recovered of %s\n" "$(metric blink_fakes_recovered_total)" "$(metric blink_fakes_injected_total)"
printf "review queue         %s candidates waiting for volunteers\n" "$(metric blink_review_queue_depth)"
echo "volunteers  http://127.0.0.1:8080/   (sign up and classify)"
echo "report      http://127.0.0.1:8080/reports/night"
echo "status      http://127.0.0.1:8080/status.html"
echo "metrics     http://127.0.0.1:9464/metrics"
echo "alerts      tcp://127.0.0.1:5556 (ZeroMQ SUB, topic candidate.)"
echo "===================================================="
if [ -n "${BLINK_DEMO_EXIT:-}" ]; then exit 0; fi
echo "blinkd keeps running; press Ctrl-C to stop it."
wait "$daemon"
