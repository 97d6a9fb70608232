//! Images and containers of a daemon data root, from layer directories already read as layer
//! entries: each image assembled from its layer chain, and each container's own changes
//! from its read-write (upper) directory applied on its image, the `-init` layer kept apart.

use std::collections::BTreeSet;

use super::container::{base_created, is_ignored, to_lines, Container, RUNTIME_PATHS};
use super::file_change::Side;
use super::layout;
use super::load::{align_history, count, LoadedImage};
use super::reach::{Reach, Stack};
use super::tree::{ancestors, apply_last, apply_layer, docker_lines, merge_within, ChangeRec, FileTree};
use super::{show_path, BaseUsed, Check, ContainerChanges, ImageRecord, LayerRecord};
use crate::dataroot::rooted::{RootContainer, RootImage, Rooted};
use crate::layerscan::{EntryKind, LayerEntry};
use crate::model::{Diagnostic, Locator, Outcome};

/// Every image of the data root, loaded as from an archive.
pub(crate) fn load_images(r: &Rooted, out: &mut Outcome) -> Vec<LoadedImage> {
    r.images.iter().map(|img| load_image(img, out)).collect()
}

fn load_image(img: &RootImage, out: &mut Outcome) -> LoadedImage {
    let config_loc = Locator::artifact(img.config_path.clone());
    let computed =
        if img.content_addressed { crate::digest::sha256_digest(&img.config) } else { img.id.clone() };
    let mut record = ImageRecord {
        archive: img.config_path.clone(),
        role: "image",
        layout: img.layout,
        listed_in: img.config_path.clone(),
        config: img.config_path.clone(),
        id: Some(computed.clone()),
        repo_tags: img.repo_tags.clone(),
        config_digest: Some(img.id.clone()),
        config_check: match (img.content_addressed, computed == img.id) {
            (false, _) => Check::Unverified,
            (true, true) => Check::Verified,
            (true, false) => Check::Mismatch,
        },
        ..Default::default()
    };
    if record.config_check == Check::Mismatch {
        out.diagnostics.push(Diagnostic::error(
            config_loc.clone(),
            format!("image config is stored as {} but its content hashes to {computed}", img.id),
        ));
    }
    let config = match layout::parse_config(&img.config) {
        Ok(c) => Some(c),
        Err(e) => {
            out.diagnostics.push(Diagnostic::error(config_loc.clone(), e));
            None
        }
    };
    if let Some(c) = &config {
        record.created = c.created;
        record.container = c.container.clone();
        record.architecture = c.architecture.clone();
        record.os = c.os.clone();
    }
    let own = img.layers.len().saturating_sub(img.extra.len());
    record.history = align_history(config.as_ref(), own, &config_loc, out);
    let mut loaded = LoadedImage {
        record,
        config,
        scans: vec![],
        applied: vec![],
        layer_locs: vec![],
        archive_loc: config_loc.clone(),
        config_loc,
    };
    let mut stack =
        Stack::new(&img.layers.iter().map(|l| l.scan.as_ref().map(|s| &s.entries[..])).collect::<Vec<_>>());
    let mut complete = true;
    for (i, l) in img.layers.iter().enumerate() {
        let loc = Locator::artifact(l.dir.clone().unwrap_or_else(|| {
            format!("layer {} of {}", l.chain_id.as_deref().unwrap_or("?"), img.config_path)
        }));
        let applied = match &l.scan {
            Some(s) => stack.apply(&s.entries, i),
            None => {
                complete = false;
                Default::default()
            }
        };
        for n in &applied.notes {
            out.diagnostics.push(Diagnostic::warning(loc.clone(), n.clone()));
        }
        let step = loaded.record.history.iter().find(|h| h.layer == Some(i));
        let extra = i.checked_sub(own).and_then(|k| img.extra.get(k)).map(|s| s.to_string());
        let expected_diff_id = loaded.config.as_ref().and_then(|c| c.diff_ids.get(i)).cloned();
        let store_mismatch = matches!((&l.diff_id, &expected_diff_id), (Some(a), Some(b)) if a != b);
        let diff_id_check = if store_mismatch { Check::Mismatch } else { l.content_check };
        if store_mismatch {
            out.diagnostics.push(Diagnostic::error(
                loc.clone(),
                format!(
                    "the layer store records diff_id {} for layer {i} but the image config lists {}",
                    l.diff_id.as_deref().unwrap_or(""),
                    expected_diff_id.as_deref().unwrap_or("")
                ),
            ));
        }
        let mut lr = LayerRecord {
            index: i,
            member: l.chain_id.clone().unwrap_or_default(),
            blob: l.dir.clone().unwrap_or_default(),
            media_type: Some("directory".into()),
            history: step.map(|h| h.index),
            created: step.and_then(|h| h.created),
            created_by: extra.or_else(|| step.and_then(|h| h.created_by.clone())),
            comment: step.and_then(|h| h.comment.clone()),
            diff_id: l.rebuilt.clone().or_else(|| l.diff_id.clone()),
            expected_diff_id,
            diff_id_check,
            ..Default::default()
        };
        if let Some(s) = &l.scan {
            lr.entries = s.entries.len();
            lr.complete = s.complete;
            complete &= s.complete;
            lr.size = s.blob_size;
        }
        count(&mut lr, &applied);
        loaded.record.layers.push(lr);
        loaded.scans.push(l.scan.clone());
        loaded.applied.push(applied);
        loaded.layer_locs.push(loc);
    }
    loaded.record.final_paths = stack.paths();
    // A container's read-write layer is what `docker commit` would add.
    if !img.extra.is_empty() && img.layers.last().is_some_and(|l| l.scan.is_some()) {
        loaded.record.committed_layers = vec![img.layers.len() - 1];
        loaded.record.commit_reason = Some("the container's read-write layer in the data root".into());
    }
    loaded.record.integrity = match (loaded.record.config_check, complete) {
        (Check::Mismatch, _) => "mismatch",
        _ if loaded.record.layers.iter().any(|l| l.diff_id_check == Check::Mismatch) => "mismatch",
        (_, false) => "incomplete",
        _ if !img.content_addressed => "unverifiable (v1 layout)",
        (Check::Verified, true)
            if !loaded.record.layers.is_empty()
                && loaded.record.layers[..own].iter().all(|l| l.diff_id_check == Check::Verified) =>
        {
            "verified"
        }
        // Layer directories have no tar stream to hash: the diff_ids stay the store's word.
        _ => "unverified",
    };
    loaded
}

