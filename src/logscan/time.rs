//! The time of a log line, read from the line itself: ISO 8601 / RFC 3339 (also the
//! `docker logs -t` prefix), Apache `[27/Nov/2026:14:00:00 +0000]`, log4j/logback
//! `2026-11-27 14:00:00,123`, Tomcat `27-Nov-2026 14:00:00.123`, Apache `error_log`
//! `[Sat Mar 15 16:04:06.105212 2010]` (2.4) and `[Sat Mar 15 16:04:06 2010]` (2.2), nginx
//! `error.log` `2023/12/30 11:57:31`, java.util.logging `Nov 27, 2026 2:00:00 PM`, nginx
//! JSON `"time_local":"27/Nov/2026:14:00:00 +0000"`, Caddy/zap JSON `"ts":1711741827.96`, syslog
//! `Nov 27 14:00:00`, and a leading Unix epoch (squid's `access.log` `1639146338.123`, scripts'
//! `1639146338 msg`; 2000-2099 only). Times without a zone are taken as UTC. Syslog has no year: it is taken
//! from the caller's reference year when one is given, otherwise [`line_syslog`] gives it
//! without one, for [`super::syslog_year`] to date.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::syslog_year::SyslogTime;
use crate::model::Timestamp;

/// A built-in time regex with ASCII classes (`\d` is 0-9, as the numbers are parsed; `.` any
/// byte): four times faster to compile than with Unicode classes, and each line with a hit
/// is dated.
fn ascii(re: &str) -> Regex {
    regex::bytes::RegexBuilder::new(re).unicode(false).build().expect("valid built-in regex")
}

