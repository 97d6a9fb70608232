//! `docker top` / `ps` captures: text output of any ps format (driven by its header line)
//! and the Engine API's `{"Titles":[...],"Processes":[[...]]}` JSON, turned into process
//! records that carry their locator (artifact, line, byte offset).

pub(crate) mod tree;
pub(crate) use tree::ProcessTree;
mod capture;
mod columns;
mod values;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use serde::Deserialize;

use crate::evidence::Artifact;
use crate::model::{display_bytes, Diagnostic, Locator};

pub(crate) use capture::{CaptureFormat, Process, ProcessCapture};
pub(crate) use columns::{Column, Field};
pub(crate) use values::{kernel_style_name, program_name};

/// Longest line kept whole; longer lines are cut (with a warning).
const MAX_LINE: usize = 1 << 20;
/// Most process rows read from one capture.
const MAX_ROWS: usize = 250_000;
/// Largest API JSON capture read.
const MAX_JSON: u64 = 64 << 20;

/// Parse a top/ps artifact.
pub(crate) fn parse(artifact: &Artifact) -> (ProcessCapture, Vec<Diagnostic>) {
    let mut capture = ProcessCapture { artifact: artifact.path.clone(), ..Default::default() };
    let mut diags = Vec::new();
    let mut reader = match artifact.open() {
        Ok(r) => BufReader::new(r),
        Err(e) => {
            diags.push(Diagnostic::error(artifact.locator(), format!("cannot read process capture: {e}")));
            return (capture, diags);
        }
    };
    let json = match reader.fill_buf() {
        Ok(head) => {
            let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
            head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        }
        Err(e) => {
            diags.push(Diagnostic::error(artifact.locator(), format!("cannot read process capture: {e}")));
            return (capture, diags);
        }
    };
    let rows = if json {
        capture.format = CaptureFormat::ApiJson;
        parse_json(reader, &artifact.locator(), &mut capture.columns, &mut diags)
    } else {
        parse_text(reader, &artifact.locator(), &mut capture.columns, &mut diags)
    };
    finish_forest(&mut capture, rows);
    (capture, diags)
}

/// Per-row data kept until the whole capture is read (forest depth needs all rows).
struct Pending {
    /// Bytes of forest art before the command, measured from the command column's start.
    art_width: usize,
    markers: u32,
}

/// Rows read so far, with their pending forest data.
#[derive(Default)]
struct Rows {
    processes: Vec<Process>,
    pending: Vec<Pending>,
}

/// Read a text capture; `header` receives the first header's columns.
fn parse_text(
    mut reader: impl BufRead,
    base: &Locator,
    header: &mut Vec<Column>,
    diags: &mut Vec<Diagnostic>,
) -> Rows {
    let mut line = Vec::new();
    let mut lineno = 0u64;
    let mut offset = 0u64;
    let mut cols: Vec<Column> = Vec::new();
    let mut rows = Rows::default();
    loop {
        let start = offset;
        let (read, cut) = match read_line(&mut reader, &mut line) {
            Ok(x) => x,
            Err(e) => {
                diags.push(Diagnostic::error(
                    base.clone().with_line(lineno + 1).with_offset(start),
                    format!("read error: {e}"),
                ));
                break;
            }
        };
        if read == 0 {
            break;
        }
        lineno += 1;
        offset += read as u64;
        let loc = base.clone().with_line(lineno).with_offset(start);
        if cut {
            diags.push(Diagnostic::warning(loc.clone(), format!("line longer than {MAX_LINE} bytes; cut")));
        }
        let mut text: &[u8] = &line;
        if lineno == 1 {
            text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        }
        while let Some((&last, rest)) = text.split_last() {
            if last == b'\n' || last == b'\r' {
                text = rest;
            } else {
                break;
            }
        }
        if text.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let split = if cols.is_empty() { None } else { columns::split(text, &cols) };
        if split.is_none() && (cols.is_empty() || is_header(text)) {
            cols = columns::columns(&columns::header_titles(text));
            if header.is_empty() {
                *header = cols.clone();
            } else {
                diags.push(Diagnostic::warning(loc, "another header line: a further capture follows"));
            }
            if !cols.iter().any(|c| c.field == Field::Pid) {
                diags.push(Diagnostic::error(
                    base.clone().with_line(lineno),
                    "header has no PID column; rows cannot be read",
                ));
                return rows;
            }
            continue;
        }
        if rows.processes.len() >= MAX_ROWS {
            diags.push(Diagnostic::warning(
                loc,
                format!("more than {MAX_ROWS} process rows; the rest skipped"),
            ));
            return rows;
        }
        match split {
            Some(split) => rows.push(text, &cols, &split, loc, true),
            None => diags.push(Diagnostic::warning(
                loc,
                format!(
                    "row does not fit the header ({} columns): {}",
                    cols.len(),
                    crate::model::excerpt(text, 0, 0, 120)
                ),
            )),
        }
    }
    rows
}