/// Each container's own changes: its upper directory applied on its image and init layer.
pub(crate) fn containers(r: &Rooted, images: &[LoadedImage], out: &mut Outcome) -> Vec<Container> {
    let mut all: Vec<Container> = r.containers.iter().filter_map(|c| container(c, images, out)).collect();
    all.extend(r.containers.iter().flat_map(volumes));
    all
}

/// The files of each volume a container mounts, as added at its mount point (source
/// `volume`): not part of `docker diff`, but where a container keeps what outlives it (a web
/// root, a database, uploads), so the file rules and the timeline see them.
fn volumes(c: &RootContainer) -> Vec<Container> {
    c.volumes
        .iter()
        .filter(|(_, _, scan)| !scan.entries.is_empty())
        .map(|(dest, dir, scan)| {
            let prefix = crate::layerfs::normalize(dest.as_bytes()).0;
            let entries: Vec<crate::layerscan::LayerEntry> = scan
                .entries
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    let mut p = prefix.clone();
                    p.push(b'/');
                    p.extend_from_slice(&e.path);
                    e.path = p.into();
                    e
                })
                .collect();
            let (applied, _) = apply_last(FileTree::new(), &entries, 0, false);
            let recs: Vec<_> = applied.changes.into_iter().filter(|r| r.path.len() > prefix.len()).collect();
            let loc = std::sync::Arc::new(Locator::artifact(dir.clone()));
            Container {
                report: ContainerChanges {
                    source: Side::Volume,
                    container: Some(c.id.clone()),
                    export: Some(dir.clone()),
                    base: BaseUsed {
                        image: None,
                        layers: 0,
                        description: format!("volume mounted at {dest}"),
                    },
                    changes: to_lines(recs.iter().map(|r| (r.change, r.path.to_vec())).collect()),
                    mount_points: vec![show_path(&prefix)],
                    ..Default::default()
                },
                locs: recs.iter().map(|_| loc.clone()).collect(),
                recs,
                base_created: None,
            }
        })
        .collect()
}

