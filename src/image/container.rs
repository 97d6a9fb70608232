//! The container's own changes: which layers `docker commit` added (another image in the
//! bundle is a layer prefix, or the history step looks like a commit), which image the
//! container ran from, the rebuilt `docker diff` (export vs that base, or the committed
//! layers), and its cross-check against a saved `docker diff`.

use std::collections::BTreeMap;

use super::content::Inspector;
use super::layer::read_layer;
use super::layout::ImageConfig;
use super::load::{file_change, LoadedImage};
use super::tree::{apply, diff_trees, docker_lines, Change, ChangeRec, FileTree};
use super::{show_path, BaseUsed, ContainerChanges, DiffLine, Disagreement, FileChange, ImageContext};
use crate::evidence::Artifact;
use crate::ingest::diff::DiffKind;
use crate::model::{Diagnostic, Finding, Locator, Outcome, Severity, Timestamp};

/// Paths the runtime puts in every container (init layer, bind mounts, pseudo filesystems):
/// never part of `docker diff`.
const RUNTIME_PATHS: &[&str] = &[
    ".dockerenv",
    ".dockerinit",
    "etc/hostname",
    "etc/hosts",
    "etc/resolv.conf",
    "etc/mtab",
    "dev",
    "proc",
    "sys",
];

/// The rebuilt container changes with the records behind them.
pub struct Container {
    pub report: ContainerChanges,
    /// Change records (export source only; committed layers report through their image).
    pub recs: Vec<ChangeRec>,
    /// Where each record's proof is (export artifact, or the commit layer).
    pub locs: Vec<Locator>,
    /// When the base image was made (for timestomping).
    pub base_created: Option<Timestamp>,
}

impl Container {
    /// File changes of the export (committed layers are already in their image's changes).
    pub fn file_changes(&self) -> Vec<FileChange> {
        if self.report.source != "export" {
            return vec![];
        }
        self.recs
            .iter()
            .zip(&self.locs)
            .map(|(r, loc)| file_change(r, None, None, "export".into(), loc.clone()))
            .collect()
    }
}

fn joined(v: &[String]) -> String {
    v.join(" ")
}

/// Whether a history step is a build step (Dockerfile instruction, buildkit, kaniko, import).
fn is_build_step(created_by: &str, comment: &str, author: &str) -> bool {
    let cb = created_by.trim();
    cb.contains("#(nop)")
        || cb.ends_with("# buildkit")
        || comment.starts_with("buildkit")
        || comment.starts_with("Imported from")
        || author == "kaniko"
        || ["RUN ", "COPY ", "ADD ", "|"].iter().any(|p| cb.starts_with(p))
}

/// Whether a history step looks like `docker commit`: not a build step, and created_by is
/// the container's command (what docker records) or there is a commit message.
fn is_commit_step(created_by: &str, comment: &str, author: &str, config: Option<&ImageConfig>) -> bool {
    let cb = created_by.trim();
    if (cb.is_empty() && comment.is_empty()) || is_build_step(cb, comment, author) {
        return false;
    }
    let cmd_match = config.is_some_and(|c| {
        let all: Vec<String> = c.entrypoint.iter().chain(&c.cmd).cloned().collect();
        (!c.cmd.is_empty() && cb == joined(&c.cmd)) || (!all.is_empty() && cb == joined(&all))
    });
    cmd_match || !comment.is_empty()
}

fn diff_ids(l: &LoadedImage) -> Vec<Option<String>> {
    l.record.layers.iter().map(|x| x.diff_id.clone().or_else(|| x.expected_diff_id.clone())).collect()
}

