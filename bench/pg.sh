#!/usr/bin/env bash
# make bench, PostgreSQL: the same server on SQLite and on PostgreSQL (a durable cluster of
# the run's own: fsync and synchronous commit on, as SQLite's synchronous=FULL), side by side
# on this machine: writes/s and reads/s over HTTP with one truce process on SQLite, one on
# PostgreSQL and two on one PostgreSQL database (two wrk at once, one a server); then an
# import of BENCH_PG_ROWS ACLED rows (the real export copied with new event ids) through
# `truce import acled` into each, and a box of incidents as GeoJSON, best of five; last, an
# aid line list of BENCH_PG_ROWS rows (one a truckload, over 2,000 days, 5 crossings and 8
# categories: some 80,000 daily counts) through `truce import aid-counts` into each. Peers
# beside them: PostgreSQL's own commits (pgbench) for the writes, and for the aid import the
# same sums made by hand in each store (sqlite3 .import, psql \copy, GROUP BY).
set -euo pipefail
BUILD=${1:-build}
BIN="$(cd "$BUILD" && pwd)/truce"
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/bench/lib.sh"
DUR=${BENCH_SECONDS:-10}
CONN=${BENCH_CONNECTIONS:-64}
ROWS=${BENCH_PG_ROWS:-1000000}
data=${TRUCE_DATA:-$root/../shared/data}
dir=$(mktemp -d /tmp/truce-benchpg-XXXXXX)
pgdir=$(mktemp -d -u /tmp/truce-benchpg-cluster.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; "$root/scripts/pg-cluster.sh" stop "$pgdir"; rm -rf "$dir"' EXIT
PG=$(TRUCE_PG_DURABLE=1 "$root/scripts/pg-cluster.sh" start "$pgdir")
psql -XAtq "$PG dbname=postgres" -c "CREATE DATABASE bench1" -c "CREATE DATABASE bench2" \
  -c "CREATE DATABASE big" -c "CREATE DATABASE aid"
export TRUCE_PWHASH=min TRUCE_KEY_FILE="$dir/pg.key"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() { # db port
  "$BIN" serve --db "$1" --listen "127.0.0.1:$2" --no-access-log 2>>"$dir/server.log" &
  pids+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.05; done
  echo "bench: server did not start" >&2; cat "$dir/server.log" >&2; exit 1
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
token() { curl -s "http://127.0.0.1:$1/api/v1/login" -H 'Content-Type: application/json' \
  -d '{"user":"wfp","password":"demo-wfp"}' | sed 's/.*"token":"\([^"]*\)".*/\1/'; }
rps() { awk '/^Requests\/sec/ {print $2}'; }
rows=()
# name, then one port per server: reads of the demo's crossings (before the writes add to
# them), then writes, wrk on every server at once.
measure() {
  local name=$1; shift
  local ports=("$@") n=$# w=0 r=0 out
  export TRUCE_TOKEN
  TRUCE_TOKEN=$(token "${ports[0]}")
  for p in "${ports[@]}"; do
    wrk -t1 -c$((CONN / n)) -d"${DUR}s" "http://127.0.0.1:$p/api/v1/crossings" >"$dir/r.$p" 2>&1 &
  done
  wait_wrk; for p in "${ports[@]}"; do r=$(awk -v a="$r" -v b="$(rps <"$dir/r.$p")" 'BEGIN {print a + b}'); done
  for p in "${ports[@]}"; do
    wrk -t1 -c$((CONN / n)) -d"${DUR}s" -s "$root/bench/write.lua" "http://127.0.0.1:$p" >"$dir/w.$p" 2>&1 &
  done
  wait_wrk; for p in "${ports[@]}"; do w=$(awk -v a="$w" -v b="$(rps <"$dir/w.$p")" 'BEGIN {print a + b}'); done
  rows+=("$(printf '%-40s %12.0f %12.0f' "$name" "$w" "$r")")
}
wait_wrk() { while pgrep -x wrk >/dev/null; do sleep 0.2; done; }

"$BIN" demo --db "$dir/bench.db" --no-serve >/dev/null
"$BIN" demo --db "$PG dbname=bench1" --no-serve >/dev/null
"$BIN" demo --db "$PG dbname=bench2" --no-serve >/dev/null
# Each configuration on a fresh demo: the reads list its few crossings, not the writes'.
p1=$(free_port); serve "$dir/bench.db" "$p1"; measure "SQLite, 1 server" "$p1"; stop_all
p1=$(free_port); serve "$PG dbname=bench1" "$p1"; measure "PostgreSQL, 1 server" "$p1"; stop_all
p1=$(free_port); serve "$PG dbname=bench2" "$p1"; p2=$(free_port); serve "$PG dbname=bench2" "$p2"
measure "PostgreSQL, 2 servers (one database)" "$p1" "$p2"; stop_all
"$BIN" audit --db "$PG dbname=bench2" | sed 's/^/audit after the two servers: /'
# The peer for writes: PostgreSQL by itself on the same cluster, a commit a row (pgbench, one
# INSERT of a 300-byte row a transaction, as many clients): a durable write without truce.
psql -XAtq "$PG dbname=postgres" -c "CREATE DATABASE peer"
psql -XAtq "$PG dbname=peer" -c "CREATE TABLE peer(id bigserial PRIMARY KEY, body text)"
echo "INSERT INTO peer(body) VALUES (repeat('x', 300));" >"$dir/peer.sql"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tps=$("$pgbin/pgbench" -n -f "$dir/peer.sql" -c "$CONN" -j 2 -T "$DUR" "$PG dbname=peer" 2>/dev/null |
  awk '/^tps/ {print $3; exit}')
rows+=("$(printf '%-40s %12.0f %12s' "peer: PostgreSQL alone, a commit a row" "$tps" "-")")

# A million rows: the real export again and again, each copy's event ids made its own.
copies=$(( (ROWS + 5337) / 5338 ))
awk -v k="$copies" -F, 'NR == 1 { print; next } { lines[++n] = $0 }
  END { for (c = 1; c <= k; c++) for (i = 1; i <= n; i++) { l = lines[i]; sub(/^[^,]*/, "&x" c, l); print l } }' \
  "$data/acled/gaza_war_events.csv" >"$dir/big.csv"
n=$(( $(wc -l <"$dir/big.csv") - 1 ))
"$BIN" init --db "$dir/big.db" --name Big 2>/dev/null
"$BIN" init --db "$PG dbname=big" --name Big 2>/dev/null
imp() { local t0 t1; t0=$(date +%s.%N); "$BIN" import acled "$dir/big.csv" --db "$1" >/dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'; }
ts=$(imp "$dir/big.db"); tp=$(imp "$PG dbname=big")
# The box as a deployment serves it minutes after an import: once autovacuum has marked the
# table's pages all-visible, the box's ids come from the index alone (done here at once).
psql -XAtq "$PG dbname=big" -c "VACUUM (ANALYZE) incidents"
box="/api/v1/incidents.geojson?bbox=34.44,31.50,34.46,31.52"
p1=$(free_port); serve "$dir/big.db" "$p1"; bs=$(best "http://127.0.0.1:$p1$box"); feats=$(curl -s "http://127.0.0.1:$p1$box" | grep -o '"Feature"' | wc -l); stop_all
p1=$(free_port); serve "$PG dbname=big" "$p1"; bp=$(best "http://127.0.0.1:$p1$box"); featp=$(curl -s "http://127.0.0.1:$p1$box" | grep -o '"Feature"' | wc -l); stop_all

python3 - "$dir/aid.csv" "$ROWS" <<'PY'
import datetime, random, sys
random.seed(7)
crossings = ["Kerem Shalom", "Kissufim", "Zikim", "Rafah Crossing", "Erez"]
categories = ["Food Items", "Medical Supplies", "Fuel", "Shelter", "WASH", "Nutrition",
              "Education", "Other"]
day0 = datetime.date(2020, 1, 1)
with open(sys.argv[1], "w") as f:
    f.write("Date,Crossing,Category,Tonnes\n")
    for _ in range(int(sys.argv[2])):
        day = day0 + datetime.timedelta(days=random.randrange(2000))
        f.write(f"{day},{random.choice(crossings)},{random.choice(categories)},"
                f"{random.randrange(1, 400) / 10}\n")
PY
"$BIN" demo --db "$dir/aid.db" --no-serve >/dev/null
"$BIN" demo --db "$PG dbname=aid" --no-serve >/dev/null
aid() { local t0 t1; t0=$(date +%s.%N); "$BIN" import aid-counts "$dir/aid.csv" --db "$1" --source synth \
  --basis tonnes --date-column Date --value-column Tonnes --crossing-column Crossing \
  --category-column Category 2>/dev/null | sed 's/.*: \([0-9]*\) daily counts.*/\1/' >"$dir/aid.n"
  t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'; }
as=$(aid "$dir/aid.db"); ap=$(aid "$PG dbname=aid"); acounts=$(cat "$dir/aid.n")
# Its peers: the same sums by hand, each store by itself (the sqlite3 shell's .import, psql's
# \copy, then GROUP BY), as a researcher would make them without truce.
t0=$(date +%s.%N)
sqlite3 "$dir/aidpeer.db" ".import --csv '$dir/aid.csv' t" \
  "CREATE TABLE n AS SELECT Date d, Crossing x, Category k, SUM(Tonnes) v FROM t GROUP BY 1, 2, 3"
t1=$(date +%s.%N)
psql -XAtq "$PG dbname=aid" -c "CREATE TABLE peer_rows(d text, x text, k text, v float8)" \
  -c "\copy peer_rows FROM '$dir/aid.csv' CSV HEADER" \
  -c "CREATE TABLE peer_counts AS SELECT d, x, k, sum(v) AS v FROM peer_rows GROUP BY 1, 2, 3"
t2=$(date +%s.%N)
aps=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'); app=$(awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}')

echo "truce $("$BIN" version | awk '{print $2}') on $(nproc) cores; PostgreSQL $(psql -XAt "$PG dbname=postgres" -c 'SHOW server_version' | cut -d' ' -f1) durable (fsync, synchronous_commit on); ${DUR}s per run, $CONN connections in all"
printf '%-40s %12s %12s\n' "backend" "writes/s" "reads/s"
printf '%s\n' "${rows[@]}"
printf '%-40s %10.1f s\n' "import of $n ACLED rows, SQLite" "$ts"
printf '%-40s %10.1f s\n' "import of $n ACLED rows, PostgreSQL (COPY)" "$tp"
printf '%-40s %10.1f ms (%s incidents)\n' "box as GeoJSON, SQLite" "$bs" "$feats"
printf '%-40s %10.1f ms (%s incidents)\n' "box as GeoJSON, PostgreSQL (GiST)" "$bp" "$featp"
printf '%-40s %10.1f s (%s daily counts)\n' "import of $ROWS aid rows, SQLite" "$as" "$acounts"
printf '%-40s %10.1f s (%s daily counts)\n' "import of $ROWS aid rows, PostgreSQL (COPY)" "$ap" "$acounts"
printf '%-40s %10.1f s\n' "peer: sqlite3 .import and GROUP BY" "$aps"
printf '%-40s %10.1f s\n' "peer: psql \\copy and GROUP BY" "$app"
