//! Loading images: archive layout -> config -> layers read (in parallel when the archive
//! is seekable) -> history aligned with layers -> per-layer change sets on the merged view.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::archive::Archive;
use super::integrity;
use super::layout::{self, ImageConfig, OciArtifact};
use super::legacy;
use super::ocidir::LayoutDir;
use super::reach::Stack;
use super::recover;
use super::spec::ImageSpec;
use super::tree::{apply_last, merge, Applied, ChangeRec, FileTree};
use super::{show_path, FileChange, HistoryRecord, ImageRecord, LayerRecord, Origin};
use crate::content::Inspector;
use crate::digest::hex;
use crate::evidence::Artifact;
use crate::layerscan::read_layer;
use crate::layerscan::LayerScan;
use crate::model::{display_bytes, Diagnostic, Locator, Outcome};

/// An image with its layers read and applied.
pub(crate) struct LoadedImage {
    pub record: ImageRecord,
    pub config: Option<ImageConfig>,
    /// Per layer: what was read (shared between images that share a layer).
    pub scans: Vec<Option<Arc<LayerScan>>>,
    /// Per layer: its change set.
    pub applied: Vec<Applied>,
    /// Per layer: artifact > blob member (or the blob's own artifact in a layout directory).
    pub layer_locs: Vec<Locator>,
    /// The archive (or layout directory) as a whole.
    pub archive_loc: Locator,
    /// The config blob.
    pub config_loc: Locator,
}

impl LoadedImage {
    /// The merged view after layer `upto` (inclusive; None: after the last layer).
    pub(crate) fn tree_at(&self, upto: Option<usize>) -> FileTree {
        self.tree_of(upto.map_or(self.scans.len(), |u| (u + 1).min(self.scans.len())))
    }

    /// The merged view of the first `n` layers.
    pub(crate) fn tree_of(&self, n: usize) -> FileTree {
        let mut tree = FileTree::new();
        for (i, s) in self.scans.iter().take(n).enumerate() {
            if let Some(s) = s {
                merge(&mut tree, &s.entries, i);
            }
        }
        tree
    }

    /// A short name for messages: first tag, else id prefix, else archive.
    pub(crate) fn name(&self) -> String {
        if let Some(t) = self.record.repo_tags.first() {
            return t.clone();
        }
        if let Some(id) = &self.record.id {
            return id.get(..19).unwrap_or(id).to_string();
        }
        format!("{} ({})", self.record.archive, self.record.listed_in)
    }
}

/// Every image of an image archive.
pub(crate) fn load_archive(
    a: &Artifact,
    role: &'static str,
    inspector: &Inspector,
    out: &mut Outcome,
    artifacts: &mut Vec<OciArtifact>,
) -> Vec<LoadedImage> {
    load(Archive::open(a, inspector), role, inspector, out, artifacts)
}

/// Every image of an OCI layout directory (its files are separate artifacts).
pub(crate) fn load_dir(
    d: LayoutDir,
    role: &'static str,
    inspector: &Inspector,
    out: &mut Outcome,
    artifacts: &mut Vec<OciArtifact>,
) -> Vec<LoadedImage> {
    load(Archive::from_dir(d.root, d.shown, d.files), role, inspector, out, artifacts)
}

