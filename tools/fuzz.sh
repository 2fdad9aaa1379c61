#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz with clang into build-fuzz/ and runs
# each for SECONDS (default 20, what CI runs) from its seed corpus in
# tests/fuzz/corpus/<target>/. Fails on the first crash, leak, timeout or
# sanitizer report; the input that caused it is left in build-fuzz/findings/.
# Longer runs: tools/fuzz.sh 600 (new interesting inputs go to build-fuzz/corpus/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
bash tools/install-deps.sh
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DBLINK_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j2
mkdir -p build-fuzz/findings
status=0
for target in fuzz_envelope fuzz_fits fuzz_http_query fuzz_request_bodies; do
  name="${target#fuzz_}"
  work="build-fuzz/corpus/$name"
  mkdir -p "$work"
  echo "fuzz.sh: $target for ${seconds}s"
  # The seed corpus is read-only; what the run discovers goes to $work.
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$name-" \
      "$work" "tests/fuzz/corpus/$name" >"build-fuzz/$target.log" 2>&1; then
    echo "fuzz.sh: $target FAILED; see build-fuzz/$target.log and build-fuzz/findings/"
    tail -40 "build-fuzz/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "build-fuzz/$target.log" | tail -2 || true
  fi
done
exit $status
