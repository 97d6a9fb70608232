//! The samples captured from real runtimes with the harness (`samples/real/`): each bundle
//! archive's manifest holds, the commit layer keeps the deletion's whiteout time, the Docker
//! data root holds the overlay2 whiteout device, and `ctriage scan` of each bundle reports
//! what the run's facts (recorded from the host's /proc and upper dir) say happened.

use std::path::PathBuf;

use crate::real_bundle::{check_dataroot, check_manifest, check_whiteout_in_commit, Files};
use crate::real_facts::{check_all, parse, Facts};
use crate::util::{root, run_json};

fn sample(name: &str) -> PathBuf {
    root().join("samples/real").join(name)
}

fn facts(name: &str) -> Facts {
    parse(&std::fs::read_to_string(sample(name).join("facts.tsv")).unwrap())
}

fn check_sample(name: &str, runtime: &str) {
    let f = facts(name);
    assert_eq!(f.runtime, runtime);
    let archive = sample(name).join("bundle.tar.zst");
    let files = Files::from_tar_zst(&std::fs::read(&archive).unwrap());
    check_manifest(&files);
    check_whiteout_in_commit(&files, &f);
    let (report, code) = run_json(&["scan", archive.to_str().unwrap()]);
    assert_eq!(code, 1, "findings at or above high, all evidence read");
    check_all(&report, &f);
    // Custody: the report's hash of every artifact is the one the capture recorded.
    let manifest = String::from_utf8(files.get("MANIFEST.sha256").to_vec()).unwrap();
    let artifacts = report["bundles"][0]["artifacts"].as_array().unwrap();
    for line in manifest.lines() {
        let (sha, rel) = line.split_once("  ").unwrap();
        let a = artifacts
            .iter()
            .find(|a| a["path"].as_str().map(|p| p.trim_start_matches("./")) == Some(rel))
            .unwrap_or_else(|| panic!("{rel} not among the report's artifacts"));
        assert_eq!(a["sha256"].as_str(), Some(sha), "{rel}");
    }
}

#[test]
fn docker_sample_reports_what_the_run_recorded() {
    check_sample("docker", "docker");
}

#[test]
fn podman_sample_reports_what_the_run_recorded() {
    check_sample("podman", "podman");
}

#[test]
fn docker_data_root_keeps_the_whiteout_device() {
    let f = facts("docker");
    let data = std::fs::read(sample("docker").join("dataroot.tar.zst")).unwrap();
    let mut tar = Vec::new();
    std::io::copy(&mut zstd::stream::read::Decoder::new(&data[..]).unwrap(), &mut tar).unwrap();
    check_dataroot(&tar, &f);
}

/// Docker's data root after the run, read from its tar as seized: every container, image and
/// change the runtime reported is found offline.
#[test]
fn docker_data_root_is_read_offline_from_its_tar() {
    let f = facts("docker");
    let tar = sample("docker").join("dataroot.tar.zst");
    let (report, _) = run_json(&["scan", tar.to_str().unwrap()]);
    crate::real_dataroot::check_data_root(&report, &f, "docker", "overlay2");
    crate::real_dataroot::check_story(&report, &f);
    // Each image layer replayed from its tar-split over its members in the tar.zst.
    for img in report["bundles"][0]["images"].as_array().unwrap() {
        assert_eq!(img["integrity"], "verified", "{}", img["repo_tags"]);
    }
}

/// `diff ROOT --container NAME` is the runtime's own `docker diff` of that container, and
/// `layers ROOT --container ID-PREFIX` shows its image with the init and read-write layers.
#[test]
fn docker_data_root_diff_and_layers_of_one_container() {
    let f = facts("docker");
    let tar = sample("docker").join("dataroot.tar.zst");
    let t = tar.to_str().unwrap();
    let (v, code) = run_json(&["diff", t, "--container", &f.container_name]);
    assert_eq!(code, 1, "the container's changes hold high findings");
    let c = &v["container_changes"];
    assert_eq!(c["source"], "upper-dir");
    assert_eq!(c["container"], f.container_id.as_str());
    let lines: Vec<(&str, &str)> = c["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["change"].as_str().unwrap(), l["path"].as_str().unwrap()))
        .collect();
    for a in &f.added {
        assert!(lines.contains(&("added", a.path.as_str())), "{lines:?}");
    }
    for d in &f.deleted {
        assert!(lines.contains(&("deleted", d.path.as_str())), "{lines:?}");
    }
    let (v, _) = run_json(&["layers", t, "--container", &f.container_id[..6], "--files"]);
    let img = &v["images"][0];
    assert_eq!(img["id"], f.image_id.as_str());
    let layers = img["layers"].as_array().unwrap();
    let last = layers.last().unwrap();
    assert!(last["created_by"].as_str().unwrap().contains("read-write layer"), "{last}");
    assert_eq!(img["committed_layers"], serde_json::json!([layers.len() - 1]));
    assert!(last["blob"].as_str().unwrap().contains("/overlay2/"));
    let top = layers.len() - 1;
    let changed: Vec<&str> = v["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["layer"] == top)
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    for a in &f.added {
        assert!(changed.contains(&a.path.as_str()), "{changed:?}");
    }
    // An unknown container is a usage error naming the ones there are.
    let out = crate::util::run(&["diff", t, "--container", "no-such-container"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&f.container_name));
}

#[test]
fn podman_runtime_files_and_stats_are_read_as_podmans() {
    let archive = sample("podman").join("bundle.tar.zst");
    let (v, _) = run_json(&["scan", archive.to_str().unwrap()]);
    let b = &v["bundles"][0];
    // `podman stats --format json`: an indented array with snake_case keys.
    let s = &b["stats"][0];
    assert_eq!(
        (s["name"].as_str(), s["cpu_percent"].as_f64(), s["pids"].as_u64()),
        (Some("shop-web"), Some(0.54), Some(5))
    );
    // /run/.containerenv, /etc's bind-mounted files: the runtime's, never a disagreement or
    // timestomping.
    let rules: Vec<&str> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
        .collect();
    assert!(
        !rules.contains(&"container.diff.disagreement") && !rules.contains(&"file.timestomp"),
        "{rules:?}"
    );
    for d in b["container_changes"]["disagreements"].as_array().unwrap() {
        assert!(d["note"].is_string(), "unexplained: {d}");
    }
}
