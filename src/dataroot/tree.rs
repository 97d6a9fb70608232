//! One layer (or volume) directory of a data root read as layer entries, from the directory
//! itself or from the members of a tar of the root: whiteouts (overlay 0:0 character
//! devices, aufs `.wh.` names), opaque directories (overlay xattrs, PAX `SCHILY.xattr.*`),
//! content hashed as it streams, and the directory's custody record (files, bytes, a digest
//! over the tree in a documented order). Links are recorded, never followed.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::content::Inspector;
use crate::digest::hex;
use crate::layerfs::{FileType, Node};
use crate::layerscan::{hash_content, EntryKind, LayerEntry, LayerScan, Meta, CHUNK};
use crate::model::{display_bytes, Diagnostic, Locator, Timestamp};

/// How a driver marks deletions in its layer directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Whiteouts {
    /// overlay/overlay2: a 0:0 character device deletes its path; an `overlay.opaque` xattr
    /// makes a directory opaque.
    Overlay,
    /// aufs: `.wh.NAME` deletes NAME, `.wh..wh..opq` makes its directory opaque, other
    /// `.wh..wh.*` names are aufs's own metadata.
    Aufs,
    /// Full copies (vfs, btrfs, overlay v1 `root/`) and volumes: no whiteouts.
    None,
}

/// The custody record of one layer directory.
#[derive(Clone, Debug, Default)]
pub struct TreeCustody {
    /// Entries below the directory (files, directories, links, devices).
    pub entries: u64,
    /// Regular files among them.
    pub files: u64,
    /// Bytes of regular-file content.
    pub bytes: u64,
    /// The tree digest (see [`TreeBuilder::finish`]); None when something could not be read.
    pub digest: Option<crate::digest::Sha256Hex>,
    /// Small driver files beside the content (`link`, `lower`, `lower-id`), as read.
    pub meta: BTreeMap<String, String>,
    /// The subdirectory holding the tree (`diff`, `upper`, `root`, `fs`), when not the
    /// directory itself.
    pub content: Option<String>,
    /// Where the directory is on disk, when it was read from a directory (not from a tar).
    pub disk: Option<std::path::PathBuf>,
    /// Read from a tar of the root: where each regular file's content is in it (for the
    /// tar-split check).
    pub members: Option<super::tarsplit::Members>,
    /// Read from disk without the privilege to see `trusted.*` xattrs and no opaque marker
    /// found: opaque directories of this layer may be missed.
    pub opaque_unseen: bool,
}

/// A custody line that no content digest ends.
const NO_DIGEST: u32 = u32::MAX;

/// Builds the entries and the custody digest of one layer directory, node by node.
pub(crate) struct TreeBuilder {
    style: Whiteouts,
    scan: LayerScan,
    /// The custody line of each entry (it starts with the path and a NUL), back to back in
    /// one buffer: a million files' lines are one block, given back whole once hashed, not a
    /// million small ones. Sorted by path at the end.
    lines: Vec<u8>,
    /// Where each line starts in `lines` (it ends where the next starts).
    starts: Vec<usize>,
    /// Per line: the entry whose content digest ends it, in hex, when it has one (a regular
    /// file, or a tar hard link once its target is resolved), else [`NO_DIGEST`]. Kept in
    /// the entry, not in the line: 64 bytes a file less while the tree is read.
    digest_of: Vec<u32>,
    pub(super) custody: TreeCustody,
    buf: Vec<u8>,
    /// Tar hard links (entry index, target path): their content is resolved at the end, so
    /// no map of every file's path is kept while the tree streams.
    pending_links: Vec<(usize, Box<[u8]>)>,
    unreadable: bool,
}

impl TreeBuilder {
    pub(crate) fn new(style: Whiteouts) -> Self {
        TreeBuilder {
            style,
            scan: LayerScan { complete: true, ..Default::default() },
            lines: vec![],
            starts: vec![],
            digest_of: vec![],
            custody: TreeCustody::default(),
            buf: vec![0u8; CHUNK],
            pending_links: vec![],
            unreadable: false,
        }
    }

    /// A driver file beside the content (kept for the summary, at most 4 KiB).
    pub(crate) fn meta_file(&mut self, name: &str, content: &[u8]) {
        let text = String::from_utf8_lossy(&content[..content.len().min(4096)]).trim().to_string();
        self.custody.meta.insert(name.to_string(), text);
    }

    /// A problem reading part of the tree: recorded, the rest is read.
    pub(crate) fn problem(&mut self, d: Diagnostic) {
        self.unreadable = true;
        self.scan.complete = false;
        self.scan.diagnostics.push(d);
    }

