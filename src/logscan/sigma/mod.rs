//! Sigma rules (SigmaHQ YAML, parsed with the `rsigma-parser` crate): the bundled default set
//! and `--sigma DIR`. Rules for `category: webserver` / `proxy` become log-engine rules whose
//! anchor literals join the one aho-corasick automaton and whose detection is evaluated on
//! the parsed request of a candidate record; `category: process_creation` / `product: linux`
//! rules are evaluated on process captures. A rule that cannot be evaluated faithfully is
//! listed with the reason, never silently dropped. Matches credit the rule's title, id and
//! author (Detection Rule License 1.1).

pub(crate) mod detection;
pub(crate) mod matcher;

use std::path::Path;
use std::sync::Arc;

use rsigma_parser::{Level, SigmaRule};

use super::rules::{Check, LogRule};
use crate::ingest::top::{Process, ProcessCapture};
use crate::model::{Finding, Severity};
use detection::{audit_field, web_field};
pub(crate) use detection::{SigmaDetection, SigmaTarget};
use matcher::{Compiled, Fields};

/// The bundled rules: one YAML document per rule, each after a `# file: <path>` line.
pub(crate) const BUNDLED: &str = include_str!("bundled.yml");
/// Name the bundled rules are reported under.
pub(crate) const BUNDLED_ORIGIN: &str = "bundled-sigma";

/// A rule that was read but cannot be used, with why.
#[derive(Clone, Debug)]
pub(crate) struct Unsupported {
    pub origin: String,
    pub title: String,
    pub reason: String,
}

/// Every Sigma rule loaded.
#[derive(Debug, Default)]
pub(crate) struct SigmaSet {
    pub rules: Vec<Arc<SigmaDetection>>,
    pub unsupported: Vec<Unsupported>,
}

impl SigmaSet {
    /// The bundled default set.
    pub(crate) fn bundled() -> Self {
        use rayon::prelude::*;
        let mut set = SigmaSet::default();
        // Parsing the YAML is most of the set's cost: the documents are parsed in parallel,
        // then added in order.
        let docs = split_bundle(BUNDLED);
        let parsed: Vec<_> = docs.par_iter().map(|(_, doc)| rsigma_parser::parse_sigma_yaml(doc)).collect();
        for ((path, _), p) in docs.iter().zip(parsed) {
            set.add_parsed(&format!("{BUNDLED_ORIGIN}:{path}"), path, p, true);
        }
        set
    }

