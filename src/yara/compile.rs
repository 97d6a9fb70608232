//! Loading `--yara` rule files and folders: each file parsed whole (a file that does not
//! parse as YARA is a usage error, exit 64), then compiled one component (import, rule) at a
//! time into one namespace per file, so a rule boreal cannot compile (unknown module,
//! identifier, a regex it refuses, an include) becomes a warning naming it and the rest run.
//! External variables are declared for every file with empty defaults.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use boreal_parser::file::YaraFileComponent;

use crate::logscan::RuleFileError;
use crate::model::{Diagnostic, Locator};

/// The compiled rules of every `--yara` path, with what was loaded and what was not.
pub(crate) struct YaraRules {
    pub(super) scanner: boreal::Scanner,
    /// One entry per rule file, in load order.
    pub(crate) files: Vec<RuleFileReport>,
    /// Rules that could not be compiled (or imports, includes), one warning each.
    pub(crate) warnings: Vec<Diagnostic>,
    /// Namespace -> the rule file's path as given, and its folder's licence.
    namespaces: BTreeMap<String, (String, Option<String>)>,
}

impl std::fmt::Debug for YaraRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YaraRules").field("files", &self.files).finish_non_exhaustive()
    }
}

/// What one rule file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleFileReport {
    pub path: String,
    pub namespace: String,
    /// Rules compiled.
    pub rules: usize,
    /// Rules (and imports, includes) not compiled: each has a warning.
    pub skipped: usize,
}

impl YaraRules {
    /// Rules compiled, all files together.
    pub(crate) fn rule_count(&self) -> usize {
        self.files.iter().map(|f| f.rules).sum()
    }

    /// The rule file a namespace came from.
    pub(super) fn file_of(&self, namespace: &str) -> (String, Option<String>) {
        self.namespaces.get(namespace).cloned().unwrap_or_else(|| (namespace.to_string(), None))
    }

    /// The `yara` line `rules list` and the report's options show: files, rules, skipped.
    pub(crate) fn describe(&self) -> String {
        let skipped: usize = self.files.iter().map(|f| f.skipped).sum();
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("{} ({} rules, {} skipped)", f.path, f.rules, f.skipped))
            .collect();
        format!(
            "{} rule file(s), {} rules compiled, {skipped} not compiled (boreal {}): {}",
            self.files.len(),
            self.rule_count(),
            BOREAL_VERSION,
            files.join(", ")
        )
    }
}

/// Matched strings kept per rule hit, and matches kept per string.
pub(super) const STRINGS_PER_HIT: usize = 4;

/// Whether a path names a YARA rule file by its extension (`.yar`, `.yara`).
fn is_rule_file(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara"))
}

/// The engine's version as pinned in Cargo.lock (said in `rules list`).
const BOREAL_VERSION: &str = "1.4";

/// The names a rule may read from the file it scans (see [`super::Externals`]).
const EXTERNALS: [&str; 5] = ["filename", "filepath", "extension", "filetype", "owner"];

/// Load and compile every rule file of `paths` (files, or folders walked for `.yar`/`.yara`
/// without following links). None when `paths` is empty. A path that cannot be read, a
/// folder without rule files, or a file that is not YARA is an error ([`RuleFileError`]).
pub(crate) fn load(paths: &[PathBuf]) -> anyhow::Result<Option<std::sync::Arc<YaraRules>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut files = vec![];
    for p in paths {
        let found = rule_files(p)?;
        if found.is_empty() {
            return Err(RuleFileError(format!(
                "--yara {}: no .yar or .yara file in this folder",
                p.display()
            ))
            .into());
        }
        files.extend(found);
    }
    let mut compiler = new_compiler();
    let mut out = YaraRules {
        scanner: boreal::Compiler::new().finalize(),
        files: vec![],
        warnings: vec![],
        namespaces: BTreeMap::new(),
    };
    for f in files {
        let shown = f.display().to_string();
        let src = read_rule_file(&f)?;
        let stem = f.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| shown.clone());
        let mut ns = stem.clone();
        let mut n = 2;
        while out.namespaces.contains_key(&ns) {
            ns = format!("{stem}#{n}");
            n += 1;
        }
        let report = add_file(&mut compiler, &src, &shown, &ns, &mut out.warnings)?;
        out.namespaces.insert(ns, (shown, folder_licence(&f)));
        out.files.push(report);
    }
    out.scanner = compiler.finalize();
    out.scanner.set_scan_params(
        boreal::scanner::ScanParams::default()
            .compute_full_matches(true)
            .string_max_nb_matches(STRINGS_PER_HIT as u32 * 4)
            .match_max_length(512),
    );
    Ok(Some(std::sync::Arc::new(out)))
}

