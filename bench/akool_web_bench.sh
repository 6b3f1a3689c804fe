#!/usr/bin/env bash
# Benchmark: the most common delivery, an Akool 4K render (3840x2160 H.264 + AAC, no matte) to the
# 1080p `web` preset, `avpost transcode --deliver web` against the ffmpeg command that does the same
# (scale to 1920x1080, libx264 crf 20 medium high, audio copied), alternating in one run, median of
# N. Beside them, the two floors no tool can beat: decoding the 4K video alone, and encoding the
# already-scaled 1080p frames alone (from a raw file). Reports wall time, peak resident memory and
# CPU time, and avpost's own share: its CPU time beyond decode + encode, as a share of the encoder's.
# Usage: bash bench/akool_web_bench.sh [RUNS]   (run after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
avpost=${AVPOST_BIN:-build/tools/avpost}
work=${AVPOST_BENCH_DIR:-build/bench-media}
mkdir -p "$work"
ff=(ffmpeg -hide_banner -loglevel error -y)
source bench/bench_common.sh

command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)" >&2; exit 1; }
make_inputs 3840 2160 ${AVPOST_BENCH_SECONDS_4K:-4}
a="$work/avatar_3840x2160.mp4" out="$work/akool_web"
mkdir -p "$out/avpost"
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$a")
# The encoder's input, made once outside the timing: the 1080p frames as avpost's web sink gets them.
raw="$out/scaled_1080p.y4m"
[ -f "$raw" ] || "${ff[@]}" -i "$a" -vf scale=1920:1080 -pix_fmt yuv420p "$raw"
x264=(-c:v libx264 -crf 20 -preset medium -profile:v high -colorspace bt709 -color_primaries bt709 -color_trc bt709)
q="-hide_banner -nostdin -loglevel error -y"
compare_alternately \
  decode "ffmpeg $q -i '$a' -map 0:v -f null -" \
  encode "ffmpeg $q -i '$raw' ${x264[*]} -f mp4 /dev/null" \
  ffmpeg "ffmpeg $q -i '$a' -vf scale=1920:1080 ${x264[*]} -c:a copy -movflags +faststart '$out/ffmpeg.mp4'" \
  avpost "'$avpost' --quiet transcode '$a' -o '$out/avpost' --deliver web"

echo "Akool 4K render -> 1080p web, $frames frames, median of $runs alternating runs, $(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg)"
printf '  %-34s %7.3f s %5d MB %6.2f s CPU\n' \
  "decode floor (4K decode alone)" "$TIME_decode" "$RSS_decode" "$CPU_decode" \
  "encoder floor (1080p x264 alone)" "$TIME_encode" "$RSS_encode" "$CPU_encode" \
  "ffmpeg scale + x264" "$TIME_ffmpeg" "$RSS_ffmpeg" "$CPU_ffmpeg" \
  "avpost transcode --deliver web" "$TIME_avpost" "$RSS_avpost" "$CPU_avpost"
printf '  avpost: %.2fx ffmpeg; own CPU beyond decode + encode: %.2f s = %.0f%% of the encoder'"'"'s (ffmpeg: %.0f%%)\n' \
  "$(echo "$TIME_ffmpeg / $TIME_avpost" | bc -l)" \
  "$(echo "$CPU_avpost - $CPU_decode - $CPU_encode" | bc -l)" \
  "$(echo "100 * ($CPU_avpost - $CPU_decode - $CPU_encode) / $CPU_encode" | bc -l)" \
  "$(echo "100 * ($CPU_ffmpeg - $CPU_decode - $CPU_encode) / $CPU_encode" | bc -l)"
if [ "${AVPOST_BENCH_CHECK:-1}" = 1 ]; then
  ffmpeg -hide_banner -nostdin -i "$out/avpost/$(basename "$a" .mp4)-web.mp4" -i "$out/ffmpeg.mp4" -an -lavfi psnr -f null - 2>&1 |
    sed -n 's/.*PSNR \(.*\)/  same output check (avpost vs ffmpeg, PSNR dB): \1/p'
fi
