//! `--max-*` flags: the resource limits of a scan (see [`crate::limits`]), flattened into the
//! commands that read evidence.

use clap::Args;

use crate::limits::{parse_count, parse_size, Limits};

fn size(s: &str) -> Result<u64, String> {
    parse_size(s)
}

fn count(s: &str) -> Result<u64, String> {
    parse_count(s)
}

/// Resource limits (defaults are safe on a 24 GiB workstation). Sizes take K, M, G, T
/// (powers of 1024), counts k and M. Reaching one is a diagnostic naming the flag.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Limits")]
pub(crate) struct LimitArgs {
    /// Decompressed bytes read from one layer or filesystem tar.
    #[arg(long, value_name = "SIZE", value_parser = size, default_value = "64G")]
    pub(crate) max_layer_bytes: u64,
    /// Decompressed layer bytes read in one bundle, all layers together (and the most a
    /// FIFO, pipe or standard-input bundle is spooled).
    #[arg(long, value_name = "SIZE", value_parser = size, default_value = "1T")]
    pub(crate) max_bundle_bytes: u64,
    /// Longest log record evaluated whole; longer lines are scanned in pieces this long.
    #[arg(long, value_name = "SIZE", value_parser = size, default_value = "64K")]
    pub(crate) max_line: u64,
    /// Log hits listed per rule and file (all are counted: findings and counts stay exact).
    #[arg(long, value_name = "N", value_parser = count, default_value = "2000")]
    pub(crate) max_hits: u64,
    /// Members read from one tar (layer, export, image or bundle archive).
    #[arg(long, value_name = "N", value_parser = count, default_value = "2M")]
    pub(crate) max_entries: u64,
    /// Files listed in one bundle directory (e.g. a data root).
    #[arg(long, value_name = "N", value_parser = count, default_value = "2M")]
    pub(crate) max_root_files: u64,
}

impl LimitArgs {
    /// The library's limits value.
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            max_layer_bytes: self.max_layer_bytes,
            max_bundle_bytes: self.max_bundle_bytes,
            max_line: usize::try_from(self.max_line).unwrap_or(usize::MAX).max(64),
            max_hits: usize::try_from(self.max_hits).unwrap_or(usize::MAX),
            max_entries: self.max_entries,
            max_root_files: self.max_root_files,
        }
    }

    /// The same limits as arguments (for the child scans of a batch).
    pub(crate) fn to_args(&self) -> Vec<std::ffi::OsString> {
        [
            ("--max-layer-bytes", self.max_layer_bytes),
            ("--max-bundle-bytes", self.max_bundle_bytes),
            ("--max-line", self.max_line),
            ("--max-hits", self.max_hits),
            ("--max-entries", self.max_entries),
            ("--max-root-files", self.max_root_files),
        ]
        .into_iter()
        .flat_map(|(flag, v)| [flag.into(), v.to_string().into()])
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        limits: LimitArgs,
    }

    #[test]
    fn defaults_match_the_library() {
        assert_eq!(T::parse_from(["t"]).limits.limits(), Limits::default());
        let t = T::parse_from(["t", "--max-layer-bytes", "4G", "--max-entries", "500k"]);
        assert_eq!(t.limits.limits().max_layer_bytes, 4 << 30);
        assert_eq!(t.limits.limits().max_entries, 500_000);
        // The arguments a batch hands its child scans give the same limits back.
        let mut again = vec!["t".into()];
        again.extend(t.limits.to_args());
        assert_eq!(T::parse_from(again).limits.limits(), t.limits.limits());
    }
}
