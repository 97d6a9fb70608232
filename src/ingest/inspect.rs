//! `docker inspect` JSON (PLACEHOLDER: to be completed by the inspect work).

use serde::Serialize;

use crate::evidence::Artifact;
use crate::model::Diagnostic;

/// A container object from inspect.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
}

impl ContainerInfo {
    /// Container paths that are mount points (volumes, binds, tmpfs).
    pub fn mount_destinations(&self) -> Vec<String> {
        vec![]
    }
}

/// An image object from inspect.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImageInfo {
    pub id: String,
}

/// Everything one inspect artifact holds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InspectDoc {
    pub containers: Vec<ContainerInfo>,
    pub images: Vec<ImageInfo>,
}

/// Parse an inspect artifact.
pub fn parse(_artifact: &Artifact) -> (InspectDoc, Vec<Diagnostic>) {
    (InspectDoc::default(), vec![])
}
