//! `ctriage logs FILE...` (scan log files directly) and `ctriage rules list|check`.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use rayon::prelude::*;

use super::{build_section, rules, scanner, Engine, ScanConfig, SourceScan};
use crate::app::{exit_code, run_time, write_report, EXIT_USAGE};
use crate::cli::OutputArgs;
use crate::evidence::{
    detect_compression, discover, sniff_text, Artifact, ArtifactKind, ArtifactSource, Bundle, Compression,
};
use crate::model::terminal_safe;
use crate::report::{ArtifactRecord, BundleReport, Report};

/// `ctriage logs FILE...`
#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Log files or directories (json-file, docker logs -t, plain; .gz/.zst looked through).
    /// Any file given is scanned as a log, whatever its content was sniffed as.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Extra rule files (see docs/rules.md).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Directories of Sigma rules (webserver / proxy) added to the bundled set.
    #[arg(long = "sigma", value_name = "DIR")]
    pub sigma: Vec<PathBuf>,
    /// Leave the bundled Sigma rules out.
    #[arg(long)]
    pub no_bundled_sigma: bool,
    /// Year given to syslog times (`Nov 27 14:00:00` carries none; unknown without it).
    #[arg(long, value_name = "YEAR")]
    pub syslog_year: Option<i32>,
    /// Exit with bit 0 set when a hit is at or above this severity (`none`: never).
    #[arg(long, value_enum, ignore_case = true, default_value_t = crate::cli::FailOn::High, value_name = "SEVERITY")]
    pub fail_on: crate::cli::FailOn,
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
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
        /// Directories of Sigma rules added to the bundled set.
        #[arg(long = "sigma", value_name = "DIR")]
        sigma: Vec<PathBuf>,
        /// `json`: every rule of every family (log, sigma, file, process, exposure, image,
        /// correlation, stats, story) as one array.
        #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = crate::cli::Format::Text)]
        format: crate::cli::Format,
    },
    /// Check a rule file and report errors with line numbers.
    Check { file: PathBuf },
    /// Print every literal the search automaton looks for, one per line (ASCII case is
    /// ignored; e.g. for `rg -i -F -f`).
    Literals {
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
}

/// Run `logs`: each FILE is one bundle of log artifacts.
pub fn run_logs(args: &LogsArgs) -> anyhow::Result<i32> {
    let engine = Engine::with_sources(&args.rules, &args.sigma, !args.no_bundled_sigma)?;
    let cfg = ScanConfig { syslog_year: args.syslog_year, ..Default::default() };
    let bundles: Vec<BundleReport> = args.files.par_iter().map(|p| logs_path(p, &engine, &cfg)).collect();
    let report = Report::new(bundles, run_time());
    write_report(&report, &args.output)?;
    Ok(exit_code(&report, args.fail_on.severity()))
}

/// One FILE of `ctriage logs`. A plain (uncompressed) file is scanned while `discover`
/// hashes it for custody, so hashing costs no extra wall time; the early scan is kept only
/// when discovery classifies the file the same way, otherwise it is scanned again.
fn logs_path(p: &Path, engine: &Engine, cfg: &ScanConfig) -> BundleReport {
    let (bundle, early) =
        rayon::join(|| discover(p), || early_artifact(p).map(|a| (scan_as_log(&a, engine, cfg, true), a)));
    let sources = match (early, bundle.artifacts.as_slice()) {
        (Some((sources, e)), [a])
            if a.path == e.path && a.kind == e.kind && a.compression == e.compression =>
        {
            sources
        }
        _ => {
            let single = bundle.artifacts.len() == 1;
            bundle.artifacts.par_iter().flat_map_iter(|a| scan_as_log(a, engine, cfg, single)).collect()
        }
    };
    logs_bundle(bundle, sources, engine)
}

/// A plain regular file as `discover` describes it (without its hash), for the early scan.
fn early_artifact(p: &Path) -> Option<Artifact> {
    let meta = std::fs::symlink_metadata(p).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut head = vec![0u8; 64 << 10];
    let mut f = std::fs::File::open(p).ok()?;
    let n = read_head(&mut f, &mut head);
    head.truncate(n);
    if detect_compression(&head).is_some() {
        return None;
    }
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let kind = sniff_text(&head, &name);
    if !kind.is_log() && kind != ArtifactKind::Unknown {
        return None;
    }
    Some(Artifact {
        path: p.display().to_string(),
        source: ArtifactSource::File(p.to_path_buf()),
        kind,
        size: meta.len(),
        sha256: None,
        compression: Compression::None,
        error: None,
        note: None,
    })
}

fn read_head(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    got
}

fn logs_bundle(bundle: Bundle, sources: Vec<SourceScan>, engine: &Engine) -> BundleReport {
    let mut section = build_section(sources, engine);
    let mut outcome = std::mem::take(&mut section.outcome);
    outcome.diagnostics.extend(bundle.diagnostics.iter().cloned());
    outcome.sort();
    let mut report = BundleReport::new(
        bundle.path.clone(),
        bundle.kind,
        bundle.artifacts.iter().map(ArtifactRecord::from).collect(),
    );
    report.logs = section;
    let (facts, story) = crate::analyze::story::tell(&report, std::mem::take(&mut outcome.findings), &[]);
    report.findings = facts;
    report.story = story;
    report.timeline = outcome.timeline;
    report.diagnostics = outcome.diagnostics;
    report
}

