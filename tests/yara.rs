//! `--yara` on `scan` and `rules list`: rule files written here, an image and an export built
//! in code with a matching file; a rule boreal cannot compile is a warning naming it while
//! the others run; a file that is not YARA exits 64; without `--yara` nothing changes.

use std::path::Path;

use serde_json::Value;

use crate::image_build::{step, Image, Layer};
use crate::util::{run, run_json, write_files};

const GOOD: &str = r#"
rule Test_Webshell_Eval : webshell
{
    meta:
        description = "PHP eval of a POST parameter"
        author = "Tester One"
        license = "Detection Rule License 1.1 https://github.com/Neo23x0/signature-base/blob/master/LICENSE"
        score = 85
    strings:
        $eval = "@eval($_POST[" ascii
    condition:
        $eval and extension == ".php" and filepath startswith "/var/www/"
}

rule Test_Miner_Elf
{
    meta:
        author = "Tester Two"
    strings:
        $pool = "stratum+tcp://" ascii
    condition:
        uint32(0) == 0x464c457f and $pool and owner == "root"
}

rule Test_Never
{
    strings:
        $x = "no such bytes in any file here" ascii
    condition:
        $x
}
"#;

/// A module boreal has not built in, and a rule that needs it; a rule after them still runs.
const PARTLY: &str = r#"
import "cuckoo"

rule Needs_Cuckoo
{
    condition:
        cuckoo.sync.mutex(/evil/)
}

rule Still_Runs
{
    strings:
        $a = "kdevtmpfsi" ascii
    condition:
        $a
}
"#;

const SHELL: &[u8] = b"<?php @eval($_POST['cmd']); ?>\n";
const MINER: &[u8] = b"\x7fELF\x02\x01\x01\x00 xmr stratum+tcp://pool.example:3333 kdevtmpfsi\x00";

/// A bundle: an image whose second layer drops the miner, an export of the container that
/// also holds a webshell; rule files in `rules/`.
fn bundle(dir: &Path) -> (String, String) {
    let base = Layer::new()
        .dir("var")
        .dir("var/www")
        .dir("var/www/html")
        .file("var/www/html/index.php", b"<?php echo 1;")
        .build();
    let drop = Layer::new().dir("tmp").file("tmp/kdevtmpfsi", MINER).build();
    let image = Image::new("web:1")
        .layer(base, step("2026-01-01T00:00:00Z", "ADD rootfs /"))
        .layer(drop, step("2026-01-02T00:00:00Z", "COPY kdevtmpfsi /tmp/"));
    let export = Layer::new()
        .dir("var")
        .dir("var/www")
        .dir("var/www/html")
        .file("var/www/html/index.php", b"<?php echo 1;")
        .dir("var/www/html/up")
        .file("var/www/html/up/shell.php", SHELL)
        .dir("tmp")
        .file("tmp/kdevtmpfsi", MINER)
        .build();
    let ev = dir.join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    write_files(&ev, &[("image.tar", &image.docker_save()), ("export.tar", &export)]);
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    write_files(
        &rules,
        &[("good.yar", GOOD.as_bytes()), ("partly.yara", PARTLY.as_bytes()), ("README.md", b"# not rules")],
    );
    (ev.display().to_string(), rules.display().to_string())
}

