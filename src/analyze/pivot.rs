//! Pivots: what one source says the attacker used, searched for in every log. A callback
//! host found in a process command line, or a webshell found on disk, is looked up in all
//! the bundle's logs (including those inside exports and layers), so the analyst sees every
//! request that touched it, not only the ones a signature caught.
//!
//! This module only chooses the terms (as rules in the documented rule format) and turns the
//! hits of the pivot scan into findings; the scan itself is the log scanner's.

use std::collections::BTreeMap;

use crate::analyze::correlate::{HOST_IN_LOGS, WEBSHELL_USED};
use crate::bundle::Evidence;
use crate::logscan::ioc::IocKind;
use crate::logscan::LogSection;
use crate::model::{Finding, Locator, Role, Severity, Timestamp};

/// Log records cited per pivot finding (the count covers them all).
const PROOFS: usize = 6;

/// Something to look for in the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pivot {
    /// Rule id of the pivot in the pivot scan (`pivot.N`).
    pub id: String,
    pub kind: PivotKind,
    /// The literal looked for.
    pub term: String,
    /// What it is and where it came from, for the finding.
    pub origin: String,
    pub evidence: Vec<Locator>,
}

/// What a pivot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PivotKind {
    /// An IP address or domain from a flagged process command line.
    Host,
    /// A webshell's file name (looked for as a URL path segment).
    Webshell,
}

/// Pivots from the findings: hosts in flagged processes that the log scan has not already
/// tied to the logs, and webshell file names.
pub(crate) fn pivots(report: &Evidence, findings: &[Finding]) -> Vec<Pivot> {
    // Hosts the log scan already names as a payload or callback; a host seen only as the
    // source of flagged requests is still worth the pivot (its other requests tell the story).
    let known: Vec<&str> = report
        .logs
        .iocs
        .iter()
        .filter(|i| i.roles.iter().any(|r| *r != "request-source"))
        .map(|i| i.value.as_str())
        .collect();
    let own: Vec<String> = report
        .containers
        .iter()
        .flat_map(|c| c.network.networks.iter().filter_map(|n| n.ip_address.clone()))
        .chain(report.containers.iter().filter_map(|c| c.network.ip_address.clone()))
        .collect();
    let mut hosts: BTreeMap<String, (Vec<String>, Vec<Locator>)> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.kind.family.is_process()) {
        // The hosts the processes' own command lines name (URLs, /dev/tcp paths, nc/socat
        // arguments, pools, commands decoded from base64): the finding's typed indicators.
        let hosts_here = f
            .iocs
            .iter()
            .filter(|i| matches!(i.kind, IocKind::Ip | IocKind::Domain))
            .map(|i| i.value.clone());
        for host in hosts_here {
            if known.contains(&host.as_str())
                || own.contains(&host)
                || crate::analyze::story::hosts::is_local(&host)
            {
                continue;
            }
            let e = hosts.entry(host).or_default();
            e.0.push(f.rule.clone());
            e.1.extend(f.evidence.iter().cloned());
        }
    }
    let mut webshells: BTreeMap<String, (Vec<String>, Vec<Locator>)> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.kind.role == Role::Webshell) {
        let Some(path) = &f.subject else { continue };
        let e = webshells.entry(path.clone()).or_default();
        e.0.push(f.rule.clone());
        e.1.extend(f.evidence.iter().cloned());
    }
    let mut out = vec![];
    for (ip, (rules, mut evidence)) in hosts {
        evidence.sort();
        evidence.dedup();
        let origin = format!("named by {} in the process capture", dedup(rules).join(", "));
        out.push(Pivot { id: String::new(), kind: PivotKind::Host, term: ip, origin, evidence });
    }
    for (path, (_, mut evidence)) in webshells {
        let Some(name) = path.rsplit('/').next().filter(|n| n.len() >= 3) else { continue };
        evidence.sort();
        evidence.dedup();
        let origin = path.clone();
        out.push(Pivot {
            id: String::new(),
            kind: PivotKind::Webshell,
            term: name.to_string(),
            origin,
            evidence,
        });
    }
    for (i, p) in out.iter_mut().enumerate() {
        p.id = format!("pivot.{i}");
    }
    out
}

