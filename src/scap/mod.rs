//! sysdig / Falco capture files (libscap savefiles: `sysdig -w`, Falco trace files) as
//! evidence: the blocks read one by one ([`block`]), the process, fd and user tables
//! ([`tables`]), the syscall events ([`event`], numbered as [`codes`] says) replayed into
//! processes, connections and file activity ([`replay`]), containers from cgroups
//! ([`cgroup`]), the files that matter ([`paths`]), the capture's own rules ([`rules`]) and what the scan gets ([`observe`]).

mod block;
mod cgroup;
mod codes;
mod event;
mod observe;
mod paths;
mod replay;
mod rules;
mod tables;

use std::io::Read;

pub(crate) use rules::defs;

use crate::evidence::Artifact;
use crate::ingest::observed::Observed;
use crate::model::{Diagnostic, Locator};

/// Reads one capture artifact (gzip looked through by the artifact).
pub(crate) fn parse(artifact: &Artifact) -> (Observed, Vec<Diagnostic>) {
    let loc = artifact.locator();
    match artifact.open() {
        Ok(r) => parse_reader(r, &loc),
        Err(e) => (Observed::default(), vec![Diagnostic::error(loc, format!("cannot open: {e}"))]),
    }
}

/// Reads a capture from `reader`; `loc` names it.
pub(crate) fn parse_reader(reader: impl Read, loc: &Locator) -> (Observed, Vec<Diagnostic>) {
    let mut cap = replay::read(reader, loc);
    let observed = observe::observed(&cap, loc);
    (observed, std::mem::take(&mut cap.diagnostics))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (body.len() + 12) as u32;
        let mut v = kind.to_le_bytes().to_vec();
        v.extend(len.to_le_bytes());
        v.extend(body);
        v.extend(len.to_le_bytes());
        v
    }

    /// A section header, then an openat of /etc/shadow for writing and a connect.
    fn capture() -> Vec<u8> {
        let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
        shb.extend([1, 0, 2, 0]);
        shb.extend(u64::MAX.to_le_bytes());
        let mut c = block(0x0A0D_0D0A, &shb);
        let event = |etype: u16, params: &[&[u8]]| {
            let mut b = vec![0u8, 0];
            b.extend(1u64.to_le_bytes());
            b.extend(7u64.to_le_bytes());
            let len = 26 + params.len() * 2 + params.iter().map(|p| p.len()).sum::<usize>();
            b.extend((len as u32).to_le_bytes());
            b.extend(etype.to_le_bytes());
            b.extend((params.len() as u32).to_le_bytes());
            for p in params {
                b.extend((p.len() as u16).to_le_bytes());
            }
            for p in params {
                b.extend(*p);
            }
            block(0x216, &b)
        };
        let (fd, dirfd, flags) = (3i64.to_le_bytes(), (-100i64).to_le_bytes(), 2u32.to_le_bytes());
        c.extend(event(307, &[&fd, &dirfd, b"/etc/shadow\0", &flags]));
        // 10.0.0.1:257 -> 8.8.8.8:4444
        let tuple = [2u8, 10, 0, 0, 1, 1, 1, 8, 8, 8, 8, 0x5c, 0x11];
        c.extend(event(23, &[&0i64.to_le_bytes(), &tuple]));
        c
    }

    #[test]
    fn reads_a_small_capture() {
        let loc = Locator::artifact("t.scap");
        let (o, d) = parse_reader(&capture()[..], &loc);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].rule, "scap.file.account-write");
        assert_eq!(o.timeline.len(), 2);
    }

    /// Every prefix and every single-byte change of a capture reads without panicking.
    #[test]
    fn hostile_bytes_never_panic() {
        let c = capture();
        let loc = Locator::artifact("t.scap");
        for n in 0..c.len() {
            let _ = parse_reader(&c[..n], &loc);
        }
        for i in 0..c.len() {
            for v in [0u8, 0xff, 0x7f, 1] {
                let mut m = c.clone();
                m[i] = v;
                let _ = parse_reader(&m[..], &loc);
            }
        }
    }
}
