//! `docker stats` captures: the `--no-stream` table (and the streaming one, screen-clear
//! codes and repeated headers included), `--format json` / `{{json .}}` lines, and the raw
//! API stats JSON. Sizes become bytes; resource abuse (miners, fork bombs) becomes findings.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::evidence::Artifact;
use crate::model::{
    display_bytes, Diagnostic, Family, Finding, Locator, Role, RuleDef, RuleKind, Severity, Timestamp,
};

/// Longest line read from a stats or ps capture; longer lines are skipped with a warning.
const MAX_LINE: u64 = 1 << 20;

/// Which form a stats row was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatsFormat {
    Table,
    Json,
    Api,
}

/// One container's resource usage at one moment.
#[derive(Clone, Debug, Serialize)]
pub struct StatsRow {
    pub format: StatsFormat,
    /// `CONTAINER ID` / `CONTAINER` column (id or name, as the capture shows it).
    pub container: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Percent of ONE CPU (400 % = four cores busy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_usage_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_rx_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_tx_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_read_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_write_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<u64>,
    /// PIDs limit (API form only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<u64>,
    /// When the sample was read (API form only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_at: Option<Timestamp>,
    pub locator: Locator,
}

impl StatsRow {
    fn new(format: StatsFormat, container: String, locator: Locator) -> Self {
        StatsRow {
            format,
            container,
            name: None,
            cpu_percent: None,
            mem_usage_bytes: None,
            mem_limit_bytes: None,
            mem_percent: None,
            net_rx_bytes: None,
            net_tx_bytes: None,
            block_read_bytes: None,
            block_write_bytes: None,
            pids: None,
            pids_limit: None,
            read_at: None,
            locator,
        }
    }

    /// The name when known, else the container column.
    pub fn label(&self) -> &str {
        self.name.as_deref().filter(|n| !n.is_empty()).unwrap_or(&self.container)
    }

    /// The container the row is about: the container column is an id when it is hex of 12
    /// or more digits, else a name.
    pub fn owner(&self) -> crate::model::Owner {
        let hex = self.container.len() >= 12 && self.container.bytes().all(|b| b.is_ascii_hexdigit());
        let (id, name) = if hex {
            (self.container.clone(), self.name.clone().unwrap_or_default())
        } else {
            (
                String::new(),
                self.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| self.container.clone()),
            )
        };
        crate::model::Owner::Container { id, name }
    }
}

/// Parse a stats artifact.
pub(crate) fn parse(artifact: &Artifact) -> (Vec<StatsRow>, Vec<Diagnostic>) {
    let loc = artifact.locator();
    match artifact.open() {
        Ok(r) => parse_reader(r, &loc),
        Err(e) => (vec![], vec![Diagnostic::error(loc, format!("cannot open: {e}"))]),
    }
}

