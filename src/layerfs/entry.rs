//! The entry model of the filesystem layer: what kind of node an entry is and its path as
//! normalized bytes (`./`, leading `/`, `//` and `.` dropped, `..` flagged).

use serde::Serialize;

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
    pub fn as_str(&self) -> &'static str {
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

/// Normalize a member name: strip `./` and `/`, collapse `//` and `.`; `..` pops a component
/// (never above the root) and is reported as traversal.
pub fn normalize(raw: &[u8]) -> (Vec<u8>, bool) {
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
