//! Running a parsed command line: the thread pool, then the command, whose result becomes
//! the process exit code (an error: one line on standard error and exit 70, 64 for a rule file the user gave; a closed pipe
//! downstream is no error).

use std::io;

use clap::CommandFactory;

use super::cli::{Cli, Command};
use super::{
    batch, case, collect_script, completions, diff, extract, layers, logs, merge, plan, rules, scan,
};

/// Run a command; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    if let Some(n) = cli.jobs {
        // Only fails if a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.get()).build_global();
    }
    let result = match &cli.command {
        Command::Scan(a) if a.batch.batch.is_some() => batch::run(a),
        Command::Scan(a) => scan::run(a),
        Command::Layers(a) => layers::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Extract(a) => extract::run(a),
        Command::Logs(a) => logs::run(a),
        Command::Rules(a) => rules::run(a),
        Command::CollectScript(a) => collect_script::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Case(a) => case::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Completions(a) => completions::run(a, Cli::command()),
        Command::Man(a) => completions::man(a, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) if e.chain().any(|c| c.is::<crate::logscan::RuleFileError>()) => {
            eprintln!("ctriage: error: {}", crate::model::terminal_safe(&format!("{e:#}")));
            crate::exit::EXIT_USAGE
        }
        Err(e) => {
            eprintln!("ctriage: error: {}", crate::model::terminal_safe(&format!("{e:#}")));
            crate::exit::EXIT_FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}
