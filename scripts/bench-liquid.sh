#!/usr/bin/env bash
# liquid-bench against python-liquid in the same run: installs python-liquid 2.3.6 in the
# benchmark's own venv (.peers/bench-venv), builds release, and runs both on the fixtures.
#   bash scripts/bench-liquid.sh [--seconds 1.5] [--rounds 9] [--only email|sms|push]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.peers/bench-venv
if ! "$venv/bin/python" -c 'import liquid, sys; sys.exit(liquid.__version__ != "2.3.6")' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'python-liquid==2.3.6'
fi
swift build -c release --product liquid-bench
.build/release/liquid-bench --python "$venv/bin/python" --seconds 1.5 --rounds 9 "$@"
