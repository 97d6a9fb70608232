//! Layer edge cases on archives built in test code: opaque dirs, whiteouts through symlinks,
//! aufs metadata, duplicates, PAX/GNU names and times, hard links, traversal, truncation,
//! tampering, compression.

use serde_json::Value;

use crate::image_build::{gz, sha, step, Image, Layer};
use crate::util::{run, run_json};

fn save(dir: &std::path::Path, name: &str, img: &Image) -> String {
    let p = dir.join(name);
    std::fs::write(&p, img.docker_save()).unwrap();
    p.to_str().unwrap().to_string()
}

fn layers(path: &str) -> (Value, i32) {
    run_json(&["layers", path, "--files", "--tree"])
}

fn tree_paths(v: &Value) -> Vec<String> {
    v["trees"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect()
}

fn entry<'a>(v: &'a Value, path: &str) -> &'a Value {
    v["trees"][0]["entries"].as_array().unwrap().iter().find(|e| e["path"] == path).unwrap_or(&Value::Null)
}

fn changes(v: &Value, layer: u64) -> Vec<String> {
    v["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["layer"] == layer)
        .map(|c| format!("{} {}", c["change"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

const T: &str = "2026-01-01T00:00:00Z";

#[test]
fn opaque_dir_keeps_the_layers_own_entries() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::new("t:opq")
        .layer(
            Layer::new()
                .dir("a")
                .file("a/foo", b"1")
                .file("a/bar", b"2")
                .dir("a/sub")
                .file("a/sub/x", b"3")
                .build(),
            step(T, "base"),
        )
        // The layer's own entry comes BEFORE the marker: order inside a layer must not matter.
        .gz_layer(
            Layer::new().dir("a").file("a/new", b"4").file("a/.wh..wh..opq", b"").build(),
            step(T, "opaque"),
        );
    let (v, code) = layers(&save(dir.path(), "i.tar", &img));
    assert_eq!(code, 0, "{v}");
    assert_eq!(tree_paths(&v), s(&["/a", "/a/new"]));
    assert_eq!(changes(&v, 1), s(&["deleted /a/bar", "deleted /a/foo", "added /a/new", "deleted /a/sub"]));
    assert_eq!(v["images"][0]["layers"][1]["opaque_dirs"], serde_json::json!(["/a"]));
}

#[test]
fn whiteout_through_a_symlinked_dir_does_not_touch_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::new("t:link")
        .layer(
            Layer::new().dir("target").file("target/foo", b"keep").symlink("link", "target").build(),
            step(T, "base"),
        )
        .layer(Layer::new().file("link/.wh.foo", b"").build(), step(T, "wh"));
    let (v, _) = layers(&save(dir.path(), "i.tar", &img));
    assert!(tree_paths(&v).contains(&"/target/foo".to_string()));
    assert_eq!(entry(&v, "/link")["type"], "symlink");
    assert!(changes(&v, 1).is_empty(), "{:?}", changes(&v, 1));
    let d = v["diagnostics"].as_array().unwrap();
    assert!(d.iter().any(|d| d["message"].as_str().unwrap().contains("not touched")), "{d:?}");
}

#[test]
fn aufs_metadata_is_not_a_deletion_and_duplicates_last_wins() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::new("t:aufs")
        .layer(
            Layer::new().file("keep", b"k").file("dup", b"one").file("dup", b"two").build(),
            step(T, "base"),
        )
        .layer(
            Layer::new()
                .dir(".wh..wh.plnk")
                .file(".wh..wh.plnk/123.456", b"x")
                .file(".wh..wh.aufs", b"")
                .dir(".wh..wh.orph")
                .file("other", b"o")
                .build(),
            step(T, "aufs"),
        );
    let (v, _) = layers(&save(dir.path(), "i.tar", &img));
    assert_eq!(tree_paths(&v), s(&["/dup", "/keep", "/other"]));
    assert_eq!(entry(&v, "/dup")["sha256"], sha(b"two"));
    assert_eq!(changes(&v, 1), s(&["added /other"]));
}

#[test]
fn pax_times_long_names_hard_links_and_traversal() {
    let dir = tempfile::tempdir().unwrap();
    let long_gnu = format!("deep/{}/file.txt", "g".repeat(150));
    let long_pax = format!("pax/{}/file.txt", "p".repeat(200));
    let layer = Layer::new()
        .pax_file(&[("mtime", "1700000000.123456789")], "frac", b"f")
        .file(&long_gnu, b"gnu")
        .pax_file(&[("path", &long_pax)], "short-name-replaced", b"pax")
        .file_with("bin/busybox", b"BUSYBOX", 0o755, 1_600_000_000)
        .hardlink("bin/ls", "bin/busybox")
        .raw_name(b"../../etc/evil", b"evil")
        .build();
    let img = Image::new("t:names").layer(layer, step(T, "names"));
    let (v, code) = layers(&save(dir.path(), "i.tar", &img));
    let fc = v["file_changes"].as_array().unwrap();
    let get = |p: &str| fc.iter().find(|c| c["path"] == p).unwrap_or_else(|| panic!("{p} missing: {fc:?}"));
    assert_eq!(get("/frac")["mtime"], "2023-11-14T22:13:20.123456789Z");
    assert_eq!(get(&format!("/{long_gnu}"))["sha256"], sha(b"gnu"));
    assert_eq!(get(&format!("/{long_pax}"))["sha256"], sha(b"pax"));
    let ls = get("/bin/ls");
    assert_eq!(ls["hardlink_to"], "/bin/busybox");
    assert_eq!(ls["sha256"], sha(b"BUSYBOX"));
    assert_eq!(ls["size"], 7);
    let evil = get("/etc/evil");
    assert_eq!(evil["traversal"], true);
    let f: Vec<&Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "file.path-traversal").collect();
    assert_eq!(f.len(), 1, "{:?}", v["findings"]);
    // The proof cites the member name as stored.
    assert_eq!(evil["locator"]["members"][1], "../../etc/evil");
    assert_eq!(f[0]["evidence"][0]["members"][1], "../../etc/evil");
    assert_eq!(code & 1, 1, "a high finding sets exit bit 0");
}

#[test]
fn truncated_layer_is_a_diagnostic_and_the_rest_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let good = Layer::new().file("a", b"aaaa").build();
    let big = Layer::new().file("first", b"first file").file("second", &vec![b'x'; 5000]).build();
    let cut = big[..1024 + 512 + 1000].to_vec(); // inside `second`'s content
    let mut img = Image::new("t:trunc").layer(good, step(T, "ok")).layer(cut, step(T, "cut"));
    img.layers.push((Layer::new().file("c", b"c").build(), Layer::new().file("c", b"c").build()));
    img.history.push(step(T, "after"));
    let (v, code) = layers(&save(dir.path(), "i.tar", &img));
    assert_eq!(code & 2, 2, "unreadable evidence sets exit bit 1");
    let d = v["diagnostics"].as_array().unwrap();
    let m = d.iter().find(|d| d["level"] == "error").unwrap();
    assert!(m["message"].as_str().unwrap().contains("ends inside this file"), "{m}");
    assert_eq!(m["locator"]["members"][1], "second");
    assert_eq!(changes(&v, 1), s(&["added /first"]));
    assert_eq!(changes(&v, 2), s(&["added /c"]));
    assert_eq!(v["images"][0]["layers"][1]["complete"], false);
    assert_eq!(v["images"][0]["integrity"], "incomplete");
}

