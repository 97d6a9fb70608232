//! Image layers on real archives written by other projects (../shared/fixtures): layouts,
//! whiteouts, merged trees against the origin projects' expected trees, integrity, diff_ids.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::{run, run_json, shared};

const IGN: &str = "needs ../shared; CI runs it with --include-ignored";

fn fixture(rel: &str) -> String {
    shared(&format!("fixtures/{rel}")).to_str().unwrap().to_string()
}

fn sha(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// `layers --tree --files` as JSON.
fn layers(path: &str) -> Value {
    run_json(&["layers", path, "--files", "--tree"]).0
}

/// Merged tree of image `i` as (path, type) pairs.
fn tree(v: &Value, i: usize) -> Vec<(String, String)> {
    let t = v["trees"].as_array().unwrap().iter().find(|t| t["image"] == i).unwrap();
    t["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap().to_string(), e["type"].as_str().unwrap().to_string()))
        .collect()
}

fn tree_entry<'a>(v: &'a Value, i: usize, path: &str) -> &'a Value {
    let t = v["trees"].as_array().unwrap().iter().find(|t| t["image"] == i).unwrap();
    t["entries"].as_array().unwrap().iter().find(|e| e["path"] == path).unwrap()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn go_containerregistry_whiteouts_and_overwrites() {
    let _ = IGN;
    // TestExtractWhiteout: foo.txt is gone, bar.txt stays.
    let v = layers(&fixture("go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar"));
    assert_eq!(tree(&v, 0), pairs(&[("/bar.txt", "file")]));
    assert_eq!(v["images"][0]["layers"][1]["deleted"], 1);
    assert_eq!(v["images"][0]["integrity"], "verified");
    // TestExtractWhiteoutDir: re-created `a/` must not resurrect a/foo.
    let v = layers(&fixture("go-containerregistry/pkg/v1/mutate/testdata/whiteout_dir.tar"));
    assert_eq!(tree(&v, 0), pairs(&[("/a", "dir"), ("/a/baz", "file"), ("/b", "dir"), ("/b/bar", "file")]));
    let l2: Vec<(&str, &str)> = v["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["layer"] == 2)
        .map(|c| (c["change"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect();
    assert_eq!(l2, [("deleted", "/a")]);
    // gzip layers named by their compressed digest: verified against the name.
    for l in v["images"][0]["layers"].as_array().unwrap() {
        assert_eq!(l["compression"], "gzip");
        assert_eq!(l["digest_check"], "verified");
        assert_eq!(l["diff_id_check"], "verified");
    }
    // TestExtractOverwrittenFile: foo.txt became a symlink to bar.txt (no whiteout).
    let v = layers(&fixture("go-containerregistry/pkg/v1/mutate/testdata/overwritten_file.tar"));
    assert_eq!(tree(&v, 0), pairs(&[("/bar.txt", "file"), ("/foo.txt", "symlink")]));
    assert_eq!(tree_entry(&v, 0, "/foo.txt")["link_target"], "bar.txt");
    assert_eq!(tree_entry(&v, 0, "/bar.txt")["sha256"], sha(b"bar\n"));
    let foo = v["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "/foo.txt" && c["layer"] == 1)
        .unwrap();
    assert_eq!(foo["change"], "modified");
    assert!(foo["what"].as_array().unwrap().contains(&Value::from("type")));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn empty_layer_history_is_aligned() {
    let v = layers(&fixture(
        "go-containerregistry/pkg/v1/mutate/testdata/source_image_with_empty_layer_history.tar",
    ));
    let img = &v["images"][0];
    assert_eq!(img["history"][0]["empty_layer"], true);
    assert_eq!(img["history"][0]["layer"], Value::Null);
    assert_eq!(img["history"][1]["layer"], 0);
    assert_eq!(img["layers"][0]["created_by"], "bazel build ...");
    assert_eq!(img["layers"][0]["history"], 1);
    assert_eq!(img["layers"][0]["diff_id_check"], "verified");
    // The config was edited after it was named (the history was added by hand): its bytes
    // no longer hash to the name, and we say so with both values.
    assert_eq!(img["config_check"], "mismatch");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "image.integrity.mismatch");
    let s = f["summary"].as_str().unwrap();
    assert!(s.contains("6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e"), "{s}");
    assert!(s.contains(img["id"].as_str().unwrap()), "{s}");
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn broken_archives_get_precise_diagnostics() {
    let (v, code) =
        run_json(&["layers", &fixture("go-containerregistry/pkg/v1/tarball/testdata/null_manifest.tar")]);
    assert_eq!(code, 2);
    let d = &v["diagnostics"][0];
    assert_eq!(d["level"], "error");
    assert_eq!(d["locator"]["members"][0], "manifest.json");
    assert!(d["message"].as_str().unwrap().contains("`null`"));
}

/// (path, type) of every entry of a layer tar, as the merged view shows them.
fn listed(layer: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tar::Archive::new(layer)
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let p = e
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_string();
            let t = if e.header().entry_type().is_dir() { "dir" } else { "file" };
            (format!("/{p}"), t.to_string())
        })
        .filter(|(p, _)| p != "/")
        .collect();
    out.sort();
    out
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn save_without_manifest_is_rebuilt_from_its_config_and_repositories() {
    // TestNoManifest expects a failure because go-containerregistry needs manifest.json. The
    // archive still holds its config (`<hex>.json`, rootfs.diff_ids) beside the v1 files and
    // `repositories`: a save made since Docker 1.10 that lost its manifest, not a pre-1.10
    // one. It is rebuilt from the config (layers matched by diff_id), tags from repositories.
    let p = fixture("go-containerregistry/pkg/v1/tarball/testdata/no_manifest.tar");
    let (v, code) = run_json(&["layers", &p, "--tree"]);
    assert_eq!(code, 0, "{v}");
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["level"], "warning");
    let config = "47b20a5c857d1adc47d5ee911b1e73f8fdd17e81459f7d241a918ff797d3ef9e.json";
    let m = diags[0]["message"].as_str().unwrap();
    assert_eq!(
        m,
        format!("manifest.json missing; recovered 1 layer from the <id>/json chain and config `{config}` (matched to the config's diff_ids by the sha256 of the content)")
    );
    let imgs = v["images"].as_array().unwrap();
    assert_eq!(imgs.len(), 1);
    let img = &imgs[0];
    let top = "c47412cb682fcf4ae43f536a788069f78552f928a55eeb09ba1455e0f9a2306e";
    assert_eq!(img["layout"], "docker-save");
    assert_eq!(img["repo_tags"], serde_json::json!(["bazel/v1/tarball:test_image"]));
    assert_eq!(img["integrity"], "verified");
    assert_eq!(img["config"], config);
    assert_eq!(img["config_check"], "verified");
    assert_eq!(img["recovered"].as_str(), Some(m));
    assert_eq!(img["layers"][0]["created_by"], "bazel build ...", "the config's history");
    assert_eq!((img["os"].as_str(), img["architecture"].as_str()), (Some("linux"), Some("amd64")));
    let l = &img["layers"][0];
    assert_eq!(img["layers"].as_array().unwrap().len(), 1);
    assert_eq!(l["member"], format!("{top}/layer.tar"));
    assert_eq!(l["diff_id_check"], "verified");
    // The tree is exactly what the layer tar holds (listed here independently).
    let mut outer = tar::Archive::new(std::fs::File::open(&p).unwrap());
    let mut layer = vec![];
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == format!("{top}/layer.tar") {
            std::io::Read::read_to_end(&mut e, &mut layer).unwrap();
        }
    }
    assert_eq!(layer.len(), 10240);
    assert_eq!(l["diff_id"], format!("sha256:{}", sha(&layer)));
    let want = listed(&layer);
    assert_eq!(want.len(), 4, "{want:?}");
    assert_eq!(tree(&v, 0), want);
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn layer_tar_symlink_and_bundles() {
    // TestLayerLink: the second image's first layer.tar is a symlink to the first image's.
    let v = layers(&fixture("go-containerregistry/pkg/v1/tarball/testdata/test_link.tar"));
    let img = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["repo_tags"][0] == "bazel/v1/tarball:test_image_3")
        .unwrap();
    let l0 = &img["layers"][0];
    assert!(l0["member"].as_str().unwrap().starts_with("b159278a"));
    assert!(l0["blob"].as_str().unwrap().starts_with("6e77476643c3"));
    assert_eq!(l0["diff_id"], "sha256:8897395fd26dc44ad0e2a834335b33198cb41ac4d98dfddf58eced3853fa7b17");
    assert_eq!(l0["entries"], 2);
    let i = img["index"].as_u64().unwrap() as usize;
    assert_eq!(tree_entry(&v, i, "/test")["size"], 6);
    // A child image built FROM the other is not mistaken for a docker commit.
    assert_eq!(img["committed_layers"], serde_json::json!([]));
    // TestBundleMultiple: two images in one archive.
    let v = layers(&fixture("go-containerregistry/pkg/v1/tarball/testdata/test_bundle.tar"));
    let tags: BTreeSet<&str> =
        v["images"].as_array().unwrap().iter().map(|i| i["repo_tags"][0].as_str().unwrap()).collect();
    assert_eq!(tags, BTreeSet::from(["test_image_1", "test_image_2"]));
    // test_image_1: `./` prefixes stripped.
    let v = layers(&fixture("go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar"));
    assert_eq!(tree(&v, 0), pairs(&[("/bar", "file"), ("/foo", "file")]));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn docker25_save_with_null_index() {
    let v = layers(&fixture("go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar"));
    let img = &v["images"][0];
    assert_eq!(v["images"].as_array().unwrap().len(), 1);
    assert_eq!(img["layout"], "docker-save-oci");
    assert_eq!(img["repo_tags"], serde_json::json!([]));
    assert_eq!(img["id"], "sha256:ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44");
    assert_eq!(img["architecture"], "arm64");
    assert_eq!(img["integrity"], "verified");
    let l = &img["layers"][0];
    assert_eq!(l["media_type"], "application/vnd.oci.image.layer.v1.tar");
    assert_eq!(l["digest"], "sha256:12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43");
    assert_eq!(l["diff_id"], l["digest"]);
    assert_eq!(l["created_by"], "COPY hello / # buildkit");
    assert_eq!(img["history"][1]["empty_layer"], true);
    let hello = tree_entry(&v, 0, "/hello");
    assert_eq!((hello["mode"].as_str(), hello["size"].as_u64()), (Some("0755"), Some(9136)));
    // `"manifests": null` is noted, not fatal: manifest.json lists the image.
    assert!(v["diagnostics"].as_array().unwrap().iter().all(|d| d["level"] != "error"));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn dive_oci_compressions_share_a_diff_id_estargz_differs() {
    let want = "sha256:356d5e7f4012d87cb1078ac1f480e90528eec4940ce45c50380321436db38758";
    for (alg, comp, diff_id) in [
        ("uncompressed", "none", want),
        ("gzip", "gzip", want),
        ("zstd", "zstd", want),
        ("estargz", "gzip", "sha256:2b3dbfdf131b60e153f6c11e1781c35dcaab001dde8f65c5efaad5813817800e"),
    ] {
        let v = layers(&fixture(&format!("dive/.data/test-oci-{alg}-image.tar")));
        let img = &v["images"][0];
        assert_eq!(img["layout"], "oci-archive", "{alg}");
        assert_eq!(img["integrity"], "verified", "{alg}");
        assert_eq!(img["manifest_check"], "verified", "{alg}");
        let l = &img["layers"][0];
        assert_eq!(l["compression"], comp, "{alg}");
        assert_eq!(l["diff_id"], diff_id, "{alg}");
        assert_eq!(l["diff_id_check"], "verified", "{alg}");
        assert_eq!(l["digest_check"], "verified", "{alg}");
        assert_eq!(tree(&v, 0), pairs(&[("/README.md", "file")]), "{alg}");
        assert_eq!(tree_entry(&v, 0, "/README.md")["size"], 11189);
        let after = l["after_end"].as_str();
        if alg == "estargz" {
            assert!(after.unwrap().contains("stargz.index.json"), "{after:?}");
        } else {
            assert_eq!(after, None, "{alg}");
        }
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn dive_kaniko_per_layer_files_and_final_tree() {
    let v = layers(&fixture("dive/.data/test-kaniko-image.tar"));
    let img = &v["images"][0];
    assert_eq!(img["repo_tags"][0], "dive-test:kaniko-latest");
    assert_eq!(img["layers"].as_array().unwrap().len(), 14);
    assert_eq!(img["integrity"], "verified");
    // kaniko history has the zero time: no time, not year 1.
    assert_eq!(img["layers"][1]["created"], Value::Null);
    let changes = v["file_changes"].as_array().unwrap();
    let files = |layer: u64| -> Vec<String> {
        changes
            .iter()
            .filter(|c| c["layer"] == layer && c["type"] != "dir")
            .map(|c| {
                format!(
                    "{} {} {} {}",
                    c["change"].as_str().unwrap(),
                    c["path"].as_str().unwrap(),
                    c["mode"].as_str().unwrap(),
                    c["size"]
                )
            })
            .collect()
    };
    assert_eq!(files(1), ["added /somefile.txt 0644 9249"]);
    assert_eq!(files(3), ["added /root/example/somefile1.txt 0644 9249"]);
    assert_eq!(files(4), ["modified /root/example/somefile1.txt 0444 9249"]);
    assert_eq!(files(5), ["added /root/example/somefile2.txt 0644 9249"]);
    assert_eq!(files(6), ["added /root/example/somefile3.txt 0644 9249"]);
    assert_eq!(
        files(7),
        ["deleted /root/example/somefile3.txt 0644 9249", "added /root/saved.txt 0644 9249"]
    );
    assert_eq!(files(8), ["added /root/.saved.txt 0644 9249"]);
    assert_eq!(
        files(10),
        ["added /root/.data/tag.sh 0755 917", "added /root/.data/test-coverage.sh 0755 1270"]
    );
    assert_eq!(files(11), ["added /tmp/saved.again1.txt 0644 9249"]);
    assert_eq!(files(12), ["added /root/.data/saved.again2.txt 0644 9249"]);
    assert_eq!(files(13), ["modified /root/saved.txt 0755 9249"]);
    let l9: Vec<String> = changes
        .iter()
        .filter(|c| c["layer"] == 9)
        .map(|c| format!("{} {}", c["change"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect();
    assert_eq!(l9, ["deleted /root/example"]);
    let what = changes.iter().find(|c| c["layer"] == 4).unwrap()["what"].clone();
    assert_eq!(what, serde_json::json!(["mode"]));
    // Final tree.
    let t = tree(&v, 0);
    let paths: BTreeSet<&str> = t.iter().map(|(p, _)| p.as_str()).collect();
    assert!(!paths.iter().any(|p| p.starts_with("/root/example")));
    for p in [
        "/somefile.txt",
        "/root/saved.txt",
        "/root/.saved.txt",
        "/tmp/saved.again1.txt",
        "/root/.data/tag.sh",
        "/root/.data/test-coverage.sh",
        "/root/.data/saved.again2.txt",
    ] {
        assert!(paths.contains(p), "{p}");
    }
    assert_eq!(tree_entry(&v, 0, "/root/saved.txt")["mode"], "0755");
    // busybox hard links resolve to the content of their target.
    let links: Vec<&Value> = changes.iter().filter(|c| c["hardlink_to"] == "/bin/[").collect();
    assert!(links.len() >= 300, "{}", links.len());
    let target = tree_entry(&v, 0, "/bin/[")["sha256"].clone();
    assert!(target.is_string());
    assert!(links.iter().all(|l| l["sha256"] == target && l["size"] == tree_entry(&v, 0, "/bin/[")["size"]));
}

/// An expected-tree key: path, type, size, and content hash except for the nested tar
/// (`nested-dir.tar` in the expected tree was written separately: same members, other bytes;
/// what matters is that it stays a file and is not expanded).
type Key = (String, String, u64, Option<String>);

fn key(path: &str, ftype: &str, size: u64, sha: Option<String>) -> Key {
    let sha = if path.ends_with(".tar") { None } else { sha };
    (path.to_string(), ftype.to_string(), size, sha)
}

/// Walk an expected tree directory.
fn walk(root: &Path) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = format!("/{}", p.strip_prefix(root).unwrap().to_str().unwrap());
            if p.is_dir() {
                out.insert(key(&rel, "dir", 0, None));
                stack.push(p);
            } else {
                let data = std::fs::read(&p).unwrap();
                out.insert(key(&rel, "file", data.len() as u64, Some(sha(&data))));
            }
        }
    }
    out
}

/// A layer tar of a directory (the origin test's starter tree).
fn tar_dir(root: &Path) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    b.append_dir_all(".", root).unwrap();
    b.into_inner().unwrap()
}

/// A legacy docker save with these layers, in order.
fn docker_save(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| format!("\"sha256:{}\"", sha(l))).collect();
    let config = format!(
        "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[{}]}},\"history\":[]}}",
        diff_ids.join(",")
    );
    let config_name = format!("{}.json", sha(config.as_bytes()));
    let names: Vec<String> = (0..layers.len()).map(|i| format!("\"l{i}/layer.tar\"")).collect();
    let manifest =
        format!("[{{\"Config\":\"{config_name}\",\"RepoTags\":[\"t:1\"],\"Layers\":[{}]}}]", names.join(","));
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    for (i, l) in layers.iter().enumerate() {
        add(&format!("l{i}/layer.tar"), l);
    }
    add(&config_name, config.as_bytes());
    add("manifest.json", manifest.as_bytes());
    b.into_inner().unwrap()
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn container_diff_layers_give_the_expected_trees_exactly() {
    let base = shared("fixtures/container-diff/util/testTars");
    let starter = tar_dir(&base.join("la-croix-starter"));
    let dir = tempfile::tempdir().unwrap();
    for (layer, on_starter, expected) in [
        ("la-croix1.tar", false, "la-croix1-actual"),
        ("la-croix2.tar", false, "la-croix2-actual"),
        ("la-croix3.tar", false, "la-croix3-actual"),
        ("la-croix-wh.tar", true, "la-croix-wh-actual"),
        ("la-croix-update.tar", true, "la-croix-update-actual"),
        ("la-croix-dir-update.tar", true, "la-croix-dir-update-actual"),
    ] {
        let mut layers = vec![];
        if on_starter {
            layers.push(starter.clone());
        }
        layers.push(std::fs::read(base.join(layer)).unwrap());
        let img = dir.path().join(format!("{layer}.image.tar"));
        std::fs::File::create(&img).unwrap().write_all(&docker_save(&layers)).unwrap();
        let v = layers_json(img.to_str().unwrap());
        let t = v["trees"][0]["entries"].as_array().unwrap();
        let got: BTreeSet<Key> = t
            .iter()
            .map(|e| {
                key(
                    e["path"].as_str().unwrap(),
                    e["type"].as_str().unwrap(),
                    e["size"].as_u64().unwrap(),
                    e["sha256"].as_str().map(String::from),
                )
            })
            .collect();
        assert_eq!(
            got,
            walk(&base.join(expected)),
            "{layer} onto {}",
            if on_starter { "starter" } else { "empty" }
        );
        assert_eq!(v["images"][0]["integrity"], "verified", "{layer}");
    }
}

fn layers_json(path: &str) -> Value {
    let out = run(&["layers", path, "--tree", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn same_image_gives_byte_identical_json() {
    for rel in
        ["dive/.data/test-kaniko-image.tar", "go-containerregistry/pkg/v1/tarball/testdata/test_link.tar"]
    {
        let p = fixture(rel);
        let a = run(&["scan", &p, "--format", "json"]).stdout;
        let b = run(&["scan", &p, "--format", "json", "-j", "1"]).stdout;
        assert!(!a.is_empty());
        assert!(a == b, "{rel}: scan output differs between runs");
        let v: Value = serde_json::from_slice(&a).unwrap();
        assert!(!v["bundles"][0]["file_changes"].as_array().unwrap().is_empty());
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn oci_layout_nested_indexes_and_odd_media_types() {
    // The layout directory packed as an OCI archive (as `tar -C dir -cf x.tar .` would).
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("test_index.tar");
    std::fs::write(&p, tar_dir(&shared("fixtures/go-containerregistry/pkg/v1/layout/testdata/test_index")))
        .unwrap();
    let (v, code) = run_json(&["layers", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let imgs = v["images"].as_array().unwrap();
    let got: Vec<(Vec<&str>, &str)> = imgs
        .iter()
        .map(|i| {
            (
                i["repo_tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect(),
                i["integrity"].as_str().unwrap(),
            )
        })
        .collect();
    // ref 1 (manifest), 3 (nested OCI index) and 4 (Docker manifest list) lead to the same
    // manifest: one image; ref 2 is a manifest under the odd `descriptor` media type.
    assert_eq!(got, [(vec!["1", "3", "4"], "verified"), (vec!["2"], "verified")]);
    assert_eq!(imgs[0]["manifest_check"], "verified");
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn oci_layout_directory_fixture_is_read_in_place() {
    // The same test_index, given as the directory it is (skopeo/crane `oci:` output).
    let dir = fixture("go-containerregistry/pkg/v1/layout/testdata/test_index");
    let (v, code) = run_json(&["layers", &dir, "--tree"]);
    assert_eq!(code, 0, "{v}");
    let imgs = v["images"].as_array().unwrap();
    let tags: Vec<Vec<&str>> = imgs
        .iter()
        .map(|i| i["repo_tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect())
        .collect();
    assert_eq!(tags, [vec!["1", "3", "4"], vec!["2"]]);
    for i in imgs {
        assert_eq!(i["layout"], "oci-layout-dir");
        assert_eq!(i["integrity"], "verified");
        assert_eq!(i["manifest_check"], "verified");
        assert_eq!(i["layers"][0]["diff_id_check"], "verified");
    }
    assert_eq!(
        imgs[0]["layers"][0]["diff_id"],
        "sha256:8897395fd26dc44ad0e2a834335b33198cb41ac4d98dfddf58eced3853fa7b17"
    );
    assert_eq!(
        imgs[1]["layers"][0]["diff_id"],
        "sha256:3610aa5267a210147ba6ca02cdd87610dfc08522de9c5f5015edd8ee14853fd8"
    );
    assert_eq!(tree(&v, 0), pairs(&[("/bar", "file"), ("/foo", "file")]));
    assert_eq!(tree(&v, 1), pairs(&[("/bat", "file"), ("/baz", "file")]));
    // As part of a bundle (the layout in a sub-directory): one read, locators on the blobs,
    // no blob taken for a stray layer tar or a docker export.
    let parent = fixture("go-containerregistry/pkg/v1/layout/testdata");
    let (v, code) = run_json(&["scan", &parent]);
    assert_eq!(code & 2, 0, "{}", v["bundles"][0]["diagnostics"]);
    let b = &v["bundles"][0];
    let imgs = b["images"].as_array().unwrap();
    assert_eq!(imgs.len(), 2, "{imgs:?}");
    assert!(imgs.iter().all(|i| i["archive"] == "test_index" && i["role"] == "image"));
    assert!(b["container_changes"].is_null());
    let blob = "test_index/blobs/sha256/dc52c6e48a1d51a96047b059f16889bc889c4b4c28f3b36b3f93187f62fc0b2b";
    let bar = b["file_changes"].as_array().unwrap().iter().find(|c| c["path"] == "/bar").unwrap();
    assert_eq!(bar["locator"]["artifact"], blob);
}
