//! The replay: a capture's blocks in order, its tables loaded (threads, fds, users) and its
//! syscall events applied to them, so each event is read as the thread that made it was then
//! (its program, command line, user and container). What forensics needs comes out as
//! [`Activity`]: connections, file opens and writes, renames, deletions, setuid, ptrace,
//! mounts. Everything is bounded: events, threads, descriptors and activity have caps, and
//! what went past one is counted and reported.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use super::block::{Blocks, Next};
use super::cgroup::container_of;
use super::codes::{self, *};
use super::event::{self, list, sockaddr, tuple, Addr, Decoded, Event, Tuple};
use super::paths::sensitive;
use super::tables::{self, FdEntry};
use crate::ingest::top::program_name;
use crate::model::{Diagnostic, Locator};

/// Events read from one capture at most.
pub(crate) const MAX_EVENTS: u64 = 200_000_000;
/// Threads kept at most.
const MAX_THREADS: usize = 200_000;
/// Open descriptors tracked at most.
const MAX_FDS: usize = 500_000;
/// Activity records kept at most: this many of any kind, as many again of the kinds rules
/// read (connections, sensitive files, renames, deletions, setuid, ptrace, mounts), so
/// ordinary file and datagram traffic never crowds them out.
pub(crate) const MAX_ACTIVITY: usize = 100_000;
/// Plain file reads and writes kept per process (sensitive files are always kept).
const MAX_FILES_PER_PROCESS: u32 = 200;
/// Plain file reads kept in all.
const MAX_READS: u64 = 50_000;

/// A thread as the capture left it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Thread {
    pub(crate) tid: u64,
    pub(crate) pid: u64,
    pub(crate) ptid: u64,
    pub(crate) comm: String,
    /// argv[0].
    pub(crate) exe: String,
    pub(crate) exepath: String,
    /// argv[1..].
    pub(crate) args: Vec<String>,
    pub(crate) cwd: String,
    pub(crate) uid: Option<u32>,
    pub(crate) container: Option<String>,
    /// When its last exec (or its clone) was seen, ns since the epoch; None for threads of the
    /// process list only.
    pub(crate) started: Option<u64>,
    pub(crate) exited: Option<u64>,
    /// Where its record is (the process list block, or its last exec or clone event).
    pub(crate) offset: u64,
}

impl Thread {
    /// The command line: argv joined by spaces.
    pub(crate) fn cmd(&self) -> String {
        let mut s = if self.exe.is_empty() { self.comm.clone() } else { self.exe.clone() };
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// The program's base name.
    pub(crate) fn program(&self) -> String {
        let from = if self.exepath.is_empty() { self.cmd() } else { self.exepath.clone() };
        let p = program_name(&from);
        if p.is_empty() {
            self.comm.clone()
        } else {
            p
        }
    }
}

/// Who did something: the thread's process as it was then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Who {
    pub(crate) pid: u64,
    pub(crate) tid: u64,
    pub(crate) program: String,
    pub(crate) cmd: String,
    pub(crate) uid: Option<u32>,
    pub(crate) container: Option<String>,
}

/// Something a process did that forensics cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    /// connect(): `done` unless it failed (a non-blocking connect in progress counts).
    Connect {
        proto: Option<&'static str>,
        local: Option<Addr>,
        remote: Addr,
        done: bool,
    },
    /// accept(): a client connected to this process.
    Accept {
        client: Addr,
        server: Addr,
    },
    /// sendto / sendmsg / recvfrom with an address (datagrams).
    Datagram {
        call: &'static str,
        proto: Option<&'static str>,
        local: Addr,
        remote: Addr,
    },
    Open {
        path: String,
        write: bool,
    },
    Write {
        path: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Unlink {
        path: String,
    },
    Setuid {
        uid: u32,
        before: Option<u32>,
    },
    Ptrace {
        request: &'static str,
        target: i64,
    },
    Mount {
        source: String,
        target: String,
        fstype: String,
    },
}

/// One act, when and where it was read, and who did it.
#[derive(Clone, Debug)]
pub(crate) struct Activity {
    pub(crate) ts: u64,
    pub(crate) offset: u64,
    pub(crate) who: Who,
    pub(crate) act: Act,
}

/// A container the capture names (container events; cgroups give the id only).
#[derive(Clone, Debug, Default)]
pub(crate) struct ContainerMeta {
    pub(crate) name: String,
    pub(crate) image: String,
    pub(crate) runtime: &'static str,
}