fn load(
    mut arch: Archive,
    role: &'static str,
    inspector: &Inspector,
    out: &mut Outcome,
    artifacts: &mut Vec<OciArtifact>,
) -> Vec<LoadedImage> {
    out.diagnostics.append(&mut arch.diagnostics);
    let listing = layout::list(&arch);
    let mut specs = listing.images;
    let listed_artifacts = listing.artifacts.len();
    artifacts.extend(listing.artifacts);
    if arch.is_dir() {
        for s in specs.iter_mut().filter(|s| s.layout == "oci-archive") {
            s.layout = "oci-layout-dir";
        }
    }
    // Images rebuilt from a damaged archive, with their layers already resolved.
    let mut rebuilt: Vec<(ImageSpec, Vec<Option<Vec<u8>>>)> = vec![];
    let mut scans: BTreeMap<Vec<u8>, Arc<LayerScan>> = BTreeMap::new();
    if recover::needed(&arch, &specs, listed_artifacts) {
        let mut r = recover::recover(&mut arch, inspector, &listing.diagnostics);
        scans = std::mem::take(&mut r.scans);
        let replaces_v1 = !specs.is_empty();
        if replaces_v1 && r.from_config == 0 {
            // Read as the pre-1.10 save it looks like after all.
            out.diagnostics.extend(listing.diagnostics);
        } else {
            // A listing cut short or absent is told by the recovery warning; one that is
            // whole but unusable keeps its own errors (the evidence says something wrong).
            if r.images.is_empty() || recover::listing_whole(&arch) {
                out.diagnostics.extend(listing.diagnostics);
            }
            out.diagnostics.append(&mut r.diagnostics);
            artifacts.append(&mut r.artifacts);
            rebuilt = r.images;
            specs.clear();
        }
    } else {
        out.diagnostics.extend(listing.diagnostics);
        if let Some(c) = &arch.cut {
            out.diagnostics.push(Diagnostic::warning(
                arch.whole_locator(),
                format!(
                    "{}, with no end-of-archive marker: it is cut; what its listing names was read from what is there", c.describe(&arch)
                ),
            ));
        }
    }
    let mut wanted = BTreeSet::new();
    let mut resolved: Vec<Vec<Option<Vec<u8>>>> = vec![];
    for spec in &specs {
        let mut r = vec![];
        for l in &spec.layers {
            match arch.resolve(&l.member) {
                Ok((real, _)) => {
                    wanted.insert(real.clone());
                    r.push(Some(real));
                }
                Err(e) => {
                    out.diagnostics.push(Diagnostic::error(
                        arch.locator(&l.member),
                        format!("layer listed in {} is missing: {e}", spec.listed_in),
                    ));
                    r.push(None);
                }
            }
        }
        resolved.push(r);
    }
    for (_, members) in &rebuilt {
        wanted.extend(members.iter().flatten().cloned());
    }
    let wanted: Vec<Vec<u8>> = wanted.into_iter().filter(|w| !scans.contains_key(w)).collect();
    let fresh: BTreeMap<Vec<u8>, Arc<LayerScan>> =
        arch.scan_layers(&wanted, inspector).into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
    // Diagnostics of the layers the images use (recovery read every member, some of which
    // no image uses: a blob that is not a layer says nothing useful).
    let used: BTreeSet<&Vec<u8>> =
        resolved.iter().chain(rebuilt.iter().map(|(_, m)| m)).flatten().flatten().collect();
    scans.extend(fresh);
    for (name, s) in &scans {
        if used.contains(name) {
            out.diagnostics.extend(s.diagnostics.iter().cloned());
        }
    }
    rebuilt
        .into_iter()
        .chain(specs.into_iter().zip(resolved))
        .map(|(spec, members)| build(&arch, spec, &members, &scans, role, out))
        .collect()
}

