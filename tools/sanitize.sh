#!/bin/sh
# Build the package with AddressSanitizer and UndefinedBehaviorSanitizer
# (gcc's) into a private library and run the test suite against it.
# Fails on any sanitizer report and on any failed test.
#
# R itself is not instrumented, so ASan's runtime has to be loaded before
# R starts (LD_PRELOAD); its leak checker is off because R does not free
# everything at exit. The package is built from a copy of the working tree,
# so the sanitized objects never mix with those of an ordinary build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pa-sanitize.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
. "$top/tools/copy-source.sh"
copy_source "$top" "$work/src"

flags="-fsanitize=address,undefined -fno-omit-frame-pointer"
cat > "$work/Makevars" <<EOM
CFLAGS = -g -O1 $flags
LDFLAGS = $flags
EOM

asan=$(gcc -print-file-name=libasan.so)
if [ ! -f "$asan" ]; then
  echo "tools/sanitize.sh: gcc's libasan.so not found (apt-get install libasan8)" >&2
  exit 1
fi

mkdir -p "$work/lib"
echo "installing with $flags"
R_MAKEVARS_USER="$work/Makevars" R CMD INSTALL --no-test-load \
  --library="$work/lib" "$work/src" > "$work/install.log" 2>&1 || {
  cat "$work/install.log"
  exit 1
}
grep -q -- "-fsanitize=address" "$work/install.log" || {
  echo "tools/sanitize.sh: the sanitizer flags did not reach the compiler" >&2
  exit 1
}

log="${PA_LOG_DIR:-${TMPDIR:-/tmp}}/panelattrition-sanitize.log"

status=0
cd "$work/src/tests/testthat"
LD_PRELOAD="$asan" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
R_LIBS="$work/lib" NOT_CRAN=true \
  Rscript --vanilla "$top/tools/run-tests.R" > "$log" 2>&1 || status=$?

tail -n 15 "$log"
if [ "$status" -ne 0 ] ||
   grep -qE 'ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer' "$log"; then
  grep -nE -A30 'ERROR: AddressSanitizer|runtime error:' "$log" | head -n 80
  echo "tools/sanitize.sh: FAILED (full log: $log)" >&2
  exit 1
fi
echo "tools/sanitize.sh: clean (log: $log)"
