//! One event: the header of an event block (time, thread, type, parameter count) and its
//! parameters as byte slices, for every block version, plus the decoders of the values the
//! replay reads (integers, strings, argument lists, socket addresses and tuples).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::codes::{self, EventLayout};
use crate::model::display_bytes;

/// More parameters than any event has (the driver's `PPM_MAX_EVENT_PARAMS` is 32).
pub(crate) const MAX_PARAMS: u32 = 64;
/// Longest string kept from one parameter, in bytes.
const MAX_TEXT: usize = 4096;
/// Most arguments kept from one argument list.
const MAX_ARGS: usize = 256;

/// One decoded event.
#[derive(Debug)]
pub(crate) struct Event<'a> {
    /// Nanoseconds since the epoch.
    pub(crate) ts: u64,
    pub(crate) tid: u64,
    pub(crate) etype: u16,
    pub(crate) params: Vec<&'a [u8]>,
}

impl<'a> Event<'a> {
    /// Parameter `i`, when the event has it.
    pub(crate) fn param(&self, i: usize) -> Option<&'a [u8]> {
        self.params.get(i).copied()
    }

    /// Parameter `i` as a signed integer (any width).
    pub(crate) fn int(&self, i: usize) -> Option<i64> {
        int(self.param(i)?)
    }

    /// Parameter `i` as an unsigned integer (any width).
    pub(crate) fn uint(&self, i: usize) -> Option<u64> {
        uint(self.param(i)?)
    }

    /// Parameter `i` as text (up to its NUL).
    pub(crate) fn text(&self, i: usize) -> Option<String> {
        self.param(i).map(text).filter(|s| !s.is_empty())
    }
}

/// What an event block held.
pub(crate) enum Decoded<'a> {
    Event(Event<'a>),
    /// An event of a type this reader does not decode (its parameters are not split).
    Skipped(u16),
    /// An event that cannot be read: why.
    Bad(String),
}

/// The event of an event block's body.
pub(crate) fn decode(layout: EventLayout, body: &[u8]) -> Decoded<'_> {
    let start = 2 + if layout.flags { 4 } else { 0 };
    let header = if layout.counted { 26 } else { 22 };
    let Some(ev) = body.get(start..).filter(|e| e.len() >= header) else {
        return Decoded::Bad(format!("event block of {} bytes is shorter than an event header", body.len()));
    };
    let (Some(ts), Some(tid), Some(len), Some(etype)) =
        (uint(&ev[0..8]), uint(&ev[8..16]), uint(&ev[16..20]), uint(&ev[20..22]))
    else {
        return Decoded::Bad("event header unreadable".into());
    };
    let etype = etype as u16;
    let len = len as usize;
    if len < header || len > ev.len() {
        return Decoded::Bad(format!("event length {len} does not fit its block ({} bytes)", ev.len()));
    }
    let ev = &ev[..len];
    let Some(max) = codes::max_params(etype) else { return Decoded::Skipped(etype) };
    let width = if layout.large { 4 } else { 2 };
    let nparams = if layout.counted {
        let n = uint(&ev[22..26]).unwrap_or(0) as u32;
        if n > MAX_PARAMS {
            return Decoded::Bad(format!(
                "event of type {etype} declares {n} parameters (at most {MAX_PARAMS})"
            ));
        }
        n
    } else {
        match (0..=max).rev().find(|&n| lengths_fit(ev, header, n as usize, width)) {
            Some(n) => n,
            None => {
                return Decoded::Bad(format!(
                    "cannot count the parameters of a version 1 event of type {etype}"
                ))
            }
        }
    };
    match split(ev, header, nparams as usize, width) {
        Some(params) => Decoded::Event(Event { ts, tid, etype, params }),
        None => Decoded::Bad(format!("parameters of an event of type {etype} overrun it")),
    }
}

/// The lengths of `n` parameters after the header, each `width` bytes.
fn lengths(ev: &[u8], header: usize, n: usize, width: usize) -> Option<Vec<usize>> {
    let table = ev.get(header..header.checked_add(n.checked_mul(width)?)?)?;
    Some(table.chunks_exact(width).map(|c| uint(c).unwrap_or(0) as usize).collect())
}

