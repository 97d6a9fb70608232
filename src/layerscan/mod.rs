//! Reading one layer blob (or flat filesystem tar) as it streams: each entry's metadata from
//! the filesystem layer, its content hashed and inspected (content facts, scripts) on the way,
//! whiteouts and opaque directories kept. Used by images, exports and data-root layers.

mod layer;
mod scan;

pub(crate) use layer::{read_layer, read_layer_sharing, resolve_links};
#[cfg(test)]
pub(crate) use scan::MetaRare;
pub(crate) use scan::{hash_content, CHUNK};
pub(crate) use scan::{EntryKind, LayerEntry, LayerScan, Meta};
