//! Reading one layer tar (or a flat filesystem tar) as it streams, member by member through
//! the tar reader beside it. Sniffs the wrapper by magic bytes, hashes the raw blob
//! and the decoded stream (diff_id) as they pass, normalizes paths as bytes, classifies
//! whiteouts, hashes file content with a 64 KiB buffer and feeds the content inspector.
//! Nothing is extracted and no file is held in memory.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader, Read};
use std::sync::Arc;

use super::scan::{hash_content, read_full, EntryKind, LayerEntry, LayerScan, Meta, RawName, CHUNK};
use crate::compression::{decoder, detect_compression, DecodeLimits};
use crate::content::Inspector;
use crate::digest::HashingReader;
use crate::layerfs::{header_name, MemberKind, TarReader};
use crate::layerfs::{normalize, FileType};
use crate::model::{display_bytes, Diagnostic, Locator};

/// The decoded tar stream of one layer, counted against `--max-layer-bytes` and the
/// bundle's `--max-bundle-bytes`: past either, reading fails with an error naming the flag.
struct Budgeted<'a, R> {
    inner: R,
    budget: &'a crate::limits::ByteBudget,
    read: u64,
}

/// Marks the messages of a limit reached (so the walk says "cut short", not "corrupt").
const LIMIT_MARK: &str = "(limit --max-";

impl<R: Read> Read for Budgeted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let max = self.budget.limits.max_layer_bytes;
        if self.read > max {
            return Err(io::Error::other(format!(
                "the layer decompresses to more than {max} bytes {LIMIT_MARK}layer-bytes); stopped here"
            )));
        }
        self.budget.spend(n as u64).map_err(io::Error::other)?;
        Ok(n)
    }
}

/// Where a file read equal to one already held takes its path and metadata from: the same
/// bytes then are held once (an export's files unchanged from its image).
pub(crate) type Shared<'s> = &'s dyn Fn(&[u8], &Meta) -> Option<(Arc<[u8]>, Arc<Meta>)>;

/// Read a layer blob (plain, gzip, multi-member gzip or zstd) from `raw`. `whiteouts` says
/// whether `.wh.` names are whiteouts (layers) or ordinary names (flat filesystem tars).
/// Never fails: what could not be read becomes a diagnostic at `loc`, and what was read
/// before it is kept.
pub(crate) fn read_layer(
    raw: impl Read,
    raw_size: Option<u64>,
    loc: &Locator,
    inspector: &Inspector,
    whiteouts: bool,
) -> LayerScan {
    read_layer_sharing(raw, raw_size, loc, inspector, whiteouts, &|_, _| None)
}

/// [`read_layer`], each file's path and metadata taken from `shared` when it has them.
pub(crate) fn read_layer_sharing(
    raw: impl Read,
    raw_size: Option<u64>,
    loc: &Locator,
    inspector: &Inspector,
    whiteouts: bool,
    shared: Shared,
) -> LayerScan {
    let mut scan = LayerScan { complete: true, ..Default::default() };
    let mut raw = HashingReader::new(raw);
    let mut head = Vec::with_capacity(8);
    if let Err(e) = (&mut raw).take(6).read_to_end(&mut head) {
        scan.complete = false;
        scan.diagnostics.push(Diagnostic::error(loc.clone(), format!("cannot read layer blob: {e}")));
        return scan;
    }
    scan.compression = detect_compression(&head);
    {
        let chained = io::Cursor::new(head).chain(&mut raw);
        let decoded = match decoder(chained, scan.compression, raw_size, DecodeLimits::default()) {
            Ok(d) => d,
            Err(e) => {
                scan.complete = false;
                scan.diagnostics
                    .push(Diagnostic::error(loc.clone(), format!("cannot decode layer blob: {e}")));
                return scan;
            }
        };
        let budgeted = Budgeted { inner: decoded, budget: &inspector.budget, read: 0 };
        let mut tar_stream = HashingReader::new(BufReader::with_capacity(CHUNK, budgeted));
        // Hard links are resolved once the members are read, however the reading ended.
        let mut links = vec![];
        read_entries(&mut tar_stream, loc, inspector, whiteouts, shared, &mut scan, &mut links);
        resolve_links(&mut scan.entries, &links);
        if scan.complete {
            match drain_after_end(&mut tar_stream) {
                Ok(after) => {
                    scan.after_end = after;
                    scan.tar_size = tar_stream.count;
                    scan.diff_id = Some(tar_stream.digest());
                }
                Err(e) => {
                    scan.complete = false;
                    scan.diagnostics.push(Diagnostic::error(
                        loc.clone(),
                        format!("layer stream broken after the tar end marker: {e}"),
                    ));
                }
            }
        }
    }
    if scan.complete {
        match io::copy(&mut raw, &mut io::sink()) {
            Ok(_) => {
                scan.blob_size = raw.count;
                scan.blob_digest = Some(raw.digest());
            }
            Err(e) => {
                scan.complete = false;
                scan.diagnostics.push(Diagnostic::error(loc.clone(), format!("cannot read layer blob: {e}")));
            }
        }
    } else {
        scan.blob_size = raw.count;
    }
    scan
}

