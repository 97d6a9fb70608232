//! `--fail-on` of `scan` and `logs`: the severity at which findings set exit bit 0.

use clap::ValueEnum;

use crate::model::Severity;

/// `--fail-on`: the severity that sets exit bit 0, or `none`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Never set exit bit 0 for findings.
    None,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    /// The threshold, None for `none`.
    pub(crate) fn severity(self) -> Option<Severity> {
        Some(match self {
            FailOn::None => return None,
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        })
    }
}