/// The pivots as a rule file (docs/rules.md format) for the log scanner.
pub(crate) fn rules_text(pivots: &[Pivot]) -> String {
    let mut s = String::new();
    for p in pivots {
        let (literal, confirm) = match p.kind {
            // Whole host names only: `10.0.0.1` is not in `10.0.0.12`, `evil.example` not in
            // `evil.example.com`; a full stop after the name is fine.
            PivotKind::Host => (
                p.term.clone(),
                format!(r"(^|[^A-Za-z0-9.-]){}([^A-Za-z0-9.-]|\.([^A-Za-z0-9]|$)|$)", regex::escape(&p.term)),
            ),
            PivotKind::Webshell => {
                (format!("/{}", p.term), format!("/{}([^A-Za-z0-9_.]|$)", regex::escape(&p.term)))
            }
        };
        s.push_str(&format!(
            "[rule]\nid = {}\ntitle = pivot {}\ncategory = pivot\nseverity = info\ncase = sensitive\nliteral = \"{}\"\nconfirm = regex:{}\n\n",
            p.id,
            p.id,
            literal.replace('\\', "\\\\").replace('"', "\\\""),
            confirm
        ));
    }
    s
}

/// Findings from the pivot scan's hits.
pub(crate) fn findings(pivots: &[Pivot], scan: &LogSection) -> Vec<Finding> {
    let mut out = vec![];
    for p in pivots {
        let hits: Vec<_> = scan.log_hits.iter().filter(|h| h.rule == p.id).collect();
        if hits.is_empty() {
            continue;
        }
        let first: Option<Timestamp> = hits.iter().filter_map(|h| h.time).min();
        let last: Option<Timestamp> = hits.iter().filter_map(|h| h.time).max();
        let span = match (first, last) {
            (Some(a), Some(b)) if a != b => format!(", from {a} to {b}"),
            (Some(a), _) => format!(", at {a}"),
            _ => String::new(),
        };
        let mut evidence: Vec<Locator> = p.evidence.iter().take(PROOFS).cloned().collect();
        evidence.extend(hits.iter().take(PROOFS).map(|h| h.locator.clone()));
        let n = hits.len();
        out.push(match p.kind {
            PivotKind::Host => Finding {
                actor: None,
                rule: HOST_IN_LOGS.id.to_string(),
                severity: Severity::High,
                category: "command-and-control".into(),
                title: format!("Attacker host {} in the logs", p.term),
                summary: format!(
                    "{} ({}) appears in {n} log record(s){span}: the attacker's own requests; read them \
                     for what was sent before the shell came back.",
                    p.term, p.origin
                ),
                attack: Some("T1071".into()),
                time: first,
                evidence,
                subject: Some(p.term.clone()),
                owner: None,
                iocs: vec![],
                kind: HOST_IN_LOGS.kind,
            },
            PivotKind::Webshell => Finding {
                actor: None,
                rule: WEBSHELL_USED.id.to_string(),
                severity: Severity::Critical,
                category: "persistence".into(),
                title: format!("Webshell {} was requested", p.origin),
                summary: format!(
                    "{} (flagged as a webshell on disk) is requested in {n} log record(s){span}: it was \
                     used, not only dropped. Its requests show what the attacker ran through it.",
                    p.origin
                ),
                attack: Some("T1505.003".into()),
                time: first,
                evidence,
                subject: Some(p.origin.clone()),
                owner: None,
                iocs: vec![],
                kind: WEBSHELL_USED.kind,
            },
        });
    }
    out
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivot_rules_parse_in_the_documented_format() {
        let pivots = vec![
            Pivot {
                id: "pivot.0".into(),
                kind: PivotKind::Host,
                term: "203.0.113.66".into(),
                origin: "x".into(),
                evidence: vec![],
            },
            Pivot {
                id: "pivot.1".into(),
                kind: PivotKind::Webshell,
                term: "sh\"ell.php".into(),
                origin: "/x/sh\"ell.php".into(),
                evidence: vec![],
            },
        ];
        let rules = crate::logscan::rules::parse(&rules_text(&pivots), "pivots").expect("pivot rules parse");
        assert_eq!(rules.len(), 2);
        let engine = crate::logscan::Engine::new(rules).unwrap();
        assert_eq!(engine.rules().len(), 2);
        let hits = |line: &str| engine.evaluate(line.as_bytes()).len();
        assert_eq!(hits("GET / from 203.0.113.66 ok"), 1);
        assert_eq!(hits("callback 203.0.113.66."), 1);
        assert_eq!(hits("203.0.113.661 and 1203.0.113.66"), 0);
        assert_eq!(hits("POST /up/sh\"ell.php HTTP/1.1"), 1);
        assert_eq!(hits("POST /up/sh\"ell.php.bak"), 0);
    }
}
