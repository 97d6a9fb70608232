//! Reading a checkpoint archive (a tar, gzip or zstd looked through) in place: one pass
//! keeps each container's CRIU images and metadata files in memory (bounded) and lists the
//! nested `rootfs-diff.tar` and `devshm-checkpoint.tar`; the pages images, which can be as
//! big as the container's memory, are only streamed, in a second pass. A pod archive holds
//! one such set per container, each below its own directory.

use std::collections::BTreeMap;
use std::io::Read;

use super::dump::ImageFiles;
use super::meta::MetaFiles;
use crate::evidence::Artifact;
use crate::layerfs::{normalize, FileType, MemberKind, TarReader};
use crate::model::{display_bytes, Diagnostic, Locator, Timestamp};

/// Bytes of one image or metadata file kept in memory at most.
const MAX_FILE: u64 = 64 << 20;
/// Bytes kept in memory per archive at most.
const MAX_KEPT: u64 = 512 << 20;
/// Entries of a nested tar listed at most.
pub(crate) const MAX_LISTED: usize = 100_000;

/// One entry of a nested tar (`rootfs-diff.tar`, `devshm-checkpoint.tar`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listed {
    /// Absolute path in the container.
    pub path: String,
    pub ftype: FileType,
    pub size: u64,
    pub mode: u32,
    pub mtime: Option<Timestamp>,
    pub traversal: bool,
    /// With `--yara` (regular files of `rootfs-diff.tar`): the rules that matched it, and
    /// its SHA-256 (only computed then).
    pub yara: Vec<crate::yara::YaraHit>,
    pub sha256: Option<[u8; 32]>,
}

/// One container's checkpoint in an archive (or a bare images directory).
#[derive(Clone, Debug, Default)]
pub(crate) struct Found {
    /// Its directory in the archive (`""` at the top; `<dir>/` in a pod archive).
    pub prefix: String,
    /// Where its CRIU images are in the archive (`<prefix>checkpoint/`).
    pub images_dir: String,
    pub images: ImageFiles,
    /// Pages images (base name) and their sizes: streamed, never kept.
    pub pages: BTreeMap<String, u64>,
    pub meta: MetaFiles,
    pub deleted: Option<Vec<u8>>,
    /// `rootfs-diff.tar`: the files the container added or changed.
    pub rootfs_diff: Option<Vec<Listed>>,
    /// `devshm-checkpoint.tar`: the container's `/dev/shm`.
    pub devshm: Option<Vec<Listed>>,
}

impl Found {
    /// Whether it holds a checkpoint of a container (images or its config).
    pub(crate) fn is_container(&self) -> bool {
        !self.images.is_empty() || self.meta.config.is_some() || self.meta.spec.is_some()
    }
}

