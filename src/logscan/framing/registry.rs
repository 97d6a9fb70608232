//! Every framing, in the order a log's first bytes are tried against them, and the one
//! mapping from an artifact kind to how its logs are read.

use super::cri::Cri;
use super::journal::Journal;
use super::json_file::JsonFile;
use super::local::Local;
use super::text::Text;
use super::Framing;
use crate::evidence::ArtifactKind;

/// The framings, in sniffing order: the first whose `sniff` accepts a head is the log's
/// framing; text, which accepts any, is last.
pub(crate) static FRAMINGS: &[&dyn Framing] = &[&Local, &JsonFile, &Journal, &Cri, &Text];

/// The framing a log whose first bytes are `head` is read with.
pub(crate) fn sniff(head: &[u8]) -> &'static dyn Framing {
    FRAMINGS.iter().copied().find(|f| f.sniff(head)).unwrap_or(&Text)
}

/// How the logs of an artifact are read.
#[derive(Clone, Copy)]
pub(crate) enum Reading {
    /// In the framing its kind says.
    Framed(&'static dyn Framing),
    /// A text log: in the framing its first bytes say (a `docker logs -t` capture or an
    /// application log may hold CRI lines), read as text otherwise.
    Sniffed,
    /// A filesystem or layer tar: its log members, each in the framing its head says.
    TarMembers,
}

/// How the logs of an artifact of `kind` are read; None: it holds none.
pub(crate) fn for_kind(kind: ArtifactKind) -> Option<Reading> {
    Some(match kind {
        ArtifactKind::JsonFileLog => Reading::Framed(&JsonFile),
        ArtifactKind::CriLog => Reading::Framed(&Cri),
        ArtifactKind::JournalExport => Reading::Framed(&Journal),
        ArtifactKind::LocalLog => Reading::Framed(&Local),
        ArtifactKind::DockerLogsTimestamped | ArtifactKind::TextLog => Reading::Sniffed,
        ArtifactKind::FilesystemTar | ArtifactKind::LayerTar => Reading::TarMembers,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_sniffed() {
        let name = |h: &[u8]| sniff(h).name();
        assert_eq!(name(b"2026-11-27T14:00:00.123456789Z stdout F GET /\n"), "cri");
        assert_eq!(name(b"2026-11-27T14:00:00.1Z hello\n"), "text");
        assert_eq!(name(b"{\"log\":\"x\"}"), "json-file");
        assert_eq!(name(b"\xef\xbb\xbf{\"log\":"), "json-file");
        assert_eq!(name(b"2026-11-27T14:00:00Z x"), "text");
        assert_eq!(name(&crate::logscan::framing::local::encode("stdout", 1, b"x", false)), "local");
    }
}
