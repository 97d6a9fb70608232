//! Where the layer, snapshot and volume directories of a data root are, from a path alone
//! (a directory walk or a tar member name): Docker's overlay2 / overlay / aufs / vfs / btrfs
//! driver directories and volumes, containers-storage's `overlay/<id>/diff`, containerd's
//! `snapshots/<n>/fs`. Each such directory is one artifact, its files layer entries.

use super::tree::Whiteouts;

/// What kind of tree a layer directory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirKind {
    /// `overlay2/<id>`: content in `diff/`, `link` and `lower` beside it.
    Overlay2,
    /// `overlay2/l`: the short links (symlinks to `../<id>/diff`), recorded, never followed.
    ShortLinks,
    /// `overlay/<id>`: Docker's overlay v1 (`root/` or `upper/` + `lower-id`) or
    /// containers-storage's overlay (`diff/`, `link`, `lower`).
    Overlay,
    /// `aufs/diff/<id>`: the branch itself, `.wh.` whiteouts.
    AufsDiff,
    /// `aufs/mnt/<id>`: a mount point (empty unless captured while mounted).
    AufsMnt,
    /// `vfs/dir/<id>` or `btrfs/subvolumes/<id>`: a full copy of the layer's tree.
    Copy,
    /// `volumes/<name>/_data`.
    Volume,
    /// containerd `snapshots/<n>`: content in `fs/`.
    Snapshot,
}

impl DirKind {
    /// Subdirectories that hold the tree, in the order looked for; empty: the directory itself.
    pub(crate) fn content(&self) -> &'static [&'static str] {
        match self {
            DirKind::Overlay2 => &["diff"],
            DirKind::Overlay => &["diff", "upper", "root"],
            DirKind::Snapshot => &["fs"],
            _ => &[],
        }
    }

    /// How deletions are marked, given the content subdirectory found.
    pub(crate) fn whiteouts(&self, content: Option<&str>) -> Whiteouts {
        match (self, content) {
            (DirKind::Overlay, Some("root")) => Whiteouts::None,
            (DirKind::Overlay2 | DirKind::Overlay | DirKind::Snapshot, _) => Whiteouts::Overlay,
            (DirKind::AufsDiff, _) => Whiteouts::Aufs,
            _ => Whiteouts::None,
        }
    }

    /// In words, for notes.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            DirKind::Overlay2 => "overlay2 layer directory",
            DirKind::ShortLinks => "overlay2 short links (l/)",
            DirKind::Overlay => "overlay layer directory",
            DirKind::AufsDiff => "aufs branch (diff/)",
            DirKind::AufsMnt => "aufs mount point (mnt/)",
            DirKind::Copy => "layer directory (full copy)",
            DirKind::Volume => "volume data (_data)",
            DirKind::Snapshot => "containerd snapshot",
        }
    }
}

/// A layer directory: its path in the bundle and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LayerDir {
    pub dir: String,
    pub kind: DirKind,
}

/// A layer id as drivers write them: 64 hex digits, optionally `-init`.
pub(crate) fn is_layer_id(s: &str) -> bool {
    crate::digest::is_hex64(s.strip_suffix("-init").unwrap_or(s))
}

/// The layer directory `path` is in (or is), and the rest of the path below it.
pub(crate) fn layer_dir_of(path: &str) -> Option<(LayerDir, &str)> {
    let path = path.trim_start_matches("./").trim_start_matches('/');
    let comps: Vec<&str> = path.split('/').collect();
    for i in 0..comps.len() {
        let next = |k: usize| comps.get(i + k).copied();
        let hit = match comps[i] {
            "overlay2" => match next(1) {
                Some("l") => Some((DirKind::ShortLinks, 2)),
                Some(id) if is_layer_id(id) => Some((DirKind::Overlay2, 2)),
                _ => None,
            },
            "overlay" => match next(1) {
                Some("l") => Some((DirKind::ShortLinks, 2)),
                Some(id) if is_layer_id(id) => Some((DirKind::Overlay, 2)),
                _ => None,
            },
            "aufs" => match (next(1), next(2)) {
                (Some("diff"), Some(id)) if is_layer_id(id) => Some((DirKind::AufsDiff, 3)),
                (Some("mnt"), Some(id)) if is_layer_id(id) => Some((DirKind::AufsMnt, 3)),
                _ => None,
            },
            "vfs" => match (next(1), next(2)) {
                (Some("dir"), Some(id)) if is_layer_id(id) => Some((DirKind::Copy, 3)),
                _ => None,
            },
            "btrfs" => match (next(1), next(2)) {
                (Some("subvolumes"), Some(id)) if is_layer_id(id) => Some((DirKind::Copy, 3)),
                _ => None,
            },
            "volumes" => match (next(1), next(2)) {
                (Some(name), Some("_data")) if !name.is_empty() => Some((DirKind::Volume, 3)),
                _ => None,
            },
            "snapshots" if i > 0 && comps[i - 1].starts_with("io.containerd.snapshotter.") => match next(1) {
                Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    Some((DirKind::Snapshot, 2))
                }
                _ => None,
            },
            _ => None,
        };
        if let Some((kind, len)) = hit {
            let end = i + len;
            let dir = comps[..end].join("/");
            let rest_start = dir.len().min(path.len());
            let rest = path[rest_start..].trim_start_matches('/');
            return Some((LayerDir { dir, kind }, rest));
        }
    }
    None
}

