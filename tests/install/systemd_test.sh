#!/usr/bin/env bash
# The systemd units the .deb ships (packaging/systemd/), with this build's avpost in place of
# /usr/bin/avpost:
#  1. `systemd-analyze verify` on them prints nothing (any output fails: unknown keys, a missing
#     ExecStart program, a Documentation= man page that does not exist);
#  2. `systemd-analyze security --offline=yes --threshold=` passes for each (and fails for a bare
#     unit, so the threshold really bites);
#  3. each unit's ExecStart, expanded as systemd would (Environment= defaults, then the shipped
#     avpost.env, %i/%H specifiers, ${VAR} as one word, $VAR split into words) with
#     /var/lib/avpost moved into the work directory and a SQLite catalog there, really runs: the
#     worker runs a queued local job to "done", the gallery answers and lists it; then SIGTERM
#     ends each with a clean exit (0, or a code the unit's SuccessExitStatus= names); a worker
#     stopped in the middle of a job releases it to the queue (the drain of docs/fleet.md).
# The sandboxing itself (User=, ProtectSystem=, SystemCallFilter=, ...) needs systemd as PID 1
# and is not exercised here. Usage: systemd_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
# AVPOST_BIN: the built program (default BUILD_DIR/tools/avpost); BUILD_DIR/avpost.1 its man page.
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd) work=$3
avpost=${AVPOST_BIN:-$build/tools/avpost}
threshold=${SYSTEMD_EXPOSURE_THRESHOLD:-25}  # systemd-analyze's 0-100 scale: 25 is an exposure of 2.5
units=(avpost-worker@.service avpost-serve.service)

