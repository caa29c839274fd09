#!/usr/bin/env python3
"""service-bench latency: sends push_opened events for the original L (each for a new
user) at RATE events/s for SECONDS through POST /v1/events, in batches of 10, and measures
the time from sending each event to the arrival of its immediate follow-up LF at the
loopback sink (Tests/Peers/sink_peer.py). Prints p50, p99 and max.
Usage: latency.py SERVICE_URL SINK_URL RATE SECONDS"""
import json
import os
import sys
import threading
import time
import urllib.request

service, sink, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
key = os.environ["CONNECTOR_API_KEY"]
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
sent = {}
lock = threading.Lock()
batch = 10
interval = batch / rate


def post(users, when):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    events = [{"id": f"lat-{u}", "user_id": u, "time": now, "type": "interaction", "kind": "push_opened", "campaign": "L"} for u in users]
    request = urllib.request.Request(service + "/v1/events", data=json.dumps({"events": events}).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200, answer.read()


# The users first (a webhook follow-up needs an address), 1,000 a request.
total = int(rate * seconds) + batch
for first in range(0, total, 1000):
    users = [{"id": f"lat{i}", "addresses": {"webhook": "bench"}} for i in range(first, min(total, first + 1000))]
    request = urllib.request.Request(service + "/v1/users", data=json.dumps({"users": users}).encode(), headers=headers, method="POST")
    urllib.request.urlopen(request).read()

start = time.time()
threads, n, tick = [], 0, 0
while time.time() - start < seconds and n + batch <= total:
    users = [f"lat{n + i}" for i in range(batch)]
    n += batch
    when = time.time()
    with lock:
        for u in users:
            sent[u] = when
    thread = threading.Thread(target=post, args=(users, when))
    thread.start()
    threads.append(thread)
    tick += 1
    delay = start + tick * interval - time.time()
    if delay > 0:
        time.sleep(delay)
for thread in threads:
    thread.join()
elapsed = time.time() - start
urllib.request.urlopen(f"{sink}/_control/arrived?path=/push&n={n}", timeout=120).read()
arrivals = json.load(urllib.request.urlopen(f"{sink}/_control/requests?path=/push"))
import base64
latencies = []
for request in arrivals:
    user = base64.b64decode(request["body_b64"]).decode().strip()
    if user in sent:
        latencies.append((request["time"] - sent[user]) * 1000)
latencies.sort()
def pct(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p))]
print(f"latency: {n} events at {n / elapsed:.0f} events/s; {len(latencies)} follow-ups arrived; trigger -> provider p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {latencies[-1]:.1f} ms")