/// Hard links take the content of the regular file they name, the last one read before
/// them (as a tar reader extracting in order sees it). Resolved once the members are read,
/// from `links` (entry index, target path; in entry order): no map of every file's path is
/// held while the layer streams (about 50 bytes a file).
pub(crate) fn resolve_links(entries: &mut [LayerEntry], links: &[(usize, Box<[u8]>)]) {
    if links.is_empty() {
        return;
    }
    let wanted: HashSet<&[u8]> = links.iter().map(|(_, t)| &t[..]).collect();
    let mut last: HashMap<&[u8], usize> = HashMap::new();
    let mut pending = links.iter().peekable();
    let mut fill = vec![];
    for (i, e) in entries.iter().enumerate() {
        while let Some((_, target)) = pending.next_if(|(l, _)| *l == i) {
            fill.extend(last.get(&target[..]).map(|&t| (i, t)));
        }
        if let EntryKind::Node(m) = &e.kind {
            if m.ftype == FileType::File && m.hardlink().is_none() && wanted.contains(&e.path[..]) {
                last.insert(&e.path[..], i);
            }
        }
    }
    for (i, t) in fill {
        let EntryKind::Node(target) = &entries[t].kind else { continue };
        let target = target.clone();
        if let EntryKind::Node(m) = &mut entries[i].kind {
            Arc::make_mut(m).content_of(&target);
        }
    }
}

