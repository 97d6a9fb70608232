//! Why a batch could not run: one error type for the batch's own steps.

use std::path::Path;

use crate::case::CaseError;

/// Why a batch could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BatchError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a report: {message}")]
    Report { path: String, message: String },
    #[error("two bundles have the same name `{0}`")]
    DuplicateBundle(String),
    #[error(transparent)]
    Case(#[from] CaseError),
}

impl BatchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        BatchError::Io { path: path.display().to_string(), source }
    }
}
