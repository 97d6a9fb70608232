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
