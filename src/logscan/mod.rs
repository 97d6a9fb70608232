//! Log scanning: every log of a bundle (json-file, `docker logs -t`, plain application
//! logs, and log files inside filesystem tars) streamed through one compiled signature
//! engine; hits with proof, decoded payloads, JNDI lookups taken apart, IOCs per bundle.
//! How a log's bytes become records is its framing ([`framing`], one file each, chosen per
//! artifact kind in [`framing::registry`]); [`stream`] reads any log through its framing
//! into [`records`]; this file picks each artifact's reading and sums the scans up.

pub(crate) mod decode;
mod engine;
pub(crate) mod followup;
pub mod framing;
pub(crate) mod http;
pub(crate) mod ioc;
pub(crate) mod jndi;
pub(crate) mod logness;
mod prefilter;
pub(crate) mod records;
pub mod rules;
pub(crate) mod scanner_tools;
pub(crate) mod sigma;
pub mod stream;
pub(crate) mod syslog_year;
pub(crate) mod tarlogs;
pub(crate) mod time;
mod window_rates;

use std::collections::BTreeMap;
use std::io::Read;

use rayon::prelude::*;
use serde::Serialize;

pub use engine::{Engine, RuleFileError};
pub use prefilter::FilterStats;
pub use records::{ScanConfig, StreamScan};
pub use stream::scan_reader;
pub(crate) use stream::{artifact_scan, SourceScan};

use crate::evidence::{Artifact, ArtifactKind};
use crate::model::{
    is_rotated_log, rotation_key, Diagnostic, Finding, Locator, Outcome, Severity, Timestamp,
};
use framing::json_file::JsonFile;
use framing::local::Local;
use framing::registry::{self, Reading};
use framing::text::Text;
use framing::Framing;
use ioc::{Ioc, IocKind, IocRef};
use jndi::JndiInfo;

/// Hits kept in a bundle report (all are counted in findings).
pub(crate) const MAX_REPORTED_HITS: usize = 10_000;
/// Proof locators listed per finding.
const FINDING_EVIDENCE: usize = 20;

/// One signature hit in a log, with its proof.
#[derive(Clone, Debug, Serialize)]
pub struct LogHit {
    /// Artifact, tar members (for logs inside a filesystem tar), line and byte offset of
    /// the record (for json-file: the first record of a joined message).
    pub locator: Locator,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// json-file stream (`stdout` / `stderr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    pub rule: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<String>,
    /// The record around the match (at most 300 bytes; invalid UTF-8 as `\xNN`).
    pub excerpt: String,
    /// The record after URL / escape / entity decoding, when that changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// Commands decoded from base64 blobs or JNDIExploit paths (for a hit found inside a
    /// decoded command: that command).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jndi: Option<JndiInfo>,
    /// `type:value` of the indicators this hit carries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub iocs: Vec<String>,
    /// The same indicators typed, with the role each plays in the record (not serialized:
    /// `iocs` is the contract; the story reads these).
    #[serde(skip)]
    pub refs: Vec<IocRef>,
    /// The HTTP request the record describes (web-server access and error logs): client,
    /// method, path, query, status, response size, Host / Referer / User-Agent as logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<http::HttpRequest>,
    /// How the year of a syslog `time` (RFC 3164 carries none) was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_basis: Option<syslog_year::YearBasis>,
    /// For a Sigma rule: its title, id and author (Detection Rule License 1.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
}

/// The log part of a bundle report (flattened into the bundle JSON).
#[derive(Clone, Debug, Default, Serialize)]
pub struct LogSection {
    /// Sorted by artifact (rotated json-file logs oldest first), members, line, rule.
    pub log_hits: Vec<LogHit>,
    /// Indicators over all hits, sorted by type then value, whatever side they are on
    /// (the bundle's `iocs` keep the attacker-side ones).
    #[serde(rename = "log_indicators")]
    pub iocs: Vec<Ioc>,
    /// What was scanned: one entry per log (artifact or tar member).
    pub logs_scanned: Vec<ScannedLog>,
    /// Text artifacts of a directory or archive bundle that are documentation or source,
    /// not logs: not signature-scanned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_logs: Vec<logness::NotALog>,
    #[serde(skip)]
    pub outcome: Outcome,
}

