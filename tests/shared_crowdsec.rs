//! Per-class detection rates on the CrowdSec hub's parser/scenario test logs
//! (../shared/fixtures/crowdsec-hub/.tests): real-shaped access and error log lines of web
//! attacks, each directory one class. Every attack line must be caught by a rule of its class;
//! rates are printed per class (`cargo test --test shared crowdsec -- --include-ignored
//! --nocapture`).

use std::collections::{BTreeMap, BTreeSet};

use crate::util::{run_json, shared};

/// Which lines of a test log are attacks.
enum Lines {
    All,
    /// Lines holding this text.
    With(&'static str),
}

/// (test directory, class, rule id prefixes that count for it, attack lines).
const CASES: &[(&str, &str, &[&str], Lines)] = &[
    ("nginx-http-xss-probing", "xss", &["web.xss"], Lines::All),
    ("nginx-http-sqli-probing", "sqli", &["web.sqli"], Lines::All),
    ("nginx-http-path-traversal", "traversal", &["web.path-traversal"], Lines::All),
    ("apache-cve-2021-41773", "traversal", &["web.path-traversal", "web.cve.apache-traversal"], Lines::All),
    ("fortinet-cve-2018-13379", "traversal", &["web.path-traversal", "web.cve.fortios"], Lines::All),
    ("CVE-2024-38475", "traversal", &["web.cve.apache-traversal"], Lines::With("/usr/share/")),
    ("apache_log4j2_cve-2021-44228", "log4j", &["log4j."], Lines::All),
    ("netgear_rce", "command-injection", &["web.cmd-injection", "shell.download-run"], Lines::All),
    ("CVE-2022-44877", "command-injection", &["web.cmd-injection", "shell."], Lines::With("$(")),
    ("CVE-2017-9841", "known-cve", &["web.phpunit."], Lines::All),
    ("CVE-2023-22515", "known-cve", &["web.cve.confluence"], Lines::All),
    ("CVE-2025-0108", "known-cve", &["web.cve.panos"], Lines::All),
    ("vmware-cve-2022-22954", "known-cve", &["web.cve.vmware"], Lines::All),
    ("jira_cve-2021-26086", "known-cve", &["web.cve.misc"], Lines::All),
    ("CVE-2022-35914", "known-cve", &["web.cve.misc"], Lines::All),
    ("cve_2022_37042", "known-cve", &["web.cve.misc"], Lines::All),
    ("thinkphp-cve-2018-20062", "known-cve", &["web.thinkphp."], Lines::All),
    ("spring4shell_cve-2022-22965", "known-cve", &["web.spring4shell"], Lines::All),
    ("vmware-cve-2022-22954", "ssti", &["web.ssti"], Lines::All),
    ("nginx-http-backdoor", "webshell-probe", &["web.webshell."], Lines::All),
    ("bunkerweb-http-sensitive-files", "sensitive-file", &["web.sensitive-file"], Lines::All),
    ("nginx-bad-user-agent", "scanner", &["scanner."], Lines::All),
    ("aws-alb-http-bad-user-agent", "scanner", &["scanner."], Lines::With("Nikto")),
    ("envoy-http-bad-user-agent", "scanner", &["scanner."], Lines::All),
    ("zoraxy-http-bad-user-agent", "scanner", &["scanner."], Lines::All),
];

/// Rules hit per 1-based line of one test log.
fn hits_per_line(dir: &str) -> (Vec<String>, BTreeMap<u64, BTreeSet<String>>) {
    let d = shared(&format!("fixtures/crowdsec-hub/.tests/{dir}"));
    let log = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "log"))
        .unwrap_or_else(|| panic!("no .log in {}", d.display()));
    let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    let (v, _) = run_json(&["logs", log.to_str().unwrap()]);
    let mut per: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for h in v["bundles"][0]["log_hits"].as_array().unwrap() {
        per.entry(h["locator"]["line"].as_u64().unwrap())
            .or_default()
            .insert(h["rule"].as_str().unwrap().to_string());
    }
    (text.lines().map(str::to_string).collect(), per)
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn crowdsec_hub_per_class_detection_rates() {
    let mut classes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    for (dir, class, prefixes, which) in CASES {
        let (lines, per) = hits_per_line(dir);
        for (i, line) in lines.iter().enumerate() {
            let attack = !line.trim().is_empty()
                && match which {
                    Lines::All => true,
                    Lines::With(s) => line.contains(s),
                };
            if !attack {
                continue;
            }
            let c = classes.entry(class).or_default();
            c.1 += 1;
            let got = per.get(&(i as u64 + 1)).cloned().unwrap_or_default();
            if got.iter().any(|r| prefixes.iter().any(|p| r.starts_with(p))) {
                c.0 += 1;
            } else {
                missed.push(format!(
                    "{dir}:{} [{class}] {got:?}: {}",
                    i + 1,
                    line.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    let mut table = String::from("class               detected\n");
    for (class, (hit, all)) in &classes {
        table.push_str(&format!(
            "{class:<19} {hit:>4}/{all:<4} {:>6.1}%\n",
            100.0 * *hit as f64 / *all as f64
        ));
    }
    println!("{table}");
    assert!(missed.is_empty(), "{table}\nmissed:\n{}", missed.join("\n"));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn camera_polling_is_not_web_shell_use() {
    // ZoneMinder's viewer polls `index.php?...&command=99`: normal traffic (the one request
    // carrying a <script> tag in that log is the CVE-2022-39290 attack, and is XSS).
    let (lines, per) = hits_per_line("zoneminder_cve-39290");
    let polling: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains("command=99")).collect();
    assert!(polling.len() > 5);
    for i in polling {
        let got = per.get(&(i as u64 + 1)).cloned().unwrap_or_default();
        assert!(got.is_empty(), "line {}: {got:?}", i + 1);
    }
}
