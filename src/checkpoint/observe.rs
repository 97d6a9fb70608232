//! A decoded checkpoint turned into observations: one process capture (pid and parent from
//! the process tree, program from mm's exe file, command line from memory, user from the
//! credentials, each descriptor and the cwd/root as extra columns), the container record,
//! the checkpoint rules' findings, memory hits, and the container's file changes
//! (`rootfs-diff.tar`, `deleted.files`) for the timeline and the path rules.

use std::collections::BTreeMap;

use super::archive::{Found, Listed};
use super::dump::{Dump, Task};
use super::messages::{self as msg, FileKind};
use super::rules::{self, addr, tcp_state};
use crate::ingest::diff::{DiffEntry, DiffKind};
use crate::ingest::inspect::ContainerInfo;
use crate::ingest::observed::Observed;
use crate::ingest::top::{program_name, CaptureFormat, Column, Field, Process, ProcessCapture};
use crate::model::{
    display_bytes, ContainerRef, Diagnostic, Finding, IocRef, Locator, Owner, Severity, TimelineEvent,
};

/// File-change events given to the timeline per checkpoint at most.
const MAX_FILE_EVENTS: usize = 2000;

/// What the memory pass found in one task's pages.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemoryFound {
    /// The command line, when the pages held argv.
    pub argv: Option<String>,
    /// Memory hits: (log rule id, title, category, severity, offset in the pages file,
    /// excerpt, indicators), the first of each rule; and how many strings each rule hit.
    pub hits: Vec<MemoryHit>,
    /// Indicators of the shapes no binary holds by accident (`ip:port`, URLs on addresses,
    /// pools, wallets, keys), each with the offset of its first string.
    pub indicators: Vec<(IocRef, u64)>,
    pub pages_image: String,
    /// `--yara` rules that matched the task's pages (offsets in the pages file), with the
    /// virtual address of each one's first string.
    pub yara: Vec<(crate::yara::YaraHit, Option<u64>)>,
}

/// The first memory string a log rule matched in a task, and how many it matched.
#[derive(Clone, Debug)]
pub(crate) struct MemoryHit {
    pub rule: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub attack: Option<String>,
    pub offset: u64,
    pub vaddr: Option<u64>,
    pub excerpt: String,
    pub iocs: Vec<IocRef>,
    pub count: u64,
}

/// Where the pieces of one checkpoint are, for locators.
pub(crate) struct Places<'a> {
    /// Locates a CRIU image by base name.
    pub image: &'a dyn Fn(&str) -> Locator,
    /// Locates a metadata file (`config.dump`, `rootfs-diff.tar`...).
    pub meta: &'a dyn Fn(&str) -> Locator,
    /// The capture's name in the report.
    pub capture: String,
}

