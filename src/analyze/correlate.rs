//! Cross-source correlation: a dropped webshell that the logs show being requested; and
//! [`one_finding_per_fact`], which folds the proofs of one rule's fact from several sources
//! together (for the focused `layers` / `diff` commands; a scan's facts are the story's).

use std::collections::BTreeMap;

use crate::bundle::Evidence;
use crate::model::{Family, Finding, Locator, Owner, Role, RuleDef, RuleKind, Severity, Timestamp};

/// A webshell on disk that the logs show requested (raised here and by the pivot pass).
pub(crate) static WEBSHELL_USED: RuleDef = RuleDef::new(
    "correlate.webshell-used",
    RuleKind::of(Family::Correlation).with(Role::WebshellUsed),
    Severity::Critical,
    "persistence",
    "T1505.003",
    "webshell on disk was requested",
);
/// A host the processes reached, in the logs (raised by the pivot pass).
pub(crate) static HOST_IN_LOGS: RuleDef = RuleDef::new(
    "correlate.host-in-logs",
    RuleKind::of(Family::Correlation).with(Role::HostPivot),
    Severity::High,
    "command-and-control",
    "T1071",
    "attacker host in the logs",
);

/// The correlation rules' declarations.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    vec![&WEBSHELL_USED, &HOST_IN_LOGS]
}

/// Proofs listed per side of a correlation (the JSON of the underlying findings has all).
const PROOFS_PER_SIDE: usize = 3;

/// Correlation findings for one bundle, from its sections and the findings made so far.
pub(crate) fn correlate(report: &Evidence, findings: &[Finding]) -> Vec<Finding> {
    webshells_requested(report, findings)
}

/// Webshell files whose name shows up in log hits: the webshell was used, not only dropped.
fn webshells_requested(report: &Evidence, findings: &[Finding]) -> Vec<Finding> {
    let mut out = vec![];
    for f in findings.iter().filter(|f| f.kind.role == Role::Webshell) {
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
            actor: None,
            rule: WEBSHELL_USED.id.to_string(),
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
            owner: None,
            iocs: vec![],
            kind: WEBSHELL_USED.kind,
        });
    }
    out
}

/// One finding per fact: findings with the same rule and subject (a file in the export and
/// in the committed layer; JNDI requests in the json-file log and in the access log inside
/// the image; the same process chain in two captures) become one finding with every proof,
/// the earliest time and the highest severity, saying where else it was seen. Findings of
/// different owners stay apart; findings without a subject are only deduplicated. Input must be sorted (highest severity first).
pub(crate) fn one_finding_per_fact(sorted: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(sorted.len());
    let mut index: BTreeMap<(String, String, Option<Owner>), usize> = BTreeMap::new();
    let mut also: Vec<Vec<String>> = Vec::new();
    for f in sorted {
        // The owner is part of the fact: the same file in two containers is two findings.
        let key = f.subject.clone().map(|s| (f.rule.clone(), s, f.owner.clone()));
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
    fn path_segments() {
        assert!(contains_path_segment("GET /assets/health.jsp?cmd=id HTTP/1.1", "health.jsp"));
        assert!(contains_path_segment("POST /hackable/uploads/shell.php HTTP/1.1", "shell.php"));
        assert!(!contains_path_segment("GET /shell.php.bak", "shell.php"));
        assert!(!contains_path_segment("myshell.php", "shell.php"));
    }

    fn titled(rule: &str, title: &str, sev: Severity, at: &str, secs: i64) -> Finding {
        Finding {
            actor: None,
            rule: rule.into(),
            severity: sev,
            category: "persistence".into(),
            title: title.into(),
            summary: format!("seen in {at}"),
            attack: None,
            time: Some(Timestamp::from_unix(secs, 0)),
            evidence: vec![Locator::artifact(at).with_member("shell.php")],
            subject: Some(title.into()),
            owner: None,
            iocs: vec![],
            kind: crate::catalog::kind_of(rule),
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
        // The same file in two containers: two facts, one per owner.
        let mut a = titled("file.webshell.php", "PHP webshell: /x.php", Severity::Critical, "a.tar", 1);
        let mut b = titled("file.webshell.php", "PHP webshell: /x.php", Severity::Critical, "b.tar", 2);
        a.owner = Some(Owner::Container { id: "a".repeat(64), name: "web".into() });
        b.owner = Some(Owner::Container { id: "b".repeat(64), name: "db".into() });
        let kept = one_finding_per_fact(vec![a, b]);
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().all(|f| !f.summary.contains("Also seen in")));
    }
}
