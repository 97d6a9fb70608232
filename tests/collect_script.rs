//! `ctriage collect-script`: the script parses (`sh -n`) and lints clean (`shellcheck`) for
//! every runtime and option, hostile container names stay one argument, and, run against a
//! fake runtime CLI that records its calls, it never asks for anything that changes the
//! container, hashes every file it writes, and pauses only with `--pause`.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::util::run;

const RUNTIMES: &[&str] = &["docker", "podman", "nerdctl", "crictl"];

/// Names an attacker could get into the responder's hands (labels, pod names, pasted ids).
const NAMES: &[&str] = &[
    "web",
    "it's",
    "$(touch /tmp/ctriage-pwned)",
    "`id`;rm -rf /",
    "--format={{.Id}}",
    "-rf",
    "a\nb",
    "\u{1b}[2J\u{1b}]0;owned\u{7}",
    "\u{202e}bidi",
    "%s%n\\0101",
];

fn script(args: &[&str]) -> String {
    let mut all = vec!["collect-script"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "collect-script {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the script is UTF-8")
}

fn every_script() -> Vec<(String, String)> {
    let mut all = Vec::new();
    for rt in RUNTIMES {
        for name in NAMES {
            for pause in [false, true] {
                let mut args = vec!["--runtime", rt];
                if pause {
                    args.push("--pause");
                }
                args.extend(["--", name]);
                all.push((format!("{rt} {name:?} pause={pause}"), script(&args)));
            }
        }
        all.push((
            format!("{rt} --out"),
            script(&["--runtime", rt, "--out", "/evidence/case 7/$(x)", "web"]),
        ));
    }
    all
}

#[test]
fn scripts_parse_with_sh_n() {
    for (what, text) in every_script() {
        let out = Command::new("sh").arg("-n").arg("-c").arg(&text).output().unwrap();
        assert!(out.status.success(), "{what}: sh -n: {}", String::from_utf8_lossy(&out.stderr));
        assert!(text.starts_with("#!/bin/sh\n"), "{what}");
        // Printable: a hostile name cannot drive the terminal the script is shown in.
        assert!(
            text.chars().all(|c| c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c))),
            "{what}: control characters in the script text"
        );
    }
}

#[test]
#[ignore = "needs shellcheck (Debian package; .ci/run installs it)"]
fn scripts_pass_shellcheck() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (what, text)) in every_script().into_iter().enumerate() {
        let p = dir.path().join(format!("s{i}.sh"));
        std::fs::write(&p, &text).unwrap();
        let out = Command::new("shellcheck")
            .args(["--shell=sh", "--severity=style"])
            .arg(&p)
            .output()
            .expect("shellcheck not found: install it (Debian package shellcheck)");
        assert!(out.status.success(), "{what}: shellcheck:\n{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    assert_eq!(run(&["collect-script", ""]).status.code(), Some(64));
    assert_eq!(run(&["collect-script", "--runtime", "lxc", "web"]).status.code(), Some(64));
    assert_eq!(run(&["collect-script"]).status.code(), Some(64));
}

const FAKE_ID: &str = "4f1b0c8e2d7a69b35c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e";

/// A stand-in for the runtime's CLI: appends its arguments (one per line, then `--end`) to
/// `$FAKE_LOG` and answers like the real one with fixed output; `save`/`export` write the
/// `-o` file. It knows the container only by the exact name in `$FAKE_NAME` or its id.
const FAKE_RUNTIME: &str = r#"#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >> "$FAKE_LOG"
echo '--end' >> "$FAKE_LOG"
last=''
for a in "$@"; do last=$a; done
case $1 in
  version) echo 'Server: fake 1.0' ;;
  info) echo 'Storage Driver: overlay2' ;;
  inspect)
    [ "$last" = "$FAKE_NAME" ] || [ "$last" = "$FAKE_ID" ] || { echo "no such container: $last" >&2; exit 1; }
    case $* in
      *'{{.Id}}'*) echo "$FAKE_ID" ;;
      *'{{.State.Pid}}'*) echo 0 ;;
      *'{{.Image}}'*) echo 'sha256:0123' ;;
      *'{{.Config.Image}}'*) echo 'lab/web:1' ;;
      *'{{.LogPath}}'*) echo "$FAKE_DIR/ctr-json.log" ;;
      *) printf '[{"Id": "%s"}]\n' "$FAKE_ID" ;;
    esac ;;
  image) case $* in *'{{.Id}}'*) echo 'sha256:0123' ;; *) echo '[{"Id": "sha256:0123"}]' ;; esac ;;
  top)
    case "$*" in *-eo*) [ -n "${FAKE_TOP_REFUSES_OPTIONS:-}" ] && { echo 'unknown option -eo' >&2; exit 1; } ;; esac
    case "$*" in
      *-eo*) printf 'PID PPID USER STARTED COMMAND\n10 1 root Mon Jan 1 00:00:00 2026 sh\n' ;;
      *) printf 'UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 00:00 ? 00:00:00 sh\n' ;;
    esac ;;
  stats) echo '{"CPUPerc":"1.00%"}' ;;
  ps) echo 'CONTAINER ID   IMAGE' ;;
  logs) echo 'out'; echo 'err' >&2 ;;
  diff) echo 'A /tmp/x' ;;
  commit) echo 'sha256:c0ffee' ;;
  pause) ;;
  save|export)
    o=''; prev=''
    for a in "$@"; do [ "$prev" = -o ] && o=$a; prev=$a; done
    printf '%s archive\n' "$1" > "$o" ;;
  *) echo "fake runtime: unexpected $1" >&2; exit 3 ;;
