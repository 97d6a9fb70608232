//! Container checkpoints (CRIU) as evidence: the archive Podman, CRI-O and the kubelet write
//! (`config.dump`, `spec.dump`, `network.status`, `checkpoint/` with CRIU's images,
//! `rootfs-diff.tar`, `deleted.files`), or a bare CRIU images directory, read offline into
//! the processes, sockets, open files and memory of the frozen container.

pub(crate) mod archive;
pub(crate) mod dump;
pub(crate) mod image;
pub(crate) mod memory;
pub(crate) mod messages;
pub(crate) mod meta;
pub(crate) mod observe;
pub(crate) mod rules;
pub(crate) mod wire;

use std::collections::BTreeMap;
use std::io::Read;

use archive::Found;
use dump::Dump;
use memory::{Layout, PageScan};
use observe::{MemoryFound, MemoryHit, Places};

use crate::evidence::{Artifact, ArtifactKind};
use crate::ingest::observed::Observed;
use crate::logscan::Engine;
use crate::model::{role, Diagnostic, Locator, Role};
use crate::yara::YaraRules;

/// Memory hits kept per task and log rule (the first; the rest are counted).
const MAX_RULES_PER_TASK: usize = 50;
/// Indicators kept per task's memory.
const MAX_INDICATORS: usize = 100;

/// Read a checkpoint archive: every container checkpoint in it, observed.
/// With `yara`, each task's pages are also scanned with the rules (see [`yara_pages`]).
pub(crate) fn read_archive(
    a: &Artifact,
    engine: &Engine,
    yara: Option<&YaraRules>,
) -> (Observed, Vec<Diagnostic>) {
    let (found, mut diags) = archive::read(a, yara);
    if found.is_empty() {
        diags.push(Diagnostic::error(
            a.locator(),
            "no container checkpoint found in the archive (no checkpoint/ images, no config.dump)",
        ));
        return (Observed::default(), diags);
    }
    let mut decoded = vec![];
    for f in &found {
        let image = |n: &str| a.locator().with_member(format!("{}{n}", f.images_dir));
        let (d, dd) = dump::decode(&f.images, &image);
        diags.extend(dd);
        decoded.push(d);
    }
    // The pages, streamed in a second pass over the archive.
    let plans: Vec<Vec<Plan>> =
        found.iter().zip(&decoded).map(|(f, d)| plans(d, |file| f.pages.get(file).copied())).collect();
    let wanted: Vec<(String, String)> = found
        .iter()
        .zip(&plans)
        .flat_map(|(f, ps)| {
            ps.iter().filter(|p| f.pages.contains_key(&p.file)).map(|p| (f.prefix.clone(), p.file.clone()))
        })
        .collect();
    let mut memory: Vec<BTreeMap<u32, MemoryFound>> = vec![BTreeMap::new(); found.len()];
    if !wanted.is_empty() {
        let r = archive::stream_pages(a, &wanted, &mut |prefix, file, r| {
            let Some(i) = found.iter().position(|f| f.prefix == prefix) else { return };
            for p in plans[i].iter().filter(|p| p.file == file) {
                let loc = a.locator().with_member(format!("{}{file}", found[i].images_dir));
                memory[i].insert(p.pid, scan(p, r, engine, yara, &loc, &mut diags));
            }
        });
        if let Err(e) = r {
            diags.push(Diagnostic::error(a.locator(), format!("the memory pages could not be read: {e}")));
        }
    }
    let mut out = Observed::default();
    for ((f, d), mem) in found.iter().zip(&decoded).zip(&memory) {
        let image = |n: &str| a.locator().with_member(format!("{}{n}", f.images_dir));
        let meta_loc = |n: &str| a.locator().with_member(format!("{}{n}", f.prefix));
        let capture = if f.prefix.is_empty() {
            a.path.clone()
        } else {
            format!("{} ({})", a.path, f.prefix.trim_end_matches('/'))
        };
        let places = Places { image: &image, meta: &meta_loc, capture };
        join(&mut out, observe_one(f, d, mem, &places, &mut diags));
    }
    (out, diags)
}

