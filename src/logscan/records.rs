//! Where a framing hands the records it cuts from a stream: each record evaluated by the
//! engine (the line around a candidate found only then in a text region, line numbers
//! counted lazily, lines longer than the record limit cut at fixed offsets), partial
//! messages joined per stream and carried across rotated files, hits kept and counted, and
//! the stream's diagnostics. Also the tuning of a scan and what scanning a stream gave.

use std::collections::BTreeMap;

use super::engine::{Engine, RecordMatch, EXCERPT_MAX};
use super::ioc::{self, IocRef};
use super::syslog_year::{SyslogTime, YearBasis};
use super::time::{line_syslog, line_time};
use crate::model::{excerpt, Diagnostic, Locator, LogSpan, Timestamp};

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
    pub(crate) fn with_limits(limits: &crate::limits::Limits) -> Self {
        let d = ScanConfig::default();
        ScanConfig {
            buf_size: d.buf_size.max(limits.max_line.saturating_add(1)),
            max_record: limits.max_line,
            max_join: d.max_join.max(limits.max_line),
            max_hits: limits.max_hits,
            ..d
        }
    }

    /// The record size in effect (never below 64 bytes).
    pub(crate) fn record_size(&self) -> usize {
        self.max_record.max(64)
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
    /// The record's syslog time when it carries no year; `time` is None until one is found.
    pub syslog: Option<SyslogTime>,
    /// How the year of a syslog `time` was found.
    pub time_basis: Option<YearBasis>,
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
    pub scanner_sources: super::scanner_tools::Tallies,
    /// Newlines seen.
    pub newlines: u64,
    pub bytes: u64,
    /// What a runtime's log (json-file, CRI, `local`) spans, every record counted as it is
    /// cut; None for framings that do not count records (plain text, journal).
    pub span: Option<LogSpan>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the prefilter did (`rules cost`; no report shows it).
    pub filter: super::prefilter::FilterStats,
}

impl StreamScan {
    /// Fold in the scan of the next chunk of the same file, whose lines count from `line_base`.
    pub(crate) fn absorb(&mut self, other: StreamScan, line_base: u64, max_hits: usize) {
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
        match (&mut self.span, other.span) {
            (Some(s), Some(o)) => s.then(&o),
            (s @ None, o) => *s = o,
            _ => {}
        }
        self.diagnostics.extend(other.diagnostics);
        self.filter.add(&other.filter);
    }
}

/// Lines of a read buffer looked at for a dated one while a stream has shown none yet.
const YEAR_LOOK: usize = 64;

/// A message whose parts are still being joined.
pub(crate) struct Pending {
    pub(crate) text: Vec<u8>,
    pub(crate) line: u64,
    pub(crate) offset: u64,
    pub(crate) time: Option<Timestamp>,
    /// The artifact the message began in, when it began in an earlier (rotated) file.
    pub(crate) origin: Option<Locator>,
}

/// Partial messages left open at the end of one file of a rotated log, to be completed by
/// the next file of the same log (the same container's stream).
#[derive(Default)]
pub(crate) struct Carry(BTreeMap<String, Pending>);

impl Carry {
    /// No message left open.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Separates the stream from what else keys a pending message (the journal's container):
/// streams never hold it.
pub(crate) const KEY_SEP: char = '\u{1f}';

/// One line of a region, as a framing gets it.
pub struct Line<'a> {
    /// The line without its newline (a `\r` before it is kept).
    pub(crate) bytes: &'a [u8],
    /// Whether a newline ends it (only the last line of a stream may lack one).
    pub(crate) ends: bool,
    /// Its line number (from 1) and the offset of its first byte in the artifact.
    pub(crate) number: u64,
    pub(crate) offset: u64,
}

