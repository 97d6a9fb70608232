//! Blob access inside an image archive without extracting it. A seekable archive gets a cheap
//! index pass (member name -> data offset, size, link target; contents skipped by seeking),
//! then its layers are read in parallel, each worker with its own reader at the member's
//! offset. A non-seekable one (compressed, or inside a compressed bundle) is read in one
//! streaming pass: small metadata members are kept, every other member is read as a layer
//! on the spot. Member links (`<id>/layer.tar -> ../<other>/layer.tar`) resolve inside the
//! archive, never on disk. An OCI image layout given as a directory (`oci-layout`,
//! `index.json`, `blobs/sha256/<hex>` as separate artifacts of the bundle) is read the same
//! way: each member is one artifact, opened through the artifact API. A cut archive (no
//! end-of-archive marker: the data stopped) is told apart from a corrupt one: where it ends,
//! which member the cut falls in and how much of each member is present are kept, so the
//! members before the cut can still be used.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom};

use rayon::prelude::*;

use crate::content::Inspector;
use crate::evidence::Artifact;
use crate::layerfs::{normalize, MemberKind, TarMember, TarReader};
use crate::layerscan::read_layer;
use crate::layerscan::LayerScan;
use crate::model::{display_bytes, Diagnostic, Locator};

/// Metadata members (JSON, `repositories`, `oci-layout`) are read whole up to this size.
pub(super) const SMALL_LIMIT: u64 = 32 << 20;
/// Link hops followed before giving up (cycles).
const MAX_HOPS: usize = 16;

/// One member of the archive.
#[derive(Clone, Debug)]
pub(super) struct Member {
    /// Data offset in the (decoded) archive stream.
    pub offset: u64,
    pub size: u64,
    /// Bytes of its data the archive holds: `size`, or less for the member a cut falls in.
    pub present: u64,
    /// Symlink or hard link target, normalized to a member name.
    pub link: Option<Vec<u8>>,
    /// Position in the archive (tar order).
    pub seq: usize,
}

impl Member {
    /// True when the archive ends inside this member's data.
    pub(crate) fn is_cut(&self) -> bool {
        self.present < self.size
    }
}

/// Where a cut archive stops: it ended without its end-of-archive marker.
#[derive(Clone, Debug)]
pub(super) struct Cut {
    /// Bytes of the (decoded) archive present: it ends at this byte.
    pub at: u64,
    /// The member the cut falls in (its data), if it falls inside one.
    pub inside: Option<Vec<u8>>,
    /// The last member whose header was read.
    pub last: Option<Vec<u8>>,
    /// The archive is compressed: `at` counts bytes of the decoded tar.
    pub decoded: bool,
}

impl Cut {
    /// `the archive ends at byte N, inside `m` (P of S bytes)` (or `after `m``).
    pub(crate) fn describe(&self, a: &Archive) -> String {
        let mut s = format!(
            "the archive ends at byte {}{}",
            self.at,
            if self.decoded { " of its decoded tar" } else { "" }
        );
        match (&self.inside, &self.last) {
            (Some(m), _) => {
                if let Some(mm) = a.member(m) {
                    s.push_str(&format!(
                        ", inside `{}` ({} of {} bytes)",
                        display_bytes(m),
                        mm.present,
                        mm.size
                    ));
                }
            }
            (None, Some(m)) => s.push_str(&format!(", after `{}`", display_bytes(m))),
            (None, None) => {}
        }
        s
    }
}

/// An image archive opened for reading blobs.
pub(super) struct Archive<'a> {
    /// Shown as the image's archive: the tar artifact's path, or the layout directory.
    pub name: String,
    /// Layout directory: its path inside the bundle (`.` for the bundle root), for locators.
    root: String,
    /// The tar artifact, or None for a layout directory.
    tar: Option<&'a Artifact>,
    /// Layout directory: member name (relative to the layout root) -> its artifact.
    files: BTreeMap<Vec<u8>, &'a Artifact>,
    members: BTreeMap<Vec<u8>, Member>,
    seekable: bool,
    /// Streaming mode: metadata members read during the pass.
    small: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Streaming mode: every other member, read as a layer during the pass.
    scanned: BTreeMap<Vec<u8>, LayerScan>,
    /// Set when the archive stops before its end-of-archive marker.
    pub cut: Option<Cut>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Err once an archive has more members than `--max-entries`.
