//! Finding a bundle's artifacts (directory walk, bundle archive members, single file) and
//! examining each once: SHA-256 of the raw bytes, wrapper detection, kind sniffing.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use walkdir::WalkDir;

use crate::content::Inspector;
use crate::digest::HashingReader;
use crate::layerfs::{MemberKind, TarReader};
use crate::limits::Limits;
use crate::yara::YaraRules;

use super::artifact::{Artifact, ArtifactKind, ArtifactSource};
use super::sniff::{classify_tar_names, is_tar, sniff_text};
use crate::compression::{decoder, detect_compression, Compression, DecodeLimits};
use crate::model::{display_bytes, Diagnostic, Locator};

const HEAD: usize = 64 * 1024;
/// Members of compressed bundle archives up to this size are kept in memory after discovery.
const MAX_KEPT_MEMBER: u64 = 1 << 20;
/// At most this much is kept in memory per bundle archive.
const MAX_KEPT_TOTAL: u64 = 256 << 20;
/// Member names read to classify a tar; enough for any real image archive's metadata.
const MAX_TAR_NAMES: usize = 200_000;
/// Files of a walked directory examined together (in parallel) as the walk goes.
const WALK_CHUNK: usize = 4096;

/// How a bundle was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleKind {
    Directory,
    Archive,
    File,
}

/// One bundle: the evidence of one incident, as given on the command line.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub path: String,
    pub kind: BundleKind,
    /// Sorted by path.
    pub artifacts: Vec<Artifact>,
    pub diagnostics: Vec<Diagnostic>,
    /// How the named path was read, when not as given (a followed link, a spooled stream).
    pub named: Option<String>,
    /// The spool file of a stream, deleted when the last copy of the bundle goes.
    pub spool: Option<Arc<tempfile::TempPath>>,
    /// Layer directories of a daemon data root (one artifact each), read as layer entries.
    pub trees: Arc<crate::dataroot::Trees>,
}

/// Discover and examine every artifact of the bundle at `path`.
/// A path named on the command line is read as the analyst named it (see [`super::named`]).
pub fn discover(path: &Path) -> Bundle {
    discover_with(path, &Limits::default())
}

/// [`discover`] under `limits` (files listed per directory, members read per archive).
pub(crate) fn discover_with(path: &Path, limits: &Limits) -> Bundle {
    discover_yara(path, limits, None)
}

/// [`discover_with`], also running `yara` over every file of a data root's layer
/// directories (their content is read here, once).
pub(crate) fn discover_yara(path: &Path, limits: &Limits, yara: Option<&Arc<YaraRules>>) -> Bundle {
    let shown = path.display().to_string();
    let named = match super::named::resolve(path, limits.max_bundle_bytes) {
        Ok(n) => n,
        Err(e) => {
            return Bundle {
                path: shown.clone(),
                kind: BundleKind::File,
                artifacts: vec![],
                diagnostics: vec![Diagnostic::error(Locator::artifact(shown), format!("cannot read: {e}"))],
                named: None,
                spool: None,
                trees: Default::default(),
            }
        }
    };
    let mut b = discover_at(&named.read, path, shown, limits, yara);
    if let (Some(note), BundleKind::File) = (&named.note, b.kind) {
        for a in &mut b.artifacts {
            a.note = Some(match a.note.take() {
                Some(n) => format!("{note}; {n}").into(),
                None => note.as_str().into(),
            });
        }
    }
    if named.cut {
        b.diagnostics.push(Diagnostic::error(
            Locator::artifact(b.path.clone()),
            "the stream is longer than --max-bundle-bytes: only its first bytes were read (see the custody note)",
        ));
    }
    b.named = named.note;
    b.spool = named.spool;
    b
}

