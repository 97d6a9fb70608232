//! Published ports as docker prints them (`0.0.0.0:81->80/tcp, :::81->80/tcp, 3306/tcp`,
//! ranges `0.0.0.0:8000-8010->8000-8010/tcp`, `[::]:81->80/tcp`) and as inspect stores them.

use serde::Serialize;

/// One container port, published on the host or only exposed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortMapping {
    /// Host address it is bound to (`0.0.0.0`, `::`, `127.0.0.1`); None when not published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    /// Host port or range (`81`, `8000-8010`); None when not published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_port: Option<String>,
    /// Container port or range (`80`, `8000-8010`).
    pub container_port: String,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

impl PortMapping {
    /// True when published on every host interface (`0.0.0.0`, `::`, or no address given).
    pub fn is_public(&self) -> bool {
        self.host_port.is_some()
            && matches!(self.host_ip.as_deref(), None | Some("" | "0.0.0.0" | "::" | "[::]"))
    }

    /// Docker's own notation: `0.0.0.0:81->80/tcp` or `3306/tcp`.
    pub fn display(&self) -> String {
        match &self.host_port {
            Some(hp) => {
                let ip = self.host_ip.as_deref().unwrap_or("");
                let ip = if ip.contains(':') && !ip.starts_with('[') { format!("[{ip}]") } else { ip.into() };
                format!("{ip}:{hp}->{}/{}", self.container_port, self.protocol)
            }
            None => format!("{}/{}", self.container_port, self.protocol),
        }
    }
}

/// `80/tcp` -> (`80`, `tcp`); a missing protocol means tcp, as in docker.
pub(super) fn split_port_proto(s: &str) -> Option<(String, String)> {
    let (port, proto) = s.trim().split_once('/').unwrap_or((s.trim(), "tcp"));
    valid_port_or_range(port).then(|| (port.to_string(), proto.to_ascii_lowercase()))
}

fn valid_port_or_range(p: &str) -> bool {
    let num = |x: &str| !x.is_empty() && x.len() <= 5 && x.bytes().all(|c| c.is_ascii_digit());
    match p.split_once('-') {
        Some((a, b)) => num(a) && num(b),
        None => num(p),
    }
}

/// Parse one entry of a PORTS column. None when it is not a port notation.
pub(super) fn parse_port(entry: &str) -> Option<PortMapping> {
    let entry = entry.trim();
    let Some((host, container)) = entry.split_once("->") else {
        let (container_port, protocol) = split_port_proto(entry)?;
        return Some(PortMapping { host_ip: None, host_port: None, container_port, protocol });
    };
    let (container_port, protocol) = split_port_proto(container)?;
    // The host side ends with `:port`; everything before the last colon is the address
    // (`0.0.0.0`, `::` from `:::81`, `[::]`, or empty).
    let (ip, port) = host.rsplit_once(':')?;
    if !valid_port_or_range(port) {
        return None;
    }
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    Some(PortMapping {
        host_ip: Some(ip.to_string()),
        host_port: Some(port.to_string()),
        container_port,
        protocol,
    })
}

/// Parse a whole PORTS column (comma separated). Returns the mappings and the entries that
/// could not be read.
pub(crate) fn parse_port_list(s: &str) -> (Vec<PortMapping>, Vec<String>) {
    let mut ok = vec![];
    let mut bad = vec![];
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match parse_port(part) {
            Some(p) => ok.push(p),
            None => bad.push(part.to_string()),
        }
    }
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_strings() {
        let (p, bad) = parse_port_list(
            "0.0.0.0:81->80/tcp, :::81->80/tcp, 3306/tcp, 0.0.0.0:8000-8010->8000-8010/tcp, \
             [::]:8443->443/tcp, 127.0.0.1:5432->5432/tcp, 53/udp, bogus",
        );
        assert_eq!(bad, ["bogus"]);
        let shown: Vec<String> = p.iter().map(PortMapping::display).collect();
        assert_eq!(
            shown,
            [
                "0.0.0.0:81->80/tcp",
                "[::]:81->80/tcp",
                "3306/tcp",
                "0.0.0.0:8000-8010->8000-8010/tcp",
                "[::]:8443->443/tcp",
                "127.0.0.1:5432->5432/tcp",
                "53/udp"
            ]
        );
        assert_eq!(p[1].host_ip.as_deref(), Some("::"));
        assert_eq!(p[3].host_port.as_deref(), Some("8000-8010"));
        let public: Vec<bool> = p.iter().map(PortMapping::is_public).collect();
        assert_eq!(public, [true, true, false, true, true, false, false]);
        assert_eq!(parse_port("0.0.0.0:x->80/tcp"), None);
        assert_eq!(parse_port("80/tcp->"), None);
    }
}
