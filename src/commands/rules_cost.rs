//! `ctriage rules cost FILE...`: how much of each log gets past the prefilter to the
//! automaton and the rules (per MiB), the figures `benches/logmix.sh` compares across mixes;
//! with `--windows N`, which window prefixes cost the most on each log.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use crate::compression::{decoder, detect_compression, DecodeLimits};
use crate::exit::EXIT_UNREADABLE;
use crate::logscan::{scan_reader, Engine, ScanConfig};
use crate::model::{terminal_safe, Locator};

/// Scan each of `files` as `logs` would (framing sniffed, gzip/zstd looked through, one
/// thread) and print, per file, its framing, size and per MiB: prefix hits (positions checked
/// against the 4-byte windows), window hits (automaton runs) and candidates (records
/// evaluated rule by rule), then the hits found. Files that cannot be read, and anything but a
/// regular file (links are not followed), are named on stderr (exit 2).
pub(crate) fn run(
    files: &[PathBuf],
    rules: &[PathBuf],
    sigma: &[PathBuf],
    windows: usize,
) -> anyhow::Result<i32> {
    let engine = Engine::with_sources(rules, sigma, true)?;
    let cfg = ScanConfig::default();
    let mut rc = 0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<10} {:>10} {:>14} {:>14} {:>14} {:>8}  file",
        "framing", "MiB", "prefix/MiB", "windows/MiB", "candidates/MiB", "hits"
    );
    for f in files {
        let name = terminal_safe(&f.display().to_string());
        let r = match open_log(f) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{name}: cannot read: {}", terminal_safe(&e.to_string()));
                rc = EXIT_UNREADABLE;
                continue;
            }
        };
        let scan = scan_reader(r, Locator::artifact(f.display().to_string()), &engine, &cfg);
        let st = &scan.scan;
        let mib = st.bytes as f64 / (1u64 << 20) as f64;
        let per = |n: u64| if mib > 0.0 { n as f64 / mib } else { 0.0 };
        let _ = writeln!(
            s,
            "{:<10} {:>10.2} {:>14.1} {:>14.1} {:>14.1} {:>8}  {name}",
            scan.format.name(),
            mib,
            per(st.filter.prefix_hits),
            per(st.filter.window_hits),
            per(st.filter.candidates),
            st.counts.values().sum::<u64>()
        );
        for d in &st.diagnostics {
            eprintln!("{name}: {}", terminal_safe(&d.message));
        }
    }
    if windows > 0 {
        for f in files {
            // Files that could not be read were named above.
            if let Ok(r) = open_log(f) {
                census(&engine, r, windows, &terminal_safe(&f.display().to_string()), &mut s);
            }
        }
    }
    print!("{s}");
    Ok(rc)
}

/// A regular file's decoded content (a link is not followed, a device or FIFO never ends).
fn open_log(f: &std::path::Path) -> std::io::Result<impl Read + Send> {
    let m = std::fs::symlink_metadata(f)?;
    if !m.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let file = std::fs::File::open(f)?;
    let size = file.metadata()?.len();
    let mut r = BufReader::with_capacity(1 << 16, file);
    let c = detect_compression(r.fill_buf()?);
    decoder(r, c, Some(size), DecodeLimits::default())
}

/// The `top` window prefixes checked most often in the log `r` (read in 1 MiB pieces, each
/// with the previous one's last 2 bytes), per MiB, with the literals whose window they begin.
fn census(engine: &Engine, mut r: impl Read, top: usize, name: &str, s: &mut String) {
    let mut counts = std::collections::HashMap::new();
    let mut buf = vec![0u8; (1 << 20) + 2];
    let (mut kept, mut bytes) = (0usize, 0u64);
    loop {
        let n = match r.read(&mut buf[kept..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        bytes += n as u64;
        let end = kept + n;
        engine.window_census(&buf[..end], &mut counts);
        kept = end.min(2);
        buf.copy_within(end - kept..end, 0);
    }
    let mib = (bytes as f64 / (1u64 << 20) as f64).max(f64::MIN_POSITIVE);
    let mut rows: Vec<(Vec<u8>, (u64, u64))> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    let _ = writeln!(
        s,
        "\nwindow prefixes checked most in {name}:\n{:<8} {:>12} {:>12}  literals",
        "prefix", "checks/MiB", "windows/MiB"
    );
    for (prefix, (checks, hits)) in rows.into_iter().take(top) {
        let lits = engine.patterns_with_window(&prefix);
        let shown: Vec<String> =
            lits.iter().take(4).map(|l| terminal_safe(&crate::model::display_bytes(l))).collect();
        let more = if lits.len() > 4 { format!(" (+{} more)", lits.len() - 4) } else { String::new() };
        let _ = writeln!(
            s,
            "{:<8} {:>12.1} {:>12.1}  {}{more}",
            format!("{:?}", terminal_safe(&crate::model::display_bytes(&prefix))),
            checks as f64 / mib,
            hits as f64 / mib,
            shown.join(", ")
        );
    }
}
