#!/usr/bin/env bash
# Benchmark: `avpost compose -o null` against the best ffmpeg CLI graph for the same work,
# and against decoding its two inputs alone (the floor), in the same run, alternating, at 1080p and
# 3840x2160. Prints median wall times, peak resident memory (/usr/bin/time %M) and the ratios.
# Usage: bash bench/compose_bench.sh [RUNS]   (run after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
avpost=${AVPOST_BIN:-build/tools/avpost}
work=${AVPOST_BENCH_DIR:-build/bench-media}
mkdir -p "$work"
ff=(ffmpeg -hide_banner -loglevel error -y)

source bench/bench_common.sh

bench_size() {  # WIDTH HEIGHT SECONDS
  local tag="$1x$2"
  make_inputs "$@"
  local a="$work/avatar_$tag.mp4" m="$work/mask_$tag.mp4" b="$work/bg_$tag.png"
  local frames=$(( $3 * 25 ))
  # The ffmpeg graph the issue names, with the background converted and decoded once, in the
  # matrix HD output uses (format=yuv420p alone would convert the RGB picture with BT.601).
  local graph="[2:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,loop=loop=-1:size=1:start=0[bg];[1:v]format=gray[m];[0:v][m]alphamerge[f];[bg][f]overlay=shortest=1:format=yuv420"
  # The decode floor: decoding the avatar and the mask alone, which compositing cannot beat.
  local q="-hide_banner -nostdin -loglevel error"
  compare_alternately \
    floor "ffmpeg $q -i '$a' -i '$m' -map 0:v -map 1:v -f null -" \
    ffmpeg "ffmpeg $q -i '$a' -i '$m' -i '$b' -filter_complex '$graph' -an -f null -" \
    avpost "'$avpost' compose --quiet --video '$a' --mask '$m' --background '$b' -o null"
  printf '%-10s %4d frames  median of %d, alternating\n' "$tag" "$frames" "$runs"
  printf '           decode floor %7.3f s %5d MB | ffmpeg graph %7.3f s %5d MB | avpost %7.3f s %5d MB\n' \
    "$TIME_floor" "$RSS_floor" "$TIME_ffmpeg" "$RSS_ffmpeg" "$TIME_avpost" "$RSS_avpost"
  printf '           avpost: %.2fx the ffmpeg graph, %.2fx the decode floor (1.00 = as fast as decoding alone)\n' \
    "$(echo "$TIME_ffmpeg / $TIME_avpost" | bc -l)" "$(echo "$TIME_avpost / $TIME_floor" | bc -l)"
  # Equal output: both results, losslessly encoded, compared with ffmpeg's psnr filter.
  if [ "${AVPOST_BENCH_CHECK:-1}" = 1 ]; then
    "${ff[@]}" -i "$a" -i "$m" -i "$b" -filter_complex "$graph" -an -c:v ffv1 "$work/ffmpeg_$tag.mkv"
    "$avpost" compose --quiet --video "$a" --mask "$m" --background "$b" --vcodec ffv1 -o "$work/avpost_$tag.mkv" >/dev/null
    ffmpeg -hide_banner -nostdin -i "$work/avpost_$tag.mkv" -i "$work/ffmpeg_$tag.mkv" -an -lavfi psnr -f null - 2>&1 |
      sed -n 's/.*PSNR \(.*\)/           equal output check (avpost vs ffmpeg, PSNR dB): \1/p'
    rm -f "$work/ffmpeg_$tag.mkv" "$work/avpost_$tag.mkv"
  fi
}

command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)" >&2; exit 1; }
echo "compose benchmark, median of $runs alternating runs, $(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg)"
bench_size 1920 1080 ${AVPOST_BENCH_SECONDS_HD:-10}
[ "${AVPOST_BENCH_4K:-1}" = 1 ] && bench_size 3840 2160 ${AVPOST_BENCH_SECONDS_4K:-4}
