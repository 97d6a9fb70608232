//! Suspicious-process rules: a data table (id, severity, ATT&CK, why) and the roles and
//! checks they use. Lineage rules read the tree; the others read one command line.

use std::collections::HashMap;

use crate::ingest::top::{kernel_style_name, Process, ProcessCapture};
use crate::model::Severity;

use super::cmdline::{self, normalize};
use crate::ingest::top::tree::Links;

/// One rule of the table.
#[derive(Debug)]
pub(super) struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub category: &'static str,
    /// ATT&CK technique ids, comma-separated.
    pub attack: &'static str,
    pub title: &'static str,
    /// Why it matters, for the summary.
    pub why: &'static str,
}

/// The rules, by id.
pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "proc.lineage.server-shell",
        severity: Severity::High,
        category: "execution",
        attack: "T1059.004,T1190",
        title: "Web server or app runtime spawned a shell",
        why: "Servers do not start shells in normal operation; this is how exploited apps (Log4Shell, deserialization, webshells) run commands",
    },
    Rule {
        id: "proc.lineage.server-shell-net",
        severity: Severity::Critical,
        category: "command-and-control",
        attack: "T1059.004,T1105",
        title: "Shell spawned by a server runs a network tool",
        why: "A shell under a web server fetching tools or talking to the network is hands-on-keyboard activity after an exploit",
    },
    Rule {
        id: "proc.revshell",
        severity: Severity::Critical,
        category: "command-and-control",
        attack: "T1059.004",
        title: "Reverse shell",
        why: "The command line wires a shell to a network socket",
    },
    Rule {
        id: "proc.download-exec",
        severity: Severity::High,
        category: "execution",
        attack: "T1105,T1059.004",
        title: "Download executed at once",
        why: "A fetched script or binary is piped into a shell or made executable and run",
    },
    Rule {
        id: "proc.base64-exec",
        severity: Severity::High,
        category: "defense-evasion",
        attack: "T1027,T1140",
        title: "Base64-wrapped command",
        why: "The command line decodes base64 and runs it, hiding what it does",
    },
    Rule {
        id: "proc.miner",
        severity: Severity::High,
        category: "impact",
        attack: "T1496",
        title: "Cryptocurrency miner",
        why: "Miner program, pool or options on the command line",
    },
    Rule {
        id: "proc.miner.cpu",
        severity: Severity::High,
        category: "impact",
        attack: "T1496",
        title: "Unknown program burning CPU",
        why: "An unfamiliar binary near a full core is the usual shape of a miner",
    },
    Rule {
        id: "proc.exec.writable-dir",
        severity: Severity::High,
        category: "execution",
        attack: "T1105",
        title: "Program run from a world-writable directory",
        why: "Dropped tools and miners run from /tmp, /var/tmp and /dev/shm",
    },
    Rule {
        id: "proc.exec.hidden-dir",
        severity: Severity::High,
        category: "defense-evasion",
        attack: "T1564.001",
        title: "Program run from a hidden directory",
        why: "Attackers hide tools in dot-directories",
    },
    Rule {
        id: "proc.interactive-shell",
        severity: Severity::Medium,
        category: "execution",
        attack: "T1059.004",
        title: "Interactive shell with a terminal in a server container",
        why: "Someone is typing in the container (docker exec -it, or an upgraded reverse shell)",
    },
    Rule {
        id: "proc.tty-upgrade",
        severity: Severity::High,
        category: "execution",
        attack: "T1059.006",
        title: "Shell upgraded to a terminal (pty.spawn, script -c, socat pty)",
        why: "A reverse or web shell is given a pseudo-terminal so the attacker can type interactively (su, sudo, editors); no service does this",
    },
    Rule {
        id: "proc.kthread-lookalike",
        severity: Severity::Medium,
        category: "defense-evasion",
        attack: "T1036.004",
        title: "User process disguised as a kernel thread",
        why: "Kernel threads have no memory of their own and are children of kthreadd (PID 2); a bracketed name on anything else is masquerading",
    },
];

/// The rule with `id` (ids are constants of this module).
pub(super) fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// What a process is, for lineage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Server,
    Shell,
    NetTool,
    Other,
}

