#!/usr/bin/env python3
"""Writes a large libscap capture for benches/scap.sh: the section header and state blocks
(process, fd, user lists) of a fixture capture once, then its event blocks repeated REPS
times. Writes OUT (plain) and OUT.gz, and prints the number of event blocks.

Usage: gen-scap.py SOURCE.scap[.gz] OUT REPS
"""
import gzip
import struct
import sys

EVENT_BLOCKS = {0x204, 0x8010ABCD, 0x216, 0x221, 0x208, 0x217, 0x222}


def main():
    src, out, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(src, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    state, events, at = [], [], 0
    while at + 8 <= len(data):
        kind, length = struct.unpack_from("<II", data, at)
        (events if kind in EVENT_BLOCKS else state).append(data[at:at + length])
        at += length
    body = b"".join(events)
    with open(out, "wb") as plain, gzip.open(out + ".gz", "wb", compresslevel=6) as gz:
        for f in (plain, gz):
            f.write(b"".join(state))
            for _ in range(reps):
                f.write(body)
    print(len(events) * reps)


if __name__ == "__main__":
    main()
