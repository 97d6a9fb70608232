//! A read-only reader of bbolt (BoltDB) files, the format of containerd's `meta.db` and its
//! snapshotters' `metadata.db`: from the bytes in memory, no locks, no writes. Pages as
//! go.etcd.io/bbolt lays them out: a 16-byte header (id, flags, count, overflow), two meta
//! pages (magic 0xED0CDAED, version 2, page size, root bucket, txid, FNV-1a checksum; the
//! valid one with the higher txid wins), branch elements (pos, ksize, pgid), leaf elements
//! (flags, pos, ksize, vsize; flag 1 = a nested bucket, whose value is its root page id and
//! sequence, followed by an inline page when the root is 0). Every offset is checked: a
//! damaged file gives an error, never a panic or a loop.

use std::collections::BTreeMap;

use thiserror::Error;

/// Why a bolt file could not be read.
#[derive(Debug, Error)]
pub(crate) enum BoltError {
    #[error("not a bolt database (no valid meta page)")]
    NoMeta,
    #[error("page {0} is outside the file")]
    OutOfBounds(u64),
    #[error("page {page} has unexpected flags {flags:#x}")]
    BadPage { page: u64, flags: u16 },
    #[error("element of page {0} points outside it")]
    BadElement(u64),
    #[error("the tree is deeper than {0} levels (a loop)")]
    TooDeep(usize),
}

const MAGIC: u32 = 0xED0C_DAED;
const HEADER: usize = 16;
const BRANCH: u16 = 0x01;
const LEAF: u16 = 0x02;
const BUCKET_LEAF: u32 = 0x01;
const MAX_DEPTH: usize = 64;

/// A bucket: its keys in order, each a value or a nested bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub entries: BTreeMap<Vec<u8>, Entry>,
}

/// One key's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    Value(Vec<u8>),
    Bucket(Bucket),
}

impl Bucket {
    /// The nested bucket at `path` (each component a key).
    pub(crate) fn bucket(&self, path: &[&[u8]]) -> Option<&Bucket> {
        let mut b = self;
        for k in path {
            match b.entries.get(*k) {
                Some(Entry::Bucket(n)) => b = n,
                _ => return None,
            }
        }
        Some(b)
    }

    /// The value at `key` of this bucket.
    pub(crate) fn value(&self, key: &[u8]) -> Option<&[u8]> {
        match self.entries.get(key) {
            Some(Entry::Value(v)) => Some(v),
            _ => None,
        }
    }

    /// Nested buckets, by key.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (&[u8], &Bucket)> {
        self.entries.iter().filter_map(|(k, e)| match e {
            Entry::Bucket(b) => Some((k.as_slice(), b)),
            Entry::Value(_) => None,
        })
    }

    /// A value as UTF-8 text (lossy).
    pub(crate) fn text(&self, key: &[u8]) -> Option<String> {
        self.value(key).map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes(s.try_into().unwrap_or([0; 4])))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8).map(|s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
}

fn fnv64a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A bolt file is read whole into memory; larger ones are refused.
pub(crate) const MAX_DB: u64 = 1 << 30;

/// The root bucket of a bolt database artifact, read whole (at most [`MAX_DB`] bytes): no
/// locks, no writes, never mapped from the evidence.
pub(crate) fn read_artifact(a: &crate::evidence::Artifact) -> Result<Bucket, String> {
    use std::io::Read;
    let mut v = vec![];
    a.open().map_err(|e| e.to_string())?.take(MAX_DB + 1).read_to_end(&mut v).map_err(|e| e.to_string())?;
    if v.len() as u64 > MAX_DB {
        return Err(format!("larger than {MAX_DB} bytes: not read"));
    }
    read(&v).map_err(|e| e.to_string())
}

