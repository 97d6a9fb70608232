//! Batch scans at lab scale: every bundle of a batch scanned in its own child process
//! ([`child`]), `jobs` at a time, each written to its own folder under `--out` as soon as it
//! is done and recorded in the case database ([`crate::case`]) in one transaction, so a
//! killed batch resumes where it stopped (`--resume`: a bundle whose outputs exist and whose
//! input hash matches is skipped) and N workers split a batch by `--shard K/N` with no
//! coordination. The parent holds one report at a time, never all of them.

pub(crate) mod bundles;
pub(crate) mod child;
mod error;
pub(crate) mod inputs;
pub(crate) mod merge;
pub(crate) mod summary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use rusqlite::params;

pub(crate) use bundles::{BundleSpec, Shard};
use child::{ChildCommand, ChildEnd};
pub(crate) use error::BatchError;

use crate::case::ingest::BundleRow;
use crate::case::{CaseDb, CASE_DB};
use summary::SummaryRow;

/// Where children write before their folder is complete (`--out/.partial/PID-NAME`).
const PARTIAL: &str = ".partial";

/// A batch to run.
#[derive(Debug, Clone)]
pub(crate) struct BatchConfig {
    /// `--batch DIR`: each child is a bundle.
    pub root: Option<PathBuf>,
    /// PATHs given beside it, one bundle each.
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    /// Bundles scanned at once.
    pub jobs: usize,
    pub resume: bool,
    pub shard: Option<Shard>,
    /// The child's command (the report options and the child's thread count).
    pub child: ChildCommand,
    /// The options that change a report, as recorded in the ledger.
    pub options: String,
    /// The batch's own command line (for the `runs` table).
    pub arguments: String,
}

/// What a batch reports to whoever shows progress.
pub(crate) trait Progress: Sync {
    /// The batch has `n` bundles to go through.
    fn total(&self, n: usize);
    /// A bundle started.
    fn started(&self, bundle: &BundleSpec);
    /// A bundle ended with this status and action.
    fn finished(&self, bundle: &BundleSpec, status: &str, action: &str);
}

/// How a batch ended.
#[derive(Debug)]
pub(crate) struct BatchOutcome {
    pub rows: Vec<SummaryRow>,
    pub exit_code: i32,
}

/// What a worker sends back for one bundle.
enum Done {
    Skipped,
    Ran(ChildEnd, PathBuf),
}

/// What the ledger says of a bundle (for `--resume`).
struct Ledger {
    status: String,
    folder: String,
    input_sha256: Option<String>,
    options: String,
}

