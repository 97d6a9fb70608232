//! The rule format (see docs/rules.md): `[rule]` blocks of `key = value` lines, parsed with
//! errors that name the file and line. The built-in rules are embedded in the binary.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use regex::bytes::{Match, Regex};
use serde::Serialize;

use super::prefilter::MAX_LITERAL;
use super::sigma::detection::SigmaDetection;
use crate::model::{Family, Role, RuleDef, RuleKind, Severity};

/// The built-in rule file, embedded at build time.
pub const BUILTIN: &str = include_str!("rules/builtin.rules");
/// Name the built-in rules are reported under.
pub const BUILTIN_ORIGIN: &str = "builtin.rules";

/// A named decoder usable as a confirm step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecoderKind {
    /// Log4j 2 lookup evaluation; passes when the record triggers a JNDI lookup.
    Jndi,
    /// Lookups assembling a `jndi:<scheme>:` string outside a written `${jndi:` lookup.
    JndiAssembled,
    /// A base64 blob piped into a decoder (`echo X|base64 -d`, `{base64,-d}`, `-enc X`);
    /// passes when it decodes to text.
    ShellBase64,
}

impl DecoderKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "jndi" => Some(DecoderKind::Jndi),
            "jndi-assembled" => Some(DecoderKind::JndiAssembled),
            "shell-base64" => Some(DecoderKind::ShellBase64),
            _ => None,
        }
    }

    /// The name used in rule files.
    pub fn as_str(&self) -> &'static str {
        match self {
            DecoderKind::Jndi => "jndi",
            DecoderKind::JndiAssembled => "jndi-assembled",
            DecoderKind::ShellBase64 => "shell-base64",
        }
    }
}

/// One confirm step: every step of a rule must pass on the record.
#[derive(Clone, Debug)]
pub enum Check {
    Regex(RuleRegex),
    Decoder(DecoderKind),
    /// A Sigma web rule's detection, evaluated on the record's parsed request.
    Sigma(std::sync::Arc<SigmaDetection>),
}

/// A compiled detection rule.
#[derive(Clone, Debug)]
pub struct LogRule {
    pub id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub attack: Option<String>,
    /// Literals must match with case (otherwise ASCII case is ignored).
    pub case_sensitive: bool,
    /// Any one of these makes a record a candidate for the rule.
    pub literals: Vec<Vec<u8>>,
    pub confirm: Vec<Check>,
    /// A record matching any of these is not a hit.
    pub exclude: Vec<RuleRegex>,
    /// Rule ids (`x.y`) or id prefixes (`x.*`): when one of them hits the same record, this
    /// weaker rule's hit is dropped (e.g. `sh -i` inside a reported reverse shell).
    pub superseded_by: Vec<String>,
    /// `file:line` of the `[rule]` header.
    pub origin: String,
    /// Its family (Sigma web rules: `sigma.` ids) and story role, from [`engine_kind`].
    pub(crate) kind: RuleKind,
}

/// The kind of a log engine rule, by its engine id, the one place the rule files' id
/// classes are read: `sigma.` ids are Sigma web rules (the bundled set names them so), the
/// rest the rule files' own; `scanner.` rules are grouped per client address, `web.` rules
/// are web attack signatures (they need a request), `pivot.` rules are the pivot pass's
/// search terms. Set when a rule is loaded; the story asks it of log hits and groups, which
/// name their rules by id.
pub(crate) fn engine_kind(id: &str) -> RuleKind {
    let family = if id.starts_with("sigma.") { Family::SigmaLog } else { Family::Log };
    let role = match id.split_once('.').map(|(class, _)| class) {
        Some("scanner") => Role::Scanner,
        Some("web") => Role::Request,
        Some("pivot") => Role::Pivot,
        _ => Role::Plain,
    };
    RuleKind::of(family).with(role)
}

impl LogRule {
    /// The DRL 1.1 credit of a Sigma-derived rule, if it is one.
    pub(crate) fn credit(&self) -> Option<String> {
        self.confirm.iter().find_map(|c| match c {
            Check::Sigma(d) => Some(d.credit()),
            _ => None,
        })
    }

