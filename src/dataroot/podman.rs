//! Podman / CRI-O's containers-storage graph root (`/var/lib/containers/storage`, rootless
//! `~/.local/share/containers/storage`) read offline: `overlay-layers/layers.json` (layer
//! chains by `parent`, `diff-digest`), `overlay-images/images.json` (names, top layer; the
//! config is the image's big-data item `sha256:<id>`, stored as `=` + base64 of that key),
//! `overlay-containers/containers.json` (name, image, read-write layer) with each
//! container's `userdata/config.json` (OCI runtime spec: command, mounts) and conmon's
//! `userdata/ctr.log` (k8s-file format). Layer content is `overlay/<id>/diff`, already read.
//! libpod's state ([`super::libpod`]: `bolt_state.db` or `db.sql`) gives the run state,
//! pods and volumes. Each container with a spec also becomes a container record
//! ([`super::oci`]) for the exposure rules.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::Value;

use super::docker::read_small;
use super::index::{MountUse, RootContainerInfo, RootImageInfo, RootIndex, RootLayerInfo};
use super::intake::Trees;
use super::layout::Files;
use crate::dataroot::rooted::{RootContainer, RootImage, RootLayer, Rooted};
use crate::digest::{sha256_digest, Check};
use crate::evidence::Artifact;
use crate::ingest::inspect::{ContainerInfo, InspectSource};
use crate::model::{Diagnostic, Locator};

/// containers-storage roots among the bundle's artifact paths.
pub(crate) fn roots(artifacts: &[Artifact]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for a in artifacts {
        for marker in
            ["overlay-containers/containers.json", "overlay-images/images.json", "overlay-layers/layers.json"]
        {
            if let Some(prefix) = a.path.strip_suffix(marker) {
                if prefix.is_empty() || prefix.ends_with('/') {
                    out.insert(prefix.to_string());
                }
            }
        }
    }
    out.into_iter().collect()
}

fn json_array(files: &Files, path: &str, root: &str, diags: &mut Vec<Diagnostic>) -> Vec<Value> {
    let Some(a) = files.get(path) else { return vec![] };
    match read_small(a).map(|v| serde_json::from_slice::<Value>(&v)) {
        Ok(Ok(Value::Array(v))) => v,
        Ok(Ok(_)) => {
            diags.push(Diagnostic::error(Locator::artifact(format!("{root}{path}")), "not a JSON array"));
            vec![]
        }
        Ok(Err(e)) => {
            diags.push(Diagnostic::error(
                Locator::artifact(format!("{root}{path}")),
                format!("not valid JSON: {e}"),
            ));
            vec![]
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                Locator::artifact(format!("{root}{path}")),
                format!("cannot read: {e}"),
            ));
            vec![]
        }
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from)
}

/// The file name containers-storage gives a big-data item (`makeBigDataBaseName`): the key
/// itself when it is only `[.0-9a-z]`, else `=` + standard base64 of the key.
pub(crate) fn big_data_name(key: &str) -> String {
    if key.bytes().all(|b| b == b'.' || b.is_ascii_digit() || b.is_ascii_lowercase()) {
        key.to_string()
    } else {
        format!("={}", base64::engine::general_purpose::STANDARD.encode(key))
    }
}

