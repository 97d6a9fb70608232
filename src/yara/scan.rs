//! One YARA scan: the external variables of a file (filename, filepath, extension,
//! filetype, owner) and the rules run over its bytes, each match kept with its rule's meta,
//! its rule file and a few located, escaped string excerpts.

use super::compile::{YaraRules, STRINGS_PER_HIT};
use crate::model::excerpt;

/// Bytes of a matched string shown (escaped).
const EXCERPT_BYTES: usize = 48;
/// Rule hits kept per scanned file.
const HITS_PER_FILE: usize = 32;

/// One string of a rule that matched: its id, where, and what (escaped, cut).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StringHit {
    pub id: String,
    /// Offset in the scanned content (a file's bytes, or a task's pages file).
    pub offset: u64,
    pub excerpt: String,
}

/// One rule that matched one file (or one task's memory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YaraHit {
    pub rule: String,
    /// The namespace: the rule file's name.
    pub namespace: String,
    /// The rule file, as given.
    pub file: String,
    /// The rule's meta as written (strings escaped; integers and booleans as text).
    pub meta: Vec<(String, String)>,
    pub strings: Vec<StringHit>,
    /// The content was bigger than [`crate::limits::YARA_MAX_FILE_BYTES`] and scanned only up
    /// to it: (bytes scanned, bytes the file has).
    pub cut: Option<(u64, u64)>,
    /// The licence of the rule file (a `LICENSE` beside it), for the credit.
    pub licence: Option<String>,
}

/// The external variables a rule may read, as signature-base, THOR and LOKI define them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Externals {
    /// Base name: `shell.php`.
    pub filename: String,
    /// Full path in the container: `/var/www/html/shell.php`.
    pub filepath: String,
    /// Lower-case extension with its dot: `.php` (empty when none).
    pub extension: String,
    /// From the first bytes: `ELF`, `EXE`, `ZIP`, `GZIP`, `PDF`, `SCRIPT` (empty otherwise).
    pub filetype: String,
    /// `root` for uid 0, else the uid (the container's names are not known while streaming).
    pub owner: String,
}

impl Externals {
    /// The variables of a file at `path` (relative, as layers store it) owned by `uid`,
    /// whose content starts with `head`.
    pub(crate) fn of_file(path: &[u8], uid: Option<u64>, head: &[u8]) -> Self {
        let full = crate::model::display_bytes(path);
        let filename = full.rsplit('/').next().unwrap_or(&full).to_string();
        let extension = match filename.rfind('.') {
            Some(i) if i > 0 => filename[i..].to_ascii_lowercase(),
            _ => String::new(),
        };
        Externals {
            filepath: format!("/{}", full.trim_start_matches('/')),
            filename,
            extension,
            filetype: filetype(head).to_string(),
            owner: match uid {
                Some(0) => "root".into(),
                Some(u) => u.to_string(),
                None => String::new(),
            },
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("filename", &self.filename),
            ("filepath", &self.filepath),
            ("extension", &self.extension),
            ("filetype", &self.filetype),
            ("owner", &self.owner),
        ]
    }
}

/// The type LOKI and THOR give a file from its first bytes (the ones rules compare with).
fn filetype(head: &[u8]) -> &'static str {
    if head.starts_with(b"\x7fELF") {
        "ELF"
    } else if head.starts_with(b"MZ") {
        "EXE"
    } else if head.starts_with(b"PK\x03\x04") {
        "ZIP"
    } else if head.starts_with(b"\x1f\x8b") {
        "GZIP"
    } else if head.starts_with(b"%PDF") {
        "PDF"
    } else if head.starts_with(b"#!") {
        "SCRIPT"
    } else {
        ""
    }
}

