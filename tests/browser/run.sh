#!/usr/bin/env bash
# CTest's browser_classify: a real blinkd on free loopback ports with a
# temporary state folder, fed a short simulated night by blink-sim, then the
# volunteers' page driven in headless chromium (classify.test.mjs). blinkd is
# always stopped at the end.
#
#   bash tests/browser/run.sh BINARY_DIR [SCREENSHOT]
#
# BINARY_DIR holds daemon/blinkd and tools/blink-sim. The screenshot defaults
# to BINARY_DIR/tests/browser_classify.png. Exit 77 (CTest: skipped) when node,
# chromium or playwright-core is missing (tools/install-deps.sh installs them).
# BLINK_BROWSER_KEEP=1 keeps the temporary folder (config, logs) for a look.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BINARY_DIR [SCREENSHOT]" >&2; exit 2; }
bin=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
screenshot=${2:-$bin/tests/browser_classify.png}
blinkd=$bin/daemon/blinkd
sim=$bin/tools/blink-sim
chromium=${BLINK_CHROMIUM:-/usr/bin/chromium}
# The simulated night: one field, a reference and three epochs of 1024^2,
# enough for well over the 15 review candidates the test needs (checked below).
min_review=15
sim_args=(--seed 7 --fields 1 --epochs 3 --size 1024)
expected_exposures=4

skip() { echo "browser_classify: SKIPPED: $*" >&2; exit 77; }
command -v node >/dev/null || skip "node is not installed (bash tools/install-deps.sh)"
[ -x "$chromium" ] || skip "$chromium is not installed (bash tools/install-deps.sh)"
[ -d "$here/node_modules/playwright-core" ] || skip "playwright-core is not installed (npm ci --prefix tests/browser)"
for b in "$blinkd" "$sim"; do [ -x "$b" ] || { echo "browser_classify: FAIL: $b is not built" >&2; exit 1; }; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/blink-browser.XXXXXX")
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
    tail -n 40 "$tmp/blinkd.log" >&2 || true
  fi
  if [ "${BLINK_BROWSER_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "browser_classify: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "browser_classify: FAIL: $*" >&2; exit 1; }

# Ports from the suite's shared counter, below the ephemeral range (tests/free_port.py).
read -r ingest alerts http metrics < <(python3 "$here/../free_port.py" "$bin" 4)
base=http://127.0.0.1:$http

# Routing: the default thresholds (0.8 / 0.2) leave only ~3 of this night's
# ~65 candidates for review (the first score is sharply bimodal), so almost
# everything between "surely an artefact" and certainty goes to review: about
# 25 candidates, real transients and a few artefacts.
cat >"$tmp/blink.toml" <<EOF
[ingest]
endpoint = "tcp://127.0.0.1:$ingest"
[alerts]
endpoint = "tcp://127.0.0.1:$alerts"
[http]
listen = "127.0.0.1:$http"
[metrics]
listen = "127.0.0.1:$metrics"
[state]
dir = "$tmp/state"
[routing]
alert_threshold = 1.0
archive_threshold = 0.01
EOF

"$blinkd" --config "$tmp/blink.toml" >"$tmp/blinkd.log" 2>&1 &
daemon_pid=$!

# get PATH: the body of a 200 answer, or nothing.
get() { curl -sf --max-time 5 "$base$1" 2>/dev/null || true; }
# json EXPRESSION: evaluates EXPRESSION on the JSON from stdin as `j` (node).
json() { node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
                   let j; try { j = JSON.parse(s); } catch (e) { process.exit(1); }
                   console.log(eval(process.argv[1])); });' "$1"; }

for _ in $(seq 1 300); do
  [ "$(get /readyz)" != "" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || die "blinkd exited during start-up"
  sleep 0.1
done
[ "$(get /readyz)" != "" ] || die "blinkd was not ready within 30 s"

echo "browser_classify: streaming blink-sim ${sim_args[*]}"
"$sim" "${sim_args[@]}" --endpoint "tcp://127.0.0.1:$ingest" --quiet >"$tmp/sim.log" 2>&1 ||
  die "blink-sim failed: $(tail -n 5 "$tmp/sim.log")"

done_ok=0
for _ in $(seq 1 1800); do
  if get /api/v1/status | json 'j.exposures.processed + j.exposures.rejected >= '"$expected_exposures"' &&
                                j.queue_depth === 0 && j.in_flight === 0' 2>/dev/null | grep -q true; then
    done_ok=1; break
  fi
  kill -0 "$daemon_pid" 2>/dev/null || die "blinkd exited while processing"
  sleep 0.1
done
[ "$done_ok" = 1 ] || die "blinkd did not process the $expected_exposures exposures within 180 s: $(get /api/v1/status)"
processed=$(get /api/v1/status | json 'j.exposures.processed')
[ "$processed" -ge "$expected_exposures" ] ||
  die "only $processed of $expected_exposures exposures were processed: $(get /api/v1/status)"

review=$(get "/api/v1/candidates?route=review&limit=500" | json 'j.candidates.length' || echo 0)
echo "browser_classify: $processed exposures processed, $review candidates on the review route"
[ "${review:-0}" -ge "$min_review" ] ||
  die "only ${review:-0} candidates on the review route (need $min_review); adjust [routing] or the simulated night"

mkdir -p "$(dirname "$screenshot")"
BLINK_CHROMIUM=$chromium node "$here/classify.test.mjs" --base-url "$base" --screenshot "$screenshot"
