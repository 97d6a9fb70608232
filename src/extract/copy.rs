//! Copying a view's files out: the paths asked for chosen from the merged view, each layer's
//! content read again as it streams (a layer tar walked member by member with `layerfs`'s
//! reader, a layer directory's file opened without following links), written into a new
//! folder or as a tar stream, and every entry recorded for the manifest with its proof.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::pick::{Content, View};
use crate::compression::{decoder, detect_compression, DecodeLimits};
use crate::digest::HashingReader;
use crate::evidence::{Artifact, ArtifactKind, ArtifactSource};
use crate::image::Blobs;
use crate::layerfs::{show_path, FileType, TarReader};
use crate::model::{display_bytes, Diagnostic, Locator, Timestamp};

/// Where the files go.
pub(crate) enum Sink<'w> {
    /// Into this (new, empty) folder.
    Dir(PathBuf),
    /// As a tar stream.
    Tar(tar::Builder<Box<dyn Write + 'w>>),
}

/// What happened to one entry of the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// A file's content written (a file in the folder, a member in the tar).
    Written,
    /// A directory made.
    Created,
    /// A link: a symbolic link as a tar member; a hard link to a file written before it (a
    /// link member in the tar, a second name of the same file in the folder).
    Linked,
    /// Listed here only: symbolic links in a folder, devices, FIFOs, sockets.
    Recorded,
    /// Not written; `note` says why.
    Skipped,
}

/// One entry of the manifest.
#[derive(Debug, Serialize)]
pub(crate) struct Entry {
    /// Path in the container, `/`-rooted; bytes that are not UTF-8 shown as `\xNN`.
    pub path: String,
    /// The path's bytes in hex, when they are not UTF-8 (the written name is these bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
    #[serde(rename = "type")]
    pub ftype: FileType,
    pub action: Action,
    /// Content bytes.
    pub size: u64,
    /// Mode in the evidence (octal, setuid/setgid included).
    pub mode: String,
    /// Mode written (setuid/setgid stripped), when something was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_written: Option<String>,
    pub uid: u64,
    pub gid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<Timestamp>,
    /// SHA-256 of the bytes written (files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Symbolic link target as stored (never followed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// Hard link: the path whose content this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardlink: Option<String>,
    /// Layer (index) that last wrote the entry.
    pub layer: usize,
    /// Where the content was read: artifact > layer blob > member, or the layer directory > path.
    pub source: Locator,
    /// Member index in the layer tar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_index: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What a copy did.
#[derive(Debug, Default)]
pub(crate) struct Copied {
    pub entries: Vec<Entry>,
    pub files: u64,
    pub bytes: u64,
    pub diagnostics: Vec<Diagnostic>,
}

/// The paths of the view to copy: everything, or one path (a file, or a directory and what
/// is below it) with its parent directories.
pub(crate) fn select<'v>(view: &'v View, path: Option<&[u8]>) -> Result<Vec<&'v [u8]>, String> {
    let Some(p) = path.map(|p| crate::layerfs::normalize(p).0).filter(|p| !p.is_empty()) else {
        return Ok(view.tree.keys().map(|k| &k[..]).collect());
    };
    let Some((key, node)) = view.tree.get_key_value(&p[..]) else {
        let mut at = p.as_slice();
        while let Some(i) = at.iter().rposition(|c| *c == b'/') {
            at = &p[..i];
            if let Some(n) = view.tree.get(at).filter(|n| n.meta.ftype == FileType::Symlink) {
                return Err(format!(
                    "{} is not in the view: {} is a symbolic link (to {}), which extract never follows; ask for the path it points to",
                    show_path(&p),
                    show_path(at),
                    display_bytes(n.meta.link().unwrap_or_default())
                ));
            }
        }
        return Err(format!(
            "{} is not in the view as of layer {} (never there, or deleted)",
            show_path(&p),
            view.at
        ));
    };
    let mut out: Vec<&[u8]> = vec![];
    for (i, c) in key.iter().enumerate() {
        if *c == b'/' {
            if let Some((k, _)) = view.tree.get_key_value(&key[..i]) {
                out.push(k);
            }
        }
    }
    out.push(key);
    if node.meta.ftype == FileType::Dir {
        out.extend(crate::image::below(&view.tree, key).map(|(k, _)| &k[..]));
    }
    Ok(out)
}

