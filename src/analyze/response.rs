//! The response plan: what to do now, derived from the findings (PLACEHOLDER).

use crate::model::Finding;
use crate::report::{BundleReport, ResponseStep};

/// Steps for the responder, in order.
pub fn plan(_report: &BundleReport, _findings: &[Finding]) -> Vec<ResponseStep> {
    vec![]
}
