//! `ctriage completions SHELL` and `ctriage man`: shell completions and the man page,
//! generated from the same clap definitions as `--help`.

use std::io::{self, Write};

use clap::Args;

/// `ctriage completions`
#[derive(Args, Debug)]
pub(crate) struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum, ignore_case = true)]
    pub(crate) shell: clap_complete::Shell,
}

/// Run `completions` for the command line `cmd`.
pub(crate) fn run(args: &CompletionsArgs, mut cmd: clap::Command) -> anyhow::Result<i32> {
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "ctriage", &mut out);
    out.flush()?;
    Ok(0)
}

/// Run `man`: the man page (roff) of the command line `cmd` on standard output.
pub(crate) fn man(cmd: clap::Command) -> anyhow::Result<i32> {
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    out.flush()?;
    Ok(0)
}
