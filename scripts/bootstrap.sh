#!/usr/bin/env bash
# Installs what building and testing Campaign Connector needs, skipping what is there:
#   - system packages: libcurl's headers (the transport), SQLite's (the store), Python 3,
#     PostgreSQL (the PostgreSQL store's tests start their own server from it)
#   - with --with-peers, the Python test peers in a virtualenv at .peers/venv (found by the
#     tests automatically): aiosmtpd (SMTP), hypercorn + h2 (HTTP/2), moto[server] (SigV4)
# Debian; the system packages need root (or sudo). Safe to run again: it is quick when
# everything is in place. scripts/demo.sh and scripts/test.sh call it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libcurl4-openssl-dev libsqlite3-dev python3 python3-venv postgresql)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing ${missing[*]} (apt-get)..." >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null; then
        echo "installing ${missing[*]} (sudo apt-get)..." >&2
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing Debian packages: ${missing[*]}; install them as root (apt-get install -y ${missing[*]})" >&2
        exit 1
    fi
fi

if [ "${1:-}" = "--with-peers" ]; then
    bash scripts/install-peers.sh
fi
