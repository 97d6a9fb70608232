//! The header of a ps/top capture: which known ps format specifier each column is, and how
//! one row is cut into cells (by whitespace tokens first, by header positions when the
//! tokens do not fit).

use serde::Serialize;

/// What a column holds, from the ps format specifier (header text or spec name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Pid,
    Ppid,
    /// A user name (`USER`, `EUSER`, `UNAME`).
    User,
    /// `UID`: a number with `-o uid`, a user name in `ps -ef`.
    Uid,
    /// Start time in any ps form (`STIME`, `START`, `STARTED`, `lstart`).
    Start,
    /// `etime` (`[[dd-]hh:]mm:ss`), `etimes` (seconds) or a Go duration (podman).
    Elapsed,
    /// Accumulated CPU time (`TIME`).
    CpuTime,
    Tty,
    Stat,
    CpuPercent,
    MemPercent,
    Vsz,
    Rss,
    /// The full command line (`args`, `cmd`, `command`).
    Args,
    /// The program name only (`comm`, `ucomm`, `fname`).
    Comm,
    /// Anything else; kept under its header text.
    Other,
}

impl Field {
    /// True when a cell of this field must be a number (used to check a row's split).
    fn numeric(self) -> bool {
        matches!(
            self,
            Field::Pid | Field::Ppid | Field::CpuPercent | Field::MemPercent | Field::Vsz | Field::Rss
        )
    }
}

/// Header names (normalised: upper case, only letters, digits and `%`) of known ps format
/// specifiers, as printed by procps-ng, BusyBox, docker top and podman top, plus their spec
/// names and common user-chosen renames (`-o pid=PROCESSID`).
const NAMES: &[(&str, Field)] = &[
    ("PID", Field::Pid),
    ("TGID", Field::Pid),
    ("PROCESSID", Field::Pid),
    ("PROCID", Field::Pid),
    ("PPID", Field::Ppid),
    ("PARENT", Field::Ppid),
    ("PARENTPID", Field::Ppid),
    ("PARENTID", Field::Ppid),
    ("PARENTPROCESSID", Field::Ppid),
    ("USER", Field::User),
    ("EUSER", Field::User),
    ("UNAME", Field::User),
    ("USERNAME", Field::User),
    ("OWNER", Field::User),
    ("UID", Field::Uid),
    ("EUID", Field::Uid),
    ("USERID", Field::Uid),
    ("STIME", Field::Start),
    ("START", Field::Start),
    ("STARTED", Field::Start),
    ("LSTART", Field::Start),
    ("STARTTIME", Field::Start),
    ("BSDSTART", Field::Start),
    ("STARTEDAT", Field::Start),
    ("ELAPSED", Field::Elapsed),
    ("ETIME", Field::Elapsed),
    ("ETIMES", Field::Elapsed),
    ("TIME", Field::CpuTime),
    ("CPUTIME", Field::CpuTime),
    ("BSDTIME", Field::CpuTime),
    ("CPUTIMES", Field::CpuTime),
    ("TTY", Field::Tty),
    ("TT", Field::Tty),
    ("TNAME", Field::Tty),
    ("STAT", Field::Stat),
    ("S", Field::Stat),
    ("STATE", Field::Stat),
    ("%CPU", Field::CpuPercent),
    ("PCPU", Field::CpuPercent),
    ("CPU%", Field::CpuPercent),
    ("%MEM", Field::MemPercent),
    ("PMEM", Field::MemPercent),
    ("MEM%", Field::MemPercent),
    ("VSZ", Field::Vsz),
    ("VSIZE", Field::Vsz),
    ("VMSIZE", Field::Vsz),
    ("VSS", Field::Vsz),
    ("RSS", Field::Rss),
    ("RSSIZE", Field::Rss),
    ("RSZ", Field::Rss),
    ("CMD", Field::Args),
    ("COMMAND", Field::Args),
    ("ARGS", Field::Args),
    ("CMDLINE", Field::Args),
    ("COMMANDLINE", Field::Args),
    ("COMM", Field::Comm),
    ("UCOMM", Field::Comm),
    ("UCMD", Field::Comm),
    ("FNAME", Field::Comm),
    ("NAME", Field::Comm),
    ("IMAGENAME", Field::Comm),
    ("EXE", Field::Comm),
    ("PROGRAM", Field::Comm),
];

