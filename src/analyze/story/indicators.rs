//! Attacker-side indicators from typed observations: the hosts the story classified as the
//! attacker's; every URL, `host:port` endpoint, wallet and SSH key that log hits, facts
//! (process command lines, the content of dropped files) or an attacker-side container's own
//! configuration carry; and the SHA-256 and path of every file a fact says the attacker left.
//! Each has its role (one word), every role it played, what it did, first and last seen and
//! proof. Never the victim's own addresses, loopback or well-known third parties: the host
//! classification decides for every indicator that names a host.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::hosts::{self, Act, HostRecord, HostRole, Hosts, Victim};
use super::verdict::Verdict;
use crate::bundle::Evidence;
use crate::image::{Change, FileChange};
use crate::logscan::LogHit;
use crate::model::{role, Fact, Family, Finding, IocKind, IocRef, Locator, Severity, Timestamp};

/// Proof locators kept per indicator.
const EVIDENCE: usize = 10;
/// Reasons kept per indicator.
const REASONS: usize = 4;

/// An attacker-side indicator.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Indicator {
    /// `ip`, `domain`, `url`, `endpoint` (`host:port`), `wallet`, `ssh-key` or `sha256`.
    #[serde(rename = "type")]
    pub kind: IocKind,
    pub value: String,
    /// The role it is listed under, one word: `callback`, `payload-server`, `mining-pool`,
    /// `request-source`, `ssh-key`, `wallet`, `dropped-file`.
    pub role: &'static str,
    /// Every role it played, sorted.
    pub roles: Vec<&'static str>,
    /// What it did, in words (the host classification's reasons, what named it).
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    pub evidence: Vec<Locator>,
}

/// Whether a finding is something the attacker did (a process, a dropped file, persistence,
/// a callback), so that the hosts its indicators name in an active role are theirs. Exposure,
/// integrity, reconnaissance and vulnerable components are not.
pub(super) fn attacker_action(f: &Finding) -> bool {
    f.severity >= Severity::Medium
        && !matches!(
            f.category.as_str(),
            "exposure" | "integrity" | "configuration" | "reconnaissance" | "discovery"
        )
        && f.kind.role != crate::model::Role::Log4j
        && f.kind.family != Family::Story
}

/// The host an indicator names, when it names one.
fn host_of(r: &IocRef) -> Option<String> {
    match r.kind {
        IocKind::Ip | IocKind::Domain => Some(r.value.clone()),
        IocKind::Url | IocKind::Endpoint => Some(hosts::bare_host(&r.value)),
        _ => None,
    }
}

/// When a fact is certainly seen: its time, else the end of its bounds (a file whose mtime
/// is forged existed by its directory's mtime), else their start.
fn seen_at(f: &Fact) -> Option<Timestamp> {
    match &f.when {
        Some(w) => w.time.or(w.not_after).or(w.not_before),
        None => f.time,
    }
}

/// Note the hosts the facts' indicators name: attacker-side when an attacker action names
/// them as its callback, payload server or pool; seen otherwise. Log facts are left to the
/// exploit groups, which rate each request by what followed.
pub(super) fn note_hosts(h: &mut Hosts, facts: &[Fact]) {
    for f in facts.iter().filter(|f| !f.kinds.iter().all(|k| k.family.is_log() || k.family == Family::Story))
    {
        let acts = attacker_action(f);
        let proof = &f.evidence[..f.evidence.len().min(2)];
        for r in &f.iocs {
            let Some(host) = host_of(r) else { continue };
            let what = format!("named by {} ({})", f.title, r.role);
            // The client of an API request that exec'ed into a pod sent the way in.
            let way_in_client =
                r.role == role::API_CLIENT && f.kinds.iter().any(|k| k.role == crate::model::Role::PodExec);
            if acts && way_in_client {
                h.note(&host, Some(what), None, seen_at(f), proof);
                h.did(&host, Act::SentSucceeded);
            } else if acts && role::is_active(r.role) {
                h.note(&host, Some(what), None, seen_at(f), proof);
                // What the plan blocks: a callback, else a payload server or pool.
                h.did(&host, if r.role == role::CALLBACK { Act::Callback } else { Act::Payload });
            } else {
                h.note(&host, None, Some(what), seen_at(f), &[]);
            }
        }
    }
}

/// The indicators of a group of log records' hits, for the fact the group becomes.
pub(super) fn of_records(
    records: &[usize],
    all: &[super::records::LogRecord],
    hits: &[LogHit],
) -> Vec<IocRef> {
    let refs = records
        .iter()
        .filter_map(|&r| all.get(r))
        .flat_map(|r| r.hits.iter())
        .filter_map(|&i| hits.get(i))
        .flat_map(|h| h.refs.iter().cloned())
        .filter(|r| r.kind != IocKind::Port)
        .collect();
    crate::logscan::ioc::tidy(refs)
}

