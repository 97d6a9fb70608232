//! A Sigma rule's detection compiled for evaluation on one event (a parsed access-log
//! record or a captured process), and the anchor literals that let the log engine's single
//! aho-corasick pass pick the records worth evaluating.

use std::collections::HashMap;
use std::net::IpAddr;

use regex::Regex;
use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, Modifier, Quantifier, SelectorPattern, SigmaString, SigmaValue,
    SpecialChar, StringPart,
};

/// Where a compiled rule reads its fields from.
pub(crate) trait Fields {
    /// Every spelling of `field` (e.g. raw and decoded); None when the event lacks it.
    fn get(&self, field: &str) -> Option<Vec<String>>;
    /// The whole event text, for keyword detections.
    fn text(&self) -> Vec<String>;
}

/// How one value is compared.
#[derive(Debug, Clone)]
enum Pattern {
    /// Lower-cased needle (case-insensitive) or as is (cased).
    Contains(String, bool),
    Starts(String, bool),
    Ends(String, bool),
    Equals(String, bool),
    /// A `|re` value (its syntax checked when the rule is read).
    Regex(LazyRegex),
    /// A value with wildcards, as a regex we built.
    Wildcard(LazyRegex),
    Cidr(IpAddr, u8),
    Num(NumOp, f64),
    Exists(bool),
    Null,
}

/// A value's regex, compiled when first compared: most rules never meet a candidate, and
/// compiling every bundled rule's regexes was a quarter of `ctriage logs`' start-up. A `|re`
/// value's syntax is checked when the rule is read; a user's rule is compiled whole then
/// ([`Compiled::compile_all`]), so a regex too large for the size limit is reported, not
/// silently never matched; the bundled set is compiled whole by a test.
#[derive(Debug, Clone)]
pub(crate) struct LazyRegex {
    src: String,
    size_limit: Option<usize>,
    re: std::sync::OnceLock<Result<Regex, String>>,
}

impl LazyRegex {
    fn new(src: String, size_limit: Option<usize>) -> Self {
        LazyRegex { src, size_limit, re: std::sync::OnceLock::new() }
    }

    fn regex(&self) -> Result<&Regex, &String> {
        self.re
            .get_or_init(|| {
                let mut b = regex::RegexBuilder::new(&self.src);
                if let Some(l) = self.size_limit {
                    b.size_limit(l);
                }
                b.build().map_err(|e| {
                    format!("regex not supported by Rust's regex crate: {}", first_line(&e.to_string()))
                })
            })
            .as_ref()
    }

    fn is_match(&self, s: &str) -> bool {
        self.regex().is_ok_and(|r| r.is_match(s))
    }
}

#[derive(Debug, Clone, Copy)]
enum NumOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

#[derive(Debug, Clone)]
struct Item {
    /// Canonical field name (None: keywords).
    field: Option<String>,
    patterns: Vec<Pattern>,
    /// All values must match (`|all`), else any.
    all: bool,
    negate: bool,
}

#[derive(Debug, Clone)]
enum Det {
    All(Vec<Item>),
    Any(Vec<Det>),
    And(Vec<Det>),
    Cond(HashMap<String, Det>, ConditionExpr),
}

/// A compiled detection section.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    named: HashMap<String, Det>,
    conditions: Vec<ConditionExpr>,
}

/// Why a rule cannot be compiled.
pub(crate) type Unsupported = String;

impl Compiled {
    /// Compile; `known` says whether a field name can be read (returns its canonical name).
    pub(crate) fn new(
        det: &rsigma_parser::Detections,
        known: &dyn Fn(&str) -> Option<&'static str>,
    ) -> Result<Self, Unsupported> {
        let mut named = HashMap::new();
        for (name, d) in &det.named {
            named.insert(name.clone(), compile_det(d, known)?);
        }
        if det.conditions.is_empty() {
            return Err("no condition".into());
        }
        Ok(Compiled { named, conditions: det.conditions.clone() })
    }

    /// True when any condition holds on the event.
    pub(crate) fn matches(&self, f: &dyn Fields) -> bool {
        let mut cache: HashMap<&str, bool> = HashMap::new();
        self.conditions.iter().any(|c| eval_cond(c, &self.named, f, &mut cache))
    }

