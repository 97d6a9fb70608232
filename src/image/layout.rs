//! Archive layouts: which images an archive holds and where their config and layer blobs
//! are. Legacy `docker save` (`manifest.json`, `<id>/layer.tar`), Docker 25+ save (OCI
//! layout plus `manifest.json` with `LayerSources`), kaniko/crane (`<digest>.tar.gz`,
//! config named `sha256:<hex>`), and pure OCI archives (`index.json` -> nested indexes ->
//! manifests). Pre-1.10 saves (`repositories` only) are read by `legacy`. OCI artifacts
//! (SBOMs, signatures, attestations: `artifactType`, a config that is not an image config,
//! layers that are not tars, buildx `vnd.docker.reference.type` manifests) are listed as
//! artifacts, never analysed as images. Image configs are parsed here too.

use serde::Deserialize;
use serde_json::Value;

use super::archive::Archive;
use super::spec::{HistoryStep, ImageSpec, LayerRef};
use crate::model::{display_bytes, Diagnostic, Timestamp};

/// Nested index depth followed before giving up.
const MAX_INDEX_DEPTH: usize = 8;

/// An OCI artifact found in an index: not an image, listed for what it is.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct OciArtifact {
    /// The archive (or layout directory) holding it.
    pub archive: String,
    /// Where it was listed (`index.json > blobs/sha256/...`).
    pub listed_in: String,
    pub manifest_digest: String,
    /// `mediaType` of the manifest (image manifest or index).
    pub media_type: Option<String>,
    /// `artifactType`, else the config media type, else the buildx reference type.
    pub artifact_type: Option<String>,
    /// The manifest it refers to (`subject`, or buildx `vnd.docker.reference.digest`).
    pub subject: Option<String>,
    /// Media types of its layers (blobs).
    pub layer_media_types: Vec<String>,
    /// Names given to it (`org.opencontainers.image.ref.name`...).
    pub names: Vec<String>,
    /// Why it is taken for an artifact and not an image.
    pub reason: String,
}

/// Config media types of runnable images.
const IMAGE_CONFIG_TYPES: &[&str] =
    &["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"];

/// Whether a layer media type is a filesystem layer (tar, possibly compressed). A layer with
/// no media type is taken for one.
pub(crate) fn is_tar_layer_type(media_type: &str) -> bool {
    let m = media_type.trim();
    m.is_empty()
        || m.starts_with("application/vnd.oci.image.layer.")
        || m.starts_with("application/vnd.docker.image.rootfs.")
}

/// Why a manifest (`doc`, reached through descriptor `desc`) is an OCI artifact rather than
/// an image, if it is one.
fn artifact_reason(desc: &Value, doc: &Value) -> Option<String> {
    let ann = |k: &str| desc.get("annotations").and_then(|a| a.get(k)).and_then(Value::as_str);
    if let Some(t) = ann("vnd.docker.reference.type") {
        return Some(format!("descriptor annotation `vnd.docker.reference.type` = `{t}` (a buildx attestation or reference manifest, not an image)"));
    }
    let at = doc.get("artifactType").or_else(|| desc.get("artifactType")).and_then(Value::as_str);
    if let Some(t) = at {
        return Some(format!("`artifactType` is `{t}`"));
    }
    if doc.get("manifests").is_some() {
        return None;
    }
    let config_media = doc.get("config").and_then(|c| c.get("mediaType")).and_then(Value::as_str);
    if let Some(c) = config_media {
        if !IMAGE_CONFIG_TYPES.contains(&c) {
            return Some(format!("config media type `{c}` is not an image config"));
        }
    }
    let layers = doc.get("layers").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if let Some(t) = layers
        .iter()
        .filter_map(|l| l.get("mediaType").and_then(Value::as_str))
        .find(|t| !is_tar_layer_type(t))
    {
        return Some(format!("layer media type `{t}` is not a filesystem layer"));
    }
    None
}

fn artifact_record(
    a: &Archive,
    listed_in: String,
    digest: &str,
    desc: &Value,
    doc: &Value,
    names: Vec<String>,
    reason: String,
) -> OciArtifact {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(String::from);
    let ann =
        |k: &str| desc.get("annotations").and_then(|x| x.get(k)).and_then(Value::as_str).map(String::from);
    OciArtifact {
        archive: a.name.clone(),
        listed_in,
        manifest_digest: digest.to_string(),
        media_type: s(doc.get("mediaType")).or_else(|| s(desc.get("mediaType"))),
        artifact_type: s(doc.get("artifactType"))
            .or_else(|| s(desc.get("artifactType")))
            .or_else(|| ann("vnd.docker.reference.type"))
            .or_else(|| s(doc.get("config").and_then(|c| c.get("mediaType")))),
        subject: s(doc.get("subject").and_then(|x| x.get("digest")))
            .or_else(|| ann("vnd.docker.reference.digest")),
        layer_media_types: doc
            .get("layers")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(|d| s(d.get("mediaType"))).collect())
            .unwrap_or_default(),
        names,
        reason,
    }
}

