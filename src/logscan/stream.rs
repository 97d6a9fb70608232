//! Streaming a log through the engine, whatever its framing: the one read loop (large
//! buffers cut after their last newline and handed to the framing's cutter; a line longer
//! than the buffer searched as text in records of `max_record` bytes at fixed offsets from
//! its start, so results never depend on the buffer size). Large plain files are cut at
//! newlines and scanned in parallel. A log source's scan names the framing it was read with.

use std::io::{self, Read};

use rayon::prelude::*;

use super::engine::Engine;
use super::framing::{registry, Framing};
use super::records::{Carry, Records, ScanConfig, StreamScan};
use crate::evidence::Artifact;
use crate::model::{Diagnostic, Locator};

/// Scan a stream read with `framing`. `base_offset` is the offset of its first byte in the
/// artifact (for chunks); line numbers count from 1 at the stream start.
pub fn scan_stream<'r, R: Read + 'r>(
    r: R,
    framing: &dyn Framing,
    engine: &Engine,
    cfg: &ScanConfig,
    loc: &Locator,
    base_offset: u64,
) -> StreamScan {
    scan_stream_carried(r, framing, engine, cfg, loc, base_offset, Carry::default(), true).0
}

/// [`scan_stream`] for one file of a rotated log: `carry` holds the messages the previous
/// (older) file left open; unless `last`, the messages this one leaves open are handed on
/// instead of being evaluated as they are.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_stream_carried<'r, R: Read + 'r>(
    r: R,
    framing: &dyn Framing,
    engine: &Engine,
    cfg: &ScanConfig,
    loc: &Locator,
    base_offset: u64,
    carry: Carry,
    last: bool,
) -> (StreamScan, Carry) {
    let mut r = framing.decode(Box::new(r));
    let mut cutter = framing.cutter();
    let max_record = cfg.record_size();
    let cap = cfg.buf_size.max(max_record + 1);
    let mut out = Records::new(engine, cfg, loc, base_offset, carry);
    let mut buf = vec![0u8; cap];
    let mut len = 0usize;
    let mut eof = false;
    loop {
        while len < cap && !eof {
            match r.read(&mut buf[len..]) {
                Ok(0) => eof = true,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    out.read_failed(len, &e);
                    eof = true;
                }
            }
        }
        if len == 0 {
            break;
        }
        let end = if eof { len } else { memchr::memrchr(b'\n', &buf[..len]).map_or(0, |q| q + 1) };
        if end > 0 {
            let region = &buf[..end];
            out.region_head(region);
            let newlines = if out.in_long_line() && cutter.tail_as_text() {
                // The tail of an over-long line: searched as text like its head.
                out.search_text(region)
            } else {
                cutter.region(region, &mut out)
            };
            out.advance(region, newlines);
            buf.copy_within(end..len, 0);
            len -= end;
        } else {
            // A full buffer without a newline: one record of a long line.
            let seg = max_record.min(len);
            cutter.long_piece(!out.in_long_line(), &mut out);
            out.search_text(&buf[..seg]);
            out.advance_in_line(seg);
            buf.copy_within(seg..len, 0);
            len -= seg;
        }
    }
    cutter.flush(&mut out);
    let open = if last { Carry::default() } else { out.hand_on() };
    (out.finish(|out| cutter.diagnostics(out)), open)
}

/// Scan a whole artifact: plain seekable files big enough in a framing that allows it are
/// cut at newlines into chunks scanned in parallel, anything else is streamed.
pub fn scan_artifact(a: &Artifact, framing: &dyn Framing, engine: &Engine, cfg: &ScanConfig) -> StreamScan {
    scan_artifact_carried(a, framing, engine, cfg, Carry::default(), true).0
}

