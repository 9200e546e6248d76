#!/usr/bin/env bash
# make bench: measures the HTTP API with wrk on this machine and prints a table.
#
#   baseline  GET /healthz on a static libmicrohttpd reply path... is our own server: the
#             same route measured with the access log off is the baseline for the log's
#             cost, and a single-connection run is the baseline for concurrency.
#   reads     GET /healthz; the web app's main script (brotli, as built) and a page's shell
#   writes    POST /api/v1/crossings as a humanitarian user: a durable write (WAL,
#             synchronous=FULL) through the journal and the group committer.
#   peers     what a user would pick instead, in the same run: nginx (Debian's, one worker a
#             core, access log off) serving the healthz reply as a static file, for reads;
#             SQLite by itself, a commit a write, 1 and CONN writers (bench_commit), for
#             writes.
#
# Everything runs against 127.0.0.1 on a fresh demo database in a temporary directory.
set -euo pipefail
BUILD=${1:-build}
BIN="$(cd "$BUILD" && pwd)/truce"
. "$(dirname "$0")/lib.sh"
DUR=${BENCH_SECONDS:-10}
CONN=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
dir=$(mktemp -d /tmp/truce-bench-XXXXXX)
trap 'kill $pid 2>/dev/null || true; [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18181)
export TRUCE_PWHASH=min
"$BIN" demo --db "$dir/bench.db" --no-serve >/dev/null
start_server() { # $1: extra flags
  "$BIN" serve --db "$dir/bench.db" --listen "127.0.0.1:$port" $1 2>"$dir/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.05; done
  echo "bench: server did not start" >&2; cat "$dir/server.log" >&2; exit 1
}
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

rows=()
run() { # name connections wrk-args...
  local name=$1 conns=$2; shift 2
  local out
  local threads=$WRK_THREADS
  [ "$conns" -lt "$threads" ] && threads=$conns
  out=$(wrk -t"$threads" -c"$conns" -d"${DUR}s" --latency "$@" 2>&1)
  local rps p50 p99 errs
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errs=$(awk -F= '/^non2xx=/ {print $2}' <<<"$out"); errs=${errs:-$(awk '/Non-2xx/ {print $NF}' <<<"$out")}
  rows+=("$(printf '%-34s %5s %12s %10s %10s %8s' "$name" "$conns" "$rps" "$p50" "$p99" "${errs:-0}")")
}

start_server "--no-access-log"
run "GET /healthz (1 connection)" 1 "http://127.0.0.1:$port/healthz"
run "GET /healthz" "$CONN" "http://127.0.0.1:$port/healthz"
# The web app's largest first-load file, brotli as built, and the page's shell.
mkdir -p "$dir/www"
asset=$(curl -s "http://127.0.0.1:$port/report" | grep -o '/assets/main-[^"]*\.js')
curl -s -H 'Accept-Encoding: br' "http://127.0.0.1:$port$asset" >"$dir/www/asset.br"
run "GET /assets/main-*.js (br)" "$CONN" -H 'Accept-Encoding: br' "http://127.0.0.1:$port$asset"
run "GET /report (the shell, br)" "$CONN" -H 'Accept-Encoding: br' "http://127.0.0.1:$port/report"
TRUCE_TOKEN=$(curl -s "http://127.0.0.1:$port/api/v1/login" -H 'Content-Type: application/json' \
  -d '{"user":"wfp","password":"demo-wfp"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
export TRUCE_TOKEN
b0=$(metric truce_write_batches_total); j0=$(metric truce_write_jobs_total)
run "POST /api/v1/crossings (1 conn.)" 1 -s bench/write.lua "http://127.0.0.1:$port"
run "POST /api/v1/crossings" "$CONN" -s bench/write.lua "http://127.0.0.1:$port"
run "POST /api/v1/reports" "$CONN" -s bench/report.lua "http://127.0.0.1:$port"
b1=$(metric truce_write_batches_total); j1=$(metric truce_write_jobs_total)
stop_server
start_server ""
run "GET /healthz (access log on)" "$CONN" "http://127.0.0.1:$port/healthz"
curl -s "http://127.0.0.1:$port/healthz" >"$dir/www/healthz"
stop_server

# The peers. nginx on the same port, serving the same bytes as a file.
cat >"$dir/nginx.conf" <<NGINX
worker_processes $(nproc);
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  open_file_cache max=16;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  default_type application/json;
  server { listen 127.0.0.1:$port; root $dir/www; }
}
NGINX
nginx -c "$dir/nginx.conf" -p "$dir"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
run "nginx, the same bytes (static file)" "$CONN" "http://127.0.0.1:$port/healthz"
run "nginx, the asset's bytes (static file)" "$CONN" "http://127.0.0.1:$port/asset.br"
kill "$(cat "$dir/nginx.pid")"
rm -f "$dir/nginx.pid"
commit1=$("$BUILD/bench_commit" "$dir" "$DUR" 1)
commitn=$("$BUILD/bench_commit" "$dir" "$DUR" "$CONN")
rm -f "$dir"/commit.db*

