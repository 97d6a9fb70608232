//! One self-contained HTML page: the verdict, the chain, a timeline chart (inline SVG), the
//! process tree, the file-change tree and a filterable, sortable findings table, readable
//! printed. Rendered with maud, which escapes every interpolated value; evidence text is also
//! made terminal-safe first, so control characters and bidi overrides show as escapes instead
//! of reordering what the reader sees. The page names no URL of any kind and its Content
//! Security Policy allows nothing but its own style and script (by hash): even a value that
//! slipped through could neither run nor fetch.

mod tree;

use std::collections::BTreeMap;
use std::io::{self, Write};

use base64::Engine as _;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

use super::{container_of, fact_time, is_real};
use crate::model::{terminal_safe, Locator, Severity, Timestamp};
use crate::report::{BundleReport, Report};

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");
/// Points drawn in the timeline chart per bundle (the JSON has every event).
const CHART_POINTS: usize = 3000;

/// Evidence text for the page: terminal-safe (maud escapes the HTML).
fn t(s: &str) -> String {
    terminal_safe(s)
}

fn csp_hash(s: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes())))
}

fn rank(s: Severity) -> u8 {
    s as u8
}

/// Write the page.
pub(crate) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; connect-src 'none'; form-action 'none'; \
         base-uri 'none'",
        csp_hash(CSS),
        csp_hash(JS)
    );
    let sm = &report.summary;
    let head = html! {
        meta charset="utf-8";
        meta http-equiv="Content-Security-Policy" content=(csp);
        meta name="referrer" content="no-referrer";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { "ctriage report" }
        style { (PreEscaped(CSS)) }
    };
    // The document is written in parts (head, one bundle at a time, tail) so a big report
    // is never held whole in memory twice.
    write!(out, "{}<html lang=\"en\"><head>", DOCTYPE.into_string())?;
    out.write_all(head.into_string().as_bytes())?;
    out.write_all(b"</head><body>")?;
    let top = html! {
        h1 { "ctriage report" }
        p.meta {
            "ctriage " (report.tool.version) " (schema " (report.schema_version) "), run " (report.run.time.to_iso_seconds())
            ": " (sm.bundles) " bundle(s), " (sm.artifacts) " artifact(s); findings: "
            (sm.findings["critical"]) " critical, " (sm.findings["high"]) " high, " (sm.findings["medium"]) " medium, "
            (sm.findings["low"]) " low, " (sm.findings["info"]) " info; " (sm.errors) " error(s), " (sm.warnings) " warning(s)"
        }
    };
    out.write_all(top.into_string().as_bytes())?;
    for (i, b) in report.bundles.iter().enumerate() {
        out.write_all(bundle(i, b).into_string().as_bytes())?;
    }
    let tail = html! { script { (PreEscaped(JS)) } };
    out.write_all(tail.into_string().as_bytes())?;
    out.write_all(b"</body></html>\n")
}

fn bundle(i: usize, b: &BundleReport) -> Markup {
    let lines = super::log_lines(b);
    html! {
        section.bundle id=(format!("bundle-{i}")) {
            h2 { "Bundle " (t(&b.path)) }
            (verdicts(b))
            (chain(b))
            (chart(b))
            (findings(b, &lines))
            (processes(b))
            (root_containers(b))
            (tree::file_changes(b))
            (iocs(b))
            (plan(b))
            (custody(b))
        }
    }
}

fn verdicts(b: &BundleReport) -> Markup {
    html! {
        @for v in &b.story.verdicts {
            div class=(format!("verdict {}", v.status.replace(' ', "-"))) {
                h3 {
                    "Verdict: " (v.container.as_deref().map(t).unwrap_or_else(|| "this bundle".into())) ": "
                    span.status { (v.status) }
                }
                p { (t(&v.reason)) }
                ul {
                    @if let Some(w) = &v.way_in { li { "way in: " (t(w)) } }
                    @for (label, items) in [("attacker", &v.attackers), ("live session", &v.live_sessions),
                        ("persistence to remove", &v.persistence), ("escape path open", &v.escape_paths),
                        ("secrets to rotate", &v.secrets), ("cluster identity held", &v.identities)] {
                        @for x in items { li { (label) ": " (t(x)) } }
                    }
                }
            }
        }
    }
}

fn chain(b: &BundleReport) -> Markup {
    html! {
        @if !b.story.chain.is_empty() {
            h3 { "Attack chain" }
            ol.chain {
                @for c in &b.story.chain {
                    li {
                        span.stage { (c.stage) } (t(&c.title)) " "
                        span.mute { "[" (c.when.describe()) "]" }
                        @if let Some(n) = &c.note { br; span.mute { "note: " (t(n)) } }
                        @for l in c.proof.iter().take(3) { br; code.ev { "proof: " (t(&l.to_string())) } }
                    }
                }
            }
        }
    }
}

/// A point of the timeline chart.
struct Point {
    time: Timestamp,
    kind: &'static str,
    label: String,
}

