//! `ctriage merge OUT... --out DIR`: the outputs of several batch workers (`scan --batch
//! --shard K/N`) made one: case database, bundle folders and summary.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::model::terminal_safe;

/// `ctriage merge`
#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// Batch output directories (each with case.sqlite, bundles/ and summary.json). A bundle
    /// in several of them is taken from the last.
    #[arg(required = true, value_name = "OUT")]
    pub(crate) inputs: Vec<PathBuf>,
    /// The merged output directory (created; an existing case database there is merged into).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// No warnings on standard error.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

/// Run `merge`: the merged summary table on standard output.
pub(crate) fn run(args: &MergeArgs) -> anyhow::Result<i32> {
    let inputs: Vec<&std::path::Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    let merged = crate::batch::merge::merge(&inputs, &args.out)?;
    if !args.quiet {
        for b in &merged.conflicts {
            eprintln!(
                "ctriage: warning: bundle {} is in several inputs with different input hashes; the last one is kept",
                terminal_safe(b)
            );
        }
    }
    let mut w = super::output::open_output(&None)?;
    crate::batch::summary::write_table(&merged.rows, &mut w)?;
    w.flush()?;
    Ok(0)
}