/// One header column: its text, byte span in the header line, and meaning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    pub title: String,
    pub field: Field,
    /// Byte span of the title in the header line (for splitting by position).
    #[serde(skip)]
    pub(super) start: usize,
    #[serde(skip)]
    pub(super) end: usize,
}

impl Column {
    /// A column a source names itself (no header line to split by).
    pub(crate) fn named(title: &str, field: Field) -> Self {
        Column { title: title.to_string(), field, start: 0, end: 0 }
    }
}

/// The field a header title stands for.
pub(super) fn field_of(title: &str) -> Field {
    let norm: String = title
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '%')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    NAMES.iter().find(|(n, _)| *n == norm).map(|(_, f)| *f).unwrap_or(Field::Other)
}

/// Columns of a header. Command columns other than the last hold a single program name
/// (`-o pid,comm,args` prints `COMMAND` twice), so they become `Comm`.
pub(super) fn columns(titles: &[(String, usize, usize)]) -> Vec<Column> {
    let n = titles.len();
    titles
        .iter()
        .enumerate()
        .map(|(i, (title, start, end))| {
            let mut field = field_of(title);
            if field == Field::Args && i + 1 < n {
                field = Field::Comm;
            }
            Column { title: title.clone(), field, start: *start, end: *end }
        })
        .collect()
}

/// Columns of the API form's `Titles` (each title one column, even with spaces in it, as
/// Windows containers print `Private Working Set`), spanned as if joined by single spaces.
pub(super) fn from_titles(titles: &[String]) -> Vec<Column> {
    let mut at = 0;
    let spans: Vec<(String, usize, usize)> = titles
        .iter()
        .map(|t| {
            let span = (t.clone(), at, at + t.len());
            at += t.len() + 1;
            span
        })
        .collect();
    columns(&spans)
}

/// Whitespace-separated tokens of a line with their byte spans.
pub(super) fn tokens(line: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        let s = i;
        while i < line.len() && !is_space(line[i]) {
            i += 1;
        }
        if i > s {
            out.push((s, i));
        }
    }
    out
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

/// The cells of one row as byte ranges of the line (`None` for an empty cell), plus the
/// byte where the last column's raw text (forest art included) may begin.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Split {
    pub cells: Vec<Option<(usize, usize)>>,
    /// End of the previous column's text: the forest art of the last column starts after it.
    pub last_anchor: usize,
}

/// Cut a row into cells: whitespace tokens first (multi-token start times consumed whole,
/// the last column takes the rest of the line); when that does not check out (too few
/// tokens, a number column that is not a number), by the header's column positions.
pub(super) fn split(line: &[u8], cols: &[Column]) -> Option<Split> {
    let toks = tokens(line);
    // A program name before the last column may hold spaces (`Web Content`): trust the
    // header positions first when the row lines up with them.
    let comm_inside = cols.iter().rev().skip(1).any(|c| c.field == Field::Comm);
    if comm_inside {
        if let Some(s) = split_by_position(line, &toks, cols).filter(|s| valid(line, s, cols)) {
            return Some(s);
        }
    }
    if let Some(s) = split_by_tokens(line, &toks, cols).filter(|s| valid(line, s, cols)) {
        return Some(s);
    }
    if comm_inside {
        return None;
    }
    split_by_position(line, &toks, cols).filter(|s| valid(line, s, cols))
}

fn split_by_tokens(line: &[u8], toks: &[(usize, usize)], cols: &[Column]) -> Option<Split> {
    let mut cells = Vec::with_capacity(cols.len());
    let mut ti = 0;
    let mut prev_end = 0;
    for (ci, col) in cols.iter().enumerate() {
        if ci + 1 == cols.len() {
            let first = toks.get(ti)?;
            cells.push(Some((first.0, trim_end(line, first.0))));
            return Some(Split { cells, last_anchor: prev_end });
        }
        let n = if col.field == Field::Start { start_tokens(line, &toks[ti.min(toks.len())..]) } else { 1 };
        let last = toks.get(ti + n - 1)?;
        cells.push(Some((toks[ti].0, last.1)));
        prev_end = last.1;
        ti += n;
    }
    None
}

