//! `ctriage plan`: the response plan of evidence bundles as a POSIX sh script (or text, or
//! JSON). ctriage runs none of it. Exits as `scan` does for unreadable evidence (bit 1).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::open_output;
use super::scan::{check_rule_files, scan_all};
use crate::report;

/// `ctriage plan`
#[derive(Args, Debug)]
pub(crate) struct PlanArgs {
    /// Evidence bundles (as for `scan`).
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// `sh`: a POSIX sh script; `text`: the steps to read; `json`: the steps as data.
    #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = PlanFormat::Sh)]
    pub(crate) format: PlanFormat,
    /// Write the plan to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Extra log-signature rule files (see docs/rules.md).
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) rules: Vec<PathBuf>,
    /// Extra Sigma rule directories (as for `scan`).
    #[arg(long = "sigma", value_name = "DIR")]
    pub(crate) sigma: Vec<PathBuf>,
    /// The image the container ran from, when it is not in the bundle.
    #[arg(long, value_name = "IMAGE")]
    pub(crate) base_image: Option<PathBuf>,
    /// A network the plan never blocks (your proxies, scanners, office): an address or CIDR
    /// (`10.0.0.0/8`, `2001:db8::/32`). Repeatable.
    #[arg(long = "trusted-net", value_name = "CIDR")]
    pub(crate) trusted_net: Vec<crate::analyze::response::Cidr>,
    /// No diagnostics on standard error.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

/// Formats of `plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    Sh,
    Text,
    Json,
}

/// Run `plan`.
pub(crate) fn run(args: &PlanArgs) -> anyhow::Result<i32> {
    if let Some(code) = check_rule_files(&args.rules) {
        return Ok(code);
    }
    if let Some(file) = &args.output {
        super::scan::warn_if_inside("--output", file, &args.paths, args.quiet);
    }
    let mut report = scan_all(
        &args.paths,
        super::scan::RulePaths { rules: &args.rules, sigma: &args.sigma, yara: &[] },
        &args.base_image,
        &args.trusted_net,
        Default::default(),
        None,
        args.quiet,
    )?;
    report.run.options.insert("format".into(), format!("{:?}", args.format).to_lowercase());
    report.run.options.insert("trusted_net".into(), super::scan::trusted_option(&args.trusted_net));
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
            serde_json::to_writer_pretty(&mut w, &v).map_err(crate::report::json_io)?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()?;
    // As `scan`: the plan is written, and evidence that could not be read (a missing path
    // among it) sets bit 1. `plan` has no `--fail-on`: findings never set bit 0.
    Ok(crate::exit::exit_code(&report, None))
}
