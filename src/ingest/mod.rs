//! Parsers for the small captured artifacts: inspect, top/ps, stats, diff, ps listings,
//! `ip link` captures.
//! Each turns one artifact into records carrying their locator, plus diagnostics.

pub mod diff;
pub mod inspect;
pub mod iplink;
pub mod pslist;
pub mod stats;
pub mod top;
