#!/usr/bin/env bash
# Benchmark: `avpost compose -o null` against the best ffmpeg CLI graph for the same work,
# in the same run, at 1080p and 3840x2160. Prints wall times (best of N) and the ratio.
# Usage: bash bench/compose_bench.sh [RUNS]   (run after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
avpost=build/tools/avpost
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
  local t_ff t_av
  t_ff=$(best_of ffmpeg -hide_banner -nostdin -i "$a" -i "$m" -i "$b" -filter_complex "$graph" -an -f null -)
  t_av=$(best_of "$avpost" compose --quiet --video "$a" --mask "$m" --background "$b" -o null)
  printf '%-10s %4d frames  ffmpeg %7.3f s (%6.1f fps)  avpost %7.3f s (%6.1f fps)  speed-up %.2fx\n' \
    "$tag" "$frames" "$t_ff" "$(echo "$frames / $t_ff" | bc -l)" "$t_av" "$(echo "$frames / $t_av" | bc -l)" \
    "$(echo "$t_ff / $t_av" | bc -l)"
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
echo "compose benchmark, best of $runs runs, $(nproc) cores"
bench_size 1920 1080 ${AVPOST_BENCH_SECONDS_HD:-10}
bench_size 3840 2160 ${AVPOST_BENCH_SECONDS_4K:-4}
