//! Suspicious-file rules, as data: each rule has an id, severity, ATT&CK technique, why it
//! matters, a scope (any layer, or only the container's own changes) and a test on a change
//! record (path globs, content signatures seen while the layer streamed, mode bits,
//! account facts, log4j versions). Findings carry artifact > layer blob > file.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::container::Container;
use super::file_change::Side;
use super::load::LoadedImage;
use super::tree::{Change, ChangeRec, RecRare};
use crate::content::{log4j_vulnerability, sig, Magic, SigSet};
use crate::layerfs::show_path;
use crate::layerfs::FileType;
use crate::model::{Family, Finding, IocRef, Locator, Outcome, Role, RuleDef, RuleKind, Severity, Timestamp};

/// Where a rule applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Any layer of any image, and the container's changes.
    Any,
    /// Only the container's own changes (commit layers, export diff): builds do these
    /// things legitimately.
    Container,
}

/// What a rule tests.
enum Test {
    /// Web scripts (by extension) whose content matched every group (any bit of each).
    WebContent(&'static [&'static str], &'static [SigSet]),
    /// Any scanned file whose content matched every group.
    Content(&'static [SigSet]),
    /// Added or modified (not a directory) at a path matching a glob.
    Path(&'static [&'static str]),
    /// An ELF binary or script in a temp directory.
    ExecInTemp,
    /// An ELF binary or script under a hidden directory.
    ExecInHidden,
    /// setuid/setgid bit newly set.
    Setuid,
    /// A new uid-0 account in `/etc/passwd`.
    NewUid0,
    /// A system binary whose content was replaced.
    ReplacedBinary,
    /// A shell history deleted, emptied or linked to /dev/null.
    HistoryWiped,
    /// A log file deleted, truncated or linked to /dev/null (not by log rotation).
    LogWiped,
    /// A script with a loop that relaunches a shell or a callback.
    RelaunchLoop,
    /// A script that starts a miner (pool, user, algorithm, wallet in its arguments).
    MinerArgs,
    /// log4j-core with the Log4Shell RCE (CVE-2021-44228/45046).
    Log4jRce,
    /// log4j-core 2.16 (CVE-2021-45105, DoS).
    Log4jDos,
    /// A member name with `..`.
    Traversal,
    /// Needs the base image's time: evaluated in `evaluate_container` only.
    Timestomp,
}

struct FileRule {
    def: RuleDef,
    why: &'static str,
    scope: Scope,
    test: Test,
}

// Signature bits (see content::SIGNATURES).
const RT_EXEC: SigSet = sig(0);
const PROC_BUILDER: SigSet = sig(1);
const DEFINE_CLASS: SigSet = sig(2);
const CIPHER_AES: SigSet = sig(3) | sig(4);
const PHP_EVAL_INPUT: SigSet = sig(5) | sig(6) | sig(7) | sig(8) | sig(12) | sig(13) | sig(14) | sig(27);
const PHP_B64: SigSet = sig(9);
const PHP_EVAL: SigSet = sig(10) | sig(11);
const ASP_EVAL: SigSet = sig(15) | sig(16);
const ASP_EXEC: SigSet = sig(17) | sig(18);
const ASP_LOAD: SigSet = sig(19);
const REQUEST: SigSet = sig(20);
const MINER: SigSet = sig(21) | sig(22) | sig(23) | sig(24) | sig(25) | sig(26);
const GET_PARAM: SigSet = sig(28);
const DEV_TCP: SigSet = sig(30);
const INTERACTIVE: SigSet = sig(31) | sig(32);

const JSP: &[&str] = &["jsp", "jspx", "jspf"];
const PHP: &[&str] = &["php", "php3", "php4", "php5", "php7", "phtml", "phar", "pht"];
const ASP: &[&str] = &["asp", "aspx", "ashx", "asmx", "asa", "cer", "cshtml"];

