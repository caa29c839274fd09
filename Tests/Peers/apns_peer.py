#!/usr/bin/env python3
"""APNs stand-in (hypercorn + h2 over TLS, ALPN h2 only) that verifies provider tokens.

Usage: apns_peer.py WORKDIR PUBLIC_KEY_PEM TEAM_ID KEY_ID
Every POST /3/device/<token> must carry `authorization: bearer <JWT>` with header
{"alg": "ES256", "kid": KEY_ID} and claims {"iss": TEAM_ID, "iat": within the last hour},
signed (raw r||s) with the private key of PUBLIC_KEY_PEM: otherwise 403
InvalidProviderToken. Device tokens: "dead..." -> 410 Unregistered, "badd..." -> 400
BadDeviceToken, "ee..." -> 403 ExpiredProviderToken for the first token seen on it, then
accepted with a new token; anything else 200 with the request's apns-id. Each request
is appended to WORKDIR/requests.jsonl: {path, http_version, headers, body, jwt_ok}.
Prints `READY {"port": N, "ca": path}`.
"""
import asyncio
import base64
import json
import socket
import sys
import time
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypercorn.asyncio import serve
from hypercorn.config import Config

from peer_certs import make_certs
from peer_asgi import lifespan, read_body
from peer_life import exit_with_parent

WORKDIR, KEY, TEAM, KID = None, None, None, None
EXPIRED = {}  # device token -> the JWT refused as expired


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_jwt(token):
    try:
        head, claims, signature = token.split(".")
        header = json.loads(b64url(head))
        body = json.loads(b64url(claims))
        raw = b64url(signature)
        if header != {"alg": "ES256", "kid": KID} or body.get("iss") != TEAM or len(raw) != 64:
            return False
        if not (time.time() - 3600 <= body.get("iat", 0) <= time.time() + 60):
            return False
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        KEY.verify(der, (head + "." + claims).encode(), ec.ECDSA(hashes.SHA256()))
        return True
    except (ValueError, KeyError, InvalidSignature):
        return False


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await lifespan(receive, send)
    body = await read_body(receive)
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    auth = headers.get("authorization", "")
    jwt = auth[len("bearer "):] if auth.startswith("bearer ") else ""
    ok = check_jwt(jwt)
    device = scope["path"].rsplit("/", 1)[-1]
    with open(WORKDIR + "/requests.jsonl", "a") as f:
        f.write(json.dumps({"path": scope["path"], "http_version": scope["http_version"], "headers": headers,
                            "body": body.decode(), "jwt_ok": ok, "jwt": jwt}) + "\n")
    apns_id = headers.get("apns-id") or str(uuid.uuid4())
    if not ok:
        status, reason = 403, "InvalidProviderToken"
    elif device.startswith("dead"):
        status, reason = 410, "Unregistered"
    elif device.startswith("badd"):
        status, reason = 400, "BadDeviceToken"
    elif device.startswith("ee") and EXPIRED.setdefault(device, jwt) == jwt:
        status, reason = 403, "ExpiredProviderToken"
    else:
        status, reason = 200, None
    response = b"" if reason is None else json.dumps({"reason": reason}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"apns-id", apns_id.encode()), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": response})


def main():
    global WORKDIR, KEY, TEAM, KID
    WORKDIR, key_path, TEAM, KID = sys.argv[1:5]
    with open(key_path, "rb") as f:
        KEY = serialization.load_pem_public_key(f.read())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = None
    paths = make_certs(WORKDIR)
    config.certfile, config.keyfile = paths["cert.pem"], paths["key.pem"]
    config.alpn_protocols = ["h2"]
    print("READY " + json.dumps({"port": sock.getsockname()[1], "ca": paths["ca.pem"]}), flush=True)
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    exit_with_parent()
    main()
