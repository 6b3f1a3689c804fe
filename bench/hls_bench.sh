#!/usr/bin/env bash
# Benchmark: `avpost transcode --deliver web,hls` (a 3-rung ladder 1080/720/480 in fMP4 segments,
# whose 1080p rung is the web encode's packets) against the single ffmpeg command that makes the
# same files with `split`, the same encoders and settings, in the same run: ffmpeg encodes the
# 1080p picture twice (web and the top rung), avpost once. Runs alternate (ffmpeg, avpost, ...);
# prints the median wall time of N runs each, the ratio and the peak memory (median).
# Usage: bash bench/hls_bench.sh [RUNS]   (run after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
avpost=build/tools/avpost
work=${AVPOST_BENCH_DIR:-build/bench-media}
mkdir -p "$work"
ff=(ffmpeg -hide_banner -loglevel error -y)
source bench/bench_common.sh

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

timed() {  # prints "SECONDS KB" of one run of "$@"
  /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1
}

bench_size() {  # WIDTH HEIGHT SECONDS
  local w=$1 h=$2 tag="$1x$2"
  make_inputs "$@"
  local a="$work/avatar_$tag.mp4" out="$work/hls_$tag"
  local frames seg=4 gop=100
  frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$a")
  rm -rf "$out"; mkdir -p "$out/ffmpeg/hls" "$out/avpost"
  # avpost's settings: web x264 crf 20 medium high with keyframes every segment (g = keyint_min =
  # 4 s, scenecut and open GOPs off), BT.709, +faststart, audio copied; the 720p and 480p rungs x264
  # crf 21 veryfast high with their level and VBV cap; every rung 4 s fMP4 segments, VOD playlists.
  local web=(-c:v libx264 -crf 20 -preset medium -profile:v high -g $gop -keyint_min $gop -x264-params scenecut=0:open-gop=0
             -colorspace bt709 -color_primaries bt709 -color_trc bt709 -c:a copy)
  local hls=(-f hls -hls_time $seg -hls_playlist_type vod -hls_flags independent_segments -hls_segment_type fmp4)
  rung() {  # NAME W H LEVEL MAXRATE
    echo -map "[v$1]" -map 0:a -c:v libx264 -crf 21 -preset veryfast -profile:v high -level:v "$4" -maxrate "$5" \
      -bufsize $(( $5 * 2 )) -g $gop -keyint_min $gop -x264-params scenecut=0:open-gop=0 -colorspace bt709 \
      -color_primaries bt709 -color_trc bt709 -c:a copy "${hls[@]}" -hls_fmp4_init_filename "$1_init.mp4" \
      -hls_segment_filename "$out/ffmpeg/hls/$1_%03d.m4s" "$out/ffmpeg/hls/$1.m3u8"
  }
  local graph="[0:v]split=4[vweb][vtop][s720][s480];[s720]scale=1280:720:flags=bicubic+accurate_rnd[v720p];[s480]scale=852:480:flags=bicubic+accurate_rnd[v480p]"
  local ffcmd=(ffmpeg -hide_banner -nostdin -loglevel error -y -i "$a" -filter_complex "$graph"
    -map "[vweb]" -map 0:a "${web[@]}" -movflags +faststart "$out/ffmpeg/web.mp4"
    -map "[vtop]" -map 0:a "${web[@]}" "${hls[@]}" -hls_fmp4_init_filename 1080p_init.mp4
      -hls_segment_filename "$out/ffmpeg/hls/1080p_%03d.m4s" "$out/ffmpeg/hls/1080p.m3u8"
    $(rung 720p 1280 720 3.2 3000000) $(rung 480p 852 480 3.1 1400000))
  local avcmd=("$avpost" --quiet transcode "$a" -o "$out/avpost" --deliver web,hls --name talk)
  local t_ff=() t_av=() m_ff=() m_av=() r
  for _ in $(seq "$runs"); do
    r=$(timed "${ffcmd[@]}"); t_ff+=("${r% *}"); m_ff+=("${r#* }")
    r=$(timed "${avcmd[@]}"); t_av+=("${r% *}"); m_av+=("${r#* }")
  done
  local tf ta mf ma
  tf=$(printf '%s\n' "${t_ff[@]}" | median); ta=$(printf '%s\n' "${t_av[@]}" | median)
  mf=$(printf '%s\n' "${m_ff[@]}" | median); ma=$(printf '%s\n' "${m_av[@]}" | median)
  printf '%-10s %4d frames  ffmpeg split %7.2f s (%5.1f fps)  avpost %7.2f s (%5.1f fps)  speed-up %.2fx\n' \
    "$tag" "$frames" "$tf" "$(echo "$frames / $tf" | bc -l)" "$ta" "$(echo "$frames / $ta" | bc -l)" "$(echo "$tf / $ta" | bc -l)"
  printf '%-10s runs: ffmpeg %s s; avpost %s s\n' "$tag" "${t_ff[*]}" "${t_av[*]}"
  printf '%-10s peak memory (median): ffmpeg %.0f MB, avpost %.0f MB\n' "$tag" "$(echo "$mf / 1024" | bc -l)" \
    "$(echo "$ma / 1024" | bc -l)"
  # Same output: avpost's web and rungs against ffmpeg's (luma PSNR; both lossy, not infinite).
  local pair
  for pair in "web.mp4:talk-web.mp4" "hls/1080p.m3u8:talk-hls/1080p.m3u8" "hls/720p.m3u8:talk-hls/720p.m3u8" \
              "hls/480p.m3u8:talk-hls/480p.m3u8"; do
    ffmpeg -hide_banner -nostdin -i "$out/avpost/${pair#*:}" -i "$out/ffmpeg/${pair%%:*}" -an -lavfi "[0:v][1:v]psnr" \
      -f null - 2>&1 | sed -n "s|.*PSNR \\(.*\\)|           ${pair#*:} avpost vs ffmpeg (PSNR dB): \\1|p"
  done
}

command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "hls benchmark (web + hls, 3 rungs), median of $runs alternating runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench_size 1920 1080 ${AVPOST_BENCH_SECONDS_HD:-8}
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
