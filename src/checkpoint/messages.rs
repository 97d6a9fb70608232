//! CRIU's image messages, written here from its `images/*.proto` (field numbers and types):
//! only the fields ctriage reads, every other field skipped. Each decoder takes one entry's
//! bytes and gives the message or the wire error that stopped it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::wire::{walk, Value, WireError};

type R<T> = Result<T, WireError>;

fn u32v(v: Value) -> u32 {
    v.u32().unwrap_or(0)
}
fn u64v(v: Value) -> u64 {
    v.u64().unwrap_or(0)
}
fn push_u32(out: &mut Vec<u32>, v: Value) -> R<()> {
    out.extend(v.repeated_u64()?.into_iter().map(|x| x as u32));
    Ok(())
}

/// `inventory_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub(crate) struct Inventory {
    pub img_version: u32,
    pub fdinfo_per_id: Option<bool>,
    pub root_ids: Option<Ids>,
    pub ns_per_id: Option<bool>,
    pub root_cg_set: Option<u32>,
    /// `lsmtype`: 0 none, 1 SELinux, 2 AppArmor.
    pub lsmtype: Option<u32>,
    pub dump_uptime: Option<u64>,
}

pub(crate) fn inventory(b: &[u8]) -> R<Inventory> {
    let mut m = Inventory::default();
    let mut sub = Ok(());
    walk(b, |n, v| match n {
        1 => m.img_version = u32v(v),
        2 => m.fdinfo_per_id = v.bool(),
        3 => match v.bytes().map(ids) {
            Some(Ok(i)) => m.root_ids = Some(i),
            Some(Err(e)) => sub = Err(e),
            None => {}
        },
        4 => m.ns_per_id = v.bool(),
        5 => m.root_cg_set = v.u32(),
        6 => m.lsmtype = v.u32(),
        8 => m.dump_uptime = v.u64(),
        _ => {}
    })?;
    sub.map(|_| m)
}

/// `task_kobj_ids_entry` (ids-PID.img, core's `ids`, inventory's `root_ids`): field name to id.
pub(crate) type Ids = BTreeMap<&'static str, u32>;

const IDS_FIELDS: [&str; 11] = [
    "vm_id",
    "files_id",
    "fs_id",
    "sighand_id",
    "pid_ns_id",
    "net_ns_id",
    "ipc_ns_id",
    "uts_ns_id",
    "mnt_ns_id",
    "user_ns_id",
    "cgroup_ns_id",
];

pub(crate) fn ids(b: &[u8]) -> R<Ids> {
    let mut m = Ids::new();
    walk(b, |n, v| {
        if let Some(name) = (n as usize).checked_sub(1).and_then(|i| IDS_FIELDS.get(i)) {
            m.insert(name, u32v(v));
        }
    })?;
    Ok(m)
}

/// `pstree_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Pstree {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    pub sid: u32,
    pub threads: Vec<u32>,
}

pub(crate) fn pstree(b: &[u8]) -> R<Pstree> {
    let mut m = Pstree::default();
    let mut err = Ok(());
    walk(b, |n, v| match n {
        1 => m.pid = u32v(v),
        2 => m.ppid = u32v(v),
        3 => m.pgid = u32v(v),
        4 => m.sid = u32v(v),
        5 => {
            if let Err(e) = push_u32(&mut m.threads, v) {
                err = Err(e);
            }
        }
        _ => {}
    })?;
    err.map(|_| m)
}

/// `creds_entry` (in the thread core).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Creds {
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    pub suid: u32,
    pub sgid: u32,
    pub fsuid: u32,
    pub fsgid: u32,
    /// Effective capabilities, as 32-bit words (low word first).
    pub cap_eff: Vec<u32>,
    pub groups: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lsm_profile: Option<String>,
}

