//! `ctriage layers IMAGE` (per layer: history step, size, files added / modified / deleted;
//! `--files` lists them, `--tree` prints the merged view) and `ctriage diff --image IMAGE
//! EXPORT` (the rebuilt `docker diff`). Both also `--format json`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{
    analyze, show_path, AnalyzeOptions, ContainerChanges, FileChange, FileTree, ImageContext, ImageRecord,
};
use crate::app::{open_output, EXIT_FINDINGS, EXIT_UNREADABLE};
use crate::cli::{Format, OutputArgs};
use crate::evidence::{discover, Artifact, ArtifactKind};
use crate::model::{terminal_safe, DiagLevel, Diagnostic, Finding, Severity};

/// `ctriage layers IMAGE`
#[derive(Args, Debug)]
pub struct LayersArgs {
    /// Image archive (docker save, OCI archive), OCI layout directory, or layer tar.
    pub image: PathBuf,
    /// List every file change of every layer.
    #[arg(long)]
    pub files: bool,
    /// Print the merged filesystem view (after the last layer, or `--at`).
    #[arg(long)]
    pub tree: bool,
    /// With `--tree`: the view after this layer index.
    #[arg(long, value_name = "LAYER", requires = "tree")]
    pub at: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

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

/// One path of a merged view.
#[derive(Debug, Serialize)]
struct TreeEntry {
    path: String,
    #[serde(rename = "type")]
    ftype: super::FileType,
    mode: String,
    uid: u64,
    gid: u64,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    /// Layer that last wrote it.
    layer: usize,
}

#[derive(Debug, Serialize)]
struct TreeOut {
    image: usize,
    entries: Vec<TreeEntry>,
}

/// The envelope every command's JSON starts with (docs/report-schema.json).
#[derive(Serialize)]
struct Envelope {
    schema_version: &'static str,
    tool: crate::report::Tool,
    run: crate::report::Run,
}

impl Envelope {
    fn now() -> Self {
        Envelope {
            schema_version: crate::report::SCHEMA_VERSION,
            tool: crate::report::Tool::this(),
            run: crate::report::Run::now(crate::app::run_time()),
        }
    }
}

#[derive(Serialize)]
struct LayersOut<'a> {
    #[serde(flatten)]
    envelope: Envelope,
    images: &'a [ImageRecord],
    oci_artifacts: &'a [super::OciArtifact],
    #[serde(skip_serializing_if = "Option::is_none")]
    file_changes: Option<&'a [FileChange]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trees: Option<Vec<TreeOut>>,
    findings: Vec<crate::model::Fact>,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct DiffOut<'a> {
    #[serde(flatten)]
    envelope: Envelope,
    container_changes: Option<&'a ContainerChanges>,
    findings: Vec<crate::model::Fact>,
    diagnostics: &'a [Diagnostic],
}

fn tree_entries(t: &FileTree) -> Vec<TreeEntry> {
    t.iter()
        .map(|(p, n)| TreeEntry {
            path: show_path(p),
            ftype: n.meta.ftype,
            mode: format!("{:04o}", n.meta.mode),
            uid: n.meta.uid,
            gid: n.meta.gid,
            size: n.meta.size,
            link_target: n.meta.link.as_deref().map(crate::model::display_bytes),
            sha256: n.meta.sha256.map(|h| super::layer::hex(&h)),
            layer: n.layer,
        })
        .collect()
}

fn code(findings: &[Finding], diags: &[Diagnostic]) -> i32 {
    let mut c = 0;
    if findings.iter().any(|f| f.severity >= Severity::High) {
        c |= EXIT_FINDINGS;
    }
    if diags.iter().any(|d| d.level == DiagLevel::Error) {
        c |= EXIT_UNREADABLE;
    }
    c
}

fn artifacts_of(path: &std::path::Path, diags: &mut Vec<Diagnostic>) -> Vec<Artifact> {
    let b = discover(path);
    diags.extend(b.diagnostics);
    b.artifacts
}

fn sorted(mut o: crate::model::Outcome) -> crate::model::Outcome {
    o.sort();
    o.findings = crate::analyze::correlate::one_finding_per_fact(std::mem::take(&mut o.findings));
    o
}

