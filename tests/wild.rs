//! Evidence as it comes from the wild, built in code where no third-party fixture has it:
//! standalone image configs and `docker diff` captures, Engine API shapes, log framings and
//! their times, pairing an export with its image, and the CLI's own input checks.

use serde_json::Value;

use crate::util::{run_json, write_files};

fn findings(b: &Value) -> Vec<(String, String)> {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["summary"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn standalone_image_config_secrets_and_facts() {
    let dir = tempfile::tempdir().unwrap();
    let config = br#"{"architecture":"amd64","os":"linux","created":"2026-11-20T08:00:00Z",
"config":{"User":"","Env":["PATH=/usr/bin","DB_PASSWORD=hunter2hunter2"],"ExposedPorts":{"8080/tcp":{}},
"Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost:8080/ || exit 1"]},"Cmd":["catalina.sh","run"]},
"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},
"history":[{"created":"2026-11-20T07:59:00Z","created_by":"ADD rootfs.tar /"},{"created":"2026-11-20T08:00:00Z","created_by":"CMD [\"catalina.sh\",\"run\"]","empty_layer":true}]}"#;
    write_files(dir.path(), &[("config.json", config)]);
    let p = dir.path().join("config.json");
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "image-config");
    let f = findings(b);
    let secret = f.iter().find(|(r, _)| r == "image.env-secrets").expect("secret finding");
    assert!(secret.1.contains("DB_PASSWORD") && !secret.1.contains("hunter2"), "{}", secret.1);
    let facts = f.iter().find(|(r, _)| r == "image.config").expect("facts");
    assert!(
        facts.1.contains("root (no USER set)") && facts.1.contains("8080/tcp") && facts.1.contains("curl -f")
    );
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("hunter2"), "the secret value never reaches the report");
    let steps: Vec<&str> = b["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "image-history")
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["2026-11-20T07:59:00.000000000Z", "2026-11-20T08:00:00.000000000Z"]);
    assert_eq!(b["image_objects"][0]["config"]["healthcheck"][0], "CMD-SHELL");
}

#[test]
fn saved_docker_diff_alone_runs_the_path_rules() {
    let p = crate::util::root().join("samples/log4shell/diff.txt");
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "diff");
    let rules: Vec<(String, String)> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            Some((f["rule"].as_str()?.to_string(), f["title"].as_str()?.rsplit(": ").next()?.to_string()))
        })
        .collect();
    for want in [
        ("file.diff.web-script", "/usr/local/tomcat/webapps/ROOT/assets/health.jsp"),
        ("file.diff.hidden-temp", "/tmp/.x/agent"),
        ("file.persistence.ssh-keys", "/root/.ssh/authorized_keys"),
        ("file.antiforensics.logs", "/var/log/dpkg.log"),
    ] {
        assert!(rules.iter().any(|(r, p)| r == want.0 && p == want.1), "{want:?} not in {rules:?}");
    }
    // Parent directories docker lists as `C`, and the JVM's own temp files, are not findings.
    assert!(!rules.iter().any(|(_, p)| p == "/tmp/hsperfdata_root/1" || p == "/root"), "{rules:?}");
    // Each finding cites its diff line.
    let f = b["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "file.diff.hidden-temp").unwrap();
    assert_eq!(f["evidence"][0]["line"], 8);
    // With the export beside it, the rebuilt changes (with content) are what the rules see:
    // no diff-only duplicates.
    let (v, _) = run_json(&["scan", crate::util::root().join("samples/log4shell").to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert!(!b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"].as_str().unwrap().starts_with("file.diff.")));
}

#[test]
fn scan_with_base_image_matches_diff_and_keeps_custody() {
    let s = crate::util::root().join("samples/log4shell");
    let (export, image) = (s.join("export.tar"), s.join("image.tar"));
    let (e, i) = (export.to_str().unwrap(), image.to_str().unwrap());
    let (d, _) = run_json(&["diff", "--image", i, e]);
    let want = d["container_changes"]["changes"].as_array().unwrap().len();
    assert_eq!(want, 40);
    let (v, _) = run_json(&["scan", e, "--base-image", i]);
    let b = &v["bundles"][0];
    let cc = &b["container_changes"];
    assert_eq!(cc["changes"].as_array().unwrap().len(), want, "{}", cc["base"]["description"]);
    assert_eq!(cc["changes"], d["container_changes"]["changes"]);
    assert!(cc["base"]["description"].as_str().unwrap().contains("given with --base-image"));
    let base =
        b["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == i).expect("base image in custody");
    assert_eq!(base["sha256"], crate::util::sha256_file(&image));
    assert_eq!(base["note"], "given with --base-image");
}
