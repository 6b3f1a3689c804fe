#!/usr/bin/env bash
# Benchmark: a branded programme (issue 22): a 1080p avatar segment over a background, the brand
# intro crossfading into it and into the outro, a lower third, a logo, music ducked under the
# voice; delivered as an H.264 + AAC MP4 (the composite itself, x264 crf 20 medium as the web
# preset) and a poster. avpost compose against the one ffmpeg command
# that does the same (alphamerge + overlay, drawtext with a box, overlay of the logo, xfade twice,
# sidechaincompress + amix + acrossfade, split to the web encode and the poster), alternating in one
# run, median of N. Reports wall time, peak resident memory and CPU time of both.
# Usage: bash bench/programme_bench.sh [RUNS]   (AVPOST_BENCH_SECONDS: the segment's length, default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
seconds=${AVPOST_BENCH_SECONDS:-60}
avpost=${AVPOST_BIN:-build/tools/avpost}
work=${AVPOST_BENCH_DIR:-build/bench-media}
mkdir -p "$work"
ff=(ffmpeg -hide_banner -loglevel error -y)
source bench/bench_common.sh
command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)" >&2; exit 1; }

# The avatar (1920x1080, 25 fps, a voice-like tone) and its matte, for $seconds.
tag="1920x1080_${seconds}s"
work_inputs="$work/programme_$tag"
mkdir -p "$work_inputs"
if [ ! -f "$work_inputs/avatar.mp4" ]; then
  (work="$work_inputs" make_inputs 1920 1080 "$seconds")
  mv "$work_inputs/avatar_1920x1080.mp4" "$work_inputs/avatar.mp4"
  mv "$work_inputs/mask_1920x1080.mp4" "$work_inputs/mask.mp4"
  mv "$work_inputs/bg_1920x1080.png" "$work_inputs/bg.png"
fi
a="$work_inputs/avatar.mp4" m="$work_inputs/mask.mp4" bg="$work_inputs/bg.png"
intro=examples/brand/intro.mp4 outro=examples/brand/outro.mp4 music=examples/brand/music.m4a
logo="$work_inputs/logo.png"
[ -f "$logo" ] || "${ff[@]}" -f lavfi -i "color=c=0xFCA311:s=160x160,format=rgba" -frames:v 1 "$logo"
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
out="$work/programme_out"
rm -rf "$out" && mkdir -p "$out"

# avpost: the overlays (a lower third from 1 s, the logo top right) and the programme options.
cat >"$out/overlays.json" <<EOF
[{"type": "text", "style": "lower-third", "name": "Lena", "title": "Your AI presenter", "size": 54, "start": 1},
 {"type": "image", "source": "$(realpath "$logo")", "anchor": "top-right"}]
EOF
avpost_cmd="'$avpost' --quiet compose --video '$a' --mask '$m' --background '$bg' --overlays '$out/overlays.json' \
  --intro $intro --outro $outro --transition crossfade --transition-seconds 0.5 --music $music --music-level -28 \
  --crf 20 --encoder-preset medium --deliver poster -o '$out/avpost.mp4'"

# ffmpeg: the same in one filtergraph. Intro and outro are 1.6 s (40 frames at 25 fps) scaled to
# 1920x1080; the segment starts 0.5 s before the intro ends (xfade offset 1.1 s), the outro 0.5 s
# before the segment ends.
intro_s=1.6
seg_off=$(echo "$intro_s - 0.5" | bc -l)
outro_off=$(echo "$seg_off + $seconds - 0.5" | bc -l)
fc="[1:v]format=gray,scale=1920:1080[mk];[0:v][mk]alphamerge[av];[2:v][av]overlay=0:0:format=yuv420,format=yuv420p,"
fc+="drawtext=fontfile=$font:text='Lena':fontsize=54:fontcolor=white:box=1:boxcolor=black@0.69:boxborderw=27:x=96:y=h-230:enable='gte(t,1)',"
fc+="drawtext=fontfile=$font:text='Your AI presenter':fontsize=54:fontcolor=white:box=1:boxcolor=black@0.69:boxborderw=27:x=96:y=h-150:enable='gte(t,1)'[txt];"
fc+="[txt][3:v]overlay=W-w-96:54,format=yuv420p,settb=1/25,fps=25[seg];"
fc+="[4:v]scale=1920:1080,format=yuv420p,settb=1/25,fps=25[in];[5:v]scale=1920:1080,format=yuv420p,settb=1/25,fps=25[outv];"
fc+="[in][seg]xfade=transition=fade:duration=0.5:offset=$seg_off[x1];[x1][outv]xfade=transition=fade:duration=0.5:offset=$outro_off,split[v1][v2];"
fc+="[6:a]aloop=loop=-1:size=2e9,atrim=duration=$(echo "$seconds + 2.7" | bc -l),volume=-6dB[mus];[0:a]asplit[voice][side];"
fc+="[mus][side]sidechaincompress=threshold=0.01:ratio=8:attack=50:release=500[ducked];[voice][ducked]amix=inputs=2:normalize=0[mix];"
fc+="[4:a][mix]acrossfade=d=0.5[a1];[a1][5:a]acrossfade=d=0.5[aout]"
ffmpeg_cmd="ffmpeg -hide_banner -nostdin -loglevel error -y -i '$a' -i '$m' -loop 1 -i '$bg' -loop 1 -i '$logo' -i $intro -i $outro \
  -i $music -filter_complex \"$fc\" \
  -map '[v1]' -map '[aout]' -pix_fmt yuv420p -c:v libx264 -crf 20 -preset medium -profile:v high -c:a aac -movflags +faststart -shortest '$out/ffmpeg.mp4' \
  -map '[v2]' -frames:v 1 -ss 1 '$out/ffmpeg-poster.jpg'"

[ -n "${AVPOST_BENCH_DEBUG:-}" ] && { eval "$avpost_cmd"; eval "$ffmpeg_cmd"; }
compare_alternately ffmpeg "$ffmpeg_cmd" avpost "$avpost_cmd"
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$out/avpost.mp4")
echo "Programme: ${seconds} s 1080p segment, intro + outro (crossfades), lower third, logo, music ducked; web + poster;"
echo "  $frames frames, median of $runs alternating runs, $(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg)"
printf '  %-34s %7.3f s %5d MB %6.2f s CPU\n' \
  "ffmpeg (one filtergraph)" "$TIME_ffmpeg" "$RSS_ffmpeg" "$CPU_ffmpeg" \
  "avpost compose (programme)" "$TIME_avpost" "$RSS_avpost" "$CPU_avpost"
printf '  avpost: %.2fx ffmpeg\n' "$(echo "$TIME_ffmpeg / $TIME_avpost" | bc -l)"