/// The records of one stream on their way to hits: see the module doc.
pub struct Records<'a> {
    engine: &'a Engine,
    cfg: &'a ScanConfig,
    loc: &'a Locator,
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
    /// Records that should have been JSON and were not (scanned as text), and the first's place.
    not_json: u64,
    first_not_json: Option<(u64, u64)>,
    /// Lines longer than the read buffer, and candidates evaluated in a piece of a line
    /// longer than the record size (`--max-line`), for the diagnostic.
    long_lines: u64,
    cut_candidates: u64,
    /// The latest dated record seen (syslog times dated from it take its place) and the
    /// first one, for the years of syslog records (see [`super::syslog_year`]).
    year_ref: Option<Timestamp>,
    first_dated: Option<Timestamp>,
}

impl<'a> Records<'a> {
    /// A stream starting at `base_offset` of the artifact named by `loc`, with the messages
    /// an older file of the same log left open.
    pub(crate) fn new(
        engine: &'a Engine,
        cfg: &'a ScanConfig,
        loc: &'a Locator,
        base_offset: u64,
        carry: Carry,
    ) -> Self {
        Records {
            engine,
            cfg,
            loc,
            line: 1,
            abs: base_offset,
            line_off: 0,
            out: StreamScan::default(),
            last_line: (0, Vec::new()),
            pending: carry.0,
            hit_loc: None,
            not_json: 0,
            first_not_json: None,
            long_lines: 0,
            cut_candidates: 0,
            year_ref: None,
            first_dated: None,
        }
    }

    pub(crate) fn cfg(&self) -> &ScanConfig {
        self.cfg
    }

    pub(crate) fn locator(&self) -> &Locator {
        self.loc
    }

    /// Reading failed `buffered` bytes past the current region's start.
    pub(crate) fn read_failed(&mut self, buffered: usize, e: &std::io::Error) {
        self.out.diagnostics.push(Diagnostic::error(
            self.loc.clone().with_offset(self.abs + buffered as u64),
            format!("read failed, log scanned only up to here: {e}"),
        ));
    }

    /// Whether the region being read continues a line begun in an earlier one.
    pub(crate) fn in_long_line(&self) -> bool {
        self.line_off > 0
    }

    /// One record as the runtime wrote it, with its time and stream (empty: none), for the
    /// log's span; called for every record, candidate or not.
    pub(crate) fn count_record(&mut self, time: Option<Timestamp>, stream: &[u8]) {
        self.out.span.get_or_insert_with(LogSpan::default).add(time, stream);
    }

    /// Whether `bytes` holds a signature candidate (only candidates are evaluated).
    pub(crate) fn is_candidate(&mut self, bytes: &[u8]) -> bool {
        self.engine.has_candidate(bytes, &mut self.out.filter)
    }

    /// The time written on a text record: a dated one (kept as the reference for syslog
    /// years), else a syslog time dated with `--syslog-year` or the nearest earlier dated
    /// record of this stream, else a syslog time left for [`Self::finish`] or the bundle.
    fn text_time(&mut self, rec: &[u8]) -> (Option<Timestamp>, Option<SyslogTime>, Option<YearBasis>) {
        if let Some(t) = line_time(rec, None) {
            self.dated(t);
            return (Some(t), None, None);
        }
        let Some(s) = line_syslog(rec) else { return (None, None, None) };
        if let Some(y) = self.cfg.syslog_year {
            return (s.in_year(y), Some(s), Some(YearBasis::Given));
        }
        match self.year_ref.and_then(|r| s.nearest(r)) {
            Some(t) => {
                self.year_ref = Some(t);
                (Some(t), Some(s), Some(YearBasis::SameFile))
            }
            None => (None, Some(s), None),
        }
    }

    fn dated(&mut self, t: Timestamp) {
        self.year_ref = Some(t);
        self.first_dated.get_or_insert(t);
    }

    /// A region of whole lines is about to be cut: the time on its first line (one look per
    /// read buffer) is a reference for the years of syslog records that follow; until the
    /// stream's first dated line is found, up to [`YEAR_LOOK`] lines of each region are looked
    /// at for one (a syslog record before it takes the year nearest to it).
    pub(crate) fn region_head(&mut self, region: &[u8]) {
        if self.line_off > 0 || self.cfg.syslog_year.is_some() {
            return;
        }
        let looks = if self.first_dated.is_none() { YEAR_LOOK } else { 1 };
        for line in region.split(|b| *b == b'\n').take(looks) {
            if let Some(t) = line_time(trim_cr(line), None) {
                self.dated(t);
                return;
            }
        }
    }

