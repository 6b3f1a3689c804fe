#!/usr/bin/env bash
# The main job, offline with no credentials (run scripts/setup.sh first): starts the local vendor
# sandbox and runs examples/jobs/sandbox-a2v.json through `avpost run`: render an A2V talking head,
# wait for it, fetch its video and matte (verified), composite it onto the shipped brand background
# and deliver web (H.264 MP4), webm-alpha (VP9 with alpha) and a poster in the same pass, then
# archive everything in a catalogued, verified archive. Prints the job's summary.
# Usage: bash scripts/demo.sh [OUTPUT_ROOT] [JOB_FILE]   (default: out and the main job, which writes
# OUTPUT_ROOT/sandbox-a2v; `bash scripts/demo.sh out examples/jobs/sandbox-akool.json` runs the
# Akool example: rendered on green, keyed into a scene). Running it again skips every stage the
# catalog says is done (and whose files are intact).
set -euo pipefail
cd "$(dirname "$0")/.."
avpost=${AVPOST_BIN:-build/tools/avpost}
out=${1:-out}
job=${2:-examples/jobs/sandbox-a2v.json}
mkdir -p "$out"
[ -x "$avpost" ] || { echo "demo: $avpost is missing; run: bash scripts/setup.sh" >&2; exit 1; }

# The sandbox stands in for the vendors on 127.0.0.1 (any free port), with fast job timing.
sandbox_log="$out/sandbox.log"
rm -f "$sandbox_log"  # an earlier run's export line must not be taken for this sandbox's
"$avpost" sandbox --port 0 --queue-seconds 0.2 --process-seconds 0.5 --a2v-token demo-token --no-fetch-audio \
  --akool-client-secret demo-secret-24-bytes-key \
  >"$sandbox_log" 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -qs '^export AVPOST_A2V_BASE_URL=' "$sandbox_log" && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$sandbox_log" >&2; exit 1; }
  sleep 0.1
done
export AVPOST_A2V_BASE_URL=$(sed -n 's/^export AVPOST_A2V_BASE_URL=//p' "$sandbox_log")
export AVPOST_AKOOL_BASE_URL=$(sed -n 's/^export AVPOST_AKOOL_BASE_URL=//p' "$sandbox_log")
export A2V_TOKEN=demo-token
export AKOOL_API_KEY=demo-secret-24-bytes-key

"$avpost" run --output-root "$out" "$job"
