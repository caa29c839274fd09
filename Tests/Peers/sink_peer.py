#!/usr/bin/env python3
"""Scripted HTTP sink for the delivery tests (Python standard library only).

Prints `READY {"port": N}` once it listens on 127.0.0.1. Every request to a path outside
/_control is recorded (method, path, query, headers, body, arrival time) and answered by
the next scripted response for its path, else the path's default, else 200 with
{"id": "msg-<n>"}.

A scripted response is JSON: {"status": 503, "headers": [["Retry-After", "120"]],
"body": "...", "hang_ms": N (answer only after N ms: a timeout after the body was
sent), "hold": "KEY" (answer only once /_control/release?key=KEY is called)}.

Control routes:
  POST /_control/script   {"path": "/x", "responses": [...], "default": {...}}
  GET  /_control/requests?path=/x        JSON list of recorded requests (all paths without path)
  GET  /_control/arrived?path=/x&n=N     answers once N requests have arrived at path (504 after 60 s)
  GET  /_control/release?key=K           lets requests held for K (now and later) answer
"""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from peer_life import exit_with_parent

STATE = threading.Condition()
SCRIPTS = {}    # path -> list of responses
DEFAULTS = {}   # path -> response
REQUESTS = []   # recorded requests
RELEASED = set()
COUNTER = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code, body=b"", headers=()):
        self.send_response(code)
        names = set()
        for k, v in headers:
            self.send_header(k, v)
            names.add(k.lower())
        if "content-type" not in names:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, url, body):
        query = parse_qs(url.query)
        if url.path == "/_control/script":
            spec = json.loads(body)
            with STATE:
                SCRIPTS.setdefault(spec["path"], []).extend(spec.get("responses", []))
                if "default" in spec:
                    DEFAULTS[spec["path"]] = spec["default"]
            return self._send(200, b"{}")
        if url.path == "/_control/requests":
            path = query.get("path", [None])[0]
            with STATE:
                found = [r for r in REQUESTS if path is None or r["path"] == path]
            return self._send(200, json.dumps(found).encode())
        if url.path == "/_control/arrived":
            path = query["path"][0]
            count = int(query.get("n", ["1"])[0])
            deadline = time.time() + 60
            with STATE:
                while sum(1 for r in REQUESTS if r["path"] == path) < count:
                    left = deadline - time.time()
                    if left <= 0:
                        return self._send(504, b'{"error": "not arrived"}')
                    STATE.wait(left)
            return self._send(200, b"{}")
        if url.path == "/_control/release":
            with STATE:
                RELEASED.add(query["key"][0])
                STATE.notify_all()
            return self._send(200, b"{}")
        return self._send(404, b"{}")

    def _handle(self):
        url = urlsplit(self.path)
        body = self._body()
        if url.path.startswith("/_control/"):
            return self._control(url, body)
        with STATE:
            COUNTER[0] += 1
            number = COUNTER[0]
            REQUESTS.append({
                "method": self.command, "path": url.path, "query": url.query,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_b64": base64.b64encode(body).decode(), "time": time.time(),
            })
            STATE.notify_all()
            queue = SCRIPTS.get(url.path) or []
            response = queue.pop(0) if queue else DEFAULTS.get(url.path)
        if response is None:
            response = {"status": 200, "body": json.dumps({"id": "msg-%d" % number})}
        if response.get("hold"):
            with STATE:
                deadline = time.time() + 60
                while response["hold"] not in RELEASED and time.time() < deadline:
                    STATE.wait(1)
        if response.get("hang_ms"):
            time.sleep(response["hang_ms"] / 1000.0)
        text = response.get("body", "")
        self._send(response.get("status", 200), text.encode() if isinstance(text, str) else text,
                   [tuple(h) for h in response.get("headers", [])])

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of new connections (a dispatcher
    # with 64 sends in flight) would lose SYNs and wait out the 1 s retransmission.
    request_queue_size = 256
    allow_reuse_address = True


def main():
    exit_with_parent()
    server = Server(("127.0.0.1", 0), Handler)
    print("READY " + json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
