//! Reading a captured bundle's files (a directory or a `.tar.zst` bundle archive) for the
//! checks ctriage's report cannot make: the manifest's hashes, the whiteout's time in the
//! commit layer, the whiteout device in the daemon's data root.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::real_facts::{whiteout_mtime, Facts};

/// A bundle's files by relative path.
pub struct Files(pub BTreeMap<String, Vec<u8>>);

impl Files {
    /// Every regular file under a directory.
    pub fn from_dir(dir: &Path) -> Files {
        let mut m = BTreeMap::new();
        for e in walkdir::WalkDir::new(dir) {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                m.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
        Files(m)
    }

    /// Every regular file of a `.tar.zst` bundle archive.
    pub fn from_tar_zst(data: &[u8]) -> Files {
        let mut m = BTreeMap::new();
        let mut ar = tar::Archive::new(zstd::stream::read::Decoder::new(data).unwrap());
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            if e.header().entry_type().is_file() {
                let rel = e.path().unwrap().to_string_lossy().trim_start_matches("./").to_string();
                let mut v = Vec::new();
                e.read_to_end(&mut v).unwrap();
                m.insert(rel, v);
            }
        }
        Files(m)
    }

    pub fn get(&self, rel: &str) -> &[u8] {
        self.0.get(rel).unwrap_or_else(|| panic!("bundle has no {rel}"))
    }
}

fn hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// MANIFEST.sha256 lists every file but itself with its true hash, and collect.log says
/// the capture completed.
pub fn check_manifest(files: &Files) {
    let manifest = String::from_utf8(files.get("MANIFEST.sha256").to_vec()).unwrap();
    let mut listed = BTreeMap::new();
    for line in manifest.lines() {
        let (sha, rel) = line.split_once("  ").unwrap_or_else(|| panic!("manifest line {line:?}"));
        assert!(listed.insert(rel.to_string(), sha.to_string()).is_none(), "{rel} listed twice");
    }
    for (rel, data) in &files.0 {
        if rel == "MANIFEST.sha256" {
            continue;
        }
        let sha = listed.remove(rel).unwrap_or_else(|| panic!("{rel} not in the manifest"));
        assert_eq!(sha, hex(data), "{rel}: manifest hash");
    }
    assert!(listed.is_empty(), "manifest lists missing files: {listed:?}");
    let log = String::from_utf8_lossy(files.get("collect.log"));
    assert!(log.lines().any(|l| l.ends_with(" complete")), "capture incomplete:\n{log}");
    for want in [
        "inspect.json",
        "top.txt",
        "stats.json",
        "diff.txt",
        "logs-t.txt",
        "image.tar",
        "base-image.tar",
        "export.tar",
    ] {
        assert!(files.0.contains_key(want), "bundle has no {want}");
    }
    assert!(files.0.keys().any(|k| k.starts_with("logs/")), "no copy of the runtime's log file");
}

/// The commit layer of `image.tar` holds each deleted file's whiteout with the mtime the
/// upper directory's whiteout device had: the evidence keeps the time of the deletion.
pub fn check_whiteout_in_commit(files: &Files, f: &Facts) {
    for d in &f.deleted {
        let mut found = Vec::new();
        let mut ar = tar::Archive::new(files.get("image.tar"));
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            // legacy layout `<id>/layer.tar`, podman's `<hex>.tar`, OCI `blobs/sha256/<hex>`
            let blob = name.ends_with(".tar") || name.starts_with("blobs/sha256/");
            if blob && e.header().entry_type().is_file() {
                if let Some(m) = whiteout_mtime(e, &d.path) {
                    found.push(m);
                }
            }
        }
        assert_eq!(found, vec![d.mtime], "whiteout of {} in image.tar", d.path);
    }
}

/// The daemon's data root (a tar of /var/lib/docker-style storage) holds overlayfs's
/// whiteout for each deleted file: a 0:0 character device with the deletion's mtime.
pub fn check_dataroot(tar_bytes: &[u8], f: &Facts) {
    let mut devices = Vec::new();
    let mut ar = tar::Archive::new(tar_bytes);
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        if h.entry_type() == tar::EntryType::Char && h.device_major().ok().flatten() == Some(0) {
            let p = e.path().unwrap().to_string_lossy().into_owned();
            devices.push((p, h.mtime().unwrap() as i64));
        }
    }
    for d in &f.deleted {
        let suffix = format!("/diff{}", d.path);
        assert!(
            devices.iter().any(|(p, m)| p.ends_with(&suffix) && *m == d.mtime),
            "no whiteout device for {} with mtime {} in the data root: {devices:?}",
            d.path,
            d.mtime
        );
    }
}
