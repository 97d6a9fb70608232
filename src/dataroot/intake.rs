//! Intake of a data root's layer directories during discovery: each directory becomes one
//! artifact (path, entries, bytes, tree digest) and its files layer entries, read from the
//! directory on disk or from the members of a tar of the root as they stream by (the members
//! come from `layerfs`'s tar reader).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::layout::{layer_dir_of, DirKind, LayerDir};
use super::tree::{read_dir_tree, TreeBuilder, TreeCustody};
use crate::compression::Compression;
use crate::content::Inspector;
use crate::evidence::{Artifact, ArtifactKind, ArtifactSource};
use crate::layerfs::{FileType, Node, TarMember};
use crate::layerscan::LayerScan;
use crate::model::{display_bytes, Diagnostic, Locator};

/// The layer directories of a bundle, read.
#[derive(Clone, Debug, Default)]
pub struct Trees {
    /// Directory path in the bundle -> its content as layer entries.
    pub scans: BTreeMap<String, Arc<LayerScan>>,
    /// Directory path -> kind and custody.
    pub dirs: BTreeMap<String, (DirKind, TreeCustody)>,
}

fn artifact(dir: &str, kind: DirKind, c: &TreeCustody, scan: &LayerScan) -> Artifact {
    let error = scan
        .diagnostics
        .iter()
        .find(|d| d.level == crate::model::DiagLevel::Error)
        .map(|d| format!("part of the tree could not be read: {}", d.message));
    Artifact {
        path: dir.to_string(),
        source: ArtifactSource::None,
        kind: ArtifactKind::LayerDir,
        size: c.bytes,
        sha256: c.digest,
        compression: Compression::None,
        error,
        note: Some(format!(
            "{}: {} entries, {} regular files, {} bytes; sha256 is the tree digest (docs/inputs.md); its files are read as layer entries",
            kind.describe(),
            c.entries,
            c.files,
            c.bytes
        ).into()),
        mtime: None,
    }
}

fn finish(found: Vec<(LayerDir, LayerScan, TreeCustody)>) -> (Vec<Artifact>, Trees, Vec<Diagnostic>) {
    let mut arts = vec![];
    let mut trees = Trees::default();
    let mut diags = vec![];
    let unseen: Vec<&str> =
        found.iter().filter(|(_, _, c)| c.opaque_unseen).map(|(d, _, _)| d.dir.as_str()).collect();
    if let Some(first) = unseen.first() {
        let at = first.rsplit_once('/').map(|(p, _)| p).unwrap_or(first);
        diags.push(Diagnostic::warning(
            Locator::artifact(at.to_string()),
            format!(
                "read without root: `trusted.overlay.opaque` xattrs are invisible to this reader, so opaque directories (a directory deleted and re-created in a layer) cannot be seen in {} overlay layer director{}; `user.overlay.opaque` was checked. Read as root, or from a tar made with --xattrs, to see them",
                unseen.len(),
                if unseen.len() == 1 { "y" } else { "ies" }
            ),
        ));
    }
    for (d, scan, custody) in found {
        arts.push(artifact(&d.dir, d.kind, &custody, &scan));
        diags.extend(scan.diagnostics.iter().cloned());
        trees.dirs.insert(d.dir.clone(), (d.kind, custody));
        trees.scans.insert(d.dir, Arc::new(scan));
    }
    (arts, trees, diags)
}

/// Whether a walked directory (path relative to the bundle) is a layer directory: then it is
/// read as one, not walked for artifacts.
pub(crate) fn is_layer_dir(rel: &str) -> Option<LayerDir> {
    layer_dir_of(rel).and_then(|(d, rest)| rest.is_empty().then_some(d))
}

/// Read layer directories found by a directory walk (`root` is the bundle directory).
pub(crate) fn read_dirs(
    root: &Path,
    dirs: Vec<LayerDir>,
    inspector: &Inspector,
) -> (Vec<Artifact>, Trees, Vec<Diagnostic>) {
    let found: Vec<(LayerDir, LayerScan, TreeCustody)> = dirs
        .into_par_iter()
        .map(|d| {
            let on_disk = root.join(&d.dir);
            let content = d.kind.content().iter().copied().find(|c| on_disk.join(c).is_dir());
            let style = d.kind.whiteouts(content);
            let (scan, mut custody) = if d.kind.content().is_empty() || content.is_some() {
                read_dir_tree(&on_disk, content, style, &d.dir, inspector)
            } else {
                // A driver directory without its content (a layer being created or removed).
                TreeBuilder::new(style).finish()
            };
            custody.disk = Some(on_disk);
            (d, scan, custody)
        })
        .collect();
    finish(found)
}

/// Layer directories read from the members of a tar of a data root, as they stream.
#[derive(Default)]
pub(crate) struct TarTrees {
    inspector: Inspector,
    open: BTreeMap<String, Open>,
    /// The tar being read and its compression, when it is a file (members' offsets are kept
    /// for the tar-split check).
    archive: Option<(std::path::PathBuf, Compression)>,
}

struct Open {
    dir: LayerDir,
    content: Option<&'static str>,
    builder: Option<TreeBuilder>,
    meta: Vec<(String, Vec<u8>)>,
    /// Regular files: (content path, data offset in the decoded archive, size).
    files: Vec<(Box<[u8]>, u64, u64)>,
    /// Hard links to other members of the layer: (content path, target content path).
    links: Vec<(Box<[u8]>, Vec<u8>)>,
}

