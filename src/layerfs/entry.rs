//! The entry model of the filesystem layer: what kind of node an entry is and its path as
//! normalized bytes (`./`, leading `/`, `//` and `.` dropped, `..` flagged).

use std::borrow::Cow;

use serde::Serialize;

use crate::model::Timestamp;

/// Type of a filesystem entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    File,
    Dir,
    Symlink,
    Char,
    Block,
    Fifo,
    Other,
}

impl FileType {
    /// Lower-case name.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            FileType::File => "file",
            FileType::Dir => "dir",
            FileType::Symlink => "symlink",
            FileType::Char => "char",
            FileType::Block => "block",
            FileType::Fifo => "fifo",
            FileType::Other => "other",
        }
    }
}

/// One filesystem entry as read (from a tar member or a directory walk), before whiteouts
/// are told apart and content is hashed.
pub(crate) struct Node {
    /// Relative to the layer's content root, normalized.
    pub(crate) path: Vec<u8>,
    pub(crate) ftype: FileType,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) size: u64,
    pub(crate) mtime: Option<Timestamp>,
    pub(crate) link: Option<Vec<u8>>,
    pub(crate) hardlink: Option<Vec<u8>>,
    /// Device numbers of character and block devices.
    pub(crate) dev: Option<(u64, u64)>,
    /// The directory carries an overlay opaque xattr set to `y`.
    pub(crate) opaque: bool,
}

/// `/` + the path, shown lossily.
pub(crate) fn show_path(p: &[u8]) -> String {
    let shown = crate::model::display_bytes(p);
    let mut s = String::with_capacity(shown.len() + 1);
    s.push('/');
    s.push_str(&shown);
    s
}

/// [`show_path`] less its leading `/`: the path itself when it is text, else its escaped
/// form. For comparing and looking up shown paths without making them.
pub(crate) fn show_path_tail(p: &[u8]) -> Cow<'_, [u8]> {
    match std::str::from_utf8(p) {
        Ok(_) => Cow::Borrowed(p),
        Err(_) => Cow::Owned(crate::model::display_bytes(p).into_bytes()),
    }
}

/// Normalize a member name: strip `./` and `/`, collapse `//` and `.`; `..` pops a component
/// (never above the root) and is reported as traversal.
pub(crate) fn normalize(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut traversal = false;
    for c in raw.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                traversal = true;
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    (parts.join(&b'/'), traversal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(normalize(b"./a//b/./c/"), (b"a/b/c".to_vec(), false));
        assert_eq!(normalize(b"/"), (vec![], false));
        assert_eq!(normalize(b"a/../../etc/passwd"), (b"etc/passwd".to_vec(), true));
    }
}