/// Read one containers-storage root at `root`.
pub(crate) fn read(
    root: &str,
    artifacts: &[Artifact],
    trees: &Trees,
    diags: &mut Vec<Diagnostic>,
) -> (RootIndex, Rooted, Vec<ContainerInfo>) {
    let files = super::layout::files_under(root, artifacts);
    let mut records = vec![];
    let mut info = RootIndex {
        root: root.trim_end_matches('/').to_string(),
        layout: "containers-storage",
        drivers: vec!["overlay".into()],
        ..Default::default()
    };
    let mut rooted = Rooted::default();
    let mut layers: BTreeMap<String, Value> = BTreeMap::new();
    for f in ["overlay-layers/layers.json", "overlay-layers/volatile-layers.json"] {
        for l in json_array(&files, f, root, diags) {
            if let Some(id) = text(&l, "id") {
                layers.insert(id, l);
            }
        }
    }
    let dir_of = |id: &str| format!("{root}overlay/{id}");
    let chain = |top: &str| -> Vec<String> {
        let mut c = vec![top.to_string()];
        while let Some(p) = c.last().and_then(|id| layers.get(id)).and_then(|l| text(l, "parent")) {
            if c.len() > 1000 || c.contains(&p) {
                break;
            }
            c.push(p);
        }
        c.reverse();
        c
    };
    for img in json_array(&files, "overlay-images/images.json", root, diags) {
        let Some(id) = text(&img, "id") else { continue };
        let key = format!("sha256:{id}");
        let config_rel = format!("overlay-images/{id}/{}", big_data_name(&key));
        let Some(a) = files.get(config_rel.as_str()) else {
            diags.push(Diagnostic::warning(
                Locator::artifact(format!("{root}{config_rel}")),
                format!("image {id}: its config (big-data item {key}) is not in the evidence"),
            ));
            continue;
        };
        let config = match read_small(a) {
            Ok(v) => v,
            Err(e) => {
                diags.push(Diagnostic::error(a.locator(), format!("cannot read image config: {e}")));
                continue;
            }
        };
        let mut names: Vec<String> = img
            .get("names")
            .and_then(Value::as_array)
            .map(|n| n.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default();
        names.sort();
        let ids = text(&img, "layer").map(|t| chain(&t)).unwrap_or_default();
        let mut rl = vec![];
        let mut li = vec![];
        for lid in &ids {
            let dir = dir_of(lid);
            let scan = trees.scans.get(&dir).cloned();
            let diff = layers.get(lid).and_then(|l| text(l, "diff-digest"));
            li.push(RootLayerInfo {
                diff_id: diff.clone(),
                chain_id: None,
                cache_id: Some(lid.clone()),
                dir: Some(dir.clone()),
                ..Default::default()
            });
            rl.push(RootLayer {
                diff_id: diff,
                chain_id: Some(lid.clone()),
                dir: scan.is_some().then_some(dir),
                scan,
                ..Default::default()
            });
        }
        let computed = sha256_digest(&config);
        info.images.push(RootImageInfo {
            id: key.clone(),
            repo_tags: names.clone(),
            config_check: if computed == key { Check::Verified } else { Check::Mismatch },
            layers: li,
        });
        rooted.images.push(RootImage {
            id: key,
            config,
            config_path: a.path.clone(),
            repo_tags: names,
            layers: rl,
            layout: "containers-storage",
            content_addressed: true,
            extra: vec![],
        });
    }
    // libpod's state: each container's libpod config and run state, pods, volumes.
    let state = super::libpod::read(&files, diags);
    if let Some(st) = &state {
        info.state_db = Some(st.path.clone());
        info.pods = st.pods.clone();
        for v in &st.volumes {
            let used_by = st
                .containers
                .iter()
                .filter(|(_, (c, _))| {
                    c.get("namedVolumes").and_then(Value::as_array).is_some_and(|n| {
                        n.iter().any(|x| {
                            x.get("volumeName").or(x.get("Name")).and_then(Value::as_str)
                                == Some(v.name.as_str())
                        })
                    })
                })
                .map(|(id, _)| id.clone())
                .collect();
            info.volumes.push(super::index::VolumeInfo {
                name: v.name.clone(),
                dir: format!("{root}volumes/{}/_data", v.name),
                used_by,
            });
        }
    }
    for c in json_array(&files, "overlay-containers/containers.json", root, diags) {
        let Some(id) = text(&c, "id") else { continue };
        let name = c
            .get("names")
            .and_then(Value::as_array)
            .and_then(|n| n.first())
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let image_id = text(&c, "image").map(|i| format!("sha256:{i}"));
        let layer = text(&c, "layer");
        let upper_dir = layer.as_deref().map(dir_of);
        let upper = upper_dir.as_ref().and_then(|d| trees.scans.get(d).map(|s| (d.clone(), s.clone())));
        // The OCI runtime spec podman wrote for it: its mounts.
        let spec_path = format!("overlay-containers/{id}/userdata/config.json");
        let spec_file = files.get(spec_path.as_str());
        let libpod = state.as_ref().and_then(|s| s.containers.get(&id));
        let spec = spec_file
            .and_then(|a| read_small(a).ok())
            .and_then(|v| serde_json::from_slice::<Value>(&v).ok())
            .or_else(|| libpod.and_then(|(c, _)| c.get("spec").cloned()));
        // The container record the exposure rules read: the spec, containers.json's name,
        // image and time, libpod's config and state.
        if let Some(spec) = &spec {
            let loc = match (spec_file, &state) {
                (Some(a), _) => a.locator(),
                (None, Some(st)) => Locator::artifact(st.path.clone()),
                (None, None) => Locator::artifact(format!("{root}overlay-containers/containers.json")),
            };
            let mut rec = super::oci::container(spec, &id, InspectSource::Libpod, loc);
            rec.name = name.clone();
            rec.image = text(&c, "metadata")
                .and_then(|m| serde_json::from_str::<Value>(&m).ok())
                .and_then(|m| text(&m, "image-name"));
            rec.image_id = image_id.clone();
            rec.created = text(&c, "created").and_then(|t| crate::model::Timestamp::parse_rfc3339(&t));
            if let Some((config, st)) = libpod {
                super::libpod::apply(&mut rec, config, st);
            }
            records.push(rec);
        }
        let mut mounts = vec![];
        for m in spec.as_ref().and_then(|s| s.get("mounts")).and_then(Value::as_array).into_iter().flatten() {
            let kind = text(m, "type");
            if matches!(kind.as_deref(), Some("proc" | "tmpfs" | "devpts" | "mqueue" | "sysfs" | "cgroup")) {
                continue;
            }
            let (Some(source), Some(destination)) = (text(m, "source"), text(m, "destination")) else {
                continue;
            };
            mounts.push(MountUse { kind, source, destination, dir: None });
        }
        let logs: Vec<String> = files
            .iter()
            .filter(|(p, _)| p.starts_with(&format!("overlay-containers/{id}/userdata/ctr.log")))
            .map(|(_, a)| a.path.clone())
            .collect();
        let image = image_id.as_ref().and_then(|i| info.images.iter().find(|img| &img.id == i));
        let content_of = |d: &String| match trees.dirs.get(d).and_then(|(_, c)| c.content.as_ref()) {
            Some(c) => format!("{d}/{c}"),
            None => d.clone(),
        };
        let mut layer_dirs: Vec<String> = upper_dir.iter().map(content_of).collect();
        if let Some(img) = image {
            layer_dirs.extend(img.layers.iter().rev().filter_map(|l| l.dir.as_ref().map(content_of)));
        }
        let running =
            libpod.and_then(|(_, st)| st.get("state")).and_then(Value::as_i64).map(|n| n == 3 || n == 5);
        rooted.containers.push(RootContainer {
            id: id.clone(),
            name: name.clone(),
            image_id: image_id.clone(),
            init: None,
            upper,
            mount_points: mounts.iter().map(|m| m.destination.clone()).collect(),
            volumes: vec![],
        });
        info.containers.push(RootContainerInfo {
            id,
            name,
            image_id,
            running,
            mount_id: layer,
            init_id: None,
            upper_dir: upper_dir.as_ref().filter(|d| trees.dirs.contains_key(*d)).map(content_of),
            layer_dirs,
            lower_dirs: vec![],
            logs,
            mounts,
            labels: BTreeMap::new(),
            ..Default::default()
        });
    }
    info.containers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    (info, rooted, records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_data_names_as_containers_storage_writes_them() {
        assert_eq!(big_data_name("manifest"), "manifest");
        assert_eq!(
            big_data_name("sha256:ab"),
            format!("={}", base64::engine::general_purpose::STANDARD.encode("sha256:ab"))
        );
    }
}