#[test]
fn digest_mismatch_is_a_finding_with_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let tar = Layer::new().file("x", b"x").build();
    let mut img = Image::new("t:tamper").gz_layer(tar.clone(), step(T, "x"));
    let claimed = format!("sha256:{}", "0".repeat(64));
    img.diff_ids = Some(vec![claimed.clone()]);
    let (v, code) = layers(&save(dir.path(), "i.tar", &img));
    assert_eq!(code & 1, 1);
    let f =
        v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "image.integrity.mismatch").unwrap();
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains(&claimed) && summary.contains(&sha(&tar)), "{summary}");
    assert_eq!(f["evidence"][0]["members"][0], format!("{}.tar.gz", sha(&gz(&tar))));
    let l = &v["images"][0]["layers"][0];
    assert_eq!(l["diff_id_check"], "mismatch");
    assert_eq!(l["digest_check"], "verified");
}

#[test]
fn multi_member_gzip_layer_is_read_whole_and_json_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let tar =
        Layer::new().file("one", b"1").file("two", &vec![b'2'; 3000]).dir("d").file("d/three", b"3").build();
    // Two gzip members split at an arbitrary byte (as eStargz and concatenated gzips are).
    let mut blob = gz(&tar[..700]);
    blob.extend(gz(&tar[700..]));
    let mut img = Image::new("t:multi");
    img.layers.push((blob, tar.clone()));
    img.history.push(step(T, "multi"));
    let p = save(dir.path(), "i.tar", &img);
    let (v, _) = layers(&p);
    assert_eq!(tree_paths(&v), s(&["/d", "/d/three", "/one", "/two"]));
    assert_eq!(v["images"][0]["layers"][0]["diff_id"], format!("sha256:{}", sha(&tar)));
    assert_eq!(v["images"][0]["integrity"], "verified");
    let a = run(&["scan", &p, "--format", "json"]).stdout;
    let b = run(&["scan", &p, "--format", "json"]).stdout;
    assert_eq!(a, b);
}

