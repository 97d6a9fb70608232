//! Timesketch timelines, CSV and JSONL: the documented mandatory `message`, `datetime`
//! (ISO 8601) and `timestamp_desc`, Timesketch's own `timestamp` (microseconds), then
//! `source`, `path`, `rule`, `severity`, `container` and `bundle`. Events are every timeline
//! event and every fact that has a real time; nothing without one (a bound is no time, nor is
//! the Unix epoch a tar writer puts where it has none).

use crate::evidence::own::TIMESKETCH_COLUMNS as COLUMNS;
use std::io::{self, Write};

use serde_json::{Map, Value};

use super::{container_of, fact_basis, fact_time, is_real, iso_micros, micros};
use crate::model::{terminal_safe, Timestamp};
use crate::report::{BundleReport, Report};

/// One Timesketch event, borrowed from the report.
pub(crate) struct Event<'a> {
    pub time: Timestamp,
    pub message: String,
    pub timestamp_desc: String,
    pub source: String,
    pub path: String,
    pub rule: &'a str,
    pub severity: &'a str,
    pub container: String,
    pub bundle: &'a str,
}

impl Event<'_> {
    /// The values in [`COLUMNS`] order.
    fn values(&self) -> [String; 10] {
        [
            self.message.clone(),
            iso_micros(self.time),
            self.timestamp_desc.clone(),
            micros(self.time).to_string(),
            self.source.clone(),
            self.path.clone(),
            self.rule.to_string(),
            self.severity.to_string(),
            self.container.to_string(),
            self.bundle.to_string(),
        ]
    }
}

/// Every event of a bundle that has a real time, in time order (timeline events before
/// facts at the same instant, each in report order).
pub(crate) fn events(b: &BundleReport) -> Vec<Event<'_>> {
    let only = if b.containers.len() == 1 { b.containers[0].name.as_str() } else { "" };
    let mut out: Vec<(Timestamp, usize, Event<'_>)> = vec![];
    for (i, e) in b.timeline_events().enumerate() {
        let Some(time) = e.time.filter(|t| is_real(*t)) else { continue };
        out.push((
            time,
            i,
            Event {
                time,
                message: e.message.to_string(),
                timestamp_desc: e.timestamp_desc.to_string(),
                source: format!("ctriage:{}", e.kind),
                path: e.source.to_string(),
                rule: "",
                severity: "",
                container: only.to_string(),
                bundle: &b.path,
            },
        ));
    }
    let base = b.timeline.len();
    for (i, f) in b.findings.iter().enumerate() {
        let Some(time) = fact_time(f) else { continue };
        out.push((
            time,
            base + i,
            Event {
                time,
                message: format!("[{}] {}: {}", f.severity.as_str().to_uppercase(), f.title, f.summary),
                timestamp_desc: fact_basis(f),
                source: "ctriage:finding".into(),
                path: f.evidence.first().map(|l| l.to_string()).unwrap_or_default(),
                rule: &f.rule,
                severity: f.severity.as_str(),
                container: container_of(f).unwrap_or_default(),
                bundle: &b.path,
            },
        ));
    }
    out.sort_by_key(|(t, i, _)| (*t, *i));
    out.into_iter().map(|(_, _, e)| e).collect()
}

/// Write the CSV: a header, then one row an event. Text fields are terminal-safe (control
/// characters shown as escapes), so the file can be looked at with `less` or `cat`.
pub(crate) fn write_csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(COLUMNS).map_err(crate::report::csv_io)?;
    for b in &report.bundles {
        for e in events(b) {
            let row = e.values().map(|v| terminal_safe(&v));
            w.write_record(&row).map_err(crate::report::csv_io)?;
        }
    }
    w.flush()
}

/// Write JSONL: one object an event, keys in [`COLUMNS`] order (`timestamp` a number).
pub(crate) fn write_jsonl(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for b in &report.bundles {
        for e in events(b) {
            let mut m = Map::new();
            for (k, v) in COLUMNS.iter().zip(e.values()) {
                let v = if *k == "timestamp" { Value::from(micros(e.time)) } else { Value::from(v) };
                m.insert((*k).to_string(), v);
            }
            serde_json::to_writer(&mut *out, &m).map_err(crate::report::json_io)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
