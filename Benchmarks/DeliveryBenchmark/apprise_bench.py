#!/usr/bin/env python3
"""Apprise's json:// notifier sending COUNT messages to URL, one after another, as a
caller of Apprise's Python API does. Prints one JSON line: {"messages", "seconds", "failed"}.

Usage: apprise_bench.py URL COUNT BODY_FILE
"""
import json
import sys
import time

import apprise


def main():
    url, count, body_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(body_file, encoding="utf-8") as f:
        body = f.read()
    notifier = apprise.Apprise()
    if not notifier.add(url):
        print(json.dumps({"error": "apprise refused the URL"}))
        sys.exit(1)
    failed = 0
    start = time.perf_counter()
    for number in range(count):
        if not notifier.notify(title="Your picks, Ada", body=body):
            failed += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"messages": count, "seconds": seconds, "failed": failed}))


if __name__ == "__main__":
    main()
