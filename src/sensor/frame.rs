//! Cutting a sensor export into records as it streams: lines of at most [`MAX_LINE`] bytes,
//! and JSON objects, one per line (`getevents -o json`, Falco, Sentinel exports) or
//! pretty-printed over several lines and concatenated (Tetragon's documentation events).
//! Memory stays bounded by the longest line or object kept.

use std::io::{self, BufRead, BufReader};

use super::observe::Collector;
use crate::evidence::Artifact;
use crate::model::{Diagnostic, Locator};

/// Longest line kept; a longer one is skipped whole (with a warning).
pub(crate) const MAX_LINE: usize = 1 << 20;
/// Largest pretty-printed object gathered over several lines.
pub(crate) const MAX_OBJECT: usize = 4 << 20;

/// One line's place: 1-based number, byte offset of its start, and whether it was too long
/// (its bytes are then not kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineAt {
    pub no: u64,
    pub offset: u64,
    pub too_long: bool,
}

/// A reader of bounded lines; the current line's bytes (without the line end) are `bytes()`.
pub(crate) struct Lines<R> {
    r: R,
    buf: Vec<u8>,
    no: u64,
    offset: u64,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(r: R) -> Self {
        Lines { r, buf: Vec::new(), no: 0, offset: 0 }
    }

    /// The next line, None at the end.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<LineAt>> {
        self.buf.clear();
        let start = self.offset;
        let mut consumed = 0u64;
        let mut too_long = false;
        loop {
            let avail = self.r.fill_buf()?;
            if avail.is_empty() {
                break;
            }
            let (chunk, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..=i], true),
                None => (avail, false),
            };
            if !too_long {
                if self.buf.len() + chunk.len() > MAX_LINE + 1 {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            let n = chunk.len();
            self.r.consume(n);
            consumed += n as u64;
            if done {
                break;
            }
        }
        if consumed == 0 {
            return Ok(None);
        }
        self.offset += consumed;
        self.no += 1;
        while self.buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            self.buf.pop();
        }
        Ok(Some(LineAt { no: self.no, offset: start, too_long }))
    }

    /// The current line's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// One JSON object of the stream, or why a stretch of it is not one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Framed {
    /// The object's text and where it starts.
    Object(Vec<u8>, LineAt),
    /// Something that is not an object (garbage, a cut line, an object cut short): where,
    /// and what.
    Bad(LineAt, &'static str),
}

/// Gathers JSON objects from lines: an object opened and closed on one line is one record
/// (a line that opens `{"` and does not close is cut short); a line holding only `{`
/// starts a pretty-printed object that ends where its braces balance.
pub(crate) struct Objects<R> {
    lines: Lines<R>,
    pending: Vec<u8>,
    pending_at: Option<LineAt>,
    depth: i64,
    in_str: bool,
    escaped: bool,
}

impl<R: BufRead> Objects<R> {
    pub(crate) fn new(r: R) -> Self {
        Objects {
            lines: Lines::new(r),
            pending: Vec::new(),
            pending_at: None,
            depth: 0,
            in_str: false,
            escaped: false,
        }
    }

    fn reset(&mut self) {
        self.pending.clear();
        self.pending_at = None;
        self.depth = 0;
        self.in_str = false;
        self.escaped = false;
    }

    /// Brace depth after `bytes` (outside strings).
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_str {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_str = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_str = true,
                b'{' => self.depth += 1,
                b'}' => self.depth -= 1,
                _ => {}
            }
        }
    }

    /// The next object or problem; None at the end.
    pub(crate) fn next_item(&mut self) -> io::Result<Option<Framed>> {
        loop {
            let Some(at) = self.lines.next_line()? else {
                if let Some(start) = self.pending_at {
                    self.reset();
                    return Ok(Some(Framed::Bad(start, "the stream ends inside a JSON object (cut short)")));
                }
                return Ok(None);
            };
            if at.too_long {
                let start = self.pending_at.unwrap_or(at);
                self.reset();
                return Ok(Some(Framed::Bad(start, "line longer than 1 MiB: skipped")));
            }
            let bytes = self.lines.bytes().to_vec();
            let trimmed = trim(&bytes);
            if self.pending_at.is_none() {
                // Between objects: array brackets and commas of a JSON array export are fine.
                let t = trim_list(trimmed);
                if t.is_empty() {
                    continue;
                }
                if t.first() != Some(&b'{') {
                    return Ok(Some(Framed::Bad(at, "not a JSON object")));
                }
                // A whole object on one line (JSON lines): no brace counting; the JSON parser
                // tells a line that only looks whole.
                if t.len() > 1 && t.last() == Some(&b'}') {
                    return Ok(Some(Framed::Object(t.to_vec(), at)));
                }
                self.scan(t);
                if self.depth == 0 && !self.in_str {
                    let obj = t.to_vec();
                    self.reset();
                    return Ok(Some(Framed::Object(obj, at)));
                }
                if t != b"{" {
                    // A one-line object that does not close: cut short (or garbage).
                    self.reset();
                    return Ok(Some(Framed::Bad(at, "JSON object cut short on its line")));
                }
                self.pending.extend_from_slice(t);
                self.pending.push(b'\n');
                self.pending_at = Some(at);
                continue;
            }
            self.scan(trimmed);
            if self.pending.len() + trimmed.len() > MAX_OBJECT {
                let start = self.pending_at.unwrap_or(at);
                self.reset();
                return Ok(Some(Framed::Bad(start, "JSON object larger than 4 MiB: skipped")));
            }
            self.pending.extend_from_slice(trimmed);
            self.pending.push(b'\n');
            if self.depth <= 0 && !self.in_str {
                let start = self.pending_at.unwrap_or(at);
                let mut obj = std::mem::take(&mut self.pending);
                while obj.last().is_some_and(|b| b.is_ascii_whitespace() || *b == b',' || *b == b']') {
                    obj.pop();
                }
                self.reset();
                return Ok(Some(Framed::Object(obj, start)));
            }
        }
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let e = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(s, |i| i + 1);
    b.get(s..e).unwrap_or_default()
}

