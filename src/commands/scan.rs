//! `ctriage scan`: its arguments (those of batch mode too), and the scan that analyses
//! evidence bundles and writes one report, in any format or all of them (`--out DIR`).
//! `scan --batch` runs [`super::batch`] instead.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use rayon::prelude::*;

use super::fail_on::FailOn;
use super::output::open_output;
use crate::batch::Shard;
use crate::exit::{exit_code, EXIT_USAGE};
use crate::logscan::Engine;
use crate::model::DiagLevel;
use crate::progress::{Meter, Ticker};
use crate::report::format::{self, ReportFormat};
use crate::report::text::{ColorChoice, Style};
use crate::report::{run_time, Report};
use crate::scan::{scan_bundle, ScanOptions};

/// `ctriage scan`
#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    /// Evidence bundles: directories, bundle archives (.tar, .tar.gz, .tgz, .tar.zst) or single
    /// artifact files. Each PATH is one bundle (with `--batch`, one more bundle of the batch).
    /// Evidence is only ever read.
    #[arg(required_unless_present = "batch", value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: ScanOutput,
    /// Exit with bit 0 set (code 1 or 3) when a finding is at or above this severity
    /// (`none`: never).
    #[arg(long, value_enum, ignore_case = true, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub(crate) fail_on: FailOn,
    /// Extra log-signature rule files (see docs/rules.md).
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) rules: Vec<PathBuf>,
    /// Directories of Sigma rules (webserver / proxy for logs, linux process_creation for
    /// process captures) added to the bundled set.
    #[arg(long = "sigma", value_name = "DIR")]
    pub(crate) sigma: Vec<PathBuf>,
    /// YARA rules (a .yar/.yara file, or a folder of them; repeatable) run over every file
    /// of every layer, export and checkpoint, and over checkpointed memory. Rules the engine
    /// cannot compile are warnings naming them; a file that is not YARA exits 64.
    #[arg(long = "yara", value_name = "DIR|FILE")]
    pub(crate) yara: Vec<PathBuf>,
    /// The image the container ran from, when it is not in the bundle (for container changes).
    #[arg(long, value_name = "IMAGE")]
    pub(crate) base_image: Option<PathBuf>,
    /// A network the response plan never blocks (your proxies, scanners, office): an address
    /// or CIDR (`10.0.0.0/8`, `2001:db8::/32`). Repeatable.
    #[arg(long = "trusted-net", value_name = "CIDR")]
    pub(crate) trusted_net: Vec<crate::analyze::response::Cidr>,
    /// Year given to syslog times (`Nov 27 14:00:00` carries none); without it the year comes
    /// from the log's own dated lines, then the bundle's other evidence, then the file's
    /// capture time (mtime), and is said so.
    #[arg(long, value_name = "YEAR")]
    pub(crate) syslog_year: Option<i32>,
    #[command(flatten)]
    pub(crate) batch: BatchArgs,
    #[command(flatten)]
    pub(crate) limits: super::limit_args::LimitArgs,
}

/// Batch mode of `scan`.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct BatchArgs {
    /// Batch mode: every child of DIR (a directory, a bundle archive, a single artifact, a
    /// data root; hidden names skipped) is one bundle, and so is every PATH given. Each
    /// bundle is scanned in its own process, `--jobs` at a time, into its own folder under
    /// `--out` (every format and its manifest), recorded in `--out`/case.sqlite, and
    /// summarised in `--out`/summary.json and a table on standard output (`--format json`:
    /// the summary JSON).
    #[arg(long, value_name = "DIR", requires = "out")]
    pub(crate) batch: Option<PathBuf>,
    /// Batch: kill a bundle's scan after SECS seconds; it is reported as timed out (exit
    /// bit 1) and the batch goes on.
    #[arg(long, value_name = "SECS", requires = "batch")]
    pub(crate) timeout: Option<f64>,
    /// Batch: skip bundles the case database already has from a scan with the same options,
    /// whose outputs are all there and whose inputs hash the same (every input is read and
    /// hashed again; nothing is parsed).
    #[arg(long, requires = "batch")]
    pub(crate) resume: bool,
    /// Batch: take only the bundles whose name (path relative to DIR) hashes to K-1 modulo N
    /// (first 8 bytes of its SHA-256): N workers with K = 1..N split a batch with no
    /// coordination (Kubernetes Indexed Jobs, Slurm arrays, GNU parallel).
    #[arg(long, value_name = "K/N", requires = "batch")]
    pub(crate) shard: Option<Shard>,
}

