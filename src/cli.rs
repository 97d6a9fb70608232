//! Command-line interface definitions (clap derive). Parsing only; `app` runs commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Severity;

/// Offline container forensics: analyse saved container evidence without a Docker daemon.
#[derive(Parser, Debug)]
#[command(
    name = "ctriage",
    version = crate::app::VERSION,
    about,
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Worker threads (default: one per core; at least 1).
    #[arg(long, short = 'j', global = true, value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse one or more evidence bundles and write one report.
    Scan(crate::commands::scan::ScanArgs),
    /// Show an image's layers: history step, size, files added / modified / deleted.
    Layers(crate::commands::layers::LayersArgs),
    /// Rebuild `docker diff` offline from a `docker export` and its image.
    Diff(crate::commands::diff::DiffArgs),
    /// Scan log files directly for attack signatures.
    Logs(crate::commands::logs::LogsArgs),
    /// List or check detection rules.
    Rules(crate::commands::rules::RulesArgs),
    /// Print a POSIX sh script that captures a live container's evidence bundle.
    CollectScript(crate::commands::collect_script::CollectArgs),
    /// Answer questions across the bundles of a batch's case database (case.sqlite).
    Case(crate::commands::case::CaseArgs),
    /// Merge the outputs of several batch workers (case databases, bundle folders, summaries).
    Merge(crate::commands::merge::MergeArgs),
    /// Print the response plan for bundles as a POSIX sh script (nothing is run).
    Plan(crate::commands::plan::PlanArgs),
    /// Print shell completions for bash, zsh, fish, elvish or PowerShell.
    Completions(crate::commands::completions::CompletionsArgs),
    /// Print the man page (roff) on standard output.
    Man,
}

/// Report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary for a terminal.
    Text,
    /// The full report as JSON (see docs/report-schema.json).
    Json,
}

/// Every format `scan` writes (`--out DIR` writes them all at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
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
    pub const ALL: [ReportFormat; 11] = [
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
    pub fn file_name(self) -> &'static str {
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

/// When to colour the terminal report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

/// `--fail-on`: the severity that sets exit bit 0, or `none`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Never set exit bit 0 for findings.
    None,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    /// The threshold, None for `none`.
    pub fn severity(self) -> Option<Severity> {
        Some(match self {
            FailOn::None => return None,
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        })
    }
}

/// Output options shared by every command.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress bar and no diagnostics on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
