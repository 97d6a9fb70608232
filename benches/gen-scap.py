#!/usr/bin/env python3
"""Writes a large libscap capture for benches/scap.sh: the section header and state blocks
(process, fd, user lists) of a fixture capture once, then its event blocks repeated REPS
times. With --decoded, only the events of the types ctriage decodes (execve, clone, open,
connect, sendto, write...) are kept, so every event is split and replayed. Writes OUT (plain)
and OUT.gz, and prints the number of event blocks.

Usage: gen-scap.py SOURCE.scap[.gz] OUT REPS [--decoded]
"""
import gzip
import struct
import sys

EVENT_BLOCKS = {0x204, 0x8010ABCD, 0x216, 0x221, 0x208, 0x217, 0x222}
# The event types src/scap/codes.rs decodes (max_params).
DECODED = {3, 8, 13, 15, 18, 19, 22, 23, 27, 30, 31, 35, 48, 49, 57, 59, 102, 103, 108, 109, 110,
           111, 114, 118, 122, 148, 149, 155, 157, 168, 169, 173, 175, 177, 183, 185, 186, 192, 193,
           198, 199, 215, 217, 219, 221, 223, 225, 227, 228, 231, 247, 249, 257, 272, 283, 288, 289,
           292, 293, 301, 303, 307, 319, 324, 327, 330, 331, 335, 337, 389}


def event_type(block):
    kind = struct.unpack_from("<I", block, 0)[0]
    start = 8 + 2 + (4 if kind in (0x208, 0x217, 0x222) else 0)
    return struct.unpack_from("<H", block, start + 20)[0]


def main():
    src, out, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    decoded = "--decoded" in sys.argv[4:]
    with open(src, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    state, events, at = [], [], 0
    while at + 8 <= len(data):
        kind, length = struct.unpack_from("<II", data, at)
        (events if kind in EVENT_BLOCKS else state).append(data[at:at + length])
        at += length
    if decoded:
        events = [e for e in events if event_type(e) in DECODED]
    body = b"".join(events)
    with open(out, "wb") as plain, gzip.open(out + ".gz", "wb", compresslevel=6) as gz:
        for f in (plain, gz):
            f.write(b"".join(state))
            for _ in range(reps):
                f.write(body)
    print(len(events) * reps)


if __name__ == "__main__":
    main()
