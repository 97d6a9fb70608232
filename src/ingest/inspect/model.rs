//! The records an inspect artifact yields: containers (with state, host config, mounts,
//! networks, config) and images.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ports::PortMapping;
use super::secrets::EnvVar;
use crate::model::{Locator, Timestamp};

/// Which kind of document a container record came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InspectSource {
    /// `docker inspect` / API output (also nerdctl's `--mode dockercompat`).
    #[default]
    Inspect,
    /// `podman inspect` output: docker's shape plus libpod's own keys (`OCIRuntime`,
    /// `ConmonPidFile`, `State.ConmonPid`...).
    Podman,
    /// The daemon's `containers/<id>/config.v2.json` (Docker >= 1.10).
    ConfigV2,
    /// The daemon's `containers/<id>/config.json` (Docker < 1.10).
    ConfigV1,
    /// A Podman container of a containers-storage root: its OCI runtime spec
    /// (`userdata/config.json`), `containers.json` and libpod's state.
    Libpod,
    /// A containerd container: the OCI runtime spec and labels in its metadata database.
    Containerd,
    /// A container an event source names (a sensor export, a syscall capture): its id, and
    /// its name and image when the source says.
    Sensor,
    /// A container checkpoint archive (Podman, CRI-O, the kubelet): `config.dump`,
    /// `spec.dump`, `network.status`.
    Checkpoint,
    /// A Kubernetes pod's container known only by its CRI log directory
    /// (`/var/log/pods/<namespace>_<pod>_<uid>/<container>/`), found because an API server
    /// audit event named the pod: its `io.kubernetes.*` labels are read from the path.
    PodLogs,
}

/// A container object from inspect or a daemon config file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContainerInfo {
    pub id: String,
    /// Without docker's leading `/`.
    pub name: String,
    pub source: InspectSource,
    /// Image as the user named it (`Config.Image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Image id (`sha256:...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Executable the container runs, and its arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    pub state: ContainerState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_count: Option<i64>,
    /// None when the artifact has no host config (a lone `config.v2.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_config: Option<HostConfig>,
    /// Top-level `AppArmorProfile` (e.g. `docker-default`, `unconfined`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apparmor_profile: Option<String>,
    /// `SeccompProfile` of daemon config files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<String>,
    /// `NoNewPrivileges` of daemon config files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_new_privileges: Option<bool>,
    pub mounts: Vec<MountInfo>,
    pub network: NetworkInfo,
    pub config: ContainerConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_driver: Option<GraphDriver>,
    /// Host path of the json-file log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_path: Option<String>,
    /// What a checkpoint archive says of it, when it was read from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointMeta>,
    /// The object in its artifact (line of its opening brace).
    pub locator: Locator,
}

/// A checkpoint archive's record of the container (`config.dump`, `spec.dump`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckpointMeta {
    /// When it was checkpointed (`checkpointedTime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpointed: Option<Timestamp>,
    /// The OCI runtime (`runtime`: `runc`, `crun`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// The engine that wrote it (spec annotation `io.container.manager`: `libpod`, `cri-o`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// The CRIU images' architecture (`x86_64`, `aarch64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

impl ContainerInfo {
    /// Container paths that are mount points (volumes, binds, tmpfs).
    pub fn mount_destinations(&self) -> Vec<String> {
        let mut d: Vec<String> = self.mounts.iter().map(|m| m.destination.clone()).collect();
        d.sort();
        d.dedup();
        d
    }

    /// First 12 characters of the id, as `docker ps` shows it.
    pub fn short_id(&self) -> &str {
        let id = self.id.strip_prefix("sha256:").unwrap_or(&self.id);
        id.get(..12).unwrap_or(id)
    }

    /// The name to use in commands: the name, or the short id when there is none.
    pub fn handle(&self) -> &str {
        if self.name.is_empty() {
            self.short_id()
        } else {
            &self.name
        }
    }

    /// Every security option in force: `HostConfig.SecurityOpt` plus the profiles daemon
    /// config files store at top level, written the way `--security-opt` takes them.
    pub fn security_options(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.host_config.iter().flat_map(|h| h.security_opt.iter().cloned()).collect();
        if let Some(p) = &self.apparmor_profile {
            v.push(format!("apparmor={p}"));
        }
        if let Some(p) = &self.seccomp_profile {
            v.push(format!("seccomp={p}"));
        }
        if self.no_new_privileges == Some(true) {
            v.push("no-new-privileges".into());
        }
        v.sort();
        v.dedup();
        v
    }

