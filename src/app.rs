//! Running a parsed command line: the thread pool, dispatch to [`crate::commands`], and what
//! every command shares: exit codes, the run time, opening the output, writing a
//! report in a format.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;

use crate::cli::{Cli, Command, OutputArgs, ReportFormat};
use crate::report::{self, Report};

pub use crate::exit::{exit_code, EXIT_FAILURE, EXIT_FINDINGS, EXIT_UNREADABLE, EXIT_USAGE};
pub use crate::report::run_time;

/// Run a command; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    if let Some(n) = cli.jobs {
        // Only fails if a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.get()).build_global();
    }
    let result = match &cli.command {
        Command::Scan(a) => crate::commands::scan::run(a),
        Command::Layers(a) => crate::commands::layers::run(a),
        Command::Diff(a) => crate::commands::diff::run(a),
        Command::Logs(a) => crate::commands::logs::run(a),
        Command::Rules(a) => crate::commands::rules::run(a),
        Command::CollectScript(a) => crate::commands::collect_script::run(a),
        Command::Plan(a) => crate::commands::plan::run(a),
        Command::Case(a) => crate::commands::case::run(a),
        Command::Merge(a) => crate::commands::merge::run(a),
        Command::Completions(a) => crate::commands::completions::run(a),
        Command::Man => crate::commands::completions::man(),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("ctriage: error: {}", crate::model::terminal_safe(&format!("{e:#}")));
            EXIT_FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

/// Open the output: the `--output` file or standard output.
pub fn open_output(out: &Option<PathBuf>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match out {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// The version and commit clap knows (help, man page); `-V` / `--version` print
/// [`long_version`].
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("CTRIAGE_COMMIT"), ")");

/// `-V` / `--version`: the version, the commit, the report schema and how many rules of each
/// family are built in (one line). Counting them builds the rule engine, so it is done only
/// when asked, never while the command line is parsed.
pub fn long_version() -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    if let Ok(engine) = crate::logscan::Engine::builtin() {
        for r in crate::catalog::all(&engine) {
            *counts.entry(r.family).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    let each: Vec<String> = counts.iter().map(|(f, n)| format!("{n} {f}")).collect();
    format!(
        "{} (commit {}, report schema {}, {total} built-in rules: {})",
        env!("CARGO_PKG_VERSION"),
        COMMIT,
        report::SCHEMA_VERSION,
        each.join(", ")
    )
}

/// The git commit ctriage was built from (`unknown` outside a checkout).
pub const COMMIT: &str = env!("CTRIAGE_COMMIT");

/// Write a report in the chosen format.
pub fn write_report(report: &Report, out: &OutputArgs) -> anyhow::Result<()> {
    let mut w = open_output(&out.output)?;
    write_format(report, out.format.into(), &report::text::Style::plain(), &mut w)?;
    w.flush()?;
    Ok(())
}

/// Write `report` as `format`.
pub fn write_format(
    report: &Report,
    format: ReportFormat,
    style: &report::text::Style,
    w: &mut dyn Write,
) -> io::Result<()> {
    use report::exchange as x;
    match format {
        ReportFormat::Json => report::json::write(report, w),
        ReportFormat::Text => report::text::write_styled(report, style, w),
        ReportFormat::Jsonl => x::jsonl::write(report, w),
        ReportFormat::TimesketchCsv => x::timesketch::write_csv(report, w),
        ReportFormat::TimesketchJsonl => x::timesketch::write_jsonl(report, w),
        ReportFormat::Bodyfile => x::bodyfile::write(report, w),
        ReportFormat::IocsCsv => x::csv::write_iocs(report, w),
        ReportFormat::FindingsCsv => x::csv::write_findings(report, w),
        ReportFormat::Markdown => x::markdown::write(report, w),
        ReportFormat::Html => x::html::write(report, w),
        ReportFormat::Sh => report::plan::write(report, w),
    }
}
