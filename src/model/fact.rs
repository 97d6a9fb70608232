//! Facts: one thing that happened or holds, with every rule that said so and every
//! observation of it as proof; and [`When`], a time with what it rests on (or an honest bound).

use std::ops::Deref;

use serde::Serialize;

use super::{Finding, RuleKind, Timestamp};

/// When something happened, and what that rests on. `time` is the best point in time;
/// `not_before` / `not_after` bound it when the evidence gives no exact time.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct When {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Timestamp>,
    /// What the time is: `log record`, `whiteout mtime (time of the deletion)`, `file mtime`,
    /// `process start (ps STIME, minute)`, `unknown: after the container started`...
    pub basis: String,
}

impl When {
    /// An exact time read from a clock-like source.
    pub fn at(time: Timestamp, basis: impl Into<String>) -> Self {
        When { time: Some(time), basis: basis.into(), ..Default::default() }
    }

    /// No time, only what is known (bounds may be added).
    pub fn unknown(basis: impl Into<String>) -> Self {
        When { basis: basis.into(), ..Default::default() }
    }

    /// The point used to order events: the time, else the lower bound, else the upper.
    pub fn key(&self) -> Option<Timestamp> {
        self.time.or(self.not_before).or(self.not_after)
    }

    /// For text: `2026-11-27T14:21:07Z (log record)` or `between A and B (basis)`.
    pub fn describe(&self) -> String {
        let s = |t: Timestamp| t.to_iso_seconds();
        match (self.time, self.not_before, self.not_after) {
            (Some(t), _, _) => format!("{} ({})", s(t), self.basis),
            (None, Some(a), Some(b)) => format!("between {} and {} ({})", s(a), s(b), self.basis),
            (None, Some(a), None) => format!("after {} ({})", s(a), self.basis),
            (None, None, Some(b)) => format!("before {} ({})", s(b), self.basis),
            (None, None, None) => format!("time unknown ({})", self.basis),
        }
    }
}

/// One fact of a bundle: the most severe observation's rule, title and summary, the
/// highest severity, every rule that said the same thing about the same subject, and
/// every proof. This is what `findings` holds in every report format.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Fact {
    #[serde(flatten)]
    pub finding: Finding,
    /// Every rule folded into this fact (sorted; includes `rule`).
    pub rules: Vec<String>,
    /// When it happened, with its basis; None when time means nothing for it (exposure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// For exploit requests: `succeeded` (something followed from it). Attempts are listed
    /// apart (`attempts`), never here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    /// The kinds of every rule folded into this fact (the lead's first). Not part of the
    /// JSON contract.
    #[serde(skip)]
    pub(crate) kinds: Vec<RuleKind>,
}

impl Deref for Fact {
    type Target = Finding;
    fn deref(&self) -> &Finding {
        &self.finding
    }
}

impl Fact {
    /// A fact made of one observation.
    pub fn single(finding: Finding) -> Self {
        Fact {
            rules: vec![finding.rule.clone()],
            kinds: vec![finding.kind],
            finding,
            when: None,
            outcome: None,
        }
    }
}
