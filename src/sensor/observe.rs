//! Turning one export's events into what the scan takes ([`Observed`]): one process record
//! per exec the sensor saw (its own record first, else the fullest mention as a parent),
//! the sensor rules' findings (owned by the container the sensor names), timeline events for
//! connections, file events that matter, setuid and mounts, and the containers and pods the
//! sensor names. Counts are capped; what is dropped is said in a diagnostic.

use std::collections::{BTreeMap, HashMap};

use super::event::{Act, Event, Named, Proc};
use super::rules::{self, Hit};
use crate::ingest::inspect::{ContainerInfo, InspectSource};
use crate::ingest::observed::Observed;
use crate::ingest::top::{CaptureFormat, Column, Field, Process, ProcessCapture};
use crate::model::{Diagnostic, Finding, Locator, Owner, Severity, TimelineEvent};

/// Most process records kept from one export.
const MAX_PROCS: usize = 200_000;
/// Most findings raised from one export (repeats of one rule on one process join it).
const MAX_FINDINGS: usize = 10_000;
/// Most timeline events from one export (besides process starts).
const MAX_TIMELINE: usize = 100_000;
/// Proof locators kept per finding.
const MAX_PROOF: usize = 8;
/// Diagnostics per export; the rest are counted.
const MAX_DIAGS: usize = 100;
/// Characters of a command line quoted in a summary or message.
const CMD_SHOWN: usize = 200;

/// Events of one export being gathered.
pub(crate) struct Collector {
    artifact: String,
    format: CaptureFormat,
    sensor: &'static str,
    procs: Vec<Process>,
    /// Process key -> index, whether the record is the process's own (an exec) or a
    /// mention, and whether its command line is the sensor's (not only the program file).
    index: HashMap<String, (usize, bool, bool)>,
    findings: Vec<Finding>,
    finding_at: HashMap<(String, String), usize>,
    timeline: Vec<TimelineEvent>,
    containers: BTreeMap<String, Named>,
    diags: Vec<Diagnostic>,
    more_diags: u64,
    dropped_procs: u64,
    dropped_findings: u64,
    dropped_timeline: u64,
}

/// A process's key in one export: the sensor's exec id, else PID and program file.
fn key(p: &Proc) -> Option<String> {
    match &p.exec_id {
        Some(id) => Some(format!("x:{id}")),
        None => p.pid.map(|pid| format!("p:{pid}:{}", p.binary)),
    }
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max).collect();
        c.push('…');
        c
    }
}

impl Collector {
    pub(crate) fn new(artifact: &str, format: CaptureFormat, sensor: &'static str) -> Self {
        Collector {
            artifact: artifact.to_string(),
            format,
            sensor,
            procs: Vec::new(),
            index: HashMap::new(),
            findings: Vec::new(),
            finding_at: HashMap::new(),
            timeline: Vec::new(),
            containers: BTreeMap::new(),
            diags: Vec::new(),
            more_diags: 0,
            dropped_procs: 0,
            dropped_findings: 0,
            dropped_timeline: 0,
        }
    }

    /// A problem with one record (the first [`MAX_DIAGS`] are kept, the rest counted).
    pub(crate) fn problem(&mut self, d: Diagnostic) {
        if self.diags.len() < MAX_DIAGS {
            self.diags.push(d);
        } else {
            self.more_diags += 1;
        }
    }

    /// A container (and pod) the sensor names; the first record of an id wins, later ones
    /// fill what it lacks.
    pub(crate) fn name(&mut self, n: Named) {
        let id = n.container.id.clone();
        if id.is_empty() && n.container.name.is_empty() {
            return;
        }
        let k = if id.is_empty() { format!("name:{}", n.container.name) } else { id };
        match self.containers.get_mut(&k) {
            Some(have) => {
                if have.container.name.is_empty() {
                    have.container.name = n.container.name;
                }
                have.image = have.image.take().or(n.image);
                have.image_id = have.image_id.take().or(n.image_id);
                have.started = have.started.or(n.started);
                have.pod = have.pod.take().or(n.pod);
                have.namespace = have.namespace.take().or(n.namespace);
                for (k, v) in n.labels {
                    have.labels.entry(k).or_insert(v);
                }
            }
            None => {
                self.containers.insert(k, n);
            }
        }
    }

