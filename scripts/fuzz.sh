#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (build-fuzz, AVPOST_FUZZ=ON: ASan and
# UBSan too) and fuzzes each for a bounded time, starting from its committed corpus
# tests/fuzz/corpus/TARGET. Inputs the run finds go to build-fuzz/corpus/TARGET; a crash, leak,
# timeout or memory blow-up is saved in build-fuzz/findings/TARGET/ and fails the script. Fix the
# bug, then commit that input to tests/fuzz/corpus/TARGET: the fuzz_replay_TARGET tests run it in
# every build from then on.
#   FUZZ_SECONDS=30 (each target)   FUZZ_TARGETS="job_file ..." (default: all)
#   FUZZ_BUILD=build-asan: fuzz from scripts/sanitize.sh's build (clang, AVPOST_FUZZ=ON too), as
#   CI does, instead of configuring build-fuzz and compiling the libraries again.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-30}
read -r -a targets <<<"${FUZZ_TARGETS:-job_file scene_json vendor_reply akool_webhook media_probe}"
build=${FUZZ_BUILD:-build-fuzz}

if [ -z "${FUZZ_BUILD:-}" ]; then
  # -O1 -g1 (as scripts/sanitize.sh): the libraries build in far less time than at -O2 -g;
  # reports keep their line numbers.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAVPOST_FUZZ=ON \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
elif ! grep -q '^AVPOST_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "fuzz: $build is not a build with AVPOST_FUZZ=ON (run scripts/sanitize.sh first)" >&2
  exit 1
fi
echo "fuzz: building ${targets[*]} in $build (log: $build/fuzz-build.log)" >&2
if ! cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}" >"$build"/fuzz-build.log 2>&1; then
  echo "fuzz: the build failed; its errors:" >&2
  grep -E "error|FAILED" "$build"/fuzz-build.log | head -n 40 >&2
  exit 1
fi

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for target in "${targets[@]}"; do
  found=$build/corpus/$target
  findings=$build/findings/$target
  mkdir -p "$found" "$findings"
  # The JSON dictionary helps every target but the media one.
  dict=(-dict=tests/fuzz/json.dict)
  [ "$target" = media_probe ] && dict=()
  echo "fuzz: $target for ${seconds}s" >&2
  # -timeout: one input taking longer is a finding (a hang); -rss_limit_mb: so is a blow-up.
  if ! "$build"/tests/fuzz/fuzz_"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      "${dict[@]}" -artifact_prefix="$findings/" -print_final_stats=1 \
      "$found" tests/fuzz/corpus/"$target" 2>"$build"/fuzz-"$target".log; then
    tail -n 60 "$build"/fuzz-"$target".log >&2
    failed+=("$target")
  else
    grep -E '^stat::number_of_executed_units|^stat::new_units_added|^stat::peak_rss_mb' \
      "$build"/fuzz-"$target".log | tr '\n' ' ' >&2
    echo >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]} (inputs in $build/findings/)" >&2
  exit 1
fi
