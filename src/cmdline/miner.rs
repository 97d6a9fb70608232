//! Miners by their arguments, whatever the binary is called: a pool (`-o host:port`,
//! `--url=stratum+tcp://host:port`, `-P stratum://...`) with a user, a password `x`, an
//! algorithm or keep-alive; any `stratum+tcp://` URL; `--donate-level`; a RandomX /
//! CryptoNight algorithm (`-a rx/0`); a Monero wallet. Also xmrig's JSON configuration
//! (`"pools": [{"url": "host:port", "user": ...}]`).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::actions::{re, XMR_WALLET};

/// A mining pool an argument names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pool {
    /// Host name or IP address, as written (IPv6 without brackets).
    pub host: String,
    pub port: Option<u16>,
}

impl Pool {
    /// `host:port` (`[v6]:port`), or the host alone.
    pub fn endpoint(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }
}

/// What the arguments say about a miner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MinerArgs {
    /// Pools, in the order named, without repeats.
    pub pools: Vec<Pool>,
    /// The first Monero wallet named.
    pub wallet: Option<String>,
    /// The options that gave it away, as written (`-o`, `-u`, `--donate-level`, `-a rx/0`...).
    pub marks: Vec<String>,
}

impl MinerArgs {
    /// For a summary: `pool xmr.example:4444, wallet 48edf…D (Monero), options -o -u -p x`.
    pub fn describe(&self) -> String {
        let mut parts = vec![];
        if !self.pools.is_empty() {
            let p: Vec<String> = self.pools.iter().map(Pool::endpoint).collect();
            parts.push(format!("pool {}", p.join(", ")));
        }
        if let Some(w) = &self.wallet {
            parts.push(format!(
                "wallet {}…{} (Monero)",
                &w[..6.min(w.len())],
                &w[w.len().saturating_sub(6)..]
            ));
        }
        if !self.marks.is_empty() {
            parts.push(format!("options {}", self.marks.join(" ")));
        }
        parts.join(", ")
    }
}

static STRATUM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bstratum\d?(?:\+(?:tcp|ssl|tls))?://(?:[^@\s/'\x22]+@)?(?P<h>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<p>\d{1,5}))?",
    )
});
static POOL_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:(?:stratum\d?(?:\+(?:tcp|ssl|tls))?|tcp|ssl|tls)://)?(?:[^@\s/]+@)?(?P<h>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<p>\d{1,5})/?$",
    )
});
/// Options a miner's command has at least one of (a cheap filter, not a test).
static OPTION_MARKS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::new([
        "-o ",
        "-o=",
        "--url",
        "-url",
        "-P ",
        "--pool",
        "-a ",
        "--algo",
        "--donate",
        "--coin",
        "--nicehash",
        "--rig-id",
        "--cpu-",
        "--max-cpu",
        "--randomx",
        "\"pools\"",
    ])
    .expect("literal patterns")
});
static STRATUM_WORD: LazyLock<AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(["stratum"])
        .expect("literal patterns")
});
static JSON_URL: LazyLock<Regex> = LazyLock::new(|| re(r#""url"\s*:\s*"(?P<v>[^"\s]{1,300})""#));

/// Algorithms only miners take (`-a`, `--algo`).
const MINER_ALGOS: &[&str] = &[
    "rx/",
    "randomx",
    "cn/",
    "cn-",
    "cryptonight",
    "argon2",
    "astrobwt",
    "kawpow",
    "ethash",
    "etchash",
    "autolykos",
    "ghostrider",
    "gr",
    "yespower",
    "yescrypt",
    "lyra2",
    "x16r",
    "equihash",
    "kheavyhash",
    "panther",
    "rx0",
];

/// Options that only miners take (a flag or `--opt=value`).
const MINER_FLAGS: &[&str] = &[
    "--donate-level",
    "--donate-over-proxy",
    "--cpu-max-threads-hint",
    "--max-cpu-usage",
    "--cpu-priority",
    "--randomx-1gb-pages",
    "--randomx-mode",
    "--nicehash",
    "--rig-id",
    "--coin",
];

/// A host (IP literal, `localhost`, or a DNS name with a dot) and port.
fn pool_of(host: &str, port: Option<&str>) -> Option<Pool> {
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.');
    let ip = host.parse::<std::net::IpAddr>().is_ok();
    let name = host.contains('.')
        && host.bytes().any(|b| b.is_ascii_alphabetic())
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !(ip || name || host.eq_ignore_ascii_case("localhost")) {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0)?),
        None => None,
    };
    Some(Pool { host: host.to_ascii_lowercase(), port })
}

