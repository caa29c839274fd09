#!/usr/bin/env bash
# delivery-bench with its anchors in the same run: the bare transport and Apprise (installed
# in the benchmark's own venv, .peers/bench-venv). Needs nginx for the sink.
#   bash scripts/bench-delivery.sh [--dispatches 100000] [--concurrency 64] [--apprise 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "needs nginx: apt-get install -y nginx" >&2; exit 1; }
venv=.peers/bench-venv
if ! "$venv/bin/python" -c 'import apprise' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'apprise==2.3.0'
fi
swift build -c release --product delivery-bench
.build/release/delivery-bench --python "$venv/bin/python" "$@"
