//! Checking a layer directory on disk against the digest Docker recorded for it: the layer
//! store's `tar-split.json.gz` (vbatts/tar-split: one JSON object per line, `type` 2 = a raw
//! segment of the original tar, headers and padding, base64 in `payload`; `type` 1 = a file,
//! whose `size` bytes come from the file `name` / `name_raw`) is replayed with each file's
//! content read from the layer's directory, and the SHA-256 of the rebuilt stream is the
//! layer's diff_id when nothing changed. A file is never read through a symbolic link: every
//! component of its path must be a real directory of the layer.
//!
//! From a tar of the root, each file's content is read from its member in the outer tar:
//! the intake kept, per layer, each regular file's data offset and size in the (decoded)
//! outer stream ([`Members`], about 40 bytes plus the path per file). A plain tar is read by
//! seeking; a compressed one is decoded once per layer, forward, skipping between members
//! (tar-split lists a layer's files in the layer tar's order, which is name order as
//! `tar --sort=name` writes the outer tar too). A tar in directory order (plain `tar -c`)
//! has the layer's members in another order: the ones passed over on the way to the next
//! wanted one are kept in memory, up to [`MAX_BUFFERED`] bytes per layer; a member behind
//! the read position and not kept reopens the stream, at most [`MAX_REOPEN`] times per
//! layer before the check gives up as incomplete. Nothing is extracted.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::compression::{decoder, Compression, DecodeLimits};
use crate::evidence::Artifact;

/// A compressed outer tar is reopened at most this many times per layer.
pub(crate) const MAX_REOPEN: usize = 16;
/// Members of a layer passed over in a compressed tar are kept up to this many bytes.
pub(crate) const MAX_BUFFERED: u64 = 64 << 20;

/// The regular files of one layer directory read from a tar of the root: where each one's
/// content is in the decoded outer stream.
#[derive(Clone, Debug, Default)]
pub struct Members {
    pub archive: PathBuf,
    pub compression: Compression,
    /// (path below the layer's content directory, data offset, size), sorted by path.
    pub files: Vec<(Box<[u8]>, u64, u64)>,
}

