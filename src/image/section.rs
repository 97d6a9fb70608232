//! The image part of a bundle report and its records (images, history, layers, file changes,
//! the container's own changes), and the context the rest of the bundle gives the image
//! analysis. Pure data: the readers beside this file fill it.

use std::path::PathBuf;

use serde::Serialize;

use super::file_change::{FileChange, Side};
use super::file_events::{FileEventGroup, FileEvents};
use super::layout::OciArtifact;
use super::Check;
use crate::compression::Compression;
use crate::ingest::diff::{DiffEntry, DiffKind};
use crate::model::{Locator, Outcome, Timestamp};

/// What the rest of the bundle tells the image analysis.
#[derive(Clone, Debug, Default)]
pub(crate) struct ImageContext {
    /// Container mount points (from inspect), ignored when rebuilding `docker diff`.
    pub mount_points: Vec<String>,
    /// Saved `docker diff` entries, cross-checked against the rebuilt one.
    pub saved_diff: Vec<DiffEntry>,
    /// `--base-image`: the image the container ran from, when given separately.
    pub base_image: Option<PathBuf>,
    /// Containers the bundle's inspect captures describe: (container id, image id), to pair
    /// an export with the image it ran from on evidence.
    pub containers: Vec<(String, Option<String>)>,
    /// The folder of each container's inspect capture (same order as `containers`; empty
    /// when unknown): with several exports in one bundle, each is paired with the images its
    /// own containers name and checked against its own saved diff.
    pub container_folders: Vec<String>,
    /// The option that named `base_image` (`--base-image`, or `diff --image`), for messages.
    pub base_flag: Option<&'static str>,
    /// Resource limits of the layer walks (entries, decompressed bytes).
    pub limits: crate::limits::Limits,
    /// `--yara` rules run over every file of every layer and export.
    pub yara: Option<std::sync::Arc<crate::yara::YaraRules>>,
}

impl ImageContext {
    /// The context of one export among several: the containers whose inspect lies in the
    /// export's folder or above it (the nearest folder that has any), and the saved diffs
    /// in that folder or below it.
    pub(crate) fn for_export(&self, export: &str) -> ImageContext {
        let folder = |p: &str| crate::model::folder_of(p).to_string();
        let within = |dir: &str, p: &str| dir.is_empty() || p == dir || p.starts_with(&format!("{dir}/"));
        let mut dir = folder(export);
        let containers = loop {
            let here: Vec<(String, Option<String>)> = self
                .containers
                .iter()
                .zip(&self.container_folders)
                .filter(|(_, f)| **f == dir)
                .map(|(c, _)| c.clone())
                .collect();
            if !here.is_empty() || dir.is_empty() {
                break here;
            }
            dir = folder(&dir);
        };
        let dir = folder(export);
        ImageContext {
            containers,
            saved_diff: self
                .saved_diff
                .iter()
                .filter(|d| within(&dir, &d.locator.artifact))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    /// How the analyst named the base image, for messages.
    pub(crate) fn base_flag(&self) -> &'static str {
        self.base_flag.unwrap_or("--base-image")
    }
}

/// The image part of a bundle report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImageSection {
    /// Every image found (archives, standalone layer tars, `--base-image`).
    pub images: Vec<ImageRecord>,
    /// Every change of every layer of every image, then the container's (export) changes.
    pub file_changes: Vec<FileChange>,
    /// The container's own changes, when an export or a committed image allows it.
    pub container_changes: Option<ContainerChanges>,
    /// The changes of further containers, when the bundle holds several exports (one per
    /// container, each paired on its own).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_container_changes: Vec<ContainerChanges>,
    /// In a daemon data root: every container's own changes (its read-write layer, source
    /// `upper-dir`), one entry per container that has one, then the files of each volume it
    /// mounts (source `volume`); `container_changes` is the first read-write layer's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_root_changes: Vec<ContainerChanges>,
    /// OCI artifacts (SBOMs, signatures, attestations) found beside the images: listed, never
    /// analysed as images.
    pub oci_artifacts: Vec<OciArtifact>,
    #[serde(skip)]
    pub outcome: Outcome,
    /// What the `file-change` timeline events of `file_changes` are told from, one group per
    /// image layer and container, in the order of the changes.
    #[serde(skip)]
    pub(crate) file_events: Vec<FileEventGroup>,
    /// The base the analyst gave that the export refused (no diff is made against it).
    #[serde(skip)]
    pub base_refused: Option<BaseRefusal>,
}

impl ImageSection {
    /// The `file-change` timeline events of the file changes.
    pub(crate) fn file_events(&self) -> FileEvents<'_> {
        FileEvents { groups: &self.file_events, changes: &self.file_changes }
    }
}