/// Parse stats content from a reader, line by line; `loc` names the artifact.
pub(crate) fn parse_reader(reader: impl Read, loc: &Locator) -> (Vec<StatsRow>, Vec<Diagnostic>) {
    let mut rows = vec![];
    let mut diags = vec![];
    let mut header: Option<Vec<String>> = None;
    // A pretty-printed API object spans lines: collect it until it parses.
    let mut pending: Option<(u64, String)> = None;
    for line in BoundedLines::new(reader).diagnosed(loc) {
        let (n, text) = match line {
            Ok((n, t)) => (n, strip_ansi(&t)),
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let at = loc.clone().with_line(n);
        let line = text.as_str();
        if let Some((start, mut acc)) = pending.take() {
            acc.push_str(line);
            acc.push('\n');
            match serde_json::from_str::<Value>(&acc) {
                Ok(v) => json_value(&v, loc.clone().with_line(start), &mut rows, &mut diags),
                Err(e) if e.is_eof() && acc.len() < (64 << 20) => pending = Some((start, acc)),
                Err(e) => diags.push(Diagnostic::error(
                    loc.clone().with_line(start + e.line() as u64 - 1),
                    format!("invalid stats JSON at column {}: {e}", e.column()),
                )),
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            match serde_json::from_str::<Value>(trimmed) {
                Ok(v) => json_value(&v, at, &mut rows, &mut diags),
                Err(e) if e.is_eof() => pending = Some((n, format!("{line}\n"))),
                Err(e) => diags
                    .push(Diagnostic::error(at, format!("invalid stats JSON at column {}: {e}", e.column()))),
            }
            continue;
        }
        let cells = split_cells(trimmed);
        if is_header(&cells) {
            header = Some(cells.iter().map(|c| header_name(c)).collect());
            continue;
        }
        match &header {
            Some(h) if h.len() == cells.len() => rows.push(table_row(h, &cells, at)),
            Some(h) => diags.push(Diagnostic::warning(
                at,
                format!("{} columns where the header has {}; row skipped", cells.len(), h.len()),
            )),
            None => diags.push(Diagnostic::warning(at, "row before any stats header; skipped")),
        }
    }
    if let Some((start, _)) = pending {
        diags.push(Diagnostic::error(
            loc.clone().with_line(start),
            "stats JSON object cut off at end of file",
        ));
    }
    (rows, diags)
}

/// Lines of a text capture, each read with a bound: (1-based line number, text without its
/// line end, invalid UTF-8 escaped). A line over `MAX_LINE` gives `Ok(None)` and is skipped
/// in buffer-sized steps (memory stays bounded); a read error ends the iteration.
pub(crate) struct BoundedLines<R> {
    reader: BufReader<R>,
    n: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: Read> BoundedLines<R> {
    /// Lines of `reader`, numbered from 1.
    pub(crate) fn new(reader: R) -> Self {
        BoundedLines { reader: BufReader::new(reader), n: 0, buf: Vec::new(), done: false }
    }

    fn skip_rest_of_line(&mut self) -> std::io::Result<()> {
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(());
            }
            if let Some(i) = memchr::memchr(b'\n', chunk) {
                self.reader.consume(i + 1);
                return Ok(());
            }
            let len = chunk.len();
            self.reader.consume(len);
        }
    }
}

impl<R: Read> BoundedLines<R> {
    /// The lines as `Ok((number, text))`, or `Err` with the diagnostic a line earns: a
    /// warning for an over-long line (skipped), an error for a read failure (the last item).
    pub(crate) fn diagnosed<'a>(
        self,
        loc: &'a Locator,
    ) -> impl Iterator<Item = Result<(u64, String), Diagnostic>> + 'a
    where
        R: 'a,
    {
        self.map(move |(n, line)| match line {
            Ok(Some(t)) => Ok((n, t)),
            Ok(None) => Err(Diagnostic::warning(loc.clone().with_line(n), "line longer than 1 MiB; skipped")),
            Err(e) => Err(Diagnostic::error(loc.clone().with_line(n), format!("read error: {e}"))),
        })
    }
}

impl<R: Read> Iterator for BoundedLines<R> {
    type Item = (u64, std::io::Result<Option<String>>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.buf.clear();
        let read = (&mut self.reader).take(MAX_LINE).read_until(b'\n', &mut self.buf);
        self.n += 1;
        match read {
            Ok(0) => None,
            Err(e) => {
                self.done = true;
                Some((self.n, Err(e)))
            }
            Ok(_) if self.buf.len() as u64 >= MAX_LINE && !self.buf.ends_with(b"\n") => {
                if let Err(e) = self.skip_rest_of_line() {
                    self.done = true;
                    return Some((self.n, Err(e)));
                }
                Some((self.n, Ok(None)))
            }
            Ok(_) => {
                let text = display_bytes(&self.buf);
                Some((self.n, Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))))
            }
        }
    }
}

/// Remove terminal escape sequences (`docker stats` without `--no-stream` clears the screen
/// before every refresh).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // CSI: parameters, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

/// Cells of a tabwriter row: separated by two or more spaces (or tabs); single spaces stay.
pub(crate) fn split_cells(line: &str) -> Vec<String> {
    let mut cells = vec![];
    let mut cur = String::new();
    let mut spaces = 0;
    for c in line.trim().chars() {
        if c == ' ' {
            spaces += 1;
            continue;
        }
        if c == '\t' {
            spaces += 2;
            continue;
        }
        if spaces >= 2 {
            cells.push(std::mem::take(&mut cur));
        } else if spaces == 1 {
            cur.push(' ');
        }
        spaces = 0;
        cur.push(c);
    }
    if !cur.is_empty() {
        cells.push(cur);
    }
    cells
}