/// The changes of a container's upper layer applied onto `tree`, its image's view, less the
/// paths `ignore` drops; and the parents of changed paths that exist on both sides (which
/// `docker diff` lists as changed).
fn upper_changes(
    mut tree: FileTree,
    upper: &[LayerEntry],
    layer: usize,
    lower_unknown: bool,
    ignore: &dyn Fn(&[u8]) -> bool,
) -> (Vec<ChangeRec>, BTreeSet<Vec<u8>>) {
    // A change's parent is a parent of one of the upper layer's entries (a whiteout deletes
    // in its own directory) or an opaque directory (its children are deleted): those the
    // image has are looked up before the upper layer is applied, so the image's view is
    // built once.
    let in_base: BTreeSet<&[u8]> = upper
        .iter()
        .flat_map(|e| {
            let own = matches!(e.kind, EntryKind::Opaque).then_some(&e.path[..]);
            ancestors(&e.path).chain(own)
        })
        .filter(|p| tree.contains_key(*p))
        .collect();
    let applied = apply_layer(&mut tree, upper, layer, lower_unknown);
    let recs: Vec<ChangeRec> = applied.changes.into_iter().filter(|r| !ignore(&r.path)).collect();
    let in_both = recs
        .iter()
        .flat_map(|r| ancestors(&r.path))
        .filter(|p| in_base.contains(p) && tree.contains_key(*p))
        .map(<[u8]>::to_vec)
        .collect();
    (recs, in_both)
}