fn chart(b: &BundleReport) -> Markup {
    let mut points: Vec<Point> = vec![];
    for e in b.timeline_events() {
        // Build-layer files are context, not the incident (as in the terminal report).
        if e.kind == "file-change" && e.timestamp_desc.starts_with("layer created") {
            continue;
        }
        let Some(time) = e.time.filter(|t| is_real(*t)) else { continue };
        let kind = match e.kind.as_ref() {
            "file-change" => "file-change",
            "log-hit" => "log-hit",
            "process-start" => "process-start",
            "container" => "container",
            _ => "other",
        };
        points.push(Point {
            time,
            kind,
            label: format!("{} {}: {}", time.to_iso_seconds(), e.kind, e.message),
        });
    }
    for f in &b.findings {
        if let Some(time) = fact_time(f) {
            points.push(Point {
                time,
                kind: "finding",
                label: format!("{} {}", time.to_iso_seconds(), f.title),
            });
        }
    }
    points.sort_by(|a, b| (a.time, a.kind, &a.label).cmp(&(b.time, b.kind, &b.label)));
    // The chart is the incident: from its first act to the newest event. What lies before
    // (a forged or old mtime, the base image's build) is listed under the chart instead of
    // squeezing the incident into one dot.
    let (inside, outside): (Vec<Point>, Vec<Point>) = match window(b, &points) {
        Some((lo, hi)) => points.into_iter().partition(|p| p.time >= lo && p.time <= hi),
        None => (points, vec![]),
    };
    let mut points = inside;
    let total = points.len();
    points.truncate(CHART_POINTS);
    let (Some(first), Some(last)) = (points.first().map(|p| p.time), points.last().map(|p| p.time)) else {
        return html! {};
    };
    let rows = ["finding", "log-hit", "process-start", "file-change", "container", "other"];
    let (w, left, row_h) = (1000.0_f64, 110.0_f64, 22.0_f64);
    let span = (last.unix_secs() - first.unix_secs()).max(1) as f64;
    let x = |t: Timestamp| left + (t.unix_secs() - first.unix_secs()) as f64 / span * (w - left - 10.0);
    let h = row_h * rows.len() as f64 + 30.0;
    html! {
        h3 { "Timeline (" (points.len()) " of " (total) " timed events of the incident window)" }
        svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" {
            title { "Events over time" }
            @for (r, name) in rows.iter().enumerate() {
                @let y = 15.0 + row_h * r as f64;
                line.axis x1=(left) y1=(y) x2=(w - 10.0) y2=(y) {}
                text x="4" y=(y + 3.0) { (name) }
            }
            @for p in &points {
                @let r = rows.iter().position(|n| *n == p.kind).unwrap_or(rows.len() - 1);
                circle class=(format!("k-{}", p.kind)) cx=(format!("{:.1}", x(p.time))) cy=(15.0 + row_h * r as f64) r="4" {
                    title { (t(&p.label)) }
                }
            }
            text x=(left) y=(h - 6.0) { (first.to_iso_seconds()) }
            text x=(w - 10.0) y=(h - 6.0) text-anchor="end" { (last.to_iso_seconds()) }
        }
        @if !outside.is_empty() {
            details.outliers {
                summary { (outside.len()) " event(s) outside the incident window (before its first act: old or forged times, the image's build)" }
                ul {
                    @for p in outside.iter().take(OUTLIERS_SHOWN) { li { (t(&p.label)) } }
                    @if outside.len() > OUTLIERS_SHOWN { li { "... " (outside.len() - OUTLIERS_SHOWN) " more (JSON)" } }
                }
            }
        }
    }
}

/// Events listed under the chart as outside the incident window (the JSON has them all).
const OUTLIERS_SHOWN: usize = 50;

/// The incident window: from the first act of the story (a chain stage, an exploit attempt),
/// less a twentieth of the window (at least a minute) for context, to the newest event.
/// None when the story has no dated act: the chart then shows everything.
fn window(b: &BundleReport, points: &[Point]) -> Option<(Timestamp, Timestamp)> {
    let start = b
        .story
        .chain
        .iter()
        .filter_map(|c| c.when.key())
        .chain(b.story.attempts.iter().filter_map(|a| a.first_seen))
        .filter(|t| is_real(*t))
        .min()?;
    let end = points.iter().map(|p| p.time).max()?.max(start);
    let margin = ((end.unix_secs() - start.unix_secs()) / 20).max(60);
    Some((Timestamp::from_unix(start.unix_secs() - margin, 0), end))
}