/// Find each image's commit layers.
pub fn mark_commits(images: &mut [LoadedImage]) {
    let ids: Vec<Vec<Option<String>>> = images.iter().map(diff_ids).collect();
    for i in 0..images.len() {
        if images[i].record.role == "layer" {
            continue;
        }
        // 1. Another image whose layers are a strict prefix of this one's.
        let prefix = (0..images.len())
            .filter(|&j| j != i && images[j].record.role != "layer")
            .filter(|&j| {
                let (a, b) = (&ids[j], &ids[i]);
                !a.is_empty() && a.len() < b.len() && a.iter().zip(b).all(|(x, y)| x.is_some() && x == y)
            })
            .max_by_key(|&j| ids[j].len());
        let step_of = |img: &LoadedImage, layer: usize| {
            let r = &img.record;
            r.layers.get(layer).and_then(|l| l.history).and_then(|h| r.history.get(h)).map(|h| {
                (
                    h.created_by.clone().unwrap_or_default(),
                    h.comment.clone().unwrap_or_default(),
                    h.author.clone().unwrap_or_default(),
                )
            })
        };
        // A child image built FROM the other one also has it as a prefix: its extra layers
        // are build steps, not commits.
        let prefix = prefix.filter(|&j| {
            (ids[j].len()..ids[i].len())
                .all(|k| step_of(&images[i], k).map_or(true, |(cb, c, a)| !is_build_step(&cb, &c, &a)))
        });
        if let Some(j) = prefix {
            let n = ids[j].len();
            images[i].record.committed_layers = (n..ids[i].len()).collect();
            images[i].record.commit_reason = Some(format!(
                "layers {n}.. are beyond those of image {} (index {j}), which is in the evidence",
                images[j].name()
            ));
            continue;
        }
        // 2. History: top layers whose step is a commit.
        let rec = &images[i].record;
        let mut top = vec![];
        for l in rec.layers.iter().rev() {
            let Some(h) = l.history.and_then(|h| rec.history.get(h)) else { break };
            let commit = is_commit_step(
                h.created_by.as_deref().unwrap_or(""),
                h.comment.as_deref().unwrap_or(""),
                h.author.as_deref().unwrap_or(""),
                images[i].config.as_ref(),
            );
            if !commit || top.len() + 1 >= rec.layers.len() {
                break;
            }
            top.push(l.index);
        }
        if !top.is_empty() {
            top.reverse();
            let rec = &mut images[i].record;
            rec.commit_reason = Some(format!(
                "history step of layer(s) {} is a `docker commit` (created_by is the container's command, or a commit comment; not a build step)",
                top.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
            ));
            rec.committed_layers = top;
        }
    }
}

/// The image (and how many of its layers) the container ran from.
fn choose_base(images: &[LoadedImage]) -> Vec<(usize, usize, String)> {
    if let Some(b) = images.iter().find(|l| l.record.role == "base-image") {
        return vec![(
            b.record.index,
            b.record.layers.len(),
            format!("image {} given with --base-image ({} layers)", b.name(), b.record.layers.len()),
        )];
    }
    let regular: Vec<&LoadedImage> = images.iter().filter(|l| l.record.role == "image").collect();
    if let Some(c) = regular.iter().find(|l| !l.record.committed_layers.is_empty()) {
        let k = c.record.committed_layers[0];
        if let Some(orig) = regular.iter().find(|o| {
            o.record.index != c.record.index && o.record.layers.len() == k && diff_ids(o) == diff_ids(c)[..k]
        }) {
            return vec![(
                orig.record.index,
                k,
                format!(
                    "image {} (the original image, in the evidence), below committed image {}",
                    orig.name(),
                    c.name()
                ),
            )];
        }
        return vec![(
            c.record.index,
            k,
            format!(
                "committed image {} without its committed layer(s) {:?}: layers 0..{} are the image the container ran from",
                c.name(),
                c.record.committed_layers,
                k.saturating_sub(1)
            ),
        )];
    }
    regular
        .iter()
        .map(|l| {
            (
                l.record.index,
                l.record.layers.len(),
                format!(
                    "image {} (all {} layers; no commit layer found, so the container is taken to have run from it)",
                    l.name(),
                    l.record.layers.len()
                ),
            )
        })
        .collect()
}

