//! The resource limits of a scan: one value, chosen on the command line and passed down
//! through `ScanOptions`, so that hostile evidence costs bounded memory and time. Reaching
//! a limit is a diagnostic naming it and the flag that raises it; the rest of the bundle is
//! still analysed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// serde_json's own recursion limit: documents nested deeper are refused by the parser.
pub(crate) const JSON_DEPTH: usize = 128;

/// `extract`: file content bytes written in all, by default (`--max-extract-bytes`).
pub(crate) const MAX_EXTRACT_BYTES: u64 = 16 << 30;

/// Bytes of one file (or one task's memory) a YARA scan reads: a bigger one is scanned up to
/// here, and its finding or diagnostic says so.
pub(crate) const YARA_MAX_FILE_BYTES: u64 = 64 << 20;

/// Bytes of one YARA rule file read (rule files are the user's, still bounded).
pub(crate) const YARA_MAX_RULE_FILE_BYTES: u64 = 32 << 20;

/// Every limit of a scan. The defaults keep one bundle well inside a 24 GiB workstation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Decompressed bytes read from one layer (or filesystem tar) before it is cut short.
    pub max_layer_bytes: u64,
    /// Decompressed layer bytes read in one bundle, all layers together.
    pub max_bundle_bytes: u64,
    /// Longest log record evaluated whole; longer lines are scanned in pieces this long.
    pub max_line: usize,
    /// Log hits kept per file (all are counted, findings and counts stay exact).
    pub max_hits: usize,
    /// Members read from one tar (layer, export, image or bundle archive).
    pub max_entries: u64,
    /// Files listed in one bundle directory (a data root with millions of files).
    pub max_root_files: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 64 << 30,
            max_bundle_bytes: 1 << 40,
            max_line: 64 << 10,
            max_hits: 2_000,
            max_entries: 2_000_000,
            max_root_files: 2_000_000,
        }
    }
}

impl Limits {
    /// The limits as `run.options` entries (`max_*` keys, plain numbers).
    pub(crate) fn options(&self) -> BTreeMap<String, String> {
        [
            ("max_layer_bytes", self.max_layer_bytes.to_string()),
            ("max_bundle_bytes", self.max_bundle_bytes.to_string()),
            ("max_line", self.max_line.to_string()),
            ("max_hits", self.max_hits.to_string()),
            ("max_entries", self.max_entries.to_string()),
            ("max_root_files", self.max_root_files.to_string()),
            ("max_json_depth", JSON_DEPTH.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// A JSON parse error as a diagnostic's words: one from nesting deeper than [`JSON_DEPTH`]
/// says it reached the depth limit.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    if e.to_string().starts_with("recursion limit exceeded") {
        format!("{e} (nested deeper than {JSON_DEPTH} levels, the JSON depth limit: the rest is not parsed)")
    } else {
        e.to_string()
    }
}

/// The decompressed-bytes budget of one bundle, shared by every layer reader of it.
#[derive(Clone, Debug)]
pub(crate) struct ByteBudget {
    pub limits: Limits,
    used: Arc<AtomicU64>,
}

impl ByteBudget {
    /// A fresh budget for one bundle.
    pub(crate) fn new(limits: Limits) -> Self {
        ByteBudget { limits, used: Arc::new(AtomicU64::new(0)) }
    }

    /// Count `n` more decompressed bytes; Err with the message once the bundle is over.
    pub(crate) fn spend(&self, n: u64) -> Result<(), String> {
        let used = self.used.fetch_add(n, Ordering::Relaxed) + n;
        if used > self.limits.max_bundle_bytes {
            return Err(format!(
                "the bundle's layers decompress to more than {} bytes (limit --max-bundle-bytes); stopped here",
                self.limits.max_bundle_bytes
            ));
        }
        Ok(())
    }
}

/// Parse a size with an optional binary suffix: `4096`, `64K`, `512M`, `4G`, `1T` (also
/// `KiB`/`KB`, case-insensitive; every suffix is a power of 1024).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a size (e.g. 4096, 64K, 512M, 4G)"))?;
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("`{s}`: unknown size suffix (use K, M, G or T)")),
    };
    n.checked_mul(1u64 << shift).ok_or_else(|| format!("`{s}` is too large"))
}

/// A count with an optional decimal suffix: `2000`, `500k`, `2M` (thousands, millions).
pub(crate) fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a count (e.g. 2000, 500k, 2M)"))?;
    let mul = match suffix.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1_000,
        "m" => 1_000_000,
        "g" => 1_000_000_000,
        _ => return Err(format!("`{s}`: unknown count suffix (use k or M)")),
    };
    n.checked_mul(mul).ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("4X").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(parse_count("2M"), Ok(2_000_000));
        assert_eq!(parse_count("500k"), Ok(500_000));
    }

    #[test]
    fn bundle_budget_is_shared() {
        let b = ByteBudget::new(Limits { max_bundle_bytes: 10, ..Limits::default() });
        let c = b.clone();
        assert!(b.spend(6).is_ok());
        assert!(c.spend(6).unwrap_err().contains("--max-bundle-bytes"));
    }
}
