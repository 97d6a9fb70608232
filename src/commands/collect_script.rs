//! `ctriage collect-script CONTAINER`: print the POSIX sh script that captures a live
//! container's evidence bundle (the script itself: [`crate::collect`]).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::collect::{collect_script, CollectError, CollectOptions, Runtime};

/// `ctriage collect-script CONTAINER`
#[derive(Args, Debug)]
pub(crate) struct CollectArgs {
    /// The container: name or id, exactly as the runtime knows it (one starting with `-` goes
    /// after `--`). It is only ever passed to the runtime as one quoted argument, so any text
    /// is safe here.
    #[arg(value_name = "CONTAINER")]
    pub(crate) container: String,
    /// The runtime whose CLI the script uses.
    #[arg(long, value_enum, default_value_t = Runtime::Docker)]
    pub(crate) runtime: Runtime,
    /// Pause the container after the volatile state (processes, stats, network) is recorded,
    /// and leave it paused (containment). Without it the container is never paused, not even
    /// by `commit`.
    #[arg(long)]
    pub(crate) pause: bool,
    /// The bundle directory the script creates (it refuses to write into an existing one).
    /// Default: `ctriage-<container>-<UTC time>` in the directory the script runs in.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// Options from the command line.
pub(crate) fn options(a: &CollectArgs) -> Result<CollectOptions, CollectError> {
    let out = match &a.out {
        None => None,
        Some(p) => Some(p.to_str().ok_or_else(|| CollectError::OutNotUtf8(p.clone()))?.to_string()),
    };
    Ok(CollectOptions { container: a.container.clone(), runtime: a.runtime, pause: a.pause, out })
}

/// Run `ctriage collect-script`: print the script on standard output.
pub(crate) fn run(args: &CollectArgs) -> anyhow::Result<i32> {
    let script = match options(args).and_then(|o| collect_script(&o)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ctriage: error: {}", crate::model::terminal_safe(&e.to_string()));
            return Ok(crate::exit::EXIT_USAGE);
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(script.as_bytes())?;
    out.flush()?;
    Ok(0)
}
