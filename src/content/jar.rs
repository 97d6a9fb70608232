//! Walking a jar (zip) as it streams past, local header by local header, to find the
//! `log4j-core` version: nested `log4j-core-X.jar` entry names (fat jars) and the version in
//! `META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties`. Entries with a data
//! descriptor are inflated (push API, bounded output) only to find where they end.

use flate2::{Decompress, FlushDecompress, Status};

const POM: &[u8] = b"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties";
/// pom.properties captured up to this size (it is a few hundred bytes).
const POM_LIMIT: usize = 64 << 10;

enum State {
    /// Collecting a local header (30 fixed bytes, then name and extra field).
    Header(Vec<u8>),
    /// Skipping the data of an entry of known size; `pom` collects it when it is the pom.
    Data { left: u64, method: u16, pom: Option<Vec<u8>> },
    /// Inflating an entry whose size comes after it (data descriptor).
    Inflate { z: Box<Decompress>, pom: Option<Vec<u8>> },
    /// Reading the data descriptor that follows an inflated entry.
    Descriptor(Vec<u8>),
    /// Central directory reached, or something not walkable: stop.
    Done,
}

/// A push-style jar walker: `feed` chunks, then `finish` for the versions found.
pub(super) struct JarWalker {
    state: State,
    versions: Vec<String>,
}

impl Default for JarWalker {
    fn default() -> Self {
        Self::new()
    }
}

impl JarWalker {
    /// A walker at the start of a jar.
    pub(crate) fn new() -> Self {
        JarWalker { state: State::Header(Vec::with_capacity(64)), versions: vec![] }
    }

    /// Feed the next bytes of the jar.
    pub(crate) fn feed(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            let state = std::mem::replace(&mut self.state, State::Done);
            self.state = match state {
                State::Done => return,
                State::Header(mut buf) => {
                    let need = header_len(&buf);
                    let take = need.saturating_sub(buf.len()).min(input.len());
                    buf.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if buf.len() < header_len(&buf) {
                        State::Header(buf)
                    } else {
                        self.entry(&buf)
                    }
                }
                State::Data { left, method, mut pom } => {
                    let take = (left.min(input.len() as u64)) as usize;
                    if let Some(p) = &mut pom {
                        let room = POM_LIMIT.saturating_sub(p.len());
                        p.extend_from_slice(&input[..take.min(room)]);
                    }
                    input = &input[take..];
                    if left - take as u64 > 0 {
                        State::Data { left: left - take as u64, method, pom }
                    } else {
                        if let Some(p) = pom {
                            self.pom(&p, method);
                        }
                        State::Header(Vec::with_capacity(64))
                    }
                }
                State::Inflate { mut z, mut pom } => {
                    let mut out = [0u8; 16 << 10];
                    let before_in = z.total_in();
                    let before_out = z.total_out();
                    let status = z.decompress(input, &mut out, FlushDecompress::None);
                    let used = (z.total_in() - before_in) as usize;
                    let made = (z.total_out() - before_out) as usize;
                    if let Some(p) = &mut pom {
                        let room = POM_LIMIT.saturating_sub(p.len());
                        p.extend_from_slice(&out[..made.min(room)]);
                    }
                    input = &input[used.min(input.len())..];
                    match status {
                        Ok(Status::StreamEnd) => {
                            if let Some(p) = pom {
                                self.pom_text(&p);
                            }
                            State::Descriptor(Vec::with_capacity(16))
                        }
                        Ok(_) if used > 0 || made > 0 => State::Inflate { z, pom },
                        _ => State::Done,
                    }
                }
                State::Descriptor(mut buf) => {
                    let need: usize = if buf.len() >= 4 && buf[..4] == *b"PK\x07\x08" { 16 } else { 12 };
                    let take = need.saturating_sub(buf.len()).min(input.len());
                    buf.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    let need: usize = if buf.len() >= 4 && buf[..4] == *b"PK\x07\x08" { 16 } else { 12 };
                    if buf.len() >= need {
                        State::Header(Vec::with_capacity(64))
                    } else {
                        State::Descriptor(buf)
                    }
                }
            };
        }
    }

    fn entry(&mut self, h: &[u8]) -> State {
        if h[..4] != *b"PK\x03\x04" {
            return State::Done;
        }
        let flags = le16(h, 6);
        let method = le16(h, 8);
        let csize = le32(h, 18);
        let nlen = le16(h, 26) as usize;
        let name = &h[30..30 + nlen];
        let base = name.rsplit(|c| *c == b'/').next().unwrap_or(name);
        if let Some(v) = log4j_version_from_name(base) {
            self.push(v);
        }
        let pom = (name == POM).then(Vec::new);
        if flags & 8 != 0 {
            if method == 8 {
                return State::Inflate { z: Box::new(Decompress::new(false)), pom };
            }
            return State::Done;
        }
        if csize == u32::MAX {
            return State::Done; // zip64 sizes live in the extra field; not walked
        }
        if csize == 0 {
            return State::Header(Vec::with_capacity(64));
        }
        State::Data { left: u64::from(csize), method, pom }
    }

    fn pom(&mut self, data: &[u8], method: u16) {
        match method {
            0 => self.pom_text(data),
            8 => {
                let mut z = Decompress::new(false);
                let mut out = vec![0u8; POM_LIMIT];
                if z.decompress(data, &mut out, FlushDecompress::Finish).is_ok() {
                    let n = (z.total_out() as usize).min(out.len());
                    self.pom_text(&out[..n]);
                }
            }
            _ => {}
        }
    }

    fn pom_text(&mut self, text: &[u8]) {
        for line in text.split(|c| *c == b'\n') {
            if let Some(v) = line.trim_ascii().strip_prefix(b"version=") {
                let v = crate::model::display_bytes(v.trim_ascii());
                if !v.is_empty() {
                    self.push(v);
                }
            }
        }
    }

    fn push(&mut self, v: String) {
        if !self.versions.contains(&v) {
            self.versions.push(v);
        }
    }

    /// The log4j-core versions found.
    pub(crate) fn finish(self) -> Vec<String> {
        self.versions
    }
}

