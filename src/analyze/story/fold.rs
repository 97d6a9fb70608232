//! One fact, one finding. Observations that say the same thing about the same subject fold
//! together: every rule about one file path (a webshell flagged by its content, requested
//! in the logs and named by a correlation), every rule about one process (and the dropped
//! file it runs, and the other processes of the same reverse shell), the changes of one
//! account database, the log deletions of one container, a miner's process, files and CPU.
//! The fold is a union over keys each observation names; the most severe observation leads.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::{Fact, Family, Finding, Locator, Owner, Role, RuleKind, Severity, When};

/// Proof locators kept per fact (the JSON of the captures holds the rest).
const EVIDENCE_PER_FACT: usize = 24;

static CALLBACK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"callback ([A-Za-z0-9.\-:\[\]]+:\d{1,5})").expect("valid built-in regex"));

/// The keys an observation names; observations sharing a key are one fact.
pub(crate) fn keys(f: &Finding, extra: &[String]) -> Vec<String> {
    let mut k: Vec<String> = extra.to_vec();
    let rule = f.rule.as_str();
    if let Some(s) = &f.subject {
        k.push(format!("{rule}\u{0}{s}"));
    }
    let subject = f.subject.as_deref().unwrap_or("");
    let role = f.kind.role;
    if f.kind.family == Family::File || role == Role::WebshellUsed {
        if !subject.is_empty() {
            k.push(format!("path:{subject}"));
            if matches!(role, Role::Webshell | Role::WebshellUsed) {
                if let Some(name) = subject.rsplit('/').next().filter(|n| n.len() >= 3) {
                    k.push(format!("webshell-name:{name}"));
                }
            }
        }
        if role == Role::Account {
            k.push("accounts".into());
        }
        if role == Role::LogWipe {
            k.push("log-deletions".into());
        }
        if role == Role::Miner {
            k.push("miner".into());
        }
    }
    if f.kind.family.is_process() {
        if let Some(rest) = subject.strip_prefix("pid ") {
            k.push(format!("pid:{rest}"));
            let cmd = rest.split_once(' ').map(|(_, c)| c).unwrap_or("");
            if let Some(exe) = cmd.split_whitespace().next().filter(|e| e.starts_with('/')) {
                k.push(format!("path:{exe}"));
            }
        }
        // The processes of one reverse shell (sh -c -> bash -c -> bash -i) in one capture.
        if let Some(c) = CALLBACK.captures(&f.summary) {
            let capture = f.evidence.first().map(|l| l.artifact.as_str()).unwrap_or("");
            k.push(format!("callback:{capture}:{}", &c[1]));
        }
        if role == Role::Miner {
            k.push("miner".into());
        }
        // The shell a server spawned roots the attacker's session: every process rule about
        // what runs under it (the reverse shell, the nc it starts, a tty upgrade) is one fact.
        if matches!(role, Role::ServerShell | Role::Session) {
            if let Some(root) = f.evidence.get(1) {
                k.push(format!("session:{root}"));
            }
        }
    }
    if role == Role::CpuHigh {
        k.push("miner".into());
    }
    // Every rule about one API server audit record (ctriage's and Sigma's) is one fact.
    if matches!(f.kind.family, Family::K8sAudit | Family::SigmaK8sAudit) {
        if let [one] = f.evidence.as_slice() {
            k.push(format!("audit-record:{one}"));
        }
    }
    k
}

/// One observation: a finding, the keys it names, when it happened, and its outcome (for
/// exploit requests).
pub(crate) struct Observation {
    pub finding: Finding,
    pub keys: Vec<String>,
    pub when: Option<When>,
    pub outcome: Option<&'static str>,
    /// Further rules the observation stands for, with their kinds (a log group: every rule
    /// its records matched).
    pub(crate) rules: Vec<(String, RuleKind)>,
}