/// A header line: it names a PID column and a command column.
fn is_header(line: &[u8]) -> bool {
    let titles = columns::header_titles(line);
    let f: Vec<Field> = titles.iter().map(|(t, _, _)| columns::field_of(t)).collect();
    f.contains(&Field::Pid) && f.iter().any(|x| matches!(x, Field::Args | Field::Comm))
}

/// Read one line (through `\n`) into `buf`, keeping at most `MAX_LINE` bytes of it.
/// Returns (bytes consumed, whether the line was cut).
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    buf.clear();
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok((consumed, cut));
        }
        let (chunk, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (&avail[..=i], true),
            None => (avail, false),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        if chunk.len() > room {
            cut = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        r.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, cut));
        }
    }
}

/// The Engine API form of `docker top`.
#[derive(Deserialize)]
struct ApiTop {
    #[serde(alias = "titles")]
    #[serde(rename = "Titles")]
    titles: Vec<String>,
    #[serde(alias = "processes")]
    #[serde(rename = "Processes")]
    processes: Option<Vec<Vec<serde_json::Value>>>,
}

/// Read an API JSON capture; `header` receives the columns of its `Titles`.
fn parse_json(
    reader: impl Read,
    base: &Locator,
    header: &mut Vec<Column>,
    diags: &mut Vec<Diagnostic>,
) -> Rows {
    let mut rows = Rows::default();
    let mut raw = Vec::new();
    if let Err(e) = reader.take(MAX_JSON + 1).read_to_end(&mut raw) {
        diags.push(Diagnostic::error(base.clone(), format!("read error: {e}")));
        return rows;
    }
    if raw.len() as u64 > MAX_JSON {
        diags.push(Diagnostic::error(
            base.clone(),
            format!("top JSON larger than {MAX_JSON} bytes; not read"),
        ));
        return rows;
    }
    let bom = if raw.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    let raw = &raw[bom..];
    let top: ApiTop = match serde_json::from_slice(raw) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                base.clone().with_line(e.line() as u64),
                format!("not a docker top JSON object: {e}"),
            ));
            return rows;
        }
    };
    let cols = columns::from_titles(&top.titles);
    *header = cols.clone();
    if !cols.iter().any(|c| c.field == Field::Pid) {
        diags.push(Diagnostic::error(base.clone(), "Titles has no PID column; rows cannot be read"));
        return rows;
    }
    let offsets = row_offsets(raw);
    let processes = top.processes.unwrap_or_default();
    if processes.len() > MAX_ROWS {
        diags.push(Diagnostic::warning(
            base.clone(),
            format!("more than {MAX_ROWS} process rows; the rest skipped"),
        ));
    }
    // Row offsets ascend, so line numbers are counted incrementally.
    let (mut counted_to, mut line_no) = (0usize, 1u64);
    for (i, row) in processes.into_iter().enumerate().take(MAX_ROWS) {
        let loc = match offsets.get(i) {
            Some(&off) => {
                line_no += memchr::memchr_iter(b'\n', &raw[counted_to..off]).count() as u64;
                counted_to = off;
                base.clone().with_line(line_no).with_offset((off + bom) as u64)
            }
            None => base.clone(),
        };
        let cells: Vec<String> = row
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect();
        let mut line = Vec::new();
        let mut spans = Vec::new();
        for c in &cells {
            if !line.is_empty() {
                line.push(b' ');
            }
            let s = line.len();
            line.extend_from_slice(c.as_bytes());
            spans.push((!c.is_empty()).then_some((s, line.len())));
        }
        let anchor = spans.last().copied().flatten().map_or(0, |(s, _)| s.saturating_sub(1));
        let direct = columns::Split { cells: spans, last_anchor: anchor };
        // Docker splits ps output on whitespace, so a multi-word `lstart` arrives as
        // `Fri` with the rest shifted into the last cell: re-split those rows.
        let shifted = cols
            .iter()
            .zip(&cells)
            .any(|(c, v)| c.field == Field::Start && columns::is_weekday(v.as_bytes()));
        let split = if cells.len() == cols.len() && !shifted && columns::valid(&line, &direct, &cols) {
            Some(direct)
        } else {
            columns::split(&line, &cols)
        };
        match split {
            Some(s) => rows.push(&line, &cols, &s, loc, false),
            None => diags.push(Diagnostic::warning(
                loc,
                format!("process row {} does not fit Titles ({} columns)", i + 1, cols.len()),
            )),
        }
    }
    rows
}

