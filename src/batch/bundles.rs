//! Which bundles a batch holds: every child of the `--batch` directory (hidden names and
//! the `--out` directory left out) and every PATH given, each with a stable key (its path
//! relative to the batch root), its output folder, and the `--shard K/N` it belongs to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::{Digest, Sha256};

use super::error::BatchError;

/// One bundle of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BundleSpec {
    /// The stable name: the path relative to the batch root (a PATH: as given).
    pub key: String,
    /// The path handed to `scan`.
    pub path: PathBuf,
    /// The output folder, relative to `--out` (`bundles/NAME`).
    pub folder: String,
}

/// `--shard K/N`: this worker takes the bundles whose key hashes to `K - 1` modulo `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    /// 1-based.
    pub k: u64,
    pub n: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s.split_once('/').ok_or_else(|| format!("`{s}`: expected K/N, e.g. 1/4"))?;
        let k: u64 = k.trim().parse().map_err(|_| format!("`{s}`: K is not a number"))?;
        let n: u64 = n.trim().parse().map_err(|_| format!("`{s}`: N is not a number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("`{s}`: need 1 <= K <= N"));
        }
        Ok(Shard { k, n })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl Shard {
    /// Whether `key` belongs to this shard: the first 8 bytes of SHA-256(key), big-endian,
    /// modulo N, equal K - 1 (reproducible anywhere: `printf %s KEY | sha256sum`).
    pub(crate) fn owns(&self, key: &str) -> bool {
        shard_hash(key) % self.n == self.k - 1
    }
}

/// The fixed hash a bundle key is sharded by.
pub(crate) fn shard_hash(key: &str) -> u64 {
    let d = Sha256::digest(key.as_bytes());
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// Every bundle of the batch, sorted by key. A key seen twice is an error.
pub(crate) fn list(
    root: Option<&Path>,
    paths: &[PathBuf],
    out: &Path,
) -> Result<Vec<BundleSpec>, BatchError> {
    let mut found: Vec<(String, PathBuf)> = vec![];
    if let Some(root) = root {
        let at = |source| BatchError::Io { path: root.display().to_string(), source };
        let out_real = std::fs::canonicalize(out).ok();
        for entry in std::fs::read_dir(root).map_err(at)? {
            let entry = entry.map_err(at)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if out_real.is_some() && std::fs::canonicalize(&path).ok() == out_real {
                continue;
            }
            found.push((name, path));
        }
    }
    found.extend(paths.iter().map(|p| (p.display().to_string(), p.clone())));
    let mut by_key: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (key, path) in found {
        if by_key.insert(key.clone(), path).is_some() {
            return Err(BatchError::DuplicateBundle(key));
        }
    }
    // Folder names: the key made safe; two keys made the same get their hash appended.
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for key in by_key.keys() {
        *names.entry(safe_name(key)).or_default() += 1;
    }
    Ok(by_key
        .into_iter()
        .map(|(key, path)| {
            let mut name = safe_name(&key);
            if names[&name] > 1 {
                name = format!("{name}-{:016x}", shard_hash(&key));
            }
            BundleSpec { folder: format!("bundles/{name}"), key, path }
        })
        .collect())
}

/// A key as one folder name: letters, digits, `.`, `-`, `_` kept, anything else `_`.
fn safe_name(key: &str) -> String {
    let s: String = key
        .trim_start_matches("./")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    match s.trim_start_matches('.') {
        "" => "_".into(),
        _ if s.starts_with('.') => format!("_{s}"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parses_and_partitions() {
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        let shards: Vec<Shard> = (1..=4).map(|k| format!("{k}/4").parse().unwrap()).collect();
        for i in 0..200 {
            let key = format!("bundle-{i}");
            assert_eq!(shards.iter().filter(|s| s.owns(&key)).count(), 1);
        }
    }

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("a/b c"), "a_b_c");
        assert_eq!(safe_name(".."), "_");
        assert_eq!(safe_name(".x"), "_.x");
        assert_eq!(safe_name("./dvwa"), "dvwa");
    }
}
