//! Which filesystem `extract` copies from: the bundle's containers and images as `scan` names
//! them (data-root containers by name or id, `docker export` tars by their inspect container
//! or their path, images by tag or id), one picked, and its merged view as of a layer with,
//! per layer, where that layer's content can be read again.

use std::path::{Path, PathBuf};

use crate::content::Inspector;
use crate::dataroot::tarsplit::Members;
use crate::evidence::{Artifact, ArtifactKind, Bundle};
use crate::image::{merge, AnalyzeOptions, FileTree, ImageContext};
use crate::layerscan::read_layer;
use crate::limits::Limits;
use crate::model::pick::by_name_or_id;
use crate::model::{Diagnostic, Locator};

/// Where one layer's file contents are read again.
pub(crate) enum Content {
    /// A member (layer blob) of an image archive or layout directory, by the archive's name
    /// and the member's.
    Blob { archive: String, member: String },
    /// A whole artifact of the bundle (a `docker export` or a standalone layer tar), by index.
    Artifact(usize),
    /// A layer directory on disk (a data root's `diff/`, `fs/`...).
    Dir(PathBuf),
    /// A layer directory inside a tar of a data root: its files' offsets in the tar.
    RootTar(Members),
    /// Not readable again; why.
    Unknown(String),
}

/// One layer of a view.
pub(crate) struct Source {
    /// The layer as a locator (artifact > blob, or the layer directory).
    pub loc: Locator,
    pub content: Content,
}

/// The merged filesystem of the picked container or image.
pub(crate) struct View {
    /// What was picked, in words (`container web (1111…) in data root`, `image web:1`).
    pub label: String,
    /// The layer the view is as of, and the last one.
    pub at: usize,
    pub last: usize,
    pub tree: FileTree,
    /// Per layer index (the tree nodes' `layer`).
    pub sources: Vec<Source>,
    /// The bundle (its artifacts are reopened to copy).
    pub bundle: Bundle,
    /// What reading the evidence said.
    pub diagnostics: Vec<Diagnostic>,
    /// The limits the evidence is read under.
    pub limits: Limits,
}

impl View {
    /// Whether a diagnostic is about what this view reads (one of its layers' artifacts),
    /// rather than about the rest of the bundle.
    pub(crate) fn concerns(&self, d: &Diagnostic) -> bool {
        self.sources.iter().any(|s| s.loc.artifact == d.locator.artifact)
    }
}

/// Why no view was made: a usage error (exit 64) in words.
#[derive(Debug)]
pub(crate) struct NoView(pub String);

enum Pick {
    Root(usize),
    Export(usize),
    Image(usize),
}

struct Candidate {
    shown: String,
    names: Vec<String>,
    /// Full ids (bare hex or `sha256:` names): a unique prefix picks them too.
    ids: Vec<String>,
    pick: Pick,
}

/// The candidates `which` names (see [`by_name_or_id`]).
fn matching<'c>(cands: &'c [Candidate], which: &str) -> Vec<&'c Candidate> {
    by_name_or_id(cands, which, |c| &c.names, |c| &c.ids).into_iter().map(|i| &cands[i]).collect()
}

