//! ctriage: offline container forensics. Evidence bundles in (docker save / export tars,
//! inspect JSON, logs, top/ps, stats, diff), one report with proof out.
//!
//! Data flows one way: [`evidence`] (discover, sniff, hash) -> [`ingest`] / [`image`] /
//! [`logscan`] (stream artifacts into the model) -> [`analyze`] (findings) -> [`report`]
//! (one `Report` value, written as text or JSON). [`scan`] wires a bundle through it.

pub(crate) mod analyze;
pub(crate) mod batch;
pub(crate) mod bundle;
pub mod case;
pub(crate) mod catalog;
pub(crate) mod checkpoint;
pub(crate) mod cmdline;
pub(crate) mod collect;
pub mod commands;
pub mod compression;
pub(crate) mod content;
pub(crate) mod dataroot;
pub(crate) mod digest;
pub mod evidence;
pub mod exit;
pub(crate) mod extract;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod image;
pub(crate) mod ingest;
pub(crate) mod k8saudit;
pub(crate) mod layerfs;
pub(crate) mod layerscan;
pub(crate) mod limits;
pub(crate) mod logs;
pub mod logscan;
pub mod model;
pub(crate) mod progress;
pub(crate) mod report;
pub(crate) mod scan;
pub(crate) mod scap;
pub(crate) mod sensor;
pub(crate) mod shell;
#[cfg(test)]
pub(crate) mod test_rng;
pub(crate) mod yara;
