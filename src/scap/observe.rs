//! What the scan gets from a replayed capture: its processes as one process capture (one
//! record per process, lineage from the thread table, container from the cgroups), the
//! containers it names, its rules' findings, and timeline events for connections,
//! file writes, sensitive opens, renames, deletions, setuid, ptrace and mounts.

use std::collections::BTreeMap;

use super::paths::{sensitive, Sensitive};
use super::replay::{Act, Activity, Capture, Thread};
use super::rules::{self, time};
use crate::ingest::inspect::{ContainerInfo, InspectSource};
use crate::ingest::observed::Observed;
use crate::ingest::top::{CaptureFormat, Column, Field, Process, ProcessCapture};
use crate::model::{ContainerRef, Locator, TimelineEvent};

/// Process records kept at most.
const MAX_PROCESSES: usize = 50_000;
/// Timeline events kept at most.
pub(crate) const MAX_TIMELINE: usize = 20_000;

/// The observations of `cap`, read from the artifact `loc` names.
pub(crate) fn observed(cap: &Capture, loc: &Locator) -> Observed {
    Observed {
        pod_findings: vec![],
        processes: Some(processes(cap, loc)),
        findings: rules::findings(cap, loc),
        timeline: timeline(cap, loc),
        containers: containers(cap, loc),
    }
}

fn container_ref(cap: &Capture, id: &str) -> ContainerRef {
    let name = cap.containers.get(id).map(|m| m.name.clone()).unwrap_or_default();
    ContainerRef { id: id.to_string(), name }
}

fn processes(cap: &Capture, loc: &Locator) -> ProcessCapture {
    // One record per process: its main thread, else its first thread.
    let mut by_pid: BTreeMap<u64, &Thread> = BTreeMap::new();
    for t in cap.threads.values() {
        let e = by_pid.entry(t.pid).or_insert(t);
        if t.tid == t.pid {
            *e = t;
        }
    }
    let columns = [
        ("PID", Field::Pid),
        ("PPID", Field::Ppid),
        ("UID", Field::Uid),
        ("USER", Field::User),
        ("STARTED", Field::Start),
        ("COMM", Field::Comm),
        ("CMD", Field::Args),
    ]
    .iter()
    .map(|(t, f)| Column::named(t, *f))
    .collect();
    let processes = by_pid
        .values()
        .filter_map(|t| {
            let pid = u32::try_from(t.pid).ok().filter(|p| *p > 0)?;
            let parent = cap.threads.get(&t.ptid).map_or(t.ptid, |p| p.pid);
            let mut extra = BTreeMap::new();
            if !t.cwd.is_empty() {
                extra.insert("cwd".to_string(), t.cwd.clone());
            }
            if !t.exepath.is_empty() {
                extra.insert("exepath".to_string(), t.exepath.clone());
            }
            if let Some(x) = t.exited {
                extra.insert("exited".to_string(), time(x).to_iso());
            }
            let started = t.started.map(time);
            Some(Process {
                pid,
                ppid: u32::try_from(parent).ok().filter(|p| *p != pid),
                user: t.uid.and_then(|u| cap.users.get(&u).cloned()),
                uid: t.uid,
                start: started.map(|s| s.to_iso()),
                started,
                cmd: t.cmd(),
                comm: (!t.comm.is_empty()).then(|| t.comm.clone()),
                exe: t.program(),
                extra,
                container: t.container.as_deref().map(|id| container_ref(cap, id)),
                locator: loc.clone().with_offset(t.offset),
                ..Default::default()
            })
        })
        .take(MAX_PROCESSES)
        .collect();
    ProcessCapture {
        artifact: loc.artifact.clone(),
        format: CaptureFormat::Scap,
        columns,
        forest: false,
        processes,
    }
}

fn containers(cap: &Capture, loc: &Locator) -> Vec<ContainerInfo> {
    cap.containers
        .iter()
        .map(|(id, m)| ContainerInfo {
            id: id.clone(),
            name: m.name.clone(),
            source: InspectSource::Sensor,
            image: (!m.image.is_empty()).then(|| m.image.clone()),
            locator: loc.clone(),
            ..Default::default()
        })
        .collect()
}

fn timeline(cap: &Capture, loc: &Locator) -> Vec<TimelineEvent> {
    cap.activity.iter().filter_map(|a| event(cap, a, loc)).take(MAX_TIMELINE).collect()
}

fn event(cap: &Capture, a: &Activity, loc: &Locator) -> Option<TimelineEvent> {
    let w = &a.who;
    let thread = if w.tid != w.pid { format!(", thread {}", w.tid) } else { String::new() };
    let mut who = if w.program.is_empty() {
        format!("pid {}{thread} (program not in the capture)", w.pid)
    } else {
        format!("{} (pid {}{thread})", w.program, w.pid)
    };
    if let Some(id) = &w.container {
        who.push_str(&format!(" in container {}", container_ref(cap, id).handle()));
    }
    let (kind, message) = match &a.act {
        Act::Connect { proto, local, remote, done } => {
            let proto = proto.map(|p| format!(" {p}")).unwrap_or_default();
            let local = local.map(|l| format!(" from {}", l.endpoint())).unwrap_or_default();
            let failed = if *done { "" } else { " (failed)" };
            ("network-connect", format!("{who} connected{proto}{local} to {}{failed}", remote.endpoint()))
        }
        Act::Accept { client, server } => {
            ("network-accept", format!("{who} accepted {} on {}", client.endpoint(), server.endpoint()))
        }
        Act::Datagram { call, proto, local, remote } => {
            let proto = proto.map(|p| format!(" {p}")).unwrap_or_default();
            let dir = if *call == "recvfrom" { "from" } else { "to" };
            let msg = format!("{who} {call}{proto} {} {dir} {}", local.endpoint(), remote.endpoint());
            ("network-datagram", msg)
        }
        Act::Open { path, write } => {
            let how = if *write { "opened for writing" } else { "opened" };
            let what = match sensitive(path) {
                Some(Sensitive::Account) => " (account database)",
                Some(Sensitive::Persistence) => " (persistence file)",
                Some(Sensitive::StaticPod) => " (static pod manifest)",
                Some(Sensitive::Secret) => " (credentials)",
                None => "",
            };
            ("file-open", format!("{who} {how} {path}{what}"))
        }
        Act::Write { path } => {
            if path.starts_with("/dev/") || path.starts_with("/proc/") {
                return None;
            }
            ("file-write", format!("{who} wrote to {path}"))
        }
        Act::Rename { from, to } => ("file-rename", format!("{who} renamed {from} to {to}")),
        Act::Unlink { path } => ("file-delete", format!("{who} deleted {path}")),
        Act::Setuid { uid, before } => {
            let before = before.map(|b| format!(" from {b}")).unwrap_or_default();
            ("privilege-change", format!("{who} changed its user id{before} to {uid}"))
        }
        Act::Ptrace { request, target } => {
            ("ptrace", format!("{who} called ptrace({request}) on pid {target}"))
        }
        Act::Mount { source, target, fstype } => {
            ("mount", format!("{who} mounted {source} ({fstype}) on {target}"))
        }
    };
    Some(TimelineEvent {
        time: Some(time(a.ts)),
        timestamp_desc: "syscall event (sysdig/Falco capture)".into(),
        kind: kind.into(),
        message,
        source: loc.clone().with_offset(a.offset),
        also: vec![],
        order: vec![],
    })
}
