//! UTC instants with nanoseconds, parsed (never compared as strings) from the formats
//! found in container evidence.

use std::num::NonZeroU32;

use serde::{Serialize, Serializer};
use time::OffsetDateTime;

/// A UTC instant with nanosecond precision. Orders chronologically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: Nanos,
}

/// Nanoseconds within the second, held plus one: the zero it never holds makes an
/// `Option<Timestamp>` no larger than a `Timestamp` (a file's record holds several).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Nanos(NonZeroU32);

impl Nanos {
    fn new(n: u32) -> Self {
        Nanos(NonZeroU32::MIN.saturating_add(n))
    }

    fn get(self) -> u32 {
        self.0.get() - 1
    }
}

impl std::fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timestamp").field("secs", &self.secs).field("nanos", &self.nanos.get()).finish()
    }
}

impl Timestamp {
    /// From seconds and nanoseconds within the second (below 1e9).
    fn raw(secs: i64, nanos: u32) -> Self {
        Timestamp { secs, nanos: Nanos::new(nanos) }
    }

    /// From seconds and nanoseconds since the Unix epoch.
    pub fn from_unix(secs: i64, nanos: u32) -> Self {
        Timestamp::raw(secs + i64::from(nanos / 1_000_000_000), nanos % 1_000_000_000)
    }

    /// From a fractional Unix time as written in PAX `mtime` (e.g. `1700000000.123456789`).
    pub fn from_unix_decimal(s: &str) -> Option<Self> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let secs: i64 = int.parse().ok()?;
        let nanos = parse_fraction(frac.as_bytes())?;
        if secs < 0 && nanos > 0 {
            return Some(Timestamp::raw(secs - 1, 1_000_000_000 - nanos));
        }
        Some(Timestamp::raw(secs, nanos))
    }

    /// From civil date-time fields at a UTC offset (seconds east of UTC). None when invalid.
    #[allow(clippy::too_many_arguments)]
    pub fn from_civil(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        nanos: u32,
        offset_secs: i32,
    ) -> Option<Self> {
        // The ranges the `time` crate accepts (the tests compare the two on every month of
        // several centuries), computed directly: every json-file and CRI line is dated.
        let valid = (-9999..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second <= 60
            && nanos < 1_000_000_000
            && offset_secs.unsigned_abs() <= 25 * 3600 + 59 * 60 + 59;
        if !valid {
            return None;
        }
        // Leap second 60 folds onto the next second, as Go and most loggers do.
        let secs = days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second)
            - i64::from(offset_secs);
        Some(Timestamp::raw(secs, nanos))
    }

    /// Parse RFC 3339 / ISO 8601 as Docker and Go write it: `T` or a space between date and
    /// time, 0-9 fraction digits (`,` or `.`), `Z`, `±hh:mm`, `±hhmm` or no zone (UTC).
    /// Docker's zero time `0001-01-01T00:00:00Z` means "no time" and gives None.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        Self::parse_rfc3339_trimmed(s.trim().as_bytes())
    }

    /// [`Self::parse_rfc3339`] of bytes as a log holds them (not UTF-8: None).
    pub fn parse_rfc3339_bytes(b: &[u8]) -> Option<Self> {
        let t = b.trim_ascii();
        if t.first().is_some_and(|c| !c.is_ascii()) || t.last().is_some_and(|c| !c.is_ascii()) {
            // White space beyond ASCII around it, as `str::trim` reads it.
            return std::str::from_utf8(b).ok().and_then(Self::parse_rfc3339);
        }
        // A byte beyond ASCII inside is neither digit nor separator: None below.
        Self::parse_rfc3339_trimmed(t)
    }

    fn parse_rfc3339_trimmed(b: &[u8]) -> Option<Self> {
        if b.len() < 19 || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| digits(&b[r]);
        if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let year = num(0..4)? as i32;
        let (month, day) = (num(5..7)? as u8, num(8..10)? as u8);
        let (hour, minute, second) = (num(11..13)? as u8, num(14..16)? as u8, num(17..19)? as u8);
        if year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && second == 0 {
            return None;
        }
        let (nanos, zone) = fraction_and_zone(b)?;
        let offset = parse_offset(zone)?;
        Timestamp::from_civil(year, month, day, hour, minute, second, nanos, offset)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_secs(&self) -> i64 {
        self.secs
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos.get()
    }

    /// A file's modification time (None before 1970 or when the platform gives none).
    pub fn of_mtime(meta: &std::fs::Metadata) -> Option<Self> {
        let d = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(Timestamp::from_unix(d.as_secs() as i64, d.subsec_nanos()))
    }

    /// ISO 8601 UTC to the second: `2026-11-27T14:00:00Z` (for sentences and chains).
    pub fn to_iso_seconds(&self) -> String {
        let full = self.to_iso();
        match full.split_once('.') {
            Some((head, _)) => format!("{head}Z"),
            None => full,
        }
    }

    /// This instant moved by `secs` seconds.
    pub fn plus_secs(&self, secs: i64) -> Self {
        Timestamp { secs: self.secs.saturating_add(secs), nanos: self.nanos }
    }

    /// The start of this instant's UTC day.
    pub fn day_start(&self) -> Self {
        Timestamp::raw(self.secs - self.secs.rem_euclid(86_400), 0)
    }

    /// ISO 8601 UTC with nine fraction digits: `2026-11-27T14:00:00.123000000Z`.
    pub fn to_iso(&self) -> String {
        match OffsetDateTime::from_unix_timestamp(self.secs) {
            Ok(t) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                self.nanos.get()
            ),
            Err(_) => format!("@{}.{:09}", self.secs, self.nanos.get()),
        }
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso())
    }
}