/// Where a member goes: (container prefix, what it is).
enum Slot {
    Image(String),
    Pages(String),
    Meta(&'static str),
    Nested(&'static str),
}

fn slot(name: &str) -> Option<(String, Slot)> {
    if let Some(i) = name.rfind("checkpoint/") {
        let (prefix, rest) = (&name[..i], &name[i + "checkpoint/".len()..]);
        if (prefix.is_empty() || prefix.ends_with('/')) && !rest.is_empty() && !rest.contains('/') {
            let s = if rest.starts_with("pages-") && rest.ends_with(".img") {
                Slot::Pages(rest.to_string())
            } else {
                Slot::Image(rest.to_string())
            };
            return Some((prefix.to_string(), s));
        }
    }
    let (prefix, base) = match name.rfind('/') {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => ("", name),
    };
    let s = match base {
        "config.dump" => Slot::Meta("config.dump"),
        "spec.dump" => Slot::Meta("spec.dump"),
        "network.status" => Slot::Meta("network.status"),
        "pod.dump" => Slot::Meta("pod.dump"),
        "deleted.files" => Slot::Meta("deleted.files"),
        // Podman moves CRIU's statistics to the top of the archive.
        "stats-dump" => Slot::Image("stats-dump".into()),
        "rootfs-diff.tar" => Slot::Nested("rootfs-diff.tar"),
        "devshm-checkpoint.tar" => Slot::Nested("devshm-checkpoint.tar"),
        _ => return None,
    };
    Some((prefix.to_string(), s))
}

/// Read the archive `a`: every container checkpoint in it, with the diagnostics.
/// With `yara`, the files of `rootfs-diff.tar` are scanned with the rules as they stream.
pub(crate) fn read(a: &Artifact, yara: Option<&crate::yara::YaraRules>) -> (Vec<Found>, Vec<Diagnostic>) {
    let mut diags = vec![];
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut kept = 0u64;
    let reader = match a.open() {
        Ok(r) => r,
        Err(e) => return (vec![], vec![Diagnostic::error(a.locator(), format!("cannot read: {e}"))]),
    };
    let mut tar = TarReader::new(reader);
    let result = (|| -> std::io::Result<()> {
        for m in tar.members()? {
            let mut m = m?;
            if !matches!(m.kind(), MemberKind::Regular | MemberKind::Continuous) {
                continue;
            }
            let (norm, _) = normalize(&m.name());
            let name = display_bytes(&norm);
            let Some((prefix, what)) = slot(&name) else { continue };
            let loc = a.locator().with_member(name.clone());
            let f = found.entry(prefix.clone()).or_insert_with(|| Found {
                images_dir: format!("{prefix}checkpoint/"),
                prefix: prefix.clone(),
                ..Default::default()
            });
            let size = m.size();
            match what {
                Slot::Pages(file) => {
                    f.pages.insert(file, size);
                }
                Slot::Nested(which) => {
                    let rules = if which == "rootfs-diff.tar" { yara } else { None };
                    let listed = list_nested(&mut m, &loc, rules, &mut diags);
                    match which {
                        "rootfs-diff.tar" => f.rootfs_diff = Some(listed),
                        _ => f.devshm = Some(listed),
                    }
                }
                Slot::Image(_) | Slot::Meta(_) => {
                    if size > MAX_FILE || kept + size > MAX_KEPT {
                        diags.push(Diagnostic::error(
                            loc,
                            format!("{size} bytes: more than ctriage keeps of one checkpoint file ({MAX_FILE} bytes, {MAX_KEPT} per archive); not read"),
                        ));
                        continue;
                    }
                    let mut b = Vec::with_capacity(size as usize);
                    (&mut m).take(size).read_to_end(&mut b)?;
                    kept += b.len() as u64;
                    match what {
                        Slot::Image(file) => {
                            f.images.insert(file, b);
                        }
                        Slot::Meta("config.dump") => f.meta.config = Some(b),
                        Slot::Meta("spec.dump") => f.meta.spec = Some(b),
                        Slot::Meta("network.status") => f.meta.network = Some(b),
                        Slot::Meta("pod.dump") => f.meta.pod = Some(b),
                        Slot::Meta(_) => f.deleted = Some(b),
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        diags.push(Diagnostic::error(
            a.locator(),
            format!("the checkpoint archive could not be read to its end: {e}; what came before is analysed"),
        ));
    }
    // A pod archive's own `pod.dump` names the pod of every container in it.
    let pod = found.get("").and_then(|f| f.meta.pod.clone());
    let mut out: Vec<Found> = found.into_values().filter(Found::is_container).collect();
    for f in &mut out {
        if f.meta.pod.is_none() {
            f.meta.pod.clone_from(&pod);
        }
    }
    (out, diags)
}

/// Stream the pages images of `a` named in `wanted` ((prefix, file) pairs), each handed
/// to `f` with its reader; a second pass over the archive.
pub(crate) fn stream_pages(
    a: &Artifact,
    wanted: &[(String, String)],
    f: &mut dyn FnMut(&str, &str, &mut dyn Read),
) -> Result<(), String> {
    let reader = a.open().map_err(|e| e.to_string())?;
    let mut tar = TarReader::new(reader);
    let members = tar.members().map_err(|e| e.to_string())?;
    for m in members {
        let mut m = m.map_err(|e| e.to_string())?;
        if !matches!(m.kind(), MemberKind::Regular | MemberKind::Continuous) {
            continue;
        }
        let (norm, _) = normalize(&m.name());
        let name = display_bytes(&norm);
        if let Some((prefix, Slot::Pages(file))) = slot(&name) {
            if wanted.iter().any(|(p, w)| *p == prefix && *w == file) {
                f(&prefix, &file, &mut m);
            }
        }
    }
    Ok(())
}

/// The entries of a nested tar, streamed.
fn list_nested(
    r: &mut dyn Read,
    loc: &Locator,
    yara: Option<&crate::yara::YaraRules>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Listed> {
    let mut out = vec![];
    let mut tar = TarReader::new(r);
    let result = (|| -> std::io::Result<()> {
        for m in tar.members()? {
            let mut m = m?;
            let kind = m.kind();
            if matches!(kind, MemberKind::PaxGlobal | MemberKind::Other) {
                continue;
            }
            if out.len() >= MAX_LISTED {
                diags.push(Diagnostic::warning(
                    loc.clone(),
                    format!("more than {MAX_LISTED} entries: the rest is not listed"),
                ));
                break;
            }
            let (norm, traversal) = normalize(&m.name());
            if norm.is_empty() {
                continue;
            }
            let pax = m.pax();
            let node = m.node(norm, &pax);
            let (hits, sha256) = match yara {
                Some(rules) if node.ftype == FileType::File && node.hardlink.is_none() => {
                    let (hits, sha) = yara_file(&mut m, &node.path, node.uid, rules)?;
                    (hits, Some(sha))
                }
                _ => (vec![], None),
            };
            out.push(Listed {
                yara: hits,
                sha256,
                path: format!("/{}", display_bytes(&node.path)),
                ftype: node.ftype,
                size: node.size,
                mode: node.mode & 0o7777,
                mtime: node.mtime,
                traversal,
            });
        }
        Ok(())
    })();
    if let Err(e) = result {
        diags.push(Diagnostic::error(loc.clone(), format!("nested tar could not be read to its end: {e}")));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// One file of `rootfs-diff.tar` read for `--yara`: its first
/// [`crate::limits::YARA_MAX_FILE_BYTES`] scanned, all of it hashed.
fn yara_file(
    r: &mut dyn Read,
    path: &[u8],
    uid: u64,
    rules: &crate::yara::YaraRules,
) -> std::io::Result<(Vec<crate::yara::YaraHit>, [u8; 32])> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut kept = vec![];
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
        let room = (crate::limits::YARA_MAX_FILE_BYTES as usize).saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    let ext = crate::yara::Externals::of_file(path, Some(uid), &kept[..kept.len().min(16)]);
    Ok((rules.scan(&kept, total, &ext), hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_find_their_container() {
        let s = |n: &str| slot(n).map(|(p, s)| (p, matches!(s, Slot::Pages(_)), matches!(s, Slot::Image(_))));
        assert_eq!(s("checkpoint/core-1.img"), Some(("".into(), false, true)));
        assert_eq!(s("checkpoint/pages-1.img"), Some(("".into(), true, false)));
        assert_eq!(s("abc/checkpoint/pstree.img"), Some(("abc/".into(), false, true)));
        assert_eq!(s("abc/config.dump"), Some(("abc/".into(), false, false)));
        assert_eq!(s("stats-dump"), Some(("".into(), false, true)));
        assert_eq!(s("mycheckpoint/core-1.img"), None);
        assert_eq!(s("checkpoint/sub/core-1.img"), None);
        assert_eq!(s("bind.mounts"), None);
    }
}
