//! The terminal writer: what an analyst wants first, per bundle. Every piece of evidence
//! text goes through `terminal_safe`, so attacker bytes never drive the terminal.

mod containers;
mod dataroot;
mod images;
mod logs;
mod processes;
mod story;
mod style;

pub(crate) use images::render_image;
use style::{heading, safe};
pub(crate) use style::{ColorChoice, Style};

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{BundleReport, Report};

/// How many timeline events the text summary shows per bundle (JSON has them all).
const TIMELINE_SHOWN: usize = 200;

/// Wrap every line of `s` longer than `width` (in characters) at spaces; continuation lines
/// get the line's own indent plus four spaces. Lines holding ctriage's colour escapes are
/// measured without them.
fn wrap(s: &str, width: usize) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    for line in s.split_inclusive('\n') {
        let (body, nl) = line.strip_suffix('\n').map(|b| (b, "\n")).unwrap_or((line, ""));
        if visible_len(body) <= width {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        let cont = " ".repeat((indent + 4).min(width / 2));
        let mut col = 0;
        let mut first = true;
        for word in body.trim_start().split(' ') {
            let wl = visible_len(word);
            if first {
                out.push_str(&body[..indent]);
                col = indent;
            } else if col + 1 + wl > width {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push('\n');
                out.push_str(&cont);
                col = cont.len();
            } else {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += wl;
            first = false;
        }
        out.push_str(nl);
    }
    out
}

/// Characters of `s` without ANSI SGR sequences (ctriage's own; evidence has none left).
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            _ => n += 1,
        }
    }
    n
}

/// Write only the response plans, numbered, as text.
pub(crate) fn write_plan(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    for b in &report.bundles {
        let _ = writeln!(s, "bundle {}", safe(&b.path));
        let errors = b.diagnostics.iter().filter(|d| d.level == crate::model::DiagLevel::Error).count();
        if errors > 0 {
            let _ = writeln!(
                s,
                "  {errors} error(s) reading this bundle's evidence (see the diagnostics of `ctriage scan`): \
                 this plan rests only on what could be read"
            );
        }
        response(&mut s, b);
    }
    out.write_all(s.as_bytes())
}

/// What `scan --out` prints: the run line, each bundle's verdicts, and every file written
/// with its size.
pub(crate) fn write_verdicts(
    report: &Report,
    style: &Style,
    written: &[(std::path::PathBuf, u64)],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut s = String::new();
    summary_lines(&mut s, report);
    for b in &report.bundles {
        let _ = writeln!(s, "\n################ bundle {} ({:?}) ################", safe(&b.path), b.kind);
        story::verdicts(&mut s, b, style);
    }
    heading(&mut s, "Written");
    for (path, bytes) in written {
        let _ = writeln!(s, "  {} ({bytes} bytes)", safe(&path.display().to_string()));
    }
    match style.width {
        Some(w) => out.write_all(wrap(&s, w).as_bytes()),
        None => out.write_all(s.as_bytes()),
    }
}

/// Write `report` as a terminal summary in `style`.
pub(crate) fn write_styled(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    summary_lines(&mut s, report);
    for b in &report.bundles {
        bundle(&mut s, b, style);
    }
    match style.width {
        Some(w) => out.write_all(wrap(&s, w).as_bytes()),
        None => out.write_all(s.as_bytes()),
    }
}

/// The report's first two lines: the run, and the counts.
fn summary_lines(s: &mut String, report: &Report) {
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
}

fn bundle(s: &mut String, b: &BundleReport, style: &Style) {
    let _ = writeln!(s, "\n################ bundle {} ({:?}) ################", safe(&b.path), b.kind);
    // What an analyst acts on first: the verdict, the chain, the facts with their proof,
    // processes, containers and their changes, the plan, what could not be read; then the
    // long tail (log hits, the timeline; all of both with --verbose) and custody.
    story::render(s, b, style);
    facts(s, b, style);
    processes::render(s, b);
    containers::render(s, b);
    dataroot::render(s, b);
    saved_diff(s, b);
    images::render(s, b);
    response(s, b);
    diagnostics(s, b);
    logs::render(s, b, style);
    timeline(s, b, style);
    artifacts(s, b, style.verbose);
}

/// Proof locations shown per fact without `--verbose` (JSON has them all).
const PROOF_SHOWN: usize = 3;