    /// Compile every regex now (they are otherwise compiled when first compared): the first
    /// that cannot be is why the rule is unusable.
    pub(crate) fn compile_all(&self) -> Result<(), Unsupported> {
        fn det(d: &Det) -> Result<(), Unsupported> {
            match d {
                Det::All(items) => items.iter().flat_map(|i| &i.patterns).try_for_each(|p| match p {
                    Pattern::Regex(r) | Pattern::Wildcard(r) => r.regex().map(|_| ()).map_err(Clone::clone),
                    _ => Ok(()),
                }),
                Det::Any(ds) | Det::And(ds) => ds.iter().try_for_each(det),
                Det::Cond(named, _) => named.values().try_for_each(det),
            }
        }
        // Sorted by name: the same rule reports the same regex first on every run.
        let mut names: Vec<&String> = self.named.keys().collect();
        names.sort();
        names.into_iter().try_for_each(|n| det(&self.named[n]))
    }

    /// Literals (lower-cased) such that any match holds at least one of them; None when the
    /// rule has no such anchor (it would have to be evaluated on every record).
    pub(crate) fn anchors(&self) -> Option<Vec<String>> {
        let sets: Vec<Option<Vec<String>>> =
            self.conditions.iter().map(|c| cond_anchors(c, &self.named)).collect();
        let mut out = Vec::new();
        for s in sets {
            out.extend(s?);
        }
        out.sort();
        out.dedup();
        Some(out)
    }
}

fn compile_det(d: &Detection, known: &dyn Fn(&str) -> Option<&'static str>) -> Result<Det, Unsupported> {
    Ok(match d {
        Detection::AllOf(items) => {
            Det::All(items.iter().map(|i| compile_item(i, known)).collect::<Result<Vec<_>, _>>()?)
        }
        Detection::AnyOf(ds) => Det::Any(ds.iter().map(|x| compile_det(x, known)).collect::<Result<_, _>>()?),
        Detection::And(ds) => Det::And(ds.iter().map(|x| compile_det(x, known)).collect::<Result<_, _>>()?),
        Detection::Keywords(vals) => Det::All(vec![Item {
            field: None,
            patterns: vals
                .iter()
                .map(|v| value_pattern(v, &[Modifier::Contains]))
                .collect::<Result<_, _>>()?,
            all: false,
            negate: false,
        }]),
        Detection::Conditional { named, condition } => {
            let mut m = HashMap::new();
            for (k, v) in named {
                m.insert(k.clone(), compile_det(v, known)?);
            }
            Det::Cond(m, condition.clone())
        }
        Detection::ArrayMatch { .. } => return Err("array-member blocks are not supported".into()),
    })
}

fn compile_item(
    i: &DetectionItem,
    known: &dyn Fn(&str) -> Option<&'static str>,
) -> Result<Item, Unsupported> {
    let mods = &i.field.modifiers;
    for m in mods {
        match m {
            Modifier::Base64
            | Modifier::Base64Offset
            | Modifier::Wide
            | Modifier::Utf16be
            | Modifier::Utf16 => return Err(format!("modifier {m:?} (encoded values) is not supported")),
            Modifier::Expand | Modifier::FieldRef => {
                return Err(format!("modifier {m:?} needs placeholders or other fields"))
            }
            Modifier::Minute
            | Modifier::Hour
            | Modifier::Day
            | Modifier::Week
            | Modifier::Month
            | Modifier::Year => return Err(format!("timestamp modifier {m:?} is not supported")),
            _ => {}
        }
    }
    let field = match &i.field.name {
        Some(n) => Some(
            known(n).ok_or_else(|| format!("field {n:?} is not in ctriage's parsed records"))?.to_string(),
        ),
        None => None,
    };
    let patterns = i.values.iter().map(|v| value_pattern(v, mods)).collect::<Result<Vec<_>, _>>()?;
    Ok(Item { field, patterns, all: mods.contains(&Modifier::All), negate: mods.contains(&Modifier::Neq) })
}

