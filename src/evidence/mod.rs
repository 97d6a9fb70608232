//! Evidence intake: find the artifacts of a bundle, classify each by content, hash it
//! (chain of custody), set ctriage's own outputs aside, and open the rest again read-only
//! for the parsers.

mod artifact;
mod discover;
mod named;
pub mod own;
mod sniff;

pub use artifact::{Artifact, ArtifactKind, ArtifactSource};
pub use discover::{discover, Bundle, BundleKind};
pub(crate) use discover::{discover_with, discover_yara, examine_file};
pub(crate) use sniff::{is_link_line, looks_local, sniff_text};