/// The observations of one checkpoint.
pub(crate) fn observe(
    found: &Found,
    dump: &Dump,
    mut container: Option<ContainerInfo>,
    memory: &BTreeMap<u32, MemoryFound>,
    places: &Places,
    diags: &mut Vec<Diagnostic>,
) -> Observed {
    let owner_ref = container.as_ref().map(|c| ContainerRef { id: c.id.clone(), name: c.name.clone() });
    let owner = owner_ref.as_ref().map(Owner::container);
    let mut findings = vec![];
    let mut processes = vec![];
    for t in &dump.tasks {
        let mem = memory.get(&t.pid());
        let p = process(dump, t, mem.and_then(|m| m.argv.clone()), owner_ref.clone(), places);
        let fdinfo = fdinfo_image(dump, t);
        for h in rules::check_task(dump, t, &p.exe, &fdinfo) {
            findings.push(Finding {
                actor: None,
                rule: h.rule.id.to_string(),
                severity: h.rule.severity,
                category: h.rule.category.to_string(),
                title: h.rule.title.to_string(),
                summary: format!(
                    "pid {} ({}): {}. {}",
                    p.pid,
                    excerpt(&p.cmd),
                    h.detail,
                    checkpointed(&container)
                ),
                attack: h.rule.attack(),
                time: container.as_ref().and_then(|c| c.checkpoint.as_ref()).and_then(|m| m.checkpointed),
                evidence: h.proof.iter().map(|i| (places.image)(i)).collect(),
                subject: Some(format!("{} pid {}", places.capture, p.pid)),
                owner: owner.clone(),
                iocs: h.iocs,
                kind: h.rule.kind,
            });
        }
        if let Some(m) = mem {
            findings.extend(memory_findings(t, &p, m, places, owner.clone()));
        }
        processes.push(p);
    }
    let mut timeline = vec![];
    if let Some(c) = container.as_mut() {
        // The user the container's first process runs as, when the spec did not say.
        if c.config.user.is_none() {
            let init =
                dump.tasks.iter().find(|t| t.pstree.ppid == 0).and_then(|t| t.core.as_ref()?.creds.as_ref());
            c.config.user = init.map(|cr| cr.uid.to_string());
        }
        let meta = c.checkpoint.get_or_insert_with(Default::default);
        meta.arch = dump.arch().map(String::from);
        if let Some(t) = meta.checkpointed {
            timeline.push(TimelineEvent {
                time: Some(t),
                timestamp_desc: "container checkpointed".into(),
                kind: "container".into(),
                message: format!(
                    "container {} checkpointed ({} processes frozen)",
                    c.handle(),
                    dump.tasks.len()
                ),
                source: c.locator.clone(),
                also: vec![],
                order: vec![],
            });
        }
    }
    let (changes, diff_timeline) = file_changes(found, places, diags);
    timeline.extend(diff_timeline);
    let diff_loc = (places.meta)("rootfs-diff.tar");
    for l in found.rootfs_diff.iter().flatten() {
        for hit in &l.yara {
            let subject = crate::yara::findings::Subject {
                shown: l.path.clone(),
                size: Some(l.size),
                sha256: l.sha256.as_ref(),
                where_: "changed in the container (checkpoint rootfs-diff.tar)",
                loc: diff_loc.clone().with_member(l.path.trim_start_matches('/').to_string()),
                time: l.mtime,
            };
            let mut f = crate::yara::findings::finding(hit, &subject);
            f.owner.clone_from(&owner);
            findings.push(f);
        }
    }
    let mut out = Outcome::default();
    crate::image::evaluate_saved_diff(&changes, &mut out);
    for mut f in out.findings {
        f.owner.clone_from(&owner);
        findings.push(f);
    }
    let capture = ProcessCapture {
        artifact: places.capture.clone(),
        format: CaptureFormat::Checkpoint,
        columns: vec![
            Column::named("PID", Field::Pid),
            Column::named("PPID", Field::Ppid),
            Column::named("UID", Field::Uid),
            Column::named("COMM", Field::Comm),
            Column::named("COMMAND", Field::Args),
        ],
        forest: false,
        processes,
    };
    Observed {
        pod_findings: vec![],
        processes: (!dump.tasks.is_empty()).then_some(capture),
        findings,
        timeline,
        containers: container.into_iter().collect(),
    }
}

use crate::model::Outcome;

fn checkpointed(c: &Option<ContainerInfo>) -> String {
    match c.as_ref().and_then(|c| c.checkpoint.as_ref()).and_then(|m| m.checkpointed) {
        Some(t) => format!("Seen in the checkpoint taken {}", t.to_iso_seconds()),
        None => "Seen in the checkpoint".into(),
    }
}

fn excerpt(s: &str) -> String {
    crate::model::excerpt(s.as_bytes(), 0, 0, 200)
}

/// The image holding a task's descriptors.
pub(crate) fn fdinfo_image(d: &Dump, t: &Task) -> String {
    match t.id("files_id") {
        Some(id) if d.inventory.as_ref().and_then(|i| i.fdinfo_per_id) != Some(false) => {
            format!("fdinfo-{id}.img")
        }
        _ => format!("fdinfo-{}.img", t.pid()),
    }
}

