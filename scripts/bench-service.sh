#!/usr/bin/env bash
# service-bench: POST /v1/events driven by wrk (batches of 100 events, 16 and 64
# connections) against `connector serve` on SQLite and on PostgreSQL, next to the store's
# own rate in the same run (engine-bench and postgres-bench with batches of 100), and the
# p99 time from an immediate follow-up's trigger event to its request at a loopback
# provider at 1,000 events/s. Needs wrk (Debian: apt-get install wrk).
#   bash scripts/bench-service.sh [SECONDS per wrk run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
bash scripts/bootstrap.sh
command -v wrk >/dev/null || { echo "service-bench needs wrk: apt-get install wrk" >&2; exit 1; }
swift build -c release --product connector
swift build -c release --product engine-bench
swift build -c release --product postgres-bench
bin=.build/release

work=$(mktemp -d)
chmod 755 "$work"  # the PostgreSQL server runs as the postgres user when this runs as root
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
secret() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }

# start NAME COMMAND...: runs COMMAND in the background with its standard input and output
# on FIFOs this script holds open (a peer ends when its input ends), and reads its first
# output line (the readiness line) into $ready.
start() {
    local name=$1; shift
    mkfifo "$work/$name.in" "$work/$name.out"
    "$@" <"$work/$name.in" >"$work/$name.out" &
    pids+=("$!")
    last_pid=$!
    exec {in_fd}<>"$work/$name.in"
    exec {out_fd}<"$work/$name.out"
    read -r ready <&"$out_fd"
}
export CONNECTOR_API_KEY=$(secret) CONNECTOR_TRACKING_KEY=$(secret)$(secret)

# The loopback provider of the latency run.
start sink python3 -u Tests/Peers/sink_peer.py
sink="http://127.0.0.1:$(sed 's/.*"port": *\([0-9]*\).*/\1/' <<<"$ready")"
python3 Benchmarks/ServiceBenchmark/setup.py "$work" "$sink"

# A PostgreSQL server of its own, as the tests start one.
mkdir -p "$work/pg" && chmod 777 "$work/pg"
start pg python3 -u Tests/Peers/pg_peer.py "$work/pg"
pg_port=$(sed 's/.*"port": *\([0-9]*\).*/\1/' <<<"$ready")
psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE bench" postgres

users() {  # 100,000 users with push tokens, half of them pro, 1,000 a request
    python3 - "$1" <<'PY'
import json, os, sys, urllib.request
url, key = sys.argv[1], os.environ["CONNECTOR_API_KEY"]
for first in range(0, 100000, 1000):
    users = [{"id": f"u{i}", "attributes": {"first_name": "Ada", "plan": "pro" if i % 2 == 0 else "free"}, "addresses": {"push": f"tok-{i}"}}
             for i in range(first, first + 1000)]
    request = urllib.request.Request(url + "/v1/users", data=json.dumps({"users": users}).encode(),
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(request).read()
PY
}

serve() {  # serve NAME STORE: starts the service, sets $url and $serve_pid
    export BENCH_STORE="$2"
    start "$1" "$bin/connector" serve --config "$work/connector.yaml" --log-level error --stop-at-input-end
    serve_pid=$last_pid
    url=${ready#listening on }
}

for store in sqlite postgres; do
    if [ "$store" = sqlite ]; then serve serve-sqlite "$work/bench.sqlite"; else serve serve-pg "postgres://postgres@127.0.0.1:$pg_port/bench"; fi
    users "$url"
    for connections in 16 64; do
        out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency -s Benchmarks/ServiceBenchmark/events.lua "$url")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
        printf 'service-bench %s, %d connections: %.0f events/s over HTTP (%s requests/s of 100 events), p99 request %s%s\n' \
            "$store" "$connections" "$(awk "BEGIN {print $rps * 100}")" "$rps" "$p99" "${errors:+, $errors non-2xx}"
    done
    kill -TERM "$serve_pid"; wait "$serve_pid" || true
done

echo "the stores alone, batches of 100, in the same run:"
"$bin/engine-bench" --events 200000 --batch 100 --only-ingest | grep -E "end to end|raw GRDB inserts of the event rows"
"$bin/postgres-bench" --events 50000 --batch 100 2>&1 | grep -E "1 process|raw" | head -3 || true

serve serve-latency "$work/latency.sqlite"
python3 Benchmarks/ServiceBenchmark/latency.py "$url" "$sink" 1000 10
