//! The verdict per container: compromised, suspicious or no sign, with the reason and what
//! the responder needs first (the way in, the attacker's addresses, live sessions,
//! persistence to remove, escape paths open, secrets to rotate), each with its proof.

use serde::Serialize;

use super::chain::ChainStage;
use super::exploits::{Attempt, Outcome};
use super::hosts::{HostRecord, Role};
use crate::analyze::exposure::ESCAPE_RULES;
use crate::model::{Fact, Locator, Severity};
use crate::report::BundleReport;

/// Facts named per verdict reason.
const REASONS: usize = 3;

/// One container's verdict (or the bundle's, when it names no container).
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `compromised`, `suspicious` or `no sign`.
    pub status: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub way_in: Option<String>,
    pub attackers: Vec<String>,
    pub live_sessions: Vec<String>,
    pub persistence: Vec<String>,
    pub escape_paths: Vec<String>,
    pub secrets: Vec<String>,
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
    if f.severity < Severity::High || f.rule.starts_with("exposure.") || f.rule.starts_with("stats.") {
        return false;
    }
    if f.outcome == Some("succeeded") {
        return true;
    }
    // A command in a log line is text the application wrote (a parameter it logged, an error
    // it echoed), not proof that it ran; only what a log shows running is: a miner's own
    // output, the JVM loading a class a JNDI lookup fetched. Processes and files prove it.
    let only_logs = f.rules.iter().all(|r| r.starts_with("log."));
    if only_logs {
        return f.category == "impact" || f.rules.iter().any(|r| r == "log.log4j.jndi-class-loaded");
    }
    ACTS.contains(&f.category.as_str())
}

fn is_suspicious(f: &Fact) -> bool {
    f.severity >= Severity::Medium && !f.rule.starts_with("exposure.") && f.rule != "story.attempts"
}

/// Verdicts for the bundle: one per container. With one container every fact is about it;
/// with several, a fact belongs to the container its title names (`<container>: `) or
/// whose id or name its proof's artifact path carries (`<id>-json.log`,
/// `containers/<id>/...`); facts tied to none get a verdict of the bundle's own, so a
/// compromise is never hidden behind per-container "no sign".
pub fn judge(
    report: &BundleReport,
    facts: &[Fact],
    chain: &[ChainStage],
    attempts: &[Attempt],
    hosts: &[HostRecord],
) -> Vec<Verdict> {
    if report.containers.len() <= 1 {
        let c = report.containers.first();
        let all: Vec<&Fact> = facts.iter().collect();
        return vec![one(
            c.map(|c| c.handle().to_string()),
            c.map(|c| c.id.clone()),
            c.is_some_and(|c| c.state.running),
            &all,
            chain,
            attempts,
            hosts,
            true,
        )];
    }
    let owner = |f: &Fact| -> Option<usize> {
        report.containers.iter().position(|c| {
            let name = c.handle();
            f.title.starts_with(&format!("{name}: "))
                || f.evidence.iter().any(|l| {
                    let a = l.artifact.as_str();
                    (c.id.len() >= 12 && a.contains(&c.id))
                        || a.split(['/', '.', '-', '_']).any(|part| !name.is_empty() && part == name)
                })
        })
    };
    let owners: Vec<Option<usize>> = facts.iter().map(owner).collect();
    let mut out: Vec<Verdict> = report
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mine: Vec<&Fact> =
                facts.iter().zip(&owners).filter(|(_, o)| **o == Some(i)).map(|(f, _)| f).collect();
            one(
                Some(c.handle().to_string()),
                Some(c.id.clone()),
                c.state.running,
                &mine,
                &[],
                &[],
                hosts,
                false,
            )
        })
        .collect();
    let rest: Vec<&Fact> = facts.iter().zip(&owners).filter(|(_, o)| o.is_none()).map(|(f, _)| f).collect();
    let bundle = one(None, None, false, &rest, chain, attempts, hosts, true);
    if bundle.status != "no sign" {
        out.push(bundle);
    }
    out
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
    whole_bundle: bool,
) -> Verdict {
    let compromise: Vec<&&Fact> = facts.iter().filter(|f| is_compromise(f)).collect();
    let suspicious: Vec<&&Fact> = facts.iter().filter(|f| is_suspicious(f)).collect();
    let open_attempts: Vec<&Attempt> = if whole_bundle {
        attempts.iter().filter(|a| a.outcome == Outcome::Unconfirmed).collect()
    } else {
        vec![]
    };
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
        let failed = if whole_bundle { attempts.len() } else { 0 };
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
            .filter(|h| h.role == Role::Attacker)
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
            f.rules.iter().any(|r| {
                r.starts_with("file.persistence.")
                    || r.starts_with("file.account.")
                    || r.starts_with("file.webshell.")
            })
        })
        .map(|f| f.title.clone())
        .collect();
    let escape_paths =
        facts.iter().filter(|f| ESCAPE_RULES.contains(&f.rule.as_str())).map(|f| f.title.clone()).collect();
    let secrets = facts
        .iter()
        .filter(|f| f.rules.iter().any(|r| r.contains("secret")))
        .map(|f| f.summary.clone())
        .collect();
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

fn callback(f: &Fact) -> String {
    f.summary
        .split("callback ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .map(|s| format!("callback {}", s.trim_end_matches(['.', ',', ';'])))
        .unwrap_or_else(|| "callback".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Locator};

    fn fact(rules: &[&str], category: &str, severity: Severity, outcome: Option<&'static str>) -> Fact {
        Fact {
            finding: Finding {
                rule: rules[0].into(),
                severity,
                category: category.into(),
                title: rules[0].into(),
                summary: String::new(),
                attack: None,
                time: None,
                evidence: vec![Locator::artifact("x")],
                subject: None,
            },
            rules: rules.iter().map(|r| r.to_string()).collect(),
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
