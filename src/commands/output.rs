//! Where a command writes: the `--output` file or standard output, and the output options
//! `layers`, `diff` and `logs` share (`--format text|json`, `--output`, `--quiet`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::report::format::{self, Format};
use crate::report::{text::Style, Report};

/// Output options shared by every command.
#[derive(Args, Debug, Clone)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// No progress bar and no diagnostics on standard error.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

/// Open the output: the `--output` file or standard output.
pub(crate) fn open_output(out: &Option<PathBuf>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match out {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// Write a report in the chosen format (the text report plain) where `out` says.
pub(crate) fn write_report(report: &Report, out: &OutputArgs) -> anyhow::Result<()> {
    let mut w = open_output(&out.output)?;
    format::write(report, out.format.into(), &Style::plain(), &mut w)?;
    w.flush()?;
    Ok(())
}