fn creds(b: &[u8]) -> R<Creds> {
    let mut m = Creds::default();
    let mut err = Ok(());
    walk(b, |n, v| match n {
        1 => m.uid = u32v(v),
        2 => m.gid = u32v(v),
        3 => m.euid = u32v(v),
        4 => m.egid = u32v(v),
        5 => m.suid = u32v(v),
        6 => m.sgid = u32v(v),
        7 => m.fsuid = u32v(v),
        8 => m.fsgid = u32v(v),
        11 => err = err.and(push_u32(&mut m.cap_eff, v)),
        14 => err = err.and(push_u32(&mut m.groups, v)),
        15 => m.lsm_profile = v.string(),
        _ => {}
    })?;
    err.map(|_| m)
}

/// The architecture of a core (`core_entry.march`).
pub(crate) fn arch_name(mtype: u32) -> &'static str {
    match mtype {
        1 => "x86_64",
        2 => "arm",
        3 => "aarch64",
        4 => "ppc64",
        5 => "s390",
        6 => "mips",
        7 => "loongarch64",
        8 => "riscv64",
        _ => "unknown",
    }
}

/// `core_entry`: one task's (or thread's) core.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub(crate) struct Core {
    /// `march`: 1 x86-64, 3 AArch64 (see [`arch_name`]).
    pub mtype: u32,
    /// The task's state (`task_state`: 1 alive, 2 dead, 3 stopped, 6 zombie).
    pub task_state: Option<u32>,
    pub exit_code: Option<u32>,
    pub comm: Option<String>,
    pub loginuid: Option<u32>,
    pub ids: Option<Ids>,
    pub creds: Option<Creds>,
    /// Seccomp mode of the main thread (0 disabled, 1 strict, 2 filter).
    pub seccomp_mode: Option<u32>,
    /// Instruction pointer (x86-64 `ip`, AArch64 `pc`).
    pub pc: Option<u64>,
}

pub(crate) fn core(b: &[u8]) -> R<Core> {
    let mut m = Core::default();
    let mut err: R<()> = Ok(());
    walk(b, |n, v| match (n, v.bytes()) {
        (1, _) => m.mtype = u32v(v),
        // thread_info_x86: gpregs = 2, ip = 17.
        (2, Some(ti)) => {
            err = err.and(
                sub_field(ti, 2)
                    .and_then(|r| r.map_or(Ok(None), |g| sub_u64(g, 17)))
                    .map(|pc| m.pc = m.pc.or(pc)),
            )
        }
        // thread_info_aarch64: gpregs = 3, pc = 3.
        (8, Some(ti)) => {
            err = err.and(
                sub_field(ti, 3)
                    .and_then(|r| r.map_or(Ok(None), |g| sub_u64(g, 3)))
                    .map(|pc| m.pc = m.pc.or(pc)),
            )
        }
        (3, Some(tc)) => {
            err = err.and(walk(tc, |n, v| match n {
                1 => m.task_state = v.u32(),
                2 => m.exit_code = v.u32(),
                6 => m.comm = v.string(),
                13 => m.loginuid = v.u32(),
                _ => {}
            }))
        }
        (4, Some(i)) => match ids(i) {
            Ok(i) => m.ids = Some(i),
            Err(e) => err = Err(e),
        },
        (5, Some(th)) => {
            let mut inner = Ok(());
            let r = walk(th, |n, v| match (n, v.bytes()) {
                (10, Some(c)) => match creds(c) {
                    Ok(c) => m.creds = Some(c),
                    Err(e) => inner = Err(e),
                },
                (11, _) => m.seccomp_mode = v.u32(),
                _ => {}
            });
            err = err.and(r).and(inner);
        }
        _ => {}
    })?;
    err.map(|_| m)
}

/// The first length-delimited field `want` of `b`.
fn sub_field(b: &[u8], want: u32) -> R<Option<&[u8]>> {
    let mut out = None;
    walk(b, |n, v| {
        if n == want && out.is_none() {
            out = v.bytes();
        }
    })?;
    Ok(out)
}

/// The first integer field `want` of `b`.
fn sub_u64(b: &[u8], want: u32) -> R<Option<u64>> {
    let mut out = None;
    walk(b, |n, v| {
        if n == want && out.is_none() {
            out = v.u64();
        }
    })?;
    Ok(out)
}

