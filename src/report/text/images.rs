//! Text section: images (layers and their change counts), the container's own changes and
//! the most relevant file changes.

use std::fmt::Write as _;

use super::{heading, safe};
use crate::report::BundleReport;

/// Container changes shown in full up to this many lines.
const DIFF_SHOWN: usize = 60;

/// Render the images section of a bundle.
pub(super) fn render(s: &mut String, b: &BundleReport) {
    let sec = &b.image;
    if sec.images.is_empty() && sec.container_changes.is_none() {
        return;
    }
    heading(s, &format!("Images ({})", sec.images.len()));
    let _ = writeln!(
        s,
        "  layer: index, blob size, compression, +added ~modified -deleted, diff_id, history step"
    );
    for img in &sec.images {
        crate::image::command::render_image(s, img);
    }
    if let Some(c) = &sec.container_changes {
        heading(s, &format!("Container changes ({} from {})", c.changes.len(), c.source));
        let _ = writeln!(s, "  base: {}", safe(&c.base.description));
        if let Some(e) = &c.export {
            let _ = writeln!(s, "  export: {}", safe(e));
        }
        for l in c.changes.iter().take(DIFF_SHOWN) {
            let _ = writeln!(s, "  {} {}", l.change.letter(), safe(&l.path));
        }
        if c.changes.len() > DIFF_SHOWN {
            let _ = writeln!(s, "  ... and {} more (see JSON)", c.changes.len() - DIFF_SHOWN);
        }
        if !c.ignored.is_empty() {
            let _ = writeln!(s, "  ignored runtime paths: {}", safe(&c.ignored.join(" ")));
        }
        if c.saved_entries > 0 {
            let _ = writeln!(
                s,
                "  saved docker diff: {} entries, {} disagreement(s)",
                c.saved_entries,
                c.disagreements.len()
            );
            for d in &c.disagreements {
                let k = |x: Option<crate::ingest::diff::DiffKind>| x.map(|k| k.letter()).unwrap_or('-');
                let _ = writeln!(s, "    {} saved {} rebuilt {}", safe(&d.path), k(d.saved), k(d.rebuilt));
            }
        }
    }
}
