//! `extract` on images written by other tools (../shared/fixtures): go-containerregistry's
//! kaniko-style save whose top-level `.wh.a` deletes a directory that a later layer makes
//! again, dive's buildx OCI archive with a zstd layer and no manifest.json, claircore's layer
//! tar with a non-UTF-8 name, a container of docker-explorer's overlay data root (tgz), a
//! Docker 29 containerd-store save as a folder (zarf).

use std::process::{Command, Stdio};

use crate::util::{bin, run, sha256_file, shared};

/// The manifest of an extraction into `to`.
fn manifest(to: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(to.join("MANIFEST.json")).unwrap()).unwrap()
}

/// `ctriage extract` and these arguments.
fn ex(args: &[&str]) -> std::process::Output {
    let mut all = vec!["extract"];
    all.extend(args);
    run(&all)
}

#[test]
#[ignore = "reads ../shared"]
fn a_recreated_directory_does_not_bring_back_what_its_whiteout_deleted() {
    let save = shared("fixtures/go-containerregistry/pkg/v1/mutate/testdata/whiteout_dir.tar");
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.json");
    let mut child = Command::new(bin())
        .args(["extract", save.to_str().unwrap(), "--container", "localhost:5000/whiteout:latest", "--all"])
        .args(["--to", "-", "--manifest", m.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Command::new("tar").arg("-t").stdin(child.stdout.take().unwrap()).output().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut listed: Vec<String> =
        String::from_utf8_lossy(&t.stdout).lines().map(|l| l.trim_end_matches('/').to_string()).collect();
    listed.sort();
    // TestExtractWhiteoutDir: no `foo` after flattening; the tree is a/baz, b/bar.
    assert_eq!(listed, ["a", "a/baz", "b", "b/bar"]);
    // As of layer 1 (before the whiteout) a/foo is there.
    let to = dir.path().join("l1");
    let o = ex(&[
        save.to_str().unwrap(),
        "--container",
        "sha256:92f1e3d5",
        "--all",
        "--layer",
        "1",
        "--to",
        to.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(to.join("rootfs/a/foo").is_file() && to.join("rootfs/b/bar").is_file());
}

#[test]
#[ignore = "reads ../shared"]
fn a_zstd_oci_archive_without_manifest_json() {
    let oci = shared("fixtures/dive/.data/test-oci-zstd-image.tar");
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("o");
    let o = ex(&[oci.to_str().unwrap(), "--container", "3eaccc100f86", "--path", "/README.md"]);
    assert_eq!(o.status.code(), Some(64), "--to is required");
    let o = ex(&[
        oci.to_str().unwrap(),
        "--container",
        "3eaccc100f86",
        "--path",
        "/README.md",
        "--to",
        to.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let f = to.join("rootfs/README.md");
    // The fixture's README: one file README.md, 11189 bytes, mode 0644.
    assert_eq!(std::fs::metadata(&f).unwrap().len(), 11189);
    let m = manifest(&to);
    let e = &m["entries"][0];
    assert_eq!((e["path"].as_str(), e["mode"].as_str()), (Some("/README.md"), Some("0644")));
    assert_eq!(e["sha256"], sha256_file(&f));
}

#[test]
#[ignore = "reads ../shared"]
fn a_non_utf8_member_name_is_written_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    // claircore's bad_name.tar: one member `./___…___bad\xfdname`, 9 bytes (a layer tar, no image).
    let tar = shared("fixtures/claircore/pkg/tarfs/testdata/bad_name.tar");
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("o");
    let t = tar.to_str().unwrap();
    let o = ex(&[t, "--container", t, "--all", "--to", to.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<Vec<u8>> = std::fs::read_dir(to.join("rootfs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect();
    assert_eq!(names.len(), 1);
    assert!(names[0].ends_with(b"bad\xfdname"), "{names:?}");
    let m = manifest(&to);
    assert!(m["entries"][0]["path_hex"].as_str().unwrap().ends_with("626164fd6e616d65"));
    assert_eq!(m["entries"][0]["size"], 9);
}

#[test]
#[ignore = "reads ../shared"]
fn a_container_of_docker_explorers_overlay_root_from_the_tgz() {
    // docker-explorer's overlay capture: elastic_booth's changes are /root/.ash_history and
    // /test (`test\n`) over busybox, whose applets are hard links to one binary.
    let tgz = shared("fixtures/docker-explorer/test_data/overlay.v2.tgz");
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("o");
    let o =
        ex(&[tgz.to_str().unwrap(), "--container", "elastic_booth", "--all", "--to", to.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(std::fs::read(to.join("rootfs/test")).unwrap(), b"test\n");
    assert!(to.join("rootfs/root/.ash_history").is_file() && to.join("rootfs/bin/busybox").is_file());
    let m = manifest(&to);
    let entries = m["entries"].as_array().unwrap();
    let test = entries.iter().find(|e| e["path"] == "/test").unwrap();
    assert_eq!(test["layer"], 2, "the read-write layer, after the image and the init layer");
    assert_eq!(test["sha256"], sha256_file(&to.join("rootfs/test")));
    assert!(entries.iter().filter(|e| e["action"] == "linked").count() > 300, "busybox's applets");
}

#[test]
#[ignore = "reads ../shared"]
fn a_docker_29_containerd_store_save_extracted_from_its_folder() {
    // zarf's Docker 29 save (containerd image store): a nested index, one gzip layer with
    // `/hello` (Cmd /hello); its blobs are the image's, not exports of their own.
    let d = shared("fixtures/zarf/src/pkg/images/testdata/docker-containerd-image-store");
    let dir = tempfile::tempdir().unwrap();
    let o = ex(&[d.to_str().unwrap(), "--container", "nope", "--all", "--to", "x"]);
    assert_eq!(o.status.code(), Some(64));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("image hello-world:linux") && !err.contains("export"), "{err}");
    let to = dir.path().join("o");
    let o = ex(&[
        d.to_str().unwrap(),
        "--container",
        "hello-world:linux",
        "--path",
        "/hello",
        "--to",
        to.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let f = to.join("rootfs/hello");
    let m = manifest(&to);
    let e = &m["entries"][0];
    assert_eq!(e["sha256"], sha256_file(&f));
    assert_eq!(
        e["source"]["members"][0],
        "blobs/sha256/17eec7bbc9d79fa397ac95c7283ecd04d1fe6978516932a3db110c6206430809"
    );
}