/// `vma_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Vma {
    pub start: u64,
    pub end: u64,
    pub pgoff: u64,
    /// For file mappings: the file's id in the files image.
    pub shmid: u64,
    pub prot: u32,
    pub flags: u32,
    pub status: u32,
    pub fd: i64,
    pub madv: Option<u64>,
    pub fdflags: Option<u32>,
}

/// `VMA_*` status bits (criu/include/image.h).
pub(crate) mod vma_status {
    pub const FILE_PRIVATE: u32 = 1 << 6;
    pub const FILE_SHARED: u32 = 1 << 7;
    pub const MEMFD: u32 = 1 << 14;
}

fn vma(b: &[u8]) -> R<Vma> {
    let mut m = Vma::default();
    walk(b, |n, v| match n {
        1 => m.start = u64v(v),
        2 => m.end = u64v(v),
        3 => m.pgoff = u64v(v),
        4 => m.shmid = u64v(v),
        5 => m.prot = u32v(v),
        6 => m.flags = u32v(v),
        7 => m.status = u32v(v),
        8 => m.fd = v.sint().unwrap_or(-1),
        9 => m.madv = v.u64(),
        10 => m.fdflags = v.u32(),
        _ => {}
    })?;
    Ok(m)
}

/// `mm_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub(crate) struct Mm {
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub start_stack: u64,
    pub start_brk: u64,
    pub brk: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    pub exe_file_id: u32,
    pub saved_auxv: Vec<u64>,
    pub vmas: Vec<Vma>,
    pub dumpable: Option<i64>,
}

pub(crate) fn mm(b: &[u8]) -> R<Mm> {
    let mut m = Mm::default();
    let mut err = Ok(());
    walk(b, |n, v| match n {
        1 => m.start_code = u64v(v),
        2 => m.end_code = u64v(v),
        3 => m.start_data = u64v(v),
        4 => m.end_data = u64v(v),
        5 => m.start_stack = u64v(v),
        6 => m.start_brk = u64v(v),
        7 => m.brk = u64v(v),
        8 => m.arg_start = u64v(v),
        9 => m.arg_end = u64v(v),
        10 => m.env_start = u64v(v),
        11 => m.env_end = u64v(v),
        12 => m.exe_file_id = u32v(v),
        13 => match v.repeated_u64() {
            Ok(x) => m.saved_auxv.extend(x),
            Err(e) => err = Err(e),
        },
        14 => match v.bytes().map(vma) {
            Some(Ok(x)) => m.vmas.push(x),
            Some(Err(e)) => err = Err(e),
            None => {}
        },
        15 => m.dumpable = v.int(),
        _ => {}
    })?;
    err.map(|_| m)
}

/// A pagemap image's entry: the head (`pagemap_head`) first, then `pagemap_entry`s.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct PagemapEntry {
    pub vaddr: u64,
    pub nr_pages: u32,
    pub in_parent: Option<bool>,
    /// `PE_PARENT` 1, `PE_LAZY` 2, `PE_PRESENT` 4.
    pub flags: Option<u32>,
}

impl PagemapEntry {
    /// Whether its pages are in this dump's pages image (not only in a parent dump).
    pub(crate) fn in_pages(&self) -> bool {
        match self.flags {
            Some(f) => f & 4 != 0,
            None => self.in_parent != Some(true),
        }
    }
}

pub(crate) fn pagemap_head(b: &[u8]) -> R<u32> {
    let mut id = 0;
    walk(b, |n, v| {
        if n == 1 {
            id = u32v(v);
        }
    })?;
    Ok(id)
}

pub(crate) fn pagemap_entry(b: &[u8]) -> R<PagemapEntry> {
    let mut m = PagemapEntry::default();
    walk(b, |n, v| match n {
        1 => m.vaddr = u64v(v),
        2 => m.nr_pages = u32v(v),
        3 => m.in_parent = v.bool(),
        4 => m.flags = v.u32(),
        _ => {}
    })?;
    Ok(m)
}