/// Everything an archive's index lists.
#[derive(Debug, Default)]
pub(super) struct Listing {
    pub images: Vec<ImageSpec>,
    pub artifacts: Vec<OciArtifact>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The parts of an image config the analysis uses.
#[derive(Clone, Debug, Default)]
pub(crate) struct ImageConfig {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub created: Option<Timestamp>,
    pub diff_ids: Vec<String>,
    pub history: Vec<HistoryStep>,
    /// `config.Entrypoint` + `config.Cmd`, for recognising `docker commit` layers.
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    /// `container`: the container a `docker commit` made the image from.
    pub container: Option<String>,
}

/// Parse an image config JSON.
pub(crate) fn parse_config(bytes: &[u8]) -> Result<ImageConfig, String> {
    #[derive(Deserialize, Default)]
    struct RootFs {
        #[serde(default)]
        diff_ids: Option<Vec<String>>,
    }
    #[derive(Deserialize, Default)]
    struct Run {
        #[serde(rename = "Cmd", default)]
        cmd: Option<Value>,
        #[serde(rename = "Entrypoint", default)]
        entrypoint: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        architecture: Option<String>,
        #[serde(default)]
        os: Option<String>,
        #[serde(default)]
        created: Option<String>,
        #[serde(default)]
        rootfs: Option<RootFs>,
        #[serde(default)]
        history: Option<Vec<HistoryStep>>,
        #[serde(default)]
        config: Option<Run>,
        #[serde(default)]
        container: Option<String>,
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(|e| format!("invalid image config JSON: {e}"))?;
    let strings = |v: Option<Value>| -> Vec<String> {
        match v {
            Some(Value::Array(a)) => a.into_iter().filter_map(|x| x.as_str().map(String::from)).collect(),
            Some(Value::String(s)) => vec![s],
            _ => vec![],
        }
    };
    let run = raw.config.unwrap_or_default();
    Ok(ImageConfig {
        architecture: raw.architecture,
        os: raw.os,
        created: raw.created.as_deref().and_then(Timestamp::parse_rfc3339),
        diff_ids: raw.rootfs.and_then(|r| r.diff_ids).unwrap_or_default(),
        history: raw.history.unwrap_or_default(),
        cmd: strings(run.cmd),
        entrypoint: strings(run.entrypoint),
        container: raw.container.filter(|c| !c.is_empty()),
    })
}

/// `sha256:<64 hex>` from a content-addressed member name, if it is one.
pub(crate) fn digest_in_name(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let is_hex = crate::digest::is_hex64;
    if let Some(h) = name.strip_prefix("blobs/sha256/") {
        return is_hex(h).then(|| format!("sha256:{}", h.to_ascii_lowercase()));
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.strip_prefix("sha256:").unwrap_or(base);
    let stem = stem
        .strip_suffix(".tar.gz")
        .or_else(|| stem.strip_suffix(".tar.zst"))
        .or_else(|| stem.strip_suffix(".tar"))
        .or_else(|| stem.strip_suffix(".json"))
        .unwrap_or(stem);
    is_hex(stem).then(|| format!("sha256:{}", stem.to_ascii_lowercase()))
}

pub(super) fn blob_member(digest: &str) -> Option<Vec<u8>> {
    let (alg, hex) = digest.split_once(':')?;
    if alg.is_empty() || hex.is_empty() || alg.contains('/') || hex.contains('/') || hex.contains("..") {
        return None;
    }
    Some(format!("blobs/{alg}/{hex}").into_bytes())
}

/// The images and OCI artifacts an archive holds. Diagnostics name the member and what is
/// wrong.
pub(crate) fn list(a: &Archive) -> Listing {
    let mut artifacts = vec![];
    let (images, diagnostics) = list_all(a, &mut artifacts);
    Listing { images, artifacts, diagnostics }
}

fn list_all(a: &Archive, artifacts: &mut Vec<OciArtifact>) -> (Vec<ImageSpec>, Vec<Diagnostic>) {
    let mut diags = vec![];
    let has_manifest = a.has(b"manifest.json");
    let has_index = a.has(b"index.json");
    let docker25 = a.has(b"oci-layout");
    if has_manifest {
        match a.read_small(b"manifest.json") {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Array(list)) => {
                    let specs = from_manifest_json(a, &list, docker25, &mut diags);
                    if !specs.is_empty() || !has_index {
                        if list.is_empty() {
                            diags.push(Diagnostic::error(
                                a.locator(b"manifest.json"),
                                "manifest.json lists no images",
                            ));
                        }
                        return (specs, diags);
                    }
                }
                Ok(Value::Null) => diags.push(Diagnostic::error(
                    a.locator(b"manifest.json"),
                    "manifest.json is `null`: the archive lists no images",
                )),
                Ok(other) => diags.push(Diagnostic::error(
                    a.locator(b"manifest.json"),
                    format!("manifest.json is not an array of images (found {})", json_kind(&other)),
                )),
                Err(e) => diags.push(Diagnostic::error(
                    a.locator(b"manifest.json").with_line(e.line() as u64),
                    format!("manifest.json is not valid JSON: {e}"),
                )),
            },
            Err(e) => diags.push(Diagnostic::error(a.locator(b"manifest.json"), e)),
        }
    }
    if has_index {
        let mut specs = vec![];
        let before = diags.len();
        match a.read_small(b"index.json") {
            Ok(bytes) => {
                let mut w = Walk { a, specs: &mut specs, artifacts, diags: &mut diags, path: vec![] };
                w.index(&bytes, "index.json".into(), &[], 0)
            }
            Err(e) => diags.push(Diagnostic::error(a.locator(b"index.json"), e)),
        }
        let walk_errors = diags[before..].iter().any(|d| d.level == crate::model::DiagLevel::Error);
        if specs.is_empty() && !has_manifest {
            if !artifacts.is_empty() {
                diags.push(Diagnostic::warning(
                    a.locator(b"index.json"),
                    format!("index.json lists only OCI artifacts ({}), no image to analyse", artifacts.len()),
                ));
            } else if !walk_errors {
                // When a listed manifest is missing or broken, its own error says why no
                // image was found; this one is for an index that lists nothing usable.
                diags
                    .push(Diagnostic::error(a.locator(b"index.json"), "index.json lists no image manifests"));
            }
        }
        dedupe_artifacts(artifacts);
        return (dedupe(specs), diags);
    }
    if !has_manifest {
        if a.has(b"repositories") {
            let specs = super::legacy::list_images(a, &mut diags);
            return (specs, diags);
        }
        diags.push(Diagnostic::error(
            a.whole_locator(),
            "no manifest.json, no index.json and no repositories: not a loadable image archive",
        ));
    }
    (vec![], diags)
}

/// The images and artifacts of manifests and indexes found by content (their index lost):
/// walked as if an index listed each of `digests` (`sha256:<hex>`, indexes first so that
/// their platforms are kept), under `listed_in`.
pub(crate) fn list_found(a: &Archive, digests: &[String], listed_in: &str) -> Listing {
    let mut artifacts = vec![];
    let mut specs = vec![];
    let mut diags = vec![];
    let index = serde_json::json!({
        "manifests": digests.iter().map(|d| serde_json::json!({"digest": d})).collect::<Vec<_>>()
    });
    let mut w = Walk { a, specs: &mut specs, artifacts: &mut artifacts, diags: &mut diags, path: vec![] };
    w.index(index.to_string().as_bytes(), listed_in.to_string(), &[], 0);
    dedupe_artifacts(&mut artifacts);
    Listing { images: dedupe(specs), artifacts, diagnostics: diags }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn from_manifest_json(
    a: &Archive,
    list: &[Value],
    docker25: bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ImageSpec> {
    let mut specs = vec![];
    for (i, entry) in list.iter().enumerate() {
        let loc = a.locator(b"manifest.json");
        let Some(config) = entry.get("Config").and_then(Value::as_str) else {
            diags.push(Diagnostic::error(loc, format!("manifest.json[{i}] has no `Config`")));
            continue;
        };
        let layers: Vec<&str> = match entry.get("Layers") {
            Some(Value::Array(l)) => l.iter().filter_map(Value::as_str).collect(),
            _ => {
                diags.push(Diagnostic::error(loc, format!("manifest.json[{i}] has no `Layers` list")));
                continue;
            }
        };
        let repo_tags = match entry.get("RepoTags") {
            Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).map(String::from).collect(),
            _ => vec![],
        };
        let sources = entry.get("LayerSources").and_then(Value::as_object);
        let layers = layers
            .iter()
            .map(|m| {
                let name_digest = digest_in_name(m.as_bytes());
                // Docker 25+: LayerSources is keyed by diff_id; for blobs/sha256/<hex> layers the
                // descriptor digest is the blob's own (uncompressed blobs: digest == diff_id).
                let src = sources.and_then(|s| {
                    s.values().find(|d| d.get("digest").and_then(Value::as_str) == name_digest.as_deref())
                });
                LayerRef {
                    member: m.as_bytes().to_vec(),
                    media_type: src
                        .and_then(|d| d.get("mediaType"))
                        .and_then(Value::as_str)
                        .map(String::from),
                    digest: None,
                    name_digest,
                }
            })
            .collect();
        specs.push(ImageSpec {
            layout: if docker25 { "docker-save-oci" } else { "docker-save" },
            listed_in: format!("manifest.json[{i}]"),
            repo_tags,
            config_member: config.as_bytes().to_vec(),
            config_digest: digest_in_name(config.as_bytes()),
            layers,
            ..Default::default()
        });
    }
    specs
}

fn descriptor_digest(d: &Value) -> Option<&str> {
    d.get("digest").and_then(Value::as_str)
}

/// A walk down an index and the indexes it nests.
struct Walk<'x> {
    a: &'x Archive<'x>,
    specs: &'x mut Vec<ImageSpec>,
    artifacts: &'x mut Vec<OciArtifact>,
    diags: &'x mut Vec<Diagnostic>,
    /// Digests of the indexes on the way down (a loop is cut where it closes).
    path: Vec<String>,
}

impl Walk<'_> {
    fn index(&mut self, bytes: &[u8], listed_in: String, inherited: &[String], depth: usize) {
        let a = self.a;
        let loc = || a.locator(listed_in.split(" > ").last().unwrap_or("index.json").as_bytes());
        let index: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                self.diags.push(Diagnostic::error(loc(), format!("image index is not valid JSON: {e}")));
                return;
            }
        };
        let manifests = match index.get("manifests") {
            Some(Value::Array(m)) => m.clone(),
            Some(Value::Null) | None => {
                self.diags.push(Diagnostic::warning(
                    loc(),
                    "image index has `\"manifests\": null` (no images listed)",
                ));
                return;
            }
            Some(other) => {
                self.diags.push(Diagnostic::error(loc(), format!("`manifests` is {}", json_kind(other))));
                return;
            }
        };
        for d in &manifests {
            let Some(digest) = descriptor_digest(d) else {
                self.diags.push(Diagnostic::error(loc(), "a descriptor in `manifests` has no digest"));
                continue;
            };
            let annotations = d.get("annotations").and_then(Value::as_object);
            let Some(member) = blob_member(digest) else {
                self.diags
                    .push(Diagnostic::error(loc(), format!("descriptor digest `{digest}` is malformed")));
                continue;
            };
            let here = format!("{listed_in} > {}", display_bytes(&member));
            let blob = match a.read_small(&member) {
                Ok(b) => b,
                Err(e) => {
                    let platform = d.get("platform").map(platform_string);
                    let msg = format!("manifest blob {digest} listed in {listed_in} is missing: {e}");
                    // A multi-platform index often ships only the blobs of the saved platform.
                    self.diags.push(if depth > 0 && platform.is_some() {
                        Diagnostic::warning(loc(), msg)
                    } else {
                        Diagnostic::error(loc(), msg)
                    });
                    continue;
                }
            };
            let doc: Value = match serde_json::from_slice(&blob) {
                Ok(v) => v,
                Err(e) => {
                    self.diags.push(Diagnostic::error(
                        a.locator(&member),
                        format!("manifest is not valid JSON: {e}"),
                    ));
                    continue;
                }
            };
            let check = Some((digest.to_string(), crate::digest::hex(&crate::digest::sha256(&blob))));
            // Names given to this descriptor, plus those of the indexes that lead to it.
            let mut tags: Vec<String> = vec![];
            if let Some(ann) = annotations {
                for key in ["io.containerd.image.name", "org.opencontainers.image.ref.name"] {
                    if let Some(v) = ann.get(key).and_then(Value::as_str) {
                        if !tags.iter().any(|t| t == v || t.ends_with(&format!(":{v}"))) {
                            tags.push(v.to_string());
                        }
                    }
                }
            }
            for t in inherited {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            if let Some(reason) = artifact_reason(d, &doc) {
                self.artifacts.push(artifact_record(a, here.clone(), digest, d, &doc, tags.clone(), reason));
                if doc.get("manifests").is_none() {
                    continue;
                }
            }
            if doc.get("manifests").is_some() {
                if self.path.iter().any(|p| p == digest) {
                    self.diags.push(Diagnostic::warning(
                        a.locator(&member),
                        format!("index {digest} lists itself through {listed_in}: the loop is not followed"),
                    ));
                    continue;
                }
                if depth >= MAX_INDEX_DEPTH {
                    self.diags.push(Diagnostic::error(a.locator(&member), "image indexes nested too deeply"));
                    continue;
                }
                self.path.push(digest.to_string());
                self.index(&blob, here, &tags, depth + 1);
                self.path.pop();
                continue;
            }
            let Some(config) = doc.get("config").and_then(descriptor_digest) else {
                self.diags.push(Diagnostic::warning(
                    a.locator(&member),
                    "descriptor is neither an image manifest nor an index",
                ));
                continue;
            };
            let Some(config_member) = blob_member(config) else {
                self.diags.push(Diagnostic::error(
                    a.locator(&member),
                    format!("config digest `{config}` is malformed"),
                ));
                continue;
            };
            let layers = doc
                .get("layers")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|ld| {
                            let dg = descriptor_digest(ld)?;
                            let member = blob_member(dg)?;
                            Some(LayerRef {
                                name_digest: digest_in_name(&member),
                                member,
                                media_type: ld.get("mediaType").and_then(Value::as_str).map(String::from),
                                digest: Some(dg.to_string()),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.specs.push(ImageSpec {
                layout: "oci-archive",
                listed_in: here,
                repo_tags: tags,
                config_member,
                config_digest: Some(config.to_string()),
                manifest_digest: Some(digest.to_string()),
                manifest_check: check,
                layers,
                platform: d.get("platform").map(platform_string),
                history: None,
                recovered: None,
            });
        }
    }
}

/// One record per artifact manifest: reached through several indexes, its names merge.
fn dedupe_artifacts(arts: &mut Vec<OciArtifact>) {
    let mut out: Vec<OciArtifact> = vec![];
    for x in arts.drain(..) {
        match out.iter_mut().find(|o| o.manifest_digest == x.manifest_digest) {
            Some(o) => {
                for n in x.names {
                    if !o.names.contains(&n) {
                        o.names.push(n);
                    }
                }
            }
            None => out.push(x),
        }
    }
    *arts = out;
}

/// One image per manifest: the same manifest reached through several index entries is one
/// image with all their names.
fn dedupe(specs: Vec<ImageSpec>) -> Vec<ImageSpec> {
    let mut out: Vec<ImageSpec> = vec![];
    for s in specs {
        match out.iter_mut().find(|o| o.manifest_digest.is_some() && o.manifest_digest == s.manifest_digest) {
            Some(o) => {
                for t in s.repo_tags {
                    if !o.repo_tags.contains(&t) {
                        o.repo_tags.push(t);
                    }
                }
            }
            None => out.push(s),
        }
    }
    out
}

fn platform_string(p: &Value) -> String {
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
    let mut out = format!("{}/{}", s("os"), s("architecture"));
    if !s("variant").is_empty() {
        out.push('/');
        out.push_str(s("variant"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_in_names() {
        let h = "a".repeat(64);
        assert_eq!(digest_in_name(format!("blobs/sha256/{h}").as_bytes()), Some(format!("sha256:{h}")));
        assert_eq!(digest_in_name(format!("{h}.tar.gz").as_bytes()), Some(format!("sha256:{h}")));
        assert_eq!(digest_in_name(format!("sha256:{h}").as_bytes()), Some(format!("sha256:{h}")));
        assert_eq!(digest_in_name(format!("{h}/layer.tar").as_bytes()), None);
        assert_eq!(blob_member("sha256:../../x"), None);
    }

    #[test]
    fn config_fields() {
        let c = parse_config(
            br#"{"architecture":"amd64","os":"linux","created":"2026-11-27T14:00:00Z","config":{"Cmd":["catalina.sh","run"]},"rootfs":{"type":"layers","diff_ids":["sha256:x"]},"history":[{"created_by":"CMD","empty_layer":true}]}"#,
        )
        .unwrap();
        assert_eq!(c.cmd, ["catalina.sh", "run"]);
        assert_eq!(c.diff_ids.len(), 1);
        assert_eq!(c.history[0].empty_layer, Some(true));
        assert!(parse_config(b"null").is_err());
    }
}
