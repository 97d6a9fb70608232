//! `ctriage layers` and `ctriage diff` (PLACEHOLDER).

use std::path::PathBuf;

use clap::Args;

use crate::cli::OutputArgs;

/// `ctriage layers IMAGE`
#[derive(Args, Debug)]
pub struct LayersArgs {
    /// Image archive (docker save, OCI archive).
    pub image: PathBuf,
    /// List every file of every layer.
    #[arg(long)]
    pub files: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `ctriage diff --image IMAGE EXPORT`
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The image the container ran from (or the committed image).
    #[arg(long)]
    pub image: PathBuf,
    /// The `docker export` tar of the container.
    pub export: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `layers`.
pub fn run_layers(_args: &LayersArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}

/// Run `diff`.
pub fn run_diff(_args: &DiffArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}
