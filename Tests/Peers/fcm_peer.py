#!/usr/bin/env python3
"""FCM HTTP v1 stand-in with its OAuth token endpoint (Python standard library plus
cryptography), over plain HTTP on 127.0.0.1.

Usage: fcm_peer.py WORKDIR PUBLIC_KEY_PEM CLIENT_EMAIL KEY_ID
POST /token: form grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT;
the JWT must be RS256 with kid KEY_ID, iss CLIENT_EMAIL, the FCM scope, aud = this URL,
exp = iat + 3600, signed by the key of PUBLIC_KEY_PEM: then 200 {"access_token",
"expires_in": 3600, "token_type": "Bearer"}, else 400 invalid_grant.
POST /v1/projects/<p>/messages:send: needs a Bearer token this peer issued (401
UNAUTHENTICATED otherwise); message.token "dead..." -> 404 UNREGISTERED; "stale..." makes
the peer forget every token once (that send gets 401 and must refresh); otherwise
200 {"name": "projects/<p>/messages/<n>"}. Requests go to WORKDIR/requests.jsonl.
Prints `READY {"port": N}`.
"""
import base64
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from peer_life import exit_with_parent

LOCK = threading.Lock()
ISSUED = set()
STALE_DONE = set()
STATE = {"n": 0, "port": 0}
WORKDIR, KEY, EMAIL, KID = None, None, None, None
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def valid_assertion(jwt):
    try:
        head, claims, signature = jwt.split(".")
        header, body = json.loads(b64url(head)), json.loads(b64url(claims))
        if header != {"alg": "RS256", "typ": "JWT", "kid": KID}:
            return False
        aud = "http://127.0.0.1:%d/token" % STATE["port"]
        if body.get("iss") != EMAIL or body.get("scope") != SCOPE or body.get("aud") != aud:
            return False
        if body.get("exp", 0) - body.get("iat", 0) != 3600 or abs(body.get("iat", 0) - time.time()) > 300:
            return False
        KEY.verify(b64url(signature), (head + "." + claims).encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (ValueError, KeyError, InvalidSignature):
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with LOCK, open(WORKDIR + "/requests.jsonl", "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()), "body": body.decode()}) + "\n")
        if self.path == "/token":
            form = parse_qs(body.decode())
            grant = form.get("grant_type", [""])[0]
            if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not valid_assertion(form.get("assertion", [""])[0]):
                return self.reply(400, {"error": "invalid_grant"})
            token = "ya29." + uuid.uuid4().hex
            with LOCK:
                ISSUED.add(token)
            return self.reply(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
        if self.path.endswith("/messages:send"):
            auth = self.headers.get("Authorization", "")
            message = json.loads(body or b"{}").get("message", {})
            device = message.get("token", "")
            with LOCK:
                known = auth.startswith("Bearer ") and auth[7:] in ISSUED
                if device.startswith("stale") and known and device not in STALE_DONE:
                    STALE_DONE.add(device)
                    ISSUED.clear()
                    known = False
                STATE["n"] += 1
                number = STATE["n"]
            if not known:
                return self.reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "Request had invalid authentication credentials."}})
            if device.startswith("dead"):
                return self.reply(404, {"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
                                                  "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}})
            project = self.path.split("/")[3]
            return self.reply(200, {"name": "projects/%s/messages/%d" % (project, number)})
        self.reply(404, {"error": {"code": 404}})


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    global WORKDIR, KEY, EMAIL, KID
    WORKDIR, key_path, EMAIL, KID = sys.argv[1:5]
    with open(key_path, "rb") as f:
        KEY = serialization.load_pem_public_key(f.read())
    server = Server(("127.0.0.1", 0), Handler)
    STATE["port"] = server.server_address[1]
    print("READY " + json.dumps({"port": STATE["port"]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    exit_with_parent()
    main()
