//! `docker ps` listings (PLACEHOLDER: to be completed by the ps-listing work).

use serde::Serialize;

use crate::evidence::Artifact;
use crate::model::Diagnostic;

/// One `docker ps` row.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PsRow {
    pub container_id: String,
}

/// Parse a ps listing artifact.
pub fn parse(_artifact: &Artifact) -> (Vec<PsRow>, Vec<Diagnostic>) {
    (vec![], vec![])
}
