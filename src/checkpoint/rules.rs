//! The checkpoint family's rules (`checkpoint.`), declared here beside the checks that raise
//! them: what a frozen container's descriptors and mappings show (a shell on a TCP socket,
//! a connection to a mining pool, a deleted program still running, code run from a memfd)
//! and what its memory holds (the log engine's signatures over the pages' strings).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::dump::{Dump, Task};
use super::messages::{vma_status, FileKind, InetSk};
use crate::logscan::ioc::endpoint_value;
use crate::model::{role, Family, IocKind, IocRef, Role, RuleDef, RuleKind, Severity};

pub(crate) static REVERSE_SHELL: RuleDef = RuleDef::new(
    "checkpoint.reverse-shell",
    RuleKind::of(Family::Checkpoint).with(Role::Session),
    Severity::Critical,
    "command-and-control",
    "T1059.004",
    "Shell whose standard input or output is a TCP connection (reverse shell)",
);

pub(crate) static MINING_POOL: RuleDef = RuleDef::new(
    "checkpoint.mining-pool",
    RuleKind::of(Family::Checkpoint).with(Role::Miner),
    Severity::High,
    "impact",
    "T1496",
    "Process connected to a mining pool port",
);

pub(crate) static DELETED_EXE: RuleDef = RuleDef::new(
    "checkpoint.deleted-exe",
    RuleKind::of(Family::Checkpoint),
    Severity::High,
    "defense-evasion",
    "T1070.004",
    "Program running from a file deleted from disk",
);

pub(crate) static MEMFD_EXEC: RuleDef = RuleDef::new(
    "checkpoint.memfd-exec",
    RuleKind::of(Family::Checkpoint),
    Severity::Critical,
    "defense-evasion",
    "T1620",
    "Code executed from a memfd (fileless)",
);

pub(crate) static MEMORY_SIGNATURE: RuleDef = RuleDef::new(
    "checkpoint.memory-signature",
    RuleKind::of(Family::Checkpoint),
    Severity::High,
    "execution",
    "",
    "Process memory holds an attack signature",
);

pub(crate) static MEMORY_INDICATORS: RuleDef = RuleDef::new(
    "checkpoint.memory-indicators",
    RuleKind::of(Family::Checkpoint).generic(),
    Severity::Info,
    "discovery",
    "",
    "Indicators in process memory",
);

/// Every checkpoint rule's declaration.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    vec![&REVERSE_SHELL, &MINING_POOL, &DELETED_EXE, &MEMFD_EXEC, &MEMORY_SIGNATURE, &MEMORY_INDICATORS]
}

/// Programs that give whoever holds their standard input a command interpreter.
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox", "python", "python2",
    "python3", "perl", "ruby", "php", "lua", "node", "pwsh",
];

/// Stratum ports mining pools listen on (4444 is left out: it is every reverse shell's too).
const POOL_PORTS: &[u32] =
    &[3333, 3357, 5555, 7777, 9999, 10128, 13333, 14433, 14444, 17777, 20535, 45560, 45700];

/// Whether a program name is a shell or interpreter.
pub(crate) fn is_shell(name: &str) -> bool {
    let n = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    SHELLS.contains(&name) || SHELLS.contains(&n)
}

/// An address as CRIU keeps it (32-bit words, each the address bytes in memory order).
pub(crate) fn addr(words: &[u32], family: u32) -> Option<String> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    match (family, bytes.len()) {
        (2, 4..) => Some(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string()),
        (10, 16..) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes.get(..16)?);
            let v6 = Ipv6Addr::from(a);
            Some(v6.to_ipv4_mapped().map_or_else(|| v6.to_string(), |v4| v4.to_string()))
        }
        _ => None,
    }
}

/// TCP states as the kernel numbers them.
pub(crate) fn tcp_state(s: u32) -> &'static str {
    const S: [&str; 13] = [
        "?",
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSE",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
        "NEW_SYN_RECV",
    ];
    S.get(s as usize).copied().unwrap_or("?")
}

