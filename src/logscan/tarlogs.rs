//! Log files inside a filesystem tar (a `docker export`, a layer): members under
//! `var/log/`, `**/logs/**`, `*.log` (rotated and gzipped too) and `catalina.out`, streamed
//! from the tar one after the other, never extracted, never read whole.

use crate::layerfs::{MemberKind, TarReader};
use std::io::{BufRead, BufReader, Read};

use super::engine::Engine;
use super::framing::text::Text;
use super::records::{ScanConfig, StreamScan};
use super::stream::{scan_reader, SourceScan};
use crate::compression::{decoder, detect_compression, DecodeLimits};
use crate::evidence::Artifact;
use crate::model::{display_bytes, Diagnostic, Locator};

/// Binary accounting files under /var/log: not text logs.
const BINARY_LOGS: &[&str] = &["wtmp", "btmp", "lastlog", "faillog", "utmp"];

/// Is this tar member a log file worth scanning?
pub(crate) fn is_log_path(name: &str) -> bool {
    let n = name.trim_start_matches("./").trim_start_matches('/');
    let file = n.rsplit('/').next().unwrap_or(n);
    if file.is_empty()
        || file.starts_with(".wh.")
        || BINARY_LOGS.contains(&file)
        || file.ends_with(".journal")
    {
        return false;
    }
    let bare = file.trim_end_matches(".gz");
    let bare = bare.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches(['.', '-']);
    n.starts_with("var/log/")
        || n.contains("/logs/")
        || n.starts_with("logs/")
        || bare.ends_with(".log")
        || bare.ends_with("catalina.out")
        || file == "catalina.out"
}

/// Scan the log members of a tar artifact.
pub(crate) fn scan_artifact_tar(a: &Artifact, engine: &Engine, cfg: &ScanConfig) -> Vec<SourceScan> {
    match a.open() {
        Ok(r) => scan_tar(r, a.locator(), engine, cfg),
        Err(e) => vec![SourceScan {
            locator: a.locator(),
            format: &Text,
            scan: StreamScan {
                diagnostics: vec![Diagnostic::error(a.locator(), format!("cannot read tar: {e}"))],
                ..Default::default()
            },
        }],
    }
}

/// Scan the log members of a tar stream named by `loc`.
pub(crate) fn scan_tar(r: impl Read, loc: Locator, engine: &Engine, cfg: &ScanConfig) -> Vec<SourceScan> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut ar = TarReader::new(r);
    let entries = match ar.members() {
        Ok(e) => e,
        Err(e) => {
            errors.push(Diagnostic::error(loc.clone(), format!("not a readable tar: {e}")));
            return vec![error_source(loc, errors)];
        }
    };
    let mut journals = 0usize;
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(Diagnostic::error(
                    loc.clone(),
                    format!("tar truncated or corrupt, later members not scanned: {e}"),
                ));
                break;
            }
        };
        if entry.kind() != MemberKind::Regular {
            continue;
        }
        let name = display_bytes(&entry.name());
        if name.ends_with(".journal") || name.ends_with(".journal~") {
            journals += 1;
        }
        if !is_log_path(&name) {
            continue;
        }
        let size = entry.size();
        let member_loc = loc.clone().with_member(name);
        let mut br = BufReader::with_capacity(64 << 10, entry);
        let head = match br.fill_buf() {
            Ok(h) => h.to_vec(),
            Err(e) => {
                errors.push(Diagnostic::error(member_loc, format!("cannot read member: {e}")));
                continue;
            }
        };
        let compression = detect_compression(&head);
        let scanned = if compression.is_some() {
            match decoder(br, compression, Some(size), DecodeLimits::default()) {
                Ok(d) => scan_reader(d, member_loc, engine, cfg),
                Err(e) => {
                    errors.push(Diagnostic::error(member_loc, format!("cannot decompress member: {e}")));
                    continue;
                }
            }
        } else {
            scan_reader(br, member_loc, engine, cfg)
        };
        out.push(scanned);
    }
    if journals > 0 {
        errors.push(Diagnostic::warning(
            loc.clone(),
            format!(
                "{journals} systemd journal file(s) in their native binary format not read (not decoded here): \
                 export them with `journalctl --file FILE -o export` and scan the export"
            ),
        ));
    }
    if !errors.is_empty() {
        out.push(error_source(loc, errors));
    }
    out
}

fn error_source(loc: Locator, diagnostics: Vec<Diagnostic>) -> SourceScan {
    SourceScan { locator: loc, format: &Text, scan: StreamScan { diagnostics, ..Default::default() } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_paths() {
        for p in [
            "var/log/nginx/access.log",
            "./var/log/syslog.2.gz",
            "/opt/app/logs/app.txt",
            "usr/local/tomcat/logs/catalina.out",
            "srv/x/app.log.1",
            "srv/x/app-2026-11-27.log",
            "catalina.out",
        ] {
            assert!(is_log_path(p), "{p}");
        }
        for p in [
            "etc/passwd",
            "var/log/wtmp",
            "var/log/journal/x/system.journal",
            "usr/lib/x.so",
            "var/log/.wh.old.log",
            "var/log/",
        ] {
            assert!(!is_log_path(p), "{p}");
        }
    }
}
