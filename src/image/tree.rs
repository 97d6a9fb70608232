//! The merged filesystem view and whiteout application: a layer's whiteouts and opaque
//! markers are applied against the view of the layers below it (as overlayfs and the OCI
//! image spec do), then its own entries are added; the result is that layer's change set.
//! Paths are lexical: a whiteout under a symlinked directory never reaches the link's target.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::Arc;

use serde::Serialize;

use crate::layerfs::FileType;
use crate::layerscan::{EntryKind, LayerEntry, Meta};
use crate::model::Timestamp;

/// A node of the merged view: its metadata and the layer that last wrote it (16 bytes: a
/// view holds one per file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// Shared with the layer entry it is from and the change that made it.
    pub meta: Arc<Meta>,
    /// Index of the layer (or source) that wrote this node, read with [`Node::layer`].
    layer: u32,
    /// Member index inside that layer plus one, read with [`Node::seq`]; None for implicit
    /// parent directories.
    seq: Option<NonZeroU32>,
}

impl Node {
    /// The node `meta` as member `seq` of layer `layer` wrote it (`seq` None: an implicit
    /// parent directory).
    pub(crate) fn new(meta: Arc<Meta>, layer: usize, seq: Option<u32>) -> Node {
        Node {
            meta,
            layer: u32::try_from(layer).unwrap_or(u32::MAX),
            seq: seq.and_then(|s| NonZeroU32::new(s.saturating_add(1))),
        }
    }

    /// Index of the layer (or source) that wrote this node.
    pub(crate) fn layer(&self) -> usize {
        self.layer as usize
    }

    /// Member index inside that layer; None for implicit parent directories.
    pub(crate) fn seq(&self) -> Option<u32> {
        self.seq.map(|s| s.get() - 1)
    }
}

/// The merged filesystem: normalized path bytes -> node (sorted, so output is deterministic).
/// The paths are the layer entries' own, shared.
pub(crate) type FileTree = BTreeMap<Arc<[u8]>, Node>;

/// What happened to a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

impl Change {
    /// The `docker diff` letter.
    pub(crate) fn letter(&self) -> char {
        match self {
            Change::Added => 'A',
            Change::Modified => 'C',
            Change::Deleted => 'D',
        }
    }
}

/// One change a layer made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChangeRec {
    /// Shared with the layer entry and the merged view.
    pub path: Arc<[u8]>,
    /// The mtime of the directory holding the path, on the changed side (the layer's own
    /// entry, or the container's view): creating or deleting a file sets it, so the change
    /// happened at or before it.
    pub dir_mtime: Option<Timestamp>,
    pub change: Change,
    /// The new node (added/modified) or the node that was removed (deleted), shared with the
    /// layer entry and the merged view.
    pub meta: Arc<Meta>,
    /// An implicit parent directory (no member of its own).
    pub implicit: bool,
    pub traversal: bool,
    /// What few records have (None when it would be all empty): read through the methods.
    pub rare: Option<Box<RecRare>>,
}

/// The parts of a change record few records have.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RecRare {
    /// The node below, for modifications.
    pub before: Option<Arc<Meta>>,
    /// What differs for modifications: `type`, `content`, `target`, `mode`, `owner`, `mtime`,
    /// or `replaced` (deleted and re-created with the same attributes); for a deletion by a
    /// standalone layer's whiteout, [`LOWER_UNKNOWN`].
    pub what: Box<[&'static str]>,
    /// For deletions by a whiteout: the whiteout member's mtime (when the file was deleted).
    pub deleted_at: Option<Timestamp>,
    /// The member name as stored, when it differs in a way worth showing (traversal).
    pub raw_name: Option<Box<[u8]>>,
    /// For a deleted directory: every path below it that the deletion hid, with the content
    /// each last had (sorted by path).
    pub hidden: Box<[Hidden]>,
}

impl RecRare {
    /// Boxed, or None when every part is empty.
    pub(crate) fn boxed(self) -> Option<Box<RecRare>> {
        let empty = self.before.is_none()
            && self.what.is_empty()
            && self.deleted_at.is_none()
            && self.raw_name.is_none()
            && self.hidden.is_empty();
        (!empty).then(|| Box::new(self))
    }
}

/// A path hidden by the deletion of a directory above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hidden {
    pub path: Arc<[u8]>,
    pub ftype: FileType,
    /// Content digest the file last had.
    pub sha256: Option<[u8; 32]>,
    /// Layer (or source) that last wrote it.
    pub layer: usize,
}

/// A path with its node.
type PathNode = (Arc<[u8]>, Node);

/// A deletion found while applying a layer: path, removed node, what it hid, when.
type Deletion = (Arc<[u8]>, Node, Vec<Hidden>, Option<Timestamp>);

fn hidden_of(nodes: impl IntoIterator<Item = PathNode>) -> Vec<Hidden> {
    let mut v: Vec<Hidden> = nodes
        .into_iter()
        .map(|(path, n)| Hidden { path, ftype: n.meta.ftype, sha256: n.meta.sha256, layer: n.layer() })
        .collect();
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v
}

/// What `what` says of a deletion made by a standalone layer tar's whiteout: the layers it
/// applies to are not in the evidence, so what it deleted is known by name only.
pub(super) const LOWER_UNKNOWN: &str = "lower-layers-unknown";

