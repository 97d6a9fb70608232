//! Seized hosts: container runtimes' data roots (Docker's `/var/lib/docker`, Podman's
//! `/var/lib/containers/storage`, containerd's `/var/lib/containerd`) read offline and
//! unprivileged, from a directory or a tar of it. Layer directories become one artifact each
//! and their files layer entries ([`intake`]); the runtime's metadata gives the images, layer
//! chains, containers with their read-write layers, logs and volumes ([`docker`], [`podman`]
//! for containers-storage), handed to the image analysis as [`rooted::Rooted`].

pub(crate) mod bolt;
pub(crate) mod containerd;
pub(crate) mod docker;
pub(crate) mod index;
pub(crate) mod intake;
pub(crate) mod kubelet;
pub(crate) mod layout;
pub(crate) mod libpod;
pub(crate) mod node;
pub(crate) mod oci;
pub(crate) mod podman;
pub(crate) mod rooted;
pub(crate) mod sa_token;
pub(crate) mod select;
pub(crate) mod tarsplit;
pub(crate) mod tree;

use serde::Serialize;

pub(crate) use index::RootIndex;
pub(crate) use intake::{is_layer_dir, read_dirs};
pub(crate) use intake::{TarTrees, Trees};

use crate::evidence::{Artifact, ArtifactKind};
use crate::ingest::inspect::ContainerInfo;
use crate::model::Diagnostic;
use rooted::Rooted;

/// The data roots of a bundle, for the report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DataRootSection {
    pub docker: Vec<index::RootIndex>,
    /// Podman / CRI-O graph roots (`/var/lib/containers/storage`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containers_storage: Vec<index::RootIndex>,
    /// containerd roots (`/var/lib/containerd`, dockerd's `containerd/daemon`): containers
    /// are named `namespace/id`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containerd: Vec<index::RootIndex>,
    /// Kubelet pod directories (`/var/lib/kubelet/pods/<uid>`): volumes, containers and the
    /// service-account tokens' claims (never the tokens).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubelet: Vec<kubelet::KubeletPod>,
}

impl DataRootSection {
    /// Every root's containers get their logs' spans (see [`RootIndex::attach_log_spans`]).
    pub(crate) fn attach_log_spans(&mut self, scanned: &[(&str, &crate::model::LogSpan)]) {
        for r in self.docker.iter_mut().chain(&mut self.containers_storage).chain(&mut self.containerd) {
            r.attach_log_spans(scanned);
        }
    }
}

/// Files of a data root that are read through the root (image configs, layer store entries,
/// driver metadata, databases, the container's `hosts`/`resolv.conf`...), never as evidence on
/// their own: marked so that no sniffer or log scanner reads them. Container configs,
/// container logs (json-file, CRI/k8s-file, local, journal; whatever their name) and
/// pre-1.10 layer JSONs keep their kind.
pub(crate) fn mark_files(artifacts: &mut [Artifact]) {
    kubelet::mark_files(artifacts);
    let mut roots = docker::roots(artifacts);
    roots.extend(podman::roots(artifacts));
    let ctd = containerd::roots(artifacts);
    let nodes: Vec<(String, &str)> =
        ctd.iter().filter_map(|r| node::distribution(r, artifacts).map(|(d, _)| (r.clone(), d))).collect();
    roots.extend(ctd);
    // One note shared by every file that reads the same (a root can hold a million).
    let mut shared: std::collections::BTreeSet<std::sync::Arc<str>> = Default::default();
    for a in artifacts.iter_mut() {
        let Some(root) = roots.iter().find(|r| a.path.starts_with(r.as_str())) else { continue };
        let of = match nodes.iter().find(|(r, _)| r == root) {
            Some((_, d)) => format!(" of a {d} node's containerd root"),
            None => String::new(),
        };
        let rel = &a.path[root.len()..];
        if a.kind == ArtifactKind::LayerDir || a.error.is_some() {
            continue;
        }
        let parts: Vec<&str> = rel.split('/').collect();
        let own = match parts.as_slice() {
            ["containers", _, "config.v2.json" | "config.json"] => true,
            // A container's log, whatever it was renamed to.
            ["containers", ..] | ["overlay-containers", ..] => {
                a.kind.is_log() && a.kind != ArtifactKind::TextLog
            }
            // A pre-1.10 layer JSON is an image config of its own as well (its history).
            ["graph", _, "json"] => a.kind == ArtifactKind::ImageConfig,
            _ => false,
        };
        if own {
            continue;
        }
        let note = match a.note.take() {
            Some(n) => {
                format!(
                    "data root file{of} (sniffed as {}), read through the data root; {n}",
                    a.kind.as_str()
                )
            }
            None => {
                format!("data root file{of} (sniffed as {}), read through the data root", a.kind.as_str())
            }
        };
        a.note = Some(match shared.get(note.as_str()) {
            Some(n) => n.clone(),
            None => {
                let n: std::sync::Arc<str> = note.into();
                shared.insert(n.clone());
                n
            }
        });
        a.kind = ArtifactKind::RootFile;
    }
}

/// Everything the data roots of a bundle give.
pub(crate) struct Read {
    /// What they hold, for the report.
    pub section: DataRootSection,
    /// Their images and containers' layers, for the image analysis.
    pub rooted: Rooted,
    /// Container records of Podman and containerd containers (from their OCI specs and the
    /// runtime's state), for the exposure rules; Docker's come from `config.v2.json`.
    pub containers: Vec<ContainerInfo>,
}

/// Read every data root of a bundle. None when the bundle holds no data root.
pub(crate) fn read(
    artifacts: &[Artifact],
    trees: &Trees,
    containers: &[ContainerInfo],
    diags: &mut Vec<Diagnostic>,
) -> Option<Read> {
    let roots = docker::roots(artifacts);
    let cs = podman::roots(artifacts);
    let ctd = containerd::roots(artifacts);
    if roots.is_empty() && cs.is_empty() && ctd.is_empty() {
        return None;
    }
    let mut section = DataRootSection::default();
    let mut rooted = Rooted::default();
    let mut records = vec![];
    for r in roots {
        let (info, got) = docker::read(&r, artifacts, trees, containers, diags);
        section.docker.push(info);
        rooted.images.extend(got.images);
        rooted.containers.extend(got.containers);
    }
    for r in cs {
        let (info, got, recs) = podman::read(&r, artifacts, trees, diags);
        records.extend(recs);
        section.containers_storage.push(info);
        rooted.images.extend(got.images);
        rooted.containers.extend(got.containers);
    }
    for r in ctd {
        let (info, got, recs) = containerd::read(&r, artifacts, trees, diags);
        records.extend(recs);
        section.containerd.push(info);
        rooted.images.extend(got.images);
        rooted.containers.extend(got.containers);
    }
    // A container an inspect document of the bundle already describes keeps that record.
    records.retain(|r: &ContainerInfo| !containers.iter().any(|c| c.id == r.id));
    records.sort_by(|a, b| (&a.name, &a.id, &a.locator).cmp(&(&b.name, &b.id, &b.locator)));
    Some(Read { section, rooted, containers: records })
}