const SERVERS: &[&str] = &[
    "java",
    "javaw",
    "jsvc",
    "httpd",
    "apache",
    "apache2",
    "nginx",
    "php-fpm",
    "php-cgi",
    "php",
    "node",
    "nodejs",
    "dotnet",
    "w3wp",
    "lighttpd",
    "caddy",
    "uwsgi",
    "gunicorn",
    "uvicorn",
    "hypercorn",
    "daphne",
    "puma",
    "unicorn",
    "passenger",
    "thin",
    "tomcat",
    "catalina",
    "jetty",
    "deno",
    "bun",
];
/// Marks on a python command line that make it a web app.
const PYTHON_APP: &[&str] = &[
    "gunicorn",
    "uwsgi",
    "flask",
    "django",
    "manage.py",
    "uvicorn",
    "hypercorn",
    "daphne",
    "waitress",
    "tornado",
    "wsgi",
    "asgi",
    "fastapi",
    "streamlit",
    "jupyter",
    "celery",
];
/// Marks on a ruby command line that make it a web app.
const RUBY_APP: &[&str] =
    &["puma", "unicorn", "rails", "rackup", "thin", "passenger", "sidekiq", "sinatra", "config.ru"];
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "pdksh", "csh", "tcsh", "fish", "hush", "rbash",
    "yash",
];
const NET_TOOLS: &[&str] = &[
    "nc",
    "ncat",
    "netcat",
    "nc.traditional",
    "nc.openbsd",
    "socat",
    "curl",
    "wget",
    "telnet",
    "ssh",
    "scp",
    "sftp",
    "ftp",
    "tftp",
    "ftpget",
    "ftpput",
    "pwncat",
    "proxychains",
];
const SCRIPTING: &[&str] = &["python", "perl", "php", "ruby", "node", "lua"];
const SOCKET_MARKS: &[&str] = &[
    "socket",
    "Socket",
    "fsockopen",
    "TCPSocket",
    "net.Socket",
    "urllib",
    "requests.get",
    "http.client",
    "LWP::",
];
/// Programs commonly busy in containers (not "unknown binaries" when they burn CPU).
const KNOWN_BUSY: &[&str] = &[
    "java",
    "node",
    "python",
    "ruby",
    "php",
    "php-fpm",
    "perl",
    "dotnet",
    "go",
    "postgres",
    "postmaster",
    "mysqld",
    "mariadbd",
    "mongod",
    "redis-server",
    "beam.smp",
    "erl",
    "elasticsearch",
    "nginx",
    "httpd",
    "apache2",
    "envoy",
    "gcc",
    "cc1",
    "cc1plus",
    "rustc",
    "cargo",
    "make",
    "ld",
    "clang",
    "ffmpeg",
    "gzip",
    "xz",
    "zstd",
    "tar",
    "rsync",
    "clickhouse",
    "influxd",
    "prometheus",
    "grafana",
    "kafka",
    "zookeeper",
    "haproxy",
    "varnishd",
    "memcached",
    "tomcat",
    "gunicorn",
    "uwsgi",
    "uvicorn",
    "puma",
    "unicorn",
];

/// The program a process runs, looked through `busybox <applet>`.
pub(super) fn program(p: &Process) -> String {
    let name = normalize(&p.exe);
    if name == "busybox" {
        if let Some(applet) = p.cmd.split_whitespace().nth(1) {
            return normalize(applet.rsplit('/').next().unwrap_or(applet));
        }
    }
    name
}

/// Package managers and launchers run by node: their shells (`npm start` -> `sh -c ...`)
/// are normal, so such a node is not a server.
const NODE_LAUNCHERS: &[&str] =
    &["npm", "npx", "yarn", "pnpm", "nodemon", "corepack", "node-gyp", "npm-cli.js"];
/// Shells a server starts in normal operation (Apache piped logs).
const SERVER_HELPER_SHELLS: &[&str] = &["rotatelogs", "cronolog", "logger "];