/// Discover what `read` holds, shown as the named path `arg` (`shown`).
fn discover_at(
    read: &Path,
    arg: &Path,
    shown: String,
    limits: &Limits,
    yara: Option<&Arc<YaraRules>>,
) -> Bundle {
    let bundle = |kind, artifacts, diagnostics| Bundle {
        path: shown.clone(),
        kind,
        artifacts,
        diagnostics,
        named: None,
        spool: None,
        trees: Default::default(),
    };
    let meta = match std::fs::symlink_metadata(read) {
        Ok(m) => m,
        Err(e) => {
            return bundle(
                BundleKind::File,
                vec![],
                vec![Diagnostic::error(Locator::artifact(shown.clone()), format!("cannot read: {e}"))],
            )
        }
    };
    if meta.is_dir() {
        return discover_dir(read, shown, limits, yara);
    }
    let name = arg.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
    let mut single = examine_path(read, name, &meta, true, None);
    if single.kind == ArtifactKind::BundleArchive {
        let (artifacts, diagnostics, trees) = discover_archive(read, single.compression, limits, yara);
        let mut b = bundle(BundleKind::Archive, artifacts, diagnostics);
        b.trees = Arc::new(trees);
        return b;
    }
    single.path = shown.clone();
    note_unread(std::slice::from_mut(&mut single));
    let diagnostics = single_diagnostic(&single).into_iter().collect();
    bundle(BundleKind::File, vec![single], diagnostics)
}

/// Whether a member name's `..` components climb above the archive root.
fn escapes_root(name: &[u8]) -> bool {
    let mut depth = 0i64;
    for c in name.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

/// One file examined as an artifact in itself (a tar stays one artifact, whatever it holds),
/// for commands whose argument is one image or layer: its path is shown as given.
pub(crate) fn examine_file(path: &Path) -> Artifact {
    let shown = path.display().to_string();
    match std::fs::symlink_metadata(path) {
        Ok(meta) => examine_path(path, shown, &meta, false, None),
        Err(e) => unreadable(shown, format!("cannot read: {e}")),
    }
}

fn discover_dir(root: &Path, shown: String, limits: &Limits, yara: Option<&Arc<YaraRules>>) -> Bundle {
    let mut diagnostics = vec![];
    let mut artifacts: Vec<Artifact> = vec![];
    // Files are examined as the walk finds them, a chunk at a time: a million walk entries
    // (each with its full path) were held beside the million artifacts.
    let mut chunk: Vec<walkdir::DirEntry> = Vec::with_capacity(WALK_CHUNK);
    let mut found: u64 = 0;
    let shared_root: Arc<Path> = Arc::from(root);
    let examine_chunk = |chunk: &mut Vec<walkdir::DirEntry>, artifacts: &mut Vec<Artifact>| {
        artifacts.par_extend(chunk.par_drain(..).map(|e| {
            let name = rel(root, e.path());
            match e.metadata() {
                Ok(meta) => examine_path(e.path(), name, &meta, false, Some(&shared_root)),
                Err(err) => unreadable(name, err.to_string()),
            }
        }));
    };
    // A data root's layer directories are one artifact each, not walked file by file.
    let mut layer_dirs = vec![];
    let walk = WalkDir::new(root).follow_links(false).sort_by_file_name().into_iter().filter_entry(|e| {
        if e.depth() > 0 && e.file_type().is_dir() {
            if let Some(d) = crate::dataroot::is_layer_dir(&rel(root, e.path())) {
                layer_dirs.push(d);
                return false;
            }
        }
        true
    });
    for e in walk {
        match e {
            Ok(e) if e.depth() > 0 && !e.file_type().is_dir() => {
                if found >= limits.max_root_files {
                    diagnostics.push(Diagnostic::error(
                        Locator::artifact(shown.clone()),
                        format!(
                            "the directory holds more than {} files (limit --max-root-files); the first {} (by name) are analysed",
                            limits.max_root_files, found
                        ),
                    ));
                    break;
                }
                found += 1;
                chunk.push(e);
                if chunk.len() == WALK_CHUNK {
                    examine_chunk(&mut chunk, &mut artifacts);
                }
            }
            Ok(_) => {}
            Err(err) => {
                let at = err.path().map(|p| rel(root, p)).unwrap_or_else(|| shown.clone());
                diagnostics.push(Diagnostic::error(Locator::artifact(at), format!("cannot walk: {err}")));
            }
        }
    }
    examine_chunk(&mut chunk, &mut artifacts);
    drop(chunk);
    let (tree_artifacts, trees, tree_diags) =
        crate::dataroot::read_dirs(root, layer_dirs, &inspector(limits, yara));
    artifacts.extend(tree_artifacts);
    // Grown a chunk at a time: up to twice the room the artifacts need, kept to the end.
    artifacts.shrink_to_fit();
    diagnostics.extend(tree_diags);
    sort_by_path(&mut artifacts);
    mark_layout_blobs(&mut artifacts);
    crate::dataroot::mark_files(&mut artifacts);
    super::own::mark_outputs(&mut artifacts, &mut diagnostics);
    note_unread(&mut artifacts);
    diagnostics.extend(artifacts.iter().filter_map(single_diagnostic));
    if artifacts.is_empty() && diagnostics.is_empty() {
        diagnostics.push(Diagnostic::warning(
            Locator::artifact(shown.clone()),
            "directory holds no files: nothing to analyse",
        ));
    }
    Bundle {
        path: shown,
        kind: BundleKind::Directory,
        artifacts,
        diagnostics,
        named: None,
        spool: None,
        trees: Arc::new(trees),
    }
}

/// Sorts artifacts by path, stably (equal paths, two names shown alike, keep their order),
/// without the buffer of half the artifacts a stable sort of the artifacts themselves takes:
/// their indices are sorted, then the artifacts swapped into place along each cycle.
fn sort_by_path(artifacts: &mut [Artifact]) {
    if artifacts.is_sorted_by(|a, b| a.path <= b.path) {
        return;
    }
    let mut order: Vec<usize> = (0..artifacts.len()).collect();
    order.sort_by(|&i, &j| artifacts[i].path.cmp(&artifacts[j].path));
    // `order[k]` is the index of the artifact that belongs at `k`; a place done holds itself.
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = std::mem::replace(&mut order[at], at);
            if from == start {
                break;
            }
            artifacts.swap(at, from);
            at = from;
        }
    }
}