impl ChangeRec {
    /// A record of `change` at `path` with nothing before it and nothing rare.
    pub(crate) fn new(path: Arc<[u8]>, change: Change, meta: Arc<Meta>) -> ChangeRec {
        ChangeRec { path, dir_mtime: None, change, meta, implicit: false, traversal: false, rare: None }
    }

    /// The tar member name to cite: as stored when it had `..`, else the normalized path.
    pub(crate) fn member(&self) -> String {
        match self.raw_name() {
            Some(raw) => crate::model::display_bytes(raw),
            None => super::show_path(&self.path),
        }
    }

    /// The node below, for modifications.
    pub(crate) fn before(&self) -> Option<&Meta> {
        self.rare.as_ref()?.before.as_deref()
    }

    /// What differs, for modifications.
    pub(crate) fn what(&self) -> &[&'static str] {
        self.rare.as_ref().map_or(&[], |r| &r.what)
    }

    /// For deletions by a whiteout: when the file was deleted.
    pub(crate) fn deleted_at(&self) -> Option<Timestamp> {
        self.rare.as_ref().and_then(|r| r.deleted_at)
    }

    /// The member name as stored, when it differs in a way worth showing.
    pub(crate) fn raw_name(&self) -> Option<&[u8]> {
        self.rare.as_ref().and_then(|r| r.raw_name.as_deref())
    }

    /// For a deleted directory: the paths the deletion hid.
    pub(crate) fn hidden(&self) -> &[Hidden] {
        self.rare.as_ref().map_or(&[], |r| &r.hidden)
    }
}

/// The outcome of applying one layer.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Sorted by path.
    pub changes: Vec<ChangeRec>,
    /// Opaque directories of the layer.
    pub opaque: Vec<Vec<u8>>,
    /// Odd but legal things worth a warning.
    pub notes: Vec<String>,
    /// Whether `changes` are kept (not when only the merged view is wanted).
    keep: bool,
}

impl Applied {
    fn push(&mut self, c: ChangeRec) {
        if self.keep {
            self.changes.push(c);
        }
    }
}

fn subtree_bounds(path: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut lo = path.to_vec();
    lo.push(b'/');
    let mut hi = path.to_vec();
    hi.push(b'/' + 1);
    (lo, hi)
}

/// Remove everything below `path` (not `path` itself; the empty path is the root); returns
/// what was removed.
fn remove_below(tree: &mut FileTree, path: &[u8]) -> Vec<PathNode> {
    if path.is_empty() {
        return std::mem::take(tree).into_iter().collect();
    }
    let keys: Vec<Arc<[u8]>> = below(tree, path).map(|(k, _)| k.clone()).collect();
    keys.into_iter().filter_map(|k| tree.remove(&k).map(|n| (k, n))).collect()
}

/// The nodes strictly below `path` (not the empty root path).
pub(crate) fn below<'t>(tree: &'t FileTree, path: &[u8]) -> impl Iterator<Item = (&'t Arc<[u8]>, &'t Node)> {
    use std::ops::Bound::{Excluded, Included};
    let (lo, hi) = subtree_bounds(path);
    tree.range::<[u8], _>((Included(&lo[..]), Excluded(&hi[..])))
}

/// The entry of the layer's sorted nodes at `path`.
fn node_at<'e>(nodes: &[&'e LayerEntry], path: &[u8]) -> Option<&'e LayerEntry> {
    nodes.binary_search_by(|e| (*e.path).cmp(path)).ok().map(|i| nodes[i])
}

fn parent_of(path: &[u8]) -> Option<&[u8]> {
    path.iter().rposition(|c| *c == b'/').map(|i| &path[..i])
}

/// The proper parents of a normalized path (`a/b/c` -> `a`, `a/b`).
pub(crate) fn ancestors(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.iter().enumerate().filter(|(_, c)| **c == b'/').map(move |(i, _)| &path[..i])
}

/// What differs between two nodes at the same path.
pub(crate) fn what_changed(a: &Meta, b: &Meta) -> Vec<&'static str> {
    let mut out = vec![];
    if a.ftype != b.ftype {
        out.push("type");
    } else if a.ftype == FileType::Symlink && a.link() != b.link() {
        out.push("target");
    } else if a.ftype == FileType::File && (a.sha256 != b.sha256 || a.size != b.size) {
        out.push("content");
    }
    if a.mode != b.mode {
        out.push("mode");
    }
    if a.uid != b.uid || a.gid != b.gid {
        out.push("owner");
    }
    if a.ftype != FileType::Dir && b.ftype != FileType::Dir && a.mtime != b.mtime && !out.contains(&"type") {
        out.push("mtime");
    }
    out
}

fn implicit_dir() -> Meta {
    Meta {
        ftype: FileType::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: None,
        sha256: None,
        magic: Default::default(),
        rare: None,
    }
}

/// Apply `entries` (one layer, index `layer`) onto `tree`; returns the layer's change set.
pub(crate) fn apply(tree: &mut FileTree, entries: &[LayerEntry], layer: usize) -> Applied {
    apply_layer(tree, entries, layer, false)
}

/// [`apply`] when only the merged view is wanted: the change set (a record per file) is not
/// kept; the notes are returned.
pub(crate) fn merge(tree: &mut FileTree, entries: &[LayerEntry], layer: usize) -> Vec<String> {
    apply_changes(tree, entries, layer, false, Keep::View, None).0.notes
}

