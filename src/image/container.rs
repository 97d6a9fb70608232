//! The container's own changes: which layers `docker commit` added (another image in the
//! bundle is a layer prefix, or the history step looks like a commit), which image the
//! container ran from, the rebuilt `docker diff` (export vs that base, or the committed
//! layers), and its cross-check against a saved `docker diff`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::file_change::Side;
use super::layout::ImageConfig;
use super::load::{file_change, LoadedImage};
use super::section::{BaseRefusal, BaseUsed, ContainerChanges, DiffLine, Disagreement, ImageContext};
use super::tree::{diff_trees, docker_lines, Change, ChangeRec, FileTree, FlatView, View};
use super::FileChange;
use super::Origin;
use crate::content::Inspector;
use crate::evidence::Artifact;
use crate::ingest::diff::DiffKind;
use crate::layerfs::show_path;
use crate::layerscan::{read_layer_sharing, Meta};
use crate::model::{Diagnostic, Finding, Locator, Outcome, Severity, Timestamp};

/// A saved `docker diff` that disagrees with the one rebuilt from the evidence.
pub(crate) static DIFF_DISAGREEMENT: crate::model::RuleDef = crate::model::RuleDef::new(
    "container.diff.disagreement",
    crate::model::RuleKind::of(crate::model::Family::Image),
    crate::model::Severity::Medium,
    "integrity",
    "",
    "saved docker diff disagrees with the rebuilt one",
);

/// Paths the runtime puts in every container (init layer, bind mounts, pseudo filesystems):
/// never part of `docker diff`.
pub(super) const RUNTIME_PATHS: &[&str] = &[
    ".dockerenv",
    ".dockerinit",
    // podman: its marker file and the secrets it mounts.
    "run/.containerenv",
    "run/secrets",
    "etc/hostname",
    "etc/hosts",
    "etc/resolv.conf",
    "etc/mtab",
    "dev",
    "proc",
    "sys",
];

/// `/etc`, `/run`: a directory that holds a runtime path.
fn holds_runtime_path(shown: &str) -> bool {
    let dir = shown.trim_start_matches('/');
    RUNTIME_PATHS.iter().any(|r| r.len() > dir.len() && r.starts_with(dir) && r.as_bytes()[dir.len()] == b'/')
}

/// Whether `docker diff` never shows `path`: a runtime path (init layer, pseudo filesystems)
/// or below one, or below a mount point (the mount point itself is created in the
/// container's layer and docker lists it; what is mounted there is not in the layer).
pub(super) fn is_ignored(path: &[u8], mounts: &[Vec<u8>]) -> bool {
    let below = |r: &[u8]| path.len() > r.len() && path.starts_with(r) && path[r.len()] == b'/';
    RUNTIME_PATHS.iter().any(|r| path == r.as_bytes() || below(r.as_bytes()))
        || mounts.iter().any(|m| below(m))
}

/// A path with the symlinks of `tree` resolved (inside the tree, never on disk): a mount on
/// `/var/run/docker.sock` lands on `/run/docker.sock` when `/var/run -> /run`.
fn resolve_in(tree: &impl View, path: &[u8]) -> Vec<u8> {
    let mut cur: Vec<u8> = path.to_vec();
    for _ in 0..MAX_LINKS {
        let parts: Vec<&[u8]> = cur.split(|c| *c == b'/').collect();
        let mut hit = None;
        for i in 1..=parts.len() {
            let prefix = parts[..i].join(&b'/');
            if let Some(link) = tree.node(&prefix[..]).and_then(|n| n.meta.link()) {
                let mut target = if link.starts_with(b"/") {
                    link.to_vec()
                } else {
                    let mut t = parts[..i - 1].join(&b'/');
                    t.push(b'/');
                    t.extend_from_slice(link);
                    t
                };
                for rest in &parts[i..] {
                    target.push(b'/');
                    target.extend_from_slice(rest);
                }
                hit = Some(crate::layerfs::normalize(&target).0);
                break;
            }
        }
        match hit {
            Some(next) if next != cur => cur = next,
            _ => return cur,
        }
    }
    cur
}

