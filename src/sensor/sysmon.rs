//! Sysmon for Linux events, as syslog lines holding the `<Event>` XML or as JSON exports of
//! them (Microsoft Sentinel's `SyslogMessage`, or flat objects with `EventID` and the
//! `EventData` fields): 1 process create (ProcessGuid / ParentProcessGuid lineage, Image,
//! CommandLine, User, the parent's fields), 3 network connect, 5 process terminated,
//! 11 file create, 23 and 26 file delete. Sysmon names no container: attribution decides.

use std::collections::BTreeMap;

use serde_json::Value;

use super::event::{Act, Conn, Event, FileOp, Proc};
use super::frame::each_line;
use super::observe::Collector;
use crate::evidence::Artifact;
use crate::ingest::observed::Observed;
use crate::ingest::top::CaptureFormat;
use crate::model::{Diagnostic, Locator, Timestamp};

/// Fields of one event, by name (`-` values left out).
type Fields = BTreeMap<String, String>;

/// Read one Sysmon for Linux log or export.
pub(crate) fn read(a: &Artifact) -> (Observed, Vec<Diagnostic>) {
    let mut c = Collector::new(&a.path, CaptureFormat::Sysmon, "Sysmon for Linux");
    let loc = a.locator();
    let mut unread: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    each_line(&mut c, a, "Sysmon log", |c, line, here, at| match record(line) {
        Ok(Some((id, fields))) => {
            if !event(c, id, &fields, here) {
                unread.entry(id).or_insert((0, at.no)).0 += 1;
            }
        }
        Ok(None) => {}
        Err(why) => c.problem(Diagnostic::warning(here, why)),
    });
    for (id, (n, line)) in unread {
        c.problem(Diagnostic::warning(
            loc.clone().with_line(line),
            format!("{n} Sysmon event(s) with EventID {id} not read (first at this line)"),
        ));
    }
    c.finish()
}

/// The event of one line: its id and fields; None for a line that holds none (other syslog
/// traffic); Err for a line that claims to and cannot be read.
fn record(line: &str) -> Result<Option<(u32, Fields)>, String> {
    let t = line.trim_start();
    if t.starts_with('{') {
        let v: Value = match serde_json::from_str(t) {
            Ok(v) => v,
            Err(e) => return Err(format!("not a JSON record: {e}")),
        };
        for k in ["SyslogMessage", "Message", "message", "MESSAGE", "syslog_message"] {
            if let Some(m) = v.get(k).and_then(Value::as_str).filter(|m| m.contains("<Event")) {
                return xml(m).map(Some);
            }
        }
        return Ok(flat(&v));
    }
    match line.find("<Event") {
        Some(i) => xml(line.get(i..).unwrap_or("")).map(Some),
        None => Ok(None),
    }
}

/// A JSON export of the fields themselves: `EventID` beside them or an `EventData` object.
fn flat(v: &Value) -> Option<(u32, Fields)> {
    let id = ["EventID", "EventId", "event_id", "eventId"].iter().find_map(|k| match v.get(*k)? {
        Value::Number(n) => n.as_u64().and_then(|x| u32::try_from(x).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })?;
    let mut fields = Fields::new();
    let mut take = |o: &serde_json::Map<String, Value>| {
        for (k, x) in o.iter().take(256) {
            let s = match x {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            if !s.is_empty() && s != "-" {
                fields.entry(k.clone()).or_insert(s);
            }
        }
    };
    if let Some(Value::Object(d)) = v.get("EventData") {
        take(d);
    }
    if let Value::Object(o) = v {
        take(o);
    }
    Some((id, fields))
}

/// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and numeric references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let end = tail.find(';').filter(|&e| e <= 10);
        let ent = end.and_then(|e| tail.get(1..e));
        let ch = match ent {
            Some("lt") => Some('<'),
            Some("gt") => Some('>'),
            Some("amp") => Some('&'),
            Some("quot") => Some('"'),
            Some("apos") => Some('\''),
            Some(e) if e.starts_with("#x") => {
                e.get(2..).and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32)
            }
            Some(e) if e.starts_with('#') => e.get(1..).and_then(|d| d.parse().ok()).and_then(char::from_u32),
            _ => None,
        };
        match (ch, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = tail.get(e + 1..).unwrap_or("");
            }
            _ => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text between `open`'s closing `>` and the next `<`.
fn element<'a>(x: &'a str, open: &str) -> Option<&'a str> {
    let i = x.find(open)?;
    let after = x.get(i + open.len()..)?;
    let gt = after.find('>')?;
    let body = after.get(gt + 1..)?;
    body.get(..body.find('<')?)
}

