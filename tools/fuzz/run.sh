#!/bin/sh
# Build the libFuzzer targets for the CSV reader kernel and run them
# (without clang's libFuzzer, or with FUZZ_ENGINE=gcc: the same targets
# built by gcc with ASan and UBSan around tools/fuzz/mutate.c, a mutation
# fuzzer without coverage feedback; the engine used is printed).
#
#   sh tools/fuzz/run.sh            fuzz for $FUZZ_SECONDS (default 120) s
#   sh tools/fuzz/run.sh coverage   line coverage of src/read.c reached by
#                                   the corpora kept so far
#
# Targets, both built from fuzz_read.c:
#   read   every input read once, every field checked;
#   parts  (only for a kernel that can cut a file into parts) every input
#          repeated past the cutting size and read with one parser and with
#          several parts, which must agree. It is much slower, so it gets a
#          third of the time.
# The corpora grow across runs in tools/fuzz/corpus and corpus-parts (not
# committed); they start from the test fixtures, each prefixed with a few
# settings bytes (see decode() in fuzz_read.c). Inputs that once crashed
# are kept in tests/testthat/fixtures/fuzz and replayed first.
# Exits non-zero on any crash, leak, timeout, sanitizer report or failed
# property; the input is left in tools/fuzz/artifacts.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/tools/fuzz"
build="$here/build"
seconds=${FUZZ_SECONDS:-120}
cc=${FUZZ_CC:-clang}
mode=${1:-fuzz}

# Without clang's libFuzzer, the same target and checks are built with
# gcc's AddressSanitizer and UndefinedBehaviorSanitizer around a small
# mutation fuzzer of our own (mutate.c: no coverage feedback, so it needs
# more runs to reach as far). FUZZ_ENGINE=gcc chooses it outright.
engine=${FUZZ_ENGINE:-libfuzzer}
if [ "$engine" = libfuzzer ]; then
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "tools/fuzz: '$cc' not found: using gcc with the sanitizers and" \
      "tools/fuzz/mutate.c (for libFuzzer: apt-get install clang" \
      "libclang-rt-14-dev)" >&2
    engine=gcc
  elif ! echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void) d; (void) n; return 0; }' |
       $cc -fsanitize=fuzzer -x c - -o /tmp/pa-fuzz-probe.$$ 2>/dev/null; then
    echo "tools/fuzz: $cc cannot link libFuzzer: using gcc with the" \
      "sanitizers and tools/fuzz/mutate.c (for libFuzzer: apt-get install" \
      "libclang-rt-14-dev)" >&2
    engine=gcc
  fi
  rm -f /tmp/pa-fuzz-probe.$$
fi
if [ "$engine" = gcc ]; then
  cc=${FUZZ_GCC:-gcc}
  if [ "$mode" = coverage ]; then
    echo "tools/fuzz: coverage needs clang (llvm-cov)" >&2
    exit 1
  fi
fi
echo "tools/fuzz: engine $engine ($cc)"

mkdir -p "$build" "$here/corpus" "$here/corpus-parts" "$here/seeds" \
  "$here/artifacts"
flags="-g -O1 -std=c99 -Wall -Wextra -pedantic -I$top/src"
targets="read"
# The kernel that converts while parsing and can cut a file into parts
# gets the extra checks and the second target. Its sizes are made tiny
# where src/read.c lets them be set, so that small inputs cross blocks and
# take many rounds of parts. A kernel without the overrides keeps its 1 MiB
# first block (inputs are then repeated past it) and only PA_PIECE is
# lowered, to 512 KiB: below PA_BLOCK / 2, kernels before the fix of
# tests/testthat/fixtures/fuzz/read-buffer-smaller-than-block overflow.
if grep -q 'pa_fill_column' "$top/src/read.h"; then
  flags="$flags -DPA_FUZZ_TYPED"
  targets="read parts"
  if grep -q '^#ifndef PA_BLOCK' "$top/src/read.c" &&
     grep -q '^#ifndef PA_MIN_PIECE' "$top/src/read.c"; then
    flags="$flags -DPA_BLOCK=4096 -DPA_MIN_PIECE=512 -DPA_PIECE=4096"
    flags="$flags -DPA_FUZZ_CUT_SIZE=20000"
  else
    flags="$flags -DPA_PIECE=524288"
  fi
fi
target_flags() {
  if [ "$1" = parts ]; then echo "-DPA_FUZZ_PARTS"; fi
}
corpus_of() {
  if [ "$1" = parts ]; then echo "$here/corpus-parts"; else echo "$here/corpus"; fi
}