/// Fold observations into facts, most severe first.
pub(crate) fn fold(observations: Vec<Observation>) -> Vec<Fact> {
    let n = observations.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    // A key means the same thing only within one owner: two containers' `/tmp/x` are two facts.
    let scoped: Vec<Vec<String>> = observations
        .iter()
        .map(|o| {
            let owner = match &o.finding.owner {
                Some(Owner::Container { id, name }) => format!("{id}/{name}"),
                _ => String::new(),
            };
            o.keys.iter().map(|k| format!("{owner}\u{0}{k}")).collect()
        })
        .collect();
    let mut by_key: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, keys) in scoped.iter().enumerate() {
        for k in keys {
            match by_key.get(k.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    by_key.insert(k, i);
                }
            }
        }
    }
    // `stats.cpu-high` alone keeps its own fact; only a miner gives it company.
    let mut groups: BTreeMap<usize, Vec<Observation>> = BTreeMap::new();
    for (i, o) in observations.into_iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(o);
    }
    let mut out: Vec<Fact> = groups.into_values().map(merge).collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    out.dedup_by(|a, b| a.finding == b.finding);
    out
}

/// Lead rank: the thing itself before what correlates it, the specific before the
/// generic (rules declared generic: they describe where or how rather than what, so never
/// lead a fact a more specific rule also names: a miner is a miner before it is an
/// executable in /tmp), the more severe first.
fn rank(f: &Finding) -> (Severity, u8, u8) {
    let own = if f.kind.family == Family::Correlation { 0 } else { 1 };
    let specific = if f.kind.generic { 0 } else { 1 };
    (f.severity, own, specific)
}

