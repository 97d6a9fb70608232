//! Damaged image archives tell what they hold: a `docker save` cut short (its listing,
//! written last, lost; a layer or the config cut), a save that lost only its `manifest.json`,
//! an OCI archive without `index.json` (and without its manifest blob), compressed or not.
//! What survived is rebuilt and analysed like an intact image; one warning says what was
//! recovered from what and what is missing, an error marks a layer the cut fell in.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::image_build::{gz, sha, step, Image, Layer};
use crate::util::{root, run_json, validate_against_schema};

/// The dvwa sample's config and commit layer (legacy `docker save` layout).
const DVWA_CONFIG: &str = "4851056ef61b784b3a63d72268e4f44b33a4bb529ccfa71416e5392f8f96227a.json";
const DVWA_COMMIT: &str = "bd5f86f41b40db6c9c1122b854bae85c936b5c5507de2c7d689c417fe82c5ff7/layer.tar";
const SHELL_PHP: &str = "/var/www/html/hackable/uploads/shell.php";

fn sample(rel: &str) -> Vec<u8> {
    std::fs::read(root().join("samples").join(rel)).unwrap()
}

/// Write `bytes` as `name` in `dir`, scan it, return the bundle and the exit code.
fn scan(dir: &Path, name: &str, bytes: &[u8]) -> (Value, i32) {
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let (v, code) = run_json(&["scan", p.to_str().unwrap()]);
    (v["bundles"][0].clone(), code)
}

/// The first `n` bytes of a sample, scanned.
fn scan_cut(rel: &str, n: usize) -> (Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    let whole = sample(rel);
    assert!(n < whole.len());
    scan(dir.path(), "image.tar", &whole[..n])
}

fn diags<'a>(b: &'a Value, level: &str) -> Vec<&'a str> {
    b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == level)
        .map(|d| d["message"].as_str().unwrap())
        .collect()
}

/// The one warning that says what was recovered.
fn recovery_warning(b: &Value) -> String {
    let w: Vec<&str> = diags(b, "warning").into_iter().filter(|m| m.contains("; recovered ")).collect();
    assert_eq!(w.len(), 1, "one recovery warning expected: {:#}", b["diagnostics"]);
    w[0].to_string()
}

/// Every rule of every finding.
fn rules(b: &Value) -> Vec<String> {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()))
        .collect()
}

/// The finding whose rules include one starting with `prefix`, naming `path` in its evidence.
fn finding_on<'a>(b: &'a Value, prefix: &str, path: &str) -> Option<&'a Value> {
    b["findings"].as_array().unwrap().iter().find(|f| {
        f["rules"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().starts_with(prefix))
            && f["evidence"].as_array().unwrap().iter().any(|e| e["members"].to_string().contains(path))
    })
}

fn layers(img: &Value) -> &Vec<Value> {
    img["layers"].as_array().unwrap()
}

#[test]
fn dvwa_save_cut_in_its_manifest_keeps_every_layer_and_the_attackers_files() {
    // The manifest is the last-but-one member: 112 of its 524 bytes are left.
    let (b, code) = scan_cut("dvwa/image.tar", 166_000);
    let images = b["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{images:#?}");
    let img = &images[0];
    assert_eq!(layers(img).len(), 5);
    assert!(layers(img).iter().all(|l| l["complete"] == true && l["diff_id_check"] == "verified"));
    assert_eq!(img["integrity"], "verified", "config and every layer still check out");
    assert_eq!(img["config_check"], "verified");
    assert_eq!(img["config"], DVWA_CONFIG);
    assert_eq!(img["committed_layers"], serde_json::json!([4]), "history still says docker commit");
    let w = recovery_warning(&b);
    assert!(w.starts_with("manifest.json cut at byte 112 of 524 (the archive ends at byte 166000); recovered 5 layers from the <id>/json chain and config"), "{w}");
    assert!(w.contains(DVWA_CONFIG), "{w}");
    assert_eq!(img["recovered"].as_str(), Some(w.as_str()));
    // Every layer is whole: only the discovery of the cut file is an error.
    assert!(!diags(&b, "error").iter().any(|m| m.contains("layer")), "{:#}", b["diagnostics"]);
    assert_eq!(code & 1, 1, "high findings");
    let webshell = finding_on(&b, "file.webshell", SHELL_PHP).expect("the webshell");
    assert_eq!(webshell["severity"], "critical");
    let found = rules(&b);
    for r in ["file.miner", "file.persistence.cron", "file.account.uid0", "file.antiforensics.history"] {
        assert!(found.iter().any(|f| f == r), "{r} missing from {found:?}");
    }
    // The committed layer is the container's changes, as for the intact image.
    assert_eq!(b["container_changes"]["source"], "committed-layers");
    let full = run_json(&["scan", root().join("samples/dvwa/image.tar").to_str().unwrap()]).0;
    assert_eq!(b["container_changes"]["changes"], full["bundles"][0]["container_changes"]["changes"]);
    assert_eq!(
        b["file_changes"].as_array().unwrap().len(),
        full["bundles"][0]["file_changes"].as_array().unwrap().len()
    );
}

