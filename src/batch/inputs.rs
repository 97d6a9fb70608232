//! A bundle's input hash, for `--resume`: SHA-256 over its custody list (every artifact's
//! path, size and SHA-256, sorted by path), read from the report its scan wrote or computed
//! afresh by the same discovery the scan runs (every input byte read once, nothing parsed).
//! Artifacts given with `--base-image` are not the bundle's and are left out (the base image
//! path is part of the options compared instead).

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A bundle's input list, hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputHash {
    pub sha256: String,
    pub count: usize,
}

fn hash<'a>(entries: impl Iterator<Item = (&'a str, u64, Option<&'a str>)>) -> InputHash {
    let mut list: Vec<_> = entries.collect();
    list.sort();
    let mut h = Sha256::new();
    for (path, size, sha) in &list {
        h.update(format!("{path}\0{size}\0{}\n", sha.unwrap_or("-")).as_bytes());
    }
    InputHash { sha256: crate::digest::hex(&h.finalize()), count: list.len() }
}

/// From a `report.json` bundle (its `artifacts`).
pub(crate) fn from_report(bundle: &Value) -> InputHash {
    hash(
        bundle["artifacts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| !a["note"].as_str().is_some_and(|n| n.starts_with(crate::scan::BASE_IMAGE_NOTE)))
            .map(|a| {
                (
                    a["path"].as_str().unwrap_or_default(),
                    a["size"].as_u64().unwrap_or(0),
                    a["sha256"].as_str(),
                )
            }),
    )
}

/// Afresh: discover the bundle again (sniff and hash every artifact).
pub(crate) fn fresh(path: &Path) -> InputHash {
    let b = crate::evidence::discover(path);
    let shas: Vec<Option<String>> = b.artifacts.iter().map(|a| a.sha256.map(|s| s.to_string())).collect();
    hash(b.artifacts.iter().zip(&shas).map(|(a, s)| (a.path.as_str(), a.size, s.as_deref())))
}
