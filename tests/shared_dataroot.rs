//! Docker data roots captured from live hosts (docker-explorer's test_data, ../shared): every
//! expected value of the fixtures README (containers, names, images, running state, mount
//! ids, layer chains, volumes, logs) read from the tgz as given and from the extracted
//! directory, with the same result.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::util::{run_json, shared};

fn tgz(name: &str) -> PathBuf {
    shared(&format!("fixtures/docker-explorer/test_data/{name}.tgz"))
}

/// Both readings of one fixture: the tgz, and the directory it extracts to (kept while the
/// reports are checked).
fn both(name: &str) -> (Vec<Value>, tempfile::TempDir) {
    let t = tgz(name);
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new("tar").arg("xzf").arg(&t).arg("-C").arg(dir.path()).status().unwrap();
    assert!(st.success(), "tar xzf {}", t.display());
    let (a, _) = run_json(&["scan", t.to_str().unwrap()]);
    let (b, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    (vec![a, b], dir)
}

fn root(v: &Value) -> &Value {
    let r = &v["bundles"][0]["data_root"]["docker"];
    assert_eq!(r.as_array().map(Vec::len), Some(1), "one docker root: {r}");
    &r[0]
}

fn container<'a>(root: &'a Value, id: &str) -> &'a Value {
    root["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("container {id}"))
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// The layer directories of the data root are one artifact each, with their file counts; no
/// file inside one is an artifact, and no diagnostic but empty container logs is raised.
fn few_artifacts(v: &Value) {
    let b = &v["bundles"][0];
    for a in b["artifacts"].as_array().unwrap() {
        let p = a["path"].as_str().unwrap();
        for marker in ["/diff/", "/upper/", "/root/", "/mnt/"] {
            let inside = p
                .find(marker)
                .map(|i| &p[..i])
                .filter(|pre| pre.contains("/aufs") || pre.contains("/overlay"));
            assert!(
                inside.is_none() || a["kind"] == "layer-dir",
                "a file inside a layer is an artifact: {p}"
            );
        }
        if a["kind"] == "layer-dir" {
            assert!(a["sha256"].as_str().is_some_and(|s| s.len() == 64), "{a}");
            assert!(a["note"].as_str().unwrap().contains("entries"), "{a}");
        }
    }
    for d in b["diagnostics"].as_array().unwrap() {
        assert!(d["message"].as_str().unwrap().starts_with("empty file"), "unexpected diagnostic {d}");
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn aufs_v2_data_root() {
    let (runs, _dir) = both("aufs.v2");
    for v in &runs {
        few_artifacts(v);
        let r = root(v);
        assert_eq!(r["layout"], "image/<driver>");
        assert_eq!(strs(&r["drivers"]), ["aufs"]);
        let ids: Vec<String> = r["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap()[..7].to_string())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ["1171e96", "2cc4b0d", "7b02fb3", "986c6e6", "b6f881b", "c8a38b6", "dd39804"]);
        let running: Vec<&Value> =
            r["containers"].as_array().unwrap().iter().filter(|c| c["running"] == true).collect();
        assert_eq!(running.len(), 1);
        let c = container(r, "7b02fb3e8a665a63e32b909af5babb7d6ba0b64e10003b2d9534c7d5f2af8966");
        assert_eq!(c["name"], "dreamy_snyder");
        assert_eq!(c["running"], true);
        assert_eq!(c["image_id"], "sha256:7968321274dc6b6171697c33df7815310468e694ac5be0ec03ff053bb135e768");
        assert_eq!(c["mount_id"], "b16a494082bba0091e572b58ff80af1b7b5d28737a3eedbe01e73cd7f4e01d23");
        assert_eq!(
            strs(&c["layer_dirs"]),
            [
                "docker/aufs/diff/b16a494082bba0091e572b58ff80af1b7b5d28737a3eedbe01e73cd7f4e01d23",
                "docker/aufs/diff/b16a494082bba0091e572b58ff80af1b7b5d28737a3eedbe01e73cd7f4e01d23-init",
                "docker/aufs/diff/d1c54c46d331de21587a16397e8bd95bdbb1015e1a04797c76de128107da83ae",
            ]
        );
        assert_eq!(
            c["mounts"][0]["source"],
            "volumes/28297de547b5473a9aff90aaab45ed108ebf019981b40c3c35c226f54c13ac0d/_data"
        );
        assert_eq!(c["mounts"][0]["destination"], "/var/jenkins_home");
        // Logs tied to their containers: c8a38b6c (ls output) and 1171e963 (sleep usage).
        let c8 = r["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_str().unwrap().starts_with("c8a38b6c"))
            .unwrap();
        assert_eq!(c8["logs"].as_array().unwrap().len(), 1);
        let img = &r["images"][0];
        assert_eq!(img["id"], "sha256:7968321274dc6b6171697c33df7815310468e694ac5be0ec03ff053bb135e768");
        assert_eq!(strs(&img["repo_tags"]), ["busybox:latest"]);
        assert_eq!(img["config_check"], "verified");
        assert_eq!(img["layers"].as_array().unwrap().len(), 1);
        // The image as the analysis loaded it: one layer, its history.
        let b = &v["bundles"][0];
        let i = &b["images"][0];
        assert_eq!(i["layout"], "docker-data-root");
        assert_eq!(
            i["history"].as_array().unwrap().last().unwrap()["created"],
            "2017-01-13T22:13:54.401355854Z"
        );
        assert!(
            i["final_paths"].as_u64().unwrap() > 300,
            "busybox tree read from aufs/diff: {}",
            i["final_paths"]
        );
        assert_eq!(b["data_root_changes"].as_array().unwrap().len(), 7);
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn aufs_v1_graph_data_root() {
    let (runs, _dir) = both("aufs.v1");
    for v in &runs {
        few_artifacts(v);
        let r = root(v);
        assert_eq!(r["layout"], "graph (Docker < 1.10)");
        assert_eq!(r["containers"].as_array().unwrap().len(), 3);
        let c = container(r, "de44dd97cfd1c8d1c1aad7f75a435603991a7a39fa4f6b20a69bf4458809209c");
        assert_eq!(c["name"], "angry_rosalind");
        assert_eq!(c["running"], true);
        assert_eq!(c["image_id"], "1cee97b18f87b5fa91633db35f587e2c65c093facfa2cbbe83d5ebe06e1d9125");
        let id = "de44dd97cfd1c8d1c1aad7f75a435603991a7a39fa4f6b20a69bf4458809209c";
        assert_eq!(
            strs(&c["layer_dirs"]),
            [
                format!("docker/aufs/diff/{id}"),
                format!("docker/aufs/diff/{id}-init"),
                "docker/aufs/diff/1cee97b18f87b5fa91633db35f587e2c65c093facfa2cbbe83d5ebe06e1d9125".into(),
                "docker/aufs/diff/df557f39d413a1408f5c28d8aab2892f927237ec22e903ef04b331305130ab38".into(),
            ]
        );
        assert_eq!(c["logs"].as_array().unwrap().len(), 1);
        let img = &r["images"][0];
        assert_eq!(strs(&img["repo_tags"]), ["busybox:latest"]);
        let b = &v["bundles"][0];
        let i = &b["images"][0];
        assert_eq!(i["integrity"], "unverifiable (v1 layout)");
        let h = i["history"].as_array().unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[1]["created"], "2018-12-26T08:20:42.831353376Z");
        assert_eq!(h[0]["created_by"], "/bin/sh -c #(nop) ADD file:ce026b62356eec3ad1214f92be2c9dc063fe205bd5e600be3492c4dfb17148bd in / ");
        // The running container's own changes: its upper branch.
        let ch = b["data_root_changes"].as_array().unwrap().iter().find(|c| c["container"] == id).unwrap();
        let lines: Vec<(String, String)> = ch["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["change"].as_str().unwrap().into(), l["path"].as_str().unwrap().into()))
            .collect();
        assert!(lines.contains(&("added".into(), "/tmp/toto".into())), "{lines:?}");
        assert!(lines.contains(&("added".into(), "/root/.ash_history".into())), "{lines:?}");
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn overlay_v1_data_root() {
    let (runs, _dir) = both("overlay.v2");
    for v in &runs {
        few_artifacts(v);
        let r = root(v);
        assert_eq!(strs(&r["drivers"]), ["overlay"]);
        assert_eq!(r["containers"].as_array().unwrap().len(), 6);
        let c = container(r, "5dc287aa80b460652a5584e80a5c8c1233b0c0691972d75424cf5250b917600a");
        assert_eq!(c["name"], "elastic_booth");
        assert_eq!(c["running"], true);
        assert_eq!(c["image_id"], "sha256:5b0d59026729b68570d99bc4f3f7c31a2e4f2a5736435641565d93e7c25bd2c3");
        assert_eq!(c["mount_id"], "974e2b994f9db74e1ddd6fc546843bc65920e786612a388f25685acf84b3fed1");
        assert_eq!(
            c["upper_dir"],
            "docker/overlay/974e2b994f9db74e1ddd6fc546843bc65920e786612a388f25685acf84b3fed1/upper"
        );
        assert_eq!(
            c["layer_dirs"].as_array().unwrap().last().unwrap(),
            "docker/overlay/a94d714512251b0d8a9bfaacb832e0c6cb70f71cb71976cca7a528a429336aae/root"
        );
        let img = &r["images"][0];
        assert_eq!(
            strs(&img["repo_tags"]),
            [
                "busybox:latest",
                "busybox@sha256:1669a6aa7350e1cdd28f972ddad5aceba2912f589f19a090ac75b7083da748db"
            ]
        );
        let b = &v["bundles"][0];
        let ch = b["data_root_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["container"] == "5dc287aa80b460652a5584e80a5c8c1233b0c0691972d75424cf5250b917600a")
            .unwrap();
        let paths: Vec<&str> =
            ch["changes"].as_array().unwrap().iter().map(|l| l["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["/root", "/root/.ash_history", "/test"]);
        // The file change carries its content digest: `test` holds `test\n`.
        let fc = b["file_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["source"] == "upper-dir"
                    && f["path"] == "/test"
                    && f["locator"]["artifact"].as_str().unwrap().contains("974e2b99")
            })
            .unwrap();
        assert_eq!(fc["size"], 5);
        assert_eq!(fc["sha256"], "f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2");
        // The failed runs' stderr is in their logs, tied to their containers.
        let logged = r["containers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["logs"].as_array().unwrap().is_empty())
            .count();
        assert_eq!(logged, 6);
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn overlay2_volumes_data_root() {
    let (runs, _dir) = both("vols.v2");
    for v in &runs {
        few_artifacts(v);
        let r = root(v);
        assert_eq!(strs(&r["drivers"]), ["overlay2"]);
        let cs = r["containers"].as_array().unwrap();
        assert_eq!(cs.len(), 4);
        assert!(cs.iter().all(|c| c["running"] == false));
        let names: Vec<&str> = cs.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["alpine_vol", "alpine_volume", "sad_lichterman", "zen_booth"]);
        let c = container(r, "8b6e90cc742bd63f6acb7ecd40ddadb4e5dee27d8db2b739963f7cd2c7bcff4a");
        let m: Vec<(String, String)> = c["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["source"].as_str().unwrap().into(), m["destination"].as_str().unwrap().into()))
            .collect();
        assert!(m.contains(&(
            "volumes/eda9ee495beccf988d963bf91de0276847e838b9531ab9118caef38a33894bb4/_data".into(),
            "/var/jenkins_home".into()
        )));
        assert!(m.contains(&("/opt/vols/bind".into(), "/opt".into())), "{m:?}");
        let c = container(r, "712909b5ab80d8785841f12e361c218a2faf5365f9ed525f2a0d6b6590ba89cb");
        assert_eq!(
            c["mounts"][0]["source"],
            "volumes/f5479c534bbc6e2b9861973c2fbb4863ff5b7b5843c098d7fb1a027fe730a4dc/_data"
        );
        assert_eq!(c["mounts"][0]["destination"], "/opt/vols/volume");
        assert_eq!(
            c["mounts"][0]["dir"],
            "docker/volumes/f5479c534bbc6e2b9861973c2fbb4863ff5b7b5843c098d7fb1a027fe730a4dc/_data"
        );
        let vol = r["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "f5479c534bbc6e2b9861973c2fbb4863ff5b7b5843c098d7fb1a027fe730a4dc")
            .unwrap();
        assert_eq!(
            strs(&vol["used_by"]),
            ["712909b5ab80d8785841f12e361c218a2faf5365f9ed525f2a0d6b6590ba89cb"]
        );
        // overlay2: the image's one layer by its cache-id, the tree read from diff/.
        let img = &r["images"][0];
        assert_eq!(
            img["layers"][0]["cache_id"],
            "e9dd021b588b13e38ae135f9160973ac825885e810007bebfc1353c5a58e5365"
        );
        assert!(v["bundles"][0]["images"][0]["final_paths"].as_u64().unwrap() > 400);
    }
}

/// The custody digest of a layer directory is the same read from the tar and from the
/// directory it extracts to (times are not part of it).
#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn layer_directory_digest_is_the_same_from_tar_and_directory() {
    let (runs, _dir) = both("vols.v2");
    let digests = |v: &Value| -> Vec<(String, String)> {
        v["bundles"][0]["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "layer-dir")
            .map(|a| (a["path"].as_str().unwrap().into(), a["sha256"].as_str().unwrap().into()))
            .collect()
    };
    let (a, b) = (digests(&runs[0]), digests(&runs[1]));
    assert_eq!(a.len(), 13);
    assert_eq!(a, b);
}

/// Each image layer is checked against its diff_id by replaying the layer store's tar-split
/// over the layer's files: read from the directory, or from their members in the tgz (one
/// forward decode per layer); both verify. A file changed in a layer directory is a
/// mismatch naming the layer.
#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn layer_directories_are_checked_against_their_diff_ids() {
    for name in ["aufs.v2", "overlay.v2", "vols.v2"] {
        let (runs, _dir) = both(name);
        let checks = |v: &Value| -> Vec<String> {
            v["bundles"][0]["images"][0]["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["diff_id_check"].as_str().unwrap().to_string())
                .collect()
        };
        assert!(checks(&runs[0]).iter().all(|c| c == "verified"), "{name} tgz: {:?}", checks(&runs[0]));
        assert_eq!(runs[0]["bundles"][0]["images"][0]["integrity"], "verified");
        assert!(checks(&runs[1]).iter().all(|c| c == "verified"), "{name} dir: {:?}", checks(&runs[1]));
        assert_eq!(runs[1]["bundles"][0]["images"][0]["integrity"], "verified");
    }
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new("tar").arg("xzf").arg(tgz("vols.v2")).arg("-C").arg(dir.path()).status().unwrap();
    assert!(st.success());
    let layer = dir
        .path()
        .join("docker/overlay2/e9dd021b588b13e38ae135f9160973ac825885e810007bebfc1353c5a58e5365/diff");
    let motd = layer.join("etc/motd");
    let mut text = std::fs::read(&motd).unwrap();
    text.extend_from_slice(b"planted\n");
    std::fs::write(&motd, text).unwrap();
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code & 2, 2, "a changed layer is an error");
    let b = &v["bundles"][0];
    assert_eq!(b["images"][0]["integrity"], "mismatch");
    assert_eq!(b["images"][0]["layers"][0]["diff_id_check"], "mismatch");
    let d = b["diagnostics"].as_array().unwrap();
    assert!(
        d.iter().any(|d| d["message"].as_str().unwrap().contains("the layer directory was changed")),
        "{d:?}"
    );
    // A file planted beside the layer's own files is named.
    std::fs::write(&motd, std::fs::read(&motd).unwrap().strip_suffix(b"planted\n").unwrap()).unwrap();
    std::fs::write(layer.join("usr/bin/.helper"), b"#!/bin/sh\n").unwrap();
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["images"][0]["layers"][0]["diff_id_check"], "mismatch");
    let d = b["diagnostics"].as_array().unwrap();
    assert!(
        d.iter().any(|d| d["message"].as_str().unwrap().contains("were never in the layer")
            && d["message"].as_str().unwrap().contains("/usr/bin/.helper")),
        "{d:?}"
    );
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn aufs_v2_container_drivers_and_log_spans() {
    // README: the running /dreamy_snyder's mount id is b16a4940...; the non-empty json logs
    // are c8a38b6c's (one `ls` line) and 1171e963's (6 lines of BusyBox `sleep` usage text at
    // 2017-02-13T16:45:01.8093Z); every other log is empty.
    let (reports, _dir) = both("aufs.v2");
    for v in &reports {
        let r = root(v);
        let running = container(r, "7b02fb3e8a665a63e32b909af5babb7d6ba0b64e10003b2d9534c7d5f2af8966");
        assert_eq!(
            (running["driver"].as_str(), running["driver_basis"].as_str()),
            (Some("aufs"), Some("config"))
        );
        assert_eq!(running["mount_id"], "b16a494082bba0091e572b58ff80af1b7b5d28737a3eedbe01e73cd7f4e01d23");
        let sleep =
            &container(r, "1171e9631158156ba2b984d335b2bf31838403700df3882c51aed70beebb604f")["log_span"];
        assert_eq!(
            (
                sleep["records"].as_u64(),
                sleep["stdout"].as_u64(),
                sleep["stderr"].as_u64(),
                sleep["files"].as_u64()
            ),
            (Some(6), Some(6), Some(0), Some(1)),
            "{sleep}"
        );
        assert_eq!(sleep["first"], "2017-02-13T16:45:01.809297794Z");
        assert_eq!(sleep["last"], "2017-02-13T16:45:01.809323302Z");
        let ls =
            &container(r, "c8a38b6c29b0c901c37c2bb17bfcd73942c44bb71cc528505385c62f3c6fff35")["log_span"];
        assert_eq!((ls["records"].as_u64(), ls["stdout"].as_u64()), (Some(1), Some(1)), "{ls}");
        for c in r["containers"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            if !id.starts_with("1171e963") && !id.starts_with("c8a38b6c") {
                assert!(c["log_span"].is_null() || c["log_span"]["records"] == 0, "{id}: {}", c["log_span"]);
            }
        }
    }
}
