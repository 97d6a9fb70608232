//! Parsers for the small captured artifacts: inspect, top/ps, stats, diff, ps listings,
//! `ip link` captures; [`observed`] is what the event sources (sensors, audit logs, checkpoints)
//! hand the scan.
//! Each turns one artifact into records carrying their locator, plus diagnostics.

pub(crate) mod diff;
pub(crate) mod inspect;
pub(crate) mod iplink;
pub(crate) mod observed;
pub(crate) mod pslist;
pub(crate) mod stats;
pub(crate) mod top;