fn merge(mut obs: Vec<Observation>) -> Fact {
    obs.sort_by(|a, b| {
        let (a, b) = (&a.finding, &b.finding);
        rank(b).cmp(&rank(a)).then_with(|| a.rule.cmp(&b.rule)).then_with(|| a.evidence.cmp(&b.evidence))
    });
    let when = obs[0]
        .when
        .clone()
        .or_else(|| obs.iter().filter_map(|o| o.when.clone()).min_by_key(|w| (w.key().is_none(), w.key())));
    let outcome = obs.iter().find_map(|o| o.outcome);
    let named: Vec<(String, RuleKind)> = obs.iter().flat_map(|o| o.rules.iter().cloned()).collect();
    let members: Vec<Finding> = obs.into_iter().map(|o| o.finding).collect();
    let kinds: Vec<RuleKind> = members.iter().map(|f| f.kind).chain(named.iter().map(|(_, k)| *k)).collect();
    let mut rules: Vec<String> =
        members.iter().map(|f| f.rule.clone()).chain(named.into_iter().map(|(r, _)| r)).collect();
    rules.sort();
    rules.dedup();
    let mut lead = members[0].clone();
    lead.iocs = crate::logscan::ioc::tidy(members.iter().flat_map(|m| m.iocs.iter().cloned()).collect());
    // The fact's time is its event's: a deletion's whiteout time, not the deleted file's
    // mtime; none when only bounds are known (they are in `when`).
    lead.time = match &when {
        Some(w) => w.time,
        None => members.iter().filter_map(|f| f.time).min(),
    };
    let mut also: Vec<String> = vec![];
    for m in members[1..].iter().filter(|m| m.rule != lead.rule) {
        // A process rule names its chain (`httpd (483) -> sh (849) -> nc (854)`).
        let mut what = match m
            .summary
            .split_once(": ")
            .filter(|(c, _)| m.kind.family.is_process() && c.contains(" ("))
        {
            Some((chain, _)) if !lead.summary.starts_with(chain) => format!("{} ({chain})", m.title),
            _ => m.title.clone(),
        };
        // A Sigma rule is credited wherever it matched (DRL 1.1).
        if let Some(i) = m.summary.find("Sigma rule \"") {
            what.push_str(&format!(" [{}]", m.summary[i..].trim_end_matches('.')));
        }
        if m.title != lead.title && !also.contains(&what) {
            also.push(what);
        }
    }
    // One rule over several subjects (four log files deleted): say how many.
    let mut subjects: Vec<&str> =
        members.iter().filter(|m| m.rule == lead.rule).filter_map(|m| m.subject.as_deref()).collect();
    subjects.sort();
    subjects.dedup();
    if subjects.len() > 1 {
        lead.title = format!("{} and {} more", lead.title, subjects.len() - 1);
        let own = members[0].subject.as_deref();
        let others: Vec<&str> =
            subjects.iter().copied().filter(|s| Some(*s) != own && s.starts_with('/')).collect();
        if !others.is_empty() {
            lead.summary.push_str(&format!(" The others: {}.", others.join(", ")));
        }
    }
    lead.severity = members.iter().map(|f| f.severity).max().unwrap_or(lead.severity);
    if !also.is_empty() {
        lead.summary.push_str(&format!(" Same fact: {}.", also.join("; ")));
    }
    let mut evidence: Vec<Locator> = vec![];
    // Every member's first proof, then the rest, so each rule's proof is shown.
    for m in &members {
        if let Some(l) = m.evidence.first() {
            if !evidence.contains(l) {
                evidence.push(l.clone());
            }
        }
    }
    for m in &members {
        for l in &m.evidence {
            if !evidence.contains(l) {
                evidence.push(l.clone());
            }
        }
    }
    evidence.truncate(EVIDENCE_PER_FACT);
    lead.evidence = evidence;
    Fact { finding: lead, rules, kinds, when, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn f(rule: &str, sev: Severity, subject: Option<&str>, summary: &str, secs: i64) -> Finding {
        Finding {
            actor: None,
            rule: rule.into(),
            severity: sev,
            category: "x".into(),
            title: format!("{rule} title"),
            summary: summary.into(),
            attack: None,
            time: Some(Timestamp::from_unix(secs, 0)),
            evidence: vec![Locator::artifact(rule)],
            subject: subject.map(String::from),
            owner: None,
            iocs: vec![],
            kind: crate::catalog::kind_of(rule),
        }
    }

    fn facts(v: Vec<Finding>) -> Vec<Fact> {
        fold(
            v.into_iter()
                .map(|x| Observation {
                    keys: keys(&x, &[]),
                    finding: x,
                    when: None,
                    outcome: None,
                    rules: vec![],
                })
                .collect(),
        )
    }

    #[test]
    fn a_reverse_shell_is_one_fact() {
        let out = facts(vec![
            f(
                "proc.revshell",
                Severity::Critical,
                Some("pid 84281 bash -c {echo,x}|{base64,-d}|{bash,-i}"),
                "callback 203.0.113.66:4444 (bash)",
                5,
            ),
            f(
                "proc.base64-exec",
                Severity::High,
                Some("pid 84281 bash -c {echo,x}|{base64,-d}|{bash,-i}"),
                "decoded",
                5,
            ),
            f(
                "proc.lineage.server-shell",
                Severity::High,
                Some("pid 84281 bash -c {echo,x}|{base64,-d}|{bash,-i}"),
                "java spawned",
                5,
            ),
            f(
                "proc.revshell",
                Severity::Critical,
                Some("pid 84285 bash -i"),
                "callback 203.0.113.66:4444",
                5,
            ),
        ]);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].rules, vec!["proc.base64-exec", "proc.lineage.server-shell", "proc.revshell"]);
        assert_eq!(out[0].severity, Severity::Critical);
    }

    #[test]
    fn a_dropped_implant_and_its_process_are_one_fact_other_files_stay_apart() {
        let out = facts(vec![
            f("file.exec.temp", Severity::High, Some("/tmp/.x/agent"), "", 1),
            f("file.exec.hidden", Severity::High, Some("/tmp/.x/agent"), "", 1),
            f("proc.exec.hidden-dir", Severity::High, Some("pid 84412 /tmp/.x/agent"), "", 2),
            f("file.persistence.ssh-keys", Severity::High, Some("/root/.ssh/authorized_keys"), "", 3),
            f("file.account.uid0", Severity::Critical, Some("/etc/passwd"), "", 4),
            f("file.account.shadow", Severity::High, Some("/etc/shadow"), "", 4),
            f("exposure.privileged", Severity::Critical, None, "", 0),
        ]);
        assert_eq!(out.len(), 4, "{out:#?}");
        let implant = out.iter().find(|x| x.rules.contains(&"proc.exec.hidden-dir".to_string())).unwrap();
        assert_eq!(implant.rules.len(), 3);
        assert_eq!(implant.time, Some(Timestamp::from_unix(1, 0)));
        let accounts = out.iter().find(|x| x.rule == "file.account.uid0").unwrap();
        assert!(accounts.summary.contains("Same fact: file.account.shadow title"), "{}", accounts.summary);
    }

    #[test]
    fn cpu_alone_is_its_own_fact() {
        let out = facts(vec![
            f("stats.cpu-high", Severity::High, None, "", 0),
            f("file.exec.temp", Severity::High, Some("/tmp/x"), "", 0),
        ]);
        assert_eq!(out.len(), 2);
    }
}
