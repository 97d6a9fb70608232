//! The savefile's framing: blocks of `type u32, total length u32, body, total length u32`
//! (little-endian, like pcapng), read one at a time, each bounded by [`MAX_BLOCK`].

use std::io::{self, BufReader, Read};

/// The largest block read (event blocks hold at most 64 KiB, large-payload ones a few MiB;
/// process lists grow with the host's process count).
pub(crate) const MAX_BLOCK: u32 = 64 << 20;

/// What the next read gave.
pub(crate) enum Next<'a> {
    /// One whole block: its type, where it starts and its body (without the framing).
    Block { kind: u32, offset: u64, body: &'a [u8] },
    /// The file ended cleanly between blocks.
    End,
    /// The framing cannot be followed from here on (truncated, impossible length, trailer
    /// mismatch): what was read before stands.
    Broken { offset: u64, message: String },
}

/// The blocks of one capture, streamed.
pub(crate) struct Blocks<R> {
    inner: BufReader<R>,
    offset: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: Read> Blocks<R> {
    pub(crate) fn new(reader: R) -> Self {
        Blocks { inner: BufReader::with_capacity(1 << 16, reader), offset: 0, buf: Vec::new(), done: false }
    }

    /// The next block.
    pub(crate) fn next_block(&mut self) -> Next<'_> {
        if self.done {
            return Next::End;
        }
        let start = self.offset;
        let mut head = [0u8; 8];
        let got = match read_full(&mut self.inner, &mut head) {
            Ok(n) => n,
            Err(e) => return self.broken(start, format!("read error at byte {start}: {e}")),
        };
        if got == 0 {
            self.done = true;
            return Next::End;
        }
        if got < head.len() {
            return self.broken(
                start,
                format!("truncated: the file ends {got} bytes into a block header at byte {start}"),
            );
        }
        let kind = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len < 12 {
            return self.broken(
                start,
                format!("block of type {kind:#x} at byte {start} has length {len} (at least 12)"),
            );
        }
        if len > MAX_BLOCK {
            return self.broken(
                start,
                format!(
                    "block of type {kind:#x} at byte {start} has length {len}, over the {MAX_BLOCK}-byte cap"
                ),
            );
        }
        let body_len = u64::from(len - 12);
        self.buf.clear();
        if let Err(e) = (&mut self.inner).take(body_len).read_to_end(&mut self.buf) {
            return self.broken(start, format!("read error in block at byte {start}: {e}"));
        }
        if (self.buf.len() as u64) < body_len {
            let have = 8 + self.buf.len();
            return self.broken(
                start,
                format!(
                    "truncated: block of type {kind:#x} at byte {start} declares {len} bytes, the file ends after {have}"
                ),
            );
        }
        let mut tail = [0u8; 4];
        match read_full(&mut self.inner, &mut tail) {
            Ok(4) => {}
            Ok(_) => {
                return self.broken(
                    start,
                    format!("truncated: block of type {kind:#x} at byte {start} lacks its trailer"),
                )
            }
            Err(e) => return self.broken(start, format!("read error at byte {start}: {e}")),
        }
        let trailer = u32::from_le_bytes(tail);
        if trailer != len {
            return self.broken(
                start,
                format!("block of type {kind:#x} at byte {start}: length {len} in its header, {trailer} in its trailer"),
            );
        }
        self.offset += u64::from(len);
        Next::Block { kind, offset: start, body: &self.buf }
    }

    fn broken(&mut self, offset: u64, message: String) -> Next<'_> {
        self.done = true;
        Next::Broken { offset, message }
    }
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (body.len() + 12) as u32;
        let mut v = kind.to_le_bytes().to_vec();
        v.extend(len.to_le_bytes());
        v.extend(body);
        v.extend(len.to_le_bytes());
        v
    }

    #[test]
    fn reads_blocks_then_end() {
        let mut data = block(0x201, b"abcd");
        data.extend(block(0x204, b"efgh1234"));
        let mut b = Blocks::new(&data[..]);
        assert!(matches!(b.next_block(), Next::Block { kind: 0x201, offset: 0, body } if body == b"abcd"));
        assert!(
            matches!(b.next_block(), Next::Block { kind: 0x204, offset: 16, body } if body == b"efgh1234")
        );
        assert!(matches!(b.next_block(), Next::End));
    }

    #[test]
    fn truncated_and_impossible_lengths_stop_reading() {
        let data = block(0x201, b"abcdefgh");
        let mut b = Blocks::new(&data[..data.len() - 6]);
        assert!(matches!(b.next_block(), Next::Broken { message, .. } if message.contains("truncated")));
        assert!(matches!(b.next_block(), Next::End));
        let mut huge = data.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            matches!(Blocks::new(&huge[..]).next_block(), Next::Broken { message, .. } if message.contains("cap"))
        );
        let mut short = data.clone();
        short[4..8].copy_from_slice(&4u32.to_le_bytes());
        assert!(matches!(Blocks::new(&short[..]).next_block(), Next::Broken { .. }));
        let mut trailer = data;
        let n = trailer.len();
        trailer[n - 1] = 9;
        assert!(
            matches!(Blocks::new(&trailer[..]).next_block(), Next::Broken { message, .. } if message.contains("trailer"))
        );
    }
}
