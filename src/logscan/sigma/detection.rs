//! One compiled Sigma detection: what it is evaluated on, its credit, and its evaluation on
//! a parsed web record (Sigma's web field names mapped onto the request). The log rule
//! format's Sigma confirm step holds one; the loading of Sigma files builds them.

use super::matcher::{Compiled, Fields};
use crate::logscan::http::HttpRequest;
use crate::model::Severity;

/// What a compiled Sigma rule is evaluated on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigmaTarget {
    /// Parsed web-server access records.
    Web,
    /// Parsed forward-proxy records (absolute request targets, CONNECT).
    Proxy,
    /// Process captures (`docker top`, `ps`).
    Process,
    /// Kubernetes API server audit events (`product: kubernetes`, `service: audit`).
    K8sAudit,
}

/// One usable Sigma rule.
#[derive(Debug)]
pub struct SigmaDetection {
    pub target: SigmaTarget,
    /// `sigma.<file stem>`: the engine rule id.
    pub rule_id: String,
    pub sigma_id: Option<String>,
    pub title: String,
    pub author: Option<String>,
    pub level: Severity,
    pub category: String,
    pub attack: Option<String>,
    /// `file:line`-style origin (the rule's path).
    pub origin: String,
    pub(super) compiled: Compiled,
    /// Literals every match contains (the engine's candidates).
    pub(super) anchors: Vec<String>,
}

impl SigmaDetection {
    /// Evaluate on a web record (its parsed request and text spellings). Proxy rules only
    /// judge proxy records: their user-agent and URL lists mean something else in a web
    /// server's own log.
    pub(crate) fn matches_web(&self, req: &HttpRequest, texts: &[String]) -> bool {
        (self.target != SigmaTarget::Proxy || req.proxy) && self.compiled.matches(&WebFields { req, texts })
    }

    /// A process rule's declaration: its findings are `proc.<rule id>`.
    pub(crate) fn process_def(&self) -> crate::model::RuleDef {
        crate::model::RuleDef {
            id: format!("proc.{}", self.rule_id).into(),
            kind: crate::model::RuleKind::of(crate::model::Family::SigmaProcess),
            severity: self.level,
            category: self.category.clone().into(),
            attack: self.attack.clone().unwrap_or_default().into(),
            title: format!("{} (Sigma)", self.title).into(),
            credit: self.credit().into(),
        }
    }

    /// Evaluate on any event's fields (an audit event: see [`audit_field`]).
    pub(crate) fn matches_fields(&self, f: &dyn Fields) -> bool {
        self.compiled.matches(f)
    }

    /// An audit rule's declaration: its findings are `k8saudit.<rule id>`.
    pub(crate) fn audit_def(&self) -> crate::model::RuleDef {
        crate::model::RuleDef {
            id: format!("k8saudit.{}", self.rule_id).into(),
            kind: crate::model::RuleKind::of(crate::model::Family::SigmaK8sAudit),
            severity: self.level,
            category: self.category.clone().into(),
            attack: self.attack.clone().unwrap_or_default().into(),
            title: format!("{} (Sigma)", self.title).into(),
            credit: self.credit().into(),
        }
    }

    /// The DRL 1.1 credit shown with every match.
    pub(crate) fn credit(&self) -> String {
        format!(
            "Sigma rule \"{}\" (id {}) by {}, Detection Rule License 1.1",
            self.title,
            self.sigma_id.as_deref().unwrap_or("none"),
            self.author.as_deref().unwrap_or("unknown author")
        )
    }
}