    /// Record a process; `own` when the record is the process's own exec. Returns its index.
    fn upsert(&mut self, p: &Proc, own: bool, loc: &Locator) -> Option<usize> {
        let k = key(p)?;
        let pid = p.pid?;
        if let Some(&(i, was_own, had_cmd)) = self.index.get(&k) {
            let rec = self.procs.get_mut(i)?;
            let replace = own && !was_own;
            let new_cmd = (!had_cmd || replace) && !p.cmd.is_empty();
            let fill = |dst: &mut Option<String>, src: &Option<String>| {
                if dst.is_none() || replace && src.is_some() {
                    dst.clone_from(src);
                }
            };
            if new_cmd {
                rec.cmd.clone_from(&p.cmd);
            }
            if replace {
                rec.locator = loc.clone();
            }
            if replace || new_cmd {
                self.index.insert(k, (i, was_own || own, had_cmd || new_cmd));
            }
            rec.ppid = rec.ppid.or(p.ppid);
            rec.uid = rec.uid.or(p.uid);
            rec.started = rec.started.or(p.started);
            if rec.start.is_none() {
                rec.start = p.started.map(|t| t.to_iso());
            }
            fill(&mut rec.user, &p.user);
            fill(&mut rec.parent_exec_id, &p.parent_exec_id);
            if rec.container.is_none() {
                rec.container.clone_from(&p.container);
            }
            for (k, v) in &p.extra {
                rec.extra.entry(k.clone()).or_insert_with(|| v.clone());
            }
            return Some(i);
        }
        if self.procs.len() >= MAX_PROCS {
            self.dropped_procs += 1;
            return None;
        }
        let cmd = if p.cmd.is_empty() { p.binary.clone() } else { p.cmd.clone() };
        let mut extra = p.extra.clone();
        if let Some(cwd) = &p.cwd {
            extra.insert("cwd".into(), cwd.clone());
        }
        if !p.binary.is_empty() {
            extra.insert("binary".into(), p.binary.clone());
        }
        self.procs.push(Process {
            pid,
            ppid: p.ppid,
            user: p.user.clone(),
            uid: p.uid,
            start: p.started.map(|t| t.to_iso()),
            started: p.started,
            exe: p.program().to_string(),
            cmd,
            extra,
            container: p.container.clone(),
            exec_id: p.exec_id.clone(),
            parent_exec_id: p.parent_exec_id.clone(),
            locator: loc.clone(),
            ..Default::default()
        });
        let i = self.procs.len() - 1;
        self.index.insert(k, (i, own, !p.cmd.is_empty()));
        Some(i)
    }

    /// One event of the export.
    pub(crate) fn add(&mut self, ev: Event) {
        if let Some(parent) = &ev.parent {
            self.upsert(parent, false, &ev.locator);
        }
        let own = matches!(ev.act, Act::Exec);
        let at = self.upsert(&ev.proc, own, &ev.locator);
        // The rules read the fullest record of the process.
        let mut proc = ev.proc.clone();
        if let Some(rec) = at.and_then(|i| self.procs.get(i)) {
            if proc.cmd.is_empty() {
                proc.cmd.clone_from(&rec.cmd);
            }
            proc.uid = proc.uid.or(rec.uid);
            if proc.container.is_none() {
                proc.container.clone_from(&rec.container);
            }
        }
        if let (Act::Exit, Some(t), Some(rec)) = (&ev.act, ev.time, at.and_then(|i| self.procs.get_mut(i))) {
            rec.extra.entry("exited".into()).or_insert_with(|| t.to_iso());
        }
        let proc_loc = at.and_then(|i| self.procs.get(i)).map(|r| r.locator.clone());
        if let Act::Alert(a) = &ev.act {
            self.alert(&ev, &proc, a.clone(), proc_loc.clone());
        }
        let hits = rules::evaluate(&ev, &proc);
        let flagged = !hits.is_empty();
        for hit in hits {
            self.raise(&ev, &proc, hit, proc_loc.clone());
        }
        self.timeline_of(&ev, &proc, flagged);
    }