fn parse_fraction(b: &[u8]) -> Option<u32> {
    let first = &b[..b.len().min(9)];
    let v = digits(first)?;
    (b[first.len()..].iter().all(u8::is_ascii_digit)).then(|| v * 10u32.pow(9 - first.len() as u32))
}

/// The fraction (in nanoseconds) and the zone after an RFC 3339 time's seconds (`b` holds at
/// least 19 bytes).
fn fraction_and_zone(b: &[u8]) -> Option<(u32, &[u8])> {
    if !matches!(b.get(19), Some(b'.' | b',')) {
        return Some((0, &b[19..]));
    }
    let n = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
    Some((parse_fraction(&b[20..20 + n])?, &b[20 + n..]))
}

/// RFC 3339 times of a log's records in turn: a time whose date, time to the second and zone
/// are the bytes of the last one parsed takes that one's second and parses only its fraction
/// (a log writes many records a second). Gives what [`Timestamp::parse_rfc3339_bytes`] gives.
#[derive(Debug, Default)]
pub struct Rfc3339Memo {
    /// The last time parsed: its first 19 bytes, its zone (at most 8 bytes) and its second.
    last: Option<([u8; 19], [u8; 8], usize, i64)>,
}

impl Rfc3339Memo {
    /// [`Timestamp::parse_rfc3339_bytes`], remembering the second.
    pub fn parse(&mut self, b: &[u8]) -> Option<Timestamp> {
        let t = b.trim_ascii();
        if let Some((head, zone, len, secs)) = &self.last {
            if t.get(..19) == Some(&head[..]) {
                if let Some((nanos, z)) = fraction_and_zone(t) {
                    if z == &zone[..*len] {
                        return Some(Timestamp::raw(*secs, nanos));
                    }
                }
            }
        }
        let parsed = Timestamp::parse_rfc3339_bytes(b)?;
        // Remembered when read where it was parsed: from its first byte, a digit (no white
        // space beyond ASCII before it).
        if t.len() >= 19 && t[0].is_ascii_digit() {
            if let Some((_, z)) = fraction_and_zone(t).filter(|(_, z)| z.len() <= 8) {
                let (mut head, mut zone) = ([0u8; 19], [0u8; 8]);
                head.copy_from_slice(&t[..19]);
                zone[..z.len()].copy_from_slice(z);
                self.last = Some((head, zone, z.len(), parsed.secs));
            }
        }
        Some(parsed)
    }
}