/// A miner's option and its value (`-o X`, `--url=X`, `-p 'x'`), or one of its flags. Read
/// by the regex engine, so a hostile text costs what a regex scan costs.
static OPTION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"(?:^|[\s'"(])(?:(?P<o>-o|--url|-url|--pool|-P|-u|--user|-user|--wallet|-p|--pass|-pass|-a|--algo|--algorithm|-algo)"#,
        r#"(?:=|[ \t]+)['"]?(?P<v>[^\s'"()`,]+)"#,
        r#"|(?P<f>--donate-level|--donate-over-proxy|--cpu-max-threads-hint|--max-cpu-usage|--cpu-priority|--randomx-1gb-pages|--randomx-mode|--nicehash|--rig-id|--coin|-k|--keepalive|--tls)\b)"#,
    ))
});
/// Command separators: a miner's options belong to one command.
static SEPARATORS: LazyLock<Regex> = LazyLock::new(|| re(r"[\n;|&]+"));

/// Miner marks in one command.
fn segment(seg: &str, out: &mut MinerArgs) -> bool {
    let (mut pool, mut user, mut pass_x, mut other, mut keep) = (false, false, false, false, vec![]);
    for c in OPTION.captures_iter(seg) {
        if let Some(f) = c.name("f").map(|m| m.as_str()) {
            if MINER_FLAGS.contains(&f) {
                other = true;
                out.marks.push(f.to_string());
            } else {
                keep.push(f.to_string()); // -k, --tls: a miner's only next to a pool
            }
            continue;
        }
        let (Some(o), Some(v)) = (c.name("o").map(|m| m.as_str()), c.name("v").map(|m| m.as_str())) else {
            continue;
        };
        match o {
            "-o" | "--url" | "-url" | "--pool" | "-P" => {
                if let Some(p) = POOL_VALUE.captures(v).and_then(|c| pool_of(&c["h"], Some(&c["p"]))) {
                    pool = true;
                    out.marks.push(o.to_string());
                    if !out.pools.contains(&p) {
                        out.pools.push(p);
                    }
                }
            }
            "-u" | "--user" | "-user" | "--wallet" => {
                user = true;
                out.marks.push(o.to_string());
            }
            "-p" | "--pass" | "-pass" if v == "x" => {
                pass_x = true;
                out.marks.push(format!("{o} x"));
            }
            "-a" | "--algo" | "--algorithm" | "-algo" => {
                let lower = v.to_ascii_lowercase();
                if MINER_ALGOS.iter().any(|a| lower == *a || (a.len() > 2 && lower.starts_with(a))) {
                    other = true;
                    out.marks.push(format!("{o} {v}"));
                }
            }
            _ => {}
        }
    }
    if pool && !keep.is_empty() {
        pass_x = true;
        out.marks.extend(keep);
    }
    other || (pool && (user || pass_x))
}

