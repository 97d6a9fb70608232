//! Merging case databases (`ctriage merge`): every bundle of a source replaces the same
//! bundle in the target, in one transaction per source; the run ledgers are unioned.

use std::path::Path;

use super::{CaseDb, CaseError, BUNDLE_TABLES};

/// Merge `source` into `target`. Returns the bundles that were already in the target with
/// another input hash (the source's rows win).
pub fn merge_into(target: &mut CaseDb, source: &Path) -> Result<Vec<String>, CaseError> {
    let shown = source.display().to_string();
    CaseDb::open_read_only(source)?; // It exists and has this schema version.
    let sql = |source| CaseError::Sql { path: shown.clone(), source };
    target.conn.execute("ATTACH DATABASE ?1 AS src", [&shown]).map_err(sql)?;
    let result = (|| {
        let tx = target.conn.transaction()?;
        let conflicts: Vec<String> = {
            let mut st = tx.prepare(
                "SELECT s.bundle FROM src.bundles s JOIN main.bundles m ON m.bundle = s.bundle
                 WHERE m.input_sha256 IS NOT s.input_sha256 ORDER BY s.bundle",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for table in BUNDLE_TABLES {
            tx.execute(
                &format!("DELETE FROM main.{table} WHERE bundle IN (SELECT bundle FROM src.bundles)"),
                [],
            )?;
            tx.execute(&format!("INSERT INTO main.{table} SELECT * FROM src.{table}"), [])?;
        }
        tx.execute("INSERT OR IGNORE INTO main.runs SELECT * FROM src.runs", [])?;
        tx.execute(
            "INSERT INTO main.run_bundles SELECT * FROM src.run_bundles
             EXCEPT SELECT * FROM main.run_bundles",
            [],
        )?;
        tx.commit()?;
        Ok(conflicts)
    })();
    let detached = target.conn.execute("DETACH DATABASE src", []);
    let conflicts = result.map_err(sql)?;
    detached.map_err(sql)?;
    Ok(conflicts)
}