fn base_created(img: &LoadedImage, layers: usize) -> Option<Timestamp> {
    if layers == img.record.layers.len() && img.record.committed_layers.is_empty() {
        if let Some(c) = img.record.created {
            return Some(c);
        }
    }
    img.record.layers.iter().take(layers).filter_map(|l| l.created).max()
}

/// Rebuild the container's changes from an export or from committed layers.
pub fn rebuild(
    images: &[LoadedImage],
    exports: &[&Artifact],
    ctx: &ImageContext,
    inspector: &Inspector,
    out: &mut Outcome,
) -> Option<Container> {
    let mounts: Vec<Vec<u8>> = ctx
        .mount_points
        .iter()
        .map(|m| super::layer::normalize(m.as_bytes()).0)
        .filter(|m| !m.is_empty())
        .collect();
    let ignore = |p: &[u8]| {
        RUNTIME_PATHS
            .iter()
            .map(|r| r.as_bytes())
            .chain(mounts.iter().map(|m| m.as_slice()))
            .any(|r| p == r || (p.len() > r.len() && p.starts_with(r) && p[r.len()] == b'/'))
    };
    let candidates = choose_base(images);
    let mut container = if let Some(export) = exports.first() {
        if exports.len() > 1 {
            out.diagnostics.push(Diagnostic::warning(
                export.locator(),
                format!(
                    "{} filesystem tars in the bundle; the first is used as the container export",
                    exports.len()
                ),
            ));
        }
        let loc = export.locator();
        let scan = match export.open() {
            Ok(r) => read_layer(r, Some(export.size), &loc, inspector, false),
            Err(e) => {
                out.diagnostics.push(Diagnostic::error(loc, format!("cannot open export: {e}")));
                return None;
            }
        };
        out.diagnostics.extend(scan.diagnostics.iter().cloned());
        let mut top = FileTree::new();
        apply(&mut top, &scan.entries, 0);
        if candidates.is_empty() {
            out.diagnostics.push(Diagnostic::warning(
                loc,
                "container export without its image: docker diff cannot be rebuilt (add the image or --base-image)",
            ));
            return None;
        }
        let mut best: Option<(usize, usize, String, FileTree, Vec<ChangeRec>)> = None;
        for (img, n, desc) in &candidates {
            let base = images[*img].tree_of(*n);
            let recs = diff_trees(&base, &top, &ignore);
            if best.as_ref().map_or(true, |b| recs.len() < b.4.len()) {
                best = Some((*img, *n, desc.clone(), base, recs));
            }
        }
        let (img, n, mut desc, base, recs) = best?;
        if candidates.len() > 1 {
            desc.push_str(&format!(
                "; chosen among {} images as the one closest to the export",
                candidates.len()
            ));
        }
        let lines = docker_lines(recs.iter().map(|r| (r.change, r.path.clone())), |p| {
            base.contains_key(p) && top.contains_key(p)
        });
        let ignored =
            top.keys().filter(|p| ignore(p) && !base.contains_key(*p)).map(|p| show_path(p)).collect();
        let locs = recs.iter().map(|_| export.locator()).collect();
        Container {
            report: ContainerChanges {
                source: "export",
                export: Some(export.path.clone()),
                base: BaseUsed { image: Some(img), layers: n, description: desc },
                changes: to_lines(lines),
                ignored,
                ..Default::default()
            },
            recs,
            locs,
            base_created: base_created(&images[img], n),
        }
    } else {
        let c = images.iter().find(|l| l.record.role == "image" && !l.record.committed_layers.is_empty())?;
        let k = c.record.committed_layers[0];
        let (img, n, desc) = candidates.into_iter().next()?;
        let base = c.tree_of(k);
        let top = c.tree_at(None);
        let recs = diff_trees(&base, &top, &ignore);
        let lines = docker_lines(recs.iter().map(|r| (r.change, r.path.clone())), |p| {
            base.contains_key(p) && top.contains_key(p)
        });
        let locs = recs
            .iter()
            .map(|r| {
                let layer = top.get(&r.path).map(|n| n.layer).unwrap_or(k);
                c.layer_locs.get(layer).cloned().unwrap_or_default()
            })
            .collect();
        Container {
            report: ContainerChanges {
                source: "committed-layers",
                export: None,
                base: BaseUsed { image: Some(img), layers: n, description: desc },
                changes: to_lines(lines),
                ..Default::default()
            },
            recs,
            locs,
            base_created: base_created(&images[img], n),
        }
    };
    cross_check(&mut container.report, ctx, &ignore, out);
    Some(container)
}

