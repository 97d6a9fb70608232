//! The verdict per container: compromised, suspicious or no sign, with the reason and what
//! the responder needs first (the way in, the attacker's addresses, live sessions,
//! persistence to remove, escape paths open, secrets to rotate), each with its proof.

use serde::Serialize;

use super::chain::ChainStage;
use super::exploits::{Attempt, AttemptOutcome};
use super::hosts::{HostRecord, HostRole};
use crate::analyze::attribution::Owners;
use crate::bundle::{ArtifactRecord, Evidence};
use crate::evidence::ArtifactKind;
use crate::ingest::inspect::ContainerInfo;
use crate::model::{ContainerRef, Fact, Family, Locator, Owner, Role as StoryRole, Severity};

/// Facts named per verdict reason.
const REASONS: usize = 3;

/// One container's verdict (or the bundle's, when it names no container).
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `compromised`, `suspicious`, `no sign`, `inconclusive` (nothing read to judge on) or
    /// `attacker-side` (the attacker's own container: it sent the traffic or took the shell).
    pub status: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub way_in: Option<String>,
    pub attackers: Vec<String>,
    pub live_sessions: Vec<String>,
    pub persistence: Vec<String>,
    pub escape_paths: Vec<String>,
    pub secrets: Vec<String>,
    /// Cluster identities whose credentials the container holds (service-account tokens in
    /// its pod's volumes): how far into the cluster its compromise reaches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<String>,
    pub proof: Vec<Locator>,
}

/// Facts that show the attacker acted inside (not exposure, not a vulnerable component).
fn is_compromise(f: &Fact) -> bool {
    const ACTS: &[&str] = &[
        "execution",
        "persistence",
        "command-and-control",
        "impact",
        "defense-evasion",
        "credential-access",
        "privilege-escalation",
    ];
    if f.severity < Severity::High || matches!(f.kind.family, Family::Exposure | Family::Stats) {
        return false;
    }
    if f.outcome == Some("succeeded") {
        return true;
    }
    // A command in a log line is text the application wrote (a parameter it logged, an error
    // it echoed), not proof that it ran; only what a log shows running is: a miner's own
    // output, the JVM loading a class a JNDI lookup fetched. Processes and files prove it.
    let only_logs = f.kinds.iter().all(|k| k.family.is_log());
    if only_logs {
        return f.category == "impact" || f.rules.iter().any(|r| r == "log.log4j.jndi-class-loaded");
    }
    ACTS.contains(&f.category.as_str())
}

fn is_suspicious(f: &Fact) -> bool {
    f.severity >= Severity::Medium && f.kind.family != Family::Exposure && f.kind.role != StoryRole::Attempts
}

/// Whether an artifact was read as evidence of something (not empty, a link, a device,
/// unrecognised or ctriage's own output); a recognised file cut short was read up to its cut.
fn is_read(a: &ArtifactRecord) -> bool {
    !matches!(
        a.kind,
        ArtifactKind::Empty
            | ArtifactKind::Link
            | ArtifactKind::Special
            | ArtifactKind::Unknown
            | ArtifactKind::CtriageReport
    )
}

