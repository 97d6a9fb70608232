//! Command-line interface definitions (clap derive). Parsing only; `app` runs commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::collect::CollectArgs;
use crate::image::command::{DiffArgs, LayersArgs};
use crate::logscan::command::{LogsArgs, RulesArgs};
use crate::model::Severity;

/// Offline container forensics: analyse saved container evidence without a Docker daemon.
#[derive(Parser, Debug)]
#[command(name = "ctriage", version, about, long_about = None)]
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
    Scan(ScanArgs),
    /// Show an image's layers: history step, size, files added / modified / deleted.
    Layers(LayersArgs),
    /// Rebuild `docker diff` offline from a `docker export` and its image.
    Diff(DiffArgs),
    /// Scan log files directly for attack signatures.
    Logs(LogsArgs),
    /// List or check detection rules.
    Rules(RulesArgs),
    /// Print a POSIX sh script that captures a live container's evidence bundle.
    CollectScript(CollectArgs),
}

/// Report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary for a terminal.
    Text,
    /// The full report as JSON (see docs/report-schema.json).
    Json,
}

/// Output options shared by every command.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress bar and no diagnostics on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `ctriage scan`
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Evidence bundles: directories, bundle archives (.tar, .tar.gz, .tgz, .tar.zst) or single
    /// artifact files. Each PATH is one bundle. Evidence is only ever read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Exit with bit 0 set (code 1 or 3) when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = Severity::High, value_name = "SEVERITY")]
    pub fail_on: Severity,
    /// Extra log-signature rule files (see docs/rules.md).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Directories of Sigma rules (webserver / proxy for logs, linux process_creation for
    /// process captures) added to the bundled set.
    #[arg(long = "sigma", value_name = "DIR")]
    pub sigma: Vec<PathBuf>,
    /// The image the container ran from, when it is not in the bundle (for container changes).
    #[arg(long, value_name = "IMAGE")]
    pub base_image: Option<PathBuf>,
}
