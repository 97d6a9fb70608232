//! Rebuilding the images of a damaged image archive whose own listing (`manifest.json`,
//! `index.json`) is missing, cut or unusable: a `docker save` cut short loses its listing
//! first, since the listing is written last. What survived is put back together. OCI
//! manifests and image configs are found by content (JSON blobs; a config has
//! `rootfs.diff_ids`, its sha256 is checked against its name as for any image). Layers are
//! matched to a config's diff_ids by the sha256 of their decoded content; a layer the cut fell
//! in (no full content to hash) by its content-addressed name, by the `<id>/json` parent links
//! of the v1 files, or, when exactly one slot and one cut layer are left, by elimination.
//! Without a config the `<id>/json` parent chains order the layers (the top json carries the
//! container config); with neither, the layers left are taken in tar order, said so. One
//! warning per archive tells what was recovered and what is missing; the images go through the
//! same analysis as intact ones.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::archive::Archive;
use super::layout::{self, digest_in_name, OciArtifact};
use super::legacy;
use super::spec::{ImageSpec, LayerRef};
use crate::content::Inspector;
use crate::layerscan::LayerScan;
use crate::model::{display_bytes, DiagLevel, Diagnostic};

/// Parent links followed before giving up (a loop, or a hostile chain).
const MAX_CHAIN: usize = 4096;

/// Said of images rebuilt from `<id>/json` files alone.
const NO_CONFIG: &str =
    "no image config survived: history from the <id>/json files, nothing to verify the layers against";

/// What recovery rebuilt.
#[derive(Default)]
pub(super) struct Recovery {
    /// Each image: its spec and the member each layer resolves to (None: missing).
    pub images: Vec<(ImageSpec, Vec<Option<Vec<u8>>>)>,
    /// Every layer member read, by name.
    pub scans: BTreeMap<Vec<u8>, Arc<LayerScan>>,
    pub artifacts: Vec<OciArtifact>,
    pub diagnostics: Vec<Diagnostic>,
    /// Images rebuilt from an OCI manifest or an image config (not only from `<id>/json`
    /// chains or tar order).
    pub from_config: usize,
}

/// Whether the archive's images must be rebuilt: its listing gave no image (and no OCI
/// artifact), or a save made since Docker 1.10 lost its `manifest.json` but kept its
/// `repositories` (read as a pre-1.10 save otherwise) and has a content-addressed config.
pub(crate) fn needed(a: &Archive, specs: &[ImageSpec], artifacts: usize) -> bool {
    if a.is_dir() {
        return false;
    }
    if specs.is_empty() {
        return artifacts == 0;
    }
    let hex_json = a
        .members_in_order()
        .iter()
        .any(|(n, _)| !n.contains(&b'/') && n.ends_with(b".json") && digest_in_name(n).is_some());
    !a.has(b"manifest.json") && specs.iter().all(|s| s.layout == legacy::LAYOUT) && hex_json
}

/// Whether the archive holds a `manifest.json` or `index.json` read to its end (so what is
/// wrong with the listing is its content, not a cut).
pub(crate) fn listing_whole(a: &Archive) -> bool {
    [&b"manifest.json"[..], b"index.json"].iter().any(|n| a.member(n).is_some_and(|m| !m.is_cut()))
}

/// A v1 layer json's id, from a member named `<id>/json`.
fn v1_json_id(name: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(name).ok()?;
    let (id, rest) = s.split_once('/')?;
    (rest == "json" && legacy::valid_id(id) && id != "blobs").then(|| id.to_string())
}

/// What the metadata members that survived say.
#[derive(Default)]
struct Found {
    /// v1 id -> (parent, the json).
    v1: BTreeMap<String, (Option<String>, Value)>,
    /// Image configs: (member, diff_ids), in tar order.
    configs: Vec<(Vec<u8>, Vec<String>)>,
    /// Digests of OCI manifests and indexes found by content (indexes first).
    manifests: Vec<String>,
    /// `repositories`: top layer id (or blob hex) -> `repo:tag`.
    tags: BTreeMap<String, Vec<String>>,
    /// Metadata members that could not be read or parsed.
    unreadable: Vec<Vec<u8>>,
}