/// [`merge`], the view holding only the paths `within` keeps (and what is below a
/// non-directory of the layer, see [`apply_within`]).
pub(crate) fn merge_within(
    tree: &mut FileTree,
    entries: &[LayerEntry],
    layer: usize,
    within: &dyn Fn(&[u8]) -> bool,
) {
    apply_changes(tree, entries, layer, false, Keep::View, Some(within));
}

/// [`apply`], the view holding only the paths `within` keeps; also returns how many paths
/// the whole view gained that `tree` does not hold. The change set is the whole view's, and
/// so is the view's path count (`tree.len()` plus what every layer left out), when
/// `within` keeps what the layers above read of it (a [`super::reach::Reach`]): every
/// ancestor of a path it keeps, everything below a path whose subtree a later layer removes
/// or hides, and the target of a hard link whose content the scan left unknown. What is
/// below a non-directory of the layer itself (a malformed tar: `a` a file, then `a/b`) is
/// kept too: a later layer writing below `a` removes it.
pub(crate) fn apply_within(
    tree: &mut FileTree,
    entries: &[LayerEntry],
    layer: usize,
    within: &dyn Fn(&[u8]) -> bool,
) -> (Applied, usize) {
    apply_changes(tree, entries, layer, false, Keep::Both, Some(within))
}

/// [`apply`], for a layer whose lower layers are not in the evidence (`lower_unknown`: a
/// standalone layer tar): then a whiteout whose target is not below is still a deletion
/// (of a path known by name only, `what` = [`LOWER_UNKNOWN`]), not nothing.
pub(crate) fn apply_layer(
    tree: &mut FileTree,
    entries: &[LayerEntry],
    layer: usize,
    lower_unknown: bool,
) -> Applied {
    apply_changes(tree, entries, layer, lower_unknown, Keep::Both, None).0
}

/// [`apply_layer`] for the last layer, when nothing reads the merged view after it: the
/// layer's own nodes are not added to the view (its share of a single-layer image's memory),
/// and the view is consumed. Returns the change set and how many paths the view would hold.
pub(crate) fn apply_last(
    mut tree: FileTree,
    entries: &[LayerEntry],
    layer: usize,
    lower_unknown: bool,
) -> (Applied, usize) {
    let (applied, left_out) = apply_changes(&mut tree, entries, layer, lower_unknown, Keep::Changes, None);
    (applied, tree.len() + left_out)
}

/// Which paths a view keeps (None: all).
type Within<'w> = Option<&'w dyn Fn(&[u8]) -> bool>;

/// What applying a layer keeps: its change set, the merged view after it, or both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Changes,
    View,
    Both,
}

