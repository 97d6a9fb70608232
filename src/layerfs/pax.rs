//! The PAX extended header of one tar member, parsed once: its mtime (with fraction), GNU
//! sparse markers and overlayfs's opaque-directory xattr (`SCHILY.xattr.*.overlay.opaque`).

use crate::model::Timestamp;

/// What a member's PAX records say that the analysis uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pax {
    /// `mtime`, to the nanosecond.
    pub(crate) mtime: Option<Timestamp>,
    /// A `GNU.sparse.*` key: the member is a PAX-format sparse file.
    pub(crate) sparse: bool,
    /// `SCHILY.xattr.trusted.overlay.opaque` or `SCHILY.xattr.user.overlay.opaque` is `y`.
    pub(crate) opaque: bool,
}

impl Pax {
    /// Read the records as (key, value) pairs; records that do not parse are skipped.
    pub(crate) fn parse<'a>(records: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Pax {
        let mut pax = Pax::default();
        for (key, value) in records {
            match key {
                b"mtime" => {
                    pax.mtime = std::str::from_utf8(value).ok().and_then(Timestamp::from_unix_decimal)
                }
                k if k.starts_with(b"GNU.sparse.") => pax.sparse = true,
                b"SCHILY.xattr.trusted.overlay.opaque" | b"SCHILY.xattr.user.overlay.opaque" => {
                    pax.opaque = value == b"y"
                }
                _ => {}
            }
        }
        pax
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let recs: Vec<(&[u8], &[u8])> = vec![
            (b"mtime", b"1700000000.5"),
            (b"GNU.sparse.major", b"1"),
            (b"SCHILY.xattr.trusted.overlay.opaque", b"y"),
        ];
        let p = Pax::parse(recs.into_iter());
        assert!(p.sparse && p.opaque);
        assert_eq!(p.mtime, Timestamp::from_unix_decimal("1700000000.5"));
        assert_eq!(Pax::parse(std::iter::empty()), Pax::default());
    }
}