fn gather(a: &Archive, meta: &[Vec<u8>]) -> Found {
    let mut f = Found::default();
    let mut indexes = vec![];
    let mut manifests = vec![];
    for name in meta {
        match name.as_slice() {
            b"manifest.json" | b"index.json" | b"oci-layout" => continue,
            b"repositories" => {
                if let Some(Value::Object(repos)) =
                    a.read_small(name).ok().and_then(|b| serde_json::from_slice(&b).ok())
                {
                    for (repo, tags) in &repos {
                        for (tag, id) in tags.as_object().into_iter().flatten() {
                            if let Some(id) = id.as_str() {
                                f.tags.entry(id.to_string()).or_default().push(format!("{repo}:{tag}"));
                            }
                        }
                    }
                }
                continue;
            }
            n if n.ends_with(b"/VERSION") => continue,
            _ => {}
        }
        let parsed = a.read_small(name).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let Some(v) = parsed.filter(Value::is_object) else {
            f.unreadable.push(name.clone());
            continue;
        };
        if let Some(id) = v1_json_id(name) {
            let parent = v.get("parent").and_then(Value::as_str).filter(|p| !p.is_empty()).map(String::from);
            f.v1.insert(id, (parent, v));
        } else if let Some(ids) = v.get("rootfs").and_then(|r| r.get("diff_ids")).and_then(Value::as_array) {
            let ids = ids.iter().filter_map(|x| x.as_str().map(String::from)).collect();
            f.configs.push((name.clone(), ids));
        } else if let Some(d) = digest_in_name(name).filter(|_| name.starts_with(b"blobs/")) {
            if v.get("manifests").is_some_and(Value::is_array) {
                indexes.push(d);
            } else if v.get("config").and_then(|c| c.get("digest")).is_some()
                && v.get("layers").is_some_and(Value::is_array)
            {
                manifests.push(d);
            }
        }
    }
    indexes.extend(manifests);
    f.manifests = indexes;
    f
}

/// One layer blob that could fill a config's slot.
#[derive(Clone, Debug, Default)]
struct Cand {
    /// Resolved member name (for an absent v1 layer: `<id>/layer.tar`).
    member: Vec<u8>,
    /// In the archive (a v1 json can name a `layer.tar` the cut took).
    present: bool,
    /// diff_id of a layer read to its end.
    diff_id: Option<String>,
    /// Read to its end.
    complete: bool,
    /// Digest in a content-addressed name (`blobs/sha256/<hex>`, `<hex>.tar`).
    name_digest: Option<String>,
    /// v1 ids whose `<id>/layer.tar` is this member.
    v1: Vec<String>,
    /// Entries read.
    entries: usize,
}

/// How a slot was filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
enum How {
    /// The sha256 of the decoded layer equals the diff_id.
    Content,
    /// The member is named by the diff_id.
    Name,
    /// Its `<id>/json` names the layer below as parent.
    Parent,
    /// The one slot left and the one cut layer left.
    Elimination,
}

/// Each [`How`], in words (in its order).
const HOW: [&str; 4] = [
    "by the sha256 of the content",
    "by the content-addressed name",
    "by the <id>/json parent links",
    "by elimination (the one cut layer left for the one slot left)",
];

/// Fill a config's slots (`diff_ids`) from the candidates; `elsewhere`: candidates other
/// images took (only matching by content may share them: images share base layers).
fn match_slots(
    diff_ids: &[String],
    cands: &[Cand],
    parents: &BTreeMap<String, Option<String>>,
    elsewhere: &BTreeSet<usize>,
) -> Vec<Option<(usize, How)>> {
    let mut slots: Vec<Option<(usize, How)>> = vec![None; diff_ids.len()];
    let used = |slots: &[Option<(usize, How)>], c: usize| slots.iter().flatten().any(|(x, _)| *x == c);
    for (i, d) in diff_ids.iter().enumerate() {
        slots[i] = cands.iter().position(|c| c.diff_id.as_deref() == Some(d)).map(|c| (c, How::Content));
    }
    for (i, d) in diff_ids.iter().enumerate() {
        if slots[i].is_none() {
            slots[i] = (0..cands.len())
                .find(|&c| cands[c].present && cands[c].name_digest.as_deref() == Some(d) && !used(&slots, c))
                .map(|c| (c, How::Name));
        }
    }
    let known: BTreeSet<&String> = diff_ids.iter().collect();
    for i in 0..diff_ids.len() {
        if slots[i].is_some() {
            continue;
        }
        // The v1 ids of the layer below (none for the bottom slot: a root has no parent).
        let below: Option<Vec<&String>> = match i {
            0 => Some(vec![]),
            _ => slots[i - 1].map(|(c, _)| cands[c].v1.iter().collect()),
        };
        let Some(below) = below else { continue };
        let fits: Vec<usize> = (0..cands.len())
            .filter(|&c| !used(&slots, c) && !elsewhere.contains(&c))
            .filter(|&c| cands[c].diff_id.as_ref().is_none_or(|d| !known.contains(d)))
            .filter(|&c| {
                cands[c].v1.iter().any(|id| match parents.get(id) {
                    Some(Some(p)) => below.contains(&p),
                    Some(None) => i == 0,
                    None => false,
                })
            })
            .collect();
        if let [c] = fits.as_slice() {
            slots[i] = Some((*c, How::Parent));
        }
    }
    let open: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].is_none()).collect();
    if let [i] = open.as_slice() {
        let left: Vec<usize> = (0..cands.len())
            .filter(|&c| {
                cands[c].present && !cands[c].complete && !used(&slots, c) && !elsewhere.contains(&c)
            })
            .collect();
        if let [c] = left.as_slice() {
            slots[*i] = Some((*c, How::Elimination));
        }
    }
    slots
}

