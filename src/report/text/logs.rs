//! Text section: logs (PLACEHOLDER until its work lands).

use crate::report::BundleReport;

/// Render the logs section of a bundle.
pub(super) fn render(_s: &mut String, _b: &BundleReport) {}
