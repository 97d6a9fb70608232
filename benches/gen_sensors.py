#!/usr/bin/env python3
"""Generate a large Tetragon export (JSON lines) and an audit log for benches/sensors.sh.

Usage: gen_sensors.py EVENTS OUTDIR [execs|activity]

`execs` (default): per round of 10 events, 4 process_exec (a workload's programs in one of
50 pods), 2 process_kprobe tcp_connect (to private addresses), 2 process_kprobe
__x64_sys_write (to /tmp files), 2 process_exit: 40 % of the events are new processes, so the
process analysis (lineage, Sigma process rules) weighs as much as the reading.
`activity`: one exec per 100 events, the rest connects and writes of that process (a
long-running workload): the figures are mostly the reader's.
auditd: the same mixes as SYSCALL/EXECVE/CWD/PATH/SOCKADDR/PROCTITLE records grouped by
serial, each event closed by EOE. Benign traffic: the rules stay quiet.
"""
import json
import os
import sys

n = int(sys.argv[1])
out = sys.argv[2]
activity = len(sys.argv) > 3 and sys.argv[3] == "activity"


def kind(i):
    """Event kind of event i (0-3 exec, 4-5 connect, 6-7 write, 8-9 exit) and its process."""
    if activity:
        return (0 if i % 100 == 0 else 4 + i % 4), i // 100
    r = i % 10
    return r, i // 10 * 4 + (r if r < 4 else 0)
os.makedirs(out, exist_ok=True)

PROGS = [("/usr/bin/python3", "app.py --port 8080"), ("/bin/sh", "-c /usr/local/bin/healthcheck"),
         ("/usr/local/bin/healthcheck", ""), ("/usr/bin/curl", "-s http://10.0.0.9/ready")]


def pod(i):
    p = i % 50
    cid = f"{p:02x}" * 32
    return {"namespace": "shop", "name": f"web-{p}", "container": {"id": f"containerd://{cid}", "name": "web",
            "image": {"id": "docker.io/library/web@sha256:" + "ab" * 32, "name": "docker.io/library/web:1"},
            "start_time": "2026-11-27T13:00:00Z", "pid": 1}, "pod_labels": {"app": "web"}}


def proc(k, i, t):
    binary, args = PROGS[k % len(PROGS)]
    return {"exec_id": f"bm9kZTo{k}", "pid": 10000 + k, "uid": 1000, "cwd": "/app", "binary": binary,
            "arguments": args, "flags": "execve clone", "start_time": t, "auid": 4294967295, "pod": pod(i),
            "docker": pod(i)["container"]["id"][13:44], "parent_exec_id": f"bm9kZTo{k - 1}", "refcnt": 1}


def ts(i):
    s = i // 1000
    return f"2026-11-27T14:{(s // 60) % 60:02d}:{s % 60:02d}.{i % 1000:03d}000000Z"


with open(os.path.join(out, "tetragon.json"), "w") as f:
    for i in range(n):
        t = ts(i)
        r, k = kind(i)
        p = proc(k, i, t)
        parent = proc(k - 1, i, t)
        if r < 4:
            ev = {"process_exec": {"process": p, "parent": parent}}
        elif r < 6:
            ev = {"process_kprobe": {"process": p, "parent": parent, "function_name": "tcp_connect", "args": [
                {"sock_arg": {"family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP",
                              "saddr": "10.0.1.5", "daddr": "10.0.0.9", "sport": 40000 + r, "dport": 80}}],
                "action": "KPROBE_ACTION_POST"}}
        elif r < 8:
            ev = {"process_kprobe": {"process": p, "parent": parent, "function_name": "__x64_sys_write", "args": [
                {"file_arg": {"path": f"/tmp/out-{i % 100}.log"}}, {"bytes_arg": "aGVsbG8K"}, {"size_arg": "6"}],
                "action": "KPROBE_ACTION_POST"}}
        else:
            ev = {"process_exit": {"process": p, "parent": parent, "status": 0}}
        ev["node_name"] = "node-1"
        ev["time"] = t
        f.write(json.dumps(ev, separators=(",", ":")) + "\n")


def hx(s):
    return s.encode().hex().upper()


with open(os.path.join(out, "audit.log"), "w") as f:
    for i in range(n):
        t = f"{1764252000 + i // 1000}.{i % 1000:03d}"
        m = f"msg=audit({t}:{i + 1}):"
        r, k = kind(i)
        pid = 10000 + k
        # Connections are curl's (a shell holding a socket is what the rules flag).
        binary, args = PROGS[3] if 4 <= r < 6 else PROGS[i % len(PROGS)]
        common = (f"items=1 ppid={pid - 1} pid={pid} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 "
                  f"egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm=\"{os.path.basename(binary)}\" exe=\"{binary}\" key=(null)")
        title = "00".join(hx(a) for a in [binary] + args.split())
        if r < 4:
            f.write(f"type=SYSCALL {m} arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 {common}\n")
            argv = [binary] + args.split()
            f.write(f"type=EXECVE {m} argc={len(argv)} " + " ".join(f'a{j}="{a}"' for j, a in enumerate(argv)) + "\n")
            f.write(f"type=CWD {m} cwd=\"/app\"\n")
            f.write(f"type=PATH {m} item=0 name=\"{binary}\" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n")
        elif r < 6:
            f.write(f"type=SYSCALL {m} arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffd a2=10 a3=0 {common}\n")
            f.write(f"type=SOCKADDR {m} saddr=020000500A0000090000000000000000\n")
        elif r < 8:
            f.write(f"type=SYSCALL {m} arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6 {common}\n")
            f.write(f"type=CWD {m} cwd=\"/tmp\"\n")
            f.write(f"type=PATH {m} item=0 name=\"/tmp/out-{i % 100}.log\" inode=7 dev=08:01 mode=0100644 nametype=NORMAL\n")
        else:
            f.write(f"type=SYSCALL {m} arch=c000003e syscall=4 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 {common}\n")
        f.write(f"type=PROCTITLE {m} proctitle={title}\n")
        f.write(f"type=EOE {m}\n")
