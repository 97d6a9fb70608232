//! The capture's own rules, read from its activity: a shell or raw network tool connecting
//! out (a reverse shell or C2 channel, with the address as a callback IOC), writes to the
//! account databases and persistence files (cron, SSH keys, systemd, preload, static pod
//! manifests), setuid to root, ptrace into another process and mounts of host devices or
//! cgroup filesystems.

use std::net::IpAddr;

use super::event::Addr;
use super::paths::{sensitive, Sensitive};
use super::replay::{Act, Activity, Capture};
use crate::model::{
    role, ContainerRef, Family, Finding, IocKind, IocRef, Locator, Owner, Role, RuleDef, RuleKind, Severity,
    Timestamp,
};

static SHELL_CONNECT: RuleDef = RuleDef::new(
    "scap.net.shell-connect",
    RuleKind::of(Family::Scap).with(Role::Session),
    Severity::Critical,
    "command-and-control",
    "T1059.004,T1071",
    "A shell opened a network connection itself (reverse shell)",
);
static TOOL_CONNECT: RuleDef = RuleDef::new(
    "scap.net.tool-connect",
    RuleKind::of(Family::Scap).with(Role::Session),
    Severity::High,
    "command-and-control",
    "T1095",
    "A raw network tool (nc, socat, telnet) connected out",
);
static TOOL_CONNECT_INTERNAL: RuleDef = RuleDef::new(
    "scap.net.tool-connect-internal",
    RuleKind::of(Family::Scap),
    Severity::Low,
    "discovery",
    "T1046",
    "A raw network tool (nc, socat, telnet) connected to a private address (a probe or health check)",
);
static ACCOUNT_WRITE: RuleDef = RuleDef::new(
    "scap.file.account-write",
    RuleKind::of(Family::Scap).with(Role::Account),
    Severity::High,
    "persistence",
    "T1136.001",
    "An account database was written (passwd, shadow, group, sudoers)",
);
static PERSISTENCE_WRITE: RuleDef = RuleDef::new(
    "scap.file.persistence-write",
    RuleKind::of(Family::Scap).with(Role::FilePersistence),
    Severity::High,
    "persistence",
    "T1053.003,T1098.004,T1543.002,T1574.006",
    "A persistence file was written (cron, SSH keys, systemd unit, ld.so.preload, rc)",
);
static STATIC_POD: RuleDef = RuleDef::new(
    "scap.file.static-pod",
    RuleKind::of(Family::Scap).with(Role::FilePersistence),
    Severity::Critical,
    "persistence",
    "T1610",
    "A static pod manifest was written (the kubelet runs it on the node)",
);
static SETUID_ROOT: RuleDef = RuleDef::new(
    "scap.priv.setuid-root",
    RuleKind::of(Family::Scap),
    Severity::High,
    "privilege-escalation",
    "T1548.001",
    "A process that was not root became root with setuid",
);
static PTRACE: RuleDef = RuleDef::new(
    "scap.proc.ptrace",
    RuleKind::of(Family::Scap),
    Severity::High,
    "defense-evasion",
    "T1055.008",
    "A process attached to or wrote into another with ptrace",
);
static HOST_MOUNT: RuleDef = RuleDef::new(
    "scap.mount.host",
    RuleKind::of(Family::Scap).with(Role::Escape),
    Severity::Critical,
    "privilege-escalation",
    "T1611",
    "A host disk or a cgroup filesystem was mounted (container escape)",
);

static DEFS: &[&RuleDef] = &[
    &SHELL_CONNECT,
    &TOOL_CONNECT,
    &TOOL_CONNECT_INTERNAL,
    &ACCOUNT_WRITE,
    &PERSISTENCE_WRITE,
    &STATIC_POD,
    &SETUID_ROOT,
    &PTRACE,
    &HOST_MOUNT,
];

/// The family's declarations, for `rules list`.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    DEFS.to_vec()
}

const SHELLS: &[&str] =
    &["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "csh", "tcsh", "fish", "busybox"];
const TOOLS: &[&str] = &["nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "socat", "telnet"];

/// Loopback, unspecified or multicast: never anyone's callback.
pub(crate) fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || ip.is_multicast()
}

/// Private, shared or link-local ranges (a lab's attacker may sit there: lower severity).
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [o1, o2, ..] = a.octets();
            a.is_private() || a.is_link_local() || (o1 == 100 && (64..128).contains(&o2))
        }
        IpAddr::V6(a) => {
            let first = a.segments()[0];
            first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
        }
    }
}

/// The findings the capture's activity raises.
pub(crate) fn findings(cap: &Capture, loc: &Locator) -> Vec<Finding> {
    let mut out = vec![];
    for a in &cap.activity {
        if let Some(f) = finding(cap, a, loc) {
            out.push(f);
        }
    }
    out
}