/// One image.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImageRecord {
    /// Position in `images`.
    pub index: usize,
    /// The artifact holding it.
    pub archive: String,
    /// `image` (in the bundle), `base-image` (given with `--base-image`) or `layer` (a
    /// standalone layer tar).
    pub role: &'static str,
    /// `docker-save`, `docker-save-oci` (Docker 25+), `docker-save-v1` (pre-1.10),
    /// `oci-archive`, `oci-layout-dir` (OCI layout as a directory), `layer-tar`.
    pub layout: &'static str,
    /// Where the archive lists it.
    pub listed_in: String,
    /// The config member.
    pub config: String,
    /// Image id: `sha256:` of the config as read.
    pub id: Option<String>,
    pub repo_tags: Vec<String>,
    /// Config digest the archive claims (descriptor or content-addressed name).
    pub config_digest: Option<String>,
    pub manifest_digest: Option<String>,
    /// Config bytes vs the claimed config digest (the image id).
    pub config_check: Check,
    /// Manifest bytes vs the index descriptor (OCI layouts).
    pub manifest_check: Check,
    /// `sha256:` of the manifest as read, when it was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_computed: Option<String>,
    pub created: Option<Timestamp>,
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub platform: Option<String>,
    pub history: Vec<HistoryRecord>,
    pub layers: Vec<LayerRecord>,
    /// Layers recognised as added by `docker commit` (the container's read-write layer).
    pub committed_layers: Vec<usize>,
    /// Why those layers are taken for commit layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_reason: Option<String>,
    /// The container `docker commit` made the image from (the config's `container`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Why a base the analyst gave (`--base-image`, `diff --image`) was refused: the export
    /// does not bear it out. A refused image is listed, never analysed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// `verified` (every digest checked matched), `mismatch`, `incomplete` (something could
    /// not be read), `unverified` (nothing to check against) or `unverifiable (v1 layout)`
    /// (a pre-1.10 save: the layout has no digests at all).
    pub integrity: &'static str,
    /// Paths in the final merged view.
    pub final_paths: usize,
    /// Set when the archive's own listing (`manifest.json`, `index.json`) was missing, cut or
    /// unusable and the image was rebuilt from what survived: from what, and what is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered: Option<String>,
}

/// One history step, aligned with the layers (empty-layer steps have no layer).
#[derive(Clone, Debug, Default, Serialize)]
pub struct HistoryRecord {
    pub index: usize,
    pub created: Option<Timestamp>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub empty_layer: bool,
    /// The layer this step made.
    pub layer: Option<usize>,
}

/// One layer of an image.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LayerRecord {
    pub index: usize,
    /// Member name as listed in the manifest.
    pub member: String,
    /// Member actually read (after following links inside the archive).
    pub blob: String,
    pub media_type: Option<String>,
    pub compression: Compression,
    /// Blob size as stored.
    pub size: u64,
    /// Size of the decoded tar stream.
    pub tar_size: u64,
    /// Computed `sha256:` of the blob.
    pub digest: Option<String>,
    /// Digest the manifest or the member name claims for the blob.
    pub expected_digest: Option<String>,
    /// Computed `sha256:` of the decoded tar (the diff_id).
    pub diff_id: Option<String>,
    /// The config's `rootfs.diff_ids` entry.
    pub expected_diff_id: Option<String>,
    pub digest_check: Check,
    pub diff_id_check: Check,
    /// History step that made the layer.
    pub history: Option<usize>,
    pub created: Option<Timestamp>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub entries: usize,
    pub added: usize,
    pub modified: usize,
    pub deleted: usize,
    /// Directories made opaque (`.wh..wh..opq`).
    pub opaque_dirs: Vec<String>,
    /// Whether the layer was read to its end.
    pub complete: bool,
    /// Data after the tar end-of-archive marker (eStargz TOC, or hidden data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_end: Option<String>,
}

/// One `docker diff` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub change: DiffKind,
    pub path: String,
}

/// The image the container's changes are measured against.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BaseUsed {
    /// Index in `images`.
    pub image: Option<usize>,
    /// How many of that image's layers make the base.
    pub layers: usize,
    /// In words, for the analyst.
    pub description: String,
}

/// A disagreement between the saved `docker diff` and the rebuilt one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub path: String,
    pub saved: Option<DiffKind>,
    pub rebuilt: Option<DiffKind>,
    pub locator: Option<Locator>,
    /// Why this disagreement is expected, when it is (e.g. a socket no tar can hold).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The container's own changes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContainerChanges {
    /// Where they were read from.
    pub source: Side,
    /// The container these changes are of (data roots: one entry per container).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The export artifact, when used.
    pub export: Option<String>,
    pub base: BaseUsed,
    /// The rebuilt `docker diff`, sorted by path.
    pub changes: Vec<DiffLine>,
    /// Runtime paths left out (`/.dockerenv`, `/etc/hosts`, `/proc`...), as present.
    pub ignored: Vec<String>,
    /// Mount points (from inspect, also resolved through the container's symlinks): what is
    /// below them is not part of `docker diff`; the mount point itself is.
    pub mount_points: Vec<String>,
    /// Saved `docker diff` entries compared.
    pub saved_entries: usize,
    /// Every difference between the saved and the rebuilt diff.
    pub disagreements: Vec<Disagreement>,
}

/// The base the analyst gave (`--base-image`, `diff --image`) that the export does not bear
/// out: too few of its files are in the export for it to be the image the container ran
/// from. No diff is made against it and it is not analysed.
#[derive(Clone, Debug)]
pub struct BaseRefusal {
    /// The refused image (its index in the images).
    pub image: usize,
    /// The image's name (first tag, else short id, else archive).
    pub name: String,
    /// The option that named it.
    pub flag: &'static str,
    /// (files of the image the export holds with identical content, files of the image).
    pub share: (usize, usize),
    /// Why, and what to do instead.
    pub why: String,
}