/// The role of a process in lineage rules.
pub(super) fn role(p: &Process) -> Role {
    let name = program(p);
    let n = name.as_str();
    let has = |marks: &[&str]| marks.iter().any(|m| p.cmd.contains(m));
    let launcher = || {
        let arg1 = p.cmd.split_whitespace().nth(1).unwrap_or("");
        NODE_LAUNCHERS.contains(&arg1.rsplit('/').next().unwrap_or(arg1))
    };
    let server = match n {
        "python" => has(PYTHON_APP),
        "ruby" => has(RUBY_APP),
        "node" | "nodejs" => !launcher(),
        _ => SERVERS.contains(&n),
    };
    if server {
        Role::Server
    } else if SHELLS.contains(&n) {
        Role::Shell
    } else if NET_TOOLS.contains(&n)
        || n == "openssl" && p.cmd.contains("s_client")
        || SCRIPTING.contains(&n) && has(SOCKET_MARKS)
    {
        Role::NetTool
    } else {
        Role::Other
    }
}

/// One rule hit: the rule, the chain of processes (oldest first) and what was seen.
#[derive(Debug)]
pub(super) struct Hit {
    pub rule: &'static Rule,
    /// Process indices, oldest ancestor first; the subject is at `subject`.
    pub chain: Vec<usize>,
    pub subject: usize,
    pub detail: String,
}

/// How far up lineage rules look for the server.
const MAX_UP: usize = 16;

/// Evaluate every rule over the capture. `order` is the tree's display order (parents
/// before children), so a command repeated by a child joins its parent's hit.
pub(super) fn evaluate(capture: &ProcessCapture, links: &Links, order: &[usize]) -> Vec<Hit> {
    let procs = &capture.processes;
    let roles: Vec<Role> = procs.iter().map(role).collect();
    let has_server = roles.contains(&Role::Server);
    let mut hits: Vec<Hit> = Vec::new();
    // Hits a child may join: (rule, detail, last process of the chain) -> hit.
    let mut open: HashMap<(&str, String, usize), usize> = HashMap::new();
    for &i in order {
        let p = &procs[i];
        let parent = links.parent[i];
        let mut found: Vec<(&str, Vec<usize>, String)> = Vec::new();

        // Lineage: server -> shell, server -> shell(s) -> network tool.
        if roles[i] == Role::Shell && !SERVER_HELPER_SHELLS.iter().any(|h| p.cmd.contains(h)) {
            if let Some(pa) = parent.filter(|&pa| roles[pa] == Role::Server) {
                found.push(("proc.lineage.server-shell", vec![pa, i], String::new()));
            }
        }
        if roles[i] == Role::NetTool {
            let up = links.ancestors(i, MAX_UP);
            let shells = up.iter().take_while(|&&a| roles[a] == Role::Shell).count();
            if up.get(shells).is_some_and(|&s| shells > 0 && roles[s] == Role::Server) {
                let mut chain: Vec<usize> = up[..=shells].iter().rev().copied().collect();
                chain.push(i);
                found.push(("proc.lineage.server-shell-net", chain, String::new()));
            }
        }

        // Command line, and what it hides in base64.
        let decoded = cmdline::base64_payloads(&p.cmd);
        if let Some(first) = decoded.first() {
            found.push((
                "proc.base64-exec",
                lineage(links, &roles, i),
                format!("decoded: {}", clip(first, 300)),
            ));
        }
        let texts =
            std::iter::once((p.cmd.as_str(), false)).chain(decoded.iter().map(|d| (d.as_str(), true)));
        for (text, from_b64) in texts {
            let via = if from_b64 { " (decoded from base64)" } else { "" };
            if let Some(r) = cmdline::reverse_shell(text) {
                let kind = if r.bind { "bind shell on" } else { "callback" };
                let target = r.callback.unwrap_or_else(|| "unknown".into());
                found.push((
                    "proc.revshell",
                    lineage(links, &roles, i),
                    format!("{kind} {target} ({}){via}", r.family),
                ));
            }
            if let Some(how) = cmdline::tty_upgrade(text) {
                found.push(("proc.tty-upgrade", lineage(links, &roles, i), format!("{how}{via}")));
            }
            if let Some(url) = cmdline::download_exec(text) {
                found.push(("proc.download-exec", lineage(links, &roles, i), format!("source {url}{via}")));
            }
        }

        let name = program(p);
        let kernel_style = kernel_style_name(&p.cmd).is_some();
        if let Some(why) = cmdline::miner(&name, &p.cmd) {
            found.push(("proc.miner", lineage(links, &roles, i), why));
        } else if p.cpu_percent.is_some_and(|c| c >= 80.0)
            && !kernel_style
            && roles[i] == Role::Other
            && !KNOWN_BUSY.contains(&name.as_str())
        {
            let cpu = p.cpu_percent.unwrap_or_default();
            found.push(("proc.miner.cpu", lineage(links, &roles, i), format!("{cpu:.1}% CPU")));
        }
        for path in cmdline::executed_paths(&p.cmd) {
            if let Some(dir) = cmdline::in_writable_dir(&path) {
                found.push((
                    "proc.exec.writable-dir",
                    lineage(links, &roles, i),
                    format!("{path} is under {dir}"),
                ));
            }
            if let Some(dir) = cmdline::hidden_dir(&path) {
                found.push((
                    "proc.exec.hidden-dir",
                    lineage(links, &roles, i),
                    format!("{path} is under {dir}/"),
                ));
            }
        }
        if roles[i] == Role::Shell && has_server && interactive_tty(p) {
            let tty = p.tty.clone().unwrap_or_default();
            found.push(("proc.interactive-shell", lineage(links, &roles, i), format!("terminal {tty}")));
        }
        if kernel_style && kthread_lookalike(p) {
            found.push(("proc.kthread-lookalike", lineage(links, &roles, i), kthread_detail(p)));
        }

        for (id, chain, detail) in found {
            // A child repeating its parent's command (sh -c '...' -> bash ...) joins that hit.
            let key = (id, detail);
            match parent.and_then(|pa| open.remove(&(key.0, key.1.clone(), pa))) {
                Some(h) => {
                    hits[h].chain.push(i);
                    open.insert((key.0, key.1, i), h);
                }
                None => {
                    let subject = chain.len().saturating_sub(1);
                    open.insert((key.0, key.1.clone(), i), hits.len());
                    hits.push(Hit { rule: rule(id), chain, subject, detail: key.1 });
                }
            }
        }
    }
    hits
}

