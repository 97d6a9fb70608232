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
