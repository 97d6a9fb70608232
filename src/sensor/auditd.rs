//! The Linux audit log (`audit.log`, also forwarded through syslog): records grouped into
//! events by `msg=audit(<epoch>.<ms>:<serial>)` (until `EOE`, or a few events on), SYSCALL
//! (pid, ppid, uid, auid, ses, comm, exe, syscall by architecture), EXECVE (arguments,
//! hex-encoded ones and `aN[k]` pieces decoded), CWD, PATH, SOCKADDR (`saddr` decoded to
//! family, address and port) and PROCTITLE (hex, NUL-separated). Execs, connects, file
//! writes and deletes, setuid and mounts become events; a container id comes from a
//! `contid` / `cgroup` field when the log has one.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::event::{Act, Conn, Event, FileOp, Proc};
use super::frame::each_line;
use super::observe::Collector;
use crate::evidence::Artifact;
use crate::ingest::observed::Observed;
use crate::ingest::top::CaptureFormat;
use crate::model::{ContainerRef, Diagnostic, Locator, Timestamp};

/// Events kept open at once waiting for their `EOE` (records of a few events interleave).
const OPEN_EVENTS: usize = 64;
/// Records kept per event.
const MAX_RECORDS: usize = 128;
/// Arguments kept per EXECVE.
const MAX_ARGS: usize = 4096;

/// One record: its type, fields (raw values) and line.
#[derive(Debug, Clone)]
struct Rec {
    kind: String,
    fields: Vec<(String, String)>,
}

impl Rec {
    fn get(&self, k: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
}

/// The records of one event.
struct Group {
    time: Option<Timestamp>,
    at: Locator,
    records: Vec<Rec>,
}

/// Read one audit log.
pub(crate) fn read(a: &Artifact) -> (Observed, Vec<Diagnostic>) {
    let mut c = Collector::new(&a.path, CaptureFormat::Auditd, "auditd");
    let mut open: BTreeMap<u64, Group> = BTreeMap::new();
    each_line(&mut c, a, "audit log", |c, line, here, _| {
        if line.trim().is_empty() {
            return;
        }
        let Some((kind, time, serial, rest)) = header(line) else {
            return c.problem(Diagnostic::warning(here, "not an audit record (no type= and msg=audit(...))"));
        };
        if kind == "EOE" || kind == "1320" {
            if let Some(g) = open.remove(&serial) {
                finish(c, g);
            }
            return;
        }
        let g = open.entry(serial).or_insert_with(|| Group { time, at: here, records: Vec::new() });
        if g.records.len() < MAX_RECORDS {
            g.records.push(Rec { kind, fields: fields(rest) });
        }
        while open.len() > OPEN_EVENTS {
            if let Some((_, g)) = open.pop_first() {
                finish(c, g);
            }
        }
    });
    while let Some((_, g)) = open.pop_first() {
        finish(&mut c, g);
    }
    c.finish()
}

/// `type=X msg=audit(T:S): rest` (also `node=... type=...`, the kernel's `type=1300
/// audit(T:S): rest` and syslog-forwarded lines): type, time, serial, the fields' text.
fn header(line: &str) -> Option<(String, Option<Timestamp>, u64, &str)> {
    let t = line.find("type=")?;
    let kind: String = line.get(t + 5..)?.chars().take_while(|c| !c.is_whitespace()).collect();
    let a = line.find("audit(")?;
    let inner = line.get(a + 6..)?;
    let close = inner.find(')')?;
    let (time, serial) = inner.get(..close)?.split_once(':')?;
    let rest = inner.get(close + 1..)?.trim_start_matches(':');
    Some((kind, Timestamp::from_unix_decimal(time), serial.trim().parse().ok()?, rest))
}

/// `key=value` pairs; values quoted with `"` or `'` keep their spaces. Enriched logs' part
/// after the GS separator (`\x1d`) is left out.
fn fields(text: &str) -> Vec<(String, String)> {
    let text = text.split('\u{1d}').next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() && out.len() < MAX_ARGS + 64 {
        let Some(eq) = rest.find('=') else { break };
        let key = rest.get(..eq).unwrap_or("").trim();
        let after = rest.get(eq + 1..).unwrap_or("");
        let (value, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = after.get(1..).unwrap_or("");
                match body.find(q) {
                    Some(e) => {
                        (format!("{q}{}", body.get(..e).unwrap_or("")), body.get(e + 1..).unwrap_or(""))
                    }
                    None => (format!("{q}{body}"), ""),
                }
            }
            _ => {
                let e = after.find(char::is_whitespace).unwrap_or(after.len());
                (after.get(..e).unwrap_or("").to_string(), after.get(e..).unwrap_or(""))
            }
        };
        // A key is one word; anything else is a stray token.
        let key = key.rsplit(char::is_whitespace).next().unwrap_or(key);
        out.push((key.to_string(), value));
        rest = next.trim_start();
    }
    out
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// An untrusted string field: quoted as is, else hex (NULs as spaces), `(null)` empty.
fn text(v: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q) {
            return inner.strip_suffix(q).unwrap_or(inner).to_string();
        }
    }
    if v == "(null)" || v == "?" {
        return String::new();
    }
    match unhex(v) {
        Some(b) => {
            let s: Vec<u8> = b.into_iter().map(|x| if x == 0 { b' ' } else { x }).collect();
            String::from_utf8_lossy(&s).trim_end().to_string()
        }
        None => v.to_string(),
    }
}

