//! The report: one value per run, written by [`json`] or [`text`]. Writers never analyse.

pub(crate) mod exchange;
pub(crate) mod format;
pub(crate) mod json;
pub(crate) mod out;
pub(crate) mod plan;
pub(crate) mod text;
mod timeline;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

pub(crate) use crate::analyze::response::ResponseStep;
use crate::analyze::story::Story;
pub(crate) use crate::bundle::{ArtifactRecord, Evidence, ProcessReport};
use crate::evidence::BundleKind;
use crate::model::{DiagLevel, Diagnostic, Fact, Severity, TimelineEvent, Timestamp};
pub use timeline::Timeline;

/// A serde_json error as the I/O error it is (a closed pipe stays `BrokenPipe`).
pub(crate) fn json_io(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::new(kind, e),
        None => std::io::Error::other(e),
    }
}

/// A csv error as the I/O error it is (a closed pipe stays `BrokenPipe`).
pub(crate) fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// The run time recorded in reports: now, or `SOURCE_DATE_EPOCH` when set (reproducible runs).
pub(crate) fn run_time() -> Timestamp {
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse::<i64>().ok()) {
        return Timestamp::from_unix(t, 0);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Timestamp::from_unix(now.as_secs() as i64, now.subsec_nanos())
}

/// Version of the JSON contract (docs/report-schema.json). Bump the major on breaking change.
pub(crate) const SCHEMA_VERSION: &str = "3.0";

/// One run's report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: Tool,
    pub run: Run,
    pub summary: Summary,
    pub bundles: Vec<BundleReport>,
}

/// The tool that wrote the report.
#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
    /// The git commit it was built from (`unknown` outside a checkout).
    pub commit: &'static str,
}

/// The run: when (UTC; `SOURCE_DATE_EPOCH` pins it for reproducible reports), how ctriage
/// was called, on which host, by which build. The same in every command's JSON.
#[derive(Debug, Serialize)]
pub struct Run {
    pub time: Timestamp,
    /// The command line after the program name, less the worker count (`-j`, `--jobs`):
    /// it never changes a byte of a report, so two runs on the same evidence with the same
    /// options give the same bytes whatever the threads.
    pub arguments: Vec<String>,
    /// The options in effect, defaults included (name -> value).
    pub options: BTreeMap<String, String>,
    /// The host name of the machine that ran ctriage.
    pub host: String,
    pub tool_version: &'static str,
    pub commit: &'static str,
}

impl Run {
    /// This process's run at `time`, with no options recorded yet.
    pub fn now(time: Timestamp) -> Self {
        Run {
            time,
            arguments: without_jobs(std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned())),
            options: BTreeMap::new(),
            host: host_name(),
            tool_version: env!("CARGO_PKG_VERSION"),
            commit: env!("CTRIAGE_COMMIT"),
        }
    }
}

/// Arguments less `-j N`, `-jN`, `--jobs N` and `--jobs=N`.
fn without_jobs(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = vec![];
    let mut skip_next = false;
    for a in args {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if a == "-j" || a == "--jobs" {
            skip_next = true;
        } else if !(a.starts_with("--jobs=")
            || (a.starts_with("-j") && a[2..].bytes().all(|b| b.is_ascii_digit())))
        {
            out.push(a);
        }
    }
    out
}

/// The kernel's host name (empty when it cannot be read).
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

impl Tool {
    /// This build of ctriage.
    pub fn this() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            commit: env!("CTRIAGE_COMMIT"),
        }
    }
}

/// Totals over all bundles.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub bundles: usize,
    pub artifacts: usize,
    /// Findings per severity (all five keys always present).
    pub findings: BTreeMap<&'static str, usize>,
    pub highest_severity: Option<Severity>,
    /// Diagnostics of level error: evidence that could not be read.
    pub errors: usize,
    pub warnings: usize,
}

/// Everything found in one bundle: what was read (the [`Evidence`]) and what the analysis
/// concluded from it.
#[derive(Debug)]
pub struct BundleReport {
    pub evidence: Evidence,
    /// The verdict per container, the attack chain, attempts, hosts by side, attacker-side
    /// IOCs and the deduplicated log records.
    pub story: Story,
    /// Facts (one per thing that happened or holds, every rule and proof folded in), sorted
    /// by severity (highest first), then rule, then evidence.
    pub findings: Vec<Fact>,
    /// Sorted by time (unknown last), then order, then source; read it with
    /// [`BundleReport::timeline_events`].
    pub timeline: Timeline,
    pub response_plan: Vec<ResponseStep>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A bundle report as serialized: the timeline's `file-change` events rendered in place.
#[derive(Serialize)]
struct BundleOut<'a> {
    #[serde(flatten)]
    evidence: &'a Evidence,
    #[serde(flatten)]
    story: &'a Story,
    findings: &'a [Fact],
    timeline: TimelineOut<'a>,
    response_plan: &'a [ResponseStep],
    diagnostics: &'a [Diagnostic],
}

/// The timeline of a bundle report, serialized as the sequence of its events.
struct TimelineOut<'a>(&'a BundleReport);

impl Serialize for TimelineOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.timeline_events())
    }
}

impl Serialize for BundleReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        BundleOut {
            evidence: &self.evidence,
            story: &self.story,
            findings: &self.findings,
            timeline: TimelineOut(self),
            response_plan: &self.response_plan,
            diagnostics: &self.diagnostics,
        }
        .serialize(s)
    }
}

impl std::ops::Deref for BundleReport {
    type Target = Evidence;
    fn deref(&self) -> &Evidence {
        &self.evidence
    }
}

impl std::ops::DerefMut for BundleReport {
    fn deref_mut(&mut self) -> &mut Evidence {
        &mut self.evidence
    }
}

impl BundleReport {
    /// The timeline's events in order (those of file changes rendered from the records).
    pub fn timeline_events(&self) -> impl ExactSizeIterator<Item = Cow<'_, TimelineEvent>> {
        self.timeline.iter(self.image.file_events())
    }

    /// A report for a bundle with its custody records and every section still empty.
    pub fn new(path: String, kind: BundleKind, artifacts: Vec<ArtifactRecord>) -> Self {
        BundleReport {
            evidence: Evidence::new(path, kind, artifacts),
            story: Default::default(),
            findings: vec![],
            timeline: Timeline::default(),
            response_plan: vec![],
            diagnostics: vec![],
        }
    }
}

impl Report {
    /// Build the report and its summary from bundle reports.
    pub fn new(bundles: Vec<BundleReport>, time: Timestamp) -> Self {
        let mut summary = Summary { bundles: bundles.len(), ..Default::default() };
        for s in ["critical", "high", "medium", "low", "info"] {
            summary.findings.insert(s, 0);
        }
        for b in &bundles {
            summary.artifacts += b.artifacts.len();
            for f in &b.findings {
                *summary.findings.entry(f.severity.as_str()).or_default() += 1;
                summary.highest_severity = summary.highest_severity.max(Some(f.severity));
            }
            for d in &b.diagnostics {
                match d.level {
                    DiagLevel::Error => summary.errors += 1,
                    DiagLevel::Warning => summary.warnings += 1,
                }
            }
        }
        Report { schema_version: SCHEMA_VERSION, tool: Tool::this(), run: Run::now(time), summary, bundles }
    }
}
