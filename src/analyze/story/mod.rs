//! The story of a bundle, drawn from every observation: one log record however many
//! captures hold it ([`records`]), exploit requests rated by what followed them
//! ([`exploits`], against what the victim runs: [`target`]), one fact per thing that
//! happened ([`fold`]), attacker vs victim for every address ([`hosts`]), the attack chain
//! in time order ([`chain`]) and the verdict per container ([`verdict`]).

pub mod chain;
pub mod exploits;
pub mod fold;
pub mod hosts;
pub mod records;
pub mod target;
pub mod verdict;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::evidence::ArtifactKind;
use crate::image::{Change, FileChange};
use crate::logscan::{ioc, LogHit};
use crate::model::{Fact, Finding, Locator, Severity, Timestamp, When};
use crate::report::BundleReport;
use exploits::{Attempt, Consequence, Group, Kind, Outcome};
use fold::Observation;
use hosts::{HostRecord, Hosts, Role, Victim};
use records::LogRecord;

pub use chain::ChainStage;
pub use verdict::Verdict;

/// Log records cited per log fact.
const RECORDS_CITED: usize = 12;
/// Characters of a log record quoted in a summary.
const QUOTE: usize = 220;

/// What the story adds to a bundle report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Story {
    pub verdicts: Vec<Verdict>,
    pub chain: Vec<ChainStage>,
    /// Exploit requests that failed or that nothing followed: listed together, never the way in.
    pub attempts: Vec<Attempt>,
    /// Every address and host name, classified.
    pub hosts: Vec<HostRecord>,
    /// Attacker-side indicators only: addresses, host names, URLs, file hashes.
    pub iocs: Vec<Indicator>,
    /// Log records with every capture of each.
    pub log_records: Vec<LogRecord>,
}

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

/// The facts and the story of one bundle from its observations. `extra_hits` are the
/// pivot scan's hits (every log line naming a host the processes call back to).
pub fn tell(report: &BundleReport, findings: Vec<Finding>, extra_hits: &[LogHit]) -> (Vec<Fact>, Story) {
    let hits = &report.logs.log_hits;
    let kinds: BTreeMap<&str, ArtifactKind> =
        report.artifacts.iter().map(|a| (a.path.as_str(), a.kind)).collect();
    let precise = |l: &Locator| {
        l.members.is_empty()
            && matches!(
                kinds.get(l.artifact.as_str()),
                Some(ArtifactKind::JsonFileLog | ArtifactKind::DockerLogsTimestamped)
            )
    };
    let records = records::build(hits, &precise);
    let targets = request_targets(hits.iter().chain(extra_hits), &records, hits);
    let victim = Victim::from_report(report, &targets);
    let target = target::profile(report);
    let consequences = consequences(report, &findings);
    let webshells: Vec<String> = findings
        .iter()
        .filter(|f| f.rule.starts_with("file.webshell"))
        .filter_map(|f| f.subject.clone())
        .collect();
    let ctx = exploits::Context {
        target: &target,
        victim: &victim,
        consequences: &consequences,
        webshells: &webshells,
    };
    let groups = exploits::rate(&records, hits, &ctx);
    let clocks = Clocks::new(report, &records);

    // Observations: the analyzers' findings (log rule findings are rebuilt from records).
    let hit_rules: BTreeSet<String> = hits.iter().map(|h| format!("log.{}", h.rule)).collect();
    // Process and miner observations name callbacks and pools in their own summaries.
    let acting: Vec<Finding> =
        findings.iter().filter(|f| f.rule.starts_with("proc.") || f.rule == "file.miner").cloned().collect();
    let mut host_pivots: Vec<Finding> = vec![];
    let mut scanners: Vec<(String, String, Option<Timestamp>, Vec<Locator>)> = vec![];
    let mut obs: Vec<Observation> = vec![];
    for f in findings {
        if hit_rules.contains(&f.rule) && !f.rule.starts_with("log.scanner.") {
            continue;
        }
        if f.rule.starts_with("log.scanner.") {
            if let Some((_, client)) = f.subject.as_deref().and_then(|s| s.split_once('@')) {
                scanners.push((client.to_string(), f.title.clone(), f.time, f.evidence.clone()));
            }
        }
        // A Sigma process rule lists every process it matched: one observation each, so it
        // folds into what else is known of that process.
        if f.rule.starts_with("proc.sigma.") {
            for o in per_process(&f, report) {
                let keys = fold::keys(&o, &[]);
                let when = clocks.when_of(&o);
                obs.push(Observation { finding: o, keys, when, outcome: None, rules: vec![] });
            }
            continue;
        }
        if f.rule == "correlate.host-in-logs" || f.rule == "correlate.callback-in-process" {
            host_pivots.push(f);
            continue;
        }
        let keys = fold::keys(&f, &[]);
        let when = clocks.when_of(&f);
        obs.push(Observation { finding: f, keys, when, outcome: None, rules: vec![] });
    }
    let mut attempts = vec![];
    for g in &groups {
        let failed = g.outcome != Outcome::Succeeded && matches!(g.kind, Kind::Exploit);
        let webshell_miss = g.kind == Kind::WebshellUse && g.outcome == Outcome::Failed;
        if failed || webshell_miss {
            attempts.push(exploits::attempt(g, &records));
        } else {
            obs.push(group_observation(g, &records, hits));
        }
    }
    if let Some(f) = attempts_finding(&attempts) {
        let rules = attempts.iter().map(|a| a.rule.clone()).collect();
        obs.push(Observation { keys: vec![], when: None, outcome: None, finding: f, rules });
    }
    let facts = fold::fold(obs);

    let hosts =
        classify_hosts(report, &groups, &records, &acting, &host_pivots, &scanners, &victim, &targets);
    let requests = attacker_requests(hits.iter().chain(extra_hits), &hosts);
    let chain = chain::build(&facts, &requests);
    let verdicts = verdict::judge(report, &facts, &chain, &attempts, &hosts);
    let iocs = indicators(report, &hosts, hits.iter().chain(extra_hits), &acting, &facts);
    (facts, Story { verdicts, chain, attempts, hosts, iocs, log_records: records })
}

