#!/usr/bin/env python3
"""SMTP test peer (aiosmtpd), recording every delivered message.

Usage: smtp_peer.py plain|starttls|smtps WORKDIR
Writes one JSON line per accepted message to WORKDIR/messages.jsonl:
  {"mail_from", "rcpt_tos", "data_b64", "auth_user"}
Recipients starting with "reject" are refused with 550, "later" with 451. AUTH accepts
user "connector" with password "s3cret" (also without TLS, for the plain mode). For the
TLS modes a CA is written to WORKDIR/ca.pem. Prints `READY {"port": N, "ca": ...}`.
"""
import base64
import json
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from peer_certs import make_certs
from peer_life import exit_with_parent

LOCK = threading.Lock()


class Recorder:
    def __init__(self, path):
        self.path = path

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("later"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        auth = session.auth_data
        user = auth.login.decode() if isinstance(auth, LoginPassword) else None
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data_b64": base64.b64encode(envelope.original_content or envelope.content).decode(),
            "auth_user": user,
        }
        with LOCK, open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 2.0.0 OK queued as peer-%d" % os.getpid()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"connector" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    mode, workdir = sys.argv[1], sys.argv[2]
    ca = None
    kwargs = {}
    if mode in ("starttls", "smtps"):
        paths = make_certs(workdir)
        ca = paths["ca.pem"]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(paths["cert.pem"], paths["key.pem"])
        if mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:
            kwargs.update(ssl_context=context)
    port = free_port()
    controller = Controller(
        Recorder(os.path.join(workdir, "messages.jsonl")),
        hostname="127.0.0.1", port=port,
        authenticator=authenticator, auth_require_tls=(mode == "starttls"),
        server_hostname="localhost", **kwargs,
    )
    controller.start()
    print("READY " + json.dumps({"port": port, "ca": ca}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    exit_with_parent()
    main()