/// Artifacts whose kind alone says they are not analysed get a note saying why.
fn note_unread(artifacts: &mut [Artifact]) {
    for a in artifacts.iter_mut().filter(|a| a.kind == ArtifactKind::CtriageReport && a.note.is_none()) {
        a.note = Some(
            "written by ctriage (recognised by its content): listed for custody, never read back as evidence"
                .into(),
        );
    }
}

/// Blobs of an OCI layout directory (`DIR/oci-layout` beside `DIR/blobs/<alg>/<hex>`) are
/// content-addressed parts of the images and artifacts its index lists. Manifests, configs
/// and layer tars keep the kind their content gives; any other blob (an SBOM, a signature,
/// an attestation payload) is an `oci-blob`, never read on its own as a log or a capture.
pub(crate) fn mark_layout_blobs(artifacts: &mut [Artifact]) {
    let roots: Vec<String> = artifacts
        .iter()
        .filter(|a| a.path == "oci-layout" || a.path.ends_with("/oci-layout"))
        .map(|a| a.path.strip_suffix("oci-layout").unwrap_or("").to_string())
        .collect();
    for a in artifacts.iter_mut() {
        let Some(root) = roots.iter().find(|r| {
            a.path.strip_prefix(r.as_str()).and_then(|rest| rest.strip_prefix("blobs/")).is_some_and(|rest| {
                let parts: Vec<&str> = rest.split('/').collect();
                parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && *p != "..")
            })
        }) else {
            continue;
        };
        let keep = matches!(
            a.kind,
            ArtifactKind::OciManifest
                | ArtifactKind::ImageConfig
                | ArtifactKind::LayerTar
                | ArtifactKind::FilesystemTar
                | ArtifactKind::Empty
                | ArtifactKind::Link
                | ArtifactKind::Special
        );
        let dir = if root.is_empty() {
            "at the bundle root".to_string()
        } else {
            format!("`{}`", root.trim_end_matches('/'))
        };
        if a.error.is_some() {
            continue;
        }
        if keep {
            if a.note.is_none()
                && !matches!(a.kind, ArtifactKind::Link | ArtifactKind::Special | ArtifactKind::Empty)
            {
                a.note =
                    Some(format!("blob of the OCI layout {dir}: read through the layout's index").into());
            }
            continue;
        }
        a.note = Some(format!(
            "blob of the OCI layout {dir} (content sniffed as {}): read through the layout's index, not on its own",
            a.kind.as_str()
        ).into());
        a.kind = ArtifactKind::OciBlob;
    }
}