/// [`scan_artifact`] for one file of a rotated log (see [`scan_stream_carried`]). A framing
/// whose records span lines only as held parts is cut speculatively when nothing comes open
/// into the file: each chunk starts with nothing open, which is how the stream stands there
/// if the chunk before it ends with nothing open; if one does not, the file is read again in
/// one pass, so the results are always those of one pass.
pub(crate) fn scan_artifact_carried(
    a: &Artifact,
    framing: &dyn Framing,
    engine: &Engine,
    cfg: &ScanConfig,
    carry: Carry,
    last: bool,
) -> (StreamScan, Carry) {
    let loc = a.locator();
    let size = a.size;
    let cuttable = framing.splittable() || (framing.parts_carried() && carry.is_empty());
    if cuttable && a.is_seekable() && size >= cfg.parallel_min {
        match chunk_bounds(a, size, cfg) {
            Ok(bounds) if bounds.len() > 2 => {
                let n = bounds.len() - 1;
                let parts: Vec<(StreamScan, Carry)> = bounds
                    .par_windows(2)
                    .enumerate()
                    .map(|(i, w)| match a.open_at(w[0]) {
                        Ok(r) => {
                            let end = i + 1 == n;
                            let r = r.take(w[1] - w[0]);
                            scan_stream_carried(
                                r,
                                framing,
                                engine,
                                cfg,
                                &loc,
                                w[0],
                                Carry::default(),
                                end && last,
                            )
                        }
                        Err(e) => (
                            StreamScan {
                                diagnostics: vec![Diagnostic::error(
                                    loc.clone().with_offset(w[0]),
                                    format!("cannot read: {e}"),
                                )],
                                ..Default::default()
                            },
                            Carry::default(),
                        ),
                    })
                    .collect();
                if parts[..n - 1].iter().all(|(_, open)| open.is_empty()) {
                    let mut all = StreamScan::default();
                    let mut base = 0;
                    let mut open = Carry::default();
                    for (p, c) in parts {
                        let lines = p.newlines;
                        all.absorb(p, base, cfg.max_hits);
                        base += lines;
                        open = c;
                    }
                    return (all, open);
                }
                // A message open at a cut: read in one pass below.
            }
            Ok(_) => {}
            Err(e) => {
                return (
                    StreamScan {
                        diagnostics: vec![Diagnostic::error(loc, format!("cannot read: {e}"))],
                        ..Default::default()
                    },
                    Carry::default(),
                )
            }
        }
    }
    match a.open() {
        Ok(r) => scan_stream_carried(r, framing, engine, cfg, &loc, 0, carry, last),
        Err(e) => (
            StreamScan {
                diagnostics: vec![Diagnostic::error(loc, format!("cannot read: {e}"))],
                ..Default::default()
            },
            Carry::default(),
        ),
    }
}

/// Results of scanning one log source, before merging.
pub struct SourceScan {
    pub locator: Locator,
    pub format: &'static dyn Framing,
    pub scan: StreamScan,
}

/// One artifact read whole with `framing`.
pub(crate) fn artifact_scan(
    a: &Artifact,
    framing: &'static dyn Framing,
    engine: &Engine,
    cfg: &ScanConfig,
) -> SourceScan {
    SourceScan { locator: a.locator(), format: framing, scan: scan_artifact(a, framing, engine, cfg) }
}

/// Scan any stream (e.g. a log file found in an image's container layer) named by `locator`.
/// The framing is sniffed from the first bytes.
pub fn scan_reader(reader: impl Read, locator: Locator, engine: &Engine, cfg: &ScanConfig) -> SourceScan {
    let mut reader = reader;
    // Enough for a whole first line (CRI needs its time, stream and tag) and for the local
    // driver's first frame header.
    let mut head = vec![0u8; 4096];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    head.truncate(got);
    let framing = registry::sniff(&head);
    let chained = std::io::Cursor::new(head).chain(reader);
    let scan = scan_stream(chained, framing, engine, cfg, &locator, 0);
    SourceScan { locator, format: framing, scan }
}

/// Chunk boundaries `[0, b1, ..., size]`, each just after a newline: 16 chunks per thread
/// (none under 16 MiB), so that the threads finish together although one of them also
/// hashes the file for custody meanwhile (4 per thread left one idle for a chunk's time).
fn chunk_bounds(a: &Artifact, size: u64, cfg: &ScanConfig) -> io::Result<Vec<u64>> {
    let threads = rayon::current_num_threads().max(1) as u64;
    let chunk = (size / (threads * 16)).max(cfg.parallel_min / 2).max(1 << 20);
    let mut bounds = vec![0u64];
    let mut next = chunk;
    let mut probe = vec![0u8; 64 << 10];
    while next < size {
        let mut r = a.open_at(next)?;
        let mut at = next;
        let found = loop {
            let n = r.read(&mut probe)?;
            if n == 0 {
                break None;
            }
            if let Some(q) = memchr::memchr(b'\n', &probe[..n]) {
                break Some(at + q as u64 + 1);
            }
            at += n as u64;
        };
        match found {
            Some(b) if b < size => {
                bounds.push(b);
                next = b + chunk;
            }
            _ => break,
        }
    }
    bounds.push(size);
    Ok(bounds)
}
