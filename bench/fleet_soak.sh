#!/usr/bin/env bash
# A soak of the fleet (issue 24): two `avpost worker`s, `avpost serve` and `avpost archive sync
# --watch` on a throwaway PostgreSQL 15 and the vendor sandbox, for SOAK_MINUTES, with jobs submitted
# throughout and a random fault schedule (seeded: the same SOAK_SEED gives the same schedule):
# the database restarted, the vendor answering 503 or slowly, downloads cut mid-file, a worker
# paused past its lease, a third worker killed with SIGKILL and started again.
#
#   bash bench/fleet_soak.sh [BUILD_DIR]
#   SOAK_MINUTES=30 SOAK_SEED=1 JOBS_PER_MINUTE=4 SAMPLE_SECONDS=10 (defaults)
#
# Every SAMPLE_SECONDS it samples the resident memory (VmRSS) and open file descriptors of the
# long-lived processes (the two workers, serve and sync); it prints their least-squares slope over the
# run after the first fifth (warm-up) in KiB/min and fds/min, and writes every sample to
# WORK/samples.tsv. At the end the faults stop and the queue drains; then nothing may be lost:
# every submitted job done exactly once, one sandbox render per job, `archive verify --all`
# clean, no worker exited on its own. Exit 0 when all of that holds; 1 otherwise.
set -euo pipefail
build=${1:-build}
minutes=${SOAK_MINUTES:-30}
seed=${SOAK_SEED:-1}
per_minute=${JOBS_PER_MINUTE:-4}
sample_every=${SAMPLE_SECONDS:-10}
avpost=$(realpath "$build/tools/avpost")
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/avpost-fleet-soak-XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$work"; as_pg=(runuser -u postgres --); fi
RANDOM=$seed
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
say() { echo "soak: [$(date +%H:%M:%S)] $*" >&2; }

"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
pg_start() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
    "-c listen_addresses='' -k $work -c fsync=off -c synchronous_commit=off" start >/dev/null
}
pg_start
"$pgbin/psql" -X -q -h "$work" -U postgres -d postgres -c "CREATE DATABASE soak" >/dev/null
export AVPOST_CATALOG="postgresql:///soak?host=$work&user=postgres"

"$avpost" sandbox --port 0 --queue-seconds 0.2 --process-seconds 0.5 --size 160x96 --audio-seconds 1 \
  --a2v-token soak-token --no-fetch-audio --rate-limit 100000 >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -qs '^export AVPOST_A2V_BASE_URL=' "$work/sandbox.log" && break; sleep 0.1; done
sandbox=$(sed -n 's/^export AVPOST_A2V_BASE_URL=//p' "$work/sandbox.log")
export AVPOST_A2V_BASE_URL=$sandbox A2V_TOKEN=soak-token
control() { python3 - "$sandbox" "$1" "${2:-}" <<'PY'
import json, sys, urllib.request
base, method, body = sys.argv[1].rstrip('/'), sys.argv[2], sys.argv[3]
req = urllib.request.Request(base + ('/sandbox/faults' if method != 'GET' else '/sandbox/stats'),
                             data=body.encode() if body else None, method=method,
                             headers={'Content-Type': 'application/json'})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}

background=$(realpath "$(dirname "$0")/../tests/media/background.png")
submitted=0
submit_one() {
  submitted=$((submitted + 1))
  cat >"$work/job$submitted.json" <<JOB
{"name": "soak$submitted", "source": {"a2v": {"pose_id": "pose-kai-front", "audio_url": "http://127.0.0.1:9/v.wav?i=$submitted"}},
 "wait": {"interval_seconds": 0.1}, "composite": {"background": "$background", "size": "-1x80"},
 "deliver": {"presets": ["web", "poster"]}, "archive": {"root": "$work/archive"}}
JOB
  "$avpost" -q submit "$work/job$submitted.json" >/dev/null 2>>"$work/submit.log" || submitted=$((submitted - 1))
}

start_worker() {  # NAME
  "$avpost" worker --name "$1" --lease-seconds 10 --output-root "$work/out-$1" >"$work/$1.log" 2>&1 &
  echo $!
}
worker_a=$(start_worker a); worker_b=$(start_worker b); victim=$(start_worker victim)
pids+=("$worker_a" "$worker_b" "$victim")
"$avpost" serve --port 0 --archive "$work/archive" >"$work/serve.log" 2>&1 &
serve=$!
pids+=("$serve")
for _ in $(seq 100); do grep -qs '^listening on ' "$work/serve.log" && break; sleep 0.1; done
gallery=$(sed -n 's/^listening on //p' "$work/serve.log")
"$avpost" archive sync --archive "$work/archive" --vendor a2v --watch 60 >"$work/sync.log" 2>&1 &
sync=$!
pids+=("$sync")

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
printf 'seconds\tworker_a_kib\tworker_a_fds\tworker_b_kib\tworker_b_fds\tserve_kib\tserve_fds\tsync_kib\tsync_fds\n' \
  >"$work/samples.tsv"

