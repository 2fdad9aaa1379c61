# Sourced by the benchmark scripts: start_blinkd BUILD_DIR DIR [EXTRA_TOML]
# starts a fresh blinkd on free loopback ports, with DIR/blink.toml (EXTRA_TOML
# appended: sections other than ingest/alerts/http/metrics/state), its state in
# DIR/state and its log in DIR/blinkd.log, and waits until it is ready. Sets
# ingest, alerts, http and metrics (ports) and daemon (its pid), and stops it
# when the script exits.
start_blinkd() {
  local build=$1 dir=$2 extra=${3:-}
  port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  ingest=$(port); alerts=$(port); http=$(port); metrics=$(port)
  cat > "$dir/blink.toml" <<TOML
[ingest]
endpoint = "tcp://127.0.0.1:$ingest"
[alerts]
endpoint = "tcp://127.0.0.1:$alerts"
[http]
listen = "127.0.0.1:$http"
[metrics]
listen = "127.0.0.1:$metrics"
[state]
dir = "$dir/state"
$extra
TOML
  "$build/daemon/blinkd" --config "$dir/blink.toml" > "$dir/blinkd.log" 2>&1 &
  daemon=$!
  trap 'kill "$daemon" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/readyz" >/dev/null && break; sleep 0.1; done
  kill -0 "$daemon" 2>/dev/null || { cat "$dir/blinkd.log" >&2; exit 1; }
}
