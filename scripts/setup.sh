#!/usr/bin/env bash
# Installs the Debian 12 packages avpost needs and builds it. Idempotent: re-running only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config ninja-build
  libavcodec-dev libavformat-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
  libopencv-dev libcurl4-openssl-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libsqlite3-dev libssl-dev libcli11-dev bc libcpp-httplib-dev ffmpeg openssl
  python3-botocore
  chromium  # the gallery's browser test (headless)
  python3-jsonschema  # tests/cli/json_outputs_test.py: every --json output against docs/json/
  groff-base man-db   # tests/cli: the generated avpost.1 renders without warnings
  libpq-dev postgresql  # the PostgreSQL catalog (libpq) and its tests' throwaway server (initdb, pg_ctl)
  libebur128-dev libass-dev libfontconfig-dev fonts-dejavu-core  # --loudness metering; captions and text layers (libass, fontconfig)
  fonts-noto-cjk  # text layers and burned captions in Chinese, Japanese and Korean
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer and the sanitizer runtimes
  prometheus-cpp-dev  # /metrics: counters, gauges, histograms, the text format (its core library)
  prometheus  # promtool: the /metrics tests check the scraped text with `promtool check metrics`
  systemd  # systemd-analyze: tests/install/systemd_test.sh checks the units the .deb ships
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test servers and independent clients from npm, installed into the build tree (not globally); only
# the npm registry is contacted: s3rver (an S3-compatible server for the archive's S3 tests),
# standardwebhooks (a receiver that verifies avpost's completion webhooks as any Standard Webhooks
# library would), openapi-backend and @seriousme/openapi-schema-validator (a client that checks
# every answer of the HTTP job API against docs/openapi.json, and the document itself).
npm_test_packages=(s3rver@3 standardwebhooks@1 openapi-backend@5 @seriousme/openapi-schema-validator@2)
install_npm_test_packages() {
  if [ -f build/npm/node_modules/s3rver/bin/s3rver.js ] && [ -d build/npm/node_modules/standardwebhooks ] &&
     [ -d build/npm/node_modules/openapi-backend ] && [ -d build/npm/node_modules/@seriousme/openapi-schema-validator ]; then
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "setup: installing nodejs npm (for the test servers and clients)" >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "setup: npm install ${npm_test_packages[*]} into build/npm" >&2
  mkdir -p build/npm
  npm install --silent --no-audit --no-fund --prefix build/npm "${npm_test_packages[@]}" >/dev/null
}
install_npm_test_packages
python3 scripts/fix_s3rver_put.py build/npm/node_modules/s3rver

# The build's own output goes to build/setup-build.log; a person sees one line per tenth of it.
mkdir -p build
echo "setup: configuring build/" >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >build/setup-configure.log 2>&1 ||
  { cat build/setup-configure.log >&2; exit 1; }
echo "setup: building with $(nproc) jobs (log: build/setup-build.log)" >&2
set +e
cmake --build build --parallel "$(nproc)" 2>&1 | tee build/setup-build.log |
  awk '/^\[[0-9]+\/[0-9]+\]/ { s = $1; gsub(/[][]/, "", s); split(s, n, "/"); step = int(10 * n[1] / n[2]);
        if (step > shown) { shown = step; printf "setup: built %d%% (%s steps)\n", 10 * step, n[1] "/" n[2] > "/dev/stderr" } }'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "setup: the build failed; its errors:" >&2
  grep -E "error|FAILED" build/setup-build.log | head -n 40 >&2
  exit "$status"
fi
warnings=$(grep -c "warning:" build/setup-build.log || true)
echo "setup: build done ($warnings compiler warnings, see build/setup-build.log)" >&2