fn is_header(cells: &[String]) -> bool {
    let has = |want: &str| cells.iter().any(|c| header_name(c) == want);
    has("CPU %") || has("MEM USAGE / LIMIT") || (has("NAME") && has("PIDS"))
}

/// A header cell in the names used here: upper case, and Docker <= 1.8's `MEM USAGE/LIMIT`
/// spelled as later versions print it.
fn header_name(c: &str) -> String {
    let up = c.to_ascii_uppercase();
    if up == "MEM USAGE/LIMIT" {
        "MEM USAGE / LIMIT".into()
    } else {
        up
    }
}

fn table_row(header: &[String], cells: &[String], at: Locator) -> StatsRow {
    let col =
        |name: &str| header.iter().position(|h| h == name).and_then(|i| cells.get(i)).map(String::as_str);
    let container = col("CONTAINER ID").or_else(|| col("CONTAINER")).or_else(|| col("NAME")).unwrap_or("");
    let mut row = StatsRow::new(StatsFormat::Table, container.to_string(), at);
    row.name = col("NAME").map(str::to_string);
    fill_display_values(
        &mut row,
        col("CPU %"),
        col("MEM USAGE / LIMIT"),
        col("MEM %"),
        col("NET I/O"),
        col("BLOCK I/O"),
        col("PIDS"),
    );
    row
}

/// Set the fields from the strings `docker stats` displays (`--` means no value).
fn fill_display_values(
    row: &mut StatsRow,
    cpu: Option<&str>,
    mem: Option<&str>,
    mem_perc: Option<&str>,
    net: Option<&str>,
    block: Option<&str>,
    pids: Option<&str>,
) {
    row.cpu_percent = cpu.and_then(parse_percent);
    (row.mem_usage_bytes, row.mem_limit_bytes) = pair(mem);
    row.mem_percent = mem_perc.and_then(parse_percent);
    (row.net_rx_bytes, row.net_tx_bytes) = pair(net);
    (row.block_read_bytes, row.block_write_bytes) = pair(block);
    row.pids = pids.and_then(|p| p.trim().parse().ok());
}

/// `76.18MiB / 1.944GiB`, or Docker <= 1.8's `41.16 MiB/994 MiB`.
fn pair(s: Option<&str>) -> (Option<u64>, Option<u64>) {
    match s.and_then(|s| s.split_once(" / ").or_else(|| s.split_once('/'))) {
        Some((a, b)) => (parse_size(a), parse_size(b)),
        None => (None, None),
    }
}

fn parse_percent(s: &str) -> Option<f64> {
    s.trim().trim_end_matches('%').trim().parse().ok().filter(|v: &f64| v.is_finite())
}

/// A size as go-units writes it (`76.18MiB`, `1.2kB`, `648B`, `3.686GiB`) in bytes: decimal
/// units are powers of 1000, binary (`KiB`, `MiB`...) powers of 1024. `--` and junk give None.
pub(crate) fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let (base, unit): (f64, &str) = match unit.strip_suffix("ib").or_else(|| unit.strip_suffix('i')) {
        Some(u) => (1024.0, u),
        None => (1000.0, unit.strip_suffix('b').unwrap_or(&unit)),
    };
    let exp = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        "e" => 6,
        _ => return None,
    };
    let v = num * base.powi(exp);
    (v.is_finite() && v >= 0.0 && v < u64::MAX as f64).then(|| v.round() as u64)
}

fn json_value(v: &Value, at: Locator, rows: &mut Vec<StatsRow>, diags: &mut Vec<Diagnostic>) {
    match v {
        Value::Array(items) => {
            for item in items {
                json_value(item, at.clone(), rows, diags);
            }
        }
        Value::Object(o) if o.contains_key("cpu_stats") || o.contains_key("memory_stats") => {
            rows.push(api_row(o, at))
        }
        Value::Object(o) if o.contains_key("CPUPerc") || o.contains_key("MemUsage") => {
            rows.push(json_row(o, at))
        }
        Value::Object(o) if o.contains_key("cpu_percent") && o.contains_key("mem_usage") => {
            rows.push(podman_row(o, at))
        }
        _ => diags.push(Diagnostic::warning(at, "JSON value is not a stats record; skipped")),
    }
}

