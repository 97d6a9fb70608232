//! The evidence model of one bundle: what ingest read from it (custody records, containers,
//! images, processes, stats, diffs, data roots, log hits), the input of every analyzer.
//! The report wraps it with what the analysis concluded; analyzers never see the report.

use serde::Serialize;

use crate::compression::Compression;
use crate::evidence::{Artifact, ArtifactKind, BundleKind};
use crate::image::ImageSection;
use crate::ingest::diff::DiffEntry;
use crate::ingest::inspect::{ContainerInfo, ImageInfo};
use crate::ingest::pslist::PsRow;
use crate::ingest::stats::StatsRow;
use crate::ingest::top::{ProcessCapture, ProcessTree};
use crate::logscan::LogSection;

/// Custody record of one artifact.
#[derive(Debug, Serialize)]
pub struct ArtifactRecord {
    pub path: String,
    pub kind: ArtifactKind,
    pub size: u64,
    pub sha256: Option<crate::digest::Sha256Hex>,
    pub compression: Compression,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::model::shared_str")]
    pub note: Option<std::sync::Arc<str>>,
}

impl From<Artifact> for ArtifactRecord {
    fn from(a: Artifact) -> Self {
        ArtifactRecord {
            path: a.path,
            kind: a.kind,
            size: a.size,
            sha256: a.sha256,
            compression: a.compression,
            error: a.error,
            note: a.note,
        }
    }
}

impl From<&Artifact> for ArtifactRecord {
    fn from(a: &Artifact) -> Self {
        ArtifactRecord {
            path: a.path.clone(),
            kind: a.kind,
            size: a.size,
            sha256: a.sha256,
            compression: a.compression,
            error: a.error.clone(),
            note: a.note.clone(),
        }
    }
}

/// A process capture with the tree rebuilt from it.
#[derive(Debug, Serialize)]
pub struct ProcessReport {
    pub capture: ProcessCapture,
    pub tree: ProcessTree,
}

/// Everything read from one bundle.
#[derive(Debug, Serialize)]
pub struct Evidence {
    pub path: String,
    pub kind: BundleKind,
    /// How the named path was read when not as given (a followed symbolic link, a stream
    /// spooled from standard input or a FIFO).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named: Option<String>,
    pub artifacts: Vec<ArtifactRecord>,
    pub containers: Vec<ContainerInfo>,
    /// Image objects from inspect JSON.
    pub image_objects: Vec<ImageInfo>,
    pub processes: Vec<ProcessReport>,
    pub stats: Vec<StatsRow>,
    /// Entries of saved `docker diff` captures.
    pub diff: Vec<DiffEntry>,
    /// Rows of saved `docker ps` listings.
    pub ps: Vec<PsRow>,
    /// `ip link` captures: the host's interfaces, or a container namespace's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip_links: Vec<crate::ingest::iplink::IpLinkCapture>,
    /// Daemon data roots in the bundle: images with their layer chains, containers with
    /// their read-write and init layers, logs and volumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_root: Option<crate::dataroot::DataRootSection>,
    #[serde(flatten)]
    pub image: ImageSection,
    #[serde(flatten)]
    pub logs: LogSection,
}

impl Evidence {
    /// The evidence of a bundle with its custody records and every section still empty.
    pub fn new(path: String, kind: BundleKind, artifacts: Vec<ArtifactRecord>) -> Self {
        Evidence {
            path,
            kind,
            named: None,
            artifacts,
            containers: vec![],
            image_objects: vec![],
            processes: vec![],
            stats: vec![],
            diff: vec![],
            ps: vec![],
            ip_links: vec![],
            data_root: None,
            image: Default::default(),
            logs: Default::default(),
        }
    }
}
