//! `ctriage completions SHELL` and `ctriage man`: shell completions and the man pages (one
//! per command), generated from the same clap definitions as `--help`.

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

/// `ctriage man`
#[derive(Args, Debug)]
pub(crate) struct ManArgs {
    /// The command whose page to print (`scan`, `rules list`...); none: ctriage's own page.
    #[arg(value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Write every page (`ctriage.1`, `ctriage-scan.1`, `ctriage-rules-list.1`...) into DIR,
    /// created if missing, instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub(crate) dir: Option<std::path::PathBuf>,
}

/// Run `man` for the command line `cmd`: one page (roff) on standard output, or every page
/// into a folder (their paths on standard error).
pub(crate) fn man(args: &ManArgs, cmd: clap::Command) -> anyhow::Result<i32> {
    use anyhow::Context;
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        clap_mangen::generate_to(cmd, dir)
            .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
        let mut pages: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "1"))
            .collect();
        pages.sort();
        for p in pages {
            eprintln!("{}", crate::model::terminal_safe(&p.display().to_string()));
        }
        return Ok(0);
    }
    let mut page = cmd;
    for name in &args.command {
        let Some(sub) = page.find_subcommand(name).cloned() else {
            eprintln!(
                "ctriage: error: no command {:?}; one of: {}",
                crate::model::terminal_safe(name),
                page.get_subcommands().map(|s| s.get_name().to_string()).collect::<Vec<_>>().join(", ")
            );
            return Ok(crate::exit::EXIT_USAGE);
        };
        page = sub;
    }
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(page).render(&mut out)?;
    out.flush()?;
    Ok(0)
}