/// A line without an array's brackets and separating commas around its object.
fn trim_list(b: &[u8]) -> &[u8] {
    let s = b.iter().position(|c| !(c.is_ascii_whitespace() || *c == b'[' || *c == b',')).unwrap_or(b.len());
    let e =
        b.iter().rposition(|c| !(c.is_ascii_whitespace() || *c == b']' || *c == b',')).map_or(s, |i| i + 1);
    b.get(s..e).unwrap_or_default()
}

/// Every line of `a` to `each` (collector, text, place, line); the artifact unreadable, a
/// read error or a line over [`MAX_LINE`] become diagnostics in `c` naming `what`.
pub(crate) fn each_line(
    c: &mut Collector,
    a: &Artifact,
    what: &str,
    mut each: impl FnMut(&mut Collector, &str, Locator, LineAt),
) {
    let loc = a.locator();
    let mut lines = match a.open() {
        Ok(r) => Lines::new(BufReader::new(r)),
        Err(e) => return c.problem(Diagnostic::error(loc, format!("cannot read {what}: {e}"))),
    };
    loop {
        let at = match lines.next_line() {
            Ok(Some(at)) => at,
            Ok(None) => break,
            Err(e) => return c.problem(Diagnostic::error(loc, format!("cannot read {what}: {e}"))),
        };
        let here = loc.clone().with_line(at.no).with_offset(at.offset);
        if at.too_long {
            c.problem(Diagnostic::warning(here, "line longer than 1 MiB: skipped"));
            continue;
        }
        each(c, &String::from_utf8_lossy(lines.bytes()), here, at);
    }
}

/// Every JSON object of `a` to `each` (collector, bytes, place); the artifact unreadable, a
/// read error or a piece that is no object become diagnostics in `c` naming `what`.
pub(crate) fn each_object(
    c: &mut Collector,
    a: &Artifact,
    what: &str,
    mut each: impl FnMut(&mut Collector, &[u8], Locator),
) {
    let loc = a.locator();
    let mut objects = match a.open() {
        Ok(r) => Objects::new(BufReader::new(r)),
        Err(e) => return c.problem(Diagnostic::error(loc, format!("cannot read {what}: {e}"))),
    };
    loop {
        match objects.next_item() {
            Ok(None) => break,
            Ok(Some(Framed::Bad(at, why))) => {
                c.problem(Diagnostic::warning(loc.clone().with_line(at.no).with_offset(at.offset), why))
            }
            Ok(Some(Framed::Object(bytes, at))) => {
                each(c, &bytes, loc.clone().with_line(at.no).with_offset(at.offset))
            }
            Err(e) => return c.problem(Diagnostic::error(loc, format!("cannot read {what}: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Framed> {
        let mut o = Objects::new(text.as_bytes());
        let mut out = vec![];
        while let Some(x) = o.next_item().unwrap() {
            out.push(x);
        }
        out
    }

    fn obj(f: &Framed) -> (String, u64) {
        match f {
            Framed::Object(b, at) => (String::from_utf8_lossy(b).into_owned(), at.no),
            Framed::Bad(at, why) => (format!("BAD {why}"), at.no),
        }
    }

    #[test]
    fn lines_and_pretty_objects() {
        let got = all("{\"a\":1}\n\n{\n  \"b\": \"}{\\\"\",\n  \"c\": {\"d\": 2}\n}\n{\n\"e\":3\n}\n");
        let got: Vec<(String, u64)> = got.iter().map(obj).collect();
        assert_eq!(got[0], ("{\"a\":1}".into(), 1));
        assert_eq!(got[1].1, 3);
        assert!(got[1].0.contains("\"d\": 2"), "{got:?}");
        assert_eq!(got[2], ("{\n\"e\":3\n}".into(), 7));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn cut_lines_and_garbage_are_reported_and_the_rest_read() {
        let got: Vec<(String, u64)> =
            all("{\"a\":1\n{\"b\":2}\nnot json\n[\n{\"c\":3},\n]\n{\n\"d\":").iter().map(obj).collect();
        assert_eq!(
            got,
            vec![
                ("BAD JSON object cut short on its line".into(), 1),
                ("{\"b\":2}".into(), 2),
                ("BAD not a JSON object".into(), 3),
                ("{\"c\":3}".into(), 5),
                ("BAD the stream ends inside a JSON object (cut short)".into(), 7),
            ]
        );
    }

    #[test]
    fn a_long_line_is_skipped_whole() {
        let long = format!("{{\"x\":\"{}\"}}\n{{\"y\":1}}\n", "a".repeat(MAX_LINE + 10));
        let got: Vec<(String, u64)> = all(&long).iter().map(obj).collect();
        assert_eq!(got, vec![("BAD line longer than 1 MiB: skipped".into(), 1), ("{\"y\":1}".into(), 2)]);
    }
}