/// Rules compiled from one source text (tests).
#[cfg(test)]
pub(crate) fn from_source(src: &str) -> YaraRules {
    let mut compiler = new_compiler();
    let mut warnings = vec![];
    let report = add_file(&mut compiler, src, "t.yar", "t", &mut warnings).expect("valid YARA");
    let mut scanner = compiler.finalize();
    scanner.set_scan_params(boreal::scanner::ScanParams::default().compute_full_matches(true));
    YaraRules {
        scanner,
        files: vec![report],
        warnings,
        namespaces: BTreeMap::from([("t".to_string(), ("t.yar".to_string(), None))]),
    }
}

fn new_compiler() -> boreal::Compiler {
    let mut c = boreal::Compiler::new();
    for name in EXTERNALS {
        c.define_symbol(name, "");
    }
    c
}

/// The rule files a `--yara` path names: itself, or the `.yar`/`.yara` files below a folder
/// (sorted, links not followed).
fn rule_files(p: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(p).map_err(|e| RuleFileError(format!("--yara {}: {e}", p.display())))?;
    if !meta.is_dir() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = vec![];
    for e in walkdir::WalkDir::new(p).follow_links(false).sort_by_file_name() {
        let e = e.map_err(|e| RuleFileError(format!("--yara {}: {e}", p.display())))?;
        if e.file_type().is_file() && is_rule_file(e.path()) {
            out.push(e.into_path());
        }
    }
    Ok(out)
}

