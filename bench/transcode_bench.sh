#!/usr/bin/env bash
# Benchmark: `avpost transcode` making web + hevc + webm-alpha from one avatar + matte, against
# the single ffmpeg command that makes the same three outputs with `split`, in the same run, with
# the same encoders and settings. Prints wall times (best of N) and the ratio.
# Usage: bash bench/transcode_bench.sh [RUNS]   (run after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2}
avpost=build/tools/avpost
work=${AVPOST_BENCH_DIR:-build/bench-media}
mkdir -p "$work"
ff=(ffmpeg -hide_banner -loglevel error -y)
source bench/bench_common.sh

bench_size() {  # WIDTH HEIGHT SECONDS
  local tag="$1x$2"
  make_inputs "$@"
  local a="$work/avatar_$tag.mp4" m="$work/mask_$tag.mp4" out="$work/transcode_$tag"
  local frames
  frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$a")
  mkdir -p "$out/ffmpeg" "$out/avpost"
  # The same work as avpost: the matte expanded from limited range, alpha attached, three encodes
  # with avpost's preset settings (x264 crf 20 medium high; x265 crf 24 fast hvc1; VP9 crf 30
  # good cpu-used 4 row-mt, Opus audio).
  local graph="[1:v]format=gray,lut=y='clip((val-16)*255/219,0,255)'[m];[0:v][m]alphamerge,split=3[w][h][t];[w]format=yuv420p[wv];[h]format=yuv420p[hv];[t]format=yuva420p[tv]"
  local ffcmd=(ffmpeg -hide_banner -nostdin -y -i "$a" -i "$m" -filter_complex "$graph"
    -map "[wv]" -map 0:a -c:v libx264 -crf 20 -preset medium -profile:v high -colorspace bt709 -color_primaries bt709 -color_trc bt709 -c:a copy -movflags +faststart "$out/ffmpeg/web.mp4"
    -map "[hv]" -map 0:a -c:v libx265 -crf 24 -preset fast -x265-params log-level=error -tag:v hvc1 -c:a copy -movflags +faststart "$out/ffmpeg/hevc.mp4"
    -map "[tv]" -map 0:a -c:v libvpx-vp9 -crf 30 -b:v 0 -deadline good -cpu-used 4 -row-mt 1 -c:a libopus "$out/ffmpeg/alpha.webm")
  local t_ff t_av
  t_ff=$(best_of "${ffcmd[@]}")
  t_av=$(best_of "$avpost" --quiet transcode "$a" --mask "$m" -o "$out/avpost" --deliver web,hevc,webm-alpha)
  printf '%-10s %4d frames  ffmpeg %7.3f s (%5.1f fps)  avpost %7.3f s (%5.1f fps)  speed-up %.2fx\n' \
    "$tag" "$frames" "$t_ff" "$(echo "$frames / $t_ff" | bc -l)" "$t_av" "$(echo "$frames / $t_av" | bc -l)" \
    "$(echo "$t_ff / $t_av" | bc -l)"
  # Same output: each avpost file against ffmpeg's (luma PSNR; lossy encoders, so not infinite).
  local name
  for pair in "web.mp4:$(basename "$a" .mp4)-web.mp4" "hevc.mp4:$(basename "$a" .mp4)-hevc.mp4" "alpha.webm:$(basename "$a" .mp4).webm"; do
    name=${pair%%:*}
    ffmpeg -hide_banner -nostdin -i "$out/avpost/${pair#*:}" -i "$out/ffmpeg/$name" -an -lavfi "[0:v][1:v]psnr" -f null - 2>&1 |
      sed -n "s/.*PSNR \\(.*\\)/           $name avpost vs ffmpeg (PSNR dB): \\1/p"
  done
}

command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)" >&2; exit 1; }
echo "transcode benchmark (web + hevc + webm-alpha), best of $runs runs, $(nproc) cores"
bench_size 1920 1080 ${AVPOST_BENCH_SECONDS_HD:-4}
