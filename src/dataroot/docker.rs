//! Docker's data root (`/var/lib/docker`) read offline: `image/<driver>/repositories.json`,
//! `imagedb/content` (image configs), `layerdb/sha256/<chain>/{diff,cache-id,size}` (layer
//! chains), `layerdb/mounts/<container>/{mount-id,init-id}`, the pre-1.10 `graph/` layout,
//! and per container its read-write and `-init` layers, logs and volumes. Layer content
//! comes from the driver directories (overlay2, overlay, aufs, vfs, btrfs) already read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use super::index::{
    DriverBasis, MountUse, RootContainerInfo, RootImageInfo, RootIndex, RootLayerInfo, VolumeInfo,
};
use super::intake::Trees;
use super::layout::is_layer_id;
use super::layout::Files;
use crate::dataroot::rooted::{RootContainer, RootImage, RootLayer, Rooted};
use crate::digest::{sha256_digest, Check};
use crate::evidence::Artifact;
use crate::ingest::inspect::ContainerInfo;
use crate::model::{Diagnostic, Locator};

/// Metadata files read whole are at most this big (image configs, repositories.json).
const MAX_META: u64 = 16 << 20;

/// Docker data roots among the bundle's artifact paths: the prefixes holding `image/<driver>/`,
/// `containers/<id>/config*.json` or `graph/<id>/json`.
pub(crate) fn roots(artifacts: &[Artifact]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for a in artifacts {
        let p = a.path.as_str();
        let comps: Vec<&str> = p.split('/').collect();
        for i in 0..comps.len() {
            let prefix = || {
                let s = comps[..i].join("/");
                if s.is_empty() {
                    s
                } else {
                    format!("{s}/")
                }
            };
            let rest = &comps[i..];
            let hit = match rest {
                ["image", _, "repositories.json"] => true,
                ["image", _, "imagedb", "content", "sha256", _] => true,
                ["containers", id, f]
                    if is_layer_id(id) && (*f == "config.v2.json" || *f == "config.json") =>
                {
                    true
                }
                ["graph", id, "json"] if is_layer_id(id) => true,
                _ => false,
            };
            if hit {
                out.insert(prefix());
                break;
            }
        }
    }
    // A root inside another root's layer is content of that layer, not a root of the bundle.
    let all: Vec<String> = out.iter().cloned().collect();
    out.into_iter()
        .filter(|r| !all.iter().any(|o| o != r && r.starts_with(o.as_str()) && o.len() < r.len()))
        .collect()
}

pub(super) fn read_small(a: &Artifact) -> Result<Vec<u8>, String> {
    let mut v = vec![];
    a.open().map_err(|e| e.to_string())?.take(MAX_META + 1).read_to_end(&mut v).map_err(|e| e.to_string())?;
    if v.len() as u64 > MAX_META {
        return Err(format!("larger than {MAX_META} bytes"));
    }
    Ok(v)
}

fn read_text(files: &Files, path: &str) -> Option<String> {
    files.get(path).and_then(|a| read_small(a).ok()).map(|v| String::from_utf8_lossy(&v).trim().to_string())
}

fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(parent) => sha256_digest(format!("{parent} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// The driver directory of a layer id.
fn driver_dir(root: &str, driver: &str, id: &str) -> String {
    match driver {
        "aufs" => format!("{root}aufs/diff/{id}"),
        "vfs" => format!("{root}vfs/dir/{id}"),
        "btrfs" => format!("{root}btrfs/subvolumes/{id}"),
        d => format!("{root}{d}/{id}"),
    }
}

/// Read one Docker data root at `root` (a prefix of the bundle's paths).
pub(crate) fn read(
    root: &str,
    artifacts: &[Artifact],
    trees: &Trees,
    containers: &[ContainerInfo],
    diags: &mut Vec<Diagnostic>,
) -> (RootIndex, Rooted) {
    let files = super::layout::files_under(root, artifacts);
    let mut info = RootIndex {
        root: root.trim_end_matches('/').to_string(),
        layout: "image/<driver>",
        ..Default::default()
    };
    let mut rooted = Rooted::default();
    let drivers: BTreeSet<&str> = files
        .keys()
        .filter_map(|p| p.strip_prefix("image/"))
        .filter_map(|p| p.split_once('/').map(|(d, _)| d))
        .collect();
    info.drivers = drivers.iter().map(|d| d.to_string()).collect();
    let loc = |p: &str| Locator::artifact(format!("{root}{p}"));
    for driver in &drivers {
        let base = format!("image/{driver}/");
        // repositories.json: {"Repositories": {"busybox": {"busybox:latest": "sha256:..."}}}
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let repo_path = format!("{base}repositories.json");
        if let Some(a) = files.get(repo_path.as_str()) {
            match read_small(a).map(|v| serde_json::from_slice::<serde_json::Value>(&v)) {
                Ok(Ok(v)) => {
                    if let Some(repos) = v.get("Repositories").and_then(|r| r.as_object()) {
                        for refs in repos.values().filter_map(|r| r.as_object()) {
                            for (name, id) in refs {
                                if let Some(id) = id.as_str() {
                                    tags.entry(id.to_string()).or_default().push(name.clone());
                                }
                            }
                        }
                    }
                }
                Ok(Err(e)) => diags.push(Diagnostic::error(
                    loc(&repo_path),
                    format!("repositories.json is not valid JSON: {e}"),
                )),
                Err(e) => diags.push(Diagnostic::error(loc(&repo_path), format!("cannot read: {e}"))),
            }
        }
        let content_prefix = format!("{base}imagedb/content/sha256/");
        for (p, a) in files.range_from(&content_prefix) {
            let Some(hexid) = p.strip_prefix(content_prefix.as_str()) else { break };
            if hexid.contains('/') || hexid.len() != 64 {
                continue;
            }
            let id = format!("sha256:{hexid}");
            let config = match read_small(a) {
                Ok(v) => v,
                Err(e) => {
                    diags.push(Diagnostic::error(a.locator(), format!("cannot read image config: {e}")));
                    continue;
                }
            };
            let diff_ids: Vec<String> = serde_json::from_slice::<serde_json::Value>(&config)
                .ok()
                .and_then(|v| v.pointer("/rootfs/diff_ids").and_then(|d| d.as_array()).cloned())
                .map(|d| d.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default();
            let mut img_tags = tags.remove(&id).unwrap_or_default();
            img_tags.sort();
            let mut layers = vec![];
            let mut linfo = vec![];
            for (diff, chain) in diff_ids.iter().zip(chain_ids(&diff_ids)) {
                let chex = chain.strip_prefix("sha256:").unwrap_or(&chain);
                let ldb = format!("{base}layerdb/sha256/{chex}/");
                let cache = read_text(&files, &format!("{ldb}cache-id"));
                let stored_diff = read_text(&files, &format!("{ldb}diff"));
                if cache.is_none() {
                    diags.push(Diagnostic::warning(
                        loc(&format!("{ldb}cache-id")),
                        format!("image {id}: layer {chain} has no cache-id in the layer store: its directory is unknown"),
                    ));
                }
                let dir = cache.as_deref().map(|c| driver_dir(root, driver, c));
                let scan = dir.as_ref().and_then(|d| trees.scans.get(d)).cloned();
                if let (Some(d), None) = (&dir, &scan) {
                    diags.push(Diagnostic::warning(
                        Locator::artifact(d.clone()),
                        format!("image {id}: layer directory of {chain} is not in the evidence"),
                    ));
                }
                // The layer store's tar-split replayed over the directory on disk.
                let (content_check, rebuilt) = match (
                    files.get(format!("{ldb}tar-split.json.gz").as_str()),
                    dir.as_ref().and_then(|d| trees.dirs.get(d)),
                ) {
                    (Some(split), Some((_, c))) => {
                        // From the directory on disk, or from the members of the root's tar.
                        let on_disk = c.disk.as_ref().map(|d| d.join(c.content.as_deref().unwrap_or("")));
                        let content = match (&on_disk, &c.members) {
                            (Some(d), _) => Some(super::tarsplit::Content::Dir(d)),
                            (None, Some(m)) => Some(super::tarsplit::Content::Tar(m)),
                            (None, None) => None,
                        };
                        match content {
                            None => (Check::Unverified, None),
                            Some(content) => {
                                let want = stored_diff.clone().unwrap_or_else(|| diff.clone());
                                let replayed = super::tarsplit::replay(split, content);
                                let extra = match (&replayed, &scan) {
                                    (Ok((_, names)), Some(s)) => super::tarsplit::planted(s, names),
                                    _ => vec![],
                                };
                                if !extra.is_empty() {
                                    let shown: Vec<String> = extra
                                        .iter()
                                        .take(5)
                                        .map(|p| format!("/{}", crate::model::display_bytes(p)))
                                        .collect();
                                    diags.push(Diagnostic::error(
                                    Locator::artifact(dir.clone().unwrap_or_default()),
                                    format!(
                                        "image {id}: {} path(s) in the layer directory were never in the layer (its tar-split does not list them): {}",
                                        extra.len(),
                                        shown.join(", ")
                                    ),
                                ));
                                }
                                match replayed.map(|(d, _)| d) {
                                    Ok(got) if got == want && extra.is_empty() => {
                                        (Check::Verified, Some(got))
                                    }
                                    Ok(got) if got == want => (Check::Mismatch, Some(got)),
                                    Ok(got) => {
                                        diags.push(Diagnostic::error(
                                        Locator::artifact(dir.clone().unwrap_or_default()),
                                        format!("image {id}: layer content rebuilt with its tar-split hashes to {got}, not its diff_id {want}: the layer directory was changed"),
                                    ));
                                        (Check::Mismatch, Some(got))
                                    }
                                    Err(e) => {
                                        diags.push(Diagnostic::warning(
                                            split.locator(),
                                            format!("layer content not checked against its diff_id: {e}"),
                                        ));
                                        (Check::Incomplete, None)
                                    }
                                }
                            }
                        }
                    }
                    _ => (Check::Unverified, None),
                };
                layers.push(RootLayer {
                    diff_id: stored_diff.clone().or_else(|| Some(diff.clone())),
                    chain_id: Some(chain.clone()),
                    dir: dir.clone().filter(|_| scan.is_some()),
                    scan,
                    content_check,
                    rebuilt,
                });
                linfo.push(RootLayerInfo {
                    diff_id: stored_diff.or_else(|| Some(diff.clone())),
                    chain_id: Some(chain),
                    cache_id: cache,
                    dir,
                    content_check,
                });
            }
            let computed = sha256_digest(&config);
            info.images.push(RootImageInfo {
                id: id.clone(),
                repo_tags: img_tags.clone(),
                config_check: if computed == id { Check::Verified } else { Check::Mismatch },
                layers: linfo,
            });
            rooted.images.push(RootImage {
                id,
                config,
                config_path: a.path.clone(),
                repo_tags: img_tags,
                layers,
                layout: "docker-data-root",
                content_addressed: true,
                extra: vec![],
            });
        }
        for (id, names) in tags {
            diags.push(Diagnostic::warning(
                loc(&repo_path),
                format!(
                    "repositories.json names {} for image {id}, whose config is not in imagedb",
                    names.join(", ")
                ),
            ));
        }
    }
    let graph = files.keys().any(|p| p.starts_with("graph/"));
    if drivers.is_empty() && graph {
        info.layout = "graph (Docker < 1.10)";
        read_graph(root, &files, trees, containers, &mut info, &mut rooted, diags);
    }
    // Containers: ids from the container directories, details from their parsed configs.
    let ids: BTreeSet<&str> = files
        .keys()
        .filter_map(|p| p.strip_prefix("containers/"))
        .filter_map(|p| p.split_once('/').map(|(id, _)| id))
        .filter(|id| is_layer_id(id))
        .collect();
    let volume_dirs: BTreeSet<&str> = trees
        .dirs
        .iter()
        .filter(|(d, (k, _))| *k == super::layout::DirKind::Volume && d.starts_with(root))
        .map(|(d, _)| d.as_str())
        .collect();
    let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in ids {
        let c = containers.iter().find(|c| c.id == id);
        let name = c.map(|c| c.name.clone()).unwrap_or_default();
        let (driver, driver_basis) = if drivers.is_empty() {
            (graph.then(|| info.drivers.first().cloned().unwrap_or_else(|| "aufs".into())), None)
        } else {
            let (d, basis) = container_driver(id, c, &drivers, &files, root, diags);
            (Some(d), Some(basis))
        };
        let mount_dir = format!("image/{}/layerdb/mounts/{id}/", driver.as_deref().unwrap_or(""));
        let (mount_id, init_id) = if drivers.is_empty() {
            // Docker < 1.10: the container's layers are named by its id.
            let m = format!("{root}aufs/diff/{id}");
            let present = trees.dirs.contains_key(&m);
            (present.then(|| id.to_string()), present.then(|| format!("{id}-init")))
        } else {
            (
                read_text(&files, &format!("{mount_dir}mount-id")),
                read_text(&files, &format!("{mount_dir}init-id")),
            )
        };
        let drv = driver.as_deref().unwrap_or("aufs");
        let upper_dir = mount_id.as_deref().map(|m| driver_dir(root, drv, m));
        let init_dir = init_id.as_deref().map(|m| driver_dir(root, drv, m));
        let image_id = c.and_then(|c| c.image_id.clone());
        let image = image_id.as_ref().and_then(|i| info.images.iter().find(|img| &img.id == i));
        let content_of = |d: &String| match trees.dirs.get(d).and_then(|(_, c)| c.content.as_ref()) {
            Some(c) => format!("{d}/{c}"),
            None => d.clone(),
        };
        let mut layer_dirs: Vec<String> = upper_dir.iter().chain(init_dir.iter()).map(content_of).collect();
        if let Some(img) = image {
            layer_dirs.extend(img.layers.iter().rev().filter_map(|l| l.dir.as_ref().map(content_of)));
        }
        // json-file (`<id>-json.log`, `.1`, `.2.gz`) and the `local` driver
        // (`local-logs/container.log`, `.1.gz`...).
        let log_prefixes =
            [format!("containers/{id}/{id}-json.log"), format!("containers/{id}/local-logs/container.log")];
        let mut logs: Vec<String> = files
            .iter()
            .filter(|(p, _)| log_prefixes.iter().any(|l| p.starts_with(l.as_str())))
            .map(|(_, a)| a.path.clone())
            .collect();
        logs.sort_by_key(|l| (l.len(), l.clone()));
        let mut mounts = vec![];
        for m in c.map(|c| c.mounts.as_slice()).unwrap_or_default() {
            let vol_dir = m.name.as_ref().map(|n| format!("{root}volumes/{n}/_data"));
            let dir = vol_dir.filter(|d| volume_dirs.contains(d.as_str()));
            let source = match (m.kind.as_deref(), &m.name) {
                (Some("volume"), Some(n)) => format!("volumes/{n}/_data"),
                _ => m.source.clone().unwrap_or_default(),
            };
            if let Some(d) = &dir {
                used.entry(d.clone()).or_default().push(id.to_string());
            }
            mounts.push(MountUse { kind: m.kind.clone(), source, destination: m.destination.clone(), dir });
        }
        let upper = upper_dir.as_ref().and_then(|d| trees.scans.get(d).map(|s| (d.clone(), s.clone())));
        let init = init_dir.as_ref().and_then(|d| trees.scans.get(d).map(|s| (d.clone(), s.clone())));
        if upper_dir.is_some() && upper.is_none() {
            diags.push(Diagnostic::warning(
                Locator::artifact(upper_dir.clone().unwrap_or_default()),
                format!("container {id}: its read-write layer directory is not in the evidence"),
            ));
        }
        rooted.containers.push(RootContainer {
            id: id.to_string(),
            name: name.clone(),
            image_id: image_id.clone(),
            init,
            upper,
            mount_points: c.map(|c| c.mount_destinations()).unwrap_or_default(),
            volumes: mounts
                .iter()
                .filter_map(|m| {
                    let dir = m.dir.as_ref()?;
                    Some((m.destination.clone(), dir.clone(), trees.scans.get(dir)?.clone()))
                })
                .collect(),
        });
        info.containers.push(RootContainerInfo {
            id: id.to_string(),
            name,
            image_id,
            running: c.map(|c| c.state.running),
            driver: driver.clone().filter(|_| driver_basis.is_some() || graph),
            driver_basis: driver_basis.or(graph.then_some(DriverBasis::Graph)),
            mount_id,
            init_id,
            upper_dir: upper_dir.as_ref().filter(|d| trees.dirs.contains_key(*d)).map(content_of),
            lower_dirs: match (drv, upper_dir.as_ref()) {
                ("overlay2", Some(u)) => overlay2_lower(root, u, trees, &layer_dirs, id, diags),
                _ => vec![],
            },
            layer_dirs,
            logs,
            log_span: None,
            mounts,
            labels: BTreeMap::new(),
        });
    }
    for d in volume_dirs {
        let name = d[root.len()..].trim_start_matches("volumes/").trim_end_matches("/_data").to_string();
        info.volumes.push(VolumeInfo {
            name,
            dir: d.to_string(),
            used_by: used.remove(d).unwrap_or_default(),
        });
    }
    info.containers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    (info, rooted)
}

/// The storage driver container `id`'s layers are under, and how that is known. A root of
/// Docker 17-18 holds both `image/overlay` and `image/overlay2` (and a root may keep an old
/// driver's store after a switch), so the root's drivers say nothing of one container: its
/// own config's `Driver` does, else the driver whose layer store records its mount
/// (`image/<driver>/layerdb/mounts/<id>/mount-id`), else the root's only driver. A config
/// naming a driver whose store has no mount for it, while another's has, is a diagnostic
/// and the layer store wins (the mount is what holds its changes).
fn container_driver(
    id: &str,
    c: Option<&ContainerInfo>,
    drivers: &BTreeSet<&str>,
    files: &Files,
    root: &str,
    diags: &mut Vec<Diagnostic>,
) -> (String, DriverBasis) {
    let mounted: Vec<&str> = drivers
        .iter()
        .copied()
        .filter(|d| files.contains_key(format!("image/{d}/layerdb/mounts/{id}/mount-id").as_str()))
        .collect();
    let own = c.and_then(|c| c.graph_driver.as_ref()).map(|g| g.name.trim()).filter(|n| !n.is_empty());
    match own {
        Some(d) if mounted.is_empty() || mounted.contains(&d) => return (d.to_string(), DriverBasis::Config),
        Some(d) => diags.push(Diagnostic::warning(
            c.map(|c| c.locator.clone()).unwrap_or_else(|| Locator::artifact(format!("{root}containers/{id}"))),
            format!(
                "container {id}: its config names storage driver {d}, but only the {} layer store records its mount: that one is used",
                mounted.join(", ")
            ),
        )),
        None => {}
    }
    match mounted.as_slice() {
        [d] => (d.to_string(), DriverBasis::LayerStore),
        [d, ..] => {
            diags.push(Diagnostic::warning(
                Locator::artifact(format!("{root}image")),
                format!(
                    "container {id}: the layer stores of {} all record its mount and its config names no driver: {d} is used",
                    mounted.join(", ")
                ),
            ));
            (d.to_string(), DriverBasis::LayerStore)
        }
        [] if drivers.len() == 1 => {
            (drivers.iter().next().map(|d| d.to_string()).unwrap_or_default(), DriverBasis::OnlyDriver)
        }
        [] => {
            let d = drivers.iter().next().map(|d| d.to_string()).unwrap_or_default();
            diags.push(Diagnostic::warning(
                Locator::artifact(format!("{root}containers/{id}")),
                format!(
                    "container {id}: neither its config nor a layer store says which storage driver ({}) holds its layers: assumed {d}",
                    drivers.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
            (d, DriverBasis::Guessed)
        }
    }
}

/// An overlay2 read-write layer's `lower` (`l/ABC:l/DEF`, top to bottom), each short link
/// read from the `l/` tree (never followed on disk) and resolved lexically inside the root's
/// `overlay2/`; a link pointing anywhere else is a diagnostic. A chain unlike the layer
/// store's is a warning: one of the two was changed.
fn overlay2_lower(
    root: &str,
    upper: &str,
    trees: &Trees,
    layer_dirs: &[String],
    id: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let Some(lower) = trees.dirs.get(upper).and_then(|(_, c)| c.meta.get("lower")) else { return vec![] };
    let links: BTreeMap<Vec<u8>, Vec<u8>> = trees
        .scans
        .get(&format!("{root}overlay2/l"))
        .map(|s| {
            s.entries
                .iter()
                .filter_map(|e| match &e.kind {
                    crate::layerscan::EntryKind::Node(m) => m.link().map(|l| (e.path.to_vec(), l.to_vec())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = vec![];
    for part in lower.split(':').filter(|p| !p.is_empty()) {
        let name = part.strip_prefix("l/").unwrap_or(part);
        let Some(target) = links.get(name.as_bytes()) else {
            diags.push(Diagnostic::warning(
                Locator::artifact(format!("{root}overlay2/l")),
                format!("container {id}: its lower names short link {part}, which is not in overlay2/l"),
            ));
            continue;
        };
        // Lexically, from overlay2/l/: `../<id>/diff` is overlay2/<id>/diff; nothing else is
        // a layer of this root.
        let t = String::from_utf8_lossy(target);
        let lid = t.strip_prefix("../").and_then(|r| r.trim_end_matches('/').strip_suffix("/diff"));
        match lid {
            Some(lid) if is_layer_id(lid) => out.push(format!("{root}overlay2/{lid}/diff")),
            _ => diags.push(Diagnostic::warning(
                Locator::artifact(format!("{root}overlay2/l")).with_member(name.to_string()),
                format!("short link {name} points to {t} (not a layer of this data root): not followed"),
            )),
        }
    }
    if !out.is_empty() && out.as_slice() != layer_dirs.get(1..).unwrap_or_default() {
        diags.push(Diagnostic::warning(
            Locator::artifact(upper.to_string()).with_member("lower".to_string()),
            format!(
                "container {id}: overlay2's lower chain ({}) differs from the layer store's ({})",
                out.join(", "),
                layer_dirs.get(1..).unwrap_or_default().join(", ")
            ),
        ));
    }
    out
}

/// Docker < 1.10: `graph/<id>/json` (one v1 image JSON per layer, `parent` naming the one
/// below), `repositories-<driver>` (`{"Repositories":{"busybox":{"latest":"<id>"}}}`), layer
/// directories named by the graph ids. Images are the ids tagged or run by a container.
fn read_graph(
    root: &str,
    files: &Files,
    trees: &Trees,
    containers: &[ContainerInfo],
    info: &mut RootIndex,
    rooted: &mut Rooted,
    diags: &mut Vec<Diagnostic>,
) {
    let json_of = |id: &str| -> Option<serde_json::Value> {
        let a = files.get(format!("graph/{id}/json").as_str())?;
        match read_small(a).map(|v| serde_json::from_slice::<serde_json::Value>(&v)) {
            Ok(Ok(v)) => Some(v),
            _ => None,
        }
    };
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut driver = "aufs".to_string();
    for (p, a) in files.iter().filter(|(p, _)| p.starts_with("repositories-") && !p.contains('/')) {
        driver = p.trim_start_matches("repositories-").to_string();
        match read_small(a).map(|v| serde_json::from_slice::<serde_json::Value>(&v)) {
            Ok(Ok(v)) => {
                for (repo, refs) in v.get("Repositories").and_then(|r| r.as_object()).into_iter().flatten() {
                    for (tag, id) in refs.as_object().into_iter().flatten() {
                        if let Some(id) = id.as_str() {
                            let name = if tag.starts_with("sha256:") {
                                format!("{repo}@{tag}")
                            } else {
                                format!("{repo}:{tag}")
                            };
                            tags.entry(id.to_string()).or_default().push(name);
                        }
                    }
                }
            }
            _ => diags.push(Diagnostic::error(a.locator(), format!("{p} is not readable JSON"))),
        }
    }
    info.drivers = vec![driver.clone()];
    let mut ids: BTreeSet<String> = tags.keys().cloned().collect();
    ids.extend(
        containers.iter().filter(|c| c.locator.artifact.starts_with(root)).filter_map(|c| c.image_id.clone()),
    );
    for id in ids {
        let Some(top) = json_of(&id) else {
            diags.push(Diagnostic::warning(
                Locator::artifact(format!("{root}graph/{id}/json")),
                format!("image {id} is named but its graph entry is missing"),
            ));
            continue;
        };
        // The chain, bottom first (bounded against a parent loop).
        let mut chain = vec![(id.clone(), top.clone())];
        while let Some(parent) =
            chain.last().and_then(|(_, v)| v.get("parent")).and_then(|p| p.as_str()).map(String::from)
        {
            if chain.len() > 1000 || chain.iter().any(|(i, _)| *i == parent) {
                break;
            }
            match json_of(&parent) {
                Some(v) => chain.push((parent, v)),
                None => break,
            }
        }
        chain.reverse();
        let history: Vec<serde_json::Value> = chain
            .iter()
            .map(|(_, v)| {
                let cmd = v
                    .pointer("/container_config/Cmd")
                    .and_then(|c| c.as_array())
                    .map(|c| c.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(" "));
                serde_json::json!({"created": v.get("created"), "created_by": cmd, "author": v.get("author")})
            })
            .collect();
        let config = serde_json::json!({
            "architecture": top.get("architecture"),
            "os": top.get("os"),
            "created": top.get("created"),
            "config": top.get("config"),
            "history": history,
            "rootfs": {"type": "layers", "diff_ids": []},
        });
        let mut img_tags = tags.get(&id).cloned().unwrap_or_default();
        img_tags.sort();
        let mut layers = vec![];
        let mut linfo = vec![];
        for (lid, _) in &chain {
            let dir = driver_dir(root, &driver, lid);
            let scan = trees.scans.get(&dir).cloned();
            linfo.push(RootLayerInfo {
                diff_id: None,
                chain_id: Some(lid.clone()),
                cache_id: Some(lid.clone()),
                dir: Some(dir.clone()),
                ..Default::default()
            });
            layers.push(RootLayer {
                diff_id: None,
                chain_id: Some(lid.clone()),
                dir: scan.is_some().then_some(dir),
                scan,
                ..Default::default()
            });
        }
        info.images.push(RootImageInfo {
            id: id.clone(),
            repo_tags: img_tags.clone(),
            config_check: Check::Unverified,
            layers: linfo,
        });
        rooted.images.push(RootImage {
            id: id.clone(),
            config: serde_json::to_vec(&config).unwrap_or_default(),
            config_path: format!("{root}graph/{id}/json"),
            repo_tags: img_tags,
            layers,
            layout: "docker-data-root-v1",
            content_addressed: false,
            extra: vec![],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_layer_store_rule() {
        let d = vec!["sha256:aa".to_string(), "sha256:bb".to_string()];
        let c = chain_ids(&d);
        assert_eq!(c[0], "sha256:aa");
        let want = sha256_digest(b"sha256:aa sha256:bb");
        assert_eq!(c[1], want);
    }
}
