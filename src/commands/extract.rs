//! `ctriage extract BUNDLE --container C (--path P | --all) --to DIR|-`: a file, a tree or a
//! container's whole merged filesystem (as of any layer) copied out of the evidence into a new
//! folder (`DIR/rootfs`, manifest `DIR/MANIFEST.json`) or as a tar on standard output
//! (manifest `--manifest FILE`); never over anything that exists, never into the evidence.

use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::limit_args::LimitArgs;
use crate::exit::{EXIT_UNREADABLE, EXIT_USAGE};
use crate::extract::copy::{self, Entry, Sink};
use crate::extract::pick;
use crate::model::{terminal_safe, DiagLevel, Diagnostic};

fn size(s: &str) -> Result<u64, String> {
    crate::limits::parse_size(s)
}

/// `ctriage extract`
#[derive(Args, Debug)]
pub(crate) struct ExtractArgs {
    /// The bundle: a folder or archive of evidence, an image archive (docker save, OCI), an
    /// OCI layout folder, a `docker export` tar, a layer tar or a data root.
    pub(crate) bundle: PathBuf,
    /// The container or image, as `scan` names it: a container's name or full or short id,
    /// an image's tag or id, or an export's path in the bundle.
    #[arg(long, value_name = "NAME|ID")]
    pub(crate) container: String,
    /// One path in the container: a file, or a directory with everything below it.
    #[arg(long, value_name = "PATH", required_unless_present = "all", conflicts_with = "all")]
    pub(crate) path: Option<PathBuf>,
    /// The whole merged filesystem.
    #[arg(long)]
    pub(crate) all: bool,
    /// A new or empty folder (files in DIR/rootfs, the manifest DIR/MANIFEST.json), or `-`
    /// for a tar on standard output (then `--manifest` is required).
    #[arg(long, value_name = "DIR|-")]
    pub(crate) to: PathBuf,
    /// Write the manifest (JSON) to this new file.
    #[arg(long, value_name = "FILE")]
    pub(crate) manifest: Option<PathBuf>,
    /// The view after this layer (0-based, as `layers --tree --at`); default the last.
    #[arg(long, value_name = "N")]
    pub(crate) layer: Option<usize>,
    /// File content bytes written in all; files past it are listed as skipped.
    #[arg(long, value_name = "SIZE", value_parser = size, default_value_t = crate::limits::MAX_EXTRACT_BYTES)]
    pub(crate) max_extract_bytes: u64,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

/// The manifest: what was picked, and one entry per path with what was done and its proof.
#[derive(Serialize)]
struct Manifest<'a> {
    manifest: &'static str,
    ctriage: &'static str,
    bundle: String,
    picked: &'a str,
    layer: usize,
    last_layer: usize,
    /// `--all`, or the path asked for.
    asked: String,
    /// Where the files are, relative to the manifest (`rootfs`), or `-` (a tar stream).
    files: &'a str,
    files_written: u64,
    bytes_written: u64,
    entries: &'a [Entry],
    diagnostics: &'a [Diagnostic],
}

fn usage(msg: impl AsRef<str>) -> anyhow::Result<i32> {
    let lines: Vec<String> = msg.as_ref().lines().map(terminal_safe).collect();
    eprintln!("ctriage: extract: {}", lines.join("\n"));
    Ok(EXIT_USAGE)
}

/// The path, or its nearest ancestor that exists, made absolute without following the rest.
fn resolved(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut at = abs.as_path();
    let mut rest = vec![];
    loop {
        if let Ok(c) = at.canonicalize() {
            return rest.iter().rev().fold(c, |acc: PathBuf, r: &&OsStr| acc.join(r));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                at = parent;
            }
            _ => return abs,
        }
    }
}

/// Whether writing `out` would write into the evidence at `bundle`.
fn inside_evidence(bundle: &Path, out: &Path) -> bool {
    let b = resolved(bundle);
    let o = resolved(out);
    o == b || (b.is_dir() && o.starts_with(&b))
}

