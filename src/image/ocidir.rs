//! OCI image layouts given as directories (`skopeo copy ... oci:dir`, `crane pull --format
//! oci`, buildx `type=oci,tar=false`): in a bundle their files are separate artifacts. A
//! directory holding an `oci-layout` file is grouped with its `index.json` (and the
//! `manifest.json` / `repositories` of an extracted Docker 25+ save) and its
//! `blobs/<alg>/<hex>` files into one image archive, so the blobs are read as that image's
//! parts and never again as stray layer or filesystem tars.

use std::collections::{BTreeMap, BTreeSet};

use crate::evidence::Artifact;
use crate::model::Diagnostic;

/// One layout directory: its members (names relative to `root`) and their artifacts.
pub(super) struct LayoutDir<'a> {
    /// The directory inside the bundle (`.` for the bundle root).
    pub root: String,
    /// The directory as shown: its path inside the bundle, or for the bundle root the
    /// directory's own path.
    pub shown: String,
    pub files: BTreeMap<Vec<u8>, &'a Artifact>,
}

/// The layout-relative name of a member of the directory `prefix` (`""` for the root).
fn member_name<'p>(prefix: &str, path: &'p str) -> Option<&'p str> {
    let rel = if prefix.is_empty() { path } else { path.strip_prefix(prefix)?.strip_prefix('/')? };
    let parts: Vec<&str> = rel.split('/').collect();
    let ok = match parts.as_slice() {
        [one] => matches!(*one, "oci-layout" | "index.json" | "manifest.json" | "repositories"),
        ["blobs", alg, hex] => !alg.is_empty() && !hex.is_empty() && *alg != ".." && *hex != "..",
        _ => false,
    };
    ok.then_some(rel)
}

/// Every OCI layout directory among the artifacts. A directory with `oci-layout` but neither
/// `index.json` nor `manifest.json` is not grouped (a warning says so).
pub(crate) fn find<'a>(artifacts: &[&'a Artifact], diags: &mut Vec<Diagnostic>) -> Vec<LayoutDir<'a>> {
    let mut out = vec![];
    for marker in artifacts.iter().filter(|a| a.path == "oci-layout" || a.path.ends_with("/oci-layout")) {
        let prefix = marker.path.strip_suffix("oci-layout").unwrap_or("").trim_end_matches('/');
        let files: BTreeMap<Vec<u8>, &Artifact> = artifacts
            .iter()
            .filter_map(|a| member_name(prefix, &a.path).map(|n| (n.as_bytes().to_vec(), *a)))
            .collect();
        if !files.contains_key(&b"index.json"[..]) && !files.contains_key(&b"manifest.json"[..]) {
            diags.push(Diagnostic::warning(
                marker.locator(),
                "`oci-layout` with no `index.json` beside it: not read as an image layout",
            ));
            continue;
        }
        let root = if prefix.is_empty() { ".".to_string() } else { prefix.to_string() };
        let shown = match (marker.file_path(), prefix.is_empty()) {
            (Some(p), true) => p.parent().map(|d| d.display().to_string()).unwrap_or_else(|| root.clone()),
            _ => root.clone(),
        };
        out.push(LayoutDir { root, shown, files });
    }
    out
}

/// Paths of every artifact that is part of a layout directory.
pub(crate) fn claimed<'a>(dirs: &[LayoutDir<'a>]) -> BTreeSet<&'a str> {
    dirs.iter().flat_map(|d| d.files.values().map(|a| a.path.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_the_layout_files_only() {
        let h = "a".repeat(64);
        let blob = format!("img/blobs/sha256/{h}");
        assert_eq!(member_name("img", &blob), Some(&blob[4..]));
        assert_eq!(member_name("", "index.json"), Some("index.json"));
        assert_eq!(member_name("img", "img/blobs/sha256/x/y"), None);
        assert_eq!(member_name("img", "imgx/index.json"), None);
        assert_eq!(member_name("img", "img/notes.txt"), None);
        assert_eq!(member_name("img", "other/index.json"), None);
    }
}