/// The members of the tar, each as an entry of `scan`; the hard links to resolve in `links`.
fn read_entries<R: Read>(
    stream: &mut R,
    loc: &Locator,
    inspector: &Inspector,
    whiteouts: bool,
    shared: Shared,
    scan: &mut LayerScan,
    links: &mut Vec<(usize, Box<[u8]>)>,
) {
    let mut archive = TarReader::new(stream);
    let entries = match archive.members() {
        Ok(e) => e,
        Err(e) => {
            scan.complete = false;
            scan.diagnostics.push(Diagnostic::error(loc.clone(), format!("not a readable tar: {e}")));
            return;
        }
    };
    let mut buf = vec![0u8; CHUNK];
    for (seq, entry) in entries.enumerate() {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                scan.complete = false;
                let what =
                    if e.to_string().contains(LIMIT_MARK) { "cut short" } else { "truncated or corrupt" };
                scan.diagnostics.push(Diagnostic::error(
                    loc.clone(),
                    format!(
                        "layer tar is {what} after {} member(s): {e}; the members before it are analysed",
                        scan.entries.len()
                    ),
                ));
                return;
            }
        };
        if seq as u64 >= inspector.budget.limits.max_entries {
            scan.complete = false;
            scan.diagnostics.push(Diagnostic::error(
                loc.clone(),
                format!(
                    "the tar has more than {} members {LIMIT_MARK}entries); the first {seq} are analysed",
                    inspector.budget.limits.max_entries
                ),
            ));
            return;
        }
        let kind = entry.kind();
        if kind == MemberKind::PaxGlobal {
            scan.diagnostics.push(Diagnostic::warning(
                loc.clone(),
                format!("member #{seq}: PAX global header ignored (its keys apply to no single file)"),
            ));
            continue;
        }
        let raw_name = entry.name().into_owned();
        let (path, traversal) = normalize(&raw_name);
        let path: Arc<[u8]> = path.into();
        let member_loc = || loc.clone().with_member(display_bytes(&raw_name));
        if path.is_empty() {
            continue; // the root directory itself
        }
        let pax = entry.pax();
        let sparse = pax.sparse || raw_name.windows(14).any(|w| w == b"GNUSparseFile.");
        // overlayfs marks an opaque directory with an xattr, which a tar of an upper dir keeps.
        let overlay_opaque = pax.opaque;
        let node = entry.node(path.to_vec(), &pax);
        if sparse {
            scan.diagnostics.push(Diagnostic::warning(
                member_loc(),
                "PAX-format sparse file: its content is read as stored (sparse map + data), hash is of that",
            ));
        }
        let seq = seq as u32;
        let keep_raw = traversal.then(|| Box::new(RawName(raw_name.as_slice().into())));
        // A tar of an overlayfs upper directory (a daemon's `diff/` dir) keeps overlay's own
        // whiteouts: a 0:0 character device deletes its path, an opaque xattr hides below.
        // The member's own time: a whiteout's is when the file was deleted.
        let member_mtime = node.mtime;
        let overlay_whiteout = kind == MemberKind::Char && entry.null_device();
        if whiteouts && overlay_whiteout {
            scan.entries.push(LayerEntry {
                path: path.clone(),
                seq,
                traversal,
                raw_name: keep_raw,
                kind: EntryKind::whiteout(&path[..], member_mtime),
            });
            continue;
        }
        if whiteouts && overlay_opaque && kind == MemberKind::Dir {
            scan.entries.push(LayerEntry {
                path: path.clone(),
                seq,
                traversal,
                raw_name: keep_raw.clone(),
                kind: EntryKind::Opaque,
            });
        }
        if whiteouts {
            let base = path.rsplit(|c| *c == b'/').next().unwrap_or(&path[..]);
            let parent = &path[..path.len() - base.len()];
            if path.split(|c| *c == b'/').any(|c| c.starts_with(b".wh..wh.")) {
                let kind = if base == b".wh..wh..opq" { EntryKind::Opaque } else { EntryKind::AufsMeta };
                let dir = if kind == EntryKind::Opaque {
                    parent.strip_suffix(b"/").unwrap_or(parent).into()
                } else {
                    path.clone()
                };
                scan.entries.push(LayerEntry { path: dir, seq, traversal, raw_name: keep_raw, kind });
                continue;
            }
            if let Some(name) = base.strip_prefix(b".wh.") {
                let mut target = parent.to_vec();
                target.extend_from_slice(name);
                scan.entries.push(LayerEntry {
                    path: path.clone(),
                    seq,
                    traversal,
                    raw_name: keep_raw,
                    kind: EntryKind::whiteout(target, member_mtime),
                });
                continue;
            }
        }
        let ftype = node.ftype;
        let mut meta = Meta::of(&node);
        match kind {
            MemberKind::Symlink => {}
            MemberKind::HardLink => {
                let target: Box<[u8]> = node.hardlink.clone().unwrap_or_default().into();
                links.push((scan.entries.len(), target.clone()));
                meta.edit_rare(|r| r.hardlink = Some(target));
            }
            _ if ftype == FileType::File => {
                meta.size = node.size;
                let size = meta.size;
                let hashed = hash_content(&mut entry, &path, size, Some(meta.uid), inspector, &mut buf)
                    .and_then(|(h, total)| {
                        if total < size {
                            Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                format!("{total} of {size} bytes"),
                            ))
                        } else {
                            Ok(h)
                        }
                    });
                match hashed {
                    Ok((sha, magic, facts, script)) => {
                        meta.sha256 = Some(sha);
                        meta.magic = magic;
                        meta.edit_rare(|r| (r.facts, r.script) = (facts, script));
                    }
                    Err(e) => {
                        let what = if e.to_string().contains(LIMIT_MARK) {
                            "the layer walk was cut short"
                        } else {
                            "layer ends"
                        };
                        scan.complete = false;
                        scan.diagnostics.push(Diagnostic::error(
                            member_loc(),
                            format!(
                                "{what} inside this file's content ({} member(s) read): {e}; the members before it are analysed",
                                scan.entries.len()
                            ),
                        ));
                        return;
                    }
                }
            }
            _ => {}
        }
        let (path, meta) = shared(&path, &meta).unwrap_or_else(|| (path, meta.into()));
        scan.entries.push(LayerEntry {
            path,
            seq,
            traversal,
            raw_name: keep_raw,
            kind: EntryKind::Node(meta),
        });
    }
}