    /// Add one node; `content` is read for regular files.
    pub(crate) fn add(
        &mut self,
        node: Node,
        content: Option<&mut dyn Read>,
        inspector: &Inspector,
        loc: &Locator,
    ) {
        if node.path.is_empty() {
            return;
        }
        let seq = self.scan.entries.len() as u32;
        self.custody.entries += 1;
        let mut line = node.path.clone();
        // Only a regular file's size is its content's (a directory's or a link's is the
        // filesystem's own, which a tar does not keep).
        let content_size =
            if node.ftype == FileType::File && node.hardlink.is_none() { node.size } else { 0 };
        let letter = match node.ftype {
            FileType::File => 'f',
            FileType::Dir => 'd',
            FileType::Symlink => 'l',
            FileType::Char => 'c',
            FileType::Block => 'b',
            FileType::Fifo => 'p',
            FileType::Other => 'o',
        };
        line.extend_from_slice(
            format!("\0{letter}\0{:o}\0{}:{}\0{}\0", node.mode & 0o7777, node.uid, node.gid, content_size)
                .as_bytes(),
        );
        let base = node.path.rsplit(|c| *c == b'/').next().unwrap_or(&node.path).to_vec();
        let parent = node.path[..node.path.len() - base.len()].to_vec();
        // overlay: a 0:0 character device is a whiteout.
        if self.style == Whiteouts::Overlay && node.ftype == FileType::Char && node.dev == Some((0, 0)) {
            line.extend_from_slice(b"whiteout");
            self.push_line(&line, None);
            self.scan.entries.push(LayerEntry {
                path: node.path[..].into(),
                seq,
                traversal: false,
                raw_name: None,
                kind: EntryKind::whiteout(node.path, node.mtime),
            });
            return;
        }
        if self.style == Whiteouts::Aufs && base.starts_with(b".wh.") {
            self.push_line(&line, None);
            let in_meta = node.path.split(|c| *c == b'/').any(|c| c.starts_with(b".wh..wh."));
            let entry = if base == b".wh..wh..opq" {
                let dir = parent.strip_suffix(b"/").unwrap_or(&parent).into();
                LayerEntry { path: dir, seq, traversal: false, raw_name: None, kind: EntryKind::Opaque }
            } else if in_meta {
                LayerEntry {
                    path: node.path.into(),
                    seq,
                    traversal: false,
                    raw_name: None,
                    kind: EntryKind::AufsMeta,
                }
            } else {
                let mut target = parent.clone();
                target.extend_from_slice(&base[4..]);
                LayerEntry {
                    path: node.path.into(),
                    seq,
                    traversal: false,
                    raw_name: None,
                    kind: EntryKind::whiteout(target, node.mtime),
                }
            };
            self.scan.entries.push(entry);
            return;
        }
        if self.style == Whiteouts::Aufs
            && node.path.split(|c| *c == b'/').next().is_some_and(|c| c.starts_with(b".wh..wh."))
        {
            self.push_line(&line, None);
            self.scan.entries.push(LayerEntry {
                path: node.path.into(),
                seq,
                traversal: false,
                raw_name: None,
                kind: EntryKind::AufsMeta,
            });
            return;
        }
        if node.opaque && node.ftype == FileType::Dir && self.style == Whiteouts::Overlay {
            self.scan.entries.push(LayerEntry {
                path: node.path[..].into(),
                seq,
                traversal: false,
                raw_name: None,
                kind: EntryKind::Opaque,
            });
            line.extend_from_slice(b"opaque\0");
        }
        let mut meta = Meta::of(&node);
        if let Some(l) = &node.link {
            line.extend_from_slice(l);
        }
        if let Some((ma, mi)) = node.dev {
            line.extend_from_slice(format!("{ma},{mi}").as_bytes());
        }
        // The entry made below; the line ends with its content digest, if it gets one.
        let entry = self.scan.entries.len();
        let mut digest = None;
        if let Some(target) = &node.hardlink {
            // A tar hard link: the content is the target's (filled in by `finish`).
            self.pending_links.push((entry, target.as_slice().into()));
            digest = Some(entry);
            meta.edit_rare(|r| r.hardlink = Some(target.as_slice().into()));
            self.custody.files += 1;
        } else if node.ftype == FileType::File {
            meta.size = node.size;
            self.custody.files += 1;
            self.custody.bytes += node.size;
            match content.map(|mut r| {
                hash_content(&mut r, &node.path, node.size, Some(node.uid), inspector, &mut self.buf)
            }) {
                Some(Ok(((sha, magic, facts, script), _))) => {
                    meta.sha256 = Some(sha);
                    meta.magic = magic;
                    meta.edit_rare(|r| (r.facts, r.script) = (facts, script));
                    digest = Some(entry);
                }
                Some(Err(e)) => self.problem(Diagnostic::error(
                    loc.clone().with_member(format!("/{}", display_bytes(&node.path))),
                    format!("cannot read file content: {e}"),
                )),
                None => {}
            }
        }
        self.push_line(&line, digest);
        self.scan.entries.push(LayerEntry {
            path: node.path.into(),
            seq,
            traversal: false,
            raw_name: None,
            kind: EntryKind::Node(meta.into()),
        });
    }

