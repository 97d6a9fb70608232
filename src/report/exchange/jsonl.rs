//! Self-describing JSONL: one record a line, each saying what it is (`ctriage.record`:
//! `verdict`, `chain-stage`, `finding`, `attempt`, `file-change`, `log-hit`, `process`,
//! `ioc`, `timeline-event`, `artifact`, `diagnostic`) and which bundle it is from, with
//! Elastic Common Schema names where ECS has one (`@timestamp`, `message`, `event.kind`,
//! `event.category`, `rule.id`, `file.path`, `process.pid`, `container.name`,
//! `threat.indicator.*`...), ready for an OpenSearch/Elasticsearch bulk load or Velociraptor.
//! Values are the report's: a record is never guessed at. Every record has `@timestamp`;
//! one without a time of its own says what stands in (`ctriage.timestamp_basis`).

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::container_of;
use crate::analyze::story::exploits::AttemptOutcome;
use crate::model::{IocKind, Locator, Severity, Timestamp};
use crate::report::{BundleReport, Report};

/// ECS `event.severity` (a number) for a severity.
fn severity_number(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

/// Drop nulls, empty strings and empty arrays/objects, recursively: a record names only
/// what is known.
fn prune(v: Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) => {
            let a: Vec<Value> = a.into_iter().filter_map(prune).collect();
            (!a.is_empty()).then_some(Value::Array(a))
        }
        Value::Object(m) => {
            let m: Map<String, Value> = m.into_iter().filter_map(|(k, v)| prune(v).map(|v| (k, v))).collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        v => Some(v),
    }
}

fn ts(t: Option<Timestamp>) -> Value {
    t.map(|t| Value::from(t.to_iso())).unwrap_or(Value::Null)
}

fn locs(l: &[Locator]) -> Value {
    Value::from(l.iter().map(|l| l.to_string()).collect::<Vec<_>>())
}

/// Writes records for one bundle.
struct Records<'a, 'w> {
    out: &'w mut dyn Write,
    bundle: &'a BundleReport,
    only: Option<&'a str>,
    /// The `@timestamp` of a record that has no time of its own (a verdict, an indicator
    /// never dated, a diagnostic), and what it is.
    fallback: (Value, &'static str),
}

/// The time a bundle's undated records carry: the newest time in its evidence (the capture
/// was taken at or after it), else when the report was written.
fn fallback_time(b: &BundleReport, report: &Report) -> (Value, &'static str) {
    match b.timeline_events().filter_map(|e| e.time).max() {
        Some(t) => (ts(Some(t)), "no time of its own: the newest time in the bundle's evidence"),
        None => (ts(Some(report.run.time)), "no time of its own: when the report was written"),
    }
}

impl Records<'_, '_> {
    fn emit(&mut self, record: &str, mut body: Value) -> io::Result<()> {
        if let Value::Object(m) = &mut body {
            let c = m.entry("ctriage").or_insert_with(|| json!({}));
            if let Value::Object(c) = c {
                c.insert("record".into(), record.into());
                c.insert("bundle".into(), self.bundle.path.clone().into());
            }
            if !m.contains_key("container") {
                if let Some(n) = self.only {
                    m.insert("container".into(), json!({ "name": n }));
                }
            }
        }
        let mut v = prune(body).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            if !m.contains_key("@timestamp") {
                m.insert("@timestamp".into(), self.fallback.0.clone());
                if let Some(Value::Object(c)) = m.get_mut("ctriage") {
                    c.insert("timestamp_basis".into(), self.fallback.1.into());
                }
            }
        }
        serde_json::to_writer(&mut *self.out, &v).map_err(crate::report::json_io)?;
        self.out.write_all(b"\n")
    }
}

/// Write every record of every bundle.
pub(crate) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for b in &report.bundles {
        let only = (b.containers.len() == 1).then(|| b.containers[0].name.as_str());
        let mut r = Records { out: &mut *out, bundle: b, only, fallback: fallback_time(b, report) };
        bundle(&mut r, b, report)?;
    }
    Ok(())
}

