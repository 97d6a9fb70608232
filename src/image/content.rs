//! Content inspection while a layer streams: which files are candidates (by path, extension,
//! size and first bytes), one aho-corasick automaton over the signature strings scanned in
//! overlapping chunks, `/etc/passwd` uid-0 users, and `log4j-core` versions from jar names and
//! the jar's own `pom.properties` (walked in-stream, never buffered whole).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::jar::JarWalker;

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

/// Bit set of matched [`SIGNATURES`].
pub type SigSet = u64;

/// Bit of signature `i`.
pub const fn sig(i: usize) -> SigSet {
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

/// What the content of a file showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentFacts {
    /// Matched signatures.
    pub sigs: SigSet,
    /// Users with uid 0 (for passwd files).
    pub uid0_users: Vec<String>,
    /// `log4j-core` versions found (own file name, nested jar names, pom.properties).
    pub log4j_core: Vec<String>,
}

impl ContentFacts {
    fn is_empty(&self) -> bool {
        self.sigs == 0 && self.uid0_users.is_empty() && self.log4j_core.is_empty()
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
    pub fn of(head: &[u8]) -> Magic {
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
pub struct Inspector {
    /// None only if the constant signature list could not be compiled (never in practice).
    ac: Option<AhoCorasick>,
    pub budget: crate::limits::ByteBudget,
}

impl Default for Inspector {
    fn default() -> Self {
        Self::new()
    }
}

impl Inspector {
    /// Build the automaton over [`SIGNATURES`], with the default limits.
    pub fn new() -> Self {
        Self::with_limits(crate::limits::Limits::default())
    }

    /// [`Inspector::new`] for one bundle read under `limits`.
    pub fn with_limits(limits: crate::limits::Limits) -> Self {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(SIGNATURES)
            .ok();
        Inspector { ac, budget: crate::limits::ByteBudget::new(limits) }
    }

    /// Start inspecting a regular file at `path` (normalized, relative) of `size` bytes whose
    /// first bytes are `head`. None when the file is not a candidate.
    pub fn start(&self, path: &[u8], size: u64, head: &[u8]) -> Option<FileScan<'_>> {
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
        if scan.limit == 0 && scan.passwd.is_none() && scan.jar.is_none() && scan.facts.is_empty() {
            return None;
        }
        Some(scan)
    }
}

/// Inspection of one file, fed chunk by chunk as the layer streams.
pub struct FileScan<'a> {
    ac: Option<&'a AhoCorasick>,
    limit: u64,
    seen: u64,
    tail: Vec<u8>,
    facts: ContentFacts,
    passwd: Option<Vec<u8>>,
    jar: Option<JarWalker>,
}

impl FileScan<'_> {
    /// Feed the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
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
    }

    /// Finish; None when nothing of note was seen.
    pub fn finish(mut self) -> Option<Box<ContentFacts>> {
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
pub fn is_web_script(ext: &[u8]) -> bool {
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

/// Users with uid 0 in passwd content.
pub fn uid0_users(content: &[u8]) -> Vec<String> {
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

/// `log4j-core-2.14.1.jar` -> `2.14.1`.
pub fn log4j_version_from_name(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let lower = name.to_ascii_lowercase();
    let rest = lower.strip_prefix("log4j-core-")?;
    let v = rest.strip_suffix(".jar")?;
    v.starts_with(|c: char| c.is_ascii_digit()).then(|| name[11..11 + v.len()].to_string())
}

/// Whether a log4j-core version is exposed to the Log4Shell family (2.0-beta9 .. 2.16.x, minus
/// the 2.3.1+/2.12.2+ backports). Returns the CVE that applies.
pub fn log4j_vulnerability(version: &str) -> Option<&'static str> {
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

    #[test]
    fn passwd_and_log4j_versions() {
        assert_eq!(
            uid0_users(b"root:x:0:0::/root:/bin/sh\nbackdoor:x:0:0::/:/bin/sh\nbin:x:1:1::/:\n"),
            ["backdoor", "root"]
        );
        assert_eq!(log4j_version_from_name(b"log4j-core-2.14.1.jar").as_deref(), Some("2.14.1"));
        assert_eq!(log4j_version_from_name(b"log4j-api-2.14.1.jar"), None);
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
