//! Paths as the analyst names them. Links found *inside* evidence are never followed, but
//! a path named on the command line is: a symbolic link to a bundle is read as that bundle
//! (custody says so). A FIFO, `/dev/stdin`, a process substitution (`<(...)`) or `-` (standard
//! input) can be read only once, while every analyzer reads an artifact again: it is copied
//! as it streams (never held in memory) into a private temporary file, read-only evidence
//! from then on, deleted when the bundle is done.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempfile::TempPath;

/// A named path, resolved for reading.
#[derive(Debug)]
pub(super) struct Named {
    /// What to read: the path itself, the link's target, or the spool file.
    pub read: PathBuf,
    /// Custody note: how the named path was read (None: as given).
    pub note: Option<String>,
    /// The spool file, kept alive as long as the bundle.
    pub spool: Option<Arc<TempPath>>,
    /// The stream was longer than the spool limit: only its first bytes are evidence.
    pub cut: bool,
}

/// Resolve `arg` as the analyst named it. A stream is spooled up to `max_stream` bytes
/// (`--max-bundle-bytes`); the rest is not read, and the custody note says so.
pub(crate) fn resolve(arg: &Path, max_stream: u64) -> io::Result<Named> {
    if arg.as_os_str() == "-" {
        let stdin = io::stdin();
        let lock = stdin.lock();
        return spool(lock, "read from standard input", max_stream);
    }
    let link = std::fs::symlink_metadata(arg)?;
    let (read, note) = if link.file_type().is_symlink() {
        // `/dev/fd/63` of `<(...)` links to `pipe:[...]`, which is no path: open the link.
        let target = std::fs::canonicalize(arg).unwrap_or_else(|_| arg.to_path_buf());
        let shown = std::fs::read_link(arg).map(|t| t.display().to_string()).unwrap_or_default();
        (target, Some(format!("named path is a symbolic link to {shown}: followed")))
    } else {
        (arg.to_path_buf(), None)
    };
    let meta = std::fs::metadata(&read)?;
    if meta.is_file() || meta.is_dir() {
        return Ok(Named { read, note, spool: None, cut: false });
    }
    // A FIFO, a pipe behind /dev/stdin or <(...), a character device: read it once.
    let what = match &note {
        Some(n) => format!("{n}; a stream (FIFO, pipe or device)"),
        None => "a stream (FIFO, pipe or device)".to_string(),
    };
    spool(File::open(&read)?, &what, max_stream)
}

fn spool(from: impl Read, what: &str, max: u64) -> io::Result<Named> {
    let mut file = tempfile::Builder::new().prefix("ctriage-spool-").tempfile()?;
    let mut from = from.take(max.saturating_add(1));
    let copied = io::copy(&mut (&mut from).take(max), &mut file)?;
    let cut = copied == max && from.read(&mut [0u8; 1])? > 0;
    file.flush()?;
    let path = file.into_temp_path();
    let cut_note = if cut {
        format!(
            " (cut: the stream is longer than {max} bytes, limit --max-bundle-bytes; the rest was not read)"
        )
    } else {
        String::new()
    };
    Ok(Named {
        read: path.to_path_buf(),
        note: Some(format!(
            "{what}: {copied} bytes copied as read into a private temporary file (hashed and analysed from there, deleted after){cut_note}"
        )),
        spool: Some(Arc::new(path)),
        cut,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.log");
        std::fs::write(&f, b"x").unwrap();
        let n = resolve(&f, u64::MAX).unwrap();
        assert_eq!(n.read, f);
        assert!(n.note.is_none() && n.spool.is_none());
        #[cfg(unix)]
        {
            let l = dir.path().join("link");
            std::os::unix::fs::symlink(&f, &l).unwrap();
            let n = resolve(&l, u64::MAX).unwrap();
            assert_eq!(n.read, std::fs::canonicalize(&f).unwrap());
            assert!(n.note.unwrap().contains("symbolic link"));
        }
        assert!(resolve(&dir.path().join("missing"), u64::MAX).is_err());
    }

    #[test]
    fn streams_are_spooled() {
        let n = spool(&b"hello"[..], "test", 5).unwrap();
        assert_eq!(std::fs::read(&n.read).unwrap(), b"hello");
        assert!(!n.cut && n.note.as_deref().unwrap().contains("5 bytes"));
        let cut = spool(&b"hello world"[..], "test", 5).unwrap();
        assert_eq!(std::fs::read(&cut.read).unwrap(), b"hello");
        assert!(cut.cut && cut.note.unwrap().contains("--max-bundle-bytes"));
        let p = n.read.clone();
        drop(n.spool);
        assert!(!p.exists(), "the spool goes with the bundle");
    }
}
