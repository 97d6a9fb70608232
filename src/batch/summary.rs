//! The batch summary, drawn from the case database: one row per bundle (status, what this
//! run did with it, verdict, findings by severity, errors, duration, input hash), written as
//! `summary.json` and as a text table; and the exit code the batch earns.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use crate::case::{CaseDb, CaseError};
use crate::model::terminal_safe;

/// Severities, highest first.
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// One bundle in the summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct SummaryRow {
    pub bundle: String,
    pub path: String,
    /// Output folder, relative to the summary.
    pub folder: String,
    /// `ok` (scanned, report written), `timed-out`, `crashed` or `failed`.
    pub status: String,
    /// What the run that last touched it did: `scanned` or `skipped` (resumed).
    pub action: String,
    pub verdict: Option<String>,
    pub findings: BTreeMap<String, i64>,
    pub errors: i64,
    pub warnings: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Wall time of the scan that wrote it (a skipped bundle: 0).
    pub duration_ms: i64,
    pub exit_code: i32,
    pub input_sha256: Option<String>,
    pub inputs: Option<i64>,
}

/// The rows of `keys` (all bundles when None), with the action of run `run_id` (else of the
/// latest run that touched each bundle), sorted by bundle.
pub(crate) fn rows(
    db: &CaseDb,
    keys: Option<&[String]>,
    run_id: Option<&str>,
) -> Result<Vec<SummaryRow>, CaseError> {
    let mut st = db
        .conn
        .prepare(
            "SELECT b.bundle, b.path, b.folder, b.status, b.verdict, b.critical, b.high, b.medium,
                    b.low, b.info, b.errors, b.warnings, b.message, b.exit_code, b.input_sha256,
                    b.inputs,
                    (SELECT rb.action || char(9) || rb.duration_ms FROM run_bundles rb
                     JOIN runs r ON r.run_id = rb.run_id
                     WHERE rb.bundle = b.bundle AND (?1 IS NULL OR rb.run_id = ?1)
                     ORDER BY r.started DESC, rb.run_id DESC LIMIT 1)
             FROM bundles b ORDER BY b.bundle",
        )
        .map_err(db.err())?;
    let wanted: Option<std::collections::BTreeSet<&str>> =
        keys.map(|k| k.iter().map(String::as_str).collect());
    let all = st
        .query_map(params![run_id], |r| {
            let last: Option<String> = r.get(16)?;
            let (action, ms) = last
                .as_deref()
                .and_then(|l| l.split_once('\t'))
                .map(|(a, d)| (a.to_string(), d.parse().unwrap_or(0)))
                .unwrap_or_else(|| ("-".into(), 0));
            let mut findings = BTreeMap::new();
            for (i, s) in SEVERITIES.iter().enumerate() {
                findings.insert(s.to_string(), r.get::<_, Option<i64>>(5 + i)?.unwrap_or(0));
            }
            Ok(SummaryRow {
                bundle: r.get(0)?,
                path: r.get(1)?,
                folder: r.get(2)?,
                status: r.get(3)?,
                action,
                verdict: r.get(4)?,
                findings,
                errors: r.get::<_, Option<i64>>(10)?.unwrap_or(0),
                warnings: r.get::<_, Option<i64>>(11)?.unwrap_or(0),
                message: r.get(12)?,
                duration_ms: ms,
                exit_code: r.get(13)?,
                input_sha256: r.get(14)?,
                inputs: r.get(15)?,
            })
        })
        .map_err(db.err())?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db.err())?;
    Ok(all.into_iter().filter(|r| wanted.as_ref().is_none_or(|w| w.contains(r.bundle.as_str()))).collect())
}

/// The batch's exit code: every bundle's bits together (a bundle without a report sets bit 1).
pub(crate) fn exit_code(rows: &[SummaryRow]) -> i32 {
    rows.iter().fold(0, |code, r| code | r.exit_code)
}

