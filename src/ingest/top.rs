//! `docker top` / `ps` captures (PLACEHOLDER: to be completed by the top/ps work).

use serde::Serialize;

use crate::evidence::Artifact;
use crate::model::Diagnostic;

/// One process capture.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessCapture {
    pub artifact: String,
}

/// Parse a top/ps artifact.
pub fn parse(artifact: &Artifact) -> (ProcessCapture, Vec<Diagnostic>) {
    (ProcessCapture { artifact: artifact.path.clone() }, vec![])
}