/// Permission bits written: setuid and setgid never; the owner may always read and write.
fn written_mode(ftype: FileType, mode: u32) -> u32 {
    let m = mode & 0o1777;
    if ftype == FileType::Dir {
        m | 0o700
    } else {
        m | 0o600
    }
}

fn entry(view: &View, path: &[u8]) -> Entry {
    let n = &view.tree[path];
    let src = &view.sources.get(n.layer());
    let mut notes = vec![];
    if n.meta.mode & 0o6000 != 0 {
        notes.push(format!("setuid/setgid bits ({:04o}) not written", n.meta.mode & 0o6000));
    }
    Entry {
        path: show_path(path),
        path_hex: std::str::from_utf8(path).is_err().then(|| crate::digest::hex(path)),
        ftype: n.meta.ftype,
        action: Action::Skipped,
        size: n.meta.size,
        mode: format!("{:04o}", n.meta.mode),
        mode_written: None,
        uid: n.meta.uid,
        gid: n.meta.gid,
        mtime: n.meta.mtime,
        sha256: None,
        link_target: n.meta.link().map(display_bytes),
        hardlink: n.meta.hardlink().map(show_path),
        layer: n.layer(),
        source: src.map(|s| s.loc.clone().with_member(show_path(path))).unwrap_or_default(),
        member_index: match src.map(|s| &s.content) {
            Some(Content::Blob { .. } | Content::Artifact(_)) => n.seq(),
            _ => None,
        },
        notes,
    }
}

fn system_time(t: &Timestamp) -> Option<std::time::SystemTime> {
    let secs = t.unix_secs();
    let whole = std::time::Duration::from_secs(secs.unsigned_abs());
    let at = if secs >= 0 {
        std::time::UNIX_EPOCH.checked_add(whole)
    } else {
        std::time::UNIX_EPOCH.checked_sub(whole)
    };
    at?.checked_add(std::time::Duration::from_nanos(u64::from(t.subsec_nanos())))
}

/// A reader that gives exactly `size` bytes: the content, then zeros if it ends early
/// (a tar member's length is fixed by its header); the hashing reader counts the real bytes.
struct Exact<R> {
    inner: HashingReader<R>,
    left: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let mut n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            buf[..want].fill(0);
            n = want;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

struct Copier<'s, 'w> {
    view: &'s View,
    sink: &'s mut Sink<'w>,
    max_bytes: u64,
    out: Copied,
    /// Path -> index of its entry.
    index: HashMap<&'s [u8], usize>,
    over_limit: u64,
}

impl Copier<'_, '_> {
    fn dest(&self, path: &[u8]) -> PathBuf {
        match &self.sink {
            Sink::Dir(d) => d.join(OsStr::from_bytes(path)),
            Sink::Tar(_) => PathBuf::from(OsStr::from_bytes(path)),
        }
    }

    fn problem(&mut self, i: usize, why: String) {
        let e = &mut self.out.entries[i];
        e.action = Action::Skipped;
        let loc = e.source.clone();
        e.notes.push(why.clone());
        self.out.diagnostics.push(Diagnostic::error(loc, format!("not written: {why}")));
    }

