"""Ties a peer's life to its parent's: the parent holds the write end of the peer's
standard input, so end of file there means the parent closed it, exited or was killed.
Every peer calls `exit_with_parent()` first thing; nothing a test starts outlives it.
"""
import os
import signal
import sys
import threading


def exit_with_parent():
    # A parent whose threads block signals may have handed the block down: undo it so
    # that SIGTERM and SIGINT work.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)

    def watch():
        try:
            while sys.stdin.buffer.read(65536):
                pass
        except OSError:
            pass
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
