//! `ctriage case DB [QUESTION]`: questions across the bundles of a case database (written by
//! `scan --batch`): bundles and verdicts, IOCs seen in more than one bundle, the same file
//! dropped in several places, images shared by compromised containers, one timeline.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::Value;

use crate::case::query::{Question, Table};
use crate::case::CaseDb;
use crate::model::terminal_safe;

/// `ctriage case`
#[derive(Args, Debug)]
pub(crate) struct CaseArgs {
    /// The case database (`case.sqlite` in a batch's `--out`). Opened read-only.
    #[arg(value_name = "DB")]
    pub(crate) db: PathBuf,
    /// What to ask.
    #[arg(value_enum, ignore_case = true, default_value_t = Ask::Bundles)]
    pub(crate) question: Ask,
    /// Output format.
    #[arg(long, short = 'f', value_enum, ignore_case = true, default_value_t = CaseFormat::Text)]
    pub(crate) format: CaseFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// The questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Ask {
    /// Every bundle: status, verdict, findings by severity, errors, input hash.
    Bundles,
    /// Attacker-side IOCs (addresses, host names, URLs, file hashes) seen in more than one bundle.
    Iocs,
    /// The same file content (SHA-256, not empty) dropped by containers of several bundles
    /// (their export, their own layer, or the layer `docker commit` added).
    Files,
    /// Images run by a compromised container and by at least one other container.
    Images,
    /// Every bundle's timeline in one, by time.
    Timeline,
}

/// Output formats of `case`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CaseFormat {
    /// Aligned columns.
    Text,
    /// The rows as JSON objects, in an envelope naming the question.
    Json,
    /// CSV with a header (cells a spreadsheet would take for a formula start with `'`).
    Csv,
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write_text(t: &Table, w: &mut dyn Write) -> std::io::Result<()> {
    let cells: Vec<Vec<String>> =
        t.rows.iter().map(|r| r.iter().map(|v| terminal_safe(&cell(v))).collect()).collect();
    let last = t.columns.len().saturating_sub(1);
    let widths: Vec<usize> = (0..t.columns.len())
        .map(|i| cells.iter().map(|r| r[i].chars().count()).chain([t.columns[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |w: &mut dyn Write, row: &[String]| -> std::io::Result<()> {
        for (i, c) in row.iter().enumerate() {
            if i == last {
                writeln!(w, "{c}")?;
            } else {
                write!(w, "{c:<width$}  ", width = widths[i])?;
            }
        }
        Ok(())
    };
    line(w, &t.columns.iter().map(|c| c.to_uppercase()).collect::<Vec<_>>())?;
    for r in &cells {
        line(w, r)?;
    }
    if t.rows.is_empty() {
        writeln!(w, "(no rows)")?;
    }
    Ok(())
}

fn write_json(t: &Table, ask: Ask, w: &mut dyn Write) -> std::io::Result<()> {
    let rows: Vec<serde_json::Map<String, Value>> =
        t.rows.iter().map(|r| t.columns.iter().cloned().zip(r.iter().cloned()).collect()).collect();
    let v = serde_json::json!({
        "schema_version": crate::case::SCHEMA_VERSION,
        "tool": crate::report::Tool::this(),
        "run": crate::report::Run::now(crate::report::run_time()),
        "question": format!("{ask:?}").to_lowercase(),
        "rows": rows,
    });
    serde_json::to_writer_pretty(&mut *w, &v).map_err(crate::report::json_io)?;
    writeln!(w)
}

fn write_csv(t: &Table, w: &mut dyn Write) -> std::io::Result<()> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record(&t.columns).map_err(crate::report::csv_io)?;
    for r in &t.rows {
        c.write_record(r.iter().map(|v| crate::report::exchange::csv::cell(&cell(v))))
            .map_err(crate::report::csv_io)?;
    }
    c.flush()
}

/// Run `case`.
pub(crate) fn run(args: &CaseArgs) -> anyhow::Result<i32> {
    let db = CaseDb::open_read_only(&args.db)?;
    let question = match args.question {
        Ask::Bundles => Question::Bundles,
        Ask::Iocs => Question::Iocs,
        Ask::Files => Question::Files,
        Ask::Images => Question::Images,
        Ask::Timeline => Question::Timeline,
    };
    let table = question.ask(&db)?;
    let mut w = super::output::open_output(&args.output)?;
    match args.format {
        CaseFormat::Text => write_text(&table, &mut w)?,
        CaseFormat::Json => write_json(&table, args.question, &mut w)?,
        CaseFormat::Csv => write_csv(&table, &mut w)?,
    }
    w.flush()?;
    Ok(0)
}