/// One indicator as it is gathered.
#[derive(Default)]
struct Acc {
    roles: BTreeSet<&'static str>,
    /// Titles of the log hits carrying it.
    logged: Vec<String>,
    reasons: Vec<String>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    evidence: Vec<Locator>,
    path: Option<String>,
}

impl Acc {
    /// Seen in a log hit of rule `title`.
    fn logged(&mut self, role: &'static str, title: &str, time: Option<Timestamp>, at: &Locator) {
        if self.logged.len() < REASONS && !self.logged.iter().any(|t| t == title) {
            self.logged.push(title.to_string());
        }
        self.seen(role, String::new(), time, &[at]);
    }

    /// In words: the log rules that saw it, then the rest.
    fn reason(&self) -> String {
        let mut parts = vec![];
        if !self.logged.is_empty() {
            parts.push(format!("in log records ({})", self.logged.join("; ")));
        }
        parts.extend(self.reasons.iter().cloned());
        parts.join("; ")
    }

    fn seen(&mut self, role: &'static str, reason: String, time: Option<Timestamp>, at: &[&Locator]) {
        self.roles.insert(role);
        if !reason.is_empty() && self.reasons.len() < REASONS && !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
        if let Some(t) = time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        for l in at {
            if self.evidence.len() < EVIDENCE && !self.evidence.contains(l) {
                self.evidence.push((*l).clone());
            }
        }
    }
}

/// Attacker-side hosts, their URLs and endpoints, wallets, SSH keys, and the hashes of files
/// the attacker left.
pub(super) fn indicators<'a>(
    report: &Evidence,
    hosts: &[HostRecord],
    victim: &Victim,
    hits: impl Iterator<Item = &'a LogHit>,
    facts: &[Fact],
    verdicts: &[Verdict],
) -> Vec<Indicator> {
    let attackers: BTreeMap<&str, &HostRecord> =
        hosts.iter().filter(|h| h.role == HostRole::Attacker).map(|h| (h.value.as_str(), h)).collect();
    let attacker = |r: &IocRef| host_of(r).is_some_and(|h| attackers.contains_key(h.as_str()));
    let mut acc: BTreeMap<(IocKind, String), Acc> = BTreeMap::new();
    // Roles the attacker's hosts played, from every typed observation of them.
    let mut host_roles: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let mut host_role = |r: &IocRef, role: &'static str| {
        if let Some(h) = host_of(r).filter(|h| attackers.contains_key(h.as_str())) {
            if role != role::MENTIONED {
                host_roles.entry(h).or_default().insert(role);
            }
        }
    };

    for h in hits {
        if let Some(c) = h.http.as_ref().and_then(|q| q.client.as_deref()) {
            if let Some((kind, value)) = crate::logscan::ioc::normal_host(c) {
                host_role(&IocRef { kind, value, role: role::REQUEST_SOURCE }, role::REQUEST_SOURCE);
            }
        }
        for r in &h.refs {
            host_role(r, r.role);
            let keep = match r.kind {
                IocKind::Url | IocKind::Endpoint => attacker(r),
                IocKind::Wallet | IocKind::SshKey => true,
                _ => false,
            };
            if keep {
                // The pivot pass's hits are log lines naming a host the processes reached.
                let title = if crate::logscan::rules::engine_kind(&h.rule).role == crate::model::Role::Pivot {
                    "naming the attacker's host"
                } else {
                    &h.title
                };
                acc.entry((r.kind, r.value.clone())).or_default().logged(r.role, title, h.time, &h.locator);
            }
        }
    }

    let sources = crate::analyze::iocs::by_source(report);
    for f in facts {
        let acts = attacker_action(f);
        for r in &f.iocs {
            host_role(r, r.role);
            let keep = match r.kind {
                IocKind::Url | IocKind::Endpoint => attacker(r),
                IocKind::Wallet | IocKind::SshKey => acts,
                _ => false,
            };
            if !keep {
                continue;
            }
            // Proof: the process rows and files of the fact that carry it, else the fact's own.
            let mut at: Vec<&Locator> = f
                .evidence
                .iter()
                .filter(|l| {
                    sources.get(*l).is_some_and(|v| v.iter().any(|x| x.kind == r.kind && x.value == r.value))
                })
                .collect();
            if at.is_empty() {
                at = f.evidence.iter().take(2).collect();
            }
            let time = seen_at(f);
            acc.entry((r.kind, r.value.clone())).or_default().seen(
                r.role,
                format!("named by {}", f.title),
                time,
                &at,
            );
        }
    }

    // Containers the attacker set up: their own (attacker-side), or one whose command or
    // environment names an attacker host as its callback, payload server or pool. What else
    // that configuration connects to is theirs too (never the victim's, loopback or a third
    // party), proven by the configuration.
    for c in &report.containers {
        let refs = crate::analyze::iocs::of_config(c);
        let own = verdicts.iter().any(|v| {
            v.status == "attacker-side"
                && (v.id.as_deref().is_some_and(|id| !id.is_empty() && c.id == id)
                    || v.container.as_deref().is_some_and(|n| n == c.name.trim_start_matches('/')))
        });
        let names_attacker = refs.iter().any(|r| role::is_active(r.role) && attacker(r));
        if !(own || names_attacker) {
            continue;
        }
        let why = if own {
            format!("in the configuration of attacker-side container {}", c.name.trim_start_matches('/'))
        } else {
            format!(
                "in the command of container {}, which calls the attacker's hosts",
                c.name.trim_start_matches('/')
            )
        };
        for r in refs {
            let theirs = match host_of(&r) {
                Some(h) => {
                    attackers.contains_key(h.as_str())
                        || (role::is_active(r.role)
                            && victim.why(&h).is_none()
                            && hosts::third_party(&h).is_none())
                }
                None => matches!(r.kind, IocKind::Wallet | IocKind::SshKey),
            };
            if theirs && r.kind != IocKind::Port {
                acc.entry((r.kind, r.value.clone())).or_default().seen(
                    r.role,
                    why.clone(),
                    None,
                    &[&c.locator],
                );
            }
        }
    }

    // The attacker's hosts, with the roles they played.
    for h in attackers.values() {
        let kind = if h.kind == "ip" { IocKind::Ip } else { IocKind::Domain };
        let e = acc.entry((kind, h.value.clone())).or_default();
        let mut roles = host_roles.remove(&h.value).unwrap_or_default();
        if roles.is_empty() {
            let sent = h.reasons.iter().any(|r| r.starts_with("sent") || r.starts_with("ran "));
            roles.insert(if sent { role::REQUEST_SOURCE } else { role::CALLBACK });
        }
        e.roles.extend(roles);
        e.reasons = h.reasons.clone();
        e.first = h.first_seen.or(e.first);
        e.last = h.last_seen.or(e.last);
        let before = std::mem::replace(&mut e.evidence, h.evidence.clone());
        for l in before {
            if e.evidence.len() < EVIDENCE && !e.evidence.contains(&l) {
                e.evidence.push(l);
            }
        }
    }

    for (sha, path, title, time, loc) in dropped_files(report, facts) {
        let e = acc.entry((IocKind::Sha256, sha)).or_default();
        e.seen(role::DROPPED_FILE, title, time, &[&loc]);
        e.path.get_or_insert(path);
    }

    let mut out: Vec<Indicator> = acc
        .into_iter()
        .map(|((kind, value), a)| {
            let reason = a.reason();
            let mut roles: Vec<&'static str> = a.roles.into_iter().collect();
            // Named somewhere and doing something elsewhere: what it did is its role.
            if roles.len() > 1 {
                roles.retain(|r| *r != role::MENTIONED);
            }
            Indicator {
                kind,
                value,
                role: roles.iter().copied().min_by_key(|r| (role::rank(r), *r)).unwrap_or(role::MENTIONED),
                roles,
                reason,
                path: a.path,
                first_seen: a.first,
                last_seen: a.last,
                evidence: a.evidence,
            }
        })
        .collect();
    out.sort();
    out
}

