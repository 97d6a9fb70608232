//! Scanner-tool identification: hits of `scanner.*` rules (Nikto, sqlmap, Acunetix, Nuclei,
//! out-of-band probe hosts...) tallied per scanner and client address over every log of a
//! bundle, so a run of thousands of requests becomes one finding `log.scanner.<name>` with
//! its source, time span and request count, and does not drown the real attack.

use std::collections::BTreeMap;

use crate::model::{Finding, Locator, Timestamp};

use super::rules::LogRule;

/// Rule ids that are tallied per client address instead of per log.
pub(crate) const PREFIX: &str = "scanner.";

/// Whether `rule` identifies a scanner (its hits are grouped per client address).
pub(crate) fn is_scanner(rule: &LogRule) -> bool {
    rule.id.starts_with(PREFIX)
}

/// Requests of one scanner from one address: counted even beyond the kept hits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceTally {
    pub count: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

impl SourceTally {
    /// Count one request seen at `time`.
    pub(crate) fn add(&mut self, time: Option<Timestamp>) {
        self.count += 1;
        if let Some(t) = time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    /// Fold another tally of the same scanner and address in.
    pub(crate) fn merge(&mut self, o: &SourceTally) {
        self.count += o.count;
        for t in [o.first, o.last].into_iter().flatten() {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
}

/// Tallies keyed by (rule index, client address; empty when the log names none).
pub(crate) type Tallies = BTreeMap<(usize, String), SourceTally>;

/// What a bundle knows about one scanner from one address.
#[derive(Debug, Default)]
pub(crate) struct ScannerSource {
    pub tally: SourceTally,
    /// Logs it was seen in.
    pub logs: std::collections::BTreeSet<String>,
    pub evidence: Vec<Locator>,
}

/// One finding per scanner per client address.
pub(crate) fn findings(rules: &[LogRule], sources: BTreeMap<(usize, String), ScannerSource>) -> Vec<Finding> {
    sources
        .into_iter()
        .map(|((ri, client), s)| {
            let r = &rules[ri];
            let from = if client.is_empty() { "an unrecorded address".to_string() } else { client.clone() };
            let when = match (s.tally.first, s.tally.last) {
                (Some(f), Some(l)) if f != l => format!(" between {f} and {l}"),
                (Some(f), _) => format!(" at {f}"),
                _ => String::new(),
            };
            let logs = s.logs.len();
            Finding {
                actor: None,
                rule: format!("log.{}", r.id),
                severity: r.severity,
                category: r.category.clone(),
                title: format!("{} from {from}", r.title),
                summary: format!(
                    "{} request(s) from {from}{when} in {logs} log(s); scanner traffic, grouped (each request is a log hit)",
                    s.tally.count
                ),
                attack: r.attack.clone(),
                time: s.tally.first,
                evidence: s.evidence,
                subject: Some(if client.is_empty() { r.id.clone() } else { format!("{}@{client}", r.id) }),
                owner: None,
                iocs: vec![],
                kind: r.kind,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_count_and_span() {
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let mut a = SourceTally::default();
        a.add(Some(t("2026-11-27T14:00:05Z")));
        a.add(None);
        a.add(Some(t("2026-11-27T14:00:01Z")));
        let mut b = SourceTally::default();
        b.add(Some(t("2026-11-27T15:00:00Z")));
        a.merge(&b);
        assert_eq!(a.count, 4);
        assert_eq!(a.first, Some(t("2026-11-27T14:00:01Z")));
        assert_eq!(a.last, Some(t("2026-11-27T15:00:00Z")));
    }
}
