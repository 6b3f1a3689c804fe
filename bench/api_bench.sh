#!/usr/bin/env bash
# The HTTP job API (docs/api.md) on a throwaway PostgreSQL 15 catalog (Debian's postgresql-15; as
# root it runs as the `postgres` user), driven by bench/api_load.mjs (Node's fetch, no packages):
#
#   bash bench/api_bench.sh [--json] [BUILD_DIR] [REQUESTS] [ROWS]    (defaults: build, 1000, 200)
#
# 1. Submit: `avpost serve` without --work (the API only, a `TOKEN submit` token file, a job
#    root) takes REQUESTS distinct valid jobs on POST /api/v1/jobs, 8 in flight
#    ($AVPOST_BENCH_CONCURRENCY), then answers GET /api/v1/jobs/ID for each: requests per second,
#    p50/p95/p99 latency (one GET /api/v1/jobs first, untimed, opens serve's catalog connection), the answers by status (all 201, then all 200), and serve's peak RSS.
# 2. Batch: a second serve on a fresh catalog takes one POST /api/v1/batches of ROWS rows of 3 s
#    640x360 sandbox A2V jobs (web delivery, archived under the job root); two `avpost worker`
#    processes (--concurrency 1 each, started before the batch, waiting on the same catalog) run
#    them; the client polls GET /api/v1/batches/ID every 0.5 s until it is finished: wall seconds
#    from the POST, jobs per minute, done and failed.
#
# A max latency near 1 s is a dropped SYN retransmitted (the kernel's TcpExtListenOverflows): serve
# closes a keep-alive connection after 5 requests and listens with cpp-httplib's backlog of 5, so
# on a busy machine a reconnect can find the accept queue full.
#
# The vendor is `avpost sandbox` (0.1 s queued, 0.2 s processing, its generated 3 s voice), so the
# batch figures are avpost's own costs (render download, composite, encode, archive, queue), not a
# vendor's. Quiet unless something fails (then the logs' ends go to stderr); everything it started
# (PostgreSQL, sandbox, serve, workers) is stopped and its temporary directory removed on exit.
set -euo pipefail
json=()
positional=()
for arg in "$@"; do
  if [ "$arg" = --json ]; then json=(--json); else positional+=("$arg"); fi
done
build=${positional[0]:-build}
requests=${positional[1]:-1000}
rows=${positional[2]:-200}
concurrency=${AVPOST_BENCH_CONCURRENCY:-8}
here=$(cd "$(dirname "$0")" && pwd)
avpost=$(realpath "$build/tools/avpost")
node=${NODE:-node}
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/avpost-api-bench-XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$work"; as_pg=(runuser -u postgres --); fi
unset AVPOST_CATALOG AVPOST_ARCHIVE AVPOST_GALLERY_TOKEN AKOOL_CLIENT_ID AKOOL_CLIENT_SECRET

pids=()  # every process started here, stopped in reverse order on exit
stop() {  # PID: SIGTERM, then SIGKILL after 10 s
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local rc=$? i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[$i]}"; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  if [ "$rc" != 0 ]; then
    echo "api_bench: failed (exit $rc); the ends of its logs:" >&2
    for f in "$work"/*.log "$work"/*.json; do
      [ -f "$f" ] && { echo "--- ${f##*/}" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "api_bench: $*" >&2; exit 1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
load_start=$(load1)

# PostgreSQL, one database per part.
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$work/initdb.log"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
  "-c listen_addresses='' -k $work -c fsync=off -c synchronous_commit=off" start >/dev/null
new_db() {  # NAME: creates it, prints its URI
  "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -U postgres -d postgres -c "CREATE DATABASE $1" >/dev/null
  echo "postgresql:///$1?host=$work&user=postgres"
}

# The sandbox vendor: 640x360 renders of its generated 3 s voice.
"$avpost" sandbox --port 0 --queue-seconds 0.1 --process-seconds 0.2 --size 640x360 --audio-seconds 3 \
  --a2v-token bench-token --no-fetch-audio --rate-limit 100000 >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -qs '^export AVPOST_A2V_BASE_URL=' "$work/sandbox.log" && break
  sleep 0.1
done
AVPOST_A2V_BASE_URL=$(sed -n 's/^export AVPOST_A2V_BASE_URL=//p' "$work/sandbox.log")
[ -n "$AVPOST_A2V_BASE_URL" ] || fail "the sandbox did not start"
export AVPOST_A2V_BASE_URL A2V_TOKEN=bench-token

