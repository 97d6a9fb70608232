//! The formats the writers write, each with the file name `scan --out` gives it, and the one
//! place a format picks its writer.

use std::io::{self, Write};

use clap::ValueEnum;

use super::Report;

/// Report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A readable summary for a terminal.
    Text,
    /// The full report as JSON (see docs/report-schema.json).
    Json,
}

/// Every format `scan` writes (`--out DIR` writes them all at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// A readable summary for a terminal, verdict first.
    Text,
    /// The full report as JSON (see docs/report-schema.json).
    Json,
    /// One self-describing JSON record a line, ECS-style names (OpenSearch, Elasticsearch, Velociraptor).
    Jsonl,
    /// Timesketch timeline, CSV (message, datetime, timestamp_desc, ...).
    TimesketchCsv,
    /// Timesketch timeline, JSONL.
    TimesketchJsonl,
    /// TSK 3.x bodyfile of image and container files (for `mactime -b`).
    Bodyfile,
    /// Attacker-side indicators, CSV.
    IocsCsv,
    /// Findings, CSV.
    FindingsCsv,
    /// A Markdown summary for an incident ticket.
    Markdown,
    /// One self-contained HTML page (no external resource of any kind).
    Html,
    /// The response plan as a POSIX sh script (nothing is run by ctriage).
    Sh,
}

impl ReportFormat {
    /// Every format, in the order `--out` writes them.
    pub(crate) const ALL: [ReportFormat; 11] = [
        ReportFormat::Text,
        ReportFormat::Json,
        ReportFormat::Jsonl,
        ReportFormat::TimesketchCsv,
        ReportFormat::TimesketchJsonl,
        ReportFormat::Bodyfile,
        ReportFormat::IocsCsv,
        ReportFormat::FindingsCsv,
        ReportFormat::Markdown,
        ReportFormat::Html,
        ReportFormat::Sh,
    ];

    /// The file name `--out` gives this format.
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Text => "report.txt",
            ReportFormat::Json => "report.json",
            ReportFormat::Jsonl => "records.jsonl",
            ReportFormat::TimesketchCsv => "timesketch.csv",
            ReportFormat::TimesketchJsonl => "timesketch.jsonl",
            ReportFormat::Bodyfile => "bodyfile.txt",
            ReportFormat::IocsCsv => "iocs.csv",
            ReportFormat::FindingsCsv => "findings.csv",
            ReportFormat::Markdown => "summary.md",
            ReportFormat::Html => "report.html",
            ReportFormat::Sh => "plan.sh",
        }
    }
}

impl From<Format> for ReportFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => ReportFormat::Text,
            Format::Json => ReportFormat::Json,
        }
    }
}

/// Write `report` as `format` (`style`: how the text report looks; the other formats ignore it).
pub(crate) fn write(
    report: &Report,
    format: ReportFormat,
    style: &super::text::Style,
    w: &mut dyn Write,
) -> io::Result<()> {
    use super::exchange as x;
    match format {
        ReportFormat::Json => super::json::write(report, w),
        ReportFormat::Text => super::text::write_styled(report, style, w),
        ReportFormat::Jsonl => x::jsonl::write(report, w),
        ReportFormat::TimesketchCsv => x::timesketch::write_csv(report, w),
        ReportFormat::TimesketchJsonl => x::timesketch::write_jsonl(report, w),
        ReportFormat::Bodyfile => x::bodyfile::write(report, w),
        ReportFormat::IocsCsv => x::csv::write_iocs(report, w),
        ReportFormat::FindingsCsv => x::csv::write_findings(report, w),
        ReportFormat::Markdown => x::markdown::write(report, w),
        ReportFormat::Html => x::html::write(report, w),
        ReportFormat::Sh => super::plan::write(report, w),
    }
}
