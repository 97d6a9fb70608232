//! The state blocks a capture opens with: the process list (PL, versions 1-9), the fd lists
//! (FDL, one per thread) and the user list (UL). Each entry is read field by field as its
//! version lays it out; a block that does not parse keeps the entries read before the
//! problem, which is returned.

use super::codes;
use super::event::{list, text};

/// Longest string field of an entry (libscap's own caps are 1024 for paths, 4096 for args,
/// 8192 for environments).
const MAX_FIELD: usize = 16384;

/// A thread of the process list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ThreadEntry {
    pub(crate) tid: u64,
    pub(crate) pid: u64,
    pub(crate) ptid: u64,
    pub(crate) comm: String,
    /// argv[0].
    pub(crate) exe: String,
    /// The executable's path (version 7 on).
    pub(crate) exepath: String,
    pub(crate) args: Vec<String>,
    pub(crate) cwd: String,
    pub(crate) uid: u32,
    /// `subsystem=path` lines (version 4 on).
    pub(crate) cgroups: Vec<String>,
}

/// An open file descriptor of the fd list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FdEntry {
    /// A file, directory, FIFO or other named object.
    File { path: String, flags: Option<u32> },
    /// A socket (inet or unix).
    Socket,
    /// Nothing named (eventfd, epoll...).
    Other,
}

/// A little-endian reader over one block body.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.b.len().saturating_sub(self.at)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.bytes(2).and_then(|b| b.try_into().ok()).map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.bytes(4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.bytes(8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
    }

    /// A string with a 16-bit length before it.
    fn field(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        if n > MAX_FIELD {
            return None;
        }
        self.bytes(n)
    }

    fn skip_to(&mut self, at: usize) -> Option<()> {
        (at >= self.at && at <= self.b.len()).then(|| self.at = at)
    }
}

/// The threads of a process list block of `version`.
pub(crate) fn proclist(version: u8, body: &[u8]) -> (Vec<ThreadEntry>, Option<String>) {
    let mut c = Cursor { b: body, at: 0 };
    let mut out = vec![];
    while c.left() >= 4 {
        let start = c.at;
        match thread(&mut c, version) {
            Some(t) => out.push(t),
            None => return (out, Some(format!("process list entry at body byte {start} does not parse"))),
        }
    }
    (out, None)
}

fn thread(c: &mut Cursor, v: u8) -> Option<ThreadEntry> {
    let start = c.at;
    let sub_len = if v >= 9 { Some(c.u32()? as usize) } else { None };
    let mut t = ThreadEntry { tid: c.u64()?, pid: c.u64()?, ptid: c.u64()?, ..Default::default() };
    if v >= 6 {
        c.u64()?; // session id
    }
    if v >= 8 {
        c.u64()?; // process group in its namespace
    }
    t.comm = text(c.field()?);
    t.exe = text(c.field()?);
    if v >= 7 {
        t.exepath = text(c.field()?);
    }
    t.args = list(c.field()?);
    t.cwd = text(c.field()?);
    c.u64()?; // fd limit
    c.u32()?; // flags
    t.uid = c.u32()?;
    c.u32()?; // gid
    if v >= 2 {
        c.bytes(3 * 4 + 2 * 8)?; // memory and page faults
        if v >= 3 {
            c.field()?; // environment (never kept: it holds secrets)
        }
        if v >= 4 {
            c.bytes(16)?; // vtid, vpid
            t.cgroups = list(c.field()?);
            if v >= 5 {
                c.field()?; // root
            }
        }
    }
    if let Some(len) = sub_len {
        // Later fields (login uid, capabilities, exe inode...) are skipped by the length.
        c.skip_to(start.checked_add(len)?)?;
    }
    Some(t)
}

/// The thread and descriptors of an fd list block of type `kind`.
pub(crate) fn fdlist(kind: u32, body: &[u8]) -> (u64, Vec<(i64, FdEntry)>, Option<String>) {
    let v2 = kind == codes::FDL_V2;
    let mut c = Cursor { b: body, at: 0 };
    let Some(tid) = c.u64() else { return (0, vec![], Some("fd list without its thread id".into())) };
    let mut out = vec![];
    while c.left() >= 4 {
        let start = c.at;
        match fd(&mut c, v2) {
            Some(Some(f)) => out.push(f),
            Some(None) => {
                return (tid, out, Some(format!("fd list entry of an unknown type at body byte {start}")))
            }
            None => return (tid, out, Some(format!("fd list entry at body byte {start} does not parse"))),
        }
    }
    (tid, out, None)
}