fn build(
    arch: &Archive,
    spec: ImageSpec,
    members: &[Option<Vec<u8>>],
    scans: &BTreeMap<Vec<u8>, Arc<LayerScan>>,
    role: &'static str,
    out: &mut Outcome,
) -> LoadedImage {
    let mut record = ImageRecord {
        archive: arch.name.clone(),
        role,
        layout: spec.layout,
        listed_in: spec.listed_in.clone(),
        config: display_bytes(&spec.config_member),
        repo_tags: spec.repo_tags.clone(),
        config_digest: spec.config_digest.clone(),
        manifest_digest: spec.manifest_digest.clone(),
        platform: spec.platform.clone(),
        ..Default::default()
    };
    let config_loc = arch.locator(&spec.config_member);
    record.recovered = spec.recovered.clone();
    // Layers recovered in tar order have no config.
    let config = if spec.config_member.is_empty() {
        None
    } else {
        match arch.read_small(&spec.config_member) {
            Ok(bytes) => {
                let id = crate::digest::sha256_digest(&bytes);
                record.id = Some(id);
                match layout::parse_config(&bytes) {
                    Ok(mut c) => {
                        if let Some(h) = &spec.history {
                            c.history = h.clone();
                        }
                        Some(c)
                    }
                    Err(e) => {
                        out.diagnostics.push(Diagnostic::error(config_loc.clone(), e));
                        None
                    }
                }
            }
            Err(e) => {
                out.diagnostics.push(Diagnostic::error(
                    config_loc.clone(),
                    format!("image config listed in {} is missing: {e}", spec.listed_in),
                ));
                None
            }
        }
    };
    if let Some(c) = &config {
        record.created = c.created;
        record.container = c.container.clone();
        record.architecture = c.architecture.clone();
        record.os = c.os.clone();
        let v1_json = spec.layout == legacy::LAYOUT || (spec.recovered.is_some() && c.diff_ids.is_empty());
        if c.diff_ids.len() != spec.layers.len() && !v1_json {
            out.diagnostics.push(Diagnostic::warning(
                config_loc.clone(),
                format!(
                    "config lists {} diff_ids but the manifest lists {} layers",
                    c.diff_ids.len(),
                    spec.layers.len()
                ),
            ));
        }
    }
    record.history = align_history(config.as_ref(), spec.layers.len(), &config_loc, out);
    let mut loaded = LoadedImage {
        record,
        config,
        scans: vec![],
        applied: vec![],
        layer_locs: vec![],
        archive_loc: arch.whole_locator(),
        config_loc,
    };
    let layer_scans: Vec<_> = spec
        .layers
        .iter()
        .zip(members)
        .map(|(_, m)| m.as_ref().and_then(|m| scans.get(m)).cloned())
        .collect();
    let mut stack =
        Stack::new(&layer_scans.iter().map(|s| s.as_ref().map(|s| &s.entries[..])).collect::<Vec<_>>());
    for (i, ((lref, member), scan)) in spec.layers.iter().zip(members).zip(layer_scans.iter()).enumerate() {
        let loc = arch.locator(member.as_deref().unwrap_or(&lref.member));
        if let (Some(m), Some(s), Some(cut)) =
            (member.as_ref().and_then(|m| arch.member(m)), &scan, &arch.cut)
        {
            if m.is_cut() {
                out.diagnostics.push(Diagnostic::error(
                    loc.clone(),
                    format!(
                        "layer {i} is cut at byte {} of {} (the archive ends at byte {}): the {} entries read before the cut are kept and analysed, the rest of the layer is lost",
                        m.present,
                        m.size,
                        cut.at,
                        s.entries.len()
                    ),
                ));
            }
        }
        let applied = match scan {
            Some(s) => stack.apply(&s.entries, i),
            None => Applied::default(),
        };
        for n in &applied.notes {
            out.diagnostics.push(Diagnostic::warning(loc.clone(), n.clone()));
        }
        let step = loaded.record.history.iter().find(|h| h.layer == Some(i));
        let expected_diff_id = loaded.config.as_ref().and_then(|c| c.diff_ids.get(i)).cloned();
        let mut lr = LayerRecord {
            index: i,
            member: display_bytes(&lref.member),
            blob: member.as_deref().map(display_bytes).unwrap_or_default(),
            media_type: lref.media_type.clone(),
            history: step.map(|h| h.index),
            created: step.and_then(|h| h.created),
            created_by: step.and_then(|h| h.created_by.clone()),
            comment: step.and_then(|h| h.comment.clone()),
            expected_diff_id,
            ..Default::default()
        };
        if let Some(s) = scan {
            lr.compression = s.compression;
            lr.size = s.blob_size;
            lr.tar_size = s.tar_size;
            lr.digest = s.blob_digest.clone();
            lr.diff_id = s.diff_id.clone();
            lr.entries = s.entries.len();
            lr.complete = s.complete;
            lr.after_end = s.after_end.clone();
        }
        integrity::layer_checks(&mut lr, lref);
        count(&mut lr, &applied);
        loaded.record.layers.push(lr);
        loaded.applied.push(applied);
        loaded.layer_locs.push(loc);
    }
    loaded.record.final_paths = stack.paths();
    loaded.scans = layer_scans;
    integrity::image_status(&mut loaded.record, spec.manifest_check.as_ref());
    if spec.layout == legacy::LAYOUT && loaded.record.integrity == "unverified" {
        loaded.record.integrity = "unverifiable (v1 layout)";
    }
    loaded
}

pub(super) fn count(lr: &mut LayerRecord, applied: &Applied) {
    use super::tree::Change::*;
    for c in &applied.changes {
        match c.change {
            Added => lr.added += 1,
            Modified => lr.modified += 1,
            Deleted => lr.deleted += 1,
        }
    }
    lr.opaque_dirs = applied.opaque.iter().map(|p| show_path(p)).collect();
}

