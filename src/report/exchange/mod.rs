//! Exchange formats: what other tools read. Timesketch CSV and JSONL ([`timesketch`]), the
//! TSK 3.x bodyfile for `mactime` ([`bodyfile`]), self-describing JSONL records with ECS-style
//! names ([`jsonl`]), CSV of indicators and of findings ([`csv`]), a Markdown summary for a
//! ticket ([`markdown`]) and one self-contained HTML page ([`html`]). Every writer reads only
//! the report and writes record by record.

pub(crate) mod bodyfile;
pub(crate) mod csv;
pub(crate) mod html;
pub(crate) mod jsonl;
pub(crate) mod markdown;
pub(crate) mod timesketch;

use std::collections::BTreeMap;

use crate::model::{Fact, Locator, Timestamp};
use crate::report::BundleReport;

/// The container a fact is about (its typed owner's name, else short id), else none.
pub(crate) fn container_of(f: &Fact) -> Option<String> {
    f.owner.as_ref().and_then(crate::model::Owner::as_container).map(|c| c.handle().to_string())
}

/// Whether a time is a real one: not the Unix epoch itself, which tar writers and
/// reproducible builds put where there is no time.
pub(crate) fn is_real(t: Timestamp) -> bool {
    t.unix_secs() != 0 || t.subsec_nanos() != 0
}

/// The time of a fact when it has a real one (not a bound): exchange formats carry no
/// event without a real time.
pub(crate) fn fact_time(f: &Fact) -> Option<Timestamp> {
    f.when.as_ref().and_then(|w| w.time).or(f.time).filter(|t| is_real(*t))
}

/// What a fact's time rests on, for `timestamp_desc`.
pub(crate) fn fact_basis(f: &Fact) -> String {
    match &f.when {
        Some(w) if w.time.is_some() => w.basis.clone(),
        _ => "finding time".into(),
    }
}

/// ISO 8601 UTC with microseconds and a `+00:00` offset, as Timesketch documents `datetime`.
pub(crate) fn iso_micros(t: Timestamp) -> String {
    let iso = t.to_iso();
    // `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` -> `YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00`
    match iso.split_once('.') {
        Some((head, frac)) => format!("{head}.{}+00:00", &frac[..6.min(frac.len())]),
        None => iso.trim_end_matches('Z').to_string() + "+00:00",
    }
}

/// Microseconds since the epoch (Timesketch's `timestamp`).
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.unix_secs().saturating_mul(1_000_000).saturating_add(i64::from(t.subsec_nanos() / 1000))
}

/// The excerpt of the log record each locator points at (for showing a proof's line).
pub(crate) fn log_lines(b: &BundleReport) -> BTreeMap<&Locator, &str> {
    let mut m = BTreeMap::new();
    for r in &b.story.log_records {
        for l in &r.locators {
            m.entry(l).or_insert(r.excerpt.as_str());
        }
    }
    for h in &b.logs.log_hits {
        m.entry(&h.locator).or_insert(h.excerpt.as_str());
    }
    m
}
