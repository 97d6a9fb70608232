//! Image archives and filesystem tars (PLACEHOLDER: to be completed by the layers work).

pub mod command;

use std::path::PathBuf;

use serde::Serialize;

use crate::evidence::Artifact;
use crate::ingest::diff::DiffEntry;
use crate::model::Outcome;

/// What the rest of the bundle tells the image analysis.
#[derive(Clone, Debug, Default)]
pub struct ImageContext {
    /// Container mount points (from inspect), ignored when rebuilding `docker diff`.
    pub mount_points: Vec<String>,
    /// Saved `docker diff` entries, cross-checked against the rebuilt one.
    pub saved_diff: Vec<DiffEntry>,
    /// `--base-image`: the image the container ran from, when given separately.
    pub base_image: Option<PathBuf>,
}

/// The image part of a bundle report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImageSection {
    #[serde(skip)]
    pub outcome: Outcome,
}

/// Analyse every image archive, layer tar and filesystem tar of a bundle.
pub fn analyze_bundle(_artifacts: &[&Artifact], _ctx: &ImageContext) -> ImageSection {
    ImageSection::default()
}