/// Bare CRIU images directories of a bundle (a folder of `*.img` with `inventory.img`; the
/// checkpoint's `config.dump` and friends beside it or one folder up when the folder is an
/// unpacked archive's `checkpoint/`): each read as one checkpoint.
pub(crate) fn read_image_dirs(
    artifacts: &[Artifact],
    engine: &Engine,
    yara: Option<&YaraRules>,
) -> Vec<(Observed, Vec<Diagnostic>)> {
    let folder = |p: &str| p.rsplit_once('/').map_or(String::new(), |(d, _)| format!("{d}/"));
    let dirs: Vec<String> = artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::CriuImage && a.path.rsplit('/').next() == Some("inventory.img"))
        .map(|a| folder(&a.path))
        .collect();
    dirs.iter().map(|dir| read_dir(dir, artifacts, engine, yara)).collect()
}

/// Bytes of one image file read at most from a directory.
const MAX_DIR_IMAGE: u64 = 64 << 20;

fn read_dir(
    dir: &str,
    artifacts: &[Artifact],
    engine: &Engine,
    yara: Option<&YaraRules>,
) -> (Observed, Vec<Diagnostic>) {
    let mut diags = vec![];
    let meta_dir = match dir.strip_suffix("checkpoint/") {
        Some(up) if up.is_empty() || up.ends_with('/') => up.to_string(),
        _ => dir.to_string(),
    };
    let in_dir = |d: &str, a: &Artifact| {
        a.path.strip_prefix(d).is_some_and(|rest| !rest.contains('/') && !rest.is_empty())
    };
    let mut f = Found { prefix: meta_dir.clone(), images_dir: dir.to_string(), ..Default::default() };
    let mut pages: BTreeMap<String, &Artifact> = BTreeMap::new();
    let read = |a: &Artifact, diags: &mut Vec<Diagnostic>| -> Option<Vec<u8>> {
        if a.size > MAX_DIR_IMAGE {
            diags.push(Diagnostic::error(
                a.locator(),
                format!("{} bytes: more than ctriage keeps of one checkpoint file; not read", a.size),
            ));
            return None;
        }
        let mut b = vec![];
        match a.open().and_then(|r| r.take(MAX_DIR_IMAGE).read_to_end(&mut b)) {
            Ok(_) => Some(b),
            Err(e) => {
                diags.push(Diagnostic::error(a.locator(), format!("cannot read: {e}")));
                None
            }
        }
    };
    for a in artifacts.iter().filter(|a| in_dir(dir, a)) {
        let base = a.path.rsplit('/').next().unwrap_or_default().to_string();
        if base.starts_with("pages-") && base.ends_with(".img") {
            f.pages.insert(base.clone(), a.size);
            pages.insert(base, a);
        } else if base.ends_with(".img") || base == "stats-dump" {
            if let Some(b) = read(a, &mut diags) {
                f.images.insert(base, b);
            }
        }
    }
    for a in artifacts.iter().filter(|a| in_dir(&meta_dir, a)) {
        let slot = match a.path.rsplit('/').next().unwrap_or_default() {
            "config.dump" => &mut f.meta.config,
            "spec.dump" => &mut f.meta.spec,
            "network.status" => &mut f.meta.network,
            "pod.dump" => &mut f.meta.pod,
            "deleted.files" => &mut f.deleted,
            "stats-dump" if !f.images.contains_key("stats-dump") => {
                if let Some(b) = read(a, &mut diags) {
                    f.images.insert("stats-dump".into(), b);
                }
                continue;
            }
            _ => continue,
        };
        *slot = read(a, &mut diags);
    }
    let image = |n: &str| Locator::artifact(format!("{dir}{n}"));
    let (d, dd) = dump::decode(&f.images, &image);
    diags.extend(dd);
    let mut memory = BTreeMap::new();
    for p in plans(&d, |file| pages.get(file).map(|a| a.size)) {
        let Some(a) = pages.get(&p.file) else { continue };
        match a.open() {
            Ok(mut r) => {
                let found = scan(&p, &mut r, engine, yara, &a.locator(), &mut diags);
                memory.insert(p.pid, found);
            }
            Err(e) => diags.push(Diagnostic::error(a.locator(), format!("cannot read: {e}"))),
        }
    }
    let meta_loc = |n: &str| Locator::artifact(format!("{meta_dir}{n}"));
    let capture =
        if dir.is_empty() { "CRIU images".to_string() } else { dir.trim_end_matches('/').to_string() };
    let places = Places { image: &image, meta: &meta_loc, capture };
    let o = observe_one(&f, &d, &memory, &places, &mut diags);
    (o, diags)
}