    /// Add every `*.yml` / `*.yaml` under `dir` (sorted, so the order is stable).
    pub(crate) fn add_dir(&mut self, dir: &Path) -> std::io::Result<()> {
        let mut files: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "yml" || x == "yaml")
            })
            .map(|e| e.into_path())
            .collect();
        if files.is_empty() && !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is not a directory", dir.display()),
            ));
        }
        files.sort();
        for f in files {
            let origin = f.display().to_string();
            match std::fs::read_to_string(&f) {
                Ok(text) => self.add_document(&origin, &origin, &text),
                Err(e) => self.unsupported.push(Unsupported {
                    origin,
                    title: String::new(),
                    reason: format!("cannot read: {e}"),
                }),
            }
        }
        Ok(())
    }

    /// A user's rule file: every regex compiled as it is read.
    pub(crate) fn add_document(&mut self, origin: &str, path: &str, text: &str) {
        self.add_parsed(origin, path, rsigma_parser::parse_sigma_yaml(text), false);
    }

    fn add_parsed(
        &mut self,
        origin: &str,
        path: &str,
        parsed: rsigma_parser::Result<rsigma_parser::SigmaCollection>,
        bundled: bool,
    ) {
        let collection = match parsed {
            Ok(c) => c,
            Err(e) => {
                self.unsupported.push(Unsupported {
                    origin: origin.to_string(),
                    title: String::new(),
                    reason: format!("not a Sigma rule: {}", one_line(&e.to_string())),
                });
                return;
            }
        };
        for e in &collection.errors {
            self.unsupported.push(Unsupported {
                origin: origin.to_string(),
                title: String::new(),
                reason: format!("parse error: {}", one_line(e)),
            });
        }
        for c in &collection.correlations {
            self.unsupported.push(Unsupported {
                origin: origin.to_string(),
                title: c.title.clone(),
                reason: "correlation rules are not evaluated".into(),
            });
        }
        for f in &collection.filters {
            self.unsupported.push(Unsupported {
                origin: origin.to_string(),
                title: f.title.clone(),
                reason: "filter rules are not applied".into(),
            });
        }
        let stem = Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let many = collection.rules.len() > 1;
        for (i, r) in collection.rules.iter().enumerate() {
            let id = if many { format!("{stem}-{}", i + 1) } else { stem.clone() };
            match compile(r, &id, origin, bundled) {
                Ok(d) => {
                    if self.rules.iter().any(|o| o.rule_id == d.rule_id) {
                        self.unsupported.push(Unsupported {
                            origin: origin.to_string(),
                            title: r.title.clone(),
                            reason: format!("duplicate rule name {:?} (first one kept)", d.rule_id),
                        });
                    } else {
                        self.rules.push(Arc::new(d));
                    }
                }
                Err(reason) => self.unsupported.push(Unsupported {
                    origin: origin.to_string(),
                    title: r.title.clone(),
                    reason,
                }),
            }
        }
    }

    /// The web rules as log-engine rules (anchor literals + a Sigma confirm step).
    pub(crate) fn engine_rules(&self) -> Vec<LogRule> {
        self.rules
            .iter()
            .filter(|d| !matches!(d.target, SigmaTarget::Process | SigmaTarget::K8sAudit))
            .map(|d| LogRule {
                kind: super::rules::engine_kind(&d.rule_id),
                id: d.rule_id.clone(),
                title: format!("{} (Sigma)", d.title),
                category: d.category.clone(),
                severity: d.level,
                attack: d.attack.clone(),
                case_sensitive: false,
                literals: d.anchors.iter().map(|a| a.as_bytes().to_vec()).collect(),
                confirm: vec![Check::Sigma(d.clone())],
                exclude: Vec::new(),
                superseded_by: Vec::new(),
                origin: d.origin.clone(),
            })
            .collect()
    }
}

