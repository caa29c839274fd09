#!/usr/bin/env python3
"""service-bench setup: writes the campaigns (50 originals O0-O49 and their follow-ups
F0-F49 as engine-bench has them: push_opened, one day, a purchase cancels, half for pro
users; plus L and its immediate follow-up LF for the latency run) and the service
configuration into FOLDER. Usage: setup.py FOLDER SINK_URL"""
import os
import sys

folder, sink = sys.argv[1], sys.argv[2]
os.makedirs(f"{folder}/campaigns", exist_ok=True)
active = "status: active\npublished_at: 2026-01-01T00:00:00Z\n"
for i in range(50):
    with open(f"{folder}/campaigns/O{i}.yaml", "w") as f:
        f.write(f"id: O{i}\nchannels: [push]\nmessages: {{ push: {{ title: Hello, body: 'Hi {{{{ ${{first_name}} }}}}' }} }}\n{active}")
    audience = "{ all: [ { reachable: push }, { attribute: plan, equals: pro } ] }" if i % 2 == 0 else "{ reachable: push }"
    with open(f"{folder}/campaigns/F{i}.yaml", "w") as f:
        f.write(f"id: F{i}\nchannels: [push]\nmessages: {{ push: {{ title: Hello, body: 'Hi {{{{ ${{first_name}} }}}}' }} }}\n"
                f"audience: {audience}\ntrigger: {{ kind: push_opened, campaign: O{i} }}\ndelay: {{ after: 1d }}\n"
                f"exceptions:\n  - {{ purchase: any }}\nre_eligible_after: 30d\n{active}")
with open(f"{folder}/campaigns/L.yaml", "w") as f:
    f.write(f"id: L\nchannels: [webhook]\nmessages: {{ webhook: {{ url: '{sink}/push', body: '{{{{ ${{user_id}} }}}}' }} }}\n{active}")
with open(f"{folder}/campaigns/LF.yaml", "w") as f:
    f.write(f"id: LF\nchannels: [webhook]\nmessages: {{ webhook: {{ url: '{sink}/push', body: '{{{{ ${{user_id}} }}}}' }} }}\n"
            f"trigger: {{ kind: push_opened, campaign: L }}\nre_eligible_after: always\n{active}")
with open(f"{folder}/connector.yaml", "w") as f:
    f.write("""store: "${BENCH_STORE}"
listen: 127.0.0.1:0
api_keys: [ { key: "${CONNECTOR_API_KEY}", scopes: [ingest, admin, read] } ]
campaigns: campaigns
tracking: { base_url: "http://127.0.0.1:1", key: "${CONNECTOR_TRACKING_KEY}" }
providers: { push: [ { kind: sandbox } ], webhook: [ { kind: webhook } ] }
limits: { max_body: 4194304, max_batch: 1000 }
""")
