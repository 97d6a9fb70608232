//! Merging the outputs of several batch workers (`ctriage merge`): their case databases
//! into one, their bundle folders beside it (hard links where the file system allows, else
//! copies), and one summary drawn from the merged database.

use std::path::Path;

use super::error::BatchError;
use super::summary::{self, SummaryRow};
use crate::case::CaseDb;
use crate::case::CASE_DB;

/// What a merge did.
#[derive(Debug)]
pub(crate) struct Merged {
    pub rows: Vec<SummaryRow>,
    /// Bundles found in more than one input with different input hashes (the later input wins).
    pub conflicts: Vec<String>,
}

/// Merge the batch outputs `inputs` (in order) into `out`.
pub(crate) fn merge(inputs: &[&Path], out: &Path) -> Result<Merged, BatchError> {
    std::fs::create_dir_all(out).map_err(|e| BatchError::io(out, e))?;
    let mut db = CaseDb::open(&out.join(CASE_DB))?;
    let mut conflicts = vec![];
    for input in inputs {
        conflicts.extend(crate::case::merge::merge_into(&mut db, &input.join(CASE_DB))?);
        let bundles = input.join("bundles");
        if bundles.is_dir() {
            link_tree(&bundles, &out.join("bundles"))?;
        }
    }
    let rows = summary::rows(&db, None, None)?;
    summary::write_json(out, &rows, None).map_err(|e| BatchError::io(out, e))?;
    Ok(Merged { rows, conflicts })
}

/// Mirror the tree `from` under `to` (existing files replaced).
fn link_tree(from: &Path, to: &Path) -> Result<(), BatchError> {
    std::fs::create_dir_all(to).map_err(|e| BatchError::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| BatchError::io(from, e))? {
        let entry = entry.map_err(|e| BatchError::io(from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let ft = entry.file_type().map_err(|e| BatchError::io(&src, e))?;
        if ft.is_dir() {
            link_tree(&src, &dst)?;
        } else if ft.is_file() {
            if std::fs::symlink_metadata(&dst).is_ok() {
                std::fs::remove_file(&dst).map_err(|e| BatchError::io(&dst, e))?;
            }
            if std::fs::hard_link(&src, &dst).is_err() {
                std::fs::copy(&src, &dst).map_err(|e| BatchError::io(&dst, e))?;
            }
        }
    }
    Ok(())
}
