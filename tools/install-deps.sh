#!/usr/bin/env bash
# Installs everything Blink needs to build, run and test, from Debian packages only.
# Idempotent: safe to run again; apt-get skips what is already present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libzmq3-dev cppzmq-dev
  libcfitsio-dev libcfitsio-bin
  libeigen3-dev
  prometheus-cpp-dev libcivetweb-dev
  catch2
  libfftw3-dev
  wcslib-dev
  libsqlite3-dev sqlite3 libssl-dev
  libpng-dev  # daemon/png_writer: the cutout PNGs the volunteers' page shows
  libavro-dev  # daemon/alert_avro, blink-listen: alert packets in Avro (ZTF's alert format)
  libtomlplusplus-dev
  nlohmann-json3-dev
  libcli11-dev
  libxgboost-dev  # scoring/: the real/bogus model (gradient-boosted trees); blink-train
  libsystemd-dev systemd
  dpkg-dev  # cpack -G DEB: dpkg-shlibdeps works out the package's Depends
  # prometheus and promtool for tests/test_prometheus.cc. The tests run their own
  # server on a free loopback port and never use the package's service (port
  # 9090, started on install unless policy-rc.d forbids it, as in Docker images).
  prometheus
  curl python3
  fitsh  # ficonv: the reference subtraction blink-bench compares against
  clang-14 libclang-rt-14-dev  # tools/fuzz.sh: libFuzzer and the sanitizer runtimes
  # tests/browser: the volunteers' page in headless chromium (driven by
  # playwright-core from npm, below, with the machine's Node.js).
  chromium
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already present"
else
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The browser test's one npm dependency, playwright-core, exactly as
# tests/browser/package-lock.json pins it; again only when that lock changed.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ "$browser_dir/node_modules/.package-lock.json" -nt "$browser_dir/package-lock.json" ]; then
  echo "install-deps: tests/browser's npm packages already present"
elif ! command -v npm >/dev/null; then
  echo "install-deps: npm not found: tests/browser (CTest browser_classify) will be skipped" >&2
else
  echo "install-deps: npm ci --prefix tests/browser"
  npm ci --prefix "$browser_dir" --no-audit --no-fund --loglevel=error
fi