    /// Published and exposed ports: the live `NetworkSettings.Ports`, else the configured
    /// `HostConfig.PortBindings`.
    pub fn ports(&self) -> &[PortMapping] {
        match &self.host_config {
            Some(h) if self.network.ports.is_empty() => &h.port_bindings,
            _ => &self.network.ports,
        }
    }
}

/// Runtime state (`State`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContainerState {
    /// `running`, `exited`, `created`, `paused`, `restarting`, `dead` (derived from the flags
    /// when the Docker version has no `Status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    pub oom_killed: bool,
    pub dead: bool,
    /// Host PID of the container's init process (0 when not running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// Health check status (`healthy`, `unhealthy`, `starting`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
}

/// Privilege, namespace and resource settings (`HostConfig`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct HostConfig {
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    /// `host` means the host's PID namespace; `container:<id>` another container's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uts_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroupns_mode: Option<String>,
    pub devices: Vec<DeviceMapping>,
    pub readonly_rootfs: bool,
    pub port_bindings: Vec<PortMapping>,
    pub publish_all_ports: bool,
    /// `host:container[:opts]` bind specifications.
    pub binds: Vec<String>,
    /// Memory limit in bytes (0 = unlimited).
    pub memory: i64,
    /// CPU limit in billionths of a CPU (0 = unlimited).
    pub nano_cpus: i64,
    /// CFS quota in microseconds per period (0 = unlimited).
    pub cpu_quota: i64,
    /// PIDs limit; None, 0 or -1 = unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    /// OCI runtime (`runc`, `runsc`, `kata`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    /// Where this host config was read (the inspect object, or a sibling `hostconfig.json`).
    pub locator: Locator,
}

impl HostConfig {
    /// True when no PIDs limit applies.
    pub fn pids_unlimited(&self) -> bool {
        self.pids_limit.is_none_or(|l| l <= 0)
    }
}

/// A device passed into the container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeviceMapping {
    pub path_on_host: String,
    pub path_in_container: String,
    pub permissions: String,
}

/// One mount (`Mounts`, `MountPoints`, old `Volumes`, or a `Binds` entry).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MountInfo {
    /// `bind`, `volume`, `tmpfs`, `npipe`, `cluster` (None when the document does not say).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Volume name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Host path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// True when `source` was worked out (a local volume's `<docker root>/volumes/<name>/_data`)
    /// rather than read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub source_inferred: bool,
    pub destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    pub rw: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagation: Option<String>,
}

/// One network the container is attached to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkAttachment {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_len: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
}

/// `NetworkSettings`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkInfo {
    /// Top-level (default bridge) address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// Sorted by network name.
    pub networks: Vec<NetworkAttachment>,
    /// Exposed ports and their host bindings.
    pub ports: Vec<PortMapping>,
    /// Host path of the network namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox_key: Option<String>,
}

/// `Config` of a container (and, in part, of an image).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContainerConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Empty or None = root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Secret values masked.
    pub env: Vec<EnvVar>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub exposed_ports: Vec<String>,
    pub tty: bool,
    /// `Healthcheck.Test` (`["CMD-SHELL", "curl -f http://localhost/"]`), when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Vec<String>>,
}

impl ContainerConfig {
    /// True when the process runs as root: no user, `root`, `0`, or uid 0 with a group.
    pub fn runs_as_root(&self) -> bool {
        match self.user.as_deref().map(str::trim) {
            None | Some("") => true,
            Some(u) => matches!(u.split(':').next(), Some("root" | "0")),
        }
    }
}

/// `GraphDriver`: the storage driver and the host paths of the container's layers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GraphDriver {
    pub name: String,
    /// `UpperDir`, `MergedDir`, `LowerDir`, `WorkDir`... (host paths).
    pub data: BTreeMap<String, String>,
}

/// An image object from inspect.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImageInfo {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
    /// Layer diff ids (`RootFS.Layers`), bottom first.
    pub layers: Vec<String>,
    pub config: ContainerConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Build history (a config blob's `history`; a v1 layer JSON's one step).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ImageHistoryStep>,
    /// `image-inspect` (a `docker image inspect` object), `image-list` (a `GET /images/json`
    /// entry: no config) or `image-config` (a config blob or a v1 layer JSON).
    pub source: &'static str,
    pub locator: Locator,
}

/// One step of an image's build history.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImageHistoryStep {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub empty_layer: bool,
}

impl ImageInfo {
    /// First 12 hex digits of the id.
    pub fn short_id(&self) -> &str {
        let id = self.id.strip_prefix("sha256:").unwrap_or(&self.id);
        id.get(..12).unwrap_or(id)
    }
}
