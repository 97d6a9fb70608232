//! Every detection rule ctriage has, for `rules list`: the log engine's (built-in, the
//! user's `--rules`, Sigma web rules, built when they are loaded), Sigma process rules, then
//! the built-in families in [`FAMILIES`], each declared beside the code that raises it.
//! tests/reports.rs checks that every rule a scan of the samples and of hostile evidence
//! raises is listed.

use crate::logscan::sigma::{SigmaSet, SigmaTarget};
use crate::logscan::Engine;
use crate::model::{RuleDef, RuleInfo};

/// The built-in rule families, in listing order: each gives its table's declarations.
/// Adding a family is one line here.
const FAMILIES: &[fn() -> Vec<&'static RuleDef>] = &[
    crate::image::file_defs,
    crate::analyze::process::defs,
    crate::analyze::exposure::defs,
    crate::ingest::stats::defs,
    crate::analyze::correlate::defs,
    crate::image::check_defs,
    crate::analyze::story::defs,
    crate::scap::defs,
    crate::sensor::defs,
    crate::checkpoint::rules::defs,
    crate::k8saudit::defs,
    crate::dataroot::kubelet::defs,
    crate::yara::findings::defs,
];

/// Every rule's declaration: the engine's (log and Sigma web), Sigma process rules, then
/// the built-in families'.
pub(crate) fn defs(engine: &Engine) -> Vec<RuleDef> {
    let sigma: &SigmaSet = engine.sigma();
    let mut out: Vec<RuleDef> = engine.rules().iter().map(|r| r.def()).collect();
    out.extend(sigma.rules.iter().filter(|d| d.target == SigmaTarget::Process).map(|d| d.process_def()));
    out.extend(sigma.rules.iter().filter(|d| d.target == SigmaTarget::K8sAudit).map(|d| d.audit_def()));
    out.extend(FAMILIES.iter().flat_map(|family| family()).cloned());
    out
}

/// Every rule as `rules list` shows it.
pub(crate) fn all(engine: &Engine) -> Vec<RuleInfo> {
    defs(engine).iter().map(RuleDef::info).collect()
}

/// The kind of a built-in rule by the id its findings carry (for tests that build
/// findings by hand): the families' declarations, else a log engine rule's.
#[cfg(test)]
pub(crate) fn kind_of(finding_rule: &str) -> crate::model::RuleKind {
    if let Some(d) = FAMILIES.iter().flat_map(|family| family()).find(|d| d.id == finding_rule) {
        return d.kind;
    }
    if finding_rule.starts_with("proc.sigma.") {
        return crate::model::RuleKind::of(crate::model::Family::SigmaProcess);
    }
    crate::logscan::rules::engine_kind(finding_rule.strip_prefix("log.").unwrap_or(finding_rule))
}
