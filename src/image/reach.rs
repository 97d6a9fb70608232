//! What applying layers reads of the merged view below them, and an image's view built
//! holding only that: a million-file base layer under a layer of one file is not held as a
//! million-node view while the layers above are applied.

use std::collections::BTreeMap;

use super::tree::{ancestors, apply, apply_last, apply_within, Applied, FileTree};
use crate::layerfs::FileType;
use crate::layerscan::{EntryKind, LayerEntry};

/// For each path of the merged view some layer reads, the last layer that reads it.
#[derive(Debug, Default)]
pub(crate) struct Reach<'e> {
    /// Path -> the last layer that reads it, or reads a path below it.
    points: BTreeMap<&'e [u8], usize>,
    /// Path -> the last layer that reads everything below it (the empty path: the root).
    roots: BTreeMap<&'e [u8], usize>,
}

impl<'e> Reach<'e> {
    /// What applying `entries` as layer `layer` reads of the view below it: each entry's path
    /// and its parents; everything below a whiteout's target and an opaque directory (a
    /// deletion lists what it hid); everything below a non-directory (one that replaces a
    /// directory removes what was below it, which the view's path count must see); and the
    /// hard links' targets ([`Reach::links`]).
    pub(crate) fn read(&mut self, entries: &'e [LayerEntry], layer: usize) {
        for e in entries {
            match &e.kind {
                EntryKind::Whiteout(w) => {
                    self.point(&w.target, layer);
                    self.root(&w.target, layer);
                }
                EntryKind::Opaque => {
                    self.point(&e.path, layer);
                    self.root(&e.path, layer);
                }
                EntryKind::Node(m) => {
                    self.point(&e.path, layer);
                    if m.ftype != FileType::Dir {
                        self.root(&e.path, layer);
                    }
                }
                EntryKind::AufsMeta => {}
            }
        }
        self.links(entries, layer);
    }

    /// The targets of the hard links of `entries` (layer `layer`) whose content the scan
    /// left unknown: the view gives it, from a node below or one the layer itself added
    /// before (so the target is kept in the view after the layer, too).
    pub(crate) fn links(&mut self, entries: &'e [LayerEntry], layer: usize) {
        for e in entries {
            if let EntryKind::Node(m) = &e.kind {
                if let (Some(t), None) = (m.hardlink(), m.sha256) {
                    self.point(t, layer + 1);
                }
            }
        }
    }

    /// Whether a layer after `after` reads `path`.
    pub(crate) fn keeps(&self, path: &[u8], after: usize) -> bool {
        self.points.get(path).is_some_and(|&l| l > after)
            || (!self.roots.is_empty()
                && std::iter::once(&b""[..])
                    .chain(ancestors(path))
                    .chain(std::iter::once(path))
                    .any(|a| self.roots.get(a).is_some_and(|&l| l > after)))
    }

    /// Keep `path` and its parents through layer `layer`.
    fn point(&mut self, path: &'e [u8], layer: usize) {
        for p in ancestors(path).chain(std::iter::once(path)) {
            let l = self.points.entry(p).or_default();
            *l = (*l).max(layer);
        }
    }

    /// Keep everything below `path` through layer `layer`.
    fn root(&mut self, path: &'e [u8], layer: usize) {
        let l = self.roots.entry(path).or_default();
        *l = (*l).max(layer);
    }
}

/// An image's merged view, built by applying its layers in order: while the layers above
/// the first hold fewer entries than it (a large base under small layers, as most big
/// images are), it holds only what they read, and counts the paths it leaves out. The last
/// layer's nodes never enter it: nothing reads the view after it.
pub(crate) struct Stack<'e> {
    tree: FileTree,
    reach: Option<Reach<'e>>,
    /// Paths of the whole view that `tree` does not hold.
    left_out: usize,
    last: usize,
}

impl<'e> Stack<'e> {
    /// For an image of `layers` (None: a layer not in the evidence).
    pub(crate) fn new(layers: &[Option<&'e [LayerEntry]>]) -> Stack<'e> {
        let first = layers.first().copied().flatten().map_or(0, <[LayerEntry]>::len);
        let above: usize = layers.iter().skip(1).flatten().map(|l| l.len()).sum();
        Stack::pruned(layers, layers.len() > 1 && above < first)
    }

    /// [`Stack::new`], holding only what the layers above read when `prune`.
    fn pruned(layers: &[Option<&'e [LayerEntry]>], prune: bool) -> Stack<'e> {
        let reach = prune.then(|| {
            let mut r = Reach::default();
            for (i, l) in layers.iter().enumerate() {
                match l {
                    Some(l) if i == 0 => r.links(l, 0),
                    Some(l) => r.read(l, i),
                    None => {}
                }
            }
            r
        });
        Stack { tree: FileTree::new(), reach, left_out: 0, last: layers.len().saturating_sub(1) }
    }

    /// Apply layer `i` (layers in order; a missing one is skipped); returns its change set.
    pub(crate) fn apply(&mut self, entries: &[LayerEntry], i: usize) -> Applied {
        if i == self.last {
            self.reach = None;
            let (applied, paths) = apply_last(std::mem::take(&mut self.tree), entries, i, false);
            self.left_out += paths;
            return applied;
        }
        match &self.reach {
            Some(r) => {
                let (applied, left_out) = apply_within(&mut self.tree, entries, i, &|p| r.keeps(p, i));
                self.left_out += left_out;
                applied
            }
            None => apply(&mut self.tree, entries, i),
        }
    }

    /// How many paths the merged view of the layers applied holds.
    pub(crate) fn paths(&self) -> usize {
        self.tree.len() + self.left_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::tree::apply_layer;
    use crate::image::tree::tests::random_layer;

    /// An image's layers applied onto a view holding only what the layers above read give
    /// the change sets, notes and path count the whole view gives.
    #[test]
    fn a_view_of_what_the_layers_above_read_tells_what_the_whole_view_would() {
        let mut rng = crate::test_rng::Rng(0x1a7e_5eed);
        let mut pruned = 0;
        for round in 0..4000 {
            let layers: Vec<Vec<LayerEntry>> =
                (0..2 + rng.below(3)).map(|_| random_layer(&mut rng)).collect();
            let refs: Vec<Option<&[LayerEntry]>> = layers.iter().map(|l| Some(&l[..])).collect();
            let mut stack = Stack::pruned(&refs, true);
            let mut whole = FileTree::new();
            for (i, l) in layers.iter().enumerate() {
                let want = apply_layer(&mut whole, l, i, false);
                let got = stack.apply(l, i);
                assert_eq!(got.changes, want.changes, "round {round}, layer {i}: {layers:?}");
                assert_eq!((&got.notes, &got.opaque), (&want.notes, &want.opaque), "round {round}");
                if i + 1 < layers.len() {
                    pruned += usize::from(stack.tree.len() < whole.len());
                }
            }
            assert_eq!(stack.paths(), whole.len(), "round {round}: {layers:?}");
        }
        assert!(pruned > 1000, "{pruned}");
    }
}
