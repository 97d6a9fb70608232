//! Reopening an image's layer blobs after the analysis (for `extract`): the archive or OCI
//! layout directory found again among the bundle's artifacts by the name its record carries,
//! a blob read raw (still compressed) by the member name its layer record carries.

use std::io::{self, Read};

use super::archive::Archive;
use super::ocidir;
use crate::content::Inspector;
use crate::evidence::Artifact;

/// The blobs of one image archive or layout directory.
pub(crate) struct Blobs<'a> {
    arch: Archive<'a>,
}

impl<'a> Blobs<'a> {
    /// The archive an [`super::ImageRecord`] names as `archive`: a tar artifact of that path,
    /// else a layout directory shown by that name. None when neither is in `artifacts`.
    pub(crate) fn find(
        artifacts: &[&'a Artifact],
        archive: &str,
        inspector: &Inspector,
    ) -> Option<Blobs<'a>> {
        if let Some(a) = artifacts.iter().find(|a| a.path == archive && a.kind.is_image_archive()) {
            return Some(Blobs { arch: Archive::open(a, inspector) });
        }
        ocidir::find(artifacts, &mut vec![])
            .into_iter()
            .find(|d| d.shown == archive)
            .map(|d| Blobs { arch: Archive::from_dir(d.root, d.shown, d.files) })
    }

    /// The raw bytes of a member (links inside the archive followed): a layer blob as
    /// stored, compressed or not, and its size.
    pub(crate) fn open(&self, member: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let (real, m) = self.arch.resolve(member.as_bytes()).map_err(io::Error::other)?;
        Ok((self.arch.open_member(&real, m)?, m.size))
    }
}