/// Output options of `scan`.
#[derive(Args, Debug, Clone)]
pub(crate) struct ScanOutput {
    /// Output format.
    #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = ReportFormat::Text)]
    pub(crate) format: ReportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Write every format into DIR (created), with manifest.json (SHA-256 of every output and
    /// input, tool version, arguments, UTC start and end). A later scan never reads what it
    /// lists as evidence; DIR inside a scanned PATH is warned about.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub(crate) out: Option<PathBuf>,
    /// Write into a `--out` DIR that already holds files (files of the same name are
    /// replaced); without it such a DIR is refused.
    #[arg(long, requires = "out")]
    pub(crate) force: bool,
    /// No progress bar and no diagnostics on standard error.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) terminal: TerminalArgs,
}

/// How the terminal report looks.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct TerminalArgs {
    /// Colour by severity: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, ignore_case = true, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,
    /// Add every log hit, the whole timeline and the custody table to the text report.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
}

/// Check the user's rule files first: each error on its own line, exit 64 (a usage error).
pub(crate) fn check_rule_files(files: &[PathBuf]) -> Option<i32> {
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

/// `path` made absolute with its links resolved, as far as it exists (a directory `--out`
/// creates does not yet): the existing part canonical, the rest appended.
pub(crate) fn resolved(path: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(path).ok()?;
    let mut existing = abs.as_path();
    let mut rest = vec![];
    loop {
        if let Ok(c) = std::fs::canonicalize(existing) {
            return Some(rest.iter().rev().fold(c, |p: PathBuf, r| p.join(r)));
        }
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?;
    }
}

/// Where ctriage is about to write (`--out DIR`, `--output FILE`) inside evidence it
/// scans: a warning on standard error (unless `quiet`). What it writes there is recognised
/// and never read back as evidence, but it is written into the evidence.
pub(crate) fn warn_if_inside(flag: &str, target: &Path, paths: &[PathBuf], quiet: bool) {
    if quiet {
        return;
    }
    let Some(t) = resolved(target) else { return };
    for p in paths {
        let Some(pc) = std::fs::canonicalize(p).ok().filter(|c| c.is_dir()) else { continue };
        if t.starts_with(&pc) {
            eprintln!(
                "ctriage: warning: {flag} {} lies inside the scanned PATH {}: ctriage writes into the evidence. \
                 What it writes there is recognised (its manifest, each format's marker) and never read back as \
                 evidence, but write it outside the evidence.",
                crate::model::terminal_safe(&target.display().to_string()),
                crate::model::terminal_safe(&p.display().to_string())
            );
        }
    }
}

/// The rule files a scan adds to the built-in rules: `--rules`, `--sigma`, `--yara`.
#[derive(Clone, Copy, Default)]
pub(crate) struct RulePaths<'a> {
    pub rules: &'a [PathBuf],
    pub sigma: &'a [PathBuf],
    pub yara: &'a [PathBuf],
}

