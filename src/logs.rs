//! Wiring `ctriage logs`: each path is one bundle of log artifacts, a
//! plain file scanned while it is hashed for custody, archives by their log members.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use crate::compression::{detect_compression, Compression};
use crate::evidence::{discover, sniff_text, Artifact, ArtifactKind, ArtifactSource, Bundle};
use crate::logscan::{build_section, followup, scan_given_log, Engine, ScanConfig, SourceScan};
use crate::report::{ArtifactRecord, BundleReport};

/// One FILE of `ctriage logs`. A plain (uncompressed) file is scanned while `discover`
/// hashes it for custody, so hashing costs no extra wall time; the early scan is kept only
/// when discovery classifies the file the same way, otherwise it is scanned again.
pub(crate) fn scan_path(p: &Path, engine: &Engine, cfg: &ScanConfig) -> BundleReport {
    let (bundle, early) =
        rayon::join(|| discover(p), || early_artifact(p).map(|a| (scan_given_log(&a, engine, cfg, true), a)));
    let mut sources = match (early, bundle.artifacts.as_slice()) {
        (Some((sources, e)), [a])
            if a.path == e.path && a.kind == e.kind && a.compression == e.compression =>
        {
            sources
        }
        _ => {
            let single = bundle.artifacts.len() == 1;
            bundle.artifacts.par_iter().flat_map_iter(|a| scan_given_log(a, engine, cfg, single)).collect()
        }
    };
    let artifacts: Vec<&Artifact> = bundle.artifacts.iter().collect();
    followup::attach_statuses(&mut sources, &artifacts);
    crate::logscan::date_syslog_years(&mut sources, &artifacts, None);
    logs_bundle(bundle, sources, engine)
}

/// A plain regular file as `discover` describes it (without its hash), for the early scan.
fn early_artifact(p: &Path) -> Option<Artifact> {
    let meta = std::fs::symlink_metadata(p).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut head = vec![0u8; 64 << 10];
    let mut f = std::fs::File::open(p).ok()?;
    let n = read_head(&mut f, &mut head);
    head.truncate(n);
    if detect_compression(&head).is_some() {
        return None;
    }
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let kind = sniff_text(&head, &name);
    if !kind.is_log() && kind != ArtifactKind::Unknown {
        return None;
    }
    Some(Artifact {
        path: p.display().to_string(),
        source: ArtifactSource::File(p.to_path_buf()),
        kind,
        size: meta.len(),
        sha256: None,
        compression: Compression::None,
        error: None,
        note: None,
        mtime: crate::model::Timestamp::of_mtime(&meta),
    })
}

fn read_head(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    got
}

fn logs_bundle(bundle: Bundle, sources: Vec<SourceScan>, engine: &Engine) -> BundleReport {
    let mut section = build_section(sources, engine);
    let mut outcome = std::mem::take(&mut section.outcome);
    outcome.diagnostics.extend(bundle.diagnostics.iter().cloned());
    outcome.sort();
    let mut report = BundleReport::new(
        bundle.path.clone(),
        bundle.kind,
        bundle.artifacts.iter().map(ArtifactRecord::from).collect(),
    );
    report.logs = section;
    let (facts, story) = crate::analyze::story::tell(
        &report,
        &crate::analyze::attribution::Owners::new(&[], None, &[]),
        std::mem::take(&mut outcome.findings),
        &[],
    );
    outcome
        .timeline
        .extend(crate::analyze::story::records::events(&story.log_records, &report.logs.log_hits));
    outcome.sort();
    report.findings = facts;
    report.story = story;
    report.timeline = crate::report::Timeline::from_events(outcome.timeline);
    report.diagnostics = outcome.diagnostics;
    report
}
