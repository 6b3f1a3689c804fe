#!/usr/bin/env bash
# The whole test suite once more, built with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan (AVPOST_SANITIZE=ON): any memory error, leak or undefined behaviour fails the test
# it happens in. Run after scripts/setup.sh (it needs the same packages and build/npm).
set -euo pipefail
cd "$(dirname "$0")/.."

# -O1 -g1: about half the compile time of -O2 -g, with line numbers in every report.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAVPOST_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build build-asan --parallel "$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1
# Leaks inside libx264/libx265 themselves (see the file) are not ours: only those are suppressed.
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)"