/// `docker stats --format json` / `{{json .}}` line.
fn json_row(o: &Map<String, Value>, at: Locator) -> StatsRow {
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    let container = s("ID").or_else(|| s("Container")).unwrap_or_default();
    let mut row = StatsRow::new(StatsFormat::Json, container.to_string(), at);
    row.name = s("Name").map(str::to_string);
    fill_display_values(
        &mut row,
        s("CPUPerc"),
        s("MemUsage"),
        s("MemPerc"),
        s("NetIO"),
        s("BlockIO"),
        s("PIDs"),
    );
    row
}

/// `podman stats --format json` entry: the CLI's display values under snake_case keys.
fn podman_row(o: &Map<String, Value>, at: Locator) -> StatsRow {
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    let mut row = StatsRow::new(StatsFormat::Json, s("id").unwrap_or_default().to_string(), at);
    row.name = s("name").map(str::to_string);
    fill_display_values(
        &mut row,
        s("cpu_percent"),
        s("mem_usage"),
        s("mem_percent"),
        s("net_io"),
        s("block_io"),
        s("pids"),
    );
    row
}

/// The Engine API's stats object, computed the way the docker CLI does (cli/command/
/// container/stats_helpers.go): CPU % = container CPU delta / system CPU delta x online
/// CPUs x 100 against `precpu_stats`; memory = usage minus inactive file cache.
fn api_row(o: &Map<String, Value>, at: Locator) -> StatsRow {
    let get = |path: &[&str]| -> Option<&Value> {
        let mut v = o.get(path[0])?;
        for k in &path[1..] {
            v = v.get(k)?;
        }
        Some(v)
    };
    let u = |path: &[&str]| get(path).and_then(Value::as_u64);
    let id = get(&["id"]).and_then(Value::as_str).unwrap_or_default();
    let mut row = StatsRow::new(StatsFormat::Api, id.to_string(), at);
    row.name = get(&["name"]).and_then(Value::as_str).map(|n| n.trim_start_matches('/').to_string());
    row.read_at = get(&["read"]).and_then(Value::as_str).and_then(Timestamp::parse_rfc3339);

    let online = u(&["cpu_stats", "online_cpus"]).filter(|&n| n > 0).or_else(|| {
        get(&["cpu_stats", "cpu_usage", "percpu_usage"]).and_then(Value::as_array).map(|a| a.len() as u64)
    });
    let cpu_delta = u(&["cpu_stats", "cpu_usage", "total_usage"])
        .zip(u(&["precpu_stats", "cpu_usage", "total_usage"]))
        .map(|(now, pre)| now as f64 - pre as f64);
    let sys_delta = u(&["cpu_stats", "system_cpu_usage"])
        .zip(u(&["precpu_stats", "system_cpu_usage"]))
        .map(|(now, pre)| now as f64 - pre as f64);
    if let (Some(cd), Some(sd), Some(n)) = (cpu_delta, sys_delta, online) {
        row.cpu_percent = Some(if sd > 0.0 && cd > 0.0 { cd / sd * n as f64 * 100.0 } else { 0.0 });
    }

    if let Some(usage) = u(&["memory_stats", "usage"]) {
        // cgroup v1: total_inactive_file; cgroup v2: inactive_file (as the CLI does).
        let cache = u(&["memory_stats", "stats", "total_inactive_file"])
            .or_else(|| u(&["memory_stats", "stats", "inactive_file"]))
            .filter(|&c| c < usage)
            .unwrap_or(0);
        let used = usage - cache;
        row.mem_usage_bytes = Some(used);
        row.mem_limit_bytes = u(&["memory_stats", "limit"]);
        row.mem_percent = row.mem_limit_bytes.filter(|&l| l > 0).map(|l| used as f64 / l as f64 * 100.0);
    }
    if let Some(nets) = get(&["networks"]).and_then(Value::as_object) {
        let sum = |k: &str| nets.values().filter_map(|n| n.get(k).and_then(Value::as_u64)).sum::<u64>();
        row.net_rx_bytes = Some(sum("rx_bytes"));
        row.net_tx_bytes = Some(sum("tx_bytes"));
    }
    if let Some(list) = get(&["blkio_stats", "io_service_bytes_recursive"]).and_then(Value::as_array) {
        let sum = |op: &str| {
            list.iter()
                .filter(|e| e.get("op").and_then(Value::as_str).is_some_and(|o| o.eq_ignore_ascii_case(op)))
                .filter_map(|e| e.get("value").and_then(Value::as_u64))
                .sum::<u64>()
        };
        row.block_read_bytes = Some(sum("read"));
        row.block_write_bytes = Some(sum("write"));
    }
    row.pids = u(&["pids_stats", "current"]);
    row.pids_limit = u(&["pids_stats", "limit"]).filter(|&l| l > 0 && l < u64::MAX / 2);
    row
}

