//! Image layouts beyond archives with a manifest: the OCI image layout given as a directory
//! (its files are separate artifacts of the bundle) and the pre-Docker-1.10 `docker save`
//! (`repositories` + `<id>/json` parent chain), built in test code.

use std::path::Path;

use serde_json::Value;

use crate::image_build::{member, sha, step, Image, Layer};
use crate::util::{run, run_json};

fn image() -> Image {
    Image::new("t:oci")
        .gz_layer(
            Layer::new()
                .dir("etc")
                .file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
                .dir("tmp")
                .file("tmp/a", b"a")
                .file("tmp/b", b"b")
                .build(),
            step("2026-01-01T00:00:00Z", "ADD rootfs /"),
        )
        .gz_layer(
            Layer::new().dir("tmp").file("tmp/.wh.a", b"").file("tmp/c", b"c").build(),
            step("2026-01-02T00:00:00Z", "RUN rm /tmp/a && echo c > /tmp/c"),
        )
}

fn tree_paths(v: &Value) -> Vec<&str> {
    v["trees"][0]["entries"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect()
}

fn blob_path(img: &Image, layer: usize) -> String {
    format!("myimage/blobs/sha256/{}", sha(&img.layers[layer].0))
}

fn errors(v: &Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| {
            format!("{} :: {}", d["locator"]["artifact"].as_str().unwrap(), d["message"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn oci_layout_directory_in_a_bundle_is_one_image_and_its_blobs_are_not_stray_tars() {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    img.oci_dir(&dir.path().join("myimage"));
    std::fs::write(dir.path().join("app.log"), b"2026-01-01 GET /index.html 200\n").unwrap();
    let bundle = dir.path().to_str().unwrap();
    let (v, code) = run_json(&["scan", bundle]);
    assert_eq!(code & 2, 0, "{}", v["bundles"][0]["diagnostics"]);
    let b = &v["bundles"][0];
    // Custody still lists every blob, as discovery sniffed it.
    let paths: Vec<&str> =
        b["artifacts"].as_array().unwrap().iter().map(|a| a["path"].as_str().unwrap()).collect();
    assert!(
        paths.contains(&blob_path(&img, 0).as_str()) && paths.contains(&"myimage/index.json"),
        "{paths:?}"
    );
    let images = b["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "the blobs are read once, as the image's layers: {images:?}");
    let i = &images[0];
    assert_eq!(i["layout"], "oci-layout-dir");
    assert_eq!(i["role"], "image");
    assert_eq!(i["archive"], "myimage");
    assert_eq!(i["repo_tags"], serde_json::json!(["t:oci"]));
    assert_eq!(i["integrity"], "verified");
    assert_eq!(i["manifest_check"], "verified");
    assert_eq!(i["config_check"], "verified");
    for (n, l) in i["layers"].as_array().unwrap().iter().enumerate() {
        assert_eq!(l["digest_check"], "verified");
        assert_eq!(l["diff_id_check"], "verified");
        assert_eq!(l["compression"], "gzip");
        assert_eq!(l["blob"], format!("blobs/sha256/{}", sha(&img.layers[n].0)));
    }
    assert_eq!(i["layers"][1]["created_by"], "RUN rm /tmp/a && echo c > /tmp/c");
    assert_eq!((i["layers"][1]["added"].as_u64(), i["layers"][1]["deleted"].as_u64()), (Some(1), Some(1)));
    assert!(b["container_changes"].is_null(), "no blob is taken for a docker export");
    // Locators name the blob artifacts (and the member inside the layer).
    let changes = b["file_changes"].as_array().unwrap();
    let del = changes.iter().find(|c| c["change"] == "deleted").unwrap();
    assert_eq!(del["path"], "/tmp/a");
    assert_eq!(del["locator"]["artifact"], blob_path(&img, 1));
    let added = changes.iter().find(|c| c["path"] == "/tmp/c").unwrap();
    assert_eq!(added["locator"]["artifact"], blob_path(&img, 1));
    assert_eq!(added["locator"]["members"], serde_json::json!(["/tmp/c"]));
    assert!(changes.iter().all(|c| c["locator"]["artifact"].as_str().unwrap().starts_with("myimage/blobs/")));
    // Same evidence, same bytes.
    assert_eq!(
        run(&["scan", bundle, "--format", "json"]).stdout,
        run(&["scan", bundle, "--format", "json"]).stdout
    );
    // `layers` accepts the layout directory itself (members then sit at the bundle root).
    let (v, code) = run_json(&["layers", dir.path().join("myimage").to_str().unwrap(), "--tree"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["images"].as_array().unwrap().len(), 1);
    // The archive is named by the directory given, never `.`.
    assert_eq!(v["images"][0]["archive"], dir.path().join("myimage").to_str().unwrap());
    assert_eq!(tree_paths(&v), ["/etc", "/etc/passwd", "/tmp", "/tmp/b", "/tmp/c"]);
    // The same bundle packed as a .tar.gz: the blobs are members now, read the same way.
    let mut t = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    t.append_dir_all(".", dir.path()).unwrap();
    let packed = dir.path().join("bundle.tar.gz");
    std::fs::write(&packed, t.into_inner().unwrap().finish().unwrap()).unwrap();
    let (v, code) = run_json(&["scan", packed.to_str().unwrap()]);
    assert_eq!(code & 2, 0, "{}", v["bundles"][0]["diagnostics"]);
    let images = v["bundles"][0]["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(
        (images[0]["archive"].as_str(), images[0]["integrity"].as_str()),
        (Some("myimage"), Some("verified"))
    );
    // `diff --image DIR EXPORT` takes the layout directory as the image.
    let export = dir.path().join("export.tar");
    let fs = Layer::new().dir("etc").file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n").dir("tmp");
    std::fs::write(&export, fs.file("tmp/b", b"b").file("tmp/c", b"c").file("tmp/x", b"new").build())
        .unwrap();
    let out =
        run(&["diff", "--image", dir.path().join("myimage").to_str().unwrap(), export.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "C /tmp\nA /tmp/x\n");
    // And `scan --base-image DIR` on a bundle holding only the export.
    let case = tempfile::tempdir().unwrap();
    std::fs::copy(&export, case.path().join("export.tar")).unwrap();
    let base = dir.path().join("myimage");
    let (v, _) = run_json(&["scan", case.path().to_str().unwrap(), "--base-image", base.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["images"][0]["role"], "base-image");
    assert_eq!(b["images"][0]["layout"], "oci-layout-dir");
    let lines: Vec<String> = b["container_changes"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["change"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].ends_with("/tmp/x"), "{lines:?}");
}

#[test]
fn oci_layout_directory_tampered_or_incomplete_is_reported_on_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    let root = dir.path().join("myimage");
    img.oci_dir(&root);
    // Replace layer 0's content under its old name: the blob no longer hashes to its digest.
    let other = crate::image_build::gz(&Layer::new().file("tmp/evil", b"x").build());
    std::fs::write(dir.path().join(blob_path(&img, 0)), other).unwrap();
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code & 1, 1, "a high finding");
    let b = &v["bundles"][0];
    let f = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rules"].as_array().unwrap().iter().any(|r| r == "image.integrity.mismatch")
                && f["title"].as_str().unwrap().contains("layer 0 blob")
        })
        .unwrap();
    assert_eq!(f["evidence"][0]["artifact"], blob_path(&img, 0));
    assert!(f["summary"].as_str().unwrap().contains(&sha(&img.layers[0].0)));
    assert_eq!(b["images"][0]["integrity"], "mismatch");
    // A missing blob is a precise error naming it.
    std::fs::remove_file(dir.path().join(blob_path(&img, 1))).unwrap();
    let (v, code) = run_json(&["layers", root.to_str().unwrap()]);
    assert_eq!(code & 2, 2);
    let want = format!("blobs/sha256/{} :: layer listed in", sha(&img.layers[1].0));
    assert!(errors(&v).iter().any(|e| e.starts_with(&want) && e.contains("missing")), "{:?}", errors(&v));
}

#[test]
fn oci_layout_marker_without_index_is_not_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    img.oci_dir(&dir.path().join("x"));
    std::fs::remove_file(dir.path().join("x/index.json")).unwrap();
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    let warned = b["diagnostics"].as_array().unwrap().iter().any(|d| {
        d["locator"]["artifact"] == "x/oci-layout"
            && d["message"].as_str().unwrap().contains("no `index.json`")
    });
    assert!(warned, "{}", b["diagnostics"]);
    // Without an index the layer blobs are analysed one by one, as before.
    assert!(b["images"].as_array().unwrap().iter().all(|i| i["layout"] != "oci-layout-dir"));
}

fn v1_image() -> Image {
    Image::new("old/app:1.0")
        .layer(
            Layer::new().dir("bin").file("bin/sh", b"ELF").dir("etc").file("etc/motd", b"hi").build(),
            step("2015-06-01T10:00:00Z", "#(nop) ADD file:abc in /"),
        )
        .layer(
            Layer::new().dir("app").file("app/run.sh", b"#!/bin/sh\n").build(),
            step("2015-06-01T10:01:00Z", "#(nop) COPY run.sh /app/"),
        )
        .layer(
            Layer::new().dir("etc").file("etc/.wh.motd", b"").build(),
            step("2015-06-01T10:02:00Z", "rm /etc/motd"),
        )
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn pre_1_10_docker_save_follows_parents_and_says_it_cannot_verify() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "old.tar", &v1_image().docker_save_v1());
    let (v, code) = run_json(&["layers", &p, "--tree", "--files"]);
    assert_eq!(code, 0, "{v}");
    let i = &v["images"][0];
    assert_eq!(i["layout"], "docker-save-v1");
    assert_eq!(i["repo_tags"], serde_json::json!(["old/app:1.0"]));
    assert_eq!(i["integrity"], "unverifiable (v1 layout)");
    let top = format!("{:064x}", 0xabc2);
    assert_eq!(i["listed_in"], format!("repositories > {top}"));
    assert_eq!(i["config"], format!("{top}/json"));
    let steps: Vec<&str> =
        i["layers"].as_array().unwrap().iter().map(|l| l["created_by"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "/bin/sh -c #(nop) ADD file:abc in /",
            "/bin/sh -c #(nop) COPY run.sh /app/",
            "/bin/sh -c rm /etc/motd"
        ],
        "root first, whatever the member order"
    );
    assert_eq!(i["layers"][2]["created"], "2015-06-01T10:02:00.000000000Z");
    assert_eq!(i["layers"][0]["member"], format!("{:064x}/layer.tar", 0xabc0));
    assert!(i["layers"].as_array().unwrap().iter().all(|l| l["diff_id_check"] == "unverified"));
    assert_eq!(i["history"].as_array().unwrap().len(), 3);
    assert_eq!(tree_paths(&v), ["/app", "/app/run.sh", "/bin", "/bin/sh", "/etc"]);
    // Compressed, the archive is streamed in one pass: same images, same trees.
    let gz = write(dir.path(), "old.tar.gz", &crate::image_build::gz(&v1_image().docker_save_v1()));
    let (z, code) = run_json(&["layers", &gz, "--tree", "--files"]);
    assert_eq!(code, 0, "{z}");
    assert_eq!((&z["images"][0]["layers"], &z["trees"]), (&i["layers"], &v["trees"]));
    let w = v["diagnostics"].as_array().unwrap();
    assert!(w
        .iter()
        .any(|d| d["level"] == "warning" && d["message"].as_str().unwrap().contains("no content digests")));
}

#[test]
fn pre_1_10_docker_save_with_a_broken_parent_chain_is_a_precise_error() {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| member(&mut b, name, data);
    let top = "b".repeat(64);
    let gone = "c".repeat(64);
    add("repositories", format!(r#"{{"r":{{"t":"{top}"}}}}"#).as_bytes());
    add(&format!("{top}/json"), format!(r#"{{"id":"{top}","parent":"{gone}"}}"#).as_bytes());
    add(&format!("{top}/layer.tar"), &Layer::new().file("x", b"1").build());
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "broken.tar", &b.into_inner().unwrap());
    let (v, code) = run_json(&["layers", &p]);
    assert_eq!(code & 2, 2);
    let e = v["diagnostics"].as_array().unwrap().iter().find(|d| d["level"] == "error").unwrap();
    assert_eq!(e["locator"]["members"][0], format!("{gone}/json"));
    assert!(e["message"].as_str().unwrap().contains("missing"), "{e}");
    // What could be read is still reported: the top layer alone.
    assert_eq!(v["images"][0]["layers"].as_array().unwrap().len(), 1);
}