/// Sigma's web field names (W3C / IIS style and a few common aliases) that a parsed request
/// provides, as canonical names.
pub(super) fn web_field(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "cs-method" | "c-method" | "method" | "http.request.method" => "method",
        "cs-uri-stem" | "c-uri-stem" | "uri-stem" | "cs-uri-path" | "c-uri-path" | "url.path" => "path",
        "cs-uri-query" | "c-uri-query" | "uri-query" | "url.query" => "query",
        "cs-uri" | "c-uri" | "uri" | "url" | "request" | "cs-request" | "url.original" => "uri",
        "c-uri-extension" | "uri-extension" => "extension",
        "c-useragent"
        | "cs-user-agent"
        | "cs(user-agent)"
        | "user-agent"
        | "useragent"
        | "user_agent.original" => "user_agent",
        "cs-referer" | "cs-referrer" | "cs(referer)" | "referer" | "referrer" => "referer",
        "sc-status" | "status" | "http.response.status_code" => "status",
        "cs-host" | "cs(host)" | "r-dns" | "host" | "dst-host" | "url.domain" => "host",
        "c-ip" | "src_ip" | "clientip" | "client.ip" | "source.ip" => "client",
        "sc-bytes" | "bytes" => "bytes",
        _ => return None,
    })
}

/// Sigma's Kubernetes audit field names (the event's JSON paths) that a normalised audit
/// event provides, as canonical names. `hostPath` and `capabilities` are the pod spec's
/// host paths and added capabilities.
pub(crate) fn audit_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "verb" => "verb",
        "objectRef.resource" => "objectRef.resource",
        "objectRef.subresource" => "objectRef.subresource",
        "objectRef.namespace" => "objectRef.namespace",
        "objectRef.name" => "objectRef.name",
        "objectRef.apiGroup" | "apiGroup" => "objectRef.apiGroup",
        "user.username" => "user.username",
        "user.groups" => "user.groups",
        "impersonatedUser.username" => "impersonatedUser.username",
        "responseStatus.code" => "responseStatus.code",
        "requestURI" => "requestURI",
        "userAgent" => "userAgent",
        "sourceIPs" => "sourceIPs",
        "stage" => "stage",
        "hostPath" => "hostPath",
        "capabilities" => "capabilities",
        _ => return None,
    })
}

struct WebFields<'a> {
    req: &'a HttpRequest,
    texts: &'a [String],
}

impl Fields for WebFields<'_> {
    fn get(&self, field: &str) -> Option<Vec<String>> {
        let r = self.req;
        let decoded = |s: &str| -> Vec<String> {
            let d =
                String::from_utf8_lossy(&crate::logscan::decode::normalize(s.as_bytes(), true)).into_owned();
            if d == s {
                vec![s.to_string()]
            } else {
                vec![s.to_string(), d]
            }
        };
        match field {
            "method" => r.method.clone().map(|m| vec![m]),
            "path" => r.path.as_deref().map(decoded),
            "query" => r.query.as_deref().map(decoded),
            "uri" => r.path.as_ref().map(|p| {
                let u = match &r.query {
                    Some(q) => format!("{p}?{q}"),
                    None => p.clone(),
                };
                decoded(&u)
            }),
            "extension" => r.path.as_deref().and_then(|p| {
                let last = p.rsplit('/').next().unwrap_or(p);
                last.rsplit_once('.').map(|(_, e)| vec![e.to_string()])
            }),
            "user_agent" => r.user_agent.as_deref().map(decoded),
            "referer" => r.referer.as_deref().map(decoded),
            "status" => r.status.map(|s| vec![s.to_string()]),
            "host" => r.host.clone().map(|h| vec![h]),
            "client" => r.client.clone().map(|c| vec![c]),
            "bytes" => r.bytes.map(|b| vec![b.to_string()]),
            _ => None,
        }
    }

    fn text(&self) -> Vec<String> {
        self.texts.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_fields_map_a_parsed_request() {
        let req = crate::logscan::http::parse(
            br#"198.51.100.1 - - [27/Nov/2026:14:00:00 +0000] "GET /a/b.php?x=%2e%2e%2f HTTP/1.1" 200 5 "-" "curl/8""#,
        )
        .unwrap();
        let f = WebFields { req: &req, texts: &[] };
        assert_eq!(f.get("extension"), Some(vec!["php".to_string()]));
        assert_eq!(f.get("query"), Some(vec!["x=%2e%2e%2f".to_string(), "x=../".to_string()]));
        assert_eq!(f.get("status"), Some(vec!["200".to_string()]));
        assert_eq!(web_field("cs-uri-query"), Some("query"));
        assert_eq!(web_field("cs-cookie"), None);
    }
}