fn to_lines(lines: Vec<(Change, Vec<u8>)>) -> Vec<DiffLine> {
    lines
        .into_iter()
        .map(|(c, p)| DiffLine {
            change: match c {
                Change::Added => DiffKind::Added,
                Change::Modified => DiffKind::Changed,
                Change::Deleted => DiffKind::Deleted,
            },
            path: show_path(&p),
        })
        .collect()
}

/// Compare the saved `docker diff` with the rebuilt one; every difference is reported.
fn cross_check(
    report: &mut ContainerChanges,
    ctx: &ImageContext,
    ignore: &dyn Fn(&[u8]) -> bool,
    out: &mut Outcome,
) {
    if ctx.saved_diff.is_empty() {
        return;
    }
    report.saved_entries = ctx.saved_diff.len();
    let rebuilt: BTreeMap<&str, DiffKind> =
        report.changes.iter().map(|l| (l.path.as_str(), l.change)).collect();
    let mut saved: BTreeMap<String, (DiffKind, Locator)> = BTreeMap::new();
    for e in &ctx.saved_diff {
        let norm = super::layer::normalize(e.path.as_bytes()).0;
        if norm.is_empty() || ignore(&norm) {
            continue;
        }
        saved.insert(show_path(&norm), (e.change, e.locator.clone()));
    }
    let mut dis = vec![];
    for (p, (k, loc)) in &saved {
        match rebuilt.get(p.as_str()) {
            Some(r) if r == k => {}
            r => dis.push(Disagreement {
                path: p.clone(),
                saved: Some(*k),
                rebuilt: r.copied(),
                locator: Some(loc.clone()),
            }),
        }
    }
    for (p, k) in &rebuilt {
        if !saved.contains_key(*p) {
            dis.push(Disagreement { path: p.to_string(), saved: None, rebuilt: Some(*k), locator: None });
        }
    }
    dis.sort_by(|a, b| a.path.cmp(&b.path));
    if !dis.is_empty() {
        let show: Vec<String> = dis
            .iter()
            .take(8)
            .map(|d| {
                let k = |x: Option<DiffKind>| x.map(|k| k.letter().to_string()).unwrap_or_else(|| "-".into());
                format!("{} (saved {}, rebuilt {})", d.path, k(d.saved), k(d.rebuilt))
            })
            .collect();
        let mut evidence: Vec<Locator> = dis.iter().filter_map(|d| d.locator.clone()).take(50).collect();
        if evidence.is_empty() {
            evidence = ctx
                .saved_diff
                .first()
                .map(|e| Locator::artifact(e.locator.artifact.clone()))
                .into_iter()
                .collect();
        }
        out.findings.push(Finding {
            rule: "container.diff.disagreement".into(),
            severity: Severity::Medium,
            category: "integrity".into(),
            title: "Saved docker diff disagrees with the rebuilt one".into(),
            summary: format!(
                "{} path(s) differ between the saved `docker diff` and the one rebuilt from {} (base: {}): {}{}. Files changed after the diff was taken, or evidence was altered",
                dis.len(),
                if report.source == "export" { "the export" } else { "the committed layers" },
                report.base.description,
                show.join(", "),
                if dis.len() > show.len() { ", ..." } else { "" }
            ),
            attack: None,
            time: None,
            evidence,
        });
    }
    report.disagreements = dis;
}