    /// Directories, links and special files (in path order).
    fn non_files(&mut self, i: usize, path: &[u8]) -> io::Result<()> {
        let n = &self.view.tree[path];
        let dest = self.dest(path);
        let mode = written_mode(n.meta.ftype, n.meta.mode);
        match (n.meta.ftype, &mut self.sink) {
            (FileType::Dir, Sink::Dir(_)) => match std::fs::DirBuilder::new()
                .mode(mode)
                .create(&dest)
                .and_then(|_| std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode)))
            {
                Ok(()) => {
                    self.out.entries[i].action = Action::Created;
                    self.out.entries[i].mode_written = Some(format!("{mode:04o}"));
                }
                Err(e) => self.problem(i, format!("cannot create the directory: {e}")),
            },
            (FileType::Dir, Sink::Tar(b)) => {
                let mut h = header(&n.meta, tar::EntryType::Directory, mode);
                b.append_data(&mut h, &dest, io::empty())?;
                self.out.entries[i].action = Action::Created;
                self.out.entries[i].mode_written = Some(format!("{mode:04o}"));
            }
            (FileType::Symlink, Sink::Tar(b)) => {
                let mut h = header(&n.meta, tar::EntryType::Symlink, n.meta.mode & 0o777);
                let target = n.meta.link().unwrap_or_default();
                b.append_link(&mut h, &dest, OsStr::from_bytes(target))?;
                self.out.entries[i].action = Action::Linked;
            }
            (FileType::Symlink, Sink::Dir(_)) => {
                self.out.entries[i].action = Action::Recorded;
                self.out.entries[i].notes.push("symbolic link: recorded here, not made".into());
            }
            (t, _) => {
                self.out.entries[i].action = Action::Recorded;
                self.out.entries[i].notes.push(format!("{}: recorded here, not made", t.as_str()));
            }
        }
        Ok(())
    }

    /// Write one file's content from `r`.
    fn write_file(&mut self, i: usize, path: &[u8], r: &mut dyn Read) -> io::Result<()> {
        let n = &self.view.tree[path];
        let size = n.meta.size;
        if self.out.bytes.saturating_add(size) > self.max_bytes {
            self.over_limit += 1;
            let e = &mut self.out.entries[i];
            e.action = Action::Skipped;
            e.notes
                .push(format!("over the extract size limit ({} bytes, --max-extract-bytes)", self.max_bytes));
            return Ok(());
        }
        let mode = written_mode(FileType::File, n.meta.mode);
        let dest = self.dest(path);
        let mut hashing = HashingReader::new(r.take(size));
        let got = match &mut self.sink {
            Sink::Dir(_) => {
                // The mode is set again after creation: the umask must not change it.
                let created = OpenOptions::new().write(true).create_new(true).mode(mode).open(&dest);
                let mut f = match created
                    .and_then(|f| f.set_permissions(std::fs::Permissions::from_mode(mode)).map(|_| f))
                {
                    Ok(f) => f,
                    Err(e) => {
                        self.problem(i, format!("cannot create the file: {e}"));
                        return Ok(());
                    }
                };
                if let Err(e) = io::copy(&mut hashing, &mut f) {
                    self.problem(i, format!("copy failed after {} bytes: {e}", hashing.count));
                    return Ok(());
                }
                if let Some(t) = n.meta.mtime.as_ref().and_then(system_time) {
                    let _ = f.set_modified(t);
                }
                hashing.count
            }
            Sink::Tar(b) => {
                let mut h = header(&n.meta, tar::EntryType::Regular, mode);
                h.set_size(size);
                let mut exact = Exact { inner: hashing, left: size };
                b.append_data(&mut h, &dest, &mut exact)?;
                hashing = exact.inner;
                hashing.count
            }
        };
        let sha = hashing.hex();
        self.out.bytes += got;
        self.out.files += 1;
        let e = &mut self.out.entries[i];
        e.action = Action::Written;
        e.mode_written = Some(format!("{mode:04o}"));
        e.sha256 = Some(sha.clone());
        if got < size {
            let why = format!("the content ends after {got} of {size} bytes (the tar member is padded with zeros; sha256 is of the {got} bytes read)");
            e.notes.push(why.clone());
            let loc = e.source.clone();
            self.out.diagnostics.push(Diagnostic::error(loc, why));
        } else if n.meta.sha256.is_some_and(|h| crate::digest::hex(&h) != sha) {
            let why =
                "the content read now differs from the content the analysis hashed (the evidence changed?)";
            e.notes.push(why.into());
            let loc = e.source.clone();
            self.out.diagnostics.push(Diagnostic::error(loc, why));
        }
        Ok(())
    }

    /// A second name for content already written (a hard link).
    fn write_again(&mut self, i: usize, path: &[u8], first: &[u8]) -> io::Result<()> {
        let fi = self.index[first];
        if self.out.entries[fi].action != Action::Written {
            self.problem(i, format!("its content, {}, was not written", show_path(first)));
            return Ok(());
        }
        let n = &self.view.tree[path];
        let mut mode = format!("{:04o}", written_mode(FileType::File, n.meta.mode));
        let (dest, from) = (self.dest(path), self.dest(first));
        match &mut self.sink {
            // A hard link inside the folder (both names are ours): one copy of the content,
            // the mode the first name was written with.
            Sink::Dir(_) => {
                if let Err(e) = std::fs::hard_link(&from, &dest) {
                    self.problem(i, format!("cannot link it to {}: {e}", show_path(first)));
                    return Ok(());
                }
                mode = self.out.entries[fi].mode_written.clone().unwrap_or(mode);
            }
            Sink::Tar(b) => {
                let mut h = header(&n.meta, tar::EntryType::Link, written_mode(FileType::File, n.meta.mode));
                b.append_link(&mut h, &dest, &from)?;
            }
        }
        let sha = self.out.entries[fi].sha256.clone();
        let e = &mut self.out.entries[i];
        e.action = Action::Linked;
        e.notes.push(format!("hard link: the same file as {}", show_path(first)));
        e.mode_written = Some(mode);
        e.sha256 = sha;
        Ok(())
    }
}