fn write_findings(s: &mut String, findings: &[Finding], diags: &[Diagnostic]) {
    for f in findings {
        s.push_str(&format!(
            "[{}] {} ({})\n    {}\n",
            f.severity.as_str().to_uppercase(),
            terminal_safe(&f.title),
            f.rule,
            terminal_safe(&f.summary)
        ));
    }
    for d in diags {
        let lvl = if d.level == DiagLevel::Error { "error" } else { "warning" };
        s.push_str(&format!(
            "{lvl}: {}: {}\n",
            terminal_safe(&d.locator.to_string()),
            terminal_safe(&d.message)
        ));
    }
}

/// The artifacts `layers` reads: a directory's images and layout; a file is one image
/// archive or one layer (a tar with no image metadata is read as a layer, whiteouts or not;
/// anything else is said to be what it is).
fn layers_input(path: &std::path::Path, diags: &mut Vec<Diagnostic>) -> Vec<Artifact> {
    if path.is_dir() {
        return artifacts_of(path, diags);
    }
    let mut a = crate::evidence::examine_file(path);
    if let Some(e) = &a.error {
        diags.push(Diagnostic::error(a.locator(), e.clone()));
        return vec![];
    }
    match a.kind {
        ArtifactKind::DockerSave | ArtifactKind::OciArchive | ArtifactKind::LayerTar => vec![a],
        ArtifactKind::FilesystemTar => {
            a.kind = ArtifactKind::LayerTar;
            vec![a]
        }
        other => {
            diags.push(Diagnostic::error(
                a.locator(),
                format!(
                    "not an image archive, OCI layout or layer tar: its content is {} (`ctriage scan` reads it)",
                    other.as_str()
                ),
            ));
            vec![]
        }
    }
}

/// Run `layers`.
pub fn run_layers(args: &LayersArgs) -> anyhow::Result<i32> {
    let mut diags = vec![];
    let arts = layers_input(&args.image, &mut diags);
    let refs: Vec<&Artifact> = arts.iter().collect();
    let opts = AnalyzeOptions { keep_trees: args.tree, tree_at: args.at };
    let (section, trees) = analyze(&refs, &ImageContext::default(), &opts);
    if let Some(at) = args.at {
        if let Some(img) = section.images.iter().find(|i| at >= i.layers.len()) {
            eprintln!(
                "ctriage: --at {at}: image {} ({}) has {} layer(s), numbered 0..{}",
                img.index,
                terminal_safe(img.repo_tags.first().map(String::as_str).unwrap_or(&img.listed_in)),
                img.layers.len(),
                img.layers.len().saturating_sub(1)
            );
            return Ok(crate::app::EXIT_USAGE);
        }
    }
    // A layout holding only OCI artifacts lists them (with a warning); anything else without
    // an image is an error, said once.
    if section.images.is_empty()
        && section.oci_artifacts.is_empty()
        && !diags.iter().chain(&section.outcome.diagnostics).any(|d| d.level == DiagLevel::Error)
    {
        diags.push(Diagnostic::error(
            crate::model::Locator::artifact(args.image.display().to_string()),
            "no image archive, OCI layout or layer tar found",
        ));
    }
    let mut outcome = section.outcome;
    outcome.diagnostics.extend(diags);
    let outcome = sorted(outcome);
    let mut w = open_output(&args.output.output)?;
    match args.output.format {
        Format::Json => {
            let out = LayersOut {
                envelope: Envelope::now(),
                images: &section.images,
                oci_artifacts: &section.oci_artifacts,
                file_changes: args.files.then_some(section.file_changes.as_slice()),
                trees: args.tree.then(|| {
                    trees.iter().map(|(i, t)| TreeOut { image: *i, entries: tree_entries(t) }).collect()
                }),
                findings: outcome.findings.iter().cloned().map(crate::model::Fact::single).collect(),
                diagnostics: &outcome.diagnostics,
            };
            serde_json::to_writer_pretty(&mut w, &out)?;
            writeln!(w)?;
        }
        Format::Text => {
            let mut s = String::new();
            for img in &section.images {
                render_image(&mut s, img);
                if args.files {
                    for c in section.file_changes.iter().filter(|c| c.image == Some(img.index)) {
                        s.push_str(&format!(
                            "    layer {:>3}  {} {}\n",
                            c.layer.unwrap_or(0),
                            c.change.letter(),
                            terminal_safe(&c.path)
                        ));
                        for h in &c.hidden {
                            s.push_str(&format!(
                                "                 hides {} {} {} (layer {})\n",
                                h.ftype.as_str(),
                                terminal_safe(&h.path),
                                h.sha256.as_deref().map(|d| &d[..d.len().min(12)]).unwrap_or("-"),
                                h.layer
                            ));
                        }
                    }
                }
            }
            for x in &section.oci_artifacts {
                s.push_str(&format!(
                    "  oci artifact {} {}{}{}: not an image: {}\n",
                    x.manifest_digest.get(..19).unwrap_or(&x.manifest_digest),
                    terminal_safe(x.artifact_type.as_deref().unwrap_or("-")),
                    if x.names.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", terminal_safe(&x.names.join(", ")))
                    },
                    x.subject.as_deref().map(|d| format!(" for {}", terminal_safe(d))).unwrap_or_default(),
                    terminal_safe(&x.reason)
                ));
            }
            for (i, t) in &trees {
                s.push_str(&format!("merged view of image {i}:\n"));
                for e in tree_entries(t) {
                    s.push_str(&format!(
                        "  {:<7} {:>5} {:>6}:{:<6} {:>10}  {}{}\n",
                        e.ftype.as_str(),
                        e.mode,
                        e.uid,
                        e.gid,
                        e.size,
                        terminal_safe(&e.path),
                        e.link_target.map(|l| format!(" -> {}", terminal_safe(&l))).unwrap_or_default()
                    ));
                }
            }
            write_findings(&mut s, &outcome.findings, &outcome.diagnostics);
            w.write_all(s.as_bytes())?;
        }
    }
    w.flush()?;
    Ok(code(&outcome.findings, &outcome.diagnostics))
}

