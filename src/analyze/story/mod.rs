//! The story of a bundle, drawn from every observation: one log record however many
//! captures hold it ([`records`]), exploit requests rated by what followed them
//! ([`exploits`], against what the victim runs: [`target`]), one fact per thing that
//! happened ([`fold`]), attacker vs victim for every address ([`hosts`]), the attack chain
//! in time order ([`chain`]) and the verdict per container ([`verdict`]).

pub(crate) mod chain;
mod clocks;
pub(crate) mod exploits;
pub(crate) mod fold;
pub(crate) mod hosts;
mod indicators;
pub(crate) mod records;
pub(crate) mod target;
pub(crate) mod verdict;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyze::attribution::Owners;
use crate::bundle::Evidence;
use crate::evidence::ArtifactKind;
use crate::logscan::{ioc, LogHit};
use crate::model::{
    ContainerRef, Fact, Family, Finding, Locator, Owner, RuleDef, RuleKind, Severity, Timestamp, When,
};
use exploits::{Attempt, AttemptOutcome, Consequence, Group, Kind};
use fold::Observation;
use hosts::{Act, HostRecord, HostRole, Hosts, Victim};
use records::LogRecord;

pub(crate) use chain::ChainStage;
pub(crate) use indicators::Indicator;
pub(crate) use verdict::Verdict;

/// The exploit attempts that did not get in, summed up per container (medium at most).
pub(crate) static ATTEMPTS: RuleDef = RuleDef::new(
    "story.attempts",
    RuleKind::of(Family::Story).with(crate::model::Role::Attempts),
    Severity::Medium,
    "initial-access",
    "T1190",
    "exploit attempts that did not get in",
);

/// The story's own rules' declarations.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    vec![&ATTEMPTS]
}

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