    /// A line longer than the read buffer begins: counted for the diagnostic.
    pub(crate) fn count_long_line(&mut self) {
        self.long_lines += 1;
    }

    /// A region of `len` bytes holding `newlines` was read: the position moves past it.
    pub(crate) fn advance(&mut self, region: &[u8], newlines: u64) {
        self.line += newlines;
        self.abs += region.len() as u64;
        self.out.bytes += region.len() as u64;
        self.out.newlines += newlines;
        self.line_off = if region.last() == Some(&b'\n') { 0 } else { self.line_off + region.len() as u64 };
    }

    /// A piece of a line longer than the read buffer was read: the position moves past it.
    pub(crate) fn advance_in_line(&mut self, len: usize) {
        self.abs += len as u64;
        self.line_off += len as u64;
        self.out.bytes += len as u64;
    }

    /// Bulk search of complete lines (or one piece of a long line) as text: a record is the
    /// line around a candidate (its `max_record`-byte piece in a long line). Returns newlines.
    pub(crate) fn search_text(&mut self, region: &[u8]) -> u64 {
        let max_record = self.cfg.record_size();
        let m = max_record as u64;
        let mut pos = 0usize;
        let mut counted_pos = 0usize;
        let mut line = self.line;
        while pos < region.len() {
            let Some(c) = self.engine.next_candidate(region, pos, &mut self.out.filter) else { break };
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
            let time = if seg_in_line == 0 { self.text_time(rec) } else { (None, None, None) };
            self.record(rec, line, self.abs + seg_start as u64, time, None);
            pos = if seg_end == le { le + 1 } else { seg_end };
        }
        line - self.line + count_newlines(&region[counted_pos.min(region.len())..])
    }

    /// A line that is not in its framing (a stray line), evaluated as text with the time
    /// written on it.
    pub(crate) fn text_record(&mut self, raw: &[u8], line: u64, offset: u64) {
        let time = self.text_time(raw);
        self.record(raw, line, offset, time, None);
    }

    /// A record that should be JSON and is not: counted for the diagnostic, scanned as text.
    pub(crate) fn not_json(&mut self, raw: &[u8], line: u64, offset: u64) {
        self.not_json += 1;
        self.first_not_json.get_or_insert((line, offset));
        self.text_record(raw, line, offset);
    }

    /// One complete message of `stream` (empty: none known), evaluated when it holds a
    /// candidate; without a time of its own it gets the one written on it.
    pub(crate) fn message(
        &mut self,
        text: &[u8],
        line: u64,
        offset: u64,
        time: Option<Timestamp>,
        stream: &str,
    ) {
        let text = trim_cr(text.strip_suffix(b"\n").unwrap_or(text));
        if !self.is_candidate(text) {
            return;
        }
        let time = match time {
            Some(t) => (Some(t), None, None),
            None => self.text_time(text),
        };
        self.record(text, line, offset, time, (!stream.is_empty()).then(|| stream.to_string()));
    }

    /// Whether any message is being joined.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The message being joined under `key`, taken out.
    pub(crate) fn take_pending(&mut self, key: &str) -> Option<Pending> {
        self.pending.remove(key)
    }

    /// Keep joining `p` under `key`.
    pub(crate) fn hold(&mut self, key: String, p: Pending) {
        self.pending.insert(key, p);
    }

    /// A joined message is complete: evaluated, its hits placed where it began.
    pub(crate) fn emit(&mut self, p: Pending, stream: &str) {
        self.hit_loc = p.origin.clone();
        self.message(&p.text, p.line, p.offset, p.time, stream);
        self.hit_loc = None;
    }