/// One log that was scanned.
#[derive(Clone, Debug, Serialize)]
pub struct ScannedLog {
    pub locator: Locator,
    pub format: &'static str,
    pub bytes: u64,
    pub lines: u64,
    pub hits: u64,
    /// A runtime's log (json-file, CRI, `local`): first and last record, records per stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<crate::model::LogSpan>,
}

/// Scan every log of a bundle: log artifacts, and log files inside filesystem / layer tars.
pub fn scan_logs(artifacts: &[&Artifact], engine: &Engine) -> LogSection {
    scan_logs_with(artifacts, engine, &ScanConfig::default())
}

/// [`scan_logs`] with explicit tuning.
pub(crate) fn scan_logs_with(artifacts: &[&Artifact], engine: &Engine, cfg: &ScanConfig) -> LogSection {
    build_section(bundle_sources(artifacts, engine, cfg), engine)
}

/// The scans of every log of a bundle, before they are summed up by [`build_section`] (so
/// more sources, e.g. logs in an image's committed layer, can join them).
pub(crate) fn bundle_sources(artifacts: &[&Artifact], engine: &Engine, cfg: &ScanConfig) -> Vec<SourceScan> {
    let mut ordered: Vec<&Artifact> = artifacts.to_vec();
    ordered.sort_by_key(|a| rotation_key(&a.path));
    // The files of one rotated log (json-file, CRI; oldest first) are one container's
    // streams: read in turn, a message the older file left open is completed by the next.
    // An artifact not read as a log has no group (a million loose files had one each), but
    // still ends the group before it.
    let mut groups: Vec<Vec<&Artifact>> = vec![];
    let mut open = false;
    for a in ordered {
        let Some(reading) = registry::for_kind(a.kind) else {
            open = false;
            continue;
        };
        let rotated = matches!(reading, Reading::Framed(f) if f.rotated());
        match groups.last_mut() {
            Some(g)
                if open
                    && rotated
                    && g[0].kind == a.kind
                    && rotation_key(&g[0].path).0 == rotation_key(&a.path).0 =>
            {
                g.push(a)
            }
            _ => groups.push(vec![a]),
        }
        open = true;
    }
    let sources: Vec<Vec<SourceScan>> = groups
        .par_iter()
        .map(|g| {
            let a = g[0];
            match registry::for_kind(a.kind) {
                Some(Reading::Framed(f)) if f.rotated() => rotated_scan(g, f, engine, cfg),
                Some(Reading::Framed(f)) => vec![artifact_scan(a, f, engine, cfg)],
                Some(Reading::Sniffed) => vec![artifact_scan(a, head_framing(a), engine, cfg)],
                Some(Reading::TarMembers) => tarlogs::scan_artifact_tar(a, engine, cfg),
                None => vec![],
            }
        })
        .collect();
    let mut sources: Vec<SourceScan> = sources.into_iter().flatten().collect();
    followup::attach_statuses(&mut sources, artifacts);
    sources
}