/// Where a layer's file contents come from.
pub(crate) enum Content<'a> {
    /// The layer's content directory on disk.
    Dir(&'a Path),
    /// The members of a tar of the root.
    Tar(&'a Members),
}

/// The tar stream's `sha256:` rebuilt from `split` over the layer content in `dir`.
#[cfg(test)]
fn rebuild_digest(split: &Artifact, dir: &Path) -> Result<String, String> {
    replay(split, Content::Dir(dir)).map(|(d, _)| d)
}

/// Reads file contents into the hash, one file at a time.
struct Feeder<'a> {
    content: Content<'a>,
    stream: Option<(Box<dyn Read + 'a>, u64)>,
    reopened: usize,
    /// Compressed tar: the layer's members passed over while skipping forward, by data
    /// offset, kept (up to [`MAX_BUFFERED`] bytes) for when tar-split asks for them later.
    buffered: std::collections::BTreeMap<u64, Vec<u8>>,
    buffered_bytes: u64,
    /// The layer's members' (offset, size), sorted by offset.
    by_offset: Vec<(u64, u64)>,
}

impl<'a> Feeder<'a> {
    fn new(content: Content<'a>) -> Self {
        let mut by_offset: Vec<(u64, u64)> = match content {
            Content::Tar(m) => m.files.iter().map(|(_, o, s)| (*o, *s)).collect(),
            Content::Dir(_) => vec![],
        };
        by_offset.sort();
        by_offset.dedup();
        Feeder {
            content,
            stream: None,
            reopened: 0,
            buffered: Default::default(),
            buffered_bytes: 0,
            by_offset,
        }
    }

    /// Hash the content of `rel`; its length as read.
    fn feed(&mut self, rel: &[u8], h: &mut Sha256, buf: &mut [u8]) -> Result<u64, String> {
        let missing = || {
            format!(
                "{} is not a regular file of the layer (missing, or behind a link)",
                String::from_utf8_lossy(rel)
            )
        };
        let mut hash_all = |r: &mut dyn Read, what: &dyn std::fmt::Display| -> Result<u64, String> {
            let mut total = 0u64;
            loop {
                let got = r.read(buf).map_err(|e| format!("{what}: {e}"))?;
                if got == 0 {
                    return Ok(total);
                }
                h.update(&buf[..got]);
                total += got as u64;
            }
        };
        let m = match self.content {
            Content::Dir(dir) => {
                let path = safe_path(dir, rel).ok_or_else(missing)?;
                let mut f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                return hash_all(&mut f, &path.display());
            }
            Content::Tar(m) => m,
        };
        let i = m.files.binary_search_by(|(p, _, _)| (**p).cmp(rel)).map_err(|_| missing())?;
        let (_, off, size) = m.files[i];
        let shown = format!("{} (member data at {off})", m.archive.display());
        if !m.compression.is_some() {
            let mut f = std::fs::File::open(&m.archive).map_err(|e| format!("{shown}: {e}"))?;
            f.seek(SeekFrom::Start(off)).map_err(|e| format!("{shown}: {e}"))?;
            return hash_all(&mut f.take(size), &shown);
        }
        if let Some(v) = self.buffered.get(&off) {
            h.update(v);
            return Ok(v.len() as u64);
        }
        if self.stream.as_ref().is_some_and(|(_, pos)| *pos > off) {
            self.reopened += 1;
            if self.reopened > MAX_REOPEN {
                return Err(format!(
                    "the layer's files are too far out of order in the compressed tar (reopened {MAX_REOPEN} times, {MAX_BUFFERED} bytes kept): not checked"
                ));
            }
            self.stream = None;
        }
        if self.stream.is_none() {
            let f = std::fs::File::open(&m.archive).map_err(|e| format!("{shown}: {e}"))?;
            let len = f.metadata().map(|x| x.len()).ok();
            let d = decoder(f, m.compression, len, DecodeLimits::default())
                .map_err(|e| format!("{shown}: {e}"))?;
            self.stream = Some((Box::new(d), 0));
        }
        let Some((r, pos)) = self.stream.as_mut() else { return Err(missing()) };
        // Forward to the member, keeping the layer's members passed on the way.
        let first = self.by_offset.partition_point(|(o, _)| *o < *pos);
        for &(o, sz) in &self.by_offset[first..] {
            if o >= off {
                break;
            }
            let skip = o - *pos;
            let skipped = std::io::copy(&mut r.by_ref().take(skip), &mut std::io::sink())
                .map_err(|e| format!("{shown}: {e}"))?;
            *pos += skipped;
            if skipped != skip {
                return Err(format!("{shown}: the archive ends before the member"));
            }
            if self.buffered_bytes + sz <= MAX_BUFFERED && !self.buffered.contains_key(&o) {
                let mut v = Vec::with_capacity(sz as usize);
                r.by_ref().take(sz).read_to_end(&mut v).map_err(|e| format!("{shown}: {e}"))?;
                *pos += v.len() as u64;
                self.buffered_bytes += v.len() as u64;
                self.buffered.insert(o, v);
            }
        }
        let gap = off - *pos;
        let skipped = std::io::copy(&mut r.by_ref().take(gap), &mut std::io::sink())
            .map_err(|e| format!("{shown}: {e}"))?;
        if skipped != gap {
            return Err(format!("{shown}: the archive ends before the member"));
        }
        let got = hash_all(&mut r.by_ref().take(size), &shown)?;
        *pos = off + got;
        Ok(got)
    }
}

/// The rebuilt digest, with every member name the layer had (normalized).
pub(crate) fn replay(
    split: &Artifact,
    content: Content<'_>,
) -> Result<(String, std::collections::BTreeSet<Vec<u8>>), String> {
    let mut names = std::collections::BTreeSet::new();
    // Discovery may have recognised the gzip wrapper already (then `open` looks through it).
    let gz: Box<dyn Read> = if split.compression.is_some() {
        split.open().map_err(|e| format!("cannot open tar-split: {e}"))?
    } else {
        Box::new(flate2::read::MultiGzDecoder::new(
            split.open_raw().map_err(|e| format!("cannot open tar-split: {e}"))?,
        ))
    };
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut feeder = Feeder::new(content);
    for (n, line) in BufReader::new(gz).lines().enumerate() {
        let line = line.map_err(|e| format!("tar-split line {}: {e}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("tar-split line {}: {e}", n + 1))?;
        let b64 = |s: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| format!("tar-split line {}: {e}", n + 1))
        };
        match v.get("type").and_then(|t| t.as_u64()) {
            Some(2) => h.update(b64(v.get("payload").and_then(|p| p.as_str()).unwrap_or(""))?),
            Some(1) => {
                let size = v.get("size").and_then(|s| s.as_u64()).unwrap_or(0);
                let name = match v.get("name_raw").and_then(|r| r.as_str()) {
                    Some(r) => b64(r)?,
                    None => v.get("name").and_then(|s| s.as_str()).unwrap_or("").as_bytes().to_vec(),
                };
                let rel = crate::layerfs::normalize(&name).0;
                names.insert(rel.clone());
                if size == 0 {
                    continue;
                }
                // The whole file goes in: a file longer or shorter than the layer had (data
                // appended, truncated) changes the digest like changed bytes do.
                let got_total = feeder.feed(&rel, &mut h, &mut buf)?;
                if got_total != size {
                    h.update(format!("size {got_total} for {size}").as_bytes());
                }
            }
            _ => return Err(format!("tar-split line {}: unknown entry type", n + 1)),
        }
    }
    Ok((crate::digest::prefixed(&h.finalize()), names))
}

/// Paths of a layer directory that the layer, as its tar-split lists it, never had: files
/// planted in the directory after the layer was unpacked. An overlay whiteout device stands
/// for the layer's `.wh.NAME`; aufs's own `.wh..wh.*` files are not the layer's.
pub(crate) fn planted(
    scan: &crate::layerscan::LayerScan,
    names: &std::collections::BTreeSet<Vec<u8>>,
) -> Vec<Vec<u8>> {
    use crate::layerscan::EntryKind;
    let mut out = vec![];
    for e in &scan.entries {
        let key = match &e.kind {
            EntryKind::Whiteout(w) if *e.path == *w.target => {
                let target = &w.target;
                // overlay device at dir/NAME: the layer had dir/.wh.NAME
                let base = target.rsplit(|c| *c == b'/').next().unwrap_or(target);
                let mut k = target[..target.len() - base.len()].to_vec();
                k.extend_from_slice(b".wh.");
                k.extend_from_slice(base);
                k
            }
            EntryKind::Opaque | EntryKind::AufsMeta => continue,
            _ => e.path.to_vec(),
        };
        if key.split(|c| *c == b'/').any(|c| c.starts_with(b".wh..wh.")) {
            continue;
        }
        if !names.contains(&key) {
            out.push(e.path.to_vec());
        }
    }
    out
}

/// `dir/rel` when every component below `dir` is a real directory and the last a regular
/// file (no symbolic link anywhere): never a path out of the evidence.
fn safe_path(dir: &Path, rel: &[u8]) -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let mut p = dir.to_path_buf();
    let parts: Vec<&[u8]> = rel.split(|c| *c == b'/').filter(|c| !c.is_empty()).collect();
    for (i, c) in parts.iter().enumerate() {
        p.push(std::ffi::OsStr::from_bytes(c));
        let m = std::fs::symlink_metadata(&p).ok()?;
        let last = i + 1 == parts.len();
        if (last && !m.is_file()) || (!last && !m.is_dir()) {
            return None;
        }
    }
    (!parts.is_empty()).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn replays_segments_and_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("diff/etc")).unwrap();
        std::fs::write(dir.path().join("diff/etc/motd"), b"hello").unwrap();
        let b = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
        let lines = format!(
            "{{\"type\":2,\"payload\":\"{}\",\"position\":0}}\n{{\"type\":1,\"name\":\"./etc/motd\",\"size\":5,\"payload\":null,\"position\":1}}\n{{\"type\":2,\"payload\":\"{}\",\"position\":2}}\n",
            b(b"HDR"),
            b(b"PAD")
        );
        let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::default());
        gz.write_all(lines.as_bytes()).unwrap();
        let data = gz.finish().unwrap();
        let split = Artifact {
            path: "tar-split.json.gz".into(),
            source: crate::evidence::ArtifactSource::Memory(std::sync::Arc::from(data)),
            kind: crate::evidence::ArtifactKind::RootFile,
            size: 0,
            sha256: None,
            compression: crate::compression::Compression::None,
            error: None,
            note: None,
            mtime: None,
        };
        let want = crate::digest::sha256_digest(b"HDRhelloPAD");
        assert_eq!(rebuild_digest(&split, &dir.path().join("diff")).unwrap(), want);
        // A changed, appended or truncated file gives another digest; a file behind a link
        // is refused.
        for changed in [&b"HELLO"[..], b"hello planted", b"hell"] {
            std::fs::write(dir.path().join("diff/etc/motd"), changed).unwrap();
            assert_ne!(rebuild_digest(&split, &dir.path().join("diff")).unwrap(), want);
        }
        // The same layer from the members of a tar of the root, plain and gzip'd: the data
        // offsets as the intake records them.
        std::fs::write(dir.path().join("diff/etc/motd"), b"hello").unwrap();
        for gz in [false, true] {
            let mut b = tar::Builder::new(vec![]);
            b.append_dir_all("root", dir.path().join("diff")).unwrap();
            let plain = b.into_inner().unwrap();
            let mut files = vec![];
            let mut a = crate::layerfs::TarReader::new(plain.as_slice());
            for e in a.members().unwrap() {
                let e = e.unwrap();
                if e.kind() == crate::layerfs::MemberKind::Regular {
                    let p = e.name().strip_prefix(b"root/").unwrap().to_vec();
                    files.push((p.into_boxed_slice(), e.data_offset(), e.size()));
                }
            }
            let bytes = if gz {
                let mut g = flate2::write::GzEncoder::new(vec![], flate2::Compression::default());
                g.write_all(&plain).unwrap();
                g.finish().unwrap()
            } else {
                plain.clone()
            };
            let path = dir.path().join("root.tar");
            std::fs::write(&path, &bytes).unwrap();
            let compression = if gz { Compression::Gzip } else { Compression::None };
            let m = Members { archive: path.clone(), compression, files };
            assert_eq!(replay(&split, Content::Tar(&m)).unwrap().0, want, "gzip {gz}");
            let mut changed = plain.clone();
            let at = m.files[0].1 as usize;
            changed[at] = b'H';
            std::fs::write(&path, &changed).unwrap();
            let m = Members { compression: Compression::None, ..m };
            assert_ne!(replay(&split, Content::Tar(&m)).unwrap().0, want);
            let m = Members { files: vec![], ..m };
            assert!(replay(&split, Content::Tar(&m)).is_err(), "a file missing from the tar");
        }
        std::fs::remove_file(dir.path().join("diff/etc/motd")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("diff/etc/motd")).unwrap();
        assert!(rebuild_digest(&split, &dir.path().join("diff")).is_err());
    }
}
