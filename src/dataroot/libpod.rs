//! libpod's state database of a containers-storage root: the BoltDB `libpod/bolt_state.db`
//! (Podman < 4.8: buckets `ctr/<id>/{config,state}`, `pod/<id>/config`, `vol/<name>/config`)
//! or the SQLite `libpod/db.sql` (Podman >= 4.8 default: tables `ContainerConfig`,
//! `ContainerState`, `PodConfig`, `VolumeConfig`, each row a JSON document). Both hold the
//! same JSON: a container's libpod config (name, pod, image, `privileged`, port mappings,
//! created time, its OCI `spec`) and state (`state` 3 = running, started/finished times,
//! exit code, pid).
//!
//! The SQLite file is opened read-only and immutable (`file:…?mode=ro&immutable=1`): SQLite
//! then takes no lock and writes no `-wal`/`-shm` next to the evidence. A database inside a
//! tar (or held in memory) is first copied into a private temporary file that is deleted
//! when read; nothing is extracted elsewhere. Immutable mode does not read a `-wal` file, so
//! one in the evidence is named in a diagnostic (its transactions are not seen).

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;
use serde_json::Value;

use super::bolt::MAX_DB;
use super::layout::Files;
use crate::compression::Compression;
use crate::evidence::Artifact;
use crate::ingest::inspect::ContainerInfo;
use crate::model::{Diagnostic, Locator};

/// What libpod's state holds, by container id.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    /// `bolt_state.db` or `db.sql`, as read.
    pub path: String,
    /// Container id -> (libpod config JSON, state JSON).
    pub containers: BTreeMap<String, (Value, Value)>,
    pub pods: Vec<Pod>,
    pub volumes: Vec<Volume>,
}

/// A pod of libpod's state.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Pod {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Its containers' ids, sorted.
    pub containers: Vec<String>,
}

/// A named volume of libpod's state.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Volume {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_point: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from)
}

/// Read libpod's state from the root's files (`libpod/bolt_state.db` first, else
/// `libpod/db.sql`); None when neither is there or readable (then a diagnostic says why).
pub(crate) fn read(files: &Files, diags: &mut Vec<Diagnostic>) -> Option<State> {
    if let Some(a) = files.get("libpod/bolt_state.db") {
        return match read_bolt(a) {
            Ok(s) => Some(s),
            Err(e) => {
                diags.push(Diagnostic::error(a.locator(), format!("libpod state not readable: {e}")));
                None
            }
        };
    }
    let a = files.get("libpod/db.sql")?;
    if files.contains_key("libpod/db.sql-wal") {
        diags.push(Diagnostic::warning(
            Locator::artifact(format!("{}-wal", a.path)),
            "libpod's SQLite write-ahead log is in the evidence but not read (the database is opened immutable): changes not yet checkpointed into db.sql are not seen",
        ));
    }
    match read_sqlite(a) {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(Diagnostic::error(a.locator(), format!("libpod SQLite state not readable: {e}")));
            None
        }
    }
}

fn json(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or(Value::Null)
}

fn read_bolt(a: &Artifact) -> Result<State, String> {
    let db = super::bolt::read_artifact(a)?;
    let mut s = State { path: a.path.clone(), ..Default::default() };
    for (id, b) in db.bucket(&[b"ctr"]).into_iter().flat_map(|b| b.buckets()) {
        let config = b.value(b"config").map(json).unwrap_or(Value::Null);
        let state = b.value(b"state").map(json).unwrap_or(Value::Null);
        s.containers.insert(String::from_utf8_lossy(id).into_owned(), (config, state));
    }
    let pods: Vec<Value> = db
        .bucket(&[b"pod"])
        .into_iter()
        .flat_map(|b| b.buckets())
        .filter_map(|(_, p)| p.value(b"config"))
        .map(json)
        .collect();
    let vols: Vec<Value> = db
        .bucket(&[b"vol"])
        .into_iter()
        .flat_map(|b| b.buckets())
        .filter_map(|(_, v)| v.value(b"config"))
        .map(json)
        .collect();
    s.finish(pods, vols);
    Ok(s)
}

/// A file path SQLite can open: the evidence file itself, or a private copy of it.
fn sqlite_path(a: &Artifact) -> Result<(std::path::PathBuf, Option<tempfile::TempPath>), String> {
    if let (Some(p), Compression::None) = (a.file_path(), a.compression) {
        return Ok((p.into_owned(), None));
    }
    let mut tmp = tempfile::NamedTempFile::new().map_err(|e| format!("no private temporary file: {e}"))?;
    let copied = std::io::copy(&mut a.open().map_err(|e| e.to_string())?.take(MAX_DB + 1), tmp.as_file_mut())
        .map_err(|e| format!("copying into a private temporary file: {e}"))?;
    if copied > MAX_DB {
        return Err(format!("larger than {MAX_DB} bytes: not read"));
    }
    let path = tmp.into_temp_path();
    Ok((path.to_path_buf(), Some(path)))
}

