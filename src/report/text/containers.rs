//! Text section: containers (PLACEHOLDER until its work lands).

use crate::report::BundleReport;

/// Render the containers section of a bundle.
pub(super) fn render(_s: &mut String, _b: &BundleReport) {}