fn value_pattern(v: &SigmaValue, mods: &[Modifier]) -> Result<Pattern, Unsupported> {
    let cased = mods.contains(&Modifier::Cased);
    if mods.contains(&Modifier::Exists) {
        return Ok(Pattern::Exists(!matches!(v, SigmaValue::Bool(false))));
    }
    for (m, op) in [
        (Modifier::Gt, NumOp::Gt),
        (Modifier::Gte, NumOp::Gte),
        (Modifier::Lt, NumOp::Lt),
        (Modifier::Lte, NumOp::Lte),
    ] {
        if mods.contains(&m) {
            let n = match v {
                SigmaValue::Integer(i) => *i as f64,
                SigmaValue::Float(f) => *f,
                _ => return Err("a comparison needs a number".into()),
            };
            return Ok(Pattern::Num(op, n));
        }
    }
    let s = match v {
        SigmaValue::String(s) => s,
        SigmaValue::Integer(i) => return Ok(Pattern::Num(NumOp::Eq, *i as f64)),
        SigmaValue::Float(f) => return Ok(Pattern::Num(NumOp::Eq, *f)),
        SigmaValue::Bool(b) => return Ok(Pattern::Equals(b.to_string(), false)),
        SigmaValue::Null => return Ok(Pattern::Null),
    };
    if mods.contains(&Modifier::Re) {
        let mut flags = String::new();
        if mods.contains(&Modifier::IgnoreCase) {
            flags.push('i');
        }
        if mods.contains(&Modifier::Multiline) {
            flags.push('m');
        }
        if mods.contains(&Modifier::DotAll) {
            flags.push('s');
        }
        let src = if flags.is_empty() { s.original.clone() } else { format!("(?{flags}){}", s.original) };
        // The syntax now (as `regex::Regex` reads it), the compilation when first compared.
        return match regex_syntax::Parser::new().parse(&src) {
            Ok(_) => Ok(Pattern::Regex(LazyRegex::new(src, Some(2 << 20)))),
            Err(e) => {
                Err(format!("regex not supported by Rust's regex crate: {}", first_line(&e.to_string())))
            }
        };
    }
    if mods.contains(&Modifier::Cidr) {
        let (net, bits) = s.original.split_once('/').unwrap_or((&s.original, ""));
        let ip: IpAddr = net.parse().map_err(|_| format!("bad CIDR {:?}", s.original))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits =
            if bits.is_empty() { max } else { bits.parse().map_err(|_| "bad CIDR prefix".to_string())? };
        return Ok(Pattern::Cidr(ip, bits.min(max)));
    }
    if mods.contains(&Modifier::WindAsh) {
        return Err("windash (Windows command-line dashes) is not supported".into());
    }
    let (contains, starts, ends) = (
        mods.contains(&Modifier::Contains),
        mods.contains(&Modifier::StartsWith),
        mods.contains(&Modifier::EndsWith),
    );
    let plain = plain_text(s);
    Ok(match plain {
        Some(p) => {
            let p = if cased { p } else { p.to_lowercase() };
            if contains {
                Pattern::Contains(p, cased)
            } else if starts {
                Pattern::Starts(p, cased)
            } else if ends {
                Pattern::Ends(p, cased)
            } else {
                Pattern::Equals(p, cased)
            }
        }
        None => Pattern::Wildcard(wildcard_regex(s, contains || ends, contains || starts, cased)),
    })
}

fn first_line(s: &str) -> String {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}

/// The string when it has no wildcard.
fn plain_text(s: &SigmaString) -> Option<String> {
    let mut out = String::new();
    for p in &s.parts {
        match p {
            StringPart::Plain(t) => out.push_str(t),
            StringPart::Special(_) => return None,
        }
    }
    Some(out)
}

fn wildcard_regex(s: &SigmaString, open_start: bool, open_end: bool, cased: bool) -> LazyRegex {
    let mut re = String::from(if cased { "(?s)" } else { "(?is)" });
    if !open_start {
        re.push('^');
    }
    for p in &s.parts {
        match p {
            StringPart::Plain(t) => re.push_str(&regex::escape(t)),
            StringPart::Special(SpecialChar::WildcardMulti) => re.push_str(".*"),
            StringPart::Special(SpecialChar::WildcardSingle) => re.push('.'),
        }
    }
    if !open_end {
        re.push('$');
    }
    LazyRegex::new(re, None)
}

