//! What to block: only the attacker-side hosts the attack used and that worked (a sender whose
//! attempt succeeded, the host a payload or process called back to, a payload server or
//! mining pool). A private address (RFC 1918, CGNAT, ULA, link-local) or a proxy / load
//! balancer (the client of requests that carry `X-Forwarded-For`) relays other clients' requests
//! and is never dropped blindly; a `--trusted-net` address never is; a sender whose attempts
//! failed or that nothing followed is hunted for, not blocked.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::analyze::story::hosts::{Act, HostRecord, HostRole};
use crate::analyze::story::Story;
use crate::bundle::Evidence;

use super::net::{self, Cidr};

/// Forwarded-for values listed per relay.
const FORWARDED_SHOWN: usize = 5;

/// What the plan does with one attacker-side host.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// Blocked: it did something that worked against the victim.
    Block,
    /// Not blocked: a proxy or private address that relayed the attack.
    Relay {
        /// The private range it is in, if it is in one.
        private: Option<&'static str>,
        /// `X-Forwarded-For` values its requests carried (claimed by the sender).
        forwarded: Vec<String>,
    },
    /// Not blocked: a private address the payload or a process used (an internal host, or a
    /// container, the attacker controls or went through).
    Private(&'static str),
    /// Not blocked: `--trusted-net`.
    Trusted(Cidr),
    /// Not blocked: nothing it sent worked (failed or unconfirmed attempts, a scan).
    Attempted,
}

/// `X-Forwarded-For` values per client address (folded), from the requests of the logs.
pub(super) fn relays(report: &Evidence) -> BTreeMap<IpAddr, BTreeSet<String>> {
    let mut out: BTreeMap<IpAddr, BTreeSet<String>> = BTreeMap::new();
    for h in &report.logs.log_hits {
        let Some(q) = &h.http else { continue };
        let (Some(c), Some(ff)) = (q.client.as_deref().and_then(net::ip), q.forwarded_for.as_deref()) else {
            continue;
        };
        out.entry(c).or_default().insert(ff.to_string());
    }
    out
}

/// The decision for one attacker-side host.
pub(super) fn decide(
    h: &HostRecord,
    trusted: &[Cidr],
    relays: &BTreeMap<IpAddr, BTreeSet<String>>,
) -> Decision {
    let sent_ok = h.acts.contains(&Act::SentSucceeded);
    let sender =
        h.acts.iter().any(|a| matches!(a, Act::SentSucceeded | Act::SentUnconfirmed | Act::SentFailed));
    let used = h.acts.iter().any(|a| matches!(a, Act::Callback | Act::Payload));
    let ip = net::ip(&h.value);
    if let Some(n) = ip.and_then(|ip| trusted.iter().find(|n| n.contains(ip))) {
        return Decision::Trusted(*n);
    }
    let private = ip.and_then(net::private_range);
    let forwarded: Vec<String> = ip
        .and_then(|ip| relays.get(&ip))
        .map(|s| s.iter().take(FORWARDED_SHOWN).cloned().collect())
        .unwrap_or_default();
    // Whatever its requests did, a proxy or a private address only passed them on.
    if sender && (!forwarded.is_empty() || private.is_some()) {
        return Decision::Relay { private, forwarded };
    }
    if !sent_ok && !used {
        return Decision::Attempted;
    }
    match private {
        Some(range) => Decision::Private(range),
        None => Decision::Block,
    }
}

/// Attacker-side hosts with their decisions, in the story's order.
pub(super) fn decisions<'a>(
    report: &Evidence,
    story: &'a Story,
    trusted: &[Cidr],
) -> Vec<(&'a HostRecord, Decision)> {
    let relays = relays(report);
    story
        .hosts
        .iter()
        .filter(|h| h.role == HostRole::Attacker)
        .map(|h| (h, decide(h, trusted, &relays)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str, acts: &[Act]) -> HostRecord {
        HostRecord {
            value: value.into(),
            kind: if net::ip(value).is_some() { "ip" } else { "domain" },
            role: HostRole::Attacker,
            reasons: vec![],
            acts: acts.to_vec(),
            first_seen: None,
            last_seen: None,
            evidence: vec![],
        }
    }

    #[test]
    fn only_what_worked_is_blocked_and_never_a_relay_or_a_trusted_net() {
        let none = BTreeMap::new();
        let d = |v: &str, acts: &[Act]| decide(&host(v, acts), &[], &none);
        assert_eq!(d("203.0.113.50", &[Act::SentSucceeded]), Decision::Block);
        assert_eq!(d("203.0.113.66", &[Act::Callback]), Decision::Block);
        assert_eq!(d("evil.example", &[Act::Payload]), Decision::Block);
        assert_eq!(d("198.51.100.23", &[Act::SentFailed]), Decision::Attempted);
        assert_eq!(d("198.51.100.24", &[Act::SentUnconfirmed, Act::Scanned]), Decision::Attempted);
        // The case: a proxy at 10.0.0.5 relayed `;curl ...|sh` with no sign it worked.
        assert_eq!(
            d("10.0.0.5", &[Act::SentUnconfirmed]),
            Decision::Relay { private: Some("RFC 1918 private"), forwarded: vec![] }
        );
        // A private sender relayed it, even when it worked.
        assert_eq!(
            d("10.0.0.5", &[Act::SentSucceeded]),
            Decision::Relay { private: Some("RFC 1918 private"), forwarded: vec![] }
        );
        assert_eq!(d("::ffff:10.0.0.5", &[Act::Callback]), Decision::Private("RFC 1918 private"));
        assert_eq!(d("fd00::5", &[Act::Payload]), Decision::Private("unique local (ULA, RFC 4193)"));
        // A public proxy: its requests carry X-Forwarded-For.
        let mut relays = BTreeMap::new();
        relays.insert(net::ip("192.0.2.10").unwrap(), BTreeSet::from(["203.0.113.50".to_string()]));
        assert_eq!(
            decide(&host("192.0.2.10", &[Act::SentSucceeded]), &[], &relays),
            Decision::Relay { private: None, forwarded: vec!["203.0.113.50".into()] }
        );
        let trusted: Vec<Cidr> = vec!["203.0.113.0/24".parse().unwrap()];
        assert_eq!(
            decide(&host("203.0.113.66", &[Act::Callback]), &trusted, &none),
            Decision::Trusted(trusted[0])
        );
    }
}