/// The value of ASCII decimal digits (at most 9; 0 when there are none); None if any byte is
/// not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |v, &c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_offset(z: &[u8]) -> Option<i32> {
    let (sign, rest) = match z {
        b"" | b"Z" | b"z" => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    // Four digits, colons anywhere between them ignored.
    let mut d = [0i32; 4];
    let mut n = 0;
    for &c in rest.iter().filter(|&&c| c != b':') {
        if n == 4 || !c.is_ascii_digit() {
            return None;
        }
        d[n] = i32::from(c - b'0');
        n += 1;
    }
    (n == 4).then(|| sign * ((d[0] * 10 + d[1]) * 3600 + (d[2] * 10 + d[3]) * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

    #[test]
    fn bytes_parse_as_the_text_does() {
        let at = |s: &str| Timestamp::parse_rfc3339(s).map(|t| (t.unix_secs(), t.subsec_nanos()));
        let base = 1_764_252_000; // 2025-11-27T14:00:00Z
        for (zone, want) in [
            ("Z", Some(0)),
            ("z", Some(0)),
            ("", Some(0)),
            ("+05:30", Some(19_800)),
            ("+0530", Some(19_800)),
            ("-00:00", Some(0)),
            ("-01:00", Some(-3600)),
            ("+:0530", Some(19_800)),
            ("+05:3:0", Some(19_800)),
            ("+05:30:", Some(19_800)),
            ("+053", None),
            ("+05300", None),
            ("+05:3a", None),
            ("+", None),
            ("05:30", None),
            ("+05\u{ff1a}30", None),
        ] {
            let s = format!("2025-11-27T14:00:00.5{zone}");
            assert_eq!(at(&s), want.map(|o: i64| (base - o, 500_000_000)), "{s}");
        }
        let cases = [
            "2025-11-27T14:00:00Z",
            " 2025-11-27T14:00:00.123456789Z\n",
            "\u{a0}2025-11-27 14:00:00,1+01:00\u{2003}",
            "2025-11-27T14:00:00.1234567891Z",
            "2025-11-27T14:00:00.Z",
            "2025-02-29T14:00:00Z",
            "0001-01-01T00:00:00Z",
            "2025-11-27T14:00:00\u{e9}",
            "2025-11-27x14:00:00Z",
            "2025-11-27T14:00",
        ];
        for c in cases {
            assert_eq!(Timestamp::parse_rfc3339_bytes(c.as_bytes()), Timestamp::parse_rfc3339(c), "{c:?}");
        }
        assert!(Timestamp::parse_rfc3339_bytes(b"\xa02025-11-27T14:00:00Z").is_none());
        assert!(Timestamp::parse_rfc3339_bytes(b"2025-11-27T14:00:00Z\xff").is_none());
        assert!(Timestamp::parse_rfc3339_bytes("\u{a0}2025-11-27T14:00:00Z".as_bytes()).is_some());
    }

    #[test]
    fn remembered_seconds_give_what_parsing_gives() {
        // Times in turn, many sharing their second: the memo answers each as a parse does.
        let heads =
            ["2025-11-27T14:00:00", "2025-11-27T14:00:01", "2024-02-29 23:59:60", "0001-01-01T00:00:00"];
        let fractions = ["", ".5", ",123456789", ".1234567891", ".", ".x"];
        let zones = ["Z", "", "+05:30", "-0100", "+05:3:0", "+0:5:3:0:", "+053", "Z\u{a0}", "Z\u{e9}", " "];
        let mut memo = Rfc3339Memo::default();
        let mut rng = crate::test_rng::Rng(0x2545_f491_4f6c_dd1d);
        let mut pick = |n: usize| rng.below(n);
        for _ in 0..20_000 {
            let lead = ["", " ", "\u{a0}"][pick(3)];
            let s = format!("{lead}{}{}{}", heads[pick(4)], fractions[pick(6)], zones[pick(10)]);
            assert_eq!(memo.parse(s.as_bytes()), Timestamp::parse_rfc3339_bytes(s.as_bytes()), "{s:?}");
        }
        assert!(memo.last.is_some());
    }

    #[test]
    fn civil_times_are_the_time_crates() {
        // The `time` crate's conversion, the reference the direct one must equal.
        let reference = |y, mo, d, h, mi, s, n, off| -> Option<Timestamp> {
            let date = Date::from_calendar_date(y, Month::try_from(mo).ok()?, d).ok()?;
            let (s, carry) = if s == 60 { (59, 1) } else { (s, 0) };
            let t = Time::from_hms_nano(h, mi, s, n).ok()?;
            let off = UtcOffset::from_whole_seconds(off).ok()?;
            let secs = PrimitiveDateTime::new(date, t).assume_offset(off).unix_timestamp() + carry;
            Some(Timestamp::raw(secs, n))
        };
        let years = [
            -9999, -10000, -401, -400, -1, 0, 1, 4, 100, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9999,
            10000,
        ];
        for y in years.into_iter().chain(1890..2110) {
            for mo in 0..=13 {
                for d in [0, 1, 15, 28, 29, 30, 31, 32] {
                    for (h, mi, s, n, off) in [
                        (0, 0, 0, 0, 0),
                        (23, 59, 59, 999_999_999, 0),
                        (23, 59, 60, 5, 3600),
                        (12, 30, 0, 1, -93_599),
                        (12, 30, 0, 1, 93_600),
                        (12, 30, 0, 1, i32::MIN),
                        (24, 0, 0, 0, 0),
                        (0, 60, 0, 0, 0),
                        (0, 0, 61, 0, 0),
                        (0, 0, 0, 1_000_000_000, 0),
                    ] {
                        assert_eq!(
                            Timestamp::from_civil(y, mo, d, h, mi, s, n, off),
                            reference(y, mo, d, h, mi, s, n, off),
                            "{y}-{mo}-{d} {h}:{mi}:{s}.{n} {off}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn parses_go_rfc3339nano_variants() {
        let t = |s| Timestamp::parse_rfc3339(s).map(|t| t.to_iso());
        assert_eq!(t("2016-01-07T16:49:10.0").as_deref(), Some("2016-01-07T16:49:10.000000000Z"));
        assert_eq!(t("2016-01-07T16:49:10.237222729Z").as_deref(), Some("2016-01-07T16:49:10.237222729Z"));
        assert_eq!(t("2026-11-27T15:00:00+01:00").as_deref(), Some("2026-11-27T14:00:00.000000000Z"));
        assert_eq!(t("2026-11-27 14:00:00,123").as_deref(), Some("2026-11-27T14:00:00.123000000Z"));
        assert_eq!(t("0001-01-01T00:00:00Z"), None);
        assert_eq!(t("2026-13-01T00:00:00Z"), None);
        assert_eq!(t("garbage"), None);
    }

    #[test]
    fn ordering_is_chronological_not_lexical() {
        // As strings ":00Z" sorts after ":00.1Z"; as times it is earlier.
        let a = Timestamp::parse_rfc3339("2026-11-27T14:00:00Z").unwrap();
        let b = Timestamp::parse_rfc3339("2026-11-27T14:00:00.1Z").unwrap();
        let c = Timestamp::parse_rfc3339("2026-11-27T14:00:00.50001Z").unwrap();
        let d = Timestamp::parse_rfc3339("2026-11-27T14:00:00.5Z").unwrap();
        assert!(a < b && d < c);
    }

    #[test]
    fn an_optional_time_costs_no_room_and_keeps_its_order() {
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), std::mem::size_of::<Timestamp>());
        let t = |s, n| Timestamp::from_unix(s, n);
        assert!(t(0, 0) < t(0, 1) && t(0, 999_999_999) < t(1, 0) && t(-1, 999_999_999) < t(0, 0));
        assert_eq!((t(5, 7).unix_secs(), t(5, 7).subsec_nanos()), (5, 7));
        assert_eq!(format!("{:?}", t(5, 7)), "Timestamp { secs: 5, nanos: 7 }");
    }

    #[test]
    fn pax_decimal_mtime() {
        let t = Timestamp::from_unix_decimal("1700000000.5").unwrap();
        assert_eq!(t.to_iso(), "2023-11-14T22:13:20.500000000Z");
        assert_eq!(Timestamp::from_unix_decimal("x"), None);
    }
}
