//! ctriage's own outputs are never evidence. Every file `scan --out` writes (and a batch's
//! `--out`) is recognised twice: by its content, each format by its own marker (the text
//! report's first line, the JSON envelope naming ctriage, `ctriage.record` in every JSONL
//! record, the exchange formats' fixed headers and names), and by the out directory's
//! manifest, which lists every file it wrote with its SHA-256. A recognised file stays in the
//! custody record with a note saying why, as a `ctriage-report`, and is never analysed.

use std::io::Read;

use serde::Deserialize;

use super::artifact::{Artifact, ArtifactKind};
use crate::model::Diagnostic;

/// The key that says what a JSON document ctriage wrote about its own outputs is: the
/// manifest of `scan --out` ([`OUT_MANIFEST`]) or a batch's summary ([`BATCH_SUMMARY`]).
pub const MARKER_KEY: &str = "ctriage_report";
/// [`MARKER_KEY`]'s value in the manifest `scan --out DIR` writes (`DIR/manifest.json`).
pub const OUT_MANIFEST: &str = "out-manifest";
/// [`MARKER_KEY`]'s value in a batch's `summary.json`.
pub const BATCH_SUMMARY: &str = "batch-summary";
/// File names a list of ctriage's outputs has in the directory it describes.
const LIST_NAMES: [&str; 2] = ["manifest.json", "summary.json"];
/// A manifest larger than this is not read (it lists every input of a bundle: a data root
/// with a million files stays well below).
const MAX_MANIFEST: u64 = 256 << 20;

/// Columns of the indicator CSV (`iocs-csv`): `role` is one word (`callback`,
/// `payload-server`, `mining-pool`, `request-source`, `ssh-key`, `wallet`, `dropped-file`),
/// `roles` every role it played (space-separated), `reason` what it did in words. The writers
/// (report/exchange) write the columns of this file; a file starting with them is ctriage's own.
pub(crate) const IOC_COLUMNS: [&str; 10] =
    ["bundle", "type", "value", "role", "path", "first_seen", "last_seen", "evidence", "roles", "reason"];
/// Columns of the findings CSV (`findings-csv`).
pub(crate) const FINDING_COLUMNS: [&str; 11] = [
    "bundle",
    "container",
    "severity",
    "rule",
    "rules",
    "category",
    "attack",
    "title",
    "summary",
    "time",
    "evidence",
];
/// Columns of the Timesketch CSV, and the keys (in order) of each Timesketch JSONL event.
pub(crate) const TIMESKETCH_COLUMNS: [&str; 10] = [
    "message",
    "datetime",
    "timestamp_desc",
    "timestamp",
    "source",
    "path",
    "rule",
    "severity",
    "container",
    "bundle",
];
/// iocs.csv's columns as ctriage wrote them before report schema 3.0.
const OLD_IOC_COLUMNS: [&str; 8] =
    ["bundle", "type", "value", "role", "path", "first_seen", "last_seen", "evidence"];

/// Whether `line` is the header of one of ctriage's CSV outputs.
fn csv_header(line: &str) -> bool {
    let known: [&[&str]; 4] = [&IOC_COLUMNS, &FINDING_COLUMNS, &TIMESKETCH_COLUMNS, &OLD_IOC_COLUMNS];
    known.iter().any(|cols| line.split(',').eq(cols.iter().copied()))
}

/// Whether `t` (the decoded head of a file, leading whitespace trimmed) is something ctriage
/// wrote, in any of its formats.
pub(crate) fn is_own_output(t: &str) -> bool {
    text_report(t)
        || json_document(t)
        || first_line_json(t).is_some_and(|v| is_record(&v) || is_timesketch_event(&v))
        || records_head(t)
        || csv_header(first_line(t).trim_end_matches('\r'))
        || markdown(t)
        || html(t)
        || t.starts_with("#!/bin/sh\n# Response plan written by ctriage ")
        || bodyfile(t)
}

fn first_line(t: &str) -> &str {
    t.split('\n').next().unwrap_or("")
}