faults=(db_restart vendor_503 vendor_slow download_cut pause_worker kill_victim)
inject() {
  case $1 in
    db_restart) "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null; sleep $((RANDOM % 20 + 1)); pg_start ;;
    vendor_503) control POST '{"path_prefix":"/","http_status":503,"count":8}' >/dev/null ;;
    vendor_slow) control POST '{"path_prefix":"/","delay_ms":1500,"count":15}' >/dev/null ;;
    download_cut) control POST '{"path_prefix":"/files/","drop_after_bytes":2000,"count":4}' >/dev/null ;;
    pause_worker) kill -STOP "$worker_b"; sleep 15; kill -CONT "$worker_b" ;;  # past its 10 s lease
    kill_victim) kill -KILL "$victim" 2>/dev/null || true; wait "$victim" 2>/dev/null || true
                 victim=$(start_worker victim); pids+=("$victim") ;;
  esac
}

say "work in $work; $minutes min, seed $seed, $per_minute jobs/min, gallery $gallery"
start=$SECONDS
end=$((start + minutes * 60))
next_sample=$start next_submit=$start next_fault=$((start + 20)) next_page=$start
fault_count=0
while [ $SECONDS -lt $end ]; do
  now=$SECONDS
  if [ $now -ge $next_submit ]; then submit_one; next_submit=$((now + 60 / per_minute)); fi
  if [ $now -ge $next_sample ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $((now - start)) "$(rss_kib "$worker_a")" "$(fds "$worker_a")" \
      "$(rss_kib "$worker_b")" "$(fds "$worker_b")" "$(rss_kib "$serve")" "$(fds "$serve")" \
      "$(rss_kib "$sync")" "$(fds "$sync")" >>"$work/samples.tsv"
    next_sample=$((now + sample_every))
  fi
  if [ $now -ge $next_page ]; then
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + 'api/jobs?limit=50', timeout=10).read()" \
      "$gallery" 2>>"$work/gallery.log" || true
    next_page=$((now + 5))
  fi
  if [ $now -ge $next_fault ]; then
    fault=${faults[$((RANDOM % ${#faults[@]}))]}
    fault_count=$((fault_count + 1))
    say "fault $fault_count: $fault"
    inject "$fault"
    next_fault=$((SECONDS + RANDOM % 40 + 20))
  fi
  sleep 1
done

say "faults stop; draining the queue ($submitted jobs submitted)"
control DELETE >/dev/null || true
for _ in $(seq 600); do
  open=$("$pgbin/psql" -X -tA -h "$work" -U postgres -d soak -c \
    "SELECT count(*) FROM queue_jobs WHERE state IN ('queued','running')")
  [ "$open" = 0 ] && break
  sleep 1
done
"$avpost" -q archive sync --archive "$work/archive" --vendor a2v >"$work/last-sync.log" 2>&1 || true

ok=1
check() { if eval "$2"; then echo "ok:   $1"; else echo "FAIL: $1"; ok=0; fi; }
q() { "$pgbin/psql" -X -tA -h "$work" -U postgres -d soak -c "$1"; }
done_jobs=$(q "SELECT count(*) FROM queue_jobs WHERE state = 'done'")
renders=$(control GET | python3 -c "import json,sys; print(json.load(sys.stdin)['renders'])")
echo
echo "== after $minutes min, $fault_count faults (seed $seed)"
check "every job done ($done_jobs of $submitted)" '[ "$done_jobs" = "$submitted" ]'
check "one render per job ($renders renders)" '[ "$renders" = "$submitted" ]'
check "no file stored twice" '[ "$(q "SELECT count(*) FROM (SELECT job_id, name FROM assets GROUP BY 1, 2 HAVING count(*) > 1) d")" = 0 ]'
check "archive verify --all clean" '"$avpost" -q archive verify --all --archive "$work/archive" >"$work/verify.log" 2>&1'
for p in "$worker_a" "$worker_b" "$serve" "$sync"; do
  check "process $p still running" 'kill -0 "$p" 2>/dev/null'
done

echo
echo "== slopes after the warm-up (least squares; samples in $work/samples.tsv)"
awk -F'\t' -v warm=$((minutes * 60 / 5)) '
  NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; cols = NF; next }
  $1 >= warm { n++; for (i = 2; i <= cols; i++) { x[i] += $1; y[i] += $i; xx[i] += $1 * $1; xy[i] += $1 * $i }
               for (i = 2; i <= cols; i++) { last[i] = $i; if (!(i in first)) first[i] = $i } }
  END { for (i = 2; i <= cols; i++) {
          d = n * xx[i] - x[i] * x[i]; slope = d ? (n * xy[i] - x[i] * y[i]) / d * 60 : 0
          printf "%-14s first %8d  last %8d  slope %+9.2f /min\n", name[i], first[i], last[i], slope } }
' "$work/samples.tsv"
[ $ok = 1 ] && echo "soak: nothing lost" || echo "soak: FAILED (logs in $work)"
[ $ok = 1 ]
