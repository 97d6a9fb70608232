#!/usr/bin/env python3
"""Generate the scale benchmark's evidence: N empty files, 1 directory per 1,000 files.

Usage: gen-scale.py SHAPE OUTDIR N

SHAPE is one of
  image     OUTDIR/image.tar: a legacy `docker save` archive with one uncompressed layer
            holding N empty files in usr/share/NNNN/ (plus manifest.json and the config);
  dataroot  OUTDIR/var/lib/docker: a Docker overlay2 data root with one image of one layer
            whose layer directory holds the N files, and one container on it;
  loose     OUTDIR/var/lib/docker: the same root without the image, the N files in
            var/lib/docker/spam/NNNN/ (files a data root holds outside any layer: each is an
            artifact of the bundle, as in tests/hostile.rs).
Deterministic: the same arguments give the same bytes. Nothing here is evidence: it is our own
bench data.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

CID = "0123456789abcdef" * 4


def sha(b):
    return hashlib.sha256(b).hexdigest()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def spread(base, n):
    """Create n empty files under base, 1,000 per directory."""
    for d in range((n + 999) // 1000):
        sub = os.path.join(base, f"{d:04}")
        os.makedirs(sub, exist_ok=True)
        for i in range(min(1000, n - d * 1000)):
            os.close(os.open(os.path.join(sub, f"{i:04}"), os.O_CREAT | os.O_WRONLY, 0o644))


def image(out, n):
    os.makedirs(out, exist_ok=True)
    layer_path = os.path.join(out, "layer.tar.tmp")
    with tarfile.open(layer_path, "w", format=tarfile.GNU_FORMAT) as t:
        for d in range((n + 999) // 1000):
            ti = tarfile.TarInfo(f"usr/share/{d:04}")
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
            t.addfile(ti)
            for i in range(min(1000, n - d * 1000)):
                ti = tarfile.TarInfo(f"usr/share/{d:04}/{i:04}")
                ti.mode, ti.mtime = 0o644, 1_700_000_000 + i
                t.addfile(ti)
    h = hashlib.sha256()
    with open(layer_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    diff_id = "sha256:" + h.hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": f"RUN touch {n} files"}],
    }).encode()
    config_name = sha(config) + ".json"
    layer_dir = h.hexdigest()
    manifest = json.dumps([{"Config": config_name, "RepoTags": [f"bench/scale:{n}"],
                            "Layers": [f"{layer_dir}/layer.tar"]}]).encode()
    with tarfile.open(os.path.join(out, "image.tar"), "w", format=tarfile.GNU_FORMAT) as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), 1_700_000_000
            t.addfile(ti, io.BytesIO(data))
        ti = t.gettarinfo(layer_path, f"{layer_dir}/layer.tar")
        ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 1_700_000_000, 0, 0, "", ""
        with open(layer_path, "rb") as f:
            t.addfile(ti, f)
        add(config_name, config)
        add("manifest.json", manifest)
    os.remove(layer_path)


def container(root, image_id, chain, with_layers):
    cdir = os.path.join(root, "containers", CID)
    conf = {"ID": CID, "Name": "/scale", "Image": image_id, "Created": "2026-01-02T00:00:00Z",
            "Path": "sh", "Args": [], "Config": {"Image": "bench/scale", "Cmd": ["sh"], "Env": []},
            "State": {"Running": False, "StartedAt": "2026-01-02T00:00:01Z"},
            "Driver": "overlay2", "MountPoints": {}}
    write(os.path.join(cdir, "config.v2.json"), json.dumps(conf))
    write(os.path.join(cdir, "hostconfig.json"), json.dumps({"Privileged": False, "NetworkMode": "bridge"}))
    if with_layers:
        mount = sha(b"mount")
        m = os.path.join(root, "image/overlay2/layerdb/mounts", CID)
        write(os.path.join(m, "mount-id"), mount)
        write(os.path.join(m, "init-id"), mount + "-init")
        write(os.path.join(m, "parent"), chain)
        write(os.path.join(root, "overlay2", mount + "-init", "diff", ".dockerenv"), b"")
        write(os.path.join(root, "overlay2", mount, "diff", "tmp/x.sh"), b"#!/bin/sh\necho hi\n")


def dataroot(out, n, loose):
    root = os.path.join(out, "var/lib/docker")
    if loose:
        container(root, "sha256:" + "00" * 32, None, False)
        spread(os.path.join(root, "spam"), n)
        return
    img = os.path.join(root, "image/overlay2")
    cache = sha(b"cache")
    diff = "sha256:" + sha(f"diff {n}".encode())
    ldb = os.path.join(img, "layerdb/sha256", diff.split(":")[1])
    write(os.path.join(ldb, "diff"), diff)
    write(os.path.join(ldb, "cache-id"), cache)
    write(os.path.join(ldb, "size"), "0")
    spread(os.path.join(root, "overlay2", cache, "diff", "usr/share"), n)
    write(os.path.join(root, "overlay2", cache, "link"), "LSCALE".ljust(26, "A"))
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": f"RUN touch {n} files"}],
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }).encode()
    iid = sha(cfg)
    write(os.path.join(img, "imagedb/content/sha256", iid), cfg)
    write(os.path.join(img, "repositories.json"),
          json.dumps({"Repositories": {"bench/scale": {"bench/scale:latest": "sha256:" + iid}}}))
    container(root, "sha256:" + iid, diff, True)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("image", "dataroot", "loose"):
        sys.exit(__doc__)
    shape, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if shape == "image":
        image(out, n)
    else:
        dataroot(out, n, shape == "loose")


if __name__ == "__main__":
    main()