/// The `# file:` documents of the bundle.
fn split_bundle(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(p) = rest.find("# file: ") {
        let after = &rest[p + 8..];
        let eol = after.find('\n').unwrap_or(after.len());
        let path = after[..eol].trim();
        let body_start = &after[eol..];
        let end = body_start.find("\n# file: ").unwrap_or(body_start.len());
        let body = body_start[..end].trim_end().trim_end_matches("---");
        out.push((path, body));
        rest = &body_start[end..];
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One rule; a user's (not `bundled`) has every regex compiled now.
fn compile(r: &SigmaRule, stem: &str, origin: &str, bundled: bool) -> Result<SigmaDetection, String> {
    let ls = &r.logsource;
    let cat = ls.category.as_deref().unwrap_or("");
    let product = ls.product.as_deref().unwrap_or("");
    let target = match (cat, product) {
        (_, "kubernetes") if ls.service.as_deref() == Some("audit") => SigmaTarget::K8sAudit,
        ("webserver", _) => SigmaTarget::Web,
        ("proxy", _) => SigmaTarget::Proxy,
        ("process_creation", "linux") => SigmaTarget::Process,
        _ => {
            return Err(format!(
                "log source (category {:?}, product {:?}, service {:?}) is not one ctriage evaluates",
                ls.category.as_deref().unwrap_or("-"),
                ls.product.as_deref().unwrap_or("-"),
                ls.service.as_deref().unwrap_or("-")
            ))
        }
    };
    let known: &dyn Fn(&str) -> Option<&'static str> = match target {
        SigmaTarget::Web | SigmaTarget::Proxy => &web_field,
        SigmaTarget::Process => &process_field,
        SigmaTarget::K8sAudit => &audit_field,
    };
    let compiled = Compiled::new(&r.detection, known)?;
    if !bundled {
        compiled.compile_all()?;
    }
    let anchors = match target {
        SigmaTarget::Web | SigmaTarget::Proxy => compiled.anchors().ok_or(
            "no literal every match must contain: it would be evaluated on every record (ctriage searches literals first)",
        )?,
        SigmaTarget::Process | SigmaTarget::K8sAudit => compiled.anchors().unwrap_or_default(),
    };
    if !matches!(target, SigmaTarget::Process | SigmaTarget::K8sAudit) {
        if let Some(c) = anchors.iter().find(|a| matcher::too_common(a)) {
            return Err(format!(
                "its only anchors include {c:?}, found on most lines of a web log: it would be evaluated on nearly every record"
            ));
        }
    }
    let level = match r.level {
        Some(Level::Informational) | None => Severity::Info,
        Some(Level::Low) => Severity::Low,
        Some(Level::Medium) => Severity::Medium,
        Some(Level::High) => Severity::High,
        Some(Level::Critical) => Severity::Critical,
    };
    let tactic = r.tags.iter().find_map(|t| {
        let t = t.strip_prefix("attack.")?;
        (!t.starts_with('t') || !t[1..].starts_with(|c: char| c.is_ascii_digit()))
            .then(|| t.replace('_', "-"))
    });
    let attack = r.tags.iter().find_map(|t| {
        let t = t.strip_prefix("attack.t")?;
        let ok = t.len() >= 4 && t.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then(|| format!("T{t}"))
    });
    let safe: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    Ok(SigmaDetection {
        target,
        rule_id: format!("sigma.{safe}"),
        sigma_id: r.id.clone(),
        title: r.title.clone(),
        author: r.author.clone(),
        level,
        category: tactic.unwrap_or_else(|| "sigma".into()),
        attack,
        origin: origin.to_string(),
        compiled,
        anchors,
    })
}

fn process_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "Image" => "Image",
        "CommandLine" => "CommandLine",
        "ParentImage" => "ParentImage",
        "ParentCommandLine" => "ParentCommandLine",
        "User" => "User",
        "ProcessId" => "ProcessId",
        "ParentProcessId" => "ParentProcessId",
        _ => return None,
    })
}

struct ProcFields<'a> {
    p: &'a Process,
    parent: Option<&'a Process>,
}

/// Sigma's `Image` is a full path; a capture may show only `bash`: it is also offered as
/// `/bash`, so `Image|endswith: '/bash'` holds.
fn image_of(p: &Process) -> Vec<String> {
    let argv0 = p.cmd.split_whitespace().next().unwrap_or(&p.exe).trim_start_matches('-').to_string();
    let mut v = vec![argv0.clone()];
    if !argv0.contains('/') {
        v.push(format!("/{argv0}"));
    }
    if !p.exe.is_empty() && !v.iter().any(|x| x.ends_with(&format!("/{}", p.exe))) {
        v.push(format!("/{}", p.exe));
    }
    v
}

impl Fields for ProcFields<'_> {
    fn get(&self, field: &str) -> Option<Vec<String>> {
        match field {
            "Image" => Some(image_of(self.p)),
            "CommandLine" => Some(vec![self.p.cmd.clone()]),
            "ParentImage" => self.parent.map(image_of),
            "ParentCommandLine" => self.parent.map(|p| vec![p.cmd.clone()]),
            "User" => self.p.user.clone().map(|u| vec![u]),
            "ProcessId" => Some(vec![self.p.pid.to_string()]),
            "ParentProcessId" => self.p.ppid.map(|p| vec![p.to_string()]),
            _ => None,
        }
    }

    fn text(&self) -> Vec<String> {
        vec![self.p.cmd.clone()]
    }
}