fail() { echo "systemd test: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (Debian package systemd; scripts/setup.sh installs it)"
[ -x "$avpost" ] || fail "no built program at $avpost"
rm -rf "$work"
mkdir -p "$work/units" "$work/man/man1"
work=$(cd "$work" && pwd)

# --- 1. verify -----------------------------------------------------------------------------------
for u in "${units[@]}"; do
  sed "s|/usr/bin/avpost|$avpost|g" "$source/packaging/systemd/$u" >"$work/units/$u"
done
# Documentation=man:avpost(1) is checked with man(1): the generated page, as the package installs it.
ln -s "$build/avpost.1" "$work/man/man1/avpost.1"
verify_out=$(cd "$work/units" && MANPATH=$work/man systemd-analyze verify "${units[@]/#/$work/units/}" 2>&1) ||
  fail "systemd-analyze verify failed: $verify_out"
[ -z "$verify_out" ] || fail "systemd-analyze verify printed (it must print nothing):
$verify_out"
echo "verify: ${units[*]}: no output"

# --- 2. security ---------------------------------------------------------------------------------
for u in "${units[@]}"; do
  out=$(systemd-analyze security --offline=yes --threshold="$threshold" "$work/units/$u" 2>&1) ||
    fail "$u: exposure above the threshold $threshold/100:
$(grep -E '✗|Overall' <<<"$out")"
  echo "security: $(grep 'Overall exposure' <<<"$out")"
done
printf '[Service]\nExecStart=/bin/true\n' >"$work/units/bare.service"
if systemd-analyze security --offline=yes --threshold="$threshold" "$work/units/bare.service" >/dev/null 2>&1; then
  fail "a bare unit passed --threshold=$threshold: the security check would not catch anything"
fi

# --- 3. the command lines run --------------------------------------------------------------------
state=$work/state  # stands for /var/lib/avpost (StateDirectory=avpost)
mkdir -p "$state" "$work/catalog"
catalog=$work/catalog/catalog.db
relocate() { sed -e "s|/usr/bin/avpost|$avpost|g" -e "s|/var/lib/avpost|$state|g" "$1"; }

# One line of the unit's [Service] section, KEY=VALUE; the last one wins (ExecStart= has one).
unit_values() { relocate "$1" | sed -n "s/^$2=//p"; }

# The service's environment as NAME=VALUE lines: systemd's own, the unit's Environment=, then the
# environment file (EnvironmentFile= wins over Environment=), then this test's overrides.
service_environment() {
  local unit=$1
  shift
  echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  echo "LANG=C.UTF-8"
  echo "HOME=$state"
  # A sanitizer build's settings (scripts/sanitize.sh: leak suppressions, LeakSanitizer off where
  # ptrace is refused) are the build's, not the service's: passed on so its avpost behaves there too.
  local v
  for v in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
    if [ -n "${!v:-}" ]; then echo "$v=${!v}"; fi
  done
  unit_values "$unit" Environment
  local line
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*([#\;]|$) ]] && continue
    [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || fail "avpost.env: not NAME=VALUE: $line"
    local name=${line%%=*} value=${line#*=}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    echo "$name=$value"
  done < <(relocate "$source/packaging/systemd/avpost.env")
  printf '%s\n' "$@"
}

# ExecStart expanded as systemd does, one word a line (the units' lines use no quotes, no escapes).
exec_argv() {
  local unit=$1 instance=$2 envfile=$3 cmd
  cmd=$(unit_values "$unit" ExecStart)
  [[ $cmd == /* ]] || fail "$unit: ExecStart does not start with an absolute path: $cmd"
  [[ $cmd != *[\"\'\\]* ]] || fail "$unit: ExecStart has quotes or escapes this test does not expand: $cmd"
  cmd=${cmd//%i/$instance}
  cmd=${cmd//%H/$(hostname)}
  [[ $cmd != *%* ]] || fail "$unit: a specifier this test does not expand: $cmd"
  declare -A env=()
  local line word name words split
  while IFS= read -r line; do env[${line%%=*}]=${line#*=}; done <"$envfile"
  read -ra words <<<"$cmd"
  for word in "${words[@]}"; do
    if [[ $word =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
      read -ra split <<<"${env[${BASH_REMATCH[1]}]:-}"  # $VAR alone: split at whitespace
      [ ${#split[@]} -eq 0 ] || printf '%s\n' "${split[@]}"
      continue
    fi
    while [[ $word =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
      name=${BASH_REMATCH[1]}
      word=${word//"\${$name}"/${env[$name]:-}}
    done
    echo "$word"
  done
}

# Starts the unit's command in the background: sets pid, and the files out_file / err_file.
start_unit() {
  local unit=$1 instance=$2
  shift 2
  local tag
  tag=$(basename "$unit" .service)
  tag=${tag%@}
  service_environment "$unit" "$@" >"$work/$tag.env"
  mapfile -t argv < <(exec_argv "$unit" "$instance" "$work/$tag.env")
  mapfile -t envs <"$work/$tag.env"
  local dir
  dir=$(unit_values "$unit" WorkingDirectory)
  echo "run ($tag): ${argv[*]}" | sed "s|$work|WORK|g"
  out_file=$work/$tag.out err_file=$work/$tag.err
  (cd "$dir" && exec env -i "${envs[@]}" "${argv[@]}") >"$out_file" 2>"$err_file" &
  pid=$!
}

# SIGTERM, then the exit code must be 0 or one the unit's SuccessExitStatus= names.
stop_unit() {
  local unit=$1 started=$SECONDS rc=0
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  local clean
  clean=" 0 $(unit_values "$unit" SuccessExitStatus | tr '\n' ' ') "
  [[ $clean == *" $rc "* ]] ||
    fail "$unit: exit $rc after SIGTERM (clean: $clean)
stdout: $(cat "$out_file")
stderr: $(cat "$err_file")"
  echo "$(basename "$unit"): SIGTERM -> exit $rc in $((SECONDS - started)) s (clean for the unit)"
}

cli() { env -i "${cli_env[@]}" "$avpost" "$@"; }

# The worker: a local job queued in the SQLite catalog, run by the unit's command line to "done".
worker=$work/units/avpost-worker@.service
service_environment "$worker" "AVPOST_CATALOG=$catalog" >"$work/cli.env"
mapfile -t cli_env <"$work/cli.env"
mkdir -p "$work/job"
cat >"$work/job/systemd-unit-test.json" <<EOF
{"name": "systemd-unit-test",
 "source": {"local": {"video": "$source/tests/media/avatar.mp4", "mask": "$source/tests/media/avatar_mask.mp4"}},
 "composite": {"background": "$source/tests/media/background.png"},
 "deliver": {"presets": ["poster"]}}
EOF
cli submit "$work/job/systemd-unit-test.json"
start_unit "$worker" test1 "AVPOST_CATALOG=$catalog"
state_now=""
for _ in $(seq 1 240); do
  kill -0 "$pid" 2>/dev/null || fail "the worker exited early: $(cat "$out_file" "$err_file")"
  state_now=$(cli jobs --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["jobs"][0]["state"])')
  [[ $state_now == "done" || $state_now == "failed" ]] && break
  sleep 0.5
done
[ "$state_now" = "done" ] || fail "the job is '$state_now', not done: $(cli jobs) $(cat "$out_file" "$err_file")"
grep -q "claimed .* systemd-unit-test" "$out_file" || fail "no claim line: $(cat "$out_file")"
[ -s "$state/out/systemd-unit-test/systemd-unit-test-poster.jpg" ] ||
  fail "no poster under --output-root: $(find "$state" -maxdepth 3)"
# The job archived its files (a job without "archive" keeps them in OUTPUT/archive), all verified.
verified=$(cli archive ls --json | python3 -c 'import json, sys; print(sum(a["state"] == "verified" for a in json.load(sys.stdin)["assets"]))')
[ "$verified" -ge 4 ] || fail "$verified files verified in the archive, not 4: $(cli archive ls)"
sleep 2  # idle: polling, as it waits for the next job
stop_unit "$worker"

# SIGTERM in the middle of a job drains as docs/fleet.md says: the job goes back to the queue,
# that attempt not counted, and the worker exits at once (well within TimeoutStopSec=).
cat >"$work/job/systemd-drain-test.json" <<EOF
{"name": "systemd-drain-test",
 "source": {"local": {"video": "$source/tests/media/avatar.mp4", "mask": "$source/tests/media/avatar_mask.mp4"}},
 "composite": {"background": "$source/tests/media/background.mp4"},
 "deliver": {"presets": ["web", "webm-alpha", "hls", "poster"]}}
EOF
cli submit "$work/job/systemd-drain-test.json"
job_state() {
  cli jobs --json | python3 -c 'import json, sys
j = [j for j in json.load(sys.stdin)["jobs"] if j["name"] == "systemd-drain-test"][0]
print(j["state"], j["attempts"])'
}
start_unit "$worker" test1 "AVPOST_CATALOG=$catalog"
drain=""
for _ in $(seq 1 300); do
  drain=$(job_state)
  [[ $drain != "queued 0" ]] && break
  sleep 0.1
done
stop_unit "$worker"
drain=$(job_state)
case $drain in
  "queued 0")
    grep -q "^released [0-9]* systemd-drain-test" "$out_file" || fail "no 'released' line: $(cat "$out_file")"
    echo "drain: the running job went back to the queue, its attempt not counted" ;;
  "done 1") echo "drain: not exercised (the job finished before SIGTERM arrived)" ;;
  *) fail "after SIGTERM the job is '$drain', not queued with 0 attempts: $(cat "$out_file" "$err_file")" ;;
esac

# The gallery: listens (port 0: any free port, so nothing else on 8080 matters), shows the job.
serve=$work/units/avpost-serve.service
start_unit "$serve" "" "AVPOST_CATALOG=$catalog" "AVPOST_SERVE_PORT=0"
url=""
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || fail "serve exited early: $(cat "$out_file" "$err_file")"
  url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$out_file")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "serve printed no 'listening on': $(cat "$out_file" "$err_file")"
get() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
get "$url" >/dev/null || fail "GET $url failed"
jobs_page=$(get "${url}api/jobs") || fail "GET ${url}api/jobs failed"
grep -q systemd-unit-test <<<"$jobs_page" || fail "the gallery does not list the job: $jobs_page"
sleep 2
stop_unit "$serve"
echo "systemd test: units verified, exposure at most $threshold/100, both command lines ran and stopped cleanly"
