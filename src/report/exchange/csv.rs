//! CSV of the attacker-side indicators and of the findings, for a spreadsheet, a ticket or a
//! blocklist. Text is terminal-safe, and a cell that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'` (OWASP's CSV injection
//! advice): evidence text never runs as a formula.

use std::io::{self, Write};

use super::container_of;
use crate::model::terminal_safe;
use crate::report::Report;

/// Columns of the indicator CSV: `role` is one word (`callback`, `payload-server`,
/// `mining-pool`, `request-source`, `ssh-key`, `wallet`, `dropped-file`), `roles` every role
/// it played (space-separated), `reason` what it did in words.
pub(crate) const IOC_COLUMNS: [&str; 10] =
    ["bundle", "type", "value", "role", "path", "first_seen", "last_seen", "evidence", "roles", "reason"];
/// Columns of the findings CSV.
pub(crate) const FINDING_COLUMNS: [&str; 11] = [
    "bundle",
    "container",
    "severity",
    "rule",
    "rules",
    "category",
    "attack",
    "title",
    "summary",
    "time",
    "evidence",
];

/// A cell: terminal-safe, and never a formula.
pub(crate) fn cell(s: &str) -> String {
    let s = terminal_safe(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

fn writer(out: &mut dyn Write) -> ::csv::Writer<&mut dyn Write> {
    ::csv::Writer::from_writer(out)
}

/// Write the indicators of every bundle.
pub(crate) fn write_iocs(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record(IOC_COLUMNS).map_err(crate::report::csv_io)?;
    for b in &report.bundles {
        for i in &b.story.iocs {
            let t = |t: Option<crate::model::Timestamp>| t.map(|t| t.to_iso()).unwrap_or_default();
            let ev: Vec<String> = i.evidence.iter().map(|l| l.to_string()).collect();
            let row = [
                b.path.as_str(),
                i.kind.as_str(),
                &i.value,
                i.role,
                i.path.as_deref().unwrap_or(""),
                &t(i.first_seen),
                &t(i.last_seen),
                &ev.join("; "),
                &i.roles.join(" "),
                &i.reason,
            ]
            .map(cell);
            w.write_record(&row).map_err(crate::report::csv_io)?;
        }
    }
    w.flush()
}

/// Write the findings (facts) of every bundle, most severe first as in the report.
pub(crate) fn write_findings(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = writer(out);
    w.write_record(FINDING_COLUMNS).map_err(crate::report::csv_io)?;
    for b in &report.bundles {
        for f in &b.findings {
            let ev: Vec<String> = f.evidence.iter().map(|l| l.to_string()).collect();
            let when = f.when.as_ref().map(|w| w.describe()).or_else(|| f.time.map(|t| t.to_iso()));
            let row = [
                b.path.as_str(),
                &container_of(f).unwrap_or_default(),
                f.severity.as_str(),
                &f.rule,
                &f.rules.join(" "),
                &f.category,
                f.attack.as_deref().unwrap_or(""),
                &f.title,
                &f.summary,
                when.as_deref().unwrap_or(""),
                &ev.join("; "),
            ]
            .map(cell);
            w.write_record(&row).map_err(crate::report::csv_io)?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::{cell, FINDING_COLUMNS, IOC_COLUMNS};

    #[test]
    fn formulas_and_controls_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("a\u{1b}[31m"), "a\\x1b[31m");
        assert_eq!(cell("plain"), "plain");
    }

    /// Own-output recognition (evidence/own.rs) knows the headers these writers write.
    #[test]
    fn own_output_recognition_knows_the_writers_headers() {
        use crate::evidence::own::{CSV_HEADERS, TIMESKETCH_KEYS};
        use crate::report::exchange::timesketch;
        assert_eq!(CSV_HEADERS[0], IOC_COLUMNS.join(","));
        assert_eq!(CSV_HEADERS[1], FINDING_COLUMNS.join(","));
        assert_eq!(CSV_HEADERS[2], timesketch::COLUMNS.join(","));
        assert_eq!(TIMESKETCH_KEYS, timesketch::COLUMNS);
    }
}
