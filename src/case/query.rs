//! The questions `ctriage case` asks of a case database, each one SQL query returning a
//! table (columns, rows) in a fixed order: bundles and verdicts, IOCs seen in more than one
//! bundle, the same file content dropped in several bundles, images shared by compromised
//! containers, the combined timeline.

use serde_json::Value;

use super::{CaseDb, CaseError};

/// A question's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// A question `ctriage case` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    Bundles,
    Iocs,
    Files,
    Images,
    Timeline,
}

impl Question {
    fn sql(self) -> &'static str {
        match self {
            Question::Bundles => {
                "SELECT bundle, status, verdict, critical, high, medium, low, info, errors, exit_code,
                        input_sha256, folder
                 FROM bundles ORDER BY bundle"
            }
            Question::Iocs => {
                "SELECT type, value, COUNT(*) AS bundles, group_concat(bundle, ',') AS in_bundles,
                        MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen
                 FROM (SELECT type, value, bundle, MIN(first_seen) AS first_seen,
                              MAX(last_seen) AS last_seen
                       FROM iocs GROUP BY type, value, bundle ORDER BY bundle)
                 GROUP BY type, value HAVING COUNT(*) > 1
                 ORDER BY bundles DESC, type, value"
            }
            Question::Files => {
                "SELECT sha256, COUNT(DISTINCT bundle) AS bundles, COUNT(*) AS places,
                        group_concat(bundle || ':' || path, ' | ') AS where_found
                 FROM (SELECT DISTINCT sha256, bundle, path FROM file_hashes
                       WHERE dropped = 1 AND change <> 'deleted' AND size > 0
                       ORDER BY bundle, path)
                 GROUP BY sha256 HAVING COUNT(DISTINCT bundle) > 1
                 ORDER BY bundles DESC, places DESC, sha256"
            }
            Question::Images => {
                "SELECT c.image_id, c.image, COUNT(*) AS containers,
                        SUM(c.verdict = 'compromised') AS compromised,
                        COUNT(DISTINCT c.bundle) AS bundles,
                        group_concat(c.bundle || ':' || COALESCE(c.name, c.id) || ':' ||
                                     COALESCE(c.verdict, '-'), ' | ') AS used_by
                 FROM (SELECT * FROM containers WHERE image_id IS NOT NULL
                       ORDER BY bundle, name, id) AS c
                 GROUP BY c.image_id
                 HAVING SUM(c.verdict = 'compromised') >= 1 AND COUNT(*) >= 2
                 ORDER BY compromised DESC, containers DESC, c.image_id"
            }
            Question::Timeline => {
                "SELECT time, bundle, kind, timestamp_desc, message FROM timeline
                 WHERE time IS NOT NULL ORDER BY time, bundle, kind, message"
            }
        }
    }

    /// Ask it.
    pub fn ask(self, db: &CaseDb) -> Result<Table, CaseError> {
        let mut stmt = db.conn.prepare(self.sql()).map_err(db.err())?;
        let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
        let n = columns.len();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                            rusqlite::types::Value::Null => Value::Null,
                            rusqlite::types::Value::Integer(v) => Value::from(v),
                            rusqlite::types::Value::Real(v) => Value::from(v),
                            rusqlite::types::Value::Text(s) => Value::from(s),
                            rusqlite::types::Value::Blob(b) => {
                                Value::from(String::from_utf8_lossy(&b).into_owned())
                            }
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })
            .map_err(db.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db.err())?;
        Ok(Table { columns, rows })
    }
}
