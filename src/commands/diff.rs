//! `ctriage diff --image IMAGE EXPORT`: the container's `docker diff`, rebuilt offline from
//! its export and the image it ran from, or `ctriage diff ROOT --container NAME|ID`: one
//! container of a daemon data root (its read-write layer on its image); `--format json`.
//! An image the export does not bear out as its base is refused: no diff, exit 65.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::image_output::{artifacts_of, code, sorted, write_findings, Envelope};
use super::output::{open_output, OutputArgs};
use crate::evidence::Artifact;
use crate::image::{analyze, AnalyzeOptions, BaseRefusal, ContainerChanges, ImageContext, Side};
use crate::model::{terminal_safe, Diagnostic};
use crate::report::format::Format;

/// `ctriage diff --image IMAGE EXPORT`
#[derive(Args, Debug)]
pub(crate) struct DiffArgs {
    /// The image the container ran from (or the committed image): archive or OCI layout
    /// directory. Refused (no diff, exit 65) when 50% or less of its files are in the export
    /// with identical content.
    #[arg(long, required_unless_present = "container", conflicts_with = "container")]
    pub(crate) image: Option<PathBuf>,
    /// The `docker export` tar of the container; with `--container`, a daemon data root
    /// (directory or tar).
    pub(crate) export: PathBuf,
    /// In a data root: this container's own changes (its read-write layer on its image).
    #[arg(long, value_name = "NAME|ID")]
    pub(crate) container: Option<String>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
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
pub(crate) fn run(args: &DiffArgs) -> anyhow::Result<i32> {
    if let Some(which) = &args.container {
        return run_container(args, which);
    }
    let image = args.image.clone().unwrap_or_default();
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
        base_image: Some(image.clone()),
        base_flag: Some("diff --image"),
        ..Default::default()
    };
    let refs: Vec<&Artifact> = export.iter().collect();
    let (section, _) = analyze(&refs, &ctx, None, &AnalyzeOptions::default());
    let mut outcome = section.outcome;
    outcome.diagnostics.extend(diags);
    if let Some(r) = &section.base_refused {
        return refuse(args, r, outcome);
    }
    if section.container_changes.is_none() {
        outcome.diagnostics.push(Diagnostic::error(
            crate::model::Locator::artifact(image.display().to_string()),
            "docker diff could not be rebuilt (see the diagnostics: no image, or no export, could be read)",
        ));
    }
    write(args, section.container_changes.as_ref(), sorted(outcome))
}

/// The image given is not the export's base: the reason first, on standard error; no diff
/// (JSON: the envelope with no changes and the diagnostics, for tools); its own exit code.
fn refuse(args: &DiffArgs, r: &BaseRefusal, outcome: crate::model::Outcome) -> anyhow::Result<i32> {
    if !args.output.quiet {
        eprintln!(
            "ctriage: diff refused: {} {} is not the base of {}: {}. No diff written (exit {}).",
            r.flag,
            terminal_safe(&r.name),
            terminal_safe(&args.export.display().to_string()),
            terminal_safe(&r.why),
            crate::exit::EXIT_BASE_MISMATCH
        );
    }
    if args.output.format == Format::Json {
        let mut w = open_output(&args.output.output)?;
        let out = DiffOut {
            envelope: Envelope::now(),
            container_changes: None,
            findings: vec![],
            diagnostics: &sorted(outcome).diagnostics,
        };
        serde_json::to_writer_pretty(&mut w, &out).map_err(crate::report::json_io)?;
        writeln!(w)?;
        w.flush()?;
    }
    Ok(crate::exit::EXIT_BASE_MISMATCH)
}

/// `diff ROOT --container NAME|ID`: that container's read-write layer on its image.
fn run_container(args: &DiffArgs, which: &str) -> anyhow::Result<i32> {
    let sel = match crate::dataroot::select::select(&args.export, which) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ctriage: {}", terminal_safe(&e));
            return Ok(crate::exit::EXIT_USAGE);
        }
    };
    let (section, _) = analyze(&[], &ImageContext::default(), Some(sel.rooted), &AnalyzeOptions::default());
    let mut outcome = section.outcome;
    outcome.diagnostics.extend(sel.diagnostics);
    let changes = section
        .data_root_changes
        .iter()
        .find(|c| c.source == Side::UpperDir && c.container.as_deref() == Some(sel.id.as_str()));
    if changes.is_none() {
        outcome.diagnostics.push(Diagnostic::error(
            crate::model::Locator::artifact(args.export.display().to_string()),
            format!("container {} ({}) has no read-write layer in the data root", sel.name, sel.id),
        ));
    }
    write(args, changes, sorted(outcome))
}

/// Write the rebuilt changes (JSON in the envelope, or `A|C|D path` lines).
fn write(
    args: &DiffArgs,
    container_changes: Option<&ContainerChanges>,
    outcome: crate::model::Outcome,
) -> anyhow::Result<i32> {
    let mut w = open_output(&args.output.output)?;
    match args.output.format {
        Format::Json => {
            let out = DiffOut {
                envelope: Envelope::now(),
                container_changes,
                findings: outcome.findings.iter().cloned().map(crate::model::Fact::single).collect(),
                diagnostics: &outcome.diagnostics,
            };
            serde_json::to_writer_pretty(&mut w, &out).map_err(crate::report::json_io)?;
            writeln!(w)?;
        }
        Format::Text => {
            let mut s = String::new();
            if let Some(c) = container_changes {
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