# The job root: the background and what the jobs make (out/NAME) and archive (archive/).
jobs=$work/jobs
mkdir -p "$jobs"
cp "$here/../tests/media/background.png" "$jobs/background.png"
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '# api_bench\n%s submit\n' "$token" >"$work/tokens"
export AVPOST_BENCH_TOKEN=$token

# A job with `{{i}}` (api_load.mjs fills it per request) or `{{id}}` (a batch row) in its name and
# audio URL; every file it names is relative to the job root.
job() {  # PLACEHOLDER
  cat <<JOB
{"name": "api-bench-$1", "source": {"a2v": {"pose_id": "pose-kai-front", "audio_url": "http://127.0.0.1:9/v.wav?n=$1"}},
 "wait": {"interval_seconds": 0.05, "timeout_seconds": 120},
 "composite": {"background": "background.png", "size": "-1x360", "anchor": "bottom"},
 "deliver": {"presets": ["web"]}, "archive": {"root": "archive"}}
JOB
}

serve_pid=""
base=""
start_serve() {  # NAME CATALOG: an API-only serve; sets serve_pid and base
  "$avpost" serve --port 0 --token-file "$work/tokens" --job-root "$jobs" --archive "$jobs/archive" \
    --catalog "$2" >"$work/$1.log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  local port=""
  for _ in $(seq 300); do
    port=$(sed -n 's|^job api: http://127\.0\.0\.1:\([0-9]*\)/api/v1/.*|\1|p' "$work/$1.log")
    [ -n "$port" ] && break
    kill -0 "$serve_pid" 2>/dev/null || fail "serve ($1) exited"
    sleep 0.1
  done
  [ -n "$port" ] || fail "serve ($1) printed no address"
  base=http://127.0.0.1:$port
}

# 1. Submit and read back.
uri=$(new_db api)
start_serve serve-api "$uri"
job '{{i}}' >"$work/job.json"
"$node" "$here/api_load.mjs" submit "$base" "$work/job.json" "$requests" "$concurrency" "$work/ids" \
  >"$work/submit.out.json" || fail "not every POST /api/v1/jobs answered 201: $(cat "$work/submit.out.json")"
[ "$(grep -c . "$work/ids")" = "$requests" ] || fail "$(grep -c . "$work/ids") ids for $requests jobs"
"$node" "$here/api_load.mjs" get "$base" "$work/ids" "$concurrency" \
  >"$work/get.out.json" || fail "not every GET /api/v1/jobs/ID answered 200: $(cat "$work/get.out.json")"
rss_mb=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$serve_pid/status")
load_api=$(load1)
stop "$serve_pid"

# 2. A batch on two workers.
uri=$(new_db batch)
start_serve serve-batch "$uri"
for w in 1 2; do
  (cd "$jobs" && exec "$avpost" worker --catalog "$uri" --concurrency 1 --lease-seconds 60 --poll-seconds 0.5 \
    --name "bench-worker-$w") >"$work/worker$w.log" 2>&1 &
  pids+=($!)
done
{
  printf '{"template": %s,\n "rows": [' "$(job '{{id}}')"
  seq "$rows" | sed 's/.*/{"id": "&"}/' | paste -sd, -
  printf ']}\n'
} >"$work/batch-request.json"
"$node" "$here/api_load.mjs" batch "$base" "$work/batch-request.json" $((rows * 30 + 300)) \
  >"$work/batch.out.json" || fail "the batch did not finish with every job done: $(cat "$work/batch.out.json")"
sample=$(find "$jobs/out" -name '*.mp4' -print -quit)
[ -n "$sample" ] || fail "no MP4 under $jobs/out"
sample=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height:format=duration -of csv=p=0 \
  "$sample" | paste -sd, - | awk -F, '{ printf "%sx%s, %.2f s", $1, $2, $3 }')

cat >"$work/facts.json" <<FACTS
{"context": "PostgreSQL 15 (fsync off), serve without --work, Node $("$node" --version) fetch",
 "serve_peak_rss_mb": $rss_mb,
 "batch_job": "3 s 640x360 sandbox A2V jobs (web delivery, archived)",
 "sample_output": "$sample",
 "workers": "2 avpost worker processes (--concurrency 1 each) on the same catalog",
 "cpus": $(nproc), "load_start": $load_start, "load_api": $load_api, "load_end": $(load1)}
FACTS
for part in submit get batch; do
  printf '{"%s": %s}\n' "$part" "$(cat "$work/$part.out.json")" >"$work/$part.json"
done
"$node" "$here/api_load.mjs" report "${json[@]}" "$work/submit.json" "$work/get.json" "$work/batch.json" "$work/facts.json"