/// A v1 parent chain, root first.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Chain {
    ids: Vec<String>,
    /// The parent the bottom json names but the archive does not hold.
    missing_parent: Option<String>,
    /// The links loop (or run longer than any image).
    looped: bool,
}

/// Every chain from a top (an id no other names as parent) down to its root.
fn chains(parents: &BTreeMap<String, Option<String>>) -> Vec<Chain> {
    let referenced: BTreeSet<&String> = parents.values().flatten().collect();
    let mut out = vec![];
    for top in parents.keys().filter(|id| !referenced.contains(id)) {
        let mut chain = Chain { ids: vec![], missing_parent: None, looped: false };
        let mut seen = BTreeSet::new();
        let mut cur = Some(top.clone());
        while let Some(id) = cur.take() {
            if !seen.insert(id.clone()) || chain.ids.len() >= MAX_CHAIN {
                chain.looped = true;
                break;
            }
            match parents.get(&id) {
                Some(p) => {
                    chain.ids.push(id);
                    cur = p.clone();
                }
                None => chain.missing_parent = Some(id),
            }
        }
        chain.ids.reverse();
        out.push(chain);
    }
    out
}

/// The archive's layout name for rebuilt images.
fn layout_name(a: &Archive) -> &'static str {
    let all = a.members_in_order();
    let v1 = all.iter().any(|(n, _)| v1_json_id(n).is_some() || n.ends_with(b"/layer.tar"));
    let blobs = all.iter().any(|(n, _)| n.starts_with(b"blobs/"));
    match (blobs && !v1, a.has(b"manifest.json") || a.has(b"repositories")) {
        (true, true) => "docker-save-oci",
        (true, false) => "oci-archive",
        (false, _) => "docker-save",
    }
}

/// What is wrong with the archive's listing, e.g. `manifest.json cut at byte 112 of 524 (the
/// archive ends at byte 166000)`.
fn why(a: &Archive, listing: &[Diagnostic]) -> String {
    let mut parts = vec![];
    for name in ["manifest.json", "index.json"] {
        match a.member(name.as_bytes()) {
            Some(m) if m.is_cut() => parts.push(format!("{name} cut at byte {} of {}", m.present, m.size)),
            Some(_) => {
                let reason = listing
                    .iter()
                    .find(|d| {
                        d.level == DiagLevel::Error && d.locator.members.last().is_some_and(|m| m == name)
                    })
                    .map(|d| format!(": {}", d.message))
                    .unwrap_or_default();
                parts.push(format!("{name} unusable{reason}"))
            }
            None => {}
        }
    }
    if parts.is_empty() {
        let oci = a.members_in_order().iter().any(|(n, _)| n.starts_with(b"blobs/"));
        parts.push(if oci { "index.json and manifest.json missing" } else { "manifest.json missing" }.into());
    }
    let mut s = parts.join(", ");
    match &a.cut {
        // The cut falls in the listing itself: already said.
        Some(c) if c.inside.as_deref().is_some_and(|m| m == b"manifest.json" || m == b"index.json") => s
            .push_str(&format!(
                " (the archive ends at byte {}{})",
                c.at,
                if c.decoded { " of its decoded tar" } else { "" }
            )),
        Some(c) => s.push_str(&format!(" ({})", c.describe(a))),
        None => {}
    }
    s
}