fn header(meta: &crate::layerscan::Meta, kind: tar::EntryType, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(meta.uid);
    h.set_gid(meta.gid);
    h.set_mtime(meta.mtime.map_or(0, |t| t.unix_secs().max(0) as u64));
    h.set_size(0);
    h
}

/// The image archives of a copy, each opened (indexed) once, by name.
type Archives<'a> = BTreeMap<String, Option<Blobs<'a>>>;

/// A layer tar's raw bytes opened again, and their size (for the decompression guard).
fn open_tar<'a>(
    view: &'a View,
    refs: &[&'a Artifact],
    archives: &mut Archives<'a>,
    content: &Content,
) -> io::Result<(Box<dyn Read + Send>, u64)> {
    match content {
        Content::Artifact(i) => {
            let a = &view.bundle.artifacts[*i];
            Ok((a.open()?, a.size))
        }
        Content::Blob { archive, member } => {
            let found = archives.entry(archive.clone()).or_insert_with(|| {
                Blobs::find(refs, archive, &crate::content::Inspector::with_limits(view.limits))
            });
            found
                .as_ref()
                .ok_or_else(|| io::Error::other(format!("the image archive {archive} is no longer found")))?
                .open(member)
        }
        _ => Err(io::Error::other("not a tar")),
    }
}

/// Walk a layer tar, calling `each` with the members whose index is wanted, until all came.
fn walk(
    (raw, size): (Box<dyn Read + Send>, u64),
    wanted: &BTreeMap<u32, Vec<usize>>,
    mut each: impl FnMut(u32, &mut dyn Read) -> io::Result<()>,
) -> io::Result<usize> {
    let mut raw = raw;
    let mut head = Vec::with_capacity(8);
    (&mut raw).take(6).read_to_end(&mut head)?;
    let compression = detect_compression(&head);
    let chained = io::Cursor::new(head).chain(raw);
    let decoded = decoder(chained, compression, Some(size), DecodeLimits::default())?;
    let mut reader = TarReader::new(BufReader::with_capacity(crate::layerscan::CHUNK, decoded));
    let mut done = 0;
    for (seq, m) in reader.members()?.enumerate() {
        let mut m = m?;
        let Ok(seq) = u32::try_from(seq) else { break };
        if wanted.contains_key(&seq) {
            each(seq, &mut m)?;
            done += 1;
            if done == wanted.len() {
                break;
            }
        }
    }
    Ok(done)
}