fn eval_cond<'a>(
    c: &'a ConditionExpr,
    named: &'a HashMap<String, Det>,
    f: &dyn Fields,
    cache: &mut HashMap<&'a str, bool>,
) -> bool {
    match c {
        ConditionExpr::And(v) => v.iter().all(|x| eval_cond(x, named, f, cache)),
        ConditionExpr::Or(v) => v.iter().any(|x| eval_cond(x, named, f, cache)),
        ConditionExpr::Not(x) => !eval_cond(x, named, f, cache),
        ConditionExpr::Identifier(id) => eval_named(id, named, f, cache),
        ConditionExpr::Selector { quantifier, pattern } => {
            let names: Vec<&String> = selected(named, pattern);
            let hits = names.iter().filter(|n| eval_named(n, named, f, cache)).count();
            match quantifier {
                Quantifier::Any => hits >= 1,
                Quantifier::All => !names.is_empty() && hits == names.len(),
                Quantifier::Count(n) => hits as u64 >= *n,
            }
        }
    }
}

fn selected<'a>(named: &'a HashMap<String, Det>, pattern: &SelectorPattern) -> Vec<&'a String> {
    let mut v: Vec<&String> = named
        .keys()
        .filter(|k| match pattern {
            SelectorPattern::Them => !k.starts_with('_'),
            SelectorPattern::Pattern(p) => rsigma_parser::detection_name_matches(p, k),
        })
        .collect();
    v.sort();
    v
}

fn eval_named<'a>(
    id: &'a str,
    named: &'a HashMap<String, Det>,
    f: &dyn Fields,
    cache: &mut HashMap<&'a str, bool>,
) -> bool {
    if let Some(&v) = cache.get(id) {
        return v;
    }
    let v = named.get(id).is_some_and(|d| eval_det(d, f));
    cache.insert(id, v);
    v
}

fn eval_det(d: &Det, f: &dyn Fields) -> bool {
    match d {
        Det::All(items) => items.iter().all(|i| eval_item(i, f)),
        Det::Any(ds) => ds.iter().any(|x| eval_det(x, f)),
        Det::And(ds) => ds.iter().all(|x| eval_det(x, f)),
        Det::Cond(named, c) => {
            let mut cache = HashMap::new();
            eval_cond(c, named, f, &mut cache)
        }
    }
}

fn eval_item(i: &Item, f: &dyn Fields) -> bool {
    let values = match &i.field {
        Some(name) => f.get(name),
        None => Some(f.text()),
    };
    let one = |p: &Pattern| match (p, &values) {
        (Pattern::Exists(want), v) => v.is_some() == *want,
        (Pattern::Null, v) => v.as_ref().is_none_or(|v| v.iter().all(|s| s.is_empty())),
        (_, None) => false,
        (p, Some(vs)) => vs.iter().any(|s| value_matches(p, s)),
    };
    let r = if i.all { i.patterns.iter().all(one) } else { i.patterns.iter().any(one) };
    r != i.negate
}