/// `fdinfo_entry`: one descriptor of a task.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Fdinfo {
    pub id: u32,
    pub flags: u32,
    /// `fd_types`: 1 REG, 2 PIPE, 3 FIFO, 4 INETSK, 5 UNIXSK, 6 EVENTFD, 11 TTY, 18 MEMFD...
    pub kind: u32,
    pub fd: u32,
}

pub(crate) fn fdinfo(b: &[u8]) -> R<Fdinfo> {
    let mut m = Fdinfo::default();
    walk(b, |n, v| match n {
        1 => m.id = u32v(v),
        2 => m.flags = u32v(v),
        3 => m.kind = u32v(v),
        4 => m.fd = u32v(v),
        _ => {}
    })?;
    Ok(m)
}

/// The name CRIU gives an `fd_types` value.
pub(crate) fn fd_type_name(t: u32) -> &'static str {
    const NAMES: [&str; 19] = [
        "UND",
        "REG",
        "PIPE",
        "FIFO",
        "INETSK",
        "UNIXSK",
        "EVENTFD",
        "EVENTPOLL",
        "INOTIFY",
        "SIGNALFD",
        "PACKETSK",
        "TTY",
        "FANOTIFY",
        "NETLINKSK",
        "NS",
        "TUNF",
        "EXT",
        "TIMERFD",
        "MEMFD",
    ];
    NAMES.get(t as usize).copied().unwrap_or("UNKNOWN")
}

/// `reg_file_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct RegFile {
    pub id: u32,
    pub flags: u32,
    pub pos: u64,
    pub name: String,
    pub size: Option<u64>,
    pub mode: Option<u32>,
}

fn reg_file(b: &[u8]) -> R<RegFile> {
    let mut m = RegFile::default();
    walk(b, |n, v| match n {
        1 => m.id = u32v(v),
        2 => m.flags = u32v(v),
        3 => m.pos = u64v(v),
        6 => m.name = v.string().unwrap_or_default(),
        8 => m.size = v.u64(),
        10 => m.mode = v.u32(),
        _ => {}
    })?;
    Ok(m)
}

/// `inet_sk_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct InetSk {
    pub id: u32,
    pub ino: u32,
    /// `AF_INET` 2, `AF_INET6` 10.
    pub family: u32,
    /// `SOCK_STREAM` 1, `SOCK_DGRAM` 2, `SOCK_RAW` 3.
    pub sock_type: u32,
    /// `IPPROTO_TCP` 6, `IPPROTO_UDP` 17.
    pub proto: u32,
    /// TCP state: 1 ESTABLISHED ... 10 LISTEN.
    pub state: u32,
    pub src_port: u32,
    pub dst_port: u32,
    /// Addresses as CRIU keeps them: 32-bit words in network byte order.
    pub src_addr: Vec<u32>,
    pub dst_addr: Vec<u32>,
    pub ifname: Option<String>,
}

pub(crate) fn inet_sk(b: &[u8]) -> R<InetSk> {
    let mut m = InetSk::default();
    let mut err = Ok(());
    walk(b, |n, v| match n {
        1 => m.id = u32v(v),
        2 => m.ino = u32v(v),
        3 => m.family = u32v(v),
        4 => m.sock_type = u32v(v),
        5 => m.proto = u32v(v),
        6 => m.state = u32v(v),
        7 => m.src_port = u32v(v),
        8 => m.dst_port = u32v(v),
        11 => err = err.and(push_u32(&mut m.src_addr, v)),
        12 => err = err.and(push_u32(&mut m.dst_addr, v)),
        17 => m.ifname = v.string(),
        _ => {}
    })?;
    err.map(|_| m)
}

/// `unix_sk_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct UnixSk {
    pub id: u32,
    pub ino: u32,
    pub sock_type: u32,
    pub state: u32,
    /// The peer's inode (0: none).
    pub peer: u32,
    /// The bound path (abstract names start with a NUL), escaped on output.
    pub name: Vec<u8>,
    pub deleted: Option<bool>,
}

