# Shared by the benchmarks: synthetic vendor-like inputs and best-of-N timing. Sourced, not run.
# Expects: $work (directory for inputs), $runs, and the ff array (ffmpeg with quiet flags).

make_inputs() {  # WIDTH HEIGHT SECONDS
  local w=$1 h=$2 d=$3 tag="$1x$2"
  [ -f "$work/avatar_$tag.mp4" ] && return
  local inside="clip((1-hypot((X/SW-$((w/2)))/$((w/4)),(Y/SH-$((h*11/20)))/$((h*9/20))))/0.05,0,1)"
  # Avatar as vendors render it: a moving picture inside a head shape on a green backdrop.
  "${ff[@]}" -f lavfi -i "color=c=0x00B140:s=${w}x${h}:r=25:d=$d,format=yuv420p" \
    -f lavfi -i "testsrc2=s=${w}x${h}:r=25:d=$d,format=yuv420p" \
    -f lavfi -i "color=black:s=${w}x${h}:r=25:d=1,format=yuv420p,geq=lum='255*$inside':cb='255*$inside':cr='255*$inside',loop=-1:1" \
    -f lavfi -i "sine=f=220:d=$d" \
    -filter_complex "[0:v][1:v][2:v]maskedmerge,trim=duration=$d[v]" -map "[v]" -map 3:a \
    -c:v libx264 -preset veryfast -crf 20 -c:a aac "$work/avatar_$tag.mp4"
  "${ff[@]}" -f lavfi -i "color=black:s=${w}x${h}:r=25:d=1,format=yuv420p,geq=lum='16+219*$inside':cb=128:cr=128,loop=-1:1,trim=duration=$d" \
    -c:v libx264 -preset veryfast -crf 16 "$work/mask_$tag.mp4"
  "${ff[@]}" -f lavfi -i "gradients=s=${w}x${h}:c0=0x1E3A8A:c1=0xF59E0B:n=2:d=1" -frames:v 1 "$work/bg_$tag.png"
}

best_of() {  # prints the best wall time in seconds of "$@" over $runs runs
  local best=""
  for _ in $(seq "$runs"); do
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%.3f' "$best"
}

measure() {  # runs "$@" once; prints "WALL_SECONDS PEAK_RSS_KB CPU_SECONDS" (CPU: user + system)
  local log
  log=$(mktemp)
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$@" >/dev/null 2>&1
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$log"
  rm -f "$log"
}

median() {  # median of the numbers given
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}

# Runs each named command $runs times, alternating between them so that load changes hit all
# alike, and sets TIME_<name>, RSS_<name> and CPU_<name> to the medians (seconds, MB, CPU seconds).
# Usage: compare_alternately name1 "cmd1 ..." name2 "cmd2 ..." ...   (commands are eval'd)
compare_alternately() {
  local -a names=() cmds=()
  while [ $# -gt 0 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  declare -gA _times=() _rss=() _cpu=()
  local i r wall rss cpu
  for r in $(seq "$runs"); do
    for i in "${!names[@]}"; do
      read -r wall rss cpu < <(eval "measure ${cmds[$i]}")
      _times[${names[$i]}]+="$wall "
      _rss[${names[$i]}]+="$rss "
      _cpu[${names[$i]}]+="$cpu "
    done
  done
  for i in "${!names[@]}"; do
    # shellcheck disable=SC2086
    printf -v "TIME_${names[$i]}" '%.3f' "$(median ${_times[${names[$i]}]})"
    # shellcheck disable=SC2086
    printf -v "RSS_${names[$i]}" '%.0f' "$(echo "$(median ${_rss[${names[$i]}]}) / 1024" | bc -l)"
    # shellcheck disable=SC2086
    printf -v "CPU_${names[$i]}" '%.2f' "$(median ${_cpu[${names[$i]}]})"
  done
}