/// Verdicts for the bundle: one per container, each judged on the facts attributed to it
/// (typed owners, see [`crate::analyze::attribution`]); facts tied to no container get a
/// verdict of the bundle's own, so a compromise is never hidden behind per-container "no
/// sign". Nothing read is never "no sign": a bundle with no readable evidence, or a
/// container of which only the configuration was read, is `inconclusive`.
pub(crate) fn judge(
    report: &Evidence,
    owners: &Owners,
    facts: &[Fact],
    chain: &[ChainStage],
    attempts: &[Attempt],
    hosts: &[HostRecord],
) -> Vec<Verdict> {
    let read: Vec<&ArtifactRecord> = report.artifacts.iter().filter(|a| is_read(a)).collect();
    let owner_of = |f: &Fact| f.owner.as_ref().and_then(Owner::as_container);
    // Every container known, and any a fact names that no record describes (a stats row).
    let mut known: Vec<ContainerRef> = owners.containers().cloned().collect();
    for c in facts.iter().filter_map(owner_of) {
        if !known.iter().any(|k| k.same(&c)) {
            known.push(c);
        }
    }
    let mut out = vec![];
    for c in &known {
        let info = report
            .containers
            .iter()
            .find(|x| c.same(&ContainerRef { id: x.id.clone(), name: x.name.clone() }));
        let mine: Vec<&Fact> = facts.iter().filter(|f| owner_of(f).is_some_and(|o| o.same(c))).collect();
        let stages: Vec<ChainStage> =
            chain.iter().filter(|s| s.container.as_deref() == Some(c.handle())).cloned().collect();
        let tried: Vec<Attempt> =
            attempts.iter().filter(|a| a.owner.as_ref().is_some_and(|o| o.same(c))).cloned().collect();
        // What was read of it besides its configuration: logs, files, processes, stats.
        let evidence = read
            .iter()
            .filter(|a| a.kind != ArtifactKind::Inspect)
            .filter(|a| owners.of_locator(&Locator::artifact(a.path.as_str())).is_some_and(|o| o.same(c)))
            .count()
            + report
                .image
                .file_changes
                .iter()
                .filter(|x| owners.of_locator(&x.locator()).is_some_and(|o| o.same(c)))
                .count()
            // Processes a source says ran in it (sensor exports, syscall captures).
            + report
                .processes
                .iter()
                .flat_map(|r| r.capture.processes.iter())
                .filter(|p| p.container.as_ref().is_some_and(|o| o.same(c)))
                .count();
        let mut v = one(
            Some(c.handle().to_string()),
            (!c.id.is_empty()).then(|| c.id.clone()),
            info.is_some_and(|i| i.state.running),
            &mine,
            &stages,
            &tried,
            hosts,
        );
        if let Some(why) = attacker_side(c, info, &mine, chain, hosts) {
            v.status = "attacker-side";
            v.reason = why;
            v.way_in = None;
        } else if v.status == "no sign" && evidence == 0 {
            v.status = "inconclusive";
            v.reason = "only its configuration was read: no logs, files or processes of it, so no judgement on what happened inside".into();
        }
        out.push(v);
    }
    let rest: Vec<&Fact> = facts.iter().filter(|f| owner_of(f).is_none()).collect();
    let rest_chain: Vec<ChainStage> = chain.iter().filter(|s| s.container.is_none()).cloned().collect();
    let rest_attempts: Vec<Attempt> = attempts.iter().filter(|a| a.owner.is_none()).cloned().collect();
    let mut bundle = one(None, None, false, &rest, &rest_chain, &rest_attempts, hosts);
    if read.is_empty() && bundle.status == "no sign" {
        bundle.status = "inconclusive";
        bundle.reason = if report.artifacts.is_empty() {
            "nothing to read: the bundle holds no files".into()
        } else {
            format!(
                "nothing could be read as evidence: {} file(s), none recognised or readable (see artifacts and diagnostics)",
                report.artifacts.len()
            )
        };
    }
    if known.is_empty() || bundle.status != "no sign" {
        if let Some(why) = rest.iter().find_map(|f| match &f.owner {
            Some(Owner::Bundle { why }) if !why.is_empty() && !known.is_empty() => Some(why.clone()),
            _ => None,
        }) {
            bundle.reason.push_str(&format!(" (tied to no single container: {why})"));
        }
        out.push(bundle);
    }
    out
}

