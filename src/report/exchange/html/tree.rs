//! The two trees of the HTML page: processes (parent to child, flagged ones marked) and the
//! container's own file changes by directory.

use std::collections::BTreeMap;

use maud::{html, Markup};

use crate::image::FileChange;
use crate::model::terminal_safe as t;
use crate::report::{BundleReport, ProcessReport};

/// Nodes as a forest, from the display order and depths (each root, then its descendants
/// depth-first): the roots and each node's children, as indexes into `depths`.
fn forest(depths: &[u32]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut children: Vec<Vec<usize>> = vec![vec![]; depths.len()];
    let mut roots = vec![];
    let mut stack: Vec<usize> = vec![];
    for (i, d) in depths.iter().enumerate() {
        while stack.last().is_some_and(|&top| depths[top] >= *d) {
            stack.pop();
        }
        match stack.last() {
            Some(&parent) => children[parent].push(i),
            None => roots.push(i),
        }
        stack.push(i);
    }
    (roots, children)
}

/// The process tree of one capture, as nested lists.
pub(super) fn processes(p: &ProcessReport) -> Markup {
    let depths: Vec<u32> = p.tree.nodes.iter().map(|n| n.depth).collect();
    let (roots, children) = forest(&depths);
    fn node(p: &ProcessReport, i: usize, children: &[Vec<usize>]) -> Markup {
        let n = &p.tree.nodes[i];
        let proc = p.capture.processes.get(n.index);
        html! {
            li {
                code {
                    (n.pid)
                    @if let Some(pr) = proc {
                        " " (pr.user.as_deref().map(t).unwrap_or_default()) " " (t(&pr.cmd))
                    }
                }
                @if !n.flags.is_empty() { " " span.flag { "flagged: " (n.flags.join(", ")) } }
                @if !children[i].is_empty() {
                    ul { @for c in &children[i] { (node(p, *c, children)) } }
                }
            }
        }
    }
    html! {
        ul.tree { @for r in &roots { (node(p, *r, &children)) } }
    }
}

/// A directory of the file-change tree.
#[derive(Default)]
struct Dir<'a> {
    dirs: BTreeMap<&'a str, Dir<'a>>,
    files: Vec<(&'a str, &'a FileChange)>,
}

/// The container's own changes (from its export), by directory; else a line saying why
/// there are none.
pub(super) fn file_changes(b: &BundleReport) -> Markup {
    let changes: Vec<&FileChange> = b.image.file_changes.iter().filter(|c| c.image().is_none()).collect();
    let paths: Vec<String> = changes.iter().map(|c| c.path()).collect();
    let mut root = Dir::default();
    for (c, path) in changes.iter().zip(&paths) {
        let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let Some(name) = parts.pop() else { continue };
        let mut d = &mut root;
        for p in parts {
            d = d.dirs.entry(p).or_default();
        }
        d.files.push((name, c));
    }
    fn dir(d: &Dir<'_>) -> Markup {
        html! {
            ul.tree {
                @for (name, sub) in &d.dirs {
                    li { details open { summary { code { (t(name)) "/" } } (dir(sub)) } }
                }
                @for (name, c) in &d.files {
                    li {
                        code { (c.change.letter()) " " (t(name)) }
                        span.mute {
                            " " (c.ftype().as_str()) " " (c.mode()) " " (c.uid()) ":" (c.gid()) " " (c.size()) " bytes"
                            @if let Some(m) = c.mtime() { ", mtime " (m.to_iso_seconds()) }
                            @if let Some(s) = c.sha256() { ", sha256 " (s) }
                        }
                    }
                }
            }
        }
    }
    html! {
        h3 { "Container changes (" (changes.len()) ")" }
        @if changes.is_empty() {
            p.mute { "No export of the container in this bundle: its own changes could not be rebuilt." }
        } @else {
            (dir(&root))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::forest;

    #[test]
    fn depths_become_a_forest() {
        // 0 ─ 1 ─ 2, 0 ─ 3; 4
        let (roots, children) = forest(&[0, 1, 2, 1, 0]);
        assert_eq!(roots, vec![0, 4]);
        assert_eq!(children[0], vec![1, 3]);
        assert_eq!(children[1], vec![2]);
    }
}
