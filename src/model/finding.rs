//! Findings (claims with severity and proof), diagnostics (what could not be read) and
//! timeline events.

use std::borrow::Cow;

use serde::Serialize;

use super::{Actor, IocRef, Locator, Owner, RuleKind, Severity, Timestamp};

/// One claim the report makes, with the evidence that proves it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule id, e.g. `proc.lineage.jvm-shell`, `file.webshell.jsp`, `log.jndi`.
    pub rule: String,
    pub severity: Severity,
    /// Broad class: `initial-access`, `execution`, `persistence`, `exposure`, `integrity`...
    pub category: String,
    pub title: String,
    /// One or two sentences an analyst can act on. Attacker text inside is escaped on output.
    pub summary: String,
    /// MITRE ATT&CK technique id, when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Where the proof is.
    pub evidence: Vec<Locator>,
    /// What the claim is about (a file path, a process chain, a rule across logs), when the
    /// same fact can be proven by several sources: findings with the same rule and subject are
    /// merged into one with every proof. None: never merged. Not part of the JSON contract.
    #[serde(skip)]
    pub subject: Option<String>,
    /// Whose it is; None until attribution decides (it never stays None in a report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Indicators the observation itself carries (addresses, URLs, ports), with their role.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub iocs: Vec<IocRef>,
    /// The identity that did it, when the source names one (an API server audit event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// The rule's family and story role, from its declaration. Not part of the JSON contract.
    #[serde(skip)]
    pub(crate) kind: RuleKind,
}

/// How serious a diagnostic is. `Error` means some evidence could not be read (exit bit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagLevel {
    Warning,
    Error,
}

/// Something in the evidence that could not be read or understood.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub level: DiagLevel,
    pub locator: Locator,
    pub message: String,
}

impl Diagnostic {
    /// An error: evidence that could not be read.
    pub fn error(locator: Locator, message: impl Into<String>) -> Self {
        Diagnostic { level: DiagLevel::Error, locator, message: message.into() }
    }

    /// A warning: evidence read, but something in it was skipped or odd.
    pub fn warning(locator: Locator, message: impl Into<String>) -> Self {
        Diagnostic { level: DiagLevel::Warning, locator, message: message.into() }
    }
}

/// One entry of the merged timeline. `time` None means "unknown"; `order` then places the
/// event (e.g. layer index, sequence) relative to others from the same source.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TimelineEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// What the time means: `file mtime`, `layer created`, `container started`, `log written`...
    /// (borrowed when it is a constant: one event per file must not cost an allocation).
    pub timestamp_desc: Cow<'static, str>,
    /// Short machine name of the event kind: `file-change`, `image-history`, `container`,
    /// `log-hit`, `process-start`.
    pub kind: Cow<'static, str>,
    pub message: String,
    pub source: Locator,
    /// Further captures of the same event (a log record in json-file and `docker logs -t`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Locator>,
    /// Tiebreaker for events without (reliable) time: e.g. `[layer index, sequence]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<u64>,
}

/// What an analyzer adds to a bundle's report besides its own section.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub timeline: Vec<TimelineEvent>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Outcome {
    /// Sort findings (highest severity first, then rule, evidence, summary), timeline events
    /// (by parsed time, unknown last, then order, source, kind, message) and diagnostics, so
    /// the same evidence always gives the same report bytes. Exact duplicate diagnostics go.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.evidence.cmp(&b.evidence))
                .then_with(|| a.summary.cmp(&b.summary))
        });
        sort_stable_by(&mut self.timeline, |a, b| {
            (a.time.is_none(), a.time, &a.order, &a.source, &a.kind, &a.message).cmp(&(
                b.time.is_none(),
                b.time,
                &b.order,
                &b.source,
                &b.kind,
                &b.message,
            ))
        });
        self.diagnostics.sort();
        self.diagnostics.dedup();
    }

    /// Move everything from `other` into `self` (after what `self` holds).
    pub fn absorb(&mut self, other: Outcome) {
        append(&mut self.findings, other.findings);
        append(&mut self.timeline, other.timeline);
        append(&mut self.diagnostics, other.diagnostics);
    }
}

/// The order `slice::sort_by` gives (stable), found on indices: its merge buffer would hold
/// half of the elements again (a timeline has one event per changed file), this one holds
/// one index per element. Each element is then moved into place along its cycle.
fn sort_stable_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| cmp(&v[a], &v[b]));
    // Position i takes the element at order[i]; usize::MAX marks a position filled.
    for start in 0..v.len() {
        let mut cur = start;
        while order[cur] != usize::MAX {
            let next = order[cur];
            order[cur] = usize::MAX;
            if next == start {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

/// `into` then `from`, in that order, keeping the larger of the two buffers: an image's
/// timeline of one event per file is moved, not copied into a second buffer beside it.
fn append<T>(into: &mut Vec<T>, mut from: Vec<T>) {
    if into.len() < from.len() {
        std::mem::swap(into, &mut from);
        into.splice(0..0, from);
    } else {
        into.extend(from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_sort_is_the_stable_sort() {
        // Keys with many ties (stability shows), in a scrambled order.
        let mut state = 7u64;
        for n in [0usize, 1, 2, 3, 10, 257, 1000] {
            let v: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((state >> 59) as u8, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|a| a.0);
            let mut got = v.clone();
            sort_stable_by(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, want, "n = {n}");
            let mut rev = v;
            sort_stable_by(&mut rev, |a, b| b.0.cmp(&a.0));
            assert!(rev.windows(2).all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
        }
    }

    #[test]
    fn absorb_keeps_the_order_whichever_buffer_is_kept() {
        let ev = |m: &str| TimelineEvent {
            time: None,
            timestamp_desc: "t".into(),
            kind: "k".into(),
            message: m.into(),
            source: Locator::artifact("a"),
            also: vec![],
            order: vec![],
        };
        for (mine, theirs) in [(1, 3), (3, 1), (0, 2), (2, 0)] {
            let mut a =
                Outcome { timeline: (0..mine).map(|i| ev(&format!("a{i}"))).collect(), ..Default::default() };
            let b = Outcome {
                timeline: (0..theirs).map(|i| ev(&format!("b{i}"))).collect(),
                ..Default::default()
            };
            a.absorb(b);
            let got: Vec<&str> = a.timeline.iter().map(|e| e.message.as_str()).collect();
            let want: Vec<String> =
                (0..mine).map(|i| format!("a{i}")).chain((0..theirs).map(|i| format!("b{i}"))).collect();
            assert_eq!(got, want);
        }
    }
}