fn list(cands: &[&Candidate]) -> String {
    cands
        .iter()
        .map(|c| format!("  {}", crate::model::terminal_safe(&c.shown)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Read the bundle at `path`, pick the container or image `which` names and build its merged
/// view as of layer `at` (None: the last).
pub(crate) fn open(path: &Path, which: &str, at: Option<usize>, limits: Limits) -> Result<View, NoView> {
    let mut bundle = crate::evidence::discover_with(path, &limits);
    let inspector = Inspector::with_limits(limits);
    let mut diagnostics = bundle.diagnostics.clone();
    // Containers the inspect captures describe (they name the exports beside them).
    let mut inspected = vec![];
    for a in bundle.artifacts.iter().filter(|a| a.kind == ArtifactKind::Inspect) {
        let (doc, d) = crate::ingest::inspect::parse(a);
        inspected.extend(doc.containers);
        diagnostics.extend(d);
    }
    let mut cands = vec![];
    let root = crate::dataroot::read(&bundle.artifacts, &bundle.trees, &inspected, &mut diagnostics);
    if let Some(r) = &root {
        for (i, c) in r.rooted.containers.iter().enumerate() {
            cands.push(Candidate {
                shown: format!("container {} ({}) in a data root", c.name, c.id),
                names: vec![c.name.clone()],
                ids: vec![c.id.clone()],
                pick: Pick::Root(i),
            });
        }
    }
    // The blobs of an OCI layout folder are that image's layers, never exports of their own.
    let in_layouts = crate::image::layout_members(&bundle.artifacts.iter().collect::<Vec<_>>());
    let exports = bundle
        .artifacts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == ArtifactKind::FilesystemTar && !in_layouts.contains(&a.path));
    for (i, a) in exports {
        // The containers whose inspect lies in the export's folder or the nearest one above.
        let mut dir = crate::model::folder_of(&a.path).to_string();
        let own = loop {
            let here: Vec<_> =
                inspected.iter().filter(|c| crate::model::folder_of(&c.locator.artifact) == dir).collect();
            if !here.is_empty() || dir.is_empty() {
                break here;
            }
            dir = crate::model::folder_of(&dir).to_string();
        };
        let mut names = vec![a.path.clone()];
        let mut ids = vec![];
        for c in &own {
            names.push(c.name.clone());
            ids.push(c.id.clone());
        }
        let who: Vec<String> = own.iter().map(|c| format!("{} ({})", c.name, c.id)).collect();
        cands.push(Candidate {
            shown: if who.is_empty() {
                format!("export {}", a.path)
            } else {
                format!("export {} of container {}", a.path, who.join(", "))
            },
            names,
            ids,
            pick: Pick::Export(i),
        });
    }
    let refs: Vec<&Artifact> = bundle.artifacts.iter().collect();
    let has_images = bundle.artifacts.iter().any(|a| {
        a.kind.is_image_archive() || a.kind == ArtifactKind::LayerTar || a.path.ends_with("oci-layout")
    });
    let (section, mut trees) = if has_images {
        let ctx = ImageContext { limits, ..Default::default() };
        crate::image::analyze(&refs, &ctx, None, &AnalyzeOptions { keep_trees: true, tree_at: at })
    } else {
        Default::default()
    };
    diagnostics.extend(section.outcome.diagnostics.iter().cloned());
    for img in section.images.iter().filter(|i| i.refused.is_none()) {
        let mut names = img.repo_tags.clone();
        names.push(img.archive.clone());
        cands.push(Candidate {
            shown: format!(
                "image {} ({}) in {}",
                img.repo_tags.first().map(String::as_str).unwrap_or("<untagged>"),
                img.id.as_deref().unwrap_or("no config"),
                img.archive
            ),
            names,
            ids: img.id.iter().cloned().collect(),
            pick: Pick::Image(img.index),
        });
    }
    // A single tar read as a bundle archive that gave nothing to extract from is one
    // filesystem or layer tar itself (as `layers` reads it).
    if cands.is_empty() && path.is_file() {
        let single = crate::evidence::examine_file(path);
        if matches!(single.kind, ArtifactKind::FilesystemTar | ArtifactKind::LayerTar)
            && single.error.is_none()
        {
            cands.push(Candidate {
                shown: format!("{} {}", single.kind.as_str(), single.path),
                names: vec![single.path.clone()],
                ids: vec![],
                pick: Pick::Export(bundle.artifacts.len()),
            });
            bundle.artifacts.push(single);
        }
    }
    let hits = matching(&cands, which);
    let pick = match hits.as_slice() {
        [one] => one,
        [] if cands.is_empty() => {
            return Err(NoView(format!(
                "{} holds no container or image to extract from (no data root, docker export, image archive or layer tar)",
                path.display()
            )))
        }
        [] => {
            let all: Vec<&Candidate> = cands.iter().collect();
            return Err(NoView(format!("no container or image {which} in the bundle; it holds:\n{}", list(&all))));
        }
        many => return Err(NoView(format!("{which} names {} of the bundle's:\n{}", many.len(), list(many)))),
    };
    let (label, sources, tree) = match pick.pick {
        Pick::Root(i) => {
            let r = root.expect("a data-root candidate comes from a data root");
            let sel = crate::dataroot::select::narrow(r.rooted, i, vec![]);
            let img = crate::dataroot::select::as_image(&sel).images.remove(0);
            let n = at.map_or(img.layers.len(), |a| (a + 1).min(img.layers.len()));
            let mut tree = FileTree::new();
            let mut sources = vec![];
            for (k, l) in img.layers.iter().enumerate() {
                if let (Some(s), true) = (&l.scan, k < n) {
                    merge(&mut tree, &s.entries, k);
                }
                let loc = Locator::artifact(l.dir.clone().unwrap_or_else(|| format!("layer {k}")));
                let content = match l.dir.as_ref().and_then(|d| bundle.trees.dirs.get(d)) {
                    Some((_, c)) => match (&c.disk, &c.members) {
                        (Some(d), _) => Content::Dir(d.join(c.content.as_deref().unwrap_or(""))),
                        (None, Some(m)) => Content::RootTar(m.clone()),
                        (None, None) => {
                            Content::Unknown("the layer directory's content was not found".into())
                        }
                    },
                    None => Content::Unknown("the layer directory is not in the evidence".into()),
                };
                sources.push(Source { loc, content });
            }
            (format!("container {} ({}) in a data root", sel.name, sel.id), sources, tree)
        }
        Pick::Export(i) => {
            let a = &bundle.artifacts[i];
            let loc = a.locator();
            let scan = match a.open() {
                Ok(r) => read_layer(r, Some(a.size), &loc, &inspector, a.kind == ArtifactKind::LayerTar),
                Err(e) => {
                    return Err(NoView(format!("cannot open {}: {e}", a.path)));
                }
            };
            diagnostics.extend(scan.diagnostics.iter().cloned());
            let mut tree = FileTree::new();
            merge(&mut tree, &scan.entries, 0);
            (pick.shown.clone(), vec![Source { loc, content: Content::Artifact(i) }], tree)
        }
        Pick::Image(index) => {
            let img = section.images.iter().find(|i| i.index == index).expect("a picked image is listed");
            let pos = trees.iter().position(|(i, _)| *i == index);
            let tree = pos.map(|p| trees.swap_remove(p).1).unwrap_or_default();
            let sources = img
                .layers
                .iter()
                .map(|l| {
                    if img.layout == "layer-tar" {
                        let idx = bundle.artifacts.iter().position(|a| a.path == img.archive);
                        return Source {
                            loc: Locator::artifact(img.archive.clone()),
                            content: idx
                                .map_or(Content::Unknown("the layer tar is gone".into()), Content::Artifact),
                        };
                    }
                    Source {
                        loc: Locator::artifact(img.archive.clone()).with_member(l.blob.clone()),
                        content: Content::Blob { archive: img.archive.clone(), member: l.blob.clone() },
                    }
                })
                .collect();
            (pick.shown.clone(), sources, tree)
        }
    };
    let last = sources.len().saturating_sub(1);
    if let Some(a) = at {
        if a > last {
            return Err(NoView(format!(
                "--layer {a}: {label} has {} layer(s), numbered 0..{last}",
                sources.len()
            )));
        }
    }
    Ok(View { label, at: at.unwrap_or(last), last, tree, sources, bundle, diagnostics, limits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(name: &str, id: &str) -> Candidate {
        Candidate {
            shown: name.into(),
            names: vec![name.into()],
            ids: vec![id.into()],
            pick: Pick::Export(0),
        }
    }

    #[test]
    fn names_ids_and_prefixes() {
        let c = [cand("web", "sha256:abcd1234"), cand("db", "abce9999")];
        assert_eq!(matching(&c, "/web").len(), 1);
        assert_eq!(matching(&c, "abcd1234")[0].shown, "web");
        assert_eq!(matching(&c, "sha256:abce")[0].shown, "db");
        assert_eq!(matching(&c, "abc").len(), 2);
        assert!(matching(&c, "zzz").is_empty());
        assert!(matching(&c, "sha256:").is_empty());
    }
}