/// Scan every bundle (in parallel) with a progress bar.
pub(crate) fn scan_all(
    paths: &[PathBuf],
    given: RulePaths,
    base_image: &Option<PathBuf>,
    trusted_nets: &[crate::analyze::response::Cidr],
    limits: crate::limits::Limits,
    syslog_year: Option<i32>,
    quiet: bool,
) -> anyhow::Result<Report> {
    // The log rules and the YARA rules compile side by side (either can take a while).
    let (engine, yara) = rayon::join(
        || Engine::with_sources(given.rules, given.sigma, true),
        || crate::yara::load(given.yara),
    );
    let (engine, yara) = (engine?, yara?);
    if let (Some(y), false) = (&yara, quiet) {
        for w in &y.warnings {
            eprintln!(
                "ctriage: warning: {}: {}",
                crate::model::terminal_safe(&w.locator.to_string()),
                crate::model::terminal_safe(&w.message)
            );
        }
    }
    let meter = Meter::new(paths.len() as u64);
    let opts = ScanOptions {
        base_image: base_image.clone(),
        limits,
        meter: Some(Arc::clone(&meter)),
        trusted_nets: trusted_nets.to_vec(),
        yara: yara.clone(),
        syslog_year,
    };
    let ticker = Ticker::start(&meter, !quiet && std::io::stderr().is_terminal(), "scan");
    let mut bundles: Vec<_> = paths.par_iter().map(|p| scan_bundle(p, &engine, &opts)).collect();
    drop(ticker);
    if let Some(y) = &yara {
        // The rules that could not run, in every bundle's report (a rule file is no evidence:
        // each warning is located at the rule file and line).
        for b in &mut bundles {
            b.diagnostics.extend(y.warnings.iter().cloned());
        }
    }
    let mut report = Report::new(bundles, run_time());
    if let Some(y) = &yara {
        report.run.options.insert("yara".into(), y.describe());
    }
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

/// `--trusted-net` as the report's options record it (comma-separated CIDRs).
pub(crate) fn trusted_option(nets: &[crate::analyze::response::Cidr]) -> String {
    nets.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// Run `scan` (without `--batch`): one report.
pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<i32> {
    crate::batch::child::watch_parent();
    if let Some(code) = check_rule_files(&args.rules) {
        return Ok(code);
    }
    if let Some(dir) = &args.output.out {
        if !args.output.force && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            eprintln!(
                "ctriage: error: --out {}: the folder is not empty; give an empty or new folder, or --force to write into it",
                crate::model::terminal_safe(&dir.display().to_string())
            );
            return Ok(EXIT_USAGE);
        }
        warn_if_inside("--out", dir, &args.paths, args.output.quiet);
    }
    if let Some(file) = &args.output.output {
        warn_if_inside("--output", file, &args.paths, args.output.quiet);
    }
    let started = run_time();
    let limits = args.limits.limits();
    let mut report = scan_all(
        &args.paths,
        RulePaths { rules: &args.rules, sigma: &args.sigma, yara: &args.yara },
        &args.base_image,
        &args.trusted_net,
        limits,
        args.syslog_year,
        args.output.quiet,
    )?;
    let o = &mut report.run.options;
    o.extend(limits.options());
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
    o.insert(
        "sigma".into(),
        args.sigma.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(","),
    );
    o.insert("verbose".into(), args.output.terminal.verbose.to_string());
    o.insert("trusted_net".into(), trusted_option(&args.trusted_net));
    o.insert("syslog_year".into(), args.syslog_year.map(|y| y.to_string()).unwrap_or_default());
    let fail_on = args.fail_on.severity();
    if let Some(dir) = &args.output.out {
        let written = crate::report::out::write_all(&report, dir, started)?;
        // What the analyst reads first, and where everything else went.
        let style = Style::detect(
            args.output.terminal.color,
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            false,
        );
        let mut w = std::io::stdout().lock();
        crate::report::text::write_verdicts(&report, &style, &written, &mut w)?;
        w.flush()?;
        return Ok(exit_code(&report, fail_on));
    }
    let to_terminal = args.output.output.is_none() && std::io::stdout().is_terminal();
    let style = Style::detect(
        args.output.terminal.color,
        to_terminal,
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        args.output.terminal.verbose,
    );
    let mut w = open_output(&args.output.output)?;
    format::write(&report, args.output.format, &style, &mut w)?;
    w.flush()?;
    Ok(exit_code(&report, fail_on))
}