fn observe_one(
    f: &Found,
    d: &Dump,
    memory: &BTreeMap<u32, MemoryFound>,
    places: &Places,
    diags: &mut Vec<Diagnostic>,
) -> Observed {
    let container = meta::container(&f.meta, places.meta, diags);
    observe::observe(f, d, container, memory, places, diags)
}

fn join(out: &mut Observed, o: Observed) {
    match (&mut out.processes, o.processes) {
        (Some(mine), Some(theirs)) => mine.processes.extend(theirs.processes),
        (mine @ None, theirs) => *mine = theirs,
        _ => {}
    }
    out.findings.extend(o.findings);
    out.timeline.extend(o.timeline);
    out.containers.extend(o.containers);
}

/// How one task's pages are read: its pages image, layout and command line range.
struct Plan {
    pid: u32,
    file: String,
    layout: Layout,
    argv: (u64, u64),
}

fn plans(d: &Dump, size: impl Fn(&str) -> Option<u64>) -> Vec<Plan> {
    d.tasks
        .iter()
        .filter_map(|t| {
            let (id, map) = t.pagemap.as_ref()?;
            let file = format!("pages-{id}.img");
            let layout = Layout::new(map, size(&file));
            let argv = t.mm.as_ref().map_or((0, 0), |m| (m.arg_start, m.arg_end));
            Some(Plan { pid: t.pid(), file, layout, argv })
        })
        .collect()
}

