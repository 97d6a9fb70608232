#!/usr/bin/env python3
"""Generate the scale benchmark's evidence: N empty files, 1 directory per 1,000 files.

Usage: gen-scale.py SHAPE OUTDIR N

SHAPE is one of
  image     OUTDIR/image.tar: a legacy `docker save` archive with one uncompressed layer
            holding N empty files in usr/share/NNNN/ (plus manifest.json and the config);
  image2    the same with a second layer of one file (etc/motd): the merged view of the
            first layer is then kept while the second is applied, as in most real images;
  dataroot  OUTDIR/var/lib/docker: a Docker overlay2 data root with one image of one layer
            whose layer directory holds the N files, and one container on it;
  loose     OUTDIR/var/lib/docker: the same root without the image, the N files in
            var/lib/docker/spam/NNNN/ (files a data root holds outside any layer: each is an
            artifact of the bundle, as in tests/hostile.rs);
  export    OUTDIR/image.tar as for `image`, and OUTDIR/export.tar: a `docker export` of a
            container of that image (its N files unchanged, the runtime's files, and
            tmp/x.sh added), the bundle a responder saves with `docker save` and
            `docker export`: the container's changes are rebuilt against the image.
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


def layer_tar(path, members):
    """Write an uncompressed layer tar of (name, is_dir, mtime) members; return its digest."""
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        for name, is_dir, mtime in members:
            ti = tarfile.TarInfo(name)
            ti.mode, ti.mtime = (0o755 if is_dir else 0o644), mtime
            if is_dir:
                ti.type = tarfile.DIRTYPE
            t.addfile(ti)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def files(n):
    """The N files, 1,000 per directory, each directory first."""
    for d in range((n + 999) // 1000):
        yield f"usr/share/{d:04}", True, 1_700_000_000
        for i in range(min(1000, n - d * 1000)):
            yield f"usr/share/{d:04}/{i:04}", False, 1_700_000_000 + i


def image(out, n, top_layer):
    os.makedirs(out, exist_ok=True)
    layers = [files(n)]
    if top_layer:
        layers.append([("etc", True, 1_700_000_000), ("etc/motd", False, 1_700_000_001)])
    tmp = []
    for k, members in enumerate(layers):
        path = os.path.join(out, f"layer{k}.tar.tmp")
        tmp.append((path, layer_tar(path, members)))
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for _, d in tmp]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": by}
                    for by in [f"RUN touch {n} files", "RUN touch /etc/motd"][:len(tmp)]],
    }).encode()
    config_name = sha(config) + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": [f"bench/scale:{n}"],
                            "Layers": [f"{d}/layer.tar" for _, d in tmp]}]).encode()
    with tarfile.open(os.path.join(out, "image.tar"), "w", format=tarfile.GNU_FORMAT) as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), 1_700_000_000
            t.addfile(ti, io.BytesIO(data))
        for path, digest in tmp:
            ti = t.gettarinfo(path, f"{digest}/layer.tar")
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 1_700_000_000, 0, 0, "", ""
            with open(path, "rb") as f:
                t.addfile(ti, f)
        add(config_name, config)
        add("manifest.json", manifest)
    for path, _ in tmp:
        os.remove(path)


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


def export(out, n):
    """The container's filesystem as `docker export` writes it: every directory, the image's
    files as they were, the files the runtime adds, one file the container wrote."""
    image(out, n, False)
    members = [(".dockerenv", False, 1_700_000_100), ("etc", True, 1_700_000_100),
               ("etc/hostname", False, 1_700_000_100), ("etc/hosts", False, 1_700_000_100),
               ("etc/resolv.conf", False, 1_700_000_100), ("tmp", True, 1_700_000_200),
               ("tmp/x.sh", False, 1_700_000_200), ("usr", True, 1_700_000_000),
               ("usr/share", True, 1_700_000_000)]
    layer_tar(os.path.join(out, "export.tar"), sorted(members) + list(files(n)))


def main():
    shapes = ("image", "image2", "dataroot", "loose", "export")
    if len(sys.argv) != 4 or sys.argv[1] not in shapes:
        sys.exit(__doc__)
    shape, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if shape in ("image", "image2"):
        image(out, n, shape == "image2")
    elif shape == "export":
        export(out, n)
    else:
        dataroot(out, n, shape == "loose")


if __name__ == "__main__":
    main()
