//! Suspicious-process rules: a data table (id, severity, ATT&CK, why) and the roles and
//! checks they use. Lineage rules read the tree; the others read one command line.

use std::collections::HashMap;

use crate::ingest::top::{kernel_style_name, Process, ProcessCapture};
use crate::model::{Family, IocKind, IocRef, Role as StoryRole, RuleDef, RuleKind, Severity};

use crate::cmdline::{self, normalize};
use crate::ingest::top::tree::Links;

/// One rule of the table.
#[derive(Debug)]
pub(super) struct ProcessRule {
    pub def: RuleDef,
    /// Why it matters, for the summary.
    pub why: &'static str,
}

/// The rules, by id.
pub(super) const RULES: &[ProcessRule] = &[
    ProcessRule {
        def: RuleDef::new(
            "proc.lineage.server-shell",
            RuleKind::of(Family::Process).with(StoryRole::ServerShell).generic(),
            Severity::High,
            "execution",
            "T1059.004,T1190",
            "Web server or app runtime spawned a shell",
        ),
        why: "Servers do not start shells in normal operation; this is how exploited apps (Log4Shell, deserialization, webshells) run commands",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.lineage.server-shell-net",
            RuleKind::of(Family::Process).with(StoryRole::ServerShell).generic(),
            Severity::Critical,
            "command-and-control",
            "T1059.004,T1105",
            "Shell spawned by a server runs a network tool",
        ),
        why: "A shell under a web server fetching tools or talking to the network is hands-on-keyboard activity after an exploit",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.revshell",
            RuleKind::of(Family::Process).with(StoryRole::Session),
            Severity::Critical,
            "command-and-control",
            "T1059.004",
            "Reverse shell",
        ),
        why: "The command line wires a shell to a network socket",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.download-exec",
            RuleKind::of(Family::Process),
            Severity::High,
            "execution",
            "T1105,T1059.004",
            "Download executed at once",
        ),
        why: "A fetched script or binary is piped into a shell or made executable and run",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.base64-exec",
            RuleKind::of(Family::Process).generic(),
            Severity::High,
            "defense-evasion",
            "T1027,T1140",
            "Base64-wrapped command",
        ),
        why: "The command line decodes base64 and runs it, hiding what it does",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.miner",
            RuleKind::of(Family::Process).with(StoryRole::Miner),
            Severity::High,
            "impact",
            "T1496",
            "Cryptocurrency miner",
        ),
        why: "Miner program, pool or options on the command line",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.miner.cpu",
            RuleKind::of(Family::Process).with(StoryRole::Miner),
            Severity::High,
            "impact",
            "T1496",
            "Unknown program burning CPU",
        ),
        why: "An unfamiliar binary near a full core is the usual shape of a miner",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.exec.writable-dir",
            RuleKind::of(Family::Process).generic(),
            Severity::High,
            "execution",
            "T1105",
            "Program run from a world-writable directory",
        ),
        why: "Dropped tools and miners run from /tmp, /var/tmp and /dev/shm",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.exec.hidden-dir",
            RuleKind::of(Family::Process).generic(),
            Severity::High,
            "defense-evasion",
            "T1564.001",
            "Program run from a hidden directory",
        ),
        why: "Attackers hide tools in dot-directories",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.interactive-shell",
            RuleKind::of(Family::Process),
            Severity::Medium,
            "execution",
            "T1059.004",
            "Interactive shell with a terminal in a server container",
        ),
        why: "Someone is typing in the container (docker exec -it, or an upgraded reverse shell)",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.tty-upgrade",
            RuleKind::of(Family::Process).with(StoryRole::Session),
            Severity::High,
            "execution",
            "T1059.006",
            "Shell upgraded to a terminal (pty.spawn, script -c, socat pty)",
        ),
        why: "A reverse or web shell is given a pseudo-terminal so the attacker can type interactively (su, sudo, editors); no service does this",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.kthread-lookalike",
            RuleKind::of(Family::Process),
            Severity::High,
            "defense-evasion",
            "T1036.004,T1036.005",
            "User process disguised as a kernel thread",
        ),
        why: "Kernel threads have no command line, no memory of their own and are children of kthreadd (PID 2); a kernel thread's name on anything else (bracketed with arguments or a user-space parent, or a program file named kworker, kswapd0...) is masquerading",
    },
    ProcessRule {
        def: RuleDef::new(
            "proc.persistence.loop",
            RuleKind::of(Family::Process),
            Severity::Critical,
            "persistence",
            "T1059.004,T1095",
            "Loop relaunching a reverse shell or callback",
        ),
        why: "A shell loop (while true / until / for (;;) / watch) that starts a reverse shell or fetches and runs a payload again and again brings the attacker back every time the connection drops: persistence and command and control",
    },
];