/// An artifact given to `ctriage logs`: logs as sniffed; a file given alone (`single`) is a
/// log whatever it was sniffed as (the analyst said so); tars have their log members
/// scanned. Unlike in a bundle, only json-file and `local` logs are read as their kind says
/// (their heads would sniff as text): CRI and journal logs are read as their heads say.
pub(crate) fn scan_given_log(
    a: &Artifact,
    engine: &Engine,
    cfg: &ScanConfig,
    single: bool,
) -> Vec<SourceScan> {
    let framing = match registry::for_kind(a.kind) {
        Some(Reading::TarMembers) => return tarlogs::scan_artifact_tar(a, engine, cfg),
        Some(Reading::Framed(f)) if matches!(a.kind, ArtifactKind::JsonFileLog | ArtifactKind::LocalLog) => f,
        Some(_) => head_framing(a),
        None if matches!(a.kind, ArtifactKind::Link | ArtifactKind::Special | ArtifactKind::Empty) => {
            return vec![]
        }
        None if single || a.kind == ArtifactKind::Unknown => &Text,
        None => return vec![],
    };
    vec![artifact_scan(a, framing, engine, cfg)]
}

/// The files of one rotated log, oldest first, with open partial messages carried on.
fn rotated_scan(
    files: &[&Artifact],
    framing: &'static dyn Framing,
    engine: &Engine,
    cfg: &ScanConfig,
) -> Vec<SourceScan> {
    let mut carry = records::Carry::default();
    let mut out = vec![];
    for (i, a) in files.iter().enumerate() {
        let loc = a.locator();
        let last = i + 1 == files.len();
        let (scan, next) = stream::scan_artifact_carried(a, framing, engine, cfg, carry, last);
        carry = next;
        out.push(SourceScan { locator: loc, format: framing, scan });
    }
    out
}

/// The framing of a text log's first bytes: CRI (`<time> stdout F msg`, with partial lines
/// to join), a journal export, or plain text (never json-file nor `local`: its kind said
/// it is not one).
fn head_framing(a: &Artifact) -> &'static dyn Framing {
    let mut head = Vec::with_capacity(4096);
    match a.open() {
        Ok(r) => {
            let _ = r.take(4096).read_to_end(&mut head);
            match registry::sniff(&head) {
                f if [JsonFile.name(), Local.name()].contains(&f.name()) => &Text,
                f => f,
            }
        }
        Err(_) => &Text,
    }
}

/// Syslog records still without a year once their own log was read (no dated record in
/// it) get one: from the newest time of the bundle's evidence (`evidence_newest`, e.g. its
/// containers' records, and every dated log record and span of `sources`), else from the
/// log file's capture time (its artifact's mtime); either way never after it. Each log says
/// in a diagnostic how many were dated from what, and how many stay undated.
pub(crate) fn date_syslog_years(
    sources: &mut [SourceScan],
    artifacts: &[&Artifact],
    evidence_newest: Option<Timestamp>,
) {
    use syslog_year::YearBasis;
    let from_logs = sources
        .iter()
        .flat_map(|s| {
            let dated = s.scan.hits.iter().filter(|h| h.syslog.is_none()).filter_map(|h| h.time);
            dated.chain(s.scan.span.as_ref().and_then(|sp| sp.last))
        })
        .max();
    let newest = evidence_newest.max(from_logs);
    for s in sources.iter_mut() {
        if !s.scan.hits.iter().any(|h| h.time.is_none() && h.syslog.is_some()) {
            continue;
        }
        let capture = artifacts.iter().find(|a| a.path == s.locator.artifact).and_then(|a| a.mtime);
        let (reference, basis) = match (newest, capture) {
            (Some(t), _) => (Some(t), YearBasis::Bundle),
            (None, Some(t)) => (Some(t), YearBasis::CaptureTime),
            (None, None) => (None, YearBasis::CaptureTime),
        };
        let (mut dated, mut undated) = (0u64, 0u64);
        for h in s.scan.hits.iter_mut().filter(|h| h.time.is_none()) {
            let Some(st) = h.syslog else { continue };
            match reference.and_then(|r| st.not_after(r)) {
                Some(t) => {
                    (h.time, h.time_basis) = (Some(t), Some(basis));
                    dated += 1;
                }
                None => undated += 1,
            }
        }
        if dated > 0 {
            let r = reference.map(|r| r.to_iso_seconds()).unwrap_or_default();
            s.scan.diagnostics.push(Diagnostic::warning(
                s.locator.clone(),
                format!(
                    "{dated} syslog record(s) with hits carry no year and no dated line of this log dates them: {} ({r}), the latest year not after it",
                    basis.describe()
                ),
            ));
        }
        if undated > 0 {
            s.scan.diagnostics.push(Diagnostic::warning(
                s.locator.clone(),
                format!("{undated} syslog record(s) with hits carry no year and nothing in the evidence dates them: their time is unknown (--syslog-year gives one)"),
            ));
        }
    }
}