fn yara_findings(v: &Value) -> Vec<&Value> {
    v["bundles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("yara."))
        .collect()
}

#[test]
fn yara_rules_run_over_layers_and_exports_and_become_credited_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, rules) = bundle(dir.path());
    let (v, _) = run_json(&["scan", &ev, "--yara", &rules]);
    let found = yara_findings(&v);
    let mut ids: Vec<&str> = found.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["yara.good.Test_Miner_Elf", "yara.good.Test_Webshell_Eval", "yara.partly.Still_Runs"],
        "{found:#?}"
    );
    let shell = found.iter().find(|f| f["rule"] == "yara.good.Test_Webshell_Eval").unwrap();
    assert_eq!(shell["severity"], "high", "score 85");
    assert_eq!(
        shell["title"],
        "YARA rule Test_Webshell_Eval by Tester One (signature-base, DRL 1.1): /var/www/html/up/shell.php"
    );
    let ev0 = &shell["evidence"][0];
    assert!(ev0["artifact"].as_str().unwrap().ends_with("export.tar"));
    assert_eq!(ev0["members"][0], "/var/www/html/up/shell.php");
    assert_eq!(ev0["offset"], 6, "where $eval starts");
    let summary = shell["summary"].as_str().unwrap();
    assert!(summary.contains("$eval at offset 6"), "{summary}");
    assert!(summary.contains(&format!("{} bytes", SHELL.len())), "{summary}");
    assert_eq!(shell["iocs"][0]["type"], "sha256");
    assert_eq!(shell["iocs"][0]["role"], "dropped-file");
    assert_eq!(shell["iocs"][0]["value"], crate::image_build::sha(SHELL));
    // The miner: in the image's second layer (the export holds it unchanged: not the
    // container's change); no score, so medium; owner root from the tar header.
    let miner = found.iter().find(|f| f["rule"] == "yara.good.Test_Miner_Elf").unwrap();
    assert_eq!(miner["severity"], "medium");
    assert!(miner["title"].as_str().unwrap().contains("by Tester Two (good.yar)"), "{miner:#?}");
    let proofs = miner["evidence"].as_array().unwrap();
    assert_eq!(proofs.len(), 1, "{miner:#?}");
    assert_eq!(proofs[0]["artifact"], "image.tar");
    assert_eq!(proofs[0]["members"].as_array().unwrap().last().unwrap(), "/tmp/kdevtmpfsi");
    assert!(miner["summary"].as_str().unwrap().contains("in layer 1 of image"), "{miner:#?}");
    // The rules that could not compile are named, located at their rule file.
    let diags: Vec<String> = v["bundles"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {}", d["level"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    assert!(diags.iter().any(|d| d.starts_with("warning YARA import \"cuckoo\" not compiled")), "{diags:#?}");
    assert!(diags.iter().any(|d| d.starts_with("warning YARA rule Needs_Cuckoo not compiled")), "{diags:#?}");
    assert!(v["run"]["options"]["yara"].as_str().unwrap().contains("4 rules compiled, 2 not compiled"));
}

#[test]
fn without_yara_there_is_no_yara_finding_and_deterministic_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, rules) = bundle(dir.path());
    let (v, _) = run_json(&["scan", &ev]);
    assert!(yara_findings(&v).is_empty());
    let a = run(&["scan", &ev, "--yara", &rules, "--format", "json", "-q"]);
    let b = run(&["scan", &ev, "--yara", &rules, "--format", "json", "-q"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn rules_list_names_the_yara_files_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (_, rules) = bundle(dir.path());
    let out = run(&["rules", "list", "--yara", &rules]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("yara: ")).expect("a yara line");
    assert!(line.starts_with("yara: 2 rule file(s), 4 rules compiled, 2 not compiled"), "{line}");
    assert!(
        line.contains("good.yar (3 rules, 0 skipped)") && line.contains("partly.yara (1 rules, 2 skipped)"),
        "{line}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("YARA rule Needs_Cuckoo not compiled"), "{err}");
    let plain = run(&["rules", "list"]);
    assert!(String::from_utf8_lossy(&plain.stdout).contains("yara: no rules"));
}

#[test]
fn a_file_that_is_not_yara_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, _) = bundle(dir.path());
    let bad = dir.path().join("sigma.yar");
    std::fs::write(&bad, "title: not yara\ndetection:\n  sel: {a: b}\n").unwrap();
    let out = run(&["scan", &ev, "--yara", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sigma.yar:1: not a valid YARA rule file"), "{err}");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_eq!(run(&["rules", "list", "--yara", empty.to_str().unwrap()]).status.code(), Some(64));
}

/// A seized Docker root, as a folder and as a tar of it: the container's read-write layer
/// (its upper dir) is scanned as it is read, the match owned by the container.
#[test]
fn yara_rules_run_over_a_data_roots_upper_dirs_folder_and_tar() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    crate::dataroot::build(&root, false);
    let rules = dir.path().join("upper.yar");
    let rule = "rule Upper_Webshell { meta: author = \"Tester Three\" strings: $s = \"system($_GET[\" ascii condition: $s and filepath startswith \"/var/www/\" }\n";
    std::fs::write(&rules, rule).unwrap();
    let tar = dir.path().join("root.tar");
    let st = std::process::Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg("var")
        .status()
        .unwrap();
    assert!(st.success());
    for ev in [root.display().to_string(), tar.display().to_string()] {
        let (v, _) = run_json(&["scan", &ev, "--yara", rules.to_str().unwrap()]);
        let found = yara_findings(&v);
        assert_eq!(found.len(), 1, "{ev}: {found:#?}");
        let f = found[0];
        assert_eq!(f["rule"], "yara.upper.Upper_Webshell");
        assert!(f["title"].as_str().unwrap().ends_with("(upper.yar): /var/www/shell.php"), "{f:#?}");
        assert!(f["summary"].as_str().unwrap().contains("read-write layer"), "{f:#?}");
        assert!(f["owner"].to_string().contains("1111111111"), "the container owns it: {f:#?}");
        let member = f["evidence"][0].to_string();
        assert!(member.contains("overlay2/bbbbbbbb"), "located in the upper dir: {member}");
    }
}
