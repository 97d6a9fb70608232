//! One API server audit event (`audit.k8s.io/v1` or `v1beta1` `Event`), normalised from its
//! JSON: stage, audit id, times, the identity (user, groups, impersonated user, source
//! addresses, user agent), verb, object reference, response code, and the request and
//! response objects where the policy level kept them (for the rules; size-capped).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{Actor, Locator, PodRef, Timestamp};

/// Bytes of `requestObject` / `responseObject` kept for the rules (a pod spec is a few KiB;
/// a 100 MB object is dropped, the event is still read).
pub(crate) const MAX_OBJECT_BYTES: usize = 256 << 10;

/// What an object reference names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ObjectRef {
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    pub api_group: String,
    pub uid: String,
}

/// One normalised audit event.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct AuditEvent {
    pub stage: String,
    pub audit_id: String,
    pub received: Option<Timestamp>,
    pub stage_time: Option<Timestamp>,
    pub actor: Actor,
    pub verb: String,
    pub request_uri: String,
    pub object: ObjectRef,
    pub code: Option<i64>,
    /// `authorization.k8s.io/decision` (`allow`, `forbid`), when annotated.
    pub decision: Option<String>,
    pub request_object: Option<Value>,
    pub response_object: Option<Value>,
    /// Whether an object was dropped for its size.
    pub object_dropped: bool,
    pub locator: Locator,
}

impl AuditEvent {
    /// The time the event stands for: the stage time, else the time it was received.
    pub(crate) fn time(&self) -> Option<Timestamp> {
        self.stage_time.or(self.received)
    }

    /// Whether the API server let it through (an explicit `allow`, else a 1xx-3xx code).
    pub(crate) fn allowed(&self) -> bool {
        match self.decision.as_deref() {
            Some(d) => d == "allow",
            None => self.code.is_none_or(|c| c < 400),
        }
    }

    /// The object the request carried (or the response returned, when the request had none).
    pub(crate) fn object(&self) -> Option<&Value> {
        self.request_object.as_ref().or(self.response_object.as_ref())
    }

    /// The pod the request is about, when it is a pod's (its name from the reference, else
    /// from the object created).
    pub(crate) fn pod(&self) -> Option<PodRef> {
        if self.object.resource != "pods" {
            return None;
        }
        let meta = |k: &str| {
            self.response_object
                .as_ref()
                .or(self.request_object.as_ref())
                .and_then(|o| o.get("metadata"))
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let name = Some(self.object.name.clone()).filter(|n| !n.is_empty()).or_else(|| meta("name"))?;
        let namespace =
            Some(self.object.namespace.clone()).filter(|n| !n.is_empty()).or_else(|| meta("namespace"))?;
        let uid = Some(self.object.uid.clone()).filter(|u| !u.is_empty()).or_else(|| {
            if self.object.subresource.is_empty() {
                meta("uid")
            } else {
                None
            }
        });
        Some(PodRef { namespace, name, uid, container: self.uri_container() })
    }

    /// `requestURI`'s `container=` parameter (exec, attach, logs name one container).
    pub(crate) fn uri_container(&self) -> Option<String> {
        let (_, q) = self.request_uri.split_once('?')?;
        q.split('&')
            .find_map(|kv| kv.strip_prefix("container="))
            .filter(|c| !c.is_empty())
            .map(str::to_string)
    }

    /// `requestURI`'s `command=` parameters joined by spaces (an exec's command line).
    pub(crate) fn uri_command(&self) -> Option<String> {
        let (_, q) = self.request_uri.split_once('?')?;
        let parts: Vec<String> =
            q.split('&').filter_map(|kv| kv.strip_prefix("command=")).map(percent_decode).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// An audit event as its JSON spells it, strings borrowed from the line where they hold no
/// escape: the fast path for well-formed events (a type the struct does not expect makes
/// the caller fall back to [`from_value`], which says what is wrong).
#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "apiVersion")]
    api_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    stage: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "auditID")]
    audit_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "requestReceivedTimestamp")]
    received: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "stageTimestamp")]
    stage_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<RawUser<'a>>,
    #[serde(borrow, rename = "impersonatedUser")]
    impersonated: Option<RawUser<'a>>,
    #[serde(borrow, rename = "sourceIPs")]
    source_ips: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, rename = "userAgent")]
    user_agent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    verb: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "requestURI")]
    request_uri: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "objectRef")]
    object_ref: Option<RawRef<'a>>,
    #[serde(rename = "responseStatus")]
    response_status: Option<RawStatus>,
    #[serde(borrow)]
    annotations: Option<RawAnnotations<'a>>,
    #[serde(rename = "requestObject")]
    request_object: Option<Value>,
    #[serde(rename = "responseObject")]
    response_object: Option<Value>,
}