fn finding(cap: &Capture, a: &Activity, loc: &Locator) -> Option<Finding> {
    let who = &a.who;
    let prog = who.program.as_str();
    let whom = format!("{} (pid {}) `{}`", prog, who.pid, clip(&who.cmd));
    let (def, severity, summary, subject, iocs) = match &a.act {
        Act::Connect { proto, remote, done, .. } => {
            if is_local(remote.ip) || remote.port == 0 {
                return None;
            }
            let shell = SHELLS.contains(&prog);
            if !shell && !TOOLS.contains(&prog) {
                return None;
            }
            let private = is_private(remote.ip);
            let (def, severity) = match (shell, private) {
                (true, false) => (&SHELL_CONNECT, Severity::Critical),
                (true, true) => (&SHELL_CONNECT, Severity::High),
                (false, false) => (&TOOL_CONNECT, Severity::High),
                (false, true) => (&TOOL_CONNECT_INTERNAL, Severity::Low),
            };
            let proto = proto.map(|p| format!(" ({p})")).unwrap_or_default();
            let outcome = if *done { "" } else { " (the connect failed)" };
            let internal = std::ptr::eq(def, &TOOL_CONNECT_INTERNAL);
            let why = if internal {
                "A raw network tool reaching a private address is a probe, a health check or lateral movement."
            } else {
                "A shell or raw network tool talking to a remote host itself is a reverse shell or C2 channel."
            };
            let summary = format!("{whom} connected{proto} to {}{outcome}. {why}", remote.endpoint());
            let iocs = callback(remote, if internal { role::MENTIONED } else { role::CALLBACK });
            (def, severity, summary, format!("{} {}", who.pid, remote.endpoint()), iocs)
        }
        Act::Open { path, write: true } | Act::Write { path } | Act::Rename { to: path, .. } => {
            let kind = sensitive(path)?;
            let def = match kind {
                Sensitive::Account => &ACCOUNT_WRITE,
                Sensitive::Persistence => &PERSISTENCE_WRITE,
                Sensitive::StaticPod => &STATIC_POD,
                Sensitive::Secret => return None,
            };
            let how = match &a.act {
                Act::Rename { from, .. } => format!("renamed {from} to"),
                Act::Write { .. } => "wrote to".into(),
                _ => "opened for writing".into(),
            };
            let summary = format!("{whom} {how} {path}.");
            (def, def.severity, summary, format!("{} {path}", who.pid), vec![])
        }
        Act::Setuid { uid: 0, before } => {
            if matches!(before, Some(0) | None) {
                return None;
            }
            let before = before.map(|b| b.to_string()).unwrap_or_default();
            let summary = format!("{whom} changed its user id from {before} to 0 (root).");
            (&SETUID_ROOT, SETUID_ROOT.severity, summary, format!("{}", who.pid), vec![])
        }
        Act::Ptrace { request, target } => {
            let summary = format!("{whom} called ptrace({request}) on pid {target}.");
            (&PTRACE, PTRACE.severity, summary, format!("{} {target}", who.pid), vec![])
        }
        Act::Mount { source, target, fstype } => {
            let disk = ["/dev/sd", "/dev/vd", "/dev/xvd", "/dev/hd", "/dev/nvme", "/dev/mapper/", "/dev/dm-"]
                .iter()
                .any(|p| source.starts_with(p));
            let cgroup = matches!(fstype.as_str(), "cgroup" | "cgroup2") && who.container.is_some();
            if !disk && !cgroup {
                return None;
            }
            let summary = format!("{whom} mounted {source} ({fstype}) on {target}.");
            (&HOST_MOUNT, HOST_MOUNT.severity, summary, format!("{} {source} {target}", who.pid), vec![])
        }
        _ => return None,
    };
    let owner = who.container.as_ref().map(|id| {
        let name = cap.containers.get(id).map(|m| m.name.clone()).unwrap_or_default();
        Owner::container(&ContainerRef { id: id.clone(), name })
    });
    Some(Finding {
        actor: None,
        rule: def.id.to_string(),
        severity,
        category: def.category.to_string(),
        title: def.title.to_string(),
        summary,
        attack: def.attack(),
        time: Some(time(a.ts)),
        evidence: vec![loc.clone().with_offset(a.offset)],
        subject: Some(format!("{} {subject}", def.id)),
        owner,
        iocs,
        kind: def.kind,
    })
}

/// The address and endpoint of `a` in `role`.
fn callback(a: &Addr, role: &'static str) -> Vec<IocRef> {
    vec![
        IocRef { kind: IocKind::Ip, value: a.ip.to_string(), role },
        IocRef { kind: IocKind::Endpoint, value: a.endpoint(), role },
    ]
}

/// An event time (ns since the epoch).
pub(crate) fn time(ts: u64) -> Timestamp {
    Timestamp::from_unix((ts / 1_000_000_000) as i64, (ts % 1_000_000_000) as u32)
}

/// A command line cut for a summary.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_classes() {
        assert!(is_local("127.0.0.1".parse().unwrap()));
        assert!(is_local("::1".parse().unwrap()));
        assert!(is_private("192.168.2.6".parse().unwrap()));
        assert!(is_private("fd00::1".parse().unwrap()));
        assert!(!is_private("8.8.8.8".parse().unwrap()));
        assert!(!is_private("2001:4860:4860::8888".parse().unwrap()));
    }
}
