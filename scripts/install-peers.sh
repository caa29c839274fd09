#!/usr/bin/env bash
# Installs the Python test peers into .peers/venv (the tests use it when present; set
# CONNECTOR_PEER_PYTHON to use another Python), and the providers' official SDKs the
# fidelity tests compare requests with. Needs python3 with venv and PyPI access.
# Quick when they are installed already.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.peers/venv
check='import aiosmtpd, hypercorn, h2, moto, cryptography, sendgrid, twilio, postmarker, resend, exponent_server_sdk, segment.analytics
print("test peers ready:", "aiosmtpd", aiosmtpd.__version__, "| moto", moto.__version__, "| h2", h2.__version__)'
if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c "$check" 2>/dev/null; then
    exit 0
fi
if [ ! -x "$venv/bin/python3" ]; then
    python3 -m venv --system-site-packages "$venv"
fi
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check \
    "aiosmtpd>=1.4" "hypercorn>=0.16" "h2>=4.1" "moto[server]>=5.0" "cryptography>=41" \
    "sendgrid==6.12.5" "twilio==9.13.0" "postmarker==1.0" "resend==2.52.0" "exponent_server_sdk==2.2.0" \
    "segment-analytics-python==2.3.4"
"$venv/bin/python3" -c "$check"