/// What `text` (a command line, or a script's commands) says about a miner it starts.
pub(crate) fn miner_args(text: &str) -> Option<MinerArgs> {
    let stratum = STRATUM_WORD.is_match(text);
    let wallet = XMR_WALLET.find(text);
    if !stratum && wallet.is_none() && !OPTION_MARKS.is_match(text) {
        return None;
    }
    let mut out = MinerArgs::default();
    let mut found = false;
    for seg in SEPARATORS.split(text) {
        // Only commands with a miner's option are read for options.
        if OPTION_MARKS.is_match(seg) {
            found |= segment(seg, &mut out);
        }
    }
    for c in STRATUM.captures_iter(if stratum { text } else { "" }) {
        if let Some(p) = pool_of(&c["h"], c.name("p").map(|m| m.as_str())) {
            found = true;
            if !out.pools.iter().any(|q| q.host == p.host && (q.port == p.port || p.port.is_none())) {
                out.pools.push(p);
            }
        }
    }
    // xmrig's config.json: a pool list with a url (and a user, or miner-only keys).
    if text.contains("\"pools\"") && (text.contains("\"user\"") || text.contains("\"donate-level\"")) {
        for c in JSON_URL.captures_iter(text) {
            if let Some(p) = POOL_VALUE.captures(&c["v"]).and_then(|v| pool_of(&v["h"], Some(&v["p"]))) {
                found = true;
                if !out.pools.contains(&p) {
                    out.pools.push(p);
                }
            }
        }
    }
    if let Some(w) = wallet {
        found = true;
        out.wallet = Some(w.as_str().to_string());
    }
    out.marks.dedup();
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WALLET: &str =
        "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD";

    fn pools(text: &str) -> Option<Vec<String>> {
        miner_args(text).map(|m| m.pools.iter().map(Pool::endpoint).collect())
    }

    #[test]
    fn miners_by_their_arguments() {
        let t: &[(&str, &[&str])] = &[
            ("/tmp/kdevtmpfsi -o pool.example.net:3333 -u anything -p x", &["pool.example.net:3333"]),
            ("./.x -o 198.51.100.9:443 -u w.rig1 -k --tls", &["198.51.100.9:443"]),
            (
                "/dev/shm/.s --url=stratum+tcp://xmr.pool-minexmr.example:4444 --user=x",
                &["xmr.pool-minexmr.example:4444"],
            ),
            ("sysupdate -o stratum+ssl://[2001:db8::7]:14433 -u x -p x", &["[2001:db8::7]:14433"]),
            ("/var/tmp/kthreadd -a rx/0 -o pool.example.org:10128", &["pool.example.org:10128"]),
            ("./nicehash --donate-level 1", &[]),
            ("t-rex -a kawpow -P stratum+tcp://rvn.example.io:3636", &["rvn.example.io:3636"]),
            ("nohup ./x -o pool.example.net:5555 -p x >/dev/null 2>&1 &", &["pool.example.net:5555"]),
        ];
        for (cmd, want) in t {
            let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            assert_eq!(pools(cmd), Some(want), "{cmd}");
        }
        let m = miner_args(&format!("./kworker -o pool.example.net:80 -u {WALLET} -p x")).unwrap();
        assert_eq!(m.wallet.as_deref(), Some(WALLET));
        assert_eq!(
            m.describe(),
            "pool pool.example.net:80, wallet 48edfH…GUicoD (Monero), options -o -u -p x"
        );
        assert_eq!(pools(&format!("echo {WALLET}")), Some(vec![]));
    }

    #[test]
    fn xmrig_json_configuration() {
        let cfg =
            r#"{"autosave": true, "pools": [{"url": "pool.example.net:443", "user": "x", "tls": true}]}"#;
        assert_eq!(pools(cfg), Some(vec!["pool.example.net:443".to_string()]));
        assert_eq!(pools(r#"{"url": "http://app.example:8080/"}"#), None);
    }

    #[test]
    fn other_programs_are_not_miners() {
        for cmd in [
            "ssh -o StrictHostKeyChecking=no -p 2222 user@host",
            "curl -o /tmp/x -u user:pass http://203.0.113.9/x",
            "mount -o remount,rw /",
            "mysql -u root -p -h db.example:3306",
            "gcc -o main main.c -a",
            "node server.js --url=http://api.example:8080",
            "java -jar app.jar -o out.example:80",
            "tar -a -cf x.tar.gz x",
        ] {
            assert_eq!(miner_args(cmd), None, "{cmd}");
        }
    }
}
