//! Process trees and suspicious lineage (PLACEHOLDER).

use serde::Serialize;

use crate::ingest::top::ProcessCapture;
use crate::model::Finding;

/// A process tree rebuilt from one capture.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessTree {}

/// Build the tree of one capture and flag suspicious lineage.
pub fn analyze(_capture: &ProcessCapture) -> (ProcessTree, Vec<Finding>) {
    (ProcessTree::default(), vec![])
}