/// [`apply_layer`], keeping what `keep` says, the view only `within` the paths it keeps
/// (None: all); also returns how many paths the whole merged view gained that `tree` does
/// not hold: the layer's nodes when the view does not take them, the paths `within` left
/// out.
fn apply_changes(
    tree: &mut FileTree,
    entries: &[LayerEntry],
    layer: usize,
    lower_unknown: bool,
    keep: Keep,
    within: Within,
) -> (Applied, usize) {
    let view = keep != Keep::Changes;
    let mut out = Applied { keep: keep != Keep::View, ..Default::default() };
    let mut left_out = 0;
    // When the view does not take the layer's nodes (`view` false): the hard links among
    // them resolved here (what the view would hold for them).
    let mut resolved: BTreeMap<&[u8], Arc<Meta>> = BTreeMap::new();
    // The layer's nodes sorted by path, the last entry for a path winning (a sorted vector of
    // references, not a map: a few bytes per file).
    let mut nodes: Vec<&LayerEntry> =
        entries.iter().rev().filter(|e| matches!(e.kind, EntryKind::Node(_))).collect();
    nodes.sort_by(|a, b| a.path.cmp(&b.path));
    nodes.dedup_by(|a, b| a.path == b.path);
    if out.keep {
        // About a record an entry. Grown by doubling, a buffer under the allocator's mapping
        // threshold is copied and the old one kept for reuse: 100k files took 50 bytes a
        // file more.
        out.changes.reserve_exact(entries.len());
    }
    let dense = if within.is_some() { dense(&nodes) } else { BTreeSet::new() };
    let kept = |p: &[u8]| {
        within.is_none_or(|w| w(p)) || (!dense.is_empty() && ancestors(p).any(|a| dense.contains(a)))
    };
    // Target -> the whiteout's mtime (the time of the deletion).
    let mut whiteouts: BTreeMap<&[u8], Option<Timestamp>> = BTreeMap::new();
    let mut opaque: BTreeSet<&[u8]> = BTreeSet::new();
    for e in entries {
        match &e.kind {
            EntryKind::Whiteout(w) => {
                whiteouts.insert(&w.target, w.mtime);
            }
            EntryKind::Opaque => {
                opaque.insert(&e.path);
            }
            EntryKind::Node(_) | EntryKind::AufsMeta => {}
        }
    }
    // 1. Whiteouts and opaque markers act on the layers below only.
    let mut removed: BTreeMap<Arc<[u8]>, Node> = BTreeMap::new();
    let mut deleted: Vec<Deletion> = vec![];
    for dir in &opaque {
        out.opaque.push(dir.to_vec());
        if tree.get(*dir).is_some_and(|n| n.meta.ftype != FileType::Dir) {
            out.notes.push(format!(
                "opaque marker in `{}`, which is not a directory below (left untouched)",
                crate::model::display_bytes(dir)
            ));
            continue;
        }
        let gone = remove_below(tree, dir);
        let prefix_len = if dir.is_empty() { 0 } else { dir.len() + 1 };
        // Report the top-most hidden paths (direct children of the opaque dir), each with
        // what was below it.
        let mut tops: BTreeMap<Vec<u8>, (Option<PathNode>, Vec<PathNode>)> = BTreeMap::new();
        for (k, n) in gone {
            let rel = &k[prefix_len..];
            match rel.iter().position(|c| *c == b'/') {
                None => tops.entry(k.to_vec()).or_default().0 = Some((k.clone(), n.clone())),
                Some(i) => {
                    tops.entry(k[..prefix_len + i].to_vec()).or_default().1.push((k.clone(), n.clone()))
                }
            }
            removed.insert(k, n);
        }
        for (_, (top, below)) in tops {
            if let Some((k, n)) = top {
                deleted.push((k, n, hidden_of(below), None));
            }
        }
    }
    let mut unknown_deleted: Vec<(&[u8], Meta, Option<Timestamp>)> = vec![];
    for (target, &at) in &whiteouts {
        match tree.remove_entry(*target) {
            Some((k, n)) => {
                let below = remove_below(tree, target);
                for (k, c) in &below {
                    removed.insert(k.clone(), c.clone());
                }
                deleted.push((k.clone(), n.clone(), hidden_of(below), at));
                removed.insert(k, n);
            }
            None if lower_unknown => {
                let mut meta = implicit_dir();
                meta.ftype = FileType::Other;
                meta.mode = 0;
                unknown_deleted.push((target, meta, at));
            }
            None => {
                if let Some(link) =
                    ancestors(target).find(|a| tree.get(*a).is_some_and(|n| n.meta.ftype != FileType::Dir))
                {
                    out.notes.push(format!(
                        "whiteout `{}` goes through `{}`, which is not a directory below (a symlink?): ignored, the link's target is not touched",
                        crate::model::display_bytes(target),
                        crate::model::display_bytes(link)
                    ));
                }
            }
        }
    }
    // 2. The layer's own entries, parents first (sorted by path).
    let implicit = Arc::new(implicit_dir());
    for e in &nodes {
        let (path, EntryKind::Node(meta)) = (&e.path, &e.kind) else { continue };
        for a in ancestors(path) {
            if node_at(&nodes, a).is_some() {
                continue;
            }
            match tree.get(a) {
                Some(n) if n.meta.ftype == FileType::Dir => {}
                // Outside the view kept, no change set wanted: nothing below it is kept either.
                _ if !out.keep && !kept(a) => {}
                Some(n) => {
                    let before = n.meta.clone();
                    remove_below(tree, a);
                    let a: Arc<[u8]> = a.into();
                    tree.insert(a.clone(), Node::new(implicit.clone(), layer, None));
                    let what = what_changed(&before, &implicit).into();
                    out.push(ChangeRec {
                        rare: RecRare { before: Some(before), what, ..Default::default() }.boxed(),
                        implicit: true,
                        ..ChangeRec::new(a, Change::Modified, implicit.clone())
                    });
                }
                None => {
                    let a: Arc<[u8]> = a.into();
                    tree.insert(a.clone(), Node::new(implicit.clone(), layer, None));
                    out.push(ChangeRec {
                        implicit: true,
                        ..ChangeRec::new(a, Change::Added, implicit.clone())
                    });
                }
            }
        }
        let mut meta = meta.clone();
        if let (Some(target), None) = (meta.hardlink().map(<[u8]>::to_vec), meta.sha256) {
            // What the view holds at the target now: a node of this layer before this one in
            // path order when the view takes the layer's nodes, else the layers below.
            let earlier = match node_at(&nodes, &target).map(|e| &e.kind) {
                Some(EntryKind::Node(m)) if !view && target[..] < path[..] => {
                    Some(resolved.get(&target[..]).unwrap_or(m).clone())
                }
                _ => None,
            };
            if let Some(t) = earlier.or_else(|| tree.get(&target[..]).map(|n| n.meta.clone())) {
                take_content(&mut meta, &t);
            } else {
                out.notes.push(format!(
                    "hard link `{}` -> `{}`: target not found in this layer or below",
                    crate::model::display_bytes(path),
                    crate::model::display_bytes(&target)
                ));
            }
        }
        let was_removed = removed.contains_key(&path[..]);
        let below = tree.get(&path[..]).or_else(|| removed.get(&path[..])).map(|n| n.meta.clone());
        if meta.ftype != FileType::Dir && below.as_ref().is_some_and(|b| b.ftype == FileType::Dir) {
            for (k, c) in remove_below(tree, path) {
                removed.insert(k, c);
            }
        }
        if view && kept(path) {
            tree.insert(path.clone(), Node::new(meta.clone(), layer, Some(e.seq)));
        } else if view {
            // Nothing after this layer reads it: the whole view holds it, this one does not.
            tree.remove(&path[..]);
            left_out += 1;
        } else {
            left_out += usize::from(!tree.contains_key(&path[..]));
            if meta.hardlink().is_some() {
                resolved.insert(path, meta.clone());
            }
        }
        let rec = |change, before: Option<Arc<Meta>>, what| ChangeRec {
            traversal: e.traversal,
            rare: RecRare {
                before,
                what,
                raw_name: e.raw_name.as_ref().map(|r| r.0.clone()),
                ..Default::default()
            }
            .boxed(),
            ..ChangeRec::new(path.clone(), change, meta.clone())
        };
        match below {
            None => out.push(rec(Change::Added, None, vec![].into())),
            Some(b) => {
                let mut what = what_changed(&b, &meta);
                if what.is_empty() && was_removed {
                    what.push("replaced");
                }
                if !what.is_empty() {
                    out.push(rec(Change::Modified, Some(b), what.into()));
                }
            }
        }
    }
    // 3. Deletions that the layer did not re-create.
    let known = deleted.into_iter().map(|(path, n, hidden, at)| (path, n.meta, hidden, at, vec![]));
    let unknown = unknown_deleted
        .into_iter()
        .map(|(path, meta, at)| (path.into(), Arc::new(meta), vec![], at, vec![LOWER_UNKNOWN]));
    for (path, meta, hidden, at, what) in known.chain(unknown) {
        if node_at(&nodes, &path).is_some() {
            continue;
        }
        out.push(ChangeRec {
            rare: RecRare { what: what.into(), deleted_at: at, hidden: hidden.into(), ..Default::default() }
                .boxed(),
            ..ChangeRec::new(path, Change::Deleted, meta)
        });
    }
    for c in &mut out.changes {
        c.dir_mtime = parent_of(&c.path).and_then(|p| match node_at(&nodes, p).map(|e| &e.kind) {
            Some(EntryKind::Node(m)) => m.mtime,
            _ => None,
        });
    }
    // Mostly sorted already; a stable sort of sorted records would still take a buffer of
    // half of them.
    if !out.changes.is_sorted_by(|a, b| a.path <= b.path) {
        out.changes.sort_by(|a, b| a.path.cmp(&b.path));
    }
    (out, left_out)
}