esac
"#;

/// Write the fake runtime into `dir`, executable.
fn fake_runtime(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let fake = dir.join("fake-docker");
    std::fs::write(&fake, FAKE_RUNTIME).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    fake
}

/// The calls the fake runtime received: each call's arguments.
fn calls(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap();
    let mut all = Vec::new();
    let mut cur = Vec::new();
    for line in text.lines() {
        if line == "--end" {
            all.push(std::mem::take(&mut cur));
        } else {
            cur.push(line.to_string());
        }
    }
    all
}

fn hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn run_against_fake(name: &str, pause: bool) -> (tempfile::TempDir, Vec<Vec<String>>, i32) {
    run_against_fake_env(name, pause, &[])
}

fn run_against_fake_env(
    name: &str,
    pause: bool,
    env: &[(&str, &str)],
) -> (tempfile::TempDir, Vec<Vec<String>>, i32) {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_runtime(dir.path());
    std::fs::write(
        dir.path().join("ctr-json.log"),
        "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}\n",
    )
    .unwrap();
    let mut args = vec!["--out", "bundle"];
    if pause {
        args.push("--pause");
    }
    args.extend(["--", name]);
    let mut all = vec!["collect-script"];
    all.extend(args);
    let text = String::from_utf8(run(&all).stdout).unwrap();
    std::fs::write(dir.path().join("collect.sh"), &text).unwrap();
    let out = Command::new("sh")
        .arg("collect.sh")
        .current_dir(dir.path())
        .env("CTRIAGE_RUNTIME", &fake)
        .env("FAKE_LOG", dir.path().join("calls.log"))
        .env("FAKE_NAME", name)
        .env("FAKE_ID", FAKE_ID)
        .env("FAKE_DIR", dir.path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let c: Vec<Vec<String>> = calls(&dir.path().join("calls.log"));
    let code = out.status.code().unwrap_or(-1);
    (dir, c, code)
}

#[test]
fn against_a_fake_runtime_nothing_changes_the_container_and_every_file_is_hashed() {
    for name in ["shop-web", "it's $(touch pwned) `id` ;x", "-rf", "%s\\n"] {
        for pause in [false, true] {
            let (dir, calls, code) = run_against_fake(name, pause);
            assert!(!dir.path().join("pwned").exists(), "{name:?}: the name was executed");
            // The fake runtime never saw a network view (pid 0): the container's veth and
            // ip-link are skipped, so the capture says it is incomplete (exit 1), and nothing
            // else failed. The host's `ip -d -o link` is taken whatever the container (when
            // the host has iproute2).
            assert_eq!(code, 1, "{name:?}: exit status");
            let log = std::fs::read_to_string(dir.path().join("bundle/collect.log")).unwrap();
            let has_ip = Command::new("sh").args(["-c", "command -v ip"]).output().unwrap().status.success();
            let want = if has_ip { "veth.txt" } else { "ip-link-host.txt veth.txt" };
            assert!(log.contains(&format!("incomplete, failed or skipped: {want}\n")), "{name:?}:\n{log}");
            if has_ip {
                let host = std::fs::read_to_string(dir.path().join("bundle/ip-link-host.txt")).unwrap();
                assert!(host.starts_with("1: lo: <"), "{name:?}: {host}");
            }
            let verbs: Vec<&str> = calls.iter().map(|c| c[0].as_str()).collect();
            for c in &calls {
                let verb = c[0].as_str();
                assert!(
                    matches!(
                        verb,
                        "version"
                            | "info"
                            | "inspect"
                            | "image"
                            | "top"
                            | "stats"
                            | "ps"
                            | "logs"
                            | "diff"
                            | "commit"
                            | "save"
                            | "export"
                            | "pause"
                    ),
                    "{name:?}: unexpected runtime call {c:?}"
                );
                if verb == "commit" {
                    assert!(c.contains(&"--pause=false".to_string()), "commit must not pause: {c:?}");
                }
            }
            // The name reaches the runtime once, as one whole argument, and only to resolve it.
            let by_name: Vec<&Vec<String>> = calls.iter().filter(|c| c.iter().any(|a| a == name)).collect();
            assert_eq!(by_name.len(), 1, "{name:?}: {calls:?}");
            assert_eq!(by_name[0].last().map(String::as_str), Some(name));
            assert!(by_name[0].contains(&"--".to_string()), "the name is after --: {:?}", by_name[0]);
            let pauses = verbs.iter().filter(|v| **v == "pause").count();
            assert_eq!(pauses, usize::from(pause), "{name:?}: pause calls with --pause={pause}");
            if pause {
                let at = |v: &str| verbs.iter().position(|x| *x == v).unwrap();
                assert!(at("top") < at("pause") && at("stats") < at("pause") && at("pause") < at("logs"));
                assert!(at("pause") < at("commit"));
            }
            for want in ["top", "stats", "ps", "logs", "diff", "commit", "save", "export"] {
                assert!(verbs.contains(&want), "{name:?}: no {want} call");
            }
            // Every file in the bundle but the manifest is in it, with its hash.
            let bundle = dir.path().join("bundle");
            let manifest = std::fs::read_to_string(bundle.join("MANIFEST.sha256")).unwrap();
            let mut listed = std::collections::BTreeMap::new();
            for line in manifest.lines() {
                let (sha, rel) = line.split_once("  ").unwrap();
                assert!(listed.insert(rel.to_string(), sha.to_string()).is_none(), "{rel} twice");
            }
            let mut on_disk = 0;
            for e in walkdir::WalkDir::new(&bundle) {
                let e = e.unwrap();
                if !e.file_type().is_file() || e.file_name() == "MANIFEST.sha256" {
                    continue;
                }
                on_disk += 1;
                let rel = e.path().strip_prefix(&bundle).unwrap().to_string_lossy().into_owned();
                let data = std::fs::read(e.path()).unwrap();
                assert_eq!(listed.get(&rel), Some(&hex(&data)), "{name:?}: {rel} in the manifest");
            }
            assert_eq!(on_disk, listed.len(), "{name:?}: manifest lists files that do not exist");
            assert_eq!(std::fs::read_to_string(bundle.join("logs-t.txt")).unwrap(), "out\nerr\n");
            assert!(bundle.join("logs/ctr-json.log").exists(), "the log file copy");
            assert_eq!(std::fs::read_to_string(bundle.join("export.tar")).unwrap(), "export archive\n");
        }
    }
}

#[test]
fn an_existing_bundle_directory_is_never_written_into() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bundle")).unwrap();
    std::fs::write(dir.path().join("bundle/keep"), "evidence").unwrap();
    let text = String::from_utf8(run(&["collect-script", "--out", "bundle", "web"]).stdout).unwrap();
    let out = Command::new("sh").arg("-c").arg(&text).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(dir.path().join("bundle")).unwrap().count(), 1);
}

