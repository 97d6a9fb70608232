//! Evidence discovery: sniffing by content, custody hashes, read-only access, hostile input,
//! bundle archives read in place, exit codes, determinism, the JSON schema.

use std::io::Write;
use std::path::Path;

use crate::util::{run, run_json, sha256_file, validate_against_schema, write_files};

fn tar_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_764_244_800);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const INSPECT_CONTAINER: &[u8] = br#"[
    {
        "Id": "4b1c0a3f",
        "Name": "/web",
        "State": {"Status": "running", "Running": true, "Pid": 4242},
        "HostConfig": {"Privileged": false},
        "Config": {"Image": "nginx"}
    }
]"#;

/// Every artifact kind, under a meaningless name: only the content can tell them apart.
fn every_kind() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let manifest = br#"[{"Config":"c.json","RepoTags":["x:1"],"Layers":["a/layer.tar"]}]"#;
    vec![
        ("docker-save", tar_bytes(&[("a/layer.tar", &tar_bytes(&[("etc/x", b"1")])), ("manifest.json", manifest)]), "docker-save"),
        ("oci", tar_bytes(&[("oci-layout", b"{\"imageLayoutVersion\":\"1.0.0\"}"), ("index.json", b"{}"), ("blobs/sha256/00", b"")]), "oci-archive"),
        ("export", tar_bytes(&[(".dockerenv", b""), ("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")]), "filesystem-tar"),
        ("layer", tar_bytes(&[("var/www/.wh.index.html", b""), ("var/www/shell.php", b"<?php eval($_POST[1]);")]), "layer-tar"),
        ("inspect-c", INSPECT_CONTAINER.to_vec(), "inspect"),
        ("inspect-i", br#"{"Id":"sha256:ab","RepoTags":["nginx:1"],"RootFS":{"Type":"layers","Layers":[]}}"#.to_vec(), "inspect"),
        ("jsonlog", b"{\"log\":\"GET / HTTP/1.1\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00.5Z\"}\n".to_vec(), "json-file-log"),
        ("tlog", b"2026-11-27T14:00:00.123456789Z started\n2026-11-27T14:00:01Z ready\n".to_vec(), "docker-logs-timestamped"),
        ("plain", b"Nov 27 14:00:00 host sshd[1]: Accepted publickey for root\n".to_vec(), "text-log"),
        ("top-ef", b"UID PID PPID C STIME TTY TIME CMD\nroot 84010 84000 0 14:00 ? 00:00:09 java -jar app.jar\n".to_vec(), "top"),
        ("top-api", br#"{"Titles":["UID","PID","PPID","C","STIME","TTY","TIME","CMD"],"Processes":[["root","1","0","0","14:00","?","00:00:00","sh"]]}"#.to_vec(), "top"),
        ("stats-t", b"CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT     MEM %     NET I/O       BLOCK I/O     PIDS\n4b1c0a3f1234   web       0.01%     76.1MiB / 3.686GiB   2.02%     1.2kB / 0B    0B / 0B       27\n".to_vec(), "stats"),
        ("stats-j", b"{\"BlockIO\":\"0B / 0B\",\"CPUPerc\":\"0.01%\",\"Container\":\"web\",\"ID\":\"4b1c0a3f1234\",\"MemPerc\":\"2.02%\",\"MemUsage\":\"76.1MiB / 3.686GiB\",\"Name\":\"web\",\"NetIO\":\"1.2kB / 0B\",\"PIDs\":\"27\"}\n".to_vec(), "stats"),
        ("changes", b"C /var\nA /var/www/shell.php\nD /root/.bash_history\n".to_vec(), "diff"),
        ("listing", b"CONTAINER ID   IMAGE     COMMAND                  CREATED       STATUS       PORTS                NAMES\n4b1c0a3f1234   nginx     \"/docker-entrypoint.\xe2\x80\xa6\"   2 hours ago   Up 2 hours   0.0.0.0:81->80/tcp   web\n".to_vec(), "ps"),
        ("config", br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[]}"#.to_vec(), "image-config"),
        ("gzlog", gzip(b"{\"log\":\"hi\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:00Z\"}\n"), "json-file-log"),
        ("zstdtext", zstd::encode_all(&b"C /etc\nA /etc/cron.d/x\n"[..], 3).unwrap(), "diff"),
        ("nothing", vec![], "empty"),
        ("elf", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0".to_vec(), "unknown"),
    ]
}

#[test]
fn every_kind_is_recognised_from_content_alone() {
    let dir = tempfile::tempdir().unwrap();
    let kinds = every_kind();
    for (i, (_, data, _)) in kinds.iter().enumerate() {
        std::fs::write(dir.path().join(format!("f{i:02}")), data).unwrap();
    }
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let arts = v["bundles"][0]["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), kinds.len());
    for (i, (label, _, want)) in kinds.iter().enumerate() {
        let a = &arts[i];
        assert_eq!(a["path"], format!("f{i:02}"));
        assert_eq!(a["kind"], *want, "{label}");
        let p = dir.path().join(format!("f{i:02}"));
        assert_eq!(a["sha256"].as_str().unwrap(), sha256_file(&p), "{label}");
        assert_eq!(a["size"].as_u64().unwrap(), std::fs::metadata(&p).unwrap().len());
    }
    assert_eq!(arts[16]["compression"], "gzip");
    assert_eq!(arts[17]["compression"], "zstd");
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut out = vec![];
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        let data = if m.is_file() { std::fs::read(e.path()).unwrap() } else { vec![] };
        out.push((e.path().display().to_string(), data, m.modified().unwrap()));
    }
    out
}

#[test]
fn evidence_is_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, data, _)) in every_kind().iter().enumerate() {
        std::fs::write(dir.path().join(format!("f{i:02}")), data).unwrap();
    }
    let archive = dir.path().join("bundle.tgz");
    std::fs::write(&archive, gzip(&tar_bytes(&[("case/inspect.json", INSPECT_CONTAINER)]))).unwrap();
    let before = snapshot(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    run(&["scan", dir.path().to_str().unwrap()]);
    run(&["scan", archive.to_str().unwrap()]);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn hostile_bundle_reports_good_artifacts_and_a_diagnostic_for_each_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let good_tar = tar_bytes(&[(".dockerenv", b""), ("etc/passwd", &vec![b'x'; 4096])]);
    let truncated = &good_tar[..good_tar.len() / 2 - 700];
    let mut bad_gzip = gzip(b"{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00Z\"}\n");
    let n = bad_gzip.len();
    bad_gzip.truncate(n - 12);
    let mut garbage = vec![0u8; 3000];
    for (i, b) in garbage.iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    write_files(
        dir.path(),
        &[
            ("good/top.txt", b"UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 14:00 ? 00:00:00 sh\n"),
            ("good/diff.txt", b"A /tmp/x\n"),
            ("bad/truncated.tar", truncated),
            ("bad/cut.json.gz", &bad_gzip),
            ("bad/garbage.bin", &garbage),
            ("bad/empty.json", b""),
            ("bad/name-\x1b[31m-escape.txt", b"C /etc\n"),
        ],
    );
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code & 2, 2, "unreadable evidence must set exit bit 1");
    let b = &v["bundles"][0];
    let diags = b["diagnostics"].as_array().unwrap();
    for bad in ["bad/truncated.tar", "bad/cut.json.gz", "bad/garbage.bin", "bad/empty.json"] {
        assert!(diags.iter().any(|d| d["locator"]["artifact"] == bad), "no diagnostic for {bad}: {diags:#?}");
    }
    let errors: Vec<_> =
        diags.iter().filter(|d| d["level"] == "error").map(|d| d["locator"]["artifact"].clone()).collect();
    assert!(errors.contains(&"bad/truncated.tar".into()) && errors.contains(&"bad/cut.json.gz".into()));
    // Custody still covers the broken files.
    let arts = b["artifacts"].as_array().unwrap();
    let trunc = arts.iter().find(|a| a["path"] == "bad/truncated.tar").unwrap();
    assert_eq!(trunc["sha256"].as_str().unwrap(), sha256_file(&dir.path().join("bad/truncated.tar")));
    assert_eq!(b["diff"].as_array().unwrap().len(), 2, "good diff and the escape-named one are parsed");
    // Attacker-controlled names never reach the terminal raw.
    let text = run(&["scan", "--verbose", dir.path().to_str().unwrap()]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(!out.contains('\x1b'), "raw ESC in text output");
    assert!(out.contains("name-\\x1b[31m-escape.txt"));
    assert!(!String::from_utf8_lossy(&text.stderr).contains('\x1b'));
}