fn too_many(seq: usize, inspector: &Inspector) -> io::Result<()> {
    let max = inspector.budget.limits.max_entries;
    if seq as u64 >= max {
        return Err(io::Error::other(format!("more than {max} members (limit --max-entries)")));
    }
    Ok(())
}

/// A `Read + Seek` view of a plain artifact: seeking reopens it at the new offset.
struct ReopenSeek<'a> {
    artifact: &'a Artifact,
    pos: u64,
    inner: Option<Box<dyn Read + Send>>,
}

impl Read for ReopenSeek<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inner.is_none() {
            self.inner = Some(self.artifact.open_at(self.pos)?);
        }
        let n = match &mut self.inner {
            Some(r) => r.read(buf)?,
            None => 0,
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ReopenSeek<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(n) => n,
            SeekFrom::Current(d) => self
                .pos
                .checked_add_signed(d)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?,
            SeekFrom::End(_) => return Err(io::Error::new(io::ErrorKind::Unsupported, "seek from end")),
        };
        if new != self.pos {
            self.inner = None;
            self.pos = new;
        }
        Ok(self.pos)
    }
}

/// A reader that counts what it passes and notes where its source ran out: a read that
/// returns nothing, or fails with `UnexpectedEof` (a cut compressed stream), means the data
/// stopped. A tar that ends properly is never read past its first zero block.
struct Tracked<R> {
    inner: R,
    pos: u64,
    ended: bool,
}

impl<R> Tracked<R> {
    fn new(inner: R) -> Self {
        Tracked { inner, pos: 0, ended: false }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.ended = true;
                Ok(0)
            }
            Ok(n) => {
                self.pos += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    self.ended = true;
                }
                Err(e)
            }
        }
    }
}

impl<R: Seek> Seek for Tracked<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

/// Names that are metadata in every layout.
fn is_metadata_name(name: &[u8]) -> bool {
    name == b"manifest.json"
        || name == b"index.json"
        || name == b"repositories"
        || name == b"oci-layout"
        || name.ends_with(b".json")
        || name.ends_with(b"/json")
        || name.ends_with(b"/VERSION")
        || name.starts_with(b"sha256:")
}

/// A member worth recording: its type, name and link target (symbolic or hard), or None
/// for directories and PAX global headers.
fn member_of<R: Read>(entry: &TarMember<'_, R>) -> Option<(MemberKind, Vec<u8>, Option<Vec<u8>>)> {
    let kind = entry.kind();
    if matches!(kind, MemberKind::Dir | MemberKind::PaxGlobal) {
        return None;
    }
    let link =
        matches!(kind, MemberKind::Symlink | MemberKind::HardLink).then(|| entry.link_name()).flatten();
    Some((kind, entry.name().into_owned(), link))
}

/// Whether the first bytes look like a JSON document (OCI blobs have no extension).
fn looks_json(head: &[u8]) -> bool {
    let t = head.trim_ascii_start();
    t.starts_with(b"{") || t.starts_with(b"[") || t.starts_with(b"null")
}

