//! The documented exit codes and the code a report earns (bit 0: findings at or above
//! `--fail-on`; bit 1: evidence that could not be read; bit 2: nothing to judge on), and the
//! codes of their own (usage, a refused base, ctriage's own failure).

use crate::model::DiagLevel;
use crate::report::Report;

/// Exit bit 0: a finding at or above `--fail-on`.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit bit 1: some evidence could not be read.
pub const EXIT_UNREADABLE: i32 = 2;
/// Exit bit 2: a bundle gave nothing to judge on (its own verdict `inconclusive`: nothing in
/// it could be read as evidence: empty, unreadable or unrecognised).
pub const EXIT_INCONCLUSIVE: i32 = 4;
/// Command-line usage error.
pub const EXIT_USAGE: i32 = 64;
/// `diff --image`: the export does not bear out the image given as its base (too few of
/// the image's files are in it); no diff was written.
pub const EXIT_BASE_MISMATCH: i32 = 65;
/// ctriage itself failed (e.g. the output file could not be written).
pub const EXIT_FAILURE: i32 = 70;

/// The exit code a report earns (`fail_on` None: findings never set bit 0).
pub fn exit_code(report: &Report, fail_on: impl Into<Option<crate::model::Severity>>) -> i32 {
    let mut code = 0;
    let fail_on = fail_on.into();
    if fail_on.is_some_and(|f| report.summary.highest_severity.is_some_and(|s| s >= f)) {
        code |= EXIT_FINDINGS;
    }
    if report.bundles.iter().any(|b| b.diagnostics.iter().any(|d| d.level == DiagLevel::Error)) {
        code |= EXIT_UNREADABLE;
    }
    if report
        .bundles
        .iter()
        .any(|b| b.story.verdicts.iter().any(|v| v.container.is_none() && v.status == "inconclusive"))
    {
        code |= EXIT_INCONCLUSIVE;
    }
    code
}
