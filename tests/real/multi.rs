//! Checks of the multi-container capture (`samples/capture/docker.sh --multi`): one daemon,
//! two victims (shop-web: busybox httpd `-vv` with a command-injectable CGI; orders-app: the
//! JVM app, its json-file log rotated so the exploit is in `-json.log.1`), a benign neighbour
//! (static-web) and the attacker's own container, read from the collect-script bundle (three
//! captures in one directory) and from the daemon's data root, against the facts the run
//! recorded from the host (`facts/NAME.tsv`).
//!
//! Every check runs and every failure is collected, so one run says all that ctriage got
//! wrong, each with what the report holds.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::real_facts::{self as facts, Facts};

/// Every container's facts, by name (`OUT/facts/NAME.tsv`).
pub fn load(out: &Path) -> BTreeMap<String, Facts> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(out.join("facts")).expect("OUT/facts") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "tsv") {
            let f = facts::parse(&std::fs::read_to_string(&p).unwrap());
            assert!(!f.role.is_empty(), "{}: no role", p.display());
            m.insert(f.container_name.clone(), f);
        }
    }
    let roles: Vec<(&str, &str)> = m.iter().map(|(n, f)| (n.as_str(), f.role.as_str())).collect();
    assert_eq!(
        roles,
        [
            ("attacker", "attacker"),
            ("orders-app", "victim"),
            ("shop-web", "victim"),
            ("static-web", "benign")
        ],
        "facts of the four containers"
    );
    m
}

/// Which evidence the report was made from.
pub enum View {
    /// `OUT/bundle/`: one directory per captured container, named after it.
    Bundle,
    /// `OUT/dataroot.tar`: the daemon's /var/lib/docker.
    DataRoot,
}

/// The evidence a report cites, for reading the lines its locators point at, and for telling
/// which container an artifact belongs to.
pub struct Evidence {
    pub view: View,
    /// Log files (bundle: `logs-t.txt` and `logs/*`; data root: the json-file logs), by the
    /// artifact path the report uses.
    files: BTreeMap<String, Vec<u8>>,
    /// Data root: each container's layer directory (`var/lib/docker/overlay2/<mount-id>`)
    /// and id, with its name.
    layers: Vec<(String, String)>,
    ids: Vec<(String, String)>,
}

impl Evidence {
    /// The bundle directory `OUT/bundle`.
    pub fn bundle(dir: &Path) -> Evidence {
        let mut files = BTreeMap::new();
        for e in walkdir::WalkDir::new(dir) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if e.file_type().is_file() && (rel.ends_with("/logs-t.txt") || rel.contains("/logs/")) {
                files.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
        Evidence { view: View::Bundle, files, layers: vec![], ids: vec![] }
    }

    /// The data root tar, with the containers the report found in it.
    pub fn data_root(tar_bytes: &[u8], report: &Value) -> Evidence {
        let mut files = BTreeMap::new();
        let mut ar = tar::Archive::new(tar_bytes);
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let p = e.path().unwrap().to_string_lossy().trim_start_matches("./").to_string();
            if e.header().entry_type().is_file()
                && p.starts_with("var/lib/docker/containers/")
                && p.contains("-json.log")
            {
                let mut v = Vec::new();
                e.read_to_end(&mut v).unwrap();
                files.insert(p, v);
            }
        }
        let mut layers = vec![];
        let mut ids = vec![];
        for c in arr(&bundle(report)["data_root"]["docker"][0], "containers") {
            let name = s(c, "name").trim_start_matches('/').to_string();
            if let Some(u) = c["upper_dir"].as_str() {
                layers.push((u.trim_end_matches("/diff").to_string(), name.clone()));
            }
            ids.push((s(c, "id").to_string(), name));
        }
        Evidence { view: View::DataRoot, files, layers, ids }
    }

    /// The container an artifact belongs to: its capture directory (bundle), its directory
    /// under `containers/` or its own layers (data root); None for what is no container's
    /// (image layers, the daemon's files).
    pub fn owner(&self, artifact: &str) -> Option<String> {
        match self.view {
            View::Bundle => artifact.split_once('/').map(|(d, _)| d.to_string()),
            View::DataRoot => self
                .ids
                .iter()
                .find(|(id, _)| artifact.contains(id.as_str()))
                .or_else(|| self.layers.iter().find(|(l, _)| artifact.starts_with(l.as_str())))
                .map(|(_, n)| n.clone()),
        }
    }

