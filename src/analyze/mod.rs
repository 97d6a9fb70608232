//! Analyzers: read the model, produce findings. They never parse bytes.

pub mod correlate;
pub mod exposure;
pub mod pivot;
pub mod process;
pub mod response;
