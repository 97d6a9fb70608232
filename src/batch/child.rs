//! One bundle in its own process: `ctriage scan PATH --out PARTIAL --quiet ...` run from
//! the same binary, so a bundle that panics, eats memory or hangs is only that bundle's
//! problem; `--timeout` kills it. Its standard error goes to a file beside its outputs.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::BatchError;

/// How a child run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChildEnd {
    /// `scan` wrote its report; its exit code (0-7: the three bits of `crate::exit`).
    Reported(i32),
    /// Killed after `--timeout`.
    TimedOut,
    /// Ended without a report: a usage or I/O failure (its exit code and standard error).
    Failed(i32, String),
    /// Killed by a signal or a panic (its standard error).
    Crashed(String),
}

/// What to run for a child.
#[derive(Debug, Clone)]
pub(crate) struct ChildCommand {
    pub exe: PathBuf,
    /// Arguments after `scan PATH --out DIR --quiet` (rules, sigma, fail-on, base image, jobs).
    pub args: Vec<OsString>,
    pub timeout: Option<Duration>,
}

/// Set on every child: the batch's process id. A child whose batch is gone (killed) stops
/// rather than run on as an orphan ([`watch_parent`]).
pub(crate) const PARENT_ENV: &str = "CTRIAGE_BATCH_PARENT";

/// In a child of a batch (the environment names its parent): exit as soon as the parent
/// process is gone (checked every 200 ms on a thread of its own).
pub(crate) fn watch_parent() {
    #[cfg(unix)]
    if let Some(parent) = std::env::var(PARENT_ENV).ok().and_then(|p| p.parse::<u32>().ok()) {
        std::thread::spawn(move || loop {
            if std::os::unix::process::parent_id() != parent {
                std::process::exit(crate::exit::EXIT_FAILURE);
            }
            std::thread::sleep(Duration::from_millis(200));
        });
    }
}

/// The name of the child's standard error file in its output folder (kept when not empty).
pub(crate) const STDERR_FILE: &str = "stderr.txt";

impl ChildCommand {
    /// Scan `bundle` into `out` (created by the child); wait at most the timeout.
    pub(crate) fn run(&self, bundle: &Path, out: &Path) -> Result<ChildEnd, BatchError> {
        std::fs::create_dir_all(out).map_err(|e| BatchError::io(out, e))?;
        let err_path = out.join(STDERR_FILE);
        let err = File::create(&err_path).map_err(|e| BatchError::io(&err_path, e))?;
        let mut child = Command::new(&self.exe)
            .arg("scan")
            .arg(bundle)
            .arg("--out")
            .arg(out)
            .arg("--force")
            .arg("--quiet")
            .args(&self.args)
            .env(PARENT_ENV, std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .map_err(|e| BatchError::io(&self.exe, e))?;
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| BatchError::io(&self.exe, e))? {
                break status;
            }
            if self.timeout.is_some_and(|t| start.elapsed() >= t) {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(ChildEnd::TimedOut);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stderr = || {
            let text = std::fs::read(&err_path).unwrap_or_default();
            String::from_utf8_lossy(&text[..text.len().min(4096)]).trim().to_string()
        };
        Ok(match status.code() {
            Some(code @ 0..=7) if out.join("manifest.json").is_file() => ChildEnd::Reported(code),
            Some(code) if code == crate::exit::EXIT_USAGE || code == crate::exit::EXIT_FAILURE => {
                ChildEnd::Failed(code, stderr())
            }
            _ => ChildEnd::Crashed(format!("{status}: {}", stderr())),
        })
    }
}
