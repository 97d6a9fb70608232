//! Live progress on standard error: counters the pipeline bumps as it goes ([`Meter`]) and
//! the line that shows them with the bytes this process has read ([`Ticker`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a scan has got through so far. Shared (`Arc`) between the workers and the ticker;
/// counts only go up.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    bundles_total: AtomicU64,
    bundles_done: AtomicU64,
    artifacts: AtomicU64,
    artifact_bytes: AtomicU64,
}

/// One reading of a [`Meter`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub bundles_total: u64,
    pub bundles_done: u64,
    /// Artifacts found so far (each bundle's, once it has been discovered and hashed).
    pub artifacts: u64,
    /// Their stored size.
    pub artifact_bytes: u64,
}

impl Meter {
    /// A meter for `bundles` bundles.
    pub(crate) fn new(bundles: u64) -> Arc<Meter> {
        let m = Meter::default();
        m.bundles_total.store(bundles, Ordering::Relaxed);
        Arc::new(m)
    }

    /// A bundle's artifacts were found and hashed: `count` of them, `bytes` stored.
    pub(crate) fn discovered(&self, count: u64, bytes: u64) {
        self.artifacts.fetch_add(count, Ordering::Relaxed);
        self.artifact_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A bundle is analysed.
    pub(crate) fn bundle_done(&self) {
        self.bundles_done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            bundles_total: self.bundles_total.load(Ordering::Relaxed),
            bundles_done: self.bundles_done.load(Ordering::Relaxed),
            artifacts: self.artifacts.load(Ordering::Relaxed),
            artifact_bytes: self.artifact_bytes.load(Ordering::Relaxed),
        }
    }
}

/// Bytes this process has read so far (`rchar` of `/proc/self/io`: every read, page cache
/// included, so a file read twice counts twice), and how many bytes this reading itself read
/// (counted in the next one); `None` where the kernel does not say.
pub(crate) fn bytes_read() -> Option<(u64, u64)> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let rchar = io.lines().find_map(|l| l.strip_prefix("rchar:")).and_then(|v| v.trim().parse().ok())?;
    Some((rchar, io.len() as u64))
}

/// The progress line for a reading: bundles, artifacts found, bytes read and the rate.
pub(crate) fn describe(s: Snapshot, read: Option<u64>, elapsed: Duration) -> String {
    let mut line = format!("bundles {}/{}", s.bundles_done, s.bundles_total);
    if s.artifacts > 0 {
        line.push_str(&format!(" · {} artifacts ({})", s.artifacts, HumanBytes(s.artifact_bytes)));
    }
    if let Some(r) = read {
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { (r as f64 / secs) as u64 } else { 0 };
        line.push_str(&format!(" · read {} ({}/s)", HumanBytes(r), HumanBytes(rate)));
    }
    line
}

/// The progress line on standard error, redrawn five times a second from a [`Meter`] until
/// dropped. Hidden (no thread at all) unless asked for: `--quiet` and a stderr that is not
/// a terminal turn it off.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Start showing `meter` when `show`; `what` names the work (`scan`, `logs`).
    pub(crate) fn start(meter: &Arc<Meter>, show: bool, what: &'static str) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        if !show {
            return Ticker { stop, thread: None };
        }
        let (meter, flag) = (Arc::clone(meter), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {elapsed} {msg}") {
                pb.set_style(style);
            }
            pb.set_prefix(what);
            let start = Instant::now();
            // The ticker's own readings of /proc are not the scan's.
            let (base, mut own) = bytes_read().unwrap_or_default();
            loop {
                let read = bytes_read().map(|(r, n)| {
                    let scan = r.saturating_sub(base + own);
                    own += n;
                    scan
                });
                pb.set_message(describe(meter.snapshot(), read, start.elapsed()));
                pb.tick();
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::park_timeout(Duration::from_millis(200));
            }
            pb.finish_and_clear();
        });
        Ticker { stop, thread: Some(thread) }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_bundles_artifacts_and_bytes() {
        let m = Meter::new(3);
        assert_eq!(describe(m.snapshot(), None, Duration::ZERO), "bundles 0/3");
        m.discovered(340, 3 << 30);
        m.bundle_done();
        assert_eq!(
            describe(m.snapshot(), Some(1 << 30), Duration::from_secs(2)),
            "bundles 1/3 · 340 artifacts (3.00 GiB) · read 1.00 GiB (512.00 MiB/s)"
        );
    }

    #[test]
    fn this_process_reads_are_counted() {
        let before = bytes_read();
        let _ = std::fs::read("Cargo.toml");
        if let (Some((a, n)), Some((b, _))) = (before, bytes_read()) {
            assert!(b > a + n);
        }
    }
}
