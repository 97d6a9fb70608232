//! One CRIU images directory decoded: the process tree with each task's core, ids, memory
//! map, page map, descriptors and fs; the files, sockets, ttys and memfds they name; the
//! dump's inventory, statistics, cgroups, seccomp filters and time namespace. Every image
//! that cannot be read is a diagnostic; the rest is still decoded.

use std::collections::BTreeMap;

use serde::Serialize;

use super::image;
use super::messages::{
    self as msg, Core, DumpStats, Fdinfo, FileEntry, Fs, Ids, Inventory, Mm, PagemapEntry, Pstree,
};
use super::wire::WireError;
use crate::model::{Diagnostic, Locator};

/// The image files of one dump, by base name (`core-1.img`), as read.
pub(crate) type ImageFiles = BTreeMap<String, Vec<u8>>;

/// One task (process) of the dump.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Task {
    pub pstree: Pstree,
    pub core: Option<Core>,
    pub ids: Option<Ids>,
    pub mm: Option<Mm>,
    /// `pages_id` (the pages image `pages-<id>.img`) and the map of the pages it holds.
    pub pagemap: Option<(u32, Vec<PagemapEntry>)>,
    pub fds: Vec<Fdinfo>,
    pub fs: Option<Fs>,
}

impl Task {
    pub(crate) fn pid(&self) -> u32 {
        self.pstree.pid
    }

    /// The value of one of its ids (`files_id`, `vm_id`...).
    pub(crate) fn id(&self, name: &str) -> Option<u32> {
        self.ids
            .as_ref()
            .or(self.core.as_ref().and_then(|c| c.ids.as_ref()))
            .and_then(|i| i.get(name).copied())
    }
}

/// A decoded dump.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Dump {
    pub inventory: Option<Inventory>,
    pub tasks: Vec<Task>,
    /// Files, sockets, pipes, ttys... by id.
    pub files: BTreeMap<u32, FileEntry>,
    /// File ids opened under a path they no longer have because it was deleted (CRIU's
    /// linked and ghost remaps; `/proc` remaps are not deletions).
    pub remapped: BTreeMap<u32, Option<u32>>,
    /// Deleted files whose content the dump kept (ghost files), by file id: the content's
    /// size and SHA-256 (lower-case hex).
    pub ghosts: BTreeMap<u32, (u64, String)>,
    pub memfds: Vec<msg::MemfdInode>,
    pub ttys: Vec<msg::TtyInfo>,
    pub stats: Option<DumpStats>,
    pub cgroups: Vec<msg::CgSet>,
    pub seccomp: Option<msg::Seccomp>,
    pub timens: Option<msg::Timens>,
}

impl Dump {
    /// The file an id names.
    pub(crate) fn file(&self, id: u32) -> Option<&FileEntry> {
        self.files.get(&id)
    }

    /// The architecture of the dump (its first core).
    pub(crate) fn arch(&self) -> Option<&'static str> {
        self.tasks.iter().find_map(|t| t.core.as_ref()).map(|c| msg::arch_name(c.mtype))
    }
}