/// The servers requests were addressed to (`Host`, and `Referer` URLs of the same site):
/// the victim's names. Records carrying an exploit are left out (their headers are the
/// attacker's text: `Referer: ${jndi:dns://attacker/}`).
fn request_targets<'a>(
    all: impl Iterator<Item = &'a LogHit>,
    records: &[LogRecord],
    hits: &[LogHit],
) -> Vec<(String, &'static str)> {
    // Records carrying an exploit: their Referer is the sender's choice.
    let exploit_lines: BTreeSet<&Locator> = records
        .iter()
        .filter(|r| r.hits.iter().any(|&i| hits[i].category == "initial-access"))
        .flat_map(|r| r.locators.iter())
        .collect();
    let clean =
        |s: &str| !s.is_empty() && s != "-" && !s.contains(['$', '{', '}', '<', '>', '\\', ' ', '\'', '"']);
    let all: Vec<&LogHit> = all.collect();
    // The Host a request was addressed to is the victim's, whoever sent it.
    let mut out: Vec<(String, &'static str)> = all
        .iter()
        .filter_map(|h| h.http.as_ref()?.host.as_deref().filter(|s| clean(s)))
        .map(|h| (hosts::bare_host(h), "Host"))
        .collect();
    let named: BTreeSet<String> = out.iter().map(|(h, _)| h.clone()).collect();
    // A Referer too, but an exploit's only when it names a server the requests went to.
    for h in &all {
        let Some(q) = h.http.as_ref() else { continue };
        let Some(r) = q
            .referer
            .as_deref()
            .filter(|s| clean(s) && (s.starts_with("http://") || s.starts_with("https://")))
        else {
            continue;
        };
        let host = hosts::bare_host(r);
        let exploit = exploit_lines.contains(&h.locator) || h.category == "initial-access";
        if !exploit || named.contains(&host) {
            out.push((host, "Referer"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A finding naming several processes (a Sigma process rule), one per process, each with
/// the subject process findings use (`pid N cmd`).
fn per_process(f: &Finding, report: &BundleReport) -> Vec<Finding> {
    let procs: BTreeMap<&Locator, &crate::ingest::top::Process> =
        report.processes.iter().flat_map(|r| r.capture.processes.iter()).map(|p| (&p.locator, p)).collect();
    let mut out: Vec<Finding> = f
        .evidence
        .iter()
        .filter_map(|l| procs.get(l))
        .map(|p| Finding {
            subject: Some(format!("pid {} {}", p.pid, p.cmd)),
            evidence: vec![p.locator.clone()],
            time: p.started,
            ..f.clone()
        })
        .collect();
    if out.is_empty() {
        out.push(f.clone());
    }
    out
}

/// Process command lines and process findings (whose summaries carry decoded callbacks).
fn consequences(report: &BundleReport, findings: &[Finding]) -> Vec<Consequence> {
    let mut out: Vec<Consequence> = report
        .processes
        .iter()
        .flat_map(|r| r.capture.processes.iter())
        .map(|p| Consequence {
            text: p.cmd.clone(),
            what: format!("process {} ({})", p.pid, p.exe),
            started: p.started,
            locator: p.locator.clone(),
        })
        .collect();
    out.extend(findings.iter().filter(|f| f.rule.starts_with("proc.")).map(|f| Consequence {
        text: f.summary.clone(),
        what: format!(
                "process {}",
                f.subject
                    .as_deref()
                    .and_then(|s| s.strip_prefix("pid "))
                    .and_then(|s| s.split(' ').next())
                    .unwrap_or("?")
            ),
        started: f.time,
        locator: f.evidence.last().cloned().unwrap_or_default(),
    }));
    out
}

/// The fact observation of a log group (a succeeded exploit, webshell use, other hits).
fn group_observation(g: &Group, records: &[LogRecord], hits: &[LogHit]) -> Observation {
    let first = g.first(records);
    let last = g.last(records);
    let n = g.records.len();
    let span = match (first, last) {
        (Some(a), Some(b)) if a != b => format!(" between {} and {}", a.to_iso_seconds(), b.to_iso_seconds()),
        (Some(a), _) => format!(" at {}", a.to_iso_seconds()),
        _ => String::new(),
    };
    let from = match (&g.sender, g.client) {
        (Some(s), true) => format!(" from {s}"),
        (Some(s), false) => format!(" with callback to {s}"),
        (None, _) => String::new(),
    };
    let lead_record = g.carrier.unwrap_or(g.records[0]);
    let example = records[lead_record]
        .hits
        .iter()
        .map(|&i| &hits[i])
        .find_map(|h| {
            h.commands.last().map(|c| format!("decoded command: {c}")).or_else(|| h.decoded.clone())
        })
        .unwrap_or_else(|| records[lead_record].excerpt.clone());
    let captures: usize = g.records.iter().map(|&r| records[r].locators.len()).sum();
    let mut summary = format!(
        "{n} log record(s){from}{span} ({captures} capture(s) of them); e.g. {}",
        exploits::clip(&example, QUOTE).trim_end_matches('.')
    );
    if let Some(c) = &g.credit {
        summary.push_str(&format!(" [{c}]"));
    }
    let mut title = g.title.clone();
    let mut outcome = None;
    let mut severity = g.severity;
    let mut keys: Vec<String> = vec![];
    match g.kind {
        Kind::Exploit => {
            title = if g.category == "initial-access" {
                format!("{title}{from} succeeded")
            } else {
                // No exploit class matched: a request carrying a command (an injection).
                format!("Command injected in a request ({title}){from} succeeded")
            };
            summary.push_str(&format!(". It worked: {}.", g.reason));
            outcome = Some("succeeded");
            severity = severity.max(Severity::High);
        }
        Kind::WebshellUse => {
            if let Some(p) = &g.path {
                title = format!("{title}: {p}");
                if let Some(name) = p.rsplit('/').next().filter(|n| n.len() >= 3) {
                    keys.push(format!("webshell-name:{name}"));
                }
            }
            if !g.reason.is_empty() {
                summary.push_str(&format!(" ({})", g.reason));
            }
        }
        Kind::Other => {}
    }
    keys.extend(g.records.iter().map(|r| format!("record:{r}")));
    let mut evidence: Vec<Locator> = records[lead_record].locators.clone();
    for &r in g.records.iter().take(RECORDS_CITED) {
        for l in &records[r].locators {
            if !evidence.contains(l) {
                evidence.push(l.clone());
            }
        }
    }
    let time = records[lead_record].time.or(first);
    let finding = Finding {
        rule: format!("log.{}", g.rule),
        severity,
        category: g.category.clone(),
        title,
        summary,
        attack: g.attack.clone(),
        time,
        evidence,
        subject: None,
    };
    // Every rule that matched the group's records is named by the fact.
    let rules = g.rules.iter().map(|r| format!("log.{r}")).collect();
    Observation { finding, keys, when: time.map(|t| When::at(t, "log record")), outcome, rules }
}

/// The failed and unconfirmed exploit attempts as one fact (medium at most).
fn attempts_finding(attempts: &[Attempt]) -> Option<Finding> {
    if attempts.is_empty() {
        return None;
    }
    let open = attempts.iter().filter(|a| a.outcome == Outcome::Unconfirmed).count();
    let sources: BTreeSet<&str> = attempts.iter().filter_map(|a| a.source.as_deref()).collect();
    let list: Vec<String> = attempts
        .iter()
        .take(8)
        .map(|a| {
            format!("{} from {} x{} ({})", a.title, a.source.as_deref().unwrap_or("?"), a.requests, a.reason)
        })
        .collect();
    Some(Finding {
        rule: "story.attempts".into(),
        severity: if open > 0 { Severity::Medium } else { Severity::Low },
        category: "initial-access".into(),
        title: format!("{} exploit attempt(s) that did not get in", attempts.len()),
        summary: format!(
            "{} group(s) of exploit requests from {} source(s): {} failed, {open} without any sign they worked. {}{}",
            attempts.len(),
            sources.len(),
            attempts.len() - open,
            list.join("; "),
            if attempts.len() > 8 { format!("; and {} more (see attempts)", attempts.len() - 8) } else { String::new() }
        ),
        attack: Some("T1190".into()),
        time: attempts.iter().filter_map(|a| a.first_seen).min(),
        evidence: attempts.iter().filter_map(|a| a.evidence.first().cloned()).take(12).collect(),
        subject: None,
    })
}

#[allow(clippy::too_many_arguments)]
fn classify_hosts(
    report: &BundleReport,
    groups: &[Group],
    records: &[LogRecord],
    acting: &[Finding],
    pivots: &[Finding],
    scanners: &[(String, String, Option<Timestamp>, Vec<Locator>)],
    victim: &Victim,
    targets: &[(String, &'static str)],
) -> Vec<HostRecord> {
    let mut h = Hosts::default();
    for g in groups {
        let locs = g.locators(records);
        let (first, last) = (g.first(records), g.last(records));
        let outcome = match g.outcome {
            Outcome::Succeeded => "it succeeded",
            Outcome::Failed => "it failed",
            Outcome::Unconfirmed => "no sign it worked",
        };
        match g.kind {
            Kind::Exploit | Kind::WebshellUse => {
                if let Some(s) = &g.sender {
                    let what = match (g.kind, g.client) {
                        (Kind::Exploit, true) => "sent",
                        (Kind::Exploit, false) => "is the callback of",
                        _ => "sent webshell requests:",
                    };
                    h.note(s, Some(format!("{what} {} ({outcome})", g.title)), None, first, &locs);
                    h.note(s, None, None, last, &[]);
                }
                for p in &g.payload_hosts {
                    h.note(
                        p,
                        Some(format!("named as callback or download server in {}", g.title)),
                        None,
                        first,
                        &locs,
                    );
                }
            }
            Kind::Other => {
                let attackerish = ["shell.reverse", "download", "miner"].iter().any(|k| g.rule.contains(k));
                for p in &g.payload_hosts {
                    let what = format!("named by {} in a log", g.title);
                    if attackerish {
                        h.note(p, Some(what), None, first, &locs);
                    } else {
                        h.note(p, None, Some(what), first, &locs);
                    }
                }
            }
        }
    }
    for f in acting {
        let does = ["revshell", "download", "miner", "server-shell-net"].iter().any(|k| f.rule.contains(k));
        for i in ioc::extract(f.summary.as_bytes(), &f.summary, None, &[]) {
            if matches!(i.kind, ioc::IocKind::Ip | ioc::IocKind::Domain | ioc::IocKind::Url) {
                let what = format!(
                    "named by {} ({})",
                    f.title,
                    if f.rule.contains("miner") { "mining pool or payload server" } else { "callback" }
                );
                if does {
                    h.note(&i.value, Some(what), None, f.time, &f.evidence[..f.evidence.len().min(2)]);
                } else {
                    h.note(&i.value, None, Some(what), f.time, &[]);
                }
            }
        }
    }
    for (client, title, time, evidence) in scanners {
        h.note(client, Some(format!("ran {title}")), None, *time, &evidence[..evidence.len().min(3)]);
    }
    for p in pivots {
        if let Some(host) = &p.subject {
            h.note(
                host,
                Some("called back to by the container's processes; its own requests are in the logs".into()),
                None,
                p.time,
                &p.evidence,
            );
        }
    }
    for i in report.logs.iocs.iter().filter(|i| matches!(i.kind, ioc::IocKind::Ip | ioc::IocKind::Domain)) {
        let roles: Vec<&str> = i.roles.iter().copied().collect();
        h.note(
            &i.value,
            None,
            Some(format!("in {} log record(s) ({})", i.count, roles.join(", "))),
            i.first_seen,
            &i.locators[..i.locators.len().min(3)],
        );
        h.note(&i.value, None, None, i.last_seen, &[]);
    }
    for (t, field) in targets {
        h.note(t, None, Some(format!("named in {field}")), None, &[]);
    }
    h.classify(victim)
}

/// Requests from attacker-side clients, for citing the carrier of an unlogged injection.
fn attacker_requests<'a>(
    hits: impl Iterator<Item = &'a LogHit>,
    hosts: &[HostRecord],
) -> Vec<chain::Request> {
    let attackers: BTreeSet<&str> =
        hosts.iter().filter(|h| h.role == Role::Attacker).map(|h| h.value.as_str()).collect();
    let mut out: Vec<chain::Request> = hits
        .filter_map(|h| {
            let q = h.http.as_ref()?;
            let client = q.client.as_deref().filter(|c| attackers.contains(c))?;
            let line = format!("{} {}", q.method.as_deref().unwrap_or("?"), q.path.as_deref().unwrap_or("?"));
            let status = q.status.map(|s| format!(" -> {s}")).unwrap_or_default();
            Some(chain::Request {
                client: client.to_string(),
                time: h.time?,
                line: format!("{line}{status}"),
                locator: h.locator.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.time, &a.locator).cmp(&(b.time, &b.locator)));
    out.dedup_by(|a, b| a.time == b.time && a.line == b.line && a.client == b.client);
    out
}

/// Attacker-side hosts, their URLs, and the hashes of files the attacker left.
fn indicators<'a>(
    report: &BundleReport,
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

/// The times the evidence gives each observation.
struct Clocks<'a> {
    /// The container's changes (export or committed layers) and image layer changes, by path; last wins.
    changes: BTreeMap<&'a str, &'a FileChange>,
    /// (image, layer) of the layers `docker commit` added.
    committed: BTreeSet<(usize, usize)>,
    started: Option<Timestamp>,
    /// The day `ps` STIME `HH:MM` columns refer to (the last dated log record's).
    day: Option<Timestamp>,
    procs: BTreeMap<u32, &'a crate::ingest::top::Process>,
}

impl<'a> Clocks<'a> {
    fn new(report: &'a BundleReport, records: &[LogRecord]) -> Self {
        let mut changes = BTreeMap::new();
        for c in &report.image.file_changes {
            // A whiteout's own time beats an export's unknown one for the same deletion.
            if changes
                .get(c.path.as_str())
                .is_some_and(|p: &&FileChange| p.deleted_at.is_some() && c.deleted_at.is_none())
            {
                continue;
            }
            changes.insert(c.path.as_str(), c);
        }
        let started = report.containers.iter().filter_map(|c| c.state.started_at.or(c.created)).min();
        let day = records.iter().filter_map(|r| r.time).max().map(|t| t.day_start());
        let procs =
            report.processes.iter().flat_map(|r| r.capture.processes.iter()).map(|p| (p.pid, p)).collect();
        let committed = report
            .image
            .images
            .iter()
            .flat_map(|i| i.committed_layers.iter().map(move |&l| (i.index, l)))
            .collect();
        Clocks { changes, committed, started, day, procs }
    }

    fn when_of(&self, f: &Finding) -> Option<When> {
        let subject = f.subject.as_deref().unwrap_or("");
        if f.rule.starts_with("proc.") {
            let pid: u32 = subject.strip_prefix("pid ")?.split(' ').next()?.parse().ok()?;
            let p = self.procs.get(&pid)?;
            if let Some(t) = p.started {
                // ps derives starts from the boot time, truncated to seconds: up to two
                // seconds early.
                return Some(When {
                    time: None,
                    not_before: Some(t),
                    not_after: Some(t.plus_secs(2)),
                    basis: "process start: ps lstart, to the second (host local time read as UTC)".into(),
                });
            }
            let start = p.start.as_deref()?;
            let (h, m) = start.split_once(':')?;
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            let Some(day) = self.day else {
                return Some(When::unknown(format!(
                    "process start: ps STIME {start}, the day is not in the evidence"
                )));
            };
            let from = day.plus_secs(h * 3600 + m * 60);
            return Some(When {
                time: None,
                not_before: Some(from),
                not_after: Some(from.plus_secs(59)),
                basis: format!("process start: ps STIME {start}, the day of the last log record"),
            });
        }
        if f.rule.starts_with("file.") && subject.starts_with('/') {
            let c = self.changes.get(subject)?;
            return Some(self.file_when(c));
        }
        if f.rule.starts_with("correlate.") || f.rule.starts_with("log.") {
            return f.time.map(|t| When::at(t, "log record"));
        }
        None
    }

    fn file_when(&self, c: &FileChange) -> When {
        let dir = c.dir_mtime.filter(|t| self.started.is_none_or_before_eq(*t));
        if c.change == Change::Deleted {
            if let Some(t) = c.deleted_at {
                return When::at(t, "whiteout mtime (the time of the deletion)");
            }
            return When {
                time: None,
                not_before: self.started,
                not_after: dir,
                basis: if dir.is_some() {
                    "deletion time unknown: after the container started, at or before its directory's mtime"
                        .into()
                } else {
                    "deletion time unknown: after the container started, before the capture".into()
                },
            };
        }
        match c.mtime {
            // The container wrote it, yet it claims to be older than the container.
            Some(m) if self.container_change(c) && self.started.is_some_and(|s| m < s) => When {
                time: None,
                not_before: self.started,
                not_after: dir,
                basis: format!(
                    "file mtime {} is older than the container: forged; written after the container started{}",
                    m.to_iso_seconds(),
                    if dir.is_some() { ", at or before its directory's mtime" } else { "" }
                ),
            },
            Some(m) => When::at(m, "file mtime (set by whoever wrote the file)"),
            None => When::unknown("no mtime"),
        }
    }

    /// The container's own change: from the export, or from a layer `docker commit` added.
    fn container_change(&self, c: &FileChange) -> bool {
        c.source == "export"
            || matches!((c.image, c.layer), (Some(i), Some(l)) if self.committed.contains(&(i, l)))
    }
}

trait OptionalFloor {
    fn is_none_or_before_eq(&self, t: Timestamp) -> bool;
}

impl OptionalFloor for Option<Timestamp> {
    fn is_none_or_before_eq(&self, t: Timestamp) -> bool {
        self.map_or(true, |s| s <= t)
    }
}
