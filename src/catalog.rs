//! Every detection rule ctriage has, by family, for `rules list`: the log engine's (built-in,
//! the user's `--rules`, Sigma web rules), Sigma process rules, and the analyzers' tables
//! (file, process, exposure). The few rules written inline where their evidence is read
//! (stats thresholds, correlations, image checks, the story's summary of attempts) are
//! listed in [`INLINE`]; tests/reports.rs checks that every rule a scan of the samples and
//! of hostile evidence raises is listed.

use crate::logscan::sigma::{SigmaSet, SigmaTarget};
use crate::logscan::Engine;
use crate::model::{RuleInfo, Severity};

/// Rules written where their evidence is read: (id, family, highest severity, category,
/// ATT&CK, title).
const INLINE: &[(&str, &str, Severity, &str, &str, &str)] = &[
    ("stats.cpu-high", "stats", Severity::High, "impact", "T1496", "CPU pegged (possible cryptominer)"),
    ("stats.mem-near-limit", "stats", Severity::Low, "impact", "T1496", "memory near the container's limit"),
    ("stats.pids-high", "stats", Severity::Medium, "impact", "T1499", "many processes or threads"),
    (
        "correlate.webshell-used",
        "correlation",
        Severity::Critical,
        "persistence",
        "T1505.003",
        "webshell on disk was requested",
    ),
    (
        "correlate.host-in-logs",
        "correlation",
        Severity::High,
        "command-and-control",
        "T1071",
        "attacker host in the logs",
    ),
    (
        "image.integrity.mismatch",
        "image",
        Severity::High,
        "integrity",
        "",
        "layer or config digest does not match",
    ),
    (
        "image.env-secrets",
        "image",
        Severity::Medium,
        "exposure",
        "T1552.001",
        "secrets in the image's environment",
    ),
    ("image.config", "image", Severity::Info, "configuration", "", "notable image configuration"),
    (
        "container.diff.disagreement",
        "image",
        Severity::Medium,
        "integrity",
        "",
        "saved docker diff disagrees with the rebuilt one",
    ),
    (
        "story.attempts",
        "story",
        Severity::Medium,
        "initial-access",
        "T1190",
        "exploit attempts that did not get in",
    ),
];

/// Every rule: the engine's (log and Sigma web), Sigma process rules, then the analyzers'.
pub fn all(engine: &Engine) -> Vec<RuleInfo> {
    let sigma: &SigmaSet = engine.sigma();
    let mut out: Vec<RuleInfo> = engine
        .rules()
        .iter()
        .map(|r| RuleInfo {
            id: r.id.clone(),
            family: if r.origin.starts_with(crate::logscan::sigma::BUNDLED_ORIGIN)
                || r.id.starts_with("sigma.")
            {
                "sigma"
            } else {
                "log"
            },
            severity: r.severity,
            category: r.category.clone(),
            attack: r.attack.clone(),
            title: r.title.clone(),
        })
        .collect();
    out.extend(sigma.rules.iter().filter(|d| d.target == SigmaTarget::Process).map(|d| RuleInfo {
        id: format!("proc.{}", d.rule_id),
        family: "sigma",
        severity: d.level,
        category: d.category.clone(),
        attack: d.attack.clone(),
        title: format!("{} (Sigma)", d.title),
    }));
    out.extend(crate::image::file_rules());
    out.extend(crate::analyze::process::catalog());
    out.extend(crate::analyze::exposure::RULES.iter().map(|r| RuleInfo {
        id: r.id.to_string(),
        family: "exposure",
        severity: r.severity,
        category: "exposure".into(),
        attack: r.attack.map(String::from),
        title: r.title.to_string(),
    }));
    out.extend(
        INLINE.iter().map(|(id, fam, sev, cat, att, title)| RuleInfo::new(id, fam, *sev, cat, att, title)),
    );
    out
}

/// Whether a finding's rule id is one of `rules` (log findings carry `log.` before the
/// engine id).
pub fn knows(rules: &[RuleInfo], finding_rule: &str) -> bool {
    let id = finding_rule.strip_prefix("log.").unwrap_or(finding_rule);
    rules.iter().any(|r| r.id == id || r.id == finding_rule)
}
