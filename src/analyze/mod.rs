//! Analyzers: read the model, produce findings (observations), then the story folds them
//! into facts, the chain and the verdict. They never parse bytes.

pub(crate) mod attribution;
pub(crate) mod correlate;
pub(crate) mod exposure;
pub(crate) mod iocs;
pub(crate) mod pivot;
pub(crate) mod process;
pub(crate) mod response;
pub(crate) mod story;
pub(crate) mod written;
