//! Timeline events: image history steps, and one `file-change` event per change. Build-layer
//! mtimes are often pinned (0, a build epoch), so build-layer changes are placed at their
//! layer's history time with the mtime as a field, ordered by `[layer, sequence]`; the
//! container's own changes are placed at their mtime.

use super::container::Container;
use super::load::LoadedImage;
use super::tree::ChangeRec;
use crate::layerfs::show_path;
use crate::layerfs::FileType;
use crate::model::{Locator, Outcome, TimelineEvent, Timestamp};

fn describe(c: &ChangeRec) -> String {
    let m = &c.meta;
    let mut s = format!("{} {} ({}", c.change.letter(), show_path(&c.path), m.ftype.as_str());
    if m.ftype == FileType::File {
        s.push_str(&format!(", {} B", m.size));
    }
    s.push_str(&format!(", mode {:04o}, uid {} gid {}", m.mode, m.uid, m.gid));
    match m.mtime {
        Some(t) => s.push_str(&format!(", mtime {t}")),
        None => s.push_str(", mtime unknown"),
    }
    if let Some(h) = m.sha256 {
        s.push_str(&format!(", sha256 {}", crate::digest::hex(&h)));
    }
    if !c.what.is_empty() {
        s.push_str(&format!(", changed: {}", c.what.join("+")));
    }
    s.push(')');
    s
}

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

/// What the `file-change` events of one image layer share.
pub(crate) struct LayerEvents<'a> {
    name: String,
    layer: usize,
    commit: bool,
    created: Option<Timestamp>,
    loc: &'a Locator,
}

impl<'a> LayerEvents<'a> {
    /// For layer `i` of an image (None when the image has no such layer).
    pub(crate) fn new(l: &'a LoadedImage, i: usize) -> Option<Self> {
        Some(LayerEvents {
            name: l.name(),
            layer: i,
            commit: l.record.committed_layers.contains(&i),
            created: l.record.layers.get(i).and_then(|x| x.created),
            loc: l.layer_locs.get(i)?,
        })
    }

    /// The event of the layer's `seq`-th change.
    pub(crate) fn event(&self, seq: usize, c: &ChangeRec) -> TimelineEvent {
        let commit = self.commit;
        let (time, desc): (Option<Timestamp>, &'static str) = if commit && c.deleted_at.is_some() {
            (c.deleted_at, "whiteout mtime: the time of the deletion (container layer)")
        } else if commit && c.change == super::Change::Deleted {
            (None, "deletion time unknown (container layer)")
        } else if commit {
            (c.meta.mtime, "file mtime (container layer)")
        } else {
            (self.created, "layer created (file mtime in message)")
        };
        let mut message = format!(
            "image {} layer {}{}: {}",
            self.name,
            self.layer,
            if commit { " (commit)" } else { "" },
            describe(c)
        );
        message.shrink_to_fit(); // one per file: no spare capacity kept
        TimelineEvent {
            time,
            timestamp_desc: desc.into(),
            kind: "file-change".into(),
            message,
            source: self.loc.clone().with_member(show_path(&c.path)),
            also: vec![],
            order: vec![self.layer as u64, seq as u64],
        }
    }
}

/// The container's changes from an export, at their mtimes.
pub(crate) fn container_events(c: &Container, out: &mut Outcome) {
    if c.report.source == "committed-layers" {
        return;
    }
    let (desc, who) = match (c.report.source, &c.report.container) {
        ("volume", Some(id)) => {
            ("file mtime (container volume)", format!("container {} volume", id.get(..12).unwrap_or(id)))
        }
        ("upper-dir", Some(id)) => {
            ("file mtime (container read-write layer)", format!("container {}", id.get(..12).unwrap_or(id)))
        }
        _ => ("file mtime (container export)", "container".to_string()),
    };
    let layer = c.report.base.layers as u64;
    for (seq, (r, loc)) in c.recs.iter().zip(&c.locs).enumerate() {
        out.timeline.push(TimelineEvent {
            // A whiteout's own mtime is when the container deleted the path.
            time: if r.change == super::Change::Deleted { r.deleted_at } else { r.meta.mtime },
            timestamp_desc: desc.into(),
            kind: "file-change".into(),
            message: format!("{who}: {}", describe(r)),
            source: loc.clone().with_member(show_path(&r.path)),
            also: vec![],
            order: vec![layer, seq as u64],
        });
    }
}