/// One container's CPU above this share of ONE core (docker stats' CPU % is per core, 400 %
/// = 4 cores) is a pegged core. Web apps, databases and shells idle in single digits; a
/// cryptominer (xmrig, kdevtmpfsi) keeps every core it gets at ~100 %. A `--no-stream`
/// capture is one ~1 s sample, so this alone is a lead, not proof: medium.
const CPU_BUSY: f64 = 90.0;
/// Close to two cores or more: a sustained multi-threaded load, the miner's signature: high.
const CPU_MINER: f64 = 190.0;
/// Memory use at this share of the limit: the next allocation may get the container
/// OOM-killed (or the payload is memory-hungry, like RandomX miners needing 2+ GiB).
const MEM_NEAR_LIMIT: f64 = 90.0;
/// The PIDS column counts threads too; busy JVMs run 100-300, so 1000+ means a fork bomb or
/// runaway spawning (scanners, worm propagation).
const PIDS_HIGH: u64 = 1000;
/// PIDs at this share of an explicit pids limit: the limit is being hit.
const PIDS_NEAR_LIMIT: f64 = 0.9;

/// CPU pegged: high from [`CPU_MINER`] up, medium from [`CPU_BUSY`]; folds with a miner.
pub(crate) static CPU_HIGH: RuleDef = RuleDef::new(
    "stats.cpu-high",
    RuleKind::of(Family::Stats).with(Role::CpuHigh).generic(),
    Severity::High,
    "impact",
    "T1496",
    "CPU pegged (possible cryptominer)",
);
/// Memory from [`MEM_NEAR_LIMIT`] of the limit.
pub(crate) static MEM_NEAR_LIMIT_RULE: RuleDef = RuleDef::new(
    "stats.mem-near-limit",
    RuleKind::of(Family::Stats),
    Severity::Low,
    "impact",
    "T1496",
    "memory near the container's limit",
);
/// [`PIDS_HIGH`] processes or threads, or near the pids limit.
pub(crate) static PIDS_HIGH_RULE: RuleDef = RuleDef::new(
    "stats.pids-high",
    RuleKind::of(Family::Stats),
    Severity::Medium,
    "impact",
    "T1499",
    "many processes or threads",
);

/// The stats rules' declarations.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    vec![&CPU_HIGH, &MEM_NEAR_LIMIT_RULE, &PIDS_HIGH_RULE]
}

