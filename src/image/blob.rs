//! Reopening one layer blob of an image archive after the analysis, decoded, for readers
//! that need a layer's files again (the log scanner, for logs in a committed layer).

use std::io::{self, Read};

use crate::compression::{decoder, detect_compression, DecodeLimits};
use crate::evidence::Artifact;
use crate::model::Locator;

use super::ImageRecord;

/// The decoded tar stream of layer `index` of `image`, with the locator naming the blob.
/// `artifacts` are the bundle's (the image's archive, or the files of a layout directory).
pub(crate) fn open_layer(
    image: &ImageRecord,
    index: usize,
    artifacts: &[&Artifact],
) -> io::Result<(Box<dyn Read + Send>, Locator)> {
    let layer = image
        .layers
        .iter()
        .find(|l| l.index == index)
        .ok_or_else(|| io::Error::other(format!("image has no layer {index}")))?;
    // A layout directory: the blob is an artifact of its own.
    let in_dir = format!("{}/{}", image.archive, layer.blob);
    let (raw, size, loc): (Box<dyn Read + Send>, u64, Locator) = if let Some(a) =
        artifacts.iter().find(|a| a.path == in_dir || (image.archive == "." && a.path == layer.blob))
    {
        (a.open_raw()?, a.size, a.locator())
    } else {
        let archive = artifacts
            .iter()
            .find(|a| a.path == image.archive)
            .ok_or_else(|| io::Error::other(format!("archive {} is not in the bundle", image.archive)))?;
        let (offset, size) = member_position(archive, &layer.blob)?;
        (
            Box::new(archive.open_at(offset)?.take(size)),
            size,
            archive.locator().with_member(layer.blob.clone()),
        )
    };
    let mut raw = io::BufReader::new(raw);
    let head = io::BufRead::fill_buf(&mut raw)?.to_vec();
    let compression = detect_compression(&head);
    Ok((Box::new(decoder(raw, compression, Some(size), DecodeLimits::default())?), loc))
}

/// Data offset and size of `member` in a tar artifact (names compared without `./`).
fn member_position(archive: &Artifact, member: &str) -> io::Result<(u64, u64)> {
    let want = member.trim_start_matches("./");
    let mut tar = crate::layerfs::TarReader::new(archive.open()?);
    for entry in tar.members()? {
        let entry = entry?;
        let name = entry.name();
        if String::from_utf8_lossy(&name).trim_start_matches("./") == want {
            return Ok((entry.data_offset(), entry.size()));
        }
    }
    Err(io::Error::other(format!("`{member}` is not in {}", archive.path)))
}