#[derive(Deserialize)]
struct RawUser<'a> {
    #[serde(borrow)]
    username: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    groups: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct RawRef<'a> {
    #[serde(borrow)]
    resource: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subresource: Option<Cow<'a, str>>,
    #[serde(borrow)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "apiGroup")]
    api_group: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uid: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawStatus {
    code: Option<i64>,
}

#[derive(Deserialize)]
struct RawAnnotations<'a> {
    #[serde(borrow, rename = "authorization.k8s.io/decision")]
    decision: Option<Cow<'a, str>>,
}

/// The event on one line of JSON, read straight into its fields; None when the line is not
/// a plain `Event` object of the expected types (an `EventList`, an array, a field of
/// another type, not JSON): [`from_value`] then reads it and says why it is not one.
pub(crate) fn from_slice(b: &[u8], locator: &Locator) -> Option<Result<AuditEvent, String>> {
    let raw: RawEvent = serde_json::from_slice(b).ok()?;
    let s = |c: &Option<Cow<str>>| c.as_deref().unwrap_or("").to_string();
    match raw.kind.as_deref() {
        Some("Event") => {}
        None if raw.audit_id.is_some() && raw.verb.is_some() => {}
        _ => return None,
    }
    let api_version = raw.api_version.as_deref().unwrap_or("");
    if !api_version.is_empty() && !api_version.starts_with("audit.k8s.io/") {
        return None;
    }
    if raw.verb.is_none() && raw.audit_id.is_none() {
        return None;
    }
    let list = |v: &Option<Vec<Cow<str>>>| -> Vec<String> {
        v.iter().flatten().take(64).map(|x| x.to_string()).collect()
    };
    let user = raw.user.as_ref();
    let actor = Actor {
        user: user.map(|u| s(&u.username)).unwrap_or_default(),
        uid: user.map(|u| s(&u.uid)).filter(|x| !x.is_empty()),
        groups: user.map(|u| list(&u.groups)).unwrap_or_default(),
        impersonated: raw.impersonated.as_ref().map(|u| s(&u.username)).filter(|x| !x.is_empty()),
        source_ips: list(&raw.source_ips),
        user_agent: Some(s(&raw.user_agent)).filter(|x| !x.is_empty()),
    };
    let object = match &raw.object_ref {
        Some(o) => ObjectRef {
            resource: s(&o.resource),
            subresource: s(&o.subresource),
            namespace: s(&o.namespace),
            name: s(&o.name),
            api_group: s(&o.api_group),
            uid: s(&o.uid),
        },
        None => ObjectRef::default(),
    };
    let mut dropped = false;
    let mut keep = |v: Option<Value>| -> Option<Value> {
        let v = v.filter(|v| !v.is_null())?;
        if json_size(&v, MAX_OBJECT_BYTES) > MAX_OBJECT_BYTES {
            dropped = true;
            return None;
        }
        Some(v)
    };
    let request_object = keep(raw.request_object);
    let response_object = keep(raw.response_object);
    let time = |c: &Option<Cow<str>>| c.as_deref().and_then(Timestamp::parse_rfc3339);
    Some(Ok(AuditEvent {
        stage: s(&raw.stage),
        audit_id: s(&raw.audit_id),
        received: time(&raw.received).or_else(|| time(&raw.timestamp)),
        stage_time: time(&raw.stage_time),
        actor,
        verb: s(&raw.verb),
        request_uri: s(&raw.request_uri),
        object,
        code: raw.response_status.and_then(|r| r.code),
        decision: raw.annotations.and_then(|a| a.decision).map(|d| d.into_owned()),
        request_object,
        response_object,
        object_dropped: dropped,
        locator: locator.clone(),
    }))
}