/// History steps with the layer each non-empty step made.
pub(super) fn align_history(
    config: Option<&ImageConfig>,
    layers: usize,
    loc: &Locator,
    out: &mut Outcome,
) -> Vec<HistoryRecord> {
    let Some(c) = config else { return vec![] };
    let mut next = 0;
    let mut recs = vec![];
    for (i, h) in c.history.iter().enumerate() {
        let empty = h.empty_layer.unwrap_or(false);
        let layer = (!empty).then(|| {
            next += 1;
            next - 1
        });
        recs.push(HistoryRecord {
            index: i,
            created: h.created.as_deref().and_then(crate::model::Timestamp::parse_rfc3339),
            created_by: h.created_by.clone(),
            comment: h.comment.clone(),
            author: h.author.clone(),
            empty_layer: empty,
            layer: layer.filter(|l| *l < layers),
        });
    }
    if !c.history.is_empty() && next != layers {
        out.diagnostics.push(Diagnostic::warning(
            loc.clone(),
            format!(
                "config history has {next} non-empty step(s) for {layers} layer(s); steps aligned in order"
            ),
        ));
    }
    recs
}

/// A standalone layer tar (no image metadata): one layer applied on an empty tree.
pub(crate) fn load_layer_tar(a: &Artifact, inspector: &Inspector, out: &mut Outcome) -> LoadedImage {
    let loc = a.locator();
    let scan = match a.open() {
        Ok(r) => read_layer(r, Some(a.size), &loc, inspector, true),
        Err(e) => LayerScan {
            diagnostics: vec![Diagnostic::error(loc.clone(), format!("cannot open: {e}"))],
            ..Default::default()
        },
    };
    out.diagnostics.extend(scan.diagnostics.iter().cloned());
    let (applied, final_paths) = apply_last(FileTree::new(), &scan.entries, 0, true);
    for n in &applied.notes {
        out.diagnostics.push(Diagnostic::warning(loc.clone(), n.clone()));
    }
    let mut lr = LayerRecord {
        index: 0,
        member: a.path.clone(),
        blob: a.path.clone(),
        compression: a.compression,
        size: a.size,
        tar_size: scan.tar_size,
        digest: a.sha256.as_ref().map(|h| format!("sha256:{h}")),
        diff_id: scan.diff_id.clone(),
        entries: scan.entries.len(),
        complete: scan.complete,
        after_end: scan.after_end.clone(),
        ..Default::default()
    };
    lr.diff_id_check = if scan.complete { super::Check::Unverified } else { super::Check::Incomplete };
    count(&mut lr, &applied);
    let record = ImageRecord {
        archive: a.path.clone(),
        role: "layer",
        layout: "layer-tar",
        listed_in: a.path.clone(),
        integrity: if scan.complete { "unverified" } else { "incomplete" },
        final_paths,
        layers: vec![lr],
        ..Default::default()
    };
    LoadedImage {
        record,
        config: None,
        scans: vec![Some(Arc::new(scan))],
        applied: vec![applied],
        layer_locs: vec![loc.clone()],
        archive_loc: loc.clone(),
        config_loc: loc,
    }
}

/// A change record as reported, of `origin` (a layer or a container side), its proof in
/// `within` (shared by the records read from it).
pub(crate) fn file_change(c: &ChangeRec, origin: Origin, within: &Arc<Locator>) -> FileChange {
    let m = &c.meta;
    FileChange {
        origin,
        path_bytes: c.path.clone(),
        change: c.change,
        meta: c.meta.clone(),
        dir_mtime: c.dir_mtime,
        implicit: c.implicit,
        traversal: c.traversal,
        rare: super::Rare {
            deleted_at: c.deleted_at(),
            what: c.what().into(),
            hidden: c
                .hidden()
                .iter()
                .map(|h| super::HiddenPath {
                    path: show_path(&h.path),
                    ftype: h.ftype,
                    sha256: h.sha256.map(|d| hex(&d)),
                    layer: h.layer,
                })
                .collect(),
            iocs: match c.change {
                super::Change::Deleted => vec![],
                _ => m.facts().map(|f| f.iocs.clone()).unwrap_or_default(),
            },
            member: c.raw_name().is_some().then(|| c.member().into_boxed_str()),
        }
        .boxed(),
        within: within.clone(),
    }
}
