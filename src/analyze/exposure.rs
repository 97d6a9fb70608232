//! Escape and lateral-movement exposure from container config (PLACEHOLDER).

use crate::ingest::inspect::ContainerInfo;
use crate::model::Finding;

/// Findings about what a compromised container could reach.
pub fn audit(_containers: &[ContainerInfo]) -> Vec<Finding> {
    vec![]
}
