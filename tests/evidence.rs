//! Evidence discovery: sniffing by content, custody hashes, hostile input, exit codes.

use crate::util::{run_json, sha256_file, write_files};

#[test]
fn hashes_match_sha256sum_and_kinds_come_from_content() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("a1", b"UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:00 sh\n"),
            ("a2", b"{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00Z\"}\n"),
            ("a3", b"C /etc\nA /etc/x\n"),
            ("a4", b""),
        ],
    );
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    let arts = v["bundles"][0]["artifacts"].as_array().unwrap();
    let kinds: Vec<&str> = arts.iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["top", "json-file-log", "diff", "empty"]);
    for a in arts {
        let p = dir.path().join(a["path"].as_str().unwrap());
        assert_eq!(a["sha256"].as_str().unwrap(), sha256_file(&p));
    }
}
