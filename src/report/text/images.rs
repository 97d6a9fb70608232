//! Text section: images (PLACEHOLDER until its work lands).

use crate::report::BundleReport;

/// Render the images section of a bundle.
pub(super) fn render(_s: &mut String, _b: &BundleReport) {}
