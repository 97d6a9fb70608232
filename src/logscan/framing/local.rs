//! The `local` log driver's files (`/var/lib/docker/containers/<id>/local-logs/container.log`):
//! each entry is a big-endian u32 length, a protobuf `LogEntry` (`source` = 1, `time_nano` =
//! 2, `line` = 3, `partial` = 4) and the length again. [`LocalDecoder`] streams them out as
//! CRI lines (`<RFC 3339> <stream> <P|F> <line>`), so the CRI cutter joins partial parts per
//! stream; line numbers then count entries, and byte offsets are in that decoded text.

use std::io::{self, Read};

use super::cri::Cri;
use super::{Cutter, Framing};
use crate::model::Timestamp;

/// The `local` log driver's format.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Local;

impl Framing for Local {
    fn name(&self) -> &'static str {
        "local"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        crate::evidence::looks_local(head)
    }

    /// The decoded entries are CRI lines.
    fn cutter(&self) -> Box<dyn Cutter> {
        Cri.cutter()
    }

    fn decode<'r>(&self, raw: Box<dyn Read + 'r>) -> Box<dyn Read + 'r> {
        Box::new(LocalDecoder::new(raw))
    }
}

/// Largest entry accepted (docker caps a message at 1 MiB; more is corruption).
const MAX_ENTRY: u32 = 16 << 20;

/// One decoded entry.
#[derive(Debug, Default, PartialEq, Eq)]
struct Entry {
    source: String,
    time_nano: i64,
    line: Vec<u8>,
    partial: bool,
}

fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn parse_entry(b: &[u8]) -> Option<Entry> {
    let mut e = Entry::default();
    let mut pos = 0;
    while pos < b.len() {
        let tag = varint(b, &mut pos)?;
        let (field, wire) = (tag >> 3, tag & 7);
        match wire {
            0 => {
                let v = varint(b, &mut pos)?;
                match field {
                    2 => e.time_nano = v as i64,
                    4 => e.partial = v != 0,
                    _ => {}
                }
            }
            2 => {
                let len = varint(b, &mut pos)? as usize;
                let data = b.get(pos..pos.checked_add(len)?)?;
                pos += len;
                match field {
                    1 => e.source = String::from_utf8_lossy(data).into_owned(),
                    3 => e.line = data.to_vec(),
                    _ => {}
                }
            }
            1 => pos = pos.checked_add(8).filter(|p| *p <= b.len())?,
            5 => pos = pos.checked_add(4).filter(|p| *p <= b.len())?,
            _ => return None,
        }
    }
    Some(e)
}

/// Streams a local-driver file out as CRI lines.
pub(crate) struct LocalDecoder<R> {
    inner: R,
    out: Vec<u8>,
    at: usize,
    entries: u64,
    done: bool,
}

impl<R: Read> LocalDecoder<R> {
    pub(crate) fn new(inner: R) -> Self {
        LocalDecoder { inner, out: Vec::new(), at: 0, entries: 0, done: false }
    }

    /// Read the next entry into `out`; false at a clean end.
    fn next_entry(&mut self) -> io::Result<bool> {
        let mut len = [0u8; 4];
        match read_full(&mut self.inner, &mut len)? {
            0 => return Ok(false),
            4 => {}
            _ => return Err(corrupt(self.entries, "file ends inside an entry's length")),
        }
        let n = u32::from_be_bytes(len);
        if n > MAX_ENTRY {
            return Err(corrupt(self.entries, &format!("entry length {n} is beyond any log message")));
        }
        let mut buf = vec![0u8; n as usize];
        if read_full(&mut self.inner, &mut buf)? != buf.len() {
            return Err(corrupt(self.entries, "file ends inside an entry"));
        }
        let mut foot = [0u8; 4];
        if read_full(&mut self.inner, &mut foot)? != 4 || u32::from_be_bytes(foot) != n {
            return Err(corrupt(self.entries, "entry's trailing length does not match"));
        }
        let e = parse_entry(&buf).ok_or_else(|| corrupt(self.entries, "entry is not a protobuf LogEntry"))?;
        self.entries += 1;
        let t = Timestamp::from_unix(
            e.time_nano.div_euclid(1_000_000_000),
            e.time_nano.rem_euclid(1_000_000_000) as u32,
        );
        let stream = if e.source == "stderr" { "stderr" } else { "stdout" };
        self.out.clear();
        self.at = 0;
        self.out.extend_from_slice(t.to_iso().as_bytes());
        self.out.extend_from_slice(format!(" {stream} {} ", if e.partial { 'P' } else { 'F' }).as_bytes());
        // One entry is one line of the decoded text: a newline inside is shown as `\n`.
        let line = e.line.strip_suffix(b"\n").unwrap_or(&e.line);
        for &c in line {
            if c == b'\n' {
                self.out.extend_from_slice(b"\\n");
            } else {
                self.out.push(c);
            }
        }
        self.out.push(b'\n');
        Ok(true)
    }
}

fn corrupt(entries: u64, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("local log driver file corrupt after {entries} entries: {what}"),
    )
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<R: Read> Read for LocalDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.out.len() {
            if self.done || !self.next_entry()? {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Encode one entry as the local driver writes it (for tests).
#[cfg(test)]
pub(crate) fn encode(source: &str, time_nano: i64, line: &[u8], partial: bool) -> Vec<u8> {
    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut pb = vec![0x0a];
    put_varint(&mut pb, source.len() as u64);
    pb.extend_from_slice(source.as_bytes());
    pb.push(0x10);
    put_varint(&mut pb, time_nano as u64);
    pb.push(0x1a);
    put_varint(&mut pb, line.len() as u64);
    pb.extend_from_slice(line);
    if partial {
        pb.extend_from_slice(&[0x20, 1]);
    }
    let n = (pb.len() as u32).to_be_bytes();
    [&n[..], &pb, &n].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_cri_lines() {
        let mut f = encode("stdout", 1_764_252_000_123_456_789, b"GET /?q=${jn", true);
        f.extend(encode("stderr", 1_764_252_000_200_000_000, b"warn\n", false));
        f.extend(encode("stdout", 1_764_252_000_300_000_000, b"di:ldap://x/a}\n", false));
        assert!(crate::evidence::looks_local(&f));
        assert!(!crate::evidence::looks_local(b"2026-11-27T14:00:00Z stdout F x\n"));
        let mut s = String::new();
        LocalDecoder::new(&f[..]).read_to_string(&mut s).unwrap();
        assert_eq!(
            s,
            "2025-11-27T14:00:00.123456789Z stdout P GET /?q=${jn\n\
             2025-11-27T14:00:00.200000000Z stderr F warn\n\
             2025-11-27T14:00:00.300000000Z stdout F di:ldap://x/a}\n"
        );
        // Cut short: the entries before are decoded, then an error says where.
        let mut s = String::new();
        let err = LocalDecoder::new(&f[..f.len() - 3]).read_to_string(&mut s).unwrap_err();
        assert!(err.to_string().contains("corrupt after 2 entries"), "{err}");
    }
}
