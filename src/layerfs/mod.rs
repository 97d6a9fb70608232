//! The one filesystem layer: the entry model (path bytes normalized, kind, metadata,
//! whiteouts and opaque directories) that image layers, exports, layer tars and data-root
//! layer directories are all read into; the one tar-member reader and PAX parser. Below
//! evidence and every source: it knows tars and paths, not what files mean.

mod entry;
mod members;
mod pax;

pub(crate) use entry::FileType;
pub(crate) use entry::Node;
pub(crate) use entry::{normalize, show_path, show_path_tail};
pub(crate) use members::{header_name, MemberKind, TarMember, TarReader};