/// The text report: `ctriage VERSION report (schema N), run TIME`.
fn text_report(t: &str) -> bool {
    t.strip_prefix("ctriage ").is_some_and(|rest| first_line(rest).contains(" report (schema "))
}

/// A JSON document of any command (report, `--out` manifest, batch summary, `plan`,
/// `layers`, `diff`): `schema_version` first, then `tool` named ctriage.
fn json_document(t: &str) -> bool {
    if !t.starts_with('{') {
        return false;
    }
    let head: String = t.chars().take(400).filter(|c| !c.is_whitespace()).collect();
    head.starts_with("{\"schema_version\":") && head.contains("\"tool\":{\"name\":\"ctriage\"")
}

/// The first line as a JSON object, when it is complete and is one.
fn first_line_json(t: &str) -> Option<serde_json::Value> {
    let (line, _) = t.split_once('\n')?;
    serde_json::from_str::<serde_json::Value>(line).ok().filter(serde_json::Value::is_object)
}

/// A JSONL record: its `ctriage` object says which record and which bundle.
fn is_record(v: &serde_json::Value) -> bool {
    v["ctriage"]["record"].is_string() && v["ctriage"]["bundle"].is_string()
}

/// The first JSONL record (a verdict) is longer than the head: its `ctriage.meta` envelope.
fn records_head(t: &str) -> bool {
    t.starts_with('{') && first_line(t).contains(",\"ctriage\":{\"meta\":{\"schema_version\":\"")
}

/// A Timesketch event: exactly ctriage's columns, its `source` named `ctriage:KIND`.
fn is_timesketch_event(v: &serde_json::Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    o.len() == TIMESKETCH_COLUMNS.len()
        && TIMESKETCH_COLUMNS.iter().all(|k| o.contains_key(*k))
        && v["source"].as_str().is_some_and(|s| s.starts_with("ctriage:"))
}

/// The Markdown summary: `# ctriage report`, then `ctriage VERSION (schema N), run ...`.
fn markdown(t: &str) -> bool {
    t.strip_prefix("# ctriage report\n").is_some_and(|rest| {
        let line = rest.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        line.starts_with("ctriage ") && line.contains(" (schema ")
    })
}

/// The HTML page: its title, in the head.
fn html(t: &str) -> bool {
    let head: String = t.chars().take(4096).collect();
    head.get(..15).is_some_and(|d| d.eq_ignore_ascii_case("<!DOCTYPE html>"))
        && head.contains("<title>ctriage report</title>")
}

/// The bodyfile: every line `0|[SOURCE] /path|0|MODE|UID|GID|SIZE|ATIME|MTIME|CTIME|CRTIME`,
/// the name as ctriage gives it (`[layer 3] /etc/passwd`, `[export] /tmp/x`).
fn bodyfile(t: &str) -> bool {
    let mut lines: Vec<&str> = t.lines().filter(|l| !l.is_empty()).take(51).collect();
    if lines.len() > 50 || t.len() >= 65536 {
        lines.pop(); // The head may end inside a line.
    }
    let number = |f: &str| {
        let d = f.strip_prefix('-').unwrap_or(f);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    };
    !lines.is_empty()
        && lines.iter().all(|l| {
            let f: Vec<&str> = l.split('|').collect();
            f.len() == 11
                && f[0] == "0"
                && f[1].starts_with('[')
                && f[1].contains("] /")
                && f[2] == "0"
                && f[3].len() == 12
                && f[3].as_bytes()[1] == b'/'
                && f[4..].iter().all(|x| number(x))
        })
}

/// What a list of ctriage's outputs says (the `--out` manifest, a batch summary).
#[derive(Deserialize)]
struct Listing {
    #[serde(default, rename = "ctriage_report")]
    marker: Option<String>,
    #[serde(default)]
    tool: Option<ToolName>,
    #[serde(default)]
    outputs: Vec<Listed>,
}