fn read_rule_file(f: &Path) -> anyhow::Result<String> {
    let fail = |e: String| RuleFileError(format!("--yara {}: {e}", f.display()));
    let file = std::fs::File::open(f).map_err(|e| fail(e.to_string()))?;
    let mut bytes = vec![];
    file.take(crate::limits::YARA_MAX_RULE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > crate::limits::YARA_MAX_RULE_FILE_BYTES {
        return Err(fail(format!("bigger than {} bytes", crate::limits::YARA_MAX_RULE_FILE_BYTES)).into());
    }
    String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text: not a YARA rule file".into()).into())
}

/// The licence of a rule collection: a `LICENSE` file in the rule file's folder or the one
/// above it that is the Detection Rule License (signature-base, YARA Forge's DRL rules).
fn folder_licence(f: &Path) -> Option<String> {
    let dir = f.parent()?;
    for d in [Some(dir), dir.parent()].into_iter().flatten() {
        let Ok(file) = std::fs::File::open(d.join("LICENSE")) else { continue };
        let mut head = vec![];
        if file.take(4096).read_to_end(&mut head).is_ok()
            && String::from_utf8_lossy(&head).contains("Detection Rule License")
        {
            return Some("Detection Rule License 1.1".into());
        }
    }
    None
}

/// 1-based line of byte `at` in `src`.
fn line_of(src: &str, at: usize) -> usize {
    src.as_bytes()[..at.min(src.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Compile one file's components one by one into namespace `ns`.
fn add_file(
    compiler: &mut boreal::Compiler,
    src: &str,
    shown: &str,
    ns: &str,
    warnings: &mut Vec<Diagnostic>,
) -> anyhow::Result<RuleFileReport> {
    let parsed = boreal_parser::parse(src).map_err(|e| {
        let d = e.to_diagnostic();
        let line = line_of(src, d.labels.first().map_or(0, |l| l.range.start));
        let msg = d.message;
        RuleFileError(format!("--yara {shown}:{line}: not a valid YARA rule file: {msg}"))
    })?;
    let mut report =
        RuleFileReport { path: shown.to_string(), namespace: ns.to_string(), rules: 0, skipped: 0 };
    let starts: Vec<usize> = parsed.components.iter().map(|c| component_start(src, c)).collect();
    for (i, c) in parsed.components.iter().enumerate() {
        let from = starts[i];
        let to = starts.get(i + 1).copied().unwrap_or(src.len()).max(from);
        let what = match c {
            YaraFileComponent::Rule(r) => format!("rule {}", r.name),
            YaraFileComponent::Import(im) => format!("import \"{}\"", im.name),
            YaraFileComponent::Include(inc) => format!("include \"{}\"", inc.path),
        };
        let warn = |msg: String| {
            Diagnostic::warning(Locator::artifact(shown).with_line(line_of(src, from) as u64), msg)
        };
        if let YaraFileComponent::Include(_) = c {
            report.skipped += 1;
            warnings.push(warn(format!(
                "YARA {what} not followed (give the included file to --yara itself); rules that need it are reported below"
            )));
            continue;
        }
        let Some(text) = src.get(from..to) else {
            report.skipped += 1;
            warnings.push(warn(format!(
                "YARA {what} could not be cut out of its file to be compiled on its own"
            )));
            continue;
        };
        match compiler.add_rules_str_in_namespace(text, ns) {
            Ok(_) => {
                if matches!(c, YaraFileComponent::Rule(_)) {
                    report.rules += 1;
                }
            }
            Err(e) => {
                report.skipped += 1;
                let why = e.to_diagnostic().message;
                let tail = if matches!(c, YaraFileComponent::Import(_)) {
                    "; the rules that use it are skipped"
                } else {
                    ""
                };
                warnings.push(warn(format!("YARA {what} not compiled by boreal: {why}{tail}")));
            }
        }
    }
    Ok(report)
}

/// Where a component's text starts: an import's or include's span; a rule's `rule` keyword
/// with its `private`/`global` modifiers (its name span is all the parser keeps).
fn component_start(src: &str, c: &YaraFileComponent) -> usize {
    match c {
        YaraFileComponent::Import(i) => i.span.start,
        YaraFileComponent::Include(i) => i.span.start,
        YaraFileComponent::Rule(r) => {
            let b = src.as_bytes();
            let mut at = r.name_span.start.min(b.len());
            let back_ws = |mut at: usize| {
                while at > 0 && b[at - 1].is_ascii_whitespace() {
                    at -= 1;
                }
                at
            };
            at = back_ws(at);
            if at >= 4 && &b[at - 4..at] == b"rule" {
                at -= 4;
            }
            loop {
                let w = back_ws(at);
                let word = ["private", "global"]
                    .into_iter()
                    .find(|m| w >= m.len() && &b[w - m.len()..w] == m.as_bytes());
                match word {
                    Some(m) => at = w - m.len(),
                    None => break,
                }
            }
            at
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(src: &str) -> (RuleFileReport, Vec<Diagnostic>) {
        let mut c = new_compiler();
        let mut w = vec![];
        let r = add_file(&mut c, src, "t.yar", "t", &mut w).expect("parses");
        (r, w)
    }

    #[test]
    fn a_rule_that_cannot_compile_is_named_and_the_others_run() {
        let src = "import \"cuckoo\"\n\
            rule A { strings: $a = \"x\" condition: $a }\n\
            private global rule B { condition: cuckoo.sync.mutex(/x/) }\n\
            rule C : tag { meta: author = \"me\" condition: A and filename == \"x\" }\n\
            rule D { condition: nosuch.thing }\n";
        let (r, w) = compile(src);
        assert_eq!((r.rules, r.skipped), (2, 3), "{w:?}");
        let text: Vec<String> = w.iter().map(|d| d.message.clone()).collect();
        assert!(text[0].starts_with("YARA import \"cuckoo\" not compiled"), "{text:?}");
        assert!(text[1].starts_with("YARA rule B not compiled"), "{text:?}");
        assert!(text[2].starts_with("YARA rule D not compiled"), "{text:?}");
        assert_eq!(w[1].locator.line, Some(3));
    }

    #[test]
    fn a_file_that_is_not_yara_is_a_usage_error() {
        let mut c = new_compiler();
        let e =
            add_file(&mut c, "title: a sigma rule\ndetection: {}\n", "x.yml", "x", &mut vec![]).unwrap_err();
        assert!(e.chain().any(|c| c.is::<RuleFileError>()));
        assert!(e.to_string().contains("x.yml:1: not a valid YARA rule file"), "{e}");
    }
}