/// Read what follows the end-of-archive marker (it still counts for the diff_id); describe
/// it when it is more than zero padding.
fn drain_after_end(r: &mut impl Read) -> io::Result<Option<String>> {
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let mut first_data: Option<(u64, Option<String>)> = None;
    loop {
        let n = read_full(r, &mut buf)?;
        if n == 0 {
            break;
        }
        if first_data.is_none() {
            if let Some(i) = buf[..n].iter().position(|b| *b != 0) {
                let block = i / 512 * 512;
                let name = buf.get(block..block + 512).and_then(header_name).map(|n| display_bytes(&n));
                first_data = Some((offset + i as u64, name));
            }
        }
        offset += n as u64;
    }
    Ok(first_data.map(|(at, name)| {
        let what = name.map(|n| format!("a tar member `{n}`")).unwrap_or_else(|| "non-zero bytes".into());
        format!(
            "{} byte(s) after the end-of-archive marker, starting with {what} (hidden from tar readers that stop at the marker)",
            offset - at
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar of members in order: `(name, Ok(content))` a file, `(name, Err(target))` a hard
    /// link.
    fn members(list: &[(&str, Result<&[u8], &str>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(vec![]);
        for (name, what) in list {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            match what {
                Ok(data) => {
                    h.set_size(data.len() as u64);
                    h.set_cksum();
                    b.append_data(&mut h, name, *data).unwrap();
                }
                Err(target) => {
                    h.set_entry_type(tar::EntryType::Link);
                    h.set_size(0);
                    b.append_link(&mut h, name, target).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    /// A hard link takes the content of the last regular file of its target's name read
    /// before it: not one rewritten after it, not one read after it, not a link.
    #[test]
    fn a_hard_link_takes_the_file_read_before_it() {
        let tar = members(&[
            ("early", Err("x")),
            ("x", Ok(b"one")),
            ("l1", Err("x")),
            ("x", Ok(b"two")),
            ("l2", Err("x")),
            ("l3", Err("l2")),
        ]);
        let scan =
            read_layer(&tar[..], None, &Locator::artifact("t.tar".to_string()), &Inspector::new(), false);
        let sha = |path: &str, nth: usize| {
            let e = scan.entries.iter().filter(|e| &*e.path == path.as_bytes()).nth(nth).unwrap();
            let EntryKind::Node(m) = &e.kind else { panic!() };
            m.sha256
        };
        assert_eq!(sha("early", 0), None);
        assert_eq!(sha("l1", 0), sha("x", 0));
        assert_eq!(sha("l2", 0), sha("x", 1));
        assert_ne!(sha("x", 0), sha("x", 1));
        assert_eq!(sha("l3", 0), None);
    }

    fn node(scan: &LayerScan, path: &str) -> (Arc<[u8]>, Arc<Meta>) {
        let e = scan.entries.iter().find(|e| &*e.path == path.as_bytes()).unwrap();
        let EntryKind::Node(m) = &e.kind else { panic!("{path} is not a node") };
        (e.path.clone(), m.clone())
    }

    /// A file equal to one held takes its path and metadata; the rest of the scan, hard
    /// links resolved through a shared file included, reads as without sharing.
    #[test]
    fn a_file_equal_to_one_held_is_held_once() {
        let (loc, ins) = (Locator::artifact("t.tar".to_string()), Inspector::new());
        // `a/x` and `a/y` (different content) and a hard link `a/z` to `a/x`.
        let tar = members(&[("a/x", Ok(b"hi")), ("a/y", Ok(b"yo")), ("a/z", Err("a/x"))]);
        let base = read_layer(&tar[..], None, &loc, &ins, false);
        let (x_path, x_meta) = node(&base, "a/x");
        // What the base holds for `a/x`, and for `a/y` a file that differs.
        let mut other = (*node(&base, "a/y").1).clone();
        other.sha256 = Some([0; 32]);
        let held = |p: &[u8], m: &Meta| match p {
            b"a/x" if *m == *x_meta => Some((x_path.clone(), x_meta.clone())),
            b"a/y" if *m == other => Some((p.into(), Arc::new(other.clone()))),
            _ => None,
        };
        let scan = read_layer_sharing(&tar[..], None, &loc, &ins, false, &held);
        assert_eq!(scan.entries, base.entries);
        let (p, m) = node(&scan, "a/x");
        assert!(Arc::ptr_eq(&p, &x_path) && Arc::ptr_eq(&m, &x_meta));
        let (_, y) = node(&scan, "a/y");
        assert!(!Arc::ptr_eq(&y, &node(&base, "a/y").1));
        assert_eq!(node(&scan, "a/z").1.sha256, x_meta.sha256);
    }
}
