//! `docker stats` captures (PLACEHOLDER: to be completed by the stats work).

use serde::Serialize;

use crate::evidence::Artifact;
use crate::model::Diagnostic;

/// One stats row.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StatsRow {
    pub container: String,
}

/// Parse a stats artifact.
pub fn parse(_artifact: &Artifact) -> (Vec<StatsRow>, Vec<Diagnostic>) {
    (vec![], vec![])
}
