#!/usr/bin/env bash
# Runs every test program of each build directory given, and ends with one summary line:
# "tests: N passed, N failed". A test program that crashes, or is killed by a sanitizer,
# counts as failed even if cmocka printed nothing. Output of failing programs is shown.
set -u
export TRUCE_PWHASH=min   # argon2id at its minimum cost: test speed, not test strength
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")/.." && pwd)/tests/lsan.supp:print_suppressions=0"
passed=0 failed=0 broken=()
root=$(cd "$(dirname "$0")/.." && pwd)
# One throwaway PostgreSQL cluster for the whole run (each test makes its own databases on
# it), stopped whatever happens.
if [ -z "${TRUCE_PG:-}" ]; then
  pgdir=$(mktemp -d -u /tmp/truce-pg.XXXXXX)
  TRUCE_PG=$("$root/scripts/pg-cluster.sh" start "$pgdir") || { echo "tests: cannot start PostgreSQL"; exit 1; }
  export TRUCE_PG
  trap '"$root/scripts/pg-cluster.sh" stop "$pgdir"' EXIT
fi
for build in "$@"; do
  export TRUCE_BIN="$(cd "$build" && pwd)/truce"
  # The C test programs, then the browser tests (tests/web, node and Debian's chromium)
  # against this build's server.
  for t in "$build"/tests/test_* "$build/tests/web"; do
    if [ "$t" = "$build/tests/web" ]; then
      cmd=(node "$root/tests/web/run.mjs")
    else
      [ -f "$t" ] && [ -x "$t" ] || continue
      cmd=("$t")
    fi
    log=$(mktemp)
    start=$(date +%s.%N)
    timeout 600 "${cmd[@]}" >"$log" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    p=$(grep -aoE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    f=$(grep -aoE '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
    p=${p:-0} f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    printf '%-28s %3d passed %3d failed  %6.2fs\n' "$build/$(basename "$t")" "$p" "$f" "$secs"
    if [ "$f" -ne 0 ]; then broken+=("$build/$(basename "$t")"); cat "$log"; fi
    rm -f "$log"
  done
done
if [ ${#broken[@]} -gt 0 ]; then echo "failing: ${broken[*]}"; fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