/// Counts of what was read and what was not.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stats {
    pub(crate) blocks: u64,
    pub(crate) events: u64,
    pub(crate) decoded: u64,
    /// Events whose type is past this reader's table (a newer driver).
    pub(crate) newer_types: u64,
    pub(crate) bad_events: u64,
    pub(crate) first_bad: Option<(u64, String)>,
    pub(crate) unknown_blocks: BTreeMap<u32, u64>,
    /// Drop events (enter and exit): the driver lost events around them.
    pub(crate) drops: u64,
    pub(crate) activity_over_cap: u64,
    /// Plain file reads and writes past a cap ([`MAX_FILES_PER_PROCESS`], [`MAX_READS`]).
    pub(crate) files_over_cap: u64,
    pub(crate) reads: u64,
    pub(crate) threads_over_cap: u64,
    pub(crate) first_ts: Option<u64>,
    pub(crate) last_ts: Option<u64>,
}

/// A capture, replayed.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    pub(crate) threads: BTreeMap<u64, Thread>,
    pub(crate) users: BTreeMap<u32, String>,
    pub(crate) containers: BTreeMap<String, ContainerMeta>,
    pub(crate) activity: Vec<Activity>,
    pub(crate) stats: Stats,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// An open descriptor.
#[derive(Clone, Debug)]
enum Fd {
    File { path: String },
    Socket { proto: Option<&'static str> },
}

/// What an enter event said, for its exit event.
#[derive(Clone, Debug, Default)]
struct Pending {
    etype: u16,
    fd: Option<i64>,
    path: Option<String>,
    flags: Option<u64>,
    num: Option<u64>,
    target: Option<i64>,
    addr: Option<Addr>,
}

struct Replay<'l> {
    loc: &'l Locator,
    cap: Capture,
    fds: HashMap<(u64, i64), Fd>,
    pending: HashMap<u64, Pending>,
    /// Acts already listed, by the hash of (process, kind, key).
    seen: HashSet<u64>,
    /// Plain file reads and writes listed, per process.
    files: HashMap<(u64, bool), u32>,
}

/// Replays the capture `reader` holds; `loc` names it in diagnostics.
pub(crate) fn read(reader: impl Read, loc: &Locator) -> Capture {
    let mut r = Replay {
        loc,
        cap: Capture::default(),
        fds: HashMap::new(),
        pending: HashMap::new(),
        seen: HashSet::new(),
        files: HashMap::new(),
    };
    let mut blocks = Blocks::new(reader);
    let mut first = true;
    loop {
        match blocks.next_block() {
            Next::End => {
                if first {
                    r.error(0, "empty capture: no section header".into());
                }
                break;
            }
            Next::Broken { offset, message } => {
                let s = &r.cap.stats;
                let read = format!("; read {} blocks and {} events before it", s.blocks, s.events);
                r.error(offset, format!("{message}{read}"));
                break;
            }
            Next::Block { kind, offset, body } => {
                r.cap.stats.blocks += 1;
                if (first || kind == codes::SHB) && !r.section(kind, offset, body, first) {
                    break;
                }
                first = false;
                if kind != codes::SHB {
                    r.block(kind, offset, body);
                }
            }
        }
    }
    r.finish()
}

