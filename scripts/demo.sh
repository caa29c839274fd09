#!/usr/bin/env bash
# README's first command, the main job on a fresh machine: installs what the build needs
# (scripts/bootstrap.sh), builds `connector`, starts the service on the embedded SQLite
# store with Examples/quickstart (campaigns, every channel to the sandbox) on a virtual
# clock, replays a morning of events through its HTTP API, moves the clock a week on, and
# shows the follow-ups that reached the sandbox and how to look at them. The service is
# stopped (SIGTERM, graceful) and its temporary store removed when the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build --product connector
bin="$(swift build --show-bin-path)/connector"

work=$(mktemp -d)
secret() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }
export CONNECTOR_STORE="$work/quickstart.sqlite"
export CONNECTOR_API_KEY="${CONNECTOR_API_KEY:-$(secret)}"
export CONNECTOR_SDK_KEY="${CONNECTOR_SDK_KEY:-$(secret)}"
export CONNECTOR_TRACKING_KEY="${CONNECTOR_TRACKING_KEY:-$(secret)$(secret)}"
export CONNECTOR_PORT="${CONNECTOR_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
url="http://127.0.0.1:$CONNECTOR_PORT"

# The service, its readiness line read from its standard output (no sleeping).
# --stop-at-input-end: the service stops when this script's end of the pipe closes, even
# if the script is killed.
coproc SERVER { exec "$bin" serve --config Examples/quickstart/connector.yaml --clock virtual:2026-03-02T08:00:00Z --stop-at-input-end 2>"$work/serve.log"; }
server_pid=$SERVER_PID
stop() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT
if ! read -r ready <&"${SERVER[0]}"; then
    echo "the service did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi
echo "service: $ready (store $CONNECTOR_STORE, virtual clock at 2026-03-02T08:00:00Z)"

echo
echo "Replaying Examples/quickstart/events.jsonl through POST /v1/events on the virtual clock, then a week on:"
"$bin" replay Examples/quickstart/events.jsonl --users Examples/quickstart/users.jsonl --url "$url" --clock --then-advance 8d

echo
"$bin" sandbox list --url "$url"

echo
echo "Clicking the tracked link in dee's email (the service redirects and records email_clicked):"
python3 - "$url" <<'PY'
import json, re, sys, urllib.request
base, key = sys.argv[1], __import__("os").environ["CONNECTOR_API_KEY"]
auth = {"Authorization": "Bearer " + key}
messages = json.load(urllib.request.urlopen(urllib.request.Request(base + "/v1/sandbox/messages?user=dee", headers=auth)))["messages"]
html = next(m["message"]["email"]["html"] for m in messages if m["channel"] == "email")
link = re.search(r'href="([^"]+/c/[^"]+)"', html).group(1)
class Stop(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args): return None
try:
    urllib.request.build_opener(Stop).open(link)
except urllib.error.HTTPError as answer:
    print(f"  GET {link[:60]}... -> {answer.code} {answer.headers['Location']}")
metrics = urllib.request.urlopen(urllib.request.Request(base + "/metrics", headers=auth)).read().decode()
for line in metrics.splitlines():
    if line.startswith(("connector_interactions_captured_total", "connector_dispatch_outcomes_total")):
        print("  " + line)
PY

echo
echo "Why bob got no 15% off and ada's second digest was not sent (the decision traces, read from the store):"
for user in bob ada; do "$bin" trace --database "$CONNECTOR_STORE" "$user" | sed 's/^/  /'; done

cat <<TEXT

Look further while it runs (key: CONNECTOR_API_KEY=$CONNECTOR_API_KEY):
  curl -H "Authorization: Bearer \$CONNECTOR_API_KEY" $url/v1/users/bob/trace      # why bob got no 15% off
  curl -H "Authorization: Bearer \$CONNECTOR_API_KEY" $url/v1/outbox               # every dispatch and its state
  curl -H "Authorization: Bearer \$CONNECTOR_API_KEY" $url/metrics                 # Prometheus metrics
(this script stops the service when it ends; \`connector serve --config Examples/quickstart/connector.yaml\`
 with the same variables keeps one running; docs/API.md lists every endpoint)
TEXT
