#!/usr/bin/env python3
"""A PostgreSQL server of the tests' own (Debian's postgresql package), on 127.0.0.1.

Usage: pg_peer.py WORKDIR
initdb into WORKDIR/data (trust authentication, no fsync), then runs `postgres` in the
foreground on a free port and prints `READY {"port": N}` once it accepts connections.
As root, the server runs as the `postgres` user (PostgreSQL refuses root). The server
gets SIGQUIT (immediate shutdown) when this peer dies, however it dies (the kernel's
parent-death signal), and this peer exits when its standard input ends: nothing outlives
the test process.
"""
import ctypes
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import threading
import time


LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
PR_SET_PDEATHSIG = 1


def binaries():
    root = "/usr/lib/postgresql"
    versions = sorted((int(v) for v in os.listdir(root) if v.isdigit()), reverse=True) if os.path.isdir(root) else []
    for version in versions:
        path = "%s/%d/bin" % (root, version)
        if os.path.exists(path + "/postgres"):
            return path
    sys.exit("PostgreSQL's server programs were not found under /usr/lib/postgresql: apt-get install -y postgresql")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    workdir = sys.argv[1]
    bindir = binaries()
    data = os.path.join(workdir, "data")
    account = pwd.getpwnam("postgres") if os.getuid() == 0 else None

    def child():
        # As the postgres user, and ended by the kernel when this peer goes (the setting is
        # cleared by a change of user, so it comes after it).
        if account:
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)

    if account:
        os.chown(workdir, account.pw_uid, account.pw_gid)
    log = open(os.path.join(workdir, "server.log"), "w")
    subprocess.run([bindir + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"],
                   check=True, stdout=log, stderr=subprocess.STDOUT, preexec_fn=child)
    port = free_port()
    server = subprocess.Popen([bindir + "/postgres", "-D", data, "-p", str(port), "-c", "listen_addresses=127.0.0.1",
                               "-c", "unix_socket_directories=" + workdir, "-c", "fsync=off", "-c", "synchronous_commit=off",
                               "-c", "full_page_writes=off", "-c", "max_connections=300"],
                              stdout=log, stderr=subprocess.STDOUT, preexec_fn=child)
    deadline = time.time() + 60
    while True:
        if server.poll() is not None:
            sys.exit("postgres exited with %s; see %s/server.log" % (server.returncode, workdir))
        ready = subprocess.run([bindir + "/pg_isready", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        if ready:
            break
        if time.time() > deadline:
            server.kill()
            sys.exit("postgres did not accept connections within 60 s")
        time.sleep(0.05)
    print("READY " + json.dumps({"port": port}), flush=True)

    # At the end of standard input (the test process is done or gone): stop the server,
    # reap it, then leave.
    def watch():
        try:
            while sys.stdin.buffer.read(65536):
                pass
        except OSError:
            pass
        server.send_signal(signal.SIGQUIT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        os._exit(0)

    threading.Thread(target=watch, name="stop-with-parent", daemon=True).start()
    server.wait()


if __name__ == "__main__":
    # Signals as exit_with_parent sets them; the stdin watch is main's (it stops the server first).
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    main()