fn findings(b: &BundleReport, lines: &BTreeMap<&Locator, &str>) -> Markup {
    html! {
        h3 { "Findings (" span.count { (b.findings.len()) } " shown of " (b.findings.len()) ")" }
        div.findings-box {
            div.controls {
                input.filter type="search" placeholder="filter findings (rule, title, text, proof)" aria-label="filter findings";
                select.min-severity aria-label="minimum severity" {
                    option value="0" { "all severities" }
                    option value="1" { "low and above" }
                    option value="2" { "medium and above" }
                    option value="3" { "high and above" }
                    option value="4" { "critical" }
                }
            }
            table.findings {
                thead { tr {
                    @for name in ["severity", "rule", "title", "when"] {
                        th.sortable scope="col" tabindex="0" aria-sort="none" { (name) }
                    }
                    th scope="col" { "summary and proof" }
                } }
                tbody {
                    @for f in &b.findings {
                        tr data-rank=(rank(f.severity)) tabindex="0" {
                            td data-key=(rank(f.severity)) { span class=(format!("sev {}", f.severity)) { (f.severity) } }
                            td { code { (t(&f.rule)) } @if f.rules.len() > 1 { br; span.mute { (t(&f.rules.join(", "))) } } }
                            td { (t(&f.title)) @if let Some(c) = container_of(f) { br; span.mute { "container " (t(&c)) } } }
                            td data-key=(fact_time(f).map(|t| t.to_iso()).unwrap_or_default()) {
                                (f.when.as_ref().map(|w| w.describe()).unwrap_or_default())
                            }
                            td {
                                (t(&f.summary))
                                details {
                                    summary { (f.evidence.len()) " proof(s)" }
                                    @for l in f.evidence.iter().take(20) {
                                        div { code.ev { (t(&l.to_string())) } }
                                        @if let Some(line) = lines.get(l) { pre { (t(line)) } }
                                    }
                                    @if f.evidence.len() > 20 { div.mute { "... and " (f.evidence.len() - 20) " more (see JSON)" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn processes(b: &BundleReport) -> Markup {
    html! {
        @for p in &b.processes {
            h3 { "Processes (" (t(&p.capture.artifact)) ", " (p.capture.processes.len()) ")" }
            (tree::processes(p))
        }
    }
}

/// The containers of the bundle's data roots: what was running, and when each one talked
/// (its logs' first and last record, records per stream, files).
fn root_containers(b: &BundleReport) -> Markup {
    let Some(d) = &b.data_root else { return html! {} };
    let all: Vec<_> = d
        .docker
        .iter()
        .chain(&d.containers_storage)
        .chain(&d.containerd)
        .flat_map(|r| &r.containers)
        .collect();
    let when = |x: Option<Timestamp>| x.map(|t| t.to_iso_seconds()).unwrap_or_else(|| "-".into());
    html! {
        @if !all.is_empty() {
            h3 { "Data-root containers (" (all.len()) ")" }
            table {
                thead { tr {
                    th { "container" } th { "state" } th { "driver" } th { "first log record" }
                    th { "last log record" } th { "records (stdout / stderr)" } th { "log files (rotated)" }
                } }
                tbody {
                    @for c in &all {
                        tr {
                            td { (t(&c.name)) br; code.mute { (t(c.id.get(..12).unwrap_or(&c.id))) } }
                            td { (match c.running { Some(true) => "running", Some(false) => "not running", None => "unknown" }) }
                            td { (t(c.driver.as_deref().unwrap_or("-"))) }
                            @match &c.log_span {
                                Some(l) => {
                                    td { (when(l.first)) } td { (when(l.last)) }
                                    td { (l.records) " (" (l.stdout) " / " (l.stderr) ")" }
                                    td { (l.files) " (" (l.rotated_files) ")" }
                                }
                                None => { td { "-" } td { "-" } td { "no log read" } td { (c.logs.len()) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn iocs(b: &BundleReport) -> Markup {
    html! {
        @if !b.story.iocs.is_empty() {
            h3 { "Attacker-side indicators (" (b.story.iocs.len()) ")" }
            table {
                thead { tr { th { "type" } th { "value" } th { "role" } th { "what it did" } th { "first seen" } } }
                tbody {
                    @for i in &b.story.iocs {
                        tr {
                            td { (i.kind.as_str()) } td { code { (t(&i.value)) } } td { (i.roles.join(", ")) }
                            td { (t(&i.reason)) @if let Some(p) = &i.path { " " code { (t(p)) } } }
                            td { (i.first_seen.map(|t| t.to_iso_seconds()).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

fn plan(b: &BundleReport) -> Markup {
    html! {
        @if !b.response_plan.is_empty() {
            h3 { "Response plan" }
            ol {
                @for s in &b.response_plan {
                    li {
                        strong { (t(&s.step)) } ": " (t(&s.why))
                        @if !s.commands.is_empty() { pre { @for c in &s.commands { (t(c)) "\n" } } }
                    }
                }
            }
        }
    }
}

fn custody(b: &BundleReport) -> Markup {
    html! {
        h3 { "Chain of custody (" (b.artifacts.len()) " artifacts)" }
        table {
            thead { tr { th { "artifact" } th { "kind" } th { "size" } th { "sha256" } } }
            tbody {
                @for a in &b.artifacts {
                    tr {
                        td { code { (t(&a.path)) } } td { (a.kind.as_str()) } td { (a.size) }
                        td { code { (crate::digest::hex_or_dash(a.sha256)) } }
                    }
                }
            }
        }
        @if !b.diagnostics.is_empty() {
            h3 { "What could not be read (" (b.diagnostics.len()) ")" }
            ul { @for d in &b.diagnostics { li { code.ev { (t(&d.locator.to_string())) } ": " (t(&d.message)) } } }
        }
    }
}