/// A hard link's metadata given the content of the node it names (as the view holds it).
fn take_content(meta: &mut Arc<Meta>, t: &Meta) {
    let meta = Arc::make_mut(meta);
    meta.size = t.size;
    meta.sha256 = t.sha256;
    meta.magic = t.magic;
    let facts = t.facts().cloned().map(Box::new);
    meta.edit_rare(|r| r.facts = facts);
}

/// What a diff reads of a merged view: the node at a path, and every node in path order.
pub(crate) trait View {
    fn node(&self, path: &[u8]) -> Option<&Node>;
    fn nodes(&self) -> Box<dyn Iterator<Item = (&Arc<[u8]>, &Node)> + '_>;
    fn holds(&self, path: &[u8]) -> bool {
        self.node(path).is_some()
    }
}

impl View for FileTree {
    fn node(&self, path: &[u8]) -> Option<&Node> {
        self.get(path)
    }
    fn nodes(&self) -> Box<dyn Iterator<Item = (&Arc<[u8]>, &Node)> + '_> {
        Box::new(self.iter())
    }
}

/// The merged view of one filesystem tar onto nothing (an export), as [`merge`] builds it,
/// held as a sorted vector made in place from the tar's own entries: 32 bytes a path, and
/// no second structure beside the entries while it is built (a B-tree is ~60 bytes a
/// path, built while the entries are held).
pub(crate) struct FlatView(Vec<(Arc<[u8]>, Node)>);

impl FlatView {
    /// The view of `entries` (a flat tar read without whiteouts; entries of other kinds are
    /// left out, as [`merge`] leaves them out of the view).
    pub(crate) fn of(mut entries: Vec<LayerEntry>) -> FlatView {
        // The last member for a path wins.
        entries.sort_unstable_by(|a, b| a.path.cmp(&b.path).then(b.seq.cmp(&a.seq)));
        // Collected in place (a node is smaller than an entry): no second buffer.
        let mut nodes: Vec<(Arc<[u8]>, Node)> = entries
            .into_iter()
            .filter_map(|e| match e.kind {
                EntryKind::Node(m) => Some((e.path, Node::new(m, 0, Some(e.seq)))),
                _ => None,
            })
            .collect();
        nodes.dedup_by(|a, b| a.0 == b.0);
        // Walked in path order as `merge` applies them: each node's missing parents become
        // directories first, then an unresolved hard link takes the content of what the
        // view holds at its target by then (a node before it, or such a directory).
        let implicit = Arc::new(implicit_dir());
        let mut parents: BTreeSet<Arc<[u8]>> = BTreeSet::new();
        for i in 0..nodes.len() {
            let path = nodes[i].0.clone();
            for a in ancestors(&path) {
                if flat_index(&nodes, a).is_none() && !parents.contains(a) {
                    parents.insert(a.into());
                }
            }
            let meta = &nodes[i].1.meta;
            let Some(target) = meta.hardlink().filter(|_| meta.sha256.is_none()).map(<[u8]>::to_vec) else {
                continue;
            };
            let held = match flat_index(&nodes, &target) {
                Some(j) if j < i => Some(nodes[j].1.meta.clone()),
                _ => parents.contains(&target[..]).then(|| implicit.clone()),
            };
            if let Some(t) = held {
                take_content(&mut nodes[i].1.meta, &t);
            }
        }
        nodes.extend(parents.into_iter().map(|a| (a, Node::new(implicit.clone(), 0, None))));
        nodes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        nodes.shrink_to_fit();
        FlatView(nodes)
    }
}

