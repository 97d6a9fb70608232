//! Making attacker-controlled bytes safe to show: lossy display, escaping, excerpts.

/// A shared string written as its text (serde writes no `Arc<str>` without its `rc` feature).
pub fn shared_str<S: serde::Serializer>(v: &Option<std::sync::Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_some(&**t),
        None => s.serialize_none(),
    }
}

/// Bytes shown as text: valid UTF-8 kept, invalid bytes as `\xNN`.
pub fn display_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Text made safe for a terminal: control characters (ESC, CR, BEL, NUL, C1, bidi
/// overrides...) become visible escapes so attacker text can never drive the analyst's
/// terminal. Tab is kept.
pub fn terminal_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (0x80..0xa0).contains(&(c as u32))
                || matches!(c as u32, 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069 | 0xfeff) =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// An excerpt of at most `max` bytes of `bytes` around `[start, end)`, shown lossily;
/// `…` marks cut ends. Used so huge lines never flood a report.
pub fn excerpt(bytes: &[u8], start: usize, end: usize, max: usize) -> String {
    let start = start.min(bytes.len());
    let end = end.clamp(start, bytes.len());
    if bytes.len() <= max {
        return display_bytes(bytes);
    }
    let hit = end - start;
    let room = max.saturating_sub(hit) / 2;
    let from = start.saturating_sub(room);
    let to = (end + room).min(bytes.len()).max(from + max.min(bytes.len() - from));
    let to = to.min(from + max.max(hit));
    let mut s = String::new();
    if from > 0 {
        s.push('…');
    }
    s.push_str(&display_bytes(&bytes[from..to]));
    if to < bytes.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_string_is_written_as_a_string() {
        #[derive(serde::Serialize)]
        struct Shared(#[serde(serialize_with = "shared_str")] Option<std::sync::Arc<str>>);
        #[derive(serde::Serialize)]
        struct Owned(Option<String>);
        for v in [None, Some("a \"note\"")] {
            let got = serde_json::to_string(&Shared(v.map(Into::into))).unwrap();
            assert_eq!(got, serde_json::to_string(&Owned(v.map(Into::into))).unwrap());
        }
    }

    #[test]
    fn invalid_utf8_is_escaped() {
        assert_eq!(display_bytes(b"a\xffb"), "a\\xffb");
    }

    #[test]
    fn control_chars_are_neutralised() {
        assert_eq!(terminal_safe("a\x1b[31mred\x07\r\n"), "a\\x1b[31mred\\x07\\r\\n");
        assert_eq!(terminal_safe("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
    }

    #[test]
    fn excerpt_is_bounded_and_keeps_hit() {
        let line = vec![b'a'; 10_000];
        let mut l = line.clone();
        l[5000..5005].copy_from_slice(b"HELLO");
        let e = excerpt(&l, 5000, 5005, 200);
        assert!(e.contains("HELLO"));
        assert!(e.len() <= 220, "{}", e.len());
        assert_eq!(excerpt(b"short", 0, 5, 200), "short");
    }
}
