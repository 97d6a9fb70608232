//! Falco JSON alerts (`json_output: true`, one object per line): each alert is a finding
//! credited to Falco (its rule, priority as severity, time, container as owner, tags as
//! category and ATT&CK ids); its `output_fields` (`proc.*`, `user.*`, `container.*`,
//! `k8s.*`, `fd.name`) give the process record and the container.

use std::collections::BTreeMap;

use serde_json::Value;

use super::event::{Act, Alert, Event, Named, Proc};
use super::frame::each_object;
use super::observe::{severity_of, Collector};
use crate::evidence::Artifact;
use crate::ingest::observed::Observed;
use crate::ingest::top::CaptureFormat;
use crate::model::{ContainerRef, Diagnostic, Locator, Timestamp};

/// Read one file of Falco alerts.
pub(crate) fn read(a: &Artifact) -> (Observed, Vec<Diagnostic>) {
    let mut c = Collector::new(&a.path, CaptureFormat::Falco, "Falco");
    each_object(&mut c, a, "Falco alerts", |c, bytes, here| match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.get("rule").is_some() && v.get("output").is_some() => alert(c, &v, here),
        Ok(_) => c.problem(Diagnostic::warning(here, "not a Falco alert (no rule and output)")),
        Err(e) => c.problem(Diagnostic::warning(here, format!("not a Falco alert: {e}"))),
    });
    c.finish()
}

/// A field as text (Falco prints numbers as numbers, absent values as null or `<NA>`).
fn field(f: &Value, k: &str) -> Option<String> {
    let v = match f.get(k)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!v.is_empty() && v != "<NA>" && v != "N/A").then_some(v)
}

fn num(f: &Value, k: &str) -> Option<u32> {
    field(f, k)?.parse().ok()
}

/// `mitre_*` tags as the report's categories.
fn category(tags: &[&str]) -> String {
    for t in tags {
        let c = match *t {
            "mitre_execution" => "execution",
            "mitre_persistence" => "persistence",
            "mitre_privilege_escalation" => "privilege-escalation",
            "mitre_defense_evasion" => "defense-evasion",
            "mitre_credential_access" => "credential-access",
            "mitre_discovery" => "discovery",
            "mitre_lateral_movement" => "lateral-movement",
            "mitre_command_and_control" => "command-and-control",
            "mitre_exfiltration" => "exfiltration",
            "mitre_impact" => "impact",
            "mitre_initial_access" => "initial-access",
            "mitre_collection" => "collection",
            _ => continue,
        };
        return c.into();
    }
    "detection".into()
}

fn is_technique(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 5
        && b.first() == Some(&b'T')
        && b.get(1..5).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && (b.len() == 5
            || (b.len() == 9
                && b.get(5) == Some(&b'.')
                && b.get(6..9).is_some_and(|d| d.iter().all(u8::is_ascii_digit))))
}

fn alert(c: &mut Collector, v: &Value, here: Locator) {
    let empty = Value::Null;
    let f = v.get("output_fields").unwrap_or(&empty);
    let tags: Vec<&str> = v
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let time = v.get("time").and_then(Value::as_str).and_then(Timestamp::parse_rfc3339).or_else(|| {
        field(f, "evt.time")
            .and_then(|t| t.parse::<i64>().ok())
            .map(|ns| Timestamp::from_unix(ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000) as u32))
    });
    let container = field(f, "container.id").filter(|id| id != "host").map(|id| ContainerRef {
        id,
        name: field(f, "container.name").filter(|n| n != "host").unwrap_or_default(),
    });
    let mut extra = BTreeMap::new();
    for (k, name) in [
        ("k8s.pod.name", "pod"),
        ("k8s.ns.name", "namespace"),
        ("proc.tty", "tty"),
        ("user.loginuid", "auid"),
    ] {
        if let Some(x) = field(f, k) {
            extra.insert(name.to_string(), x);
        }
    }
    if let Some(h) = v.get("hostname").and_then(Value::as_str) {
        extra.insert("node".into(), h.to_string());
    }
    let proc = Proc {
        pid: num(f, "proc.pid"),
        ppid: num(f, "proc.ppid"),
        uid: num(f, "user.uid"),
        user: field(f, "user.name"),
        binary: field(f, "proc.exepath").or_else(|| field(f, "proc.exe")).unwrap_or_default(),
        cmd: field(f, "proc.cmdline").or_else(|| field(f, "proc.name")).unwrap_or_default(),
        cwd: field(f, "proc.cwd"),
        container: container.clone(),
        extra,
        ..Default::default()
    };
    let parent = num(f, "proc.ppid").map(|ppid| Proc {
        pid: Some(ppid),
        binary: field(f, "proc.pexepath").unwrap_or_default(),
        cmd: field(f, "proc.pcmdline").or_else(|| field(f, "proc.pname")).unwrap_or_default(),
        container: container.clone(),
        ..Default::default()
    });
    if let Some(ctr) = container {
        let image = match (field(f, "container.image.repository"), field(f, "container.image.tag")) {
            (Some(r), Some(t)) => Some(format!("{r}:{t}")),
            (r, _) => r.or_else(|| field(f, "container.image")),
        };
        c.name(Named {
            container: ctr,
            image,
            image_id: field(f, "container.image.id"),
            pod: field(f, "k8s.pod.name"),
            namespace: field(f, "k8s.ns.name"),
            locator: here.clone(),
            ..Default::default()
        });
    }
    let priority = v.get("priority").and_then(Value::as_str).unwrap_or("").to_string();
    let attack: Vec<&str> = tags.iter().copied().filter(|t| is_technique(t)).collect();
    let a = Alert {
        sensor: "Falco",
        rule: v.get("rule").and_then(Value::as_str).unwrap_or("").to_string(),
        severity: severity_of(&priority),
        priority,
        output: v.get("output").and_then(Value::as_str).unwrap_or("").to_string(),
        category: category(&tags),
        attack: (!attack.is_empty()).then(|| attack.join(",")),
        fd: field(f, "fd.name"),
    };
    c.add(Event { time, proc, parent, act: Act::Alert(a), locator: here });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(category(&["container", "mitre_execution", "T1059"]), "execution");
        assert_eq!(category(&["x"]), "detection");
        assert!(is_technique("T1059") && is_technique("T1059.004"));
        assert!(!is_technique("T10") && !is_technique("TA0002") && !is_technique("T1059.0"));
    }
}
