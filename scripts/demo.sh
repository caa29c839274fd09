#!/usr/bin/env bash
# README's first command: the main job on a fresh machine. Installs what the build needs
# (scripts/bootstrap.sh), then runs `connector demo` with any arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec swift run connector demo "$@"
