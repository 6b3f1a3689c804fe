#!/usr/bin/env bash
# Benchmark: what keying costs. `avpost compose -o null` of a render on a green backdrop, with the
# vendor-style matte (--mask) and with the matte pulled from the backdrop (--key #00B140, --key
# auto), and ffmpeg's chromakey for the same work, in the same run. Prints wall times (best of N),
# the keying overhead against --mask, and peak memory.
# Usage: bash bench/key_bench.sh [RUNS]   (run after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
avpost=build/tools/avpost
work=${AVPOST_BENCH_DIR:-build/bench-media}
mkdir -p "$work"
ff=(ffmpeg -hide_banner -loglevel error -y)

source bench/bench_common.sh

peak_mb() {  # peak resident memory of "$@" in MB
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1 / 1024}'
}

bench_size() {  # WIDTH HEIGHT SECONDS
  local tag="$1x$2"
  make_inputs "$@"
  local a="$work/avatar_$tag.mp4" m="$work/mask_$tag.mp4" b="$work/bg_$tag.png"
  local frames=$(( $3 * 25 ))
  local graph="[1:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,loop=loop=-1:size=1:start=0[bg];[0:v]chromakey=color=0x00B140:similarity=0.12:blend=0.06[fg];[bg][fg]overlay=shortest=1:format=yuv420"
  local t_mask t_key t_auto t_ff
  t_mask=$(best_of "$avpost" compose --quiet --video "$a" --mask "$m" --background "$b" -o null)
  t_key=$(best_of "$avpost" compose --quiet --video "$a" --key '#00B140' --background "$b" -o null)
  t_auto=$(best_of "$avpost" compose --quiet --video "$a" --key auto --background "$b" -o null)
  t_ff=$(best_of ffmpeg -hide_banner -nostdin -i "$a" -i "$b" -filter_complex "$graph" -an -f null -)
  printf '%-10s %4d frames  --mask %6.3f s  --key %6.3f s (+%.0f%%)  --key auto %6.3f s (+%.0f%%)  ffmpeg chromakey %6.3f s\n' \
    "$tag" "$frames" "$t_mask" "$t_key" "$(echo "($t_key / $t_mask - 1) * 100" | bc -l)" \
    "$t_auto" "$(echo "($t_auto / $t_mask - 1) * 100" | bc -l)" "$t_ff"
  printf '%-10s peak memory: --mask %s MB, --key %s MB, ffmpeg chromakey %s MB\n' "$tag" \
    "$(peak_mb "$avpost" compose --quiet --video "$a" --mask "$m" --background "$b" -o null)" \
    "$(peak_mb "$avpost" compose --quiet --video "$a" --key '#00B140' --background "$b" -o null)" \
    "$(peak_mb ffmpeg -hide_banner -nostdin -i "$a" -i "$b" -filter_complex "$graph" -an -f null -)"
}

command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "key benchmark, best of $runs runs, $(nproc) cores"
bench_size 1920 1080 ${AVPOST_BENCH_SECONDS_HD:-6}
bench_size 3840 2160 ${AVPOST_BENCH_SECONDS_4K:-4}