/// The chain shown for a process: from its nearest server ancestor (when within reach)
/// down to it, else its parent and it.
fn lineage(links: &Links, roles: &[Role], i: usize) -> Vec<usize> {
    let up = links.ancestors(i, MAX_UP);
    let cut = match up.iter().position(|&a| roles[a] == Role::Server) {
        Some(s) => s + 1,
        None => up.len().min(1),
    };
    let mut chain: Vec<usize> = up[..cut].iter().rev().copied().collect();
    chain.push(i);
    chain
}

fn interactive_tty(p: &Process) -> bool {
    p.tty.as_deref().is_some_and(|t| !matches!(t, "" | "?" | "-" | "??"))
}

/// A bracketed name that is not a kernel thread: it has memory, a parent other than
/// kthreadd (2) or none (0), or a non-root owner. Zombies (`<defunct>`, state Z) excepted.
fn kthread_lookalike(p: &Process) -> bool {
    if p.cmd.contains("<defunct>") || p.stat.as_deref().is_some_and(|s| s.starts_with('Z')) {
        return false;
    }
    p.vsz.is_some_and(|v| v > 0)
        || p.rss.is_some_and(|v| v > 0)
        || p.ppid.is_some_and(|pp| pp != 0 && pp != 2)
        || p.user.as_deref().is_some_and(|u| u != "root")
        || p.uid.is_some_and(|u| u != 0)
}

fn kthread_detail(p: &Process) -> String {
    let mut parts = Vec::new();
    if let Some(pp) = p.ppid.filter(|&pp| pp != 0 && pp != 2) {
        parts.push(format!("parent PID {pp} is not kthreadd"));
    }
    if p.vsz.is_some_and(|v| v > 0) || p.rss.is_some_and(|v| v > 0) {
        parts.push(format!("has memory (VSZ {} KiB, RSS {} KiB)", p.vsz.unwrap_or(0), p.rss.unwrap_or(0)));
    }
    if let Some(u) = p.user.as_deref().filter(|u| *u != "root") {
        parts.push(format!("runs as {u}"));
    }
    parts.join(", ")
}

/// `s` cut to at most `max` characters, `…` marking the cut.
pub(super) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}
