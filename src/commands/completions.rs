//! `ctriage completions SHELL` and `ctriage man`: shell completions and the man page,
//! generated from the same clap definitions as `--help`.

use std::io::{self, Write};

use clap::{Args, CommandFactory};

use crate::cli::Cli;

/// `ctriage completions`
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum, ignore_case = true)]
    pub shell: clap_complete::Shell,
}

/// Run `completions`.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<i32> {
    let mut cmd = Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "ctriage", &mut out);
    out.flush()?;
    Ok(0)
}

/// Run `man`: the man page (roff) on standard output.
pub fn man() -> anyhow::Result<i32> {
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(0)
}
