//! The capture harness against real runtimes (`samples/capture/`): start a private daemon,
//! play the scripted incident, capture it with `ctriage collect-script`, and check `ctriage
//! scan` of the bundle against the facts the run recorded from the host's own view.
//!
//! Needs root and Debian's packages (docker.io, podman, busybox-static): `#[ignore]`d so a fresh
//! clone's `cargo test` passes; `.ci/run` installs the packages and runs it with
//! `--include-ignored`, and it fails loudly when a daemon cannot start. Set
//! `CTRIAGE_CAPTURE_KEEP=DIR` to keep the run's output (bundle, facts, data root) in DIR, and
//! `CTRIAGE_CAPTURE_REUSE=DIR` to check a kept run again without running the harness (no
//! root or daemon needed: the checks of ctriage's reading, on the same evidence).

#[path = "util/mod.rs"]
mod util;

#[path = "real/facts.rs"]
mod real_facts;

#[path = "real/bundle.rs"]
mod real_bundle;

#[path = "real/dataroot.rs"]
mod real_dataroot;

#[path = "real/multi.rs"]
mod real_multi;

use std::path::{Path, PathBuf};

use real_bundle as bundle;
use real_facts as facts;
use std::process::Command;

/// One docker.sh run at a time: a run removes /run/docker and /run/containerd when it was
/// the one that created them, which a second dockerd would still be using.
static ONE_DOCKERD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Run one harness script into a new directory; panics with its output when it fails.
fn run_harness(script: &str, args: &[&str], name: &str) -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(d) = std::env::var_os("CTRIAGE_CAPTURE_REUSE") {
        let out = PathBuf::from(d).join(name);
        assert!(out.is_dir(), "CTRIAGE_CAPTURE_REUSE: no kept run {}", out.display());
        eprintln!("{script}: reusing the run kept in {}", out.display());
        return (out, None);
    }
    let (base, tmp) = match std::env::var_os("CTRIAGE_CAPTURE_KEEP") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            (PathBuf::from(d), None)
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            (t.path().to_path_buf(), Some(t))
        }
    };
    let out = base.join(name);
    let started = std::time::Instant::now();
    let run = Command::new("sh")
        .arg(util::root().join("samples/capture").join(script))
        .args(args)
        .arg(&out)
        .env("CTRIAGE", util::bin())
        .output()
        .expect("run sh");
    eprintln!("{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        run.status.success(),
        "{script} failed ({}): {}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    eprintln!("{script}: {:.1} s", started.elapsed().as_secs_f64());
    (out, tmp)
}

fn scan(path: &Path) -> serde_json::Value {
    let (report, code) = util::run_json(&["scan", path.to_str().unwrap()]);
    assert_eq!(code, 1, "findings at or above high, all evidence read");
    report
}

#[test]
#[ignore = "needs root, dockerd and busybox-static (Debian packages; .ci/run installs them)"]
fn docker_capture_is_analysed_as_the_run_recorded_it() {
    let _one = ONE_DOCKERD.lock().unwrap_or_else(|e| e.into_inner());
    let (out, _tmp) = run_harness("docker.sh", &[], "docker");
    let f = facts::parse(&std::fs::read_to_string(out.join("facts.tsv")).unwrap());
    assert_eq!((f.runtime.as_str(), f.way_in.as_str()), ("docker", "injection"));
    let files = bundle::Files::from_dir(&out.join("bundle"));
    bundle::check_manifest(&files);
    bundle::check_whiteout_in_commit(&files, &f);
    bundle::check_dataroot(&std::fs::read(out.join("dataroot.tar")).unwrap(), &f);
    let report = scan(&out.join("bundle"));
    facts::check_all(&report, &f);
    // The data root the daemon left, read offline: every container, image and change.
    let (root, _) = util::run_json(&["scan", out.join("dataroot.tar").to_str().unwrap()]);
    real_dataroot::check_data_root(&root, &f, "docker", "overlay2");
}

