//! `ctriage logs` on third-party fixtures: the log4shell-detector test cases (must / must
//! not detect, per its README) and plaso's real json-file log.

use crate::util::{run_json, shared};

const L4SD: &str = "fixtures/log4shell-detector/tests/test-cases";

/// Lines of `file` with a JNDI hit, and the number of hits at medium or above.
fn jndi_lines(file: &str) -> (Vec<u64>, usize) {
    let p = shared(&format!("{L4SD}/{file}"));
    let (v, _) = run_json(&["logs", p.to_str().unwrap()]);
    let hits = v["bundles"][0]["log_hits"].as_array().cloned().unwrap_or_default();
    let mut lines: Vec<u64> = hits
        .iter()
        .filter(|h| h["rule"].as_str().unwrap().starts_with("log4j.jndi"))
        .map(|h| h["locator"]["line"].as_u64().unwrap())
        .collect();
    lines.dedup();
    let serious = hits
        .iter()
        .filter(|h| matches!(h["severity"].as_str(), Some("medium" | "high" | "critical")))
        .count();
    (lines, serious)
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn log4shell_detector_positives_are_detected() {
    for (file, want_lines) in [
        ("test-log-log4shell.log", vec![3]),
        ("test-log-log4shell.log.gz", vec![3]),
        ("test-log-log4shell-casing.log", vec![1]),
        ("test-log-log4shell-obf1.log", vec![1]),
        ("test-log-heavy-obfusc.log", vec![1]),
        ("test-url-encoded.log", vec![1, 2, 3]),
    ] {
        let (lines, _) = jndi_lines(file);
        assert_eq!(lines, want_lines, "{file}");
    }
    // The error line, and the JndiLookup frame of its stack trace.
    assert_eq!(jndi_lines("test-java-exception.log").0, vec![1, 11]);
    let (lines, _) = jndi_lines("woodpecker-payload-gen.txt");
    assert!(lines.len() >= 5, "woodpecker payloads: {lines:?}");
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn log4shell_detector_negatives_stay_quiet() {
    for file in ["test-shouldnt-match1.log", "test-shouldnt-match2.log", "test-urldecode-shouldnt-match.log"]
    {
        let (lines, serious) = jndi_lines(file);
        assert!(lines.is_empty() && serious == 0, "{file}: {lines:?} / {serious}");
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn plaso_json_file_log_is_read_whole() {
    let p = shared("fixtures/plaso/test_data/docker/containers/e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c/container-json.log");
    let (v, code) = run_json(&["logs", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["logs_scanned"][0]["format"], "json-file");
    assert_eq!(b["logs_scanned"][0]["lines"], 10);
    assert_eq!(b["log_hits"].as_array().unwrap().len(), 0);
    assert_eq!(b["diagnostics"].as_array().unwrap().len(), 0, "{}", b["diagnostics"]);
    assert_eq!(code, 0);
}
