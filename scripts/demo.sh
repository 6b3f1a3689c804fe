#!/usr/bin/env bash
# The main job, offline on built-in defaults (run scripts/setup.sh first):
#  1. composite the shipped sample avatar onto the shipped branded background;
#  2. the whole vendor path against the local sandbox: render an A2V talking head, wait for it,
#     fetch its video and matte (verified), and composite it onto the same background.
# Prints where each output went. Usage: bash scripts/demo.sh [OUTPUT_DIR]   (default: out)
set -euo pipefail
cd "$(dirname "$0")/.."
avpost=${AVPOST_BIN:-build/tools/avpost}
out=${1:-out}
mkdir -p "$out"
[ -x "$avpost" ] || { echo "demo: $avpost is missing; run: bash scripts/setup.sh" >&2; exit 1; }

media=tests/media
"$avpost" --quiet compose --video "$media/avatar.mp4" --mask "$media/avatar_mask.mp4" \
  --background "$media/background.png" -o "$out/composite.mp4" >/dev/null
echo "composite of the sample avatar: $out/composite.mp4"

# The sandbox stands in for the vendors on 127.0.0.1 (any free port), with fast job timing.
sandbox_log="$out/sandbox.log"
"$avpost" sandbox --port 0 --queue-seconds 0.2 --process-seconds 0.5 --a2v-token demo-token --no-fetch-audio \
  >"$sandbox_log" 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^export AVPOST_A2V_BASE_URL=' "$sandbox_log" && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$sandbox_log" >&2; exit 1; }
  sleep 0.1
done
export AVPOST_A2V_BASE_URL=$(sed -n 's/^export AVPOST_A2V_BASE_URL=//p' "$sandbox_log")
export A2V_TOKEN=demo-token

pose=$("$avpost" avatars --vendor a2v --json | sed -n 's/.*"pose_id":"\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$pose" ] || pose=pose-lena-standing
job=$("$avpost" --quiet render --vendor a2v --pose "$pose" --audio "http://127.0.0.1:9/voice.wav" --wait --json |
  sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
echo "sandbox render (A2V pose $pose): job $job"
"$avpost" --quiet fetch --vendor a2v "$job" -o "$out/render" | sed 's/^/fetched: /'
"$avpost" --quiet compose --video "$out/render/$job.mp4" --mask "$out/render/$job-mask.mp4" \
  --background "$media/background.png" --size -1x300 --anchor bottom -o "$out/sandbox-composite.mp4" >/dev/null
echo "composite of the sandbox render: $out/sandbox-composite.mp4"