#[test]
fn dvwa_save_cut_inside_the_commit_layer_keeps_what_was_read_before_the_cut() {
    // The commit layer's data starts at 117248; its last file (shell.php) ends at 164352.
    let (b, _) = scan_cut("dvwa/image.tar", 164_452);
    let img = &b["images"][0];
    assert_eq!(layers(img).len(), 5);
    let top = &layers(img)[4];
    assert_eq!(top["complete"], false);
    assert_eq!(top["blob"], DVWA_COMMIT);
    assert_eq!(img["integrity"], "incomplete");
    assert_eq!(img["committed_layers"], serde_json::json!([4]));
    let w = recovery_warning(&b);
    assert!(w.starts_with(&format!("manifest.json missing (the archive ends at byte 164452, inside `{DVWA_COMMIT}` (47204 of 48128 bytes)); recovered 5 layers")), "{w}");
    assert!(w.contains("4 by the sha256 of the content, 1 by the <id>/json parent links"), "{w}");
    assert!(w.contains(&format!("layer 4 (`{DVWA_COMMIT}`) is cut")), "{w}");
    let errors = diags(&b, "error");
    assert!(
        errors.iter().any(|m| m.starts_with("layer 4 is cut at byte 47204 of 48128 (the archive ends at byte 164452): the 31 entries read before the cut are kept")),
        "{errors:#?}"
    );
    assert!(finding_on(&b, "file.webshell", SHELL_PHP).is_some(), "{:?}", rules(&b));
    assert!(rules(&b).iter().any(|r| r == "file.miner"));

    // Cut in the middle of access.log: what comes before it (the miner, the cron job) is
    // kept, the webshell after it is lost.
    let (b, _) = scan_cut("dvwa/image.tar", 147_968);
    let top = &layers(&b["images"][0])[4];
    assert_eq!(top["complete"], false);
    assert_eq!(top["entries"], 23);
    let found = rules(&b);
    assert!(
        found.iter().any(|r| r == "file.miner") && found.iter().any(|r| r == "file.persistence.cron"),
        "{found:?}"
    );
    assert!(finding_on(&b, "file.webshell", SHELL_PHP).is_none());
}