/// What a descriptor is, in words (`tcp 10.0.0.5:40000 -> 203.0.113.7:4444 ESTABLISHED`).
pub(crate) fn describe(d: &Dump, id: u32, fd_type: u32) -> String {
    let Some(f) = d.file(id) else {
        return format!("{} (id {id}, not in the files image)", msg::fd_type_name(fd_type));
    };
    match &f.file {
        FileKind::Reg(r) => {
            let gone = if d.remapped.contains_key(&r.id) { " (deleted)" } else { "" };
            format!("{}{gone}", r.name)
        }
        FileKind::Inet(sk) => {
            let proto = match (sk.proto, sk.family) {
                (6, 10) => "tcp6",
                (6, _) => "tcp",
                (17, 10) => "udp6",
                (17, _) => "udp",
                (_, 10) => "inet6",
                _ => "inet",
            };
            let end = |words: &[u32], port: u32| {
                let a = addr(words, sk.family).unwrap_or_else(|| "?".into());
                if a.contains(':') {
                    format!("[{a}]:{port}")
                } else {
                    format!("{a}:{port}")
                }
            };
            let local = end(&sk.src_addr, sk.src_port);
            let state = if sk.proto == 6 { format!(" {}", tcp_state(sk.state)) } else { String::new() };
            match rules::peer(sk) {
                Some(_) => format!("{proto} {local} -> {}{state}", end(&sk.dst_addr, sk.dst_port)),
                None => format!("{proto} {local}{state}"),
            }
        }
        FileKind::Unix(u) => {
            let name = if u.name.is_empty() {
                String::new()
            } else if u.name.first() == Some(&0) {
                format!(" @{}", display_bytes(u.name.get(1..).unwrap_or_default()))
            } else {
                format!(" {}", display_bytes(&u.name))
            };
            let kind = match u.sock_type {
                1 => "stream",
                2 => "dgram",
                5 => "seqpacket",
                _ => "?",
            };
            let peer = if u.peer != 0 { format!(" peer ino {}", u.peer) } else { String::new() };
            format!("unix {kind}{name}{peer}")
        }
        FileKind::Pipe { pipe_id } => format!("pipe:[{pipe_id}]"),
        FileKind::Tty { tty_info_id } => match d.ttys.iter().find(|t| t.id == *tty_info_id) {
            Some(t) => match (t.tty_type, t.pty_index) {
                (1, Some(i)) => format!("tty /dev/pts/{i}"),
                _ => format!("tty {} (rdev {:#x})", msg::tty_type_name(t.tty_type), t.rdev),
            },
            None => format!("tty (info {tty_info_id})"),
        },
        FileKind::Eventfd { counter } => format!("eventfd (counter {counter})"),
        FileKind::Memfd { inode_id } => match d.memfds.iter().find(|m| m.inode_id == u64::from(*inode_id)) {
            Some(m) => format!("memfd:{} ({} bytes)", m.name, m.size),
            None => format!("memfd (inode {inode_id})"),
        },
        FileKind::Other { fd_type } => (*fd_type).to_string(),
    }
}

