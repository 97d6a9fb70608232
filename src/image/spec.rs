//! What an archive lists for one image: where its config and layers are (`ImageSpec`,
//! `LayerRef`) and the history steps a layout gives itself (`HistoryStep`); every layout
//! reader fills these.

use serde::Deserialize;

/// Where one image's parts are in the archive.
#[derive(Clone, Debug, Default)]
pub(super) struct ImageSpec {
    /// `docker-save`, `docker-save-oci` (Docker 25+), `oci-archive`.
    pub layout: &'static str,
    /// Where the image was listed (`manifest.json[0]`, `index.json > sha256:...`).
    pub listed_in: String,
    pub repo_tags: Vec<String>,
    pub config_member: Vec<u8>,
    /// The config digest the archive claims (descriptor or content-addressed name).
    pub config_digest: Option<String>,
    pub manifest_digest: Option<String>,
    /// Verified digest of the manifest blob (OCI), when it was checked.
    pub manifest_check: Option<(String, String)>,
    pub layers: Vec<LayerRef>,
    pub platform: Option<String>,
    /// History given by the layout itself (v1: one step per layer json), used instead of
    /// the config's.
    pub history: Option<Vec<HistoryStep>>,
    /// For an image rebuilt from a damaged archive (no usable `manifest.json`/`index.json`):
    /// what it was rebuilt from and what is missing.
    pub recovered: Option<String>,
}

/// One layer as the manifest lists it.
#[derive(Clone, Debug, Default)]
pub(super) struct LayerRef {
    /// Member name as listed (may be a link).
    pub member: Vec<u8>,
    pub media_type: Option<String>,
    /// Blob digest from the manifest descriptor (must equal the blob's sha256).
    pub digest: Option<String>,
    /// Digest found in the member name (`blobs/sha256/<hex>`, `<hex>.tar.gz`): equals the
    /// blob's sha256 or, for uncompressed names, the diff_id.
    pub name_digest: Option<String>,
}

/// One history step of the image config.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct HistoryStep {
    #[serde(default)]
    pub created: Option<String>,
    /// The step, its secrets masked as it is read (`ENV DB_PASSWORD=...`, build-arg residue).
    #[serde(default, deserialize_with = "redacted")]
    pub created_by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

/// A history step's `created_by` with its secrets masked.
fn redacted<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|c| crate::ingest::inspect::redact_command(&c)))
}
