//! `scan --out DIR`: every format written at once, plus `manifest.json`: the SHA-256 of every
//! output and every input artifact, the tool version and commit, the arguments and the UTC
//! start and end of the run. Each file is streamed to disk and hashed as it is written. The
//! manifest is marked (`"ctriage_report": "out-manifest"`), so a scan that meets DIR again
//! skips every file it lists as ctriage's own output, never evidence.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::format::{self, ReportFormat};
use super::text::Style;
use crate::model::Timestamp;
use crate::report::Report;

/// A writer that hashes what passes through it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Why `--out` failed: which file, and the I/O error.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub(crate) struct OutError {
    pub(crate) path: String,
    #[source]
    pub(crate) source: io::Error,
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> OutError + '_ {
    move |source| OutError { path: path.display().to_string(), source }
}

/// Write every format into `dir` (created when missing; the text report plain) and the
/// manifest last; returns each file written with its size.
pub(crate) fn write_all(
    report: &Report,
    dir: &Path,
    started: Timestamp,
) -> Result<Vec<(std::path::PathBuf, u64)>, OutError> {
    std::fs::create_dir_all(dir).map_err(at(dir))?;
    let mut outputs = vec![];
    let mut written = vec![];
    for f in ReportFormat::ALL {
        let path = dir.join(f.file_name());
        let file = File::create(&path).map_err(at(&path))?;
        let mut w = Hashing { inner: BufWriter::new(file), hash: Sha256::new(), bytes: 0 };
        format::write(report, f, &Style::plain(), &mut w).and_then(|()| w.flush()).map_err(at(&path))?;
        let digest = crate::digest::hex(&w.hash.finalize());
        written.push((path, w.bytes));
        outputs.push(
            json!({ "file": f.file_name(), "format": format!("{f:?}"), "bytes": w.bytes, "sha256": digest }),
        );
    }
    let inputs: Vec<_> = report
        .bundles
        .iter()
        .flat_map(|b| {
            b.artifacts.iter().map(move |a| {
                json!({ "bundle": b.path, "artifact": a.path, "kind": a.kind.as_str(), "bytes": a.size, "sha256": a.sha256 })
            })
        })
        .collect();
    let manifest = json!({
        "schema_version": report.schema_version,
        "tool": report.tool,
        (crate::evidence::own::MARKER_KEY): crate::evidence::own::OUT_MANIFEST,
        "run": report.run,
        "arguments": report.run.arguments,
        "start": started.to_iso(),
        "end": crate::report::run_time().to_iso(),
        "outputs": outputs,
        "inputs": inputs,
    });
    let path = dir.join("manifest.json");
    let mut f = Hashing {
        inner: BufWriter::new(File::create(&path).map_err(at(&path))?),
        hash: Sha256::new(),
        bytes: 0,
    };
    serde_json::to_writer_pretty(&mut f, &manifest)
        .map_err(crate::report::json_io)
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.flush())
        .map_err(at(&path))?;
    written.push((path, f.bytes));
    Ok(written)
}