static RULES: &[FileRule] = &[
    FileRule {
        def: RuleDef::new(
            "file.webshell.jsp",
            RuleKind::of(Family::File).with(Role::Webshell),
            Severity::Critical,
            "persistence",
            "T1505.003",
            "JSP webshell",
        ),
        why: "a JSP page that runs operating-system commands (Runtime.getRuntime().exec / ProcessBuilder) is a command webshell",
        scope: Scope::Any,
        test: Test::WebContent(JSP, &[RT_EXEC | PROC_BUILDER]),
    },
    FileRule {
        def: RuleDef::new(
            "file.webshell.behinder",
            RuleKind::of(Family::File).with(Role::Webshell),
            Severity::Critical,
            "persistence",
            "T1505.003",
            "Encrypted class-loading webshell (Behinder/Godzilla style)",
        ),
        why: "a server page that defines classes at run time from AES/Cipher-decrypted request data is the Behinder/Godzilla webshell pattern",
        scope: Scope::Any,
        test: Test::WebContent(JSP, &[DEFINE_CLASS | sig(29), CIPHER_AES]),
    },
    FileRule {
        def: RuleDef::new(
            "file.webshell.jsp-param",
            RuleKind::of(Family::File).with(Role::Webshell),
            Severity::High,
            "persistence",
            "T1505.003",
            "JSP page executing request parameters",
        ),
        why: "a JSP page that reads request parameters and loads classes is typical of memory/loader webshells",
        scope: Scope::Any,
        test: Test::WebContent(JSP, &[GET_PARAM, DEFINE_CLASS]),
    },
    FileRule {
        def: RuleDef::new(
            "file.webshell.php",
            RuleKind::of(Family::File).with(Role::Webshell),
            Severity::Critical,
            "persistence",
            "T1505.003",
            "PHP webshell",
        ),
        why: "PHP that evaluates or runs request input (eval($_POST..., assert($_..., system($_...) is a China Chopper style webshell",
        scope: Scope::Any,
        test: Test::WebContent(PHP, &[PHP_EVAL_INPUT]),
    },
    FileRule {
        def: RuleDef::new(
            "file.webshell.php-obfuscated",
            RuleKind::of(Family::File).with(Role::Webshell),
            Severity::High,
            "persistence",
            "T1505.003",
            "Obfuscated PHP evaluating decoded code",
        ),
        why: "PHP that evaluates base64-decoded code is how Godzilla and many packed webshells hide",
        scope: Scope::Any,
        test: Test::WebContent(PHP, &[PHP_B64, PHP_EVAL]),
    },
    FileRule {
        def: RuleDef::new(
            "file.webshell.aspx",
            RuleKind::of(Family::File).with(Role::Webshell),
            Severity::Critical,
            "persistence",
            "T1505.003",
            "ASP/ASPX webshell",
        ),
        why: "an ASP(X) page that evaluates request input or loads assemblies from it is a webshell",
        scope: Scope::Any,
        test: Test::WebContent(ASP, &[ASP_EVAL | ASP_LOAD, REQUEST]),
    },
    FileRule {
        def: RuleDef::new(
            "file.webshell.aspx-exec",
            RuleKind::of(Family::File).with(Role::Webshell),
            Severity::High,
            "persistence",
            "T1505.003",
            "ASP/ASPX page starting processes from requests",
        ),
        why: "an ASP(X) page that starts processes (Process.Start / cmd.exe) from request data is a command webshell",
        scope: Scope::Any,
        test: Test::WebContent(ASP, &[ASP_EXEC, REQUEST]),
    },
    FileRule {
        def: RuleDef::new(
            "file.miner",
            RuleKind::of(Family::File).with(Role::Miner),
            Severity::High,
            "impact",
            "T1496",
            "Cryptocurrency miner",
        ),
        why: "mining pool protocol strings (stratum+tcp://), xmrig/cryptonight names or known miner droppers (kdevtmpfsi) in a file",
        scope: Scope::Any,
        test: Test::Content(&[MINER]),
    },
    FileRule {
        def: RuleDef::new(
            "file.reverse-shell",
            RuleKind::of(Family::File),
            Severity::High,
            "execution",
            "T1059.004",
            "Script with a /dev/tcp reverse shell",
        ),
        why: "an interactive shell (`sh -i`, `0>&1`) wired to bash's /dev/tcp/HOST/PORT is the classic reverse shell",
        scope: Scope::Any,
        test: Test::Content(&[DEV_TCP, INTERACTIVE]),
    },
    FileRule {
        def: RuleDef::new(
            "file.miner.args",
            RuleKind::of(Family::File),
            Severity::High,
            "impact",
            "T1496",
            "Script starting a miner",
        ),
        why: "a command with a mining pool and its user (-o host:port -u), a stratum URL, a RandomX/CryptoNight algorithm, --donate-level or a Monero wallet starts a miner, whatever its program is called",
        scope: Scope::Any,
        test: Test::MinerArgs,
    },
    FileRule {
        def: RuleDef::new(
            "file.persistence.loop",
            RuleKind::of(Family::File).with(Role::FilePersistence),
            Severity::Critical,
            "command-and-control",
            "T1059.004,T1095",
            "Script looping a reverse shell or callback",
        ),
        why: "a loop (while true, until, for (;;), watch) that starts a reverse shell or fetches and runs a payload again and again brings the attacker back every time the connection drops: persistence and command and control",
        scope: Scope::Container,
        test: Test::RelaunchLoop,
    },
    FileRule {
        def: RuleDef::new(
            "file.exec.temp",
            RuleKind::of(Family::File).generic(),
            Severity::High,
            "execution",
            "T1105",
            "Executable dropped in a temp directory",
        ),
        why: "ELF binaries and scripts written to /tmp, /var/tmp or /dev/shm are how droppers stage miners and tools",
        scope: Scope::Any,
        test: Test::ExecInTemp,
    },
    FileRule {
        def: RuleDef::new(
            "file.exec.hidden",
            RuleKind::of(Family::File).generic(),
            Severity::High,
            "defense-evasion",
            "T1564.001",
            "Executable in a hidden directory",
        ),
        why: "an ELF binary or script under a dot-directory added by the container hides from casual listing",
        scope: Scope::Container,
        test: Test::ExecInHidden,
    },
    FileRule {
        def: RuleDef::new(
            "file.setuid",
            RuleKind::of(Family::File),
            Severity::High,
            "privilege-escalation",
            "T1548.001",
            "setuid/setgid bit added",
        ),
        why: "a setuid/setgid file created or changed by the container is a privilege-escalation backdoor",
        scope: Scope::Container,
        test: Test::Setuid,
    },
    FileRule {
        def: RuleDef::new(
            "file.persistence.cron",
            RuleKind::of(Family::File).with(Role::FilePersistence),
            Severity::High,
            "persistence",
            "T1053.003",
            "Cron job added or changed",
        ),
        why: "cron files and spools run commands on a schedule: a classic foothold",
        scope: Scope::Container,
        test: Test::Path(&[
            "etc/crontab",
            "etc/anacrontab",
            "etc/cron.d/**",
            "etc/cron.hourly/**",
            "etc/cron.daily/**",
            "etc/cron.weekly/**",
            "etc/cron.monthly/**",
            "var/spool/cron/**",
            "etc/periodic/**",
        ]),
    },
    FileRule {
        def: RuleDef::new(
            "file.persistence.systemd",
            RuleKind::of(Family::File).with(Role::FilePersistence),
            Severity::Medium,
            "persistence",
            "T1543.002",
            "systemd unit added or changed",
        ),
        why: "a new or changed systemd unit or timer starts code at boot or on a schedule",
        scope: Scope::Container,
        test: Test::Path(&[
            "etc/systemd/system/**",
            "etc/systemd/user/**",
            "lib/systemd/system/**",
            "usr/lib/systemd/system/**",
            "**/.config/systemd/user/**",
        ]),
    },
    FileRule {
        def: RuleDef::new(
            "file.persistence.init",
            RuleKind::of(Family::File).with(Role::FilePersistence),
            Severity::High,
            "persistence",
            "T1037.004",
            "Boot or init script added or changed",
        ),
        why: "rc.local and init scripts run as root at start",
        scope: Scope::Container,
        test: Test::Path(&["etc/rc.local", "etc/rc.d/rc.local", "etc/init.d/*", "etc/local.d/*"]),
    },
    FileRule {
        def: RuleDef::new(
            "file.persistence.ld-preload",
            RuleKind::of(Family::File).with(Role::FilePersistence),
            Severity::Critical,
            "persistence",
            "T1574.006",
            "/etc/ld.so.preload written",
        ),
        why: "ld.so.preload injects a library into every dynamically linked process: the userland rootkit technique",
        scope: Scope::Any,
        test: Test::Path(&["etc/ld.so.preload"]),
    },
    FileRule {
        def: RuleDef::new(
            "file.persistence.ssh-keys",
            RuleKind::of(Family::File).with(Role::FilePersistence),
            Severity::High,
            "persistence",
            "T1098.004",
            "SSH authorized_keys added or changed",
        ),
        why: "a key in authorized_keys gives the attacker a login that survives password changes",
        scope: Scope::Container,
        test: Test::Path(&["**/.ssh/authorized_keys", "**/.ssh/authorized_keys2", "etc/ssh/sshd_config"]),
    },
    FileRule {
        def: RuleDef::new(
            "file.persistence.shell-rc",
            RuleKind::of(Family::File).with(Role::FilePersistence),
            Severity::Medium,
            "persistence",
            "T1546.004",
            "Shell profile or rc file changed",
        ),
        why: "profile and bashrc files run at every login shell; attackers plant commands and aliases there",
        scope: Scope::Container,
        test: Test::Path(&[
            "etc/profile",
            "etc/profile.d/*",
            "etc/bash.bashrc",
            "etc/bashrc",
            "etc/zsh/zshrc",
            "**/.bashrc",
            "**/.bash_profile",
            "**/.bash_login",
            "**/.bash_logout",
            "**/.profile",
            "**/.zshrc",
        ]),
    },
    FileRule {
        def: RuleDef::new(
            "file.account.uid0",
            RuleKind::of(Family::File).with(Role::Account),
            Severity::Critical,
            "persistence",
            "T1136.001",
            "New uid-0 account",
        ),
        why: "a second account with uid 0 is a root backdoor",
        scope: Scope::Any,
        test: Test::NewUid0,
    },
    FileRule {
        def: RuleDef::new(
            "file.account.passwd",
            RuleKind::of(Family::File).with(Role::Account).generic(),
            Severity::Medium,
            "persistence",
            "T1136.001",
            "Account database changed",
        ),
        why: "the container changed /etc/passwd or /etc/group: accounts or groups were added or altered",
        scope: Scope::Container,
        test: Test::Path(&["etc/passwd", "etc/group"]),
    },
    FileRule {
        def: RuleDef::new(
            "file.account.shadow",
            RuleKind::of(Family::File).with(Role::Account),
            Severity::High,
            "credential-access",
            "T1098",
            "Password hashes or sudo rights changed",
        ),
        why: "the container changed /etc/shadow, /etc/gshadow or sudoers: passwords or privileges were altered",
        scope: Scope::Container,
        test: Test::Path(&["etc/shadow", "etc/gshadow", "etc/sudoers", "etc/sudoers.d/*"]),
    },
    FileRule {
        def: RuleDef::new(
            "file.antiforensics.history",
            RuleKind::of(Family::File),
            Severity::High,
            "defense-evasion",
            "T1070.003",
            "Shell history wiped",
        ),
        why: "a shell history deleted, emptied or linked to /dev/null hides what the attacker typed",
        scope: Scope::Container,
        test: Test::HistoryWiped,
    },
    FileRule {
        def: RuleDef::new(
            "file.antiforensics.logs",
            RuleKind::of(Family::File).with(Role::LogWipe),
            Severity::Medium,
            "defense-evasion",
            "T1070.002",
            "Log file deleted or truncated",
        ),
        why: "the system's or the application's own logs (/var/log, a server's or app's logs/ directory, catalina.out, access and error logs, *.log) deleted, cut short or linked to /dev/null by the container hide what was done; log rotation (a rotated copy beside it) is not this",
        scope: Scope::Container,
        test: Test::LogWiped,
    },
    FileRule {
        def: RuleDef::new(
            "file.replaced-binary",
            RuleKind::of(Family::File),
            Severity::Critical,
            "defense-evasion",
            "T1014",
            "System binary replaced",
        ),
        why: "a replaced ps/ls/netstat/ss/top... hides the attacker's processes, files and connections (userland rootkit)",
        scope: Scope::Container,
        test: Test::ReplacedBinary,
    },
    FileRule {
        def: RuleDef::new(
            "file.log4j.rce",
            RuleKind::of(Family::File).with(Role::Log4j),
            Severity::Critical,
            "initial-access",
            "T1190",
            "log4j-core vulnerable to Log4Shell",
        ),
        why: "log4j-core 2.0-beta9 .. 2.15.x resolves JNDI lookups in logged data: remote code execution",
        scope: Scope::Any,
        test: Test::Log4jRce,
    },
    FileRule {
        def: RuleDef::new(
            "file.log4j.dos",
            RuleKind::of(Family::File).with(Role::Log4j),
            Severity::Medium,
            "initial-access",
            "T1499",
            "log4j-core 2.16 (CVE-2021-45105)",
        ),
        why: "log4j-core 2.16.x recurses on self-referential lookups: denial of service",
        scope: Scope::Any,
        test: Test::Log4jDos,
    },
    FileRule {
        def: RuleDef::new(
            "file.path-traversal",
            RuleKind::of(Family::File),
            Severity::High,
            "integrity",
            "T1036",
            "Layer member name escapes the root",
        ),
        why: "a member name with `..` writes outside the image root when extracted naively: a crafted or tampered layer",
        scope: Scope::Any,
        test: Test::Traversal,
    },
];

