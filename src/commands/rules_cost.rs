//! `ctriage rules cost FILE...`: how much of each log gets past the prefilter to the
//! automaton and the rules (per MiB), the figures `benches/logmix.sh` compares across mixes.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
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
pub(crate) fn run(files: &[PathBuf], rules: &[PathBuf], sigma: &[PathBuf]) -> anyhow::Result<i32> {
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
        let opened = std::fs::symlink_metadata(f).and_then(|m| {
            // Only regular files: a link is not followed, a device or FIFO never ends.
            if !m.is_file() {
                return Err(std::io::Error::other("not a regular file"));
            }
            let file = std::fs::File::open(f)?;
            let size = file.metadata()?.len();
            let mut r = BufReader::with_capacity(1 << 16, file);
            let c = detect_compression(r.fill_buf()?);
            decoder(r, c, Some(size), DecodeLimits::default())
        });
        let r = match opened {
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
    print!("{s}");
    Ok(rc)
}