/// A file of a layer directory on disk, opened without following a link: the path is
/// checked to be a regular file, and the file opened to be that same file.
fn open_in_dir(root: &Path, rel: &[u8]) -> io::Result<File> {
    let p = root.join(OsStr::from_bytes(rel));
    let parent = p.parent().unwrap_or(root).canonicalize()?;
    if !parent.starts_with(root.canonicalize()?) {
        return Err(io::Error::other("its folder leads out of the layer directory (a link)"));
    }
    let before = std::fs::symlink_metadata(&p)?;
    if !before.is_file() {
        return Err(io::Error::other("not a regular file on disk (a link?)"));
    }
    let f = File::open(&p)?;
    let after = f.metadata()?;
    if (after.dev(), after.ino()) != (before.dev(), before.ino()) {
        return Err(io::Error::other("the file changed while it was opened"));
    }
    Ok(f)
}

/// A file of a layer directory inside a tar of a data root.
fn open_in_root_tar(m: &crate::dataroot::tarsplit::Members, rel: &[u8]) -> io::Result<Box<dyn Read + Send>> {
    let i = m
        .files
        .binary_search_by(|(p, _, _)| p.as_ref().cmp(rel))
        .map_err(|_| io::Error::other("not among the layer's members in the tar of the root"))?;
    let (_, offset, size) = m.files[i];
    let a = Artifact {
        path: m.archive.display().to_string(),
        source: ArtifactSource::Member {
            archive: m.archive.clone(),
            archive_compression: m.compression,
            data_offset: offset,
            size,
        },
        kind: ArtifactKind::Unknown,
        size,
        sha256: None,
        compression: crate::compression::Compression::None,
        error: None,
        note: None,
        mtime: None,
    };
    a.open_raw()
}