/// Findings about resource abuse in stats rows: one per container and kind, at the worst
/// sample, with every sample that crossed the threshold as evidence.
pub(crate) fn findings(rows: &[StatsRow]) -> Vec<Finding> {
    // (rule, container) -> (severity, worst value, title, summary, evidence, time)
    let mut hits: BTreeMap<(&str, String), (Finding, f64)> = BTreeMap::new();
    let mut hit = |rule: &'static RuleDef,
                   row: &StatsRow,
                   value: f64,
                   sev: Severity,
                   title: String,
                   summary: String| {
        let key = (rule.id.as_ref(), row.label().to_string());
        let entry = hits.entry(key).or_insert_with(|| {
            (
                Finding {
                    actor: None,
                    rule: rule.id.to_string(),
                    severity: sev,
                    category: rule.category.to_string(),
                    title: title.clone(),
                    summary: summary.clone(),
                    attack: rule.attack(),
                    time: row.read_at,
                    evidence: vec![],
                    subject: None,
                    owner: Some(row.owner()),
                    iocs: vec![],
                    kind: rule.kind,
                },
                f64::MIN,
            )
        });
        entry.0.evidence.push(row.locator.clone());
        if value > entry.1 {
            entry.1 = value;
            entry.0.severity = sev;
            entry.0.title = title;
            entry.0.summary = summary;
            entry.0.time = row.read_at;
        }
    };
    for r in rows {
        let who = r.label();
        if let Some(cpu) = r.cpu_percent.filter(|&c| c >= CPU_BUSY) {
            let sev = if cpu >= CPU_MINER { Severity::High } else { Severity::Medium };
            hit(
                &CPU_HIGH,
                r,
                cpu,
                sev,
                format!("{who}: CPU at {cpu:.1} % (possible cryptominer)"),
                format!(
                    "container {who} used {cpu:.1} % CPU ({:.1} cores fully busy) in the captured sample; \
                     miners keep every core they get pegged. Check its processes (docker top) and \
                     egress to mining pools (stratum ports 3333/4444/5555/14444).",
                    cpu / 100.0
                ),
            );
        }
        if let Some(mem) = r.mem_percent.filter(|&m| m >= MEM_NEAR_LIMIT) {
            hit(
                &MEM_NEAR_LIMIT_RULE,
                r,
                mem,
                Severity::Low,
                format!("{who}: memory at {mem:.1} % of its limit"),
                format!(
                    "container {who} uses {} of {}; it will be OOM-killed on its next growth, or a \
                     memory-hungry payload runs in it.",
                    human_bytes(r.mem_usage_bytes),
                    human_bytes(r.mem_limit_bytes)
                ),
            );
        }
        if let Some(p) = r.pids {
            let near_limit = r.pids_limit.is_some_and(|l| p as f64 >= l as f64 * PIDS_NEAR_LIMIT);
            if p >= PIDS_HIGH || near_limit {
                let limit = r.pids_limit.map(|l| format!(" (limit {l})")).unwrap_or_default();
                hit(
                    &PIDS_HIGH_RULE,
                    r,
                    p as f64,
                    Severity::Medium,
                    format!("{who}: {p} processes/threads{limit}"),
                    format!(
                        "container {who} runs {p} processes/threads{limit}; busy JVMs run a few hundred, so \
                         this looks like a fork bomb or runaway spawning (scanner, worm)."
                    ),
                );
            }
        }
    }
    hits.into_values().map(|(f, _)| f).collect()
}

