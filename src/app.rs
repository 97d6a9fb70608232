//! Running a parsed command line: thread pool, progress, writing the report, exit codes.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::cli::{Cli, Command, OutputArgs, PlanArgs, PlanFormat, ReportFormat, ScanArgs};
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
        Command::Plan(a) => run_plan(a),
        Command::Completions(a) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(a.shell, &mut cmd, "ctriage", &mut io::stdout());
            Ok(0)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .and_then(|()| out.flush())
                .map(|()| 0)
                .map_err(Into::into)
        }
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

/// The long `--version`: commit, report schema and built-in rule counts.
pub static LONG_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let log_rules = crate::logscan::rules::builtin().map(|r| r.len()).unwrap_or(0);
    let sigma = crate::logscan::sigma::SigmaSet::bundled().rules.len();
    format!(
        "{} (commit {})\nreport schema {}\nbuilt-in rules: {} log, {} bundled Sigma, {} exposure",
        env!("CARGO_PKG_VERSION"),
        COMMIT,
        report::SCHEMA_VERSION,
        log_rules,
        sigma,
        crate::analyze::exposure::RULES.len()
    )
});

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

/// Check the user's rule files first: each error on its own line, exit 64 (a usage error).
fn check_rule_files(files: &[PathBuf]) -> Option<i32> {
    let mut bad = false;
    for f in files {
        if let Err(errors) = crate::logscan::rules::parse_file(f) {
            bad = true;
            for e in errors {
                eprintln!("ctriage: error: {}", crate::model::terminal_safe(&e.to_string()));
            }
        }
    }
    bad.then_some(EXIT_USAGE)
}

/// Scan every bundle (in parallel) with a progress bar.
fn scan_all(
    paths: &[PathBuf],
    rules: &[PathBuf],
    sigma: &[PathBuf],
    base_image: &Option<PathBuf>,
    quiet: bool,
) -> anyhow::Result<Report> {
    let engine = Engine::with_sources(rules, sigma, true)?;
    let opts = ScanOptions { base_image: base_image.clone() };
    let pb = progress(paths.len() as u64, quiet, "bundles");
    let bundles: Vec<_> = paths
        .par_iter()
        .map(|p| {
            let b = scan_bundle(p, &engine, &opts);
            pb.inc(1);
            b
        })
        .collect();
    pb.finish_and_clear();
    let report = Report::new(bundles, run_time());
    if !quiet {
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
    Ok(report)
}

fn run_plan(args: &PlanArgs) -> anyhow::Result<i32> {
    if let Some(code) = check_rule_files(&args.rules) {
        return Ok(code);
    }
    let report = scan_all(&args.paths, &args.rules, &args.sigma, &args.base_image, args.quiet)?;
    let mut w = open_output(&args.output)?;
    match args.format {
        PlanFormat::Sh => report::plan::write(&report, &mut w)?,
        PlanFormat::Text => report::text::write_plan(&report, &mut w)?,
        PlanFormat::Json => {
            let plans: Vec<serde_json::Value> = report
                .bundles
                .iter()
                .map(|b| serde_json::json!({ "bundle": b.path, "response_plan": b.response_plan }))
                .collect();
            let v = serde_json::json!({
                "schema_version": report.schema_version,
                "tool": report.tool,
                "run": report.run,
                "date_assignment": crate::analyze::response::DATE_ASSIGNMENT,
                "plans": plans,
            });
            serde_json::to_writer_pretty(&mut w, &v)?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()?;
    Ok(0)
}

/// The exit code a report earns (`fail_on` None: findings never set bit 0).
pub fn exit_code(report: &Report, fail_on: impl Into<Option<crate::model::Severity>>) -> i32 {
    let mut code = 0;
    let fail_on = fail_on.into();
    if fail_on.is_some_and(|f| report.summary.highest_severity.is_some_and(|s| s >= f)) {
        code |= EXIT_FINDINGS;
    }
    if report.bundles.iter().any(|b| b.diagnostics.iter().any(|d| d.level == DiagLevel::Error)) {
        code |= EXIT_UNREADABLE;
    }
    code
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<i32> {
    if let Some(code) = check_rule_files(&args.rules) {
        return Ok(code);
    }
    let started = run_time();
    let mut report = scan_all(&args.paths, &args.rules, &args.sigma, &args.base_image, args.output.quiet)?;
    let o = &mut report.run.options;
    o.insert("format".into(), format!("{:?}", args.output.format).to_lowercase());
    o.insert("fail_on".into(), format!("{:?}", args.fail_on).to_lowercase());
    o.insert(
        "rules".into(),
        args.rules.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(","),
    );
    o.insert(
        "base_image".into(),
        args.base_image.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
    );
    o.insert("out".into(), args.output.out.as_ref().map(|p| p.display().to_string()).unwrap_or_default());
    o.insert("verbose".into(), args.output.terminal.verbose.to_string());
    let fail_on = args.fail_on.severity();
    if let Some(dir) = &args.output.out {
        crate::report::out::write_all(&report, dir, started, &|r, f, w| {
            write_format(r, f, &report::text::Style::plain(), w)
        })?;
        return Ok(exit_code(&report, fail_on));
    }
    let to_terminal = args.output.output.is_none() && io::stdout().is_terminal();
    let style = report::text::Style::detect(
        args.output.terminal.color,
        to_terminal,
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        args.output.terminal.verbose,
    );
    let mut w = open_output(&args.output.output)?;
    write_format(&report, args.output.format, &style, &mut w)?;
    w.flush()?;
    Ok(exit_code(&report, fail_on))
}