/// The peer of a connected inet socket: (address, port).
pub(crate) fn peer(sk: &InetSk) -> Option<(String, u16)> {
    let port = u16::try_from(sk.dst_port).ok().filter(|p| *p != 0)?;
    let a = addr(&sk.dst_addr, sk.family)?;
    (a != "0.0.0.0" && a != "::").then_some((a, port))
}

/// The indicators of a peer in `role`: its address and its endpoint.
pub(crate) fn peer_iocs(host: &str, port: u16, r: &'static str) -> Vec<IocRef> {
    vec![
        IocRef { kind: IocKind::Ip, value: host.to_string(), role: r },
        IocRef { kind: IocKind::Endpoint, value: endpoint_value(host, port), role: r },
    ]
}

/// One check's hit on one task: the rule, what it saw, its indicators, and which image
/// proves it (`fdinfo`, `mm`...).
pub(crate) struct Hit {
    pub rule: &'static RuleDef,
    pub detail: String,
    pub iocs: Vec<IocRef>,
    pub proof: Vec<String>,
}

/// The descriptor and mapping checks of one task whose program is `exe`.
pub(crate) fn check_task(d: &Dump, t: &Task, exe: &str, fdinfo_image: &str) -> Vec<Hit> {
    let mut out = vec![];
    let mm_image = format!("mm-{}.img", t.pid());
    let inet = |id: u32| match d.file(id).map(|f| &f.file) {
        Some(FileKind::Inet(sk)) => Some(sk),
        _ => None,
    };
    // A shell on a TCP socket.
    if is_shell(exe) {
        let std: Vec<(u32, &InetSk)> = t
            .fds
            .iter()
            .filter(|f| f.fd <= 2)
            .filter_map(|f| inet(f.id).filter(|sk| sk.proto == 6 || sk.sock_type == 1).map(|sk| (f.fd, sk)))
            .collect();
        if let Some((host, port)) = std.iter().find_map(|(_, sk)| peer(sk)) {
            let fds: Vec<String> = std.iter().map(|(fd, _)| fd.to_string()).collect();
            out.push(Hit {
                rule: &REVERSE_SHELL,
                detail: format!(
                    "{exe} has descriptors {} on a TCP connection to {}",
                    fds.join(", "),
                    endpoint_value(&host, port)
                ),
                iocs: peer_iocs(&host, port, role::CALLBACK),
                proof: vec![fdinfo_image.to_string(), "files.img".into()],
            });
        }
    }
    // A connection to a mining pool port (a reverse shell's own socket is not one).
    if out.is_empty() {
        for f in &t.fds {
            let Some(sk) = inet(f.id) else { continue };
            let Some((host, port)) = peer(sk).filter(|(_, p)| POOL_PORTS.contains(&u32::from(*p))) else {
                continue;
            };
            out.push(Hit {
                rule: &MINING_POOL,
                detail: format!(
                    "{exe} (fd {}) is connected to {}, a stratum port",
                    f.fd,
                    endpoint_value(&host, port)
                ),
                iocs: peer_iocs(&host, port, role::MINING_POOL),
                proof: vec![fdinfo_image.to_string(), "files.img".into()],
            });
            break;
        }
    }
    let Some(mm) = &t.mm else { return out };
    // The program, or a mapped executable file, deleted from disk.
    let reg = |id: u64| match u32::try_from(id).ok().and_then(|i| d.file(i)).map(|f| &f.file) {
        Some(FileKind::Reg(r)) => Some(r),
        _ => None,
    };
    let deleted = |id: u32, name: &str| d.remapped.contains_key(&id) || name.ends_with(" (deleted)");
    let exe_file = reg(u64::from(mm.exe_file_id));
    let mut gone: Vec<String> = vec![];
    if let Some(r) = exe_file.filter(|r| deleted(r.id, &r.name)) {
        gone.push(format!("its executable {}", r.name));
    }
    for v in mm
        .vmas
        .iter()
        .filter(|v| v.prot & 4 != 0 && v.status & (vma_status::FILE_PRIVATE | vma_status::FILE_SHARED) != 0)
    {
        if let Some(r) =
            reg(v.shmid).filter(|r| deleted(r.id, &r.name) && Some(r.id) != exe_file.map(|e| e.id))
        {
            gone.push(format!("executable mapping {:#x}-{:#x} of {}", v.start, v.end, r.name));
        }
    }
    for f in &t.fds {
        if let Some(FileKind::Reg(r)) = d.file(f.id).map(|x| &x.file) {
            if deleted(r.id, &r.name)
                && r.mode.is_some_and(|m| m & 0o111 != 0)
                && Some(r.id) != exe_file.map(|e| e.id)
            {
                gone.push(format!("open executable file {} (fd {})", r.name, f.fd));
            }
        }
    }
    if !gone.is_empty() {
        gone.sort();
        gone.dedup();
        // The deleted files' content the dump kept (ghost files): their SHA-256.
        let mut iocs: Vec<IocRef> = vec![];
        let mut kept: Vec<String> = vec![];
        for (id, (size, sha)) in &d.ghosts {
            let used = exe_file.is_some_and(|e| e.id == *id)
                || t.fds.iter().any(|f| f.id == *id)
                || mm.vmas.iter().any(|v| v.shmid == u64::from(*id));
            if used {
                iocs.push(IocRef { kind: IocKind::Sha256, value: sha.clone(), role: role::DROPPED_FILE });
                kept.push(format!("{size} bytes, sha256 {sha}"));
            }
        }
        let kept = if kept.is_empty() {
            String::new()
        } else {
            format!(" (content kept in the dump: {})", kept.join("; "))
        };
        out.push(Hit {
            rule: &DELETED_EXE,
            detail: format!("deleted from disk while running: {}{kept}", gone.join("; ")),
            iocs,
            proof: vec![mm_image.clone(), "files.img".into(), "remap-fpath.img".into()],
        });
    }
    // Code from a memfd: the program itself, or an executable mapping of one.
    let memfd_name = |id: u64| -> Option<String> {
        let f = d.file(u32::try_from(id).ok()?)?;
        match &f.file {
            FileKind::Memfd { inode_id } => Some(
                d.memfds
                    .iter()
                    .find(|m| m.inode_id == u64::from(*inode_id))
                    .map_or_else(|| format!("memfd inode {inode_id}"), |m| format!("memfd:{}", m.name)),
            ),
            FileKind::Reg(r) if r.name.starts_with("/memfd:") => {
                Some(r.name.trim_start_matches('/').to_string())
            }
            _ => None,
        }
    };
    let mut fileless: Vec<String> = vec![];
    if let Some(n) = memfd_name(u64::from(mm.exe_file_id)) {
        fileless.push(format!("its executable is {n}"));
    }
    for v in mm.vmas.iter().filter(|v| v.prot & 4 != 0) {
        if let Some(n) = memfd_name(v.shmid).filter(|_| {
            v.status & (vma_status::MEMFD | vma_status::FILE_PRIVATE | vma_status::FILE_SHARED) != 0
        }) {
            fileless.push(format!("executable mapping {:#x}-{:#x} of {n}", v.start, v.end));
        }
    }
    if !fileless.is_empty() {
        fileless.sort();
        fileless.dedup();
        out.push(Hit {
            rule: &MEMFD_EXEC,
            detail: format!("runs code from memory-only files: {}", fileless.join("; ")),
            iocs: vec![],
            proof: vec![mm_image, "files.img".into()],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_criu_keeps_them() {
        // 203.0.113.7 in memory order, read as a little-endian u32.
        let w = u32::from_le_bytes([203, 0, 113, 7]);
        assert_eq!(addr(&[w], 2).as_deref(), Some("203.0.113.7"));
        let mapped = [0u32, 0, u32::from_le_bytes([0, 0, 0xff, 0xff]), w];
        assert_eq!(addr(&mapped, 10).as_deref(), Some("203.0.113.7"));
        assert_eq!(addr(&[], 2), None);
        assert_eq!(addr(&[w], 10), None);
        assert!(is_shell("bash") && is_shell("python3") && is_shell("python3.11") && !is_shell("nginx"));
        assert_eq!(tcp_state(10), "LISTEN");
        assert_eq!(tcp_state(99), "?");
    }
}