/// One entry per fact: severity, title, time and rules; what it is, one line; its proof.
fn facts(s: &mut String, b: &BundleReport, style: &Style) {
    let lines = crate::report::exchange::log_lines(b);
    heading(s, &format!("Findings ({})", b.findings.len()));
    if b.findings.is_empty() {
        let _ = writeln!(s, "  none");
    }
    let shown = if style.verbose { usize::MAX } else { PROOF_SHOWN };
    for f in &b.findings {
        let when = f.when.as_ref().map(|w| format!(" [{}]", w.describe())).unwrap_or_default();
        let _ = writeln!(
            s,
            "  [{}] {}{} ({})",
            style.sev(f.severity, &f.severity.as_str().to_uppercase()),
            safe(&f.title),
            when,
            f.rules.join(", ")
        );
        let _ = writeln!(s, "      {}", style.clip_after(&f.summary, 6));
        for l in f.evidence.iter().take(shown) {
            let _ = writeln!(s, "      proof: {}", safe(&l.to_string()));
            if let Some(line) = lines.get(l) {
                let _ = writeln!(s, "        | {}", style.clip_after(line, 10));
            }
        }
        if f.evidence.len() > shown {
            let _ =
                writeln!(s, "      ... and {} more locations (--verbose, JSON)", f.evidence.len() - shown);
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

fn timeline(s: &mut String, b: &BundleReport, style: &Style) {
    let verbose = style.verbose;
    if b.timeline.is_empty() {
        return;
    }
    // Files of the image's build layers are context, not the incident: the JSON has them.
    let is_build_file = |e: &crate::model::TimelineEvent| {
        e.kind == "file-change" && e.timestamp_desc.starts_with("layer created")
    };
    let shown: Vec<_> = b.timeline_events().filter(|e| !is_build_file(e)).collect();
    let build = b.timeline.len() - shown.len();
    heading(s, &format!("Timeline ({} events; {build} build-layer file events in JSON only)", shown.len()));
    let cap = if verbose { usize::MAX } else { TIMELINE_SHOWN };
    for e in shown.iter().take(cap) {
        let when = e.time.map(|t| t.to_string()).unwrap_or_else(|| "(no time)".into());
        let _ = writeln!(
            s,
            "  {when}  {:<14} {}",
            e.kind,
            style.clip_after(&format!("{}  [{}]", e.message, e.source), when.chars().count() + 19)
        );
    }
    if shown.len() > cap {
        let _ = writeln!(s, "  ... {} more (see JSON or --verbose)", shown.len() - cap);
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

fn artifacts(s: &mut String, b: &BundleReport, verbose: bool) {
    let bytes: u64 = b.artifacts.iter().map(|a| a.size).sum();
    let hashed = b.artifacts.iter().filter(|a| a.sha256.is_some()).count();
    heading(s, &format!("Artifacts ({}) - chain of custody", b.artifacts.len()));
    let _ = writeln!(
        s,
        "  {} artifacts, {bytes} bytes, {hashed} with SHA-256{}",
        b.artifacts.len(),
        if verbose { "" } else { " (every hash: --verbose, JSON, or --out's manifest.json)" }
    );
    // Without --verbose only the artifacts that could not be read fully are listed.
    for a in b.artifacts.iter().filter(|a| verbose || a.error.is_some()) {
        let sha = crate::digest::hex_or_dash(a.sha256);
        let wrap = if a.compression.is_some() {
            format!(" ({:?})", a.compression).to_lowercase()
        } else {
            String::new()
        };
        let _ = writeln!(s, "  {:<24} {:>12}  {}  {}{}", a.kind.as_str(), a.size, sha, safe(&a.path), wrap);
        if let Some(n) = a.note.as_ref().filter(|_| verbose) {
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
    heading(s, &format!("What could not be read: diagnostics ({})", b.diagnostics.len()));
    for d in &b.diagnostics {
        let lvl = match d.level {
            crate::model::DiagLevel::Error => "error",
            crate::model::DiagLevel::Warning => "warning",
        };
        let _ = writeln!(s, "  {lvl}: {}: {}", safe(&d.locator.to_string()), safe(&d.message));
    }
}

#[cfg(test)]
mod tests {
    use super::{visible_len, wrap, ColorChoice, Style};
    use crate::model::Severity;

    #[test]
    fn long_lines_wrap_at_spaces_with_an_indent() {
        let s = "  why: one two three four five six seven eight nine ten\nshort\n";
        assert_eq!(
            wrap(s, 24),
            "  why: one two three\n      four five six\n      seven eight nine\n      ten\nshort\n"
        );
        // A word longer than the width stays whole.
        assert_eq!(
            wrap("x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 10),
            "x\n    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        );
    }

    #[test]
    fn colour_escapes_do_not_count_and_no_color_wins() {
        let on = Style { color: true, ..Default::default() };
        let red = on.sev(Severity::High, "HIGH");
        assert_eq!(red, "\u{1b}[31mHIGH\u{1b}[0m");
        assert_eq!(visible_len(&red), 4);
        assert_eq!(Style::plain().sev(Severity::High, "HIGH"), "HIGH");
        assert!(!Style::detect(ColorChoice::Auto, true, true, false).color, "NO_COLOR");
        assert!(Style::detect(ColorChoice::Auto, true, false, false).color, "a terminal");
        assert!(!Style::detect(ColorChoice::Auto, false, false, false).color, "a pipe");
        assert!(Style::detect(ColorChoice::Always, false, true, false).color, "--color always");
        assert!(!Style::detect(ColorChoice::Never, true, false, false).color);
    }
}
