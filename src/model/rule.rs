//! What a detection rule is, for listing: id, family, severity, category, ATT&CK, title.

use serde::Serialize;

use super::Severity;

/// One rule as `rules list` shows it. `severity` is the rule's own, or the highest it can
/// give when the evidence decides (stats thresholds).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RuleInfo {
    /// The id findings carry (`log.` rules are listed with their engine id; findings add
    /// the `log.` prefix).
    pub id: String,
    /// `log`, `sigma`, `file`, `process`, `exposure`, `image`, `correlation`, `stats`, `story`.
    pub family: &'static str,
    pub severity: Severity,
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<String>,
    pub title: String,
}

impl RuleInfo {
    /// A rule from static table fields (an empty ATT&CK id is none).
    pub fn new(
        id: &str,
        family: &'static str,
        severity: Severity,
        category: &str,
        attack: &str,
        title: &str,
    ) -> Self {
        RuleInfo {
            id: id.to_string(),
            family,
            severity,
            category: category.to_string(),
            attack: (!attack.is_empty()).then(|| attack.to_string()),
            title: title.to_string(),
        }
    }
}