/// Totals over the rows.
fn totals(rows: &[SummaryRow]) -> serde_json::Value {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    let mut findings: BTreeMap<&str, i64> = SEVERITIES.iter().map(|s| (*s, 0)).collect();
    for r in rows {
        *by.entry(r.status.clone()).or_default() += 1;
        *by.entry(r.action.clone()).or_default() += 1;
        for (s, n) in &r.findings {
            if let Some(t) = findings.get_mut(s.as_str()) {
                *t += n;
            }
        }
    }
    let count = |k: &str| by.get(k).copied().unwrap_or(0);
    serde_json::json!({
        "bundles": rows.len(),
        "ok": count("ok"),
        "timed_out": count("timed-out"),
        "crashed": count("crashed"),
        "failed": count("failed"),
        "scanned": count("scanned"),
        "skipped": count("skipped"),
        "compromised": rows.iter().filter(|r| r.verdict.as_deref() == Some("compromised")).count(),
        "findings": findings,
        "exit_code": exit_code(rows),
    })
}

/// The files a batch's `--out` holds that are not in a bundle folder's manifest: the
/// summary, the case database (with SQLite's side files) and each bundle's standard error.
fn outputs(rows: &[SummaryRow]) -> Vec<serde_json::Value> {
    let db = crate::case::CASE_DB;
    let mut files: Vec<String> = vec!["summary.json".into(), db.into()];
    files.extend(["-wal", "-shm", "-journal"].map(|s| format!("{db}{s}")));
    files.extend(rows.iter().map(|r| format!("{}/{}", r.folder, crate::batch::child::STDERR_FILE)));
    files.into_iter().map(|f| serde_json::json!({ "file": f })).collect()
}

/// Write `summary.json` into `dir` (through a temporary file, renamed: never half written).
/// It is marked as ctriage's (`"ctriage_report": "batch-summary"`) and lists the files of
/// `--out` no bundle manifest lists, so a scan that meets the folder skips them all.
pub(crate) fn write_json(dir: &Path, rows: &[SummaryRow], shard: Option<String>) -> io::Result<()> {
    let v = serde_json::json!({
        "schema_version": crate::case::SCHEMA_VERSION,
        "tool": crate::report::Tool::this(),
        (crate::evidence::own::MARKER_KEY): crate::evidence::own::BATCH_SUMMARY,
        "shard": shard,
        "totals": totals(rows),
        "bundles": rows,
        "outputs": outputs(rows),
    });
    let tmp = dir.join(".summary.json.tmp");
    let mut f = io::BufWriter::new(std::fs::File::create(&tmp)?);
    serde_json::to_writer_pretty(&mut f, &v).map_err(crate::report::json_io)?;
    f.write_all(b"\n")?;
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, dir.join("summary.json"))
}

/// The summary as a text table (bundle names made terminal-safe).
pub(crate) fn write_table(rows: &[SummaryRow], w: &mut dyn Write) -> io::Result<()> {
    let names: Vec<String> = rows.iter().map(|r| terminal_safe(&r.bundle)).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(6).max(6);
    writeln!(
        w,
        "{:<width$}  {:<9}  {:<8}  {:<11}  {:>4} {:>4} {:>4} {:>4} {:>4}  {:>3}  {:>7}",
        "BUNDLE", "STATUS", "ACTION", "VERDICT", "CRIT", "HIGH", "MED", "LOW", "INFO", "ERR", "SECS"
    )?;
    for (r, name) in rows.iter().zip(&names) {
        let f = |s: &str| r.findings.get(s).copied().unwrap_or(0);
        writeln!(
            w,
            "{name:<width$}  {:<9}  {:<8}  {:<11}  {:>4} {:>4} {:>4} {:>4} {:>4}  {:>3}  {:>7.2}",
            r.status,
            r.action,
            r.verdict.as_deref().unwrap_or("-"),
            f("critical"),
            f("high"),
            f("medium"),
            f("low"),
            f("info"),
            r.errors,
            r.duration_ms as f64 / 1000.0
        )?;
    }
    let t = totals(rows);
    writeln!(
        w,
        "{} bundle(s): {} ok, {} timed out, {} crashed, {} failed; {} scanned, {} skipped; {} compromised; exit code {}",
        t["bundles"], t["ok"], t["timed_out"], t["crashed"], t["failed"], t["scanned"], t["skipped"], t["compromised"], t["exit_code"]
    )
}