/// Run the batch: list, shard, scan (or skip), record, summarise.
pub(crate) fn run(cfg: &BatchConfig, progress: &dyn Progress) -> Result<BatchOutcome, BatchError> {
    std::fs::create_dir_all(&cfg.out).map_err(|e| BatchError::io(&cfg.out, e))?;
    let all = bundles::list(cfg.root.as_deref(), &cfg.paths, &cfg.out)?;
    let mine: Vec<BundleSpec> =
        all.into_iter().filter(|b| cfg.shard.is_none_or(|s| s.owns(&b.key))).collect();
    let partial_root = cfg.out.join(PARTIAL);
    clean_stale_partials(&partial_root);
    let mut db = CaseDb::open(&cfg.out.join(CASE_DB))?;
    let started = now_iso();
    let run_id = format!("{started}-{}", std::process::id());
    db.conn
        .execute(
            "INSERT INTO runs (run_id, started, host, tool_version, arguments, shard) VALUES (?1,?2,?3,?4,?5,?6)",
            params![
                run_id,
                started,
                crate::report::Run::now(crate::report::run_time()).host,
                env!("CARGO_PKG_VERSION"),
                cfg.arguments,
                cfg.shard.map(|s| s.to_string()),
            ],
        )
        .map_err(db.err())?;
    let ledger = if cfg.resume { read_ledger(&db)? } else { BTreeMap::new() };
    progress.total(mine.len());

    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Done, u128)>();
    let mut failure = None;
    std::thread::scope(|scope| {
        for _ in 0..cfg.jobs.max(1).min(mine.len().max(1)) {
            let tx = tx.clone();
            let (next, mine, ledger, partial_root) = (&next, &mine, &ledger, &partial_root);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(b) = mine.get(i) else { break };
                progress.started(b);
                let start = Instant::now();
                let done = if cfg.resume && up_to_date(cfg, b, ledger.get(&b.key)) {
                    Done::Skipped
                } else {
                    let partial = partial_root.join(format!("{}-{}", std::process::id(), leaf(&b.folder)));
                    let _ = std::fs::remove_dir_all(&partial);
                    let end = cfg
                        .child
                        .run(&b.path, &partial)
                        .unwrap_or_else(|e| ChildEnd::Failed(-1, e.to_string()));
                    Done::Ran(end, partial)
                };
                if tx.send((i, done, start.elapsed().as_millis())).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // One writer: each bundle's folder is moved into place, then its rows committed.
        for (i, done, ms) in rx {
            let b = &mine[i];
            match record(cfg, &mut db, &run_id, b, done, ms, &ledger) {
                Ok((status, action)) => progress.finished(b, &status, &action),
                Err(e) => {
                    failure.get_or_insert(e);
                    next.store(mine.len(), Ordering::SeqCst); // Stop handing out bundles.
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    clean_stale_partials(&partial_root); // What children of a killed run left meanwhile.
    let _ = std::fs::remove_dir(&partial_root);
    db.conn
        .execute("UPDATE runs SET ended = ?1 WHERE run_id = ?2", params![now_iso(), run_id])
        .map_err(db.err())?;
    let keys: Vec<String> = mine.iter().map(|b| b.key.clone()).collect();
    let rows = summary::rows(&db, Some(&keys), Some(&run_id))?;
    summary::write_json(&cfg.out, &rows, cfg.shard.map(|s| s.to_string()))
        .map_err(|e| BatchError::io(&cfg.out, e))?;
    Ok(BatchOutcome { exit_code: summary::exit_code(&rows), rows })
}

/// The wall clock, for the `runs` table only (`SOURCE_DATE_EPOCH` does not pin it).
fn now_iso() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    crate::model::Timestamp::from_unix(now.as_secs() as i64, now.subsec_nanos()).to_iso()
}

fn leaf(folder: &str) -> &str {
    folder.rsplit('/').next().unwrap_or(folder)
}

/// Partial folders left by a run that was killed (its process is gone) are removed.
fn clean_stale_partials(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name.split('-').next().unwrap_or_default();
        let alive = Path::new("/proc").is_dir() && Path::new("/proc").join(pid).exists();
        if !alive || pid == std::process::id().to_string() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn read_ledger(db: &CaseDb) -> Result<BTreeMap<String, Ledger>, BatchError> {
    let mut st = db
        .conn
        .prepare("SELECT bundle, status, folder, input_sha256, options FROM bundles")
        .map_err(db.err())?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                Ledger { status: r.get(1)?, folder: r.get(2)?, input_sha256: r.get(3)?, options: r.get(4)? },
            ))
        })
        .map_err(db.err())?
        .collect::<rusqlite::Result<_>>()
        .map_err(db.err())?;
    Ok(rows)
}

/// `--resume`: the ledger has the bundle scanned with the same options into the same folder,
/// every output its manifest lists is there with its size, and a fresh input hash matches.
fn up_to_date(cfg: &BatchConfig, b: &BundleSpec, ledger: Option<&Ledger>) -> bool {
    let Some(l) = ledger else { return false };
    if l.status != "ok" || l.folder != b.folder || l.options != cfg.options {
        return false;
    }
    let dir = cfg.out.join(&b.folder);
    let Ok(manifest) = std::fs::read(dir.join("manifest.json")) else { return false };
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(&manifest) else { return false };
    let outputs_there = manifest["outputs"].as_array().is_some_and(|outs| {
        outs.iter().all(|o| {
            let size = std::fs::metadata(dir.join(o["file"].as_str().unwrap_or("?"))).map(|m| m.len()).ok();
            size.is_some() && size == o["bytes"].as_u64()
        })
    });
    outputs_there && l.input_sha256.as_deref() == Some(inputs::fresh(&b.path).sha256.as_str())
}

/// Record one finished bundle: move its folder into place, then its rows in one transaction.
fn record(
    cfg: &BatchConfig,
    db: &mut CaseDb,
    run_id: &str,
    b: &BundleSpec,
    done: Done,
    ms: u128,
    ledger: &BTreeMap<String, Ledger>,
) -> Result<(String, String), BatchError> {
    let row = |status: &str, exit_code: i32, message: Option<String>| BundleRow {
        key: b.key.clone(),
        path: b.path.display().to_string(),
        folder: b.folder.clone(),
        status: status.into(),
        exit_code,
        input_sha256: None,
        inputs: None,
        options: cfg.options.clone(),
        message,
    };
    let (status, action) = match done {
        Done::Skipped => (ledger.get(&b.key).map(|l| l.status.clone()).unwrap_or_default(), "skipped"),
        Done::Ran(end, partial) => {
            let final_dir = cfg.out.join(&b.folder);
            let unreadable = crate::exit::EXIT_UNREADABLE;
            let (row, report) = match end {
                ChildEnd::Reported(code) => match place(&partial, &final_dir) {
                    Ok(report) => {
                        let input = report["bundles"].get(0).map(inputs::from_report);
                        let mut r = row("ok", code, None);
                        r.input_sha256 = input.as_ref().map(|i| i.sha256.clone());
                        r.inputs = input.map(|i| i.count as i64);
                        (r, Some(report))
                    }
                    Err(e) => (row("failed", unreadable, Some(e.to_string())), None),
                },
                ChildEnd::TimedOut => (
                    row(
                        "timed-out",
                        unreadable,
                        cfg.child.timeout.map(|t| format!("killed after {} s", t.as_secs_f64())),
                    ),
                    None,
                ),
                ChildEnd::Crashed(msg) => (row("crashed", unreadable, Some(msg)), None),
                ChildEnd::Failed(code, msg) => {
                    (row("failed", unreadable, Some(format!("exit {code}: {msg}"))), None)
                }
            };
            if row.status != "ok" {
                let _ = std::fs::remove_dir_all(&partial);
                let _ = std::fs::remove_dir_all(&final_dir);
            }
            crate::case::ingest::record(db, &row, report.as_ref())?;
            (row.status, "scanned")
        }
    };
    db.conn
        .execute(
            "INSERT INTO run_bundles VALUES (?1,?2,?3,?4,?5)",
            params![run_id, b.key, action, status, if action == "skipped" { 0 } else { ms as i64 }],
        )
        .map_err(db.err())?;
    Ok((status, action.to_string()))
}

/// Move a child's finished folder into place (an old one is replaced); its report.
fn place(partial: &Path, final_dir: &Path) -> Result<serde_json::Value, BatchError> {
    let stderr = partial.join(child::STDERR_FILE);
    if std::fs::metadata(&stderr).is_ok_and(|m| m.len() == 0) {
        let _ = std::fs::remove_file(&stderr);
    }
    if final_dir.exists() {
        std::fs::remove_dir_all(final_dir).map_err(|e| BatchError::io(final_dir, e))?;
    }
    if let Some(parent) = final_dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| BatchError::io(parent, e))?;
    }
    std::fs::rename(partial, final_dir).map_err(|e| BatchError::io(final_dir, e))?;
    let path = final_dir.join(crate::report::format::ReportFormat::Json.file_name());
    let text = std::fs::read(&path).map_err(|e| BatchError::io(&path, e))?;
    serde_json::from_slice(&text)
        .map_err(|e| BatchError::Report { path: path.display().to_string(), message: e.to_string() })
}