/// `n layers` / `1 layer`.
fn layers(n: usize) -> String {
    format!("{n} layer{}", if n == 1 { "" } else { "s" })
}

/// Rebuilds the images of an archive whose listing failed (`listing`: what it said).
pub(crate) fn recover(arch: &mut Archive, inspector: &Inspector, listing: &[Diagnostic]) -> Recovery {
    let (meta, layer_names) = arch.split_members();
    let scans: BTreeMap<Vec<u8>, Arc<LayerScan>> =
        arch.scan_layers(&layer_names, inspector).into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
    let a: &Archive = arch;
    let found = gather(a, &meta);
    let why = why(a, listing);
    let mut rec = Recovery { scans, ..Default::default() };

    // Candidates: every layer member, then the v1 layers the cut took.
    let mut v1_of: BTreeMap<Vec<u8>, Vec<String>> = BTreeMap::new();
    let mut absent: Vec<(Vec<u8>, String)> = vec![];
    for id in found.v1.keys() {
        let name = format!("{id}/layer.tar").into_bytes();
        match a.resolve(&name) {
            Ok((real, _)) => v1_of.entry(real).or_default().push(id.clone()),
            Err(_) => absent.push((name, id.clone())),
        }
    }
    let mut cands: Vec<Cand> = layer_names
        .iter()
        .map(|n| {
            let s = rec.scans.get(n);
            Cand {
                member: n.clone(),
                present: true,
                diff_id: s.filter(|s| s.complete).and_then(|s| s.diff_id.clone()),
                complete: s.is_some_and(|s| s.complete),
                name_digest: digest_in_name(n),
                v1: v1_of.get(n).cloned().unwrap_or_default(),
                entries: s.map_or(0, |s| s.entries.len()),
            }
        })
        .collect();
    cands.extend(absent.into_iter().map(|(member, id)| Cand { member, v1: vec![id], ..Default::default() }));
    let parents: BTreeMap<String, Option<String>> =
        found.v1.iter().map(|(id, (p, _))| (id.clone(), p.clone())).collect();
    let layout = layout_name(a);
    let tags_for = |c: Option<&Cand>| -> Vec<String> {
        let Some(c) = c else { return vec![] };
        let hex = digest_in_name(&c.member).map(|d| d.trim_start_matches("sha256:").to_string());
        c.v1.iter().chain(hex.as_ref()).filter_map(|k| found.tags.get(k)).flatten().cloned().collect()
    };
    let mut taken: BTreeSet<usize> = BTreeSet::new();
    let mut used_configs: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut summaries: Vec<String> = vec![];
    // Notes on each image's layers: which are cut, which are missing.
    let mut finish = |mut spec: ImageSpec,
                      members: Vec<Option<Vec<u8>>>,
                      source: String,
                      mut details: Vec<String>,
                      own: Option<&str>,
                      rec: &mut Recovery| {
        let mut present = 0;
        for (i, (m, l)) in members.iter().zip(&spec.layers).enumerate() {
            match m {
                Some(m) => {
                    present += 1;
                    if a.member(m).is_some_and(|x| x.is_cut()) {
                        details.push(format!("layer {i} (`{}`) is cut", display_bytes(m)));
                    }
                }
                None => details.push(format!("layer {i} (`{}`) is missing", display_bytes(&l.member))),
            }
        }
        let mut text = format!("{} from {source}", layers(present));
        if present != members.len() {
            text = format!("{present} of {} from {source}", layers(members.len()));
        }
        if !details.is_empty() {
            text.push_str(&format!(" ({})", details.join("; ")));
        }
        let mut mine = format!("{why}; recovered {text}");
        if let Some(own) = own {
            mine.push_str(&format!("; {own}"));
        }
        spec.recovered = Some(mine);
        summaries.push(text);
        rec.images.push((spec, members));
    };

    // 1. OCI manifests found by content: the exact layer order and digests.
    if !found.manifests.is_empty() {
        let listing = layout::list_found(a, &found.manifests, "manifests found by content");
        rec.artifacts = listing.artifacts;
        rec.diagnostics.extend(listing.diagnostics);
        for mut spec in listing.images {
            used_configs.insert(spec.config_member.clone());
            let mut members = vec![];
            for l in &spec.layers {
                let real = a.resolve(&l.member).ok().map(|(r, _)| r);
                if let Some(c) = real.as_ref().and_then(|r| cands.iter().position(|c| &c.member == r)) {
                    taken.insert(c);
                }
                members.push(real);
            }
            spec.layout = layout;
            if spec.repo_tags.is_empty() {
                let top = members.iter().flatten().last().and_then(|m| cands.iter().find(|c| &c.member == m));
                spec.repo_tags = tags_for(top);
            }
            let source = format!(
                "manifest {} and config `{}`, found by content",
                spec.manifest_digest.as_deref().unwrap_or("?"),
                display_bytes(&spec.config_member)
            );
            rec.from_config += 1;
            finish(spec, members, source, vec![], None, &mut rec);
        }
    }

    // 2. Image configs found by content: layers matched to their diff_ids.
    for (config, diff_ids) in &found.configs {
        if used_configs.contains(config) {
            continue;
        }
        let slots = match_slots(diff_ids, &cands, &parents, &taken);
        let mut refs = vec![];
        let mut members = vec![];
        let mut by = [0usize; 4];
        let mut chain_used = false;
        for (i, slot) in slots.iter().enumerate() {
            match slot {
                Some((c, how)) => {
                    taken.insert(*c);
                    let cand = &cands[*c];
                    chain_used |= !cand.v1.is_empty();
                    by[*how as usize] += 1;
                    refs.push(LayerRef {
                        member: cand.member.clone(),
                        name_digest: cand.name_digest.clone(),
                        ..Default::default()
                    });
                    members.push(cand.present.then(|| cand.member.clone()));
                }
                None => {
                    refs.push(LayerRef {
                        member: format!("diff_id {}", diff_ids[i]).into_bytes(),
                        ..Default::default()
                    });
                    members.push(None);
                }
            }
        }
        // The config's order against the parent links, where both are known.
        let mut disagree = vec![];
        for i in 1..slots.len() {
            if let (Some((lo, _)), Some((up, _))) = (slots[i - 1], slots[i]) {
                let (lo, up) = (&cands[lo].v1, &cands[up].v1);
                let linked = up
                    .iter()
                    .any(|id| parents.get(id).is_some_and(|p| p.as_ref().is_some_and(|p| lo.contains(p))));
                if !lo.is_empty() && !up.is_empty() && !linked {
                    disagree.push(i.to_string());
                }
            }
        }
        let mut details: Vec<String> = vec![];
        let ways: Vec<(usize, &str)> =
            by.iter().zip(HOW).filter(|(n, _)| **n > 0).map(|(n, h)| (*n, h)).collect();
        match ways.as_slice() {
            [] => {}
            [(_, how)] => details.push(format!("matched to the config's diff_ids {how}")),
            _ => {
                let how: Vec<String> = ways.iter().map(|(n, how)| format!("{n} {how}")).collect();
                details.push(format!("matched to the config's diff_ids: {}", how.join(", ")));
            }
        }
        if !disagree.is_empty() {
            details.push(format!(
                "the <id>/json parent links disagree with the config's order at layer(s) {}; the config's order is kept",
                disagree.join(", ")
            ));
        }
        let source = if chain_used {
            format!("the <id>/json chain and config `{}`", display_bytes(config))
        } else {
            format!("config `{}`", display_bytes(config))
        };
        let top = slots.iter().flatten().last().map(|(c, _)| &cands[*c]);
        let spec = ImageSpec {
            layout,
            listed_in: format!("recovered: config {}", display_bytes(config)),
            repo_tags: tags_for(top),
            config_member: config.clone(),
            config_digest: digest_in_name(config),
            layers: refs,
            ..Default::default()
        };
        rec.from_config += 1;
        finish(spec, members, source, details, None, &mut rec);
    }

    // 3. `<id>/json` parent chains no config placed: one image per top.
    let mut chains_only = 0;
    let cand_of = |id: &str| cands.iter().position(|c| c.v1.iter().any(|x| x == id));
    for chain in chains(&parents) {
        let Some(top) = chain.ids.last() else { continue };
        if cand_of(top).is_some_and(|c| taken.contains(&c)) {
            continue;
        }
        let mut refs = vec![];
        let mut members = vec![];
        let mut history = vec![];
        for id in &chain.ids {
            let c = cand_of(id);
            if let Some(c) = c {
                taken.insert(c);
            }
            let cand = c.map(|c| &cands[c]);
            refs.push(LayerRef {
                member: cand.map_or_else(|| format!("{id}/layer.tar").into_bytes(), |c| c.member.clone()),
                ..Default::default()
            });
            members.push(cand.filter(|c| c.present).map(|c| c.member.clone()));
            history.extend(found.v1.get(id).map(|(_, v)| legacy::step(v)));
        }
        let mut details = vec![];
        if let Some(p) = &chain.missing_parent {
            details.push(format!(
                "its bottom layer's parent {p} is not in the archive: the layers below it are missing"
            ));
        }
        if chain.looped {
            details.push("the parent links loop; the chain is cut there".into());
        }
        let spec = ImageSpec {
            layout,
            listed_in: format!("recovered: <id>/json chain from {top}"),
            repo_tags: tags_for(cand_of(top).map(|c| &cands[c])),
            config_member: format!("{top}/json").into_bytes(),
            layers: refs,
            history: Some(history),
            ..Default::default()
        };
        finish(spec, members, format!("the <id>/json chain from {top}"), details, Some(NO_CONFIG), &mut rec);
        chains_only += 1;
    }

    // 4. Layers nothing names: tar order.
    let left: Vec<usize> = (0..cands.len())
        .filter(|&c| cands[c].present && !taken.contains(&c) && cands[c].entries > 0)
        .collect();
    if !left.is_empty() {
        let refs = left
            .iter()
            .map(|&c| LayerRef {
                member: cands[c].member.clone(),
                name_digest: cands[c].name_digest.clone(),
                ..Default::default()
            })
            .collect();
        let members = left.iter().map(|&c| Some(cands[c].member.clone())).collect();
        let spec = ImageSpec {
            layout,
            listed_in: "recovered: layers in tar order".into(),
            layers: refs,
            ..Default::default()
        };
        finish(
            spec,
            members,
            "the layer blobs no config or <id>/json names, in tar order".into(),
            vec!["their order is a guess: whiteouts and changes between them may be wrong".into()],
            None,
            &mut rec,
        );
    }

    let loc = a.whole_locator();
    if rec.images.is_empty() {
        // The listing's own diagnostics say why there is no image; a cut archive says more.
        if a.cut.is_some() {
            rec.diagnostics.push(Diagnostic::error(
                loc,
                format!("{why}; nothing could be recovered: no layer survived"),
            ));
        }
        return rec;
    }
    let mut msg = format!("{why}; recovered {}", summaries.join("; "));
    if chains_only > 0 && rec.from_config == 0 {
        msg.push_str(&format!("; {NO_CONFIG}"));
    }
    let unreadable: Vec<String> = found
        .unreadable
        .iter()
        .filter(|n| a.cut.as_ref().and_then(|c| c.inside.as_ref()) != Some(*n))
        .map(|n| format!("`{}`", display_bytes(n)))
        .collect();
    if !unreadable.is_empty() {
        msg.push_str(&format!("; unreadable metadata: {}", unreadable.join(", ")));
    }
    rec.diagnostics.push(Diagnostic::warning(loc, msg));
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parents(links: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        links.iter().map(|(id, p)| (id.to_string(), p.map(String::from))).collect()
    }

    #[test]
    fn chains_follow_parents_from_each_top() {
        let p = parents(&[("c", Some("b")), ("b", Some("a")), ("a", None), ("d", Some("b"))]);
        let got = chains(&p);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].ids, ["a", "b", "c"]);
        assert_eq!(got[1].ids, ["a", "b", "d"]);
        assert!(got.iter().all(|c| c.missing_parent.is_none() && !c.looped));
    }

    #[test]
    fn chains_stop_at_a_missing_parent_and_at_loops() {
        // The cut took `a`: `b` names it but it is not there.
        let got = chains(&parents(&[("c", Some("b")), ("b", Some("a"))]));
        assert_eq!(
            got,
            [Chain { ids: vec!["b".into(), "c".into()], missing_parent: Some("a".into()), looped: false }]
        );
        // Two fragments (the cut took the config and the layers between): two chains.
        let got = chains(&parents(&[("x", Some("gone1")), ("y", Some("gone2"))]));
        assert_eq!(got.len(), 2);
        // A loop below a top.
        let got = chains(&parents(&[("t", Some("a")), ("a", Some("b")), ("b", Some("a"))]));
        assert_eq!(got.len(), 1);
        assert!(got[0].looped);
        assert_eq!(got[0].ids, ["b", "a", "t"]);
        // A pure loop has no top: nothing to follow.
        assert!(chains(&parents(&[("a", Some("b")), ("b", Some("a"))])).is_empty());
    }

    fn cand(member: &str, diff_id: Option<&str>, v1: &[&str]) -> Cand {
        Cand {
            member: member.as_bytes().to_vec(),
            present: true,
            diff_id: diff_id.map(String::from),
            complete: diff_id.is_some(),
            name_digest: digest_in_name(member.as_bytes()),
            v1: v1.iter().map(|s| s.to_string()).collect(),
            entries: 1,
        }
    }

    #[test]
    fn slots_by_content_then_parent_link_for_the_cut_layer() {
        let ids: Vec<String> = ["sha256:d0", "sha256:d1", "sha256:d2"].map(String::from).to_vec();
        // Tar order is not layer order; the top layer is cut (no diff_id).
        let cands = vec![
            cand("b/layer.tar", Some("sha256:d1"), &["b"]),
            cand("c/layer.tar", None, &["c"]),
            cand("a/layer.tar", Some("sha256:d0"), &["a"]),
        ];
        let p = parents(&[("a", None), ("b", Some("a")), ("c", Some("b"))]);
        let got = match_slots(&ids, &cands, &p, &BTreeSet::new());
        assert_eq!(got, [Some((2, How::Content)), Some((0, How::Content)), Some((1, How::Parent))]);
        // Without the v1 links the one cut layer fills the one open slot by elimination.
        let bare: Vec<Cand> = cands.iter().cloned().map(|c| Cand { v1: vec![], ..c }).collect();
        let got = match_slots(&ids, &bare, &BTreeMap::new(), &BTreeSet::new());
        assert_eq!(got[2], Some((1, How::Elimination)));
        // Taken by another image: not placed by elimination.
        let got = match_slots(&ids, &bare, &BTreeMap::new(), &BTreeSet::from([1]));
        assert_eq!(got[2], None);
    }

    #[test]
    fn slots_by_name_and_missing_layers_stay_open() {
        let h = "e".repeat(64);
        let ids = vec!["sha256:d0".to_string(), format!("sha256:{h}"), "sha256:d2".to_string()];
        let cands = vec![
            cand("blobs/sha256/x0", Some("sha256:d0"), &[]),
            cand(&format!("blobs/sha256/{h}"), None, &[]),
        ];
        let got = match_slots(&ids, &cands, &BTreeMap::new(), &BTreeSet::new());
        assert_eq!(got, [Some((0, How::Content)), Some((1, How::Name)), None]);
        // A v1 layer the cut took is placed (as absent) by its parent link.
        let cands = vec![
            cand("a/layer.tar", Some("sha256:d0"), &["a"]),
            Cand { member: b"b/layer.tar".to_vec(), v1: vec!["b".into()], ..Default::default() },
        ];
        let p = parents(&[("a", None), ("b", Some("a"))]);
        let got = match_slots(&ids[..2], &cands, &p, &BTreeSet::new());
        assert_eq!(got, [Some((0, How::Content)), Some((1, How::Parent))]);
        // Two children of the same parent: ambiguous, left open.
        let cands = vec![
            cand("a/layer.tar", Some("sha256:d0"), &["a"]),
            cand("b/layer.tar", None, &["b"]),
            cand("c/layer.tar", None, &["c"]),
        ];
        let p = parents(&[("a", None), ("b", Some("a")), ("c", Some("a"))]);
        let got = match_slots(&ids[..2], &cands, &p, &BTreeSet::new());
        assert_eq!(got[1], None);
    }

    #[test]
    fn v1_json_names() {
        let id = "a".repeat(64);
        assert_eq!(v1_json_id(format!("{id}/json").as_bytes()), Some(id.clone()));
        assert_eq!(v1_json_id(format!("{id}/layer.tar").as_bytes()), None);
        assert_eq!(v1_json_id(b"../json"), None);
        assert_eq!(v1_json_id(format!("{id}.json").as_bytes()), None);
    }
}
