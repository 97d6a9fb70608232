//! Attacker or victim: every address and host name the evidence names, classified with the
//! reason. The victim's own addresses (the container's IPs, gateway and published host
//! addresses from inspect, the server named in `Host`/`Referer`, loopback) are never
//! attacker-side; package mirrors and well-known sites are third parties; the rest is
//! attacker-side only when the evidence says what it did (sent an exploit, received a
//! callback, served a payload, is a mining pool).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::bundle::Evidence;
use crate::model::{Locator, Timestamp};

/// Locators kept per host.
const EVIDENCE_PER_HOST: usize = 10;

/// Which side a host is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    Attacker,
    Victim,
    ThirdParty,
    Unknown,
}

/// What a host did, as the story saw it: typed, so the response plan blocks only what should
/// be blocked (a sender whose attempt worked, a callback, a payload server), never a sender
/// whose probes failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Act {
    /// Sent exploit or webshell requests that worked.
    SentSucceeded,
    /// Sent exploit or webshell requests with no sign they worked.
    SentUnconfirmed,
    /// Sent exploit or webshell requests that failed.
    SentFailed,
    /// Ran a scanner against the server.
    Scanned,
    /// What a payload or a process called back to (reverse shell, JNDI lookup, C2).
    Callback,
    /// Named as a download or payload server, or a mining pool.
    Payload,
}

/// One address or host name, classified.
#[derive(Clone, Debug, Serialize)]
pub struct HostRecord {
    pub value: String,
    /// `ip` or `domain`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: HostRole,
    /// Why it has that role (attacker: what it did; victim: whose address it is).
    pub reasons: Vec<String>,
    /// What it did, typed (attacker-side hosts only: the rest are never blocked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acts: Vec<Act>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    pub evidence: Vec<Locator>,
}

/// The victim's own addresses and names, each with whose it is.
#[derive(Clone, Debug, Default)]
pub(crate) struct Victim {
    own: BTreeMap<String, String>,
    /// Addresses of the bundle's containers (a container can be the attacker's).
    containers: BTreeSet<String>,
    /// Container addresses whose own logs hold exploit requests: relays (a reverse proxy),
    /// never taken for the attacker on the strength of having sent them.
    relays: BTreeSet<String>,
}