/// Run `extract`.
pub(crate) fn run(args: &ExtractArgs) -> anyhow::Result<i32> {
    let to_stdout = args.to.as_os_str() == "-";
    // The output is checked before any evidence is read.
    if to_stdout {
        if args.manifest.is_none() {
            return usage("--to - writes a tar on standard output: give --manifest FILE for the manifest");
        }
        if std::io::stdout().is_terminal() {
            return usage("--to -: standard output is a terminal; redirect it to a file or a pipe");
        }
    } else {
        if inside_evidence(&args.bundle, &args.to) {
            return usage(format!(
                "--to {}: lies inside the evidence, which is never written",
                args.to.display()
            ));
        }
        match std::fs::symlink_metadata(&args.to) {
            Ok(m) if !m.is_dir() => {
                return usage(format!(
                    "--to {}: exists and is not a folder; give a new or empty folder",
                    args.to.display()
                ))
            }
            Ok(_) if std::fs::read_dir(&args.to).is_ok_and(|mut d| d.next().is_some()) => {
                return usage(format!(
                    "--to {}: the folder is not empty; give a new or empty folder",
                    args.to.display()
                ))
            }
            _ => {}
        }
    }
    if let Some(m) = &args.manifest {
        if std::fs::symlink_metadata(m).is_ok() {
            return usage(format!("--manifest {}: exists; it is never overwritten", m.display()));
        }
        if inside_evidence(&args.bundle, m) {
            return usage(format!(
                "--manifest {}: lies inside the evidence, which is never written",
                m.display()
            ));
        }
    }
    let view = match pick::open(&args.bundle, &args.container, args.layer, args.limits.limits()) {
        Ok(v) => v,
        Err(pick::NoView(why)) => return usage(why),
    };
    let asked = args.path.as_ref().map(|p| p.as_os_str().as_bytes());
    let paths = match copy::select(&view, asked) {
        Ok(p) => p,
        Err(why) => return usage(why),
    };
    let stdout = std::io::stdout();
    let (mut sink, manifest_path) = if to_stdout {
        let w: Box<dyn Write> = Box::new(std::io::BufWriter::new(stdout.lock()));
        (Sink::Tar(tar::Builder::new(w)), args.manifest.clone().unwrap_or_default())
    } else {
        let rootfs = args.to.join("rootfs");
        std::fs::create_dir_all(&args.to)
            .and_then(|_| std::fs::create_dir(&rootfs))
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", rootfs.display()))?;
        (Sink::Dir(rootfs), args.manifest.clone().unwrap_or_else(|| args.to.join("MANIFEST.json")))
    };
    let copied = copy::copy(&view, &paths, &mut sink, args.max_extract_bytes)?;
    if let Sink::Tar(b) = sink {
        b.into_inner()?.flush()?;
    }
    let mut diagnostics = view.diagnostics.clone();
    diagnostics.extend(copied.diagnostics.iter().cloned());
    diagnostics.sort();
    diagnostics.dedup();
    let manifest = Manifest {
        manifest: "ctriage extract manifest 1",
        ctriage: env!("CARGO_PKG_VERSION"),
        bundle: args.bundle.display().to_string(),
        picked: &view.label,
        layer: view.at,
        last_layer: view.last,
        asked: match &args.path {
            Some(p) => crate::model::display_bytes(p.as_os_str().as_bytes()),
            None => "--all".into(),
        },
        files: if to_stdout { "-" } else { "rootfs" },
        files_written: copied.files,
        bytes_written: copied.bytes,
        entries: &copied.entries,
        diagnostics: &diagnostics,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&manifest_path)
        .map_err(|e| anyhow::anyhow!("cannot create the manifest {}: {e}", manifest_path.display()))?;
    serde_json::to_writer_pretty(&mut f, &manifest)?;
    writeln!(f)?;
    // Errors about what was read for this view (or written) count; the rest of the bundle's
    // are only in the manifest.
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.level == DiagLevel::Error && (view.concerns(d) || copied.diagnostics.contains(d)))
        .collect();
    let elsewhere = diagnostics.iter().filter(|d| d.level == DiagLevel::Error).count() - errors.len();
    let mut summary = format!(
        "extracted from {} as of layer {} of 0..{}: {} file(s), {} byte(s) written{}; manifest {}\n",
        terminal_safe(&view.label),
        view.at,
        view.last,
        copied.files,
        copied.bytes,
        if to_stdout {
            " as a tar to standard output".to_string()
        } else {
            format!(" into {}", terminal_safe(&args.to.join("rootfs").display().to_string()))
        },
        terminal_safe(&manifest_path.display().to_string())
    );
    if elsewhere > 0 {
        summary.push_str(&format!(
            "  {elsewhere} error(s) about other artifacts of the bundle, listed in the manifest\n"
        ));
    }
    for d in &errors {
        summary.push_str(&format!(
            "  error: {}: {}\n",
            terminal_safe(&d.locator.to_string()),
            terminal_safe(&d.message)
        ));
    }
    if to_stdout {
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }
    Ok(if errors.is_empty() { 0 } else { EXIT_UNREADABLE })
}
