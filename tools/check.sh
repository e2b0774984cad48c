#!/bin/sh
# Build the package, run R CMD check --as-cran on the tarball, and print the
# testthat totals as "N passed, N failed". Exits non-zero on any failed
# test and on any ERROR or WARNING of the check.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/check"
rm -rf "$out"
mkdir -p "$out"
cd "$out" || exit 1

export _R_CHECK_CRAN_INCOMING_REMOTE_=false
export _R_CHECK_FUTURE_FILE_TIMESTAMPS_=false
export NOT_CRAN=true

R CMD build "$top" || { echo "0 passed, 1 failed"; exit 1; }
tarball=$(ls -t panelattrition_*.tar.gz | head -n 1)
R CMD check --as-cran --no-manual "$tarball"
check_status=$?

log="panelattrition.Rcheck/00check.log"
rout=""
for f in panelattrition.Rcheck/tests/testthat.Rout.fail \
         panelattrition.Rcheck/tests/testthat.Rout; do
  if [ -f "$f" ]; then rout="$f"; break; fi
done

passed=0; failed=0
if [ -n "$rout" ]; then
  totals=$(grep -E '\[ FAIL [0-9]+ \| WARN [0-9]+ \| SKIP [0-9]+ \| PASS [0-9]+ \]' "$rout" | tail -n 1)
  if [ -n "$totals" ]; then
    failed=$(echo "$totals" | sed -E 's/.*FAIL ([0-9]+).*/\1/')
    passed=$(echo "$totals" | sed -E 's/.*PASS ([0-9]+).*/\1/')
    skipped=$(echo "$totals" | sed -E 's/.*SKIP ([0-9]+).*/\1/')
    echo "testthat: $totals"
    [ "$skipped" -gt 0 ] && grep -A2 -E '^── Skip|Skipped tests' "$rout" | head -20
  else
    echo "testthat output has no totals line; the test run did not finish:"
    tail -n 30 "$rout"
    failed=1
  fi
else
  echo "no testthat output: the tests did not run"
  failed=1
fi

bad=0
if [ -f "$log" ]; then
  echo "R CMD check: $(grep -E '^Status:' "$log")"
  if grep -qE '^Status:.*(ERROR|WARNING)' "$log"; then bad=1; fi
  grep -nE '\.\.\. (NOTE|WARNING|ERROR)$' "$log" | sed 's/^/  /'
else
  bad=1
fi
[ "$check_status" -ne 0 ] && bad=1

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$bad" -ne 0 ]; then exit 1; fi
exit 0