/// The diagnostic an artifact earns by itself: unreadable content is an error; empty or
/// unrecognised content a warning (listed for custody, nothing to analyse).
fn single_diagnostic(a: &Artifact) -> Option<Diagnostic> {
    if let Some(e) = &a.error {
        return Some(Diagnostic::error(a.locator(), e.clone()));
    }
    match a.kind {
        ArtifactKind::Empty => Some(Diagnostic::warning(a.locator(), "empty file: nothing to analyse")),
        ArtifactKind::Unknown => Some(Diagnostic::warning(
            a.locator(),
            "content not recognised (binary or unfamiliar format); listed for custody only",
        )),
        ArtifactKind::BundleArchive => Some(Diagnostic::warning(
            a.locator(),
            "a tar of evidence files (a daemon data root or another bundle) inside this bundle: not opened here; scan it as a bundle of its own",
        )),
        _ => None,
    }
}

fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    display_bytes(r.as_os_str().as_encoded_bytes())
}

fn unreadable(path: String, error: String) -> Artifact {
    Artifact {
        path,
        source: ArtifactSource::None,
        kind: ArtifactKind::Unknown,
        size: 0,
        sha256: None,
        compression: Compression::None,
        error: Some(error),
        note: None,
        mtime: None,
    }
}

/// `p` examined as the artifact `name`; `root` is the bundle directory it was found under
/// (its content is then read as the root joined with its name), None for a file given alone.
fn examine_path(
    p: &Path,
    name: String,
    meta: &std::fs::Metadata,
    top_level: bool,
    root: Option<&Arc<Path>>,
) -> Artifact {
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = std::fs::read_link(p).map(|t| display_bytes(t.as_os_str().as_encoded_bytes()));
        return Artifact {
            kind: ArtifactKind::Link,
            note: Some(
                format!("symbolic link to {} (not followed)", target.unwrap_or_else(|e| e.to_string()))
                    .into(),
            ),
            error: None,
            ..unreadable(name, String::new())
        };
    }
    if !ft.is_file() {
        return Artifact {
            kind: ArtifactKind::Special,
            note: Some("special file (FIFO, socket or device): not opened".into()),
            error: None,
            ..unreadable(name, String::new())
        };
    }
    match File::open(p) {
        Ok(f) => {
            let ex = examine(f, &name, Some(meta.len()), top_level);
            let mtime = crate::model::Timestamp::of_mtime(meta);
            let source = match root {
                Some(root) => {
                    // The name shown is the name stored unless it had to be escaped.
                    let stored = p.strip_prefix(root).unwrap_or(p).as_os_str();
                    let raw = (stored.as_encoded_bytes() != name.as_bytes()).then(|| stored.into());
                    ArtifactSource::Under { root: Arc::clone(root), raw }
                }
                None => ArtifactSource::File(PathBuf::from(p)),
            };
            Artifact { mtime, ..ex.into_artifact(name, source) }
        }
        Err(e) => unreadable(name, format!("cannot open: {e}")),
    }
}

/// What one pass over an artifact's bytes established.
struct Examined {
    size: u64,
    sha256: Option<crate::digest::Sha256Hex>,
    compression: Compression,
    kind: ArtifactKind,
    error: Option<String>,
    note: Option<String>,
}

impl Examined {
    fn into_artifact(self, path: String, source: ArtifactSource) -> Artifact {
        Artifact {
            path,
            source,
            kind: self.kind,
            size: self.size,
            sha256: self.sha256,
            compression: self.compression,
            error: self.error,
            note: self.note.map(Into::into),
            mtime: None,
        }
    }
}

/// Reader that keeps a copy of what passes through it.
struct Tee<'a, R> {
    inner: R,
    copy: &'a mut Vec<u8>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