/// Decoding context: where each image is, and the diagnostics so far.
struct Ctx<'a> {
    images: &'a ImageFiles,
    loc: &'a dyn Fn(&str) -> Locator,
    diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    /// The entries of image `name`, when it is there and readable.
    fn entries<'b>(&mut self, name: &str) -> Option<Vec<&'b [u8]>>
    where
        'a: 'b,
    {
        let images: &'a ImageFiles = self.images;
        let b = images.get(name)?;
        match image::parse(b, name) {
            Ok(img) => {
                if let Some(e) = img.error {
                    self.diags
                        .push(Diagnostic::error((self.loc)(name), format!("CRIU image cut short: {e}")));
                }
                Some(img.entries)
            }
            Err(e) => {
                self.diags.push(Diagnostic::error((self.loc)(name), format!("not read: {e}")));
                None
            }
        }
    }

    /// Each entry of `name` decoded with `f`; an entry that does not decode is a diagnostic.
    fn each<T>(&mut self, name: &str, f: impl Fn(&[u8]) -> Result<T, WireError>) -> Vec<T> {
        let Some(entries) = self.entries(name) else { return vec![] };
        let mut out = vec![];
        for (i, e) in entries.iter().enumerate() {
            match f(e) {
                Ok(v) => out.push(v),
                Err(err) => self.bad(name, i, err),
            }
        }
        out
    }

    fn first<T>(&mut self, name: &str, f: impl Fn(&[u8]) -> Result<T, WireError>) -> Option<T> {
        self.each(name, f).into_iter().next()
    }

    fn bad(&mut self, name: &str, i: usize, err: WireError) {
        self.diags.push(Diagnostic::error(
            (self.loc)(name),
            format!("entry {} is no valid protobuf message: {err}", i + 1),
        ));
    }
}

/// Decode the dump in `images`; `loc(name)` locates one image.
pub(crate) fn decode(images: &ImageFiles, loc: &dyn Fn(&str) -> Locator) -> (Dump, Vec<Diagnostic>) {
    let mut cx = Ctx { images, loc, diags: vec![] };
    let mut d = Dump { inventory: cx.first("inventory.img", msg::inventory), ..Default::default() };
    if !images.contains_key("pstree.img") {
        cx.diags.push(Diagnostic::error(
            loc("pstree.img"),
            "the dump has no process tree (pstree.img): no process is read",
        ));
    }
    for p in cx.each("pstree.img", msg::pstree) {
        let pid = p.pid;
        let mut t = Task {
            core: cx.first(&format!("core-{pid}.img"), msg::core),
            ids: cx.first(&format!("ids-{pid}.img"), msg::ids),
            mm: cx.first(&format!("mm-{pid}.img"), msg::mm),
            fs: cx.first(&format!("fs-{pid}.img"), msg::fs),
            pstree: p,
            ..Default::default()
        };
        let pm = format!("pagemap-{pid}.img");
        if let Some(entries) = cx.entries(&pm) {
            let mut it = entries.iter();
            match it.next().map(|h| msg::pagemap_head(h)) {
                Some(Ok(id)) => {
                    let mut map = vec![];
                    for (i, e) in it.enumerate() {
                        match msg::pagemap_entry(e) {
                            Ok(x) => map.push(x),
                            Err(err) => {
                                cx.bad(&pm, i + 1, err);
                                break;
                            }
                        }
                    }
                    t.pagemap = Some((id, map));
                }
                Some(Err(err)) => cx.bad(&pm, 0, err),
                None => {}
            }
        }
        // Per files id since CRIU 3.x (`fdinfo_per_id`), per pid before.
        let fdinfo = t.id("files_id").map(|id| format!("fdinfo-{id}.img")).filter(|n| images.contains_key(n));
        let fdinfo = fdinfo.unwrap_or_else(|| format!("fdinfo-{pid}.img"));
        // Tasks sharing a files table share the image: read it once per task all the same.
        if images.contains_key(&fdinfo) {
            t.fds = cx.each(&fdinfo, msg::fdinfo);
            t.fds.sort_by_key(|f| f.fd);
        }
        d.tasks.push(t);
    }
    d.tasks.sort_by_key(|t| t.pid());
    for f in cx.each("files.img", msg::file_entry) {
        d.files.insert(f.id, f);
    }
    for kind in ["reg-files", "inetsk", "unixsk", "pipes", "tty"] {
        let name = format!("{kind}.img");
        if images.contains_key(&name) {
            for f in cx.each(&name, |b| msg::legacy_file(kind, b).unwrap_or(Err(WireError::Truncated))) {
                d.files.entry(f.id).or_insert(f);
            }
        }
    }
    for r in cx.each("remap-fpath.img", msg::remap) {
        // remap_type: 0 linked, 1 ghost, 2 procfs; older dumps mark a ghost by the top bit.
        if r.remap_type == Some(2) {
            continue;
        }
        d.remapped.insert(r.orig_id, r.remap_type);
        let ghost = r.remap_type == Some(1) || r.remap_id & (1 << 31) != 0;
        let name = format!("ghost-file-{}.img", r.remap_id & !(1 << 31));
        if let (true, Some(b)) = (ghost, images.get(&name)) {
            match image::head_and_payload(b, &name) {
                Ok((head, payload)) => match msg::ghost_file(head) {
                    // Chunked (sparse) content would need its holes filled: not hashed.
                    Ok(g) if !g.chunks => {
                        d.ghosts.insert(
                            r.orig_id,
                            (payload.len() as u64, crate::digest::hex(&crate::digest::sha256(payload))),
                        );
                    }
                    Ok(_) => {}
                    Err(e) => cx.bad(&name, 0, e),
                },
                Err(e) => cx.diags.push(Diagnostic::error(loc(&name), format!("not read: {e}"))),
            }
        }
    }
    d.memfds = cx.each("memfd.img", msg::memfd_inode);
    d.ttys = cx.each("tty-info.img", msg::tty_info);
    d.stats = cx.first("stats-dump", msg::stats).flatten();
    d.cgroups = cx.first("cgroup.img", msg::cgroup).map(|(s, _)| s).unwrap_or_default();
    d.seccomp = cx.first("seccomp.img", msg::seccomp);
    d.timens =
        images.keys().find(|k| k.starts_with("timens-")).cloned().and_then(|k| cx.first(&k, msg::timens));
    (d, cx.diags)
}