/// One descriptor; `Some(None)` for an unknown type a version 1 list cannot skip.
fn fd(c: &mut Cursor, v2: bool) -> Option<Option<(i64, FdEntry)>> {
    let start = c.at;
    let sub_len = if v2 { Some(c.u32()? as usize) } else { None };
    let num = c.u64()? as i64;
    c.u64()?; // inode
    let kind = c.u8()?;
    let entry = match kind {
        0 => FdEntry::Other,
        // IPv4 socket, IPv4 server, IPv6 socket, IPv6 server.
        3 => c.bytes(13).map(|_| FdEntry::Socket)?,
        5 => c.bytes(7).map(|_| FdEntry::Socket)?,
        4 => c.bytes(37).map(|_| FdEntry::Socket)?,
        6 => c.bytes(19).map(|_| FdEntry::Socket)?,
        8 => {
            c.bytes(16)?;
            c.field()?;
            FdEntry::Socket
        }
        16 => {
            let flags = c.u32()?;
            let path = text(c.field()?);
            FdEntry::File { path, flags: Some(flags) }
        }
        1 | 2 | 7 => FdEntry::File { path: text(c.field()?), flags: None },
        9..=15 | 17..=21 => {
            c.field()?;
            FdEntry::Other
        }
        _ if sub_len.is_none() => return Some(None),
        _ => FdEntry::Other,
    };
    if let Some(len) = sub_len {
        c.skip_to(start.checked_add(len)?)?;
    }
    Some(Some((num, entry)))
}

/// The users (uid, name) of a user list block of type `kind`.
pub(crate) fn userlist(kind: u32, body: &[u8]) -> (Vec<(u32, String)>, Option<String>) {
    let v2 = kind == codes::UL_V2;
    let mut c = Cursor { b: body, at: 0 };
    let mut out = vec![];
    while c.left() >= 4 {
        let start = c.at;
        match user(&mut c, v2) {
            Some(u) => out.extend(u),
            None => return (out, Some(format!("user list entry at body byte {start} does not parse"))),
        }
    }
    (out, None)
}

fn user(c: &mut Cursor, v2: bool) -> Option<Option<(u32, String)>> {
    let start = c.at;
    let sub_len = if v2 { Some(c.u32()? as usize) } else { None };
    let got = match c.u8()? {
        0 => {
            let uid = c.u32()?;
            c.u32()?;
            let name = text(c.field()?);
            c.field()?; // home
            c.field()?; // shell
            Some((uid, name))
        }
        1 => {
            c.u32()?;
            c.field()?;
            None
        }
        _ if sub_len.is_none() => return None,
        _ => None,
    };
    if let Some(len) = sub_len {
        c.skip_to(start.checked_add(len)?)?;
    }
    Some(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: &mut Vec<u8>, s: &[u8]) {
        v.extend((s.len() as u16).to_le_bytes());
        v.extend(s);
    }

    /// A version 9 entry as libscap writes it (with a trailing field this reader skips).
    fn v9(tid: u64, pid: u64, ptid: u64, exe: &str, args: &[u8], cgroups: &[u8]) -> Vec<u8> {
        let mut e = vec![];
        for n in [tid, pid, ptid, 0, 0] {
            e.extend(n.to_le_bytes());
        }
        field(&mut e, exe.as_bytes());
        field(&mut e, exe.as_bytes());
        field(&mut e, format!("/bin/{exe}").as_bytes());
        field(&mut e, args);
        field(&mut e, b"/root");
        e.extend(1024u64.to_le_bytes());
        e.extend(0u32.to_le_bytes());
        e.extend(1000u32.to_le_bytes());
        e.extend(1000u32.to_le_bytes());
        e.extend([0u8; 28]);
        field(&mut e, b"SECRET=x");
        e.extend([0u8; 16]);
        field(&mut e, cgroups);
        field(&mut e, b"/");
        e.extend(7u32.to_le_bytes()); // login uid: skipped by the length
        let mut out = ((e.len() + 4) as u32).to_le_bytes().to_vec();
        out.extend(e);
        out
    }

    #[test]
    fn process_list_v9_and_a_cut_entry() {
        let mut body = v9(10, 10, 1, "bash", b"-i\0", b"cpu=/docker/abc\0");
        body.extend(v9(11, 11, 10, "nc", b"1.2.3.4\x004444\0", b""));
        let (t, problem) = proclist(9, &body);
        assert_eq!(problem, None);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].tid, t[0].ptid, t[0].exe.as_str(), t[0].uid), (10, 1, "bash", 1000));
        assert_eq!(t[0].args, vec!["-i"]);
        assert_eq!(t[0].cgroups, vec!["cpu=/docker/abc"]);
        assert_eq!(t[1].args, vec!["1.2.3.4", "4444"]);
        let (t, problem) = proclist(9, &body[..body.len() - 20]);
        assert_eq!(t.len(), 1);
        assert!(problem.is_some());
    }

    #[test]
    fn fd_list_files_and_sockets() {
        let mut body = 10u64.to_le_bytes().to_vec();
        body.extend(1i64.to_le_bytes());
        body.extend(0u64.to_le_bytes());
        body.push(1);
        field(&mut body, b"/tmp/out");
        body.extend(3i64.to_le_bytes());
        body.extend(0u64.to_le_bytes());
        body.push(3);
        body.extend([0u8; 13]);
        let (tid, fds, problem) = fdlist(0x203, &body);
        assert_eq!((tid, problem), (10, None));
        assert_eq!(fds[0], (1, FdEntry::File { path: "/tmp/out".into(), flags: None }));
        assert_eq!(fds[1], (3, FdEntry::Socket));
        body.extend(4i64.to_le_bytes());
        body.extend(0u64.to_le_bytes());
        body.push(200);
        let (_, fds, problem) = fdlist(0x203, &body);
        assert_eq!(fds.len(), 2);
        assert!(problem.is_some());
    }
}