#[test]
fn bundle_archive_is_read_in_place() {
    check_bundle_archive(true);
    check_bundle_archive(false);
}

fn check_bundle_archive(compressed: bool) {
    let dir = tempfile::tempdir().unwrap();
    let members: Vec<(&str, &[u8])> = vec![
        ("case1/inspect.json", INSPECT_CONTAINER),
        ("case1/top.txt", b"UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 14:00 ? 00:00:00 sh\n"),
        ("case1/diff.txt", b"A /var/www/shell.php\n"),
        ("../../escape.txt", b"C /etc\n"),
    ];
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in &members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Write the raw name so `..` survives (the builder would refuse it).
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    let name = if compressed { "evidence.tgz" } else { "evidence.tar" };
    let tgz = dir.path().join(name);
    let raw = b.into_inner().unwrap();
    std::fs::write(&tgz, if compressed { gzip(&raw) } else { raw }).unwrap();
    let (v, code) = run_json(&["scan", tgz.to_str().unwrap()]);
    assert_eq!(code & 2, 0, "{v:#}");
    let bundle = &v["bundles"][0];
    assert_eq!(bundle["kind"], "archive");
    let arts = bundle["artifacts"].as_array().unwrap();
    let paths: Vec<&str> = arts.iter().map(|a| a["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["../../escape.txt", "case1/diff.txt", "case1/inspect.json", "case1/top.txt"]);
    for (name, data) in &members {
        let a = arts.iter().find(|a| a["path"] == *name).unwrap();
        use sha2::Digest;
        let want: String = sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(a["sha256"], want.as_str());
    }
    assert_eq!(arts[1]["kind"], "diff");
    let diff_paths: Vec<&str> =
        bundle["diff"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(diff_paths, ["/etc", "/var/www/shell.php"]);
    assert!(bundle["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["locator"]["artifact"] == "../../escape.txt"
            && d["message"].as_str().unwrap().contains("traversal")));
    // Nothing was extracted next to the archive or above it.
    let listing: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(listing, [name]);
    assert!(!dir.path().join("../escape.txt").exists());
}

#[cfg(unix)]
#[test]
fn links_are_recorded_not_followed_and_fifos_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"C /etc\n").unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), dir.path().join("b/link")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("b/dirlink")).unwrap();
    let fifo = dir.path().join("b/pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (v, _) = run_json(&["scan", dir.path().join("b").to_str().unwrap()]);
    let arts = v["bundles"][0]["artifacts"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> =
        arts.iter().map(|a| (a["path"].as_str().unwrap(), a["kind"].as_str().unwrap())).collect();
    assert_eq!(kinds, [("dirlink", "link"), ("link", "link"), ("pipe", "special")]);
    assert!(arts.iter().all(|a| a["sha256"].is_null()));
    assert!(v["bundles"][0]["diff"].as_array().unwrap().is_empty(), "link target was read");
}

#[test]
fn usage_errors_exit_64_and_output_file_works() {
    assert_eq!(run(&["scan"]).status.code(), Some(64));
    assert_eq!(run(&["scan", "--format", "yaml", "x"]).status.code(), Some(64));
    assert_eq!(run(&["--version"]).status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("d.txt", b"A /x\n")]);
    let out = dir
        .path()
        .join("..")
        .join(format!("{}-report.json", dir.path().file_name().unwrap().to_string_lossy()));
    let r =
        run(&["scan", dir.path().to_str().unwrap(), "--format", "json", "--output", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0));
    assert!(r.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["bundles"][0]["diff"][0]["path"], "/x");
    std::fs::remove_file(out).unwrap();
    // A path that does not exist is unreadable evidence (bit 1) and nothing to judge on (bit 2).
    let r = run(&["scan", "/nonexistent/ctriage-evidence"]);
    assert_eq!(r.status.code(), Some(6));
}

