#!/usr/bin/env bash
# The fleet's job queue on a throwaway PostgreSQL 15 (Debian's postgresql-15; as root it runs as
# the `postgres` user): how long a claim takes, how many short jobs per minute 1, 2 and 3
# `avpost worker` processes finish, and how the claim query's time grows with 10,000 queued jobs.
#
#   bash bench/fleet_bench.sh [BUILD_DIR] [JOBS]     (default build, 12 jobs per worker count)
#
# Jobs are tiny sandbox renders (160x96, 1 s, web delivery) into a directory store: the figures
# are the queue and the pipeline's fixed costs, not encoding. Claim latency is pgbench running the
# worker's claim statement (kept in step with claim_job in lib/src/archive/pg_catalog.cpp).
set -euo pipefail
build=${1:-build}
jobs=${2:-12}
avpost=$(realpath "$build/tools/avpost")
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/avpost-fleet-bench-XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$work"; as_pg=(runuser -u postgres --); fi
sandbox_pid=""
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
  "-c listen_addresses='' -k $work -c fsync=off -c synchronous_commit=off" start >/dev/null
psql() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -U postgres "$@"; }
new_db() { psql -d postgres -c "CREATE DATABASE $1" >/dev/null; echo "postgresql:///$1?host=$work&user=postgres"; }

"$avpost" sandbox --port 0 --queue-seconds 0.1 --process-seconds 0.2 --size 160x96 --audio-seconds 1 \
  --a2v-token bench-token --no-fetch-audio --rate-limit 100000 >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 100); do
  grep -qs '^export AVPOST_A2V_BASE_URL=' "$work/sandbox.log" && break
  sleep 0.1
done
export AVPOST_A2V_BASE_URL=$(sed -n 's/^export AVPOST_A2V_BASE_URL=//p' "$work/sandbox.log")
export A2V_TOKEN=bench-token

background=$(realpath "$(dirname "$0")/../tests/media/background.png")
write_jobs() {  # DIR COUNT
  mkdir -p "$1"
  for i in $(seq "$2"); do
    cat >"$1/bench$i.json" <<JOB
{"name": "bench$i", "source": {"a2v": {"pose_id": "pose-kai-front", "audio_url": "http://127.0.0.1:9/v.wav?i=$i"}},
 "wait": {"interval_seconds": 0.05}, "composite": {"background": "$background", "size": "-1x80"},
 "deliver": {"presets": ["web"]}, "archive": {"root": "$1/archive"}}
JOB
  done
}

echo "== jobs per minute ($jobs short jobs, PostgreSQL queue, workers started together, --drain)"
printf '%-8s %-10s %-12s\n' workers seconds jobs/minute
for n in 1 2 3; do
  uri=$(new_db "throughput$n")
  write_jobs "$work/jobs$n" "$jobs"
  "$avpost" submit --catalog "$uri" "$work/jobs$n"/*.json >/dev/null
  start=$(date +%s.%N)
  pids=()
  for w in $(seq "$n"); do
    timeout 300 "$avpost" worker --catalog "$uri" --drain --lease-seconds 30 --output-root "$work/out$n-$w" >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(date +%s.%N)
  done_jobs=$(psql -d "throughput$n" -tAc "SELECT count(*) FROM queue_jobs WHERE state = 'done'")
  [ "$done_jobs" = "$jobs" ] || { echo "only $done_jobs of $jobs jobs done" >&2; exit 1; }
  printf '%-8s %-10.2f %-12.1f\n' "$n" "$(echo "$end - $start" | bc -l)" "$(echo "$jobs * 60 / ($end - $start)" | bc -l)"
done

# The claim statement of PgCatalog::claim_job, as one pgbench transaction.
cat >"$work/claim.sql" <<'SQL'
\set now 2000000000
WITH due AS (SELECT id, run_after FROM queue_jobs WHERE state = 'queued' AND run_after <= :now
  ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED),
 lapsed AS (SELECT id, run_after FROM queue_jobs WHERE state = 'running' AND lease_expires_at < :now
  ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED),
 picked AS (SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM lapsed) c ORDER BY run_after, id LIMIT 1)
UPDATE queue_jobs q SET state = 'running', worker = 'bench', lease_expires_at = :now + 60,
 lease_token = q.lease_token + 1, attempts = q.attempts + 1, updated_at = :now
FROM picked WHERE q.id = picked.id RETURNING q.id;
SQL
queue_of() {  # DB COUNT: a migrated catalog with COUNT queued jobs
  local uri
  uri=$(new_db "$1")
  "$avpost" jobs --catalog "$uri" >/dev/null  # creates the tables
  psql -d "$1" -c "INSERT INTO queue_jobs (name, idempotency_key, spec, max_attempts, run_after, submitted_at, updated_at)
    SELECT 'job' || g, md5(g::text), '{}', 3, 0, 0, 0 FROM generate_series(1, $2) g; ANALYZE queue_jobs;" >/dev/null
}
echo
echo "== claim latency (pgbench, the claim statement; each claim takes one job)"
printf '%-14s %-8s %-8s %-14s\n' queued clients claims "latency (ms)"
for size in 100 10000; do
  for clients in 1 3; do
    db="claims_${size}_$clients"
    queue_of "$db" "$size"
    claims=$((size < 1000 ? 30 : 1000))
    latency=$("$pgbin/pgbench" -n -h "$work" -U postgres -f "$work/claim.sql" -c "$clients" -t "$claims" "$db" 2>&1 |
              sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
    printf '%-14s %-8s %-8s %-14s\n' "$size" "$clients" "$((claims * clients))" "$latency"
  done
done

echo
echo "== the claim query's plan and time with 10,000 queued jobs (EXPLAIN ANALYZE, rolled back)"
queue_of plan 10000
psql -d plan -c "BEGIN" -c "EXPLAIN (ANALYZE, COSTS OFF)
WITH due AS (SELECT id, run_after FROM queue_jobs WHERE state = 'queued' AND run_after <= 2000000000
  ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED),
 lapsed AS (SELECT id, run_after FROM queue_jobs WHERE state = 'running' AND lease_expires_at < 2000000000
  ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED),
 picked AS (SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM lapsed) c ORDER BY run_after, id LIMIT 1)
UPDATE queue_jobs q SET state = 'running', worker = 'bench', lease_expires_at = 2000000060,
 lease_token = q.lease_token + 1, attempts = q.attempts + 1, updated_at = 2000000000
FROM picked WHERE q.id = picked.id RETURNING q.id" -c "ROLLBACK"