/// The arguments of an EXECVE record (`aN`, or `aN_len` with `aN[k]` pieces).
fn argv(r: &Rec) -> Vec<String> {
    let argc: usize = r.get("argc").and_then(|n| n.parse().ok()).unwrap_or(0).min(MAX_ARGS);
    let mut out = Vec::new();
    for i in 0..argc {
        let whole = format!("a{i}");
        if let Some(v) = r.get(&whole) {
            out.push(text(v));
            continue;
        }
        // A long argument comes in pieces, each hex.
        let prefix = format!("a{i}[");
        let pieces: String = r
            .fields
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v.trim_matches('"'))
            .collect();
        if !pieces.is_empty() {
            out.push(text(&pieces));
        }
    }
    out
}

/// `saddr` of a SOCKADDR record: (address, port) for inet and inet6.
fn sockaddr(hex: &str) -> Option<(String, u16)> {
    let b = unhex(hex)?;
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    match family {
        2 => {
            let o: [u8; 4] = b.get(4..8)?.try_into().ok()?;
            Some((Ipv4Addr::from(o).to_string(), port))
        }
        10 => {
            let o: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            let v6 = Ipv6Addr::from(o);
            Some((v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_else(|| v6.to_string()), port))
        }
        _ => None,
    }
}

/// The syscall's name from its number on the event's architecture (interpreted logs
/// print the name already).
fn syscall(arch: &str, nr: &str) -> &'static str {
    let Ok(n) = nr.parse::<u32>() else {
        return STATIC_NAMES.iter().find(|s| **s == nr).copied().unwrap_or("");
    };
    let table: &[(u32, &'static str)] = match arch {
        "c000003e" | "x86_64" => &[
            (2, "open"),
            (42, "connect"),
            (59, "execve"),
            (82, "rename"),
            (84, "rmdir"),
            (85, "creat"),
            (87, "unlink"),
            (105, "setuid"),
            (113, "setreuid"),
            (117, "setresuid"),
            (122, "setfsuid"),
            (165, "mount"),
            (257, "openat"),
            (263, "unlinkat"),
            (264, "renameat"),
            (316, "renameat2"),
            (322, "execveat"),
            (437, "openat2"),
        ],
        "c00000b7" | "aarch64" => &[
            (35, "unlinkat"),
            (38, "renameat"),
            (40, "mount"),
            (56, "openat"),
            (145, "setreuid"),
            (146, "setuid"),
            (147, "setresuid"),
            (151, "setfsuid"),
            (203, "connect"),
            (221, "execve"),
            (276, "renameat2"),
            (281, "execveat"),
            (437, "openat2"),
        ],
        "40000003" | "i386" => &[
            (5, "open"),
            (8, "creat"),
            (10, "unlink"),
            (11, "execve"),
            (21, "mount"),
            (23, "setuid"),
            (213, "setuid"),
            (295, "openat"),
            (301, "unlinkat"),
        ],
        _ => &[],
    };
    table.iter().find(|(x, _)| *x == n).map(|(_, s)| *s).unwrap_or("")
}