impl TarTrees {
    /// For the members of the tar at `archive` (decoded with `compression`).
    pub(crate) fn new(archive: &Path, compression: Compression, inspector: Inspector) -> Self {
        TarTrees { archive: Some((archive.to_path_buf(), compression)), inspector, ..Default::default() }
    }

    /// Offer a member: true when it belongs to a layer directory (and was taken).
    pub(crate) fn offer<R: Read>(&mut self, name: &[u8], entry: &mut TarMember<'_, R>) -> bool {
        let shown = display_bytes(name);
        let Some((d, rest)) = layer_dir_of(&shown) else { return false };
        let rest = rest.to_string();
        let o = self.open.entry(d.dir.clone()).or_insert_with(|| Open {
            dir: d.clone(),
            content: None,
            builder: None,
            meta: vec![],
            files: vec![],
            links: vec![],
        });
        let kind = o.dir.kind;
        let (first, below) = match rest.split_once('/') {
            Some((a, b)) => (a, b),
            None => (rest.as_str(), ""),
        };
        let content_path: Option<&str> = if kind.content().is_empty() {
            Some(rest.as_str())
        } else if let Some(c) = kind.content().iter().copied().find(|c| *c == first) {
            if o.content.is_none() {
                o.content = Some(c);
            }
            (o.content == Some(c)).then_some(below)
        } else {
            if below.is_empty()
                && matches!(first, "link" | "lower" | "lower-id" | "parent")
                && entry.size() <= 4096
            {
                let mut v = vec![];
                if entry.read_to_end(&mut v).is_ok() {
                    o.meta.push((first.to_string(), v));
                }
            }
            None
        };
        let style = kind.whiteouts(o.content);
        let b = o.builder.get_or_insert_with(|| TreeBuilder::new(style));
        let Some(p) = content_path else { return true };
        let path = crate::layerfs::normalize(p.as_bytes()).0;
        if path.is_empty() {
            return true;
        }
        let loc = Locator::artifact(o.dir.dir.clone());
        let node = node_of(entry, path, &o.dir, o.content);
        let is_file = node.ftype == FileType::File && node.hardlink.is_none();
        // Only Docker's image layers have a tar-split to check against.
        if self.archive.is_some()
            && matches!(kind, DirKind::Overlay2 | DirKind::Overlay | DirKind::AufsDiff | DirKind::Copy)
        {
            match &node.hardlink {
                Some(target) if node.ftype == FileType::File => {
                    o.links.push((node.path.clone().into_boxed_slice(), target.clone()))
                }
                Some(_) => {}
                None if is_file => {
                    o.files.push((node.path.clone().into_boxed_slice(), entry.data_offset(), entry.size()))
                }
                None => {}
            }
        }
        if is_file {
            b.add(node, Some(entry), &self.inspector, &loc);
        } else {
            b.add(node, None, &self.inspector, &loc);
        }
        true
    }

    /// Every layer directory met, as artifacts and trees.
    pub(crate) fn finish(self) -> (Vec<Artifact>, Trees, Vec<Diagnostic>) {
        let archive = self.archive;
        let found = self
            .open
            .into_values()
            .map(|mut o| {
                let style = o.dir.kind.whiteouts(o.content);
                let mut b = o.builder.unwrap_or_else(|| TreeBuilder::new(style));
                for (name, v) in &o.meta {
                    b.meta_file(name, v);
                }
                b.custody.content = o.content.map(String::from);
                if let Some((path, compression)) = &archive {
                    o.files.sort();
                    // A hard link's content is its target's member.
                    let linked: Vec<(Box<[u8]>, u64, u64)> = std::mem::take(&mut o.links)
                        .into_iter()
                        .filter_map(|(p, target)| {
                            let i =
                                o.files.binary_search_by(|(f, _, _)| (**f).cmp(target.as_slice())).ok()?;
                            Some((p, o.files[i].1, o.files[i].2))
                        })
                        .collect();
                    o.files.extend(linked);
                    o.files.sort();
                    b.custody.members = Some(super::tarsplit::Members {
                        archive: path.clone(),
                        compression: *compression,
                        files: std::mem::take(&mut o.files),
                    });
                }
                let (scan, custody) = b.finish();
                (o.dir, scan, custody)
            })
            .collect();
        finish(found)
    }
}

/// The member's node, its hard link target made relative to the layer's content root.
fn node_of<R: Read>(
    member: &mut TarMember<'_, R>,
    path: Vec<u8>,
    dir: &LayerDir,
    content: Option<&str>,
) -> Node {
    let pax = member.pax();
    let mut node = member.node(path, &pax);
    // A hard link names another member of the archive: the same layer's file, by its path.
    node.hardlink = node.hardlink.take().map(|full| {
        let mut prefix = crate::layerfs::normalize(dir.dir.as_bytes()).0;
        if let Some(c) = content {
            prefix.push(b'/');
            prefix.extend_from_slice(c.as_bytes());
        }
        prefix.push(b'/');
        let rel = full.strip_prefix(prefix.as_slice()).map(<[u8]>::to_vec).unwrap_or(full.clone());
        // Some tars name the root with a leading component the member names share.
        if rel == full {
            let s = display_bytes(&full);
            if let Some((_, r)) = layer_dir_of(&s) {
                let r = r
                    .split_once('/')
                    .map(|(a, b)| if dir.kind.content().contains(&a) { b } else { r })
                    .unwrap_or(r);
                return r.as_bytes().to_vec();
            }
        }
        rel
    });
    node
}