#[test]
fn dvwa_save_cut_inside_the_config_rebuilds_the_v1_chains_that_survived() {
    // Tar order: 2127.. (layer 3), 2fb6.. (layer 1), the config (cut here), then the rest.
    let (b, _) = scan_cut("dvwa/image.tar", 50_000);
    let images = b["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "two chain fragments, each missing the layers below it: {images:#?}");
    let total: usize = images.iter().map(|i| layers(i).len()).sum();
    assert_eq!(total, 2);
    for i in images {
        assert_eq!(i["integrity"], "unverified");
        assert!(i["listed_in"].as_str().unwrap().starts_with("recovered: <id>/json chain from "));
        assert!(layers(i)[0]["complete"] == true);
    }
    let w = recovery_warning(&b);
    assert!(w.starts_with(&format!("manifest.json missing (the archive ends at byte 50000, inside `{DVWA_CONFIG}` (1360 of 3410 bytes)); recovered 1 layer from the <id>/json chain from ")), "{w}");
    assert!(w.contains("is not in the archive: the layers below it are missing"), "{w}");
    assert!(w.ends_with("no image config survived: history from the <id>/json files, nothing to verify the layers against"), "{w}");
    assert!(finding_on(&b, "file.webshell", SHELL_PHP).is_none(), "the commit layer came after the cut");
}

#[test]
fn a_gzipped_save_cut_short_is_rebuilt_from_its_stream() {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&sample("dvwa/image.tar")).unwrap();
    let whole = e.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Near the end of the stream: inside the manifest (decoded offsets).
    let (b, _) = scan(dir.path(), "image.tar.gz", &whole[..whole.len() - 150]);
    let w = recovery_warning(&b);
    assert!(w.starts_with("manifest.json cut at byte ") && w.contains(" of its decoded tar)"), "{w}");
    assert_eq!(layers(&b["images"][0]).len(), 5);
    assert!(finding_on(&b, "file.webshell", SHELL_PHP).is_some());
    // Well inside the commit layer.
    let (b, _) = scan(dir.path(), "image.tar.gz", &whole[..whole.len() * 19 / 20]);
    let img = &b["images"][0];
    assert_eq!(layers(img).len(), 5);
    assert_eq!(layers(img)[4]["complete"], false);
    assert!(recovery_warning(&b).contains(&format!("layer 4 (`{DVWA_COMMIT}`) is cut")));
    assert!(diags(&b, "error").iter().any(|m| m.starts_with("layer 4 is cut at byte ")));
}

#[test]
fn a_save_that_lost_only_its_manifest_gets_its_tags_back_from_repositories() {
    let whole = sample("dvwa/image.tar");
    let mut src = tar::Archive::new(&whole[..]);
    let mut b = tar::Builder::new(Vec::new());
    for e in src.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path_bytes().as_ref() == b"manifest.json" {
            continue;
        }
        let h = e.header().clone();
        b.append(&h, &mut e).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let (v, code) = {
        let p = dir.path().join("image.tar");
        std::fs::write(&p, b.into_inner().unwrap()).unwrap();
        run_json(&["scan", p.to_str().unwrap()])
    };
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    assert_eq!(code & 2, 0, "nothing unreadable: {:#}", b["diagnostics"]);
    let img = &b["images"][0];
    assert_eq!(img["repo_tags"], serde_json::json!(["ir-evidence/dvwa:2026-11-27"]));
    assert_eq!(img["layout"], "docker-save", "rebuilt from its config, not read as a pre-1.10 save");
    assert_eq!(img["integrity"], "verified");
    assert_eq!(img["history"].as_array().unwrap().len(), 9, "the config's history");
    let w = recovery_warning(b);
    assert!(
        w.starts_with("manifest.json missing; recovered 5 layers from the <id>/json chain and config"),
        "{w}"
    );
    assert!(finding_on(b, "file.webshell", SHELL_PHP).is_some());
}

#[test]
fn log4shell_docker25_save_cut_before_its_index_is_rebuilt_from_its_manifest_blob() {
    // blobs/sha256/* first, then index.json (header at block 384), manifest.json, oci-layout.
    let (b, _) = scan_cut("log4shell/image.tar", 384 * 512 + 300);
    let img = &b["images"][0];
    assert_eq!(b["images"].as_array().unwrap().len(), 1);
    assert_eq!(img["layout"], "oci-archive");
    assert_eq!(layers(img).len(), 6);
    assert_eq!(img["integrity"], "verified", "manifest, config and every layer check out");
    assert_eq!(img["manifest_check"], "verified");
    let w = recovery_warning(&b);
    assert!(w.starts_with("index.json and manifest.json missing (the archive ends at byte 196908, after `blobs/sha256/fb023283ed5eebf63769cc9772de581fc67a264b6c6c199f59de1e594ae06bcf`); recovered 6 layers from manifest sha256:a560829c09521af060f079cdae51e27ada3b10928dbf46f37bd57ea3d837d26d and config"), "{w}");
    assert!(finding_on(&b, "file.webshell", "health.jsp").is_some(), "{:?}", rules(&b));
    // Cut inside the base layer blob (the last in the tar): it is kept up to the cut.
    let (b, _) = scan_cut("log4shell/image.tar", 313 * 512 + 20_000);
    let img = &b["images"][0];
    assert_eq!(layers(img).len(), 6);
    assert_eq!(layers(img)[0]["complete"], false);
    assert!(recovery_warning(&b).contains(
        "layer 0 (`blobs/sha256/fb023283ed5eebf63769cc9772de581fc67a264b6c6c199f59de1e594ae06bcf`) is cut"
    ));
    assert!(diags(&b, "error").iter().any(|m| m.starts_with("layer 0 is cut at byte 19488 of 35840")));
    assert!(finding_on(&b, "file.webshell", "health.jsp").is_some());
}

/// A small PHP app whose committed top layer holds a webshell, then a large log.
fn php_image(gzip: bool) -> Image {
    let mut seed = 7u64;
    let noise: Vec<u8> = (0..60_000)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            b"0123456789abcdef"[(seed >> 60) as usize]
        })
        .collect();
    let base = Layer::new().dir("etc").file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n").build();
    let app =
        Layer::new().dir("var/www/html").file("var/www/html/index.php", b"<?php echo 'hi'; ?>\n").build();
    let commit = Layer::new()
        .dir("var/www/html/uploads")
        .file("var/www/html/uploads/up.php", b"<?php @eval($_POST['cmd']); ?>")
        .file("var/log/noise.log", &noise)
        .build();
    let mut img = Image::new("shop:1");
    img.cmd = vec!["apache2-foreground".into()];
    let steps = [
        step("2026-01-01T00:00:00Z", "ADD rootfs /"),
        step("2026-01-02T00:00:00Z", "COPY app /var/www/html # buildkit"),
        step("2026-02-01T00:00:00Z", "apache2-foreground"),
    ];
    for (tar, s) in [base, app, commit].into_iter().zip(steps) {
        img = if gzip { img.gz_layer(tar, s) } else { img.layer(tar, s) };
    }
    img
}