    fn who(&self, p: &Proc) -> String {
        let pid = p.pid.map(|x| x.to_string()).unwrap_or_else(|| "?".into());
        let inside = p.container.as_ref().map(|c| format!(" in {}", c.handle())).unwrap_or_default();
        format!("{} ({pid}){inside}", p.program())
    }

    fn push_finding(&mut self, f: Finding, dedupe: (String, String)) {
        if let Some(&i) = self.finding_at.get(&dedupe) {
            if let Some(have) = self.findings.get_mut(i) {
                for l in f.evidence {
                    if have.evidence.len() < MAX_PROOF && !have.evidence.contains(&l) {
                        have.evidence.push(l);
                    }
                }
                for ioc in f.iocs {
                    if !have.iocs.contains(&ioc) {
                        have.iocs.push(ioc);
                    }
                }
                have.iocs.sort();
                have.time = match (have.time, f.time) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            return;
        }
        if self.findings.len() >= MAX_FINDINGS {
            self.dropped_findings += 1;
            return;
        }
        self.finding_at.insert(dedupe, self.findings.len());
        self.findings.push(f);
    }

    fn raise(&mut self, ev: &Event, proc: &Proc, hit: Hit, proc_loc: Option<Locator>) {
        let def = &hit.rule.def;
        let mut evidence = vec![ev.locator.clone()];
        if let Some(l) = proc_loc.filter(|l| *l != ev.locator) {
            evidence.push(l);
        }
        let pid = proc.pid.unwrap_or_default();
        let cmd = clip(&proc.cmd, CMD_SHOWN);
        let summary = format!(
            "{}: {cmd}; {}{}. {} (seen by {}).",
            self.who(proc),
            hit.detail,
            ev.time.map(|t| format!(" at {}", t.to_iso())).unwrap_or_default(),
            hit.rule.why,
            self.sensor
        );
        // Exec rules are about the process (they fold with its lineage findings); the others
        // about one thing it did (the program's path is not the subject's first word then, so
        // a file it wrote is not folded into its session as the same thing).
        let subject = if matches!(ev.act, Act::Exec) {
            format!("pid {pid} {}", proc.cmd)
        } else {
            format!("pid {pid} | {} | {}", hit.detail, proc.cmd)
        };
        let mut iocs = hit.iocs;
        iocs.sort();
        iocs.dedup();
        let f = Finding {
            actor: None,
            rule: def.id.to_string(),
            severity: hit.severity,
            category: def.category.to_string(),
            title: def.title.to_string(),
            summary,
            attack: def.attack(),
            time: ev.time,
            evidence,
            subject: Some(subject.clone()),
            owner: proc.container.as_ref().map(Owner::container),
            iocs,
            kind: def.kind,
        };
        let k = key(proc).unwrap_or_default();
        self.push_finding(f, (def.id.to_string(), format!("{k}|{}", hit.detail)));
    }

    fn alert(&mut self, ev: &Event, proc: &Proc, a: super::event::Alert, proc_loc: Option<Locator>) {
        let def = &rules::ALERT.def;
        let mut evidence = vec![ev.locator.clone()];
        if let Some(l) = proc_loc.filter(|l| *l != ev.locator) {
            evidence.push(l);
        }
        let mut iocs = Vec::new();
        if let Some(fd) = &a.fd {
            // `fd.name` of a connection: `10.0.0.2:41234->203.0.113.9:443`.
            if let Some((_, to)) = fd.split_once("->") {
                if let Some((ip, port)) = to.rsplit_once(':') {
                    let ip = ip.trim_matches(['[', ']']);
                    if rules::is_public(ip) {
                        if let Ok(port) = port.parse::<u16>() {
                            iocs.push(crate::model::IocRef {
                                kind: crate::model::IocKind::Ip,
                                value: ip.to_string(),
                                role: crate::model::role::MENTIONED,
                            });
                            iocs.push(crate::model::IocRef {
                                kind: crate::model::IocKind::Endpoint,
                                value: rules::endpoint(ip, port),
                                role: crate::model::role::MENTIONED,
                            });
                        }
                    }
                }
            }
        }
        let summary = format!(
            "{} alert '{}' (priority {}): {}{}. {}.",
            a.sensor,
            a.rule,
            a.priority,
            clip(&a.output, 400),
            if proc.cmd.is_empty() {
                String::new()
            } else {
                format!("; process {}: {}", self.who(proc), clip(&proc.cmd, CMD_SHOWN))
            },
            rules::ALERT.why
        );
        let subject = format!(
            "{} {} | {} | {}",
            a.sensor,
            a.rule,
            proc.container.as_ref().map(|c| c.id.as_str()).unwrap_or(""),
            proc.cmd
        );
        let f = Finding {
            actor: None,
            rule: def.id.to_string(),
            severity: a.severity,
            category: a.category.clone(),
            title: format!("{}: {}", a.sensor, clip(&a.rule, 120)),
            summary,
            attack: a.attack.clone(),
            time: ev.time,
            evidence,
            subject: Some(subject.clone()),
            owner: proc.container.as_ref().map(Owner::container),
            iocs,
            kind: def.kind,
        };
        self.push_finding(f, (def.id.to_string(), subject));
    }

    /// A timeline event for what matters: what a rule flagged, connections to public
    /// addresses, listening sockets, files created, deleted or written outside scratch and
    /// log directories, setuid, mounts, alerts (a workload's thousands of connections to its
    /// database and writes to its logs are in the export, not in the timeline).
    fn timeline_of(&mut self, ev: &Event, proc: &Proc, flagged: bool) {
        let what = match &ev.act {
            Act::Connect(c) if flagged || rules::is_public(&c.dst_ip) => format!(
                "connected to {}{}",
                rules::endpoint(&c.dst_ip, c.dst_port),
                if c.protocol.is_empty() { String::new() } else { format!(" ({})", c.protocol) }
            ),
            Act::Listen(c) => format!("listening on {}", rules::endpoint(&c.dst_ip, c.dst_port)),
            Act::File(op, path) if flagged || op_matters(*op, path) => format!("{} {path}", op.verb()),
            Act::Setuid(u) => format!("setuid({u})"),
            Act::Mount(m) => format!("mount: {m}"),
            Act::Alert(a) => format!("{} alert '{}' ({})", a.sensor, a.rule, a.priority),
            Act::Exec | Act::Exit | Act::Seen | Act::File(..) | Act::Connect(_) => return,
        };
        if ev.time.is_none() {
            return;
        }
        if self.timeline.len() >= MAX_TIMELINE {
            self.dropped_timeline += 1;
            return;
        }
        let kind = match &ev.act {
            Act::Connect(_) | Act::Listen(_) => "network",
            Act::File(..) => "file-access",
            Act::Alert(_) => "sensor-alert",
            _ => "process-event",
        };
        self.timeline.push(TimelineEvent {
            time: ev.time,
            timestamp_desc: format!("{} event time", self.sensor).into(),
            kind: kind.into(),
            message: format!("{} {what}: {}", self.who(proc), clip(&proc.cmd, CMD_SHOWN)),
            source: ev.locator.clone(),
            also: vec![],
            order: vec![],
        });
    }

    /// What the scan takes, and the diagnostics.
    pub(crate) fn finish(mut self) -> (Observed, Vec<Diagnostic>) {
        let loc = Locator::artifact(self.artifact.clone());
        for (n, what) in [
            (self.dropped_procs, format!("processes beyond {MAX_PROCS} not kept")),
            (self.dropped_findings, format!("findings beyond {MAX_FINDINGS} not raised")),
            (self.dropped_timeline, format!("timeline events beyond {MAX_TIMELINE} not kept")),
            (self.more_diags, "further problems of the same kind not listed".to_string()),
        ] {
            if n > 0 {
                self.diags
                    .push(Diagnostic::warning(loc.clone(), format!("{} export: {n} {what}", self.sensor)));
            }
        }
        // Chronological, then by PID (the order the records came in breaks ties).
        let mut order: Vec<usize> = (0..self.procs.len()).collect();
        order.sort_by_key(|&i| {
            let p = &self.procs[i];
            (p.started.is_none(), p.started, p.pid, i)
        });
        let mut slots: Vec<Option<Process>> = self.procs.into_iter().map(Some).collect();
        let processes: Vec<Process> =
            order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)).collect();
        let capture = (!processes.is_empty()).then(|| ProcessCapture {
            artifact: self.artifact.clone(),
            format: self.format,
            columns: vec![
                Column::named("PID", Field::Pid),
                Column::named("PPID", Field::Ppid),
                Column::named("UID", Field::Uid),
                Column::named("USER", Field::User),
                Column::named("STARTED", Field::Start),
                Column::named("COMMAND", Field::Args),
            ],
            forest: false,
            processes,
        });
        let containers = self.containers.into_values().map(container_info).collect();
        let mut findings = self.findings;
        for f in &mut findings {
            f.evidence.sort();
            f.evidence.dedup();
        }
        (
            Observed {
                pod_findings: vec![],
                processes: capture,
                findings,
                timeline: self.timeline,
                containers,
            },
            self.diags,
        )
    }
}

