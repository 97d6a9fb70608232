//! Tetragon JSON events (`tetra getevents -o json`, the export file, or pretty-printed
//! single events): `process_exec`, `process_exit`, `process_kprobe`, `process_lsm`,
//! `process_tracepoint`, `process_uprobe`, and the older `process_connect` /
//! `process_listen` / `process_close`. Each event's process and parent (exec ids, pid, uid,
//! binary, arguments, cwd, start time, pod and container), kprobe arguments read as
//! connections (`sock_arg`, `sockaddr_arg`), file reads and writes (`file_arg`, `path_arg`),
//! setuid and mounts. Unknown event kinds and fields (another Tetragon version) are counted,
//! never fatal.

use std::collections::BTreeMap;

use serde_json::Value;

use super::event::{absolute, bare_id, Act, Conn, Event, FileOp, Named, Proc};
use super::frame::each_object;
use super::observe::Collector;
use crate::evidence::Artifact;
use crate::ingest::observed::Observed;
use crate::ingest::top::CaptureFormat;
use crate::model::{ContainerRef, Diagnostic, Locator, Timestamp};

/// The event kinds read (the object's one key besides `node_name`, `time`...).
const KINDS: &[&str] = &[
    "process_exec",
    "process_exit",
    "process_kprobe",
    "process_lsm",
    "process_tracepoint",
    "process_uprobe",
    "process_connect",
    "process_listen",
    "process_close",
];
/// Top-level keys that are not the event kind.
const ENVELOPE: &[&str] = &["node_name", "time", "cluster_name", "node_labels", "aggregation_info"];

/// Read one Tetragon export.
pub(crate) fn read(a: &Artifact) -> (Observed, Vec<Diagnostic>) {
    let mut c = Collector::new(&a.path, CaptureFormat::Tetragon, "Tetragon");
    let loc = a.locator();
    let mut unknown: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    each_object(&mut c, a, "Tetragon export", |c, bytes, here| {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => one(c, &v, here, &mut unknown),
            Err(e) => c.problem(Diagnostic::warning(here, format!("not a Tetragon event: {e}"))),
        }
    });
    for (kind, (n, line)) in unknown {
        c.problem(Diagnostic::warning(
            loc.clone().with_line(line),
            format!("{n} Tetragon event(s) of kind '{kind}' not read (first at this line)"),
        ));
    }
    c.finish()
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|x| !x.is_empty())
}

fn n(v: &Value, k: &str) -> Option<u64> {
    match v.get(k)? {
        Value::Number(x) => x.as_u64(),
        Value::String(x) => x.parse().ok(),
        _ => None,
    }
}

fn time(v: &Value, k: &str) -> Option<Timestamp> {
    s(v, k).and_then(Timestamp::parse_rfc3339)
}

/// One event object.
fn one(c: &mut Collector, v: &Value, here: Locator, unknown: &mut BTreeMap<String, (u64, u64)>) {
    let Some(obj) = v.as_object() else {
        c.problem(Diagnostic::warning(here, "not a Tetragon event: not a JSON object"));
        return;
    };
    let Some((kind, e)) = obj.iter().find(|(k, _)| KINDS.contains(&k.as_str())) else {
        let kind =
            obj.keys().find(|k| !ENVELOPE.contains(&k.as_str())).cloned().unwrap_or_else(|| "(none)".into());
        let entry = unknown.entry(kind).or_insert((0, here.line.unwrap_or(0)));
        entry.0 += 1;
        return;
    };
    let node = s(v, "node_name");
    let Some(pv) = e.get("process") else {
        c.problem(Diagnostic::warning(here, format!("Tetragon {kind} without a process")));
        return;
    };
    let mut proc = process(pv, node);
    let parent = e.get("parent").filter(|p| p.is_object()).map(|p| process(p, node));
    // The parent's PID, for what reads PPIDs (Sigma's ParentImage); lineage follows exec ids.
    proc.ppid = parent.as_ref().and_then(|p| p.pid);
    for p in [Some(pv), e.get("parent")].into_iter().flatten() {
        if let Some(named) = named(p, &here) {
            c.name(named);
        }
    }
    let when = time(v, "time").or_else(|| if kind == "process_exec" { proc.started } else { None });
    let acts: Vec<Act> = match kind.as_str() {
        "process_exec" => vec![Act::Exec],
        "process_exit" => vec![Act::Exit],
        "process_connect" => legacy_conn(e).map(Act::Connect).into_iter().collect(),
        "process_listen" => legacy_conn(e).map(Act::Listen).into_iter().collect(),
        "process_close" => vec![],
        "process_kprobe" | "process_lsm" => {
            hook(s(e, "function_name").unwrap_or(""), e.get("args")).into_iter().collect()
        }
        "process_tracepoint" => {
            let name = format!("{}/{}", s(e, "subsys").unwrap_or(""), s(e, "event").unwrap_or(""));
            hook(&name, e.get("args")).into_iter().collect()
        }
        // A uprobe says which function of which binary ran: the process record is the fact.
        _ => vec![],
    };
    if acts.is_empty() {
        // The event still tells the process exists (and its parent).
        c.add(Event { time: when, proc, parent, act: Act::Seen, locator: here });
        return;
    }
    for act in acts {
        c.add(Event { time: when, proc: proc.clone(), parent: parent.clone(), act, locator: here.clone() });
    }
}