fn value_matches(p: &Pattern, s: &str) -> bool {
    let fold = |cased: bool| {
        if cased {
            std::borrow::Cow::Borrowed(s)
        } else {
            std::borrow::Cow::Owned(s.to_lowercase())
        }
    };
    match p {
        Pattern::Contains(n, c) => fold(*c).contains(n.as_str()),
        Pattern::Starts(n, c) => fold(*c).starts_with(n.as_str()),
        Pattern::Ends(n, c) => fold(*c).ends_with(n.as_str()),
        Pattern::Equals(n, c) => *fold(*c) == **n,
        Pattern::Regex(r) | Pattern::Wildcard(r) => r.is_match(s),
        Pattern::Cidr(net, bits) => s.parse::<IpAddr>().is_ok_and(|ip| in_cidr(ip, *net, *bits)),
        Pattern::Num(op, n) => s.trim().parse::<f64>().is_ok_and(|x| match op {
            NumOp::Gt => x > *n,
            NumOp::Gte => x >= *n,
            NumOp::Lt => x < *n,
            NumOp::Lte => x <= *n,
            NumOp::Eq => x == *n,
        }),
        Pattern::Exists(_) | Pattern::Null => false,
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// Shortest anchors worth searching: at least 3 bytes (shorter ones would make most records
/// candidates).
const MIN_ANCHOR: usize = 3;

fn cond_anchors(c: &ConditionExpr, named: &HashMap<String, Det>) -> Option<Vec<String>> {
    match c {
        ConditionExpr::And(v) => best(v.iter().map(|x| cond_anchors(x, named)).collect()),
        ConditionExpr::Or(v) => union(v.iter().map(|x| cond_anchors(x, named)).collect()),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Identifier(id) => named.get(id).and_then(det_anchors),
        ConditionExpr::Selector { quantifier, pattern } => {
            let sets: Vec<Option<Vec<String>>> =
                selected(named, pattern).into_iter().map(|n| named.get(n).and_then(det_anchors)).collect();
            match quantifier {
                Quantifier::All => best(sets),
                _ => union(sets),
            }
        }
    }
}

fn det_anchors(d: &Det) -> Option<Vec<String>> {
    match d {
        Det::All(items) => best(items.iter().map(item_anchors).collect()),
        Det::Any(ds) => union(ds.iter().map(det_anchors).collect()),
        Det::And(ds) => best(ds.iter().map(det_anchors).collect()),
        Det::Cond(named, c) => cond_anchors(c, named),
    }
}

fn item_anchors(i: &Item) -> Option<Vec<String>> {
    if i.negate {
        return None;
    }
    let per: Vec<Option<Vec<String>>> =
        i.patterns.iter().map(|p| pattern_anchor(p).map(|a| vec![a])).collect();
    if i.all {
        best(per)
    } else {
        union(per)
    }
}

fn pattern_anchor(p: &Pattern) -> Option<String> {
    let s = match p {
        Pattern::Contains(s, _) | Pattern::Starts(s, _) | Pattern::Ends(s, _) | Pattern::Equals(s, _) => {
            s.clone()
        }
        Pattern::Regex(r) | Pattern::Wildcard(r) => longest_literal_of_regex(&r.src)?,
        _ => return None,
    };
    let s = s.to_lowercase();
    (s.len() >= MIN_ANCHOR && s.len() <= crate::logscan::prefilter::MAX_LITERAL && !s.contains('\n'))
        .then_some(s)
}

/// The longest run of plain characters in a wildcard regex we built (`(?is)^a.*bc$`), or in
/// a simple user regex without alternation or classes.
fn longest_literal_of_regex(src: &str) -> Option<String> {
    let body = src.trim_start_matches("(?is)").trim_start_matches("(?s)");
    if body.contains('|') || body.contains('[') || body.contains('(') {
        return None;
    }
    let mut best = String::new();
    let mut cur = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if n.is_ascii_punctuation() => cur.push(n),
                _ => cur.clear(),
            },
            '.' | '^' | '$' => {
                if cur.len() > best.len() {
                    best = cur.clone();
                }
                cur.clear();
            }
            '*' | '+' | '?' | '{' => {
                // The last char is optional / repeated: drop it.
                cur.pop();
                if cur.len() > best.len() {
                    best = cur.clone();
                }
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if cur.len() > best.len() {
        best = cur;
    }
    (!best.is_empty()).then_some(best)
}

/// Words on most lines of a web or application log: as anchors they would make nearly every
/// record a candidate.
const COMMON: &[&str] = &[
    "get",
    "post",
    "head",
    "put",
    "delete",
    "options",
    "http",
    "https",
    "http:",
    "https:",
    "http://",
    "https://",
    "http/1.1",
    "http/1.0",
    "mozilla",
    "mozilla/5.0",
    "mozilla/4.0",
    "curl",
    "wget",
    "html",
    ".html",
    ".htm",
    ".php",
    ".js",
    ".css",
    ".png",
    ".jpg",
    ".gif",
    ".com",
    ".net",
    ".org",
    "www",
    "www.",
    "index",
    "/index",
    "login",
    "/api",
    "api/",
    "/static",
    "user",
    "admin",
    "/admin",
    "error",
    "info",
    "warn",
    "debug",
    "true",
    "false",
    "null",
    "safari",
    "chrome",
    "gecko",
    "windows",
    "windows nt",
    "linux",
    "applewebkit",
    "khtml",
    "like gecko",
    "compatible",
    ".to",
    ".io",
    ".co",
];

/// Whether a literal is too frequent in ordinary logs to anchor a rule.
pub(crate) fn too_common(lit: &str) -> bool {
    let l = lit.trim().to_ascii_lowercase();
    l.len() < MIN_ANCHOR || COMMON.contains(&l.as_str()) || l.bytes().all(|b| b.is_ascii_digit())
}

/// Estimated cost of searching a set: long and rare literals are cheap.
fn cost(set: &[String]) -> u64 {
    set.iter().map(|l| if too_common(l) { 1_000_000 } else { 1024u64 >> l.len().min(10) }).sum()
}

/// AND: one child's anchors are enough; take the cheapest set.
fn best(sets: Vec<Option<Vec<String>>>) -> Option<Vec<String>> {
    sets.into_iter().flatten().filter(|s| !s.is_empty()).min_by_key(|s| cost(s))
}

/// OR: every branch needs an anchor.
fn union(sets: Vec<Option<Vec<String>>>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for s in sets {
        let s = s?;
        if s.is_empty() {
            return None;
        }
        out.extend(s);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ev(Vec<(&'static str, &'static str)>, &'static str);
    impl Fields for Ev {
        fn get(&self, field: &str) -> Option<Vec<String>> {
            let v: Vec<String> =
                self.0.iter().filter(|(k, _)| *k == field).map(|(_, v)| v.to_string()).collect();
            (!v.is_empty()).then_some(v)
        }
        fn text(&self) -> Vec<String> {
            vec![self.1.to_string()]
        }
    }

    fn compile(yaml: &str) -> Compiled {
        let c = rsigma_parser::parse_sigma_yaml(yaml).unwrap();
        let known = |f: &str| -> Option<&'static str> {
            match f {
                "cs-uri-query" => Some("cs-uri-query"),
                "cs-method" => Some("cs-method"),
                "sc-status" => Some("sc-status"),
                "c-ip" => Some("c-ip"),
                _ => None,
            }
        };
        Compiled::new(&c.rules[0].detection, &known).unwrap()
    }

    const HEAD: &str = "title: t\nlogsource:\n  category: webserver\n";

    #[test]
    fn conditions_modifiers_and_anchors() {
        let c = compile(&format!(
            "{HEAD}detection:\n  sel:\n    cs-uri-query|contains:\n      - '/../'\n      - 'etc/passwd'\n    cs-method: GET\n  filter:\n    sc-status: 404\n  condition: sel and not filter\n"
        ));
        assert!(
            c.matches(&Ev(vec![("cs-uri-query", "a=/../x"), ("cs-method", "get"), ("sc-status", "200")], ""))
        );
        assert!(!c
            .matches(&Ev(vec![("cs-uri-query", "a=/../x"), ("cs-method", "GET"), ("sc-status", "404")], "")));
        assert!(!c.matches(&Ev(vec![("cs-uri-query", "a=b"), ("cs-method", "GET")], "")));
        assert_eq!(c.anchors(), Some(vec!["/../".to_string(), "etc/passwd".to_string()]));
        let k = compile(&format!("{HEAD}detection:\n  keywords:\n    - '${{jndi:ldap:/'\n    - '*whoami*'\n  condition: keywords\n"));
        assert!(k.matches(&Ev(vec![], "GET /?x=${JNDI:ldap://a")));
        assert!(!k.matches(&Ev(vec![], "nothing")));
        assert_eq!(k.anchors(), Some(vec!["${jndi:ldap:/".to_string(), "whoami".to_string()]));
        let all = compile(&format!(
            "{HEAD}detection:\n  a:\n    cs-uri-query|contains|all: ['union', 'select']\n  b:\n    c-ip|cidr: '10.0.0.0/8'\n  condition: 1 of a* or all of b\n"
        ));
        assert!(all.matches(&Ev(vec![("cs-uri-query", "1 UNION SELECT")], "")));
        assert!(!all.matches(&Ev(vec![("cs-uri-query", "1 union")], "")));
        assert!(all.matches(&Ev(vec![("c-ip", "10.2.3.4")], "")));
        // `b` has no literal: the OR cannot be anchored.
        assert_eq!(all.anchors(), None);
    }

    #[test]
    fn unknown_fields_and_encodings_are_reasons() {
        let c = rsigma_parser::parse_sigma_yaml(&format!(
            "{HEAD}detection:\n  sel:\n    cs-cookie|contains: x\n  condition: sel\n"
        ))
        .unwrap();
        let err = Compiled::new(&c.rules[0].detection, &|_| None).unwrap_err();
        assert!(err.contains("cs-cookie"), "{err}");
        assert_eq!(longest_literal_of_regex("(?is)^abc.*defgh$").as_deref(), Some("defgh"));
        assert_eq!(longest_literal_of_regex("a|b"), None);
    }
}
