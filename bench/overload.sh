#!/usr/bin/env bash
# blinkd under overload (issue 7, item 2): measures sustained capacity, then
# feeds three times that rate for a minute in PULL mode and in SUB mode, each
# into a fresh blinkd; prints exposures sent / accepted / completed / shed and
# peak resident memory (VmHWM) against pipeline.max_memory_bytes, and writes
# OUT/overload.svg (memory over time) and OUT/overload.json. Exit 3 when a run
# went over the bound or did not complete what it accepted. Builds nothing.
#
#   bash bench/overload.sh BUILD_DIR [overload_bench options...]
#   bash bench/overload.sh build --size 1024 --workers 2 --seconds 60 --factor 3
#   bash bench/overload.sh build --max-memory 805306368   # a tighter bound: 768 MiB
#
# Options: --size N (1024), --workers N (2), --seconds S (60), --factor F (3),
# --capacity-seconds S (40), --capacity R (skip measuring), --max-memory BYTES
# (2 GiB), --modes pull,sub, --out DIR (a temporary folder, kept).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [overload_bench options...]" >&2; exit 2; }
bin=$(cd "$1" && pwd)
shift
for b in "$bin/daemon/blinkd" "$bin/bench/overload_bench"; do
  [ -x "$b" ] || { echo "overload.sh: $b is not built" >&2; exit 1; }
done
out=""
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = --out ]; then out=$2; shift 2; else args+=("$1"); shift; fi
done
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/blink-overload.XXXXXX")
mkdir -p "$out"
echo "overload.sh: state, logs and figures in $out" >&2
"$bin/bench/overload_bench" --blinkd "$bin/daemon/blinkd" --out "$out" "${args[@]}"
