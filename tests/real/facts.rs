//! The facts a capture-harness run recorded from the host's own view (`facts.tsv`: /proc,
//! the storage driver's upper directory, the requests sent), and the checks of a `ctriage
//! scan --format json` report against them. Shared by the harness test (a live run) and the
//! test of the samples captured that way (`samples/real/`).
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::Value;

/// One process as the host's /proc saw it.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: u64,
    pub ppid: u64,
    pub args: String,
}

/// A file the incident added or deleted, with the upper directory's mtime (seconds; for a
/// deletion, the whiteout device's: the time of the deletion).
#[derive(Debug, Clone)]
pub struct FileFact {
    pub path: String,
    pub mtime: i64,
    pub sha256: Option<String>,
}

/// Everything `facts.tsv` says.
#[derive(Debug, Default)]
pub struct Facts {
    pub runtime: String,
    pub container_id: String,
    pub container_name: String,
    pub init_pid: u64,
    pub image_id: String,
    /// The image as the container was run from it (`lab/shop-web:1.0`).
    pub image_ref: String,
    pub exploit_sent: i64,
    pub processes: Vec<Proc>,
    pub added: Vec<FileFact>,
    pub deleted: Vec<FileFact>,
    pub callback: (String, u16),
    pub requests: Vec<String>,
    /// The Log4Shell-style probe every scenario sends (its lookup cannot succeed).
    pub jndi: String,
    /// How they got in: `injection` (the CGI's command injection) or `jndi` (the JVM app's
    /// lookup of `jndi_exploit`, which ran `jndi_command`).
    pub way_in: String,
    pub jndi_exploit: String,
    pub jndi_command: String,
    /// Multi-container runs (`docker.sh --multi`, `facts/NAME.tsv`): `victim`, `benign` or
    /// `attacker`.
    pub role: String,
    /// The container's address on the lab network.
    pub address: String,
    /// Where the attack on this victim came from (the attacker's container).
    pub attacker: String,
    /// Requests that could not work, as sent, with the status the server answered.
    pub probes: Vec<(String, u16)>,
    /// The second stage the injection fetched.
    pub stage2: String,
    /// The mining pool the dropped miner logs in to (`host:port`).
    pub pool: String,
    /// The rotated json-file log that holds the exploit's records (its file name).
    pub rotated: String,
}

/// Parse `facts.tsv` (tab-separated, one fact a line, kind first).
pub fn parse(text: &str) -> Facts {
    let mut f = Facts::default();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let c: Vec<&str> = line.split('\t').collect();
        let n =
            |i: usize| c.get(i).copied().unwrap_or_else(|| panic!("facts line {line:?}: field {i} missing"));
        match c[0] {
            "runtime" => f.runtime = n(1).to_string(),
            "container" => {
                f.container_id = n(1).to_string();
                f.container_name = n(2).to_string();
                f.init_pid = n(3).parse().unwrap();
            }
            "image" => {
                f.image_id = n(1).to_string();
                f.image_ref = c.get(2).unwrap_or(&"").to_string();
            }
            "exploit_sent" => f.exploit_sent = n(1).parse().unwrap(),
            "process" => f.processes.push(Proc {
                pid: n(1).parse().unwrap(),
                ppid: n(2).parse().unwrap(),
                args: n(3).to_string(),
            }),
            "added" => f.added.push(FileFact {
                path: n(1).to_string(),
                mtime: n(2).parse().unwrap(),
                sha256: Some(n(3).to_string()),
            }),
            "deleted" => f.deleted.push(FileFact {
                path: n(1).to_string(),
                mtime: n(2).parse().unwrap(),
                sha256: None,
            }),
            "callback" => f.callback = (n(1).to_string(), n(2).parse().unwrap()),
            "request" => f.requests.push(n(1).to_string()),
            "jndi" => f.jndi = n(1).to_string(),
            "way_in" => f.way_in = n(1).to_string(),
            "jndi_exploit" => f.jndi_exploit = n(1).to_string(),
            "jndi_command" => f.jndi_command = n(1).to_string(),
            "role" => f.role = n(1).to_string(),
            "address" => f.address = n(1).to_string(),
            "attacker" => f.attacker = n(1).to_string(),
            "probe" => f.probes.push((n(1).to_string(), n(2).parse().unwrap())),
            "stage2" => f.stage2 = n(1).to_string(),
            "pool" => f.pool = n(1).to_string(),
            "rotated" => f.rotated = n(1).to_string(),
            other => panic!("unknown fact kind {other:?} in {line:?}"),
        }
    }
    assert!(!f.container_id.is_empty() && !f.processes.is_empty(), "facts incomplete: {f:?}");
    f
}