/// Files the attacker left: `(sha256, path, what the fact says it is, when, where)` of the
/// added or changed files that a high or critical file fact names (never a deleted file's,
/// never the vulnerable component or the account files the victim owns).
type Dropped = (String, String, String, Option<Timestamp>, Locator);

fn dropped_files(report: &Evidence, facts: &[Fact]) -> BTreeSet<Dropped> {
    // Every file each fact's proof names (a miner and its dropper are one fact).
    let named: Vec<(&Fact, BTreeSet<&str>)> = facts
        .iter()
        .filter(|f| f.severity >= Severity::High && f.kinds.iter().any(|k| k.family == Family::File))
        .filter(|f| {
            !f.kinds.iter().any(|k| matches!(k.role, crate::model::Role::Log4j | crate::model::Role::Account))
        })
        .map(|f| {
            let paths = f
                .subject
                .iter()
                .map(String::as_str)
                .chain(f.evidence.iter().filter_map(|l| l.members.last().map(String::as_str)))
                .filter(|p| p.starts_with('/'))
                .collect();
            (f, paths)
        })
        .collect();
    // The last change of each named path (a map of every changed file would hold a million
    // entries for a million-file image).
    let wanted = crate::image::ShownPaths::new(named.iter().flat_map(|(_, p)| p.iter().copied()));
    let mut last: BTreeMap<String, &FileChange> = BTreeMap::new();
    for c in report.image.file_changes.iter().filter(|c| wanted.contains(c)) {
        last.insert(c.path(), c);
    }
    let mut files = BTreeSet::new();
    for (f, paths) in named {
        for path in paths {
            let Some(c) = last.get(path).filter(|c| c.change != Change::Deleted) else { continue };
            if let Some(sha) = c.sha256() {
                files.insert((sha.to_string(), path.to_string(), f.title.clone(), seen_at(f), c.locator()));
            }
        }
    }
    files
}
