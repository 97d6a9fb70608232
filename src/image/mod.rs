//! Image archives, layer tars and filesystem tars: every layout read in place, per-layer
//! change sets with whiteouts applied as overlayfs does, the merged view, integrity checks,
//! the container's own changes (export vs image, committed layers, saved diff cross-check),
//! suspicious-file rules and the file timeline.

mod archive;
pub(crate) mod blob;
mod container;
mod file_change;
mod file_events;
mod integrity;
mod layout;
mod legacy;
mod load;
pub(crate) mod objects;
mod ocidir;
mod reach;
mod recover;
mod reopen;
pub(crate) mod rooted;
mod rules;
mod section;
mod spec;
mod timeline;
mod tree;

use crate::content::Inspector;
use crate::dataroot::rooted::Rooted;
use crate::evidence::{Artifact, ArtifactKind};
use crate::model::Locator;

pub(crate) use crate::digest::Check;
pub(crate) use crate::layerfs::show_path;
pub(crate) use file_change::{FileChange, HiddenPath, Origin, Rare, ShownPaths, Side};
#[cfg(test)]
pub(crate) use file_events::tests as file_events_for_tests;
pub(crate) use file_events::FileEvents;
pub(crate) use layout::parse_config;
pub(crate) use layout::OciArtifact;
pub(crate) use load::load_layer_tar;
pub(crate) use reopen::Blobs;
pub(crate) use rules::evaluate_saved_diff;
pub(crate) use rules::{check_defs, file_defs};
pub(crate) use section::{
    BaseRefusal, BaseUsed, ContainerChanges, HistoryRecord, ImageContext, ImageRecord, ImageSection,
    LayerRecord,
};
pub(crate) use tree::{below, merge, Change, FileTree};

/// Paths of every artifact that is part of an OCI layout directory (read as that layout's
/// images, never on their own).
pub(crate) fn layout_members(artifacts: &[&Artifact]) -> std::collections::BTreeSet<String> {
    let dirs = ocidir::find(artifacts, &mut vec![]);
    ocidir::claimed(&dirs).into_iter().map(String::from).collect()
}

/// Options for the focused commands.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnalyzeOptions {
    /// Return the merged view of each image.
    pub keep_trees: bool,
    /// The view after this layer (None: after the last).
    pub tree_at: Option<usize>,
}

/// Indicators in file content are kept where they may be the attacker's: the container's own
/// changes (export, committed layers, read-write layers) and image files a finding names;
/// an image's build layers quote documentation URLs by the hundred.
fn keep_own_iocs(section: &mut ImageSection) {
    let cited: std::collections::BTreeSet<&Locator> =
        section.outcome.findings.iter().flat_map(|f| f.evidence.iter()).collect();
    let images = &section.images;
    for c in &mut section.file_changes {
        let built = match (c.image(), c.layer()) {
            (Some(i), Some(l)) => images.get(i).is_none_or(|img| !img.committed_layers.contains(&l)),
            _ => false,
        };
        if built && !c.iocs().is_empty() && !cited.contains(&c.locator()) {
            c.clear_iocs();
        }
    }
}

/// The file changes of layer `i` of an image, in the layer's order, and the group their
/// timeline events are told from. The change set is told from its end, each record freed as
/// soon as it is told (the buffer shrinks as it empties), so the records and what they
/// become are never all held at once.
fn tell_layer(
    l: &load::LoadedImage,
    i: usize,
    mut changes: Vec<tree::ChangeRec>,
    section: &mut ImageSection,
) {
    let first_change = section.file_changes.len();
    let Some(group) = timeline::layer_group(l, i, first_change) else { return };
    section.file_events.push(group);
    let within = std::sync::Arc::new(l.layer_locs[i].clone());
    section.file_changes.reserve_exact(changes.len());
    while let Some(c) = changes.pop() {
        section.file_changes.push(load::file_change(&c, Origin::layer(l.record.index, i), &within));
        // Given back 64 Ki records at a time (a buffer this large is a mapping of its own:
        // shrinking unmaps its tail, nothing is copied). Halving it only when half empty
        // held the told half's file changes beside the whole buffer: 92 bytes a record.
        if changes.capacity() - changes.len() >= 1 << 16 {
            changes.shrink_to_fit();
        }
    }
    section.file_changes[first_change..].reverse();
}

