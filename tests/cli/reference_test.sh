#!/usr/bin/env bash
# The man page and the bash completion the build made (build/avpost.1, build/avpost.bash-completion):
# the man page renders without a groff warning and names every subcommand, option, exit code and
# environment variable that `--help` and the sources know; the completion, sourced in bash,
# completes subcommands, options and option values; `cmake --install` puts both where man and
# bash-completion look.
# Usage: reference_test.sh AVPOST MAN_PAGE COMPLETION SOURCE_DIR BUILD_DIR WORK_DIR
set -uo pipefail  # (grep -q reads here-strings, not pipes: an early exit would SIGPIPE the writer)
avpost=$1 man_page=$2 completion=$3 source_dir=$4 build_dir=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The build's files are what the program prints now (nothing stale).
cmp -s "$man_page" <("$avpost" help-man) || fail "$man_page differs from \`avpost help-man\`"
cmp -s "$completion" <("$avpost" completion bash) || fail "$completion differs from \`avpost completion bash\`"

# --- The man page ---------------------------------------------------------------------------
# Rendered by groff with every warning on, then as man(1) shows it.
warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1)
[ -z "$warnings" ] || fail "groff warns about $man_page: $warnings"
warnings=$(MANWIDTH=100 man --warnings -l "$man_page" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "man -l warns about $man_page: $warnings"
# As text, the way man lays it out (-P-cbou: plain characters, no overstriking, so no col(1)).
groff -man -Tutf8 -rLL=100n -P-cbou "$man_page" 2>/dev/null >"$work/man.txt"
grep -q "^NAME" "$work/man.txt" || fail "the man page did not render: $(head -5 "$work/man.txt")"

# Every command path that --help lists ("avpost archive ls"), with its options.
help_subcommands() {  # the names under "Subcommands:" in `avpost ARGS --help`
  "$avpost" "$@" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
}
section_text() {  # HEADING: the rendered lines from that heading to the next one
  awk -v heading="$1" '
    $0 == heading { on = 1; next }
    on && (/^   avpost / || /^[A-Z]/) { exit }
    on { print }' "$work/man.txt"
}
check_command() {  # PATH...: the section and every option --help shows for it, as an entry there
  local help section heading text
  help=$("$avpost" "$@" --help) || { fail "avpost $* --help failed"; return; }
  section="avpost${*:+ $*}"
  heading=$([ $# -gt 0 ] && echo "   $section" || echo "GLOBAL OPTIONS")
  grep -qxF "$heading" "$work/man.txt" || fail "no section '$heading' in the man page"
  text=$(section_text "$heading")
  # Option names as --help prints them at the start of its option lines ("  -o,--output TEXT"),
  # each the tag of an entry in its command's section ("       -o, --output TEXT (required)").
  # (The footer's global options are checked under GLOBAL OPTIONS.)
  for option in $(printf '%s\n' "$help" | sed '/^Global options/,$d' | grep -oE '^  +-[-A-Za-z0-9,]+' |
                  tr ',' '\n' | sed 's/^ *//'); do
    grep -qE -- "^ {7}(-[-A-Za-z0-9]+, )*$option( |,|\$)" <<<"$text" ||
      fail "option $option of '$section' has no entry in its man page section"
  done
  for sub in $(help_subcommands "$@"); do check_command "$@" "$sub"; done
}
check_command
commands=$(help_subcommands | wc -l)
[ "$commands" -ge 15 ] || fail "only $commands subcommands found in avpost --help"

# Exit codes: each one `avpost --help` lists is in EXIT STATUS (both come from exit_codes.cpp).
status_section=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$work/man.txt")
for code in $("$avpost" --help | sed -n '/^Exit codes:/,$p' | grep -oE '^ *[0-9]+  ' | tr -d ' '); do
  grep -qE "^ +$code( |\$)" <<<"$status_section" || fail "exit code $code is not in EXIT STATUS"
done
grep -qE '^ +130( |$)' <<<"$status_section" || fail "EXIT STATUS lacks 130 (Ctrl-C)"

# Environment: every variable the sources read by name is in ENVIRONMENT.
environment_section=$(sed -n '/^ENVIRONMENT/,/^EXIT STATUS/p' "$work/man.txt")
for name in $(grep -rhoE '"(AVPOST|AKOOL|A2V|AWS)_[A-Z0-9_]+"|getenv\("[A-Z_]+"\)' \
                "$source_dir/lib" "$source_dir/tools" "$source_dir/filters" |
              grep -oE '[A-Z][A-Z0-9_]+' | grep -v '^HOME$' | sort -u); do
  grep -qE "^ +$name( |\$)" <<<"$environment_section" || fail "environment variable $name is not in ENVIRONMENT"
done

# --- The bash completion ---------------------------------------------------------------------
# COMPREPLY for the words typed so far (the last one being completed), as bash would ask.
completions() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
    func=$(complete -p avpost | sed -E "s/.*-F ([^ ]+) .*/\1/")
    "$func" avpost "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' completion "$completion" "$@"
}
expect_completions() {  # EXPECTED WORDS...: the completions, one line each, sorted
  local expected=$1 got
  shift
  got=$(completions "$@" | sort | paste -sd' ')
  [ "$got" = "$expected" ] || fail "completing '$*': got '$got', expected '$expected'"
}
expect_completions "compose" avpost comp
expect_completions "--background" avpost compose --back
expect_completions "--background" avpost transcode in.mp4 --back
expect_completions "ls" avpost archive l
expect_completions "--archive" avpost archive ls --arc   # the parent's option, passed up by CLI11
expect_completions "a2v akool" avpost render --vendor ""
expect_completions "--json" avpost compose --js          # a global option after the subcommand
expect_completions "bash" avpost completion ""
expect_completions "--webhook-listen" avpost run --web
expect_completions "--manifest" avpost batch --mani
# Every subcommand --help lists completes from its first letters (but `completion`, left out).
for sub in $(help_subcommands | grep -vx completion); do
  grep -qxF "$sub" <<<"$(completions avpost "${sub:0:4}")" || fail "'avpost ${sub:0:4}<TAB>' does not offer $sub"
done
# Values of options that take a file complete as files.
touch "$work/scene-one.json"
expect_completions "$work/scene-one.json" avpost compose --scene "$work/scene-o"
# The hidden help-man is not offered.
grep -q help-man <<<"$(completions avpost help)" && fail "the hidden help-man is offered"

# --- Installed where man and bash-completion look ----------------------------------------------
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null || fail "cmake --install failed"
[ -f "$work/prefix/share/man/man1/avpost.1" ] || fail "no share/man/man1/avpost.1 installed"
[ -f "$work/prefix/share/bash-completion/completions/avpost" ] ||
  fail "no share/bash-completion/completions/avpost installed"
[ -x "$work/prefix/bin/avpost" ] || fail "no bin/avpost installed"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "man page and bash completion: ok ($commands subcommands)"