/// Byte offsets of the rows of the top-level `Processes` array.
fn row_offsets(raw: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    let mut key_start = 0;
    let mut last_key: &[u8] = b"";
    let mut in_processes = false;
    for (i, &b) in raw.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
                if depth == 1 {
                    last_key = &raw[key_start..i];
                }
            }
            continue;
        }
        match b {
            b'"' => {
                in_str = true;
                key_start = i + 1;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth == 2 && b == b'[' {
                    in_processes = last_key.eq_ignore_ascii_case(b"Processes");
                } else if depth == 3 && in_processes && b == b'[' {
                    out.push(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

impl Rows {
    /// Turn one split row into a process record. `aligned`: the line is the capture's own
    /// text, so forest art can be measured against the header's column.
    fn push(
        &mut self,
        line: &[u8],
        cols: &[Column],
        split: &columns::Split,
        locator: Locator,
        aligned: bool,
    ) {
        let mut p = Process { locator, ..Default::default() };
        let mut pending = Pending { art_width: 0, markers: 0 };
        let mut start_title: Option<&str> = None;
        for (i, (col, cell)) in cols.iter().zip(&split.cells).enumerate() {
            let Some((a, b)) = *cell else { continue };
            let mut a = a;
            if i + 1 == cols.len() && matches!(col.field, Field::Args | Field::Comm) {
                let from = split.last_anchor.min(a);
                let (markers, art) = values::forest_art(&line[from..b]);
                a = from + art;
                pending.markers = markers;
                if aligned {
                    pending.art_width = a.saturating_sub(col.start.max(split.last_anchor + 1));
                }
            }
            let v = display_bytes(&line[a..b]);
            let num = || v.parse::<f64>().ok().filter(|x| x.is_finite());
            match col.field {
                Field::Pid => p.pid = v.parse().unwrap_or(0),
                Field::Ppid => p.ppid = v.parse().ok(),
                Field::User => p.user = Some(v),
                Field::Uid => match v.parse() {
                    Ok(u) => p.uid = Some(u),
                    Err(_) => p.user = p.user.take().or(Some(v)),
                },
                // With several start columns the first full date wins; the others go to `extra`.
                // `docker top -eo ...,lstart` pads the date's words apart (`Tue      Dec 1`):
                // a run of spaces that wide is the CLI's column padding, not ps's.
                Field::Start => {
                    let v = if v.contains("   ") {
                        v.split_whitespace().collect::<Vec<_>>().join(" ")
                    } else {
                        v
                    };
                    match (values::start_date(&v), p.started, start_title) {
                        (Some(t), None, prev) => {
                            if let (Some(old), Some(title)) = (p.start.replace(v), prev) {
                                insert_extra(&mut p.extra, title, old);
                            }
                            p.started = Some(t);
                            start_title = Some(&col.title);
                        }
                        (_, _, None) => {
                            p.start = Some(v);
                            start_title = Some(&col.title);
                        }
                        _ => insert_extra(&mut p.extra, &col.title, v),
                    }
                }
                Field::Elapsed => match values::elapsed_secs(&v) {
                    Some(s) => p.elapsed = Some(s),
                    None => insert_extra(&mut p.extra, &col.title, v),
                },
                Field::CpuTime => p.cpu_time = Some(v),
                Field::Tty => p.tty = Some(v),
                Field::Stat => p.stat = Some(v),
                Field::CpuPercent => p.cpu_percent = num(),
                Field::MemPercent => p.mem_percent = num(),
                Field::Vsz => p.vsz = v.parse().ok(),
                Field::Rss => p.rss = v.parse().ok(),
                Field::Args => p.cmd = v,
                Field::Comm => p.comm = Some(v),
                Field::Other => insert_extra(&mut p.extra, &col.title, v),
            }
        }
        if p.cmd.is_empty() {
            p.cmd = p.comm.clone().unwrap_or_default();
        }
        p.exe = program_name(&p.cmd);
        if p.exe.is_empty() {
            p.exe = p.comm.clone().unwrap_or_default();
        }
        self.processes.push(p);
        self.pending.push(pending);
    }
}

fn insert_extra(extra: &mut BTreeMap<String, String>, title: &str, v: String) {
    let mut key = title.to_string();
    let mut n = 1;
    while extra.contains_key(&key) {
        n += 1;
        key = format!("{title}#{n}");
    }
    extra.insert(key, v);
}

/// Decide whether the capture has forest art and give every row its depth: `ps f` art
/// (` \_ `, 4 columns a level; docker top keeps only the markers) or, without a PPID
/// column, `ps -H` indentation (2 columns a level).
fn finish_forest(capture: &mut ProcessCapture, rows: Rows) {
    let Rows { mut processes, pending } = rows;
    let bsd = pending.iter().any(|d| d.markers > 0);
    let min_width = pending.iter().map(|d| d.art_width).min().unwrap_or(0);
    let unix = !bsd && !capture.has_ppid() && pending.iter().any(|d| d.art_width > min_width);
    if bsd || unix {
        capture.forest = true;
        for (p, d) in processes.iter_mut().zip(&pending) {
            let depth = if bsd {
                d.markers.max(((d.art_width + 2) / 4) as u32)
            } else {
                ((d.art_width - min_width) / 2) as u32
            };
            p.forest_depth = Some(depth);
        }
    }
    capture.processes = processes;
}

#[cfg(test)]
pub(crate) mod tests;