/// The artifacts below a data root, by their path relative to it (what each reader looks
/// up): references sorted by path, the last of the artifacts shown under one path kept (as
/// a map of them kept it). A map of a million loose files took 50 MB; this, 8.
pub(crate) struct Files<'a> {
    /// Bytes of the root's prefix in every path.
    root_len: usize,
    sorted: Vec<&'a crate::evidence::Artifact>,
}

impl<'a> Files<'a> {
    fn rel(&self, a: &'a crate::evidence::Artifact) -> &'a str {
        &a.path[self.root_len..]
    }

    /// The artifact at `rel`.
    pub(crate) fn get(&self, rel: &str) -> Option<&'a crate::evidence::Artifact> {
        let i = self.sorted.binary_search_by(|a| self.rel(a).cmp(rel)).ok()?;
        Some(self.sorted[i])
    }

    /// Whether an artifact is at `rel`.
    pub(crate) fn contains_key(&self, rel: &str) -> bool {
        self.get(rel).is_some()
    }

    /// Every artifact by its relative path, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'a str, &'a crate::evidence::Artifact)> + '_ {
        self.sorted.iter().map(|a| (self.rel(a), *a))
    }

    /// Every relative path, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.iter().map(|(p, _)| p)
    }

    /// The artifacts from relative path `from` on, in order.
    pub(crate) fn range_from(
        &self,
        from: &str,
    ) -> impl Iterator<Item = (&'a str, &'a crate::evidence::Artifact)> + '_ {
        let start = self.sorted.partition_point(|a| self.rel(a) < from);
        self.sorted[start..].iter().map(|a| (self.rel(a), *a))
    }
}

/// The artifacts below `root`, by their path relative to it.
pub(super) fn files_under<'a>(root: &str, artifacts: &'a [crate::evidence::Artifact]) -> Files<'a> {
    let mut sorted: Vec<&crate::evidence::Artifact> =
        artifacts.iter().filter(|a| a.path.starts_with(root)).collect();
    // A bundle's artifacts come sorted; equal paths keep their order, so the last is kept.
    if !sorted.is_sorted_by(|a, b| a.path <= b.path) {
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
    }
    sorted.dedup_by(|next, kept| {
        let same = next.path == kept.path;
        if same {
            *kept = *next;
        }
        same
    });
    Files { root_len: root.len(), sorted }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "c040562d7c5049e42cb61d9953cd40ccfc33ce232886a4cf6a8474ebbd6e2646";

    #[test]
    fn driver_directories() {
        let p = format!("docker/overlay2/{ID}/diff/etc/passwd");
        let (d, rest) = layer_dir_of(&p).unwrap();
        assert_eq!(
            (d.dir.as_str(), d.kind, rest),
            (&*format!("docker/overlay2/{ID}"), DirKind::Overlay2, "diff/etc/passwd")
        );
        let p = format!("var/lib/docker/overlay2/{ID}-init");
        let (d, rest) = layer_dir_of(&p).unwrap();
        assert_eq!((d.kind, rest), (DirKind::Overlay2, ""));
        let (d, _) = layer_dir_of(&format!("aufs/diff/{ID}/.wh..wh.aufs")).unwrap();
        assert_eq!(d.kind, DirKind::AufsDiff);
        let (d, rest) = layer_dir_of("docker/volumes/jenkins/_data/x").unwrap();
        assert_eq!((d.dir.as_str(), d.kind, rest), ("docker/volumes/jenkins/_data", DirKind::Volume, "x"));
        let (d, _) =
            layer_dir_of("containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs/bin").unwrap();
        assert_eq!(d.kind, DirKind::Snapshot);
        assert_eq!(layer_dir_of("docker/overlay2/l/ABCDEF").unwrap().0.kind, DirKind::ShortLinks);
        // Not an id, not a layer directory.
        assert!(layer_dir_of("docs/overlay2/notes/diff/x").is_none());
        assert!(layer_dir_of(&format!("docker/image/overlay2/layerdb/sha256/{ID}/diff")).is_none());
        assert!(layer_dir_of("docker/volumes/metadata.db").is_none());
        // Docker in Docker: the outer layer directory wins.
        let inner = format!("docker/overlay2/{ID}/diff/var/lib/docker/overlay2/{ID}/diff/x");
        assert_eq!(layer_dir_of(&inner).unwrap().1, format!("diff/var/lib/docker/overlay2/{ID}/diff/x"));
    }
}
