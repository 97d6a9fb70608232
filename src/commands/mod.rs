//! Every command's front end, one file each: its arguments, how it runs, what it writes.
//! The analysis is below (evidence, ingest, image, logscan, analyze, scan) and the writers
//! read only the report (report); `app` holds what every command shares.

pub mod batch;
pub mod case;
pub mod collect_script;
pub mod completions;
pub mod diff;
mod image_output;
pub mod layers;
pub mod limit_args;
pub mod logs;
pub mod merge;
pub mod plan;
pub mod rules;
pub mod scan;