impl Victim {
    /// From inspect (IPs, gateways, published host addresses, host and domain names,
    /// aliases) and the servers requests were addressed to (`Host`, `Referer`).
    pub(crate) fn from_report(report: &Evidence, request_targets: &[(String, &'static str)]) -> Self {
        let mut v = Victim::default();
        for c in &report.containers {
            let n = &c.network;
            let name = &c.name;
            for ip in n.ip_address.iter().chain(n.networks.iter().filter_map(|a| a.ip_address.as_ref())) {
                v.add(ip, format!("IP address of container {name}"));
                v.containers.insert(bare_host(ip));
            }
            for a in &n.networks {
                if let Some(ip) = &a.ipv6_address {
                    v.add(ip, format!("IPv6 address of container {name}"));
                }
                for alias in &a.aliases {
                    v.add(alias, format!("network alias of container {name}"));
                }
            }
            for gw in n.gateway.iter().chain(n.networks.iter().filter_map(|a| a.gateway.as_ref())) {
                v.add(gw, format!("gateway of container {name} (the Docker host)"));
            }
            for p in c.host_config.iter().flat_map(|h| h.port_bindings.iter()).chain(n.ports.iter()) {
                if let Some(ip) =
                    p.host_ip.as_deref().filter(|ip| !matches!(*ip, "" | "0.0.0.0" | "::" | "[::]"))
                {
                    v.add(ip, format!("host address publishing a port of container {name}"));
                }
            }
            if let Some(h) = &c.config.hostname {
                v.add(h, format!("host name of container {name}"));
            }
        }
        for (host, field) in request_targets {
            v.add(host, format!("server the requests were sent to ({field})"));
        }
        v
    }

    /// Mark container addresses as relays (their own logs hold exploit requests).
    pub(crate) fn set_relays(&mut self, addrs: impl IntoIterator<Item = String>) {
        self.relays = addrs.into_iter().map(|a| bare_host(&a)).collect();
    }

    /// Whether `host` is a container's address that sent exploit requests it did not
    /// relay: the attacker's own container.
    fn sending_container(&self, host: &str) -> bool {
        let h = bare_host(host);
        self.containers.contains(&h) && !self.relays.contains(&h)
    }

    fn add(&mut self, host: &str, why: String) {
        let h = bare_host(host);
        if !h.is_empty() {
            self.own.entry(h).or_insert(why);
        }
    }

    /// Why `host` is the victim's, when it is (loopback and unspecified addresses always).
    pub(crate) fn why(&self, host: &str) -> Option<String> {
        let h = bare_host(host);
        if let Some(w) = self.own.get(&h) {
            return Some(w.clone());
        }
        is_local(&h).then(|| "loopback or unspecified address (the container itself)".to_string())
    }
}

/// Host (no port, no brackets, lower case) of a `host:port`, `[v6]:port` or URL authority.
pub(crate) fn bare_host(s: &str) -> String {
    let s = s.trim();
    let s = s.split_once("://").map(|(_, r)| r).unwrap_or(s);
    let s = s.split(['/', '?', '#']).next().unwrap_or(s);
    let s = s.rsplit_once('@').map(|(_, h)| h).unwrap_or(s);
    let h = if let Some(rest) = s.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if s.matches(':').count() == 1 {
        s.split(':').next().unwrap_or(s)
    } else {
        s
    };
    h.trim_end_matches('.').to_ascii_lowercase()
}

/// `s` as a host (an IP address, `[v6]`, or a DNS name), or None when it is something else
/// a log put where a client belongs (a time stamp, `-`, garbage).
pub(crate) fn as_host(s: &str) -> Option<String> {
    let h = bare_host(s);
    if is_ip(&h) {
        return Some(h);
    }
    let name_ok = h.len() <= 253
        && h.contains('.')
        && h.bytes().any(|b| b.is_ascii_alphabetic())
        && h.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && !h.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    name_ok.then_some(h)
}

/// Loopback, unspecified and link-local-host names.
pub(crate) fn is_local(host: &str) -> bool {
    let host = host.strip_prefix("::ffff:").unwrap_or(host);
    host.starts_with("127.")
        || host.starts_with("0.")
        || host == "::1"
        || host == "::"
        || host == "localhost"
        || host.ends_with(".localhost")
        || host == "0.0.0.0"
}

/// Package mirrors, registries and well-known sites: third parties, never blocked.
pub(crate) fn third_party(host: &str) -> Option<&'static str> {
    const SITES: &[(&str, &str)] = &[
        ("debian.org", "Debian package mirror"),
        ("ubuntu.com", "Ubuntu package mirror"),
        ("alpinelinux.org", "Alpine package mirror"),
        ("centos.org", "CentOS package mirror"),
        ("fedoraproject.org", "Fedora package mirror"),
        ("pypi.org", "Python package index"),
        ("pythonhosted.org", "Python package index"),
        ("npmjs.org", "npm registry"),
        ("maven.org", "Maven Central"),
        ("apache.org", "Apache Software Foundation"),
        ("docker.io", "Docker Hub"),
        ("docker.com", "Docker"),
        ("github.com", "GitHub"),
        ("google.com", "Google"),
        ("googleapis.com", "Google APIs"),
        ("gstatic.com", "Google static content"),
        ("w3.org", "W3C (XML namespaces)"),
        ("xmlsoap.org", "XML namespaces"),
        ("baidu.com", "Baidu (search spider URL in a User-Agent)"),
        ("bing.com", "Bing"),
        ("microsoft.com", "Microsoft"),
        ("mozilla.org", "Mozilla"),
        ("xmrig.com", "XMRig's developers (donation pool)"),
        ("example.com", "reserved example domain"),
        ("example.org", "reserved example domain"),
    ];
    let h = host.to_ascii_lowercase();
    SITES.iter().find(|(d, _)| h == *d || h.ends_with(&format!(".{d}"))).map(|(_, w)| *w)
}

/// Whether `s` is an IPv4 or IPv6 literal.
pub(crate) fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// Every host the story names, with what each observation said about it.
#[derive(Default)]
pub(crate) struct Hosts {
    map: BTreeMap<String, Entry>,
}

#[derive(Default)]
struct Entry {
    attacker: Vec<String>,
    acts: std::collections::BTreeSet<Act>,
    seen: Vec<String>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    evidence: Vec<Locator>,
}

impl Hosts {
    /// Record that `host` was seen; `attacker` says what it did when that makes it
    /// attacker-side (sent an exploit, received a callback...), `seen` what it was otherwise.
    pub(crate) fn note(
        &mut self,
        host: &str,
        attacker: Option<String>,
        seen: Option<String>,
        time: Option<Timestamp>,
        at: &[Locator],
    ) {
        let Some(h) = as_host(host) else { return };
        let e = self.map.entry(h).or_default();
        if let Some(a) = attacker {
            if !e.attacker.contains(&a) {
                e.attacker.push(a);
            }
        }
        if let Some(s) = seen {
            if !e.seen.contains(&s) {
                e.seen.push(s);
            }
        }
        if let Some(t) = time {
            e.first = Some(e.first.map_or(t, |f| f.min(t)));
            e.last = Some(e.last.map_or(t, |l| l.max(t)));
        }
        for l in at {
            if e.evidence.len() < EVIDENCE_PER_HOST && !e.evidence.contains(l) {
                e.evidence.push(l.clone());
            }
        }
    }