/// Why a JSON value is not an audit event, or the event.
pub(crate) fn from_value(v: Value, locator: Locator) -> Result<AuditEvent, String> {
    let Value::Object(mut m) = v else {
        return Err(format!("a JSON {}, not an audit event object", type_name(&v)));
    };
    match m.get("kind") {
        Some(Value::String(k)) if k == "Event" => {}
        Some(Value::String(k)) => return Err(format!("`kind` is {k:?}, not \"Event\"")),
        Some(other) => return Err(format!("`kind` is {}, not \"Event\"", short(other))),
        None if m.contains_key("auditID") && m.contains_key("verb") => {}
        None => return Err("no `kind` and no `auditID`/`verb`: not an audit event".into()),
    }
    let api_version = str_of(m.get("apiVersion"));
    // Recorded by every version alike (v1beta1 and v1 differ only in fields ctriage reads
    // the same way).
    if !api_version.is_empty() && !api_version.starts_with("audit.k8s.io/") {
        return Err(format!("`apiVersion` is {api_version:?}, not audit.k8s.io/*"));
    }
    if !m.contains_key("verb") && !m.contains_key("auditID") {
        return Err(
            "an Event without `verb` or `auditID`: a Kubernetes core Event, not an audit event".into()
        );
    }
    let user = m.get("user");
    let field = |v: Option<&Value>, k: &str| str_of(v.and_then(|u| u.get(k)));
    let list = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).take(64).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let impersonated =
        m.get("impersonatedUser").map(|u| field(Some(u), "username")).filter(|s| !s.is_empty());
    let actor = Actor {
        user: field(user, "username"),
        uid: Some(field(user, "uid")).filter(|s| !s.is_empty()),
        groups: list(user.and_then(|u| u.get("groups"))),
        impersonated,
        source_ips: list(m.get("sourceIPs")),
        user_agent: Some(str_of(m.get("userAgent"))).filter(|s| !s.is_empty()),
    };
    let o = m.get("objectRef");
    let object = ObjectRef {
        resource: field(o, "resource"),
        subresource: field(o, "subresource"),
        namespace: field(o, "namespace"),
        name: field(o, "name"),
        api_group: field(o, "apiGroup"),
        uid: field(o, "uid"),
    };
    let mut dropped = false;
    let mut take = |k: &str| -> Option<Value> {
        let v = m.remove(k)?;
        if v.is_null() {
            return None;
        }
        if json_size(&v, MAX_OBJECT_BYTES) > MAX_OBJECT_BYTES {
            dropped = true;
            return None;
        }
        Some(v)
    };
    let request_object = take("requestObject");
    let response_object = take("responseObject");
    let time = |k: &str| m.get(k).and_then(Value::as_str).and_then(Timestamp::parse_rfc3339);
    Ok(AuditEvent {
        stage: str_of(m.get("stage")),
        audit_id: str_of(m.get("auditID")),
        received: time("requestReceivedTimestamp").or_else(|| time("timestamp")),
        stage_time: time("stageTimestamp"),
        actor,
        verb: str_of(m.get("verb")),
        request_uri: str_of(m.get("requestURI")),
        object,
        code: m.get("responseStatus").and_then(|r| r.get("code")).and_then(Value::as_i64),
        decision: m
            .get("annotations")
            .and_then(|a| a.get("authorization.k8s.io/decision"))
            .and_then(Value::as_str)
            .map(str::to_string),
        request_object,
        response_object,
        object_dropped: dropped,
        locator,
    })
}