/// Run `diff`.
pub fn run_diff(args: &DiffArgs) -> anyhow::Result<i32> {
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

/// One image as text: header, then one line per layer (also used by the report's images
/// section).
pub(crate) fn render_image(s: &mut String, img: &ImageRecord) {
    let name =
        img.repo_tags.first().cloned().or_else(|| img.id.clone()).unwrap_or_else(|| "(untagged)".into());
    s.push_str(&format!(
        "  image {} [{}] {} ({}), {} layer(s), integrity {}
",
        img.index,
        img.role,
        terminal_safe(&name),
        img.layout,
        img.layers.len(),
        img.integrity
    ));
    s.push_str(&format!(
        "    archive {} ({}); id {}; created {}; {}/{}\n",
        terminal_safe(&img.archive),
        terminal_safe(&img.listed_in),
        img.id.as_deref().unwrap_or("-"),
        img.created.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
        terminal_safe(img.os.as_deref().unwrap_or("-")),
        terminal_safe(img.architecture.as_deref().unwrap_or("-")),
    ));
    if let Some(r) = &img.commit_reason {
        s.push_str(&format!("    committed layers {:?}: {}\n", img.committed_layers, terminal_safe(r)));
    }
    for l in &img.layers {
        let step = l.created_by.as_deref().unwrap_or("-");
        let step: String = step.chars().take(70).collect();
        s.push_str(&format!(
            "    {:>3} {:>12} B {:<5} +{:<5} ~{:<5} -{:<5} {} {}{}\n",
            l.index,
            l.size,
            format!("{:?}", l.compression).to_lowercase(),
            l.added,
            l.modified,
            l.deleted,
            l.diff_id.as_deref().and_then(|d| d.get(7..19)).unwrap_or("-"),
            terminal_safe(&step),
            if img.committed_layers.contains(&l.index) { "  [commit]" } else { "" }
        ));
        if let Some(a) = &l.after_end {
            s.push_str(&format!("        note: {}\n", terminal_safe(a)));
        }
    }
}