/// The root bucket of the bolt database in `data`.
pub(crate) fn read(data: &[u8]) -> Result<Bucket, BoltError> {
    // Meta pages: page 0 at offset 0; page 1 at the page size page 0 (or 4096) names.
    let meta_at = |off: usize| -> Option<(u32, u64, u64)> {
        let m = off + HEADER;
        if u32_at(data, m)? != MAGIC || u32_at(data, m + 4)? != 2 {
            return None;
        }
        let page_size = u32_at(data, m + 8)?;
        let root = u64_at(data, m + 16)?;
        let txid = u64_at(data, m + 48)?;
        let sum = u64_at(data, m + 56)?;
        if fnv64a(data.get(m..m + 56)?) != sum {
            return None;
        }
        Some((page_size, root, txid))
    };
    let first = meta_at(0);
    let ps = first.map(|m| m.0 as usize).unwrap_or(4096);
    let second = meta_at(ps);
    let (page_size, root, _) = match (first, second) {
        (Some(a), Some(b)) => {
            if b.2 > a.2 {
                b
            } else {
                a
            }
        }
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => return Err(BoltError::NoMeta),
    };
    if !(512..=1 << 20).contains(&page_size) {
        return Err(BoltError::NoMeta);
    }
    let db = Db { data, page_size: page_size as usize };
    let mut out = Bucket::default();
    db.walk_page(root, 0, &mut out)?;
    Ok(out)
}

struct Db<'a> {
    data: &'a [u8],
    page_size: usize,
}