#[test]
fn oci_archive_without_index_is_rebuilt_from_its_manifest_blob_or_its_config() {
    let img = php_image(false);
    let manifest_name = img.oci_files()[1].0.clone();
    let dir = tempfile::tempdir().unwrap();
    // No index.json (and, as podman writes it, no manifest.json): the manifest blob is found.
    let (b, code) = scan(dir.path(), "a.tar", &img.oci_archive(|n| n != "index.json"));
    assert_eq!(code & 2, 0, "nothing is cut: {:#}", b["diagnostics"]);
    let i = &b["images"][0];
    assert_eq!(layers(i).len(), 3);
    assert_eq!(i["integrity"], "verified");
    assert_eq!(i["committed_layers"], serde_json::json!([2]));
    let w = recovery_warning(&b);
    assert!(
        w.starts_with("index.json and manifest.json missing; recovered 3 layers from manifest sha256:"),
        "{w}"
    );
    assert!(finding_on(&b, "file.webshell", "up.php").is_some(), "{:?}", rules(&b));
    // No manifest blob either: the config's diff_ids order the layers.
    let (b, _) = scan(dir.path(), "b.tar", &img.oci_archive(|n| n != "index.json" && n != manifest_name));
    let i = &b["images"][0];
    assert_eq!(layers(i).len(), 3);
    assert_eq!(i["integrity"], "verified");
    let w = recovery_warning(&b);
    assert!(
        w.contains("recovered 3 layers from config `blobs/sha256/")
            && w.contains("matched to the config's diff_ids by the sha256 of the content"),
        "{w}"
    );
    assert!(finding_on(&b, "file.webshell", "up.php").is_some());
    // Nothing but the layer blobs (no config): tar order, said to be a guess.
    let (b, _) = scan(
        dir.path(),
        "c.tar",
        &img.oci_archive(|n| {
            n.starts_with("blobs/") && n != manifest_name && !n.ends_with(&sha(img.config().as_bytes()))
        }),
    );
    let i = &b["images"][0];
    assert_eq!(layers(i).len(), 3);
    assert_eq!(i["listed_in"], "recovered: layers in tar order");
    assert!(recovery_warning(&b).contains("their order is a guess"));
    assert!(finding_on(&b, "file.webshell", "up.php").is_some());
}

#[test]
fn oci_archive_cut_inside_a_gzip_layer_places_it_by_elimination() {
    let img = php_image(true);
    let manifest_name = img.oci_files()[1].0.clone();
    // Config, then the layers in order (the commit layer last), no manifest blob, no index.
    let whole = img.oci_archive(|n| n.starts_with("blobs/") && n != manifest_name);
    let top = gz(&img.layers[2].1);
    let at = whole.windows(top.len()).position(|w| w == top.as_slice()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = scan(dir.path(), "image.tar", &whole[..at + top.len() / 2]);
    let i = &b["images"][0];
    assert_eq!(layers(i).len(), 3, "{:#}", b["diagnostics"]);
    assert_eq!(layers(i)[2]["complete"], false);
    assert_eq!(layers(i)[2]["compression"], "gzip");
    let w = recovery_warning(&b);
    assert!(w.contains("2 by the sha256 of the content, 1 by elimination"), "{w}");
    assert!(w.contains("layer 2 (`blobs/sha256/") && w.contains("`) is cut"), "{w}");
    assert_eq!(i["committed_layers"], serde_json::json!([2]));
    assert!(finding_on(&b, "file.webshell", "up.php").is_some(), "the file before the cut: {:?}", rules(&b));
}
