#!/usr/bin/env bash
# README's second command: the tests on a fresh machine. Installs what the build and the
# test peers need (scripts/bootstrap.sh --with-peers), then runs `swift test` with any
# arguments given, against real servers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --with-peers
exec swift test "$@"
