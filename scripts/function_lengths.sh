#!/bin/bash
# The C++ functions longer than LIMIT lines (default 60), longest first, as universal-ctags sees
# them (a function's first to last line, lambdas counted in the function around them).
# Usage: scripts/function_lengths.sh [LIMIT] [DIR|FILE ...]   (default: lib filters pipeline tools)
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-60}
shift || true
paths=("$@")
[ ${#paths[@]} -gt 0 ] || paths=(lib filters pipeline tools)
ctags -R -x --languages=C++ --kinds-C++=f --fields=+ne --_xformat="%e %n %N %F" -o - "${paths[@]}" |
    awk -v limit="$limit" '{ n = $1 - $2 + 1; if (n > limit) printf "%5d  %s  %s:%s\n", n, $3, $4, $2 }' | sort -rn