if [ "$mode" = coverage ]; then
  # Plain builds with coverage mapping, run once over every input kept.
  rm -f "$build"/*.profraw
  objects=""
  for t in $targets; do
    $cc $flags $(target_flags "$t") -fprofile-instr-generate \
      -fcoverage-mapping -o "$build/cov_$t" "$here/fuzz_read.c" \
      "$here/standalone.c" "$top/src/read.c" -lcsv -lm
    find "$(corpus_of "$t")" "$here/seeds" -type f > "$build/inputs_$t.txt"
    LLVM_PROFILE_FILE="$build/cov_$t.profraw" "$build/cov_$t" \
      "$build/inputs_$t.txt" >/dev/null
    if [ -z "$objects" ]; then objects="$build/cov_$t"; else
      objects="$objects -object $build/cov_$t"; fi
  done
  llvm-profdata merge -sparse -o "$build/cov.profdata" "$build"/*.profraw
  llvm-cov report $objects -instr-profile="$build/cov.profdata" \
    "$top/src/read.c"
  llvm-cov show $objects -instr-profile="$build/cov.profdata" \
    "$top/src/read.c" > "$build/read.c.cov"
  echo "annotated source: $build/read.c.cov"
  exit 0
fi

# Every check stops the run, except those a suppression in ubsan.supp
# covers: a known bug, reported, must not hide the next one.
for t in $targets; do
  if [ "$engine" = gcc ]; then
    $cc $flags $(target_flags "$t") -fsanitize=address,undefined \
      -fno-sanitize-recover=all -fno-omit-frame-pointer \
      -o "$build/fuzz_$t" "$here/fuzz_read.c" "$here/mutate.c" \
      "$top/src/read.c" -lcsv -lm
  else
    $cc $flags $(target_flags "$t") -fsanitize=fuzzer,address,undefined \
      -fno-sanitize-recover=all -fsanitize-recover=pointer-overflow \
      -fno-omit-frame-pointer -o "$build/fuzz_$t" \
      "$here/fuzz_read.c" "$top/src/read.c" -lcsv -lm
  fi
done

# Seeds: every fixture under a few settings bytes (all automatic, Latin-1,
# Qualtrics header, strict, and a forced semicolon with decimal comma).
for f in "$top"/tests/testthat/fixtures/*.*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  for b in 000 010 030 044 222; do
    { printf "\\$b"; cat "$f"; } > "$here/seeds/$b-$name"
  done
done

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$here/ubsan.supp"

# Earlier crashes first: each must now pass.
regress="$top/tests/testthat/fixtures/fuzz"
if [ -d "$regress" ] && [ -n "$(ls -A "$regress" 2>/dev/null)" ]; then
  echo "replaying $(ls "$regress" | wc -l) saved crash inputs"
  for t in $targets; do
    if [ "$engine" = gcc ]; then
      "$build/fuzz_$t" -seconds=0 -artifacts="$here/artifacts" "$regress" \
        > "$build/regress_$t.log" 2>&1
    else
      "$build/fuzz_$t" -runs=1 "$regress"/* > "$build/regress_$t.log" 2>&1
    fi || {
      tail -n 40 "$build/regress_$t.log"
      echo "tools/fuzz: a saved crash input fails again ($t)" >&2
      exit 1
    }
  done
fi

failed=0
for t in $targets; do
  if [ "$targets" = read ]; then
    secs=$seconds
  elif [ "$t" = read ]; then
    secs=$((seconds * 2 / 3))
  else
    secs=$((seconds - seconds * 2 / 3))
  fi
  log="$build/fuzz_$t.log"
  echo "fuzzing src/read.c ($t) for $secs s (log: $log)"
  status=0
  if [ "$engine" = gcc ]; then
    "$build/fuzz_$t" "$(corpus_of "$t")" "$here/seeds" "$regress" \
      -dict="$here/csv.dict" -seconds="$secs" -seed="${FUZZ_SEED:-$$}" \
      -artifacts="$here/artifacts" > "$log" 2>&1 || status=$?
    grep -E '^fuzz_gcc: DONE' "$log" || true
    if [ "$status" -ne 0 ] && [ -f "$here/artifacts/current" ]; then
      mv "$here/artifacts/current" "$here/artifacts/$t-crash-$$"
    fi
  else
    "$build/fuzz_$t" "$(corpus_of "$t")" "$here/seeds" \
      -dict="$here/csv.dict" -max_len=16384 -timeout=20 -rss_limit_mb=2048 \
      -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="$here/artifacts/$t-" > "$log" 2>&1 || status=$?
    grep -E '^#[0-9]+.*(INITED|DONE)' "$log" | tail -n 2
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  fi
  if [ "$status" -ne 0 ] ||
     grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|property failed' "$log"; then
    grep -nE 'ERROR:|runtime error:|property failed|SUMMARY' "$log" | head -n 20
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "tools/fuzz: the fuzzer found a problem; inputs in $here/artifacts:" >&2
  ls -l "$here/artifacts" >&2
  exit 1
fi
echo "tools/fuzz: clean (engine $engine)"