/// File events worth a timeline line: anything but plain reads, and reads of what the
/// rules call credentials (the findings say which).
fn op_matters(op: super::event::FileOp, path: &str) -> bool {
    use super::event::FileOp;
    const NOISE: &[&str] = &["/proc/", "/dev/", "/sys/", "/run/", "/var/log/", "/var/cache/"];
    match op {
        FileOp::Read => false,
        _ if NOISE.iter().any(|n| path.starts_with(n)) => false,
        // A file made or removed anywhere else (a tool dropped in /tmp, a log deleted).
        FileOp::Create | FileOp::Delete => true,
        // Writes: not to scratch space or logs.
        FileOp::Write => {
            !path.starts_with("/tmp/") && !path.starts_with("/var/tmp/") && !path.ends_with(".log")
        }
    }
}

/// A container record from what the sensor names: id, name, image, start, and the pod as
/// Kubernetes labels (`io.kubernetes.pod.name`, `io.kubernetes.pod.namespace`) so other
/// evidence of the pod joins it.
fn container_info(n: Named) -> ContainerInfo {
    let mut c = ContainerInfo {
        id: n.container.id.clone(),
        name: n.container.name.clone(),
        source: InspectSource::Sensor,
        image: n.image,
        image_id: n.image_id,
        locator: n.locator,
        ..Default::default()
    };
    c.state.started_at = n.started;
    c.config.labels = n.labels;
    if let Some(p) = n.pod {
        c.config.labels.insert("io.kubernetes.pod.name".into(), p);
    }
    if let Some(ns) = n.namespace {
        c.config.labels.insert("io.kubernetes.pod.namespace".into(), ns);
    }
    if !n.container.name.is_empty() {
        c.config.labels.insert("io.kubernetes.container.name".into(), n.container.name);
    }
    c
}