/// The process (or parent) object.
fn process(p: &Value, node: Option<&str>) -> Proc {
    let binary = s(p, "binary").unwrap_or("").to_string();
    let args = s(p, "arguments").unwrap_or("");
    let cmd = match (binary.is_empty(), args.is_empty()) {
        (false, false) => format!("{binary} {args}"),
        (false, true) => binary.clone(),
        (true, _) => args.to_string(),
    };
    let mut extra = BTreeMap::new();
    let pod = p.get("pod");
    if let Some(pod) = pod {
        if let Some(x) = s(pod, "name") {
            extra.insert("pod".into(), x.to_string());
        }
        if let Some(x) = s(pod, "namespace") {
            extra.insert("namespace".into(), x.to_string());
        }
    }
    if let Some(x) = node {
        extra.insert("node".into(), x.to_string());
    }
    if let Some(x) = s(p, "flags") {
        extra.insert("flags".into(), x.to_string());
    }
    if let Some(x) = n(p, "auid") {
        extra.insert("auid".into(), x.to_string());
    }
    let user = p.get("user").and_then(|u| s(u, "name")).map(str::to_string);
    Proc {
        exec_id: s(p, "exec_id").map(str::to_string),
        parent_exec_id: s(p, "parent_exec_id").map(str::to_string),
        pid: n(p, "pid").and_then(|x| u32::try_from(x).ok()),
        ppid: None,
        uid: n(p, "uid").and_then(|x| u32::try_from(x).ok()),
        user,
        binary,
        cmd,
        cwd: s(p, "cwd").map(str::to_string),
        started: time(p, "start_time"),
        container: container_ref(p),
        extra,
    }
}

fn container_ref(p: &Value) -> Option<ContainerRef> {
    let ctr = p.get("pod").and_then(|pod| pod.get("container"));
    let id = ctr.and_then(|c| s(c, "id")).map(bare_id).or_else(|| s(p, "docker")).unwrap_or("");
    let name = ctr.and_then(|c| s(c, "name")).unwrap_or("");
    (!id.is_empty() || !name.is_empty()).then(|| ContainerRef { id: id.to_string(), name: name.to_string() })
}

/// The container and pod a process object names.
fn named(p: &Value, here: &Locator) -> Option<Named> {
    let container = container_ref(p)?;
    let pod = p.get("pod");
    let ctr = pod.and_then(|pod| pod.get("container"));
    let image = ctr.and_then(|c| c.get("image"));
    let mut labels = BTreeMap::new();
    if let Some(Value::Object(l)) = pod.and_then(|pod| pod.get("pod_labels")) {
        for (k, v) in l.iter().take(256) {
            if let Some(v) = v.as_str() {
                labels.insert(k.clone(), v.to_string());
            }
        }
    }
    Some(Named {
        container,
        image: image.and_then(|i| s(i, "name")).map(str::to_string),
        image_id: image.and_then(|i| s(i, "id")).map(|x| bare_id(x).to_string()),
        started: ctr.and_then(|c| time(c, "start_time")),
        pod: pod.and_then(|pod| s(pod, "name")).map(str::to_string),
        namespace: pod.and_then(|pod| s(pod, "namespace")).map(str::to_string),
        labels,
        locator: here.clone(),
    })
}

/// `process_connect` / `process_listen` of older Tetragon.
fn legacy_conn(e: &Value) -> Option<Conn> {
    Some(Conn {
        src_ip: s(e, "source_ip").map(str::to_string),
        src_port: n(e, "source_port").and_then(|x| u16::try_from(x).ok()),
        dst_ip: s(e, "destination_ip")?.to_string(),
        dst_port: n(e, "destination_port").and_then(|x| u16::try_from(x).ok()).unwrap_or(0),
        protocol: s(e, "protocol").unwrap_or("").to_string(),
    })
}