echo
echo "truce $("$BIN" version | awk '{print $2}') on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), ${DUR}s per run, wrk -t$WRK_THREADS"
printf '%-34s %5s %12s %10s %10s %8s\n' "benchmark" "conns" "requests/s" "p50" "p99" "non-2xx"
printf '%s\n' "${rows[@]}"
printf '%s %10s %10s %8s\n' "$commit1" - - - "$commitn" - - -
echo "group commit: $((j1 - j0)) writes in $((b1 - b0)) transactions ($(( (j1 - j0) / ( (b1 - b0) > 0 ? (b1 - b0) : 1) )) writes per fsync)"

# The negotiation engine, against brute force in the same run.
echo
echo "Negotiation engine ($BUILD/bench_negotiate)"
"$BUILD/bench_negotiate"

# Monitoring at real-data scale: the real ACLED export imported with zone tagging against
# the same import with no zones, GEOS prepared point queries against plain ones, exports.
echo
echo "Monitoring ($BUILD/bench_monitor, the real ACLED export)"
"$BUILD/bench_monitor" "$dir" "${TRUCE_DATA:-../shared/data}/acled/gaza_war_events.csv" \
  "$(dirname "$0")/../scenarios/gaza-2025"

# Monitoring at a million rows: synthetic ACLED rows from the real export's distributions,
# `truce import acled`, the CSV export and a 100,000-incident box as GeoJSON over HTTP.
echo
echo "Monitoring at scale ($BUILD/bench_scale, ${BENCH_SCALE_ROWS:-1000000} synthetic rows; about 6 GB of /tmp)"
"$BUILD/bench_scale" "$dir" "${TRUCE_DATA:-../shared/data}/acled/gaza_war_events.csv" \
  "$(dirname "$0")/../scenarios/gaza-2025" "${BENCH_SCALE_ROWS:-1000000}"
rm -f "$dir"/scale.db* "$dir"/synthetic.csv

# The Merkle log without HTTP: appends, proofs and the audit at BENCH_LOG_ENTRIES entries,
# against the SHA-256 rate measured in the same run.
echo
echo "Merkle log ($BUILD/bench_log, ${BENCH_LOG_ENTRIES:-10000000} entries; takes a few minutes)"
"$BUILD/bench_log" "$dir" "${BENCH_LOG_ENTRIES:-10000000}"

# Aid at the scale of two years: 1,000 truckloads a day loaded through the services (a
# batch of 50 a move), against SQLite by itself keeping a table of trucks and a log of
# their moves (the peer), and the journal alone with the same events; then the public
# views over the whole period, in process (bench_aid) and over HTTP (curl, best of 5).
echo
echo "Aid ($BUILD/bench_aid, ${BENCH_AID_DAYS:-730} days of ${BENCH_AID_TRUCKS:-1000} truckloads)"
"$BUILD/bench_aid" "$dir" "$(dirname "$0")/../scenarios/gaza-2025" "${BENCH_AID_DAYS:-730}" \
  "${BENCH_AID_TRUCKS:-1000}" | tee "$dir/aid.txt"
