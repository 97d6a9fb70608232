//! The command line and every command's front end. [`cli`] is the command line (clap) and
//! [`dispatch`] runs it; each command has one file: its arguments, how it runs, what it
//! writes; what several share has a file named for its job ([`output`], [`fail_on`],
//! [`limit_args`], [`version`]). The analysis is below (evidence, ingest, image, logscan,
//! analyze, scan) and the writers read only the report (report).

mod batch;
mod case;
mod cli;
mod collect_script;
mod completions;
mod diff;
mod dispatch;
mod extract;
mod fail_on;
mod image_output;
mod layers;
mod limit_args;
mod logs;
mod merge;
mod output;
mod plan;
mod rules;
mod rules_cost;
mod scan;
mod version;

pub use cli::Cli;
pub use dispatch::run;
pub use version::long_version;