fn read_head(r: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(max.min(HEAD));
    r.take(max as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// One streaming pass: hash the raw bytes, look through a wrapper, classify.
fn examine<R: Read>(raw: R, name: &str, size_hint: Option<u64>, top_level: bool) -> Examined {
    let mut h = HashingReader::new(raw);
    let mut error = None;
    let (kind, compression) = match classify(&mut h, name, size_hint, top_level) {
        Ok(kc) => kc,
        Err((kc, e)) => {
            error = Some(format!("content could not be read fully: {e}"));
            kc
        }
    };
    // Hash every raw byte even when the content inside is broken: custody covers the file.
    let sha256 = match h.drain() {
        Ok(_) => Some(h.sha256()),
        Err(e) => {
            error = Some(format!("read error after {} bytes: {e}", h.count));
            None
        }
    };
    Examined { size: h.count, sha256, compression, kind, error, note: None }
}

type Classified = (ArtifactKind, Compression);

fn classify<R: Read>(
    h: &mut HashingReader<R>,
    name: &str,
    size_hint: Option<u64>,
    top_level: bool,
) -> Result<Classified, (Classified, io::Error)> {
    let raw_head = read_head(h, HEAD).map_err(|e| ((ArtifactKind::Unknown, Compression::None), e))?;
    let compression = detect_compression(&raw_head);
    let chained = io::Cursor::new(raw_head).chain(&mut *h);
    let mut decoded = decoder(chained, compression, size_hint, DecodeLimits::default())
        .map_err(|e| ((ArtifactKind::Unknown, compression), e))?;
    let head = match read_head(&mut decoded, HEAD) {
        Ok(head) => head,
        Err(e) => return Err(((ArtifactKind::Unknown, compression), e)),
    };
    if !is_tar(&head) {
        return Ok((sniff_text(&head, name), compression));
    }
    let mut names = Vec::new();
    let stream = io::Cursor::new(head).chain(decoded);
    let mut archive = TarReader::new(stream);
    let result = (|| -> io::Result<()> {
        for entry in archive.members()? {
            let entry = entry?;
            names.push(entry.name().into_owned());
            if names.len() >= MAX_TAR_NAMES {
                break;
            }
        }
        Ok(())
    })();
    let kind = classify_tar_names(&names, top_level);
    match result {
        Ok(()) => Ok((kind, compression)),
        Err(e) => Err(((kind, compression), e)),
    }
}

/// What reads the content of a data root's layer directories.
fn inspector(limits: &Limits, yara: Option<&Arc<YaraRules>>) -> Inspector {
    Inspector::with_limits(*limits).with_yara(yara.cloned())
}

/// Members of a bundle archive (tar, tar.gz, tar.zst), read in place in one pass.
fn discover_archive(
    path: &Path,
    compression: Compression,
    limits: &Limits,
    yara: Option<&Arc<YaraRules>>,
) -> (Vec<Artifact>, Vec<Diagnostic>, crate::dataroot::Trees) {
    let archive_name = path.display().to_string();
    let mut artifacts = vec![];
    let mut layer_trees = crate::dataroot::TarTrees::new(path, compression, inspector(limits, yara));
    let mut diagnostics = vec![];
    let result = (|| -> io::Result<()> {
        let f = File::open(path)?;
        let len = f.metadata()?.len();
        let stream = decoder(f, compression, Some(len), DecodeLimits::default())?;
        let mut archive = TarReader::new(stream);
        let mut kept = 0u64;
        for (seq, entry) in archive.members()?.enumerate() {
            if seq as u64 >= limits.max_entries {
                diagnostics.push(Diagnostic::error(
                    Locator::artifact(archive_name.clone()),
                    format!(
                        "the bundle archive has more than {} members (limit --max-entries); the first {seq} are analysed",
                        limits.max_entries
                    ),
                ));
                break;
            }
            let mut entry = entry?;
            let name_bytes = entry.name().into_owned();
            // A member of a data root's layer directory is a layer entry of that directory.
            if !escapes_root(&name_bytes) && layer_trees.offer(&name_bytes, &mut entry) {
                continue;
            }
            let name = display_bytes(&name_bytes);
            // An absolute name (`/etc/passwd`) is read from the archive root, as tar itself
            // does: not a traversal. Only `..` climbing above the root is one.
            if escapes_root(&name_bytes) {
                diagnostics.push(Diagnostic::warning(
                    Locator::artifact(name.clone()),
                    "member name points outside the archive (path traversal); recorded, never extracted",
                ));
            }
            let kind = entry.kind();
            if matches!(kind, MemberKind::Dir | MemberKind::PaxGlobal) {
                continue;
            }
            if matches!(kind, MemberKind::Symlink | MemberKind::HardLink) {
                let target = entry.link_name().map(|t| display_bytes(&t)).unwrap_or_default();
                artifacts.push(Artifact {
                    kind: ArtifactKind::Link,
                    note: Some(format!("link to {target} (not followed)").into()),
                    error: None,
                    ..unreadable(name, String::new())
                });
                continue;
            }
            if !matches!(kind, MemberKind::Regular | MemberKind::Continuous | MemberKind::GnuSparse) {
                artifacts.push(Artifact {
                    kind: ArtifactKind::Special,
                    note: Some("special member (device, FIFO): not read".into()),
                    error: None,
                    ..unreadable(name, String::new())
                });
                continue;
            }
            let data_offset = entry.data_offset();
            let size = entry.size();
            let mtime = entry.header_mtime();
            // Reopening a member of a compressed archive means decompressing up to it again;
            // small members are kept in memory instead (bounded per bundle).
            let keep = compression.is_some() && size <= MAX_KEPT_MEMBER && kept + size <= MAX_KEPT_TOTAL;
            let (ex, source) = if keep {
                let mut copy = Vec::with_capacity(size as usize);
                let ex = examine(Tee { inner: entry, copy: &mut copy }, &name, Some(size), false);
                kept += size;
                (ex, ArtifactSource::Memory(Arc::from(copy)))
            } else {
                let ex = examine(entry, &name, Some(size), false);
                let source = ArtifactSource::Member {
                    archive: path.to_path_buf(),
                    archive_compression: compression,
                    data_offset,
                    size,
                };
                (ex, source)
            };
            artifacts.push(Artifact { mtime, ..ex.into_artifact(name, source) });
        }
        Ok(())
    })();
    if let Err(e) = result {
        diagnostics.push(Diagnostic::error(
            Locator::artifact(archive_name),
            format!("bundle archive could not be read to the end ({} members read): {e}", artifacts.len()),
        ));
    }
    let (tree_artifacts, trees, tree_diags) = layer_trees.finish();
    artifacts.extend(tree_artifacts);
    diagnostics.extend(tree_diags);
    sort_by_path(&mut artifacts);
    mark_layout_blobs(&mut artifacts);
    crate::dataroot::mark_files(&mut artifacts);
    super::own::mark_outputs(&mut artifacts, &mut diagnostics);
    note_unread(&mut artifacts);
    diagnostics.extend(artifacts.iter().filter_map(single_diagnostic));
    (artifacts, diagnostics, trees)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_names_are_not_traversal() {
        assert!(!escapes_root(b"/etc/passwd"));
        assert!(!escapes_root(b"./a/../b"));
        assert!(escapes_root(b"../../x"));
        assert!(escapes_root(b"/a/../../etc/x"));
    }

    #[test]
    fn artifacts_are_sorted_by_path_stably() {
        // Random paths over a small alphabet (many equal, `-` before `/`), each artifact
        // told apart by its first index: the order a stable sort of the artifacts gives.
        let mut rng = crate::test_rng::Rng(19);
        for len in [0, 1, 2, 7, 100, 1000] {
            let mut artifacts: Vec<Artifact> = (0..len)
                .map(|i| {
                    let n = 1 + rng.below(3);
                    let path = String::from_utf8(rng.bytes(b"a-/", n)).unwrap();
                    unreadable(path, i.to_string())
                })
                .collect();
            let seen = |v: &[Artifact]| -> Vec<(String, Option<String>)> {
                v.iter().map(|a| (a.path.clone(), a.error.clone())).collect()
            };
            let mut expected = seen(&artifacts);
            expected.sort_by(|a, b| a.0.cmp(&b.0));
            sort_by_path(&mut artifacts);
            assert_eq!(seen(&artifacts), expected, "{len} artifacts");
        }
    }

    #[test]
    fn a_directory_s_files_are_read_by_their_stored_names() {
        use std::os::unix::ffi::OsStrExt;
        // A name that is not UTF-8 and a UTF-8 name shown the same (`\xff` spelt out): each
        // artifact opens its own file.
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("logs");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join(std::ffi::OsStr::from_bytes(b"a\xff.log")), "not utf-8\n").unwrap();
        std::fs::write(sub.join("a\\xff.log"), "spelt out\n").unwrap();
        std::fs::write(sub.join("plain.log"), "plain\n").unwrap();
        let b = discover(dir.path());
        let mut read: Vec<(String, String, bool)> = b
            .artifacts
            .iter()
            .map(|a| {
                let mut text = String::new();
                a.open().unwrap().read_to_string(&mut text).unwrap();
                let raw = matches!(&a.source, ArtifactSource::Under { raw: Some(_), .. });
                (a.path.clone(), text, raw)
            })
            .collect();
        read.sort();
        assert_eq!(
            read,
            [
                ("logs/a\\xff.log".to_string(), "not utf-8\n".to_string(), true),
                ("logs/a\\xff.log".to_string(), "spelt out\n".to_string(), false),
                ("logs/plain.log".to_string(), "plain\n".to_string(), false),
            ]
        );
    }
}
