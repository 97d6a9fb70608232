//! containerd's root (`/var/lib/containerd`, or dockerd's `containerd/daemon`) read offline:
//! `io.containerd.metadata.v1.bolt/meta.db` (bbolt, read from a copy in memory: `v1/<namespace>/
//! {containers,images,snapshots/<snapshotter>}`), the snapshotter's own `metadata.db`
//! (`v1/snapshots/<backend name>/{id,kind,parent}`), the content store
//! (`io.containerd.content.v1.content/blobs/sha256/<hex>`: manifests, indexes, configs) and the
//! snapshot directories (`io.containerd.snapshotter.v1.<name>/snapshots/<id>/fs`, already read).
//! Per container: its image (manifest -> config -> chain ids -> committed snapshots) and its
//! active snapshot as its own read-write layer, its CRI pod logs (`/var/log/pods`) by its pod
//! labels, and a container record from its OCI spec ([`super::oci`]: the spec is a
//! protobuf `Any` whose `value` is the spec's JSON) for the exposure rules. Leases
//! (`v1/<ns>/leases`) are listed with the resources they hold.

use std::collections::BTreeMap;

use serde_json::Value;

use super::bolt::{self, Bucket};
use super::docker::read_small;
use super::index::{Lease, MountUse, RootContainerInfo, RootImageInfo, RootIndex, RootLayerInfo};
use super::intake::Trees;
use crate::dataroot::rooted::{RootContainer, RootImage, RootLayer, Rooted};
use crate::digest::{sha256_digest, Check};
use crate::evidence::Artifact;
use crate::ingest::inspect::{ContainerInfo, InspectSource};
use crate::model::{Diagnostic, Locator};

const META: &str = "io.containerd.metadata.v1.bolt/meta.db";

