//! The command line (clap derive): the global options and one subcommand per command, whose
//! arguments each command's own file defines. Parsing only; [`super::dispatch`] runs them.

use clap::{Parser, Subcommand};

use super::{case, collect_script, completions, diff, extract, layers, logs, merge, plan, rules, scan};

/// Offline container forensics: analyse saved container evidence without a Docker daemon.
#[derive(Parser, Debug)]
#[command(
    name = "ctriage",
    version = super::version::VERSION,
    about,
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Worker threads (default: one per core; at least 1).
    #[arg(long, short = 'j', global = true, value_name = "N")]
    pub(crate) jobs: Option<std::num::NonZeroUsize>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Analyse one or more evidence bundles and write one report.
    Scan(scan::ScanArgs),
    /// Show an image's layers: history step, size, files added / modified / deleted.
    Layers(layers::LayersArgs),
    /// Rebuild `docker diff` offline from a `docker export` and its image.
    Diff(diff::DiffArgs),
    /// Copy a file, a tree or a container's merged filesystem out of the evidence.
    Extract(extract::ExtractArgs),
    /// Scan log files directly for attack signatures.
    Logs(logs::LogsArgs),
    /// List or check detection rules.
    Rules(rules::RulesArgs),
    /// Print a POSIX sh script that captures a live container's evidence bundle.
    CollectScript(collect_script::CollectArgs),
    /// Answer questions across the bundles of a batch's case database (case.sqlite).
    Case(case::CaseArgs),
    /// Merge the outputs of several batch workers (case databases, bundle folders, summaries).
    Merge(merge::MergeArgs),
    /// Print the response plan for bundles as a POSIX sh script (nothing is run).
    Plan(plan::PlanArgs),
    /// Print shell completions for bash, zsh, fish, elvish or PowerShell.
    Completions(completions::CompletionsArgs),
    /// Print a man page (roff) on standard output, or write one per command with `--dir`.
    Man(completions::ManArgs),
}