/// Symlink hops followed when resolving a mount point.
const MAX_LINKS: usize = 40;

/// Mount points as given and as resolved through the container's symlinks.
fn mount_points(ctx: &ImageContext, top: &impl View) -> Vec<Vec<u8>> {
    let mut out = std::collections::BTreeSet::new();
    for m in &ctx.mount_points {
        let m = crate::layerfs::normalize(m.as_bytes()).0;
        if !m.is_empty() {
            out.insert(resolve_in(top, &m));
            out.insert(m);
        }
    }
    out.into_iter().collect()
}

/// The rebuilt container changes with the records behind them.
pub(crate) struct Container {
    pub report: ContainerChanges,
    /// Change records (export source only; committed layers report through their image).
    pub recs: Vec<ChangeRec>,
    /// Where each record's proof is (export artifact, or the commit layer): shared by the
    /// records read from the same place, not a copy each.
    pub locs: Vec<Arc<Locator>>,
    /// When the base image was made (for timestomping).
    pub base_created: Option<Timestamp>,
}

impl Container {
    /// File changes of the export (committed layers are already in their image's changes).
    pub(crate) fn file_changes(&self) -> Vec<FileChange> {
        if self.report.source == Side::CommittedLayers {
            return vec![];
        }
        self.recs
            .iter()
            .zip(&self.locs)
            .map(|(r, loc)| file_change(r, Origin::Side(self.report.source), loc))
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
pub(crate) fn mark_commits(images: &mut [LoadedImage]) {
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
                .all(|k| step_of(&images[i], k).is_none_or(|(cb, c, a)| !is_build_step(&cb, &c, &a)))
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

/// A possible base: (image, how many of its layers, how it was chosen).
type Base = (usize, usize, String);

/// The image (and how many of its layers) the container ran from: the one the analyst gave
/// (`--base-image`, `diff --image`), if any, and the bundle's own candidates.
fn choose_base(images: &[LoadedImage], flag: &str) -> (Option<Base>, Vec<Base>) {
    let given = images.iter().find(|l| l.record.role == "base-image").map(|b| {
        if let Some(&k) = b.record.committed_layers.first() {
            return (
                b.record.index,
                k,
                format!(
                    "image {} given with {flag}, without its committed layer(s) {:?} (layers 0..{})",
                    b.name(),
                    b.record.committed_layers,
                    k.saturating_sub(1)
                ),
            );
        }
        (
            b.record.index,
            b.record.layers.len(),
            format!("image {} given with {flag} ({} layers)", b.name(), b.record.layers.len()),
        )
    });
    (given, bundle_bases(images))
}

/// The bases the bundle's own images offer: below each committed image, its original (when
/// in the evidence) or its own layers without the commit; with no committed image, every
/// image whole.
fn bundle_bases(images: &[LoadedImage]) -> Vec<Base> {
    let regular: Vec<&LoadedImage> = images.iter().filter(|l| l.record.role == "image").collect();
    let committed: Vec<Base> = regular
        .iter()
        .filter(|l| !l.record.committed_layers.is_empty())
        .map(|c| {
            let k = c.record.committed_layers[0];
            match regular.iter().find(|o| {
                o.record.index != c.record.index && o.record.layers.len() == k && diff_ids(o) == diff_ids(c)[..k]
            }) {
                Some(orig) => (
                    orig.record.index,
                    k,
                    format!(
                        "image {} (the original image, in the evidence), below committed image {}",
                        orig.name(),
                        c.name()
                    ),
                ),
                None => (
                    c.record.index,
                    k,
                    format!(
                        "committed image {} without its committed layer(s) {:?}: layers 0..{} are the image the container ran from",
                        c.name(),
                        c.record.committed_layers,
                        k.saturating_sub(1)
                    ),
                ),
            }
        })
        .collect();
    if !committed.is_empty() {
        return committed;
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

pub(super) fn base_created(img: &LoadedImage, layers: usize) -> Option<Timestamp> {
    if layers == img.record.layers.len() && img.record.committed_layers.is_empty() {
        if let Some(c) = img.record.created {
            return Some(c);
        }
    }
    img.record.layers.iter().take(layers).filter_map(|l| l.created).max()
}

/// Rebuild the container's changes from an export or from committed layers. A base the
/// analyst gave that the export does not bear out is refused (`refused`, with a warning).
pub(crate) fn rebuild(
    images: &[LoadedImage],
    exports: &[&Artifact],
    ctx: &ImageContext,
    inspector: &Inspector,
    out: &mut Outcome,
    refused: &mut Option<BaseRefusal>,
) -> Option<Container> {
    let (given, candidates) = choose_base(images, ctx.base_flag());
    let (mut container, mounts) = if let Some(export) = exports.first() {
        // The bases weighed first are built before the export is read: its files that are
        // the same as theirs then share their path and metadata (held once, not twice).
        let view = |(img, n, desc): Base| (images[img].tree_of(n), (img, n, desc));
        let had_given = given.is_some();
        let (mut first, rest) = match given {
            Some(g) => (vec![view(g)], candidates),
            None => (candidates.into_iter().map(view).collect(), vec![]),
        };
        let shared = |path: &[u8], meta: &Meta| {
            first.iter().find_map(|(base, _)| {
                let (k, n) = base.get_key_value(path)?;
                (*n.meta == *meta).then(|| (k.clone(), n.meta.clone()))
            })
        };
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
            Ok(r) => read_layer_sharing(r, Some(export.size), &loc, inspector, false, &shared),
            Err(e) => {
                out.diagnostics.push(Diagnostic::error(loc, format!("cannot open export: {e}")));
                return None;
            }
        };
        out.diagnostics.extend(scan.diagnostics);
        // Made from the entries in place: at no time are the entries and a view of them
        // both held.
        let top = FlatView::of(scan.entries);
        let mounts = mount_points(ctx, &top);
        let ignore = |p: &[u8]| is_ignored(p, &mounts);
        if first.is_empty() {
            out.diagnostics.push(Diagnostic::warning(
                loc,
                "container export without its image: docker diff cannot be rebuilt (add the image or --base-image)",
            ));
            return None;
        }
        let weigh = |bases: Vec<(FileTree, Base)>| -> Vec<Candidate> {
            let mut tried: Vec<Candidate> = bases
                .into_iter()
                .map(|(base, (img, n, desc))| {
                    let recs = diff_trees(&base, &top, &ignore);
                    let share = identical_share(&base, &top);
                    Candidate { img, n, desc, base, recs, share, via: None }
                })
                .collect();
            via_committed(images, &top, &mut tried);
            tried
        };
        // The analyst's base is taken only on evidence: enough of its files in the export.
        // Refused, it is no base at all, and the bundle's own images are weighed instead.
        let mut pick = None;
        if had_given {
            let c = weigh(std::mem::take(&mut first)).pop()?;
            if frac(c.share) > PAIR_THRESHOLD {
                let why = format!(
                    "it was given with {}; {} of its files are in the export unchanged",
                    ctx.base_flag(),
                    pct(c.share)
                );
                pick = Some((c, why));
            } else if let Some((_, named)) = named_by_bundle(images, &c, ctx) {
                let why = format!(
                    "it was given with {} and {named}, though only {} of its files are in the export unchanged",
                    ctx.base_flag(),
                    pct(c.share)
                );
                pick = Some((c, why));
            } else {
                let r = refusal(images, &c, ctx.base_flag());
                out.diagnostics.push(Diagnostic::warning(
                    export.locator(),
                    format!(
                        "{} {} refused as the base of the export: {}; no diff is made against it and it is not analysed",
                        r.flag, r.name, r.why
                    ),
                ));
                *refused = Some(r);
            }
        }
        let (pick, why) = match pick {
            Some(p) => p,
            None => {
                let bases = if had_given { rest.into_iter().map(view).collect() } else { first };
                pair(images, weigh(bases), ctx, &export.locator(), out)?
            }
        };
        let Candidate { img, n, mut desc, base, recs, .. } = pick;
        desc.push_str(&format!("; paired with the export because {why}"));
        let lines = docker_lines(recs.iter().map(|r| (r.change, r.path.to_vec())), |p| {
            base.contains_key(p) && top.holds(p)
        });
        let ignored =
            RUNTIME_PATHS.iter().map(|r| r.as_bytes()).filter(|p| top.holds(p)).map(show_path).collect();
        let loc = Arc::new(export.locator());
        let locs = recs.iter().map(|_| loc.clone()).collect();
        let c = Container {
            report: ContainerChanges {
                source: Side::Export,
                export: Some(export.path.clone()),
                base: BaseUsed { image: Some(img), layers: n, description: desc },
                changes: to_lines(lines),
                ignored,
                mount_points: mounts.iter().map(|m| show_path(m)).collect(),
                ..Default::default()
            },
            recs,
            locs,
            base_created: base_created(&images[img], n),
        };
        (c, mounts)
    } else {
        let c = images.iter().find(|l| l.record.role == "image" && !l.record.committed_layers.is_empty())?;
        let k = c.record.committed_layers[0];
        let (img, n, desc) = given.or_else(|| candidates.into_iter().next())?;
        let base = c.tree_of(k);
        let top = c.tree_at(None);
        let mounts = mount_points(ctx, &top);
        let recs = diff_trees(&base, &top, &|p: &[u8]| is_ignored(p, &mounts));
        let lines = docker_lines(recs.iter().map(|r| (r.change, r.path.to_vec())), |p| {
            base.contains_key(p) && top.contains_key(p)
        });
        let layer_locs: Vec<Arc<Locator>> = c.layer_locs.iter().cloned().map(Arc::new).collect();
        let locs = recs
            .iter()
            .map(|r| {
                let layer = top.get(&r.path[..]).map(|n| n.layer()).unwrap_or(k);
                layer_locs.get(layer).cloned().unwrap_or_default()
            })
            .collect();
        let c = Container {
            report: ContainerChanges {
                source: Side::CommittedLayers,
                export: None,
                base: BaseUsed { image: Some(img), layers: n, description: desc },
                changes: to_lines(lines),
                mount_points: mounts.iter().map(|m| show_path(m)).collect(),
                ..Default::default()
            },
            recs,
            locs,
            base_created: base_created(&images[img], n),
        };
        (c, mounts)
    };
    cross_check(&mut container.report, ctx, &|p: &[u8]| is_ignored(p, &mounts), out);
    Some(container)
}

/// The share of an image's files the export holds with identical content, above which the
/// export is taken to come from a container of that image when nothing else says so.
pub(super) const PAIR_THRESHOLD: f64 = 0.5;

fn refusal(images: &[LoadedImage], c: &Candidate, flag: &'static str) -> BaseRefusal {
    let whose = match c.via {
        Some(v) => format!("committed image {}'s files (its commit layer included)", images[v].name()),
        None => "its files".to_string(),
    };
    BaseRefusal {
        image: c.img,
        name: images[c.img].name(),
        flag,
        share: c.share,
        why: format!(
            "only {} of {whose} are in the export with identical content, at or below the pairing threshold of {:.0}%: \
             it is not the image this container ran from, and a diff against it would take the differences between \
             two images for the container's changes. Give the image the container ran from (the `Image` id in the \
             container's docker inspect, saved with docker save)",
            pct(c.share),
            PAIR_THRESHOLD * 100.0
        ),
    }
}

/// A committed image whose top layer is this container's read-write layer holds the
/// export's own changes: the share of its whole tree in the export is the evidence for the
/// bases below it. Built only when no base alone passes the threshold (it costs one more
/// merged view).
fn via_committed(images: &[LoadedImage], top: &impl View, tried: &mut [Candidate]) {
    if !tried.iter().all(|c| frac(c.share) <= PAIR_THRESHOLD) {
        return;
    }
    let committed = images
        .iter()
        .filter(|l| l.record.role != "layer" && !l.record.committed_layers.is_empty())
        .map(|l| (identical_share(&l.tree_at(None), top), l.record.index))
        .max_by(|a, b| frac(a.0).total_cmp(&frac(b.0)));
    if let Some((s, c)) = committed {
        for t in tried.iter_mut() {
            if frac(s) > frac(t.share) && shares_prefix(images, c, t.img, t.n) {
                t.share = s;
                t.via = Some(c);
            }
        }
    }
}

/// One image the export could have run from.
struct Candidate {
    img: usize,
    n: usize,
    desc: String,
    base: FileTree,
    recs: Vec<ChangeRec>,
    /// (files of the image the export holds with the same content, files of the image).
    share: (usize, usize),
    /// The committed image whose whole tree gave `share`, when it did.
    via: Option<usize>,
}

fn frac(s: (usize, usize)) -> f64 {
    s.0 as f64 / s.1.max(1) as f64
}

/// Whether image `c`'s first `n` layers are image `img`'s first `n` layers.
fn shares_prefix(images: &[LoadedImage], c: usize, img: usize, n: usize) -> bool {
    let (a, b) = (diff_ids(&images[c]), diff_ids(&images[img]));
    a.len() >= n && b.len() >= n && a[..n] == b[..n] && a[..n].iter().all(Option::is_some)
}

fn pct(s: (usize, usize)) -> String {
    if s.1 == 0 {
        "0% (the image has no files)".into()
    } else {
        format!("{:.1}% ({} of {} files)", s.0 as f64 * 100.0 / s.1 as f64, s.0, s.1)
    }
}

/// Regular files of `base` that `top` holds with the same content digest.
fn identical_share(base: &FileTree, top: &impl View) -> (usize, usize) {
    let files: Vec<(&std::sync::Arc<[u8]>, &super::tree::Node)> =
        base.iter().filter(|(_, n)| n.meta.ftype == crate::layerfs::FileType::File).collect();
    let same = files
        .iter()
        .filter(|(p, n)| {
            top.node(&p[..]).is_some_and(|t| t.meta.sha256.is_some() && t.meta.sha256 == n.meta.sha256)
        })
        .count();
    (same, files.len())
}

/// Whether the bundle itself names image `c` as the container's: a container inspect with
/// its image id (rank 0), or its config's `container` field naming a container of the
/// bundle, which it was committed from (rank 1). The rank and why.
fn named_by_bundle(images: &[LoadedImage], c: &Candidate, ctx: &ImageContext) -> Option<(u8, String)> {
    let same_id = |a: &str, b: &str| {
        let (a, b) = (a.trim_start_matches("sha256:"), b.trim_start_matches("sha256:"));
        !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a))
    };
    let id = images[c.img].record.id.clone().unwrap_or_default();
    if ctx.containers.iter().any(|(_, img)| img.as_deref().is_some_and(|x| same_id(x, &id))) {
        return Some((0, format!("a container inspect in the bundle names its image id {id}")));
    }
    let cfg = images[c.img].config.as_ref()?.container.clone()?;
    let (cid, _) = ctx.containers.iter().find(|(id, _)| same_id(id, &cfg))?;
    Some((1, format!("its config's `container` field is container {cid} of the bundle (committed from it)")))
}

/// Pair the export with one of the bundle's images only on evidence, strongest first (the
/// analyst's base, weighed before, is not among them): a container inspect naming the
/// image's id; an image config whose `container` field names a container of the bundle (it
/// was committed from it); else a share of identical files above [`PAIR_THRESHOLD`]. None
/// (with a diagnostic saying why) when nothing pairs them: an unrelated image is never
/// taken for the base.
fn pair(
    images: &[LoadedImage],
    tried: Vec<Candidate>,
    ctx: &ImageContext,
    export: &Locator,
    out: &mut Outcome,
) -> Option<(Candidate, String)> {
    let mut tried = tried;
    let named = tried
        .iter()
        .enumerate()
        .filter_map(|(i, c)| named_by_bundle(images, c, ctx).map(|(rank, why)| (rank, i, why)))
        .min_by_key(|(rank, i, _)| (*rank, *i));
    if let Some((_, i, why)) = named {
        return Some((tried.swap_remove(i), why));
    }
    let best = tried
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| {
            let fa = a.share.0 as f64 / a.share.1.max(1) as f64;
            let fb = b.share.0 as f64 / b.share.1.max(1) as f64;
            fa.total_cmp(&fb).then(b.recs.len().cmp(&a.recs.len()))
        })
        .map(|(i, _)| i);
    let i = best?;
    let c = &tried[i];
    if c.share.1 > 0 && c.share.0 as f64 > PAIR_THRESHOLD * c.share.1 as f64 {
        let c = tried.swap_remove(i);
        let whose = match c.via {
            Some(v) => format!("committed image {}'s files (its commit layer included)", images[v].name()),
            None => "its files".to_string(),
        };
        let why = format!(
            "{} of {whose} are in the export with identical content (threshold {:.0}%)",
            pct(c.share),
            PAIR_THRESHOLD * 100.0
        );
        return Some((c, why));
    }
    out.diagnostics.push(Diagnostic::warning(
        export.clone(),
        format!(
            "no base image for the export, so docker diff is not rebuilt: no container inspect names one of the {} image(s), \
             no image config's `container` field names a container of the bundle, and the closest, {}, has only {} \
             in the export with identical content (threshold {:.0}%); give the image it ran from with --base-image",
            tried.len(),
            images[c.img].name(),
            pct(c.share),
            PAIR_THRESHOLD * 100.0
        ),
    ));
    None
}

/// Sockets by name: `*.sock`, `*.socket`, or under a `sockets`/`.s.PGSQL` style name.
fn looks_like_socket(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".sock")
        || name.ends_with(".socket")
        || name.starts_with(".s.PGSQL")
        || name.ends_with("-socket")
}