/// Seconds since the epoch of a report time (`2026-12-01T07:30:25.000000000Z`).
pub fn epoch(t: &str) -> i64 {
    let (date, rest) = t.split_once('T').unwrap_or_else(|| panic!("not a time: {t}"));
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let hms: Vec<i64> = rest[..8].split(':').map(|x| x.parse().unwrap()).collect();
    // days from civil (Howard Hinnant)
    let (y, m) = if d[1] <= 2 { (d[0] - 1, d[1] + 9) } else { (d[0], d[1] - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key].as_array().unwrap_or_else(|| panic!("report has no array {key:?}"))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// The one bundle of a report.
pub fn bundle(report: &Value) -> &Value {
    let b = arr(report, "bundles");
    assert_eq!(b.len(), 1, "one bundle expected");
    &b[0]
}

/// The container: id, name and host PID as the run recorded them.
pub fn check_container(b: &Value, f: &Facts) {
    let c = arr(b, "containers")
        .iter()
        .find(|c| s(c, "id") == f.container_id)
        .unwrap_or_else(|| panic!("container {} not in the report", f.container_id));
    assert_eq!(s(c, "name").trim_start_matches('/'), f.container_name);
    assert_eq!(c["state"]["pid"].as_u64(), Some(f.init_pid), "host pid of the container");
    assert!(s(c, "image_id").ends_with(f.image_id.trim_start_matches("sha256:")), "image id");
}

/// Every process /proc showed (alive before and after the capture) is in the report with
/// its real PID, its parent and its command line.
pub fn check_processes(b: &Value, f: &Facts) {
    let mut seen: BTreeMap<u64, (u64, String)> = BTreeMap::new();
    for cap in arr(b, "processes") {
        for p in cap["capture"]["processes"].as_array().into_iter().flatten() {
            if let (Some(pid), Some(ppid)) = (p["pid"].as_u64(), p["ppid"].as_u64()) {
                seen.insert(pid, (ppid, s(p, "cmd").to_string()));
            }
        }
    }
    for p in &f.processes {
        let (ppid, cmd) =
            seen.get(&p.pid).unwrap_or_else(|| panic!("pid {} ({}) not in the report", p.pid, p.args));
        assert_eq!(*ppid, p.ppid, "parent of pid {}", p.pid);
        assert_eq!(cmd, &p.args, "command of pid {}", p.pid);
    }
}

fn finding<'a>(b: &'a Value, rule: &str) -> Vec<&'a Value> {
    // Facts: every rule folded into one is in its `rules`.
    arr(b, "findings")
        .iter()
        .filter(|x| x["rules"].as_array().is_some_and(|r| r.iter().any(|r| r == rule)))
        .collect()
}