/// An artifact given to `ctriage logs`: logs as sniffed; a file given alone is a log
/// whatever it was sniffed as (the analyst said so); tars have their log members scanned.
fn scan_as_log(a: &Artifact, engine: &Engine, cfg: &ScanConfig, single: bool) -> Vec<SourceScan> {
    let format = match a.kind {
        ArtifactKind::JsonFileLog => scanner::LogFormat::JsonFile,
        ArtifactKind::LocalLog => return vec![super::local_scan(a, engine, cfg)],
        ArtifactKind::FilesystemTar | ArtifactKind::LayerTar => {
            return super::tarlogs::scan_artifact_tar(a, engine, cfg)
        }
        k if k.is_log() => super::text_format(a),
        ArtifactKind::Link | ArtifactKind::Special | ArtifactKind::Empty => return vec![],
        _ if single || a.kind == ArtifactKind::Unknown => scanner::LogFormat::Text,
        _ => return vec![],
    };
    vec![SourceScan { locator: a.locator(), format, scan: scanner::scan_artifact(a, format, engine, cfg) }]
}

/// Run `rules`.
pub fn run_rules(args: &RulesArgs) -> anyhow::Result<i32> {
    match &args.command {
        RulesCommand::List { rules, sigma, format } => {
            let engine = Engine::with_sources(rules, sigma, true)?;
            if *format == crate::cli::Format::Json {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                serde_json::to_writer_pretty(&mut out, &crate::catalog::all(&engine))?;
                std::io::Write::write_all(&mut out, b"\n")?;
                std::io::Write::flush(&mut out)?;
                return Ok(0);
            }
            let mut s = String::new();
            let _ = writeln!(s, "{:<34} {:<9} {:<16} {:<11} title", "id", "severity", "category", "attack");
            for r in engine.rules() {
                let _ = writeln!(
                    s,
                    "{:<34} {:<9} {:<16} {:<11} {}",
                    r.id,
                    r.severity.as_str(),
                    r.category,
                    r.attack.as_deref().unwrap_or("-"),
                    terminal_safe(&r.title)
                );
            }
            let set = engine.sigma();
            let process: Vec<_> =
                set.rules.iter().filter(|r| r.target == super::sigma::Target::Process).collect();
            let _ = writeln!(s, "{} rules", engine.rules().len());
            let _ = writeln!(s, "\nSigma process_creation (linux) rules, evaluated on process captures:");
            for r in &process {
                let _ = writeln!(
                    s,
                    "{:<34} {:<9} {:<16} {:<11} {}",
                    r.rule_id,
                    r.level.as_str(),
                    r.category,
                    r.attack.as_deref().unwrap_or("-"),
                    terminal_safe(&r.title)
                );
            }
            let _ = writeln!(s, "{} process rules", process.len());
            let _ = writeln!(s, "\nSigma rules not used, with the reason:");
            for u in &set.unsupported {
                let _ = writeln!(
                    s,
                    "{}  {}: {}",
                    terminal_safe(&u.origin),
                    terminal_safe(if u.title.is_empty() { "-" } else { &u.title }),
                    terminal_safe(&u.reason)
                );
            }
            let _ = writeln!(s, "{} Sigma rules not used", set.unsupported.len());
            let _ = writeln!(
                s,
                "Sigma rules: Detection Rule License 1.1; matches credit each rule's title, id and author."
            );
            let others: Vec<_> = crate::catalog::all(&engine)
                .into_iter()
                .filter(|r| !matches!(r.family, "log" | "sigma"))
                .collect();
            let _ = writeln!(
                s,
                "
Analyzer rules (file, process, exposure, image, correlation, stats, story):"
            );
            for r in &others {
                let _ = writeln!(
                    s,
                    "{:<34} {:<9} {:<16} {:<11} {} [{}]",
                    r.id,
                    r.severity.as_str(),
                    r.category,
                    r.attack.as_deref().unwrap_or("-"),
                    terminal_safe(&r.title),
                    r.family
                );
            }
            let _ = writeln!(s, "{} analyzer rules", others.len());
            print!("{s}");
            Ok(0)
        }
        RulesCommand::Literals { rules } => {
            let engine = Engine::with_rule_files(rules)?;
            let mut out = Vec::new();
            for l in engine.literals() {
                out.extend_from_slice(l);
                out.push(b'\n');
            }
            std::io::Write::write_all(&mut std::io::stdout().lock(), &out)?;
            Ok(0)
        }
        RulesCommand::Check { file } => match rules::parse_file(file) {
            Ok(parsed) => {
                let builtin = rules::builtin().unwrap_or_default();
                let clashes: Vec<String> = parsed
                    .iter()
                    .filter(|r| builtin.iter().any(|b| b.id == r.id))
                    .map(|r| format!("{}: rule id {:?} clashes with a built-in rule", r.origin, r.id))
                    .collect();
                if !clashes.is_empty() {
                    for c in clashes {
                        eprintln!("{}", terminal_safe(&c));
                    }
                    return Ok(EXIT_USAGE);
                }
                println!("{}: {} rule(s) OK", terminal_safe(&file.display().to_string()), parsed.len());
                Ok(0)
            }
            Err(errors) => {
                for e in errors {
                    eprintln!("{}", terminal_safe(&e.to_string()));
                }
                Ok(EXIT_USAGE)
            }
        },
    }
}
