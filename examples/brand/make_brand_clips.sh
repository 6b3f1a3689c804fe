#!/usr/bin/env bash
# Regenerates the example brand's intro and outro (960x540 like background.png, 1.6 s, a chime) and music bed:
# synthetic gradients and DejaVu text from the ffmpeg CLI, no outside footage.
set -euo pipefail
cd "$(dirname "$0")"
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
clip() {  # OUT FROM TO TEXT SIZE AUDIO_FILTER
  ffmpeg -v error -y \
    -f lavfi -i "gradients=s=960x540:c0=$2:c1=$3:x0=0:y0=0:x1=960:y1=540:d=1.6:r=25,drawtext=fontfile=$font:text='$4':fontcolor=white:fontsize=$5:x=(w-tw)/2:y=(h-th)/2" \
    -f lavfi -i "$6" -pix_fmt yuv420p -c:v libx264 -crf 30 -preset slow -c:a aac -b:a 64k -ac 2 -shortest \
    -movflags +faststart "$1"
}
clip intro.mp4 0x1b2a4a 0x3a6ea5 avpost 96 "sine=f=660:d=1.6:sample_rate=48000,afade=t=out:st=0.3:d=1.2,volume=0.5"
clip outro.mp4 0x3a6ea5 0x1b2a4a "Thanks for watching" 64 \
  "sine=f=440:d=1.6:sample_rate=48000,afade=t=in:d=0.3,afade=t=out:st=0.8:d=0.8,volume=0.4"
# The music bed: a 4 s A-major chord that swells and eases (it loops under a programme).
ffmpeg -v error -y -f lavfi -i "aevalsrc='0.25*(sin(2*PI*220*t)+0.6*sin(2*PI*277.18*t)+0.5*sin(2*PI*329.63*t))*(0.6+0.4*sin(2*PI*0.5*t))|0.25*(sin(2*PI*220*t+0.3)+0.6*sin(2*PI*277.18*t)+0.5*sin(2*PI*329.63*t+0.2))*(0.6+0.4*sin(2*PI*0.5*t))':s=48000:d=4" \
  -c:a aac -b:a 64k music.m4a
# The logo mark (as drawn into background.png's top-left corner), on transparency: 72x72 RGBA PNG.
ffmpeg -v error -y -f lavfi -i "color=c=0x00000000:s=72x72,format=rgba,drawbox=x=4:y=4:w=64:h=64:color=0xfca311:t=fill,drawbox=x=18:y=18:w=36:h=36:color=0x14213d:t=fill" \
  -frames:v 1 logo.png