impl<'a> Archive<'a> {
    /// Index (seekable) or stream (otherwise) the archive.
    pub(crate) fn open(artifact: &'a Artifact, inspector: &Inspector) -> Archive<'a> {
        let mut a = Archive {
            name: artifact.path.clone(),
            root: String::new(),
            tar: Some(artifact),
            files: BTreeMap::new(),
            members: BTreeMap::new(),
            seekable: artifact.is_seekable(),
            small: BTreeMap::new(),
            scanned: BTreeMap::new(),
            cut: None,
            diagnostics: vec![],
        };
        let (result, ended_at) = if a.seekable { a.index(inspector) } else { a.stream(inspector) };
        if let Some(at) = ended_at {
            a.mark_cut(at);
        } else if let Err(e) = result {
            a.diagnostics.push(Diagnostic::error(
                artifact.locator(),
                format!("image archive could not be read to its end ({} members read): {e}", a.members.len()),
            ));
        }
        a
    }

    /// The archive stops at byte `at`: how much of each member is there, and where it fell.
    fn mark_cut(&mut self, at: u64) {
        let mut inside = None;
        for (name, m) in self.members.iter_mut() {
            m.present = m.size.min(at.saturating_sub(m.offset));
            if m.is_cut() {
                inside = Some(name.clone());
            }
        }
        let last = self.members.iter().max_by_key(|(_, m)| m.seq).map(|(n, _)| n.clone());
        let decoded = self.tar.is_some_and(|t| t.compression.is_some());
        self.cut = Some(Cut { at, inside, last, decoded });
    }

    /// A layout directory whose members are separate artifacts (names relative to `root`,
    /// the directory shown, `.` for the bundle root).
    pub(crate) fn from_dir(
        root: String,
        shown: String,
        files: BTreeMap<Vec<u8>, &'a Artifact>,
    ) -> Archive<'a> {
        let members = files
            .iter()
            .enumerate()
            .map(|(seq, (n, a))| {
                (n.clone(), Member { offset: 0, size: a.size, present: a.size, link: None, seq })
            })
            .collect();
        Archive {
            name: shown,
            root,
            tar: None,
            files,
            members,
            seekable: true,
            small: BTreeMap::new(),
            scanned: BTreeMap::new(),
            cut: None,
            diagnostics: vec![],
        }
    }

    /// True for a layout directory (members are separate artifacts).
    pub(crate) fn is_dir(&self) -> bool {
        self.tar.is_none()
    }

