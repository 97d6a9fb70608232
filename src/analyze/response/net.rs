//! Addresses the response plan does not drop blindly: `--trusted-net` networks, private
//! ranges (RFC 1918, CGNAT, ULA, link-local), and IPv4-mapped IPv6 folded to IPv4 first.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is one host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr =
            a.trim().parse().map_err(|_| format!("{s:?} is not an address or network (CIDR: 10.0.0.0/8)"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Cidr {
    /// Whether `ip` is in this network (IPv4-mapped IPv6 counts as IPv4).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An address as text, parsed and folded (`::ffff:203.0.113.5` is `203.0.113.5`).
pub(super) fn ip(s: &str) -> Option<IpAddr> {
    s.trim().trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok().map(|a| a.to_canonical())
}

/// The private range an address is in, named: such an address is a host of the victim's own
/// networks (a proxy, a load balancer, another container), never the attacker's own.
pub(super) fn private_range(ip: IpAddr) -> Option<&'static str> {
    match ip.to_canonical() {
        IpAddr::V4(a) => {
            let [o1, o2, ..] = a.octets();
            if a.is_private() {
                Some("RFC 1918 private")
            } else if o1 == 100 && (64..128).contains(&o2) {
                Some("carrier-grade NAT (RFC 6598)")
            } else if a.is_link_local() {
                Some("link-local")
            } else {
                None
            }
        }
        IpAddr::V6(a) => {
            let first = a.segments()[0];
            if first & 0xfe00 == 0xfc00 {
                Some("unique local (ULA, RFC 4193)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_and_private_ranges() {
        let n: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains(ip("10.200.1.2").unwrap()));
        assert!(n.contains(ip("::ffff:10.0.0.5").unwrap()), "IPv4-mapped folds");
        assert!(!n.contains(ip("11.0.0.1").unwrap()));
        let one: Cidr = "203.0.113.50".parse().unwrap();
        assert_eq!(one.to_string(), "203.0.113.50/32");
        assert!(one.contains(ip("203.0.113.50").unwrap()) && !one.contains(ip("203.0.113.51").unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("[2001:db8:1::9]").unwrap()) && !v6.contains(ip("2001:db9::1").unwrap()));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("198.51.100.1").unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("example.com/8".parse::<Cidr>().is_err());
        for (a, want) in [
            ("10.0.0.5", true),
            ("172.20.0.5", true),
            ("192.168.1.1", true),
            ("100.64.3.2", true),
            ("fd12::1", true),
            ("fe80::1", true),
            ("::ffff:192.168.0.1", true),
            ("203.0.113.50", false),
            ("172.32.0.1", false),
            ("2001:db8::1", false),
        ] {
            assert_eq!(private_range(ip(a).unwrap()).is_some(), want, "{a}");
        }
    }
}