/// Bytes from the start of a line searched for a time.
const HEAD: usize = 160;

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    ascii(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|z|[+-]\d{2}:?\d{2})?)")
});
/// What [`apache_fields`] reads, as a regex: the tests' oracle.
#[cfg(test)]
static APACHE: LazyLock<Regex> = LazyLock::new(|| {
    ascii(
        r#"[\["](\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*([+-]\d{4})?[\]"]"#,
    )
});
static TOMCAT: LazyLock<Regex> =
    LazyLock::new(|| ascii(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"));
static APACHE_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    ascii(r"^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (\d{4})\]")
});
static NGINX_ERROR: LazyLock<Regex> =
    LazyLock::new(|| ascii(r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \["));
static JSON_TS: LazyLock<Regex> =
    LazyLock::new(|| ascii(r#"^\{.{0,80}?"ts":(\d{9,11})(?:\.(\d{1,9}))?[,}]"#));
static EPOCH: LazyLock<Regex> = LazyLock::new(|| ascii(r"^(\d{9,10})(?:\.(\d{1,9}))?[ \t]"));
/// Leading numbers read as an epoch only between 2000-01-01 and 2100-01-01: a count, a pid or
/// a size at the start of a line is rarely in that range, and never with squid's layout.
const EPOCH_RANGE: std::ops::Range<i64> = 946_684_800..4_102_444_800;
static JUL: LazyLock<Regex> =
    LazyLock::new(|| ascii(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ([AP]M)\b"));
static SYSLOG: LazyLock<Regex> =
    LazyLock::new(|| ascii(r"^(?:<\d{1,3}>)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\b"));

/// The time written on `line`, if a known format is near its start. `syslog_year` is the
/// year given to syslog times (which carry none); without it they stay unknown.
pub(crate) fn line_time(line: &[u8], syslog_year: Option<i32>) -> Option<Timestamp> {
    let head = &line[..line.len().min(HEAD)];
    // Apache's `[27/Nov/2026:14:00:00 +0000]`, else Tomcat's OneLineFormatter
    // `27-Nov-2026 14:00:00.123` (no zone: UTC assumed).
    if let Some(f) = apache_fields(head).or_else(|| TOMCAT.captures(head).and_then(|c| Fields::of(&c))) {
        let num = |d: &[u8]| std::str::from_utf8(d).ok()?.parse::<u32>().ok();
        return Timestamp::from_civil(
            num(f.year)? as i32,
            month(f.month)?,
            num(f.day)? as u8,
            num(f.hour)? as u8,
            num(f.min)? as u8,
            num(f.sec)? as u8,
            f.frac.map_or(0, frac_nanos),
            f.zone.and_then(offset).unwrap_or(0),
        );
    }
    let num_at = |c: &regex::bytes::Captures, i: usize| {
        c.get(i).and_then(|m| std::str::from_utf8(m.as_bytes()).ok()?.parse::<u32>().ok())
    };
    if let Some(c) = JSON_TS.captures(head) {
        // zap (Caddy) writes Unix seconds with a fraction.
        let secs: i64 = std::str::from_utf8(c.get(1)?.as_bytes()).ok()?.parse().ok()?;
        let nanos = c.get(2).map(|m| frac_nanos(m.as_bytes())).unwrap_or(0);
        return Some(Timestamp::from_unix(secs, nanos));
    }
    if let Some(c) = EPOCH.captures(head) {
        let secs: i64 = std::str::from_utf8(c.get(1)?.as_bytes()).ok()?.parse().ok()?;
        if EPOCH_RANGE.contains(&secs) {
            let nanos = c.get(2).map(|m| frac_nanos(m.as_bytes())).unwrap_or(0);
            return Some(Timestamp::from_unix(secs, nanos));
        }
    }
    if let Some(c) = APACHE_ERROR.captures(head) {
        let nanos = c.get(6).map(|m| frac_nanos(m.as_bytes())).unwrap_or(0);
        return Timestamp::from_civil(
            num_at(&c, 7)? as i32,
            month(c.get(1)?.as_bytes())?,
            num_at(&c, 2)? as u8,
            num_at(&c, 3)? as u8,
            num_at(&c, 4)? as u8,
            num_at(&c, 5)? as u8,
            nanos,
            0,
        );
    }
    if let Some(c) = NGINX_ERROR.captures(head) {
        return Timestamp::from_civil(
            num_at(&c, 1)? as i32,
            num_at(&c, 2)? as u8,
            num_at(&c, 3)? as u8,
            num_at(&c, 4)? as u8,
            num_at(&c, 5)? as u8,
            num_at(&c, 6)? as u8,
            0,
            0,
        );
    }
    if let Some(c) = JUL.captures(head) {
        let h12 = num_at(&c, 4)?;
        if !(1..=12).contains(&h12) {
            return None;
        }
        let pm = c.get(7)?.as_bytes() == b"PM";
        let hour = (h12 % 12) + if pm { 12 } else { 0 };
        return Timestamp::from_civil(
            num_at(&c, 3)? as i32,
            month(c.get(1)?.as_bytes())?,
            num_at(&c, 2)? as u8,
            hour as u8,
            num_at(&c, 5)? as u8,
            num_at(&c, 6)? as u8,
            0,
            0,
        );
    }
    if let Some(m) = ISO.find(head) {
        if let Some(t) = Timestamp::parse_rfc3339_bytes(m.as_bytes()) {
            return Some(t);
        }
    }
    line_syslog(head)?.in_year(syslog_year?)
}

/// The fields of a day-month-year time, as written.
#[derive(Debug, PartialEq, Eq)]
struct Fields<'a> {
    day: &'a [u8],
    month: &'a [u8],
    year: &'a [u8],
    hour: &'a [u8],
    min: &'a [u8],
    sec: &'a [u8],
    frac: Option<&'a [u8]>,
    zone: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    /// From captures laid out as `APACHE`'s and `TOMCAT`'s: day, month, year, hour, minute,
    /// second, fraction, zone.
    fn of(c: &regex::bytes::Captures<'a>) -> Option<Self> {
        let g = |i: usize| c.get(i).map(|m| m.as_bytes());
        Some(Fields {
            day: g(1)?,
            month: g(2)?,
            year: g(3)?,
            hour: g(4)?,
            min: g(5)?,
            sec: g(6)?,
            frac: g(7),
            zone: g(8),
        })
    }
}

/// The leftmost Apache access-log time in `head`, `[27/Nov/2026:14:00:00 +0000]` (or quoted,
/// as nginx JSON logs write it), read by hand exactly as the regex
/// `[\["](\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*([+-]\d{4})?[\]"]`
/// matches (the tests hold it as their oracle): every candidate record of an access log is
/// dated, and that regex's captures were about 4 % of such a scan's CPU.
fn apache_fields(head: &[u8]) -> Option<Fields<'_>> {
    memchr::memchr2_iter(b'[', b'"', head).find_map(|p| apache_at(head, p + 1))
}

/// [`apache_fields`] with the day starting at `i`. Every step is decided by the next byte:
/// whatever the regex would backtrack to fails on it too (a digit is none of `\s`, `+`, `-`,
/// `]`, `"`).
fn apache_at(h: &[u8], i: usize) -> Option<Fields<'_>> {
    let digits = |at: usize, n: usize| h.get(at..at + n).filter(|d| d.iter().all(u8::is_ascii_digit));
    let is = |at: usize, b: u8| h.get(at) == Some(&b);
    let day_len = match (digits(i, 2), digits(i, 1)) {
        (Some(_), _) if is(i + 2, b'/') => 2,
        (_, Some(_)) if is(i + 1, b'/') => 1,
        _ => return None,
    };
    let day = &h[i..i + day_len];
    let k = i + day_len + 1;
    let month = h.get(k..k + 3).filter(|m| m.iter().all(u8::is_ascii_alphabetic))?;
    let year = digits(k + 4, 4).filter(|_| is(k + 3, b'/'))?;
    let hour = digits(k + 9, 2).filter(|_| is(k + 8, b':'))?;
    let min = digits(k + 12, 2).filter(|_| is(k + 11, b':'))?;
    let sec = digits(k + 15, 2).filter(|_| is(k + 14, b':'))?;
    let mut j = k + 17;
    let mut frac = None;
    if is(j, b'.') {
        let n = h[j + 1..].iter().take(9).take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        frac = Some(&h[j + 1..j + 1 + n]);
        j += 1 + n;
    }
    // `\s` as the ASCII regex reads it: vertical tab included.
    while h.get(j).is_some_and(|c| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')) {
        j += 1;
    }
    let mut zone = None;
    if matches!(h.get(j), Some(b'+' | b'-')) {
        zone = Some(h.get(j..j + 5).filter(|z| z[1..].iter().all(u8::is_ascii_digit))?);
        j += 5;
    }
    matches!(h.get(j), Some(b']' | b'"')).then_some(Fields { day, month, year, hour, min, sec, frac, zone })
}

/// The RFC 3164 syslog time at the start of `line` (`Nov 27 14:00:00`, optionally after a
/// `<PRI>`), which carries no year (see [`super::syslog_year`] for finding it). Only for a
/// line [`line_time`] found no dated time on.
pub(crate) fn line_syslog(line: &[u8]) -> Option<SyslogTime> {
    let head = &line[..line.len().min(HEAD)];
    let c = SYSLOG.captures(head)?;
    let num = |i: usize| c.get(i).and_then(|m| std::str::from_utf8(m.as_bytes()).ok()?.parse::<u8>().ok());
    let t = SyslogTime {
        month: month(c.get(1)?.as_bytes())?,
        day: num(2)?,
        hour: num(3)?,
        min: num(4)?,
        sec: num(5)?,
    };
    // A day or time no calendar has is no syslog time (Feb 29 is checked with its year).
    (t.in_year(2024).is_some()).then_some(t)
}

fn month(m: &[u8]) -> Option<u8> {
    const NAMES: [&[u8]; 12] =
        [b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec"];
    let lower = m.to_ascii_lowercase();
    NAMES.iter().position(|n| *n == lower.as_slice()).map(|i| i as u8 + 1)
}

fn frac_nanos(d: &[u8]) -> u32 {
    let mut v: u32 = 0;
    for &c in d.iter().take(9) {
        v = v * 10 + u32::from(c - b'0');
    }
    v * 10u32.pow(9 - d.len().min(9) as u32)
}

fn offset(o: &[u8]) -> Option<i32> {
    let sign = if o.first() == Some(&b'-') { -1 } else { 1 };
    let s = std::str::from_utf8(o.get(1..5)?).ok()?;
    let h: i32 = s[..2].parse().ok()?;
    let m: i32 = s[2..].parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(line: &str, year: Option<i32>) -> Option<String> {
        line_time(line.as_bytes(), year).map(|t| t.to_iso())
    }

    #[test]
    fn leading_epochs_in_range() {
        assert_eq!(
            t("1639146338.123    154 10.0.0.9 TCP_MISS/200 512 GET http://x/ - HIER_DIRECT/1.2.3.4 text/html", None)
                .as_deref(),
            Some("2021-12-10T14:25:38.123000000Z")
        );
        assert_eq!(t("1639146338 backup started", None).as_deref(), Some("2021-12-10T14:25:38.000000000Z"));
        // Counts, pids and sizes are no times: out of range, glued to text, or not at the start.
        for no in
            ["123456789 bytes sent", "4102444800 x", "1639146338abc", "GET /1639146338 x", "16391463380 x"]
        {
            assert_eq!(t(no, None), None, "{no}");
        }
    }

    #[test]
    fn apache_times_are_read_as_the_regex_reads_them() {
        // Pieces of Apache times and what breaks them: every head is compared with the
        // regex's leftmost match, field by field.
        const PIECES: [&str; 44] = [
            "[",
            "\"",
            "27",
            "7",
            "123",
            "/",
            "Nov",
            "nOv",
            "No",
            "N0v",
            "2026",
            "202",
            ":",
            "14",
            "1",
            "00",
            ".",
            ".5",
            ".123456789",
            ".1234567890",
            " ",
            "  ",
            "\t",
            "\u{b}",
            "\r",
            "+0000",
            "-0530",
            "+05",
            "+",
            "]",
            "x",
            "[27/Nov/2026:14:00:00",
            "\"1/jan/1999:00:00:00",
            "\u{ff}",
            // Near misses: one separator missing or doubled between whole parts.
            "[27/Nov",
            "[3/Dec/",
            "/2026:14:00:00",
            "2026:14:00:00",
            ":14:00:00",
            "14:00:00",
            "[27/Nov/2026",
            "[27/Nov/2026:14",
            "[27/Nov/2026:14:00",
            "x00:00]",
        ];
        let mut rng = crate::test_rng::Rng(0x1234_5678_9abc_def1);
        let mut matched = 0;
        for round in 0..40_000 {
            let mut head = Vec::new();
            while head.len() < 40 + round % 120 {
                head.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes());
            }
            let head = &head[..head.len().min(HEAD)];
            let want = APACHE.captures(head).and_then(|c| Fields::of(&c));
            matched += want.is_some() as usize;
            assert_eq!(apache_fields(head), want, "{:?}", String::from_utf8_lossy(head));
        }
        assert!(matched > 2_000, "{matched}");
        // The fields a well-formed line gives, and a line the regex must reject.
        let f = apache_fields(b"1.2.3.4 - - [27/Nov/2026:14:00:00.25 +0100] \"GET / HTTP/1.1\"").unwrap();
        assert_eq!(
            (f.day, f.month, f.frac, f.zone),
            (&b"27"[..], &b"Nov"[..], Some(&b"25"[..]), Some(&b"+0100"[..]))
        );
        assert_eq!(apache_fields(b"[27/Nov/2026:14:00:00.1234567890]"), None);
    }

    #[test]
    fn formats_in_the_wild() {
        assert_eq!(
            t("2026-11-27T14:00:00.123456789Z stdout hello", None).as_deref(),
            Some("2026-11-27T14:00:00.123456789Z")
        );
        assert_eq!(
            t("2026-11-27 15:00:00,123 ERROR [main] x", None).as_deref(),
            Some("2026-11-27T15:00:00.123000000Z")
        );
        assert_eq!(
            t("[2026-11-27T15:00:00+01:00] x", None).as_deref(),
            Some("2026-11-27T14:00:00.000000000Z")
        );
        assert_eq!(
            t(r#"10.0.0.9 - - [27/Nov/2026:16:00:00 +0200] "GET / HTTP/1.1" 200 1"#, None).as_deref(),
            Some("2026-11-27T14:00:00.000000000Z")
        );
        assert_eq!(
            t("Nov 27 14:00:00 host sshd[1]: x", Some(2026)).as_deref(),
            Some("2026-11-27T14:00:00.000000000Z")
        );
        assert_eq!(
            t("<34>Nov  7 14:00:00 host x", Some(2025)).as_deref(),
            Some("2025-11-07T14:00:00.000000000Z")
        );
        assert_eq!(t("Nov 27 14:00:00 host sshd[1]: x", None), None);
        assert_eq!(
            t("27-Nov-2026 14:00:00.123 SEVERE [main] x", None).as_deref(),
            Some("2026-11-27T14:00:00.123000000Z")
        );
        assert_eq!(t("no time here 14:00", None), None);
        // Apache 2.4 and 2.2 error_log, nginx error.log, java.util.logging (old catalina.out).
        assert_eq!(
            t("[Sat Mar 15 16:04:06.105212 2010] [core:error] [pid 42] [client 10.0.0.9:4711] x", None)
                .as_deref(),
            Some("2010-03-15T16:04:06.105212000Z")
        );
        assert_eq!(
            t("[Sat Mar  6 16:04:06 2010] [error] [client 10.0.0.9] File does not exist", None).as_deref(),
            Some("2010-03-06T16:04:06.000000000Z")
        );
        assert_eq!(
            t("2023/12/30 11:57:31 [error] 29#29: *1 open() \"/usr/share/nginx/html/x\" failed", None)
                .as_deref(),
            Some("2023-12-30T11:57:31.000000000Z")
        );
        assert_eq!(
            t("Nov 27, 2026 2:05:09 PM org.apache.catalina.startup.Catalina start", None).as_deref(),
            Some("2026-11-27T14:05:09.000000000Z")
        );
        assert_eq!(
            t("Nov 27, 2026 12:05:09 AM org.apache.x", None).as_deref(),
            Some("2026-11-27T00:05:09.000000000Z")
        );
        // nginx JSON access logs and Caddy's zap JSON.
        assert_eq!(
            t(r#"{"time_local":"27/Nov/2026:16:00:00 +0200","remote_addr":"10.0.0.9","request":"GET / HTTP/1.1"}"#, None)
                .as_deref(),
            Some("2026-11-27T14:00:00.000000000Z")
        );
        assert_eq!(
            t(r#"{"level":"error","ts":1711741827.9626286,"logger":"http.log.access.log0"}"#, None)
                .as_deref(),
            Some("2024-03-29T19:50:27.962628600Z")
        );
        // RFC 5424 syslog and Spring Boot's JSON (ECS) carry RFC 3339 times.
        assert_eq!(
            t("<34>1 2026-11-27T14:00:00.003Z web1 app 42 - - x", None).as_deref(),
            Some("2026-11-27T14:00:00.003000000Z")
        );
        assert_eq!(
            t(r#"{"@timestamp":"2026-11-27T14:00:00.123Z","log.level":"INFO","message":"x"}"#, None)
                .as_deref(),
            Some("2026-11-27T14:00:00.123000000Z")
        );
        assert_eq!(t("2026-13-45 99:00:00 bad", None), None);
        // Go's json-file time without zone and with few fraction digits.
        assert_eq!(t("2016-01-07T16:49:10.0 x", None).as_deref(), Some("2016-01-07T16:49:10.000000000Z"));
    }
}