    /// The tar artifact (only called in tar mode).
    fn tar_artifact(&self) -> io::Result<&'a Artifact> {
        self.tar.ok_or_else(|| io::Error::other("not an archive"))
    }

    /// The raw bytes of a member from `offset`, plain (compressed layers stay compressed).
    pub(super) fn open_member(&self, name: &[u8], m: &Member) -> io::Result<Box<dyn Read + Send>> {
        match self.files.get(name) {
            Some(a) => a.open_raw(),
            None => Ok(Box::new(self.tar_artifact()?.open_at(m.offset)?.take(m.size))),
        }
    }

    /// A locator for the whole archive (the layout directory for a directory).
    pub(crate) fn whole_locator(&self) -> Locator {
        match self.tar {
            Some(a) => a.locator(),
            None => Locator::artifact(self.root.clone()),
        }
    }

    fn record(
        &mut self,
        name: &[u8],
        link: Option<Vec<u8>>,
        is_symlink: bool,
        offset: u64,
        size: u64,
    ) -> Vec<u8> {
        let (norm, traversal) = normalize(name);
        if traversal {
            self.diagnostics.push(Diagnostic::warning(
                self.whole_locator().with_member(display_bytes(name)),
                "member name has `..` (path traversal); recorded, never extracted",
            ));
        }
        let link = link.map(|l| {
            if is_symlink {
                let mut joined = parent_dir(&norm).to_vec();
                joined.push(b'/');
                joined.extend_from_slice(&l);
                normalize(&joined).0
            } else {
                normalize(&l).0
            }
        });
        let seq = self.members.len();
        self.members.insert(norm.clone(), Member { offset, size, present: size, link, seq });
        norm
    }

    /// The index pass; with the byte the archive ends at when it stops before its end marker.
    fn index(&mut self, inspector: &Inspector) -> (io::Result<()>, Option<u64>) {
        let artifact = match self.tar_artifact() {
            Ok(a) => a,
            Err(e) => return (Err(e), None),
        };
        let mut archive = TarReader::new(Tracked::new(ReopenSeek { artifact, pos: 0, inner: None }));
        let result = (|| {
            for (seq, entry) in archive.members_with_seek()?.enumerate() {
                too_many(seq, inspector)?;
                let entry = entry?;
                let Some((kind, name, link)) = member_of(&entry) else { continue };
                self.record(&name, link, kind == MemberKind::Symlink, entry.data_offset(), entry.size());
            }
            Ok(())
        })();
        // Seeks can go past the end of a cut file: what it holds is its size.
        let ended = archive.into_inner().ended.then_some(artifact.size);
        (result, ended)
    }

    /// The streaming pass; with the byte the archive ends at when it stops before its end
    /// marker.
    fn stream(&mut self, inspector: &Inspector) -> (io::Result<()>, Option<u64>) {
        let reader = match self.tar_artifact().and_then(|a| a.open()) {
            Ok(r) => r,
            Err(e) => return (Err(e), None),
        };
        let mut archive = TarReader::new(Tracked::new(reader));
        let result = self.stream_entries(&mut archive, inspector);
        let t = archive.into_inner();
        (result, t.ended.then_some(t.pos))
    }

    fn stream_entries<R: Read>(
        &mut self,
        archive: &mut TarReader<R>,
        inspector: &Inspector,
    ) -> io::Result<()> {
        for (seq, entry) in archive.members()?.enumerate() {
            too_many(seq, inspector)?;
            let mut entry = entry?;
            let Some((kind, name, link)) = member_of(&entry) else { continue };
            let size = entry.size();
            let norm =
                self.record(&name, link.clone(), kind == MemberKind::Symlink, entry.data_offset(), size);
            if link.is_some() || !matches!(kind, MemberKind::Regular | MemberKind::Continuous) {
                continue;
            }
            let mut head = Vec::with_capacity(512);
            (&mut entry).take(512).read_to_end(&mut head)?;
            if size <= SMALL_LIMIT && (is_metadata_name(&norm) || looks_json(&head)) {
                let mut data = head;
                (&mut entry).take(SMALL_LIMIT).read_to_end(&mut data)?;
                self.small.insert(norm, data);
            } else {
                let loc = self.locator(&norm);
                let scan =
                    read_layer(io::Cursor::new(head).chain(&mut entry), Some(size), &loc, inspector, true);
                self.scanned.insert(norm, scan);
            }
        }
        Ok(())
    }

    /// The member a name resolves to, following links inside the archive.
    pub(crate) fn resolve(&self, name: &[u8]) -> Result<(Vec<u8>, &Member), String> {
        let mut cur = normalize(name).0;
        for _ in 0..MAX_HOPS {
            let m = self
                .members
                .get(&cur)
                .ok_or_else(|| format!("`{}` is not in the archive", display_bytes(&cur)))?;
            match &m.link {
                Some(next) => cur = next.clone(),
                None => return Ok((cur, m)),
            }
        }
        Err(format!("`{}`: too many link hops (a cycle?)", display_bytes(name)))
    }

    /// True when the archive has a member of that name (links included).
    pub(crate) fn has(&self, name: &[u8]) -> bool {
        self.members.contains_key(&normalize(name).0)
    }

    /// A member by its (normalized) name, links not followed.
    pub(crate) fn member(&self, name: &[u8]) -> Option<&Member> {
        self.members.get(&normalize(name).0)
    }

    /// Every member, links included, in tar order.
    pub(crate) fn members_in_order(&self) -> Vec<(&[u8], &Member)> {
        let mut all: Vec<(&[u8], &Member)> = self.members.iter().map(|(n, m)| (n.as_slice(), m)).collect();
        all.sort_by_key(|(_, m)| m.seq);
        all
    }

    /// Whether a member (not a link) holds metadata (JSON, `repositories`, `oci-layout`)
    /// rather than a layer: by name, else by its first bytes. In streaming mode: whether it
    /// was kept as metadata during the pass.
    pub(crate) fn is_metadata(&self, name: &[u8]) -> bool {
        if !self.seekable {
            return self.small.contains_key(name);
        }
        let Some(m) = self.members.get(name) else { return false };
        if m.size > SMALL_LIMIT {
            return false;
        }
        if is_metadata_name(name) {
            return true;
        }
        let mut head = Vec::with_capacity(512);
        self.open_member(name, m).and_then(|r| r.take(512).read_to_end(&mut head)).is_ok()
            && looks_json(&head)
    }

    /// Members (not links) holding metadata, and those holding anything else (layers), each
    /// in tar order. Streaming mode: as the pass sorted them.
    pub(crate) fn split_members(&self) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let mut meta = vec![];
        let mut other = vec![];
        for (name, m) in self.members_in_order() {
            if m.link.is_some() {
                continue;
            }
            if self.is_metadata(name) {
                meta.push(name.to_vec());
            } else if self.seekable || self.scanned.contains_key(name) {
                other.push(name.to_vec());
            }
        }
        (meta, other)
    }

    /// Read a small member whole (metadata: manifests, configs, indexes).
    pub(crate) fn read_small(&self, name: &[u8]) -> Result<Vec<u8>, String> {
        let (real, m) = self.resolve(name)?;
        if m.size > SMALL_LIMIT {
            return Err(format!("`{}` is {} bytes, too large for metadata", display_bytes(&real), m.size));
        }
        if m.is_cut() {
            let end = self
                .cut
                .as_ref()
                .map(|c| format!(" (the archive ends at byte {})", c.at))
                .unwrap_or_default();
            return Err(format!(
                "`{}` is cut at byte {} of {}{end}",
                display_bytes(&real),
                m.present,
                m.size
            ));
        }
        if !self.seekable {
            return self
                .small
                .get(&real)
                .cloned()
                .ok_or_else(|| format!("`{}` was not kept as metadata (not JSON?)", display_bytes(&real)));
        }
        let mut data = Vec::with_capacity(m.size as usize);
        self.open_member(&real, m)
            .and_then(|r| r.take(SMALL_LIMIT).read_to_end(&mut data))
            .map_err(|e| format!("cannot read `{}`: {e}", display_bytes(&real)))?;
        Ok(data)
    }

    /// Read the named layer members (resolved names), in parallel when seekable.
    pub(crate) fn scan_layers(
        &mut self,
        names: &[Vec<u8>],
        inspector: &Inspector,
    ) -> BTreeMap<Vec<u8>, LayerScan> {
        if !self.seekable {
            return names.iter().filter_map(|n| self.scanned.remove(n).map(|s| (n.clone(), s))).collect();
        }
        names
            .par_iter()
            .filter_map(|n| {
                let m = self.members.get(n)?;
                let loc = self.locator(n);
                let scan = match self.open_member(n, m) {
                    Ok(r) => read_layer(r, Some(m.size), &loc, inspector, true),
                    Err(e) => LayerScan {
                        diagnostics: vec![Diagnostic::error(loc, format!("cannot open layer: {e}"))],
                        ..Default::default()
                    },
                };
                Some((n.clone(), scan))
            })
            .collect()
    }

    /// A locator for a member: the archive > member, or the member's own artifact.
    pub(crate) fn locator(&self, name: &[u8]) -> Locator {
        match (self.tar, self.files.get(name)) {
            (_, Some(a)) => a.locator(),
            (Some(t), None) => t.locator().with_member(display_bytes(name)),
            (None, None) => Locator::artifact(join_dir(&self.root, name)),
        }
    }
}

/// `root/name` as shown (`name` alone for the bundle root `.`).
pub(crate) fn join_dir(root: &str, name: &[u8]) -> String {
    if root == "." || root.is_empty() {
        display_bytes(name)
    } else {
        format!("{root}/{}", display_bytes(name))
    }
}

/// `a/b/c` -> `a/b`; `c` -> ``.
fn parent_dir(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|c| *c == b'/') {
        Some(i) => &p[..i],
        None => &[],
    }
}