fn str_of(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_string()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short JSON rendering of a value for a diagnostic.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// Approximate serialised size of a value, counted up to `cap` (then it stops).
fn json_size(v: &Value, cap: usize) -> usize {
    fn walk(v: &Value, n: &mut usize, cap: usize) {
        if *n > cap {
            return;
        }
        match v {
            Value::String(s) => *n += s.len() + 2,
            Value::Array(a) => {
                *n += 2;
                for x in a {
                    walk(x, n, cap);
                }
            }
            Value::Object(o) => {
                *n += 2;
                for (k, x) in o {
                    *n += k.len() + 3;
                    walk(x, n, cap);
                }
            }
            _ => *n += 8,
        }
    }
    let mut n = 0;
    walk(v, &mut n, cap);
    n
}

/// `%2Fbin%2Fsh` -> `/bin/sh`; `+` stays (Kubernetes clients encode spaces as `%20`).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> Result<AuditEvent, String> {
        from_value(serde_json::from_str(json).unwrap(), Locator::artifact("a"))
    }

    #[test]
    fn normalises_an_exec() {
        let e = ev(r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseStarted","auditID":"x",
            "requestURI":"/api/v1/namespaces/shop/pods/web-1/exec?command=sh&command=-c&command=id%3Bls&container=app&stdin=true",
            "verb":"create","user":{"username":"system:serviceaccount:shop:web","groups":["system:serviceaccounts"]},
            "sourceIPs":["203.0.113.9"],"userAgent":"kubectl/v1.30",
            "objectRef":{"resource":"pods","namespace":"shop","name":"web-1","subresource":"exec","apiVersion":"v1"},
            "responseStatus":{"code":101},"requestReceivedTimestamp":"2026-11-27T14:00:00.000001Z",
            "stageTimestamp":"2026-11-27T14:00:00.5Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#)
        .unwrap();
        assert_eq!(e.object.subresource, "exec");
        assert_eq!(e.actor.source_ips, ["203.0.113.9"]);
        assert_eq!(e.uri_container().as_deref(), Some("app"));
        assert_eq!(e.uri_command().as_deref(), Some("sh -c id;ls"));
        assert!(e.allowed());
        assert_eq!(e.time(), Timestamp::parse_rfc3339("2026-11-27T14:00:00.5Z"));
    }

    #[test]
    fn refuses_what_is_not_an_event_with_why() {
        assert!(ev(r#"{"kind": 0}"#).unwrap_err().contains("`kind` is 0"));
        assert!(ev(r#"{"kind":"Pod"}"#).unwrap_err().contains("\"Pod\""));
        assert!(ev(r#"[1]"#).unwrap_err().contains("array"));
        assert!(ev(r#"{"kind":"Event","apiVersion":"v1","reason":"Pulled"}"#)
            .unwrap_err()
            .contains("apiVersion"));
        // Falco's captures omit apiVersion: the audit fields decide.
        assert!(ev(r#"{"kind":"Event","auditID":"a","verb":"get"}"#).is_ok());
    }

    #[test]
    fn the_fast_path_reads_what_the_value_path_reads() {
        let lines = [
            r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","auditID":"x","requestURI":"/api/v1/namespaces/a/pods?x=\u0026y","verb":"create","user":{"username":"al\u00e9","uid":"1","groups":["g1","g2"]},"impersonatedUser":{"username":"bob"},"sourceIPs":["203.0.113.9","10.0.0.1"],"userAgent":"kubectl","objectRef":{"resource":"pods","namespace":"a","name":"p","apiGroup":"","uid":"u"},"responseStatus":{"code":201},"requestReceivedTimestamp":"2026-11-27T14:00:00Z","stageTimestamp":"2026-11-27T14:00:01.5Z","annotations":{"authorization.k8s.io/decision":"allow","x":"y"},"requestObject":{"spec":{"hostPID":true}},"responseObject":null}"#,
            r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","auditID":"y","verb":"get","timestamp":"2018-10-26T13:38:34Z","objectRef":{"resource":"secrets"}}"#,
            r#"{"auditID":"z","verb":"list","user":null}"#,
        ];
        for l in lines {
            let loc = Locator::artifact("a").with_line(1);
            let fast = from_slice(l.as_bytes(), &loc).expect("fast path").unwrap();
            let slow = from_value(serde_json::from_str(l).unwrap(), loc).unwrap();
            assert_eq!(fast, slow, "{l}");
        }
        for l in
            [r#"{"kind": 0}"#, r#"{"kind":"EventList","items":[]}"#, r#"{"kind":"Event","verb":1}"#, "[1]"]
        {
            assert!(from_slice(l.as_bytes(), &Locator::default()).is_none(), "{l}");
        }
    }

    #[test]
    fn big_objects_are_dropped_not_the_event() {
        let big = "x".repeat(MAX_OBJECT_BYTES + 10);
        let e = ev(&format!(
            r#"{{"kind":"Event","auditID":"a","verb":"create","requestObject":{{"data":"{big}"}}}}"#
        ))
        .unwrap();
        assert!(e.request_object.is_none() && e.object_dropped);
    }
}
