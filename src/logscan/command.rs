//! `ctriage logs` and `ctriage rules` (PLACEHOLDER).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::OutputArgs;

/// `ctriage logs FILE...`
#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Log files (json-file, docker logs -t, plain; .gz/.zst looked through).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Extra rule files.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `ctriage rules ...`
#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// Rule subcommands.
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the built-in rules (and those of --rules files).
    List {
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Check a rule file and report errors with line numbers.
    Check { file: PathBuf },
}

/// Run `logs`.
pub fn run_logs(_args: &LogsArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}

/// Run `rules`.
pub fn run_rules(_args: &RulesArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}