const SYSTEM_BINARIES: &[&str] = &[
    "ps",
    "ls",
    "netstat",
    "ss",
    "top",
    "htop",
    "lsof",
    "find",
    "du",
    "df",
    "ifconfig",
    "ip",
    "who",
    "w",
    "last",
    "lastlog",
    "login",
    "sshd",
    "su",
    "sudo",
    "crontab",
    "pstree",
    "kill",
    "pkill",
    "pgrep",
    "bash",
    "sh",
    "dash",
    "busybox",
    "ldd",
    "strings",
    "md5sum",
    "sha256sum",
    "iptables",
    "chattr",
    "lsattr",
    "passwd",
    "ssh",
    "stat",
    "cat",
    "grep",
    "systemctl",
    "uname",
];
const BIN_DIRS: &[&str] = &["bin/", "usr/bin/", "sbin/", "usr/sbin/", "usr/local/bin/", "usr/local/sbin/"];
const HISTORY_FILES: &[&str] = &[
    ".bash_history",
    ".ash_history",
    ".sh_history",
    ".zsh_history",
    ".history",
    ".mysql_history",
    ".psql_history",
    ".python_history",
    ".node_repl_history",
    ".lesshst",
    ".viminfo",
];

/// Glob over `/`-separated segments: `*` within a segment, `**` for any number of segments.
fn glob(pat: &[u8], path: &[u8]) -> bool {
    let p: Vec<&[u8]> = pat.split(|c| *c == b'/').collect();
    let s: Vec<&[u8]> = path.split(|c| *c == b'/').collect();
    glob_segs(&p, &s)
}

