//! CSV of the attacker-side indicators and of the findings, for a spreadsheet, a ticket or a
//! blocklist. Text is terminal-safe, and a cell that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'` (OWASP's CSV injection
//! advice): evidence text never runs as a formula.

use crate::evidence::own::{FINDING_COLUMNS, IOC_COLUMNS};
use std::io::{self, Write};

use super::container_of;
use crate::model::terminal_safe;
use crate::report::Report;

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
    use super::cell;

    #[test]
    fn formulas_and_controls_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("a\u{1b}[31m"), "a\\x1b[31m");
        assert_eq!(cell("plain"), "plain");
    }
}