impl Db<'_> {
    fn page(&self, id: u64) -> Result<&[u8], BoltError> {
        let start = (id as usize).checked_mul(self.page_size).ok_or(BoltError::OutOfBounds(id))?;
        let overflow = u32_at(self.data, start + 12).ok_or(BoltError::OutOfBounds(id))? as usize;
        let len = (overflow + 1).checked_mul(self.page_size).ok_or(BoltError::OutOfBounds(id))?;
        self.data.get(start..start + len).ok_or(BoltError::OutOfBounds(id))
    }

    fn walk_page(&self, id: u64, depth: usize, out: &mut Bucket) -> Result<(), BoltError> {
        let p = self.page(id)?;
        self.walk(p, id, depth, out)
    }

    /// Walk the page `p` (a whole page, or an inline bucket's page), adding its leaves.
    fn walk(&self, p: &[u8], id: u64, depth: usize, out: &mut Bucket) -> Result<(), BoltError> {
        if depth > MAX_DEPTH {
            return Err(BoltError::TooDeep(MAX_DEPTH));
        }
        let flags = u16_at(p, 8).ok_or(BoltError::BadElement(id))?;
        let count = u16_at(p, 10).ok_or(BoltError::BadElement(id))? as usize;
        for i in 0..count {
            let e = HEADER + i * 16;
            match flags {
                BRANCH => {
                    let child = u64_at(p, e + 8).ok_or(BoltError::BadElement(id))?;
                    self.walk_page(child, depth + 1, out)?;
                }
                LEAF => {
                    let eflags = u32_at(p, e).ok_or(BoltError::BadElement(id))?;
                    let pos = u32_at(p, e + 4).ok_or(BoltError::BadElement(id))? as usize;
                    let ksize = u32_at(p, e + 8).ok_or(BoltError::BadElement(id))? as usize;
                    let vsize = u32_at(p, e + 12).ok_or(BoltError::BadElement(id))? as usize;
                    let k0 = e.checked_add(pos).ok_or(BoltError::BadElement(id))?;
                    let key = p.get(k0..k0 + ksize).ok_or(BoltError::BadElement(id))?;
                    let value = p.get(k0 + ksize..k0 + ksize + vsize).ok_or(BoltError::BadElement(id))?;
                    let entry = if eflags & BUCKET_LEAF != 0 {
                        let mut b = Bucket::default();
                        let root = u64_at(value, 0).ok_or(BoltError::BadElement(id))?;
                        if root == 0 {
                            self.walk(
                                value.get(16..).ok_or(BoltError::BadElement(id))?,
                                id,
                                depth + 1,
                                &mut b,
                            )?;
                        } else {
                            self.walk_page(root, depth + 1, &mut b)?;
                        }
                        Entry::Bucket(b)
                    } else {
                        Entry::Value(value.to_vec())
                    };
                    out.entries.insert(key.to_vec(), entry);
                }
                f => return Err(BoltError::BadPage { page: id, flags: f }),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database of page size 512: meta pages 0 and 1, root leaf page 3 with one value and
    /// one inline bucket holding one value.
    fn tiny() -> Vec<u8> {
        let ps = 512usize;
        let mut d = vec![0u8; ps * 4];
        for (i, txid) in [(0usize, 1u64), (1, 2)] {
            let o = i * ps;
            d[o..o + 8].copy_from_slice(&(i as u64).to_le_bytes());
            d[o + 8..o + 10].copy_from_slice(&4u16.to_le_bytes());
            let m = o + HEADER;
            d[m..m + 4].copy_from_slice(&MAGIC.to_le_bytes());
            d[m + 4..m + 8].copy_from_slice(&2u32.to_le_bytes());
            d[m + 8..m + 12].copy_from_slice(&(ps as u32).to_le_bytes());
            d[m + 16..m + 24].copy_from_slice(&3u64.to_le_bytes());
            d[m + 48..m + 56].copy_from_slice(&txid.to_le_bytes());
            let sum = fnv64a(&d[m..m + 56]);
            d[m + 56..m + 64].copy_from_slice(&sum.to_le_bytes());
        }
        // Inline bucket value: header (root 0, seq 0), then a leaf page with k=v.
        let mut inline = vec![0u8; 16];
        let mut page = vec![0u8; HEADER + 16];
        page[8..10].copy_from_slice(&LEAF.to_le_bytes());
        page[10..12].copy_from_slice(&1u16.to_le_bytes());
        page[HEADER + 4..HEADER + 8].copy_from_slice(&16u32.to_le_bytes());
        page[HEADER + 8..HEADER + 12].copy_from_slice(&1u32.to_le_bytes());
        page[HEADER + 12..HEADER + 16].copy_from_slice(&2u32.to_le_bytes());
        page.extend_from_slice(b"kvv");
        inline.extend_from_slice(&page);
        let o = 3 * ps;
        d[o..o + 8].copy_from_slice(&3u64.to_le_bytes());
        d[o + 8..o + 10].copy_from_slice(&LEAF.to_le_bytes());
        d[o + 10..o + 12].copy_from_slice(&2u16.to_le_bytes());
        let data_at = o + HEADER + 32;
        let mut payload = b"aval".to_vec();
        payload.extend_from_slice(b"b");
        payload.extend_from_slice(&inline);
        // element 0: key "a" value "val"
        let e0 = o + HEADER;
        d[e0 + 4..e0 + 8].copy_from_slice(&((data_at - e0) as u32).to_le_bytes());
        d[e0 + 8..e0 + 12].copy_from_slice(&1u32.to_le_bytes());
        d[e0 + 12..e0 + 16].copy_from_slice(&3u32.to_le_bytes());
        // element 1: bucket "b"
        let e1 = e0 + 16;
        d[e1..e1 + 4].copy_from_slice(&BUCKET_LEAF.to_le_bytes());
        d[e1 + 4..e1 + 8].copy_from_slice(&((data_at + 4 - e1) as u32).to_le_bytes());
        d[e1 + 8..e1 + 12].copy_from_slice(&1u32.to_le_bytes());
        d[e1 + 12..e1 + 16].copy_from_slice(&(inline.len() as u32).to_le_bytes());
        d[data_at..data_at + payload.len()].copy_from_slice(&payload);
        d
    }

    #[test]
    fn reads_values_and_inline_buckets() {
        let root = read(&tiny()).unwrap();
        assert_eq!(root.value(b"a"), Some(&b"val"[..]));
        assert_eq!(root.bucket(&[b"b"]).unwrap().value(b"k"), Some(&b"vv"[..]));
    }

    #[test]
    fn damaged_files_are_errors() {
        assert!(matches!(read(b"not a database"), Err(BoltError::NoMeta)));
        let mut d = tiny();
        // Point the root at a page past the end (both meta pages, checksums redone).
        for o in [0usize, 512] {
            let m = o + HEADER;
            d[m + 16..m + 24].copy_from_slice(&999u64.to_le_bytes());
            let sum = fnv64a(&d[m..m + 56]);
            d[m + 56..m + 64].copy_from_slice(&sum.to_le_bytes());
        }
        assert!(matches!(read(&d), Err(BoltError::OutOfBounds(999))));
    }
}