#[test]
#[ignore = "needs root, podman, runc, conmon and busybox-static (Debian packages; .ci/run installs them)"]
fn podman_capture_is_analysed_as_the_run_recorded_it() {
    let (out, _tmp) = run_harness("podman.sh", &[], "podman");
    let f = facts::parse(&std::fs::read_to_string(out.join("facts.tsv")).unwrap());
    assert_eq!(f.runtime, "podman");
    let files = bundle::Files::from_dir(&out.join("bundle"));
    bundle::check_manifest(&files);
    bundle::check_whiteout_in_commit(&files, &f);
    bundle::check_dataroot(&std::fs::read(out.join("dataroot.tar")).unwrap(), &f);
    let report = scan(&out.join("bundle"));
    facts::check_all(&report, &f);
    // The graph root podman left, read offline: every container, image and change it made.
    let (root, _) = util::run_json(&["scan", out.join("dataroot.tar").to_str().unwrap()]);
    real_dataroot::check_data_root(&root, &f, "containers_storage", "overlay");
    // libpod's state says the killed container is not running.
    let cs = &root["bundles"][0]["data_root"]["containers_storage"][0]["containers"];
    let c = cs.as_array().unwrap().iter().find(|c| c["id"] == f.container_id.as_str()).unwrap();
    assert_eq!(c["running"], false);
    // Both containers are container records (OCI spec + libpod state) with their exposure:
    // the attacker joined the victim's network namespace, as libpod recorded it.
    let recs = root["bundles"][0]["containers"].as_array().unwrap();
    let web =
        recs.iter().find(|c| c["id"] == f.container_id.as_str()).expect("the victim as a container record");
    assert_eq!((web["source"].as_str(), web["state"]["status"].as_str()), (Some("libpod"), Some("exited")));
    assert!(web["config"]["env"].to_string().contains("DB_PASSWORD"));
    let attacker = recs.iter().find(|c| c["name"] == "attacker").unwrap();
    assert_eq!(attacker["host_config"]["network_mode"], format!("container:{}", f.container_id));
    assert!(attacker["mounts"].to_string().contains("/attack"));
    let rules: Vec<&str> = root["bundles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"exposure.env-secrets"), "{rules:?}");
}

#[test]
#[ignore = "needs root, dockerd, busybox-static and Debian's OpenJDK 17 JDK (jlink, javac)"]
fn docker_jvm_capture_is_analysed_as_the_run_recorded_it() {
    let _one = ONE_DOCKERD.lock().unwrap_or_else(|e| e.into_inner());
    let (out, _tmp) = run_harness("docker.sh", &["--jvm"], "docker-jvm");
    let f = facts::parse(&std::fs::read_to_string(out.join("facts.tsv")).unwrap());
    assert_eq!((f.runtime.as_str(), f.way_in.as_str()), ("docker", "jndi"));
    assert!(f.processes.iter().any(|p| p.pid == f.init_pid && p.args.starts_with("/opt/java/bin/java ")));
    let files = bundle::Files::from_dir(&out.join("bundle"));
    bundle::check_manifest(&files);
    bundle::check_whiteout_in_commit(&files, &f);
    bundle::check_dataroot(&std::fs::read(out.join("dataroot.tar")).unwrap(), &f);
    let report = scan(&out.join("bundle"));
    facts::check_all(&report, &f);
}

/// Two victims, a benign neighbour and the attacker's own container on one daemon
/// (`docker.sh --multi`): the collect-script bundle holding the three captures, and the data
/// root, each tell one story per container, as the host saw it: who was compromised and how
/// (the injection that worked, not the probe that failed; the JNDI lookup from a rotated
/// json-file log), whose files are whose, and nothing of one container put on another.
#[test]
#[ignore = "needs root, dockerd, busybox-static and Debian's OpenJDK 17 JDK (jlink, javac)"]
fn docker_multi_capture_tells_one_story_per_container() {
    let _one = ONE_DOCKERD.lock().unwrap_or_else(|e| e.into_inner());
    let (out, _tmp) = run_harness("docker.sh", &["--multi"], "docker-multi");
    let all = real_multi::load(&out);
    let captured: Vec<&facts::Facts> = all.values().filter(|f| f.role != "attacker").collect();
    let jvm = &all["orders-app"];
    for f in &captured {
        let files = bundle::Files::from_dir(&out.join("bundle").join(&f.container_name));
        bundle::check_manifest(&files);
        bundle::check_whiteout_in_commit(&files, f);
    }
    let tar = std::fs::read(out.join("dataroot.tar")).unwrap();
    bundle::check_dataroot(&tar, jvm);

    let report = scan(&out.join("bundle"));
    util::validate_against_schema(&report);
    let b = facts::bundle(&report);
    for f in &captured {
        facts::check_container(b, f);
        facts::check_processes(b, f);
    }
    let mut wrong = real_multi::check(&report, &all, &real_multi::Evidence::bundle(&out.join("bundle")));

    let (root, code) = util::run_json(&["scan", out.join("dataroot.tar").to_str().unwrap()]);
    util::validate_against_schema(&root);
    assert_eq!(code & 4, 0, "the data root was read");
    real_dataroot::check_data_root(&root, jvm, "docker", "overlay2");
    wrong.extend(real_multi::check(&root, &all, &real_multi::Evidence::data_root(&tar, &root)));
    assert!(wrong.is_empty(), "{} wrong:\n- {}", wrong.len(), wrong.join("\n- "));
}

/// The real data root extracted as root (`tar --xattrs`, device nodes and owners kept, as a
/// lab mounts a seized disk), then read by an unprivileged user (`setpriv` to nobody): the
/// same containers, images and changes as from the tar. The copy is made world-readable
/// (`chmod -R a+rX`): root-only modes on a copy are the copy's, not something ctriage needs
/// privileges for.
#[test]
#[ignore = "needs root (extracting device nodes, dropping to another uid) and util-linux setpriv"]
fn docker_data_root_is_read_unprivileged_from_a_directory() {
    let f =
        facts::parse(&std::fs::read_to_string(util::root().join("samples/real/docker/facts.tsv")).unwrap());
    let tar = util::root().join("samples/real/docker/dataroot.tar.zst");
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .args(["--zstd", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf"])
        .arg(&tar)
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("tar");
    assert!(st.success(), "extracting the data root needs root (device nodes)");
    let st = Command::new("chmod").arg("-R").arg("a+rX").arg(dir.path()).status().unwrap();
    assert!(st.success());
    let root = dir.path().join("var/lib/docker");
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(util::bin())
        .args(["scan", "--format", "json"])
        .arg(&root)
        .env("SOURCE_DATE_EPOCH", "1764547200")
        .output()
        .expect("setpriv (util-linux)");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    real_dataroot::check_data_root(&report, &f, "docker", "overlay2");
    // Each image layer replayed from its tar-split hashes to its diff_id.
    for img in report["bundles"][0]["images"].as_array().unwrap() {
        assert_eq!(img["integrity"], "verified", "{}", img["repo_tags"]);
    }
    // Read without root: the reader says it could not see trusted.* xattrs, and goes on.
    let diags = report["bundles"][0]["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["message"].as_str().unwrap().contains("trusted.overlay.opaque")),
        "no note about invisible opaque markers: {diags:?}"
    );
}

/// containerd's own root after `ctr run` (samples/capture/containerd.sh), read offline from
/// its tar: the container `ctr containers ls` listed, its image by config digest, and the
/// file it dropped and the one it deleted, from its active snapshot.
#[test]
#[ignore = "needs root, containerd, ctr and runc (Debian packages; .ci/run installs them)"]
fn containerd_root_is_read_offline() {
    let _one = ONE_DOCKERD.lock().unwrap_or_else(|e| e.into_inner());
    let (out, _tmp) = run_harness("containerd.sh", &[], "containerd");
    let facts = std::fs::read_to_string(out.join("facts.tsv")).unwrap();
    let field = |kind: &str, i: usize| -> String {
        let l = facts
            .lines()
            .find(|l| l.starts_with(&format!("{kind}\t")))
            .unwrap_or_else(|| panic!("no {kind} fact"));
        l.split('\t').nth(i).unwrap().to_string()
    };
    assert!(std::fs::read_to_string(out.join("ctr-containers.txt")).unwrap().contains("web"));
    let (v, _) = util::run_json(&["scan", out.join("dataroot.tar").to_str().unwrap()]);
    let b = &v["bundles"][0];
    let r = &b["data_root"]["containerd"][0];
    assert_eq!(r["drivers"], serde_json::json!(["overlayfs"]));
    let c = r["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "web")
        .expect("container web found offline");
    assert_eq!(c["name"], "default/web");
    assert_eq!(c["image_id"], field("image", 1).as_str());
    let img = r["images"].as_array().unwrap().iter().find(|i| i["id"] == field("image", 1).as_str()).unwrap();
    assert_eq!(img["repo_tags"], serde_json::json!(["docker.io/lab/shop-web:1.0"]));
    assert_eq!(img["config_check"], "verified");
    let ch = b["data_root_changes"].as_array().unwrap().iter().find(|c| c["container"] == "web").unwrap();
    let lines: Vec<(String, String)> = ch["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["change"].as_str().unwrap().to_string(), l["path"].as_str().unwrap().to_string()))
        .collect();
    assert!(lines.contains(&("added".into(), field("added", 1))), "{lines:?}");
    assert!(lines.contains(&("deleted".into(), field("deleted", 1))), "{lines:?}");
    let fc = b["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == field("added", 1).as_str())
        .unwrap();
    assert_eq!(fc["sha256"], field("added", 3).as_str());
    let del = b["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == field("deleted", 1).as_str() && f["change"] == "deleted")
        .unwrap();
    assert_eq!(
        facts::epoch(del["deleted_at"].as_str().unwrap()),
        field("deleted", 2).parse::<i64>().unwrap()
    );
    let rules: Vec<&str> =
        b["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"file.exec.hidden"), "{rules:?}");
    // The container is a container record from its spec: `ctr run` sets no seccomp filter.
    let rec =
        b["containers"].as_array().unwrap().iter().find(|c| c["id"] == "web").expect("a container record");
    assert_eq!(rec["source"], "containerd");
    assert_eq!(rec["host_config"]["runtime"], "io.containerd.runc.v2");
    assert!(rules.contains(&"exposure.seccomp-unconfined"), "{rules:?}");
}