impl Replay<'_> {
    fn error(&mut self, offset: u64, message: String) {
        self.cap.diagnostics.push(Diagnostic::error(self.loc.clone().with_offset(offset), message));
    }

    fn warning(&mut self, offset: u64, message: String) {
        self.cap.diagnostics.push(Diagnostic::warning(self.loc.clone().with_offset(offset), message));
    }

    /// A section header: false when the capture cannot be read on.
    fn section(&mut self, kind: u32, offset: u64, body: &[u8], first: bool) -> bool {
        if kind != codes::SHB {
            self.error(
                offset,
                format!("not a libscap capture: the first block has type {kind:#x}, not a section header"),
            );
            return false;
        }
        let magic = event::uint(body.get(0..4).unwrap_or(&[])).unwrap_or(0) as u32;
        if magic == codes::SHB_MAGIC.swap_bytes() {
            self.error(offset, "big-endian capture: this reader reads little-endian captures only".into());
            return false;
        }
        if magic != codes::SHB_MAGIC {
            self.error(offset, format!("section header with byte-order magic {magic:#x}, not 0x1a2b3c4d"));
            return false;
        }
        let major = event::uint(body.get(4..6).unwrap_or(&[])).unwrap_or(0);
        let minor = event::uint(body.get(6..8).unwrap_or(&[])).unwrap_or(0);
        if major > 1 && first {
            self.warning(
                offset,
                format!("format version {major}.{minor} is newer than this reader (1.x); read as 1.x"),
            );
        }
        true
    }

    fn block(&mut self, kind: u32, offset: u64, body: &[u8]) {
        if let Some(layout) = codes::event_layout(kind) {
            self.cap.stats.events += 1;
            if self.cap.stats.events > MAX_EVENTS {
                return;
            }
            match event::decode(layout, body) {
                Decoded::Event(e) => {
                    self.cap.stats.decoded += 1;
                    let s = &mut self.cap.stats;
                    s.first_ts = Some(s.first_ts.map_or(e.ts, |t| t.min(e.ts)));
                    s.last_ts = Some(s.last_ts.map_or(e.ts, |t| t.max(e.ts)));
                    self.apply(&e, offset);
                }
                Decoded::Skipped(t) => {
                    if t >= codes::EVENT_MAX {
                        self.cap.stats.newer_types += 1;
                    }
                }
                Decoded::Bad(m) => {
                    self.cap.stats.bad_events += 1;
                    self.cap.stats.first_bad.get_or_insert((offset, m));
                }
            }
        } else if let Some(version) = codes::proclist_version(kind) {
            let (threads, problem) = tables::proclist(version, body);
            for t in threads {
                let container = container_of(&t.cgroups).map(|(id, runtime)| self.container(id, runtime));
                let th = Thread {
                    tid: t.tid,
                    pid: t.pid,
                    ptid: t.ptid,
                    comm: t.comm,
                    exe: t.exe,
                    exepath: t.exepath,
                    args: t.args,
                    cwd: t.cwd,
                    uid: Some(t.uid),
                    container,
                    offset,
                    ..Default::default()
                };
                if self.cap.threads.len() < MAX_THREADS {
                    self.cap.threads.insert(th.tid, th);
                } else {
                    self.cap.stats.threads_over_cap += 1;
                }
            }
            if let Some(p) = problem {
                self.warning(
                    offset,
                    format!("process list (version {version}): {p}; the rest of the block skipped"),
                );
            }
        } else if codes::FDL.contains(&kind) {
            let (tid, fds, problem) = tables::fdlist(kind, body);
            let pid = self.pid_of(tid);
            for (num, entry) in fds {
                let fd = match entry {
                    FdEntry::File { path, .. } => Fd::File { path },
                    FdEntry::Socket => Fd::Socket { proto: None },
                    FdEntry::Other => continue,
                };
                self.set_fd(pid, num, fd);
            }
            if let Some(p) = problem {
                self.warning(offset, format!("fd list of thread {tid}: {p}; the rest of the block skipped"));
            }
        } else if codes::UL.contains(&kind) {
            let (users, problem) = tables::userlist(kind, body);
            self.cap.users.extend(users);
            if let Some(p) = problem {
                self.warning(offset, format!("user list: {p}; the rest of the block skipped"));
            }
        } else if !codes::MI.contains(&kind) && !codes::IL.contains(&kind) {
            *self.cap.stats.unknown_blocks.entry(kind).or_default() += 1;
        }
    }

    fn container(&mut self, id: String, runtime: &'static str) -> String {
        let meta = self.cap.containers.entry(id.clone()).or_default();
        if meta.runtime.is_empty() {
            meta.runtime = runtime;
        }
        id
    }

    fn pid_of(&self, tid: u64) -> u64 {
        self.cap.threads.get(&tid).map_or(tid, |t| t.pid)
    }

    fn set_fd(&mut self, pid: u64, fd: i64, what: Fd) {
        if self.fds.len() < MAX_FDS || self.fds.contains_key(&(pid, fd)) {
            self.fds.insert((pid, fd), what);
        }
    }

    fn fd(&self, tid: u64, fd: Option<i64>) -> Option<&Fd> {
        self.fds.get(&(self.pid_of(tid), fd?))
    }

    fn proto(&self, tid: u64, fd: Option<i64>) -> Option<&'static str> {
        match self.fd(tid, fd) {
            Some(Fd::Socket { proto }) => *proto,
            _ => None,
        }
    }

    /// The thread `tid`, created when new (None past the cap).
    fn thread(&mut self, tid: u64) -> Option<&mut Thread> {
        if !self.cap.threads.contains_key(&tid) {
            if self.cap.threads.len() >= MAX_THREADS {
                self.cap.stats.threads_over_cap += 1;
                return None;
            }
            self.cap.threads.insert(tid, Thread { tid, pid: tid, ..Default::default() });
        }
        self.cap.threads.get_mut(&tid)
    }

    fn who(&self, tid: u64) -> Who {
        match self.cap.threads.get(&tid) {
            Some(t) => Who {
                pid: t.pid,
                tid,
                program: t.program(),
                cmd: t.cmd(),
                uid: t.uid,
                container: t.container.clone(),
            },
            None => {
                Who { pid: tid, tid, program: String::new(), cmd: String::new(), uid: None, container: None }
            }
        }
    }

    fn push(&mut self, e: &Event, offset: u64, act: Act) {
        let plain = match &act {
            Act::Datagram { .. } | Act::Accept { .. } => true,
            Act::Open { path, .. } | Act::Write { path } => sensitive(path).is_none(),
            _ => false,
        };
        let cap = if plain { MAX_ACTIVITY } else { 2 * MAX_ACTIVITY };
        if self.cap.activity.len() >= cap {
            self.cap.stats.activity_over_cap += 1;
            return;
        }
        let who = self.who(e.tid);
        self.cap.activity.push(Activity { ts: e.ts, offset, who, act });
    }

    /// Pushes `act` unless the process already did the same (`kind`, `key`).
    fn push_once(&mut self, e: &Event, offset: u64, kind: u8, key: String, act: Act) {
        let key = self.seen_key(self.pid_of(e.tid), kind, &key);
        if self.seen.contains(&key) {
            return;
        }
        if self.seen.len() < 2 * MAX_ACTIVITY {
            self.seen.insert(key);
        }
        self.push(e, offset, act);
    }

    /// The key of an act in `seen` (SipHash with fixed keys: the same in every run).
    fn seen_key(&self, pid: u64, kind: u8, key: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (pid, kind, key).hash(&mut h);
        h.finish()
    }

    fn was_seen(&self, pid: u64, kind: u8, key: &str) -> bool {
        self.seen.contains(&self.seen_key(pid, kind, key))
    }

    fn enter(&mut self, e: &Event, p: Pending) {
        if self.pending.len() >= MAX_THREADS {
            self.pending.clear();
        }
        self.pending.insert(e.tid, Pending { etype: e.etype, ..p });
    }

    /// What the enter event `etype` of this thread said, when it came just before.
    fn entered(&mut self, e: &Event, etype: u16) -> Option<Pending> {
        if self.pending.get(&e.tid).is_some_and(|p| p.etype == etype) {
            self.pending.remove(&e.tid)
        } else {
            None
        }
    }

    /// A path as the process meant it: relative ones joined to the directory of `dirfd`
    /// (the working directory for none or `AT_FDCWD`).
    fn resolve(&self, tid: u64, dirfd: Option<i64>, name: &str) -> String {
        if name.starts_with('/') {
            return normalize(name);
        }
        let base = match dirfd {
            Some(fd) if fd != codes::AT_FDCWD => match self.fd(tid, Some(fd)) {
                Some(Fd::File { path }) => path.clone(),
                _ => String::new(),
            },
            _ => self.cap.threads.get(&tid).map(|t| t.cwd.clone()).unwrap_or_default(),
        };
        if base.is_empty() {
            name.to_string()
        } else {
            normalize(&format!("{base}/{name}"))
        }
    }

    fn apply(&mut self, e: &Event, offset: u64) {
        let tid = e.tid;
        match e.etype {
            t if EXECVE_X.contains(&t) => self.exec(e, offset),
            t if CLONE_X.contains(&t) => self.clone_event(e, offset),
            EXECVE_18_E | EXECVE_19_E => self.enter(e, Pending { path: e.text(0), ..Default::default() }),
            EXECVEAT_E => self.enter(e, Pending { path: e.text(1), ..Default::default() }),
            PROCEXIT_1_E => {
                if let Some(t) = self.cap.threads.get_mut(&tid) {
                    t.exited = Some(e.ts);
                }
            }
            SOCKET_E => self.enter(e, Pending { num: e.uint(1), ..Default::default() }),
            SOCKET_X => {
                let proto = self.entered(e, SOCKET_E).and_then(|p| p.num).and_then(|t| match t & 0xf {
                    1 => Some("tcp"),
                    2 => Some("udp"),
                    3 => Some("raw"),
                    _ => None,
                });
                if let Some(fd) = e.int(0).filter(|fd| *fd >= 0) {
                    self.set_fd(self.pid_of(tid), fd, Fd::Socket { proto });
                }
            }
            CONNECT_E => {
                let addr = e.param(1).and_then(sockaddr);
                self.enter(e, Pending { fd: e.int(0), addr, ..Default::default() })
            }
            CONNECT_X => {
                let p = self.entered(e, CONNECT_E).unwrap_or_default();
                let res = e.int(0).unwrap_or(0);
                let t = e.param(1).and_then(tuple);
                let fd = e.int(2).or(p.fd);
                let Some(remote) = t.map(|t| t.dst).or(p.addr) else { return };
                let proto = self.proto(tid, fd);
                let done = res == 0 || res == -115;
                let act = Act::Connect { proto, local: t.map(|t| t.src), remote, done };
                // One record per process, address and outcome.
                self.push_once(e, offset, b'c', format!("{} {done}", remote.endpoint()), act);
            }
            ACCEPT_X | ACCEPT4_X | ACCEPT_5_X | ACCEPT4_5_X | ACCEPT4_6_X => {
                let (Some(fd), Some(t)) = (e.int(0).filter(|fd| *fd >= 0), e.param(1).and_then(tuple)) else {
                    return;
                };
                self.set_fd(self.pid_of(tid), fd, Fd::Socket { proto: Some("tcp") });
                // One record per process, client address and server end.
                let key = format!("{} {}", t.src.ip, t.dst.endpoint());
                self.push_once(e, offset, b'a', key, Act::Accept { client: t.src, server: t.dst });
            }
            SENDTO_E | SENDMSG_E => {
                let call = if e.etype == SENDTO_E { "sendto" } else { "sendmsg" };
                if let Some(t) = e.param(2).and_then(tuple) {
                    self.datagram(e, offset, call, e.int(0), t, false);
                }
            }
            SENDTO_X | SENDMSG_X => {
                let call = if e.etype == SENDTO_X { "sendto" } else { "sendmsg" };
                if let Some(t) = e.param(4).and_then(tuple) {
                    self.datagram(e, offset, call, e.int(2), t, false);
                }
            }
            RECVFROM_X => {
                if let Some(t) = e.param(2).and_then(tuple) {
                    self.datagram(e, offset, "recvfrom", e.int(3), t, true);
                }
            }
            OPEN_X => self.open(e, offset, e.int(0), None, e.text(1), e.uint(2)),
            OPENAT_E => {
                let p = Pending { fd: e.int(0), path: e.text(1), flags: e.uint(2), ..Default::default() };
                self.enter(e, p)
            }
            OPENAT_X => {
                let p = self.entered(e, OPENAT_E).unwrap_or_default();
                self.open(e, offset, e.int(0), p.fd, p.path, p.flags)
            }
            OPENAT_2_X | OPENAT2_X => self.open(e, offset, e.int(0), e.int(1), e.text(2), e.uint(3)),
            CREAT_X => {
                self.open(e, offset, e.int(0), None, e.text(1), Some(u64::from(O_CREAT | O_WRONLY | O_TRUNC)))
            }
            OPEN_BY_HANDLE_AT_X => self.open(e, offset, e.int(0), None, e.text(3), e.uint(2)),
            WRITE_E | PWRITE_E | WRITEV_E | PWRITEV_E => {
                if let Some(Fd::File { path }) = self.fd(tid, e.int(0)) {
                    let path = path.clone();
                    let pid = self.pid_of(tid);
                    if !self.was_seen(pid, b'w', &path) && self.within_budget(pid, true, &path) {
                        self.push_once(e, offset, b'w', path.clone(), Act::Write { path });
                    }
                }
            }
            RENAME_X if e.int(0) == Some(0) => {
                if let (Some(from), Some(to)) = (e.text(1), e.text(2)) {
                    let (from, to) = (self.resolve(tid, None, &from), self.resolve(tid, None, &to));
                    self.push(e, offset, Act::Rename { from, to });
                }
            }
            RENAMEAT_X | RENAMEAT2_X if e.int(0) == Some(0) => {
                if let (Some(from), Some(to)) = (e.text(2), e.text(4)) {
                    let from = self.resolve(tid, e.int(1), &from);
                    let to = self.resolve(tid, e.int(3), &to);
                    self.push(e, offset, Act::Rename { from, to });
                }
            }
            UNLINK_E => self.enter(e, Pending { path: e.text(0), ..Default::default() }),
            UNLINKAT_E => self.enter(e, Pending { fd: e.int(0), path: e.text(1), ..Default::default() }),
            UNLINK_X | UNLINKAT_X => {
                let p = self.entered(e, e.etype - 1);
                if let (Some(p), Some(0)) = (p, e.int(0)) {
                    if let Some(path) = p.path {
                        let path = self.resolve(tid, p.fd, &path);
                        self.push(e, offset, Act::Unlink { path });
                    }
                }
            }
            UNLINK_2_X | UNLINKAT_2_X if e.int(0) == Some(0) => {
                let (dirfd, name) =
                    if e.etype == UNLINK_2_X { (None, e.text(1)) } else { (e.int(1), e.text(2)) };
                if let Some(name) = name {
                    let path = self.resolve(tid, dirfd, &name);
                    self.push(e, offset, Act::Unlink { path });
                }
            }
            SETUID_E => self.enter(e, Pending { num: e.uint(0), ..Default::default() }),
            SETRESUID_E => self.enter(e, Pending { num: e.uint(1), ..Default::default() }),
            SETUID_X | SETRESUID_X => {
                let (enter, at) = if e.etype == SETUID_X { (SETUID_E, 1) } else { (SETRESUID_E, 2) };
                let p = self.entered(e, enter).unwrap_or_default();
                let uid = e.uint(at).or(p.num).map(|u| u as u32).filter(|u| *u != u32::MAX);
                if let (Some(0), Some(uid)) = (e.int(0), uid) {
                    let before = self.cap.threads.get(&tid).and_then(|t| t.uid);
                    self.push(e, offset, Act::Setuid { uid, before });
                    if let Some(t) = self.cap.threads.get_mut(&tid) {
                        t.uid = Some(uid);
                    }
                }
            }
            PTRACE_E => self.enter(e, Pending { num: e.uint(0), target: e.int(1), ..Default::default() }),
            PTRACE_X => {
                let p = self.entered(e, PTRACE_E).unwrap_or_default();
                if let (Some(0), Some(request)) = (e.int(0), p.num.and_then(codes::ptrace_request)) {
                    self.push(e, offset, Act::Ptrace { request, target: p.target.unwrap_or(-1) });
                }
            }
            MOUNT_X if e.int(0) == Some(0) => {
                let act = Act::Mount {
                    source: e.text(1).unwrap_or_default(),
                    target: e.text(2).unwrap_or_default(),
                    fstype: e.text(3).unwrap_or_default(),
                };
                self.push(e, offset, act);
            }
            DROP_E | DROP_X => self.cap.stats.drops += 1,
            CONTAINER_E => {
                if let Some(id) = e.text(0) {
                    let meta = ContainerMeta {
                        name: e.text(2).unwrap_or_default(),
                        image: e.text(3).unwrap_or_default(),
                        runtime: "",
                    };
                    self.named_container(id, meta);
                }
            }
            CONTAINER_JSON_E | CONTAINER_JSON_2_E => {
                let Some(json) = e.param(0) else { return };
                let json = json.strip_suffix(&[0]).unwrap_or(json);
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) else { return };
                let c = &v["container"];
                let field = |k: &str| c[k].as_str().map(|s| event::text(s.as_bytes())).unwrap_or_default();
                let meta = ContainerMeta { name: field("name"), image: field("image"), runtime: "" };
                self.named_container(field("id"), meta);
            }
            _ => {}
        }
    }

    fn named_container(&mut self, id: String, meta: ContainerMeta) {
        if id.is_empty() || id == "host" || self.cap.containers.len() >= MAX_THREADS {
            return;
        }
        let m = self.cap.containers.entry(id).or_default();
        m.name = meta.name;
        m.image = meta.image;
    }

    fn open(
        &mut self,
        e: &Event,
        offset: u64,
        fd: Option<i64>,
        dirfd: Option<i64>,
        name: Option<String>,
        flags: Option<u64>,
    ) {
        let (Some(fd), Some(name)) = (fd, name) else { return };
        if fd < 0 {
            return;
        }
        let path = self.resolve(e.tid, dirfd, &name);
        let write = flags.is_some_and(|f| f as u32 & O_WRITING != 0);
        let pid = self.pid_of(e.tid);
        self.set_fd(pid, fd, Fd::File { path: path.clone() });
        let kind = if write { b'W' } else { b'R' };
        if self.was_seen(pid, kind, &path) || !self.within_budget(pid, write, &path) {
            return;
        }
        self.push_once(e, offset, kind, path.clone(), Act::Open { path, write });
    }

    /// Whether a plain file act of `pid` is still listed (sensitive files always are).
    fn within_budget(&mut self, pid: u64, write: bool, path: &str) -> bool {
        if sensitive(path).is_some() {
            return true;
        }
        let s = &mut self.cap.stats;
        let n = self.files.entry((pid, write)).or_default();
        if *n >= MAX_FILES_PER_PROCESS || (!write && s.reads >= MAX_READS) {
            s.files_over_cap += 1;
            return false;
        }
        *n += 1;
        if !write {
            s.reads += 1;
        }
        true
    }

    fn datagram(
        &mut self,
        e: &Event,
        offset: u64,
        call: &'static str,
        fd: Option<i64>,
        t: Tuple,
        inbound: bool,
    ) {
        let proto = self.proto(e.tid, fd);
        let (local, remote) = if inbound { (t.dst, t.src) } else { (t.src, t.dst) };
        let key = format!("{call} {}", remote.endpoint());
        self.push_once(e, offset, b'd', key, Act::Datagram { call, proto, local, remote });
    }

    fn exec(&mut self, e: &Event, offset: u64) {
        if e.int(0) != Some(0) {
            return;
        }
        let exepath =
            self.entered(e, EXECVE_19_E).or_else(|| self.entered(e, EXECVE_18_E)).and_then(|p| p.path);
        let exepath =
            exepath.or_else(|| self.entered(e, EXECVEAT_E).and_then(|p| p.path)).unwrap_or_default();
        let etype = e.etype;
        let comm = if etype >= 215 { e.text(13) } else { None };
        let cgroups = if [231, 283, 289, 293, 331].contains(&etype) { e.param(14).map(list) } else { None };
        let uid = if [293, 331].contains(&etype) { e.uint(26).map(|u| u as u32) } else { None };
        let container = cgroups.as_deref().and_then(container_of).map(|(id, rt)| self.container(id, rt));
        let (pid, ptid) = (e.int(4).filter(|p| *p > 0), e.int(5).filter(|p| *p > 0));
        let Some(t) = self.thread(e.tid) else { return };
        if let Some(pid) = pid {
            t.pid = pid as u64;
        }
        if let Some(ptid) = ptid {
            t.ptid = ptid as u64;
        }
        t.exe = e.text(1).unwrap_or_default();
        t.args = e.param(2).map(list).unwrap_or_default();
        t.exepath = exepath;
        if let Some(cwd) = e.text(6) {
            t.cwd = cwd;
        }
        if let Some(comm) = comm {
            t.comm = comm;
        }
        if uid.is_some() {
            t.uid = uid;
        }
        if container.is_some() {
            t.container = container;
        }
        t.started = Some(e.ts);
        t.offset = offset;
    }

    fn clone_event(&mut self, e: &Event, offset: u64) {
        let Some(res) = e.int(0) else { return };
        let (flags_at, uid_at, comm_at, cgroups_at) = match e.etype {
            CLONE_11_X => (8, 9, None, None),
            CLONE_16_X | FORK_X | VFORK_X => (13, 14, None, None),
            CLONE_17_X | FORK_17_X | VFORK_17_X => (14, 15, Some(13), None),
            _ => (15, 16, Some(13), Some(14)),
        };
        let flags = e.uint(flags_at).unwrap_or(0) as u32;
        let parent_pid = self.pid_of(e.tid);
        let parent_container = self.cap.threads.get(&e.tid).and_then(|t| t.container.clone());
        let (child, pid, ptid, authoritative) = if res == 0 {
            let pid = e.int(4).filter(|p| *p > 0).map_or(e.tid, |p| p as u64);
            let ptid = e.int(5).filter(|p| *p > 0).map_or(0, |p| p as u64);
            (e.tid, pid, ptid, true)
        } else if res > 0 {
            let child = res as u64;
            let pid = if flags & codes::CL_CLONE_THREAD != 0 { parent_pid } else { child };
            (child, pid, e.tid, false)
        } else {
            return;
        };
        let known = self.cap.threads.contains_key(&child);
        let container = cgroups_at
            .and_then(|i| e.param(i))
            .map(list)
            .as_deref()
            .and_then(container_of)
            .map(|(id, rt)| self.container(id, rt))
            .or(if res > 0 { parent_container } else { None });
        let Some(t) = self.thread(child) else { return };
        if authoritative || !known {
            t.pid = pid;
            if ptid != 0 {
                t.ptid = ptid;
            }
        }
        if !known {
            t.exe = e.text(1).unwrap_or_default();
            t.args = e.param(2).map(list).unwrap_or_default();
            t.cwd = e.text(6).unwrap_or_default();
            t.comm = comm_at.and_then(|i| e.text(i)).unwrap_or_default();
            t.uid = e.uint(uid_at).map(|u| u as u32);
            t.container = container;
            t.started = Some(e.ts);
            t.offset = offset;
        } else if t.container.is_none() {
            t.container = container;
        }
    }

    /// Container events name containers by their short id, cgroups by the full one: one
    /// record each.
    fn merge_short_ids(&mut self) {
        let short: Vec<String> = self.cap.containers.keys().filter(|k| k.len() < 64).cloned().collect();
        for id in short {
            let full: Vec<String> =
                self.cap.containers.keys().filter(|k| k.len() == 64 && k.starts_with(&id)).cloned().collect();
            if let [full] = full.as_slice() {
                if let Some(meta) = self.cap.containers.remove(&id) {
                    let m = self.cap.containers.entry(full.clone()).or_default();
                    m.name = meta.name;
                    m.image = meta.image;
                }
            }
        }
    }

    fn finish(mut self) -> Capture {
        self.merge_short_ids();
        let s = self.cap.stats.clone();
        if !s.unknown_blocks.is_empty() {
            let kinds: Vec<String> = s.unknown_blocks.iter().map(|(k, n)| format!("{k:#x} x{n}")).collect();
            let n: u64 = s.unknown_blocks.values().sum();
            self.warning(0, format!("{n} blocks of unknown types skipped ({})", kinds.join(", ")));
        }
        if let Some((offset, first)) = &s.first_bad {
            self.warning(
                *offset,
                format!("{} events could not be decoded and were skipped (first: {first})", s.bad_events),
            );
        }
        if s.newer_types > 0 {
            self.warning(0, format!("{} events of types newer than this reader were skipped", s.newer_types));
        }
        if s.drops > 0 {
            self.warning(
                0,
                format!(
                    "{} dropped-event markers: the driver lost events while this capture was written, so it is incomplete",
                    s.drops
                ),
            );
        }
        if s.events > MAX_EVENTS {
            self.warning(0, format!("{} events; only the first {MAX_EVENTS} were read", s.events));
        }
        if s.activity_over_cap > 0 {
            self.warning(
                0,
                format!(
                    "{} more acts were not kept (at most {MAX_ACTIVITY} file and datagram acts, {} in all)",
                    s.activity_over_cap,
                    2 * MAX_ACTIVITY
                ),
            );
        }
        if s.files_over_cap > 0 {
            self.warning(
                0,
                format!(
                    "{} file opens and writes were not listed (at most {MAX_FILES_PER_PROCESS} reads and {MAX_FILES_PER_PROCESS} writes of ordinary files per process, {MAX_READS} reads in all)",
                    s.files_over_cap
                ),
            );
        }
        if s.threads_over_cap > 0 {
            self.warning(
                0,
                format!("{} threads past the first {MAX_THREADS} were not kept", s.threads_over_cap),
            );
        }
        self.cap
    }
}

/// `/a/./b/../c` -> `/a/c` (text only: nothing on disk is looked at).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = vec![];
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    if path.starts_with('/') {
        format!("/{}", parts.join("/"))
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize() {
        assert_eq!(normalize("/etc/./cron.d/../passwd"), "/etc/passwd");
        assert_eq!(normalize("/../.."), "/");
        assert_eq!(normalize("a//b/"), "a/b");
    }
}