    /// Record what `host` did (after [`Hosts::note`] saw it).
    pub(crate) fn did(&mut self, host: &str, act: Act) {
        if let Some(h) = as_host(host) {
            self.map.entry(h).or_default().acts.insert(act);
        }
    }

    /// The classified list, sorted by role then value.
    pub(crate) fn classify(self, victim: &Victim) -> Vec<HostRecord> {
        let mut out: Vec<HostRecord> = self
            .map
            .into_iter()
            .map(|(value, mut e)| {
                // Well-known sites first: a Referer or a payload can name them, the victim is
                // never Google; then the victim's own addresses, then what the host did.
                let (role, reasons) = if let Some(w) = third_party(&value) {
                    (HostRole::ThirdParty, vec![w.to_string()])
                } else if victim.sending_container(&value)
                    && e.attacker.iter().any(|a| a.starts_with("sent "))
                {
                    let mut r = std::mem::take(&mut e.attacker);
                    r.push(victim.why(&value).unwrap_or_default());
                    (HostRole::Attacker, r)
                } else if let Some(w) = victim.why(&value) {
                    let mut r = vec![w];
                    r.extend(e.attacker.iter().map(|a| format!("not attacker-side although it {a}")));
                    (HostRole::Victim, r)
                } else if !e.attacker.is_empty() {
                    (HostRole::Attacker, std::mem::take(&mut e.attacker))
                } else {
                    (HostRole::Unknown, e.seen.clone())
                };
                e.evidence.sort();
                HostRecord {
                    kind: if is_ip(&value) { "ip" } else { "domain" },
                    value,
                    role,
                    reasons,
                    acts: if role == HostRole::Attacker { e.acts.iter().copied().collect() } else { vec![] },
                    first_seen: e.first,
                    last_seen: e.last,
                    evidence: e.evidence,
                }
            })
            .collect();
        out.sort_by(|a, b| (a.role, &a.value).cmp(&(b.role, &b.value)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_hosts() {
        assert_eq!(bare_host("192.0.2.50:81"), "192.0.2.50");
        assert_eq!(bare_host("http://192.0.2.50:81/login.php"), "192.0.2.50");
        assert_eq!(bare_host("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(bare_host("2001:db8::1"), "2001:db8::1");
        assert_eq!(bare_host("Evil.Example."), "evil.example");
        assert_eq!(bare_host("ldap://u@203.0.113.66:1389/a"), "203.0.113.66");
    }

    #[test]
    fn hosts_and_what_is_not_one() {
        assert_eq!(as_host("[::ffff:127.0.0.1]").as_deref(), Some("::ffff:127.0.0.1"));
        assert!(is_local("::ffff:127.0.0.1"));
        assert_eq!(as_host("2026-12-01t07:54:40.124508758z"), None);
        assert_eq!(as_host("-"), None);
        assert_eq!(as_host("1.2.3"), None);
        assert_eq!(as_host("Evil.Example:8080").as_deref(), Some("evil.example"));
    }

    #[test]
    fn victim_beats_attacker_and_third_parties_are_not_blocked() {
        let mut v = Victim::default();
        v.add("192.0.2.50", "server the requests were sent to (Host)".into());
        let mut h = Hosts::default();
        h.note("192.0.2.50", Some("sent exploit requests".into()), None, None, &[]);
        h.note("127.0.0.1", Some("received a callback".into()), None, None, &[]);
        h.note("www.google.com", None, Some("named in a payload".into()), None, &[]);
        h.note("203.0.113.66", Some("received a reverse shell".into()), None, None, &[]);
        h.note("db.internal", None, Some("named in a log".into()), None, &[]);
        let out = h.classify(&v);
        let role = |x: &str| out.iter().find(|r| r.value == x).unwrap().role;
        assert_eq!(role("192.0.2.50"), HostRole::Victim);
        assert_eq!(role("127.0.0.1"), HostRole::Victim);
        assert_eq!(role("www.google.com"), HostRole::ThirdParty);
        assert_eq!(role("203.0.113.66"), HostRole::Attacker);
        assert_eq!(role("db.internal"), HostRole::Unknown);
    }
}
