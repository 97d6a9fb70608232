//! `ip link` captures (`ip -o link show`, `ip -d -o link`, the two-line form without `-o`,
//! also `ip addr`'s link lines): every interface with its index, name, peer (`vethX@if54`:
//! index 54 in another network namespace; `veth0@veth1`: a peer in the same one), the peer's
//! namespace (`link-netnsid N` / `link-netns NAME`), master and, with `-d`, its kind (`veth`,
//! `bridge`, `macvlan`...). The response plan checks a container's host-side veth against
//! the host's capture.

use std::io::{BufRead, BufReader, Read};

use serde::Serialize;

use crate::evidence::{is_link_line, Artifact};
use crate::model::{display_bytes, Diagnostic, Locator};

/// Bytes of a capture read at most (a host with thousands of veths is a few MiB).
const MAX_BYTES: u64 = 16 << 20;

/// Link kinds `ip -d` names on the line of the details (after `\` or on an indented line).
const KINDS: &[&str] = &[
    "veth",
    "bridge",
    "macvlan",
    "macvtap",
    "ipvlan",
    "ipvtap",
    "vxlan",
    "vlan",
    "bond",
    "dummy",
    "tun",
    "tap",
    "wireguard",
    "geneve",
    "ifb",
    "vrf",
    "team",
    "nlmon",
    "netkit",
];

/// One interface of a capture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub index: u32,
    pub name: String,
    /// `@ifN`: the peer's index, in the namespace `link_netns` names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_index: Option<u32>,
    /// `@name`: the peer (or parent) by name, in the same namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_name: Option<String>,
    /// `link-netnsid N` or `link-netns NAME`: the peer lives in another network namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_netns: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// The link kind `ip -d` prints (`veth`, `bridge`, `macvlan`...); None without `-d`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The record's line.
    pub locator: Locator,
}

impl Interface {
    /// Whether it is, or looks like, one end of a veth pair whose other end is in another
    /// namespace: `-d` says `veth`; without `-d`, a peer by index in another namespace on a
    /// link that is neither loopback nor a known other kind.
    pub fn is_cross_namespace_veth(&self) -> bool {
        let crosses = self.peer_index.is_some() && self.link_netns.is_some();
        match self.kind.as_deref() {
            Some(k) => k == "veth" && crosses,
            None => crosses,
        }
    }

    /// Loopback.
    pub fn is_loopback(&self) -> bool {
        self.name == "lo"
    }
}

/// One `ip link` capture.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IpLinkCapture {
    pub locator: Locator,
    /// Whether it shows a host's interfaces (some link that is neither loopback nor the end of
    /// a pair reaching into another namespace: a NIC, a bridge, a link with a master) rather
    /// than a container's namespace (loopback and peer ends only).
    pub host: bool,
    pub interfaces: Vec<Interface>,
}

impl IpLinkCapture {
    /// The interface with this index.
    pub fn by_index(&self, index: u32) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.index == index)
    }

    /// The interface with this name.
    pub fn by_name(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
}

/// Parse an `ip link` artifact.
pub(crate) fn parse(artifact: &Artifact) -> (IpLinkCapture, Vec<Diagnostic>) {
    let loc = artifact.locator();
    match artifact.open() {
        Ok(r) => parse_reader(r, &loc),
        Err(e) => (
            IpLinkCapture { locator: loc.clone(), ..Default::default() },
            vec![Diagnostic::error(loc, format!("cannot open: {e}"))],
        ),
    }
}

/// Parse `ip link` output from a reader; `loc` names the artifact.
pub(crate) fn parse_reader(reader: impl Read, loc: &Locator) -> (IpLinkCapture, Vec<Diagnostic>) {
    let mut diags = vec![];
    let mut reader = BufReader::new(reader.take(MAX_BYTES));
    let mut records: Vec<(u64, String)> = vec![];
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                diags.push(Diagnostic::error(loc.clone().with_line(n + 1), format!("read error: {e}")));
                break;
            }
        }
        n += 1;
        let text = display_bytes(buf.strip_suffix(b"\n").unwrap_or(&buf));
        let text = text.strip_suffix('\r').unwrap_or(&text).to_string();
        if text.trim().is_empty() {
            continue;
        }
        if text.starts_with([' ', '\t']) {
            // The two-line form: details of the record above.
            if let Some((_, r)) = records.last_mut() {
                r.push(' ');
                r.push_str(text.trim());
            }
            continue;
        }
        if is_link_line(&text) {
            records.push((n, text));
        } else {
            diags.push(Diagnostic::warning(
                loc.clone().with_line(n),
                "not an `ip link` record: skipped".to_string(),
            ));
        }
    }
    let interfaces: Vec<Interface> =
        records.iter().filter_map(|(line, r)| record(r, loc.clone().with_line(*line))).collect();
    let host = interfaces.iter().any(|i| !i.is_loopback() && (i.master.is_some() || i.link_netns.is_none()));
    (IpLinkCapture { locator: loc.clone(), host, interfaces }, diags)
}