/// One image file decoded on its own, entry by entry, as JSON (the fields ctriage reads,
/// named as in CRIU's messages): for the fuzz target and the tests that compare it with
/// `crit decode`. Err when it is no CRIU image or an entry does not decode.
pub(crate) fn image_json(name: &str, b: &[u8]) -> Result<serde_json::Value, String> {
    use serde_json::{json, to_value, Value};
    let img = image::parse(b, name)?;
    let kind = image::kind_of(name);
    let one = |i: usize, e: &[u8]| -> Result<Value, WireError> {
        let v = |x: Result<Value, serde_json::Error>| x.unwrap_or(Value::Null);
        Ok(match kind {
            "inventory" => v(to_value(msg::inventory(e)?)),
            "pstree" => v(to_value(msg::pstree(e)?)),
            "core" => v(to_value(msg::core(e)?)),
            "ids" => v(to_value(msg::ids(e)?)),
            "mm" => v(to_value(msg::mm(e)?)),
            "pagemap" if i == 0 => json!({ "pages_id": msg::pagemap_head(e)? }),
            "pagemap" => v(to_value(msg::pagemap_entry(e)?)),
            "fdinfo" => v(to_value(msg::fdinfo(e)?)),
            "files" => v(to_value(msg::file_entry(e)?)),
            "fs" => v(to_value(msg::fs(e)?)),
            "tty-info" => v(to_value(msg::tty_info(e)?)),
            "seccomp" => v(to_value(msg::seccomp(e)?)),
            "timens" => v(to_value(msg::timens(e)?)),
            "stats-dump" | "stats-restore" => json!({ "dump": v(to_value(msg::stats(e)?)) }),
            "cgroup" => {
                let (sets, controllers) = msg::cgroup(e)?;
                json!({ "sets": v(to_value(sets)), "controllers": controllers })
            }
            "remap-fpath" => v(to_value(msg::remap(e)?)),
            "memfd" => v(to_value(msg::memfd_inode(e)?)),
            k => match msg::legacy_file(k, e) {
                Some(f) => v(to_value(f?)),
                None => json!({ "bytes": e.len() }),
            },
        })
    };
    let mut entries = vec![];
    for (i, e) in img.entries.iter().enumerate() {
        entries.push(one(i, e).map_err(|err| format!("entry {}: {err}", i + 1))?);
    }
    Ok(json!({ "kind": kind, "entries": entries, "error": img.error }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fields: &[(u32, u64)]) -> Vec<u8> {
        let mut m = vec![];
        for (n, v) in fields {
            let mut key = u64::from(*n) << 3;
            let mut val = *v;
            while key >= 0x80 {
                m.push(key as u8 | 0x80);
                key >>= 7;
            }
            m.push(key as u8);
            while val >= 0x80 {
                m.push(val as u8 | 0x80);
                val >>= 7;
            }
            m.push(val as u8);
        }
        m
    }

    fn img(magic: u32, entries: &[Vec<u8>]) -> Vec<u8> {
        let mut v: Vec<u8> = [image::COMMON, magic].iter().flat_map(|m| m.to_le_bytes()).collect();
        for e in entries {
            v.extend((e.len() as u32).to_le_bytes());
            v.extend(e);
        }
        v
    }

    /// Every byte of every image changed, every prefix cut: decoding never panics, and a
    /// whole dump of such images decodes to diagnostics.
    #[test]
    fn mutated_images_never_panic() {
        let mut core = entry(&[(1, 3)]);
        let tc = entry(&[(1, 1), (3, 0)]);
        core.extend([0x1a, tc.len() as u8]);
        core.extend(&tc);
        let base: Vec<(&str, Vec<u8>)> = vec![
            ("pstree.img", img(0x5027_3030, &[entry(&[(1, 7), (2, 0), (5, 7)])])),
            ("core-7.img", img(0x5505_3847, &[core])),
            ("mm-7.img", img(0x5749_2820, &[entry(&[(8, 0x1000), (9, 0x1008), (12, 1)])])),
            ("pagemap-7.img", img(0x5608_4025, &[entry(&[(1, 1)]), entry(&[(1, 0x1000), (2, 1), (4, 4)])])),
            ("fdinfo-7.img", img(0x5621_3732, &[entry(&[(1, 1), (3, 4), (4, 0)])])),
            ("files.img", img(0x5630_3138, &[entry(&[(1, 4), (2, 1)])])),
            (
                "inventory.img",
                [image::INVENTORY.to_le_bytes().to_vec(), 2u32.to_le_bytes().to_vec(), vec![8, 2]].concat(),
            ),
        ];
        let loc = |n: &str| Locator::artifact(n);
        for (name, b) in &base {
            for cut in 0..b.len() {
                let _ = image_json(name, &b[..cut]);
            }
            for i in 0..b.len() {
                for x in [0u8, 1, 0x7f, 0x80, 0xff] {
                    let mut m = b.clone();
                    m[i] = x;
                    let _ = image_json(name, &m);
                    let mut files: ImageFiles =
                        base.iter().map(|(n, b)| (n.to_string(), b.clone())).collect();
                    files.insert(name.to_string(), m);
                    let _ = decode(&files, &loc);
                }
            }
        }
        let mut files: ImageFiles = base.iter().map(|(n, b)| (n.to_string(), b.clone())).collect();
        // A `/proc` remap (type 2) is no deletion; a linked one (0) and an old-style ghost
        // (top bit of the remap id) are.
        let remaps = [
            entry(&[(1, 1), (2, 9), (3, 2)]),
            entry(&[(1, 2), (2, 10), (3, 0)]),
            entry(&[(1, 3), (2, 1 << 31 | 11)]),
        ];
        files.insert("remap-fpath.img".into(), img(0x5913_3954, &remaps));
        let (d, diags) = decode(&files, &loc);
        assert_eq!(d.remapped.keys().copied().collect::<Vec<u32>>(), vec![2, 3]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(d.tasks.len(), 1);
        assert_eq!(d.tasks[0].core.as_ref().and_then(|c| c.task_state), Some(1));
        assert_eq!(d.tasks[0].fds.len(), 1);
    }
}
