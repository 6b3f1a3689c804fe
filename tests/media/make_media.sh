#!/usr/bin/env bash
# Regenerates the committed sample media (see README.md beside this script). Needs the ffmpeg CLI.
# The samples are committed so tests and the README's main job do not depend on this script.
set -euo pipefail
cd "$(dirname "$0")"
ff=(ffmpeg -hide_banner -loglevel error -y)
W=640 H=360 R=25 D=2

# Head-and-shoulders ellipse drifting sideways; soft edge ~5% of the radius. Luma coordinates
# are X/SW, Y/SH so the same expression serves the subsampled chroma planes (geq's W and H are
# the current plane's size, hence the literal centre).
inside="clip((1-hypot((X/SW-($((W/2))+40*sin(PI*T)))/150,(Y/SH-$((H/2+30)))/170))/0.05,0,1)"

# The matte as vendors deliver it: H.264, yuv420p, limited range (16..235), untagged.
"${ff[@]}" -f lavfi -i "color=black:s=${W}x${H}:r=${R}:d=${D},format=yuv420p,geq=lum='16+219*${inside}':cb=128:cr=128" \
  -c:v libx264 -preset veryfast -crf 16 -pix_fmt yuv420p -an avatar_mask.mp4

# The avatar: a colourful pattern inside the ellipse over the green backdrop vendors render,
# with a voice-like tone (220 Hz, syllable-rate loudness) as AAC.
"${ff[@]}" \
  -f lavfi -i "color=c=0x00B140:s=${W}x${H}:r=${R}:d=${D},format=yuv420p" \
  -f lavfi -i "testsrc2=s=${W}x${H}:r=${R}:d=${D},format=yuv420p" \
  -f lavfi -i "color=black:s=${W}x${H}:r=${R}:d=${D},format=yuv420p,geq=lum='255*${inside}':cb='255*${inside}':cr='255*${inside}'" \
  -f lavfi -i "aevalsrc='0.3*sin(2*PI*220*t)*(0.55+0.45*sin(2*PI*4*t))':s=48000:d=${D}" \
  -filter_complex "[0:v][1:v][2:v]maskedmerge[v]" -map "[v]" -map 3:a \
  -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -c:a aac -b:a 64k -movflags +faststart avatar.mp4

# A branded still background (PNG, RGB) and a 1-second background video that must loop.
"${ff[@]}" -f lavfi -i "gradients=s=${W}x${H}:c0=0x1E3A8A:c1=0xF59E0B:x0=0:y0=0:x1=${W}:y1=${H}:n=2:d=1,format=rgb24" \
  -frames:v 1 background.png
"${ff[@]}" -f lavfi -i "gradients=s=${W}x${H}:c0=0x0F766E:c1=0xE11D48:n=2:speed=0.05:r=${R}:d=1" \
  -c:v libx264 -preset veryfast -crf 24 -pix_fmt yuv420p -an background.mp4
ls -l avatar.mp4 avatar_mask.mp4 background.png background.mp4