/// `file:` URI of a path (percent-encoding what a URI cannot hold as is).
fn file_uri(p: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::from("file:");
    for &b in p.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

fn read_sqlite(a: &Artifact) -> Result<State, String> {
    use rusqlite::{Connection, OpenFlags};
    let (path, _keep) = sqlite_path(a)?;
    let flags =
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(file_uri(&path), flags).map_err(|e| e.to_string())?;
    let rows = |sql: &str| -> Result<Vec<(String, String)>, String> {
        let mut st = conn.prepare(sql).map_err(|e| format!("{sql}: {e}"))?;
        let got = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| format!("{sql}: {e}"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{sql}: {e}"));
        got
    };
    let mut s = State { path: a.path.clone(), ..Default::default() };
    let states: BTreeMap<String, String> = rows("SELECT ID, JSON FROM ContainerState")?.into_iter().collect();
    for (id, config) in rows("SELECT ID, JSON FROM ContainerConfig")? {
        let state = states.get(&id).map(|j| json(j.as_bytes())).unwrap_or(Value::Null);
        s.containers.insert(id, (json(config.as_bytes()), state));
    }
    let pods = rows("SELECT ID, JSON FROM PodConfig")?.into_iter().map(|(_, j)| json(j.as_bytes())).collect();
    let vols =
        rows("SELECT Name, JSON FROM VolumeConfig")?.into_iter().map(|(_, j)| json(j.as_bytes())).collect();
    s.finish(pods, vols);
    Ok(s)
}

impl State {
    fn finish(&mut self, pods: Vec<Value>, vols: Vec<Value>) {
        for p in pods {
            let Some(id) = text(&p, "id") else { continue };
            let containers = self
                .containers
                .iter()
                .filter(|(_, (c, _))| text(c, "pod").as_deref() == Some(id.as_str()))
                .map(|(k, _)| k.clone())
                .collect();
            self.pods.push(Pod {
                name: text(&p, "name").unwrap_or_default(),
                created: text(&p, "created"),
                id,
                containers,
            });
        }
        self.pods.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for v in vols {
            let Some(name) = text(&v, "name") else { continue };
            self.volumes.push(Volume {
                name,
                driver: text(&v, "volumeDriver"),
                mount_point: text(&v, "mountPoint"),
                created: text(&v, "createdAt"),
            });
        }
        self.volumes.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

/// libpod's `ContainerStatus` numbers as `docker ps` names them.
pub(crate) fn status_name(n: i64) -> &'static str {
    match n {
        1 => "configured",
        2 => "created",
        3 => "running",
        4 => "stopped",
        5 => "paused",
        6 => "exited",
        7 => "removing",
        8 => "stopping",
        _ => "unknown",
    }
}

/// Fill a container record (read from its OCI spec) with what libpod's config and state
/// add: name, image, created time, `privileged`, published ports, the namespaces it joins
/// of other containers, and its run state.
pub(crate) fn apply(c: &mut ContainerInfo, config: &Value, state: &Value) {
    use crate::model::Timestamp;
    let time = |v: &Value, k: &str| text(v, k).and_then(|t| Timestamp::parse_rfc3339(&t));
    if c.name.is_empty() {
        c.name = text(config, "name").unwrap_or_default();
    }
    if c.image.is_none() {
        c.image = text(config, "rootfsImageName");
    }
    if c.image_id.is_none() {
        c.image_id = text(config, "rootfsImageID").map(|i| format!("sha256:{i}"));
    }
    c.created = c.created.or_else(|| time(config, "createdTime"));
    c.log_path = c.log_path.take().or_else(|| text(config, "logPath"));
    if let Some(h) = c.host_config.as_mut() {
        if config.get("privileged").and_then(Value::as_bool) == Some(true) {
            h.privileged = true;
            h.cap_add.clear();
            h.security_opt.retain(|o| o != "seccomp=unconfined");
        }
        for (key, mode) in [
            ("pidNsCtr", &mut h.pid_mode),
            ("netNsCtr", &mut h.network_mode),
            ("ipcNsCtr", &mut h.ipc_mode),
            ("utsNsCtr", &mut h.uts_mode),
        ] {
            if let Some(other) = text(config, key) {
                *mode = Some(format!("container:{other}"));
            }
        }
        let ports = config.get("newPortMappings").or_else(|| config.get("portMappings"));
        for p in ports.and_then(Value::as_array).into_iter().flatten() {
            let num = |k: &str| p.get(k).and_then(Value::as_u64);
            let (Some(cp), Some(hp)) = (num("container_port"), num("host_port")) else { continue };
            let range = num("range").unwrap_or(1).max(1);
            let span = |start: u64| {
                if range > 1 {
                    format!("{start}-{}", start + range - 1)
                } else {
                    start.to_string()
                }
            };
            h.port_bindings.push(crate::ingest::inspect::PortMapping {
                host_ip: Some(text(p, "host_ip").unwrap_or_else(|| "0.0.0.0".into())),
                host_port: Some(span(hp)),
                container_port: span(cp),
                protocol: text(p, "protocol").unwrap_or_else(|| "tcp".into()),
            });
        }
        h.port_bindings.sort();
    }
    if let Some(n) = state.get("state").and_then(Value::as_i64) {
        let st = &mut c.state;
        st.status = Some(status_name(n).into());
        st.running = n == 3 || n == 5;
        st.paused = n == 5;
        st.pid = state.get("pid").and_then(Value::as_i64).filter(|p| *p > 0);
        st.exit_code = state.get("exitCode").and_then(Value::as_i64);
        st.oom_killed = state.get("oomKilled").and_then(Value::as_bool).unwrap_or(false);
        st.started_at = time(state, "startedTime");
        st.finished_at = time(state, "finishedTime");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::ArtifactSource;

    /// A db.sql with libpod's schema (libpod/sqlite_state.go), the JSON columns as libpod
    /// writes them.
    fn sample_db(path: &std::path::Path) {
        let c = rusqlite::Connection::open(path).unwrap();
        c.execute_batch(
            r#"
            CREATE TABLE DBConfig(ID INTEGER PRIMARY KEY NOT NULL, SchemaVersion INTEGER NOT NULL, OS TEXT NOT NULL,
                StaticDir TEXT NOT NULL, TmpDir TEXT NOT NULL, GraphRoot TEXT NOT NULL, RunRoot TEXT NOT NULL,
                GraphDriver TEXT NOT NULL, VolumeDir TEXT NOT NULL, CHECK (ID IN (1)));
            CREATE TABLE ContainerConfig(ID TEXT PRIMARY KEY NOT NULL, Name TEXT UNIQUE NOT NULL, PodID TEXT, JSON TEXT NOT NULL);
            CREATE TABLE ContainerState(ID TEXT PRIMARY KEY NOT NULL, State INTEGER NOT NULL, ExitCode INTEGER, JSON TEXT NOT NULL);
            CREATE TABLE PodConfig(ID TEXT PRIMARY KEY NOT NULL, Name TEXT UNIQUE NOT NULL, JSON TEXT NOT NULL);
            CREATE TABLE VolumeConfig(Name TEXT PRIMARY KEY NOT NULL, StorageID TEXT, JSON TEXT NOT NULL);
            INSERT INTO DBConfig VALUES (1, 1, 'linux', '/var/lib/containers/storage/libpod', '/run/libpod',
                '/var/lib/containers/storage', '/run/containers/storage', 'overlay', '/var/lib/containers/storage/volumes');
            INSERT INTO ContainerConfig VALUES ('c1', 'web', 'p1', '{"id":"c1","name":"web","pod":"p1","privileged":true,"rootfsImageName":"localhost/lab/shop-web:1.0","createdTime":"2026-12-01T10:00:00Z","newPortMappings":[{"host_ip":"","container_port":8080,"host_port":8081,"range":1,"protocol":"tcp"}]}');
            INSERT INTO ContainerState VALUES ('c1', 3, 0, '{"state":3,"startedTime":"2026-12-01T10:00:01Z","pid":4242}');
            INSERT INTO PodConfig VALUES ('p1', 'shop', '{"id":"p1","name":"shop","created":"2026-12-01T09:59:00Z"}');
            INSERT INTO VolumeConfig VALUES ('data', NULL, '{"name":"data","volumeDriver":"local","mountPoint":"/var/lib/containers/storage/volumes/data/_data","createdAt":"2026-12-01T09:58:00Z"}');
            "#,
        )
        .unwrap();
    }

    #[test]
    fn sqlite_state_is_read_immutable_without_writing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sql");
        sample_db(&db);
        let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        let bytes = std::fs::read(&db).unwrap();
        let a = Artifact {
            path: "libpod/db.sql".into(),
            source: ArtifactSource::File(db.clone()),
            kind: crate::evidence::ArtifactKind::RootFile,
            size: bytes.len() as u64,
            sha256: None,
            compression: Compression::None,
            error: None,
            note: None,
            mtime: None,
        };
        let s = read_sqlite(&a).unwrap();
        let (config, state) = &s.containers["c1"];
        assert_eq!(config["privileged"], true);
        assert_eq!(state["state"], 3);
        assert_eq!(s.pods.len(), 1);
        assert_eq!(
            (s.pods[0].name.as_str(), s.pods[0].containers.as_slice()),
            ("shop", &["c1".to_string()][..])
        );
        assert_eq!(
            s.volumes[0].mount_point.as_deref(),
            Some("/var/lib/containers/storage/volumes/data/_data")
        );
        let after: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(before, after, "no -wal/-shm/-journal written beside the evidence");
        assert_eq!(std::fs::read(&db).unwrap(), bytes);
        // The same bytes from memory (a tar member) go through a private copy.
        let m = Artifact { source: ArtifactSource::Memory(std::sync::Arc::from(bytes)), ..a };
        assert_eq!(read_sqlite(&m).unwrap().containers.len(), 1);
    }

    #[test]
    fn uris_escape_what_they_cannot_hold() {
        assert_eq!(
            file_uri(std::path::Path::new("/e/a b?#.sql")),
            "file:/e/a%20b%3F%23.sql?mode=ro&immutable=1"
        );
    }
}