/// One task as a process record.
fn process(
    d: &Dump,
    t: &Task,
    argv: Option<String>,
    container: Option<ContainerRef>,
    places: &Places,
) -> Process {
    let core = t.core.as_ref();
    let comm = core.and_then(|c| c.comm.clone());
    let file_name = |id: u32| match d.file(id).map(|f| &f.file) {
        Some(FileKind::Reg(r)) => Some(r.name.clone()),
        _ => None,
    };
    let exe_path = t.mm.as_ref().and_then(|m| file_name(m.exe_file_id));
    let cmd = argv.clone().or_else(|| exe_path.clone()).or_else(|| comm.clone()).unwrap_or_default();
    let exe = match (&argv, &exe_path, &comm) {
        (Some(a), _, _) => program_name(a),
        (None, Some(p), _) => program_name(p),
        (None, None, Some(c)) => c.clone(),
        _ => String::new(),
    };
    let mut extra = BTreeMap::new();
    if let Some(p) = &exe_path {
        let gone = t.mm.as_ref().is_some_and(|m| d.remapped.contains_key(&m.exe_file_id));
        extra.insert("exe".to_string(), format!("{p}{}", if gone { " (deleted)" } else { "" }));
    }
    if let Some(fs) = &t.fs {
        if let Some(n) = file_name(fs.cwd_id) {
            extra.insert("cwd".into(), n);
        }
        if let Some(n) = file_name(fs.root_id) {
            extra.insert("root".into(), n);
        }
    }
    for f in &t.fds {
        extra.insert(format!("fd {}", f.fd), describe(d, f.id, f.kind));
    }
    if let Some(c) = core {
        extra.insert("arch".into(), msg::arch_name(c.mtype).into());
        if let Some(cr) = &c.creds {
            if cr.euid != cr.uid {
                extra.insert("euid".into(), cr.euid.to_string());
            }
        }
    }
    let tty = t.fds.iter().find(|f| f.fd == 0 && f.kind == 11).map(|f| describe(d, f.id, f.kind));
    Process {
        pid: t.pid(),
        ppid: Some(t.pstree.ppid),
        uid: core.and_then(|c| c.creds.as_ref()).map(|c| c.uid),
        tty,
        stat: core.and_then(|c| c.task_state).map(|s| match s {
            1 => "alive".to_string(),
            2 => "dead".into(),
            3 => "stopped".into(),
            6 => "zombie".into(),
            n => n.to_string(),
        }),
        cmd,
        comm,
        exe,
        extra,
        container,
        locator: (places.image)(&format!("core-{}.img", t.pid())),
        ..Default::default()
    }
}

