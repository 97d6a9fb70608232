//! The one filesystem layer: the entry model (path bytes normalized, kind, metadata,
//! whiteouts and opaque directories, content facts) that image layers, exports, layer tars
//! and data-root layer directories are all read into.

mod entry;
mod scan;

pub use entry::{normalize, FileType};
pub(crate) use scan::{hash_content, read_full, CHUNK};
pub use scan::{EntryKind, LayerEntry, LayerScan, Meta};