/// `plan` on a path that does not exist fails as `scan` does: the reason on standard error,
/// bits 1 and 2 (exit 6: unreadable, nothing to judge on), and a plan that says it rests on
/// nothing read, in every format.
#[test]
fn plan_on_a_missing_path_fails_like_scan() {
    let missing = "/nonexistent/ctriage-evidence";
    let scan = run(&["scan", missing, "-f", "json"]);
    for format in ["sh", "text", "json"] {
        let r = run(&["plan", missing, "-f", format]);
        assert_eq!(r.status.code(), scan.status.code(), "{format}");
        assert_eq!(r.status.code(), Some(6), "{format}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(missing) && err.contains("cannot read"), "{format}: {err}");
        let out = String::from_utf8_lossy(&r.stdout);
        match format {
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v["plans"][0]["response_plan"], serde_json::json!([]));
            }
            _ => assert!(out.contains("1 error(s) reading this bundle's evidence"), "{format}: {out}"),
        }
    }
    // -q silences standard error, never the exit code.
    let r = run(&["plan", missing, "-q"]);
    assert_eq!(r.status.code(), Some(6));
    assert!(r.stderr.is_empty());
    // A readable bundle still exits 0 (plan has no --fail-on).
    let dvwa = crate::util::root().join("samples/dvwa");
    assert_eq!(run(&["plan", dvwa.to_str().unwrap()]).status.code(), Some(0));
}

#[test]
fn same_evidence_same_bytes_and_schema_valid() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, data, _)) in every_kind().iter().enumerate() {
        std::fs::write(dir.path().join(format!("f{i:02}")), data).unwrap();
    }
    let a = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    let b = run(&["scan", dir.path().to_str().unwrap(), "--format", "json", "-j", "1"]);
    assert_eq!(a.stdout, b.stdout, "report bytes differ between runs");
    let report: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    validate_against_schema(&report);
}