/// containerd roots among the bundle's artifact paths.
pub(crate) fn roots(artifacts: &[Artifact]) -> Vec<String> {
    let mut out: Vec<String> = artifacts
        .iter()
        .filter_map(|a| a.path.strip_suffix(META))
        .filter(|p| p.is_empty() || p.ends_with('/'))
        .map(String::from)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A Go `binary.Uvarint`.
fn uvarint(b: &[u8]) -> Option<u64> {
    let mut x = 0u64;
    for (i, c) in b.iter().enumerate().take(10) {
        x |= u64::from(c & 0x7f) << (7 * i);
        if c & 0x80 == 0 {
            return Some(x);
        }
    }
    None
}

/// The `value` of a protobuf `google.protobuf.Any` (field 2), as containerd stores a spec.
fn any_value(b: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while i < b.len() {
        let tag = b[i];
        i += 1;
        let len = uvarint(&b[i..])? as usize;
        while b.get(i)? & 0x80 != 0 {
            i += 1;
        }
        i += 1;
        let v = b.get(i..i.checked_add(len)?)?;
        if tag == 0x12 {
            return Some(v);
        }
        i += len;
    }
    None
}

/// A Kubernetes container's CRI logs, by its pod labels: `var/log/pods/<namespace>_<pod>_<uid>/
/// <container>/<n>.log` (rotated `.gz` and dated ones too), anywhere in the bundle.
pub(crate) fn pod_logs(labels: &BTreeMap<String, String>, artifacts: &[Artifact]) -> Vec<String> {
    let get = |k: &str| labels.get(k).map(String::as_str);
    let (Some(ns), Some(pod), Some(uid), Some(name)) = (
        get("io.kubernetes.pod.namespace"),
        get("io.kubernetes.pod.name"),
        get("io.kubernetes.pod.uid"),
        get("io.kubernetes.container.name"),
    ) else {
        return vec![];
    };
    let dir = format!("var/log/pods/{ns}_{pod}_{uid}/{name}/");
    let mut out: Vec<String> = artifacts
        .iter()
        .filter(|a| a.path.starts_with(&dir) || a.path.contains(&format!("/{dir}")))
        .filter(|a| a.path.rsplit('/').next().is_some_and(|f| f.contains(".log")))
        .map(|a| a.path.clone())
        .collect();
    out.sort();
    out
}

fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(p) => sha256_digest(format!("{p} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// Read one containerd root at `root`.
pub(crate) fn read(
    root: &str,
    artifacts: &[Artifact],
    trees: &Trees,
    diags: &mut Vec<Diagnostic>,
) -> (RootIndex, Rooted, Vec<ContainerInfo>) {
    let files = super::layout::files_under(root, artifacts);
    let mut info = RootIndex {
        root: root.trim_end_matches('/').to_string(),
        layout: "containerd",
        ..Default::default()
    };
    let state = match super::node::distribution(root, artifacts) {
        Some((name, state)) => {
            info.distribution = Some(name);
            Some(state)
        }
        None => super::node::plain_state(root),
    };
    if let Some(tasks) = state.as_deref().and_then(|s| super::node::tasks(s, artifacts)) {
        info.state_dir = state.map(|s| s.trim_end_matches('/').to_string());
        info.tasks = Some(tasks);
    }
    let mut rooted = Rooted::default();
    let mut records = vec![];
    let Some(meta_art) = files.get(META) else { return (info, rooted, records) };
    let meta = match bolt::read_artifact(meta_art) {
        Ok(m) => m,
        Err(e) => {
            diags.push(Diagnostic::error(
                meta_art.locator(),
                format!("containerd metadata not readable: {e}"),
            ));
            return (info, rooted, records);
        }
    };
    let blob = |digest: &str| -> Option<(Vec<u8>, String)> {
        let hexd = crate::digest::hex_of(digest)?;
        let p = format!("io.containerd.content.v1.content/blobs/sha256/{hexd}");
        files.get(p.as_str()).and_then(|a| read_small(a).ok()).map(|b| (b, format!("{root}{p}")))
    };
    // Each snapshotter's own database: backend name -> (id, parent backend name).
    let mut backends: BTreeMap<String, BTreeMap<String, (u64, Option<String>)>> = BTreeMap::new();
    let snapshotter = |name: &str,
                       backends: &mut BTreeMap<String, BTreeMap<String, (u64, Option<String>)>>,
                       diags: &mut Vec<Diagnostic>| {
        if backends.contains_key(name) {
            return;
        }
        let p = format!("io.containerd.snapshotter.v1.{name}/metadata.db");
        let mut m = BTreeMap::new();
        if let Some(a) = files.get(p.as_str()) {
            match bolt::read_artifact(a) {
                Ok(db) => {
                    for (k, s) in db.bucket(&[b"v1", b"snapshots"]).into_iter().flat_map(|b| b.buckets()) {
                        if let Some(id) = s.value(b"id").and_then(uvarint) {
                            m.insert(String::from_utf8_lossy(k).into_owned(), (id, s.text(b"parent")));
                        }
                    }
                }
                Err(e) => diags
                    .push(Diagnostic::error(a.locator(), format!("snapshotter metadata not readable: {e}"))),
            }
        }
        backends.insert(name.to_string(), m);
    };
    let Some(v1) = meta.bucket(&[b"v1"]) else {
        diags.push(Diagnostic::warning(meta_art.locator(), "containerd metadata has no v1 schema bucket"));
        return (info, rooted, records);
    };
    let mut drivers = std::collections::BTreeSet::new();
    for (ns, nsb) in v1.buckets() {
        let ns = String::from_utf8_lossy(ns).into_owned();
        // The directory of a snapshot key, through meta.db's backend name and the
        // snapshotter's id.
        let dir_of = |snap: &str,
                      key: &str,
                      backends: &mut BTreeMap<_, _>,
                      diags: &mut Vec<Diagnostic>|
         -> Option<String> {
            snapshotter(snap, backends, diags);
            let name = nsb.bucket(&[b"snapshots", snap.as_bytes(), key.as_bytes()])?.text(b"name")?;
            let (id, _) = backends.get(snap)?.get(&name)?;
            Some(format!("{root}io.containerd.snapshotter.v1.{snap}/snapshots/{id}"))
        };
        // Images: name -> target -> (index ->) manifest -> config.
        let mut by_name: BTreeMap<String, String> = BTreeMap::new();
        for (name, img) in nsb.bucket(&[b"images"]).into_iter().flat_map(|b| b.buckets()) {
            let name = String::from_utf8_lossy(name).into_owned();
            let Some(target) = img.bucket(&[b"target"]).and_then(|t| t.text(b"digest")) else { continue };
            let mut manifest = blob(&target).and_then(|(b, _)| serde_json::from_slice::<Value>(&b).ok());
            if let Some(list) =
                manifest.as_ref().and_then(|m| m.get("manifests")).and_then(Value::as_array).cloned()
            {
                let pick = list
                    .iter()
                    .find(|m| m.pointer("/platform/os").and_then(Value::as_str) == Some("linux"))
                    .or(list.first())
                    .and_then(|m| m.get("digest"))
                    .and_then(Value::as_str)
                    .map(String::from);
                manifest =
                    pick.and_then(|d| blob(&d)).and_then(|(b, _)| serde_json::from_slice::<Value>(&b).ok());
            }
            let Some(cfg_digest) = manifest
                .as_ref()
                .and_then(|m| m.pointer("/config/digest"))
                .and_then(Value::as_str)
                .map(String::from)
            else {
                diags.push(Diagnostic::warning(
                    Locator::artifact(format!("{root}{META}")),
                    format!("image {ns}/{name}: its manifest or config is not in the content store"),
                ));
                continue;
            };
            by_name.insert(name.clone(), cfg_digest.clone());
            if rooted.images.iter().any(|i| i.id == cfg_digest) {
                if let Some(i) = info.images.iter_mut().find(|i| i.id == cfg_digest) {
                    i.repo_tags.push(name);
                }
                continue;
            }
            let Some((config, config_path)) = blob(&cfg_digest) else { continue };
            let diff_ids: Vec<String> = serde_json::from_slice::<Value>(&config)
                .ok()
                .and_then(|v| v.pointer("/rootfs/diff_ids").and_then(Value::as_array).cloned())
                .map(|d| d.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default();
            let snap = nsb
                .bucket(&[b"snapshots"])
                .and_then(|s| s.buckets().next().map(|(k, _)| String::from_utf8_lossy(k).into_owned()))
                .unwrap_or_else(|| "overlayfs".into());
            let mut layers = vec![];
            let mut li = vec![];
            for (d, chain) in diff_ids.iter().zip(chain_ids(&diff_ids)) {
                let dir = dir_of(&snap, &chain, &mut backends, diags);
                let scan = dir.as_ref().and_then(|p| trees.scans.get(p)).cloned();
                li.push(RootLayerInfo {
                    diff_id: Some(d.clone()),
                    chain_id: Some(chain.clone()),
                    cache_id: None,
                    dir: dir.clone(),
                    ..Default::default()
                });
                layers.push(RootLayer {
                    diff_id: Some(d.clone()),
                    chain_id: Some(chain),
                    dir: dir.filter(|_| scan.is_some()),
                    scan,
                    ..Default::default()
                });
            }
            let computed = sha256_digest(&config);
            info.images.push(RootImageInfo {
                id: cfg_digest.clone(),
                repo_tags: vec![name.clone()],
                config_check: if computed == cfg_digest { Check::Verified } else { Check::Mismatch },
                layers: li,
            });
            rooted.images.push(RootImage {
                id: cfg_digest,
                config,
                config_path,
                repo_tags: vec![name],
                layers,
                layout: "containerd",
                content_addressed: true,
                extra: vec![],
            });
        }
        for (id, c) in nsb.bucket(&[b"containers"]).into_iter().flat_map(|b| b.buckets()) {
            let id = String::from_utf8_lossy(id).into_owned();
            let snap = c.text(b"snapshotter").unwrap_or_else(|| "overlayfs".into());
            drivers.insert(snap.clone());
            let upper_dir = c.text(b"snapshotKey").and_then(|k| dir_of(&snap, &k, &mut backends, diags));
            let upper = upper_dir.as_ref().and_then(|d| trees.scans.get(d).map(|s| (d.clone(), s.clone())));
            let image_id = c.text(b"image").and_then(|n| by_name.get(&n).cloned());
            let spec: Option<Value> =
                c.value(b"spec").and_then(any_value).and_then(|v| serde_json::from_slice(v).ok());
            let mut mounts = vec![];
            for m in
                spec.as_ref().and_then(|s| s.get("mounts")).and_then(Value::as_array).into_iter().flatten()
            {
                let kind = m.get("type").and_then(Value::as_str).map(String::from);
                if matches!(
                    kind.as_deref(),
                    Some("proc" | "tmpfs" | "devpts" | "mqueue" | "sysfs" | "cgroup")
                ) {
                    continue;
                }
                let (Some(s), Some(d)) =
                    (m.get("source").and_then(Value::as_str), m.get("destination").and_then(Value::as_str))
                else {
                    continue;
                };
                mounts.push(MountUse { kind, source: s.into(), destination: d.into(), dir: None });
            }
            let content_of = |d: &String| match trees.dirs.get(d).and_then(|(_, c)| c.content.as_ref()) {
                Some(c) => format!("{d}/{c}"),
                None => d.clone(),
            };
            let mut layer_dirs: Vec<String> = upper_dir.iter().map(content_of).collect();
            if let Some(img) = image_id.as_ref().and_then(|i| info.images.iter().find(|x| &x.id == i)) {
                layer_dirs.extend(img.layers.iter().rev().filter_map(|l| l.dir.as_ref().map(content_of)));
            }
            let labels: BTreeMap<String, String> = c
                .bucket(&[b"labels"])
                .map(|l| {
                    l.entries
                        .keys()
                        .filter_map(|k| l.text(k).map(|v| (String::from_utf8_lossy(k).into_owned(), v)))
                        .collect()
                })
                .unwrap_or_default();
            let logs = pod_logs(&labels, artifacts);
            // The container record the exposure rules read: its spec, labels, image, runtime.
            if let Some(spec) = &spec {
                let loc = meta_art.locator().with_member(format!("v1/{ns}/containers/{id}/spec"));
                let mut rec = super::oci::container(spec, &id, InspectSource::Containerd, loc);
                rec.name = id.clone();
                rec.image = c.text(b"image");
                rec.image_id = image_id.clone();
                rec.created = c.value(b"createdat").and_then(go_time);
                rec.config.labels = labels.clone();
                if let Some(h) = rec.host_config.as_mut() {
                    h.runtime = c.bucket(&[b"runtime"]).and_then(|r| r.text(b"name"));
                }
                records.push(rec);
            }
            rooted.containers.push(RootContainer {
                id: id.clone(),
                name: id.clone(),
                image_id: image_id.clone(),
                init: None,
                upper,
                mount_points: mounts.iter().map(|m| m.destination.clone()).collect(),
                volumes: vec![],
            });
            info.containers.push(RootContainerInfo {
                id: id.clone(),
                name: format!("{ns}/{id}"),
                image_id,
                // A runtime task (its bundle directory in the captured state directory) is
                // a started container not yet deleted; none there, not running. Without
                // the state directory, no statement.
                running: info.tasks.as_ref().map(|t| t.binary_search(&format!("{ns}/{id}")).is_ok()),
                mount_id: c.text(b"snapshotKey"),
                init_id: None,
                upper_dir: upper_dir.as_ref().filter(|d| trees.dirs.contains_key(*d)).map(content_of),
                layer_dirs,
                lower_dirs: vec![],
                logs,
                mounts,
                labels,
                ..Default::default()
            });
        }
    }
    info.drivers = drivers.into_iter().collect();
    info.containers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    info.leases = leases(v1);
    (info, rooted, records)
}

/// Every namespace's leases: `v1/<ns>/leases/<id>/{createdat,labels,content,ingests,
/// snapshots/<snapshotter>}`, sorted by namespace and id.
fn leases(v1: &Bucket) -> Vec<Lease> {
    let name = |k: &[u8]| String::from_utf8_lossy(k).into_owned();
    let mut out = vec![];
    for (ns, nsb) in v1.buckets() {
        for (id, l) in nsb.bucket(&[b"leases"]).into_iter().flat_map(|b| b.buckets()) {
            let mut resources = vec![];
            for kind in [&b"content"[..], b"ingests", b"images", b"containers"] {
                for k in l.bucket(&[kind]).into_iter().flat_map(|b| b.entries.keys()) {
                    resources.push(format!("{} {}", name(kind), name(k)));
                }
            }
            for (snap, b) in l.bucket(&[b"snapshots"]).into_iter().flat_map(|b| b.buckets()) {
                for k in b.entries.keys() {
                    resources.push(format!("snapshots/{} {}", name(snap), name(k)));
                }
            }
            let labels = l
                .bucket(&[b"labels"])
                .map(|b| b.entries.keys().filter_map(|k| b.text(k).map(|v| (name(k), v))).collect())
                .unwrap_or_default();
            out.push(Lease {
                namespace: name(ns),
                id: name(id),
                created: l.value(b"createdat").and_then(go_time),
                labels,
                resources,
            });
        }
    }
    out
}

/// A Go `time.Time.MarshalBinary` (version 1 or 2: seconds since year 1 and nanoseconds,
/// big-endian, then the zone offset), as containerd stores `createdat`/`updatedat`.
fn go_time(b: &[u8]) -> Option<crate::model::Timestamp> {
    if !matches!(b.first(), Some(1 | 2)) || b.len() < 15 {
        return None;
    }
    let sec = i64::from_be_bytes(b[1..9].try_into().ok()?);
    let nsec = u32::from_be_bytes(b[9..13].try_into().ok()?);
    const UNIX_FROM_YEAR_1: i64 = 62_135_596_800;
    Some(crate::model::Timestamp::from_unix(sec.checked_sub(UNIX_FROM_YEAR_1)?, nsec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_logs_follow_the_pod_labels() {
        let art = |p: &str| crate::fuzzing::artifact(p, crate::evidence::ArtifactKind::CriLog, b"");
        let arts = vec![
            art("host/var/log/pods/shop_web-7d9_0a1b/app/0.log"),
            art("host/var/log/pods/shop_web-7d9_0a1b/app/0.log.20261201-080000.gz"),
            art("host/var/log/pods/shop_web-7d9_0a1b/sidecar/0.log"),
            art("host/var/log/pods/other_web-7d9_0a1b/app/0.log"),
        ];
        let labels: BTreeMap<String, String> = [
            ("io.kubernetes.pod.namespace", "shop"),
            ("io.kubernetes.pod.name", "web-7d9"),
            ("io.kubernetes.pod.uid", "0a1b"),
            ("io.kubernetes.container.name", "app"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            pod_logs(&labels, &arts),
            [
                "host/var/log/pods/shop_web-7d9_0a1b/app/0.log",
                "host/var/log/pods/shop_web-7d9_0a1b/app/0.log.20261201-080000.gz"
            ]
        );
        assert!(pod_logs(&BTreeMap::new(), &arts).is_empty());
    }

    #[test]
    fn leases_list_their_labels_and_resources() {
        use super::bolt::Entry;
        let bucket = |items: Vec<(&str, Entry)>| Bucket {
            entries: items.into_iter().map(|(k, e)| (k.as_bytes().to_vec(), e)).collect(),
        };
        let val = |v: &str| Entry::Value(v.as_bytes().to_vec());
        let lease = bucket(vec![
            ("labels", Entry::Bucket(bucket(vec![("containerd.io/gc.expire", val("2026-12-01T11:00:00Z"))]))),
            ("content", Entry::Bucket(bucket(vec![("sha256:aa", val(""))]))),
            (
                "snapshots",
                Entry::Bucket(bucket(vec![(
                    "overlayfs",
                    Entry::Bucket(bucket(vec![("web-snapshot", val(""))])),
                )])),
            ),
        ]);
        let v1 = bucket(vec![(
            "default",
            Entry::Bucket(bucket(vec![(
                "leases",
                Entry::Bucket(bucket(vec![("pull-1", Entry::Bucket(lease))])),
            )])),
        )]);
        let got = leases(&v1);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].namespace.as_str(), got[0].id.as_str()), ("default", "pull-1"));
        assert_eq!(got[0].resources, ["content sha256:aa", "snapshots/overlayfs web-snapshot"]);
        assert_eq!(got[0].labels["containerd.io/gc.expire"], "2026-12-01T11:00:00Z");
    }

    #[test]
    fn go_binary_times() {
        // 2026-12-01T10:00:00.5Z: seconds since year 1, nanoseconds, zone offset 0.
        let mut b = vec![1u8];
        b.extend_from_slice(&(1_796_119_200i64 + 62_135_596_800).to_be_bytes());
        b.extend_from_slice(&500_000_000u32.to_be_bytes());
        b.extend_from_slice(&[0, 0]);
        assert_eq!(go_time(&b), Some(crate::model::Timestamp::from_unix(1_796_119_200, 500_000_000)));
        assert_eq!(go_time(&b[..5]), None);
    }

    #[test]
    fn varints_and_any() {
        assert_eq!(uvarint(&[0x96, 0x01]), Some(150));
        let mut any = vec![0x0a, 3, b'a', b'b', b'c', 0x12, 2, b'{', b'}'];
        assert_eq!(any_value(&any), Some(&b"{}"[..]));
        any.truncate(7);
        assert_eq!(any_value(&any), None);
    }
}
