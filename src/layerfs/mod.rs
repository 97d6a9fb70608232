//! The one filesystem layer: the entry model (path bytes normalized, kind, metadata,
//! whiteouts and opaque directories, content facts) that image layers, exports, layer tars
//! and data-root layer directories are all read into.

mod entry;
mod members;
mod pax;
mod scan;

pub(crate) use entry::Node;
pub use entry::{normalize, FileType};
pub(crate) use members::{header_name, MemberKind, TarMember, TarReader};
pub(crate) use scan::{hash_content, read_full, CHUNK};
pub use scan::{EntryKind, LayerEntry, LayerScan, Meta};
