#!/usr/bin/env python3
"""moto in server mode (a real SES v2 / SNS / IAM endpoint) on a free loopback port.

Usage: moto_peer.py [NO_AUTH_ACTIONS]
With NO_AUTH_ACTIONS given, moto checks SigV4 signatures after that many requests
(the first ones bootstrap an IAM user and key). Prints `READY {"port": N}`.
"""
import json
import os
import socket
import sys
import threading
from peer_life import exit_with_parent

if len(sys.argv) > 1:
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = sys.argv[1]

from moto.server import ThreadedMotoServer  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print("READY " + json.dumps({"port": port}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    exit_with_parent()
    main()
