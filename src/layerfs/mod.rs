//! The one filesystem layer: the entry model (path bytes normalized, kind, metadata,
//! whiteouts and opaque directories, content facts) that image layers, exports, layer tars
//! and data-root layer directories are all read into; the one tar-member reader and PAX
//! parser; the reading of one layer blob (or flat filesystem tar) as it streams.

mod entry;
mod layer;
mod members;
mod pax;
mod scan;

pub(crate) use entry::FileType;
pub(crate) use entry::Node;
pub(crate) use entry::{normalize, show_path};
pub(crate) use layer::read_layer;
pub(crate) use members::{MemberKind, TarMember, TarReader};
pub(crate) use scan::{hash_content, CHUNK};
pub(crate) use scan::{EntryKind, LayerEntry, LayerScan, Meta};
