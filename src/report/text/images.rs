//! Text section: images (layers and their change counts), the container's own changes and
//! the most relevant file changes.

use std::fmt::Write as _;

use super::style::{heading, safe};
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
        render_image(s, img);
    }
    for c in sec.container_changes.iter().chain(&sec.more_container_changes) {
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

/// One image as text: header, then one line per layer (also what `ctriage layers` prints).
pub(crate) fn render_image(s: &mut String, img: &crate::image::ImageRecord) {
    let name =
        img.repo_tags.first().cloned().or_else(|| img.id.clone()).unwrap_or_else(|| "(untagged)".into());
    s.push_str(&format!(
        "  image {} [{}] {} ({}), {} layer(s), integrity {}
",
        img.index,
        img.role,
        crate::model::terminal_safe(&name),
        img.layout,
        img.layers.len(),
        img.integrity
    ));
    s.push_str(&format!(
        "    archive {} ({}); id {}; created {}; {}/{}\n",
        crate::model::terminal_safe(&img.archive),
        crate::model::terminal_safe(&img.listed_in),
        img.id.as_deref().unwrap_or("-"),
        img.created.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
        crate::model::terminal_safe(img.os.as_deref().unwrap_or("-")),
        crate::model::terminal_safe(img.architecture.as_deref().unwrap_or("-")),
    ));
    if let Some(r) = &img.refused {
        s.push_str(&format!("    {}\n", crate::model::terminal_safe(r)));
    }
    if let Some(r) = &img.commit_reason {
        s.push_str(&format!(
            "    committed layers {:?}: {}\n",
            img.committed_layers,
            crate::model::terminal_safe(r)
        ));
    }
    for l in &img.layers {
        let step = l.created_by.as_deref().unwrap_or("-");
        let step: String = step.chars().take(70).collect();
        s.push_str(&format!(
            "    {:>3} {:>12} B {:<5} +{:<5} ~{:<5} -{:<5} {} {}{}\n",
            l.index,
            l.size,
            format!("{:?}", l.compression).to_lowercase(),
            l.added,
            l.modified,
            l.deleted,
            l.diff_id.as_deref().and_then(|d| d.get(7..19)).unwrap_or("-"),
            crate::model::terminal_safe(&step),
            if img.committed_layers.contains(&l.index) { "  [commit]" } else { "" }
        ));
        if let Some(a) = &l.after_end {
            s.push_str(&format!("        note: {}\n", crate::model::terminal_safe(a)));
        }
    }
}