/// An attribute's value inside the element `open` starts.
fn attribute<'a>(x: &'a str, open: &str, name: &str) -> Option<&'a str> {
    let i = x.find(open)?;
    let tag = x.get(i..)?;
    let tag = tag.get(..tag.find('>')?)?;
    let key = format!("{name}=\"");
    let j = tag.find(&key)?;
    let v = tag.get(j + key.len()..)?;
    v.get(..v.find('"')?)
}

/// The `<Event>` XML of Sysmon for Linux: EventID, `<Data Name="...">` fields, Computer
/// and TimeCreated (as `Computer` and `SystemTime`).
fn xml(x: &str) -> Result<(u32, Fields), String> {
    let id: u32 = element(x, "<EventID")
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| "Sysmon event without a readable EventID".to_string())?;
    let mut fields = Fields::new();
    let mut rest = x;
    while let Some(i) = rest.find("<Data Name=\"") {
        let after = rest.get(i + 12..).unwrap_or("");
        let Some(q) = after.find('"') else { break };
        let name = after.get(..q).unwrap_or("").to_string();
        let tail = after.get(q + 1..).unwrap_or("");
        if tail.starts_with("/>") {
            rest = tail;
            continue;
        }
        let body = tail.get(1..).unwrap_or("");
        let Some(end) = body.find("</Data>") else {
            // The message was cut (syslog's size limit): keep what arrived of the value.
            let part = unescape(body.get(..body.find('<').unwrap_or(body.len())).unwrap_or(""));
            if !part.is_empty() && fields.len() < 256 {
                fields.entry("Truncated".into()).or_insert_with(|| name.clone());
                fields.entry(name).or_insert(part);
            }
            break;
        };
        let value = unescape(body.get(..end).unwrap_or(""));
        if !value.is_empty() && value != "-" && fields.len() < 256 {
            fields.entry(name).or_insert(value);
        }
        rest = body.get(end..).unwrap_or("");
    }
    if let Some(c) = element(x, "<Computer") {
        fields.entry("Computer".into()).or_insert_with(|| unescape(c));
    }
    if let Some(t) = attribute(x, "<TimeCreated", "SystemTime") {
        fields.entry("SystemTime".into()).or_insert_with(|| t.to_string());
    }
    Ok((id, fields))
}

/// `2022-05-11 18:10:21.998` (UTC) or RFC 3339.
fn utc(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    Timestamp::parse_rfc3339(s).or_else(|| Timestamp::parse_rfc3339(&format!("{}Z", s.replacen(' ', "T", 1))))
}

fn process(f: &Fields, prefix: &str) -> Proc {
    let get = |k: &str| f.get(&format!("{prefix}{k}")).cloned();
    let image = get("Image").filter(|i| !i.starts_with('<')).unwrap_or_default();
    let mut extra = BTreeMap::new();
    if prefix.is_empty() {
        for k in ["LogonId", "LogonGuid", "TerminalSessionId", "Hashes", "Truncated"] {
            if let Some(v) = f.get(k) {
                extra.insert(k.to_string(), v.clone());
            }
        }
        if let Some(h) = f.get("Computer") {
            extra.insert("node".into(), h.clone());
        }
    }
    Proc {
        exec_id: get("ProcessGuid"),
        pid: get("ProcessId").and_then(|p| p.trim().parse().ok()),
        user: get("User"),
        cmd: get("CommandLine").unwrap_or_default(),
        binary: image,
        cwd: if prefix.is_empty() { f.get("CurrentDirectory").cloned() } else { None },
        extra,
        ..Default::default()
    }
}