/// One record: `N: name[@peer]: <FLAGS> mtu ... [master M] ... [link-netnsid K] [\    kind ...]`.
fn record(r: &str, locator: Locator) -> Option<Interface> {
    let (index, rest) = r.split_once(": ")?;
    let (name, rest) = rest.split_once(": ")?;
    let mut i = Interface { index: index.parse().ok()?, locator, ..Default::default() };
    match name.split_once('@') {
        Some((n, peer)) => {
            i.name = n.to_string();
            match peer.strip_prefix("if").and_then(|x| x.parse::<u32>().ok()) {
                Some(p) => i.peer_index = Some(p),
                None if peer != "NONE" => i.peer_name = Some(peer.to_string()),
                None => {}
            }
        }
        None => i.name = name.to_string(),
    }
    // `-o` separates a record's parts with `\`; the two-line form was joined with spaces.
    let flat = rest.replace('\\', " ");
    let words: Vec<&str> = flat.split_whitespace().collect();
    let after = |key: &str| words.windows(2).find(|w| w[0] == key).map(|w| w[1].to_string());
    i.master = after("master");
    i.link_netns = after("link-netnsid").or_else(|| after("link-netns"));
    // `-d`: the kind is the first word of a details part (`\    veth ...`), after the
    // `link/<type> ...` part; a word of the kind list standing alone there.
    let parts: Vec<&str> = rest.split('\\').map(str::trim).collect();
    i.kind = parts
        .iter()
        .skip(1)
        .filter(|p| !p.starts_with("link/") && !p.starts_with("altname"))
        .find_map(|p| p.split_whitespace().next().filter(|w| KINDS.contains(w)))
        .map(str::to_string)
        .or_else(|| {
            // The two-line form: look for a kind word after `maxmtu N`, where `-d` puts it.
            words.windows(3).find(|w| w[0] == "maxmtu" && KINDS.contains(&w[2])).map(|w| w[2].to_string())
        });
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(t: &str) -> IpLinkCapture {
        let (c, d) = parse_reader(t.as_bytes(), &Locator::artifact("ip-link.txt"));
        assert!(d.is_empty(), "{d:?}");
        c
    }

    #[test]
    fn one_line_form_with_details() {
        let c = parse_text(
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0 addrgenmode eui64\n\
             4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc pfifo_fast state UP\\    link/ether 02:fc:00:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 addrgenmode eui64\n\
             53: br-6c0c82243262: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 02:42:69:6b:19:a6 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 \\    bridge forward_delay 1500\n\
             55: vethd673180@if54: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-6c0c82243262 state UP\\    link/ether 42:c6:57:20:0d:00 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 1 minmtu 68 maxmtu 65535 \\    veth \\    bridge_slave state forwarding\n\
             7: mv0@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 02:42:0a:00:00:07 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 \\    macvlan mode bridge\n",
        );
        assert!(c.host);
        let v = c.by_index(55).unwrap();
        assert_eq!(v.name, "vethd673180");
        assert_eq!(v.peer_index, Some(54));
        assert_eq!(v.master.as_deref(), Some("br-6c0c82243262"));
        assert_eq!(v.link_netns.as_deref(), Some("0"));
        assert_eq!(v.kind.as_deref(), Some("veth"));
        assert!(v.is_cross_namespace_veth());
        assert_eq!(v.locator.line, Some(4));
        assert_eq!(c.by_index(53).unwrap().kind.as_deref(), Some("bridge"));
        assert_eq!(c.by_index(4).unwrap().kind, None);
        assert!(!c.by_index(4).unwrap().is_cross_namespace_veth());
        let m = c.by_name("mv0").unwrap();
        assert_eq!((m.peer_name.as_deref(), m.kind.as_deref()), (Some("eth0"), Some("macvlan")));
        assert!(!m.is_cross_namespace_veth());
    }

    #[test]
    fn two_line_form_and_named_namespaces() {
        let c = parse_text(
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n\
             \x20   link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
             2: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default\n\
             \x20   link/ether 0a:58:0a:f4:00:05 brd ff:ff:ff:ff:ff:ff link-netns cni-5f0c1e2a-3b4d\n",
        );
        assert!(!c.host, "loopback and a peer end only: a container's namespace");
        let e = c.by_name("eth0").unwrap();
        assert_eq!((e.index, e.peer_index, e.link_netns.as_deref()), (2, Some(9), Some("cni-5f0c1e2a-3b4d")));
        assert!(e.is_cross_namespace_veth());
        assert_eq!(e.locator.line, Some(3));
    }

    #[test]
    fn stray_lines_are_said_and_skipped() {
        let (c, d) = parse_reader(
            "1: lo: <LOOPBACK> mtu 65536 qdisc noqueue\nDevice \"eth9\" does not exist.\n".as_bytes(),
            &Locator::artifact("x"),
        );
        assert_eq!(c.interfaces.len(), 1);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].locator.line, Some(2));
    }
}
