#!/usr/bin/env python3
"""HTTP/1.1 test peer for the CurlTransport tests (Python standard library only).

Prints one line `READY {"port": N}` once it listens on 127.0.0.1 (port 0 = any free
port). Routes:
  /echo                any method: 200 JSON {method, path, headers:[[k,v]..], body_b64}
  /bytes?n=N[&chunked=1]  N bytes of a repeating pattern (Content-Length or chunked)
  /sleep?ms=N          reads the request body, waits N ms, answers 200 "slept"
  /stall               never reads the body, waits 30 s (for send timeouts)
  /status?code=N       answers with that status and a small JSON body
  /redirect            302 to /echo
  /cookies             two Set-Cookie headers and two X-Repeat headers
  /stats               200 JSON {connections, requests}
  /hold?key=K          counts an arrival for K, then answers 200 "released" once /release
                       is called for K (or 504 after 60 s): a request known to be in flight
  /arrived?key=K&n=N   answers 200 once N requests have arrived at /hold for K (504 after
                       60 s): the readiness signal tests wait on instead of sleeping
  /release?key=K       lets every request held for K (now and later) answer
"""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from peer_life import exit_with_parent

LOCK = threading.Lock()
STATS = {"connections": 0, "requests": 0}
HOLDS = threading.Condition()
ARRIVALS = {}  # key -> requests that reached /hold
RELEASED = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def setup(self):
        super().setup()
        with LOCK:
            STATS["connections"] += 1

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        with LOCK:
            STATS["requests"] += 1
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = url.path
        if route == "/stall":
            time.sleep(30)
            return
        body = self._body()
        if route == "/echo":
            payload = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_b64": base64.b64encode(body).decode(),
            }
            self._send(200, json.dumps(payload).encode(), [("Content-Type", "application/json")])
        elif route == "/bytes":
            n = int(q.get("n", "0"))
            chunk = bytes(range(256)) * 256
            if q.get("chunked") == "1":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                left = n
                while left > 0:
                    part = chunk[: min(left, len(chunk))]
                    self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
                    left -= len(part)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(n))
                self.end_headers()
                left = n
                while left > 0:
                    part = chunk[: min(left, len(chunk))]
                    self.wfile.write(part)
                    left -= len(part)
        elif route == "/hold":
            key = q.get("key", "")
            with HOLDS:
                ARRIVALS[key] = ARRIVALS.get(key, 0) + 1
                HOLDS.notify_all()
                released = HOLDS.wait_for(lambda: key in RELEASED, timeout=60)
            self._send(200 if released else 504, b"released" if released else b"never released")
        elif route == "/arrived":
            key, n = q.get("key", ""), int(q.get("n", "1"))
            with HOLDS:
                arrived = HOLDS.wait_for(lambda: ARRIVALS.get(key, 0) >= n, timeout=60)
                count = ARRIVALS.get(key, 0)
            self._send(200 if arrived else 504, json.dumps({"arrived": count}).encode())
        elif route == "/release":
            with HOLDS:
                RELEASED.add(q.get("key", ""))
                HOLDS.notify_all()
            self._send(200, b"ok")
        elif route == "/sleep":
            time.sleep(int(q.get("ms", "1000")) / 1000)
            self._send(200, b"slept")
        elif route == "/status":
            code = int(q.get("code", "200"))
            extra = [("Retry-After", q["retry_after"])] if "retry_after" in q else []
            self._send(code, json.dumps({"status": code}).encode(), extra)
        elif route == "/redirect":
            self._send(302, b"", [("Location", "/echo")])
        elif route == "/cookies":
            self._send(200, b"ok", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                                    ("X-Repeat", "first"), ("X-Repeat", "second")])
        elif route == "/stats":
            with LOCK:
                data = json.dumps(STATS).encode()
            self._send(200, data, [("Content-Type", "application/json")])
        else:
            self._send(404, b"no such route")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 2048


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Handler)
    print("READY " + json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    exit_with_parent()
    main()