/// One event; false when its EventID is not one read here.
fn event(c: &mut Collector, id: u32, f: &Fields, here: Locator) -> bool {
    let time = f.get("UtcTime").and_then(|t| utc(t)).or_else(|| f.get("SystemTime").and_then(|t| utc(t)));
    let mut proc = process(f, "");
    let get = |k: &str| f.get(k).map(String::as_str);
    let (act, parent) = match id {
        1 => {
            proc.started = time;
            proc.parent_exec_id = f.get("ParentProcessGuid").cloned();
            proc.ppid = get("ParentProcessId").and_then(|p| p.trim().parse().ok());
            let parent = process(f, "Parent");
            let parent = (parent.pid.is_some() || parent.exec_id.is_some()).then_some(parent);
            (Act::Exec, parent)
        }
        3 => {
            let initiated = get("Initiated").is_none_or(|i| i.eq_ignore_ascii_case("true"));
            let conn = Conn {
                src_ip: f.get("SourceIp").cloned(),
                src_port: get("SourcePort").and_then(|p| p.parse().ok()),
                dst_ip: f.get("DestinationIp").cloned().unwrap_or_default(),
                dst_port: get("DestinationPort").and_then(|p| p.parse().ok()).unwrap_or(0),
                protocol: f.get("Protocol").cloned().unwrap_or_default().to_ascii_uppercase(),
            };
            let act = if initiated && !conn.dst_ip.is_empty() { Act::Connect(conn) } else { Act::Seen };
            (act, None)
        }
        5 => (Act::Exit, None),
        11 => match f.get("TargetFilename") {
            Some(p) => (Act::File(FileOp::Create, p.clone()), None),
            None => return false,
        },
        23 | 26 => match f.get("TargetFilename") {
            Some(p) => (Act::File(FileOp::Delete, p.clone()), None),
            None => return false,
        },
        _ => return false,
    };
    c.add(Event { time, proc, parent, act, locator: here });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_fields() {
        let line = "May 11 18:10:22 host sysmon: <Event><System><EventID>1</EventID><Computer>UBUNTU5</Computer>\
            <TimeCreated SystemTime=\"2022-05-11T18:10:22.003485000Z\"/></System><EventData>\
            <Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2022-05-11 18:10:21.998</Data>\
            <Data Name=\"CommandLine\">sh -c &quot;a &amp;&amp; b&quot; &lt;x&gt; &#65;</Data><Data Name=\"Empty\"/>\
            <Data Name=\"ProcessId\">17790</Data></EventData></Event>";
        let (id, f) = record(line).unwrap().unwrap();
        assert_eq!(id, 1);
        assert_eq!(f.get("CommandLine").map(String::as_str), Some("sh -c \"a && b\" <x> A"));
        assert_eq!(f.get("Computer").map(String::as_str), Some("UBUNTU5"));
        assert!(!f.contains_key("RuleName") && !f.contains_key("Empty"));
        assert_eq!(
            utc("2022-05-11 18:10:21.998").map(|t| t.to_iso()),
            Some("2022-05-11T18:10:21.998000000Z".into())
        );
        assert_eq!(record("May 11 other syslog line").unwrap(), None);
        assert!(record("<Event><System></System></Event>").is_err());
        assert_eq!(unescape("a &bogus; & &lt"), "a &bogus; & &lt");
    }

    #[test]
    fn json_exports() {
        let (id, f) = record(r#"{"SyslogMessage":"<Event><System><EventID>3</EventID></System><EventData><Data Name=\"DestinationIp\">192.168.2.6</Data></EventData></Event>"}"#).unwrap().unwrap();
        assert_eq!((id, f.get("DestinationIp").map(String::as_str)), (3, Some("192.168.2.6")));
        let (id, f) =
            record(r#"{"EventID":"11","EventData":{"TargetFilename":"/etc/cron.d/x"}}"#).unwrap().unwrap();
        assert_eq!((id, f.get("TargetFilename").map(String::as_str)), (11, Some("/etc/cron.d/x")));
        assert_eq!(record(r#"{"other":1}"#).unwrap(), None);
        assert!(record("{\"cut").is_err());
    }
}
