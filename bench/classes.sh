#!/usr/bin/env bash
# Classes against the simulator's truth: streams simulated nights into a fresh
# blinkd and prints the confusion matrix (bench/classes_report.py) and the
# time blinkd spent classifying (its "classify" stage, from its metrics).
#
#   bash bench/classes.sh [BUILD_DIR] [SEEDS] [blink-sim options...]
#   bash bench/classes.sh build "5 6" --fields 2 --epochs 6 --size 1024
set -euo pipefail
build=${1:-build}; shift || true
seeds=${1:-"5 6"}; shift || true
sim_args=("$@")
[ ${#sim_args[@]} -eq 0 ] && sim_args=(--fields 2 --epochs 6 --size 1024)
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
work=$(mktemp -d /tmp/blink-classes.XXXXXX)
source "$root/bench/start_blinkd.sh"
start_blinkd "$build" "$work"
echo "classes: blinkd ready (state $work)"
: > "$work/truth.csv"
for seed in $seeds; do
  echo "classes: streaming blink-sim --seed $seed ${sim_args[*]}"
  "$build/tools/blink-sim" --seed "$seed" "${sim_args[@]}" --endpoint "tcp://127.0.0.1:$ingest" \
      --truth "$work/truth-$seed.csv" --quiet
  if [ -s "$work/truth.csv" ]; then tail -n +2 "$work/truth-$seed.csv" >> "$work/truth.csv"; else cp "$work/truth-$seed.csv" "$work/truth.csv"; fi
done
sent=$(sqlite3 "$work/state/blink.db" "SELECT COUNT(*) FROM exposures")
while :; do
  left=$(sqlite3 "$work/state/blink.db" "SELECT COUNT(*) FROM exposures WHERE state IN ('accepted','processing')")
  [ "$left" = 0 ] && break
  printf '\rclasses: %s of %s exposures still processing' "$left" "$sent"; sleep 1
done
echo
python3 "$root/bench/classes_report.py" "$work/state/blink.db" "$work/truth.csv"
curl -sf "http://127.0.0.1:$metrics/metrics" | awk '
  /^blink_stage_duration_seconds_sum\{stage="classify"\}/ { s = $NF }
  /^blink_stage_duration_seconds_count\{stage="classify"\}/ { n = $NF }
  END { if (n > 0) printf "classify stage (history, association, classes, anomaly, route): %.1f ms per exposure over %d exposures\n", 1000 * s / n, n }'
n=$(sqlite3 "$work/state/blink.db" "SELECT COUNT(*) FROM candidates")
echo "candidates: $n in $(sqlite3 "$work/state/blink.db" "SELECT COUNT(*) FROM exposures WHERE kind='science'") science exposures"
