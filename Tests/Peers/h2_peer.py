#!/usr/bin/env python3
"""HTTPS test peer (hypercorn + h2) offering HTTP/2 and HTTP/1.1 through ALPN.

Usage: h2_peer.py tls|mtls WORKDIR
With `mtls` the peer also requires a client certificate signed by its CA
(WORKDIR/client.pem and client-key.pem). It writes a self-signed CA and a server certificate for 127.0.0.1/localhost
into WORKDIR (ca.pem). Prints `READY {"port": N, "ca": path-or-null}`. Every request
is answered 200 with JSON {"http_version", "method", "path", "body_len"} and the
response header `x-peer: h2-peer`.
"""
import asyncio
import json
import os
import socket
import sys

from peer_certs import make_certs
from hypercorn.asyncio import serve
from hypercorn.config import Config
from peer_asgi import lifespan, read_body
from peer_life import exit_with_parent


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await lifespan(receive, send)
    body = await read_body(receive)
    payload = json.dumps({
        "http_version": scope["http_version"],
        "method": scope["method"],
        "path": scope["path"],
        "body_len": len(body),
    }).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"x-peer", b"h2-peer")]})
    await send({"type": "http.response.body", "body": payload})


def main():
    mode, workdir = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = None
    ca = None
    if mode in ("tls", "mtls"):
        paths = make_certs(workdir)
        config.certfile, config.keyfile = paths["cert.pem"], paths["key.pem"]
        config.alpn_protocols = ["h2", "http/1.1"]
        ca = paths["ca.pem"]
        if mode == "mtls":
            import ssl
            config.ca_certs = ca
            config.verify_mode = ssl.CERT_REQUIRED
    print("READY " + json.dumps({"port": sock.getsockname()[1], "ca": ca}), flush=True)
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    exit_with_parent()
    main()
