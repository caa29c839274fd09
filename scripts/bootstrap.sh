#!/usr/bin/env bash
# One-time setup of a Debian machine for building and testing Campaign Connector.
#   - system packages: libcurl's headers (the transport), SQLite's (the store), Python
#   - the test peers in a virtualenv at .peers/venv (found by the tests automatically):
#     aiosmtpd (SMTP), hypercorn + h2 (HTTP/2), moto[server] (SES/SNS with SigV4)
# Run as root (or with sudo). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq libcurl4-openssl-dev libsqlite3-dev python3 python3-venv >/dev/null
else
    echo "not root: skipping apt-get (needs libcurl4-openssl-dev libsqlite3-dev python3 python3-venv)" >&2
fi

bash scripts/install-peers.sh
