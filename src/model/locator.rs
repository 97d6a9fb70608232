//! Provenance of every claim: artifact -> inner tar member(s) -> line / byte offset.

use serde::Serialize;

/// Where a fact came from. Every finding, record and timeline event carries one.
///
/// `artifact` is the artifact's path inside its bundle; `members` is the chain of tar
/// members inside that artifact (outermost first, e.g. a layer blob then a file in it);
/// `line` is 1-based, `offset` is a byte offset in the decoded artifact or innermost member.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locator {
    pub artifact: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl Locator {
    /// A locator naming a whole artifact.
    pub fn artifact(path: impl Into<String>) -> Self {
        Locator { artifact: path.into(), ..Default::default() }
    }

    /// This locator with a 1-based line number.
    pub fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// This locator with a byte offset.
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// This locator with one more (inner) tar member appended.
    pub fn with_member(mut self, member: impl Into<String>) -> Self {
        self.members.reserve_exact(1); // one locator per file: no spare room
        self.members.push(member.into());
        self
    }
}

/// The folder of an artifact path inside its bundle (`""` at the bundle's top).
pub fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

impl std::fmt::Display for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.artifact)?;
        for m in &self.members {
            write!(f, " > {m}")?;
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(o) = self.offset {
            write!(f, " @{o}")?;
        }
        Ok(())
    }
}