/// How many tokens a start time takes: 5 for `lstart` (`Fri Nov 27 14:00:00 2026`), 2 for
/// `start`/`bsdstart` older than a day (`Nov 27`) or a date and time (`2026-11-27 14:00:00`),
/// else 1 (`14:00`, `Nov27`, `2025`, `14:00:00`).
fn start_tokens(line: &[u8], toks: &[(usize, usize)]) -> usize {
    let t = |i: usize| toks.get(i).map(|&(s, e)| &line[s..e]).unwrap_or(b"");
    let is_time =
        |b: &[u8]| b.len() >= 4 && b.contains(&b':') && b.iter().all(|c| c.is_ascii_digit() || *c == b':');
    let is_day = |b: &[u8]| (1..=2).contains(&b.len()) && b.iter().all(u8::is_ascii_digit);
    if is_weekday(t(0)) && is_month(t(1)) && is_day(t(2)) && is_time(t(3)) && is_year(t(4)) {
        5
    } else if is_month(t(0)) && is_day(t(1)) || is_iso_date(t(0)) && is_time(t(1)) {
        2
    } else {
        1
    }
}

pub(super) fn is_weekday(b: &[u8]) -> bool {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().any(|w| b.eq_ignore_ascii_case(w.as_bytes()))
}

/// Month number (1-12) of a three-letter English month name.
pub(super) fn month(b: &[u8]) -> Option<u8> {
    const M: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    M.iter().position(|m| b.eq_ignore_ascii_case(m.as_bytes())).map(|i| i as u8 + 1)
}

fn is_month(b: &[u8]) -> bool {
    month(b).is_some()
}

fn is_year(b: &[u8]) -> bool {
    b.len() == 4 && b.iter().all(u8::is_ascii_digit)
}

fn is_iso_date(b: &[u8]) -> bool {
    b.len() == 10 && b[4] == b'-' && b[7] == b'-'
}

/// Assign tokens to the header column they sit under (overlap, else the nearer header);
/// the last column takes everything from its first token to the end of the line.
fn split_by_position(line: &[u8], toks: &[(usize, usize)], cols: &[Column]) -> Option<Split> {
    let last = cols.len().checked_sub(1)?;
    let mut cells: Vec<Option<(usize, usize)>> = vec![None; cols.len()];
    let mut current = 0;
    let mut last_anchor = 0;
    for &(s, e) in toks {
        let col = column_under(cols, s, e).max(current);
        current = col;
        if col == last {
            cells[last] = Some((s, trim_end(line, s)));
            break;
        }
        let cell = &mut cells[col];
        *cell = Some(cell.map_or((s, e), |(cs, _)| (cs, e)));
        last_anchor = e;
    }
    cells.first()?.as_ref()?;
    Some(Split { cells, last_anchor })
}

fn column_under(cols: &[Column], s: usize, e: usize) -> usize {
    if let Some(i) = cols.iter().position(|c| s < c.end && c.start < e) {
        return i;
    }
    // In a gap: the nearer of the header before and the header after.
    let after = cols.iter().position(|c| c.start >= e).unwrap_or(cols.len());
    if after == 0 {
        return 0;
    }
    let before = after - 1;
    match cols.get(after) {
        Some(next) if next.start - e < s.saturating_sub(cols[before].end) => after,
        _ => before,
    }
}

fn trim_end(line: &[u8], from: usize) -> usize {
    let mut end = line.len();
    while end > from && is_space(line[end - 1]) {
        end -= 1;
    }
    end
}