/// Bytes of the local header collected so far must reach this length.
fn header_len(buf: &[u8]) -> usize {
    if buf.len() < 30 {
        30
    } else {
        30 + le16(buf, 26) as usize + le16(buf, 28) as usize
    }
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// `log4j-core-2.14.1.jar` -> `2.14.1`.
pub(crate) fn log4j_version_from_name(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let lower = name.to_ascii_lowercase();
    let rest = lower.strip_prefix("log4j-core-")?;
    let v = rest.strip_suffix(".jar")?;
    v.starts_with(|c: char| c.is_ascii_digit()).then(|| name[11..11 + v.len()].to_string())
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn log4j_version_in_names() {
        assert_eq!(log4j_version_from_name(b"log4j-core-2.14.1.jar").as_deref(), Some("2.14.1"));
        assert_eq!(log4j_version_from_name(b"log4j-api-2.14.1.jar"), None);
    }

    /// A zip with a stored entry, a deflated entry with sizes, and a deflated entry with a
    /// data descriptor (as `jar`/`zip -` streaming writers produce).
    fn jar(pom_descriptor: bool) -> Vec<u8> {
        let mut out = vec![];
        let mut add = |name: &[u8], data: &[u8], descriptor: bool| {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            let comp = e.finish().unwrap();
            out.extend_from_slice(b"PK\x03\x04\x14\x00");
            out.extend_from_slice(&(if descriptor { 8u16 } else { 0 }).to_le_bytes());
            out.extend_from_slice(&8u16.to_le_bytes());
            out.extend_from_slice(&[0; 8]);
            let (cs, us) = if descriptor { (0, 0) } else { (comp.len() as u32, data.len() as u32) };
            out.extend_from_slice(&cs.to_le_bytes());
            out.extend_from_slice(&us.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name);
            out.extend_from_slice(&comp);
            if descriptor {
                out.extend_from_slice(b"PK\x07\x08");
                out.extend_from_slice(&[0; 4]);
                out.extend_from_slice(&(comp.len() as u32).to_le_bytes());
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            }
        };
        add(b"META-INF/MANIFEST.MF", &b"Manifest-Version: 1.0\n".repeat(50), true);
        add(b"BOOT-INF/lib/log4j-core-2.15.0.jar", b"not really a jar", false);
        add(POM, b"#Created by Maven\nversion=2.14.1\ngroupId=org.apache.logging.log4j\n", pom_descriptor);
        out.extend_from_slice(b"PK\x01\x02rest of central directory");
        out
    }

    #[test]
    fn inspector_walks_any_jar_it_streams() {
        let data = jar(true);
        let ins = super::super::Inspector::new();
        let mut scan = ins.start(b"opt/app/lib/app.jar", data.len() as u64, &data[..64]).unwrap();
        for c in data.chunks(65536) {
            scan.feed(c);
        }
        assert_eq!(scan.finish().unwrap().log4j_core, ["2.15.0", "2.14.1"]);
    }

    #[test]
    fn versions_from_nested_names_and_pom_in_any_chunking() {
        for descriptor in [false, true] {
            let data = jar(descriptor);
            for chunk in [1, 7, 4096] {
                let mut w = JarWalker::new();
                for c in data.chunks(chunk) {
                    w.feed(c);
                }
                assert_eq!(w.finish(), ["2.15.0", "2.14.1"], "descriptor {descriptor} chunk {chunk}");
            }
        }
    }
}
