//! The terminal writer: what an analyst wants first, per bundle. Every piece of evidence
//! text goes through `terminal_safe`, so attacker bytes never drive the terminal.

mod containers;
mod images;
mod logs;
mod processes;
mod story;

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{BundleReport, Report};
use crate::model::terminal_safe;

/// How many timeline events the text summary shows per bundle (JSON has them all).
const TIMELINE_SHOWN: usize = 80;

/// Write `report` as a terminal summary.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ctriage {} report (schema {}), run {}",
        report.tool.version, report.schema_version, report.run.time
    );
    let sm = &report.summary;
    let _ = writeln!(
        s,
        "{} bundle(s), {} artifact(s); findings: {} critical, {} high, {} medium, {} low, {} info; {} error(s), {} warning(s)",
        sm.bundles,
        sm.artifacts,
        sm.findings["critical"],
        sm.findings["high"],
        sm.findings["medium"],
        sm.findings["low"],
        sm.findings["info"],
        sm.errors,
        sm.warnings
    );
    for b in &report.bundles {
        bundle(&mut s, b);
    }
    out.write_all(s.as_bytes())
}

/// A section heading.
pub(crate) fn heading(s: &mut String, title: &str) {
    let _ = writeln!(s, "\n== {title} ==");
}

/// Shorthand for escaping evidence text.
pub(crate) fn safe(t: &str) -> String {
    terminal_safe(t)
}

fn bundle(s: &mut String, b: &BundleReport) {
    let _ = writeln!(s, "\n################ bundle {} ({:?}) ################", safe(&b.path), b.kind);
    story::render(s, b);
    findings(s, b);
    containers::render(s, b);
    processes::render(s, b);
    saved_diff(s, b);
    images::render(s, b);
    logs::render(s, b);
    timeline(s, b);
    response(s, b);
    artifacts(s, b);
    diagnostics(s, b);
}

fn findings(s: &mut String, b: &BundleReport) {
    heading(s, &format!("Findings ({})", b.findings.len()));
    if b.findings.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for f in &b.findings {
        let when = f.when.as_ref().map(|w| format!(" [{}]", w.describe())).unwrap_or_default();
        let _ = writeln!(
            s,
            "  [{}] {}{} ({})",
            f.severity.as_str().to_uppercase(),
            safe(&f.title),
            when,
            f.rules.join(", ")
        );
        let _ = writeln!(s, "      {}", safe(&f.summary));
        for l in f.evidence.iter().take(5) {
            let _ = writeln!(s, "      proof: {}", safe(&l.to_string()));
        }
        if f.evidence.len() > 5 {
            let _ = writeln!(s, "      ... and {} more locations (see JSON)", f.evidence.len() - 5);
        }
    }
}

/// How many saved `docker diff` lines the text summary shows (JSON has them all).
const DIFF_SHOWN: usize = 60;

fn saved_diff(s: &mut String, b: &BundleReport) {
    // Cross-checked against the rebuilt changes, the saved diff is those lines (and the
    // disagreements are listed there): not printed twice.
    let checked = b.image.container_changes.as_ref().is_some_and(|c| c.saved_entries > 0);
    if b.diff.is_empty() || checked {
        return;
    }
    heading(s, &format!("Saved docker diff ({} entries)", b.diff.len()));
    for d in b.diff.iter().take(DIFF_SHOWN) {
        let _ = writeln!(s, "  {} {}", d.change.letter(), safe(&d.path));
    }
    if b.diff.len() > DIFF_SHOWN {
        let _ = writeln!(s, "  ... {} more (see JSON)", b.diff.len() - DIFF_SHOWN);
    }
}

fn timeline(s: &mut String, b: &BundleReport) {
    if b.timeline.is_empty() {
        return;
    }
    // Files of the image's build layers are context, not the incident: the JSON has them.
    let is_build_file = |e: &&crate::model::TimelineEvent| {
        e.kind == "file-change" && e.timestamp_desc.starts_with("layer created")
    };
    let shown: Vec<_> = b.timeline.iter().filter(|e| !is_build_file(e)).collect();
    let build = b.timeline.len() - shown.len();
    heading(s, &format!("Timeline ({} events; {build} build-layer file events in JSON only)", shown.len()));
    for e in shown.iter().take(TIMELINE_SHOWN) {
        let when = e.time.map(|t| t.to_string()).unwrap_or_else(|| "(no time)".into());
        let _ =
            writeln!(s, "  {when}  {:<14} {}  [{}]", e.kind, safe(&e.message), safe(&e.source.to_string()));
    }
    if shown.len() > TIMELINE_SHOWN {
        let _ = writeln!(s, "  ... {} more (see JSON)", shown.len() - TIMELINE_SHOWN);
    }
}

fn response(s: &mut String, b: &BundleReport) {
    if b.response_plan.is_empty() {
        return;
    }
    heading(s, "Response plan");
    for (i, r) in b.response_plan.iter().enumerate() {
        let _ = writeln!(s, "  {}. {} - {}", i + 1, safe(&r.step), safe(&r.why));
        for c in &r.commands {
            let _ = writeln!(s, "       $ {}", safe(c));
        }
    }
}

fn artifacts(s: &mut String, b: &BundleReport) {
    heading(s, &format!("Artifacts ({}) - chain of custody", b.artifacts.len()));
    for a in &b.artifacts {
        let sha = a.sha256.as_deref().unwrap_or("-");
        let wrap = if a.compression.is_some() {
            format!(" ({:?})", a.compression).to_lowercase()
        } else {
            String::new()
        };
        let _ = writeln!(s, "  {:<24} {:>12}  {}  {}{}", a.kind.as_str(), a.size, sha, safe(&a.path), wrap);
        if let Some(n) = &a.note {
            let _ = writeln!(s, "  {:<24} note: {}", "", safe(n));
        }
        if let Some(e) = &a.error {
            let _ = writeln!(s, "  {:<24} ERROR: {}", "", safe(e));
        }
    }
}

fn diagnostics(s: &mut String, b: &BundleReport) {
    if b.diagnostics.is_empty() {
        return;
    }
    heading(s, &format!("Diagnostics ({})", b.diagnostics.len()));
    for d in &b.diagnostics {
        let lvl = match d.level {
            crate::model::DiagLevel::Error => "error",
            crate::model::DiagLevel::Warning => "warning",
        };
        let _ = writeln!(s, "  {lvl}: {}: {}", safe(&d.locator.to_string()), safe(&d.message));
    }
}
