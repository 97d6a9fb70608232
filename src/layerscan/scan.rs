//! One layer's content as entries (files, directories, links, devices, whiteouts, opaque
//! directories) with their metadata and content facts, and the hashing of one file's content
//! as it streams (digest, magic, content and script facts).

use std::io::{self, Read};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::compression::Compression;
use crate::content::script::{ScriptFacts, ScriptScan};
use crate::content::{ContentFacts, Inspector, Magic};
use crate::layerfs::{FileType, Node};
use crate::model::{Diagnostic, Timestamp};

/// Content is read in chunks of this size.
pub(crate) const CHUNK: usize = 64 << 10;

/// Metadata (and content digest) of one file, directory, link or device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub ftype: FileType,
    /// Permission bits including setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub mtime: Option<Timestamp>,
    pub sha256: Option<[u8; 32]>,
    pub magic: Magic,
    /// Links, content facts, script facts: what most files lack (None when all are empty),
    /// read through the methods.
    pub rare: Option<Box<MetaRare>>,
}

/// The parts of a file's metadata most files lack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaRare {
    /// Symbolic link target (as stored).
    pub link: Option<Box<[u8]>>,
    /// Hard link target (normalized path); content fields are the target's.
    pub hardlink: Option<Box<[u8]>>,
    pub facts: Option<Box<ContentFacts>>,
    /// What the file does when it is a script (relaunch loops, miner arguments).
    pub script: Option<Box<ScriptFacts>>,
}

impl Meta {
    /// The metadata of a node as read, before its content is hashed (no size, no digest).
    pub(crate) fn of(node: &Node) -> Meta {
        Meta {
            ftype: node.ftype,
            mode: node.mode & 0o7777,
            uid: node.uid,
            gid: node.gid,
            size: 0,
            mtime: node.mtime,
            sha256: None,
            magic: Magic::Other,
            rare: MetaRare { link: node.link.as_deref().map(Into::into), ..Default::default() }.boxed(),
        }
    }

    /// Symbolic link target (as stored).
    pub fn link(&self) -> Option<&[u8]> {
        self.rare.as_ref()?.link.as_deref()
    }

    /// Hard link target (normalized path).
    pub fn hardlink(&self) -> Option<&[u8]> {
        self.rare.as_ref()?.hardlink.as_deref()
    }

    /// What the content inspector found in the file.
    pub fn facts(&self) -> Option<&ContentFacts> {
        self.rare.as_ref()?.facts.as_deref()
    }

    /// What the file does when it is a script.
    pub fn script(&self) -> Option<&ScriptFacts> {
        self.rare.as_ref()?.script.as_deref()
    }

    /// Edit the rare parts (boxed again only when not all empty).
    pub fn edit_rare(&mut self, edit: impl FnOnce(&mut MetaRare)) {
        let mut rare = self.rare.take().map(|r| *r).unwrap_or_default();
        edit(&mut rare);
        self.rare = rare.boxed();
    }

    /// Take the content facts of `other` (a hard link's target): size, digest, magic, facts.
    pub(crate) fn content_of(&mut self, other: &Meta) {
        self.size = other.size;
        self.sha256 = other.sha256;
        self.magic = other.magic;
        let (facts, script) = (other.facts().cloned().map(Box::new), other.script().cloned().map(Box::new));
        self.edit_rare(|r| (r.facts, r.script) = (facts, script));
    }
}

impl MetaRare {
    /// Boxed, or None when every part is empty.
    fn boxed(self) -> Option<Box<MetaRare>> {
        let empty =
            self.link.is_none() && self.hardlink.is_none() && self.facts.is_none() && self.script.is_none();
        (!empty).then(|| Box::new(self))
    }
}

/// What a tar member means for the layered filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A file, directory, link or device (its metadata shared with the merged views and the
    /// change sets made from it: one copy per file, not one per holder).
    Node(Arc<Meta>),
    /// `.wh.NAME`: deletes a path from lower layers (boxed: few entries are whiteouts, and
    /// every entry is as large as its largest kind).
    Whiteout(Box<Whiteout>),
    /// `.wh..wh..opq`: the entry's path is the directory made opaque.
    Opaque,
    /// aufs metadata (`.wh..wh.plnk`, `.wh..wh.aufs`, `.wh..wh.orph` and what is below them):
    /// not a deletion, not part of the filesystem.
    AufsMeta,
}

