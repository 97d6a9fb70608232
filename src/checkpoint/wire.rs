//! The protobuf wire format, as far as CRIU's images need it: varints, 64-bit, length-
//! delimited and 32-bit fields, read from a byte slice with every length checked. Unknown
//! fields are skipped; a field that runs past the end of its message is an error, never a
//! panic.

/// A field's value as the wire carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Value<'a> {
    /// The value as an unsigned integer (varint or fixed).
    pub(crate) fn u64(self) -> Option<u64> {
        match self {
            Value::Varint(v) | Value::Fixed64(v) => Some(v),
            Value::Fixed32(v) => Some(u64::from(v)),
            Value::Bytes(_) => None,
        }
    }

    /// The value as a u32 (truncated as protobuf does for uint32 fields).
    pub(crate) fn u32(self) -> Option<u32> {
        self.u64().map(|v| v as u32)
    }

    /// A zig-zag `sint32`/`sint64`.
    pub(crate) fn sint(self) -> Option<i64> {
        self.u64().map(|v| ((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// A plain `int32`/`int64` (two's complement in a varint).
    pub(crate) fn int(self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }

    pub(crate) fn bool(self) -> Option<bool> {
        self.u64().map(|v| v != 0)
    }

    /// A length-delimited value (string, bytes, sub-message, packed repeated).
    pub(crate) fn bytes(self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// A string field; invalid UTF-8 is kept lossily (escaped by the writers).
    pub(crate) fn string(self) -> Option<String> {
        self.bytes().map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// A repeated scalar field: one value, or a packed run of varints.
    pub(crate) fn repeated_u64(self) -> Result<Vec<u64>, WireError> {
        match self {
            Value::Bytes(b) => {
                let mut out = vec![];
                let mut at = 0;
                while at < b.len() {
                    out.push(varint(b, &mut at)?);
                }
                Ok(out)
            }
            v => Ok(v.u64().into_iter().collect()),
        }
    }
}

/// Why a message could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireError {
    /// The bytes end inside a field.
    Truncated,
    /// A varint longer than 10 bytes.
    LongVarint,
    /// Wire types 3 and 4 (groups, unused by CRIU) or 6 and 7.
    BadWireType(u8),
    /// Field number 0.
    ZeroField,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Truncated => f.write_str("the message ends inside a field"),
            WireError::LongVarint => f.write_str("a varint longer than 10 bytes"),
            WireError::BadWireType(t) => write!(f, "wire type {t} (not used by CRIU images)"),
            WireError::ZeroField => f.write_str("field number 0"),
        }
    }
}

/// One base-128 varint at `*at`.
pub(crate) fn varint(b: &[u8], at: &mut usize) -> Result<u64, WireError> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let byte = *b.get(*at).ok_or(WireError::Truncated)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(WireError::LongVarint)
}

/// The fields of one message, in order.
pub(crate) struct Fields<'a> {
    b: &'a [u8],
    at: usize,
    failed: bool,
}

/// The fields of the message `b`.
pub(crate) fn fields(b: &[u8]) -> Fields<'_> {
    Fields { b, at: 0, failed: false }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.at >= self.b.len() {
            return None;
        }
        let r = self.field();
        self.failed = r.is_err();
        Some(r)
    }
}

impl<'a> Fields<'a> {
    fn field(&mut self) -> Result<(u32, Value<'a>), WireError> {
        let key = varint(self.b, &mut self.at)?;
        let number = (key >> 3) as u32;
        if number == 0 {
            return Err(WireError::ZeroField);
        }
        let value = match (key & 7) as u8 {
            0 => Value::Varint(varint(self.b, &mut self.at)?),
            1 => Value::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().map_err(|_| WireError::Truncated)?,
            )),
            2 => {
                let len = varint(self.b, &mut self.at)?;
                let len = usize::try_from(len).map_err(|_| WireError::Truncated)?;
                Value::Bytes(self.take(len)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(
                self.take(4)?.try_into().map_err(|_| WireError::Truncated)?,
            )),
            t => return Err(WireError::BadWireType(t)),
        };
        Ok((number, value))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.at.checked_add(n).ok_or(WireError::Truncated)?;
        let s = self.b.get(self.at..end).ok_or(WireError::Truncated)?;
        self.at = end;
        Ok(s)
    }
}

/// Visit every field of `b`; the first wire error stops the walk and is returned.
pub(crate) fn walk<'a>(b: &'a [u8], mut f: impl FnMut(u32, Value<'a>)) -> Result<(), WireError> {
    for field in fields(b) {
        let (n, v) = field?;
        f(n, v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_wire_type_and_skips_nothing() {
        // 1: varint 300, 2: bytes "hi", 3: fixed32 7, 4: fixed64 9
        let b = [0x08, 0xac, 0x02, 0x12, 0x02, b'h', b'i', 0x1d, 7, 0, 0, 0, 0x21, 9, 0, 0, 0, 0, 0, 0, 0];
        let got: Vec<(u32, Value)> = fields(&b).map(|f| f.unwrap()).collect();
        assert_eq!(
            got,
            vec![
                (1, Value::Varint(300)),
                (2, Value::Bytes(b"hi")),
                (3, Value::Fixed32(7)),
                (4, Value::Fixed64(9))
            ]
        );
    }

    #[test]
    fn hostile_lengths_are_errors() {
        assert_eq!(walk(&[0x12, 0x05, b'a'], |_, _| {}), Err(WireError::Truncated));
        assert_eq!(
            walk(&[0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], |_, _| {}),
            Err(WireError::Truncated)
        );
        assert_eq!(walk(&[0x08], |_, _| {}), Err(WireError::Truncated));
        assert_eq!(
            walk(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], |_, _| {}),
            Err(WireError::LongVarint)
        );
        assert_eq!(walk(&[0x0b], |_, _| {}), Err(WireError::BadWireType(3)));
        assert_eq!(walk(&[0x00, 0x01], |_, _| {}), Err(WireError::ZeroField));
        assert_eq!(walk(&[], |_, _| {}), Ok(()));
    }

    #[test]
    fn signed_and_packed() {
        assert_eq!(Value::Varint(3).sint(), Some(-2));
        assert_eq!(Value::Varint(u64::MAX).int(), Some(-1));
        assert_eq!(Value::Bytes(&[1, 0xac, 0x02]).repeated_u64(), Ok(vec![1, 300]));
        assert_eq!(Value::Varint(5).repeated_u64(), Ok(vec![5]));
    }
}
