//! One bundle into the case database, in one transaction: its old rows out, then the rows
//! read from the `report.json` its scan wrote (custody, containers with their verdicts,
//! images, facts, IOCs, file hashes, processes, timeline). Reads the report only.

use rusqlite::{params, Transaction};
use serde_json::Value;

use super::{CaseDb, CaseError, BUNDLE_TABLES};

/// What the batch knows of a bundle besides its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleRow {
    pub key: String,
    pub path: String,
    /// Output folder relative to the batch's `--out`.
    pub folder: String,
    /// `ok`, `timed-out`, `crashed` or `failed`.
    pub status: String,
    pub exit_code: i32,
    /// SHA-256 over the bundle's input list (see [`crate::batch::inputs`]).
    pub input_sha256: Option<String>,
    pub inputs: Option<i64>,
    /// The options that change a report (rules, Sigma, base image, fail-on).
    pub options: String,
    pub message: Option<String>,
}

/// The worst verdict of a bundle's containers: `compromised`, `suspicious`, `no sign`, or
/// `none` when the report has no verdict.
pub fn bundle_verdict(bundle: &Value) -> &'static str {
    let statuses: Vec<&str> = items(bundle, "verdicts").filter_map(|v| v["status"].as_str()).collect();
    ["compromised", "suspicious", "inconclusive", "no sign", "attacker-side"]
        .into_iter()
        .find(|s| statuses.contains(s))
        .unwrap_or("none")
}

fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v[key].as_array().into_iter().flatten()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Replace `row.key`'s rows with `row` and, when the scan reported, the rows of its report
/// (`report` is the whole `report.json` of a one-bundle scan).
pub fn record(db: &mut CaseDb, row: &BundleRow, report: Option<&Value>) -> Result<(), CaseError> {
    let path = db.path.clone();
    let sql = |source| CaseError::Sql { path: path.clone(), source };
    let tx = db.conn.transaction().map_err(sql)?;
    for table in BUNDLE_TABLES {
        tx.execute(&format!("DELETE FROM {table} WHERE bundle = ?1"), [&row.key]).map_err(sql)?;
    }
    let bundle = report.and_then(|r| r["bundles"].get(0));
    let count = |s: &str| report.and_then(|r| r["summary"]["findings"][s].as_i64());
    let summary = |s: &str| report.and_then(|r| r["summary"][s].as_i64());
    tx.execute(
        "INSERT INTO bundles VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
        params![
            row.key,
            row.path,
            row.folder,
            row.status,
            bundle.and_then(|b| text(&b["kind"])),
            bundle.map(bundle_verdict),
            count("critical"),
            count("high"),
            count("medium"),
            count("low"),
            count("info"),
            summary("errors"),
            summary("warnings"),
            row.exit_code,
            row.input_sha256,
            row.inputs,
            row.options,
            row.message,
        ],
    )
    .map_err(sql)?;
    if let Some(b) = bundle {
        insert_report(&tx, &row.key, b).map_err(sql)?;
    }
    tx.commit().map_err(sql)
}

fn insert_report(tx: &Transaction<'_>, key: &str, b: &Value) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO artifacts VALUES (?1,?2,?3,?4,?5,?6)")?;
    for a in items(b, "artifacts") {
        st.execute(params![
            key,
            text(&a["path"]),
            text(&a["kind"]),
            a["size"].as_i64(),
            text(&a["sha256"]),
            text(&a["error"])
        ])?;
    }
    let mut st = tx.prepare("INSERT INTO containers VALUES (?1,?2,?3,?4,?5,?6,?7,?8)")?;
    for c in items(b, "containers") {
        let verdict = items(b, "verdicts").find(|v| v["id"] == c["id"] && !c["id"].is_null());
        st.execute(params![
            key,
            text(&c["id"]),
            text(&c["name"]),
            text(&c["image"]),
            text(&c["image_id"]),
            text(&c["created"]),
            verdict.and_then(|v| text(&v["status"])),
            verdict.and_then(|v| text(&v["reason"])),
        ])?;
    }
    let mut st = tx.prepare("INSERT INTO images VALUES (?1,?2,?3,?4,?5,?6)")?;
    for i in items(b, "images") {
        let tags: Vec<&str> = items(i, "repo_tags").filter_map(Value::as_str).collect();
        st.execute(params![
            key,
            text(&i["id"]),
            tags.join(","),
            text(&i["archive"]),
            i["layers"].as_array().map(|l| l.len() as i64),
            text(&i["created"]),
        ])?;
    }
    let mut st = tx.prepare("INSERT INTO findings VALUES (?1,?2,?3,?4,?5,?6,?7,?8)")?;
    for f in items(b, "findings") {
        st.execute(params![
            key,
            text(&f["rule"]),
            text(&f["severity"]),
            text(&f["category"]),
            text(&f["title"]),
            text(&f["summary"]),
            text(&f["when"]["time"]).or_else(|| text(&f["time"])),
            text(&f["evidence"]),
        ])?;
    }
    let mut st = tx.prepare("INSERT INTO iocs VALUES (?1,?2,?3,?4,?5,?6,?7)")?;
    for i in items(b, "iocs") {
        st.execute(params![
            key,
            text(&i["type"]),
            text(&i["value"]),
            text(&i["role"]),
            text(&i["path"]),
            text(&i["first_seen"]),
            text(&i["last_seen"]),
        ])?;
    }
    insert_file_hashes(tx, key, b)?;
    let mut st = tx.prepare("INSERT INTO processes VALUES (?1,?2,?3,?4,?5,?6,?7)")?;
    for p in items(b, "processes") {
        let artifact = text(&p["capture"]["artifact"]);
        for r in items(&p["capture"], "processes") {
            st.execute(params![
                key,
                artifact,
                r["pid"].as_i64(),
                r["ppid"].as_i64(),
                text(&r["user"]),
                text(&r["start"]),
                text(&r["cmd"]),
            ])?;
        }
    }
    let mut st = tx.prepare("INSERT INTO timeline VALUES (?1,?2,?3,?4,?5,?6)")?;
    for t in items(b, "timeline") {
        st.execute(params![
            key,
            text(&t["time"]),
            text(&t["timestamp_desc"]),
            text(&t["kind"]),
            text(&t["message"]),
            text(&t["source"]),
        ])?;
    }
    Ok(())
}

/// File entries with a SHA-256: image layer and container changes. `dropped` marks the
/// container's own files (an export, a container layer, or a layer `docker commit` added).
fn insert_file_hashes(tx: &Transaction<'_>, key: &str, b: &Value) -> rusqlite::Result<()> {
    let images: Vec<&Value> = items(b, "images").collect();
    let mut st = tx.prepare("INSERT INTO file_hashes VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)")?;
    for f in items(b, "file_changes") {
        let Some(sha) = f["sha256"].as_str() else { continue };
        let image = f["image"].as_u64().and_then(|i| images.get(i as usize));
        let committed = image.is_some_and(|img| {
            f["layer"].as_u64().is_some_and(|l| items(img, "committed_layers").any(|c| c.as_u64() == Some(l)))
        });
        let source = f["source"].as_str().unwrap_or_default();
        let dropped = committed || !source.starts_with("layer ");
        st.execute(params![
            key,
            sha,
            text(&f["path"]),
            source,
            text(&f["change"]),
            f["size"].as_i64(),
            text(&f["mtime"]),
            image.and_then(|i| text(&i["id"])),
            dropped as i64,
        ])?;
    }
    Ok(())
}
