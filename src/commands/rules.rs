//! `ctriage rules list|check|literals|cost`: every rule of every family, checking a rule
//! file, the literals the search automaton looks for, what a log costs to scan.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::exit::EXIT_USAGE;
use crate::logscan::{rules, Engine};
use crate::model::terminal_safe;
use crate::report::format::Format;

/// `ctriage rules ...`
#[derive(Args, Debug)]
pub(crate) struct RulesArgs {
    #[command(subcommand)]
    pub(crate) command: RulesCommand,
}

/// Rule subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum RulesCommand {
    /// List the built-in rules (and those of --rules files).
    List {
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
        /// Directories of Sigma rules added to the bundled set.
        #[arg(long = "sigma", value_name = "DIR")]
        sigma: Vec<PathBuf>,
        /// YARA rule files or folders: the `yara` line names each file loaded, its rules
        /// compiled and those not (each with a warning on standard error).
        #[arg(long = "yara", value_name = "DIR|FILE")]
        yara: Vec<PathBuf>,
        /// `json`: every rule of every family (log, sigma, file, process, exposure, image,
        /// correlation, stats, story, k8saudit) as one array.
        #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check a rule file and report errors with line numbers.
    Check { file: PathBuf },
    /// Print every literal the search automaton looks for, one per line (ASCII case is
    /// ignored; e.g. for `rg -i -F -f`).
    Literals {
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
    /// Scan log files and print, per MiB, how often the prefilter's windows and the
    /// automaton's literals hit (what each log costs to scan), with every rule on.
    Cost {
        /// Log files (framing sniffed, .gz/.zst looked through).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
        /// Directories of Sigma rules added to the bundled set.
        #[arg(long = "sigma", value_name = "DIR")]
        sigma: Vec<PathBuf>,
        /// Also list, per file, the N window prefixes checked most often (what costs the most
        /// on this log) and the literals behind them, counted over the raw bytes (a json-file
        /// or CRI log's framing searches less of each line).
        #[arg(long, value_name = "N", default_value_t = 0)]
        windows: usize,
    },
}

/// Run `rules`.
pub(crate) fn run(args: &RulesArgs) -> anyhow::Result<i32> {
    match &args.command {
        RulesCommand::List { rules, sigma, yara, format } => {
            let engine = Engine::with_sources(rules, sigma, true)?;
            let yara = crate::yara::load(yara)?;
            if let Some(y) = &yara {
                for w in &y.warnings {
                    eprintln!(
                        "ctriage: warning: {}: {}",
                        terminal_safe(&w.locator.to_string()),
                        terminal_safe(&w.message)
                    );
                }
            }
            if *format == Format::Json {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                serde_json::to_writer_pretty(&mut out, &crate::catalog::all(&engine))
                    .map_err(crate::report::json_io)?;
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
            let process: Vec<_> = set
                .rules
                .iter()
                .filter(|r| r.target == crate::logscan::sigma::SigmaTarget::Process)
                .collect();
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
            let audit: Vec<_> = set
                .rules
                .iter()
                .filter(|r| r.target == crate::logscan::sigma::SigmaTarget::K8sAudit)
                .map(|r| r.audit_def())
                .collect();
            let _ = writeln!(s, "\nSigma kubernetes/audit rules, evaluated on API server audit events:");
            for r in &audit {
                let _ = writeln!(
                    s,
                    "{:<34} {:<9} {:<16} {:<11} {}",
                    r.id,
                    r.severity.as_str(),
                    r.category,
                    if r.attack.is_empty() { "-" } else { &r.attack },
                    terminal_safe(&r.title)
                );
            }
            let _ = writeln!(s, "{} audit rules", audit.len());
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
Analyzer rules (file, process, exposure, image, correlation, stats, story, k8saudit):"
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
            match &yara {
                Some(y) => {
                    let _ = writeln!(s, "\nyara: {}", terminal_safe(&y.describe()));
                }
                None => {
                    let _ = writeln!(s, "\nyara: no rules (give --yara DIR|FILE; none are bundled)");
                }
            }
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
        RulesCommand::Cost { files, rules, sigma, windows } => {
            super::rules_cost::run(files, rules, sigma, *windows)
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
