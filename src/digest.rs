//! SHA-256 digests and their lower-case hex: of bytes, of a stream as it passes, `sha256:`
//! names parsed and checked, and how comparing a digest with its claim came out.

use std::io::{self, Read};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A SHA-256 held as its 32 bytes and written as lower-case hex: a record per file holds
/// one, and its hex string would take twice the room and an allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Hex(pub [u8; 32]);

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Serialize for Sha256Hex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The hex of a SHA-256, or `-` when there is none (tables).
pub(crate) fn hex_or_dash(sha: Option<Sha256Hex>) -> String {
    sha.map_or_else(|| "-".into(), |s| s.to_string())
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `sha256:<hex>` of `bytes`.
pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    prefixed(&sha256(bytes))
}

/// `sha256:<hex>` of an already computed SHA-256.
pub(crate) fn prefixed(sha: &[u8]) -> String {
    format!("sha256:{}", hex(sha))
}

/// Whether `s` is 64 hex digits (a SHA-256 in hex, either case).
pub(crate) fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The hex part of a `sha256:<hex>` digest.
pub(crate) fn hex_of(digest: &str) -> Option<&str> {
    digest.strip_prefix("sha256:")
}

/// A reader that hashes and counts what passes through it.
pub(crate) struct HashingReader<R> {
    pub(crate) inner: R,
    hasher: Sha256,
    /// Bytes passed so far.
    pub(crate) count: u64,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new(), count: 0 }
    }

    /// Lower-case hex of what passed so far (the hasher starts over).
    pub(crate) fn hex(&mut self) -> String {
        hex(&std::mem::take(&mut self.hasher).finalize())
    }

    /// The SHA-256 of what passed so far (the hasher starts over).
    pub(crate) fn sha256(&mut self) -> Sha256Hex {
        Sha256Hex(std::mem::take(&mut self.hasher).finalize().into())
    }

    /// `sha256:<hex>` of what passed so far (the hasher starts over).
    pub(crate) fn digest(&mut self) -> String {
        format!("sha256:{}", self.hex())
    }

    /// Read (and hash) the rest of the stream, 64 KiB per read (`io::copy`'s 8 KiB buffer
    /// costs a system call per 8 KiB of a large file). Returns the bytes read.
    pub(crate) fn drain(&mut self) -> io::Result<u64> {
        let mut buf = [0u8; 64 << 10];
        let mut total = 0;
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => total += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// How a digest check came out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    Verified,
    Mismatch,
    /// Could not be computed (blob unreadable or truncated).
    Incomplete,
    /// Nothing to compare with.
    #[default]
    Unverified,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_bytes_read_and_written_as_their_hex() {
        let want = hex(&sha256(b"abc"));
        let mut r = HashingReader::new(&b"abc"[..]);
        io::copy(&mut r, &mut io::sink()).unwrap();
        let got = r.sha256();
        assert_eq!((got, got.to_string()), (Sha256Hex(sha256(b"abc")), want.clone()));
        assert_eq!(serde_json::to_string(&Some(got)).unwrap(), format!("\"{want}\""));
        assert_eq!((hex_or_dash(Some(got)), hex_or_dash(None)), (want, "-".to_string()));
    }

    #[test]
    fn hex_and_digests() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_hex64(&hex(&sha256(b"x"))));
        assert!(!is_hex64("abc"));
        assert_eq!(hex_of("sha256:ab"), Some("ab"));
        let mut r = HashingReader::new(&b"abc"[..]);
        r.drain().unwrap();
        assert_eq!(r.count, 3);
        assert_eq!(r.digest(), sha256_digest(b"abc"));
    }
}