/// The facts and the story of one bundle from its observations. `extra_hits` are the
/// pivot scan's hits (every log line naming a host the processes call back to).
pub(crate) fn tell(
    report: &Evidence,
    owners: &Owners,
    findings: Vec<Finding>,
    extra_hits: &[LogHit],
) -> (Vec<Fact>, Story) {
    let hits = &report.logs.log_hits;
    // An artifact's lines are dated precisely when the last artifact of its path is a
    // json-file or timestamped log: only those paths are mapped (a map of every artifact,
    // a million loose files, was built for a handful of logs).
    let is_precise =
        |k: &ArtifactKind| matches!(k, ArtifactKind::JsonFileLog | ArtifactKind::DockerLogsTimestamped);
    let precise_paths: BTreeSet<&str> =
        report.artifacts.iter().filter(|a| is_precise(&a.kind)).map(|a| a.path.as_str()).collect();
    let kinds: BTreeMap<&str, ArtifactKind> = report
        .artifacts
        .iter()
        .filter(|a| precise_paths.contains(a.path.as_str()))
        .map(|a| (a.path.as_str(), a.kind))
        .collect();
    let precise =
        |l: &Locator| l.members.is_empty() && kinds.get(l.artifact.as_str()).is_some_and(is_precise);
    let records = records::build(hits, &precise);
    let targets = request_targets(hits.iter().chain(extra_hits), &records, hits);
    let mut victim = Victim::from_report(report, &targets);
    // A container whose own logs hold exploit requests relays them (or is their target):
    // its address sending them is no sign it is the attacker's.
    let relaying: Vec<&ContainerRef> = hits
        .iter()
        .filter(|h| h.category == "initial-access" || h.http.is_some())
        .filter_map(|h| owners.of_locator(&h.locator))
        .collect();
    victim.set_relays(
        report
            .containers
            .iter()
            .filter(|c| {
                relaying.iter().any(|r| r.same(&ContainerRef { id: c.id.clone(), name: c.name.clone() }))
            })
            .flat_map(|c| {
                let n = &c.network;
                n.ip_address.iter().chain(n.networks.iter().filter_map(|a| a.ip_address.as_ref())).cloned()
            }),
    );
    let record_owner: Vec<Option<ContainerRef>> =
        records.iter().map(|r| r.locators.iter().find_map(|l| owners.of_locator(l)).cloned()).collect();
    let mut profiles: Vec<(Option<ContainerRef>, target::VictimRuntimes)> = owners
        .containers()
        .map(|c| {
            let mine = |l: &Locator| owners.of_locator(l).is_some_and(|o| o.same(c));
            let me = |x: &crate::ingest::inspect::ContainerInfo| {
                c.same(&ContainerRef { id: x.id.clone(), name: x.name.clone() })
            };
            (Some(c.clone()), target::profile_of(report, &mine, &me))
        })
        .collect();
    profiles.push((None, target::profile_of(report, &|_| true, &|_| true)));
    let consequences = consequences(report, owners, &findings);
    let webshells: Vec<(Option<ContainerRef>, String)> = findings
        .iter()
        .filter(|f| f.kind.role == crate::model::Role::Webshell)
        .filter_map(|f| Some((f.owner.as_ref().and_then(Owner::as_container), f.subject.clone()?)))
        .collect();
    let written = written(report, owners);
    let ctx = exploits::Context {
        targets: &profiles,
        victim: &victim,
        consequences: &consequences,
        webshells: &webshells,
        record_owner: &record_owner,
        written: &written,
    };
    let groups = exploits::rate(&records, hits, &ctx);
    let clocks = clocks::Clocks::new(report, &records, &findings);

    // Observations: the analyzers' findings (log rule findings are rebuilt from records).
    let hit_rules: BTreeSet<String> = hits.iter().map(|h| format!("log.{}", h.rule)).collect();
    let mut host_pivots: Vec<Finding> = vec![];
    let mut scanners: Vec<(String, String, Option<Timestamp>, Vec<Locator>)> = vec![];
    let mut obs: Vec<Observation> = vec![];
    for f in findings {
        let scanner = f.kind.role == crate::model::Role::Scanner;
        if hit_rules.contains(&f.rule) && !scanner {
            continue;
        }
        if scanner {
            if let Some((_, client)) = f.subject.as_deref().and_then(|s| s.split_once('@')) {
                scanners.push((client.to_string(), f.title.clone(), f.time, f.evidence.clone()));
            }
        }
        // A Sigma process rule lists every process it matched: one observation each, so it
        // folds into what else is known of that process.
        if f.kind.family == Family::SigmaProcess {
            for o in per_process(&f, report) {
                let keys = fold::keys(&o, &[]);
                let when = clocks.when_of(&o);
                obs.push(Observation { finding: o, keys, when, outcome: None, rules: vec![] });
            }
            continue;
        }
        if f.kind.role == crate::model::Role::HostPivot {
            host_pivots.push(f);
            continue;
        }
        let keys = fold::keys(&f, &[]);
        let when = clocks.when_of(&f);
        obs.push(Observation { finding: f, keys, when, outcome: None, rules: vec![] });
    }
    let mut attempts = vec![];
    for g in &groups {
        let failed = g.outcome != AttemptOutcome::Succeeded && matches!(g.kind, Kind::Exploit);
        let webshell_miss = g.kind == Kind::WebshellUse && g.outcome == AttemptOutcome::Failed;
        if failed || webshell_miss {
            attempts.push(exploits::attempt(g, &records));
        } else {
            obs.push(group_observation(g, &records, hits));
        }
    }
    // One attempts fact per container whose logs hold them.
    let mut by_owner: BTreeMap<Option<ContainerRef>, Vec<Attempt>> = BTreeMap::new();
    for a in &attempts {
        by_owner.entry(a.owner.clone()).or_default().push(a.clone());
    }
    for (owner, mine) in by_owner {
        if let Some(mut f) = attempts_finding(&mine) {
            f.owner = owner.as_ref().map(Owner::container);
            let rules = mine.iter().map(|a| (a.rule.clone(), a.kind)).collect();
            obs.push(Observation { keys: vec![], when: None, outcome: None, finding: f, rules });
        }
    }
    for o in &mut obs {
        if o.finding.owner.is_none() {
            o.finding.owner = Some(owners.of_finding(&o.finding));
        }
    }
    let facts = fold::fold(obs);

    let hosts = classify_hosts(report, &groups, &records, &facts, &host_pivots, &scanners, &victim, &targets);
    let requests = attacker_requests(hits.iter().chain(extra_hits), &hosts);
    let chain = chain::build_per_owner(&facts, &requests);
    let verdicts = verdict::judge(report, owners, &facts, &chain, &attempts, &hosts);
    let iocs =
        indicators::indicators(report, &hosts, &victim, hits.iter().chain(extra_hits), &facts, &verdicts);
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
fn per_process(f: &Finding, report: &Evidence) -> Vec<Finding> {
    let procs: BTreeMap<&Locator, &crate::ingest::top::Process> =
        report.processes.iter().flat_map(|r| r.capture.processes.iter()).map(|p| (&p.locator, p)).collect();
    let mut out: Vec<Finding> = f
        .evidence
        .iter()
        .filter_map(|l| procs.get(l))
        .map(|p| Finding {
            subject: Some(format!("pid {} {}", p.pid, p.cmd)),
            owner: p.container.as_ref().map(Owner::container),
            iocs: vec![],
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

/// Files the containers wrote themselves: added or changed in an export, a committed layer
/// or a read-write layer (never an image build layer), with their owner.
fn written(report: &Evidence, owners: &Owners) -> Vec<exploits::Written> {
    let images = &report.image.images;
    report
        .image
        .file_changes
        .iter()
        .filter(|c| c.change != crate::image::Change::Deleted)
        .filter(|c| match (c.image(), c.layer()) {
            (Some(i), Some(l)) => images.get(i).is_some_and(|img| img.committed_layers.contains(&l)),
            _ => true,
        })
        .map(|c| exploits::Written {
            owner: owners.of_locator(&c.locator()).cloned(),
            path: c.path(),
            time: c.mtime().or(c.dir_mtime),
            locator: c.locator(),
        })
        .collect()
}

/// Process command lines and process findings (whose summaries carry decoded callbacks).
fn consequences(report: &Evidence, owners: &Owners, findings: &[Finding]) -> Vec<Consequence> {
    let mut out: Vec<Consequence> = report
        .processes
        .iter()
        .flat_map(|r| r.capture.processes.iter())
        .map(|p| Consequence {
            owner: owners.of_locator(&p.locator).cloned(),
            text: p.cmd.clone(),
            what: format!("process {} ({})", p.pid, p.exe),
            started: p.started,
        })
        .collect();
    out.extend(findings.iter().filter(|f| f.kind.family.is_process()).map(|f| Consequence {
        owner: f.owner.as_ref().and_then(Owner::as_container),
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
        actor: None,
        rule: format!("log.{}", g.rule),
        severity,
        category: g.category.clone(),
        title,
        summary,
        attack: g.attack.clone(),
        time,
        evidence,
        subject: None,
        owner: g.owner.as_ref().map(Owner::container),
        iocs: indicators::of_records(&g.records, records, hits),
        kind: crate::logscan::rules::engine_kind(&g.rule),
    };
    // Every rule that matched the group's records is named by the fact.
    let rules = g.rules.iter().map(|r| (format!("log.{r}"), crate::logscan::rules::engine_kind(r))).collect();
    Observation { finding, keys, when: time.map(|t| When::at(t, "log record")), outcome, rules }
}

/// The failed and unconfirmed exploit attempts as one fact (medium at most).
fn attempts_finding(attempts: &[Attempt]) -> Option<Finding> {
    if attempts.is_empty() {
        return None;
    }
    let open = attempts.iter().filter(|a| a.outcome == AttemptOutcome::Unconfirmed).count();
    let sources: BTreeSet<&str> = attempts
        .iter()
        .filter(|a| a.source_role == Some("client"))
        .filter_map(|a| a.source.as_deref())
        .collect();
    let list: Vec<String> = attempts
        .iter()
        .take(8)
        .map(|a| format!("{}{} x{} ({})", a.title, a.origin(), a.requests, a.reason))
        .collect();
    Some(Finding {
        actor: None,
        rule: ATTEMPTS.id.to_string(),
        severity: if open > 0 { Severity::Medium } else { Severity::Low },
        category: ATTEMPTS.category.to_string(),
        title: format!("{} exploit attempt(s) that did not get in", attempts.len()),
        summary: format!(
            "{} group(s) of exploit requests from {} recorded client(s): {} failed, {open} without any sign they worked. {}{}",
            attempts.len(),
            sources.len(),
            attempts.len() - open,
            list.join("; "),
            if attempts.len() > 8 { format!("; and {} more (see attempts)", attempts.len() - 8) } else { String::new() }
        ),
        attack: ATTEMPTS.attack(),
        time: attempts.iter().filter_map(|a| a.first_seen).min(),
        evidence: attempts.iter().filter_map(|a| a.evidence.first().cloned()).take(12).collect(),
        subject: None,
        owner: None,
        iocs: vec![],
        kind: ATTEMPTS.kind,
    })
}

#[allow(clippy::too_many_arguments)]
fn classify_hosts(
    report: &Evidence,
    groups: &[Group],
    records: &[LogRecord],
    facts: &[Fact],
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
            AttemptOutcome::Succeeded => "it succeeded",
            AttemptOutcome::Failed => "it failed",
            AttemptOutcome::Unconfirmed => "no sign it worked",
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
                    h.did(
                        s,
                        match (g.client, g.outcome) {
                            (false, _) => Act::Callback,
                            (true, AttemptOutcome::Succeeded) => Act::SentSucceeded,
                            (true, AttemptOutcome::Unconfirmed) => Act::SentUnconfirmed,
                            (true, AttemptOutcome::Failed) => Act::SentFailed,
                        },
                    );
                }
                for p in &g.payload_hosts {
                    h.note(
                        p,
                        Some(format!("named as callback or download server in {}", g.title)),
                        None,
                        first,
                        &locs,
                    );
                    h.did(p, Act::Payload);
                }
            }
            Kind::Other => {
                let attackerish = ["shell.reverse", "download", "miner"].iter().any(|k| g.rule.contains(k));
                for p in &g.payload_hosts {
                    let what = format!("named by {} in a log", g.title);
                    if attackerish {
                        h.note(p, Some(what), None, first, &locs);
                        h.did(p, if g.rule.contains("shell.reverse") { Act::Callback } else { Act::Payload });
                    } else {
                        h.note(p, None, Some(what), first, &locs);
                    }
                }
            }
        }
    }
    // Facts carrying indicators (process arguments, dropped files' content) name callbacks,
    // payload servers and pools.
    indicators::note_hosts(&mut h, facts);
    for (client, title, time, evidence) in scanners {
        h.note(client, Some(format!("ran {title}")), None, *time, &evidence[..evidence.len().min(3)]);
        h.did(client, Act::Scanned);
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
            h.did(host, Act::Callback);
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
        hosts.iter().filter(|h| h.role == HostRole::Attacker).map(|h| h.value.as_str()).collect();
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
