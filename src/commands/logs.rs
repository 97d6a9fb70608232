//! `ctriage logs FILE...`: scan log files directly for attack signatures, one bundle each.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use rayon::prelude::*;

use super::fail_on::FailOn;
use super::limit_args::LimitArgs;
use super::output::{write_report, OutputArgs};
use crate::exit::exit_code;
use crate::logscan::{Engine, ScanConfig};
use crate::progress::{Meter, Ticker};
use crate::report::{run_time, BundleReport, Report};

/// `ctriage logs FILE...`
#[derive(Args, Debug)]
pub(crate) struct LogsArgs {
    /// Log files or directories (json-file, docker logs -t, plain; .gz/.zst looked through).
    /// Any file given is scanned as a log, whatever its content was sniffed as.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Extra rule files (see docs/rules.md).
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) rules: Vec<PathBuf>,
    /// Directories of Sigma rules (webserver / proxy) added to the bundled set.
    #[arg(long = "sigma", value_name = "DIR")]
    pub(crate) sigma: Vec<PathBuf>,
    /// Leave the bundled Sigma rules out.
    #[arg(long)]
    pub(crate) no_bundled_sigma: bool,
    /// Year given to syslog times (`Nov 27 14:00:00` carries none); without it the year comes
    /// from the log's own dated lines, else the file's capture time (mtime), and is said so.
    #[arg(long, value_name = "YEAR")]
    pub(crate) syslog_year: Option<i32>,
    /// Exit with bit 0 set when a hit is at or above this severity (`none`: never).
    #[arg(long, value_enum, ignore_case = true, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub(crate) fail_on: FailOn,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

/// Run `logs`: each FILE is one bundle of log artifacts.
pub(crate) fn run(args: &LogsArgs) -> anyhow::Result<i32> {
    let engine = Engine::with_sources(&args.rules, &args.sigma, !args.no_bundled_sigma)?;
    let limits = args.limits.limits();
    let cfg = ScanConfig { syslog_year: args.syslog_year, ..ScanConfig::with_limits(&limits) };
    let meter = Meter::new(args.files.len() as u64);
    let show = !args.output.quiet && std::io::stderr().is_terminal();
    let ticker = Ticker::start(&meter, show, "logs");
    let bundles: Vec<BundleReport> = args
        .files
        .par_iter()
        .map(|p| {
            let b = crate::logs::scan_path(p, &engine, &cfg);
            meter.discovered(b.artifacts.len() as u64, b.artifacts.iter().map(|a| a.size).sum());
            meter.bundle_done();
            b
        })
        .collect();
    drop(ticker);
    let mut report = Report::new(bundles, run_time());
    report.run.options.extend(limits.options());
    write_report(&report, &args.output)?;
    Ok(exit_code(&report, args.fail_on.severity()))
}