impl YaraRules {
    /// Scan `data` (the first bytes of content that has `size` bytes in all) with `ext`.
    /// Matches come sorted (namespace, rule); a scan the engine aborts keeps what matched.
    pub(crate) fn scan(&self, data: &[u8], size: u64, ext: &Externals) -> Vec<YaraHit> {
        let mut scanner = self.scanner.clone();
        for (name, value) in ext.pairs() {
            // Every rule set knows these five (defined at compile time).
            let _ = scanner.define_symbol(name, value.to_string());
        }
        let result = match scanner.scan_mem(data) {
            Ok(r) => r,
            Err((_, r)) => r,
        };
        let cut = (size > data.len() as u64).then_some((data.len() as u64, size));
        let mut hits: Vec<YaraHit> = result
            .rules
            .iter()
            .filter(|r| r.matched)
            .take(HITS_PER_FILE)
            .map(|r| {
                let meta = r
                    .metadatas
                    .iter()
                    .map(|m| {
                        let value = match m.value {
                            boreal::MetadataValue::Bytes(b) => {
                                crate::model::display_bytes(scanner.get_bytes_symbol(b))
                            }
                            boreal::MetadataValue::Integer(i) => i.to_string(),
                            boreal::MetadataValue::Boolean(b) => b.to_string(),
                        };
                        (scanner.get_string_symbol(m.name).to_string(), value)
                    })
                    .collect();
                let mut strings: Vec<StringHit> = r
                    .matches
                    .iter()
                    .flat_map(|s| {
                        s.matches.iter().take(STRINGS_PER_HIT).map(move |m| {
                            let at = m.base.saturating_add(m.offset);
                            let end = at.saturating_add(m.length).min(data.len());
                            let from = at.min(data.len());
                            StringHit {
                                id: format!("${}", s.name),
                                offset: at as u64,
                                excerpt: excerpt(&data[from..end], 0, end - from, EXCERPT_BYTES),
                            }
                        })
                    })
                    .collect();
                strings.sort_by_key(|s| s.offset);
                strings.truncate(STRINGS_PER_HIT);
                let (file, licence) = self.file_of(r.namespace);
                YaraHit {
                    rule: r.name.to_string(),
                    namespace: r.namespace.to_string(),
                    file,
                    licence,
                    meta,
                    strings,
                    cut,
                }
            })
            .collect();
        hits.sort_by(|a, b| (&a.namespace, &a.rule).cmp(&(&b.namespace, &b.rule)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_locates_strings_escapes_them_and_says_when_it_was_cut() {
        let rules = super::super::compile::from_source(
            "rule R { meta: author = \"A\" score = 65 strings: $a = \"evil\" $b = { 1B 5B 33 31 6D } \
             condition: all of them and filename == \"x.sh\" and owner == \"root\" }",
        );
        let data = b"#!/bin/sh\necho evil \x1b[31m red\n";
        let ext = Externals::of_file(b"tmp/x.sh", Some(0), data);
        let hits = rules.scan(data, 100 << 20, &ext);
        assert_eq!(hits.len(), 1);
        let h = &hits[0];
        assert_eq!((h.rule.as_str(), h.namespace.as_str(), h.file.as_str()), ("R", "t", "t.yar"));
        assert_eq!(h.cut, Some((data.len() as u64, 100 << 20)));
        let shown: Vec<(String, u64, String)> =
            h.strings.iter().map(|s| (s.id.clone(), s.offset, s.excerpt.clone())).collect();
        assert_eq!(shown[0], ("$a".to_string(), 15, "evil".to_string()));
        assert_eq!(shown[1].0, "$b");
        // The escape byte is raw here; every writer escapes it (terminal_safe, HTML).
        assert!(!crate::model::terminal_safe(&shown[1].2).contains('\x1b'));
        // Another owner: the condition fails.
        assert!(rules
            .scan(data, data.len() as u64, &Externals::of_file(b"tmp/x.sh", Some(1000), data))
            .is_empty());
    }

    #[test]
    fn externals_from_a_layer_path() {
        let e = Externals::of_file(b"var/www/html/Shell.PHP", Some(33), b"<?php");
        assert_eq!(e.filename, "Shell.PHP");
        assert_eq!(e.filepath, "/var/www/html/Shell.PHP");
        assert_eq!(e.extension, ".php");
        assert_eq!(e.filetype, "");
        assert_eq!(e.owner, "33");
        let e = Externals::of_file(b"tmp/.x/agent", Some(0), b"\x7fELF\x02");
        assert_eq!((e.extension.as_str(), e.filetype.as_str(), e.owner.as_str()), ("", "ELF", "root"));
        assert_eq!(Externals::of_file(b".bashrc", None, b"").extension, "");
    }
}
