#!/usr/bin/env bash
# postgres-bench: the PostgreSQL store with 1, 2 and 4 ingesting processes and the raw
# insert anchor, then 1 and 4 schedulers, on a server of its own (Debian's postgresql).
#   bash scripts/bench-postgres.sh [--events 200000] [--batch 5000]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --product postgres-bench
.build/release/postgres-bench "$@"