#[test]
fn layers_text_lists_steps_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::new("t:text")
        .layer(Layer::new().file("a", b"a").build(), step(T, "ADD a /a"))
        .layer(Layer::new().file(".wh.a", b"").file("b", b"b").build(), step(T, "RUN rm /a"));
    let out = run(&["layers", &save(dir.path(), "i.tar", &img), "--files"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("t:text"), "{text}");
    assert!(text.contains("RUN rm /a"), "{text}");
    assert!(text.contains("layer   1  D /a"), "{text}");
    assert!(text.contains("layer   1  A /b"), "{text}");
}

#[test]
fn compressed_archive_is_streamed_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let shared = Layer::new().dir("etc").file("etc/os-release", b"ID=test\n").build();
    let img = Image::new("t:stream")
        .gz_layer(shared, step(T, "base"))
        .layer(Layer::new().file("etc/.wh.os-release", b"").file("x", b"x").build(), step(T, "top"));
    let plain = save(dir.path(), "i.tar", &img);
    let packed = dir.path().join("i.tar.gz");
    std::fs::write(&packed, gz(&img.docker_save())).unwrap();
    let (a, _) = layers(&plain);
    let (b, _) = layers(packed.to_str().unwrap());
    assert_eq!(b["images"][0]["layers"][0]["compression"], "gzip");
    assert_eq!(a["trees"], b["trees"]);
    assert_eq!(a["images"][0]["layers"], b["images"][0]["layers"]);
    assert_eq!(b["images"][0]["integrity"], "verified");
    let strip = |v: &Value| -> Vec<String> {
        v["file_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{} {} {}", c["change"], c["path"], c["sha256"]))
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
    assert_eq!(tree_paths(&b), s(&["/etc", "/x"]));
}