read -r from to < <(awk '/^period/ {print $2, $3}' "$dir/aid.txt")
"$BIN" serve --db "$dir/aid.db" --listen "127.0.0.1:$port" --no-access-log 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
printf '%-44s %9.1f ms\n' "GET /aid/daily over the period (HTTP)" "$(best "http://127.0.0.1:$port/api/v1/aid/daily?from=$from&to=$to")"
printf '%-44s %9.1f ms\n' "GET /aid/dwell over the period (HTTP)" "$(best "http://127.0.0.1:$port/api/v1/aid/dwell?from=$from&to=$to")"
printf '%-44s %9.1f ms\n' "GET /aid/reconciliation (HTTP)" \
  "$(best "http://127.0.0.1:$port/api/v1/aid/reconciliation?from=$from&to=$to&basis=trucks_entered")"
stop_server
rm -f "$dir"/aid.db*

# The two real line lists (UNRWA's 37,373 trucks, COGAT's 52,479 consignments) imported
# into a fresh demo, against the sqlite3 shell importing the same files into a table and
# counting by day: what a researcher would do instead.
data=${TRUCE_DATA:-../shared/data}/aid
if [ -f "$data/unrwa_commodities_received_2023_2024.csv" ]; then
  "$BIN" demo --db "$dir/imp.db" --no-serve >/dev/null
  t0=$(date +%s.%N)
  "$BIN" import aid-counts "$data/unrwa_commodities_received_2023_2024.csv" --db "$dir/imp.db" \
    --source unrwa --basis trucks_entered --date-column 'Received Date' --count-rows \
    --crossing-column Crossing --category-column 'Cargo Category' >/dev/null 2>&1
  "$BIN" import aid-counts "$data/gaza_cogat_data_24sep2024.csv" --db "$dir/imp.db" \
    --source cogat --basis trucks_entered --date-column Date --count-rows \
    --category-column Classification >/dev/null 2>&1
  t1=$(date +%s.%N)
  sqlite3 "$dir/peer.db" ".import --csv '$data/unrwa_commodities_received_2023_2024.csv' u" \
    ".import --csv '$data/gaza_cogat_data_24sep2024.csv' c" \
    "CREATE TABLE n AS SELECT \"Received Date\" d, Crossing x, \"Cargo Category\" k, COUNT(*) v FROM u GROUP BY 1, 2, 3" \
    "CREATE TABLE m AS SELECT Date d, Classification k, COUNT(*) v FROM c GROUP BY 1, 2" >/dev/null
  t2=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
    printf "%-44s %9.2f s\n", "import of the two real line lists (89,852 rows)", b - a
    printf "%-44s %9.2f s\n", "peer: the sqlite3 shell, .import and GROUP BY", c - b }'
  rm -f "$dir"/imp.db* "$dir"/peer.db
fi

# Compliance: 200 obligations against the real export copied BENCH_COMPLY_COPIES times (190:
# a million incidents) and UNRWA's real counts; every obligation evaluated, the scorecard of
# another day and of today (settled states), one re-evaluation, against one count in SQL.
if [ -f "$data/unrwa_commodities_received_2023_2024.csv" ]; then
  echo
  echo "Compliance ($BUILD/bench_comply, ${BENCH_COMPLY_COPIES:-190} copies of the real export)"
  "$BUILD/bench_comply" "$dir" "$(dirname "$0")/../scenarios/gaza-2025" \
    "${TRUCE_DATA:-../shared/data}/acled/gaza_war_events.csv" \
    "$data/unrwa_commodities_received_2023_2024.csv" "${BENCH_COMPLY_COPIES:-190}"
  rm -f "$dir"/comply.db*
fi

# PostgreSQL beside SQLite: HTTP writes and reads with one and two servers, a million-row
# import and a box (bench/pg.sh, a durable throwaway cluster of its own).
echo
echo "PostgreSQL (bench/pg.sh, ${BENCH_PG_ROWS:-1000000} rows)"
"$(dirname "$0")/pg.sh" "$BUILD"
