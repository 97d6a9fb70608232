//! The one reader of tar members (the only code that touches `tar::Archive` and
//! `tar::Entry`): a tar stream or seekable file walked member by member, each member's kind,
//! name, link, owner, times, device numbers and PAX records read once, its content a reader,
//! and the entry model ([`Node`]) made from it.

use std::borrow::Cow;
use std::io::{self, Read, Seek};

use super::entry::{normalize, FileType, Node};
use super::pax::Pax;
use crate::model::Timestamp;

/// The kind of a tar member, as its header types it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemberKind {
    Regular,
    /// `7`: contiguous file (read as a regular file).
    Continuous,
    /// GNU old-style sparse file.
    GnuSparse,
    HardLink,
    Symlink,
    Dir,
    Char,
    Block,
    Fifo,
    /// A PAX global header: its keys apply to no single file.
    PaxGlobal,
    Other,
}

impl MemberKind {
    fn of(et: tar::EntryType) -> MemberKind {
        match et {
            tar::EntryType::Regular => MemberKind::Regular,
            tar::EntryType::Continuous => MemberKind::Continuous,
            tar::EntryType::GNUSparse => MemberKind::GnuSparse,
            tar::EntryType::Link => MemberKind::HardLink,
            tar::EntryType::Symlink => MemberKind::Symlink,
            tar::EntryType::Directory => MemberKind::Dir,
            tar::EntryType::Char => MemberKind::Char,
            tar::EntryType::Block => MemberKind::Block,
            tar::EntryType::Fifo => MemberKind::Fifo,
            tar::EntryType::XGlobalHeader => MemberKind::PaxGlobal,
            _ => MemberKind::Other,
        }
    }

    /// The node type: regular, contiguous and sparse files and hard links are files.
    pub(crate) fn file_type(self) -> FileType {
        match self {
            MemberKind::Regular | MemberKind::Continuous | MemberKind::GnuSparse | MemberKind::HardLink => {
                FileType::File
            }
            MemberKind::Dir => FileType::Dir,
            MemberKind::Symlink => FileType::Symlink,
            MemberKind::Char => FileType::Char,
            MemberKind::Block => FileType::Block,
            MemberKind::Fifo => FileType::Fifo,
            MemberKind::PaxGlobal | MemberKind::Other => FileType::Other,
        }
    }
}

/// A tar archive read member by member.
pub(crate) struct TarReader<R: Read> {
    archive: tar::Archive<R>,
}

impl<R: Read> TarReader<R> {
    pub(crate) fn new(r: R) -> Self {
        TarReader { archive: tar::Archive::new(r) }
    }

    /// The members, in archive order.
    pub(crate) fn members(&mut self) -> io::Result<TarMembers<'_, R>> {
        Ok(TarMembers { inner: self.archive.entries()? })
    }

    /// The reader the archive was read from.
    pub(crate) fn into_inner(self) -> R {
        self.archive.into_inner()
    }
}

impl<R: Read + Seek> TarReader<R> {
    /// The members, seeking over their content rather than reading it.
    pub(crate) fn members_with_seek(&mut self) -> io::Result<TarMembers<'_, R>> {
        Ok(TarMembers { inner: self.archive.entries_with_seek()? })
    }
}

/// The members of a [`TarReader`].
pub(crate) struct TarMembers<'a, R: 'a + Read> {
    inner: tar::Entries<'a, R>,
}

impl<'a, R: Read> Iterator for TarMembers<'a, R> {
    type Item = io::Result<TarMember<'a, R>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|r| r.map(|entry| TarMember { entry }))
    }
}

/// One tar member: its header fields, PAX records and content.
pub(crate) struct TarMember<'a, R: 'a + Read> {
    entry: tar::Entry<'a, R>,
}

impl<R: Read> TarMember<'_, R> {
    /// The name as stored (long names and PAX `path` applied).
    pub(crate) fn name(&self) -> Cow<'_, [u8]> {
        self.entry.path_bytes()
    }

    pub(crate) fn kind(&self) -> MemberKind {
        MemberKind::of(self.entry.header().entry_type())
    }

    /// Content size.
    pub(crate) fn size(&self) -> u64 {
        self.entry.size()
    }

    /// Where the content starts in the (decoded) archive.
    pub(crate) fn data_offset(&self) -> u64 {
        self.entry.raw_file_position()
    }

    /// The link target as stored (symbolic or hard links).
    pub(crate) fn link_name(&self) -> Option<Vec<u8>> {
        self.entry.link_name_bytes().map(|l| l.into_owned())
    }

    /// The header's mtime, to the second.
    pub(crate) fn header_mtime(&self) -> Option<Timestamp> {
        self.entry.header().mtime().ok().map(|t| Timestamp::from_unix(t as i64, 0))
    }

    /// Whether the header carries device numbers 0, 0 (overlay's whiteout device).
    pub(crate) fn null_device(&self) -> bool {
        let h = self.entry.header();
        h.device_major().ok().flatten() == Some(0) && h.device_minor().ok().flatten() == Some(0)
    }

    /// The PAX records of the member (none when it has no extended header).
    pub(crate) fn pax(&mut self) -> Pax {
        match self.entry.pax_extensions() {
            Ok(Some(exts)) => {
                let records: Vec<(Vec<u8>, Vec<u8>)> =
                    exts.flatten().map(|e| (e.key_bytes().to_vec(), e.value_bytes().to_vec())).collect();
                Pax::parse(records.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))
            }
            _ => Pax::default(),
        }
    }

    /// The entry model of the member at `path` (already normalized): the hard link target
    /// normalized, the mtime the PAX one when given, device numbers of devices.
    pub(crate) fn node(&mut self, path: Vec<u8>, pax: &Pax) -> Node {
        let kind = self.kind();
        let h = self.entry.header();
        let ftype = kind.file_type();
        let dev = matches!(ftype, FileType::Char | FileType::Block).then(|| {
            (
                u64::from(h.device_major().ok().flatten().unwrap_or(0)),
                u64::from(h.device_minor().ok().flatten().unwrap_or(0)),
            )
        });
        let (mode, uid, gid) = (h.mode().unwrap_or(0), h.uid().unwrap_or(0), h.gid().unwrap_or(0));
        let link = (kind == MemberKind::Symlink).then(|| self.link_name()).flatten();
        let hardlink =
            (kind == MemberKind::HardLink).then(|| self.link_name()).flatten().map(|l| normalize(&l).0);
        Node {
            path,
            ftype,
            mode,
            uid,
            gid,
            size: if hardlink.is_some() { 0 } else { self.size() },
            mtime: pax.mtime.or_else(|| self.header_mtime()),
            link,
            hardlink,
            dev,
            opaque: pax.opaque,
        }
    }
}

impl<R: Read> Read for TarMember<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.entry.read(buf)
    }
}

/// The name in a 512-byte block when it is a tar header with a valid checksum.
pub(crate) fn header_name(block: &[u8]) -> Option<Vec<u8>> {
    let block = block.get(..512)?;
    let h = tar::Header::from_byte_slice(block);
    let sum: u32 =
        block.iter().enumerate().map(|(i, c)| if (148..156).contains(&i) { 32 } else { u32::from(*c) }).sum();
    (h.cksum().ok() == Some(sum)).then(|| h.path_bytes().into_owned())
}
