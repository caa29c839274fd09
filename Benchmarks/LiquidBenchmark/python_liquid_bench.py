"""The anchor of liquid-bench: python-liquid rendering the same fixtures, in the same run.

Usage: python python_liquid_bench.py FIXTURES_DIR SECONDS NAME...
Prints one JSON object per template: {"name", "renders_per_second", "version"}.
"""
import json
import sys
import time

import liquid
from liquid import Environment

directory, seconds, names = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
environment = Environment()
for name in names:
    with open(f"{directory}/{name}.liquid", encoding="utf-8") as source:
        template = environment.from_string(source.read())
    with open(f"{directory}/{name}.json", encoding="utf-8") as data_file:
        data = json.load(data_file)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            template.render(**data)
        count += 20
    rate = count / (time.perf_counter() - start)
    print(json.dumps({"name": name, "renders_per_second": rate, "version": liquid.__version__}), flush=True)