    /// One entry's custody line, less the content digest of entry `digest` that ends it.
    fn push_line(&mut self, line: &[u8], digest: Option<usize>) {
        self.starts.push(self.lines.len());
        self.lines.extend_from_slice(line);
        self.digest_of.push(digest.and_then(|e| u32::try_from(e).ok()).unwrap_or(NO_DIGEST));
    }

    /// Line `i` as pushed.
    fn line(&self, i: usize) -> &[u8] {
        let end = self.starts.get(i + 1).copied().unwrap_or(self.lines.len());
        &self.lines[self.starts[i]..end]
    }

    /// The entries and the custody record. The digest is SHA-256 over one line per entry,
    /// entries sorted by path bytes: `path NUL type NUL mode(octal, permission bits) NUL uid:gid NUL
    /// size (regular files, else 0) NUL
    /// detail LF`, where detail is the content's SHA-256 (files), the link target, `major,minor`
    /// (devices) or `whiteout`, and opaque directories carry `opaque NUL`. Times are left
    /// out, so a tar of the root and the directory it came from digest alike.
    pub(crate) fn finish(mut self) -> (LayerScan, TreeCustody) {
        // Each tar hard link takes its target's content (its digest then ends the link's
        // custody line).
        crate::layerscan::resolve_links(&mut self.scan.entries, &self.pending_links);
        // By path (what precedes the first NUL), stable: a path met twice keeps its order.
        let path_of = |l: &[u8]| -> usize { l.iter().position(|c| *c == 0).unwrap_or(l.len()) };
        if !self.unreadable {
            let mut order: Vec<usize> = (0..self.starts.len()).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (self.line(a), self.line(b));
                a[..path_of(a)].cmp(&b[..path_of(b)])
            });
            let mut h = Sha256::new();
            for i in order {
                h.update(self.line(i));
                let entry = self.scan.entries.get(self.digest_of[i] as usize).map(|e| &e.kind);
                if let Some(EntryKind::Node(m)) = entry {
                    if let Some(d) = m.sha256 {
                        h.update(hex(&d).as_bytes());
                    }
                }
                h.update(b"\n");
            }
            self.custody.digest = Some(crate::digest::Sha256Hex(h.finalize().into()));
        }
        self.scan.blob_size = self.custody.bytes;
        (self.scan, self.custody)
    }
}

