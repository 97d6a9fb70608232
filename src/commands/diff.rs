//! `ctriage diff --image IMAGE EXPORT`: the container's `docker diff`, rebuilt offline from
//! its export and the image it ran from; `--format json`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::image_output::{artifacts_of, code, sorted, write_findings, Envelope};
use crate::app::open_output;
use crate::cli::{Format, OutputArgs};
use crate::evidence::Artifact;
use crate::image::{analyze, AnalyzeOptions, ContainerChanges, ImageContext};
use crate::model::{terminal_safe, Diagnostic};

/// `ctriage diff --image IMAGE EXPORT`
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The image the container ran from (or the committed image): archive or OCI layout
    /// directory.
    #[arg(long)]
    pub image: PathBuf,
    /// The `docker export` tar of the container.
    pub export: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
struct DiffOut<'a> {
    #[serde(flatten)]
    envelope: Envelope,
    container_changes: Option<&'a ContainerChanges>,
    findings: Vec<crate::model::Fact>,
    diagnostics: &'a [Diagnostic],
}

/// Run `diff`.
pub fn run(args: &DiffArgs) -> anyhow::Result<i32> {
    let mut diags = vec![];
    let mut export = artifacts_of(&args.export, &mut diags);
    for a in &mut export {
        if a.kind != crate::evidence::ArtifactKind::FilesystemTar
            && a.kind != crate::evidence::ArtifactKind::LayerTar
        {
            diags.push(Diagnostic::warning(
                a.locator(),
                format!("export is a {}; read as a filesystem tar", a.kind.as_str()),
            ));
        }
        a.kind = crate::evidence::ArtifactKind::FilesystemTar;
    }
    // The image is the analyst's word that the container ran from it: read as a base image
    // (archive or OCI layout directory), as `scan --base-image` does.
    let ctx = ImageContext {
        base_image: Some(args.image.clone()),
        base_flag: Some("diff --image"),
        ..Default::default()
    };
    let refs: Vec<&Artifact> = export.iter().collect();
    let (section, _) = analyze(&refs, &ctx, &AnalyzeOptions::default());
    let mut outcome = section.outcome;
    outcome.diagnostics.extend(diags);
    if section.container_changes.is_none() {
        outcome.diagnostics.push(Diagnostic::error(
            crate::model::Locator::artifact(args.image.display().to_string()),
            "docker diff could not be rebuilt (see the diagnostics: no image, or no export, could be read)",
        ));
    }
    let outcome = sorted(outcome);
    let mut w = open_output(&args.output.output)?;
    match args.output.format {
        Format::Json => {
            let out = DiffOut {
                envelope: Envelope::now(),
                container_changes: section.container_changes.as_ref(),
                findings: outcome.findings.iter().cloned().map(crate::model::Fact::single).collect(),
                diagnostics: &outcome.diagnostics,
            };
            serde_json::to_writer_pretty(&mut w, &out)?;
            writeln!(w)?;
        }
        Format::Text => {
            let mut s = String::new();
            if let Some(c) = &section.container_changes {
                for l in &c.changes {
                    s.push_str(&format!("{} {}\n", l.change.letter(), terminal_safe(&l.path)));
                }
                if !args.output.quiet {
                    eprintln!("ctriage: base: {}", terminal_safe(&c.base.description));
                }
            }
            let mut rest = String::new();
            write_findings(&mut rest, &outcome.findings, &outcome.diagnostics);
            if !rest.is_empty() && !args.output.quiet {
                eprint!("{rest}");
            }
            w.write_all(s.as_bytes())?;
        }
    }
    w.flush()?;
    Ok(code(&outcome.findings, &outcome.diagnostics))
}