pub(crate) fn unix_sk(b: &[u8]) -> R<UnixSk> {
    let mut m = UnixSk::default();
    walk(b, |n, v| match n {
        1 => m.id = u32v(v),
        2 => m.ino = u32v(v),
        3 => m.sock_type = u32v(v),
        4 => m.state = u32v(v),
        8 => m.peer = u32v(v),
        11 => m.name = v.bytes().map(<[u8]>::to_vec).unwrap_or_default(),
        15 => m.deleted = v.bool(),
        _ => {}
    })?;
    Ok(m)
}

/// What one file entry is.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum FileKind {
    Reg(RegFile),
    Inet(InetSk),
    Unix(UnixSk),
    Pipe {
        pipe_id: u32,
    },
    Tty {
        tty_info_id: u32,
    },
    Eventfd {
        counter: u64,
    },
    Memfd {
        inode_id: u32,
    },
    /// Another kind (eventpoll, signalfd, netlink, ns...): its `fd_types` name.
    Other {
        fd_type: &'static str,
    },
}

/// `file_entry` (files.img), or an entry of a per-kind image of older dumps.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub(crate) struct FileEntry {
    pub id: u32,
    pub file: FileKind,
}

pub(crate) fn file_entry(b: &[u8]) -> R<FileEntry> {
    let (mut id, mut fd_type) = (0, 0);
    let mut file: Option<R<FileKind>> = None;
    walk(b, |n, v| {
        let sub = v.bytes().unwrap_or(&[]);
        match n {
            1 => fd_type = u32v(v),
            2 => id = u32v(v),
            3 => file = Some(reg_file(sub).map(FileKind::Reg)),
            4 => file = Some(inet_sk(sub).map(FileKind::Inet)),
            16 => file = Some(unix_sk(sub).map(FileKind::Unix)),
            18 => file = Some(sub_u64(sub, 2).map(|p| FileKind::Pipe { pipe_id: p.unwrap_or(0) as u32 })),
            19 => file = Some(sub_u64(sub, 2).map(|t| FileKind::Tty { tty_info_id: t.unwrap_or(0) as u32 })),
            8 => file = Some(sub_u64(sub, 4).map(|c| FileKind::Eventfd { counter: c.unwrap_or(0) })),
            20 => file = Some(sub_u64(sub, 5).map(|i| FileKind::Memfd { inode_id: i.unwrap_or(0) as u32 })),
            _ => {}
        }
    })?;
    let file = match file {
        Some(f) => f?,
        None => FileKind::Other { fd_type: fd_type_name(fd_type) },
    };
    Ok(FileEntry { id, file })
}

/// An entry of a per-kind file image of older dumps (`reg-files.img`, `inetsk.img`...).
pub(crate) fn legacy_file(kind: &str, b: &[u8]) -> Option<R<FileEntry>> {
    let f = match kind {
        "reg-files" => reg_file(b).map(|r| (r.id, FileKind::Reg(r))),
        "inetsk" => inet_sk(b).map(|r| (r.id, FileKind::Inet(r))),
        "unixsk" => unix_sk(b).map(|r| (r.id, FileKind::Unix(r))),
        "pipes" => sub_u64(b, 1).and_then(|id| {
            Ok((id.unwrap_or(0) as u32, FileKind::Pipe { pipe_id: sub_u64(b, 2)?.unwrap_or(0) as u32 }))
        }),
        "tty" => sub_u64(b, 1).and_then(|id| {
            Ok((id.unwrap_or(0) as u32, FileKind::Tty { tty_info_id: sub_u64(b, 2)?.unwrap_or(0) as u32 }))
        }),
        _ => return None,
    };
    Some(f.map(|(id, file)| FileEntry { id, file }))
}

/// `memfd_inode_entry` (memfd.img).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct MemfdInode {
    pub name: String,
    pub uid: u32,
    pub size: u64,
    pub inode_id: u64,
}