/// One pass over a task's pages: its command line and the log engine's hits on the
/// pages' strings, with their indicators.
fn scan(
    p: &Plan,
    r: &mut dyn Read,
    engine: &Engine,
    yara: Option<&YaraRules>,
    loc: &Locator,
    diags: &mut Vec<Diagnostic>,
) -> MemoryFound {
    let (start, end) = p.argv;
    let wants = if end > start { p.layout.pieces(start, end) } else { vec![] };
    let mut hits: BTreeMap<usize, MemoryHit> = BTreeMap::new();
    let mut indicators: BTreeMap<crate::model::IocRef, u64> = BTreeMap::new();
    let scanned;
    let argv_bytes;
    let pages_kept: Option<(Vec<u8>, u64)>;
    {
        let mut on_string = |off: u64, s: &[u8]| {
            // The shapes a binary's strings hold only on purpose (see ioc::Source::Binary);
            // most strings have neither a colon nor the length of a wallet.
            if indicators.len() < MAX_INDICATORS && (s.contains(&b':') || s.len() >= 90) {
                let text = String::from_utf8_lossy(s);
                for mut i in crate::logscan::ioc::from_text(&text, crate::logscan::ioc::Source::Binary) {
                    // Memory holds every address a program talks to (its database, its
                    // peers): named, not a callback, unless the shape is a miner's own.
                    if !matches!(i.role, role::MINING_POOL | role::WALLET) {
                        i.role = role::MENTIONED;
                    }
                    if indicators.len() < MAX_INDICATORS {
                        indicators.entry(i).or_insert(off);
                    }
                }
            }
            for m in engine.evaluate(s) {
                let Some(rule) = engine.rules().get(m.rule) else { continue };
                // Signatures that mean something in a request only, or are the scan's own search terms.
                if matches!(
                    rule.kind.role,
                    Role::Request | Role::Scanner | Role::Pivot | Role::HostPivot | Role::Attempts
                ) {
                    continue;
                }
                if let Some(h) = hits.get_mut(&m.rule) {
                    h.count += 1;
                    continue;
                }
                if hits.len() >= MAX_RULES_PER_TASK {
                    continue;
                }
                let text = m.decoded.clone().unwrap_or_else(|| String::from_utf8_lossy(s).into_owned());
                let iocs = crate::logscan::ioc::extract(s, &text, m.jndi.as_ref(), &m.commands);
                hits.insert(
                    m.rule,
                    MemoryHit {
                        rule: rule.id.clone(),
                        title: rule.title.clone(),
                        category: rule.category.clone(),
                        severity: rule.severity,
                        attack: rule.attack.clone(),
                        offset: off,
                        vaddr: None,
                        excerpt: crate::model::excerpt(s, m.span.0, m.span.1, 200),
                        iocs,
                        count: 1,
                    },
                );
            }
        };
        let len = wants.iter().map(|w| w.2 + w.1).max().unwrap_or(0);
        let mut ps = PageScan::new(wants, len, &mut on_string);
        let mut tee = Tee { inner: r, kept: yara.map(|_| Vec::new()), seen: 0 };
        let read = ps.read(&mut tee, u64::MAX);
        pages_kept = tee.kept.take().map(|k| (k, tee.seen));
        match read {
            Ok(n) => scanned = n,
            Err(e) => {
                diags.push(Diagnostic::error(
                    loc.clone(),
                    format!("memory pages could not be read to their end: {e}"),
                ));
                scanned = 0;
            }
        }
        argv_bytes = std::mem::take(&mut ps.want_buf);
    }
    if scanned > 0 && scanned < p.layout.total() {
        diags.push(Diagnostic::warning(
            loc.clone(),
            format!(
                "the page map lists {} bytes of pages for pid {}, the pages image holds {scanned}",
                p.layout.total(),
                p.pid
            ),
        ));
    }
    let mut hits: Vec<MemoryHit> = hits.into_values().collect();
    for h in &mut hits {
        h.vaddr = p.layout.vaddr_of(h.offset);
    }
    hits.sort_by_key(|h| h.offset);
    let yara_hits = match (yara, pages_kept) {
        (Some(rules), Some((kept, seen))) => yara_pages(rules, &kept, seen)
            .into_iter()
            .map(|h| {
                let va = h.strings.first().and_then(|s| p.layout.vaddr_of(s.offset));
                (h, va)
            })
            .collect(),
        _ => vec![],
    };
    MemoryFound {
        argv: memory::argv_line(&argv_bytes),
        hits,
        yara: yara_hits,
        indicators: indicators.into_iter().collect(),
        pages_image: p.file.clone(),
    }
}

/// A reader that keeps the first [`crate::limits::YARA_MAX_FILE_BYTES`] of what passes (a
/// task's pages, for the YARA rules) and counts the rest.
struct Tee<'a> {
    inner: &'a mut dyn Read,
    kept: Option<Vec<u8>>,
    seen: u64,
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        if let Some(k) = &mut self.kept {
            let room = (crate::limits::YARA_MAX_FILE_BYTES as usize).saturating_sub(k.len());
            k.extend_from_slice(&buf[..n.min(room)]);
        }
        Ok(n)
    }
}

/// The YARA rules over a task's pages (its first [`crate::limits::YARA_MAX_FILE_BYTES`]):
/// offsets are in the pages file; `filename` and `filepath` are empty (memory has no path).
fn yara_pages(rules: &YaraRules, kept: &[u8], seen: u64) -> Vec<crate::yara::YaraHit> {
    rules.scan(kept, seen, &crate::yara::Externals::default())
}
