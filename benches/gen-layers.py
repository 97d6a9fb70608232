#!/usr/bin/env python3
"""Generate the layer benchmark image: a legacy `docker save` archive with N gzip layers.

Usage: gen-layers.py OUTDIR [--layers 22] [--files 110000] [--seed 1]

Writes OUTDIR/image.tar (the archive ctriage reads) and OUTDIR/layers/NN.tar.gz (the same
layer blobs, for zcat / tar -tzf). Content is deterministic text-like data (a vocabulary
of words, compressing about 3:1 like source trees and logs), a few large files, some
directories re-used across layers, whiteouts and modifications, so the run exercises the
whole pipeline, hashing included. Nothing here is evidence: it is our own bench data.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import tarfile


def corpus(rng, size):
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(4096)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + (b"\n" if rng.random() < 0.1 else b" ")
    return bytes(out[:size])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--layers", type=int, default=22)
    ap.add_argument("--files", type=int, default=110_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(os.path.join(a.outdir, "layers"), exist_ok=True)
    blob = corpus(rng, 8 << 20)
    per_layer = a.files // a.layers
    diff_ids, names, history = [], [], []
    total = 0
    for li in range(a.layers):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
            def add(name, data, mode=0o644):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mode = mode
                ti.mtime = 1_700_000_000 + li
                t.addfile(ti, io.BytesIO(data))

            for d in range(per_layer // 200 + 1):
                ti = tarfile.TarInfo(f"usr/share/l{li % 7}/d{d}")
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                t.addfile(ti)
            for f in range(per_layer):
                size = int(rng.lognormvariate(7.6, 1.0)) % 60_000 + 64
                off = rng.randrange(0, len(blob) - size)
                add(f"usr/share/l{li % 7}/d{f // 200}/f{li}_{f}.txt", blob[off:off + size])
            if li % 4 == 1:  # a few large files: peak memory must not follow them
                for k in range(2):
                    big = (blob * 4)[: 24 << 20]
                    add(f"opt/big{li}_{k}.bin", big)
            if li > 0 and li % 5 == 0:  # deletions and rewrites of lower layers' files
                add(f"usr/share/l{(li - 1) % 7}/d0/.wh.f{li - 1}_0.txt", b"")
                add(f"usr/share/l{(li - 1) % 7}/d0/f{li - 1}_1.txt", b"rewritten\n")
        tar_bytes = raw.getvalue()
        total += len(tar_bytes)
        diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
        gz = gzip.compress(tar_bytes, compresslevel=6, mtime=0)
        name = f"{hashlib.sha256(gz).hexdigest()}.tar.gz"
        with open(os.path.join(a.outdir, "layers", f"{li:02}.tar.gz"), "wb") as f:
            f.write(gz)
        names.append(name)
        history.append({"created": f"2026-01-01T00:{li:02}:00Z", "created_by": f"RUN generate layer {li}"})
        print(f"layer {li}: {len(tar_bytes) >> 20} MiB tar, {len(gz) >> 20} MiB gzip", flush=True)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T01:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history,
    }).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["bench/layers:latest"], "Layers": names}]).encode()
    with tarfile.open(os.path.join(a.outdir, "image.tar"), "w", format=tarfile.GNU_FORMAT) as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        for li, name in enumerate(names):
            with open(os.path.join(a.outdir, "layers", f"{li:02}.tar.gz"), "rb") as f:
                add(name, f.read())
        add(config_name, config)
        add("manifest.json", manifest)
    print(f"total: {a.layers} layers, {total >> 20} MiB uncompressed")


if __name__ == "__main__":
    main()