pub(crate) fn memfd_inode(b: &[u8]) -> R<MemfdInode> {
    let mut m = MemfdInode::default();
    walk(b, |n, v| match n {
        1 => m.name = v.string().unwrap_or_default(),
        2 => m.uid = u32v(v),
        4 => m.size = u64v(v),
        7 => m.inode_id = u64v(v),
        _ => {}
    })?;
    Ok(m)
}

/// `remap_file_path_entry`: a file opened under a path it no longer has (deleted:
/// `remap_type` 0 linked, 1 ghost; 2 procfs).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Remap {
    pub orig_id: u32,
    pub remap_id: u32,
    pub remap_type: Option<u32>,
}

pub(crate) fn remap(b: &[u8]) -> R<Remap> {
    let mut m = Remap::default();
    walk(b, |n, v| match n {
        1 => m.orig_id = u32v(v),
        2 => m.remap_id = u32v(v),
        3 => m.remap_type = v.u32(),
        _ => {}
    })?;
    Ok(m)
}

/// `ghost_file_entry`: a deleted file whose content CRIU kept (ghost-file-N.img).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct GhostFile {
    pub uid: u32,
    pub mode: u32,
    /// The content comes in chunks (a sparse file) rather than whole after the entry.
    pub chunks: bool,
    pub size: Option<u64>,
}

pub(crate) fn ghost_file(b: &[u8]) -> R<GhostFile> {
    let mut m = GhostFile::default();
    walk(b, |n, v| match n {
        1 => m.uid = u32v(v),
        3 => m.mode = u32v(v),
        9 => m.chunks = v.bool().unwrap_or(false),
        10 => m.size = v.u64(),
        _ => {}
    })?;
    Ok(m)
}

/// `fs_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Fs {
    pub cwd_id: u32,
    pub root_id: u32,
    pub umask: Option<u32>,
}

pub(crate) fn fs(b: &[u8]) -> R<Fs> {
    let mut m = Fs::default();
    walk(b, |n, v| match n {
        1 => m.cwd_id = u32v(v),
        2 => m.root_id = u32v(v),
        3 => m.umask = v.u32(),
        _ => {}
    })?;
    Ok(m)
}

/// `tty_info_entry`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct TtyInfo {
    pub id: u32,
    /// `TtyType`: 1 PTY, 2 CONSOLE, 3 VT, 4 CTTY, 5 EXT_TTY, 6 SERIAL.
    pub tty_type: u32,
    pub locked: bool,
    pub exclusive: bool,
    pub packet_mode: bool,
    pub sid: u32,
    pub pgrp: u32,
    pub rdev: u32,
    pub pty_index: Option<u32>,
    pub dev: Option<u32>,
}

pub(crate) fn tty_info(b: &[u8]) -> R<TtyInfo> {
    let mut m = TtyInfo::default();
    let mut err = Ok(());
    walk(b, |n, v| match n {
        1 => m.id = u32v(v),
        2 => m.tty_type = u32v(v),
        3 => m.locked = v.bool().unwrap_or(false),
        4 => m.exclusive = v.bool().unwrap_or(false),
        5 => m.packet_mode = v.bool().unwrap_or(false),
        6 => m.sid = u32v(v),
        7 => m.pgrp = u32v(v),
        8 => m.rdev = u32v(v),
        12 => match v.bytes().map(|b| sub_u64(b, 1)) {
            Some(Ok(i)) => m.pty_index = i.map(|i| i as u32),
            Some(Err(e)) => err = Err(e),
            None => {}
        },
        13 => m.dev = v.u32(),
        _ => {}
    })?;
    err.map(|_| m)
}

/// The name of a `TtyType`.
pub(crate) fn tty_type_name(t: u32) -> &'static str {
    ["UNKNOWN", "PTY", "CONSOLE", "VT", "CTTY", "EXT_TTY", "SERIAL"]
        .get(t as usize)
        .copied()
        .unwrap_or("UNKNOWN")
}

/// `seccomp_entry`: the filters (their BPF byte lengths, `prev` links and flags).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Seccomp {
    pub filters: Vec<SeccompFilter>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct SeccompFilter {
    pub filter_bytes: usize,
    pub prev: Option<u32>,
    pub flags: Option<u32>,
}

