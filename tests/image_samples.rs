//! The image analysis on the bundled samples: the rebuilt `docker diff` equals the saved one
//! (a socket aside), the committed layer is found, and the attacker's files are findings.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::{root, run_json};

fn scan(bundle: &str) -> Value {
    let p = root().join("samples").join(bundle);
    let (v, code) = run_json(&["scan", p.to_str().unwrap()]);
    assert_eq!(code & 1, 1, "{bundle}: high findings expected");
    v["bundles"][0].clone()
}

fn check(bundle: &str, rules: &[&str], sockets: &[&str]) {
    let b = scan(bundle);
    let img = &b["images"][0];
    assert_eq!(img["integrity"], "verified", "{bundle}");
    let last = img["layers"].as_array().unwrap().len() - 1;
    assert_eq!(img["committed_layers"], serde_json::json!([last]), "{bundle}");
    let cc = &b["container_changes"];
    assert_eq!(cc["source"], "export");
    assert_eq!(cc["base"]["layers"], last, "{bundle}: base is the image below the commit layer");
    let rebuilt: Vec<String> = cc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!("{} {}", &l["change"].as_str().unwrap()[..1].to_uppercase(), l["path"].as_str().unwrap())
        })
        .collect();
    let saved = std::fs::read_to_string(root().join("samples").join(bundle).join("diff.txt")).unwrap();
    let saved: Vec<String> =
        saved.lines().filter(|l| !sockets.iter().any(|s| l.ends_with(s))).map(String::from).collect();
    assert_eq!(rebuilt, saved, "{bundle}: rebuilt docker diff");
    for d in cc["disagreements"].as_array().unwrap() {
        assert!(d["note"].is_string(), "{bundle}: unexplained disagreement {d}");
    }
    let found: BTreeSet<&str> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
        .collect();
    for r in rules {
        assert!(found.contains(r), "{bundle}: {r} missing from {found:?}");
    }
    assert!(!found.contains("container.diff.disagreement"), "{bundle}");
}

#[test]
fn dvwa_container_changes_and_findings() {
    check(
        "dvwa",
        &[
            "file.webshell.php",
            "file.account.uid0",
            "file.antiforensics.history",
            "file.persistence.cron",
            "file.miner",
            "file.exec.temp",
            "file.timestomp",
        ],
        &["/run/mysqld/mysqld.sock"],
    );
}

#[test]
fn log4shell_container_changes_and_findings() {
    check(
        "log4shell",
        &[
            "file.webshell.jsp",
            "file.log4j.rce",
            "file.persistence.ssh-keys",
            "file.exec.hidden",
            "file.antiforensics.logs",
        ],
        &[],
    );
    // Jasper's generated sources carry the JSP's old mtime: not timestomping.
    let b = scan("log4shell");
    assert!(!b["findings"].as_array().unwrap().iter().any(|f| f["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "file.timestomp")));
}