/// True when `n` parameters fill the event exactly (version 1 events).
fn lengths_fit(ev: &[u8], header: usize, n: usize, width: usize) -> bool {
    let Some(lens) = lengths(ev, header, n, width) else { return false };
    let total = lens.iter().try_fold(header + n * width, |acc, l| acc.checked_add(*l));
    total == Some(ev.len())
}

fn split(ev: &[u8], header: usize, n: usize, width: usize) -> Option<Vec<&[u8]>> {
    let table = ev.get(header..header.checked_add(n.checked_mul(width)?)?)?;
    let mut at = header + table.len();
    let mut out = Vec::with_capacity(n);
    for l in table.chunks_exact(width) {
        let end = at.checked_add(uint(l)? as usize)?;
        out.push(ev.get(at..end)?);
        at = end;
    }
    Some(out)
}

/// A little-endian unsigned integer of 1, 2, 4 or 8 bytes.
pub(crate) fn uint(b: &[u8]) -> Option<u64> {
    Some(match b.len() {
        1 => u64::from(b[0]),
        2 => u64::from(u16::from_le_bytes(b.try_into().ok()?)),
        4 => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
        8 => u64::from_le_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

/// A little-endian signed integer of 1, 2, 4 or 8 bytes.
pub(crate) fn int(b: &[u8]) -> Option<i64> {
    Some(match b.len() {
        1 => i64::from(b[0] as i8),
        2 => i64::from(i16::from_le_bytes(b.try_into().ok()?)),
        4 => i64::from(i32::from_le_bytes(b.try_into().ok()?)),
        8 => i64::from_le_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

/// A string parameter: up to its NUL, at most [`MAX_TEXT`] bytes, invalid UTF-8 as `\xNN`.
pub(crate) fn text(b: &[u8]) -> String {
    let b = b.split(|c| *c == 0).next().unwrap_or(b);
    display_bytes(&b[..b.len().min(MAX_TEXT)])
}

/// A NUL-separated list (arguments, cgroups), at most [`MAX_ARGS`] items.
pub(crate) fn list(b: &[u8]) -> Vec<String> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() {
        return vec![];
    }
    b.split(|c| *c == 0).take(MAX_ARGS).map(|s| display_bytes(&s[..s.len().min(MAX_TEXT)])).collect()
}

/// An address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Addr {
    pub(crate) ip: IpAddr,
    pub(crate) port: u16,
}

impl Addr {
    /// `ip:port`, `[v6]:port` for IPv6.
    pub(crate) fn endpoint(&self) -> String {
        match self.ip {
            IpAddr::V4(a) => format!("{a}:{}", self.port),
            IpAddr::V6(a) => format!("[{a}]:{}", self.port),
        }
    }
}

/// A connection's two ends, client first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tuple {
    pub(crate) src: Addr,
    pub(crate) dst: Addr,
}

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

/// A socket tuple parameter (`PT_SOCKTUPLE`): family, source address and port, destination
/// address and port. None for other families (unix sockets) and short values.
pub(crate) fn tuple(b: &[u8]) -> Option<Tuple> {
    let (first, rest) = b.split_first()?;
    let (src, rest) = addr(*first, rest)?;
    let (dst, _) = addr(*first, rest)?;
    Some(Tuple { src, dst })
}

/// A socket address parameter (`PT_SOCKADDR`): family, address, port.
pub(crate) fn sockaddr(b: &[u8]) -> Option<Addr> {
    let (first, rest) = b.split_first()?;
    addr(*first, rest).map(|(a, _)| a)
}

/// One address and port of `family` at the start of `b`; the bytes after it.
fn addr(family: u8, b: &[u8]) -> Option<(Addr, &[u8])> {
    let n = match family {
        AF_INET => 4,
        AF_INET6 => 16,
        _ => return None,
    };
    let ip_bytes = b.get(..n)?;
    let port = u16::from_le_bytes(b.get(n..n + 2)?.try_into().ok()?);
    let ip = if n == 4 {
        IpAddr::V4(Ipv4Addr::new(ip_bytes[0], ip_bytes[1], ip_bytes[2], ip_bytes[3]))
    } else {
        let a = Ipv6Addr::from(<[u8; 16]>::try_from(ip_bytes).ok()?);
        a.to_ipv4_mapped().map_or(IpAddr::V6(a), IpAddr::V4)
    };
    Some((Addr { ip, port }, b.get(n + 2..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2_event(etype: u16, params: &[&[u8]]) -> Vec<u8> {
        let mut body = vec![0u8, 0];
        let len = 26 + params.len() * 2 + params.iter().map(|p| p.len()).sum::<usize>();
        body.extend(7u64.to_le_bytes());
        body.extend(42u64.to_le_bytes());
        body.extend((len as u32).to_le_bytes());
        body.extend(etype.to_le_bytes());
        body.extend((params.len() as u32).to_le_bytes());
        for p in params {
            body.extend((p.len() as u16).to_le_bytes());
        }
        for p in params {
            body.extend(*p);
        }
        body
    }

    const V2: EventLayout = EventLayout { flags: false, counted: true, large: false };
    const V1: EventLayout = EventLayout { flags: false, counted: false, large: false };

    #[test]
    fn splits_parameters_of_both_versions() {
        let body = v2_event(codes::OPEN_X, &[&3i64.to_le_bytes(), b"/etc/passwd\0", &2u32.to_le_bytes()]);
        let Decoded::Event(e) = decode(V2, &body) else { panic!("not decoded") };
        assert_eq!((e.ts, e.tid, e.etype), (7, 42, codes::OPEN_X));
        assert_eq!(e.int(0), Some(3));
        assert_eq!(e.text(1).as_deref(), Some("/etc/passwd"));
        // The same event without the count (version 1): counted from the lengths.
        let mut v1 = body.clone();
        v1.drain(24..28);
        let len = (v1.len() - 2) as u32;
        v1[18..22].copy_from_slice(&len.to_le_bytes());
        let Decoded::Event(e) = decode(V1, &v1) else { panic!("v1 not decoded") };
        assert_eq!(e.params.len(), 3);
        assert_eq!(e.uint(2), Some(2));
    }

    #[test]
    fn hostile_counts_and_lengths_are_refused() {
        let mut body = v2_event(codes::OPEN_X, &[b"x"]);
        body[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(V2, &body), Decoded::Bad(m) if m.contains("parameters")));
        let mut body = v2_event(codes::OPEN_X, &[b"x"]);
        body[28..30].copy_from_slice(&500u16.to_le_bytes());
        assert!(matches!(decode(V2, &body), Decoded::Bad(_)));
        assert!(matches!(decode(V2, &[0u8; 10]), Decoded::Bad(_)));
        assert!(matches!(decode(V2, &v2_event(9999, &[])), Decoded::Skipped(9999)));
    }

    #[test]
    fn tuples_and_addresses() {
        let mut t = vec![AF_INET, 10, 0, 0, 5];
        t.extend(40000u16.to_le_bytes());
        t.extend([93, 184, 216, 34]);
        t.extend(443u16.to_le_bytes());
        let got = tuple(&t).unwrap();
        assert_eq!(got.src.endpoint(), "10.0.0.5:40000");
        assert_eq!(got.dst.endpoint(), "93.184.216.34:443");
        let mut six = vec![AF_INET6];
        six.extend("2001:db8::4".parse::<Ipv6Addr>().unwrap().octets());
        six.extend(54405u16.to_le_bytes());
        six.extend("::ffff:1.2.3.4".parse::<Ipv6Addr>().unwrap().octets());
        six.extend(1234u16.to_le_bytes());
        let got = tuple(&six).unwrap();
        assert_eq!(got.src.endpoint(), "[2001:db8::4]:54405");
        assert_eq!(got.dst.endpoint(), "1.2.3.4:1234");
        assert!(tuple(&[1, 2, 3]).is_none());
        assert!(tuple(&[AF_INET, 1, 2]).is_none());
        assert_eq!(list(b"bash\0-i\0"), vec!["bash", "-i"]);
        assert_eq!(text(b"abc\0def"), "abc");
    }
}
