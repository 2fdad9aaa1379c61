#!/usr/bin/env bash
# End-to-end latency at survey cadence (issue 6's goal: p95 <= 5 s, exposure in
# to candidates out, for 4096x4096 exposures at one every 30 s on 2 cores).
# Starts a fresh blinkd, streams a simulated night paced at --interval (every
# exposure rendered before the first is sent, so that the simulator does not
# share the CPU with blinkd), then prints the latency percentiles twice: from
# blinkd's own histogram (blink_exposure_duration_seconds, as Prometheus's
# histogram_quantile would) and exactly, from its per-exposure log lines; with
# the mean of every stage, blinkd's CPU use and peak memory. Writes OUT/latency.svg
# (one bar per exposure against the budget) and OUT/latency.json. Builds nothing.
#
#   bash bench/latency.sh BUILD_DIR [--size 4096] [--fields 2] [--epochs 6]
#                         [--interval 30] [--workers 2] [--threads 0 (auto)] [--seed 1] [--out DIR]
#   bash bench/latency.sh build-release        # the issue's figure: about 8 minutes
#   bash bench/latency.sh build --size 1024 --interval 5 --epochs 3   # a quick look
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [--size N] [--fields N] [--epochs N] [--interval S] [--workers N] [--threads N] [--seed N] [--out DIR]" >&2; exit 2; }
bin=$(cd "$1" && pwd); shift
root=$(cd "$(dirname "$0")/.." && pwd)
size=4096 fields=2 epochs=6 interval=30 workers=2 threads=0 seed=1 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2 ;; --fields) fields=$2 ;; --epochs) epochs=$2 ;;
    --interval) interval=$2 ;; --workers) workers=$2 ;; --threads) threads=$2 ;;
    --seed) seed=$2 ;; --out) out=$2 ;;
    *) echo "latency.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
for b in "$bin/daemon/blinkd" "$bin/tools/blink-sim"; do
  [ -x "$b" ] || { echo "latency.sh: $b is not built" >&2; exit 1; }
done
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/blink-latency.XXXXXX")
mkdir -p "$out"
echo "latency.sh: state, logs and figures in $out" >&2

source "$root/bench/start_blinkd.sh"
start_blinkd "$bin" "$out" "[pipeline]
workers = $workers
threads_per_exposure = $threads"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }

total=$(( fields * (epochs + 1) ))
echo "latency.sh: rendering $total exposures of ${size}x${size} ($fields fields, $epochs epochs), then sending one every ${interval} s"
"$bin/tools/blink-sim" --seed "$seed" --fields "$fields" --epochs "$epochs" --size "$size" \
  --interval "$interval" --render-ahead --endpoint "tcp://127.0.0.1:$ingest" \
  --truth "$out/truth.csv" 2>&1 | while IFS= read -r line; do
    case $line in
      rendered*) printf '\r  %s          ' "$line" ;;
      \[*) printf '\r  sent %s\n' "$line" ;;
    esac
  done
echo
science=$(( fields * epochs ))
for _ in $(seq 1200); do
  done_n=$(grep -c 'kind=science.*latency_ms=' "$out/blinkd.log" || true)
  [ "$done_n" -ge "$science" ] && break
  printf '\r  waiting: %s of %s science exposures published' "$done_n" "$science"
  sleep 0.5
done
echo
curl -sf "http://127.0.0.1:$metrics/metrics" > "$out/metrics.txt"
hwm_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$daemon/status")
cpu_s=$(awk -v a="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", a / hz }')
python3 "$root/bench/latency_report.py" --log "$out/blinkd.log" --metrics "$out/metrics.txt" \
  --out "$out" --budget 5 --interval "$interval" --size "$size" --workers "$workers" --threads "$threads" \
  --peak-rss-kib "$hwm_kib" --cpu-seconds "$cpu_s"
