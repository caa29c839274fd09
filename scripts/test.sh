#!/usr/bin/env bash
# README's second command: the tests on a fresh machine. Installs what the build and the
# test peers need (scripts/bootstrap.sh --with-peers), then runs `swift test` with any
# arguments given, against real servers on 127.0.0.1; without arguments, also the
# extension kit (scripts/test-extensions.sh: the SlackChannel example package and
# new-adapter's scaffolds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --with-peers
swift test "$@"
if [ $# -eq 0 ]; then
    bash scripts/test-extensions.sh
fi
