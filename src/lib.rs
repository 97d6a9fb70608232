//! ctriage: offline container forensics. Evidence bundles in (docker save / export tars,
//! inspect JSON, logs, top/ps, stats, diff), one report with proof out.
//!
//! Data flows one way: [`evidence`] (discover, sniff, hash) -> [`ingest`] / [`image`] /
//! [`logscan`] (stream artifacts into the model) -> [`analyze`] (findings) -> [`report`]
//! (one `Report` value, written as text or JSON). [`scan`] wires a bundle through it.

pub mod analyze;
pub mod app;
pub mod batch;
pub mod bundle;
pub mod case;
pub mod catalog;
pub mod cli;
pub mod cmdline;
pub mod collect;
pub mod commands;
pub(crate) mod content;
pub mod dataroot;
pub(crate) mod digest;
pub mod evidence;
pub mod exit;
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod ingest;
pub(crate) mod layerfs;
pub mod limits;
pub mod logs;
pub mod logscan;
pub mod model;
pub mod progress;
pub mod report;
pub mod scan;
pub mod shell;