    /// The rule's declaration (`rules list`): as its file wrote it, with a Sigma rule's credit.
    pub(crate) fn def(&self) -> RuleDef {
        RuleDef {
            id: self.id.clone().into(),
            kind: self.kind,
            severity: self.severity,
            category: self.category.clone().into(),
            attack: self.attack.clone().unwrap_or_default().into(),
            title: self.title.clone().into(),
            credit: self.credit().unwrap_or_default().into(),
        }
    }

    /// Whether a hit of rule `other_id` on the same record makes this rule's hit redundant.
    pub fn is_superseded_by(&self, other_id: &str) -> bool {
        other_id != self.id
            && self.superseded_by.iter().any(|s| match s.strip_suffix('*') {
                Some(prefix) => other_id.starts_with(prefix),
                None => other_id == s,
            })
    }
}

/// A rule file error, with its place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct RuleError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

/// Parse a rule file's text (regexes checked, compiled on first use). All errors are
/// returned, each with its line.
pub fn parse(text: &str, origin: &str) -> Result<Vec<LogRule>, Vec<RuleError>> {
    parse_as(text, origin, Regexes::Checked)
}

/// What reading a rule does with its regexes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Regexes {
    /// Compiled as they are read (a user's file: every error at its line).
    Compiled,
    /// Syntax checked now, compiled on first use.
    #[default]
    Checked,
    /// Compiled on first use with ASCII classes, unchecked: the built-in set, which
    /// `every_builtin_regex_compiles` compiles whole (checking its syntax was a tenth of
    /// `ctriage logs`' start-up).
    Trusted,
}

