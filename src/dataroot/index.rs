//! The report's index of one data root, runtime-neutral: its images with their layers,
//! containers with their layers and mounts, volumes, and the runtime's own extras (libpod
//! pods and state database, containerd leases).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::digest::Check;

/// What one data root holds, for the report, whatever the runtime (Docker,
/// containers-storage, containerd).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RootIndex {
    /// The root's path inside the bundle (`` when the bundle is the root itself).
    pub root: String,
    /// `image/<driver>` (Docker >= 1.10) or `graph` (older).
    pub layout: &'static str,
    /// Storage drivers with an image store.
    pub drivers: Vec<String>,
    pub images: Vec<RootImageInfo>,
    pub containers: Vec<RootContainerInfo>,
    /// Volumes (`volumes/<name>/_data`) and who mounts them.
    pub volumes: Vec<VolumeInfo>,
    /// containers-storage: libpod's state database read (`libpod/bolt_state.db` or
    /// `libpod/db.sql`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_db: Option<String>,
    /// containers-storage: libpod's pods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<super::libpod::Pod>,
    /// containerd: leases (what keeps content and snapshots from garbage collection).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leases: Vec<Lease>,
    /// containerd: the Kubernetes distribution whose root it is, from where it sits (`k3s`,
    /// `rke2`, `microk8s`, `kind`); None for a plain root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<&'static str>,
    /// containerd: its state directory (`run/k3s/containerd`...), when the bundle holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<String>,
    /// containerd: the runtime v2 tasks in the captured state directory (`<namespace>/<id>`:
    /// the containers that had a task, running or exited and not yet deleted, at capture).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<String>>,
}

impl RootIndex {
    /// Each container's log span: the spans of its logs as they were scanned (`scanned`:
    /// artifact path and span, oldest file of a rotated log first), followed in that order.
    pub(crate) fn attach_log_spans(&mut self, scanned: &[(&str, &crate::model::LogSpan)]) {
        for c in &mut self.containers {
            let mut span: Option<crate::model::LogSpan> = None;
            for (_, s) in scanned.iter().filter(|(p, _)| c.logs.iter().any(|l| l == p)) {
                span.get_or_insert_with(Default::default).then(s);
            }
            c.log_span = span;
        }
    }
}

/// A containerd lease: `v1/<namespace>/leases/<id>` with its labels and the resources it
/// holds (`content <digest>`, `snapshots/<snapshotter> <key>`, `ingests <ref>`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Lease {
    pub namespace: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<crate::model::Timestamp>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    pub resources: Vec<String>,
}

/// One image of the store.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RootImageInfo {
    pub id: String,
    pub repo_tags: Vec<String>,
    /// The config's sha256 against its file name.
    pub config_check: Check,
    /// Bottom layer first.
    pub layers: Vec<RootLayerInfo>,
}

/// One layer of an image's chain.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RootLayerInfo {
    pub diff_id: Option<String>,
    pub chain_id: Option<String>,
    /// The driver's directory id (`cache-id`).
    pub cache_id: Option<String>,
    /// The layer directory in the bundle, when present.
    pub dir: Option<String>,
    /// The directory's content against the diff_id (tar-split replayed over it).
    pub content_check: Check,
}

/// One container with its layers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RootContainerInfo {
    pub id: String,
    pub name: String,
    pub image_id: Option<String>,
    /// As its config says; None when the root does not record it (containers-storage keeps
    /// it in the libpod database, not read).
    pub running: Option<bool>,
    /// The storage driver its layers are under (Docker), and how that is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_basis: Option<DriverBasis>,
    /// The driver's id of its read-write layer (`layerdb/mounts/<id>/mount-id`).
    pub mount_id: Option<String>,
    pub init_id: Option<String>,
    /// The directory holding its own changes (`overlay2/<id>/diff`, `overlay/<id>/upper`,
    /// `aufs/diff/<id>`).
    pub upper_dir: Option<String>,
    /// Top to bottom: read-write layer, init layer, the image's layers (content directories).
    pub layer_dirs: Vec<String>,
    /// overlay2: the lower layers as the driver itself records them (the read-write layer's
    /// `lower` file, its `l/` short links resolved inside the root), top to bottom;
    /// cross-checked against `layer_dirs`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lower_dirs: Vec<String>,
    /// Its logs (json-file, `local`, CRI; rotated ones too), oldest last as docker numbers them.
    pub logs: Vec<String>,
    /// What its logs span (first and last record, records per stream, bytes, files and
    /// rotated ones), summed over the logs above as they were scanned; None when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_span: Option<crate::model::LogSpan>,
    /// Volumes and binds: (source in the root or on the host, destination).
    pub mounts: Vec<MountUse>,
    /// The runtime's labels of the container (containerd: Kubernetes pod labels).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// How a container's storage driver is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriverBasis {
    /// Its own config (`config.v2.json` `Driver`).
    Config,
    /// The one driver whose layer store records its mount (`layerdb/mounts/<id>`).
    LayerStore,
    /// The root has one driver only.
    OnlyDriver,
    /// Docker < 1.10 (`graph/`): the driver of `repositories-<driver>`.
    Graph,
    /// Several drivers, none recorded for it: the first was assumed (with a diagnostic).
    Guessed,
}

impl DriverBasis {
    /// In words, for the text report.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            DriverBasis::Config => "from its config",
            DriverBasis::LayerStore => "from the layer store",
            DriverBasis::OnlyDriver => "the root's only driver",
            DriverBasis::Graph => "graph layout",
            DriverBasis::Guessed => "GUESSED",
        }
    }
}

/// A mount of a container.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MountUse {
    /// `volume` or `bind` (or what the config says).
    pub kind: Option<String>,
    /// For volumes: `volumes/<name>/_data` in the root; for binds: the host path.
    pub source: String,
    pub destination: String,
    /// The volume's data directory is in the bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
}

/// A volume directory.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VolumeInfo {
    pub name: String,
    pub dir: String,
    pub used_by: Vec<String>,
}