fn bundle(r: &mut Records<'_, '_>, b: &BundleReport, report: &Report) -> io::Result<()> {
    let meta = json!({ "schema_version": report.schema_version, "tool": report.tool.version });
    for v in &b.story.verdicts {
        let mut rec = json!({
            "message": format!("{}: {}", v.status, v.reason),
            "event": { "kind": "alert", "category": ["intrusion_detection"], "outcome": v.status },
            "container": { "name": v.container, "id": v.id },
            "ctriage": { "meta": meta, "way_in": v.way_in, "attackers": v.attackers,
                "live_sessions": v.live_sessions, "persistence": v.persistence,
                "escape_paths": v.escape_paths, "secrets": v.secrets, "evidence": locs(&v.proof) },
        });
        // The cluster identities the container holds, only where there are some (the
        // record of a container outside Kubernetes keeps its shape).
        if !v.identities.is_empty() {
            rec["ctriage"]["identities"] = json!(v.identities);
        }
        r.emit("verdict", rec)?;
    }
    for (i, c) in b.story.chain.iter().enumerate() {
        r.emit(
            "chain-stage",
            json!({
                "@timestamp": ts(c.when.key()),
                "message": format!("{}: {}", c.stage, c.title),
                "event": { "kind": "alert", "action": c.stage, "sequence": i },
                "rule": { "id": c.rule },
                "ctriage": { "when": c.when, "note": c.note, "fact": c.fact, "evidence": locs(&c.proof) },
            }),
        )?;
    }
    for f in &b.findings {
        let time = f.when.as_ref().and_then(|w| w.time).or(f.time);
        r.emit(
            "finding",
            json!({
                "@timestamp": ts(time),
                "message": f.summary,
                "event": { "kind": "alert", "severity": severity_number(f.severity), "outcome": f.outcome },
                "log": { "level": f.severity.as_str() },
                "rule": { "id": f.rule, "name": f.title, "category": f.category, "ruleset": f.rules },
                "threat": { "technique": { "id": f.attack } },
                "container": { "name": container_of(f) },
                "ctriage": { "when": f.when, "evidence": locs(&f.evidence) },
            }),
        )?;
    }
    for a in &b.story.attempts {
        let mut record = json!({
            "@timestamp": ts(a.first_seen),
            "message": format!("{}{}: {}", a.title, a.origin(), a.reason),
            "event": { "kind": "event", "category": ["intrusion_detection"],
                "outcome": if a.outcome == AttemptOutcome::Failed { "failure" } else { "unknown" } },
            "ctriage": { "attempt": a },
        });
        // The sending client is ECS `source`; a callback server its payload named (no sender
        // recorded) is where the victim would connect: `destination`.
        let side = if a.source_role == Some("callback") { "destination" } else { "source" };
        record[side] = json!({ "address": a.source });
        r.emit("attempt", record)?;
    }
    for c in &b.image.file_changes {
        r.emit(
            "file-change",
            json!({
                "@timestamp": ts(c.mtime()),
                "message": format!("{} {}", c.change.letter(), c.path()),
                "event": { "kind": "event", "category": ["file"], "action": format!("{:?}", c.change).to_lowercase() },
                "file": { "path": c.path(), "type": c.ftype().as_str(), "mode": c.mode(), "uid": c.uid().to_string(),
                    "gid": c.gid().to_string(), "size": c.size(), "mtime": ts(c.mtime()),
                    "hash": { "sha256": c.sha256() }, "target_path": c.link_target() },
                "ctriage": { "source": c.source(), "layer": c.layer(), "image": c.image(), "deleted_at": ts(c.deleted_at()),
                    "what": c.what(), "evidence": [c.locator().to_string()] },
            }),
        )?;
    }
    for h in &b.logs.log_hits {
        r.emit(
            "log-hit",
            json!({
                "@timestamp": ts(h.time),
                "message": h.excerpt,
                "event": { "kind": "alert", "category": ["intrusion_detection"], "severity": severity_number(h.severity) },
                "log": { "file": { "path": h.locator.artifact }, "level": h.severity.as_str() },
                "rule": { "id": format!("log.{}", h.rule), "name": h.title, "category": h.category },
                "threat": { "technique": { "id": h.attack } },
                "ctriage": { "stream": h.stream, "decoded": h.decoded, "commands": h.commands,
                    "indicators": h.iocs, "evidence": [h.locator.to_string()],
                    "timestamp_basis": h.time_basis.map(|b| b.describe()) },
            }),
        )?;
    }
    for p in &b.processes {
        for n in &p.tree.nodes {
            let Some(proc) = p.capture.processes.get(n.index) else { continue };
            r.emit(
                "process",
                json!({
                    "@timestamp": ts(proc.started),
                    "message": proc.cmd,
                    "event": { "kind": "state", "category": ["process"] },
                    "process": { "pid": proc.pid, "parent": { "pid": proc.ppid }, "command_line": proc.cmd,
                        "name": proc.exe, "start": ts(proc.started), "tty": proc.tty.as_ref().map(|t| json!({"name": t})) },
                    "user": { "name": proc.user, "id": proc.uid.map(|u| u.to_string()) },
                    "ctriage": { "depth": n.depth, "flags": n.flags, "start_as_printed": proc.start,
                        "evidence": [p.capture.artifact.clone()] },
                }),
            )?;
        }
    }
    for i in &b.story.iocs {
        let mut ind = json!({ "type": i.kind.as_str(), "name": i.value, "description": i.reason,
            "first_seen": ts(i.first_seen), "last_seen": ts(i.last_seen) });
        let ip_type = |v: &str| if v.contains(':') { "ipv6-addr" } else { "ipv4-addr" };
        match i.kind {
            IocKind::Ip => {
                ind["type"] = ip_type(&i.value).into();
                ind["ip"] = i.value.clone().into();
            }
            IocKind::Domain => {
                ind["type"] = "domain-name".into();
                ind["url"] = json!({ "domain": i.value });
            }
            IocKind::Url => ind["url"] = json!({ "full": i.value }),
            IocKind::Endpoint => {
                // `host:port`, `[v6]:port`.
                let (host, port) = i.value.rsplit_once(':').unwrap_or((i.value.as_str(), ""));
                let host = host.trim_matches(['[', ']']);
                if host.parse::<std::net::IpAddr>().is_ok() {
                    ind["type"] = ip_type(host).into();
                    ind["ip"] = host.into();
                } else {
                    ind["type"] = "domain-name".into();
                    ind["url"] = json!({ "domain": host });
                }
                if let Ok(p) = port.parse::<u16>() {
                    ind["port"] = p.into();
                }
            }
            IocKind::Sha256 => {
                ind["type"] = "file".into();
                ind["file"] = json!({ "hash": { "sha256": i.value }, "path": i.path });
            }
            IocKind::Wallet => ind["type"] = "cryptocurrency-wallet".into(),
            IocKind::SshKey => ind["type"] = "ssh-public-key".into(),
            IocKind::Port => {}
        }
        r.emit(
            "ioc",
            json!({
                "message": format!("{} {} ({})", i.kind, i.value, i.role),
                "event": { "kind": "enrichment", "category": ["threat"] },
                "threat": { "indicator": ind },
                "ctriage": { "type": i.kind.as_str(), "value": i.value, "role": i.role, "roles": i.roles,
                    "evidence": locs(&i.evidence) },
            }),
        )?;
    }
    for e in b.timeline_events() {
        r.emit(
            "timeline-event",
            json!({
                "@timestamp": ts(e.time),
                "message": e.message,
                "event": { "kind": "event", "action": e.kind },
                "ctriage": { "timestamp_desc": e.timestamp_desc, "order": e.order, "evidence": [e.source.to_string()] },
            }),
        )?;
    }
    for a in &b.artifacts {
        r.emit(
            "artifact",
            json!({
                "message": format!("{} {}", a.kind.as_str(), a.path),
                "event": { "kind": "event", "category": ["file"], "action": "custody" },
                "file": { "path": a.path, "size": a.size, "hash": { "sha256": a.sha256 } },
                "ctriage": { "kind": a.kind.as_str(), "error": a.error, "note": a.note.as_deref() },
            }),
        )?;
    }
    for d in &b.diagnostics {
        let level = match d.level {
            crate::model::DiagLevel::Error => "error",
            crate::model::DiagLevel::Warning => "warning",
        };
        r.emit(
            "diagnostic",
            json!({
                "message": d.message,
                "event": { "kind": "pipeline_error" },
                "log": { "level": level },
                "ctriage": { "evidence": [d.locator.to_string()] },
            }),
        )?;
    }
    Ok(())
}
