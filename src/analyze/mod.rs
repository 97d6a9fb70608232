//! Analyzers: read the model, produce findings (observations), then the story folds them
//! into facts, the chain and the verdict. They never parse bytes.

pub mod attribution;
pub mod correlate;
pub mod exposure;
pub mod iocs;
pub mod pivot;
pub mod process;
pub mod response;
pub mod story;
pub mod written;
