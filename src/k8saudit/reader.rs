//! Reading an audit log artifact: JSON lines (the log backend, rotated and gzip files as
//! evidence opening decodes them), or one JSON document (a single `Event`, an array of
//! them, an `EventList` with `items`: webhook captures, exports). Lines are read one at a
//! time with a length cap; a single document has a size cap. Every problem is a diagnostic;
//! a file with no event in it is rejected with why.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::event::{self, AuditEvent};
use crate::evidence::Artifact;
use crate::model::{Diagnostic, Locator};

/// Longest line read as one event (an event with a large kept request object); longer
/// lines are skipped with a diagnostic. A parsed line costs up to about 16 times its size.
pub(crate) const MAX_LINE: usize = 4 << 20;
/// Largest single JSON document (object, array, `EventList`) read whole: parsed whole, it
/// costs up to about 16 times its size. Bigger exports are JSON lines first
/// (`jq -c '.items[]'`).
pub(crate) const MAX_DOCUMENT: u64 = 32 << 20;
/// Diagnostics kept per artifact for bad lines (the rest are counted in one).
const MAX_LINE_DIAGS: usize = 20;

/// What reading one artifact gave besides its events.
#[derive(Debug, Default)]
pub(crate) struct ReadStats {
    pub events: u64,
    pub diagnostics: Vec<Diagnostic>,
}

/// Read every event of `a`, handing each to `each` as it is read.
pub(crate) fn read(a: &Artifact, each: &mut dyn FnMut(AuditEvent)) -> ReadStats {
    let loc = a.locator();
    let mut stats = ReadStats::default();
    let r = match a.open() {
        Ok(r) => r,
        Err(e) => {
            stats.diagnostics.push(Diagnostic::error(loc, format!("cannot read the audit log: {e}")));
            return stats;
        }
    };
    read_from(r, &loc, each, &mut stats);
    stats
}

