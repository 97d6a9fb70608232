//! What a container's log spans: first and last record time, records per stream, bytes and
//! files, counted while the log is scanned (every record, not only the ones with hits) and
//! summed over the files of one rotated log, oldest first.

use serde::Serialize;

use super::Timestamp;

/// The records of one log (or of one container's rotated logs together).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogSpan {
    /// Time of the first record that carries a readable one (in file order, oldest file first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<Timestamp>,
    /// Time of the last record that carries a readable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Timestamp>,
    /// Records as the runtime wrote them (json-file objects, CRI lines, `local` entries; the
    /// parts of a long message each count).
    pub records: u64,
    pub stdout: u64,
    pub stderr: u64,
    /// Records without a readable time (damaged or foreign lines).
    pub undated: u64,
    /// Bytes of log read (after decompression).
    pub bytes: u64,
    /// Files read, and how many of them are rotated ones (`-json.log.1`, `.2.gz`, `0.log.<time>`).
    pub files: u64,
    pub rotated_files: u64,
}

impl LogSpan {
    /// One record with its time (if readable) and stream (`stdout`, `stderr`, other or none).
    pub(crate) fn add(&mut self, time: Option<Timestamp>, stream: &[u8]) {
        self.records += 1;
        match stream {
            b"stdout" => self.stdout += 1,
            b"stderr" => self.stderr += 1,
            _ => {}
        }
        match time {
            Some(t) => {
                self.first.get_or_insert(t);
                self.last = Some(t);
            }
            None => self.undated += 1,
        }
    }

    /// Fold in the span of what follows this one (the next chunk, the next newer file).
    pub(crate) fn then(&mut self, later: &LogSpan) {
        if self.first.is_none() {
            self.first = later.first;
        }
        if later.last.is_some() {
            self.last = later.last;
        }
        self.records += later.records;
        self.stdout += later.stdout;
        self.stderr += later.stderr;
        self.undated += later.undated;
        self.bytes += later.bytes;
        self.files += later.files;
        self.rotated_files += later.rotated_files;
    }
}

/// Whether `path` names a rotated log file: after `.gz`/`.zst`, its last extension is a
/// number (`-json.log.3`) or kubelet's `YYYYMMDD-hhmmss`.
pub fn is_rotated_log(path: &str) -> bool {
    rotation(path).1.is_some()
}

/// A log file's name without its rotation suffix, and an order key (oldest first):
/// `name-json.log.3` before `name-json.log.2`, kubelet's `0.log.20220128-160405` by its
/// time, the current file (no suffix) last.
pub fn rotation_key(path: &str) -> (String, u64) {
    let (stem, key) = rotation(path);
    (stem.to_string(), key.unwrap_or(u64::MAX))
}

/// The stem and the rotation suffix's order key (None: no suffix; `.gz`/`.zst` looked past).
fn rotation(path: &str) -> (&str, Option<u64>) {
    let base = path.trim_end_matches(".gz").trim_end_matches(".zst");
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((stem, ext)) = base.rsplit_once('.') {
        if digits(ext) {
            if let Ok(n) = ext.parse::<u64>() {
                return (stem, Some(u64::MAX - n));
            }
        }
        if let Some((d, t)) = ext.split_once('-') {
            if d.len() == 8 && t.len() == 6 && digits(d) && digits(t) {
                if let Ok(v) = format!("{d}{t}").parse::<u64>() {
                    return (stem, Some(v));
                }
            }
        }
    }
    (base, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(s)
    }

    #[test]
    fn spans_add_and_follow_in_order() {
        let mut old = LogSpan { files: 1, rotated_files: 1, ..Default::default() };
        old.add(None, b"stdout");
        old.add(t("2026-11-27T10:00:00Z"), b"stdout");
        old.add(t("2026-11-27T11:00:00Z"), b"stderr");
        let mut new = LogSpan { files: 1, ..Default::default() };
        new.add(t("2026-11-27T12:00:00Z"), b"stderr");
        new.add(None, b"");
        old.then(&new);
        assert_eq!(old.first, t("2026-11-27T10:00:00Z"));
        assert_eq!(old.last, t("2026-11-27T12:00:00Z"));
        assert_eq!((old.records, old.stdout, old.stderr, old.undated), (5, 2, 2, 2));
        assert_eq!((old.files, old.rotated_files), (2, 1));
        // A newer file without a dated record keeps the older last time.
        let mut a = LogSpan::default();
        a.add(t("2026-11-27T10:00:00Z"), b"stdout");
        a.then(&LogSpan { records: 1, undated: 1, ..Default::default() });
        assert_eq!(a.last, t("2026-11-27T10:00:00Z"));
    }

    #[test]
    fn rotated_names() {
        for yes in
            ["c/x-json.log.1", "c/x-json.log.12.gz", "p/0.log.20220128-160405", "p/0.log.20220128-160405.gz"]
        {
            assert!(is_rotated_log(yes), "{yes}");
        }
        for no in ["c/x-json.log", "p/0.log", "u/ctr.log", "x.log.gz", "a.log.2022-01"] {
            assert!(!is_rotated_log(no), "{no}");
        }
        // One stem, oldest first, the current file last.
        let mut names = ["c/x-json.log", "c/x-json.log.1", "c/x-json.log.2.gz"];
        names.sort_by_key(|n| rotation_key(n));
        assert_eq!(names, ["c/x-json.log.2.gz", "c/x-json.log.1", "c/x-json.log"]);
        assert_eq!(rotation_key("p/0.log.20220128-160405").0, "p/0.log");
    }
}