/// Merge scans into the section: hits sorted and capped, IOCs, findings (one per rule per
/// source), timeline events and diagnostics.
pub(crate) fn build_section(sources: Vec<SourceScan>, engine: &Engine) -> LogSection {
    let rules = engine.rules();
    let mut outcome = Outcome::default();
    let mut logs_scanned = Vec::new();
    let mut raw = Vec::new();
    // The user's Sigma rules that cannot be used, said in every report they could have
    // changed (the bundled set's refusals are listed by `rules list`).
    outcome.diagnostics.extend(
        engine.sigma().unsupported.iter().filter(|u| !u.origin.starts_with(sigma::BUNDLED_ORIGIN)).map(|u| {
            let title = if u.title.is_empty() { String::new() } else { format!(" {:?}", u.title) };
            Diagnostic::warning(
                Locator::artifact(u.origin.clone()),
                format!("--sigma rule{title} not used: {}", u.reason),
            )
        }),
    );
    let mut groups: BTreeMap<(usize, Locator), Group> = BTreeMap::new();
    let mut scanner_groups: BTreeMap<(usize, String), scanner_tools::ScannerSource> = BTreeMap::new();
    for s in sources {
        for ((rule, client), t) in &s.scan.scanner_sources {
            let g = scanner_groups.entry((*rule, client.clone())).or_default();
            g.tally.merge(t);
            g.logs.insert(s.locator.to_string());
        }
        let total: u64 = s.scan.counts.values().sum();
        logs_scanned.push(ScannedLog {
            locator: s.locator.clone(),
            format: s.format.name(),
            bytes: s.scan.bytes,
            lines: s.scan.newlines,
            hits: total,
            span: s.scan.span.clone().map(|mut span| {
                span.files = 1;
                let whole = s.locator.members.is_empty();
                span.rotated_files = u64::from(whole && is_rotated_log(&s.locator.artifact));
                span
            }),
        });
        outcome.diagnostics.extend(s.scan.diagnostics);
        for (&rule, &count) in &s.scan.counts {
            if !scanner_tools::is_scanner(&rules[rule]) {
                groups.entry((rule, s.locator.clone())).or_default().count += count;
            }
        }
        let kept = s.scan.hits.len() as u64;
        if kept < total {
            outcome.diagnostics.push(Diagnostic::warning(
                s.locator.clone(),
                format!(
                    "{total} hits; only the first {kept} are listed (limit --max-hits, per rule and file; all are counted in findings)"
                ),
            ));
        }
        for h in s.scan.hits {
            if scanner_tools::is_scanner(&rules[h.rule]) {
                let client = h.found.http.as_ref().and_then(|r| r.client.clone()).unwrap_or_default();
                if let Some(g) = scanner_groups.get_mut(&(h.rule, client)) {
                    if g.evidence.len() < FINDING_EVIDENCE {
                        g.evidence.push(h.locator.clone());
                    }
                }
                raw.push(h);
                continue;
            }
            let g = groups.entry((h.rule, s.locator.clone())).or_default();
            if let Some(t) = h.time {
                g.first = Some(g.first.map_or(t, |f| f.min(t)));
                g.last = Some(g.last.map_or(t, |l| l.max(t)));
            }
            if g.evidence.len() < FINDING_EVIDENCE {
                g.evidence.push(h.locator.clone());
            }
            if g.example.is_empty() {
                g.example = example(&h);
            }
            raw.push(h);
        }
    }
    // Rotated logs oldest first (`-json.log.2`, `.1`, then the current one), then by place.
    raw.sort_by_cached_key(|h| (rotation_key(&h.locator.artifact), h.locator.clone(), h.rule));
    if raw.len() > MAX_REPORTED_HITS {
        outcome.diagnostics.push(Diagnostic::warning(
            Locator::default(),
            format!("{} log hits; only the first {MAX_REPORTED_HITS} are listed", raw.len()),
        ));
        raw.truncate(MAX_REPORTED_HITS);
    }
    let iocs =
        ioc::aggregate(raw.iter().enumerate().map(|(i, h)| (i, h.time, &h.locator, h.iocs.as_slice())));
    let log_hits: Vec<LogHit> = raw
        .into_iter()
        .map(|h| {
            let r = &rules[h.rule];
            LogHit {
                locator: h.locator,
                time: h.time,
                stream: h.stream,
                rule: r.id.clone(),
                title: r.title.clone(),
                category: r.category.clone(),
                severity: r.severity,
                attack: r.attack.clone(),
                excerpt: h.excerpt,
                decoded: h.found.decoded,
                commands: h.found.commands,
                jndi: h.found.jndi,
                http: h.found.http,
                time_basis: h.time_basis,
                credit: r.credit(),
                refs: h.iocs.clone(),
                // One entry per indicator: the same value in two roles is listed once.
                iocs: h
                    .iocs
                    .iter()
                    .map(|i| format!("{}:{}", kind_name(i.kind), i.value))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            }
        })
        .collect();
    for ((rule, source), Group { count, first, last, evidence, example }) in groups {
        let r = &rules[rule];
        let when = match (first, last) {
            (Some(f), Some(l)) if f != l => format!(" between {f} and {l}"),
            (Some(f), _) => format!(" at {f}"),
            _ => String::new(),
        };
        outcome.findings.push(Finding {
            actor: None,
            rule: format!("log.{}", r.id),
            severity: r.severity,
            category: r.category.clone(),
            title: r.title.clone(),
            summary: match r.credit() {
                Some(c) => format!("{count} log record(s) in {source}{when}; e.g. {example}. {c}"),
                None => format!("{count} log record(s) in {source}{when}; e.g. {example}"),
            },
            attack: r.attack.clone(),
            time: first,
            evidence,
            subject: Some(r.id.clone()),
            owner: None,
            iocs: vec![],
            kind: r.kind,
        });
    }
    outcome.findings.extend(scanner_tools::findings(rules, scanner_groups));
    LogSection { log_hits, iocs, logs_scanned, not_logs: vec![], outcome }
}

/// Hits of one rule in one log, summed up for its finding.
#[derive(Default)]
struct Group {
    count: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    evidence: Vec<Locator>,
    example: String,
}

fn example(h: &records::RawHit) -> String {
    let s = if let Some(j) = &h.found.jndi {
        match &j.command {
            Some(c) => format!("{} (runs: {c})", j.decoded),
            None => j.decoded.clone(),
        }
    } else if let Some(c) = h.found.commands.first() {
        format!("decoded command: {c}")
    } else if let Some(d) = &h.found.decoded {
        d.clone()
    } else {
        h.excerpt.clone()
    };
    crate::model::excerpt(s.as_bytes(), 0, 0, 200)
}

fn kind_name(k: IocKind) -> &'static str {
    k.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_logs_sort_oldest_first() {
        let mut v = vec!["c/x-json.log", "c/x-json.log.1", "c/x-json.log.10.gz", "c/x-json.log.2", "a.log"];
        v.sort_by_key(|p| rotation_key(p));
        assert_eq!(
            v,
            vec!["a.log", "c/x-json.log.10.gz", "c/x-json.log.2", "c/x-json.log.1", "c/x-json.log"]
        );
    }
}