/// Whether this process can see `trusted.*` extended attributes (root, or CAP_SYS_ADMIN:
/// taken as euid 0). Read from `/proc/self/status`; unknown counts as unprivileged.
pub(crate) fn sees_trusted_xattrs() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Read one layer directory on disk (`content` below `dir`: `diff`, `upper`, `root` or the
/// directory itself). Never follows a link; unreadable parts become diagnostics.
pub(crate) fn read_dir_tree(
    dir: &Path,
    content: Option<&str>,
    style: Whiteouts,
    shown: &str,
    inspector: &Inspector,
) -> (LayerScan, TreeCustody) {
    use std::os::unix::fs::MetadataExt;
    let mut b = TreeBuilder::new(style);
    let loc = Locator::artifact(shown.to_string());
    // The driver's small files beside the content.
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut names: Vec<_> = rd.flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let name = e.file_name().to_string_lossy().into_owned();
            if matches!(name.as_str(), "link" | "lower" | "lower-id" | "parent") {
                if let Ok(m) = std::fs::symlink_metadata(e.path()) {
                    if m.is_file() && m.len() <= 4096 {
                        if let Ok(bytes) = std::fs::read(e.path()) {
                            b.meta_file(&name, &bytes);
                        }
                    }
                }
            }
        }
    }
    b.custody.content = content.map(String::from);
    let root = match content {
        Some(c) => dir.join(c),
        None => dir.to_path_buf(),
    };
    if std::fs::symlink_metadata(&root).map(|m| m.is_dir()).unwrap_or(false) {
        let privileged = sees_trusted_xattrs();
        let mut dirs = 0u64;
        let mut opaque_seen = false;
        for e in walkdir::WalkDir::new(&root).follow_links(false).sort_by_file_name() {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    b.problem(Diagnostic::error(
                        loc.clone(),
                        format!("cannot walk the layer directory: {err}"),
                    ));
                    continue;
                }
            };
            if e.depth() == 0 {
                continue;
            }
            let rel = e.path().strip_prefix(&root).unwrap_or(e.path());
            let path = crate::layerfs::normalize(rel.as_os_str().as_encoded_bytes()).0;
            let meta = match e.path().symlink_metadata() {
                Ok(m) => m,
                Err(err) => {
                    b.problem(Diagnostic::error(
                        loc.clone().with_member(format!("/{}", display_bytes(&path))),
                        format!("cannot stat: {err}"),
                    ));
                    continue;
                }
            };
            let ft = meta.file_type();
            use std::os::unix::fs::FileTypeExt;
            let ftype = if ft.is_dir() {
                FileType::Dir
            } else if ft.is_symlink() {
                FileType::Symlink
            } else if ft.is_file() {
                FileType::File
            } else if ft.is_char_device() {
                FileType::Char
            } else if ft.is_block_device() {
                FileType::Block
            } else if ft.is_fifo() {
                FileType::Fifo
            } else {
                FileType::Other
            };
            let rdev = meta.rdev();
            let dev = matches!(ftype, FileType::Char | FileType::Block).then(|| (major(rdev), minor(rdev)));
            let opaque = ftype == FileType::Dir && style == Whiteouts::Overlay && {
                dirs += 1;
                let o = ["trusted.overlay.opaque", "user.overlay.opaque"]
                    .iter()
                    .any(|k| matches!(xattr::get(e.path(), k), Ok(Some(v)) if v == b"y"));
                opaque_seen |= o;
                o
            };
            let node = Node {
                path,
                ftype,
                mode: meta.mode(),
                uid: u64::from(meta.uid()),
                gid: u64::from(meta.gid()),
                size: meta.len(),
                mtime: Some(Timestamp::from_unix(
                    meta.mtime(),
                    meta.mtime_nsec().clamp(0, 999_999_999) as u32,
                )),
                link: ft
                    .is_symlink()
                    .then(|| std::fs::read_link(e.path()).ok())
                    .flatten()
                    .map(|t| t.into_os_string().into_encoded_bytes()),
                hardlink: None,
                dev,
                opaque,
            };
            if ftype == FileType::File {
                match std::fs::File::open(e.path()) {
                    Ok(mut f) => b.add(node, Some(&mut f), inspector, &loc),
                    Err(err) => {
                        let at = loc.clone().with_member(format!("/{}", display_bytes(&node.path)));
                        b.add(node, None, inspector, &loc);
                        b.problem(Diagnostic::error(at, format!("cannot open: {err}")));
                    }
                }
            } else {
                b.add(node, None, inspector, &loc);
            }
        }
        b.custody.opaque_unseen = style == Whiteouts::Overlay && dirs > 0 && !privileged && !opaque_seen;
    }
    b.finish()
}

/// Linux `major()` of a `dev_t`.
fn major(dev: u64) -> u64 {
    ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff)
}

/// Linux `minor()` of a `dev_t`.
fn minor(dev: u64) -> u64 {
    ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(path: &str, ftype: FileType, size: u64) -> Node {
        Node {
            path: path.as_bytes().to_vec(),
            ftype,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            mtime: None,
            link: None,
            hardlink: None,
            dev: None,
            opaque: false,
        }
    }

    /// The tree digest is SHA-256 over the documented lines in path order, not in the order
    /// met (a walk sorted by name meets `a/b` before `a-c`; bytes sort `a-c` first), a hard
    /// link's line ending with its target's digest (known only once the target is read).
    #[test]
    fn the_tree_digest_hashes_the_lines_in_path_order() {
        let inspector = Inspector::new();
        let loc = Locator::artifact("diff");
        let mut b = TreeBuilder::new(Whiteouts::Overlay);
        b.add(node("a", FileType::Dir, 0), None, &inspector, &loc);
        b.add(node("a/b", FileType::File, 5), Some(&mut &b"hello"[..]), &inspector, &loc);
        let mut link = node("a/c", FileType::File, 0);
        link.hardlink = Some(b"a/b".to_vec());
        b.add(link, None, &inspector, &loc);
        b.add(node("a-c", FileType::File, 0), Some(&mut &b""[..]), &inspector, &loc);
        let (scan, custody) = b.finish();
        assert_eq!(scan.entries.len(), 4);
        let hello = hex(&Sha256::digest(b"hello"));
        let empty = hex(&Sha256::digest(b""));
        let lines = format!(
            "a\0d\0644\00:0\00\0\na-c\0f\0644\00:0\00\0{empty}\na/b\0f\0644\00:0\05\0{hello}\na/c\0f\0644\00:0\00\0{hello}\n"
        );
        assert_eq!(custody.digest, Some(crate::digest::Sha256Hex(Sha256::digest(lines.as_bytes()).into())));
    }
}
