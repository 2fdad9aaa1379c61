#!/usr/bin/env bash
# Builds Blink and its tests with AddressSanitizer and UndefinedBehaviorSanitizer
# (Debug, BLINK_SANITIZE=ON) into build-asan/ and runs the CTest suite there.
# Any sanitizer report fails the run. Only what the tests run is built (not the
# benchmarks), and the two tests that exercise no new code under the
# sanitizers are left to the plain build: the Debian package (cpack) and the
# browser test (chromium drives the same API the unit tests cover).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
# -O1: at -O0 the image tests and the end-to-end night take several times longer.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBLINK_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG="-g -O1"
cmake --build build-asan -j"$(nproc)" --target blink_tests blinkd blink-sim blinkctl
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Leak checking stays on; the fast unwinder keeps it affordable.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=1
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan-suppressions.txt:print_suppressions=0"
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" --timeout 1800 \
  -E '^(package: |browser_classify$)'