#[test]
fn hostile_archive_members_are_diagnostics_never_panics() {
    // Layer 0 is garbage, layer 1 a link cycle, layer 2 a link out of the archive, layer 3
    // fine: each broken one gets an error naming it, the good one is analysed.
    let good = Layer::new().file("ok", b"ok").build();
    let config = serde_json::json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "history": []}).to_string();
    let config_name = format!("{}.json", sha(config.as_bytes()));
    let manifest = serde_json::json!([{"Config": config_name, "RepoTags": ["t:hostile"], "Layers": [
        "garbage/layer.tar", "cycle-a/layer.tar", "escape/layer.tar", "good/layer.tar"
    ]}])
    .to_string();
    let mut b = tar::Builder::new(Vec::new());
    let file = |b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    };
    let link = |b: &mut tar::Builder<Vec<u8>>, name: &str, target: &str| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, name, target).unwrap();
    };
    file(&mut b, "garbage/layer.tar", &[0x5a; 3000]);
    link(&mut b, "cycle-a/layer.tar", "../cycle-b/layer.tar");
    link(&mut b, "cycle-b/layer.tar", "../cycle-a/layer.tar");
    link(&mut b, "escape/layer.tar", "../../../../etc/passwd");
    file(&mut b, "good/layer.tar", &good);
    file(&mut b, &config_name, config.as_bytes());
    file(&mut b, "manifest.json", manifest.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hostile.tar");
    std::fs::write(&p, b.into_inner().unwrap()).unwrap();
    let (v, code) = layers(p.to_str().unwrap());
    assert_eq!(code & 2, 2);
    let errors: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| {
            format!(
                "{} :: {}",
                d["locator"]["members"][0].as_str().unwrap_or(""),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(errors.iter().any(|e| e.starts_with("garbage/layer.tar ::") && e.contains("tar")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.starts_with("cycle-a/layer.tar ::") && e.contains("cycle")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("escape/layer.tar ::") && e.contains("not in the archive")),
        "{errors:?}"
    );
    assert_eq!(changes(&v, 3), s(&["added /ok"]));
    assert_eq!(v["images"][0]["layers"].as_array().unwrap().len(), 4);
}

/// Secrets baked into a build (`ENV`, build-arg residue, credentials in a `RUN`) are masked
/// wherever the history is shown: a save's config (images, timeline, text) and a standalone
/// image config (image objects), while the step keeps its shape.
#[test]
fn secrets_in_build_history_are_masked_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::new("t:secret")
        .layer(Layer::new().file("etc/app.conf", b"x").build(), step(T, "ENV ANCHORE_ADMIN_PASSWORD=foobar"))
        .layer(
            Layer::new().file("app/run.sh", b"#!/bin/sh\n").build(),
            step(
                T,
                "|1 NPM_AUTH_TOKEN=npm-s3cr3t-t0ken /bin/sh -c curl https://ci:hunter22@repo.example/x | sh",
            ),
        );
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).unwrap();
    std::fs::write(bundle.join("image.tar"), img.docker_save()).unwrap();
    std::fs::write(bundle.join("config.json"), img.config()).unwrap();
    let b = bundle.to_str().unwrap();
    let out = run(&["scan", "-q", b, "--format", "json"]);
    let json = String::from_utf8_lossy(&out.stdout);
    let text = String::from_utf8_lossy(&run(&["scan", "-q", b, "--color", "never"]).stdout).into_owned();
    for shown in [&*json, &*text] {
        for secret in ["foobar", "npm-s3cr3t-t0ken", "hunter22"] {
            assert!(!shown.contains(secret), "{secret} printed");
        }
    }
    let v: Value = serde_json::from_str(&json).unwrap();
    let steps: Vec<&str> = v["bundles"][0]["images"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["created_by"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "ENV ANCHORE_ADMIN_PASSWORD=<redacted 6 chars>",
            "|1 NPM_AUTH_TOKEN=<redacted 16 chars> /bin/sh -c curl <redacted 34 chars> | sh"
        ]
    );
    let objects = v["bundles"][0]["image_objects"].as_array().unwrap();
    assert!(
        objects
            .iter()
            .any(|o| o["history"][0]["created_by"] == "ENV ANCHORE_ADMIN_PASSWORD=<redacted 6 chars>"),
        "{objects:?}"
    );
}
