//! The TSK 3.x bodyfile (`MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`)
//! of every file of the image layers and of the container's own changes, for `mactime -b`.
//!
//! What the evidence gives: the tar header's mtime (the only file time a layer or an export
//! keeps), mode, owner and size. atime and crtime are unknown (0, as TSK writes an unknown
//! time); ctime is the whiteout's own mtime for a deletion by whiteout (the time the deletion
//! was written), else 0. No MD5 is computed (0); the SHA-256 is in the JSON report. The name is
//! `[source] path` (`[layer 3]`, `[export]`, `[image 1 layer 3]` with several images), with
//! ` (deleted)` for a deletion as `fls -m` marks them; control characters are shown escaped
//! and `|` as `\x7c`, so every line keeps its eleven fields.

use std::io::{self, Write};

use crate::image::{Change, FileChange};
use crate::layerfs::FileType;
use crate::model::terminal_safe;
use crate::report::{BundleReport, Report};

/// `rwxr-xr-x`-style permissions with set-id and sticky bits, from octal text like `4755`.
fn perms(mode: &str) -> String {
    let m = u32::from_str_radix(mode, 8).unwrap_or(0);
    let bit = |mask: u32, c: char| if m & mask != 0 { c } else { '-' };
    let special = |x: bool, set: bool, on: char, off: char| match (x, set) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    let mut s = String::with_capacity(9);
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(m & 0o100 != 0, m & 0o4000 != 0, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(m & 0o010 != 0, m & 0o2000 != 0, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(m & 0o001 != 0, m & 0o1000 != 0, 't', 'T'));
    s
}

/// TSK's mode string: name type, `/`, meta type and permissions (`r/rrwxr-xr-x`).
pub(crate) fn mode_string(ftype: FileType, mode: &str) -> String {
    let t = match ftype {
        FileType::File => 'r',
        FileType::Dir => 'd',
        FileType::Symlink => 'l',
        FileType::Char => 'c',
        FileType::Block => 'b',
        FileType::Fifo => 'p',
        FileType::Other => '-',
    };
    format!("{t}/{t}{}", perms(mode))
}

/// A name field that cannot break the line: terminal-safe, `|` escaped.
fn field(s: &str) -> String {
    terminal_safe(s).replace('|', "\\x7c")
}

/// One bodyfile line (with its newline).
pub(crate) fn line(b: &BundleReport, c: &FileChange) -> String {
    let source = match c.image() {
        Some(i) if b.image.images.len() > 1 => format!("image {i} {}", c.source()),
        _ => c.source().into_owned(),
    };
    let mut name = format!("[{source}] {}", c.path());
    if let Some(t) = c.link_target() {
        name.push_str(" -> ");
        name.push_str(&t);
    }
    if c.change == Change::Deleted {
        name.push_str(" (deleted)");
    }
    let secs = |t: Option<crate::model::Timestamp>| t.map(|t| t.unix_secs().max(0)).unwrap_or(0);
    let ctime = if c.change == Change::Deleted { secs(c.deleted_at()) } else { 0 };
    format!(
        "0|{}|0|{}|{}|{}|{}|0|{}|{}|0\n",
        field(&name),
        mode_string(c.ftype(), &c.mode().to_string()),
        c.uid(),
        c.gid(),
        c.size(),
        secs(c.mtime()),
        ctime
    )
}

/// Write the bodyfile: every file change of every bundle, in report order.
pub(crate) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for b in &report.bundles {
        for c in &b.image.file_changes {
            out.write_all(line(b, c).as_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings_follow_fls() {
        assert_eq!(mode_string(FileType::File, "644"), "r/rrw-r--r--");
        assert_eq!(mode_string(FileType::File, "4755"), "r/rrwsr-xr-x");
        assert_eq!(mode_string(FileType::Dir, "1777"), "d/drwxrwxrwt");
        assert_eq!(mode_string(FileType::Symlink, "777"), "l/lrwxrwxrwx");
        assert_eq!(mode_string(FileType::File, "2644"), "r/rrw-r-Sr--");
    }

    #[test]
    fn names_cannot_break_the_line() {
        assert_eq!(field("a|b\nc\u{1b}"), "a\\x7cb\\nc\\x1b");
    }
}
