//! Log framings: how the bytes of a log are cut into records (with their time, stream and
//! byte offset), one file per framing. A [`Framing`] is what a log is read as (named in
//! reports, recognised by its first bytes, chosen for an artifact kind in [`registry`]); it
//! hands each stream a fresh [`Cutter`], which cuts the regions the read loop
//! ([`super::stream`]) gives it and hands the records to [`Records`].

use std::io::Read;

use super::records::{each_line, Line, Records};
use crate::model::Diagnostic;

pub(crate) mod cri;
pub(crate) mod journal;
pub mod json_file;
pub(crate) mod local;
pub(crate) mod registry;
pub mod text;

/// What a log is read as. Framings are unit values, shared by every stream read with them.
pub trait Framing: Sync {
    /// The name reports give it (`logs_scanned[].format`).
    fn name(&self) -> &'static str;

    /// Whether a log whose first bytes (up to 4 KiB) are `head` is in this framing.
    fn sniff(&self, head: &[u8]) -> bool;

    /// The cutter of one stream (framings that keep state between lines keep it there).
    fn cutter(&self) -> Box<dyn Cutter>;

    /// The stream as its records are cut from it (most framings read the bytes as they are).
    fn decode<'r>(&self, raw: Box<dyn Read + 'r>) -> Box<dyn Read + 'r> {
        raw
    }

    /// Records that never span lines and no state across them: a big file may be cut at
    /// newlines and its parts scanned in parallel.
    fn splittable(&self) -> bool {
        false
    }

    /// Runtimes rotate these logs: a message one file leaves open continues in the next.
    fn rotated(&self) -> bool {
        false
    }

    /// Records span lines only as parts held open in the records (json-file's 16 KiB parts,
    /// CRI's `P` lines), the cutter keeping nothing else across lines: a big file may be cut
    /// at newlines speculatively and its parts scanned in parallel; if a message is open at
    /// a cut, the file is read again in one pass.
    fn parts_carried(&self) -> bool {
        false
    }
}

/// Cuts one stream into records.
pub trait Cutter {
    /// The records of `region` (whole lines; at the end of the stream the last one may lack
    /// its newline) handed to `out`; returns the newlines in it. Line by line by default.
    fn region(&mut self, region: &[u8], out: &mut Records<'_>) -> u64 {
        each_line(region, out, |line, out| self.line(line, out))
    }

    /// The records of one line handed to `out`.
    fn line(&mut self, _line: Line<'_>, _out: &mut Records<'_>) {}

    /// Whether the rest of a line longer than the read buffer is searched as text (true) or
    /// still cut by this framing.
    fn tail_as_text(&self) -> bool {
        true
    }

    /// A piece of a line longer than the read buffer (`first`: the line's first piece) was
    /// searched as text: counted for a diagnostic.
    fn long_piece(&mut self, first: bool, out: &mut Records<'_>) {
        if first {
            out.count_long_line();
        }
    }

    /// The end of one file: a record still being read is complete.
    fn flush(&mut self, _out: &mut Records<'_>) {}

    /// This framing's own diagnostics at the end of the stream.
    fn diagnostics(&self, _out: &Records<'_>) -> Vec<Diagnostic> {
        vec![]
    }
}

/// `head` without a UTF-8 byte order mark.
fn without_bom(head: &[u8]) -> &[u8] {
    head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head)
}

/// The first line of `head`.
fn first_line(head: &[u8]) -> &[u8] {
    head.split(|c| *c == b'\n').next().unwrap_or(head)
}
