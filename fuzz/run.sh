#!/bin/sh
# Runs each libFuzzer target for FUZZ_SECONDS (default 60) on its seeds: fuzz/seeds/NAME
# and, for the importer, rows of the real ACLED export. The corpus grows in
# BUILD/fuzz-corpus/NAME between runs; an input that crashes a target, or fails one of
# its checks, is saved in BUILD/fuzz-artifacts/ and the script exits 1 naming it.
# usage: fuzz/run.sh BUILD
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
data=${TRUCE_DATA:-$here/../../shared/data}
seconds=${FUZZ_SECONDS:-60}
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-seeds/acled"
acled="$data/acled/gaza_war_events.csv"
if [ -f "$acled" ]; then
  # Rows alone (the target puts the real header first when the first byte is even), and
  # the file's first lines with their header (odd: 'e' of event_id_cnty).
  sed -n '2,6p' "$acled" > "$build/fuzz-seeds/acled/rows.csv"
  sed -n '200,203p' "$acled" > "$build/fuzz-seeds/acled/more-rows.csv"
  head -n 4 "$acled" > "$build/fuzz-seeds/acled/file.csv"
fi
# Notes: the published signed-note vectors, when python3 is there to read them.
mkdir -p "$build/fuzz-seeds/note" "$build/fuzz-seeds/genius"
cp "$here"/seeds/note/* "$build/fuzz-seeds/note/"
if [ -f "$data/tlog/signed_note_vectors.json" ] && command -v python3 >/dev/null; then
  python3 - "$data/tlog/signed_note_vectors.json" "$build/fuzz-seeds/note" <<'PY' || true
import json, sys
v = json.load(open(sys.argv[1]))
found = []
for k in v.get("keys", []):
    found += [k[f] for f in ("signer_key", "verifier_key", "note") if f in k]
for n in v.get("notes", []):
    found.append(n["text"] + "\n" + n["signature_line"] + "\n")
for i, s in enumerate(found[:40]):
    open("%s/vector-%d" % (sys.argv[2], i), "w").write(s)
PY
fi
# Genius: two small real domains, each with one profile after a NUL byte.
for d in y2010/EnglandZimbabwe:England y2010/ItexvsCypress:ItexvsCypress_Itex; do
  dom=${d%%:*} party=${d##*:}
  f="$data/negotiation/genius/$dom"
  [ -d "$f" ] || continue
  { cat "$f"/*_domain.xml; printf '\0'; cat "$f/$party.xml"; } > "$build/fuzz-seeds/genius/$(basename "$dom")"
done

export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for name in ${FUZZ_TARGETS:-acled report zone note genius http aid}; do
  corpus="$build/fuzz-corpus/$name"
  mkdir -p "$corpus"
  seeds="$here/seeds/$name"
  case $name in acled | note | genius) seeds="$build/fuzz-seeds/$name" ;; esac
  echo "fuzz_$name: ${seconds} s"
  if ! "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name-" \
       "$corpus" "$seeds" > "$build/fuzz-$name.log" 2>&1; then
    echo "fuzz_$name FAILED: see $build/fuzz-$name.log and $build/fuzz-artifacts/" >&2
    tail -n 40 "$build/fuzz-$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$name.log" |
      sed "s/^/  /"
  fi
done
exit $status
