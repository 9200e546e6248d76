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
skipped=0
# Runs one test program (its command line after the label), adding to the totals.
run() {
  local label=$1; shift
  local log start rc secs p f k
  log=$(mktemp)
  start=$(date +%s.%N)
  timeout 600 "$@" >"$log" 2>&1
  rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  p=$(grep -aoE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  f=$(grep -aoE '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  k=$(grep -aoE '^\[  SKIPPED \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  p=${p:-0} f=${f:-0} k=${k:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
  printf '%-36s %3d passed %3d failed%s  %6.2fs\n' "$label" "$p" "$f" \
    "$( [ "$k" -gt 0 ] && printf ' %3d SQLite-only' "$k")" "$secs"
  if [ "$f" -ne 0 ]; then broken+=("$label"); cat "$log"; fi
  rm -f "$log"
}
# Run once: programs that never open a database (the engine, encodings, the tree's
# arithmetic); those of the SQLite file itself (its store, its journal modes and locks, the
# tampering of its rows, the command line on files); and test_pg, which runs both backends
# side by side (the same log byte for byte, tampering, many processes, the commands).
once=" test_core test_json test_merkle test_negotiate test_note test_store test_log test_cli test_pg test_pg_servers "
for build in "$@"; do
  export TRUCE_BIN="$(cd "$build" && pwd)/truce"
  # The C test programs, then the browser tests (tests/web, node and Debian's chromium)
  # against this build's server.
  for t in "$build"/tests/test_* "$build/tests/web"; do
    if [ "$t" = "$build/tests/web" ]; then
      run "$build/web" node "$root/tests/web/run.mjs"
    elif [ -f "$t" ] && [ -x "$t" ]; then
      run "$build/$(basename "$t")" "$t"
    fi
  done
  # Again on PostgreSQL: every program that keeps data, its servers and databases on the
  # run's cluster, then the browser tests with their servers on it. Tests of what only a SQLite file has say so and are counted apart.
  for t in "$build"/tests/test_* "$build/tests/web"; do
    if [ "$t" = "$build/tests/web" ]; then
      run "$build/web (postgres)" env TRUCE_TEST_BACKEND=postgres \
        TRUCE_ARTIFACTS="$build/web-artifacts-postgres" node "$root/tests/web/run.mjs"
      continue
    fi
    [ -f "$t" ] && [ -x "$t" ] || continue
    case "$once" in *" $(basename "$t") "*) continue ;; esac
    run "$build/$(basename "$t") (postgres)" env TRUCE_TEST_BACKEND=postgres "$t"
  done
done
if [ ${#broken[@]} -gt 0 ]; then echo "failing: ${broken[*]}"; fi
echo "tests: $passed passed, $failed failed, $skipped SQLite-only on the PostgreSQL pass"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
