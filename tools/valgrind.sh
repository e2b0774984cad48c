#!/bin/sh
# Install the package (ordinary flags, from a copy of the working tree) into
# a private library and run the test suite under valgrind's memcheck.
# Fails on any memory error, any definite leak, and any failed test.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
  echo "tools/valgrind.sh: valgrind not found (apt-get install valgrind)" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pa-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
. "$top/tools/copy-source.sh"
copy_source "$top" "$work/src"

mkdir -p "$work/lib"
R CMD INSTALL --no-test-load --library="$work/lib" "$work/src" \
  > "$work/install.log" 2>&1 || {
  cat "$work/install.log"
  exit 1
}

log="${PA_LOG_DIR:-${TMPDIR:-/tmp}}/panelattrition-valgrind.log"

status=0
cd "$work/src/tests/testthat"
# PA_VALGRIND lets a test skip what valgrind cannot emulate: it computes
# x87 long doubles in 64 bits, so R's own parser (R_strtod) rounds some
# decimal literals differently under it.
PA_VALGRIND=true R_LIBS="$work/lib" NOT_CRAN=true \
  R --vanilla --no-echo \
    -d "valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --track-origins=yes" \
    -f "$top/tools/run-tests.R" > "$log" 2>&1 || status=$?

# Memory errors and test failures are told apart from the log, since both
# end in exit status 1.
grep -E '^run-tests:|ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:' "$log" || true
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d , | tail -n 1)
if [ -z "$errors" ]; then
  echo "tools/valgrind.sh: valgrind did not finish (full log: $log)" >&2
  exit 1
fi
if [ "$errors" -ne 0 ]; then
  grep -nE -B2 -A25 '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination)|definitely lost in' "$log" | head -n 150
  echo "tools/valgrind.sh: $errors memcheck errors (full log: $log)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "tools/valgrind.sh: memcheck clean, but tests failed (full log: $log)" >&2
  exit 1
fi
echo "tools/valgrind.sh: clean (log: $log)"
