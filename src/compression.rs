//! Looking through gzip / zstd wrappers by magic bytes, with a decompression-bomb guard.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use serde::Serialize;

/// A compression wrapper recognised by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// True when there is a wrapper to look through.
    pub(crate) fn is_some(&self) -> bool {
        *self != Compression::None
    }
}

/// Detect gzip (`1f 8b`) or zstd (`28 b5 2f fd`) from the first bytes.
pub(crate) fn detect_compression(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Limits on decompression, so a gzip or zstd bomb costs bounded time and never memory.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    /// Decoded bytes always allowed, whatever the ratio.
    pub floor: u64,
    /// Above `floor`, decoded bytes may be at most this many times the compressed size.
    pub max_ratio: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits { floor: 1 << 30, max_ratio: 250 }
    }
}

/// A decoding reader for `compression` over `raw`. `raw_size` (the compressed size, when
/// known) drives the bomb guard: reading past the limit is an `InvalidData` error naming it.
/// gzip is decoded multi-member (eStargz and concatenated gzip are read whole).
pub(crate) fn decoder<R: Read>(
    raw: R,
    compression: Compression,
    raw_size: Option<u64>,
    limits: DecodeLimits,
) -> io::Result<Decoder<R>> {
    let limit = match raw_size {
        Some(n) => limits.floor.max(n.saturating_mul(limits.max_ratio)),
        None => u64::MAX,
    };
    let inner = match compression {
        Compression::None => return Ok(Decoder::Plain(raw)),
        Compression::Gzip => Inner::Gzip(Box::new(MultiGzDecoder::new(raw))),
        Compression::Zstd => Inner::Zstd(zstd::stream::read::Decoder::new(raw)?),
    };
    Ok(Decoder::Decoded { inner: Box::new(inner), read: 0, limit })
}

/// The reader `decoder` returns: plain pass-through, or a bomb-guarded decompressor.
pub enum Decoder<R: Read> {
    Plain(R),
    Decoded { inner: Box<Inner<R>>, read: u64, limit: u64 },
}

/// The decompressor inside a [`Decoder`].
pub enum Inner<R: Read> {
    Gzip(Box<MultiGzDecoder<R>>),
    Zstd(zstd::stream::read::Decoder<'static, io::BufReader<R>>),
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Decoded { inner, read, limit } => {
                let n = match inner.as_mut() {
                    Inner::Gzip(d) => d.read(buf)?,
                    Inner::Zstd(d) => d.read(buf)?,
                };
                *read += n as u64;
                if *read > *limit {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "decompressed data exceeds {limit} bytes (possible decompression bomb); stopped"
                        ),
                    ));
                }
                Ok(n)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn multi_member_gzip_is_read_whole() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        assert_eq!(detect_compression(&two), Compression::Gzip);
        let mut out = String::new();
        decoder(&two[..], Compression::Gzip, None, DecodeLimits::default())
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello world");
    }

    #[test]
    fn bomb_guard_stops() {
        let bomb = gz(&vec![0u8; 4 << 20]);
        let limits = DecodeLimits { floor: 1 << 20, max_ratio: 10 };
        let mut d = decoder(&bomb[..], Compression::Gzip, Some(bomb.len() as u64), limits).unwrap();
        let err = io::copy(&mut d, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"));
    }
}