/// Where `path` is among nodes sorted by path.
fn flat_index(nodes: &[(Arc<[u8]>, Node)], path: &[u8]) -> Option<usize> {
    nodes.binary_search_by(|(k, _)| (**k).cmp(path)).ok()
}

impl View for FlatView {
    fn node(&self, path: &[u8]) -> Option<&Node> {
        flat_index(&self.0, path).map(|i| &self.0[i].1)
    }
    fn nodes(&self) -> Box<dyn Iterator<Item = (&Arc<[u8]>, &Node)> + '_> {
        Box::new(self.0.iter().map(|(k, n)| (k, n)))
    }
}

/// The non-directories among a layer's sorted nodes that have nodes of the layer below them.
fn dense<'e>(nodes: &[&'e LayerEntry]) -> BTreeSet<&'e [u8]> {
    let mut out = BTreeSet::new();
    for (i, e) in nodes.iter().enumerate() {
        let EntryKind::Node(m) = &e.kind else { continue };
        // Paths that start with this one sort right after it: nothing below it unless the
        // next one does.
        if m.ftype == FileType::Dir || !nodes.get(i + 1).is_some_and(|n| n.path.starts_with(&e.path)) {
            continue;
        }
        let (lo, _) = subtree_bounds(&e.path);
        let j = nodes.partition_point(|n| n.path[..] < lo[..]);
        if nodes.get(j).is_some_and(|n| n.path.starts_with(&lo)) {
            out.insert(&e.path[..]);
        }
    }
    out
}