fn parse_as(text: &str, origin: &str, regexes: Regexes) -> Result<Vec<LogRule>, Vec<RuleError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut cur: Option<Draft> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |m: String| RuleError { origin: origin.to_string(), line: line_no, message: m };
        if line == "[rule]" {
            if let Some(d) = cur.take() {
                finish(d, origin, &mut rules, &mut errors);
            }
            cur = Some(Draft { line: line_no, regexes, ..Default::default() });
            continue;
        }
        if line.starts_with('[') {
            errors.push(err(format!("unknown section {line:?} (only [rule] exists)")));
            continue;
        }
        let Some(d) = cur.as_mut() else {
            errors.push(err("a key outside a [rule] block".into()));
            continue;
        };
        let Some((key, value)) = line.split_once('=') else {
            errors.push(err(format!("expected `key = value`, found {line:?}")));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if let Err(m) = d.set(key, value) {
            errors.push(err(m));
        }
    }
    if let Some(d) = cur.take() {
        finish(d, origin, &mut rules, &mut errors);
    }
    let mut seen = std::collections::BTreeMap::new();
    for r in &rules {
        if let Some(first) = seen.insert(r.id.clone(), r.origin.clone()) {
            let line = r.origin.rsplit(':').next().and_then(|l| l.parse().ok()).unwrap_or(0);
            errors.push(RuleError {
                origin: origin.to_string(),
                line,
                message: format!("duplicate rule id {:?} (first at {first})", r.id),
            });
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Parse a rule file from disk.
pub fn parse_file(path: &Path) -> Result<Vec<LogRule>, Vec<RuleError>> {
    let origin = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| {
        vec![RuleError { origin: origin.clone(), line: 0, message: format!("cannot read: {e}") }]
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        vec![RuleError { origin: origin.clone(), line: 0, message: format!("not UTF-8: {e}") }]
    })?;
    parse_as(&text, &origin, Regexes::Compiled)
}

/// The built-in rules.
pub fn builtin() -> Result<Vec<LogRule>, Vec<RuleError>> {
    parse_as(BUILTIN, BUILTIN_ORIGIN, Regexes::Trusted)
}

#[derive(Default)]
struct Draft {
    line: usize,
    id: Option<String>,
    title: Option<String>,
    category: Option<String>,
    severity: Option<Severity>,
    attack: Option<String>,
    case_sensitive: bool,
    literals: Vec<Vec<u8>>,
    confirm: Vec<Check>,
    exclude: Vec<RuleRegex>,
    superseded_by: Vec<String>,
    regexes: Regexes,
}

impl Draft {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let once = |slot: &Option<String>| {
            if slot.is_some() {
                Err(format!("`{key}` given twice"))
            } else if value.is_empty() {
                Err(format!("`{key}` is empty"))
            } else {
                Ok(Some(value.to_string()))
            }
        };
        match key {
            "id" => {
                if !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')) {
                    return Err(format!("id {value:?} may only hold letters, digits, `.`, `-`, `_`"));
                }
                self.id = once(&self.id)?;
            }
            "title" => self.title = once(&self.title)?,
            "category" => self.category = once(&self.category)?,
            "severity" => {
                self.severity = Some(Severity::parse(value).ok_or_else(|| {
                    format!("unknown severity {value:?} (info, low, medium, high, critical)")
                })?)
            }
            "attack" => {
                let ok = value.len() >= 5
                    && value.starts_with('T')
                    && value[1..].split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                if !ok {
                    return Err(format!("attack {value:?} is not an ATT&CK technique id like T1059.004"));
                }
                self.attack = once(&self.attack)?;
            }
            "case" => {
                self.case_sensitive = match value {
                    "sensitive" => true,
                    "insensitive" => false,
                    _ => return Err(format!("case must be `sensitive` or `insensitive`, not {value:?}")),
                }
            }
            "literal" => {
                let lit = unquote(value)?;
                if lit.is_empty() {
                    return Err("empty literal".into());
                }
                if lit.len() > MAX_LITERAL {
                    return Err(format!("literal longer than {MAX_LITERAL} bytes"));
                }
                if lit.contains(&b'\n') {
                    return Err("a literal cannot span lines".into());
                }
                self.literals.push(lit);
            }
            "confirm" => {
                if let Some(re) = value.strip_prefix("regex:") {
                    self.confirm.push(Check::Regex(RuleRegex::new(re, self.regexes)?));
                } else if let Some(name) = value.strip_prefix("decoder:") {
                    let d = DecoderKind::parse(name.trim()).ok_or_else(|| {
                        format!("unknown decoder {name:?} (jndi, jndi-assembled, shell-base64)")
                    })?;
                    self.confirm.push(Check::Decoder(d));
                } else {
                    return Err(format!("confirm must start with `regex:` or `decoder:`, found {value:?}"));
                }
            }
            "exclude" => {
                let re = value
                    .strip_prefix("regex:")
                    .ok_or_else(|| format!("exclude must start with `regex:`, found {value:?}"))?;
                self.exclude.push(RuleRegex::new(re, self.regexes)?);
            }
            "superseded-by" => {
                let id = value.strip_suffix('*').unwrap_or(value);
                if id.is_empty()
                    || !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
                {
                    return Err(format!(
                        "superseded-by {value:?} must be a rule id or an id prefix ending in `*`"
                    ));
                }
                self.superseded_by.push(value.to_string());
            }
            _ => return Err(format!("unknown key `{key}`")),
        }
        Ok(())
    }
}

/// A rule's regex. The built-in rules' regexes are compiled on first use (most rules never
/// see a candidate record, and compiling all of them up front was half of a scan's start-up)
/// and match ASCII classes only (`\w`, `\s`, `\b`, `.` any byte, `(?i)` folding ASCII):
/// attack syntax is ASCII, a byte that is not UTF-8 between a payload's tokens no longer
/// hides it, and Unicode classes made their compilation 4 times longer (a unit test compiles
/// every one). A user's rule file keeps Unicode classes and is compiled as it is read, so
/// every error names its line. Clones share the compiled regex.
#[derive(Clone, Debug)]
pub struct RuleRegex {
    source: Arc<str>,
    unicode: bool,
    compiled: Arc<OnceLock<Result<Regex, String>>>,
}