pub(super) fn to_lines(lines: Vec<(Change, Vec<u8>)>) -> Vec<DiffLine> {
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
        let norm = crate::layerfs::normalize(e.path.as_bytes()).0;
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
                note: if r.is_none() && *k == DiffKind::Added && looks_like_socket(p) {
                    Some("likely a socket: docker diff lists it, but no tar (export or commit layer) can hold one".into())
                } else if r.is_none() && *k == DiffKind::Changed && holds_runtime_path(p) {
                    Some("a directory holding the runtime's own files (hosts, resolv.conf, .containerenv...): the runtime's changes, not the container's".into())
                } else {
                    None
                },
            }),
        }
    }
    for (p, k) in &rebuilt {
        if !saved.contains_key(*p) {
            dis.push(Disagreement {
                path: p.to_string(),
                saved: None,
                rebuilt: Some(*k),
                locator: None,
                note: holds_runtime_path(p).then(|| {
                    "a directory the runtime made for its own files (podman's /run/.containerenv...): the runtime's, not the container's".into()
                }),
            });
        }
    }
    dis.sort_by(|a, b| a.path.cmp(&b.path));
    let unexplained: Vec<&Disagreement> = dis.iter().filter(|d| d.note.is_none()).collect();
    if !unexplained.is_empty() {
        let show: Vec<String> = unexplained
            .iter()
            .take(8)
            .map(|d| {
                let k = |x: Option<DiffKind>| x.map(|k| k.letter().to_string()).unwrap_or_else(|| "-".into());
                format!("{} (saved {}, rebuilt {})", d.path, k(d.saved), k(d.rebuilt))
            })
            .collect();
        let mut evidence: Vec<Locator> =
            unexplained.iter().filter_map(|d| d.locator.clone()).take(50).collect();
        if evidence.is_empty() {
            evidence = ctx
                .saved_diff
                .first()
                .map(|e| Locator::artifact(e.locator.artifact.clone()))
                .into_iter()
                .collect();
        }
        out.findings.push(Finding {
            actor: None,
            rule: DIFF_DISAGREEMENT.id.to_string(),
            severity: Severity::Medium,
            category: "integrity".into(),
            title: "Saved docker diff disagrees with the rebuilt one".into(),
            summary: format!(
                "{} path(s) differ between the saved `docker diff` and the one rebuilt from {} (base: {}): {}{}. Files changed after the diff was taken, or evidence was altered",
                unexplained.len(),
                if report.source == Side::Export { "the export" } else { "the committed layers" },
                report.base.description,
                show.join(", "),
                if unexplained.len() > show.len() { ", ..." } else { "" }
            ),
            attack: None,
            time: None,
            evidence,
            subject: None,
            owner: None,
            iocs: vec![],
            kind: DIFF_DISAGREEMENT.kind,
        });
    }
    report.disagreements = dis;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_paths_and_what_is_below_mount_points_are_ignored() {
        let mounts = vec![b"var/lib/mysql".to_vec()];
        for p in ["etc/hosts", ".dockerenv", "proc/1/status", "dev/shm/x", "var/lib/mysql/ib"] {
            assert!(is_ignored(p.as_bytes(), &mounts), "{p}");
        }
        // The mount point itself is created in the container's layer: docker lists it.
        for p in ["etc/hostsx", "etc/passwd", "var/lib/mysqld", "devices", "var/lib/mysql"] {
            assert!(!is_ignored(p.as_bytes(), &mounts), "{p}");
        }
    }

    #[test]
    fn mount_points_resolve_through_the_containers_symlinks() {
        let mut top = FileTree::new();
        let mut link = crate::layerscan::Meta {
            ftype: crate::layerfs::FileType::Symlink,
            mode: 0o777,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: None,
            sha256: None,
            magic: Default::default(),
            rare: None,
        };
        link.edit_rare(|r| r.link = Some(b"/run"[..].into()));
        top.insert(b"var/run"[..].into(), super::super::tree::Node::new(link.clone().into(), 0, None));
        link.edit_rare(|r| r.link = Some(b"../data"[..].into()));
        top.insert(b"srv/app"[..].into(), super::super::tree::Node::new(link.into(), 0, None));
        assert_eq!(resolve_in(&top, b"var/run/docker.sock"), b"run/docker.sock");
        assert_eq!(resolve_in(&top, b"srv/app/x"), b"data/x");
        assert_eq!(resolve_in(&top, b"etc/x"), b"etc/x");
    }

    #[test]
    fn commit_steps_versus_build_steps() {
        let cfg = ImageConfig { cmd: vec!["catalina.sh".into(), "run".into()], ..Default::default() };
        assert!(is_commit_step("catalina.sh run", "", "", Some(&cfg)));
        assert!(is_commit_step("/bin/bash", "snapshot after incident", "", Some(&cfg)));
        assert!(!is_commit_step("/bin/sh -c apt-get install -y curl", "", "", Some(&cfg)));
        assert!(!is_commit_step("RUN /bin/sh -c make # buildkit", "buildkit.dockerfile.v0", "", Some(&cfg)));
        assert!(!is_commit_step("/bin/sh -c #(nop)  CMD [\"sh\"]", "", "", Some(&cfg)));
        assert!(!is_commit_step("catalina.sh run", "", "kaniko", Some(&cfg)));
    }
}
