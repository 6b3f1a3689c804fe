#!/usr/bin/env bash
# The unit and integration tests of lib, filters and pipeline (and the fuzz corpora) once more,
# built with AddressSanitizer and UndefinedBehaviorSanitizer in build-asan (AVPOST_SANITIZE=ON):
# any memory error, leak or undefined behaviour fails the test it happens in. The slow end-to-end
# tests (label e2e: whole deliveries through FFmpeg's encoders, footage, packages, a browser) are
# not built here (AVPOST_END_TO_END_TESTS=OFF); the normal build runs them. The test files and
# the CLI layer (tools/) are compiled without instrumentation (tests/ and tools/CMakeLists.txt):
# lib, filters and pipeline, which they exercise, are checked, at a third of the compile time.
# The build is clang's with the libFuzzer targets (AVPOST_FUZZ=ON: coverage feedback in the
# libraries), so scripts/fuzz.sh fuzzes from it (FUZZ_BUILD=build-asan) instead of compiling the
# libraries a second time: one instrumented build in CI, not two. Run after scripts/setup.sh (it
# needs the same packages and build/npm).
set -euo pipefail
cd "$(dirname "$0")/.."

# -O1 -g1: about half the compile time of -O2 -g, with line numbers in every report.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAVPOST_SANITIZE=ON -DAVPOST_FUZZ=ON \
  -DAVPOST_END_TO_END_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
echo "sanitize: building build-asan with $(nproc) jobs (log: build-asan/build.log)" >&2
if ! cmake --build build-asan --parallel "$(nproc)" >build-asan/build.log 2>&1; then
  echo "sanitize: the build failed; its errors:" >&2
  grep -E "error|FAILED" build-asan/build.log | head -n 40 >&2
  exit 1
fi

export ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1
# Leaks inside libx264/libx265 themselves (see the file) are not ours: only those are suppressed.
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# LeakSanitizer stops the process with ptrace to scan it; where a container forbids that, every
# test would fail on LeakSanitizer's own error. Then the suite runs without leak checks, and says so.
probe=build-asan/lsan-probe
printf 'int main() { return 0; }\n' | c++ -x c++ -fsanitize=address -o "$probe" - 
if ! "$probe" 2>build-asan/lsan-probe.log; then
  echo "sanitize: WARNING: LeakSanitizer cannot run here ($(head -n 1 build-asan/lsan-probe.log));" \
       "running without leak checks" >&2
  export ASAN_OPTIONS=detect_leaks=0:check_initialization_order=1
fi
ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)"