/// A split is accepted when the PID is there, the command column (when last) is not empty,
/// and every column with a fixed shape (numbers, times, process state) has that shape.
pub(super) fn valid(line: &[u8], s: &Split, cols: &[Column]) -> bool {
    if let (Some(col), Some(None)) = (cols.last(), s.cells.last()) {
        if matches!(col.field, Field::Args | Field::Comm) {
            return false;
        }
    }
    let mut has_pid = false;
    for (col, cell) in cols.iter().zip(&s.cells) {
        let Some((a, b)) = *cell else { continue };
        let text = &line[a..b];
        let ok = match col.field {
            Field::Pid => {
                has_pid = std::str::from_utf8(text).ok().and_then(|t| t.parse::<u32>().ok()).is_some();
                has_pid
            }
            f if f.numeric() => is_number(text),
            Field::CpuTime | Field::Elapsed => {
                text == b"-"
                    || text.iter().any(u8::is_ascii_digit)
                        && text.iter().all(|c| c.is_ascii_alphanumeric() || b":.-".contains(c))
            }
            Field::Stat => text.iter().all(|c| b"DRSTtWXZIPKNLsl+<>-".contains(c)),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    has_pid
}

fn is_number(b: &[u8]) -> bool {
    std::str::from_utf8(b).ok().map(|t| t == "-" || t.parse::<f64>().is_ok()).unwrap_or(false)
}

/// Header titles with byte spans.
pub(super) fn header_titles(line: &[u8]) -> Vec<(String, usize, usize)> {
    tokens(line).into_iter().map(|(s, e)| (crate::model::display_bytes(&line[s..e]), s, e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(header: &str, row: &str) -> Vec<String> {
        let cols = columns(&header_titles(header.as_bytes()));
        let s = split(row.as_bytes(), &cols).expect("split");
        s.cells.iter().map(|c| c.map(|(a, b)| row[a..b].to_string()).unwrap_or_default()).collect()
    }

    #[test]
    fn renamed_and_spec_headers_map_to_fields() {
        let t = [
            ("PROCESSID", Field::Pid),
            ("pid", Field::Pid),
            ("%CPU", Field::CpuPercent),
            ("START_TIME", Field::Start),
            ("lstart", Field::Start),
            ("WCHAN", Field::Other),
            ("Parent_PID", Field::Ppid),
        ];
        for (title, f) in t {
            assert_eq!(field_of(title), f, "{title}");
        }
        let cols = columns(&header_titles(b"PID COMMAND COMMAND"));
        assert_eq!(cols.iter().map(|c| c.field).collect::<Vec<_>>(), [Field::Pid, Field::Comm, Field::Args]);
    }

    #[test]
    fn token_split_consumes_multi_token_starts() {
        let t = [
            (
                "  PID  PPID USER     STARTED                  COMMAND",
                "84010     1 root     Fri Nov  7 14:00:00 2026 java -jar  app.jar",
                vec!["84010", "1", "root", "Fri Nov  7 14:00:00 2026", "java -jar  app.jar"],
            ),
            ("  PID STARTED COMMAND", "   12   Nov 27 sleep 1", vec!["12", "Nov 27", "sleep 1"]),
            ("  PID STARTED COMMAND", "   12 14:00:01 sleep 1", vec!["12", "14:00:01", "sleep 1"]),
        ];
        for (h, r, want) in t {
            assert_eq!(cells(h, r), want, "{r}");
        }
    }

    #[test]
    fn position_fallback_for_a_comm_with_spaces_in_the_middle() {
        let h = "    PID COMMAND           PPID ARGS";
        let r = "   4242 Web Content       4000 /usr/lib/firefox/firefox -contentproc";
        assert_eq!(cells(h, r), ["4242", "Web Content", "4000", "/usr/lib/firefox/firefox -contentproc"]);
    }

    #[test]
    fn garbled_rows_do_not_split() {
        let cols = columns(&header_titles(b"UID PID PPID C STIME TTY TIME CMD"));
        assert!(split(b"root abc", &cols).is_none());
        assert!(split(b"", &cols).is_none());
        assert!(split(b"root 12 x 0 10:00 ? 00:00:00 sh", &cols).is_none());
    }
}
