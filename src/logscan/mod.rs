//! Log scanning (PLACEHOLDER: to be completed by the log scanning work).

pub mod command;

use serde::Serialize;

use crate::evidence::Artifact;
use crate::model::Outcome;

/// Compiled signatures, built once and shared by reference across workers.
#[derive(Debug, Default)]
pub struct Engine {}

impl Engine {
    /// The built-in rules.
    pub fn builtin() -> anyhow::Result<Self> {
        Ok(Engine {})
    }

    /// Built-in rules plus the user's rule files.
    pub fn with_rule_files(files: &[std::path::PathBuf]) -> anyhow::Result<Self> {
        let _ = files;
        Self::builtin()
    }
}

/// The log part of a bundle report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LogSection {
    #[serde(skip)]
    pub outcome: Outcome,
}

/// Scan every log of a bundle (log artifacts and logs inside filesystem tars).
pub fn scan_bundle(_artifacts: &[&Artifact], _engine: &Engine) -> LogSection {
    LogSection::default()
}