    /// Line `n` (1-based) of a log artifact, if the report's locator points into one.
    pub fn line(&self, artifact: &str, n: u64) -> Option<String> {
        let data = self.files.get(artifact)?;
        let line = data.split(|b| *b == b'\n').nth(n.checked_sub(1)? as usize)?;
        Some(String::from_utf8_lossy(line).into_owned())
    }

    /// The times `text` was logged at in the logs of container `name`.
    pub fn times_of(&self, name: &str, text: &str) -> Vec<String> {
        let mut out = vec![];
        for (a, data) in &self.files {
            if self.owner(a).as_deref() != Some(name) {
                continue;
            }
            for l in String::from_utf8_lossy(data).lines().filter(|l| l.contains(text)) {
                out.extend(line_time(l));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Every line the locators point at.
    fn lines(&self, locators: &Value) -> Vec<String> {
        locators
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| self.line(l["artifact"].as_str()?, l["line"].as_u64()?))
            .collect()
    }
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// The one bundle of a report.
pub fn bundle(report: &Value) -> &Value {
    let b = report["bundles"].as_array().expect("bundles");
    assert_eq!(b.len(), 1, "one bundle expected");
    &b[0]
}

/// The time a log line was recorded: a json-file record's `time`, else the RFC 3339 time
/// `docker logs -t` puts first.
fn line_time(line: &str) -> Option<String> {
    match serde_json::from_str::<Value>(line) {
        Ok(v) => v["time"].as_str().map(str::to_string),
        Err(_) => line.split_whitespace().next().map(str::to_string),
    }
}

/// Two RFC 3339 UTC times name the same instant (fractions compared without trailing zeros).
fn same_instant(a: &str, b: &str) -> bool {
    let norm = |t: &str| {
        let t = t.trim_end_matches('Z');
        match t.split_once('.') {
            Some((w, f)) => format!("{w}.{}", f.trim_end_matches('0')).trim_end_matches('.').to_string(),
            None => t.to_string(),
        }
    };
    norm(a) == norm(b)
}

/// `%XX` decoded (a request as the server logs it).
fn percent_decode(t: &str) -> String {
    let b = t.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(x) =
                std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The failures found so far.
#[derive(Default)]
pub struct Failures(pub Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
}

/// What ctriage got wrong on one view of the run (empty: all right).
pub fn check(report: &Value, all: &BTreeMap<String, Facts>, ev: &Evidence) -> Vec<String> {
    let b = bundle(report);
    let view = match ev.view {
        View::Bundle => "bundle",
        View::DataRoot => "data root",
    };
    let mut fails = Failures::default();
    // The containers the view holds: the bundle has the three captures, the data root all four.
    let present: Vec<&Facts> =
        all.values().filter(|f| matches!(ev.view, View::DataRoot) || f.role != "attacker").collect();
    verdicts(b, &present, &mut fails);
    for f in present.iter().filter(|f| f.role == "victim") {
        way_in(b, f, ev, &mut fails);
        attempts(b, f, ev, &mut fails);
        files(b, f, ev, &mut fails);
    }
    if matches!(ev.view, View::Bundle) {
        for f in present.iter().filter(|f| f.role == "victim") {
            callback(b, f, &mut fails);
        }
    }
    benign(b, all, &mut fails);
    no_cross_attribution(b, all, &present, ev, &mut fails);
    if let Some(attacker) = all.values().find(|f| f.role == "attacker") {
        let host = arr(b, "hosts").iter().find(|h| s(h, "value") == attacker.address);
        fails.check(host.is_some_and(|h| s(h, "role") == "attacker"), || {
            format!("the attacker's address {} is not an attacker host: {host:?}", attacker.address)
        });
        fails.check(!arr(b, "chain").iter().any(|c| s(c, "container") == attacker.container_name), || {
            "the attacker's own container has an attack chain".into()
        });
    }
    if matches!(ev.view, View::DataRoot) {
        let jvm = all.values().find(|f| !f.rotated.is_empty()).expect("facts: a rotated log");
        let c =
            arr(&b["data_root"]["docker"][0], "containers").iter().find(|c| s(c, "id") == jvm.container_id);
        let logs: Vec<&str> =
            c.map(|c| arr(c, "logs").iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        fails.check(logs.iter().any(|l| l.ends_with(&jvm.rotated)), || {
            format!("{}'s rotated log {} is not among its logs: {logs:?}", jvm.container_name, jvm.rotated)
        });
    }
    fails.0.into_iter().map(|x| format!("{view}: {x}")).collect()
}

/// One verdict per container of the view, by id: the victims compromised, the benign
/// neighbour `no sign`, the attacker's own container `attacker-side`; none for the bundle
/// as a whole, none for a container the view does not hold.
fn verdicts(b: &Value, present: &[&Facts], fails: &mut Failures) {
    let verdicts = arr(b, "verdicts");
    for f in present {
        let want = match f.role.as_str() {
            "victim" => "compromised",
            "benign" => "no sign",
            _ => "attacker-side",
        };
        let v = verdicts.iter().find(|v| s(v, "id") == f.container_id);
        fails.check(
            v.is_some_and(|v| s(v, "status") == want && s(v, "container") == f.container_name),
            || format!("{} ({}): verdict {want} expected, got {v:#?}", f.container_name, f.role),
        );
    }
    for v in verdicts {
        let known = present.iter().any(|f| s(v, "id") == f.container_id);
        fails.check(known, || format!("a verdict for no container of this view: {v:#}"));
    }
}

/// The way in: the chain of the victim opens with the request that worked (its first proof
/// is that request's record, at that record's time, from the attacker's address), never the
/// probe that failed; for the JVM, from the rotated log file.
fn way_in(b: &Value, f: &Facts, ev: &Evidence, fails: &mut Failures) {
    let name = &f.container_name;
    let chain: Vec<&Value> = arr(b, "chain").iter().filter(|c| s(c, "container") == name).collect();
    let Some(first) = chain.first() else {
        fails.0.push(format!("{name}: no chain"));
        return;
    };
    let (rule, request) = match f.way_in.as_str() {
        "injection" => ("log.web.cmd-injection", f.requests.first().expect("facts: the injection").clone()),
        "jndi" => ("log.log4j.jndi-lookup", f.jndi_exploit.clone()),
        other => panic!("facts: way in {other:?}"),
    };
    fails.check(s(first, "stage") == "way in" && s(first, "rule") == rule, || {
        format!(
            "{name}: the chain opens with {} {} (want the way in, {rule})",
            s(first, "stage"),
            s(first, "rule")
        )
    });
    let proof = &first["proof"];
    let lines = ev.lines(proof);
    let head = lines.first().cloned().unwrap_or_default();
    fails.check(head.contains(&request), || {
        format!(
            "{name}: the way in's first proof is not the request that worked ({request}): {head:?} ({})",
            proof[0]
        )
    });
    let when = s(&first["when"], "time");
    let logged = ev.times_of(name, &request);
    fails.check(!logged.is_empty(), || format!("{name}: the request that worked is in none of its logs"));
    fails.check(logged.iter().any(|t| same_instant(when, t)), || {
        format!("{name}: the way in is dated {when}, the request that worked was logged at {logged:?}")
    });
    fails.check(!when.is_empty() && facts::epoch(when) >= f.exploit_sent, || {
        format!("{name}: way in at {when}, before the attack")
    });
    // Never the probe that failed.
    let probes = probe_texts(f);
    for (i, l) in lines.iter().enumerate() {
        fails.check(!probes.iter().any(|p| l.contains(p.as_str())), || {
            format!("{name}: the way in cites the failed probe ({}): {l:?}", proof[i])
        });
    }
    let verdict = arr(b, "verdicts").iter().find(|v| s(v, "id") == f.container_id);
    let text = verdict.map(|v| s(v, "way_in")).unwrap_or("");
    fails.check(text.contains(&f.attacker), || {
        format!("{name}: way in {text:?} does not name {}", f.attacker)
    });
    if !f.rotated.is_empty() {
        let cited: Vec<&str> = arr(first, "proof").iter().filter_map(|l| l["artifact"].as_str()).collect();
        fails.check(cited.iter().any(|a| a.ends_with(&f.rotated)), || {
            format!("{name}: the way in does not cite the rotated log {}: {cited:?}", f.rotated)
        });
    }
}

/// The process that calls the attacker back (the reverse shell's netcat, the miner's pool
/// login), seen in `docker top`: a fact of the victim names it by its host PID, and its
/// callback `host:port`.
fn callback(b: &Value, f: &Facts, fails: &mut Failures) {
    let name = &f.container_name;
    let (host, port) = &f.callback;
    let Some(p) = f.processes.iter().find(|p| p.args.contains(&format!("{host} {port}"))) else {
        fails.0.push(format!("{name}: facts: no process calling {host} {port}"));
        return;
    };
    let mine: Vec<&Value> = arr(b, "findings").iter().filter(|x| s(&x["owner"], "name") == name).collect();
    fails.check(mine.iter().any(|x| s(x, "summary").contains(&format!("({})", p.pid))), || {
        format!("{name}: no fact of its names the callback process {} ({})", p.pid, p.args)
    });
    fails.check(
        mine.iter().any(|x| {
            let t = s(x, "summary");
            t.contains(&format!("{host}:{port}")) || t.contains(&format!("{host} {port}"))
        }),
        || format!("{name}: no fact of its names the callback {host}:{port}"),
    );
}

/// What the failed probes look like in the server's log: the path as busybox logs it
/// (percent-decoded), the JNDI probe's lookup.
fn probe_texts(f: &Facts) -> Vec<String> {
    let mut out: Vec<String> = f.probes.iter().map(|(p, _)| percent_decode(p)).collect();
    if !f.jndi.is_empty() {
        out.push(f.jndi.clone());
    }
    out
}

/// Each probe that could not work is a failed attempt of that victim, from the attacker's
/// address, with the status the server answered (busybox writes it on a later line).
fn attempts(b: &Value, f: &Facts, ev: &Evidence, fails: &mut Failures) {
    let name = &f.container_name;
    let mine: Vec<&Value> = arr(b, "attempts").iter().filter(|a| s(a, "container") == name).collect();
    let mut want: Vec<(String, Option<u16>)> =
        f.probes.iter().map(|(p, st)| (percent_decode(p), Some(*st))).collect();
    if !f.jndi.is_empty() {
        want.push((f.jndi.clone(), None));
    }
    for (text, status) in want {
        let found = mine.iter().find(|a| ev.lines(&a["evidence"]).iter().any(|l| l.contains(&text)));
        let ok = found.is_some_and(|a| {
            s(a, "outcome") == "failed"
                && s(a, "source") == f.attacker
                && status
                    .is_none_or(|st| arr(a, "statuses").iter().any(|x| x.as_u64() == Some(u64::from(st))))
        });
        fails.check(ok, || {
            format!(
                "{name}: the probe {text:?} (status {status:?}) is not a failed attempt from {}: got {found:#?}; attempts: {}",
                f.attacker,
                Value::Array(arr(b, "attempts").to_vec())
            )
        });
    }
}

/// The files the victim's own layer holds: there with the host's hash and mtime (a deletion
/// at its whiteout's time), from the victim's own capture or layer; every finding that names
/// them is the victim's.
fn files(b: &Value, f: &Facts, ev: &Evidence, fails: &mut Failures) {
    let name = &f.container_name;
    for a in f.added.iter().chain(f.deleted.iter()) {
        let deleted = a.sha256.is_none();
        let own = arr(b, "file_changes").iter().find(|c| {
            s(c, "path") == a.path
                && s(c, "change") == if deleted { "deleted" } else { "added" }
                && ev.owner(s(&c["locator"], "artifact")).as_deref() == Some(name.as_str())
                && if deleted {
                    c["deleted_at"].as_str().is_some_and(|t| facts::epoch(t) == a.mtime)
                } else {
                    c["sha256"].as_str() == a.sha256.as_deref() && facts::epoch(s(c, "mtime")) == a.mtime
                }
        });
        fails.check(own.is_some(), || {
            let seen: Vec<String> = arr(b, "file_changes")
                .iter()
                .filter(|c| s(c, "path") == a.path)
                .map(|c| {
                    format!(
                        "{} {} {} {} {}",
                        s(c, "source"),
                        s(c, "change"),
                        s(c, "mtime"),
                        s(c, "deleted_at"),
                        c["locator"]
                    )
                })
                .collect();
            format!(
                "{name}: {} ({}) not in its own files with the host's hash and time: {seen:#?}",
                a.path, a.mtime
            )
        });
        let naming: Vec<&Value> = arr(b, "findings")
            .iter()
            .filter(|x| s(x, "title").contains(&a.path) || s(x, "summary").contains(&a.path))
            .collect();
        fails.check(!naming.is_empty(), || format!("{name}: no finding names {}", a.path));
        for x in naming {
            let owner = &x["owner"];
            fails.check(s(owner, "scope") == "container" && s(owner, "name") == name, || {
                format!("{name}: {} is in {:?} ({}), owned by {owner}", a.path, s(x, "title"), s(x, "rule"))
            });
        }
    }
}

/// The benign neighbour: nothing of the attack is its, and nothing it holds is above low.
fn benign(b: &Value, all: &BTreeMap<String, Facts>, fails: &mut Failures) {
    for f in all.values().filter(|f| f.role == "benign") {
        let name = &f.container_name;
        for x in arr(b, "findings").iter().filter(|x| s(&x["owner"], "name") == name) {
            fails.check(!matches!(s(x, "severity"), "high" | "critical" | "medium"), || {
                format!("{name} (benign): {} {} {:?}", s(x, "severity"), s(x, "rule"), s(x, "title"))
            });
        }
        fails.check(!arr(b, "chain").iter().any(|c| s(c, "container") == name), || {
            format!("{name} (benign) has a chain")
        });
        fails.check(!arr(b, "attempts").iter().any(|c| s(c, "container") == name), || {
            format!("{name} (benign) has attempts")
        });
    }
}

/// No fact of one container is another's: every finding, chain stage, attempt and verdict of
/// a container cites only that container's artifacts (or no container's: image layers), and
/// names no other container (its name, id, image, files, processes). Its own image's name
/// may hold another's name (static-web runs `lab/shop-web:1.0`); the attacker's verdict says
/// which victim its output followed.
fn no_cross_attribution(
    b: &Value,
    all: &BTreeMap<String, Facts>,
    present: &[&Facts],
    ev: &Evidence,
    fails: &mut Failures,
) {
    // What names each container.
    let marks = |w: &Facts, v: &Facts| -> Vec<String> {
        let mut m = vec![w.container_id[..12].to_string()];
        // (not "attacker": findings say "the attacker" of anyone)
        if w.role != "attacker" {
            m.push(w.container_name.clone());
        }
        m.extend(w.added.iter().chain(w.deleted.iter()).map(|a| a.path.clone()));
        m.extend(w.processes.iter().map(|p| format!("({})", p.pid)));
        let image = |f: &Facts| f.image_id.trim_start_matches("sha256:")[..12].to_string();
        if image(w) != image(v) {
            m.push(image(w));
        }
        m
    };
    let mut cite = |what: String, owner: &str, locators: &Value, text: &str| {
        let Some(v) = all.get(owner) else { return };
        let text = text.replace(&v.image_ref, "<its image>");
        for l in locators.as_array().into_iter().flatten() {
            let a = s(l, "artifact");
            let o = ev.owner(a);
            fails.check(o.is_none() || o.as_deref() == Some(owner), || {
                format!("{what} of {owner} cites {a}, which is {}'s", o.clone().unwrap_or_default())
            });
        }
        for w in present.iter().filter(|w| w.container_name != owner) {
            for m in marks(w, v) {
                fails.check(!text.contains(&m), || {
                    format!("{what} of {owner} names {m} ({}'s): {}", w.container_name, clip(&text))
                });
            }
        }
    };
    for x in arr(b, "findings") {
        if s(&x["owner"], "scope") == "container" {
            let text = format!("{} {}", s(x, "title"), s(x, "summary"));
            cite(
                format!("finding {} {:?}", s(x, "rule"), clip(s(x, "title"))),
                s(&x["owner"], "name"),
                &x["evidence"],
                &text,
            );
        }
    }
    for c in arr(b, "chain") {
        cite(format!("chain stage {}", s(c, "stage")), s(c, "container"), &c["proof"], s(c, "title"));
    }
    for a in arr(b, "attempts") {
        cite(format!("attempt {}", s(a, "rule")), s(a, "container"), &a["evidence"], s(a, "title"));
    }
    for v in arr(b, "verdicts") {
        let text = if s(v, "status") == "attacker-side" {
            String::new()
        } else {
            format!("{} {}", s(v, "reason"), s(v, "way_in"))
        };
        cite("verdict".into(), s(v, "container"), &v["proof"], &text);
    }
}

fn clip(t: &str) -> String {
    if t.chars().count() > 300 {
        format!("{}...", t.chars().take(300).collect::<String>())
    } else {
        t.to_string()
    }
}
