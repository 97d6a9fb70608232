//! The capture harness against real runtimes (`samples/capture/`): start a private daemon,
//! play the scripted incident, capture it with `ctriage collect-script`, and check `ctriage
//! scan` of the bundle against the facts the run recorded from the host's own view.
//!
//! Needs root and Debian's packages (docker.io, podman, busybox-static): `#[ignore]`d so a fresh
//! clone's `cargo test` passes; `.ci/run` installs the packages and runs it with
//! `--include-ignored`, and it fails loudly when a daemon cannot start. Set
//! `CTRIAGE_CAPTURE_KEEP=DIR` to keep the run's output (bundle, facts, data root) in DIR.

#[path = "util/mod.rs"]
mod util;

#[path = "real/facts.rs"]
mod real_facts;

#[path = "real/bundle.rs"]
mod real_bundle;

use std::path::{Path, PathBuf};

use real_bundle as bundle;
use real_facts as facts;
use std::process::Command;

/// One docker.sh run at a time: a run removes /run/docker and /run/containerd when it was
/// the one that created them, which a second dockerd would still be using.
static ONE_DOCKERD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Run one harness script into a new directory; panics with its output when it fails.
fn run_harness(script: &str, args: &[&str], name: &str) -> (PathBuf, Option<tempfile::TempDir>) {
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
