//! What a data root gives the image analysis: its images (config, tags, layer chain with
//! each layer's directory read as entries) and its containers (init and read-write layers,
//! mount points, volumes), whatever the runtime (Docker, containers-storage, containerd).

use std::sync::Arc;

use crate::digest::Check;
use crate::layerscan::LayerScan;

/// One layer of a data-root image: its ids and its directory, read.
#[derive(Clone, Debug, Default)]
pub(crate) struct RootLayer {
    /// The diff_id the layer store records for it (`layerdb/sha256/<chain>/diff`).
    pub diff_id: Option<String>,
    /// The chain id (`layerdb/sha256/<chain>`).
    pub chain_id: Option<String>,
    /// The layer directory, as an artifact path of the bundle.
    pub dir: Option<String>,
    /// Its content as layer entries.
    pub scan: Option<Arc<LayerScan>>,
    /// Its content checked against `diff_id` (the layer store's tar-split replayed over the
    /// directory): `verified`, `mismatch`, `incomplete` (could not be replayed) or
    /// `unverified` (nothing to replay, or read from a tar).
    pub content_check: Check,
    /// The digest the replay gave, when it ran.
    pub rebuilt: Option<String>,
}

/// One image of a data root.
#[derive(Clone, Debug, Default)]
pub(crate) struct RootImage {
    /// The id the store names it by (`sha256:<hex>`).
    pub id: String,
    /// The config as stored.
    pub config: Vec<u8>,
    /// The config's artifact path.
    pub config_path: String,
    pub repo_tags: Vec<String>,
    /// Bottom layer first.
    pub layers: Vec<RootLayer>,
    /// `docker-data-root` (or the runtime's own name).
    pub layout: &'static str,
    /// The id is the config's SHA-256 (Docker >= 1.10); the pre-1.10 `graph/` ids are random.
    pub content_addressed: bool,
    /// What the last layers are when they are not the config's (a container's init and
    /// read-write layers, shown on top of its image): one description each.
    pub extra: Vec<&'static str>,
}

/// A read-write layer directory: artifact path and content.
pub(crate) type RootDir = (String, Arc<LayerScan>);

/// One container of a data root with its layers.
#[derive(Clone, Debug, Default)]
pub(crate) struct RootContainer {
    pub id: String,
    pub name: String,
    /// The image id its config names.
    pub image_id: Option<String>,
    /// The `-init` layer (hostname, hosts, resolv.conf placeholders): applied, never reported.
    pub init: Option<RootDir>,
    /// The container's own read-write layer.
    pub upper: Option<RootDir>,
    /// Mount points in the container: what is below them is not in its layer.
    pub mount_points: Vec<String>,
    /// Volumes of the root it mounts: (destination in the container, volume directory,
    /// content). Their files are what the container keeps outside its layer.
    pub volumes: Vec<(String, String, Arc<LayerScan>)>,
}

/// What a data root gives the image analysis.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rooted {
    pub images: Vec<RootImage>,
    pub containers: Vec<RootContainer>,
}
