//! Cell values of a ps capture: start dates, elapsed times, forest art, program names.

use crate::model::Timestamp;

use super::columns::month;

/// A full start date: `lstart` (`Fri Nov 27 14:00:00 2026`, host local time, read as UTC
/// since ps prints no zone) or ISO 8601 / RFC 3339. Short forms (`14:00`, `Nov27`) give None.
pub(super) fn start_date(s: &str) -> Option<Timestamp> {
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        return Some(t);
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_weekday, mon, day, hms, year] = parts[..] else { return None };
    let m = month(mon.as_bytes())?;
    let mut hms = hms.split(':').map(|x| x.parse::<u8>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    Timestamp::from_civil(year.parse().ok()?, m, day.parse().ok()?, h, mi, se, 0, 0)
}

/// Seconds of an elapsed time: ps `etime` (`[[dd-]hh:]mm:ss`), `etimes` (plain seconds) or
/// a Go duration as podman prints it (`1h2m3.5s`).
pub(super) fn elapsed_secs(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if s.contains(':') {
        let (days, rest) = match s.split_once('-') {
            Some((d, r)) => (d.parse::<u64>().ok()?, r),
            None => (0, s),
        };
        let parts: Vec<u64> = rest.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
        let (h, m, sec) = match parts[..] {
            [m, sec] => (0, m, sec),
            [h, m, sec] => (h, m, sec),
            _ => return None,
        };
        return Some(days * 86_400 + h * 3600 + m * 60 + sec);
    }
    go_duration_secs(s)
}

fn go_duration_secs(s: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = match (c, chars.peek()) {
            ('h', _) => 3600.0,
            ('m', Some('s')) => {
                chars.next();
                0.001
            }
            ('m', _) => 60.0,
            ('s', _) => 1.0,
            ('u' | 'µ' | 'n', Some('s')) => {
                chars.next();
                0.0
            }
            _ => return None,
        };
        total += num.parse::<f64>().ok()? * unit;
        num.clear();
        any = true;
    }
    (any && num.is_empty()).then_some(total as u64)
}

/// Forest art at the start of a command cell (`ps f`: ` \_ ` and ` |  ` per level; docker
/// top keeps only the markers): returns (markers seen, bytes of art before the command).
pub(super) fn forest_art(cell: &[u8]) -> (u32, usize) {
    let mut i = 0;
    let mut markers = 0;
    loop {
        while i < cell.len() && cell[i] == b' ' {
            i += 1;
        }
        if cell[i..].starts_with(b"\\_ ") {
            i += 2;
        } else if cell[i..].starts_with(b"| ") {
            i += 1;
        } else {
            return (markers, i);
        }
        markers += 1;
    }
}

/// The program's base name from a command line: `/usr/bin/java -jar x` -> `java`,
/// `-bash` -> `bash`, `[kworker/0:1]` -> `kworker/0:1`, `nginx: worker process` -> `nginx`;
/// a bracketed name with arguments after it (a process posing as a kernel thread,
/// `[kworker/0:1] -o pool:3333`) -> `kworker/0:1`.
pub(crate) fn program_name(cmd: &str) -> String {
    let cmd = cmd.trim();
    if let Some(inner) = kernel_style_name(cmd) {
        return inner.to_string();
    }
    if let Some((inner, _)) = cmd.strip_prefix('[').and_then(|r| r.split_once(']')) {
        if !inner.is_empty() && !inner.contains(char::is_whitespace) {
            return inner.to_string();
        }
    }
    let argv0 = cmd.split_whitespace().next().unwrap_or("");
    let argv0 = argv0.trim_matches(|c| c == '"' || c == '\'');
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    let base = base.trim_start_matches('-').trim_end_matches(':');
    base.to_string()
}

/// The name inside brackets when a command is shown the way ps shows kernel threads and
/// processes without a command line (`[kthreadd]`, `[sh] <defunct>`).
pub(crate) fn kernel_style_name(cmd: &str) -> Option<&str> {
    let cmd = cmd.trim();
    let cmd = cmd.strip_suffix("<defunct>").map(str::trim_end).unwrap_or(cmd);
    cmd.strip_prefix('[')?.strip_suffix(']').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_dates() {
        let t = |s| start_date(s).map(|t| t.to_iso());
        assert_eq!(t("Fri Nov 27 14:00:00 2026").as_deref(), Some("2026-11-27T14:00:00.000000000Z"));
        assert_eq!(t("Sat Nov  7 09:05:01 2026").as_deref(), Some("2026-11-07T09:05:01.000000000Z"));
        assert_eq!(t("2026-11-27T14:00:00+01:00").as_deref(), Some("2026-11-27T13:00:00.000000000Z"));
        assert_eq!(t("14:00"), None);
        assert_eq!(t("Nov27"), None);
        assert_eq!(t("Fri Xyz 27 14:00:00 2026"), None);
        assert_eq!(t("Fri Nov 27 14:00 2026"), None);
    }

    #[test]
    fn elapsed_forms() {
        let t = [
            ("05:10", Some(310)),
            ("01:00:00", Some(3600)),
            ("2-03:04:05", Some(2 * 86400 + 3 * 3600 + 4 * 60 + 5)),
            ("123", Some(123)),
            ("1h2m3.5s", Some(3723)),
            ("250ms", Some(0)),
            ("x:y", None),
            ("", None),
            ("1:2:3:4", None),
        ];
        for (s, want) in t {
            assert_eq!(elapsed_secs(s), want, "{s}");
        }
    }

    #[test]
    fn program_names() {
        let t = [
            ("/usr/bin/java -jar /app/app.jar", "java"),
            ("sh -c 'id; uname -a'", "sh"),
            ("[kthreadd]", "kthreadd"),
            ("[kworker/0:1-events]", "kworker/0:1-events"),
            ("-bash", "bash"),
            ("bash -i", "bash"),
            ("nginx: master process nginx -g daemon off;", "nginx"),
            ("postgres: checkpointer", "postgres"),
            ("[sh] <defunct>", "sh"),
            ("[kworker/0:1] -o pool.example:3333", "kworker/0:1"),
            ("[not a name] x", "[not"),
            ("", ""),
        ];
        for (cmd, want) in t {
            assert_eq!(program_name(cmd), want, "{cmd}");
        }
    }

    #[test]
    fn forest_art_levels() {
        assert_eq!(forest_art(b"nginx"), (0, 0));
        assert_eq!(forest_art(b" \\_ nginx: worker"), (1, 4));
        assert_eq!(forest_art(b" |   \\_ sh"), (2, 8));
        assert_eq!(forest_art(b"     \\_ sh"), (1, 8));
        assert_eq!(forest_art(b"\\_ sh"), (1, 3));
    }
}