/// The file changes of a container and the group their timeline events are told from.
fn tell_container(c: &container::Container, section: &mut ImageSection) {
    section.file_events.extend(timeline::container_group(c, section.file_changes.len()));
    let changes = c.file_changes();
    // Exactly: the image's changes may be a million records, which doubling would copy.
    section.file_changes.reserve_exact(changes.len());
    section.file_changes.extend(changes);
}

/// Analyse every image archive, layer tar and filesystem tar of a bundle, and the images
/// and containers of its daemon data root (`rooted`) when it is one.
pub(crate) fn analyze_bundle(
    artifacts: &[&Artifact],
    ctx: &ImageContext,
    rooted: Option<Rooted>,
) -> ImageSection {
    analyze(artifacts, ctx, rooted, &AnalyzeOptions::default()).0
}

/// [`analyze_bundle`], also returning the merged trees asked for in `opts`.
pub(crate) fn analyze(
    artifacts: &[&Artifact],
    ctx: &ImageContext,
    rooted: Option<Rooted>,
    opts: &AnalyzeOptions,
) -> (ImageSection, Vec<(usize, FileTree)>) {
    let inspector = Inspector::with_limits(ctx.limits).with_yara(ctx.yara.clone());
    let mut section = ImageSection::default();
    let mut loaded = vec![];
    let dirs = ocidir::find(artifacts, &mut section.outcome.diagnostics);
    let claimed = ocidir::claimed(&dirs);
    let artifacts: Vec<&Artifact> =
        artifacts.iter().copied().filter(|a| !claimed.contains(a.path.as_str())).collect();
    for d in dirs {
        loaded.extend(load::load_dir(
            d,
            "image",
            &inspector,
            &mut section.outcome,
            &mut section.oci_artifacts,
        ));
    }
    for a in &artifacts {
        match a.kind {
            ArtifactKind::DockerSave | ArtifactKind::OciArchive => {
                loaded.extend(load::load_archive(
                    a,
                    "image",
                    &inspector,
                    &mut section.outcome,
                    &mut section.oci_artifacts,
                ));
            }
            ArtifactKind::LayerTar => loaded.push(load::load_layer_tar(a, &inspector, &mut section.outcome)),
            _ => {}
        }
    }
    if let Some(p) = &ctx.base_image {
        let bundle = crate::evidence::discover(p);
        section.outcome.diagnostics.extend(bundle.diagnostics.clone());
        let mut found = false;
        let all: Vec<&Artifact> = bundle.artifacts.iter().collect();
        let dirs = ocidir::find(&all, &mut section.outcome.diagnostics);
        let claimed = ocidir::claimed(&dirs);
        let archives: Vec<&Artifact> = all
            .iter()
            .copied()
            .filter(|a| a.kind.is_image_archive() && !claimed.contains(a.path.as_str()))
            .collect();
        for d in dirs {
            found = true;
            loaded.extend(load::load_dir(
                d,
                "base-image",
                &inspector,
                &mut section.outcome,
                &mut section.oci_artifacts,
            ));
        }
        for a in archives {
            found = true;
            loaded.extend(load::load_archive(
                a,
                "base-image",
                &inspector,
                &mut section.outcome,
                &mut section.oci_artifacts,
            ));
        }
        if !found {
            section.outcome.diagnostics.push(crate::model::Diagnostic::error(
                Locator::artifact(p.display().to_string()),
                format!("{} is not an image archive (docker save or OCI)", ctx.base_flag()),
            ));
        }
    }
    if let Some(r) = &rooted {
        loaded.extend(rooted::load_images(r, &mut section.outcome));
    }
    for (i, l) in loaded.iter_mut().enumerate() {
        l.record.index = i;
    }
    container::mark_commits(&mut loaded);
    let exports: Vec<&Artifact> =
        artifacts.iter().copied().filter(|a| a.kind == ArtifactKind::FilesystemTar).collect();
    let mut refused = None;
    let mut containers: Vec<container::Container> = vec![];
    if exports.len() > 1 {
        // Several exports (several containers' captures side by side): each is one
        // container's, paired with the images its own containers name.
        for e in &exports {
            let own = ctx.for_export(&e.path);
            let mut r = None;
            containers.extend(container::rebuild(
                &loaded,
                &[*e],
                &own,
                &inspector,
                &mut section.outcome,
                &mut r,
            ));
            refused = refused.or(r);
        }
    } else {
        containers.extend(container::rebuild(
            &loaded,
            &exports,
            ctx,
            &inspector,
            &mut section.outcome,
            &mut refused,
        ));
    }
    if let Some(r) = &refused {
        if let Some(l) = loaded.get_mut(r.image) {
            l.record.refused = Some(format!("refused as the base of the export: {}", r.why));
        }
    }
    section.base_refused = refused;
    // A data root's containers are rebuilt on their images' views before the images' changes
    // are told: each view is then built beside the change records, not beside the larger
    // file changes they become.
    let rooted_containers = rooted.as_ref().map(|r| rooted::containers(r, &loaded, &mut section.outcome));
    drop(rooted);
    // A refused base is not this container's image: listed, never analysed (its own files,
    // history and findings would be told as this bundle's).
    let analysed = |l: &&mut load::LoadedImage| l.record.refused.is_none();
    let trees = if opts.keep_trees {
        loaded.iter_mut().filter(analysed).map(|l| (l.record.index, l.tree_at(opts.tree_at))).collect()
    } else {
        vec![]
    };
    // Memory stays near one record per file: the layers' entries (shared by images, and
    // with the data root's containers) are dropped before any change is told, each layer's
    // change set once it is told.
    for l in &mut loaded {
        l.scans = vec![];
    }
    for l in loaded.iter_mut().filter(analysed) {
        integrity::check(&l.record, &l.archive_loc, &l.layer_locs, &mut section.outcome);
        rules::evaluate_image(l, &mut section.outcome);
        timeline::history_events(l, &mut section.outcome);
        for (i, applied) in std::mem::take(&mut l.applied).into_iter().enumerate() {
            tell_layer(l, i, applied.changes, &mut section);
        }
    }
    if containers.is_empty() && !ctx.saved_diff.is_empty() {
        // Only the saved `docker diff` tells what changed in the container.
        rules::evaluate_saved_diff(&ctx.saved_diff, &mut section.outcome);
    }
    for c in containers {
        rules::evaluate_container(&c, &mut section.outcome);
        tell_container(&c, &mut section);
        match section.container_changes {
            None => section.container_changes = Some(c.report),
            Some(_) => section.more_container_changes.push(c.report),
        }
    }
    if let Some(rooted) = rooted_containers {
        for c in rooted {
            rules::evaluate_container(&c, &mut section.outcome);
            tell_container(&c, &mut section);
            section.data_root_changes.push(c.report);
        }
        if section.container_changes.is_none() {
            section.container_changes =
                section.data_root_changes.iter().find(|c| c.source == Side::UpperDir).cloned();
        }
    }
    section.images = loaded.into_iter().map(|l| l.record).collect();
    keep_own_iocs(&mut section);
    section
        .oci_artifacts
        .sort_by(|a, b| (&a.archive, &a.manifest_digest).cmp(&(&b.archive, &b.manifest_digest)));
    (section, trees)
}
