//! Container checkpoints on real bytes (issue 24): Trusted-CR/optee_os's CRIU dump (AArch64,
//! process `loop2`), each image decoded and compared with its committed `crit decode` twin,
//! and checkpointctl's metadata files packed into checkpoint archives the way Podman and
//! CRI-O write them, scanned end to end.

use std::path::Path;

use serde_json::Value;

use crate::util::{run_json, shared};

fn dump_dir() -> std::path::PathBuf {
    shared("fixtures/optee_os/checkpoint")
}

fn meta(rel: &str) -> Vec<u8> {
    let p = shared(&format!("fixtures/checkpointctl/test/data/{rel}"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The value of a crit flag string (`PROT_READ | PROT_EXEC`, `0x0`) from `names`.
fn flags(v: &Value, names: &[(&str, u64)]) -> u64 {
    if let Some(n) = v.as_u64() {
        return n;
    }
    let s = v.as_str().unwrap_or_else(|| panic!("flags {v} are neither a number nor a string"));
    s.split(" | ")
        .map(|part| {
            let part = part.trim();
            if part.is_empty() {
                return 0; // crit prints no flag set as ""
            }
            if let Some(hex) = part.strip_prefix("0x") {
                return u64::from_str_radix(hex, 16).unwrap();
            }
            names.iter().find(|(n, _)| *n == part).unwrap_or_else(|| panic!("unknown flag {part}")).1
        })
        .fold(0, |a, b| a | b)
}

/// A crit number: a JSON number, or a hex string.
fn num(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().unwrap_or_else(|| n.as_i64().unwrap() as u64),
        Value::String(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap(),
        _ => panic!("not a number: {v}"),
    }
}

const PROT: &[(&str, u64)] = &[("PROT_READ", 1), ("PROT_WRITE", 2), ("PROT_EXEC", 4), ("PROT_NONE", 0)];
const MAP: &[(&str, u64)] = &[
    ("MAP_SHARED", 1),
    ("MAP_PRIVATE", 2),
    ("MAP_FIXED", 0x10),
    ("MAP_ANON", 0x20),
    ("MAP_GROWSDOWN", 0x100),
    ("MAP_DENYWRITE", 0x800),
    ("MAP_EXECUTABLE", 0x1000),
    ("MAP_LOCKED", 0x2000),
    ("MAP_NORESERVE", 0x4000),
    ("MAP_POPULATE", 0x8000),
    ("MAP_NONBLOCK", 0x10000),
    ("MAP_STACK", 0x20000),
    ("MAP_HUGETLB", 0x40000),
];
const STATUS: &[(&str, u64)] = &[
    ("VMA_AREA_NONE", 0),
    ("VMA_AREA_REGULAR", 1),
    ("VMA_AREA_STACK", 2),
    ("VMA_AREA_VSYSCALL", 4),
    ("VMA_AREA_VDSO", 8),
    ("VMA_AREA_HEAP", 0x20),
    ("VMA_FILE_PRIVATE", 0x40),
    ("VMA_FILE_SHARED", 0x80),
    ("VMA_ANON_SHARED", 0x100),
    ("VMA_ANON_PRIVATE", 0x200),
    ("VMA_AREA_SYSVIPC", 0x400),
    ("VMA_AREA_SOCKET", 0x800),
    ("VMA_AREA_VVAR", 0x1000),
    ("VMA_AREA_AIORING", 0x2000),
    ("VMA_AREA_MEMFD", 0x4000),
];
const PMAP: &[(&str, u64)] = &[("PE_PARENT", 1), ("PE_LAZY", 2), ("PE_PRESENT", 4)];
const FD_TYPES: &[&str] = &[
    "UND",
    "REG",
    "PIPE",
    "FIFO",
    "INETSK",
    "UNIXSK",
    "EVENTFD",
    "EVENTPOLL",
    "INOTIFY",
    "SIGNALFD",
    "PACKETSK",
    "TTY",
    "FANOTIFY",
    "NETLINKSK",
    "NS",
    "TUNF",
    "EXT",
    "TIMERFD",
    "MEMFD",
];
const TTY_TYPES: &[&str] = &["UNKNOWN", "PTY", "CONSOLE", "VT", "CTTY", "EXT_TTY", "SERIAL"];

fn decode(name: &str) -> Value {
    let p = dump_dir().join(name);
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
    let v = ctriage::fuzzing::criu_image(name, &b).unwrap_or_else(|e| panic!("{name} does not decode: {e}"));
    assert_eq!(v["error"], Value::Null, "{name} read to its end");
    v
}

fn twin(name: &str) -> Value {
    let txt = dump_dir().join(format!("{}.txt", name.trim_end_matches(".img")));
    let b = std::fs::read(&txt).unwrap_or_else(|e| panic!("cannot read {}: {e}", txt.display()));
    serde_json::from_slice(&b).unwrap_or_else(|e| panic!("{} is not JSON: {e}", txt.display()))
}

/// The same numbers under the same names (crit's name, ours).
fn same(ours: &Value, crit: &Value, pairs: &[(&str, &str)], what: &str) {
    for (c, o) in pairs {
        if crit.get(*c).is_none() {
            continue;
        }
        assert_eq!(num(&ours[*o]), num(&crit[*c]), "{what}: {c}");
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn every_image_with_a_crit_twin_decodes_to_its_values() {
    let (mut compared, mut images) = (0, vec![]);
    for entry in std::fs::read_dir(dump_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let stem = name.trim_end_matches(".img");
        let is_image = name.ends_with(".img") || name == "stats-dump";
        if !is_image || !dump_dir().join(format!("{stem}.txt")).exists() {
            continue;
        }
        images.push(name.clone());
        let (ours, crit) = (decode(&name), twin(&name));
        let (o, c) = (ours["entries"].as_array().unwrap(), crit["entries"].as_array().unwrap());
        assert_eq!(o.len(), c.len(), "{name}: entries");
        for (i, (o, c)) in o.iter().zip(c).enumerate() {
            let what = format!("{name} entry {i}");
            match ours["kind"].as_str().unwrap() {
                "inventory" => {
                    same(o, c, &[("img_version", "img_version"), ("root_cg_set", "root_cg_set")], &what);
                    assert_eq!(o["fdinfo_per_id"], c["fdinfo_per_id"], "{what}");
                    assert_eq!(o["ns_per_id"], c["ns_per_id"], "{what}");
                    assert_eq!(
                        ["NO_LSM", "SELINUX", "APPARMOR"][num(&o["lsmtype"]) as usize],
                        c["lsmtype"],
                        "{what}"
                    );
                    assert_eq!(o["root_ids"], c["root_ids"], "{what}: root_ids");
                }
                "ids" => assert_eq!(o, c, "{what}"),
                "fs" => {
                    same(o, c, &[("cwd_id", "cwd_id"), ("root_id", "root_id"), ("umask", "umask")], &what)
                }
                "fdinfo" => {
                    same(o, c, &[("id", "id"), ("flags", "flags"), ("fd", "fd")], &what);
                    assert_eq!(FD_TYPES[num(&o["kind"]) as usize], c["type"], "{what}: type");
                }
                "seccomp" => {
                    let n = c.get("seccomp_filters").and_then(Value::as_array).map_or(0, Vec::len);
                    assert_eq!(o["filters"].as_array().unwrap().len(), n, "{what}: filters");
                }
                "timens" => {
                    for clock in ["monotonic", "boottime"] {
                        assert_eq!(num(&o[clock][0]), num(&c[clock]["tv_sec"]), "{what}: {clock}");
                        assert_eq!(num(&o[clock][1]), num(&c[clock]["tv_nsec"]), "{what}: {clock}");
                    }
                }
                "stats-dump" => {
                    let keys = [
                        "freezing_time",
                        "frozen_time",
                        "memdump_time",
                        "memwrite_time",
                        "pages_scanned",
                        "pages_skipped_parent",
                        "pages_written",
                        "irmap_resolve",
                        "pages_lazy",
                    ];
                    let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, *k)).collect();
                    same(&o["dump"], &c["dump"], &pairs, &what);
                }
                "tty-info" => {
                    let keys = ["id", "sid", "pgrp", "rdev", "dev"];
                    let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, *k)).collect();
                    same(o, c, &pairs, &what);
                    for b in ["locked", "exclusive", "packet_mode"] {
                        assert_eq!(o[b], c[b], "{what}: {b}");
                    }
                    assert_eq!(TTY_TYPES[num(&o["tty_type"]) as usize], c["type"], "{what}: type");
                }
                "pagemap" if i == 0 => assert_eq!(o["pages_id"], c["pages_id"], "{what}"),
                "pagemap" => {
                    same(o, c, &[("vaddr", "vaddr"), ("nr_pages", "nr_pages")], &what);
                    assert_eq!(num(&o["flags"]), flags(&c["flags"], PMAP), "{what}: flags");
                }
                "mm" => {
                    let keys = [
                        "start_code",
                        "end_code",
                        "start_data",
                        "end_data",
                        "start_stack",
                        "start_brk",
                        "brk",
                        "arg_start",
                        "arg_end",
                        "env_start",
                        "env_end",
                    ];
                    let crit_keys: Vec<String> = keys.iter().map(|k| format!("mm_{k}")).collect();
                    let pairs: Vec<(&str, &str)> = crit_keys.iter().map(String::as_str).zip(keys).collect();
                    same(o, c, &pairs, &what);
                    same(o, c, &[("exe_file_id", "exe_file_id")], &what);
                    assert_eq!(o["saved_auxv"], c["mm_saved_auxv"], "{what}: auxv");
                    let (ov, cv) = (o["vmas"].as_array().unwrap(), c["vmas"].as_array().unwrap());
                    assert_eq!(ov.len(), cv.len(), "{what}: vmas");
                    for (j, (a, b)) in ov.iter().zip(cv).enumerate() {
                        let w = format!("{what} vma {j}");
                        same(
                            a,
                            b,
                            &[("start", "start"), ("end", "end"), ("pgoff", "pgoff"), ("shmid", "shmid")],
                            &w,
                        );
                        assert_eq!(a["fd"].as_i64(), b["fd"].as_i64(), "{w}: fd");
                        assert_eq!(num(&a["prot"]), flags(&b["prot"], PROT), "{w}: prot");
                        assert_eq!(num(&a["flags"]), flags(&b["flags"], MAP), "{w}: flags");
                        assert_eq!(num(&a["status"]), flags(&b["status"], STATUS), "{w}: status");
                        if let Some(f) = b.get("fdflags") {
                            assert_eq!(num(&a["fdflags"]), num(f), "{w}: fdflags");
                        }
                    }
                }
                "cgroup" => {
                    let (os, cs) = (o["sets"].as_array().unwrap(), c["sets"].as_array().unwrap());
                    assert_eq!(os.len(), cs.len(), "{what}: sets");
                    for (a, b) in os.iter().zip(cs) {
                        assert_eq!(a["id"], b["id"], "{what}: set id");
                        let ctls: Vec<Value> = b["ctls"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|x| serde_json::json!([x["name"], x["path"]]))
                            .collect();
                        assert_eq!(a["ctls"].as_array().unwrap(), &ctls, "{what}: controllers of set");
                    }
                    assert_eq!(
                        num(&o["controllers"]),
                        c["controllers"].as_array().unwrap().len() as u64,
                        "{what}"
                    );
                }
                k => panic!("{name}: kind {k} has a twin but no comparison"),
            }
            compared += 1;
        }
    }
    images.sort();
    assert_eq!(
        images,
        [
            "cgroup.img",
            "fdinfo-2.img",
            "fs-2956.img",
            "ids-2956.img",
            "inventory.img",
            "mm-2956.img",
            "pagemap-2956.img",
            "seccomp.img",
            "stats-dump",
            "timens-0.img",
            "tty-info.img"
        ],
        "every image with a twin"
    );
    assert_eq!(compared, 32, "every entry of every twin compared");
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn the_fixtures_readme_values() {
    let pstree = decode("pstree.img");
    assert_eq!(
        pstree["entries"][0],
        serde_json::json!({"pid": 2956, "ppid": 0, "pgid": 2956, "sid": 1945, "threads": [2956]})
    );
    let mm = decode("mm-2956.img");
    assert_eq!(mm["entries"][0]["vmas"].as_array().unwrap().len(), 24);
    assert_eq!(mm["entries"][0]["exe_file_id"], 1);
    assert_eq!(decode("inventory.img")["entries"][0]["img_version"], 2);
    let stats = &decode("stats-dump")["entries"][0]["dump"];
    assert_eq!((stats["freezing_time"].as_u64(), stats["frozen_time"].as_u64()), (Some(582), Some(140205)));
    assert_eq!((stats["pages_scanned"].as_u64(), stats["pages_written"].as_u64()), (Some(6874), Some(40)));
    // No twin: the core and the files (the fixtures README states their values).
    let core = &decode("core-2956.img")["entries"][0];
    assert_eq!(core["mtype"], 3, "AArch64");
    assert_eq!(core["comm"], "loop2");
    assert_eq!(core["task_state"], 1, "alive");
    assert_eq!((core["creds"]["uid"].as_u64(), core["creds"]["euid"].as_u64()), (Some(2000), Some(2000)));
    assert!(core["pc"].as_u64().is_some(), "the AArch64 registers are read");
    let files = decode("files.img");
    let files = files["entries"].as_array().unwrap();
    assert_eq!(files.len(), 8);
    let loop2 = files.iter().find(|f| f["file"]["name"] == "/data/local/tmp/loop2").expect("the program");
    assert_eq!(loop2["file"]["kind"], "reg");
    assert_eq!(loop2["file"]["size"], 4008848);
    assert_eq!(loop2["file"]["mode"].as_u64().unwrap() & 0o777, 0o777);
    assert!(files.iter().any(|f| f["file"]["kind"] == "tty"));
    assert!(files.iter().any(|f| f["file"]["name"] == "/data/local/tmp"));
    assert!(files.iter().any(|f| f["file"]["name"] == "/"));
    assert!(files
        .iter()
        .any(|f| f["file"]["name"].as_str().is_some_and(|n| n.starts_with("/dev/__properties__/"))));
}

/// The images folder scanned as a bundle: one process, its command line from its memory.
#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn the_dump_folder_scans_as_one_checkpoint() {
    let (v, _) = run_json(&["scan", dump_dir().to_str().unwrap()]);
    let b = &v["bundles"][0];
    let inv = b["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "inventory.img").unwrap();
    assert_eq!(inv["kind"], "criu-image");
    let caps = b["processes"].as_array().unwrap();
    assert_eq!(caps.len(), 1);
    let p = &caps[0]["capture"]["processes"][0];
    assert_eq!(caps[0]["capture"]["format"], "checkpoint");
    assert_eq!((p["pid"].as_u64(), p["ppid"].as_u64(), p["uid"].as_u64()), (Some(2956), Some(0), Some(2000)));
    assert_eq!(p["cmd"], "./loop2", "argv read from the stack page in pages-1.img");
    assert_eq!(p["comm"], "loop2");
    assert_eq!(p["extra"]["exe"], "/data/local/tmp/loop2");
    assert_eq!(p["extra"]["cwd"], "/data/local/tmp");
    assert_eq!(p["extra"]["arch"], "aarch64");
    assert!(p["extra"]["fd 0"].as_str().unwrap().starts_with("tty SERIAL"));
    let errors: Vec<&Value> =
        b["diagnostics"].as_array().unwrap().iter().filter(|d| d["level"] == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// A checkpoint archive as Podman / CRI-O write it: the optee images below `checkpoint/`,
/// `stats-dump` at the top, and the metadata files given.
fn archive(dir: &Path, name: &str, metadata: &[(&str, Vec<u8>)]) -> std::path::PathBuf {
    let mut t = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(1_706_380_845);
        h.set_cksum();
        t.append_data(&mut h, path, data).unwrap();
    };
    for (n, b) in metadata {
        add(n, b);
    }
    let mut names: Vec<String> = std::fs::read_dir(dump_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".img"))
        .collect();
    names.sort();
    for n in names {
        add(&format!("checkpoint/{n}"), &std::fs::read(dump_dir().join(&n)).unwrap());
    }
    add("stats-dump", &std::fs::read(dump_dir().join("stats-dump")).unwrap());
    let p = dir.join(name);
    std::fs::write(&p, t.into_inner().unwrap()).unwrap();
    p
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn checkpointctl_metadata_fills_the_container_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = archive(
        dir.path(),
        "checkpoint.tar",
        &[
            ("config.dump", meta("list_config_spec.dump/config.dump")),
            ("spec.dump", meta("list_config_spec.dump/spec.dump")),
            ("network.status", meta("network.status")),
        ],
    );
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "checkpoint");
    let c = &b["containers"][0];
    assert_eq!(c["id"], "6924be1bd90c23f10e2667102b0ee0f74f09bba78b6661871e733cb3b1737821");
    assert_eq!(
        c["name"],
        "k8s_container-name_deployment-name_default_6975ee47-6765-45dc-9a2b-1e38d51031f7_0"
    );
    assert_eq!(c["source"], "checkpoint");
    assert_eq!(c["image"], "docker.io/library/nginx:latest");
    assert_eq!(c["created"], "2024-01-27T14:45:26.083444055Z");
    assert_eq!(c["checkpoint"]["runtime"], "runc");
    assert_eq!(c["checkpoint"]["engine"], "cri-o");
    assert_eq!(c["checkpoint"]["arch"], "aarch64");
    // 2024-01-28T00:10:45.673538606+05:30, in UTC.
    assert_eq!(c["checkpoint"]["checkpointed"], "2024-01-27T18:40:45.673538606Z");
    let labels = &c["config"]["labels"];
    assert_eq!(labels["io.kubernetes.pod.name"], "pod-name");
    assert_eq!(labels["io.kubernetes.pod.namespace"], "default");
    assert_eq!(labels["io.kubernetes.container.name"], "container-name");
    let n = &c["network"];
    assert_eq!(n["ip_address"], "10.88.0.9");
    assert_eq!(n["mac_address"], "f2:99:8d:fb:5a:57");
    assert_eq!(n["gateway"], "10.88.0.1");
    assert_eq!(n["networks"][0]["name"], "podman (eth0)");
    assert_eq!(n["networks"][0]["prefix_len"], 16);
    // The process is the container's, and the container has a verdict.
    let proc0 = &b["processes"][0]["capture"]["processes"][0];
    assert_eq!(proc0["container"]["id"], c["id"]);
    assert_eq!(proc0["locator"]["members"][0], "checkpoint/core-2956.img");
    assert!(b["verdicts"].as_array().unwrap().iter().any(|x| x["id"] == c["id"]), "{}", b["verdicts"]);
    assert!(b["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["timestamp_desc"] == "container checkpointed"));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn multi_network_status_podman_spec_and_an_empty_config() {
    let dir = tempfile::tempdir().unwrap();
    let p = archive(
        dir.path(),
        "multi.tar",
        &[
            (
                "config.dump",
                br#"{"id":"d5eee7931a29b2d6bf51469e3ab7284bb22a9e6dad073277e30e2a29256efc84","name":"web"}"#
                    .to_vec(),
            ),
            ("spec.dump", meta("spec.dump")),
            ("network.status", meta("network.status.multi")),
        ],
    );
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let c = &v["bundles"][0]["containers"][0];
    assert_eq!(c["checkpoint"]["engine"], "libpod");
    let nets: Vec<(&str, &str, &str, &str)> = c["network"]["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap(),
                n["ip_address"].as_str().unwrap(),
                n["gateway"].as_str().unwrap(),
                n["mac_address"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        nets,
        [
            ("net1 (eth0)", "10.89.0.2", "10.89.0.1", "32:ba:b8:45:bc:84"),
            ("net2 (eth1)", "10.89.1.2", "10.89.1.1", "5e:b7:fe:ee:e0:d8")
        ]
    );
    assert_eq!(c["network"]["ip_address"], Value::Null, "two networks: no single address");
    // CRI-O's annotation-only spec.
    let p = archive(
        dir.path(),
        "crio.tar",
        &[("config.dump", meta("config.dump")), ("spec.dump", meta("spec.dump.cri-o"))],
    );
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    // The empty `{}` config.dump names no container: the processes are still read.
    assert!(b["containers"].as_array().unwrap().is_empty());
    assert_eq!(b["processes"][0]["capture"]["processes"][0]["pid"], 2956);
    assert!(b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["message"].as_str().unwrap().contains("names no container")));
}