/// The lineage: the web server (the container's init) -> the injected shell -> the netcat
/// callback, flagged as a reverse shell with the callback the run used.
pub fn check_lineage(b: &Value, f: &Facts) {
    let (host, port) = &f.callback;
    let nc = f
        .processes
        .iter()
        .find(|p| p.args.starts_with("nc ") && p.args.contains(&format!("{host} {port}")))
        .expect("facts: a netcat callback process");
    let shell = f.processes.iter().find(|p| p.pid == nc.ppid).expect("facts: the shell above nc");
    assert_eq!(shell.ppid, f.init_pid, "facts: the shell's parent is the server");
    let lin = finding(b, "proc.lineage.server-shell-net");
    assert!(
        lin.iter().any(|x| {
            let t = s(x, "summary");
            t.contains(&format!("({})", f.init_pid))
                && t.contains(&format!("({})", shell.pid))
                && t.contains(&format!("({})", nc.pid))
        }),
        "no server -> shell -> nc lineage with pids {} {} {}: {lin:?}",
        f.init_pid,
        shell.pid,
        nc.pid
    );
    let rev = finding(b, "proc.revshell");
    assert!(
        rev.iter().any(|x| s(x, "summary").contains(&format!("callback {host}:{port}"))),
        "no reverse shell with callback {host}:{port}: {rev:?}"
    );
}

/// The dropped files: added in the container (export and commit layer) with the content
/// hash and mtime the upper directory had, and flagged (cron persistence, hidden executable).
pub fn check_dropped(b: &Value, f: &Facts) {
    let changes = arr(b, "file_changes");
    for a in &f.added {
        for source in ["export", "layer 1"] {
            let c = changes
                .iter()
                .find(|c| s(c, "path") == a.path && s(c, "source") == source && s(c, "change") == "added")
                .unwrap_or_else(|| panic!("{} not added in {source}", a.path));
            assert_eq!(c["sha256"].as_str(), a.sha256.as_deref(), "{} sha256 in {source}", a.path);
            assert_eq!(epoch(s(c, "mtime")), a.mtime, "{} mtime in {source}", a.path);
        }
    }
    let cron = f.added.iter().find(|a| a.path.contains("cron")).expect("facts: a cron entry");
    assert!(
        finding(b, "file.persistence.cron").iter().any(|x| s(x, "title").contains(&cron.path)),
        "cron persistence"
    );
    let implant = f.added.iter().find(|a| a.path.starts_with("/tmp/.")).expect("facts: a hidden implant");
    assert!(
        finding(b, "file.exec.hidden").iter().any(|x| s(x, "title").contains(&implant.path)),
        "hidden executable"
    );
}

/// The deleted history: deleted in the export and in the commit layer, there at the time of
/// its whiteout (the upper dir's whiteout device's mtime), flagged as wiped history.
pub fn check_deleted(b: &Value, f: &Facts) {
    let changes = arr(b, "file_changes");
    for d in &f.deleted {
        for source in ["export", "layer 1"] {
            assert!(
                changes.iter().any(|c| s(c, "path") == d.path
                    && s(c, "source") == source
                    && s(c, "change") == "deleted"),
                "{} not deleted in {source}",
                d.path
            );
        }
        let layer = changes
            .iter()
            .find(|c| s(c, "path") == d.path && s(c, "source") == "layer 1" && s(c, "change") == "deleted")
            .unwrap();
        assert_eq!(epoch(s(layer, "deleted_at")), d.mtime, "{} deleted_at (the whiteout's time)", d.path);
        assert!(
            finding(b, "file.antiforensics.history").iter().any(|x| s(x, "title").contains(&d.path)),
            "wiped history {} not flagged",
            d.path
        );
    }
}