/// Copy `paths` (sorted, from [`select`]) of the view into `sink`, at most `max_bytes` of
/// file content. Errors only when the sink cannot be written; evidence problems become
/// diagnostics and skipped entries.
pub(crate) fn copy(view: &View, paths: &[&[u8]], sink: &mut Sink<'_>, max_bytes: u64) -> io::Result<Copied> {
    let mut c =
        Copier { view, sink, max_bytes, out: Copied::default(), index: HashMap::new(), over_limit: 0 };
    for (i, p) in paths.iter().enumerate() {
        c.out.entries.push(entry(view, p));
        c.index.insert(p, i);
    }
    // Directories, links and special files first, in path order; then files by layer.
    // Per layer: (entry, the path whose content it is: its own, or a hard link's target).
    let mut by_layer: BTreeMap<usize, Vec<(usize, &[u8])>> = BTreeMap::new();
    let mut links: Vec<(usize, &[u8])> = vec![];
    for (i, p) in paths.iter().enumerate() {
        let n = &view.tree[*p];
        match (n.meta.ftype, n.meta.hardlink()) {
            (FileType::File, Some(t)) if c.index.contains_key(t) => links.push((i, t)),
            (FileType::File, Some(t)) => match view.tree.get_key_value(t) {
                Some((k, tn)) if tn.meta.ftype == FileType::File && tn.meta.hardlink().is_none() => {
                    by_layer.entry(tn.layer()).or_default().push((i, k))
                }
                _ => c.problem(i, format!("hard link to {}, which is not a file in the view", show_path(t))),
            },
            (FileType::File, None) => by_layer.entry(n.layer()).or_default().push((i, p)),
            _ => c.non_files(i, p)?,
        }
    }
    let refs: Vec<&Artifact> = view.bundle.artifacts.iter().collect();
    let mut archives = Archives::new();
    for (layer, idx) in by_layer {
        let Some(src) = view.sources.get(layer) else {
            for (i, _) in idx {
                c.problem(i, format!("layer {layer} is not in the evidence"));
            }
            continue;
        };
        match &src.content {
            Content::Blob { .. } | Content::Artifact(_) => {
                let mut wanted: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
                for (i, from) in idx {
                    match view.tree[from].seq() {
                        Some(s) => wanted.entry(s).or_default().push(i),
                        None => c.problem(i, "no tar member of its own".into()),
                    }
                }
                let mut seen = std::collections::BTreeSet::new();
                let result = open_tar(view, &refs, &mut archives, &src.content).and_then(|raw| {
                    walk(raw, &wanted, |seq, r| {
                        seen.insert(seq);
                        let mut all = wanted[&seq].iter();
                        let Some(&first) = all.next() else { return Ok(()) };
                        c.write_file(first, paths[first], r)?;
                        for &other in all {
                            c.write_again(other, paths[other], paths[first])?;
                        }
                        Ok(())
                    })
                });
                let why = match result {
                    Err(e) => format!("layer {layer} ({}) could not be read to this member: {e}", src.loc),
                    Ok(_) => format!("layer {layer} ({}) ended before this member", src.loc),
                };
                for (seq, is) in &wanted {
                    if !seen.contains(seq) {
                        for &i in is {
                            c.problem(i, why.clone());
                        }
                    }
                }
            }
            Content::Dir(root) => {
                for (i, from) in idx {
                    match open_in_dir(root, from) {
                        Ok(mut f) => c.write_file(i, paths[i], &mut f)?,
                        Err(e) => c.problem(i, format!("cannot open it in the layer directory: {e}")),
                    }
                }
            }
            Content::RootTar(m) => {
                for (i, from) in idx {
                    match open_in_root_tar(m, from) {
                        Ok(mut r) => c.write_file(i, paths[i], &mut r)?,
                        Err(e) => c.problem(i, format!("cannot read it from the tar of the root: {e}")),
                    }
                }
            }
            Content::Unknown(why) => {
                for (i, _) in idx {
                    c.problem(i, why.clone());
                }
            }
        }
    }
    for (i, target) in links {
        c.write_again(i, paths[i], target)?;
    }
    if c.over_limit > 0 {
        c.out.diagnostics.push(Diagnostic::error(
            Locator::artifact(view.bundle.path.clone()),
            format!(
                "{} file(s) not written: more than {} bytes in all (--max-extract-bytes raises the limit)",
                c.over_limit, c.max_bytes
            ),
        ));
    }
    // Directories keep their times once their files are in.
    if let Sink::Dir(_) = &c.sink {
        for p in paths.iter().rev() {
            let n = &view.tree[*p];
            if n.meta.ftype == FileType::Dir {
                if let (Some(t), Ok(f)) = (n.meta.mtime.as_ref().and_then(system_time), File::open(c.dest(p)))
                {
                    let _ = f.set_modified(t);
                }
            }
        }
    }
    Ok(c.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setuid_and_setgid_are_never_written_and_the_owner_can_read() {
        assert_eq!(written_mode(FileType::File, 0o4755), 0o755);
        assert_eq!(written_mode(FileType::File, 0o2000), 0o600);
        assert_eq!(written_mode(FileType::Dir, 0o1777), 0o1777);
        assert_eq!(written_mode(FileType::Dir, 0o000), 0o700);
    }

    #[test]
    fn a_short_content_is_padded_to_its_header_size_and_counted() {
        let mut r = Exact { inner: HashingReader::new(&b"abc"[..]), left: 5 };
        let mut out = vec![];
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc\0\0");
        assert_eq!(r.inner.count, 3);
        assert_eq!(r.inner.hex(), crate::digest::hex(&crate::digest::sha256(b"abc")));
        let mut r = Exact { inner: HashingReader::new(&b"abcdef"[..]), left: 4 };
        let mut out = vec![];
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcd");
    }

    #[test]
    fn times_before_1970_and_after() {
        let t = system_time(&Timestamp::from_unix(-10, 0)).unwrap();
        assert_eq!(std::time::UNIX_EPOCH.duration_since(t).unwrap().as_secs(), 10);
        let t = system_time(&Timestamp::from_unix(1_600_000_000, 5)).unwrap();
        assert_eq!(t.duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos(), 1_600_000_000_000_000_005);
    }
}