/// What a whiteout deletes, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Whiteout {
    /// The path deleted (normalized).
    pub target: Box<[u8]>,
    /// The whiteout member's mtime: when the deletion was made.
    pub mtime: Option<Timestamp>,
}

impl EntryKind {
    /// A whiteout deleting `target`, made at `mtime`.
    pub fn whiteout(target: impl Into<Box<[u8]>>, mtime: Option<Timestamp>) -> EntryKind {
        EntryKind::Whiteout(Box::new(Whiteout { target: target.into(), mtime }))
    }
}

/// One member of a layer tar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerEntry {
    /// Normalized path bytes, relative, no `.`/`..`/empty components; shared with the merged
    /// views and the change records made from the entry (one copy per file).
    pub path: Arc<[u8]>,
    /// Position of the member in the tar (0-based).
    pub seq: u32,
    /// The member name had `..` components (path traversal).
    pub traversal: bool,
    /// The member name as stored (kept only when it differs in a way worth showing).
    pub raw_name: Option<Box<RawName>>,
    pub kind: EntryKind,
}

/// A member name as stored, boxed apart from its entry (a pointer, not a slice, in each of
/// the million entries that have none: an entry is 48 bytes, not 56).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawName(pub Box<[u8]>);

/// Everything one pass over a layer blob established.
#[derive(Debug, Default)]
pub struct LayerScan {
    pub entries: Vec<LayerEntry>,
    pub compression: Compression,
    /// SHA-256 of the blob as stored (`sha256:<hex>`), when read to the end.
    pub blob_digest: Option<String>,
    pub blob_size: u64,
    /// SHA-256 of the decoded tar stream (`sha256:<hex>`), when decoded to the end.
    pub diff_id: Option<String>,
    pub tar_size: u64,
    /// Data found after the tar end-of-archive marker (e.g. eStargz's TOC member).
    pub after_end: Option<String>,
    /// False when the layer could not be read to its end.
    pub complete: bool,
    pub diagnostics: Vec<Diagnostic>,
}

/// What hashing a file's content established: digest, magic, content facts, script facts.
pub(crate) type Hashed = ([u8; 32], Magic, Option<Box<ContentFacts>>, Option<Box<ScriptFacts>>);

/// Hash a file's content as it streams and feed the inspector and the script reader (and,
/// with `--yara`, keep its first [`crate::limits::YARA_MAX_FILE_BYTES`] for the rules, run
/// when it ends; `uid` is its owner for them). Also returns how many bytes came (fewer than
/// `size` when the content ends early).
pub(crate) fn hash_content(
    r: &mut impl Read,
    path: &[u8],
    size: u64,
    uid: Option<u64>,
    inspector: &Inspector,
    buf: &mut [u8],
) -> io::Result<(Hashed, u64)> {
    let bound = crate::limits::YARA_MAX_FILE_BYTES;
    let mut yara_buf = inspector.yara.as_ref().map(|_| Vec::with_capacity(size.min(bound) as usize));
    let mut hasher = Sha256::new();
    let mut first = true;
    let mut magic = Magic::Other;
    let mut file_scan = None;
    let mut script = None;
    let mut total = 0u64;
    loop {
        let n = read_full(r, buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        total += n as u64;
        hasher.update(chunk);
        if let Some(y) = &mut yara_buf {
            let room = (bound as usize).saturating_sub(y.len());
            y.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        if first {
            first = false;
            magic = Magic::of(chunk);
            file_scan = inspector.start(path, size, chunk);
            script = ScriptScan::start(path, size, chunk);
        }
        if let Some(s) = &mut file_scan {
            s.feed(chunk);
        }
        if let Some(s) = &mut script {
            s.feed(chunk);
        }
    }
    if first {
        file_scan = inspector.start(path, size, b"");
    }
    let mut facts = file_scan.and_then(|s| s.finish());
    if let (Some(rules), Some(data)) = (&inspector.yara, yara_buf) {
        let ext = crate::yara::Externals::of_file(path, uid, &data[..data.len().min(16)]);
        let hits = rules.scan(&data, total, &ext);
        if !hits.is_empty() {
            facts.get_or_insert_with(Default::default).yara = hits;
        }
    }
    Ok(((hasher.finalize().into(), magic, facts, script.and_then(|s| s.finish())), total))
}

/// Fill `buf` as far as the reader allows; returns the bytes read (0 at EOF).
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