/// Sigma `process_creation` / `linux` matches on one process capture: one finding per rule,
/// capture and container the source names (a sensor export covers many), every matching
/// process as evidence.
pub(crate) fn process_findings(capture: &ProcessCapture, set: &SigmaSet) -> Vec<Finding> {
    let by_pid: std::collections::HashMap<u32, &Process> =
        capture.processes.iter().map(|p| (p.pid, p)).collect();
    let mut out = Vec::new();
    for d in set.rules.iter().filter(|d| d.target == SigmaTarget::Process) {
        let mut groups: std::collections::BTreeMap<Option<&crate::model::ContainerRef>, Vec<&Process>> =
            Default::default();
        for p in &capture.processes {
            let parent = p.ppid.and_then(|pp| by_pid.get(&pp).copied());
            if d.compiled.matches(&ProcFields { p, parent }) {
                groups.entry(p.container.as_ref()).or_default().push(p);
            }
        }
        for (container, hits) in groups {
            let first = hits[0];
            // The finding says what the rule's declaration says (`rules list` shows the same).
            let def = d.process_def();
            out.push(Finding {
                actor: None,
                rule: def.id.into_owned(),
                severity: def.severity,
                category: def.category.into_owned(),
                title: def.title.into_owned(),
                summary: format!(
                    "{} process(es) in {}; e.g. PID {}: {}. {}",
                    hits.len(),
                    capture.artifact,
                    first.pid,
                    crate::model::excerpt(first.cmd.as_bytes(), 0, 0, 200),
                    def.credit
                ),
                attack: d.attack.clone(),
                time: first.started,
                evidence: hits.iter().take(20).map(|p| p.locator.clone()).collect(),
                subject: Some(d.rule_id.clone()),
                owner: container.map(crate::model::Owner::container),
                iocs: vec![],
                kind: def.kind,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_splits_into_documents() {
        let docs = split_bundle(BUNDLED);
        assert!(docs.len() > 200, "{}", docs.len());
        assert!(docs.iter().all(|(p, b)| p.ends_with(".yml") && b.contains("title:")));
    }

    #[test]
    fn bundled_set_loads_with_reasons_for_the_rest() {
        let s = SigmaSet::bundled();
        let web = s.rules.iter().filter(|r| r.target != SigmaTarget::Process).count();
        let procs = s.rules.iter().filter(|r| r.target == SigmaTarget::Process).count();
        assert!(web > 60 && procs > 80, "web {web}, process {procs}, unsupported {}", s.unsupported.len());
        assert!(s.unsupported.iter().all(|u| !u.reason.is_empty()));
        assert!(s.rules.iter().all(|r| r.rule_id.starts_with("sigma.")));
        // The bundled rules' regexes are compiled when first compared: every one must compile.
        assert!(s.rules.iter().all(|r| r.compiled.compile_all().is_ok()));
    }

    #[test]
    fn a_users_regex_that_cannot_be_compiled_makes_the_rule_unusable_when_read() {
        let rule = |re: &str| {
            format!(
                "title: t\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-query|re: '{re}'\n  \
                 sel2:\n    cs-uri-query|contains: 'select'\n  condition: sel and sel2\n"
            )
        };
        let mut s = SigmaSet::default();
        // Look-behind is not Rust syntax; a regex past the size limit only fails to compile.
        s.add_document("user:a.yml", "a.yml", &rule("(?<=a)b"));
        s.add_document("user:b.yml", "b.yml", &rule("a{99999}{9999}"));
        s.add_document("user:c.yml", "c.yml", &rule("union.+select"));
        let reasons: Vec<&str> = s.unsupported.iter().map(|u| u.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].starts_with("regex not supported") && reasons[1].contains("size limit"),
            "{reasons:?}"
        );
        assert_eq!(s.rules.len(), 1);
    }
}