impl RuleRegex {
    fn new(re: &str, regexes: Regexes) -> Result<Self, String> {
        let unicode = regexes != Regexes::Trusted;
        let r = RuleRegex { source: re.into(), unicode, compiled: Arc::default() };
        if regexes == Regexes::Compiled {
            r.compiled()?;
        } else if regexes == Regexes::Checked {
            // What regex::bytes accepts: Unicode classes, matches not bound to UTF-8.
            regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(re)
                .map_err(|e| format!("invalid regex: {}", e.to_string().replace('\n', " ")))?;
        }
        Ok(r)
    }

    /// The compiled regex (compiled now if it was not yet), or why it could not be.
    pub fn compiled(&self) -> Result<&Regex, String> {
        self.compiled.get_or_init(|| compile(&self.source, self.unicode)).as_ref().map_err(Clone::clone)
    }

    /// Whether it matches `text` (a regex that cannot compile matches nothing).
    pub fn is_match(&self, text: &[u8]) -> bool {
        self.compiled().is_ok_and(|re| re.is_match(text))
    }

    /// Its first match in `text`.
    pub fn find<'t>(&self, text: &'t [u8]) -> Option<Match<'t>> {
        self.compiled().ok()?.find(text)
    }
}

fn compile(re: &str, unicode: bool) -> Result<Regex, String> {
    regex::bytes::RegexBuilder::new(re)
        .size_limit(4 << 20)
        .unicode(unicode)
        .build()
        .map_err(|e| format!("invalid regex: {}", e.to_string().replace('\n', " ")))
}