const STATIC_NAMES: &[&str] = &[
    "execve",
    "execveat",
    "connect",
    "open",
    "openat",
    "openat2",
    "creat",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "rmdir",
    "setuid",
    "setreuid",
    "setresuid",
    "setfsuid",
    "mount",
];

fn hex_arg(v: Option<&str>) -> Option<u64> {
    u64::from_str_radix(v?.trim_start_matches("0x"), 16).ok()
}

/// A 64-hex container id in a `contid` or `cgroup` value.
fn container_id(v: &str) -> Option<String> {
    let b = v.as_bytes();
    (0..b.len().saturating_sub(63)).find_map(|i| {
        let run = b.get(i..i + 64)?;
        let boundary = |j: usize| b.get(j).is_none_or(|c| !c.is_ascii_hexdigit());
        (run.iter().all(u8::is_ascii_hexdigit) && (i == 0 || boundary(i - 1)) && boundary(i + 64))
            .then(|| String::from_utf8_lossy(run).into_owned())
    })
}

/// One event's records as an event of the export.
fn finish(c: &mut Collector, g: Group) {
    let find = |k: &str| g.records.iter().find(|r| r.kind == k || (k == "SYSCALL" && r.kind == "1300"));
    let Some(sys) = find("SYSCALL") else { return };
    let arch = sys.get("arch").unwrap_or("");
    let name = syscall(arch, sys.get("syscall").unwrap_or(""));
    let ok = sys.get("success").is_none_or(|s| s == "yes");
    let execve = find("EXECVE");
    let proctitle = find("PROCTITLE").and_then(|r| r.get("proctitle")).map(text).unwrap_or_default();
    let cwd = find("CWD").and_then(|r| r.get("cwd")).map(text);
    let paths: Vec<(String, String)> = g
        .records
        .iter()
        .filter(|r| r.kind == "PATH")
        .map(|r| (r.get("name").map(text).unwrap_or_default(), r.get("nametype").unwrap_or("").to_string()))
        .collect();
    let full = |p: &str| match (&cwd, p.starts_with('/')) {
        (Some(d), false) if !p.is_empty() => format!("{}/{p}", d.trim_end_matches('/')),
        _ => p.to_string(),
    };
    let contid = g
        .records
        .iter()
        .flat_map(|r| r.fields.iter())
        .filter(|(k, _)| k == "contid" || k == "cgroup")
        .find_map(|(_, v)| container_id(&text(v)));
    let mut extra = BTreeMap::new();
    for k in ["auid", "ses", "comm", "tty", "key"] {
        if let Some(v) = sys.get(k).map(text).filter(|v| !v.is_empty() && v != "4294967295" && v != "unset") {
            extra.insert(k.to_string(), v);
        }
    }
    let exe = sys.get("exe").map(text).unwrap_or_default();
    let mut proc = Proc {
        pid: sys.get("pid").and_then(|p| p.parse().ok()),
        ppid: sys.get("ppid").and_then(|p| p.parse().ok()),
        uid: sys.get("uid").and_then(|p| p.parse().ok()),
        binary: exe,
        // Without a PROCTITLE the command is the one the exec recorded (`comm` is in extra).
        cmd: proctitle.clone(),
        cwd: cwd.clone(),
        container: contid.map(|id| ContainerRef { id, name: String::new() }),
        extra,
        ..Default::default()
    };
    let is_exec = execve.is_some() || matches!(name, "execve" | "execveat");
    let act = if is_exec {
        if !ok {
            return;
        }
        let args = execve.map(argv).unwrap_or_default();
        if !args.is_empty() {
            proc.cmd = args.join(" ");
        }
        proc.started = g.time;
        Act::Exec
    } else {
        match name {
            "connect" => {
                let exit = sys.get("exit").unwrap_or("");
                let addr = find("SOCKADDR").and_then(|r| r.get("saddr")).and_then(sockaddr);
                match addr {
                    Some((ip, port)) if ok || exit == "-115" || exit == "EINPROGRESS" => {
                        Act::Connect(Conn { dst_ip: ip, dst_port: port, ..Default::default() })
                    }
                    _ => Act::Seen,
                }
            }
            "open" | "openat" | "openat2" | "creat" if ok => {
                let flags = match name {
                    "open" => hex_arg(sys.get("a1")),
                    "openat" => hex_arg(sys.get("a2")),
                    "creat" => Some(0o1101),
                    _ => None,
                };
                let target = paths.iter().find(|(_, t)| t != "PARENT").map(|(p, t)| (full(p), t.as_str()));
                match (target, flags) {
                    (Some((p, "CREATE")), _) => Act::File(FileOp::Create, p),
                    (Some((p, _)), Some(f)) if f & 3 != 0 => Act::File(FileOp::Write, p),
                    (Some((p, _)), _) => Act::File(FileOp::Read, p),
                    (None, _) => Act::Seen,
                }
            }
            "unlink" | "unlinkat" | "rmdir" | "rename" | "renameat" | "renameat2" if ok => {
                match paths
                    .iter()
                    .find(|(_, t)| t == "DELETE")
                    .or_else(|| paths.iter().find(|(_, t)| t == "CREATE"))
                {
                    Some((p, t)) if t == "DELETE" => Act::File(FileOp::Delete, full(p)),
                    Some((p, _)) => Act::File(FileOp::Write, full(p)),
                    None => Act::Seen,
                }
            }
            "setuid" | "setreuid" | "setresuid" | "setfsuid" if ok => {
                let a0 = hex_arg(sys.get("a0"));
                let a1 = hex_arg(sys.get("a1")).filter(|v| *v != 0xffff_ffff);
                let to = if name == "setuid" || name == "setfsuid" { a0 } else { a1.or(a0) };
                match to.and_then(|u| u32::try_from(u).ok()) {
                    Some(u) => Act::Setuid(u),
                    None => Act::Seen,
                }
            }
            "mount" if ok => {
                let what: Vec<String> =
                    paths.iter().map(|(p, _)| full(p)).filter(|p| !p.is_empty()).collect();
                Act::Mount(if what.is_empty() { proctitle } else { what.join(" ") })
            }
            _ => Act::Seen,
        }
    };
    c.add(Event { time: g.time, proc, parent: None, act, locator: g.at });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(text("\"ls\""), "ls");
        assert_eq!(text("2F62696E2F7368002D63"), "/bin/sh -c");
        assert_eq!(text("(null)"), "");
        assert_eq!(text("xyz"), "xyz");
        assert_eq!(sockaddr("02000050C0A80206000000000000000000"), Some(("192.168.2.6".into(), 80)));
        assert_eq!(
            sockaddr("0A0001BB00000000000000000000000000000000000000010000000000"),
            Some(("::1".into(), 443))
        );
        assert_eq!(sockaddr("01002F746D70"), None);
        assert_eq!(sockaddr("02"), None);
        assert_eq!(sockaddr("zz"), None);
    }

    #[test]
    fn headers_and_fields() {
        let (k, t, s, rest) = header("node=h type=SYSCALL msg=audit(1684329817.579:2995): arch=c000003e syscall=59 comm=\"a b\" key=(null)").unwrap();
        assert_eq!((k.as_str(), s), ("SYSCALL", 2995));
        assert_eq!(t.map(|t| t.to_iso()), Some("2023-05-17T13:23:37.579000000Z".into()));
        let f = fields(rest);
        assert_eq!(f[2], ("comm".to_string(), "\"a b".to_string()));
        assert_eq!(text(&f[2].1), "a b");
        assert!(header("garbage").is_none());
        assert!(header("type=X msg=audit(1:notanumber):").is_none());
    }

    #[test]
    fn long_arguments_in_pieces() {
        let r = Rec {
            kind: "EXECVE".into(),
            fields: fields("argc=2 a0=\"sh\" a1_len=6 a1[0]=616263 a1[1]=646566"),
        };
        assert_eq!(argv(&r), vec!["sh".to_string(), "abcdef".to_string()]);
    }

    #[test]
    fn container_ids() {
        let id = "a".repeat(64);
        assert_eq!(container_id(&format!("0::/system.slice/docker-{id}.scope")), Some(id.clone()));
        assert_eq!(container_id(&"a".repeat(65)), None);
        assert_eq!(container_id("123"), None);
    }
}