/// Bytes in binary units (`1.50 GiB`, as docker shows memory), `?` when unknown.
pub(crate) fn human_bytes(b: Option<u64>) -> String {
    scaled(b, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"])
}

/// Bytes in decimal units (`48.30 MB`, as docker shows network and block I/O).
pub(crate) fn decimal_bytes(b: Option<u64>) -> String {
    scaled(b, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"])
}

fn scaled(b: Option<u64>, base: f64, units: &[&str]) -> String {
    let Some(b) = b else { return "?".into() };
    let mut v = b as f64;
    let mut i = 0;
    while v >= base && i + 1 < units.len() {
        v /= base;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc() -> Locator {
        Locator::artifact("stats.txt")
    }

    #[test]
    fn size_table() {
        for (s, want) in [
            ("0B", Some(0)),
            ("648B", Some(648)),
            ("1.2kB", Some(1200)),
            ("1.2KB", Some(1200)),
            ("1KiB", Some(1024)),
            ("76.18MiB", Some(79_880_520)),
            ("3.686GiB", Some(3_957_812_363)),
            ("2.5MB", Some(2_500_000)),
            ("1GB", Some(1_000_000_000)),
            ("1TB", Some(1_000_000_000_000)),
            ("2TiB", Some(2_199_023_255_552)),
            ("7.5 GiB", Some(8_053_063_680)),
            ("--", None),
            ("12XB", None),
            ("", None),
        ] {
            assert_eq!(parse_size(s), want, "{s}");
        }
    }

    #[test]
    fn table_current_and_old_header() {
        let text = "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT     MEM %     NET I/O          BLOCK I/O     PIDS\n\
                    4f2a9c1be0d3   web       398.52%   76.18MiB / 3.686GiB   2.02%     1.2kB / 648B     0B / 8.19kB   12\n\
                    8b6e90cc742b   stopped   --        -- / --               --        --               --            --\n\
                    badrow\n";
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert_eq!(rows.len(), 2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].locator.line, Some(4));
        let r = &rows[0];
        assert_eq!((r.container.as_str(), r.name.as_deref()), ("4f2a9c1be0d3", Some("web")));
        assert_eq!(r.cpu_percent, Some(398.52));
        assert_eq!((r.mem_usage_bytes, r.mem_limit_bytes), (Some(79_880_520), Some(3_957_812_363)));
        assert_eq!((r.net_rx_bytes, r.net_tx_bytes), (Some(1200), Some(648)));
        assert_eq!((r.block_read_bytes, r.block_write_bytes, r.pids), (Some(0), Some(8190), Some(12)));
        assert_eq!(r.locator.line, Some(2));
        assert_eq!((rows[1].cpu_percent, rows[1].pids), (None, None));

        // Docker 1.x: no NAME, CONTAINER column; streaming capture with screen clears.
        let text = "\x1b[2J\x1b[HCONTAINER           CPU %               MEM USAGE / LIMIT     MEM %               NET I/O             BLOCK I/O           PIDS\n\
                    f00dfeed1234        0.07%               1.5MiB / 1.952GiB     0.08%               648B / 648B         0B / 0B             1\n\
                    \x1b[2J\x1b[HCONTAINER           CPU %               MEM USAGE / LIMIT     MEM %               NET I/O             BLOCK I/O           PIDS\n\
                    f00dfeed1234        0.10%               1.5MiB / 1.952GiB     0.08%               648B / 648B         0B / 0B             1\n";
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].label(), "f00dfeed1234");
        assert_eq!(rows[1].cpu_percent, Some(0.10));
    }

    #[test]
    fn podman_json_array() {
        let text = r#"[
 {
  "id": "edc329138e8f",
  "name": "shop-web",
  "cpu_time": "40.413464ms",
  "cpu_percent": "0.54%",
  "avg_cpu": "0.54%",
  "mem_usage": "1.237MB / 25.28GB",
  "mem_percent": "0.00%",
  "net_io": "0B / 0B",
  "block_io": "0B / 0B",
  "pids": "5"
 }
]"#;
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].name.as_deref(), rows[0].cpu_percent, rows[0].pids),
            (Some("shop-web"), Some(0.54), Some(5))
        );
        assert_eq!(
            crate::evidence::sniff_text(text.as_bytes(), "stats.json"),
            crate::evidence::ArtifactKind::Stats
        );
    }

    #[test]
    fn json_lines() {
        let text = r#"{"BlockIO":"0B / 0B","CPUPerc":"101.35%","Container":"miner","ID":"9c1e","MemPerc":"95.50%","MemUsage":"1.91GiB / 2GiB","Name":"miner","NetIO":"5.3MB / 1.1MB","PIDs":"7"}
{"BlockIO":"--","CPUPerc":"--","Container":"x","ID":"","MemPerc":"--","MemUsage":"-- / --","Name":"--","NetIO":"--","PIDs":"--"}
{"CPUPerc": broken
"#;
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cpu_percent, Some(101.35));
        assert_eq!(rows[0].net_rx_bytes, Some(5_300_000));
        assert_eq!(rows[0].pids, Some(7));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].locator.line, Some(3));
        let f = findings(&rows);
        let rules: Vec<(&str, Severity)> = f.iter().map(|f| (f.rule.as_str(), f.severity)).collect();
        assert_eq!(rules, [("stats.cpu-high", Severity::Medium), ("stats.mem-near-limit", Severity::Low)]);
    }

    #[test]
    fn api_stats_cpu_like_the_cli() {
        // 4 CPUs; container used 3.2e9 ns of 4e9 ns system time -> 0.8 x 4 x 100 = 320 %.
        let text = r#"{
  "read": "2026-11-27T14:05:00.000000001Z", "id": "9c1e0000", "name": "/miner",
  "cpu_stats": {"cpu_usage": {"total_usage": 10200000000, "percpu_usage": [1,2,3,4]}, "system_cpu_usage": 504000000000, "online_cpus": 4},
  "precpu_stats": {"cpu_usage": {"total_usage": 7000000000}, "system_cpu_usage": 500000000000},
  "memory_stats": {"usage": 1073741824, "limit": 2147483648, "stats": {"inactive_file": 536870912}},
  "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 50}, "eth1": {"rx_bytes": 1, "tx_bytes": 2}},
  "blkio_stats": {"io_service_bytes_recursive": [{"op": "read", "value": 4096}, {"op": "write", "value": 8192}, {"op": "Read", "value": 1}]},
  "pids_stats": {"current": 2000, "limit": 2048}
}
"#;
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert!(d.is_empty(), "{d:?}");
        let r = &rows[0];
        assert_eq!(r.format, StatsFormat::Api);
        assert_eq!(r.name.as_deref(), Some("miner"));
        assert!((r.cpu_percent.unwrap() - 320.0).abs() < 1e-9);
        assert_eq!(r.mem_usage_bytes, Some(536_870_912));
        assert_eq!(r.mem_percent, Some(25.0));
        assert_eq!((r.net_rx_bytes, r.net_tx_bytes), (Some(101), Some(52)));
        assert_eq!((r.block_read_bytes, r.block_write_bytes), (Some(4097), Some(8192)));
        assert_eq!((r.pids, r.pids_limit), (Some(2000), Some(2048)));
        assert_eq!(r.locator.line, Some(1));
        let f = findings(&rows);
        let rules: Vec<(&str, Severity)> = f.iter().map(|f| (f.rule.as_str(), f.severity)).collect();
        assert_eq!(rules, [("stats.cpu-high", Severity::High), ("stats.pids-high", Severity::Medium)]);
        assert_eq!(f[0].time.unwrap().to_iso(), "2026-11-27T14:05:00.000000001Z");

        // No precpu_stats (one-shot API read): no CPU figure rather than a wrong one.
        let once =
            r#"{"id":"a","cpu_stats":{"cpu_usage":{"total_usage":5},"system_cpu_usage":9,"online_cpus":2}}"#;
        let (rows, _) = parse_reader(once.as_bytes(), &loc());
        assert_eq!(rows[0].cpu_percent, None);
        let cut = "{\n  \"cpu_stats\": {\n";
        let (_, d) = parse_reader(cut.as_bytes(), &loc());
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn overlong_lines_are_skipped_in_bounded_steps() {
        let mut text = String::from(
            "CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS\n",
        );
        text.push_str(&"z".repeat(3 << 20));
        text.push_str("\n4f2a9c1be0d3   web    3.10%   1MiB / 2GiB   0.05%   1kB / 1kB   0B / 0B   5\n");
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].locator.line, Some(3));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].locator.line, Some(2));
    }

    #[test]
    fn quiet_containers_give_no_findings() {
        let text = "CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS\n\
                    4f2a9c1be0d3   web    3.10%   500MiB / 2GiB       24.41%  1kB / 1kB  0B / 0B     150\n";
        let (rows, d) = parse_reader(text.as_bytes(), &loc());
        assert!(d.is_empty(), "{d:?}");
        assert!(findings(&rows).is_empty());
    }

    #[test]
    fn docker_1_8_table() {
        // Docker 1.8: `MEM USAGE/LIMIT`, sizes with a space before the unit, `/` unspaced.
        let text = "CONTAINER           CPU %               MEM USAGE/LIMIT       MEM %               NET I/O\n\
                    4c1ee9f8a9d8        0.00%               41.16 MiB/994 MiB     4.14%               1.296 kB/648 B\n";
        let (rows, diags) = parse_reader(text.as_bytes(), &Locator::artifact("stats.txt"));
        assert!(diags.is_empty(), "{diags:?}");
        let r = &rows[0];
        assert_eq!(r.container, "4c1ee9f8a9d8");
        assert_eq!(r.mem_usage_bytes, Some((41.16 * 1024.0 * 1024.0) as u64));
        assert_eq!(r.mem_limit_bytes, Some(994 * 1024 * 1024));
        assert_eq!(r.mem_percent, Some(4.14));
        assert_eq!((r.net_rx_bytes, r.net_tx_bytes), (Some(1296), Some(648)));
    }
}