/// The memory hits of a task as findings: one per log rule, located by pages image and
/// offset, naming the virtual address and the mapping.
fn memory_findings(
    t: &Task,
    p: &Process,
    m: &MemoryFound,
    places: &Places,
    owner: Option<Owner>,
) -> Vec<Finding> {
    let mut out = vec![];
    if !m.indicators.is_empty() {
        let shown: Vec<String> =
            m.indicators.iter().take(10).map(|(i, _)| format!("{} {}", i.kind, i.value)).collect();
        let more = m.indicators.len().saturating_sub(shown.len());
        let def = &rules::MEMORY_INDICATORS;
        out.push(Finding {
            actor: None,
            rule: def.id.to_string(),
            severity: def.severity,
            category: def.category.to_string(),
            title: def.title.to_string(),
            summary: format!(
                "pid {} ({}): its memory names {}{}",
                p.pid,
                excerpt(&p.cmd),
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
            attack: def.attack(),
            time: None,
            evidence: m
                .indicators
                .iter()
                .take(10)
                .map(|(_, off)| (places.image)(&m.pages_image).with_offset(*off))
                .collect(),
            subject: Some(format!("{} pid {} indicators", places.capture, p.pid)),
            owner: owner.clone(),
            iocs: m.indicators.iter().map(|(i, _)| i.clone()).collect(),
            kind: def.kind,
        });
    }
    for (hit, vaddr) in &m.yara {
        let vaddr = *vaddr;
        let mapping = vaddr.and_then(|va| {
            let vma = t.mm.as_ref()?.vmas.iter().find(|v| va >= v.start && va < v.end)?;
            Some(format!(" in mapping {:#x}-{:#x}", vma.start, vma.end))
        });
        let at = vaddr.map(|v| format!(" at {v:#x}")).unwrap_or_default();
        let where_ = format!("(checkpointed memory of pid {}{at}{})", p.pid, mapping.unwrap_or_default());
        let subject = crate::yara::findings::Subject {
            shown: format!("{} pid {} ({})", places.capture, p.pid, excerpt(&p.cmd)),
            size: None,
            sha256: None,
            where_: &where_,
            loc: (places.image)(&m.pages_image),
            time: None,
        };
        let mut f = crate::yara::findings::finding(hit, &subject);
        f.owner = owner.clone();
        out.push(f);
    }
    out.extend(m.hits.iter().map(|h| {
        let mapping = h.vaddr.and_then(|va| {
            let vma = t.mm.as_ref()?.vmas.iter().find(|v| va >= v.start && va < v.end)?;
            Some(format!(" in mapping {:#x}-{:#x}", vma.start, vma.end))
        });
        let at = h.vaddr.map(|v| format!(" at {v:#x}")).unwrap_or_default();
        let more = if h.count > 1 { format!(" ({} strings in all)", h.count) } else { String::new() };
        Finding {
            actor: None,
            rule: rules::MEMORY_SIGNATURE.id.to_string(),
            severity: h.severity,
            category: h.category.clone(),
            title: format!("{}: {}", rules::MEMORY_SIGNATURE.title, h.title),
            summary: format!(
                "pid {} ({}): memory{at}{} holds what log rule {} ({}) matches{more}: {}",
                p.pid,
                excerpt(&p.cmd),
                mapping.unwrap_or_default(),
                h.rule,
                h.title,
                h.excerpt
            ),
            attack: h.attack.clone(),
            time: None,
            evidence: vec![(places.image)(&m.pages_image).with_offset(h.offset)],
            subject: Some(format!("{} pid {} {}", places.capture, p.pid, h.rule)),
            owner: owner.clone(),
            iocs: h.iocs.clone(),
            kind: rules::MEMORY_SIGNATURE.kind,
        }
    }));
    out
}

/// The container's file changes: `rootfs-diff.tar` (added or changed: the archive does not
/// say which; taken as added) and `deleted.files`, as diff entries for the path rules and
/// timeline events by mtime.
fn file_changes(
    found: &Found,
    places: &Places,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<DiffEntry>, Vec<TimelineEvent>) {
    let mut entries = vec![];
    let mut events = vec![];
    let diff_loc = (places.meta)("rootfs-diff.tar");
    let listed: &[Listed] = found.rootfs_diff.as_deref().unwrap_or_default();
    for l in listed {
        let loc = diff_loc.clone().with_member(l.path.trim_start_matches('/').to_string());
        entries.push(DiffEntry { change: DiffKind::Added, path: l.path.clone(), locator: diff_loc.clone() });
        if let Some(t) = l.mtime.filter(|_| events.len() < MAX_FILE_EVENTS) {
            events.push(TimelineEvent {
                time: Some(t),
                timestamp_desc: "file mtime (checkpoint rootfs-diff.tar)".into(),
                kind: "file-change".into(),
                message: format!(
                    "{} {} added or changed in the container ({} bytes, mode {:o})",
                    l.ftype.as_str(),
                    l.path,
                    l.size,
                    l.mode
                ),
                source: loc,
                also: vec![],
                order: vec![],
            });
        }
    }
    for l in found.devshm.as_deref().unwrap_or_default() {
        let loc =
            (places.meta)("devshm-checkpoint.tar").with_member(l.path.trim_start_matches('/').to_string());
        entries.push(DiffEntry {
            change: DiffKind::Added,
            path: format!("/dev/shm{}", l.path),
            locator: loc,
        });
    }
    if let Some(b) = &found.deleted {
        for path in super::meta::deleted_files(b, (places.meta)("deleted.files"), diags) {
            let path = if path.starts_with('/') { path } else { format!("/{path}") };
            entries.push(DiffEntry {
                change: DiffKind::Deleted,
                path,
                locator: (places.meta)("deleted.files"),
            });
        }
    }
    (entries, events)
}