/// Why a container is the attacker's end rather than a victim: its address sent exploit
/// requests or is the callback the others reached, or its own output is the shell session a
/// victim's way in opened (the listener of a reverse shell), while nothing shows it attacked.
fn attacker_side(
    c: &ContainerRef,
    info: Option<&ContainerInfo>,
    mine: &[&Fact],
    chain: &[ChainStage],
    hosts: &[HostRecord],
) -> Option<String> {
    let own_way_in = chain.iter().any(|s| s.stage == "way in" && s.container.as_deref() == Some(c.handle()));
    if own_way_in || mine.iter().any(|f| f.kind.family == Family::File || f.kind.family.is_process()) {
        return None;
    }
    let ips: Vec<&str> = info
        .into_iter()
        .flat_map(|i| {
            i.network.ip_address.iter().chain(i.network.networks.iter().filter_map(|n| n.ip_address.as_ref()))
        })
        .map(String::as_str)
        .filter(|ip| !ip.is_empty())
        .collect();
    if let Some(h) = hosts.iter().find(|h| h.role == HostRole::Attacker && ips.contains(&h.value.as_str())) {
        return Some(format!(
            "attacker-side: its address {} is the attacker's ({}); nothing shows it was attacked itself",
            h.value,
            h.reasons.join("; ")
        ));
    }
    let banner = mine.iter().find(|f| f.rules.iter().any(|r| r == "log.shell.session-banner"))?;
    let t = banner.when.as_ref().and_then(|w| w.key())?;
    let victim = chain
        .iter()
        .filter(|s| s.stage == "way in" && s.container.is_some())
        .find(|s| s.when.key().is_some_and(|w| (t.unix_secs() - w.unix_secs()).abs() <= 600))?;
    Some(format!(
        "attacker-side: its own output is a shell session without a terminal at {} ({}), {} after {}'s way in \
         ({}): it is the listener that shell reached, not a victim",
        t.to_iso_seconds(),
        banner.evidence.first().map(|l| l.to_string()).unwrap_or_default(),
        match victim.when.key() {
            Some(w) if t >= w => format!("{} s", t.unix_secs() - w.unix_secs()),
            _ => "just".into(),
        },
        victim.container.as_deref().unwrap_or("?"),
        victim.title
    ))
}

#[allow(clippy::too_many_arguments)]
fn one(
    container: Option<String>,
    id: Option<String>,
    running: bool,
    facts: &[&Fact],
    chain: &[ChainStage],
    attempts: &[Attempt],
    hosts: &[HostRecord],
) -> Verdict {
    let compromise: Vec<&&Fact> = facts.iter().filter(|f| is_compromise(f)).collect();
    let suspicious: Vec<&&Fact> = facts.iter().filter(|f| is_suspicious(f)).collect();
    let open_attempts: Vec<&Attempt> =
        attempts.iter().filter(|a| a.outcome == AttemptOutcome::Unconfirmed).collect();
    let list = |v: &[&&Fact]| v.iter().take(REASONS).map(|f| f.title.clone()).collect::<Vec<_>>().join("; ");
    let (status, reason, proof): (&'static str, String, Vec<Locator>) = if !compromise.is_empty() {
        let more = compromise.len().saturating_sub(REASONS);
        let tail = if more > 0 { format!(" (and {more} more facts)") } else { String::new() };
        (
            "compromised",
            format!("the attacker acted inside: {}{tail}", list(&compromise)),
            dedup(compromise.iter().filter_map(|f| f.evidence.first().cloned())),
        )
    } else if !suspicious.is_empty() || !open_attempts.is_empty() {
        let mut why: Vec<String> = suspicious.iter().take(REASONS).map(|f| f.title.clone()).collect();
        why.extend(
            open_attempts.iter().take(REASONS).map(|a| format!("{}{} ({})", a.title, a.origin(), a.reason)),
        );
        (
            "suspicious",
            format!("no proof the attacker got in, but: {}", why.join("; ")),
            dedup(
                suspicious
                    .iter()
                    .filter_map(|f| f.evidence.first().cloned())
                    .chain(open_attempts.iter().filter_map(|a| a.evidence.first().cloned())),
            ),
        )
    } else {
        let failed = attempts.len();
        let r = if failed > 0 {
            format!("no sign of compromise; {failed} exploit attempt(s) failed (listed under attempts)")
        } else {
            "no sign of compromise in the evidence read".to_string()
        };
        ("no sign", r, vec![])
    };
    let way_in =
        chain.iter().find(|s| s.stage == "way in").map(|s| format!("{} ({})", s.title, s.when.describe()));
    let attackers = if status == "no sign" {
        vec![]
    } else {
        hosts
            .iter()
            .filter(|h| h.role == HostRole::Attacker)
            .map(|h| format!("{} ({})", h.value, h.reasons.join("; ")))
            .collect()
    };
    let live_sessions = facts
        .iter()
        .filter(|f| running && f.rules.iter().any(|r| r == "proc.revshell"))
        .map(|f| {
            format!(
                "{} [{}]",
                f.subject.as_deref().map(|s| s.to_string()).unwrap_or_else(|| f.title.clone()),
                callback(f)
            )
        })
        .collect();
    let persistence = facts
        .iter()
        .filter(|f| {
            f.kinds.iter().any(|k| {
                matches!(k.role, StoryRole::FilePersistence | StoryRole::Account | StoryRole::Webshell)
            })
        })
        .map(|f| f.title.clone())
        .collect();
    let escape_paths =
        facts.iter().filter(|f| f.kind.role == StoryRole::Escape).map(|f| f.title.clone()).collect();
    let secrets = facts
        .iter()
        .filter(|f| f.rules.iter().any(|r| r.contains("secret")))
        .map(|f| f.summary.clone())
        .collect();
    let identities =
        facts.iter().filter(|f| f.kind.role == StoryRole::HeldIdentity).map(|f| f.title.clone()).collect();
    Verdict {
        container,
        id,
        status,
        reason,
        way_in,
        attackers,
        live_sessions,
        persistence,
        escape_paths,
        secrets,
        identities,
        proof,
    }
}