/// What applying a container's upper layer onto its image's view (`lower`: the image's
/// layers then the init layer) reads of it: [`merge_within`] keeps only that.
fn container_reach<'e>(upper: &'e [LayerEntry], lower: &[&'e [LayerEntry]]) -> Reach<'e> {
    let mut reach = Reach::default();
    for (i, l) in lower.iter().enumerate() {
        reach.links(l, i);
    }
    reach.read(upper, lower.len());
    reach
}

fn container(c: &RootContainer, images: &[LoadedImage], out: &mut Outcome) -> Option<Container> {
    let (upper_path, upper) = c.upper.as_ref()?;
    let loc = Locator::artifact(upper_path.clone());
    let img = c
        .image_id
        .as_ref()
        .and_then(|id| images.iter().find(|l| l.record.id.as_deref() == Some(id.as_str())));
    let (n, desc, image) = match img {
        Some(l) => (
            l.scans.len(),
            format!(
                "{} ({} layer(s)){}",
                l.name(),
                l.scans.len(),
                if c.init.is_some() { " and the container's init layer" } else { "" }
            ),
            Some(l.record.index),
        ),
        None => {
            out.diagnostics.push(Diagnostic::warning(
                loc.clone(),
                format!(
                    "container {}: its image {} is not in the data root; its changes are shown against an empty tree",
                    c.name,
                    c.image_id.as_deref().unwrap_or("(none named)")
                ),
            ));
            (0, "no image (not in the data root)".to_string(), None)
        }
    };
    // The image's view with the init layer on it, as far as applying the upper layer reads
    // it: a container that changed a few files does not hold a view of its image's million.
    let scans = img.map_or(&[][..], |l| &l.scans[..]);
    let mut lower: Vec<&[LayerEntry]> =
        scans.iter().map(|s| s.as_ref().map_or(&[][..], |s| &s.entries[..])).collect();
    lower.extend(c.init.as_ref().map(|(_, init)| &init.entries[..]));
    let reach = container_reach(&upper.entries, &lower);
    let mut tree = FileTree::new();
    for (i, l) in lower.iter().enumerate() {
        merge_within(&mut tree, l, i, &|p| reach.keeps(p, i));
    }
    let mounts: Vec<Vec<u8>> = c
        .mount_points
        .iter()
        .map(|m| crate::layerfs::normalize(m.as_bytes()).0)
        .filter(|m| !m.is_empty())
        .collect();
    let (recs, in_both) =
        upper_changes(tree, &upper.entries, n + 1, img.is_none(), &|p| is_ignored(p, &mounts));
    let lines = docker_lines(recs.iter().map(|r| (r.change, r.path.to_vec())), |p| in_both.contains(p));
    let ignored = RUNTIME_PATHS
        .iter()
        .map(|p| p.as_bytes())
        .filter(|p| upper.entries.iter().any(|e| &*e.path == *p))
        .map(show_path)
        .collect();
    let shared = std::sync::Arc::new(loc);
    let locs = recs.iter().map(|_| shared.clone()).collect();
    Some(Container {
        report: ContainerChanges {
            source: Side::UpperDir,
            container: Some(c.id.clone()),
            export: Some(upper_path.clone()),
            base: BaseUsed { image, layers: n, description: desc },
            changes: to_lines(lines),
            ignored,
            mount_points: mounts.iter().map(|m| show_path(m)).collect(),
            ..Default::default()
        },
        recs,
        locs,
        base_created: img.and_then(|l| base_created(l, n)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::tree::apply;
    use crate::image::tree::tests::random_layer;

    /// The parents in both views found from the upper layer's entries before it is applied
    /// are those a second view of the image finds after (what was done before).
    #[test]
    fn parents_on_both_sides_need_one_view_of_the_image() {
        let mut rng = crate::test_rng::Rng(0x0ddb_a115);
        for round in 0..3000 {
            let mut image = FileTree::new();
            for i in 0..1 + rng.below(2) {
                apply(&mut image, &random_layer(&mut rng), i);
            }
            let upper = random_layer(&mut rng);
            let mut top = image.clone();
            let recs = apply_layer(&mut top, &upper, 9, false).changes;
            let want: BTreeSet<Vec<u8>> = recs
                .iter()
                .flat_map(|r| ancestors(&r.path))
                .filter(|p| top.contains_key(*p) && image.contains_key(*p))
                .map(<[u8]>::to_vec)
                .collect();
            let (got_recs, got) = upper_changes(image, &upper, 9, false, &|_| false);
            assert_eq!(got_recs, recs, "round {round}");
            assert_eq!(got, want, "round {round}: {upper:?}");
        }
    }

    /// The upper layer applied onto the part of the image's view it reaches changes what it
    /// changes on the whole view, hard links through the image's layers included.
    #[test]
    fn the_upper_layer_reaches_only_what_it_reads() {
        let mut rng = crate::test_rng::Rng(0xfeed_5eed);
        let mut pruned = 0;
        for round in 0..4000 {
            let layers: Vec<Vec<LayerEntry>> =
                (0..1 + rng.below(3)).map(|_| random_layer(&mut rng)).collect();
            let upper = random_layer(&mut rng);
            let lower: Vec<&[LayerEntry]> = layers.iter().map(|l| &l[..]).collect();
            let reach = container_reach(&upper, &lower);
            let (mut whole, mut part) = (FileTree::new(), FileTree::new());
            for (i, l) in layers.iter().enumerate() {
                apply(&mut whole, l, i);
                merge_within(&mut part, l, i, &|p| reach.keeps(p, i));
            }
            pruned += usize::from(part.len() < whole.len());
            let want = upper_changes(whole, &upper, 9, false, &|_| false);
            let got = upper_changes(part, &upper, 9, false, &|_| false);
            assert_eq!(got, want, "round {round}: {layers:?} then {upper:?}");
        }
        assert!(pruned > 1000, "{pruned}");
    }
}
