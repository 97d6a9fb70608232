//! Running a parsed command line: thread pool, progress, writing the report, exit codes.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::cli::{Cli, Command, Format, OutputArgs, ScanArgs};
use crate::logscan::Engine;
use crate::model::{DiagLevel, Timestamp};
use crate::report::{self, Report};
use crate::scan::{scan_bundle, ScanOptions};

/// Exit bit 0: a finding at or above `--fail-on`.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit bit 1: some evidence could not be read.
pub const EXIT_UNREADABLE: i32 = 2;
/// Command-line usage error.
pub const EXIT_USAGE: i32 = 64;
/// ctriage itself failed (e.g. the output file could not be written).
pub const EXIT_FAILURE: i32 = 70;

/// Run a command; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    if let Some(n) = cli.jobs {
        // Only fails if a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.get()).build_global();
    }
    let result = match &cli.command {
        Command::Scan(a) => run_scan(a),
        Command::Layers(a) => crate::image::command::run_layers(a),
        Command::Diff(a) => crate::image::command::run_diff(a),
        Command::Logs(a) => crate::logscan::command::run_logs(a),
        Command::Rules(a) => crate::logscan::command::run_rules(a),
        Command::CollectScript(a) => crate::collect::run_collect(a),
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

/// The run time recorded in reports: now, or `SOURCE_DATE_EPOCH` when set (reproducible runs).
pub fn run_time() -> Timestamp {
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse::<i64>().ok()) {
        return Timestamp::from_unix(t, 0);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Timestamp::from_unix(now.as_secs() as i64, now.subsec_nanos())
}

/// A progress bar on stderr, hidden unless stderr is a terminal and not `--quiet`.
pub fn progress(len: u64, quiet: bool, what: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} {elapsed}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(what.to_string());
    pb
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

/// Write a report in the chosen format.
pub fn write_report(report: &Report, out: &OutputArgs) -> anyhow::Result<()> {
    let mut w = open_output(&out.output)?;
    match out.format {
        Format::Json => report::json::write(report, &mut w)?,
        Format::Text => report::text::write(report, &mut w)?,
    }
    w.flush()?;
    Ok(())
}

/// The exit code a report earns.
pub fn exit_code(report: &Report, fail_on: crate::model::Severity) -> i32 {
    let mut code = 0;
    if report.summary.highest_severity.is_some_and(|s| s >= fail_on) {
        code |= EXIT_FINDINGS;
    }
    if report.bundles.iter().any(|b| b.diagnostics.iter().any(|d| d.level == DiagLevel::Error)) {
        code |= EXIT_UNREADABLE;
    }
    code
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<i32> {
    let engine = Engine::with_sources(&args.rules, &args.sigma, true)?;
    let opts = ScanOptions { base_image: args.base_image.clone() };
    let pb = progress(args.paths.len() as u64, args.output.quiet, "bundles");
    let bundles: Vec<_> = args
        .paths
        .par_iter()
        .map(|p| {
            let b = scan_bundle(p, &engine, &opts);
            pb.inc(1);
            b
        })
        .collect();
    pb.finish_and_clear();
    let report = Report::new(bundles, run_time());
    if !args.output.quiet {
        for b in &report.bundles {
            for d in b.diagnostics.iter().filter(|d| d.level == DiagLevel::Error) {
                eprintln!(
                    "ctriage: {}: {}: {}",
                    crate::model::terminal_safe(&b.path),
                    crate::model::terminal_safe(&d.locator.to_string()),
                    crate::model::terminal_safe(&d.message)
                );
            }
        }
    }
    write_report(&report, &args.output)?;
    Ok(exit_code(&report, args.fail_on))
}