#[derive(Deserialize)]
struct ToolName {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Listed {
    file: String,
    #[serde(default)]
    sha256: Option<String>,
}

/// The outputs a listing artifact names, when it is one of ctriage's (marked, or a manifest
/// of an earlier version: ctriage's envelope with `outputs`).
fn read_listing(a: &Artifact) -> Result<Option<Vec<Listed>>, String> {
    if a.size > MAX_MANIFEST {
        return Err(format!("larger than {} MiB: not read", MAX_MANIFEST >> 20));
    }
    let r = a.open().map_err(|e| e.to_string())?;
    let l: Listing = match serde_json::from_reader(std::io::BufReader::new(r.take(MAX_MANIFEST))) {
        Ok(l) => l,
        // Not JSON at all (a text report saved under that name): no list, nothing to say.
        Err(e) if e.is_syntax() && e.line() == 1 && e.column() <= 1 => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let ours = match l.marker.as_deref() {
        Some(OUT_MANIFEST | BATCH_SUMMARY) => true,
        Some(_) => false,
        None => l.tool.is_some_and(|t| t.name == "ctriage") && !l.outputs.is_empty(),
    };
    Ok(ours.then_some(l.outputs))
}

/// A listed file name, when it stays inside the listing's directory.
fn inside(file: &str) -> bool {
    !file.is_empty()
        && !file.starts_with('/')
        && file.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Every file a ctriage listing in the bundle names beside it (`DIR/manifest.json` of
/// `scan --out DIR`, a batch's `summary.json`) becomes a `ctriage-report` with a note, when
/// its SHA-256 is the one listed (or none is listed). A listed file whose content changed
/// since is read as evidence, with a warning, unless its content still marks it as ctriage's.
pub(crate) fn mark_outputs(artifacts: &mut [Artifact], diagnostics: &mut Vec<Diagnostic>) {
    let listings: Vec<usize> = (0..artifacts.len())
        .filter(|&i| {
            let a = &artifacts[i];
            let base = a.path.rsplit('/').next().unwrap_or(&a.path);
            a.kind == ArtifactKind::CtriageReport && a.error.is_none() && LIST_NAMES.contains(&base)
        })
        .collect();
    for i in listings {
        let (list_path, dir) = {
            let p = &artifacts[i].path;
            (p.clone(), p[..p.len() - p.rsplit('/').next().unwrap_or(p).len()].to_string())
        };
        let listed = match read_listing(&artifacts[i]) {
            Ok(Some(listed)) => listed,
            Ok(None) => continue,
            Err(e) => {
                diagnostics.push(Diagnostic::warning(
                    artifacts[i].locator(),
                    format!(
                        "a ctriage report or manifest that could not be read as a list of outputs (the files beside it \
                         are recognised by their content only): {e}"
                    ),
                ));
                continue;
            }
        };
        let mut skipped = 0;
        for l in &listed {
            if !inside(&l.file) {
                diagnostics.push(Diagnostic::warning(
                    artifacts[i].locator(),
                    format!(
                        "lists `{}`, outside its own directory, as a ctriage output: ignored (nothing is skipped for it)",
                        crate::model::terminal_safe(&l.file)
                    ),
                ));
                continue;
            }
            let target = format!("{dir}{}", l.file);
            let Ok(j) = artifacts.binary_search_by(|a| a.path.as_str().cmp(target.as_str())) else {
                continue; // Not in the bundle (removed since, or never written).
            };
            let a = &mut artifacts[j];
            let Some(sha) = a.sha256.map(|s| s.to_string()) else { continue };
            if j == i || a.error.is_some() {
                continue;
            }
            let same = l.sha256.as_deref().is_none_or(|want| want.eq_ignore_ascii_case(&sha));
            if !same && a.kind != ArtifactKind::CtriageReport {
                diagnostics.push(Diagnostic::warning(
                    a.locator(),
                    format!(
                        "{list_path} lists it as written by ctriage, but its content changed since (SHA-256 {sha}, listed {}): read as evidence",
                        l.sha256.as_deref().unwrap_or("-")
                    ),
                ));
                continue;
            }
            let how = match (&l.sha256, same) {
                (Some(_), true) => "with this SHA-256",
                (None, _) => "by name",
                (Some(_), false) => "with another SHA-256: changed since, but its content is still ctriage's",
            };
            let sniffed = match a.kind {
                ArtifactKind::CtriageReport => String::new(),
                k => format!(" (content sniffed as {})", k.as_str()),
            };
            a.note = Some(format!(
                "written by ctriage --out (listed in {list_path} {how}){sniffed}; not evidence, never analysed"
            ).into());
            a.kind = ArtifactKind::CtriageReport;
            skipped += 1;
        }
        artifacts[i].note = Some(format!(
            "ctriage's list of the {skipped} output(s) beside it, skipped as written by ctriage; not evidence, never analysed"
        ).into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_recognised_by_its_head() {
        let yes = [
            "ctriage 0.1.0 report (schema 2.0), run 2025-12-01T00:00:00Z\n1 bundle(s)\n",
            "{\n  \"schema_version\": \"2.0\",\n  \"tool\": {\n    \"name\": \"ctriage\",\n",
            "{\"message\":\"x\",\"ctriage\":{\"record\":\"finding\",\"bundle\":\"b\"}}\n",
            "{\"message\":\"x\",\"container\":{\"name\":\"c\"},\"ctriage\":{\"meta\":{\"schema_version\":\"2.0\",\"tool\":",
            "{\"message\":\"m\",\"datetime\":\"d\",\"timestamp_desc\":\"t\",\"timestamp\":1,\"source\":\"ctriage:finding\",\"path\":\"\",\"rule\":\"\",\"severity\":\"\",\"container\":\"\",\"bundle\":\"b\"}\n",
            "bundle,type,value,role,path,first_seen,last_seen,evidence\r\nb,ip,1.2.3.4\r\n",
            "message,datetime,timestamp_desc,timestamp,source,path,rule,severity,container,bundle\n",
            "bundle,container,severity,rule,rules,category,attack,title,summary,time,evidence\n",
            "# ctriage report\n\nctriage 0.1.0 (schema 2.0), run 2025-12-01T00:00:00Z: 1 bundle(s)\n",
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ctriage report</title>",
            "#!/bin/sh\n# Response plan written by ctriage 0.1.0 from 1 bundle(s)\n",
            "0|[layer 0] /bin|0|d/drwxr-xr-x|0|0|0|0|1793664000|0|0\n0|[export] /tmp/x (deleted)|0|r/rrw-r--r--|0|0|3|0|-5|0|0\n",
        ];
        for t in yes {
            assert!(is_own_output(t), "{t}");
        }
        let no = [
            "{\"log\":\"{\\\"ctriage\\\":{\\\"record\\\":\\\"x\\\",\\\"bundle\\\":\\\"y\\\"}}\\n\",\"stream\":\"stdout\",\"time\":\"2025-01-01T00:00:00Z\"}\n",
            "{\"message\":\"m\",\"datetime\":\"d\",\"timestamp_desc\":\"t\",\"timestamp\":1,\"source\":\"plaso\",\"path\":\"\",\"rule\":\"\",\"severity\":\"\",\"container\":\"\",\"bundle\":\"b\"}\n",
            "message,datetime,timestamp_desc\n",
            "# ctriage report of my own\n\nnotes\n",
            "<!DOCTYPE html><title>ctriage</title>",
            "#!/bin/sh\necho ctriage\n",
            "0|/bin/ls|0|r/rrwxr-xr-x|0|0|1|0|0|0|0\n",
            "198.51.100.23 - - [27/Nov/2026:13:47:05 +0000] \"GET / HTTP/1.1\" 200 1\n",
            "ctriage was here\n",
        ];
        for t in no {
            assert!(!is_own_output(t), "{t}");
        }
    }

    #[test]
    fn listed_names_stay_inside() {
        assert!(inside("report.txt") && inside("bundles/a/stderr.txt"));
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a"] {
            assert!(!inside(bad), "{bad}");
        }
    }
}