    /// One part of a message of `stream`, joined with the earlier parts under `key` (up to
    /// `max_join` bytes); `partial` says more parts follow.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn join_part(
        &mut self,
        key: &str,
        stream: &str,
        msg: &[u8],
        partial: bool,
        line: u64,
        offset: u64,
        time: Option<Timestamp>,
    ) {
        let max_join = self.cfg.max_join;
        if let Some(mut p) = self.pending.remove(key) {
            let room = max_join.saturating_sub(p.text.len());
            p.text.extend_from_slice(&msg[..msg.len().min(room)]);
            if partial && p.text.len() < max_join {
                self.pending.insert(key.to_string(), p);
            } else {
                self.emit(p, stream);
            }
        } else if partial {
            let text = msg[..msg.len().min(max_join)].to_vec();
            self.pending.insert(key.to_string(), Pending { text, line, offset, time, origin: None });
        } else {
            self.message(msg, line, offset, time, stream);
        }
    }

    /// The messages left open, handed on to the next file of the same log.
    pub(crate) fn hand_on(&mut self) -> Carry {
        let mut open = std::mem::take(&mut self.pending);
        for p in open.values_mut() {
            p.origin.get_or_insert_with(|| self.loc.clone());
        }
        Carry(open)
    }

    fn record(
        &mut self,
        rec: &[u8],
        line: u64,
        offset: u64,
        (time, syslog, time_basis): (Option<Timestamp>, Option<SyslogTime>, Option<YearBasis>),
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
            if super::scanner_tools::is_scanner(&self.engine.rules()[m.rule]) {
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
                syslog,
                time_basis,
            });
        }
    }

    /// The end of the stream: messages still open are evaluated as they are, then the
    /// diagnostics (the framing's own, `framing_notes`, after the JSON one).
    pub(crate) fn finish(mut self, framing_notes: impl FnOnce(&Self) -> Vec<Diagnostic>) -> StreamScan {
        // Messages still open at the end are evaluated as they are, first: their hits are
        // dated below like every other.
        let pending = std::mem::take(&mut self.pending);
        for (key, p) in pending {
            let stream = key.split(KEY_SEP).next().unwrap_or_default().to_string();
            self.emit(p, &stream);
        }
        // Syslog records before the stream's first dated one: dated from it.
        if let Some(r) = self.first_dated {
            for h in self.out.hits.iter_mut().filter(|h| h.time.is_none()) {
                if let Some(t) = h.syslog.and_then(|s| s.nearest(r)) {
                    (h.time, h.time_basis) = (Some(t), Some(YearBasis::SameFile));
                }
            }
        }
        if self.not_json > 0 {
            let (line, offset) = self.first_not_json.unwrap_or((0, 0));
            self.out.diagnostics.push(Diagnostic::warning(
                self.loc.clone().with_line(line).with_offset(offset),
                format!("{} json-file record(s) are not valid JSON; scanned as plain text", self.not_json),
            ));
        }
        if let Some(span) = self.out.span.as_mut() {
            span.bytes = self.out.bytes;
        }
        let notes = framing_notes(&self);
        self.out.diagnostics.extend(notes);
        let m = self.cfg.record_size();
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

/// The lines of `region`, each handed to `cut` with its number and offset; returns the
/// newlines (the one loop every line-framed format is read with).
pub(crate) fn each_line(
    region: &[u8],
    out: &mut Records<'_>,
    mut cut: impl FnMut(Line<'_>, &mut Records<'_>),
) -> u64 {
    let mut start = 0usize;
    let mut number = out.line;
    let mut newlines = 0;
    while start < region.len() {
        let end = memchr::memchr(b'\n', &region[start..]).map_or(region.len(), |q| start + q);
        let ends = end < region.len();
        let offset = out.abs + start as u64;
        cut(Line { bytes: &region[start..end], ends, number, offset }, out);
        if ends {
            newlines += 1;
            number += 1;
        }
        start = end + 1;
    }
    newlines
}

/// Newlines in `b` (memchr's vectorised search: about 10 GB/s on ordinary log lines).
pub(crate) fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// `b` without a trailing `\r`.
pub(crate) fn trim_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
