//! The case database (`case.sqlite` in a batch's `--out`): every bundle's custody, containers,
//! images, facts, IOCs, file hashes, processes and timeline in one SQLite file, for questions
//! that cross bundles ([`query`]). Schema in docs/case-schema.md, versioned in `meta`.
//!
//! Rows carry their bundle's key and no row id of ours, so the content does not depend on the
//! order bundles finish in: a resumed, sharded or merged run gives the same rows. One
//! transaction per bundle, WAL journal: a kill mid-batch leaves every finished bundle in.
//! Only `runs` and `run_bundles` hold wall-clock values.

pub mod ingest;
pub mod merge;
pub mod query;

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

/// Version of the case database layout. Bump the major on a breaking change.
pub const SCHEMA_VERSION: &str = "1.0";

/// The case database's file name in a batch's `--out`.
pub const CASE_DB: &str = "case.sqlite";

/// Why the case database failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case database {path}: {source}")]
    Sql {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("case database {path} has schema {found}, this ctriage writes {SCHEMA_VERSION}")]
    Version { path: String, found: String },
}

/// The tables, in the order they are dumped and merged; `bundle` is the key of every bundle
/// table (see docs/case-schema.md).
pub const BUNDLE_TABLES: [&str; 9] = [
    "bundles",
    "artifacts",
    "containers",
    "images",
    "findings",
    "iocs",
    "file_hashes",
    "processes",
    "timeline",
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bundles (
    bundle TEXT PRIMARY KEY, path TEXT NOT NULL, folder TEXT NOT NULL, status TEXT NOT NULL,
    kind TEXT, verdict TEXT, critical INTEGER, high INTEGER, medium INTEGER, low INTEGER,
    info INTEGER, errors INTEGER, warnings INTEGER, exit_code INTEGER NOT NULL,
    input_sha256 TEXT, inputs INTEGER, options TEXT NOT NULL, message TEXT);
CREATE TABLE IF NOT EXISTS artifacts (
    bundle TEXT NOT NULL, path TEXT NOT NULL, kind TEXT, size INTEGER, sha256 TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS containers (
    bundle TEXT NOT NULL, id TEXT, name TEXT, image TEXT, image_id TEXT, created TEXT,
    verdict TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS images (
    bundle TEXT NOT NULL, image_id TEXT, repo_tags TEXT, archive TEXT, layers INTEGER,
    created TEXT);
CREATE TABLE IF NOT EXISTS findings (
    bundle TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL, category TEXT,
    title TEXT, summary TEXT, time TEXT, proof TEXT);
CREATE TABLE IF NOT EXISTS iocs (
    bundle TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, role TEXT, path TEXT,
    first_seen TEXT, last_seen TEXT);
CREATE TABLE IF NOT EXISTS file_hashes (
    bundle TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL, source TEXT NOT NULL,
    change TEXT, size INTEGER, mtime TEXT, image_id TEXT, dropped INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS processes (
    bundle TEXT NOT NULL, artifact TEXT, pid INTEGER, ppid INTEGER, user TEXT, start TEXT,
    command TEXT);
CREATE TABLE IF NOT EXISTS timeline (
    bundle TEXT NOT NULL, time TEXT, timestamp_desc TEXT, kind TEXT, message TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started TEXT NOT NULL, ended TEXT, host TEXT, tool_version TEXT,
    arguments TEXT, shard TEXT);
CREATE TABLE IF NOT EXISTS run_bundles (
    run_id TEXT NOT NULL, bundle TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL,
    duration_ms INTEGER);
CREATE INDEX IF NOT EXISTS artifacts_bundle ON artifacts (bundle);
CREATE INDEX IF NOT EXISTS artifacts_sha256 ON artifacts (sha256);
CREATE INDEX IF NOT EXISTS containers_bundle ON containers (bundle);
CREATE INDEX IF NOT EXISTS containers_image ON containers (image_id);
CREATE INDEX IF NOT EXISTS images_bundle ON images (bundle);
CREATE INDEX IF NOT EXISTS images_id ON images (image_id);
CREATE INDEX IF NOT EXISTS findings_bundle ON findings (bundle);
CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule);
CREATE INDEX IF NOT EXISTS iocs_bundle ON iocs (bundle);
CREATE INDEX IF NOT EXISTS iocs_value ON iocs (value);
CREATE INDEX IF NOT EXISTS file_hashes_bundle ON file_hashes (bundle);
CREATE INDEX IF NOT EXISTS file_hashes_sha256 ON file_hashes (sha256);
CREATE INDEX IF NOT EXISTS processes_bundle ON processes (bundle);
CREATE INDEX IF NOT EXISTS timeline_bundle ON timeline (bundle);
CREATE INDEX IF NOT EXISTS timeline_time ON timeline (time);
CREATE INDEX IF NOT EXISTS run_bundles_bundle ON run_bundles (bundle);
";

/// An open case database.
pub struct CaseDb {
    pub conn: Connection,
    pub path: String,
}

impl CaseDb {
    /// Open or create `path` (WAL journal, schema created, version checked).
    pub fn open(path: &Path) -> Result<Self, CaseError> {
        let shown = path.display().to_string();
        let sql = |source| CaseError::Sql { path: shown.clone(), source };
        let conn = Connection::open(path).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        let found: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .optional()
            .map_err(sql)?;
        match found {
            Some(v) if v != SCHEMA_VERSION => return Err(CaseError::Version { path: shown, found: v }),
            Some(_) => {}
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('report_schema', ?2)",
                    params![SCHEMA_VERSION, crate::report::SCHEMA_VERSION],
                )
                .map_err(sql)?;
            }
        }
        Ok(CaseDb { conn, path: shown })
    }

    /// Open an existing database read-only (for `case`), version checked.
    pub fn open_read_only(path: &Path) -> Result<Self, CaseError> {
        let shown = path.display().to_string();
        let sql = |source| CaseError::Sql { path: shown.clone(), source };
        let conn =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
        let found: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .map_err(sql)?;
        if found != SCHEMA_VERSION {
            return Err(CaseError::Version { path: shown, found });
        }
        Ok(CaseDb { conn, path: shown })
    }

    /// The error of a statement on this database.
    pub fn err(&self) -> impl Fn(rusqlite::Error) -> CaseError + '_ {
        |source| CaseError::Sql { path: self.path.clone(), source }
    }

    /// Every bundle table as sorted text lines (`table<TAB>col=value...`): the content, without
    /// the wall-clock tables, for comparing two databases.
    pub fn canonical_dump(&self) -> Result<Vec<String>, CaseError> {
        let mut out = vec![];
        for table in std::iter::once("meta").chain(BUNDLE_TABLES) {
            let mut stmt = self.conn.prepare(&format!("SELECT * FROM {table}")).map_err(self.err())?;
            let cols: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
            let mut rows = stmt.query([]).map_err(self.err())?;
            let mut lines = vec![];
            while let Some(row) = rows.next().map_err(self.err())? {
                let mut line = table.to_string();
                for (i, c) in cols.iter().enumerate() {
                    let v: rusqlite::types::Value = row.get(i).map_err(self.err())?;
                    line.push_str(&format!("\t{c}={v:?}"));
                }
                lines.push(line);
            }
            lines.sort();
            out.extend(lines);
        }
        Ok(out)
    }
}
