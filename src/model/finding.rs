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
        self.timeline.sort_by(|a, b| {
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