/// The severity of a sensor's priority word (Falco's syslog-style levels).
pub(crate) fn severity_of(priority: &str) -> Severity {
    match priority.to_ascii_lowercase().as_str() {
        "emergency" | "alert" | "critical" => Severity::Critical,
        "error" => Severity::High,
        "warning" | "warn" => Severity::Medium,
        "notice" | "informational" | "info" => Severity::Low,
        _ => Severity::Info,
    }
}

/// Sensor containers join the bundle's: one record per container (a sensor's record that
/// another source also has adds its pod labels to that record and goes).
pub(crate) fn join_containers(containers: &mut Vec<ContainerInfo>) {
    let mut out: Vec<ContainerInfo> = Vec::with_capacity(containers.len());
    let (sensed, others): (Vec<ContainerInfo>, Vec<ContainerInfo>) =
        std::mem::take(containers).into_iter().partition(|c| c.source == InspectSource::Sensor);
    out.extend(others);
    for s in sensed {
        let me = crate::model::ContainerRef { id: s.id.clone(), name: s.name.clone() };
        let same = |c: &ContainerInfo| {
            let other = crate::model::ContainerRef { id: c.id.clone(), name: c.name.clone() };
            !s.id.is_empty() && !c.id.is_empty() && me.same(&other)
        };
        match out.iter_mut().find(|c| same(c)) {
            Some(have) => {
                for (k, v) in s.config.labels {
                    have.config.labels.entry(k).or_insert(v);
                }
                if have.image.is_none() {
                    have.image = s.image;
                }
            }
            None => out.push(s),
        }
    }
    *containers = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ContainerRef;

    fn p(exec: &str, pid: u32, cmd: &str) -> Proc {
        Proc {
            exec_id: Some(exec.into()),
            pid: Some(pid),
            binary: "/bin/x".into(),
            cmd: cmd.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_process_own_record_replaces_its_mention_and_fills_the_rest() {
        let mut c = Collector::new("e.json", CaptureFormat::Tetragon, "Tetragon");
        let at = |n| Locator::artifact("e.json").with_line(n);
        // Seen first doing something (no command), then named as a parent, then its exec.
        c.add(Event { time: None, proc: p("a", 5, ""), parent: None, act: Act::Seen, locator: at(1) });
        c.add(Event {
            time: None,
            proc: p("b", 6, "child"),
            parent: Some(p("a", 5, "x --as-parent")),
            act: Act::Exec,
            locator: at(2),
        });
        let mut own = p("a", 5, "x --own");
        own.uid = Some(0);
        c.add(Event { time: None, proc: own, parent: None, act: Act::Exec, locator: at(3) });
        c.add(Event {
            time: None,
            proc: p("a", 5, "x --later-mention"),
            parent: None,
            act: Act::Exit,
            locator: at(4),
        });
        let (o, d) = c.finish();
        assert!(d.is_empty());
        let procs = o.processes.unwrap().processes;
        assert_eq!(procs.len(), 2);
        let a = procs.iter().find(|x| x.exec_id.as_deref() == Some("a")).unwrap();
        assert_eq!((a.cmd.as_str(), a.uid, a.locator.line), ("x --own", Some(0), Some(3)));
    }

    #[test]
    fn sensor_containers_join_the_record_another_source_has() {
        let id = "ab".repeat(32);
        let mut cs = vec![
            ContainerInfo { id: id.clone(), name: "web".into(), ..Default::default() },
            container_info(Named {
                container: ContainerRef { id: id[..31].into(), name: "web-ctr".into() },
                pod: Some("web-1".into()),
                ..Default::default()
            }),
            container_info(Named {
                container: ContainerRef { id: "cd".repeat(32), name: "db".into() },
                ..Default::default()
            }),
        ];
        join_containers(&mut cs);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].config.labels.get("io.kubernetes.pod.name").map(String::as_str), Some("web-1"));
        assert_eq!(cs[1].source, InspectSource::Sensor);
    }
}