/// The first `REASONS` distinct locators.
fn dedup(all: impl Iterator<Item = Locator>) -> Vec<Locator> {
    let mut out: Vec<Locator> = vec![];
    for l in all {
        if out.len() == REASONS {
            break;
        }
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// The callback a live session reaches, from the fact's typed indicators (an endpoint in the
/// `callback` role, else a host in it).
fn callback(f: &Fact) -> String {
    use crate::model::IocKind;
    let called = |kind: IocKind| {
        f.iocs
            .iter()
            .find(|i| i.kind == kind && i.role == crate::model::role::CALLBACK)
            .map(|i| i.value.clone())
    };
    match called(IocKind::Endpoint).or_else(|| called(IocKind::Ip)).or_else(|| called(IocKind::Domain)) {
        Some(v) => format!("callback {v}"),
        None => "callback".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Locator};

    fn fact(rules: &[&str], category: &str, severity: Severity, outcome: Option<&'static str>) -> Fact {
        Fact {
            finding: Finding {
                actor: None,
                rule: rules[0].into(),
                severity,
                category: category.into(),
                title: rules[0].into(),
                summary: String::new(),
                attack: None,
                time: None,
                evidence: vec![Locator::artifact("x")],
                subject: None,
                owner: None,
                iocs: vec![],
                kind: crate::catalog::kind_of(rules[0]),
            },
            rules: rules.iter().map(|r| r.to_string()).collect(),
            kinds: rules.iter().map(|r| crate::catalog::kind_of(r)).collect(),
            when: None,
            outcome,
        }
    }

    #[test]
    fn what_proves_a_compromise() {
        // A reverse-shell command in a log line is text, not proof it ran.
        assert!(!is_compromise(&fact(&["log.shell.reverse.dev-tcp"], "execution", Severity::Critical, None)));
        // The same command as a running process is.
        assert!(is_compromise(&fact(&["proc.revshell"], "command-and-control", Severity::Critical, None)));
        assert!(is_compromise(&fact(
            &["log.shell.reverse.dev-tcp", "proc.revshell"],
            "execution",
            Severity::Critical,
            None
        )));
        // An exploit whose consequence was seen, a miner's output, a JNDI class loaded.
        assert!(is_compromise(&fact(
            &["log.log4j.jndi-lookup"],
            "initial-access",
            Severity::Critical,
            Some("succeeded")
        )));
        assert!(is_compromise(&fact(&["log.miner.stratum"], "impact", Severity::Critical, None)));
        assert!(is_compromise(&fact(
            &["log.log4j.jndi-class-loaded"],
            "execution",
            Severity::Critical,
            None
        )));
        // Exposure and a vulnerable component are not.
        assert!(!is_compromise(&fact(&["exposure.privileged"], "exposure", Severity::Critical, None)));
        assert!(!is_compromise(&fact(&["file.log4j.rce"], "vulnerability", Severity::Critical, None)));
    }
}