fn finish(d: Draft, origin: &str, rules: &mut Vec<LogRule>, errors: &mut Vec<RuleError>) {
    let mut missing = Vec::new();
    for (name, present) in [
        ("id", d.id.is_some()),
        ("title", d.title.is_some()),
        ("category", d.category.is_some()),
        ("severity", d.severity.is_some()),
        ("literal", !d.literals.is_empty()),
    ] {
        if !present {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        errors.push(RuleError {
            origin: origin.to_string(),
            line: d.line,
            message: format!("rule is missing {}", missing.join(", ")),
        });
        return;
    }
    let id = d.id.unwrap_or_default();
    rules.push(LogRule {
        kind: engine_kind(&id),
        id,
        title: d.title.unwrap_or_default(),
        category: d.category.unwrap_or_default(),
        severity: d.severity.unwrap_or(Severity::Info),
        attack: d.attack,
        case_sensitive: d.case_sensitive,
        literals: d.literals,
        confirm: d.confirm,
        exclude: d.exclude,
        superseded_by: d.superseded_by,
        origin: format!("{origin}:{}", d.line),
    });
}

/// A literal value: as written (trimmed), or `"..."` with `\"`, `\\`, `\t`, `\xHH` escapes.
fn unquote(v: &str) -> Result<Vec<u8>, String> {
    let Some(inner) = v.strip_prefix('"') else {
        return Ok(v.as_bytes().to_vec());
    };
    let inner = inner.strip_suffix('"').ok_or("unterminated quoted literal")?;
    let b = inner.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'"') => out.push(b'"'),
            Some(b'\\') => out.push(b'\\'),
            Some(b't') => out.push(b'\t'),
            Some(b'x') => {
                let hex = inner.get(i + 2..i + 4).ok_or("short \\x escape")?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad \\x escape {hex:?}"))?);
                i += 4;
                continue;
            }
            other => return Err(format!("unknown escape \\{}", other.map(|&c| c as char).unwrap_or(' '))),
        }
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built-in regexes compile on first use: each one must compile.
    #[test]
    fn every_builtin_regex_compiles() {
        let rules = builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let mut n = 0;
        for r in &rules {
            let confirm = r.confirm.iter().filter_map(|c| match c {
                Check::Regex(re) => Some(re),
                _ => None,
            });
            for re in confirm.chain(&r.exclude) {
                assert!(re.compiled().is_ok(), "{}: {:?}", r.origin, re.compiled().err());
                n += 1;
            }
        }
        assert!(n > 80, "{n} regexes");
    }

    #[test]
    fn a_user_file_is_compiled_as_read_and_a_bad_regex_is_named_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.rules");
        let big = format!("confirm = regex:(?:{}){{1000}}", "[a-z]{1,50}".repeat(20));
        std::fs::write(
            &f,
            format!("[rule]\nid = x.a\ntitle = t\ncategory = c\nseverity = low\nliteral = a\n{big}\n"),
        )
        .unwrap();
        let errors = parse_file(&f).unwrap_err();
        assert_eq!(errors[0].line, 7, "{errors:?}");
        // Read lazily, the same text parses (its syntax is fine) and fails when compiled.
        let text = std::fs::read_to_string(&f).unwrap();
        let rules = parse(&text, "lazy").unwrap();
        let Check::Regex(re) = &rules[0].confirm[0] else { panic!() };
        assert!(re.compiled().is_err() && !re.is_match(b"abc"));
        assert!(parse("[rule]\nid = x.b\ntitle = t\ncategory = c\nseverity = low\nliteral = a\nconfirm = regex:(unclosed\n", "lazy").is_err());
    }

    #[test]
    fn builtin_rules_parse() {
        let rules = builtin().unwrap_or_else(|e| panic!("{e:?}"));
        assert!(rules.len() > 40);
        assert!(rules.iter().any(|r| r.id == "log4j.jndi-lookup"));
    }

    #[test]
    fn errors_name_lines() {
        let text = "# c\n[rule]\nid = a\ntitle = t\ncategory = c\nseverity = huge\nliteral = x\nconfirm = regex:(\nfoo = 1\n[rule]\nid = b\n\n[other]\n";
        let errs = parse(text, "f.rules").unwrap_err();
        let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(shown[0].starts_with("f.rules:2: rule is missing severity"), "{shown:?}");
        assert!(shown[1].starts_with("f.rules:6: unknown severity"), "{shown:?}");
        assert!(shown[2].starts_with("f.rules:8: invalid regex"), "{shown:?}");
        assert!(shown[3].starts_with("f.rules:9: unknown key `foo`"), "{shown:?}");
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("f.rules:10: rule is missing title, category, severity, literal")),
            "{shown:?}"
        );
        assert!(shown.iter().any(|s| s.starts_with("f.rules:13: unknown section")), "{shown:?}");
    }

    #[test]
    fn quoted_literals_and_duplicates() {
        let text = "[rule]\nid = a\ntitle = t\ncategory = c\nseverity = low\nliteral = \" -e \\x2f\"\ncase = sensitive\n[rule]\nid = a\ntitle = t\ncategory = c\nseverity = low\nliteral = y\n";
        let errs = parse(text, "f").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("duplicate rule id"), "{errs:?}");
        let ok = parse(
            &text[..text
                .find("[rule]\nid = a\ntitle = t\ncategory = c\nseverity = low\nliteral = y")
                .unwrap()],
            "f",
        )
        .unwrap();
        assert_eq!(ok[0].literals, vec![b" -e /".to_vec()]);
        assert!(ok[0].case_sensitive);
    }

    #[test]
    fn superseded_by_takes_ids_and_prefixes() {
        let head = "[rule]\nid = w.weak\ntitle = t\ncategory = c\nseverity = low\nliteral = x\n";
        let r =
            parse(&format!("{head}superseded-by = s.strong.*\nsuperseded-by = other.one\n"), "f").unwrap();
        assert!(r[0].is_superseded_by("s.strong.a"));
        assert!(r[0].is_superseded_by("other.one"));
        assert!(!r[0].is_superseded_by("other.one.two"));
        assert!(!r[0].is_superseded_by("s.strongest"));
        assert!(!r[0].is_superseded_by("w.weak"));
        for bad in ["*", "a b", "x/*"] {
            let errs = parse(&format!("{head}superseded-by = {bad}\n"), "f").unwrap_err();
            assert!(errs[0].to_string().starts_with("f:7: superseded-by"), "{errs:?}");
        }
    }
}
