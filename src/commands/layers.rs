//! `ctriage layers IMAGE`: per layer the history step, size and files added / modified /
//! deleted; `--files` lists them, `--tree` prints the merged view; `--format json`; one
//! container of a daemon data root with `ROOT --container NAME|ID`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::image_output::{artifacts_of, code, sorted, write_findings, Envelope};
use super::output::{open_output, OutputArgs};
use crate::evidence::{Artifact, ArtifactKind};
use crate::image::{analyze, show_path, AnalyzeOptions, FileChange, FileTree, ImageContext, ImageRecord};
use crate::model::{terminal_safe, DiagLevel, Diagnostic};
use crate::report::format::Format;
use crate::report::text::render_image;

/// `ctriage layers IMAGE`
#[derive(Args, Debug)]
pub(crate) struct LayersArgs {
    /// Image archive (docker save, OCI archive), OCI layout directory, or layer tar; with
    /// `--container`, a daemon data root (directory or tar).
    pub(crate) image: PathBuf,
    /// In a data root: this container's image, then its init and read-write layers.
    #[arg(long, value_name = "NAME|ID")]
    pub(crate) container: Option<String>,
    /// List every file change of every layer.
    #[arg(long)]
    pub(crate) files: bool,
    /// Print the merged filesystem view (after the last layer, or `--at`).
    #[arg(long)]
    pub(crate) tree: bool,
    /// With `--tree`: the view after this layer index.
    #[arg(long, value_name = "LAYER", requires = "tree")]
    pub(crate) at: Option<usize>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// One path of a merged view.
#[derive(Debug, Serialize)]
struct TreeEntry {
    path: String,
    #[serde(rename = "type")]
    ftype: crate::layerfs::FileType,
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
    /// The layer the view is as of (the image's last unless `--at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    at_layer: Option<usize>,
    entries: Vec<TreeEntry>,
}

/// Which layer a merged view is as of, for its heading: `as of layer 3 of 0..4 (70c606cd45dc
/// COPY main.sh / # buildkit)`.
fn view_layer(img: Option<&crate::image::ImageRecord>, at: Option<usize>) -> (Option<usize>, String) {
    let Some(img) = img.filter(|i| !i.layers.is_empty()) else { return (at, String::new()) };
    let last = img.layers.len() - 1;
    let n = at.unwrap_or(last).min(last);
    let l = &img.layers[n];
    let id =
        l.diff_id.as_deref().or(l.digest.as_deref()).map(|d| d.trim_start_matches("sha256:")).unwrap_or("");
    let step = l.created_by.as_deref().or(l.comment.as_deref()).unwrap_or("");
    let what = [id.get(..12).unwrap_or(id), &crate::model::excerpt(step.as_bytes(), 0, 0, 60)]
        .iter()
        .filter(|x| !x.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let which = if at.is_some() { "" } else { ", its last" };
    (
        Some(n),
        format!(
            " as of layer {n} of 0..{last}{which}{}",
            if what.is_empty() { String::new() } else { format!(" ({})", terminal_safe(&what)) }
        ),
    )
}

#[derive(Serialize)]
struct LayersOut<'a> {
    #[serde(flatten)]
    envelope: Envelope,
    images: &'a [ImageRecord],
    oci_artifacts: &'a [crate::image::OciArtifact],
    #[serde(skip_serializing_if = "Option::is_none")]
    file_changes: Option<&'a [FileChange]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trees: Option<Vec<TreeOut>>,
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
            link_target: n.meta.link().map(crate::model::display_bytes),
            sha256: n.meta.sha256.map(|h| crate::digest::hex(&h)),
            layer: n.layer(),
        })
        .collect()
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
pub(crate) fn run(args: &LayersArgs) -> anyhow::Result<i32> {
    let mut diags = vec![];
    let mut rooted = None;
    let arts = match &args.container {
        Some(which) => match crate::dataroot::select::select(&args.image, which) {
            Ok(sel) => {
                rooted = Some(crate::dataroot::select::as_image(&sel));
                diags.extend(sel.diagnostics);
                vec![]
            }
            Err(e) => {
                eprintln!("ctriage: {}", terminal_safe(&e));
                return Ok(crate::exit::EXIT_USAGE);
            }
        },
        None => layers_input(&args.image, &mut diags),
    };
    let refs: Vec<&Artifact> = arts.iter().collect();
    let opts = AnalyzeOptions { keep_trees: args.tree, tree_at: args.at };
    let (section, trees) = analyze(&refs, &ImageContext::default(), rooted, &opts);
    if let Some(at) = args.at {
        if let Some(img) = section.images.iter().find(|i| at >= i.layers.len()) {
            eprintln!(
                "ctriage: --at {at}: image {} ({}) has {} layer(s), numbered 0..{}",
                img.index,
                terminal_safe(img.repo_tags.first().map(String::as_str).unwrap_or(&img.listed_in)),
                img.layers.len(),
                img.layers.len().saturating_sub(1)
            );
            return Ok(crate::exit::EXIT_USAGE);
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
                    trees
                        .iter()
                        .map(|(i, t)| TreeOut {
                            image: *i,
                            at_layer: view_layer(section.images.iter().find(|x| x.index == *i), args.at).0,
                            entries: tree_entries(t),
                        })
                        .collect()
                }),
                findings: outcome.findings.iter().cloned().map(crate::model::Fact::single).collect(),
                diagnostics: &outcome.diagnostics,
            };
            serde_json::to_writer_pretty(&mut w, &out).map_err(crate::report::json_io)?;
            writeln!(w)?;
        }
        Format::Text => {
            let mut s = String::new();
            for img in &section.images {
                render_image(&mut s, img);
                if args.files {
                    for c in section.file_changes.iter().filter(|c| c.image() == Some(img.index)) {
                        s.push_str(&format!(
                            "    layer {:>3}  {} {}\n",
                            c.layer().unwrap_or(0),
                            c.change.letter(),
                            terminal_safe(&c.path())
                        ));
                        for h in c.hidden() {
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
                let (_, as_of) = view_layer(section.images.iter().find(|x| x.index == *i), args.at);
                s.push_str(&format!("merged view of image {i}{as_of}:\n"));
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
