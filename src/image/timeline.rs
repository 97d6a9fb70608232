//! Timeline events: image history steps, and the groups the `file-change` events of each
//! layer and container are told from when written (see `file_events`).

use super::container::Container;
use super::file_change::Side;
use super::file_events::{FileEventGroup, Timing};
use super::load::LoadedImage;
use crate::model::{Outcome, TimelineEvent};

/// The history steps of an image.
pub(crate) fn history_events(l: &LoadedImage, out: &mut Outcome) {
    let name = l.name();
    let config_loc = l.config_loc.clone();
    for h in &l.record.history {
        let layer = match h.layer {
            Some(i) => format!("layer {i}"),
            None => "empty layer".into(),
        };
        let mut msg = format!(
            "image {name}: history step {} ({layer}): {}",
            h.index,
            h.created_by.as_deref().unwrap_or("(no created_by)")
        );
        if let Some(c) = h.comment.as_deref().filter(|c| !c.is_empty()) {
            msg.push_str(&format!(" [comment: {c}]"));
        }
        out.timeline.push(TimelineEvent {
            time: h.created,
            timestamp_desc: "image history step created".into(),
            kind: "image-history".into(),
            message: msg,
            source: config_loc.clone(),
            also: vec![],
            order: vec![h.layer.unwrap_or(usize::MAX) as u64, h.index as u64],
        });
    }
}

/// The group of the `file-change` events of layer `i` of an image, its first change at
/// `first` (None when the image has no such layer).
pub(crate) fn layer_group(l: &LoadedImage, i: usize, first: usize) -> Option<FileEventGroup> {
    l.layer_locs.get(i)?;
    let commit = l.record.committed_layers.contains(&i);
    Some(FileEventGroup {
        first,
        head: format!("image {} layer {i}{}", l.name(), if commit { " (commit)" } else { "" }),
        timing: match commit {
            true => Timing::Commit,
            false => Timing::Layer(l.record.layers.get(i).and_then(|x| x.created)),
        },
        order: i as u64,
    })
}

/// The group of the `file-change` events of a container's own changes, its first change at
/// `first` (None for committed layers: their image's groups tell them).
pub(crate) fn container_group(c: &Container, first: usize) -> Option<FileEventGroup> {
    if c.report.source == Side::CommittedLayers {
        return None;
    }
    let (desc, head) = match (c.report.source, &c.report.container) {
        (Side::Volume, Some(id)) => {
            ("file mtime (container volume)", format!("container {} volume", id.get(..12).unwrap_or(id)))
        }
        (Side::UpperDir, Some(id)) => {
            ("file mtime (container read-write layer)", format!("container {}", id.get(..12).unwrap_or(id)))
        }
        _ => ("file mtime (container export)", "container".to_string()),
    };
    Some(FileEventGroup { first, head, timing: Timing::Container(desc), order: c.report.base.layers as u64 })
}