/// The changes between two merged views (`base` the image, `top` the container's), as
/// `docker diff` sees them: a deleted directory is one deletion (its children are not
/// listed). `ignore` drops paths and everything below them. Sorted by path.
pub(crate) fn diff_trees(base: &FileTree, top: &impl View, ignore: &dyn Fn(&[u8]) -> bool) -> Vec<ChangeRec> {
    let mut out = vec![];
    let rec = |path: &Arc<[u8]>, change, meta: &Arc<Meta>, before: Option<&Arc<Meta>>, what| ChangeRec {
        rare: RecRare { before: before.cloned(), what, ..Default::default() }.boxed(),
        ..ChangeRec::new(path.clone(), change, meta.clone())
    };
    for (path, n) in top.nodes() {
        if ignore(path) {
            continue;
        }
        match base.get(&path[..]) {
            None => out.push(rec(path, Change::Added, &n.meta, None, vec![].into())),
            Some(b) => {
                let what = what_changed(&b.meta, &n.meta);
                if !what.is_empty() {
                    out.push(rec(path, Change::Modified, &n.meta, Some(&b.meta), what.into()));
                }
            }
        }
    }
    for (path, n) in base {
        if ignore(path) || top.holds(path) {
            continue;
        }
        if parent_of(path).is_some_and(|p| !top.holds(p) && base.contains_key(p)) {
            continue;
        }
        let mut r = rec(path, Change::Deleted, &n.meta, None, vec![].into());
        if n.meta.ftype == FileType::Dir {
            let hidden =
                hidden_of(below(base, path).filter(|(k, _)| !ignore(k)).map(|(k, n)| (k.clone(), n.clone())));
            // A deletion has nothing else rare.
            r.rare = RecRare { hidden: hidden.into(), ..Default::default() }.boxed();
        }
        out.push(r);
    }
    for c in &mut out {
        c.dir_mtime = parent_of(&c.path).and_then(|p| top.node(p)).and_then(|n| n.meta.mtime);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// `docker diff` lines from changes: each change, plus every parent directory that exists
/// on both sides as `C`, as docker prints them. Sorted by path.
pub(crate) fn docker_lines(
    changes: impl IntoIterator<Item = (Change, Vec<u8>)>,
    exists_in_both: impl Fn(&[u8]) -> bool,
) -> Vec<(Change, Vec<u8>)> {
    let mut out: BTreeMap<Vec<u8>, Change> = changes.into_iter().map(|(c, p)| (p, c)).collect();
    add_parent_dirs(&mut out, exists_in_both);
    out.into_iter().map(|(p, c)| (c, p)).collect()
}

/// Docker lists each changed path's existing parent directories as `C`.
pub(crate) fn add_parent_dirs(out: &mut BTreeMap<Vec<u8>, Change>, exists_in_both: impl Fn(&[u8]) -> bool) {
    let paths: Vec<Vec<u8>> = out.keys().cloned().collect();
    for p in paths {
        for a in ancestors(&p) {
            if !a.is_empty() && !out.contains_key(a) && exists_in_both(a) {
                out.insert(a.to_vec(), Change::Modified);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A member of a layer at `path`, as stored.
    fn entry(path: &str, seq: u32, kind: EntryKind) -> LayerEntry {
        LayerEntry { path: path.as_bytes().into(), seq, traversal: false, raw_name: None, kind }
    }

    fn file(path: &str, content: u8, seq: u32) -> LayerEntry {
        let mut m = implicit_dir();
        m.ftype = FileType::File;
        m.mode = 0o644;
        m.size = 1;
        m.sha256 = Some([content; 32]);
        entry(path, seq, EntryKind::Node(m.into()))
    }

    fn dir(path: &str, seq: u32) -> LayerEntry {
        entry(path, seq, EntryKind::Node(implicit_dir().into()))
    }

    fn wh(path: &str, target: &str, seq: u32) -> LayerEntry {
        entry(path, seq, EntryKind::whiteout(target.as_bytes(), None))
    }

    /// The opaque marker of the directory `path` (the root when empty).
    fn opaque(path: &str, seq: u32) -> LayerEntry {
        entry(path, seq, EntryKind::Opaque)
    }

    fn paths(t: &FileTree) -> Vec<String> {
        t.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
    }

    #[test]
    fn opaque_keeps_own_entries_and_recreate_does_not_resurrect() {
        let mut t = FileTree::new();
        apply(&mut t, &[dir("a", 0), file("a/foo", 1, 1), file("a/bar", 1, 2)], 0);
        let opq = opaque("a", 1);
        // Entry order inside a layer does not matter: the layer's own a/new stays.
        let ap = apply(&mut t, &[file("a/new", 2, 0), opq], 1);
        assert_eq!(paths(&t), ["a", "a/new"]);
        let d: Vec<_> =
            ap.changes.iter().map(|c| (c.change, String::from_utf8_lossy(&c.path).into_owned())).collect();
        assert_eq!(
            d,
            [
                (Change::Deleted, "a/bar".into()),
                (Change::Deleted, "a/foo".into()),
                (Change::Added, "a/new".into())
            ]
        );
        apply(&mut t, &[wh(".wh.a", "a", 0)], 2);
        apply(&mut t, &[file("a/baz", 3, 0)], 3);
        assert_eq!(paths(&t), ["a", "a/baz"]);
    }

    #[test]
    fn merging_builds_the_view_applying_does_keeping_no_changes() {
        let layers = [
            vec![dir("a", 0), file("a/foo", 1, 1), file("x/y", 1, 2)],
            vec![file("a/foo", 2, 0), wh("x/.wh.y", "x/y", 1), file("a", 3, 2)],
            vec![wh(".wh.zz", "zz", 0), file("a/b/c", 4, 1)],
        ];
        let (mut applied, mut merged) = (FileTree::new(), FileTree::new());
        for (i, l) in layers.iter().enumerate() {
            let a = apply(&mut applied, l, i);
            assert!(!a.changes.is_empty());
            assert_eq!(merge(&mut merged, l, i), a.notes);
            assert_eq!(merged, applied, "after layer {i}");
        }
    }

    /// A hard link to `target` whose content the scan could not fill in (the target comes
    /// later in the tar, or is in a layer below).
    fn hardlink(path: &str, target: &str, seq: u32) -> LayerEntry {
        let mut m = implicit_dir();
        m.ftype = FileType::File;
        let hardlink = Some(target.as_bytes().into());
        m.rare = Some(Box::new(crate::layerscan::MetaRare { hardlink, ..Default::default() }));
        entry(path, seq, EntryKind::Node(m.into()))
    }

    /// A layer of 1 to 7 random entries (directories, files, unresolved hard links,
    /// whiteouts, opaque markers) over names that sort around `/` (`a.b` < `a/b`), nest, and
    /// are replaced by each other's type.
    pub(crate) fn random_layer(rng: &mut crate::test_rng::Rng) -> Vec<LayerEntry> {
        const NAMES: [&str; 9] = ["a", "a.b", "a/b", "a/b/c", "a/c", "b", "b/a", "c", "c/d/e"];
        (0..1 + rng.below(7) as u32)
            .map(|seq| {
                let p = NAMES[rng.below(NAMES.len())];
                let other = NAMES[rng.below(NAMES.len())];
                match rng.below(6) {
                    0 => dir(p, seq),
                    1 => hardlink(p, other, seq),
                    2 => wh(&format!("{p}.wh"), p, seq),
                    3 => opaque(p, seq),
                    _ => file(p, rng.below(3) as u8, seq),
                }
            })
            .collect()
    }

    #[test]
    fn the_last_layer_applied_without_the_view_tells_what_the_view_would() {
        let mut rng = crate::test_rng::Rng(0x5eed_1a57);
        for round in 0..2000 {
            let layers: Vec<Vec<LayerEntry>> =
                (0..1 + rng.below(3)).map(|_| random_layer(&mut rng)).collect();
            let (last, lower) = layers.split_last().unwrap();
            let mut viewed = FileTree::new();
            for (i, l) in lower.iter().enumerate() {
                apply(&mut viewed, l, i);
            }
            let unviewed = viewed.clone();
            let lower_unknown = rng.below(2) == 0;
            let want = apply_layer(&mut viewed, last, lower.len(), lower_unknown);
            let (got, paths) = apply_last(unviewed, last, lower.len(), lower_unknown);
            assert_eq!(got.changes, want.changes, "round {round}: {layers:?}");
            assert_eq!((got.notes, got.opaque), (want.notes, want.opaque), "round {round}");
            assert_eq!(paths, viewed.len(), "round {round}: {layers:?}");
        }
    }

    /// A flat tar's view made from its entries is the view `merge` builds onto nothing:
    /// the last member for a path, implicit parents, hard links resolved as of their turn.
    #[test]
    fn a_flat_view_is_what_merging_onto_nothing_builds() {
        let mut rng = crate::test_rng::Rng(0xf1a7_0001);
        for round in 0..4000 {
            let entries: Vec<LayerEntry> = (0..1 + rng.below(3))
                .flat_map(|_| random_layer(&mut rng))
                .enumerate()
                .map(|(i, mut e)| {
                    e.seq = i as u32;
                    e
                })
                .collect();
            let mut tree = FileTree::new();
            merge(&mut tree, &entries, 0);
            let want: Vec<(&Arc<[u8]>, &Node)> = tree.iter().collect();
            let flat = FlatView::of(entries.clone());
            let got: Vec<(&Arc<[u8]>, &Node)> = flat.nodes().collect();
            assert_eq!(got, want, "round {round}: {entries:?}");
        }
    }

    #[test]
    fn opaque_root_hides_every_lower_path() {
        let mut t = FileTree::new();
        apply(&mut t, &[dir("etc", 0), file("etc/x", 1, 1), file("y", 1, 2)], 0);
        let opq = opaque("", 0);
        let ap = apply(&mut t, &[opq, file("z", 2, 1)], 1);
        assert_eq!(paths(&t), ["z"]);
        assert_eq!(ap.changes.iter().filter(|c| c.change == Change::Deleted).count(), 2);
    }

    #[test]
    fn whiteout_through_symlink_leaves_target() {
        let mut t = FileTree::new();
        let mut link = implicit_dir();
        link.ftype = FileType::Symlink;
        link.edit_rare(|r| r.link = Some(b"target"[..].into()));
        apply(
            &mut t,
            &[dir("target", 0), file("target/foo", 1, 1), entry("link", 2, EntryKind::Node(link.into()))],
            0,
        );
        let ap = apply(&mut t, &[wh("link/.wh.foo", "link/foo", 0)], 1);
        assert!(t.contains_key(b"target/foo".as_slice()));
        assert!(ap.changes.is_empty());
        assert_eq!(ap.notes.len(), 1);
    }

    #[test]
    fn docker_diff_parents_and_collapsed_deletes() {
        let mut base = FileTree::new();
        apply(&mut base, &[dir("etc", 0), file("etc/passwd", 1, 1), dir("old", 2), file("old/x", 1, 3)], 0);
        let mut top = FileTree::new();
        apply(&mut top, &[dir("etc", 0), file("etc/passwd", 2, 1), dir("tmp", 2), file("tmp/m", 1, 3)], 0);
        let recs = diff_trees(&base, &top, &|_| false);
        let d: Vec<String> = docker_lines(recs.into_iter().map(|r| (r.change, r.path.to_vec())), |p| {
            base.contains_key(p) && top.contains_key(p)
        })
        .into_iter()
        .map(|(c, p)| format!("{} /{}", c.letter(), String::from_utf8_lossy(&p)))
        .collect();
        assert_eq!(d, ["C /etc", "C /etc/passwd", "D /old", "A /tmp", "A /tmp/m"]);
    }

    #[test]
    fn standalone_layer_whiteout_is_a_deletion_by_name() {
        let mut t = FileTree::new();
        let ap = apply_layer(&mut t, &[dir("etc", 0), wh("etc/.wh.profile", "etc/profile", 1)], 0, true);
        let d: Vec<_> = ap.changes.iter().filter(|c| c.change == Change::Deleted).collect();
        assert_eq!(d.len(), 1);
        assert_eq!(&*d[0].path, b"etc/profile");
        assert_eq!(d[0].what(), [LOWER_UNKNOWN]);
        assert!(!t.contains_key(b"etc/profile".as_slice()));
        // In an image (lower layers known) a whiteout of nothing deletes nothing.
        let mut t = FileTree::new();
        let ap = apply(&mut t, &[wh(".wh.x", "x", 0)], 0);
        assert!(ap.changes.is_empty());
    }

    #[test]
    fn deleted_directory_lists_what_it_hid() {
        let mut t = FileTree::new();
        apply(&mut t, &[dir("a", 0), dir("a/b", 1), file("a/b/c", 7, 2), file("a/d", 8, 3)], 0);
        let ap = apply(&mut t, &[wh(".wh.a", "a", 0)], 1);
        assert_eq!(ap.changes.len(), 1);
        let h: Vec<_> = ap.changes[0].hidden().iter().map(|h| (h.path.to_vec(), h.sha256, h.layer)).collect();
        assert_eq!(
            h,
            [
                (b"a/b".to_vec(), None, 0),
                (b"a/b/c".to_vec(), Some([7; 32]), 0),
                (b"a/d".to_vec(), Some([8; 32]), 0)
            ]
        );
        // Opaque: each top-most child carries what was below it.
        let mut t = FileTree::new();
        apply(&mut t, &[dir("a", 0), dir("a/b", 1), file("a/b/c", 7, 2)], 0);
        let opq = opaque("a", 0);
        let ap = apply(&mut t, &[dir("a", 1), opq], 1);
        let del: Vec<_> = ap.changes.iter().filter(|c| c.change == Change::Deleted).collect();
        assert_eq!(del.len(), 1);
        assert_eq!(&*del[0].path, b"a/b");
        assert_eq!(&*del[0].hidden()[0].path, b"a/b/c");
        // diff_trees: a deleted directory hides its children too.
        let base = {
            let mut b = FileTree::new();
            apply(&mut b, &[dir("old", 0), file("old/x", 1, 1)], 0);
            b
        };
        let recs = diff_trees(&base, &FileTree::new(), &|_| false);
        assert_eq!(recs.len(), 1);
        assert_eq!(&*recs[0].hidden()[0].path, b"old/x");
    }
}
