//! Attacker-side indicators: the hosts the story classified as the attacker's, the URLs on
//! them that payloads and processes named, and the SHA-256 and path of every file a fact
//! says the attacker left (never a deleted file's, never the victim's own).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::hosts::{self, HostRecord, Role};
use crate::bundle::Evidence;
use crate::image::{Change, FileChange};
use crate::logscan::{ioc, LogHit};
use crate::model::{Fact, Finding, Locator, Severity, Timestamp};

/// An attacker-side indicator.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Indicator {
    /// `ip`, `domain`, `url` or `sha256`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
    /// What it is: what the host did, or the file's path and what it is.
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    pub evidence: Vec<Locator>,
}

/// Attacker-side hosts, their URLs, and the hashes of files the attacker left.
pub fn indicators<'a>(
    report: &Evidence,
    hosts: &[HostRecord],
    hits: impl Iterator<Item = &'a LogHit>,
    acting: &[Finding],
    facts: &[Fact],
) -> Vec<Indicator> {
    let attackers: BTreeMap<&str, &HostRecord> =
        hosts.iter().filter(|h| h.role == Role::Attacker).map(|h| (h.value.as_str(), h)).collect();
    let mut out: Vec<Indicator> = attackers
        .values()
        .map(|h| Indicator {
            kind: h.kind,
            value: h.value.clone(),
            role: h.reasons.join("; "),
            path: None,
            first_seen: h.first_seen,
            last_seen: h.last_seen,
            evidence: h.evidence.clone(),
        })
        .collect();
    let mut urls: BTreeMap<String, (Option<Timestamp>, Vec<Locator>)> = BTreeMap::new();
    for h in hits {
        for i in &h.iocs {
            if let Some(u) = i.strip_prefix("url:") {
                if attackers.contains_key(hosts::bare_host(u).as_str()) {
                    let e = urls.entry(u.to_string()).or_default();
                    e.0 = match (e.0, h.time) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if e.1.len() < 5 && !e.1.contains(&h.locator) {
                        e.1.push(h.locator.clone());
                    }
                }
            }
        }
    }
    for f in acting {
        for i in ioc::extract(f.summary.as_bytes(), &f.summary, None, &[]) {
            if i.kind == ioc::IocKind::Url && attackers.contains_key(hosts::bare_host(&i.value).as_str()) {
                urls.entry(i.value).or_insert_with(|| (f.time, f.evidence.iter().take(2).cloned().collect()));
            }
        }
    }
    for (u, (t, ev)) in urls {
        out.push(Indicator {
            kind: "url",
            value: u,
            role: "attacker URL (callback or payload)".into(),
            path: None,
            first_seen: t,
            last_seen: None,
            evidence: ev,
        });
    }
    // Files the attacker left: hashes of the container's added or changed files that a fact names.
    let mut last: BTreeMap<&str, &FileChange> = BTreeMap::new();
    for c in &report.image.file_changes {
        last.insert(c.path.as_str(), c);
    }
    let changes: BTreeMap<&str, &FileChange> =
        last.into_iter().filter(|(_, c)| c.change != Change::Deleted && c.sha256.is_some()).collect();
    let mut files: BTreeSet<(String, String, String)> = BTreeSet::new();
    for f in facts
        .iter()
        .filter(|f| f.severity >= Severity::High && f.rules.iter().any(|r| r.starts_with("file.")))
    {
        if f.rules.iter().any(|r| r.starts_with("file.log4j") || r.starts_with("file.account.")) {
            continue;
        }
        // Every file the fact's proof names (a miner and its dropper are one fact).
        let paths: BTreeSet<&str> = f
            .subject
            .iter()
            .map(String::as_str)
            .chain(f.evidence.iter().filter_map(|l| l.members.last().map(String::as_str)))
            .filter(|p| p.starts_with('/'))
            .collect();
        for path in paths {
            if let Some(sha) = changes.get(path).and_then(|c| c.sha256.clone()) {
                files.insert((sha, path.to_string(), f.title.clone()));
            }
        }
    }
    for (sha, path, title) in files {
        let ev = changes.get(path.as_str()).map(|c| vec![c.locator.clone()]).unwrap_or_default();
        out.push(Indicator {
            kind: "sha256",
            value: sha,
            role: title,
            path: Some(path),
            first_seen: None,
            last_seen: None,
            evidence: ev,
        });
    }
    out.sort();
    out
}