/// [`read`] on any reader (tests, fuzzing).
pub(crate) fn read_from(
    r: impl Read,
    loc: &Locator,
    each: &mut dyn FnMut(AuditEvent),
    stats: &mut ReadStats,
) {
    let mut r = BufReader::with_capacity(1 << 16, r);
    // The first line decides: a complete JSON value on it means JSON lines.
    let mut first = Vec::new();
    let first_len = match read_line(&mut r, &mut first, MAX_LINE) {
        Ok(n) => n,
        Err(e) => {
            stats.diagnostics.push(Diagnostic::error(loc.clone(), format!("cannot read the audit log: {e}")));
            return;
        }
    };
    let trimmed = trim(&first);
    let lines_mode = first_len.cut.is_none()
        && trimmed.first() == Some(&b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok();
    if lines_mode {
        let mut bad = Bad::default();
        let mut line_no = 1u64;
        let mut offset = 0u64;
        let mut line = first;
        let mut len = first_len;
        loop {
            handle_line(&line, len, loc, line_no, offset, each, stats, &mut bad);
            offset += len.bytes;
            line.clear();
            match read_line(&mut r, &mut line, MAX_LINE) {
                Ok(n) if n.bytes == 0 => break,
                Ok(n) => len = n,
                Err(e) => {
                    stats.diagnostics.push(Diagnostic::error(
                        loc.clone().with_line(line_no + 1),
                        format!("read error: {e}; the rest of the audit log is not read"),
                    ));
                    break;
                }
            }
            line_no += 1;
        }
        bad.finish(loc, stats);
    } else {
        let mut doc = first;
        let cap = MAX_DOCUMENT.saturating_sub(doc.len() as u64);
        if let Err(e) = r.take(cap + 1).read_to_end(&mut doc) {
            stats.diagnostics.push(Diagnostic::error(loc.clone(), format!("read error: {e}")));
            return;
        }
        if doc.len() as u64 > MAX_DOCUMENT {
            stats.diagnostics.push(Diagnostic::error(
                loc.clone(),
                format!(
                    "a single JSON document over {MAX_DOCUMENT} bytes: not read (write it as JSON lines, one event per line, e.g. jq -c '.items[]')"
                ),
            ));
            return;
        }
        document(&doc, loc, each, stats);
    }
    if stats.events == 0 && !stats.diagnostics.iter().any(|d| d.level == crate::model::DiagLevel::Error) {
        let why =
            stats.diagnostics.first().map(|d| d.message.clone()).unwrap_or_else(|| "no event in it".into());
        stats.diagnostics.push(Diagnostic::error(
            loc.clone(),
            format!("not a Kubernetes audit log: data not recognized as a k8s audit event ({why})"),
        ));
    }
}

/// One JSON document: an event, an array of events or an `EventList`.
fn document(doc: &[u8], loc: &Locator, each: &mut dyn FnMut(AuditEvent), stats: &mut ReadStats) {
    let v: Value = match serde_json::from_slice(doc) {
        Ok(v) => v,
        Err(e) => {
            stats.diagnostics.push(Diagnostic::error(
                loc.clone(),
                format!("not a Kubernetes audit log: not JSON ({})", crate::limits::json_error(&e)),
            ));
            return;
        }
    };
    let items = match v {
        Value::Array(items) => items,
        Value::Object(mut m) if m.get("kind").and_then(Value::as_str) == Some("EventList") => {
            match m.remove("items") {
                Some(Value::Array(items)) => items,
                _ => {
                    stats.diagnostics.push(Diagnostic::error(loc.clone(), "an EventList without `items`"));
                    return;
                }
            }
        }
        other => vec![other],
    };
    let mut bad = Bad::default();
    for (i, item) in items.into_iter().enumerate() {
        let at = loc.clone().with_offset(i as u64);
        match event::from_value(item, at.clone()) {
            Ok(e) => {
                stats.events += 1;
                each(e);
            }
            Err(why) => bad.note(at, format!("item {i}: not a Kubernetes audit event: {why}"), stats),
        }
    }
    bad.finish(loc, stats);
}

#[allow(clippy::too_many_arguments)]
fn handle_line(
    line: &[u8],
    len: LineLen,
    loc: &Locator,
    line_no: u64,
    offset: u64,
    each: &mut dyn FnMut(AuditEvent),
    stats: &mut ReadStats,
    bad: &mut Bad,
) {
    let at = loc.clone().with_line(line_no).with_offset(offset);
    if let Some(total) = len.cut {
        bad.note(
            at,
            format!("line {line_no} is {total} bytes, over the {MAX_LINE}-byte line limit: skipped"),
            stats,
        );
        return;
    }
    let t = trim(line);
    if t.is_empty() {
        return;
    }
    match event::from_slice(t, &at) {
        Some(Ok(e)) => {
            stats.events += 1;
            each(e);
            return;
        }
        Some(Err(why)) => {
            bad.note(at, format!("line {line_no}: not a Kubernetes audit event: {why}"), stats);
            return;
        }
        None => {}
    }
    match serde_json::from_slice::<Value>(t) {
        Ok(v) => {
            let items = match v {
                Value::Object(mut m) if m.get("kind").and_then(Value::as_str) == Some("EventList") => {
                    match m.remove("items") {
                        Some(Value::Array(items)) => items,
                        _ => vec![],
                    }
                }
                Value::Array(items) => items,
                other => vec![other],
            };
            for item in items {
                match event::from_value(item, at.clone()) {
                    Ok(e) => {
                        stats.events += 1;
                        each(e);
                    }
                    Err(why) => bad.note(
                        at.clone(),
                        format!("line {line_no}: not a Kubernetes audit event: {why}"),
                        stats,
                    ),
                }
            }
        }
        Err(e) => {
            let what = if e.is_eof() { "cut short (truncated JSON)" } else { "not JSON" };
            bad.note(at, format!("line {line_no}: {what}: {}", crate::limits::json_error(&e)), stats)
        }
    }
}

/// Bad records: the first few as their own diagnostics, the rest counted.
#[derive(Default)]
struct Bad {
    count: u64,
}

impl Bad {
    fn note(&mut self, at: Locator, msg: String, stats: &mut ReadStats) {
        self.count += 1;
        if self.count as usize <= MAX_LINE_DIAGS {
            stats.diagnostics.push(Diagnostic::warning(at, msg));
        }
    }

    fn finish(&self, loc: &Locator, stats: &mut ReadStats) {
        if self.count as usize > MAX_LINE_DIAGS {
            stats.diagnostics.push(Diagnostic::warning(
                loc.clone(),
                format!(
                    "{} records could not be read as audit events ({} shown)",
                    self.count, MAX_LINE_DIAGS
                ),
            ));
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct LineLen {
    /// Bytes consumed, newline included.
    bytes: u64,
    /// The line's full length when it was over the cap (its bytes past the cap dropped).
    cut: Option<u64>,
}

/// One line into `buf` (without keeping more than `cap` bytes); the rest of a longer line
/// is consumed and counted.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> std::io::Result<LineLen> {
    let mut len = LineLen::default();
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            break;
        }
        let (chunk, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (&avail[..=i], true),
            None => (avail, false),
        };
        let room = cap.saturating_sub(buf.len());
        if chunk.len() <= room {
            buf.extend_from_slice(chunk);
        } else {
            buf.extend_from_slice(&chunk[..room]);
            len.cut = Some(0);
        }
        let n = chunk.len();
        len.bytes += n as u64;
        r.consume(n);
        if done {
            break;
        }
    }
    if len.cut.is_some() {
        len.cut = Some(len.bytes);
        buf.clear();
    }
    Ok(len)
}

fn trim(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &[u8]) -> (Vec<AuditEvent>, ReadStats) {
        let mut got = vec![];
        let mut stats = ReadStats::default();
        read_from(text, &Locator::artifact("audit.log"), &mut |e| got.push(e), &mut stats);
        (got, stats)
    }

    const EV: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","verb":"get","stage":"ResponseComplete"}"#;

    #[test]
    fn json_lines_with_a_truncated_last_line() {
        let text = format!("{EV}\n\n{EV}\n{}", &EV[..30]);
        let (got, stats) = run(text.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].locator.line, Some(3));
        assert_eq!(stats.diagnostics.len(), 1, "{:?}", stats.diagnostics);
        assert!(stats.diagnostics[0].message.contains("line 4: cut short"));
    }

    #[test]
    fn documents_arrays_and_event_lists() {
        let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(EV).unwrap()).unwrap();
        assert_eq!(run(pretty.as_bytes()).0.len(), 1);
        assert_eq!(run(format!("[{EV},\n{EV}]").as_bytes()).0.len(), 2);
        let list =
            format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{EV},{EV},{EV}]}}"#);
        assert_eq!(run(list.as_bytes()).0.len(), 3);
    }

    #[test]
    fn a_non_event_is_rejected_with_why() {
        let (got, stats) = run(b"{\"kind\": 0}");
        assert!(got.is_empty());
        let last = stats.diagnostics.last().unwrap();
        assert_eq!(last.level, crate::model::DiagLevel::Error);
        assert!(last.message.contains("data not recognized as a k8s audit event"), "{}", last.message);
        assert!(last.message.contains("`kind` is 0"), "{}", last.message);
        let (got, stats) = run(b"\x00\x01garbage\n{{{");
        assert!(
            got.is_empty() && stats.diagnostics.iter().any(|d| d.level == crate::model::DiagLevel::Error)
        );
    }

    #[test]
    fn over_long_lines_are_skipped() {
        let mut buf = Vec::new();
        let text = format!("{EV}\n{}\n{EV}\n", "x".repeat(100));
        let mut r = BufReader::with_capacity(16, text.as_bytes());
        let a = read_line(&mut r, &mut buf, 50).unwrap();
        assert!(a.cut.is_some());
        buf.clear();
        let b = read_line(&mut r, &mut buf, 500).unwrap();
        assert_eq!(b.bytes, 101);
        assert_eq!(b.cut, None);
    }
}