fn glob_segs(p: &[&[u8]], s: &[&[u8]]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((&b"**", rest)) => (0..=s.len()).any(|i| glob_segs(rest, &s[i..])),
        Some((first, rest)) => {
            s.split_first().is_some_and(|(h, t)| seg_match(first, h) && glob_segs(rest, t))
        }
    }
}

fn seg_match(p: &[u8], s: &[u8]) -> bool {
    match p.iter().position(|c| *c == b'*') {
        None => p == s,
        Some(i) => {
            let (pre, post) = (&p[..i], &p[i + 1..]);
            s.len() >= pre.len() && s.starts_with(pre) && seg_match_rest(post, &s[pre.len()..])
        }
    }
}

fn seg_match_rest(p: &[u8], s: &[u8]) -> bool {
    (0..=s.len()).any(|i| seg_match(p, &s[i..]))
}

fn ext_in(path: &[u8], exts: &[&str]) -> bool {
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path);
    match name.iter().rposition(|c| *c == b'.') {
        Some(i) if i > 0 => exts.iter().any(|e| name[i + 1..].eq_ignore_ascii_case(e.as_bytes())),
        _ => false,
    }
}

fn all_groups(sigs: SigSet, groups: &[SigSet]) -> bool {
    groups.iter().all(|g| sigs & g != 0)
}

fn uid0(m: Option<&crate::layerscan::Meta>) -> Vec<String> {
    m.and_then(|m| m.facts()).map(|f| f.uid0_users.clone()).unwrap_or_default()
}

/// What the other changes of the same change set tell a rule: the paths written (added or
/// modified, not directories), for telling log rotation from log wiping.
#[derive(Default)]
struct Ctx {
    /// The records' own paths, shared.
    written: BTreeSet<Arc<[u8]>>,
}

impl Ctx {
    fn of<'a>(recs: impl IntoIterator<Item = &'a ChangeRec>) -> Self {
        let written = recs
            .into_iter()
            .filter(|r| r.change != Change::Deleted && r.meta.ftype != FileType::Dir)
            .map(|r| r.path.clone())
            .collect();
        Ctx { written }
    }

    /// A rotated copy of `path` (`access.log.1`, `catalina.out-20261127`, `x.log.1.gz`)
    /// written in the same change set: log rotation (`copytruncate`), not wiping.
    fn rotated(&self, path: &[u8]) -> bool {
        use std::ops::Bound::{Included, Unbounded};
        self.written.range::<[u8], _>((Included(path), Unbounded)).take_while(|p| p.starts_with(path)).any(
            |p| {
                matches!(p.get(path.len()), Some(b'.' | b'-' | b'_'))
                    && p[path.len() + 1..].first().is_some_and(|b| b.is_ascii_digit())
            },
        )
    }
}

/// Directories whose files are logs whatever they are called.
fn in_log_dir(path: &[u8]) -> bool {
    let dirs = &path[..path.iter().rposition(|c| *c == b'/').unwrap_or(0)];
    path.starts_with(b"var/log/") || dirs.split(|c| *c == b'/').any(|d| d == b"logs" || d == b"log")
}

/// A log file by its path: anything under /var/log, the utmp records, a file in a `logs/`
/// or `log/` directory (code excepted), or a log by its name (`*.log`, `*.log.N`,
/// `catalina.out`, `access_log`, `error_log`...) anywhere but temp and cache directories.
fn is_log(path: &[u8]) -> bool {
    if path.starts_with(b"var/log/") || path == b"run/utmp" || path == b"var/run/utmp" {
        return true;
    }
    const SKIP: &[&str] =
        &["tmp/", "var/tmp/", "dev/shm/", "proc/", "sys/", "usr/lib/", "usr/share/", "lib/"];
    const SKIP_IN: &[&str] = &["/.npm/_logs/", "/.cache/", "/node_modules/", "/site-packages/"];
    if SKIP.iter().any(|d| path.starts_with(d.as_bytes()))
        || SKIP_IN.iter().any(|d| memchr::memmem::find(path, d.as_bytes()).is_some())
    {
        return false;
    }
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path).to_ascii_lowercase();
    let has = |s: &str| memchr::memmem::find(&name, s.as_bytes()).is_some();
    let by_name = name.ends_with(b".log")
        || has(".log.")
        || name.starts_with(b"catalina.out")
        || name.starts_with(b"access.log")
        || name.starts_with(b"error.log")
        || has("access_log")
        || has("error_log");
    const CODE: &[&str] =
        &["py", "pyc", "js", "ts", "rb", "go", "java", "class", "jar", "so", "php", "c", "h", "sh"];
    let code = CODE.iter().any(|e| name.ends_with(format!(".{e}").as_bytes()));
    by_name || (in_log_dir(path) && !code)
}