#[test]
fn an_unknown_container_captures_nothing() {
    let (dir, calls, code) = run_against_fake_unknown();
    assert_eq!(code, 2);
    assert!(calls.iter().all(|c| matches!(c[0].as_str(), "version" | "info" | "inspect")), "{calls:?}");
    let log = std::fs::read_to_string(dir.path().join("bundle/collect.log")).unwrap();
    assert!(log.contains("ABORT: no such container"), "{log}");
}

fn run_against_fake_unknown() -> (tempfile::TempDir, Vec<Vec<String>>, i32) {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_runtime(dir.path());
    let text = String::from_utf8(run(&["collect-script", "--out", "bundle", "ghost"]).stdout).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(&text)
        .current_dir(dir.path())
        .env("CTRIAGE_RUNTIME", &fake)
        .env("FAKE_LOG", dir.path().join("calls.log"))
        .env("FAKE_NAME", "web")
        .env("FAKE_ID", FAKE_ID)
        .env("FAKE_DIR", dir.path())
        .output()
        .unwrap();
    let c = calls(&dir.path().join("calls.log"));
    (dir, c, out.status.code().unwrap_or(-1))
}

#[test]
fn top_falls_back_to_the_default_columns_and_is_hashed_once() {
    let (dir, calls, code) = run_against_fake_env("web", false, &[("FAKE_TOP_REFUSES_OPTIONS", "1")]);
    assert_eq!(code, 1, "only the network view is missing");
    let tops: Vec<&Vec<String>> = calls.iter().filter(|c| c[0] == "top").collect();
    assert_eq!(tops.len(), 2, "{tops:?}");
    assert!(tops[0].contains(&"-eo".to_string()) && !tops[1].contains(&"-eo".to_string()));
    let bundle = dir.path().join("bundle");
    let top = std::fs::read(bundle.join("top.txt")).unwrap();
    assert!(top.starts_with(b"UID PID PPID C STIME TTY TIME CMD\n"));
    let manifest = std::fs::read_to_string(bundle.join("MANIFEST.sha256")).unwrap();
    let lines: Vec<&str> = manifest.lines().filter(|l| l.ends_with("  top.txt")).collect();
    assert_eq!(lines, vec![format!("{}  top.txt", hex(&top))], "one manifest line, the final file's");
    let log = std::fs::read_to_string(bundle.join("collect.log")).unwrap();
    assert!(log.contains("top with ps options failed: default columns instead"), "{log}");
}