pub(crate) fn seccomp(b: &[u8]) -> R<Seccomp> {
    let mut m = Seccomp::default();
    let mut err = Ok(());
    walk(b, |n, v| {
        if let (1, Some(f)) = (n, v.bytes()) {
            let mut x = SeccompFilter::default();
            err = err.and(walk(f, |n, v| match n {
                1 => x.filter_bytes = v.bytes().map_or(0, <[u8]>::len),
                2 => x.prev = v.u32(),
                3 => x.flags = v.u32(),
                _ => {}
            }));
            m.filters.push(x);
        }
    })?;
    err.map(|_| m)
}

/// `timens_entry`: the namespace's clock offsets, (seconds, nanoseconds).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Timens {
    pub monotonic: (u64, u64),
    pub boottime: (u64, u64),
}

pub(crate) fn timens(b: &[u8]) -> R<Timens> {
    let mut m = Timens::default();
    let mut err = Ok(());
    let spec = |b: &[u8]| -> R<(u64, u64)> { Ok((sub_u64(b, 1)?.unwrap_or(0), sub_u64(b, 2)?.unwrap_or(0))) };
    walk(b, |n, v| match (n, v.bytes().map(spec)) {
        (_, Some(Err(e))) => err = Err(e),
        (1, Some(Ok(t))) => m.monotonic = t,
        (2, Some(Ok(t))) => m.boottime = t,
        _ => {}
    })?;
    err.map(|_| m)
}

/// `dump_stats_entry` (stats-dump).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct DumpStats {
    pub freezing_time: u32,
    pub frozen_time: u32,
    pub memdump_time: u32,
    pub memwrite_time: u32,
    pub pages_scanned: u64,
    pub pages_skipped_parent: u64,
    pub pages_written: u64,
    pub irmap_resolve: Option<u32>,
    pub pages_lazy: u64,
}

/// `stats_entry`: its dump statistics, when it has them.
pub(crate) fn stats(b: &[u8]) -> R<Option<DumpStats>> {
    let Some(d) = sub_field(b, 1)? else { return Ok(None) };
    let mut m = DumpStats::default();
    walk(d, |n, v| match n {
        1 => m.freezing_time = u32v(v),
        2 => m.frozen_time = u32v(v),
        3 => m.memdump_time = u32v(v),
        4 => m.memwrite_time = u32v(v),
        5 => m.pages_scanned = u64v(v),
        6 => m.pages_skipped_parent = u64v(v),
        7 => m.pages_written = u64v(v),
        8 => m.irmap_resolve = v.u32(),
        9 => m.pages_lazy = u64v(v),
        _ => {}
    })?;
    Ok(Some(m))
}

/// `cgroup_entry`'s sets: each set's id and its controllers' paths.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct CgSet {
    pub id: u32,
    /// (controller, path).
    pub ctls: Vec<(String, String)>,
}

/// The sets of a `cgroup_entry` and how many controllers it lists.
pub(crate) fn cgroup(b: &[u8]) -> R<(Vec<CgSet>, usize)> {
    let mut sets = vec![];
    let mut controllers = 0;
    let mut err = Ok(());
    walk(b, |n, v| match (n, v.bytes()) {
        (1, Some(s)) => {
            let mut set = CgSet::default();
            err = err.and(walk(s, |n, v| match (n, v.bytes()) {
                (1, _) => set.id = u32v(v),
                (2, Some(c)) => {
                    let (mut name, mut path) = (String::new(), String::new());
                    let r = walk(c, |n, v| match n {
                        1 => name = v.string().unwrap_or_default(),
                        2 => path = v.string().unwrap_or_default(),
                        _ => {}
                    });
                    if r.is_ok() {
                        set.ctls.push((name, path));
                    }
                }
                _ => {}
            }));
            sets.push(set);
        }
        (2, Some(_)) => controllers += 1,
        _ => {}
    })?;
    err.map(|_| (sets, controllers))
}