/// The rule with `id` (ids are constants of this module).
pub(super) fn rule(id: &str) -> &'static ProcessRule {
    RULES.iter().find(|r| r.def.id == id).unwrap_or(&RULES[0])
}

/// What a process is, for lineage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ProcessClass {
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
pub(super) fn role(p: &Process) -> ProcessClass {
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
        ProcessClass::Server
    } else if SHELLS.contains(&n) {
        ProcessClass::Shell
    } else if NET_TOOLS.contains(&n)
        || n == "openssl" && p.cmd.contains("s_client")
        || SCRIPTING.contains(&n) && has(SOCKET_MARKS)
    {
        ProcessClass::NetTool
    } else {
        ProcessClass::Other
    }
}

/// One rule hit: the rule, the chain of processes (oldest first) and what was seen.
#[derive(Debug)]
pub(super) struct Hit {
    pub rule: &'static ProcessRule,
    /// Process indices, oldest ancestor first; the subject is at `subject`.
    pub chain: Vec<usize>,
    pub subject: usize,
    pub detail: String,
    /// Indicators the command line names (callback, payload URL, mining pool).
    pub iocs: Vec<IocRef>,
}

/// One rule's finding on one process before hits join: rule id, chain, detail, indicators.
type Found = (&'static str, Vec<usize>, String, Vec<IocRef>);

/// How far up lineage rules look for the server.
const MAX_UP: usize = 16;

/// Evaluate every rule over the capture. `order` is the tree's display order (parents
/// before children), so a command repeated by a child joins its parent's hit.
pub(super) fn evaluate(capture: &ProcessCapture, links: &Links, order: &[usize]) -> Vec<Hit> {
    let procs = &capture.processes;
    let roles: Vec<ProcessClass> = procs.iter().map(role).collect();
    let has_server = roles.contains(&ProcessClass::Server);
    let mut hits: Vec<Hit> = Vec::new();
    // Hits a child may join: (rule, detail, last process of the chain) -> hit.
    let mut open: HashMap<(&str, String, usize), usize> = HashMap::new();
    for &i in order {
        let p = &procs[i];
        let parent = links.parent[i];
        let mut found: Vec<Found> = Vec::new();

        // Lineage: server -> shell, server -> shell(s) -> network tool.
        if roles[i] == ProcessClass::Shell && !SERVER_HELPER_SHELLS.iter().any(|h| p.cmd.contains(h)) {
            if let Some(pa) = parent.filter(|&pa| roles[pa] == ProcessClass::Server) {
                found.push(("proc.lineage.server-shell", vec![pa, i], String::new(), vec![]));
            }
        }
        if roles[i] == ProcessClass::NetTool {
            let up = links.ancestors(i, MAX_UP);
            let shells = up.iter().take_while(|&&a| roles[a] == ProcessClass::Shell).count();
            if up.get(shells).is_some_and(|&s| shells > 0 && roles[s] == ProcessClass::Server) {
                let mut chain: Vec<usize> = up[..=shells].iter().rev().copied().collect();
                chain.push(i);
                found.push(("proc.lineage.server-shell-net", chain, String::new(), vec![]));
            }
        }

        // Command line, and what it hides in base64.
        let decoded = cmdline::base64_payloads(&p.cmd);
        if let Some(first) = decoded.first() {
            found.push((
                "proc.base64-exec",
                lineage(links, &roles, i),
                format!("decoded: {}", clip(first, 300)),
                vec![],
            ));
        }
        let texts =
            std::iter::once((p.cmd.as_str(), false)).chain(decoded.iter().map(|d| (d.as_str(), true)));
        let mut relaunch_seen = false;
        for (text, from_b64) in texts {
            // The command it decoded, so the finding shows what ran, not only where it called.
            let via =
                if from_b64 { format!(" (decoded from base64: {})", clip(text, 200)) } else { String::new() };
            if let Some(r) = cmdline::reverse_shell(text) {
                let kind = if r.bind { "bind shell on" } else { "callback" };
                let iocs = match (&r.callback, r.bind) {
                    (Some(cb), false) => cmdline::endpoint_iocs(cb, "callback"),
                    _ => vec![],
                };
                let target = r.callback.unwrap_or_else(|| "unknown".into());
                found.push((
                    "proc.revshell",
                    lineage(links, &roles, i),
                    format!("{kind} {target} ({}){via}", r.family),
                    iocs,
                ));
            }
            if let Some(how) = cmdline::tty_upgrade(text) {
                found.push(("proc.tty-upgrade", lineage(links, &roles, i), format!("{how}{via}"), vec![]));
            }
            if let Some(url) = cmdline::download_exec(text) {
                let iocs = url_iocs(&url, "payload");
                found.push((
                    "proc.download-exec",
                    lineage(links, &roles, i),
                    format!("source {url}{via}"),
                    iocs,
                ));
            }
            if let Some(l) = cmdline::relaunch_loops(text).into_iter().next().filter(|_| !relaunch_seen) {
                relaunch_seen = true;
                found.push((
                    "proc.persistence.loop",
                    lineage(links, &roles, i),
                    format!("{}{via}", l.describe().trim_end_matches(", line 1")),
                    relaunch_iocs(&l),
                ));
            }
        }

        let name = program(p);
        let kernel_style = kernel_style_name(&p.cmd).is_some();
        let disguise = kthread_disguise(p);
        let by_name = cmdline::miner(&name, &p.cmd);
        let args = cmdline::miner_args(&p.cmd);
        if by_name.is_some() || args.is_some() {
            let mut why: Vec<String> = by_name.into_iter().collect();
            let mut iocs = vec![];
            if let Some(a) = &args {
                why.push(a.describe());
                for pool in &a.pools {
                    iocs.extend(cmdline::endpoint_iocs(&pool.endpoint(), "mining-pool"));
                }
            }
            why.retain(|w| !w.is_empty());
            found.push(("proc.miner", lineage(links, &roles, i), why.join("; "), iocs));
        } else if p.cpu_percent.is_some_and(|c| c >= 80.0)
            && !kernel_style
            && disguise.is_none()
            && roles[i] == ProcessClass::Other
            && !KNOWN_BUSY.contains(&name.as_str())
        {
            let cpu = p.cpu_percent.unwrap_or_default();
            found.push(("proc.miner.cpu", lineage(links, &roles, i), format!("{cpu:.1}% CPU"), vec![]));
        }
        for path in cmdline::executed_paths(&p.cmd) {
            if let Some(dir) = cmdline::in_writable_dir(&path) {
                found.push((
                    "proc.exec.writable-dir",
                    lineage(links, &roles, i),
                    format!("{path} is under {dir}"),
                    vec![],
                ));
            }
            if let Some(dir) = cmdline::hidden_dir(&path) {
                found.push((
                    "proc.exec.hidden-dir",
                    lineage(links, &roles, i),
                    format!("{path} is under {dir}/"),
                    vec![],
                ));
            }
        }
        if roles[i] == ProcessClass::Shell && has_server && interactive_tty(p) {
            let tty = p.tty.clone().unwrap_or_default();
            found.push((
                "proc.interactive-shell",
                lineage(links, &roles, i),
                format!("terminal {tty}"),
                vec![],
            ));
        }
        if let Some(detail) = disguise.map(|d| kthread_detail(p, &d, parent.map(|pa| &procs[pa]))) {
            found.push(("proc.kthread-lookalike", lineage(links, &roles, i), detail, vec![]));
        }

        for (id, chain, detail, iocs) in found {
            // A child repeating its parent's command (sh -c '...' -> bash ...) joins that hit;
            // a disguise is the process's own, one finding each.
            let key = (id, detail);
            let joined = if id == "proc.kthread-lookalike" {
                None
            } else {
                parent.and_then(|pa| open.remove(&(key.0, key.1.clone(), pa)))
            };
            match joined {
                Some(h) => {
                    hits[h].chain.push(i);
                    open.insert((key.0, key.1, i), h);
                }
                None => {
                    let subject = chain.len().saturating_sub(1);
                    open.insert((key.0, key.1.clone(), i), hits.len());
                    hits.push(Hit { rule: rule(id), chain, subject, detail: key.1, iocs });
                }
            }
        }
    }
    hits
}

/// The chain shown for a process: from its nearest server ancestor (when within reach)
/// down to it, else its parent and it.
fn lineage(links: &Links, roles: &[ProcessClass], i: usize) -> Vec<usize> {
    let up = links.ancestors(i, MAX_UP);
    let cut = match up.iter().position(|&a| roles[a] == ProcessClass::Server) {
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

/// Names of Linux kernel threads (the part before any `/N` or `:N`), and of their
/// well-known variants with a CPU or device number glued on (`kswapd0`, `ksoftirqd`).
const KTHREAD_NAMES: &[&str] = &[
    "kthreadd",
    "kworker",
    "ksoftirqd",
    "kswapd",
    "kswapd0",
    "migration",
    "rcu_sched",
    "rcu_bh",
    "rcu_preempt",
    "rcu_gp",
    "rcu_par_gp",
    "watchdog",
    "watchdogd",
    "kdevtmpfs",
    "khugepaged",
    "kblockd",
    "kauditd",
    "ksmd",
    "kcompactd",
    "kcompactd0",
    "kintegrityd",
    "jbd2",
    "writeback",
    "netns",
    "kthrotld",
    "kpsmoused",
    "kworkerd",
    "khungtaskd",
    "oom_reaper",
    "cpuhp",
    "idle_inject",
    "mm_percpu_wq",
    "kstrp",
    "ipv6_addrconf",
    "ecryptfs-kthrea",
];

/// A kernel thread's name: one of [`KTHREAD_NAMES`], optionally followed by `/...`,
/// `:...`, `-...` or digits (`kworker/0:1H-events`, `ksoftirqd/3`, `jbd2/sda1-8`).
fn kthread_name(name: &str) -> bool {
    let stem = name.split(['/', ':']).next().unwrap_or(name);
    let stem = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    KTHREAD_NAMES.iter().any(|k| stem == *k || stem.trim_end_matches('-') == *k)
}

/// How a process poses as a kernel thread, when it does.
#[derive(Debug)]
enum Disguise {
    /// `[name]` with nothing after it (ps shows every kernel thread so).
    Bracketed(String),
    /// `[name] args...`: a kernel thread has no command line.
    BracketedArgs(String, String),
    /// A program file named like a kernel thread (`/tmp/kworker`, `./kswapd0`): kernel
    /// threads have no file.
    Named(String),
}

/// The disguise of `p`, if it wears one. A bracketed name is suspicious only away from
/// kthreadd (see [`kthread_lookalike`]); zombies (`<defunct>`, state Z) are never one.
fn kthread_disguise(p: &Process) -> Option<Disguise> {
    if p.cmd.contains("<defunct>") || p.stat.as_deref().is_some_and(|s| s.starts_with('Z')) {
        return None;
    }
    let cmd = p.cmd.trim();
    if let Some(inner) = kernel_style_name(cmd) {
        return kthread_lookalike(p).then(|| Disguise::Bracketed(inner.to_string()));
    }
    if let Some(rest) = cmd.strip_prefix('[') {
        if let Some((name, args)) = rest.split_once(']') {
            let args = args.trim();
            if !name.is_empty() && !name.contains(char::is_whitespace) && !args.is_empty() {
                return Some(Disguise::BracketedArgs(name.to_string(), args.to_string()));
            }
        }
    }
    let argv0 = cmd.split_whitespace().next().unwrap_or("");
    let argv0 = argv0.trim_matches(|c| c == '\'' || c == '"');
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    (argv0.contains('/') && kthread_name(base)).then(|| Disguise::Named(argv0.to_string()))
}

/// A bracketed name that is not a kernel thread: it has memory, a parent other than
/// kthreadd (2) or none (0), or a non-root owner.
fn kthread_lookalike(p: &Process) -> bool {
    p.vsz.is_some_and(|v| v > 0)
        || p.rss.is_some_and(|v| v > 0)
        || p.ppid.is_some_and(|pp| pp != 0 && pp != 2)
        || p.user.as_deref().is_some_and(|u| u != "root")
        || p.uid.is_some_and(|u| u != 0)
}

fn kthread_detail(p: &Process, d: &Disguise, parent: Option<&Process>) -> String {
    let mut parts = Vec::new();
    match d {
        Disguise::Bracketed(n) => parts.push(format!("named [{n}]")),
        Disguise::BracketedArgs(n, args) => parts
            .push(format!("named [{n}] but has arguments ({}): kernel threads have none", clip(args, 80))),
        Disguise::Named(path) => parts.push(format!(
            "runs the program file {path}, named like a kernel thread: kernel threads have no file"
        )),
    }
    if let Some(pp) = p.ppid.filter(|&pp| pp != 0 && pp != 2) {
        match parent {
            Some(pa) => parts.push(format!("parent {} ({pp}) is a user-space process, not kthreadd", pa.exe)),
            None => parts.push(format!("parent PID {pp} is not kthreadd")),
        }
    }
    if p.vsz.is_some_and(|v| v > 0) || p.rss.is_some_and(|v| v > 0) {
        parts.push(format!("has memory (VSZ {} KiB, RSS {} KiB)", p.vsz.unwrap_or(0), p.rss.unwrap_or(0)));
    }
    if let Some(u) = p.user.as_deref().filter(|u| *u != "root") {
        parts.push(format!("runs as {u}"));
    }
    parts.join(", ")
}

/// Indicators of a relaunch loop: its callback, or the URL (and host) it fetches.
fn relaunch_iocs(l: &cmdline::Relaunch) -> Vec<IocRef> {
    match &l.what {
        cmdline::Relaunched::Shell(_) => {
            l.callback().map(|c| cmdline::endpoint_iocs(c, "callback")).unwrap_or_default()
        }
        cmdline::Relaunched::Fetch(u) => url_iocs(u, "payload"),
    }
}

/// A URL a command fetches, as an indicator (nothing for `?`).
fn url_iocs(url: &str, role: &'static str) -> Vec<IocRef> {
    if url == "?" {
        return vec![];
    }
    vec![IocRef { kind: IocKind::Url, value: url.to_string(), role }]
}

/// `s` cut to at most `max` characters, `…` marking the cut.
pub(super) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}