/// What a kprobe / lsm / tracepoint hook's arguments say was done.
fn hook(function: &str, args: Option<&Value>) -> Option<Act> {
    let args: &[Value] = args.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let f = function.to_ascii_lowercase();
    let path = args.iter().find_map(|a| {
        ["file_arg", "path_arg", "linux_binprm_arg"].iter().find_map(|k| a.get(k).and_then(|x| s(x, "path")))
    });
    let sock = args.iter().find_map(|a| a.get("sock_arg").or_else(|| a.get("sockaddr_arg")));
    let int = args.iter().find_map(|a| a.get("int_arg")).and_then(|x| match x {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    if let Some(sk) = sock {
        if f.contains("connect") || f.contains("sendmsg") || f.contains("sendto") {
            let dst = s(sk, "daddr").or_else(|| s(sk, "addr"))?;
            return Some(Act::Connect(Conn {
                src_ip: s(sk, "saddr").map(str::to_string),
                src_port: n(sk, "sport").and_then(|x| u16::try_from(x).ok()),
                dst_ip: dst.to_string(),
                dst_port: n(sk, "dport")
                    .or_else(|| n(sk, "port"))
                    .and_then(|x| u16::try_from(x).ok())
                    .unwrap_or(0),
                protocol: s(sk, "protocol")
                    .map(|p| p.trim_start_matches("IPPROTO_").to_string())
                    .unwrap_or_default(),
            }));
        }
        if f.contains("accept") || f.contains("listen") || f.contains("bind") {
            let ip = s(sk, "saddr").or_else(|| s(sk, "addr")).unwrap_or("");
            return Some(Act::Listen(Conn {
                dst_ip: ip.to_string(),
                dst_port: n(sk, "sport")
                    .or_else(|| n(sk, "port"))
                    .and_then(|x| u16::try_from(x).ok())
                    .unwrap_or(0),
                ..Default::default()
            }));
        }
        return None;
    }
    if f.contains("setuid") || f.contains("setreuid") || f.contains("setresuid") || f.contains("setfsuid") {
        return int.and_then(|u| u32::try_from(u).ok()).map(Act::Setuid);
    }
    if f.contains("mount") {
        let what: Vec<&str> = args.iter().filter_map(|a| s(a, "string_arg")).take(4).collect();
        let what = if what.is_empty() { path.map(absolute).unwrap_or_default() } else { what.join(" ") };
        return Some(Act::Mount(what));
    }
    let path = absolute(path?);
    if f.contains("unlink") || f.contains("rmdir") {
        return Some(Act::File(FileOp::Delete, path));
    }
    if f.contains("file_permission") {
        // The mask: MAY_WRITE 2, MAY_READ 4.
        return match int {
            Some(m) if m & 2 != 0 => Some(Act::File(FileOp::Write, path)),
            Some(m) if m & 4 != 0 => Some(Act::File(FileOp::Read, path)),
            _ => None,
        };
    }
    if f.contains("write") || f.contains("truncate") || f.contains("rename") || f.contains("splice") {
        return Some(Act::File(FileOp::Write, path));
    }
    if f.contains("read") || f.contains("fd_install") || f.contains("open") || f.contains("mmap") {
        return Some(Act::File(FileOp::Read, path));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hooks() {
        let a = json!([{"sock_arg":{"family":"AF_INET","saddr":"10.0.0.1","daddr":"1.2.3.4","sport":5,"dport":443,"protocol":"IPPROTO_TCP"}}]);
        assert_eq!(
            hook("tcp_connect", Some(&a)),
            Some(Act::Connect(Conn {
                src_ip: Some("10.0.0.1".into()),
                src_port: Some(5),
                dst_ip: "1.2.3.4".into(),
                dst_port: 443,
                protocol: "TCP".into()
            }))
        );
        assert_eq!(hook("tcp_close", Some(&a)), None);
        let w = json!([{"file_arg":{"path":"etc/passwd"}},{"bytes_arg":"eA=="},{"size_arg":"1"}]);
        assert_eq!(hook("__x64_sys_write", Some(&w)), Some(Act::File(FileOp::Write, "/etc/passwd".into())));
        assert_eq!(hook("__x64_sys_read", Some(&w)), Some(Act::File(FileOp::Read, "/etc/passwd".into())));
        assert_eq!(
            hook("fd_install", Some(&json!([{"int_arg":3},{"file_arg":{"path":"/etc/shadow"}}]))),
            Some(Act::File(FileOp::Read, "/etc/shadow".into()))
        );
        assert_eq!(
            hook("security_file_permission", Some(&json!([{"file_arg":{"path":"/etc/x"}},{"int_arg":2}]))),
            Some(Act::File(FileOp::Write, "/etc/x".into()))
        );
        assert_eq!(hook("__x64_sys_setuid", Some(&json!([{"int_arg":0}]))), Some(Act::Setuid(0)));
        assert_eq!(hook("__x64_sys_setuid", Some(&json!([{"int_arg":"x"}]))), None);
        assert_eq!(hook("whatever", Some(&json!({"not":"a list"}))), None);
    }

    #[test]
    fn a_process_with_its_pod() {
        let p = json!({"exec_id":"a","parent_exec_id":"b","pid":7,"uid":0,"binary":"/usr/bin/nc","arguments":"x 443",
            "start_time":"2022-02-01T18:01:56.411Z","pod":{"namespace":"ns","name":"pod-1","container":{"id":"docker://abc","name":"es"}}});
        let got = process(&p, Some("node1"));
        assert_eq!(got.cmd, "/usr/bin/nc x 443");
        assert_eq!(got.container, Some(ContainerRef { id: "abc".into(), name: "es".into() }));
        assert_eq!(got.extra.get("namespace").map(String::as_str), Some("ns"));
        assert_eq!(got.started.map(|t| t.to_iso()), Some("2022-02-01T18:01:56.411000000Z".into()));
        // Numbers of the wrong type or size are absent, not a panic.
        let odd = process(&json!({"pid":-1,"uid":"x","binary":5}), None);
        assert_eq!((odd.pid, odd.uid, odd.cmd.as_str()), (None, None, ""));
    }
}