/// The way in: the request that started the reverse shell in the logs (after the run sent
/// it, the named-pipe reverse shell decoded from the URL encoding or from the JNDI
/// reference's Base64), and the Log4Shell-style probe decoded.
pub fn check_way_in(b: &Value, f: &Facts) {
    let (host, port) = &f.callback;
    let hits = arr(b, "log_hits");
    let rev: Vec<&Value> = hits.iter().filter(|h| s(h, "rule") == "shell.reverse.fifo").collect();
    assert!(!rev.is_empty(), "no reverse-shell request in the logs");
    for h in &rev {
        assert!(epoch(s(h, "time")) >= f.exploit_sent, "request logged before it was sent: {h}");
        assert!(s(h, "decoded").contains(&format!("nc {host} {port}")), "decoded request: {h}");
    }
    match f.way_in.as_str() {
        "injection" => {}
        "jndi" => {
            let exploit: Vec<&Value> = hits
                .iter()
                .filter(|h| {
                    s(h, "rule") == "log4j.jndi-lookup"
                        && h["jndi"]["decoded"].as_str() == Some(&f.jndi_exploit)
                })
                .collect();
            assert!(!exploit.is_empty(), "JNDI exploit {} not in the logs", f.jndi_exploit);
            for h in &exploit {
                assert_eq!(h["jndi"]["command"].as_str(), Some(f.jndi_command.as_str()), "JNDI command: {h}");
                assert!(epoch(s(h, "time")) >= f.exploit_sent, "exploit logged before it was sent: {h}");
            }
            // The chain opens with that lookup, at the time it was logged, as the way in.
            let first = &arr(b, "chain")[0];
            assert_eq!((s(first, "stage"), s(first, "rule")), ("way in", "log.log4j.jndi-lookup"), "{first}");
            let logged: Vec<&str> = exploit.iter().map(|h| s(h, "time")).collect();
            assert!(
                logged.contains(&s(&first["when"], "time")),
                "way in at {}, exploit logged at {logged:?}",
                first["when"]
            );
        }
        other => panic!("facts: unknown way in {other:?}"),
    }
    assert!(
        hits.iter()
            .any(|h| s(h, "rule") == "log4j.jndi-lookup" && h["jndi"]["decoded"].as_str() == Some(&f.jndi)),
        "JNDI probe {} not decoded",
        f.jndi
    );
}

/// The callback: host and port among the log indicators (as the callback), the live
/// session the verdict names, and an attack chain.
pub fn check_callback(b: &Value, f: &Facts) {
    let (host, port) = &f.callback;
    let ind = arr(b, "log_indicators");
    let has = |t: &str, v: &str| {
        ind.iter().any(|i| {
            s(i, "type") == t
                && s(i, "value") == v
                && i["roles"].as_array().is_some_and(|r| r.iter().any(|x| x == "callback"))
        })
    };
    assert!(has("ip", host), "indicator {host} (callback)");
    assert!(has("port", &port.to_string()), "indicator port {port} (callback)");
    let callback = format!("[callback {host}:{port}]");
    let verdict = arr(b, "verdicts")
        .iter()
        .find(|v| s(v, "id") == f.container_id)
        .unwrap_or_else(|| panic!("no verdict for {}", f.container_id));
    assert_eq!(s(verdict, "status"), "compromised");
    assert!(
        verdict["live_sessions"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x.as_str().is_some_and(|x| x.ends_with(&callback)))),
        "no live session {callback}: {verdict}"
    );
    assert!(!arr(b, "chain").is_empty(), "no attack chain");
}

/// All of the above.
pub fn check_all(report: &Value, f: &Facts) {
    let b = bundle(report);
    check_container(b, f);
    check_processes(b, f);
    check_lineage(b, f);
    check_dropped(b, f);
    check_deleted(b, f);
    check_way_in(b, f);
    check_callback(b, f);
}

/// mtime (seconds) of the whiteout for `path` in a layer tar: `dir/.wh.NAME`.
pub fn whiteout_mtime(layer: impl std::io::Read, path: &str) -> Option<i64> {
    let (dir, name) = path.trim_start_matches('/').rsplit_once('/').unwrap_or(("", path));
    let want = if dir.is_empty() { format!(".wh.{name}") } else { format!("{dir}/.wh.{name}") };
    let mut ar = tar::Archive::new(layer);
    for e in ar.entries().ok()? {
        let e = e.ok()?;
        let p = e.path().ok()?.to_string_lossy().trim_start_matches("./").to_string();
        if p == want {
            return e.header().mtime().ok().map(|m| m as i64);
        }
    }
    None
}