/// An old rotation (`x.log.3.gz`, `access.log-20261120`): logrotate deletes these itself.
fn is_rotation(path: &[u8]) -> bool {
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or(path);
    let mut n = name;
    for ext in [&b".gz"[..], b".xz", b".bz2", b".zst", b".Z"] {
        if let Some(s) = n.strip_suffix(ext) {
            n = s;
        }
    }
    let digits = n.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let sep = (n.len() - digits).checked_sub(1).and_then(|i| n.get(i));
    digits > 0 && matches!(sep, Some(b'.') | Some(b'-')) && (digits <= 3 || digits == 8)
}

/// Whether `rule` fires on `c`; returns a detail for the summary.
fn test(rule: &FileRule, c: &ChangeRec, ctx: &Ctx) -> Option<String> {
    let written = c.change != Change::Deleted && c.meta.ftype != FileType::Dir;
    let sigs = c.meta.facts().map_or(0, |f| f.sigs);
    let is_exec = matches!(c.meta.magic, Magic::Elf | Magic::Script) && c.meta.ftype == FileType::File;
    let kind = || if c.meta.magic == Magic::Elf { "ELF binary" } else { "script" };
    match &rule.test {
        Test::WebContent(exts, groups) => {
            (written && ext_in(&c.path, exts) && all_groups(sigs, groups)).then(|| "content matched".into())
        }
        Test::Content(groups) => (written && all_groups(sigs, groups)).then(|| "content matched".into()),
        Test::Path(globs) => (written && globs.iter().any(|g| glob(g.as_bytes(), &c.path))).then(|| {
            if c.change == Change::Added {
                "added".into()
            } else {
                format!("modified ({})", c.what().join(", "))
            }
        }),
        Test::ExecInTemp => (written
            && is_exec
            && ["tmp/", "var/tmp/", "dev/shm/"].iter().any(|d| c.path.starts_with(d.as_bytes())))
        .then(|| kind().into()),
        Test::ExecInHidden => {
            let dirs = &c.path[..c.path.iter().rposition(|x| *x == b'/').unwrap_or(0)];
            (written && is_exec && dirs.split(|x| *x == b'/').any(|d| d.len() > 1 && d.starts_with(b".")))
                .then(|| kind().into())
        }
        Test::Setuid => {
            let bits = c.meta.mode & 0o6000;
            let before = c.before().map_or(0, |b| b.mode & 0o6000);
            (written && c.meta.ftype == FileType::File && bits & !before != 0)
                .then(|| format!("mode {:04o}", c.meta.mode))
        }
        Test::NewUid0 => {
            let now = uid0(Some(&c.meta));
            let before = uid0(c.before());
            let new: Vec<&String> = now.iter().filter(|u| *u != "root" && !before.contains(u)).collect();
            (written && *c.path == *b"etc/passwd" && !new.is_empty()).then(|| {
                format!("uid 0 account(s): {}", new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            })
        }
        Test::ReplacedBinary => {
            let name = c.path.rsplit(|x| *x == b'/').next().unwrap_or(&c.path);
            let dir_ok = BIN_DIRS
                .iter()
                .any(|d| c.path.starts_with(d.as_bytes()) && c.path.len() == d.len() + name.len());
            (c.change == Change::Modified
                && dir_ok
                && SYSTEM_BINARIES.iter().any(|b| b.as_bytes() == name)
                && c.what().iter().any(|w| matches!(*w, "content" | "type" | "target")))
            .then(|| format!("modified ({})", c.what().join(", ")))
        }
        Test::HistoryWiped => {
            let name = c.path.rsplit(|x| *x == b'/').next().unwrap_or(&c.path);
            if !HISTORY_FILES.iter().any(|h| h.as_bytes() == name) {
                return None;
            }
            match c.change {
                Change::Deleted => Some("deleted".into()),
                _ if c.meta.ftype == FileType::Symlink => {
                    c.meta.link().filter(|l| *l == b"/dev/null").map(|_| "linked to /dev/null".into())
                }
                Change::Modified if c.meta.size == 0 => Some("emptied".into()),
                _ => None,
            }
        }
        Test::LogWiped => {
            if c.meta.ftype == FileType::Dir {
                // A log directory removed whole: what it hid says what was lost.
                let logs = c.hidden().iter().filter(|h| h.ftype == FileType::File && is_log(&h.path)).count();
                let dir_is_log = in_log_dir(&[&c.path[..], b"/x"].concat()) || *c.path == *b"var/log";
                return (c.change == Change::Deleted && dir_is_log && logs > 0)
                    .then(|| format!("directory deleted with {logs} log file(s)"));
            }
            if !is_log(&c.path) {
                return None;
            }
            match c.change {
                Change::Deleted if is_rotation(&c.path) => None,
                Change::Deleted => Some("deleted".into()),
                Change::Modified if ctx.rotated(&c.path) => None,
                Change::Modified if c.meta.ftype == FileType::Symlink => c
                    .meta
                    .link()
                    .filter(|l| *l == b"/dev/null")
                    .map(|_| "replaced by a link to /dev/null".into()),
                Change::Modified => c
                    .before()
                    .filter(|b| b.ftype == FileType::File && c.meta.size < b.size && !is_rotation(&c.path))
                    .map(|b| format!("truncated from {} to {} bytes", b.size, c.meta.size)),
                Change::Added => None,
            }
        }
        Test::RelaunchLoop => {
            let s = c.meta.script().filter(|s| written && !s.loops.is_empty())?;
            Some(s.loops.iter().map(|l| l.describe()).collect::<Vec<_>>().join("; "))
        }
        Test::MinerArgs => {
            let m = c.meta.script().filter(|_| written).and_then(|s| s.miner.as_ref())?;
            let d = m.describe();
            Some(if d.is_empty() { "miner options".into() } else { d })
        }
        Test::Log4jRce | Test::Log4jDos => {
            let want_dos = matches!(rule.test, Test::Log4jDos);
            let versions = c.meta.facts().map(|f| f.log4j_core.clone()).unwrap_or_default();
            let hits: Vec<String> = versions
                .iter()
                .filter_map(|v| {
                    let cve = log4j_vulnerability(v)?;
                    ((cve == "CVE-2021-45105") == want_dos).then(|| format!("log4j-core {v} ({cve})"))
                })
                .collect();
            (written && !hits.is_empty()).then(|| hits.join(", "))
        }
        Test::Traversal => c.traversal.then(|| "member name has `..`".into()),
        Test::Timestomp => None,
    }
}

/// Findings keyed by (rule, path) so one file seen in a layer and in the export is one finding.
#[derive(Default)]
struct Collector {
    found: BTreeMap<(&'static str, Vec<u8>), Finding>,
    /// `--yara` matches, keyed by (finding id, path) likewise.
    yara: BTreeMap<(String, Vec<u8>), Finding>,
}

impl Collector {
    fn add(
        &mut self,
        rule: &'static FileRule,
        c: &ChangeRec,
        detail: String,
        where_: &str,
        loc: Locator,
        time: Option<Timestamp>,
    ) {
        let iocs = iocs_of(rule, c);
        let key = (rule.def.id.as_ref(), c.path.to_vec());
        let loc = loc.with_member(c.member());
        if let Some(f) = self.found.get_mut(&key) {
            if !f.evidence.contains(&loc) {
                f.evidence.push(loc);
            }
            return;
        }
        let sha = c.meta.sha256.map(|h| format!(", sha256 {}", crate::digest::hex(&h))).unwrap_or_default();
        self.found.insert(
            key,
            Finding {
                actor: None,
                rule: rule.def.id.to_string(),
                severity: rule.def.severity,
                category: rule.def.category.to_string(),
                title: format!("{}: {}", rule.def.title, show_path(&c.path)),
                summary: format!("{} {} ({detail}{sha}): {}.", show_path(&c.path), where_, rule.why),
                attack: Some(rule.def.attack.to_string()),
                time,
                evidence: vec![loc],
                subject: Some(show_path(&c.path)),
                owner: None,
                iocs,
                kind: rule.def.kind,
            },
        );
    }

    /// The `--yara` matches of a file (see `crate::yara::findings`).
    fn add_yara(&mut self, c: &ChangeRec, where_: &str, loc: &Locator, time: Option<Timestamp>) {
        let Some(facts) = c.meta.facts() else { return };
        for hit in &facts.yara {
            let key = (crate::yara::findings::rule_id(hit), c.path.to_vec());
            let loc = loc.clone().with_member(c.member());
            if let Some(f) = self.yara.get_mut(&key) {
                if !f.evidence.iter().any(|e| e.artifact == loc.artifact && e.members == loc.members) {
                    let at = f.evidence[0].offset;
                    f.evidence.push(Locator { offset: at, ..loc });
                }
                continue;
            }
            let subject = crate::yara::findings::Subject {
                shown: show_path(&c.path),
                size: Some(c.meta.size),
                sha256: c.meta.sha256.as_ref(),
                where_,
                loc,
                time,
            };
            self.yara.insert(key, crate::yara::findings::finding(hit, &subject));
        }
    }

    fn finish(self, out: &mut Outcome) {
        out.findings.extend(self.found.into_values());
        out.findings.extend(self.yara.into_values());
    }
}

/// The indicators a rule's hit names (a loop's callback or fetched URL, a miner's pools);
/// the line they are on is in the summary (the locators stay the file's, so one file's
/// proofs from several sources fold as one).
fn iocs_of(rule: &FileRule, c: &ChangeRec) -> Vec<IocRef> {
    let Some(s) = c.meta.script() else { return vec![] };
    let mut iocs = vec![];
    match rule.test {
        Test::RelaunchLoop => {
            for l in &s.loops {
                match &l.what {
                    crate::cmdline::Relaunched::Fetch(u) if u != "?" => iocs.push(IocRef {
                        kind: crate::model::IocKind::Url,
                        value: u.clone(),
                        role: "payload",
                    }),
                    _ => iocs.extend(
                        l.callback()
                            .map(|cb| crate::cmdline::endpoint_iocs(cb, "callback"))
                            .unwrap_or_default(),
                    ),
                }
            }
        }
        Test::MinerArgs => {
            for p in s.miner.iter().flat_map(|m| m.pools.iter()) {
                iocs.extend(crate::cmdline::endpoint_iocs(&p.endpoint(), "mining-pool"));
            }
        }
        _ => {}
    }
    iocs.sort();
    iocs.dedup();
    iocs
}

fn evaluate(col: &mut Collector, c: &ChangeRec, container: bool, where_: &str, loc: &Locator, ctx: &Ctx) {
    if c.change != Change::Deleted {
        col.add_yara(c, where_, loc, if container { c.meta.mtime } else { None });
    }
    for rule in RULES {
        if rule.scope == Scope::Container && !container {
            continue;
        }
        if let Some(detail) = test(rule, c, ctx) {
            let time = if container { c.meta.mtime } else { None };
            col.add(rule, c, detail, where_, loc.clone(), time);
        }
    }
}

/// Rules over every layer of an image (container-scope rules on its commit layers only).
pub(super) fn evaluate_image(l: &LoadedImage, out: &mut Outcome) {
    let mut col = Collector::default();
    for (i, (applied, loc)) in l.applied.iter().zip(&l.layer_locs).enumerate() {
        let commit = l.record.committed_layers.contains(&i);
        let where_ = format!(
            "in layer {i}{} of image {}",
            if commit { " (added by docker commit: the container's changes)" } else { "" },
            l.name()
        );
        // Only the container's own layers need it (log wiping is a container-scope rule).
        let ctx = if commit { Ctx::of(&applied.changes) } else { Ctx::default() };
        for c in &applied.changes {
            evaluate(&mut col, c, commit, &where_, loc, &ctx);
        }
    }
    col.finish(out);
}

/// Rules over the container's export changes, and timestomping for either source.
pub(super) fn evaluate_container(c: &Container, out: &mut Outcome) {
    let mut col = Collector::default();
    let export = c.report.source != Side::CommittedLayers;
    let where_ = if c.report.source == Side::Volume {
        format!(
            "in a volume of container {} ({})",
            c.report.container.as_deref().map(|id| id.get(..12).unwrap_or(id)).unwrap_or("?"),
            c.report.base.description
        )
    } else if c.report.source == Side::UpperDir {
        format!(
            "changed in container {} (its read-write layer over {})",
            c.report.container.as_deref().map(|id| id.get(..12).unwrap_or(id)).unwrap_or("?"),
            c.report.base.description
        )
    } else if export {
        // How the export was paired with its base is said once, with the container's changes.
        "changed in the container (export)".to_string()
    } else {
        "changed in the container (committed layers)".to_string()
    };
    let ctx = Ctx::of(&c.recs);
    for (r, loc) in c.recs.iter().zip(&c.locs) {
        if export {
            evaluate(&mut col, r, true, &where_, loc, &ctx);
        }
        // A file whose content is the base image's own was not written by the container: an
        // mtime that differs only by the export's rounding is not timestomping.
        let same_content =
            r.change == Change::Modified && !r.what().iter().any(|w| matches!(*w, "content" | "type"));
        if let (Some(base), Some(m), false) =
            (c.base_created, r.meta.mtime, r.change == Change::Deleted || same_content)
        {
            // Tar mtimes are whole seconds: compare at that precision (a file written in the
            // image's own second is not older than it).
            if m.unix_secs() < base.unix_secs()
                && r.meta.ftype == FileType::File
                && !jasper_generated(&r.path)
            {
                col.add(
                    &TIMESTOMP,
                    r,
                    format!("mtime {m} is older than the base image, created {base}"),
                    &where_,
                    Locator::clone(loc),
                    Some(m),
                );
            }
        }
    }
    col.finish(out);
}

/// Web roots: a script added below one of these in a running container is where webshells go.
const WEB_ROOTS: &[&str] =
    &["webapps/", "var/www/", "htdocs/", "wwwroot/", "public_html/", "usr/share/nginx/html/"];

/// Rules that need a path only, over a saved `docker diff` when nothing else shows the
/// container's changes (no export, no committed layer): persistence paths, account files,
/// wiped history and logs, plus two rules of their own, since the diff has no content: a web
/// script added under a web root, and a file added in a hidden directory of a temp
/// directory. A `docker diff` line never says whether a path is a file: a path with
/// children in the diff is a directory.
pub(crate) fn evaluate_saved_diff(entries: &[crate::ingest::diff::DiffEntry], out: &mut Outcome) {
    use crate::ingest::diff::DiffKind;
    use std::collections::BTreeSet;
    let norm = |p: &str| p.trim_start_matches('/').trim_end_matches('/').as_bytes().to_vec();
    let parents: BTreeSet<Vec<u8>> = entries
        .iter()
        .flat_map(|e| {
            let p = norm(&e.path);
            let mut v = vec![];
            let mut cur = p.as_slice();
            while let Some(i) = cur.iter().rposition(|c| *c == b'/') {
                cur = &cur[..i];
                v.push(cur.to_vec());
            }
            v
        })
        .collect();
    let mut recs: Vec<(ChangeRec, &crate::ingest::diff::DiffEntry)> = vec![];
    for e in entries {
        let path = norm(&e.path);
        if path.is_empty() {
            continue;
        }
        let dir = parents.contains(&path);
        let mut meta = crate::layerscan::Meta {
            ftype: if dir { FileType::Dir } else { FileType::Other },
            mode: 0,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: None,
            sha256: None,
            magic: Magic::default(),
            rare: None,
        };
        let change = match e.change {
            DiffKind::Added => Change::Added,
            DiffKind::Changed => Change::Modified,
            DiffKind::Deleted => Change::Deleted,
        };
        if change == Change::Modified {
            meta.size = u64::MAX; // unknown: never "emptied" or "truncated"
        }
        let what: Box<[&'static str]> =
            if change == Change::Modified { Box::new(["listed as changed"]) } else { Box::new([]) };
        let rec = ChangeRec {
            rare: RecRare { what, ..Default::default() }.boxed(),
            ..ChangeRec::new(path[..].into(), change, meta.into())
        };
        recs.push((rec, e));
    }
    let ctx = Ctx::of(recs.iter().map(|(r, _)| r));
    let mut col = Collector::default();
    for (rec, e) in &recs {
        let (path, change) = (&rec.path, rec.change);
        let dir = rec.meta.ftype == FileType::Dir;
        let where_ = "listed in the saved docker diff (content not captured)";
        for rule in RULES {
            let path_only = matches!(rule.test, Test::Path(_) | Test::HistoryWiped | Test::LogWiped);
            if !path_only {
                continue;
            }
            if let Some(detail) = test(rule, rec, &ctx) {
                col.add(rule, rec, detail, where_, e.locator.clone(), None);
            }
        }
        let leaf_added = change == Change::Added && !dir;
        let web_script = ext_in(path, JSP) || ext_in(path, PHP) || ext_in(path, ASP);
        let in_web_root = WEB_ROOTS.iter().any(|r| {
            path.starts_with(r.as_bytes()) || memchr::memmem::find(path, format!("/{r}").as_bytes()).is_some()
        });
        if leaf_added && web_script && in_web_root {
            col.add(&DIFF_WEB_SCRIPT, rec, "added".into(), where_, e.locator.clone(), None);
        }
        if leaf_added && ["tmp/", "var/tmp/", "dev/shm/"].iter().any(|d| path.starts_with(d.as_bytes())) {
            let dirs = &path[..path.iter().rposition(|x| *x == b'/').unwrap_or(0)];
            if dirs.split(|x| *x == b'/').any(|d| d.len() > 1 && d.starts_with(b".")) {
                col.add(&DIFF_HIDDEN_TEMP, rec, "added".into(), where_, e.locator.clone(), None);
            }
        }
    }
    col.finish(out);
}

static DIFF_WEB_SCRIPT: FileRule = FileRule {
    def: RuleDef::new(
        "file.diff.web-script",
        RuleKind::of(Family::File),
        Severity::High,
        "persistence",
        "T1505.003",
        "web script added in the container (docker diff)",
    ),
    why: "a server-side script written into the web root of a running container is how webshells \
          are planted; the diff has no content, so get the file (docker cp or the export) to confirm",
    scope: Scope::Container,
    test: Test::Timestomp,
};

static DIFF_HIDDEN_TEMP: FileRule = FileRule {
    def: RuleDef::new(
        "file.diff.hidden-temp",
        RuleKind::of(Family::File),
        Severity::High,
        "execution",
        "T1564.001",
        "file added in a hidden temp directory (docker diff)",
    ),
    why: "droppers hide implants and miners in dot-directories under /tmp, /var/tmp or /dev/shm; \
          the diff has no content, so get the file to see what it is",
    scope: Scope::Container,
    test: Test::Timestomp,
};

/// Sources and classes Tomcat's Jasper generates from a JSP: Jasper gives them the JSP's
/// mtime on purpose (its staleness check), so an old mtime there is not timestomping.
fn jasper_generated(path: &[u8]) -> bool {
    let in_work =
        path.windows(5).any(|w| w == b"work/") && path.windows(16).any(|w| w == b"/org/apache/jsp/");
    in_work
        && (path.ends_with(b"_jsp.java")
            || path.ends_with(b"_jsp.class")
            || path.ends_with(b"_jspx.java")
            || path.ends_with(b"_jspx.class"))
}

static TIMESTOMP: FileRule = FileRule {
    def: RuleDef::new(
        "file.timestomp",
        RuleKind::of(Family::File).generic(),
        Severity::Medium,
        "defense-evasion",
        "T1070.006",
        "Timestomped file",
    ),
    why:
        "a file the container wrote cannot predate the image it was written on top of: its mtime was set back",
    scope: Scope::Container,
    test: Test::Timestomp,
};

/// Image checks, raised where the image is read: a digest that does not match
/// (integrity.rs), secrets in an image's environment and its notable configuration
/// (objects.rs), a saved `docker diff` the rebuilt one contradicts (container.rs).
pub(crate) static ENV_SECRETS: RuleDef = RuleDef::new(
    "image.env-secrets",
    RuleKind::of(Family::Image),
    Severity::Medium,
    "exposure",
    "T1552.001",
    "secrets in the image's environment",
);
pub(crate) static CONFIG: RuleDef = RuleDef::new(
    "image.config",
    RuleKind::of(Family::Image),
    Severity::Info,
    "configuration",
    "",
    "notable image configuration",
);

/// The file rules' declarations.
pub(crate) fn file_defs() -> Vec<&'static RuleDef> {
    RULES.iter().chain([&DIFF_WEB_SCRIPT, &DIFF_HIDDEN_TEMP, &TIMESTOMP]).map(|r| &r.def).collect()
}

/// The image checks' declarations.
pub(crate) fn check_defs() -> Vec<&'static RuleDef> {
    vec![&super::integrity::INTEGRITY_MISMATCH, &ENV_SECRETS, &CONFIG, &super::container::DIFF_DISAGREEMENT]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jasper_outputs_are_not_timestomping() {
        assert!(jasper_generated(
            b"usr/local/tomcat/work/Catalina/localhost/ROOT/org/apache/jsp/index_jsp.class"
        ));
        assert!(!jasper_generated(b"usr/local/tomcat/webapps/ROOT/index_jsp.class"));
        assert!(!jasper_generated(b"usr/local/tomcat/webapps/ROOT/shell.jsp"));
    }

    #[test]
    fn logs_by_path_and_rotation() {
        for p in [
            "var/log/dpkg.log",
            "var/log/wtmp",
            "usr/local/tomcat/logs/catalina.out",
            "usr/local/tomcat/logs/localhost_access_log.2026-11-27.txt",
            "usr/local/apache2/logs/access_log",
            "var/www/app/storage/logs/laravel.log",
            "opt/app/log/production.log",
            "srv/shop/access.log",
            "home/app/.pm2/logs/app-error.log",
            "run/utmp",
        ] {
            assert!(is_log(p.as_bytes()), "{p}");
        }
        for p in [
            "tmp/build.log",
            "root/.npm/_logs/2026-11-27T10_00_00_000Z-debug-0.log",
            "usr/lib/python3/dist-packages/x/log/__init__.py",
            "app/node_modules/debug/src/log.js",
            "srv/app/log/handler.py",
            "etc/logrotate.conf",
            "usr/local/bin/catalog",
        ] {
            assert!(!is_log(p.as_bytes()), "{p}");
        }
        for p in ["var/log/nginx/access.log.3.gz", "var/log/syslog.1", "var/log/messages-20261120"] {
            assert!(is_rotation(p.as_bytes()), "{p}");
        }
        for p in [
            "var/log/nginx/access.log",
            "usr/local/tomcat/logs/catalina.2026-11-27.log",
            "var/log/wtmp",
            "var/log/12345",
            "7",
        ] {
            assert!(!is_rotation(p.as_bytes()), "{p}");
        }
        let ctx = Ctx {
            written: [&b"var/log/nginx/access.log.1"[..], b"var/log/nginx/error.log"].map(Arc::from).into(),
        };
        assert!(ctx.rotated(b"var/log/nginx/access.log"));
        assert!(!ctx.rotated(b"var/log/nginx/error.log"));
        assert!(!ctx.rotated(b"var/log/nginx/access"));
    }

    #[test]
    fn globs() {
        assert!(glob(b"**/.ssh/authorized_keys", b"root/.ssh/authorized_keys"));
        assert!(glob(b"**/.ssh/authorized_keys", b".ssh/authorized_keys"));
        assert!(glob(b"etc/cron.d/**", b"etc/cron.d/x"));
        assert!(!glob(b"etc/cron.d/**", b"etc/cron.daily"));
        assert!(glob(b"etc/init.d/*", b"etc/init.d/ssh"));
        assert!(!glob(b"etc/init.d/*", b"etc/init.d/a/b"));
        assert!(glob(b"etc/sudoers.d/*", b"etc/sudoers.d/x"));
    }
}
